"""tf.layers convnet with batch normalization and dropout toggled by is_training.

The batch-norm moving averages are updated through the UPDATE_OPS collection
wrapped around the train op with tf.control_dependencies.
"""
import json

import numpy as np
import tensorflow as tf


class TF1FusedBatchNormalization(tf.keras.layers.BatchNormalization):
    """BatchNormalization that updates moving_variance as TF1's fused batch norm did.

    In training mode TF1's fused kernel (batch norm of 4-D inputs, slim's batch_norm of
    any) normalized with the biased batch variance, as Keras does, but moved
    moving_variance toward the unbiased one, variance * n / (n - 1) with n the values per
    channel, where Keras 3 uses the biased one. Only that update differs from
    tf.keras.layers.BatchNormalization (same variables, names and inference); switch to
    it if moving variances smaller by the factor (n - 1) / n are acceptable.
    """

    def call(self, inputs, training=None, mask=None):
        if not (training and self.trainable) or mask is not None or self.renorm:
            return super().call(inputs, training=training, mask=mask)
        x = tf.cast(inputs, tf.float32) if inputs.dtype in (tf.float16, tf.bfloat16) else inputs
        rank = len(x.shape)
        axes = [i for i in range(rank) if i != self.axis % rank]
        mean, variance = tf.nn.moments(x, axes)
        n = tf.cast(tf.size(x) // tf.size(mean), x.dtype)
        unbiased = variance * n / tf.maximum(n - 1.0, 1.0)
        for var, value in ((self.moving_mean, mean), (self.moving_variance, unbiased)):
            var.assign(var * self.momentum + tf.cast(value, var.dtype) * (1.0 - self.momentum))
        shape = [1] * rank
        shape[self.axis % rank] = -1
        outputs = tf.nn.batch_normalization(
            x, tf.reshape(mean, shape), tf.reshape(variance, shape),
            tf.reshape(tf.cast(self.beta, x.dtype), shape) if self.center else None,
            tf.reshape(tf.cast(self.gamma, x.dtype), shape) if self.scale else None,
            self.epsilon)
        return tf.cast(outputs, self.compute_dtype)


class ModelFn(tf.keras.layers.Layer):
    """Keras layer made from the TF1 function `model_fn` (TF2130)."""

    # TF1 variable name -> Keras variable path under this layer (TF2130)
    TF1_VARIABLE_NAMES = {
        "conv1/kernel": "conv1/kernel",
        "bn1/gamma": "bn1/gamma",
        "bn1/beta": "bn1/beta",
        "bn1/moving_mean": "bn1/moving_mean",
        "bn1/moving_variance": "bn1/moving_variance",
        "conv2/kernel": "conv2/kernel",
        "conv2/bias": "conv2/bias",
        "fc1/kernel": "fc1/kernel",
        "fc1/bias": "fc1/bias",
        "logits/kernel": "logits/kernel",
        "logits/bias": "logits/bias",
    }

    def __init__(self, num_classes=3, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.num_classes = num_classes
        self.conv1 = tf.keras.layers.Conv2D(filters=8, kernel_size=3, padding='same', use_bias=False, name='conv1')
        self.bn1 = TF1FusedBatchNormalization(name='bn1')
        self.pool1 = tf.keras.layers.MaxPooling2D(pool_size=2, strides=2, name='pool1')
        self.conv2 = tf.keras.layers.Conv2D(16, [3, 3], padding='same', activation=tf.nn.relu, name='conv2')
        self.pool2 = tf.keras.layers.MaxPooling2D(2, 2, name='pool2')
        self.flatten = tf.keras.layers.Flatten(name='flatten')
        self.fc1 = tf.keras.layers.Dense(32, activation=tf.nn.relu, name='fc1')
        self.dropout = tf.keras.layers.Dropout(rate=0.25, name='dropout')
        self.logits = tf.keras.layers.Dense(num_classes, name='logits')

    def call(self, images, training=None):
        net = self.conv1(images)
        net = self.bn1(net, training=training)
        net = tf.nn.relu(net)
        net = self.pool1(net)
        net = self.conv2(net)
        net = self.pool2(net)
        net = self.flatten(net)
        net = self.fc1(net)
        net = self.dropout(net, training=training)
        logits = self.logits(net)
        return logits


def main():
    model_fn_layer = ModelFn()
    tf.random.set_seed(0)
    np.random.seed(0)
    images_np = np.random.rand(8, 12, 12, 1).astype(np.float32)
    labels_np = np.array([0, 1, 2, 0, 1, 2, 0, 1], dtype=np.int32)

    optimizer = tf.keras.optimizers.Adam(learning_rate=0.01, epsilon=1e-08)

    @tf.function(input_signature=[tf.TensorSpec([None, 12, 12, 1], tf.float32), tf.TensorSpec([None], tf.int32)])
    def train_step(images, labels):
        with tf.GradientTape() as tape:
            logits = model_fn_layer(images, training=True)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
        variables = tape.watched_variables()
        gradients = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(gradients, variables))
        return loss

    @tf.function(input_signature=[tf.TensorSpec([None, 12, 12, 1], tf.float32), tf.TensorSpec([None], tf.int32)])
    def compute_loss_accuracy_logits(images, labels):
        logits = model_fn_layer(images, training=False)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
        predictions = tf.argmax(logits, axis=1, output_type=tf.int32)
        accuracy = tf.reduce_mean(tf.cast(tf.equal(predictions, labels), tf.float32))
        return loss, accuracy, logits

    for step in range(12):
        train_loss = train_step(images_np, labels_np).numpy()
    eval_loss, acc, eval_logits = [t.numpy() for t in compute_loss_accuracy_logits(images_np, labels_np)]
    moving_mean = model_fn_layer.bn1.moving_mean.numpy()
    print("RESULT " + json.dumps({
        "train_loss": round(float(train_loss), 6),
        "eval_loss": round(float(eval_loss), 6),
        "accuracy": round(float(acc), 6),
        "logits0": [round(float(v), 6) for v in eval_logits[0]],
        "moving_mean": [round(float(v), 6) for v in moving_mean[:4]],
        "num_update_ops": len(model_fn_layer.non_trainable_weights),
    }))


if __name__ == '__main__':
    main()
