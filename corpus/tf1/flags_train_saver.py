"""Flags-driven training script: tf.app.flags, tf.app.run, tf.logging, Saver, summaries.

Trains a softmax regression with a decaying learning rate and a global_step
variable, writes summaries and checkpoints into a temporary train_dir, then
restores the latest checkpoint into a fresh Session and evaluates.
"""
import json
import os
import tempfile

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()

flags = tf.app.flags
FLAGS = flags.FLAGS

flags.DEFINE_integer('max_steps', 20, 'Number of steps to run trainer.')
flags.DEFINE_integer('batch_size', 8, 'Batch size.')
flags.DEFINE_float('learning_rate', 0.5, 'Initial learning rate.')
flags.DEFINE_float('decay_rate', 0.9, 'Learning rate decay factor.')
tf.app.flags.DEFINE_string('train_dir', '', 'Directory for checkpoints and events '
                           '(a fresh temp dir when empty).')
tf.app.flags.DEFINE_boolean('log_histograms', True, 'Also write histogram summaries.')


def inference(x, num_classes):
    with tf.name_scope('softmax_linear'):
        weights = tf.Variable(tf.zeros([int(x.get_shape()[1]), num_classes]), name='weights')
        biases = tf.Variable(tf.zeros([num_classes]), name='biases')
        logits = tf.matmul(x, weights) + biases
    if FLAGS.log_histograms:
        tf.summary.histogram('weights', weights)
    return logits


def main(_):
    tf.set_random_seed(0)
    np.random.seed(0)
    train_dir = FLAGS.train_dir or tempfile.mkdtemp()
    if not tf.gfile.Exists(train_dir):
        tf.gfile.MakeDirs(train_dir)
    tf.logging.set_verbosity(tf.logging.INFO)

    data = np.random.randn(FLAGS.batch_size, 5).astype(np.float32)
    labels = (data[:, 0] > 0).astype(np.int32) + (data[:, 1] > 0).astype(np.int32)

    x = tf.placeholder(tf.float32, [None, 5], name='x')
    y = tf.placeholder(tf.int32, [None], name='y')
    logits = inference(x, 3)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=y, logits=logits), name='xentropy_mean')
    tf.summary.scalar('loss', loss)

    global_step = tf.Variable(0, name='global_step', trainable=False)
    lr = tf.train.exponential_decay(FLAGS.learning_rate, global_step, 5,
                                    FLAGS.decay_rate, staircase=True)
    tf.summary.scalar('learning_rate', lr)
    train_op = tf.train.GradientDescentOptimizer(lr).minimize(loss, global_step=global_step)

    summary_op = tf.summary.merge_all()
    saver = tf.train.Saver(max_to_keep=2)

    with tf.Session() as sess:
        summary_writer = tf.summary.FileWriter(train_dir, sess.graph)
        sess.run(tf.global_variables_initializer())
        for step in range(FLAGS.max_steps):
            _, loss_value = sess.run([train_op, loss], feed_dict={x: data, y: labels})
            if step % 5 == 0:
                tf.logging.info('Step %d: loss = %.4f', step, loss_value)
                summary_str = sess.run(summary_op, feed_dict={x: data, y: labels})
                summary_writer.add_summary(summary_str, step)
            if (step + 1) % 10 == 0 or (step + 1) == FLAGS.max_steps:
                checkpoint_file = os.path.join(train_dir, 'model.ckpt')
                saver.save(sess, checkpoint_file, global_step=global_step)
        summary_writer.close()
        trained_loss = sess.run(loss, feed_dict={x: data, y: labels})

    # Restore into a fresh session, the way an eval script would.
    ckpt = tf.train.get_checkpoint_state(train_dir)
    latest = tf.train.latest_checkpoint(train_dir)
    assert ckpt and ckpt.model_checkpoint_path == latest
    with tf.Session() as sess:
        saver.restore(sess, latest)
        restored_loss, step_value, lr_value = sess.run(
            [loss, global_step, lr], feed_dict={x: data, y: labels})
    tf.logging.info('Restored %s at step %d', latest, step_value)

    print("RESULT " + json.dumps({
        "trained_loss": round(float(trained_loss), 6),
        "restored_loss": round(float(restored_loss), 6),
        "global_step": int(step_value),
        "learning_rate": round(float(lr_value), 6),
        "checkpoint": os.path.basename(latest),
        "num_checkpoints": len(ckpt.all_model_checkpoint_paths),
    }))


if __name__ == '__main__':
    tf.app.run()
