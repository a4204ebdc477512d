"""Graph control flow: tf.cond on a boolean placeholder, tf.while_loop,
tf.where / logical_and masks, maximum/minimum/abs, in an explicit tf.Graph."""
import json

import numpy as np
import tensorflow as tf


def collatz_steps(n):
    def cond(i, k):
        return tf.greater(i, 1)

    def body(i, k):
        i = tf.cond(tf.equal(i % 2, 0), lambda: i // 2, lambda: 3 * i + 1)
        return i, k + 1

    _, steps = tf.while_loop(cond, body, [n, tf.constant(0)])
    return steps


def main():
    np.random.seed(0)
    values = np.random.randn(8).astype(np.float32)

    tf.random.set_seed(0)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32), tf.TensorSpec([], tf.bool)])
    def compute_transformed(x, use_square=False):
        return tf.cond(use_square, lambda: tf.square(x), lambda: tf.abs(x))

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def compute_banded_clipped_huber(x):
        in_band = tf.logical_and(tf.greater(x, -0.5), tf.less(x, 1.0))
        banded = tf.where(in_band, x, tf.zeros_like(x))
        clipped = tf.minimum(tf.maximum(x, -1.0), 1.0)
        huber = tf.where(tf.abs(x) < 1.0, 0.5 * tf.square(x), tf.abs(x) - 0.5)
        return banded, clipped, huber

    @tf.function(input_signature=[tf.TensorSpec([], tf.int32)])
    def compute_steps(n):
        return collatz_steps(n)

    t_abs = compute_transformed(values).numpy()
    t_sq = compute_transformed(values, use_square=True).numpy()
    b, c, h = [t.numpy() for t in compute_banded_clipped_huber(values)]
    s27 = compute_steps(27).numpy()
    print("RESULT " + json.dumps({
        "abs": [round(float(v), 6) for v in t_abs[:5]],
        "square": [round(float(v), 6) for v in t_sq[:5]],
        "banded": [round(float(v), 6) for v in b],
        "clipped_sum": round(float(c.sum()), 6),
        "huber_sum": round(float(h.sum()), 6),
        "collatz_27": int(s27),
    }))


if __name__ == '__main__':
    main()
