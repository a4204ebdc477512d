"""A custom loop: Huber loss, Adagrad whose learning rate follows a CosineDecay given inline."""

import json

import numpy as np
import tensorflow as tf

model = tf.keras.Sequential(
    [
        tf.keras.Input(shape=(4,)),
        tf.keras.layers.Dense(8, activation="sigmoid"),
        tf.keras.layers.Dense(1),
    ]
)
optimizer = tf.keras.optimizers.Adagrad(learning_rate=tf.keras.optimizers.schedules.CosineDecay(0.05, decay_steps=4, alpha=0.1))
huber = tf.keras.losses.Huber(delta=0.5)


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = huber(y, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss


def make_data(n, seed):
    rng = np.random.RandomState(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, (2.0 * x[:, :1] - x[:, 1:2]).astype("float32")


def main():
    x, y = (tf.constant(a) for a in make_data(24, 0))
    losses = [float(train_step(x, y)) for _ in range(6)]
    print("RESULT", json.dumps({"steps": len(losses)}))


if __name__ == "__main__":
    main()
