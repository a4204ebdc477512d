"""Fetch shapes of ``sess.run`` for the structural TF1 graph -> eager rewrite (TF2120).

Not a rule module: helpers the analysis in ``_graph.py`` calls for fetches.

Dataset elements fetched with other tensors. ``x, y = iterator.get_next()`` is ONE op: a
TF1 run that fetches any of its outputs (and tensors computed from them) draws one
element and every fetched value comes from that same element. The eager form is the
generated ``tf.function`` whose parameters are the element's components (as for a run that
fetches only tensors computed from the element): it returns the fetched components
themselves next to the computed tensors, and its call site draws one element,
``f(*iterator.get_next())``. One draw per run, as in TF1.

Refused (kept as the single TF2120 finding, with the reason): elements from two different
``get_next`` statements in one run, an element fetched with a feed, with a train op, a
summary, an initializer or a variable (not proved here).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:
    from rules.tf1_to_tf2._graph import Analysis, Stmt


def element_fetch(an: Analysis, call: cst.Call, shape: str, feed: cst.BaseExpression | None,
                  leaves: list[tuple[str, Stmt | None]]) -> Stmt | None:
    """For a run that fetches dataset elements: None when it is the plain single draw
    (`v = sess.run(el)`, one-component element, handled by the caller), else the
    `get_next` statement the run's function takes its parameters from."""
    from rules.tf1_to_tf2._graph import Unsupported

    elements = [s for k, s in leaves if k == "element"]
    first = elements[0]
    if shape == "single" and feed is None and first is not None and len(first.defines) == 1:
        return None
    if feed is not None:
        raise Unsupported(call, "a dataset element fetched in a run with a feed_dict; not converted")
    if any(s is None for s in elements) or len({id(s) for s in elements}) != 1:
        raise Unsupported(call, "components of two different dataset elements (`get_next()` results) fetched in one run; not converted")
    others = sorted({k for k, _ in leaves} - {"element", "tensor"})
    if others:
        raise Unsupported(call, f"a dataset element fetched together with a {', '.join(others)}; not converted")
    assert first is not None
    return first


def check_event_readers(an: Analysis, refs: list[tuple[cst.CSTNode, str]]) -> None:
    """Fetched summaries become tf.summary (v2) writes. A program that also reads its event
    files back with `tf.train.summary_iterator` would see other events: TF2 writes a scalar
    as a tensor (`simple_value` stays 0.0, checked in TF 2.21), and its tags are the name
    scopes' plus the given name, not TF1's graph-unique op names (`mean_1` when a `mean`
    op exists). Refused, naming the reader."""
    from rules.tf1_to_tf2._graph import MERGES, SUMMARY_OPS, WRITER, Unsupported

    if not any(r in SUMMARY_OPS or r in MERGES or r == WRITER for _n, r in refs):
        return
    for node, r in refs:
        if r == "train.summary_iterator":
            raise Unsupported(node, "the event files are read back with tf.train.summary_iterator: TF2's tf.summary "
                                    "writes scalars as tensors (their simple_value is 0.0) and tags them without TF1's "
                                    "graph-unique suffixes, so the reader would see other values; convert the reader "
                                    "by hand: `for record in tf.data.TFRecordDataset(path): event = "
                                    "event_pb2.Event.FromString(record.numpy())` (`from tensorflow.core.util import "
                                    "event_pb2`), a scalar is `float(tf.make_ndarray(value.tensor))`, and the tags are "
                                    "TF2's (name scopes + name, no `_1` suffix); not converted")


SCOPES = {"name_scope", "variable_scope"}


def scope_block_reason(an: Analysis, stmt: cst.CSTNode, exc: Exception) -> Exception:
    """The refusal for a statement of a Session function that is used as a whole: when it
    is a `with tf.name_scope(...)` block (graph code under a scope is not moved), say so
    instead of naming the first graph name found in it."""
    from rules.tf1_to_tf2._graph import Unsupported

    if not isinstance(stmt, cst.With) or not isinstance(exc, Unsupported):
        return exc
    scopes = [an.call_rest(item.item) for item in stmt.items]
    if not scopes or not all(s in SCOPES for s in scopes):
        return exc
    return Unsupported(stmt, f"graph code under `with tf.{scopes[0]}(...)` in the Session function "
                             f"({exc.message.removesuffix('; not converted')}): scoped blocks are not moved into the "
                             "eager functions; not converted")
