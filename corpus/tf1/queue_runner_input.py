"""Pre-tf.data input pipeline: a CSV file read through string_input_producer,
TextLineReader and decode_csv, batched with tf.train.batch and driven by a
Coordinator and start_queue_runners."""
import json
import os
import shutil
import tempfile

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()


def write_csv(path, rows):
    with tf.gfile.GFile(path, 'w') as f:
        for row in rows:
            f.write(','.join('%.4f' % v for v in row[:-1]) + ',%d\n' % row[-1])


def read_batch(filename, batch_size):
    filename_queue = tf.train.string_input_producer([filename], shuffle=False,
                                                    num_epochs=None)
    reader = tf.TextLineReader()
    _, value = reader.read(filename_queue)
    record_defaults = [[0.0], [0.0], [0.0], [0]]
    c1, c2, c3, label = tf.decode_csv(value, record_defaults=record_defaults)
    features = tf.stack([c1, c2, c3])
    return tf.train.batch([features, label], batch_size=batch_size, num_threads=1,
                          capacity=32)


def main():
    np.random.seed(0)
    tf.set_random_seed(0)
    tmp = tempfile.mkdtemp()
    csv_path = os.path.join(tmp, 'data.csv')
    feats = np.random.randn(8, 3)
    rows = [list(f) + [int(f.sum() > 0)] for f in feats]
    write_csv(csv_path, rows)

    features, labels = read_batch(csv_path, batch_size=4)
    w = tf.Variable(tf.zeros([3, 1]))
    b = tf.Variable(tf.zeros([1]))
    logits = tf.squeeze(tf.matmul(features, w) + b, axis=1)
    loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.to_float(labels), logits=logits))
    train_op = tf.train.GradientDescentOptimizer(0.5).minimize(loss)

    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(tf.local_variables_initializer())
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess=sess, coord=coord)
        try:
            losses = []
            for step in range(10):
                if coord.should_stop():
                    break
                _, l = sess.run([train_op, loss])
                losses.append(l)
        finally:
            coord.request_stop()
            coord.join(threads)
        w_v = sess.run(w)
    shutil.rmtree(tmp)
    print("RESULT " + json.dumps({
        "losses_last3": [round(float(v), 6) for v in losses[-3:]],
        "w": [round(float(v), 6) for v in w_v[:, 0]],
    }))


if __name__ == '__main__':
    main()
