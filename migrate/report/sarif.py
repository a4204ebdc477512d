"""SARIF 2.1.0 for code-scanning services (GitHub code scanning and the like).

- ``level`` comes from the finding's category: mandatory → error, optional → warning,
  potential and information → note.
- Columns are 1-based here (``column + 1``); lines are already 1-based.
- Paths are relative URIs against ``%SRCROOT%``; ``partialFingerprints["migrate/v1"]`` keeps
  alerts stable between runs.
- Suppressed findings carry ``suppressions: [{"kind": "inSource"}]``; findings with a fix that
  was not applied carry ``fixes[]``; file errors become tool execution notifications.
"""

from __future__ import annotations

import json
import posixpath
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from migrate.report import _common as c
from migrate.result import Category, FileError, Finding, Range, RuleInfo, RunResult, Status

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
FINGERPRINT_KEY = "migrate/v1"
SRCROOT = "%SRCROOT%"

LEVELS: dict[str, str] = {
    Category.MANDATORY.value: "error",
    Category.OPTIONAL.value: "warning",
    Category.POTENTIAL.value: "note",
    Category.INFORMATION.value: "note",
}


def level(category: str) -> str:
    return LEVELS.get(category, "warning")


def _posix(path: str) -> str:
    p = path.replace("\\", "/")
    while p.startswith("./"):
        p = p[2:]
    return p


def _is_absolute(path: str) -> bool:
    return PurePosixPath(path).is_absolute() or PureWindowsPath(path).is_absolute()


def _file_uri(path: str, directory: bool = False) -> str:
    p = _posix(path)
    if not p.startswith("/"):
        p = "/" + p  # Windows drive paths: file:///C:/...
    if directory and not p.endswith("/"):
        p += "/"
    return "file://" + quote(p, safe="/:")


def artifact_location(path: str, cwd: str | None) -> dict[str, Any]:
    """A relative URI against %SRCROOT% where possible, else an absolute ``file:`` URI."""
    p = _posix(path)
    if _is_absolute(path):
        root = _posix(cwd).rstrip("/") + "/" if cwd else None
        if root and p.startswith(root):
            p = p[len(root) :]
        else:
            return {"uri": _file_uri(path)}
    p = posixpath.normpath(p) if p else p
    return {"uri": quote(p, safe="/"), "uriBaseId": SRCROOT}


def region(r: Range) -> dict[str, int]:
    return {
        "startLine": r.start.line,
        "startColumn": r.start.column + 1,
        "endLine": r.end.line,
        "endColumn": r.end.column + 1,
    }


def _rule(r: RuleInfo) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": r.id,
        "name": r.name,
        "shortDescription": {"text": r.short_description or r.name},
    }
    if r.help_uri:
        d["helpUri"] = r.help_uri
    d["defaultConfiguration"] = {"level": level(r.default_severity)}
    d["properties"] = {
        "pack": r.pack,
        "category": r.default_severity,
        "effort": r.effort,
        "storyPoints": r.story_points,
        "fixSafety": r.fix_safety,
        "tags": [r.pack, r.default_severity],
    }
    return d


def _result(f: Finding, index: int, cwd: str | None) -> dict[str, Any]:
    loc = artifact_location(f.path, cwd)
    reg = region(f.range)
    phys: dict[str, Any] = {"artifactLocation": loc, "region": dict(reg)}
    if f.snippet:
        phys["region"]["snippet"] = {"text": f.snippet}
    d: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": index,
        "level": level(f.category.value),
        "message": {"text": f.message},
        "locations": [{"physicalLocation": phys}],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
    }
    if f.status is Status.SUPPRESSED:
        d["suppressions"] = [{"kind": "inSource"}]
    if f.fix is not None and f.status is not Status.APPLIED:
        d["fixes"] = [
            {
                "description": {"text": f.fix.title},
                "artifactChanges": [
                    {
                        "artifactLocation": dict(loc),
                        "replacements": [
                            {"deletedRegion": dict(reg), "insertedContent": {"text": f.fix.content}}
                        ],
                    }
                ],
            }
        ]
    d["properties"] = {
        "status": f.status.value,
        "safety": f.safety.value,
        "category": f.category.value,
        "effort": f.effort,
        "storyPoints": f.effort_points,
    }
    return d


def _notification(e: FileError, cwd: str | None) -> dict[str, Any]:
    phys: dict[str, Any] = {"artifactLocation": artifact_location(e.path, cwd)}
    if e.line is not None:
        reg: dict[str, int] = {"startLine": e.line}
        if e.column is not None:
            reg["startColumn"] = e.column + 1
        phys["region"] = reg
    d: dict[str, Any] = {
        "level": "error",
        "message": {"text": f"{e.kind}: {e.message}"},
        "locations": [{"physicalLocation": phys}],
        "descriptor": {"id": e.kind},
    }
    if e.traceback:
        d["properties"] = {"traceback": e.traceback}
    return d


def to_sarif(result: RunResult) -> dict[str, Any]:
    """The SARIF log as a dict."""
    inv = result.invocation
    cwd = inv.cwd if inv else None
    rules = c.all_rules(result)
    index = {r.id: i for i, r in enumerate(rules)}

    driver: dict[str, Any] = {"name": "migrate"}
    if result.tool_version:
        driver["version"] = result.tool_version
    driver["informationUri"] = c.INFORMATION_URI
    driver["rules"] = [_rule(r) for r in rules]

    crashed = any(e.kind == "rule_crash" for e in result.errors)
    invocation: dict[str, Any] = {
        "executionSuccessful": (inv.exit_code in (0, 1)) if inv else not crashed,
    }
    if inv:
        invocation["arguments"] = list(inv.argv)
        invocation["startTimeUtc"] = inv.started_at
        invocation["endTimeUtc"] = inv.finished_at
        invocation["exitCode"] = inv.exit_code
        if inv.cwd:
            invocation["workingDirectory"] = {"uri": _file_uri(inv.cwd, directory=True)}
    invocation["toolExecutionNotifications"] = [_notification(e, cwd) for e in result.errors]

    run: dict[str, Any] = {"tool": {"driver": driver}, "invocations": [invocation]}
    if cwd and _is_absolute(cwd):
        run["originalUriBaseIds"] = {SRCROOT: {"uri": _file_uri(cwd, directory=True)}}
    run["columnKind"] = "unicodeCodePoints"
    run["results"] = [_result(f, index[f.rule_id], cwd) for f in result.findings]
    run["properties"] = {
        "migration": result.migration,
        "source": result.source,
        "target": result.target,
        "summary": result.summary(),
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def render(result: RunResult) -> str:
    return json.dumps(to_sarif(result), indent=2, ensure_ascii=False) + "\n"
