"""Result values: what a run produces, independent of how it is printed.

Everything here is a frozen, picklable dataclass so that worker processes can return
results and reports can be rendered from a saved JSON document alone
(``RunResult.from_dict(json.load(...))``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any


class Safety(str, Enum):
    """How safe a rewrite is (ruff's applicability, in our words)."""

    SAFE = "safe"  # applied by --write
    UNSAFE = "unsafe"  # applied only with --unsafe-fixes
    MANUAL = "manual"  # no automatic fix: a person must act


class Status(str, Enum):
    """What happened to one finding."""

    APPLIED = "applied"  # the fix is in the output
    AVAILABLE = "available"  # a fix exists but was not applied (unsafe, or a read-only run)
    MANUAL = "manual"  # no fix: needs a person
    SUPPRESSED = "suppressed"  # silenced by a `# migrate: ignore[...]` comment


class Category(str, Enum):
    """AppCAT-style category of a finding."""

    MANDATORY = "mandatory"  # the code will not work on the target without a change
    OPTIONAL = "optional"  # works, but an idiomatic rewrite is recommended
    POTENTIAL = "potential"  # may or may not need a change: look
    INFORMATION = "information"  # for the record


# MTA story points, by level.
EFFORT_LEVELS: dict[str, int] = {
    "info": 0,
    "trivial": 1,
    "complex": 3,
    "redesign": 5,
    "rearchitecture": 7,
    "unknown": 13,
}


class FileStatus(str, Enum):
    CHANGED = "changed"  # the rewrite changed the file (written only with --write)
    UNCHANGED = "unchanged"  # parsed and analysed; nothing to rewrite
    SKIPPED = "skipped"  # not analysed; `reason` says why
    FAILED = "failed"  # could not be analysed; see `errors`


@dataclass(frozen=True)
class Position:
    line: int  # 1-based
    column: int  # 0-based

    def to_dict(self) -> dict[str, int]:
        return {"line": self.line, "column": self.column}


@dataclass(frozen=True)
class Range:
    start: Position
    end: Position

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start.to_dict(), "end": self.end.to_dict()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Range:
        return cls(Position(**d["start"]), Position(**d["end"]))


@dataclass(frozen=True)
class Fix:
    """A rewrite of one source range: `content` replaces the original text of `range`."""

    title: str
    content: str

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "content": self.content}


@dataclass(frozen=True)
class Finding:
    rule_id: str
    rule_name: str
    path: str
    range: Range
    message: str
    safety: Safety
    status: Status
    category: Category = Category.MANDATORY
    effort: str = "trivial"  # a key of EFFORT_LEVELS
    fix: Fix | None = None
    snippet: str = ""  # the original source text of the range (first line at most 200 chars)

    @property
    def effort_points(self) -> int:
        return EFFORT_LEVELS[self.effort]

    @property
    def fingerprint(self) -> str:
        """A stable hash of rule, path and normalised snippet (SARIF partialFingerprints)."""
        norm = " ".join(self.snippet.split())
        return hashlib.sha256(f"{self.rule_id}\0{self.path}\0{norm}".encode()).hexdigest()[:32]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "rule_name": self.rule_name,
            "path": self.path,
            "range": self.range.to_dict(),
            "message": self.message,
            "safety": self.safety.value,
            "status": self.status.value,
            "category": self.category.value,
            "effort": self.effort,
            "effort_points": self.effort_points,
            "fix": self.fix.to_dict() if self.fix else None,
            "snippet": self.snippet,
            "fingerprint": self.fingerprint,
        }

    def json(self) -> str:
        """``json.dumps(self.to_dict())`` (one line, non-ASCII kept), computed once: the
        text is kept on the instance, so a worker that computes it sends it along with
        the finding (see ``Options.render_json``)."""
        text: str | None = self.__dict__.get("_json")
        if text is None:
            text = json.dumps(self.to_dict(), ensure_ascii=False)
            object.__setattr__(self, "_json", text)
        return text

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Finding:
        return cls(
            rule_id=d["rule_id"],
            rule_name=d["rule_name"],
            path=d["path"],
            range=Range.from_dict(d["range"]),
            message=d["message"],
            safety=Safety(d["safety"]),
            status=Status(d["status"]),
            category=Category(d["category"]),
            effort=d["effort"],
            fix=Fix(**d["fix"]) if d.get("fix") else None,
            snippet=d.get("snippet", ""),
        )


@dataclass(frozen=True)
class FileError:
    """Why a file could not be analysed. kind: parse | python2 | decode | binary | io | rule_crash | verify."""

    path: str
    kind: str
    message: str
    line: int | None = None
    column: int | None = None
    traceback: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FileResult:
    path: str
    status: FileStatus
    reason: str = ""  # for SKIPPED: why (no-tensorflow, generated, excluded, empty, notebook-no-code, ...)
    findings: tuple[Finding, ...] = ()
    errors: tuple[FileError, ...] = ()
    diff: str = ""  # unified diff of the rewrite ("" when unchanged)
    new_source: bytes | None = field(default=None, repr=False, compare=False)  # not serialised
    written: bool = False  # True when --write replaced the file on disk
    lines: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "status": self.status.value,
            "reason": self.reason,
            "findings": [f.to_dict() for f in self.findings],
            "errors": [e.to_dict() for e in self.errors],
            "diff": self.diff,
            "written": self.written,
            "lines": self.lines,
        }

    def json(self) -> str:
        """``json.dumps(self.to_dict())`` (one line, non-ASCII kept), with each finding's
        text from `Finding.json`."""
        head = json.dumps({"path": self.path, "status": self.status.value, "reason": self.reason}, ensure_ascii=False)
        tail = json.dumps(
            {"errors": [e.to_dict() for e in self.errors], "diff": self.diff, "written": self.written, "lines": self.lines},
            ensure_ascii=False,
        )
        findings = ", ".join(f.json() for f in self.findings)
        return f"{head[:-1]}, \"findings\": [{findings}], {tail[1:]}"

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FileResult:
        return cls(
            path=d["path"],
            status=FileStatus(d["status"]),
            reason=d.get("reason", ""),
            findings=tuple(Finding.from_dict(f) for f in d.get("findings", ())),
            errors=tuple(FileError(**e) for e in d.get("errors", ())),
            diff=d.get("diff", ""),
            written=d.get("written", False),
            lines=d.get("lines", 0),
        )


@dataclass(frozen=True)
class RuleInfo:
    """What a report says about a rule (SARIF rules[])."""

    id: str
    name: str
    pack: str
    short_description: str
    help_uri: str
    default_severity: str  # a Category value
    effort: str
    fix_safety: str  # a Safety value

    @property
    def story_points(self) -> int:
        return EFFORT_LEVELS[self.effort]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["story_points"] = self.story_points
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RuleInfo:
        d = dict(d)
        d.pop("story_points", None)
        return cls(**d)


@dataclass(frozen=True)
class Invocation:
    argv: tuple[str, ...]
    cwd: str
    started_at: str  # ISO 8601
    finished_at: str
    duration_s: float
    exit_code: int

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["argv"] = list(self.argv)
        return d


@dataclass(frozen=True)
class RunResult:
    migration: str  # "tf1-to-tf2" | "tf2-to-torch"
    source: str  # e.g. "tensorflow 1.15"
    target: str  # e.g. "tensorflow 2.21"
    files: tuple[FileResult, ...]
    rules: tuple[RuleInfo, ...]
    invocation: Invocation | None = None
    tool_version: str = ""
    equivalence: tuple[dict[str, Any], ...] = ()  # checker results (CheckResult.to_dict()), if any

    @property
    def findings(self) -> list[Finding]:
        return [f for fr in self.files for f in fr.findings]

    @property
    def errors(self) -> list[FileError]:
        return [e for fr in self.files for e in fr.errors]

    def summary(self) -> dict[str, Any]:
        findings = self.findings
        skipped: dict[str, int] = {}
        for fr in self.files:
            if fr.status is FileStatus.SKIPPED:
                skipped[fr.reason] = skipped.get(fr.reason, 0) + 1
        by_cat = {c.value: 0 for c in Category}
        by_status = {s.value: 0 for s in Status}
        fixes = {"applied": 0, "available_safe": 0, "available_unsafe": 0, "manual": 0}
        by_level = {k: 0 for k in EFFORT_LEVELS}
        for f in findings:
            by_status[f.status.value] += 1
            if f.status is Status.SUPPRESSED:
                continue
            by_cat[f.category.value] += 1
            if f.status is Status.APPLIED:
                fixes["applied"] += 1
            elif f.status is Status.AVAILABLE:
                fixes["available_safe" if f.safety is Safety.SAFE else "available_unsafe"] += 1
            else:
                fixes["manual"] += 1
            by_level[f.effort] += f.effort_points
        scanned = sum(1 for fr in self.files if fr.status in (FileStatus.CHANGED, FileStatus.UNCHANGED))
        changed = sum(1 for fr in self.files if fr.status is FileStatus.CHANGED)
        needing = sum(
            1
            for fr in self.files
            if fr.status is FileStatus.CHANGED
            or any(f.status in (Status.MANUAL, Status.AVAILABLE) for f in fr.findings)
        )
        active = [f for f in findings if f.status is not Status.SUPPRESSED]
        return {
            "files_total": len(self.files),
            "files_scanned": scanned,
            "files_changed": changed,
            "files_written": sum(1 for fr in self.files if fr.written),
            "files_failed": sum(1 for fr in self.files if fr.status is FileStatus.FAILED),
            "files_skipped": skipped,
            "pct_files_needing_change": round(100.0 * needing / scanned, 1) if scanned else 0.0,
            "findings_by_severity": by_cat,
            "findings_by_status": by_status,
            "fixes": fixes,
            "issues": len({f.rule_id for f in active}),
            "incidents": len(active),
            "story_points_total": sum(f.effort_points for f in active),
            "story_points_by_level": by_level,
            "lines_scanned": sum(fr.lines for fr in self.files),
        }

    def to_dict(self, *, entries: bool = True) -> dict[str, Any]:
        """The report document. Without `entries`, ``files`` and ``results`` are left
        empty (the JSON renderer writes them from ``FileResult.json``/``Finding.json``)."""
        files = [fr.to_dict() for fr in self.files] if entries else []
        return {
            "schema": "migrate-report/v1",
            "tool": {"name": "migrate", "version": self.tool_version},
            "migration": {"name": self.migration, "source": self.source, "target": self.target},
            "invocation": self.invocation.to_dict() if self.invocation else None,
            "summary": self.summary(),
            "rules": [r.to_dict() for r in self.rules],
            "files": files,
            "results": [f.to_dict() for f in self.findings] if entries else [],
            "errors": [e.to_dict() for e in self.errors],
            "equivalence": list(self.equivalence),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunResult:
        if d.get("schema") != "migrate-report/v1":
            raise ValueError(f"not a migrate-report/v1 document (schema={d.get('schema')!r})")
        inv = d.get("invocation")
        return cls(
            migration=d["migration"]["name"],
            source=d["migration"]["source"],
            target=d["migration"]["target"],
            files=tuple(FileResult.from_dict(f) for f in d["files"]),
            rules=tuple(RuleInfo.from_dict(r) for r in d["rules"]),
            invocation=Invocation(**{**inv, "argv": tuple(inv["argv"])}) if inv else None,
            tool_version=d["tool"]["version"],
            equivalence=tuple(d.get("equivalence", ())),
        )
