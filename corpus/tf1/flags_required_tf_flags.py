"""Script driven by tf.flags with a required flag (tf.flags.mark_flag_as_required).

run_tf1.py passes the command-line arguments from the `# corpus-argv:` line
below (the migrated versions must be run with the same arguments).
"""
# corpus-argv: --experiment_name=tiny_linear --num_steps=15
import json

import numpy as np
from tensorflow.compat import v1 as tf

tf.disable_v2_behavior()

flags = tf.flags
flags.DEFINE_string('experiment_name', None, 'Name of this run (required).')
flags.DEFINE_integer('num_steps', 10, 'Training steps.')
flags.DEFINE_float('learning_rate', 0.1, 'Learning rate.')
flags.DEFINE_bool('use_bias', True, 'Whether the linear model has a bias.')
FLAGS = flags.FLAGS


def main(argv):
    del argv  # Unused.
    tf.set_random_seed(0)
    np.random.seed(0)
    tf.logging.set_verbosity(tf.logging.INFO)
    tf.logging.info('Running experiment %s', FLAGS.experiment_name)

    x_data = np.linspace(-1.0, 1.0, 8).astype(np.float32).reshape(-1, 1)
    y_data = 3.0 * x_data - 0.5 + 0.05 * np.random.randn(8, 1).astype(np.float32)

    x = tf.placeholder(tf.float32, [None, 1])
    y = tf.placeholder(tf.float32, [None, 1])
    w = tf.Variable(tf.constant([[0.5]]), name='w')
    pred = tf.matmul(x, w)
    if FLAGS.use_bias:
        b = tf.Variable(0.0, name='b')
        pred = pred + b
    loss = tf.reduce_mean(tf.square(pred - y))
    train = tf.train.GradientDescentOptimizer(FLAGS.learning_rate).minimize(loss)

    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for step in range(FLAGS.num_steps):
            _, l = sess.run([train, loss], {x: x_data, y: y_data})
            if step % 5 == 0:
                tf.logging.info('step %d loss %f', step, l)
        w_val, l = sess.run([w, loss], {x: x_data, y: y_data})
    print("RESULT " + json.dumps({
        "experiment": FLAGS.experiment_name,
        "steps": FLAGS.num_steps,
        "loss": round(float(l), 6),
        "w": round(float(w_val[0, 0]), 6),
    }))


if __name__ == '__main__':
    flags.mark_flag_as_required('experiment_name')
    tf.app.run(main)
