"""The library entry point: everything the CLI does, callable without it."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from migrate import __version__
from migrate.engine.process import Options, process_bytes
from migrate.engine.runner import Target, _excluded, discover, run_targets
from migrate.pack import load_pack, rule_info, select_rules
from migrate.result import FileResult, Invocation, RunResult


@dataclass(frozen=True)
class Override:
    """One ``[[tool.migrate.overrides]]`` table: files matching ``paths`` (globs or ``dir/``,
    relative to the run's root) get ``select`` (replaces), ``ignore`` (adds to) and
    ``unsafe_fixes`` (replaces). Later overrides apply on top of earlier ones."""

    paths: tuple[str, ...]
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    unsafe_fixes: bool | None = None

    @classmethod
    def from_config(cls, table: dict) -> Override:  # type: ignore[type-arg]
        return cls(
            paths=tuple(table["path"]),
            select=tuple(table["select"]) if "select" in table else None,
            ignore=tuple(table.get("ignore", ())),
            unsafe_fixes=table.get("unsafe-fixes"),
        )

    def matches(self, path: str) -> bool:
        return _excluded(path, self.paths)


@dataclass(frozen=True)
class RunConfig:
    pack: str = "tf1-to-tf2"
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    unsafe_fixes: bool = False
    write: bool = False
    verify_idempotence: bool = False
    jobs: int = 1
    exclude: tuple[str, ...] = ()
    force_exclude: bool = False
    generated_markers: tuple[str, ...] = ("@generated", "DO NOT EDIT")
    root: str = field(default_factory=os.getcwd)
    cache_dir: str | None = None  # content-hash cache; None disables it
    overrides: tuple[Override, ...] = ()
    render_json: bool = False  # a JSON report will be written (see Options.render_json)

    def for_path(self, path: str) -> RunConfig:
        """This config with the overrides that match `path` (relative to root) applied."""
        cfg = self
        for o in self.overrides:
            if o.matches(path):
                cfg = replace(
                    cfg,
                    select=cfg.select if o.select is None else o.select,
                    ignore=cfg.ignore + o.ignore,
                    unsafe_fixes=cfg.unsafe_fixes if o.unsafe_fixes is None else o.unsafe_fixes,
                )
        return cfg

    def options(self) -> Options:
        return Options(
            pack=self.pack,
            select=self.select,
            ignore=self.ignore,
            unsafe_fixes=self.unsafe_fixes,
            write=self.write,
            verify_idempotence=self.verify_idempotence,
            generated_markers=self.generated_markers,
            cache_dir=self.cache_dir,
            render_json=self.render_json,
        )


def _rules_for(config: RunConfig):  # type: ignore[no-untyped-def]
    pack = load_pack(config.pack)
    return pack, select_rules(pack.rules, config.select, config.ignore)


def run(
    paths: Sequence[str],
    config: RunConfig,
    *,
    on_result: Callable[[FileResult], None] | None = None,
    argv: Sequence[str] | None = None,
) -> RunResult:
    """Analyse (and with config.write, rewrite) the files under `paths`."""
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    pack, rules = _rules_for(config)
    targets, problems = discover(paths, root=config.root, exclude=config.exclude, force_exclude=config.force_exclude)
    results = list(problems)
    if on_result:
        for p in problems:
            on_result(p)
    # Files under [[tool.migrate.overrides]] run with their own rule selection: one batch per
    # distinct selection (usually one), each batch in parallel.
    groups: dict[Options, list[Target]] = {}
    for t in targets:
        groups.setdefault(config.for_path(t.display).options(), []).append(t)
    for opts, group in groups.items():
        results.extend(run_targets(group, opts, jobs=config.jobs, on_result=on_result))
    results.sort(key=lambda r: r.path)
    return RunResult(
        migration=pack.name,
        source=pack.source,
        target=pack.target,
        files=tuple(results),
        rules=tuple(rule_info(r, pack.name) for r in rules),
        invocation=Invocation(
            argv=tuple(argv if argv is not None else sys.argv),
            cwd=os.getcwd(),
            started_at=started.isoformat(timespec="seconds"),
            finished_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            duration_s=round(time.perf_counter() - t0, 3),
            exit_code=0,
        ),
        tool_version=__version__,
    )


def run_source(source: bytes, config: RunConfig, path: str = "<stdin>") -> tuple[RunResult, bytes]:
    """Rewrite one in-memory source (stdin mode). Returns the result and the new bytes."""
    pack, rules = _rules_for(config)
    result, new = process_bytes(source, path, config.for_path(path).options())
    rr = RunResult(
        migration=pack.name,
        source=pack.source,
        target=pack.target,
        files=(result,),
        rules=tuple(rule_info(r, pack.name) for r in rules),
        tool_version=__version__,
    )
    return rr, new


def exit_code(result: RunResult, *, check_mode: bool) -> int:
    """0 nothing left; 1 work remains (manual items, failed parses, or files that would
    change in --check/--diff/default mode); 2 the tool could not do its job."""
    from migrate.result import FileStatus, Status

    code = 0
    for fr in result.files:
        for e in fr.errors:
            if e.kind in ("rule_crash", "internal", "verify", "io"):
                code = max(code, 2)
            else:
                code = max(code, 1)
        if fr.status is FileStatus.CHANGED and (check_mode or not fr.written):
            code = max(code, 1)
        if any(f.status in (Status.MANUAL, Status.AVAILABLE) for f in fr.findings):
            code = max(code, 1)
    return code
