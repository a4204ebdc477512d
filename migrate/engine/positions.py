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

import libcst as cst
from libcst._nodes.internal import CodegenState


@dataclass(frozen=False)
class _IndexState(CodegenState):
    spans: dict[int, tuple[int, int]] = field(default_factory=dict)

    @contextmanager
    def record_syntactic_position(
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> Iterator[None]:
        start = len(self.tokens)
        try:
            yield
        finally:
            end = len(self.tokens)
            if start_node is not None and id(start_node) in self.spans:
                start = self.spans[id(start_node)][0]
            if end_node is not None and id(end_node) in self.spans:
                end = self.spans[id(end_node)][1]
            self.spans[id(node)] = (start, end)


class Positions:
    """Lazy (line, column) lookups for the nodes of one module (1-based line, 0-based column)."""

    def __init__(self, module: cst.Module) -> None:
        state = _IndexState(default_indent=module.default_indent, default_newline=module.default_newline)
        module._codegen(state)
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
