# REWRITE-ONLY INPUT: genuine tf.contrib.layers / slim code. tf.contrib does not
# exist in TensorFlow 2.x, so this program cannot run under TF 2.21; it has no
# expected JSON and run_tf1.py does not run it. It is input for the rewriter
# (and its migrated output may be run). It keeps the RESULT-line convention.
"""MLP built from tf.contrib.layers: xavier_initializer for get_variable weights,
tf.contrib.layers.fully_connected with batch_norm as normalizer_fn and an
l2_regularizer, slim imported with `from tensorflow.contrib import slim`."""
import json

import numpy as np
import tensorflow as tf
from tensorflow.contrib import slim

flags = tf.app.flags
flags.DEFINE_integer('hidden_units', 16, 'Hidden layer width.')
flags.DEFINE_float('learning_rate', 0.01, 'Adam learning rate.')
FLAGS = flags.FLAGS


def dense(x, n_out, scope):
    with tf.variable_scope(scope):
        w = tf.get_variable('weights', [x.get_shape()[1], n_out],
                            initializer=tf.contrib.layers.xavier_initializer())
        b = tf.get_variable('biases', [n_out], initializer=tf.constant_initializer(0.0))
    return tf.nn.xw_plus_b(x, w, b)


def model(x, is_training):
    net = tf.contrib.layers.fully_connected(
        x, FLAGS.hidden_units,
        activation_fn=tf.nn.relu,
        normalizer_fn=slim.batch_norm,
        normalizer_params={'is_training': is_training, 'decay': 0.9},
        weights_initializer=tf.contrib.layers.xavier_initializer(),
        weights_regularizer=tf.contrib.layers.l2_regularizer(1e-4),
        scope='fc1')
    net = slim.fully_connected(net, FLAGS.hidden_units, activation_fn=tf.nn.relu,
                               weights_regularizer=slim.l2_regularizer(1e-4),
                               scope='fc2')
    net = slim.dropout(net, keep_prob=0.8, is_training=is_training, scope='drop2')
    return dense(net, 3, 'logits')


def main(_):
    tf.set_random_seed(0)
    np.random.seed(0)
    x_np = np.random.randn(8, 6).astype(np.float32)
    y_np = np.arange(8) % 3

    x = tf.placeholder(tf.float32, [None, 6])
    y = tf.placeholder(tf.int32, [None])
    is_training = tf.placeholder(tf.bool, [])
    logits = model(x, is_training)
    xent = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=y, logits=logits))
    reg = tf.add_n(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES))
    loss = xent + reg
    update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    with tf.control_dependencies(update_ops):
        train_op = tf.contrib.layers.optimize_loss(
            loss, tf.train.get_or_create_global_step(), FLAGS.learning_rate, 'Adam',
            clip_gradients=5.0)

    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(15):
            sess.run(train_op, {x: x_np, y: y_np, is_training: True})
        l, out = sess.run([loss, logits], {x: x_np, y: y_np, is_training: False})
    print("RESULT " + json.dumps({
        "loss": round(float(l), 6),
        "logits0": [round(float(v), 6) for v in out[0]],
    }))


if __name__ == '__main__':
    tf.app.run()
