"""TF2120: the multi-tower ('multi-GPU') training recipe of TF1 (the CIFAR-10 multi-GPU
tutorial's shape) in Session code.

Not a rule module. The recognised program:

    with tf.Graph().as_default(), tf.device('/cpu:0'):      # the graph (and its device) go
        x = tf.placeholder(...)
        x_splits = tf.split(x, NUM_TOWERS)
        opt = tf.train.GradientDescentOptimizer(0.1)
        tower_grads, losses = [], []
        with tf.variable_scope(tf.get_variable_scope()):     # opened (the root scope re-entered)
            for i in range(NUM_TOWERS):
                with tf.device('/gpu:%d' % i):
                    with tf.name_scope('tower_%d' % i) as scope:
                        loss = tower_loss(x_splits[i], y_splits[i])   # a TF2130 model object's call
                        tf.get_variable_scope().reuse_variables()     # goes: one object, called per tower
                        grads = opt.compute_gradients(loss)
                        tower_grads.append(grads)
                        losses.append(loss)
        grads = average_gradients(tower_grads)               # statements on the tower gradients
        train_op = opt.apply_gradients(grads)
        ...
        sess.run([train_op, mean_loss], {x: a, y: b})

The tower loop moves into the train step as it is, each tower's forward pass under its own
tape: `with tf.GradientTape() as tape: loss = ...`, then `variables =
tape.watched_variables()` and `grads = list(zip(tape.gradient(loss, variables),
variables))` where compute_gradients stood (the variables the tower read, in creation
order; TF1 listed every trainable variable, the same ones when, as the averaging helper
requires, each of them has a gradient); the statements on the gradients and
`opt.apply_gradients(...)` follow the loop, as in TF1. Variables shared by
`reuse_variables()` are one Keras object (TF2130) called by every tower, so the
`with tf.variable_scope(tf.get_variable_scope()):` around the loop and the
`reuse_variables()` call go. A name-scope string bound by `with tf.name_scope(...) as
scope` in the loop and read after it (TF1: 'tower_1/' for the last tower) is computed
where the loop stood by the same loop of `tf.name_scope` blocks (eager TF2 yields the same
string), when TF1 cannot have made the name unique or prefixed it.

Refused with a precise reason: variables made directly under the re-entered root scope,
compute_gradients with a var_list or other arguments, a tower forward pass that reads
values computed from variables before the loop (a tape in the loop would not see them),
statements before the forward pass in the loop's outer blocks, the tower gradients used
outside the train step.
"""

from __future__ import annotations

import libcst as cst

from rules.tf1_to_tf2._control_flow import _walk, free_names


def _tower_note(opt: str, loss: str, tape: str, variables: str) -> str:
    return (f"the tower loop (towers sharing one Keras object) moves into the train step: each tower's forward pass is "
            f"recorded by its own tf.GradientTape and `{opt}.compute_gradients({loss})` becomes "
            f"`list(zip({tape}.gradient({loss}, {variables}), {variables}))` over the variables the tower read (TF1's "
            "trainable variables, each with a gradient, in creation order); the statements on the tower gradients and one "
            "apply_gradients follow the loop, as in TF1; `tf.variable_scope(tf.get_variable_scope())` and "
            "`reuse_variables()` go (sharing is calling the same object)")


def _call_rest(an, node):  # type: ignore[no-untyped-def]
    return an.call_rest(node) if isinstance(node, cst.Call) else None


def _is_scope_item(an, item: cst.WithItem) -> bool:  # type: ignore[no-untyped-def]
    r = _call_rest(an, item.item)
    if r == "device":
        return item.asname is None
    return r == "name_scope" and (item.asname is None or isinstance(item.asname.name, cst.Name))


def scope_with(an, st: cst.CSTNode) -> bool:  # type: ignore[no-untyped-def]
    """`with tf.device(...):` / `with tf.name_scope(...) [as s]:` (one or more such items):
    a block of graph code placed or named, moved into a tf.function as it is."""
    return isinstance(st, cst.With) and bool(st.items) and st.asynchronous is None \
        and all(_is_scope_item(an, it) for it in st.items)


def _graph_with(an, st: cst.With) -> bool:  # type: ignore[no-untyped-def]
    """`with tf.Graph().as_default()[, tf.device(...)]:`"""
    first = st.items[0].item
    if st.items[0].asname is not None or not isinstance(first, cst.Call) or first.args \
            or not isinstance(first.func, cst.Attribute) or first.func.attr.value != "as_default" \
            or _call_rest(an, first.func.value) != "Graph" or first.func.value.args:  # type: ignore[union-attr, attr-defined]
        return False
    return all(_call_rest(an, it.item) == "device" and it.asname is None for it in st.items[1:]) \
        and isinstance(st.body, cst.IndentedBlock)


def _shared_scope_with(an, st: cst.With) -> bool:  # type: ignore[no-untyped-def]
    """`with tf.variable_scope(tf.get_variable_scope()):`"""
    if len(st.items) != 1 or st.items[0].asname is not None or not isinstance(st.body, cst.IndentedBlock):
        return False
    call = st.items[0].item
    if _call_rest(an, call) != "variable_scope" or len(call.args) != 1:  # type: ignore[union-attr, attr-defined]
        return False
    a = call.args[0]  # type: ignore[union-attr, attr-defined]
    return a.keyword is None and not a.star and _call_rest(an, a.value) == "get_variable_scope" and not a.value.args  # type: ignore[union-attr]


def _reuse_line(an, st: cst.CSTNode) -> bool:  # type: ignore[no-untyped-def]
    """`tf.get_variable_scope().reuse_variables()` as a statement."""
    if not isinstance(st, cst.SimpleStatementLine) or len(st.body) != 1 or not isinstance(st.body[0], cst.Expr):
        return False
    call = st.body[0].value
    return isinstance(call, cst.Call) and not call.args and isinstance(call.func, cst.Attribute) \
        and call.func.attr.value == "reuse_variables" and _call_rest(an, call.func.value) == "get_variable_scope" \
        and not call.func.value.args  # type: ignore[union-attr, attr-defined]


_MAKERS = ("get_variable", "Variable", "variable_scope", "get_variable_scope", "make_template", "layers.",
           "nn.rnn_cell", "contrib.", "keras.")


def find(an, refs) -> None:  # type: ignore[no-untyped-def]
    """The graph `with` written inline and the re-entered root scope of a tower loop,
    opened (their statements are the unit's); the reuse_variables() statements go."""
    from rules.tf1_to_tf2._graph import Unsupported

    units = [list(an.module.body)] + [list(f.body.body) for f in an.module.body
                                       if isinstance(f, cst.FunctionDef) and isinstance(f.body, cst.IndentedBlock)
                                       and f.name.value not in an.models and id(f) not in an.model_nodes]
    graphs = [n for n, r in refs if r == "Graph"]
    for body in units:
        for st in body:
            if not isinstance(st, cst.With):
                continue
            if an.cf_graph is None and len(graphs) == 1 and _graph_with(an, st):
                _open_graph(an, st, graphs[0])
                inner = list(st.body.body)  # type: ignore[union-attr]
            else:
                inner = [st]
            for w in inner:
                if isinstance(w, cst.With) and _shared_scope_with(an, w):
                    _open_shared_scope(an, w, refs, Unsupported)


def _open_graph(an, st: cst.With, graph_ref: cst.CSTNode) -> None:  # type: ignore[no-untyped-def]
    call = st.items[0].item
    an.allowed_refs.add(id(graph_ref))
    an.allowed_refs.add(id(call.func))  # type: ignore[attr-defined]
    an.update_withs.add(id(st))
    an.tower_withs.add(id(st))
    an.cf_graph = an.code(call.func.value)  # type: ignore[attr-defined]
    for it in st.items[1:]:
        an.allowed_refs.add(id(it.item.func))  # type: ignore[attr-defined]
        an.plan.dropped.append(it)
        an.plan.checkpoint_notes.append((it, (
            f"`{an.code(it.item)}` around the whole graph goes with `tf.Graph().as_default()`: TF2 places each "
            "eager op and tf.function itself (on a GPU when there is one; TF1's soft placement did the same for ops "
            "without a kernel there); the per-tower `tf.device` blocks in the train step stay. Call the functions under "
            f"`with {an.code(it.item)}:` where the placement matters")))


def _open_shared_scope(an, w: cst.With, refs, Unsupported) -> None:  # type: ignore[no-untyped-def]
    inside = {id(n) for n in _walk(w)}
    reuse = [n for n in _walk(w) if _reuse_line(an, n)]
    if not reuse:
        return  # not the tower idiom: the variable_scope conversion decides
    reuse_ids = {id(x) for line in reuse for x in _walk(line)}
    scope_call = w.items[0].item
    own = {id(scope_call.func), id(scope_call.args[0].value.func)}  # type: ignore[attr-defined]
    for node, r in refs:
        if id(node) in inside and id(node) not in reuse_ids and id(node) not in own \
                and any(r == m or (m.endswith(".") and r.startswith(m)) for m in _MAKERS):
            raise Unsupported(node, f"`tf.{r}` under `with tf.variable_scope(tf.get_variable_scope()):` with "
                                    "`reuse_variables()`: only model functions that TF2130 makes Keras layers (one "
                                    "object called by every tower) are shared automatically; not converted")
    for line in reuse:
        if not any(isinstance(p, cst.For) for p in an.ancestors(line)):
            raise Unsupported(line, "`tf.get_variable_scope().reuse_variables()` outside the tower loop; not converted")
        an.plan.remove.add(id(line))
        an.plan.dropped.append(line)
        for x in _walk(line):
            an.allowed_refs.add(id(x))
            an.tower_dropped.add(id(x))
    an.allowed_refs.update(own)
    an.update_withs.add(id(w))
    an.tower_withs.add(id(w))


# -- the train op ----------------------------------------------------------------------------


def _compute_lines(an, block: cst.CSTNode) -> list[tuple[cst.SimpleStatementLine, cst.Call]]:  # type: ignore[no-untyped-def]
    out = []
    for n in _walk(block):
        if isinstance(n, cst.SimpleStatementLine):
            for c in _walk(n):
                if isinstance(c, cst.Call) and isinstance(c.func, cst.Attribute) and c.func.attr.value == "compute_gradients":
                    out.append((n, c))
    return out


def _path(block: cst.For, line: cst.CSTNode) -> list[cst.CSTNode] | None:
    """The With nodes from the loop's body down to the list holding `line`, each the first
    statement of its block (None when the line is elsewhere)."""
    path: list[cst.CSTNode] = []
    cur: cst.CSTNode = block
    while True:
        body = list(cur.body.body) if isinstance(cur.body, cst.IndentedBlock) else []  # type: ignore[attr-defined]
        if any(b is line for b in body):
            return path
        if not body or not isinstance(body[0], cst.With):
            return None
        if not any(x is line for x in _walk(body[0])):
            return None
        cur = body[0]
        path.append(cur)


def train_op(an, u, s, call: cst.Call):  # type: ignore[no-untyped-def]
    """The TrainOp of `train = opt.apply_gradients(f(tower_grads))` whose gradients a tower
    loop computed with `opt.compute_gradients(loss)`; None when no tower loop of `opt`
    precedes it (the plain pair's conversion decides)."""
    from rules.tf1_to_tf2._graph import (
        GLOBAL_STEP_MAKERS,
        OPT,
        T,
        TrainOp,
        Unsupported,
        V,
        _args_map_loose,
    )

    recv = call.func.value  # type: ignore[attr-defined]
    if not isinstance(recv, cst.Name):
        return None
    o = u.reaching(recv.value, s.index)
    if o is None or o.kind != OPT:
        return None
    blocks = []
    for b in u.stmts:
        if b.index >= s.index or id(b.node) not in an.cf_blocks or not isinstance(b.node, cst.For):
            continue
        lines = [(ln, c) for ln, c in _compute_lines(an, b.node)
                 if isinstance(c.func.value, cst.Name) and u.reaching(c.func.value.value, b.index) is o]  # type: ignore[attr-defined]
        if lines:
            blocks.append((b, lines))
    if not blocks:
        return None
    if len(blocks) != 1 or len(blocks[0][1]) != 1:
        raise Unsupported(call, f"`{recv.value}.compute_gradients` in several places of the tower loops; not converted")
    block, [(line, ccall)] = blocks[0]
    small = line.body[0] if len(line.body) == 1 else None
    if not (isinstance(small, cst.Assign) and small.value is ccall and len(small.targets) == 1
            and isinstance(small.targets[0].target, cst.Name)):
        raise Unsupported(ccall, "`compute_gradients` in a tower loop that is not `grads = opt.compute_gradients(loss)`; not converted")
    cargs = _args_map_loose(ccall, ["loss", "var_list"])
    if any(a.star for a in ccall.args) or set(cargs) != {"loss"} or not isinstance(cargs["loss"].value, cst.Name):
        raise Unsupported(ccall, "`compute_gradients` in a tower loop with arguments other than a named loss (var_list, "
                                 "gating, aggregation); not converted")
    path = _path(block.node, line)
    if path is None or not all(isinstance(w, cst.With) and _is_plain_scope(an, w) for w in path):
        raise Unsupported(line, "`compute_gradients` in a tower loop under blocks other than tf.device/tf.name_scope, "
                                "or after other statements of the loop; not converted")
    holder = path[-1] if path else block.node
    stmts = list(holder.body.body)  # type: ignore[attr-defined, union-attr]
    k = next(i for i, b in enumerate(stmts) if b is line)
    before = [b for b in stmts[:k] if id(b) not in an.plan.remove]
    loss = cargs["loss"].value.value  # type: ignore[attr-defined]
    if not before or not any(loss in _bound(b) for b in before):
        raise Unsupported(ccall, f"the tower loss `{loss}` is not computed in the tower's block before compute_gradients; not converted")
    gname = small.targets[0].target.value  # type: ignore[union-attr]
    # the gradients go into one accumulator list, read by the statements before apply_gradients
    accs = set()
    for b in stmts[k + 1:]:
        for n in _walk(b):
            if isinstance(n, cst.Name) and n.value == gname:
                parent = _append_of(b, n)
                if parent is None:
                    raise Unsupported(b, f"the tower gradients `{gname}` are used for something else than appending them to a list; not converted")
                accs.add(parent)
    if len(accs) != 1:
        raise Unsupported(line, f"the tower gradients `{gname}` are not appended to one list; not converted")
    acc = accs.pop()
    if not any(gname in names_in(b) for b in before) and not any(
            gname in names_in(b) for w in [block.node, *path] for b in _before_path(w, path, line)):
        block.uses.discard(gname)  # bound in the loop before it is read there
    # the forward pass reads nothing computed from variables outside the loop
    for name in sorted(free_names(block.node)):
        if not _variable_free(an, u, name, block.index, set()):
            raise Unsupported(block.node, f"the tower loop reads `{name}`, computed from variables before it: a tape in the "
                                          "loop would not record it; not converted")
    grad_names = {acc}
    post = []
    for m in u.stmts:
        if block.index < m.index < s.index and m.uses & grad_names:
            if m.kind != T or m.value is None or an.makes_variables(m.value):
                raise Unsupported(m.node, "a statement on the tower gradients that is not a plain tensor computation; not converted")
            post.append(m)
            grad_names |= set(m.defines)
    aargs = _args_map_loose(call, ["grads_and_vars", "global_step", "name"])
    if any(a.star for a in call.args) or set(aargs) - {"grads_and_vars", "global_step", "name"} or "grads_and_vars" not in aargs:
        raise Unsupported(call, "apply_gradients(*args/**kwargs) or without grads_and_vars; not converted")
    gv = aargs["grads_and_vars"].value
    if not (names_in(gv) & grad_names):
        raise Unsupported(call, "apply_gradients of values not computed from the tower gradients; not converted")
    for node in [*(m.value for m in post), gv]:
        for n in _walk(node):
            if (isinstance(n, cst.Subscript) and isinstance(n.value, cst.Name) and n.value.value in grad_names) or (
                    isinstance(n, cst.Call) and isinstance(n.func, cst.Name) and n.func.value in ("len", "enumerate")):
                raise Unsupported(n, "the tower gradient lists are indexed or counted: TF1 listed every trainable variable "
                                     "(None where a tower's loss does not reach it), a tower's tape only those it read; "
                                     "not converted")
    ids = {id(block), *(id(m) for m in post)}
    for m in u.stmts:
        if id(m) in ids or m is s:
            continue
        bad = sorted(n for n in m.uses & grad_names if id(u.reaching(n, m.index)) in ids)
        if bad:
            raise Unsupported(m.node, f"the tower gradients ({', '.join(bad)}) are also used outside the train step; not converted")
    gs_name = None
    if "global_step" in aargs:
        gs = aargs["global_step"].value
        g = an.graph_kind(u, gs.value, s.index) if isinstance(gs, cst.Name) else None
        if g is None or g.kind != V or not isinstance(g.value, cst.Call) or an.call_rest(g.value) not in ("Variable", *GLOBAL_STEP_MAKERS):
            raise Unsupported(call, "apply_gradients(global_step=...) with a global step that is not a plain tf.Variable")
        gs_name = gs.value  # type: ignore[union-attr, attr-defined]
    an.paired_methods.update({id(ccall.func), id(call.func)})
    tr = TrainOp(s, block, recv.value, o, None, gs_name)
    tr.post = post
    tr.towers = (an.fresh("tape"), an.fresh("variables"), acc, gname)
    an.tower_blocks[id(block.node)] = tr
    an.plan.dropped.append(ccall.func)  # rebuilt from the tape (and the note recorded again after the rewrite)
    an.plan.checkpoint_notes.append((ccall.func, _tower_note(recv.value, loss, *tr.towers[:2])))
    return tr


def _before_path(w: cst.CSTNode, path: list[cst.CSTNode], line: cst.CSTNode) -> list[cst.CSTNode]:
    """The statements of `w`'s block before the one holding `line`."""
    body: list[cst.CSTNode] = list(w.body.body) if isinstance(w.body, cst.IndentedBlock) else []  # type: ignore[attr-defined]
    out: list[cst.CSTNode] = []
    for b in body:
        if b is line or any(x is line for x in _walk(b)):
            break
        out.append(b)
    return out


def _is_plain_scope(an, w: cst.With) -> bool:  # type: ignore[no-untyped-def]
    return scope_with(an, w) and isinstance(w.body, cst.IndentedBlock)


def _bound(st: cst.CSTNode) -> set[str]:
    from rules.tf1_to_tf2._graph import bound_in

    return bound_in(st)


def names_in(node: cst.CSTNode) -> set[str]:
    return {n.value for n in _walk(node) if isinstance(n, cst.Name)}


def _append_of(line: cst.CSTNode, name: cst.Name) -> str | None:
    """`acc.append(name)` as the statement `line`: `acc`."""
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1 or not isinstance(line.body[0], cst.Expr):
        return None
    c = line.body[0].value
    if isinstance(c, cst.Call) and isinstance(c.func, cst.Attribute) and c.func.attr.value == "append" \
            and isinstance(c.func.value, cst.Name) and len(c.args) == 1 and c.args[0].value is name:
        return c.func.value.value
    return None


def _variable_free(an, u, name: str, before: int, seen: set[str], top: bool = True) -> bool:  # type: ignore[no-untyped-def]
    """`name` (read by the tower loop at top-level index `before`) is not a tensor computed
    from variables or model objects before the loop (the towers' tapes would not record
    it): placeholders, dataset elements, Python values, tensors of those, and variables
    themselves (read in the loop, under the tape, when `top`)."""
    from rules.tf1_to_tf2._graph import DATA, NEXT, OPT, PY, P, T, V

    if name in seen:
        return True
    seen.add(name)
    if name in an.models:
        return top  # the model object itself, called in the loop (under the tape)
    g = an.graph_kind(u, name, before)
    if g is None or g.kind in (P, PY, OPT, NEXT, DATA):
        return True
    if g.kind == V:
        return top
    if g.kind != T or g.value is None:
        return False
    for n in _walk(g.value):
        if isinstance(n, cst.Call) and isinstance(n.func, cst.Name) and n.func.value in an.models:
            return False
    return all(_variable_free(an, u, x, g.index, seen, top=False) for x in g.uses)


# -- after classification: name-scope strings read after the loop -------------------------------


def _scope_names(an, block: cst.CSTNode) -> list[tuple[list[cst.With], str]]:  # type: ignore[no-untyped-def]
    """(the With path from the loop's body, the name) of each `with tf.name_scope(...) as s`
    in the loop (a path of With nodes only)."""
    out = []

    def visit(node: cst.CSTNode, path: list[cst.With]) -> None:
        body = list(node.body.body) if isinstance(getattr(node, "body", None), cst.IndentedBlock) else []  # type: ignore[attr-defined]
        for b in body:
            if isinstance(b, cst.With):
                here = path + [b]
                for it in b.items:
                    if it.asname is not None and _call_rest(an, it.item) == "name_scope" and isinstance(it.asname.name, cst.Name):
                        out.append((here, it.asname.name.value))
                visit(b, here)
    visit(block, [])
    return out


def adjust_defines(an) -> None:  # type: ignore[no-untyped-def]
    """A tower loop's name-scope string read after it is a Python value of the unit (kept
    by `keep_scope_names`), not a graph name."""
    from rules.tf1_to_tf2._control_flow import _read_after

    for u in an.units.values():
        for s in u.stmts:
            if id(s.node) not in an.cf_blocks or not isinstance(s.node, cst.For):
                continue
            later = _read_after(u, s.index)
            names = [(p, n) for p, n in _scope_names(an, s.node) if n in later and n in s.defines]
            if not names:
                continue
            an.tower_scopes[id(s.node)] = names
            s.defines = tuple(d for d in s.defines if d not in {n for _, n in names})
            for _, n in names:
                if not any(n in o.defines for o in u.stmts if o is not s):
                    u.graph_names.discard(n)


def keep_scope_names(an) -> None:  # type: ignore[no-untyped-def]
    """Where the moved loop stood, the same loop of `tf.name_scope` blocks binds the
    strings read after it (what TF2 yields is what TF1 yielded: checked)."""
    from rules.tf1_to_tf2._graph import Unsupported

    for u in an.units.values():
        for s in u.stmts:
            names = an.tower_scopes.get(id(s.node))
            if not names:
                continue
            if id(s.node) not in an.plan.remove:
                continue
            loop = s.node
            why = _scope_string_reason(an, loop, names)
            if why is not None:
                raise Unsupported(loop, f"the name-scope string{'s' if len(names) > 1 else ''} "
                                        f"{', '.join(f'`{n}`' for _, n in names)} read after the graph code: {why}; not converted")
            an.plan.remove.discard(id(loop))
            an.plan.capture.add(id(loop))
            an.plan.stmt_builders[id(loop)] = _skeleton_builder([p for p, _ in names], loop)
            where = next(it.asname.name for w in names[0][0] for it in w.items if it.asname is not None)
            an.plan.dropped.append(where)  # (the note recorded again after the rewrite)
            an.plan.checkpoint_notes.append((where, (
                f"{', '.join(f'`{n}`' for _, n in names)} (the name scope of the last tower, read after the graph code) is "
                "bound where the loop stood by the same loop of `tf.name_scope` blocks: eager TF2 yields the string TF1's "
                "graph did (the name and '/': no other scope around it, no other string of the file starting like it); "
                "the towers themselves run in the train step")))


def _scope_string_reason(an, loop: cst.For, names) -> str | None:  # type: ignore[no-untyped-def]
    if not (isinstance(loop.iter, cst.Call) and isinstance(loop.iter.func, cst.Name) and loop.iter.func.value == "range"
            and isinstance(loop.target, cst.Name)):
        return "the loop is not `for <name> in range(...)`"
    var = loop.target.value
    if len(names) != 1:
        return "several of them"
    for p in an.ancestors(loop):
        if p is not loop and isinstance(p, cst.With) and (id(p) in an.scope_withs or any(
                _call_rest(an, it.item) == "name_scope" for it in p.items)):
            return "the loop stands in another scope (TF1 prefixed the name)"
    literals = []
    for path, _ in names:
        scopes = [it for w in path for it in w.items if _call_rest(an, it.item) == "name_scope"]
        if len(scopes) != 1:
            return "nested name scopes"
        arg = scopes[0].item.args[0].value if len(scopes[0].item.args) == 1 else None  # type: ignore[attr-defined]
        lit = _per_index_name(arg, var)
        if lit is None:
            return "its name is not a literal formatted with the loop index (`'tower_%d' % i`)"
        literals.append(lit)
    for n in _walk(an.module):
        if isinstance(n, cst.SimpleString) and id(n) not in {id(x) for path, _ in names for w in path for x in _walk(w)}:
            text = n.evaluated_value
            if isinstance(text, str) and any(text.startswith(lit) for lit in literals):
                return "another string of the file starts like it (TF1 may have made the name unique)"
    return None


def _per_index_name(arg: cst.BaseExpression | None, var: str) -> str | None:
    """The literal prefix of `'tower_%d' % i` (`i` the loop index), a name unique per index."""
    if isinstance(arg, cst.BinaryOperation) and isinstance(arg.operator, cst.Modulo) \
            and isinstance(arg.left, cst.SimpleString) and isinstance(arg.right, cst.Name) and arg.right.value == var:
        text = arg.left.evaluated_value
        if isinstance(text, str) and text.count("%") == 1 and text.endswith("%d") and text[:-2] \
                and not text[:-2][-1].isdigit() and "/" not in text:
            return text[:-2]
    return None


def _skeleton_builder(paths, loop: cst.For):  # type: ignore[no-untyped-def]
    def build(updated: cst.For) -> list[cst.BaseStatement]:
        # walk the updated loop along the first path (by positions in the original)
        path = paths[0]
        positions = []
        cur: cst.CSTNode = loop
        for w in path:
            body = list(cur.body.body)  # type: ignore[attr-defined]
            positions.append(next(i for i, b in enumerate(body) if b is w))
            cur = w
        ucur: cst.CSTNode = updated
        chain: list[cst.With] = []
        for pos in positions:
            ucur = list(ucur.body.body)[pos]  # type: ignore[attr-defined]
            chain.append(ucur)  # type: ignore[arg-type]
        inner: cst.BaseStatement = cst.SimpleStatementLine([cst.Pass()])
        for w in reversed(chain):
            items = [it for it in w.items if isinstance(it.item, cst.Call) and isinstance(it.item.func, cst.Attribute)
                     and it.item.func.attr.value == "name_scope"]
            if not items:
                continue
            items[-1] = items[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            inner = cst.With(items=items, body=cst.IndentedBlock([inner]))
        return [updated.with_changes(body=cst.IndentedBlock([inner]), orelse=None)]
    return build


# -- code generation ----------------------------------------------------------------------------


def with_tapes(plan, m, line: cst.CSTNode, root: str) -> cst.CSTNode:  # type: ignore[no-untyped-def]
    """The moved tower loop: the statements of the tower before `compute_gradients` under
    `with tf.GradientTape() as tape:`, the compute replaced by the tape's pairs."""
    an = plan.analysis
    tr = an.tower_blocks[id(m.node)]
    tape, variables, _acc, _g = tr.towers

    def compute_at(b: cst.CSTNode) -> cst.Assign | None:
        small = b.body[0] if isinstance(b, cst.SimpleStatementLine) and len(b.body) == 1 else None
        if isinstance(small, cst.Assign) and isinstance(small.value, cst.Call) \
                and isinstance(small.value.func, cst.Attribute) and small.value.func.attr.value == "compute_gradients":
            return small
        return None

    def rebuild(node: cst.CSTNode) -> cst.CSTNode | None:
        """`node` (a For/With) with the tape written in, or None when the compute is not in
        it. The statements are rebuilt with `with_changes` only (TF2130 finds its calls in
        them by identity)."""
        body = node.body  # type: ignore[attr-defined]
        if not isinstance(body, cst.IndentedBlock):
            return None
        stmts = list(body.body)
        for k, b in enumerate(stmts):
            small = compute_at(b)
            if small is not None:
                loss = next(a for a in small.value.args if a.keyword is None or a.keyword.value == "loss").value  # type: ignore[attr-defined]
                head = stmts[:k]
                lead = list(getattr(head[0], "leading_lines", ())) if head else []
                if head:
                    head[0] = head[0].with_changes(leading_lines=[])
                w = cst.With(items=[cst.WithItem(item=cst.parse_expression(f"{root}.GradientTape()"),
                                                 asname=cst.AsName(name=cst.Name(tape)))],
                             body=cst.IndentedBlock(head), leading_lines=lead)
                vars_line = cst.parse_statement(f"{variables} = {tape}.watched_variables()\n")
                pairs = cst.parse_expression(f"list(zip({tape}.gradient(LOSS, {variables}), {variables}))").visit(_Swap("LOSS", loss))
                new = b.with_changes(body=[small.with_changes(value=pairs)])
                return node.with_changes(body=body.with_changes(body=[w, vars_line, new, *stmts[k + 1:]]))
            if isinstance(b, (cst.With, cst.For)):
                inner = rebuild(b)
                if inner is not None:
                    stmts[k] = inner  # type: ignore[call-overload]
                    return node.with_changes(body=body.with_changes(body=stmts))
        return None

    return rebuild(line) or line


class _Swap(cst.CSTTransformer):
    def __init__(self, name: str, value: cst.BaseExpression) -> None:
        self.name, self.value = name, value

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        return self.value if updated.value == self.name else updated


def tail(plan, tr) -> list[cst.BaseStatement]:  # type: ignore[no-untyped-def]
    """After the tower loop: the statements on the tower gradients and the one
    apply_gradients, as the other rules left them (and the global step's increment)."""
    from rules.tf1_to_tf2._graph import _member

    an = plan.analysis
    kept = an.kept_v1(an.optimizer_call(tr))
    step_arg = f", global_step={tr.global_step}" if kept and tr.global_step else ""
    out = [_member(plan, m) for m in tr.post]
    tline = plan.captured.get(id(tr.stmt.node)) or tr.stmt.node
    small = tline.body[0]
    gv = next(a for a in small.value.args if a.keyword is None or a.keyword.value == "grads_and_vars").value
    apply = cst.parse_statement(f"{tr.optimizer_name}.apply_gradients(GV{step_arg})\n")
    out.append(apply.visit(_Swap("GV", gv)))  # type: ignore[arg-type]
    if tr.global_step and not kept:
        out.append(cst.parse_statement(f"{tr.global_step}.assign_add(1)\n"))
    return out


def forward_only(plan, own, body: list[cst.BaseStatement]) -> list[cst.BaseStatement]:  # type: ignore[no-untyped-def]
    """A function without the train op that needs the tower loop (the losses): the loop
    without the gradients (no tape, no compute_gradients, nothing appended to the
    gradients' list, which is not made either)."""
    an = plan.analysis
    towers = [(m, an.tower_blocks[id(m.node)]) for m in own if id(m.node) in an.tower_blocks]
    if not towers:
        return body
    accs = {tr.towers[2] for _m, tr in towers}
    out = []
    for m, st in zip(own, body):
        if id(m.node) in an.tower_blocks:
            tr = an.tower_blocks[id(m.node)]
            st = _strip_gradients(plan.captured.get(id(m.node)) or m.node, tr.towers[2], tr.towers[3])  # type: ignore[assignment]
        elif len(m.defines) == 1 and m.defines[0] in accs and isinstance(m.value, cst.List) and not m.value.elements:
            continue  # `tower_grads = []`
        out.append(st)
    return out


def _strip_gradients(node: cst.CSTNode, acc: str, gname: str) -> cst.CSTNode:
    body = node.body  # type: ignore[attr-defined]
    if not isinstance(body, cst.IndentedBlock):
        return node
    stmts = []
    for b in body.body:
        small = b.body[0] if isinstance(b, cst.SimpleStatementLine) and len(b.body) == 1 else None
        if isinstance(small, cst.Assign) and isinstance(small.value, cst.Call) \
                and isinstance(small.value.func, cst.Attribute) and small.value.func.attr.value == "compute_gradients":
            continue
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call) and isinstance(small.value.func, cst.Attribute) \
                and small.value.func.attr.value == "append" and isinstance(small.value.func.value, cst.Name) \
                and small.value.func.value.value == acc and len(small.value.args) == 1 \
                and isinstance(small.value.args[0].value, cst.Name) and small.value.args[0].value.value == gname:
            continue
        stmts.append(_strip_gradients(b, acc, gname) if isinstance(b, (cst.With, cst.For)) else b)
    return node.with_changes(body=body.with_changes(body=stmts))
