"""tf.data input pipeline: from_tensor_slices -> shuffle(seed) -> repeat -> batch,
consumed through a one-shot iterator with no feed_dict at all."""
import json

import numpy as np
import tensorflow as tf

BATCH_SIZE = 4
NUM_EXAMPLES = 12


def input_fn(features, labels, batch_size):
    dataset = tf.data.Dataset.from_tensor_slices((features, labels))
    dataset = dataset.shuffle(buffer_size=NUM_EXAMPLES, seed=0)
    dataset = dataset.repeat()
    dataset = dataset.batch(batch_size)
    return iter(dataset)


def main():
    tf.random.set_seed(0)
    np.random.seed(0)
    features = np.random.randn(NUM_EXAMPLES, 3).astype(np.float32)
    true_w = np.array([[1.0], [-2.0], [0.5]], dtype=np.float32)
    targets = features.dot(true_w) + 0.3

    input_fn_iterator = input_fn(features, targets, BATCH_SIZE)
    # a second, un-shuffled pipeline through the tf.data.make_one_shot_iterator function
    first_batch_iterator = iter(tf.data.Dataset.from_tensor_slices(features).batch(BATCH_SIZE))

    w = tf.Variable(tf.zeros([3, 1]), name='w')
    b = tf.Variable(tf.zeros([1]), name='b')
    optimizer = tf.keras.optimizers.SGD(learning_rate=0.1)

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            y_hat = tf.matmul(x, w) + b
            loss = tf.reduce_mean(tf.math.squared_difference(y_hat, y))
        variables = tape.watched_variables()
        gradients = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(gradients, variables))
        return loss

    fb = first_batch_iterator.get_next().numpy()
    losses = []
    for _ in range(15):
        l = train_step(*input_fn_iterator.get_next()).numpy()
        losses.append(l)
    w_val, b_val = [w.numpy(), b.numpy()]
    print("RESULT " + json.dumps({
        "losses_last3": [round(float(v), 6) for v in losses[-3:]],
        "w": [round(float(v), 6) for v in w_val[:, 0]],
        "b": round(float(b_val[0]), 6),
        "first_batch_sum": round(float(fb.sum()), 6),
    }))


if __name__ == '__main__':
    main()
