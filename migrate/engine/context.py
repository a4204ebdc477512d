"""Per-file state shared by the rules of one pass: names, positions, findings, imports."""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import libcst as cst

from migrate.engine.names import AliasMap
from migrate.engine.positions import Positions
from migrate.result import Category, Finding, Fix, Position, Range, Safety, Status

if TYPE_CHECKING:
    from migrate.rule import Rule

_IGNORE_RE = re.compile(r"#\s*migrate:\s*ignore(?:\[(?P<ids>[A-Za-z0-9_, ]+)\])?")
ALL = "*"


def suppressions(source: str) -> dict[int, set[str]]:
    """Line -> rule IDs (or ``*``) silenced by ``# migrate: ignore[ID, ...]`` comments."""
    if "migrate:" not in source:
        return {}
    out: dict[int, set[str]] = {}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return out
    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            continue
        m = _IGNORE_RE.search(tok.string)
        if not m:
            continue
        ids = m.group("ids")
        out.setdefault(tok.start[0], set()).update(
            {i.strip() for i in ids.split(",") if i.strip()} if ids else {ALL}
        )
    return out


class FileContext:
    def __init__(
        self,
        *,
        path: str,
        module: cst.Module,
        source_text: str,
        canonicalize: Callable[[str], str | None],
        unsafe_fixes: bool,
    ) -> None:
        self.path = path
        self.module = module
        self.source_text = source_text
        self.aliases = AliasMap.from_module(module)
        self._canonicalize = canonicalize
        self.unsafe_fixes = unsafe_fixes
        self.findings: list[Finding] = []
        self._finding_nodes: list[int] = []  # id() of the original node of each finding
        self._codemod: Any = None  # libcst's CodemodContext, made when an import is scheduled
        self.removals_scheduled = False
        self.removals: list[tuple[str, str | None, str | None]] = []
        self.additions_scheduled = False
        self._positions: Positions | None = None
        self._suppressed = suppressions(source_text)
        self._lines: list[str] | None = None
        self.state: dict[str, Any] = {}  # scratch space shared between rules of one file
        self._kept: list[tuple[int, int]] = []  # line ranges no rule may rewrite (see keep())

    # -- names -------------------------------------------------------------------------
    def qname(self, node: cst.BaseExpression) -> str | None:
        q = self.aliases.resolve(node)
        return self._canonicalize(q) if q is not None else None

    def canonical(self, qualified: str) -> str | None:
        return self._canonicalize(qualified)

    def supersede(self, original: cst.CSTNode) -> None:
        keep = [(n, f) for n, f in zip(self._finding_nodes, self.findings) if n != id(original)]
        self._finding_nodes = [n for n, _ in keep]
        self.findings = [f for _, f in keep]

    # -- positions ---------------------------------------------------------------------
    def range_of(self, node: cst.CSTNode) -> Range:
        if self._positions is None:
            self._positions = Positions(self.module)
        span = self._positions.span(node)
        if span is None:
            return Range(Position(1, 0), Position(1, 0))
        (sl, sc), (el, ec) = span
        return Range(Position(sl, sc), Position(el, ec))

    def keep(self, node: cst.CSTNode) -> None:
        """Leave `node` as it is: later fixes and manual items of any rule inside it are
        dropped (the rule that calls this reports the region once, e.g. a Keras class the
        tf2-to-torch pack cannot convert, whose TensorFlow code must stay TensorFlow)."""
        rng = self.range_of(node)
        self._kept.append((rng.start.line, rng.end.line))

    def _is_kept(self, rng: Range) -> bool:
        return any(a <= rng.start.line and rng.end.line <= b for a, b in self._kept)

    def _is_suppressed(self, rule_id: str, rng: Range) -> bool:
        for line in {rng.start.line, rng.end.line}:
            ids = self._suppressed.get(line)
            if ids and (ALL in ids or rule_id in ids or any(rule_id.startswith(i) for i in ids)):
                return True
        return False

    def _snippet(self, rng: Range) -> str:
        """The first source line of a finding, from its start column (200 chars at most)."""
        if self._lines is None:
            self._lines = self.source_text.splitlines()
        i = rng.start.line - 1
        if not 0 <= i < len(self._lines):
            return ""
        return self._lines[i][rng.start.column :].strip()[:200]

    # -- findings ----------------------------------------------------------------------
    def record_fix(
        self,
        rule: Rule,
        original: cst.CSTNode,
        updated: Any,
        replacement: Any,
        *,
        message: str | None,
        safety: Safety,
        effort: str | None,
        category: Category | None,
        manual: bool,
        title: str | None,
    ) -> Any:
        rng = self.range_of(original)
        if self._kept and self._is_kept(rng):
            return updated
        if self._is_suppressed(rule.ID, rng):
            status = Status.SUPPRESSED
        elif safety is Safety.MANUAL:
            status = Status.MANUAL
        elif safety is Safety.UNSAFE and not self.unsafe_fixes:
            status = Status.AVAILABLE
        else:
            status = Status.MANUAL if manual else Status.APPLIED
        applied = status in (Status.APPLIED,) or (status is Status.MANUAL and manual)
        if isinstance(replacement, cst.CSTNode):
            content = self.module.code_for_node(replacement)
        elif isinstance(replacement, cst.FlattenSentinel):
            content = "".join(self.module.code_for_node(n) for n in replacement.nodes)
        else:
            content = ""
        fix = Fix(title=title or rule.MESSAGE, content=content)
        self._add(rule, original, rng, message, safety, status, category, effort, fix)
        return replacement if applied else updated

    def record_manual(
        self,
        rule: Rule,
        original: cst.CSTNode,
        *,
        message: str | None,
        effort: str | None,
        category: Category | None,
    ) -> None:
        rng = self.range_of(original)
        if self._kept and self._is_kept(rng):
            return
        status = Status.SUPPRESSED if self._is_suppressed(rule.ID, rng) else Status.MANUAL
        self._add(rule, original, rng, message, Safety.MANUAL, status, category, effort, None)

    def _add(
        self,
        rule: Rule,
        original: cst.CSTNode,
        rng: Range,
        message: str | None,
        safety: Safety,
        status: Status,
        category: Category | None,
        effort: str | None,
        fix: Fix | None,
    ) -> None:
        self._finding_nodes.append(id(original))
        self.findings.append(
            Finding(
                rule_id=rule.ID,
                rule_name=rule.NAME,
                path=self.path,
                range=rng,
                message=message or rule.MESSAGE,
                safety=safety,
                status=status,
                category=category or rule.CATEGORY,
                effort=effort or rule.EFFORT,
                fix=fix,
                snippet=self._snippet(rng),
            )
        )

    def last_finding_applied(self) -> bool:
        return bool(self.findings) and self.findings[-1].status is Status.APPLIED

    # -- imports -----------------------------------------------------------------------
    @property
    def codemod(self) -> Any:
        """libcst's CodemodContext for the import visitors (libcst.codemod is imported
        only when a file needs it: it costs a third of the start-up)."""
        if self._codemod is None:
            from libcst.codemod import CodemodContext

            self._codemod = CodemodContext(filename=self.path)
        return self._codemod

    def add_import(self, module: str, obj: str | None, asname: str | None) -> None:
        from libcst.codemod.visitors import AddImportsVisitor

        AddImportsVisitor.add_needed_import(self.codemod, module, obj, asname)
        self.additions_scheduled = True

    def remove_import(self, module: str, obj: str | None, asname: str | None) -> None:
        # applied by the engine after the pass (see transform.run_pass)
        self.removals.append((module, obj, asname))
        self.removals_scheduled = True

    def free_name(self, preferred: str, *alternatives: str) -> str:
        """A local name not already bound in this file (for an import we add)."""
        for cand in (preferred, *alternatives):
            if not self.aliases.is_bound(cand):
                return cand
        i = 2
        while self.aliases.is_bound(f"{preferred}{i}"):
            i += 1
        return f"{preferred}{i}"
