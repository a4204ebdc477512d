"""A subclassed model with a custom layer whose weights come from self.add_weight in
__init__ (a learned scale and shift, a frozen temperature) around Dense layers."""

import json

import tensorflow as tf


class ScaleShift(tf.keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.gamma = self.add_weight(shape=(units,), initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=(units,), initializer="zeros", name="beta")
        self.temperature = self.add_weight(shape=(1,), initializer="ones", trainable=False, name="temperature")

    def call(self, x):
        return x * self.gamma / self.temperature + self.beta


class GatedRegressor(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = tf.keras.layers.Dense(6, activation="relu")
        self.scale = ScaleShift(6)
        self.out = tf.keras.layers.Dense(2)

    def call(self, x, training=None):
        return self.out(self.scale(self.hidden(x)))


def build_regressor():
    return GatedRegressor()


def main():
    tf.random.set_seed(0)
    model = build_regressor()
    x = tf.random.normal((4, 5))
    print("RESULT", json.dumps({"shape": list(model(x).shape)}))


if __name__ == "__main__":
    main()
