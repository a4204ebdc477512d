"""Siamese network: one variable_scope tower function shared with reuse=True.

get_variable with truncated_normal / constant / zeros initializers, contrastive
loss, and a second helper that uses tf.AUTO_REUSE.
"""
import json

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()


def fc_layer(bottom, n_out, name):
    n_in = bottom.get_shape()[-1].value
    with tf.variable_scope(name):
        W = tf.get_variable('W', [n_in, n_out], dtype=tf.float32,
                            initializer=tf.truncated_normal_initializer(stddev=0.1))
        b = tf.get_variable('b', [n_out], dtype=tf.float32,
                            initializer=tf.constant_initializer(0.01))
        return tf.nn.bias_add(tf.matmul(bottom, W), b)


def tower(x, reuse=False):
    with tf.variable_scope('siamese', reuse=reuse):
        h = tf.nn.relu(fc_layer(x, 16, 'fc1'))
        h = tf.nn.relu(fc_layer(h, 16, 'fc2'))
        return fc_layer(h, 4, 'fc3')


def scale_shift(x):
    # called twice; AUTO_REUSE creates the variables on the first call only
    with tf.variable_scope('norm', reuse=tf.AUTO_REUSE):
        gamma = tf.get_variable('gamma', [x.get_shape()[-1]],
                                initializer=tf.ones_initializer())
        beta = tf.get_variable('beta', [x.get_shape()[-1]],
                               initializer=tf.zeros_initializer())
    return x * gamma + beta


def contrastive_loss(o1, o2, y, margin=1.0):
    d2 = tf.reduce_sum(tf.pow(o1 - o2, 2), 1)
    d = tf.sqrt(d2 + 1e-6)
    pos = y * tf.square(d)
    neg = (1.0 - y) * tf.square(tf.maximum(margin - d, 0.0))
    return tf.reduce_mean(pos + neg) / 2.0


def main():
    tf.set_random_seed(0)
    np.random.seed(0)
    a = np.random.randn(8, 6).astype(np.float32)
    b = a + 0.1 * np.random.randn(8, 6).astype(np.float32)
    b[4:] = np.random.randn(4, 6)
    same = np.array([1, 1, 1, 1, 0, 0, 0, 0], dtype=np.float32)

    x1 = tf.placeholder(tf.float32, [None, 6])
    x2 = tf.placeholder(tf.float32, [None, 6])
    y = tf.placeholder(tf.float32, [None])

    o1 = scale_shift(tower(x1))
    o2 = scale_shift(tower(x2, reuse=True))
    loss = contrastive_loss(o1, o2, y)
    train_step = tf.train.GradientDescentOptimizer(0.05).minimize(loss)

    var_names = [v.name for v in tf.trainable_variables()]
    print('\n'.join(var_names))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for i in range(20):
            _, l = sess.run([train_step, loss], {x1: a, x2: b, y: same})
        final, emb = sess.run([loss, o1], {x1: a, x2: b, y: same})
    print("RESULT " + json.dumps({
        "loss": round(float(final), 6),
        "emb0": [round(float(v), 6) for v in emb[0]],
        "num_trainable": len(var_names),
    }))


if __name__ == '__main__':
    main()
