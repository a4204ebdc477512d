"""Find the files a run covers and process them, in parallel where it pays."""

from __future__ import annotations

import fnmatch
import gc
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from migrate.engine.process import Options, process_file
from migrate.result import FileError, FileResult, FileStatus

SOURCE_SUFFIXES = (".py", ".pyi", ".ipynb")
ALWAYS_EXCLUDED_DIRS = frozenset(
    {".git", ".hg", ".svn", "__pycache__", ".venv", "venv", ".tox", ".nox", "node_modules", "site-packages", ".mypy_cache", ".ipynb_checkpoints"}
)


@dataclass(frozen=True)
class Target:
    path: str  # filesystem path to read
    display: str  # path shown in reports (relative to the run's root where possible)


def _excluded(rel: str, patterns: Iterable[str]) -> bool:
    rel = rel.replace(os.sep, "/")
    for pat in patterns:
        p = pat.rstrip("/")
        if pat.endswith("/"):
            if rel == p or rel.startswith(p + "/") or f"/{p}/" in f"/{rel}/":
                return True
        elif fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(os.path.basename(rel), pat):
            return True
    return False


def discover(
    paths: Iterable[str], *, root: str, exclude: tuple[str, ...] = (), force_exclude: bool = False
) -> tuple[list[Target], list[FileResult]]:
    """Expand paths into files. Returns targets and results for paths that cannot be used."""
    targets: list[Target] = []
    problems: list[FileResult] = []
    seen: set[str] = set()

    def rel(p: str) -> str:
        try:
            r = os.path.relpath(p, root)
        except ValueError:
            return p
        return p if r.startswith("..") else r

    def add(p: str) -> None:
        real = os.path.realpath(p)
        if real in seen:
            return
        seen.add(real)
        targets.append(Target(p, rel(p)))

    for given in paths:
        if os.path.islink(given) and not os.path.exists(given):
            problems.append(_skip_or_fail(rel(given), "io", "broken symbolic link"))
            continue
        if os.path.isfile(given):
            if os.path.islink(given):
                # writing through a link would replace the link (or write outside the tree)
                problems.append(FileResult(rel(given), FileStatus.SKIPPED, reason="symlink"))
                continue
            if force_exclude and _excluded(rel(given), exclude):
                problems.append(FileResult(rel(given), FileStatus.SKIPPED, reason="excluded"))
                continue
            add(given)
            continue
        if not os.path.isdir(given):
            problems.append(_skip_or_fail(rel(given), "io", "no such file or directory"))
            continue
        found_any = False
        for dirpath, dirnames, filenames in os.walk(given, followlinks=False):
            kept = []
            for d in sorted(dirnames):
                full_dir = os.path.join(dirpath, d)
                if d in ALWAYS_EXCLUDED_DIRS or os.path.islink(full_dir):
                    continue
                if _excluded(rel(full_dir) + "/", exclude):
                    problems.append(FileResult(rel(full_dir) + "/", FileStatus.SKIPPED, reason="excluded"))
                    continue
                kept.append(d)
            dirnames[:] = kept
            for name in sorted(filenames):
                if not name.endswith(SOURCE_SUFFIXES):
                    continue
                full = os.path.join(dirpath, name)
                r = rel(full)
                found_any = True
                if _excluded(r, exclude):
                    problems.append(FileResult(r, FileStatus.SKIPPED, reason="excluded"))
                    continue
                if os.path.islink(full):
                    target = os.path.realpath(full)
                    if not os.path.exists(target):
                        problems.append(_skip_or_fail(r, "io", "broken symbolic link"))
                        continue
                    problems.append(FileResult(r, FileStatus.SKIPPED, reason="symlink"))
                    continue
                add(full)
        if not found_any:
            problems.append(FileResult(rel(given) + "/", FileStatus.SKIPPED, reason="no-python-files"))
    return targets, problems


def _skip_or_fail(path: str, kind: str, message: str) -> FileResult:
    return FileResult(path, FileStatus.FAILED, errors=(FileError(path, kind, message),))


def _work(args: tuple[Target, Options]) -> FileResult:
    target, opts = args
    return process_file(target.path, opts, target.display)


#: the first-generation threshold of Python's cyclic garbage collector during a run
GC_THRESHOLD = 20_000


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often while files are processed.

    A file's syntax tree is ~2,000 new objects and its pass builds as many again, so the
    collector's default first-generation threshold (700 allocations) started a collection
    every few statements, each walking young objects that are all freed by reference
    counting anyway (libcst trees hold no cycles): about 2% of the instructions of a run.
    Forked workers inherit the setting; the caller's is put back after the run."""
    saved = gc.get_threshold()
    gc.set_threshold(max(saved[0], GC_THRESHOLD), *saved[1:])
    try:
        yield
    finally:
        gc.set_threshold(*saved)


def run_targets(
    targets: list[Target],
    opts: Options,
    *,
    jobs: int = 1,
    on_result: Callable[[FileResult], None] | None = None,
) -> Iterator[FileResult]:
    """Process targets; yields results in input order."""
    with _fewer_collections():
        yield from _run_targets(targets, opts, jobs=jobs, on_result=on_result)


def _run_targets(
    targets: list[Target],
    opts: Options,
    *,
    jobs: int,
    on_result: Callable[[FileResult], None] | None,
) -> Iterator[FileResult]:
    if jobs <= 1 or len(targets) < 2:
        for t in targets:
            r = _work((t, opts))
            if on_result:
                on_result(r)
            yield r
        return
    # Chunks of a few files: fewer round trips than one file each, and at the end of the
    # run no worker waits long for another one's last chunk.
    chunk = max(1, min(6, len(targets) // (jobs * 8) or 1))
    if len(targets) >= 64:
        # Most trees have files that need an import added: load libcst's import machinery
        # once here rather than in every worker (forked workers share it).
        import libcst.codemod.visitors  # noqa: F401
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for r in pool.map(_work, [(t, opts) for t in targets], chunksize=chunk):
            if on_result:
                on_result(r)
            yield r
