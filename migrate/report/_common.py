"""Helpers shared by the renderers: ordering, labels, per-rule totals.

Everything here reads result values only (``migrate.result``); nothing imports the engine,
the rules, TensorFlow or torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from migrate.result import (
    EFFORT_LEVELS,
    Category,
    FileError,
    FileResult,
    FileStatus,
    Finding,
    RuleInfo,
    RunResult,
    Safety,
    Status,
)

INFORMATION_URI = "https://github.com/migrate-tool/migrate"

CATEGORY_ORDER: tuple[Category, ...] = (
    Category.MANDATORY,
    Category.OPTIONAL,
    Category.POTENTIAL,
    Category.INFORMATION,
)
STATUS_ORDER: tuple[Status, ...] = (Status.APPLIED, Status.AVAILABLE, Status.MANUAL, Status.SUPPRESSED)


def severity_label(f: Finding) -> str:
    """The SEVERITY word of a ``path:line:col: SEVERITY: message`` line (the AppCAT category)."""
    return f.category.value.upper()


def location(path: str, line: int | None, column: int | None) -> str:
    """``path:line:col`` (column 0-based, as tf_upgrade_v2 prints it); parts left out when unknown."""
    out = path
    if line is not None:
        out += f":{line}"
        if column is not None:
            out += f":{column}"
    return out


def incident_line(f: Finding) -> str:
    """``path:line:col: SEVERITY: [RULE] message (status)``: one finding in tf_upgrade_v2 form."""
    where = location(f.path, f.range.start.line, f.range.start.column)
    return f"{where}: {severity_label(f)}: [{f.rule_id}] {one_line(f.message)} ({status_phrase(f)})"


def status_phrase(f: Finding) -> str:
    if f.status is Status.AVAILABLE:
        return "fix available, unsafe" if f.safety is Safety.UNSAFE else "fix available"
    return str(f.status.value)


def error_line(e: FileError) -> str:
    return f"{location(e.path, e.line, e.column)}: ERROR: [{e.kind}] {one_line(e.message)}"


def one_line(text: str) -> str:
    """Collapse a possibly multi-line message onto one line."""
    return " ".join(str(text).split())


def sorted_findings(findings: tuple[Finding, ...] | list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.path, f.range.start.line, f.range.start.column, f.rule_id))


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def fmt_number(value: Any) -> str:
    """A number for people: floats with 4 significant digits, anything else as text."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        if value == 0:
            return "0"
        return f"{value:.4g}"
    return str(value)


def equivalent_label(value: Any) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "NO"
    return "unknown"


@dataclass
class RuleRow:
    """One line of the by-rule table."""

    id: str
    name: str
    category: str
    effort: str
    help_uri: str = ""
    incidents: int = 0  # not suppressed
    points: int = 0  # story points of the incidents
    by_status: dict[str, int] = field(default_factory=lambda: {s.value: 0 for s in Status})


def safe_link(uri: str) -> str:
    """``uri`` when it is an http(s) link, made safe to drop into Markdown or an attribute; else ""."""
    if not uri.lower().startswith(("https://", "http://")):
        return ""
    return quote(uri, safe="/:#?&=%~+-._,;@!$*'[]")


def all_rules(result: RunResult) -> list[RuleInfo]:
    """The run's rules, plus a stand-in for any rule a finding names that the run did not list."""
    rules = list(result.rules)
    known = {r.id for r in rules}
    for f in result.findings:
        if f.rule_id not in known:
            known.add(f.rule_id)
            rules.append(
                RuleInfo(
                    id=f.rule_id,
                    name=f.rule_name,
                    pack=result.migration,
                    short_description=one_line(f.message),
                    help_uri="",
                    default_severity=f.category.value,
                    effort=f.effort if f.effort in EFFORT_LEVELS else "unknown",
                    fix_safety=f.safety.value,
                )
            )
    return rules


def rule_rows(result: RunResult) -> list[RuleRow]:
    """Per-rule totals for the rules that have at least one finding (suppressed included)."""
    info = {r.id: r for r in all_rules(result)}
    rows: dict[str, RuleRow] = {}
    for f in result.findings:
        row = rows.get(f.rule_id)
        if row is None:
            r = info[f.rule_id]
            row = rows[f.rule_id] = RuleRow(
                id=r.id,
                name=r.name,
                category=r.default_severity,
                effort=r.effort,
                help_uri=safe_link(r.help_uri),
            )
        row.by_status[f.status.value] += 1
        if f.status is not Status.SUPPRESSED:
            row.incidents += 1
            row.points += f.effort_points
    order = {c.value: i for i, c in enumerate(CATEGORY_ORDER)}
    return sorted(rows.values(), key=lambda r: (order.get(r.category, len(order)), r.id))


def manual_by_rule(result: RunResult) -> list[tuple[RuleRow, list[Finding]]]:
    """Findings that need a person (status manual), grouped by rule in table order."""
    manual = [f for f in result.findings if f.status is Status.MANUAL]
    out = []
    for row in rule_rows(result):
        items = sorted_findings([f for f in manual if f.rule_id == row.id])
        if items:
            out.append((row, items))
    return out


def run_when(result: RunResult) -> str:
    inv = result.invocation
    return inv.started_at if inv else ""


def file_note(fr: FileResult) -> str:
    """A short word on what happened to a file."""
    if fr.status is FileStatus.SKIPPED:
        return f"skipped: {fr.reason}" if fr.reason else "skipped"
    if fr.status is FileStatus.FAILED:
        kinds = sorted({e.kind for e in fr.errors})
        return "failed: " + ", ".join(kinds) if kinds else "failed"
    if fr.status is FileStatus.CHANGED:
        return "changed, written" if fr.written else "changed, not written"
    return "unchanged"


def skipped_total(summary: dict[str, Any]) -> int:
    return sum(summary["files_skipped"].values())


def equivalence_entries(result: RunResult) -> list[dict[str, Any]]:
    """Checker entries as dicts; anything else is wrapped so renderers never crash on it."""
    out = []
    for i, e in enumerate(result.equivalence):
        if isinstance(e, dict):
            out.append(e)
        else:
            out.append({"name": f"entry {i + 1}", "note": str(e)})
    return out


def layers_of(entry: dict[str, Any]) -> list[dict[str, Any]]:
    layers = entry.get("layers")
    if not isinstance(layers, (list, tuple)):
        return []
    return [lay if isinstance(lay, dict) else {"name": str(lay)} for lay in layers]
