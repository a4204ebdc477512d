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


def skippable(module: cst.Module, source: str, names: Iterable[str]) -> set[int] | None:
    """``id()`` of the statement nodes of `module` whose lines spell none of `names`.

    `source` is the text `module` was parsed from. Returns None when the statements
    cannot be matched with CPython's parse of the same text.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    starts = [0]
    starts.extend(m.end() for m in _NEWLINE.finditer(source))
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


def _mentions(hits: list[int], first: int, last: int) -> bool:
    i = bisect.bisect_left(hits, first)
    return i < len(hits) and hits[i] <= last


def _walk(body: Sequence[cst.CSTNode], stmts: Sequence[ast.stmt], hits: list[int], skip: set[int]) -> None:
    i = 0
    for node in body:
        if isinstance(node, cst.SimpleStatementLine):
            k = len(node.body)
            group = stmts[i : i + k]
            i += k
            if len(group) != k:
                raise _Misaligned
            for small, a in zip(node.body, group):
                if type(small).__name__ != type(a).__name__:
                    raise _Misaligned
            if any(isinstance(a, _IMPORTS) for a in group):
                continue
            if not _mentions(hits, group[0].lineno, group[-1].end_lineno or group[-1].lineno):
                skip.add(id(node))
            continue
        if i >= len(stmts):
            raise _Misaligned
        a = stmts[i]
        i += 1
        _compound(node, a, hits, skip)
    if i != len(stmts):
        raise _Misaligned


def _first_line(a: ast.stmt) -> int:
    first = a.lineno
    for dec in getattr(a, "decorator_list", ()):
        first = min(first, dec.lineno)
    return first


def _compound(node: cst.CSTNode, a: ast.stmt, hits: list[int], skip: set[int]) -> None:
    kinds = _COMPOUND.get(type(node))
    if kinds is None or not isinstance(a, kinds):
        raise _Misaligned
    if not _mentions(hits, _first_line(a), a.end_lineno or a.lineno):
        skip.add(id(node))
        return
    if type(node).__name__ != "Match":
        _suite(node.body, a.body, hits, skip)  # type: ignore[attr-defined]
    if isinstance(node, cst.If):
        orelse = node.orelse
        if isinstance(orelse, cst.If):
            if len(a.orelse) != 1:  # type: ignore[attr-defined]
                raise _Misaligned
            _compound(orelse, a.orelse[0], hits, skip)  # type: ignore[attr-defined]
        elif isinstance(orelse, cst.Else):
            _suite(orelse.body, a.orelse, hits, skip)  # type: ignore[attr-defined]
        elif a.orelse:  # type: ignore[attr-defined]
            raise _Misaligned
    elif isinstance(node, (cst.For, cst.While)):
        _else(node.orelse, a.orelse, hits, skip)  # type: ignore[attr-defined]
    elif isinstance(node, cst.Try) or type(node).__name__ == "TryStar":
        handlers = node.handlers  # type: ignore[attr-defined]
        if len(handlers) != len(a.handlers):  # type: ignore[attr-defined]
            raise _Misaligned
        for h, ah in zip(handlers, a.handlers):  # type: ignore[attr-defined]
            _suite(h.body, ah.body, hits, skip)
        _else(node.orelse, a.orelse, hits, skip)  # type: ignore[attr-defined]
        final = node.finalbody  # type: ignore[attr-defined]
        if final is not None:
            _suite(final.body, a.finalbody, hits, skip)  # type: ignore[attr-defined]
        elif a.finalbody:  # type: ignore[attr-defined]
            raise _Misaligned
    elif type(node).__name__ == "Match":
        cases = node.cases  # type: ignore[attr-defined]
        if len(cases) != len(a.cases):  # type: ignore[attr-defined]
            raise _Misaligned
        for c, ac in zip(cases, a.cases):  # type: ignore[attr-defined]
            _suite(c.body, ac.body, hits, skip)


def _else(orelse: cst.Else | None, stmts: Sequence[ast.stmt], hits: list[int], skip: set[int]) -> None:
    if orelse is None:
        if stmts:
            raise _Misaligned
        return
    _suite(orelse.body, stmts, hits, skip)


def _suite(suite: cst.BaseSuite, stmts: Sequence[ast.stmt], hits: list[int], skip: set[int]) -> None:
    if isinstance(suite, cst.IndentedBlock):
        _walk(suite.body, stmts, hits, skip)
    elif isinstance(suite, cst.SimpleStatementSuite):
        if len(suite.body) != len(stmts):
            raise _Misaligned
        # one line, already known to mention a name (or part of a header that does):
        # nothing to skip inside
    else:
        raise _Misaligned
