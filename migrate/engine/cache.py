"""Content-hash cache: a second run over an unchanged tree does not parse anything.

Key: the file's bytes, its display path, the options that change the result, migrate's
version and a digest of the rule pack's source files and tables (so editing a rule or
regenerating a table invalidates the cache). Value: the file's result before writing,
and the rewritten bytes. Entries are written atomically; a corrupt entry is a miss.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path

from migrate import __version__
from migrate.result import FileResult


def default_cache_dir() -> str:
    base = os.environ.get("MIGRATE_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "migrate"
    )
    return base


@lru_cache(maxsize=None)
def pack_digest(package: str) -> str:
    """Digest of a rule pack's .py and .json files (and the engine's own version)."""
    import importlib

    mod = importlib.import_module(package)
    root = Path(mod.__file__ or "").parent
    h = hashlib.sha256(__version__.encode())
    for p in sorted(root.rglob("*")):
        if p.suffix in (".py", ".json") and "__pycache__" not in p.parts:
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
    engine = Path(__file__).parent
    for p in sorted(engine.glob("*.py")):
        h.update(p.read_bytes())
    return h.hexdigest()


class Cache:
    def __init__(self, directory: str, salt: str) -> None:
        self.dir = Path(directory)
        self.salt = salt

    def key(self, data: bytes, path: str) -> str:
        h = hashlib.sha256(self.salt.encode())
        h.update(path.encode("utf-8", "surrogateescape"))
        h.update(b"\0")
        h.update(data)
        return h.hexdigest()

    def get(self, key: str) -> tuple[FileResult, bytes] | None:
        base = self.dir / key[:2] / key
        try:
            meta = json.loads((base.with_suffix(".json")).read_text(encoding="utf-8"))
            new = base.with_suffix(".out").read_bytes()
            return FileResult.from_dict(meta), new
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, result: FileResult, new: bytes) -> None:
        folder = self.dir / key[:2]
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for suffix, payload in ((".out", new), (".json", json.dumps(result.to_dict()).encode())):
                fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
                with os.fdopen(fd, "wb") as fh:
                    fh.write(payload)
                os.replace(tmp, folder / (key + suffix))
        except OSError:
            pass  # a cache that cannot be written is only slower
