"""CIFAR-10-tutorial style model: _variable_with_weight_decay puts
tf.nn.l2_loss terms into the 'losses' collection, total loss is tf.add_n over
tf.get_collection('losses'); gradients clipped by global norm, applied with a
MomentumOptimizer and global_step."""
import json

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()

NUM_CLASSES = 4


def _variable_on_cpu(name, shape, initializer):
    with tf.device('/cpu:0'):
        var = tf.get_variable(name, shape, initializer=initializer, dtype=tf.float32)
    return var


def _variable_with_weight_decay(name, shape, stddev, wd):
    var = _variable_on_cpu(name, shape,
                           tf.truncated_normal_initializer(stddev=stddev, dtype=tf.float32))
    if wd is not None:
        weight_decay = tf.multiply(tf.nn.l2_loss(var), wd, name='weight_loss')
        tf.add_to_collection('losses', weight_decay)
    return var


def inference(images):
    with tf.variable_scope('conv1') as scope:
        kernel = _variable_with_weight_decay('weights', shape=[3, 3, 2, 8],
                                             stddev=5e-2, wd=None)
        conv = tf.nn.conv2d(images, kernel, [1, 1, 1, 1], padding='SAME')
        biases = _variable_on_cpu('biases', [8], tf.constant_initializer(0.0))
        pre_activation = tf.nn.bias_add(conv, biases)
        conv1 = tf.nn.relu(pre_activation, name=scope.name)
    pool1 = tf.nn.max_pool(conv1, ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1],
                           padding='SAME', name='pool1')
    with tf.variable_scope('local3') as scope:
        reshape = tf.reshape(pool1, [images.get_shape()[0].value, -1])
        dim = reshape.get_shape()[1].value
        weights = _variable_with_weight_decay('weights', shape=[dim, 16],
                                              stddev=0.04, wd=0.004)
        biases = _variable_on_cpu('biases', [16], tf.constant_initializer(0.1))
        local3 = tf.nn.relu(tf.matmul(reshape, weights) + biases, name=scope.name)
    with tf.variable_scope('softmax_linear') as scope:
        weights = _variable_with_weight_decay('weights', [16, NUM_CLASSES],
                                              stddev=1 / 16.0, wd=None)
        biases = _variable_on_cpu('biases', [NUM_CLASSES], tf.constant_initializer(0.0))
        softmax_linear = tf.add(tf.matmul(local3, weights), biases, name=scope.name)
    return softmax_linear


def loss(logits, labels):
    labels = tf.cast(labels, tf.int64)
    cross_entropy = tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=labels, logits=logits, name='cross_entropy_per_example')
    cross_entropy_mean = tf.reduce_mean(cross_entropy, name='cross_entropy')
    tf.add_to_collection('losses', cross_entropy_mean)
    return tf.add_n(tf.get_collection('losses'), name='total_loss')


def train(total_loss, global_step):
    opt = tf.train.MomentumOptimizer(0.05, 0.9)
    grads_and_vars = opt.compute_gradients(total_loss)
    grads, tvars = zip(*grads_and_vars)
    clipped, global_norm = tf.clip_by_global_norm(grads, 5.0)
    apply_op = opt.apply_gradients(zip(clipped, tvars), global_step=global_step)
    with tf.control_dependencies([apply_op]):
        train_op = tf.no_op(name='train')
    return train_op, global_norm


def main():
    tf.set_random_seed(0)
    np.random.seed(0)
    images_np = np.random.randn(8, 6, 6, 2).astype(np.float32)
    labels_np = np.arange(8) % NUM_CLASSES

    global_step = tf.train.get_or_create_global_step()
    images = tf.placeholder(tf.float32, [8, 6, 6, 2])
    labels = tf.placeholder(tf.int32, [8])
    logits = inference(images)
    total_loss = loss(logits, labels)
    train_op, global_norm = train(total_loss, global_step)

    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(15):
            _, tl, gn = sess.run([train_op, total_loss, global_norm],
                                 {images: images_np, labels: labels_np})
        tl, step, lg = sess.run([total_loss, global_step, logits],
                                {images: images_np, labels: labels_np})
    print("RESULT " + json.dumps({
        "total_loss": round(float(tl), 6),
        "last_grad_norm": round(float(gn), 6),
        "global_step": int(step),
        "n_losses": len(tf.get_collection('losses')),
        "logits0": [round(float(v), 6) for v in lg[0]],
    }))


if __name__ == '__main__':
    main()
