"""compile/fit on a regression: string loss, a Nesterov SGD created first, an MAE metric."""

import json

import numpy as np
import tensorflow as tf


def build_model():
    return tf.keras.Sequential(
        [
            tf.keras.Input(shape=(4,)),
            tf.keras.layers.Dense(8, activation="tanh"),
            tf.keras.layers.Dense(1),
        ]
    )


def train(model, x, y, epochs=4):
    sgd = tf.keras.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True)
    model.compile(optimizer=sgd, loss="mse", metrics=["mae"])
    history = model.fit(x, y, batch_size=8, epochs=epochs, shuffle=False, verbose=0)
    mse, mae = model.evaluate(x, y, verbose=0)
    return history.history, mse, mae


def make_data(n, seed):
    rng = np.random.RandomState(seed)
    x = rng.uniform(-1, 1, size=(n, 4)).astype("float32")
    y = (x @ np.array([[0.5], [-1.0], [2.0], [0.1]], dtype="float32")).astype("float32")
    return x, y


def main():
    tf.keras.utils.set_random_seed(0)
    x, y = make_data(32, 0)
    history, mse, mae = train(build_model(), x, y)
    print("RESULT", json.dumps({"epochs": len(history["loss"]), "improved": bool(history["loss"][-1] < history["loss"][0])}))


if __name__ == "__main__":
    main()
