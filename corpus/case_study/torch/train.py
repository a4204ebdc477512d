"""Trains DrivingNet (PyTorch) on synthetic driving clips.

    python train.py --train_dir=/tmp/drivenet_torch --steps=300
    python train.py --train_dir=/tmp/drivenet_torch --eval_only   # restore + evaluate
    python train.py --train_dir=/tmp/x --init_from=drivenet.pt    # start from converted TF1 weights

The PyTorch version of ``tf2/train.py``: argparse flags, a plain training loop,
``torch.save`` checkpoints (model + optimizer + step; resumes), ``--init_from`` a
converted TF1 checkpoint, and the same fixed evaluation batch and ``RESULT`` line.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

import model

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import data as driving_data  # noqa: E402  (corpus/case_study/data.py)

EVAL_SEED_OFFSET = 1000
LABELS = ('lane_mask', 'obj_class', 'obj_box', 'steering')


def split(batch):
    frames = model.to_torch_frames(batch['frames'])
    return frames, {k: torch.as_tensor(batch[k]) for k in LABELS}


def train_step(net, optimizer, frames, labels):
    net.train()
    optimizer.zero_grad(set_to_none=True)
    loss_values = model.losses(net, net(frames), labels)
    loss_values['total'].backward()
    optimizer.step()
    return {k: float(v.detach()) for k, v in loss_values.items()}


@torch.no_grad()
def evaluate(net, frames, labels):
    net.eval()
    outputs = net(frames)
    return {k: float(v) for k, v in model.losses(net, outputs, labels).items()}, outputs


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--steps', type=int, default=300)
    p.add_argument('--batch_size', type=int, default=8)
    p.add_argument('--eval_batch_size', type=int, default=8)
    p.add_argument('--learning_rate', type=float, default=2e-3)
    p.add_argument('--train_dir', default='/tmp/drivenet_torch')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--log_every', type=int, default=50)
    p.add_argument('--num_threads', type=int, default=2)
    p.add_argument('--init_from', default=None, help='state_dict to start from (convert-weights output)')
    p.add_argument('--eval_only', action='store_true')
    args = p.parse_args(argv)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.num_threads)
    os.makedirs(args.train_dir, exist_ok=True)

    net = model.DrivingNet()
    optimizer = model.make_optimizer(net.parameters(), args.learning_rate)
    ckpt_path = os.path.join(args.train_dir, 'checkpoint.pt')
    step = 0
    if os.path.exists(ckpt_path):
        state = torch.load(ckpt_path, weights_only=True)
        net.load_state_dict(state['model'])
        optimizer.load_state_dict(state['optimizer'])
        step = int(state['step'])
    elif args.eval_only:
        raise SystemExit('--eval_only needs %s' % ckpt_path)
    elif args.init_from:
        net.load_state_dict(torch.load(args.init_from, weights_only=True))

    eval_batch = driving_data.make_batch(np.random.default_rng(args.seed + EVAL_SEED_OFFSET),
                                         args.eval_batch_size, model.NUM_FRAMES,
                                         model.IMAGE_HEIGHT, model.IMAGE_WIDTH)
    result = {}
    if not args.eval_only:
        train_rng = np.random.default_rng(args.seed)
        for _ in range(step):   # the data continue where a resumed run stopped
            driving_data.make_batch(train_rng, args.batch_size, model.NUM_FRAMES,
                                    model.IMAGE_HEIGHT, model.IMAGE_WIDTH)
        train_losses = []
        start = time.time()
        for _ in range(args.steps):
            frames, labels = split(driving_data.make_batch(
                train_rng, args.batch_size, model.NUM_FRAMES, model.IMAGE_HEIGHT, model.IMAGE_WIDTH))
            values = train_step(net, optimizer, frames, labels)
            step += 1
            train_losses.append(values['total'])
            if step % args.log_every == 0:
                print('step %d: total %.4f (%.1f steps/s)' % (
                    step, values['total'], len(train_losses) / (time.time() - start)), file=sys.stderr)
        torch.save({'model': net.state_dict(), 'optimizer': optimizer.state_dict(), 'step': step},
                   ckpt_path)
        result['train_loss_first'] = train_losses[0] if train_losses else None
        result['train_loss_last'] = float(np.mean(train_losses[-5:])) if train_losses else None

    loss_values, outputs = evaluate(net, *split(eval_batch))
    result.update({
        'global_step': step,
        'num_params': sum(p.numel() for p in net.parameters() if p.requires_grad),
        'eval': loss_values,
        'outputs': {'steering': [float(v) for v in outputs[3]]},
    })
    print('RESULT ' + json.dumps(result, sort_keys=True))


if __name__ == '__main__':
    main()
