"""Tests of the generated TF1 -> TF2 tables (rules/tf1_to_tf2/tables)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from rules.tf1_to_tf2.tables import (
    EFFORTS,
    KEYWORDS_FILE,
    SYMBOLS_FILE,
    Entry,
    load_keywords,
    load_symbols,
)

REPO = Path(__file__).resolve().parents[1]
TABLES = REPO / "rules" / "tf1_to_tf2" / "tables"
SAFETIES = {"safe", "unsafe", "display-only"}


@pytest.fixture(scope="module")
def symbols() -> dict[str, Any]:
    with SYMBOLS_FILE.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@pytest.fixture(scope="module")
def keywords() -> dict[str, Any]:
    with KEYWORDS_FILE.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


# ----------------------------------------------------------------------------- without TF


def test_tables_load_and_declare_their_origin(
    symbols: dict[str, Any], keywords: dict[str, Any]
) -> None:
    for data in (symbols, keywords):
        assert data["_generated_by"] == "rules/tf1_to_tf2/tables/generate.py"
        assert data["tensorflow_version"] == "2.21.0"
    assert SYMBOLS_FILE.stat().st_size < 1_500_000
    assert (
        len(symbols["same"]) > 2000
        and len(symbols["renamed"]) > 300
        and len(symbols["removed"]) > 500
    )


def test_every_name_has_exactly_one_status(symbols: dict[str, Any]) -> None:
    same = symbols["same"]
    assert same == sorted(set(same)), "same must be sorted and unique"
    groups = [set(same), set(symbols["renamed"]), set(symbols["removed"])]
    for i, a in enumerate(groups):
        for b in groups[i + 1 :]:
            assert not a & b, sorted(a & b)[:10]
    every = set().union(*groups)
    assert set(symbols["modules"]) <= every
    assert "compat" not in every and not any(n.startswith("compat.") for n in every)
    assert "keras" in symbols["same"] and "keras" in symbols["modules"]
    assert not any(n.startswith("keras.") for n in every), (
        "the keras subtree is covered by the 'keras' prefix"
    )
    assert "contrib" in symbols["modules"] and "contrib.slim" in symbols["modules"]
    # every module's parent is a module too
    for mod in symbols["modules"]:
        parent = mod.rpartition(".")[0]
        assert not parent or parent in every, mod


def test_renamed_targets_live_in_tf2_modules(symbols: dict[str, Any]) -> None:
    v2_modules = set(symbols["v2_modules"])
    assert {
        "math",
        "nn",
        "io.gfile",
        "keras",
        "keras.layers",
        "random",
        "signal",
    } <= v2_modules
    for name, spec in symbols["renamed"].items():
        target = spec["v2"]
        assert set(spec) == {"v2"}, name
        assert target and not target.startswith("compat.v1"), name
        parent = target.rpartition(".")[0]
        assert parent == "" or parent in v2_modules, (name, target)


def test_removed_entries_are_actionable(symbols: dict[str, Any]) -> None:
    for name, spec in symbols["removed"].items():
        assert spec["hint"].strip(), name
        assert spec["effort"] in EFFORTS, name
        if "replacement" in spec:
            assert spec["replacement_kind"] in {"tf", "external", "prose"}, name
        if "template" in spec:
            fields = {f.split("}")[0] for f in spec["template"].split("{")[1:]}
            assert fields <= set(spec["args_v1"]), name


def test_notes_are_covered_and_well_formed(symbols: dict[str, Any]) -> None:
    table = load_symbols()
    for name, note in symbols["notes"].items():
        assert table.lookup(name) is not None, name
        assert note["safety"] in SAFETIES, name
        assert note["note"].strip(), name
    assert (
        symbols["notes"]["nn.softmax_cross_entropy_with_logits"]["safety"] == "unsafe"
    )
    assert symbols["notes"]["keras.layers.GRU"]["pin"] == {
        "recurrent_activation": "hard_sigmoid",
        "reset_after": False,
    }


def test_keyword_entries_are_consistent(
    symbols: dict[str, Any], keywords: dict[str, Any]
) -> None:
    table = load_symbols()
    functions = keywords["functions"]
    assert len(functions) > 150
    for name, spec in functions.items():
        entry = table.get(name)
        assert entry is not None, name
        if entry.kind == "removed":
            assert spec["v2"] == entry.replacement, name
        else:
            assert spec["v2"] == entry.v2, name
        args_v1, args_v2 = spec["args_v1"], spec["args_v2"]
        assert isinstance(args_v1, list) and isinstance(args_v2, list)
        for old, new in spec["renames"].items():
            assert old not in args_v2 and old != new, (name, old)
        for old, t in spec.get("transforms", {}).items():
            assert "{}" in t["expr"] and t["to"], (name, old)
        for old, hint in spec.get("dropped", {}).items():
            assert hint.strip() and old not in spec["renames"], (name, old)
    dropout = functions["nn.dropout"]
    assert dropout["transforms"] == {"keep_prob": {"to": "rate", "expr": "1 - {}"}}
    assert functions["reduce_sum"]["renames"] == {
        "keep_dims": "keepdims",
        "reduction_indices": "axis",
    }
    assert functions["nn.conv2d"]["renames"]["filter"] == "filters"
    assert "use_cudnn_on_gpu" in functions["nn.conv2d"]["dropped"]


def test_loader_longest_prefix_lookup() -> None:
    table = load_symbols()
    assert load_symbols() is table  # cached

    hit = table.lookup("GraphKeys.UPDATE_OPS")
    assert hit is not None
    entry, suffix = hit
    assert (entry.name, suffix, entry.kind) == ("GraphKeys", "UPDATE_OPS", "removed")
    assert hit.name == "GraphKeys.UPDATE_OPS" and hit.v2_name is None
    assert "UPDATE_OPS" in (entry.hint or "") and entry.effort in EFFORTS

    hit = table.lookup("contrib.slim.conv2d")
    assert hit is not None and hit.suffix == ""
    conv = hit.entry
    assert (
        conv.kind == "removed"
        and conv.replacement == "keras.layers.Conv2D"
        and conv.replacement_kind == "tf"
    )
    assert conv.safety == "unsafe" and conv.note

    hit = table.lookup("nn.relu")
    assert hit is not None and (hit.entry.kind, hit.v2_name, hit.suffix) == (
        "same",
        "nn.relu",
        "",
    )

    hit = table.lookup("log")
    assert hit is not None and (hit.entry.kind, hit.entry.v2, hit.v2_name) == (
        "renamed",
        "math.log",
        "math.log",
    )

    hit = table.lookup("contrib.slim.nets.resnet_v1.resnet_v1_50")
    assert hit is not None and (hit.entry.name, hit.suffix) == (
        "contrib.slim.nets",
        "resnet_v1.resnet_v1_50",
    )
    assert hit.entry.is_module

    hit = table.lookup("contrib.keras.layers.Dense")
    assert (
        hit is not None
        and hit.entry.kind == "renamed"
        and hit.v2_name == "keras.layers.Dense"
    )

    hit = table.lookup("keras.layers.GRU")
    assert hit is not None and (hit.entry.name, hit.entry.kind, hit.v2_name) == (
        "keras",
        "same",
        "keras.layers.GRU",
    )
    gru = table.note("keras.layers.GRU")
    assert gru is not None and gru.safety == "unsafe" and gru.pin is not None

    softmax = table.get("nn.softmax_cross_entropy_with_logits")
    assert softmax is not None and softmax.kind == "same" and softmax.safety == "unsafe"

    assert table.lookup("") is None
    assert table.lookup("definitely_not_tensorflow") is None
    assert not table.is_known("definitely_not_tensorflow.x")
    assert table.is_known("GraphKeys.UPDATE_OPS") and table.is_known("nn.relu")
    assert table.get("GraphKeys.UPDATE_OPS") is None and "GraphKeys" in table
    assert table.tensorflow_version == "2.21.0"

    kw = load_keywords()
    assert load_keywords() is kw
    assert kw["functions"]["reduce_mean"]["renames"]["keep_dims"] == "keepdims"


def test_loader_does_not_import_tensorflow() -> None:
    code = (
        "import sys\n"
        "from rules.tf1_to_tf2.tables import load_keywords, load_symbols\n"
        "load_symbols().lookup('GraphKeys.UPDATE_OPS'); load_keywords()\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'tf_keras', 'keras')]\n"
        "assert not bad, bad\n"
    )
    env = dict(
        os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


# ----------------------------------------------------------------------------- with TF


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "_tables_generate", TABLES / "generate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _first_difference(expected: str, actual: str) -> str:
    for i, (a, b) in enumerate(
        zip(expected.splitlines(), actual.splitlines(), strict=False)
    ):
        if a != b:
            return f"line {i + 1}:\n  fresh:      {a[:200]}\n  checked-in: {b[:200]}"
    return "different lengths"


def _resolve(root: Any, path: str) -> bool:
    obj = root
    for part in path.split("."):
        if not hasattr(obj, part):
            return False
        obj = getattr(obj, part)
    return True


@pytest.mark.tf
def test_tables_match_tensorflow(
    symbols: dict[str, Any], keywords: dict[str, Any]
) -> None:
    if os.environ.get("TF_USE_LEGACY_KERAS", "").lower() in ("1", "true"):
        pytest.skip("tables describe TF 2.21's default tf.keras (Keras 3)")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    generate = _load_generator()
    fresh_symbols, fresh_keywords = generate.build_tables()
    import tensorflow as tf  # type: ignore[import-untyped]

    # 1. The checked-in tables are what the generator produces now (stale tables fail).
    for fresh, path in ((fresh_symbols, SYMBOLS_FILE), (fresh_keywords, KEYWORDS_FILE)):
        text = generate.dumps(fresh)
        on_disk = path.read_text(encoding="utf-8")
        assert text == on_disk, (
            f"{path.name} is stale; run `python rules/tf1_to_tf2/tables/generate.py`. "
            + _first_difference(text, on_disk)
        )

    # 2. Every TF2 name the tables point at exists in TF 2.21.
    missing = [
        (n, s["v2"]) for n, s in symbols["renamed"].items() if not _resolve(tf, s["v2"])
    ]
    assert not missing, missing[:20]
    missing = [
        (n, s["replacement"])
        for n, s in symbols["removed"].items()
        if s.get("replacement_kind") == "tf" and not _resolve(tf, s["replacement"])
    ]
    assert not missing, missing[:20]
    missing = [
        (n, s["v2"])
        for n, s in keywords["functions"].items()
        if not _resolve(tf, s["v2"])
    ]
    assert not missing, missing[:20]
    missing = [n for n in symbols["same"] if "." not in n and not _resolve(tf, n)]
    assert not missing, missing[:20]
    v1 = tf.compat.v1
    assert all(
        _resolve(v1, n) for n in symbols["same"][:: max(1, len(symbols["same"]) // 200)]
    )

    # 3. Spot checks of well-known mappings.
    table = load_symbols()
    kw = load_keywords()["functions"]

    def entry(name: str) -> Entry:
        found = table.get(name)
        assert found is not None, name
        return found

    def status(name: str) -> str:
        return entry(name).kind

    def v2(name: str) -> str | None:
        return entry(name).v2

    assert v2("log") == "math.log" and status("log") == "renamed"
    assert v2("random_normal") == "random.normal"
    assert v2("random_uniform") == "random.uniform"
    assert v2("gfile.Exists") == "io.gfile.exists"
    assert kw["gfile.Exists"]["renames"] == {"filename": "path"}
    assert v2("gfile.GFile") == "io.gfile.GFile"
    assert v2("multinomial") == "random.categorical"
    assert v2("arg_max") == "argmax"
    assert v2("VERSION") == "version.VERSION"
    assert v2("spectral") == "signal" and table.get("spectral") is not None
    assert (
        status("reshape") == "same"
        and status("nn.relu") == "same"
        and status("float32") == "same"
    )
    assert status("reduce_mean") == "same"
    assert kw["reduce_mean"]["renames"]["keep_dims"] == "keepdims"
    assert status("nn.dropout") == "same"
    assert kw["nn.dropout"]["transforms"]["keep_prob"] == {
        "to": "rate",
        "expr": "1 - {}",
    }
    assert kw["nn.dropout"]["args_v1"][:2] == ["x", "keep_prob"] and kw["nn.dropout"][
        "args_v2"
    ][:2] == ["x", "rate"]
    to_float = table.get("to_float")
    assert (
        to_float is not None
        and to_float.kind == "removed"
        and to_float.replacement == "cast"
    )
    assert to_float.template == "tf.cast({x}, tf.float32)" and to_float.args_v1 == (
        "x",
        "name",
    )
    placeholder = table.get("placeholder")
    assert (
        placeholder is not None
        and placeholder.kind == "removed"
        and placeholder.effort in EFFORTS
    )
    adam = table.get("train.AdamOptimizer")
    assert (
        adam is not None
        and adam.kind == "removed"
        and adam.replacement == "keras.optimizers.Adam"
    )
    assert kw["train.AdamOptimizer"]["defaults_changed"]["epsilon"] == {
        "v1": 1e-08,
        "v2": 1e-07,
    }
    assert kw["train.AdamOptimizer"]["renames"] == {
        "beta1": "beta_1",
        "beta2": "beta_2",
    }
    dense = table.get("layers.dense")
    assert (
        dense is not None
        and dense.kind == "removed"
        and dense.replacement == "keras.layers.Dense"
    )
    slim_conv = table.get("contrib.slim.conv2d")
    assert (
        slim_conv is not None
        and slim_conv.kind == "removed"
        and slim_conv.replacement == "keras.layers.Conv2D"
    )
    assert status("Session") == "removed"
    assert entry("train.Saver").replacement == "train.Checkpoint"
    assert entry("summary.FileWriter").replacement == "summary.create_file_writer"
    assert entry("app.run").replacement == "absl.app.run"
    assert entry("flags.DEFINE_string").replacement == "absl.flags.DEFINE_string"
    assert entry("logging.info").replacement == "absl.logging.info"
    assert status("global_variables_initializer") == "removed"
    assert status("get_variable") == "removed" and status("variable_scope") == "removed"
    assert kw["nn.conv2d"]["dropped"]["use_cudnn_on_gpu"]
    assert kw["random_normal_initializer"]["defaults_changed"]["stddev"] == {
        "v1": 1.0,
        "v2": 0.05,
    }
