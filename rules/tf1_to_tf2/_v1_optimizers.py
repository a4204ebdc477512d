"""TF1 optimizers that no Keras optimizer reproduces: kept as `tf.compat.v1.train.*` by the
structural rewrite (TF2120), or, for RMSProp and Momentum, their update rule written out
as a small class (see the second half of this module).

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


def _explanation(r: str, learning_rate: str | None) -> tuple[str, str, str]:
    """(why no Keras optimizer computes the same, what to write instead, the sentence
    fragment about the decayed learning rate) for the findings of TF1 optimizer `r`."""
    why, instead = (MOMENTUM_WHY, MOMENTUM_INSTEAD) if r == MOMENTUM else KEPT_OPTIMIZERS[r][1:]
    return why, instead, f"; its decayed learning rate becomes {learning_rate}" if learning_rate else ""


def note(r: str, learning_rate: str | None) -> str:
    """The manual finding of a kept optimizer. `learning_rate`: what its decayed learning
    rate became (a sentence fragment), or None."""
    cls = r.split(".", 1)[1]
    why, instead, sched = _explanation(r, learning_rate)
    return (f"tf.train.{cls} is kept as tf.compat.v1.train.{cls} (only the optimizer: the program is eager "
            f"TF2, the step calls its apply_gradients with the tape's gradients; same updates as TF1{sched}). "
            f"No Keras optimizer computes the same: {why}. To drop tf.compat.v1, write {instead}, "
            "and convert TF1 checkpoints' slot variables by hand (effort: complex)")


# -- TF1 update rules written out as small TF2 classes -----------------------------------
#
# RMSProp (always: no Keras argument sets TF1's mean-square start) and Momentum with a
# decayed learning rate need no tf.compat.v1: the converted train step only calls
# `optimizer.apply_gradients(zip(gradients, variables)[, global_step=step])`, so a
# tf.Module with that method, defined once in the file, computes TF1's updates. The
# formulas are those of TF 2.21's kernels (tensorflow/core/kernels/training_ops.cc,
# ApplyRMSProp / ApplyCenteredRMSProp / ApplyMomentum, what rmsprop.py and momentum.py
# run): ms += (g*g - ms) * (1 - decay); mom = mom*momentum + g*lr / sqrt(ms + epsilon);
# var -= mom; centered: mg += (g - mg) * (1 - decay), sqrt(ms - mg*mg + epsilon);
# momentum: accum = accum*momentum + g; var -= accum*lr, Nesterov
# var -= g*lr + accum*momentum*lr. rmsprop.py makes the mean square with ones_initializer,
# the other slots with zeros; _prepare calls callable hyperparameters at every update;
# apply_gradients skips None gradients and then adds 1 to global_step. Keras 3's RMSprop
# (keras/src/optimizers/rmsprop.py) has epsilon inside the square root too but starts its
# velocity at zero.
#
# TF1 optimizer -> (class base name, TF1 parameters the class takes as keywords, template)
CLASS_PARAMS: dict[str, list[str]] = {
    "train.RMSPropOptimizer": ["learning_rate", "decay", "momentum", "epsilon", "centered", "name"],
    MOMENTUM: ["learning_rate", "momentum", "use_nesterov", "name"],
}
CLASS_NAMES = {"train.RMSPropOptimizer": "TF1RMSProp", MOMENTUM: "TF1Momentum"}

_RMSPROP = '''
class {cls}({tf}.Module):
    """TF1's tf.train.RMSPropOptimizer update rule, for eager TF2 (what the TF1 program computed).

    Per variable: ms += (g*g - ms) * (1 - decay), with ms starting at ONE;
    mom = mom * momentum + g * lr / sqrt(ms + epsilon); var -= mom. Centered: also
    mg += (g - mg) * (1 - decay) and sqrt(ms - mg*mg + epsilon). Callable hyperparameters
    are called at every apply_gradients; global_step, when given, is advanced by one.
    tf.keras.optimizers.RMSprop(rho=decay, momentum=..., epsilon=..., centered=...) differs:
    its mean square starts at zero, so its first updates are about lr*sign(g)/sqrt(1 - decay)
    where TF1's are about lr*g. Switch to it if that difference is acceptable.
    """

    def __init__(self, learning_rate, decay=0.9, momentum=0.0, epsilon=1e-10, centered=False, name="RMSProp"):
        super().__init__(name=name)
        self.learning_rate = learning_rate
        self.decay = decay
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered
        self.slots = []  # per variable [ms, mom] (and mg when centered), made at its first update
        self._slot_index = {{}}

    def _slots_of(self, var):
        if var.ref() not in self._slot_index:
            with {tf}.init_scope():
                made = [{tf}.Variable({tf}.ones(var.shape, var.dtype), trainable=False),
                        {tf}.Variable({tf}.zeros(var.shape, var.dtype), trainable=False)]
                if self.centered:
                    made.append({tf}.Variable({tf}.zeros(var.shape, var.dtype), trainable=False))
            self._slot_index[var.ref()] = len(self.slots)
            self.slots.append(made)
        return self.slots[self._slot_index[var.ref()]]

    def apply_gradients(self, grads_and_vars, global_step=None):
        hyper = [h() if callable(h) else h for h in (self.learning_rate, self.decay, self.momentum, self.epsilon)]
        for grad, var in grads_and_vars:
            if grad is None:
                continue
            if isinstance(grad, {tf}.IndexedSlices):
                raise TypeError("TF1 RMSProp updated only the rows of a sparse gradient; not reproduced here")
            lr, decay, momentum, epsilon = ({tf}.cast(h, var.dtype) for h in hyper)
            ms, mom, *mg = self._slots_of(var)
            ms.assign_add(({tf}.square(grad) - ms) * (1 - decay))
            denominator = ms + epsilon
            if self.centered:
                mg[0].assign_add((grad - mg[0]) * (1 - decay))
                denominator = ms - {tf}.square(mg[0]) + epsilon
            mom.assign(mom * momentum + grad * lr / {tf}.sqrt(denominator))
            var.assign_sub(mom)
        if global_step is not None:
            global_step.assign_add(1)
'''

_MOMENTUM = '''
class {cls}({tf}.Module):
    """TF1's tf.train.MomentumOptimizer update rule, for eager TF2 (what the TF1 program computed).

    Per variable: accum = accum * momentum + g (accum starting at zero); var -= lr * accum,
    or with use_nesterov var -= lr * g + lr * momentum * accum. Callable hyperparameters
    are called at every apply_gradients; global_step, when given, is advanced by one.
    tf.keras.optimizers.SGD(momentum=..., nesterov=...) accumulates learning-rate-scaled
    steps instead (v = momentum * v - lr * g; var += v): the same while the learning rate
    is constant, different after every change of it. Switch to it if that is acceptable.
    """

    def __init__(self, learning_rate, momentum, use_nesterov=False, name="Momentum"):
        super().__init__(name=name)
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.use_nesterov = use_nesterov
        self.slots = []  # per variable its accumulator, made at its first update
        self._slot_index = {{}}

    def _accumulator_of(self, var):
        if var.ref() not in self._slot_index:
            with {tf}.init_scope():
                self._slot_index[var.ref()] = len(self.slots)
                self.slots.append({tf}.Variable({tf}.zeros(var.shape, var.dtype), trainable=False))
        return self.slots[self._slot_index[var.ref()]]

    def apply_gradients(self, grads_and_vars, global_step=None):
        hyper = [h() if callable(h) else h for h in (self.learning_rate, self.momentum)]
        for grad, var in grads_and_vars:
            if grad is None:
                continue
            if isinstance(grad, {tf}.IndexedSlices):
                raise TypeError("TF1 Momentum updated only the rows of a sparse gradient; not reproduced here")
            lr, momentum = ({tf}.cast(h, var.dtype) for h in hyper)
            accum = self._accumulator_of(var)
            accum.assign(accum * momentum + grad)
            if self.use_nesterov:
                var.assign_sub(grad * lr + accum * momentum * lr)
            else:
                var.assign_sub(accum * lr)
        if global_step is not None:
            global_step.assign_add(1)
'''

_TEMPLATES = {"train.RMSPropOptimizer": _RMSPROP, MOMENTUM: _MOMENTUM}


def has_class(r: str | None) -> bool:
    return r in CLASS_NAMES


def class_source(r: str, cls: str, root: str) -> str:
    """The class that applies TF1's update rule of `r`, named `cls`, with `root` for tf."""
    return _TEMPLATES[r].format(cls=cls, tf=root).lstrip("\n")


def class_note(r: str, cls: str, learning_rate: str | None) -> str:
    """The finding of a TF1 optimizer that became `cls` (defined in the file)."""
    tf1 = r.split(".", 1)[1]
    why, instead, sched = _explanation(r, learning_rate)
    return (f"tf.train.{tf1} becomes {cls}, a small tf.Module defined in this file that applies TF1's update rule "
            f"(the step calls its apply_gradients with the tape's gradients; same updates as TF1{sched}). "
            f"No Keras optimizer computes the same: {why}. A person may switch to the Keras optimizer and accept "
            f"the numeric difference: {instead}; TF1 checkpoints' slot variables are converted by hand (effort: complex)")
