"""A small image classifier as a subclassed Keras model (NHWC input).

Batch normalization after convolutions, strided 'same' convolutions and a 'same' max pool:
the TensorFlow padding puts the odd pixel bottom/right, so odd and even input sizes behave
differently.
"""

import json

import tensorflow as tf


class SmallCNN(tf.keras.Model):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = tf.keras.layers.Conv2D(8, 3, padding="same", use_bias=False)
        self.bn1 = tf.keras.layers.BatchNormalization()
        self.conv2 = tf.keras.layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")
        self.bn2 = tf.keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5)
        self.conv3 = tf.keras.layers.Conv2D(16, (3, 3), strides=(2, 2), padding="same")
        self.pool = tf.keras.layers.MaxPooling2D(pool_size=2, padding="same")
        self.flatten = tf.keras.layers.Flatten()
        self.dropout = tf.keras.layers.Dropout(0.25)
        self.fc = tf.keras.layers.Dense(num_classes)

    def call(self, x, training=None):
        x = self.conv1(x)
        x = tf.nn.relu(self.bn1(x, training=training))
        x = self.bn2(self.conv2(x), training=training)
        x = tf.nn.relu(self.conv3(x))
        x = self.pool(x)
        x = self.flatten(x)
        if training:
            x = self.dropout(x, training=training)
        return self.fc(x)


def main():
    tf.random.set_seed(0)
    model = SmallCNN()
    images = tf.random.uniform((2, 9, 9, 3))
    logits = model(images, training=False)
    print("RESULT", json.dumps({"shape": list(logits.shape)}))


if __name__ == "__main__":
    main()
