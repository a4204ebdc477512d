"""Flags-driven training script: tf.app.flags, tf.app.run, tf.logging, Saver, summaries.

Trains a softmax regression with a decaying learning rate and a global_step
variable, writes summaries and checkpoints into a temporary train_dir, then
restores the latest checkpoint into a fresh Session and evaluates.
"""
import json
import os
import tempfile

import numpy as np
import tensorflow as tf
from absl import app, flags, logging

FLAGS = flags.FLAGS

flags.DEFINE_integer('max_steps', 20, 'Number of steps to run trainer.')
flags.DEFINE_integer('batch_size', 8, 'Batch size.')
flags.DEFINE_float('learning_rate', 0.5, 'Initial learning rate.')
flags.DEFINE_float('decay_rate', 0.9, 'Learning rate decay factor.')
flags.DEFINE_string('train_dir', '', 'Directory for checkpoints and events '
                           '(a fresh temp dir when empty).')
flags.DEFINE_boolean('log_histograms', True, 'Also write histogram summaries.')


class Inference(tf.keras.layers.Layer):
    """Keras layer made from the TF1 function `inference` (TF2130)."""

    # TF1 variable name -> Keras variable path under this layer (TF2130)
    TF1_VARIABLE_NAMES = {
        "softmax_linear/weights": "weights",
        "softmax_linear/biases": "biases",
    }

    def __init__(self, num_classes, name='softmax_linear', **kwargs):
        super().__init__(name=name, **kwargs)
        self.num_classes = num_classes

    def build(self, input_shape):
        input_shape = tf.TensorShape(input_shape)
        self.weights_layer = tf.keras.Variable(tf.zeros([int(input_shape[1]), self.num_classes]), name='weights')
        self.biases = tf.keras.Variable(tf.zeros([self.num_classes]), name='biases')

    def call(self, x):
        logits = tf.matmul(x, self.weights_layer) + self.biases
        return logits


def main(_):
    inference_layer = Inference(num_classes=3)
    tf.random.set_seed(0)
    np.random.seed(0)
    train_dir = FLAGS.train_dir or tempfile.mkdtemp()
    if not tf.io.gfile.exists(train_dir):
        tf.io.gfile.makedirs(train_dir)
    logging.set_verbosity(logging.INFO)

    data = np.random.randn(FLAGS.batch_size, 5).astype(np.float32)
    labels = (data[:, 0] > 0).astype(np.int32) + (data[:, 1] > 0).astype(np.int32)

    global_step = tf.Variable(0, name='global_step', trainable=False)
    lr = tf.keras.optimizers.schedules.ExponentialDecay(FLAGS.learning_rate, 5, FLAGS.decay_rate, staircase=True)
    optimizer = tf.keras.optimizers.SGD(learning_rate=lr)

    @tf.function(input_signature=[tf.TensorSpec([None, 5], tf.float32), tf.TensorSpec([None], tf.int32)])
    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits = inference_layer(x)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=y, logits=logits), name='xentropy_mean')
        variables = tape.watched_variables()
        gradients = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(gradients, variables))
        global_step.assign_add(1)
        return loss

    @tf.function(input_signature=[tf.TensorSpec([None, 5], tf.float32), tf.TensorSpec([None], tf.int32), tf.TensorSpec([], tf.int64)])
    def compute_summaries(x, y, step):
        logits = inference_layer(x)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=y, logits=logits), name='xentropy_mean')
        with summary_writer.as_default():
            if FLAGS.log_histograms:
                tf.summary.histogram('weights', inference_layer.weights_layer, step=step)
            tf.summary.scalar('loss', loss, step=step)
            tf.summary.scalar('learning_rate', lr(global_step), step=step)

    @tf.function(input_signature=[tf.TensorSpec([None, 5], tf.float32), tf.TensorSpec([None], tf.int32)])
    def compute_loss(x, y):
        logits = inference_layer(x)
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=y, logits=logits), name='xentropy_mean')

    @tf.function(input_signature=[tf.TensorSpec([None, 5], tf.float32), tf.TensorSpec([None], tf.int32)])
    def compute_loss_global_step_lr(x, y):
        logits = inference_layer(x)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=y, logits=logits), name='xentropy_mean')
        return loss, global_step, lr(global_step)

    checkpoint = tf.train.Checkpoint(inference_layer=inference_layer, global_step=global_step, optimizer=optimizer)

    summary_writer = tf.summary.create_file_writer(train_dir)
    for step in range(FLAGS.max_steps):
        loss_value = train_step(data, labels).numpy()
        if step % 5 == 0:
            logging.info('Step %d: loss = %.4f', step, loss_value)
            compute_summaries(data, labels, step)
        if (step + 1) % 10 == 0 or (step + 1) == FLAGS.max_steps:
            checkpoint_file = os.path.join(train_dir, 'model.ckpt')
            tf.train.CheckpointManager(checkpoint, os.path.dirname(checkpoint_file), max_to_keep=2, checkpoint_name=os.path.basename(checkpoint_file)).save(checkpoint_number=global_step)
    summary_writer.close()
    trained_loss = compute_loss(data, labels).numpy()

    # Restore into a fresh session, the way an eval script would.
    ckpt = tf.train.get_checkpoint_state(train_dir)
    latest = tf.train.latest_checkpoint(train_dir)
    assert ckpt and ckpt.model_checkpoint_path == latest
    checkpoint.restore(latest)
    restored_loss, step_value, lr_value = [t.numpy() for t in compute_loss_global_step_lr(data, labels)]
    logging.info('Restored %s at step %d', latest, step_value)

    print("RESULT " + json.dumps({
        "trained_loss": round(float(trained_loss), 6),
        "restored_loss": round(float(restored_loss), 6),
        "global_step": int(step_value),
        "learning_rate": round(float(lr_value), 6),
        "checkpoint": os.path.basename(latest),
        "num_checkpoints": len(ckpt.all_model_checkpoint_paths),
    }))


if __name__ == '__main__':
    app.run(main)
