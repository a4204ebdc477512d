"""TF2120: TF1 streaming metrics (`tf.metrics.*`) in Session code.

Not a rule module. Called by ``Analysis.run`` (rules/tf1_to_tf2/_graph.py) before the
graph-only check, so that a file using

    acc, acc_update = tf.metrics.accuracy(labels=labels, predictions=predictions)

is refused with the reason that belongs to the metric, not with the generic one of the
first graph-collection name it also uses (`tf.local_variables_initializer()`,
`tf.local_variables()`).

The TF2 form of a streaming metric is a Keras metric object created once; the update op
becomes `update_state(...)`, the value `.result()`, a run of
`tf.local_variables_initializer()` `reset_state()`, and `len(tf.local_variables())` the
number of the metrics' variables. ``tables/metrics.json`` maps each TF1 metric to its
Keras 3 class, the arguments passed to `update_state`, the variables (TF1 made the same
number of local variables) and the condition under which the values agree; the table is
checked against TF 2.21 by tests/test_tf1_structural.py (test_metric_table_matches_tf1).
The structural rewrite itself (the update op run in the step function, the value read
where TF1 fetched it) is not automated yet: every `tf.metrics` call is refused, with
the Keras code to write when the table has the metric and its arguments agree, and with
what differs otherwise (`weights=`, the collection arguments, metrics not in the table,
a call not written as `value, update_op = tf.metrics.<fn>(...)`).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import libcst as cst

if TYPE_CHECKING:
    from rules.tf1_to_tf2._graph import Analysis

TABLE = Path(__file__).resolve().parent / "tables" / "metrics.json"
# TF1 arguments with no Keras counterpart of the same meaning -> why
NOT_CONVERTED_ARGS = {
    "weights": "TF1 broadcasts `weights` to the values and divides by their sum; Keras' sample_weight is not "
               "checked to agree",
    "metrics_collections": "graph collections do not exist in eager TF2",
    "updates_collections": "graph collections do not exist in eager TF2",
}


@functools.lru_cache(maxsize=1)
def load_table() -> dict[str, dict[str, Any]]:
    data = json.loads(TABLE.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def reason(an: Analysis, call: cst.Call | None, fn: str, owner: cst.CSTNode | None) -> str:
    """Why the `tf.metrics.<fn>` call is not converted (and what to write instead)."""
    table = load_table()
    entry = table.get(fn)
    if entry is None:
        return (f"`tf.metrics.{fn}`: no Keras metric with TF1's semantics is recorded for it "
                f"({', '.join(sorted(table))} are); not converted")
    if call is None:
        return f"`tf.metrics.{fn}` is not called; not converted"
    params = entry["params"]
    named: dict[str, cst.Arg] = {}
    for i, a in enumerate(call.args):
        if a.star:
            return f"`tf.metrics.{fn}(*args/**kwargs)`; not converted"
        key = a.keyword.value if a.keyword is not None else (params[i] if i < len(params) else None)
        if key is None or key not in params:
            return f"`tf.metrics.{fn}` with an argument it does not take; not converted"
        named[key] = a
    for k, why in NOT_CONVERTED_ARGS.items():
        if k in named and not _is_none(named[k].value):
            return f"`tf.metrics.{fn}(..., {k}=...)`: {why}; not converted"
    small = owner.body[0] if isinstance(owner, cst.SimpleStatementLine) and len(owner.body) == 1 else None
    if not (isinstance(small, cst.Assign) and small.value is call and len(small.targets) == 1
            and isinstance(small.targets[0].target, cst.Tuple) and len(small.targets[0].target.elements) == 2):
        return (f"`tf.metrics.{fn}` not written as `value, update_op = tf.metrics.{fn}(...)` in straight-line "
                "code (the Keras metric object must be created once); not converted")
    update = ", ".join(entry["update"])
    return (f"streaming metric `tf.metrics.{fn}`: in TF2 it is a Keras metric object created once "
            f"(`tf.keras.metrics.{entry['keras']}()`), its update op `update_state({update})` where the update "
            "op ran, its value `.result()` where it was fetched, `tf.local_variables_initializer()` "
            f"`reset_state()`, and its {len(entry['variables'])} local variables `.variables`; the values agree for "
            f"{entry['condition']}; not automated yet")


def check(an: Analysis, refs: list[tuple[cst.CSTNode, str]]) -> None:
    """Refuse the file at its first `tf.metrics` reference, with that metric's reason."""
    from rules.tf1_to_tf2._graph import Unsupported, walk

    metric_refs = {id(n): r for n, r in refs if r == "metrics" or r.startswith("metrics.")}
    if not metric_refs:
        return
    owner: cst.CSTNode | None = None
    parent: dict[int, cst.CSTNode] = {}
    for n in walk(an.module):
        for c in n.children:
            parent[id(c)] = n
        if id(n) not in metric_refs:
            continue
        r = metric_refs[id(n)]
        fn = r[len("metrics."):] if r.startswith("metrics.") else ""
        p = parent.get(id(n))
        call = p if isinstance(p, cst.Call) and p.func is n else None
        owner = call
        while owner is not None and not isinstance(owner, cst.BaseStatement):
            owner = parent.get(id(owner))
        raise Unsupported(n, reason(an, call, fn, owner) + "; the file keeps tf.compat.v1 and its Session")
