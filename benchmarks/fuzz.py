"""A longer fuzz run than the test suite's: hypothesmith programs with TF1 calls spliced in.

    python benchmarks/fuzz.py [--examples 2000]

Prints examples/s and any crash (the engine must never raise; outputs must re-parse and a
second run must change nothing). A crash found here becomes a regression fixture.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import hypothesmith  # noqa: E402
from test_hardening import TF1_SNIPPETS, _check  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples", type=int, default=2000)
    args = ap.parse_args()
    count = {"n": 0}

    @settings(max_examples=args.examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(code=hypothesmith.from_grammar(), spliced=st.lists(st.sampled_from(TF1_SNIPPETS), max_size=6))
    def run(code: str, spliced: list[str]) -> None:
        count["n"] += 1
        src = "import tensorflow as tf\nslim = tf.contrib.slim\n" + code + "\n" + "\n".join(spliced) + "\n"
        _check(src.encode("utf-8", "surrogatepass"))

    t0 = time.perf_counter()
    run()
    dt = time.perf_counter() - t0
    print(f"{'examples':<12}{'wall s':>10}{'per s':>10}{'crashes':>10}")
    print(f"{count['n']:<12}{dt:>10.1f}{count['n'] / dt:>10.1f}{0:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
