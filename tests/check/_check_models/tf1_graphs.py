"""TF1 graph factories (run in the checker's TF1 worker subprocess)."""

import tensorflow.compat.v1 as tf


def cnn_lstm():
    """Conv (SAME, stride 2) + BN + dropout + Flatten->Dense, and a BasicLSTMCell with forget_bias 0.7."""
    x = tf.placeholder(tf.float32, [None, 8, 8, 3], name="x")
    training = tf.placeholder_with_default(False, [], name="training")
    h = tf.layers.conv2d(x, 4, 3, strides=2, padding="same", activation=tf.nn.relu)
    h = tf.layers.batch_normalization(h, momentum=0.9, training=training)
    h = tf.layers.dropout(h, rate=0.25, training=training)
    h = tf.layers.flatten(h)
    y = tf.layers.dense(h, 5)
    seq = tf.placeholder(tf.float32, [None, None, 3], name="seq")
    cell = tf.nn.rnn_cell.BasicLSTMCell(4, forget_bias=0.7)
    o, _ = tf.nn.dynamic_rnn(cell, seq, dtype=tf.float32)
    return {"x": x, "training": training, "seq": seq}, {"y": y, "o": o}


def lstm_only():
    """A BasicLSTMCell (forget_bias 0.5) over a sequence, explicit intermediates dict."""
    seq = tf.placeholder(tf.float32, [None, None, 3], name="seq")
    cell = tf.nn.rnn_cell.BasicLSTMCell(5, forget_bias=0.5)
    o, _ = tf.nn.dynamic_rnn(cell, seq, dtype=tf.float32)
    last = o[:, -1]
    return {"seq": seq}, {"o": o}, {"rnn": o, "last": last}


def lstm_cell_default():
    """tf.nn.rnn_cell.LSTMCell with its default forget_bias (1.0)."""
    seq = tf.placeholder(tf.float32, [None, None, 2], name="seq")
    cell = tf.nn.rnn_cell.LSTMCell(3)
    o, _ = tf.nn.dynamic_rnn(cell, seq, dtype=tf.float32)
    return {"seq": seq}, {"o": o}


def broken():
    raise RuntimeError("this factory is broken on purpose")
