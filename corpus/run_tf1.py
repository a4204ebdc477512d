#!/usr/bin/env python
"""Run the runnable TF1 corpus programs and check their RESULT lines.

    python corpus/run_tf1.py [--update] [--list] [names...]

Every ``corpus/tf1/*.py`` program (not ``corpus/tf1/contrib/``, which holds
rewrite-only inputs) is run in this one Python process, so TensorFlow is
imported once.  For each program the runner

* starts from a fresh default graph, fresh Keras state and fresh seeds,
* removes the absl flags the previous program defined and un-parses the rest,
* sets ``sys.argv`` to ``[path] + <args from a "# corpus-argv:" header line>``,
* runs it with ``runpy.run_path(path, run_name="__main__")``, capturing
  stdout and stderr,
* parses the last ``RESULT <json>`` line it printed and compares it with
  ``corpus/tf1/expected/<name>.json`` (every number within 1e-5, everything
  else equal), or writes that file with ``--update``.

It prints one line per program and a summary, and exits non-zero when any
program fails or mismatches (or has no expected file).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import random
import re
import runpy
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
TF1_DIR = os.path.join(HERE, "tf1")
EXPECTED_DIR = os.path.join(TF1_DIR, "expected")
TOLERANCE = 1e-5
# Set before TensorFlow is imported (by main(), not at import time, so that
# importing this module for compare() has no side effects).
TF_ENV = {
    "TF_USE_LEGACY_KERAS": "1",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "CUDA_VISIBLE_DEVICES": "",
}

RESULT_RE = re.compile(r"^RESULT (\{.*\})\s*$")
ARGV_RE = re.compile(r"^#\s*corpus-argv:\s*(.*?)\s*$", re.MULTILINE)


def discover() -> list[str]:
    """Names (file stems) of the runnable programs, sorted."""
    return sorted(
        f[:-3]
        for f in os.listdir(TF1_DIR)
        if f.endswith(".py") and not f.startswith("_")
    )


def extra_argv(path: str) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        m = ARGV_RE.search(fh.read())
    return m.group(1).split() if m else []


def parse_result(stdout: str) -> dict | None:
    found = None
    for line in stdout.splitlines():
        m = RESULT_RE.match(line.strip())
        if m:
            found = json.loads(m.group(1))
    return found


def compare(expected, actual, where: str = "") -> list[str]:
    """Differences between two RESULT values; numbers within TOLERANCE."""
    problems: list[str] = []
    if isinstance(expected, bool) or isinstance(actual, bool):
        if expected is not actual:
            problems.append(f"{where or '<root>'}: {actual!r} != expected {expected!r}")
    elif isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        e, a = float(expected), float(actual)
        if math.isnan(e) or math.isnan(a):
            if not (math.isnan(e) and math.isnan(a)):
                problems.append(f"{where}: {actual!r} != expected {expected!r}")
        elif abs(e - a) > TOLERANCE:
            problems.append(
                f"{where}: {actual!r} != expected {expected!r} (|diff|={abs(e - a):.3g})"
            )
    elif isinstance(expected, dict) and isinstance(actual, dict):
        if set(expected) != set(actual):
            problems.append(
                f"{where or '<root>'}: keys {sorted(actual)} != expected {sorted(expected)}"
            )
        for k in expected:
            if k in actual:
                problems += compare(
                    expected[k], actual[k], f"{where}.{k}" if where else k
                )
    elif isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            problems.append(
                f"{where}: length {len(actual)} != expected {len(expected)}"
            )
        else:
            for i, (e, a) in enumerate(zip(expected, actual)):
                problems += compare(e, a, f"{where}[{i}]")
    elif expected != actual:
        problems.append(f"{where or '<root>'}: {actual!r} != expected {expected!r}")
    return problems


@contextlib.contextmanager
def _log_streams_to(stream):
    """Point the logging StreamHandlers (tensorflow, absl, root) at ``stream``.

    They hold the sys.stderr of the moment they were made, so redirect_stderr
    alone does not catch tf.logging output.
    """
    import logging

    from absl import logging as absl_logging

    handlers = [absl_logging.get_absl_handler()]  # attached by app.run, mid-program
    for name in (None, "tensorflow", "absl"):
        handlers += logging.getLogger(name).handlers
    swapped, seen = [], set()
    for h in handlers:
        target = getattr(h, "python_handler", h)
        if (
            isinstance(target, logging.StreamHandler)
            and not isinstance(target, logging.FileHandler)
            and id(target) not in seen
        ):
            seen.add(id(target))
            swapped.append((target, target.setStream(stream)))
    try:
        yield
    finally:
        for target, old in swapped:
            target.setStream(old)


@contextlib.contextmanager
def _native_stderr_captured():
    """Send file descriptor 2 to a temp file (TensorFlow's native start-up
    chatter ignores TF_CPP_MIN_LOG_LEVEL); replay it if the block fails."""
    import tempfile

    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), 2)
        ok = False
        try:
            yield
            ok = True
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            if not ok:
                tmp.seek(0)
                sys.stderr.write(tmp.read().decode("utf-8", "replace"))


class Harness:
    """Imports TensorFlow once and runs programs in a clean-ish state."""

    def __init__(self) -> None:
        import numpy as np
        import tensorflow.compat.v1 as tf
        from absl import app as _absl_app  # noqa: F401  (defines its flags now)
        from absl import flags as absl_flags
        from absl import logging as absl_logging  # noqa: F401

        tf.get_logger()  # create the tensorflow logger's handler now
        with _log_streams_to(io.StringIO()):  # its deprecation notice is noise here
            tf.disable_v2_behavior()
        # One intra-op thread: results do not depend on the machine's core
        # count and the runner stays light on a shared machine.
        import tensorflow as tf2

        tf2.config.threading.set_intra_op_parallelism_threads(1)
        tf2.config.threading.set_inter_op_parallelism_threads(2)
        self.np = np
        self.tf = tf
        self.flags = absl_flags.FLAGS
        self.baseline_flags = set(self.flags)
        try:
            import tf_keras

            self.keras_backend = tf_keras.backend
        except ImportError:  # pragma: no cover
            self.keras_backend = None

    def _reset(self) -> None:
        tf = self.tf
        # Leftover InteractiveSession / default session from a sloppy program.
        sess = tf.get_default_session()
        while sess is not None:
            with contextlib.suppress(Exception):  # best effort; it may be half-closed
                sess.close()
            nxt = tf.get_default_session()
            if nxt is sess:
                break
            sess = nxt
        from tensorflow.python.framework import ops

        try:
            tf.reset_default_graph()
        except AssertionError:
            ops._default_graph_stack.reset()  # nested graph left entered
            tf.reset_default_graph()
        if self.keras_backend is not None:
            self.keras_backend.clear_session()
        for name in set(self.flags) - self.baseline_flags:
            try:
                delattr(self.flags, name)
            except AttributeError:
                pass
        self.flags.unparse_flags()
        random.seed(0)
        self.np.random.seed(0)

    def run(self, path: str) -> tuple[dict | None, str, str, float]:
        """Run one program; returns (result, stdout, error text, seconds)."""
        self._reset()
        out, err = io.StringIO(), io.StringIO()
        old_argv = sys.argv
        sys.argv = [path] + extra_argv(path)
        error = ""
        # Programs make their dirs with tempfile.mkdtemp(); keep them all
        # under one directory that is removed afterwards.
        import tempfile

        scratch = tempfile.TemporaryDirectory(prefix="corpus_tf1_")
        old_tempdir, tempfile.tempdir = tempfile.tempdir, scratch.name
        t0 = time.perf_counter()
        try:
            with (
                contextlib.redirect_stdout(out),
                contextlib.redirect_stderr(err),
                _log_streams_to(err),
            ):
                runpy.run_path(path, run_name="__main__")
        except SystemExit as e:  # tf.app.run() always ends in sys.exit
            if e.code not in (None, 0):
                error = f"SystemExit({e.code!r})"
        except KeyboardInterrupt:
            raise
        except BaseException:  # noqa: BLE001 - report, go on with the others
            error = traceback.format_exc()
        finally:
            sys.argv = old_argv
            tempfile.tempdir = old_tempdir
        dt = time.perf_counter() - t0
        stdout = out.getvalue()
        result = parse_result(stdout)
        if error:
            error += "\n--- stderr tail ---\n" + err.getvalue()[-3000:]
        elif result is None:
            error = "no RESULT line printed\n--- stdout tail ---\n" + stdout[-2000:]
        self._reset()
        scratch.cleanup()
        return result, stdout, error, dt


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--update", action="store_true", help="write expected/<name>.json")
    ap.add_argument("--list", action="store_true", help="list the programs and exit")
    ap.add_argument("-v", "--verbose", action="store_true", help="echo program stdout")
    ap.add_argument("--dir", default=None, help="run the programs from this directory instead (e.g. migrated copies); expected outputs stay corpus/tf1/expected")
    ap.add_argument("names", nargs="*", help="program names (file stems); default all")
    args = ap.parse_args(argv)

    names = discover()
    if args.list:
        print("\n".join(names))
        return 0
    if args.names:
        wanted = [
            n[:-3] if n.endswith(".py") else os.path.basename(n) for n in args.names
        ]
        unknown = [n for n in wanted if n not in names]
        if unknown:
            print(f"unknown program(s): {', '.join(unknown)}", file=sys.stderr)
            return 2
        names = wanted

    if "tensorflow" in sys.modules:
        print(
            "warning: TensorFlow was imported before run_tf1 set its environment",
            file=sys.stderr,
        )
    os.environ.update(TF_ENV)
    t_import = time.perf_counter()
    with _native_stderr_captured():
        harness = Harness()
    t_import = time.perf_counter() - t_import
    print(f"TensorFlow imported in {t_import:.1f}s; running {len(names)} program(s)")

    failures: list[str] = []
    t_all = time.perf_counter()
    for name in names:
        path = os.path.join(args.dir or TF1_DIR, name + ".py")
        result, stdout, error, dt = harness.run(path)
        if args.verbose:
            sys.stdout.write(stdout)
        exp_path = os.path.join(EXPECTED_DIR, name + ".json")
        if error:
            status = "ERROR"
            detail = error
        elif args.update:
            os.makedirs(EXPECTED_DIR, exist_ok=True)
            with open(exp_path, "w", encoding="utf-8") as fh:
                json.dump(result, fh, indent=2, sort_keys=True)
                fh.write("\n")
            status, detail = "WROTE", ""
        elif not os.path.exists(exp_path):
            status, detail = (
                "NOEXP",
                f"missing {os.path.relpath(exp_path)} (run with --update)",
            )
        else:
            with open(exp_path, encoding="utf-8") as fh:
                expected = json.load(fh)
            problems = compare(expected, result)
            status = "ok" if not problems else "DIFF"
            detail = "\n".join(problems)
        print(f"{status:5s} {name:34s} {dt:6.2f}s")
        if detail:
            print("      " + detail.replace("\n", "\n      "))
        if status not in ("ok", "WROTE"):
            failures.append(name)
    total = time.perf_counter() - t_all
    print(
        f"{len(names) - len(failures)}/{len(names)} passed in {total:.1f}s "
        f"(+{t_import:.1f}s TensorFlow import)"
    )
    if failures:
        print("FAILED: " + " ".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
