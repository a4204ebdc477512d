"""A custom training loop: subclassed model, MSE loss, Adam, tf.function train step."""

import json

import tensorflow as tf


class Regressor(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = tf.keras.layers.Dense(16, activation="tanh")
        self.out = tf.keras.layers.Dense(1)

    def call(self, x):
        return self.out(self.hidden(x))


model = Regressor()
loss_fn = tf.keras.losses.MeanSquaredError()
optimizer = tf.keras.optimizers.Adam(learning_rate=0.01)


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        pred = model(x, training=True)
        loss = loss_fn(y, pred)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss


def main():
    tf.random.set_seed(0)
    x = tf.random.normal((64, 4))
    y = tf.reduce_sum(x, axis=1, keepdims=True)
    for _ in range(20):
        loss = train_step(x, y)
    print("RESULT", json.dumps({"loss": round(float(loss), 6)}))


if __name__ == "__main__":
    main()
