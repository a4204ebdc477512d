"""compile/fit with string optimizer and loss: binary cross-entropy on sigmoid probabilities."""

import json

import numpy as np
import tensorflow as tf


def build_model():
    return tf.keras.Sequential(
        [
            tf.keras.Input(shape=(5,)),
            tf.keras.layers.Dense(8, activation="relu"),
            tf.keras.layers.Dense(1, activation="sigmoid"),
        ]
    )


def train(model, x, y, epochs=2):
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=10, epochs=epochs, shuffle=False, verbose=0)
    loss, accuracy = model.evaluate(x, y, batch_size=10, verbose=0)
    return history.history, loss, accuracy


def make_data(n, seed):
    rng = np.random.RandomState(seed)
    x = rng.normal(size=(n, 5)).astype("float32")
    y = (x.sum(axis=1, keepdims=True) > 0).astype("float32")
    return x, y


def main():
    tf.keras.utils.set_random_seed(0)
    x, y = make_data(40, 0)
    history, loss, accuracy = train(build_model(), x, y)
    print("RESULT", json.dumps({"epochs": len(history["loss"]), "accuracy_in_range": 0.0 <= accuracy <= 1.0}))


if __name__ == "__main__":
    main()
