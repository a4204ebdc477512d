"""Bring activations to one layout and pair the two models' intermediate outputs.

Every array is compared in the old (TF, channels-last) layout. Pairing uses the weight
correspondence as anchors (old layer X holds the weights of new module Y, so their outputs
start the same stretch of the network); between anchors, entries are paired by a longest
common subsequence over equal shapes, traced back from the end of each stretch. Tracing from
the end pairs a Keras layer with a fused activation (``Dense(activation="gelu")``) with the
*last* torch module of its stretch (``nn.GELU`` after ``nn.Linear``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .adapters import Tagged
from .weights import channels_first_to_last, channels_last_to_first

__all__ = ["align", "from_old_layout", "to_old_layout"]


def to_old_layout(arr: np.ndarray, layout: str) -> np.ndarray:
    """A new-side array in the old (channels-last) layout."""
    if layout == "cf" and arr.ndim >= 3:
        return channels_first_to_last(arr)
    if layout.startswith("flat_cf:") and arr.ndim == 2:
        dims = tuple(int(d) for d in layout.split(":", 1)[1].split(","))
        if int(np.prod(dims)) == arr.shape[1] and len(dims) >= 2:
            return channels_first_to_last(arr.reshape(arr.shape[0], *dims)).reshape(arr.shape[0], -1)
    return arr


def from_old_layout(arr: np.ndarray, layout: str) -> np.ndarray:
    """Inverse of :func:`to_old_layout` (used for training targets)."""
    if layout == "cf" and arr.ndim >= 3:
        return channels_last_to_first(arr)
    if layout.startswith("flat_cf:") and arr.ndim == 2:
        dims = tuple(int(d) for d in layout.split(":", 1)[1].split(","))
        last = (*dims[1:], dims[0])
        if int(np.prod(dims)) == arr.shape[1]:
            return channels_last_to_first(arr.reshape(arr.shape[0], *last)).reshape(arr.shape[0], -1)
    return arr


def canonical(t: Tagged, like: tuple[int, ...] | None = None) -> np.ndarray:
    """``t`` in old layout; if that shape misses ``like`` but the raw shape fits, keep it raw."""
    c = to_old_layout(t.array, t.layout)
    if like is not None and c.shape != like and t.array.shape == like:
        return t.array
    return c


ACTIVATIONS = {
    # torch
    "ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish", "Sigmoid", "Tanh",
    "Softmax", "LogSoftmax", "Softplus", "Softsign", "Hardtanh", "Hardsigmoid", "Hardswish", "PReLU",
    "Identity", "Tanhshrink", "GLU",
    # keras (Softmax and PReLU share the torch names)
    "Activation",
}


def _lcs_pairs(
    olds: Sequence[tuple[int, ...]], news: Sequence[tuple[int, ...]], ok: Any = None
) -> list[tuple[int, int]]:
    n, m = len(olds), len(news)

    def match(i: int, j: int) -> bool:
        return olds[i] == news[j] and (ok is None or ok(i, j))

    dp = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n):
        for j in range(m):
            if match(i, j):
                dp[i + 1][j + 1] = dp[i][j] + 1
            else:
                dp[i + 1][j + 1] = max(dp[i][j + 1], dp[i + 1][j])
    out = []
    i, j = n, m
    while i > 0 and j > 0:
        if match(i - 1, j - 1) and dp[i][j] == dp[i - 1][j - 1] + 1:
            out.append((i - 1, j - 1))
            i -= 1
            j -= 1
        elif dp[i - 1][j] >= dp[i][j - 1]:
            i -= 1
        else:
            j -= 1
    return out[::-1]


def align(
    old: list[Tagged], new: list[Tagged], anchors: list[tuple[str, str]]
) -> list[tuple[int, int]]:
    """Index pairs ``(i_old, j_new)`` of intermediates that should hold the same values."""
    new_shapes = [to_old_layout(t.array, t.layout).shape for t in new]
    raw_shapes = [t.array.shape for t in new]
    old_shapes = [t.array.shape for t in old]
    # anchor positions, first call of each layer, kept monotone in both sequences
    first_old = {}
    for i, t in enumerate(old):
        first_old.setdefault(t.layer, i)
    first_new = {}
    for j, t in enumerate(new):
        first_new.setdefault(t.layer, j)
    # several old layers held by one new module (a stacked nn.LSTM): the module's output is the
    # last of them
    last_old_for_new: dict[str, int] = {}
    for a, b in anchors:
        if a in first_old and b in first_new:
            last_old_for_new[b] = max(last_old_for_new.get(b, -1), first_old[a])
    cand = sorted((i, first_new[b]) for b, i in last_old_for_new.items())
    mono: list[tuple[int, int]] = []
    for i, j in cand:
        if not mono or (i > mono[-1][0] and j > mono[-1][1]):
            mono.append((i, j))
    bounds_o = [0] + [i for i, _ in mono] + [len(old)]
    bounds_n = [0] + [j for _, j in mono] + [len(new)]
    pairs: list[tuple[int, int]] = []
    for k in range(len(bounds_o) - 1):
        o0, o1 = bounds_o[k], bounds_o[k + 1]
        n0, n1 = bounds_n[k], bounds_n[k + 1]

        ns = []
        for j in range(n0, n1):
            # allow a raw (untransposed) match when the layout guess does not fit any old shape
            s = new_shapes[j]
            if s not in old_shapes[o0:o1] and raw_shapes[j] in old_shapes[o0:o1]:
                s = raw_shapes[j]
            ns.append(s)
        anchored = k > 0  # regions after the first start with an anchored (weighted) layer
        fused = n0 + 1
        while fused < n1 and new[fused].type in ACTIVATIONS:
            fused += 1  # the anchor may stand for the new module plus a run of activations after it

        def ok(a: int, b: int, _anch: bool = anchored, _f: int = fused - n0) -> bool:
            return not (_anch and a == 0) or b < _f

        for a, b in _lcs_pairs(old_shapes[o0:o1], ns, ok):
            pairs.append((o0 + a, n0 + b))
    return pairs
