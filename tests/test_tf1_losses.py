"""TF2140: the TF2 expressions that replace tf.losses.* compute TF1's values and gradients.

The original runs in TF1 graph mode (tf.compat.v1, a Session), the migrated code eagerly
under a GradientTape, on the same NumPy inputs, in one subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from migrate.engine.process import Options, process_bytes
from migrate.result import Status

ORIGINAL = '''\
import tensorflow.compat.v1 as tf


def losses(y, p, z, ids, oh, ml):
    return {
        "mse": tf.losses.mean_squared_error(y, p),
        "mse_kw": tf.losses.mean_squared_error(predictions=p, labels=y, scope="mse", weights=1.0),
        "abs": tf.losses.absolute_difference(labels=y, predictions=p),
        "sparse": tf.losses.sparse_softmax_cross_entropy(ids, z),
        "softmax": tf.losses.softmax_cross_entropy(onehot_labels=oh, logits=z),
        "sigmoid": tf.losses.sigmoid_cross_entropy(ml, z, label_smoothing=0),
        "huber": tf.losses.huber_loss(y, p),
        "huber_half": tf.losses.huber_loss(y, p, delta=0.5),
    }
'''

WORKER = r'''
import json, sys
import numpy as np
import tensorflow as tf2
import tensorflow.compat.v1 as tf1

original, migrated = open(sys.argv[1]).read(), open(sys.argv[2]).read()
rng = np.random.RandomState(0)
data = {
    "y": rng.randn(8, 3).astype(np.float32),
    "p": rng.randn(8, 3).astype(np.float32),
    "z": (2 * rng.randn(8, 5)).astype(np.float32),
    "ids": rng.randint(0, 5, size=8).astype(np.int32),
    "oh": np.eye(5, dtype=np.float32)[rng.randint(0, 5, size=8)],
    "ml": (rng.rand(8, 5) > 0.5).astype(np.float32),
}
out = {}
g = tf1.Graph()
with g.as_default():
    ns = {}
    exec(compile(original, "original.py", "exec"), ns)
    ph = {k: tf1.placeholder(v.dtype, v.shape) for k, v in data.items()}
    values = ns["losses"](**ph)
    grads = {k: [t for t in tf1.gradients(v, [ph["p"], ph["z"]])] for k, v in values.items()}
    with tf1.Session(graph=g) as sess:
        feed = {ph[k]: v for k, v in data.items()}
        v1 = sess.run(values, feed)
        g1 = {k: [sess.run(t, feed) if t is not None else None for t in ts] for k, ts in grads.items()}
ns = {}
exec(compile(migrated, "migrated.py", "exec"), ns)
const = {k: tf2.constant(v) for k, v in data.items()}
with tf2.GradientTape(persistent=True) as tape:
    tape.watch([const["p"], const["z"]])
    v2 = ns["losses"](**const)
for k in v1:
    out[k] = {"value": abs(float(v1[k]) - float(v2[k])), "tf1": float(v1[k])}
    for name, t1, t2 in zip(("p", "z"), g1[k], tape.gradient(v2[k], [const["p"], const["z"]])):
        if (t1 is None) != (t2 is None):
            out[k]["grad_" + name] = "one side has no gradient"
        elif t1 is not None:
            out[k]["grad_" + name] = float(np.max(np.abs(t1 - t2.numpy())))
print("RESULT " + json.dumps(out))
'''


def test_every_call_is_rewritten() -> None:
    result, out = process_bytes(ORIGINAL.encode(), "m.py", Options(unsafe_fixes=True))
    mine = [f for f in result.findings if f.rule_id == "TF2140"]
    assert len(mine) == 8 and all(f.status is Status.APPLIED for f in mine)
    text = out.decode()
    assert "losses." not in text.replace("keras.losses.", "") and "compat.v1" not in text


@pytest.mark.tf
@pytest.mark.slow
def test_rewritten_losses_match_tf1_values_and_gradients(tmp_path: Path) -> None:
    _, migrated = process_bytes(ORIGINAL.encode(), "m.py", Options(unsafe_fixes=True))
    (tmp_path / "original.py").write_text(ORIGINAL)
    (tmp_path / "migrated.py").write_bytes(migrated)
    (tmp_path / "worker.py").write_text(textwrap.dedent(WORKER))
    proc = subprocess.run(
        [sys.executable, str(tmp_path / "worker.py"), str(tmp_path / "original.py"), str(tmp_path / "migrated.py")],
        capture_output=True, text=True, timeout=300,
    )
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    assert line is not None, proc.stderr[-3000:]
    result = json.loads(line[len("RESULT ") :])
    assert len(result) == 8
    for name, diffs in result.items():
        assert diffs["tf1"] != 0.0, name
        for key, d in diffs.items():
            if key == "tf1":
                continue
            assert isinstance(d, float) and d <= 1e-5, (name, key, d)


# tf.contrib.seq2seq.sequence_loss does not exist in TF 2.21: the TF1 side is its code
# (tensorflow/contrib/seq2seq/python/ops/loss.py, default average_across_timesteps and
# average_across_batch) written with tf.compat.v1 ops, in both released forms of the divisor
SEQUENCE_ORIGINAL = '''\
import tensorflow as tf


def sequence(z3, ids2, w):
    return tf.contrib.seq2seq.sequence_loss(z3, ids2, w)


def sequence_ones(z3, ids2, w):
    return tf.contrib.seq2seq.sequence_loss(logits=z3, targets=ids2, weights=tf.ones([4, 6]), name="seq")
'''

SEQUENCE_WORKER = r'''
import json, sys
import numpy as np
import tensorflow as tf2
import tensorflow.compat.v1 as tf1


def tf1_sequence_loss(logits, targets, weights, div_no_nan):
    num_classes = tf1.shape(logits)[2]
    logits_flat = tf1.reshape(logits, [-1, num_classes])
    targets = tf1.reshape(targets, [-1])
    crossent = tf1.nn.sparse_softmax_cross_entropy_with_logits(labels=targets, logits=logits_flat)
    crossent *= tf1.reshape(weights, [-1])
    crossent = tf1.reduce_sum(crossent)
    total_size = tf1.reduce_sum(weights)
    if div_no_nan:  # TF 1.13+
        return tf1.div_no_nan(crossent, total_size)
    return crossent / (total_size + 1e-12)  # earlier releases


rng = np.random.RandomState(0)
z3 = (2 * rng.randn(4, 6, 5)).astype(np.float32)
ids2 = rng.randint(0, 5, size=(4, 6)).astype(np.int32)
w = (rng.rand(4, 6) * (rng.rand(4, 6) > 0.3)).astype(np.float32)  # some weights zero
cases = {"sequence": w, "sequence_ones": np.ones([4, 6], np.float32)}
out = {}
g = tf1.Graph()
with g.as_default():
    pz, pi, pw = tf1.placeholder(tf1.float32, z3.shape), tf1.placeholder(tf1.int32, ids2.shape), tf1.placeholder(tf1.float32, w.shape)
    refs = {(k, d): tf1_sequence_loss(pz, pi, pw, d) for k in cases for d in (True, False)}
    grads = {k: tf1.gradients(v, [pz])[0] for k, v in refs.items()}
    with tf1.Session(graph=g) as sess:
        v1 = {k: sess.run([v, grads[k]], {pz: z3, pi: ids2, pw: cases[k[0]]}) for k, v in refs.items()}
ns = {}
exec(compile(open(sys.argv[1]).read(), "migrated.py", "exec"), ns)
z = tf2.constant(z3)
for k in cases:
    with tf2.GradientTape() as tape:
        tape.watch(z)
        v2 = ns[k](z, tf2.constant(ids2), tf2.constant(cases[k]))
    g2 = tape.gradient(v2, z).numpy()
    for d in (True, False):
        val, grad = v1[(k, d)]
        out[f"{k}_{'div_no_nan' if d else 'eps'}"] = {"tf1": float(val), "value": abs(float(val) - float(v2)),
                                                      "grad": float(np.max(np.abs(grad - g2)))}
print("RESULT " + json.dumps(out))
'''


@pytest.mark.tf
@pytest.mark.slow
def test_sequence_loss_formula_matches_tf1s_code(tmp_path: Path) -> None:
    result, migrated = process_bytes(SEQUENCE_ORIGINAL.encode(), "m.py", Options(unsafe_fixes=True))
    mine = [f for f in result.findings if f.rule_id == "TF2140"]
    assert len(mine) == 2 and all(f.status is Status.APPLIED for f in mine)
    assert b"contrib" not in migrated and migrated.count(b"tf.math.divide_no_nan(") == 2
    (tmp_path / "migrated.py").write_bytes(migrated)
    (tmp_path / "worker.py").write_text(textwrap.dedent(SEQUENCE_WORKER))
    proc = subprocess.run([sys.executable, str(tmp_path / "worker.py"), str(tmp_path / "migrated.py")],
                          capture_output=True, text=True, timeout=300)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    assert line is not None, proc.stderr[-3000:]
    result = json.loads(line[len("RESULT "):])
    assert len(result) == 4
    for name, diffs in result.items():
        assert diffs["tf1"] > 0.1, name
        assert diffs["value"] <= 1e-6 and diffs["grad"] <= 1e-6, (name, diffs)
