# REWRITE-ONLY INPUT: uses tensorflow.examples.tutorials.mnist.input_data, which
# is not shipped with TensorFlow 2.x (and would download MNIST). Not runnable
# under TF 2.21; no expected JSON; run_tf1.py does not run it. --fake_data
# (default True) asks read_data_sets for its built-in fake images, so a migrated
# version needs no download either. It keeps the RESULT-line convention.
"""The classic MNIST softmax regression script: argparse FLAGS, read_data_sets,
next_batch, InteractiveSession."""
import argparse
import json
import sys

import tensorflow as tf
from tensorflow.examples.tutorials.mnist import input_data

FLAGS = None


def main(_):
    tf.set_random_seed(0)
    mnist = input_data.read_data_sets(FLAGS.data_dir, one_hot=True,
                                      fake_data=FLAGS.fake_data)

    x = tf.placeholder(tf.float32, [None, 784])
    W = tf.Variable(tf.zeros([784, 10]))
    b = tf.Variable(tf.zeros([10]))
    y = tf.matmul(x, W) + b
    y_ = tf.placeholder(tf.float32, [None, 10])

    cross_entropy = tf.reduce_mean(
        tf.nn.softmax_cross_entropy_with_logits(labels=y_, logits=y))
    train_step = tf.train.GradientDescentOptimizer(0.5).minimize(cross_entropy)

    sess = tf.InteractiveSession()
    tf.global_variables_initializer().run()
    for _ in range(20):
        batch_xs, batch_ys = mnist.train.next_batch(8, fake_data=FLAGS.fake_data)
        sess.run(train_step, feed_dict={x: batch_xs, y_: batch_ys})

    correct_prediction = tf.equal(tf.argmax(y, 1), tf.argmax(y_, 1))
    accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32))
    test_xs, test_ys = mnist.test.next_batch(8, fake_data=FLAGS.fake_data)
    acc, ce = sess.run([accuracy, cross_entropy], feed_dict={x: test_xs, y_: test_ys})
    sess.close()
    print("RESULT " + json.dumps({
        "accuracy": round(float(acc), 6),
        "cross_entropy": round(float(ce), 6),
    }))


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    parser.add_argument('--data_dir', type=str, default='/tmp/tensorflow/mnist/input_data',
                        help='Directory for storing input data')
    parser.add_argument('--fake_data', type=lambda s: s.lower() != 'false', default=True,
                        help='Use fake data instead of downloading MNIST.')
    FLAGS, unparsed = parser.parse_known_args()
    tf.app.run(main=main, argv=[sys.argv[0]] + unparsed)
