"""A text classifier: Embedding, a stacked LSTM (return_sequences) and a GRU, Dense."""

import json

import tensorflow as tf
from tensorflow.keras import layers


def build_classifier(vocab_size=50, num_classes=3):
    return tf.keras.Sequential(
        [
            tf.keras.Input(shape=(None,), dtype="int32"),
            layers.Embedding(vocab_size, 8),
            layers.LSTM(12, return_sequences=True),
            layers.GRU(6),
            layers.Dense(num_classes, activation="softmax"),
        ]
    )


def main():
    tf.random.set_seed(0)
    model = build_classifier()
    tokens = tf.random.uniform((2, 7), maxval=50, dtype=tf.int32)
    print("RESULT", json.dumps({"shape": list(model(tokens).shape)}))


if __name__ == "__main__":
    main()
