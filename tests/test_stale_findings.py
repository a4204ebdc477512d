"""Findings about code a restructuring replaced are dropped (FileContext.findings_in).

When TF2130 turns a model function into a Keras layer, or TF2120 makes Session code eager,
the findings other rules (TF2001) recorded on the original code may describe names the
output no longer has ("kept as tf.compat.v1", "tf.contrib was removed"): those go; the
restructuring's own finding says what became of the code. Findings on code that survives
in the output stay, and so do all findings when nothing was restructured.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate.api import RunConfig, run_source
from migrate.engine.context import _code_tokens, _leading_key
from migrate.result import Finding

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests/fixtures/tf1_to_tf2/model_function_stale_findings/input.py"


def _findings(path: Path, *, unsafe: bool = True) -> list[Finding]:
    rel = str(path.relative_to(ROOT))
    result, _ = run_source(path.read_bytes(), RunConfig(unsafe_fixes=unsafe), rel)
    return list(result.files[0].findings)


def _at(findings: list[Finding], rule: str, line: int) -> list[Finding]:
    return [f for f in findings if f.rule_id == rule and f.range.start.line == line]


def test_model_function_fixture_drops_findings_on_replaced_names_only() -> None:
    found = _findings(FIXTURE)
    assert any(f.rule_id == "TF2130" and "`mlp` becomes the Keras layer" in f.message for f in found)
    # replaced by the layer: slim.batch_norm (line 14) and xavier_initializer (line 16)
    assert not _at(found, "TF2001", 14), [f.message for f in _at(found, "TF2001", 14)]
    assert not _at(found, "TF2001", 16), [f.message for f in _at(found, "TF2001", 16)]
    # the contrib import survives (the helper still uses slim): its manual item stays
    assert any("tensorflow.contrib does not exist" in f.message for f in _at(found, "TF2001", 7))
    # xw_plus_b's rewrite is carried into the layer's call: the item says what the output has
    assert any("xw_plus_b" in f.message for f in _at(found, "TF2001", 17))
    # the helper is not a model function: the item on it stays
    assert any("add_image_summaries" in f.message for f in _at(found, "TF2001", 23))
    # disable_v2_behavior stays in the output (as tf.compat.v1): its manual item stays
    assert any("disable_v2_behavior" in f.message for f in _at(found, "TF2001", 9))


def test_nothing_dropped_without_a_restructuring() -> None:
    """Without --unsafe-fixes TF2130 does not run: the TF1 code and every item on it stay."""
    found = _findings(FIXTURE, unsafe=False)
    assert any("slim.batch_norm" in f.message for f in _at(found, "TF2001", 14))
    assert any("xavier_initializer" in f.message for f in _at(found, "TF2001", 16))
    assert not any(f.rule_id == "TF2130" for f in found)


def test_contrib_layers_mlp_stale_items_gone() -> None:
    """The issue's example: the import (line 12, also named in the docstring: strings do
    not count as code), xavier_initializer in `dense` (23) and normalizer_fn=slim.batch_norm
    (32) are gone from the output; xw_plus_b (25) became tf.nn.bias_add, which it has."""
    found = _findings(ROOT / "corpus/tf1/contrib/contrib_layers_mlp.py")
    for line in (12, 23, 32):
        assert not _at(found, "TF2001", line), [f.message for f in _at(found, "TF2001", line)]
    assert _at(found, "TF2001", 25)
    assert _at(found, "TF2130", 20) and _at(found, "TF2130", 28)
    assert not any(f.status.value == "manual" for f in found), [f.message for f in found if f.status.value == "manual"]


def test_session_conversion_drops_items_on_collections_it_replaced() -> None:
    """TF2120 (dqn_target_update, PROVEN): the scoped get_collection reads became the Keras
    objects' variables; TF2001's "kept as tf.compat.v1" items on them go."""
    found = _findings(ROOT / "corpus/tf1/dqn_target_update.py")
    assert any(f.rule_id == "TF2120" and "TRAINABLE_VARIABLES read becomes" in f.message for f in found)
    assert not [f for f in found if f.rule_id == "TF2001" and ("get_collection" in f.message or "GraphKeys" in f.message)]


def test_refused_session_code_keeps_every_item() -> None:
    """TF2120 refuses (a manual finding, nothing restructured): TF2001's items all stay."""
    path = ROOT / "tests/fixtures/tf1_to_tf2/session_control_flow_refused/input.py"
    found = _findings(path)
    assert any(f.rule_id == "TF2120" and "not converted" in f.message for f in found)
    assert any(f.rule_id == "TF2001" and "tf.placeholder" in f.message for f in found)
    assert any(f.rule_id == "TF2001" and "tf.Session" in f.message for f in found)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("tf.compat.v1.placeholder(tf.float32, [None, 6])", "tf . compat . v1 . placeholder"),
        ("slim.batch_norm,", "slim . batch_norm"),
        ("tf.GraphKeys.GLOBAL_VARIABLES, scope=src_scope),", "tf . GraphKeys . GLOBAL_VARIABLES"),
        ("from tensorflow.contrib import slim", "from tensorflow . contrib import"),
        ("import tensorflow.compat.v1 as tf", "import tensorflow . compat . v1"),
        ("with tf.Session() as sess:", None),  # a statement: not a name the output may keep
        ("[a, b]", None),
        ("", None),
    ],
)
def test_leading_key(text: str, key: str | None) -> None:
    assert _leading_key(text) == key


def test_code_tokens_skip_strings_and_comments() -> None:
    code = _code_tokens('"""from tensorflow.contrib import slim"""\nx = slim.fc(y)  # tf.contrib.layers.fc\n')
    assert code is not None
    assert f" {_leading_key('slim.fc(y)')} " in code
    assert f" {_leading_key('from tensorflow.contrib import slim')} " not in code
    assert f" {_leading_key('tf.contrib.layers.fc')} " not in code
    # a longer name is not its prefix's occurrence at the start, and vice versa
    assert f" {_leading_key('tf.placeholder')} " not in _code_tokens("x = tf.compat.v1.placeholder()\n")  # type: ignore[operator]


def _context_with_findings() -> tuple[object, list[Finding]]:
    """A FileContext in which a rename rule rewrote `tf.foo` to `tf.compat.v1.foo` and
    flagged `tf.bar`, and then a restructuring rule applied a fix."""
    import libcst as cst

    from migrate.engine.context import FileContext
    from migrate.rule import Rule

    class Rename(Rule):
        ID, NAME, MESSAGE = "TF9001", "rename", "renamed"

    class Restructure(Rule):
        ID, NAME, MESSAGE, RESTRUCTURES = "TF9002", "restructure", "restructured", True

    src = "y = tf.foo(1)\nz = tf.bar(2)\n"
    module = cst.parse_module(src)
    ctx = FileContext(path="t.py", module=module, source_text=src, canonicalize=lambda q: q, unsafe_fixes=True)
    foo = module.body[0].body[0].value.func  # type: ignore[attr-defined]
    bar = module.body[1].body[0].value.func  # type: ignore[attr-defined]
    ctx.record_fix(Rename(ctx), foo, foo, cst.parse_expression("tf.compat.v1.foo"), message="foo", safety=Rename.SAFETY,
                   effort=None, category=None, manual=True, title=None)
    ctx.record_manual(Rename(ctx), bar, message="bar", effort=None, category=None)
    assert not ctx.restructured
    ctx.record_fix(Restructure(ctx), module.body[0], module.body[0], cst.SimpleStatementLine([cst.Pass()]),
                   message="gone", safety=Restructure.SAFETY, effort=None, category=None, manual=False, title=None)
    assert ctx.restructured
    return ctx, list(ctx.findings)


@pytest.mark.parametrize(
    ("output", "kept"),
    [
        ("pass\n", {"gone"}),  # neither name is left: only the restructuring's own finding
        ("y = tf.compat.v1.foo(1)\n", {"foo", "gone"}),  # as the fix wrote it
        ("y = tf.foo(1)\n", {"foo", "gone"}),  # as the source wrote it (a rewrite kept the original)
        ("z = tf.bar(2)\n", {"bar", "gone"}),
        ("s = 'tf.bar(2)'  # tf.foo\n", {"gone"}),  # strings and comments are not code
    ],
)
def test_findings_in_keeps_findings_whose_name_survives(output: str, kept: set[str]) -> None:
    ctx, _ = _context_with_findings()
    assert {f.message for f in ctx.findings_in(output)} == kept  # type: ignore[attr-defined]
