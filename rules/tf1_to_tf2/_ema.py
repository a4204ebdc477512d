"""TF2120: tf.train.ExponentialMovingAverage in Session code (refused, precisely).

`ema.apply([t1, t2])` in a `tf.cond` branch (hand-written batch normalization,
corpus/tf1/manual_batchnorm_ema.py) is not converted. What a conversion would have to
do, checked in TF 2.21:

* TF2's `tf.train.ExponentialMovingAverage.apply` rejects anything but tf.Variables once
  eager execution is enabled, also inside a tf.function ("does not support non-Variable
  tensors when eager execution is enabled"): averages of computed tensors (batch
  moments) cannot keep the EMA object;
* TF1 made one shadow variable per applied tensor where `apply()` is first called:
  zeros of the tensor's shape for a tensor (`slot_creator.create_zeros_slot`), the
  variable's initial value for a variable; `ema.average(t)` finds it by that graph
  tensor, which a tf.function retraces into a new tensor (`average` then returns None);
* each run of the apply op does `shadow -= (shadow - value) * (1 - decay)`, with
  `decay = min(decay, (1 + num_updates) / (10 + num_updates))` when `num_updates=` is
  given, and with `zero_debias=True` a debiased update for tensors (two more variables
  per average, `assign_moving_average(..., zero_debias=True)`).

So the eager program needs, per average, a non-trainable tf.Variable created once with
the shadow's initial value, updated with that formula in the branch that ran `apply()`,
and read where `ema.average(t)` was: a restructuring of the model function that is not
automated. The finding names the EMA's own arguments and the applied tensors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:
    from rules.tf1_to_tf2._graph import Analysis

EMA = "train.ExponentialMovingAverage"
EMA_PARAMS = ["decay", "num_updates", "zero_debias", "name"]


def _ctor(an: Analysis, recv: cst.BaseExpression) -> cst.Call | None:
    if not isinstance(recv, cst.Name):
        return None
    from rules.tf1_to_tf2._graph import walk

    for n in walk(an.module):
        if isinstance(n, cst.Assign) and len(n.targets) == 1 and isinstance(n.targets[0].target, cst.Name) \
                and n.targets[0].target.value == recv.value and isinstance(n.value, cst.Call) \
                and an.call_rest(n.value) == EMA:
            return n.value
    return None


def _apply_call(an: Analysis, body: cst.CSTNode) -> cst.Call | None:
    from rules.tf1_to_tf2._graph import walk

    for n in walk(body):
        if isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value == "apply" \
                and _ctor(an, n.func.value) is not None:
            return n
    return None


def branch_reason(an: Analysis, r: str, what: str, fn: cst.CSTNode, stateful: str) -> str:
    """Why a `tf.cond`/`tf.while_loop` branch running `ema.apply(...)` is not converted,
    with this program's EMA arguments and applied values."""
    call = _apply_call(an, fn)
    details: list[str] = []
    if call is not None:
        ema = call.func.value  # type: ignore[attr-defined]
        ctor = _ctor(an, ema)
        args: dict[str, str] = {}
        if ctor is not None:
            for i, a in enumerate(ctor.args):
                key = a.keyword.value if a.keyword is not None else (EMA_PARAMS[i] if i < len(EMA_PARAMS) else None)
                if key is not None:
                    args[key] = an.code(a.value)
        decay = args.get("decay", "decay")
        update = f"`avg.assign_sub((avg - value) * (1 - {decay}))`"
        if "num_updates" in args:
            update += f" with decay `min({decay}, (1 + n) / (10 + n))`, n = {args['num_updates']}"
        if args.get("zero_debias", "False") not in ("False", "None"):
            update += " and, for a tensor, TF1's zero-debiased update (`zero_debias=True`: two more variables per average)"
        applied = call.args[0].value if call.args else None
        values = an.code(applied) if applied is not None else "its values"
        details.append(f"`{an.code(ema)}.apply({values})`")
        details.append(f"by hand, make each average a non-trainable tf.Variable created once (zeros of the value's shape for a "
                       f"tensor, the variable's initial value for a variable), updated in the branch with {update}, and read "
                       f"where `{an.code(ema)}.average(...)` was")
    runs = f"{details[0]} (tf.train.ExponentialMovingAverage)" if details else stateful
    return (f"`tf.{r}` {what} runs {runs}: TF2's ExponentialMovingAverage.apply accepts only tf.Variables once eager "
            "execution is on (also inside a tf.function), and TF1 made the shadow variables where apply() first ran and "
            "found them by graph tensor (`ema.average(t)`); "
            + ("; ".join(details[1:]) + " " if len(details) > 1 else "")
            + "(a restructuring of the model function, not automated)")
