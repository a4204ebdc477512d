"""PT1007: Keras optimizers -> torch.optim with the Keras defaults pinned."""

from __future__ import annotations

from typing import Any

import libcst as cst

from migrate.result import Category, Safety
from migrate.rule import Invalid, Valid
from rules.tf2_to_torch._analysis import module_scan
from rules.tf2_to_torch._common import (
    NOT_LITERAL,
    TorchRule,
    code_of,
    expr,
    keyword_args,
    literal,
    localize,
    schedule_torch_imports,
    tf_rest,
)
from rules.tf2_to_torch._loops import (
    NotConverted,
    schedule_scan,
    schedule_source,
    scheduler_name,
    schedulers,
)
from rules.tf2_to_torch._ops import Manual, fill, plan
from rules.tf2_to_torch.tables import OPTIMIZERS


class KerasOptimizer(TorchRule):
    """Turns `tf.keras.optimizers.Adam/AdamW/SGD(...)` into the `torch.optim` optimizer.

    What it does: `optimizer = tf.keras.optimizers.Adam(1e-3)` becomes
    `optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)`.
    The parameters are the variables the file passes to `optimizer.apply_gradients(zip(grads,
    model.trainable_variables))`; `learning_rate` becomes `lr`, `beta_1/beta_2` become
    `betas`, `epsilon` becomes `eps`. Table: `rules/tf2_to_torch/tables/training.py`.

    Why: torch optimizers take the parameters at construction and have other defaults:
    Adam's epsilon is 1e-8 in torch and 1e-7 in Keras, SGD's learning rate 0.001 in torch and
    0.01 in Keras, AdamW's weight decay 0.01 in torch and 0.004 in Keras. Every default is
    written out, so the migrated code states the Keras numbers.

    Fix safety: safe. Keras applies Adam's epsilon before the bias correction ("epsilon
    hat"), torch after it, so updates differ by O(epsilon) (the finding says so). An
    optimizer whose parameters the file does not show (no `apply_gradients`, a
    `model.compile(optimizer=...)`), one created before the model, or one with gradient
    clipping, EMA, loss scaling or a learning-rate schedule is reported instead.
    """

    ID = "PT1007"
    NAME = "keras-optimizer"
    MESSAGE = "Keras optimizer becomes torch.optim with the Keras defaults pinned"
    SAFETY = Safety.SAFE
    CATEGORY = Category.MANDATORY
    EFFORT = "trivial"

    VALID = [Valid("import torch\nopt = torch.optim.Adam(model.parameters(), lr=1e-3)\n")]
    INVALID = [
        Invalid(
            "import tensorflow as tf\nmodel = make()\nopt = tf.keras.optimizers.Adam(1e-3)\nopt.apply_gradients(zip(g, model.trainable_variables))\n",
            "import torch\n\nmodel = make()\nopt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)\nopt.apply_gradients(zip(g, model.trainable_variables))\n",
            message="epsilon",
        ),
        Invalid(
            "from tensorflow import keras\nnet = make()\nsgd = keras.optimizers.SGD(momentum=0.9)\nsgd.apply_gradients(zip(g, net.trainable_variables))\n",
            "import torch\n\nnet = make()\nsgd = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)\nsgd.apply_gradients(zip(g, net.trainable_variables))\n",
        ),
        Invalid(
            "import tensorflow as tf\nopt = tf.keras.optimizers.Adam()\nmodel.compile(optimizer=opt, loss='mse')\n",
            None,
            message="model.parameters()",
        ),
    ]

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._scheduled: dict[int, tuple[str, str]] = {}  # id(optimizer call) -> (name, schedule source)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        rest = tf_rest(self.qname(original_node.func))
        spec = OPTIMIZERS.get(rest or "")
        if spec is None:
            return updated_node
        label = f"tf.{rest}"
        torch_name = spec["to"].split("(")[0]
        scan = module_scan(self)
        target = scan.target_of.get(id(original_node))
        if target is None:
            self.flag(original_node, f"{label} not assigned to a name: create {torch_name}(model.parameters(), ...) once the model exists")
            return updated_node
        problem = scan.opt_problem.get(target)
        params = scan.opt_params.get(target)
        compiled = self.ctx.state.get("tf2_to_torch_compile_optimizers", {}).get(target)
        if params is None and not problem and compiled is not None:
            # passed by name to model.compile (PT1020 writes the loop)
            params = f"{compiled}.parameters()"
            order = scan.order_of.get(id(original_node), 0)
            if scan.depth_of.get(id(original_node), 0) == 0 and scan.first_bound.get(compiled, order + 1) > order:
                self.flag(original_node, f"{label} is created before {compiled}: create {torch_name}({params}, ...) after the model")
                return updated_node
        if problem or params is None:
            why = problem or f"no `{target}.apply_gradients(zip(grads, model.trainable_variables))` in this file"
            self.flag(original_node, f"{label}: {why}; torch optimizers take the parameters at construction: {torch_name}(model.parameters(), ...)")
            return updated_node
        order = scan.order_of.get(id(original_node), 0)
        if scan.depth_of.get(id(original_node), 0) == 0:
            late = sorted(r for r in scan.opt_roots.get(target, ()) if r != "self" and scan.first_bound.get(r, order + 1) > order)
            if late:
                self.flag(original_node, f"{label} is created before {', '.join(late)}: create {torch_name}({params}, ...) after the model")
                return updated_node
        extra: dict[str, cst.BaseExpression] = {"params": expr(params)}
        sched = schedule_scan(self).opt_schedule.get(target)
        notes: list[str] = []
        unsafe = False
        if sched is not None:
            if isinstance(sched, cst.Call):
                try:
                    source, needs_math = schedule_source(sched, tf_rest(self.qname(sched.func)) or "")
                except NotConverted as e:
                    self.flag(original_node, f"{label} with a learning-rate schedule: {e}")
                    return updated_node
                if needs_math:
                    self.add_import("math")
            else:
                source = code_of(sched)
            extra["learning_rate"] = expr("1.0")
            notes.append(f"the schedule becomes {scheduler_name(target)} = torch.optim.lr_scheduler.LambdaLR({target}, ...) over lr=1.0, stepped after every {target}.step() (Keras evaluates it at optimizer.iterations)")
            args = keyword_args(original_node, spec["params"]) or {}
            if "momentum" in args and literal(args["momentum"].value) not in (0, 0.0):
                notes.append("SGD momentum under a schedule: Keras accumulates lr * grad, torch accumulates grad and scales by the current lr")
                unsafe = True
        if (rest or "").endswith("Adagrad"):
            args = keyword_args(original_node, spec["params"]) or {}
            init = literal(args["initial_accumulator_value"].value) if "initial_accumulator_value" in args else 0.1
            if init is NOT_LITERAL or not isinstance(init, (int, float)) or init < 0.01:
                notes.append("initial_accumulator_value below 0.01: the epsilon placements differ noticeably for small gradients")
                unsafe = True
        try:
            p = plan(spec, label, original_node, updated_node, self.qname, extra=extra)
            new = fill(localize(self.ctx, p.template), p.values)
        except Manual as e:
            self.flag(original_node, str(e))
            return updated_node
        schedule_torch_imports(self, p.template)
        message = f"{label} becomes {torch_name} over {params}, Keras defaults pinned" + "".join(f"; {n}" for n in [*p.notes, *notes])
        out = self.convert(original_node, updated_node, new, message=message, safety=Safety.UNSAFE if (p.unsafe or unsafe) else None)
        if out is new:
            self.ctx.state.setdefault("tf2_to_torch_converted_optimizers", set()).add(target)
        if out is new and sched is not None:
            self.supersede_tree(sched) if isinstance(sched, cst.Call) else None
            self._scheduled[id(original_node)] = (target, source)
        return out  # type: ignore[no-any-return]

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        if not self._scheduled or len(original_node.body) != 1 or not isinstance(original_node.body[0], cst.Assign):
            return updated_node
        value = original_node.body[0].value
        if id(value) not in self._scheduled:
            return updated_node
        target, source = self._scheduled.pop(id(value))
        name = scheduler_name(target)
        schedulers(self.ctx)[target] = name
        line = cst.parse_statement(localize(self.ctx, f"{name} = torch.optim.lr_scheduler.LambdaLR({target}, {source})\n"))
        return cst.FlattenSentinel([updated_node, line])
