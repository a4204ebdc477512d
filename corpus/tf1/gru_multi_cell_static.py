"""Character-level language model step: stacked GRU cells (MultiRNNCell) unrolled
with tf.nn.static_rnn over tf.unstack'ed inputs, explicit zero_state, and a
per-timestep loss averaged by hand."""
import json

import numpy as np
from tensorflow.compat import v1 as tf

tf.disable_v2_behavior()

TEXT = "hello tensorflow world "
NUM_STEPS = 4
BATCH = 3
HIDDEN = 12
NUM_LAYERS = 2


def make_batches(text, char_to_id):
    data = np.array([char_to_id[c] for c in text], np.int32)
    xs, ys = [], []
    for b in range(BATCH):
        start = b * 6
        xs.append(data[start:start + NUM_STEPS])
        ys.append(data[start + 1:start + NUM_STEPS + 1])
    return np.stack(xs), np.stack(ys)


def main():
    tf.set_random_seed(0)
    np.random.seed(0)
    chars = sorted(set(TEXT))
    char_to_id = {c: i for i, c in enumerate(chars)}
    vocab_size = len(chars)
    x_np, y_np = make_batches(TEXT, char_to_id)

    inputs = tf.placeholder(tf.int32, [BATCH, NUM_STEPS])
    targets = tf.placeholder(tf.int32, [BATCH, NUM_STEPS])
    one_hot_inputs = tf.one_hot(inputs, vocab_size)
    step_inputs = tf.unstack(one_hot_inputs, num=NUM_STEPS, axis=1)

    cells = [tf.nn.rnn_cell.GRUCell(HIDDEN) for _ in range(NUM_LAYERS)]
    cell = tf.nn.rnn_cell.MultiRNNCell(cells)
    initial_state = cell.zero_state(BATCH, tf.float32)
    outputs, final_state = tf.nn.static_rnn(cell, step_inputs, initial_state=initial_state)

    with tf.variable_scope('softmax'):
        softmax_w = tf.get_variable('softmax_w', [HIDDEN, vocab_size])
        softmax_b = tf.get_variable('softmax_b', [vocab_size],
                                    initializer=tf.zeros_initializer())
    output = tf.reshape(tf.concat(outputs, 1), [-1, HIDDEN])
    logits = tf.matmul(output, softmax_w) + softmax_b
    flat_targets = tf.reshape(targets, [-1])
    losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=flat_targets,
                                                            logits=logits)
    cost = tf.reduce_sum(losses) / BATCH / NUM_STEPS
    train_op = tf.train.AdamOptimizer(0.02).minimize(cost)

    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        state = sess.run(initial_state)
        for i in range(10):
            feed = {inputs: x_np, targets: y_np}
            for layer, s in zip(initial_state, state):
                feed[layer] = s
            c, _ = sess.run([cost, train_op], feed)
        final_cost, fs = sess.run([cost, final_state], {inputs: x_np, targets: y_np})
    print("RESULT " + json.dumps({
        "cost": round(float(final_cost), 6),
        "perplexity": round(float(np.exp(final_cost)), 5),
        "state_top0": [round(float(v), 6) for v in fs[-1][0][:5]],
        "vocab_size": vocab_size,
    }))


if __name__ == '__main__':
    main()
