"""Initializable iterator fed from placeholders; train epochs until
OutOfRangeError, then re-initialize the same iterator on the eval split."""
import json

import numpy as np
import tensorflow as tf


def preprocess(image, label):
    image = tf.cast(image, tf.float32) / 255.0
    image = tf.reshape(image, [16])
    return image, tf.one_hot(label, 2)


def main():
    tf.random.set_seed(0)
    np.random.seed(0)
    train_images = np.random.randint(0, 256, size=(12, 4, 4)).astype(np.uint8)
    train_labels = (train_images.reshape(12, -1).mean(axis=1) > 127).astype(np.int64)
    eval_images = np.random.randint(0, 256, size=(6, 4, 4)).astype(np.uint8)
    eval_labels = (eval_images.reshape(6, -1).mean(axis=1) > 127).astype(np.int64)

    def make_dataset(images_ph, labels_ph, batch_size):
        images_ph = tf.convert_to_tensor(images_ph, tf.uint8)
        labels_ph = tf.convert_to_tensor(labels_ph, tf.int64)
        batch_size = tf.convert_to_tensor(batch_size, tf.int64)
        dataset = tf.data.Dataset.from_tensor_slices((images_ph, labels_ph))
        dataset = dataset.map(preprocess)
        dataset = dataset.batch(batch_size)
        return dataset

    W = tf.Variable(tf.zeros([16, 2]), name='logreg/W')
    b = tf.Variable(tf.zeros([2]), name='logreg/b')
    optimizer = tf.keras.optimizers.SGD(learning_rate=1.0)

    @tf.function
    def train_step(images, labels):
        with tf.GradientTape() as tape:
            logits = tf.matmul(images, W) + b
            loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(
                labels=labels, logits=logits))
        variables = tape.watched_variables()
        gradients = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(gradients, variables))
        return loss

    @tf.function
    def compute_correct_loss(images, labels):
        logits = tf.matmul(images, W) + b
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(
            labels=labels, logits=logits))
        correct = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(logits, 1), tf.argmax(labels, 1)),
                                        tf.int32))
        return correct, loss

    steps = 0
    for epoch in range(3):
        iterator = iter(make_dataset(train_images, train_labels, 4))
        while True:
            try:
                l = train_step(*iterator.get_next()).numpy()
                steps += 1
            except tf.errors.OutOfRangeError:
                break
        print('epoch %d loss %.4f' % (epoch, l))
    iterator = iter(make_dataset(eval_images, eval_labels, 6))
    n_correct, eval_loss = [t.numpy() for t in compute_correct_loss(*iterator.get_next())]
    print("RESULT " + json.dumps({
        "train_steps": steps,
        "last_train_loss": round(float(l), 6),
        "eval_loss": round(float(eval_loss), 6),
        "eval_correct": int(n_correct),
    }))


if __name__ == '__main__':
    main()
