"""TF2120's preparation: a graph-building function whose tensors another function runs.

Not a rule module. ``prepare`` (the pack's ``Pack.prepare`` hook, called by
migrate/engine/process.py with --unsafe-fixes) rewrites TF1 source into equivalent TF1
source that TF2120 converts; the engine keeps the prepared rewrite only when TF2120
converted the prepared file (``accept``), and otherwise runs on the file as it is.

1. A module-level graph-building function run by one other function

       def build_graph():
           graph = tf.Graph()
           with graph.as_default():
               ...
               loss = ...
           return graph, dict(inputs=inputs, loss=loss, state=state)

       def main():
           graph, m = build_graph()
           with tf.Session(graph=graph) as sess:
               loss = sess.run(m['loss'], feed_dict={m['inputs']: x})

   is written into its caller in place of the call (TF1 evaluates the body there, with the
   same effects in the same order): `m['loss']` becomes `loss`, a returned name bound to
   another caller name is that name, and the caller's locals that the body also uses are
   renamed first (`loss` -> `loss_value`: TF1 rebinding a name of a tensor to its fetched
   value is fine, the converted functions need the tensor's name). TF2120 then converts the
   straight-line form (layers and tf.Variables created once, tf.functions for the runs).
   Its parameters are bound first where the call was (`units = n_hidden`; a default only
   when it is a literal: Python evaluated it when the function was defined). Conditions:
   no *args/**kwargs/keyword-only parameters, no decorator; it returns once, at its end, a
   tuple of names and at most one dict of names (`dict(k=v)` / `{'k': v}`), binds no
   global/nonlocal; it is called once in the module, as the statement `a, m = f(...)` (or
   `m = f(...)`) of a module-level function, whose `m` is read only as `m['<key>']` on one
   line, and whose parameters are not names the body binds (a caller may pass them by
   keyword). Both functions are at module level, so the body keeps its indentation.

2. A final LSTM state fetched whole, `l, st = sess.run([loss, state])`, whose fetched value
   is read only as `st.h` / `st.c` / `st[1]` / `st[0]`, fetches the parts read instead:
   `l, st_h = sess.run([loss, state.h])` (`sess.run` of a tuple is the tuple of the runs of
   its parts). _rnn.py converts parts of the state fetched as they are.

3. The zero state of a cell fed back as it is, `init = cell.zero_state(B, tf.float32)` passed
   as `initial_state=init` of the cell's unroll, fetched once (`state = sess.run(init)`) and
   fed back unchanged at every run (`for layer, s in zip(init, state): feed[layer] = s`):
   feeding a tensor the value it computes changes nothing, and TF1's unrolls start from the
   cell's zero state of the inputs' batch given `dtype=`: the three statements go and the
   unroll gets `dtype=tf.float32`.

4. The final state of a MultiRNNCell unrolled by static_rnn (a tuple of the layers' states)
   fetched whole, `c, fs = sess.run([cost, final_state])`, whose fetched value is read only
   as `fs[<int>]`: the graph gets `final_state_last = final_state[-1]` after the unroll and
   the run fetches it (`fs_last`).

5. One LSTM/GRU cell unrolled by static_rnn over a list of per-step tensors,
   `outputs, state = tf.nn.static_rnn(cell, steps, dtype=tf.float32)`, is the same cell
   unrolled by dynamic_rnn over the steps stacked along time (same variables, same scope
   `rnn`, the same computation step by step), its outputs unstacked again:
   `outputs_sequence, state = tf.nn.dynamic_rnn(cell, tf.stack(steps, axis=1),
   dtype=tf.float32)` + `outputs = tf.unstack(outputs_sequence, axis=1)` (_rnn.py converts
   that).

``Prepared.line`` maps the prepared file's lines back to the original ones (for the
findings' positions).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from migrate.cstutil import walk_in_order as _walk
from migrate.result import Finding, Status

NOT_CONVERTED = "TF1 Session code not converted"


@dataclass
class Prepared:
    text: str
    origin: list[int]  # prepared line (0-based) -> original line (1-based)

    def line(self, line: int) -> int:
        return self.origin[line - 1] if 0 < line <= len(self.origin) else line

    def merge(self, result, prepared: list[Finding]):  # type: ignore[no-untyped-def]
        """The pass over the file as it is, when the prepared one was not accepted: its
        TF2120 refusal is the prepared pass's (the obstacle left after the preparation; the
        original one would ask for what the preparation did)."""
        why = [f for f in prepared if f.rule_id == "TF2120" and f.message.startswith(NOT_CONVERTED)]
        mine = [i for i, f in enumerate(result.findings) if f.rule_id == "TF2120" and f.message.startswith(NOT_CONVERTED)]
        if why and mine:
            result.findings[mine[0]] = why[0]
            for i in reversed(mine[1:]):
                del result.findings[i]
        # TF2130's reason for a model function after the preparation (a repeat helper
        # unrolled, say, then a local it does not take): the obstacle left, as above
        shims = {f.range.start.line: f for f in prepared if f.rule_id == "TF2131"}
        for i, f in enumerate(result.findings):
            if f.rule_id == "TF2131" and f.range.start.line in shims:
                result.findings[i] = replace(f, message=shims[f.range.start.line].message)
        return result

    def accept(self, findings: list[Finding]) -> bool:
        """TF2120 converted the prepared file."""
        return any(f.rule_id == "TF2120" and f.status is Status.APPLIED and not f.message.startswith(NOT_CONVERTED)
                   for f in findings)


_CANDIDATE = re.compile(r"^[ \t]+return\b.*(\bdict\(|\{)|_rnn\(|MultiRNNCell\(|\)\.apply_gradients\(", re.MULTILINE)


def prepare(text: str) -> Prepared | None:
    """The preparations of _repeat.py (slim-style model functions), then those above."""
    from rules.tf1_to_tf2 import _repeat

    pre = _repeat.expand(text) if "Session" in text else None
    if pre is None:
        return _prepare_graph(text)
    first = _remap(text, pre, list(range(1, len(text.splitlines()) + 1)))
    rest = _prepare_graph(pre)
    if rest is None:
        return Prepared(pre, first)
    return Prepared(rest.text, [first[o - 1] if 0 < o <= len(first) else o for o in rest.origin])


def _prepare_graph(text: str) -> Prepared | None:
    # cheap text tests first: most files have no builder returning a dict and no unroll
    if "Session" not in text or not _CANDIDATE.search(text):
        return None
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError:
        return None
    out = _inline_builder(module, text)
    if out is not None:
        text, origin = out
        module = cst.parse_module(text)
    else:
        origin = list(range(1, len(text.splitlines()) + 1))
    from rules.tf1_to_tf2._rnn_prepare import inline_cell_helpers, split_inline_optimizers
    helpers = inline_cell_helpers(module)
    if helpers is not None:
        module = helpers
    inline_opt = split_inline_optimizers(module)
    if inline_opt is not None:
        module = helpers = inline_opt
    single = _single_cell_static(module)
    if single is not None:
        module = single
    split = _split_state_fetches(module)
    if split is not None:
        module = split
    stacked = _stacked_rnn_states(module)
    if stacked is not None:
        module = stacked
    if out is None and helpers is None and single is None and split is None and stacked is None:
        return None
    new = module.code
    return Prepared(new, _remap(text, new, origin))


def _remap(old: str, new: str, origin: list[int]) -> list[int]:
    """The origins of `new`'s lines, from those of `old`'s (statements removed or inserted:
    an inserted line is said to come from the line before it)."""
    import difflib

    a, b = old.splitlines(), new.splitlines()
    out: list[int] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        for k in range(j2 - j1):
            if tag == "equal":
                out.append(origin[i1 + k])
            elif tag == "replace":  # the most similar line of the replaced ones
                best = max(range(i1, i2), key=lambda i: difflib.SequenceMatcher(None, a[i], b[j1 + k]).ratio())
                out.append(origin[best])
            else:
                out.append(origin[i1 - 1] if 0 < i1 <= len(origin) else 1)
    return out


# names -------------------------------------------------------------------------------------


def _plain_names(node: cst.CSTNode) -> Iterator[cst.Name]:
    """Names that are variables (not attribute names, keywords, import names)."""
    stack: list[cst.CSTNode] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, (cst.Import, cst.ImportFrom)):
            continue
        if isinstance(n, cst.Name):
            yield n
            continue
        if isinstance(n, cst.Attribute):
            stack.append(n.value)
            continue
        if isinstance(n, cst.Arg):
            stack.append(n.value)
            continue
        stack.extend(n.children)


def _bound(node: cst.CSTNode) -> set[str]:
    """Names bound anywhere in `node` (assignments, loops, with/except targets, parameters,
    comprehension targets, nested definitions, imports)."""
    out: set[str] = set()
    for n in _walk(node):
        targets: list[cst.CSTNode] = []
        if isinstance(n, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign, cst.NamedExpr, cst.For, cst.CompFor)):
            targets.append(n.target)
        elif isinstance(n, (cst.AsName, cst.Param)):
            targets.append(n.name)
        elif isinstance(n, (cst.FunctionDef, cst.ClassDef)):
            out.add(n.name.value)
        elif isinstance(n, cst.ImportAlias):
            out.add(n.asname.name.value if n.asname is not None and isinstance(n.asname.name, cst.Name)  # type: ignore[union-attr]
                    else cst.helpers.get_full_name_for_node(n.name).split(".")[0])  # type: ignore[union-attr]
        for t in targets:
            out |= {m.value for m in _plain_names(t)}
    return out


def _fresh(name: str, taken: set[str]) -> str:
    return _fresh_part(name, "value", taken)


def _only(line: cst.CSTNode) -> cst.BaseSmallStatement | None:
    """The one small statement of a simple statement line, else None."""
    return line.body[0] if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1 else None


def _key(sub: cst.Subscript) -> str | None:
    if len(sub.slice) != 1 or not isinstance(sub.slice[0].slice, cst.Index):
        return None
    v = sub.slice[0].slice.value
    if isinstance(v, cst.SimpleString) and v.prefix == "":
        s = v.evaluated_value
        return s if isinstance(s, str) else None
    return None


def _returned(ret: cst.BaseExpression) -> list[str | dict[str, str]] | None:
    """`graph, dict(k=v, ...)` -> ['graph', {'k': 'v'}]; names and at most one dict of names."""
    elems = [e.value for e in ret.elements] if isinstance(ret, cst.Tuple) else [ret]
    out: list[str | dict[str, str]] = []
    for e in elems:
        if isinstance(e, cst.Name):
            out.append(e.value)
        elif isinstance(e, cst.Call) and isinstance(e.func, cst.Name) and e.func.value == "dict" and all(
                a.keyword is not None and not a.star and isinstance(a.value, cst.Name) for a in e.args):
            out.append({a.keyword.value: a.value.value for a in e.args})  # type: ignore[union-attr,attr-defined]
        elif isinstance(e, cst.Dict) and all(
                isinstance(el, cst.DictElement) and isinstance(el.key, cst.SimpleString) and el.key.prefix == ""
                and isinstance(el.key.evaluated_value, str) and isinstance(el.value, cst.Name) for el in e.elements):
            out.append({el.key.evaluated_value: el.value.value for el in e.elements})  # type: ignore[union-attr,misc]
        else:
            return None
    if sum(isinstance(o, dict) for o in out) > 1:
        return None
    return out


# 1. the builder written into its caller -----------------------------------------------------
def _inline_builder(module: cst.Module, text: str) -> tuple[str, list[int]] | None:
    funcs = {st.name.value: st for st in module.body if isinstance(st, cst.FunctionDef)}
    for name, fn in funcs.items():
        found = _builder_site(module, funcs, name, fn)
        if found is not None:
            return _splice(module, text, fn, *found)
    return None


def _builder_site(module: cst.Module, funcs: dict[str, cst.FunctionDef], name: str, fn: cst.FunctionDef):  # type: ignore[no-untyped-def]
    if fn.decorators or fn.params.star_arg not in (None, cst.MaybeSentinel.DEFAULT) or fn.params.posonly_params \
            or fn.params.kwonly_params or fn.params.star_kwarg is not None or fn.asynchronous is not None \
            or not isinstance(fn.body, cst.IndentedBlock) or len(fn.body.body) < 2:
        return None
    ret = _only(fn.body.body[-1])
    if not isinstance(ret, cst.Return) or ret.value is None:
        return None
    if any(isinstance(n, (cst.Return, cst.Yield, cst.Global, cst.Nonlocal, cst.Await)) and n is not ret
           for n in _walk(fn.body)):
        return None
    shape = _returned(ret.value)
    if shape is None or not any(isinstance(s, dict) for s in shape):
        return None
    uses = [n for n in _plain_names(module) if n.value == name]
    calls = [c for c in _walk(module) if isinstance(c, cst.Call) and isinstance(c.func, cst.Name) and c.func.value == name]
    if len(uses) != 2 or len(calls) != 1:  # the def's name and the call
        return None
    call = calls[0]
    bindings = _bindings(fn.params, call)
    if bindings is None:
        return None
    for caller in funcs.values():
        if caller is fn or not isinstance(caller.body, cst.IndentedBlock):
            continue
        for i, st in enumerate(caller.body.body):
            small = _only(st)
            if isinstance(small, cst.Assign) and small.value is call and len(small.targets) == 1:
                target = small.targets[0].target
                names = [e.value for e in target.elements] if isinstance(target, cst.Tuple) else [target]
                if len(names) != len(shape) or not all(isinstance(n, cst.Name) for n in names):
                    return None
                if len(shape) == 1 and isinstance(target, cst.Tuple):
                    return None
                return caller, i, [n.value for n in names], shape, bindings  # type: ignore[attr-defined]
    return None


def _literal(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        node = node.expression
    return isinstance(node, (cst.Integer, cst.Float, cst.SimpleString)) or (
        isinstance(node, cst.Name) and node.value in ("True", "False", "None"))


def _bindings(params: cst.Parameters, call: cst.Call) -> list[tuple[str, cst.BaseExpression, bool]] | None:
    """The builder's parameters bound by the call: (name, value, from the call). A default
    counts only when it is a literal (it was evaluated when the function was defined)."""
    names = [p.name.value for p in params.params]
    given: dict[str, cst.BaseExpression] = {}
    for k, a in enumerate(call.args):
        if a.star:
            return None
        if a.keyword is None:
            if k >= len(names) or any(b.keyword is not None for b in call.args[:k]):
                return None
            given[names[k]] = a.value
        elif a.keyword.value in names and a.keyword.value not in given:
            given[a.keyword.value] = a.value
        else:
            return None
    out: list[tuple[str, cst.BaseExpression, bool]] = []
    for p in params.params:
        if p.name.value in given:
            out.append((p.name.value, given[p.name.value], True))
        elif p.default is not None and _literal(p.default):
            out.append((p.name.value, p.default, False))
        else:
            return None
    return out


class _CallerEdits(cst.CSTTransformer):
    """Renames (caller locals the body uses) and `m['k']` -> the body's name, line for line."""

    def __init__(self, renames: dict[str, str], dicts: dict[str, dict[str, str]], skip: cst.CSTNode) -> None:
        self.renames = renames
        self.dicts = dicts
        self.skip = skip  # the call's targets (the call's arguments are the caller's code)
        self.ok = True

    def visit_AssignTarget(self, node: cst.AssignTarget) -> bool:
        return node is not self.skip

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        return updated.with_changes(attr=original.attr)

    def visit_Subscript(self, node: cst.Subscript) -> bool:
        return not (isinstance(node.value, cst.Name) and node.value.value in self.dicts)

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        return updated.with_changes(keyword=original.keyword)

    def leave_Subscript(self, original: cst.Subscript, updated: cst.Subscript) -> cst.BaseExpression:
        if isinstance(original.value, cst.Name) and original.value.value in self.dicts:
            key = _key(original)
            names = self.dicts[original.value.value]
            if key is None or key not in names or "\n" in cst.Module([]).code_for_node(original):
                self.ok = False
                return updated
            return cst.Name(names[key], lpar=updated.lpar, rpar=updated.rpar)
        return updated

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        if original.value in self.dicts:  # a dict read other than `m['k']`
            self.ok = False
        new = self.renames.get(original.value)
        return updated.with_changes(value=new) if new is not None else updated


def _splice(module: cst.Module, text: str, fn: cst.FunctionDef, caller: cst.FunctionDef, index: int,
            targets: list[str], shape: list,  # type: ignore[type-arg]
            bindings: list[tuple[str, cst.BaseExpression, bool]]) -> tuple[str, list[int]] | None:
    assert isinstance(caller.body, cst.IndentedBlock) and isinstance(fn.body, cst.IndentedBlock)
    call_line = caller.body.body[index]
    call_assign = _only(call_line)
    assert isinstance(call_assign, cst.Assign)
    if any(isinstance(n, (cst.Global, cst.Nonlocal)) for n in _walk(caller)):
        return None
    body = list(fn.body.body[:-1])
    doc: str | None = None
    if body and isinstance(_only(body[0]), cst.Expr) and isinstance(_only(body[0]).value, cst.SimpleString):  # type: ignore[union-attr]
        doc = _only(body[0]).value.evaluated_value  # type: ignore[union-attr]
        body = body[1:]  # the docstring
    if not body:
        return None
    inner = cst.IndentedBlock(body=body)
    params = {name for name, _v, _c in bindings}
    used_inner = {n.value for n in _plain_names(inner)} | params
    bound_inner = _bound(inner) | params
    caller_rest = [st for st in caller.body.body if st is not call_line]
    bound_caller = _bound(caller.params) | set().union(*(_bound(st) for st in caller_rest))
    read_caller = {n.value for st in caller_rest for n in _plain_names(st)}
    read_caller |= {n.value for _p, v, from_call in bindings if from_call for n in _plain_names(v)}
    renames: dict[str, str] = {}
    dicts: dict[str, dict[str, str]] = {}
    taken = {n.value for n in _plain_names(module)} | _bound(module)
    for t, s in zip(targets, shape):
        if isinstance(s, dict):
            if t in bound_caller:
                return None
            dicts[t] = s
        elif t != s:
            if t in bound_caller or s in read_caller:
                return None
            renames[t] = s
    caller_params = {p.name.value for n in _walk(caller) if isinstance(n, cst.Parameters)
                     for p in [*n.params, *n.kwonly_params, *n.posonly_params]}
    for n in sorted(bound_caller & used_inner):
        if n in renames or n in dicts or n in caller_params:  # a parameter may be passed by keyword
            return None
        renames[n] = _fresh(n, taken)
    # a name the caller reads from outside (a global) that the body binds
    returned = {s for s in shape if isinstance(s, str)}
    if (read_caller - bound_caller - set(renames) - set(dicts) - returned) & bound_inner:
        return None
    edits = _CallerEdits(renames, dicts, call_assign.targets[0])
    new_caller = caller.visit(edits)
    if not edits.ok:
        return None
    # one module with the caller edited (line for line), then the lines moved
    module1 = module.with_changes(body=[new_caller if st is caller else st for st in module.body])
    text1 = module1.code
    if text1.count("\n") != text.count("\n"):
        return None
    wrapper = MetadataWrapper(cst.parse_module(text1), unsafe_skip_copy=True)
    pos = wrapper.resolve(PositionProvider)
    mod2 = wrapper.module
    fn2 = next(st for st in mod2.body if isinstance(st, cst.FunctionDef) and st.name.value == fn.name.value)
    caller2 = next(st for st in mod2.body if isinstance(st, cst.FunctionDef) and st.name.value == caller.name.value)
    assert isinstance(fn2.body, cst.IndentedBlock) and isinstance(caller2.body, cst.IndentedBlock)
    first = fn2.body.body[len(fn.body.body) - 1 - len(body)]
    ret = fn2.body.body[-1]
    # the body's lines: from its first statement's comments to the line before the return's
    b_start = pos[first].start.line - len(first.leading_lines)
    b_end = pos[ret].start.line - len(ret.leading_lines) - 1
    # the builder's own lines, with its leading comments and blank lines
    f_start = pos[fn2].start.line - len(fn2.leading_lines)
    f_end = pos[fn2].end.line
    line = caller2.body.body[index]
    c_start, c_end = pos[line].start.line, pos[line].end.line
    lines = text1.splitlines(keepends=True)
    if not text1.endswith("\n"):
        return None
    # the parameters, bound where the call was: `units = n_hidden`
    call2 = _only(line).value  # type: ignore[union-attr]
    indent = lines[b_start - 1][:len(lines[b_start - 1]) - len(lines[b_start - 1].lstrip())]
    heads: list[str] = []
    for name, value, from_call in bindings:
        if from_call:  # the same argument of the edited call (renamed names)
            value = next(a.value for k, a in enumerate(call2.args)  # type: ignore[union-attr]
                         if (a.keyword is not None and a.keyword.value == name)
                         or (a.keyword is None and [p.name.value for p in fn.params.params][k] == name))
        src = cst.Module([]).code_for_node(value)
        if "\n" in src:
            return None
        if src != name:
            heads.append(f"{indent}{name} = {src}\n")
    # what documented the builder (the comments above its `def`, its docstring) stays, as
    # comments where its body now is
    notes = [f"{indent}{t.strip()}\n" for t in lines[f_start - 1:pos[fn2].start.line - 1] if t.strip().startswith("#")]
    if isinstance(doc, str) and doc.strip():
        paragraph = [t.strip() for t in doc.strip().splitlines()]
        notes += [f"{indent}# {fn.name.value}: {paragraph[0]}\n", *(f"{indent}# {t}".rstrip() + "\n" for t in paragraph[1:])]
    origin = list(range(1, len(lines) + 1))
    new: list[str] = []
    new_origin: list[int] = []
    ln = 1
    while ln <= len(lines):
        if f_start <= ln <= f_end:
            ln = f_end + 1
            continue
        if ln == c_start:
            new += notes + heads + lines[b_start - 1:b_end]
            new_origin += [origin[c_start - 1]] * (len(notes) + len(heads)) + origin[b_start - 1:b_end]
            ln = c_end + 1
            continue
        new.append(lines[ln - 1])
        new_origin.append(origin[ln - 1])
        ln += 1
    # the builder's trailing comment lines (after its body) stay out; blank lines after the
    # removed definition: the next statement keeps its own
    out = "".join(new)
    try:
        cst.parse_module(out)
    except cst.ParserSyntaxError:
        return None
    return out, new_origin


# 2. a final LSTM state fetched whole ---------------------------------------------------------
def _lstm_states(module: cst.Module) -> dict[str, cst.CSTNode]:
    """`outputs, state = <...>.dynamic_rnn(cell, ...)` with `cell = <...>LSTMCell(...)`: state -> scope."""
    out: dict[str, cst.CSTNode] = {}
    scopes: list[cst.CSTNode] = [module] + [st for st in module.body if isinstance(st, cst.FunctionDef)]
    for scope in scopes:
        cells: dict[str, str] = {}
        for n in _walk(scope):
            if isinstance(n, cst.Assign) and len(n.targets) == 1 and isinstance(n.targets[0].target, cst.Name) \
                    and isinstance(n.value, cst.Call):
                full = cst.helpers.get_full_name_for_node(n.value.func) or ""
                cells[n.targets[0].target.value] = full.rsplit(".", 1)[-1]
        for n in _walk(scope):
            if isinstance(n, cst.Assign) and len(n.targets) == 1 and isinstance(n.value, cst.Call) \
                    and (cst.helpers.get_full_name_for_node(n.value.func) or "").endswith("nn.dynamic_rnn") \
                    and isinstance(n.targets[0].target, cst.Tuple) and len(n.targets[0].target.elements) == 2 \
                    and isinstance(n.targets[0].target.elements[1].value, cst.Name) and n.value.args \
                    and isinstance(n.value.args[0].value, cst.Name) \
                    and cells.get(n.value.args[0].value.value) in ("BasicLSTMCell", "LSTMCell"):
                out[n.targets[0].target.elements[1].value.value] = scope
    return out


class _StateSplit(cst.CSTTransformer):
    def __init__(self, edits: dict[int, tuple[list, str]], reads: dict[int, str]) -> None:  # type: ignore[type-arg]
        self.edits = edits  # id(Assign) -> (new fetch elements, new target elements)
        self.reads = reads  # id(read) -> new name

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        e = self.edits.get(id(original))
        if e is None:
            return updated
        targets, fetches = e
        call = updated.value
        assert isinstance(call, cst.Call)
        lst = call.args[0].value
        assert isinstance(lst, (cst.List, cst.Tuple))
        tgt = updated.targets[0].target
        assert isinstance(tgt, (cst.Tuple, cst.List))
        new_fetch = _expand(lst.elements, fetches)
        new_target = _expand(tgt.elements, targets)
        return updated.with_changes(
            targets=[updated.targets[0].with_changes(target=tgt.with_changes(elements=new_target))],
            value=call.with_changes(args=[call.args[0].with_changes(value=lst.with_changes(elements=new_fetch)),
                                          *call.args[1:]]))

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        new = self.reads.get(id(original))
        return cst.Name(new, lpar=updated.lpar, rpar=updated.rpar) if new is not None else updated

    def leave_Subscript(self, original: cst.Subscript, updated: cst.Subscript) -> cst.BaseExpression:
        new = self.reads.get(id(original))
        return cst.Name(new, lpar=updated.lpar, rpar=updated.rpar) if new is not None else updated


def _expand(elements, replace: dict[int, list[cst.BaseExpression]]) -> list[cst.Element]:  # type: ignore[no-untyped-def]
    out: list[cst.Element] = []
    for i, e in enumerate(elements):
        for v in replace.get(i, [e.value]):
            out.append(cst.Element(v))
    for i, e in enumerate(out[:-1]):
        out[i] = e.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    return out


def _part(parent: cst.CSTNode | None, n: cst.Name) -> str | None:
    """`st.h` / `st.c` / `st[1]` / `st[0]` (`st[-1]` / `st[-2]`) of an LSTMStateTuple(c, h)."""
    if isinstance(parent, cst.Attribute) and parent.value is n and parent.attr.value in ("h", "c"):
        return parent.attr.value
    if isinstance(parent, cst.Subscript) and parent.value is n:
        k = _int_index(parent)
        return {0: "c", 1: "h", -2: "c", -1: "h"}.get(k) if k is not None else None
    return None


def _split_state_fetches(module: cst.Module) -> cst.Module | None:
    states = _lstm_states(module)
    if not states:
        return None
    parents: dict[int, cst.CSTNode] = {}
    for n in _walk(module):
        for c in n.children:
            parents[id(c)] = n
    taken = {n.value for n in _plain_names(module)}
    edits: dict[int, tuple[dict[int, list], dict[int, list]]] = {}  # type: ignore[type-arg]
    reads: dict[int, str] = {}
    for state, scope in states.items():
        for n in _walk(scope):
            if not (isinstance(n, cst.Assign) and len(n.targets) == 1 and isinstance(n.value, cst.Call)
                    and isinstance(n.value.func, cst.Attribute) and n.value.func.attr.value == "run"
                    and n.value.args and n.value.args[0].keyword is None
                    and isinstance(n.value.args[0].value, (cst.List, cst.Tuple))
                    and isinstance(n.targets[0].target, (cst.Tuple, cst.List))):
                continue
            fetches = n.value.args[0].value.elements
            tgts = n.targets[0].target.elements
            if len(fetches) != len(tgts) or any(isinstance(e, cst.StarredElement) for e in [*fetches, *tgts]):
                continue
            for i, (f, t) in enumerate(zip(fetches, tgts)):
                if not (isinstance(f.value, cst.Name) and f.value.value == state and isinstance(t.value, cst.Name)):
                    continue
                fetched = t.value.value
                uses = [u for u in _plain_names(scope) if u.value == fetched and u is not t.value]
                parts = [_part(parents.get(id(u)), u) for u in uses]
                if not uses or None in parts or fetched in _bound_except(scope, t.value):
                    continue
                order = [p for p in ("c", "h") if p in parts]
                names = {p: _fresh_part(fetched, p, taken) for p in order}
                fe, te = edits.setdefault(id(n), ({}, {}))
                fe[i] = [cst.Name(names[p]) for p in order]
                te[i] = [cst.Attribute(cst.Name(state), cst.Name(p)) for p in order]
                for u, p in zip(uses, parts):
                    reads[id(parents[id(u)])] = names[p]  # type: ignore[index]
    if not edits:
        return None
    return module.visit(_StateSplit({k: (v[0], v[1]) for k, v in edits.items()}, reads))


def _bound_except(scope: cst.CSTNode, target: cst.Name) -> set[str]:
    """Names bound in `scope` other than by `target` itself."""
    out: set[str] = set()
    for n in _walk(scope):
        if isinstance(n, cst.AssignTarget):
            out |= {m.value for m in _plain_names(n.target) if m is not target}
        elif isinstance(n, (cst.AugAssign, cst.For, cst.CompFor, cst.NamedExpr, cst.AnnAssign)):
            out |= {m.value for m in _plain_names(n.target)}
        elif isinstance(n, cst.AsName):
            out |= {m.value for m in _plain_names(n.name)}
    return out


def _fresh_part(name: str, part: str, taken: set[str]) -> str:
    new = f"{name}_{part}"
    i = 2
    while new in taken:
        new = f"{name}_{part}{i}"
        i += 1
    taken.add(new)
    return new


# 3./4. zero states fed back, a MultiRNNCell's final state read by layer ------------------------
def _unrolls(scope: cst.CSTNode) -> list[tuple[cst.Assign, cst.Call, str]]:
    out = []
    for n in _walk(scope):
        if isinstance(n, cst.Assign) and len(n.targets) == 1 and isinstance(n.value, cst.Call):
            full = cst.helpers.get_full_name_for_node(n.value.func) or ""
            if full.endswith(("nn.static_rnn", "nn.dynamic_rnn")):
                out.append((n, n.value, full.rsplit(".", 1)[-1]))
    return out


def _line_of(parents: dict[int, cst.CSTNode], node: cst.CSTNode) -> cst.CSTNode | None:
    while node is not None and not isinstance(node, cst.SimpleStatementLine):
        node = parents.get(id(node))  # type: ignore[assignment]
    return node


class _Edit(cst.CSTTransformer):
    def __init__(self, drop: set[int], replace: dict[int, cst.CSTNode], after: dict[int, list[cst.BaseStatement]]) -> None:
        self.drop = drop
        self.replace = replace
        self.after = after

    def on_leave(self, original, updated):  # type: ignore[no-untyped-def]
        if id(original) in self.drop:
            return cst.RemovalSentinel.REMOVE
        if id(original) in self.replace:
            return self.replace[id(original)]
        if id(original) in self.after:
            return cst.FlattenSentinel([updated, *self.after[id(original)]])
        return updated


def _stacked_rnn_states(module: cst.Module) -> cst.Module | None:
    parents: dict[int, cst.CSTNode] = {}
    for n in _walk(module):
        for c in n.children:
            parents[id(c)] = n
    drop: set[int] = set()
    replace: dict[int, cst.CSTNode] = {}
    after: dict[int, list[cst.BaseStatement]] = {}
    taken = {n.value for n in _plain_names(module)}
    for scope in [st for st in module.body if isinstance(st, cst.FunctionDef)]:
        for assign, call, kind in _unrolls(scope):
            args = {a.keyword.value: a for a in call.args if a.keyword is not None}
            cell = call.args[0].value if call.args and call.args[0].keyword is None else None
            init = args.get("initial_state")
            if init is not None and isinstance(init.value, cst.Name) and isinstance(cell, cst.Name) and "dtype" not in args:
                zero = _zero_state_feedback(scope, parents, init.value.value, cell.value)
                if zero is not None:
                    lines, dtype = zero
                    drop |= lines
                    replace[id(init)] = init.with_changes(keyword=cst.Name("dtype"), value=dtype)
            target = assign.targets[0].target
            if kind == "static_rnn" and isinstance(target, cst.Tuple) and len(target.elements) == 2 \
                    and isinstance(target.elements[1].value, cst.Name):
                extra = _layer_state_fetch(scope, parents, target.elements[1].value.value, taken)
                if extra is not None:
                    line = _line_of(parents, assign)
                    edits, stmt = extra
                    replace.update(edits)
                    after.setdefault(id(line), []).append(stmt)
    if not drop and not replace and not after:
        return None
    return module.visit(_Edit(drop, replace, after))


def _zero_state_feedback(scope: cst.CSTNode, parents: dict[int, cst.CSTNode], init: str,
                         cell: str) -> tuple[set[int], cst.BaseExpression] | None:
    """The statements of a zero state fed back unchanged, and its dtype."""
    uses = [n for n in _plain_names(scope) if n.value == init]
    binds = [n for n in uses if isinstance(parents.get(id(n)), cst.AssignTarget)]
    if len(binds) != 1:
        return None
    zero_assign = parents[id(parents[id(binds[0])])]
    z = zero_assign.value if isinstance(zero_assign, cst.Assign) else None
    if not (isinstance(z, cst.Call) and isinstance(z.func, cst.Attribute) and z.func.attr.value == "zero_state"
            and isinstance(z.func.value, cst.Name) and z.func.value.value == cell and len(z.args) == 2
            and all(a.keyword is None for a in z.args)):
        return None
    lines = {id(_line_of(parents, zero_assign))}
    rest = [n for n in uses if n is not binds[0]]
    # `initial_state=init`, `state = sess.run(init)`, `for layer, s in zip(init, state): feed[layer] = s`
    fetched: str | None = None
    loop: cst.For | None = None
    for n in rest:
        p = parents.get(id(n))
        if isinstance(p, cst.Arg) and p.keyword is not None and p.keyword.value == "initial_state":
            continue
        if isinstance(p, cst.Arg) and isinstance(parents.get(id(p)), cst.Call):
            run = parents[id(p)]
            holder = parents.get(id(run))
            if isinstance(run.func, cst.Attribute) and run.func.attr.value == "run" and len(run.args) == 1 \
                    and isinstance(holder, cst.Assign) and len(holder.targets) == 1 \
                    and isinstance(holder.targets[0].target, cst.Name) and fetched is None:
                fetched = holder.targets[0].target.value
                lines.add(id(_line_of(parents, holder)))
                continue
            if isinstance(run.func, cst.Name) and run.func.value == "zip" and len(run.args) == 2 and run.args[0] is p:
                f = parents.get(id(run))
                if isinstance(f, cst.For) and f.iter is run and loop is None:
                    loop = f
                    continue
        return None
    if fetched is None or loop is None:
        return None
    second = loop.iter.args[1].value  # type: ignore[attr-defined]
    tgt = loop.target
    body = loop.body.body if isinstance(loop.body, cst.IndentedBlock) else []
    small = _only(body[0]) if len(body) == 1 else None
    if not (isinstance(second, cst.Name) and second.value == fetched and isinstance(tgt, cst.Tuple)
            and len(tgt.elements) == 2 and all(isinstance(e.value, cst.Name) for e in tgt.elements)
            and loop.orelse is None and isinstance(small, cst.Assign) and len(small.targets) == 1
            and isinstance(small.targets[0].target, cst.Subscript) and isinstance(small.targets[0].target.value, cst.Name)
            and _key_name(small.targets[0].target) == tgt.elements[0].value.value  # type: ignore[attr-defined]
            and isinstance(small.value, cst.Name) and small.value.value == tgt.elements[1].value.value):  # type: ignore[attr-defined]
        return None
    if len([n for n in _plain_names(scope) if n.value == fetched]) != 2:  # bound, zip(..., state), nothing else
        return None
    # the dict written is only ever a feed: bound to dict literals, written here, passed as
    # the feed_dict of runs
    feed = small.targets[0].target.value.value  # type: ignore[attr-defined]
    for n in _plain_names(scope):
        if n.value != feed or n is small.targets[0].target.value:  # type: ignore[attr-defined]
            continue
        p = parents.get(id(n))
        if isinstance(p, cst.AssignTarget) and isinstance(parents.get(id(p)), cst.Assign) \
                and isinstance(parents[id(p)].value, cst.Dict):  # type: ignore[attr-defined]
            continue
        call = parents.get(id(p)) if isinstance(p, cst.Arg) else None
        if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == "run" \
                and ((p.keyword is not None and p.keyword.value == "feed_dict")  # type: ignore[union-attr]
                     or (p.keyword is None and len(call.args) > 1 and call.args[1] is p)):
            continue
        return None
    lines.add(id(loop))
    return lines, z.args[1].value


def _key_name(sub: cst.Subscript) -> str | None:
    if len(sub.slice) == 1 and isinstance(sub.slice[0].slice, cst.Index) and isinstance(sub.slice[0].slice.value, cst.Name):
        return sub.slice[0].slice.value.value
    return None


def _int_index(sub: cst.CSTNode | None) -> int | None:
    if not (isinstance(sub, cst.Subscript) and len(sub.slice) == 1 and isinstance(sub.slice[0].slice, cst.Index)):
        return None
    v = sub.slice[0].slice.value
    if isinstance(v, cst.Integer):
        return int(v.value)
    if isinstance(v, cst.UnaryOperation) and isinstance(v.operator, cst.Minus) and isinstance(v.expression, cst.Integer):
        return -int(v.expression.value)
    return None


def _layer_state_fetch(scope: cst.CSTNode, parents: dict[int, cst.CSTNode], state: str,
                       taken: set[str]):  # type: ignore[no-untyped-def]
    """`c, fs = sess.run([cost, final_state])` with `fs` read only as `fs[k]` (one k)."""
    for n in _walk(scope):
        if not (isinstance(n, cst.Assign) and len(n.targets) == 1 and isinstance(n.value, cst.Call)
                and isinstance(n.value.func, cst.Attribute) and n.value.func.attr.value == "run"
                and n.value.args and isinstance(n.value.args[0].value, (cst.List, cst.Tuple))
                and isinstance(n.targets[0].target, (cst.Tuple, cst.List))):
            continue
        fetches = n.value.args[0].value.elements
        tgts = n.targets[0].target.elements
        if len(fetches) != len(tgts):
            continue
        for f, t in zip(fetches, tgts):
            if not (isinstance(f.value, cst.Name) and f.value.value == state and isinstance(t.value, cst.Name)):
                continue
            fetched = t.value.value
            uses = [u for u in _plain_names(scope) if u.value == fetched and u is not t.value]
            ks = {_int_index(parents.get(id(u))) for u in uses}
            if not uses or None in ks or len(ks) != 1 or fetched in _bound_except(scope, t.value):
                return None
            k = ks.pop()
            suffix = "last" if k == -1 else str(k)
            # `fs[k].h` everywhere (an LSTM layer's state read by part): fetch that part
            grand = [parents.get(id(parents[id(u)])) for u in uses]
            attrs = {g.attr.value if isinstance(g, cst.Attribute) and g.value is parents[id(u)] else None
                     for g, u in zip(grand, uses)}
            part = attrs.pop() if len(attrs) == 1 and attrs <= {"h", "c"} else None
            suffix += f"_{part}" if part else ""
            graph_name = _fresh_part(state, suffix, taken)
            value_name = _fresh_part(fetched, suffix, taken)
            edits: dict[int, cst.CSTNode] = {id(f): f.with_changes(value=cst.Name(graph_name)),
                                            id(t): t.with_changes(value=cst.Name(value_name))}
            for u, g in zip(uses, grand):
                edits[id(g if part else parents[id(u)])] = cst.Name(value_name)
            stmt = cst.parse_statement(f"{graph_name} = {state}[{k}]{'.' + part if part else ''}\n")
            return edits, stmt
    return None


# 5. one cell unrolled by static_rnn ------------------------------------------------------------
SINGLE_CELLS = ("BasicLSTMCell", "LSTMCell", "GRUCell")


def _single_cell_static(module: cst.Module) -> cst.Module | None:
    parents: dict[int, cst.CSTNode] = {}
    for n in _walk(module):
        for c in n.children:
            parents[id(c)] = n
    taken = {n.value for n in _plain_names(module)} | _bound(module)
    replace: dict[int, cst.CSTNode] = {}
    after: dict[int, list[cst.BaseStatement]] = {}
    for scope in [module] + [st for st in module.body if isinstance(st, cst.FunctionDef)]:
        cells: dict[str, list[str]] = {}
        for n in _walk(scope):
            if isinstance(n, cst.Assign) and len(n.targets) == 1 and isinstance(n.targets[0].target, cst.Name):
                full = cst.helpers.get_full_name_for_node(n.value.func) if isinstance(n.value, cst.Call) else None
                cells.setdefault(n.targets[0].target.value, []).append((full or "").rsplit(".", 1)[-1])
        for assign, call, kind in _unrolls(scope):
            full = cst.helpers.get_full_name_for_node(call.func) or ""
            target = assign.targets[0].target
            if kind != "static_rnn" or not full.endswith("nn.static_rnn") or not isinstance(call.func, cst.Attribute) \
                    or id(assign) in replace:
                continue
            if not (isinstance(target, cst.Tuple) and len(target.elements) == 2
                    and isinstance(target.elements[0].value, cst.Name)):
                continue
            pos = [a for a in call.args if a.keyword is None]
            kw = {a.keyword.value: a for a in call.args if a.keyword is not None}
            if len(pos) != 2 or set(kw) != {"dtype"} or any(a.star for a in call.args):
                continue
            cell = pos[0].value
            if not (isinstance(cell, cst.Name) and cells.get(cell.value) in ([k] for k in SINGLE_CELLS)):
                continue
            line = _line_of(parents, assign)
            if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
                continue
            root = full.split(".", 1)[0]
            outputs = target.elements[0].value.value  # type: ignore[attr-defined]
            seq = _fresh_part(outputs, "sequence", taken)
            steps = cst.Module([]).code_for_node(pos[1].value)
            new_call = call.with_changes(
                func=call.func.with_changes(attr=cst.Name("dynamic_rnn")),
                args=[pos[0], pos[1].with_changes(value=cst.parse_expression(f"{root}.stack({steps}, axis=1)")),
                      kw["dtype"]])
            new_target = target.with_changes(elements=[target.elements[0].with_changes(value=cst.Name(seq)),
                                                       *target.elements[1:]])
            replace[id(assign)] = assign.with_changes(targets=[assign.targets[0].with_changes(target=new_target)],
                                                      value=new_call)
            after[id(line)] = [cst.parse_statement(f"{outputs} = {root}.unstack({seq}, axis=1)\n")]
    if not replace:
        return None
    return module.visit(_Edit(set(), replace, after))
