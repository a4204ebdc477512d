"""Analysis and code generation for the structural TF1 graph -> eager rewrite (TF2120).

Not a rule module. ``plan_for(ctx)`` reads the ORIGINAL module once per file and decides
whether the file has the canonical TF1 script shape:

    x = tf.placeholder(...)                     # placeholders          -> function arguments
    W = tf.Variable(...)                        # state                 -> stays where it is (created once)
    y = f(x, W)                                 # graph tensors         -> statements of functions
    opt = tf.train.XOptimizer(lr)               # optimizer             -> tf.keras.optimizers.Y(...)
    train = opt.minimize(loss)                  # train op              -> train-step function (GradientTape)
    init = tf.global_variables_initializer()    # initializer           -> removed
    with tf.Session() as sess:                  # session               -> removed (body kept)
        sess.run(init)                          #                       -> removed
        sess.run(train, feed_dict={x: a})       # run calls             -> train_step(a)
        v = sess.run(y, {x: a})                 #                       -> v = compute_y(a).numpy()

and, when it has, returns a ``Plan``: which original statements go, which calls and
statements are rebuilt, and which functions are inserted after which statement. The rule
applies the plan in its leave hooks (building from the updated nodes, so the renames of
the other rules inside moved statements are kept). When the file uses a session in a way
this does not recognise, the plan is inactive and lists the reasons; nothing structural
is changed.

Terms used below: a *unit* is the module body or the body of a module-level function;
its top-level statements are *classified* (placeholder, variable, tensor, optimizer, train
op, initializer, config, session, python). A tensor statement is *static* when it only
depends on constants and Python values (no placeholder, no variable, no random or
stateful op): TF2 computes it once, eagerly, where it stands, which is what TF1 computed
on every run. Every other tensor statement is *dynamic* and is moved into the functions
that need it (a backward slice from the fetched tensors).
"""

from __future__ import annotations

import json
import re

import builtins
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import libcst as cst

from migrate.engine.context import FileContext
from migrate.engine.names import dotted_name
from migrate.result import Safety
from rules.tf1_to_tf2 import _collections as _coll
from rules.tf1_to_tf2 import _control_flow as _cf
from rules.tf1_to_tf2 import _fetches
from rules.tf1_to_tf2 import _queues
from rules.tf1_to_tf2 import _introspection
from rules.tf1_to_tf2 import _helper_summaries
from rules.tf1_to_tf2 import _optimize_loss
from rules.tf1_to_tf2 import _sparse_gradients
from rules.tf1_to_tf2 import _training_flags
from rules.tf1_to_tf2 import _loss_collection
from rules.tf1_to_tf2 import _model_variables
from rules.tf1_to_tf2 import _structured_fetches
from rules.tf1_to_tf2 import _train_helpers
from rules.tf1_to_tf2 import _towers
from rules.tf1_to_tf2 import _session_config
from rules.tf1_to_tf2 import _v1_optimizers as v1opt
from rules.tf1_to_tf2._common import expr, kwarg, rest_of, tf_root

STATE_KEY = "tf1_graph_plan"

PLACEHOLDERS = {"placeholder", "placeholder_with_default"}
VARIABLES = {"Variable"}
INITIALIZERS = {"global_variables_initializer", "initialize_all_variables"}
SESSIONS = {"Session", "InteractiveSession"}
DISABLES = {"disable_v2_behavior", "disable_eager_execution"}
SEED = "set_random_seed"

# TF1 optimizer -> (Keras class, TF1 parameters in order, TF1 defaults that must be pinned)
OPTIMIZERS: dict[str, tuple[str, list[str]]] = {
    "train.GradientDescentOptimizer": ("SGD", ["learning_rate", "use_locking", "name"]),
    "train.MomentumOptimizer": ("SGD", ["learning_rate", "momentum", "use_locking", "name", "use_nesterov"]),
    "train.AdamOptimizer": ("Adam", ["learning_rate", "beta1", "beta2", "epsilon", "use_locking", "name"]),
    "train.AdagradOptimizer": ("Adagrad", ["learning_rate", "initial_accumulator_value", "use_locking", "name"]),
    "train.AdadeltaOptimizer": ("Adadelta", ["learning_rate", "rho", "epsilon", "use_locking", "name"]),
    "train.FtrlOptimizer": ("Ftrl", ["learning_rate", "learning_rate_power", "initial_accumulator_value",
                                     "l1_regularization_strength", "l2_regularization_strength", "use_locking",
                                     "name", "accum_name", "linear_name", "l2_shrinkage_regularization_strength",
                                     "beta"]),
}
# The Keras arguments of each optimizer: (Keras keyword, TF1 parameter or None, the value
# pinned when the TF1 call leaves it out, or None where both defaults agree). Checked
# against the TF 2.21 sources (tensorflow/python/training/*.py and their C++ kernels,
# keras/src/optimizers/*.py): with these values the Keras update IS the TF1 update, float
# rounding apart (tests/test_tf1_structural.py runs both):
#   Adagrad  TF1 var -= lr*g*rsqrt(acc); Keras var -= lr*g/sqrt(acc + epsilon): epsilon=0.0
#   Adadelta same formula, epsilon inside both square roots: TF1's 1e-08 (Keras 1e-07)
#   Ftrl     same formula and defaults (beta=None in TF1 is Keras' 0.0)
KERAS_ARGS: dict[str, list[tuple[str, str | None, str | None]]] = {
    "train.GradientDescentOptimizer": [("learning_rate", "learning_rate", None)],
    "train.MomentumOptimizer": [("learning_rate", "learning_rate", None), ("momentum", "momentum", None),
                                ("nesterov", "use_nesterov", "False")],
    "train.AdamOptimizer": [("learning_rate", "learning_rate", "0.001"), ("beta_1", "beta1", None),
                            ("beta_2", "beta2", None), ("epsilon", "epsilon", "1e-08")],
    "train.AdagradOptimizer": [("learning_rate", "learning_rate", None),
                               ("initial_accumulator_value", "initial_accumulator_value", None),
                               ("epsilon", None, "0.0")],
    "train.AdadeltaOptimizer": [("learning_rate", "learning_rate", "0.001"), ("rho", "rho", None),
                                ("epsilon", "epsilon", "1e-08")],
    "train.FtrlOptimizer": [("learning_rate", "learning_rate", None), ("learning_rate_power", "learning_rate_power", None),
                            ("initial_accumulator_value", "initial_accumulator_value", None),
                            ("l1_regularization_strength", "l1_regularization_strength", None),
                            ("l2_regularization_strength", "l2_regularization_strength", None),
                            ("l2_shrinkage_regularization_strength", "l2_shrinkage_regularization_strength", None),
                            ("beta", "beta", None)],
}
OPTIMIZER_NOTES = {
    "train.GradientDescentOptimizer": "tf.train.GradientDescentOptimizer becomes tf.keras.optimizers.SGD",
    "train.MomentumOptimizer": "tf.train.MomentumOptimizer becomes tf.keras.optimizers.SGD(momentum=..., nesterov=...); same trajectory for a constant learning rate",
    "train.AdamOptimizer": "tf.train.AdamOptimizer becomes tf.keras.optimizers.Adam with TF1's epsilon=1e-08 pinned (Keras defaults to 1e-07)",
    "train.AdagradOptimizer": "tf.train.AdagradOptimizer becomes tf.keras.optimizers.Adagrad with epsilon=0.0 pinned (TF1 Adagrad has no epsilon; Keras adds 1e-07 to the accumulator)",
    "train.AdadeltaOptimizer": "tf.train.AdadeltaOptimizer becomes tf.keras.optimizers.Adadelta with TF1's epsilon=1e-08 pinned (Keras defaults to 1e-07)",
    "train.FtrlOptimizer": "tf.train.FtrlOptimizer becomes tf.keras.optimizers.Ftrl (same update and defaults; accum_name/linear_name only named TF1's slots)",
}
# Optimizers with no exact Keras counterpart (RMSProp, the proximal ones) are kept as
# tf.compat.v1.train.* objects in the eager program: see _v1_optimizers.py.
UNSUPPORTED_OPTIMIZERS: dict[str, str] = {}


def optimizer_params(r: str | None) -> list[str] | None:
    """The TF1 parameters of an optimizer the rewrite handles (Keras or kept), else None."""
    if r in OPTIMIZERS:
        return OPTIMIZERS[r][1]
    if v1opt.is_kept(r):
        return v1opt.params(r)  # type: ignore[arg-type]
    return None

# Names that only make sense in graph mode (or build variables per call): a file that
# uses them keeps tf.compat.v1 and graph mode, so nothing is converted. Prefix -> why.
_COLLECTIONS = "graph collections do not exist in eager TF2 (track variables and losses in Python objects)"
_SCOPES = "variable_scope/get_variable variables must become objects created once (not automated yet)"
_LAYERS = "tf.layers/tf.nn.rnn_cell build variables per call; they must be created once as Keras layers (not automated yet)"
_QUEUES = "queue-runner input pipelines must become tf.data first"
_CONTROL = "graph control flow (control dependencies, tf.cond/while_loop) may hide side effects that eager code would run differently"
_GRAPH = "the program inspects or manipulates the graph itself"
_STEP = "global-step driven schedules need optimizer.iterations and a Keras LearningRateSchedule (not automated yet)"
_SUMMARY = "TF1 summaries need tf.summary.create_file_writer and step= (not automated yet)"
_ITER = "tf.data iterators of TF1 must become Python iteration over the dataset (not automated yet)"
GRAPH_ONLY: dict[str, str] = {
    **dict.fromkeys(("get_collection", "get_collection_ref", "add_to_collection", "add_to_collections",
                     "GraphKeys", "trainable_variables", "global_variables", "all_variables",
                     "local_variables", "model_variables", "local_variables_initializer",
                     "variables_initializer", "tables_initializer", "metrics", "losses.get_regularization_loss",
                     "losses.get_regularization_losses", "losses.get_losses", "losses.get_total_loss",
                     "losses.add_loss"), _COLLECTIONS),
    **dict.fromkeys(("get_variable", "variable_scope", "get_variable_scope", "make_template"), _SCOPES),
    **dict.fromkeys(("layers", "nn.rnn_cell", "nn.dynamic_rnn", "nn.static_rnn",
                     "nn.bidirectional_dynamic_rnn", "contrib"), _LAYERS),
    **dict.fromkeys(("train.start_queue_runners", "train.Coordinator", "train.QueueRunner",
                     "train.string_input_producer", "train.input_producer", "train.batch",
                     "train.shuffle_batch", "train.slice_input_producer", "TextLineReader",
                     "TFRecordReader", "WholeFileReader", "FIFOQueue", "RandomShuffleQueue"), _QUEUES),
    **dict.fromkeys(("control_dependencies", "cond", "while_loop", "case", "scan", "map_fn", "foldl",
                     "foldr", "gradients", "Print", "py_func", "colocate_with"), _CONTROL),
    **dict.fromkeys(("get_default_graph", "Graph", "reset_default_graph", "train.import_meta_graph",
                     "train.export_meta_graph", "assert_variables_initialized",
                     "report_uninitialized_variables", "is_variable_initialized", "RunOptions",
                     "RunMetadata", "Operation", "Tensor", "SparseTensorValue",
                     "keras.backend.get_session", "keras.backend.set_session", "estimator",
                     "train.MonitoredTrainingSession", "train.Supervisor", "train.SessionRunHook"), _GRAPH),
    **dict.fromkeys(("train.get_global_step", "train.global_step", "train.natural_exp_decay",
                     "train.ExponentialMovingAverage"), _STEP),
    **dict.fromkeys(("summary",), _SUMMARY),
    **dict.fromkeys(("data.make_initializable_iterator", "data.Iterator"), _ITER),
}
# TensorFlow names that are not graph operations (a call of them builds no tensor).
NOT_OPS = ("examples", "logging", "app", "flags", "gfile", "io.gfile", "errors", "python_io",
           "sysconfig", "version", "test", "compat", "dtypes", "TensorShape", "Dimension", "as_dtype",
           "train.latest_checkpoint", "train.get_checkpoint_state", "train.checkpoint_exists",
           # protocol buffer messages (tf.train.Example is example_pb2.Example) and the
           # record writer: Python objects, no graph op
           "train.Example", "train.SequenceExample", "train.Features", "train.Feature", "train.FeatureList",
           "train.FeatureLists", "train.BytesList", "train.FloatList", "train.Int64List", "io.TFRecordWriter")
SAVER = "train.Saver"
# Summaries written through tf.summary v2 (the other tf.summary names stay manual)
SUMMARY_OPS = {"summary.scalar", "summary.histogram"}
MERGES = {"summary.merge_all", "summary.merge"}
WRITER = "summary.FileWriter"
# TF1 learning-rate decay of a global step -> (Keras schedule, TF1 parameters in order; the
# step parameter is dropped: the optimizer evaluates a schedule at optimizer.iterations).
# Formulas and defaults are the same in TF 2.21 (tensorflow/python/keras/optimizer_v2/
# legacy_learning_rate_decay.py builds the TF1 functions from these very schedules).
SCHEDULES: dict[str, tuple[str, list[str]]] = {
    "train.exponential_decay": ("ExponentialDecay", ["initial_learning_rate", "global_step", "decay_steps", "decay_rate", "staircase", "name"]),
    "train.inverse_time_decay": ("InverseTimeDecay", ["initial_learning_rate", "global_step", "decay_steps", "decay_rate", "staircase", "name"]),
    "train.polynomial_decay": ("PolynomialDecay", ["initial_learning_rate", "global_step", "decay_steps", "end_learning_rate", "power", "cycle", "name"]),
    "train.cosine_decay": ("CosineDecay", ["initial_learning_rate", "global_step", "decay_steps", "alpha", "name"]),
    "train.piecewise_constant": ("PiecewiseConstantDecay", ["global_step", "boundaries", "values", "name"]),
}
SAVER_DEFAULT_MAX_TO_KEEP = 5  # tf.train.Saver's default (tf.train.CheckpointManager has none)
# Checkpoint state lookups: they need the `checkpoint` state file that Saver.save updates.
CHECKPOINT_STATE = {"train.latest_checkpoint", "train.get_checkpoint_state"}
# Methods of graph objects that this rewrite does not translate.
GRAPH_METHODS = {"make_initializable_iterator", "get_tensor_by_name",
                 "get_operation_by_name", "as_graph_def", "finalize", "as_default", "partial_run",
                 "partial_run_setup", "initialized_value", "compute_gradients", "apply_gradients"}
# Optimizer methods converted only as a `compute_gradients` ... `apply_gradients` pair.
GRADIENT_METHODS = {"compute_gradients", "apply_gradients"}
# Attributes a graph tensor has that an eager tensor lacks.
GRAPH_ATTRS = {"name", "op", "graph", "consumers", "initializer", "eval", "run"}
# Names whose values depend on TensorFlow's random streams (graph-mode and eager streams
# differ for the same seed).
RANDOM_WORDS = ("random", "dropout", "truncated_normal", "multinomial", "shuffle", "glorot",
                "xavier", "variance_scaling", "orthogonal", "he_normal", "he_uniform",
                "lecun", "categorical", "sample_distorted", "stateless")
# Calls whose results are lists (fetching them gives a list of arrays).
LIST_RESULTS = {"unstack", "split", "meshgrid", "unique", "nn.moments", "nn.top_k", "math.top_k",
                "gradients", "dynamic_partition", "identity_n", "tuple"}
# Calls that create variables (must run once, never inside a step function).
# `global_step = tf.train.get_or_create_global_step()` (called once) -> an int64 tf.Variable
# starting at 0, named "global_step" as TF1's (tensorflow/python/training/training_util.py)
GLOBAL_STEP_MAKERS = ("train.get_or_create_global_step", "train.create_global_step")
VARIABLE_MAKERS = ("Variable", "get_variable", "layers.", "keras.layers.", "keras.Sequential",
                   "keras.Model", "keras.models.", "nn.rnn_cell.", "contrib.", *GLOBAL_STEP_MAKERS)
BUILTINS = set(dir(builtins))
SIMPLE_VALUES = (cst.Name, cst.Attribute, cst.Subscript, cst.Integer, cst.Float, cst.SimpleString,
                 cst.ConcatenatedString)

# statement kinds
P, V, T, OPT, TRAIN, INIT, CONFIG, SESS, PY, DISABLE, SEEDING, CLOSE, FEED, SAVE, SCHED, SUMM, MERGE, WRITE, ITER, NEXT, DATA = (
    "placeholder", "variable", "tensor", "optimizer", "train", "init", "config", "session",
    "python", "disable", "seed", "close", "feed", "saver", "learning-rate schedule", "summary",
    "merged summary", "summary writer", "dataset iterator", "dataset element", "dataset")
UPDATES = "update-ops collection"
GRADS = "compute_gradients result"  # `gv = opt.compute_gradients(loss)` of a gradient pair  # `update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)` (removed)
# a tf.data pipeline built from Python values is an object, built once where it stands
NOT_GRAPH = (PY, DISABLE, SEEDING, CLOSE, FEED, DATA, UPDATES)
# Collection reads that name every variable: as `minimize(var_list=...)` they are the
# variables the tape watches (TF1 skipped the variables without a gradient, as does
# apply_gradients over the watched ones).
ALL_VARIABLES = {"trainable_variables", "global_variables", "all_variables"}
# The sum of the REGULARIZATION_LOSSES collection: with Keras objects, the sum of their
# `.losses` (Keras computes a weight's regularization from the weight itself).
REGULARIZATION_SUM = "losses.get_regularization_loss"


class Unsupported(Exception):
    """The file does not have the recognised shape; the message says why."""

    def __init__(self, node: cst.CSTNode, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.message = message


# -- data ------------------------------------------------------------------------------


@dataclass
class Stmt:
    index: int
    node: cst.BaseStatement
    kind: str
    defines: tuple[str, ...] = ()
    uses: set[str] = field(default_factory=set)
    value: cst.BaseExpression | None = None  # the right-hand side (original)
    static: bool = False
    dynamic_reason: str = ""
    loss_of: Stmt | None = None  # a loss written inline in `minimize(<expr>)`: the train op


@dataclass
class Unit:
    name: str  # "<module>" or the function's name
    node: cst.Module | cst.FunctionDef
    body: list[cst.BaseStatement]
    stmts: list[Stmt] = field(default_factory=list)
    locals: set[str] = field(default_factory=set)
    graph_names: set[str] = field(default_factory=set)

    @property
    def is_module(self) -> bool:
        return isinstance(self.node, cst.Module)

    def reaching(self, name: str, before: int) -> Stmt | None:
        """The statement that last defined `name` before top-level index `before`."""
        found = None
        for s in self.stmts:
            if s.index >= before:
                break
            if name in s.defines:
                found = s
        return found


@dataclass
class Param:
    name: str
    stmt: Stmt  # the placeholder statement
    default: cst.BaseExpression | None = None
    dtype: cst.BaseExpression | None = None  # for placeholder_with_default


@dataclass
class Variant:
    """One generated function."""

    unit: Unit
    key: tuple
    name: str = ""
    members: list[Stmt] = field(default_factory=list)  # dynamic tensor statements, in order
    params: list[Param] = field(default_factory=list)
    returns: tuple = ()  # ("single", leaf) | ("seq", [leaves]) | ("dict", [(key, leaf)]) | ()
    train: Stmt | None = None
    anchor: int = 0  # top-level index after which the function is inserted
    hint: str = ""  # for naming
    tops: list[int] = field(default_factory=list)  # top-level indices of its run calls (same unit)
    summaries: list[Stmt] = field(default_factory=list)  # tf.summary ops it writes
    writer: str = ""  # ... with this writer
    step: str = ""  # the name of its step parameter
    helper: Helper | None = None
    locals: dict[str, str] = field(default_factory=dict)  # tape/variables/gradients names
    # training-mode flags fed a literal by its runs: placeholder -> "True"/"False" (_training_flags)
    consts: dict[str, str] = field(default_factory=dict)


@dataclass
class Helper:
    """The graph statements every function of a unit needs, factored into one plain
    function (called inside the tf.functions)."""

    unit: Unit
    name: str
    members: list[Stmt]
    params: list[Param]
    outputs: list[str]


@dataclass
class TrainOp:
    stmt: Stmt
    loss: Stmt
    optimizer_name: str
    optimizer_stmt: Stmt | None  # None: the optimizer was built inline in `stmt`
    var_list: cst.BaseExpression | None
    global_step: str | None
    # `gv = opt.compute_gradients(loss)` ... `train = opt.apply_gradients(f(gv))`: the
    # compute statement and the statements between that transform the gradients (in order)
    compute: Stmt | None = None
    post: list[Stmt] = field(default_factory=list)
    # the compute statement computes `tf.gradients(loss, var_list)` (not compute_gradients)
    tf_gradients: bool = False
    # tf.contrib.layers.optimize_loss (_optimize_loss.py): the TF1 optimizer call it built
    # (synthesized, not in the module) and its clip_gradients value
    synth_optimizer: cst.Call | None = None
    clip: cst.BaseExpression | None = None
    # a tower loop computed the gradients (_towers.py): its tape and variables names, the
    # list the towers' gradients are appended to and their name
    towers: tuple[str, str, str, str] | None = None


@dataclass
class Plan:
    relevant: bool = False
    active: bool = False
    reasons: list[tuple[cst.CSTNode, str]] = field(default_factory=list)
    safety: Safety = Safety.UNSAFE
    unsafe_why: list[str] = field(default_factory=list)
    anchor: cst.CSTNode | None = None
    summary: str = ""
    remove: set[int] = field(default_factory=set)
    unwrap: set[int] = field(default_factory=set)
    # a train helper's statements stand at its call (_train_helpers.py): call statement ->
    # id of the helper's def; the defs (removed, their transformed bodies moved)
    splice: dict[int, int] = field(default_factory=dict)
    splice_fns: set[int] = field(default_factory=set)
    splice_bodies: dict[int, list[cst.BaseStatement]] = field(default_factory=dict)
    stmt_builders: dict[int, Callable[[cst.SimpleStatementLine], list[cst.BaseStatement]]] = field(default_factory=dict)
    call_builders: dict[int, Callable[[cst.Call], cst.BaseExpression]] = field(default_factory=dict)
    # other expression nodes rewritten in place (an LSTM state's `.h` -> its Keras tensor, _rnn.py)
    node_builders: dict[int, Callable[[cst.CSTNode], cst.CSTNode]] = field(default_factory=dict)
    inserts: dict[int, list[Variant]] = field(default_factory=dict)
    capture: set[int] = field(default_factory=set)
    captured: dict[int, cst.SimpleStatementLine] = field(default_factory=dict)
    blank_before: dict[int, int] = field(default_factory=dict)
    comments_before: dict[int, list[cst.EmptyLine]] = field(default_factory=dict)
    dropped: list[cst.CSTNode] = field(default_factory=list)
    optimizer_notes: list[tuple[cst.CSTNode, str]] = field(default_factory=list)
    module_level: set[int] = field(default_factory=set)  # anchors in the module body
    apply: bool = False
    imports: set[str] = field(default_factory=set)  # modules the rewrite needs (`os`)
    # imports the rewrite made unused (`from tensorflow.contrib import rnn`): (module, name, asname);
    # the engine removes one only when nothing uses its name any more
    removed_imports: set[tuple[str, str | None, str | None]] = field(default_factory=set)
    element_iters: dict[int, str] = field(default_factory=dict)  # NEXT stmt -> the iterator it gets
    checkpoint_notes: list[tuple[cst.CSTNode, str]] = field(default_factory=list)
    # every TF1-only Dataset method (make_one_shot_iterator, ...) of the file is rewritten
    # away: TF2001 may map tf.data.Dataset to TF2's class (read by symbol_rename.py)
    v2_datasets: bool = False
    # TF1 optimizers kept as tf.compat.v1.train objects: applied, and one manual finding each
    kept_optimizers: list[tuple[cst.CSTNode, str]] = field(default_factory=list)
    # TF1 update rules written out as classes (_v1_optimizers.py): TF1 optimizer -> class
    # name, each defined once after the file's imports
    optimizer_classes: dict[str, str] = field(default_factory=dict)


# -- small helpers ---------------------------------------------------------------------


# id(node) -> children, for the module being analysed (libcst's `children` property runs a
# visitor per call, which made the analysis the slowest part of the pack). Rebuilt for
# every file by `index_children`; only ids of the live original tree are stored.
_KIDS: dict[int, list[cst.CSTNode]] = {}


class _ChildIndex(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[cst.CSTNode] = []
        self.kids: dict[int, list[cst.CSTNode]] = {}

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.kids[id(node)] = []
        if self.stack:
            self.kids[id(self.stack[-1])].append(node)
        self.stack.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.stack.pop()


def index_children(module: cst.Module) -> None:
    global _KIDS
    indexer = _ChildIndex()
    module.visit(indexer)
    _KIDS = indexer.kids


def walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        kids = _KIDS.get(id(n))
        stack.extend(reversed(kids if kids is not None else n.children))


def names_used(node: cst.CSTNode) -> set[str]:
    """Names read in an expression (attribute names and keyword names excluded)."""
    out: set[str] = set()
    stack: list[cst.CSTNode] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, cst.Name):
            out.add(n.value)
        elif isinstance(n, cst.Attribute) or isinstance(n, cst.Arg):
            stack.append(n.value)
        elif isinstance(n, cst.Param):
            if n.default is not None:
                stack.append(n.default)
        else:
            stack.extend(n.children)
    return out


def target_names(target: cst.BaseExpression) -> list[str] | None:
    """Names bound by an assignment target made of names only, else None."""
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        out = []
        for el in target.elements:
            if isinstance(el, cst.StarredElement):
                return None
            sub = target_names(el.value)
            if sub is None:
                return None
            out += sub
        return out
    return None


def bound_in(node: cst.CSTNode) -> set[str]:
    """Names a statement (and the blocks inside it, not nested functions) binds."""
    out: set[str] = set()
    stack: list[cst.CSTNode] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, (cst.FunctionDef, cst.ClassDef)):
            out.add(n.name.value)
            continue
        if isinstance(n, (cst.Lambda, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)):
            continue
        if isinstance(n, cst.AssignTarget) or isinstance(n, (cst.AugAssign, cst.AnnAssign)) or isinstance(n, cst.For):
            out |= _all_target_names(n.target)
        elif isinstance(n, cst.AsName):
            out |= _all_target_names(n.name) if isinstance(n.name, cst.BaseExpression) else set()
        elif isinstance(n, cst.ImportAlias):
            if n.asname is not None and isinstance(n.asname.name, cst.Name):
                out.add(n.asname.name.value)
            else:
                d = dotted_name(n.name)
                if d:
                    out.add(d.split(".")[0])
        elif isinstance(n, cst.NamedExpr):
            out |= _all_target_names(n.target)
        stack.extend(n.children)
    return out


def _all_target_names(t: cst.CSTNode) -> set[str]:
    if isinstance(t, cst.Name):
        return {t.value}
    if isinstance(t, (cst.Tuple, cst.List)):
        out: set[str] = set()
        for el in t.elements:
            out |= _all_target_names(el.value)
        return out
    if isinstance(t, cst.StarredElement):
        return _all_target_names(t.value)
    return set()


def function_locals(fn: cst.FunctionDef) -> set[str]:
    out = {p.name.value for p in _all_params(fn.params)}
    out |= bound_in(fn.body)
    for n in walk(fn.body):
        if isinstance(n, cst.Global):
            out -= {a.name.value for a in n.names}
    return out


def _all_params(params: cst.Parameters) -> list[cst.Param]:
    out = list(params.posonly_params) + list(params.params) + list(params.kwonly_params)
    if isinstance(params.star_arg, cst.Param):
        out.append(params.star_arg)
    if params.star_kwarg is not None:
        out.append(params.star_kwarg)
    return out


def blank_count(lines: tuple[cst.EmptyLine, ...] | list[cst.EmptyLine]) -> int:
    return sum(1 for ln in lines if ln.comment is None)


def only_small(stmt: cst.CSTNode) -> cst.BaseSmallStatement | None:
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
        return stmt.body[0]
    return None


# -- the analysis ----------------------------------------------------------------------


class Analysis:
    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.module = ctx.module
        index_children(self.module)
        self.plan = Plan()
        self.units: dict[str, Unit] = {}
        self.module_unit: Unit | None = None
        self.functions: dict[str, cst.FunctionDef] = {}
        self.taken: set[str] = {n.value for n in walk(self.module) if isinstance(n, cst.Name)}
        self.variants: list[Variant] = []
        self.train_ops: dict[int, TrainOp] = {}
        self.sessions: dict[str, set[str]] = {}  # unit name -> session variable names
        self.run_sites: list[tuple[Unit, int, cst.Call, str, cst.SimpleStatementLine | None, cst.CSTNode]] = []
        self.init_runs = 0
        self.handled_calls: set[int] = set()  # ids of calls (and their subtrees) understood
        self.handled_stmts: set[int] = set()
        self.config_uses: dict[str, int] = {}
        self.unknown_callables: set[str] = set()
        self.functions_by_name = {st.name.value: st for st in self.module.body if isinstance(st, cst.FunctionDef)}
        self.feed_vars: dict[tuple[str, str], list[cst.Dict]] = {}
        self.star_feeds: dict[int, str] = {}  # run call -> name of its feed dict variable
        self.lines = {id(n) for n in walk(self.module) if isinstance(n, cst.SimpleStatementLine)}
        self.saver_calls: list[tuple[Unit, int, cst.Call, str]] = []  # unit, top index, call, "save"/"restore"
        self.state_lookups = False  # the file reads the `checkpoint` state file
        self.writers: set[str] = set()  # names of tf.summary.FileWriters
        self.add_summaries: dict[int, tuple[str, str, cst.BaseExpression]] = {}  # line -> writer, value name, step
        self.paired_adds: set[int] = set()
        # TF2130 composition: model functions that TF2130 turns into Keras objects (name ->
        # its FuncPlan), the ids of their nodes (not analysed here: TF2130 rewrites them),
        # TF references the model idioms below make meaningful, and the update-ops idiom
        self.models: dict[str, object] = {}
        self.train_aliases: dict[int, Stmt] = {}  # a no_op run after a train op -> that train op (_train_helpers.py)
        self.inlined: dict[int, tuple] = {}  # a train helper's call statement -> (def, statements, return)
        self.model_nodes: set[int] = set()
        self.model_refused: dict[int, tuple[str, str]] = {}  # node id -> (function TF2130 refuses, why)
        self.allowed_refs: set[int] = set()
        self.update_stmts: set[int] = set()  # `update_ops = tf.get_collection(UPDATE_OPS)` lines
        self.update_withs: set[int] = set()  # `with tf.control_dependencies(update_ops):` blocks
        self.update_trains: set[int] = set()  # lines inside those blocks
        self.all_var_lists: set[int] = set()  # `var_list=tf.trainable_variables()` values
        self.variable_reads: list[cst.Call] = []  # other `tf.trainable_variables()` reads (_collections.py)
        self.collection_refusals: dict[int, str] = {}  # variable-collection reference -> why not converted
        self.scope_copies: set[int] = set()  # scoped reads of a target-network copy helper (_collections.py)
        self.scope_copy_calls: set[int] = set()  # calls of that helper: graph statements that assign variables
        self.scope_copy_notes: list[str] = []
        self.scope_copy_refusals: dict[str, str] = {}  # copy helper -> why not converted
        self.scope_copy_helpers: set[str] = set()  # converted copy helpers (called, not returned)
        # `tf.get_default_graph().get_tensor_by_name('<v>:0')` of a Keras object's variable (_introspection)
        self.tensor_reads: dict[int, tuple[str, str, str]] = {}
        self.tensor_reads_done: set[int] = set()
        # `sess.run(tf.global_variables()[0])`: the read calls of such fetches (_collections)
        self.fetched_variable_reads: list[cst.Call] = []
        self.site_variants: dict[int, Variant] = {}  # id(run call) -> its generated function
        self.update_counts: list[tuple[cst.Call, str]] = []  # `len(update_ops)` -> the model function counted
        self.reg_sums: dict[int, cst.Call] = {}  # `tf.losses.get_regularization_loss()` calls
        # graph control flow (_control_flow.py): lambdas/functions passed to tf.cond and
        # tf.while_loop, tf.gradients calls, precise refusals per reference, the
        # control-dependency items of graph blocks, the blocks (id -> Stmt), the name of an
        # explicit tf.Graph, fetched tf.group statements (id of variant -> Stmt)
        self.cf_callables: set[int] = set()
        self.cf_gradients: set[int] = set()
        self.cf_reasons: dict[int, str] = {}
        self.cf_dep_refs: set[int] = set()
        self.cf_blocks: dict[int, Stmt] = {}
        self.cf_graph: str | None = None
        # the multi-tower recipe (_towers.py): opened withs, tower loops -> TrainOp, name-scope strings kept
        self.tower_withs: set[int] = set()
        self.tower_blocks: dict[int, TrainOp] = {}
        self.tower_scopes: dict[int, list] = {}
        self.tower_dropped: set[int] = set()  # the nodes of the removed reuse_variables() lines
        self.cf_groups: dict[int, Stmt] = {}
        self.cf_initialized: set[int] = set()
        self.cf_tapes: dict[int, str] = {}  # tf.gradients statements -> the tape name
        self.cf_ifs: dict[int, tuple[list[int], list[int]]] = {}  # `if` blocks: tensor / variable lines
        self.schedule_reads: dict[int, tuple[str, str]] = {}  # SCHED stmt of a Keras schedule -> (its name, its global step)
        self.schedule_summaries: dict[int, dict[str, str]] = {}  # summary stmt -> {schedule name: global step} (`lr(gs)`)
        self.summary_ifs: set[int] = set()  # `if <flag>: tf.summary.x(...)` statements (one summary op under the test)
        # tf.get_variable / tf.variable_scope in straight-line code (rules/tf1_to_tf2/_variables.py)
        self.scope_withs: dict[int, str] = {}  # `with tf.variable_scope('s'):` opened -> 's/'
        self.scope_refusals: dict[int, str] = {}  # get_variable/variable_scope reference -> why not converted
        # functional tf.layers calls in straight-line session code (rules/tf1_to_tf2/_inline_layers.py)
        self.layer_refusals: dict[int, str] = {}  # tf.layers reference -> why not converted
        self.inline_layer_lines: set[int] = set()  # `y = tf.layers.dense(x, ...)` lines split in two
        # `state.h` / `state[0]` of a converted LSTM's final state (_rnn.py) -> its Keras name
        self.rnn_state_parts: dict[int, str] = {}
        # a converted LSTM's state name -> its Keras names [h, c] (empty: two LSTMs share the name)
        self.rnn_state_names: dict[str, list[str]] = {}
        self.dense_gradients: set[int] = set()  # train ops whose sparse gradients are made dense (_sparse_gradients.py)
        self.random_default_variables: list[str] = []  # get_variable names initialised by the (random) default
        self.unseeded_keras: list[str] = []  # Keras initializers written without seed= (see finish)
        # input functions: `def input_fn(...): ...; return iterator.get_next()` (see find_input_fns)
        self.input_fns: dict[str, cst.FunctionDef] = {}
        # initializable iterators over pipelines of placeholders (see find_initializable)
        self.init_iter_stmts: set[int] = set()  # `it = ds.make_initializable_iterator()` lines
        self.init_iters: dict[tuple[str, str], Helper] = {}  # (unit, iterator name) -> its dataset function
        self.fed_data: set[int] = set()  # DATA statements (values) built from placeholders
        self.dataset_params: set[int] = set()  # placeholder Stmts that became dataset-function arguments
        # TF1 optimizers kept as tf.compat.v1.train objects (_v1_optimizers.py): the ids of
        # MomentumOptimizer calls whose learning rate is decayed, and optimizer call id ->
        # (the callable it gets as learning rate, what that is) for a kept optimizer
        self.kept_momentum: set[int] = set()
        self.v1_classes: dict[int, str] = {}  # kept optimizer call id -> the class that replaces it
        self.v1_schedules: dict[int, tuple[str, str]] = {}
        # a learning rate computed from schedules (tensor schedules): optimizer call id ->
        # (function name, its statements, the learning-rate name); their statement ids
        self.lr_functions: dict[int, tuple[str, list[Stmt], str]] = {}
        self.lr_members: set[int] = set()
        # `.compute_gradients`/`.apply_gradients` attributes: allowed only in a recognised pair
        self.gradient_methods: list[cst.Attribute] = []
        # tf.metrics streaming metrics (_metrics.py): converted lines (line id -> MetricLine),
        # the local_variables_initializer() calls dropped, the update/result statements the
        # analysis sees instead of a metric line (their id -> the metric line)
        self.metric_lines: dict[int, object] = {}
        self.metric_inits: set[int] = set()
        self.metric_resets: dict[int, Callable[[cst.SimpleStatementLine], list[cst.BaseStatement]]] = {}
        self.metric_synthetic: dict[int, cst.BaseStatement] = {}
        # queue-runner input pipelines (_queues.py): input function name -> its QueueFn, and
        # the coordinator statements removed
        self.queue_fns: dict[str, object] = {}
        self.queue_stmts: set[int] = set()
        self.paired_methods: set[int] = set()
        # tf.contrib.layers.optimize_loss calls converted (_optimize_loss.py): id -> (optimizer code, clip)
        self.optimize_losses: dict[int, tuple[str, cst.BaseExpression | None]] = {}
        self.inline_global_steps: set[int] = set()  # `optimize_loss(loss, tf.train.get_or_create_global_step(), ...)`

    # names -------------------------------------------------------------------------------
    def rest(self, node: cst.CSTNode | None) -> str | None:
        if node is None or not isinstance(node, (cst.Name, cst.Attribute)):
            return None
        return rest_of(self.ctx.qname(node))

    def call_rest(self, node: cst.CSTNode | None) -> str | None:
        return self.rest(node.func) if isinstance(node, cst.Call) else None

    def fresh(self, base: str) -> str:
        name = base
        i = 2
        while name in self.taken or name in BUILTINS:
            name = f"{base}_{i}"
            i += 1
        self.taken.add(name)
        return name

    # entry -------------------------------------------------------------------------------
    def run(self) -> Plan:
        refs = list(self.tf_refs(self.module))
        names = {r for _, r in refs}
        if not any(r in SESSIONS or r == "get_default_session" for r in names):
            return self.plan
        self.plan.relevant = True
        try:
            self.find_models()
            if self.models:
                refs = [(n, r) for n, r in refs if id(n) not in self.model_nodes]
                self.model_idioms()
            else:
                _coll.find_variable_reads(self)  # unscoped TRAINABLE_VARIABLES reads of plain variables
            _cf.graph_idiom(self, refs)
            _towers.find(self, refs)
            _cf.find_dep_withs(self)
            from rules.tf1_to_tf2._variables import convert_variables
            variables = convert_variables(self, refs)
            from rules.tf1_to_tf2._inline_layers import convert_inline_layers
            layers = convert_inline_layers(self, refs)
            from rules.tf1_to_tf2._rnn import convert_rnn_cells
            rnn_cells = convert_rnn_cells(self, refs)
            from rules.tf1_to_tf2 import _metrics
            refused = _metrics.convert(self, refs)
            if refused is not None:  # tf.metrics not converted: the metric's own reason
                raise Unsupported(refused[0], f"tf.metrics not converted: {refused[1]}; the file keeps tf.compat.v1 and its Session")
            _queues.convert(self, refs)
            self.find_input_fns()
            self.find_initializable()
            _cf.check_refs(self, refs)
            _fetches.check_event_readers(self, refs)
            _introspection.find_tensor_reads(self, refs)
            _introspection.check_graph_inspection(self, refs)
            _introspection.keras_weight_shapes(self)
            _optimize_loss.find(self, refs)
            from rules.tf1_to_tf2 import _sequence_loss
            self.pure_calls: set[int] = set()  # TF1 calls under a variable-making prefix that make none
            _sequence_loss.allow(self, refs)
            _loss_collection.convert(self)
            self.check_graph_only(refs)
            self.build_units()
            _towers.adjust_defines(self)
            _helper_summaries.check_calls(self)
            _train_helpers.no_op_aliases(self)
            variables.check_shapes()
            self.initializable_functions()
            self.find_sessions()
            _cf.check_helper_summary_ifs(self)
            self.check_graph_name_uses()
            self.check_train_ops()
            self.state_lookups = any(r in CHECKPOINT_STATE for r in names)
            self.check_savers()
            self.check_schedules()
            self.build_variants()
            _loss_collection.check(self)
            _introspection.check_all_read(self)
            _introspection.check_update_counts(self)
            self.check_model_calls()
            self.regularization_sums()
            self.check_late_binding()
            _cf.check_summary_if_binding(self)
            _cf.check_blocks(self)
            _cf.check_loose_statements(self)
            self.finish(refs)
            layers.finish()
            rnn_cells.finish()
            _sparse_gradients.check(self)
            _coll.plan_variable_reads(self)
            _cf.check_finished(self)
            _cf.keep_variable_parts(self)
            _towers.keep_scope_names(self)
            _cf.plan_tapes(self)
            _cf.summary_note(self)
            if self.queue_fns:
                self.plan.summary += ("; the queue-runner input pipeline becomes tf.data (the records' dataset, repeat, "
                                      "map of the per-record code, batch) iterated by the runs; the Coordinator and its "
                                      "queue-runner threads go")
            if self.metric_lines:
                self.plan.summary += ("; tf.metrics streaming metrics become Keras metric objects created once "
                                      "(update_state where the update ops ran, result() where the values were fetched)")
            _train_helpers.move_inserts(self)
            _cf.graph_block_spacing(self)
            if self.models:
                # TF2130 replaces the model functions in its leave_Module: they must reach it
                # unchanged (a statement inserted after one would end its hook chain)
                defs = {id(fp.node): fp.node for fp in self.models.values()}  # type: ignore[attr-defined]
                for oid in (set(self.plan.inserts) | self.plan.remove | set(self.plan.stmt_builders)) & set(defs):
                    raise Unsupported(defs[oid], "generated code would go right after a model function that TF2130 restructures; not converted")
        except Unsupported as exc:
            self.plan.active = False
            self.plan.reasons.append((exc.node, exc.message))
            return self.plan
        for sid in self.metric_synthetic:  # written into the functions as they are, never visited
            self.plan.remove.discard(sid)
            self.plan.capture.discard(sid)
        self.plan.active = True
        return self.plan

    def tf_refs(self, root: cst.CSTNode) -> Iterator[tuple[cst.CSTNode, str]]:
        stack: list[cst.CSTNode] = [root]
        while stack:
            n = stack.pop()
            if isinstance(n, (cst.Import, cst.ImportFrom)):
                continue
            if isinstance(n, (cst.Attribute, cst.Name)) and dotted_name(n) is not None:
                r = self.rest(n)
                if r is not None and r != "":
                    yield n, r
                continue
            if isinstance(n, cst.Attribute) or isinstance(n, cst.Arg):
                stack.append(n.value)
            else:
                stack.extend(n.children)

    def check_graph_only(self, refs: list[tuple[cst.CSTNode, str]]) -> None:
        for node, r in refs:
            if r in SUMMARY_OPS or r in MERGES or r == WRITER or id(node) in self.allowed_refs:
                continue
            for g, why in GRAPH_ONLY.items():
                if r == g or r.startswith(g + "."):
                    if id(node) in self.collection_refusals:
                        why = self.collection_refusals[id(node)]
                    elif self.models and r in ALL_VARIABLES:
                        why = (why + "; outside `minimize(var_list=...)` it is not converted: the Keras objects made from "
                               f"{', '.join(f'`{m}`' for m in sorted(self.models))} create their variables on their first "
                               "call (read `obj.trainable_variables` after it)")
                    elif self.models and (r.startswith("GraphKeys.UPDATE_OPS") or r == "control_dependencies"):
                        why = (why + "; `tf.get_collection(tf.GraphKeys.UPDATE_OPS)` is dropped only when its one use is "
                               "`with tf.control_dependencies(update_ops):` around train ops")
                    elif id(node) in self.scope_refusals:
                        why = f"variable_scope/get_variable not converted: {self.scope_refusals[id(node)]}"
                    elif id(node) in self.layer_refusals:
                        what = "TF1 RNN cells" if r.startswith(("nn.rnn_cell", "nn.dynamic_rnn", "nn.static_",
                                                                "nn.bidirectional", "nn.raw_rnn", "contrib.rnn.")) else "tf.layers"
                        why = f"{what} in the session code not converted: {self.layer_refusals[id(node)]}"
                    elif id(node) in self.model_refused and why in (_SCOPES, _LAYERS):
                        fn, refused = self.model_refused[id(node)]
                        why = f"{why.replace(' (not automated yet)', '')}; TF2130 does not make `{fn}` a Keras layer: {refused}"
                    if why is _QUEUES:
                        why = _QUEUES + "; " + self.queue_recipe(refs)
                    if why is _CONTROL and id(node) in self.cf_reasons:
                        raise Unsupported(node, self.cf_reasons[id(node)] + "; the file keeps tf.compat.v1 and its Session")
                    raise Unsupported(node, f"`tf.{r}`: {why}; the file keeps tf.compat.v1 and its Session")
            if r in UNSUPPORTED_OPTIMIZERS:
                raise Unsupported(node, f"`tf.{r}` has no exact Keras counterpart ({UNSUPPORTED_OPTIMIZERS[r]}); the training loop is left in TF1 form")
            if r.startswith("train.") and r.endswith("Optimizer") and optimizer_params(r) is None:
                raise Unsupported(node, f"`tf.{r}` is not one of the optimizers converted automatically")
        for n in walk(self.module):
            if id(n) in self.model_nodes:
                continue
            if isinstance(n, cst.Attribute) and n.attr.value in GRADIENT_METHODS:
                self.gradient_methods.append(n)  # checked by check_train_ops
                continue
            if isinstance(n, cst.Attribute) and n.attr.value in GRAPH_METHODS and id(n) not in self.allowed_refs \
                    and not _cf.initialized_value(self, n):
                raise Unsupported(n, f"`.{n.attr.value}` is graph-mode API that this rewrite does not translate")
            if isinstance(n, cst.Attribute) and n.attr.value == "value" and isinstance(n.value, cst.Subscript):
                shape = n.value.value
                if (isinstance(shape, cst.Attribute) and shape.attr.value == "shape") or (
                        isinstance(shape, cst.Call) and isinstance(shape.func, cst.Attribute) and shape.func.attr.value == "get_shape"):
                    raise Unsupported(n, "`shape[i].value`: TF1 Dimension objects; with TF2 behaviour shapes hold ints (drop `.value`)")

    def queue_recipe(self, refs: list[tuple[cst.CSTNode, str]]) -> str:
        """What to write instead of the queue pipeline this file builds, from its calls."""
        calls: dict[str, cst.Call] = {}
        for n in walk(self.module):
            if isinstance(n, cst.Call):
                r = self.call_rest(n)
                if r is not None and r not in calls:
                    calls[r] = n
        names = {r for _, r in refs}

        def arg(r: str, params: list[str], name: str, default: str) -> str:
            c = calls.get(r)
            a = _args_map_loose(c, params).get(name) if c is not None else None
            return self.code(a.value) if a is not None else default

        steps: list[str] = []
        if "train.string_input_producer" in calls:
            files = arg("train.string_input_producer", ["string_tensor", "num_epochs", "shuffle"], "string_tensor", "filenames")
            if "TFRecordReader" in names:
                steps.append(f"dataset = tf.data.TFRecordDataset({files})")
            elif "FixedLengthRecordReader" in names:
                steps.append(f"dataset = tf.data.FixedLengthRecordDataset({files}, record_bytes)")
            elif "WholeFileReader" in names:
                steps.append(f"dataset = tf.data.Dataset.from_tensor_slices({files}).map(tf.io.read_file)")
            else:
                steps.append(f"dataset = tf.data.TextLineDataset({files})")
            shuffle = arg("train.string_input_producer", ["string_tensor", "num_epochs", "shuffle"], "shuffle", "True")
            epochs = arg("train.string_input_producer", ["string_tensor", "num_epochs", "shuffle"], "num_epochs", "None")
            if shuffle != "False":
                steps.append("(files were shuffled: shuffle the file list first)")
            steps.append("dataset = dataset.repeat()" if epochs == "None" else f"dataset = dataset.repeat({epochs})")
        elif "train.slice_input_producer" in calls:
            tensors = arg("train.slice_input_producer", ["tensor_list", "num_epochs", "shuffle"], "tensor_list", "tensors")
            steps.append(f"dataset = tf.data.Dataset.from_tensor_slices(tuple({tensors}))")
            epochs = arg("train.slice_input_producer", ["tensor_list", "num_epochs", "shuffle"], "num_epochs", "None")
            steps.append("dataset = dataset.repeat()" if epochs == "None" else f"dataset = dataset.repeat({epochs})")
        if "decode_csv" in calls or "io.decode_csv" in calls:
            key = "decode_csv" if "decode_csv" in calls else "io.decode_csv"
            defaults = arg(key, ["records", "record_defaults"], "record_defaults", "record_defaults")
            steps.append(f"dataset = dataset.map(lambda line: tf.io.decode_csv(line, record_defaults={defaults}))  # then stack/split the columns as before")
        for key in ("parse_single_example", "io.parse_single_example"):
            if key in calls:
                feats = arg(key, ["serialized", "features"], "features", "features")
                steps.append(f"dataset = dataset.map(lambda record: tf.io.parse_single_example(record, {feats}))")
        if "train.shuffle_batch" in calls:
            bs = arg("train.shuffle_batch", ["tensors", "batch_size", "capacity", "min_after_dequeue"], "batch_size", "batch_size")
            mad = arg("train.shuffle_batch", ["tensors", "batch_size", "capacity", "min_after_dequeue"], "min_after_dequeue", "buffer")
            steps.append(f"dataset = dataset.shuffle({mad}).batch({bs})")
        elif "train.batch" in calls:
            bs = arg("train.batch", ["tensors", "batch_size"], "batch_size", "batch_size")
            steps.append(f"dataset = dataset.batch({bs})")
        steps.append("iterate it in Python (`for batch in dataset:` or `it = iter(dataset)` + `next(it)` per step, "
                     "StopIteration instead of OutOfRangeError) and drop the Coordinator, start_queue_runners and "
                     "local_variables_initializer")
        return "write: " + "; ".join(steps)

    # units -------------------------------------------------------------------------------
    def build_units(self) -> None:
        _train_helpers.find_inlined(self)
        mod = Unit("<module>", self.module, self.flat(list(self.module.body)))
        mod.locals = set(self.ctx.aliases.bindings) | bound_in(self.module)
        self.module_unit = mod
        self.units["<module>"] = mod
        for stmt in self.module.body:
            if isinstance(stmt, cst.FunctionDef) and (stmt.name.value in self.models or id(stmt) in self.model_nodes):
                continue  # TF2130 makes it a Keras layer (or inlines the variable helper); its calls are calls of that object
            if isinstance(stmt, cst.FunctionDef) and id(stmt) in self.plan.splice_fns:
                continue  # a train helper: its statements are its caller's (_train_helpers.py)
            if isinstance(stmt, cst.FunctionDef):
                self.functions[stmt.name.value] = stmt
                body = self.flat(list(stmt.body.body) if isinstance(stmt.body, cst.IndentedBlock) else [])
                u = Unit(stmt.name.value, stmt, body)
                u.locals = function_locals(stmt)
                for st in stmt.body.body if isinstance(stmt.body, cst.IndentedBlock) else []:
                    if id(st) in self.inlined:
                        u.locals |= function_locals(self.inlined[id(st)][0])
                self.units[stmt.name.value] = u
            elif isinstance(stmt, cst.ClassDef):
                for node, r in self.tf_refs(stmt):
                    if r in SESSIONS or r in PLACEHOLDERS or r == "get_default_session":
                        raise Unsupported(node, "a class uses sessions or placeholders; only module-level code and functions are converted")
        for u in self.units.values():
            self.classify(u)
        # nested functions / lambdas must not touch sessions or graph names
        for u in self.units.values():
            if u.is_module:
                continue
            for n in walk(u.node.body):
                if isinstance(n, (cst.FunctionDef, cst.Lambda, cst.ClassDef)) \
                        and not (isinstance(n, cst.Lambda) and id(n) in self.cf_callables):
                    inner_names = names_used(n)
                    graphy = inner_names & u.graph_names
                    if graphy:
                        raise Unsupported(n, f"a nested function uses graph tensors or the session ({', '.join(sorted(graphy))}); not converted")

    def classify(self, u: Unit) -> None:
        for i, stmt in enumerate(u.body):
            s = _cf.classify_block(self, u, i, stmt) or self.classify_stmt(u, i, stmt)
            moved = getattr(self, "moved_uses", {}).get(id(stmt))  # (names read elsewhere, names read here): _rnn_stacked.py
            if moved is not None:
                s.uses = (set(s.uses) - moved[0]) | moved[1]
            u.stmts.append(s)
            if s.kind not in NOT_GRAPH:
                u.graph_names |= set(s.defines)
        _cf.accumulators(self, u)
        for s in u.stmts:
            if s.kind == T and not s.dynamic_reason:
                self.decide_static(u, s)

    def classify_stmt(self, u: Unit, i: int, stmt: cst.BaseStatement) -> Stmt:
        if id(stmt) in self.queue_stmts:
            return Stmt(i, stmt, PY)  # a coordinator statement, removed (_queues.py)
        if id(stmt) in self.metric_lines:
            return Stmt(i, stmt, PY)  # becomes the Keras metric object, created once
        if id(stmt) in self.metric_synthetic:
            ml = self.metric_lines[id(self.metric_synthetic[id(stmt)])]
            small = only_small(stmt)
            value = small.value  # type: ignore[union-attr]
            if stmt is ml.update_line:  # type: ignore[attr-defined]
                return Stmt(i, stmt, T, (ml.update,), names_used(value), value,  # type: ignore[attr-defined]
                            dynamic_reason="updates a Keras metric")
            return Stmt(i, stmt, T, (ml.value,), names_used(value), value,  # type: ignore[attr-defined]
                        dynamic_reason="reads a Keras metric")
        if id(stmt) in self.update_stmts:
            small = only_small(stmt)
            assert isinstance(small, cst.Assign)
            return Stmt(i, stmt, UPDATES, tuple(target_names(small.targets[0].target) or ()), set(), small.value)
        small = only_small(stmt)
        if small is None:
            return Stmt(i, stmt, PY)
        if isinstance(small, cst.Expr):
            r = self.call_rest(small.value)
            if r in DISABLES:
                return Stmt(i, stmt, DISABLE)
            if r == SEED:
                return Stmt(i, stmt, SEEDING)
            if r in SUMMARY_OPS:
                return Stmt(i, stmt, SUMM, (), names_used(small.value), small.value)
            return Stmt(i, stmt, PY, uses=names_used(small.value))
        if isinstance(small, cst.Assign):
            if len(small.targets) != 1:
                return Stmt(i, stmt, PY, uses=names_used(small.value))
            names = target_names(small.targets[0].target)
            value = small.value
        elif isinstance(small, cst.AugAssign) and isinstance(small.target, cst.Name):
            names = [small.target.value]
            value = small.value
            s = Stmt(i, stmt, PY, tuple(names), names_used(value) | {small.target.value}, value)
            s.kind = T if (s.uses & u.graph_names) or self.has_tf_call(value) else PY
            if s.kind == T:
                return s
            s.defines = tuple(names)
            return s
        elif isinstance(small, cst.AnnAssign) and small.value is not None:
            names = target_names(small.target)
            value = small.value
        else:
            return Stmt(i, stmt, PY)
        if names is None:
            return Stmt(i, stmt, PY, uses=names_used(value))
        uses = names_used(value)
        if id(value) in self.scope_copy_calls:  # a tf.group of assigns built by a copy helper (_collections.py)
            return Stmt(i, stmt, T, tuple(names), uses, value, dynamic_reason="assigns variables")
        if id(stmt) in self.inline_layer_lines:  # the call of a Keras layer object created once
            return Stmt(i, stmt, T, tuple(names), uses, value, dynamic_reason="calls a Keras layer")
        if len(names) == 1 and self.is_feed_literal(u, value):
            return Stmt(i, stmt, FEED, tuple(names), uses, value)
        if any(isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value in ("run", "eval")
               for n in walk(value)):
            return Stmt(i, stmt, PY, tuple(names), uses, value)  # consumes results of a run
        r = self.call_rest(value)
        if r in PLACEHOLDERS and len(names) == 1:
            return Stmt(i, stmt, P, tuple(names), uses, value)
        if r in SESSIONS or r == "get_default_session":
            return Stmt(i, stmt, SESS, tuple(names), uses, value)
        if r in INITIALIZERS:
            return Stmt(i, stmt, INIT, tuple(names), uses, value)
        if r == "ConfigProto" or r == "GPUOptions":
            return Stmt(i, stmt, CONFIG, tuple(names), uses, value)
        if optimizer_params(r) is not None:
            return Stmt(i, stmt, OPT, tuple(names), uses, value)
        if r == SAVER:
            return Stmt(i, stmt, SAVE, tuple(names), uses, value)
        if r in SCHEDULES:
            return Stmt(i, stmt, SCHED, tuple(names), uses, value)
        if self.one_shot(value) is not None or id(stmt) in self.init_iter_stmts:
            return Stmt(i, stmt, ITER, tuple(names), uses, value)
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value == "get_next" \
                and not value.args:
            recv = value.func.value
            if isinstance(recv, cst.Name):
                it = u.reaching(recv.value, i) if recv.value in u.graph_names else None
                if it is not None and it.kind == ITER:
                    return Stmt(i, stmt, NEXT, tuple(names), uses, value)
            elif self.one_shot(recv) is not None:
                return Stmt(i, stmt, NEXT, tuple(names), uses, value)
        if self.input_fn_call(value) is not None:
            return Stmt(i, stmt, NEXT, tuple(names), uses, value)
        if self.is_dataset(u, value):
            return Stmt(i, stmt, DATA, tuple(names), uses, value)
        if r in SUMMARY_OPS:
            return Stmt(i, stmt, SUMM, tuple(names), uses, value)
        if r in MERGES:
            return Stmt(i, stmt, MERGE, tuple(names), uses, value)
        if r == WRITER:
            return Stmt(i, stmt, WRITE, tuple(names), uses, value)
        if _optimize_loss.is_optimize_loss(self, value) or (
                isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value in ("minimize", "apply_gradients")):
            return Stmt(i, stmt, TRAIN, tuple(names), uses, value)
        if any(isinstance(n, cst.Attribute) and n.attr.value == "compute_gradients" for n in walk(value)):
            return Stmt(i, stmt, GRADS, tuple(names), uses, value)
        if set(names) & self.applied_names(u) and any(
                isinstance(n, cst.Call) and self.call_rest(n) == "gradients" for n in walk(value)):
            # `grads = tf.gradients(loss, tvars)` whose result an apply_gradients applies
            return Stmt(i, stmt, GRADS, tuple(names), uses, value)
        if self.makes_variables(value) or self.calls_variable_maker(value):
            return Stmt(i, stmt, V, tuple(names), uses, value)
        graph = {n for n in uses & u.graph_names}
        if self.module_unit is not None and u is not self.module_unit:
            graph |= uses & self.module_graph_names(u)
        kinds = {self.kind_of(u, n, i) for n in graph}
        if kinds - {V} or self.has_tf_call(value) or (kinds and self.arithmetic_on(value, graph)):
            return Stmt(i, stmt, T, tuple(names), uses, value)
        # only attribute/method use of variables (`model.trainable_weights`): Python
        return Stmt(i, stmt, PY, tuple(names), uses, value)

    def one_shot(self, value: cst.BaseExpression | None) -> cst.BaseExpression | None:
        """The dataset of `ds.make_one_shot_iterator()` / `tf.data.make_one_shot_iterator(ds)`."""
        if not isinstance(value, cst.Call):
            return None
        if isinstance(value.func, cst.Attribute) and value.func.attr.value == "make_one_shot_iterator" and not value.args:
            return value.func.value
        if self.call_rest(value) == "data.make_one_shot_iterator":
            a = _args_map_loose(value, ["dataset"]).get("dataset")
            return a.value if a is not None and len(value.args) == 1 else None
        return None

    def is_dataset(self, u: Unit, value: cst.BaseExpression | None) -> bool:
        """`tf.data.Dataset.from_tensor_slices(a).shuffle(8, seed=0).batch(4)` over Python
        values (or a dataset of this function): a chain of method calls whose root is
        tf.data."""
        node = value
        while isinstance(node, (cst.Call, cst.Attribute)):
            if isinstance(node, cst.Attribute):
                r = self.rest(node)
                if r is not None and r.startswith("data."):
                    break
                node = node.value
            else:
                node = node.func
        else:
            if not (isinstance(node, cst.Name) and isinstance(value, cst.Call)):
                return False
            d = u.reaching(node.value, 10**9)
            if d is None or d.kind != DATA:
                return False
        if not isinstance(value, cst.Call) or value is node:
            return False
        for name in names_used(value):
            g = self.graph_kind(u, name, 10**9) if name in u.graph_names else None
            if g is not None and g.kind == P and self.init_iter_stmts:
                self.fed_data.add(id(value))  # an initializable iterator's pipeline (checked in initializable_functions)
                continue
            d = u.reaching(name, 10**9) if self.fed_data else None
            if d is not None and d.kind == DATA and id(d.value) in self.fed_data:
                self.fed_data.add(id(value))  # a pipeline continued from one built from placeholders
                continue
            if g is not None and g.kind not in (DATA,) and not (g.kind == T and g.static):
                raise Unsupported(value, f"a tf.data pipeline built from the graph object `{name}` ({g.kind}): an initializable iterator's job; not converted")
        return True

    def kind_of(self, u: Unit, name: str, before: int) -> str:
        s = u.reaching(name, before) if name in u.graph_names else None
        if s is None and self.module_unit is not None and u is not self.module_unit:
            s = self.module_unit.reaching(name, len(self.module_unit.body) + 1)
        return s.kind if s is not None else PY

    def is_feed_literal(self, u: Unit, value: cst.BaseExpression) -> bool:
        """`{x: xs, y: ys}` with placeholders as keys (a feed_dict built before the run)."""
        if not isinstance(value, cst.Dict) or not value.elements:
            return False
        for el in value.elements:
            if not isinstance(el, cst.DictElement) or not isinstance(el.key, cst.Name):
                return False
            key = el.key.value
            s = u.reaching(key, len(u.body) + 1) if key in u.graph_names else None
            if s is None and self.module_unit is not None and u is not self.module_unit and key not in u.locals:
                s = self.module_unit.reaching(key, len(self.module_unit.body) + 1)
            if s is None or s.kind != P:
                return False
        return True

    def module_graph_names(self, u: Unit) -> set[str]:
        mod = self.module_unit
        if mod is None:
            return set()
        return {n for n in mod.graph_names if n not in u.locals}

    def has_tf_call(self, node: cst.CSTNode) -> bool:
        for n in walk(node):
            if isinstance(n, cst.Call) and not any(n is c for c in self.variable_reads):  # a Python list of variables
                r = self.rest(n.func)
                if r is not None and not any(r == p or r.startswith(p + ".") for p in NOT_OPS):
                    return True
        return False

    @staticmethod
    def arithmetic_on(node: cst.CSTNode, names: set[str]) -> bool:
        """Whether the expression computes with one of `names` directly (`W * x + b`,
        `-w`, `w[0] + 1`): arithmetic on a variable builds a tensor."""
        def direct(e: cst.CSTNode) -> bool:
            while isinstance(e, cst.Subscript):
                e = e.value
            return isinstance(e, cst.Name) and e.value in names
        for n in walk(node):
            if isinstance(n, cst.BinaryOperation) and (direct(n.left) or direct(n.right)):
                return True
            if isinstance(n, cst.UnaryOperation) and direct(n.expression):
                return True
            if isinstance(n, cst.Comparison) and (direct(n.left) or any(direct(c.comparator) for c in n.comparisons)):
                return True
        return False

    def applied_names(self, u: Unit) -> set[str]:
        """The names whose values flow (through top-level assignments of the unit) into the
        arguments of an `apply_gradients` call of the unit."""
        cache = getattr(self, "_applied", None)
        if cache is None:
            cache = self._applied = {}
        if id(u) in cache:
            return cache[id(u)]  # type: ignore[no-any-return]
        flow: set[str] = set()
        for st in reversed(u.body):
            small = only_small(st)
            if small is None:
                continue
            value = getattr(small, "value", None)
            if value is None:
                continue
            for n in walk(value):
                if isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value == "apply_gradients":
                    for a in n.args:
                        flow |= names_used(a.value)
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                defined = target_names(small.targets[0].target) or []
                if set(defined) & flow:
                    flow |= names_used(value)
        cache[id(u)] = flow
        return flow

    def makes_variables(self, node: cst.CSTNode) -> bool:
        for n in walk(node):
            if isinstance(n, cst.Call):
                r = self.rest(n.func)
                if r is not None and any(r == m or (m.endswith(".") and r.startswith(m)) for m in VARIABLE_MAKERS) \
                        and id(n) not in getattr(self, "pure_calls", ()):
                    return True
        return False

    def calls_variable_maker(self, node: cst.CSTNode) -> bool:
        """A call of a function of this file that creates variables (`weight_variable(shape)`)."""
        for n in walk(node):
            if isinstance(n, cst.Call) and isinstance(n.func, cst.Name) and n.func.value in self.functions_by_name:
                if self.makes_variables(self.functions_by_name[n.func.value].body):
                    return True
        return False

    def is_random(self, r: str) -> bool:
        low = r.lower()
        return any(w in low for w in RANDOM_WORDS) and r != SEED

    def graph_kind(self, u: Unit, name: str, before: int) -> Stmt | None:
        """The graph statement `name` refers to at top-level index `before` of unit `u`
        (the module's when `u` does not bind it)."""
        if name in u.locals or u.is_module:
            s = u.reaching(name, before)
            if s is None or s.kind in NOT_GRAPH:
                return None
            return s
        mod = self.module_unit
        assert mod is not None
        s = mod.reaching(name, len(mod.body) + 1)
        if s is None or s.kind in NOT_GRAPH:
            return None
        return s

    def owner(self, u: Unit, name: str) -> Unit:
        if name in u.locals or u.is_module:
            return u
        assert self.module_unit is not None
        return self.module_unit

    def decide_static(self, u: Unit, s: Stmt) -> None:
        assert s.value is not None
        for name in s.uses:
            dep = self.graph_kind(u, name, s.index)
            if dep is None:
                if _cf.python_holds_variables(self, u, name, s.index):
                    s.dynamic_reason = f"reads the variables in `{name}`"
                    return
                continue
            if dep.kind in (P, V, NEXT, GRADS, SCHED):
                s.dynamic_reason = f"reads `{name}`"
                return
            if dep.kind == T and not dep.static:
                s.dynamic_reason = f"uses `{name}`"
                return
            if dep.kind not in (T,):
                raise Unsupported(s.node, f"`{name}` ({dep.kind}) is used to build a tensor; not converted")
        for n in walk(s.value):
            if isinstance(n, cst.Call) and not self.models and any(n is c for c in self.variable_reads):
                # a plain read -> `[w1, b1, ...]` (_collections._plan_plain_reads): reads the variables
                s.dynamic_reason = "reads the variables of a TRAINABLE_VARIABLES read"
                return
            if isinstance(n, cst.Call) and id(n) in self.reg_sums:
                # `tf.add_n(obj.losses)`: Keras computes them from the current weights on each call
                s.dynamic_reason = "reads the Keras objects' regularization losses"
                return
            if isinstance(n, cst.Call):
                r = self.rest(n.func)
                if r is None:
                    f = n.func
                    if isinstance(f, cst.Name) and f.value in BUILTINS and f.value not in ("print", "input", "open", "exec", "eval"):
                        continue
                    d = dotted_name(f)
                    q = self.ctx.qname(f) if d else None
                    if q is not None and (q == "numpy" or q.startswith("numpy.")) and "random" not in q:
                        continue
                    s.dynamic_reason = "calls a Python function"
                    return
                if self.is_random(r) or r.startswith("assign") or r in ("Variable",):
                    s.dynamic_reason = f"`tf.{r}` is random or stateful"
                    return
        s.static = True

    # model functions restructured by TF2130 ----------------------------------------------
    def find_models(self) -> None:
        """The model functions TF2130 turns into Keras objects in this pass. Their calls
        are calls of an object created once (its variables are made by its first call and
        owned by it), so they are graph statements like any other; the functions
        themselves are TF2130's and are not analysed here."""
        if not self.ctx.state.get("tf2130-enabled"):
            return  # TF2130 is not part of this run: model functions stay TF1 (rejected below)
        from types import SimpleNamespace

        from rules.tf1_to_tf2._model import model_plans

        mp = model_plans(SimpleNamespace(ctx=self.ctx, qname=self.ctx.qname))
        if not mp.plans and not mp.rejected:
            return
        if any(self.ctx._is_suppressed("TF2130", self.ctx.range_of(p.node)) for p in mp.plans.values()):
            return  # TF2130 leaves the file alone
        for name, (fn, why, _model_like) in mp.rejected.items():
            for n in walk(fn):
                self.model_refused[id(n)] = (name, why)
        self.models = dict(mp.plans)
        for name, fp in self.models.items():
            self.model_nodes |= {id(n) for n in walk(fp.node)}  # type: ignore[attr-defined]
            self.functions_by_name.pop(name, None)
        # variable helpers inlined at every call (TF2130 removes them with its classes)
        for name in mp.factories_gone:
            self.model_nodes |= {id(n) for n in walk(mp.factories[name].node)}
            self.functions_by_name.pop(name, None)

    def model_idioms(self) -> None:
        """The TF1 collection idioms that mean the same with Keras objects:
        `update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)` used only by `with
        tf.control_dependencies(update_ops):` blocks of plain statements (Keras batch
        normalization updates its moving statistics in `call(training=True)`; which runs
        may do so is checked in check_model_calls), and `minimize(..., var_list=
        tf.trainable_variables())` (the variables the tape watches)."""
        counts: dict[str, int] = {}
        for n in walk(self.module):
            if isinstance(n, cst.Name) and id(n) not in self.model_nodes:
                counts[n.value] = counts.get(n.value, 0) + 1
        bodies = [list(self.module.body)] + [
            list(f.body.body) for f in self.module.body
            if isinstance(f, cst.FunctionDef) and f.name.value not in self.models and isinstance(f.body, cst.IndentedBlock)]
        for body in bodies:
            for st in body:
                small = only_small(st)
                if not (isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name)):
                    continue
                call = small.value
                if not (isinstance(call, cst.Call) and self.call_rest(call) == "get_collection" and len(call.args) == 1
                        and call.args[0].keyword is None and self.rest(call.args[0].value) == "GraphKeys.UPDATE_OPS"):
                    continue
                name = small.targets[0].target.value
                withs = []
                for w in body:
                    if not (isinstance(w, cst.With) and len(w.items) == 1 and isinstance(w.items[0].item, cst.Call)):
                        continue
                    dep = w.items[0].item
                    if self.call_rest(dep) == "control_dependencies" and len(dep.args) == 1 and dep.args[0].keyword is None \
                            and isinstance(dep.args[0].value, cst.Name) and dep.args[0].value.value == name \
                            and w.items[0].asname is None and isinstance(w.body, cst.IndentedBlock) \
                            and all(isinstance(b, cst.SimpleStatementLine) for b in w.body.body):
                        withs.append(w)
                counted = _introspection.update_counts(self, body, st, name)  # `len(update_ops)` reads
                if not withs or counts.get(name, 0) != 1 + len(withs) + len(counted):
                    continue  # the list is used for something else: rejected below
                self.update_counts.extend(counted)
                self.allowed_refs |= {id(call.func), id(call.args[0].value)}
                self.update_stmts.add(id(st))
                for w in withs:
                    self.allowed_refs.add(id(w.items[0].item.func))  # type: ignore[attr-defined]
                    self.update_withs.add(id(w))
                    self.update_trains |= {id(b) for b in w.body.body}  # type: ignore[union-attr]
        for n in walk(self.module):
            if isinstance(n, cst.Call) and not n.args and id(n) not in self.model_nodes \
                    and self.call_rest(n) == REGULARIZATION_SUM:
                self.reg_sums[id(n)] = n
                self.allowed_refs.add(id(n.func))
            # tf.add_n(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)) (what
            # get_regularization_loss computes), also of tf.losses.get_regularization_losses()
            if isinstance(n, cst.Call) and id(n) not in self.model_nodes and self.call_rest(n) == "add_n" \
                    and len(n.args) == 1 and n.args[0].keyword is None and isinstance(n.args[0].value, cst.Call):
                inner = n.args[0].value
                r = self.call_rest(inner)
                key = inner.args[0].value if len(inner.args) == 1 and inner.args[0].keyword is None else None
                if (r == "get_collection" and key is not None and self.rest(key) == "GraphKeys.REGULARIZATION_LOSSES") \
                        or (r == "losses.get_regularization_losses" and not inner.args):
                    self.reg_sums[id(n)] = n
                    self.allowed_refs |= {id(inner.func)} | ({id(key)} if key is not None else set())
            if isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value == "minimize" \
                    and id(n) not in self.model_nodes:
                for a in n.args:
                    if a.keyword is not None and a.keyword.value == "var_list" and isinstance(a.value, cst.Call) \
                            and not a.value.args and self.call_rest(a.value) in ALL_VARIABLES:
                        self.all_var_lists.add(id(a.value))
                        self.allowed_refs.add(id(a.value.func))
        _coll.find_variable_reads(self)

    def regularization_sums(self) -> None:
        """`tf.losses.get_regularization_loss()` -> `tf.add_n(a.losses + b.losses)` over the
        objects (of TF2130) whose functions create regularized variables, or
        `tf.constant(0.0)` when none does (TF1's value for an empty collection). TF1 summed
        the collection of the variables created so far: every call of such a function must
        come before, in the same function."""
        if not self.reg_sums:
            return
        for fp in self.models.values():
            for n in walk(fp.node):  # type: ignore[attr-defined]
                if isinstance(n, cst.Arg) and n.keyword is not None and n.keyword.value == "activity_regularizer" \
                        and not (isinstance(n.value, cst.Name) and n.value.value == "None"):
                    raise Unsupported(n, "an activity regularizer: TF1 added its loss on every call, Keras keeps the last call's; not converted")
        names = self.instance_names()
        parts: list[str] = []
        for name, fp in self.models.items():
            if not fp.instances or not self.regularized(fp):  # type: ignore[attr-defined]
                continue
            parts += [f"{inst}.losses" for inst in names[name]]
        for call in self.reg_sums.values():
            stmt = self.find_stmt(call)
            u = next((u for u in self.units.values() if any(s.node is stmt for s in u.stmts)), None)
            if u is None:
                raise Unsupported(call, "`tf.losses.get_regularization_loss()` inside a block or helper; not converted")
            at = next(s.index for s in u.stmts if s.node is stmt)
            for name, fp in self.models.items():
                if not fp.instances or not self.regularized(fp):  # type: ignore[attr-defined]
                    continue
                for ext in fp.external:  # type: ignore[attr-defined]
                    home = self.find_stmt(ext)
                    idx = next((s.index for s in u.stmts if s.node is home), None)
                    if idx is None or idx >= at:
                        raise Unsupported(call, f"`tf.losses.get_regularization_loss()` and a call of `{name}` that is not before it in "
                                                "the same function: TF1 summed the losses of the variables created so far; not converted")
            if not parts and self.call_rest(call) == "add_n":
                raise Unsupported(call, "`tf.add_n` of an empty REGULARIZATION_LOSSES collection (an error in TF1); not converted")
            code = f"{tf_root(self.ctx)}.add_n({' + '.join(parts)})" if parts else f"{tf_root(self.ctx)}.constant(0.0)"
            self.plan.call_builders[id(call)] = _code_builder(code)
            self.plan.dropped.append(call)
        # `obj.losses` is empty until the object's first call builds its weights: a run
        # that reads the sum must call the regularized objects itself
        regularized = {name for name, fp in self.models.items() if fp.instances and self.regularized(fp)}  # type: ignore[attr-defined]
        for v in self.variants:
            members = list(v.members) + (list(v.helper.members) if v.helper is not None else [])
            values = [m.value for m in members if m.value is not None]
            reads = [n for val in values for n in walk(val) if isinstance(n, cst.Call) and id(n) in self.reg_sums]
            if reads and regularized and not any(isinstance(n, cst.Call) and isinstance(n.func, cst.Name) and n.func.value in regularized
                                                 for val in values for n in walk(val)):
                raise Unsupported(reads[0], "a run fetches the regularization sum without calling the model "
                                            f"({', '.join(f'`{r}`' for r in sorted(regularized))}): the Keras objects' `.losses` are empty "
                                            "until their first call builds the weights; fetch it with the loss; not converted")

    def regularized(self, fp) -> bool:  # type: ignore[no-untyped-def]
        """Whether the function (or one it calls) creates a variable with a regularizer."""
        for n in walk(fp.node):
            if isinstance(n, cst.Arg) and n.keyword is not None and "regularizer" in n.keyword.value \
                    and not (isinstance(n.value, cst.Name) and n.value.value == "None"):
                return True
            if isinstance(n, cst.Call) and self.call_rest(n) == "get_variable" and len([a for a in n.args if a.keyword is None]) > 4:
                return True  # a positional regularizer
            if isinstance(n, cst.Call) and isinstance(n.func, cst.Name) and n.func.value in self.models \
                    and n.func.value != fp.name and self.regularized(self.models[n.func.value]):
                return True
        return False

    def instance_names(self) -> dict[str, list[str]]:
        """The names TF2130 gives the objects it makes (VariableScopeModule._instances, after
        its class names): the same choices in the same order."""
        from rules.tf1_to_tf2.variable_scope_module import _KERAS_NAMES

        taken: set[str] = set()
        for fp in self.models.values():
            cls = fp.cls  # type: ignore[attr-defined]
            while self.ctx.aliases.is_bound(cls) or cls in taken or cls in _KERAS_NAMES:
                cls += "Layer"
            taken.add(cls)
        out: dict[str, list[str]] = {}
        for name, fp in self.models.items():
            base = f"{fp.name}_layer"  # type: ignore[attr-defined]
            out[name] = []
            for i, _key in enumerate(fp.instances):  # type: ignore[attr-defined]
                inst = base if i == 0 else f"{base}_{i}"
                while self.ctx.aliases.is_bound(inst) or inst in taken:
                    inst += "_"
                taken.add(inst)
                out[name].append(inst)
        return out

    # input functions --------------------------------------------------------------------
    def find_input_fns(self) -> None:
        """Module-level functions that build a tf.data pipeline over their arguments and
        return the next element of a one-shot iterator over it (`return
        iterator.get_next()`), called only as `x, y = input_fn(...)` statements. In TF1
        each call built a new iterator whose element tensors draw the next element on
        every run that needs them: the function returns the iterator instead (`iterator
        = iter(dataset)`, `return iterator`), the call binds it, and the converted runs
        draw from it as for an iterator built in place. What the function may contain is
        checked in rewrite_input_fn (a dataset pipeline and Python values only)."""
        uses: dict[str, list[cst.Name]] = {}
        for n in walk(self.module):
            if isinstance(n, cst.Name):
                uses.setdefault(n.value, []).append(n)
        for fn in self.module.body:
            if not isinstance(fn, cst.FunctionDef) or fn.name.value in self.models or fn.name.value in self.queue_fns or not isinstance(fn.body, cst.IndentedBlock):
                continue
            body = list(fn.body.body)
            last = only_small(body[-1]) if body else None
            if not (isinstance(last, cst.Return) and isinstance(last.value, cst.Call) and not last.value.args
                    and isinstance(last.value.func, cst.Attribute) and last.value.func.attr.value == "get_next"):
                continue
            recv = last.value.func.value
            if isinstance(recv, cst.Name):
                binds = [st for st in body if isinstance(only_small(st), cst.Assign)
                         and recv.value in (target_names(only_small(st).targets[0].target) or ())]  # type: ignore[union-attr]
                if len(binds) != 1 or self.one_shot(only_small(binds[0]).value) is None:  # type: ignore[union-attr]
                    continue
            elif self.one_shot(recv) is None:
                continue
            if sum(1 for n in walk(fn.body) if isinstance(n, (cst.Return, cst.Yield, cst.FunctionDef, cst.Lambda, cst.ClassDef))) != 1:
                continue
            calls = [n for n in uses.get(fn.name.value, []) if n is not fn.name]
            if calls and all(self.input_fn_site(n) for n in calls):
                self.input_fns[fn.name.value] = fn

    def input_fn_site(self, name: cst.Name) -> bool:
        """`x, y = f(...)` / `el = f(...)`: a top-level statement of the module or of a
        module-level function, the call's arguments without starred ones."""
        chain = list(self.ancestors(name))
        if len(chain) < 5:
            return False
        call, assign, line, block = chain[1], chain[2], chain[3], chain[4]
        if not (isinstance(call, cst.Call) and call.func is name and isinstance(assign, cst.Assign) and assign.value is call
                and len(assign.targets) == 1 and target_names(assign.targets[0].target) is not None
                and isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1
                and not any(a.star for a in call.args)):
            return False
        if isinstance(block, cst.Module):
            return True
        return isinstance(block, cst.IndentedBlock) and len(chain) > 6 and isinstance(chain[5], cst.FunctionDef) \
            and isinstance(chain[6], cst.Module)

    def input_fn_call(self, value: cst.BaseExpression | None) -> str | None:
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value in self.input_fns:
            return value.func.value
        return None

    def rewrite_input_fn(self, u: Unit) -> None:
        if u.name in self.queue_fns:
            return  # rebuilt whole as a tf.data pipeline (_queues.py)
        plan = self.plan
        fn = self.input_fns[u.name]
        for s in u.stmts:
            if s.kind == ITER:
                plan.stmt_builders[id(s.node)] = _iterator_builder("")
                plan.dropped.append(s.value)  # type: ignore[arg-type]
            elif s.kind not in (DATA, PY):
                raise Unsupported(s.node, f"`{u.name}()` returns dataset elements but also builds a {s.kind}; not converted")
            elif s.kind == PY and s.value is not None and self.has_tf_call(s.value):
                raise Unsupported(s.node, f"`{u.name}()` returns dataset elements but also computes with TensorFlow "
                                          "outside its dataset; not converted")
        for top, st in enumerate(u.body):
            if not isinstance(st, cst.SimpleStatementLine):
                for n in walk(st):
                    if isinstance(n, cst.Name) and n.value in u.graph_names:
                        raise Unsupported(st, f"`{u.name}()` uses its dataset under Python control flow; not converted")
        ret = only_small(u.body[-1])
        assert isinstance(ret, cst.Return) and isinstance(ret.value, cst.Call) and isinstance(ret.value.func, cst.Attribute)
        recv = ret.value.func.value
        plan.call_builders[id(ret.value)] = _returned_iterator
        plan.dropped.append(ret.value)
        if isinstance(recv, cst.Name):
            it = next(s for s in u.stmts if s.kind == ITER and recv.value in s.defines)
            ds = self.one_shot(it.value)
            trailing = isinstance(it.node, cst.SimpleStatementLine) and it.node.trailing_whitespace.comment is not None
            if len(it.defines) == 1 and isinstance(ds, cst.Name) and not trailing \
                    and sum(1 for n in walk(fn.body) if isinstance(n, cst.Name) and n.value == recv.value) == 2:
                # `iterator = iter(dataset)` + `return iterator` -> `return iter(dataset)`
                plan.stmt_builders.pop(id(it.node), None)
                plan.remove.add(id(it.node))
                plan.call_builders[id(ret.value)] = _code_builder(f"iter({ds.value})")

    # initializable iterators --------------------------------------------------------------
    def find_initializable(self) -> None:
        """`it = ds.make_initializable_iterator()` / `tf.data.make_initializable_iterator(ds)`
        (a top-level statement of a unit, `ds` a name) over a pipeline built from
        placeholders, re-initialised by `sess.run(it.initializer, feed_dict={...})`: the
        pipeline becomes a function of those placeholders (`make_dataset(...)`, returning
        the dataset), each initializer run `it = iter(make_dataset(<fed values>))`, and
        the runs that need `it.get_next()` draw from the iterator bound last, as TF1 drew
        from the iterator initialised last. Anything else keeps the refusal."""
        bodies = [list(self.module.body)] + [list(f.body.body) for f in self.module.body
                                             if isinstance(f, cst.FunctionDef) and f.name.value not in self.models
                                             and isinstance(f.body, cst.IndentedBlock)]
        for body in bodies:
            for st in body:
                small = only_small(st)
                if not (isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name)
                        and isinstance(small.value, cst.Call)):
                    continue
                call = small.value
                method = isinstance(call.func, cst.Attribute) and call.func.attr.value == "make_initializable_iterator" \
                    and not call.args and isinstance(call.func.value, cst.Name)
                function = self.call_rest(call) == "data.make_initializable_iterator" and len(call.args) == 1 \
                    and call.args[0].keyword in (None,) and isinstance(call.args[0].value, cst.Name)
                if not (method or function):
                    continue
                self.allowed_refs.add(id(call.func))
                self.init_iter_stmts.add(id(st))

    @staticmethod
    def init_iter_dataset(value: cst.BaseExpression | None) -> str:
        assert isinstance(value, cst.Call)
        if isinstance(value.func, cst.Attribute) and value.func.attr.value == "make_initializable_iterator":
            assert isinstance(value.func.value, cst.Name)
            return value.func.value.value
        arg = value.args[0].value
        assert isinstance(arg, cst.Name)
        return arg.value

    def initializable_functions(self) -> None:
        """The dataset function of each initializable iterator: the DATA statements its
        dataset comes from (a backward slice), moved into `make_<dataset>(<placeholders>)`."""
        if not self.init_iter_stmts:
            return
        plan = self.plan
        root = tf_root(self.ctx)
        in_chains: set[int] = set()
        for u in self.units.values():
            for it in u.stmts:
                if it.kind != ITER or id(it.node) not in self.init_iter_stmts:
                    continue
                ds = self.init_iter_dataset(it.value)
                chain: list[Stmt] = []
                todo = [(ds, it.index)]
                while todo:
                    name, before = todo.pop()
                    d = u.reaching(name, before)
                    if d is None or d.kind != DATA or id(d.value) not in self.fed_data:
                        raise Unsupported(it.node, f"an initializable iterator over `{name}`, which is not a tf.data pipeline "
                                                   "built from placeholders in the same function; not converted")
                    if d in chain:
                        continue
                    chain.append(d)
                    for n in d.uses:
                        g = u.reaching(n, d.index)
                        if g is not None and g.kind == DATA:
                            todo.append((n, d.index))
                chain.sort(key=lambda s: s.index)
                members = {id(m) for m in chain}
                # the pipeline's names are read by the chain and the iterator only
                for s in u.stmts:
                    if id(s) in members or s is it:
                        continue
                    for n in s.uses:
                        d = u.reaching(n, s.index)
                        if d is not None and id(d) in members:
                            raise Unsupported(s.node, f"the pipeline `{n}` of an initializable iterator is also used here; not converted")
                params: list[Param] = []
                for m in chain:
                    for n in sorted(m.uses, key=lambda n: self.code(m.value).find(n)):  # type: ignore[arg-type]
                        g = u.reaching(n, m.index) if n in u.graph_names else None
                        if g is not None and g.kind == P and all(p.stmt is not g for p in params):
                            if self.call_rest(g.value) != "placeholder":
                                raise Unsupported(g.node, "a placeholder_with_default feeding an initializable iterator; not converted")
                            params.append(Param(n, g))
                            self.dataset_params.add(id(g))
                if not params:
                    raise Unsupported(it.node, "an initializable iterator over a pipeline without placeholders; not converted")
                name = self.fresh(f"make_{ds}")
                helper = Helper(u, name, chain, params, [ds])
                helper.dtypes = {p.name: self.placeholder_dtype(p.stmt, root) for p in params}  # type: ignore[attr-defined]
                self.init_iters[(u.name, it.defines[0])] = helper
                plan.remove.add(id(it.node))
                plan.dropped.append(it.node)
                plan.inserts.setdefault(id(it.node), []).append(helper)  # type: ignore[arg-type]
                if u.is_module:
                    plan.module_level.add(id(it.node))
                for m in chain:
                    plan.remove.add(id(m.node))
                    plan.capture.add(id(m.node))
                    in_chains.add(id(m.value))
        for u in self.units.values():
            for s in u.stmts:
                if s.kind == DATA and id(s.value) in self.fed_data and id(s.value) not in in_chains:
                    raise Unsupported(s.node, f"`{', '.join(s.defines)}` is a tf.data pipeline built from placeholders that no "
                                              "initializable iterator consumes; not converted")

    def placeholder_dtype(self, p: Stmt, root: str) -> str:
        assert isinstance(p.value, cst.Call)
        a = _args_map_loose(p.value, ["dtype", "shape", "name"]).get("dtype")
        if a is None:
            return f"{root}.float32"
        r = self.rest(a.value)
        if r is None:
            raise Unsupported(p.node, "a placeholder feeding an initializable iterator with a computed dtype; not converted")
        return f"{root}.{r.replace('dtypes.', '')}"

    def iterator_init_site(self, u: Unit, line: cst.SimpleStatementLine, small: cst.BaseSmallStatement, sessions: set[str]) -> bool:
        """`sess.run(it.initializer, feed_dict={p: v, ...})` of an initializable iterator ->
        `it = iter(make_dataset(v, ...))`, the values in the function's parameter order."""
        if not self.init_iters or not (isinstance(small, cst.Expr) and isinstance(small.value, cst.Call)):
            return False
        call = small.value
        if self.run_kind(u, call, sessions) != "sess-run":
            return False
        fetches, feed = self.fetch_and_feed(call, "sess-run")
        if not (isinstance(fetches, cst.Attribute) and fetches.attr.value == "initializer" and isinstance(fetches.value, cst.Name)):
            return False
        it = fetches.value.value
        owner = u if it in u.locals or u.is_module else self.module_unit
        helper = self.init_iters.get((owner.name, it)) if owner is not None else None
        if helper is None:
            return False
        if owner is not u:
            raise Unsupported(call, f"the iterator `{it}` is initialised in another function than the one building it; not converted")
        if not isinstance(feed, cst.Dict):
            raise Unsupported(call, f"`{it}.initializer` run without a literal feed_dict; not converted")
        values: dict[str, cst.BaseExpression] = {}
        for el in feed.elements:
            if not isinstance(el, cst.DictElement) or not isinstance(el.key, cst.Name):
                raise Unsupported(call, f"`{it}.initializer` fed with keys that are not placeholder names; not converted")
            values[el.key.value] = el.value
        if set(values) != {p.name for p in helper.params}:
            raise Unsupported(call, f"`{it}.initializer` must feed exactly the placeholders of its pipeline "
                                    f"({', '.join(p.name for p in helper.params)}); not converted")
        for v in values.values():
            for n in walk(v):
                if isinstance(n, cst.Name) and self.graph_kind(u, n.value, 10**9) is not None:
                    raise Unsupported(v, f"`{it}.initializer` fed with the graph object `{n.value}`; not converted")
        order = [p.name for p in helper.params]
        self.plan.stmt_builders[id(line)] = _iterator_init_builder(it, helper.name, order)
        self.plan.dropped.append(call)
        self.handled_stmts.add(id(line))
        for sub in walk(call):
            self.handled_calls.add(id(sub))
        return True

    def datasets_are_v2(self) -> bool:
        """Whether every use of a method that only TF1's Dataset class has is in code this
        rewrite drops (the iterator statements it turns into `iter(dataset)`)."""
        members = ("make_one_shot_iterator", "make_initializable_iterator", "output_shapes", "output_types", "output_classes")
        gone = {id(n) for d in self.plan.dropped for n in walk(d)}
        gone |= {id(n) for u in self.units.values() for s in u.stmts if id(s.node) in self.plan.remove for n in walk(s.node)}
        for n in walk(self.module):
            if isinstance(n, cst.Attribute) and n.attr.value in members and id(n) not in gone:
                return False
        return True

    def flat(self, body: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
        """A unit's statements with the `with tf.control_dependencies(update_ops):` blocks
        of the update-ops idiom and the `with tf.variable_scope('s'):` blocks of
        straight-line code opened (the `with` goes, its statements stay)."""
        out: list[cst.BaseStatement] = []
        for st in body:
            if isinstance(st, cst.With) and (id(st) in self.update_withs or id(st) in self.scope_withs):
                self.plan.unwrap.add(id(st))
                self.plan.dropped.append(st.items[0])
                out.extend(self.flat(list(st.body.body)))  # type: ignore[arg-type]
            elif id(st) in self.inlined:  # a train helper's statements, at its call (_train_helpers.py)
                out.extend(self.flat(list(self.inlined[id(st)][1])))
            elif id(st) in self.metric_lines:  # the line stays (the metric object); update and result move
                ml = self.metric_lines[id(st)]
                for extra in (ml.update_line, ml.value_line):  # type: ignore[attr-defined]
                    self.metric_synthetic[id(extra)] = st
                out.extend([st, ml.update_line, ml.value_line])  # type: ignore[attr-defined]
            else:
                out.append(st)
                out.extend(_helper_summaries.synthetic(self, st))  # a model function's flag-guarded summaries
        return out

    def check_model_calls(self) -> None:
        """Each call of a Keras object made by TF2130 inside a generated function: its
        `training` must be a Python bool (Keras layers branch on it in Python), and batch
        normalization in training mode must happen exactly where TF1 ran its moving-average
        updates: in a train op under `tf.control_dependencies(update_ops)`, once per run."""
        from rules.tf1_to_tf2._model import bind_call

        modes: dict[str, set[bool]] = {}
        for v in self.variants:
            members = list(v.members) + (list(v.helper.members) if v.helper is not None else [])
            training = 0
            for m in members:
                if m.value is None:
                    continue
                for n in walk(m.value):
                    if not (isinstance(n, cst.Call) and isinstance(n.func, cst.Name) and n.func.value in self.models):
                        continue
                    fp = self.models[n.func.value]
                    mode = self.training_mode(n, fp, bind_call, v.consts)
                    if mode is None:
                        raise Unsupported(n, f"`{n.func.value}(...)` gets its training mode from a tensor or an expression: the "
                                             "Keras layers TF2130 makes take a Python bool (`training=True`/`False`); not converted")
                    modes.setdefault(n.func.value, set()).add(bool(mode))
                    if mode and self.model_has_bn(fp):
                        training += 1
                        if (v.train is None or id(v.train.node) not in self.update_trains) \
                                and not (v.train is None and _model_variables.last_unobserved_run(self, v)):
                            raise Unsupported(n, f"`{n.func.value}(...)` runs batch normalization in training mode in a run without "
                                                 "the train op that TF1 ran under `tf.control_dependencies(update_ops)`: Keras "
                                                 "updates the moving statistics on every call(training=True), TF1 only when the "
                                                 "update ops ran; not converted")
                        if any(s.kind == UPDATES and s.index < m.index for s in v.unit.stmts):
                            raise Unsupported(n, f"`{n.func.value}(...)` builds its batch normalization after "
                                                 "`tf.get_collection(tf.GraphKeys.UPDATE_OPS)` read the collection: TF1 ran "
                                                 "none of its moving-average updates, Keras would; not converted")
            if training > 1:
                raise Unsupported(v.train.node if v.train is not None else self.module,
                                  "batch normalization runs in training mode more than once in one run: TF1 computed every "
                                  "moving-average update from the old value, Keras applies them one after the other; not converted")
        _training_flags.check_fused_eval(self, modes)

    def training_mode(self, call: cst.Call, fp, bind_call, consts: dict[str, str] | None = None) -> bool | None:  # type: ignore[no-untyped-def]
        """True/False when the call's training mode is a literal (or fixed in the
        function, or a flag placeholder the run feeds a literal), None when it is computed."""
        if fp.training is None:
            return self.fixed_training(fp)
        binding = bind_call(call, fp)
        if binding is None:
            return None
        value = binding[fp.training].value if fp.training in binding else fp.training_default
        if value is None:
            return None
        if isinstance(value, cst.Name) and value.value in ("True", "False", "None"):
            return value.value == "True"
        if isinstance(value, cst.Name) and consts and value.value in consts:
            return consts[value.value] == "True"
        return None

    def fixed_training(self, fp) -> bool | None:  # type: ignore[no-untyped-def]
        """The training mode of a model function without a training parameter."""
        mode: bool | None = False
        for c in fp.creators:
            if c.kind == "sub":
                sub = self.models.get(c.fn)
                if sub is None or sub.training is not None:  # type: ignore[attr-defined]
                    return None
                inner = self.fixed_training(sub)
            elif c.training is None:
                continue
            elif isinstance(c.training, cst.Name) and c.training.value in ("True", "False", "None"):
                inner = c.training.value == "True"
            else:
                return None
            if inner is None:
                return None
            mode = mode or inner
        return mode

    def model_has_bn(self, fp) -> bool:  # type: ignore[no-untyped-def]
        for c in fp.creators:
            if (c.kind == "layer" and c.fn == "batch_normalization") or (c.kind == "slim" and (c.fn == "batch_norm" or c.local)):
                return True
            if c.kind == "sub" and c.fn in self.models and self.model_has_bn(self.models[c.fn]):
                return True
        return False

    # sessions and run calls --------------------------------------------------------------
    def find_sessions(self) -> None:
        for u in self.units.values():
            self.scan_unit(u)
        if not self.run_sites and not self.plan.remove:
            raise Unsupported(self.module, "no `sess.run` / `.eval()` call was recognised")
        if self.init_runs > 1:
            raise Unsupported(self.module, "the variables are initialised more than once (several sessions or a re-initialisation): eager variables keep their values, so the runs would differ")

    def scan_unit(self, u: Unit) -> None:
        sessions: set[str] = set()
        self.sessions[u.name] = sessions
        body = u.body
        for top_index, stmt in enumerate(body):
            if isinstance(stmt, cst.FunctionDef) and u.is_module:
                continue  # its own unit
            if isinstance(stmt, cst.ClassDef):
                continue
            self.scan_stmt(u, top_index, stmt, sessions, loop=False)

    def scan_stmt(self, u: Unit, top: int, stmt: cst.CSTNode, sessions: set[str], loop: bool) -> None:
        if isinstance(stmt, cst.SimpleStatementLine):
            self.scan_line(u, top, stmt, sessions, loop)
            return
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            return  # checked in build_units
        if isinstance(stmt, cst.With):
            sess = self.session_with(stmt)
            if sess is not None:
                if loop:
                    raise Unsupported(stmt, "a session is opened inside a loop; not converted")
                sessions.add(sess)
                self.plan.unwrap.add(id(stmt))
                self.plan.dropped.append(stmt.items[0])
                for inner in stmt.body.body if isinstance(stmt.body, cst.IndentedBlock) else [cst.SimpleStatementLine(list(stmt.body.body))]:
                    self.scan_stmt(u, top, inner, sessions, loop)
                if not isinstance(stmt.body, cst.IndentedBlock):
                    raise Unsupported(stmt, "one-line `with tf.Session()` body; not converted")
                return
            for item in stmt.items:
                self.scan_expr(u, top, item.item, sessions, None)
        in_loop = loop or isinstance(stmt, (cst.For, cst.While))
        if isinstance(stmt, (cst.For, cst.While, cst.If)):
            self.scan_expr(u, top, stmt.iter if isinstance(stmt, cst.For) else stmt.test, sessions, None)
        for block in _blocks(stmt):
            for inner in block:
                self.scan_stmt(u, top, inner, sessions, in_loop)

    def session_with(self, stmt: cst.With) -> str | None:
        if len(stmt.items) != 1:
            for item in stmt.items:
                if self.call_rest(item.item) in SESSIONS:
                    raise Unsupported(stmt, "`with tf.Session()` combined with other context managers; not converted")
            return None
        item = stmt.items[0]
        r = self.call_rest(item.item)
        if r is None and isinstance(item.item, cst.Call) and isinstance(item.item.func, cst.Attribute) \
                and item.item.func.attr.value == "as_default" and self.call_rest(item.item.func.value) in SESSIONS:
            r = "Session"
        if r not in SESSIONS:
            return None
        call = item.item
        self.check_session_args(call)
        if item.asname is None:
            return ""
        if not isinstance(item.asname.name, cst.Name):
            raise Unsupported(stmt, "unusual `with tf.Session() as ...` target")
        return item.asname.name.value

    def check_session_args(self, call: cst.BaseExpression) -> None:
        if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == "as_default":
            call = call.func.value
        assert isinstance(call, cst.Call)
        for a in call.args:
            kw = a.keyword.value if a.keyword else None
            if kw == "config" or (kw is None and len(call.args) == 3 and a is call.args[2]):
                if isinstance(a.value, cst.Name):
                    self.config_uses[a.value.value] = self.config_uses.get(a.value.value, 0) + 1
                continue
            if kw == "target" and isinstance(a.value, cst.SimpleString) and a.value.evaluated_value == "":
                continue
            if kw == "graph" and self.cf_graph is not None and isinstance(a.value, cst.Name) and a.value.value == self.cf_graph:
                continue  # the one explicit graph (_control_flow.graph_idiom)
            raise Unsupported(call, "a Session with a graph or a target; not converted")

    def scan_line(self, u: Unit, top: int, line: cst.SimpleStatementLine, sessions: set[str], loop: bool) -> None:
        if id(line) not in self.lines:
            # a one-line block (`for _ in r: sess.run(op)`), re-made by _blocks
            for n in walk(line):
                if isinstance(n, cst.Call) and self.run_kind(u, n, sessions):
                    raise Unsupported(n, "a session call in a one-line block; not converted")
            return
        if len(line.body) != 1:
            for small in line.body:
                if any(isinstance(n, cst.Call) and self.run_kind(u, n, sessions) for n in walk(small)):
                    raise Unsupported(line, "several statements on one line with a session call; not converted")
            return
        small = line.body[0]
        # `sess = tf.Session()` / `sess = tf.get_default_session()`
        if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
            r = self.call_rest(small.value)
            if r in SESSIONS or r == "get_default_session":
                if loop:
                    raise Unsupported(line, "a session is created inside a loop; not converted")
                if r in SESSIONS:
                    self.check_session_args(small.value)
                sessions.add(small.targets[0].target.value)
                self.plan.remove.add(id(line))
                self.plan.dropped.append(line)
                self.handled_stmts.add(id(line))
                return
        # `feed = {x: xs, y: ys}`: keys become strings, runs pass `**feed`
        if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name) \
                and self.is_feed_literal(u, small.value):
            name = small.targets[0].target.value
            assert isinstance(small.value, cst.Dict)
            self.feed_vars.setdefault((u.name, name), []).append(small.value)
            self.handled_stmts.add(id(line))
            self.plan.stmt_builders[id(line)] = _stringify_feed
            return
        # `writer = tf.summary.FileWriter(logdir, sess.graph)`
        if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name) \
                and self.call_rest(small.value) == WRITER:
            assert isinstance(small.value, cst.Call)
            args = _args_map_loose(small.value, ["logdir", "graph"])
            if "logdir" not in args or set(args) - {"logdir", "graph"} or any(a.star for a in small.value.args):
                raise Unsupported(small.value, "tf.summary.FileWriter with arguments other than logdir and graph; not converted")
            if any(isinstance(n, cst.Name) and self.graph_kind(u, n.value, top) is not None for n in walk(args["logdir"].value)):
                raise Unsupported(small.value, "the summary directory is computed from graph objects; not converted")
            self.writers.add(small.targets[0].target.value)
            self.handled_stmts.add(id(line))
            self.plan.stmt_builders[id(line)] = _writer_builder(tf_root(self.ctx))
            self.plan.dropped.append(small.value)
            self.plan.checkpoint_notes.append((small.value, "tf.summary.FileWriter becomes tf.summary.create_file_writer; the summaries a run fetched are written by its tf.function under `writer.as_default()` with step= (TF2 events hold tensors, not simple_value/HistogramProto: TensorBoard reads both, hand-written event readers must read the tensor; histogram buckets differ; the ops need the tensorboard package)"))
            return
        # `writer.add_summary(value, step)`, `writer.flush()`, `writer.close()`
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call) and isinstance(small.value.func, cst.Attribute) \
                and isinstance(small.value.func.value, cst.Name) and small.value.func.value.value in self.writers:
            call = small.value
            assert isinstance(call.func, cst.Attribute) and isinstance(call.func.value, cst.Name)
            meth = call.func.attr.value
            if meth in ("flush", "close") and not call.args:
                self.handled_stmts.add(id(line))
                return
            if meth == "add_summary":
                args = _args_map_loose(call, ["summary", "global_step"])
                value = args.get("summary")
                step = args.get("global_step")
                if value is None or step is None or not isinstance(value.value, cst.Name) or len(args) != len(call.args):
                    raise Unsupported(call, "`add_summary` without a fetched summary name and a step; not converted")
                if any(isinstance(n, cst.Call) or (isinstance(n, cst.Name) and self.graph_kind(u, n.value, top) is not None)
                       for n in walk(step.value)):
                    raise Unsupported(call, "`add_summary` with a step computed by a call or from graph objects; not converted")
                self.add_summaries[id(line)] = (call.func.value.value, value.value.value, step.value)
                self.handled_stmts.add(id(line))
                self.handled_calls.add(id(call))
                return
            raise Unsupported(call, f"`{call.func.value.value}.{meth}`: summary writer API this rewrite does not translate")
        # `sess.close()`
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            call = small.value
            f = call.func
            if isinstance(f, cst.Attribute) and f.attr.value == "close" and isinstance(f.value, cst.Name) and f.value.value in sessions and not call.args:
                self.plan.remove.add(id(line))
                self.plan.dropped.append(line)
                self.handled_stmts.add(id(line))
                return
        if self.iterator_init_site(u, line, small, sessions):
            return
        self.scan_expr(u, top, small, sessions, line, loop=loop)

    def scan_expr(self, u: Unit, top: int, node: cst.CSTNode, sessions: set[str], line: cst.SimpleStatementLine | None, loop: bool = False) -> None:
        for n in walk(node):
            if isinstance(n, cst.Call) and id(n) not in self.handled_calls and self.saver_call(u, top, n, sessions):
                continue
            if isinstance(n, cst.Call) and id(n) not in self.handled_calls:
                kind = self.run_kind(u, n, sessions)
                if kind:
                    self.run_sites.append((u, top, n, kind, line, node))
                    for sub in walk(n):
                        self.handled_calls.add(id(sub))
                    if kind == "init-run" and loop:
                        raise Unsupported(n, "variables are initialised inside a loop; not converted")

    def run_kind(self, u: Unit, call: cst.Call, sessions: set[str]) -> str:
        f = call.func
        if not isinstance(f, cst.Attribute):
            return ""
        attr = f.attr.value
        recv = f.value
        if attr == "run":
            if isinstance(recv, cst.Name) and recv.value in sessions:
                return "sess-run"
            if self.call_rest(recv) == "get_default_session":
                return "sess-run"
            if self.call_rest(recv) in INITIALIZERS:
                return "init-run"
            if isinstance(recv, cst.Attribute) and recv.attr.value == "initializer":
                return "init-run"
            if isinstance(recv, cst.Name) and self.graph_kind(u, recv.value, 10**9) is not None:
                return "op-run"
            return ""
        if attr == "eval" and isinstance(recv, cst.Name) and self.graph_kind(u, recv.value, 10**9) is not None:
            return "eval"
        return ""

    # tf.train.Saver -> tf.train.Checkpoint ------------------------------------------------
    def saver_call(self, u: Unit, top: int, call: cst.Call, sessions: set[str]) -> bool:
        """`saver.save(sess, path, global_step=gs)` / `saver.restore(sess, path)` with a
        session of this unit: recorded (rewritten by `check_savers`)."""
        f = call.func
        if not (isinstance(f, cst.Attribute) and f.attr.value in ("save", "restore") and isinstance(f.value, cst.Name)):
            return False
        g = self.graph_kind(u, f.value.value, top)
        if g is None or g.kind != SAVE:
            return False
        first = call.args[0] if call.args else None
        sess = first.value if first is not None and (first.keyword is None or first.keyword.value == "sess") else None
        if not (isinstance(sess, cst.Name) and sess.value in sessions):
            raise Unsupported(call, f"`{f.value.value}.{f.attr.value}` without this function's session as first argument; not converted")
        self.saver_calls.append((u, top, call, f.attr.value))
        self.handled_calls.add(id(call))
        return True

    def check_savers(self) -> None:
        """Each `saver = tf.train.Saver(...)` becomes `checkpoint = tf.train.Checkpoint(...)`
        of the variables, Keras objects and optimizers built before it (what Saver() saves:
        every global variable existing when it is made, optimizer slots included)."""
        root = tf_root(self.ctx)
        savers: dict[int, tuple[Unit, Stmt, str, cst.BaseExpression]] = {}
        for u in self.units.values():
            for s in u.stmts:
                if s.kind != SAVE:
                    continue
                if len(s.defines) != 1:
                    raise Unsupported(s.node, "tf.train.Saver assigned to several names; not converted")
                call = s.value
                assert isinstance(call, cst.Call)
                keep: cst.BaseExpression = cst.Integer(str(SAVER_DEFAULT_MAX_TO_KEEP))
                for a in call.args:
                    kw = a.keyword.value if a.keyword else None
                    if kw == "max_to_keep" and not a.star:
                        keep = a.value
                        continue
                    raise Unsupported(call, "tf.train.Saver(" + (f"{kw}=" if kw else "positional ") + "...) is not converted (only max_to_keep=); list the objects in a tf.train.Checkpoint by hand")
                if isinstance(keep, cst.Name) and keep.value == "None":
                    raise Unsupported(call, "tf.train.Saver(max_to_keep=None) keeps every checkpoint; not converted")
                objects = self.saved_objects(u, s)
                name = self.fresh("checkpoint")
                savers[id(s)] = (u, s, name, keep)
                self.plan.stmt_builders[id(s.node)] = _checkpoint_builder(name, objects, root)
                self.plan.dropped.append(call)
                renames = self.tf1_names(u, s, objects)
                self.plan.checkpoint_notes.append((call, "tf.train.Saver becomes tf.train.Checkpoint(" + ", ".join(objects)
                                                   + "), object-based: convert TF1 checkpoints written before the migration with "
                                                   + "`migrate convert-checkpoint OLD --out NEW/" + (" --map MAP.json` (MAP.json: " + json.dumps(renames) + ")" if renames else "`")))
        for u, top, call, kind in self.saver_calls:
            f = call.func
            assert isinstance(f, cst.Attribute) and isinstance(f.value, cst.Name)
            g = self.graph_kind(u, f.value.value, top)
            assert g is not None
            owner = next((v for v in savers.values() if v[1] is g), None)
            if owner is None:
                raise Unsupported(call, "a Saver call this rewrite does not recognise")
            _u, _s, name, keep = owner
            params = ["sess", "save_path", "global_step", "latest_filename", "meta_graph_suffix", "write_meta_graph"] if kind == "save" else ["sess", "save_path"]
            args = _args_map_loose(call, params)
            if any(a.star for a in call.args) or len(args) != len(call.args):
                raise Unsupported(call, f"`{f.value.value}.{kind}` with arguments this rewrite does not recognise")
            extra = set(args) - {"sess", "save_path", "global_step", "write_meta_graph"}
            if extra or "save_path" not in args:
                raise Unsupported(call, f"`{f.value.value}.{kind}(" + ", ".join(sorted(extra) or ["no save_path"]) + ")` is not converted")
            path = args["save_path"].value
            for n in names_used(path):
                if self.graph_kind(u, n, top) is not None:
                    raise Unsupported(call, f"the checkpoint path uses the graph object `{n}`; not converted")
            if kind == "restore":
                self.plan.call_builders[id(call)] = _restore_builder(name)
                self.plan.dropped.extend([f, call.args[0]])
                continue
            gs = args["global_step"].value if "global_step" in args else None
            if gs is not None:
                if isinstance(gs, cst.Name):
                    gk = self.graph_kind(u, gs.value, top)
                    if gk is not None and gk.kind != V:
                        raise Unsupported(call, f"`global_step={gs.value}` is a graph tensor, not a variable; not converted")
                elif any(isinstance(n, cst.Name) and self.graph_kind(u, n.value, top) is not None for n in walk(gs)):
                    raise Unsupported(call, "a global_step expression over graph objects; not converted")
                if not _side_effect_free(path):
                    raise Unsupported(call, "the checkpoint path is computed by a call; give it a name first (it is needed twice)")
                self.plan.imports.add("os")
            elif self.state_lookups:
                raise Unsupported(call, f"`{f.value.value}.save` without global_step updates the `checkpoint` state file that tf.train.latest_checkpoint reads; tf.train.Checkpoint.write does not (not converted)")
            self.plan.call_builders[id(call)] = _save_builder(name, keep, root, gs is not None)
            self.plan.dropped.extend([f, call.args[0]])

    # learning-rate decay -> Keras schedules ---------------------------------------------
    def check_schedules(self) -> None:
        """`lr = tf.train.exponential_decay(lr0, global_step, ...)` feeding one optimizer whose
        minimize(global_step=global_step) is the only thing that advances a global step
        starting at 0: optimizer.iterations equals global_step at every update, so the
        Keras schedule the optimizer evaluates gives TF1's learning rates."""
        root = tf_root(self.ctx)
        self.global_step_makers(root)
        if self.tensor_schedules(root):
            return
        for u in self.units.values():
            for s in u.stmts:
                if s.kind != SCHED:
                    continue
                call = s.value
                assert isinstance(call, cst.Call)
                r = self.call_rest(call)
                assert r is not None
                fn = "tf." + r
                if len(s.defines) != 1 or any(a.star for a in call.args):
                    raise Unsupported(s.node, f"`{fn}` assigned to several names or called with *args; not converted")
                lr = s.defines[0]
                _cls, params = SCHEDULES[r]
                if len([a for a in call.args if a.keyword is None]) > len(params):
                    raise Unsupported(call, f"`{fn}` with too many arguments")
                args = _args_map(call, params if r == "train.piecewise_constant" else ["learning_rate", *params[1:]])
                step = args.get("global_step") or args.get("x")
                unknown = set(args) - set(params) - {"learning_rate", "x"}
                if unknown or step is None:
                    raise Unsupported(call, f"`{fn}` with arguments this rewrite does not recognise")
                if not isinstance(step.value, cst.Name):
                    raise Unsupported(call, f"`{fn}` of `{self.code(step.value)}`: only a global-step variable itself is converted")
                gs = step.value.value
                g = self.graph_kind(u, gs, s.index)
                trains = [t for t in self.train_ops.values() if t.global_step == gs]
                if g is None or g.kind != V or not _zero_variable(self, g.value) or len(trains) != 1:
                    raise Unsupported(call, f"`{fn}`: `{gs}` must be a tf.Variable starting at 0 that exactly one minimize(global_step=...) advances (then optimizer.iterations counts the same steps)")
                tr = trains[0]
                if tr.optimizer_stmt is not None:
                    ocall = tr.optimizer_stmt.value
                    users = [t for t in self.train_ops.values() if t.optimizer_stmt is tr.optimizer_stmt]
                    if len(users) != 1:
                        raise Unsupported(call, f"`{fn}`: the optimizer runs several train ops, so its iterations are not `{gs}`")
                else:
                    tcall = tr.stmt.value
                    assert isinstance(tcall, cst.Call) and isinstance(tcall.func, cst.Attribute)
                    ocall = tcall.func.value
                assert isinstance(ocall, cst.Call)
                ro = self.call_rest(ocall)
                oparams = optimizer_params(ro) or ["learning_rate"]
                lr_arg = _args_map(ocall, oparams).get("learning_rate")
                if lr_arg is None or not (isinstance(lr_arg.value, cst.Name) and lr_arg.value.value == lr):
                    raise Unsupported(call, f"`{fn}`: the decayed learning rate `{lr}` is not the learning rate of the optimizer that advances `{gs}`")
                if ro == v1opt.MOMENTUM:
                    # Keras SGD(momentum) differs from TF1 momentum for a changing rate: keep TF1's
                    self.kept_momentum.add(id(ocall))
                if self.kept_v1(ocall):
                    self.v1_schedules[id(ocall)] = (f"lambda: {lr}({gs})", f"`lambda: {lr}({gs})`, the Keras schedule evaluated at `{gs}`, which apply_gradients(global_step={gs}) advances")
                summ_reads: list[Stmt] = []
                # the schedule object replaces a tensor: nothing else may compute with it,
                # and nothing else may move the step. A summary op of the rate and a fetch of
                # it (in a run without the train op) read `lr(gs)`: TF1's tensor, computed
                # from the step variable's value when they run
                for uu in self.units.values():
                    for o in uu.stmts:
                        if o is s or o is tr.stmt or o is tr.optimizer_stmt or o.kind in (PY, FEED):
                            continue
                        if o.kind == SUMM and gs not in o.uses and self.graph_kind(uu, lr, o.index + 1) is s:
                            summ_reads.append(o)
                            continue
                        if (lr in o.uses and self.graph_kind(uu, lr, o.index + 1) is s) or (
                                gs in o.uses and o.kind not in (SAVE, SCHED)):
                            raise Unsupported(o.node, f"`{fn}`: `{lr if lr in o.uses else gs}` is also used by `{self.code(o.node).strip()[:60]}`; not converted")
                self.plan.call_builders[id(call)] = _schedule_builder(r, root)
                self.plan.dropped.append(call.func)
                if not self.kept_v1(ocall):
                    self.schedule_reads[id(s)] = (lr, gs)
                    for o in summ_reads:
                        self.schedule_summaries.setdefault(id(o), {})[lr] = gs
                elif summ_reads:
                    raise Unsupported(summ_reads[0].node, f"`{fn}`: `{lr}` is also used by `{self.code(summ_reads[0].node).strip()[:60]}` (a kept TF1 optimizer); not converted")
                if self.kept_v1(ocall):
                    self.plan.optimizer_notes.append((call.func, f"`{fn}({gs})` becomes tf.keras.optimizers.schedules.{SCHEDULES[r][0]}, which the kept TF1 optimizer evaluates at `{gs}` (`learning_rate=lambda: {lr}({gs})`, TF1's learning rate at every step)"))
                else:
                    self.plan.optimizer_notes.append((call.func, f"`{fn}({gs})` becomes tf.keras.optimizers.schedules.{SCHEDULES[r][0]}, which the optimizer evaluates at optimizer.iterations (equal to `{gs}` here: both start at 0 and advance once per train step; after restoring `{gs}` from a converted TF1 checkpoint, also set `optimizer.iterations.assign({gs})`)"))

    def global_step_makers(self, root: str) -> None:
        """`gs = tf.train.get_or_create_global_step()` -> `gs = tf.Variable(0,
        dtype=tf.int64, trainable=False, name="global_step")`: what TF1 creates (int64,
        zeros, not trainable, named global_step). TF1 returns the same variable on every
        call: converted only when the file calls it once."""
        calls = [n for n in walk(self.module) if isinstance(n, cst.Call) and self.call_rest(n) in GLOBAL_STEP_MAKERS]
        if calls and len(calls) > 1 and any(id(c) in self.inline_global_steps for c in calls):
            raise Unsupported(calls[1], "the global step is made more than once (once inline in optimize_loss); not converted")
        calls = [c for c in calls if id(c) not in self.inline_global_steps]  # named by _optimize_loss
        if not calls:
            return
        call = calls[0]
        r = self.call_rest(call)
        s = next((s for u in self.units.values() for s in u.stmts if s.value is call), None)
        if len(calls) > 1:
            raise Unsupported(calls[1], f"`tf.{r}` called more than once (TF1 returns one variable, a conversion would make several); not converted")
        if s is None or s.kind != V or len(s.defines) != 1 or call.args:
            raise Unsupported(call, f"`tf.{r}` used other than as `name = tf.{r}()`; not converted")
        self.plan.call_builders[id(call)] = _code_builder(f'{root}.Variable(0, dtype={root}.int64, trainable=False, name="global_step")')
        self.plan.dropped.append(call)
        self.plan.optimizer_notes.append((call, f"`tf.{r}()` becomes an int64 tf.Variable starting at 0 named global_step, what TF1 created; `tf.train.get_global_step()` does not find it (pass the variable around)"))

    def tensor_schedules(self, root: str) -> bool:
        """Schedules whose values the program computes with (`lr = tf.minimum(exp_lr,
        pw_lr)`, fetched rates, a step expression such as `tf.cast(global_step, tf.int32)`),
        for a TF1 optimizer that is kept (tf.compat.v1): each schedule becomes a tensor,
        `tf.keras.optimizers.schedules.X(...)(step)`, computed where it is needed like any
        tensor, and the optimizer gets a function computing its learning-rate tensor from
        the step (a TF1 optimizer calls a callable learning rate at every update). TF1
        computed the same values from the same step. False: not this case (the plain
        schedule rewrite above decides)."""
        scheds = [(u, s) for u in self.units.values() for s in u.stmts if s.kind == SCHED]
        if not scheds:
            return False
        sched_names = {n for _, s in scheds for n in s.defines}
        steps: dict[int, cst.BaseExpression] = {}
        trigger = False
        for u, s in scheds:
            call = s.value
            assert isinstance(call, cst.Call)
            r = self.call_rest(call)
            assert r is not None
            if len(s.defines) != 1 or any(a.star for a in call.args):
                return False
            params = SCHEDULES[r][1]
            if len([a for a in call.args if a.keyword is None]) > len(params):
                return False
            args = _args_map(call, params if r == "train.piecewise_constant" else ["learning_rate", *params[1:]])
            step = args.get("global_step") or args.get("x")
            if step is None or set(args) - set(params) - {"learning_rate", "x"}:
                return False
            steps[id(s)] = step.value
            trigger |= not isinstance(step.value, cst.Name)
        for u in self.units.values():
            for o in u.stmts:
                if o.kind == T and o.uses & sched_names:
                    trigger = True
                if o.kind == PY and o.uses & sched_names:
                    trigger = True
        for _u, _top, rcall, *_rest in self.run_sites:  # fetched
            if any(isinstance(n, cst.Name) and n.value in sched_names for n in walk(rcall)):
                trigger = True
        if not trigger:
            return False
        # the one step variable, advanced by one kept TF1 optimizer only
        gss = set()
        for u, s in scheds:
            call = s.value
            assert isinstance(call, cst.Call)
            graph = [n for n in names_used(steps[id(s)]) if self.graph_kind(u, n, s.index) is not None]
            if len(graph) != 1 or self.makes_variables(steps[id(s)]):
                raise Unsupported(s.node, f"`{self.code(call.func)}`: its step must be computed from one global-step variable only; not converted")
            gss.add(graph[0])
            g = self.graph_kind(u, graph[0], s.index)
            if g is None or g.kind != V or not _zero_variable(self, g.value):
                raise Unsupported(s.node, f"`{graph[0]}` must be a tf.Variable starting at 0 for its learning-rate schedules to be converted")
        if len(gss) != 1:
            raise Unsupported(scheds[0][1].node, "learning-rate schedules of several global steps; not converted")
        gs = gss.pop()
        trains = [t for t in self.train_ops.values() if t.global_step == gs]
        if len(trains) != 1:
            raise Unsupported(scheds[0][1].node, f"`{gs}` must be advanced by exactly one minimize/apply_gradients(global_step=...) for its schedules to be converted")
        tr = trains[0]
        ocall = self.optimizer_call(tr)
        if self.call_rest(ocall) == v1opt.MOMENTUM:
            self.kept_momentum.add(id(ocall))  # a decayed rate: Keras SGD would differ
        if not self.kept_v1(ocall):
            return False  # a Keras optimizer evaluates schedules at optimizer.iterations: see below
        for u in self.units.values():
            for o in u.stmts:
                if o is tr.stmt or o.value is None or gs not in names_used(o.value):
                    continue
                if any(isinstance(n, cst.Call) and "assign" in ((self.rest(n.func) or "") + self.code(n.func)) for n in walk(o.value)):
                    raise Unsupported(o.node, f"`{gs}` is also changed here; its learning-rate schedules are not converted")
        # names computed from the schedules: only the kept optimizer's learning rate may be one
        dependent = set(sched_names)
        for u in self.units.values():
            for o in u.stmts:
                if o.kind == T and o.uses & dependent:
                    dependent |= set(o.defines)
        for t in self.train_ops.values():
            c = self.optimizer_call(t)
            oparams = optimizer_params(self.call_rest(c)) or []
            for key, a in _args_map_loose(c, oparams).items():
                if (c is not ocall or key != "learning_rate") and names_used(a.value) & dependent:
                    raise Unsupported(c, f"`{key}=` of this optimizer is computed from learning-rate schedules that only `{self.code(ocall.func)}` gets as a function; not converted")
        # each schedule: a tensor at the step
        for u, s in scheds:
            s.kind, s.static, s.dynamic_reason = T, False, f"reads `{gs}`"
            call = s.value
            assert isinstance(call, cst.Call)
            r = self.call_rest(call)
            assert r is not None
            self.plan.call_builders[id(call)] = _tensor_schedule_builder(r, root)
            self.plan.dropped.append(call.func)
            self.plan.optimizer_notes.append((call.func, f"`tf.{r}({self.code(steps[id(s)])})` becomes tf.keras.optimizers.schedules.{SCHEDULES[r][0]}(...)({self.code(steps[id(s)])}): the same value, computed from `{gs}` where the program uses it"))
        # the optimizer's learning rate: a function of the step
        oparams = optimizer_params(self.call_rest(ocall)) or ["learning_rate"]
        lr_arg = _args_map(ocall, oparams).get("learning_rate")
        lr_name = lr_arg.value.value if lr_arg is not None and isinstance(lr_arg.value, cst.Name) else None
        ou = next(u for u in self.units.values() if any(o is tr.stmt for o in u.stmts))
        lr_stmt = ou.reaching(lr_name, tr.optimizer_stmt.index if tr.optimizer_stmt else tr.stmt.index) if lr_name else None
        if lr_name is None or lr_stmt is None or lr_stmt.kind != T or lr_stmt.static:
            if lr_arg is not None and names_used(lr_arg.value) & {n for _, s in scheds for n in s.defines}:
                raise Unsupported(ocall, "a learning rate computed from schedules in the optimizer call itself (name it first); not converted")
            return True
        if tr.optimizer_stmt is None:
            raise Unsupported(ocall, "the optimizer built inline with a learning rate computed from schedules (assign it to a name first); not converted")
        members = self.slice(ou, [lr_stmt])
        if any(m.kind != T for m in members):
            raise Unsupported(lr_stmt.node, f"the learning rate `{lr_name}` needs fed values; a TF1 optimizer computes it from the step alone here; not converted")
        name = self.fresh(f"current_{lr_name}")
        self.lr_functions[id(ocall)] = (name, members, lr_name)
        self.lr_members |= {id(m) for m in members}
        self.v1_schedules[id(ocall)] = (name, f"`{name}`, a function computing TF1's learning-rate tensor `{lr_name}` from `{gs}`, which apply_gradients(global_step={gs}) advances")
        self.plan.stmt_builders[id(tr.optimizer_stmt.node)] = _lr_function_builder(self.plan, name, members, lr_name, 2 if ou.is_module else 1)
        return True

    def kept_v1(self, ocall: cst.BaseExpression | None) -> bool:
        """Whether this optimizer call stays a tf.compat.v1.train optimizer (no Keras
        optimizer computes its updates; see _v1_optimizers.py)."""
        return v1opt.is_kept(self.call_rest(ocall)) or id(ocall) in self.kept_momentum

    def optimizer_call(self, tr: TrainOp) -> cst.Call:
        """The (original) call that builds the optimizer of a train op."""
        if tr.synth_optimizer is not None:
            return tr.synth_optimizer
        if tr.optimizer_stmt is not None:
            ocall = tr.optimizer_stmt.value
        else:
            tcall = tr.stmt.value
            assert isinstance(tcall, cst.Call) and isinstance(tcall.func, cst.Attribute)
            ocall = tcall.func.value
        assert isinstance(ocall, cst.Call)
        return ocall

    def saved_objects(self, u: Unit, saver: Stmt) -> list[str]:
        """The names of the trackable objects built before `saver` (variables, Keras
        objects, optimizers), module-level ones first."""
        scope = [self.module_unit, u] if self.module_unit is not None and u is not self.module_unit else [u]
        out: list[str] = []
        for uu in scope:
            assert uu is not None
            for s in uu.stmts:
                if uu is u and s.index >= saver.index:
                    break
                if s.kind == V:
                    if len(s.defines) != 1 or not self.single_trackable(s.value):
                        raise Unsupported(s.node, f"tf.train.Saver also saves the variables built by `{self.code(s.value) if s.value is not None else '?'}`, which have no name of their own here; list them in a tf.train.Checkpoint by hand")
                    out.append(s.defines[0])
                elif s.kind == OPT:
                    out.append(s.defines[0])
                elif self.models and s.kind != TRAIN:
                    out += [o for o in self.saved_model_objects(s) if o not in out]
                if s.kind == TRAIN:
                    tr = self.train_ops.get(id(s))
                    if tr is not None and tr.optimizer_stmt is None:
                        out.append(tr.optimizer_name)
        if len(set(out)) != len(out):
            raise Unsupported(saver.node, "a variable name is bound twice before the Saver; not converted")
        if not out:
            raise Unsupported(saver.node, "tf.train.Saver with no variable built before it; not converted")
        return out

    def saved_model_objects(self, s: Stmt) -> list[str]:
        """The TF2130 objects whose model function statement `s` calls (Saver() also saves the
        variables a model function made): their instance names, one object per function."""
        out: list[str] = []
        names = self.instance_names()
        for n in walk(s.node):
            if isinstance(n, cst.Call) and isinstance(n.func, cst.Name) and n.func.value in self.models:
                made = names.get(n.func.value, [])
                if len(made) != 1:
                    raise Unsupported(s.node, f"tf.train.Saver also saves the variables of `{n.func.value}`, made by "
                                      f"{len(made)} Keras objects here; list them in a tf.train.Checkpoint by hand")
                if made[0] not in out:
                    out.append(made[0])
        return out

    def tf1_names(self, u: Unit, saver: Stmt, objects: list[str]) -> dict[str, str]:
        """TF1 variable name -> Checkpoint attribute, where the TF1 name is written out
        (`w = tf.Variable(..., name='weights')`) and differs from the attribute."""
        out: dict[str, str] = {}
        scope = [self.module_unit, u] if self.module_unit is not None and u is not self.module_unit else [u]
        for uu in scope:
            assert uu is not None
            for s in uu.stmts:
                if s.kind == V and len(s.defines) == 1 and s.defines[0] in objects and self.call_rest(s.value) in GLOBAL_STEP_MAKERS:
                    if s.defines[0] != "global_step":
                        out["global_step"] = s.defines[0]
                    continue
                if s.kind != V or len(s.defines) != 1 or s.defines[0] not in objects or self.call_rest(s.value) != "Variable":
                    continue
                assert isinstance(s.value, cst.Call)
                name = next((a.value for a in s.value.args if a.keyword is not None and a.keyword.value == "name"), None)
                if isinstance(name, cst.SimpleString) and isinstance(name.evaluated_value, str) and name.evaluated_value != s.defines[0]:
                    out[name.evaluated_value] = s.defines[0]
        # TF2130 objects whose variables are all their own (no sub-layers): TF1 name -> object/attribute
        for fname, made in self.instance_names().items() if self.models else ():
            fp = self.models[fname]
            if len(made) != 1 or made[0] not in objects:
                continue
            attrs = {c.keras_name: c.attr for c in fp.creators if c.kind == "var"}  # type: ignore[attr-defined]
            if all(k in attrs for k in fp.names.values()):  # type: ignore[attr-defined]
                out.update({tf1: f"{made[0]}/{attrs[k]}" for tf1, k in fp.names.items()})  # type: ignore[attr-defined]
        return out

    def single_trackable(self, value: cst.BaseExpression | None) -> bool:
        """`tf.Variable(...)`, a Keras object, or a call of a function of this file that
        builds one tf.Variable and returns it (`weight_variable(shape)`)."""
        r = self.call_rest(value)
        if r == "Variable" or r in GLOBAL_STEP_MAKERS or (r is not None and r.startswith("keras.")):
            return True
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value in self.functions_by_name:
            fn = self.functions_by_name[value.func.value]
            makers = [n for n in walk(fn.body) if isinstance(n, cst.Call) and self.makes_variables(n)]
            made = [n for n in makers if self.call_rest(n) == "Variable"]
            if len(made) != 1 or len(makers) != len([n for n in makers if not any(
                    isinstance(k, cst.Call) and k is not n and self.makes_variables(k) for k in walk(n))]):
                return False
            rets = [n for n in walk(fn.body) if isinstance(n, cst.Return)]
            if len(rets) != 1 or rets[0].value is None:
                return False
            rv = rets[0].value
            if rv is made[0]:
                return True
            if isinstance(rv, cst.Name):
                binds = [n for n in walk(fn.body) if isinstance(n, cst.Assign) and len(n.targets) == 1
                         and isinstance(n.targets[0].target, cst.Name) and n.targets[0].target.value == rv.value]
                return len(binds) == 1 and binds[0].value is made[0]
        return False

    # uses of graph names outside run calls ---------------------------------------------
    def check_graph_name_uses(self) -> None:
        active = {u.name for u, *_ in self.run_sites} | {n for n, s in self.sessions.items() if s}
        for u in self.units.values():
            classified = {id(s.node) for s in u.stmts if s.kind not in (PY,)}
            # a helper function without sessions is graph-building code called by the
            # graph: its own tensors are its business, the module's are not
            only_module = not u.is_module and u.name not in active
            top_stmts = u.body
            for top, stmt in enumerate(top_stmts):
                if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)) and u.is_module or id(stmt) in self.metric_lines:
                    continue  # a metric line: its tensors are read by the update statement after it
                if id(stmt) in classified and not only_module:
                    s = u.stmts[top]
                    if s.kind == SESS and id(stmt) not in self.handled_stmts:
                        raise Unsupported(stmt, "session statement in an unexpected place")
                    continue
                try:
                    self.check_uses_in(u, top, stmt, only_module)
                except Unsupported as exc:
                    raise _fetches.scope_block_reason(self, stmt, exc) from None

    def check_uses_in(self, u: Unit, top: int, stmt: cst.CSTNode, only_module: bool = False) -> None:
        if not only_module and isinstance(stmt, (cst.If, cst.For, cst.While, cst.Try, cst.With)) \
                and id(stmt) not in self.plan.unwrap:
            built = bound_in(stmt) & u.graph_names
            if built:
                raise Unsupported(stmt, f"the graph is built under Python control flow (`{', '.join(sorted(built))}` assigned inside a block): dynamic graph construction is not converted")
        if only_module:
            mod = self.module_unit
            assert mod is not None
            outer = {n for n in mod.graph_names if n not in u.locals}
            if not outer:
                return
            for n in walk(stmt):
                if isinstance(n, cst.Name) and n.value in outer:
                    g = mod.reaching(n.value, len(mod.body) + 1)
                    if g is not None and g.kind not in (V, PY) and not (g.kind == T and g.static):
                        raise Unsupported(n, f"`{u.name}()` uses the module-level graph object `{n.value}` ({g.kind}); not converted")
            return
        stack: list[cst.CSTNode] = [stmt]
        while stack:
            n = stack.pop()
            if id(n) in self.handled_calls or id(n) in self.handled_stmts:
                continue
            if isinstance(n, cst.With) and id(n) in self.plan.unwrap:
                stack.extend(n.body.children)
                continue
            if isinstance(n, (cst.FunctionDef, cst.ClassDef)):
                continue
            if isinstance(n, (cst.For, cst.CompFor)) and _plain_target(n.target):
                # `for _ in range(n)`: rebinds the name (a read of it later is still checked)
                stack.extend(c for c in n.children if c is not n.target)
                continue
            if isinstance(n, cst.Attribute):
                if isinstance(n.value, cst.Name):
                    if n.value.value in self.sessions.get(u.name, ()):
                        raise Unsupported(n, f"`{n.value.value}.{n.attr.value}`: the session is used for something else than run/close; not converted")
                    g = self.graph_kind(u, n.value.value, top)
                    if g is not None and (g.kind != V or n.attr.value in ("initializer", "eval", "op", "graph")) \
                            and not (g.kind == T and g.static and n.attr.value not in GRAPH_ATTRS):
                        raise Unsupported(n, f"`{n.value.value}.{n.attr.value}`: graph object `{n.value.value}` ({g.kind}) used outside sess.run; not converted")
                    continue
                stack.append(n.value)
                continue
            if isinstance(n, cst.Arg):
                stack.append(n.value)
                continue
            if isinstance(n, cst.Name):
                if n.value in self.sessions.get(u.name, ()):
                    raise Unsupported(n, f"the session `{n.value}` is used for something else than run/close (e.g. passed to a function); not converted")
                g = self.graph_kind(u, n.value, top)
                if g is not None and g.kind not in (V,) and not (g.kind == T and g.static):
                    raise Unsupported(n, f"graph object `{n.value}` ({g.kind}) is used outside sess.run; not converted")
                continue
            stack.extend(n.children)

    # train ops ---------------------------------------------------------------------------
    def check_train_ops(self) -> None:
        for u in self.units.values():
            for s in u.stmts:
                if s.kind == OPT:
                    self.check_optimizer_call(s.value)
                    if len(s.defines) != 1:
                        raise Unsupported(s.node, "optimizer assigned to several names")
                if s.kind == TRAIN:
                    self.train_ops[id(s)] = self.train_op(u, s)
        for method in self.gradient_methods:
            if id(method) not in self.paired_methods:
                raise Unsupported(method, f"`.{method.attr.value}` outside a `gv = opt.compute_gradients(loss)` ... `train = opt.apply_gradients(...)` pair of one function; not converted")
        for u in self.units.values():
            for s in u.stmts:
                if s.kind == GRADS and not any(t.compute is s for t in self.train_ops.values()):
                    raise Unsupported(s.node, "`compute_gradients` whose result no apply_gradients of the same optimizer uses; not converted")
                if s.kind == CONFIG:
                    n = s.defines[0] if len(s.defines) == 1 else ""
                    if self.config_uses.get(n, 0) != 1 or any(n in o.uses for o in u.stmts if o is not s and o.kind != SESS):
                        raise Unsupported(s.node, f"`{n}` (a ConfigProto) is used for more than one Session; not converted")
                    self.plan.remove.add(id(s.node))
                    self.plan.dropped.append(s.node)
                    _session_config.note(self, s)  # its options' tf.config spelling

    def names_used_elsewhere(self, u: Unit, name: str, s: Stmt) -> bool:
        return any(name in o.uses for o in u.stmts if o is not s)

    def check_optimizer_call(self, call: cst.BaseExpression | None) -> None:
        assert isinstance(call, cst.Call)
        r = self.call_rest(call)
        params = optimizer_params(r)
        assert params is not None
        for a in call.args:
            if a.star:
                raise Unsupported(call, "optimizer built with *args/**kwargs")
        if len([a for a in call.args if a.keyword is None]) > len(params):
            raise Unsupported(call, "optimizer with too many arguments")
        unknown = [a.keyword.value for a in call.args if a.keyword is not None and a.keyword.value not in params]
        if unknown:
            raise Unsupported(call, f"optimizer argument(s) {', '.join(unknown)} not recognised")

    def train_op(self, u: Unit, s: Stmt) -> TrainOp:
        call = s.value
        assert isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
        if len(s.defines) != 1:
            raise Unsupported(s.node, "train op assigned to several names")
        if id(call) in self.optimize_losses:
            return _optimize_loss.train_op(self, u, s, call)
        if call.func.attr.value == "apply_gradients":
            return _towers.train_op(self, u, s, call) or self.gradient_pair(u, s, call)
        recv = call.func.value
        if isinstance(recv, cst.Call) and optimizer_params(self.call_rest(recv)) is not None:
            self.check_optimizer_call(recv)
            opt_stmt = None
            opt_name = self.fresh("optimizer")
        elif isinstance(recv, cst.Name):
            o = u.reaching(recv.value, s.index)
            if o is None or o.kind != OPT:
                raise Unsupported(call, f"`{recv.value}.minimize`: `{recv.value}` is not a TF1 optimizer built in the same function")
            opt_stmt = o
            opt_name = recv.value
        else:
            raise Unsupported(call, "`minimize` on an expression that is not a TF1 optimizer")
        args: dict[str, cst.Arg] = {}
        pos = ["loss", "global_step", "var_list"]
        for i, a in enumerate(call.args):
            if a.star:
                raise Unsupported(call, "minimize(*args/**kwargs)")
            if a.keyword is None:
                if i >= len(pos):
                    raise Unsupported(call, "minimize with positional arguments beyond var_list")
                args[pos[i]] = a
            else:
                args[a.keyword.value] = a
        extra = set(args) - {"loss", "global_step", "var_list", "name"}
        if extra:
            raise Unsupported(call, f"minimize({', '.join(sorted(extra))}=...) is not converted")
        return self.train_parts(u, s, call, args, opt_name, opt_stmt)

    def train_parts(self, u: Unit, s: Stmt, call: cst.Call, args: dict[str, cst.Arg], opt_name: str,
                    opt_stmt: Stmt | None) -> TrainOp:
        """The TrainOp of `s` from its loss, var_list and global_step arguments."""
        loss = args.get("loss")
        if loss is None:
            raise Unsupported(call, "minimize() without a loss")
        if isinstance(loss.value, cst.Name):
            ls = u.reaching(loss.value.value, s.index)
            if ls is None or ls.kind != T or ls.static:
                raise Unsupported(call, f"the loss `{loss.value.value}` is not a tensor computed from variables in this function")
        else:
            # `minimize(loss + reg)`: the expression becomes a statement of the train step
            if self.makes_variables(loss.value):
                raise Unsupported(call, "the loss expression creates variables")
            uses = names_used(loss.value)
            for name in uses:
                g = u.reaching(name, s.index)
                if g is not None and g.kind not in (T, P, V, PY):
                    raise Unsupported(call, f"the loss expression uses `{name}` ({g.kind})")
            ls = Stmt(s.index, s.node, T, (self.fresh("loss"),), uses, loss.value, loss_of=s)
        var_list = args["var_list"].value if "var_list" in args else None
        if var_list is not None and id(var_list) in self.all_var_lists:
            var_list = None  # every variable: the ones the tape watches
        if var_list is not None:
            for name in names_used(var_list):
                g = self.graph_kind(u, name, s.index)
                if g is not None and g.kind != V:
                    raise Unsupported(var_list, "var_list is computed from graph tensors")
            if any(isinstance(n, cst.Call) for n in walk(var_list)):
                raise Unsupported(var_list, "var_list is computed by a call; not converted")
        gs_name = None
        if "global_step" in args:
            gs = args["global_step"].value
            g = self.graph_kind(u, gs.value, s.index) if isinstance(gs, cst.Name) else None
            if g is None or g.kind != V or not isinstance(g.value, cst.Call) or self.call_rest(g.value) not in ("Variable", *GLOBAL_STEP_MAKERS):
                raise Unsupported(call, "minimize(global_step=...) with a global step that is not a plain tf.Variable")
            gs_name = gs.value  # type: ignore[union-attr]
        return TrainOp(s, ls, opt_name, opt_stmt, var_list, gs_name)

    def gradient_pair(self, u: Unit, s: Stmt, call: cst.Call) -> TrainOp:
        """`gv = opt.compute_gradients(loss[, var_list])`, statements that transform the
        gradients (clipping), `train = opt.apply_gradients(f(gv)[, global_step])`, all
        top-level statements of one function: the train step computes `gv` from the tape
        (`list(zip(tape.gradient(loss, variables), variables))`: the pairs of the variables
        that get a gradient, in creation order as TF1 lists them), runs those statements
        after the tape and applies what they produce.

        Also `grads = tf.gradients(loss, var_list)` (the PTB-style idiom: `tvars =
        tf.trainable_variables()`, `grads, _ = tf.clip_by_global_norm(tf.gradients(loss,
        tvars), c)`, `opt.apply_gradients(zip(grads, tvars))`) when its result flows into
        this apply_gradients and var_list is a list of trainable tf.Variables (the tape
        watches them by itself): `tape.gradient(loss, variables)` returns what tf.gradients
        did, None for a variable the loss does not reach, which TF1's and Keras'
        apply_gradients both skip (tests/fixtures/tf1_to_tf2/session_gradients_apply)."""
        assert isinstance(call.func, cst.Attribute)
        recv = call.func.value
        o = u.reaching(recv.value, s.index) if isinstance(recv, cst.Name) else None
        if o is None or o.kind != OPT or not isinstance(recv, cst.Name):
            raise Unsupported(call, "`apply_gradients` on something that is not a TF1 optimizer built in the same function; not converted")
        if any(a.star for a in call.args) or len([a for a in call.args if a.keyword is None]) > 3:
            raise Unsupported(call, "apply_gradients(*args/**kwargs) or too many arguments; not converted")
        aargs = _args_map_loose(call, ["grads_and_vars", "global_step", "name"])
        extra = set(aargs) - {"grads_and_vars", "global_step", "name"}
        if extra or "grads_and_vars" not in aargs:
            raise Unsupported(call, f"apply_gradients({', '.join(sorted(extra)) or 'without grads_and_vars'}) is not converted")
        computes = [g for g in u.stmts if g.kind == GRADS and g.index < s.index]
        mine = []
        gv_flow = self.flow_into(u, s)
        tf_gradients = False
        for g in computes:
            cg = [n for n in walk(g.value) if isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute)
                  and n.func.attr.value == "compute_gradients"] if g.value is not None else []
            tg = [n for n in walk(g.value) if isinstance(n, cst.Call) and self.call_rest(n) == "gradients"] \
                if g.value is not None else []
            if not cg and tg:
                # `grads = tf.gradients(loss, var_list)` ... `opt.apply_gradients(zip(f(grads), var_list))`
                if set(g.defines) & gv_flow:
                    if len(tg) != 1 or len([n for n in walk(g.value) if isinstance(n, cst.Call) and (
                            (isinstance(n.func, cst.Attribute) and n.func.attr.value == "gradients")
                            or (isinstance(n.func, cst.Name) and n.func.value == "gradients"))]) != 1:
                        raise Unsupported(g.node, "a statement with several tf.gradients calls; not converted")
                    mine.append((g, tg[0]))
                    tf_gradients = True
                continue
            if len(cg) != 1:
                raise Unsupported(g.node, "a statement with several compute_gradients calls; not converted")
            c = cg[0]
            assert isinstance(c.func, cst.Attribute)
            if isinstance(c.func.value, cst.Name) and u.reaching(c.func.value.value, g.index) is o:
                mine.append((g, c))
        if len(mine) != 1:
            raise Unsupported(call, f"`{recv.value}.apply_gradients` needs exactly one `{recv.value}.compute_gradients(...)` before it in the same function ({len(mine)} found); not converted")
        compute, ccall = mine[0]
        if any(t.compute is compute for t in self.train_ops.values()):
            raise Unsupported(call, "one compute_gradients result applied twice; not converted")
        if tf_gradients:
            # tf.gradients(ys, xs): the gradient of ys with respect to each of xs, None where
            # ys does not depend on it, what `tape.gradient(ys, xs)` returns; TF1's
            # apply_gradients skipped the None pairs, as Keras' does
            if any(a.star for a in ccall.args) or len([a for a in ccall.args if a.keyword is None]) > 2:
                raise Unsupported(ccall, "tf.gradients(*args/**kwargs) or its grad_ys/stop_gradients arguments; not converted")
            targs = _args_map_loose(ccall, ["ys", "xs"])
            extra = set(targs) - {"ys", "xs"}
            if extra or "xs" not in targs:
                raise Unsupported(ccall, f"tf.gradients({', '.join(sorted(extra)) or 'without xs'}=...) is not converted")
            cargs = {"loss": targs["ys"], "var_list": targs["xs"]} if "ys" in targs else {}
            if "loss" not in cargs or not isinstance(cargs["loss"].value, cst.Name):
                raise Unsupported(ccall, "tf.gradients of a loss expression (name the loss first); not converted")
            if _cf._tape_sources(self, u, targs["xs"].value, compute.index) != "list":
                raise Unsupported(ccall, "tf.gradients applied by an optimizer, with respect to values that are not a list "
                                         "of trainable tf.Variables (the train step's tape watches only those); not converted")
        else:
            if any(a.star for a in ccall.args) or len([a for a in ccall.args if a.keyword is None]) > 2:
                raise Unsupported(ccall, "compute_gradients(*args/**kwargs) or its gating/aggregation arguments; not converted")
            cargs = _args_map_loose(ccall, ["loss", "var_list"])
            extra = set(cargs) - {"loss", "var_list"}
            if extra:
                raise Unsupported(ccall, f"compute_gradients({', '.join(sorted(extra))}=...) is not converted")
            if "loss" not in cargs or not isinstance(cargs["loss"].value, cst.Name):
                raise Unsupported(ccall, "compute_gradients of a loss expression (name the loss first); not converted")
        # the statements between that depend on the gradients, and nothing else uses them
        grad_names = set(compute.defines)
        post: list[Stmt] = []
        for m in u.stmts:
            if compute.index < m.index < s.index and m.uses & grad_names:
                if m.kind != T or m.value is None or self.makes_variables(m.value):
                    raise Unsupported(m.node, "a statement on the gradients that is not a plain tensor computation; not converted")
                post.append(m)
                grad_names |= set(m.defines)
        ids = {id(compute), *(id(m) for m in post)}
        gv = aargs["grads_and_vars"].value
        self.paired_methods.update({id(ccall.func), id(call.func)})
        args = {"loss": cargs["loss"]}
        if "var_list" in cargs:
            args["var_list"] = cargs["var_list"]
        if "global_step" in aargs:
            args["global_step"] = aargs["global_step"]
        tr = self.train_parts(u, s, call, args, recv.value, o)
        tr.compute, tr.post, tr.tf_gradients = compute, post, tf_gradients
        if tr.var_list is None:
            # TF1 lists every trainable variable of the graph (None where the loss does not
            # reach it), the tape the variables the loss read, both in creation order: the
            # same gradients, but not the same positions
            for m in [*post, s]:
                for n in walk(gv if m is s or m.value is None else m.value):
                    if (isinstance(n, cst.Subscript) and isinstance(n.value, cst.Name) and n.value.value in grad_names) or (
                            isinstance(n, cst.Call) and isinstance(n.func, cst.Name) and n.func.value in ("len", "enumerate")):
                        raise Unsupported(n, "the gradient list is indexed or counted: without var_list TF1 lists every trainable variable (None where the loss does not reach it) and the tape only those the loss read; pass var_list=[...] to compute_gradients; not converted")
        for name in names_used(gv):
            gk = self.graph_kind(u, name, s.index)
            if gk is not None and id(gk) not in ids and gk.kind != V:
                raise Unsupported(call, f"apply_gradients of `{name}` ({gk.kind}), which is not computed from the compute_gradients result; not converted")
        if not names_used(gv) & grad_names:
            raise Unsupported(call, "apply_gradients of values not computed from compute_gradients; not converted")
        for m in u.stmts:
            if id(m) in ids or m is s:
                continue
            bad = sorted(n for n in m.uses & grad_names if id(u.reaching(n, m.index)) in ids)
            if bad:
                raise Unsupported(m.node, f"the gradients ({', '.join(bad)}) are also used outside the train step; not converted")
        loss_name = cargs["loss"].value.value  # type: ignore[attr-defined]
        if u.reaching(loss_name, compute.index) is not u.reaching(loss_name, s.index):
            raise Unsupported(call, f"`{loss_name}` is rebound between compute_gradients and apply_gradients; not converted")
        return tr

    def flow_into(self, u: Unit, s: Stmt) -> set[str]:
        """The names whose values flow into statement `s` through the top-level statements
        of `u` before it."""
        flow = set(s.uses)
        for m in reversed(u.stmts):
            if m.index < s.index and set(m.defines) & flow:
                flow |= m.uses
        return flow

    def pair_needs(self, gu: Unit, tr: TrainOp) -> list[Stmt]:
        """The graph statements (tensors, placeholders) that the statements on the gradients
        read besides the gradients: computed in the train step too."""
        out = []
        own = {id(tr.compute), *(id(m) for m in tr.post)}
        for m in tr.post:
            for name in m.uses:
                d = gu.reaching(name, m.index)
                if d is not None and id(d) not in own and (d.kind == T and not d.static or d.kind in (P, NEXT)):
                    out.append(d)
        return out

    # run calls -> variants ---------------------------------------------------------------
    def build_variants(self) -> None:
        for u, top, call, kind, line, root in self.run_sites:
            self.site(u, top, call, kind, line, root)

    def fetch_and_feed(self, call: cst.Call, kind: str) -> tuple[cst.BaseExpression | None, cst.BaseExpression | None]:
        args = list(call.args)
        for a in args:
            if a.star:
                raise Unsupported(call, "run(*args/**kwargs)")
        if kind == "sess-run":
            names = ["fetches", "feed_dict"]
        else:
            names = ["feed_dict", "session"]
        got: dict[str, cst.BaseExpression] = {}
        for i, a in enumerate(args):
            k = a.keyword.value if a.keyword else (names[i] if i < len(names) else "?")
            if k not in names:
                raise Unsupported(call, f"run(..., {k}=...) is not converted")
            got[k] = a.value
        if kind == "sess-run":
            if "fetches" not in got:
                raise Unsupported(call, "sess.run without fetches")
            fetches = got["fetches"]
        else:
            assert isinstance(call.func, cst.Attribute)
            fetches = call.func.value
        return fetches, got.get("feed_dict")

    def leaf(self, u: Unit, top: int, node: cst.BaseExpression) -> tuple[str, Stmt | None]:
        """Classify a fetched expression: ('tensor'|'variable'|'train'|'init', stmt)."""
        if _introspection.fetch_ok(self, u, top, node, False):
            return "variable", None
        if isinstance(node, cst.Name):
            g = self.graph_kind(u, node.value, top if u.is_module or node.value in u.locals else 10**9)
            if g is None:
                raise Unsupported(node, f"fetch `{node.value}` is not a tensor built in this file")
            if id(g) in self.train_aliases:  # `with tf.control_dependencies([train]): op = tf.no_op()`
                return "train", self.train_aliases[id(g)]
            if g.kind == T:
                if isinstance(g.value, (cst.List, cst.Tuple, cst.Dict)) or self.call_rest(g.value) in LIST_RESULTS:
                    raise Unsupported(node, f"fetch `{node.value}` is a list of tensors; not converted")
                return "tensor", g
            if g.kind == V:
                if not isinstance(g.value, cst.Call):
                    raise Unsupported(node, f"fetch `{node.value}` is a container of variables")
                return "variable", g
            if g.kind == TRAIN:
                return "train", g
            if g.kind == INIT:
                return "init", g
            if g.kind in (SUMM, MERGE):
                return "summary", g
            if g.kind == NEXT:
                return "element", g
            if g.kind == SCHED and id(g) in self.schedule_reads:
                return "schedule", g
            raise Unsupported(node, f"fetching `{node.value}` ({g.kind}) is not converted")
        if id(node) in self.rnn_state_parts and isinstance(node, (cst.Attribute, cst.Subscript)) \
                and isinstance(node.value, cst.Name):
            # a part of a converted LSTM's final state, fetched as it is (_rnn.py): the tensor
            # the Keras layer returns for it
            g = self.graph_kind(u, node.value.value, top if u.is_module or node.value.value in u.locals else 10**9)
            if g is not None and g.kind == T:
                return "tensor", g
        if self.call_rest(node) in INITIALIZERS or id(node) in self.metric_inits:
            return "init", None
        if isinstance(node, cst.Attribute) and node.attr.value == "initializer":
            return "init", None
        if isinstance(node, (cst.Subscript, cst.Attribute)) and not any(isinstance(n, cst.Call) for n in walk(node)):
            for name in names_used(node):
                g = self.graph_kind(u, name, 10**9)
                if g is not None and g.kind != V:
                    raise Unsupported(node, f"fetch `{self.code(node)}` is not converted")
            return "variable", None
        raise Unsupported(node, f"fetch `{self.code(node)}` is not converted")

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def site(self, u: Unit, top: int, call: cst.Call, kind: str, line: cst.SimpleStatementLine | None, root: cst.CSTNode) -> None:
        if kind == "init-run":
            if call.args:
                raise Unsupported(call, "initializer run with arguments")
            self.statement_only(call, line, root)
            self.init_runs += 1
            return
        fetches, feed = self.fetch_and_feed(call, kind)
        assert fetches is not None
        if isinstance(fetches, (cst.List, cst.Tuple)):
            shape = "list" if isinstance(fetches, cst.List) else "tuple"
            nodes = []
            for el in fetches.elements:
                if isinstance(el, cst.StarredElement):
                    raise Unsupported(call, "starred fetches")
                nodes.append(el.value)
        elif isinstance(fetches, cst.Dict):
            shape = "dict"
            nodes = []
            for el in fetches.elements:
                if not isinstance(el, cst.DictElement) or not isinstance(el.key, (cst.SimpleString, cst.Integer, cst.ConcatenatedString)):
                    raise Unsupported(call, "fetch dict whose keys are not literal strings or numbers")
                nodes.append(el.value)
        else:
            shape = "single"
            nodes = [fetches]
        if any(id(n) in self.tensor_reads for n in nodes) and (shape != "single" or feed is not None):
            raise Unsupported(call, "a variable looked up with get_tensor_by_name is fetched with other values or a feed_dict; not converted")
        leaves = [self.leaf(u, top, n) for n in nodes]
        kinds = [k for k, _ in leaves]
        fetched_element = _fetches.element_fetch(self, call, shape, feed, leaves) if "element" in kinds else None
        if "element" in kinds and fetched_element is None:
            g = leaves[0][1]
            assert g is not None
            plan = self.plan
            if kind == "sess-run":
                plan.dropped.append(call.func)

            def draw(updated: cst.Call, g: Stmt = g) -> cst.BaseExpression:
                named = plan.element_iters.get(id(g))
                assert isinstance(g.value, cst.Call)
                func = cst.Attribute(cst.Name(named), cst.Name("get_next")) if named else g.value.func
                return _numpy(cst.Call(func=func))
            plan.call_builders[id(call)] = draw
            return
        if "init" in kinds:
            if set(kinds) != {"init"}:
                raise Unsupported(call, "initializer fetched together with other tensors")
            if feed is not None:
                raise Unsupported(call, "initializer run with a feed_dict")
            self.statement_only(call, line, root)
            reset = next((self.metric_resets[id(n)] for n in nodes if id(n) in self.metric_resets), None)
            if reset is not None and line is not None:  # a later local_variables_initializer run: the metrics reset
                self.plan.remove.discard(id(line))
                self.plan.stmt_builders[id(line)] = reset
                return
            self.init_runs += 1
            return
        # the unit owning the graph: all tensor leaves must come from one unit
        owners = {id(self.owner(u, n.value)) for n in nodes if isinstance(n, cst.Name)}
        if len(owners) > 1:
            raise Unsupported(call, "fetches from graphs built in different functions")
        gu = self.owner(u, nodes[0].value) if isinstance(nodes[0], cst.Name) else u
        if gu is not u and not gu.is_module:
            raise Unsupported(call, "fetch from another function's graph")
        trains = [s for k, s in leaves if k == "train"]
        dynamic = [s for k, s in leaves if k == "tensor" and s is not None and not s.static]
        summary = self.summary_fetch(u, gu, call, line, root, nodes, leaves) if "summary" in kinds else None
        feeds = self.feeds(u, gu, call, feed)
        if any(k == "schedule" for k, _ in leaves):
            if trains:
                raise Unsupported(call, "a learning-rate schedule fetched in the same run as a train op (read before or after the step advances?); not converted")
            if not dynamic:
                raise Unsupported(call, "a learning-rate schedule fetched in a run that computes no tensor; not converted")
        if not trains and not dynamic and summary is None and fetched_element is None:
            if feeds and not all(isinstance(v, SIMPLE_VALUES) for v in feeds.values()):
                raise Unsupported(call, "feed values with side effects for a run that needs no feed")
            self.inline_site(call, shape, kind)
            return
        if len(trains) > 1:
            raise Unsupported(call, "several train ops in one run (e.g. GAN updates); not converted")
        train = trains[0] if trains else None
        if train is not None:
            if any(k == "variable" for k, _ in leaves):
                raise Unsupported(call, "variables fetched in the same run as a train op (read before or after the update?)")
            if shape == "dict":
                raise Unsupported(call, "train op fetched in a dict")
        group = _cf.group_fetch(self, call, shape, root, leaves)
        rets = [(self.schedule_read(n, s) if k == "schedule" else n, s) for n, (k, s) in zip(nodes, leaves)
                if k not in ("train", "summary") and s is not group]
        tr = self.train_ops[id(train)] if train is not None else None
        if tr is not None and tr.synth_optimizer is not None:
            # optimize_loss's train op is the loss with a dependency on the update: its
            # value is the loss before the update, what the train step computes on its tape
            # (a train element assigned to `_` returns nothing)
            loss_name = tr.loss.defines[0]
            tgt = root.targets[0].target if isinstance(root, cst.Assign) and len(root.targets) == 1 else None
            targets = [el.value for el in tgt.elements] if isinstance(tgt, (cst.Tuple, cst.List)) else [tgt] * len(nodes)
            if len(targets) != len(nodes):
                targets = [None] * len(nodes)
            rets = [(cst.Name(loss_name), tr.loss) if k == "train" else (n, s) for n, (k, s), t in zip(nodes, leaves, targets)
                    if k != "summary" and s is not group and not (k == "train" and isinstance(t, cst.Name) and t.value == "_")]
        # a value computed from the gradients (clip_by_global_norm's norm) fetched with its
        # train op: the train step computes it after the tape and returns it
        post = {id(m) for m in tr.post} if tr is not None else set()
        needed = [s for _, s in rets if s is not None and s.kind == T and not s.static and id(s) not in post]
        if tr is not None:
            needed.append(tr.loss)
            needed.extend(self.pair_needs(gu, tr))
        if group is not None:
            needed.append(group)
        if fetched_element is not None:
            needed.append(fetched_element)  # the function's parameters; fetched components are returned
        if summary is not None:
            needed.extend(summary[0])
        members = self.slice(gu, needed)
        params = self.params_of(gu, members, call)
        for p in params:
            if p.default is None and p.name not in feeds and p.stmt.kind != NEXT:
                raise Unsupported(call, f"placeholder `{p.name}` is needed but not fed")
            if p.stmt.kind == NEXT and feeds:
                raise Unsupported(call, "a run that draws a dataset element and also feeds placeholders; not converted")
        pnames = {p.name for p in params}
        for k, v in feeds.items():
            if k not in pnames and id(call) in self.star_feeds:
                raise Unsupported(call, f"feed dict `{self.star_feeds[id(call)]}` feeds `{k}`, which this run does not need")
            if k not in pnames and not isinstance(v, SIMPLE_VALUES):
                raise Unsupported(call, f"feed `{k}` is not needed here and its value has side effects")
        if summary is not None and shape == "dict":
            raise Unsupported(call, "a summary fetched in a dict; not converted")
        consts = _training_flags.mode_consts(self, params, feeds) if self.models else {}
        params = [p for p in params if p.name not in consts]
        if shape == "dict":
            returns: tuple = ("dict", [(el.key, el.value) for el in fetches.elements])  # type: ignore[union-attr]
            sig: tuple = ("dict", tuple((self.code(k), self.code(v)) for k, v in returns[1]))
        elif shape == "single" or len(rets) == 1 and (train is not None or summary is not None):
            returns = ("single", rets[0][0]) if rets else ()
            sig = ("single", self.code(rets[0][0])) if rets else ()
        else:
            returns = ("seq", [n for n, _ in rets]) if rets else ()
            sig = ("seq", tuple(self.code(n) for n, _ in rets)) if rets else ()
        if group is not None:
            sig = ("group", id(group))
        key = (id(gu), id(train) if train else None, sig, tuple(p.name for p in params),
               (tuple(id(x) for x in summary[0]), summary[1]) if summary is not None else None, tuple(sorted(consts.items())))
        var = next((v for v in self.variants if v.key == key), None)
        if var is None:
            anchor = max([m.index for m in members] + ([train.index] if train else []) +
                         ([tr.optimizer_stmt.index] if tr and tr.optimizer_stmt else []))
            var = Variant(gu, key, members=members, params=params, returns=returns, train=train, anchor=anchor, consts=consts)
            if group is not None:
                self.cf_groups[id(var)] = group
            var.hint = "_".join(self.rnn_state_parts.get(id(n)) or _schedule_read_name(n) or self.code(n) for n, _ in rets) if all(
                isinstance(n, cst.Name) or id(n) in self.rnn_state_parts or _schedule_read_name(n) for n, _ in rets) else ""
            if summary is not None:
                var.summaries, var.writer = summary[0], summary[1]
                var.hint = "_".join(["summaries", *([var.hint] if var.hint else [])])
            self.variants.append(var)
        self.site_variants[id(call)] = var
        if gu is u:
            if top <= var.anchor:
                raise Unsupported(call, "a run call before the graph it runs is complete; not converted")
            var.tops.append(top)
        if summary is not None:
            self.summary_call_site(var, call, kind, line, root, shape, nodes, leaves, summary[2])
            return
        self.call_site(var, call, kind, line, root, shape, train is not None, nodes, leaves, feeds)

    def schedule_read(self, node: cst.BaseExpression, g: Stmt | None) -> cst.BaseExpression:
        """A fetched Keras schedule `lr` (TF1: a tensor of the global step) -> `lr(gs)`."""
        assert isinstance(node, cst.Name) and g is not None
        return cst.Call(func=cst.Name(node.value), args=[cst.Arg(cst.Name(self.schedule_reads[id(g)][1]))])

    # summaries -----------------------------------------------------------------------
    def summary_fetch(self, u: Unit, gu: Unit, call: cst.Call, line: cst.SimpleStatementLine | None, root: cst.CSTNode,
                      nodes: list[cst.BaseExpression], leaves: list[tuple[str, Stmt | None]]) -> tuple[list[Stmt], str, cst.BaseExpression]:
        """A run that fetches a (merged) summary whose value the next statement passes to
        `writer.add_summary(value, step)`: the summary ops it writes, the writer, the step."""
        idx = [i for i, (k, _) in enumerate(leaves) if k == "summary"]
        if len(idx) != 1:
            raise Unsupported(call, "several summaries fetched in one run; not converted")
        g = leaves[idx[0]][1]
        assert g is not None
        if line is None or not (isinstance(root, cst.Assign) and root.value is call and len(root.targets) == 1):
            raise Unsupported(call, "a summary fetched outside an assignment `value = sess.run(...)`; not converted")
        tgt = root.targets[0].target
        if len(nodes) == 1 and isinstance(tgt, cst.Name):
            name = tgt.value
        elif isinstance(tgt, (cst.Tuple, cst.List)) and len(tgt.elements) == len(nodes) and isinstance(tgt.elements[idx[0]].value, cst.Name):
            name = tgt.elements[idx[0]].value.value  # type: ignore[union-attr]
        else:
            raise Unsupported(call, "the fetched summary is not assigned to a name; not converted")
        nxt = self.next_line(line)
        add = self.add_summaries.get(id(nxt)) if nxt is not None else None
        if add is None or add[1] != name:
            raise Unsupported(call, f"the fetched summary `{name}` is not written by `writer.add_summary({name}, step)` in the next statement; not converted")
        self.paired_adds.add(id(nxt))
        self.plan.remove.add(id(nxt))
        self.plan.dropped.append(nxt)  # type: ignore[arg-type]
        if g.kind == SUMM:
            ops = [g]
        else:
            mcall = g.value
            assert isinstance(mcall, cst.Call)
            if self.call_rest(mcall) == "summary.merge_all":
                if mcall.args:
                    raise Unsupported(mcall, "tf.summary.merge_all(key=...); not converted")
                ops = [s for s in gu.stmts if s.kind == SUMM and s.index < g.index]
            else:
                lst = mcall.args[0].value if len(mcall.args) == 1 and mcall.args[0].keyword is None else None
                if not isinstance(lst, (cst.List, cst.Tuple)) or not all(isinstance(e.value, cst.Name) for e in lst.elements):
                    raise Unsupported(mcall, "tf.summary.merge of something else than a list of summary names; not converted")
                ops = []
                for e in lst.elements:
                    d = gu.reaching(e.value.value, g.index)  # type: ignore[attr-defined]
                    if d is None or d.kind != SUMM:
                        raise Unsupported(mcall, f"`{self.code(e.value)}` is not a tf.summary.scalar/histogram of this function; not converted")
                    ops.append(d)
        if not ops:
            raise Unsupported(g.node, "a merged summary with no summary op before it; not converted")
        tags: set[str] = set()
        for op in ops:
            c = op.value
            assert isinstance(c, cst.Call)
            args = _args_map_loose(c, ["name", "tensor" if self.call_rest(c) == "summary.scalar" else "values"])
            tag = args.get("name")
            if len(args) != 2 or len(c.args) != 2 or any(a.star for a in c.args) or not isinstance(tag, cst.Arg) \
                    or not isinstance(tag.value, cst.SimpleString) or not isinstance(tag.value.evaluated_value, str):
                raise Unsupported(c, "a summary op with arguments other than a literal name and its value (collections=, family=); not converted")
            if tag.value.evaluated_value in tags:
                raise Unsupported(c, f"two summaries named {tag.value.evaluated_value!r} (TF1 renames the second one); not converted")
            tags.add(tag.value.evaluated_value)
            named = self.named_ops_before(gu, op.index)
            if tag.value.evaluated_value.lower() in named:
                raise Unsupported(c, f"the summary {tag.value.evaluated_value!r} has the name of the graph op made by "
                                     f"`{named[tag.value.evaluated_value.lower()]}` (TF1 writes it under a tag made "
                                     f"unique, such as {tag.value.evaluated_value + '_1'!r}; a TF2 summary keeps {tag.value.evaluated_value!r}); not converted")
        return sorted(ops, key=lambda s: s.index), add[0], add[2]

    def named_ops_before(self, u: Unit, index: int) -> dict[str, str]:
        """Lower-cased literal `name='...'` of the ops built by top-level statements of `u`
        before statement `index` -> that op's call (TF1 makes an op name unique, ignoring
        case, before it becomes a summary's tag)."""
        out: dict[str, str] = {}
        for st in u.body[:index]:
            if not isinstance(st, cst.SimpleStatementLine):
                continue
            for n in walk(st):
                if isinstance(n, cst.Call) and self.call_rest(n) is not None:
                    for a in n.args:
                        if a.keyword is not None and a.keyword.value == "name" and isinstance(a.value, cst.SimpleString) \
                                and isinstance(a.value.evaluated_value, str):
                            out.setdefault(a.value.evaluated_value.lower(), self.code(n.func))
        return out

    def next_line(self, line: cst.SimpleStatementLine) -> cst.CSTNode | None:
        self.find_stmt(line)  # builds the parent map
        parent = self._parents.get(id(line))
        body = list(getattr(parent, "body", ()))
        for i, st in enumerate(body):
            if st is line:
                return body[i + 1] if i + 1 < len(body) else None
        return None

    def summary_call_site(self, var: Variant, call: cst.Call, kind: str, line: cst.SimpleStatementLine | None, root: cst.CSTNode,
                          shape: str, nodes: list[cst.BaseExpression], leaves: list[tuple[str, Stmt | None]],
                          step: cst.BaseExpression) -> None:
        """`[summary, _] = sess.run([merged, train], feed)` + `writer.add_summary(summary, i)`
        -> `fn(feed..., i)` (the function writes the summaries at step `i`)."""
        plan = self.plan
        assert line is not None and isinstance(root, cst.Assign)
        feed_keys = self.feed_order(call, kind)
        star = self.star_feeds.get(id(call))
        if star is not None:
            raise Unsupported(call, "a summary run with a feed dict variable; not converted")
        tgt = root.targets[0].target
        keep: list[cst.BaseExpression] = []
        if isinstance(tgt, (cst.Tuple, cst.List)):
            for el, (k, _s) in zip(tgt.elements, leaves):
                if isinstance(el, cst.StarredElement):
                    raise Unsupported(call, "starred target")
                if k == "train" and not (isinstance(el.value, cst.Name) and el.value.value == "_"):
                    raise Unsupported(call, "the train op's result (None) is assigned to a name other than `_`")
                if k not in ("train", "summary"):
                    keep.append(el.value)
        if kind == "sess-run":
            plan.dropped.append(call.func)

        def stmt(updated_line: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
            assign = updated_line.body[0]
            assert isinstance(assign, cst.Assign)
            upd = assign.value
            assert isinstance(upd, cst.Call)
            values = _feed_values(upd, feed_keys, kind)
            args = [cst.Arg(values[p.name]) if p.default is None else kwarg(p.name, values[p.name]) for p in var.params if p.name in values]
            elements = _element_args(var, plan)
            c = cst.Call(func=cst.Name(var.name), args=[*(elements if elements is not None else args), cst.Arg(step)])
            if not keep:
                return [updated_line.with_changes(body=[cst.Expr(c)])]
            if len(keep) == 1:
                return [updated_line.with_changes(body=[assign.with_changes(targets=[cst.AssignTarget(keep[0])], value=_convert(c, "single"))])]
            target = cst.Tuple([cst.Element(t) for t in keep], lpar=[], rpar=[])
            return [updated_line.with_changes(body=[assign.with_changes(targets=[cst.AssignTarget(target)], value=_convert(c, "list"))])]
        plan.stmt_builders[id(line)] = stmt
        self.handled_stmts.add(id(line))

    def statement_only(self, call: cst.Call, line: cst.SimpleStatementLine | None, root: cst.CSTNode) -> None:
        if line is None or not isinstance(root, cst.Expr) or root.value is not call:
            raise Unsupported(call, "an initializer run used as a value; not converted")
        self.plan.remove.add(id(line))
        self.plan.dropped.append(line)
        self.handled_stmts.add(id(line))

    def feeds(self, u: Unit, gu: Unit, call: cst.Call, feed: cst.BaseExpression | None) -> dict[str, cst.BaseExpression]:
        if feed is None:
            return {}
        if isinstance(feed, cst.Name):
            literals = self.feed_vars.get((u.name, feed.value))
            if not literals:
                raise Unsupported(call, f"feed_dict `{feed.value}` is not a dict literal of placeholders built in this function")
            bindings = sum(1 for n in walk(u.node) if isinstance(n, cst.AssignTarget) and isinstance(n.target, cst.Name)
                           and n.target.value == feed.value) if not u.is_module else -1
            if bindings != len(literals) and not u.is_module:
                raise Unsupported(call, f"feed_dict `{feed.value}` is also bound to something else")
            keysets = {frozenset(el.key.value for el in d.elements) for d in literals}  # type: ignore[union-attr]
            if len(keysets) != 1:
                raise Unsupported(call, f"feed_dict `{feed.value}` has different placeholders in different places")
            out_n = {k: cst.Name(k) for k in next(iter(keysets))}
            for k in out_n:
                if self.owner(u, k) is not gu:
                    raise Unsupported(call, "feeding a placeholder of another graph")
            self.star_feeds[id(call)] = feed.value
            return out_n  # type: ignore[return-value]
        if not isinstance(feed, cst.Dict):
            raise Unsupported(call, "feed_dict is not a literal dict")
        out: dict[str, cst.BaseExpression] = {}
        for el in feed.elements:
            if not isinstance(el, cst.DictElement) or not isinstance(el.key, cst.Name):
                raise Unsupported(call, "feed_dict key is not a placeholder name")
            g = self.graph_kind(u, el.key.value, 10**9)
            if g is None or g.kind != P:
                raise Unsupported(el.key, f"feeding `{el.key.value}`, which is not a placeholder (feeding computed tensors is not converted)")
            if self.owner(u, el.key.value) is not gu:
                raise Unsupported(el.key, "feeding a placeholder of another graph")
            out[el.key.value] = el.value
        return out

    def slice(self, gu: Unit, needed: list[Stmt]) -> list[Stmt]:
        seen: dict[int, Stmt] = {}
        stack = list(needed)
        while stack:
            s = stack.pop()
            if id(s) in seen:
                continue
            seen[id(s)] = s
            for name in s.uses:
                d = gu.reaching(name, s.index)
                if d is None:
                    continue
                if d.kind == T and not d.static or d.kind in (P, NEXT):
                    stack.append(d)
                elif d.kind == GRADS:
                    raise Unsupported(s.node, f"`{name}` (the compute_gradients result) is computed only inside its train step; fetching what is computed from it is not converted")
                elif d.kind == OPT and id(s.node) in self.tower_blocks:
                    continue  # its compute_gradients: the towers' tapes (_towers.py)
                elif d.kind in (OPT, TRAIN, INIT, CONFIG, SESS):
                    raise Unsupported(s.node, f"`{name}` ({d.kind}) is used to compute a tensor; not converted")
        members = sorted(seen.values(), key=lambda s: s.index)
        for m in members:
            if m.kind == T:
                self.check_moved(gu, m)
        return members

    def params_of(self, gu: Unit, members: list[Stmt], call: cst.Call) -> list[Param]:
        out = []
        elements = [m for m in members if m.kind == NEXT]
        if elements:
            if len(elements) > 1 or any(m.kind == P for m in members):
                raise Unsupported(call, "a run that needs several dataset elements, or elements and placeholders; not converted")
            for name in elements[0].defines:
                out.append(Param(name, elements[0]))
            self.plan.capture.add(id(elements[0].node))
            return out
        for m in members:
            if m.kind != P:
                continue
            pcall = m.value
            assert isinstance(pcall, cst.Call)
            if self.call_rest(pcall) == "placeholder_with_default":
                default = pcall.args[0].value if pcall.args and pcall.args[0].keyword in (None,) else None
                for a in pcall.args:
                    if a.keyword is not None and a.keyword.value == "input":
                        default = a.value
                dtype = None
                if isinstance(default, cst.Float) or (isinstance(default, cst.UnaryOperation) and isinstance(default.expression, cst.Float)):
                    dtype = "float32"
                elif isinstance(default, cst.Integer):
                    dtype = "int32"
                elif isinstance(default, cst.Name) and default.value in ("True", "False"):
                    dtype = "bool"
                if default is None or dtype is None:
                    raise Unsupported(pcall, "placeholder_with_default whose default is not a literal number or bool")
                out.append(Param(m.defines[0], m, default, cst.Name(dtype)))
            else:
                for a in pcall.args:
                    if a.star:
                        raise Unsupported(pcall, "placeholder(*args)")
                out.append(Param(m.defines[0], m))
        out.sort(key=lambda p: p.default is not None)
        for p in out:
            self.plan.capture.add(id(p.stmt.node))
        return out

    def check_moved(self, gu: Unit, m: Stmt) -> None:
        """A statement moved into a step function must not create variables."""
        assert m.value is not None
        moved = _cf.moved_part(self, m)
        if id(m.node) not in self.inline_layer_lines and self.makes_variables(moved):
            raise Unsupported(m.node, "this statement creates variables; inside a step function it would create new ones on every call")
        self.check_helpers(moved, set())

    def check_helpers(self, node: cst.CSTNode, seen: set[str]) -> None:
        for n in walk(node):
            if not isinstance(n, cst.Call) or id(n) in self.tower_dropped:
                continue
            f = n.func
            if isinstance(f, cst.Name) and f.value in self.models:
                continue  # the Keras object TF2130 makes (created once); its arguments are walked too
            if isinstance(f, cst.Name) and f.value in self.functions and f.value not in seen:
                seen.add(f.value)
                fn = self.functions[f.value]
                if self.makes_variables(fn.body):
                    raise Unsupported(n, f"`{f.value}()` creates variables; called in a step function it would create new ones on every call (hoisting model functions is not automated yet)")
                for _, r in self.tf_refs(fn.body):
                    if r in SESSIONS or r in PLACEHOLDERS:
                        raise Unsupported(n, f"`{f.value}()` uses sessions or placeholders")
                self.check_helpers(fn.body, seen)
            elif self.rest(f) is None:
                if isinstance(f, cst.Name) and (f.value in BUILTINS or f.value in self.functions):
                    continue
                q = self.ctx.qname(f) if dotted_name(f) else None
                if q is not None and (q == "numpy" or q.startswith("numpy.")):
                    continue
                if isinstance(f, cst.Attribute) and isinstance(f.value, cst.Name) and self.is_graph_anywhere(f.value.value):
                    continue  # a method of a tensor or variable
                if isinstance(f, cst.Attribute) and isinstance(f.value, cst.Name) and f.attr.value in ("update_state", "result") \
                        and any(ml.obj == f.value.value for ml in self.metric_lines.values()):  # type: ignore[attr-defined]
                    continue  # a Keras metric made here (_metrics.py): its variables exist, no Python side effects
                self.unknown_callables.add(self.code(f))

    def is_graph_anywhere(self, name: str) -> bool:
        return any(name in u.graph_names for u in self.units.values())

    # call sites --------------------------------------------------------------------------
    def inline_site(self, call: cst.Call, shape: str, kind: str = "") -> None:
        """Only variables and static tensors: the values are there already."""
        if kind == "sess-run":
            self.plan.dropped.append(call.func)
        def build(updated: cst.Call) -> cst.BaseExpression:
            fetches = _fetch_arg(updated, call)
            return _numpy_leaves(fetches, shape)
        self.plan.call_builders[id(call)] = build

    def call_site(self, var: Variant, call: cst.Call, kind: str, line, root, shape: str, has_train: bool, nodes, leaves, feeds) -> None:  # type: ignore[no-untyped-def]
        plan = self.plan
        feed_keys = self.feed_order(call, kind)

        def args_for(updated: cst.Call) -> list[cst.Arg]:
            values = _feed_values(updated, feed_keys, kind)
            out = []
            for p in var.params:
                if p.name in values:
                    v = values[p.name]
                    out.append(cst.Arg(v) if p.default is None else kwarg(p.name, v))
            return out

        star = self.star_feeds.get(id(call))

        def fn_call(updated: cst.Call) -> cst.Call:
            elements = _element_args(var, plan)
            if elements is not None:
                return cst.Call(func=cst.Name(var.name), args=elements)
            if star is not None:
                return cst.Call(func=cst.Name(var.name), args=[cst.Arg(cst.Name(star), star="**")])
            return cst.Call(func=cst.Name(var.name), args=args_for(updated))

        if kind == "sess-run":
            plan.dropped.append(call.func)  # `sess.run` / `tf.get_default_session().run`
        nested = any(_structured_fetches.is_structured(self, n, s) for n, (_k, s) in zip(nodes, leaves))
        if not has_train:
            unused = isinstance(root, cst.Expr) and root.value is call  # a statement: no value

            def build(updated: cst.Call) -> cst.BaseExpression:
                if nested and not unused:  # a dict of tensors among the fetches
                    return _structured_fetches.convert(fn_call(updated), shape)
                return fn_call(updated) if unused else _convert(fn_call(updated), shape)
            plan.call_builders[id(call)] = build
            return
        # a train op in the fetches: only as a statement
        valued = var.train is not None and self.train_ops[id(var.train)].synth_optimizer is not None  # optimize_loss: the loss
        if line is None:
            raise Unsupported(call, "a train op run inside an expression; not converted")
        if isinstance(root, cst.Expr) and root.value is call:
            def stmt(updated_line: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
                upd = updated_line.body[0].value  # type: ignore[attr-defined]
                return [updated_line.with_changes(body=[cst.Expr(fn_call(upd))])]
            plan.stmt_builders[id(line)] = stmt
            self.handled_stmts.add(id(line))
            return
        if isinstance(root, cst.Assign) and root.value is call and len(root.targets) == 1:
            tgt = root.targets[0].target
            if shape == "single":
                keep: list[cst.BaseExpression] = []
                if valued and not (isinstance(tgt, cst.Name) and tgt.value == "_"):
                    keep.append(tgt)
                elif not (isinstance(tgt, cst.Name) and tgt.value == "_"):
                    raise Unsupported(call, "the result of a train op (None) is assigned to a name; not converted")
            elif isinstance(tgt, (cst.Tuple, cst.List)) and len(tgt.elements) == len(nodes):
                keep = []
                for el, (k, _s) in zip(tgt.elements, leaves):
                    if isinstance(el, cst.StarredElement):
                        raise Unsupported(call, "starred target")
                    if k == "train" and (not valued or isinstance(el.value, cst.Name) and el.value.value == "_"):
                        if not (isinstance(el.value, cst.Name) and el.value.value == "_"):
                            raise Unsupported(call, "the train op's result (None) is assigned to a name other than `_`")
                    else:
                        keep.append(el.value)
            else:
                raise Unsupported(call, "train op results assigned to an unusual target")

            def stmt2(updated_line: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
                assign = updated_line.body[0]
                assert isinstance(assign, cst.Assign)
                upd = assign.value
                assert isinstance(upd, cst.Call)
                c = fn_call(upd)
                if not keep:
                    return [updated_line.with_changes(body=[cst.Expr(c)])]
                if len(keep) == 1:
                    target: cst.BaseExpression = keep[0]
                    value: cst.BaseExpression = (_structured_fetches.convert if nested else _convert)(c, "single")
                else:
                    target = cst.Tuple([cst.Element(t) for t in keep], lpar=[], rpar=[])
                    value = (_structured_fetches.convert if nested else _convert)(c, "list")
                return [updated_line.with_changes(body=[assign.with_changes(targets=[cst.AssignTarget(target)], value=value)])]
            plan.stmt_builders[id(line)] = stmt2
            self.handled_stmts.add(id(line))
            return
        raise Unsupported(call, "a train op run in an unusual statement; not converted")

    def feed_order(self, call: cst.Call, kind: str) -> list[str]:
        _f, feed = self.fetch_and_feed(call, kind)
        if not isinstance(feed, cst.Dict):
            return []
        return [el.key.value for el in feed.elements]  # type: ignore[union-attr]

    # late binding ------------------------------------------------------------------------
    def check_late_binding(self) -> None:
        """Names a moved statement reads are read when the function runs, not when the
        graph was built: they must not be rebound after the statement."""
        for var in self.variants:
            u = var.unit
            later_bound: dict[int, set[str]] = {}
            for m in var.members:
                if m.kind != T:
                    continue
                free = _cf.free_names(m.value if m.value is not None else m.node)
                for name in m.uses:
                    if name not in free:
                        continue  # bound by a comprehension or lambda of the statement itself
                    d = u.reaching(name, m.index)
                    if d is not None and d.kind in (P,) or (d is not None and d.kind == T and not d.static):
                        continue
                    for j in range(m.index + 1, len(u.body)):
                        if j not in later_bound:
                            later_bound[j] = bound_in(u.body[j]) if not (u.is_module and isinstance(u.body[j], cst.FunctionDef)) else {u.body[j].name.value}  # type: ignore[attr-defined]
                        if name in later_bound[j]:
                            s = u.stmts[j]
                            if s.kind == T and s.defines and name in s.defines and not s.static:
                                # redefined later; the member used the earlier definition
                                raise Unsupported(u.body[j], f"`{name}` is redefined after it is used in the graph; not converted")
                            raise Unsupported(u.body[j], f"`{name}` is rebound after the graph read it (a function would see the new value); not converted")
                    if u.is_module:
                        for fn in self.functions.values():
                            for n in walk(fn.body):
                                if isinstance(n, cst.Global) and name in {a.name.value for a in n.names}:
                                    raise Unsupported(n, f"`global {name}`: the graph reads a global that a function rebinds")

    # finishing ---------------------------------------------------------------------------
    def finish(self, refs: list[tuple[cst.CSTNode, str]]) -> None:
        plan = self.plan
        root = tf_root(self.ctx)
        active = {u.name for u, *_ in self.run_sites} | {n for n, s in self.sessions.items() if s} | {"<module>"}
        used_params = {id(p.stmt) for v in self.variants for p in v.params}
        used_params |= {id(s) for v in self.variants for s in v.members if s.kind == P and s.defines[0] in v.consts}
        on_gradients = {id(m) for t in self.train_ops.values() for m in t.post}  # rebuilt in its train step
        for u in self.units.values():
            if u.name not in active:
                continue  # a helper that builds graph pieces: called from moved code, unchanged
            for s in u.stmts:
                if s.kind == P and id(s) not in used_params and id(s) not in self.dataset_params:
                    maker = next((o for o in u.stmts if o.kind == V and s.defines[0] in o.uses and isinstance(o.value, cst.Call)
                                  and isinstance(o.value.func, cst.Name) and o.value.func.value in self.functions), None)
                    if maker is not None:
                        raise Unsupported(maker.node, f"`{self.code(maker.value)}` makes variables and computes tensors from the "
                                                      f"placeholder `{s.defines[0]}` in one helper: TF2120 does not split a helper "
                                                      "into variables made once and code run per call (TF2130 makes Keras layers "
                                                      "of model functions that use variable_scope/get_variable/tf.layers); not converted")
                    raise Unsupported(s.node, f"placeholder `{s.defines[0]}` is never fed to a run; not converted")
                if s.kind == T and not s.static and id(s) not in on_gradients and id(s) not in self.lr_members \
                        and id(s) not in self.train_aliases and not any(s in v.members for v in self.variants):
                    # dropping it silently would lose code: only tensors that some run needs
                    raise Unsupported(s.node, f"`{', '.join(s.defines)}` is built but never run; not converted")
                if s.kind == ITER and id(s.node) in self.init_iter_stmts:
                    continue  # removed; its dataset function is inserted after it (initializable_functions)
                if s.kind == ITER:
                    plan.stmt_builders[id(s.node)] = _iterator_builder(self.code(s.value.func) if isinstance(s.value, cst.Call) else "")
                    plan.dropped.append(s.value)  # type: ignore[arg-type]
                fn_name = self.input_fn_call(s.value) if s.kind == NEXT else None
                if fn_name is not None:
                    # `x, y = input_fn(...)` -> `input_fn_iterator = input_fn(...)` (it returns the iterator now)
                    for n in walk(s.value):  # type: ignore[arg-type]
                        if not isinstance(n, cst.Name):
                            continue
                        g = self.graph_kind(u, n.value, s.index)
                        if g is not None and not (g.kind == T and g.static):
                            raise Unsupported(n, f"`{fn_name}()` is called with the graph object `{n.value}` ({g.kind}); not converted")
                    it_name = self.fresh(f"{fn_name}_iterator")
                    plan.element_iters[id(s)] = it_name
                    plan.stmt_builders[id(s.node)] = _rebind_builder(it_name)
                    continue
                if s.kind == NEXT and isinstance(s.value, cst.Call) and isinstance(s.value.func, cst.Attribute) \
                        and not isinstance(s.value.func.value, cst.Name):
                    # `el = tf.data.make_one_shot_iterator(ds).get_next()`: the iterator gets a name
                    it_name = self.fresh(f"{s.defines[0]}_iterator" if len(s.defines) == 1 else "iterator")
                    plan.element_iters[id(s)] = it_name
                    plan.stmt_builders[id(s.node)] = _named_iterator_builder(it_name)
                    plan.dropped.append(s.value)
                    continue
                if s.kind == UPDATES:
                    plan.remove.add(id(s.node))
                    plan.dropped.append(s.node)
                if s.kind in (P, INIT, TRAIN, SESS, SUMM, MERGE, NEXT) or (s.kind == T and not s.static):
                    plan.remove.add(id(s.node))
                    plan.capture.add(id(s.node))
                    if s.kind not in (T, SUMM, NEXT):
                        plan.dropped.append(s.node)
                    elif s.kind == SUMM and isinstance(s.value, cst.Call):
                        plan.dropped.append(s.value.func)  # rebuilt as tf.summary.<kind>(..., step=)
                if s.kind == OPT and not any(t.optimizer_stmt is s for t in self.train_ops.values()):
                    raise Unsupported(s.node, "an optimizer that is not used through minimize(); not converted")
                if s.kind == TRAIN and id(s) not in {id(v.train) for v in self.variants if v.train is not None}:
                    raise Unsupported(s.node, "a train op that is never run; not converted")
        for u in self.units.values():
            if u.name in active:
                continue
            if u.name in self.input_fns:
                self.rewrite_input_fn(u)
                continue
            for s in u.stmts:
                if s.kind in (P, OPT, TRAIN, INIT, SESS, SUMM, MERGE, ITER, NEXT):
                    raise Unsupported(s.node, f"`{u.name}()` builds a {s.kind} but runs no session; building graphs in one function and running them in another is not converted")
        # summaries: every summary op is a top-level statement of a converted function (a
        # merge_all would also collect those made elsewhere), every add_summary is paired
        summary_stmts = {id(s.node) for uu in self.units.values() for s in uu.stmts if s.kind in (SUMM, MERGE)}
        for node, r in refs:
            if (r in SUMMARY_OPS or r in MERGES) and not any(id(a) in summary_stmts for a in self.ancestors(node)):
                raise Unsupported(node, f"`tf.{r}` inside an expression, a block or a helper function: TF1 collects it for merge_all wherever it is built; not converted")
        for lid in self.add_summaries:
            if lid not in self.paired_adds:
                raise Unsupported(self.module, "a `writer.add_summary` whose summary this rewrite did not produce; not converted")
        # every run call, session and placeholder reference is handled
        handled_refs = {id(n) for n in plan.dropped for n in walk(n)}
        for node, r in refs:
            if (r in SESSIONS or r in PLACEHOLDERS or r == "get_default_session" or r in INITIALIZERS) and id(node) not in handled_refs:
                if not self.in_removed(node):
                    raise Unsupported(node, f"`tf.{r}` is used in a way this rewrite does not recognise")
        # names
        train_bases: dict[int, str] = {}
        for var in self.variants:
            if var.train is not None:
                distinct = {id(v.train) for v in self.variants if v.train is not None and v.unit is var.unit}
                base = "train_step" if len(distinct) == 1 else f"{var.train.defines[0]}_step"
                if id(var.train) not in train_bases:
                    train_bases[id(var.train)] = base
                    own = var.train.defines[0]
                    if base == own and self.only_bound_by(var.unit, var.train):
                        var.name = own  # the train op's name, free once the train op is gone
                    else:
                        var.name = self.fresh(base)
                else:
                    var.name = self.fresh(f"{base}_{var.hint}" if var.hint and len(var.hint) <= 40 else base)
            elif id(var) in self.cf_groups and self.metric_lines and \
                    0 < len(self.cf_groups[id(var)].uses & var.unit.graph_names) and \
                    self.cf_groups[id(var)].uses & var.unit.graph_names <= {ml.update for ml in self.metric_lines.values()}:  # type: ignore[attr-defined]
                var.name = self.fresh("update_metrics")  # a group of metric updates only
            elif id(var) in self.cf_groups:
                var.name = _cf.group_name(self, var)
            else:
                single = var.returns[1] if var.returns and var.returns[0] == "single" else None
                g = var.unit.reaching(single.value, len(var.unit.body) + 1) if isinstance(single, cst.Name) else None
                if g is not None and g.kind == T and self.stateful(g) and self.only_bound_by(var.unit, g) \
                        and sum(1 for v in self.variants if v.returns and v.returns[0] == "single" and v.returns[1] is single) <= 1:
                    var.name = g.defines[0]  # an update op (`bump = tf.assign_add(...)`): `bump()`
                else:
                    base = f"compute_{var.hint}" if var.hint and len(var.hint) <= 40 else "compute_fetches"
                    var.name = self.fresh(base)
        # inserts: all functions of a unit after its last graph statement (unless a run
        # call comes earlier, as in scripts that build, run, build more and run again)
        for u in self.units.values():
            mine = [v for v in self.variants if v.unit is u]
            if not mine:
                continue
            last = max(v.anchor for v in mine)
            if all(top > last for v in mine for top in v.tops):
                for v in mine:
                    v.anchor = last
        self.variants.sort(key=lambda v: (v.anchor, v.train is None))
        helpers = {id(u): self.helper(u) for u in self.units.values()}
        for var in self.variants:
            anchor_stmt = var.unit.body[var.anchor]
            anchor_stmt = self.metric_synthetic.get(id(anchor_stmt), anchor_stmt)
            h = helpers.get(id(var.unit))
            if h is not None:
                var.helper = h
                if h not in plan.inserts.get(id(anchor_stmt), []) and not any(h in lst for lst in plan.inserts.values()):
                    plan.inserts.setdefault(id(anchor_stmt), []).append(h)  # type: ignore[arg-type]
            if var.train is not None:
                used = {n for m in var.members for n in m.uses} | {n for m in var.members for n in m.defines}
                used |= {p.name for p in var.params}
                if h is not None:
                    used.add(h.name)
                tr = self.train_ops[id(var.train)]
                for m in ([tr.compute] if tr.compute is not None else []) + tr.post:
                    used |= m.uses | set(m.defines)
                var.locals = {k: _local(k, used) for k in ("tape", "variables", "gradients")}
            plan.inserts.setdefault(id(anchor_stmt), []).append(var)
            if var.unit.is_module:
                plan.module_level.add(id(anchor_stmt))
            for m in var.members:
                plan.capture.add(id(m.node))
            if var.train is not None:
                plan.capture.add(id(var.train.node))
        # optimizers
        for tr in self.train_ops.values():
            if tr.compute is not None:  # rebuilt in the train step, after the tape
                plan.remove.add(id(tr.compute.node))
                plan.capture.add(id(tr.compute.node))
                plan.dropped.append(tr.compute.node)
            if tr.optimizer_stmt is not None:
                ocall = tr.optimizer_stmt.value
                assert isinstance(ocall, cst.Call)
                plan.call_builders[id(ocall)] = _optimizer_builder(self, ocall, root)
                plan.dropped.append(ocall)
                self.optimizer_finding(ocall)
            elif tr.synth_optimizer is not None:
                tcall = tr.stmt.value
                assert isinstance(tcall, cst.Call)
                plan.remove.discard(id(tr.stmt.node))
                plan.stmt_builders[id(tr.stmt.node)] = _optimize_loss.statement_builder(self, tr, root)
                plan.dropped.append(tcall.func)
                plan.optimizer_notes.append((tcall, _optimize_loss.note(self, tr)))
                if self.kept_v1(tr.synth_optimizer):  # optimizer='RMSProp': TF1's update rule as a class
                    self.optimizer_finding(tr.synth_optimizer)
                    for notes in (plan.optimizer_notes, plan.kept_optimizers):  # reported at the call (synth has no position)
                        notes[:] = [(tcall if n is tr.synth_optimizer else n, m) for n, m in notes]
            else:
                tcall = tr.stmt.value
                assert isinstance(tcall, cst.Call) and isinstance(tcall.func, cst.Attribute)
                ocall = tcall.func.value
                assert isinstance(ocall, cst.Call)
                plan.remove.discard(id(tr.stmt.node))
                plan.stmt_builders[id(tr.stmt.node)] = _inline_optimizer_builder(self, tr, ocall, root)
                plan.dropped.append(ocall)
                self.optimizer_finding(ocall)
        # module-level DISABLE / SEED statements
        for u in self.units.values():
            for s in u.stmts:
                if s.kind == DISABLE:
                    plan.remove.add(id(s.node))
                    plan.dropped.append(s.node)
                elif s.kind == SEEDING:
                    small = only_small(s.node)
                    assert isinstance(small, cst.Expr) and isinstance(small.value, cst.Call)
                    c = small.value
                    plan.dropped.append(c.func)
                    plan.call_builders[id(c)] = lambda upd, root=root: upd.with_changes(func=expr(f"{root}.random.set_seed"))
        # blank lines around removed statements
        _train_helpers.move_inserts(self)  # before the spacing after inserted functions is planned
        self.blank_lines()
        # safety: always unsafe (a whole-program restructuring); say what to check
        plan.safety = Safety.UNSAFE
        for node, r in refs:
            if self.is_random(r):
                plan.unsafe_why.append(f"`tf.{r}`: TF2 eager random streams differ from TF1 graph-mode ones for the same seed, so random values change")
                break
        else:
            if self.random_default_variables:
                plan.unsafe_why.append(f"`tf.get_variable('{self.random_default_variables[0]}')` has TF1's default initializer, glorot "
                                       "uniform: TF2 eager random streams differ from TF1 graph-mode ones, so random values change")
        if self.unseeded_keras:
            plan.unsafe_why.append(f"`tf.{self.unseeded_keras[0]}()` without seed= takes its seed from Python's `random` module: "
                                   "`tf.random.set_seed` does not make those initial values reproducible (pass seed= for that)")
        if self.unknown_callables:
            plan.unsafe_why.append("the moved graph code calls " + ", ".join(f"`{c}`" for c in sorted(self.unknown_callables)[:3]) + ", which now runs inside tf.function: check it builds no variables and has no Python side effects that must run every step")
        mod = self.module_unit
        if mod is not None:
            gone = [n for s in mod.stmts if id(s.node) in plan.remove for n in s.defines if s.kind in (P, T, TRAIN, INIT)]
            if gone:
                plan.unsafe_why.append("module-level names " + ", ".join(f"`{n}`" for n in gone[:4]) + (" ..." if len(gone) > 4 else "") + " no longer exist (other modules importing them break)")
        if not plan.unsafe_why:
            plan.unsafe_why.append("the program is restructured; without random ops it computes the same numbers up to float rounding")
        first_sess = next((n for n, r in refs if r in SESSIONS or r == "get_default_session"), self.module)
        plan.anchor = first_sess
        plan.v2_datasets = self.datasets_are_v2()
        nfun = len(self.variants)
        ntrain = sum(1 for v in self.variants if v.train is not None)
        nph = len({id(p.stmt) for v in self.variants for p in v.params if p.stmt.kind == P})
        nel = len({id(p.stmt) for v in self.variants for p in v.params if p.stmt.kind == NEXT})
        parts = [f"TF1 Session code becomes eager TF2: {nfun} tf.function(s)" + (f" ({ntrain} train step(s) with tf.GradientTape)" if ntrain else "")]
        if nph:
            parts.append(f"{nph} placeholder(s) become function arguments")
        flags = sorted({name for v in self.variants for name in v.consts})
        if flags:
            parts.append("training flag(s) " + ", ".join(f"`{f}`" for f in flags) + " fed True/False become the literal "
                         "`training=` of each run's function")
        if self.init_iters:
            parts.append("initializable iterators: their pipelines become functions of the placeholders ("
                         + ", ".join(f"`{h.name}`" for h in self.init_iters.values())
                         + ") and each initializer run `iterator = iter(make_...(<fed values>))`")
        if nel and len(self.init_iters) < nel:
            parts.append("one-shot dataset iterators become `iter(dataset)`, each run draws its element with `iterator.get_next()`")
        elif nel:
            parts.append("each run draws its element with `iterator.get_next()`")
        parts.append("sess.run results are .numpy() values; Session, initializers and disable_v2_behavior are removed")
        plan.summary = "; ".join(parts) + getattr(self, "bn_last_run_note", "")  # _model_variables.last_unobserved_run

    def optimizer_finding(self, ocall: cst.Call) -> None:
        """An applied note for a Keras optimizer or a TF1 update rule written out as a
        class; a manual one for a TF1 optimizer kept as tf.compat.v1."""
        if self.kept_v1(ocall):
            r = self.call_rest(ocall)
            assert r is not None
            sched = self.v1_schedules.get(id(ocall))
            if self.v1_class_fits(ocall, r):
                cls = self.plan.optimizer_classes.get(r) or self.fresh(v1opt.CLASS_NAMES[r])
                self.plan.optimizer_classes[r] = cls
                self.v1_classes[id(ocall)] = cls
                self.plan.optimizer_notes.append((ocall, v1opt.class_note(r, cls, sched[1] if sched else None)))
                return
            self.plan.kept_optimizers.append((ocall, v1opt.note(r, sched[1] if sched else None)))
        else:
            self.plan.optimizer_notes.append((ocall, _optimizer_note(self, ocall)))

    def v1_class_fits(self, ocall: cst.Call, r: str) -> bool:
        """Whether TF1's update rule of this kept optimizer is written out as a class
        (_v1_optimizers.py): RMSProp / Momentum called with plain arguments (a `name` that is
        a literal identifier), in a file without sparse reads (TF1 updated only the
        looked-up rows of a sparse gradient; such a file keeps the TF1 object)."""
        if not v1opt.has_class(r) or any(a.star for a in ocall.args):
            return False
        params = v1opt.params(r)
        if len([a for a in ocall.args if a.keyword is None]) > len(params):
            return False
        args = _args_map(ocall, params)
        if set(args) - set(params):
            return False
        name = args.get("name")
        if name is not None and not (isinstance(name.value, cst.SimpleString)
                                     and str(name.value.evaluated_value).isidentifier()):
            return False
        return not any(isinstance(n, cst.Call) and self.call_rest(n) in _sparse_gradients.SPARSE_READS
                       and not _sparse_gradients._of_computed_tensor(self, n) for n in walk(self.module))

    def helper(self, u: Unit) -> Helper | None:
        """Statements shared by all (at least two) functions of the unit, when there are
        at least three of them, become one helper function."""
        mine = [v for v in self.variants if v.unit is u]
        if len(mine) < 2:
            return None
        common_ids = set.intersection(*[{id(m) for m in v.members if m.kind == T} for v in mine])
        members = sorted((m for m in mine[0].members if id(m) in common_ids), key=lambda m: m.index)
        if len(members) < 3:
            return None
        outputs: list[str] = []
        for m in members:
            for name in m.defines:
                later_users = [o for v in mine for o in v.members if id(o) not in common_ids and name in o.uses]
                returned = any(name in _returned_names(v, self.rnn_state_parts) for v in mine)
                loss = any(v.train is not None and name in self.train_ops[id(v.train)].loss.defines for v in mine)
                redefined = any(name in o.defines for o in members if o.index > m.index)
                if (later_users or returned or loss) and not redefined and name not in outputs:
                    outputs.append(name)
        # a converted LSTM's final state: the Keras layer's h and c (_rnn.py)
        outputs = [k for name in outputs for k in self.rnn_state_names.get(name, [name])]
        if not outputs or len(outputs) > 3 or any(name in self.rnn_state_names and not self.rnn_state_names[name]
                                                  for name in outputs):
            return None
        pnames = {n for m in members for n in m.uses}
        params = [p for p in mine[0].params if p.name in pnames]
        if any(p.default is not None for p in params) or any(v.consts for v in mine):
            return None
        return Helper(u, self.fresh("forward"), members, params, outputs)

    def stateful(self, s: Stmt) -> bool:
        return any(isinstance(n, cst.Call) and (self.rest(n.func) or "").startswith("assign")
                   and not _cf.in_callable(self, n, s.value)
                   for n in walk(s.value)) if s.value is not None else False

    def only_bound_by(self, u: Unit, s: Stmt) -> bool:
        """Whether the names `s` defines are bound nowhere else in the file."""
        name = s.defines[0]
        for other in self.units.values():
            if other is u:
                continue
            if name in other.locals and (not other.is_module or name in self.ctx.aliases.bindings
                                         or any(name in bound_in(st) for st in other.body if not isinstance(st, cst.FunctionDef))):
                return False
        return not any(name in bound_in(st) for i, st in enumerate(u.body) if i != s.index
                       and not (u.is_module and isinstance(st, cst.FunctionDef)))

    def in_removed(self, node: cst.CSTNode) -> bool:
        stmt = self.find_stmt(node)
        return stmt is not None and (id(stmt) in self.plan.remove or id(stmt) in self.plan.stmt_builders)

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        self.find_stmt(node)  # builds the parent map
        cur: cst.CSTNode | None = node
        while cur is not None:
            yield cur
            cur = self._parents.get(id(cur))

    def find_stmt(self, node: cst.CSTNode) -> cst.CSTNode | None:
        if not hasattr(self, "_parents"):
            self._parents: dict[int, cst.CSTNode] = {}
            for n in walk(self.module):
                for c in n.children:
                    self._parents[id(c)] = n
        cur: cst.CSTNode | None = node
        while cur is not None and not isinstance(cur, cst.SimpleStatementLine):
            cur = self._parents.get(id(cur))
        return cur

    def blank_lines(self) -> None:
        """A kept statement after removed ones inherits their blank line."""
        plan = self.plan
        blocks: list[list[cst.BaseStatement]] = [list(self.module.body)]
        for n in walk(self.module):
            if isinstance(n, cst.IndentedBlock):
                blocks.append(list(n.body))
        moved = {id(m.node) for v in self.variants for m in v.members if m.kind == T}
        moved |= {id(m.node) for t in self.train_ops.values() for m in ([t.compute] if t.compute else []) + t.post}
        for body in blocks:
            pending = 0
            seen_kept = False
            comments: list[cst.EmptyLine] = []
            for stmt in body:
                if id(stmt) in plan.remove:
                    lead = getattr(stmt, "leading_lines", ())
                    pending = max(pending, blank_count(lead)) if seen_kept else 0
                    if id(stmt) not in moved:  # its comments stay in place
                        comments += [ln for ln in lead if ln.comment is not None]
                    continue
                if comments:
                    plan.comments_before[id(stmt)] = comments
                    comments = []
                if pending and seen_kept:
                    lead = getattr(stmt, "leading_lines", ())
                    if blank_count(lead) < pending:
                        plan.blank_before[id(stmt)] = pending
                pending = 0
                seen_kept = True
            # after an inserted function: a blank line (two at module level)
            for i, stmt in enumerate(body):
                if id(stmt) in plan.inserts and i + 1 < len(body):
                    nxt = body[i + 1]
                    want = 2 if id(stmt) in plan.module_level else 1
                    plan.blank_before[id(nxt)] = max(plan.blank_before.get(id(nxt), 0), want)
                    j = i + 1
                    while j < len(body) and id(body[j]) in plan.remove:
                        j += 1
                        if j < len(body):
                            plan.blank_before[id(body[j])] = max(plan.blank_before.get(id(body[j]), 0), want)


def _blocks(stmt: cst.CSTNode) -> Iterator[list[cst.BaseStatement]]:
    for attr in ("body", "orelse", "finalbody"):
        b = getattr(stmt, attr, None)
        if b is None:
            continue
        if isinstance(b, (cst.Else, cst.Finally)):
            b = b.body
        if isinstance(b, cst.If):
            yield [b]
            continue
        if isinstance(b, cst.IndentedBlock):
            yield list(b.body)
        elif isinstance(b, cst.SimpleStatementSuite):
            yield [cst.SimpleStatementLine(body=list(b.body))]  # scanned only: see scan_line
    for h in getattr(stmt, "handlers", ()):
        if isinstance(h.body, cst.IndentedBlock):
            yield list(h.body.body)


# -- code generation -------------------------------------------------------------------


def _fetch_arg(updated: cst.Call, original: cst.Call) -> cst.BaseExpression:
    f = updated.func
    if isinstance(f, cst.Attribute) and f.attr.value == "eval":
        return f.value
    for i, a in enumerate(updated.args):
        if (a.keyword is None and i == 0) or (a.keyword is not None and a.keyword.value == "fetches"):
            return a.value
    raise AssertionError("no fetches")


def _feed_values(updated: cst.Call, keys: list[str], kind: str) -> dict[str, cst.BaseExpression]:
    pos = 1 if kind == "sess-run" else 0
    feed = None
    for i, a in enumerate(updated.args):
        if (a.keyword is None and i == pos) or (a.keyword is not None and a.keyword.value == "feed_dict"):
            feed = a.value
    if not isinstance(feed, cst.Dict):
        return {}
    out = {}
    for k, el in zip(keys, feed.elements):
        assert isinstance(el, cst.DictElement)
        out[k] = el.value
    return out


def _stringify_feed(updated_line: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
    """`feed = {x: xs}` -> `feed = {"x": xs}`: the keys name the function's parameters."""
    assign = updated_line.body[0]
    assert isinstance(assign, cst.Assign) and isinstance(assign.value, cst.Dict)
    elements = [el.with_changes(key=cst.SimpleString(f'"{el.key.value}"'))  # type: ignore[union-attr]
                for el in assign.value.elements]
    return [updated_line.with_changes(body=[assign.with_changes(value=assign.value.with_changes(elements=elements))])]


def _numpy(value: cst.BaseExpression) -> cst.Call:
    if not isinstance(value, (cst.Name, cst.Attribute, cst.Subscript, cst.Call)) or value.lpar:
        value = value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return cst.Call(func=cst.Attribute(value=value, attr=cst.Name("numpy")))


def _numpy_leaves(fetches: cst.BaseExpression, shape: str) -> cst.BaseExpression:
    if shape == "single":
        return _numpy(fetches)
    if isinstance(fetches, (cst.List, cst.Tuple)):
        return fetches.with_changes(elements=[el.with_changes(value=_numpy(el.value)) for el in fetches.elements])  # type: ignore[union-attr]
    assert isinstance(fetches, cst.Dict)
    return fetches.with_changes(elements=[el.with_changes(value=_numpy(el.value)) for el in fetches.elements])  # type: ignore[union-attr]


_LIST_TEMPLATE = cst.parse_expression("[t.numpy() for t in _]")
_TUPLE_TEMPLATE = cst.parse_expression("tuple(t.numpy() for t in _)")
_DICT_TEMPLATE = cst.parse_expression("{k: v.numpy() for k, v in _.items()}")


def _convert(call: cst.Call, shape: str) -> cst.BaseExpression:
    if shape == "single":
        return _numpy(call)
    if shape == "list":
        t = _LIST_TEMPLATE
        assert isinstance(t, cst.ListComp)
        return t.with_changes(for_in=t.for_in.with_changes(iter=call))
    if shape == "tuple":
        t = _TUPLE_TEMPLATE
        assert isinstance(t, cst.Call)
        gen = t.args[0].value
        assert isinstance(gen, cst.GeneratorExp)
        return t.with_changes(args=[t.args[0].with_changes(value=gen.with_changes(for_in=gen.for_in.with_changes(iter=call)))])
    t = _DICT_TEMPLATE
    assert isinstance(t, cst.DictComp)
    it = t.for_in.iter
    assert isinstance(it, cst.Call) and isinstance(it.func, cst.Attribute)
    return t.with_changes(for_in=t.for_in.with_changes(iter=it.with_changes(func=it.func.with_changes(value=call))))


def _args_map(call: cst.Call, params: list[str]) -> dict[str, cst.Arg]:
    out: dict[str, cst.Arg] = {}
    pos = 0
    for a in call.args:
        if a.keyword is None:
            out[params[pos]] = a
            pos += 1
        else:
            out[a.keyword.value] = a
    return out


def _optimizer_call(an: Analysis, ocall_original: cst.Call, updated: cst.Call, root: str) -> cst.Call:
    r = an.call_rest(ocall_original)
    assert r is not None
    if an.kept_v1(ocall_original):
        return _v1_optimizer_call(an, ocall_original, updated, r, root)
    cls, params = OPTIMIZERS[r]
    args = _args_map(updated, params)
    out: list[cst.Arg] = []
    for name, tf1, default in KERAS_ARGS[r]:
        value = args[tf1].value if tf1 is not None and tf1 in args else None
        if isinstance(value, cst.Name) and value.value == "None" and name == "beta":
            value = None  # TF1's "no beta" is Keras' 0.0, its default
        if value is not None:
            out.append(kwarg(name, value))
        elif default is not None:
            out.append(kwarg(name, cst.parse_expression(default)))
    if "name" in args:
        out.append(kwarg("name", args["name"].value))
    return cst.Call(func=expr(f"{root}.keras.optimizers.{cls}"), args=out)


def _v1_optimizer_call(an: Analysis, ocall_original: cst.Call, updated: cst.Call, r: str, root: str) -> cst.Call:
    """`tf.compat.v1.train.<Optimizer>(...)` with the TF1 arguments as written (the TF1
    defaults hold); a decayed learning rate becomes `lambda: schedule(global_step)`."""
    out = list(updated.args)
    sched = an.v1_schedules.get(id(ocall_original))
    cls = an.v1_classes.get(id(ocall_original))
    if cls is not None:  # TF1's update rule written out: the class takes keywords
        params = v1opt.params(r)
        keep = []
        for i, a in enumerate(out):
            key = a.keyword.value if a.keyword is not None else params[i]
            if key == "use_locking":
                continue  # no effect in a single eager program
            if key == "learning_rate" and sched is not None:
                a = a.with_changes(value=cst.parse_expression(sched[0]))
            if a.keyword is None and i > 0:
                a = a.with_changes(keyword=cst.Name(key), equal=cst.AssignEqual(
                    whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")))
            keep.append(a)
        if keep:
            keep[-1] = keep[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        shift = len(cls) - len(an.code(ocall_original.func))  # continuation lines stay aligned
        return updated.with_changes(func=cst.Name(cls), args=[_shift_continuation(a, shift) for a in keep])
    if sched is not None:
        params = v1opt.params(r)
        for i, a in enumerate(out):
            key = a.keyword.value if a.keyword is not None else (params[i] if i < len(params) else None)
            if key == "learning_rate":
                out[i] = a.with_changes(value=cst.parse_expression(sched[0]))
    return updated.with_changes(func=expr(f"{root}.compat.v1.{r}"), args=out)


def _shift_continuation(arg: cst.Arg, shift: int) -> cst.Arg:
    """An argument whose comma ends a line: the next line's indentation moved by `shift`."""
    comma = arg.comma
    if isinstance(comma, cst.Comma) and isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace):
        ws = comma.whitespace_after
        width = max(len(ws.last_line.value) + shift, 1)
        return arg.with_changes(comma=comma.with_changes(
            whitespace_after=ws.with_changes(last_line=cst.SimpleWhitespace(" " * width))))
    return arg


def _optimizer_builder(an: Analysis, ocall: cst.Call, root: str) -> Callable[[cst.Call], cst.BaseExpression]:
    return lambda updated: _optimizer_call(an, ocall, updated, root)


def _optimizer_note(an: Analysis, ocall: cst.Call) -> str:
    r = an.call_rest(ocall)
    return OPTIMIZER_NOTES.get(r or "", OPTIMIZER_NOTES["train.GradientDescentOptimizer"])


def _inline_optimizer_builder(an: Analysis, tr: TrainOp, ocall: cst.Call, root: str) -> Callable[[cst.SimpleStatementLine], list[cst.BaseStatement]]:
    def build(updated_line: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
        small = updated_line.body[0]
        assert isinstance(small, cst.Assign)
        upd_train = small.value
        assert isinstance(upd_train, cst.Call) and isinstance(upd_train.func, cst.Attribute)
        upd_opt = upd_train.func.value
        assert isinstance(upd_opt, cst.Call)
        new = cst.Assign(targets=[cst.AssignTarget(cst.Name(tr.optimizer_name))], value=_optimizer_call(an, ocall, upd_opt, root))
        return [updated_line.with_changes(body=[new])]
    return build


class _ReplaceCompute(cst.CSTTransformer):
    """`opt.compute_gradients(...)` -> the tape's (gradient, variable) pairs."""

    def __init__(self, pairs: cst.BaseExpression) -> None:
        self.pairs = pairs

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if isinstance(updated_node.func, cst.Attribute) and updated_node.func.attr.value == "compute_gradients":
            return self.pairs
        return updated_node


class _ReplaceTfGradients(cst.CSTTransformer):
    """`tf.gradients(loss, var_list)` (the statement's only `gradients` call, checked by
    gradient_pair) -> the tape's gradients."""

    def __init__(self, grads: cst.BaseExpression) -> None:
        self.grads = grads

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        f = updated_node.func
        if (isinstance(f, cst.Attribute) and f.attr.value == "gradients") or (isinstance(f, cst.Name) and f.value == "gradients"):
            return self.grads
        return updated_node


def _gradient_pair_statements(plan: Plan, tr: TrainOp, pairs: str, step_arg: str) -> list[cst.BaseStatement]:
    """The compute_gradients statement (its call replaced by `pairs`), the statements on
    the gradients, and `opt.apply_gradients(<what the TF1 code applied>)`, each as the
    other rules left it."""
    assert tr.compute is not None
    out: list[cst.BaseStatement] = []
    for m in [tr.compute, *tr.post]:
        line = _member(plan, m)
        if m is tr.compute:
            replace = _ReplaceTfGradients if tr.tf_gradients else _ReplaceCompute
            line = line.visit(replace(cst.parse_expression(pairs)))  # type: ignore[assignment]
        out.append(line)
    tline = plan.captured.get(id(tr.stmt.node)) or tr.stmt.node
    small = tline.body[0]  # type: ignore[attr-defined]
    assert isinstance(small, cst.Assign) and isinstance(small.value, cst.Call)
    gv = next(a for a in small.value.args if a.keyword is None or a.keyword.value == "grads_and_vars").value
    apply = cst.parse_statement(f"{tr.optimizer_name}.apply_gradients(GV{step_arg})\n")
    out.append(apply.visit(_ReplaceName("GV", gv)))  # type: ignore[arg-type]
    return out


class _ReplaceName(cst.CSTTransformer):
    def __init__(self, name: str, value: cst.BaseExpression) -> None:
        self.name, self.value = name, value

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        return self.value if updated_node.value == self.name else updated_node


def _code_builder(code: str) -> Callable[[cst.Call], cst.BaseExpression]:
    """A call replaced by fixed code (it has no arguments to keep)."""
    def build(updated: cst.Call) -> cst.BaseExpression:
        return cst.parse_expression(code)
    return build


def _side_effect_free(node: cst.BaseExpression) -> bool:
    """Names, attributes, literals and `os.path.join(...)`/`str.format` of them: safe to
    evaluate twice."""
    for n in walk(node):
        if isinstance(n, cst.Call):
            fn = dotted_name(n.func) if isinstance(n.func, (cst.Name, cst.Attribute)) else None
            if fn not in ("os.path.join", "str", "format") and not (isinstance(n.func, cst.Attribute) and n.func.attr.value == "format"):
                return False
        if isinstance(n, (cst.Await, cst.Yield, cst.NamedExpr, cst.Lambda)):
            return False
    return True


def _zero_variable(an: Analysis, value: cst.BaseExpression | None) -> bool:
    """`tf.Variable(0, ...)` (an integer or float zero as its initial value), or
    `tf.train.get_or_create_global_step()`."""
    if an.call_rest(value) in GLOBAL_STEP_MAKERS:
        return True
    if an.call_rest(value) != "Variable":
        return False
    assert isinstance(value, cst.Call)
    first = next((a.value for a in value.args if a.keyword is None or a.keyword.value == "initial_value"), None)
    return isinstance(first, (cst.Integer, cst.Float)) and float(first.value) == 0.0


def _schedule_builder(r: str, root: str) -> Callable[[cst.Call], cst.BaseExpression]:
    cls, params = SCHEDULES[r]

    def build(updated: cst.Call) -> cst.BaseExpression:
        names = params if r == "train.piecewise_constant" else ["learning_rate", *params[1:]]
        args = _args_map(updated, names)
        out: list[cst.Arg] = []
        for name in names:
            if name in ("global_step", "x") or name not in args:
                continue
            a = args[name]
            key = "initial_learning_rate" if name == "learning_rate" else name
            out.append(kwarg(key, a.value) if a.keyword is not None or out and out[-1].keyword is not None else cst.Arg(a.value))
        return updated.with_changes(func=expr(f"{root}.keras.optimizers.schedules.{cls}"), args=out)
    return build


def _tensor_schedule_builder(r: str, root: str) -> Callable[[cst.Call], cst.BaseExpression]:
    """`tf.train.exponential_decay(lr0, step, ...)` -> `ExponentialDecay(lr0, ...)(step)`."""
    build_schedule = _schedule_builder(r, root)
    names = SCHEDULES[r][1] if r == "train.piecewise_constant" else ["learning_rate", *SCHEDULES[r][1][1:]]

    def build(updated: cst.Call) -> cst.BaseExpression:
        args = _args_map(updated, names)
        step = (args.get("global_step") or args.get("x"))
        assert step is not None
        return cst.Call(func=build_schedule(updated), args=[cst.Arg(step.value)])
    return build


def _lr_function_calls(plan: Plan, var: Variant) -> dict[int, cst.BaseStatement | None]:
    """Statement id -> `lr = current_lr()` for the learning-rate statement of a learning-rate
    function whose statements are all members of `var` (None for the others, dropped),
    when nothing else in `var` reads their intermediate names."""
    an: Analysis = plan.analysis  # type: ignore[attr-defined]
    out: dict[int, cst.BaseStatement | None] = {}
    mine = {id(m) for m in var.members}
    for name, members, lr in an.lr_functions.values():
        if not all(id(m) in mine for m in members):
            continue
        inner = {n for m in members for n in m.defines} - {lr}
        others = [m for m in var.members if id(m) not in {id(k) for k in members}]
        if any(o.uses & inner for o in others) or inner & _returned_names(var, an.rnn_state_parts) or (
                var.train is not None and an.train_ops[id(var.train)].loss.defines[0] in inner):
            continue
        for m in members:
            out[id(m)] = None
        last = max(members, key=lambda m: m.index)
        out[id(last)] = cst.parse_statement(f"{lr} = {name}()\n")
    return out


def _lr_function_builder(plan: Plan, name: str, members: list[Stmt], lr: str, blank: int) -> Callable[[cst.SimpleStatementLine], list[cst.BaseStatement]]:
    """`def current_lr(): <the statements computing lr>; return lr` before the optimizer
    (`blank` lines around it: 2 at module level)."""
    def build(updated_line: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
        body = _return_directly([_member(plan, m) for m in members] + [cst.parse_statement(f"return {lr}\n")])
        comments = [ln for ln in updated_line.leading_lines if ln.comment is not None]  # stay with the optimizer
        fdef = cst.FunctionDef(name=cst.Name(name), params=cst.Parameters(), body=cst.IndentedBlock(body),
                               leading_lines=[cst.EmptyLine(indent=False)] * blank)
        return [fdef, updated_line.with_changes(leading_lines=[cst.EmptyLine(indent=False)] * blank + comments)]
    return build


def _element_args(var: Variant, plan: Plan) -> list[cst.Arg] | None:
    """`*iterator.get_next()` (or `iterator.get_next()`) for a function whose arguments are
    one dataset element: one element drawn per call, as per TF1 run."""
    elements = [p for p in var.params if p.stmt.kind == NEXT]
    if not elements:
        return None
    nxt = elements[0].stmt
    assert isinstance(nxt.value, cst.Call)
    named = plan.element_iters.get(id(nxt))
    draw = cst.Call(func=cst.Attribute(cst.Name(named), cst.Name("get_next")) if named else nxt.value.func)
    small = only_small(nxt.node)
    single = isinstance(small, cst.Assign) and isinstance(small.targets[0].target, cst.Name)
    return [cst.Arg(draw)] if single else [cst.Arg(draw, star="*")]


def _named_iterator_builder(name: str) -> Callable[[cst.SimpleStatementLine], list[cst.BaseStatement]]:
    """`el = tf.data.make_one_shot_iterator(ds).get_next()` -> `el_iterator = iter(ds)`."""
    def build(updated_line: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
        assign = updated_line.body[0]
        assert isinstance(assign, cst.Assign) and isinstance(assign.value, cst.Call) and isinstance(assign.value.func, cst.Attribute)
        inner = assign.value.func.value
        assert isinstance(inner, cst.Call)
        if isinstance(inner.func, cst.Attribute) and inner.func.attr.value == "make_one_shot_iterator" and not inner.args:
            ds = inner.func.value
        else:
            ds = _args_map_loose(inner, ["dataset"])["dataset"].value
        new = cst.Assign(targets=[cst.AssignTarget(cst.Name(name))], value=cst.Call(func=cst.Name("iter"), args=[cst.Arg(ds)]))
        return [updated_line.with_changes(body=[new])]
    return build


def _iterator_builder(func_code: str) -> Callable[[cst.SimpleStatementLine], list[cst.BaseStatement]]:
    """`it = ds.make_one_shot_iterator()` / `tf.data.make_one_shot_iterator(ds)` -> `it = iter(ds)`."""
    def build(updated_line: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
        assign = updated_line.body[0]
        assert isinstance(assign, cst.Assign) and isinstance(assign.value, cst.Call)
        call = assign.value
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == "make_one_shot_iterator" and not call.args:
            ds = call.func.value
        else:
            ds = _args_map_loose(call, ["dataset"])["dataset"].value
        return [updated_line.with_changes(body=[assign.with_changes(value=cst.Call(func=cst.Name("iter"), args=[cst.Arg(ds)]))])]
    return build


def _rebind_builder(name: str) -> Callable[[cst.SimpleStatementLine], list[cst.BaseStatement]]:
    """`x, y = input_fn(...)` -> `input_fn_iterator = input_fn(...)`."""
    def build(updated_line: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
        assign = updated_line.body[0]
        assert isinstance(assign, cst.Assign)
        return [updated_line.with_changes(body=[assign.with_changes(targets=[cst.AssignTarget(cst.Name(name))])])]
    return build


def _returned_iterator(updated: cst.Call) -> cst.BaseExpression:
    """`return iterator.get_next()` -> `return iterator`; `return
    ds.make_one_shot_iterator().get_next()` -> `return iter(ds)`."""
    assert isinstance(updated.func, cst.Attribute)
    recv = updated.func.value
    if isinstance(recv, cst.Name):
        return recv
    assert isinstance(recv, cst.Call)
    if isinstance(recv.func, cst.Attribute) and recv.func.attr.value == "make_one_shot_iterator" and not recv.args:
        ds = recv.func.value
    else:
        ds = _args_map_loose(recv, ["dataset"])["dataset"].value
    return cst.Call(func=cst.Name("iter"), args=[cst.Arg(ds)])


def _iterator_init_builder(it: str, fn: str, order: list[str]) -> Callable[[cst.SimpleStatementLine], list[cst.BaseStatement]]:
    """`sess.run(it.initializer, feed_dict={images_ph: a, labels_ph: b})` -> `it =
    iter(make_dataset(a, b))` (the fed values as the other rules left them)."""
    def build(updated_line: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
        small = updated_line.body[0]
        assert isinstance(small, cst.Expr) and isinstance(small.value, cst.Call)
        feed = next(a.value for a in small.value.args if a.keyword is None and a is not small.value.args[0]
                    or a.keyword is not None and a.keyword.value == "feed_dict")
        assert isinstance(feed, cst.Dict)
        vals: dict[str, cst.BaseExpression] = {}
        for el in feed.elements:
            if isinstance(el, cst.DictElement) and isinstance(el.key, cst.Name):
                vals[el.key.value] = el.value
        args = [cst.Arg(_no_ws(vals[k])) for k in order]
        made = cst.Call(func=cst.Name(fn), args=[a.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
                                                  for a in args[:-1]] + args[-1:])
        new = cst.Assign(targets=[cst.AssignTarget(cst.Name(it))], value=cst.Call(func=cst.Name("iter"), args=[cst.Arg(made)]))
        return [updated_line.with_changes(body=[new])]
    return build


def _writer_builder(root: str) -> Callable[[cst.SimpleStatementLine], list[cst.BaseStatement]]:
    """`w = tf.summary.FileWriter(logdir, sess.graph)` -> `w = tf.summary.create_file_writer(logdir)`."""
    def build(updated_line: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
        assign = updated_line.body[0]
        assert isinstance(assign, cst.Assign) and isinstance(assign.value, cst.Call)
        logdir = _args_map_loose(assign.value, ["logdir", "graph"])["logdir"].value
        call = cst.Call(func=expr(f"{root}.summary.create_file_writer"), args=[cst.Arg(logdir)])
        return [updated_line.with_changes(body=[assign.with_changes(value=call)])]
    return build


def _schedule_read_name(node: cst.BaseExpression) -> str:
    """`lr` for a fetched schedule read `lr(gs)` (see Analysis.schedule_read), else ''."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and len(node.args) == 1 \
            and isinstance(node.args[0].value, cst.Name):
        return node.func.value
    return ""


class _ScheduleReads(cst.CSTTransformer):
    """Names of Keras schedules -> `name(global_step)` (not attribute names or keywords)."""

    def __init__(self, reads: dict[str, str]) -> None:
        super().__init__()
        self.reads = reads

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        return updated.with_changes(attr=original.attr)

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        return updated.with_changes(keyword=original.keyword)

    def visit_expr(self, node: cst.BaseExpression) -> cst.BaseExpression:
        if isinstance(node, cst.Name):
            return self.leave_Name(node, node)  # type: ignore[return-value]
        return node.visit(self)  # type: ignore[return-value]

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        gs = self.reads.get(updated.value)
        return cst.Call(func=cst.Name(updated.value), args=[cst.Arg(cst.Name(gs))]) if gs is not None else updated


def _summary_write(plan: Plan, m: Stmt, step: str, root: str) -> cst.BaseStatement:
    """`tf.summary.scalar('loss', loss)` (as the other rules left it) -> `tf.summary.scalar('loss', loss, step=step)`."""
    line = plan.captured.get(id(m.node)) or m.node
    flag_if = line if isinstance(line, cst.If) else None  # `if <flag>: tf.summary.x(...)`: the same test around it
    if flag_if is not None:
        assert isinstance(flag_if.body, cst.IndentedBlock) and len(flag_if.body.body) == 1
        line = flag_if.body.body[0]
    small = only_small(line)
    call = small.value if isinstance(small, (cst.Expr, cst.Assign)) else None
    assert isinstance(call, cst.Call) and isinstance(m.value, cst.Call)
    an: Analysis = plan.analysis  # type: ignore[attr-defined]
    kind = "scalar" if an.call_rest(m.value) == "summary.scalar" else "histogram"
    args = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in call.args]
    reads = an.schedule_summaries.get(id(m), {})
    if reads:  # `tf.summary.scalar('learning_rate', lr)` of a Keras schedule: TF1's tensor is `lr(gs)`
        args = [a.with_changes(value=_ScheduleReads(reads).visit_expr(a.value)) for a in args]
    new = cst.Call(func=expr(f"{root}.summary.{kind}"), args=[*args, kwarg("step", cst.Name(step))])
    write = cst.SimpleStatementLine([cst.Expr(new)])
    if flag_if is not None:
        return cst.If(test=flag_if.test, body=cst.IndentedBlock([write]))
    return write


def _checkpoint_builder(name: str, objects: list[str], root: str) -> Callable[[cst.SimpleStatementLine], list[cst.BaseStatement]]:
    def build(updated_line: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
        call = cst.Call(func=expr(f"{root}.train.Checkpoint"), args=[kwarg(o, cst.Name(o)) for o in objects])
        new = cst.Assign(targets=[cst.AssignTarget(cst.Name(name))], value=call)
        return [updated_line.with_changes(body=[new])]
    return build


def _restore_builder(name: str) -> Callable[[cst.Call], cst.BaseExpression]:
    def build(updated: cst.Call) -> cst.BaseExpression:
        path = _args_map_loose(updated, ["sess", "save_path"])["save_path"].value
        return cst.Call(func=cst.Attribute(cst.Name(name), cst.Name("restore")), args=[cst.Arg(_no_ws(path))])
    return build


def _save_builder(name: str, keep: cst.BaseExpression, root: str, numbered: bool) -> Callable[[cst.Call], cst.BaseExpression]:
    """`saver.save(sess, path, global_step=gs)` -> a CheckpointManager over `path`'s
    directory, named like `path` (`model.ckpt-<gs>`, the `checkpoint` state file and
    max_to_keep as the Saver kept them); without global_step, `checkpoint.write(path)`."""
    def build(updated: cst.Call) -> cst.BaseExpression:
        args = _args_map_loose(updated, ["sess", "save_path", "global_step", "latest_filename", "meta_graph_suffix", "write_meta_graph"])
        path = _no_ws(args["save_path"].value)
        if not numbered:
            return cst.Call(func=cst.Attribute(cst.Name(name), cst.Name("write")), args=[cst.Arg(path)])
        gs = _no_ws(args["global_step"].value)
        manager = cst.Call(func=expr(f"{root}.train.CheckpointManager"), args=[
            cst.Arg(cst.Name(name)),
            cst.Arg(cst.Call(func=expr("os.path.dirname"), args=[cst.Arg(path)])),
            kwarg("max_to_keep", _no_ws(keep)),
            kwarg("checkpoint_name", cst.Call(func=expr("os.path.basename"), args=[cst.Arg(path)])),
        ])
        return cst.Call(func=cst.Attribute(manager, cst.Name("save")), args=[kwarg("checkpoint_number", gs)])
    return build


def strip_blank(stmt: cst.BaseStatement) -> cst.BaseStatement:
    lead = [ln for ln in getattr(stmt, "leading_lines", ()) if ln.comment is not None]
    return stmt.with_changes(leading_lines=lead)


def build_function(plan: Plan, var: Variant, root: str, module_level: bool, an_code: Callable[[cst.CSTNode], str]) -> cst.FunctionDef:
    params = []
    specs = []
    for p in var.params:
        if p.stmt.kind == NEXT:
            params.append(cst.Param(cst.Name(p.name)))
            continue
        pline = plan.captured.get(id(p.stmt.node)) or p.stmt.node
        small = pline.body[0]  # type: ignore[attr-defined]
        pcall = small.value
        assert isinstance(pcall, cst.Call)
        if p.default is None:
            pargs = _args_map_loose(pcall, ["dtype", "shape", "name"])
            dtype = pargs["dtype"].value if "dtype" in pargs else expr(f"{root}.float32")
            shape = pargs["shape"].value if "shape" in pargs else cst.Name("None")
            params.append(cst.Param(cst.Name(p.name)))
        else:
            pargs = _args_map_loose(pcall, ["input", "shape", "name"])
            shape = pargs["shape"].value if "shape" in pargs else cst.Name("None")
            assert p.dtype is not None and isinstance(p.dtype, cst.Name)
            dtype = expr(f"{root}.{p.dtype.value}")
            default = pargs["input"].value
            params.append(cst.Param(cst.Name(p.name), default=default, equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))))
        specs.append(cst.Element(cst.Call(func=expr(f"{root}.TensorSpec"), args=[cst.Arg(shape), cst.Arg(dtype)])))
    writes: list[cst.BaseStatement] = []
    if var.summaries:
        used = {n for m in var.members for n in m.uses} | {n for m in var.members for n in m.defines} | {p.name for p in var.params}
        used |= set(var.locals.values()) | {var.writer}
        step = _local("step", used)
        params.append(cst.Param(cst.Name(step)))
        specs.append(cst.Element(cst.Call(func=expr(f"{root}.TensorSpec"), args=[cst.Arg(cst.List([])), cst.Arg(expr(f"{root}.int64"))])))
        ops = [_summary_write(plan, m, step, root) for m in var.summaries]
        writes = [cst.With(items=[cst.WithItem(item=cst.Call(func=cst.Attribute(cst.Name(var.writer), cst.Name("as_default"))))],
                           body=cst.IndentedBlock(ops))]
    if any(p.stmt.kind == NEXT for p in var.params):
        specs = []  # dataset elements: tensors already, of the dataset's element_spec
    if specs:
        deco_expr: cst.BaseExpression = cst.Call(func=expr(f"{root}.function"), args=[kwarg("input_signature", cst.List(specs))])
    else:
        deco_expr = expr(f"{root}.function")
    h = var.helper
    shared = {id(m) for m in h.members} if h is not None else set()
    group = plan.analysis.cf_groups.get(id(var))  # type: ignore[attr-defined]
    if group is not None:
        shared.add(id(group))  # a fetched tf.group: its ops are stateful and run anyway
    calls = _lr_function_calls(plan, var) if h is None else {}
    own = [m for m in var.members if m.kind == T and id(m) not in shared and not (id(m) in calls and calls[id(m)] is None)]
    body: list[cst.BaseStatement] = [_training_flags.fix(plan.analysis, calls.get(id(m)) or _member(plan, m), var.consts) for m in own]
    tapes = plan.analysis.cf_tapes  # type: ignore[attr-defined]
    tape_index = next((i for i, m in enumerate(own) if id(m.node) in tapes), None)
    if h is not None:
        call = f"{h.name}({', '.join(p.name for p in h.params)})"
        body.insert(0, cst.parse_statement(f"{', '.join(h.outputs)} = {call}\n"))
        tape_index = tape_index + 1 if tape_index is not None else None
    body = _cf.wrap_tape(plan, body, tape_index, root)
    if var.train is None and plan.analysis.tower_blocks:  # type: ignore[attr-defined]
        body = _towers.forward_only(plan, own, body)
    ret = _return_stmt(var, plan.analysis.rnn_state_parts)  # type: ignore[attr-defined]
    if var.train is not None and plan.analysis.train_ops[id(var.train)].towers is not None:  # type: ignore[attr-defined]
        body = [*body, *writes, *_towers.tail(plan, plan.analysis.train_ops[id(var.train)])]  # type: ignore[attr-defined]
    elif var.train is not None:
        tr_loss = None
        an: Analysis = plan.analysis  # type: ignore[attr-defined]
        tr = an.train_ops[id(var.train)]
        tr_loss = tr.loss.defines[0] if len(tr.loss.defines) == 1 else None
        if tr_loss is None:
            raise AssertionError("loss with several names")
        tape, variables, grads = var.locals["tape"], var.locals["variables"], var.locals["gradients"]
        tape_with = cst.With(
            items=[cst.WithItem(item=cst.Call(func=expr(f"{root}.GradientTape")), asname=cst.AsName(name=cst.Name(tape)))],
            body=cst.IndentedBlock(body or [cst.SimpleStatementLine([cst.Pass()])]),
        )
        var_src = an_code(tr.var_list) if tr.var_list is not None else f"{tape}.watched_variables()"
        kept = an.kept_v1(an.optimizer_call(tr))
        step_arg = f", global_step={tr.global_step}" if kept and tr.global_step else ""
        if tr.compute is not None and tr.tf_gradients:
            tail = [cst.parse_statement(f"{variables} = {var_src}\n"),
                    *_gradient_pair_statements(plan, tr, f"{tape}.gradient({tr_loss}, {variables})", step_arg)]
        elif tr.compute is not None:
            tail = [cst.parse_statement(f"{variables} = {var_src}\n"),
                    *_gradient_pair_statements(plan, tr, f"list(zip({tape}.gradient({tr_loss}, {variables}), {variables}))", step_arg)]
        else:
            tail = [
                cst.parse_statement(f"{variables} = {var_src}\n"),
                *(_sparse_gradients.gradient_statements(grads, tape, tr_loss, variables, root) if id(tr) in an.dense_gradients
                  else [cst.parse_statement(f"{grads} = {tape}.gradient({tr_loss}, {variables})\n")]),
                *_optimize_loss.clip_statement(tr, grads, root, an_code),
                cst.parse_statement(f"{tr.optimizer_name}.apply_gradients(zip({grads}, {variables}){step_arg})\n"),
            ]
        if tr.global_step and not kept:
            tail.append(cst.parse_statement(f"{tr.global_step}.assign_add(1)\n"))
        body = [tape_with, *writes, *tail]
    else:
        body = [*body, *writes]
    if ret is not None:
        body.append(ret)
        if var.train is None:
            body = _coll.copy_without_return(plan.analysis, _return_directly(body))  # type: ignore[attr-defined]
    if not body:
        body = [cst.SimpleStatementLine([cst.Pass()])]
    blank = 2 if module_level else 1
    from rules.tf1_to_tf2._rnn_stacked import expand  # a stacked RNN unroll written out

    return expand(plan, cst.FunctionDef(
        name=cst.Name(var.name),
        params=cst.Parameters(params=params),
        body=cst.IndentedBlock(body),
        decorators=[cst.Decorator(decorator=deco_expr)],
        leading_lines=[cst.EmptyLine(indent=False)] * blank,
    ))


def build_helper(plan: Plan, h: Helper, module_level: bool) -> cst.FunctionDef:
    ifs = plan.analysis.cf_ifs  # type: ignore[attr-defined]
    body: list[cst.BaseStatement] = [
        strip_blank(_cf.if_part(plan.captured.get(id(m.node)) or m.node, ifs[id(m.node)][0])  # type: ignore[arg-type]
                    if id(m.node) in ifs else plan.captured.get(id(m.node)) or m.node)
        for m in h.members]
    dtypes: dict[str, str] = getattr(h, "dtypes", {})
    tapes = plan.analysis.cf_tapes  # type: ignore[attr-defined]
    tape_index = next((i for i, m in enumerate(h.members) if id(m.node) in tapes), None)
    if tape_index is not None:
        body = _cf.wrap_tape(plan, body, tape_index, tf_root(plan.analysis.ctx))  # type: ignore[attr-defined]
    # an initializable iterator's dataset function: feed_dict converted the fed values to
    # the placeholders' dtypes
    body[:0] = [cst.parse_statement(f"{p.name} = {dtypes[p.name].split('.')[0]}.convert_to_tensor({p.name}, {dtypes[p.name]})\n")
                for p in h.params if p.name in dtypes]
    body.append(cst.parse_statement(f"return {', '.join(h.outputs)}\n"))
    from rules.tf1_to_tf2._rnn_stacked import expand  # a stacked RNN unroll written out

    return expand(plan, cst.FunctionDef(
        name=cst.Name(h.name),
        params=cst.Parameters(params=[cst.Param(cst.Name(p.name)) for p in h.params]),
        body=cst.IndentedBlock(body),
        leading_lines=[cst.EmptyLine(indent=False)] * (2 if module_level else 1),
    ))


def _member(plan: Plan, m: Stmt) -> cst.BaseStatement:
    """A moved statement as the other rules left it (their renames inside kept)."""
    line = plan.captured.get(id(m.node)) or m.node
    if id(m.node) in plan.analysis.tower_blocks:  # type: ignore[attr-defined]
        line = _towers.with_tapes(plan, m, line, tf_root(plan.analysis.ctx))  # type: ignore[attr-defined]
    parts = plan.analysis.cf_ifs.get(id(m.node))  # type: ignore[attr-defined]
    if parts is not None:
        line = _cf.if_part(line, parts[0])  # type: ignore[arg-type]
    if m.loss_of is None:
        return strip_blank(line)
    # the inline loss of `minimize(<expr>)`: `loss = <expr>` from the updated train statement
    small = only_small(line)
    assert isinstance(small, cst.Assign) and isinstance(small.value, cst.Call)
    call = small.value
    arg = next(a for a in call.args if a.keyword is None or a.keyword.value == "loss")
    return cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(m.defines[0]))], arg.value)])


def _return_directly(body: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
    """`t = expr; return t` -> `return expr` when `t` is not used elsewhere."""
    if len(body) < 2:
        return body
    last, prev = body[-1], body[-2]
    ret = only_small(last)
    asg = only_small(prev)
    if not (isinstance(ret, cst.Return) and isinstance(ret.value, cst.Name) and isinstance(asg, cst.Assign)):
        return body
    name = ret.value.value
    if len(asg.targets) != 1 or not isinstance(asg.targets[0].target, cst.Name) or asg.targets[0].target.value != name:
        return body
    if any(name in names_used(st) for st in body[:-2]) or name in names_used(asg.value):
        return body
    value = asg.value
    new = prev.with_changes(body=[cst.Return(value=value)])  # type: ignore[union-attr]
    return [*body[:-2], new]


def _plain_target(target: cst.BaseExpression) -> bool:
    """A loop target made of names only (`_`, `i, (a, b)`)."""
    if isinstance(target, cst.Name):
        return True
    if isinstance(target, (cst.Tuple, cst.List)):
        return all(isinstance(e, cst.Element) and _plain_target(e.value) for e in target.elements)
    return False


def _local(base: str, used: set[str]) -> str:
    name, i = base, 2
    while name in used:
        name = f"{base}_{i}"
        i += 1
    return name


def _returned_names(var: Variant, parts: dict[int, str]) -> set[str]:
    """The names a variant returns (for a returned part of a converted LSTM state, `parts`:
    `state.h`, the state's name)."""
    if not var.returns:
        return set()
    kind, data = var.returns
    if kind == "single":
        nodes = [data]
    elif kind == "seq":
        nodes = list(data)
    else:
        nodes = [v for _k, v in data]
    return {n.value for n in nodes if isinstance(n, cst.Name)} | {
        n.value.value for n in nodes if id(n) in parts and isinstance(n, (cst.Attribute, cst.Subscript))
        and isinstance(n.value, cst.Name)}


def _args_map_loose(call: cst.Call, params: list[str]) -> dict[str, cst.Arg]:
    out: dict[str, cst.Arg] = {}
    pos = 0
    for a in call.args:
        if a.keyword is None:
            if pos < len(params):
                out[params[pos]] = a
            pos += 1
        else:
            out[a.keyword.value] = a
    return out


def _return_stmt(var: Variant, renamed: dict[int, str]) -> cst.SimpleStatementLine | None:
    """`renamed`: fetched expressions that the function computes under another name (the
    parts of a converted LSTM state: `state.h` -> `state_h`)."""
    if not var.returns:
        return None
    kind, data = var.returns

    def leaf(n: cst.BaseExpression) -> cst.BaseExpression:
        return cst.Name(renamed[id(n)]) if id(n) in renamed else n
    if kind == "single":
        value: cst.BaseExpression = leaf(data)
    elif kind == "seq":
        value = cst.Tuple([cst.Element(leaf(n)) for n in data], lpar=[], rpar=[])
    else:
        value = cst.Dict([cst.DictElement(k, leaf(v)) for k, v in data])
    return cst.SimpleStatementLine([cst.Return(value=_no_ws(value))])


def _no_ws(node: cst.BaseExpression) -> cst.BaseExpression:
    """Drop the line breaks a fetch expression had inside its brackets."""
    if isinstance(node, cst.Dict):
        return node.with_changes(
            elements=[cst.DictElement(el.key, el.value) for el in node.elements if isinstance(el, cst.DictElement)],
            lbrace=cst.LeftCurlyBrace(), rbrace=cst.RightCurlyBrace())
    return node


_SESSION_TEXT = re.compile(r"Session|get_default_session")


def plan_for(ctx: FileContext) -> Plan:
    plan = ctx.state.get(STATE_KEY)
    if plan is None and not _SESSION_TEXT.search(ctx.source_text):
        plan = Plan()  # no session in the text: nothing to convert (and no costly analysis)
        ctx.state[STATE_KEY] = plan
    if plan is None:
        an = Analysis(ctx)
        plan = an.run()
        plan.analysis = an  # type: ignore[attr-defined]
        ctx.state[STATE_KEY] = plan
    if not plan.active:
        _loss_collection.withdraw(ctx)  # TF2130 must not count on converted collection reads
    return plan
