"""The generated TF1 -> TF2 data tables, read without importing TensorFlow.

``symbols.json`` and ``keywords.json`` are produced by ``generate.py`` (a development script
that does import TensorFlow) from TensorFlow 2.21 plus the hand-written ``overrides.json``.

Names are dotted paths relative to the TensorFlow root, without ``tf.``: ``"log"``,
``"nn.relu"``, ``"train.AdamOptimizer"``, ``"contrib.slim.conv2d"``. A v1 name is a path
under ``tf.compat.v1`` (how TF1 code spells ``tf.X``); a v2 name is a path under TF2's ``tf``.

    >>> table = load_symbols()
    >>> entry, suffix = table.lookup("GraphKeys.UPDATE_OPS")
    >>> (entry.name, suffix, entry.kind)
    ('GraphKeys', 'UPDATE_OPS', 'removed')
    >>> table.lookup("log").v2_name
    'math.log'
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

__all__ = [
    "EFFORTS",
    "KEYWORDS_FILE",
    "SYMBOLS_FILE",
    "Entry",
    "Match",
    "Note",
    "SymbolTable",
    "load_keywords",
    "load_symbols",
]

_HERE = Path(__file__).resolve().parent
SYMBOLS_FILE = _HERE / "symbols.json"
KEYWORDS_FILE = _HERE / "keywords.json"

Kind = Literal["same", "renamed", "removed"]
EFFORTS = ("info", "trivial", "complex", "redesign", "rearchitecture", "unknown")


@dataclass(frozen=True)
class Note:
    """A semantic difference between a name and its TF2 counterpart (symbols.json ``notes``)."""

    v2: str | None
    safety: str  # "safe" | "unsafe" | "display-only"
    note: str
    pin: Mapping[str, Any] | None = (
        None  # keyword values that keep TF1 numerics, when known
    )


@dataclass(frozen=True)
class Entry:
    """One table name: a v1 name, a contrib name or another TF1-era name."""

    name: str
    kind: Kind  # "same" | "renamed" | "removed"
    v2: str | None = (
        None  # TF2 path: the name itself (same), the target (renamed), None (removed)
    )
    is_module: bool = False
    hint: str | None = None  # removed: what to write in TF2
    effort: str | None = None  # removed: one of EFFORTS
    replacement: str | None = None  # removed: TF2 name, external dotted name, or prose
    replacement_kind: str | None = None  # "tf" | "external" | "prose"
    template: str | None = (
        None  # removed: Python expression with {arg} fields named from args_v1
    )
    args_v1: tuple[str, ...] | None = None
    absent: bool = False  # removed, and not under tf.compat.v1 of TF 2.21 either (not contrib)
    note: str | None = None  # semantic difference recorded for this name, if any
    safety: str | None = None  # the note's safety: "safe" | "unsafe" | "display-only"

    @property
    def status(self) -> Kind:
        return self.kind


class Match(NamedTuple):
    """Result of :meth:`SymbolTable.lookup`: the entry of the longest matching prefix and
    the unmatched rest of the looked-up name ("" for an exact match)."""

    entry: Entry
    suffix: str

    @property
    def name(self) -> str:
        """The looked-up name."""
        return f"{self.entry.name}.{self.suffix}" if self.suffix else self.entry.name

    @property
    def v2_name(self) -> str | None:
        """TF2 spelling of the looked-up name (suffix carried over), or None if removed."""
        v2 = self.entry.v2
        if v2 is None or not self.suffix:
            return v2
        return f"{v2}.{self.suffix}" if v2 else self.suffix


class SymbolTable:
    """Every v1 name (plus contrib and other TF1-era names) classified as same/renamed/removed."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.tensorflow_version: str = data["tensorflow_version"]
        self.modules: frozenset[str] = frozenset(data["modules"])
        self.v2_modules: frozenset[str] = frozenset(data["v2_modules"])
        self.notes: Mapping[str, Note] = MappingProxyType(
            {name: _note(spec) for name, spec in data["notes"].items()}
        )
        entries: dict[str, Entry] = {}
        for name in data["same"]:
            entries[name] = self._entry(name, "same", v2=name)
        for name, spec in data["renamed"].items():
            entries[name] = self._entry(name, "renamed", v2=spec["v2"])
        for name, spec in data["removed"].items():
            args = spec.get("args_v1")
            entries[name] = self._entry(
                name,
                "removed",
                hint=spec["hint"],
                effort=spec["effort"],
                replacement=spec.get("replacement"),
                replacement_kind=spec.get("replacement_kind"),
                template=spec.get("template"),
                args_v1=tuple(args) if args is not None else None,
                absent=bool(spec.get("absent", False)),
            )
        self._entries = entries

    def _entry(self, name: str, kind: Kind, **fields: Any) -> Entry:
        note = self.notes.get(name)
        return Entry(
            name,
            kind,
            is_module=name in self.modules,
            note=note.note if note else None,
            safety=note.safety if note else None,
            **fields,
        )

    # exact access ------------------------------------------------------------------------

    def get(self, name: str) -> Entry | None:
        """The entry recorded for exactly ``name`` (no prefix matching)."""
        return self._entries.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def names(self, kind: Kind | None = None) -> list[str]:
        """Sorted table names, optionally only those of ``kind``."""
        return sorted(
            n for n, e in self._entries.items() if kind is None or e.kind == kind
        )

    def note(self, name: str) -> Note | None:
        """The note recorded for exactly ``name`` (also names below a prefix entry, such as
        ``keras.layers.GRU`` under ``keras``)."""
        return self.notes.get(name)

    # prefix access -----------------------------------------------------------------------

    def lookup(self, name: str) -> Match | None:
        """Longest-prefix match on dotted names: ``(entry, suffix)`` or None.

        ``lookup("GraphKeys.UPDATE_OPS")`` gives the ``GraphKeys`` entry and suffix
        ``"UPDATE_OPS"``; an exact match has suffix ``""``.
        """
        if not name:
            return None
        parts = name.split(".")
        for i in range(len(parts), 0, -1):
            entry = self._entries.get(".".join(parts[:i]))
            if entry is not None:
                return Match(entry, ".".join(parts[i:]))
        return None

    def is_known(self, name: str) -> bool:
        """Whether ``name`` or one of its dotted prefixes is in the table."""
        return self.lookup(name) is not None


def _note(spec: Mapping[str, Any]) -> Note:
    pin = spec.get("pin")
    return Note(
        v2=spec.get("v2"),
        safety=spec["safety"],
        note=spec["note"],
        pin=MappingProxyType(dict(pin)) if pin is not None else None,
    )


def _read(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@functools.cache
def load_symbols() -> SymbolTable:
    """The symbol table from symbols.json (cached)."""
    return SymbolTable(_read(SYMBOLS_FILE))


@functools.cache
def load_keywords() -> dict[str, Any]:
    """keywords.json as a dict (cached: treat it as read-only).

    ``load_keywords()["functions"]`` maps a v1 name to: ``v2`` (its counterpart),
    ``args_v1``/``args_v2`` (positional parameter names in order), ``renames`` (v1 keyword
    -> v2 keyword) and optionally ``transforms`` ({v1 kw: {"to": v2 kw, "expr": "1 - {}"}}),
    ``dropped`` ({v1 kw: hint}), ``defaults_changed`` ({v2 kw: {"v1": x, "v2": y}}) and
    ``new_required`` (v2 parameters without default that the v1 call cannot supply).
    """
    return _read(KEYWORDS_FILE)
