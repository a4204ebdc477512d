"""A sequence tagger: Embedding, a Bidirectional LSTM over every step, LayerNormalization
and a per-step Dense (functional API)."""

import json

import tensorflow as tf
from tensorflow.keras import layers


def build_tagger(vocab_size=40, tags=5):
    tokens = tf.keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(vocab_size, 6)(tokens)
    x = layers.Bidirectional(layers.LSTM(5, return_sequences=True))(x)
    x = layers.LayerNormalization()(x)
    scores = layers.Dense(tags)(x)
    return tf.keras.Model(tokens, scores)


def main():
    tf.random.set_seed(0)
    model = build_tagger()
    tokens = tf.random.uniform((2, 9), maxval=40, dtype=tf.int32)
    print("RESULT", json.dumps({"shape": list(model(tokens).shape)}))


if __name__ == "__main__":
    main()
