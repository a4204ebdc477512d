"""Small convnet in the style of the 'Deep MNIST for experts' tutorial.

Raw tf.nn.conv2d / max_pool layers built from weight_variable/bias_variable
helpers, InteractiveSession with Operation.run() and Tensor.eval().
"""
import json

import numpy as np
import tensorflow as tf

IMAGE_SIZE = 8
NUM_CLASSES = 4
BATCH = 8
STEPS = 10


def weight_variable(shape):
    initial = tf.random.truncated_normal(shape, stddev=0.1)
    return tf.Variable(initial)


def bias_variable(shape):
    initial = tf.constant(0.1, shape=shape)
    return tf.Variable(initial)


def conv2d(x, W):
    return tf.nn.conv2d(x, W, strides=[1, 1, 1, 1], padding='SAME')


def max_pool_2x2(x):
    return tf.nn.max_pool(x, ksize=[1, 2, 2, 1],
                          strides=[1, 2, 2, 1], padding='SAME')


def main():
    tf.random.set_seed(0)
    np.random.seed(0)
    images = np.random.rand(BATCH, IMAGE_SIZE * IMAGE_SIZE).astype(np.float32)
    labels = np.arange(BATCH, dtype=np.int64) % NUM_CLASSES

    W_conv1 = weight_variable([3, 3, 1, 8])
    b_conv1 = bias_variable([8])

    W_conv2 = weight_variable([3, 3, 8, 16])
    b_conv2 = bias_variable([16])

    flat_dim = (IMAGE_SIZE // 4) * (IMAGE_SIZE // 4) * 16
    W_fc1 = weight_variable([flat_dim, 32])
    b_fc1 = bias_variable([32])

    W_fc2 = weight_variable([32, NUM_CLASSES])
    b_fc2 = bias_variable([NUM_CLASSES])

    optimizer = tf.keras.optimizers.Adam(learning_rate=1e-3, epsilon=1e-08)

    def forward(x, keep_prob):
        x_image = tf.reshape(x, [-1, IMAGE_SIZE, IMAGE_SIZE, 1])
        h_conv1 = tf.nn.relu(conv2d(x_image, W_conv1) + b_conv1)
        h_pool1 = max_pool_2x2(h_conv1)
        h_conv2 = tf.nn.relu(tf.nn.bias_add(conv2d(h_pool1, W_conv2), b_conv2))
        h_pool2 = max_pool_2x2(h_conv2)
        h_pool2_flat = tf.reshape(h_pool2, [-1, flat_dim])
        h_fc1 = tf.nn.relu(tf.matmul(h_pool2_flat, W_fc1) + b_fc1)
        h_fc1_drop = tf.nn.dropout(h_fc1, rate=1 - keep_prob)
        y_conv = tf.matmul(h_fc1_drop, W_fc2) + b_fc2
        return y_conv

    @tf.function(input_signature=[tf.TensorSpec([None, IMAGE_SIZE * IMAGE_SIZE], tf.float32), tf.TensorSpec([None], tf.int64), tf.TensorSpec(None, tf.float32)])
    def train_step(x, y_, keep_prob):
        with tf.GradientTape() as tape:
            y_conv = forward(x, keep_prob)
            cross_entropy = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y_, logits=y_conv))
        variables = tape.watched_variables()
        gradients = tape.gradient(cross_entropy, variables)
        optimizer.apply_gradients(zip(gradients, variables))

    @tf.function(input_signature=[tf.TensorSpec([None, IMAGE_SIZE * IMAGE_SIZE], tf.float32), tf.TensorSpec([None], tf.int64), tf.TensorSpec(None, tf.float32)])
    def compute_accuracy(x, y_, keep_prob):
        y_conv = forward(x, keep_prob)
        correct_prediction = tf.equal(tf.argmax(y_conv, 1), y_)
        return tf.reduce_mean(tf.cast(correct_prediction, tf.float32))

    @tf.function(input_signature=[tf.TensorSpec([None, IMAGE_SIZE * IMAGE_SIZE], tf.float32), tf.TensorSpec([None], tf.int64), tf.TensorSpec(None, tf.float32)])
    def compute_cross_entropy(x, y_, keep_prob):
        y_conv = forward(x, keep_prob)
        return tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y_, logits=y_conv))

    @tf.function(input_signature=[tf.TensorSpec([None, IMAGE_SIZE * IMAGE_SIZE], tf.float32), tf.TensorSpec(None, tf.float32)])
    def compute_y_conv(x, keep_prob):
        return forward(x, keep_prob)

    for i in range(STEPS):
        if i % 5 == 0:
            train_accuracy = compute_accuracy(images, labels, 1.0).numpy()
            print('step %d, training accuracy %g' % (i, train_accuracy))
        train_step(images, labels, 0.75)

    final_loss = compute_cross_entropy(images, labels, 1.0).numpy()
    final_acc = compute_accuracy(images, labels, 1.0).numpy()
    logits = compute_y_conv(images, 1.0).numpy()
    print("RESULT " + json.dumps({
        "loss": round(float(final_loss), 6),
        "accuracy": round(float(final_acc), 6),
        "logits0": [round(float(v), 6) for v in logits[0]],
    }))


if __name__ == '__main__':
    main()
