"""Summaries end to end: tf.summary.scalar/histogram under name_scope,
tf.summary.merge of an explicit list and merge_all, a FileWriter into a temp
dir, then the event file read back with tf.train.summary_iterator."""
import json
import os
import tempfile

import numpy as np
from tensorflow.compat import v1 as tf

tf.disable_v2_behavior()


def variable_summaries(var):
    with tf.name_scope('summaries'):
        mean = tf.reduce_mean(var)
        tf.summary.scalar('mean', mean)
        with tf.name_scope('stddev'):
            stddev = tf.sqrt(tf.reduce_mean(tf.square(var - mean)))
        tf.summary.scalar('stddev', stddev)
        tf.summary.scalar('max', tf.reduce_max(var))
        tf.summary.histogram('histogram', var)


def main():
    tf.set_random_seed(0)
    np.random.seed(0)
    log_dir = tempfile.mkdtemp()
    data = np.random.randn(8, 4).astype(np.float32)
    target = data.sum(axis=1, keepdims=True)

    x = tf.placeholder(tf.float32, [None, 4], name='x-input')
    y = tf.placeholder(tf.float32, [None, 1], name='y-input')
    with tf.name_scope('layer'):
        with tf.name_scope('weights'):
            w = tf.Variable(tf.truncated_normal([4, 1], stddev=0.1))
            variable_summaries(w)
        with tf.name_scope('Wx_plus_b'):
            pred = tf.matmul(x, w)
            tf.summary.histogram('pre_activations', pred)
    with tf.name_scope('loss'):
        loss = tf.reduce_mean(tf.square(pred - y))
        loss_summary = tf.summary.scalar('loss', loss)
    train_step = tf.train.AdamOptimizer(0.1).minimize(loss)
    lr_summary = tf.summary.scalar('learning_rate', tf.constant(0.1))

    small_merge = tf.summary.merge([loss_summary, lr_summary])
    merged = tf.summary.merge_all()

    with tf.Session() as sess:
        train_writer = tf.summary.FileWriter(os.path.join(log_dir, 'train'), sess.graph)
        sess.run(tf.global_variables_initializer())
        for i in range(10):
            if i % 3 == 0:
                summary, _ = sess.run([merged, train_step], feed_dict={x: data, y: target})
            else:
                summary, _ = sess.run([small_merge, train_step], feed_dict={x: data, y: target})
            train_writer.add_summary(summary, i)
        train_writer.close()
        final_loss = sess.run(loss, {x: data, y: target})

    event_files = tf.gfile.Glob(os.path.join(log_dir, 'train', 'events.out.tfevents.*'))
    tags, loss_values = {}, []
    for e in tf.train.summary_iterator(event_files[0]):
        for v in e.summary.value:
            tags[v.tag] = tags.get(v.tag, 0) + 1
            if v.tag == 'loss/loss':
                loss_values.append(v.simple_value)
    print("RESULT " + json.dumps({
        "final_loss": round(float(final_loss), 6),
        "tag_counts": tags,
        "loss_at_step9": round(float(loss_values[-1]), 6),
    }))


if __name__ == '__main__':
    main()
