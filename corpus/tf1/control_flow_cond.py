"""Graph control flow: tf.cond on a boolean placeholder, tf.while_loop,
tf.where / logical_and masks, maximum/minimum/abs, in an explicit tf.Graph."""
import json

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()


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

    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(0)
        x = tf.placeholder(tf.float32, [None], name='x')
        use_square = tf.placeholder_with_default(False, shape=[], name='use_square')
        n = tf.placeholder(tf.int32, [], name='n')

        transformed = tf.cond(use_square, lambda: tf.square(x), lambda: tf.abs(x))
        in_band = tf.logical_and(tf.greater(x, -0.5), tf.less(x, 1.0))
        banded = tf.where(in_band, x, tf.zeros_like(x))
        clipped = tf.minimum(tf.maximum(x, -1.0), 1.0)
        huber = tf.where(tf.abs(x) < 1.0, 0.5 * tf.square(x), tf.abs(x) - 0.5)
        steps = collatz_steps(n)

    with tf.Session(graph=g) as sess:
        t_abs = sess.run(transformed, {x: values})
        t_sq = sess.run(transformed, {x: values, use_square: True})
        b, c, h = sess.run([banded, clipped, huber], {x: values})
        s27 = sess.run(steps, {n: 27})
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
