"""Small convnet in the style of the 'Deep MNIST for experts' tutorial.

Raw tf.nn.conv2d / max_pool layers built from weight_variable/bias_variable
helpers, InteractiveSession with Operation.run() and Tensor.eval().
"""
import json

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()

IMAGE_SIZE = 8
NUM_CLASSES = 4
BATCH = 8
STEPS = 10


def weight_variable(shape):
    initial = tf.truncated_normal(shape, stddev=0.1)
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
    tf.set_random_seed(0)
    np.random.seed(0)
    images = np.random.rand(BATCH, IMAGE_SIZE * IMAGE_SIZE).astype(np.float32)
    labels = np.arange(BATCH, dtype=np.int64) % NUM_CLASSES

    sess = tf.InteractiveSession()

    x = tf.placeholder(tf.float32, shape=[None, IMAGE_SIZE * IMAGE_SIZE])
    y_ = tf.placeholder(tf.int64, shape=[None])
    keep_prob = tf.placeholder(tf.float32)

    x_image = tf.reshape(x, [-1, IMAGE_SIZE, IMAGE_SIZE, 1])

    W_conv1 = weight_variable([3, 3, 1, 8])
    b_conv1 = bias_variable([8])
    h_conv1 = tf.nn.relu(conv2d(x_image, W_conv1) + b_conv1)
    h_pool1 = max_pool_2x2(h_conv1)

    W_conv2 = weight_variable([3, 3, 8, 16])
    b_conv2 = bias_variable([16])
    h_conv2 = tf.nn.relu(tf.nn.bias_add(conv2d(h_pool1, W_conv2), b_conv2))
    h_pool2 = max_pool_2x2(h_conv2)

    flat_dim = (IMAGE_SIZE // 4) * (IMAGE_SIZE // 4) * 16
    W_fc1 = weight_variable([flat_dim, 32])
    b_fc1 = bias_variable([32])
    h_pool2_flat = tf.reshape(h_pool2, [-1, flat_dim])
    h_fc1 = tf.nn.relu(tf.matmul(h_pool2_flat, W_fc1) + b_fc1)
    h_fc1_drop = tf.nn.dropout(h_fc1, keep_prob)

    W_fc2 = weight_variable([32, NUM_CLASSES])
    b_fc2 = bias_variable([NUM_CLASSES])
    y_conv = tf.matmul(h_fc1_drop, W_fc2) + b_fc2

    cross_entropy = tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y_, logits=y_conv))
    train_step = tf.train.AdamOptimizer(1e-3).minimize(cross_entropy)
    correct_prediction = tf.equal(tf.argmax(y_conv, 1), y_)
    accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32))

    sess.run(tf.global_variables_initializer())
    for i in range(STEPS):
        if i % 5 == 0:
            train_accuracy = accuracy.eval(feed_dict={
                x: images, y_: labels, keep_prob: 1.0})
            print('step %d, training accuracy %g' % (i, train_accuracy))
        train_step.run(feed_dict={x: images, y_: labels, keep_prob: 0.75})

    final_loss = cross_entropy.eval(feed_dict={x: images, y_: labels, keep_prob: 1.0})
    final_acc = accuracy.eval(feed_dict={x: images, y_: labels, keep_prob: 1.0})
    logits = y_conv.eval(feed_dict={x: images, keep_prob: 1.0})
    sess.close()
    print("RESULT " + json.dumps({
        "loss": round(float(final_loss), 6),
        "accuracy": round(float(final_acc), 6),
        "logits0": [round(float(v), 6) for v in logits[0]],
    }))


if __name__ == '__main__':
    main()
