"""Data tables of the tf2-to-torch pack, loaded once (see each module's docstring)."""

from __future__ import annotations

from rules.tf2_to_torch.tables.layers import (
    ACTIVATION_FUNCTIONS,
    ACTIVATIONS,
    COMMON_ARGS,
    LAYERS,
)
from rules.tf2_to_torch.tables.manual import MANUAL
from rules.tf2_to_torch.tables.ops import OPS, STRING_DTYPES, SYMBOLS
from rules.tf2_to_torch.tables.training import LOSSES, OPTIMIZERS

__all__ = [
    "ACTIVATIONS",
    "ACTIVATION_FUNCTIONS",
    "COMMON_ARGS",
    "LAYERS",
    "LOSSES",
    "MANUAL",
    "OPS",
    "OPTIMIZERS",
    "STRING_DTYPES",
    "SYMBOLS",
    "manual_hint",
]


def manual_hint(rest: str) -> str | None:
    """The replacement to name for ``tensorflow.<rest>``: exact key, else longest namespace."""
    if rest in MANUAL:
        return MANUAL[rest]
    best = None
    for key, hint in MANUAL.items():
        if key.endswith(".") and rest.startswith(key) and (best is None or len(key) > len(best[0])):
            best = (key, hint)
    return best[1] if best else None
