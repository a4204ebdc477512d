"""A token-mixing block: Permute swaps the step and feature axes, Dense mixes across
steps, a hard_sigmoid gate; Multiply/Subtract/Average/Maximum merge the branches and
Reshape folds the result."""

import json

import tensorflow as tf
from tensorflow.keras import layers


def build_mixer(steps=6, features=4):
    inputs = tf.keras.Input(shape=(steps, features))
    t = layers.Permute((2, 1))(inputs)
    t = layers.Dense(steps, activation="gelu")(t)
    t = layers.Permute((2, 1))(t)
    gate = layers.Dense(features, activation="hard_sigmoid")(inputs)
    mixed = layers.Multiply()([t, gate])
    diff = layers.Subtract()([inputs, mixed])
    merged = layers.Average()([diff, layers.Maximum()([inputs, mixed])])
    flat = layers.Reshape((-1,))(merged)
    outputs = layers.Dense(2)(flat)
    return tf.keras.Model(inputs, outputs)


def main():
    tf.random.set_seed(0)
    model = build_mixer()
    x = tf.random.normal((3, 6, 4))
    print("RESULT", json.dumps({"shape": list(model(x).shape)}))


if __name__ == "__main__":
    main()
