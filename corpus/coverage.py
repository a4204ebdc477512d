#!/usr/bin/env python
"""Which of the most-used TF1 API names does the TF1 corpus reference?

    python corpus/coverage.py [--verbose] [--json] [--reference api-frequency.md]

Parses every ``corpus/tf1/**/*.py`` with :mod:`ast` (TensorFlow is never
imported), resolves import aliases and simple attribute aliases the way the
frequency study did, and counts references to the first 124 names of the
"Top 150 by total references" table of ``api-frequency.md`` -- the names that
cover 80% of all TF1 API references in public code.

Alias resolution:

* ``import tensorflow as tf``, ``import tensorflow.compat.v1 as tf``,
  ``from tensorflow.compat import v1 as tf``, ``from tensorflow.contrib import
  slim``, ``from tensorflow.examples.tutorials.mnist import input_data``, ...
* assignments of a TF chain to a plain name: ``slim = tf.contrib.slim``,
  ``flags = tf.app.flags``, ``FLAGS = flags.FLAGS`` (iterated to a fixpoint);
* ``compat.v1`` is folded: ``tf.compat.v1.placeholder`` counts as
  ``tf.placeholder``.

A reference is a maximal ``tf.a.b.c`` attribute chain after resolution. A
target name counts as covered when some reference equals it or extends it
(``tf.flags.FLAGS.foo`` covers ``tf.flags.FLAGS``).

Exit status: 0 when every target name is covered, 1 otherwise.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS_DIR = os.path.join(HERE, "tf1")
DEFAULT_REFERENCE = "/work/shared/reference/api-frequency.md"
TOP_N = 124

# The first 124 rows of "Top 150 by total references" in api-frequency.md
# (TF1 set, tf.compat.v1 folded). Kept here so the check needs no network or
# shared checkout; --reference re-reads the table instead.
TOP_NAMES = """
tf.float32 tf.placeholder tf.variable_scope tf.contrib.slim.conv2d tf.Variable
tf.reduce_mean tf.reshape tf.nn.relu tf.Session tf.cast tf.matmul tf.random_normal
tf.constant tf.global_variables_initializer tf.argmax tf.get_variable tf.name_scope
tf.int32 tf.reduce_sum tf.logging.info tf.concat tf.summary.scalar tf.Graph
tf.train.AdamOptimizer tf.shape tf.square tf.contrib.slim.arg_scope
tf.keras.layers.Dense tf.equal tf.contrib.slim.max_pool2d tf.set_random_seed
tf.int64 tf.trainable_variables tf.nn.conv2d tf.summary.histogram tf.nn.dropout
tf.transpose tf.log tf.train.Saver
tf.examples.tutorials.mnist.input_data.read_data_sets tf.nn.sigmoid tf.nn.softmax
tf.get_collection tf.train.GradientDescentOptimizer tf.contrib.slim.repeat tf.add
tf.flags.DEFINE_string tf.contrib.layers.xavier_initializer tf.layers.dense
tf.expand_dims tf.maximum tf.contrib.slim.fully_connected tf.stack
tf.flags.DEFINE_integer tf.zeros tf.control_dependencies tf.device
tf.nn.softmax_cross_entropy_with_logits tf.FixedLenFeature tf.convert_to_tensor
tf.assign tf.gfile.GFile tf.data.Dataset.from_tensor_slices tf.ConfigProto
tf.app.flags.DEFINE_integer tf.app.flags.DEFINE_float tf.app.flags.DEFINE_string
tf.cond tf.to_float tf.constant_initializer tf.nn.max_pool tf.get_default_graph
tf.string tf.group tf.random_uniform tf.ragged.constant tf.summary.merge
tf.summary.FileWriter tf.contrib.slim.batch_norm tf.keras.Sequential tf.multiply
tf.add_n tf.minimum tf.one_hot tf.slice tf.gradients tf.exp
tf.nn.sigmoid_cross_entropy_with_logits tf.bool tf.squeeze tf.sqrt tf.identity
tf.logical_and tf.boolean_mask tf.contrib.slim.avg_pool2d
tf.flags.mark_flag_as_required tf.ones tf.nn.dynamic_rnn tf.gather
tf.clip_by_value tf.float64 tf.truncated_normal_initializer tf.ones_like tf.pow
tf.nn.bias_add tf.layers.conv2d tf.uint8 tf.sigmoid tf.InteractiveSession
tf.GraphKeys.UPDATE_OPS tf.contrib.slim.l2_regularizer tf.flags.DEFINE_bool
tf.to_int32 tf.nn.sparse_softmax_cross_entropy_with_logits tf.truncated_normal
tf.add_to_collection tf.zeros_initializer tf.train.latest_checkpoint
tf.contrib.rnn.BasicLSTMCell tf.nn.l2_loss tf.train.get_checkpoint_state
tf.get_default_session tf.contrib.slim.dropout tf.gfile.Exists
""".split()  # noqa: SIM905
assert len(TOP_NAMES) == TOP_N, len(TOP_NAMES)


def read_reference(path: str, n: int = TOP_N) -> list[str]:
    """The first ``n`` names of the 'Top 150 by total references' table."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    start = text.index("Top 150 by total references")
    names = []
    for line in text[start:].splitlines():
        m = re.match(r"^\|\s*\d+\s*\|\s*`([^`]+)`", line)
        if m:
            names.append(m.group(1))
            if len(names) == n:
                break
        elif names and not line.startswith("|"):
            break
    return names


# --------------------------------------------------------------------------
# alias-resolving reference extraction


def normalize(path: str) -> str:
    """'tensorflow.compat.v1.nn.relu' -> 'tf.nn.relu'."""
    parts = path.split(".")
    if parts and parts[0] == "tensorflow":
        parts[0] = "tf"
    if parts[:1] != ["tf"]:
        return path
    if parts[1:3] == ["compat", "v1"]:
        parts = ["tf"] + parts[3:]
    return ".".join(parts)


def _chain(node: ast.AST) -> list[str] | None:
    """['tf', 'nn', 'relu'] for the expression tf.nn.relu, else None."""
    attrs = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id] + attrs[::-1]
    return None


def _resolve(parts: list[str], aliases: dict[str, str]) -> str | None:
    head = aliases.get(parts[0])
    if head is None:
        return None
    return normalize(".".join([head] + parts[1:]))


def collect_aliases(tree: ast.AST) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "tensorflow" or a.name.startswith("tensorflow."):
                    if a.asname:
                        aliases[a.asname] = normalize(a.name)
                    else:  # `import tensorflow.x.y` binds `tensorflow`
                        aliases["tensorflow"] = "tf"
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (
                node.module == "tensorflow"
                or (node.module or "").startswith("tensorflow.")
            )
        ):
            for a in node.names:
                if a.name != "*":
                    aliases[a.asname or a.name] = normalize(f"{node.module}.{a.name}")
    # simple aliases: NAME = <tf chain>, to a fixpoint (flags -> FLAGS)
    assigns = [
        (n.targets[0].id, _chain(n.value))
        for n in ast.walk(tree)
        if isinstance(n, ast.Assign)
        and len(n.targets) == 1
        and isinstance(n.targets[0], ast.Name)
        and _chain(n.value) is not None
    ]
    changed = True
    while changed:
        changed = False
        for name, parts in assigns:
            target = _resolve(parts, aliases)
            if target and target.startswith("tf") and aliases.get(name) != target:
                aliases[name] = target
                changed = True
    return aliases


def references(source: str) -> list[str]:
    """Resolved, maximal tf.* chains referenced in ``source``."""
    tree = ast.parse(source)
    aliases = collect_aliases(tree)
    inner = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            inner.add(id(node.value))
    refs = []
    for node in ast.walk(tree):
        if id(node) in inner:
            continue
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            continue
        if isinstance(node, (ast.Attribute, ast.Name)):
            parts = _chain(node)
            if parts is None:
                continue
            resolved = _resolve(parts, aliases)
            if resolved and (resolved == "tf" or resolved.startswith("tf.")):
                refs.append(resolved)
    return refs


def corpus_files(root: str = CORPUS_DIR) -> list[str]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d for d in dirnames if d not in ("expected", "__pycache__")
        )
        out += [
            os.path.join(dirpath, f) for f in sorted(filenames) if f.endswith(".py")
        ]
    return out


def coverage(names: list[str], root: str = CORPUS_DIR) -> dict:
    by_name: dict[str, list[str]] = defaultdict(list)
    for path in corpus_files(root):
        with open(path, encoding="utf-8") as fh:
            refs = set(references(fh.read()))
        rel = os.path.relpath(path, root)
        for name in names:
            if any(r == name or r.startswith(name + ".") for r in refs):
                by_name[name].append(rel)
    covered = [n for n in names if by_name.get(n)]
    missing = [n for n in names if not by_name.get(n)]
    rewrite_only = [
        n for n in covered if all(f.startswith("contrib" + os.sep) for f in by_name[n])
    ]
    return {
        "total": len(names),
        "covered": covered,
        "missing": missing,
        "covered_only_by_rewrite_only_programs": rewrite_only,
        "files": {n: by_name.get(n, []) for n in names},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reference", help="read the names from this api-frequency.md")
    ap.add_argument(
        "--top", type=int, default=TOP_N, help="how many names (with --reference)"
    )
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument("-v", "--verbose", action="store_true", help="list files per name")
    args = ap.parse_args(argv)

    names = read_reference(args.reference, args.top) if args.reference else TOP_NAMES
    result = coverage(names)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for n in names:
            files = result["files"][n]
            mark = "ok  " if files else "MISS"
            extra = (
                f"  {', '.join(files)}" if args.verbose else f"  ({len(files)} files)"
            )
            print(f"{mark} {n}{extra}")
        print(
            f"covered {len(result['covered'])}/{result['total']} "
            f"({len(result['covered_only_by_rewrite_only_programs'])} only by rewrite-only programs)"
        )
        if result["missing"]:
            print("missing: " + " ".join(result["missing"]))
    return 0 if not result["missing"] else 1


if __name__ == "__main__":
    sys.exit(main())
