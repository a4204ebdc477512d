"""`migrate convert-checkpoint`: a TF1 Saver checkpoint becomes a TF2 object-based one.

Train a few steps TF1-style (tensorflow.compat.v1 graph mode, in a subprocess), save with
tf.train.Saver, convert, load into the migrated TF2 objects, and get the same outputs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from click.testing import CliRunner  # noqa: E402

from migrate.cli import main  # noqa: E402

# Two TF1 programs in one subprocess: an MLP of tf.layers.dense trained with Adam (as in
# corpus/tf1/meta_graph_restore.py) and a softmax regression of named tf.Variables under a
# name_scope with a global_step (as in corpus/tf1/flags_train_saver.py).
TF1 = textwrap.dedent(
    """
    import json, os, sys
    import numpy as np
    import tensorflow.compat.v1 as tf
    tf.disable_v2_behavior()
    out = sys.argv[1]
    np.random.seed(0)
    x_np = np.random.randn(6, 4).astype(np.float32)
    y_np = np.stack([x_np.sum(1), x_np[:, 0] * x_np[:, 1]], axis=1).astype(np.float32)
    with tf.Graph().as_default():
        tf.set_random_seed(0)
        x = tf.placeholder(tf.float32, [None, 4])
        y = tf.placeholder(tf.float32, [None, 2])
        hidden = tf.layers.dense(x, 8, activation=tf.nn.relu, name='hidden')
        output = tf.layers.dense(hidden, 2, name='out')
        loss = tf.losses.mean_squared_error(y, output)
        train_op = tf.train.AdamOptimizer(0.05).minimize(loss)
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(10):
                sess.run(train_op, {x: x_np, y: y_np})
            trained = sess.run(output, {x: x_np})
            saver.save(sess, os.path.join(out, 'mlp', 'model'))
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 4])
        labels = tf.placeholder(tf.int32, [None])
        with tf.name_scope('softmax_linear'):
            weights = tf.Variable(tf.zeros([4, 3]), name='weights')
            biases = tf.Variable(tf.zeros([3]), name='biases')
            logits = tf.matmul(x, weights) + biases
        loss2 = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
        global_step = tf.Variable(0, name='global_step', trainable=False)
        train2 = tf.train.GradientDescentOptimizer(0.5).minimize(loss2, global_step=global_step)
        saver = tf.train.Saver(max_to_keep=2)
        y2 = (x_np[:, 0] > 0).astype(np.int32) + (x_np[:, 1] > 0).astype(np.int32)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for step in range(6):
                sess.run(train2, {x: x_np, labels: y2})
                if step % 3 == 2:
                    saver.save(sess, os.path.join(out, 'softmax', 'model.ckpt'), global_step=global_step)
            logits_np = sess.run(logits, {x: x_np})
    np.savez(os.path.join(out, 'tf1.npz'), x=x_np, trained=trained, logits=logits_np)
    """
)

MODELS = textwrap.dedent(
    """
    import keras
    import tensorflow as tf


    def keras_mlp():
        return keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu", name="hidden"),
                                 keras.layers.Dense(2, name="out")])


    class MLP(tf.Module):
        def __init__(self):
            super().__init__()
            self.w1 = tf.Variable(tf.zeros([4, 8]))
            self.b1 = tf.Variable(tf.zeros([8]))
            self.w2 = tf.Variable(tf.zeros([8, 2]))
            self.b2 = tf.Variable(tf.zeros([2]))

        def __call__(self, x):
            return tf.matmul(tf.nn.relu(tf.matmul(x, self.w1) + self.b1), self.w2) + self.b2


    def softmax_objects():
        # what TF2120 makes of the softmax script: plain variables (TF1 names kept) and a
        # tf.train.Checkpoint keyed by their Python names
        weights = tf.Variable(tf.zeros([4, 3]), name="weights")
        biases = tf.Variable(tf.zeros([3]), name="biases")
        global_step = tf.Variable(0, name="global_step", trainable=False)
        return tf.train.Checkpoint(weights=weights, biases=biases, global_step=global_step)


    def wrong_shape():
        return {"net": MLPWide()}


    class MLPWide(MLP):
        def __init__(self):
            super().__init__()
            self.w1 = tf.Variable(tf.zeros([4, 9]), name="hidden/kernel")


    def extra_variable():
        m = keras_mlp()
        return {"model": m, "scale": tf.Variable(1.0, name="scale")}
    """
)


@pytest.fixture(scope="module")
def tf1_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, np.ndarray]]:
    root = tmp_path_factory.mktemp("ckpt")
    script = root / "tf1_train.py"
    script.write_text(TF1, encoding="utf-8")
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run([sys.executable, str(script), str(root)], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (root / "models.py").write_text(MODELS, encoding="utf-8")
    data = np.load(root / "tf1.npz")
    return root, {k: data[k] for k in data.files}


def _convert(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(main, ["convert-checkpoint", *args])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    return res.exit_code, res.stdout, res.stderr


def _models(root: Path):  # type: ignore[no-untyped-def]
    from migrate.check.loader import load_module

    return load_module(root / "models.py")


def test_keras_target_by_name(tf1_run) -> None:  # type: ignore[no-untyped-def]
    root, ref = tf1_run
    out = root / "tf2_keras" / "ckpt"
    code, stdout, stderr = _convert(str(root / "mlp" / "model"), "--out", str(out), "--target",
                                    f"{root / 'models.py'}:keras_mlp", "--json", "-")
    assert code == 0, stderr
    report = json.loads(stdout)
    # Keras 3 variable paths are "<model>/hidden/kernel": the TF1 name is their tail
    assert {(p["old"], p["how"]) for p in report["pairs"]} == {
        ("hidden/kernel", "name suffix"), ("hidden/bias", "name suffix"), ("out/kernel", "name suffix"),
        ("out/bias", "name suffix")}
    assert report["unmatched_old"] == [] and report["unmatched_new"] == []
    assert "beta1_power" in report["optimizer_state"] and "hidden/kernel/Adam" in report["optimizer_state"]
    fresh = _models(root).keras_mlp()
    tf.train.Checkpoint(fresh).restore(str(out)).assert_existing_objects_matched()
    got = fresh(ref["x"]).numpy()
    assert np.abs(got - ref["trained"]).max() <= 1e-5
    assert np.abs(ref["trained"]).max() > 0.1  # trained weights, not zeros


def test_map_without_target(tf1_run) -> None:  # type: ignore[no-untyped-def]
    root, ref = tf1_run
    name_map = {"hidden/kernel": "net/w1", "hidden/bias": "net/b1", "out/kernel": "net/w2", "out/bias:0": "net/b2"}
    mp = root / "map.json"
    mp.write_text(json.dumps(name_map), encoding="utf-8")
    out = root / "tf2_map" / "ckpt"
    code, _, stderr = _convert(str(root / "mlp"), "--out", str(out), "--map", str(mp))
    assert code == 0, stderr
    assert "hidden/kernel -> net/w1 [4, 8] (map)" in stderr
    net = _models(root).MLP()
    tf.train.Checkpoint(net=net).restore(str(out)).assert_existing_objects_matched()
    assert np.abs(net(ref["x"]).numpy() - ref["trained"]).max() <= 1e-5


def test_name_scoped_variables_into_checkpoint(tf1_run) -> None:  # type: ignore[no-untyped-def]
    root, ref = tf1_run
    out = root / "tf2_softmax" / "ckpt"
    # a directory: its latest checkpoint (model.ckpt-6)
    code, stdout, stderr = _convert(str(root / "softmax"), "--out", str(out), "--target",
                                    f"{root / 'models.py'}:softmax_objects", "--json", "-")
    assert code == 0, stderr
    pairs = {p["old"]: (p["new"], p["how"]) for p in json.loads(stdout)["pairs"]}
    assert pairs == {"softmax_linear/weights": ("weights", "name suffix"), "softmax_linear/biases": ("biases", "name suffix"),
                     "global_step": ("global_step", "name")}
    ckpt = _models(root).softmax_objects()
    ckpt.restore(str(out)).assert_existing_objects_matched()
    assert int(ckpt.global_step.numpy()) == 6
    logits = tf.matmul(ref["x"], ckpt.weights) + ckpt.biases
    assert np.abs(logits.numpy() - ref["logits"]).max() <= 1e-5
    assert np.abs(ref["logits"]).max() > 0.05


def test_map_of_a_model_layer_from_the_saver_finding(tf1_run) -> None:  # type: ignore[no-untyped-def]
    """corpus flags_train_saver migrated: TF2130 makes `inference` the layer `Inference`, and
    TF2120's Saver finding gives the --map of its variables (`softmax_linear/weights` ->
    `inference_layer/weights_layer`); the TF1 softmax checkpoint (same names) converted with
    that map loads into the migrated layer and the Checkpoint's global step."""
    import ast
    import re

    from migrate.engine.process import Options, process_bytes

    src = (Path(__file__).resolve().parents[1] / "corpus" / "tf1" / "flags_train_saver.py").read_bytes()
    result, out = process_bytes(src, "flags_train_saver.py", Options(pack="tf1-to-tf2", unsafe_fixes=True))
    note = next(f.message for f in result.findings if f.rule_id == "TF2120" and "tf.train.Saver becomes" in f.message)
    found = re.search(r"MAP\.json: (\{.*?\})\)", note)
    assert found, note
    name_map = json.loads(found.group(1))
    assert name_map == {"softmax_linear/weights": "inference_layer/weights_layer", "softmax_linear/biases": "inference_layer/biases"}
    root, ref = tf1_run
    mp = root / "layer_map.json"
    mp.write_text(json.dumps(name_map), encoding="utf-8")
    ckpt_out = root / "tf2_layer" / "ckpt"
    code, _, stderr = _convert(str(root / "softmax"), "--out", str(ckpt_out), "--map", str(mp))
    assert code == 0, stderr
    # the migrated class, as written
    klass = next(n for n in ast.parse(out.decode()).body if isinstance(n, ast.ClassDef) and n.name == "Inference")
    ns: dict = {"tf": tf}  # type: ignore[type-arg]
    exec(compile(ast.Module(body=[klass], type_ignores=[]), "migrated", "exec"), ns)
    layer = ns["Inference"](num_classes=3)
    layer(ref["x"][:1])  # built (Keras makes the variables at the first call)
    global_step = tf.Variable(0, name="global_step", trainable=False)
    tf.train.Checkpoint(inference_layer=layer, global_step=global_step).restore(str(ckpt_out)).assert_existing_objects_matched()
    assert int(global_step.numpy()) == 6
    assert np.abs(layer(ref["x"]).numpy() - ref["logits"]).max() <= 1e-5
    assert np.abs(ref["logits"]).max() > 0.05


def test_unmatched_and_errors(tf1_run) -> None:  # type: ignore[no-untyped-def]
    root, _ = tf1_run
    models = root / "models.py"
    # a new variable no TF1 variable fills: written, exit 1, named
    code, _, stderr = _convert(str(root / "mlp" / "model"), "--out", str(root / "x1" / "c"), "--target", f"{models}:extra_variable")
    assert code == 1 and "new variables without a TF1 value" in stderr and "scale" in stderr
    code, _, stderr = _convert(str(root / "mlp" / "model"), "--out", str(root / "x2" / "c"), "--target",
                               f"{models}:extra_variable", "--strict")
    assert code == 2 and "strict" in stderr
    # shapes must agree
    code, _, stderr = _convert(str(root / "mlp" / "model"), "--out", str(root / "x3" / "c"), "--target", f"{models}:wrong_shape")
    assert code == 2 and "shape mismatch" in stderr and "hidden/kernel" in stderr
    # a map naming a variable the checkpoint lacks
    bad = root / "bad.json"
    bad.write_text(json.dumps({"nope/kernel": "net/w1"}), encoding="utf-8")
    code, _, stderr = _convert(str(root / "mlp" / "model"), "--out", str(root / "x4" / "c"), "--map", str(bad))
    assert code == 2 and "nope/kernel" in stderr
    # TF1 model variables the target does not take are reported
    code, _, stderr = _convert(str(root / "mlp" / "model"), "--out", str(root / "x5" / "c"), "--target", f"{models}:softmax_objects")
    assert code == 1 and "TF1 variables not converted: hidden/bias" in stderr
    code, _, stderr = _convert(str(root / "missing"), "--out", str(root / "x6" / "c"))
    assert code == 2 and "does not exist" in stderr


# -- end to end: TF1 training script, TF1 evaluation script migrated by TF2120 -------------

TRAIN_TF1 = '''
import sys
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
np.random.seed(1)
data = np.random.randn(16, 4).astype(np.float32)
labels = (data[:, 0] > 0).astype(np.int32) + (data[:, 1] > 0).astype(np.int32)
x = tf.placeholder(tf.float32, [None, 4])
y = tf.placeholder(tf.int32, [None])
with tf.name_scope('softmax'):
    w = tf.Variable(tf.zeros([4, 3]), name='weights')
    b = tf.Variable(tf.zeros([3]), name='biases')
loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=tf.matmul(x, w) + b))
global_step = tf.Variable(0, name='global_step', trainable=False)
train_op = tf.train.AdamOptimizer(0.1).minimize(loss, global_step=global_step)
saver = tf.train.Saver()
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for _ in range(9):
        sess.run(train_op, {x: data, y: labels})
    saver.save(sess, sys.argv[1] + '/model.ckpt', global_step=global_step)
'''

EVAL_TF1 = '''"""Evaluate the latest checkpoint of a training directory."""
import json
import sys

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()


def main(train_dir):
    np.random.seed(1)
    data = np.random.randn(16, 4).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 4])
    w = tf.Variable(tf.zeros([4, 3]), name='softmax/weights')
    b = tf.Variable(tf.zeros([3]), name='softmax/biases')
    global_step = tf.Variable(0, name='global_step', trainable=False)
    logits = tf.matmul(x, w) + b
    saver = tf.train.Saver()
    with tf.Session() as sess:
        saver.restore(sess, tf.train.latest_checkpoint(train_dir))
        logits_v = sess.run(logits, {x: data})
        step = sess.run(global_step)
    print("RESULT " + json.dumps({"logits": np.round(logits_v, 6).tolist(), "step": int(step)}))


if __name__ == '__main__':
    main(sys.argv[1])
'''

DRIVER = '''
import runpy, sys
mode, script, arg = sys.argv[1:4]
if mode == "tf1":
    import tensorflow.compat.v1 as tf
    tf.disable_v2_behavior()
sys.argv = [script, arg]
runpy.run_path(script, run_name="__main__")
'''


def _run(tmp: Path, mode: str, script: Path, arg: Path) -> str:
    driver = tmp / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    env.update(TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    if mode == "tf1":
        env["TF_USE_LEGACY_KERAS"] = "1"
    proc = subprocess.run([sys.executable, str(driver), mode, str(script), str(arg)], capture_output=True, text=True,
                          env=env, timeout=300, cwd=tmp)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_train_tf1_migrate_convert_restore(tmp_path: Path) -> None:
    """Train and save TF1-style; migrate the evaluation script (Saver -> Checkpoint);
    convert the TF1 checkpoint for it; the migrated script restores the same numbers."""
    from migrate.engine.process import Options, process_bytes

    (tmp_path / "train.py").write_text(TRAIN_TF1, encoding="utf-8")
    (tmp_path / "evaluate.py").write_text(EVAL_TF1, encoding="utf-8")
    tf1_dir, tf2_dir = tmp_path / "tf1_ckpt", tmp_path / "tf2_ckpt"
    tf1_dir.mkdir()
    _run(tmp_path, "tf1", tmp_path / "train.py", tf1_dir)
    ref = json.loads(_run(tmp_path, "tf1", tmp_path / "evaluate.py", tf1_dir).split("RESULT ", 1)[1])
    assert ref["step"] == 9 and np.abs(np.array(ref["logits"])).max() > 0.1

    result, out = process_bytes(EVAL_TF1.encode(), "evaluate.py", Options(pack="tf1-to-tf2", unsafe_fixes=True, verify_idempotence=True))
    assert not result.errors
    migrated = out.decode()
    assert "tf.train.Checkpoint(w=w, b=b, global_step=global_step)" in migrated and "checkpoint.restore(" in migrated
    assert "compat.v1" not in migrated and "Saver" not in migrated
    (tmp_path / "evaluate_tf2.py").write_text(migrated, encoding="utf-8")

    # the TF1 names -> the Checkpoint's attribute names: the map the rule's finding gives
    note = next(f.message for f in result.findings if "tf.train.Saver becomes" in f.message)
    name_map = json.loads(note.rsplit("(MAP.json: ", 1)[1][:-1])
    assert name_map == {"softmax/weights": "w", "softmax/biases": "b"}
    mp = tmp_path / "map.json"
    mp.write_text(json.dumps(name_map), encoding="utf-8")
    code, _, stderr = _convert(str(tf1_dir), "--out", f"{tf2_dir}/", "--map", str(mp))
    assert code == 0, stderr
    assert (tf2_dir / "checkpoint").exists() and (tf2_dir / "model.ckpt-9.index").exists()
    got = json.loads(_run(tmp_path, "tf2", tmp_path / "evaluate_tf2.py", tf2_dir).split("RESULT ", 1)[1])
    assert got["step"] == ref["step"]
    assert np.abs(np.array(got["logits"]) - np.array(ref["logits"])).max() <= 1e-5
