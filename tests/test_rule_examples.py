"""Every VALID / INVALID example of every rule of every built-in pack is a test."""

from __future__ import annotations

import pytest

from migrate.testing import check_example, iter_examples

EXAMPLES = list(iter_examples())


@pytest.mark.parametrize(
    ("pack", "rule", "example"),
    [pytest.param(p, r, ex, id=tid) for tid, p, r, _k, _i, ex in EXAMPLES],
)
def test_rule_example(pack, rule, example):  # type: ignore[no-untyped-def]
    check_example(pack, rule, example)


def test_every_rule_has_examples_and_docs():
    seen = {}
    for _tid, _p, rule, kind, _i, _ex in EXAMPLES:
        seen.setdefault(rule, set()).add(kind)
    for rule, kinds in seen.items():
        assert kinds == {"VALID", "INVALID"}, f"{rule.ID} needs both VALID and INVALID examples"
        doc = rule.doc()
        for section in ("What it does", "Why", "Fix safety"):
            assert section in doc, f"{rule.ID} docstring lacks '{section}'"
        assert rule.ID[:3] in ("TF2", "PT1") and len(rule.ID) == 6, rule.ID
        assert rule.NAME and rule.MESSAGE
