"""Porting reports: one canonical JSON document and its renderings.

``render(result, fmt)`` turns a :class:`~migrate.result.RunResult` into text in one of
:data:`FORMATS`; ``load(path)`` reads a saved JSON report back, so any rendering can be made
later from the JSON alone. Reports read result values only: nothing here imports the engine,
the rules, TensorFlow or torch.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from migrate.report import html, json_report, markdown, sarif, text
from migrate.result import RunResult

__all__ = ["ALIASES", "FORMATS", "load", "render"]

FORMATS: tuple[str, ...] = ("json", "md", "html", "sarif", "text")

# Other spellings accepted by ``render`` (and so by ``--report-format``).
ALIASES: dict[str, str] = {"markdown": "md", "txt": "text", "htm": "html"}

_RENDERERS: dict[str, Callable[[RunResult], str]] = {
    "json": json_report.render,
    "md": markdown.render,
    "html": html.render,
    "sarif": sarif.render,
    "text": text.render,
}


def render(result: RunResult, fmt: str) -> str:
    """The report for ``result`` in format ``fmt`` (one of :data:`FORMATS`), ending in a newline."""
    key = ALIASES.get(fmt.lower(), fmt.lower())
    try:
        renderer = _RENDERERS[key]
    except KeyError:
        raise ValueError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}") from None
    return renderer(result)


def load(path: str | os.PathLike[str]) -> RunResult:
    """Read a JSON report written by ``render(result, "json")``."""
    with Path(path).open(encoding="utf-8") as fh:
        return RunResult.from_dict(json.load(fh))
