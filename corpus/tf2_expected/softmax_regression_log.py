"""Softmax regression with the hand-written cross entropy of the early tutorials:
-reduce_sum(y_ * tf.log(tf.clip_by_value(y, 1e-10, 1.0)), reduction_indices=[1])."""
import json

import numpy as np
import tensorflow as tf

N_FEATURES = 6
N_CLASSES = 3


def main():
    np.random.seed(0)
    tf.random.set_seed(0)
    xs = np.random.randn(8, N_FEATURES).astype(np.float32)
    ys = np.eye(N_CLASSES, dtype=np.float32)[np.arange(8) % N_CLASSES]

    W = tf.Variable(tf.zeros([N_FEATURES, N_CLASSES]))
    b = tf.Variable(tf.zeros([N_CLASSES]))

    optimizer = tf.keras.optimizers.SGD(learning_rate=0.5)

    @tf.function(input_signature=[tf.TensorSpec([None, N_FEATURES], "float"), tf.TensorSpec([None, N_CLASSES], "float")])
    def train_step(x, y_):
        with tf.GradientTape() as tape:
            y = tf.nn.softmax(tf.matmul(x, W) + b)
            cross_entropy = tf.reduce_mean(
                -tf.reduce_sum(y_ * tf.math.log(tf.clip_by_value(y, 1e-10, 1.0)), axis=[1]))
        variables = tape.watched_variables()
        gradients = tape.gradient(cross_entropy, variables)
        optimizer.apply_gradients(zip(gradients, variables))

    @tf.function(input_signature=[tf.TensorSpec([None, N_FEATURES], "float"), tf.TensorSpec([None, N_CLASSES], "float")])
    def compute_cross_entropy_accuracy_row_sums_y(x, y_):
        y = tf.nn.softmax(tf.matmul(x, W) + b)
        cross_entropy = tf.reduce_mean(
            -tf.reduce_sum(y_ * tf.math.log(tf.clip_by_value(y, 1e-10, 1.0)), axis=[1]))
        # keep_dims= was the pre-1.5 spelling of keepdims=
        row_sums = tf.reduce_sum(y, 1, keepdims=True)
        correct_prediction = tf.equal(tf.argmax(y, 1), tf.argmax(y_, 1))
        accuracy = tf.reduce_mean(tf.cast(correct_prediction, "float"))
        return cross_entropy, accuracy, row_sums, y

    for i in range(20):
        train_step(xs, ys)
    ce, acc, sums, probs = [t.numpy() for t in compute_cross_entropy_accuracy_row_sums_y(xs, ys)]
    print("RESULT " + json.dumps({
        "cross_entropy": round(float(ce), 6),
        "accuracy": round(float(acc), 6),
        "row_sum0": round(float(sums[0, 0]), 6),
        "probs1": [round(float(v), 6) for v in probs[1]],
    }))


if __name__ == "__main__":
    main()
