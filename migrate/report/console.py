"""Short plain-text lines for the terminal (the CLI adds colour)."""

from __future__ import annotations

from migrate.report import _common as c
from migrate.result import FileError, Finding, RunResult


def summary_line(result: RunResult) -> str:
    """One line, e.g. ``12 files scanned, 3 changed, 1 failed; 40 findings (30 fixed,
    10 need a person); 57 story points``. Suppressed findings are not counted as findings."""
    s = result.summary()
    fixes = s["fixes"]
    files = [c.plural(s["files_scanned"], "file") + " scanned", f"{s['files_changed']} changed"]
    skipped = c.skipped_total(s)
    if skipped:
        files.append(f"{skipped} skipped")
    files.append(f"{s['files_failed']} failed")
    detail = [f"{fixes['applied']} fixed"]
    available = fixes["available_safe"] + fixes["available_unsafe"]
    if available:
        detail.append(f"{available} fixable")
    detail.append(f"{fixes['manual']} {'needs' if fixes['manual'] == 1 else 'need'} a person")
    suppressed = s["findings_by_status"]["suppressed"]
    if suppressed:
        detail.append(f"{suppressed} suppressed")
    return (
        f"{', '.join(files)}; "
        f"{c.plural(s['incidents'], 'finding')} ({', '.join(detail)}); "
        f"{c.plural(s['story_points_total'], 'story point')}"
    )


def format_finding(f: Finding) -> str:
    """``path:line:col: RULE message [status]`` (column 0-based)."""
    where = c.location(f.path, f.range.start.line, f.range.start.column)
    return f"{where}: {f.rule_id} {c.one_line(f.message)} [{f.status.value}]"


def format_error(e: FileError) -> str:
    """``path:line:col: error[kind] message`` for a file that could not be analysed."""
    return f"{c.location(e.path, e.line, e.column)}: error[{e.kind}] {c.one_line(e.message)}"
