"""Pre-tf.data input pipeline: a CSV file read through string_input_producer,
TextLineReader and decode_csv, batched with tf.train.batch and driven by a
Coordinator and start_queue_runners."""
import json
import os
import shutil
import tempfile

import numpy as np
import tensorflow as tf


def write_csv(path, rows):
    with tf.io.gfile.GFile(path, 'w') as f:
        for row in rows:
            f.write(','.join('%.4f' % v for v in row[:-1]) + ',%d\n' % row[-1])


def read_batch(filename, batch_size):
    record_defaults = [[0.0], [0.0], [0.0], [0]]

    def parse_line(value):
        c1, c2, c3, label = tf.io.decode_csv(value, record_defaults=record_defaults)
        features = tf.stack([c1, c2, c3])
        return features, label

    dataset = tf.data.TextLineDataset([filename])
    dataset = dataset.repeat()
    dataset = dataset.map(parse_line)
    dataset = dataset.batch(batch_size)
    return iter(dataset)


def main():
    np.random.seed(0)
    tf.random.set_seed(0)
    tmp = tempfile.mkdtemp()
    csv_path = os.path.join(tmp, 'data.csv')
    feats = np.random.randn(8, 3)
    rows = [list(f) + [int(f.sum() > 0)] for f in feats]
    write_csv(csv_path, rows)

    read_batch_iterator = read_batch(csv_path, batch_size=4)
    w = tf.Variable(tf.zeros([3, 1]))
    b = tf.Variable(tf.zeros([1]))
    optimizer = tf.keras.optimizers.SGD(learning_rate=0.5)

    @tf.function
    def train_step(features, labels):
        with tf.GradientTape() as tape:
            logits = tf.squeeze(tf.matmul(features, w) + b, axis=1)
            loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
                labels=tf.cast(labels, tf.float32), logits=logits))
        variables = tape.watched_variables()
        gradients = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(gradients, variables))
        return loss

    losses = []
    for step in range(10):
        l = train_step(*read_batch_iterator.get_next()).numpy()
        losses.append(l)
    w_v = w.numpy()
    shutil.rmtree(tmp)
    print("RESULT " + json.dumps({
        "losses_last3": [round(float(v), 6) for v in losses[-3:]],
        "w": [round(float(v), 6) for v in w_v[:, 0]],
    }))


if __name__ == '__main__':
    main()
