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
    # refused even as root (who could write it): the user marked the file read-only
    assert not fr.written and fr.errors[0].message.startswith("file is read-only")
    assert p.read_bytes() == TF1
    os.chmod(p, 0o644)
    assert process_file(str(p), Options(write=True)).written


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


# -- speed machinery: skipping, trivia, import insertion, printing ----------------------------

_SKIP_SAMPLE = '''\
"""Docstring that mentions tf and tf.log."""
from __future__ import annotations
import os, sys
try:
    import tensorflow.compat.v1 as tf
except ImportError:
    from tensorflow.python.ops import *
from tensorflow import placeholder
def helper(x):
    y = x + 1; z = y * 2
    s = """a string
    with tf.log inside"""
    return z + \\
        1
@decorator(tf.nn.relu)
def model(x, reuse=False):
    if x:
        pass
    elif x > 1:
        h = tf.layers.dense(x, 3, activation=tf.nn.relu)
    else:
        h = x
    for i in range(3):
        h = h + i
    else:
        h = tf.log(h)
    while False: h = tf.to_float(h)
    with open(os.devnull) as fh:
        fh.write("tf")
    try:
        slim = tf.contrib.slim
    except* ValueError:
        pass
    finally:
        net = slim.conv2d(h, 8, [3, 3])
    class Inner:
        w = tf.get_variable("w", [3])
        def other(self):
            return [1, 2, 3]
    p = placeholder(tf.float32)
    return tf.reduce_sum(h, reduction_indices=1, keep_dims=True)
match sys.argv:
    case ["a"]:
        r = tf.nn.dropout(x, keep_prob=0.5)
    case _:
        pass
tf.logging.info("done")
FLAGS = tf.app.flags.FLAGS
if __name__ == "__main__": tf.app.run()
'''


def _no_speedups(monkeypatch):  # type: ignore[no-untyped-def]
    from migrate.engine import transform

    monkeypatch.setattr(transform, "skip_set", lambda *a: None)
    monkeypatch.setattr(transform, "opaque_types", lambda hooked: frozenset())


def _corpus_sources() -> list[tuple[str, bytes]]:
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    files = sorted((root / "corpus" / "tf1").rglob("*.py"))
    return [(str(p.relative_to(root)), p.read_bytes()) for p in files]


@pytest.mark.parametrize("unsafe", [False, True])
def test_skipping_statements_and_trivia_changes_nothing(monkeypatch, unsafe):
    """Outputs and findings with the traversal shortcuts equal those of a full traversal."""
    sources = [("sample.py", _SKIP_SAMPLE.encode()), ("crlf.py", _SKIP_SAMPLE.replace("\n", "\r\n").encode())]
    sources += _corpus_sources()[::3]
    opts = Options(unsafe_fixes=unsafe)
    fast = {p: process_bytes(d, p, opts) for p, d in sources}
    with monkeypatch.context() as m:
        _no_speedups(m)
        slow = {p: process_bytes(d, p, opts) for p, d in sources}
    for p, _ in sources:
        assert fast[p][1] == slow[p][1], p
        assert fast[p][0] == slow[p][0], p
    assert fast["sample.py"][0].status is FileStatus.CHANGED


def test_relevance_skips_only_statements_without_a_name():
    from migrate.engine.relevance import skippable

    mod = cst.parse_module(_SKIP_SAMPLE)
    skip = skippable(mod, _SKIP_SAMPLE, ["tf", "placeholder", "slim"])
    assert skip is not None
    skipped = [mod.code_for_node(n).strip().splitlines()[0] for n in _all_statements(mod) if id(n) in skip]
    assert "y = x + 1; z = y * 2" in skipped
    assert "def other(self):" in skipped  # a whole method, not entered
    assert "h = h + i" in skipped
    assert "pass" in skipped
    assert not any("import" in s for s in skipped)  # imports are never skipped
    assert not any("tf." in s or "slim" in s or "placeholder" in s for s in skipped)
    # a statement that spells a name only in a string is kept (errs towards looking)
    assert not any(s.startswith('s = """a string') for s in skipped)
    # statements that do not line up with CPython's parse: nothing is skipped
    assert skippable(mod, "x = 1\n", ["tf"]) is None
    assert skippable(mod, "def (:\n", ["tf"]) is None


def _all_statements(mod: cst.Module) -> list[cst.CSTNode]:
    out: list[cst.CSTNode] = []

    class V(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            if isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
                out.append(node)
            return True

    mod.visit(V())
    return out


def test_trivia_types_hold_only_trivia():
    """BELOW (the node types the traversal need not enter) is right about what can occur
    below each of those types, on every node of the corpus."""
    from migrate.engine.transform import BELOW

    def below(node: cst.CSTNode) -> set[str]:
        found: set[str] = set()
        for child in node.children:
            found.add(type(child).__name__)
            found |= below(child)
        return found

    seen: set[str] = set()
    for path, data in _corpus_sources()[:12] + [("sample.py", _SKIP_SAMPLE.encode())]:
        mod = cst.parse_module(data)

        class V(cst.CSTVisitor):
            def on_visit(self, node: cst.CSTNode) -> bool:
                kind = type(node).__name__
                if kind in BELOW:
                    seen.add(kind)
                    assert below(node) <= BELOW[kind], (path, kind, below(node) - BELOW[kind])
                    return False
                return True

        mod.visit(V())
    assert {"Name", "SimpleWhitespace", "Comma", "Dot", "LeftParen"} <= seen


@pytest.mark.parametrize(
    "code",
    [
        "",
        "x = 1\n",
        '"""Doc."""\n',
        '"""Doc."""\nimport os\nimport sys\n\n# comment\nx = 1\n',
        "__strict__ = True\nimport os\nx = 1\n",
        "# header comment\n\nimport os\nfrom absl import app\ndef main(argv):\n    import sys\n    return 0\n",
        "from absl import logging as absl_logging\nimport tensorflow as tf\nclass A:\n    pass\n",
        "x = 1\nimport os\nfrom absl import flags\n",
        "import os; import sys\nfrom absl import flags\nprint(1)\n",
    ],
)
def test_import_insertion_on_the_head_equals_libcst(code):
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import AddImportsVisitor

    from migrate.engine import transform

    mod = cst.parse_module(code)
    wants = [("absl", "flags", None), ("absl", "app", None), ("tensorflow", None, "tf"), ("absl", "logging", "absl_logging"), ("numpy", None, None)]

    def context() -> CodemodContext:
        c = CodemodContext()
        for m, o, a in wants:
            AddImportsVisitor.add_needed_import(c, m, o, a)
        return c

    expected = AddImportsVisitor(context()).transform_module(mod).code

    class Ctx:
        codemod = context()

    assert transform._add_imports(Ctx, mod).code == expected  # type: ignore[arg-type]


def test_printing_and_positions_match_libcst():
    from libcst.metadata import MetadataWrapper, PositionProvider

    from migrate.engine.positions import Positions, bytes_of, code_of

    for path, data in _corpus_sources()[:8] + [("sample.py", _SKIP_SAMPLE.encode())]:
        mod = cst.parse_module(data)
        assert code_of(mod) == mod.code and bytes_of(mod) == data, path
        wrapper = MetadataWrapper(mod, unsafe_skip_copy=True)
        expected = wrapper.resolve(PositionProvider)
        mine = Positions(mod)
        for node, rng in expected.items():
            span = mine.span(node)
            if span is None:  # whitespace, punctuation, the module: not nodes of findings
                assert not isinstance(node, (cst.Name, cst.Attribute, cst.Call, cst.BaseStatement, cst.BaseSmallStatement)), (path, node)
                continue
            assert span == ((rng.start.line, rng.start.column), (rng.end.line, rng.end.column)), (path, node)


def test_every_tf1_to_tf2_rule_declares_its_scope():
    """Statement skipping (engine.transform) only happens when EVERY rule of the pack
    declares SCOPE = "names" (as a class attribute, or a property deciding per file): one new
    rule without it would silently make every run walk whole trees."""
    from migrate.pack import load_pack

    missing = [r.ID for r in load_pack("tf1-to-tf2").rules if r.__dict__.get("SCOPE", getattr(r, "SCOPE", None)) is None]
    assert not missing, f"rules without SCOPE: {missing}"


@pytest.mark.parametrize(
    "extra,kept",
    [
        ("", False),
        ('__all__ = ["tf", "f"]\n', True),  # a name in __all__ is a use
        ('__all__ += ["tf.nn"]\n', True),
        ('x: "tf.Tensor" = None\n', True),  # so is a string annotation
        ('"""Uses tf to compute."""\n', False),  # prose is not
        ('d = {"tf": 1}\n', False),  # nor data
    ],
)
def test_unused_import_removal_respects_string_uses(extra: str, kept: bool) -> None:
    src = f"import tensorflow as tf\nimport numpy as np\n{extra}\n\ndef f(x):\n    return tf.nn.relu(x)\n"
    result, out = process_bytes(src.encode(), "m.py", Options(pack="tf2-to-torch"))
    text = out.decode()
    assert "torch.relu(x)" in text
    assert ("import tensorflow as tf" in text) == kept, text


def test_unused_from_import_removal_keeps_the_rest_of_the_statement() -> None:
    src = "import tensorflow as tf\nfrom tensorflow.keras import (  # keras\n    layers,  # the layers\n    Model,\n)\n\n\ndef f(x):\n    return tf.nn.relu(x)\n\n\nm = Model\n"
    result, out = process_bytes(src.encode(), "m.py", Options(pack="tf2-to-torch"))
    assert out.decode().startswith("from tensorflow.keras import (  # keras\n    Model,\n)\nimport torch\n")


@pytest.mark.parametrize("comment", ["", "  # the framework"])
def test_tensorflow_import_with_a_comment_is_kept_when_it_becomes_unused(comment: str) -> None:
    src = f'import tensorflow as tf{comment}\n\nFLAGS = tf.app.flags.FLAGS\ntf.app.flags.DEFINE_integer("n", 3, "steps")\ntf.logging.info("x")\n'
    result, new = process_bytes(src.encode(), "m.py", Options())
    text = new.decode()
    assert "from absl import flags, logging" in text and "tf." not in text.replace("import tensorflow as tf", "")
    assert ("import tensorflow as tf" in text) == bool(comment)
    assert (comment in text) if comment else True


def test_findings_serialised_by_the_worker_travel_with_them(tmp_path) -> None:
    import pickle

    path = tmp_path / "m.py"
    path.write_text("import tensorflow as tf\nx = tf.placeholder(tf.float32)\ny = tf.log(x)\n")
    for render_json in (False, True):
        result = process_file(str(path), Options(render_json=render_json))
        assert result.findings
        back = pickle.loads(pickle.dumps(result))
        assert all(("_json" in f.__dict__) == render_json for f in back.findings)
        assert [f.json() for f in back.findings] == [json.dumps(f.to_dict(), ensure_ascii=False) for f in result.findings]
        assert back == result  # the kept text takes no part in equality


def test_garbage_collector_runs_less_often_during_a_run_and_is_put_back(tmp_path) -> None:
    import gc

    from migrate.engine.runner import GC_THRESHOLD, discover, run_targets

    for name in ("a.py", "b.py"):
        (tmp_path / name).write_text("import tensorflow as tf\nx = tf.log(1.0)\n")
    targets, _ = discover([str(tmp_path)], root=str(tmp_path))
    before = gc.get_threshold()
    for jobs in (1, 2):
        seen = []
        for result in run_targets(targets, Options(), jobs=jobs):
            seen.append(gc.get_threshold()[0])
            assert result.findings
        assert seen == [max(before[0], GC_THRESHOLD)] * 2
        assert gc.get_threshold() == before


def test_output_is_verified_by_cpythons_parser(monkeypatch) -> None:
    import migrate.engine.process as process

    check = process._verify_parses
    check(b"x = 1\n", b"x = 2\n", "m.py")
    with pytest.raises(SyntaxError):
        check(b"x = (\n", b"x = 2\n", "m.py")
    # an error only a compiler sees counts only when the input did not have it already
    check(b"nonlocal a\nx = 1\n", b"nonlocal a\nx = 2\n", "m.py")
    with pytest.raises(SyntaxError, match="nonlocal"):
        check(b"nonlocal a\n", b"x = 2\n", "m.py")
    # syntax newer than the running Python: libcst judges (it knows the newer grammar)
    check(b"type X = list[int]\n", b"type X = list[int]\n", "m.py")
    with pytest.raises(cst.ParserSyntaxError):
        check(b"type X = (\n", b"type X = int\n", "m.py")
    # a rewrite that does not parse is reported and the file is left as it was
    monkeypatch.setattr(process, "bytes_of", lambda module, verbatim=None: b"x = tf.log(\n")
    src = b"import tensorflow as tf\nx = tf.log(1.0)\n"
    result, out = process_bytes(src, "m.py", Options())
    assert out == src and result.status is FileStatus.FAILED
    assert [e.kind for e in result.errors] == ["verify"] and "does not parse" in result.errors[0].message
