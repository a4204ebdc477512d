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
