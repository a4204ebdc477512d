"""The canonical report: ``RunResult.to_dict()`` as pretty JSON, and its v1 schema.

``validate`` is a small hand-written checker for the subset of JSON Schema that
``schema_v1.json`` uses (type, enum, const, required, properties, additionalProperties,
items, minimum, pattern, anyOf, local ``$ref``), so the project needs no schema library.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from migrate.result import RunResult

SCHEMA_ID = "migrate-report/v1"
SCHEMA_PATH = Path(__file__).with_name("schema_v1.json")


#: Top-level lists written one entry per line (they hold almost all of a big report).
_ONE_PER_LINE = frozenset({"files", "results", "errors"})


def render(result: RunResult) -> str:
    """JSON in the key order ``to_dict`` emits, with a trailing newline: indented, except
    that each entry of ``files``, ``results`` and ``errors`` takes one line.

    Python's JSON encoder is written in C only for output without indentation; indenting
    every level of a report with tens of thousands of findings took longer than the rest
    of writing it. One line per finding also diffs and greps well.
    """
    doc = result.to_dict(entries=False)
    # the entries of files and results as text: each finding is serialised once (it is in
    # both lists), by the worker that found it when the run asked for it
    doc["files"] = [fr.json() for fr in result.files]
    doc["results"] = [f.json() for f in result.findings]
    return _render(doc, prerendered=frozenset({"files", "results"}))


def _render(doc: dict[str, Any], prerendered: frozenset[str] = frozenset()) -> str:
    parts = []
    for key, value in doc.items():
        head = f"  {json.dumps(key, ensure_ascii=False)}: "
        if key in _ONE_PER_LINE and isinstance(value, list) and value:
            if key in prerendered:
                items = ",\n".join("    " + v for v in value)
            else:
                items = ",\n".join("    " + json.dumps(v, ensure_ascii=False) for v in value)
            parts.append(f"{head}[\n{items}\n  ]")
        else:
            text = json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  ")
            parts.append(head + text)
    if not parts:
        return "{}\n"
    return "{\n" + ",\n".join(parts) + "\n}\n"


@lru_cache(maxsize=1)
def _schema_text() -> str:
    return SCHEMA_PATH.read_text(encoding="utf-8")


def load_schema() -> dict[str, Any]:
    """A fresh copy of the v1 JSON Schema."""
    schema: dict[str, Any] = json.loads(_schema_text())
    return schema


_TYPES: dict[str, Any] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def validate(doc: Any, schema: dict[str, Any] | None = None) -> list[str]:
    """Check ``doc`` against the v1 schema (or ``schema``); return problems, ``[]`` when valid.

    Each problem reads ``<json pointer>: <what is wrong>``.
    """
    root = schema if schema is not None else load_schema()
    errors: list[str] = []
    _check(doc, root, root, "", errors)
    return errors


def _resolve(ref: str, root: dict[str, Any]) -> dict[str, Any]:
    if not ref.startswith("#/"):
        raise ValueError(f"only local $ref is supported, not {ref!r}")
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node  # type: ignore[no-any-return]


def _check(value: Any, schema: dict[str, Any], root: dict[str, Any], where: str, errors: list[str]) -> None:
    at = where or "/"
    if "$ref" in schema:
        _check(value, _resolve(schema["$ref"], root), root, where, errors)
    if "anyOf" in schema:
        for option in schema["anyOf"]:
            trial: list[str] = []
            _check(value, option, root, where, trial)
            if not trial:
                break
        else:
            errors.append(f"{at}: matches none of the allowed forms")
            return
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_TYPES[t](value) for t in types):
            errors.append(f"{at}: expected {' or '.join(types)}, got {type(value).__name__}")
            return
    if "const" in schema and value != schema["const"]:
        errors.append(f"{at}: expected {schema['const']!r}, got {value!r}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{at}: {value!r} is not one of {schema['enum']!r}")
    if "minimum" in schema and _TYPES["number"](value) and value < schema["minimum"]:
        errors.append(f"{at}: {value!r} is less than {schema['minimum']!r}")
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        errors.append(f"{at}: {value!r} does not match {schema['pattern']!r}")
    if isinstance(value, dict):
        for key in schema.get("required", ()):
            if key not in value:
                errors.append(f"{at}: missing required key {key!r}")
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            path = f"{where}/{_escape(key)}"
            if key in props:
                _check(item, props[key], root, path, errors)
            elif extra is False:
                errors.append(f"{at}: unexpected key {key!r}")
            elif isinstance(extra, dict):
                _check(item, extra, root, path, errors)
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            _check(item, schema["items"], root, f"{where}/{i}", errors)


def _escape(key: str) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")
