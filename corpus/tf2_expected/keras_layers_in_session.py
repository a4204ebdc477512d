"""tf.keras layers used as graph building blocks inside a TF1 Session:
a tf.keras.Sequential of tf.keras.layers.Dense applied to a placeholder and
trained with a tf.train optimizer over model.trainable_weights."""
import json

import numpy as np
import tensorflow as tf


def main():
    tf.random.set_seed(0)
    np.random.seed(0)
    x_np = np.random.randn(8, 5).astype(np.float32)
    y_np = (x_np[:, :1] - x_np[:, 1:2] > 0).astype(np.float32)

    model = tf.keras.Sequential([
        tf.keras.layers.Dense(16, activation='relu', input_shape=(5,)),
        tf.keras.layers.Dense(8, activation=tf.nn.tanh),
        tf.keras.layers.Dense(1),
    ])
    head = tf.keras.layers.Dense(1, use_bias=False, kernel_initializer='ones')

    optimizer = tf.keras.optimizers.Adam(learning_rate=0.01, epsilon=1e-08)

    @tf.function(input_signature=[tf.TensorSpec([None, 5], tf.float32), tf.TensorSpec([None, 1], tf.float32)])
    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits = head(model(x))
            loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits))
        variables = model.trainable_weights
        gradients = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(gradients, variables))

    @tf.function(input_signature=[tf.TensorSpec([None, 5], tf.float32), tf.TensorSpec([None, 1], tf.float32)])
    def compute_loss_probs(x, y):
        logits = head(model(x))
        loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits))
        probs = tf.sigmoid(logits)
        return loss, probs

    for _ in range(20):
        train_step(x_np, y_np)
    final_loss, p = [t.numpy() for t in compute_loss_probs(x_np, y_np)]
    n_params = int(sum(np.prod(list(w.shape)) for w in model.trainable_weights))
    print("RESULT " + json.dumps({
        "loss": round(float(final_loss), 6),
        "probs": [round(float(v), 6) for v in p[:5, 0]],
        "n_params": n_params,
    }))


if __name__ == '__main__':
    main()
