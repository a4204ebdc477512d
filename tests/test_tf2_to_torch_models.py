"""Numeric proofs for the tf2-to-torch corpus programs of the functional API, model.add and
the extended layer table (recurrent, transposed / depthwise / separable convolutions,
Reshape / Permute, merge layers).

Every case is a corpus program (``corpus/tf2/<case>.py``, copied to
``tests/fixtures/tf2_to_torch/<case>/input.py``) and the PyTorch code the pack writes for it
(``expected.py``, checked by tests/test_fixtures.py). The TensorFlow work of all cases runs
in ONE subprocess (tests/tf2_torch_numeric_worker.py): the same random weights go to both
models through the equivalence checker's weight transfer (paired by the Keras name -> torch
module map that PT1030 / PT1002 report, inferred in order for Sequential models), then eval
outputs must agree within 1e-5 on odd and even input sizes, and the trainable parameters
after one SGD step (checker adapters, dropout all-kept) within 1e-4.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from migrate.pack import load_pack
from migrate.testing import apply
from rules.tf2_to_torch.keras_functional import name_map

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "tf2_to_torch"
CORPUS = ROOT / "corpus" / "tf2"

F = "float32"
# case -> factory, inputs (shape without batch; "S" = the size under test, "S+1" = one more)
CASES: dict[str, dict[str, Any]] = {
    "functional_two_tower": {"build": "build_two_tower", "inputs": [{"shape": [12], "dtype": F}, {"shape": [12], "dtype": F}], "sizes": [0]},
    "functional_resnet_block": {"build": "build_resnet", "inputs": [{"shape": ["S", "S+1", 3], "dtype": F}], "sizes": [8, 9]},
    "sequential_add_conv1d": {"build": "build_regressor", "inputs": [{"shape": [12, 4], "dtype": F}], "sizes": [0]},
    "lstm_text_classifier": {"build": "build_classifier", "inputs": [{"shape": ["S"], "dtype": "int32", "high": 50}], "sizes": [6, 7]},
    "bidirectional_tagger": {"build": "build_tagger", "inputs": [{"shape": ["S"], "dtype": "int32", "high": 40}], "sizes": [4, 5]},
    "recurrent_state_encoder": {"build": "build_encoder", "inputs": [{"shape": ["S", 3], "dtype": F}], "sizes": [5, 6]},
    "dcgan_models": {"build": "build_generator", "inputs": [{"shape": [8], "dtype": F}], "sizes": [0]},
    "dcgan_models#discriminator": {"build": "build_discriminator", "inputs": [{"shape": [17, 17, 1], "dtype": F}], "sizes": [0]},
    "mobile_separable_cnn": {"build": "build_mobile", "inputs": [{"shape": ["S", "S+1", 4], "dtype": F}], "sizes": [9, 10]},
    "reshape_permute_mixer": {"build": "build_mixer", "inputs": [{"shape": [6, 4], "dtype": F}], "sizes": [0]},
    "subclass_custom_weights": {
        "build": "build_regressor", "inputs": [{"shape": [5], "dtype": F}], "sizes": [0],
        "identity": {"scale_shift/gamma": "scale.gamma", "scale_shift/beta": "scale.beta", "scale_shift/temperature": "scale.temperature"},
    },
    "attention_encoder": {"build": "build_attention_encoder", "inputs": [{"shape": ["S"], "dtype": "int32", "high": 30}], "sizes": [5, 6]},
    "subclassed_cnn": {"build": "SmallCNN", "inputs": [{"shape": ["S", "S", 3], "dtype": F}], "sizes": [8, 9]},
    "siamese_distance": {"build": "build_siamese", "inputs": [{"shape": [6], "dtype": F}, {"shape": [6], "dtype": F}], "sizes": [0]},
    "functional_autoencoder": {"build": "build_autoencoder", "inputs": [{"shape": [8, 8, 2], "dtype": F}], "sizes": [0]},
}


def _fixture(case: str) -> str:
    return case.split("#")[0]


def test_fixture_inputs_are_the_corpus_programs() -> None:
    for case in {_fixture(c) for c in CASES} - {"subclassed_cnn"}:  # (checked in test_tf2_to_torch.py)
        assert (FIXTURES / case / "input.py").read_text(encoding="utf-8") == (CORPUS / f"{case}.py").read_text(encoding="utf-8"), case
        assert (FIXTURES / case / "expected.py").exists(), case
    new = {p.stem for p in CORPUS.glob("*.py")} & {_fixture(c) for c in CASES}
    assert len(new) >= 12


def keras_name_map(case: str, function: str | None = None) -> dict[str, str]:
    """The Keras layer name -> torch module map PT1030 reports for `case` (the model built
    by `function`, or every functional model of the file)."""
    pack = load_pack("tf2-to-torch")
    code = (FIXTURES / case / "input.py").read_text(encoding="utf-8")
    out = apply(code, pack.rules, pack, path=f"{case}/input.py")
    mapping: dict[str, str] = {}
    for f in out.findings:
        if f.rule_id == "PT1030" and (function is None or f"model of {function}()" in f.message):
            mapping.update(name_map(f.message))
        elif f.rule_id == "PT1002" and (function is None or f.message.startswith(f"class {function} ")):
            mapping.update(name_map(f.message))
    return mapping


def test_functional_models_report_their_name_map() -> None:
    assert keras_name_map("functional_two_tower") == {"tower": "tower.0", "dense": "dense.0", "score": "score.0", "category": "category"}
    m = keras_name_map("functional_resnet_block")
    assert m["conv2d"] == "conv2d.0" and m["conv2d_3"] == "conv2d_3.1" and "re_lu" not in m and m["dense"] == "dense"
    assert keras_name_map("recurrent_state_encoder")["lstm"] == "lstm.rnn"
    # PT1002 reports the same map for a subclassed model made of table layers
    assert keras_name_map("subclassed_cnn", "SmallCNN") == {
        "conv2d": "conv1.0", "batch_normalization": "bn1.0", "conv2d_1": "conv2.1",
        "batch_normalization_1": "bn2.0", "conv2d_2": "conv3.1", "dense": "fc",
    }


def test_converted_files_no_longer_import_tensorflow() -> None:
    import ast

    for case in {_fixture(c) for c in CASES}:
        tree = ast.parse((FIXTURES / case / "expected.py").read_text(encoding="utf-8"))
        modules = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        modules += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        assert not [m for m in modules if m.split(".")[0] in ("tensorflow", "keras")], case


@pytest.fixture(scope="module")
def numeric() -> dict[str, Any]:
    pytest.importorskip("tensorflow")
    pytest.importorskip("torch")
    cases = []
    for case, spec in CASES.items():
        mapping = keras_name_map(_fixture(case), spec["build"])
        cases.append({"case": case.split("#")[0], "key": case, **spec, "mapping": {k: v for k, v in mapping.items()}})
    cases.append({"case": "conv_transpose_grid", "key": "conv_transpose_grid", "grid": "conv_transpose"})
    # one subprocess for every case: TensorFlow is imported once
    payload = json.dumps(cases)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "tf2_torch_numeric_worker.py"), payload],
        capture_output=True, text=True, timeout=900, env=env, cwd=ROOT, check=False,
    )
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("WORKER_RESULT ")), None)
    assert line is not None, proc.stderr[-4000:]
    return json.loads(line[len("WORKER_RESULT "):])  # type: ignore[no-any-return]


@pytest.mark.tf
@pytest.mark.torch
@pytest.mark.parametrize("case", list(CASES))
def test_numeric_same_weights_same_outputs_and_training_step(numeric: dict[str, Any], case: str) -> None:
    res = numeric[case]
    assert "error" not in res, res.get("traceback") or res.get("error")
    assert len(res["sizes"]) == len(CASES[case]["sizes"])
    for size, entry in res["sizes"].items():
        assert entry["pairs"] > 0 and entry["trained"] > 0, (size, entry)
        assert entry["forward"] <= 1e-5, (size, entry)
        assert entry["loss"] <= 1e-4, (size, entry)
        assert entry["train"] <= 1e-4, (size, entry)


@pytest.mark.tf
@pytest.mark.torch
def test_numeric_conv_transpose_padding_grid(numeric: dict[str, Any]) -> None:
    """Conv2DTranspose 'same' / 'valid' for every kernel 1..5 and stride 1..3, odd and even
    sizes: padding, output_padding and the odd-pixel crop match TensorFlow."""
    res = numeric["conv_transpose_grid"]
    assert "error" not in res, res.get("traceback")
    assert res["count"] == 60 and not res["failures"], res["failures"]
    assert res["worst"] <= 1e-5
