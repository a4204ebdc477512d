"""TF2120: a count of TF1's MODEL_VARIABLES collection, `len(slim.get_model_variables())`.

TF-Slim puts every variable its layers make in the MODEL_VARIABLES collection: the
weights and biases of conv2d/fully_connected and the beta, gamma, moving mean and moving
variance of batch_norm (also as a normalizer_fn); optimizer slots, the global step and
variables made by tf.Variable / get_variable are not in it. When every variable of the
program is made by slim layers in model functions that TF2130 turns into Keras objects,
those objects' Keras `weights` are the same variables (Keras 3 lists a Dropout's random
seed state in `variables`, not in `weights`), in another order (trainable ones first):
the read is converted only as a count,

    len(slim.get_model_variables())   ->   len(vgg_tiny_layer.weights)

read after the objects are built (plan_variable_reads in _collections.py: after a run of a
function that calls them, or behind a trace). Also `tf.model_variables()` and
`tf.get_collection(tf.GraphKeys.MODEL_VARIABLES)` (no scope). Anything else is refused
with the reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:
    from rules.tf1_to_tf2._graph import Analysis

READS = ("model_variables", "contrib.slim.get_model_variables", "contrib.framework.get_model_variables",
         "contrib.slim.variables.get_model_variables")
WHY = ("MODEL_VARIABLES lists the variables of slim layers (weights, biases, batch-norm statistics) in creation "
       "order; the Keras objects list them in another order (trainable ones first)")


def is_model_read(an: Analysis, n: cst.CSTNode) -> bool:
    if not isinstance(n, cst.Call):
        return False
    r = an.call_rest(n)
    if r in READS and not n.args:
        return True
    return (r == "get_collection" and len(n.args) == 1 and n.args[0].keyword is None
            and an.rest(n.args[0].value) == "GraphKeys.MODEL_VARIABLES")


def refusal(an: Analysis, call: cst.Call) -> str | None:
    """Why `call` (a MODEL_VARIABLES read) is not `len(obj.weights)` here, or None."""
    from rules.tf1_to_tf2._collections import _makes_scoped_variables, walk

    line = an.find_stmt(call)
    counted = line is not None and any(
        isinstance(n, cst.Call) and isinstance(n.func, cst.Name) and n.func.value == "len" and len(n.args) == 1
        and n.args[0].value is call for n in walk(line))
    if not counted:
        return f"{WHY}: only a count, `len(...)` of it, is converted"
    for name, fp in an.models.items():
        kinds = {c.kind for c in fp.creators}  # type: ignore[attr-defined]
        if kinds - {"slim", "sub"}:
            return f"{WHY}: `{name}` also makes variables other than slim layers' (not model variables in TF1)"
        for n in walk(fp.node):  # type: ignore[attr-defined]
            if isinstance(n, cst.Arg) and n.keyword is not None and n.keyword.value in ("variables_collections", "trainable"):
                return f"{WHY}: `{name}` passes `{n.keyword.value}=`"
    if any(_makes_scoped_variables(r) and r not in READS for n, r in an.tf_refs(an.module) if id(n) not in an.model_nodes):
        return f"{WHY}: variables are also made outside the model functions"
    return None


def last_unobserved_run(an: Analysis, v) -> bool:  # type: ignore[no-untyped-def]
    """Generated function `v` is run once, by a statement that is not in a loop or a branch,
    the last run of its unit, after which the unit only computes with the fetched values in
    Python (no other run, no Saver, no TensorFlow call but the counts converted here): a
    Keras batch normalization called there with training=True updates its moving
    statistics where TF1's run (without the update ops) did not, and nothing reads them
    afterwards."""
    from rules.tf1_to_tf2._collections import walk

    top = v.unit.body[v.tops[0]] if len(v.tops) == 1 else None
    if top is None:
        return False
    order = list(walk(v.unit.node))
    mine = [i for i, n in enumerate(order) if an.site_variants.get(id(n)) is v]
    runs = [i for i, n in enumerate(order) if id(n) in an.site_variants]
    if len(mine) != 1 or max(runs) != mine[0]:
        return False
    line = an.find_stmt(order[mine[0]])
    if line is None:
        return False
    path = _path(top, line)
    if path is None or any(not isinstance(n, (cst.With, cst.IndentedBlock)) for n in path[:-1]):
        return False  # in a loop or a branch: it may run again
    counts = {id(n) for c in an.variable_reads if is_model_read(an, c) for n in walk(c)}
    after = [n for n in order[order.index(line) + 1:] if not any(n is x for x in walk(line))]
    if any(isinstance(n, (cst.Name, cst.Attribute)) and id(n) not in counts and an.rest(n) for n in after):
        return False
    note = (f"; the last run (`{an.code(line).strip()}`) calls batch normalization with training=True without TF1's "
            "update ops: Keras updates the moving statistics there, which nothing reads afterwards")
    an.bn_last_run_note = note  # type: ignore[attr-defined]  # appended to the summary
    return True


def _path(root: cst.CSTNode, target: cst.CSTNode) -> list[cst.CSTNode] | None:
    if root is target:
        return [root]
    for child in root.children:
        sub = _path(child, target)
        if sub is not None:
            return [root, *sub]
    return None
