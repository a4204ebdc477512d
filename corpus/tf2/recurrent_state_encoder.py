"""An encoder that keeps the LSTM states (return_state) and a bidirectional GRU summary,
merged with Concatenate (functional API)."""

import json

import tensorflow as tf
from tensorflow.keras import layers


def build_encoder():
    series = tf.keras.Input(shape=(None, 3))
    seq, h, c = layers.LSTM(6, return_sequences=True, return_state=True)(series)
    summary = layers.Bidirectional(layers.GRU(4))(seq)
    state = layers.Concatenate(axis=-1)([h, c, summary])
    code = layers.Dense(5, activation="tanh")(state)
    return tf.keras.Model(series, code)


def main():
    tf.random.set_seed(0)
    model = build_encoder()
    series = tf.random.normal((2, 6, 3))
    print("RESULT", json.dumps({"shape": list(model(series).shape)}))


if __name__ == "__main__":
    main()
