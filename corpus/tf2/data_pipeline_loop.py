"""A tf.data input pipeline (map, shuffle, batch, prefetch) feeding a custom training loop."""

import json

import numpy as np
import tensorflow as tf

model = tf.keras.Sequential(
    [
        tf.keras.Input(shape=(3,)),
        tf.keras.layers.Dense(6, activation="relu"),
        tf.keras.layers.Dense(1),
    ]
)
optimizer = tf.keras.optimizers.SGD(learning_rate=0.1)
loss_fn = tf.keras.losses.MeanAbsoluteError()


def scale(features, target):
    return features / 4.0, target * 2.0


def make_pipeline(features, targets, batch_size):
    dataset = tf.data.Dataset.from_tensor_slices((features, targets))
    dataset = dataset.map(scale).shuffle(64, seed=7).batch(batch_size).prefetch(tf.data.AUTOTUNE)
    return dataset


def make_eval_pipeline(features, targets, batch_size):
    return tf.data.Dataset.from_tensor_slices((features, targets)).map(scale).batch(batch_size, drop_remainder=True)


def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss


def make_data(n, seed):
    rng = np.random.RandomState(seed)
    x = rng.uniform(0, 4, size=(n, 3)).astype("float32")
    return x, x[:, :1] - x[:, 1:2] * 0.5


def main():
    x, y = make_data(40, 0)
    losses = []
    for _ in range(2):
        for xb, yb in make_pipeline(x, y, 8):
            losses.append(float(train_step(xb, yb)))
    batches = sum(1 for _ in make_eval_pipeline(x, y, 16))
    print("RESULT", json.dumps({"steps": len(losses), "eval_batches": batches}))


if __name__ == "__main__":
    main()
