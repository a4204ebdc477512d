"""The case study's TF1 program (corpus/case_study/tf1) and its synthetic data.

The data tests import numpy only.  The TensorFlow tests run the program in
subprocesses: train 20 steps, restore the checkpoint and evaluate again, and
build the checker factories on top of the checkpoint.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT / "corpus" / "case_study"
TF1 = CASE / "tf1"
TF_ENV = {"TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
HEADS = ("lane", "class", "box", "steer", "reg", "total")


def _load_data():
    spec = importlib.util.spec_from_file_location("_case_study_data", CASE / "data.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


data = _load_data()


# ---------------------------------------------------------------- data


def test_data_does_not_import_tensorflow():
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import data; "
            "data.make_batch(0, 1); assert 'tensorflow' not in sys.modules")
    subprocess.run([sys.executable, "-c", code, str(CASE)], check=True, timeout=60)


@pytest.mark.parametrize("frames,height,width", [(4, 33, 64), (2, 40, 80)])
def test_batch_shapes_and_dtypes(frames, height, width):
    b = data.make_batch(3, 5, frames, height, width)
    expected = {
        "frames": ((5, frames, height, width, 3), np.float32),
        "lane_mask": ((5, height, width), np.float32),
        "obj_class": ((5,), np.int32),
        "obj_box": ((5, 4), np.float32),
        "steering": ((5,), np.float32),
        "curvature": ((5, frames), np.float32),
        "num_vehicles": ((5,), np.int32),
        "vehicle_classes": ((5, 2), np.int32),
        "vehicle_boxes": ((5, 2, 4), np.float32),
    }
    assert set(b) == set(expected)
    for key, (shape, dtype) in expected.items():
        assert b[key].shape == shape, key
        assert b[key].dtype == dtype, key
    assert b["frames"].min() >= 0.0 and b["frames"].max() <= 1.0
    assert set(np.unique(b["lane_mask"])) <= {0.0, 1.0}


def test_batch_is_deterministic():
    a = data.make_batch(11, 4)
    b = data.make_batch(11, 4)
    c = data.make_batch(np.random.default_rng(11), 4)
    d = data.make_batch(12, 4)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
        np.testing.assert_array_equal(a[key], c[key])
    assert not np.array_equal(a["frames"], d["frames"])
    # a generator is consumed: two batches in a row differ
    rng = np.random.default_rng(11)
    first, second = data.make_batch(rng, 4), data.make_batch(rng, 4)
    assert not np.array_equal(first["frames"], second["frames"])


@pytest.fixture(scope="module")
def big_batch():
    return data.make_batch(2024, 64)


def test_detection_labels_consistent(big_batch):
    b = big_batch
    classes = b["vehicle_classes"]
    assert np.array_equal(b["obj_class"], classes[:, 0])
    assert np.array_equal(b["num_vehicles"], (classes > 0).sum(axis=1))
    assert set(np.unique(b["obj_class"])) == {0, 1, 2}          # all classes occur
    none = b["obj_class"] == 0
    assert np.all(b["obj_box"][none] == 0.0)
    np.testing.assert_array_equal(b["obj_box"], b["vehicle_boxes"][:, 0])
    for i in range(len(b["obj_class"])):
        for k in range(2):
            if classes[i, k] == 0:
                assert np.all(b["vehicle_boxes"][i, k] == 0.0)
                continue
            y0, x0, y1, x1 = b["vehicle_boxes"][i, k]
            assert 0.0 <= y0 < y1 <= 1.0 and 0.0 <= x0 < x1 <= 1.0


def _box_pixels(box, height, width):
    y0, x0, y1, x1 = np.rint(np.asarray(box) * [height, width, height, width]).astype(int)
    m = np.zeros((height, width), bool)
    m[y0:y1, x0:x1] = True
    return m


def test_boxes_cover_the_drawn_vehicles(big_batch):
    b = big_batch
    _, _, height, width, _ = b["frames"].shape
    for i in range(len(b["obj_class"])):
        key = b["frames"][i, -1]
        painted = np.zeros((height, width), bool)
        for k in range(2):                      # nearest first: it is drawn on top
            cls = b["vehicle_classes"][i, k]
            if cls == 0:
                continue
            inside = _box_pixels(b["vehicle_boxes"][i, k], height, width) & ~painted
            pix = key[inside]
            if cls == 1:                        # red car
                assert np.all(pix[:, 0] > 0.6) and np.all(pix[:, 1:] < 0.3), (i, k)
            else:                               # blue truck
                assert np.all(pix[:, 2] > 0.6) and np.all(pix[:, :2] < 0.4), (i, k)
            painted |= inside
            # the lane mask never covers a vehicle
            assert not np.any(b["lane_mask"][i][inside])


def test_lane_mask_matches_the_lane_pixels(big_batch):
    b = big_batch
    _, _, height, width, _ = b["frames"].shape
    horizon = int(math.ceil(data.HORIZON * height))
    key = b["frames"][:, -1]
    mask = b["lane_mask"] > 0.5
    assert mask.any(axis=(1, 2)).all()
    assert not mask[:, :horizon - 1].any()                # nothing drawn in the sky
    lane_colored = (key[..., 0] > 0.7) & (key[..., 1] > 0.7)
    below = np.zeros_like(mask)
    below[:, horizon:] = True
    assert np.all(lane_colored[mask])
    assert not np.any(lane_colored & below & ~mask)


def test_steering_follows_curvature(big_batch):
    b = big_batch
    np.testing.assert_allclose(b["steering"], data.STEER_GAIN * b["curvature"][:, -1], rtol=1e-6)
    assert np.all(np.abs(np.diff(b["curvature"], axis=1)) <= 0.08 + 1e-6)   # varies slowly
    assert np.abs(b["curvature"]).max() <= 1.2 + 1e-6

    # the road bends towards the steering direction: yellow (left) line column
    # near the horizon, relative to the image centre
    _, _, height, width, _ = b["frames"].shape
    key = b["frames"][:, -1]
    yellow = (key[..., 0] > 0.7) & (key[..., 1] > 0.6) & (key[..., 2] < 0.5)
    top = slice(int(data.HORIZON * height) + 1, int(data.HORIZON * height) + 6)
    cols = np.arange(width)[None, None, :]
    counts = yellow[:, top].sum(axis=(1, 2))
    ok = counts > 0
    mean_col = (yellow[:, top] * cols).sum(axis=(1, 2))[ok] / counts[ok]
    assert ok.sum() > 40
    assert np.corrcoef(mean_col, b["steering"][ok])[0, 1] > 0.9


def test_draw_frame_curves_with_curvature():
    left, _, _ = data.draw_frame(33, 64, -0.8, 0.0, 0.0, [])
    right, mask, boxes = data.draw_frame(33, 64, +0.8, 0.0, 0.0, [])
    assert boxes == []
    row = 12
    lcols = np.flatnonzero(np.all(np.isclose(left[row], data.YELLOW), axis=-1))
    rcols = np.flatnonzero(np.all(np.isclose(right[row], data.YELLOW), axis=-1))
    assert lcols.size and rcols.size and rcols.mean() > lcols.mean() + 10
    _, _, vboxes = data.draw_frame(33, 64, 0.0, 0.0, 0.0, [(1, 0.6, 1, 0.0), (2, 0.9, 0, 0.0)])
    assert len(vboxes) == 2 and all(r1 > r0 and c1 > c0 for r0, c0, r1, c1 in vboxes)


def test_render_samples(tmp_path):
    out = data.render_samples(str(tmp_path / "samples.png"), rng=1, num=2)
    png = Path(out).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


# ---------------------------------------------------------------- TF1 program


def _env():
    env = dict(os.environ)
    env.update(TF_ENV)
    return env


def _run(args, timeout=180):
    proc = subprocess.run([sys.executable, *args], cwd=str(TF1), env=_env(),
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc


def _result(stdout: str) -> dict:
    lines = [line for line in stdout.splitlines() if line.startswith("RESULT ")]
    assert len(lines) == 1, stdout[-2000:]
    return json.loads(lines[0][len("RESULT "):])


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    train_dir = tmp_path_factory.mktemp("drivenet")
    proc = _run(["train.py", "--steps", "20", "--train_dir", str(train_dir), "--log_every", "10"])
    return train_dir, _result(proc.stdout)


@pytest.mark.tf
@pytest.mark.slow
def test_train_20_steps(trained):
    train_dir, result = trained
    assert result["global_step"] == 20
    assert result["checkpoint"] == "model.ckpt-20"
    for suffix in (".index", ".meta"):
        assert (train_dir / ("model.ckpt-20" + suffix)).is_file()
    assert list(train_dir.glob("model.ckpt-20.data-*"))
    assert (train_dir / "checkpoint").is_file()
    assert list(train_dir.glob("events.out.tfevents.*"))
    assert (train_dir / "eval_outputs.npz").is_file()
    assert 50000 < result["num_params"] < 100000
    for part in ("eval", "initial_eval"):
        assert set(result[part]) == set(HEADS)
        assert all(math.isfinite(v) for v in result[part].values())
    assert result["eval"]["total"] < result["initial_eval"]["total"]
    assert result["eval"]["lane"] < result["initial_eval"]["lane"]
    assert result["train_loss_last"] < result["train_loss_first"]
    out = result["outputs"]
    assert len(out["steering"]) == 8 and len(out["lane_logits0_row4"]) == 16
    assert abs(sum(out["class_probs0"]) - 1.0) < 1e-5
    assert all(0.0 <= v <= 1.0 for v in out["boxes0"])
    assert all(math.isfinite(v) for vals in out.values()
               for v in (vals if isinstance(vals, list) else [vals]))


@pytest.mark.tf
@pytest.mark.slow
def test_saver_round_trip(trained, tmp_path):
    train_dir, result = trained
    with np.load(train_dir / "eval_outputs.npz") as z:
        before = {k: z[k] for k in z.files}
    proc = _run(["train.py", "--eval_only", "--train_dir", str(train_dir)])
    again = _result(proc.stdout)
    assert again["global_step"] == 20
    assert again["eval"] == result["eval"]
    assert again["outputs"] == result["outputs"]
    with np.load(train_dir / "eval_outputs.npz") as z:
        assert set(z.files) == set(before)
        for k in z.files:
            np.testing.assert_array_equal(z[k], before[k], err_msg=k)


FACTORY_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import tensorflow.compat.v1 as tf
    sys.path.insert(0, '.')
    import model
    ckpt = tf.train.latest_checkpoint(sys.argv[1])
    ref = np.load(sys.argv[2])
    report = {}
    for name in ('build_model', 'build_train'):
        with tf.Graph().as_default():
            ret = getattr(model, name)()
            inputs, outputs = ret[0], ret[1]
            sess = tf.Session()
            tf.train.Saver().restore(sess, ckpt)
            feed = {inputs['frames']: ref['input/frames']}
            if name == 'build_train':
                for k in ('lane_mask', 'obj_class', 'obj_box', 'steering'):
                    feed[inputs[k]] = ref['input/' + k]
            values = sess.run(outputs, feed)
            diff = {k: float(np.abs(v - ref['output/' + k]).max()) for k, v in values.items()}
            report[name] = {
                'inputs': sorted(inputs),
                'outputs': {k: t.get_shape().as_list() for k, t in outputs.items()},
                'is_training': inputs['is_training'].dtype.name,
                'diff': diff,
                'loss': float(sess.run(ret[2], feed)) if len(ret) > 2 else None,
            }
            sess.close()
    print('RESULT ' + json.dumps(report))
    """
)


@pytest.mark.tf
@pytest.mark.slow
def test_checker_factories_reproduce_the_checkpoint(trained):
    train_dir, result = trained
    proc = _run(["-c", FACTORY_SCRIPT, str(train_dir), str(train_dir / "eval_outputs.npz")])
    report = _result(proc.stdout)
    shapes = {"lane_logits": [None, 9, 16], "class_logits": [None, 3], "boxes": [None, 4],
              "steering": [None]}
    assert report["build_model"]["inputs"] == ["frames", "is_training"]
    assert report["build_train"]["inputs"] == sorted(
        ["frames", "is_training", "lane_mask", "obj_class", "obj_box", "steering"])
    for name in ("build_model", "build_train"):
        r = report[name]
        assert r["outputs"] == shapes
        assert r["is_training"] == "bool"
        assert all(d == 0.0 for d in r["diff"].values()), r["diff"]
    assert report["build_train"]["loss"] == pytest.approx(result["eval"]["total"], rel=1e-6)
