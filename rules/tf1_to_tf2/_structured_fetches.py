"""TF2120: a fetched value that is a dict of tensors returned by a model function.

`logits, end_points = vgg_tiny(images)` where `vgg_tiny` (made a Keras layer by TF2130)
returns `logits, end_points` and `end_points` is a dict of tensors built in it (slim's
end points). TF1's `sess.run([logits, end_points])` returned `[array, {name: array}]`:
the converted call maps `.numpy()` over the structure,

    out, points = tf.nest.map_structure(lambda t: t.numpy(), compute_logits_end_points(x))

(a list for a list of fetches, as sess.run returned) instead of calling `.numpy()` on each
element (a dict has none).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:
    from rules.tf1_to_tf2._graph import Analysis

_MAP = "tf.nest.map_structure(lambda t: t.numpy(), _)"


def is_structured(an: Analysis, node: cst.BaseExpression, stmt) -> bool:  # type: ignore[no-untyped-def]
    """`node` (a fetched name) is bound, by `stmt`, to a dict that a TF2130 model function
    builds and returns."""
    if not isinstance(node, cst.Name) or stmt is None or not isinstance(stmt.node, cst.SimpleStatementLine):
        return False
    assign = stmt.node.body[0]
    if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1 and isinstance(assign.value, cst.Call)
            and isinstance(assign.value.func, cst.Name) and assign.value.func.value in an.models):
        return False
    target = assign.targets[0].target
    if not isinstance(target, (cst.Tuple, cst.List)):
        return False
    names = [el.value.value if isinstance(el.value, cst.Name) else None for el in target.elements]
    if node.value not in names:
        return False
    fn = an.models[assign.value.func.value].node  # type: ignore[attr-defined]
    last = fn.body.body[-1]
    ret = last.body[0] if isinstance(last, cst.SimpleStatementLine) else None
    if not isinstance(ret, cst.Return) or not isinstance(ret.value, cst.Tuple) or len(ret.value.elements) != len(names):
        return False
    value = ret.value.elements[names.index(node.value)].value
    if isinstance(value, cst.Dict):
        return True
    if not isinstance(value, cst.Name):
        return False
    from rules.tf1_to_tf2._collections import walk

    bound = [n.value for n in walk(fn) if isinstance(n, cst.Assign) and len(n.targets) == 1
             and isinstance(n.targets[0].target, cst.Name) and n.targets[0].target.value == value.value]
    return len(bound) == 1 and isinstance(bound[0], cst.Dict)


def convert(call: cst.Call, shape: str) -> cst.BaseExpression:
    expr = cst.parse_expression(_MAP)
    assert isinstance(expr, cst.Call)
    expr = expr.with_changes(args=[expr.args[0], expr.args[1].with_changes(value=call)])
    if shape == "list":
        return cst.Call(func=cst.Name("list"), args=[cst.Arg(expr)])
    return expr
