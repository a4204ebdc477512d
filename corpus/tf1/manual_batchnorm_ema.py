"""Batch normalization written by hand: tf.nn.moments, an
ExponentialMovingAverage of the batch statistics, tf.cond between the batch and
the averaged statistics, tf.nn.batch_normalization."""
import json

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()


def batch_norm(x, n_out, phase_train, scope='bn'):
    with tf.variable_scope(scope):
        beta = tf.Variable(tf.constant(0.0, shape=[n_out]), name='beta', trainable=True)
        gamma = tf.Variable(tf.constant(1.0, shape=[n_out]), name='gamma', trainable=True)
        batch_mean, batch_var = tf.nn.moments(x, [0], name='moments')
        ema = tf.train.ExponentialMovingAverage(decay=0.5)

        def mean_var_with_update():
            ema_apply_op = ema.apply([batch_mean, batch_var])
            with tf.control_dependencies([ema_apply_op]):
                return tf.identity(batch_mean), tf.identity(batch_var)

        mean, var = tf.cond(phase_train, mean_var_with_update,
                            lambda: (ema.average(batch_mean), ema.average(batch_var)))
        normed = tf.nn.batch_normalization(x, mean, var, beta, gamma, 1e-3)
    return normed, ema.average(batch_mean)


def main():
    np.random.seed(0)
    tf.set_random_seed(0)
    x_np = (np.random.randn(8, 5) * 3.0 + 1.0).astype(np.float32)
    y_np = (x_np[:, 0] > 1.0).astype(np.float32).reshape(-1, 1)
    w_np = (0.1 * np.random.randn(5, 1)).astype(np.float32)

    x = tf.placeholder(tf.float32, [None, 5])
    y = tf.placeholder(tf.float32, [None, 1])
    phase_train = tf.placeholder(tf.bool, name='phase_train')
    h, avg_mean = batch_norm(x, 5, phase_train)
    w = tf.Variable(w_np)
    logits = tf.matmul(h, w)
    loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits))
    train_op = tf.train.GradientDescentOptimizer(0.5).minimize(loss)

    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(10):
            sess.run(train_op, {x: x_np, y: y_np, phase_train: True})
        train_loss = sess.run(loss, {x: x_np, y: y_np, phase_train: True})
        eval_loss, mean_val, h_eval = sess.run([loss, avg_mean, h],
                                               {x: x_np, y: y_np, phase_train: False})
    print("RESULT " + json.dumps({
        "train_loss": round(float(train_loss), 6),
        "eval_loss": round(float(eval_loss), 6),
        "ema_mean": [round(float(v), 6) for v in mean_val],
        "h_eval0": [round(float(v), 6) for v in h_eval[0]],
    }))


if __name__ == '__main__':
    main()
