"""Plain-text log in the shape of tf_upgrade_v2's ``report.txt``: a header with totals, then
one block per file with its incidents as ``path:line:col: SEVERITY: message`` lines, then errors."""

from __future__ import annotations

from migrate.report import _common as c
from migrate.result import FileResult, FileStatus, RunResult

RULE = "-" * 80
DOUBLE = "=" * 80


def _output_note(fr: FileResult) -> str:
    if fr.status is FileStatus.CHANGED:
        return f" outputting to {fr.path!r} (in place)" if fr.written else " not written (read-only run)"
    if fr.status is FileStatus.UNCHANGED:
        return " no changes"
    return " " + c.file_note(fr)


def render(result: RunResult) -> str:
    s = result.summary()
    fixes = s["fixes"]
    title = f"migrate {result.migration} report"
    lines = [title, "-" * len(title)]
    lines.append(f"From {result.source} to {result.target}")
    if result.tool_version:
        lines.append(f"migrate version {result.tool_version}")
    if result.invocation:
        inv = result.invocation
        lines.append(f"Run at {inv.started_at} ({inv.duration_s:.2f} s, exit code {inv.exit_code})")
    skipped = c.skipped_total(s)
    lines += [
        f"Scanned {c.plural(s['files_scanned'], 'file')} ({c.plural(s['lines_scanned'], 'line')})",
        f"Changed {c.plural(s['files_changed'], 'file')} ({s['files_written']} written)",
        f"Skipped {c.plural(skipped, 'file')}"
        + (
            " ("
            + ", ".join(f"{k or 'unspecified'}: {v}" for k, v in sorted(s["files_skipped"].items()))
            + ")"
            if skipped
            else ""
        ),
        f"Failed on {c.plural(s['files_failed'], 'file')}",
        f"Detected {c.plural(s['incidents'], 'incident')} of {c.plural(s['issues'], 'issue')}: "
        + ", ".join(f"{s['findings_by_severity'][cat.value]} {cat.value}" for cat in c.CATEGORY_ORDER),
        f"Fixes: {fixes['applied']} applied, {fixes['available_safe']} available (safe), "
        f"{fixes['available_unsafe']} available (unsafe), {fixes['manual']} need a person",
        f"Suppressed {c.plural(s['findings_by_status']['suppressed'], 'finding')}",
        f"Story points: {s['story_points_total']}"
        + (
            " (" + ", ".join(f"{lvl} {pts}" for lvl, pts in s["story_points_by_level"].items() if pts) + ")"
            if s["story_points_total"]
            else ""
        ),
        RULE,
    ]
    errors = result.errors
    if errors:
        lines.append(f"{c.plural(len(errors), 'file error')}:")
        lines += [f"  {c.error_line(e)}" for e in errors]
        lines.append(RULE)
    lines += [DOUBLE, "Detailed log follows (columns are 0-based):", "", DOUBLE]

    for fr in result.files:
        lines.append(RULE)
        lines.append(f"Processing file {fr.path!r}")
        lines.append(_output_note(fr))
        lines.append(RULE)
        lines.append("")
        lines += [c.incident_line(f) for f in c.sorted_findings(fr.findings)]
        lines += [c.error_line(e) for e in fr.errors]
        if fr.findings or fr.errors:
            lines.append("")

    if result.equivalence:
        lines += [DOUBLE, "Equivalence checks:", ""]
        for i, e in enumerate(c.equivalence_entries(result)):
            lines.append(
                f"{e.get('name', f'check {i + 1}')}: equivalent={c.equivalent_label(e.get('equivalent'))} "
                f"max_abs_diff={c.fmt_number(e.get('max_abs_diff'))} "
                f"tolerance={c.fmt_number(e.get('tolerance'))}"
            )
            for k in ("error", "note", "message"):
                if e.get(k):
                    lines.append(f"  {k}: {c.one_line(str(e[k]))}")
            for j, lay in enumerate(c.layers_of(e)):
                lines.append(
                    f"  layer {lay.get('name', j + 1)}: max_abs_diff={c.fmt_number(lay.get('max_abs_diff'))}"
                )
        lines.append("")

    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"
