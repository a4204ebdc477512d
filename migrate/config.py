"""`[tool.migrate]` in pyproject.toml: defaults for the command line."""

from __future__ import annotations

import difflib
import os
import tomllib
from typing import Any

KNOWN_KEYS: dict[str, type | tuple[type, ...]] = {
    "select": list,
    "ignore": list,
    "exclude": list,
    "extend-exclude": list,
    "unsafe-fixes": bool,
    "jobs": int,
    "generated-markers": list,
    "report": str,
    "report-format": str,
    "verify": bool,
    "cache-dir": str,
}


class ConfigError(Exception):
    pass


def find_pyproject(start: str) -> str | None:
    """The closest pyproject.toml at or above `start` that has a [tool.migrate] table."""
    d = os.path.abspath(start if os.path.isdir(start) else os.path.dirname(start) or ".")
    while True:
        cand = os.path.join(d, "pyproject.toml")
        if os.path.isfile(cand):
            try:
                with open(cand, "rb") as fh:
                    if "migrate" in tomllib.load(fh).get("tool", {}):
                        return cand
            except (OSError, tomllib.TOMLDecodeError):
                pass
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def load_config(path: str) -> dict[str, Any]:
    """Read and validate [tool.migrate]; unknown keys are an error with a suggestion."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from exc
    table = data.get("tool", {}).get("migrate", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.migrate] must be a table")
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key not in KNOWN_KEYS:
            close = difflib.get_close_matches(key, KNOWN_KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"{path}: unknown key {key!r} in [tool.migrate]{hint}")
        want = KNOWN_KEYS[key]
        if not isinstance(value, want) or (want is int and isinstance(value, bool)):
            raise ConfigError(f"{path}: [tool.migrate] {key} must be a {getattr(want, '__name__', want)}")
        if want is list and not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{path}: [tool.migrate] {key} must be a list of strings")
        if key in ("exclude", "extend-exclude") and any(".." in v.split("/") for v in value):
            raise ConfigError(f"{path}: [tool.migrate] {key}: '..' is not allowed in paths")
        out[key] = value
    return out
