"""Trains DrivingNet (TF2 / Keras) on synthetic driving clips.

    python train.py --train_dir=/tmp/drivenet_tf2 --steps=300
    python train.py --train_dir=/tmp/drivenet_tf2 --eval_only   # restore + evaluate

The TF2 version of ``tf1/train.py``: eager training loop with a ``tf.function``
step, ``tf.train.Checkpoint`` + ``CheckpointManager`` (resumes), ``tf.summary``
writers, the same fixed evaluation batch and the same ``RESULT`` line.
"""
import json
import os
import sys
import time

import numpy as np
import tensorflow as tf
from absl import app, flags, logging

import model

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import data as driving_data  # noqa: E402  (corpus/case_study/data.py)

flags.DEFINE_integer('steps', 300, 'Number of training steps to run.')
flags.DEFINE_integer('batch_size', 8, 'Clips per training batch.')
flags.DEFINE_integer('eval_batch_size', 8, 'Clips in the fixed evaluation batch.')
flags.DEFINE_float('learning_rate', 2e-3, 'Adam learning rate.')
flags.DEFINE_string('train_dir', '/tmp/drivenet_tf2', 'Checkpoints and summaries.')
flags.DEFINE_integer('seed', 0, 'Seed of the initializers and of the data.')
flags.DEFINE_integer('log_every', 50, 'Log the training losses every N steps.')
flags.DEFINE_integer('summary_every', 10, 'Write summaries every N steps.')
flags.DEFINE_integer('num_threads', 2, 'Intra/inter-op threads.')
flags.DEFINE_boolean('eval_only', False, 'Restore the latest checkpoint and only evaluate.')
FLAGS = flags.FLAGS

EVAL_SEED_OFFSET = 1000
LABELS = ('lane_mask', 'obj_class', 'obj_box', 'steering')


def make_train_step(net, optimizer):
    @tf.function
    def train_step(frames, labels):
        with tf.GradientTape() as tape:
            outputs = net(frames, training=True)
            loss_values = model.losses(net, outputs, labels)
        grads = tape.gradient(loss_values['total'], net.trainable_variables)
        optimizer.apply_gradients(zip(grads, net.trainable_variables))
        return loss_values
    return train_step


def make_evaluate(net):
    @tf.function
    def evaluate(frames, labels):
        outputs = net(frames, training=False)
        return model.losses(net, outputs, labels), outputs
    return evaluate


def split(batch):
    return batch['frames'], {k: batch[k] for k in LABELS}


def main(_):
    tf.config.threading.set_intra_op_parallelism_threads(FLAGS.num_threads)
    tf.config.threading.set_inter_op_parallelism_threads(FLAGS.num_threads)
    tf.keras.utils.set_random_seed(FLAGS.seed)
    os.makedirs(FLAGS.train_dir, exist_ok=True)

    net = model.build_keras_model()
    optimizer = model.make_optimizer(FLAGS.learning_rate)
    step = tf.Variable(0, dtype=tf.int64, name='global_step')
    ckpt = tf.train.Checkpoint(model=net, optimizer=optimizer, step=step)
    manager = tf.train.CheckpointManager(ckpt, FLAGS.train_dir, max_to_keep=3)
    num_params = int(sum(np.prod(v.shape) for v in net.trainable_variables))
    logging.info('DrivingNet: %d trainable parameters in %d variables',
                 num_params, len(net.trainable_variables))
    if manager.latest_checkpoint:
        logging.info('Restoring %s', manager.latest_checkpoint)
        ckpt.restore(manager.latest_checkpoint)
    elif FLAGS.eval_only:
        raise ValueError('--eval_only needs a checkpoint in %s' % FLAGS.train_dir)

    eval_batch = driving_data.make_batch(
        np.random.default_rng(FLAGS.seed + EVAL_SEED_OFFSET), FLAGS.eval_batch_size,
        model.NUM_FRAMES, model.IMAGE_HEIGHT, model.IMAGE_WIDTH)
    evaluate = make_evaluate(net)
    result = {}
    if not FLAGS.eval_only:
        train_step = make_train_step(net, optimizer)
        writer = tf.summary.create_file_writer(FLAGS.train_dir)
        train_rng = np.random.default_rng(FLAGS.seed)
        for _ in range(int(step.numpy())):   # the data continue where a resumed run stopped
            driving_data.make_batch(train_rng, FLAGS.batch_size, model.NUM_FRAMES,
                                    model.IMAGE_HEIGHT, model.IMAGE_WIDTH)
        train_losses = []
        start = time.time()
        for _ in range(FLAGS.steps):
            frames, labels = split(driving_data.make_batch(
                train_rng, FLAGS.batch_size, model.NUM_FRAMES, model.IMAGE_HEIGHT, model.IMAGE_WIDTH))
            values = train_step(frames, labels)
            step.assign_add(1)
            train_losses.append(float(values['total']))
            if int(step) % FLAGS.summary_every == 0:
                with writer.as_default(step=int(step)):
                    for name, value in values.items():
                        tf.summary.scalar('loss/' + name, value)
            if int(step) % FLAGS.log_every == 0:
                logging.info('step %d: total %.4f (%.1f steps/s)', int(step), train_losses[-1],
                             len(train_losses) / (time.time() - start))
        writer.close()
        logging.info('Saved %s', manager.save(checkpoint_number=int(step)))
        result['train_loss_first'] = train_losses[0] if train_losses else None
        result['train_loss_last'] = float(np.mean(train_losses[-5:])) if train_losses else None

    loss_values, outputs = evaluate(*split(eval_batch))
    result.update({
        'global_step': int(step.numpy()),
        'num_params': num_params,
        'eval': {k: float(v) for k, v in loss_values.items()},
        'outputs': {'steering': [float(v) for v in np.asarray(outputs[3])]},
    })
    print('RESULT ' + json.dumps(result, sort_keys=True))


if __name__ == '__main__':
    app.run(main)
