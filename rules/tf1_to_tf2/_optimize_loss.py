"""`tf.contrib.layers.optimize_loss` in Session code (TF2120): a train op whose train step
is written out.

Not a rule module. What TF1's optimize_loss did (TF 1.15 tensorflow/contrib/layers/python/
layers/optimizers.py, the same code as tf_slim/layers/optimizers.py), for the calls
converted here:

* `loss` gets control dependencies on the UPDATE_OPS collection (update_ops=None): with
  the Keras objects TF2130 makes, batch normalization updates its moving statistics in
  `call(training=True)` of the train step (checked like an explicit
  `with tf.control_dependencies(update_ops):` block, see Analysis.check_model_calls);
* a float learning rate becomes a non-trainable variable `OptimizeLoss/learning_rate`
  holding that constant, read by the optimizer (a constant learning rate);
* a string optimizer is `OPTIMIZER_CLS_NAMES[name](learning_rate=lr)`: Adam, Adagrad,
  Ftrl and SGD with their TF1 defaults, Momentum with momentum=0.9; a tf.train optimizer
  class is `optimizer(learning_rate=lr)`; an instance is used as it is (a float
  learning_rate then makes a variable nothing reads) -- each becomes its Keras
  counterpart with TF1's defaults pinned, as for `tf.train.<X>Optimizer(...)`; 'RMSProp'
  (`RMSPropOptimizer(learning_rate=lr)`: decay=0.9, momentum=0.0, epsilon=1e-10) and the
  class tf.train.RMSPropOptimizer have no Keras counterpart (TF1 starts the mean square at
  1.0): they become the TF1RMSProp class written into the file (_v1_optimizers.py, TF1's
  update rule), whose `apply_gradients(..., global_step=global_step)` advances the step;
* the gradients of `loss` over every trainable variable (`opt.compute_gradients`), then,
  for a float `clip_gradients`, `tf.clip_by_global_norm(gradients, clip_gradients)` (the
  global norm skips missing gradients), then `opt.apply_gradients(..., global_step=
  global_step)` (increment_global_step=True);
* summaries (loss, learning_rate, global_gradient_norm by default) are added to the
  SUMMARIES collection only: they matter only to `tf.summary.merge_all`;
* the result is `loss` with a control dependency on the update: fetching it runs a train
  step and gives the loss before the update, which the train step returns
  (`l = sess.run(train_op)` -> `l = train_step(...).numpy()`).

So the train step is the usual tape step with one more statement:

    gradients = tape.gradient(loss, variables)
    gradients, _ = tf.clip_by_global_norm(gradients, 5.0)
    optimizer.apply_gradients(zip(gradients, variables))
    global_step.assign_add(1)

Refused with a precise reason: a callable optimizer, an RMSPropOptimizer instance and the
other TF1 optimizers with no Keras counterpart, a learning rate that is not a float constant
(a tensor, an int: TF1 raised), learning_rate_decay_fn, gradient_noise_scale,
gradient_multipliers, a callable or non-float clip_gradients, explicit update_ops or
variables, increment_global_step=False, RMSProp in a file with sparse reads, and files that would see what optimize_loss added to the graph: the learning-rate
variable (a Saver, global-variable reads) or its summaries (merge_all).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import libcst as cst

from migrate.cstutil import walk as _walk

if TYPE_CHECKING:
    from rules.tf1_to_tf2._graph import Analysis, Stmt, TrainOp, Unit

OPTIMIZE_LOSS = {"contrib.layers.optimize_loss", "contrib.layers.optimizers.optimize_loss"}
PARAMS = ["loss", "global_step", "learning_rate", "optimizer", "gradient_noise_scale", "gradient_multipliers",
          "clip_gradients", "learning_rate_decay_fn", "update_ops", "variables", "name", "summaries",
          "colocate_gradients_with_ops", "increment_global_step"]
# optimize_loss's OPTIMIZER_CLS_NAMES -> the TF1 optimizer it built and its extra arguments
STRING_OPTIMIZERS = {
    "Adagrad": ("AdagradOptimizer", ""),
    "Adam": ("AdamOptimizer", ""),
    "Ftrl": ("FtrlOptimizer", ""),
    "Momentum": ("MomentumOptimizer", ", momentum=0.9"),
    "RMSProp": ("RMSPropOptimizer", ""),  # TF1's update rule: the TF1RMSProp class
    "SGD": ("GradientDescentOptimizer", ""),
}
RMSPROP = "train.RMSPropOptimizer"
# arguments whose value must be the default (None / False / True) for the call to convert
_NONE = {"gradient_noise_scale", "gradient_multipliers", "learning_rate_decay_fn", "update_ops", "variables"}
# references that would see the learning-rate variable or the summaries optimize_loss adds
_SEES_GRAPH = {"train.Saver": "a tf.train.Saver (it saves the variable `OptimizeLoss/learning_rate`)",
               "global_variables": "tf.global_variables() (it lists `OptimizeLoss/learning_rate`)",
               "all_variables": "tf.all_variables() (it lists `OptimizeLoss/learning_rate`)",
               "GraphKeys.GLOBAL_VARIABLES": "the GLOBAL_VARIABLES collection (it lists `OptimizeLoss/learning_rate`)",
               "summary.merge_all": "tf.summary.merge_all() (it merges optimize_loss's summaries)"}


def is_optimize_loss(an: Analysis, value: cst.BaseExpression | None) -> bool:
    return isinstance(value, cst.Call) and id(value) in an.optimize_losses


def find(an: Analysis, refs: list[tuple[cst.CSTNode, str]]) -> None:
    """Check each optimize_loss call; the ones converted are remembered (id of the call ->
    its synthesized TF1 optimizer call and clip value) and their names allowed."""
    from rules.tf1_to_tf2._graph import GLOBAL_STEP_MAKERS, Unsupported, _args_map_loose

    calls = [r for r in refs if r[1] in OPTIMIZE_LOSS]
    if not calls:
        return
    for node, r in refs:
        why = _SEES_GRAPH.get(r)
        if why is not None:
            raise Unsupported(node, f"`tf.contrib.layers.optimize_loss` adds a variable and summaries to the graph and the file reads "
                                    f"them through {why}; not converted")
    parents = {}
    for n in _walk(an.module):
        for c in n.children:
            parents[id(c)] = n
    for func, _ in calls:
        call = parents.get(id(func))
        if not (isinstance(call, cst.Call) and call.func is func):
            raise Unsupported(func, "`tf.contrib.layers.optimize_loss` used other than called; not converted")
        an.optimize_losses[id(call)] = _check(an, call)
        an.allowed_refs.add(id(func))
        gs = _args_map_loose(call, PARAMS)["global_step"].value
        if isinstance(gs, cst.Call) and an.call_rest(gs) in GLOBAL_STEP_MAKERS and not gs.args:
            an.inline_global_steps.add(id(gs))
            an.allowed_refs.add(id(gs.func))
        line = _line_of(parents, call)
        small = line.body[0] if line is not None and len(line.body) == 1 else None
        if not (isinstance(small, cst.Assign) and small.value is call and len(small.targets) == 1
                and isinstance(small.targets[0].target, cst.Name)):
            raise Unsupported(call, "`tf.contrib.layers.optimize_loss` not assigned to one name (`train_op = ...`); not converted")
        # update_ops=None: it reads UPDATE_OPS itself, as a `with tf.control_dependencies(update_ops):` block would
        an.update_trains.add(id(line))


def _line_of(parents: dict[int, cst.CSTNode], node: cst.CSTNode) -> cst.SimpleStatementLine | None:
    n: cst.CSTNode | None = node
    while n is not None and not isinstance(n, cst.SimpleStatementLine):
        n = parents.get(id(n))
    return n


def _check(an: Analysis, call: cst.Call) -> tuple[str | None, cst.BaseExpression | None]:
    """(the TF1 optimizer call optimize_loss built, as code with `LR` for the learning
    rate, None for an optimizer instance used as it is; the clip_gradients value or None)."""
    from rules.tf1_to_tf2 import _v1_optimizers as v1opt
    from rules.tf1_to_tf2._graph import OPTIMIZERS, Unsupported, _args_map_loose

    if any(a.star for a in call.args) or len([a for a in call.args if a.keyword is None]) > len(PARAMS):
        raise Unsupported(call, "optimize_loss(*args/**kwargs) or too many arguments; not converted")
    args = _args_map_loose(call, PARAMS)
    unknown = sorted(set(args) - set(PARAMS))
    if unknown:
        raise Unsupported(call, f"optimize_loss({unknown[0]}=...) is not an argument of TF1's optimize_loss; not converted")
    for k in ("loss", "global_step", "learning_rate", "optimizer"):
        if k not in args:
            raise Unsupported(call, f"optimize_loss without `{k}`; not converted")
    for k in sorted(_NONE & set(args)):
        if not _is(args[k].value, "None"):
            raise Unsupported(args[k].value, f"optimize_loss({k}=...) is not converted (only the default None)")
    if "increment_global_step" in args and not _is(args["increment_global_step"].value, "True"):
        raise Unsupported(call, "optimize_loss(increment_global_step=...) is not converted (only the default True)")
    if "colocate_gradients_with_ops" in args and not _is(args["colocate_gradients_with_ops"].value, "False", "True"):
        raise Unsupported(call, "optimize_loss(colocate_gradients_with_ops=<not a literal>) is not converted")
    opt = args["optimizer"].value
    lr = args["learning_rate"].value
    clip = _clip(an, args)
    r = an.rest(opt) if isinstance(opt, (cst.Name, cst.Attribute)) else an.call_rest(opt)
    if r is not None and r in OPTIMIZERS and not v1opt.is_kept(r):
        if isinstance(opt, cst.Call):
            # an instance: optimize_loss uses it as it is (a float learning_rate still made
            # the unused variable OptimizeLoss/learning_rate)
            an.check_optimizer_call(opt)
            if not (_is(lr, "None") or _is_float(an, lr)):
                raise Unsupported(lr, "optimize_loss's learning_rate next to an optimizer instance is converted only as None or "
                                      "a float constant; not converted")
            return None, clip
        if r == "train.MomentumOptimizer":
            raise Unsupported(opt, "optimize_loss(optimizer=tf.train.MomentumOptimizer) calls the class with the learning rate "
                                   "only and TF1 raised TypeError (momentum is required); not converted")
        if not _is_float(an, lr):
            raise Unsupported(lr, _LR_WHY)
        return f"{r}(learning_rate=LR)", clip  # a class: `optimizer(learning_rate=lr)`
    if r == RMSPROP and not isinstance(opt, cst.Call):
        # the class: `RMSPropOptimizer(learning_rate=lr)`, TF1's update rule written out
        # as the TF1RMSProp class (_v1_optimizers.py)
        if not _is_float(an, lr):
            raise Unsupported(lr, _LR_WHY)
        return f"{r}(learning_rate=LR)", clip
    if r is not None and v1opt.is_kept(r):
        raise Unsupported(opt, f"optimize_loss with tf.{r}: no Keras optimizer computes its updates (a kept TF1 optimizer is "
                               "converted only with minimize/apply_gradients); not converted")
    if not (isinstance(opt, cst.SimpleString) and opt.evaluated_value in STRING_OPTIMIZERS):
        raise Unsupported(opt, "optimize_loss's optimizer is converted only as one of the names 'Adagrad', 'Adam', 'Ftrl', "
                               "'Momentum', 'RMSProp', 'SGD', or a tf.train optimizer class or instance with a Keras counterpart (a "
                               "callable is not); not converted")
    if not _is_float(an, lr):
        raise Unsupported(lr, _LR_WHY)
    cls, extra = STRING_OPTIMIZERS[opt.evaluated_value]
    return f"train.{cls}(learning_rate=LR{extra})", clip


_LR_WHY = ("optimize_loss's learning_rate is converted only as a float constant (a literal or a DEFINE_float flag; TF1 "
           "made it the variable OptimizeLoss/learning_rate): a tensor, a schedule or another value is not converted")


def _clip(an: Analysis, args: dict[str, cst.Arg]) -> cst.BaseExpression | None:
    from rules.tf1_to_tf2._graph import Unsupported

    clip = args["clip_gradients"].value if "clip_gradients" in args else None
    if clip is not None and _is(clip, "None"):
        clip = None
    if clip is not None and not (isinstance(clip, cst.Float) or _is_float(an, clip)):
        raise Unsupported(clip, "optimize_loss's clip_gradients is converted only as a float (clip by global norm); an int "
                                "(TF1 raised ValueError) or a callable is not; not converted")
    return clip


def _is(value: cst.BaseExpression, *names: str) -> bool:
    return isinstance(value, cst.Name) and value.value in names


def _is_float(an: Analysis, value: cst.BaseExpression) -> bool:
    """A float literal (not negative: TF1 raised), or `FLAGS.x` of a `DEFINE_float('x', ...)`."""
    if isinstance(value, cst.Float):
        return True
    if isinstance(value, cst.Attribute) and isinstance(value.value, cst.Name):
        flag = value.attr.value
        for n in _walk(an.module):
            if isinstance(n, cst.Call) and isinstance(n.func, (cst.Attribute, cst.Name)):
                fname = n.func.attr.value if isinstance(n.func, cst.Attribute) else n.func.value
                first = n.args[0].value if n.args and n.args[0].keyword is None else None
                if isinstance(first, cst.SimpleString) and first.evaluated_value == flag and fname.startswith("DEFINE_"):
                    return fname == "DEFINE_float"
    return False


def train_op(an: Analysis, u: Unit, s: Stmt, call: cst.Call) -> TrainOp:
    """The TrainOp of `train = optimize_loss(loss, global_step, lr, 'Adam', ...)`: its
    optimizer is made where the statement was, the train step clips when asked."""
    from rules.tf1_to_tf2._graph import Unsupported, _args_map_loose

    code, clip = an.optimize_losses[id(call)]
    args = _args_map_loose(call, PARAMS)
    opt = args["optimizer"].value
    if code is None:  # an optimizer instance
        assert isinstance(opt, cst.Call)
        synth = opt
    else:
        if isinstance(opt, (cst.Name, cst.Attribute)):  # a class
            func: cst.BaseExpression = opt
        else:
            root = _tf_alias(an)
            if root is None:
                raise Unsupported(call, "optimize_loss in a file without `import tensorflow as <name>`; not converted")
            func = cst.parse_expression(f"{root}.{code.split('(')[0]}")
        synth = cst.Call(func=func, args=[cst.Arg(args["learning_rate"].value, keyword=cst.Name("learning_rate"),
                                                  equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                                                        whitespace_after=cst.SimpleWhitespace("")))]
                         + ([cst.Arg(cst.Float("0.9"), keyword=cst.Name("momentum"))] if "momentum=0.9" in code else []))
    gs = args["global_step"].value
    if id(gs) in an.inline_global_steps:
        # `optimize_loss(loss, tf.train.get_or_create_global_step(), ...)`: the variable gets a name
        tr = an.train_parts(u, s, call, {"loss": args["loss"]}, an.fresh("optimizer"), None)
        tr.global_step = an.fresh("global_step")
    elif _is(gs, "None"):
        raise Unsupported(gs, "optimize_loss(global_step=None) looks the global step up in the graph; not converted")
    else:
        tr = an.train_parts(u, s, call, {"loss": args["loss"], "global_step": args["global_step"]}, an.fresh("optimizer"), None)
    if code is not None and code.startswith(RMSPROP) and not an.v1_class_fits(synth, RMSPROP):
        raise Unsupported(opt, "optimize_loss with RMSProp in a file with sparse reads (embedding lookups, gather): TF1 "
                               "updated only the looked-up rows, the TF1RMSProp class does not; not converted")
    tr.synth_optimizer = synth
    if not isinstance(opt, cst.SimpleString):
        an.plan.dropped.append(opt)  # rebuilt as the Keras optimizer
    tr.clip = clip
    return tr


def _tf_alias(an: Analysis) -> str | None:
    for q in ("tensorflow", "tensorflow.compat.v1"):
        names = an.ctx.aliases.locals_for(q)
        if names:
            return sorted(names)[0]
    return None


def statement_builder(an: Analysis, tr: TrainOp, root: str) -> Callable[[cst.SimpleStatementLine], list[cst.BaseStatement]]:
    """`train = optimize_loss(...)` -> `optimizer = tf.keras.optimizers.<X>(...)` (the
    learning rate as the other rules left it in the updated line)."""
    from rules.tf1_to_tf2._graph import _args_map_loose, _optimizer_call

    def build(updated_line: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
        small = updated_line.body[0]
        assert isinstance(small, cst.Assign) and isinstance(small.value, cst.Call)
        args = _args_map_loose(small.value, PARAMS)
        lr = args["learning_rate"].value
        upd_opt = args["optimizer"].value
        out: list[cst.BaseStatement] = []
        original = tr.stmt.value
        assert isinstance(original, cst.Call)
        if id(_args_map_loose(original, PARAMS)["global_step"].value) in an.inline_global_steps:
            # what TF1's get_or_create_global_step created: int64, zero, not trainable, named global_step
            out.append(updated_line.with_changes(body=[cst.parse_statement(
                f'{tr.global_step} = {root}.Variable(0, dtype={root}.int64, trainable=False, name="global_step")\n').body[0]]))
        synth = tr.synth_optimizer
        assert synth is not None
        if synth is _args_map_loose(original, PARAMS)["optimizer"].value:
            assert isinstance(upd_opt, cst.Call)
            updated = upd_opt  # an instance, as the other rules left it
        else:
            updated = synth.with_changes(args=[a.with_changes(value=lr) if a.keyword and a.keyword.value == "learning_rate" else a
                                               for a in synth.args])
        new = cst.Assign(targets=[cst.AssignTarget(cst.Name(tr.optimizer_name))], value=_optimizer_call(an, synth, updated, root))
        line = updated_line.with_changes(body=[new])
        if out:
            line = line.with_changes(leading_lines=[])
        return [*out, line]
    return build


def clip_statement(tr: TrainOp, grads: str, root: str, code: Callable[[cst.CSTNode], str]) -> list[cst.BaseStatement]:
    if tr.clip is None:
        return []
    return [cst.parse_statement(f"{grads}, _ = {root}.clip_by_global_norm({grads}, {code(tr.clip)})\n")]


def note(an: Analysis, tr: TrainOp) -> str:
    from rules.tf1_to_tf2._graph import _optimizer_note

    assert tr.synth_optimizer is not None
    clip = " and clips the gradients with tf.clip_by_global_norm" if tr.clip is not None else ""
    named = ("tf.train.RMSPropOptimizer(learning_rate=<its learning rate>) with TF1's defaults decay=0.9, momentum=0.0, "
             "epsilon=1e-10, see the finding on it" if an.kept_v1(tr.synth_optimizer) else _optimizer_note(an, tr.synth_optimizer))
    return ("tf.contrib.layers.optimize_loss becomes the train step's tape gradients over the watched variables" + clip
            + ", applied by the optimizer it named (" + named
            + "); its learning-rate variable becomes the constant, its summaries (unread) go, and the update ops run in "
              "the Keras layers' call(training=True)")
