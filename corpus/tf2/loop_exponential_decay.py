"""A custom training loop whose SGD learning rate follows a staircase ExponentialDecay."""

import json

import numpy as np
import tensorflow as tf


class TwoLayer(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = tf.keras.layers.Dense(10, activation="relu")
        self.out = tf.keras.layers.Dense(2)

    def call(self, x):
        return self.out(self.hidden(x))


model = TwoLayer()
schedule = tf.keras.optimizers.schedules.ExponentialDecay(0.2, decay_steps=2, decay_rate=0.5, staircase=True)
optimizer = tf.keras.optimizers.SGD(learning_rate=schedule)
loss_fn = tf.keras.losses.MeanSquaredError()


def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss


def make_data(n, seed):
    rng = np.random.RandomState(seed)
    x = rng.normal(size=(n, 3)).astype("float32")
    return x, np.stack([x.sum(axis=1), x[:, 0] * x[:, 1]], axis=1).astype("float32")


def main():
    x, y = (tf.constant(a) for a in make_data(16, 0))
    losses = [float(train_step(x, y)) for _ in range(6)]
    print("RESULT", json.dumps({"steps": len(losses), "decreased": losses[-1] < losses[0]}))


if __name__ == "__main__":
    main()
