"""TF2120 on a slim model (rules/tf1_to_tf2/_model_variables.py): the count of TF1's
MODEL_VARIABLES, `len(slim.get_model_variables())` -> `len(obj.weights)`, and a last run that
calls batch normalization in training mode without the update ops (Keras updates the moving
statistics there; nothing reads them afterwards).

TF 2.21 has no tf.contrib: the TF1 side runs the fixture's ORIGINAL program in graph mode
with `tensorflow.contrib.slim` bound to the tf-slim package (TF 1.15's slim, released
separately); the migrated program (the fixture's expected.py) runs eagerly with plain TF2.
The fixture initialises its weights with constants (no random op), so both sides start from
the same values; the RESULT (losses of six Momentum steps, the last run's logits, the
count) must agree within 1e-4. Refusals are checked on variants of the same program.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.test_tf1_structural import assert_refused, edited

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "tf1_to_tf2" / "session_slim_model_variables"

_RUNNER = textwrap.dedent("""
    import contextlib, io, json, runpy, sys, types
    import tensorflow as tf
    if sys.argv[1] == "tf1":
        import tf_keras.src.legacy_tf_layers as legacy_layers
        from tensorflow.python.framework import ops
        from tensorflow.python.ops import control_flow_ops
        ops.Tensor = tf.Tensor  # tf_slim reads names that TF 2.21 moved
        control_flow_ops.cond = tf.compat.v1.cond
        sys.modules.setdefault("tf_keras.legacy_tf_layers", legacy_layers)
        import tf_slim
        contrib = types.ModuleType("tensorflow.contrib")
        contrib.slim = tf_slim
        sys.modules["tensorflow.contrib"] = contrib
        sys.modules["tensorflow.contrib.slim"] = tf_slim
    else:
        assert tf.executing_eagerly()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(sys.argv[2], run_name="__main__")
    print([l for l in out.getvalue().splitlines() if l.startswith("RESULT ")][-1])
""")


def _run(side: str, path: Path) -> dict:  # type: ignore[type-arg]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "", "PYTHONPATH": str(ROOT)}
    env.pop("TF_USE_LEGACY_KERAS", None)
    if side == "tf1":
        env["TF_USE_LEGACY_KERAS"] = "1"  # tf_slim builds on tf_keras' legacy layers
    proc = subprocess.run([sys.executable, "-c", _RUNNER, side, str(path)], capture_output=True, text=True, env=env,
                          timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1][len("RESULT "):])  # type: ignore[no-any-return]


@pytest.mark.tf
@pytest.mark.skipif(importlib.util.find_spec("tf_slim") is None, reason="TF1's slim comes from the tf-slim package")
def test_slim_program_reproduces_tf1() -> None:
    want = _run("tf1", FIXTURE / "input.py")
    got = _run("tf2", FIXTURE / "expected.py")
    assert want["num_model_variables"] == got["num_model_variables"] == 9  # conv1: weights + 4 BN; fc2, fc3: 2 each
    assert want["losses"][0] != want["losses"][-1]  # the steps train
    worst = max(abs(a - b) for k in ("losses", "logits0") for a, b in zip(want[k], got[k], strict=True))
    assert worst <= 1e-4, (worst, got, want)


_SRC = (FIXTURE / "input.py").read_text()


@pytest.mark.parametrize(("edits", "why"), [
    # the count only: Keras lists the variables in another order than TF1 (trainable first)
    ((('"num_model_variables": len(slim.get_model_variables()),', '"first_model_variable": str(slim.get_model_variables()[0]),'),),
     "only a count, `len(...)` of it, is converted"),
    # a get_variable in the model: not a model variable in TF1, one of the object's weights
    ((("                net = slim.flatten(net)\n",
       ("                scale = tf.get_variable('scale', [], initializer=tf.ones_initializer())\n"
        "                net = slim.flatten(net) * scale\n")),),
     "also makes variables other than slim layers'"),
    # the training-mode run is not the last one: the moving statistics Keras updated would be
    # read by later runs (none here, but a second evaluation run may follow)
    ((("        out = sess.run(logits, {images: images_np})\n",
       "        out = sess.run(logits, {images: images_np})\n        out = sess.run(logits, {images: images_np})\n"),),
     "runs batch normalization in training mode in a run without the train op"),
    # in a loop: it runs again
    ((("        out = sess.run(logits, {images: images_np})\n",
       "        for _ in range(2):\n            out = sess.run(logits, {images: images_np})\n"),),
     "runs batch normalization in training mode in a run without the train op"),
])
def test_slim_count_and_last_run_refusals(edits: tuple[tuple[str, str], ...], why: str) -> None:
    assert_refused(edited(_SRC, edits), why)
