"""Softmax regression with the hand-written cross entropy of the early tutorials:
-reduce_sum(y_ * tf.log(tf.clip_by_value(y, 1e-10, 1.0)), reduction_indices=[1])."""
import json

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()

N_FEATURES = 6
N_CLASSES = 3


def main():
    np.random.seed(0)
    tf.set_random_seed(0)
    xs = np.random.randn(8, N_FEATURES).astype(np.float32)
    ys = np.eye(N_CLASSES, dtype=np.float32)[np.arange(8) % N_CLASSES]

    x = tf.placeholder("float", [None, N_FEATURES])
    W = tf.Variable(tf.zeros([N_FEATURES, N_CLASSES]))
    b = tf.Variable(tf.zeros([N_CLASSES]))
    y = tf.nn.softmax(tf.matmul(x, W) + b)
    y_ = tf.placeholder("float", [None, N_CLASSES])

    cross_entropy = tf.reduce_mean(
        -tf.reduce_sum(y_ * tf.log(tf.clip_by_value(y, 1e-10, 1.0)), reduction_indices=[1]))
    # keep_dims= was the pre-1.5 spelling of keepdims=
    row_sums = tf.reduce_sum(y, 1, keep_dims=True)
    train_step = tf.train.GradientDescentOptimizer(0.5).minimize(cross_entropy)

    correct_prediction = tf.equal(tf.argmax(y, 1), tf.argmax(y_, 1))
    accuracy = tf.reduce_mean(tf.cast(correct_prediction, "float"))

    init = tf.global_variables_initializer()
    sess = tf.Session()
    sess.run(init)
    for i in range(20):
        sess.run(train_step, feed_dict={x: xs, y_: ys})
    ce, acc, sums, probs = sess.run([cross_entropy, accuracy, row_sums, y],
                                    feed_dict={x: xs, y_: ys})
    sess.close()
    print("RESULT " + json.dumps({
        "cross_entropy": round(float(ce), 6),
        "accuracy": round(float(acc), 6),
        "row_sum0": round(float(sums[0, 0]), 6),
        "probs1": [round(float(v), 6) for v in probs[1]],
    }))


if __name__ == "__main__":
    main()
