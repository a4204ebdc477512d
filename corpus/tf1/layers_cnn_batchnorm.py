"""tf.layers convnet with batch normalization and dropout toggled by is_training.

The batch-norm moving averages are updated through the UPDATE_OPS collection
wrapped around the train op with tf.control_dependencies.
"""
import json

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()


def model_fn(images, is_training, num_classes=3):
    net = tf.layers.conv2d(images, filters=8, kernel_size=3, padding='same',
                           use_bias=False, name='conv1')
    net = tf.layers.batch_normalization(net, training=is_training, name='bn1')
    net = tf.nn.relu(net)
    net = tf.layers.max_pooling2d(net, pool_size=2, strides=2, name='pool1')
    net = tf.layers.conv2d(net, 16, [3, 3], padding='same', activation=tf.nn.relu,
                           name='conv2')
    net = tf.layers.max_pooling2d(net, 2, 2, name='pool2')
    net = tf.layers.flatten(net)
    net = tf.layers.dense(net, 32, activation=tf.nn.relu, name='fc1')
    net = tf.layers.dropout(net, rate=0.25, training=is_training)
    logits = tf.layers.dense(net, num_classes, name='logits')
    return logits


def main():
    tf.set_random_seed(0)
    np.random.seed(0)
    images_np = np.random.rand(8, 12, 12, 1).astype(np.float32)
    labels_np = np.array([0, 1, 2, 0, 1, 2, 0, 1], dtype=np.int32)

    images = tf.placeholder(tf.float32, [None, 12, 12, 1], name='images')
    labels = tf.placeholder(tf.int32, [None], name='labels')
    is_training = tf.placeholder(tf.bool, name='is_training')

    logits = model_fn(images, is_training)
    loss = tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)

    update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    with tf.control_dependencies(update_ops):
        train_op = tf.train.AdamOptimizer(learning_rate=0.01).minimize(loss)

    predictions = tf.argmax(logits, axis=1, output_type=tf.int32)
    accuracy = tf.reduce_mean(tf.to_float(tf.equal(predictions, labels)))

    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for step in range(12):
            _, train_loss = sess.run([train_op, loss], feed_dict={
                images: images_np, labels: labels_np, is_training: True})
        eval_loss, acc, eval_logits = sess.run(
            [loss, accuracy, logits],
            feed_dict={images: images_np, labels: labels_np, is_training: False})
        moving_mean = sess.run(tf.get_default_graph().get_tensor_by_name(
            'bn1/moving_mean:0'))
    print("RESULT " + json.dumps({
        "train_loss": round(float(train_loss), 6),
        "eval_loss": round(float(eval_loss), 6),
        "accuracy": round(float(acc), 6),
        "logits0": [round(float(v), 6) for v in eval_logits[0]],
        "moving_mean": [round(float(v), 6) for v in moving_mean[:4]],
        "num_update_ops": len(update_ops),
    }))


if __name__ == '__main__':
    main()
