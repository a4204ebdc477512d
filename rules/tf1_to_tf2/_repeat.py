"""TF2120's preparation (Pack.prepare, with _builders.py): slim-style model functions
written with a `repeat` helper and functools.partial, made plain for TF2130.

Not a rule module. ``expand(text)`` rewrites TF1 source into equivalent TF1 source; the
engine keeps the rewrite only when TF2120 then converts the file (``_builders.Prepared``).
Each step below changes how the TF1 program is spelled, never what it computes or the
names of its variables.

1. A module-level ``repeat``-shaped helper (any names)

       def repeat(inputs, repetitions, layer, *args, **kwargs):
           scope = kwargs.pop('scope')
           outputs = inputs
           with tf.variable_scope(scope):
               for i in range(repetitions):
                   kwargs['name'] = '%s_%d' % (scope, i + 1)
                   outputs = layer(outputs, *args, **kwargs)
           return outputs

   called in a module-level function as the statement ``net = repeat(x, 2, conv, 8,
   scope='conv1')`` (count an int literal >= 1, scope a string literal, the layer a name
   or an attribute, the other arguments literals or names) becomes the loop unrolled:

       with tf.variable_scope('conv1'):
           net = conv(x, 8, name='conv1_1')
           net = conv(net, 8, name='conv1_2')

   (the scope may also be a keyword-only parameter, `*args, scope=None, **kwargs`, and the
   scope opened as slim's `variable_scope(scope, 'Repeat', [inputs])`: with the scope given
   the default name is unused and the values are a graph check; the loop's index may be
   used as `i` or `i + <int>`; the names are the helper's % format evaluated; a helper of
   any other shape, or a call
   with a computed count or scope, is left as it is and TF2130 says why it refuses it).
   The helper goes when no reference to it is left.
2. ``conv = functools.partial(f, *a, **k)`` in such a function, read only as calls
   ``conv(...)``, becomes ``f(*a, ..., **k, ...)`` at each call (the call's keywords win;
   the partial's arguments are literals or names the function does not rebind).
3. A nested function of straight-line statements ending in ``return <expr>``, called only
   as statements ``t = g(...)`` with literal or name arguments, is written at each call:
   parameters read before the body rebinds them are the arguments; its locals are renamed
   when the enclosing function uses their names; ``'a' + '/b'`` of two literals is folded.
4. In the functions changed above: a tf.layers call named ``'a/b'`` (TF1 opened the scope
   ``a`` for the ``/``) runs under ``with tf.variable_scope('a'):`` named ``'b'`` (the same
   variable names); ``variable_scope(..., values=[...])`` loses ``values`` (a graph check);
   a local Keras regularizer (``r = tf.keras.regularizers.l2(c)``) read only as keyword
   values is written at each read (the object is stateless: same terms).
5. A module alias ``layers = tf.layers`` read only as ``layers.<fn>`` is written
   ``tf.layers.<fn>`` (TF2120 converts tf.layers calls, not the alias binding).
"""

from __future__ import annotations

import libcst as cst
import libcst.helpers

from rules.tf1_to_tf2._builders import _only

_SIMPLE = (cst.Integer, cst.Float, cst.SimpleString, cst.Name)


def _dotted(node: cst.BaseExpression) -> str | None:
    return libcst.helpers.get_full_name_for_node(node) if isinstance(node, (cst.Name, cst.Attribute)) else None


def _walk(node: cst.CSTNode):  # type: ignore[no-untyped-def]
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def _simple(node: cst.BaseExpression) -> bool:
    """A literal (numbers, strings, True/False/None, lists/tuples of them) or a name."""
    if isinstance(node, _SIMPLE):
        return True
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        return isinstance(node.expression, (cst.Integer, cst.Float))
    if isinstance(node, (cst.List, cst.Tuple)):
        return all(isinstance(e, cst.Element) and _simple(e.value) for e in node.elements)
    return False


def _assign_call(st: cst.CSTNode) -> tuple[str, cst.Call] | None:
    """`t = f(...)` -> ('t', call)."""
    a = _only(st)
    if isinstance(a, cst.Assign) and len(a.targets) == 1 and isinstance(a.targets[0].target, cst.Name) \
            and isinstance(a.value, cst.Call):
        return a.targets[0].target.value, a.value
    return None


def _load_names(node: cst.CSTNode) -> list[cst.Name]:
    """Names read or written as variables (not attribute names or keywords)."""
    out: list[cst.Name] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, cst.Name):
            out.append(n)
        elif isinstance(n, (cst.Attribute, cst.Arg)):  # not attribute names or keywords
            stack.append(n.value)
        else:
            stack.extend(n.children)
    return out


def _assigned(node: cst.CSTNode) -> set[str]:
    out: set[str] = set()
    for n in _walk(node):
        if isinstance(n, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign, cst.For, cst.CompFor, cst.NamedExpr)):
            out |= {m.value for m in _load_names(n.target)}
        elif (isinstance(n, (cst.Param, cst.AsName)) and isinstance(n.name, cst.Name)) \
                or isinstance(n, (cst.FunctionDef, cst.ClassDef)):
            out.add(n.name.value)  # type: ignore[union-attr]
    return out


class _Subst(cst.CSTTransformer):
    """Replace variable names (not attributes or keywords) by expressions."""

    def __init__(self, env: dict[str, cst.BaseExpression]) -> None:
        self.env = env

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        return True

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        return updated.with_changes(attr=original.attr)

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        return updated.with_changes(keyword=original.keyword)

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        new = self.env.get(original.value)
        return new.deep_clone() if new is not None else updated


class _Fold(cst.CSTTransformer):
    """`'a' + '/b'` (two plain string literals) -> `'a/b'`."""

    def leave_BinaryOperation(self, original: cst.BinaryOperation, updated: cst.BinaryOperation) -> cst.BaseExpression:
        l, r = updated.left, updated.right
        if isinstance(updated.operator, cst.Add) and isinstance(l, cst.SimpleString) and isinstance(r, cst.SimpleString) \
                and l.prefix == r.prefix == "" and isinstance(l.evaluated_value, str) and isinstance(r.evaluated_value, str):
            return cst.SimpleString(repr(l.evaluated_value + r.evaluated_value))
        return updated


# 1. repeat helpers ---------------------------------------------------------------------------
class _Helper:
    def __init__(self, scope_call: cst.BaseExpression, key: str, fmt: str, offset: int) -> None:
        self.scope_call = scope_call  # tf.variable_scope
        self.key = key  # the keyword the loop sets ('name' / 'scope')
        self.fmt = fmt  # '%s_%d'
        self.offset = offset  # i + 1


def _helper(fn: cst.FunctionDef) -> _Helper | None:
    p = fn.params
    # the scope: popped from **kwargs (`scope = kwargs.pop('scope')`) or a keyword-only
    # parameter (`*args, scope=None, **kwargs` / `*args, scope, **kwargs`)
    kwonly = list(p.kwonly_params)
    if fn.decorators or fn.asynchronous is not None or p.posonly_params or len(kwonly) > 1 \
            or len(p.params) != 3 or any(q.default is not None for q in p.params) \
            or not isinstance(p.star_arg, cst.Param) or p.star_kwarg is None \
            or not isinstance(fn.body, cst.IndentedBlock) or len(fn.body.body) != 4 - len(kwonly):
        return None
    if kwonly and not (kwonly[0].default is None or (isinstance(kwonly[0].default, cst.Name) and kwonly[0].default.value == "None")):
        return None
    x, n, layer = (q.name.value for q in p.params)
    args, kwargs = p.star_arg.name.value, p.star_kwarg.name.value
    b = list(fn.body.body)
    if kwonly:
        scope = kwonly[0].name.value
        b.insert(0, cst.SimpleStatementLine([cst.Pass()]))  # the pop's place
    else:
        s0 = _only(b[0])
        # scope = kwargs.pop('scope')
        if not (isinstance(s0, cst.Assign) and len(s0.targets) == 1 and isinstance(s0.targets[0].target, cst.Name)
                and isinstance(s0.value, cst.Call) and _dotted(s0.value.func) == f"{kwargs}.pop"
                and len(s0.value.args) == 1 and isinstance(s0.value.args[0].value, cst.SimpleString)
                and s0.value.args[0].value.evaluated_value == "scope" and s0.value.args[0].keyword is None):
            return None
        scope = s0.targets[0].target.value
    s1, s3 = _only(b[1]), _only(b[3])
    # outputs = inputs
    if not (isinstance(s1, cst.Assign) and len(s1.targets) == 1 and isinstance(s1.targets[0].target, cst.Name)
            and isinstance(s1.value, cst.Name) and s1.value.value == x):
        return None
    out = s1.targets[0].target.value
    # return outputs
    if not (isinstance(s3, cst.Return) and isinstance(s3.value, cst.Name) and s3.value.value == out):
        return None
    w = b[2]
    # with tf.variable_scope(scope) (also slim's `variable_scope(scope, 'Repeat', [inputs])`:
    # a default name, unused with a scope given, and the values, a graph check)
    if not (isinstance(w, cst.With) and len(w.items) == 1 and w.items[0].asname is None
            and isinstance(w.items[0].item, cst.Call) and (_dotted(w.items[0].item.func) or "").endswith("variable_scope")
            and _scope_args(w.items[0].item, scope, x)
            and isinstance(w.body, cst.IndentedBlock) and len(w.body.body) == 1):
        return None
    loop = w.body.body[0]
    if not (isinstance(loop, cst.For) and loop.orelse is None and isinstance(loop.target, cst.Name)
            and isinstance(loop.iter, cst.Call) and _dotted(loop.iter.func) == "range" and len(loop.iter.args) == 1
            and isinstance(loop.iter.args[0].value, cst.Name) and loop.iter.args[0].value.value == n
            and isinstance(loop.body, cst.IndentedBlock) and len(loop.body.body) == 2):
        return None
    i = loop.target.value
    l0, l1 = _only(loop.body.body[0]), _only(loop.body.body[1])
    # kwargs['name'] = '%s_%d' % (scope, i + 1)
    if not (isinstance(l0, cst.Assign) and len(l0.targets) == 1 and isinstance(l0.targets[0].target, cst.Subscript)):
        return None
    sub = l0.targets[0].target
    if not (isinstance(sub.value, cst.Name) and sub.value.value == kwargs and len(sub.slice) == 1
            and isinstance(sub.slice[0].slice, cst.Index) and isinstance(sub.slice[0].slice.value, cst.SimpleString)):
        return None
    key = sub.slice[0].slice.value.evaluated_value
    v = l0.value
    if not (isinstance(v, cst.BinaryOperation) and isinstance(v.operator, cst.Modulo) and isinstance(v.left, cst.SimpleString)
            and v.left.prefix == "" and isinstance(v.right, cst.Tuple) and len(v.right.elements) == 2):
        return None
    fmt = v.left.evaluated_value
    first, second = (e.value for e in v.right.elements)
    if not (isinstance(first, cst.Name) and first.value == scope):
        return None
    if isinstance(second, cst.Name) and second.value == i:
        offset = 0
    elif isinstance(second, cst.BinaryOperation) and isinstance(second.operator, cst.Add) \
            and isinstance(second.left, cst.Name) and second.left.value == i and isinstance(second.right, cst.Integer):
        offset = int(second.right.value)
    else:
        return None
    # outputs = layer(outputs, *args, **kwargs)
    if not (isinstance(l1, cst.Assign) and len(l1.targets) == 1 and isinstance(l1.targets[0].target, cst.Name)
            and l1.targets[0].target.value == out and isinstance(l1.value, cst.Call)
            and isinstance(l1.value.func, cst.Name) and l1.value.func.value == layer and len(l1.value.args) == 3):
        return None
    a0, a1, a2 = l1.value.args
    if not (a0.star == "" and a0.keyword is None and isinstance(a0.value, cst.Name) and a0.value.value == out
            and a1.star == "*" and isinstance(a1.value, cst.Name) and a1.value.value == args
            and a2.star == "**" and isinstance(a2.value, cst.Name) and a2.value.value == kwargs):
        return None
    if not isinstance(key, str) or not isinstance(fmt, str):
        return None
    try:
        fmt % ("s", 1)
    except (TypeError, ValueError):
        return None
    return _Helper(w.items[0].item.func, key, fmt, offset)


def _scope_args(call: cst.Call, scope: str, x: str) -> bool:
    """`variable_scope(scope)`, optionally with a literal default name and values `[x]`."""
    names = ["name_or_scope", "default_name", "values"]
    got: dict[str, cst.BaseExpression] = {}
    for k, a in enumerate(call.args):
        if a.star:
            return False
        key = a.keyword.value if a.keyword is not None else (names[k] if k < len(names) else None)
        if key not in names or key in got:
            return False
        got[key] = a.value
    first = got.get("name_or_scope")
    if not (isinstance(first, cst.Name) and first.value == scope):
        return False
    default = got.get("default_name")
    if default is not None and not isinstance(default, cst.SimpleString):
        return False
    values = got.get("values")
    return values is None or (isinstance(values, (cst.List, cst.Tuple)) and all(
        isinstance(e.value, cst.Name) and e.value.value == x for e in values.elements))


def helper_reason(fn: cst.FunctionDef) -> str | None:
    """Why a `repeat`-shaped helper is still there (TF2130's reason for its callers)."""
    if _helper(fn) is None:
        return None
    return (f"a `repeat`-shaped helper, unrolled by TF2120's preparation only where every call is a statement "
            f"`t = {fn.name.value}(x, <int literal>, <layer>, <literals or names>..., scope='<literal>')` in a function "
            "TF2130 then restructures (the layer a name or attribute: a functools.partial or a nested function of "
            "straight-line statements is written out)")


def _kw(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(value=value, keyword=cst.Name(name), equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))


def _commas(args: list[cst.Arg]) -> list[cst.Arg]:
    out = []
    for k, a in enumerate(args):
        a = a.with_changes(comma=cst.MaybeSentinel.DEFAULT if k == len(args) - 1 else
                           cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")),
                           whitespace_after_arg=cst.SimpleWhitespace(""))
        out.append(a)
    return out


def _expand_repeat(st: cst.BaseStatement, helpers: dict[str, _Helper]) -> cst.BaseStatement | None:
    found = _assign_call(st)
    if found is None:
        return None
    target, call = found
    if not (isinstance(call.func, cst.Name) and call.func.value in helpers):
        return None
    h = helpers[call.func.value]
    pos = [a for a in call.args if a.keyword is None]
    kws = [a for a in call.args if a.keyword is not None]
    if any(a.star for a in call.args) or len(pos) < 3:
        return None
    x, n, layer = (a.value for a in pos[:3])
    if not (isinstance(n, cst.Integer) and int(n.value) >= 1 and isinstance(layer, (cst.Name, cst.Attribute))):
        return None
    scope = next((a.value for a in kws if a.keyword.value == "scope"), None)  # type: ignore[union-attr]
    if not (isinstance(scope, cst.SimpleString) and scope.prefix == "" and isinstance(scope.evaluated_value, str)):
        return None
    rest_pos = [a.value for a in pos[3:]]
    rest_kw = [a for a in kws if a.keyword.value not in ("scope", h.key)]  # type: ignore[union-attr]
    if not all(_simple(v) for v in rest_pos) or not all(_simple(a.value) for a in kws):
        return None
    key_at = next((k for k, a in enumerate(kws) if a.keyword.value == h.key and h.key != "scope"), None)  # type: ignore[union-attr]
    lines = []
    for k in range(int(n.value)):
        name = h.fmt % (scope.evaluated_value, k + h.offset)
        args = [cst.Arg(x.deep_clone() if k == 0 else cst.Name(target))] + [cst.Arg(v.deep_clone()) for v in rest_pos]
        named = [_kw(a.keyword.value, a.value.deep_clone()) for a in rest_kw]  # type: ignore[union-attr]
        named.insert(len(named) if key_at is None else min(key_at, len(named)), _kw(h.key, cst.SimpleString(repr(name))))
        lines.append(cst.SimpleStatementLine([cst.Assign(
            [cst.AssignTarget(cst.Name(target))], cst.Call(layer.deep_clone(), _commas(args + named)))]))
    return cst.With(items=[cst.WithItem(cst.Call(h.scope_call.deep_clone(), [cst.Arg(scope.deep_clone())]))],
                    body=cst.IndentedBlock(lines), leading_lines=st.leading_lines)


# 2. functools.partial ------------------------------------------------------------------------
def _partial_names(module: cst.Module) -> set[str]:
    out: set[str] = set()
    for st in module.body:
        imp = _only(st)
        if isinstance(imp, cst.Import):
            for al in imp.names:
                if _dotted(al.name) == "functools":
                    out.add(f"{al.asname.name.value if al.asname else 'functools'}.partial")  # type: ignore[union-attr]
        elif isinstance(imp, cst.ImportFrom) and imp.module is not None and _dotted(imp.module) == "functools" \
                and not isinstance(imp.names, cst.ImportStar):
            for al in imp.names:
                if _dotted(al.name) == "partial":
                    out.add(al.asname.name.value if al.asname else "partial")  # type: ignore[union-attr]
    return out


class _CallRewrite(cst.CSTTransformer):
    def __init__(self, partials: dict[str, cst.Call]) -> None:
        self.partials = partials

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if not (isinstance(updated.func, cst.Name) and updated.func.value in self.partials):
            return updated
        p = self.partials[updated.func.value]
        f, pargs = p.args[0].value, p.args[1:]
        pos = [a for a in pargs if a.keyword is None] + [a for a in updated.args if a.keyword is None]
        own = {a.keyword.value for a in updated.args if a.keyword is not None}  # type: ignore[union-attr]
        kws = [a for a in pargs if a.keyword is not None and a.keyword.value not in own] + \
              [a for a in updated.args if a.keyword is not None]  # type: ignore[union-attr]
        args = [cst.Arg(a.value.deep_clone()) for a in pos] + [_kw(a.keyword.value, a.value.deep_clone()) for a in kws]  # type: ignore[union-attr]
        return cst.Call(f.deep_clone(), _commas(args))


# the function-level steps ---------------------------------------------------------------------
def _blocks(fn: cst.CSTNode):  # type: ignore[no-untyped-def]
    """The statement blocks of a function (its body and nested with/for/if bodies), not of nested defs."""
    for n in _walk(fn):
        if isinstance(n, cst.IndentedBlock):
            yield n


class _BlockMap(cst.CSTTransformer):
    """Apply `f(statement) -> statements | None` to every statement of every block (not nested defs)."""

    def __init__(self, f, root: cst.CSTNode) -> None:  # type: ignore[no-untyped-def]
        self.f = f
        self.root = root
        self.changed = False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return node is self.root

    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        body: list[cst.BaseStatement] = []
        for orig, st in zip(original.body, updated.body):
            new = self.f(orig)
            if new is None:
                body.append(st)
            else:
                self.changed = True
                body.extend(new)
        return updated.with_changes(body=body)


def _expand_helpers(fn: cst.FunctionDef, helpers: dict[str, _Helper]) -> tuple[cst.FunctionDef, bool]:
    def f(st):  # type: ignore[no-untyped-def]
        new = _expand_repeat(st, helpers)
        return None if new is None else [new]

    m = _BlockMap(f, fn)
    out = fn.visit(m)
    return out, m.changed  # type: ignore[return-value]


def _substitute_partials(fn: cst.FunctionDef, pnames: set[str]) -> tuple[cst.FunctionDef, bool]:
    body = list(fn.body.body)  # type: ignore[union-attr]
    partials: dict[str, cst.Call] = {}
    drop: set[int] = set()
    bound = _assigned(fn) - {st.name.value for st in body if isinstance(st, cst.FunctionDef)}
    for k, st in enumerate(body):
        found = _assign_call(st)
        if found is None or _dotted(found[1].func) not in pnames:
            continue
        name, call = found
        if not call.args or call.args[0].keyword is not None or any(a.star for a in call.args) \
                or not isinstance(call.args[0].value, (cst.Name, cst.Attribute)) \
                or not all(_simple(a.value) for a in call.args[1:]):
            continue
        reads = {m.value for a in call.args for m in _load_names(a.value)}
        if reads & (bound - {q.name.value for q in fn.params.params}):
            continue  # a value the function rebinds: evaluated at each call it could differ
        uses = [m for m in _load_names(fn) if m.value == name]
        calls = [n for n in _walk(fn) if isinstance(n, cst.Call) and isinstance(n.func, cst.Name) and n.func.value == name]
        # every mention: the binding, and the func of a call
        if len(uses) != len(calls) + 1 or sum(1 for n in _walk(fn) if isinstance(n, cst.AssignTarget)
                                              and isinstance(n.target, cst.Name) and n.target.value == name) != 1:
            continue
        if any(a.star for c in calls for a in c.args):
            continue
        partials[name] = call
        drop.add(k)
    if not partials:
        return fn, False
    new_body = [st for k, st in enumerate(body) if k not in drop]
    fn = fn.with_changes(body=fn.body.with_changes(body=new_body))
    return fn.visit(_CallRewrite(partials)), True  # type: ignore[return-value]


def _inline_nested(fn: cst.FunctionDef) -> tuple[cst.FunctionDef, bool]:
    changed = False
    for st in list(fn.body.body):  # type: ignore[union-attr]
        if not isinstance(st, cst.FunctionDef):
            continue
        new = _inline_one(fn, st)
        if new is not None:
            fn, changed = new, True
    return fn, changed


def _inline_one(fn: cst.FunctionDef, g: cst.FunctionDef) -> cst.FunctionDef | None:
    p = g.params
    if g.decorators or g.asynchronous is not None or p.posonly_params or p.kwonly_params \
            or not isinstance(p.star_arg, cst.MaybeSentinel) or p.star_kwarg is not None \
            or any(q.default is not None and not _simple(q.default) for q in p.params) \
            or not isinstance(g.body, cst.IndentedBlock):
        return None
    stmts = list(g.body.body)
    if stmts and isinstance(_only(stmts[0]), cst.Expr) and isinstance(_only(stmts[0]).value, cst.SimpleString):  # type: ignore[union-attr]
        stmts = stmts[1:]
    ret = _only(stmts[-1]) if stmts else None
    if not isinstance(ret, cst.Return) or ret.value is None:
        return None
    body = stmts[:-1]
    for st in body:
        a = _only(st)
        if not (isinstance(a, cst.Assign) and len(a.targets) == 1 and isinstance(a.targets[0].target, cst.Name)):
            return None
    for n in _walk(g.body):
        if isinstance(n, (cst.FunctionDef, cst.Lambda, cst.ClassDef, cst.Global, cst.Nonlocal, cst.Yield, cst.Await,
                          cst.Return)) and n is not ret:
            return None
    params = [q.name.value for q in p.params]
    gname = g.name.value
    # every mention of g in fn (outside g): the func of a statement `t = g(...)`
    outside = [m for st in fn.body.body if st is not g for m in _load_names(st)]  # type: ignore[union-attr]
    sites = [st for b in _blocks(fn) for st in b.body if (c := _assign_call(st)) is not None
             and isinstance(c[1].func, cst.Name) and c[1].func.value == gname]
    if not sites or sum(m.value == gname for m in outside) != len(sites):
        return None
    # locals of g: renamed when fn uses the name elsewhere
    rest = fn.with_changes(body=fn.body.with_changes(body=[st for st in fn.body.body if st is not g]))  # type: ignore[union-attr]
    taken = {m.value for m in outside} | {q.name.value for q in fn.params.params} | _assigned(rest)
    local_names = [a.targets[0].target.value for st in body for a in [_only(st)]]  # type: ignore[union-attr]
    seen = set(params)
    for st in body:  # a local read before g binds it would be fn's (a closure): not followed
        a = _only(st)
        if any(m.value in set(local_names) - seen for m in _load_names(a.value)):  # type: ignore[union-attr]
            return None
        seen.add(a.targets[0].target.value)  # type: ignore[union-attr]
    rename: dict[str, str] = {}
    for name in dict.fromkeys(local_names):
        if name in taken:
            k = 1
            while f"{name}_{k}" in taken:
                k += 1
            rename[name] = f"{name}_{k}"
            taken.add(rename[name])
    # names g reads that are not its own: fn's names (closures) must not be shadowed by a rename
    expansions: dict[int, list[cst.BaseStatement]] = {}
    for site in sites:
        target, call = _assign_call(site)  # type: ignore[misc]
        binding = _bind(p, call)
        if binding is None or not all(_simple(v) for v in binding.values()):
            return None
        env: dict[str, cst.BaseExpression] = dict(binding)
        out: list[cst.BaseStatement] = []
        for st in body:
            a = _only(st)
            assert isinstance(a, cst.Assign)
            value = a.value.visit(_Subst({**{k: cst.Name(v) for k, v in rename.items()}, **env})).visit(_Fold())
            t = a.targets[0].target.value  # type: ignore[union-attr]
            env.pop(t, None)  # a parameter rebound: later reads are the local
            new_t = rename.get(t, t)  # a rebound parameter too: renamed when fn uses its name
            out.append(st.with_changes(body=[a.with_changes(targets=[cst.AssignTarget(cst.Name(new_t))], value=value)],
                                       leading_lines=[]))
        value = ret.value.visit(_Subst({**{k: cst.Name(v) for k, v in rename.items()}, **env})).visit(_Fold())
        out.append(site.with_changes(body=[cst.Assign([cst.AssignTarget(cst.Name(target))], value)]))  # type: ignore[union-attr]
        out[0] = out[0].with_changes(leading_lines=site.leading_lines)  # type: ignore[union-attr]
        expansions[id(site)] = out
    # rebound parameters are locals too: renamed above only when they are `taken`
    new_body = [st for st in fn.body.body if st is not g]  # type: ignore[union-attr]
    fn = fn.with_changes(body=fn.body.with_changes(body=new_body))
    m = _BlockMap(lambda st: expansions.get(id(st)), fn)
    return fn.visit(m)  # type: ignore[return-value]


def _bind(p: cst.Parameters, call: cst.Call) -> dict[str, cst.BaseExpression] | None:
    names = [q.name.value for q in p.params]
    out: dict[str, cst.BaseExpression] = {}
    pos = 0
    for a in call.args:
        if a.star:
            return None
        if a.keyword is None:
            if pos >= len(names):
                return None
            out[names[pos]] = a.value
            pos += 1
        elif a.keyword.value in names and a.keyword.value not in out:
            out[a.keyword.value] = a.value
        else:
            return None
    for q in p.params:
        if q.name.value not in out:
            if q.default is None:
                return None
            out[q.name.value] = q.default
    return out


# 4. scoped names, values=, regularizer locals ----------------------------------------------------
def _scope_func(func: cst.BaseExpression, aliases: dict[str, str]) -> str | None:
    """`tf.layers.batch_normalization` / `layers.x` (layers = tf.layers) -> 'tf.variable_scope'."""
    d = _dotted(func)
    if d is None or "." not in d:
        return None
    head, _fn = d.rsplit(".", 1)
    head = aliases.get(head, head)
    if head.split(".")[-1] != "layers" or "." not in head or head.endswith("keras.layers"):
        return None
    return head.rsplit(".", 1)[0] + ".variable_scope"


def _split_scoped_names(fn: cst.FunctionDef, aliases: dict[str, str]) -> cst.FunctionDef:
    def f(st):  # type: ignore[no-untyped-def]
        a = _only(st)
        value = a.value if isinstance(a, (cst.Assign, cst.Expr)) else None
        if not isinstance(value, cst.Call):
            return None
        vs = _scope_func(value.func, aliases)
        arg = next((x for x in value.args if x.keyword is not None and x.keyword.value == "name"), None)
        if vs is None or arg is None or not (isinstance(arg.value, cst.SimpleString) and arg.value.prefix == ""):
            return None
        name = arg.value.evaluated_value
        if not isinstance(name, str) or "/" not in name or "" in name.split("/"):
            return None
        *scopes, last = name.split("/")
        args = [x.with_changes(value=cst.SimpleString(repr(last))) if x is arg else x for x in value.args]
        inner: cst.BaseStatement = st.with_changes(body=[a.with_changes(value=value.with_changes(args=args))], leading_lines=[])  # type: ignore[union-attr]
        for s in reversed(scopes):
            inner = cst.With(items=[cst.WithItem(cst.Call(cst.parse_expression(vs), [cst.Arg(cst.SimpleString(repr(s)))]))],
                             body=cst.IndentedBlock([inner]))
        return [inner.with_changes(leading_lines=st.leading_lines)]

    return fn.visit(_BlockMap(f, fn))  # type: ignore[return-value]


class _DropValues(cst.CSTTransformer):
    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if (_dotted(updated.func) or "").endswith("variable_scope") and updated.args and updated.args[0].keyword is None:
            args = [a for a in updated.args if not (a.keyword is not None and a.keyword.value == "values")]
            if len(args) != len(updated.args):
                return updated.with_changes(args=_commas(args))
        return updated


_REGULARIZERS = {"keras.regularizers.l2", "keras.regularizers.L2"}  # those TF2130 takes (_keras_values.py)


def _inline_regularizers(fn: cst.FunctionDef) -> cst.FunctionDef:
    body = list(fn.body.body)  # type: ignore[union-attr]
    env: dict[str, cst.BaseExpression] = {}
    drop: set[int] = set()
    for k, st in enumerate(body):
        found = _assign_call(st)
        if found is None:
            continue
        name, call = found
        d = _dotted(call.func) or ""
        if not any(d == r or d.endswith("." + r) for r in _REGULARIZERS) or not all(_simple(a.value) for a in call.args):
            continue
        binds = sum(1 for n in _walk(fn) if isinstance(n, cst.AssignTarget) and _load_names(n.target)
                    and any(m.value == name for m in _load_names(n.target)))
        reads = [m for m in _load_names(fn) if m.value == name]
        kw_reads = [n for n in _walk(fn) if isinstance(n, cst.Arg) and n.keyword is not None
                    and isinstance(n.value, cst.Name) and n.value.value == name]
        if binds != 1 or len(reads) != len(kw_reads) + 1 or any(m.value in _assigned(fn) - {name} for a in call.args
                                                                for m in _load_names(a.value)):
            continue
        env[name] = call
        drop.add(k)
    if not env:
        return fn
    fn = fn.with_changes(body=fn.body.with_changes(body=[st for k, st in enumerate(body) if k not in drop]))
    return fn.visit(_Subst(env))  # type: ignore[return-value]


# 5. module aliases of tf.layers ------------------------------------------------------------------
def _layer_aliases(module: cst.Module) -> dict[str, str]:
    out: dict[str, str] = {}
    for st in module.body:
        found = _only(st)
        if isinstance(found, cst.Assign) and len(found.targets) == 1 and isinstance(found.targets[0].target, cst.Name):
            d = _dotted(found.value) if isinstance(found.value, (cst.Name, cst.Attribute)) else None
            if d is not None and d.endswith(".layers") and not d.endswith("keras.layers"):
                out[found.targets[0].target.value] = d
    return out


class _Unalias(cst.CSTTransformer):
    def __init__(self, alias: str, value: str, drop: cst.CSTNode) -> None:
        self.alias, self.value, self.drop = alias, value, drop

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        if isinstance(updated.value, cst.Name) and updated.value.value == self.alias:
            return updated.with_changes(value=cst.parse_expression(self.value))
        return updated

    def leave_SimpleStatementLine(self, original, updated):  # type: ignore[no-untyped-def]
        return cst.RemoveFromParent() if original is self.drop else updated


def _unalias_layers(module: cst.Module, aliases: dict[str, str]) -> cst.Module:
    for alias, value in aliases.items():
        names = _load_names(module)
        mentions = [m for m in names if m.value == alias]
        attrs = [n for n in _walk(module) if isinstance(n, cst.Attribute) and isinstance(n.value, cst.Name)
                 and n.value.value == alias]
        binds = [st for st in module.body if isinstance(_only(st), cst.Assign)
                 and any(isinstance(t.target, cst.Name) and t.target.value == alias for t in _only(st).targets)]  # type: ignore[union-attr]
        if len(binds) != 1 or len(mentions) != len(attrs) + 1 or alias in {
                n.name.value for n in _walk(module) if isinstance(n, cst.Param)}:
            continue
        module = module.visit(_Unalias(alias, value, binds[0]))  # type: ignore[assignment]
    return module


# entry ---------------------------------------------------------------------------------------------
def expand(text: str) -> str | None:
    """The rewritten text, None when nothing applies (see the module docstring)."""
    if "def " not in text or ("partial" not in text and "variable_scope" not in text):
        return None
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError:
        return None
    helpers = {st.name.value: h for st in module.body if isinstance(st, cst.FunctionDef) and (h := _helper(st)) is not None}
    pnames = _partial_names(module)
    aliases = _layer_aliases(module)
    touched = False
    body = list(module.body)
    for k, st in enumerate(body):
        if not isinstance(st, cst.FunctionDef) or st.name.value in helpers:
            continue
        fn, changed = _expand_helpers(st, helpers) if helpers else (st, False)
        fn, ch2 = _substitute_partials(fn, pnames) if pnames else (fn, False)
        fn, ch3 = _inline_nested(fn)
        if not (changed or ch2 or ch3):
            continue
        fn = _split_scoped_names(fn, aliases)
        fn = fn.visit(_DropValues())  # type: ignore[assignment]
        fn = _inline_regularizers(fn)
        body[k] = fn
        touched = True
    if not touched:
        return None
    module = module.with_changes(body=body)
    # helpers no longer referenced go
    names = _load_names(module)
    module = module.with_changes(body=[st for st in module.body if not (
        isinstance(st, cst.FunctionDef) and st.name.value in helpers
        and not any(m.value == st.name.value and m is not st.name for m in names))])
    module = _unalias_layers(module, aliases)
    return _drop_unused_functools(module).code


def _drop_unused_functools(module: cst.Module) -> cst.Module:
    """`import functools` whose only use was the partials written out goes."""
    uses = [m for m in _load_names(module) if m.value == "functools"]
    imports = [st for st in module.body if isinstance(_only(st), cst.Import) and len(_only(st).names) == 1  # type: ignore[union-attr]
               and _only(st).names[0].asname is None and _dotted(_only(st).names[0].name) == "functools"]  # type: ignore[union-attr]
    if len(imports) != 1 or len(uses) != 1:
        return module
    return module.with_changes(body=[st for st in module.body if st is not imports[0]])
