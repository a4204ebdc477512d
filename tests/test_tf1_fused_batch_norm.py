"""TF1's fused batch normalization written out as a Keras layer class
(rules/tf1_to_tf2/_fused_batch_norm.py): the emitted class, eager and inside a tf.function,
against TF1's own fused kernels in a graph and Session, for several training steps and then
in inference.

Two subprocesses (TF1's layers need the legacy tf_keras, TF_USE_LEGACY_KERAS=1; the class
subclasses Keras 3's BatchNormalization): the TF1 side builds, in graph mode,
`tf.compat.v1.layers.batch_normalization` on 4-D inputs (fused by default; momentum 0.9,
and center=False with a small batch) and tf_slim's `batch_norm` on a 2-D input
(`_fused_batch_norm`: tf.compat.v1.nn.fused_batch_norm + assign_moving_average; decay 0.9,
scale=True, and a batch of 2: the factor n/(n-1) is 2), trains gamma/beta with plain SGD on
a fixed linear loss of the training-mode output (under UPDATE_OPS), and records after every
step the training output, the gradient with respect to the input, moving_mean,
moving_variance, gamma and beta; then the inference output on another input. The Keras side
does the same with the class (weights start equal: ones/zeros) and the results are compared.
A plain Keras BatchNormalization is run too, to show the case is one where the classes
differ (its moving_variance is off by the factor (n-1)/n)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from rules.tf1_to_tf2 import _fused_batch_norm as fbn

STEPS = 5
# name -> (input shape, kwargs of the TF1 call, Keras kwargs)
CASES = {
    "layers_4d": ((4, 3, 3, 2), {"momentum": 0.9}, {"momentum": 0.9, "epsilon": 0.001}),
    "layers_4d_small_no_center": ((2, 1, 2, 3), {"momentum": 0.8, "center": False, "epsilon": 0.01},
                                  {"momentum": 0.8, "center": False, "epsilon": 0.01}),
    "slim_2d": ((8, 5), {"decay": 0.9, "scale": True}, {"momentum": 0.9, "epsilon": 0.001, "center": True, "scale": True}),
    "slim_2d_batch_2": ((2, 3), {"decay": 0.7, "scale": True}, {"momentum": 0.7, "epsilon": 0.001, "center": True, "scale": True}),
}

COMMON = r'''
import json, sys
import numpy as np
CASES = json.loads(sys.argv[2])
STEPS = int(sys.argv[3])

def data(name, shape):
    rng = np.random.RandomState(len(name))
    xs = (rng.randn(STEPS, *shape) * 2.0 + 1.5).astype(np.float32)
    w = rng.randn(*shape).astype(np.float32)
    x_eval = (rng.randn(*shape) + 1.0).astype(np.float32)
    return xs, w, x_eval
'''

TF1_SIDE = COMMON + r'''
import tensorflow
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
from tensorflow.python.framework import ops
from tensorflow.python.ops import control_flow_ops
import tf_keras.src.legacy_tf_layers as legacy_layers
# tf-slim (TF 1.15's slim) with the names TF 2.21 moved, as tests/_tf1_models_worker.py does
ops.Tensor = tensorflow.Tensor
control_flow_ops.cond = tf.cond
sys.modules.setdefault("tf_keras.legacy_tf_layers", legacy_layers)
import tf_slim
out = {}
for name, (shape, kwargs, _k) in CASES.items():
    xs, w, x_eval = data(name, shape)
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, shape)
        training = tf.placeholder(tf.bool, [])
        if name.startswith("slim"):
            y = tf_slim.batch_norm(x, is_training=training, scope="bn", **kwargs)
        else:
            y = tf.layers.batch_normalization(x, training=training, name="bn", **kwargs)
        loss = tf.reduce_sum(y * w)
        dx = tf.gradients(loss, x)[0]
        with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
            train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
        names = {v.op.name.split("/")[-1]: v for v in tf.global_variables()}
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for i in range(STEPS):
                y_i, dx_i = sess.run([y, dx], {x: xs[i], training: True})
                sess.run(train, {x: xs[i], training: True})
                out[f"{name}/{i}/y"] = y_i
                out[f"{name}/{i}/dx"] = dx_i
                for k in ("moving_mean", "moving_variance", "gamma", "beta"):
                    if k in names:
                        out[f"{name}/{i}/{k}"] = sess.run(names[k])
            out[f"{name}/eval"] = sess.run(y, {x: x_eval, training: False})
np.savez(sys.argv[1], **out)
'''

KERAS_SIDE = COMMON + r'''
import tensorflow as tf
exec(open(sys.argv[4]).read())  # the class, as the rewrite emits it
out, plain_var = {}, {}
for name, (shape, _t, kwargs) in CASES.items():
    xs, w, x_eval = data(name, shape)
    bn = TF1FusedBatchNormalization(name="bn", **kwargs)
    plain = tf.keras.layers.BatchNormalization(name="bn", **kwargs)

    def step(x, layer):
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            y = layer(x, training=True)
            loss = tf.reduce_sum(y * w)
        dx = tape.gradient(loss, x)
        grads = tape.gradient(loss, layer.trainable_variables)
        for v, g in zip(layer.trainable_variables, grads):
            v.assign_sub(0.1 * g)
        return y, dx

    traced = tf.function(step)  # the class inside a tf.function on even steps, eagerly on odd ones
    for i in range(STEPS):
        y_i, dx_i = (traced if i % 2 == 0 else step)(tf.constant(xs[i]), bn)
        step(tf.constant(xs[i]), plain)
        out[f"{name}/{i}/y"] = y_i.numpy()
        out[f"{name}/{i}/dx"] = dx_i.numpy()
        for k in ("moving_mean", "moving_variance", "gamma", "beta"):
            v = getattr(bn, k, None)
            if v is not None and (k != "gamma" or bn.scale) and (k != "beta" or bn.center):
                out[f"{name}/{i}/{k}"] = v.numpy()
    out[f"{name}/eval"] = bn(tf.constant(x_eval), training=False).numpy()
    # BatchNormalization's variables, names and paths
    assert [v.path for v in bn.weights] == [v.path for v in plain.weights], [v.path for v in bn.weights]
    plain_var[name] = plain.moving_variance.numpy().tolist()
np.savez(sys.argv[1], **out)
print("PLAIN " + json.dumps(plain_var))
'''


def _run(script: str, tmp_path: Path, side: str, legacy: bool, *extra: str) -> tuple[dict, str]:  # type: ignore[type-arg]
    path = tmp_path / f"{side}_side.py"  # not keras.py: it would shadow the keras package
    path.write_text(textwrap.dedent(script))
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    env.update(TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    if legacy:
        env["TF_USE_LEGACY_KERAS"] = "1"
    npz = tmp_path / f"{side}.npz"
    proc = subprocess.run([sys.executable, str(path), str(npz), json.dumps(CASES), str(STEPS), *extra],
                          capture_output=True, text=True, env=env, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    with np.load(npz) as z:
        return {k: z[k] for k in z.files}, proc.stdout


@pytest.mark.tf
def test_emitted_class_reproduces_tf1_fused_batch_norm(tmp_path: Path) -> None:
    classes = tmp_path / "classes.py"
    classes.write_text(fbn.class_source("tf"))
    tf1, _ = _run(TF1_SIDE, tmp_path, "tf1", True)
    ours, stdout = _run(KERAS_SIDE, tmp_path, "keras", False, str(classes))
    assert sorted(tf1) == sorted(ours), sorted(set(tf1) ^ set(ours))
    # per case: y, dx, moving mean/variance each step (+ gamma, beta where they exist) and eval
    assert len(tf1) == STEPS * (4 + 2) * 3 + STEPS * (4 + 1) + 4, len(tf1)
    for key in tf1:
        scale = max(1.0, float(np.max(np.abs(tf1[key]))))
        diff = float(np.max(np.abs(tf1[key] - ours[key]))) / scale
        # a batch of 2: each channel's two normalized values are +-1 (up to epsilon), and the
        # input gradient is a difference of nearly equal terms: rounding noise of 2e-5 there
        tol = 1e-4 if key.startswith("slim_2d_batch_2/") and key.endswith("/dx") else 2e-6
        assert diff <= tol, f"{key}: {diff:.3g}"
    # the plain Keras layer differs where the class does not: moving_variance by (n-1)/n
    plain = json.loads(next(ln for ln in stdout.splitlines() if ln.startswith("PLAIN "))[6:])
    for name in CASES:
        want = tf1[f"{name}/{STEPS - 1}/moving_variance"]
        assert float(np.max(np.abs(np.asarray(plain[name]) - want) / want)) > 1e-3, name


# -- the composition, end to end: whole-file fixtures run as TF1 and as migrated ------------
ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "tf1_to_tf2"
# fixture -> tolerance (after training). session_model_fused_batchnorm: tf.layers batch norm
# on a conv output (n = 32 per channel); session_slim_fused_batchnorm: contrib/slim
# batch_norm on 2-D inputs, as normalizer_fn and on its own (n = 4)
FUSED_FIXTURES = {"session_model_fused_batchnorm": 1e-4, "session_slim_fused_batchnorm": 1e-4}

# runs each program (TF1: in its own graph, tf.contrib.layers bound to tf-slim) and prints
# its RESULT line prefixed by its path
RUNNER = r'''
import contextlib, io, runpy, sys, types
import tensorflow
tf1 = sys.argv[1] == "tf1"
if tf1:
    import tensorflow.compat.v1 as tf
    tf.disable_v2_behavior()
    from tensorflow.python.framework import ops
    from tensorflow.python.ops import control_flow_ops
    import tf_keras.src.legacy_tf_layers as legacy_layers
    ops.Tensor = tensorflow.Tensor  # tf-slim reads names that TF 2.21 moved
    control_flow_ops.cond = tf.cond
    sys.modules.setdefault("tf_keras.legacy_tf_layers", legacy_layers)
    import tf_slim
    tf.contrib = types.SimpleNamespace(layers=tf_slim)
for path in sys.argv[2:]:
    out = io.StringIO()
    sys.argv = [path]  # absl's app.run parses the command line
    with contextlib.redirect_stdout(out):
        try:
            if tf1:
                with tensorflow.Graph().as_default():
                    runpy.run_path(path, run_name="__main__")
            else:
                runpy.run_path(path, run_name="__main__")
        except SystemExit as exc:  # absl's app.run exits when main returns
            assert not exc.code, (path, exc.code)
    line = [l for l in out.getvalue().splitlines() if l.startswith("RESULT ")][-1]
    print(path + " " + line)
'''


def _results(side: str, paths: list[Path]) -> dict[str, dict]:  # type: ignore[type-arg]
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    env.update(TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    if side == "tf1":
        env["TF_USE_LEGACY_KERAS"] = "1"  # tf.compat.v1.layers needs tf_keras (TF1 side only)
    proc = subprocess.run([sys.executable, "-c", RUNNER, side, *map(str, paths)], capture_output=True, text=True,
                          env=env, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    out = {}
    for line in proc.stdout.splitlines():
        path, _, result = line.partition(" RESULT ")
        if result:
            out[path] = json.loads(result)
    return out


def _worst(want: dict, got: dict) -> float:  # type: ignore[type-arg]
    assert want.keys() == got.keys()
    worst = 0.0
    for k, a in want.items():
        b = got[k]
        for x, y in (zip(a, b, strict=True) if isinstance(a, list) else [(a, b)]):
            worst = max(worst, abs(x - y))
    return worst


@pytest.mark.tf
@pytest.mark.slow
def test_fused_batch_norm_fixtures_reproduce_tf1(tmp_path: Path) -> None:
    """The two fixtures, TF1 (tf-slim for tf.contrib.layers) against their migration, and
    against the migration with Keras' own BatchNormalization put back (far off: not
    vacuous); the migrated corpus contrib_layers_mlp runs."""
    from migrate.engine.process import Options, process_bytes

    tf2_paths, plain_paths = [], []
    for name in FUSED_FIXTURES:
        src = (FIXTURES / name / "input.py").read_bytes()
        result, out = process_bytes(src, "input.py", Options(pack="tf1-to-tf2", unsafe_fixes=True))
        assert not result.errors and out == (FIXTURES / name / "expected.py").read_bytes(), f"{name}: expected.py is stale"
        code = out.decode()
        assert code.count(f"class {fbn.CLASS_NAME}(") == 1 and "compat.v1" not in code and "contrib" not in code.split('"""', 2)[2]
        # not vacuous: the same migration with Keras' own BatchNormalization
        plain = code.replace(f"= {fbn.CLASS_NAME}(", "= tf.keras.layers.BatchNormalization(")
        assert plain != code
        (tmp_path / f"{name}_plain.py").write_text(plain)
        tf2_paths.append(FIXTURES / name / "expected.py")
        plain_paths.append(tmp_path / f"{name}_plain.py")
    # corpus/tf1/contrib/contrib_layers_mlp.py (rewrite-only: tf.contrib, random initial
    # values and dropout, so no TF1 numbers to compare with): its migration runs
    contrib, findings = _migrated((ROOT / "corpus" / "tf1" / "contrib" / "contrib_layers_mlp.py").read_text())
    assert any(f.rule_id == "TF2120" and f.status.value != "manual" for f in findings)
    assert "compat.v1" not in contrib and "Session" not in contrib and "self.fc1_BatchNorm = TF1FusedBatchNormalization(" in contrib
    (tmp_path / "contrib_layers_mlp.py").write_text(contrib)
    tf1 = _results("tf1", [FIXTURES / name / "input.py" for name in FUSED_FIXTURES])
    tf2 = _results("tf2", [*tf2_paths, *plain_paths, tmp_path / "contrib_layers_mlp.py"])
    got = tf2[str(tmp_path / "contrib_layers_mlp.py")]
    assert set(got) == {"loss", "logits0"} and len(got["logits0"]) == 3 and 0.0 < got["loss"] < 10.0, got
    for name, tol in FUSED_FIXTURES.items():
        want = tf1[str(FIXTURES / name / "input.py")]
        worst = _worst(want, tf2[str(FIXTURES / name / "expected.py")])
        assert worst <= tol, (name, worst)
        assert _worst(want, tf2[str(tmp_path / f"{name}_plain.py")]) > 10 * tol, name


def _migrated(src: str) -> tuple[str, list]:  # type: ignore[type-arg]
    from migrate.engine.process import Options, process_bytes

    result, out = process_bytes(src.encode(), "prog.py", Options(pack="tf1-to-tf2", unsafe_fixes=True))
    assert not result.errors, result.errors
    return out.decode(), list(result.findings)


# edits of the fixtures -> the words of the single TF2120 refusal
@pytest.mark.parametrize(("name", "old", "new", "why"), [
    # which kernel TF1 ran is not known: a `fused=` argument (here in normalizer_params)
    ("session_slim_fused_batchnorm", "'decay': 0.8}", "'decay': 0.8, 'fused': FUSED}",
     "`fc1` with slim.batch_norm with `fused=`"),
    # ... or a computed axis
    ("session_model_fused_batchnorm", "momentum=0.8, training", "axis=AXIS, momentum=0.8, training",
     "`bn` on a 4-D input with an `axis=` that is not a literal"),
])
def test_fused_batch_norm_refusals(name: str, old: str, new: str, why: str) -> None:
    src = (FIXTURES / name / "input.py").read_text()
    assert old in src
    code, findings = _migrated(src.replace(old, new))
    mine = [f for f in findings if f.rule_id == "TF2120"]
    assert len(mine) == 1 and mine[0].status.value == "manual" and why in mine[0].message, [f.message for f in mine]
    assert "GradientTape" not in code


def test_fused_class_only_where_tf1_fused_and_evaluated() -> None:
    src = (FIXTURES / "session_model_fused_batchnorm" / "input.py").read_text()
    # axis=2 of a 4-D input: TF1 did not fuse it (biased variance, as Keras): plain layer
    code, _ = _migrated(src.replace("momentum=0.8, training", "axis=2, momentum=0.8, training"))
    assert "GradientTape" in code and f"class {fbn.CLASS_NAME}" not in code and f"= {fbn.CLASS_NAME}(" not in code
    assert "tf.keras.layers.BatchNormalization(axis=2, momentum=0.8, name='bn')" in code
    # trained, never evaluated: Keras' own layer, and TF2130's note on the difference
    code, findings = _migrated(src.replace(
        "        eval_logits = sess.run(logits, feed_dict={images: eval_np, is_training: False})\n",
        "        eval_logits = np.zeros(3)\n"))
    assert "GradientTape" in code and f"class {fbn.CLASS_NAME}" not in code and f"= {fbn.CLASS_NAME}(" not in code
    assert any(f.rule_id == "TF2130" and f.message.startswith("batch norm moving variance") for f in findings)
    # both: the class, defined once, and no such note
    code, findings = _migrated(src)
    assert code.count(f"class {fbn.CLASS_NAME}(tf.keras.layers.BatchNormalization):") == 1
    assert "self.bn = TF1FusedBatchNormalization(momentum=0.8, name='bn')" in code
    assert not any(f.message.startswith("batch norm moving variance") for f in findings)
