"""Streaming evaluation with tf.metrics (accuracy, mean, precision,
recall): local variables, update ops run per batch, values read at the end."""
import json

import numpy as np
import tensorflow as tf


def main():
    np.random.seed(0)
    tf.random.set_seed(0)
    all_scores = np.random.rand(12, 3).astype(np.float32)
    all_labels = np.argmax(all_scores, axis=1).astype(np.int64)
    flip = np.random.rand(12) < 0.3
    all_labels[flip] = (all_labels[flip] + 1) % 3

    accuracy_metric = tf.keras.metrics.Accuracy()
    mean_metric = tf.keras.metrics.Mean()
    precision_metric = tf.keras.metrics.Precision()
    recall_metric = tf.keras.metrics.Recall()

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32), tf.TensorSpec([None], tf.int64)])
    def update_metrics(scores, labels):
        predictions = tf.argmax(scores, 1)
        probs = tf.nn.softmax(scores)
        accuracy_metric.update_state(labels, predictions)
        mean_metric.update_state(tf.reduce_max(probs, axis=1))
        is_zero_label = tf.equal(labels, 0)
        is_zero_pred = tf.equal(predictions, 0)
        precision_metric.update_state(is_zero_label, is_zero_pred)
        recall_metric.update_state(is_zero_label, is_zero_pred)

    @tf.function
    def compute_acc_mean_conf_prec_rec():
        acc = accuracy_metric.result()
        mean_conf = mean_metric.result()
        prec = precision_metric.result()
        rec = recall_metric.result()
        return acc, mean_conf, prec, rec

    for start in range(0, 12, 4):
        update_metrics(all_scores[start:start + 4], all_labels[start:start + 4])
    a, m, p, r = [t.numpy() for t in compute_acc_mean_conf_prec_rec()]
    n_local = len([*accuracy_metric.variables, *mean_metric.variables, *precision_metric.variables, *recall_metric.variables])
    print("RESULT " + json.dumps({
        "accuracy": round(float(a), 6),
        "mean_confidence": round(float(m), 6),
        "precision0": round(float(p), 6),
        "recall0": round(float(r), 6),
        "num_local_variables": n_local,
    }))


if __name__ == '__main__':
    main()
