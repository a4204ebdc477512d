"""TF2130: TF1 model-building functions (variable_scope/get_variable, tf.layers) -> Keras layers."""

from __future__ import annotations

from typing import Any

import libcst as cst

from migrate.cstutil import walk as _walk
from migrate.result import Category, Safety
from migrate.rule import Invalid, Rule, Valid
from rules.tf1_to_tf2 import _fused_batch_norm, _loss_collection
from rules.tf1_to_tf2._common import (
    expr,
    fix_commas,
    keyword_args,
    kwarg,
    rest_of,
    take_positionals,
    tf_root,
)
from rules.tf1_to_tf2._model import (
    GET_VARIABLE_PARAMS,
    LAYERS,
    SLIM,
    TF_VARIABLE_PARAMS,
    Creator,
    FuncPlan,
    bind_call,
    factory_parts,
    inline_decay_factory,
    inline_factory,
    is_scope_name_arg,
    keras_truncated_normal,
    model_plans,
    names_in,
    slim_value,
    snake,
    string_value,
    truncated_normal_funcs,
)

_IN = """\
import tensorflow.compat.v1 as tf


def fc_layer(bottom, n_out, name):
    n_in = bottom.get_shape()[-1].value
    with tf.variable_scope(name):
        W = tf.get_variable('W', [n_in, n_out], initializer=tf.zeros_initializer())
        return tf.matmul(bottom, W)


def tower(x, reuse=False):
    with tf.variable_scope('siamese', reuse=reuse):
        return fc_layer(x, 4, 'fc1')


a = tower(x1)
b = tower(x2, reuse=True)
"""

_OUT = """\
import tensorflow.compat.v1 as tf


class FcLayer(tf.keras.layers.Layer):
    \"\"\"Keras layer made from the TF1 function `fc_layer` (TF2130).\"\"\"

    # TF1 variable name -> Keras variable path under this layer (TF2130)
    TF1_VARIABLE_NAMES = {"W": "W"}

    def __init__(self, n_out, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.n_out = n_out

    def build(self, input_shape):
        input_shape = tf.TensorShape(input_shape)
        n_in = input_shape[-1]
        self.W = self.add_weight(name='W', shape=[n_in, self.n_out], initializer=tf.zeros_initializer())

    def call(self, bottom):
        return tf.matmul(bottom, self.W)


class Tower(tf.keras.layers.Layer):
    \"\"\"Keras layer made from the TF1 function `tower` (TF2130).\"\"\"

    # TF1 variable name -> Keras variable path under this layer (TF2130)
    TF1_VARIABLE_NAMES = {"siamese/fc1/W": "fc1/W"}

    def __init__(self, name='siamese', **kwargs):
        super().__init__(name=name, **kwargs)
        self.fc1 = FcLayer(n_out=4, name='fc1')

    def call(self, x):
        return self.fc1(x)


tower_layer = Tower()


a = tower_layer(x1)
b = tower_layer(x2)
"""


# a variable helper with `with tf.device(...)`, inlined into the layer's build
_HELPER_IN = """\
import tensorflow.compat.v1 as tf


def _variable_on_cpu(name, shape, initializer):
    with tf.device('/cpu:0'):
        var = tf.get_variable(name, shape, initializer=initializer)
    return var


def softmax_linear(x):
    with tf.variable_scope('softmax_linear') as scope:
        weights = _variable_on_cpu('weights', [16, 4], tf.zeros_initializer())
        biases = _variable_on_cpu('biases', [4], tf.zeros_initializer())
        return tf.matmul(x, weights) + biases


logits = softmax_linear(features)
"""

_HELPER_OUT = """\
import tensorflow.compat.v1 as tf


class SoftmaxLinear(tf.keras.layers.Layer):
    \"\"\"Keras layer made from the TF1 function `softmax_linear` (TF2130).\"\"\"

    # TF1 variable name -> Keras variable path under this layer (TF2130)
    TF1_VARIABLE_NAMES = {
        "softmax_linear/weights": "weights",
        "softmax_linear/biases": "biases",
    }

    def __init__(self, name='softmax_linear', **kwargs):
        super().__init__(name=name, **kwargs)

    def build(self, input_shape):
        input_shape = tf.TensorShape(input_shape)
        with tf.device('/cpu:0'):
            self.weights_layer = self.add_weight(name='weights', shape=[16, 4], initializer=tf.zeros_initializer())
            self.biases = self.add_weight(name='biases', shape=[4], initializer=tf.zeros_initializer())

    def call(self, x):
        return tf.matmul(x, self.weights_layer) + self.biases


softmax_linear_layer = SoftmaxLinear()


logits = softmax_linear_layer(features)
"""


# a weight-decay helper whose collection the file never reads: the term becomes the
# variable's regularizer (in `layer.losses`); `name=scope.name` (an op name) goes
_DECAY_IN = """\
import tensorflow.compat.v1 as tf


def _variable_on_cpu(name, shape, initializer):
    with tf.device('/cpu:0'):
        var = tf.get_variable(name, shape, initializer=initializer)
    return var


def _variable_with_weight_decay(name, shape, wd):
    var = _variable_on_cpu(name, shape, tf.zeros_initializer())
    if wd is not None:
        tf.add_to_collection('losses', tf.multiply(tf.nn.l2_loss(var), wd))
    return var


def logits_fn(x):
    with tf.variable_scope('logits') as scope:
        w = _variable_with_weight_decay('w', [16, 4], wd=0.004)
        b = _variable_with_weight_decay('b', [4], wd=None)
        return tf.add(tf.matmul(x, w), b, name=scope.name)


logits = logits_fn(features)
"""

_DECAY_OUT = """\
import tensorflow.compat.v1 as tf


class LogitsFn(tf.keras.layers.Layer):
    \"\"\"Keras layer made from the TF1 function `logits_fn` (TF2130).\"\"\"

    # TF1 variable name -> Keras variable path under this layer (TF2130)
    TF1_VARIABLE_NAMES = {"logits/w": "w", "logits/b": "b"}

    def __init__(self, name='logits', **kwargs):
        super().__init__(name=name, **kwargs)

    def build(self, input_shape):
        input_shape = tf.TensorShape(input_shape)
        with tf.device('/cpu:0'):
            self.w = self.add_weight(name='w', shape=[16, 4], initializer=tf.zeros_initializer(), regularizer=lambda var: tf.multiply(tf.nn.l2_loss(var), 0.004))
            self.b = self.add_weight(name='b', shape=[4], initializer=tf.zeros_initializer())

    def call(self, x):
        return tf.add(tf.matmul(x, self.w), self.b)


logits_fn_layer = LogitsFn()


logits = logits_fn_layer(features)
"""


class VariableScopeModule(Rule):
    """Turns a TF1 model-building function into a Keras layer whose variables are created once.

    What it does: a module-level function that builds part of a model with
    `tf.variable_scope` + `tf.get_variable`, functional `tf.layers.*` calls, or calls of
    other such functions becomes a `tf.keras.layers.Layer` subclass (`model_fn` ->
    `ModelFn`). `__init__` creates every sub-layer once (`tf.layers.conv2d(x, 8, 3,
    name='conv1')` -> `self.conv1 = tf.keras.layers.Conv2D(8, 3, name='conv1')`, another
    restructured function -> an instance of its class), `build(input_shape)` creates
    the `get_variable`s with `add_weight` (TF1's default initializer glorot_uniform
    pinned; shapes read from the input's static shape), and `call` replays the
    computation. The `is_training` parameter (the one passed as `training=`) becomes
    Keras' `training` argument; `training=` left out of a TF1 batch_normalization or
    dropout call is pinned to `False` (the TF1 default). The parameter passed as the
    function's own `variable_scope` name becomes the layer's `name`; a parameter
    passed only as `reuse=` disappears: the variables are shared by calling the same
    object. Calls of the function elsewhere in the file call one module-level
    instance per distinct set of build arguments (`tower(x2, reuse=True)` ->
    `tower_layer(x2)`), which is how TF1 `reuse=True`/`AUTO_REUSE` shared them.

    TF1 variable names stay recoverable: each class carries `TF1_VARIABLE_NAMES`,
    `{TF1 name: Keras variable path under the layer}`. The TF1 name is relative to the
    scope the function was called in; it starts with the function's own scope when
    that was a string literal (which is then the layer's default `name`), and is
    relative to that scope when the scope was the function's name argument. The Keras 3
    `variable.path` (tf_keras: `variable.name` without `:0`) is `<layer.name>/<value>`
    for a layer called at the top level, so `{scope + key: layer.name + "/" + value}` is
    the `{old: new}` map that `migrate check --mapping` and checkpoint conversion take;
    the finding's message lists the pairs too. Keras names cannot contain `/`: nested scopes
    inside a function are joined with `_` (`backbone/conv1` -> `backbone_conv1`).

    Only straight-line functions are restructured: assignments, `with
    tf.variable_scope(...)` blocks and a final `return`, creating calls that are
    `tf.layers` dense/conv/pooling/dropout/batch_normalization/flatten,
    `tf.get_variable(name, shape, dtype, initializer, regularizer, trainable)` or
    `tf.Variable(initial_value, name='W', dtype=, trainable=)`, build arguments that do
    not read tensors. A `tf.Variable` becomes `tf.keras.Variable(initial_value,
    name='W')` in `build` (a Keras 3 layer tracks Keras variables only; the dtype is
    inferred from the value as tf.Variable does); TF1 made new ones at every call
    whatever the scope's reuse, so such a function is restructured only when it is
    called exactly once (one call in the file, outside loops, comprehensions, lambdas,
    nested functions and other model functions). `with tf.variable_scope(S) as scope:`
    is taken when `scope` is used only by a first statement `if reuse:
    scope.reuse_variables()` on the function's parameter `reuse`: that is
    `variable_scope(S, reuse=reuse)` (the `if` goes; reuse is calling the same object).
    `with tf.name_scope('S'):` around `tf.Variable` statements names them `S/<name>` in
    TF1 as a variable_scope would, and is taken as one (get_variable, tf.layers and model
    function calls inside it are refused: TF1 did not name their variables after name
    scopes); a function whose only variables are such tf.Variables is a model function
    only when it is restructured, otherwise it stays TF2120's helper. A tf.Variable's
    initial value may read the input's static shape (`tf.zeros([int(x.get_shape()[1]),
    n])`: `input_shape` in `build`). A summary of one of the function's variables under a
    test on outside values at the function's top level (`if FLAGS.log_histograms:
    tf.summary.histogram('weights', weights)`) leaves the layer: TF2120 writes it, under the
    same test, where the call stands (`inference_layer.weights_layer`); when TF2120 does not
    convert the file, a manual finding says what to write.
    A variable helper (`def _variable_on_cpu(name, shape, initializer):` whose body is one
    `tf.get_variable(name, ...)` returned as it is, optionally under `with
    tf.device('/cpu:0'):`) called as `v = helper('weights', ...)` in a model function
    becomes that layer's variable: the helper's get_variable with the call's arguments put
    in. Its `with tf.device(...)` stays around the `add_weight` in `build` (placement is not
    numerics, and a person who dropped it would change where the variable lives on a GPU
    machine; under tf.distribute, drop it); the helper goes once every call of it is
    inlined. A local may name one variable after another (`biases` in each scope): the
    computation reads the one bound last. A weight-decay helper over such a helper (the
    CIFAR-10 `_variable_with_weight_decay`: `var = _variable_on_cpu(...)`, then
    `tf.add_to_collection('losses', tf.multiply(tf.nn.l2_loss(var), wd))`, optionally under
    `if wd is not None:`) becomes a variable whose `regularizer=` computes the same term
    (`lambda var: tf.multiply(tf.nn.l2_loss(var), 0.004)`, the TF1 expression with the
    call's `wd` put in; none when the call passes `wd=None`), so Keras keeps it in
    `layer.losses`; only when nothing in the file reads a collection that could hold it
    (`tf.get_collection` of that key, `tf.losses.get_total_loss` & co.): such reads would
    miss the term, and the helper is refused naming them, unless TF2120 rewrites them in the
    same run (one loss helper that adds its term and returns `tf.add_n` of the collection,
    and `len(...)` counts of it: see TF2120). A variable shape read from the static shape
    of a tensor computed in the function (`dim = reshape.get_shape()[1].value` after
    conv2d / max_pool / avg_pool with literal strides and padding, elementwise ops and a
    `[batch, -1]` reshape) is written in `build` from the input's shape (`dim =
    ((input_shape[1] + 1) // 2) * ((input_shape[2] + 1) // 2) * 64`); other static-shape
    reads are refused naming the tensor. `name=scope.name` arguments of a
    `with tf.variable_scope(...) as scope:` (op names) go with the scope. A parameter only computed with (no build argument, no default) that a
    call outside restructured code passes a computed value (a multi-tower `tower_loss(x,
    y)` given `y_splits[i]`) becomes a second argument of `call`; calls under `with
    tf.variable_scope(tf.get_variable_scope()):` (the root scope re-entered) count as
    unscoped. Loops, branches, collections, control
    dependencies, `tf.cond`, RNN cells, other `tf.contrib`/slim functions, reuse of variables created
    elsewhere, functions used as values or called with computed scope names are left
    alone: TF2131 wraps the variable_scope ones in the TF1 modeling shim, and the others
    get a manual finding of this rule that says why they were not restructured. The
    `tf.layers` defaults are Keras' defaults (glorot-uniform kernels, zero biases, batch
    norm momentum 0.99 and epsilon 1e-3), so only `tf.get_variable`'s default initializer
    and the `training=False` default need pinning. A batch normalization that TF1 ran with
    its fused kernel (4-D inputs; slim.batch_norm always) updated moving_variance with the
    unbiased batch variance (x n/(n-1)), Keras 3's with the biased one: where the Session
    code that TF2120 converts in the same run trains it and then evaluates it, it becomes
    `TF1FusedBatchNormalization`, a BatchNormalization subclass with TF1's update, defined
    once in the file above the first class that uses it (same variables, names and
    TF1_VARIABLE_NAMES); elsewhere it stays BatchNormalization with a manual item on the
    difference. tf.contrib.layers / slim layers (`fully_connected`, `conv2d`,
    `batch_norm`, `dropout`, pooling, `flatten`) become Keras layers with slim's defaults
    pinned (ReLU for fully_connected/conv2d, xavier initializers, `normalizer_fn` as a
    BatchNormalization layer) and the defaults of the `arg_scope`s around them folded into
    each call; their other arguments and other slim functions are left alone.

    Why: TF2 has no variable scopes; `tf.compat.v1.get_variable` and `tf.layers` inside a
    function called from eager code or a `tf.function` create new variables at every
    call. Keras objects created once own their variables.

    Example: see the INVALID example below.

    Fix safety: unsafe. The function name is replaced by a class (importers elsewhere
    must create the object once and call it), regularization losses move from the
    `REGULARIZATION_LOSSES` collection to `layer.losses`, batch normalization updates its
    moving averages in `call(training=True)` instead of `UPDATE_OPS`, and initial values
    come from TF2 random streams. With the same weights the computation is the same:
    `tests/test_tf1_models.py` runs the TF1 functions in graph mode and the migrated
    layers eagerly with the weights carried by `TF1_VARIABLE_NAMES` (outputs within
    1e-5, and within 1e-4 after SGD steps). Like TF2120, the whole-file analysis runs
    only with `--unsafe-fixes` (without it nothing could be applied, and TF2001 reports
    the TF1 names).
    """

    ID = "TF2130"
    UNSAFE_ONLY = True  # see "Fix safety": nothing to apply or report without --unsafe-fixes
    RESTRUCTURES = True  # the other rules' findings on code it replaced are dropped (Rule.RESTRUCTURES)
    NAME = "variable-scope-model-function"
    MESSAGE = "TF1 model function becomes a Keras layer created once"
    SAFETY = Safety.UNSAFE
    CATEGORY = Category.MANDATORY
    EFFORT = "complex"

    VALID = [
        Valid("import tensorflow as tf\n\n\nclass M(tf.keras.layers.Layer):\n    pass\n"),
        Valid("import tensorflow.compat.v1 as tf\n\n\ndef f(x):\n    return tf.nn.relu(x)\n"),
    ]
    INVALID = [
        Invalid(_IN, _OUT),
        Invalid(_HELPER_IN, _HELPER_OUT, message="softmax_linear/weights -> weights"),
        Invalid(_DECAY_IN, _DECAY_OUT, message="the weight-decay terms are the regularizers of `w`"),
        Invalid(
            "import tensorflow.compat.v1 as tf\n\n\ndef f(x):\n    for i in range(2):\n"
            "        x = tf.layers.dense(x, 3)\n    return x\n",
            None,
            message="not restructured into a Keras layer: a `For` statement",
        ),
        Invalid(
            "import tensorflow.compat.v1 as tf\n\n\ndef model_fn(images, is_training, num_classes=3):\n"
            "    net = tf.layers.batch_normalization(images, training=is_training, name='bn1')\n"
            "    net = tf.layers.dropout(net, rate=0.25)\n"
            "    return tf.layers.dense(net, num_classes, name='logits')\n",
            "import tensorflow.compat.v1 as tf\n\n\nclass ModelFn(tf.keras.layers.Layer):\n"
            '    """Keras layer made from the TF1 function `model_fn` (TF2130)."""\n\n'
            "    # TF1 variable name -> Keras variable path under this layer (TF2130)\n"
            '    TF1_VARIABLE_NAMES = {\n        "bn1/gamma": "bn1/gamma",\n        "bn1/beta": "bn1/beta",\n'
            '        "bn1/moving_mean": "bn1/moving_mean",\n        "bn1/moving_variance": "bn1/moving_variance",\n'
            '        "logits/kernel": "logits/kernel",\n        "logits/bias": "logits/bias",\n    }\n\n'
            "    def __init__(self, num_classes=3, name=None, **kwargs):\n"
            "        super().__init__(name=name, **kwargs)\n"
            "        self.num_classes = num_classes\n"
            "        self.bn1 = tf.keras.layers.BatchNormalization(name='bn1')\n"
            "        self.dropout = tf.keras.layers.Dropout(rate=0.25, name='dropout')\n"
            "        self.logits = tf.keras.layers.Dense(num_classes, name='logits')\n\n"
            "    def call(self, images, training=None):\n"
            "        net = self.bn1(images, training=training)\n"
            "        net = self.dropout(net, training=False)\n"
            "        return self.logits(net)\n",
            message="ModelFn",
        ),
    ]

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        # TF2120 (session-to-eager, earlier in the same pass) reads this to treat calls of
        # the functions restructured here as calls of the Keras objects made here
        ctx.state["tf2130-enabled"] = True

    @property
    def SCOPE(self) -> str | None:  # type: ignore[override]
        """A file with model functions to restructure is walked whole (calls of them and
        shape statements may spell no TensorFlow name); otherwise the engine may skip
        statements that spell none (see migrate.engine.transform.NAMES)."""
        return None if getattr(self, "on", False) else "names"

    def visit_Module(self, node: cst.Module) -> None:
        if self.ctx.state.get(_loss_collection.ENABLED):
            # TF2120 decides first whether it converts a weight-decay collection's reads; when
            # it does not rewrite the file, plan without counting on them (_loss_collection.py)
            from rules.tf1_to_tf2._graph import plan_for

            plan = plan_for(self.ctx)
            if not (plan.active and getattr(plan, "apply", False)):
                _loss_collection.withdraw(self.ctx)
        self.mp = model_plans(self)
        self.on = bool(self.mp.plans)
        self.withs: set[int] = set()
        self.drops: set[int] = set()
        self.updated_withs: dict[int, cst.With] = {}
        self.var_stmts: set[int] = set()
        self.shape_stmts: set[int] = set()
        self.marks: dict[int, tuple[str, Any]] = {}
        self.alive: list[cst.CSTNode] = []
        self.captured: dict[int, cst.SimpleStatementLine] = {}
        self.classes: dict[str, tuple[cst.FunctionDef, cst.ClassDef]] = {}
        self.factory_fns: dict[str, cst.FunctionDef] = {}
        self.var_stmt_ids: dict[int, set[int]] = {}  # original var statement -> updated node ids
        if self.on:
            self.withs = set().union(*(p.withs for p in self.mp.plans.values()))
            self.drops = set().union(*(p.drops for p in self.mp.plans.values()))
            self.var_stmts = set().union(*(p.var_stmts for p in self.mp.plans.values()))
            self.shape_stmts = {id(s) for p in self.mp.plans.values() for s in p.shape_stmts}

    def _mark(self, node: cst.CSTNode, kind: str, data: Any = None) -> None:
        self.marks[id(node)] = (kind, data)
        self.alive.append(node)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if not self.on:
            return updated_node
        hit = self.mp.by_call.get(id(original_node))
        if hit is not None:
            self._mark(updated_node, "creator", hit)
        elif id(original_node) in self.mp.external:
            self._mark(updated_node, "external", self.mp.external[id(original_node)])
        return updated_node

    def leave_If(self, original_node: cst.If, updated_node: cst.If) -> cst.If:
        if self.on and id(original_node) in self.drops:
            self._mark(updated_node, "drop")
        return updated_node

    def leave_With(self, original_node: cst.With, updated_node: cst.With) -> cst.With:
        if self.on and id(original_node) in self.withs:
            self._mark(updated_node, "unwrap")
            self.updated_withs[id(original_node)] = updated_node
        return updated_node

    def slim_args(self, c: Creator, call: cst.Call, rename: cst.CSTTransformer | None = None) -> dict[str, cst.Arg]:
        """A slim call's arguments with the defaults of the arg_scopes around it folded in."""
        params, _base = SLIM[c.fn]
        args: dict[str, cst.Arg] = {}
        for wid in c.defaults:
            w = self.updated_withs[wid]
            scope_call = w.items[0].item
            assert isinstance(scope_call, cst.Call)
            for a in scope_call.args[1:]:
                value = a.value.visit(rename) if rename is not None else a.value
                args[a.keyword.value] = a.with_changes(value=value)  # type: ignore[union-attr]
        args.update(keyword_args(call, ["inputs", *params]) or {})
        return args

    def leave_SimpleStatementLine(self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine) -> cst.SimpleStatementLine:
        if self.on:
            if id(original_node) in self.var_stmts:
                self._mark(updated_node, "drop")
                self.var_stmt_ids.setdefault(id(original_node), set()).add(id(updated_node))
            if id(original_node) in self.shape_stmts:
                self.captured[id(original_node)] = updated_node
        return updated_node

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        why = self.mp.unhandled.get(original_node.name.value)
        if why is not None and self.mp.rejected[original_node.name.value][0] is original_node:
            self.flag(
                original_node,
                f"`{original_node.name.value}` creates variables (tf.layers / slim / get_variable) but is not restructured "
                f"into a Keras layer: {why}. Create its layers once in a tf.keras.layers.Layer (__init__/build) and call them "
                "in `call`, or make it restructurable (straight-line code, string-literal scope and layer names)",
                effort="complex",
            )
        if not self.on:
            return updated_node
        plan = self.mp.plans.get(original_node.name.value)
        if plan is not None and plan.node is original_node:
            self._mark(updated_node, "function", plan.name)
        fac = self.mp.factories.get(original_node.name.value)
        if fac is not None and fac.node is original_node:
            self._mark(updated_node, "factory", fac.name)
            self.factory_fns[fac.name] = updated_node
        return updated_node

    # -- the rewrite ---------------------------------------------------------------------
    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        if not self.on:
            return updated_node
        tf = tf_root(self.ctx)
        taken = set()
        for plan in self.mp.plans.values():
            cls = plan.cls
            while self.ctx.aliases.is_bound(cls) or cls in taken or cls in _KERAS_NAMES:
                cls += "Layer"
            plan.cls = cls
            taken.add(cls)
        # the updated FunctionDef of each plan
        updated_fns: dict[str, cst.FunctionDef] = {}
        for stmt in updated_node.body:
            m = self.marks.get(id(stmt))
            if m and m[0] == "function":
                updated_fns[m[1]] = stmt  # type: ignore[assignment]
        if any(name not in updated_fns for name in self.mp.plans):
            return updated_node  # another rule replaced the function: leave the file alone
        # the classes refer to each other and callers call them: all of the file or nothing
        suppressed = [p.name for p in self.mp.plans.values() if self.ctx._is_suppressed(self.ID, self.ctx.range_of(p.node))]
        if suppressed:
            for plan in self.mp.plans.values():
                if plan.name in suppressed:
                    self.fix(plan.node, updated_fns[plan.name], updated_fns[plan.name])
                else:
                    self.flag(plan.node, f"`{plan.name}` is not restructured because `{suppressed[0]}` of the same file is suppressed (the restructured functions refer to each other)")
            return updated_node
        applied: dict[str, list[cst.BaseStatement]] = {}
        self.fused_bn: list[str] = []  # batch norms built as TF1FusedBatchNormalization (_bn_class)
        fused_first: str | None = None  # the first class using it: the class is defined above it
        for name, plan in self.mp.plans.items():
            fn = updated_fns[name]
            self._instances(plan, taken)
            before = len(self.fused_bn)
            klass = self._class(plan, fn, tf)
            fused = self.fused_bn[before:]
            inst = [
                cst.SimpleStatementLine(
                    [cst.Assign([cst.AssignTarget(cst.Name(var))], cst.parse_expression(f"{plan.cls}({ctor})"))],
                    leading_lines=[cst.EmptyLine(), cst.EmptyLine()] if i == 0 else [],
                )
                for i, (ctor, var) in enumerate(plan.instances.items())
            ]
            names = ", ".join(f"{k} -> {v}" for k, v in plan.names.items())
            result = self.fix(
                plan.node,
                fn,
                cst.FlattenSentinel([klass, *inst]),
                message=f"`{name}` becomes the Keras layer `{plan.cls}` created once"
                + (f" (object {', '.join(plan.instances.values())} made "
                   + (f"when `{plan.home}` starts)" if plan.home else "at module level)") if plan.instances else "")
                + f"; TF1 variable names -> Keras paths under the layer: {names}" + self._decay_note(plan)
                + (f"; {', '.join(f'`{k}`' for k in fused)} {'is' if len(fused) == 1 else 'are'} "
                   f"{_fused_batch_norm.CLASS_NAME}, defined in this file: BatchNormalization updating moving_variance "
                   "with the unbiased batch variance (x n/(n-1)) as TF1's fused kernel did (trained and then evaluated "
                   "here); Keras' own BatchNormalization uses the biased one" if fused else ""),
            )
            if isinstance(result, cst.FlattenSentinel):
                if fused and fused_first is None:
                    fused_first = name
                applied[name] = [klass, *inst]
                for c in plan.creators:
                    self.supersede(c.node.func)
                for n in plan.obsolete:
                    self.supersede(n)
                for n in truncated_normal_funcs(self, [c.node for c in plan.creators if c.kind == "var" or c.shared_with is None]):
                    self.supersede(n)  # made Keras initializers by _Values
                for c in plan.creators:
                    if ((c.kind == "layer" and c.fn == "batch_normalization") or (c.kind == "slim" and (c.fn == "batch_norm" or c.local))) \
                            and not _fused_batch_norm.is_marked(self.ctx, c.node):
                        self.flag(c.node, _BN_VARIANCE, effort="trivial", category=Category.POTENTIAL)
                self._summaries_left(plan)
        if not applied:
            return updated_node
        # `from tensorflow.contrib import slim` & co. go once nothing uses them (tf.contrib is
        # gone from TF2; the engine removes an import only when its name is unused)
        for local, target in self.ctx.aliases.bindings.items():
            node = self.ctx.aliases.import_nodes.get(local)
            if node is not None and target.startswith("tensorflow.contrib"):
                if isinstance(node, cst.ImportFrom):
                    mod, _, obj = target.rpartition(".")
                    self.remove_import(mod, obj, local if local != obj else None)
                else:
                    self.remove_import(target, None, local if local != target.split(".")[0] else None)
        new_body: list[cst.BaseStatement] = []
        at_home: dict[str, list[cst.BaseStatement]] = {}
        for name, stmts in applied.items():
            plan = self.mp.plans[name]
            if plan.home is not None and len(stmts) > 1:
                # made when the one function calling it starts (its build arguments, e.g.
                # parsed flags, are read when TF1 built the graph, not at import)
                at_home.setdefault(plan.home, []).extend(s.with_changes(leading_lines=[]) for s in stmts[1:])
                applied[name] = stmts[:1]
        users: dict[str, set[str]] = {}
        for name, plan in self.mp.plans.items():
            for c in plan.creators:
                if c.fn.startswith("factory:"):
                    users.setdefault(c.fn[len("factory:"):], set()).add(name)
        for f, names in list(users.items()):
            inner = self.mp.factories[f].inner
            if inner is not None:  # a weight-decay helper's calls of its variable helper
                users.setdefault(inner, set()).update(names)
        gone = {f for f, names in users.items() if f in self.mp.factories_gone and names <= set(applied)}
        for f in gone:
            for n in _walk(self.mp.factories[f].node):
                if isinstance(n, cst.Call):
                    self.supersede(n.func)  # the helper is gone: its variable is the layers' now
        for stmt in updated_node.body:
            m = self.marks.get(id(stmt))
            if m and m[0] == "function" and m[1] in applied:
                if m[1] == fused_first:  # TF1's fused batch norm, once, above the first class using it
                    new_body.append(cst.parse_statement(_fused_batch_norm.class_source(tf)).with_changes(
                        leading_lines=[cst.EmptyLine(indent=False)] * 2))
                new_body.extend(applied[m[1]])
            elif m and m[0] == "factory" and m[1] in gone:
                continue
            elif isinstance(stmt, cst.FunctionDef) and stmt.name.value in at_home and isinstance(stmt.body, cst.IndentedBlock):
                body = list(stmt.body.body)
                at = 1 if body and _is_doc(body[0]) else 0
                new_body.append(stmt.with_changes(body=stmt.body.with_changes(body=[*body[:at], *at_home[stmt.name.value], *body[at:]])))
            else:
                new_body.append(stmt)
        module = updated_node.with_changes(body=new_body)
        return module.visit(_External(self, applied))

    def _summaries_left(self, plan: FuncPlan) -> None:
        """The flag-guarded summaries taken out of the layer are written where its call stands
        when TF2120 converts the file (_helper_summaries.py); otherwise they are reported."""
        from rules.tf1_to_tf2._graph import STATE_KEY
        from rules.tf1_to_tf2._helper_summaries import STATE

        tf2120 = self.ctx.state.get(STATE_KEY)
        moved = self.ctx.state.get(STATE, set()) if tf2120 is not None and tf2120.active and getattr(tf2120, "apply", False) else set()
        inst = next(iter(plan.instances.values()), f"{snake(plan.cls)}_layer")
        for if_node, call, attr in plan.summaries:
            if id(if_node) not in moved:
                code = self.ctx.module.code_for_node
                self.flag(if_node, f"`if {code(if_node.test)}: {code(call)}` is not part of the layer `{plan.cls}`: TF1 added "
                          "it to the merged summaries when the function was called; write it where the summaries are "
                          f"written (`tf.summary.{code(call.func).rsplit('.', 1)[-1]}({code(call.args[0].value)}, "
                          f"{inst}.{attr}, step=step)` under a writer's `as_default()`, under the same test)")

    def _decay_note(self, plan: FuncPlan) -> str:
        """What became of the weight-decay terms TF1 added to a collection (never read in
        this file, or the helper would not have been inlined)."""
        decayed: dict[tuple[str, str], list[str]] = {}
        for c in plan.creators:
            fac = self.mp.factories.get(c.fn[len("factory:"):]) if c.fn.startswith("factory:") else None
            if fac is None or fac.inner is None:
                continue
            args = keyword_args(c.node, fac.params) or {}
            if fac.decay_param is not None and fac.decay_param in args and _none(args[fac.decay_param].value):
                continue
            decayed.setdefault((fac.name, fac.key or ""), []).append(c.keras_name)
        if not decayed:
            return ""
        where = ", ".join(f"{', '.join(f'`{v}`' for v in vs)} (`{f}` added it to the collection {k!r})" for (f, k), vs in decayed.items())
        return (f"; the weight-decay terms are the regularizers of {where}: they are in the layer's `losses` "
                "(nothing in this file read the collection; code elsewhere that summed it must add `layer.losses`)")

    def _instances(self, plan: FuncPlan, taken: set[str]) -> None:
        base = f"{plan.name}_layer"
        out: dict[str, str] = {}
        for i, key in enumerate(plan.instances):
            name = base if i == 0 else f"{base}_{i}"
            while self.ctx.aliases.is_bound(name) or name in taken:
                name += "_"
            taken.add(name)
            parts = []
            for item in key.split(", ") if key else []:
                p, _, code = item.partition("=")
                parts.append(f"{'name' if p == plan.name_param else p}={code}")
            out[", ".join(parts)] = name
        plan.instances = out

    def _class(self, plan: FuncPlan, fn: cst.FunctionDef, tf: str) -> cst.ClassDef:
        body: list[cst.BaseStatement] = []
        doc = plan.docstring.body[0].value if plan.docstring is not None else None  # type: ignore[attr-defined]
        if doc is not None:
            body.append(cst.SimpleStatementLine([cst.Expr(doc)]))
        else:
            body.append(_line(f'"""Keras layer made from the TF1 function `{plan.name}` (TF2130)."""'))
        items = [f"{_q(k)}: {_q(v)}" for k, v in plan.names.items()]
        one = "{" + ", ".join(items) + "}"
        if len(one) < 60:
            mapping = one
        else:
            mapping = "{\n" + "".join(f"    {i},\n" for i in items) + "}"
        body.append(
            cst.parse_statement(
                f"# TF1 variable name -> Keras variable path under this layer (TF2130)\nTF1_VARIABLE_NAMES = {mapping}\n"
            ).with_changes(leading_lines=[cst.EmptyLine(indent=False), cst.EmptyLine(comment=cst.Comment("# TF1 variable name -> Keras variable path under this layer (TF2130)"))])
        )
        body.append(self._init(plan, fn, tf))
        build = self._build(plan, tf)
        if build is not None:
            body.append(build)
        body.append(self._call(plan, fn))
        return cst.ClassDef(
            name=cst.Name(plan.cls),
            bases=[cst.Arg(expr(f"{tf}.keras.layers.Layer"))],
            body=cst.IndentedBlock(body),
            leading_lines=fn.leading_lines,
        )

    def _init(self, plan: FuncPlan, fn: cst.FunctionDef, tf: str) -> cst.FunctionDef:
        upd = {p.name.value: p for p in fn.params.params}
        params = [cst.Param(cst.Name("self"))]
        for p in plan.config:
            params.append(_param(upd[p.name.value]))
        if plan.name_param is not None:
            default = upd[plan.name_param].default or cst.Name("None")
        elif plan.scope is not None:
            default = cst.SimpleString(_sq(plan.scope))
        else:
            default = cst.Name("None")
        params.append(_param(cst.Param(cst.Name("name"), default=default)))
        params.append(cst.Param(cst.Name("kwargs"), star="**"))
        lines = [_line("super().__init__(name=name, **kwargs)")]
        for p in plan.config:
            lines.append(_line(f"self.{p.name.value} = {p.name.value}"))
        for c in plan.creators:
            if c.kind == "var" or c.shared_with is not None:
                continue
            updated = self._updated_call(c)
            if c.kind == "slim":
                for attr, ctor in self._slim_ctors(c, updated, tf):
                    lines.append(cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(expr(f"self.{attr}"))], ctor)]))
                continue
            ctor = self._layer_ctor(c, updated, tf) if c.kind == "layer" else self._sub_ctor(c, updated)
            ctor = ctor.visit(_Values(self, tf))  # type: ignore[assignment]
            lines.append(cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(expr(f"self.{c.attr}"))], ctor)]))
        return cst.FunctionDef(
            name=cst.Name("__init__"),
            params=cst.Parameters(params=_commas(params[:-1]), star_kwarg=params[-1]),
            body=cst.IndentedBlock(lines),
            leading_lines=[cst.EmptyLine(indent=False)],
        )

    def _updated_call(self, c: Creator) -> cst.Call:
        for nid, (kind, data) in self.marks.items():
            if kind == "creator" and data[1] is c:
                return self._alive(nid)  # type: ignore[return-value]
        raise KeyError(c.attr)

    def _alive(self, nid: int) -> cst.CSTNode:
        for n in self.alive:
            if id(n) == nid:
                return n
        raise KeyError(nid)

    def _layer_ctor(self, c: Creator, call: cst.Call, tf: str) -> cst.Call:
        cls, params, keras_positional, _tt, _base = LAYERS[c.fn]
        args = keyword_args(call, ["inputs", *params]) or {}
        args = {k: v for k, v in args.items() if k not in ("inputs", "training")}
        out: list[cst.Arg] = []
        out.extend(take_positionals(args, keras_positional))
        args.pop("name", None)
        for name, a in args.items():
            out.append(kwarg(name, a.value) if a.keyword is None else a.with_changes(comma=cst.MaybeSentinel.DEFAULT))
        out.append(kwarg("name", cst.SimpleString(_sq(c.keras_name))))
        out = [a.with_changes(whitespace_after_arg=cst.SimpleWhitespace("")) for a in out]
        return cst.Call(func=self._bn_class(c, tf) if cls == "BatchNormalization" else expr(f"{tf}.keras.layers.{cls}"), args=fix_commas(out))

    def _bn_class(self, c: Creator, tf: str, name: str | None = None) -> cst.BaseExpression:
        """BatchNormalization, or TF1FusedBatchNormalization (defined once in the file) where
        TF2120 found TF1's fused batch norm trained and evaluated (_fused_batch_norm.py)."""
        if _fused_batch_norm.is_marked(self.ctx, c.node):
            self.fused_bn.append(name or c.keras_name)
            return cst.Name(_fused_batch_norm.CLASS_NAME)
        return expr(f"{tf}.keras.layers.BatchNormalization")

    def _slim_ctors(self, c: Creator, call: cst.Call, tf: str) -> list[tuple[str, cst.Call]]:
        """slim/contrib layer -> its Keras layer (and the BatchNormalization of normalizer_fn),
        slim defaults pinned where Keras' differ."""
        args = self.slim_args(c, call)
        values = _Values(self, tf)

        def v(key: str) -> cst.BaseExpression:
            return args[key].value.visit(values)  # type: ignore[return-value]

        def lit(code: str) -> cst.BaseExpression:
            return cst.parse_expression(code)

        out: list[cst.Arg] = []
        bn_args: dict[str, cst.Arg] = {}
        fn = c.fn
        if fn in ("fully_connected", "conv2d", "convolution2d"):
            cls = "Dense" if fn == "fully_connected" else "Conv2D"
            out.append(cst.Arg(v("num_outputs")))
            if cls == "Conv2D":
                out.append(cst.Arg(v("kernel_size")))
                if "stride" in args:
                    out.append(kwarg("strides", v("stride")))
                pad = string_value(args["padding"].value) if "padding" in args else "SAME"
                out.append(kwarg("padding", cst.SimpleString(_sq((pad or "SAME").lower()))))
                if "rate" in args:
                    out.append(kwarg("dilation_rate", v("rate")))
            bn = c.local != ""
            if not bn:
                # slim's default activation_fn is relu (Keras: none)
                act = v("activation_fn") if "activation_fn" in args else expr(f"{tf}.nn.relu")
                if not _none(act):
                    out.append(kwarg("activation", act))
            no_bias = bn or ("biases_initializer" in args and _none(args["biases_initializer"].value))
            if no_bias:
                out.append(kwarg("use_bias", cst.Name("False")))
            for src, dst in (("weights_initializer", "kernel_initializer"), ("weights_regularizer", "kernel_regularizer"),
                             ("biases_initializer", "bias_initializer"), ("biases_regularizer", "bias_regularizer"), ("trainable", "trainable")):
                if src in args and not _none(args[src].value) and not (no_bias and src.startswith("biases")):
                    out.append(kwarg(dst, v(src)))
            if bn and "normalizer_params" in args and isinstance(args["normalizer_params"].value, cst.Dict):
                for e in args["normalizer_params"].value.elements:
                    if isinstance(e, cst.DictElement):
                        bn_args[string_value(e.key) or ""] = cst.Arg(e.value.visit(values))  # type: ignore[arg-type]
        elif fn == "batch_norm":
            cls = "BatchNormalization"
            bn_args = {k: cst.Arg(v(k)) for k in ("decay", "center", "scale", "epsilon", "trainable") if k in args}
        elif fn == "dropout":
            cls = "Dropout"
            keep = v("keep_prob") if "keep_prob" in args else lit("0.5")
            if isinstance(keep, (cst.Integer, cst.Float)):
                rate: cst.BaseExpression = lit(f"1 - {keep.value}")
            else:
                rate = cst.BinaryOperation(cst.Integer("1"), cst.Subtract(), keep if isinstance(keep, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)) else keep.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()]))
            out.append(kwarg("rate", rate))
            for k in ("noise_shape", "seed"):
                if k in args:
                    out.append(kwarg(k, v(k)))
        elif fn in ("max_pool2d", "avg_pool2d"):
            cls = "MaxPooling2D" if fn == "max_pool2d" else "AveragePooling2D"
            out.append(kwarg("pool_size", v("kernel_size")))
            out.append(kwarg("strides", v("stride") if "stride" in args else lit("2")))
            pad = string_value(args["padding"].value) if "padding" in args else "VALID"
            out.append(kwarg("padding", cst.SimpleString(_sq((pad or "VALID").lower()))))
        else:
            cls = "Flatten"
        result = []
        if fn != "batch_norm":
            out.append(kwarg("name", cst.SimpleString(_sq(c.keras_name))))
            result.append((c.attr, cst.Call(func=expr(f"{tf}.keras.layers.{cls}"), args=fix_commas(out))))
        if fn == "batch_norm" or c.local:
            # slim.batch_norm defaults: decay 0.999, center True, scale False, epsilon 1e-3
            bn: list[cst.Arg] = [
                kwarg("momentum", bn_args["decay"].value if "decay" in bn_args else lit("0.999")),
                kwarg("epsilon", bn_args["epsilon"].value if "epsilon" in bn_args else lit("0.001")),
                kwarg("center", bn_args["center"].value if "center" in bn_args else cst.Name("True")),
                kwarg("scale", bn_args["scale"].value if "scale" in bn_args else cst.Name("False")),
            ]
            if "trainable" in bn_args:
                bn.append(kwarg("trainable", bn_args["trainable"].value))
            name = c.keras_name if fn == "batch_norm" else f"{c.keras_name}_BatchNorm"
            bn.append(kwarg("name", cst.SimpleString(_sq(name))))
            result.append((c.attr if fn == "batch_norm" else c.local, cst.Call(func=self._bn_class(c, tf, name), args=fix_commas(bn))))
        return result

    def _sub_ctor(self, c: Creator, call: cst.Call) -> cst.Call:
        callee = self.mp.plans[c.fn]
        binding = bind_call(call, callee) or {}
        out = []
        for p in callee.config:
            if p.name.value in binding:
                out.append(kwarg(p.name.value, binding[p.name.value].value))
        if callee.name_param is not None and callee.name_param in binding:
            out.append(kwarg("name", binding[callee.name_param].value))
        return cst.Call(func=cst.Name(callee.cls), args=fix_commas(out))

    def _build(self, plan: FuncPlan, tf: str) -> cst.FunctionDef | None:
        vars_ = [c for c in plan.creators if c.kind == "var"]
        if not vars_:
            return None
        lines: list[cst.BaseStatement] = [_line(f"input_shape = {tf}.TensorShape(input_shape)")]
        tr = _Rename(plan, self, build=True)
        for s in plan.shape_stmts:
            if id(s) in plan.shape_code:  # a computed tensor's static shape, from the input's
                code, read = plan.shape_code[id(s)]
                note = cst.EmptyLine(comment=cst.Comment(f"# the static shape TF1 read from `{read}`, from the input's"))
                lines.append(_line(code).with_changes(leading_lines=[note]))
                continue
            lines.append(self.captured[id(s)].visit(tr).with_changes(leading_lines=[]))  # type: ignore[arg-type]
        for c in vars_:
            call = self._updated_call(c)
            device: cst.With | None = None
            if c.fn.startswith("factory:"):
                # the helper's get_variable with this call's arguments put in; its
                # `with tf.device(...)` stays around the variable's creation
                fac = self.mp.factories[c.fn[len("factory:"):]]
                upd = self.factory_fns[fac.name]
                if fac.inner is not None:
                    # a weight-decay helper: its term becomes the variable's regularizer
                    inner = self.mp.factories[fac.inner]
                    got = inline_decay_factory(upd, fac.params, self.factory_fns[inner.name], inner.params, call)
                    parts = factory_parts(self.factory_fns[inner.name])
                    assert got is not None and parts is not None
                    call, term, var = got
                    device = parts[0]
                    if term is not None:
                        decay = cst.Lambda(params=cst.Parameters(params=[cst.Param(cst.Name(var))]), body=term.visit(tr))  # type: ignore[arg-type]
                        call = call.with_changes(args=[*call.args, kwarg("regularizer", decay)])
                else:
                    inlined = inline_factory(upd, fac.params, call)
                    parts = factory_parts(upd)
                    assert inlined is not None and parts is not None
                    call, device = inlined, parts[0]
            if c.fn == "Variable":
                # tf.Variable(value, name=...) -> a Keras variable (tracked by the layer; a plain
                # tf.Variable attribute is not among a Keras 3 layer's weights); same dtype inference
                vargs = keyword_args(call, TF_VARIABLE_PARAMS) or {}
                out = [cst.Arg(vargs["initial_value"].value.visit(tr))]  # type: ignore[arg-type]
                out.append(kwarg("name", cst.SimpleString(_sq(c.keras_name))))
                for k in ("dtype", "trainable"):
                    if k in vargs:
                        out.append(kwarg(k, vargs[k].value.visit(tr)))  # type: ignore[arg-type]
                value = cst.Call(func=expr(f"{tf}.keras.Variable"), args=fix_commas(out))
                lines.append(_keep_comments(cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(expr(f"self.{c.attr}"))], value)]), c.stmt))
                continue
            args = keyword_args(call, GET_VARIABLE_PARAMS) or {}
            out = [kwarg("name", cst.SimpleString(_sq(c.keras_name)))]
            for k in ("shape", "dtype", "initializer", "regularizer", "trainable"):
                if k in args:
                    out.append(kwarg(k, args[k].value.visit(tr).visit(_Values(self, tf))))  # type: ignore[arg-type, union-attr]
                elif k == "initializer":
                    out.append(kwarg(k, cst.SimpleString("'glorot_uniform'")))
            value = cst.Call(func=expr("self.add_weight"), args=fix_commas(out))
            line = _keep_comments(cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(expr(f"self.{c.attr}"))], value)]), c.stmt)
            last = lines[-1]
            if device is not None and isinstance(last, cst.With) and self.ctx.module.code_for_node(last.items[0].item) == self.ctx.module.code_for_node(device.items[0].item):
                # consecutive variables under the same device: one block
                lines[-1] = last.with_changes(body=last.body.with_changes(body=[*last.body.body, line]))  # type: ignore[attr-defined]
            elif device is not None:
                lines.append(device.with_changes(body=cst.IndentedBlock([line]), leading_lines=[]))
            else:
                lines.append(line)
        return cst.FunctionDef(
            name=cst.Name("build"),
            params=cst.Parameters(params=_commas([cst.Param(cst.Name("self")), cst.Param(cst.Name("input_shape"))])),
            body=cst.IndentedBlock(lines),
            leading_lines=[cst.EmptyLine(indent=False)],
        )

    def _call(self, plan: FuncPlan, fn: cst.FunctionDef) -> cst.FunctionDef:
        params = [cst.Param(cst.Name("self")), cst.Param(cst.Name(plan.input)), *(cst.Param(cst.Name(e)) for e in plan.extra)]
        if plan.training is not None:
            params.append(_param(cst.Param(cst.Name("training"), default=plan.training_default or cst.Name("None"))))
        body = fn.body
        assert isinstance(body, cst.IndentedBlock)
        stmts = list(body.body)
        if plan.docstring is not None:
            stmts = stmts[1:]
        new = cst.IndentedBlock(stmts).visit(_Rename(plan, self, build=False))
        assert isinstance(new, cst.IndentedBlock)
        # shape-only statements that only build() needed
        shape_targets = {s.body[0].targets[0].target.value for s in plan.shape_stmts}  # type: ignore[attr-defined]
        kept = []
        for i, st in enumerate(new.body):
            t = _assigned(st)
            if t in shape_targets and not any(t in names_in(o) for j, o in enumerate(new.body) if j != i):
                continue
            kept.append(st)
        new = new.with_changes(body=kept)
        first = new.body[0] if new.body else None
        if first is not None:
            lead = list(first.leading_lines)
            while lead and lead[0].comment is None:
                lead.pop(0)
            new = new.with_changes(body=[first.with_changes(leading_lines=lead), *new.body[1:]])
        return cst.FunctionDef(
            name=cst.Name("call"),
            params=cst.Parameters(params=_commas(params)),
            body=new,
            leading_lines=[cst.EmptyLine(indent=False)],
        )


_BN_VARIANCE = (
    "batch norm moving variance: TF1's fused batch norm (4-D inputs; slim.batch_norm always) updated "
    "moving_variance with the unbiased batch variance (x n/(n-1)), Keras 3 BatchNormalization with the biased "
    "one, so a model trained after the migration gets slightly different moving variances (weights carried "
    "over from TF1 are unaffected; legacy Keras, TF_USE_LEGACY_KERAS=1, matches TF1). Check that this is "
    "acceptable for small batches"
)


class _Rename(cst.CSTTransformer):
    """Rewrites a function body for the class: creators -> sub-layer calls, parameters ->
    attributes, get_variable statements dropped, variable_scope blocks unwrapped."""

    def __init__(self, plan: FuncPlan, rule: VariableScopeModule, build: bool) -> None:
        super().__init__()
        self.plan = plan
        self.rule = rule
        self.build = build
        self.names: dict[str, str] = {p.name.value: f"self.{p.name.value}" for p in plan.config}
        # var statements (updated node id -> creator): a local naming one variable after
        # another reads the one bound last
        self.var_at: dict[int, Creator] = {}
        if not build:
            for c in plan.creators:
                if c.kind == "var":
                    self.names.setdefault(c.local, f"self.{c.attr}")  # the first binding until the next
                    for nid, (kind, _d) in rule.marks.items():
                        if kind == "drop" and nid in rule.var_stmt_ids.get(id(c.stmt), ()):
                            self.var_at[nid] = c
            if plan.training is not None:
                self.names[plan.training] = "training"

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        c = self.var_at.get(id(node))
        if c is not None:
            self.names[c.local] = f"self.{c.attr}"
        return True

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        return True

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        updated_node = updated_node.with_changes(attr=original_node.attr)
        if self.build and isinstance(original_node.value, cst.Name) and original_node.value.value == self.plan.input and original_node.attr.value == "shape":
            return cst.Name("input_shape")
        if original_node.attr.value == "value" and isinstance(updated_node.value, cst.Subscript) and _is_shape(updated_node.value.value):
            return updated_node.value
        return updated_node

    def leave_Arg(self, original_node: cst.Arg, updated_node: cst.Arg) -> cst.Arg:
        return updated_node.with_changes(keyword=original_node.keyword)

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        target = self.names.get(original_node.value)
        return expr(target) if target is not None else updated_node

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        f = original_node.func
        if self.build and isinstance(f, cst.Attribute) and isinstance(f.value, cst.Name) and f.value.value == self.plan.input and f.attr.value == "get_shape" and not original_node.args:
            return cst.Name("input_shape")
        m = self.rule.marks.get(id(original_node))
        if not m or m[0] != "creator":
            if not self.build and self.plan.scope_aliases and any(is_scope_name_arg(a, self.plan.scope_aliases) for a in updated_node.args):
                # `name=scope.name`: an op name of the TF1 graph (the scope object is gone)
                kept = [a for a in updated_node.args if not is_scope_name_arg(a, self.plan.scope_aliases)]
                return updated_node.with_changes(args=fix_commas(kept))
            return updated_node
        _fname, c = m[1]
        if c.kind == "var":
            return updated_node
        if c.kind == "slim":
            return self._slim_call(c, updated_node)
        if c.kind == "layer":
            _cls, params, _pos, takes_training, _b = LAYERS[c.fn]
            args = keyword_args(updated_node, ["inputs", *params]) or {}
            inputs = args["inputs"].value
            call_args = [cst.Arg(inputs)]
            if takes_training:
                t = args["training"].value if "training" in args else cst.Name("False")
                call_args.append(kwarg("training", t))
        else:
            callee = self.rule.mp.plans[c.fn]
            binding = bind_call(updated_node, callee) or {}
            call_args = [cst.Arg(binding[callee.input].value)]
            if callee.training is not None:
                if callee.training in binding:
                    call_args.append(kwarg("training", binding[callee.training].value))
                elif callee.training_default is not None:
                    call_args.append(kwarg("training", callee.training_default))
        return cst.Call(func=expr(f"self.{c.attr}"), args=fix_commas(call_args))

    def _slim_call(self, c: Creator, call: cst.Call) -> cst.BaseExpression:
        args = self.rule.slim_args(c, call, _Rename(self.plan, self.rule, build=False))
        x: cst.BaseExpression = args["inputs"].value
        tf = tf_root(self.rule.ctx)

        def training(source: dict[str, cst.Arg]) -> cst.Arg:
            # slim's is_training defaults to True
            return kwarg("training", source["is_training"].value if "is_training" in source else cst.Name("True"))

        if c.fn == "batch_norm":
            out: cst.BaseExpression = cst.Call(func=expr(f"self.{c.attr}"), args=fix_commas([cst.Arg(x), training(args)]))
            if "activation_fn" in args and not _none(args["activation_fn"].value):
                out = cst.Call(func=args["activation_fn"].value, args=[cst.Arg(out)])
            return out
        if c.fn == "dropout":
            return cst.Call(func=expr(f"self.{c.attr}"), args=fix_commas([cst.Arg(x), training(args)]))
        out = cst.Call(func=expr(f"self.{c.attr}"), args=[cst.Arg(x)])
        if c.local:
            params_dict: dict[str, cst.Arg] = {}
            d = args["normalizer_params"].value if "normalizer_params" in args else None
            if isinstance(d, cst.Dict):
                for e in d.elements:
                    if isinstance(e, cst.DictElement) and string_value(e.key) == "is_training":
                        params_dict["is_training"] = cst.Arg(e.value)
            out = cst.Call(func=expr(f"self.{c.local}"), args=fix_commas([cst.Arg(out), training(params_dict)]))
            act = args["activation_fn"].value if "activation_fn" in args else expr(f"{tf}.nn.relu")
            if not _none(act):
                out = cst.Call(func=act, args=[cst.Arg(out)])
        return out

    def leave_SimpleStatementLine(self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine):  # type: ignore[no-untyped-def]
        m = self.rule.marks.get(id(original_node))
        if m and m[0] == "drop":
            return cst.RemoveFromParent()
        return updated_node

    def leave_If(self, original_node: cst.If, updated_node: cst.If):  # type: ignore[no-untyped-def]
        m = self.rule.marks.get(id(original_node))
        if m and m[0] == "drop":  # `if reuse: scope.reuse_variables()`: the reuse is the shared object
            return cst.RemoveFromParent()
        return updated_node

    def leave_With(self, original_node: cst.With, updated_node: cst.With):  # type: ignore[no-untyped-def]
        m = self.rule.marks.get(id(original_node))
        if not m or m[0] != "unwrap":
            return updated_node
        inner = list(updated_node.body.body) if isinstance(updated_node.body, cst.IndentedBlock) else []
        if not inner:
            return cst.RemoveFromParent()
        inner[0] = inner[0].with_changes(leading_lines=[*updated_node.leading_lines, *inner[0].leading_lines])
        return cst.FlattenSentinel(inner)


def _keep_comments(line: cst.SimpleStatementLine, stmt: cst.SimpleStatementLine | None) -> cst.SimpleStatementLine:
    """`line` (a variable's creation in `build`) with the comments of the statement it
    replaces (`w = tf.get_variable(...)  # weights`, removed from `call`): the comment lines
    above it and its end-of-line comment move with it, so no comment of the user's is lost."""
    if stmt is None:
        return line
    above = [ln for ln in stmt.leading_lines if ln.comment is not None]
    if above:
        line = line.with_changes(leading_lines=[*line.leading_lines, *above])
    if stmt.trailing_whitespace.comment is not None:
        line = line.with_changes(trailing_whitespace=stmt.trailing_whitespace)
    return line


class _Values(cst.CSTTransformer):
    """tf.contrib initializer/regularizer values -> their Keras counterparts, numerics kept:
    `xavier_initializer()` -> 'glorot_uniform'; `tf.truncated_normal_initializer(...)` ->
    `tf.keras.initializers.TruncatedNormal(...)` (TF1's stddev 1.0 pinned); `l2_regularizer(scale)` (scale * sum(w**2) / 2)
    -> `tf.keras.regularizers.L2(0.5 * scale)` (l2 * sum(w**2))."""

    def __init__(self, rule: VariableScopeModule, tf: str) -> None:
        super().__init__()
        self.rule = rule
        self.tf = tf

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        keras = keras_truncated_normal(rest_of(self.rule.qname(original_node.func)), updated_node, self.tf)
        if keras is not None:
            return keras
        which = slim_value(rest_of(self.rule.qname(original_node.func)))
        if which == "xavier_initializer":
            return cst.SimpleString("'glorot_uniform'")
        if which == "l2_regularizer":
            scale = updated_node.args[0].value
            if not isinstance(scale, (cst.Name, cst.Attribute, cst.Integer, cst.Float)):
                scale = scale.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
            half = cst.BinaryOperation(cst.Float("0.5"), cst.Multiply(), scale)
            return cst.Call(func=expr(f"{self.tf}.keras.regularizers.L2"), args=[cst.Arg(half)])
        return updated_node


class _External(cst.CSTTransformer):
    """Calls of restructured functions outside them -> calls of the module instances."""

    def __init__(self, rule: VariableScopeModule, applied: dict[str, Any]) -> None:
        super().__init__()
        self.rule = rule
        self.applied = applied

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        m = self.rule.marks.get(id(original_node))
        if m is None:  # a copy that another rule made of a marked call (COPIES)
            copied = self.rule.ctx.state.get(COPIES, {}).get(id(original_node))
            m = self.rule.marks.get(copied[1]) if copied is not None and copied[0] is original_node else None
        if not m or m[0] != "external" or m[1] not in self.applied:
            return updated_node
        plan = self.rule.mp.plans[m[1]]
        binding = bind_call(updated_node, plan) or {}
        ctor = []
        for pname, arg in sorted(binding.items()):
            if pname in (plan.input, plan.training, plan.reuse_param) or pname in plan.extra:
                continue
            ctor.append(f"{'name' if pname == plan.name_param else pname}={self.rule.ctx.module.code_for_node(arg.value)}")
        inst = plan.instances.get(", ".join(ctor))
        if inst is None:
            return updated_node
        args = [cst.Arg(binding[plan.input].value), *(cst.Arg(binding[e].value) for e in plan.extra)]
        if plan.training is not None and plan.training in binding:
            args.append(kwarg("training", binding[plan.training].value))
        return updated_node.with_changes(func=cst.Name(inst), args=fix_commas(args))


# ctx.state key: id(copy) -> (copy, id(original)) for calls that another rule rebuilt after
# this rule marked them (TF2120 writes a training flag's literal into a moved model call)
COPIES = "tf2130-call-copies"
_KERAS_NAMES = {v[0] for v in LAYERS.values()} | {"Layer", "Model", "Sequential", "Embedding", "LSTM", "GRU"}


def _is_doc(stmt: cst.CSTNode) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _assigned(st: cst.CSTNode) -> str | None:
    if isinstance(st, cst.SimpleStatementLine) and len(st.body) == 1 and isinstance(st.body[0], cst.Assign):
        t = st.body[0].targets[0].target
        return t.value if isinstance(t, cst.Name) else None
    return None


def _is_shape(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Name) and node.value == "input_shape":
        return True
    if isinstance(node, cst.Attribute) and node.attr.value == "shape":
        return True
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in ("get_shape", "as_list"):
        return True
    return False


def _line(code: str) -> cst.SimpleStatementLine:
    stmt = cst.parse_statement(code)
    assert isinstance(stmt, cst.SimpleStatementLine)
    return stmt


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _sq(s: str) -> str:
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _param(p: cst.Param) -> cst.Param:
    eq = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))
    return cst.Param(p.name, default=p.default, equal=eq if p.default is not None else cst.MaybeSentinel.DEFAULT)


def _commas(params: list[cst.Param]) -> list[cst.Param]:
    return [p.with_changes(comma=cst.MaybeSentinel.DEFAULT, whitespace_after_param=cst.SimpleWhitespace("")) for p in params]
