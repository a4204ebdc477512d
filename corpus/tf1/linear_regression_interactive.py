"""Classic first TensorFlow program: fit y = 0.1 x + 0.3 with an InteractiveSession,
Tensor.eval() and tf.get_default_session()."""
import json

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()
tf.set_random_seed(0)
np.random.seed(0)

x_data = np.random.rand(8).astype(np.float32)
y_data = x_data * 0.1 + 0.3

W = tf.Variable(tf.random_uniform([1], -1.0, 1.0))
b = tf.Variable(tf.zeros([1]))
y = W * x_data + b

loss = tf.reduce_mean(tf.square(y - y_data))
optimizer = tf.train.GradientDescentOptimizer(0.5)
train = optimizer.minimize(loss)


def report(step):
    sess = tf.get_default_session()
    print(step, sess.run(W), sess.run(b))


def main():
    sess = tf.InteractiveSession()
    tf.global_variables_initializer().run()
    w0 = W.eval()
    for step in range(20):
        train.run()
        if step % 10 == 0:
            report(step)
    result = {
        "w_init": round(float(w0[0]), 6),
        "w": round(float(W.eval()[0]), 6),
        "b": round(float(b.eval()[0]), 6),
        "loss": round(float(loss.eval()), 6),
    }
    sess.close()
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
