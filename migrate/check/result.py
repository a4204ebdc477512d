"""The checker's result: a plain dataclass that serialises to a JSON-safe dict.

``CheckResult.to_dict()`` is what goes into ``RunResult.equivalence``.
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .compare import Diff, _num

__all__ = ["CheckResult", "TrainDiff"]


@dataclass
class TrainDiff:
    """One training step (or ``steps`` steps) on both models from the same weights and batch."""

    ok: bool
    steps: int
    tolerance: float
    optimizer_old: str = ""
    optimizer_new: str = ""
    loss_old: list[float] = field(default_factory=list)
    loss_new: list[float] = field(default_factory=list)
    loss_diff: float = 0.0
    max_grad_diff: float = 0.0
    worst_grad: str | None = None
    max_param_diff: float = 0.0
    worst_param: str | None = None
    grads: list[Diff] = field(default_factory=list)
    params: list[Diff] = field(default_factory=list)
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "steps": self.steps,
            "tolerance": self.tolerance,
            "optimizer_old": self.optimizer_old,
            "optimizer_new": self.optimizer_new,
            "loss_old": [_num(x) for x in self.loss_old],
            "loss_new": [_num(x) for x in self.loss_new],
            "loss_diff": _num(self.loss_diff),
            "max_grad_diff": _num(self.max_grad_diff),
            "worst_grad": self.worst_grad,
            "max_param_diff": _num(self.max_param_diff),
            "worst_param": self.worst_param,
            "grads": [d.to_dict() for d in self.grads],
            "params": [d.to_dict() for d in self.params],
            "reason": self.reason,
        }


@dataclass
class CheckResult:
    """Whether ``new`` computes what ``old`` computes, with the evidence.

    ``layers`` holds per-layer differences (from the failing example when there is one, else
    the maximum over all examples); ``first_divergent_layer`` is the earliest layer beyond the
    tolerance -- the likely culprit, since errors propagate downstream -- and ``worst_layer``
    the one with the largest difference.
    """

    name: str
    equivalent: bool
    status: str  # equivalent | not_equivalent | error
    tolerance: dict[str, float]
    old: str = ""
    new: str = ""
    old_kind: str = ""
    new_kind: str = ""
    max_abs_diff: float = 0.0
    max_rel_diff: float = 0.0
    outputs: list[Diff] = field(default_factory=list)
    layers: list[Diff] = field(default_factory=list)
    state: list[Diff] = field(default_factory=list)
    worst_layer: str | None = None
    first_divergent_layer: str | None = None
    failing_mode: str | None = None
    failing_example: dict[str, Any] | None = None
    failing_input: dict[str, Any] | None = None
    message: str = ""
    train: TrainDiff | None = None
    correspondence: list[dict[str, Any]] = field(default_factory=list)
    examples_run: int = 0
    examples_skipped: int = 0
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    duration_s: float = 0.0
    device: str = "cpu"
    plot_png_base64: str | None = None

    def __bool__(self) -> bool:
        return self.equivalent

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "equivalent": self.equivalent,
            "status": self.status,
            "message": self.message,
            "old": self.old,
            "new": self.new,
            "old_kind": self.old_kind,
            "new_kind": self.new_kind,
            "tolerance": dict(self.tolerance),
            "max_abs_diff": _num(self.max_abs_diff),
            "max_rel_diff": _num(self.max_rel_diff),
            "outputs": [d.to_dict() for d in self.outputs],
            "layers": [d.to_dict() for d in self.layers],
            "state": [d.to_dict() for d in self.state],
            "worst_layer": self.worst_layer,
            "first_divergent_layer": self.first_divergent_layer,
            "failing_mode": self.failing_mode,
            "failing_example": self.failing_example,
            "failing_input": self.failing_input,
            "train": self.train.to_dict() if self.train else None,
            "correspondence": self.correspondence,
            "examples_run": self.examples_run,
            "examples_skipped": self.examples_skipped,
            "notes": list(self.notes),
            "error": self.error,
            "duration_s": round(self.duration_s, 3),
            "device": self.device,
            "plot_png_base64": self.plot_png_base64,
        }

    def summary(self) -> str:
        """A few human-readable lines."""
        lines = [f"{self.name}: {self.message}"]
        if self.status != "error":
            lines.append(
                f"  examples: {self.examples_run}   max |diff| outputs: {_fmt(self.max_abs_diff)}"
                f"   tolerance: atol={self.tolerance.get('atol')}, train_atol={self.tolerance.get('train_atol')}"
            )
            if self.train is not None:
                t = self.train
                lines.append(
                    f"  training step: loss diff {_fmt(t.loss_diff)}, max grad diff {_fmt(t.max_grad_diff)}"
                    f" ({t.worst_grad}), max param diff {_fmt(t.max_param_diff)} ({t.worst_param})"
                )
            bad = [d for d in self.layers + self.outputs + self.state if not d.ok]
            for d in bad[:8]:
                lines.append(f"  x [{d.mode}] {d.label}: {_fmt(d.max_abs_diff)} {d.reason}")
            if self.failing_example:
                lines.append(f"  smallest failing example: {self.failing_example}")
        for n in self.notes:
            lines.append(f"  note: {n}")
        return "\n".join(lines)

    def _figure(self) -> Any:
        # The Agg canvas directly, not pyplot: no global backend switch, no window.
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        entries = list(self.layers) or list(self.outputs)
        if self.train is not None:
            entries = entries + [d for d in self.train.params if not d.ok][:10]
        labels = [f"[{d.mode}] {d.label}" if d.mode else d.label for d in entries]
        vals = [d.max_abs_diff if math.isfinite(d.max_abs_diff) else 1e3 for d in entries]
        vals = [max(v, 1e-12) for v in vals]
        colors = ["tab:green" if d.ok else "tab:red" for d in entries]
        fig = Figure(figsize=(8, max(2.5, 0.3 * len(entries) + 1.2)))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        if entries:
            ax.barh(range(len(entries)), vals, color=colors)
            ax.set_yticks(range(len(entries)))
            ax.set_yticklabels(labels, fontsize=7)
            ax.invert_yaxis()
            ax.set_xscale("log")
        atol, tatol = self.tolerance.get("atol"), self.tolerance.get("train_atol")
        if atol:
            ax.axvline(atol, color="k", linestyle="--", linewidth=1, label=f"atol {atol:g}")
        if tatol and any(d.mode.startswith("train_step") or d in self.state for d in entries):
            ax.axvline(tatol, color="tab:gray", linestyle=":", linewidth=1, label=f"train_atol {tatol:g}")
        if atol or tatol:
            ax.legend(loc="lower right", fontsize=7)
        ax.set_xlabel("max |new - old|")
        ax.set_title(f"{self.name}: {'equivalent' if self.equivalent else self.status.replace('_', ' ')}", fontsize=9)
        fig.tight_layout()
        return fig

    def plot_png(self, path: str | Path | None = None) -> bytes:
        """Bar chart of the max difference per layer; written to ``path`` if given. Returns PNG bytes."""
        fig = self._figure()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100)
        data = buf.getvalue()
        if path is not None:
            Path(path).write_bytes(data)
        return data

    def fill_plot_base64(self) -> str:
        self.plot_png_base64 = base64.b64encode(self.plot_png()).decode("ascii")
        return self.plot_png_base64


def _fmt(x: float) -> str:
    return f"{x:.3g}" if math.isfinite(x) else str(x)
