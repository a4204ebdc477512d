"""A TF1 script as tf_upgrade_v2 leaves it: `import tensorflow as tf` with every
TF1 symbol spelled tf.compat.v1.X (the rewriter folds compat.v1 away).
Logistic regression with sigmoid cross entropy and L2 penalty."""
import json

import numpy as np
import tensorflow as tf

tf.compat.v1.disable_eager_execution()


def main():
    tf.compat.v1.set_random_seed(0)
    np.random.seed(0)
    x_np = np.random.randn(8, 3).astype(np.float32)
    y_np = (x_np @ np.array([1.0, -1.0, 0.5], np.float32) > 0).astype(np.float32)[:, None]

    x = tf.compat.v1.placeholder(tf.float32, shape=[None, 3], name="x")
    y = tf.compat.v1.placeholder(tf.float32, shape=[None, 1], name="y")
    with tf.compat.v1.variable_scope("logistic"):
        w = tf.compat.v1.get_variable(
            "w", [3, 1], initializer=tf.compat.v1.truncated_normal_initializer(stddev=0.1))
        b = tf.compat.v1.get_variable("b", [1], initializer=tf.compat.v1.zeros_initializer())
    logits = tf.matmul(x, w) + b
    loss = tf.reduce_mean(
        input_tensor=tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits))
    loss += 0.01 * tf.nn.l2_loss(w)
    train_op = tf.compat.v1.train.GradientDescentOptimizer(0.5).minimize(loss)
    pred = tf.cast(tf.greater(tf.sigmoid(logits), 0.5), tf.float32)
    acc = tf.reduce_mean(input_tensor=tf.cast(tf.equal(pred, y), tf.float32))

    with tf.compat.v1.Session() as sess:
        sess.run(tf.compat.v1.global_variables_initializer())
        for _ in range(20):
            sess.run(train_op, feed_dict={x: x_np, y: y_np})
        l, a, w_v = sess.run([loss, acc, w], feed_dict={x: x_np, y: y_np})
    print("RESULT " + json.dumps({
        "loss": round(float(l), 6),
        "accuracy": round(float(a), 6),
        "w": [round(float(v), 6) for v in w_v[:, 0]],
    }))


if __name__ == "__main__":
    main()
