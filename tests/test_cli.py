"""The command line: modes, exit codes, stdin, config, reports, rule listing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from click.testing import CliRunner

from migrate.cli import main

TF1 = "import tensorflow as tf\ntf.logging.info('hi')\n"


def invoke(*args: str, input: str | None = None, cwd=None):  # type: ignore[no-untyped-def]
    runner = CliRunner()
    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)
    finally:
        os.chdir(old)


def test_default_mode_writes_nothing_and_exits_1(tmp_path):
    p = tmp_path / "m.py"
    p.write_text(TF1)
    res = invoke("tf1-to-tf2", "--no-color", str(p), "--select", "TF2011")
    assert res.exit_code == 1
    assert p.read_text() == TF1
    assert "TF2011" in res.output


def test_diff_mode(tmp_path):
    p = tmp_path / "m.py"
    p.write_text(TF1)
    res = invoke("tf1-to-tf2", "--diff", "--no-color", "--select", "TF2011", str(p))
    assert res.exit_code == 1
    assert "+logging.info('hi')" in res.output
    assert p.read_text() == TF1


def test_write_then_clean(tmp_path):
    p = tmp_path / "m.py"
    p.write_text(TF1)
    res = invoke("tf1-to-tf2", "--write", "--select", "TF2011", str(p))
    assert res.exit_code == 0, res.output
    assert "from absl import logging" in p.read_text()
    res = invoke("tf1-to-tf2", "--check", "--select", "TF2011", str(p))
    assert res.exit_code == 0


def test_manual_items_exit_1_even_after_write(tmp_path):
    p = tmp_path / "m.py"
    p.write_text("import tensorflow as tf\ntf.app.run()\n")
    res = invoke("tf1-to-tf2", "--write", "--select", "TF2012", str(p))
    assert res.exit_code == 1


def test_stdin_mode():
    res = invoke("tf1-to-tf2", "--select", "TF2011", "-", input=TF1)
    assert res.exit_code == 1
    assert "logging.info('hi')" in res.output and "from absl import logging" in res.output


def test_syntax_error_is_reported_not_crash(tmp_path):
    (tmp_path / "bad.py").write_text("import tensorflow as tf\nx = (\n")
    res = invoke("tf1-to-tf2", str(tmp_path))
    assert res.exit_code == 1
    assert "bad.py:" in res.output and "error" in res.output


def test_bad_usage_and_missing_paths_exit_2(tmp_path):
    assert invoke("tf1-to-tf2").exit_code == 2
    assert invoke("tf1-to-tf2", "--report-format", "pdf", str(tmp_path)).exit_code == 2
    assert invoke("tf1-to-tf2", str(tmp_path / "missing")).exit_code == 2


def test_config_from_pyproject_and_unknown_key(tmp_path):
    (tmp_path / "m.py").write_text(TF1)
    (tmp_path / "pyproject.toml").write_text('[tool.migrate]\nselect = ["TF2011"]\n')
    res = invoke("tf1-to-tf2", "--write", str(tmp_path))
    assert res.exit_code == 0, res.output
    (tmp_path / "pyproject.toml").write_text('[tool.migrate]\nselcet = ["TF2011"]\n')
    res = invoke("tf1-to-tf2", str(tmp_path))
    assert res.exit_code == 2 and "did you mean 'select'" in res.output
    (tmp_path / "pyproject.toml").write_text('[tool.migrate]\nexclude = ["../elsewhere/"]\n')
    res = invoke("tf1-to-tf2", str(tmp_path))
    assert res.exit_code == 2 and "'..' is not allowed" in res.output


def test_config_overrides_select_rules_per_path(tmp_path):
    (tmp_path / "legacy").mkdir()
    (tmp_path / "app.py").write_text(TF1)
    (tmp_path / "legacy" / "old.py").write_text(TF1)
    (tmp_path / "legacy" / "keep.py").write_text(TF1)
    (tmp_path / "pyproject.toml").write_text(
        "[tool.migrate]\n"
        'select = ["TF2011"]\n'
        "[[tool.migrate.overrides]]\n"
        'path = "legacy/"\n'
        'ignore = ["TF2011"]\n'
        "[[tool.migrate.overrides]]\n"
        'path = ["legacy/keep.py"]\n'
        'select = ["TF2001"]\n'
    )
    res = invoke("tf1-to-tf2", "--write", "--no-cache", str(tmp_path))
    assert "from absl import logging" in (tmp_path / "app.py").read_text()
    # legacy/: TF2011 ignored, so nothing to do
    assert (tmp_path / "legacy" / "old.py").read_text() == TF1
    # legacy/keep.py: select replaced by TF2001 (still minus the ignored TF2011): tf.logging stays
    # a TF1-only name, which TF2001 reports and keeps working through tf.compat.v1
    kept = (tmp_path / "legacy" / "keep.py").read_text()
    assert "absl" not in kept and kept != TF1 and "compat.v1" in kept, kept
    assert res.exit_code == 1
    (tmp_path / "pyproject.toml").write_text('[[tool.migrate.overrides]]\npath = "../x/"\nignore = ["TF2"]\n')
    res = invoke("tf1-to-tf2", str(tmp_path))
    assert res.exit_code == 2 and "'..' is not allowed" in res.output
    (tmp_path / "pyproject.toml").write_text('[[tool.migrate.overrides]]\npath = "a/"\nignroe = ["TF2"]\n')
    res = invoke("tf1-to-tf2", str(tmp_path))
    assert res.exit_code == 2 and "did you mean 'ignore'" in res.output
    (tmp_path / "pyproject.toml").write_text('[[tool.migrate.overrides]]\nignore = ["TF2"]\n')
    res = invoke("tf1-to-tf2", str(tmp_path))
    assert res.exit_code == 2 and "'path' is required" in res.output


def test_reports_in_every_format(tmp_path):
    (tmp_path / "m.py").write_text(TF1)
    for fmt in ("json", "md", "html", "sarif", "text"):
        out = tmp_path / f"r.{fmt}"
        res = invoke("tf1-to-tf2", "--report", str(out), "--report-format", fmt, str(tmp_path / "m.py"))
        assert res.exit_code == 1
        assert out.stat().st_size > 100
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["schema"] == "migrate-report/v1" and doc["invocation"]["exit_code"] == 1
    res = invoke("report", str(tmp_path / "r.json"), "-f", "md")
    assert res.exit_code == 0 and "TF2011" in res.output


def test_rules_listing():
    res = invoke("rules")
    assert res.exit_code == 0
    assert "TF2001" in res.output and "TF2011" in res.output
    rows = json.loads(invoke("rules", "--json").output)
    assert {r["id"] for r in rows} >= {"TF2001", "TF2010", "TF2011", "TF2012", "TF2101"}


def test_console_script_help_runs_without_frameworks():
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from migrate.cli import main; sys.argv=['migrate','--help'];\n"
         "try:\n    main()\nexcept SystemExit:\n    pass\n"
         "print(sorted(m for m in ('tensorflow','torch') if m in sys.modules))"],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("[]")


def test_uses_of_absl_aliases_are_left_to_tf2010(tmp_path):
    """`flags = tf.app.flags; FLAGS = flags.FLAGS`: TF2010 turns the alias into the absl
    import, so TF2001 must not report every `flags.DEFINE_*` / `FLAGS.x` as manual work;
    without TF2010 the assignment itself is reported."""
    src = (
        "import tensorflow.compat.v1 as tf\n\nflags = tf.app.flags\n"
        "flags.DEFINE_integer('steps', 10, 'n')\nFLAGS = flags.FLAGS\n\n\n"
        "def main(_):\n    print(FLAGS.steps)\n\n\nif __name__ == '__main__':\n    tf.app.run()\n"
    )
    p = tmp_path / "train.py"
    p.write_text(src)
    res = invoke("tf1-to-tf2", "--no-color", "--no-cache", "--report", "-", "--report-format", "json", str(p))
    report = json.loads(res.output[res.output.index("{"):res.output.rindex("}") + 1])
    flagged = [(r["rule_id"], r["range"]["start"]["line"], r["status"]) for r in report["results"]]
    assert not [f for f in flagged if f[0] == "TF2001" and f[2] == "manual"], flagged
    assert ("TF2010", 3, "available") in flagged
    res = invoke("tf1-to-tf2", "--no-color", "--no-cache", "--ignore", "TF2010", "--report", "-", "--report-format", "json", str(p))
    report = json.loads(res.output[res.output.index("{"):res.output.rindex("}") + 1])
    manual = [(r["rule_id"], r["range"]["start"]["line"]) for r in report["results"] if r["status"] == "manual"]
    assert manual == [("TF2001", 3)], manual
