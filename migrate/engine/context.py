"""Per-file state shared by the rules of one pass: names, positions, findings, imports."""

from __future__ import annotations

import ast
import bisect
import functools
import io
import keyword
import re
import tokenize
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import libcst as cst

from migrate.engine.names import AliasMap, dotted_name
from migrate.engine.positions import (
    Positions,
    StatementPositions,
    _plain_chain,
    node_code,
)
from migrate.engine.relevance import (
    line_starts,
    parse_python,
    statement_lines,
    statement_texts,
)
from migrate.result import Category, Finding, Fix, Position, Range, Safety, Status

if TYPE_CHECKING:
    from migrate.rule import Rule

_IGNORE_RE = re.compile(r"#\s*migrate:\s*ignore(?:\[(?P<ids>[A-Za-z0-9_, ]+)\])?")
ALL = "*"
#: Compute positions from the innermost statement when possible (tests switch it off
#: to compare with positions from the whole module).
USE_STATEMENT_POSITIONS = True
#: Print unchanged statements from the source text (tests switch it off to compare).
USE_VERBATIM = True
#: the last statement of a body is printed from the source text too, when it is a line
#: of simple statements whose end is known (``relevance.statement_texts``)
USE_LAST_TEXTS = True
#: Take the position of a dotted name or a call from CPython's parse of its statement
#: when it is the only one of its text there (tests switch it off to compare).
USE_AST_POSITIONS = True
#: Take the position of a plain dotted name from the text of its statement when the
#: text occurs there once (tests switch it off to compare).
USE_TEXT_POSITIONS = True


@functools.lru_cache(maxsize=4096)
def _chain_pattern(text: str) -> re.Pattern[str]:
    """Occurrences of the dotted name `text` that could be a whole chain."""
    return re.compile(r"(?<![\w.])" + re.escape(text) + r"(?!\w)")


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
        # the texts each finding's node may have in the output (its snippet, and its fix's
        # content when the fix was applied); None: never dropped by findings_in
        self._finding_texts: list[tuple[str, ...] | None] = []
        #: a fix of a rule that RESTRUCTURES was applied (see findings_in)
        self.restructured = False
        self._codemod: Any = None  # libcst's CodemodContext, made when an import is scheduled
        self.removals_scheduled = False
        self.removals: list[tuple[str, str | None, str | None]] = []
        self.additions_scheduled = False
        self._positions: Positions | None = None
        # Positions of single statements (see range_of): the statements the traversal is
        # inside (innermost last), their start lines, and the positions computed so far.
        self.statement_stack: list[cst.CSTNode] = []
        self._statement_lines: dict[int, tuple[int, str]] | None | bool = False
        self._statement_positions: dict[tuple[int, str], StatementPositions] = {}
        self._statement_asts: dict[int, Any] = {}
        self._qnames: dict[int, tuple[cst.CSTNode, str | None]] = {}
        self._ast_spans: dict[int, dict[tuple[str, str], list[Any]] | None] = {}
        #: the node whose hooks the traversal is running (set by the batched transformer)
        self.focus: list[cst.CSTNode | None] = [None]
        self._python_ast: Any = False
        self._suppressed = suppressions(source_text)
        self._lines: list[str] | None = None
        self._line_starts: list[int] | None = None  # CPython's line numbering
        self.state: dict[str, Any] = {}  # scratch space shared between rules of one file
        self._kept: list[tuple[int, int]] = []  # line ranges no rule may rewrite (see keep())

    # -- names -------------------------------------------------------------------------
    def qname(self, node: cst.BaseExpression) -> str | None:
        # Several rules ask for the same node (about five times each on TF1 code): the
        # answer is kept with the node itself, so that an id() is never reused for it.
        hit = self._qnames.get(id(node))
        if hit is not None and hit[0] is node:
            return hit[1]
        q = self.aliases.resolve(node)
        if q is not None:
            q = self._canonicalize(q)
        self._qnames[id(node)] = (node, q)
        return q

    def canonical(self, qualified: str) -> str | None:
        return self._canonicalize(qualified)

    def supersede(self, original: cst.CSTNode) -> None:
        keep = [(n, f, t) for n, f, t in zip(self._finding_nodes, self.findings, self._finding_texts) if n != id(original)]
        self._finding_nodes = [n for n, _, _ in keep]
        self.findings = [f for _, f, _ in keep]
        self._finding_texts = [t for _, _, t in keep]

    def findings_in(self, output: str) -> list[Finding]:
        """The findings, less those about code a restructuring replaced.

        When a rule that RESTRUCTURES applied a fix (TF2120 made Session code eager, TF2130
        made a model function a Keras layer), the other rules' findings recorded on the
        original code may describe a name the output no longer has (TF2001's "kept as
        tf.compat.v1" on a placeholder that became a function argument, its manual item
        on `slim.batch_norm` that became a BatchNormalization layer): the restructuring's
        own finding says what became of that code. Such a finding is dropped when the
        dotted name (or import) it is about occurs nowhere in the output's code (strings
        and comments aside), neither as the source wrote it nor as its applied fix wrote
        it. A name that still occurs anywhere keeps every finding on it; suppressed
        findings and the restructuring rules' own findings are kept.
        """
        if not self.restructured:
            return self.findings
        code = _code_tokens(output)
        if code is None:
            return self.findings
        keep: list[Finding] = []
        for f, texts in zip(self.findings, self._finding_texts):
            keys = [_leading_key(t) for t in texts] if texts else [None]
            if any(k is None or f" {k} " in code for k in keys):
                keep.append(f)
        return keep

    # -- positions ---------------------------------------------------------------------
    def python_ast(self) -> Any:
        """CPython's parse of the source (None when the running Python cannot parse it)."""
        if self._python_ast is False:
            self._python_ast = parse_python(self.source_text)
        return self._python_ast

    def range_of(self, node: cst.CSTNode) -> Range:
        span = None
        if self._positions is None:
            span = self._statement_span(node)
            if span is None:
                self._positions = Positions(self.module)
        if span is None:
            span = self._positions.span(node)  # type: ignore[union-attr]
        if span is None:
            return Range(Position(1, 0), Position(1, 0))
        (sl, sc), (el, ec) = span
        return Range(Position(sl, sc), Position(el, ec))

    def _statement_index(self) -> dict[int, tuple[int, str]] | None:
        if self._statement_lines is False:
            self._statement_lines = statement_lines(self.module, self.source_text, self.python_ast(), self._statement_asts)
        return self._statement_lines  # type: ignore[return-value]

    def verbatim(self) -> dict[int, tuple[str, str]] | None:
        """Source text of the statements that can be printed as they were written (see
        ``positions.code_of``); None when statements and lines cannot be matched."""
        if not USE_VERBATIM:
            return None
        lines = self._statement_index()
        return statement_texts(self.module, self.source_text, lines, self._statement_asts if USE_LAST_TEXTS else None) if lines else None

    def _statement_span(self, node: cst.CSTNode) -> tuple[tuple[int, int], tuple[int, int]] | None:
        """The span of `node` from a print of the innermost statement the traversal is in,
        when `node` lies in it; None otherwise (the caller prints the whole module)."""
        if not self.statement_stack or not USE_STATEMENT_POSITIONS:
            return None
        lines = self._statement_index()
        if not lines:
            return None
        innermost = True
        for stmt in reversed(self.statement_stack):  # innermost first (an elif is not indexed)
            where = lines.get(id(stmt))
            if where is None:
                continue
            if innermost and node is self.focus[0] and USE_AST_POSITIONS:
                kind = type(node)
                if kind in _CHAIN_TYPES:
                    span = self._ast_span(stmt, node)
                elif kind in _IMPORT_TYPES:
                    span = self._import_span(stmt, node)
                else:
                    span = None
                if span is not None:
                    return span
            innermost = False
            body = getattr(stmt, "body", None)
            # A compound statement: first its header alone (the usual place of a finding
            # on it; printing the body would cost as much as the body's own statements).
            variants = ("head", "full") if isinstance(body, cst.IndentedBlock) and body.body else ("full",)
            for variant in variants:
                key = (id(stmt), variant)
                found = self._statement_positions.get(key)
                if found is None:
                    shown = stmt.with_changes(body=body.with_changes(body=())) if variant == "head" else stmt  # type: ignore[union-attr]
                    found = self._statement_positions[key] = StatementPositions(shown, where[0], where[1], self.module)
                span = found.span(node)
                if span is not None:
                    return span
        return None

    def _ast_span(self, stmt: cst.CSTNode, node: cst.CSTNode) -> tuple[tuple[int, int], tuple[int, int]] | None:
        """The span of `node` (a dotted name or a call of one, in `stmt`) from CPython's
        parse, when `stmt` holds exactly one expression of that text; None otherwise.

        Only for the node whose hooks are running (so it lies in `stmt`, the innermost
        statement the traversal is in). A pure Name/Attribute chain is an ``ast.Attribute``
        in CPython's tree too, with the same start and end (both exclude the node's own
        parentheses; a call's end is its closing parenthesis), except in import statements
        (dotted module names are plain strings there: such lines take the slow path) and
        inside f-strings (whose inner positions Python 3.11 does not always get right:
        texts seen there are never taken).
        """
        if type(node) is not cst.Call and USE_TEXT_POSITIONS:
            span = self._text_span(stmt, node)
            if span is not None:
                return span
        if id(stmt) in self._ast_spans:
            chains = self._ast_spans[id(stmt)]
        else:
            found = self._statement_asts.get(id(stmt))
            chains = self._ast_spans[id(stmt)] = _chain_index(found) if found is not None else None
        if chains is None:
            return None
        if type(node) is cst.Call:
            text = dotted_name(node.func)  # type: ignore[attr-defined]
            kind = "call"
        else:
            text = dotted_name(node)  # type: ignore[arg-type]
            kind = "name"
        if text is None:
            return None
        hits = chains.get((kind, text))
        if hits is None or len(hits) != 1:
            return None
        return self._span_of(hits[0])

    def _span_of(self, a: Any) -> tuple[tuple[int, int], tuple[int, int]]:
        """The span of a CPython tree node, columns in characters."""
        return (a.lineno, self._column(a.lineno, a.col_offset)), (a.end_lineno, self._column(a.end_lineno, a.end_col_offset))

    def _import_span(self, stmt: cst.CSTNode, node: cst.CSTNode) -> tuple[tuple[int, int], tuple[int, int]] | None:
        """The span of an import statement from CPython's parse of its line (the two
        agree on where an import starts and ends: neither counts the semicolon)."""
        found = self._statement_asts.get(id(stmt))
        body = getattr(stmt, "body", None)
        if not found or not isinstance(body, (list, tuple)) or len(found) != len(body):
            return None
        for small, a in zip(body, found):
            if small is node:
                if not isinstance(a, (ast.Import, ast.ImportFrom)) or a.end_lineno is None or a.end_col_offset is None:
                    return None
                return self._span_of(a)
        return None

    def line_starts(self) -> list[int]:
        """Offsets of the source's lines (CPython's line breaks)."""
        if self._line_starts is None:
            self._line_starts = line_starts(self.source_text)
        return self._line_starts

    def statement_first_line(self, stmt: cst.CSTNode) -> int | None:
        """The line the text of a statement of a body starts on (its leading blank and
        comment lines included), when statements and lines are matched."""
        lines = self._statement_index()
        where = lines.get(id(stmt)) if lines else None
        return where[0] if where is not None else None

    def _text_span(self, stmt: cst.CSTNode, node: cst.CSTNode) -> tuple[tuple[int, int], tuple[int, int]] | None:
        """The span of `node` from `text_offset` (one line: a plain dotted name)."""
        found = self.text_offset(stmt, node)
        if found is None:
            return None
        offset, length = found
        starts = self.line_starts()
        line = bisect.bisect_right(starts, offset)
        column = offset - starts[line - 1]
        return (line, column), (line, column + length)

    def text_offset(self, stmt: cst.CSTNode, node: cst.CSTNode) -> tuple[int, int] | None:
        """(offset in the source, length) of `node`, a dotted name written without spaces
        or parentheses, when its text occurs exactly once in the source lines of `stmt`
        (comments and strings included); None otherwise.

        The node's own text is one of the occurrences the pattern finds (a chain starts
        with a name, which follows neither a word character nor a dot, and ends with one,
        which no word character follows), so a single occurrence is the node."""
        found = self._statement_asts.get(id(stmt))
        if not found:
            return None
        text = _plain_chain(node)
        if text is None:
            return None
        starts = self.line_starts()
        # a decorated definition starts at its first decorator (CPython's lineno is the
        # line of `def`/`class`)
        first = min([found[0].lineno, *(d.lineno for d in getattr(found[0], "decorator_list", ()))])
        last = found[-1].end_lineno
        if last is None or last > len(starts):
            return None
        begin = starts[first - 1]
        segment = self.source_text[begin : starts[last] if last < len(starts) else None]
        hits = segment.count(text)
        if hits == 1:  # the node's own text
            return begin + segment.index(text), len(text)
        if hits > 1:
            matches = list(_chain_pattern(text).finditer(segment))
            if len(matches) == 1:
                return begin + matches[0].start(), len(text)
        return None

    def _column(self, line: int, offset: int) -> int:
        """CPython's UTF-8 byte offset on `line` as a character column."""
        starts = self.line_starts()
        text = self.source_text[starts[line - 1] : starts[line] if line < len(starts) else None]
        if text.isascii():
            return offset
        return len(text.encode("utf-8")[:offset].decode("utf-8", "replace"))

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
            content = node_code(replacement, self.module)
        elif isinstance(replacement, cst.FlattenSentinel):
            content = "".join(node_code(n, self.module) for n in replacement.nodes)
        else:
            content = ""
        fix = Fix(title=title or rule.MESSAGE, content=content)
        self._add(rule, original, rng, message, safety, status, category, effort, fix, applied)
        if applied and rule.RESTRUCTURES:
            self.restructured = True
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
        applied: bool = False,
    ) -> None:
        self._finding_nodes.append(id(original))
        finding = Finding(
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
        self.findings.append(finding)
        self._finding_texts.append(
            None if rule.RESTRUCTURES or status is Status.SUPPRESSED
            else (finding.snippet, fix.content) if applied and fix is not None else (finding.snippet,)
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


_CHAIN_TYPES = (cst.Attribute, cst.Call)
_IMPORT_TYPES = (cst.Import, cst.ImportFrom)


_KEY_RE = re.compile(r"\s*(?:(from)\s+([A-Za-z_][\w.]*)\s+import\b|(import)\s+([A-Za-z_][\w.]*)|([A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*))")


def _leading_key(text: str) -> str | None:
    """The tokens, joined by spaces, of the dotted name a finding's text starts with
    (``tf . compat . v1 . placeholder`` for ``tf.compat.v1.placeholder(tf.float32)``), or
    of its import (``from tensorflow . contrib import``); None when it starts otherwise
    (a keyword, a bracket, an empty fix)."""
    m = _KEY_RE.match(text)
    if m is None:
        return None
    if m.group(1):
        return "from " + " . ".join(m.group(2).split(".")) + " import"
    if m.group(3):
        return "import " + " . ".join(m.group(4).split("."))
    parts = [p.strip() for p in m.group(5).split(".")]
    if keyword.iskeyword(parts[0]):
        return None
    return " . ".join(parts)


_CODE_TOKENS = frozenset({tokenize.NAME, tokenize.OP, tokenize.NUMBER})


def _code_tokens(source: str) -> str | None:
    """The source's names, operators and numbers (no strings, comments, layout) joined
    by single spaces, with a space at either end; None when it does not tokenize."""
    try:
        toks = [t.string for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type in _CODE_TOKENS]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    return " " + " ".join(toks) + " "


def _chain_text(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _chain_index(stmts: Any) -> dict[tuple[str, str], list[Any]] | None:
    """("name", "a.b.c") -> the ast.Attribute nodes of that text in `stmts`, ("call",
    "a.b") -> the calls of it; None for a line with an import (see `_ast_span`)."""
    out: dict[tuple[str, str], list[Any]] = {}
    fstring: set[tuple[str, str]] = set()
    stack: list[Any] = []
    for stmt in stmts:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            return None
        stack.append((stmt, False))
    while stack:  # every node below the statements (ast.walk, without its generators)
        a, in_fstring = stack.pop()
        cls = a.__class__
        key = None
        if cls is ast.Attribute:
            text = _chain_text(a)
            key = ("name", text) if text is not None else None
        elif cls is ast.Call:
            text = _chain_text(a.func)
            key = ("call", text) if text is not None else None
        elif cls is ast.JoinedStr:
            in_fstring = True
        if key is not None:
            if in_fstring:
                fstring.add(key)
            else:
                out.setdefault(key, []).append(a)
        for name in a._fields:
            value = getattr(a, name, None)
            if value.__class__ is list:
                stack.extend((v, in_fstring) for v in value if isinstance(v, ast.AST))
            elif isinstance(value, ast.AST) and not isinstance(value, ast.expr_context):
                stack.append((value, in_fstring))
    for key in fstring:
        out.pop(key, None)
    return out
