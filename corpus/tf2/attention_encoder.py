"""A self-attention text encoder: Embedding, a GRU over every step, dot-product Attention
(query = value = the GRU states), a residual Add, average pooling over the steps and a
Dense classifier (functional API)."""

import json

import tensorflow as tf
from tensorflow.keras import layers


def build_attention_encoder(vocab_size=30, classes=2):
    tokens = tf.keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(vocab_size, 8)(tokens)
    states = layers.GRU(8, return_sequences=True)(x)
    context = layers.Attention()([states, states])
    x = layers.Add()([states, context])
    x = layers.GlobalAveragePooling1D()(x)
    logits = layers.Dense(classes)(x)
    return tf.keras.Model(tokens, logits)


def main():
    tf.random.set_seed(0)
    model = build_attention_encoder()
    tokens = tf.random.uniform((2, 6), maxval=30, dtype=tf.int32)
    print("RESULT", json.dumps({"shape": list(model(tokens).shape)}))


if __name__ == "__main__":
    main()
