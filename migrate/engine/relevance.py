"""Which statements of a file a name-scoped pass may skip without looking inside.

Most rules act only on code that spells a name the file imports from the pack's library
(``tf.nn.relu``, ``slim.conv2d``, a bare ``placeholder`` imported from tensorflow). Such a
rule declares ``SCOPE = "names"`` (see ``engine.transform``), and when every rule of a pass
does, the traversal does not descend into statements that mention none of those names:
libcst's Python-level traversal (it rebuilds every node it visits) is the largest cost of a
pass, and in real TF1 files a good part of the statements never mention TensorFlow.

Deciding costs almost nothing: CPython's own parser (C) gives every statement its line
range, one regular expression finds the lines that spell a relevant name, and the libcst
and ``ast`` statement lists line up one to one (a ``SimpleStatementLine`` holding ``k``
small statements is ``k`` ast statements). Where anything does not line up, or the
running Python cannot parse the file, nothing is skipped.

Errs towards looking: a name in a string or a comment counts, so does a whole multi-line
statement for one mention, and import statements are never skipped.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Iterable, Sequence

import libcst as cst

_NEWLINE = re.compile(r"\r\n|\r|\n")

# libcst compound statement -> the ast statement types it may correspond to
_COMPOUND: dict[type[cst.CSTNode], tuple[type[ast.AST], ...]] = {
    cst.FunctionDef: (ast.FunctionDef, ast.AsyncFunctionDef),
    cst.ClassDef: (ast.ClassDef,),
    cst.If: (ast.If,),
    cst.For: (ast.For, ast.AsyncFor),
    cst.While: (ast.While,),
    cst.Try: (ast.Try,),
    cst.With: (ast.With, ast.AsyncWith),
}
if hasattr(cst, "TryStar") and hasattr(ast, "TryStar"):
    _COMPOUND[cst.TryStar] = (ast.TryStar,)
if hasattr(ast, "Match"):
    _COMPOUND[cst.Match] = (ast.Match,)

_IMPORTS = (ast.Import, ast.ImportFrom)


class _Misaligned(Exception):
    pass


def name_pattern(names: Iterable[str]) -> re.Pattern[str]:
    """A regex that finds the names as whole identifiers (not after a dot), and the
    keyword ``import`` (so that no statement holding an import is ever skipped)."""
    words = sorted({n for n in names if n.isidentifier()} | {"import"}, key=len, reverse=True)
    return re.compile(r"(?<![\w.])(?:" + "|".join(map(re.escape, words)) + r")(?!\w)")


def line_starts(source: str) -> list[int]:
    """Offsets of the first character of each line (CPython's line breaks)."""
    starts = [0]
    starts.extend(m.end() for m in _NEWLINE.finditer(source))
    return starts


def parse_python(source: str) -> ast.Module | None:
    """CPython's parse of `source`, or None when the running Python cannot parse it."""
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def skippable(module: cst.Module, source: str, names: Iterable[str], tree: ast.Module | None = None) -> set[int] | None:
    """``id()`` of the statement nodes of `module` whose lines spell none of `names`.

    `source` is the text `module` was parsed from (`tree` its CPython parse, when the
    caller has it). Returns None when the statements cannot be matched with CPython's parse
    of the same text.
    """
    if tree is None:
        tree = parse_python(source)
        if tree is None:
            return None
    starts = line_starts(source)
    hits: list[int] = []
    last = -1
    for m in name_pattern(names).finditer(source):
        line = bisect.bisect_right(starts, m.start())  # 1-based line of the match
        if line != last:
            hits.append(line)
            last = line
    skip: set[int] = set()
    try:
        _walk(module.body, tree.body, hits, skip)
    except (_Misaligned, AttributeError, IndexError):
        return None
    return skip


def statement_lines(
    module: cst.Module,
    source: str,
    tree: ast.Module | None = None,
    asts: dict[int, Sequence[ast.stmt]] | None = None,
) -> dict[int, tuple[int, str]] | None:
    """``id()`` of every statement that is an element of a body (the module's or an
    indented block's) -> (the 1-based line its printed text starts on, counting its own
    leading blank and comment lines, and the indentation of that block). `asts`, when
    given, receives the CPython statements of each (the ones of a line of simple
    statements; the compound statement itself).

    None when the statements do not line up with CPython's parse, or when the text has
    line breaks CPython and libcst may count differently (a lone ``\r``).
    """
    if tree is None:
        tree = parse_python(source)
        if tree is None:
            return None
    if "\r" in source.replace("\r\n", ""):
        return None
    lines = source.splitlines()
    out: dict[int, tuple[int, str]] = {}
    try:
        _index(module.body, tree.body, lines, out, asts)
    except (_Misaligned, AttributeError, IndexError):
        return None
    return out


def _index(
    body: Sequence[cst.CSTNode],
    stmts: Sequence[ast.stmt],
    lines: list[str],
    out: dict[int, tuple[int, str]],
    asts: dict[int, Sequence[ast.stmt]] | None,
) -> None:
    i = 0
    for node in body:
        if isinstance(node, cst.SimpleStatementLine):
            group = _group(node, stmts, i)
            i += len(group)
            first = group[0].lineno
            if asts is not None:
                asts[id(node)] = group
        else:
            if i >= len(stmts):
                raise _Misaligned
            a = stmts[i]
            i += 1
            kinds = _COMPOUND.get(type(node))
            if kinds is None or not isinstance(a, kinds):
                raise _Misaligned
            first = _first_line(a)
            if asts is not None:
                asts[id(node)] = (a,)
            for suite, inner in _suites(node, a):
                if isinstance(suite, cst.IndentedBlock):
                    _index(suite.body, inner, lines, out, asts)
        text = lines[first - 1]
        indent = text[: len(text) - len(text.lstrip(" \t"))]
        out[id(node)] = (first - len(node.leading_lines), indent)  # type: ignore[attr-defined]
    if i != len(stmts):
        raise _Misaligned


def _suites(node: cst.CSTNode, a: ast.stmt) -> list[tuple[cst.BaseSuite, Sequence[ast.stmt]]]:
    """The suites of a compound statement with the ast statements of each (an ``elif``
    contributes its own suites); raises _Misaligned when the two parses disagree."""
    out: list[tuple[cst.BaseSuite, Sequence[ast.stmt]]] = []
    if type(node).__name__ == "Match":
        cases = node.cases  # type: ignore[attr-defined]
        if len(cases) != len(a.cases):  # type: ignore[attr-defined]
            raise _Misaligned
        return [(c.body, ac.body) for c, ac in zip(cases, a.cases)]  # type: ignore[attr-defined]
    out.append((node.body, a.body))  # type: ignore[attr-defined]
    if isinstance(node, cst.If):
        orelse = node.orelse
        if isinstance(orelse, cst.If):
            if len(a.orelse) != 1 or not isinstance(a.orelse[0], ast.If):  # type: ignore[attr-defined]
                raise _Misaligned
            out.extend(_suites(orelse, a.orelse[0]))  # type: ignore[attr-defined]
        elif isinstance(orelse, cst.Else):
            out.append((orelse.body, a.orelse))  # type: ignore[attr-defined]
        elif a.orelse:  # type: ignore[attr-defined]
            raise _Misaligned
    elif isinstance(node, (cst.For, cst.While)):
        out.extend(_else_suite(node.orelse, a.orelse))  # type: ignore[attr-defined]
    elif isinstance(node, cst.Try) or type(node).__name__ == "TryStar":
        handlers = node.handlers  # type: ignore[attr-defined]
        if len(handlers) != len(a.handlers):  # type: ignore[attr-defined]
            raise _Misaligned
        out.extend((h.body, ah.body) for h, ah in zip(handlers, a.handlers))  # type: ignore[attr-defined]
        out.extend(_else_suite(node.orelse, a.orelse))  # type: ignore[attr-defined]
        final = node.finalbody  # type: ignore[attr-defined]
        if final is not None:
            out.append((final.body, a.finalbody))  # type: ignore[attr-defined]
        elif a.finalbody:  # type: ignore[attr-defined]
            raise _Misaligned
    for suite, inner in out:
        if isinstance(suite, cst.SimpleStatementSuite):
            if len(suite.body) != len(inner):
                raise _Misaligned
        elif not isinstance(suite, cst.IndentedBlock):
            raise _Misaligned
    return out


def _else_suite(orelse: cst.Else | None, stmts: Sequence[ast.stmt]) -> list[tuple[cst.BaseSuite, Sequence[ast.stmt]]]:
    if orelse is None:
        if stmts:
            raise _Misaligned
        return []
    return [(orelse.body, stmts)]


def _mentions(hits: list[int], first: int, last: int) -> bool:
    i = bisect.bisect_left(hits, first)
    return i < len(hits) and hits[i] <= last


def _walk(body: Sequence[cst.CSTNode], stmts: Sequence[ast.stmt], hits: list[int], skip: set[int]) -> None:
    i = 0
    for node in body:
        if isinstance(node, cst.SimpleStatementLine):
            group = _group(node, stmts, i)
            i += len(group)
            if any(isinstance(a, _IMPORTS) for a in group):
                continue
            if not _mentions(hits, group[0].lineno, group[-1].end_lineno or group[-1].lineno):
                skip.add(id(node))
            continue
        if i >= len(stmts):
            raise _Misaligned
        a = stmts[i]
        i += 1
        kinds = _COMPOUND.get(type(node))
        if kinds is None or not isinstance(a, kinds):
            raise _Misaligned
        if not _mentions(hits, _first_line(a), a.end_lineno or a.lineno):
            skip.add(id(node))
            continue
        for suite, inner in _suites(node, a):
            if isinstance(suite, cst.IndentedBlock):
                _walk(suite.body, inner, hits, skip)
            # a one-line suite is already known to mention a name (or part of a header
            # that does): nothing to skip inside
    if i != len(stmts):
        raise _Misaligned


def _group(line: cst.SimpleStatementLine, stmts: Sequence[ast.stmt], i: int) -> Sequence[ast.stmt]:
    """The ast statements of the small statements of `line`, starting at `stmts[i]`."""
    k = len(line.body)
    group = stmts[i : i + k]
    if len(group) != k or not group:
        raise _Misaligned
    for small, a in zip(line.body, group):
        if type(small).__name__ != type(a).__name__:
            raise _Misaligned
    return group


def _first_line(a: ast.stmt) -> int:
    first = a.lineno
    for dec in getattr(a, "decorator_list", ()):
        first = min(first, dec.lineno)
    return first


def statement_texts(
    module: cst.Module,
    source: str,
    lines: dict[int, tuple[int, str]],
    asts: dict[int, Sequence[ast.stmt]] | None = None,
) -> dict[int, tuple[str, str]]:
    """``id()`` of each statement followed by a sibling in its body -> (its source text,
    the indentation of its block). Its text runs from its first line (`lines`, see
    `statement_lines`) to the first line of the next statement of the same body.

    The last statement of a body is followed by block footers or the module's end; it has
    an entry only when it is a line of simple statements whose CPython statements (`asts`,
    as `statement_lines` fills it) end on its last line with nothing after them there but
    spaces, a semicolon and a comment: its text then ends with that line's line break."""
    starts = line_starts(source)
    out: dict[int, tuple[str, str]] = {}
    bom = 1 if source.startswith("\ufeff") else 0

    def body(stmts: Sequence[cst.CSTNode]) -> None:
        for stmt, nxt in zip(stmts, stmts[1:]):
            a, b = lines.get(id(stmt)), lines.get(id(nxt))
            if a is not None and b is not None and a[0] < b[0] and not (bom and a[0] == 1):
                out[id(stmt)] = (source[starts[a[0] - 1] : starts[b[0] - 1]], a[1])
        if asts is not None and stmts and type(stmts[-1]) is cst.SimpleStatementLine:
            last = stmts[-1]
            a = lines.get(id(last))
            text = _last_line_text(source, starts, a[0], asts.get(id(last))) if a is not None and not (bom and a[0] == 1) else None
            if text is not None:
                out[id(last)] = (text, a[1])  # type: ignore[index]
        for stmt in stmts:
            for block in _blocks_of(stmt):
                body(block.body)

    body(module.body)
    return out


#: what may follow the last statement on its line: spaces, a semicolon, a comment, the break
_LINE_TAIL = re.compile(r"[ \t\f]*;?[ \t\f]*(#[^\r\n]*)?(\r\n|\n)\Z")


def _last_line_text(source: str, starts: list[int], first: int, found: Sequence[ast.stmt] | None) -> str | None:
    """The source text of a line of simple statements from its `first` line (its leading
    lines included) through the line break of the line its last statement ends on; None
    when that cannot be told (see `statement_texts`)."""
    if not found:
        return None
    end = found[-1]
    end_line, end_col = end.end_lineno, end.end_col_offset
    if end_line is None or end_col is None or end_line >= len(starts):
        return None
    line = source[starts[end_line - 1] : starts[end_line]]
    tail = line.encode("utf-8")[end_col:]  # CPython's columns count UTF-8 bytes
    try:
        rest = tail.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if _LINE_TAIL.match(rest) is None:
        return None
    return source[starts[first - 1] : starts[end_line]]


def _blocks_of(node: cst.CSTNode) -> list[cst.IndentedBlock]:
    out: list[cst.IndentedBlock] = []
    suite = getattr(node, "body", None)
    if isinstance(suite, cst.IndentedBlock):
        out.append(suite)
    orelse = getattr(node, "orelse", None)
    if isinstance(orelse, cst.If):
        out.extend(_blocks_of(orelse))
    elif isinstance(orelse, cst.Else) and isinstance(orelse.body, cst.IndentedBlock):
        out.append(orelse.body)
    for part in [*getattr(node, "handlers", ()), *getattr(node, "cases", ())]:
        if isinstance(part.body, cst.IndentedBlock):
            out.append(part.body)
    final = getattr(node, "finalbody", None)
    if final is not None and isinstance(final.body, cst.IndentedBlock):
        out.append(final.body)
    return out
