"""Small libcst helpers shared by rule packs (no framework imports)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import libcst as cst


def keyword_args(call: cst.Call, params: Sequence[str]) -> dict[str, cst.Arg] | None:
    """Map a call's arguments to parameter names using a positional parameter list.

    Returns None when the call uses ``*args``/``**kwargs`` or has too many positionals.
    """
    out: dict[str, cst.Arg] = {}
    pos = 0
    for arg in call.args:
        if arg.star:
            return None
        if arg.keyword is None:
            if pos >= len(params):
                return None
            out[params[pos]] = arg
            pos += 1
        else:
            out[arg.keyword.value] = arg
    return out


def fix_commas(args: Sequence[cst.Arg]) -> list[cst.Arg]:
    """Make an argument list well-formed: a comma after every argument but the last
    (a trailing comma before a line break is kept)."""
    out = []
    for i, a in enumerate(args):
        if i == len(args) - 1:
            if isinstance(a.comma, cst.Comma) and not isinstance(a.comma.whitespace_after, cst.ParenthesizedWhitespace):
                a = a.with_changes(comma=cst.MaybeSentinel.DEFAULT)
        elif not isinstance(a.comma, cst.Comma):
            a = a.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        out.append(a)
    return out


def walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """`node` and every node below it (depth first, children in reverse order)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(n.children)


def walk_in_order(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """`node` and every node below it, in source order (depth first, children first to last)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))
