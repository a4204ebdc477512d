"""Learning-rate schedules driven by the global step: exponential_decay
(staircase), piecewise_constant and polynomial_decay, with a Nesterov
MomentumOptimizer; the schedule values are fetched at every step."""
import json

import numpy as np
import tensorflow as tf


class TF1Momentum(tf.Module):
    """TF1's tf.train.MomentumOptimizer update rule, for eager TF2 (what the TF1 program computed).

    Per variable: accum = accum * momentum + g (accum starting at zero); var -= lr * accum,
    or with use_nesterov var -= lr * g + lr * momentum * accum. Callable hyperparameters
    are called at every apply_gradients; global_step, when given, is advanced by one.
    tf.keras.optimizers.SGD(momentum=..., nesterov=...) accumulates learning-rate-scaled
    steps instead (v = momentum * v - lr * g; var += v): the same while the learning rate
    is constant, different after every change of it. Switch to it if that is acceptable.
    """

    def __init__(self, learning_rate, momentum, use_nesterov=False, name="Momentum"):
        super().__init__(name=name)
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.use_nesterov = use_nesterov
        self.slots = []  # per variable its accumulator, made at its first update
        self._slot_index = {}

    def _accumulator_of(self, var):
        if var.ref() not in self._slot_index:
            with tf.init_scope():
                self._slot_index[var.ref()] = len(self.slots)
                self.slots.append(tf.Variable(tf.zeros(var.shape, var.dtype), trainable=False))
        return self.slots[self._slot_index[var.ref()]]

    def apply_gradients(self, grads_and_vars, global_step=None):
        hyper = [h() if callable(h) else h for h in (self.learning_rate, self.momentum)]
        for grad, var in grads_and_vars:
            if grad is None:
                continue
            if isinstance(grad, tf.IndexedSlices):
                raise TypeError("TF1 Momentum updated only the rows of a sparse gradient; not reproduced here")
            lr, momentum = (tf.cast(h, var.dtype) for h in hyper)
            accum = self._accumulator_of(var)
            accum.assign(accum * momentum + grad)
            if self.use_nesterov:
                var.assign_sub(grad * lr + accum * momentum * lr)
            else:
                var.assign_sub(accum * lr)
        if global_step is not None:
            global_step.assign_add(1)


def main():
    tf.random.set_seed(0)
    np.random.seed(0)
    x_np = np.random.randn(8, 2).astype(np.float32)
    y_np = (x_np[:, :1] * 2.0 - x_np[:, 1:] + 0.5).astype(np.float32)

    global_step = tf.Variable(0, dtype=tf.int64, trainable=False, name="global_step")

    w = tf.Variable(tf.constant(0.0, shape=[2, 1]), name='w')
    b = tf.Variable(tf.constant(0.0, shape=[]), name='b')

    def current_lr():
        exp_lr = tf.keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=4, decay_rate=0.5, staircase=True)(global_step)
        pw_lr = tf.keras.optimizers.schedules.PiecewiseConstantDecay([5, 10], [0.1, 0.05, 0.01])(tf.cast(global_step, tf.int32))
        return tf.minimum(exp_lr, pw_lr)

    optimizer = TF1Momentum(learning_rate=current_lr, momentum=0.9,
                            use_nesterov=True)

    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32), tf.TensorSpec([None, 1], tf.float32)])
    def train_step(x, y):
        with tf.GradientTape() as tape:
            poly_lr = tf.keras.optimizers.schedules.PolynomialDecay(0.1, 20, end_learning_rate=0.001, power=2.0)(global_step)
            lr = current_lr()
            loss = tf.reduce_mean(tf.math.squared_difference(tf.matmul(x, w) + b, y))
        variables = tape.watched_variables()
        gradients = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(gradients, variables), global_step=global_step)
        return lr, poly_lr

    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32), tf.TensorSpec([None, 1], tf.float32)])
    def compute_loss_w_b_global_step(x, y):
        loss = tf.reduce_mean(tf.math.squared_difference(tf.matmul(x, w) + b, y))
        return loss, w, b, global_step

    lrs = []
    for _ in range(20):
        lr_v, poly_v = [t.numpy() for t in train_step(x_np, y_np)]
        lrs.append(lr_v)
    l, w_v, b_v, step = [t.numpy() for t in compute_loss_w_b_global_step(x_np, y_np)]
    print("RESULT " + json.dumps({
        "lrs_every4": [round(float(v), 6) for v in lrs[::4]],
        "poly_last": round(float(poly_v), 6),
        "loss": round(float(l), 6),
        "w": [round(float(v), 6) for v in w_v[:, 0]],
        "b": round(float(b_v), 6),
        "global_step": int(step),
    }))


if __name__ == '__main__':
    main()
