"""TF2120: TF1 streaming metrics (`tf.metrics.*`) in Session code -> Keras metric objects.

Not a rule module. Called by ``Analysis.run`` (rules/tf1_to_tf2/_graph.py) before the
graph-only check. A top-level line of the session code (the module body, or a function
that runs the session and is called once)

    acc, acc_update = tf.metrics.accuracy(labels=labels, predictions=predictions)

stays where it is as the Keras metric object, created once:

    accuracy_metric = tf.keras.metrics.Accuracy()

and the analysis sees two statements in its place instead (``Analysis.flat``): the update
op `accuracy_metric.update_state(labels, predictions)` and the value
`acc = accuracy_metric.result()`, tensor statements that move into the generated
tf.functions like any other. A fetched `update_op = tf.group(acc_update, ...)` of metric
updates becomes a function `update_metrics(...)` of update_state calls (the fetched-group
machinery of _control_flow.py); a fetch of the values a function returning the results.
``tables/metrics.json`` maps each TF1 metric to its Keras 3 class, the arguments passed
to update_state and the variables (as many as TF1's local variables); the table is checked
against TF 2.21 by tests/test_tf1_structural.py (test_metric_table_matches_tf1).

`sess.run(tf.local_variables_initializer())` goes when it is proven to run before any
update: the first one, at the top level of the session block, after no run other than the
global initializer (fresh Keras metrics are zero). Any other such run (in a loop over
evaluation passes, say) becomes `<metric>.reset_state()` of every metric at its place
(tested against TF1 by test_metric_reset_between_passes_reproduces_tf1). `len(tf.local_variables())`
becomes the length of the metrics' variables (TF1 had no other local variables then:
every local-variable maker handled here is a metric).

Refused, with the reason: metrics not in the table, `weights=` and the collection
arguments, `name=` aside any argument other than the table's update arguments, precision
and recall whose predictions are not a boolean comparison (TF1 casts to bool, Keras
thresholds at 0.5), a file that mentions another float dtype (Keras metrics accumulate in
float32), arguments spelling a TF name TF2 renames (the moved statements are written as
TF2 code), an update op used other than in a `tf.group`, any other use of
`tf.local_variables()`/`local_variables_initializer()` than `len(tf.local_variables())` and
`sess.run(tf.local_variables_initializer())` as a statement, and a metric call that is not `value, update_op = tf.metrics.<fn>(...)` in
straight-line code.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import libcst as cst

from rules.tf1_to_tf2._common import code
from rules.tf1_to_tf2._variables import _Refused

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


def reason(an: Analysis, call: cst.Call | None, fn: str, owner: cst.CSTNode | None) -> str | None:
    """Why the `tf.metrics.<fn>` call is not converted; None when its own form is."""
    table = load_table()
    entry = table.get(fn)
    if entry is None:
        return (f"`tf.metrics.{fn}`: no Keras metric with TF1's semantics is recorded for it "
                f"({', '.join(sorted(table))} are)")
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
                "code (the Keras metric object must be created once)")
    return None


# -- the conversion ----------------------------------------------------------------------------

OTHER_FLOATS = ("float64", "double", "float16", "half", "bfloat16")
# TF1 ops whose result is boolean (precision/recall predictions: Keras thresholds them at 0.5)
BOOLEAN_OPS = {"equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "logical_and",
               "logical_or", "logical_not", "logical_xor", "math.equal", "math.not_equal", "math.less",
               "math.less_equal", "math.greater", "math.greater_equal", "math.logical_and", "math.logical_or",
               "math.logical_not", "math.logical_xor"}


class MetricLine:
    """One converted `value, update_op = tf.metrics.<fn>(...)` line."""

    def __init__(self, line: cst.SimpleStatementLine, call: cst.Call, fn: str, obj: str, value: str, update: str,
                 update_line: cst.SimpleStatementLine, value_line: cst.SimpleStatementLine) -> None:
        self.line = line
        self.call = call
        self.fn = fn
        self.obj = obj
        self.value = value
        self.update = update
        self.update_line = update_line
        self.value_line = value_line


def convert(an: Analysis, refs: list[tuple[cst.CSTNode, str]]) -> tuple[cst.CSTNode, str] | None:
    """Plan the conversion of every `tf.metrics` line; (node, why) and nothing planned when one
    of them, or a use of the metrics' local variables, is not of a proven form."""
    try:
        _convert(an, refs)
    except _Refused as r:
        return r.node, r.why
    return None


def _convert(an: Analysis, refs: list[tuple[cst.CSTNode, str]]) -> None:
    from rules.tf1_to_tf2._graph import walk
    from rules.tf1_to_tf2._variables import (
        SESSION_NAMES,
        VariableConversion,
        session_bodies,
    )
    from rules.tf1_to_tf2.tables import load_symbols

    metric_refs = {id(n): r for n, r in refs if r.startswith("metrics.")}
    anchor: cst.CSTNode = next((n for n, r in refs if r == "metrics" or r.startswith("metrics.")), an.module)
    if anchor is an.module:
        return
    if len(metric_refs) != sum(1 for _, r in refs if r == "metrics" or r.startswith("metrics.")):
        raise _Refused(anchor, "`tf.metrics` used other than as `tf.metrics.<fn>(...)`")
    table = load_table()
    symbols = load_symbols()
    src = an.ctx.source_text
    if any(w in src for w in OTHER_FLOATS):
        raise _Refused(anchor, f"the file uses `{next(w for w in OTHER_FLOATS if w in src)}`: Keras metrics accumulate in float32")
    lines: list[MetricLine] = []
    seen: set[int] = set()
    for fn_def, body in session_bodies(an):
        if fn_def is not None and not any(id(n) in metric_refs for n in walk(fn_def)):
            continue
        if fn_def is not None and (not any(r in SESSION_NAMES for _, r in an.tf_refs(fn_def))
                                   or VariableConversion(an).called_once(fn_def) is not None):
            raise _Refused(anchor, "a function that makes `tf.metrics` must run the session and be called once (the Keras metric objects are created once)")
        bound: dict[str, cst.BaseExpression] = {}
        for st in body:
            small = st.body[0] if isinstance(st, cst.SimpleStatementLine) and len(st.body) == 1 else None
            if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                bound[small.targets[0].target.value] = small.value
            if not (isinstance(small, cst.Assign) and isinstance(small.value, cst.Call)
                    and id(small.value.func) in metric_refs):
                continue
            call = small.value
            anchor = call.func
            fn = metric_refs[id(call.func)][len("metrics."):]
            why = reason(an, call, fn, st)
            if why is not None:
                raise _Refused(anchor, why)
            entry = table[fn]
            target = small.targets[0].target
            assert isinstance(target, cst.Tuple)
            names = [el.value.value if isinstance(el.value, cst.Name) else None for el in target.elements]
            if None in names or names[0] == names[1]:
                raise _Refused(anchor, f"`tf.metrics.{fn}` not assigned to two distinct names")
            params = entry["params"]
            named = {(a.keyword.value if a.keyword is not None else params[i]): a.value for i, a in enumerate(call.args)}
            if any(k not in named for k in entry["update"]) or set(named) - set(entry["update"]) - {"name"}:
                raise _Refused(anchor, f"`tf.metrics.{fn}` with an argument other than {', '.join(entry['update'])} and name")
            for k in entry["update"]:
                for n in walk(named[k]):
                    if isinstance(n, (cst.Name, cst.Attribute)):
                        r = an.rest(n)
                        if r:
                            e = symbols.lookup(r)
                            if e is None or e.v2_name != r:
                                raise _Refused(anchor, f"an argument of `tf.metrics.{fn}` uses `tf.{r}`, which TF2 spells differently")
            if fn == "accuracy" and not (_integral(an, named["labels"], bound) and _integral(an, named["predictions"], bound)):
                raise _Refused(anchor, "`tf.metrics.accuracy` whose labels and predictions are not both integer or boolean "
                                       "(an integer placeholder, argmax/argmin, a comparison): TF1 casts predictions to "
                                       "the labels' dtype, Keras labels to the predictions'")
            if fn in ("precision", "recall"):
                pred = named["predictions"]
                if isinstance(pred, cst.Name) and pred.value in bound:
                    pred = bound[pred.value]
                if an.call_rest(pred) not in BOOLEAN_OPS:
                    raise _Refused(anchor, f"`tf.metrics.{fn}` with predictions that are not a boolean comparison: TF1 casts them to bool, Keras counts those > 0.5")
            obj = an.fresh(f"{fn}_metric")
            args = ", ".join(code(named[k]) for k in entry["update"])
            update_line = cst.parse_statement(f"{obj}.update_state({args})\n")
            value_line = cst.parse_statement(f"{names[0]} = {obj}.result()\n")
            assert isinstance(update_line, cst.SimpleStatementLine) and isinstance(value_line, cst.SimpleStatementLine)
            lines.append(MetricLine(st, call, fn, obj, names[0], names[1], update_line, value_line))  # type: ignore[arg-type]
            seen.add(id(call.func))
    if not lines or seen != set(metric_refs):
        raise _Refused(anchor, "a `tf.metrics` reference that is not a call converted here")
    # each update op only in a `tf.group(...)`; the local-variable names only as
    # `len(tf.local_variables())` and one `sess.run(tf.local_variables_initializer())` before any other run
    in_group: set[int] = set()
    runs: list[cst.Call] = []
    local_reads: list[cst.Call] = []
    inits: list[cst.Call] = []
    parent: dict[int, cst.CSTNode] = {}
    for n in walk(an.module):
        for c in n.children:
            parent[id(c)] = n
        if isinstance(n, cst.Call):
            r = an.call_rest(n)
            if r == "group":
                in_group |= {id(a.value) for a in n.args if isinstance(a.value, cst.Name)}
            elif r == "local_variables":
                if n.args or not isinstance(parent.get(id(n)), cst.Arg):
                    raise _Refused(anchor, "`tf.local_variables()` used other than in `len(tf.local_variables())`")
                outer = parent.get(id(parent[id(n)]))
                if not (isinstance(outer, cst.Call) and isinstance(outer.func, cst.Name) and outer.func.value == "len"):
                    raise _Refused(anchor, "`tf.local_variables()` used other than in `len(tf.local_variables())`")
                local_reads.append(n)
            elif r == "local_variables_initializer":
                inits.append(n)
            elif isinstance(n.func, cst.Attribute) and n.func.attr.value == "run":
                runs.append(n)
    for ml in lines:
        for n in walk(an.module):
            if isinstance(n, cst.Name) and n.value == ml.update and id(n) not in in_group \
                    and not any(n is el.value for el in ml.line.body[0].targets[0].target.elements):  # type: ignore[attr-defined]
                raise _Refused(anchor, f"the update op `{ml.update}` is used other than in `tf.group(...)`: only a fetched group of metric updates becomes a function of update_state calls")
    for r_ in ("local_variables", "local_variables_initializer"):
        if sum(1 for _, r in refs if r == r_) != len(local_reads if r_ == "local_variables" else inits):
            raise _Refused(anchor, "`tf.local_variables`/`tf.local_variables_initializer` referenced other than as called here")
    resets: dict[int, cst.SimpleStatementLine] = {}  # init call -> its run line, which becomes reset_state() calls
    global_inits = {"global_variables_initializer", "initialize_all_variables"}
    for k, init in enumerate(inits):
        run = parent.get(id(parent.get(id(init))))
        stmt = parent.get(id(run)) if run is not None else None
        line = parent.get(id(stmt)) if stmt is not None else None
        if not (isinstance(run, cst.Call) and any(run is r for r in runs) and len(run.args) == 1
                and isinstance(stmt, cst.Expr) and isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1):
            raise _Refused(anchor, "`tf.local_variables_initializer()` not run alone by a `sess.run(...)` statement")
        block = parent.get(id(line))
        # proven to run once before any update: the first, at the top level of the session
        # block, after no run but the global initializer's (fresh Keras metrics are zero)
        before_updates = k == 0 and isinstance(block, cst.IndentedBlock) and isinstance(parent.get(id(block)), cst.With) \
            and all(len(o.args) == 1 and an.call_rest(o.args[0].value) in global_inits
                    for o in runs[:next(i for i, r in enumerate(runs) if r is run)])
        if not before_updates:
            resets[id(init)] = line
    # planned
    an.metric_lines = {id(ml.line): ml for ml in lines}
    an.metric_inits = {id(c) for c in inits}
    objs = [ml.obj for ml in lines]
    for cid, line in resets.items():
        an.metric_resets[cid] = _reset_builder(objs)
    for ml in lines:
        an.allowed_refs.add(id(ml.call.func))
        an.plan.dropped.append(ml.call.func)
        an.plan.stmt_builders[id(ml.line)] = _creation_builder(an, ml)
    for c in local_reads + inits:
        an.allowed_refs.add(id(c.func))
        an.plan.dropped.append(c.func)
    for c in local_reads:
        an.plan.call_builders[id(c)] = _variables_builder(objs)
    return


INTEGER_DTYPES = {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "bool"}


def _integral(an: Analysis, node: cst.BaseExpression, bound: dict[str, cst.BaseExpression]) -> bool:
    """An integer or boolean tensor: argmax/argmin (int64), a comparison, or an integer placeholder."""
    if isinstance(node, cst.Name) and node.value in bound:
        node = bound[node.value]
    r = an.call_rest(node)
    if r in BOOLEAN_OPS:
        return True
    if r in ("argmax", "argmin", "math.argmax", "math.argmin") and isinstance(node, cst.Call):
        return not any(a.keyword is not None and a.keyword.value in ("output_type", "dimension") for a in node.args) \
            and len(node.args) <= 2
    if r == "placeholder" and isinstance(node, cst.Call) and node.args:
        dtype = node.args[0].value if node.args[0].keyword in (None,) or node.args[0].keyword.value == "dtype" else None
        return an.rest(dtype) in INTEGER_DTYPES
    return False


def _creation_builder(an: Analysis, ml: MetricLine):  # type: ignore[no-untyped-def]
    from rules.tf1_to_tf2._common import tf_root

    def build(updated_line: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
        cls = load_table()[ml.fn]["keras"]
        name = next((a.value for a in ml.call.args if a.keyword is not None and a.keyword.value == "name"), None)
        args = f"name={code(name)}" if name is not None else ""
        stmt = cst.parse_statement(f"{ml.obj} = {tf_root(an.ctx)}.keras.metrics.{cls}({args})\n")
        return [stmt.with_changes(leading_lines=updated_line.leading_lines)]
    return build


def _reset_builder(objs: list[str]):  # type: ignore[no-untyped-def]
    def build(updated_line: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
        out: list[cst.BaseStatement] = [cst.parse_statement(f"{o}.reset_state()\n") for o in objs]
        out[0] = out[0].with_changes(leading_lines=updated_line.leading_lines)
        return out
    return build


def _variables_builder(objs: list[str]):  # type: ignore[no-untyped-def]
    def build(updated: cst.Call) -> cst.BaseExpression:
        return cst.parse_expression("[" + ", ".join(f"*{o}.variables" for o in objs) + "]")
    return build
