"""A MobileNet-style block: depthwise and separable convolutions (strided 'same'),
batch normalization, ReLU6, hard_silu (hard swish) and global max pooling."""

import json

import tensorflow as tf
from tensorflow.keras import layers


def build_mobile(num_classes=3):
    images = tf.keras.Input(shape=(None, None, 4))
    x = layers.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2)(images)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU(max_value=6.0)(x)
    x = layers.SeparableConv2D(12, 3, padding="same", activation="hard_silu")(x)
    x = layers.DepthwiseConv2D((3, 3), use_bias=False)(x)
    x = layers.GlobalMaxPooling2D()(x)
    outputs = layers.Dense(num_classes)(x)
    return tf.keras.Model(images, outputs)


def main():
    tf.random.set_seed(0)
    model = build_mobile()
    images = tf.random.uniform((2, 11, 12, 4))
    print("RESULT", json.dumps({"shape": list(model(images).shape)}))


if __name__ == "__main__":
    main()
