"""The TF1 corpus: programs follow the conventions, cover the top-124 TF1 API
names, and (slow, needs TensorFlow) reproduce their checked-in RESULT values."""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
TF1 = CORPUS / "tf1"
EXPECTED = TF1 / "expected"
RUNNABLE = sorted(TF1.glob("*.py"))
REWRITE_ONLY = sorted((TF1 / "contrib").glob("*.py"))


def _load(name: str):
    spec = importlib.util.spec_from_file_location(
        f"_corpus_{name}", CORPUS / f"{name}.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _has_main_guard(tree: ast.Module) -> ast.If | None:
    for node in tree.body:
        if (
            isinstance(node, ast.If)
            and isinstance(node.test, ast.Compare)
            and isinstance(node.test.left, ast.Name)
            and node.test.left.id == "__name__"
            and any(
                isinstance(c, ast.Constant) and c.value == "__main__"
                for c in node.test.comparators
            )
        ):
            return node
    return None


def _imports_tensorflow(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(
            a.name == "tensorflow" or a.name.startswith("tensorflow.")
            for a in node.names
        ):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "tensorflow"
        ):
            return True
    return False


def test_corpus_size():
    assert len(RUNNABLE) >= 25
    assert len(REWRITE_ONLY) >= 3


@pytest.mark.parametrize(
    "path", RUNNABLE + REWRITE_ONLY, ids=lambda p: str(p.relative_to(TF1))
)
def test_program_parses_and_follows_convention(path: Path):
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(path))
    assert _imports_tensorflow(tree), "does not import tensorflow"
    funcs = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert "main" in funcs, "no top-level main()"
    guard = _has_main_guard(tree)
    assert guard is not None, 'no `if __name__ == "__main__":` guard'
    guard_src = ast.unparse(guard)
    assert "main" in guard_src, "the __main__ guard does not call main / tf.app.run"
    result_prints = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant)
        and isinstance(n.value, str)
        and n.value == "RESULT "
    ]
    assert len(result_prints) == 1, "expected exactly one 'RESULT ' print"
    expected = EXPECTED / f"{path.stem}.json"
    if path.parent == TF1:
        # runnable under TF 2.21 through the compat.v1 graph-mode switch
        assert (
            "disable_v2_behavior()" in source or "disable_eager_execution()" in source
        ), "runnable TF1 programs switch to graph mode"
        assert "set_random_seed(" in source and "np.random.seed(0)" in source
        assert expected.exists(), f"missing {expected.relative_to(ROOT)}"
        data = json.loads(expected.read_text(encoding="utf-8"))
        assert isinstance(data, dict) and data
    else:
        assert source.startswith("# REWRITE-ONLY"), (
            "rewrite-only programs say so up top"
        )
        assert not (EXPECTED / f"{path.stem}.json").exists()


def test_no_orphan_expected_files():
    names = {p.stem for p in RUNNABLE}
    orphans = [p.name for p in EXPECTED.glob("*.json") if p.stem not in names]
    assert not orphans


def test_compare_tolerance():
    run_tf1 = _load("run_tf1")
    exp = {"loss": 0.5, "v": [1.0, 2.0], "n": 3, "name": "x", "ok": True}
    assert (
        run_tf1.compare(
            exp,
            {"loss": 0.500009, "v": [1.0, 2.000001], "n": 3, "name": "x", "ok": True},
        )
        == []
    )
    assert run_tf1.compare(exp, {**exp, "loss": 0.50002})
    assert run_tf1.compare(exp, {**exp, "v": [1.0]})
    assert run_tf1.compare(exp, {**exp, "name": "y"})
    assert run_tf1.compare(exp, {**exp, "ok": False})
    assert run_tf1.compare(exp, {k: v for k, v in exp.items() if k != "n"})
    assert run_tf1.parse_result('noise\nRESULT {"a": 1}\n') == {"a": 1}


def test_coverage_of_top_124_names():
    proc = subprocess.run(
        [sys.executable, str(CORPUS / "coverage.py"), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    result = json.loads(proc.stdout)
    assert result["total"] == 124
    assert result["missing"] == [], result["missing"]
    assert proc.returncode == 0


def test_coverage_alias_resolution():
    cov = _load("coverage")
    src = (
        "import tensorflow.compat.v1 as tf\n"
        "from tensorflow.compat import v1 as tf1\n"
        "from tensorflow.contrib import slim as sl\n"
        "import tensorflow as tfx\n"
        "flags = tf.app.flags\nFLAGS = flags.FLAGS\nrnn = tf.nn.rnn_cell\n"
        "tf.nn.relu(tf1.placeholder(tf.float32))\n"
        "sl.conv2d(x)\nFLAGS.lr\nrnn.BasicLSTMCell(3)\n"
        "tfx.compat.v1.get_variable('w')\ntf.train.AdamOptimizer(0.1).minimize(l)\n"
    )
    refs = set(cov.references(src))
    for name in [
        "tf.nn.relu",
        "tf.placeholder",
        "tf.float32",
        "tf.contrib.slim.conv2d",
        "tf.app.flags.FLAGS.lr",
        "tf.nn.rnn_cell.BasicLSTMCell",
        "tf.get_variable",
        "tf.train.AdamOptimizer",
    ]:
        assert name in refs, (name, sorted(refs))
    assert "tf.train.AdamOptimizer.minimize" not in refs


@pytest.mark.tf
@pytest.mark.slow
def test_runnable_programs_reproduce_expected_results():
    proc = subprocess.run(
        [sys.executable, str(CORPUS / "run_tf1.py")],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + "\n" + proc.stderr[-3000:]
    assert f"{len(RUNNABLE)}/{len(RUNNABLE)} passed" in proc.stdout
