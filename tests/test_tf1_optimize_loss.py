"""`tf.contrib.layers.optimize_loss` (TF2120, rules/tf1_to_tf2/_optimize_loss.py): the
migrated train step computes what TF1's optimize_loss computed.

TF 2.21 has no tf.contrib, so the TF1 side runs the fixture's ORIGINAL program in graph
mode with `tf.contrib.layers` bound to the tf-slim package (TF 1.15's contrib layers,
released separately: tf_slim/layers/optimizers.py is contrib's optimizers.py); the
migrated program runs eagerly with plain TF2. The fixture initialises its variables with
constants (no random op), so both sides start from the same values. Each optimizer name
optimize_loss accepts as a string and the rewrite converts is checked, and the check is
shown not to be vacuous: without its clip_gradients the numbers are others.
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

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "tf1_to_tf2" / "session_optimize_loss" / "input.py"
REG_FIXTURE = ROOT / "tests" / "fixtures" / "tf1_to_tf2" / "session_model_regularization_sum" / "input.py"
# variant -> what replaces the fixture's `0.01, 'Adam'` (learning rate, optimizer)
OPTIMIZERS = {
    "Adam": "0.01, 'Adam'", "Momentum": "0.01, 'Momentum'", "Adagrad": "0.01, 'Adagrad'", "SGD": "0.01, 'SGD'",
    "Ftrl": "0.01, 'Ftrl'",
    "RMSProp": "0.01, 'RMSProp'",  # TF1's update rule: the TF1RMSProp class
    "RMSProp_class": "0.01, tf.train.RMSPropOptimizer",
    "class": "0.01, tf.train.AdagradOptimizer",  # optimizer(learning_rate=lr)
    "instance": "None, tf.train.MomentumOptimizer(0.02, momentum=0.5)",  # used as it is
    "instance_lr": "0.01, tf.train.AdamOptimizer(0.03, beta1=0.8)",  # the float lr is unused
}

# runs each program given in its own graph (TF1) and prints its RESULT lines prefixed by its path
_RUNNER = textwrap.dedent("""
    import contextlib, io, runpy, sys, types
    import tensorflow as tf
    tf1 = sys.argv[1] == "tf1"
    if tf1:
        from tensorflow.python.framework import ops
        ops.Tensor = tf.Tensor  # tf_slim reads names that TF 2.21 moved out of ops
        ops.IndexedSlices = tf.IndexedSlices
        import tf_slim
        tf.compat.v1.contrib = types.SimpleNamespace(layers=tf_slim)
    for path in sys.argv[2:]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            if tf1:
                with tf.Graph().as_default():
                    runpy.run_path(path, run_name="__main__")
            else:
                runpy.run_path(path, run_name="__main__")
        line = [l for l in out.getvalue().splitlines() if l.startswith("RESULT ")][-1]
        print(path + " " + line)
""")


def _run(side: str, paths: list[Path], legacy: bool = False) -> dict[str, dict]:  # type: ignore[type-arg]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    env.pop("TF_USE_LEGACY_KERAS", None)
    if legacy:
        env["TF_USE_LEGACY_KERAS"] = "1"  # tf.compat.v1.layers needs tf_keras (TF1 side only)
    proc = subprocess.run([sys.executable, "-c", _RUNNER, side, *map(str, paths)], capture_output=True, text=True,
                          env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = {}
    for line in proc.stdout.splitlines():
        path, _, result = line.partition(" RESULT ")
        if result:
            out[Path(path).name] = json.loads(result)
    return out


def _migrate(src: str) -> str:
    result, out = process_bytes(src.encode(), "prog.py", Options(pack="tf1-to-tf2", unsafe_fixes=True, verify_idempotence=True))
    assert not result.errors, result.errors
    return out.decode()


def _close(got: dict, want: dict, tol: float) -> float:  # type: ignore[type-arg]
    assert got.keys() == want.keys()
    worst = 0.0
    for k in want:
        a, b = want[k], got[k]
        pairs = zip(a, b) if isinstance(a, list) else [(a, b)]
        for x, y in pairs:
            worst = max(worst, abs(x - y))
    assert worst <= tol, (worst, got, want)
    return worst


@pytest.mark.tf
@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("tf_slim") is None, reason="TF1's optimize_loss comes from the tf-slim package")
def test_optimize_loss_train_step_reproduces_tf1(tmp_path: Path) -> None:
    src = FIXTURE.read_text()
    tf1_paths, tf2_paths = [], []
    for name, code in OPTIMIZERS.items():
        variant = src.replace("0.01, 'Adam'", code)
        assert variant != src or name == "Adam"
        migrated = _migrate(variant)
        assert "contrib" not in migrated.split('"""', 2)[2] and "GradientTape" in migrated and "clip_by_global_norm" in migrated
        assert "compat.v1" not in migrated and ("class TF1RMSProp(" in migrated) == name.startswith("RMSProp")
        (tmp_path / f"tf1_{name}.py").write_text(variant)
        (tmp_path / f"tf2_{name}.py").write_text(migrated)
        tf1_paths.append(tmp_path / f"tf1_{name}.py")
        tf2_paths.append(tmp_path / f"tf2_{name}.py")
    # not vacuous: the same program without its clipping trains to other numbers
    unclipped = re.sub(r"\n *gradients, _ = tf\.clip_by_global_norm\(gradients, 0\.5\)", "", _migrate(src))
    assert "clip_by_global_norm" not in unclipped
    (tmp_path / "tf2_unclipped.py").write_text(unclipped)
    # nor is RMSProp's: Keras' RMSprop (mean square starting at 0) trains to other numbers
    keras_rms = (tmp_path / "tf2_RMSProp.py").read_text().replace(
        "optimizer = TF1RMSProp(learning_rate=0.01)",
        "optimizer = tf.keras.optimizers.RMSprop(learning_rate=0.01, rho=0.9, epsilon=1e-10)").replace(
        "optimizer.apply_gradients(zip(gradients, variables), global_step=global_step)",
        "optimizer.apply_gradients(zip(gradients, variables))\n        global_step.assign_add(1)")
    assert "keras.optimizers.RMSprop" in keras_rms and "global_step.assign_add(1)" in keras_rms
    (tmp_path / "tf2_keras_rms.py").write_text(keras_rms)
    tf1 = _run("tf1", tf1_paths)
    tf2 = _run("tf2", [*tf2_paths, tmp_path / "tf2_unclipped.py", tmp_path / "tf2_keras_rms.py"])
    for name in OPTIMIZERS:
        want, got = tf1[f"tf1_{name}.py"], tf2[f"tf2_{name}.py"]
        _close({"first": got["first"]}, {"first": want["first"]}, 1e-5)  # before any step
        _close(got, want, 1e-4)
        assert abs(want["last"] - want["first"]) > 1e-2, (name, want)  # the steps trained
        assert abs(want["step"] - want["last"]) > 1e-6, (name, want)  # the train op's value: the loss before the update
    with pytest.raises(AssertionError):
        _close(tf2["tf2_unclipped.py"], tf1["tf1_Adam.py"], 1e-4)
    with pytest.raises(AssertionError):
        _close(tf2["tf2_keras_rms.py"], tf1["tf1_RMSProp.py"], 1e-4)


_BASE = FIXTURE.read_text().split("\n", 1)[1]


@pytest.mark.parametrize(("old", "new", "why"), [
    ("'Adam', clip_gradients=0.5", "'Adadelta', clip_gradients=0.5", "converted only as one of the names"),
    ("'Adam', clip_gradients=0.5", "lambda lr: tf.train.AdamOptimizer(lr)", "converted only as one of the names"),
    ("'Adam', clip_gradients=0.5", "tf.train.RMSPropOptimizer(0.01)", "no Keras optimizer computes its updates"),
    ("'Adam', clip_gradients=0.5", "tf.train.ProximalGradientDescentOptimizer", "no Keras optimizer computes its updates"),
    (("pred = tf.matmul(hidden, w2)\n    loss = tf.reduce_mean(tf.square(pred - y))\n"
      "    train_op = tf.contrib.layers.optimize_loss(\n        loss, tf.train.get_or_create_global_step(), 0.01, 'Adam'"),
     # a sparse read (gather of a variable): TF1's RMSProp updated only the gathered rows
     ("pred = tf.matmul(hidden, tf.gather(w2, [0, 1, 2, 3, 4, 5, 6, 7]))\n    loss = tf.reduce_mean(tf.square(pred - y))\n"
      "    train_op = tf.contrib.layers.optimize_loss(\n        loss, tf.train.get_or_create_global_step(), 0.01, 'RMSProp'"),
     "the TF1RMSProp class does not"),
    ("0.01, 'Adam'", "tf.constant(0.01), 'RMSProp'", "converted only as a float constant"),
    ("0.01, 'Adam'", "tf.constant(0.01), tf.train.RMSPropOptimizer", "converted only as a float constant"),
    ("'Adam', clip_gradients=0.5", "tf.train.MomentumOptimizer", "momentum is required"),
    ("0.01, 'Adam'", "tf.constant(0.01), tf.train.AdamOptimizer(0.01)", "as None or a float constant"),
    ("0.01, 'Adam'", "tf.constant(0.01), 'Adam'", "converted only as a float constant"),
    ("0.01, 'Adam'", "1, 'Adam'", "converted only as a float constant"),
    ("clip_gradients=0.5", "clip_gradients=5", "int (TF1 raised ValueError)"),
    ("clip_gradients=0.5", "clip_gradients=0.5, learning_rate_decay_fn=lambda lr, gs: lr", "learning_rate_decay_fn=...) is not converted"),
    ("clip_gradients=0.5", "clip_gradients=0.5, increment_global_step=False", "increment_global_step"),
    ("tf.train.get_or_create_global_step()", "None", "looks the global step up"),
    ("    with tf.Session() as sess:", "    saver = tf.train.Saver()\n    with tf.Session() as sess:", "OptimizeLoss/learning_rate"),
])
def test_optimize_loss_refused_precisely(old: str, new: str, why: str) -> None:
    assert old in _BASE
    src = _BASE.replace(old, new)
    result, out = process_bytes(src.encode(), "prog.py", Options(pack="tf1-to-tf2", unsafe_fixes=True))
    mine = [f for f in result.findings if f.rule_id == "TF2120"]
    assert len(mine) == 1 and why in mine[0].message, [f.message for f in mine]
    assert b"GradientTape()" not in out


@pytest.mark.tf
@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("tf_slim") is None, reason="the fixture's l2_regularizer comes from tf-slim")
def test_regularization_sum_statement_follows_the_weights(tmp_path: Path) -> None:
    """`reg = tf.add_n(tf.get_collection(REGULARIZATION_LOSSES))` in a statement of its own
    is computed in each run from the current weights (`tf.add_n(model_layer.losses)` in the
    functions), not once before training: its value changes with the steps as in TF1."""
    src = REG_FIXTURE.read_text()
    migrated = _migrate(src)
    assert migrated.count("tf.add_n(model_layer.losses)") == 1 and "compat.v1" not in migrated
    (tmp_path / "tf1_reg.py").write_text(src)
    (tmp_path / "tf2_reg.py").write_text(migrated)
    want = _run("tf1", [tmp_path / "tf1_reg.py"], legacy=True)["tf1_reg.py"]
    got = _run("tf2", [tmp_path / "tf2_reg.py"])["tf2_reg.py"]
    _close({"first": got["first"]}, {"first": want["first"]}, 1e-5)
    _close(got, want, 1e-4)
    assert abs(want["last"] - want["first"]) > 1e-3, want  # the regularization sum moved with the weights


def test_regularization_sum_fetched_alone_refused() -> None:
    src = REG_FIXTURE.read_text().replace("first, _ = sess.run([reg, loss], {x: x_np, y: y_np})", "first = sess.run(reg)")
    assert "first = sess.run(reg)" in src
    result, out = process_bytes(src.encode(), "prog.py", Options(pack="tf1-to-tf2", unsafe_fixes=True))
    mine = [f for f in result.findings if f.rule_id == "TF2120"]
    assert len(mine) == 1 and "`.losses` are empty until their first call" in mine[0].message, [f.message for f in mine]
    assert b"GradientTape()" not in out
