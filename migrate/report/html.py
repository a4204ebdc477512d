"""One self-contained HTML page (inline CSS, no script, no external assets): totals as cards,
then by rule, what needs a person, each file (collapsible, with its diff), errors and
equivalence. Every piece of text from the run goes through ``html.escape``."""

from __future__ import annotations

import html
import re
from typing import Any

from migrate.report import _common as c
from migrate.result import FileResult, RunResult, Status

_NUM = ' class="num"'
_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]+$")

CSS = """
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #ffffff; --soft: #f6f8fa;
  --err: #cf222e; --warn: #9a6700; --ok: #1a7f37; --note: #0969da; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 15px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 24px; }
h1 { margin: 0 0 4px; font-size: 26px; }
h2 { margin: 32px 0 12px; font-size: 20px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { margin: 20px 0 8px; font-size: 16px; }
.meta, .muted { color: var(--muted); }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(160px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; background: var(--soft); }
.card .n { font-size: 28px; font-weight: 600; }
.card .label { font-weight: 600; }
.card .sub { color: var(--muted); font-size: 13px; }
.card.bad .n { color: var(--err); }
.card.good .n { color: var(--ok); }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--soft); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.sev-mandatory { color: var(--err); font-weight: 600; }
.sev-optional { color: var(--warn); font-weight: 600; }
.sev-potential, .sev-information { color: var(--note); font-weight: 600; }
.st-manual { color: var(--err); }
.st-applied { color: var(--ok); }
.st-suppressed { color: var(--muted); }
details.file { border: 1px solid var(--line); border-radius: 6px; margin: 8px 0; }
details.file > summary { cursor: pointer; padding: 6px 10px; background: var(--soft); }
details.file > div { padding: 6px 12px 12px; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 8px;
  overflow-x: auto; white-space: pre; margin: 8px 0; }
pre .add { color: var(--ok); }
pre .del { color: var(--err); }
pre .hunk { color: var(--note); }
ul.todo li { margin: 2px 0; }
img.plot { max-width: 100%; border: 1px solid var(--line); border-radius: 6px; }
.yes { color: var(--ok); font-weight: 600; }
.no { color: var(--err); font-weight: 600; }
"""


def e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _cls(prefix: str, value: str) -> str:
    """A CSS class name built from data: only letters, digits and dashes survive."""
    return prefix + re.sub(r"[^a-z0-9-]", "", value.lower())


def _card(label: str, n: Any, sub: str = "", tone: str = "") -> str:
    klass = f"card {tone}".strip()
    sub_html = f'<div class="sub">{e(sub)}</div>' if sub else ""
    return (
        f'<div class="{klass}"><div class="label">{e(label)}</div><div class="n">{e(n)}</div>{sub_html}</div>'
    )


def _table(header: list[tuple[str, bool]], rows: list[list[str]]) -> list[str]:
    """``header`` is (label, numeric); ``rows`` hold already-escaped HTML cells."""
    out = ["<table>", "<thead><tr>"]
    out += [f"<th{_NUM if num else ''}>{e(h)}</th>" for h, num in header]
    out += ["</tr></thead>", "<tbody>"]
    for row in rows:
        cells = "".join(
            f"<td{_NUM if num else ''}>{cell}</td>" for cell, (_, num) in zip(row, header, strict=True)
        )
        out.append(f"<tr>{cells}</tr>")
    out += ["</tbody>", "</table>"]
    return out


def _diff(diff: str) -> str:
    lines = []
    for line in diff.splitlines():
        if line.startswith(("+++", "---")):
            lines.append(f"<b>{e(line)}</b>")
        elif line.startswith("@@"):
            lines.append(f'<span class="hunk">{e(line)}</span>')
        elif line.startswith("+"):
            lines.append(f'<span class="add">{e(line)}</span>')
        elif line.startswith("-"):
            lines.append(f'<span class="del">{e(line)}</span>')
        else:
            lines.append(e(line))
    return '<pre class="diff">' + "\n".join(lines) + "</pre>"


def _file_section(fr: FileResult) -> list[str]:
    findings = c.sorted_findings(fr.findings)
    open_attr = " open" if any(f.status is Status.MANUAL for f in fr.findings) or fr.errors else ""
    out = [
        f'<details class="file"{open_attr}>',
        f"<summary><code>{e(fr.path)}</code> · {e(c.file_note(fr))} · "
        f"{e(c.plural(len(fr.findings), 'finding'))}</summary>",
        "<div>",
    ]
    if findings:
        out += _table(
            [("Where", False), ("Severity", False), ("Rule", False), ("Message", False), ("Status", False)],
            [
                [
                    f'<span class="mono">{e(f.range.start.line)}:{e(f.range.start.column)}</span>',
                    f'<span class="{_cls("sev-", f.category.value)}">{e(c.severity_label(f))}</span>',
                    f"<code>{e(f.rule_id)}</code> {e(f.rule_name)}",
                    e(f.message) + (f'<br><span class="muted">fix: {e(f.fix.title)}</span>' if f.fix else ""),
                    f'<span class="{_cls("st-", f.status.value)}">{e(c.status_phrase(f))}</span>',
                ]
                for f in findings
            ],
        )
    for err in fr.errors:
        out.append(f'<p class="no">{e(c.error_line(err))}</p>')
    if fr.diff:
        out.append(_diff(fr.diff))
    if not findings and not fr.errors and not fr.diff:
        out.append('<p class="muted">Nothing to report.</p>')
    out += ["</div>", "</details>"]
    return out


def render(result: RunResult) -> str:
    s = result.summary()
    fixes = s["fixes"]
    title = f"Porting report: {result.migration}"
    meta = [f"{result.source} → {result.target}"]
    if result.tool_version:
        meta.append(f"migrate {result.tool_version}")
    if c.run_when(result):
        meta.append(c.run_when(result))

    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        f'<header><h1>{e(title)}</h1><p class="meta">{e(" · ".join(meta))}</p></header>',
    ]

    # Totals.
    skipped = c.skipped_total(s)
    available = fixes["available_safe"] + fixes["available_unsafe"]
    levels = ", ".join(f"{lvl} {pts}" for lvl, pts in s["story_points_by_level"].items() if pts)
    out += [
        '<section id="totals">',
        "<h2>Totals</h2>",
        '<div class="cards">',
        _card("Files scanned", s["files_scanned"], c.plural(s["lines_scanned"], "line")),
        _card("Files changed", s["files_changed"], f"{s['files_written']} written"),
        _card(
            "Files skipped",
            skipped,
            ", ".join(f"{k or 'unspecified'}: {v}" for k, v in sorted(s["files_skipped"].items())),
        ),
        _card("Files failed", s["files_failed"], "", "bad" if s["files_failed"] else "good"),
        _card("Incidents", s["incidents"], c.plural(s["issues"], "distinct rule")),
        _card("Fixes applied", fixes["applied"], "", "good" if fixes["applied"] else ""),
        _card(
            "Fixes available",
            available,
            f"{fixes['available_safe']} safe, {fixes['available_unsafe']} unsafe",
        ),
        _card("Needs a person", fixes["manual"], "", "bad" if fixes["manual"] else "good"),
        _card("Story points", s["story_points_total"], levels),
        "</div>",
        "<h3>Incidents by severity</h3>",
    ]
    out += _table(
        [("Severity", False), ("Incidents", True)],
        [
            [
                f'<span class="{_cls("sev-", cat.value)}">{e(cat.value)}</span>',
                e(s["findings_by_severity"][cat.value]),
            ]
            for cat in c.CATEGORY_ORDER
        ]
        + [[e("suppressed (not counted)"), e(s["findings_by_status"]["suppressed"])]],
    )
    out.append(f'<p class="muted">{e(s["pct_files_needing_change"])}% of scanned files need a change.</p>')
    out.append("</section>")

    # By rule.
    out += ['<section id="rules">', "<h2>By rule</h2>"]
    rows = c.rule_rows(result)
    if rows:
        out += _table(
            [("Rule", False), ("Name", False), ("Category", False), ("Incidents", True)]
            + [(st.value.capitalize(), True) for st in c.STATUS_ORDER]
            + [("Points", True)],
            [
                [
                    (
                        f'<a href="{e(r.help_uri)}"><code>{e(r.id)}</code></a>'
                        if r.help_uri
                        else f"<code>{e(r.id)}</code>"
                    ),
                    e(r.name),
                    f'<span class="{_cls("sev-", r.category)}">{e(r.category)}</span>',
                    e(r.incidents),
                    *(e(r.by_status[st.value]) for st in c.STATUS_ORDER),
                    e(r.points),
                ]
                for r in rows
            ],
        )
    else:
        out.append('<p class="muted">No findings.</p>')
    out.append("</section>")

    # Needs a person.
    out += ['<section id="manual">', "<h2>Needs a person</h2>"]
    groups = c.manual_by_rule(result)
    if groups:
        for row, items in groups:
            out.append(
                f"<h3><code>{e(row.id)}</code> {e(row.name)} "
                f'<span class="muted">({e(c.plural(len(items), "incident"))}, {e(row.effort)})</span></h3>'
            )
            out.append('<ul class="todo">')
            for f in items:
                where = c.location(f.path, f.range.start.line, f.range.start.column)
                out.append(f"<li><code>{e(where)}</code>: {e(f.message)}</li>")
            out.append("</ul>")
    else:
        out.append('<p class="muted">Nothing: every finding has an automatic fix or was suppressed.</p>')
    if available:
        out.append(
            f"<p>{e(c.plural(available, 'fix is', 'fixes are'))} available but not applied: rerun with "
            f"<code>--write</code> ({e(fixes['available_safe'])} safe) or "
            f"<code>--write --unsafe-fixes</code> ({e(fixes['available_unsafe'])} unsafe).</p>"
        )
    out.append("</section>")

    # Files.
    out += ['<section id="files">', "<h2>Files</h2>", '<p class="muted">Columns are 0-based.</p>']
    if result.files:
        for fr in result.files:
            out += _file_section(fr)
    else:
        out.append('<p class="muted">No files.</p>')
    out.append("</section>")

    # Errors.
    out += ['<section id="errors">', "<h2>Errors</h2>"]
    errors = result.errors
    if errors:
        out += _table(
            [("File", False), ("Kind", False), ("Line", True), ("Column", True), ("Message", False)],
            [
                [
                    f"<code>{e(err.path)}</code>",
                    e(err.kind),
                    "" if err.line is None else e(err.line),
                    "" if err.column is None else e(err.column),
                    e(err.message)
                    + (
                        f"<details><summary>traceback</summary><pre>{e(err.traceback)}</pre></details>"
                        if err.traceback
                        else ""
                    ),
                ]
                for err in errors
            ],
        )
    else:
        out.append('<p class="muted">None.</p>')
    out.append("</section>")

    if result.equivalence:
        out += _equivalence(result)

    out += ["</main>", "</body>", "</html>"]
    return "\n".join(out) + "\n"


def _equivalence(result: RunResult) -> list[str]:
    entries = c.equivalence_entries(result)
    out = ['<section id="equivalence">', "<h2>Equivalence</h2>"]

    def verdict(value: Any) -> str:
        label = c.equivalent_label(value)
        klass = {"yes": "yes", "NO": "no"}.get(label, "muted")
        return f'<span class="{klass}">{e(label)}</span>'

    out += _table(
        [("Check", False), ("Equivalent", False), ("Max abs diff", True), ("Tolerance", True)],
        [
            [
                e(ent.get("name", f"check {i + 1}")),
                verdict(ent.get("equivalent")),
                e(c.fmt_number(ent.get("max_abs_diff"))),
                e(c.fmt_number(ent.get("tolerance"))),
            ]
            for i, ent in enumerate(entries)
        ],
    )
    for i, ent in enumerate(entries):
        layers = c.layers_of(ent)
        notes = [str(ent[k]) for k in ("error", "note", "message") if ent.get(k)]
        plot = ent.get("plot_png_base64")
        plot_ok = isinstance(plot, str) and bool(_BASE64.match(plot))
        if not layers and not notes and not plot_ok:
            continue
        out.append(f"<h3>{e(ent.get('name', f'check {i + 1}'))}</h3>")
        out += [f"<p>{e(n)}</p>" for n in notes]
        if layers:
            out += _table(
                [("Layer", False), ("Max abs diff", True)],
                [
                    [e(lay.get("name", f"layer {j + 1}")), e(c.fmt_number(lay.get("max_abs_diff")))]
                    for j, lay in enumerate(layers)
                ],
            )
        if plot_ok:
            data = "".join(str(plot).split())
            alt = f"differences for {ent.get('name', f'check {i + 1}')}"
            out.append(f'<img class="plot" alt="{e(alt)}" src="data:image/png;base64,{e(data)}">')
    out.append("</section>")
    return out
