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
    "overrides": list,
}

# Keys of one [[tool.migrate.overrides]] table: which files (globs or "dir/", relative to the
# config's directory) and the rule selection that applies to them.
OVERRIDE_KEYS: dict[str, type | tuple[type, ...]] = {
    "path": (str, list),
    "select": list,
    "ignore": list,
    "unsafe-fixes": bool,
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
            raise ConfigError(f"{path}: unknown key {key!r} in [tool.migrate]{_did_you_mean(key, KNOWN_KEYS)}")
        want = KNOWN_KEYS[key]
        if not isinstance(value, want) or (want is int and isinstance(value, bool)):
            raise ConfigError(f"{path}: [tool.migrate] {key} must be a {getattr(want, '__name__', want)}")
        if want is list and key != "overrides" and not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{path}: [tool.migrate] {key} must be a list of strings")
        if key in ("exclude", "extend-exclude") and _leaves_root(value):
            raise ConfigError(f"{path}: [tool.migrate] {key}: '..' is not allowed in paths")
        if key == "overrides":
            value = [_override(path, i, item) for i, item in enumerate(value)]
        out[key] = value
    return out


def _override(path: str, index: int, item: Any) -> dict[str, Any]:
    """Validate one [[tool.migrate.overrides]] table; `path` becomes a list of patterns."""
    where = f"{path}: [[tool.migrate.overrides]] #{index + 1}"
    if not isinstance(item, dict):
        raise ConfigError(f"{where} must be a table")
    for key, value in item.items():
        if key not in OVERRIDE_KEYS:
            raise ConfigError(f"{where}: unknown key {key!r}{_did_you_mean(key, OVERRIDE_KEYS)}")
        want = OVERRIDE_KEYS[key]
        if not isinstance(value, want):
            raise ConfigError(f"{where}: {key} has the wrong type")
        if isinstance(value, list) and not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: {key} must be a list of strings")
    if "path" not in item:
        raise ConfigError(f"{where}: 'path' is required (a glob or 'dir/', or a list of them)")
    patterns = [item["path"]] if isinstance(item["path"], str) else list(item["path"])
    if not patterns or _leaves_root(patterns):
        raise ConfigError(f"{where}: path must name files under the config's directory ('..' is not allowed)")
    out = dict(item)
    out["path"] = patterns
    return out


def _did_you_mean(key: str, known: dict[str, Any]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _leaves_root(patterns: list[str]) -> bool:
    """A path pattern climbs out of the config's directory ('..' component)."""
    return any(".." in p.split("/") for p in patterns)
