"""The library entry point: everything the CLI does, callable without it."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from migrate import __version__
from migrate.engine.process import Options, process_bytes
from migrate.engine.runner import discover, run_targets
from migrate.pack import load_pack, rule_info, select_rules
from migrate.result import FileResult, Invocation, RunResult


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
    results.extend(run_targets(targets, config.options(), jobs=config.jobs, on_result=on_result))
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
    result, new = process_bytes(source, path, config.options())
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
