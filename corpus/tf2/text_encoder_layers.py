"""A small text encoder written with `from tensorflow import keras` and
`from tensorflow.keras import layers`: a custom residual layer inside a Sequential."""

import json

import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


class FeedForward(layers.Layer):
    """Post-norm residual feed-forward block over (batch, steps, 32) features."""

    def __init__(self, hidden=64, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.up = layers.Dense(hidden, activation="gelu")
        self.down = layers.Dense(32)
        self.drop = layers.Dropout(rate)
        self.norm = layers.LayerNormalization(epsilon=1e-6)

    def call(self, x, training=False):
        h = self.down(self.up(x))
        h = self.drop(h, training=training)
        return self.norm(x + h)


def build_encoder(vocab_size=100):
    return keras.Sequential(
        [
            layers.Embedding(vocab_size, 32),
            FeedForward(),
            layers.GlobalAveragePooling1D(),
            layers.Dense(4, activation="sigmoid"),
        ]
    )


def encode(model, tokens):
    scores = model(tokens, training=False)
    return tf.reduce_max(scores, axis=-1)


def main():
    tf.random.set_seed(0)
    model = build_encoder()
    tokens = tf.random.uniform((2, 7), maxval=100, dtype=tf.int32)
    print("RESULT", json.dumps({"shape": list(encode(model, tokens).shape)}))


if __name__ == "__main__":
    main()
