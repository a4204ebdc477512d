"""Markdown porting report in the AppCAT dashboard spirit: totals first, then by rule, then
what needs a person, then every incident file by file, then errors and equivalence."""

from __future__ import annotations

import re
from typing import Any

from migrate.report import _common as c
from migrate.result import RunResult, Status

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def md(text: Any) -> str:
    """Inline Markdown text: one line, with Markdown and HTML metacharacters escaped."""
    return _MD_SPECIAL.sub(r"\\\1", c.one_line(str(text)))


def code(text: Any, in_table: bool = False) -> str:
    """Inline code span that survives backticks in ``text``; pipes escaped inside tables."""
    s = c.one_line(str(text))
    longest = max((len(m) for m in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    span = f"{fence}{pad}{s}{pad}{fence}"
    return span.replace("|", "\\|") if in_table else span


def fenced(lines: list[str], lang: str = "text") -> list[str]:
    body = "\n".join(lines)
    longest = max((len(m) for m in re.findall(r"`{3,}", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{lang}", *lines, fence]


def table(header: list[str], rows: list[list[str]], align: str = "") -> list[str]:
    """A pipe table; ``align`` has one letter per column, ``l`` or ``r``."""
    align = align.ljust(len(header), "l")
    rule = ["---:" if a == "r" else "---" for a in align]
    return [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join(rule) + " |",
        *("| " + " | ".join(r) + " |" for r in rows),
    ]


def render(result: RunResult) -> str:
    s = result.summary()
    out: list[str] = []
    add = out.append

    title = f"# Porting report: {md(result.migration)}"
    add(title)
    add("")
    meta = [f"{md(result.source)} → {md(result.target)}"]
    if result.tool_version:
        meta.append(f"migrate {md(result.tool_version)}")
    if c.run_when(result):
        meta.append(md(c.run_when(result)))
    add(" · ".join(meta))
    add("")

    # Totals.
    add("## Totals")
    add("")
    fixes = s["fixes"]
    skipped = c.skipped_total(s)
    skipped_detail = ", ".join(
        f"{md(k or 'unspecified')}: {v}" for k, v in sorted(s["files_skipped"].items())
    )
    rows = [
        ["Files scanned", str(s["files_scanned"])],
        ["Files changed", f"{s['files_changed']} ({s['files_written']} written)"],
        ["Files skipped", f"{skipped} ({skipped_detail})" if skipped else "0"],
        ["Files failed", str(s["files_failed"])],
        ["Files needing a change", f"{s['pct_files_needing_change']}%"],
        ["Lines scanned", str(s["lines_scanned"])],
        ["Issues (distinct rules)", str(s["issues"])],
        ["Incidents", str(s["incidents"])],
    ]
    rows += [
        [f"Incidents: {cat.value}", str(s["findings_by_severity"][cat.value])] for cat in c.CATEGORY_ORDER
    ]
    rows += [
        ["Suppressed", str(s["findings_by_status"][Status.SUPPRESSED.value])],
        ["Fixes applied", str(fixes["applied"])],
        ["Fixes available (safe)", str(fixes["available_safe"])],
        ["Fixes available (unsafe)", str(fixes["available_unsafe"])],
        ["Manual (needs a person)", str(fixes["manual"])],
        ["**Story points**", f"**{s['story_points_total']}**"],
    ]
    rows += [
        [f"Story points: {level}", str(points)]
        for level, points in s["story_points_by_level"].items()
        if points
    ]
    out += table(["Measure", "Value"], rows, "lr")
    add("")

    # By rule.
    add("## By rule")
    add("")
    rule_rows = c.rule_rows(result)
    if rule_rows:
        out += table(
            [
                "Rule",
                "Name",
                "Category",
                "Incidents",
                "Applied",
                "Available",
                "Manual",
                "Suppressed",
                "Points",
            ],
            [
                [
                    f"[{md(r.id)}]({r.help_uri})" if r.help_uri else md(r.id),
                    md(r.name),
                    md(r.category),
                    str(r.incidents),
                    *(str(r.by_status[st.value]) for st in c.STATUS_ORDER),
                    str(r.points),
                ]
                for r in rule_rows
            ],
            "lllrrrrrr",
        )
    else:
        add("No findings.")
    add("")

    # Needs a person.
    add("## Needs a person")
    add("")
    groups = c.manual_by_rule(result)
    if groups:
        for row, items in groups:
            add(f"### {md(row.id)} {md(row.name)} ({c.plural(len(items), 'incident')}, {row.effort})")
            add("")
            for f in items:
                where = c.location(f.path, f.range.start.line, f.range.start.column)
                add(f"- [ ] {code(where)}: {md(f.message)}")
            add("")
    else:
        add("Nothing: every finding has an automatic fix or was suppressed.")
        add("")
    available = fixes["available_safe"] + fixes["available_unsafe"]
    if available:
        add(
            f"{c.plural(available, 'fix is', 'fixes are')} available but not applied: "
            f"rerun with `--write` ({fixes['available_safe']} safe) "
            f"or `--write --unsafe-fixes` ({fixes['available_unsafe']} unsafe)."
        )
        add("")

    # Files.
    add("## Files")
    add("")
    if result.files:
        out += table(
            ["File", "Status", "Findings", "Lines"],
            [
                [code(fr.path, True), md(c.file_note(fr)), str(len(fr.findings)), str(fr.lines)]
                for fr in result.files
            ],
            "llrr",
        )
    else:
        add("No files.")
    add("")

    # Incidents by file.
    add("## Incidents by file")
    add("")
    add("Columns are 0-based, as in tf_upgrade_v2's report.")
    add("")
    with_findings = [fr for fr in result.files if fr.findings]
    if with_findings:
        for fr in with_findings:
            add(f"### {code(fr.path)}")
            add("")
            out += fenced([c.incident_line(f) for f in c.sorted_findings(fr.findings)])
            add("")
    else:
        add("No incidents.")
        add("")

    # Errors.
    add("## Errors")
    add("")
    errors = result.errors
    if errors:
        out += table(
            ["File", "Kind", "Line", "Column", "Message"],
            [
                [
                    code(e.path, True),
                    md(e.kind),
                    "" if e.line is None else str(e.line),
                    "" if e.column is None else str(e.column),
                    md(e.message),
                ]
                for e in errors
            ],
            "llrrl",
        )
    else:
        add("None.")
    add("")

    if result.equivalence:
        out += _equivalence(result)

    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def _equivalence(result: RunResult) -> list[str]:
    out = ["## Equivalence", ""]
    entries = c.equivalence_entries(result)
    out += table(
        ["Check", "Equivalent", "Max abs diff", "Tolerance"],
        [
            [
                md(e.get("name", f"check {i + 1}")),
                c.equivalent_label(e.get("equivalent")),
                md(c.fmt_number(e.get("max_abs_diff"))),
                md(c.fmt_number(e.get("tolerance"))),
            ]
            for i, e in enumerate(entries)
        ],
        "llrr",
    )
    out.append("")
    for i, e in enumerate(entries):
        layers = c.layers_of(e)
        notes = [str(e[k]) for k in ("error", "note", "message") if e.get(k)]
        if not layers and not notes and not e.get("plot_png_base64"):
            continue
        out += [f"### {md(e.get('name', f'check {i + 1}'))}", ""]
        for n in notes:
            out += [md(n), ""]
        if layers:
            out += table(
                ["Layer", "Max abs diff"],
                [
                    [md(lay.get("name", f"layer {j + 1}")), md(c.fmt_number(lay.get("max_abs_diff")))]
                    for j, lay in enumerate(layers)
                ],
                "lr",
            )
            out.append("")
        if e.get("plot_png_base64"):
            out += ["A plot of the differences is embedded in the HTML report.", ""]
    return out
