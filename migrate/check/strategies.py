"""Hypothesis strategies for the checker: one :class:`Example` = inputs AND weights.

The *structure* of an example (batch size, the sizes of dynamic axes, value style, whether a
mask row is fully masked, whether NaN/Inf are injected) is drawn by Hypothesis, so a failing
example shrinks to the smallest batch and sizes that still fail. The *contents* (every input
value and every weight) come from numpy generators seeded by two drawn integers: drawing
thousands of floats through Hypothesis would be slow and its element-wise shrinking is not
useful here. Seeds shrink towards 0 as well.

Weights are random per example -- never constants (a constant-weight test cannot see a
transposed kernel or reordered gates) -- and scaled by fan-in so activations stay O(1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .options import CheckOptions, InputSpec, WeightInfo

__all__ = ["Example", "example_strategy", "generate_inputs", "generate_targets", "generate_weights"]


@dataclass(frozen=True)
class Example:
    batch: int
    sizes: tuple[tuple[int, int], ...]  # (axis, size) for each dynamic axis (axis counted without batch)
    input_seed: int
    weight_seed: int
    style: str = "normal"  # normal | uniform
    masked_row: bool = False
    nonfinite: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "batch": self.batch,
            "sizes": {str(a): s for a, s in self.sizes},
            "input_seed": self.input_seed,
            "weight_seed": self.weight_seed,
            "style": self.style,
            "masked_row": self.masked_row,
            "nonfinite": self.nonfinite,
        }


def dynamic_axes(specs: list[InputSpec], opts: CheckOptions) -> dict[int, tuple[int, int]]:
    """Dynamic axis -> (lo, hi) drawn range; axes at the same position are shared by all inputs."""
    axes: dict[int, tuple[int, int]] = {}
    for s in specs:
        ranges = {a: (lo, hi) for a, lo, hi in s.dim_ranges}
        rank = len(s.shape)
        for a, d in enumerate(s.shape):
            if d is not None:
                continue
            if a in ranges:
                r = ranges[a]
            elif rank >= 3 and a < rank - 1:
                r = tuple(opts.spatial_range)  # type: ignore[assignment]
            elif a == rank - 1 and rank >= 3:
                r = (1, 4)
            else:
                r = tuple(opts.seq_range)  # type: ignore[assignment]
            if a in axes:
                lo = max(axes[a][0], r[0])
                hi = min(axes[a][1], r[1])
                r = (lo, max(lo, hi))
            axes[a] = (int(r[0]), int(r[1]))
    return dict(sorted(axes.items()))


def example_strategy(specs: list[InputSpec], opts: CheckOptions, min_batch: int = 1) -> Any:
    from hypothesis import strategies as st

    axes = dynamic_axes(specs, opts)
    lo_b = max(min_batch, opts.min_batch)
    hi_b = max(lo_b, opts.max_batch)
    sizes = st.tuples(*[st.integers(lo, hi).map(lambda s, _a=a: (_a, s)) for a, (lo, hi) in axes.items()])
    has_mask = any(s.kind == "mask" for s in specs)
    return st.builds(
        Example,
        batch=st.integers(lo_b, hi_b),
        sizes=sizes,
        input_seed=st.integers(0, 2**31 - 1),
        weight_seed=st.integers(0, 2**31 - 1),
        style=st.sampled_from(("normal", "uniform")),
        masked_row=st.booleans() if has_mask else st.just(False),
        nonfinite=st.booleans() if opts.nonfinite else st.just(False),
    )


def concrete_shape(spec: InputSpec, ex: Example) -> tuple[int, ...]:
    sizes = dict(ex.sizes)
    return (ex.batch, *[(d if d is not None else sizes[a]) for a, d in enumerate(spec.shape)])


def generate_inputs(specs: list[InputSpec], ex: Example, vocab: int | None = None) -> dict[str, np.ndarray]:
    """Inputs in the OLD model's layout, from the example's input seed."""
    rng = np.random.default_rng([ex.input_seed, 1])
    out: dict[str, np.ndarray] = {}
    for s in specs:
        shape = concrete_shape(s, ex)
        dt = np.dtype(s.dtype if s.dtype != "bool" else "bool")
        if s.kind == "int":
            lo = int(s.low) if s.low is not None else 0
            hi = int(s.high) if s.high is not None else (vocab if vocab else 10)
            a = rng.integers(lo, max(lo + 1, hi), size=shape).astype(dt)
        elif s.kind in ("mask", "bool"):
            m = rng.random(shape) < 0.75
            if s.kind == "mask" and ex.masked_row and shape[0] >= 1:
                m[0] = False  # a fully masked row
            a = m.astype(dt)
        else:
            if s.low is not None or s.high is not None:
                lo = -1.0 if s.low is None else float(s.low)
                hi = 1.0 if s.high is None else float(s.high)
                a = rng.uniform(lo, hi, size=shape)
            elif ex.style == "uniform":
                a = rng.uniform(0.0, 1.0, size=shape)  # image-like [0, 1)
            else:
                a = rng.standard_normal(shape)
            a = a.astype(np.float32 if dt.kind != "f" else dt)
            if ex.nonfinite and a.size:
                flat = a.reshape(-1)
                flat[int(rng.integers(flat.size))] = np.nan
                if flat.size > 1:
                    flat[int(rng.integers(flat.size))] = np.inf
        out[s.name] = a
    return out


def _fan_in(w: WeightInfo, framework: str) -> int:
    shape = w.shape
    if len(shape) < 2:
        return max(1, shape[0] if shape else 1)
    if framework == "torch":
        return int(np.prod(shape[1:]))
    role = w.role
    if w.layer_type == "DepthwiseConv2D":
        return int(np.prod(shape[:-2]))
    if w.layer_type and "Transpose" in w.layer_type:
        return int(np.prod(shape[:-2])) * shape[-1]
    if role == "recurrent_kernel":
        return shape[0]
    return int(np.prod(shape[:-1]))


def generate_weights(weights: list[WeightInfo], seed: int, framework: str = "tf") -> dict[str, np.ndarray]:
    """Random weights for every listed weight, by role, from ``seed`` (never constants)."""
    rng = np.random.default_rng([seed, 2])
    out: dict[str, np.ndarray] = {}
    for w in weights:
        role = w.role.lower()
        shape = w.shape
        if "var" in role and ("moving" in role or "running" in role):
            a = rng.uniform(0.5, 1.5, shape)
        elif "mean" in role and ("moving" in role or "running" in role):
            a = 0.1 * rng.standard_normal(shape)
        elif role in ("gamma", "scale") or (
            framework == "torch" and role == "weight" and len(shape) == 1
        ):
            a = rng.uniform(0.5, 1.5, shape)
        elif role.startswith(("bias", "beta", "offset", "b_")) or len(shape) <= 1:
            a = 0.1 * rng.standard_normal(shape)
        elif w.layer_type == "Embedding" or "embed" in role:
            a = 0.5 * rng.standard_normal(shape)
        else:
            a = 1.2 * rng.standard_normal(shape) / np.sqrt(_fan_in(w, framework))
        out[w.name] = np.asarray(a, np.float32)
    return out


def generate_targets(shapes: list[tuple[int, ...] | None], seed: int) -> list[np.ndarray | None]:
    rng = np.random.default_rng([seed, 3])
    return [None if s is None else rng.standard_normal(s).astype(np.float32) for s in shapes]
