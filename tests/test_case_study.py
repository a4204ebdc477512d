"""The case study (issue 7): TF1 -> TF2 -> PyTorch, reproduced by corpus/case_study/reproduce.py.

* the checked-in tool outputs (tf2_auto/, torch_auto/) match what the tools produce now, and
  every manual item they report has a resolution (no TensorFlow import: cheap);
* the finished versions stay where the tools cannot follow: ``tf2/`` and ``torch/`` exist
  and differ from the tool output;
* ``reproduce.py --quick`` runs end to end (marked tf/torch/slow): train TF1, carry the
  checkpoint, check the three stages, continue training, write the case study and its plots.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT / "corpus" / "case_study"


def _load_reproduce():
    spec = importlib.util.spec_from_file_location("_case_study_reproduce", CASE / "reproduce.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


reproduce = _load_reproduce()


@pytest.fixture(scope="module")
def outputs():
    return reproduce.auto_outputs()


def test_reproduce_does_not_import_frameworks():
    code = ("import sys, importlib.util; s = importlib.util.spec_from_file_location('r', sys.argv[1]); "
            "m = importlib.util.module_from_spec(s); s.loader.exec_module(m); "
            "assert 'tensorflow' not in sys.modules and 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code, str(CASE / "reproduce.py")], check=True, timeout=60)


def test_tool_outputs_are_up_to_date(outputs):
    stale = reproduce.stale_auto(outputs)
    assert not stale, (
        f"checked-in tool outputs are stale: {stale}; regenerate with "
        "`python corpus/case_study/reproduce.py --auto-only`, read the diff, and update "
        "manual/resolutions.json (and tf2/ or torch/ if the person's work changes)"
    )


def test_every_manual_item_has_a_resolution(outputs):
    table = reproduce.load_resolutions()
    for pack, _, auto, _ in reproduce.STAGES:
        report = json.loads(outputs[auto]["migrate-report.json"])
        items = reproduce.manual_items(report)
        assert items, f"{pack}: no manual items at all? the case study expects some person's work"
        for it in reproduce.resolve(items, table.get(pack, {})):
            assert it["resolution"].strip()


def test_unresolved_manual_item_fails():
    items = [{"key": "model.py:TF9999:tf.something_new", "file": "model.py", "rule": "TF9999",
              "subject": "tf.something_new", "lines": [1], "effort_points": 1, "message": "m"}]
    with pytest.raises(reproduce.ReproduceError, match="tf.something_new"):
        reproduce.resolve(items, {"model.py:TF2001:*": "x"})


@pytest.mark.parametrize("message,expected", [
    ("`tf.variable_scope` has no TF2 equivalent", "tf.variable_scope"),
    ("Keras functional API (tf.keras.layers.Conv2D(...)(x)): create nn.LazyConv2d", "tf.keras.layers.Conv2D"),
    ("tf.keras.optimizers.Adam not assigned to a name", "tf.keras.optimizers.Adam"),
    ("Keras functional model left as it is: Reshape: bad", "Keras functional model left as it is"),
])
def test_subject(message, expected):
    assert reproduce.subject(message) == expected


def test_person_edits_are_measured():
    for _, _, auto, done in reproduce.STAGES:
        d = reproduce.person_diff(auto, done)
        assert set(d["files"]) == {"model.py", "train.py"}
        assert d["added"] > 0 and d["removed"] > 0
        assert d["text"].startswith(f"--- {auto}/")


def test_excerpts_exist():
    assert "tf.layers.batch_normalization" in reproduce.excerpt(CASE / "tf1" / "model.py", "conv_bn_relu")
    assert "nn.BatchNorm2d" in reproduce.excerpt(CASE / "torch" / "model.py", "ConvBN")
    with pytest.raises(reproduce.ReproduceError):
        reproduce.excerpt(CASE / "tf2" / "model.py", "no_such_function")


@pytest.mark.torch
def test_same_padding_matches_tensorflow_rule():
    # TF: out = ceil(in / s); needed = max(0, (out - 1) * s + k - in); before = needed // 2
    spec = importlib.util.spec_from_file_location("_cs_torch_model", CASE / "torch" / "model.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    same = mod.same_padding
    assert same(33, 5, 2) == (2, 2)   # odd: symmetric
    assert same(64, 5, 2) == (1, 2)   # even: one more after
    assert same(17, 3, 2) == (1, 1)
    assert same(32, 3, 2) == (0, 1)
    assert same(5, 2, 2) == (0, 1)    # the detection pool: 5 -> 3
    assert same(9, 3, 1) == (1, 1)


@pytest.mark.tf
@pytest.mark.torch
@pytest.mark.slow
def test_reproduce_quick_end_to_end(tmp_path):
    out = tmp_path / "docs"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    env.pop("TF_USE_LEGACY_KERAS", None)
    proc = subprocess.run(
        [sys.executable, str(CASE / "reproduce.py"), "--quick", "--steps", "20", "--continue-steps", "4", "--no-write-auto",
         "--out", str(out), "--work", str(tmp_path / "work"), "--json", str(tmp_path / "numbers.json")],
        capture_output=True, text=True, timeout=900, env=env, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    doc = (out / "case-study.md").read_text(encoding="utf-8")
    for png in ("per-layer.png", "loss-curves.png"):
        assert (out / "case-study" / png).read_bytes().startswith(b"\x89PNG")
    numbers = json.loads((tmp_path / "numbers.json").read_text(encoding="utf-8"))["numbers"]
    assert numbers["tf1_result"]["global_step"] == 20
    for pair in ("tf1->tf2", "tf2->torch", "tf1->torch"):
        c = numbers["ckpt"][pair]
        assert c["max_head_diff"] <= 1e-5 and c["max_layer_diff"] <= 1e-5, (pair, c)
        f = numbers["continue"]["no_dropout"]["first_step"][pair]
        assert f["grad_diff"] <= 1e-4 and f["param_diff"] <= 2e-3 and f["compared"] >= 30, (pair, f)
        assert len({x["new"] for x in c["layers"]}) >= 8, (pair, c["layers"])  # per layer, not just outputs
        assert numbers["check"][pair]["status"] in ("equivalent", "not_equivalent"), numbers["check"][pair]
    assert numbers["check"]["tf1->tf2"]["status"] == "equivalent", numbers["check"]["tf1->tf2"]["message"]
    assert numbers["carry_torch"]["max_diff_vs_checker_conversion"] == 0
    cont = numbers["continue"]
    for variant in ("no_dropout", "dropout"):
        for v in ("tf1", "tf2", "torch"):
            losses = [x["total"] for x in cont[variant][v]["losses"]]
            assert len(losses) == 4 and all(0 < x < 10 for x in losses), (variant, v, losses)
    # without dropout the three runs follow each other step by step from the same checkpoint
    for v in ("tf2", "torch"):
        assert cont["no_dropout"][v]["first_loss_diff_vs_tf1"] <= 1e-4, cont["no_dropout"][v]
        assert cont["no_dropout"][v]["max_loss_diff_vs_tf1"] <= 1e-3, cont["no_dropout"][v]
    assert "| TF1 -> PyTorch |" in doc and "relative to TF1" in doc
    # every manual item is listed with its resolution
    table = reproduce.load_resolutions()
    assert doc.count("| model.py |") + doc.count("| train.py |") >= 20
    assert table["tf2-to-torch"]["model.py:PT1007:tf.keras.optimizers.Adam"] in doc
