"""corpus/tf1/contrib/slim_cnn_arg_scope.py (rewrite-only: genuine tf.contrib.slim) migrated
to plain TF2 (TF2120's slim preparation, rules/tf1_to_tf2/_slim_prepare.py, then TF2130 and
TF2120), and the migrated program checked against TF1's numbers.

TF 2.21 has no tf.contrib: the TF1 side runs the ORIGINAL program in graph mode with
`tf.contrib.slim` bound to the tf-slim package (TF 1.15's slim, released separately) and
`tensorflow` read as `tensorflow.compat.v1` (the program's only edit of its own: its
import line). Two things differ by nature between TF1 graphs and TF2 eager code and are
taken out of the comparison, the same way on both sides:

* random streams: the weights start from `truncated_normal_initializer` draws; the TF1
  run records its kernels right after initialisation and the TF2 run gets them, in
  creation order (shapes checked), through a `tf.variable_creator_scope` (every other
  initial value, biases zeros and batch-norm ones/zeros, is the program's own);
* dropout masks: both sides run with `dropout_keep_prob=1.0` (the same one-word edit of the
  source before the migration; the migration of the unedited program is the checked-in
  corpus/tf2_expected/contrib/slim_cnn_arg_scope.py and differs from the edited one's by
  that word only).

Compared: the loss of the 8th Momentum step, the logits of the last run (batch norm in
training mode), the count of model variables (24) and of end points (7), within 1e-4; and
the end points' keys, those slim's convert_collection_to_dict made in the TF1 run against
the dict literal of the migrated layer.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from migrate.engine.process import Options, process_bytes
from migrate.result import Status

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "corpus" / "tf1" / "contrib" / "slim_cnn_arg_scope.py"
EXPECTED = ROOT / "corpus" / "tf2_expected" / "contrib" / "slim_cnn_arg_scope.py"
NO_DROPOUT = ("dropout_keep_prob=0.5", "dropout_keep_prob=1.0")

_TF1 = textwrap.dedent("""
    import contextlib, io, json, runpy, sys, types
    import numpy as np
    import tensorflow as tf2
    import tf_keras.src.legacy_tf_layers as legacy_layers
    from tensorflow.python.framework import ops
    from tensorflow.python.ops import control_flow_ops
    from tensorflow.python.client import session as _session
    ops.Tensor = tf2.Tensor  # tf_slim reads names that TF 2.21 moved
    control_flow_ops.cond = tf2.compat.v1.cond
    sys.modules.setdefault("tf_keras.legacy_tf_layers", legacy_layers)
    import tf_slim
    tf = tf2.compat.v1
    tf.disable_v2_behavior()
    tf.contrib = types.SimpleNamespace(slim=tf_slim)
    keys = []
    convert = tf_slim.utils.convert_collection_to_dict
    def recording(collection, *args, **kwargs):
        out = convert(collection, *args, **kwargs)
        keys.extend(out)
        return out
    tf_slim.utils.convert_collection_to_dict = recording
    orig = _session.BaseSession.run
    state = {}
    def run(self, fetches, *args, **kwargs):
        out = orig(self, fetches, *args, **kwargs)
        if "values" not in state:
            vs = self.graph.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES)
            try:
                state["values"] = [[v.op.name, orig(self, v).tolist()] for v in vs]
            except tf2.errors.FailedPreconditionError:
                pass  # not initialised yet
        return out
    _session.BaseSession.run = run
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        runpy.run_path(sys.argv[1], run_name="__main__")
    result = json.loads([l for l in buf.getvalue().splitlines() if l.startswith("RESULT ")][-1][7:])
    print("CAPTURED " + json.dumps({"result": result, "values": state["values"], "keys": keys}))
""")

_TF2 = textwrap.dedent("""
    import contextlib, io, json, runpy, sys
    import numpy as np
    import tensorflow as tf
    assert tf.executing_eagerly()
    kernels = [np.asarray(v, np.float32) for v in json.loads(open(sys.argv[1]).read())]
    def creator(next_creator, **kw):
        if kw.get("name") == "kernel":
            value = kernels.pop(0)
            init = kw["initial_value"]
            with tf.init_scope():
                init = tf.convert_to_tensor(init() if callable(init) else init)
            assert tuple(init.shape) == value.shape, (init.shape, value.shape)
            kw["initial_value"] = tf.constant(value)
        return next_creator(**kw)
    buf = io.StringIO()
    with tf.variable_creator_scope(creator), contextlib.redirect_stdout(buf):
        runpy.run_path(sys.argv[2], run_name="__main__")
    assert not kernels, "kernels left over"
    print([l for l in buf.getvalue().splitlines() if l.startswith("RESULT ")][-1])
""")


def _migrate(src: str) -> tuple[str, list]:  # type: ignore[type-arg]
    result, out = process_bytes(src.encode(), "slim_cnn_arg_scope.py",
                                Options(pack="tf1-to-tf2", unsafe_fixes=True, verify_idempotence=True))
    assert not result.errors, result.errors
    return out.decode(), list(result.findings)


def _env(legacy: bool) -> dict[str, str]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "", "PYTHONPATH": str(ROOT)}
    env.pop("TF_USE_LEGACY_KERAS", None)
    if legacy:
        env["TF_USE_LEGACY_KERAS"] = "1"  # tf_slim builds on tf_keras' legacy layers
    return env


def test_migrated_program_matches_checked_in_output() -> None:
    out, findings = _migrate(SOURCE.read_text())
    if os.environ.get("MIGRATE_UPDATE_FIXTURES") and (not EXPECTED.exists() or EXPECTED.read_text() != out):
        EXPECTED.write_text(out)
    assert out == EXPECTED.read_text(encoding="utf-8")
    assert any(f.rule_id == "TF2120" and f.status is Status.APPLIED and "becomes eager TF2" in f.message for f in findings)
    for gone in ("compat.v1", "Session", "placeholder", "slim", "contrib", "global_variables_initializer"):
        assert gone not in out.split('"""', 2)[2], gone  # the code after the module docstring
    # the safe fixes alone do not restructure it
    result, safe = process_bytes(SOURCE.read_bytes(), "s.py", Options(pack="tf1-to-tf2"))
    assert b"GradientTape" not in safe and not [f for f in result.findings if f.rule_id == "TF2120"]


@pytest.mark.tf
@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("tf_slim") is None, reason="TF1's slim comes from the tf-slim package")
def test_migrated_program_reproduces_tf1(tmp_path: Path) -> None:
    src = SOURCE.read_text()
    assert src.count(NO_DROPOUT[0]) == 1
    edited = src.replace(*NO_DROPOUT)
    migrated, _ = _migrate(edited)
    assert migrated == EXPECTED.read_text().replace(*NO_DROPOUT)  # the same migration but that word
    tf1_src = tmp_path / "tf1.py"
    tf1_src.write_text(edited.replace("import tensorflow as tf\n", "import tensorflow.compat.v1 as tf\n"))
    runner = tmp_path / "run_tf1.py"
    runner.write_text(_TF1)
    proc = subprocess.run([sys.executable, str(runner), str(tf1_src)], capture_output=True, text=True,
                          env=_env(True), timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    tf1 = json.loads(next(ln for ln in proc.stdout.splitlines() if ln.startswith("CAPTURED "))[len("CAPTURED "):])
    kernels = [v for name, v in tf1["values"] if name.endswith("/weights")]
    assert len(kernels) == 6  # four convolutions, two fully connected layers
    (tmp_path / "kernels.json").write_text(json.dumps(kernels))
    tf2_src = tmp_path / "tf2.py"
    tf2_src.write_text(migrated)
    runner2 = tmp_path / "run_tf2.py"
    runner2.write_text(_TF2)
    proc = subprocess.run([sys.executable, str(runner2), str(tmp_path / "kernels.json"), str(tf2_src)],
                          capture_output=True, text=True, env=_env(False), timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1][len("RESULT "):])
    want = tf1["result"]
    assert got["num_model_variables"] == want["num_model_variables"] == 24
    assert got["num_end_points"] == want["num_end_points"] == 7
    worst = max(abs(a - b) for a, b in zip([want["total_loss"], *want["logits0"]], [got["total_loss"], *got["logits0"]], strict=True))
    assert worst <= 1e-4, (worst, got, want)
    assert abs(want["total_loss"] - 1.6094) > 1e-3  # trained away from log(5): the steps count
    assert sorted(tf1["keys"]) == sorted(re.findall(r"'(vgg_tiny/[\w/]+)': ", migrated))


_SRC = SOURCE.read_text()


@pytest.mark.parametrize(("old", "new", "why"), [
    # create_train_op made and advanced a global step: read here, it must be there
    ("    with tf.Session() as sess:\n", "    step = tf.train.get_or_create_global_step()\n    with tf.Session() as sess:\n",
     "also makes and advances a global step"),
    # the end points and variable names under another scope
    ("vgg_tiny(images, is_training=True)", "vgg_tiny(images, is_training=True, scope='net')", "called with a scope name"),
    # the arg_scope defaults decided by a computed value
    ("vgg_arg_scope(is_training=True)", "vgg_arg_scope(is_training=np.random.rand() > 0.5)", "values that are not literals"),
    # the end points read for their keys, not only counted
    ('"num_end_points": len(end_points),', '"end_points": sorted(end_points),', "read other than as `len(end_points)`"),
    # two losses in the collection
    ("    total_loss = slim.losses.get_total_loss()\n",
     "    slim.losses.softmax_cross_entropy(logits, one_hot_labels)\n    total_loss = slim.losses.get_total_loss()\n",
     "the slim losses are not one"),
    # the train op (its value is the loss) fetched with other tensors
    ("loss = sess.run(train_op, {images: images_np, labels: labels_np})",
     "loss, lg = sess.run([train_op, logits], {images: images_np, labels: labels_np})", "used other than fetched alone"),
    # slim.repeat names the layers after the layer function without a scope
    ("net = slim.repeat(net, 2, slim.conv2d, 16, [3, 3], scope='conv2')", "net = slim.repeat(net, 2, slim.conv2d, 16, [3, 3])",
     "slim.repeat without a scope name"),
    # a batch norm of the model's own: the arg_scope's batch_norm defaults reach it too
    ("            net = slim.flatten(net)\n", "            net = slim.batch_norm(net, scope='bn')\n            net = slim.flatten(net)\n",
     "makes batch norms of its own"),
])
def test_slim_idioms_not_proven_are_refused_with_the_reason(old: str, new: str, why: str) -> None:
    assert old in _SRC, old
    result, out = process_bytes(_SRC.replace(old, new).encode(), "s.py", Options(pack="tf1-to-tf2", unsafe_fixes=True))
    assert not result.errors, result.errors
    mine = [f for f in result.findings if f.rule_id == "TF2120"]
    assert len(mine) == 1 and mine[0].status is Status.MANUAL, [f.message for f in mine]
    assert "TF-Slim idioms not rewritten: " in mine[0].message and why in mine[0].message, mine[0].message
    assert b"GradientTape" not in out
