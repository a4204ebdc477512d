"""PT1022: Keras learning-rate schedules -> a function of the step for LambdaLR."""

from __future__ import annotations

import libcst as cst

from migrate.result import Category, Safety
from migrate.rule import Invalid, Valid
from rules.tf2_to_torch._common import TorchRule, expr, tf_rest
from rules.tf2_to_torch._loops import (
    SCHEDULES,
    NotConverted,
    schedule_scan,
    schedule_source,
)


class KerasLrSchedule(TorchRule):
    """Turns `tf.keras.optimizers.schedules.*` into a Python function of the step.

    What it does: `schedule = tf.keras.optimizers.schedules.ExponentialDecay(0.1,
    decay_steps=10, decay_rate=0.5)` becomes `schedule = lambda step: 0.1 * 0.5 ** (step /
    10)`: the exact Keras formula of the learning rate at a step (ExponentialDecay and
    InverseTimeDecay with or without `staircase`, PiecewiseConstantDecay, CosineDecay with
    `alpha`). The optimizer that takes it (PT1007, or compile for PT1020) gets `lr=1.0` and
    a `scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)` right after it,
    and the converted training step calls `scheduler.step()` after each
    `optimizer.step()`, so that the update number k uses `schedule(k)`, as Keras does with
    `optimizer.iterations`.

    Why: torch's schedulers are objects stepped by the loop, Keras' are functions of the
    optimizer's step count; LambdaLR over a base learning rate of 1.0 applies the Keras
    value exactly (torch's ExponentialLR / CosineAnnealingLR use recursive forms that
    drift and, for the cosine, do not stop at `decay_steps`).

    Fix safety: safe. Warm-up (`CosineDecay(warmup_steps=...)`), schedules with computed
    `staircase`, other schedule classes and schedules not assigned to a name or passed to
    an optimizer are reported with the torch scheduler to use.
    """

    ID = "PT1022"
    NAME = "keras-lr-schedule"
    MESSAGE = "Keras learning-rate schedule becomes a function of the step (LambdaLR)"
    SAFETY = Safety.SAFE
    CATEGORY = Category.MANDATORY
    EFFORT = "trivial"

    VALID = [Valid("import torch\nscheduler = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 0.5 ** step)\n")]
    INVALID = [
        Invalid(
            "import tensorflow as tf\nschedule = tf.keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)\n",
            "schedule = lambda step: 0.1 * 0.5 ** (step // 10)\n",
        ),
        Invalid(
            "import tensorflow as tf\nlr = tf.keras.optimizers.schedules.PiecewiseConstantDecay([100, 200], [0.1, 0.01, 0.001])\n",
            "lr = lambda step: [0.1, 0.01, 0.001][sum(step > b for b in [100, 200])]\n",
        ),
        Invalid(
            "import tensorflow as tf\nlr = tf.keras.optimizers.schedules.CosineDecay(0.1, 1000, warmup_target=0.2, warmup_steps=100)\n",
            None,
            message="SequentialLR",
        ),
    ]

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        rest = tf_rest(self.qname(original_node.func))
        if rest is None or rest not in SCHEDULES:
            return updated_node
        scan = schedule_scan(self)
        if id(original_node) in scan.inline:
            return updated_node  # the optimizer rule writes it into the LambdaLR
        label = f"tf.{rest}"
        if id(original_node) not in scan.assigned:
            self.flag(original_node, f"{label} not assigned to a name: pass lambda step: <lr> to torch.optim.lr_scheduler.LambdaLR(optimizer, ...) over lr=1.0")
            return updated_node
        try:
            source, needs_math = schedule_source(updated_node, rest)
        except NotConverted as e:
            self.flag(original_node, f"{label}: {e}")
            return updated_node
        if needs_math:
            self.add_import("math")
        return self.convert(original_node, updated_node, expr(source), message=f"{label} becomes {source}")  # type: ignore[no-any-return]
