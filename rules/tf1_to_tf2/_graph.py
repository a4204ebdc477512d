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

import re

import builtins
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import libcst as cst

from migrate.engine.context import FileContext
from migrate.engine.names import dotted_name
from migrate.result import Safety
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
}
UNSUPPORTED_OPTIMIZERS = {
    "train.RMSPropOptimizer": "TF1 RMSProp starts its mean square at 1.0 and adds epsilon inside the square root; Keras RMSprop starts at 0 and adds it outside, so no Keras optimizer reproduces it",
    "train.AdagradOptimizer": "TF1 Adagrad has no epsilon; Keras Adagrad adds epsilon=1e-7 to the accumulator",
    "train.AdadeltaOptimizer": "Keras Adadelta's defaults and update differ from TF1's",
    "train.FtrlOptimizer": "TF1 FTRL and Keras Ftrl differ in their shrinkage options",
    "train.ProximalGradientDescentOptimizer": "no Keras counterpart",
    "train.ProximalAdagradOptimizer": "no Keras counterpart",
}

# Names that only make sense in graph mode (or build variables per call): a file that
# uses them keeps tf.compat.v1 and graph mode, so nothing is converted. Prefix -> why.
_COLLECTIONS = "graph collections do not exist in eager TF2 (track variables and losses in Python objects)"
_SCOPES = "variable_scope/get_variable variables must become objects created once (not automated yet)"
_LAYERS = "tf.layers/tf.nn.rnn_cell build variables per call; they must be created once as Keras layers (not automated yet)"
_QUEUES = "queue-runner input pipelines must become tf.data first"
_CONTROL = "graph control flow (control dependencies, tf.cond/while_loop) may hide side effects that eager code would run differently"
_GRAPH = "the program inspects or manipulates the graph itself"
_STEP = "global-step driven schedules need optimizer.iterations and a Keras LearningRateSchedule (not automated yet)"
_SUMMARY = "TF1 summaries/savers need tf.summary writers and tf.train.Checkpoint (separate rewrites)"
_ITER = "tf.data iterators of TF1 must become Python iteration over the dataset (not automated yet)"
GRAPH_ONLY: dict[str, str] = {
    **dict.fromkeys(("get_collection", "get_collection_ref", "add_to_collection", "add_to_collections",
                     "GraphKeys", "trainable_variables", "global_variables", "all_variables",
                     "local_variables", "model_variables", "local_variables_initializer",
                     "variables_initializer", "tables_initializer", "metrics"), _COLLECTIONS),
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
    **dict.fromkeys(("train.get_or_create_global_step", "train.get_global_step", "train.create_global_step",
                     "train.global_step", "train.exponential_decay", "train.piecewise_constant",
                     "train.polynomial_decay", "train.inverse_time_decay", "train.natural_exp_decay",
                     "train.cosine_decay", "train.ExponentialMovingAverage"), _STEP),
    **dict.fromkeys(("summary", "train.Saver"), _SUMMARY),
    **dict.fromkeys(("data.make_one_shot_iterator", "data.make_initializable_iterator", "data.Iterator"), _ITER),
}
# TensorFlow names that are not graph operations (a call of them builds no tensor).
NOT_OPS = ("examples", "logging", "app", "flags", "gfile", "io.gfile", "errors", "python_io",
           "sysconfig", "version", "test", "compat", "dtypes", "TensorShape", "Dimension", "as_dtype")
# Methods of graph objects that this rewrite does not translate.
GRAPH_METHODS = {"make_one_shot_iterator", "make_initializable_iterator", "get_tensor_by_name",
                 "get_operation_by_name", "as_graph_def", "finalize", "as_default", "partial_run",
                 "partial_run_setup", "initialized_value", "compute_gradients", "apply_gradients"}
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
VARIABLE_MAKERS = ("Variable", "get_variable", "layers.", "keras.layers.", "keras.Sequential",
                   "keras.Model", "keras.models.", "nn.rnn_cell.", "contrib.")
BUILTINS = set(dir(builtins))
SIMPLE_VALUES = (cst.Name, cst.Attribute, cst.Subscript, cst.Integer, cst.Float, cst.SimpleString,
                 cst.ConcatenatedString)

# statement kinds
P, V, T, OPT, TRAIN, INIT, CONFIG, SESS, PY, DISABLE, SEEDING, CLOSE, FEED = (
    "placeholder", "variable", "tensor", "optimizer", "train", "init", "config", "session",
    "python", "disable", "seed", "close", "feed")
NOT_GRAPH = (PY, DISABLE, SEEDING, CLOSE, FEED)


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
    helper: Helper | None = None
    locals: dict[str, str] = field(default_factory=dict)  # tape/variables/gradients names


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
    stmt_builders: dict[int, Callable[[cst.SimpleStatementLine], list[cst.BaseStatement]]] = field(default_factory=dict)
    call_builders: dict[int, Callable[[cst.Call], cst.BaseExpression]] = field(default_factory=dict)
    inserts: dict[int, list[Variant]] = field(default_factory=dict)
    capture: set[int] = field(default_factory=set)
    captured: dict[int, cst.SimpleStatementLine] = field(default_factory=dict)
    blank_before: dict[int, int] = field(default_factory=dict)
    comments_before: dict[int, list[cst.EmptyLine]] = field(default_factory=dict)
    dropped: list[cst.CSTNode] = field(default_factory=list)
    optimizer_notes: list[tuple[cst.CSTNode, str]] = field(default_factory=list)
    module_level: set[int] = field(default_factory=set)  # anchors in the module body
    apply: bool = False


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
            self.check_graph_only(refs)
            self.build_units()
            self.find_sessions()
            self.check_graph_name_uses()
            self.check_train_ops()
            self.build_variants()
            self.check_late_binding()
            self.finish(refs)
        except Unsupported as exc:
            self.plan.active = False
            self.plan.reasons.append((exc.node, exc.message))
            return self.plan
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
            for g, why in GRAPH_ONLY.items():
                if r == g or r.startswith(g + "."):
                    raise Unsupported(node, f"`tf.{r}`: {why}; the file keeps tf.compat.v1 and its Session")
            if r in UNSUPPORTED_OPTIMIZERS:
                raise Unsupported(node, f"`tf.{r}` has no exact Keras counterpart ({UNSUPPORTED_OPTIMIZERS[r]}); the training loop is left in TF1 form")
            if r.startswith("train.") and r.endswith("Optimizer") and r not in OPTIMIZERS:
                raise Unsupported(node, f"`tf.{r}` is not one of the optimizers converted automatically")
        for n in walk(self.module):
            if isinstance(n, cst.Attribute) and n.attr.value in GRAPH_METHODS:
                raise Unsupported(n, f"`.{n.attr.value}` is graph-mode API that this rewrite does not translate")
            if isinstance(n, cst.Attribute) and n.attr.value == "value" and isinstance(n.value, cst.Subscript):
                shape = n.value.value
                if (isinstance(shape, cst.Attribute) and shape.attr.value == "shape") or (
                        isinstance(shape, cst.Call) and isinstance(shape.func, cst.Attribute) and shape.func.attr.value == "get_shape"):
                    raise Unsupported(n, "`shape[i].value`: TF1 Dimension objects; with TF2 behaviour shapes hold ints (drop `.value`)")

    # units -------------------------------------------------------------------------------
    def build_units(self) -> None:
        mod = Unit("<module>", self.module, list(self.module.body))
        mod.locals = set(self.ctx.aliases.bindings) | bound_in(self.module)
        self.module_unit = mod
        self.units["<module>"] = mod
        for stmt in self.module.body:
            if isinstance(stmt, cst.FunctionDef):
                self.functions[stmt.name.value] = stmt
                body = list(stmt.body.body) if isinstance(stmt.body, cst.IndentedBlock) else []
                u = Unit(stmt.name.value, stmt, body)
                u.locals = function_locals(stmt)
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
                if isinstance(n, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                    inner_names = names_used(n)
                    graphy = inner_names & u.graph_names
                    if graphy:
                        raise Unsupported(n, f"a nested function uses graph tensors or the session ({', '.join(sorted(graphy))}); not converted")

    def classify(self, u: Unit) -> None:
        for i, stmt in enumerate(u.body):
            s = self.classify_stmt(u, i, stmt)
            u.stmts.append(s)
            if s.kind not in NOT_GRAPH:
                u.graph_names |= set(s.defines)
        for s in u.stmts:
            if s.kind == T:
                self.decide_static(u, s)

    def classify_stmt(self, u: Unit, i: int, stmt: cst.BaseStatement) -> Stmt:
        small = only_small(stmt)
        if small is None:
            return Stmt(i, stmt, PY)
        if isinstance(small, cst.Expr):
            r = self.call_rest(small.value)
            if r in DISABLES:
                return Stmt(i, stmt, DISABLE)
            if r == SEED:
                return Stmt(i, stmt, SEEDING)
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
        if r in OPTIMIZERS:
            return Stmt(i, stmt, OPT, tuple(names), uses, value)
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value == "minimize":
            return Stmt(i, stmt, TRAIN, tuple(names), uses, value)
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
            if isinstance(n, cst.Call):
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

    def makes_variables(self, node: cst.CSTNode) -> bool:
        for n in walk(node):
            if isinstance(n, cst.Call):
                r = self.rest(n.func)
                if r is not None and any(r == m or (m.endswith(".") and r.startswith(m)) for m in VARIABLE_MAKERS):
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
                continue
            if dep.kind in (P, V):
                s.dynamic_reason = f"reads `{name}`"
                return
            if dep.kind == T and not dep.static:
                s.dynamic_reason = f"uses `{name}`"
                return
            if dep.kind not in (T,):
                raise Unsupported(s.node, f"`{name}` ({dep.kind}) is used to build a tensor; not converted")
        for n in walk(s.value):
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
        # `sess.close()`
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            call = small.value
            f = call.func
            if isinstance(f, cst.Attribute) and f.attr.value == "close" and isinstance(f.value, cst.Name) and f.value.value in sessions and not call.args:
                self.plan.remove.add(id(line))
                self.plan.dropped.append(line)
                self.handled_stmts.add(id(line))
                return
        self.scan_expr(u, top, small, sessions, line, loop=loop)

    def scan_expr(self, u: Unit, top: int, node: cst.CSTNode, sessions: set[str], line: cst.SimpleStatementLine | None, loop: bool = False) -> None:
        for n in walk(node):
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
                if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)) and u.is_module:
                    continue
                if id(stmt) in classified and not only_module:
                    s = u.stmts[top]
                    if s.kind == SESS and id(stmt) not in self.handled_stmts:
                        raise Unsupported(stmt, "session statement in an unexpected place")
                    continue
                self.check_uses_in(u, top, stmt, only_module)

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
                if s.kind == CONFIG:
                    n = s.defines[0] if len(s.defines) == 1 else ""
                    if self.config_uses.get(n, 0) != 1 or self.names_used_elsewhere(u, n, s):
                        raise Unsupported(s.node, f"`{n}` (a ConfigProto) is used for more than one Session; not converted")
                    self.plan.remove.add(id(s.node))
                    self.plan.dropped.append(s.node)

    def names_used_elsewhere(self, u: Unit, name: str, s: Stmt) -> bool:
        return any(name in o.uses for o in u.stmts if o is not s)

    def check_optimizer_call(self, call: cst.BaseExpression | None) -> None:
        assert isinstance(call, cst.Call)
        r = self.call_rest(call)
        _cls, params = OPTIMIZERS[r]  # type: ignore[index]
        for a in call.args:
            if a.star:
                raise Unsupported(call, "optimizer built with *args/**kwargs")
        if len([a for a in call.args if a.keyword is None]) > len(params):
            raise Unsupported(call, "optimizer with too many arguments")

    def train_op(self, u: Unit, s: Stmt) -> TrainOp:
        call = s.value
        assert isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
        if len(s.defines) != 1:
            raise Unsupported(s.node, "train op assigned to several names")
        recv = call.func.value
        if isinstance(recv, cst.Call) and self.call_rest(recv) in OPTIMIZERS:
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
            if g is None or g.kind != V or not isinstance(g.value, cst.Call) or self.call_rest(g.value) != "Variable":
                raise Unsupported(call, "minimize(global_step=...) with a global step that is not a plain tf.Variable")
            gs_name = gs.value  # type: ignore[union-attr]
        return TrainOp(s, ls, opt_name, opt_stmt, var_list, gs_name)

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
        if isinstance(node, cst.Name):
            g = self.graph_kind(u, node.value, top if u.is_module or node.value in u.locals else 10**9)
            if g is None:
                raise Unsupported(node, f"fetch `{node.value}` is not a tensor built in this file")
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
            raise Unsupported(node, f"fetching `{node.value}` ({g.kind}) is not converted")
        if self.call_rest(node) in INITIALIZERS:
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
        leaves = [self.leaf(u, top, n) for n in nodes]
        kinds = [k for k, _ in leaves]
        if "init" in kinds:
            if set(kinds) != {"init"}:
                raise Unsupported(call, "initializer fetched together with other tensors")
            if feed is not None:
                raise Unsupported(call, "initializer run with a feed_dict")
            self.statement_only(call, line, root)
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
        feeds = self.feeds(u, gu, call, feed)
        if not trains and not dynamic:
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
        rets = [(n, s) for n, (k, s) in zip(nodes, leaves) if k != "train"]
        tr = self.train_ops[id(train)] if train is not None else None
        needed = [s for _, s in rets if s is not None and s.kind == T and not s.static]
        if tr is not None:
            needed.append(tr.loss)
        members = self.slice(gu, needed)
        params = self.params_of(gu, members, call)
        for p in params:
            if p.default is None and p.name not in feeds:
                raise Unsupported(call, f"placeholder `{p.name}` is needed but not fed")
        pnames = {p.name for p in params}
        for k, v in feeds.items():
            if k not in pnames and id(call) in self.star_feeds:
                raise Unsupported(call, f"feed dict `{self.star_feeds[id(call)]}` feeds `{k}`, which this run does not need")
            if k not in pnames and not isinstance(v, SIMPLE_VALUES):
                raise Unsupported(call, f"feed `{k}` is not needed here and its value has side effects")
        if shape == "dict":
            returns: tuple = ("dict", [(el.key, el.value) for el in fetches.elements])  # type: ignore[union-attr]
            sig: tuple = ("dict", tuple((self.code(k), self.code(v)) for k, v in returns[1]))
        elif shape == "single" or len(rets) == 1 and train is not None:
            returns = ("single", rets[0][0]) if rets else ()
            sig = ("single", self.code(rets[0][0])) if rets else ()
        else:
            returns = ("seq", [n for n, _ in rets]) if rets else ()
            sig = ("seq", tuple(self.code(n) for n, _ in rets)) if rets else ()
        key = (id(gu), id(train) if train else None, sig, tuple(p.name for p in params))
        var = next((v for v in self.variants if v.key == key), None)
        if var is None:
            anchor = max([m.index for m in members] + ([train.index] if train else []) +
                         ([tr.optimizer_stmt.index] if tr and tr.optimizer_stmt else []))
            var = Variant(gu, key, members=members, params=params, returns=returns, train=train, anchor=anchor)
            var.hint = "_".join(self.code(n) for n, _ in rets) if all(isinstance(n, cst.Name) for n, _ in rets) else ""
            self.variants.append(var)
        if gu is u:
            if top <= var.anchor:
                raise Unsupported(call, "a run call before the graph it runs is complete; not converted")
            var.tops.append(top)
        self.call_site(var, call, kind, line, root, shape, train is not None, nodes, leaves, feeds)

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
                if d.kind == T and not d.static or d.kind == P:
                    stack.append(d)
                elif d.kind in (OPT, TRAIN, INIT, CONFIG, SESS):
                    raise Unsupported(s.node, f"`{name}` ({d.kind}) is used to compute a tensor; not converted")
        members = sorted(seen.values(), key=lambda s: s.index)
        for m in members:
            if m.kind == T:
                self.check_moved(gu, m)
        return members

    def params_of(self, gu: Unit, members: list[Stmt], call: cst.Call) -> list[Param]:
        out = []
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
        if self.makes_variables(m.value):
            raise Unsupported(m.node, "this statement creates variables; inside a step function it would create new ones on every call")
        self.check_helpers(m.value, set())

    def check_helpers(self, node: cst.CSTNode, seen: set[str]) -> None:
        for n in walk(node):
            if not isinstance(n, cst.Call):
                continue
            f = n.func
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
            if star is not None:
                return cst.Call(func=cst.Name(var.name), args=[cst.Arg(cst.Name(star), star="**")])
            return cst.Call(func=cst.Name(var.name), args=args_for(updated))

        if kind == "sess-run":
            plan.dropped.append(call.func)  # `sess.run` / `tf.get_default_session().run`
        if not has_train:
            unused = isinstance(root, cst.Expr) and root.value is call  # a statement: no value

            def build(updated: cst.Call) -> cst.BaseExpression:
                return fn_call(updated) if unused else _convert(fn_call(updated), shape)
            plan.call_builders[id(call)] = build
            return
        # a train op in the fetches: only as a statement
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
                if not (isinstance(tgt, cst.Name) and tgt.value == "_"):
                    raise Unsupported(call, "the result of a train op (None) is assigned to a name; not converted")
                keep: list[cst.BaseExpression] = []
            elif isinstance(tgt, (cst.Tuple, cst.List)) and len(tgt.elements) == len(nodes):
                keep = []
                for el, (k, _s) in zip(tgt.elements, leaves):
                    if isinstance(el, cst.StarredElement):
                        raise Unsupported(call, "starred target")
                    if k == "train":
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
                    value: cst.BaseExpression = _convert(c, "single")
                else:
                    target = cst.Tuple([cst.Element(t) for t in keep], lpar=[], rpar=[])
                    value = _convert(c, "list")
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
                for name in m.uses:
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
        for u in self.units.values():
            if u.name not in active:
                continue  # a helper that builds graph pieces: called from moved code, unchanged
            for s in u.stmts:
                if s.kind == P and id(s) not in used_params:
                    raise Unsupported(s.node, f"placeholder `{s.defines[0]}` is never fed to a run; not converted")
                if s.kind == T and not s.static and not any(s in v.members for v in self.variants):
                    # dropping it silently would lose code: only tensors that some run needs
                    raise Unsupported(s.node, f"`{', '.join(s.defines)}` is built but never run; not converted")
                if s.kind in (P, INIT, TRAIN, SESS) or (s.kind == T and not s.static):
                    plan.remove.add(id(s.node))
                    plan.capture.add(id(s.node))
                    if s.kind != T:
                        plan.dropped.append(s.node)
                if s.kind == OPT and not any(t.optimizer_stmt is s for t in self.train_ops.values()):
                    raise Unsupported(s.node, "an optimizer that is not used through minimize(); not converted")
                if s.kind == TRAIN and id(s) not in {id(v.train) for v in self.variants if v.train is not None}:
                    raise Unsupported(s.node, "a train op that is never run; not converted")
        for u in self.units.values():
            if u.name in active:
                continue
            for s in u.stmts:
                if s.kind in (P, OPT, TRAIN, INIT, SESS):
                    raise Unsupported(s.node, f"`{u.name}()` builds a {s.kind} but runs no session; building graphs in one function and running them in another is not converted")
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
            if tr.optimizer_stmt is not None:
                ocall = tr.optimizer_stmt.value
                assert isinstance(ocall, cst.Call)
                plan.call_builders[id(ocall)] = _optimizer_builder(self, ocall, root)
                plan.dropped.append(ocall)
                plan.optimizer_notes.append((ocall, _optimizer_note(self, ocall)))
            else:
                tcall = tr.stmt.value
                assert isinstance(tcall, cst.Call) and isinstance(tcall.func, cst.Attribute)
                ocall = tcall.func.value
                assert isinstance(ocall, cst.Call)
                plan.remove.discard(id(tr.stmt.node))
                plan.stmt_builders[id(tr.stmt.node)] = _inline_optimizer_builder(self, tr, ocall, root)
                plan.dropped.append(ocall)
                plan.optimizer_notes.append((ocall, _optimizer_note(self, ocall)))
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
        self.blank_lines()
        # safety: always unsafe (a whole-program restructuring); say what to check
        plan.safety = Safety.UNSAFE
        for node, r in refs:
            if self.is_random(r):
                plan.unsafe_why.append(f"`tf.{r}`: TF2 eager random streams differ from TF1 graph-mode ones for the same seed, so random values change")
                break
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
        nfun = len(self.variants)
        ntrain = sum(1 for v in self.variants if v.train is not None)
        nph = len({id(p.stmt) for v in self.variants for p in v.params})
        parts = [f"TF1 Session code becomes eager TF2: {nfun} tf.function(s)" + (f" ({ntrain} train step(s) with tf.GradientTape)" if ntrain else "")]
        if nph:
            parts.append(f"{nph} placeholder(s) become function arguments")
        parts.append("sess.run results are .numpy() values; Session, initializers and disable_v2_behavior are removed")
        plan.summary = "; ".join(parts)

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
                returned = any(name in _returned_names(v) for v in mine)
                loss = any(v.train is not None and name in self.train_ops[id(v.train)].loss.defines for v in mine)
                redefined = any(name in o.defines for o in members if o.index > m.index)
                if (later_users or returned or loss) and not redefined and name not in outputs:
                    outputs.append(name)
        if not outputs or len(outputs) > 3:
            return None
        pnames = {n for m in members for n in m.uses}
        params = [p for p in mine[0].params if p.name in pnames]
        if any(p.default is not None for p in params):
            return None
        return Helper(u, self.fresh("forward"), members, params, outputs)

    def stateful(self, s: Stmt) -> bool:
        return any(isinstance(n, cst.Call) and (self.rest(n.func) or "").startswith("assign")
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
    cls, params = OPTIMIZERS[r]
    args = _args_map(updated, params)
    out: list[cst.Arg] = []

    def put(name: str, tf1: str, default: str | None) -> None:
        if tf1 in args:
            out.append(kwarg(name, args[tf1].value))
        elif default is not None:
            out.append(kwarg(name, cst.parse_expression(default)))

    if cls == "SGD":
        put("learning_rate", "learning_rate", None)
        if r == "train.MomentumOptimizer":
            put("momentum", "momentum", None)
            put("nesterov", "use_nesterov", "False")
    else:
        put("learning_rate", "learning_rate", "0.001")
        put("beta_1", "beta1", None)
        put("beta_2", "beta2", None)
        put("epsilon", "epsilon", "1e-08")
    if "name" in args:
        out.append(kwarg("name", args["name"].value))
    return cst.Call(func=expr(f"{root}.keras.optimizers.{cls}"), args=out)


def _optimizer_builder(an: Analysis, ocall: cst.Call, root: str) -> Callable[[cst.Call], cst.BaseExpression]:
    return lambda updated: _optimizer_call(an, ocall, updated, root)


def _optimizer_note(an: Analysis, ocall: cst.Call) -> str:
    r = an.call_rest(ocall)
    if r == "train.AdamOptimizer":
        return "tf.train.AdamOptimizer becomes tf.keras.optimizers.Adam with TF1's epsilon=1e-08 pinned (Keras defaults to 1e-07)"
    if r == "train.MomentumOptimizer":
        return "tf.train.MomentumOptimizer becomes tf.keras.optimizers.SGD(momentum=..., nesterov=...); same trajectory for a constant learning rate"
    return "tf.train.GradientDescentOptimizer becomes tf.keras.optimizers.SGD"


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


def strip_blank(stmt: cst.BaseStatement) -> cst.BaseStatement:
    lead = [ln for ln in getattr(stmt, "leading_lines", ()) if ln.comment is not None]
    return stmt.with_changes(leading_lines=lead)


def build_function(plan: Plan, var: Variant, root: str, module_level: bool, an_code: Callable[[cst.CSTNode], str]) -> cst.FunctionDef:
    params = []
    specs = []
    for p in var.params:
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
    if specs:
        deco_expr: cst.BaseExpression = cst.Call(func=expr(f"{root}.function"), args=[kwarg("input_signature", cst.List(specs))])
    else:
        deco_expr = expr(f"{root}.function")
    h = var.helper
    shared = {id(m) for m in h.members} if h is not None else set()
    body: list[cst.BaseStatement] = [_member(plan, m) for m in var.members if m.kind == T and id(m) not in shared]
    if h is not None:
        call = f"{h.name}({', '.join(p.name for p in h.params)})"
        body.insert(0, cst.parse_statement(f"{', '.join(h.outputs)} = {call}\n"))
    ret = _return_stmt(var)
    if var.train is not None:
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
        tail = [
            cst.parse_statement(f"{variables} = {var_src}\n"),
            cst.parse_statement(f"{grads} = {tape}.gradient({tr_loss}, {variables})\n"),
            cst.parse_statement(f"{tr.optimizer_name}.apply_gradients(zip({grads}, {variables}))\n"),
        ]
        if tr.global_step:
            tail.append(cst.parse_statement(f"{tr.global_step}.assign_add(1)\n"))
        body = [tape_with, *tail]
    if ret is not None:
        body.append(ret)
        if var.train is None:
            body = _return_directly(body)
    if not body:
        body = [cst.SimpleStatementLine([cst.Pass()])]
    blank = 2 if module_level else 1
    return cst.FunctionDef(
        name=cst.Name(var.name),
        params=cst.Parameters(params=params),
        body=cst.IndentedBlock(body),
        decorators=[cst.Decorator(decorator=deco_expr)],
        leading_lines=[cst.EmptyLine(indent=False)] * blank,
    )


def build_helper(plan: Plan, h: Helper, module_level: bool) -> cst.FunctionDef:
    body: list[cst.BaseStatement] = [strip_blank(plan.captured.get(id(m.node)) or m.node) for m in h.members]
    body.append(cst.parse_statement(f"return {', '.join(h.outputs)}\n"))
    return cst.FunctionDef(
        name=cst.Name(h.name),
        params=cst.Parameters(params=[cst.Param(cst.Name(p.name)) for p in h.params]),
        body=cst.IndentedBlock(body),
        leading_lines=[cst.EmptyLine(indent=False)] * (2 if module_level else 1),
    )


def _member(plan: Plan, m: Stmt) -> cst.BaseStatement:
    """A moved statement as the other rules left it (their renames inside kept)."""
    line = plan.captured.get(id(m.node)) or m.node
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


def _local(base: str, used: set[str]) -> str:
    name, i = base, 2
    while name in used:
        name = f"{base}_{i}"
        i += 1
    return name


def _returned_names(var: Variant) -> set[str]:
    if not var.returns:
        return set()
    kind, data = var.returns
    if kind == "single":
        nodes = [data]
    elif kind == "seq":
        nodes = list(data)
    else:
        nodes = [v for _k, v in data]
    return {n.value for n in nodes if isinstance(n, cst.Name)}


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


def _return_stmt(var: Variant) -> cst.SimpleStatementLine | None:
    if not var.returns:
        return None
    kind, data = var.returns
    if kind == "single":
        value: cst.BaseExpression = data
    elif kind == "seq":
        value = cst.Tuple([cst.Element(n) for n in data], lpar=[], rpar=[])
    else:
        value = cst.Dict([cst.DictElement(k, v) for k, v in data])
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
    return plan
