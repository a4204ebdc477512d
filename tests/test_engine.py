"""The engine never loses a user's code: bad input, encodings, notebooks, atomic writes."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

from migrate import api
from migrate.engine.names import AliasMap
from migrate.engine.process import Options, process_bytes, process_file
from migrate.result import FileStatus, Status

import libcst as cst

TF1 = b"import tensorflow as tf\nx = tf.log(1.0)\ntf.logging.info('hi')\n"


def run(tmp_path, *, write=False, **kw):  # type: ignore[no-untyped-def]
    cfg = api.RunConfig(write=write, root=str(tmp_path), **kw)
    return api.run([str(tmp_path)], cfg, argv=["migrate"])


def by_name(result):  # type: ignore[no-untyped-def]
    return {os.path.basename(fr.path.rstrip("/")): fr for fr in result.files}


def test_alias_map_resolves_imports_and_module_aliases():
    mod = cst.parse_module(
        "import tensorflow.compat.v1 as tf\n"
        "from tensorflow.contrib import slim as sl\n"
        "import tensorflow\n"
        "layers = tf.layers\n"
        "def f():\n    from tensorflow import nn\n"
    )
    amap = AliasMap.from_module(mod)
    assert amap.resolve_dotted("tf.nn.relu") == "tensorflow.compat.v1.nn.relu"
    assert amap.resolve_dotted("sl.conv2d") == "tensorflow.contrib.slim.conv2d"
    assert amap.resolve_dotted("layers.dense") == "tensorflow.compat.v1.layers.dense"
    assert amap.resolve_dotted("tensorflow.log") == "tensorflow.log"
    assert amap.resolve_dotted("nn.relu") == "tensorflow.nn.relu"
    assert amap.resolve_dotted("np.log") is None
    assert "f" in amap.other_bound


def test_bad_inputs_are_reported_and_left_untouched(tmp_path):
    files = {
        "syntax.py": b"import tensorflow as tf\ndef f(:\n    pass\n",
        "py2.py": b"import tensorflow as tf\nprint 'hello'\n",
        "binary.py": b"\x00\x01tensorflow\x02",
        "empty.py": b"",
        "latin1.py": b"# -*- coding: latin-1 -*-\nimport tensorflow as tf\ns = '\xe9'\ntf.logging.info(s)\n",
        "bad_utf8.py": b"import tensorflow as tf\ns = '\xff\xfe'\n",
        "plain.py": b"import numpy as np\n",
        "nb.ipynb": b"{not json",
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    before = {name: (tmp_path / name).read_bytes() for name in files}
    result = run(tmp_path, write=True)
    got = by_name(result)
    assert got["syntax.py"].status is FileStatus.FAILED
    err = got["syntax.py"].errors[0]
    assert err.kind == "parse" and err.line == 2
    assert got["py2.py"].errors[0].kind == "python2"
    assert "print statement" in got["py2.py"].errors[0].message
    assert got["binary.py"].errors[0].kind == "binary"
    assert got["empty.py"].status is FileStatus.SKIPPED and got["empty.py"].reason == "empty"
    assert got["bad_utf8.py"].errors[0].kind == "decode"
    assert got["plain.py"].status is FileStatus.SKIPPED
    assert got["nb.ipynb"].errors[0].kind == "notebook"
    for name in ("syntax.py", "py2.py", "binary.py", "empty.py", "bad_utf8.py", "plain.py", "nb.ipynb"):
        assert (tmp_path / name).read_bytes() == before[name], name
    # the latin-1 file was rewritten and kept its encoding
    new = (tmp_path / "latin1.py").read_bytes()
    assert b"'\xe9'" in new and b"logging.info(s)" in new and b"from absl import logging" in new
    assert api.exit_code(result, check_mode=False) == 1


def test_empty_directory_and_missing_path(tmp_path):
    (tmp_path / "empty").mkdir()
    cfg = api.RunConfig(root=str(tmp_path))
    result = api.run([str(tmp_path / "empty"), str(tmp_path / "missing.py")], cfg)
    got = {fr.path: fr for fr in result.files}
    assert got["empty/"].reason == "no-python-files"
    assert got["missing.py"].errors[0].message == "no such file or directory"


def test_crlf_bom_comments_and_permissions_preserved(tmp_path):
    p = tmp_path / "m.py"
    p.write_bytes(b"\xef\xbb\xbfimport tensorflow as tf  # keep me\r\ntf.logging.info('a')  # and me\r\n")
    os.chmod(p, 0o750)
    run(tmp_path, write=True)
    out = p.read_bytes()
    assert out.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in out and b"\n" not in out.replace(b"\r\n", b"")
    assert b"# keep me" in out and b"# and me" in out
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o750
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".migrate-")]


def test_default_run_writes_nothing_and_marks_fixes_available(tmp_path):
    p = tmp_path / "m.py"
    p.write_bytes(TF1)
    result = run(tmp_path)
    assert p.read_bytes() == TF1
    fr = result.files[0]
    assert fr.status is FileStatus.CHANGED and not fr.written and fr.diff.startswith("--- a/m.py")
    assert all(f.status is not Status.APPLIED for f in fr.findings)
    assert api.exit_code(result, check_mode=True) == 1


def test_suppression_comments(tmp_path):
    p = tmp_path / "m.py"
    src = b"import tensorflow as tf\ntf.logging.info('a')  # migrate: ignore[TF2011]\ntf.logging.info('b')\n"
    p.write_bytes(src)
    result = run(tmp_path, write=True, select=("TF2011",))
    statuses = sorted(f.status.value for f in result.files[0].findings)
    assert statuses == ["applied", "suppressed"]
    out = p.read_bytes().decode()
    assert "tf.logging.info('a')" in out and "logging.info('b')" in out


def test_skip_file_and_generated_markers(tmp_path):
    (tmp_path / "a.py").write_bytes(b"# migrate: skip-file\n" + TF1)
    (tmp_path / "b.py").write_bytes(b"# @generated by protoc\n" + TF1)
    got = by_name(run(tmp_path, write=True))
    assert got["a.py"].reason == "skip-marker"
    assert got["b.py"].reason == "generated"


def test_select_and_ignore_by_prefix(tmp_path):
    (tmp_path / "m.py").write_bytes(TF1)
    only = run(tmp_path, select=("TF2011",))
    assert {f.rule_id for f in only.findings} == {"TF2011"}
    without = run(tmp_path, ignore=("TF2011",))
    assert "TF2011" not in {f.rule_id for f in without.findings}


def test_excludes_and_always_skipped_dirs(tmp_path):
    for d in ("vendor", ".venv", "src"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "m.py").write_bytes(TF1)
    result = run(tmp_path, exclude=("vendor/",))
    paths = {fr.path: fr for fr in result.files}
    assert paths["vendor/"].reason == "excluded"
    assert "src/m.py" in paths
    assert not any(p.startswith(".venv") for p in paths)


def test_symlink_loop_and_broken_link(tmp_path):
    (tmp_path / "m.py").write_bytes(TF1)
    os.symlink(tmp_path, tmp_path / "loop")
    os.symlink(tmp_path / "nowhere.py", tmp_path / "broken.py")
    result = run(tmp_path)
    got = by_name(result)
    assert got["m.py"].status is FileStatus.CHANGED
    assert got["broken.py"].errors[0].message == "broken symbolic link"
    outside = tmp_path.parent / f"{tmp_path.name}-outside.py"
    outside.write_bytes(TF1)
    os.symlink(outside, tmp_path / "link.py")
    explicit = api.run([str(tmp_path / "link.py")], api.RunConfig(root=str(tmp_path), write=True))
    assert explicit.files[0].reason == "symlink"
    assert outside.read_bytes() == TF1 and os.path.islink(tmp_path / "link.py")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file(tmp_path):  # pragma: no cover - CI runs as root
    p = tmp_path / "m.py"
    p.write_bytes(TF1)
    os.chmod(p, 0)
    fr = process_file(str(p), Options())
    assert fr.errors[0].kind == "io"


def test_read_only_file_is_not_rewritten(tmp_path):
    p = tmp_path / "m.py"
    p.write_bytes(TF1)
    os.chmod(p, 0o444)
    fr = process_file(str(p), Options(write=True))
    if os.geteuid() == 0:  # root may write anyway; os.access says so
        return
    assert not fr.written and fr.errors[0].message.startswith("file is read-only")  # pragma: no cover


def test_notebook_cells_magics_and_outputs(tmp_path):
    nb = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# tf.logging.info stays in markdown\n"]},
            {"cell_type": "code", "metadata": {"k": 1}, "execution_count": 1, "outputs": [{"output_type": "stream", "name": "stdout", "text": ["x\n"]}],
             "source": ["%matplotlib inline\n", "!pip list\n", "import tensorflow as tf"]},
            {"cell_type": "code", "metadata": {}, "execution_count": 2, "outputs": [], "source": ["tf.logging.info('hi')\n", "tf.logging.info?"]},
            {"cell_type": "code", "metadata": {}, "execution_count": 3, "outputs": [], "source": ["%%bash\n", "echo tf.logging\n"]},
        ],
        "metadata": {"kernelspec": {"name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    p = tmp_path / "n.ipynb"
    p.write_text(json.dumps(nb, indent=1) + "\n")
    result = run(tmp_path, write=True)
    assert result.files[0].status is FileStatus.CHANGED, result.files[0]
    out = json.loads(p.read_text())
    assert out["cells"][0] == nb["cells"][0]
    assert out["cells"][1]["outputs"] == nb["cells"][1]["outputs"]
    assert out["cells"][1]["source"][:2] == ["%matplotlib inline\n", "!pip list\n"]
    assert "".join(out["cells"][2]["source"]).startswith("logging.info('hi')\ntf.logging.info?")
    assert "from absl import logging" in "".join(out["cells"][1]["source"])
    assert out["cells"][3] == nb["cells"][3]
    assert out["metadata"] == nb["metadata"]
    assert any("[cell 2]" in f.message for f in result.findings)
    # idempotent (the TensorFlow import is gone, so the second run may skip the file)
    before = p.read_bytes()
    again = run(tmp_path, write=True)
    assert again.files[0].status in (FileStatus.UNCHANGED, FileStatus.SKIPPED)
    assert p.read_bytes() == before


def test_process_bytes_second_run_is_noop():
    opts = Options(unsafe_fixes=True, verify_idempotence=True)
    fr, new = process_bytes(TF1, "m.py", opts)
    assert fr.status is FileStatus.CHANGED
    fr2, new2 = process_bytes(new, "m.py", opts)
    assert new2 == new


def test_parallel_jobs_give_the_same_result(tmp_path):
    for i in range(6):
        (tmp_path / f"m{i}.py").write_bytes(TF1)
    one = run(tmp_path, jobs=1)
    two = run(tmp_path, jobs=2)
    assert [fr.to_dict() for fr in one.files] == [fr.to_dict() for fr in two.files]


def test_rewriter_does_not_import_frameworks():
    code = (
        "import sys, migrate.cli, migrate.api, migrate.engine.process, migrate.report;"
        "from migrate.pack import load_pack; [load_pack(p) for p in ('tf1-to-tf2', 'tf2-to-torch')];"
        "bad = [m for m in ('tensorflow', 'torch', 'keras') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_cache_hit_skips_work_and_invalidates_on_change(tmp_path, monkeypatch):
    from migrate.engine import process as proc_mod

    src = tmp_path / "src"
    src.mkdir()
    (src / "m.py").write_bytes(TF1)
    cache = str(tmp_path / "cache")
    cfg = api.RunConfig(root=str(src), cache_dir=cache)
    first = api.run([str(src)], cfg)
    calls = []
    real = proc_mod.process_bytes
    monkeypatch.setattr(proc_mod, "process_bytes", lambda *a, **k: calls.append(a) or real(*a, **k))
    second = api.run([str(src)], cfg)
    assert calls == []
    assert [f.to_dict() for f in first.files] == [f.to_dict() for f in second.files]
    # --write from the cache writes the cached output
    api.run([str(src)], api.RunConfig(root=str(src), cache_dir=cache, write=True))
    assert b"from absl import logging" in (src / "m.py").read_bytes()
    # a changed file is a miss
    (src / "m.py").write_bytes(TF1 + b"y = tf.log(2.0)\n")
    api.run([str(src)], cfg)
    assert len(calls) == 1
    # different options are a different key
    api.run([str(src)], api.RunConfig(root=str(src), cache_dir=cache, select=("TF2011",)))
    assert len(calls) == 2
