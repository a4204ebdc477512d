"""Hand-rolled SGD with momentum: tf.gradients, tf.assign / assign_sub, tf.group
and tf.control_dependencies, no tf.train optimizer at all."""
import json

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()


def main():
    np.random.seed(0)
    tf.set_random_seed(0)
    x_np = np.random.randn(8, 4).astype(np.float32)
    y_np = np.sin(x_np.sum(axis=1, keepdims=True)).astype(np.float32)
    w1_init = (0.3 * np.random.randn(4, 8)).astype(np.float32)
    w2_init = (0.3 * np.random.randn(8, 1)).astype(np.float32)

    x = tf.placeholder(tf.float32, [None, 4])
    y = tf.placeholder(tf.float32, [None, 1])
    w1 = tf.Variable(w1_init, name='w1')
    w2 = tf.Variable(w2_init, name='w2')
    params = [w1, w2]
    velocities = [tf.Variable(tf.zeros_like(p.initialized_value()), trainable=False)
                  for p in params]
    step = tf.Variable(0, trainable=False, name='step')

    hidden = tf.tanh(tf.matmul(x, w1))
    pred = tf.matmul(hidden, w2)
    mse = tf.reduce_mean(tf.square(pred - y))
    reg = tf.add_n([tf.reduce_sum(tf.square(p)) for p in params]) * 1e-3
    loss = tf.identity(mse + reg, name='loss')

    grads = tf.gradients(loss, params)
    lr, momentum = 0.1, 0.9
    updates = []
    for p, v, g in zip(params, velocities, grads):
        new_v = tf.assign(v, momentum * v + g)
        with tf.control_dependencies([new_v]):
            updates.append(tf.assign_sub(p, lr * new_v))
    with tf.control_dependencies(updates):
        inc = tf.assign_add(step, 1)
    train_op = tf.group(*(updates + [inc]), name='train')

    grad_norm = tf.sqrt(tf.add_n([tf.reduce_sum(tf.square(g)) for g in grads]))

    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        g0 = sess.run(grad_norm, {x: x_np, y: y_np})
        for _ in range(15):
            sess.run(train_op, {x: x_np, y: y_np})
        final_loss, gn, s, w2_val = sess.run([loss, grad_norm, step, w2], {x: x_np, y: y_np})
    print("RESULT " + json.dumps({
        "initial_grad_norm": round(float(g0), 6),
        "final_grad_norm": round(float(gn), 6),
        "loss": round(float(final_loss), 6),
        "steps": int(s),
        "w2": [round(float(v), 6) for v in w2_val[:5, 0]],
    }))


if __name__ == '__main__':
    main()
