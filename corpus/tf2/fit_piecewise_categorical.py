"""compile/fit with one-hot targets, a piecewise-constant learning rate and a metric object."""

import json

import numpy as np
import tensorflow as tf


def build_model():
    return tf.keras.Sequential(
        [
            tf.keras.Input(shape=(5,)),
            tf.keras.layers.Dense(12, activation="elu"),
            tf.keras.layers.Dense(4),
        ]
    )


def train(model, x, y, epochs=3):
    model.compile(
        optimizer=tf.keras.optimizers.SGD(
            learning_rate=tf.keras.optimizers.schedules.PiecewiseConstantDecay([2, 4], [0.1, 0.05, 0.01])
        ),
        loss=tf.keras.losses.CategoricalCrossentropy(from_logits=True),
        metrics=[tf.keras.metrics.CategoricalAccuracy()],
    )
    history = model.fit(x, y, batch_size=12, epochs=epochs, shuffle=False, verbose=0)
    return (history.history,)


def make_data(n, seed):
    rng = np.random.RandomState(seed)
    x = rng.normal(size=(n, 5)).astype("float32")
    labels = np.argmax(x[:, :4], axis=1)
    return x, np.eye(4, dtype="float32")[labels]


def main():
    tf.keras.utils.set_random_seed(0)
    x, y = make_data(36, 0)
    (history,) = train(build_model(), x, y)
    print("RESULT", json.dumps({"epochs": len(history["loss"]), "metrics": sorted(history)}))


if __name__ == "__main__":
    main()
