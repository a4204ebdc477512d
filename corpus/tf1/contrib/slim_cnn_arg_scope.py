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

slim = tf.contrib.slim


def vgg_arg_scope(weight_decay=0.0005, is_training=True):
    batch_norm_params = {
        'is_training': is_training,
        'decay': 0.997,
        'epsilon': 1e-5,
        'scale': True,
        'updates_collections': tf.GraphKeys.UPDATE_OPS,
    }
    with slim.arg_scope([slim.conv2d, slim.fully_connected],
                        activation_fn=tf.nn.relu,
                        weights_initializer=tf.truncated_normal_initializer(0.0, 0.01),
                        weights_regularizer=slim.l2_regularizer(weight_decay),
                        biases_initializer=tf.zeros_initializer()):
        with slim.arg_scope([slim.conv2d], padding='SAME',
                            normalizer_fn=slim.batch_norm,
                            normalizer_params=batch_norm_params):
            with slim.arg_scope([slim.batch_norm], **batch_norm_params) as sc:
                return sc


def vgg_tiny(inputs, num_classes=5, is_training=True, dropout_keep_prob=0.5,
             scope='vgg_tiny'):
    with tf.variable_scope(scope, 'vgg_tiny', [inputs]) as sc:
        end_points_collection = sc.original_name_scope + '_end_points'
        with slim.arg_scope([slim.conv2d, slim.fully_connected, slim.max_pool2d],
                            outputs_collections=end_points_collection):
            net = slim.repeat(inputs, 2, slim.conv2d, 8, [3, 3], scope='conv1')
            net = slim.max_pool2d(net, [2, 2], scope='pool1')
            net = slim.repeat(net, 2, slim.conv2d, 16, [3, 3], scope='conv2')
            net = slim.avg_pool2d(net, [4, 4], stride=1, scope='avgpool')
            net = slim.flatten(net)
            net = slim.fully_connected(net, 32, scope='fc3')
            net = slim.dropout(net, dropout_keep_prob, is_training=is_training,
                               scope='dropout3')
            logits = slim.fully_connected(net, num_classes, activation_fn=None,
                                          normalizer_fn=None, scope='fc4')
            end_points = slim.utils.convert_collection_to_dict(end_points_collection)
    return logits, end_points


def main():
    tf.set_random_seed(0)
    np.random.seed(0)
    images_np = np.random.rand(4, 8, 8, 3).astype(np.float32)
    labels_np = np.array([0, 1, 2, 3])

    images = tf.placeholder(tf.float32, [None, 8, 8, 3])
    labels = tf.placeholder(tf.int64, [None])
    with slim.arg_scope(vgg_arg_scope(is_training=True)):
        logits, end_points = vgg_tiny(images, is_training=True)

    one_hot_labels = slim.one_hot_encoding(labels, 5)
    slim.losses.softmax_cross_entropy(logits, one_hot_labels)
    total_loss = slim.losses.get_total_loss()
    optimizer = tf.train.MomentumOptimizer(learning_rate=0.05, momentum=0.9)
    train_op = slim.learning.create_train_op(total_loss, optimizer)

    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(8):
            loss = sess.run(train_op, {images: images_np, labels: labels_np})
        out = sess.run(logits, {images: images_np})
    print("RESULT " + json.dumps({
        "total_loss": round(float(loss), 6),
        "logits0": [round(float(v), 6) for v in out[0]],
        "num_model_variables": len(slim.get_model_variables()),
        "num_end_points": len(end_points),
    }))


if __name__ == '__main__':
    main()
