"""TF2120: sparse gradients (tf.nn.embedding_lookup / tf.gather of a variable) and the
Keras optimizers that replace TF1's.

Not a rule module. A variable read through `tf.nn.embedding_lookup` or `tf.gather` gets a
`tf.IndexedSlices` gradient, with one slice per looked-up id: repeated ids give repeated
rows. TF1's optimizers summed the repeated rows first (`_deduplicate_indexed_slices`);
Keras' Adagrad squares each row on its own, so its accumulator, and every later step,
differs (checked: corpus/tf1/embedding_gfile_vocab.py drifts by 1e-3 in 15 steps). For
the optimizers whose TF1 sparse update equals the dense update of the summed gradient
(Adagrad: untouched rows have a zero gradient and do not move; Adam: TF1 decays the
moments of every row), the train step makes the sparse gradients dense,

    gradients = tape.gradient(loss, variables)
    gradients = [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in gradients]

which is exact. Plain gradient descent needs nothing (a scatter of the rows is the sum).
TF1 optimizers kept as tf.compat.v1 objects apply the TF1 sparse update themselves. The
others (Momentum, Adadelta, Ftrl as Keras objects) updated only the looked-up rows in TF1
and every row in Keras: refused. Gradient pairs (compute_gradients / apply_gradients) with
such an optimizer are refused too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:
    from rules.tf1_to_tf2._graph import Analysis, TrainOp

SPARSE_READS = ("nn.embedding_lookup", "nn.embedding_lookup_sparse", "nn.safe_embedding_lookup_sparse", "gather",
                "gather_nd", "nn.embedding_lookup_v2", "keras.layers.Embedding")
DENSIFIED = ("train.AdagradOptimizer", "train.AdamOptimizer")
EXACT = ("train.GradientDescentOptimizer",)


def check(an: Analysis) -> None:
    """Fills ``an.dense_gradients`` (ids of train ops whose step densifies its gradients)
    or raises Unsupported."""
    from rules.tf1_to_tf2._graph import Unsupported, walk

    # model functions made Keras layers by TF2130 included: their lookups are sparse too
    sparse = next((n for n in walk(an.module) if isinstance(n, cst.Call) and an.call_rest(n) in SPARSE_READS
                   and not _of_computed_tensor(an, n)), None)
    if sparse is None:
        return
    for tr in an.train_ops.values():
        ocall = an.optimizer_call(tr)
        r = an.call_rest(ocall)
        if an.kept_v1(ocall) or r in EXACT:
            continue
        what = f"`tf.{an.call_rest(sparse)}` gives sparse gradients (one row per looked-up id)"
        if r in DENSIFIED and tr.compute is None:
            an.dense_gradients.add(id(tr))
            continue
        if r in DENSIFIED:
            raise Unsupported(tr.stmt.node, f"{what} and this compute_gradients/apply_gradients pair goes to a Keras "
                                            "optimizer, which does not sum repeated rows as TF1 did; not converted")
        raise Unsupported(ocall, f"{what}: TF1's `tf.{r}` updated only the looked-up rows, its Keras counterpart "
                                 "updates every row; not converted")


def _of_computed_tensor(an: Analysis, call: cst.Call) -> bool:
    """`tf.gather(flat, index)` where `flat` is the result of a TensorFlow op (not a
    variable) bound once in the same function, e.g. `flat = tf.reshape(outputs, [-1, n])`
    (corpus/tf1/lstm_dynamic_rnn.py's last_relevant): the op's gradient function makes
    the IndexedSlices dense before any variable gets them, so no optimizer sees sparse
    gradients."""
    from rules.tf1_to_tf2._graph import walk

    r = an.call_rest(call)
    if r not in ("gather", "gather_nd") or not call.args or call.args[0].keyword is not None:
        return False
    params = call.args[0].value
    if isinstance(params, cst.Name):
        fn = next((a for a in an.ancestors(call) if isinstance(a, cst.FunctionDef)), None)
        if fn is None:
            return False
        values = [n.value for n in walk(fn) if isinstance(n, cst.Assign) and any(
            isinstance(t.target, cst.Name) and t.target.value == params.value for t in n.targets)]
        bound = [n for n in walk(fn.params) if isinstance(n, cst.Name) and n.value == params.value]
        rebound = [n for n in walk(fn) if isinstance(n, (cst.For, cst.AugAssign, cst.AnnAssign, cst.AsName, cst.NamedExpr,
                                                          cst.Assign, cst.CompFor))
                   and any(isinstance(m, cst.Name) and m.value == params.value
                           for t in ([x.target for x in n.targets] if isinstance(n, cst.Assign) else
                                     [getattr(n, "target", None) or getattr(n, "name", None)])
                           if t is not None for m in walk(t))]
        if len(values) != 1 or bound or len(rebound) != 1:
            return False
        params = values[0]
    return isinstance(params, cst.Call) and an.call_rest(params) in COMPUTING_OPS


# TF ops whose gradient function gives their input a dense tensor for IndexedSlices
# (reshape, transpose and matmul convert them; stack's gradient unstacks); not concat,
# whose gradient slices IndexedSlices along axis 0 and passes them on
COMPUTING_OPS = ("reshape", "stack", "transpose", "matmul")


def gradient_statements(grads: str, tape: str, loss: str, variables: str, root: str) -> list[cst.BaseStatement]:
    densify = cst.parse_statement(
        f"{grads} = [{root}.convert_to_tensor(g) if isinstance(g, {root}.IndexedSlices) else g for g in {grads}]\n")
    return [cst.parse_statement(f"{grads} = {tape}.gradient({loss}, {variables})\n"),
            densify.with_changes(leading_lines=[cst.EmptyLine(indent=True, comment=cst.Comment(
                "# TF1 summed the rows of repeated ids before the update; Keras does not"))])]


def is_dense(an: Analysis, tr: TrainOp) -> bool:
    return id(tr) in an.dense_gradients
