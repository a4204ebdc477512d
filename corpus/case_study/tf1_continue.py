"""TF1 side of reproduce.py (runs in its own process: TF1 graph mode).

    python tf1_continue.py CHECKPOINT --steps K --seed S --timing_runs R [--variants model,no_dropout]

Restores the model variables of CHECKPOINT (not the Adam slots: the migrated
versions start a fresh optimizer from the converted weights, so this one does
too), continues training K steps (variant ``no_dropout``: the graph built with dropout
rate 0, so that the migrated versions can follow it step by step) on the batches of ``make_batch(default_rng(S))``
with the program's own Adam / losses / UPDATE_OPS, and times inference on the
fixed evaluation batch. Prints one ``RESULT {variant: {...}}`` line.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import tensorflow.compat.v1 as tf

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, 'tf1'))
sys.path.insert(0, HERE)
import data as driving_data  # noqa: E402
import model  # noqa: E402  (tf1/model.py)

tf.disable_v2_behavior()


def run(args, dropout_rate, dump=None):
    """One continuation in a fresh graph; ``dropout_rate`` None keeps the model's."""
    rate = model.DROPOUT_RATE
    if dropout_rate is not None:
        model.DROPOUT_RATE = dropout_rate   # read when the graph is built
    try:
        with tf.Graph().as_default():
            return _run(args, dump)
    finally:
        model.DROPOUT_RATE = rate


def _run(args, dump):
    tf.set_random_seed(args.seed)
    placeholders = model.placeholders()
    frames, labels, is_training = placeholders
    outputs = model.inference(frames, is_training)
    loss_ops = model.losses(outputs, labels)
    model_vars = tf.global_variables()
    optimizer = tf.train.AdamOptimizer(args.learning_rate)
    trainable = tf.trainable_variables()
    grad_ops = tf.gradients(loss_ops['total'], trainable)
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        train_op = optimizer.minimize(loss_ops['total'])
    saver = tf.train.Saver(var_list=model_vars)
    config = tf.ConfigProto(intra_op_parallelism_threads=args.num_threads,
                            inter_op_parallelism_threads=args.num_threads)

    def feed(batch, training):
        f = {frames: batch['frames'], is_training: training}
        f.update({ph: batch[k] for k, ph in labels.items()})
        return f

    eval_batch = driving_data.make_batch(np.random.default_rng(args.eval_seed), 8)
    result = {'losses': []}
    with tf.Session(config=config) as sess:
        sess.run(tf.global_variables_initializer())
        saver.restore(sess, args.checkpoint)
        result['eval_before'] = {k: float(v) for k, v in
                                 sess.run(loss_ops, feed(eval_batch, False)).items()}
        # inference speed: the four outputs of the fixed batch
        fetch = [outputs[k] for k in model.OUTPUT_NAMES]
        inference_feed = {frames: eval_batch['frames']}
        for _ in range(3):
            sess.run(fetch, inference_feed)
        times = []
        for _ in range(args.timing_runs):
            t0 = time.perf_counter()
            sess.run(fetch, inference_feed)
            times.append(time.perf_counter() - t0)
        result['inference_s'] = float(np.min(times))
        rng = np.random.default_rng(args.seed)
        t0 = time.perf_counter()
        for i in range(args.steps):
            batch = driving_data.make_batch(rng, args.batch_size)
            if i == 0 and dump:   # the first step in detail: gradients, then the weights after it
                grads = sess.run(grad_ops, feed(batch, True))
            values, _ = sess.run([loss_ops, train_op], feed(batch, True))
            result['losses'].append({k: float(v) for k, v in values.items()})
            if i == 0 and dump:
                arrays = {'g:' + v.op.name: a for v, a in zip(trainable, grads)}
                arrays.update({'w:' + v.op.name: a for v, a in zip(model_vars, sess.run(model_vars))})
                np.savez(dump, **arrays)
        result['train_s'] = time.perf_counter() - t0
        result['eval_after'] = {k: float(v) for k, v in
                                sess.run(loss_ops, feed(eval_batch, False)).items()}
    return result


def main():
    p = argparse.ArgumentParser()
    p.add_argument('checkpoint')
    p.add_argument('--steps', type=int, default=50)
    p.add_argument('--seed', type=int, default=2000)
    p.add_argument('--batch_size', type=int, default=8)
    p.add_argument('--learning_rate', type=float, default=2e-3)
    p.add_argument('--timing_runs', type=int, default=20)
    p.add_argument('--eval_seed', type=int, default=1000)
    p.add_argument('--num_threads', type=int, default=2)
    p.add_argument('--variants', default='model',
                   help="comma-separated: 'model' (the model's dropout) and/or 'no_dropout' (rate 0)")
    p.add_argument('--dump_first_step', default=None,
                   help='no_dropout variant: save the first step\'s gradients and the weights after it (.npz)')
    args = p.parse_args()
    result = {v: run(args, 0.0 if v == 'no_dropout' else None,
                     args.dump_first_step if v == 'no_dropout' else None)
              for v in args.variants.split(',')}
    print('RESULT ' + json.dumps(result, sort_keys=True))


if __name__ == '__main__':
    main()
