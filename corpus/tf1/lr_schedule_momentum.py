"""Learning-rate schedules driven by the global step: exponential_decay
(staircase), piecewise_constant and polynomial_decay, with a Nesterov
MomentumOptimizer; the schedule values are fetched at every step."""
import json

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()


def main():
    tf.set_random_seed(0)
    np.random.seed(0)
    x_np = np.random.randn(8, 2).astype(np.float32)
    y_np = (x_np[:, :1] * 2.0 - x_np[:, 1:] + 0.5).astype(np.float32)

    global_step = tf.train.get_or_create_global_step()
    exp_lr = tf.train.exponential_decay(0.1, global_step, decay_steps=4,
                                        decay_rate=0.5, staircase=True)
    pw_lr = tf.train.piecewise_constant(tf.cast(global_step, tf.int32), [5, 10],
                                        [0.1, 0.05, 0.01])
    poly_lr = tf.train.polynomial_decay(0.1, global_step, 20, end_learning_rate=0.001,
                                        power=2.0)
    lr = tf.minimum(exp_lr, pw_lr)

    x = tf.placeholder(tf.float32, [None, 2])
    y = tf.placeholder(tf.float32, [None, 1])
    w = tf.get_variable('w', [2, 1], initializer=tf.constant_initializer(0.0))
    b = tf.get_variable('b', [], initializer=tf.constant_initializer(0.0))
    loss = tf.reduce_mean(tf.squared_difference(tf.matmul(x, w) + b, y))
    optimizer = tf.train.MomentumOptimizer(learning_rate=lr, momentum=0.9,
                                           use_nesterov=True)
    train_op = optimizer.minimize(loss, global_step=global_step)

    lrs = []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(20):
            lr_v, poly_v, _ = sess.run([lr, poly_lr, train_op], {x: x_np, y: y_np})
            lrs.append(lr_v)
        l, w_v, b_v, step = sess.run([loss, w, b, global_step], {x: x_np, y: y_np})
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
