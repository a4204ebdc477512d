"""Jupyter notebooks: rewrite the code cells, keep everything else byte-for-byte in spirit.

The code cells are joined into one module (imports in early cells govern names in later
ones), separated by a marker statement that no rule touches; IPython magics and shell
lines are swapped for placeholder comments and put back afterwards. Outputs, metadata and
markdown cells are untouched. The JSON is re-serialised with the notebook's own indent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from migrate.result import Finding, Position, Range
from migrate.rule import SkipFile

_BOUNDARY = "__migrate_cell_boundary__({})"
_BOUNDARY_RE = re.compile(r"^__migrate_cell_boundary__\((\d+)\)\n?", re.M)
_MAGIC_RE = re.compile(r"^(\s*)([%!?].*|\w.*\?\s*)$")
_PLACEHOLDER = "# __migrate_magic__ {}"
_PLACEHOLDER_RE = re.compile(r"# __migrate_magic__ (\d+)")


class NotebookError(Exception):
    pass


def _cell_source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _detect_indent(text: str) -> int | None:
    m = re.search(r"\n( +)\"", text)
    return len(m.group(1)) if m else None


def rewrite_notebook(
    data: bytes, path: str, rewrite: Callable[[bytes, str], tuple[bytes, list[Finding]]]
) -> tuple[bytes, list[Finding]]:
    try:
        text = data.decode("utf-8")
        nb = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NotebookError(f"not a valid notebook (invalid JSON: {exc})") from exc
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotebookError("not a valid notebook (no 'cells' list)")
    code_cells = [
        (i, c) for i, c in enumerate(nb["cells"]) if isinstance(c, dict) and c.get("cell_type") == "code"
    ]
    magics: list[str] = []
    parts: list[str] = []
    line_map: list[tuple[int, int]] = []  # (cell index, first line of the cell in the joined module)
    line = 1
    used: list[int] = []
    for idx, cell in code_cells:
        src = _cell_source(cell)
        if src.lstrip().startswith("%%"):
            continue  # a cell magic: the whole cell is not Python
        out_lines = []
        for raw in src.splitlines():
            m = _MAGIC_RE.match(raw)
            if m and not raw.lstrip().startswith("#"):
                out_lines.append(m.group(1) + _PLACEHOLDER.format(len(magics)))
                magics.append(m.group(2))
            else:
                out_lines.append(raw)
        body = "\n".join(out_lines) + "\n"
        if parts:
            parts.append(_BOUNDARY.format(idx) + "\n")
            line += 1
        line_map.append((idx, line))
        parts.append(body)
        line += body.count("\n")
        used.append(idx)
    if not used:
        raise SkipFile("notebook-no-code")
    joined = "".join(parts)
    new_joined, findings = rewrite(joined.encode("utf-8"), path)
    new_text = new_joined.decode("utf-8")
    if new_text == joined:
        return data, [_cell_position(f, line_map) for f in findings]
    pieces = _BOUNDARY_RE.split(new_text)
    # pieces: [cell0, idx1, cell1, idx2, cell2, ...]
    cells_out = [pieces[0]] + pieces[2::2]
    indices = [used[0]] + [int(x) for x in pieces[1::2]]
    if indices != used:
        raise NotebookError("internal error: cell boundaries were lost in the rewrite; notebook left unchanged")
    for idx, new_src in zip(indices, cells_out):
        restored = _PLACEHOLDER_RE.sub(lambda m: magics[int(m.group(1))], new_src)
        old_src = _cell_source(nb["cells"][idx])
        if not old_src.endswith("\n"):
            restored = restored[:-1] if restored.endswith("\n") else restored
        if restored != old_src:
            nb["cells"][idx]["source"] = restored.splitlines(keepends=True)
    indent = _detect_indent(text)
    out = json.dumps(nb, indent=indent if indent is not None else 1, ensure_ascii=False)
    if text.endswith("\n"):
        out += "\n"
    return out.encode("utf-8"), [_cell_position(f, line_map) for f in findings]


def _cell_position(f: Finding, line_map: list[tuple[int, int]]) -> Finding:
    """Findings in notebooks say `cell N, line L` through the message; lines are cell-relative."""
    cell, first = line_map[0]
    for idx, start in line_map:
        if start <= f.range.start.line:
            cell, first = idx, start
    rel = lambda p: Position(p.line - first + 1, p.column)  # noqa: E731
    from dataclasses import replace

    return replace(f, range=Range(rel(f.range.start), rel(f.range.end)), message=f"[cell {cell}] {f.message}")
