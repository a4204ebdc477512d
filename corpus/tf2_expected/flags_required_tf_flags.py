"""Script driven by tf.flags with a required flag (tf.flags.mark_flag_as_required).

run_tf1.py passes the command-line arguments from the `# corpus-argv:` line
below (the migrated versions must be run with the same arguments).
"""
# corpus-argv: --experiment_name=tiny_linear --num_steps=15
import json

import numpy as np
import tensorflow as tf
from absl import app, flags, logging

flags.DEFINE_string('experiment_name', None, 'Name of this run (required).')
flags.DEFINE_integer('num_steps', 10, 'Training steps.')
flags.DEFINE_float('learning_rate', 0.1, 'Learning rate.')
flags.DEFINE_bool('use_bias', True, 'Whether the linear model has a bias.')
FLAGS = flags.FLAGS


def main(argv):
    del argv  # Unused.
    tf.random.set_seed(0)
    np.random.seed(0)
    logging.set_verbosity(logging.INFO)
    logging.info('Running experiment %s', FLAGS.experiment_name)

    x_data = np.linspace(-1.0, 1.0, 8).astype(np.float32).reshape(-1, 1)
    y_data = 3.0 * x_data - 0.5 + 0.05 * np.random.randn(8, 1).astype(np.float32)

    w = tf.Variable(tf.constant([[0.5]]), name='w')
    if FLAGS.use_bias:
        b = tf.Variable(0.0, name='b')
    optimizer = tf.keras.optimizers.SGD(learning_rate=FLAGS.learning_rate)

    def forward(x, y):
        pred = tf.matmul(x, w)
        if FLAGS.use_bias:
            pred = pred + b
        loss = tf.reduce_mean(tf.square(pred - y))
        return loss

    @tf.function(input_signature=[tf.TensorSpec([None, 1], tf.float32), tf.TensorSpec([None, 1], tf.float32)])
    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = forward(x, y)
        variables = tape.watched_variables()
        gradients = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(gradients, variables))
        return loss

    @tf.function(input_signature=[tf.TensorSpec([None, 1], tf.float32), tf.TensorSpec([None, 1], tf.float32)])
    def compute_w_loss(x, y):
        loss = forward(x, y)
        return w, loss

    for step in range(FLAGS.num_steps):
        l = train_step(x_data, y_data).numpy()
        if step % 5 == 0:
            logging.info('step %d loss %f', step, l)
    w_val, l = [t.numpy() for t in compute_w_loss(x_data, y_data)]
    print("RESULT " + json.dumps({
        "experiment": FLAGS.experiment_name,
        "steps": FLAGS.num_steps,
        "loss": round(float(l), 6),
        "w": round(float(w_val[0, 0]), 6),
    }))


if __name__ == '__main__':
    flags.mark_flag_as_required('experiment_name')
    app.run(main)
