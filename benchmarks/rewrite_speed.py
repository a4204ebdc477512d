"""migrate vs TensorFlow's own tf_upgrade_v2 on the same tree of TF1 files.

    python benchmarks/rewrite_speed.py [--tree DIR] [--copies N] [--skip-upgrader] [--skip-unsafe]
    python benchmarks/rewrite_speed.py --files 3000 --repeat 3 --speed-only


Builds a tree from the TF1 corpus (N copies of every program, so the numbers are about a
realistic amount of code), runs `migrate tf1-to-tf2 --write` with --jobs 1 and --jobs 2
(and once more with --unsafe-fixes, its own row) and `tf_upgrade_v2 --intree/--outtree` on
fresh copies, then measures the outputs:
wall time, lines/s, files crashed, `tf.compat.v1` references left (share of all TF
references), files still using compat.v1, and TF names left that do not exist in
TensorFlow 2.21 and are not in migrate's report. Prints a table.

Speed mode (`--files N`): a generated tree of N files made from the corpus programs, each
one varied a little (its own header comment and a trailing constant, so that no two files
are byte-identical), safe fixes, no cache. `migrate --jobs 2`, `tf_upgrade_v2` and
`migrate --jobs 1` run interleaved, `--repeat` times each, on fresh copies, so that the
load of a shared machine falls on all of them alike; the table gives the median wall time,
the spread (min-max) and the ratio of the medians. `--speed-only` skips the output
measurements (which import TensorFlow).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import libcst as cst  # noqa: E402

from migrate.engine.names import AliasMap, dotted_name  # noqa: E402


def build_tree(dest: Path, copies: int, sources: list[Path]) -> int:
    lines = 0
    for i in range(copies):
        d = dest / f"copy{i:04d}"
        d.mkdir(parents=True)
        for src in sources:
            shutil.copy(src, d / src.name)
            lines += src.read_text(encoding="utf-8").count("\n")
    return lines


def build_varied_tree(dest: Path, files: int, sources: list[Path]) -> int:
    """`files` files cycling through `sources`, each made unique (a header comment naming
    the copy and a module constant at the end; the code in between is the corpus program)."""
    lines = 0
    texts = [(src.stem, src.read_text(encoding="utf-8")) for src in sources]
    for i in range(files):
        stem, text = texts[i % len(texts)]
        d = dest / f"pkg{i // 100:03d}"
        d.mkdir(parents=True, exist_ok=True)
        body = f"# Generated copy {i} of {stem}.py (benchmarks/rewrite_speed.py).\n{text}"
        if not body.endswith("\n"):
            body += "\n"
        body += f"\n_COPY_ID = {i}\n"
        (d / f"{stem}_{i:05d}.py").write_text(body, encoding="utf-8")
        lines += body.count("\n")
    return lines


def tf_references(path: Path) -> list[tuple[str, int]]:
    """Every maximal dotted reference into tensorflow (resolved through aliases), with its line."""
    try:
        module = cst.parse_module(path.read_bytes())
    except Exception:
        return []
    amap = AliasMap.from_module(module)
    refs: list[tuple[str, int]] = []
    wrapper = cst.metadata.MetadataWrapper(module, unsafe_skip_copy=True)
    pos = wrapper.resolve(cst.metadata.PositionProvider)

    class V(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> bool:
            q = amap.resolve(node)
            if q is not None and (q == "tensorflow" or q.startswith("tensorflow.")):
                refs.append((q, pos[node].start.line))
                return False
            return True

        def visit_Import(self, node: cst.Import) -> bool:
            return False

        def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
            return False

    module.visit(V())
    return refs


Reported = dict[str, list[tuple[int, str]]]  # path -> (line, message + snippet) of each finding


def reported_of(report: dict) -> Reported:  # type: ignore[type-arg]
    out: Reported = {}
    for r in report["results"]:
        out.setdefault(r["path"], []).append((r["range"]["start"]["line"], f"{r['message']} {r.get('snippet', '')}"))
    return out


def _is_reported(reported: Reported, rel: str, line: int, q: str) -> bool:
    """A finding on the reference's line, or one in the file that names it: structural
    rewrites move code, so the report's lines (of the original) need not be the output's."""
    tail = q.rsplit(".", 1)[-1]
    pattern = re.compile(rf"\b{re.escape(tail)}\b")
    return any(ln == line or pattern.search(text) for ln, text in reported.get(rel, ()))


def measure(tree: Path, reported: Reported | None = None) -> dict[str, float]:
    """compat.v1 share and names that do not exist in TF 2.21 (imports TF: a measuring tool)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf  # noqa: PLC0415

    total = compat = missing = unreported_missing = 0
    files_compat = files = 0
    cache: dict[str, bool] = {}

    def exists(q: str) -> bool:
        if q not in cache:
            obj = tf
            ok = True
            for part in q.split(".")[1:]:
                try:
                    obj = getattr(obj, part)
                except Exception:
                    ok = False
                    break
            cache[q] = ok
        return cache[q]

    for path in sorted(tree.rglob("*.py")):
        refs = tf_references(path)
        if not refs:
            continue
        files += 1
        rel = str(path.relative_to(tree))
        has_compat = False
        for q, line in refs:
            total += 1
            if q.startswith("tensorflow.compat.v1"):
                compat += 1
                has_compat = True
            elif not exists(q):
                missing += 1
                if reported is None or not _is_reported(reported, rel, line, q):
                    unreported_missing += 1
        files_compat += has_compat
    return {
        "refs": total,
        "compat_pct": 100.0 * compat / total if total else 0.0,
        "files_compat_pct": 100.0 * files_compat / files if files else 0.0,
        "missing": missing,
        "unreported_missing": unreported_missing,
    }


# CPU seconds (user + system, all processes of the run) of the last run_migrate/run_upgrader
LAST_CPU = [0.0]


def _child_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_migrate(tree: Path, jobs: int, extra: tuple[str, ...] = ()) -> tuple[float, dict]:
    report = tree.parent / f"report-{tree.name}.json"
    cpu0 = _child_cpu()
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "migrate", "tf1-to-tf2", "--write", "-q", "--no-progress", "--no-cache", "--jobs", str(jobs),
         *extra, "--report", str(report), str(tree)],
        capture_output=True, text=True, cwd=tree,
    )
    wall = time.perf_counter() - t0
    LAST_CPU[0] = _child_cpu() - cpu0
    if proc.returncode == 2:
        print(proc.stderr, file=sys.stderr)
    return wall, json.loads(report.read_text())


def unsafe_row(src: Path, work: Path) -> tuple[str, float, dict[str, float], int]:
    """The measurement columns with `--unsafe-fixes` too (TF2120's structural rewrites:
    Session/placeholder/optimizer/Saver code becomes eager TF2): one run, --jobs 2."""
    tree = work / "migrate-unsafe"
    shutil.copytree(src, tree)
    report_path = tree.parent / "report-migrate-unsafe.json"
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "migrate", "tf1-to-tf2", "--write", "--unsafe-fixes", "-q", "--no-progress", "--no-cache",
         "--jobs", "2", "--report", str(report_path), str(tree)],
        capture_output=True, text=True, cwd=tree,
    )
    wall = time.perf_counter() - t0
    if proc.returncode == 2:
        print(proc.stderr, file=sys.stderr)
    report = json.loads(report_path.read_text())
    return "migrate --unsafe", wall, measure(tree, reported_of(report)), report["summary"]["files_failed"]


def run_upgrader(src: Path, out: Path) -> tuple[float, int]:
    exe = shutil.which("tf_upgrade_v2")
    if exe is None:
        return float("nan"), -1
    cpu0 = _child_cpu()
    t0 = time.perf_counter()
    proc = subprocess.run(
        [exe, "--intree", str(src), "--outtree", str(out), "--reportfile", str(out.parent / "upgrade_report.txt")],
        capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    wall = time.perf_counter() - t0
    LAST_CPU[0] = _child_cpu() - cpu0
    crashed = 0 if proc.returncode == 0 else -1
    text = (out.parent / "upgrade_report.txt").read_text(errors="replace") if (out.parent / "upgrade_report.txt").exists() else ""
    crashed = max(crashed, text.count("Failed to parse"))
    return wall, crashed


def speed_runs(
    src: Path, work: Path, repeat: int, skip_upgrader: bool, skip_jobs1: bool, also_ignore: str | None = None
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall and CPU seconds per tool, the tools interleaved within each repeat (fresh copies)."""
    walls: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}
    for r in range(repeat):
        runs: list[tuple[str, Callable[[Path], float]]] = [("migrate --jobs 2", lambda t: run_migrate(t, 2)[0])]
        if also_ignore:
            runs.append((f"... --ignore {also_ignore}", lambda t: run_migrate(t, 2, ("--ignore", also_ignore))[0]))
        if not skip_upgrader:
            runs.append(("tf_upgrade_v2", lambda t: run_upgrader(src, t)[0]))
        if not skip_jobs1:
            runs.append(("migrate --jobs 1", lambda t: run_migrate(t, 1)[0]))
        for name, fn in runs:
            tree = work / f"speed-{r}-{''.join(c for c in name if c.isalnum())}"
            if name != "tf_upgrade_v2":
                shutil.copytree(src, tree)
            else:
                tree.parent.mkdir(parents=True, exist_ok=True)
            walls.setdefault(name, []).append(fn(tree))
            cpus.setdefault(name, []).append(LAST_CPU[0])
            shutil.rmtree(tree, ignore_errors=True)
            print(f"  repeat {r + 1}/{repeat}: {name} {walls[name][-1]:.2f} s wall, {cpus[name][-1]:.2f} s CPU", file=sys.stderr)
    return walls, cpus


def print_speed(walls: dict[str, list[float]], lines: int, cpus: dict[str, list[float]] | None = None) -> None:
    """Median wall time, spread, lines/s; CPU seconds (all processes of a run: the load
    of a shared machine inflates them far less than wall time) and lines per CPU second."""
    cpus = cpus or {}
    hdr = f"{'tool':<30} {'median s':>9} {'min-max s':>14} {'lines/s':>9} {'CPU s':>8} {'lines/CPU-s':>12} {'runs':>5}"
    print(hdr)
    print("-" * len(hdr))
    for name, ws in walls.items():
        med = statistics.median(ws)
        cpu = statistics.median(cpus[name]) if cpus.get(name) else float("nan")
        print(f"{name:<30} {med:9.2f} {f'{min(ws):.2f}-{max(ws):.2f}':>14} {lines / med:9.0f} {cpu:8.2f} {lines / cpu:12.0f} {len(ws):>5}")
    up = walls.get("tf_upgrade_v2")
    if up:
        for name in walls:
            if name != "tf_upgrade_v2":
                pairs = sorted(u / m for u, m in zip(up, walls[name]))
                print(f"\n{name} vs tf_upgrade_v2: {statistics.median(up) / statistics.median(walls[name]):.2f}x faster"
                      f" (ratio of medians; per-repeat ratios {', '.join(f'{p:.2f}' for p in pairs)})")
    if "migrate --jobs 1" in walls and "migrate --jobs 2" in walls:
        print(f"migrate --jobs 1 -> 2: {statistics.median(walls['migrate --jobs 1']) / statistics.median(walls['migrate --jobs 2']):.2f}x")


def compile_bytecode() -> None:
    """Write the bytecode of migrate's own modules, as installing a wheel does.

    This checkout is installed in editable mode, which writes no .pyc files, and where
    PYTHONDONTWRITEBYTECODE is set Python never writes them at run time: every run would
    compile migrate's modules from source (about 0.2 s a process), a cost the installed
    tool (and tf_upgrade_v2, installed with TensorFlow's wheel) does not pay.
    """
    import compileall

    for package in ("migrate", "rules"):
        compileall.compile_dir(str(ROOT / package), quiet=1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tree", type=Path, help="a directory of TF1 code to use instead of the corpus")
    ap.add_argument("--copies", type=int, default=20, help="copies of the corpus in the generated tree")
    ap.add_argument("--files", type=int, help="speed mode: a generated tree of this many varied files from the corpus programs")
    ap.add_argument("--repeat", type=int, default=1, help="speed mode: interleaved runs of each tool (median and spread reported)")
    ap.add_argument("--speed-only", action="store_true", help="only wall times (no output measurements, no TensorFlow import)")
    ap.add_argument("--skip-jobs1", action="store_true", help="speed mode: no `migrate --jobs 1` runs")
    ap.add_argument("--also-ignore", metavar="IDS", help="speed mode: one more migrate --jobs 2 row with `--ignore IDS` (e.g. to time the pack without a rule)")
    ap.add_argument("--skip-upgrader", action="store_true")
    ap.add_argument("--skip-unsafe", action="store_true", help="no extra row for `migrate --write --unsafe-fixes`")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="migrate-bench-"))
    src = work / "src"
    sources = sorted((ROOT / "corpus" / "tf1").rglob("*.py"))
    if args.tree:
        shutil.copytree(args.tree, src)
        lines = sum(p.read_text(errors="replace").count("\n") for p in src.rglob("*.py"))
        what = f"from {args.tree}"
    elif args.files:
        lines = build_varied_tree(src, args.files, sources)
        what = f"generated from the {len(sources)} TF1 corpus programs, each file varied"
    else:
        lines = build_tree(src, args.copies, sources)
        what = f"TF1 corpus x{args.copies}"
    nfiles = sum(1 for _ in src.rglob("*.py"))
    if args.files or args.speed_only:
        compile_bytecode()
        walls, cpus = speed_runs(src, work, max(1, args.repeat), args.skip_upgrader, args.skip_jobs1, args.also_ignore)
        print(f"\n{nfiles} files, {lines} lines ({what}); {os.cpu_count()} CPUs; safe fixes, no cache\n")
        print_speed(walls, lines, cpus)
        shutil.rmtree(work, ignore_errors=True)
        return 0
    rows = []
    before = measure(src)
    rows.append(("original (TF1)", None, before, 0))
    for jobs in (1, 2):
        tree = work / f"migrate-j{jobs}"
        shutil.copytree(src, tree)
        wall, report = run_migrate(tree, jobs)
        failed = report["summary"]["files_failed"]
        rows.append((f"migrate --jobs {jobs}", wall, measure(tree, reported_of(report)), failed))
    if not args.skip_unsafe:
        rows.append(unsafe_row(src, work))
    if not args.skip_upgrader:
        out = work / "upgraded" / "tree"
        out.parent.mkdir()
        wall, crashed = run_upgrader(src, out)
        if out.exists():
            rows.append(("tf_upgrade_v2", wall, measure(out), crashed))
    print(f"\n{nfiles} files, {lines} lines ({what}); tree in {work}\n")
    hdr = f"{'tool':<18} {'wall s':>8} {'lines/s':>9} {'crashed':>8} {'compat.v1 refs':>15} {'files w/ compat':>16} {'missing names':>14} {'unreported':>11}"
    print(hdr)
    print("-" * len(hdr))
    for name, wall, m, crashed in rows:
        w = f"{wall:8.2f}" if wall is not None else f"{'-':>8}"
        lps = f"{lines / wall:9.0f}" if wall else f"{'-':>9}"
        print(
            f"{name:<18} {w} {lps} {crashed:>8} {m['compat_pct']:14.1f}% {m['files_compat_pct']:15.1f}% {m['missing']:>14} {m['unreported_missing']:>11}"
        )
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
