"""A VGG-ish net written the way slim code was organised (shared layer defaults,
repeat blocks, batch norm as the normalizer, l2 weight decay, dropout), but
with tf.layers so it runs without tf.contrib: functools.partial stands in for
slim.arg_scope and a small helper stands in for slim.repeat."""
import functools
import json

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()
layers = tf.layers

WEIGHT_DECAY = 0.0005


def repeat(inputs, repetitions, layer, *args, **kwargs):
    scope = kwargs.pop('scope')
    outputs = inputs
    with tf.variable_scope(scope):
        for i in range(repetitions):
            kwargs['name'] = '%s_%d' % (scope, i + 1)
            outputs = layer(outputs, *args, **kwargs)
    return outputs


def vgg_tiny(inputs, num_classes=5, is_training=True, dropout_keep_prob=0.5):
    regularizer = tf.keras.regularizers.l2(WEIGHT_DECAY)

    def conv_bn_relu(x, filters, kernel_size, name):
        x = layers.conv2d(x, filters, kernel_size, padding='same', use_bias=False,
                          kernel_initializer=tf.truncated_normal_initializer(stddev=0.1),
                          kernel_regularizer=regularizer, name=name)
        x = layers.batch_normalization(x, training=is_training, name=name + '/BatchNorm')
        return tf.nn.relu(x)

    conv = functools.partial(conv_bn_relu, kernel_size=[3, 3])
    pool = functools.partial(layers.max_pooling2d, pool_size=[2, 2], strides=2)

    with tf.variable_scope('vgg_tiny', values=[inputs]):
        net = repeat(inputs, 2, conv, 8, scope='conv1')
        net = pool(net, name='pool1')
        net = repeat(net, 2, conv, 16, scope='conv2')
        net = layers.average_pooling2d(net, [4, 4], strides=1, name='avgpool')
        net = layers.flatten(net)
        net = layers.dropout(net, rate=1 - dropout_keep_prob, training=is_training,
                             name='dropout')
        logits = layers.dense(net, num_classes, kernel_regularizer=regularizer,
                              name='logits')
    return logits


def main():
    tf.set_random_seed(0)
    np.random.seed(0)
    images_np = np.random.rand(4, 8, 8, 3).astype(np.float32)
    labels_np = np.array([0, 1, 2, 3])

    images = tf.placeholder(tf.float32, [None, 8, 8, 3])
    labels = tf.placeholder(tf.int64, [None])
    is_training = tf.placeholder_with_default(True, [], name='is_training')
    logits = vgg_tiny(images, is_training=is_training)

    xent = tf.losses.sparse_softmax_cross_entropy(labels, logits)
    reg_loss = tf.losses.get_regularization_loss()
    total_loss = xent + reg_loss
    update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    with tf.control_dependencies(update_ops):
        train_op = tf.train.MomentumOptimizer(0.05, 0.9).minimize(total_loss)

    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(8):
            sess.run(train_op, {images: images_np, labels: labels_np})
        tl, rl, eval_logits = sess.run([total_loss, reg_loss, logits],
                                       {images: images_np, labels: labels_np,
                                        is_training: False})
    names = sorted(v.op.name for v in tf.trainable_variables())
    print("RESULT " + json.dumps({
        "total_loss": round(float(tl), 6),
        "reg_loss": round(float(rl), 6),
        "logits0": [round(float(v), 6) for v in eval_logits[0]],
        "num_trainable": len(names),
        "first_var": names[0],
    }))


if __name__ == '__main__':
    main()
