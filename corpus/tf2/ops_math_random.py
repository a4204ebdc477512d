"""Op-heavy TF2 code: math, comparisons, gathers, splits, padding, random draws, einsum."""

import json

import numpy as np
import tensorflow as tf


def normalize_rows(x):
    mean = tf.reduce_mean(x, axis=1, keepdims=True)
    std = tf.math.reduce_std(x, axis=1, keepdims=True)
    return (x - mean) / tf.sqrt(tf.square(std) + 1e-6)


def soft_targets(labels, depth):
    hot = tf.one_hot(tf.cast(labels, tf.int64), depth)
    return tf.clip_by_value(hot, 0.05, 0.95)


def gated(x, w):
    scores = tf.einsum("bi,ij->bj", x, w)
    gate = tf.nn.sigmoid(scores)
    act = tf.where(scores > 0, scores, tf.nn.leaky_relu(scores, alpha=0.1))
    return tf.add(gate * act, tf.maximum(scores, 0.0)) - tf.minimum(scores, -1.0)


def pieces(x):
    left, right = tf.split(x, 2, axis=1)
    padded = tf.pad(left, [[0, 0], [1, 2]])
    tiled = tf.tile(right[:, :1], [1, 3])
    stacked = tf.stack([tf.reduce_max(padded, axis=1), tf.reduce_sum(tiled, axis=1)], axis=-1)
    flipped = tf.transpose(tf.reshape(stacked, (-1, 2, 1)), perm=[0, 2, 1])
    return tf.squeeze(flipped, axis=1)


def picks(x, idx):
    rows = tf.gather(x, idx)
    cols = tf.gather(x, tf.range(0, 4, 2), axis=1)
    best = tf.argmax(rows, axis=-1)
    same = tf.cast(tf.equal(best, tf.argmax(tf.gather(cols, idx), axis=-1, output_type=tf.int64)), tf.float32)
    return rows, cols, same


def energies(x):
    probs = tf.nn.softmax(x, axis=-1)
    log_probs = tf.math.log(probs + 1e-9)
    entropy = -tf.reduce_sum(probs * log_probs, axis=-1)
    scaled = tf.exp(-tf.abs(x)) * tf.pow(2.0, tf.ones_like(x))
    return entropy, tf.expand_dims(tf.reduce_mean(scaled, axis=0), 0), tf.zeros_like(entropy) + tf.nn.relu(x)[:, 0]


def random_shapes():
    tf.random.set_seed(3)
    u = tf.random.uniform((2, 3), minval=-1.0, maxval=1.0)
    n = tf.random.normal((4,), mean=1.0, stddev=0.5)
    ints = tf.random.uniform((5,), minval=0, maxval=7, dtype=tf.int32)
    return u, n, ints


def main():
    rng = np.random.RandomState(0)
    x = tf.constant(rng.normal(size=(6, 4)).astype("float32"))
    w = tf.convert_to_tensor(rng.normal(size=(4, 3)).astype("float32"))
    idx = tf.constant([5, 0, 2])
    results = [normalize_rows(x), soft_targets(tf.constant([0, 2, 1]), 3), gated(x, w), pieces(x)]
    results += [*picks(x, idx), *energies(x)]
    u, n, ints = random_shapes()
    ok = bool(tf.reduce_max(tf.abs(u)) <= 1.0) and bool(tf.reduce_max(ints) < 7)
    print("RESULT", json.dumps({"shapes": [list(r.shape) for r in results], "random_ok": ok, "normal": list(n.shape)}))


if __name__ == "__main__":
    main()
