"""Tensor plumbing written with the most used TF2 ops (reductions, joins, casts, gathers)."""

import json

import tensorflow as tf


def masked_mean(features, mask):
    """Mean over the time axis of (batch, time, dim) features, ignoring padded steps."""
    mask = tf.cast(mask, tf.float32)
    summed = tf.reduce_sum(features * tf.expand_dims(mask, -1), axis=1)
    counts = tf.maximum(tf.reduce_sum(mask, axis=1, keepdims=True), 1.0)
    return summed / counts


def attention(q, k, v):
    scale = tf.sqrt(tf.cast(tf.shape(q)[-1], tf.float32))
    scores = tf.matmul(q, k, transpose_b=True) / scale
    weights = tf.nn.softmax(scores, axis=-1)
    return tf.matmul(weights, v)


def pair_features(a, b):
    both = tf.concat([a, b], axis=-1)
    stacked = tf.stack([a, b], axis=1)
    flat = tf.reshape(stacked, [tf.shape(a)[0], -1])
    centered = both - tf.reduce_mean(both, axis=0, keepdims=True)
    spread = tf.reduce_max(tf.abs(centered), axis=1) - tf.reduce_min(centered, axis=1)
    return tf.transpose(flat), tf.squeeze(tf.expand_dims(spread, 0), axis=0)


def one_hot_targets(labels, depth):
    labels = tf.clip_by_value(labels, 0, depth - 1)
    hot = tf.one_hot(labels, depth)
    rows = tf.gather(hot, tf.range(tf.shape(hot)[0] - 1, -1, -1))
    return tf.where(rows > 0.5, rows, tf.zeros_like(rows))


def summary(x):
    return {
        "mean": tf.math.reduce_mean(x),
        "std": tf.math.reduce_std(x, axis=0),
        "argmax": tf.argmax(x, axis=1),
        "first": tf.argmax(x),
        "gate": tf.math.sigmoid(x) * tf.nn.tanh(x),
        "log": tf.math.log(tf.nn.relu(x) + 1.0),
        "ones": tf.ones((2, 3), dtype=tf.float32),
        "ids": tf.constant([1, 2, 3]),
        "exp_sum": tf.reduce_sum(tf.exp(x), axis=[0, 1]),
    }


def main():
    tf.random.set_seed(0)
    x = tf.random.normal((3, 5, 4))
    mask = tf.constant([[1, 1, 0, 0, 0], [1, 1, 1, 1, 0], [1, 0, 0, 0, 0]])
    pooled = masked_mean(x, mask)
    out = attention(x, x, x)
    print("RESULT", json.dumps({"pooled": list(pooled.shape), "attention": list(out.shape)}))


if __name__ == "__main__":
    main()
