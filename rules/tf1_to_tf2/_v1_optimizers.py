"""TF1 optimizers that the structural rewrite (TF2120) keeps as `tf.compat.v1.train.*`.

Not a rule module. Some TF1 optimizers have no Keras optimizer that computes the same
updates. Rather than leaving the whole Session program in TF1 form, TF2120 converts the
program to eager TF2 and keeps only the optimizer object from `tf.compat.v1`: a TF1
optimizer works in eager mode (and inside `tf.function`) when it is given the gradients,

    optimizer = tf.compat.v1.train.RMSPropOptimizer(0.05)          # created once
    ...
    gradients = tape.gradient(loss, variables)                     # in the train step
    optimizer.apply_gradients(zip(gradients, variables), global_step=step)

and runs the very kernels the TF1 program ran (ApplyRMSProp, ...), so the numbers are
TF1's. A learning rate decayed by the global step becomes the Keras schedule evaluated at
that step, `learning_rate=lambda: lr(step)` (a TF1 optimizer calls a callable learning
rate without arguments in eager mode; `tf.compat.v1.train.exponential_decay` itself
returns exactly that schedule evaluated at the step in eager mode).

Each kept optimizer is reported as one manual finding: why no Keras optimizer reproduces
it, what to write when the difference is accepted. Checked against TF 2.21's
tensorflow/python/training/*.py and keras/src/optimizers/*.py.
"""

from __future__ import annotations

# TF1 optimizer -> (TF1 parameters in order, why no Keras optimizer reproduces it, what to
# write instead when the person accepts the difference)
KEPT_OPTIMIZERS: dict[str, tuple[list[str], str, str]] = {
    "train.RMSPropOptimizer": (
        ["learning_rate", "decay", "momentum", "epsilon", "use_locking", "centered", "name"],
        ("TF1 RMSProp starts its mean square at 1.0, tf.keras.optimizers.RMSprop starts its velocity "
         "at 0 (both add epsilon inside the square root, lr*g/sqrt(ms + epsilon)), so the "
         "updates differ until the mean square has forgotten its start (first step with rho=0.9: "
         "Keras about 3.16*lr*sign(g), TF1 about lr*g/0.95), and no Keras argument sets that start"),
        ("tf.keras.optimizers.RMSprop(learning_rate=..., rho=<decay, TF1 default 0.9>, "
         "momentum=<momentum>, epsilon=<epsilon, TF1 default 1e-10>, centered=<centered>) and then "
         "re-tune the learning rate (the early updates differ most)"),
    ),
    "train.ProximalGradientDescentOptimizer": (
        ["learning_rate", "l1_regularization_strength", "l2_regularization_strength", "use_locking", "name"],
        ("Keras has no proximal optimizer: TF1 applies the l1/l2 shrinkage as a proximal step after "
         "the gradient step, which a loss penalty does not reproduce"),
        ("tf.keras.optimizers.SGD(learning_rate=...) (the same update when both regularization "
         "strengths are 0), or a custom tf.keras.optimizers.Optimizer that applies the proximal step"),
    ),
    "train.ProximalAdagradOptimizer": (
        ["learning_rate", "initial_accumulator_value", "l1_regularization_strength",
         "l2_regularization_strength", "use_locking", "name"],
        ("Keras has no proximal optimizer: TF1 applies the l1/l2 shrinkage as a proximal step after "
         "the Adagrad step, which a loss penalty does not reproduce"),
        ("tf.keras.optimizers.Adagrad(learning_rate=..., initial_accumulator_value=<TF1 default 0.1>, "
         "epsilon=0.0) (the same update when both regularization strengths are 0), or a custom "
         "tf.keras.optimizers.Optimizer that applies the proximal step"),
    ),
}

# MomentumOptimizer is kept only when its learning rate is decayed by the global step.
MOMENTUM = "train.MomentumOptimizer"
MOMENTUM_PARAMS = ["learning_rate", "momentum", "use_locking", "name", "use_nesterov"]
MOMENTUM_WHY = (
    "its learning rate changes with the global step: TF1 momentum accumulates raw gradients "
    "(accum = momentum*accum + g; var -= lr_t*accum) while tf.keras.optimizers.SGD accumulates "
    "learning-rate-scaled steps (v = momentum*v - lr_t*g; var += v), so the two agree only for a "
    "constant learning rate"
)
MOMENTUM_INSTEAD = (
    "tf.keras.optimizers.SGD(learning_rate=<the Keras schedule>, momentum=..., nesterov=<use_nesterov>) "
    "(the schedule is then evaluated at optimizer.iterations) and accept that every update after "
    "a learning-rate change differs"
)


def is_kept(r: str | None) -> bool:
    return r in KEPT_OPTIMIZERS


def params(r: str) -> list[str]:
    return MOMENTUM_PARAMS if r == MOMENTUM else KEPT_OPTIMIZERS[r][0]


def note(r: str, learning_rate: str | None) -> str:
    """The manual finding of a kept optimizer. `learning_rate`: what its decayed learning
    rate became (a sentence fragment), or None."""
    cls = r.split(".", 1)[1]
    why, instead = (MOMENTUM_WHY, MOMENTUM_INSTEAD) if r == MOMENTUM else KEPT_OPTIMIZERS[r][1:]
    sched = f"; its decayed learning rate becomes {learning_rate}" if learning_rate else ""
    return (f"tf.train.{cls} is kept as tf.compat.v1.train.{cls} (only the optimizer: the program is eager "
            f"TF2, the step calls its apply_gradients with the tape's gradients; same updates as TF1{sched}). "
            f"No Keras optimizer computes the same: {why}. To drop tf.compat.v1, write {instead}, "
            "and convert TF1 checkpoints' slot variables by hand (effort: complex)")
