"""Elementwise comparison of two arrays: max-abs / max-rel difference, NaN/Inf masks, shapes.

Closeness follows ``torch.testing.assert_close``'s form, asymmetric in the old ("expected")
array: ``|new - old| <= atol + rtol * |old|``, with ``rtol = 0`` by default (pure max-abs).
NaN, +Inf and -Inf must sit at the same positions on both sides; a shape mismatch is a failed
comparison, never an exception. Integer and boolean arrays must match exactly.

``max_rel_diff`` is reported as ``max |new - old| / max(|old|, |new|)`` over positions where
that denominator is not zero -- bounded by 2, so it reads as "how many significant digits
agree" and never explodes near zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Diff", "compare_arrays", "summarize_array"]


@dataclass
class Diff:
    name: str
    max_abs_diff: float
    max_rel_diff: float
    ok: bool
    shape_old: tuple[int, ...]
    shape_new: tuple[int, ...]
    reason: str = ""
    new_name: str = ""
    old_type: str = ""
    new_type: str = ""
    tolerance: float = 0.0
    mode: str = ""

    @property
    def label(self) -> str:
        """``old`` or ``old <-> new`` when the names differ."""
        if self.new_name and self.new_name != self.name:
            return f"{self.name} <-> {self.new_name}"
        return self.name

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "new_name": self.new_name,
            "old_type": self.old_type,
            "new_type": self.new_type,
            "max_abs_diff": _num(self.max_abs_diff),
            "max_rel_diff": _num(self.max_rel_diff),
            "ok": self.ok,
            "tolerance": self.tolerance,
            "shape": list(self.shape_old),
            "shape_new": list(self.shape_new),
            "reason": self.reason,
            "mode": self.mode,
        }


def _num(x: float) -> float | None:
    """JSON-safe float: non-finite values become None."""
    return float(x) if math.isfinite(x) else None


def compare_arrays(
    name: str, old: Any, new: Any, *, atol: float, rtol: float = 0.0
) -> Diff:
    """Compare ``new`` against ``old`` (the expected value). Never raises on data."""
    a = np.asarray(old)
    b = np.asarray(new)
    if a.shape != b.shape:
        return Diff(
            name, math.inf, math.inf, False, tuple(a.shape), tuple(b.shape),
            reason=f"shape mismatch: old {list(a.shape)} vs new {list(b.shape)}", tolerance=atol,
        )
    if a.size == 0:
        return Diff(name, 0.0, 0.0, True, tuple(a.shape), tuple(b.shape), tolerance=atol)
    exact = a.dtype.kind in "biu" and b.dtype.kind in "biu"
    a64 = a.astype(np.float64)
    b64 = b.astype(np.float64)
    reasons: list[str] = []
    ok = True
    mask_bad = False
    for label, fa, fb in (
        ("NaN", np.isnan(a64), np.isnan(b64)),
        ("+Inf", np.isposinf(a64), np.isposinf(b64)),
        ("-Inf", np.isneginf(a64), np.isneginf(b64)),
    ):
        if not np.array_equal(fa, fb):
            ok = False
            mask_bad = True
            n = int(np.count_nonzero(fa != fb))
            reasons.append(f"{label} masks differ at {n} position(s) (old {int(fa.sum())}, new {int(fb.sum())})")
    finite = np.isfinite(a64) & np.isfinite(b64)
    if finite.any():
        d = np.abs(a64[finite] - b64[finite])
        max_abs = float(d.max())
        den = np.maximum(np.abs(a64[finite]), np.abs(b64[finite]))
        nz = den > 0
        max_rel = float((d[nz] / den[nz]).max()) if nz.any() else 0.0
        if exact:
            close = d == 0
        else:
            close = d <= atol + rtol * np.abs(a64[finite])
        if not bool(close.all()):
            ok = False
            reasons.append(f"{int((~close).sum())} of {d.size} values differ by more than the tolerance")
    else:
        max_abs = max_rel = 0.0
    if mask_bad:
        max_abs = max_rel = math.inf  # a NaN/Inf where the other side has a number
    return Diff(name, max_abs, max_rel, ok, tuple(a.shape), tuple(b.shape), "; ".join(reasons), tolerance=atol)


def summarize_array(x: Any, n: int = 6) -> dict[str, Any]:
    """A small, JSON-safe summary of an input array: shape, dtype, range, mean, first values."""
    a = np.asarray(x)
    d: dict[str, Any] = {"shape": list(a.shape), "dtype": str(a.dtype)}
    if a.size:
        f = a.astype(np.float64)
        fin = f[np.isfinite(f)]
        if fin.size:
            d.update(min=float(fin.min()), max=float(fin.max()), mean=float(fin.mean()))
        d["first"] = [(_num(float(v)) if a.dtype.kind == "f" else int(v)) for v in f.ravel()[:n]]
        if not np.isfinite(f).all():
            d["nonfinite"] = int((~np.isfinite(f)).sum())
    return d
