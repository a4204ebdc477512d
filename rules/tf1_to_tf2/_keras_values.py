"""Keras value objects TF2130 keeps as written inside the layers it builds.

`tf.keras.regularizers.l2(l)` / `L2(l)` under TF1 is already the Keras regularizer:
it computes `l * sum(w ** 2)` (NOT `tf.nn.l2_loss`'s half, which is what
`tf.contrib.layers.l2_regularizer` computed), and a tf.layers layer put that term in the
REGULARIZATION_LOSSES collection. Given to the Keras layer TF2130 builds, the same object
puts the same term in the layer's `.losses`, which TF2120 reads where the program called
`tf.losses.get_regularization_loss()`. Only one positional or `l2=` argument (a
literal or a name) is accepted: anything else stays a refusal."""
from __future__ import annotations

import libcst as cst

KERAS_REGULARIZERS = {"keras.regularizers.l2", "keras.regularizers.L2"}


def check_keras_regularizer(call: cst.Call, rest: str) -> None:
    from rules.tf1_to_tf2._model import Reject

    if len(call.args) != 1 or call.args[0].star or (
            call.args[0].keyword is not None and call.args[0].keyword.value != "l2"):
        raise Reject(f"`{rest}` with arguments other than the factor")
