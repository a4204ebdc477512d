"""Multi-tower ('multi-GPU') training pattern run on CPU devices: towers under
tf.device + name_scope sharing variables through variable_scope reuse,
gradients averaged with expand_dims/concat/reduce_mean, Session built from a
ConfigProto with allow_soft_placement and GPUOptions."""
import json

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()

NUM_TOWERS = 2
TOWER_BATCH = 4


def tower_loss(x, y):
    w = tf.get_variable('w', [3, 1], initializer=tf.random_normal_initializer(stddev=0.5))
    b = tf.get_variable('b', [1], initializer=tf.zeros_initializer())
    pred = tf.matmul(x, w) + b
    return tf.reduce_mean(tf.square(pred - y))


def average_gradients(tower_grads):
    average_grads = []
    for grad_and_vars in zip(*tower_grads):
        grads = []
        for g, _ in grad_and_vars:
            expanded_g = tf.expand_dims(g, 0)
            grads.append(expanded_g)
        grad = tf.concat(axis=0, values=grads)
        grad = tf.reduce_mean(grad, 0)
        v = grad_and_vars[0][1]
        average_grads.append((grad, v))
    return average_grads


def main():
    tf.set_random_seed(0)
    np.random.seed(0)
    x_np = np.random.randn(NUM_TOWERS * TOWER_BATCH, 3).astype(np.float32)
    y_np = x_np.dot(np.array([[0.5], [-1.0], [2.0]], np.float32)) - 1.0

    with tf.Graph().as_default(), tf.device('/cpu:0'):
        tf.set_random_seed(0)
        x = tf.placeholder(tf.float32, [NUM_TOWERS * TOWER_BATCH, 3])
        y = tf.placeholder(tf.float32, [NUM_TOWERS * TOWER_BATCH, 1])
        x_splits = tf.split(x, NUM_TOWERS)
        y_splits = tf.split(y, NUM_TOWERS)
        opt = tf.train.GradientDescentOptimizer(0.1)
        tower_grads, losses = [], []
        with tf.variable_scope(tf.get_variable_scope()):
            for i in range(NUM_TOWERS):
                with tf.device('/cpu:0'):
                    with tf.name_scope('tower_%d' % i) as scope:
                        loss = tower_loss(x_splits[i], y_splits[i])
                        tf.get_variable_scope().reuse_variables()
                        grads = opt.compute_gradients(loss)
                        tower_grads.append(grads)
                        losses.append(loss)
        grads = average_gradients(tower_grads)
        train_op = opt.apply_gradients(grads)
        mean_loss = tf.reduce_mean(tf.stack(losses))
        init = tf.global_variables_initializer()

        config = tf.ConfigProto(allow_soft_placement=True, log_device_placement=False,
                                gpu_options=tf.GPUOptions(allow_growth=True))
        sess = tf.Session(config=config)
        sess.run(init)
        for step in range(20):
            _, l = sess.run([train_op, mean_loss], {x: x_np, y: y_np})
        n_vars = len(tf.global_variables())
        w = sess.run(tf.global_variables()[0])
        sess.close()
    print("RESULT " + json.dumps({
        "loss": round(float(l), 6),
        "w": [round(float(v), 6) for v in w[:, 0]],
        "num_variables": n_vars,
        "last_scope": scope,
    }))


if __name__ == '__main__':
    main()
