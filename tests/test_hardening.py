"""Hardening: fuzzed input never crashes the engine, a torture tree, interrupted writes."""

from __future__ import annotations

import ast
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrate.engine.process import Options, process_bytes
from migrate.result import FileStatus

TF1_SNIPPETS = [
    "x = tf.log(tf.to_float(y))",
    "tf.logging.info('step %d', 1)",
    "h = tf.layers.dense(x, 3, activation=tf.nn.relu)",
    "s = tf.reduce_sum(x, reduction_indices=[1], keep_dims=True)",
    "d = tf.nn.dropout(x, keep_prob=0.5)",
    "p = tf.placeholder(tf.float32, [None, 3])",
    "flags = tf.app.flags",
    "tf.app.run()",
    "net = slim.conv2d(x, 8, [3, 3], normalizer_fn=slim.batch_norm)",
]
OPTS = Options(unsafe_fixes=True)


def _check(src: bytes) -> None:
    result, out = process_bytes(src, "fuzz.py", OPTS)  # must never raise
    if result.status is FileStatus.CHANGED:
        ast.parse(out)
        again, out2 = process_bytes(out, "fuzz.py", OPTS)
        assert out2 == out, "second run changed the output"
    elif result.status is FileStatus.FAILED:
        assert result.errors and out == src


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(code=hypothesmith.from_grammar(), spliced=st.lists(st.sampled_from(TF1_SNIPPETS), max_size=4))
def test_fuzzed_programs_never_crash(code: str, spliced: list[str]) -> None:
    header = "import tensorflow as tf\nslim = tf.contrib.slim\n"
    src = header + code + ("\n" if not code.endswith("\n") else "") + "\n".join(spliced) + "\n"
    _check(src.encode("utf-8", "surrogatepass"))


@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(lines=st.lists(st.sampled_from(TF1_SNIPPETS + ["def f(a, b=tf.nn.relu):", "    return a", "class C:", "    x = tf.log", "if x:", "    pass", "# migrate: ignore", "y = [tf.to_int32(i) for i in z]"]), min_size=1, max_size=12))
def test_spliced_tf1_lines_never_crash(lines: list[str]) -> None:
    _check(("import tensorflow as tf\nslim = tf.contrib.slim\n" + "\n".join(lines) + "\n").encode())


def _torture_tree(root: Path) -> dict[str, bytes]:
    tf1 = b"import tensorflow as tf\ntf.logging.info('x')\n"
    files: dict[str, bytes] = {
        "syntax_error.py": b"import tensorflow as tf\ndef f(:\n",
        "python2.py": b"import tensorflow as tf\nprint 'hi'\n",
        "mixed_tabs.py": b"import tensorflow as tf\nif True:\n\tx = 1\n        y = tf.log(x)\n",
        "crlf.py": tf1.replace(b"\n", b"\r\n"),
        "bom.py": b"\xef\xbb\xbf" + tf1,
        "latin1.py": b"# -*- coding: latin-1 -*-\n" + tf1 + b"s = '\xe9'\n",
        "empty.py": b"",
        "binary.py": b"\x7fELF\x00\x00tensorflow",
        "read_only.py": tf1,
        "ignored.py": b"import tensorflow as tf\ntf.logging.info('x')  # migrate: ignore\n",
        "skipped.py": b"# migrate: skip-file\n" + tf1,
        "generated_big.py": b"# @generated\nimport tensorflow as tf\n" + b"x = tf.log(1.0)\n" * 330_000,
        "nb_no_code.ipynb": json.dumps({"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["hi"]}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode(),
        "nb_magics.ipynb": json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": ["%time x = 1\n", "import tensorflow as tf\n", "tf.logging.info('a')\n"]}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode(),
        "nb_invalid.ipynb": b"{\"cells\": [",
        "clean.py": b"import os\n",
    }
    for name, data in files.items():
        (root / name).write_bytes(data)
    os.chmod(root / "read_only.py", 0o444)
    os.symlink(root, root / "loop")
    os.symlink(root / "missing.py", root / "dangling.py")
    return files


@pytest.mark.slow
def test_torture_tree(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    files = _torture_tree(tree)
    report = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, "-m", "migrate", "tf1-to-tf2", "--write", "--no-cache", "--no-progress", "-j", "2",
         "--report", str(report), str(tree)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode in (1, 2), proc.stderr
    doc = json.loads(report.read_text())
    listed = {Path(f["path"]).name.rstrip("/") for f in doc["files"]}
    assert set(files) | {"dangling.py"} <= listed, set(files) - listed
    by_name = {Path(f["path"]).name: f for f in doc["files"]}
    for name in ("syntax_error.py", "python2.py", "mixed_tabs.py", "binary.py", "nb_invalid.ipynb", "empty.py",
                 "skipped.py", "generated_big.py", "nb_no_code.ipynb", "clean.py", "ignored.py", "read_only.py"):
        assert (tree / name).read_bytes() == files[name], name
    assert by_name["python2.py"]["errors"][0]["kind"] == "python2"
    assert by_name["read_only.py"]["errors"][0]["message"].startswith("file is read-only")
    assert by_name["generated_big.py"]["reason"] == "generated"
    assert by_name["nb_no_code.ipynb"]["reason"] == "notebook-no-code"
    for name in ("crlf.py", "bom.py", "latin1.py", "nb_magics.ipynb"):
        assert (tree / name).read_bytes() != files[name], name
    assert (tree / "crlf.py").read_bytes().count(b"\r\n") == (tree / "crlf.py").read_bytes().count(b"\n")
    assert (tree / "bom.py").read_bytes().startswith(b"\xef\xbb\xbf")
    assert "%time x = 1" in (tree / "nb_magics.ipynb").read_text()
    assert not list(tree.glob(".migrate-*"))


@pytest.mark.slow
def test_interrupted_write_leaves_each_file_old_or_new(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    src = (Path(__file__).parents[1] / "corpus" / "tf1" / "mlp_feed_dict.py").read_bytes()
    expected, new = process_bytes(src, "x.py", Options())
    assert expected.status is FileStatus.CHANGED
    for i in range(300):
        (tree / f"m{i:03d}.py").write_bytes(src)
    proc = subprocess.Popen(
        [sys.executable, "-m", "migrate", "tf1-to-tf2", "--write", "--no-cache", "--no-progress", "-q", "-j", "2", str(tree)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    # kill it once some, but not all, files are rewritten
    deadline = time.time() + 120
    while time.time() < deadline:
        done = sum(1 for p in tree.glob("*.py") if p.read_bytes() == new)
        if done >= 5:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    states = [p.read_bytes() for p in sorted(tree.glob("m*.py"))]
    assert len(states) == 300
    assert all(s in (src, new) for s in states)
    assert 0 < sum(s == new for s in states) < 300


CORPUS = sorted((Path(__file__).resolve().parents[1] / "corpus").rglob("*.py"))


@pytest.mark.parametrize("pack", ["tf1-to-tf2", "tf2-to-torch"])
@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
def test_every_corpus_file_is_stable_under_a_second_run(pack: str, unsafe: bool) -> None:
    """A second run over migrated code changes nothing (the pre-commit hook runs on every
    commit: it must never reinterpret code it already migrated)."""
    opts = Options(pack=pack, unsafe_fixes=unsafe)
    unstable = []
    for path in CORPUS:
        src = path.read_bytes()
        _, out = process_bytes(src, str(path), opts)
        _, again = process_bytes(out, str(path), opts)
        if again != out:
            unstable.append(path.name)
    assert not unstable
