# REWRITE-ONLY INPUT: genuine tf.contrib.slim code. tf.contrib does not exist in
# TensorFlow 2.x, so this program cannot run under TF 2.21; it has no expected
# JSON and run_tf1.py does not run it. It is input for the rewriter (and its
# migrated output may be run). It keeps the RESULT-line convention.
"""Small VGG-style classifier written with TF-Slim: arg_scope defaults for
conv2d/fully_connected, slim.repeat, batch_norm as normalizer_fn, l2 weight
decay, slim.dropout, max/avg pooling, slim.losses + slim.learning.create_train_op."""
import json

import numpy as np
import tensorflow as tf


class VggTiny(tf.keras.layers.Layer):
    """Keras layer made from the TF1 function `vgg_tiny` (TF2130)."""

    # TF1 variable name -> Keras variable path under this layer (TF2130)
    TF1_VARIABLE_NAMES = {
        "conv1/conv1_1/weights": "conv1_conv1_1/kernel",
        "conv1/conv1_1/BatchNorm/gamma": "conv1_conv1_1_BatchNorm/gamma",
        "conv1/conv1_1/BatchNorm/beta": "conv1_conv1_1_BatchNorm/beta",
        "conv1/conv1_1/BatchNorm/moving_mean": "conv1_conv1_1_BatchNorm/moving_mean",
        "conv1/conv1_1/BatchNorm/moving_variance": "conv1_conv1_1_BatchNorm/moving_variance",
        "conv1/conv1_2/weights": "conv1_conv1_2/kernel",
        "conv1/conv1_2/BatchNorm/gamma": "conv1_conv1_2_BatchNorm/gamma",
        "conv1/conv1_2/BatchNorm/beta": "conv1_conv1_2_BatchNorm/beta",
        "conv1/conv1_2/BatchNorm/moving_mean": "conv1_conv1_2_BatchNorm/moving_mean",
        "conv1/conv1_2/BatchNorm/moving_variance": "conv1_conv1_2_BatchNorm/moving_variance",
        "conv2/conv2_1/weights": "conv2_conv2_1/kernel",
        "conv2/conv2_1/BatchNorm/gamma": "conv2_conv2_1_BatchNorm/gamma",
        "conv2/conv2_1/BatchNorm/beta": "conv2_conv2_1_BatchNorm/beta",
        "conv2/conv2_1/BatchNorm/moving_mean": "conv2_conv2_1_BatchNorm/moving_mean",
        "conv2/conv2_1/BatchNorm/moving_variance": "conv2_conv2_1_BatchNorm/moving_variance",
        "conv2/conv2_2/weights": "conv2_conv2_2/kernel",
        "conv2/conv2_2/BatchNorm/gamma": "conv2_conv2_2_BatchNorm/gamma",
        "conv2/conv2_2/BatchNorm/beta": "conv2_conv2_2_BatchNorm/beta",
        "conv2/conv2_2/BatchNorm/moving_mean": "conv2_conv2_2_BatchNorm/moving_mean",
        "conv2/conv2_2/BatchNorm/moving_variance": "conv2_conv2_2_BatchNorm/moving_variance",
        "fc3/weights": "fc3/kernel",
        "fc3/biases": "fc3/bias",
        "fc4/weights": "fc4/kernel",
        "fc4/biases": "fc4/bias",
    }

    def __init__(self, num_classes=5, dropout_keep_prob=0.5, name='vgg_tiny', **kwargs):
        super().__init__(name=name, **kwargs)
        self.num_classes = num_classes
        self.dropout_keep_prob = dropout_keep_prob
        self.conv1_conv1_1 = tf.keras.layers.Conv2D(8, [3, 3], padding='same', use_bias=False, kernel_initializer=tf.keras.initializers.TruncatedNormal(mean=0.0, stddev=0.01), kernel_regularizer=tf.keras.regularizers.L2(0.5 * 0.0005), name='conv1_conv1_1')
        self.conv1_conv1_1_BatchNorm = tf.keras.layers.BatchNormalization(momentum=0.997, epsilon=1e-5, center=True, scale=True, name='conv1_conv1_1_BatchNorm')
        self.conv1_conv1_2 = tf.keras.layers.Conv2D(8, [3, 3], padding='same', use_bias=False, kernel_initializer=tf.keras.initializers.TruncatedNormal(mean=0.0, stddev=0.01), kernel_regularizer=tf.keras.regularizers.L2(0.5 * 0.0005), name='conv1_conv1_2')
        self.conv1_conv1_2_BatchNorm = tf.keras.layers.BatchNormalization(momentum=0.997, epsilon=1e-5, center=True, scale=True, name='conv1_conv1_2_BatchNorm')
        self.pool1 = tf.keras.layers.MaxPooling2D(pool_size=[2, 2], strides=2, padding='valid', name='pool1')
        self.conv2_conv2_1 = tf.keras.layers.Conv2D(16, [3, 3], padding='same', use_bias=False, kernel_initializer=tf.keras.initializers.TruncatedNormal(mean=0.0, stddev=0.01), kernel_regularizer=tf.keras.regularizers.L2(0.5 * 0.0005), name='conv2_conv2_1')
        self.conv2_conv2_1_BatchNorm = tf.keras.layers.BatchNormalization(momentum=0.997, epsilon=1e-5, center=True, scale=True, name='conv2_conv2_1_BatchNorm')
        self.conv2_conv2_2 = tf.keras.layers.Conv2D(16, [3, 3], padding='same', use_bias=False, kernel_initializer=tf.keras.initializers.TruncatedNormal(mean=0.0, stddev=0.01), kernel_regularizer=tf.keras.regularizers.L2(0.5 * 0.0005), name='conv2_conv2_2')
        self.conv2_conv2_2_BatchNorm = tf.keras.layers.BatchNormalization(momentum=0.997, epsilon=1e-5, center=True, scale=True, name='conv2_conv2_2_BatchNorm')
        self.avgpool = tf.keras.layers.AveragePooling2D(pool_size=[4, 4], strides=1, padding='valid', name='avgpool')
        self.Flatten = tf.keras.layers.Flatten(name='Flatten')
        self.fc3 = tf.keras.layers.Dense(32, activation=tf.nn.relu, kernel_initializer=tf.keras.initializers.TruncatedNormal(mean=0.0, stddev=0.01), kernel_regularizer=tf.keras.regularizers.L2(0.5 * 0.0005), bias_initializer=tf.zeros_initializer(), name='fc3')
        self.dropout3 = tf.keras.layers.Dropout(rate=1 - dropout_keep_prob, name='dropout3')
        self.fc4 = tf.keras.layers.Dense(num_classes, kernel_initializer=tf.keras.initializers.TruncatedNormal(mean=0.0, stddev=0.01), kernel_regularizer=tf.keras.regularizers.L2(0.5 * 0.0005), bias_initializer=tf.zeros_initializer(), name='fc4')

    def call(self, inputs, training=True):
        net = tf.nn.relu(self.conv1_conv1_1_BatchNorm(self.conv1_conv1_1(inputs), training=True))
        conv1_conv1_1 = net
        net = tf.nn.relu(self.conv1_conv1_2_BatchNorm(self.conv1_conv1_2(net), training=True))
        conv1_conv1_2 = net
        net = self.pool1(net)
        pool1 = net
        net = tf.nn.relu(self.conv2_conv2_1_BatchNorm(self.conv2_conv2_1(net), training=True))
        conv2_conv2_1 = net
        net = tf.nn.relu(self.conv2_conv2_2_BatchNorm(self.conv2_conv2_2(net), training=True))
        conv2_conv2_2 = net
        net = self.avgpool(net)
        net = self.Flatten(net)
        net = self.fc3(net)
        fc3 = net
        net = self.dropout3(net, training=training)
        logits = self.fc4(net)
        end_points = {'vgg_tiny/conv1/conv1_1': conv1_conv1_1, 'vgg_tiny/conv1/conv1_2': conv1_conv1_2, 'vgg_tiny/pool1': pool1, 'vgg_tiny/conv2/conv2_1': conv2_conv2_1, 'vgg_tiny/conv2/conv2_2': conv2_conv2_2, 'vgg_tiny/fc3': fc3, 'vgg_tiny/fc4': logits}
        return logits, end_points


def main():
    vgg_tiny_layer = VggTiny()
    tf.random.set_seed(0)
    np.random.seed(0)
    images_np = np.random.rand(4, 8, 8, 3).astype(np.float32)
    labels_np = np.array([0, 1, 2, 3])

    optimizer = tf.keras.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=False)
    @tf.function(input_signature=[tf.TensorSpec([None, 8, 8, 3], tf.float32), tf.TensorSpec([None], tf.int64)])
    def train_step(images, labels):
        with tf.GradientTape() as tape:
            logits, end_points = vgg_tiny_layer(images, training=True)
            one_hot_labels = tf.one_hot(labels, 5)
            cross_entropy = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=tf.stop_gradient(one_hot_labels), logits=logits))
            total_loss = cross_entropy + tf.add_n(vgg_tiny_layer.losses)
            total_loss = tf.debugging.check_numerics(total_loss, 'LossTensor is inf or nan')
        variables = tape.watched_variables()
        gradients = tape.gradient(total_loss, variables)
        optimizer.apply_gradients(zip(gradients, variables))
        return total_loss

    @tf.function(input_signature=[tf.TensorSpec([None, 8, 8, 3], tf.float32)])
    def compute_logits_end_points(images):
        logits, end_points = vgg_tiny_layer(images, training=True)
        return logits, end_points

    for _ in range(8):
        loss = train_step(images_np, labels_np).numpy()
    out, end_points_value = list(tf.nest.map_structure(lambda t: t.numpy(), compute_logits_end_points(images_np)))
    train_step.get_concrete_function()  # builds the Keras objects (their variables)
    print("RESULT " + json.dumps({
        "total_loss": round(float(loss), 6),
        "logits0": [round(float(v), 6) for v in out[0]],
        "num_model_variables": len(vgg_tiny_layer.weights),
        "num_end_points": len(end_points_value),
    }))


if __name__ == '__main__':
    main()
