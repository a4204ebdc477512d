"""TF2120: the CIFAR-10 tutorial's training idioms around a train op.

* A train op named after a dependency::

      apply_op = opt.apply_gradients(...)
      with tf.control_dependencies([apply_op]):
          train_op = tf.no_op(name='train')

  `train_op` runs exactly `apply_op` (a no_op after it): a run that fetches `train_op`
  runs the train step of `apply_op`, and the block goes.

* A helper that builds the optimizer and the train op, called once by the function that
  runs the graph with the caller's names::

      def train(total_loss, global_step):
          opt = tf.train.MomentumOptimizer(0.05, 0.9)
          ...
          return train_op, global_norm

      train_op, global_norm = train(total_loss, global_step)

  Its statements are analysed as statements of the caller at the call (Analysis.flat):
  the optimizer is made where the call stood and the gradient statements go to the train
  step like the caller's own, which is what TF2 code writes (one train step function built
  next to the variables it updates). The helper's definition and the call go. Only a helper
  whose parameters are passed under their own names and whose returned names are the
  call's targets is taken (no renaming), defined before its caller (a function that makes
  the Session), called once, with a straight-line body that ends in the one return;
  anything else keeps the refusal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from migrate.cstutil import walk as _nodes

if TYPE_CHECKING:
    from rules.tf1_to_tf2._graph import Analysis


# -- `with tf.control_dependencies([apply_op]): train_op = tf.no_op()` ----------------------


def no_op_aliases(an: Analysis) -> None:
    """Blocks `with tf.control_dependencies([<train op>]): <name> = tf.no_op(...)` of a
    unit: `an.train_aliases[id(block stmt)]` = the train op's statement; the block goes."""
    from rules.tf1_to_tf2._graph import NOT_GRAPH, TRAIN, only_small

    for u in an.units.values():
        for s in u.stmts:
            st = s.node
            if not (isinstance(st, cst.With) and len(st.items) == 1 and st.items[0].asname is None
                    and isinstance(st.body, cst.IndentedBlock) and len(st.body.body) == 1):
                continue
            dep = st.items[0].item
            if not (isinstance(dep, cst.Call) and an.call_rest(dep) == "control_dependencies" and len(dep.args) == 1
                    and dep.args[0].keyword is None and isinstance(dep.args[0].value, (cst.List, cst.Tuple))
                    and len(dep.args[0].value.elements) == 1):
                continue
            el = dep.args[0].value.elements[0].value
            small = only_small(st.body.body[0])
            if not (isinstance(el, cst.Name) and isinstance(small, cst.Assign) and len(small.targets) == 1
                    and isinstance(small.targets[0].target, cst.Name) and isinstance(small.value, cst.Call)
                    and an.call_rest(small.value) == "no_op"
                    and all(a.keyword is not None and a.keyword.value == "name" for a in small.value.args)):
                continue
            train = u.reaching(el.value, s.index)
            if train is None or train.kind != TRAIN:
                continue
            if sum(_count(b, el.value) for b in u.body) != 2:
                continue  # the train op is also fetched or used on its own: not only a dependency
            alias = small.targets[0].target.value
            if any(o is not s and alias in o.uses and o.kind not in NOT_GRAPH for o in u.stmts):
                continue  # the no_op feeds graph code (a tf.group, a dependency): not only a name for runs
            an.train_aliases[id(s)] = train
            an.plan.remove.add(id(st))
            an.plan.dropped.append(st)


def _count(node: cst.CSTNode, name: str) -> int:
    """How many Name nodes spell `name` under `node` (its binding included)."""
    return sum(1 for n in _nodes(node) if isinstance(n, cst.Name) and n.value == name)


# -- a train helper called once, with the caller's names ----------------------------------


def find_inlined(an: Analysis) -> None:
    """`an.inlined[id(call statement)]` = the helper whose statements stand there (see the
    module docstring); `plan.splice` / `plan.splice_fns` tell the rule to move them."""
    from rules.tf1_to_tf2._graph import (
        SESSIONS,
        function_locals,
        only_small,
        optimizer_params,
    )

    module = an.module
    defs = {st.name.value: (i, st) for i, st in enumerate(module.body) if isinstance(st, cst.FunctionDef)}
    counts: dict[str, int] = {}
    skip = {id(n.attr) for n in _nodes(module) if isinstance(n, cst.Attribute)} | {
        id(n.keyword) for n in _nodes(module) if isinstance(n, cst.Arg) and n.keyword is not None}
    for n in _nodes(module):
        if isinstance(n, cst.Name) and n.value in defs and id(n) not in skip:
            counts[n.value] = counts.get(n.value, 0) + 1
    for ci, caller in enumerate(module.body):
        body = list(caller.body.body) if isinstance(caller, cst.FunctionDef) and isinstance(caller.body, cst.IndentedBlock) else []
        if not any(isinstance(n, cst.Call) and an.call_rest(n) in SESSIONS for n in _nodes(caller)):
            continue  # only into the function that runs the graph (its train ops are converted there)
        for st in body:
            small = only_small(st)
            call = small.value if isinstance(small, (cst.Assign, cst.Expr)) else None
            if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and call.func.value in defs):
                continue
            hi, fn = defs[call.func.value]
            if hi >= ci or counts.get(fn.name.value) != 2 or not _makes_optimizer(an, fn, optimizer_params):
                continue
            targets = _targets(small)
            if targets is None or not _args_match(call, fn):
                continue
            stmts = _body(fn)
            if stmts is None:
                continue
            ret = only_small(stmts[-1])
            returned = _returned(ret) if isinstance(ret, cst.Return) else None
            if returned is None or returned != targets:
                continue
            # no name of the helper's own may mean something else in the caller
            params = {p.name.value for p in fn.params.params}
            own = function_locals(fn) - params - set(returned)
            caller_names = {n.value for n in _nodes(caller) if isinstance(n, cst.Name)}
            free = {n.value for n in _nodes(fn.body) if isinstance(n, cst.Name)} - function_locals(fn)
            if own & caller_names or free & function_locals(caller):
                continue
            an.inlined[id(st)] = (fn, stmts[:-1], stmts[-1])
            an.plan.splice[id(st)] = id(fn)
            an.plan.splice_fns.add(id(fn))
            an.plan.remove.add(id(stmts[-1]))
            an.plan.dropped.append(call)
            an.functions_by_name.pop(fn.name.value, None)


def _makes_optimizer(an: Analysis, fn: cst.FunctionDef, optimizer_params) -> bool:  # type: ignore[no-untyped-def]
    return any(isinstance(n, cst.Call) and optimizer_params(an.call_rest(n)) is not None for n in _nodes(fn.body))


def _targets(small: cst.BaseSmallStatement) -> tuple[str, ...] | None:
    if isinstance(small, cst.Expr):
        return ()
    assert isinstance(small, cst.Assign)
    if len(small.targets) != 1:
        return None
    t = small.targets[0].target
    if isinstance(t, cst.Name):
        return (t.value,)
    if isinstance(t, (cst.Tuple, cst.List)) and all(isinstance(e, cst.Element) and isinstance(e.value, cst.Name) for e in t.elements):
        return tuple(e.value.value for e in t.elements)  # type: ignore[attr-defined]
    return None


def _returned(ret: cst.Return) -> tuple[str, ...] | None:
    v = ret.value
    if v is None:
        return ()
    if isinstance(v, cst.Name):
        return (v.value,)
    if isinstance(v, cst.Tuple) and all(isinstance(e, cst.Element) and isinstance(e.value, cst.Name) for e in v.elements):
        return tuple(e.value.value for e in v.elements)  # type: ignore[attr-defined]
    return None


def _args_match(call: cst.Call, fn: cst.FunctionDef) -> bool:
    """Every parameter passed, as the caller's variable of the same name."""
    ps = fn.params
    if fn.decorators or fn.asynchronous or isinstance(ps.star_arg, (cst.Param, cst.ParamStar)) \
            or ps.star_kwarg is not None or ps.posonly_params or ps.kwonly_params:
        return False
    names = [p.name.value for p in ps.params]
    if any(p.default is not None for p in ps.params) or len(call.args) != len(names):
        return False
    for i, a in enumerate(call.args):
        if a.star or not isinstance(a.value, cst.Name):
            return False
        want = a.keyword.value if a.keyword is not None else names[i]
        if want not in names or a.value.value != want:
            return False
    return True


def _body(fn: cst.FunctionDef) -> list[cst.BaseStatement] | None:
    """The helper's statements: plain lines and `with` blocks, one return at the end."""
    if not isinstance(fn.body, cst.IndentedBlock):
        return None
    stmts = list(fn.body.body)
    if not stmts or not all(isinstance(s, (cst.SimpleStatementLine, cst.With)) for s in stmts):
        return None
    for n in _nodes(fn.body):
        if isinstance(n, (cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.Yield, cst.Global, cst.Nonlocal)):
            return None
    returns = [n for n in _nodes(fn.body) if isinstance(n, cst.Return)]
    last = stmts[-1]
    if len(returns) != 1 or not (isinstance(last, cst.SimpleStatementLine) and len(last.body) == 1 and last.body[0] is returns[0]):
        return None
    first = stmts[0]
    if isinstance(first, cst.SimpleStatementLine) and isinstance(first.body[0], cst.Expr) \
            and isinstance(first.body[0].value, (cst.SimpleString, cst.ConcatenatedString)):
        return None  # a docstring: it would have to go somewhere
    return stmts


def move_inserts(an: Analysis) -> None:
    """Functions anchored at a statement of an inlined helper are written after the call
    statement instead: the helper is visited (and its statements transformed) before its
    caller, and a step function must be built when every statement it copies has been."""
    plan = an.plan
    for sid, (_fn, stmts, _ret) in an.inlined.items():
        inside = [id(n) for st in stmts for n in _nodes(st)]
        for key in inside:
            if key in plan.inserts:
                plan.inserts.setdefault(sid, []).extend(plan.inserts.pop(key))
