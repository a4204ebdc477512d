"""Sequence classifier: BasicLSTMCell + tf.nn.dynamic_rnn on an explicit tf.Graph.

Uses the `rnn = tf.nn.rnn_cell` alias, variable sequence lengths, picking the
last relevant output with tf.gather on the flattened outputs, MomentumOptimizer.
"""
import json

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()
rnn = tf.nn.rnn_cell

batch_size = 4
max_time = 5
n_features = 3
n_hidden = 8
n_classes = 2
num_steps = 15


def last_relevant(output, length):
    batch = tf.shape(output)[0]
    max_length = tf.shape(output)[1]
    out_size = int(output.get_shape()[2])
    index = tf.range(0, batch) * max_length + (length - 1)
    flat = tf.reshape(output, [-1, out_size])
    return tf.gather(flat, index)


def build_graph():
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(0)
        inputs = tf.placeholder(tf.float32, [None, max_time, n_features], name='inputs')
        seq_len = tf.placeholder(tf.int32, [None], name='seq_len')
        labels = tf.placeholder(tf.int32, [None], name='labels')

        cell = rnn.BasicLSTMCell(n_hidden, forget_bias=1.0)
        outputs, state = tf.nn.dynamic_rnn(cell, inputs, sequence_length=seq_len,
                                           dtype=tf.float32)
        last = last_relevant(outputs, seq_len)

        weight = tf.Variable(tf.truncated_normal([n_hidden, n_classes], stddev=0.1))
        bias = tf.Variable(tf.constant(0.1, shape=[n_classes]))
        logits = tf.matmul(last, weight) + bias
        # time-major view, only to show the transpose idiom
        time_major = tf.transpose(outputs, [1, 0, 2])
        first_step = tf.unstack(time_major, axis=0)[0]

        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=labels, logits=logits))
        train_op = tf.train.MomentumOptimizer(0.1, momentum=0.9).minimize(loss)
        init = tf.global_variables_initializer()
    return graph, dict(inputs=inputs, seq_len=seq_len, labels=labels, logits=logits,
                       loss=loss, train_op=train_op, init=init, state=state,
                       first_step=first_step)


def main():
    np.random.seed(0)
    x = np.random.randn(batch_size, max_time, n_features).astype(np.float32)
    lengths = np.array([5, 3, 4, 2], dtype=np.int32)
    y = np.array([0, 1, 1, 0], dtype=np.int32)

    graph, m = build_graph()
    feed = {m['inputs']: x, m['seq_len']: lengths, m['labels']: y}
    with tf.Session(graph=graph) as sess:
        sess.run(m['init'])
        for step in range(num_steps):
            _, l = sess.run([m['train_op'], m['loss']], feed_dict=feed)
            if step % 5 == 0:
                print('step', step, 'loss', l)
        loss, logits, state, first = sess.run(
            [m['loss'], m['logits'], m['state'], m['first_step']], feed_dict=feed)
    print("RESULT " + json.dumps({
        "loss": round(float(loss), 6),
        "logits0": [round(float(v), 6) for v in logits[0]],
        "final_h1": [round(float(v), 6) for v in state.h[1][:5]],
        "first_step_sum": round(float(first.sum()), 6),
    }))


if __name__ == '__main__':
    main()
