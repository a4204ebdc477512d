"""TF2101: functional tf.layers.* calls -> tf.keras.layers objects."""

from __future__ import annotations

import libcst as cst

from migrate.result import Category, Safety
from migrate.rule import Invalid, Rule, Valid
from rules.tf1_to_tf2._graph import STATE_KEY as GRAPH_PLAN
from rules.tf1_to_tf2._common import expr, fix_commas, keyword_args, kwarg, rest_of, take_positionals, tf_root

# tf.layers function -> (Keras class, TF1 positional parameters after `inputs`,
#                        Keras positional parameters, takes `training`)
_LAYERS: dict[str, tuple[str, list[str], list[str], bool]] = {
    "dense": ("Dense", ["units", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint", "trainable", "name", "reuse"], ["units"], False),
    "conv1d": ("Conv1D", ["filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint", "trainable", "name", "reuse"], ["filters", "kernel_size"], False),
    "conv2d": ("Conv2D", ["filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint", "trainable", "name", "reuse"], ["filters", "kernel_size"], False),
    "conv2d_transpose": ("Conv2DTranspose", ["filters", "kernel_size", "strides", "padding", "data_format", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint", "trainable", "name", "reuse"], ["filters", "kernel_size"], False),
    "max_pooling1d": ("MaxPooling1D", ["pool_size", "strides", "padding", "data_format", "name"], ["pool_size", "strides"], False),
    "max_pooling2d": ("MaxPooling2D", ["pool_size", "strides", "padding", "data_format", "name"], ["pool_size", "strides"], False),
    "average_pooling1d": ("AveragePooling1D", ["pool_size", "strides", "padding", "data_format", "name"], ["pool_size", "strides"], False),
    "average_pooling2d": ("AveragePooling2D", ["pool_size", "strides", "padding", "data_format", "name"], ["pool_size", "strides"], False),
    "dropout": ("Dropout", ["rate", "noise_shape", "seed", "training", "name"], ["rate"], True),
    "batch_normalization": ("BatchNormalization", ["axis", "momentum", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer", "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint", "training", "trainable", "name", "reuse", "renorm", "renorm_clipping", "renorm_momentum", "fused", "virtual_batch_size", "adjustment"], [], True),
    "flatten": ("Flatten", ["name", "data_format"], [], False),
}
# Keyword arguments Keras 3 layers do not accept: the call is left for a person.
_UNSUPPORTED = {"reuse", "renorm", "renorm_clipping", "renorm_momentum", "fused", "virtual_batch_size", "adjustment"}


class LayersFunctional(Rule):
    """Turns functional `tf.layers.dense(x, ...)` calls into Keras layer objects.

    What it does: `tf.layers.dense(x, 10, activation=tf.nn.relu, name='fc')` becomes
    `tf.keras.layers.Dense(10, activation=tf.nn.relu, name='fc')(x)`, and likewise for
    conv1d/conv2d/conv2d_transpose, max/average pooling, dropout, batch_normalization and
    flatten. `training=` moves to the layer call; where the TF1 call relied on the
    `training=False` default, it is pinned explicitly. The defaults of both APIs agree
    (glorot-uniform kernels, zero biases, BN momentum 0.99 and epsilon 1e-3).

    Why: `tf.layers` is gone from TF2 (it only survives as `tf.compat.v1.layers` on the
    legacy tf_keras package).

    Fix safety: unsafe. A Keras layer created inside a function creates new variables on
    every call, and batch normalization no longer feeds `UPDATE_OPS`: correct for graph
    code that builds the model once, wrong for code called repeatedly (eager loops,
    `tf.function`). Layer objects must be created once and reused; the structural
    variable_scope/layers rewrite does that. Calls with `reuse=` or renorm/fused/virtual
    batch options are reported instead.
    """

    ID = "TF2101"
    SCOPE = "names"  # calls of tf.layers.* only (see migrate.engine.transform)
    NAME = "tf-layers-functional"
    MESSAGE = "tf.layers function becomes a tf.keras.layers object"
    SAFETY = Safety.UNSAFE
    CATEGORY = Category.MANDATORY
    EFFORT = "complex"

    VALID = [Valid("import tensorflow as tf\ny = tf.keras.layers.Dense(3)(x)\n")]
    INVALID = [
        Invalid(
            "import tensorflow as tf\nh = tf.layers.dense(x, 64, activation=tf.nn.relu, name='fc1')\n",
            "import tensorflow as tf\nh = tf.keras.layers.Dense(64, activation=tf.nn.relu, name='fc1')(x)\n",
        ),
        Invalid(
            "import tensorflow as tf\nh = tf.layers.conv2d(x, 32, 3, 2, 'same', activation=tf.nn.relu)\n",
            "import tensorflow as tf\nh = tf.keras.layers.Conv2D(32, 3, strides=2, padding='same', activation=tf.nn.relu)(x)\n",
        ),
        Invalid(
            "import tensorflow as tf\nh = tf.layers.dropout(x, rate=0.3, training=is_training)\ng = tf.layers.batch_normalization(h)\n",
            "import tensorflow as tf\nh = tf.keras.layers.Dropout(rate=0.3)(x, training=is_training)\ng = tf.keras.layers.BatchNormalization()(h, training=False)\n",
        ),
        Invalid(
            "import tensorflow as tf\nh = tf.layers.dense(x, 8, reuse=True, name='shared')\n",
            None,
            message="reuse",
        ),
    ]

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        rest = rest_of(self.qname(original_node.func))
        if rest is None or not rest.startswith("layers."):
            return updated_node
        fn = rest[len("layers.") :]
        plan = self.ctx.state.get("tf2130-plan")
        if plan is not None and id(original_node) in plan.by_call:
            return updated_node  # TF2130 turns the whole model function into a Keras layer
        if plan is not None and id(original_node) in plan.tf1_calls:
            # inside a variable_scope model function TF2131 wraps in the TF1 modeling shim,
            # which tracks tf.compat.v1.layers but not Keras layers made at every call
            return updated_node
        graph = self.ctx.state.get(GRAPH_PLAN)
        if graph is not None and graph.apply and id(original_node) in graph.call_builders:
            return updated_node  # TF2120 creates the layer object once and calls it (_inline_layers.py)
        spec = _LAYERS.get(fn)
        if spec is None:
            return updated_node
        cls, params, keras_positional, takes_training = spec
        args = keyword_args(updated_node, ["inputs", *params])
        if args is None or "inputs" not in args:
            self.flag(original_node, f"tf.layers.{fn} with *args/**kwargs: rewrite as tf.keras.layers.{cls}(...)(inputs) by hand")
            return updated_node
        bad = sorted(k for k in args if k in _UNSUPPORTED)
        if bad:
            what = ", ".join(bad)
            self.flag(
                original_node,
                f"tf.layers.{fn} with {what}: Keras layers share weights by reusing the layer object, not by `reuse=`; create one tf.keras.layers.{cls} and call it where the variables are shared",
                effort="complex",
            )
            return updated_node
        inputs = args.pop("inputs")
        training = args.pop("training", None) if takes_training else None
        layer_args: list[cst.Arg] = []
        layer_args.extend(take_positionals(args, keras_positional))
        for name, a in args.items():
            layer_args.append(kwarg(name, a.value) if a.keyword is None else a.with_changes(comma=cst.MaybeSentinel.DEFAULT))
        call_args = [inputs.with_changes(keyword=None, equal=cst.MaybeSentinel.DEFAULT, comma=cst.MaybeSentinel.DEFAULT)]
        if takes_training:
            call_args.append(kwarg("training", training.value if training is not None else cst.Name("False")))
        layer = cst.Call(func=expr(f"{tf_root(self.ctx)}.keras.layers.{cls}"), args=fix_commas(layer_args))
        new = cst.Call(func=layer, args=fix_commas(call_args))
        self.supersede(original_node.func)
        return self.fix(
            original_node,
            updated_node,
            new,
            message=f"tf.layers.{fn} becomes tf.keras.layers.{cls}; create the layer once if this code runs more than once",
        )
