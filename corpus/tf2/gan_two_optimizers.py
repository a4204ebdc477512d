"""A tiny GAN: generator and discriminator, two Adam optimizers, one tape per network."""

import json

import numpy as np
import tensorflow as tf

NOISE = 4

generator = tf.keras.Sequential(
    [
        tf.keras.Input(shape=(NOISE,)),
        tf.keras.layers.Dense(8, activation="relu"),
        tf.keras.layers.Dense(2),
    ]
)
discriminator = tf.keras.Sequential(
    [
        tf.keras.Input(shape=(2,)),
        tf.keras.layers.Dense(8),
        tf.keras.layers.LeakyReLU(negative_slope=0.2),
        tf.keras.layers.Dense(1),
    ]
)
bce = tf.keras.losses.BinaryCrossentropy(from_logits=True)
g_optimizer = tf.keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)
d_optimizer = tf.keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)


def train_step(real, noise):
    with tf.GradientTape() as d_tape:
        fake = generator(noise, training=True)
        real_logits = discriminator(real, training=True)
        fake_logits = discriminator(fake, training=True)
        d_loss = bce(tf.ones_like(real_logits), real_logits) + bce(tf.zeros_like(fake_logits), fake_logits)
    d_grads = d_tape.gradient(d_loss, discriminator.trainable_variables)
    d_optimizer.apply_gradients(zip(d_grads, discriminator.trainable_variables))

    with tf.GradientTape() as g_tape:
        fake = generator(noise, training=True)
        fake_logits = discriminator(fake, training=True)
        g_loss = bce(tf.ones_like(fake_logits), fake_logits)
    g_grads = g_tape.gradient(g_loss, generator.trainable_variables)
    g_optimizer.apply_gradients(zip(g_grads, generator.trainable_variables))
    return d_loss, g_loss


def make_data(n, seed):
    rng = np.random.RandomState(seed)
    real = rng.normal(loc=(2.0, -1.0), scale=0.5, size=(n, 2)).astype("float32")
    return real, rng.normal(size=(n, NOISE)).astype("float32")


def main():
    real, noise = (tf.constant(a) for a in make_data(16, 0))
    d_loss, g_loss = train_step(real, noise)
    print("RESULT", json.dumps({"finite": bool(np.isfinite(float(d_loss)) and np.isfinite(float(g_loss)))}))


if __name__ == "__main__":
    main()
