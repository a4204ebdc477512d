"""Character-level language model step: stacked GRU cells (MultiRNNCell) unrolled
with tf.nn.static_rnn over tf.unstack'ed inputs, explicit zero_state, and a
per-timestep loss averaged by hand."""
import json

import numpy as np
import tensorflow as tf

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
    tf.random.set_seed(0)
    np.random.seed(0)
    chars = sorted(set(TEXT))
    char_to_id = {c: i for i, c in enumerate(chars)}
    vocab_size = len(chars)
    x_np, y_np = make_batches(TEXT, char_to_id)

    cells = [tf.keras.layers.GRU(HIDDEN, return_sequences=True, return_state=True, reset_after=False, bias_initializer=tf.keras.initializers.Constant([1.0] * (2 * HIDDEN) + [0.0] * HIDDEN)) for _ in range(NUM_LAYERS)]

    softmax_w = tf.Variable(tf.keras.initializers.GlorotUniform()([HIDDEN, vocab_size]), name='softmax/softmax_w')
    softmax_b = tf.Variable(tf.zeros([vocab_size]), name='softmax/softmax_b')
    optimizer = tf.keras.optimizers.Adam(learning_rate=0.02, epsilon=1e-08)

    def forward(inputs, targets):
        one_hot_inputs = tf.one_hot(inputs, vocab_size)
        step_inputs = tf.unstack(one_hot_inputs, num=NUM_STEPS, axis=1)
        sequence = tf.stack(step_inputs, axis=1)
        final_state = []
        for layer in cells:
            sequence, layer_state = layer(sequence)
            final_state.append(layer_state)
        outputs = tf.unstack(sequence, axis=1)
        output = tf.reshape(tf.concat(outputs, 1), [-1, HIDDEN])
        logits = tf.matmul(output, softmax_w) + softmax_b
        flat_targets = tf.reshape(targets, [-1])
        losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=flat_targets,
                                                                logits=logits)
        cost = tf.reduce_sum(losses) / BATCH / NUM_STEPS
        return final_state, cost

    @tf.function(input_signature=[tf.TensorSpec([BATCH, NUM_STEPS], tf.int32), tf.TensorSpec([BATCH, NUM_STEPS], tf.int32)])
    def train_step(inputs, targets):
        with tf.GradientTape() as tape:
            final_state, cost = forward(inputs, targets)
        variables = tape.watched_variables()
        gradients = tape.gradient(cost, variables)
        optimizer.apply_gradients(zip(gradients, variables))
        return cost

    @tf.function(input_signature=[tf.TensorSpec([BATCH, NUM_STEPS], tf.int32), tf.TensorSpec([BATCH, NUM_STEPS], tf.int32)])
    def compute_cost_final_state_last(inputs, targets):
        final_state, cost = forward(inputs, targets)
        final_state_last = final_state[-1]
        return cost, final_state_last

    for i in range(10):
        feed = {"inputs": x_np, "targets": y_np}
        c = train_step(**feed).numpy()
    final_cost, fs_last = [t.numpy() for t in compute_cost_final_state_last(x_np, y_np)]
    print("RESULT " + json.dumps({
        "cost": round(float(final_cost), 6),
        "perplexity": round(float(np.exp(final_cost)), 5),
        "state_top0": [round(float(v), 6) for v in fs_last[0][:5]],
        "vocab_size": vocab_size,
    }))


if __name__ == '__main__':
    main()
