"""TF2120: reads of TF1 variable collections whose content is known statically.

`tf.trainable_variables()` (and `tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES)`
without a scope) read outside `minimize(var_list=...)` in a program whose variables are all
made by model functions that TF2130 turns into Keras objects: TF1's collection held the
variables created so far, in creation order. In the eager program the same variables are
the objects' `trainable_variables`, concatenated in the order in which the objects were
first called (a Keras layer lists its own variables, then its sub-layers' in the order they
were assigned, which is the order TF2130 creates them in: the order of the calls).

A Keras object creates its variables on its first call, which the converted program makes
inside the first tf.function run: the read is preceded by
`<first function>.get_concrete_function()`, which traces that function (creating the
objects' variables, as its first run would have, in the same order) without running it.

Refused (precise reasons): reads inside blocks or helpers, variables created outside the
model functions, model functions with `trainable=` arguments or that mix own variables with
sub-objects, several objects of one function, calls of a model function after the read, and
no generated function that calls every object before any other run, and TF1 names used for
anything but printing them (Keras names a variable `W` where TF1 had `scope/W:0`: name
filters, `sorted(key=...)` and `.op` would select or pair differently; a printed listing is
reported as changed). GLOBAL_VARIABLES reads stay refused (optimizer slots and non-trainable
variables are created at other times).

Scoped reads (`get_collection(<TRAINABLE|GLOBAL>_VARIABLES, scope=...)`) stay refused, each
with its own reason (_scoped_read_reason): a literal scope with regular-expression
characters or one that is a prefix of another object's scope (TF1 filters with `re.match`
on `scope/...` names); a literal scope that names a TF2130 object (`QNetwork(name='online')`,
whose variables are `q_network_layer.trainable_variables` once built: the read must move
after a trace that builds it); a scope passed into a helper that sorts by TF1 name and pairs
two scopes (a target-network copy). What a conversion of corpus/tf1/dqn_target_update.py
must do, checked by hand against TF 2.21 (TF1 graph run vs. a hand-written eager program
with TF1's initial values carried over: loss 0.122129, q0 and num_online_vars equal):

* when copy_params runs, GLOBAL_VARIABLES holds only the 8 model variables (online/h1/kernel,
  online/h1/bias, ..., target/q/bias); RMSProp's slots (`online/h1/kernel/RMSProp`, ...) are
  created by minimize() afterwards and would fall in scope 'online' (with `re.match`) if
  the group were built after it, making `zip` pair slots with target variables;
* the name-sorted pairing is (h1/bias, h1/bias), (h1/kernel, h1/kernel), (q/bias, q/bias),
  (q/kernel, q/kernel); Keras lists both objects' `variables` as h1/kernel, h1/bias,
  q/kernel, q/bias (also for `trainable=False`, whose variables are all non-trainable), so
  `for s, d in zip(src.variables, dst.variables): d.assign(s)` makes the same pairs; the
  assigns of a tf.group have disjoint targets and sources, so their order is immaterial;
* a kept TF1 optimizer (RMSPropOptimizer) cannot apply gradients to Keras 3 variables
  (`'Variable' object has no attribute '_in_graph_mode'`): the train step must pass
  `[v.value for v in online.trainable_variables]` (or the tape's watched variables, which
  are the tf.Variables) to apply_gradients."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:
    from rules.tf1_to_tf2._graph import Analysis

TRAINABLE_READ = "trainable_variables"


def walk(node: cst.CSTNode):  # type: ignore[no-untyped-def]
    from rules.tf1_to_tf2._graph import walk as graph_walk
    return graph_walk(node)


def _is_trainable_read(an: Analysis, n: cst.CSTNode) -> bool:
    if not isinstance(n, cst.Call):
        return False
    r = an.call_rest(n)
    if r == TRAINABLE_READ and not n.args:
        return True
    return (r == "get_collection" and len(n.args) == 1 and n.args[0].keyword is None
            and an.rest(n.args[0].value) == "GraphKeys.TRAINABLE_VARIABLES")


def _refused_read(an: Analysis, n: cst.CSTNode) -> str | None:
    """Why a variable-collection read that the Keras objects could answer is not converted."""
    if not isinstance(n, cst.Call):
        return None
    r = an.call_rest(n)
    key = an.rest(n.args[0].value) if r == "get_collection" and n.args and n.args[0].keyword is None else None
    if key in ("GraphKeys.TRAINABLE_VARIABLES", "GraphKeys.GLOBAL_VARIABLES") and len(n.args) > 1:
        return _scoped_read_reason(an, n, key)
    if key == "GraphKeys.GLOBAL_VARIABLES" or (r in ("global_variables", "all_variables") and not n.args):
        return ("GLOBAL_VARIABLES also list the non-trainable variables and the optimizer slots created before the read, "
                "which the Keras objects and optimizers create at other times; not converted")
    return None


def _scope_objects(an: Analysis) -> dict[str, tuple[str, str]]:
    """TF1 variable scope -> (model function, object name) of the TF2130 objects whose
    constructor got the scope as a string literal (`q_network(x, 'online')` ->
    `QNetwork(name='online')`)."""
    import ast
    import re

    names = an.instance_names()
    out: dict[str, tuple[str, str]] = {}
    for fname, fp in an.models.items():
        param = fp.name_param  # type: ignore[attr-defined]
        if param is None:
            # the function's own literal scope (`with tf.variable_scope('discriminator'):`),
            # one object made from it (TF2130 hook)
            if fp.scope is not None and len(fp.instances) == 1 and fp.external and names.get(fname):  # type: ignore[attr-defined]
                out[fp.scope] = (fname, names[fname][0])  # type: ignore[attr-defined]
            continue
        for i, ctor in enumerate(fp.instances):  # type: ignore[attr-defined]
            m = re.search(rf"(?:^|, ){re.escape(param)}=(.*?)(?:, [a-zA-Z_]\w*=|$)", ctor)
            if m is None:
                continue
            try:
                scope = ast.literal_eval(m.group(1))
            except (ValueError, SyntaxError):
                continue
            if isinstance(scope, str) and i < len(names.get(fname, [])):
                out[scope] = (fname, names[fname][i])
    return out


def _scoped_read_reason(an: Analysis, n: cst.Call, key: str) -> str:
    """Why `tf.get_collection(<TRAINABLE|GLOBAL>_VARIABLES, scope=...)` is not converted,
    as precisely as the program allows (see the module docstring, "Scoped reads")."""
    import re

    from rules.tf1_to_tf2._model import string_value

    kind = key.split(".")[-1]
    scope_arg = next((a for a in n.args[1:] if a.keyword is None or a.keyword.value == "scope"), None)
    scope = string_value(scope_arg.value) if scope_arg is not None else None
    spelled = f"`tf.get_collection(tf.GraphKeys.{kind}, scope=...)`"
    objects = _scope_objects(an)
    if scope is not None:
        spelled = f"`tf.get_collection(tf.GraphKeys.{kind}, scope={scope!r})`"
        if re.escape(scope) != scope:
            return (f"{spelled}: TF1's `scope=` is a regular expression matched at the start of each variable name "
                    "(`re.match`), and this one has special characters; not converted")
        also = sorted(s for s in objects if s != scope and re.match(scope, s))
        if also:
            return (f"{spelled}: TF1's `scope=` matches name prefixes (`re.match`), so it also lists the variables of "
                    f"scope {also[0]!r}; not converted")
        if scope in objects:
            fname, obj = objects[scope]
            what = "trainable_variables" if kind == "TRAINABLE_VARIABLES" else "variables"
            return (f"{spelled}: the variables of one variable scope, which are those of the Keras object `{obj}` made from "
                    f"`{fname}` (`{obj}.{what}` once a first call has built it), not converted yet: the read must move after "
                    "a trace that builds the object, and a kept TF1 optimizer given it as var_list needs the objects' "
                    "tf.Variables (`[v.value for v in ...]`), not Keras variables")
        return (f"{spelled}: the variables of one variable scope that no Keras object made by TF2130 holds alone; "
                "not converted")
    fn = next((a for a in an.ancestors(n) if isinstance(a, cst.FunctionDef)), None)
    param = scope_arg.value.value if scope_arg is not None and isinstance(scope_arg.value, cst.Name) else None
    sort = next((a for a in an.ancestors(n) if isinstance(a, cst.Call) and isinstance(a.func, cst.Name)
                 and a.func.value == "sorted"), None)
    if fn is not None and param is not None and sort is not None and len(objects) >= 2:
        return (f"{spelled} in `{fn.name.value}`, scope `{param}` given by its callers, sorted by TF1 name: the "
                "variables of one variable scope paired by name with another's (a target-network copy). For two "
                "objects made from one model function and no optimizer slot in the scopes yet, that pairing is "
                "`zip(src.variables, dst.variables)` (same name suffixes, same Keras order), but the helper would have "
                "to take the Keras objects instead of scope names and its grouped assigns become a Python function "
                "called where the group was run; not converted yet")
    return (f"{spelled}: the variables of one variable scope named by a computed value; Keras names a variable by the "
            "last part of TF1's name only, so name filters and name-sorted pairings do not carry over; not converted")


def find_variable_reads(an: Analysis) -> None:
    """Record the trainable-variable reads outside `minimize(var_list=...)` (checked and
    planned by plan_variable_reads once the generated functions are known)."""
    if not an.models:
        return
    for n in walk(an.module):
        if id(n) in an.model_nodes or id(n) in an.all_var_lists:
            continue
        why = _refused_read(an, n)
        if why is not None:
            for ref in (n.func, *(a.value for a in n.args)):  # type: ignore[attr-defined]
                an.collection_refusals[id(ref)] = why
            continue
        if not _is_trainable_read(an, n):
            continue
        an.variable_reads.append(n)  # type: ignore[arg-type]
        an.allowed_refs.add(id(n.func))  # type: ignore[attr-defined]
        if n.args:  # type: ignore[attr-defined]
            an.allowed_refs.add(id(n.args[0].value))  # type: ignore[attr-defined]


def _post_order(node: cst.CSTNode) -> list[cst.CSTNode]:
    """Nodes in the order their evaluation completes (a call after its arguments)."""
    out: list[cst.CSTNode] = []

    def visit(n: cst.CSTNode) -> None:
        for c in n.children:
            visit(c)
        out.append(n)
    visit(node)
    return out


def _own_and_sub(fp) -> tuple[bool, bool]:  # type: ignore[no-untyped-def]
    """Whether the model function creates variables itself (get_variable/Variable: the
    layer's own weights) / through sub-layers (other model functions, tf.layers, slim)."""
    kinds = {c.kind for c in fp.creators}
    return "var" in kinds, bool(kinds - {"var"})


def plan_variable_reads(an: Analysis) -> None:
    """Each recorded read -> the objects' `trainable_variables` concatenated, after a trace
    of the first generated function (see the module docstring)."""
    from rules.tf1_to_tf2._graph import NEXT, Unsupported, V

    if not an.variable_reads:
        return
    for u in an.units.values():
        for s in u.stmts:
            if s.kind == V:
                raise Unsupported(s.node, "`tf.trainable_variables()` with variables created outside the model functions that "
                                          "TF2130 makes Keras objects: their order in TF1's collection is not reproduced; not converted")
    for name, fp in an.models.items():
        for n in walk(fp.node):  # type: ignore[attr-defined]
            if isinstance(n, cst.Arg) and n.keyword is not None and n.keyword.value == "trainable":
                raise Unsupported(n, f"`tf.trainable_variables()` and `{name}` creating variables with `trainable=`: which "
                                     "of them TF1 listed depends on the value; not converted")
        own, sub = _own_and_sub(fp)
        if own and sub:
            raise Unsupported(fp.node, f"`tf.trainable_variables()` and `{name}` creating variables both itself and through "  # type: ignore[attr-defined]
                                       "sub-layers: Keras lists a layer's own variables before its sub-layers', "
                                       "TF1 in creation order; not converted")
    names = an.instance_names()
    for call in an.variable_reads:
        line = an.find_stmt(call)
        home_unit = next((x for x in an.units.values() if any(s.node is line for s in x.stmts)), None)
        if home_unit is None:
            raise Unsupported(call, "`tf.trainable_variables()` inside a block or helper; not converted")
        u = home_unit
        read = next(s for s in u.stmts if s.node is line)
        if read.kind != "python":
            raise Unsupported(call, f"`tf.trainable_variables()` in a graph statement ({read.kind}); not converted")
        # the objects in the order of their first call (TF1's creation order)
        first: dict[str, tuple[int, int]] = {}
        for name, fp in an.models.items():
            if not fp.external:  # type: ignore[attr-defined]
                continue  # a sub-layer of other objects only
            if len(fp.instances) != 1:  # type: ignore[attr-defined]
                raise Unsupported(call, f"`tf.trainable_variables()` with several Keras objects made from `{name}`; not converted")
            for ext in fp.external:  # type: ignore[attr-defined]
                home = an.find_stmt(ext)
                st = next((s for s in u.stmts if s.node is home), None)
                if st is None or st.index >= read.index:
                    raise Unsupported(call, f"`tf.trainable_variables()` and a call of `{name}` that is not before it in the same "
                                            "function: TF1 listed the variables created so far; not converted")
                rank = next(i for i, n in enumerate(_post_order(home)) if n is ext)  # type: ignore[arg-type]
                first[name] = min(first.get(name, (st.index, rank)), (st.index, rank))
        if not first:
            raise Unsupported(call, "`tf.trainable_variables()` before any variable is created; not converted")
        order = sorted(first, key=lambda k: first[k])
        # the generated function whose trace builds every object: the first one run after the read
        mine = [v for v in an.variants if v.unit is u]
        if any(top < read.index for v in mine for top in v.tops):
            raise Unsupported(call, "`tf.trainable_variables()` after a converted `sess.run`; not converted")
        runs = sorted((top, i) for i, v in enumerate(mine) for top in v.tops)
        if not runs:
            raise Unsupported(call, "`tf.trainable_variables()` in a function without converted runs; not converted")
        var = mine[runs[0][1]]
        if var.anchor >= read.index:
            raise Unsupported(call, "`tf.trainable_variables()` before the point where the converted functions are defined; not converted")
        if any(p.stmt.kind == NEXT for p in var.params):
            raise Unsupported(call, "`tf.trainable_variables()` before a function of dataset elements (no input signature to "
                                    "trace it with); not converted")
        if id(line) in an.plan.stmt_builders:
            raise Unsupported(call, "`tf.trainable_variables()` twice in one statement; not converted")
        members = {id(m.node) for m in var.members} | ({id(m.node) for m in var.helper.members} if var.helper is not None else set())
        for name in order:  # one object each: any call of it builds it
            if not any(id(an.find_stmt(ext)) in members for ext in an.models[name].external):  # type: ignore[attr-defined]
                raise Unsupported(call, f"`tf.trainable_variables()`: the first converted run does not call `{name}`, so tracing "
                                        "it would not build every object; not converted")
        check_name_uses(an, call, line)
        objects = [names[name][0] for name in order]
        code = " + ".join(f"{o}.trainable_variables" for o in objects)
        an.plan.call_builders[id(call)] = _code_builder(code)
        an.plan.dropped.append(call)
        an.plan.stmt_builders[id(line)] = _trace_before(var)
        an.plan.summary += (f"; the TRAINABLE_VARIABLES read becomes `{code}` (TF1's creation order), read after "
                            "`get_concrete_function()` traces the first function and so builds the objects")


NAME_ATTRS = {"name", "op"}  # TF1 variable names: Keras names a variable by the last part only


def check_name_uses(an: Analysis, call: cst.Call, line: cst.CSTNode | None) -> None:
    """The variables' TF1 names may only be listed for printing: `names = [v.name for v in
    tf.trainable_variables()]` used in `print(...)`/`len(...)` (the printed text changes, which
    the finding says). Names that select, sort or key anything (`v.name.startswith(...)`,
    `sorted(..., key=lambda v: v.name)`, `v.op.name`) refuse: Keras' `W` is not TF1's
    `siamese/fc1/W:0`."""
    from rules.tf1_to_tf2._graph import Unsupported

    why = ("the listed variables' TF1 names are used (Keras names a variable `W`, TF1 `scope/W:0`; `.op` does not exist), "
           "so what they select or print would differ; not converted")
    lists: set[str] = set()  # names bound to the list itself
    small = line.body[0] if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1 else None
    printed: str | None = None  # `names = [v.name for v in <read>]`
    bound: cst.CSTNode | None = None  # the Name the statement binds
    if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
        bound = small.targets[0].target
        target = small.targets[0].target.value
        if small.value is call:
            lists.add(target)
        elif isinstance(small.value, cst.ListComp) and small.value.for_in.iter is call and not small.value.for_in.ifs \
                and small.value.for_in.inner_for_in is None and isinstance(small.value.for_in.target, cst.Name) \
                and isinstance(small.value.elt, cst.Attribute) and small.value.elt.attr.value == "name" \
                and isinstance(small.value.elt.value, cst.Name) and small.value.elt.value.value == small.value.for_in.target.value:
            printed = target
    for n in walk(an.module):
        # anything iterating over the list (or the read) and reading `.name`/`.op` of its items
        iters: list[tuple[cst.CSTNode, cst.CSTNode]] = []
        if isinstance(n, (cst.ListComp, cst.GeneratorExp, cst.SetComp, cst.DictComp)):
            if printed is not None and isinstance(small, cst.Assign) and n is small.value:
                continue
            f: cst.CompFor | None = n.for_in
            while f is not None:
                iters.append((f.iter, n))
                f = f.inner_for_in
        elif isinstance(n, cst.For):
            iters.append((n.iter, n))
        for it, scope in iters:
            if (it is call or (isinstance(it, cst.Name) and it.value in lists)) \
                    and any(isinstance(a, cst.Attribute) and a.attr.value in NAME_ATTRS for a in walk(scope)):
                raise Unsupported(call, f"`tf.trainable_variables()`: {why}")
        if isinstance(n, cst.Attribute) and n.attr.value in NAME_ATTRS and isinstance(n.value, cst.Subscript) \
                and isinstance(n.value.value, cst.Name) and n.value.value.value in lists:
            raise Unsupported(call, f"`tf.trainable_variables()`: {why}")
        if isinstance(n, cst.Call) and isinstance(n.func, cst.Name) and n.func.value == "sorted" \
                and any(a.keyword is not None and a.keyword.value == "key" for a in n.args) \
                and any((isinstance(a.value, cst.Name) and a.value.value in lists) or a.value is call for a in n.args):
            raise Unsupported(call, f"`tf.trainable_variables()`: {why}")
    if printed is not None:
        for n in walk(an.module):
            if isinstance(n, cst.Name) and n.value == printed and n is not bound \
                    and not any(isinstance(a, cst.Call) and isinstance(a.func, cst.Name) and a.func.value in ("print", "len")
                                for a in an.ancestors(n)):
                raise Unsupported(call, f"`tf.trainable_variables()`: {why}")
        an.plan.summary += (f"; the variable names `{printed}` lists are Keras' (`W`), not TF1's (`scope/W:0`): "
                            "what the program prints of them changes")
    iterated = {id(f.iter) for f in walk(an.module) if isinstance(f, (cst.CompFor, cst.For))}
    for n in walk(an.module):
        if isinstance(n, cst.Name) and n.value in lists and n is not bound and id(n) not in iterated:
            parent = next(a for i, a in enumerate(an.ancestors(n)) if i == 2)
            if not (isinstance(parent, cst.Call) and isinstance(parent.func, cst.Name) and parent.func.value == "len"):
                raise Unsupported(call, f"`tf.trainable_variables()` bound to `{n.value}`, which is used other than by "
                                        "`len(...)` or iteration; not converted")


def _code_builder(code: str):  # type: ignore[no-untyped-def]
    def build(updated: cst.Call) -> cst.BaseExpression:
        return cst.parse_expression(code)
    return build


def _trace_before(var):  # type: ignore[no-untyped-def]
    def build(updated: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
        trace = cst.parse_statement(f"{var.name}.get_concrete_function()  # builds the Keras objects (their variables)\n")
        return [trace.with_changes(leading_lines=updated.leading_lines), updated.with_changes(leading_lines=[])]
    return build
