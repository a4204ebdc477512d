"""A two-tower functional model: two inputs, one shared Dense tower, concatenation and two
output heads (functional API: several inputs and outputs, shared layers)."""

import json

import tensorflow as tf
from tensorflow.keras import layers


def build_two_tower(hidden=16):
    query = tf.keras.Input(shape=(12,), name="query")
    item = tf.keras.Input(shape=(12,), name="item")
    tower = layers.Dense(hidden, activation="tanh", name="tower")
    q = tower(query)
    d = tower(item)
    joint = layers.Concatenate()([q, d])
    joint = layers.Dense(8, activation="relu")(joint)
    score = layers.Dense(1, activation="sigmoid", name="score")(joint)
    logits = layers.Dense(3, name="category")(joint)
    return tf.keras.Model(inputs=[query, item], outputs=[score, logits])


def main():
    tf.random.set_seed(0)
    model = build_two_tower()
    q = tf.random.normal((4, 12))
    d = tf.random.normal((4, 12))
    score, logits = model([q, d])
    print("RESULT", json.dumps({"score": list(score.shape), "logits": list(logits.shape)}))


if __name__ == "__main__":
    main()
