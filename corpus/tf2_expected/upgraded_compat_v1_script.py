"""A TF1 script as tf_upgrade_v2 leaves it: `import tensorflow as tf` with every
TF1 symbol spelled tf.compat.v1.X (the rewriter folds compat.v1 away).
Logistic regression with sigmoid cross entropy and L2 penalty."""
import json

import numpy as np
import tensorflow as tf


def main():
    tf.random.set_seed(0)
    np.random.seed(0)
    x_np = np.random.randn(8, 3).astype(np.float32)
    y_np = (x_np @ np.array([1.0, -1.0, 0.5], np.float32) > 0).astype(np.float32)[:, None]

    w = tf.Variable(tf.random.truncated_normal([3, 1], stddev=0.1), name="logistic/w")
    b = tf.Variable(tf.zeros([1]), name="logistic/b")
    optimizer = tf.keras.optimizers.SGD(learning_rate=0.5)

    def forward(x, y):
        logits = tf.matmul(x, w) + b
        loss = tf.reduce_mean(
            input_tensor=tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits))
        loss += 0.01 * tf.nn.l2_loss(w)
        return logits, loss

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32), tf.TensorSpec([None, 1], tf.float32)])
    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits, loss = forward(x, y)
        variables = tape.watched_variables()
        gradients = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(gradients, variables))

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32), tf.TensorSpec([None, 1], tf.float32)])
    def compute_loss_acc_w(x, y):
        logits, loss = forward(x, y)
        pred = tf.cast(tf.greater(tf.sigmoid(logits), 0.5), tf.float32)
        acc = tf.reduce_mean(input_tensor=tf.cast(tf.equal(pred, y), tf.float32))
        return loss, acc, w

    for _ in range(20):
        train_step(x_np, y_np)
    l, a, w_v = [t.numpy() for t in compute_loss_acc_w(x_np, y_np)]
    print("RESULT " + json.dumps({
        "loss": round(float(l), 6),
        "accuracy": round(float(a), 6),
        "w": [round(float(v), 6) for v in w_v[:, 0]],
    }))


if __name__ == "__main__":
    main()
