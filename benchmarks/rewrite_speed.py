"""migrate vs TensorFlow's own tf_upgrade_v2 on the same tree of TF1 files.

    python benchmarks/rewrite_speed.py [--tree DIR] [--copies N] [--skip-upgrader]

Builds a tree from the TF1 corpus (N copies of every program, so the numbers are about a
realistic amount of code), runs `migrate tf1-to-tf2 --write` with --jobs 1 and --jobs 2
and `tf_upgrade_v2 --intree/--outtree` on fresh copies, then measures the outputs:
wall time, lines/s, files crashed, `tf.compat.v1` references left (share of all TF
references), files still using compat.v1, and TF names left that do not exist in
TensorFlow 2.21 and are not in migrate's report. Prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
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


def measure(tree: Path, reported: dict[str, set[int]] | None = None) -> dict[str, float]:
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
                if reported is None or line not in reported.get(rel, set()):
                    unreported_missing += 1
        files_compat += has_compat
    return {
        "refs": total,
        "compat_pct": 100.0 * compat / total if total else 0.0,
        "files_compat_pct": 100.0 * files_compat / files if files else 0.0,
        "missing": missing,
        "unreported_missing": unreported_missing,
    }


def run_migrate(tree: Path, jobs: int) -> tuple[float, dict]:
    report = tree.parent / f"report-{tree.name}.json"
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "migrate", "tf1-to-tf2", "--write", "-q", "--no-progress", "--no-cache", "--jobs", str(jobs),
         "--report", str(report), str(tree)],
        capture_output=True, text=True, cwd=tree,
    )
    wall = time.perf_counter() - t0
    if proc.returncode == 2:
        print(proc.stderr, file=sys.stderr)
    return wall, json.loads(report.read_text())


def run_upgrader(src: Path, out: Path) -> tuple[float, int]:
    exe = shutil.which("tf_upgrade_v2")
    if exe is None:
        return float("nan"), -1
    t0 = time.perf_counter()
    proc = subprocess.run(
        [exe, "--intree", str(src), "--outtree", str(out), "--reportfile", str(out.parent / "upgrade_report.txt")],
        capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    wall = time.perf_counter() - t0
    crashed = 0 if proc.returncode == 0 else -1
    text = (out.parent / "upgrade_report.txt").read_text(errors="replace") if (out.parent / "upgrade_report.txt").exists() else ""
    crashed = max(crashed, text.count("Failed to parse"))
    return wall, crashed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tree", type=Path, help="a directory of TF1 code to use instead of the corpus")
    ap.add_argument("--copies", type=int, default=20, help="copies of the corpus in the generated tree")
    ap.add_argument("--skip-upgrader", action="store_true")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="migrate-bench-"))
    src = work / "src"
    if args.tree:
        shutil.copytree(args.tree, src)
        lines = sum(p.read_text(errors="replace").count("\n") for p in src.rglob("*.py"))
    else:
        sources = sorted((ROOT / "corpus" / "tf1").rglob("*.py"))
        lines = build_tree(src, args.copies, sources)
    nfiles = sum(1 for _ in src.rglob("*.py"))
    rows = []
    before = measure(src)
    rows.append(("original (TF1)", None, before, 0))
    for jobs in (1, 2):
        tree = work / f"migrate-j{jobs}"
        shutil.copytree(src, tree)
        wall, report = run_migrate(tree, jobs)
        reported: dict[str, set[int]] = {}
        for r in report["results"]:
            reported.setdefault(r["path"], set()).add(r["range"]["start"]["line"])
        failed = report["summary"]["files_failed"]
        rows.append((f"migrate --jobs {jobs}", wall, measure(tree, reported), failed))
    if not args.skip_upgrader:
        out = work / "upgraded" / "tree"
        out.parent.mkdir()
        wall, crashed = run_upgrader(src, out)
        if out.exists():
            rows.append(("tf_upgrade_v2", wall, measure(out), crashed))
    print(f"\n{nfiles} files, {lines} lines (TF1 corpus x{args.copies if not args.tree else 1}); tree in {work}\n")
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
