"""TF1's fused batch normalization written out as a small Keras layer class (TF2120/TF2130).

Not a rule module. TF1 ran the FUSED batch-norm kernel for `tf.layers.batch_normalization`
on a 4-D input (default axis) and for every `slim.batch_norm` (2-D inputs reshaped to
4-D; tf_slim/layers/layers.py: fused=None means fused). In training mode that kernel
normalizes with the biased batch variance, as Keras 3 does, but it returns (and TF1's
layers fold into moving_variance) the UNBIASED one, variance * n / (n - 1), n the values
per channel (tensorflow/core/kernels/fused_batch_norm_op.cc: rest_size_adjust). Keras 3's
BatchNormalization (keras/src/layers/normalization/batch_normalization.py, `call`) moves
moving_variance toward the biased variance it normalized with, so every evaluation
(training=False) after training normalizes with another variance.

Where a TF1 fused batch norm is trained and then evaluated (TF2120 sees both modes of the
model function: `_training_flags.check_fused_eval`), TF2130 builds it as the class below,
defined once in the file (`class_source`), instead of `tf.keras.layers.BatchNormalization`.
It subclasses BatchNormalization and overrides only `call` in training mode without mask
or renorm: the same moments (tf.nn.moments over the axes Keras reduces), the same output
(tf.nn.batch_normalization with the batch's biased variance), moving_mean as Keras, and
moving_variance with the unbiased batch variance. Variables, their names and paths,
inference and everything else are BatchNormalization's own, so the TF1 name map and
`migrate convert-checkpoint` are unchanged. tests/test_tf1_fused_batch_norm.py runs it
against TF1's own fused kernels (tf.compat.v1.layers.batch_normalization and
tf.compat.v1.nn.fused_batch_norm in a graph).
"""

from __future__ import annotations

from libcst import CSTNode

from migrate.engine.context import FileContext

CLASS_NAME = "TF1FusedBatchNormalization"
# ctx.state key: ids of the original TF1 batch-norm calls (TF2130 creators' nodes) that
# TF2120 found trained and evaluated, with TF1's fused kernel
STATE_KEY = "tf1-fused-batch-norm"

_CLASS = '''
class {cls}({tf}.keras.layers.BatchNormalization):
    """BatchNormalization that updates moving_variance as TF1's fused batch norm did.

    In training mode TF1's fused kernel (batch norm of 4-D inputs, slim's batch_norm of
    any) normalized with the biased batch variance, as Keras does, but moved
    moving_variance toward the unbiased one, variance * n / (n - 1) with n the values per
    channel, where Keras 3 uses the biased one. Only that update differs from
    tf.keras.layers.BatchNormalization (same variables, names and inference); switch to
    it if moving variances smaller by the factor (n - 1) / n are acceptable.
    """

    def call(self, inputs, training=None, mask=None):
        if not (training and self.trainable) or mask is not None or self.renorm:
            return super().call(inputs, training=training, mask=mask)
        x = {tf}.cast(inputs, {tf}.float32) if inputs.dtype in ({tf}.float16, {tf}.bfloat16) else inputs
        rank = len(x.shape)
        axes = [i for i in range(rank) if i != self.axis % rank]
        mean, variance = {tf}.nn.moments(x, axes)
        n = {tf}.cast({tf}.size(x) // {tf}.size(mean), x.dtype)
        unbiased = variance * n / {tf}.maximum(n - 1.0, 1.0)
        for var, value in ((self.moving_mean, mean), (self.moving_variance, unbiased)):
            var.assign(var * self.momentum + {tf}.cast(value, var.dtype) * (1.0 - self.momentum))
        shape = [1] * rank
        shape[self.axis % rank] = -1
        outputs = {tf}.nn.batch_normalization(
            x, {tf}.reshape(mean, shape), {tf}.reshape(variance, shape),
            {tf}.reshape({tf}.cast(self.beta, x.dtype), shape) if self.center else None,
            {tf}.reshape({tf}.cast(self.gamma, x.dtype), shape) if self.scale else None,
            self.epsilon)
        return {tf}.cast(outputs, self.compute_dtype)
'''


def class_source(root: str) -> str:
    """The class, with `root` for tf."""
    return _CLASS.format(cls=CLASS_NAME, tf=root).lstrip("\n")


def mark(ctx: FileContext, node: CSTNode) -> None:
    """TF2120: the TF1 batch-norm call `node` (a TF2130 creator's node) ran fused in TF1 and is
    trained and evaluated: TF2130 builds it as CLASS_NAME."""
    ctx.state.setdefault(STATE_KEY, set()).add(id(node))


def is_marked(ctx: FileContext, node: CSTNode) -> bool:
    return id(node) in ctx.state.get(STATE_KEY, ())
