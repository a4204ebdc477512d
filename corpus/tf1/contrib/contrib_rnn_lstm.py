# REWRITE-ONLY INPUT: genuine tf.contrib.rnn / tf.contrib.seq2seq code.
# tf.contrib does not exist in TensorFlow 2.x, so this program cannot run under
# TF 2.21; it has no expected JSON and run_tf1.py does not run it. It is input
# for the rewriter (and its migrated output may be run). It keeps the
# RESULT-line convention.
"""Sequence tagger on tf.contrib.rnn: stacked BasicLSTMCells wrapped in
DropoutWrapper inside a MultiRNNCell, unrolled with tf.contrib.rnn.static_rnn,
loss from tf.contrib.seq2seq.sequence_loss, gradients clipped by global norm."""
import json

import numpy as np
import tensorflow as tf
from tensorflow.contrib import rnn

BATCH = 4
STEPS = 5
FEATURES = 3
HIDDEN = 8
NUM_TAGS = 3


def lstm_cell(keep_prob):
    cell = tf.contrib.rnn.BasicLSTMCell(HIDDEN, forget_bias=1.0, state_is_tuple=True)
    return rnn.DropoutWrapper(cell, output_keep_prob=keep_prob)


def main():
    tf.set_random_seed(0)
    np.random.seed(0)
    x_np = np.random.randn(BATCH, STEPS, FEATURES).astype(np.float32)
    y_np = (x_np.sum(axis=2) > 0).astype(np.int32) + (x_np[:, :, 0] > 1).astype(np.int32)

    x = tf.placeholder(tf.float32, [BATCH, STEPS, FEATURES])
    y = tf.placeholder(tf.int32, [BATCH, STEPS])
    keep_prob = tf.placeholder_with_default(1.0, [])

    cell = tf.contrib.rnn.MultiRNNCell([lstm_cell(keep_prob) for _ in range(2)],
                                       state_is_tuple=True)
    inputs = tf.unstack(x, STEPS, 1)
    outputs, state = tf.contrib.rnn.static_rnn(cell, inputs, dtype=tf.float32)
    output = tf.reshape(tf.stack(outputs, axis=1), [-1, HIDDEN])

    softmax_w = tf.get_variable('softmax_w', [HIDDEN, NUM_TAGS],
                                initializer=tf.contrib.layers.xavier_initializer())
    softmax_b = tf.get_variable('softmax_b', [NUM_TAGS], initializer=tf.zeros_initializer())
    logits = tf.reshape(tf.matmul(output, softmax_w) + softmax_b, [BATCH, STEPS, NUM_TAGS])
    loss = tf.contrib.seq2seq.sequence_loss(logits, y, tf.ones([BATCH, STEPS]))

    tvars = tf.trainable_variables()
    grads, _ = tf.clip_by_global_norm(tf.gradients(loss, tvars), 5.0)
    train_op = tf.train.AdamOptimizer(0.01).apply_gradients(zip(grads, tvars))

    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(15):
            sess.run(train_op, {x: x_np, y: y_np, keep_prob: 0.9})
        l, final_state = sess.run([loss, state], {x: x_np, y: y_np})
    print("RESULT " + json.dumps({
        "loss": round(float(l), 6),
        "top_h0": [round(float(v), 6) for v in final_state[-1].h[0][:5]],
    }))


if __name__ == '__main__':
    main()
