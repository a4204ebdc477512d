"""A sequence regressor built with model.add(...): Conv1D with 'same' padding, pooling,
Flatten (channels-last order) and Dense."""

import json

import tensorflow as tf
from tensorflow.keras import layers


def build_regressor():
    model = tf.keras.Sequential(name="regressor")
    model.add(tf.keras.Input(shape=(12, 4)))
    model.add(layers.Conv1D(8, 3, padding="same", activation="relu"))
    model.add(layers.Conv1D(8, 3, strides=2, padding="same"))
    model.add(layers.MaxPooling1D(2))
    model.add(layers.Flatten())
    model.add(layers.Dense(2))
    return model


def main():
    tf.random.set_seed(0)
    model = build_regressor()
    series = tf.random.normal((3, 12, 4))
    print("RESULT", json.dumps({"shape": list(model(series).shape)}))


if __name__ == "__main__":
    main()
