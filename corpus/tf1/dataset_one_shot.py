"""tf.data input pipeline: from_tensor_slices -> shuffle(seed) -> repeat -> batch,
consumed through a one-shot iterator with no feed_dict at all."""
import json

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()

BATCH_SIZE = 4
NUM_EXAMPLES = 12


def input_fn(features, labels, batch_size):
    dataset = tf.data.Dataset.from_tensor_slices((features, labels))
    dataset = dataset.shuffle(buffer_size=NUM_EXAMPLES, seed=0)
    dataset = dataset.repeat()
    dataset = dataset.batch(batch_size)
    iterator = dataset.make_one_shot_iterator()
    return iterator.get_next()


def main():
    tf.set_random_seed(0)
    np.random.seed(0)
    features = np.random.randn(NUM_EXAMPLES, 3).astype(np.float32)
    true_w = np.array([[1.0], [-2.0], [0.5]], dtype=np.float32)
    targets = features.dot(true_w) + 0.3

    x, y = input_fn(features, targets, BATCH_SIZE)
    # a second, un-shuffled pipeline through the tf.data.make_one_shot_iterator function
    first_batch = tf.data.make_one_shot_iterator(
        tf.data.Dataset.from_tensor_slices(features).batch(BATCH_SIZE)).get_next()

    w = tf.get_variable('w', [3, 1], initializer=tf.zeros_initializer())
    b = tf.get_variable('b', [1], initializer=tf.zeros_initializer())
    y_hat = tf.matmul(x, w) + b
    loss = tf.losses.mean_squared_error(labels=y, predictions=y_hat)
    train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss)

    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        fb = sess.run(first_batch)
        losses = []
        for _ in range(15):
            _, l = sess.run([train_op, loss])
            losses.append(l)
        w_val, b_val = sess.run([w, b])
    print("RESULT " + json.dumps({
        "losses_last3": [round(float(v), 6) for v in losses[-3:]],
        "w": [round(float(v), 6) for v in w_val[:, 0]],
        "b": round(float(b_val[0]), 6),
        "first_batch_sum": round(float(fb.sum()), 6),
    }))


if __name__ == '__main__':
    main()
