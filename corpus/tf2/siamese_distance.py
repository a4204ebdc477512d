"""A siamese scorer: one Sequential encoder shared by two inputs inside a functional model,
the difference of the encodings (Subtract) scored by a Dense layer."""

import json

import tensorflow as tf
from tensorflow.keras import layers


def build_siamese():
    encoder = tf.keras.Sequential([tf.keras.Input(shape=(6,)), layers.Dense(4, activation="relu")])
    left = tf.keras.Input(shape=(6,))
    right = tf.keras.Input(shape=(6,))
    diff = layers.Subtract()([encoder(left), encoder(right)])
    score = layers.Dense(1)(diff)
    return tf.keras.Model([left, right], score)


def main():
    tf.random.set_seed(0)
    model = build_siamese()
    a = tf.random.normal((3, 6))
    b = tf.random.normal((3, 6))
    print("RESULT", json.dumps({"shape": list(model([a, b]).shape)}))


if __name__ == "__main__":
    main()
