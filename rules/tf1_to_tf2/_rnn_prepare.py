"""TF2120's preparation (rules/tf1_to_tf2/_builders.py ``prepare``): a cell-making helper
written into the one list comprehension that calls it.

Not a rule module. TF1 code builds the cells of a MultiRNNCell with a small helper:

    def lstm_cell(keep_prob):
        cell = tf.contrib.rnn.BasicLSTMCell(HIDDEN, forget_bias=1.0, state_is_tuple=True)
        return rnn.DropoutWrapper(cell, output_keep_prob=keep_prob)

    cell = tf.contrib.rnn.MultiRNNCell([lstm_cell(keep_prob) for _ in range(2)], state_is_tuple=True)

becomes the same TF1 program with the helper's expression in place of its call (and the
helper gone):

    cell = tf.contrib.rnn.MultiRNNCell([rnn.DropoutWrapper(tf.contrib.rnn.BasicLSTMCell(
        HIDDEN, forget_bias=1.0, state_is_tuple=True), output_keep_prob=keep_prob) for _ in range(2)],
        state_is_tuple=True)

Why it is the same program: the call evaluates its arguments (names or literals) once per
element, binds them to the parameters and evaluates the helper's statements in order;
the written-out expression evaluates the same calls in the same order per element (each
local of the helper is used exactly once, after its assignment, so no call is repeated or
dropped), and the helper's free names are module names that the calling function does not
bind (so they mean the same there). _rnn_stacked.py then converts the MultiRNNCell.

Conditions: a module-level function without decorators, defaults, *args or keyword-only
parameters whose body is `name = <expr>` statements and a final `return <call>` of a TF1
RNN cell or cell wrapper; referenced once in the module, as the element of a list
comprehension (`[helper(a, ...) for _ in ...]`) with as many positional arguments, each
a name or a literal. The engine keeps the prepared file only when TF2120 converts it.
"""

from __future__ import annotations

import libcst as cst

# the last part of the names of the calls a cell helper may return
CELL_NAMES = ("BasicLSTMCell", "LSTMCell", "GRUCell", "DropoutWrapper")


def _walk(node: cst.CSTNode):  # type: ignore[no-untyped-def]
    from rules.tf1_to_tf2._builders import _walk as walk
    return walk(node)


class _Subst(cst.CSTTransformer):
    def __init__(self, env: dict[str, cst.BaseExpression]) -> None:
        self.env = env

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)  # only the object of an attribute is a variable
        return False

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        return updated.with_changes(value=original.value.visit(self))

    def visit_Arg(self, node: cst.Arg) -> bool:
        return True

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        return updated.with_changes(keyword=original.keyword)

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        return self.env.get(original.value, updated)


def _helper_expression(fn: cst.FunctionDef) -> tuple[list[str], list[tuple[str, cst.BaseExpression]], cst.Call] | None:
    p = fn.params
    if fn.decorators or fn.asynchronous is not None or p.posonly_params or p.kwonly_params \
            or p.star_kwarg is not None or p.star_arg not in (None, cst.MaybeSentinel.DEFAULT) \
            or any(q.default is not None or q.annotation is not None for q in p.params) \
            or not isinstance(fn.body, cst.IndentedBlock):
        return None
    params = [q.name.value for q in p.params]
    lines: list[tuple[str, cst.BaseExpression]] = []
    body = list(fn.body.body)
    for st in body[:-1]:
        small = st.body[0] if isinstance(st, cst.SimpleStatementLine) and len(st.body) == 1 else None
        if not (isinstance(small, cst.Assign) and len(small.targets) == 1
                and isinstance(small.targets[0].target, cst.Name)):
            return None
        lines.append((small.targets[0].target.value, small.value))
    last = body[-1] if body else None
    ret = last.body[0] if isinstance(last, cst.SimpleStatementLine) and len(last.body) == 1 else None
    if not (isinstance(ret, cst.Return) and isinstance(ret.value, cst.Call)):
        return None
    full = cst.helpers.get_full_name_for_node(ret.value.func) or ""
    if full.rsplit(".", 1)[-1] not in CELL_NAMES:
        return None
    if any(isinstance(n, (cst.Lambda, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp, cst.NamedExpr))
           for st in body for n in _walk(st)):
        return None  # names bound inside: not substituted
    names = [n for n, _ in lines]
    if len(set(names)) != len(names) or set(names) & set(params):
        return None
    # each local used exactly once, after its assignment
    from rules.tf1_to_tf2._builders import _plain_names
    later: list[cst.CSTNode] = [v for _, v in lines] + [ret.value]
    for k, name in enumerate(names):
        uses = sum(1 for node in later[k + 1:] for n in _plain_names(node) if n.value == name)
        if uses != 1 or any(n.value == name for n in _plain_names(later[k])):
            return None
    return params, lines, ret.value


def inline_cell_helpers(module: cst.Module) -> cst.Module | None:
    from rules.tf1_to_tf2._builders import _bound, _plain_names

    parents: dict[int, cst.CSTNode] = {}
    for n in _walk(module):
        for c in n.children:
            parents[id(c)] = n
    replace: dict[int, cst.CSTNode] = {}
    drop: set[int] = set()
    for fn in [st for st in module.body if isinstance(st, cst.FunctionDef)]:
        found = _helper_expression(fn)
        if found is None:
            continue
        params, lines, ret = found
        refs = [n for n in _plain_names(module) if n.value == fn.name.value and n is not fn.name]
        if len(refs) != 1:
            continue
        call = parents.get(id(refs[0]))
        comp = parents.get(id(call))
        if not (isinstance(call, cst.Call) and call.func is refs[0] and isinstance(comp, cst.ListComp)
                and comp.elt is call and len(call.args) == len(params)
                and all(a.keyword is None and not a.star
                        and isinstance(a.value, (cst.Name, cst.Integer, cst.Float, cst.SimpleString))
                        for a in call.args)):
            continue
        caller = next((a for a in _ancestors(parents, call) if isinstance(a, cst.FunctionDef)), None)
        if caller is None or caller is fn:
            continue
        local = set(params) | {n for n, _ in lines}
        free = {n.value for node in [*(v for _, v in lines), ret] for n in _plain_names(node)} - local
        if free & (_bound(caller) | {n.value for n in _plain_names(comp.for_in.target)}):
            continue
        env: dict[str, cst.BaseExpression] = {p: a.value for p, a in zip(params, call.args)}
        for name, value in lines:
            env[name] = value.visit(_Subst(env))  # type: ignore[assignment]
        new = ret.visit(_Subst(env))
        replace[id(call)] = new
        drop.add(id(fn))
    if not replace:
        return None
    from rules.tf1_to_tf2._builders import _Edit
    return module.visit(_Edit(drop, replace, {}))


def _ancestors(parents: dict[int, cst.CSTNode], node: cst.CSTNode):  # type: ignore[no-untyped-def]
    while node is not None:
        yield node
        node = parents.get(id(node))  # type: ignore[assignment]


# -- an optimizer built inline in its apply_gradients call ---------------------------------

def split_inline_optimizers(module: cst.Module) -> cst.Module | None:
    """`train_op = tf.train.AdamOptimizer(0.01).apply_gradients(zip(grads, tvars))` (a
    statement of its own) -> `optimizer = tf.train.AdamOptimizer(0.01)` +
    `train_op = optimizer.apply_gradients(zip(grads, tvars))`: the same calls in the same
    order (a TF1 optimizer makes its slot variables in apply_gradients, not when it is
    built), so TF2120 finds the optimizer statement its gradient pairs need. The new name
    is bound nowhere else in the file."""
    from rules.tf1_to_tf2._builders import _bound

    taken = _bound(module) | {n.value for n in _walk(module) if isinstance(n, cst.Name)}
    after: dict[int, list[cst.BaseStatement]] = {}
    replace: dict[int, cst.CSTNode] = {}
    for line in _walk(module):
        small = line.body[0] if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1 else None
        if not (isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.value, cst.Call)
                and isinstance(small.value.func, cst.Attribute) and small.value.func.attr.value == "apply_gradients"
                and isinstance(small.value.func.value, cst.Call)):
            continue
        opt = small.value.func.value
        full = cst.helpers.get_full_name_for_node(opt.func) or ""
        if not (full.endswith("Optimizer") and ".train." in f".{full}"):
            continue
        name, i = "optimizer", 2
        while name in taken:
            name, i = f"optimizer_{i}", i + 1
        taken.add(name)
        made = cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(name))], opt)],
                                       leading_lines=line.leading_lines)
        replace[id(line)] = cst.FlattenSentinel([made, line.with_changes(leading_lines=[], body=[small.with_changes(
            value=small.value.with_changes(func=small.value.func.with_changes(value=cst.Name(name))))])])
    if not replace:
        return None
    from rules.tf1_to_tf2._builders import _Edit
    return module.visit(_Edit(set(), replace, after))
