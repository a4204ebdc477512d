"""Start-up time, --jobs scaling, cache speed-up and memory peak of `migrate tf1-to-tf2`.

    python benchmarks/scaling.py [--files 500]

Builds a tree of N files from the TF1 corpus and runs the CLI in subprocesses:
`migrate --help` (start-up: the rewriter imports neither TensorFlow nor torch), then a
full run with --jobs 1 and --jobs 2 (no cache), then a cold and a warm cached run.
Prints a table; goals: 1.7x from 1 to 2 jobs on 2 cores, warm cache near instant.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


CPU: dict[str, float] = {}  # row -> CPU seconds (user + system, all processes of the run)


def run(args: list[str], cwd: Path, env: dict[str, str], label: str = "") -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB, the largest single process so far: main process or
    a worker) of one run; its CPU seconds go to CPU[label]."""
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "migrate", *args], cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU[label] = (ru.ru_utime + ru.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    return wall, max(ru.ru_maxrss, ru0.ru_maxrss) / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--files", type=int, default=500)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="migrate-scale-"))
    tree = work / "tree"
    tree.mkdir()
    sources = sorted((ROOT / "corpus" / "tf1").glob("*.py"))
    lines = 0
    for i in range(args.files):
        src = sources[i % len(sources)]
        data = src.read_bytes()
        (tree / f"f{i:05d}_{src.name}").write_bytes(data)
        lines += data.count(b"\n")
    env = {**os.environ, "MIGRATE_CACHE_DIR": str(work / "cache"), "PYTHONPATH": str(ROOT)}
    rows = []
    t = min(run(["--help"], work, env)[0] for _ in range(3))
    rows.append(("migrate --help (start-up)", t, None))
    base = ["tf1-to-tf2", "-q", "--no-progress", str(tree)]
    w1, m1 = run([*base, "--no-cache", "--jobs", "1"], work, env, "--jobs 1, no cache")
    rows.append(("--jobs 1, no cache", w1, m1))
    w2, m2 = run([*base, "--no-cache", "--jobs", "2"], work, env, "--jobs 2, no cache")
    rows.append(("--jobs 2, no cache", w2, m2))
    wd, md = run([*base, "--no-cache"], work, env, "default --jobs, no cache")
    rows.append(("default --jobs, no cache", wd, md))
    wc, mc = run([*base, "--jobs", "2"], work, env, "--jobs 2, cold cache")
    rows.append(("--jobs 2, cold cache", wc, mc))
    ww, mw = run([*base, "--jobs", "2"], work, env, "--jobs 2, warm cache")
    rows.append(("--jobs 2, warm cache", ww, mw))
    print(f"\n{args.files} files, {lines} lines, {os.cpu_count()} CPUs (default --jobs: the CPU count)\n")
    print(f"{'run':<28}{'wall s':>9}{'lines/s':>10}{'CPU s':>8}{'peak MiB':>10}")
    for name, wall, mem in rows:
        lps = f"{lines / wall:10.0f}" if mem is not None else "-".rjust(10)
        mems = f"{mem:10.0f}" if mem is not None else "-".rjust(10)
        cpu = f"{CPU[name]:8.2f}" if name in CPU else "-".rjust(8)
        print(f"{name:<28}{wall:9.2f}{lps}{cpu}{mems}")
    print(f"\nspeed-up 1 -> 2 jobs: {w1 / w2:.2f}x; warm cache vs no cache: {w1 / ww:.1f}x")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
