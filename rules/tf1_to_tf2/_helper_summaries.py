"""Flag-guarded summaries inside TF2130 model functions (not a rule module).

`if FLAGS.log_histograms: tf.summary.histogram('weights', weights)` at the top level of a
model function that TF2130 makes a Keras layer: TF1 added the summary to the merged
summaries when the function was called (if the test held then). The layer does not keep it
(_model.py drops it from `call`); TF2120 writes it where the call stands: a synthetic
statement `if FLAGS.log_histograms: tf.summary.histogram('weights', <object>.<variable>)`
follows the call's statement in its unit, and is handled like a flag-guarded summary written
there (it goes, under its `if`, into the function that writes the merged summaries). A call
anywhere else (inside a block, a helper's expression that is not a statement of a unit) is
refused; when TF2120 does not convert the file, TF2130 reports the summary it took out of
the layer (variable_scope_module.py).
"""

from __future__ import annotations

import libcst as cst

STATE = "tf2120-helper-summaries"  # id() of the model functions' `if` statements TF2120 moved


def _summarised_models(an) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {n: fp for n, fp in an.models.items() if getattr(fp, "summaries", None)}


def synthetic(an, st: cst.BaseStatement) -> list[cst.BaseStatement]:  # type: ignore[no-untyped-def]
    """The summary statements that follow `st` (a statement of a unit calling such a model)."""
    from rules.tf1_to_tf2._graph import Unsupported, walk

    if not an.models or not isinstance(st, cst.SimpleStatementLine):
        return []
    models = _summarised_models(an)
    if not models:
        return []
    out: list[cst.BaseStatement] = []
    moved = an.ctx.state.setdefault(STATE, set())
    handled = an.__dict__.setdefault("helper_summary_calls", set())
    for n in walk(st):
        if not (isinstance(n, cst.Call) and isinstance(n.func, cst.Name) and n.func.value in models):
            continue
        fp = models[n.func.value]
        made = an.instance_names().get(fp.name, [])  # type: ignore[attr-defined]
        if len(made) != 1:
            raise Unsupported(n, f"`{fp.name}` writes summaries and is made into {len(made)} Keras objects; not converted")  # type: ignore[attr-defined]
        for if_node, call, attr in fp.summaries:  # type: ignore[attr-defined]
            value = cst.Attribute(value=cst.Name(made[0]), attr=cst.Name(attr))
            args = [call.args[0].with_changes(comma=cst.MaybeSentinel.DEFAULT),
                    call.args[1].with_changes(value=value, comma=cst.MaybeSentinel.DEFAULT)]
            new_call = call.with_changes(args=args)  # the original func node: its name resolves as before
            line = cst.SimpleStatementLine([cst.Expr(new_call)])
            new_if = cst.If(test=if_node.test, body=cst.IndentedBlock([line]))
            an.metric_synthetic[id(new_if)] = st  # anchored on the call's statement, never visited
            out.append(new_if)
            moved.add(id(if_node))
        handled.add(id(n))
    return out


def check_calls(an) -> None:  # type: ignore[no-untyped-def]
    """Every call of a model function whose summaries left its layer is a statement of a unit
    (where the summaries are written now)."""
    from rules.tf1_to_tf2._graph import Unsupported, walk

    models = _summarised_models(an) if an.models else {}
    if not models:
        return
    handled = an.__dict__.get("helper_summary_calls", set())
    for n in walk(an.module):
        if isinstance(n, cst.Call) and isinstance(n.func, cst.Name) and n.func.value in models \
                and id(n) not in an.model_nodes and id(n) not in handled:
            fp = models[n.func.value]
            ifs = ", ".join(f"`if {an.code(i.test)}: {an.code(c)}`" for i, c, _a in fp.summaries)  # type: ignore[attr-defined]
            raise Unsupported(n, f"`{n.func.value}` adds summaries to the merged summaries ({ifs}) and is called inside a "
                                 "block or a larger statement: they are written where a call statement stands; not converted")
