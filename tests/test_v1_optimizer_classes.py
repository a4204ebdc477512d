"""TF1's RMSProp / Momentum update rules written out as classes (rules/tf1_to_tf2/_v1_optimizers.py):
the emitted class, run eagerly inside a tf.function, against TF1's own optimizer in a graph
and Session, on the same gradients, with a learning rate that changes at every step.

One subprocess: a TF1 graph (tf.Graph().as_default() + tf.compat.v1.Session, gradients and
learning rate fed) and the eager class, for every argument the classes take (decay,
momentum, epsilon, centered; use_nesterov). Compared after each of 6 steps: the variable
and the slots (TF1's get_slot, the class's own)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from rules.tf1_to_tf2 import _v1_optimizers as v1opt

CHECK = r'''
import json, sys
import numpy as np
import tensorflow as tf

exec(open(sys.argv[1]).read())  # the classes, as the rewrite emits them

CASES = [
    ("RMSPropOptimizer", TF1RMSProp, {}, ["rms", "momentum"]),
    ("RMSPropOptimizer", TF1RMSProp, {"decay": 0.8, "momentum": 0.5, "epsilon": 1e-3}, ["rms", "momentum"]),
    ("RMSPropOptimizer", TF1RMSProp, {"decay": 0.7, "momentum": 0.3, "centered": True}, ["rms", "momentum", "mg"]),
    ("MomentumOptimizer", TF1Momentum, {"momentum": 0.9}, ["momentum"]),
    ("MomentumOptimizer", TF1Momentum, {"momentum": 0.8, "use_nesterov": True}, ["momentum"]),
]
STEPS = 6
rng = np.random.RandomState(0)
init = rng.randn(3, 2).astype(np.float32)
grads = (rng.randn(STEPS, 3, 2) * 3).astype(np.float32)
lrs = [0.1, 0.05, 0.2, 0.01, 0.3, 0.07]
worst = {}
for case, (tf1_name, cls, kwargs, slot_names) in enumerate(CASES):
    # TF1: graph mode, the optimizer's own kernels
    g = tf.Graph()
    with g.as_default():
        var = tf.compat.v1.Variable(init, use_resource=False)
        grad = tf.compat.v1.placeholder(tf.float32, [3, 2])
        lr = tf.compat.v1.placeholder(tf.float32, [])
        opt = getattr(tf.compat.v1.train, tf1_name)(lr, **kwargs)
        step = tf.compat.v1.train.get_or_create_global_step()
        train = opt.apply_gradients([(grad, var)], global_step=step)
        slots = [opt.get_slot(var, n) for n in slot_names]
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            tf1 = []
            for i in range(STEPS):
                sess.run(train, {grad: grads[i], lr: lrs[i]})
                tf1.append(sess.run([var, *slots, step]))
    # the class: eager, in a tf.function, a callable learning rate read at every update
    var2 = tf.Variable(init)
    step2 = tf.Variable(0, dtype=tf.int64, trainable=False)
    lr_now = tf.Variable(0.0)
    untouched = tf.Variable(1.0)  # a None gradient: skipped, as TF1's apply_gradients does
    opt2 = cls(lambda: lr_now, **kwargs)

    @tf.function
    def apply(g):
        opt2.apply_gradients(zip([g, None], [var2, untouched]), global_step=step2)

    for i in range(STEPS):
        lr_now.assign(lrs[i])
        apply(tf.constant(grads[i]))
        own = opt2.slots[0] if isinstance(opt2.slots[0], list) else [opt2.slots[0]]
        ours = [var2.numpy(), *[s.numpy() for s in own], step2.numpy()]
        assert len(ours) == len(tf1[i]), (case, len(ours), len(tf1[i]))
        for j, (a, b) in enumerate(zip(tf1[i], ours)):
            scale = max(1.0, float(np.max(np.abs(a))))
            worst[f"{case}.{j}"] = max(worst.get(f"{case}.{j}", 0.0), float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) / scale)
    assert len(opt2.trainable_variables) == 0 and int(step2.numpy()) == STEPS
    assert len(opt2.slots) == 1 and float(untouched.numpy()) == 1.0
print("WORST " + json.dumps(worst))
'''


@pytest.mark.tf
def test_emitted_classes_reproduce_tf1_optimizers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    classes = tmp_path / "classes.py"
    classes.write_text("\n\n".join(v1opt.class_source(r, v1opt.CLASS_NAMES[r], "tf") for r in v1opt.CLASS_NAMES))
    check = tmp_path / "check.py"
    check.write_text(textwrap.dedent(CHECK))
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    env.update(TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run([sys.executable, str(check), str(classes)], capture_output=True, text=True, env=env,
                          timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    worst = json.loads(next(ln for ln in proc.stdout.splitlines() if ln.startswith("WORST "))[6:])
    # every case: the variable, each slot (RMSProp 2, centered 3, Momentum 1) and the step
    assert len(worst) == 4 + 4 + 5 + 3 + 3, worst
    assert all(d <= 1e-6 for d in worst.values()), worst
