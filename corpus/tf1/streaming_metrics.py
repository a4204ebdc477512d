"""Streaming evaluation with tf.metrics (accuracy, mean, precision,
recall): local variables, update ops run per batch, values read at the end."""
import json

import numpy as np
from tensorflow.compat import v1 as tf

tf.disable_v2_behavior()


def main():
    np.random.seed(0)
    tf.set_random_seed(0)
    all_scores = np.random.rand(12, 3).astype(np.float32)
    all_labels = np.argmax(all_scores, axis=1).astype(np.int64)
    flip = np.random.rand(12) < 0.3
    all_labels[flip] = (all_labels[flip] + 1) % 3

    scores = tf.placeholder(tf.float32, [None, 3])
    labels = tf.placeholder(tf.int64, [None])
    predictions = tf.argmax(scores, 1)
    probs = tf.nn.softmax(scores)

    acc, acc_update = tf.metrics.accuracy(labels=labels, predictions=predictions)
    mean_conf, mean_update = tf.metrics.mean(tf.reduce_max(probs, axis=1))
    is_zero_label = tf.equal(labels, 0)
    is_zero_pred = tf.equal(predictions, 0)
    prec, prec_update = tf.metrics.precision(is_zero_label, is_zero_pred)
    rec, rec_update = tf.metrics.recall(is_zero_label, is_zero_pred)
    update_op = tf.group(acc_update, mean_update, prec_update, rec_update)

    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(tf.local_variables_initializer())
        for start in range(0, 12, 4):
            sess.run(update_op, {scores: all_scores[start:start + 4],
                                 labels: all_labels[start:start + 4]})
        a, m, p, r = sess.run([acc, mean_conf, prec, rec])
        n_local = len(tf.local_variables())
    print("RESULT " + json.dumps({
        "accuracy": round(float(a), 6),
        "mean_confidence": round(float(m), 6),
        "precision0": round(float(p), 6),
        "recall0": round(float(r), 6),
        "num_local_variables": n_local,
    }))


if __name__ == '__main__':
    main()
