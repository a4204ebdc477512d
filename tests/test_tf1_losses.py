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
