"""Trains DrivingNet on synthetic driving clips.

    python train.py --train_dir=/tmp/drivenet --steps=300
    python train.py --train_dir=/tmp/drivenet --eval_only   # restore + evaluate

Resumes from the latest checkpoint in --train_dir when there is one.  At the
end it evaluates a fixed, seeded batch (inference mode), writes the inputs and
outputs of that batch to <train_dir>/eval_outputs.npz and prints one line

    RESULT {"global_step": ..., "eval": {per-head losses}, "outputs": {...}, ...}
"""
import json
import os
import sys
import time

import numpy as np
import tensorflow as tf

import model
from absl import app, flags, logging

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import data as driving_data  # noqa: E402  (corpus/case_study/data.py)

tf.compat.v1.disable_v2_behavior()
flags.DEFINE_integer('steps', 300, 'Number of training steps to run.')
flags.DEFINE_integer('batch_size', 8, 'Clips per training batch.')
flags.DEFINE_integer('eval_batch_size', 8, 'Clips in the fixed evaluation batch.')
flags.DEFINE_float('learning_rate', 2e-3, 'Adam learning rate.')
flags.DEFINE_string('train_dir', '/tmp/drivenet_train', 'Checkpoints and summaries.')
flags.DEFINE_integer('seed', 0, 'Seed of the graph-level RNG and of the data.')
flags.DEFINE_integer('log_every', 50, 'Log the training losses every N steps.')
flags.DEFINE_integer('summary_every', 10, 'Write summaries every N steps.')
flags.DEFINE_integer('save_every', 1000, 'Save a checkpoint every N steps.')
flags.DEFINE_integer('num_threads', 2, 'Intra/inter-op threads of the session.')
flags.DEFINE_boolean('eval_only', False, 'Restore the latest checkpoint and only evaluate.')
FLAGS = flags.FLAGS

EVAL_SEED_OFFSET = 1000


def feed_dict(placeholders, batch, is_training):
    frames, labels, training = placeholders
    feed = {frames: batch['frames'], training: is_training}
    for name, ph in labels.items():
        feed[ph] = batch[name]
    return feed


def to_list(array):
    return [float(v) for v in np.asarray(array, np.float64).ravel()]


def evaluate(sess, placeholders, outputs, loss_ops, batch):
    loss_values, out_values = sess.run([loss_ops, outputs],
                                       feed_dict(placeholders, batch, False))
    return ({k: float(v) for k, v in loss_values.items()},
            {k: np.asarray(v) for k, v in out_values.items()})


def summarize(out_values):
    """A few output numbers of the fixed batch for the RESULT line."""
    return {
        'steering': to_list(out_values['steering']),
        'class_probs0': to_list(out_values['class_probs'][0]),
        'boxes0': to_list(out_values['boxes'][0]),
        'lane_logits0_row4': to_list(out_values['lane_logits'][0, 4]),
        'lane_logits_mean': float(np.mean(out_values['lane_logits'], dtype=np.float64)),
        'class_logits_sum': float(np.sum(out_values['class_logits'], dtype=np.float64)),
    }


def main(_):
    logging.set_verbosity(logging.INFO)
    tf.random.set_seed(FLAGS.seed)
    np.random.seed(FLAGS.seed)
    if not tf.io.gfile.exists(FLAGS.train_dir):
        tf.io.gfile.makedirs(FLAGS.train_dir)

    placeholders = model.placeholders()
    frames, labels, is_training = placeholders
    outputs = model.inference(frames, is_training)
    loss_ops = model.losses(outputs, labels)

    global_step = tf.compat.v1.train.get_or_create_global_step()
    optimizer = tf.compat.v1.train.AdamOptimizer(FLAGS.learning_rate)
    update_ops = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)
    with tf.control_dependencies(update_ops):
        train_op = optimizer.minimize(loss_ops['total'], global_step=global_step)

    for name, value in loss_ops.items():
        tf.summary.scalar('loss/' + name, value)
    tf.summary.histogram('steering', outputs['steering'])
    summary_op = tf.compat.v1.summary.merge_all()

    num_params = int(sum(np.prod(v.get_shape().as_list()) for v in tf.compat.v1.trainable_variables()))
    logging.info('DrivingNet: %d trainable parameters in %d variables',
                    num_params, len(tf.compat.v1.trainable_variables()))

    saver = tf.compat.v1.train.Saver(max_to_keep=3)
    eval_batch = driving_data.make_batch(
        np.random.default_rng(FLAGS.seed + EVAL_SEED_OFFSET), FLAGS.eval_batch_size,
        model.NUM_FRAMES, model.IMAGE_HEIGHT, model.IMAGE_WIDTH)
    train_rng = np.random.default_rng(FLAGS.seed)

    config = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=FLAGS.num_threads,
                            inter_op_parallelism_threads=FLAGS.num_threads)
    result = {}
    with tf.compat.v1.Session(config=config) as sess:
        checkpoint = tf.train.latest_checkpoint(FLAGS.train_dir)
        if checkpoint:
            logging.info('Restoring %s', checkpoint)
            saver.restore(sess, checkpoint)
        elif FLAGS.eval_only:
            raise ValueError('--eval_only needs a checkpoint in %s' % FLAGS.train_dir)
        else:
            sess.run(tf.compat.v1.global_variables_initializer())

        if not FLAGS.eval_only:
            initial_losses, _ = evaluate(sess, placeholders, outputs, loss_ops, eval_batch)
            writer = tf.compat.v1.summary.FileWriter(FLAGS.train_dir, sess.graph)
            step = start_step = sess.run(global_step)
            # the training data continue where a resumed run stopped
            for _ in range(start_step):
                driving_data.make_batch(train_rng, FLAGS.batch_size, model.NUM_FRAMES,
                                        model.IMAGE_HEIGHT, model.IMAGE_WIDTH)
            train_losses = []
            start = time.time()
            for _ in range(FLAGS.steps):
                batch = driving_data.make_batch(train_rng, FLAGS.batch_size, model.NUM_FRAMES,
                                                model.IMAGE_HEIGHT, model.IMAGE_WIDTH)
                fetches = {'train': train_op, 'losses': loss_ops, 'step': global_step}
                if (step + 1) % FLAGS.summary_every == 0:
                    fetches['summary'] = summary_op
                values = sess.run(fetches, feed_dict(placeholders, batch, True))
                step = values['step']
                train_losses.append(float(values['losses']['total']))
                if 'summary' in values:
                    writer.add_summary(values['summary'], step)
                if step % FLAGS.log_every == 0:
                    logging.info('step %d: total %.4f lane %.4f class %.4f box %.4f '
                                    'steer %.4f (%.1f steps/s)', step,
                                    values['losses']['total'], values['losses']['lane'],
                                    values['losses']['class'], values['losses']['box'],
                                    values['losses']['steer'],
                                    (step - start_step) / (time.time() - start))
                if step % FLAGS.save_every == 0:
                    saver.save(sess, os.path.join(FLAGS.train_dir, 'model.ckpt'), global_step=step)
            writer.close()
            checkpoint = saver.save(sess, os.path.join(FLAGS.train_dir, 'model.ckpt'),
                                    global_step=step)
            logging.info('Saved %s after %d steps in %.1f s', checkpoint,
                            step - start_step, time.time() - start)
            result['initial_eval'] = initial_losses
            result['train_loss_first'] = train_losses[0] if train_losses else None
            result['train_loss_last'] = (float(np.mean(train_losses[-5:]))
                                         if train_losses else None)

        eval_losses, out_values = evaluate(sess, placeholders, outputs, loss_ops, eval_batch)
        result.update({
            'global_step': int(sess.run(global_step)),
            'checkpoint': os.path.basename(checkpoint),
            'num_params': num_params,
            'eval': eval_losses,
            'outputs': summarize(out_values),
        })
        arrays = {'input/' + k: v for k, v in eval_batch.items()}
        arrays.update({'output/' + k: v for k, v in out_values.items()})
        np.savez(os.path.join(FLAGS.train_dir, 'eval_outputs.npz'), **arrays)

    print('RESULT ' + json.dumps(result, sort_keys=True))
    sys.stdout.flush()


if __name__ == '__main__':
    app.run(main)
