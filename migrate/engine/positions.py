"""Source positions of CST nodes, computed from one plain code generation.

libcst's ``PositionProvider`` tracks line and column on every token it prints, which
costs four times a plain print. We record only each node's token index (start and end
of its syntactic range, with the same start/end hoisting libcst uses) and turn the few
indices that findings need into line/column afterwards.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import accumulate
from types import TracebackType
from typing import Any

import libcst as cst
from libcst._nodes import expression as _cst_expression
from libcst._nodes.internal import CodegenState


class _Span:
    """``with state.record_syntactic_position(node):`` without a generator: libcst enters
    this context once for most nodes it prints, and ``@contextmanager`` costs several
    Python calls each time."""

    __slots__ = ("_end_node", "_node", "_spans", "_start", "_start_node", "_tokens")

    def __init__(self, spans, tokens, node, start_node, end_node) -> None:  # type: ignore[no-untyped-def]
        self._spans = spans
        self._tokens = tokens
        self._node = node
        self._start_node = start_node
        self._end_node = end_node

    def __enter__(self) -> None:
        self._start = len(self._tokens)

    def __exit__(self, *exc: object) -> None:
        spans = self._spans
        start = self._start
        end = len(self._tokens)
        if self._start_node is not None and id(self._start_node) in spans:
            start = spans[id(self._start_node)][0]
        if self._end_node is not None and id(self._end_node) in spans:
            end = spans[id(self._end_node)][1]
        spans[id(self._node)] = (start, end)


class _NoSpan:
    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


_NO_SPAN = _NoSpan()


class _Parenthesize:
    """libcst's ``_BaseParenthesizedNode._parenthesize`` (the node's parentheses around its
    syntactic position) without a generator: libcst enters it once for every expression
    it prints."""

    __slots__ = ("_node", "_span", "_state")

    def __init__(self, node: Any, state: CodegenState) -> None:
        self._node = node
        self._state = state

    def __enter__(self) -> None:
        state = self._state
        for lpar in self._node.lpar:
            lpar._codegen(state)
        self._span = state.record_syntactic_position(self._node)
        self._span.__enter__()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._span.__exit__(exc_type, exc, tb)
        if exc_type is None:
            state = self._state
            for rpar in self._node.rpar:
                rpar._codegen(state)


def _parenthesize(self: Any, state: CodegenState) -> _Parenthesize:
    return _Parenthesize(self, state)


_PAREN_BASE: Any = getattr(_cst_expression, "_BaseParenthesizedNode", None)


@contextmanager
def _lean_codegen() -> Iterator[None]:
    """Within the block libcst prints parenthesized nodes with `_Parenthesize` (when this
    libcst has the method where expected; else its own)."""
    if _PAREN_BASE is None or "_parenthesize" not in vars(_PAREN_BASE):
        yield
        return
    saved = vars(_PAREN_BASE)["_parenthesize"]
    _PAREN_BASE._parenthesize = _parenthesize
    try:
        yield
    finally:
        _PAREN_BASE._parenthesize = saved


@dataclass(frozen=False)
class _IndexState(CodegenState):
    spans: dict[int, tuple[int, int]] = field(default_factory=dict)

    def record_syntactic_position(  # type: ignore[override]
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> _Span:
        return _Span(self.spans, self.tokens, node, start_node, end_node)


@dataclass(frozen=False)
class _PlainState(CodegenState):
    verbatim: dict[int, tuple[str, str]] | None = None

    def record_syntactic_position(  # type: ignore[override]
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> _NoSpan:
        return _NO_SPAN


def code_of(module: cst.Module, verbatim: dict[int, tuple[str, str]] | None = None) -> str:
    """``module.code``, the same text, printed without libcst's per-node generator.

    `verbatim` maps ``id()`` of statements to (their text in the source, the indentation
    of their block there): such a statement, found in `module` at the same indentation, is
    written as that text instead of being printed node by node (a statement is printed
    exactly as it was parsed, so the text is the same).
    """
    state = _PlainState(default_indent=module.default_indent, default_newline=module.default_newline)
    if not verbatim:
        with _lean_codegen():
            module._codegen(state)
        return "".join(state.tokens)
    state.verbatim = verbatim
    patched = [c for c in _STATEMENT_CLASSES if "_codegen" not in vars(c)]
    for c in patched:
        c._codegen = _codegen_verbatim  # type: ignore[method-assign]
    try:
        with _lean_codegen():
            module._codegen(state)
    finally:
        for c in patched:
            del c._codegen
    return "".join(state.tokens)


def node_code(node: cst.CSTNode, module: cst.Module) -> str:
    """``module.code_for_node(node)`` without libcst's per-node generator (see `code_of`)."""
    plain = _plain_chain(node) if PLAIN_CHAINS else None
    if plain is not None:
        return plain
    state = _PlainState(default_indent=module.default_indent, default_newline=module.default_newline)
    with _lean_codegen():
        node._codegen(state)
    return "".join(state.tokens)


#: switched off by tests to compare with a print
PLAIN_CHAINS = True
_Attribute, _Name, _Dot, _Whitespace = cst.Attribute, cst.Name, cst.Dot, cst.SimpleWhitespace


def _plain_chain(node: cst.CSTNode) -> str | None:
    """The text of a Name/Attribute chain with no parentheses and no space around its
    dots (``tf.compat.v1.placeholder``: most fix contents), without a print; else None."""
    parts: list[str] = []
    while node.__class__ is _Attribute:
        dot = node.dot  # type: ignore[attr-defined]
        if (
            node.lpar  # type: ignore[attr-defined]
            or node.rpar  # type: ignore[attr-defined]
            or dot.__class__ is not _Dot
            or dot.whitespace_before.__class__ is not _Whitespace
            or dot.whitespace_before.value
            or dot.whitespace_after.__class__ is not _Whitespace
            or dot.whitespace_after.value
            or node.attr.lpar  # type: ignore[attr-defined]
            or node.attr.rpar  # type: ignore[attr-defined]
        ):
            return None
        parts.append(node.attr.value)  # type: ignore[attr-defined]
        node = node.value  # type: ignore[attr-defined]
    if node.__class__ is not _Name or node.lpar or node.rpar:  # type: ignore[attr-defined]
        return None
    parts.append(node.value)  # type: ignore[attr-defined]
    return ".".join(reversed(parts))


def _codegen_verbatim(self: cst.CSTNode, state: CodegenState, **kwargs: object) -> None:
    found = getattr(state, "verbatim", None)
    if found is not None:
        entry = found.get(id(self))
        if entry is not None and "".join(state.indent_tokens) == entry[1]:
            state.tokens.append(entry[0])
            return
    cst.CSTNode._codegen(self, state, **kwargs)


#: The statements that are elements of a body (module or indented block).
STATEMENT_TYPES = frozenset(
    {"SimpleStatementLine", "FunctionDef", "ClassDef", "If", "For", "While", "Try", "TryStar", "With", "Match"}
)
_STATEMENT_CLASSES: tuple[type, ...] = tuple(getattr(cst, n) for n in sorted(STATEMENT_TYPES) if hasattr(cst, n))


def bytes_of(module: cst.Module, verbatim: dict[int, tuple[str, str]] | None = None) -> bytes:
    """``module.bytes`` (see `code_of`)."""
    return code_of(module, verbatim).encode(module.encoding)


class Positions:
    """Lazy (line, column) lookups for the nodes of one module (1-based line, 0-based column)."""

    def __init__(self, module: cst.Module) -> None:
        self._index(module, module, "")

    def _index(self, node: cst.CSTNode, module: cst.Module, indent: str) -> None:
        """Print `node` (at `indent`) recording each node's token span."""
        state = _IndexState(default_indent=module.default_indent, default_newline=module.default_newline)
        if indent:
            state.indent_tokens.append(indent)
        with _lean_codegen():
            node._codegen(state)
        self._spans = state.spans
        self._offsets = list(accumulate((len(t) for t in state.tokens), initial=0))
        code = "".join(state.tokens)
        self._line_starts = [0] + [i + 1 for i, ch in enumerate(code) if ch == "\n"]

    def _line_col(self, token_index: int) -> tuple[int, int]:
        off = self._offsets[min(token_index, len(self._offsets) - 1)]
        line = bisect.bisect_right(self._line_starts, off) - 1
        return line + 1, off - self._line_starts[line]

    def span(self, node: cst.CSTNode) -> tuple[tuple[int, int], tuple[int, int]] | None:
        s = self._spans.get(id(node))
        if s is None:
            return None
        return self._line_col(s[0]), self._line_col(s[1])


class StatementPositions(Positions):
    """Positions of the nodes of one statement of a body, from a print of that statement
    alone: `first_line` is the line its text starts on (its leading blank and comment
    lines included) and `indent` the indentation of its block, both read from the source.
    A statement of a body always starts at the beginning of a line, so columns need no
    offset. Much cheaper than `Positions` of the whole module when findings fall in a few
    statements."""

    def __init__(self, stmt: cst.CSTNode, first_line: int, indent: str, module: cst.Module) -> None:
        self._index(stmt, module, indent)
        self._first = first_line
        self._stmt = stmt  # spans are keyed by id(): keep a printed copy alive with them

    def _line_col(self, token_index: int) -> tuple[int, int]:
        line, col = super()._line_col(token_index)
        return line + self._first - 1, col
