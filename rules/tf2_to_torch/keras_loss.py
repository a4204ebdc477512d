"""PT1008: Keras loss objects -> torch.nn losses, call sites in torch argument order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from migrate.engine.names import dotted_name
from migrate.result import Category, Safety
from migrate.rule import Invalid, Valid
from rules.tf2_to_torch._analysis import module_scan
from rules.tf2_to_torch._common import (
    NOT_LITERAL,
    TorchRule,
    atom_code,
    code_of,
    keyword_args,
    literal,
    tf_rest,
)
from rules.tf2_to_torch.tables import LOSSES

_CLIP = "Keras clips probabilities to [1e-7, 1 - 1e-7] before the log; torch does not (BCELoss clamps the log at -100)"


@dataclass
class _Loss:
    module: str  # torch constructor source
    pred: str = "$p"  # how the prediction enters the torch call
    target: str = "$t"
    notes: list[str] = field(default_factory=list)
    unsafe: bool = False


def loss_plan(call: cst.Call, qname: Any) -> _Loss | str:
    """The torch loss for a Keras loss constructor, or why there is none."""
    rest = tf_rest(qname(call.func))
    spec = LOSSES.get(rest or "")
    if spec is None:
        return "not a Keras loss class"
    args = keyword_args(call, spec["params"])
    if args is None:
        return "called with *args/**kwargs"
    unknown = [k for k in args if k not in spec["params"]]
    if unknown:
        return f"argument(s) {', '.join(unknown)} not understood"

    def lit(name: str, default: Any) -> Any:
        return literal(args[name].value) if name in args else default

    kind = spec["kind"]
    red = lit("reduction", "sum_over_batch_size")
    per_sample = kind in ("sparse_cce", "cce")
    kw = ""
    if red in ("sum_over_batch_size", "auto", None):
        pass
    elif red in ("sum", "none") and per_sample:
        kw = f", reduction={red!r}"
    elif red in ("sum", "none"):
        return f"reduction={red!r}: Keras reduces the last axis by its mean first; write the torch loss with reduction='none' and reduce by hand"
    else:
        return "reduction is not a literal"
    if lit("axis", -1) != -1:
        return "axis other than the last: move the class axis to dim 1 for torch"
    logits = lit("from_logits", False)
    if logits is NOT_LITERAL:
        return "from_logits is not a literal"
    smoothing = args.get("label_smoothing")
    if kind == "sparse_cce":
        if "ignore_class" in args and lit("ignore_class", None) is not None:
            kw += f", ignore_index={code_of(args['ignore_class'].value)}"
        if logits:
            return _Loss(f"nn.CrossEntropyLoss({kw[2:]})", target="$t.long()")
        return _Loss(f"nn.NLLLoss({kw[2:]})", pred="torch.log($p)", target="$t.long()", notes=[_CLIP], unsafe=True)
    if kind == "cce":
        if not logits:
            return "CategoricalCrossentropy on probabilities: use -(y_true * torch.log(y_pred)).sum(-1).mean(), or logits with nn.CrossEntropyLoss"
        if smoothing is not None and lit("label_smoothing", 0) != 0:
            kw += f", label_smoothing={code_of(smoothing.value)}"
        return _Loss(f"nn.CrossEntropyLoss({kw[2:]})", notes=["targets are class probabilities (one-hot)"])
    if kind == "bce":
        if smoothing is not None and lit("label_smoothing", 0) != 0:
            return "label_smoothing: smooth the targets by hand (y * (1 - s) + 0.5 * s)"
        if logits:
            return _Loss("nn.BCEWithLogitsLoss()")
        return _Loss("nn.BCELoss()", notes=[_CLIP], unsafe=True)
    if kind == "mse":
        return _Loss("nn.MSELoss()")
    if kind == "mae":
        return _Loss("nn.L1Loss()")
    if kind == "huber":
        delta = code_of(args["delta"].value) if "delta" in args else "1.0"
        return _Loss(f"nn.HuberLoss(delta={delta})")
    return f"loss kind {kind} not mapped"  # pragma: no cover


class KerasLoss(TorchRule):
    """Turns Keras loss objects into torch.nn losses and their calls into torch order.

    What it does: `loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)`
    becomes `loss_fn = nn.CrossEntropyLoss()`, and each call `loss_fn(labels, logits)`
    becomes `loss_fn(logits, labels.long())`: Keras takes `(y_true, y_pred)`, torch
    `(input, target)`, and torch wants int64 class indices. MeanSquaredError -> MSELoss,
    MeanAbsoluteError -> L1Loss, Huber -> HuberLoss(delta=...), BinaryCrossentropy ->
    BCEWithLogitsLoss / BCELoss, CategoricalCrossentropy(from_logits=True) ->
    CrossEntropyLoss on probability targets. `SparseCategoricalCrossentropy` on
    probabilities (`from_logits=False`, the Keras default) becomes `nn.NLLLoss()` called on
    `torch.log(probs)`.

    Why: the loss classes do not exist in PyTorch and the argument order is reversed.
    Reductions match: Keras' default `sum_over_batch_size` averages per-sample losses (the
    mean over the last axis), which equals torch's `mean` over all elements.

    Fix safety: safe for logits. Probability inputs are unsafe: Keras clips the
    probabilities to [1e-7, 1 - 1e-7] before the log, torch does not, so saturated outputs
    give different (possibly infinite) losses. `reduction='sum'/'none'` for losses that
    reduce the last axis, `sample_weight`, and loss objects not assigned to a name (passed
    to `compile`) are reported.
    """

    ID = "PT1008"
    NAME = "keras-loss"
    MESSAGE = "Keras loss becomes the torch.nn loss, called as loss(prediction, target)"
    SAFETY = Safety.SAFE
    CATEGORY = Category.MANDATORY
    EFFORT = "trivial"

    VALID = [Valid("from torch import nn\nloss_fn = nn.CrossEntropyLoss()\nloss = loss_fn(logits, y)\n")]
    INVALID = [
        Invalid(
            "import tensorflow as tf\nloss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)\nloss = loss_fn(y, logits)\n",
            "from torch import nn\n\nloss_fn = nn.CrossEntropyLoss()\nloss = loss_fn(logits, y.long())\n",
        ),
        Invalid(
            "from tensorflow import keras\nmse = keras.losses.MeanSquaredError()\nl = mse(y_true=t, y_pred=p)\n",
            "from torch import nn\n\nmse = nn.MSELoss()\nl = mse(p, t)\n",
        ),
        Invalid(
            "import tensorflow as tf\nloss_fn = tf.keras.losses.SparseCategoricalCrossentropy()\nloss = loss_fn(y, probs)\n",
            "import torch\nfrom torch import nn\n\nloss_fn = nn.NLLLoss()\nloss = loss_fn(torch.log(probs), y.long())\n",
            message="clips",
        ),
        Invalid(
            "import tensorflow as tf\nl = tf.keras.losses.MeanSquaredError(reduction='sum')\n",
            None,
            message="reduction",
        ),
    ]

    def _plan_for(self, name: str) -> _Loss | str | None:
        if "losses" not in self.ctx.source_text:
            return None
        info = module_scan(self).losses.get(name)
        if info is None:
            return None
        if info["conflict"]:
            return f"`{name}` is bound to more than one loss"
        return loss_plan(info["call"], self.qname)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        rest = tf_rest(self.qname(original_node.func))
        if rest is not None and rest in LOSSES:
            return self._constructor(original_node, updated_node, rest)
        name = dotted_name(original_node.func)
        if name is not None and self.qname(original_node.func) is None:
            plan = self._plan_for(name)
            if isinstance(plan, _Loss):
                return self._call_site(original_node, updated_node, name, plan)
        return updated_node

    def _constructor(self, original_node: cst.Call, updated_node: cst.Call, rest: str) -> cst.BaseExpression:
        label = f"tf.{rest}"
        target = module_scan(self).target_of.get(id(original_node))
        if target is None:
            self.flag(original_node, f"{label} not assigned to a name (passed to compile?): create the torch loss in the training loop and call it as loss(prediction, target)")
            return updated_node
        plan = self._plan_for(target)
        if plan is None or isinstance(plan, str):
            self.flag(original_node, f"{label}: {plan or 'not understood'}")
            return updated_node
        new = self.torch(plan.module)
        message = f"{label} becomes {plan.module}; calls become {target}(prediction, target)" + "".join(f"; {n}" for n in plan.notes)
        return self.convert(original_node, updated_node, new, message=message, safety=Safety.UNSAFE if plan.unsafe else None)  # type: ignore[no-any-return]

    def _call_site(self, original_node: cst.Call, updated_node: cst.Call, name: str, plan: _Loss) -> cst.BaseExpression:
        args = keyword_args(updated_node, ["y_true", "y_pred", "sample_weight"])
        if args is None or "y_true" not in args or "y_pred" not in args:
            self.flag(original_node, f"call of the loss `{name}` not understood: call it as {name}(prediction, target)")
            return updated_node
        if "sample_weight" in args:
            self.flag(original_node, f"{name}(..., sample_weight=...): use reduction='none' and average the weighted per-sample losses by hand")
            return updated_node
        pred = plan.pred.replace("$p", code_of(args["y_pred"].value) if plan.pred == "$p" else atom_code(args["y_pred"].value))
        target = plan.target.replace("$t", code_of(args["y_true"].value) if plan.target == "$t" else atom_code(args["y_true"].value))
        new = self.torch(f"{code_of(updated_node.func)}({pred}, {target})")
        return self.convert(  # type: ignore[no-any-return]
            original_node,
            updated_node,
            new,
            message=f"loss call in torch order: {name}(prediction, target)" + ("; class indices as int64" if ".long()" in plan.target else ""),
            safety=Safety.UNSAFE if plan.unsafe else None,
        )
