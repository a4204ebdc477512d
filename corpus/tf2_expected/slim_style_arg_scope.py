"""A VGG-ish net written the way slim code was organised (shared layer defaults,
repeat blocks, batch norm as the normalizer, l2 weight decay, dropout), but
with tf.layers so it runs without tf.contrib: functools.partial stands in for
slim.arg_scope and a small helper stands in for slim.repeat."""
import json

import numpy as np
import tensorflow as tf

WEIGHT_DECAY = 0.0005


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


class VggTiny(tf.keras.layers.Layer):
    """Keras layer made from the TF1 function `vgg_tiny` (TF2130)."""

    # TF1 variable name -> Keras variable path under this layer (TF2130)
    TF1_VARIABLE_NAMES = {
        "vgg_tiny/conv1/conv1_1/kernel": "conv1_conv1_1/kernel",
        "vgg_tiny/conv1/conv1_1/BatchNorm/gamma": "conv1_conv1_1_BatchNorm/gamma",
        "vgg_tiny/conv1/conv1_1/BatchNorm/beta": "conv1_conv1_1_BatchNorm/beta",
        "vgg_tiny/conv1/conv1_1/BatchNorm/moving_mean": "conv1_conv1_1_BatchNorm/moving_mean",
        "vgg_tiny/conv1/conv1_1/BatchNorm/moving_variance": "conv1_conv1_1_BatchNorm/moving_variance",
        "vgg_tiny/conv1/conv1_2/kernel": "conv1_conv1_2/kernel",
        "vgg_tiny/conv1/conv1_2/BatchNorm/gamma": "conv1_conv1_2_BatchNorm/gamma",
        "vgg_tiny/conv1/conv1_2/BatchNorm/beta": "conv1_conv1_2_BatchNorm/beta",
        "vgg_tiny/conv1/conv1_2/BatchNorm/moving_mean": "conv1_conv1_2_BatchNorm/moving_mean",
        "vgg_tiny/conv1/conv1_2/BatchNorm/moving_variance": "conv1_conv1_2_BatchNorm/moving_variance",
        "vgg_tiny/conv2/conv2_1/kernel": "conv2_conv2_1/kernel",
        "vgg_tiny/conv2/conv2_1/BatchNorm/gamma": "conv2_conv2_1_BatchNorm/gamma",
        "vgg_tiny/conv2/conv2_1/BatchNorm/beta": "conv2_conv2_1_BatchNorm/beta",
        "vgg_tiny/conv2/conv2_1/BatchNorm/moving_mean": "conv2_conv2_1_BatchNorm/moving_mean",
        "vgg_tiny/conv2/conv2_1/BatchNorm/moving_variance": "conv2_conv2_1_BatchNorm/moving_variance",
        "vgg_tiny/conv2/conv2_2/kernel": "conv2_conv2_2/kernel",
        "vgg_tiny/conv2/conv2_2/BatchNorm/gamma": "conv2_conv2_2_BatchNorm/gamma",
        "vgg_tiny/conv2/conv2_2/BatchNorm/beta": "conv2_conv2_2_BatchNorm/beta",
        "vgg_tiny/conv2/conv2_2/BatchNorm/moving_mean": "conv2_conv2_2_BatchNorm/moving_mean",
        "vgg_tiny/conv2/conv2_2/BatchNorm/moving_variance": "conv2_conv2_2_BatchNorm/moving_variance",
        "vgg_tiny/logits/kernel": "logits/kernel",
        "vgg_tiny/logits/bias": "logits/bias",
    }

    def __init__(self, num_classes=5, dropout_keep_prob=0.5, name='vgg_tiny', **kwargs):
        super().__init__(name=name, **kwargs)
        self.num_classes = num_classes
        self.dropout_keep_prob = dropout_keep_prob
        self.conv1_conv1_1 = tf.keras.layers.Conv2D(8, [3, 3], padding='same', use_bias=False, kernel_initializer=tf.keras.initializers.TruncatedNormal(stddev=0.1), kernel_regularizer=tf.keras.regularizers.l2(WEIGHT_DECAY), name='conv1_conv1_1')
        self.conv1_conv1_1_BatchNorm = TF1FusedBatchNormalization(name='conv1_conv1_1_BatchNorm')
        self.conv1_conv1_2 = tf.keras.layers.Conv2D(8, [3, 3], padding='same', use_bias=False, kernel_initializer=tf.keras.initializers.TruncatedNormal(stddev=0.1), kernel_regularizer=tf.keras.regularizers.l2(WEIGHT_DECAY), name='conv1_conv1_2')
        self.conv1_conv1_2_BatchNorm = TF1FusedBatchNormalization(name='conv1_conv1_2_BatchNorm')
        self.pool1 = tf.keras.layers.MaxPooling2D(pool_size=[2, 2], strides=2, name='pool1')
        self.conv2_conv2_1 = tf.keras.layers.Conv2D(16, [3, 3], padding='same', use_bias=False, kernel_initializer=tf.keras.initializers.TruncatedNormal(stddev=0.1), kernel_regularizer=tf.keras.regularizers.l2(WEIGHT_DECAY), name='conv2_conv2_1')
        self.conv2_conv2_1_BatchNorm = TF1FusedBatchNormalization(name='conv2_conv2_1_BatchNorm')
        self.conv2_conv2_2 = tf.keras.layers.Conv2D(16, [3, 3], padding='same', use_bias=False, kernel_initializer=tf.keras.initializers.TruncatedNormal(stddev=0.1), kernel_regularizer=tf.keras.regularizers.l2(WEIGHT_DECAY), name='conv2_conv2_2')
        self.conv2_conv2_2_BatchNorm = TF1FusedBatchNormalization(name='conv2_conv2_2_BatchNorm')
        self.avgpool = tf.keras.layers.AveragePooling2D([4, 4], strides=1, name='avgpool')
        self.flatten = tf.keras.layers.Flatten(name='flatten')
        self.dropout = tf.keras.layers.Dropout(rate=1 - dropout_keep_prob, name='dropout')
        self.logits = tf.keras.layers.Dense(num_classes, kernel_regularizer=tf.keras.regularizers.l2(WEIGHT_DECAY), name='logits')

    def call(self, inputs, training=True):
        x = self.conv1_conv1_1(inputs)
        x = self.conv1_conv1_1_BatchNorm(x, training=training)
        net = tf.nn.relu(x)
        x = self.conv1_conv1_2(net)
        x = self.conv1_conv1_2_BatchNorm(x, training=training)
        net = tf.nn.relu(x)
        net = self.pool1(net)
        x = self.conv2_conv2_1(net)
        x = self.conv2_conv2_1_BatchNorm(x, training=training)
        net = tf.nn.relu(x)
        x = self.conv2_conv2_2(net)
        x = self.conv2_conv2_2_BatchNorm(x, training=training)
        net = tf.nn.relu(x)
        net = self.avgpool(net)
        net = self.flatten(net)
        net = self.dropout(net, training=training)
        logits = self.logits(net)
        return logits


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
            logits = vgg_tiny_layer(images, training=True)
            xent = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
            reg_loss = tf.add_n(vgg_tiny_layer.losses)
            total_loss = xent + reg_loss
        variables = tape.watched_variables()
        gradients = tape.gradient(total_loss, variables)
        optimizer.apply_gradients(zip(gradients, variables))

    @tf.function(input_signature=[tf.TensorSpec([None, 8, 8, 3], tf.float32), tf.TensorSpec([None], tf.int64)])
    def compute_total_loss_reg_loss_logits(images, labels):
        logits = vgg_tiny_layer(images, training=False)
        xent = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
        reg_loss = tf.add_n(vgg_tiny_layer.losses)
        total_loss = xent + reg_loss
        return total_loss, reg_loss, logits

    for _ in range(8):
        train_step(images_np, labels_np)
    tl, rl, eval_logits = [t.numpy() for t in compute_total_loss_reg_loss_logits(images_np, labels_np)]
    train_step.get_concrete_function()  # builds the Keras objects (their variables)
    tf1_names = {f'{vgg_tiny_layer.name}/{path}': name for name, path in type(vgg_tiny_layer).TF1_VARIABLE_NAMES.items()}  # Keras variable path -> TF1 name
    names = sorted(tf1_names[v.path] for v in vgg_tiny_layer.trainable_variables)
    print("RESULT " + json.dumps({
        "total_loss": round(float(tl), 6),
        "reg_loss": round(float(rl), 6),
        "logits0": [round(float(v), 6) for v in eval_logits[0]],
        "num_trainable": len(names),
        "first_var": names[0],
    }))


if __name__ == '__main__':
    main()
