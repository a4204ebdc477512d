"""Gradients of tensors, not variables: tape.watch, a persistent tape with several gradients."""

import json

import numpy as np
import tensorflow as tf

model = tf.keras.Sequential(
    [
        tf.keras.Input(shape=(3,)),
        tf.keras.layers.Dense(5, activation="tanh"),
        tf.keras.layers.Dense(1),
    ]
)


def saliency(x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = model(x)
    return tape.gradient(score, x)


def partials(a, b):
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([a, b])
        product = a * b
        energy = tf.reduce_sum(product * product + tf.sin(a))
    d_a = tape.gradient(energy, a)
    d_both = tape.gradient(product, [a, b])
    del tape
    return d_a, d_both[0], d_both[1]


def main():
    rng = np.random.RandomState(0)
    x = tf.constant(rng.normal(size=(4, 3)).astype("float32"))
    a, b = (tf.constant(v) for v in rng.normal(size=(2, 5)).astype("float32"))
    grads = [saliency(x), *partials(a, b)]
    print("RESULT", json.dumps({"shapes": [list(g.shape) for g in grads]}))


if __name__ == "__main__":
    main()
