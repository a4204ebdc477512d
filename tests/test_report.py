"""Porting-report renderers: snapshots of every format, plus structural checks."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from migrate.report import FORMATS, load, render
from migrate.report.console import format_error, format_finding, summary_line
from migrate.report.json_report import load_schema, validate
from migrate.report.sarif import to_sarif
from migrate.result import (
    Category,
    FileError,
    FileResult,
    FileStatus,
    Finding,
    Fix,
    Invocation,
    Position,
    Range,
    RuleInfo,
    RunResult,
    Safety,
    Status,
)

REPO = Path(__file__).resolve().parents[1]
DOCS = "https://github.com/migrate-tool/migrate/blob/main/docs/rules.md"
PNG_1X1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBd81ytgAAAABJRU5ErkJggg=="


def rng(line: int, col: int, end_line: int, end_col: int) -> Range:
    return Range(Position(line, col), Position(end_line, end_col))


def rule(id_: str, name: str, desc: str, sev: Category, effort: str, safety: Safety) -> RuleInfo:
    return RuleInfo(
        id=id_,
        name=name,
        pack="tf1-to-tf2",
        short_description=desc,
        help_uri=f"{DOCS}#{id_.lower()}",
        default_severity=sev.value,
        effort=effort,
        fix_safety=safety.value,
    )


RULES = (
    rule(
        "TF2001",
        "SessionRun",
        "tf.Session().run() becomes an eager call",
        Category.MANDATORY,
        "trivial",
        Safety.SAFE,
    ),
    rule(
        "TF2002",
        "Placeholder",
        "tf.placeholder becomes a function argument",
        Category.MANDATORY,
        "complex",
        Safety.UNSAFE,
    ),
    rule(
        "TF2010",
        "ContribImport",
        "tf.contrib was removed in TF2",
        Category.MANDATORY,
        "redesign",
        Safety.MANUAL,
    ),
    rule(
        "TF2020",
        "CompatV1Alias",
        "tf.compat.v1 names with a TF2 spelling",
        Category.OPTIONAL,
        "trivial",
        Safety.SAFE,
    ),
    rule(
        "TF2030",
        "GraphCollections",
        "graph collections may hide state",
        Category.POTENTIAL,
        "complex",
        Safety.MANUAL,
    ),
)

TRAIN = "src/models/train.py"

TRAIN_FINDINGS = (
    Finding(
        rule_id="TF2001",
        rule_name="SessionRun",
        path=TRAIN,
        range=rng(12, 4, 12, 27),
        message="`sess.run(loss)` becomes a direct call of `loss()`",
        safety=Safety.SAFE,
        status=Status.APPLIED,
        effort="trivial",
        fix=Fix(title="Call the function eagerly", content="loss()"),
        snippet="sess.run(loss)",
    ),
    Finding(
        rule_id="TF2002",
        rule_name="Placeholder",
        path=TRAIN,
        range=rng(5, 4, 5, 40),
        message="tf.placeholder has no TF2 equivalent; pass the value as an argument",
        safety=Safety.UNSAFE,
        status=Status.AVAILABLE,
        effort="complex",
        fix=Fix(title="Turn the placeholder into an argument", content="x = tf.keras.Input(shape=(784,))"),
        snippet="x = tf.placeholder(tf.float32, [None, 784])",
    ),
    Finding(
        rule_id="TF2010",
        rule_name="ContribImport",
        path=TRAIN,
        range=rng(2, 0, 2, 31),
        message="tf.contrib.layers was removed; pick a replacement by hand | see the guide",
        safety=Safety.MANUAL,
        status=Status.MANUAL,
        effort="redesign",
        snippet="import tensorflow.contrib.layers",
    ),
    Finding(
        rule_id="TF2020",
        rule_name="CompatV1Alias",
        path=TRAIN,
        range=rng(20, 8, 20, 30),
        message="tf.compat.v1.losses.mean_squared_error is tf.keras.losses.MeanSquaredError",
        safety=Safety.SAFE,
        status=Status.SUPPRESSED,
        category=Category.OPTIONAL,
        effort="trivial",
        fix=Fix(title="Use the TF2 name", content="tf.keras.losses.MeanSquaredError()"),
        snippet="tf.compat.v1.losses.mean_squared_error",
    ),
)

TRAIN_DIFF = """\
--- a/src/models/train.py
+++ b/src/models/train.py
@@ -10,5 +10,5 @@
 def step():
     # one step
-    out = sess.run(loss)
+    out = loss()
     return out
"""


def make_result() -> RunResult:
    return RunResult(
        migration="tf1-to-tf2",
        source="tensorflow 1.15",
        target="tensorflow 2.21",
        files=(
            FileResult(
                path=TRAIN,
                status=FileStatus.CHANGED,
                findings=TRAIN_FINDINGS,
                diff=TRAIN_DIFF,
                written=True,
                lines=42,
            ),
            FileResult(
                path="src/utils/helpers.py",
                status=FileStatus.UNCHANGED,
                findings=(
                    Finding(
                        rule_id="TF2030",
                        rule_name="GraphCollections",
                        path="src/utils/helpers.py",
                        range=rng(7, 11, 7, 45),
                        message="tf.get_collection reads graph state: check what fills it",
                        safety=Safety.MANUAL,
                        status=Status.MANUAL,
                        category=Category.POTENTIAL,
                        effort="complex",
                        snippet="tf.get_collection(tf.GraphKeys.LOSSES)",
                    ),
                ),
                lines=18,
            ),
            FileResult(path="src/proto/model_pb2.py", status=FileStatus.SKIPPED, reason="generated"),
            FileResult(
                path="src/legacy/old.py",
                status=FileStatus.FAILED,
                errors=(
                    FileError(
                        path="src/legacy/old.py",
                        kind="python2",
                        message="Missing parentheses in call to 'print'. Did you mean print(...)?",
                        line=3,
                        column=4,
                    ),
                ),
                lines=9,
            ),
        ),
        rules=RULES,
        invocation=Invocation(
            argv=("migrate", "tf1-to-tf2", "--write", "src"),
            cwd="/home/user/project",
            started_at="2025-01-02T03:04:05+00:00",
            finished_at="2025-01-02T03:04:06+00:00",
            duration_s=1.25,
            exit_code=1,
        ),
        tool_version="0.1.0",
        equivalence=(
            {
                "name": "mnist_mlp",
                "equivalent": True,
                "max_abs_diff": 3.1e-07,
                "tolerance": 1e-05,
                "layers": [
                    {"name": "dense", "max_abs_diff": 1.2e-07},
                    {"name": "dense_1", "max_abs_diff": 3.1e-07},
                ],
                "plot_png_base64": PNG_1X1,
            },
            {"name": "conv_net", "equivalent": False, "max_abs_diff": 0.5, "tolerance": 1e-05},
            {"name": "partial"},
        ),
    )


class _TextSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT


def _extension(fmt: str) -> type[SingleFileSnapshotExtension]:
    return type(f"{fmt.capitalize()}Snapshot", (_TextSnapshot,), {"file_extension": fmt})


_EXTENSIONS = {fmt: _extension(fmt) for fmt in FORMATS}


@pytest.fixture
def result() -> RunResult:
    return make_result()


# Snapshots: one readable file per format under tests/__snapshots__/test_report/.


@pytest.mark.parametrize("fmt", FORMATS)
def test_render_snapshot(result, fmt, snapshot):
    assert render(result, fmt) == snapshot.use_extension(_EXTENSIONS[fmt])


@pytest.mark.parametrize("fmt", FORMATS)
def test_render_ends_with_one_newline(result, fmt):
    out = render(result, fmt)
    assert out.endswith("\n") and not out.endswith("\n\n")


def test_unknown_format_is_refused(result):
    with pytest.raises(ValueError, match="unknown report format"):
        render(result, "pdf")


def test_format_aliases(result):
    assert render(result, "markdown") == render(result, "md")
    assert render(result, "TXT") == render(result, "text")


# JSON: the canonical document.


def test_json_is_to_dict(result):
    assert json.loads(render(result, "json")) == result.to_dict()


def test_json_entries_written_from_cached_texts_match_a_plain_serialisation(result):
    from migrate.report.json_report import _render

    odd = dataclasses.replace(result.files[0], path='a/"findings": [], \\ é.py', reason="x\ny")
    for run in (result, _hostile(result), dataclasses.replace(result, files=(odd, *result.files[1:]))):
        assert render(run, "json") == _render(run.to_dict())
        assert all(f.json() is f.json() for f in run.findings)  # computed once


@pytest.mark.parametrize("fmt", FORMATS)
def test_json_round_trip_renders_identically(result, fmt):
    again = RunResult.from_dict(json.loads(render(result, "json")))
    assert render(again, fmt) == render(result, fmt)


def test_load_reads_a_saved_report(result, tmp_path):
    path = tmp_path / "migrate-report.json"
    path.write_text(render(result, "json"), encoding="utf-8")
    assert render(load(path), "md") == render(result, "md")
    assert render(load(str(path)), "sarif") == render(result, "sarif")


def test_json_validates_against_schema(result):
    assert validate(json.loads(render(result, "json"))) == []


def test_empty_run_validates_against_schema():
    empty = RunResult(migration="tf1-to-tf2", source="a", target="b", files=(), rules=())
    assert validate(json.loads(render(empty, "json"))) == []


def test_schema_names_every_emitted_key(result):
    """The schema is strict (additionalProperties false), so it must list every key to_dict emits."""
    schema = load_schema()
    doc = result.to_dict()
    assert set(schema["properties"]) == set(doc)
    defs = schema["$defs"]
    assert set(defs["summary"]["properties"]) == set(doc["summary"])
    assert set(defs["finding"]["properties"]) == set(doc["results"][0])
    assert set(defs["file"]["properties"]) == set(doc["files"][0])
    assert set(defs["rule"]["properties"]) == set(doc["rules"][0])
    assert set(defs["error"]["properties"]) == set(doc["errors"][0])
    assert set(defs["invocation"]["properties"]) == set(doc["invocation"])


def test_validator_reports_problems(result):
    doc = result.to_dict()
    doc["schema"] = "migrate-report/v2"
    del doc["summary"]["incidents"]
    doc["results"][0]["status"] = "done"
    doc["results"][1]["range"]["start"]["line"] = 0
    doc["files"][0]["written"] = "yes"
    doc["files"][1]["extra"] = 1
    doc["errors"][0]["line"] = True
    doc["invocation"] = "now"
    problems = validate(doc)
    expected = [
        "/schema: expected 'migrate-report/v2'",
        "/summary: missing required key 'incidents'",
        "/results/0/status: 'done' is not one of",
        "/results/1/range/start/line: 0 is less than 1",
        "/files/0/written: expected boolean",
        "/files/1: unexpected key 'extra'",
        "/errors/0/line: expected integer or null",
        "/invocation: matches none of the allowed forms",
    ]
    for fragment in expected:
        assert any(fragment.split(":")[0] == p.split(":")[0] for p in problems), (fragment, problems)
    assert len(problems) == len(expected), problems


# SARIF.


@pytest.fixture
def sarif_run(result):
    log = json.loads(render(result, "sarif"))
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    assert len(log["runs"]) == 1
    return log["runs"][0]


def test_sarif_driver(sarif_run, result):
    driver = sarif_run["tool"]["driver"]
    assert driver["name"] == "migrate"
    assert driver["version"] == "0.1.0"
    assert driver["informationUri"].startswith("https://")
    assert [r["id"] for r in driver["rules"]] == [r.id for r in result.rules]
    placeholder = driver["rules"][1]
    assert placeholder["name"] == "Placeholder"
    assert placeholder["shortDescription"]["text"] == "tf.placeholder becomes a function argument"
    assert placeholder["helpUri"] == f"{DOCS}#tf2002"
    assert placeholder["defaultConfiguration"]["level"] == "error"
    assert placeholder["properties"]["effort"] == "complex"
    assert placeholder["properties"]["storyPoints"] == 3
    assert placeholder["properties"]["fixSafety"] == "unsafe"
    assert driver["rules"][3]["defaultConfiguration"]["level"] == "warning"
    assert driver["rules"][4]["defaultConfiguration"]["level"] == "note"


def test_sarif_results(sarif_run, result):
    rules = sarif_run["tool"]["driver"]["rules"]
    results = sarif_run["results"]
    assert len(results) == len(result.findings)
    levels = {"mandatory": "error", "optional": "warning", "potential": "note", "information": "note"}
    for res, f in zip(results, result.findings, strict=True):
        assert res["ruleId"] == f.rule_id
        assert rules[res["ruleIndex"]]["id"] == f.rule_id
        assert res["level"] == levels[f.category.value]
        assert res["message"]["text"] == f.message
        phys = res["locations"][0]["physicalLocation"]
        assert phys["artifactLocation"] == {"uri": f.path, "uriBaseId": "%SRCROOT%"}
        reg = phys["region"]
        assert reg["startLine"] == f.range.start.line
        assert reg["startColumn"] == f.range.start.column + 1
        assert reg["endLine"] == f.range.end.line
        assert reg["endColumn"] == f.range.end.column + 1
        assert res["partialFingerprints"] == {"migrate/v1": f.fingerprint}
        assert ("suppressions" in res) == (f.status is Status.SUPPRESSED)
        wants_fix = f.fix is not None and f.status is not Status.APPLIED
        assert ("fixes" in res) == wants_fix
        if wants_fix:
            (fix,) = res["fixes"]
            (change,) = fix["artifactChanges"]
            assert change["artifactLocation"] == phys["artifactLocation"]
            (rep,) = change["replacements"]
            assert rep["insertedContent"]["text"] == f.fix.content
            assert rep["deletedRegion"]["startColumn"] == f.range.start.column + 1
    suppressed = [r for r in results if "suppressions" in r]
    assert [s["suppressions"] for s in suppressed] == [[{"kind": "inSource"}]]
    # The applied fix is not offered again; the unapplied ones are.
    assert [r["ruleId"] for r in results if "fixes" in r] == ["TF2002", "TF2020"]


def test_sarif_errors_are_notifications(sarif_run):
    (inv,) = sarif_run["invocations"]
    assert inv["executionSuccessful"] is True
    assert inv["exitCode"] == 1
    (note,) = inv["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["descriptor"]["id"] == "python2"
    phys = note["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"] == {"uri": "src/legacy/old.py", "uriBaseId": "%SRCROOT%"}
    assert phys["region"] == {"startLine": 3, "startColumn": 5}
    assert sarif_run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == "file:///home/user/project/"


def test_sarif_paths_are_relative_uris(result):
    odd = dataclasses.replace(
        result.files[1],
        path="/home/user/project/src/my utils/h.py",
        findings=tuple(
            dataclasses.replace(f, path="/home/user/project/src/my utils/h.py")
            for f in result.files[1].findings
        ),
    )
    log = to_sarif(dataclasses.replace(result, files=(odd,)))
    loc = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert loc == {"uri": "src/my%20utils/h.py", "uriBaseId": "%SRCROOT%"}


def test_sarif_lists_rules_missing_from_the_run(result):
    log = to_sarif(dataclasses.replace(result, rules=()))
    run = log["runs"][0]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert sorted(ids) == ["TF2001", "TF2002", "TF2010", "TF2020", "TF2030"]
    for res in run["results"]:
        assert ids[res["ruleIndex"]] == res["ruleId"]


# HTML and Markdown escaping.

HOSTILE = '<script>alert("x")</script> & `tick` | *bold* [link](http://x)'


def _hostile(result: RunResult) -> RunResult:
    fr = result.files[0]
    findings = tuple(dataclasses.replace(f, message=HOSTILE) for f in fr.findings)
    hostile_file = dataclasses.replace(
        fr, findings=findings, diff=fr.diff + "+<script>evil()</script>\n", path="src/<b>.py"
    )
    eq = (
        {"name": "<img src=x onerror=alert(1)>", "equivalent": True, "plot_png_base64": '" onload="alert(1)'},
    )
    return dataclasses.replace(result, files=(hostile_file, *result.files[1:]), equivalence=eq)


def test_html_escapes_everything(result):
    page = render(_hostile(result), "html")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "+&lt;script&gt;evil()&lt;/script&gt;" in page
    assert "<b>.py" not in page and "src/&lt;b&gt;.py" in page
    assert "<img src=x" not in page
    assert 'onload="alert' not in page  # not base64: no image at all
    assert "data:image/png" not in page


def test_html_is_self_contained(result):
    page = render(result, "html")
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page
    for external in ('src="http', 'href="http', "<link", "@import", "url("):
        if external == 'href="http':
            continue  # rule help links are plain anchors, not assets
        assert external not in page
    assert f'src="data:image/png;base64,{PNG_1X1}"' in page
    assert page.count("<details") >= len(result.files)
    assert "<pre" in page and "+    out = loss()" in page


def test_markdown_escapes_html_and_tables(result):
    doc = render(_hostile(result), "md")
    # Raw text appears only inside fenced code blocks (Incidents by file), where it is inert.
    assert "<script>" not in doc.split("## Incidents by file")[0]
    assert "\\<script\\>" in doc


# Markdown content.


def test_markdown_order_and_sections(result):
    doc = render(result, "md")
    heads = [line for line in doc.splitlines() if line.startswith("## ")]
    assert heads == [
        "## Totals",
        "## By rule",
        "## Needs a person",
        "## Files",
        "## Incidents by file",
        "## Errors",
        "## Equivalence",
    ]
    assert "src/models/train.py:2:0: MANDATORY: [TF2010]" in doc
    assert "| `src/legacy/old.py` | python2 | 3 | 4 |" in doc


def test_no_equivalence_section_without_checks(result):
    plain = dataclasses.replace(result, equivalence=())
    assert "Equivalence" not in render(plain, "md")
    assert "Equivalence" not in render(plain, "html")
    assert "Equivalence" not in render(plain, "text")


@pytest.mark.parametrize("fmt", FORMATS)
def test_equivalence_entries_with_odd_shapes_render(result, fmt):
    odd = dataclasses.replace(
        result,
        equivalence=(
            {},
            {"layers": "not a list"},
            {"layers": [{}, "x"], "max_abs_diff": float("nan")},
            "text",
        ),  # type: ignore[arg-type]
    )
    assert render(odd, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_run_renders(fmt):
    empty = RunResult(
        migration="tf2-to-torch", source="tensorflow 2.21", target="torch 2.13", files=(), rules=()
    )
    assert render(empty, fmt).endswith("\n")


# Console lines.


def test_summary_line(result):
    assert summary_line(result) == (
        "2 files scanned, 1 changed, 1 skipped, 1 failed; "
        "4 findings (1 fixed, 1 fixable, 2 need a person, 1 suppressed); 12 story points"
    )


def test_summary_line_singular():
    one = make_result()
    one = dataclasses.replace(one, files=(dataclasses.replace(one.files[1]),), equivalence=())
    assert (
        summary_line(one)
        == "1 file scanned, 0 changed, 0 failed; 1 finding (0 fixed, 1 needs a person); 3 story points"
    )


def test_format_finding_and_error(result):
    assert format_finding(TRAIN_FINDINGS[0]) == (
        "src/models/train.py:12:4: TF2001 `sess.run(loss)` becomes a direct call of `loss()` [applied]"
    )
    err = result.errors[0]
    assert format_error(err) == (
        "src/legacy/old.py:3:4: error[python2] "
        "Missing parentheses in call to 'print'. Did you mean print(...)?"
    )


# Any text survives every format.


@settings(max_examples=50, deadline=None)
@given(message=st.text(), path=st.text(min_size=1).filter(lambda p: p.strip() == p and "\x00" not in p))
def test_any_text_renders_and_round_trips(message, path):
    base = make_result()
    f = dataclasses.replace(TRAIN_FINDINGS[2], message=message, path=path)
    fr = FileResult(path=path, status=FileStatus.UNCHANGED, findings=(f,))
    r = dataclasses.replace(base, files=(fr,))
    again = RunResult.from_dict(json.loads(render(r, "json")))
    for fmt in FORMATS:
        out = render(r, fmt)
        assert render(again, fmt) == out
    assert validate(json.loads(render(r, "json"))) == []
    page = render(r, "html")
    assert "<script" not in page


# No heavy imports.


def test_import_does_not_pull_tensorflow_or_torch():
    code = (
        "import sys, migrate.report, migrate.report.console\n"
        "from migrate.report import render, FORMATS\n"
        "roots = {'tensorflow', 'torch', 'keras', 'tf_keras', 'jax'}\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in roots)\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_only_web_links_become_links(result):
    evil = dataclasses.replace(
        result, rules=(dataclasses.replace(RULES[0], help_uri="javascript:alert(1)"), *RULES[1:])
    )
    assert "javascript:" not in render(evil, "html")
    assert "javascript:" not in render(evil, "md")
