"""CIFAR-10-tutorial style model: _variable_with_weight_decay puts
tf.nn.l2_loss terms into the 'losses' collection, total loss is tf.add_n over
tf.get_collection('losses'); gradients clipped by global norm, applied with a
MomentumOptimizer and global_step."""
import json

import numpy as np
import tensorflow as tf

NUM_CLASSES = 4


class Inference(tf.keras.layers.Layer):
    """Keras layer made from the TF1 function `inference` (TF2130)."""

    # TF1 variable name -> Keras variable path under this layer (TF2130)
    TF1_VARIABLE_NAMES = {
        "conv1/weights": "conv1_weights",
        "conv1/biases": "conv1_biases",
        "local3/weights": "local3_weights",
        "local3/biases": "local3_biases",
        "softmax_linear/weights": "softmax_linear_weights",
        "softmax_linear/biases": "softmax_linear_biases",
    }

    def __init__(self, name=None, **kwargs):
        super().__init__(name=name, **kwargs)

    def build(self, input_shape):
        input_shape = tf.TensorShape(input_shape)
        # the static shape TF1 read from `reshape`, from the input's
        dim = ((input_shape[1] + 1) // 2) * ((input_shape[2] + 1) // 2) * 8
        with tf.device('/cpu:0'):
            self.kernel = self.add_weight(name='conv1_weights', shape=[3, 3, 2, 8], dtype=tf.float32, initializer=tf.keras.initializers.TruncatedNormal(stddev=5e-2))
            self.biases = self.add_weight(name='conv1_biases', shape=[8], dtype=tf.float32, initializer=tf.constant_initializer(0.0))
            self.weights_layer = self.add_weight(name='local3_weights', shape=[dim, 16], dtype=tf.float32, initializer=tf.keras.initializers.TruncatedNormal(stddev=0.04), regularizer=lambda var: tf.multiply(tf.nn.l2_loss(var), 0.004, name='weight_loss'))
            self.local3_biases = self.add_weight(name='local3_biases', shape=[16], dtype=tf.float32, initializer=tf.constant_initializer(0.1))
            self.softmax_linear_weights = self.add_weight(name='softmax_linear_weights', shape=[16, NUM_CLASSES], dtype=tf.float32, initializer=tf.keras.initializers.TruncatedNormal(stddev=1 / 16.0))
            self.softmax_linear_biases = self.add_weight(name='softmax_linear_biases', shape=[NUM_CLASSES], dtype=tf.float32, initializer=tf.constant_initializer(0.0))

    def call(self, images):
        conv = tf.nn.conv2d(images, self.kernel, [1, 1, 1, 1], padding='SAME')
        pre_activation = tf.nn.bias_add(conv, self.biases)
        conv1 = tf.nn.relu(pre_activation)
        pool1 = tf.nn.max_pool(conv1, ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1],
                               padding='SAME', name='pool1')
        reshape = tf.reshape(pool1, [images.get_shape()[0], -1])
        local3 = tf.nn.relu(tf.matmul(reshape, self.weights_layer) + self.local3_biases)
        softmax_linear = tf.add(tf.matmul(local3, self.softmax_linear_weights), self.softmax_linear_biases)
        return softmax_linear


def loss(logits, labels, regularization_losses):
    labels = tf.cast(labels, tf.int64)
    cross_entropy = tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=labels, logits=logits, name='cross_entropy_per_example')
    cross_entropy_mean = tf.reduce_mean(cross_entropy, name='cross_entropy')
    return tf.add_n(regularization_losses + [cross_entropy_mean], name='total_loss')


def main():
    inference_layer = Inference()
    tf.random.set_seed(0)
    np.random.seed(0)
    images_np = np.random.randn(8, 6, 6, 2).astype(np.float32)
    labels_np = np.arange(8) % NUM_CLASSES

    global_step = tf.Variable(0, dtype=tf.int64, trainable=False, name="global_step")
    opt = tf.keras.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=False)

    @tf.function(input_signature=[tf.TensorSpec([8, 6, 6, 2], tf.float32), tf.TensorSpec([8], tf.int32)])
    def train_step(images, labels):
        with tf.GradientTape() as tape:
            logits = inference_layer(images)
            total_loss = loss(logits, labels, inference_layer.losses)
        variables = tape.watched_variables()
        grads_and_vars = list(zip(tape.gradient(total_loss, variables), variables))
        grads, tvars = zip(*grads_and_vars)
        clipped, global_norm = tf.clip_by_global_norm(grads, 5.0)
        opt.apply_gradients(zip(clipped, tvars))
        global_step.assign_add(1)
        return total_loss, global_norm

    @tf.function(input_signature=[tf.TensorSpec([8, 6, 6, 2], tf.float32), tf.TensorSpec([8], tf.int32)])
    def compute_total_loss_global_step_logits(images, labels):
        logits = inference_layer(images)
        total_loss = loss(logits, labels, inference_layer.losses)
        return total_loss, global_step, logits

    for _ in range(15):
        tl, gn = [t.numpy() for t in train_step(images_np, labels_np)]
    tl, step, lg = [t.numpy() for t in compute_total_loss_global_step_logits(images_np, labels_np)]
    print("RESULT " + json.dumps({
        "total_loss": round(float(tl), 6),
        "last_grad_norm": round(float(gn), 6),
        "global_step": int(step),
        "n_losses": len(inference_layer.losses) + 1,
        "logits0": [round(float(v), 6) for v in lg[0]],
    }))


if __name__ == '__main__':
    main()
