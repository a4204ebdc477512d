"""compile/fit/evaluate/predict: a softmax classifier on logits with an accuracy metric."""

import json

import numpy as np
import tensorflow as tf


def build_model():
    return tf.keras.Sequential(
        [
            tf.keras.Input(shape=(6,)),
            tf.keras.layers.Dense(16, activation="relu"),
            tf.keras.layers.Dense(3),
        ]
    )


def train(model, x, y, x_val, y_val, epochs=3):
    model.compile(
        optimizer=tf.keras.optimizers.Adam(learning_rate=2e-4),
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    history = model.fit(x, y, batch_size=16, epochs=epochs, shuffle=False, validation_data=(x_val, y_val), verbose=0)
    scores = model.evaluate(x_val, y_val, batch_size=16, verbose=0)
    probs = model.predict(x_val, batch_size=16, verbose=0)
    return history.history, scores, probs


def make_data(n, seed):
    rng = np.random.RandomState(seed)
    x = rng.normal(size=(n, 6)).astype("float32")
    y = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0.5).astype("int64")
    return x, y


def main():
    tf.keras.utils.set_random_seed(0)
    x, y = make_data(48, 0)
    x_val, y_val = make_data(20, 1)
    history, scores, probs = train(build_model(), x, y, x_val, y_val)
    print("RESULT", json.dumps({"epochs": len(history["loss"]), "scores": len(scores), "predictions": list(probs.shape)}))


if __name__ == "__main__":
    main()
