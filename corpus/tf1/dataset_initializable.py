"""Initializable iterator fed from placeholders; train epochs until
OutOfRangeError, then re-initialize the same iterator on the eval split."""
import json

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()


def preprocess(image, label):
    image = tf.cast(image, tf.float32) / 255.0
    image = tf.reshape(image, [16])
    return image, tf.one_hot(label, 2)


def main():
    tf.set_random_seed(0)
    np.random.seed(0)
    train_images = np.random.randint(0, 256, size=(12, 4, 4)).astype(np.uint8)
    train_labels = (train_images.reshape(12, -1).mean(axis=1) > 127).astype(np.int64)
    eval_images = np.random.randint(0, 256, size=(6, 4, 4)).astype(np.uint8)
    eval_labels = (eval_images.reshape(6, -1).mean(axis=1) > 127).astype(np.int64)

    images_ph = tf.placeholder(tf.uint8, [None, 4, 4])
    labels_ph = tf.placeholder(tf.int64, [None])
    batch_size = tf.placeholder(tf.int64, [])

    dataset = tf.data.Dataset.from_tensor_slices((images_ph, labels_ph))
    dataset = dataset.map(preprocess)
    dataset = dataset.batch(batch_size)
    iterator = dataset.make_initializable_iterator()
    images, labels = iterator.get_next()

    with tf.variable_scope('logreg'):
        W = tf.get_variable('W', [16, 2], initializer=tf.zeros_initializer())
        b = tf.get_variable('b', [2], initializer=tf.zeros_initializer())
    logits = tf.matmul(images, W) + b
    loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(
        labels=labels, logits=logits))
    train_op = tf.train.GradientDescentOptimizer(1.0).minimize(loss)
    correct = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(logits, 1), tf.argmax(labels, 1)),
                                    tf.int32))

    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        steps = 0
        for epoch in range(3):
            sess.run(iterator.initializer, feed_dict={
                images_ph: train_images, labels_ph: train_labels, batch_size: 4})
            while True:
                try:
                    _, l = sess.run([train_op, loss])
                    steps += 1
                except tf.errors.OutOfRangeError:
                    break
            print('epoch %d loss %.4f' % (epoch, l))
        sess.run(iterator.initializer, feed_dict={
            images_ph: eval_images, labels_ph: eval_labels, batch_size: 6})
        n_correct, eval_loss = sess.run([correct, loss])
    print("RESULT " + json.dumps({
        "train_steps": steps,
        "last_train_loss": round(float(l), 6),
        "eval_loss": round(float(eval_loss), 6),
        "eval_correct": int(n_correct),
    }))


if __name__ == '__main__':
    main()
