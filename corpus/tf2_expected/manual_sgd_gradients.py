"""Hand-rolled SGD with momentum: tf.gradients, tf.assign / assign_sub, tf.group
and tf.control_dependencies, no tf.train optimizer at all."""
import json

import numpy as np
import tensorflow as tf


def main():
    np.random.seed(0)
    tf.random.set_seed(0)
    x_np = np.random.randn(8, 4).astype(np.float32)
    y_np = np.sin(x_np.sum(axis=1, keepdims=True)).astype(np.float32)
    w1_init = (0.3 * np.random.randn(4, 8)).astype(np.float32)
    w2_init = (0.3 * np.random.randn(8, 1)).astype(np.float32)

    w1 = tf.Variable(w1_init, name='w1')
    w2 = tf.Variable(w2_init, name='w2')
    params = [w1, w2]
    velocities = [tf.Variable(tf.zeros_like(p), trainable=False)
                  for p in params]
    step = tf.Variable(0, trainable=False, name='step')

    lr, momentum = 0.1, 0.9

    def forward(x, y):
        with tf.GradientTape() as tape:
            hidden = tf.tanh(tf.matmul(x, w1))
            pred = tf.matmul(hidden, w2)
            mse = tf.reduce_mean(tf.square(pred - y))
            reg = tf.add_n([tf.reduce_sum(tf.square(p)) for p in params]) * 1e-3
            loss = tf.identity(mse + reg, name='loss')
        grads = tape.gradient(loss, params)
        return loss, grads

    @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32), tf.TensorSpec([None, 1], tf.float32)])
    def compute_grad_norm(x, y):
        loss, grads = forward(x, y)
        return tf.sqrt(tf.add_n([tf.reduce_sum(tf.square(g)) for g in grads]))

    @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32), tf.TensorSpec([None, 1], tf.float32)])
    def train_step(x, y):
        loss, grads = forward(x, y)
        updates = []
        for p, v, g in zip(params, velocities, grads):
            new_v = v.assign(momentum * v + g)
            with tf.control_dependencies([new_v]):
                updates.append(p.assign_sub(lr * new_v))
        with tf.control_dependencies(updates):
            inc = step.assign_add(1)

    @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32), tf.TensorSpec([None, 1], tf.float32)])
    def compute_loss_grad_norm_step_w2(x, y):
        loss, grads = forward(x, y)
        grad_norm = tf.sqrt(tf.add_n([tf.reduce_sum(tf.square(g)) for g in grads]))
        return loss, grad_norm, step, w2

    g0 = compute_grad_norm(x_np, y_np).numpy()
    for _ in range(15):
        train_step(x_np, y_np)
    final_loss, gn, s, w2_val = [t.numpy() for t in compute_loss_grad_norm_step_w2(x_np, y_np)]
    print("RESULT " + json.dumps({
        "initial_grad_norm": round(float(g0), 6),
        "final_grad_norm": round(float(gn), 6),
        "loss": round(float(final_loss), 6),
        "steps": int(s),
        "w2": [round(float(v), 6) for v in w2_val[:5, 0]],
    }))


if __name__ == '__main__':
    main()
