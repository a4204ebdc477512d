"""Classic first TensorFlow program: fit y = 0.1 x + 0.3 with an InteractiveSession,
Tensor.eval() and tf.get_default_session()."""
import json

import numpy as np
import tensorflow as tf

tf.random.set_seed(0)
np.random.seed(0)

x_data = np.random.rand(8).astype(np.float32)
y_data = x_data * 0.1 + 0.3

W = tf.Variable(tf.random.uniform([1], -1.0, 1.0))
b = tf.Variable(tf.zeros([1]))

optimizer = tf.keras.optimizers.SGD(learning_rate=0.5)


@tf.function
def train_step():
    with tf.GradientTape() as tape:
        y = W * x_data + b
        loss = tf.reduce_mean(tf.square(y - y_data))
    variables = tape.watched_variables()
    gradients = tape.gradient(loss, variables)
    optimizer.apply_gradients(zip(gradients, variables))


@tf.function
def compute_loss():
    y = W * x_data + b
    return tf.reduce_mean(tf.square(y - y_data))


def report(step):
    print(step, W.numpy(), b.numpy())


def main():
    w0 = W.numpy()
    for step in range(20):
        train_step()
        if step % 10 == 0:
            report(step)
    result = {
        "w_init": round(float(w0[0]), 6),
        "w": round(float(W.numpy()[0]), 6),
        "b": round(float(b.numpy()[0]), 6),
        "loss": round(float(compute_loss().numpy()), 6),
    }
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
