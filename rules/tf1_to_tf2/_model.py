"""Analysis shared by TF2130 / TF2131: which TF1 model-building functions of a module can
become Keras layers created once (not a rule module).

A *plan* is computed once per file (``model_plans(rule)``, cached in ``ctx.state``) from
the original tree: every module-level function that creates variables (``tf.get_variable``,
``tf.layers.*``, or a call of another such function) is either accepted (a
:class:`FuncPlan`: what each creating call becomes, the TF1 -> Keras variable names) or
rejected with a reason. The rewrite itself is done by the rules from this plan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst
import libcst.helpers

from migrate.cstutil import walk as _walk_nodes
from rules.tf1_to_tf2 import _loss_collection, _static_shapes
from rules.tf1_to_tf2._common import keyword_args, rest_of
from rules.tf1_to_tf2._keras_values import KERAS_REGULARIZERS, check_keras_regularizer
from rules.tf1_to_tf2._repeat import helper_reason

# tf.layers function -> (Keras class, TF1 parameters after `inputs`, Keras positional
# parameters, takes `training`, TF1 default layer base name, variables it owns)
LAYERS: dict[str, tuple[str, list[str], list[str], bool, str]] = {
    "dense": ("Dense", ["units", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint", "trainable", "name", "reuse"], ["units"], False, "dense"),
    "conv1d": ("Conv1D", ["filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint", "trainable", "name", "reuse"], ["filters", "kernel_size"], False, "conv1d"),
    "conv2d": ("Conv2D", ["filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint", "trainable", "name", "reuse"], ["filters", "kernel_size"], False, "conv2d"),
    "conv2d_transpose": ("Conv2DTranspose", ["filters", "kernel_size", "strides", "padding", "data_format", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint", "trainable", "name", "reuse"], ["filters", "kernel_size"], False, "conv2d_transpose"),
    "max_pooling1d": ("MaxPooling1D", ["pool_size", "strides", "padding", "data_format", "name"], ["pool_size", "strides"], False, "max_pooling1d"),
    "max_pooling2d": ("MaxPooling2D", ["pool_size", "strides", "padding", "data_format", "name"], ["pool_size", "strides"], False, "max_pooling2d"),
    "average_pooling1d": ("AveragePooling1D", ["pool_size", "strides", "padding", "data_format", "name"], ["pool_size", "strides"], False, "average_pooling1d"),
    "average_pooling2d": ("AveragePooling2D", ["pool_size", "strides", "padding", "data_format", "name"], ["pool_size", "strides"], False, "average_pooling2d"),
    "dropout": ("Dropout", ["rate", "noise_shape", "seed", "training", "name"], ["rate"], True, "dropout"),
    "batch_normalization": ("BatchNormalization", ["axis", "momentum", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer", "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint", "training", "trainable", "name", "reuse", "renorm", "renorm_clipping", "renorm_momentum", "fused", "virtual_batch_size", "adjustment"], [], True, "batch_normalization"),
    "flatten": ("Flatten", ["name", "data_format"], [], False, "flatten"),
}
# tf.contrib.layers / slim function -> (parameters after `inputs`, TF1 default scope name)
SLIM: dict[str, tuple[list[str], str]] = {
    "fully_connected": (["num_outputs", "activation_fn", "normalizer_fn", "normalizer_params", "weights_initializer", "weights_regularizer", "biases_initializer", "biases_regularizer", "reuse", "variables_collections", "outputs_collections", "trainable", "scope"], "fully_connected"),
    "conv2d": (["num_outputs", "kernel_size", "stride", "padding", "data_format", "rate", "activation_fn", "normalizer_fn", "normalizer_params", "weights_initializer", "weights_regularizer", "biases_initializer", "biases_regularizer", "reuse", "variables_collections", "outputs_collections", "trainable", "scope"], "Conv"),
    "batch_norm": (["decay", "center", "scale", "epsilon", "activation_fn", "param_initializers", "param_regularizers", "updates_collections", "is_training", "reuse", "variables_collections", "outputs_collections", "trainable", "batch_weights", "fused", "data_format", "zero_debias_moving_mean", "scope", "renorm", "renorm_clipping", "renorm_decay", "adjustment"], "BatchNorm"),
    "dropout": (["keep_prob", "noise_shape", "is_training", "outputs_collections", "scope", "seed"], "Dropout"),
    "max_pool2d": (["kernel_size", "stride", "padding", "data_format", "outputs_collections", "scope"], "MaxPool2D"),
    "avg_pool2d": (["kernel_size", "stride", "padding", "data_format", "outputs_collections", "scope"], "AvgPool2D"),
    "flatten": (["outputs_collections", "scope"], "Flatten"),
}
SLIM["convolution2d"] = SLIM["conv2d"]
SLIM_PREFIXES = ("contrib.slim.", "contrib.layers.")
# slim arguments that are accepted (anything else is left for a person)
SLIM_OK = {"num_outputs", "kernel_size", "stride", "padding", "rate", "activation_fn", "normalizer_fn", "normalizer_params",
           "weights_initializer", "weights_regularizer", "biases_initializer", "biases_regularizer", "trainable", "scope",
           "decay", "center", "scale", "epsilon", "is_training", "updates_collections", "fused", "keep_prob",
           "noise_shape", "seed", "data_format"}
BN_PARAMS_OK = {"decay", "center", "scale", "epsilon", "is_training", "updates_collections", "fused"}
# contrib value functions TF2130 translates inside the layers it builds
SLIM_VALUES = {"xavier_initializer", "l2_regularizer"}


def slim_fn(rest: str | None) -> str | None:
    """`contrib.slim.conv2d` / `contrib.layers.conv2d` -> `conv2d` (a SLIM function), else None."""
    if rest is None:
        return None
    for p in SLIM_PREFIXES:
        if rest.startswith(p) and rest[len(p):] in SLIM:
            return rest[len(p):]
    return None


ARG_SCOPES = {"contrib.framework.arg_scope", "contrib.slim.arg_scope"}


def _canonical_slim(fn: str) -> str:
    return "conv2d" if fn == "convolution2d" else fn


def slim_value(rest: str | None) -> str | None:
    if rest is None:
        return None
    for p in SLIM_PREFIXES:
        if rest.startswith(p) and rest[len(p):] in SLIM_VALUES:
            return rest[len(p):]
    return None


UNSUPPORTED_LAYER_ARGS = {"reuse", "renorm", "renorm_clipping", "renorm_momentum", "fused", "virtual_batch_size", "adjustment"}
GET_VARIABLE_PARAMS = ["name", "shape", "dtype", "initializer", "regularizer", "trainable"]
# TF1 tf.Variable's positional parameters (up to dtype) and the ones TF2130 takes
TF_VARIABLE_PARAMS = ["initial_value", "trainable", "collections", "validate_shape", "caching_device", "name", "variable_def", "dtype"]
TF_VARIABLE_OK = {"initial_value", "trainable", "name", "dtype"}

# TF names whose presence in a function makes it not a plain model function.
_DENY_EXACT = {
    "Variable", "make_template", "get_collection", "add_to_collection", "get_variable_scope",
    "control_dependencies", "cond", "while_loop", "case", "name_scope", "variable_scope",
    "placeholder", "placeholder_with_default", "Session", "InteractiveSession",
    "global_variables_initializer", "trainable_variables", "global_variables", "assign",
    "assign_add", "assign_sub", "py_func", "map_fn", "scan",
}
_DENY_PREFIX = ("contrib.", "train.", "summary.", "nn.rnn_cell.", "keras.", "estimator.", "data.",
                "compat.", "losses.", "metrics.", "layers.", "get_variable", "nn.dynamic_rnn",
                "nn.static_rnn", "nn.bidirectional_dynamic_rnn", "feature_column.", "saved_model.")
_PROGRAM = ("Session", "InteractiveSession", "placeholder", "placeholder_with_default",
            "global_variables_initializer", "train.", "summary.", "app.run", "estimator.")
# attributes of a Keras layer a sub-layer or weight attribute must not shadow
RESERVED = {"name", "trainable", "weights", "variables", "dtype", "input", "output", "call", "build",
            "losses", "built", "inputs", "outputs", "training", "compute_dtype", "variable_dtype", "path",
            "add_weight", "add_loss", "get_config", "submodules", "non_trainable_weights",
            "trainable_weights", "dtype_policy", "input_spec", "supports_masking", "self", "super"}


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def camel(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in name.split("_") if p) or "Model"


def is_literal(node: cst.BaseExpression) -> bool:
    if isinstance(node, (cst.Integer, cst.Float, cst.SimpleString)):
        return True
    if isinstance(node, cst.Name):
        return node.value in ("True", "False", "None")
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        return isinstance(node.expression, (cst.Integer, cst.Float))
    if isinstance(node, (cst.List, cst.Tuple)):
        return all(isinstance(e, cst.Element) and is_literal(e.value) for e in node.elements)
    return False


def string_value(node: cst.BaseExpression | None) -> str | None:
    if isinstance(node, cst.SimpleString):
        v = node.evaluated_value
        return v if isinstance(v, str) else None
    return None


def names_in(node: cst.CSTNode) -> set[str]:
    """Load-context Name values in `node` (attribute names and keywords excluded)."""
    out: set[str] = set()

    class V(cst.CSTVisitor):
        def visit_Attribute(self, n: cst.Attribute) -> bool:
            n.value.visit(self)
            return False

        def visit_Arg(self, n: cst.Arg) -> bool:
            n.value.visit(self)
            return False

        def visit_Name(self, n: cst.Name) -> None:
            out.add(n.value)

    node.visit(V())
    return out


def join(*parts: str | None) -> str:
    return "/".join(p for p in parts if p)


@dataclass
class Creator:
    kind: str  # "layer" | "var" | "sub"
    node: cst.Call  # the original call
    attr: str  # self.<attr>
    keras_name: str  # Keras layer / weight name (no '/')
    # layer: the tf.layers function; sub: the callee FuncPlan name
    fn: str = ""
    training: cst.BaseExpression | None = None  # original training expression (None: pin False / default)
    ctor: dict[str, cst.Arg] = field(default_factory=dict)  # sub: callee param -> original arg
    shared_with: str | None = None  # sub/var sharing an earlier creator's attr
    stmt: cst.SimpleStatementLine | None = None  # var: the `W = tf.get_variable(...)` line
    local: str = ""  # var: the local name; slim: the attribute of its normalizer BatchNormalization
    defaults: list[int] = field(default_factory=list)  # slim: id() of the arg_scope `with`s that apply


@dataclass
class FuncPlan:
    name: str
    node: cst.FunctionDef
    cls: str
    input: str
    training: str | None = None
    training_default: cst.BaseExpression | None = None
    name_param: str | None = None
    reuse_param: str | None = None
    config: list[cst.Param] = field(default_factory=list)
    # parameters read only by the computation (not by build arguments): config when every
    # call passes a literal, else extra call inputs (`extra`, moved out of `config` by
    # _external_ok when a call outside restructured code passes a computed value)
    compute_only: set[str] = field(default_factory=set)
    all_config: list[cst.Param] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    scope: str | None = None  # literal object scope
    creators: list[Creator] = field(default_factory=list)
    withs: set[int] = field(default_factory=set)  # id() of original With nodes to unwrap
    drops: set[int] = field(default_factory=set)  # id() of original `if reuse: scope.reuse_variables()` to drop
    scope_aliases: set[str] = field(default_factory=set)  # `with variable_scope(S) as a:` whose `name=a.name` args go
    once: bool = False  # creates tf.Variables (new ones at every TF1 call): must be called exactly once
    obsolete: list[cst.CSTNode] = field(default_factory=list)  # nodes whose other findings go
    var_stmts: set[int] = field(default_factory=set)  # id() of original statements moved to build
    shape_stmts: list[cst.SimpleStatementLine] = field(default_factory=list)  # copied into build
    # ... of them, those written anew in build: `dim = <expression of input_shape>` for a read of
    # a computed tensor's static shape (_static_shapes.py)
    shape_code: dict[int, tuple[str, str]] = field(default_factory=dict)  # -> (code, the tensor read)
    names: dict[str, str] = field(default_factory=dict)  # TF1 name -> Keras path under the layer
    docstring: cst.SimpleStatementLine | None = None
    external: list[cst.Call] = field(default_factory=list)  # call sites outside planned functions
    home: str | None = None  # the one function holding every outside call (its instances go there)
    ctor_names: set[str] = field(default_factory=set)  # names read by the build arguments (in __init__)
    instances: dict[str, str] = field(default_factory=dict)  # ctor code -> module instance name
    # flag-guarded summaries of its variables: (the `if`, the summary call, the variable's attribute)
    summaries: list[tuple[cst.If, cst.Call, str]] = field(default_factory=list)


@dataclass
class Factory:
    """A variable helper: `def _variable_on_cpu(name, shape, initializer):` whose body is one
    `tf.get_variable(<name parameter>, ...)` (optionally under `with tf.device('<literal>'):`)
    returned as it is. Its calls `v = helper('weights', ...)` inside model functions become
    the layer's variables (the helper's get_variable with the call's arguments put in)."""
    name: str
    node: cst.FunctionDef
    params: list[str]
    device: bool  # the variable is created under `with tf.device(...)` (kept around add_weight)
    # a weight-decay helper (`var = _variable_on_cpu(...)`, then `tf.add_to_collection(KEY,
    # <term of var>)`, optionally under `if wd is not None:`): the variable helper it calls,
    # the collection key, the parameter of the condition (None: unconditional)
    inner: str | None = None
    key: str | None = None
    decay_param: str | None = None
    # the file reads the collection in the way TF2120 converts (_loss_collection.py)
    converted_reads: bool = False


def decay_parts(fn: cst.FunctionDef) -> tuple[cst.Call, str, cst.BaseExpression, cst.Call, str | None] | None:
    """The structure of a weight-decay helper (spelling-independent: also on the rewritten
    function): (the call making the variable, the variable's local name, the decay term,
    the add_to_collection call, the parameter tested by `if <p> is not None:` or None)::

        def _variable_with_weight_decay(name, shape, stddev, wd):
            var = _variable_on_cpu(name, shape, <initializer>)
            if wd is not None:
                weight_decay = tf.multiply(tf.nn.l2_loss(var), wd, name='weight_loss')
                tf.add_to_collection('losses', weight_decay)
            return var
    """
    body = list(fn.body.body) if isinstance(fn.body, cst.IndentedBlock) else []
    if body and _is_docstring(body[0]):
        body = body[1:]
    if len(body) != 3:
        return None
    first, mid, last = body
    small = _only(first)
    ret = _only(last)
    if not (isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name)
            and isinstance(small.value, cst.Call) and isinstance(small.value.func, cst.Name)):
        return None
    var = small.targets[0].target.value
    if not (isinstance(ret, cst.Return) and isinstance(ret.value, cst.Name) and ret.value.value == var):
        return None
    cond: str | None = None
    inner: list[cst.BaseStatement] = [mid]
    if isinstance(mid, cst.If):
        t = mid.test
        if not (mid.orelse is None and isinstance(t, cst.Comparison) and isinstance(t.left, cst.Name) and len(t.comparisons) == 1
                and isinstance(t.comparisons[0].operator, cst.IsNot) and isinstance(t.comparisons[0].comparator, cst.Name)
                and t.comparisons[0].comparator.value == "None" and isinstance(mid.body, cst.IndentedBlock)):
            return None
        cond = t.left.value
        inner = list(mid.body.body)
    smalls = [_only(b) for b in inner]
    if len(smalls) == 1 and isinstance(smalls[0], cst.Expr) and isinstance(smalls[0].value, cst.Call):
        add = smalls[0].value
        if len(add.args) != 2 or any(a.keyword is not None or a.star for a in add.args):
            return None
        term = add.args[1].value
    elif (len(smalls) == 2 and isinstance(smalls[0], cst.Assign) and len(smalls[0].targets) == 1
          and isinstance(smalls[0].targets[0].target, cst.Name) and isinstance(smalls[1], cst.Expr)
          and isinstance(smalls[1].value, cst.Call)):
        add = smalls[1].value
        local = smalls[0].targets[0].target.value
        if not (len(add.args) == 2 and all(a.keyword is None and not a.star for a in add.args)
                and isinstance(add.args[1].value, cst.Name) and add.args[1].value.value == local):
            return None
        term = smalls[0].value
    else:
        return None
    return small.value, var, term, add, cond


def _only(stmt: cst.CSTNode) -> cst.BaseSmallStatement | None:
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
        return stmt.body[0]
    return None


def factory_parts(fn: cst.FunctionDef) -> tuple[cst.With | None, cst.Call] | None:
    """The structure of a variable helper (spelling-independent: also on the rewritten
    function): (the `with` around the variable, the get_variable-like call), else None."""
    body = list(fn.body.body) if isinstance(fn.body, cst.IndentedBlock) else []
    if body and _is_docstring(body[0]):
        body = body[1:]
    with_: cst.With | None = None
    if len(body) == 2 and isinstance(body[0], cst.With):
        with_ = body[0]
        inner = list(with_.body.body) if isinstance(with_.body, cst.IndentedBlock) else []
        if len(inner) != 1:
            return None
        body = [inner[0], body[1]]
    elif len(body) == 1 and isinstance(body[0], cst.With):
        with_ = body[0]
        body = list(with_.body.body) if isinstance(with_.body, cst.IndentedBlock) else []
    if not all(isinstance(b, cst.SimpleStatementLine) and len(b.body) == 1 for b in body):
        return None
    smalls = [b.body[0] for b in body]  # type: ignore[attr-defined]
    if len(smalls) == 1 and isinstance(smalls[0], cst.Return) and isinstance(smalls[0].value, cst.Call):
        return with_, smalls[0].value
    if (len(smalls) == 2 and isinstance(smalls[0], cst.Assign) and len(smalls[0].targets) == 1
            and isinstance(smalls[0].targets[0].target, cst.Name) and isinstance(smalls[0].value, cst.Call)
            and isinstance(smalls[1], cst.Return) and isinstance(smalls[1].value, cst.Name)
            and smalls[1].value.value == smalls[0].targets[0].target.value):
        return with_, smalls[0].value
    return None


def _factory(rule, fn: cst.FunctionDef) -> Factory | None:
    if fn.decorators or fn.asynchronous:
        return None
    try:
        params = [p.name.value for p in _param_list(fn)]
    except Reject:
        return None
    parts = factory_parts(fn)
    if parts is None:
        return None
    with_, call = parts
    if rest_of(rule.qname(call.func)) != "get_variable":
        return None
    if with_ is not None:
        if len(with_.items) != 1 or with_.items[0].asname is not None or with_.asynchronous:
            return None
        dev = with_.items[0].item
        if not (isinstance(dev, cst.Call) and rest_of(rule.qname(dev.func)) == "device" and len(dev.args) == 1
                and dev.args[0].keyword is None and string_value(dev.args[0].value) is not None):
            return None
    args = keyword_args(call, GET_VARIABLE_PARAMS)
    if args is None or set(args) - set(GET_VARIABLE_PARAMS) or "name" not in args:
        return None
    nm = args["name"].value
    if not (isinstance(nm, cst.Name) and nm.value in params):
        return None
    return Factory(fn.name.value, fn, params, with_ is not None)


# Reads of graph collections that a weight-decay term moved to `layer.losses` would miss
COLLECTION_READS = {"get_collection", "get_collection_ref", "losses.get_losses", "losses.get_total_loss",
                    "losses.get_regularization_loss", "losses.get_regularization_losses"}


def _decay_factory(rule, fn: cst.FunctionDef, factories: dict[str, Factory], module: cst.Module,
                   funcs: dict[str, cst.FunctionDef]) -> Factory | str | None:
    """A weight-decay helper (see decay_parts) over a variable helper: a Factory whose calls
    become a variable with a regularizer computing the same term (Keras keeps it in
    `layer.losses`); a string (why not) when it has that shape but cannot be taken; None when
    it is something else."""
    if fn.decorators or fn.asynchronous:
        return None
    try:
        params = [p.name.value for p in _param_list(fn)]
    except Reject:
        return None
    parts = decay_parts(fn)
    if parts is None:
        return None
    call, var, term, add, cond = parts
    inner = call.func.value  # type: ignore[attr-defined]
    if inner not in factories or factories[inner].inner is not None:
        return None
    if rest_of(rule.qname(add.func)) != "add_to_collection":
        return None
    key = string_value(add.args[0].value)
    if key is None:
        return "it adds to a graph collection whose key is not a string literal"
    if cond is not None and cond not in params:
        return None
    if var in params or _count_name(fn, var) != 2 + _count_name(term, var):
        return None  # the variable is used for something else
    # every read of that collection elsewhere in the file would miss the term (it is in
    # `layer.losses` now): refused, naming the reads
    reads: list[str] = []
    calls: list[cst.Call] = []

    class _Calls(cst.CSTVisitor):
        def visit_Call(self, n: cst.Call) -> None:
            calls.append(n)

    module.visit(_Calls())  # in source order
    # reads that TF2120 converts (a loss helper's add_n, counts): not in the way, while
    # TF2120 runs in this pass and has not refused the file
    converted: set[int] = set()
    withdrawn = False  # reads TF2120 would convert, but it does not rewrite this file
    ctx = getattr(rule, "ctx", None)
    if ctx is not None and ctx.state.get(_loss_collection.ENABLED):
        got = _loss_collection.recognise(module, lambda f: rest_of(rule.qname(f)), key, set(factories) | {fn.name.value})
        if not isinstance(got, str):
            if ctx.state.get(_loss_collection.WITHDRAWN):
                withdrawn = True
            else:
                converted = got.read_calls()
    for n in calls:
        if id(n) in converted:
            continue
        r = rest_of(rule.qname(n.func))
        if r not in COLLECTION_READS:
            continue
        if r.startswith("get_collection") and n.args:
            k = string_value(n.args[0].value)
            kr = rest_of(rule.qname(n.args[0].value)) if k is None else None
            if kr is not None and kr.startswith("GraphKeys."):
                k = "variables" if kr == "GraphKeys.GLOBAL_VARIABLES" else kr[len("GraphKeys."):].lower()
            if k is not None and k != key:
                continue
        elif not r.startswith("get_collection") and key not in ("losses", "regularization_losses"):
            continue
        where = next((f for f, d in funcs.items() if any(x is n for x in _walk_nodes(d))), None)
        reads.append(f"`tf.{r}` {f'in `{where}`' if where else 'at module level'}")
    if reads:
        return (f"it adds to the graph collection {key!r} (`tf.add_to_collection`), which the file reads "
                f"({', '.join(dict.fromkeys(reads))}): TF2 has no collections; the weight-decay term would become a "
                "regularizer of the layer's variable (in `layer.losses`), and those reads are not converted to add "
                "`layer.losses` (sum `layer.losses` and the other terms where the collection is summed)"
                + ("; TF2120 converts these reads with the file's Session code, which it does not convert here (see "
                   "its finding)" if withdrawn else ""))
    return Factory(fn.name.value, fn, params, factories[inner].device, inner=inner, key=key, decay_param=cond,
                   converted_reads=bool(converted))


def inline_decay_factory(fn: cst.FunctionDef, params: list[str], inner_fn: cst.FunctionDef, inner_params: list[str],
                         call: cst.Call) -> tuple[cst.Call, cst.BaseExpression | None, str] | None:
    """A weight-decay helper's call -> (the inner helper's get_variable with the arguments
    put in, the decay term with the arguments put in (None when the call passes None for
    the condition's parameter), the variable's local name in the helper)."""
    parts = decay_parts(fn)
    args = keyword_args(call, params)
    if parts is None or args is None or set(args) - set(params):
        return None
    values: dict[str, cst.BaseExpression] = {k: a.value for k, a in args.items()}
    for p in fn.params.params:
        if p.name.value not in values:
            if p.default is None:
                return None
            values[p.name.value] = p.default
    inner_call, var, term, _add, cond = parts
    put = inner_call.visit(_Substitute(values))
    assert isinstance(put, cst.Call)
    made = inline_factory(inner_fn, inner_params, put)
    if made is None:
        return None
    if cond is not None and isinstance(values[cond], cst.Name) and values[cond].value == "None":  # type: ignore[attr-defined]
        return made, None, var
    return made, term.visit(_Substitute({k: v for k, v in values.items() if k != var})), var


class _Substitute(cst.CSTTransformer):
    """Parameter names -> the argument expressions of a call (loads only)."""

    def __init__(self, values: dict[str, cst.BaseExpression]) -> None:
        super().__init__()
        self.values = values

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        return False

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        return updated_node.with_changes(value=original_node.value.visit(self))

    def leave_Arg(self, original_node: cst.Arg, updated_node: cst.Arg) -> cst.Arg:
        return updated_node.with_changes(keyword=original_node.keyword)

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        return self.values.get(original_node.value, updated_node)


def inline_factory(fn: cst.FunctionDef, params: list[str], call: cst.Call) -> cst.Call | None:
    """The helper's get_variable call with the arguments of `call` put in for its parameters
    (defaults for those left out); None when the call cannot be matched."""
    parts = factory_parts(fn)
    args = keyword_args(call, params)
    if parts is None or args is None or set(args) - set(params):
        return None
    values: dict[str, cst.BaseExpression] = {k: a.value for k, a in args.items()}
    for p in fn.params.params:
        if p.name.value not in values:
            if p.default is None:
                return None
            values[p.name.value] = p.default
    return parts[1].visit(_Substitute(values))  # type: ignore[return-value]


@dataclass
class ModulePlan:
    plans: dict[str, FuncPlan] = field(default_factory=dict)
    rejected: dict[str, tuple[cst.FunctionDef, str, bool]] = field(default_factory=dict)  # name -> (node, reason, model_like)
    by_call: dict[int, tuple[str, Creator]] = field(default_factory=dict)  # id(orig call) -> (func, creator)
    external: dict[int, str] = field(default_factory=dict)  # id(orig call) -> callee func
    tf1_calls: set[int] = field(default_factory=set)  # tf.layers calls left TF1-style (shim)
    shim_roots: dict[str, str] = field(default_factory=dict)  # TF2131: function -> why not restructured
    unhandled: dict[str, str] = field(default_factory=dict)  # model functions neither rule covers
    factories: dict[str, Factory] = field(default_factory=dict)  # variable helpers inlined into restructured functions
    factories_gone: set[str] = field(default_factory=set)  # ... of them, those inlined at every call (removed)
    optional_rejected: set[str] = field(default_factory=set)  # name_scope'd tf.Variable functions TF2130 refused


class Reject(Exception):
    pass


def _param_list(fn: cst.FunctionDef) -> list[cst.Param]:
    p = fn.params
    if p.posonly_params or p.kwonly_params or isinstance(p.star_arg, cst.Param) or p.star_kwarg is not None:
        raise Reject("*args, **kwargs, keyword-only or positional-only parameters")
    return list(p.params)


def _statements(block: cst.BaseSuite) -> list[cst.BaseStatement]:
    if isinstance(block, cst.IndentedBlock):
        return list(block.body)
    raise Reject("a one-line block")


class _Analyzer:
    def __init__(self, rule, module: cst.Module, funcs: dict[str, cst.FunctionDef], creating: set[str], accepted: dict[str, FuncPlan],
                 factories: dict[str, Factory] | None = None) -> None:
        self.rule = rule
        self.module = module
        self.funcs = funcs
        self.creating = creating
        self.accepted = accepted
        self.factories = factories or {}

    def rest(self, node: cst.BaseExpression) -> str | None:
        return rest_of(self.rule.qname(node))

    def analyze(self, fn: cst.FunctionDef) -> FuncPlan:
        if fn.decorators:
            raise Reject("the function is decorated")
        if fn.asynchronous:
            raise Reject("an async function")
        params = _param_list(fn)
        self._collections(fn)
        if not params:
            raise Reject("the function has no input parameter")
        pnames = [p.name.value for p in params]
        plan = FuncPlan(name=fn.name.value, node=fn, cls=camel(fn.name.value), input=pnames[0])
        body = _statements(fn.body)
        if body and _is_docstring(body[0]):
            plan.docstring = body[0]  # type: ignore[assignment]
            body = body[1:]
        guarded = [s for s in body if self._summary_if(s) is not None]
        body = [s for s in body if not any(s is g for g in guarded)]
        # -- object scope: one top-level `with variable_scope(S)` holding every creator
        withs = [s for s in body if isinstance(s, cst.With)]
        self.locals: set[str] = set()
        self.var_locals: set[str] = set()
        self.handled = {}
        self.arg_stack: list[tuple[set[str], dict[str, cst.Arg], int]] = []
        self.argscope_of: dict[int, list[tuple[set[str], dict[str, cst.Arg], int]]] = {}
        self.cur_argscopes: list[tuple[set[str], dict[str, cst.Arg], int]] = []
        self.plan = plan
        self.params = set(pnames)
        self.used_as: dict[str, set[str]] = {p: set() for p in pnames}
        self.seen_names: dict[str, int] = {}
        self.attrs: set[str] = set()
        self.sub_shared: dict[tuple[str, str, str], Creator] = {}
        self.static_reads: dict[str, str] = {}  # local -> the computed tensor whose static shape it reads
        self.sym_shapes: dict[str, list[str]] = {}  # local -> its static shape from the input's (_static_shapes.py)
        obj_with: cst.With | None = None
        if len(withs) == 1 and all(not self._creates(s) for s in body if s is not withs[0]):
            obj_with = withs[0]
        flat: list[tuple[cst.BaseStatement, tuple[str, ...]]] = []
        self._walk(body, (), flat, obj_with)
        if not flat or not isinstance(flat[-1][0], cst.SimpleStatementLine) or not isinstance(flat[-1][0].body[0], cst.Return):
            raise Reject("the function does not end with a return statement")
        for i, (stmt, _scope) in enumerate(flat):
            assert isinstance(stmt, cst.SimpleStatementLine)
            for small in stmt.body:
                if isinstance(small, cst.Return) and i != len(flat) - 1:
                    raise Reject("a return before the end of the function")
        # -- creators, statement by statement
        shape_locals: dict[str, cst.SimpleStatementLine] = {}
        for stmt, scope in flat:
            self.cur_argscopes = self.argscope_of.get(id(stmt), [])
            self._statement(stmt, scope, shape_locals)
        # -- parameters
        for p in params[1:]:
            name = p.name.value
            uses = self.used_as[name]
            if uses == {"training"}:
                if plan.training is not None:
                    raise Reject("two training parameters")
                plan.training, plan.training_default = name, p.default
            elif uses == {"reuse"}:
                plan.reuse_param = name
            elif uses == {"scope"}:
                plan.name_param = name
            elif uses & {"training", "reuse", "scope", "input"}:
                raise Reject(f"parameter `{name}` is used both to build and to compute")
            else:
                plan.config.append(p)
                if uses == {"compute"} and p.default is None:
                    plan.compute_only.add(name)
        plan.all_config = list(plan.config)
        if self.used_as[plan.input] - {"input"}:
            raise Reject(f"the input `{plan.input}` is used to build the layers")
        if "training" in self.locals or any(c.value == "training" for c in [p.name for p in plan.config]):
            raise Reject("a local name `training` would clash with the Keras `training` argument")
        if not plan.creators:
            raise Reject("no variables are created")
        for st in guarded:
            self._helper_summary(st, pnames)
        return plan

    def _summary_if(self, st: cst.BaseStatement) -> cst.Call | None:
        """`if FLAGS.log_histograms: tf.summary.histogram('weights', weights)` at the top level
        of the function: the summary call (None when `st` is not that shape)."""
        if not (isinstance(st, cst.If) and st.orelse is None and isinstance(st.body, cst.IndentedBlock) and len(st.body.body) == 1):
            return None
        line = st.body.body[0]
        if not (isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1 and isinstance(line.body[0], cst.Expr)):
            return None
        call = line.body[0].value
        if isinstance(call, cst.Call) and self.rest(call.func) in ("summary.histogram", "summary.scalar"):
            return call
        return None

    def _helper_summary(self, st: cst.If, pnames: list[str]) -> None:
        """A flag-guarded summary of one of the function's variables (TF1 added it to the merged
        summaries when the function was called, if the test held then): it leaves the layer
        and is written, under the same test, where the call stands (TF2120 puts it in the
        function writing the merged summaries). Its tag is the literal name (the summary is
        outside every scope of the function); the value is the variable, read from the object."""
        call = self._summary_if(st)
        assert call is not None
        args = keyword_args(call, ["name", "values" if self.rest(call.func) == "summary.histogram" else "tensor"])
        what = f"`if {self.module.code_for_node(st.test)}: {self.module.code_for_node(call)}`"
        if args is None or set(args) != {"name", "values" if self.rest(call.func) == "summary.histogram" else "tensor"}:
            raise Reject(f"{what}: a summary with arguments other than its name and value")
        tag = string_value(args["name"].value)
        if tag is None or not tag:
            raise Reject(f"{what}: a summary whose name is not a string literal")
        value = list(args.values())[1].value
        made = [c for c in self.plan.creators if c.kind == "var" and c.local and isinstance(value, cst.Name) and c.local == value.value]
        if not made or isinstance(value, cst.Name) and sum(1 for c in self.plan.creators if c.kind == "var" and c.local == value.value) != 1:
            raise Reject(f"{what}: a summary of something other than one variable the function makes")
        read = names_in(st.test) & (set(pnames) | self.locals)
        if read:
            raise Reject(f"{what}: the test reads `{sorted(read)[0]}`, a value of the function")
        self.plan.summaries.append((st, call, made[0].attr))
        self.plan.drops.add(id(st))
        self.plan.obsolete.append(call.func)

    def _collections(self, fn: cst.FunctionDef) -> None:
        """`tf.add_to_collection(key, value)` in a model function (the CIFAR-10 weight decay:
        `tf.add_to_collection('losses', wd * tf.nn.l2_loss(var))`): refused with what a person
        must do. A Keras layer would hold the term in `losses` (a regularizer), but the reads of
        the collection elsewhere (`tf.add_n(tf.get_collection('losses'))`) would then miss it."""
        for n in _walk_nodes(fn):
            if isinstance(n, cst.Call) and self.rest(n.func) in ("add_to_collection", "add_to_collections"):
                key = string_value(n.args[0].value) if n.args else None
                what = f"the graph collection {key!r}" if key is not None else "a graph collection"
                raise Reject(f"it adds to {what} (`tf.add_to_collection`): TF2 has no collections; a weight-decay term "
                             "becomes a regularizer of the layer's variable (`layer.losses`), and every read of the "
                             "collection (`tf.add_n(tf.get_collection(...))`) must then add `layer.losses` instead")

    # -- structure ---------------------------------------------------------------------
    def _creates(self, node: cst.CSTNode) -> bool:
        found = False
        analyzer = self

        class V(cst.CSTVisitor):
            def visit_Call(self, n: cst.Call) -> None:
                nonlocal found
                r = analyzer.rest(n.func)
                if r is not None and (r == "get_variable" or r.startswith("layers.") or slim_fn(r) is not None):
                    found = True
                if isinstance(n.func, cst.Name) and n.func.value in analyzer.creating:
                    found = True

        node.visit(V())
        return found

    def _walk(self, body, scope: tuple[str, ...], flat, obj_with) -> None:
        for stmt in body:
            if isinstance(stmt, cst.With):
                asname = stmt.items[0].asname if len(stmt.items) == 1 else None
                if len(stmt.items) != 1 or stmt.asynchronous or (asname is not None and not isinstance(asname.name, cst.Name)):
                    raise Reject("a `with` statement that is not a plain variable_scope")
                call = stmt.items[0].item
                if asname is not None and not (isinstance(call, cst.Call) and self.rest(call.func) == "variable_scope"):
                    raise Reject("a `with ... as` statement that is not a variable_scope")
                if isinstance(call, cst.Call) and self.rest(call.func) in ARG_SCOPES:
                    self._arg_scope(stmt, call)
                    self._walk(_statements(stmt.body), scope, flat, obj_with)
                    self.arg_stack.pop()
                    continue
                if isinstance(call, cst.Call) and self.rest(call.func) == "name_scope" and asname is None:
                    self._name_scope(stmt, call, scope, flat, obj_with)
                    continue
                if not isinstance(call, cst.Call) or self.rest(call.func) != "variable_scope":
                    raise Reject("a `with` statement that is not a variable_scope")
                args = keyword_args(call, ["name_or_scope"])
                if args is None or set(args) - {"name_or_scope", "reuse", "values"} or "name_or_scope" not in args:
                    raise Reject("variable_scope with default_name or other options")
                sv = args["name_or_scope"].value
                reuse = args.get("reuse")
                is_obj = stmt is obj_with
                inner_body = _statements(stmt.body)
                inner_body, reuse = self._scope_as(stmt, asname.name.value if asname is not None else None, inner_body, reuse, is_obj)  # type: ignore[attr-defined]
                if isinstance(sv, cst.Name) and sv.value in self.params:
                    if not is_obj:
                        raise Reject("a variable_scope named by a parameter inside the function")
                    self.used_as[sv.value].add("scope")
                    name = None
                else:
                    name = string_value(sv)
                    if name is None or "/" in name or not name:
                        raise Reject("a variable_scope whose name is not a string literal")
                    if is_obj:
                        self.plan.scope = name
                if reuse is not None:
                    rv = reuse.value
                    if isinstance(rv, cst.Name) and rv.value in self.params and is_obj:
                        self.used_as[rv.value].add("reuse")
                    elif isinstance(rv, cst.Name) and rv.value in ("None", "False"):
                        pass
                    elif self.rest(rv) == "AUTO_REUSE":
                        pass
                    else:
                        raise Reject("variable_scope reuse of variables created elsewhere")
                if "values" in args:
                    self._names(args["values"].value, "values")
                self.plan.withs.add(id(stmt))
                self.plan.obsolete.append(call.func)
                if reuse is not None:
                    self.plan.obsolete.append(reuse.value)
                inner = scope if is_obj else (*scope, name)  # type: ignore[arg-type]
                self._walk(inner_body, inner, flat, obj_with)
            elif isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Assign):
                        if len(small.targets) != 1 or not isinstance(small.targets[0].target, cst.Name):
                            raise Reject("an assignment to something other than one name")
                    elif isinstance(small, cst.Return):
                        if small.value is None:
                            raise Reject("a bare return")
                    elif isinstance(small, cst.Expr) and isinstance(small.value, (cst.SimpleString, cst.ConcatenatedString)):
                        continue
                    else:
                        raise Reject(f"a `{type(small).__name__}` statement")
                flat.append((stmt, scope))
                self.argscope_of[id(stmt)] = list(self.arg_stack)
            else:
                raise Reject(f"a `{type(stmt).__name__}` statement (loops, branches and nested functions are not restructured)")

    def _name_scope(self, stmt: cst.With, call: cst.Call, scope: tuple[str, ...], flat, obj_with) -> None:
        """`with tf.name_scope('S'):` around tf.Variable statements: TF1 named those variables
        `S/<name>` as a variable_scope('S') would (tf.get_variable, tf.layers and the
        variables of called model functions ignore name scopes: refused)."""
        args = keyword_args(call, ["name", "default_name", "values"])
        name = string_value(args["name"].value) if args is not None and set(args) == {"name"} else None
        if name is None or "/" in name or not name:
            raise Reject("a name_scope whose name is not one string literal")
        again = [n for n in _walk_nodes(self.module) if isinstance(n, cst.Call) and n is not call
                 and self.rest(n.func) in ("name_scope", "variable_scope") and n.args and string_value(n.args[0].value) == name]
        if again:
            raise Reject(f"the name scope '{name}' is opened elsewhere in the file too (TF1 numbers a name scope opened "
                         f"again, '{name}_1', and the tf.Variables in it with it)")
        analyzer = self

        class V(cst.CSTVisitor):
            def visit_Call(self, n: cst.Call) -> None:
                r = analyzer.rest(n.func)
                if r is not None and r != "Variable" and (r == "get_variable" or r.startswith("layers.") or slim_fn(r) is not None
                                                          or r in ("variable_scope", "name_scope")):
                    raise Reject(f"`{r}` inside a name_scope (TF1 named only tf.Variables after name scopes)")
                if isinstance(n.func, cst.Name) and n.func.value in analyzer.creating:
                    raise Reject(f"`{n.func.value}` called inside a name_scope")

        stmt.body.visit(V())
        self.plan.withs.add(id(stmt))
        self.plan.obsolete.append(call.func)
        if stmt is obj_with:
            self.plan.scope = name
            self._walk(_statements(stmt.body), scope, flat, obj_with)
        else:
            self._walk(_statements(stmt.body), (*scope, name), flat, obj_with)

    def _scope_as(self, stmt: cst.With, alias: str | None, body: list[cst.BaseStatement], reuse: cst.Arg | None,
                  is_obj: bool) -> tuple[list[cst.BaseStatement], cst.Arg | None]:
        """`with tf.variable_scope(S) [as scope]:` whose first statement is `if <reuse
        parameter>: scope.reuse_variables()` (or `tf.get_variable_scope().reuse_variables()`,
        the DCGAN spelling): the same as `variable_scope(S, reuse=<reuse parameter>)`
        (reuse_variables() before any variable of the block is made; reuse=False inherits, as
        TF1's does). The `if` goes; anything else done with `scope` refuses."""
        first = body[0] if body else None
        flag: cst.Name | None = None
        via_alias = False
        if (isinstance(first, cst.If) and first.orelse is None and isinstance(first.test, cst.Name)
                and isinstance(first.body, cst.IndentedBlock) and len(first.body.body) == 1
                and isinstance(first.body.body[0], cst.SimpleStatementLine) and len(first.body.body[0].body) == 1):
            small = first.body.body[0].body[0]
            if (isinstance(small, cst.Expr) and isinstance(small.value, cst.Call) and not small.value.args
                    and isinstance(small.value.func, cst.Attribute) and small.value.func.attr.value == "reuse_variables"):
                target = small.value.func.value
                if alias is not None and isinstance(target, cst.Name) and target.value == alias:
                    flag, via_alias = first.test, True
                elif isinstance(target, cst.Call) and not target.args and self.rest(target.func) == "get_variable_scope":
                    flag = first.test
                    self.plan.obsolete.append(target.func)
        if alias is not None:
            uses = _count_name(self.plan.node, alias)
            # `name=scope.name` op names (dropped: eager ops need no graph names)
            name_args = _scope_name_args(self.plan.node, alias)
            targets = _as_targets(self.plan.node, alias)
            if name_args and not via_alias:
                self.plan.scope_aliases.add(alias)
                uses -= name_args + targets - 1
            if uses != (2 if via_alias else 1):  # the `as` target, the `if` (if any), nothing else
                raise Reject(f"the variable scope object `{alias}` of a `with ... as {alias}` is used other than by a first "
                             f"`if <reuse parameter>: {alias}.reuse_variables()`")
        if flag is None:
            return body, reuse
        if reuse is not None:
            raise Reject("variable_scope with both reuse= and reuse_variables()")
        if flag.value not in self.params or not is_obj:
            raise Reject(f"`{alias}.reuse_variables()` under a condition that is not the function's reuse parameter")
        self.plan.drops.add(id(first))
        return body[1:], cst.Arg(flag, keyword=cst.Name("reuse"))

    def _names(self, node: cst.CSTNode, role: str) -> None:
        for n in names_in(node):
            if n in self.used_as:
                self.used_as[n].add(role)

    def _static(self, node: cst.CSTNode, what: str) -> None:
        """`node` is evaluated in __init__/build: it must not read locals or tensors."""
        self.plan.ctor_names |= names_in(node) - self.params
        bad = names_in(node) & self.locals
        if bad:
            raise Reject(f"{what} reads the local value `{sorted(bad)[0]}`")
        self._names(node, "config")

    def _name(self, tf1: str, keras: str) -> None:
        if tf1 in self.plan.names:
            raise Reject(f"two objects would own the TF1 variable `{tf1}`")
        self.plan.names[tf1] = keras

    def _unique_attr(self, base: str) -> str:
        base = re.sub(r"\W", "_", base) or "layer"
        if base[0].isdigit():
            base = "_" + base
        if base in RESERVED:
            base += "_layer"
        name, i = base, 1
        while name in self.attrs or name in self.params:
            name = f"{base}_{i}"
            i += 1
        self.attrs.add(name)
        return name

    def _statement(self, stmt: cst.SimpleStatementLine, scope: tuple[str, ...], shape_locals) -> None:
        small = stmt.body[0] if len(stmt.body) == 1 else None
        for s in stmt.body:
            if isinstance(s, cst.Expr):
                continue
            value = s.value
            assert value is not None
            if isinstance(value, cst.Call) and self.rest(value.func) == "get_variable" and isinstance(s, cst.Assign) and small is s:
                self._get_variable(stmt, s, value, scope, shape_locals)
                continue
            if isinstance(value, cst.Call) and self.rest(value.func) == "Variable" and isinstance(s, cst.Assign) and small is s:
                self._tf_variable(stmt, s, value, scope)
                continue
            if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value in self.factories \
                    and isinstance(s, cst.Assign) and small is s:
                fac = self.factories[value.func.value]
                if fac.inner is not None:
                    self._decay_call(stmt, s, value, fac, scope, shape_locals)
                    continue
                parts = factory_parts(fac.node)
                clash = sorted(names_in(parts[1]) - set(fac.params) & (self.params | self.locals)) if parts else []
                if clash:
                    raise Reject(f"the variable helper `{fac.name}` reads `{clash[0]}`, a name of this function too")
                inlined = inline_factory(fac.node, fac.params, value)
                if inlined is None:
                    raise Reject(f"the call of the variable helper `{fac.name}` cannot be matched to its parameters")
                self._get_variable(stmt, s, inlined, scope, shape_locals)
                c = self.plan.creators[-1]
                c.node, c.fn = value, "factory:" + fac.name
                continue
            calls = self._calls(value)
            creators = 0
            for call in calls:
                if self._call(call, scope):
                    creators += 1
            # plain computation: record name uses
            self._uses(value)
            if isinstance(s, cst.Assign):
                target = s.targets[0].target.value  # type: ignore[attr-defined]
                if target in self.params or target in self.var_locals:
                    raise Reject(f"`{target}` is assigned again")
                if creators == 0 and self._shape_only(value, shape_locals):
                    shape_locals[target] = stmt
                read = _static_shape_of(value)
                dim = self._followed_shapes(target, value, creators) if len(stmt.body) == 1 else None
                if dim is not None:
                    # the static shape of a computed tensor, written from the input's in build
                    shape_locals[target] = stmt
                    self.plan.shape_code[id(stmt)] = (f"{target} = {dim}", read or "")
                elif read is not None and read != self.plan.input and read in self.locals:
                    self.static_reads[target] = read
                self.locals.add(target)

    def _followed_shapes(self, target: str, value: cst.BaseExpression, creators: int) -> str | None:
        """Follows static shapes from the input's (_static_shapes.py): records the shape of
        `target` when `value` is a supported op; returns the expression of a dimension when
        `value` reads one of a followed tensor."""
        self.sym_shapes.pop(target, None)
        if creators:
            return None
        inp = self.plan.input

        def is_batch(e: cst.BaseExpression) -> bool:
            return _static_shapes.dimension_read(e, {inp: ["input_shape[0]"]}) == "input_shape[0]"

        got = _static_shapes.shape_of(value, self.rest, self.sym_shapes, is_batch, inp)
        if got is not None:
            self.sym_shapes[target] = got
            return None
        return _static_shapes.dimension_read(value, {k: v for k, v in self.sym_shapes.items() if k != inp})

    def _decay_call(self, stmt, assign: cst.Assign, value: cst.Call, fac: Factory, scope, shape_locals) -> None:
        """`w = _variable_with_weight_decay('weights', shape, stddev=..., wd=0.004)`: the
        variable helper's get_variable with the arguments put in, and the decay term (with
        `wd` put in) as the variable's regularizer, evaluated in build."""
        inner = self.factories[fac.inner]  # type: ignore[index]
        got = inline_decay_factory(fac.node, fac.params, inner.node, inner.params, value)
        if got is None:
            raise Reject(f"the call of the weight-decay helper `{fac.name}` cannot be matched to its parameters")
        made, term, var = got
        own = set(fac.params) | {var}
        for f, names in ((fac.name, names_in(decay_parts(fac.node)[0]) | names_in(decay_parts(fac.node)[2])),  # type: ignore[index]
                         (inner.name, names_in(factory_parts(inner.node)[1]))):  # type: ignore[index]
            clash = sorted((names - own - set(self.factories[f].params)) & (self.params | self.locals))
            if clash:
                raise Reject(f"the variable helper `{f}` reads `{clash[0]}`, a name of this function too")
        args = keyword_args(value, fac.params) or {}
        if fac.decay_param is not None and fac.decay_param in args:
            a = args[fac.decay_param].value
            if not (is_literal(a) or (isinstance(a, cst.UnaryOperation) and is_literal(a.expression))):
                raise Reject(f"`{fac.name}` called with a computed `{fac.decay_param}=` (the weight decay is decided when the layer is built)")
        if term is not None:
            self._static(term.visit(_Substitute({var: cst.Name("None")})), f"the weight-decay term of `{fac.name}`")
        self._get_variable(stmt, assign, made, scope, shape_locals)
        c = self.plan.creators[-1]
        c.node, c.fn = value, "factory:" + fac.name

    def _shape_only(self, value: cst.BaseExpression, shape_locals) -> bool:
        """True when `value` only reads the input's static shape, config and constants."""
        inp = self.plan.input
        ok = True

        class V(cst.CSTVisitor):
            def visit_Attribute(self, n: cst.Attribute) -> bool:
                if isinstance(n.value, cst.Name) and n.value.value == inp and n.attr.value == "shape":
                    return False
                return True

            def visit_Call(self, n: cst.Call) -> bool:
                f = n.func
                if isinstance(f, cst.Attribute) and isinstance(f.value, cst.Name) and f.value.value == inp and f.attr.value == "get_shape" and not n.args:
                    return False
                return True

            def visit_Name(self, n: cst.Name) -> None:
                nonlocal ok
                if n.value == inp:
                    ok = False

        value.visit(V())
        bad = names_in(value) & (self.locals - set(shape_locals))
        return ok and not bad

    def _uses(self, value: cst.BaseExpression) -> None:
        """Parameter uses in computation (outside creating calls' build arguments)."""
        analyzer = self

        class V(cst.CSTVisitor):
            def visit_Call(self, n: cst.Call) -> bool:
                if id(n) in analyzer.handled:
                    for a in analyzer.handled[id(n)]:
                        a.visit(self)
                    return False
                return True

            def visit_Attribute(self, n: cst.Attribute) -> bool:
                n.value.visit(self)
                return False

            def visit_Arg(self, n: cst.Arg) -> bool:
                n.value.visit(self)
                return False

            def visit_Name(self, n: cst.Name) -> None:
                if n.value == analyzer.plan.input:
                    analyzer.used_as[n.value].add("input")
                elif n.value in analyzer.used_as:
                    analyzer.used_as[n.value].add("compute")

        value.visit(V())

    handled: dict[int, list[cst.CSTNode]]

    def _calls(self, value: cst.BaseExpression) -> list[cst.Call]:
        out: list[cst.Call] = []

        class V(cst.CSTVisitor):
            def leave_Call(self, n: cst.Call) -> None:
                out.append(n)

        value.visit(V())
        return out

    def _call(self, call: cst.Call, scope: tuple[str, ...]) -> bool:
        """Classify one call; True when it creates variables (it is then a creator)."""
        r = self.rest(call.func)
        if r is not None:
            if r.startswith("layers.") and r[7:] in LAYERS:
                self._layer(call, r[7:], scope)
                return True
            sf = slim_fn(r)
            if sf is not None:
                self._slim(call, sf, scope)
                return True
            sv = slim_value(r)
            if sv is not None:
                if sv == "xavier_initializer" and call.args:
                    raise Reject("xavier_initializer with arguments")
                if sv == "l2_regularizer" and (len(call.args) != 1 or call.args[0].keyword not in (None,) and call.args[0].keyword.value != "scale"):  # type: ignore[union-attr]
                    raise Reject("l2_regularizer with arguments other than the scale")
                self.plan.obsolete.append(call.func)
                return False
            if r in KERAS_REGULARIZERS:
                check_keras_regularizer(call, r)
                return False
            if r in _DENY_EXACT or any(r == p or r.startswith(p) for p in _DENY_PREFIX):
                raise Reject(f"`{r}` (not restructured automatically)")
            return False
        if isinstance(call.func, cst.Name):
            f = call.func.value
            if f in self.creating:
                if f in self.factories:
                    raise Reject(f"it calls the variable helper `{f}` other than as `v = {f}(...)`")
                callee = self.accepted.get(f)
                if callee is None:
                    raise Reject(f"it calls `{f}`, which is not restructured")
                self._sub(call, callee, scope)
                return True
            if f in self.params or f in self.locals:
                raise Reject(f"it calls the value `{f}`")
        return False

    def _layer(self, call: cst.Call, fn: str, scope: tuple[str, ...]) -> None:
        cls, params, _pos, takes_training, base = LAYERS[fn]
        args = keyword_args(call, ["inputs", *params])
        if args is None or "inputs" not in args:
            raise Reject(f"tf.layers.{fn} with *args/**kwargs")
        bad = sorted(k for k in args if k in UNSUPPORTED_LAYER_ARGS)
        if bad:
            raise Reject(f"tf.layers.{fn} with {', '.join(bad)}")
        training = args.get("training")
        keep: list[cst.CSTNode] = [args["inputs"].value]
        if training is not None:
            tv = training.value
            if isinstance(tv, cst.Name) and tv.value in self.params:
                self.used_as[tv.value].add("training")
            elif not is_literal(tv):
                raise Reject(f"tf.layers.{fn} with a computed `training=`")
        for k, a in args.items():
            if k not in ("inputs", "training", "name"):
                self._static(a.value, f"tf.layers.{fn}'s `{k}=`")
        if "name" in args:
            lname = string_value(args["name"].value)
            if lname is None or "/" in lname:
                raise Reject(f"tf.layers.{fn} whose name is not a string literal")
        else:
            n = self.seen_names.get(join(*scope, base), 0)
            self.seen_names[join(*scope, base)] = n + 1
            lname = base if n == 0 else f"{base}_{n}"
        full = join(*scope, lname)
        keras_name = "_".join((*scope, lname))
        if any(c.keras_name == keras_name for c in self.plan.creators):
            raise Reject(f"two layers named `{full}` (TF1 variable reuse)")
        c = Creator("layer", call, self._unique_attr(keras_name), keras_name, fn=fn,
                    training=training.value if training is not None else None)
        self.plan.creators.append(c)
        for var in layer_variables(fn, args):
            self._name(join(self.plan.scope, *scope, lname, var), f"{keras_name}/{var}")
        self.handled[id(call)] = keep

    def _slim(self, call: cst.Call, fn: str, scope: tuple[str, ...]) -> None:
        params, base = SLIM[fn]
        own = keyword_args(call, ["inputs", *params])
        if own is None or "inputs" not in own:
            raise Reject(f"slim.{fn} with *args/**kwargs")
        args: dict[str, cst.Arg] = {}
        defaults: list[int] = []
        for ops, kw, wid in self.cur_argscopes:
            if _canonical_slim(fn) in ops:
                args.update(kw)
                defaults.append(wid)
        args.update(own)
        bad = sorted(set(args) - SLIM_OK - {"inputs"})
        if bad:
            raise Reject(f"slim.{fn} with {', '.join(bad)}")
        if "data_format" in args and not (string_value(args["data_format"].value) in ("NHWC", "NWC") or _is_none(args["data_format"].value)):
            raise Reject(f"slim.{fn} with data_format other than NHWC")
        if "padding" in args and string_value(args["padding"].value) is None:
            raise Reject(f"slim.{fn} with a padding that is not a string literal")
        if "updates_collections" in args:
            self._updates_ok(args["updates_collections"].value, fn)
        trainings: list[cst.BaseExpression] = []
        if "is_training" in args:
            trainings.append(args["is_training"].value)
        bn = False
        if "normalizer_fn" in args and not _is_none(args["normalizer_fn"].value):
            if slim_fn(self.rest(args["normalizer_fn"].value)) != "batch_norm":
                raise Reject(f"slim.{fn} with a normalizer_fn other than slim.batch_norm")
            bn = True
            if "normalizer_params" in args:
                d = args["normalizer_params"].value
                if not isinstance(d, cst.Dict) or any(
                    not isinstance(e, cst.DictElement) or string_value(e.key) not in BN_PARAMS_OK for e in d.elements
                ):
                    raise Reject(f"slim.{fn} normalizer_params that are not a dict literal of batch_norm options")
                for e in d.elements:
                    k = string_value(e.key)  # type: ignore[union-attr]
                    if k == "is_training":
                        trainings.append(e.value)  # type: ignore[union-attr]
                    elif k == "updates_collections":
                        self._updates_ok(e.value, fn)  # type: ignore[union-attr]
                    else:
                        self._static(e.value, f"slim.{fn}'s normalizer_params[{k!r}]")  # type: ignore[union-attr]
        # without normalizer_fn, slim ignores normalizer_params
        for tv in trainings:
            if isinstance(tv, cst.Name) and tv.value in self.params:
                self.used_as[tv.value].add("training")
            elif not is_literal(tv):
                raise Reject(f"slim.{fn} with a computed is_training")
        for k, a in args.items():
            if k not in ("inputs", "is_training", "scope", "normalizer_params", "updates_collections"):
                self._static(a.value, f"slim.{fn}'s `{k}=`")
        if "scope" in args:
            lname = string_value(args["scope"].value)
            if lname is None or "/" in lname or not lname:
                raise Reject(f"slim.{fn} whose scope is not a string literal")
        else:
            n = self.seen_names.get(join(*scope, base), 0)
            self.seen_names[join(*scope, base)] = n + 1
            lname = base if n == 0 else f"{base}_{n}"
        keras_name = "_".join((*scope, lname))
        if any(c.keras_name == keras_name for c in self.plan.creators):
            raise Reject(f"two layers named `{join(*scope, lname)}` (TF1 variable reuse)")
        c = Creator("slim", call, self._unique_attr(keras_name), keras_name, fn=fn)
        c.defaults = defaults
        if bn:
            c.local = self._unique_attr(keras_name + "_BatchNorm")  # the attribute of its BatchNormalization
        self.plan.creators.append(c)
        full = join(self.plan.scope, *scope, lname)
        if fn in ("fully_connected", "conv2d", "convolution2d"):
            self._name(f"{full}/weights", f"{keras_name}/kernel")
            no_bias = bn or ("biases_initializer" in args and _is_none(args["biases_initializer"].value))
            if not no_bias:
                self._name(f"{full}/biases", f"{keras_name}/bias")
        if fn == "batch_norm" or bn:
            bn_full = full if fn == "batch_norm" else f"{full}/BatchNorm"
            bn_keras = keras_name if fn == "batch_norm" else f"{keras_name}_BatchNorm"
            opts = _bn_options(args if fn == "batch_norm" else _dict_args(args.get("normalizer_params")))
            for var in (["gamma"] if opts.get("scale") else []) + (["beta"] if opts.get("center", True) else []) + ["moving_mean", "moving_variance"]:
                self._name(f"{bn_full}/{var}", f"{bn_keras}/{var}")
        self.handled[id(call)] = [args["inputs"].value]

    def _arg_scope(self, stmt: cst.With, call: cst.Call) -> None:
        """`with slim.arg_scope([slim.conv2d, ...], k=v):` -> defaults folded into each call."""
        if not call.args or call.args[0].keyword is not None or not isinstance(call.args[0].value, (cst.List, cst.Tuple)):
            raise Reject("arg_scope without a literal list of slim functions")
        ops: set[str] = set()
        for el in call.args[0].value.elements:
            fn = slim_fn(self.rest(el.value))
            if fn is None:
                raise Reject("arg_scope over something other than slim layer functions")
            ops.add(_canonical_slim(fn))
        kw: dict[str, cst.Arg] = {}
        for a in call.args[1:]:
            if a.keyword is None or a.star:
                raise Reject("arg_scope with positional or ** arguments")
            if a.keyword.value not in SLIM_OK or a.keyword.value == "scope":
                raise Reject(f"arg_scope default `{a.keyword.value}` is not restructured")
            kw[a.keyword.value] = a
        for op in ops:
            bad = set(kw) - set(SLIM[op][0])
            if bad:
                raise Reject(f"arg_scope gives slim.{op} an argument it does not take ({sorted(bad)[0]})")
        self.plan.withs.add(id(stmt))
        self.plan.obsolete.append(call.func)
        self.arg_stack.append((ops, kw, id(stmt)))

    def _updates_ok(self, value: cst.BaseExpression, fn: str) -> None:
        r = self.rest(value)
        if not (_is_none(value) or r == "GraphKeys.UPDATE_OPS"):
            raise Reject(f"slim.{fn} with updates_collections other than UPDATE_OPS/None")

    def _sub(self, call: cst.Call, callee: FuncPlan, scope: tuple[str, ...]) -> None:
        binding = bind_call(call, callee)
        if binding is None:
            raise Reject(f"the call of `{callee.name}` cannot be matched to its parameters")
        ctor: dict[str, cst.Arg] = {}
        keep: list[cst.CSTNode] = []
        for pname, arg in binding.items():
            if pname == callee.input:
                keep.append(arg.value)
            elif pname == callee.training:
                tv = arg.value
                if isinstance(tv, cst.Name) and tv.value in self.params:
                    self.used_as[tv.value].add("training")
                elif not is_literal(tv):
                    raise Reject(f"`{callee.name}` called with a computed training flag")
            elif pname == callee.reuse_param:
                continue
            else:
                if pname == callee.name_param and string_value(arg.value) is None:
                    raise Reject(f"`{callee.name}` called with a scope name that is not a string literal")
                self._static(arg.value, f"the `{pname}` argument of `{callee.name}`")
                ctor[pname] = arg
        if callee.input not in binding:
            raise Reject(f"`{callee.name}` called without its input")
        self.plan.ctor_names |= callee.ctor_names
        if callee.name_param is not None:
            sname = string_value(ctor[callee.name_param].value) if callee.name_param in ctor else string_value(_default(callee, callee.name_param))
            if sname is None:
                raise Reject(f"`{callee.name}` called without a scope name")
        else:
            sname = callee.scope
        keras_name = "_".join((*scope, sname or snake(callee.cls)))
        key = (callee.name, keras_name, " ".join(f"{k}={self.module.code_for_node(v.value)}" for k, v in sorted(ctor.items())))
        training = binding[callee.training].value if callee.training in binding else None
        if key in self.sub_shared:
            if sname is None:
                raise Reject(f"`{callee.name}` called twice in one scope (TF1 would create new variables)")
            prev = self.sub_shared[key]
            c = Creator("sub", call, prev.attr, keras_name, fn=callee.name, training=training, ctor=ctor, shared_with=prev.attr)
        else:
            if any(c.keras_name == keras_name for c in self.plan.creators):
                raise Reject(f"two objects named `{keras_name}`")
            c = Creator("sub", call, self._unique_attr(keras_name), keras_name, fn=callee.name, training=training, ctor=ctor)
            self.sub_shared[key] = c
            prefix = join(self.plan.scope, *scope, sname if callee.name_param is not None else None)
            for k, v in callee.names.items():
                self._name(join(prefix, k), f"{keras_name}/{v}")
        self.plan.creators.append(c)
        self.handled[id(call)] = keep

    def _get_variable(self, stmt, assign: cst.Assign, call: cst.Call, scope, shape_locals) -> None:
        args = keyword_args(call, GET_VARIABLE_PARAMS)
        if args is None or "name" not in args or set(args) - set(GET_VARIABLE_PARAMS):
            raise Reject("tf.get_variable with options other than shape/dtype/initializer/regularizer/trainable")
        vname = string_value(args["name"].value)
        if vname is None or "/" in vname:
            raise Reject("tf.get_variable whose name is not a string literal")
        for k, a in args.items():
            if k == "shape":
                bad = names_in(a.value) & (self.locals - set(shape_locals))
                if bad:
                    first = sorted(bad)[0]
                    src = self.static_reads.get(first)
                    if src is not None:
                        raise Reject(f"the shape of `{vname}` depends on `{first}`, read from the static shape of `{src}`, a tensor "
                                     "computed in the function (Keras' `build` sees only the input's shape; TF2130 does not "
                                     "trace the computation to find it): make that block a layer built on that tensor (a "
                                     f"`tf.keras.layers.Dense` called on `{src}`), or write the size from the input shape")
                    raise Reject(f"the shape of `{vname}` depends on `{first}`")
                self._check_shape_expr(a.value, vname)
                for n in names_in(a.value) - {self.plan.input}:
                    if n in self.used_as:
                        self.used_as[n].add("config")
                # shape locals needed by build, transitively
                need = names_in(a.value) & set(shape_locals)
                todo = list(need)
                while todo:
                    n = todo.pop()
                    for m in names_in(shape_locals[n]) & set(shape_locals):
                        if m not in need:
                            need.add(m)
                            todo.append(m)
                for n, s in shape_locals.items():
                    if n in need and s not in self.plan.shape_stmts:
                        self.plan.shape_stmts.append(s)
            elif k != "name":
                self._static(a.value, f"the `{k}=` of tf.get_variable('{vname}')")
        local = assign.targets[0].target.value  # type: ignore[attr-defined]
        shape = args["shape"].value if "shape" in args else None
        if isinstance(shape, (cst.List, cst.Tuple)) and all(isinstance(e, cst.Element) and isinstance(e.value, cst.Integer) for e in shape.elements):
            self.sym_shapes[local] = [e.value.value for e in shape.elements]  # type: ignore[attr-defined]
        else:
            self.sym_shapes.pop(local, None)
        # a local may name one variable after another (`biases` in each scope of the CIFAR-10
        # model): the call reads the attribute of the variable bound last (flow-sensitive)
        rebound = local in self.var_locals
        if (local in self.locals and not rebound) or local in self.params:
            raise Reject(f"`{local}` is assigned again")
        self.var_locals.add(local)
        keras_name = "_".join((*scope, vname))
        if any(c.kind == "var" and c.keras_name == keras_name for c in self.plan.creators):
            raise Reject(f"tf.get_variable('{join(*scope, vname)}') twice")
        attr = local if local not in self.attrs and local not in RESERVED and local not in self.params else self._unique_attr(keras_name if rebound else local)
        self.attrs.add(attr)
        c = Creator("var", call, attr, keras_name, stmt=stmt, local=local)
        self.plan.creators.append(c)
        self.plan.var_stmts.add(id(stmt))
        self._name(join(self.plan.scope, *scope, vname), keras_name)
        self.locals.add(local)

    def _tf_variable(self, stmt, assign: cst.Assign, call: cst.Call, scope) -> None:
        """`W = tf.Variable(<initial value>, name='W')`: a variable of the layer made in build
        (`tf.keras.Variable(<initial value>, name='W')`, which infers the dtype from the value as
        tf.Variable does). TF1 makes a new variable at every call of the function (tf.Variable
        ignores variable-scope reuse), so the function must be called exactly once (`plan.once`,
        checked with its call sites)."""
        args = keyword_args(call, TF_VARIABLE_PARAMS)
        if args is None or set(args) - TF_VARIABLE_OK or "initial_value" not in args:
            raise Reject("tf.Variable with options other than the initial value, name, dtype and trainable")
        vname = string_value(args["name"].value) if "name" in args else None
        if vname is None or "/" in vname or not vname:
            raise Reject("tf.Variable without a string-literal name")
        if "trainable" in args and not (isinstance(args["trainable"].value, cst.Name) and args["trainable"].value.value in ("True", "False")):
            raise Reject(f"tf.Variable('{vname}') with a computed `trainable=`")
        for k, a in args.items():
            if k != "name":
                # evaluated in build (at the first call), not in __init__: no ctor_names
                bad = names_in(a.value) & self.locals
                if bad:
                    raise Reject(f"the `{k}=` of tf.Variable(name='{vname}') reads the local value `{sorted(bad)[0]}`")
                if self.plan.input in names_in(a.value):
                    # `tf.zeros([int(x.get_shape()[1]), n])`: the input's static shape (build's input_shape)
                    self._check_shape_expr(a.value, vname)
                for n in names_in(a.value) - {self.plan.input}:
                    if n in self.used_as:
                        self.used_as[n].add("config")
                made = sorted(names_in(a.value) & self.creating)
                if made:
                    raise Reject(f"the initial value of tf.Variable(name='{vname}') calls `{made[0]}`, which creates variables")
        local = assign.targets[0].target.value  # type: ignore[attr-defined]
        # a local may name one variable after another (`biases` in each scope of the CIFAR-10
        # model): the call reads the attribute of the variable bound last (flow-sensitive)
        rebound = local in self.var_locals
        if (local in self.locals and not rebound) or local in self.params:
            raise Reject(f"`{local}` is assigned again")
        self.var_locals.add(local)
        keras_name = "_".join((*scope, vname))
        if any(c.kind == "var" and c.keras_name == keras_name for c in self.plan.creators):
            raise Reject(f"tf.Variable(name='{join(*scope, vname)}') twice (TF1 names the second `{vname}_1`)")
        attr = local if local not in self.attrs and local not in RESERVED and local not in self.params else self._unique_attr(keras_name if rebound else local)
        self.attrs.add(attr)
        c = Creator("var", call, attr, keras_name, fn="Variable", stmt=stmt, local=local)
        self.plan.creators.append(c)
        self.plan.var_stmts.add(id(stmt))
        self.plan.once = True
        self._name(join(self.plan.scope, *scope, vname), keras_name)
        self.locals.add(local)

    def _check_shape_expr(self, node: cst.CSTNode, vname: str) -> None:
        inp = self.plan.input
        ok = True

        class V(cst.CSTVisitor):
            def visit_Attribute(self, n: cst.Attribute) -> bool:
                if isinstance(n.value, cst.Name) and n.value.value == inp and n.attr.value == "shape":
                    return False
                return True

            def visit_Call(self, n: cst.Call) -> bool:
                f = n.func
                if isinstance(f, cst.Attribute) and isinstance(f.value, cst.Name) and f.value.value == inp and f.attr.value == "get_shape":
                    return False
                return True

            def visit_Name(self, n: cst.Name) -> None:
                nonlocal ok
                if n.value == inp:
                    ok = False

        node.visit(V())
        if not ok:
            raise Reject(f"the shape of `{vname}` reads the input tensor, not only its static shape")


def is_scope_name_arg(arg: cst.Arg, aliases: set[str]) -> bool:
    """`name=scope.name` of a `with tf.variable_scope(...) as scope:` (an op name)."""
    v = arg.value
    return (arg.keyword is not None and arg.keyword.value == "name" and isinstance(v, cst.Attribute)
            and v.attr.value == "name" and isinstance(v.value, cst.Name) and v.value.value in aliases)


def _scope_name_args(fn: cst.CSTNode, alias: str) -> int:
    return sum(1 for n in _walk_nodes(fn) if isinstance(n, cst.Arg) and is_scope_name_arg(n, {alias}))


def _as_targets(fn: cst.CSTNode, alias: str) -> int:
    return sum(1 for n in _walk_nodes(fn) if isinstance(n, cst.WithItem) and n.asname is not None
               and isinstance(n.asname.name, cst.Name) and n.asname.name.value == alias)


def _static_shape_of(value: cst.BaseExpression) -> str | None:
    """`x` when `value` reads `x.get_shape()` / `x.shape` (a local's static shape)."""
    for n in _walk_nodes(value):
        if isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value == "get_shape" \
                and isinstance(n.func.value, cst.Name):
            return n.func.value.value
        if isinstance(n, cst.Attribute) and n.attr.value == "shape" and isinstance(n.value, cst.Name):
            return n.value.value
    return None


def _count_name(node: cst.CSTNode, name: str) -> int:
    """How many Name nodes spell `name` under `node` (attribute names and keywords excluded)."""
    count = 0

    class V(cst.CSTVisitor):
        def visit_Attribute(self, n: cst.Attribute) -> bool:
            n.value.visit(self)
            return False

        def visit_Arg(self, n: cst.Arg) -> bool:
            n.value.visit(self)
            return False

        def visit_Name(self, n: cst.Name) -> None:
            nonlocal count
            if n.value == name:
                count += 1

    node.visit(V())
    return count


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _dict_args(arg: cst.Arg | None) -> dict[str, cst.Arg]:
    if arg is None or not isinstance(arg.value, cst.Dict):
        return {}
    out = {}
    for e in arg.value.elements:
        if isinstance(e, cst.DictElement):
            k = string_value(e.key)
            if k is not None:
                out[k] = cst.Arg(e.value)
    return out


def _bn_options(args: dict[str, cst.Arg]) -> dict[str, bool]:
    """Literal center/scale of a slim batch_norm (slim defaults: center=True, scale=False)."""
    out = {"center": True, "scale": False}
    for k in ("center", "scale"):
        if k in args:
            v = args[k].value
            if isinstance(v, cst.Name) and v.value in ("True", "False"):
                out[k] = v.value == "True"
            else:
                raise Reject(f"batch_norm with a computed `{k}`")
    return out


def _is_docstring(stmt: cst.CSTNode) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _default(plan: FuncPlan, pname: str) -> cst.BaseExpression | None:
    for p in plan.node.params.params:
        if p.name.value == pname:
            return p.default
    return None


def layer_variables(fn: str, args: dict[str, cst.Arg]) -> list[str]:
    def off(key: str) -> bool:
        a = args.get(key)
        return a is not None and isinstance(a.value, cst.Name) and a.value.value == "False"

    if fn in ("dense", "conv1d", "conv2d", "conv2d_transpose"):
        return ["kernel"] + ([] if off("use_bias") else ["bias"])
    if fn == "batch_normalization":
        return ([] if off("scale") else ["gamma"]) + ([] if off("center") else ["beta"]) + ["moving_mean", "moving_variance"]
    return []


def bind_call(call: cst.Call, plan: FuncPlan) -> dict[str, cst.Arg] | None:
    pnames = [p.name.value for p in plan.node.params.params]
    args = keyword_args(call, pnames)
    if args is None or set(args) - set(pnames):
        return None
    return args


def _function_defs(module: cst.Module) -> dict[str, cst.FunctionDef]:
    out: dict[str, cst.FunctionDef] = {}
    for stmt in module.body:
        if isinstance(stmt, cst.FunctionDef):
            if stmt.name.value in out:
                out[stmt.name.value] = None  # type: ignore[assignment]  # redefined: leave alone
            else:
                out[stmt.name.value] = stmt
    return {k: v for k, v in out.items() if v is not None}


def _mentions(rule, node: cst.CSTNode, what) -> bool:
    found = False

    class V(cst.CSTVisitor):
        def visit_Call(self, n: cst.Call) -> None:
            nonlocal found
            r = rest_of(rule.qname(n.func))
            if r is not None and what(r):
                found = True

    node.visit(V())
    return found


def _references(rule, module: cst.Module, names: set[str], scoped: set[int], homes: dict[int, str | None],
                looped: set[int] | None = None) -> dict[str, list[tuple[cst.Name, cst.CSTNode | None]]]:
    """Every load of a module-level function name: (Name, the Call it is the func of, or None).
    Calls lexically inside a `with tf.variable_scope(...)` block go into `scoped` (by id);
    calls that may run more than once per run of their function (in a loop, comprehension,
    lambda or nested function) into `looped`."""
    out: dict[str, list[tuple[cst.Name, cst.CSTNode | None]]] = {n: [] for n in names}
    looped = set() if looped is None else looped

    class V(cst.CSTVisitor):
        def __init__(self) -> None:
            self.stack: list[set[str]] = []
            self.vs = 0
            self.top: list[str] = []
            self.loops = 0
            self.with_stack: list[bool] = []

        def visit_For(self, n: cst.For) -> None:
            self.loops += 1

        def leave_For(self, n: cst.For) -> None:
            self.loops -= 1

        def visit_While(self, n: cst.While) -> None:
            self.loops += 1

        def leave_While(self, n: cst.While) -> None:
            self.loops -= 1

        def visit_Lambda(self, n: cst.Lambda) -> None:
            self.loops += 1

        def leave_Lambda(self, n: cst.Lambda) -> None:
            self.loops -= 1

        def visit_CompFor(self, n: cst.CompFor) -> None:
            self.loops += 1

        def leave_CompFor(self, n: cst.CompFor) -> None:
            self.loops -= 1

        def _scoping(self, n: cst.With) -> bool:
            # `with tf.variable_scope(tf.get_variable_scope()):` outside any other variable
            # scope re-enters the root scope (the multi-tower idiom): no name prefix
            return any(isinstance(i.item, cst.Call) and rest_of(rule.qname(i.item.func)) == "variable_scope"
                       and not (self.vs == 0 and _root_scope(rule, i.item)) for i in n.items)

        def visit_With(self, n: cst.With) -> None:
            self.with_stack.append(self._scoping(n))
            if self.with_stack[-1]:
                self.vs += 1

        def leave_With(self, n: cst.With) -> None:
            if self.with_stack.pop():
                self.vs -= 1

        def visit_FunctionDef(self, n: cst.FunctionDef) -> bool:
            for p in (*n.params.params, *n.params.kwonly_params):
                if p.default is not None:
                    p.default.visit(self)
            for d in n.decorators:
                d.visit(self)
            self.stack.append(bound_names(n))
            self.top.append(n.name.value)
            n.body.visit(self)
            self.top.pop()
            self.stack.pop()
            return False

        def visit_ClassDef(self, n: cst.ClassDef) -> bool:
            self.top.append("<class>")
            n.body.visit(self)
            self.top.pop()
            return False

        def _local(self, name: str) -> bool:
            return any(name in b for b in self.stack)

        def visit_Attribute(self, n: cst.Attribute) -> bool:
            n.value.visit(self)
            return False

        def visit_Arg(self, n: cst.Arg) -> bool:
            n.value.visit(self)
            return False

        def visit_Call(self, n: cst.Call) -> bool:
            if isinstance(n.func, cst.Name) and n.func.value in out and not self._local(n.func.value):
                out[n.func.value].append((n.func, n))
                homes[id(n)] = self.top[0] if self.top else None
                if self.vs:
                    scoped.add(id(n))
                if self.loops or len([t for t in self.top if t != "<class>"]) > 1:
                    looped.add(id(n))
                for a in n.args:
                    a.visit(self)
                return False
            return True

        def visit_Name(self, n: cst.Name) -> None:
            if n.value in out and not self._local(n.value):
                out[n.value].append((n, None))

    module.visit(V())
    return out


def model_plans(rule) -> ModulePlan:
    """The TF2130 plan of the file (computed once, shared by TF2101/TF2130/TF2131).

    Functions that make tf.Variables under a literal `tf.name_scope` (and nothing else that
    TF2130 takes) are model functions only when TF2130 accepts them: otherwise the plan is
    made again without them, so that they stay what they were (TF2120's helpers)."""
    ctx = rule.ctx
    cached = ctx.state.get("tf2130-plan")
    if cached is not None:
        return cached
    ctx.state["tf2130-plan"] = mp = _model_plans(rule, frozenset())
    if mp.optional_rejected:
        ctx.state["tf2130-plan"] = mp = _model_plans(rule, frozenset(mp.optional_rejected))
    return mp


def _name_scoped_variables(rule, f: cst.FunctionDef) -> bool:
    """`f` makes a tf.Variable inside a `with tf.name_scope(...)` block."""
    for n in _walk_nodes(f):
        if isinstance(n, cst.With) and len(n.items) == 1 and isinstance(n.items[0].item, cst.Call) \
                and rest_of(rule.qname(n.items[0].item.func)) == "name_scope" and _mentions(rule, n.body, lambda r: r == "Variable"):
            return True
    return False


def _model_plans(rule, excluded: frozenset[str]) -> ModulePlan:
    ctx = rule.ctx
    mp = ModulePlan()
    if not ctx.unsafe_fixes:
        # TF2130/TF2131 are unsafe: without --unsafe-fixes nothing of theirs could be applied,
        # and the whole-file analysis costs more than the rest of the pack (as for TF2120).
        return mp
    text = ctx.source_text
    if "get_variable" not in text and "layers" not in text and "variable_scope" not in text and "slim" not in text \
            and "name_scope" not in text:
        return mp
    module = ctx.module
    funcs = _function_defs(module)
    creating = {n for n, f in funcs.items() if _mentions(rule, f, lambda r: r == "get_variable" or r.startswith("layers.") or r == "variable_scope" or slim_fn(r) is not None)}
    optional = {n for n, f in funcs.items() if n not in creating and n not in excluded and _name_scoped_variables(rule, f)}
    creating |= optional
    direct = set(creating)
    # functions calling creating functions create too (fixpoint)
    changed = True
    while changed:
        changed = False
        for n, f in funcs.items():
            if n not in creating and _calls_any(f, creating):
                creating.add(n)
                changed = True
    if not creating:
        return mp
    program = {n for n in creating if _mentions(rule, funcs[n], lambda r: any(r == p or r.startswith(p) for p in _PROGRAM))}
    scoped: set[int] = set()
    homes: dict[int, str | None] = {}
    looped: set[int] = set()
    refs = _references(rule, module, set(creating), scoped, homes, looped)
    safe = _import_safe_names(rule, module)
    accepted: dict[str, FuncPlan] = {}
    rejected: dict[str, str] = {}
    factories = {n: fac for n in creating if n in direct and (fac := _factory(rule, funcs[n])) is not None}
    base = dict(factories)
    for n in sorted(creating - set(factories)):
        got = _decay_factory(rule, funcs[n], base, module, funcs)
        if isinstance(got, Factory):
            factories[n] = got
        elif isinstance(got, str):
            rejected[n] = got
    while True:
        progress = False
        for name in _order(funcs, creating):
            if name in accepted or name in rejected or name in factories:
                continue
            f = funcs[name]
            deps = _calls_which(f, creating) - set(factories)
            if any(d in rejected for d in deps if d != name):
                bad = next(d for d in sorted(deps) if d in rejected)
                rejected[name] = f"it calls `{bad}`, which is not restructured: {helper_reason(funcs[bad]) or rejected[bad]}"
                progress = True
                continue
            if any(d not in accepted for d in deps if d != name):
                continue
            if name in deps:
                rejected[name] = "it is recursive"
                progress = True
                continue
            try:
                accepted[name] = _Analyzer(rule, module, funcs, creating, accepted, factories).analyze(f)
            except Reject as e:
                rejected[name] = str(e)
            progress = True
        # call sites outside accepted functions must be plain calls with literal build args
        for name in list(accepted):
            if name not in accepted:
                continue
            why = _external_ok(accepted[name], refs[name], accepted, funcs, module, scoped, homes, safe) or _once_ok(accepted[name], refs[name], looped)
            if why:
                del accepted[name]
                rejected[name] = why
                progress = True
                # everything depending on it (transitively) is analysed again
                gone = {name}
                while True:
                    drop = [o for o in accepted if _calls_which(funcs[o], creating) & gone]
                    if not drop:
                        break
                    for o in drop:
                        del accepted[o]
                        gone.add(o)
        if not progress:
            break
    _shared_names(accepted, rejected, funcs, creating)
    mp.optional_rejected = {n for n in optional if n not in accepted}
    # a variable helper goes when every call of it became a variable of a Keras layer;
    # otherwise it stays a TF1 function (with the reason the analysis gives for it)
    inlined = {id(c.node) for p in accepted.values() for c in p.creators if c.fn.startswith("factory:")}
    # weight-decay helpers first: the variable helper's calls inside one that goes go with it
    for name, fac in sorted(factories.items(), key=lambda kv: kv[1].inner is None):
        mp.factories[name] = fac
        if refs[name] and all(call is not None and (id(call) in inlined or homes.get(id(call)) in mp.factories_gone)
                              for _n, call in refs[name]):
            mp.factories_gone.add(name)
        else:
            where = sorted({homes.get(id(call)) or "module level" for _n, call in refs[name]
                            if call is None or id(call) not in inlined})
            # a weight-decay helper that stays (called outside the model functions itself)
            named = [f"`{w}` (a weight-decay helper that stays a TF1 function)" if w in factories and factories[w].inner == name
                     else f"`{w}`" for w in where]
            rejected[name] = ("a variable helper (one tf.get_variable named by its parameter) also called outside the "
                              f"restructured model functions (in {', '.join(named) or 'no call'}): it stays "
                              "a TF1 function there")
    for name in creating:
        if name not in accepted and name not in rejected and name not in mp.factories_gone:
            rejected[name] = "it depends on functions that are not restructured"
    mp.plans = accepted
    mp.rejected = {n: (funcs[n], why, n not in program) for n, why in rejected.items()}
    # (a variable helper is not a model: no shim of its own)
    scoped_fns = {n for n, (f, _w, ml) in mp.rejected.items() if ml and n not in factories
                  and _mentions(rule, f, lambda r: r in ("variable_scope", "get_variable"))}
    called: set[str] = set()
    for n in scoped_fns:
        called |= _calls_which(funcs[n], scoped_fns - {n})
    mp.shim_roots = {n: mp.rejected[n][1] for n in scoped_fns if n not in called}
    covered = set(mp.shim_roots)
    todo = list(covered)
    while todo:
        for d in _calls_which(funcs[todo.pop()], set(mp.rejected)):
            if d not in covered:
                covered.add(d)
                todo.append(d)
    for name, (f, why, model_like) in mp.rejected.items():
        if name in covered:
            mp.tf1_calls |= _layer_calls(rule, f)
        elif model_like and name in direct:
            mp.unhandled[name] = why
    for name, plan in accepted.items():
        for c in plan.creators:
            mp.by_call[id(c.node)] = (name, c)
        for call in plan.external:
            mp.external[id(call)] = name
    return mp


def _shared_names(accepted: dict[str, FuncPlan], rejected: dict[str, str], funcs, creating) -> None:
    """Two objects that would own TF1 variables of the same full name (TF1 shared them
    through the variable scope; separate objects would not): leave their functions alone.
    The objects are the module instances, and one per function that is neither called in
    the file nor part of another restructured function (a library function)."""
    subs = {c.fn for p in accepted.values() for c in p.creators if c.kind == "sub"}
    owner: dict[str, str] = {}
    clash: set[str] = set()
    for name, plan in accepted.items():
        scopes: list[str | None] = []
        if plan.instances:
            for ctor in plan.instances:
                if plan.name_param is None:
                    scopes.append(None)
                else:
                    m = re.search(rf"(?:^|, ){re.escape(plan.name_param)}=(['\"])(.*?)\1", ctor)
                    scopes.append(m.group(2) if m else "?" + name)
        elif name not in subs:
            scopes.append(None if plan.name_param is None else "?" + name)
        for scope in scopes:
            for k in plan.names:
                full = f"{scope}/{k}" if scope else k
                if full in owner and owner[full] != f"{name}:{scope}":
                    clash |= {name, owner[full].split(":")[0]}
                owner.setdefault(full, f"{name}:{scope}")
    # callers of a clashing function are not restructured either
    while clash:
        for name in sorted(clash):
            if name in accepted:
                del accepted[name]
                rejected[name] = "another object would own TF1 variables of the same names (TF1 shares them through the variable scope)"
        clash = {o for o in accepted if _calls_which(funcs[o], creating) & set(rejected)}


def _layer_calls(rule, node: cst.CSTNode) -> set[int]:
    out: set[int] = set()

    class V(cst.CSTVisitor):
        def visit_Call(self, n: cst.Call) -> None:
            r = rest_of(rule.qname(n.func))
            if r is not None and r.startswith("layers."):
                out.add(id(n))

    node.visit(V())
    return out


def _calls_any(f: cst.FunctionDef, names: set[str]) -> bool:
    return bool(_calls_which(f, names))


_READS: dict[int, tuple[cst.FunctionDef, set[str]]] = {}


def _calls_which(f: cst.FunctionDef, names: set[str]) -> set[str]:
    """Module-level names of `names` that `f` reads (its own local names excluded)."""
    hit = _READS.get(id(f))
    if hit is not None and hit[0] is f:
        return hit[1] & names
    reads = _reads(f)
    if len(_READS) > 4096:
        _READS.clear()
    _READS[id(f)] = (f, reads)
    return reads & names


def _reads(f: cst.FunctionDef) -> set[str]:
    out: set[str] = set()
    local = bound_names(f)

    class V(cst.CSTVisitor):
        def visit_Attribute(self, n: cst.Attribute) -> bool:
            n.value.visit(self)
            return False

        def visit_Arg(self, n: cst.Arg) -> bool:
            n.value.visit(self)
            return False

        def visit_Name(self, n: cst.Name) -> None:
            if n.value not in local:
                out.add(n.value)

    f.body.visit(V())
    return out


def bound_names(f: cst.FunctionDef) -> set[str]:
    """Names a function binds locally: parameters, assignment/for/with/comprehension
    targets, nested definitions and imports (a light scope analysis)."""
    out = {p.name.value for p in (*f.params.params, *f.params.kwonly_params, *f.params.posonly_params)}
    for star in (f.params.star_arg, f.params.star_kwarg):
        if isinstance(star, cst.Param):
            out.add(star.name.value)

    def targets(node: cst.CSTNode) -> None:
        if isinstance(node, cst.Name):
            out.add(node.value)
        elif isinstance(node, (cst.Tuple, cst.List)):
            for e in node.elements:
                targets(e.value)
        elif isinstance(node, cst.StarredElement):
            targets(node.value)

    class V(cst.CSTVisitor):
        def visit_AssignTarget(self, n: cst.AssignTarget) -> None:
            targets(n.target)

        def visit_AugAssign(self, n: cst.AugAssign) -> None:
            targets(n.target)

        def visit_AnnAssign(self, n: cst.AnnAssign) -> None:
            targets(n.target)

        def visit_For(self, n: cst.For) -> None:
            targets(n.target)

        def visit_CompFor(self, n: cst.CompFor) -> None:
            targets(n.target)

        def visit_AsName(self, n: cst.AsName) -> None:
            targets(n.name)

        def visit_NamedExpr(self, n: cst.NamedExpr) -> None:
            targets(n.target)

        def visit_FunctionDef(self, n: cst.FunctionDef) -> bool:
            out.add(n.name.value)
            return False

        def visit_ClassDef(self, n: cst.ClassDef) -> bool:
            out.add(n.name.value)
            return False

        def visit_Lambda(self, n: cst.Lambda) -> bool:
            return False

        def visit_ImportAlias(self, n: cst.ImportAlias) -> None:
            if n.asname is None:
                out.add((cst.helpers.get_full_name_for_node(n.name) or "").split(".")[0])

    f.body.visit(V())
    return out


def _order(funcs: dict[str, cst.FunctionDef], creating: set[str]) -> list[str]:
    return [n for n in funcs if n in creating]


def _import_safe_names(rule, module: cst.Module) -> set[str]:
    """Module-level names that can be read while the module is imported: imports and
    constants bound to literals."""
    out = set(rule.ctx.aliases.import_nodes)
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name) and is_literal(small.value):
                    out.add(small.targets[0].target.value)
    return out | {"True", "False", "None"}


def _external_ok(plan: FuncPlan, refs, accepted: dict[str, FuncPlan], funcs, module: cst.Module, scoped: set[int], homes: dict[int, str | None], safe: set[str]) -> str | None:
    inside = {id(c.node) for p in accepted.values() for c in p.creators}
    plan.external = []
    plan.instances = {}
    plan.extra = []
    plan.config = list(plan.all_config)
    # parameters read only by the computation that some outside call passes a computed value
    # (a second tensor such as labels): they become call arguments of the object
    extra: set[str] = set()
    for _name_node, call in refs:
        if call is None or id(call) in inside or not isinstance(call, cst.Call):
            continue
        binding = bind_call(call, plan) or {}
        for pname, arg in binding.items():
            if pname in plan.compute_only and not is_literal(arg.value):
                extra.add(pname)
    if extra and any(call is not None and id(call) in inside for _n, call in refs):
        return (f"`{plan.name}` is given a computed `{sorted(extra)[0]}` outside restructured code and is also part of "
                "another model function (where it is a build argument)")
    plan.extra = [p.name.value for p in plan.all_config if p.name.value in extra]
    plan.config = [p for p in plan.all_config if p.name.value not in extra]
    for name_node, call in refs:
        if call is None:
            return f"`{plan.name}` is used as a value, not only called"
        if id(call) in inside:
            continue
        assert isinstance(call, cst.Call)
        binding = bind_call(call, plan)
        if binding is None or plan.input not in binding:
            return f"a call of `{plan.name}` cannot be matched to its parameters"
        missing = [p for p in plan.extra if p not in binding]
        if missing:
            return f"a call of `{plan.name}` outside restructured code leaves out `{missing[0]}`"
        ctor = []
        for pname, arg in sorted(binding.items()):
            if pname in (plan.input, plan.training, plan.reuse_param) or pname in extra:
                continue
            if not is_literal(arg.value):
                return f"a call of `{plan.name}` outside restructured code passes a computed `{pname}`"
            ctor.append(f"{pname}={module.code_for_node(arg.value)}")
        if id(call) in scoped:
            return f"`{plan.name}` is called inside a variable_scope outside restructured code (its TF1 variables depend on the caller's scope)"
        plan.external.append(call)
        plan.instances.setdefault(", ".join(ctor), "")
    # one object per TF1 variable scope: calls that would share (or clash on) the same TF1
    # variables with different build arguments cannot become separate objects
    by_scope: dict[str | None, int] = {}
    for key in plan.instances:
        scope = None
        if plan.name_param is not None:
            m = re.search(rf"(?:^|, ){re.escape(plan.name_param)}=(.*?)(?:, [a-zA-Z_]\w*=|$)", key)
            scope = m.group(1) if m else None
        by_scope[scope] = by_scope.get(scope, 0) + 1
    if any(v > 1 for v in by_scope.values()):
        return f"`{plan.name}` is called with different build arguments under the same TF1 variable scope"
    where = {homes.get(id(c)) for c in plan.external}
    plan.home = None
    if len(where) == 1 and None not in where and "<class>" not in where:
        plan.home = next(iter(where))  # the objects are made when that function starts
    elif plan.external:
        unsafe = sorted(plan.ctor_names - safe)
        if unsafe or "<class>" in where:
            return (f"`{plan.name}` is called from several places, so its object would be made when the module is "
                    f"imported, but its build arguments read `{unsafe[0] if unsafe else '?'}` (only known later)")
    return None


def _root_scope(rule, call: cst.Call) -> bool:
    """`tf.variable_scope(tf.get_variable_scope())` (nothing but the current scope)."""
    if len(call.args) != 1 or call.args[0].keyword not in (None,) and call.args[0].keyword.value != "name_or_scope":  # type: ignore[union-attr]
        return False
    inner = call.args[0].value
    return isinstance(inner, cst.Call) and not inner.args and rest_of(rule.qname(inner.func)) == "get_variable_scope"


def _once_ok(plan: FuncPlan, refs, looped: set[int]) -> str | None:
    """A function making tf.Variables (new variables at every TF1 call, whatever the scope's
    reuse) becomes one object only when TF1 ran it once: a single call in the file, outside
    restructured functions (whose objects are called again), loops, comprehensions, lambdas
    and nested functions."""
    if not plan.once:
        return None
    external = {id(c) for c in plan.external}
    if len(refs) != 1 or refs[0][1] is None or id(refs[0][1]) not in external or id(refs[0][1]) in looped:
        return (f"`{plan.name}` creates variables with tf.Variable, which makes new variables at every TF1 call, and it "
                "is not called exactly once (one call, outside loops and other model functions): one Keras object "
                "would share them")
    return None


# TF1's truncated normal initializer -> Keras' (the same distribution: normal values redrawn
# beyond two standard deviations; tensorflow/python/ops/init_ops.py and
# keras/src/initializers/random_initializers.py). Keras' default stddev is 0.05, TF1's 1.0.
TRUNCATED_NORMAL = {"truncated_normal_initializer", "initializers.truncated_normal"}
_TRUNCATED_PARAMS = ["mean", "stddev", "seed", "dtype"]


def keras_truncated_normal(r: str | None, call: cst.Call, tf: str) -> cst.Call | None:
    """`tf.truncated_normal_initializer(mean, stddev, seed, dtype)` (a get_variable initializer
    that becomes an add_weight one) -> `tf.keras.initializers.TruncatedNormal(mean=...,
    stddev=..., seed=...)`; the dtype is add_weight's. None when not that call or its
    arguments are not plain."""
    if r is not None and r.startswith("compat.v1."):
        r = r[len("compat.v1."):]  # already spelled for TF2 by TF2001
    if r not in TRUNCATED_NORMAL or any(a.star for a in call.args):
        return None
    given: dict[str, cst.BaseExpression] = {}
    for i, a in enumerate(call.args):
        key = a.keyword.value if a.keyword is not None else (_TRUNCATED_PARAMS[i] if i < len(_TRUNCATED_PARAMS) else None)
        if key not in _TRUNCATED_PARAMS or key in given:
            return None
        given[key] = a.value
    given.setdefault("stddev", cst.Float("1.0"))
    args = [cst.Arg(keyword=cst.Name(k), value=given[k], equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
                    comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            for k in ("mean", "stddev", "seed") if k in given]
    args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return cst.Call(func=cst.parse_expression(f"{tf}.keras.initializers.TruncatedNormal"), args=args)


def truncated_normal_funcs(rule, nodes: list[cst.CSTNode]) -> list[cst.CSTNode]:  # type: ignore[no-untyped-def]
    """The callee names of the truncated-normal initializer calls under `nodes` (the
    arguments keras_truncated_normal rewrites: TF2001's manual item for them is superseded)."""
    out: list[cst.CSTNode] = []
    stack = list(nodes)
    while stack:
        n = stack.pop()
        if isinstance(n, cst.Call) and rest_of(rule.qname(n.func)) in TRUNCATED_NORMAL:
            out.append(n.func)
        stack.extend(n.children)
    return out
