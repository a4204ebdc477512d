"""Helpers to test rules: run one rule (or a pack) over a snippet, check its examples."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import libcst as cst

from migrate.engine.transform import run_pass
from migrate.pack import BUILTIN_PACKS, Pack, load_pack
from migrate.result import Finding, Status
from migrate.rule import Invalid, Rule, Valid


@dataclass
class Outcome:
    code: str
    findings: list[Finding]

    @property
    def active(self) -> list[Finding]:
        return [f for f in self.findings if f.status is not Status.SUPPRESSED]


def apply(code: str, rules: Sequence[type[Rule]], pack: Pack, *, unsafe_fixes: bool = True, path: str = "example.py") -> Outcome:
    module = cst.parse_module(code)
    res = run_pass(module, path=path, source_text=code, pack=pack, rules=rules, unsafe_fixes=unsafe_fixes)
    out = res.module.code
    return Outcome(out, res.context.findings_in(out))


def iter_examples() -> Iterator[tuple[str, Pack, type[Rule], str, int, Valid | Invalid]]:
    """(test id, pack, rule, kind, index, example) for every example of every built-in rule."""
    for name in BUILTIN_PACKS:
        pack = load_pack(name)
        for rule in pack.rules:
            for i, ex in enumerate(rule.VALID):
                yield f"{rule.ID}-VALID_{i}", pack, rule, "VALID", i, ex
            for i, ex in enumerate(rule.INVALID):
                yield f"{rule.ID}-INVALID_{i}", pack, rule, "INVALID", i, ex


def check_example(pack: Pack, rule: type[Rule], example: Valid | Invalid) -> None:
    """Raise AssertionError when the rule does not behave as its example says."""
    out = apply(example.code, [rule], pack)
    mine = [f for f in out.active if f.rule_id == rule.ID]
    if isinstance(example, Valid):
        assert not mine, f"{rule.ID} reported valid code: {[f.message for f in mine]}"
        assert out.code == example.code, f"{rule.ID} changed valid code:\n{out.code}"
        return
    assert mine, f"{rule.ID} reported nothing on:\n{example.code}"
    if example.message is not None:
        assert any(example.message in f.message for f in mine), (
            f"no {rule.ID} message contains {example.message!r}: {[f.message for f in mine]}"
        )
    if example.expected is not None:
        assert out.code == example.expected, f"{rule.ID} output:\n{out.code}\nexpected:\n{example.expected}"
    else:
        assert out.code == example.code, f"{rule.ID} has no expected output but changed the code:\n{out.code}"
    cst.parse_module(out.code)
    again = apply(out.code, [rule], pack)
    assert again.code == out.code, f"{rule.ID} is not idempotent:\n{again.code}"
