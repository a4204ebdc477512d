"""Graph control flow for the structural TF1 graph -> eager rewrite (TF2120).

Not a rule module: the helpers the analysis in ``_graph.py`` calls for ``tf.cond``,
``tf.while_loop``, ``tf.control_dependencies``, ``tf.gradients``, ``tf.group`` and an
explicit ``tf.Graph``.

Why these can be converted at all: every graph statement a run needs is moved into a
``tf.function`` (see ``Analysis.slice``), and inside a ``tf.function`` these calls build the
same graph constructs as in TF1 (checked in TF 2.21: ``tf.cond`` runs the stateful ops of
the taken branch only, ``tf.control_dependencies`` orders as before, ``tf.gradients`` is
valid in a function graph, not eagerly). What differs is laziness: TF1 runs an op only when
a fetch needs it, a ``tf.function`` runs every stateful op it contains (automatic control
dependencies). A statement is moved only into the functions whose fetches need one of the
names it defines, so a plain `n = tf.assign(...)` runs where TF1 ran it. The checks below
make sure the same holds for what is new here:

* a branch of ``tf.cond`` / a body of ``tf.while_loop`` must hold no stateful op (TF1 runs
  one only when the branch's outputs need it) and create no variable; its result must not
  be a one-element list or tuple (TF1's ``cond`` unpacks it, ``strict=False``; TF2's does
  not), and ``while_loop``'s ``loop_vars`` must be a literal of two or more elements (TF1
  unpacks a one-element list, ``return_same_structure=False``);
* a top-level ``for`` over Python values or ``with tf.control_dependencies(...)`` block
  that builds graph ops is ONE graph statement (moved whole); every stateful op in it must
  feed what the block defines (a name read inside the block or after it, an accumulator
  list it appends to, a control dependency), and an accumulator list is only used whole
  (``tf.control_dependencies(updates)``, ``tf.group(*updates)``), so a run that needs the
  block ran all of its updates in TF1 too;
* ``tf.gradients`` stays ``tf.gradients`` inside the generated ``tf.function`` (valid TF2;
  not rewritten to ``tf.GradientTape`` because its inputs may be any tensors and the
  statements computing ``ys`` are not always in one place), and must not run eagerly;
* a fetched ``tf.group`` (an Operation; a ``tf.function`` cannot return one) becomes a
  function that returns nothing: its ops are stateful and run anyway;
* ``g = tf.Graph()`` used only as ``with g.as_default():`` around the graph code and as
  ``tf.Session(graph=g)``: eager TF2 has one context, so with a single graph the ``with``
  goes and its statements stay;
* dynamic graph construction by Python values: a ``for`` that only creates variables is a
  variable statement (kept in place); ``if <Python value>:`` around variables and tensor
  assignments is split (variables kept under the same test, tensor statements moved
  under it; the test may not call anything, it is evaluated at trace time);
* ``tf.map_fn`` / ``scan`` / ``foldl`` / ``foldr`` with a pure ``fn`` (same parameters in
  TF1 and TF2);
* a stateful op no run can fetch (``tf.assign(w, 0)`` / ``w.assign(0)`` as a bare
  statement, or in a block or ``if`` whose results nothing uses) is refused: TF1 never
  ran it, eager code would.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:
    from rules.tf1_to_tf2._graph import Analysis, Stmt, Unit

BRANCHING = {"cond", "while_loop"}
# TF1 parameters, in order; the callables among them
COND_PARAMS = ["pred", "true_fn", "false_fn", "strict", "name", "fn1", "fn2"]
WHILE_PARAMS = ["cond", "body", "loop_vars", "shape_invariants", "parallel_iterations", "back_prop",
                "swap_memory", "name", "maximum_iterations", "return_same_structure"]
GRADIENTS_PARAMS = ["ys", "xs", "grad_ys", "name", "colocate_gradients_with_ops", "gate_gradients",
                    "aggregation_method", "stop_gradients", "unconnected_gradients"]
# Methods that change state when called on a variable or TF object.
STATEFUL_METHODS = {"assign", "assign_add", "assign_sub", "scatter_update", "scatter_add", "scatter_sub",
                    "scatter_nd_update", "apply", "minimize", "apply_gradients", "load"}
STATEFUL_TF = ("assign", "scatter_", "Variable", "get_variable", "Print", "print", "py_func", "numpy_function",
               "py_function", "train.", "summary.", "layers.", "keras.", "nn.rnn_cell", "contrib.", "data.",
               "count_up_to", "make_template")
GROUPS = {"group", "no_op"}
MUTATORS = {"append", "extend", "insert"}


def _walk(node: cst.CSTNode):  # type: ignore[no-untyped-def]
    from rules.tf1_to_tf2._graph import walk

    return walk(node)


def free_names(node: cst.CSTNode) -> set[str]:
    """Names read in a statement or expression, without the names its comprehensions and
    lambdas bind for themselves (`[g * g for g in grads]` reads `grads`, not `g`)."""
    out: set[str] = set()

    def visit(n: cst.CSTNode, bound: frozenset[str]) -> None:
        if isinstance(n, cst.Name):
            if n.value not in bound:
                out.add(n.value)
            return
        if isinstance(n, cst.Attribute):
            visit(n.value, bound)
            return
        if isinstance(n, cst.Arg):
            visit(n.value, bound)
            return
        if isinstance(n, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            inner = set(bound)
            fors = []
            f: cst.CompFor | None = n.for_in
            while f is not None:
                fors.append(f)
                f = f.inner_for_in
            for f in fors:
                visit(f.iter, frozenset(inner))
                from rules.tf1_to_tf2._graph import _all_target_names

                inner |= _all_target_names(f.target)
                for c in f.ifs:
                    visit(c.test, frozenset(inner))
            if isinstance(n, cst.DictComp):
                visit(n.key, frozenset(inner))
                visit(n.value, frozenset(inner))
            else:
                visit(n.elt, frozenset(inner))
            return
        if isinstance(n, cst.Lambda):
            params = {p.name.value for p in n.params.params} | {p.name.value for p in n.params.kwonly_params}
            visit(n.body, bound | params)
            return
        if isinstance(n, cst.Param):
            if n.default is not None:
                visit(n.default, bound)
            return
        for c in n.children:
            visit(c, bound)

    visit(node, frozenset())
    return out


def parent_call(an: Analysis, node: cst.CSTNode) -> cst.Call | None:
    an.find_stmt(node)  # builds the parent map
    p = an._parents.get(id(node))
    return p if isinstance(p, cst.Call) and p.func is node else None


def _args(call: cst.Call, params: list[str]) -> dict[str, cst.Arg]:
    from rules.tf1_to_tf2._graph import _args_map_loose

    return _args_map_loose(call, params)


def _enclosing_function(an: Analysis, node: cst.CSTNode) -> cst.FunctionDef | None:
    for a in an.ancestors(node):
        if isinstance(a, cst.FunctionDef) and a is not node:
            return a
    return None


def _resolve_callable(an: Analysis, call: cst.Call, value: cst.BaseExpression) -> cst.CSTNode | None:
    """The lambda, or the function defined in this file (in the enclosing function's body
    or at module level), that a control-flow argument names."""
    if isinstance(value, cst.Lambda):
        return value
    if not isinstance(value, cst.Name):
        return None
    fn = _enclosing_function(an, call)
    if fn is not None:
        # a function defined in the enclosing function (in any of its blocks), bound once
        defs = [n for n in _walk(fn.body) if isinstance(n, cst.FunctionDef) and n.name.value == value.value
                and _enclosing_function(an, n) is fn]
        binds = [n for n in _walk(fn.body) if isinstance(n, (cst.AssignTarget, cst.For, cst.AsName))
                 and value.value in _bound(n)]
        params = {p.name.value for p in fn.params.params}
        if len(defs) == 1 and not binds and value.value not in params:
            return defs[0]
        if defs or binds or value.value in params:
            return None
    body = list(an.module.body)
    defs = [st for st in body if isinstance(st, cst.FunctionDef) and st.name.value == value.value]
    binds = [st for st in body if not isinstance(st, cst.FunctionDef) and value.value in _bound(st)]
    return defs[0] if len(defs) == 1 and not binds else None


def _bound(st: cst.CSTNode) -> set[str]:
    from rules.tf1_to_tf2._graph import bound_in

    return bound_in(st)


def stateful_call(an: Analysis, node: cst.CSTNode, seen: set[str] | None = None) -> str | None:
    """The first stateful operation (as text) a piece of code runs, following calls of the
    functions of this file; None when it has none."""
    seen = set() if seen is None else seen
    for n in _walk(node):
        if not isinstance(n, cst.Call) or id(n) in an.tower_dropped:
            continue
        r = an.rest(n.func)
        if r is not None:
            if an.is_random(r) or any(r == p or (p.endswith((".", "_")) and r.startswith(p)) or r.startswith(p)
                                      for p in STATEFUL_TF):
                return f"`tf.{r}`"
            continue
        f = n.func
        if isinstance(f, cst.Attribute) and f.attr.value in STATEFUL_METHODS:
            if f.attr.value == "apply" and _is_ema(an, f.value):
                return f"`{an.code(f.value)}.apply()` (tf.train.ExponentialMovingAverage)"
            return f"`{an.code(f)}()`"
        if isinstance(f, cst.Name) and f.value in an.functions_by_name and f.value not in seen:
            seen.add(f.value)
            inner = stateful_call(an, an.functions_by_name[f.value].body, seen)
            if inner is not None:
                return f"{inner} (in `{f.value}()`)"
    return None


def _results(fn: cst.CSTNode) -> list[cst.BaseExpression | None]:
    if isinstance(fn, cst.Lambda):
        return [fn.body]
    out: list[cst.BaseExpression | None] = []
    stack = [fn.body]  # type: ignore[attr-defined]
    while stack:
        n = stack.pop()
        if isinstance(n, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            continue
        if isinstance(n, cst.Return):
            out.append(n.value)
            continue
        stack.extend(n.children)
    return out


def _one_element(e: cst.BaseExpression | None) -> bool:
    return isinstance(e, (cst.List, cst.Tuple)) and len(e.elements) == 1


def check_branching(an: Analysis, node: cst.CSTNode, r: str) -> str | None:
    """Why the `tf.cond` / `tf.while_loop` call named by `node` cannot be converted, or None
    (its callables are then recorded as allowed)."""
    call = parent_call(an, node)
    if call is None:
        return f"`tf.{r}` is passed around as a value; not converted"
    if any(a.star for a in call.args):
        return f"`tf.{r}(*args/**kwargs)`; not converted"
    if r == "cond":
        args = _args(call, COND_PARAMS)
        extra = sorted(set(args) - {"pred", "true_fn", "false_fn", "name"})
        if extra:
            return f"`tf.cond({', '.join(extra)}=...)`: TF1-only arguments (TF2's cond is always strict); not converted"
        fns = [args.get("true_fn"), args.get("false_fn")]
        what = "branch"
    else:
        args = _args(call, WHILE_PARAMS)
        if len([a for a in call.args if a.keyword is None]) > 3:
            return "`tf.while_loop` with more than three positional arguments (TF1 and TF2 order them differently); not converted"
        rss = args.get("return_same_structure")
        loop_vars = args.get("loop_vars")
        same = rss is not None and isinstance(rss.value, cst.Name) and rss.value.value == "True"
        if rss is not None and not same:
            return "`tf.while_loop(return_same_structure=...)` that is not True: TF2 always returns the structure of loop_vars; not converted"
        if not same and (loop_vars is None or not isinstance(loop_vars.value, (cst.List, cst.Tuple))
                         or len(loop_vars.value.elements) < 2
                         or any(isinstance(e, cst.StarredElement) for e in loop_vars.value.elements)):
            return ("`tf.while_loop` whose loop_vars is not a list or tuple of two or more tensors: TF1 returns a "
                    "one-element loop_vars unpacked (return_same_structure=False), TF2 returns the list; not converted")
        fns = [args.get("cond"), args.get("body")]
        what = "loop function"
    resolved = []
    for a in fns:
        if a is None:
            return f"`tf.{r}` without its {what}s; not converted"
        fn = _resolve_callable(an, call, a.value)
        if fn is None:
            return f"`tf.{r}` {what} `{an.code(a.value)}` is not a lambda or a function defined in this file; not converted"
        resolved.append(fn)
    for fn in resolved:
        body = fn.body
        st = stateful_call(an, body)
        if st is not None and "ExponentialMovingAverage" in st:
            from rules.tf1_to_tf2 import _ema
            return _ema.branch_reason(an, r, what, fn, st)
        if st is not None and r == "cond":
            loose = unconsumed_stateful(an, fn)
            if loose is not None:
                return (f"`tf.cond` branch runs {loose} and its result feeds neither the branch's result nor a control "
                        "dependency: TF1 runs such an op only when something fetched needs it, a tf.function runs every "
                        "stateful op of the taken branch; not converted")
        elif st is not None:
            return (f"`tf.{r}` {what} runs {st}: a stateful op in a loop body is not analysed (TF1 runs it only when the "
                    "loop variables need it, a tf.function on every iteration); not converted")
        if an.makes_variables(body):
            return f"`tf.{r}` {what} creates variables; not converted"
        if r == "cond" and any(_one_element(e) for e in _results(fn)):
            return ("`tf.cond` branch returns a one-element list or tuple: TF1 unpacks it (strict=False), TF2 does not; "
                    "not converted")
    for fn in resolved:
        an.cf_callables.add(id(fn))
    an.allowed_refs.add(id(node))
    return None


HIGHER_ORDER = {"map_fn", "scan", "foldl", "foldr"}  # same parameters in TF1 and TF2 (checked in 2.21)


def check_higher_order(an: Analysis, node: cst.CSTNode, r: str) -> str | None:
    """`tf.map_fn(fn, elems, ...)` and its kin with a pure `fn` (a lambda or a function of
    the file): the same loop inside a tf.function."""
    call = parent_call(an, node)
    if call is None:
        return f"`tf.{r}` is passed around as a value; not converted"
    if any(a.star for a in call.args):
        return f"`tf.{r}(*args/**kwargs)`; not converted"
    a = _args(call, ["fn", "elems"]).get("fn")
    if a is None:
        return f"`tf.{r}` without its fn; not converted"
    fn = _resolve_callable(an, call, a.value)
    if fn is None:
        return f"`tf.{r}` fn `{an.code(a.value)}` is not a lambda or a function defined in this file; not converted"
    st = stateful_call(an, fn.body)  # type: ignore[attr-defined]
    if st is not None or an.makes_variables(fn.body):  # type: ignore[attr-defined]
        return (f"`tf.{r}` fn runs {st or 'a variable creation'}: a stateful op in a loop body is not analysed (TF1 runs "
                "it only when the results need it, a tf.function on every iteration); not converted")
    an.cf_callables.add(id(fn))
    an.allowed_refs.add(id(node))
    return None


def check_gradients(an: Analysis, node: cst.CSTNode) -> str | None:
    call = parent_call(an, node)
    if call is None:
        return "`tf.gradients` passed around as a value; not converted"
    if any(a.star for a in call.args) or len([a for a in call.args if a.keyword is None]) > 4:
        return "`tf.gradients` with *args or more than four positional arguments (TF1 and TF2 order them differently); not converted"
    args = _args(call, GRADIENTS_PARAMS)
    extra = sorted(set(args) - {"ys", "xs", "grad_ys", "name", "stop_gradients", "unconnected_gradients"})
    if extra:
        return f"`tf.gradients({', '.join(extra)}=...)`; not converted"
    an.cf_gradients.add(id(call))
    an.allowed_refs.add(id(node))
    return None


def check_refs(an: Analysis, refs: list[tuple[cst.CSTNode, str]]) -> None:
    """Decide, per reference, whether the control-flow names can be converted: the ones that
    can join `an.allowed_refs`, the others get a precise reason (`an.cf_reasons`) that the
    refusal in `check_graph_only` reports."""
    for node, r in sorted(refs, key=lambda nr: nr[1] == "control_dependencies"):
        if id(node) in an.allowed_refs or id(node) in an.model_nodes:
            continue
        why: str | None
        if r in BRANCHING:
            why = check_branching(an, node, r)
        elif r in HIGHER_ORDER:
            why = check_higher_order(an, node, r)
        elif r == "gradients":
            why = check_gradients(an, node)
        elif r == "control_dependencies" and any(isinstance(a, cst.FunctionDef) and id(a) in an.cf_callables
                                                 for a in an.ancestors(node)):
            why = None  # in a tf.cond branch: its items count as the branch's outputs (unconsumed_stateful)
            an.allowed_refs.add(id(node))
        elif r == "control_dependencies":
            why = None if id(node) in an.cf_dep_refs else (
                "`tf.control_dependencies` is converted only as a `with` block at the top level of the graph code "
                "(its statements move, whole, into the functions that need them)")
        elif r == "case":
            why = "`tf.case` is not converted (write it as nested tf.cond inside a tf.function)"
        else:
            continue
        if why is not None:
            an.cf_reasons[id(node)] = why


# -- blocks --------------------------------------------------------------------------------


def _is_dep_with(an: Analysis, st: cst.CSTNode) -> bool:
    if not (isinstance(st, cst.With) and len(st.items) == 1 and st.items[0].asname is None):
        return False
    item = st.items[0].item
    return isinstance(item, cst.Call) and an.call_rest(item) == "control_dependencies" and len(item.args) == 1 \
        and item.args[0].keyword is None and not item.args[0].star


def _block_ok(an: Analysis, st: cst.CSTNode, in_loop: bool = False) -> bool:
    """A block made of plain statements, nested `for`s and control-dependency `with`s (and,
    inside a loop, tf.device / tf.name_scope `with`s: the towers of _towers.py), with no
    session use, no function or class, no break/continue/return."""
    if isinstance(st, cst.SimpleStatementLine):
        for small in st.body:
            if isinstance(small, (cst.Return, cst.Break, cst.Continue, cst.Global, cst.Nonlocal, cst.Import,
                                  cst.ImportFrom, cst.Raise, cst.Del)):
                return False
        for n in _walk(st):
            if isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value in ("run", "eval"):
                return False
        return True
    if isinstance(st, cst.For):
        if st.orelse is not None or st.asynchronous is not None or not isinstance(st.body, cst.IndentedBlock):
            return False
        return all(_block_ok(an, b, True) for b in st.body.body)
    if isinstance(st, cst.With):
        from rules.tf1_to_tf2._towers import scope_with

        # (inside a loop, tf.device / tf.name_scope blocks too)
        if not (_is_dep_with(an, st) or (in_loop and scope_with(an, st))) or not isinstance(st.body, cst.IndentedBlock):
            return False
        return all(_block_ok(an, b, in_loop) for b in st.body.body)
    return False


def find_dep_withs(an: Analysis) -> None:
    """The `tf.control_dependencies` items of blocks that may become graph statements
    (whether they do is decided in `classify_block`)."""
    bodies = [list(an.module.body)] + [list(f.body.body) for f in an.module.body
                                        if isinstance(f, cst.FunctionDef) and isinstance(f.body, cst.IndentedBlock)]
    for body in bodies:
        flat = []
        for st in body:  # the statements of an opened `with g.as_default():` are top-level too
            flat += list(st.body.body) if id(st) in an.update_withs and isinstance(st.body, cst.IndentedBlock) else [st]
        for st in flat:
            if isinstance(st, (cst.For, cst.With)) and id(st) not in an.update_withs and _block_ok(an, st):
                for n in _walk(st):
                    if isinstance(n, cst.With) and _is_dep_with(an, n):
                        an.cf_dep_refs.add(id(n.items[0].item.func))  # type: ignore[attr-defined]
                        an.allowed_refs.add(id(n.items[0].item.func))  # type: ignore[attr-defined]


def _mutated(an: Analysis, st: cst.CSTNode) -> set[str]:
    out = set()
    for n in _walk(st):
        if isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value in MUTATORS \
                and isinstance(n.func.value, cst.Name):
            out.add(n.func.value.value)
        if isinstance(n, cst.AssignTarget) and isinstance(n.target, cst.Subscript) and isinstance(n.target.value, cst.Name):
            out.add(n.target.value.value)  # `table[k] = ...`
    return out


def classify_block(an: Analysis, u: Unit, i: int, st: cst.BaseStatement) -> Stmt | None:
    """A top-level `for` / `with tf.control_dependencies(...)` block that builds graph ops,
    as one graph statement (None when it is not one)."""
    from rules.tf1_to_tf2._graph import Stmt, T, Unsupported

    if isinstance(st, cst.If):
        return classify_if(an, u, i, st)
    if not isinstance(st, (cst.For, cst.With)) or id(st) in an.update_withs:
        return None
    if not _block_ok(an, st):
        return None
    from rules.tf1_to_tf2._graph import V

    tensors = {n for n in free_names(st) & (u.graph_names | (an.module_graph_names(u) if not u.is_module else set()))
               if an.kind_of(u, n, i) != V}
    graphy = _is_dep_with(an, st) or builds_ops(an, st.body) or bool(tensors)
    if not graphy:
        return None  # Python code reading variables at most (`for v in params: print(v.name)`)
    mutated = _mutated(an, st)
    if isinstance(st, cst.For) and not _is_dep_with(an, st) and an.makes_variables(st.body):
        # a loop that creates variables (`for n in sizes: ws.append(tf.Variable(...))`):
        # created once, where it stands, as TF1 created them; nothing else in it
        if tensors or any(stateful_call(an, ln) is None and an.has_tf_call(ln)
                          for ln in _walk(st.body) if isinstance(ln, cst.SimpleStatementLine)
                          and not an.makes_variables(ln)):
            raise Unsupported(st, "a loop that creates variables and also builds tensors: the variables must be created "
                                  "once and the tensors computed per run; not converted")
        later = set().union(*[free_names(o) for o in u.body[i + 1:]]) if i + 1 < len(u.body) else set()
        defines = tuple(sorted((_bound(st) & later) | mutated))
        return Stmt(i, st, V, defines, free_names(st) - _bound(st), st)
    bound = _bound(st)
    later = _read_after(u, i)
    defines = tuple(sorted((bound & later) | mutated))
    # what it reads, names it rebinds included (`h = tf.tanh(tf.matmul(h, w))` reads the
    # `h` defined before it); loop targets are its own
    targets: set[str] = set()
    for n in _walk(st):
        if isinstance(n, cst.For):
            from rules.tf1_to_tf2._graph import _all_target_names

            targets |= _all_target_names(n.target)
    reads = free_names(st) - targets
    s = Stmt(i, st, T, defines, reads | mutated, st)
    s.dynamic_reason = "a graph-building block"
    an.cf_blocks[id(st)] = s
    return s


def accumulators(an: Analysis, u: Unit) -> None:
    """`updates = []` before a block that appends graph ops to it: a graph statement too
    (it moves with the block, so every call of the function starts with an empty list)."""
    from rules.tf1_to_tf2._graph import PY, T, only_small

    for s in list(u.stmts):
        if id(s.node) not in an.cf_blocks:
            continue
        for name in _mutated(an, s.node):
            d = u.reaching(name, s.index)
            small = only_small(d.node) if d is not None else None
            if d is not None and d.kind == PY and isinstance(small, cst.Assign) and (len(d.defines) == 1 \
                    and isinstance(small.value, (cst.List, cst.Dict)) and not small.value.elements or _empty_lists(small)):
                d.kind = T
                d.dynamic_reason = "an accumulator of graph ops"
                u.graph_names.add(name)


def _empty_lists(small: cst.Assign) -> bool:
    """`a, b = [], []`: several accumulators started at once."""
    t, v = small.targets[0].target if len(small.targets) == 1 else None, small.value
    return isinstance(t, cst.Tuple) and isinstance(v, cst.Tuple) and len(t.elements) == len(v.elements) \
        and all(isinstance(e.value, cst.Name) for e in t.elements) \
        and all(isinstance(e.value, cst.List) and not e.value.elements for e in v.elements)


def check_blocks(an: Analysis) -> None:
    """Every stateful op of a moved block feeds what the block defines, and accumulator
    lists are used whole, so a function that runs the block runs what TF1 ran."""
    from rules.tf1_to_tf2._graph import Unsupported, only_small

    for u in an.units.values():
        for s in u.stmts:
            if id(s.node) not in an.cf_blocks or id(s.node) in an.cf_ifs:
                continue  # (an `if` moves no stateful op: classify_if)
            if not s.defines:
                raise Unsupported(s.node, "a block builds graph ops whose results nothing after it uses (TF1 ran them only "
                                          "if a run fetched them; eagerly they would run here); not converted")
            mutated = _mutated(an, s.node)
            consumed: set[int] = set()
            for n in _walk(s.node):
                if isinstance(n, cst.With) and _is_dep_with(an, n):
                    consumed |= {id(x) for x in _walk(n.items[0].item)}
                if isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value in MUTATORS \
                        and isinstance(n.func.value, cst.Name) and n.func.value.value in mutated and n.args:
                    consumed.add(id(n.args[0].value))
                small = only_small(n) if isinstance(n, cst.SimpleStatementLine) else None
                if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                    name = small.targets[0].target.value
                    if name in s.defines or name in _reads_after_bind(s.node, name):
                        consumed.add(id(small.value))
            for n in _walk(s.node):
                if not isinstance(n, cst.Call):
                    continue
                st = stateful_call(an, n)
                if st is None or _nested_stateful(an, n):
                    continue
                if id(n) not in consumed:
                    raise Unsupported(n, f"{st} in a graph-building block: its result feeds nothing the block defines, so TF1 "
                                         "ran it only when fetched directly, a tf.function would run it every call; not converted")
            stateful = stateful_call(an, s.node)
            if stateful is None:
                continue
            if len(s.defines) != 1:
                raise Unsupported(s.node, f"a graph-building block with stateful ops ({stateful}) defines several names "
                                          f"({', '.join(f'`{d}`' for d in s.defines)}): a function that needs one of them "
                                          "would run the updates of all; not converted")
            # what the block defines (its updates) is used whole after it
            whole = set(s.defines)
            for other in u.body[s.index + 1:]:
                for n in _walk(other):
                    if isinstance(n, cst.Subscript) and isinstance(n.value, cst.Name) and n.value.value in whole:
                        raise Unsupported(n, f"`{n.value.value}[...]`: one element of a list of graph updates; a function "
                                             "that needs it would run all of them; not converted")
                    if isinstance(n, (cst.For, cst.CompFor)) and isinstance(n.iter, cst.Name) and n.iter.value in whole:
                        raise Unsupported(n, f"iterating over `{n.iter.value}`, a list of graph updates; not converted")


def _nested_stateful(an: Analysis, call: cst.Call) -> bool:
    """Whether the statefulness of `call` comes only from a call nested in its arguments
    (checked on its own)."""
    r = an.rest(call.func)
    if r is not None:
        return stateful_call(an, cst.Call(func=call.func)) is None
    f = call.func
    if isinstance(f, cst.Attribute) and f.attr.value in STATEFUL_METHODS:
        return False
    if isinstance(f, cst.Name) and f.value in an.functions_by_name:
        return stateful_call(an, an.functions_by_name[f.value].body) is None
    return True


def _reads_after_bind(block: cst.CSTNode, name: str) -> set[str]:
    """{name} when `name` is read somewhere in the block (a value used inside it)."""
    for n in _walk(block):
        if isinstance(n, cst.With) and name in free_names(n.items[0].item):
            return {name}
        if isinstance(n, cst.SimpleStatementLine):
            small = n.body[0] if len(n.body) == 1 else None
            if isinstance(small, cst.Assign):
                if name in free_names(small.value):
                    return {name}
            elif name in free_names(n):
                return {name}
    return set()


# -- fetched groups ------------------------------------------------------------------------


def is_group(an: Analysis, s: Stmt | None) -> bool:
    from rules.tf1_to_tf2._graph import T

    return s is not None and s.kind == T and isinstance(s.value, cst.Call) and an.call_rest(s.value) in GROUPS


def group_fetch(an: Analysis, call: cst.Call, shape: str, root: cst.CSTNode, leaves: list) -> Stmt | None:  # type: ignore[type-arg]
    """The `tf.group` a run fetches (alone, as a statement), or None; any other use raises."""
    from rules.tf1_to_tf2._graph import Unsupported

    groups = [s for k, s in leaves if k == "tensor" and is_group(an, s)]
    if not groups:
        return None
    if shape != "single" or len(leaves) != 1:
        raise Unsupported(call, "a `tf.group` fetched together with other tensors; not converted")
    if not (isinstance(root, cst.Expr) and root.value is call):
        raise Unsupported(call, "the value of a fetched `tf.group` (None) is used; not converted")
    return groups[0]


# -- tf.Graph ----------------------------------------------------------------------------


def graph_idiom(an: Analysis, refs: list[tuple[cst.CSTNode, str]]) -> None:
    """`g = tf.Graph()` + one `with g.as_default():` around the graph code + `tf.Session(graph=g)`."""
    from rules.tf1_to_tf2._graph import only_small

    graphs = [(n, r) for n, r in refs if r == "Graph"]
    if len(graphs) != 1:
        return
    node = graphs[0][0]
    call = parent_call(an, node)
    if call is None or call.args:
        return
    bodies = [list(an.module.body)] + [list(f.body.body) for f in an.module.body
                                        if isinstance(f, cst.FunctionDef) and isinstance(f.body, cst.IndentedBlock)]
    for body in bodies:
        for st in body:
            small = only_small(st)
            if not (isinstance(small, cst.Assign) and small.value is call and len(small.targets) == 1
                    and isinstance(small.targets[0].target, cst.Name)):
                continue
            name = small.targets[0].target.value
            withs = [w for w in body if isinstance(w, cst.With) and len(w.items) == 1 and w.items[0].asname is None
                     and isinstance(w.items[0].item, cst.Call) and not w.items[0].item.args
                     and isinstance(w.items[0].item.func, cst.Attribute)
                     and w.items[0].item.func.attr.value == "as_default"
                     and isinstance(w.items[0].item.func.value, cst.Name) and w.items[0].item.func.value.value == name
                     and isinstance(w.body, cst.IndentedBlock)]
            sessions = []
            for n in _walk(an.module):
                if isinstance(n, cst.Arg) and n.keyword is not None and n.keyword.value == "graph" \
                        and isinstance(n.value, cst.Name) and n.value.value == name:
                    sessions.append(n)
            keywords = {id(n.keyword) for n in _walk(an.module) if isinstance(n, cst.Arg) and n.keyword is not None}
            uses = sum(1 for n in _walk(an.module) if isinstance(n, cst.Name) and n.value == name and id(n) not in keywords)
            if len(withs) != 1 or uses != 1 + len(withs) + len(sessions) or len(sessions) > 1:
                return
            w = withs[0]
            an.allowed_refs.add(id(node))
            an.allowed_refs.add(id(w.items[0].item.func))  # type: ignore[attr-defined]
            an.update_stmts.add(id(st))
            an.update_withs.add(id(w))
            an.cf_graph = name
            return


def group_name(an: Analysis, var) -> str:  # type: ignore[no-untyped-def]
    g = an.cf_groups[id(var)]
    trains = any(v.train is not None and v.unit is var.unit for v in an.variants)
    others = [v for v in an.variants if id(v) in an.cf_groups and v.unit is var.unit and v is not var]
    base = "train_step" if not trains and not others else f"{g.defines[0]}_step" if g.defines else "run_updates"
    return an.fresh(base)


def initialized_value(an: Analysis, attr: cst.Attribute) -> bool:
    """`p.initialized_value()` in a statement that creates variables, before any session
    run: the variable `p` still holds its initial value there, eagerly: `p`."""
    from rules.tf1_to_tf2._graph import Stmt  # noqa: F401

    if attr.attr.value != "initialized_value" or not isinstance(attr.value, cst.Name):
        return False
    call = parent_call(an, attr)
    if call is None or call.args:
        return False
    line = an.find_stmt(call)
    if line is None or not an.makes_variables(line):
        return False
    order = {id(n): i for i, n in enumerate(_walk(an.module))}
    first_run = min((order[id(n)] for n in _walk(an.module) if isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute)
                     and n.func.attr.value in ("run", "eval")), default=None)
    if first_run is not None and order[id(line)] > first_run:
        return False
    if id(call) not in an.cf_initialized:
        an.cf_initialized.add(id(call))
        an.plan.call_builders[id(call)] = lambda upd: upd.func.value  # type: ignore[attr-defined]
        an.plan.dropped.append(attr)
    return True


def check_finished(an: Analysis) -> None:
    """`tf.gradients` raises eagerly in TF2: each one must be in a statement moved into a
    generated tf.function, or in a function of this file called only from such statements."""
    from rules.tf1_to_tf2._graph import Unsupported

    moved = {id(m.node) for v in an.variants for m in v.members}
    # `grads = tf.gradients(loss, xs)` applied by an optimizer: rebuilt in the train step
    # with tape.gradient (_graph.gradient_pair)
    moved |= {id(t.compute.node) for t in an.train_ops.values() if t.compute is not None and t.tf_gradients}
    if any(v.helper is not None for v in an.variants):
        moved |= {id(m.node) for v in an.variants if v.helper is not None for m in v.helper.members}
    tops: dict[int, int] = {}
    for u in an.units.values():
        for st in u.body:
            for n in _walk(st):
                tops[id(n)] = id(st)
    run_units = {u.name for u, *_ in an.run_sites}
    for cid in an.cf_gradients:
        top = tops.get(cid)
        if top is not None and top in moved:
            continue
        call = next(n for n in _walk(an.module) if id(n) == cid)
        fn = _enclosing_function(an, call)
        if fn is not None and fn.name.value not in run_units and _only_called_from(an, fn.name.value, moved, tops):
            continue  # a graph-building function of the file, called only inside the tf.functions
        raise Unsupported(call, "`tf.gradients` would run eagerly here (TF2 supports it only inside a tf.function; "
                                "write a tf.GradientTape); not converted")


def _only_called_from(an: Analysis, name: str, moved: set[int], tops: dict[int, int]) -> bool:
    calls = [n for n in _walk(an.module) if isinstance(n, cst.Call) and isinstance(n.func, cst.Name) and n.func.value == name]
    return bool(calls) and all(tops.get(id(c)) in moved for c in calls)


def python_holds_variables(an: Analysis, u: Unit, name: str, before: int) -> bool:
    """`params = [w1, w2]`: a Python value holding variables (a tensor computed from it
    reads the variables, so it is not static)."""
    from rules.tf1_to_tf2._graph import PY, V, names_used

    owner = an.owner(u, name)
    d = owner.reaching(name, before if owner is u else len(owner.body) + 1)
    if d is None or d.kind != PY or d.value is None:
        return False
    reads = {id(c) for c in an.variable_reads}  # `tvars = tf.trainable_variables()` (_collections.py)
    if any(id(n) in reads for n in _walk(d.value)):
        return True
    for n in names_used(d.value):
        g = an.graph_kind(owner, n, d.index)
        if g is not None and g.kind == V:
            return True
    return False


def _is_ema(an: Analysis, recv: cst.BaseExpression) -> bool:
    """`recv` names a tf.train.ExponentialMovingAverage made in this file."""
    if not isinstance(recv, cst.Name):
        return False
    for n in _walk(an.module):
        if isinstance(n, cst.Assign) and len(n.targets) == 1 and isinstance(n.targets[0].target, cst.Name) \
                and n.targets[0].target.value == recv.value and an.call_rest(n.value) == "train.ExponentialMovingAverage":
            return True
    return False


def _flows_to(an: Analysis, call: cst.CSTNode, root: cst.CSTNode) -> bool:
    """Whether the value of `call` is an input of the graph op(s) that `root` builds: the
    path up to `root` goes only through TF calls (as an argument), arithmetic,
    comparisons, subscripts and list/tuple elements."""
    an.find_stmt(call)
    cur = call
    while cur is not root:
        parent = an._parents.get(id(cur))
        if parent is None:
            return False
        if isinstance(parent, cst.Arg):
            pass
        elif isinstance(parent, cst.Call):
            if cur is parent.func or not (an.rest(parent.func) is not None or _stateful_method(parent)):
                return False
        elif isinstance(parent, (cst.BinaryOperation, cst.UnaryOperation, cst.Comparison, cst.ComparisonTarget,
                                 cst.Element, cst.List, cst.Tuple, cst.SubscriptElement, cst.Index, cst.Slice)):
            pass
        elif isinstance(parent, cst.Subscript):
            if cur is not parent.value:
                return False
        else:
            return False
        cur = parent
    return True


def _stateful_method(call: cst.Call) -> bool:
    return isinstance(call.func, cst.Attribute) and call.func.attr.value in STATEFUL_METHODS


def unconsumed_stateful(an: Analysis, fn: cst.CSTNode) -> str | None:
    """The first stateful op of a tf.cond branch (a lambda or a function of the file)
    whose result feeds neither the branch's result nor a control dependency (TF1 does
    not run it), or one this does not analyse; None when there is none."""
    from rules.tf1_to_tf2._graph import only_small

    if isinstance(fn, cst.Lambda):
        roots: list[cst.CSTNode] = [fn.body]
        body_nodes = fn.body
    else:
        assert isinstance(fn, cst.FunctionDef)
        body_nodes = fn.body
        stmts = [n for n in _walk(fn.body) if isinstance(n, cst.SimpleStatementLine)]
        roots = [n.value for n in _walk(fn.body) if isinstance(n, cst.Return) and n.value is not None]
        roots += [w.items[0].item for w in _walk(fn.body) if isinstance(w, cst.With) and _is_dep_with(an, w)]
        live = set().union(*[free_names(r) for r in roots]) if roots else set()
        assigns = []
        for line in stmts:
            small = only_small(line)
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                assigns.append((_bound(small.targets[0]), small.value))
        changed = True
        taken: set[int] = set()
        while changed:
            changed = False
            for names, value in assigns:
                if id(value) not in taken and names & live:
                    taken.add(id(value))
                    roots.append(value)
                    live |= free_names(value)
                    changed = True
    for n in _walk(body_nodes):
        if not isinstance(n, cst.Call):
            continue
        st = stateful_call(an, n)
        if st is None or _nested_stateful(an, n):
            continue
        if "(in `" in st or (isinstance(n.func, cst.Name) and n.func.value in an.functions_by_name):
            return st  # a function of the file with stateful ops: not analysed
        if not any(_flows_to(an, n, r) for r in roots):
            return st
    return None


def in_callable(an: Analysis, node: cst.CSTNode, root: cst.CSTNode) -> bool:
    """Whether `node` is inside a lambda passed to control flow (below `root`)."""
    for a in an.ancestors(node):
        if a is root:
            return False
        if id(a) in an.cf_callables:
            return True
    return False


# -- tf.gradients -> tf.GradientTape -----------------------------------------------------------


def _trainable_variable(an: Analysis, u: Unit, name: str, before: int) -> bool:
    from rules.tf1_to_tf2._graph import V

    g = an.graph_kind(u, name, before)
    if g is None or g.kind != V or not isinstance(g.value, cst.Call) or an.call_rest(g.value) != "Variable":
        return False
    for a in g.value.args:
        if a.star or (a.keyword is not None and a.keyword.value == "trainable"):
            return False
    return len([a for a in g.value.args if a.keyword is None]) <= 1


def _tape_sources(an: Analysis, u: Unit, xs: cst.BaseExpression, before: int) -> str | None:
    """How `xs` is written for `tape.gradient` ("list" as it is, "wrap" in a list), when
    it is trainable tf.Variables the tape watches by itself; None otherwise."""
    from rules.tf1_to_tf2._graph import PY

    if isinstance(xs, cst.Name):
        if _trainable_variable(an, u, xs.value, before):
            return "wrap"
        owner = an.owner(u, xs.value)
        d = owner.reaching(xs.value, before if owner is u else len(owner.body) + 1)
        if d is not None and d.kind == PY and len(d.defines) == 1 and not an.models \
                and any(d.value is c for c in an.variable_reads):
            return "list"  # `tvars = tf.trainable_variables()` -> `[w1, b1, ...]` (_collections._plan_plain_reads)
        if d is not None and d.kind == PY and isinstance(d.value, (cst.List, cst.Tuple)) and len(d.defines) == 1:
            xs = d.value
            before = d.index
            u = owner
        else:
            return None
    if isinstance(xs, (cst.List, cst.Tuple)) and xs.elements and all(
            isinstance(e, cst.Element) and isinstance(e.value, cst.Name) and _trainable_variable(an, u, e.value.value, before)
            for e in xs.elements):
        return "list"
    return None


def plan_tapes(an: Analysis) -> None:
    """`grads = tf.gradients(loss, params)` in a generated function (or its shared helper)
    becomes `grads = tape.gradient(loss, params)` with the statements before it under
    `with tf.GradientTape() as tape:` when that computes the same thing: `loss` one tensor,
    `params` trainable tf.Variables (watched by the tape by themselves), no other
    argument, one such call per function and no train op there. Otherwise tf.gradients
    stays inside the tf.function (valid TF2) and a note says so."""
    from rules.tf1_to_tf2._graph import LIST_RESULTS, T, _args_map_loose

    tops: dict[int, tuple[Unit, Stmt]] = {}
    for u in an.units.values():
        for s in u.stmts:
            for n in _walk(s.node):
                tops[id(n)] = (u, s)
    calls = {id(n): n for n in _walk(an.module) if isinstance(n, cst.Call) and id(n) in an.cf_gradients}
    bodies: dict[int, list] = {}  # id(variant or helper) -> [gradient statements in its body]
    owners: dict[int, list] = {}  # id(statement) -> the variants/helpers whose body holds it
    for v in an.variants:
        shared = {id(m) for m in v.helper.members} if v.helper is not None else set()
        for m in v.members:
            holder = v.helper if id(m) in shared else v
            owners.setdefault(id(m.node), [])
            if holder not in owners[id(m.node)]:
                owners[id(m.node)].append(holder)
    for cid, call in calls.items():
        if cid not in tops:
            continue
        _u, s = tops[cid]
        for h in owners.get(id(s.node), []):
            lst = bodies.setdefault(id(h), [])
            if s not in lst:
                lst.append(s)
    tape = None
    paired = {id(t.compute.node) for t in an.train_ops.values() if t.compute is not None and t.tf_gradients}
    for cid, call in calls.items():
        if cid in tops and id(tops[cid][1].node) in paired:
            an.plan.dropped.append(call.func)  # rebuilt as tape.gradient in the train step (_graph.gradient_pair)
            an.plan.checkpoint_notes.append((call.func, (
                "`tf.gradients(loss, variables)` applied by `apply_gradients` becomes `tape.gradient(loss, variables)` "
                "in the train step, after the tape that records the loss (same gradients, None where the loss does not "
                "reach a variable; the statements on the gradients run after it, then apply_gradients)")))
            continue
        why = None
        run_units = {v.unit.name for v in an.variants}
        if cid not in tops or tops[cid][0].name not in run_units:
            why = "it is in a function of the file that the tf.functions call"
        else:
            u, s = tops[cid]
            args = _args_map_loose(call, GRADIENTS_PARAMS)
            ys, xs = args.get("ys"), args.get("xs")
            holders = owners.get(id(s.node), [])
            if set(args) != {"ys", "xs"} or ys is None or xs is None:
                why = "it has arguments other than ys and xs"
            elif not isinstance(s.node, cst.SimpleStatementLine) or s.kind != T:
                why = "it is not a plain statement"
            elif not isinstance(ys.value, cst.Name) or (g := an.graph_kind(u, ys.value.value, s.index)) is None \
                    or g.kind != T or isinstance(g.value, (cst.List, cst.Tuple)) or an.call_rest(g.value) in LIST_RESULTS:
                why = "its ys is not one tensor"
            elif (how := _tape_sources(an, u, xs.value, s.index)) is None:
                why = "its xs are not trainable tf.Variables (a tape watches those by itself)"
            elif not holders:
                why = "it is in a function of the file that the tf.functions call"
            elif any(len(bodies.get(id(h), [])) != 1 for h in holders):
                why = "there are several tf.gradients calls in one function"
            elif any(getattr(h, "train", None) is not None for h in holders):
                why = "the function also has a train op (one tape there already)"
            elif any(not _before(an, h, s) for h in holders):
                why = "nothing computed before it is in the same function"
            else:
                if tape is None:
                    tape = an.fresh("tape")
                an.cf_tapes[id(s.node)] = tape
                an.plan.call_builders[cid] = _tape_builder(tape, how)
                an.plan.dropped.append(call.func)
                continue
        an.plan.dropped.append(call.func)  # the note below replaces TF2001's (recorded again after the rewrite)
        note = ("`tf.gradients` stays inside the tf.function (valid TF2; eagerly it raises), "
                f"not rewritten to tf.GradientTape because {why}")
        an.plan.checkpoint_notes.append((call.func, note))
    if an.cf_tapes:
        first = next(calls[c].func for c in calls if tops.get(c, (None, None))[1] is not None
                     and id(tops[c][1].node) in an.cf_tapes)
        note = ("`tf.gradients(loss, variables)` becomes `tape.gradient(loss, variables)` with the computation of "
                "`loss` recorded by a tf.GradientTape (same gradients; the variables are trainable, so the tape "
                "watches them by itself)")
        an.plan.checkpoint_notes.append((first, note))


def _before(an: Analysis, holder, s: Stmt) -> bool:  # type: ignore[no-untyped-def]
    from rules.tf1_to_tf2._graph import Helper, T

    if isinstance(holder, Helper):
        return any(m.index < s.index for m in holder.members)
    shared = {id(m) for m in holder.helper.members} if holder.helper is not None else set()
    own = [m for m in holder.members if m.kind == T and id(m) not in shared]
    return holder.helper is not None or any(m.index < s.index for m in own)


def _tape_builder(tape: str, how: str):  # type: ignore[no-untyped-def]
    def build(updated: cst.Call) -> cst.BaseExpression:
        from rules.tf1_to_tf2._graph import _args_map_loose

        args = _args_map_loose(updated, GRADIENTS_PARAMS)
        ys, xs = args["ys"].value, args["xs"].value
        if how == "wrap":
            xs = cst.List([cst.Element(xs)])
        return cst.Call(func=cst.Attribute(cst.Name(tape), cst.Name("gradient")), args=[cst.Arg(ys), cst.Arg(xs)])
    return build


def wrap_tape(plan, body: list, tape_index: int | None, root: str) -> list:  # type: ignore[no-untyped-def]
    """`with tf.GradientTape() as tape:` around the statements before the gradient one."""
    if tape_index is None or tape_index == 0:
        return body
    an = plan.analysis
    tape = next(iter(set(an.cf_tapes.values())))
    from rules.tf1_to_tf2._common import expr

    w = cst.With(items=[cst.WithItem(item=cst.Call(func=expr(f"{root}.GradientTape")), asname=cst.AsName(name=cst.Name(tape)))],
                 body=cst.IndentedBlock(body[:tape_index]))
    return [w, *body[tape_index:]]


def summary_note(an: Analysis) -> None:
    """What the finding says about the control flow it moved."""
    what = []
    if an.cf_callables:
        what.append("tf.cond/tf.while_loop/tf.map_fn-style loops")
    if set(an.cf_blocks) - set(an.cf_ifs):
        what.append("graph-building `for`/`tf.control_dependencies` blocks")
    if an.cf_ifs:
        what.append("graph code under a Python `if` (its variables stay where they are, under the same test)")
    if an.cf_groups:
        what.append("fetched tf.group ops (functions returning nothing)")
    if what:
        an.plan.summary += "; " + ", ".join(what) + " move into the tf.functions whose runs needed them (same stateful ops per run)"
    if an.cf_graph is not None:
        an.plan.summary += f"; the explicit graph `{an.cf_graph}` and its `with {an.cf_graph}.as_default():` go"



# -- `if <python value>:` around graph code ----------------------------------------------------


def _if_detail(an: Analysis, u: Unit, st: cst.If, small: cst.CSTNode | None) -> str:
    """What the statement under the `if` is, when it is a summary op (which joins the merged
    summary only when the test held while the graph was built)."""
    from rules.tf1_to_tf2._graph import SUMMARY_OPS

    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call) and an.call_rest(small.value) in SUMMARY_OPS:
        where = f" in `{u.name}`" if not u.is_module else ""
        return (f": `{an.code(small.value)}` under `if {an.code(st.test)}:`{where} adds a summary to the merged "
                "summaries only when the test held while the graph was built; in TF2 it would be written, under the same "
                "test, by the function that writes the merged summaries (with the writer's step)")
    return ""


def _summary_if(an: Analysis, u: Unit, i: int, st: cst.If) -> Stmt | None:
    """`if FLAGS.log_histograms: tf.summary.histogram('w', w)` (one summary op under a test
    on Python values): TF1 added the op to the merged summaries only when the test held
    while the graph was built; it becomes a summary statement whose tf.summary v2 write
    stays under the same `if` in the function that writes the merged summaries (the test is
    then evaluated when that function is traced, with the value it has then; a rebinding of
    its names after the graph read them is refused by the late-binding check)."""
    from rules.tf1_to_tf2._graph import SUMM, SUMMARY_OPS, Stmt, names_used, only_small

    assert isinstance(st.body, cst.IndentedBlock)
    if len(st.body.body) != 1:
        return None
    small = only_small(st.body.body[0])
    if not (isinstance(small, cst.Expr) and isinstance(small.value, cst.Call) and an.call_rest(small.value) in SUMMARY_OPS):
        return None
    an.summary_ifs.add(id(st))
    return Stmt(i, st, SUMM, (), names_used(small.value) | free_names(st.test), small.value)


def check_helper_summary_ifs(an: Analysis) -> None:
    """A flag-guarded summary in a graph-building helper (a function that runs no session)
    is refused: only those at the top level of the function running the session move."""
    from rules.tf1_to_tf2._graph import SUMM, Unsupported

    active = {u.name for u, *_ in an.run_sites} | {n for n, s in an.sessions.items() if s}
    for u in an.units.values():
        if u.is_module or u.name in active:
            continue
        for s in u.stmts:
            if s.kind == SUMM and id(s.node) in an.summary_ifs:
                raise Unsupported(s.node, _helper_summary_if_reason(an, u, s))


def check_summary_if_binding(an: Analysis) -> None:
    """The test of a flag-guarded summary is evaluated when TF1 built the graph, and in TF2
    when the function writing the summaries is traced (at its first run): a name of the
    test (or an attribute of one, `FLAGS.log_histograms = False`) assigned after the
    summary statement, or a global a function rebinds, would change which summaries are
    written."""
    from rules.tf1_to_tf2._graph import SUMM, Unsupported, bound_in

    for u in an.units.values():
        for s in u.stmts:
            if s.kind != SUMM or id(s.node) not in an.summary_ifs:
                continue
            st = s.node
            assert isinstance(st, cst.If)
            names = free_names(st.test)
            for later in u.body[s.index + 1:]:
                if isinstance(later, (cst.FunctionDef, cst.ClassDef)) and u.is_module:
                    continue
                hit = bound_in(later) & names
                for n in _walk(later):
                    targets = [t.target for t in n.targets] if isinstance(n, cst.Assign) else \
                        [n.target] if isinstance(n, (cst.AugAssign, cst.AnnAssign)) else []
                    for t in targets:
                        base = t
                        while isinstance(base, (cst.Attribute, cst.Subscript)):
                            base = base.value
                        if base is not t and isinstance(base, cst.Name) and base.value in names:
                            hit.add(base.value)
                if hit:
                    raise Unsupported(later, f"`{min(hit)}` (read by `if {an.code(st.test)}:` around a summary) is assigned after "
                                             "the graph was built: TF1 decided with the value it had then, a tf.function would "
                                             "decide with the value it has when it is first traced; not converted")
            for fn in an.functions.values():
                for n in _walk(fn.body):
                    if isinstance(n, cst.Global) and names & {a.name.value for a in n.names}:
                        raise Unsupported(n, f"`global`: a function rebinds a name the test `if {an.code(st.test)}:` around a "
                                             "summary reads; not converted")


def _helper_summary_if_reason(an: Analysis, u: Unit, s: Stmt) -> str:
    st = s.node
    assert isinstance(st, cst.If) and s.value is not None
    return (f"graph code under a Python `if` in the helper `{u.name}`: `{an.code(s.value)}` under `if {an.code(st.test)}:` "
            "adds a summary to the merged summaries (only when the test held while the graph was built) from a function "
            "that runs no session; summaries built in helpers are not moved into the function that writes the merged "
            "summaries (only those at the top level of the function that runs the session are, under their `if`); "
            "not converted")


def classify_if(an: Analysis, u: Unit, i: int, st: cst.If) -> Stmt | None:
    """`if FLAGS.use_bias:` around variable creations and tensor statements (dynamic graph
    construction decided by a Python value): the variables stay where they are, under the
    same `if`; the tensor statements move, under the same `if`, into the functions that
    need them, where the test is evaluated when the function is traced (once per
    input signature), with the value it has then. None when it is not that shape."""
    from rules.tf1_to_tf2._graph import Stmt, T, Unsupported, only_small

    if st.orelse is not None or not isinstance(st.body, cst.IndentedBlock):
        return None
    outer = u.graph_names | (an.module_graph_names(u) if not u.is_module else set())
    if free_names(st.test) & outer or any(isinstance(n, (cst.Call, cst.NamedExpr, cst.Await, cst.Yield))
                                          for n in _walk(st.test)):
        return None  # a test on graph values, or one that calls something (run at trace time instead)
    summ = _summary_if(an, u, i, st)
    if summ is not None:
        return summ
    lines = list(st.body.body)
    if any(isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value in ("run", "eval")
           for n in _walk(st.body)):
        return None  # session calls under the `if`: the run sites' business
    for ln in lines:
        small = only_small(ln)
        if not (isinstance(small, cst.Assign) and len(small.targets) == 1):
            if builds_ops(an, ln):
                raise Unsupported(ln, "graph code under a Python `if` that is not a plain assignment (TF1 built the ops, "
                                      "a run decided whether they ran)" + _if_detail(an, u, st, small) + "; not converted")
            return None
    var_idx = [k for k, ln in enumerate(lines) if an.makes_variables(ln) or an.calls_variable_maker(ln)]
    ten_idx = [k for k in range(len(lines)) if k not in var_idx]
    if not ten_idx:
        return None  # variables only: Python code, kept where it is
    bound_vars: set[str] = set().union(*[_bound(lines[k]) for k in var_idx]) if var_idx else set()
    bound_tensors: set[str] = set().union(*[_bound(lines[k]) for k in ten_idx])
    for k in ten_idx:
        ln = lines[k]
        if not (an.has_tf_call(ln) or free_names(ln) & (outer | bound_vars | bound_tensors)):
            return None  # a Python statement in the block: not only graph code
        st_op = stateful_call(an, ln)
        if st_op is not None:
            raise Unsupported(ln, f"{st_op} under a Python `if`: stateful ops in conditionally built graph code are "
                                  "not analysed; not converted")
    for k in var_idx:
        clash = free_names(lines[k]) & (bound_tensors | {n for n in outer if an.kind_of(u, n, i) != "variable"})
        if clash:
            raise Unsupported(lines[k], f"a variable under a Python `if` is initialised from the graph tensor "
                                        f"`{min(clash)}`; not converted")
    later = _read_after(u, i)
    defines = tuple(sorted((bound_tensors & later) | bound_vars))
    uses = free_names(st.test).union(*[free_names(lines[k]) for k in ten_idx])
    s = Stmt(i, st, T, defines, uses, st)
    s.dynamic_reason = "graph code under a Python `if`"
    an.cf_blocks[id(st)] = s
    an.cf_ifs[id(st)] = (ten_idx, var_idx)
    return s


def moved_part(an: Analysis, m: Stmt) -> cst.CSTNode:
    """What of a statement goes into the functions (the tensor part of an `if`)."""
    parts = an.cf_ifs.get(id(m.node))
    if parts is None or m.value is None:
        return m.value if m.value is not None else m.node
    node = m.node
    assert isinstance(node, cst.If) and isinstance(node.body, cst.IndentedBlock)
    return cst.IndentedBlock([node.body.body[k] for k in parts[0]])


def if_part(stmt: cst.If, keep: list[int]) -> cst.If:
    assert isinstance(stmt.body, cst.IndentedBlock)
    return stmt.with_changes(body=stmt.body.with_changes(body=[stmt.body.body[k] for k in keep]))


def keep_variable_parts(an: Analysis) -> None:
    """The variable part of each moved `if` stays where it is (under the same test)."""
    for oid, (_ten, var) in an.cf_ifs.items():
        if not var or oid not in an.plan.remove:
            continue
        an.plan.remove.discard(oid)
        an.plan.stmt_builders[oid] = lambda updated, var=var: [if_part(updated, var)]


def graph_block_spacing(an: Analysis) -> None:
    """The statement after `with g.as_default():` (whose statements went, functions came
    after its last one) starts after a blank line."""
    if an.cf_graph is None:
        return
    for body in [list(an.module.body)] + [list(f.body.body) for f in an.module.body
                                          if isinstance(f, cst.FunctionDef) and isinstance(f.body, cst.IndentedBlock)]:
        for k, st in enumerate(body[:-1]):
            if isinstance(st, cst.With) and id(st) in an.update_withs and isinstance(st.body, cst.IndentedBlock) \
                    and any(id(inner) in an.plan.inserts for inner in st.body.body):
                want = 2 if any(x is st for x in an.module.body) else 1
                nxt = body[k + 1]
                an.plan.blank_before[id(nxt)] = max(an.plan.blank_before.get(id(nxt), 0), want)


LOOSE_TF = ("assign", "scatter_", "count_up_to", "Print")
LOOSE_METHODS = {"assign", "assign_add", "assign_sub", "scatter_update", "scatter_add", "scatter_sub", "scatter_nd_update"}


def check_loose_statements(an: Analysis) -> None:
    """`tf.assign(w, 5.0)` / `w.assign(5.0)` as a statement of the graph code: TF1 built
    the op and nothing can fetch it (it has no name), so it never ran; kept as eager code
    it would run where it stands."""
    from rules.tf1_to_tf2._graph import PY, Unsupported

    active = {u.name for u, *_ in an.run_sites} | {n for n, s in an.sessions.items() if s}
    for u in an.units.values():
        if u.name not in active and not u.is_module:
            continue
        for s in u.stmts:
            if s.kind != PY or not isinstance(s.node, cst.SimpleStatementLine):
                continue
            for small in s.node.body:
                if not isinstance(small, cst.Expr) or not isinstance(small.value, cst.Call):
                    continue
                call = small.value
                if isinstance(call.func, cst.Attribute) and call.func.attr.value in ("run", "eval"):
                    continue
                r = an.rest(call.func)
                if r is not None and any(r.startswith(p) for p in LOOSE_TF):
                    what = f"`tf.{r}`"
                elif r is None and isinstance(call.func, cst.Attribute) and call.func.attr.value in LOOSE_METHODS \
                        and isinstance(call.func.value, cst.Name) and an.graph_kind(u, call.func.value.value, s.index) is not None:
                    what = f"`{an.code(call.func)}()`"
                else:
                    continue
                raise Unsupported(call, f"{what} as a statement: TF1 built the op and no run could fetch it (it has no name), "
                                        "so it never ran; eagerly it would run here; not converted")


def builds_ops(an: Analysis, node: cst.CSTNode) -> bool:
    """A TF call, or a state-changing method call (`v.assign(...)`, the spelling TF2001
    gives `tf.assign(v, ...)`: a second run must decide as the first did)."""
    return an.has_tf_call(node) or any(
        isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value in LOOSE_METHODS
        for n in _walk(node))


def _read_after(u: Unit, i: int) -> set[str]:
    """The names the statements after the `i`-th of `u` read (definitions of functions and
    classes at module level excluded: they run later, if at all)."""
    later: set[str] = set()
    for other in u.body[i + 1:]:
        if isinstance(other, (cst.FunctionDef, cst.ClassDef)) and u.is_module:
            continue
        later |= free_names(other)
    return later
