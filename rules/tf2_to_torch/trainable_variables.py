"""PT1010: model.trainable_variables -> list(model.parameters())."""

from __future__ import annotations

import libcst as cst

from migrate.result import Category, Safety
from migrate.rule import Invalid, Valid
from rules.tf2_to_torch._common import TorchRule, atom_code, expr

_ATTRS = {"trainable_variables": "parameters", "trainable_weights": "parameters"}


class TrainableVariables(TorchRule):
    """Turns `model.trainable_variables` into `list(model.parameters())`.

    What it does: `model.trainable_variables` (and `trainable_weights`) becomes
    `list(model.parameters())`. Inside a GradientTape step PT1006 removes these uses
    altogether, and PT1007 passes `model.parameters()` to the optimizer.

    Why: an `nn.Module` exposes its learnable tensors through `parameters()`; batch-norm
    running statistics are buffers in PyTorch as they are non-trainable variables in Keras,
    so both lists hold the same tensors.

    Fix safety: safe. The attribute is matched by name on any object (its type is unknown
    statically); layers frozen with `trainable = False` still appear in `parameters()`
    unless they were frozen with `requires_grad_(False)`.
    """

    ID = "PT1010"
    NAME = "keras-trainable-variables"
    MESSAGE = "model.trainable_variables becomes list(model.parameters())"
    SAFETY = Safety.SAFE
    CATEGORY = Category.MANDATORY
    EFFORT = "trivial"

    VALID = [Valid("n = sum(p.numel() for p in model.parameters())\n")]
    INVALID = [
        Invalid(
            "import tensorflow as tf\nn = len(model.trainable_variables)\n",
            "n = len(list(model.parameters()))\n",
        )
    ]

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        method = _ATTRS.get(original_node.attr.value)
        if method is None or self.qname(original_node) is not None:
            return updated_node
        new = expr(f"list({atom_code(updated_node.value)}.{method}())")
        return self.convert(original_node, updated_node, new)  # type: ignore[no-any-return]
