"""Sequence classifier: BasicLSTMCell + tf.nn.dynamic_rnn on an explicit tf.Graph.

Uses the `rnn = tf.nn.rnn_cell` alias, variable sequence lengths, picking the
last relevant output with tf.gather on the flattened outputs, MomentumOptimizer.
"""
import json

import numpy as np
import tensorflow as tf

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


def main():
    np.random.seed(0)
    x = np.random.randn(batch_size, max_time, n_features).astype(np.float32)
    lengths = np.array([5, 3, 4, 2], dtype=np.int32)
    y = np.array([0, 1, 1, 0], dtype=np.int32)

    tf.random.set_seed(0)

    cell = tf.keras.layers.LSTM(n_hidden, return_sequences=True, return_state=True, zero_output_for_mask=True, name='rnn')

    weight = tf.Variable(tf.random.truncated_normal([n_hidden, n_classes], stddev=0.1))
    bias = tf.Variable(tf.constant(0.1, shape=[n_classes]))

    optimizer = tf.keras.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=False)

    @tf.function(input_signature=[tf.TensorSpec([None, max_time, n_features], tf.float32), tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.int32)])
    def train_step(inputs, seq_len, labels):
        with tf.GradientTape() as tape:
            outputs, state_h, state_c = cell(inputs, mask=tf.sequence_mask(seq_len, tf.shape(inputs)[1]))
            last = last_relevant(outputs, seq_len)
            logits = tf.matmul(last, weight) + bias
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=labels, logits=logits))
        variables = tape.watched_variables()
        gradients = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(gradients, variables))
        return loss

    @tf.function(input_signature=[tf.TensorSpec([None, max_time, n_features], tf.float32), tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.int32)])
    def compute_loss_logits_state_h_first_step(inputs, seq_len, labels):
        outputs, state_h, state_c = cell(inputs, mask=tf.sequence_mask(seq_len, tf.shape(inputs)[1]))
        last = last_relevant(outputs, seq_len)
        logits = tf.matmul(last, weight) + bias
        # time-major view, only to show the transpose idiom
        time_major = tf.transpose(outputs, [1, 0, 2])
        first_step = tf.unstack(time_major, axis=0)[0]
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=labels, logits=logits))
        return loss, logits, state_h, first_step

    feed = {"inputs": x, "seq_len": lengths, "labels": y}
    for step in range(num_steps):
        l = train_step(**feed).numpy()
        if step % 5 == 0:
            print('step', step, 'loss', l)
    loss_value, logits_value, state_value_h, first = [t.numpy() for t in compute_loss_logits_state_h_first_step(**feed)]
    print("RESULT " + json.dumps({
        "loss": round(float(loss_value), 6),
        "logits0": [round(float(v), 6) for v in logits_value[0]],
        "final_h1": [round(float(v), 6) for v in state_value_h[1][:5]],
        "first_step_sum": round(float(first.sum()), 6),
    }))


if __name__ == '__main__':
    main()
