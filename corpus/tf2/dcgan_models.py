"""A tiny DCGAN: the generator upsamples with strided Conv2DTranspose ('same' and 'valid'),
the discriminator downsamples with strided 'same' convolutions and LeakyReLU."""

import json

import tensorflow as tf
from tensorflow.keras import layers


def build_generator(latent_dim=8):
    return tf.keras.Sequential(
        [
            tf.keras.Input(shape=(latent_dim,)),
            layers.Dense(4 * 4 * 8, use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(0.2),
            layers.Reshape((4, 4, 8)),
            layers.Conv2DTranspose(8, 3, strides=2, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Conv2DTranspose(4, 4, strides=2, padding="same"),
            layers.Conv2DTranspose(1, 2, strides=1, activation="tanh"),
        ]
    )


def build_discriminator():
    images = tf.keras.Input(shape=(17, 17, 1))
    x = layers.Conv2D(4, 3, strides=2, padding="same")(images)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2D(8, 3, strides=2, padding="same")(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Flatten()(x)
    logit = layers.Dense(1)(x)
    return tf.keras.Model(images, logit)


def main():
    tf.random.set_seed(0)
    generator, discriminator = build_generator(), build_discriminator()
    fake = generator(tf.random.normal((2, 8)))
    print("RESULT", json.dumps({"fake": list(fake.shape), "logit": list(discriminator(fake).shape)}))


if __name__ == "__main__":
    main()
