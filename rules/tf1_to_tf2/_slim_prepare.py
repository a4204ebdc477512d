"""TF2120's preparation for TF-Slim programs (the `Pack.prepare` hook, with _builders.py).

Rewrites TF1 source into equivalent TF1 source that TF2130 and TF2120 convert; the engine
keeps it only when TF2120 then converts the file (`Prepared.accept`). Each step is a TF1 ->
TF1 identity under the conditions it checks (else the step is skipped):

1. `slim = tf.contrib.slim` at module level -> `from tensorflow.contrib import slim` (the
   same module object; an import TF2130 removes once nothing uses it).

2. An arg_scope function, `def vgg_arg_scope(weight_decay=0.0005, is_training=True):` whose
   body binds dict literals and then nests `with slim.arg_scope(...)` blocks down to
   `with slim.arg_scope(...) as sc: return sc`, used once as
   `with slim.arg_scope(vgg_arg_scope(is_training=True)):` around one statement that calls
   a model function called nowhere else: the arg_scopes move into the model function,
   around its body (inside its variable_scope), with the parameters bound to the literal
   values of that call (the defaults otherwise) and the dicts written out; the function
   goes. An arg_scope over `[slim.batch_norm]` alone is folded into every
   `normalizer_params` dict of the other arg_scopes (slim calls the normalizer through its
   arg_scope: its defaults, then the params; the model makes no batch_norm call of its
   own and sets no normalizer_fn of its own but None).

3. `net = slim.repeat(x, 2, slim.conv2d, 8, [3, 3], scope='conv1')` -> what slim.repeat
   runs: `with tf.variable_scope('conv1'):` + `net = slim.conv2d(x, 8, [3, 3],
   scope='conv1_1')` + `net = slim.conv2d(net, 8, [3, 3], scope='conv1_2')`.

4. In a model function with a `scope='name'` parameter (string default, never passed),
   `with tf.variable_scope(scope, 'default_name', [inputs]) as sc:` -> `with
   tf.variable_scope(scope):` (the default name is unused when the scope is given; `values`
   only picks the graph). slim's end points: `end_points_collection =
   sc.original_name_scope + '_end_points'`, an arg_scope setting
   `outputs_collections=end_points_collection` and `end_points =
   slim.utils.convert_collection_to_dict(end_points_collection)` become a dict literal of
   the outputs of the layers that arg_scope covers, keyed as slim keyed them (the layer's
   scope under the function's: 'vgg_tiny/conv1/conv1_1'), in creation order; an output
   whose name is bound again later is kept under its own name first (`conv1_conv1_1 = net`).

5. The training idioms of slim in the Session code: `slim.one_hot_encoding(labels, n)` ->
   `tf.one_hot(labels, n)`; `slim.losses.softmax_cross_entropy(logits, onehot)` (its one
   loss) -> `cross_entropy = tf.losses.softmax_cross_entropy(onehot, logits)`;
   `total_loss = slim.losses.get_total_loss()` -> `total_loss = cross_entropy +
   tf.losses.get_regularization_loss()` (the LOSSES collection held that one loss; the
   regularization losses are added by default); `train_op =
   slim.learning.create_train_op(total_loss, optimizer)` -> what it builds: the loss
   checked by `tf.check_numerics(total_loss, 'LossTensor is inf or nan')`,
   `optimizer.minimize(total_loss)` under `tf.control_dependencies` of the UPDATE_OPS
   collection; its value is the loss, so `loss = sess.run(train_op, feed)` -> `_, loss =
   sess.run([train_op, total_loss], feed)` (only where nothing reads the global step that
   create_train_op also made and advanced: no global step, Saver or GLOBAL_VARIABLES in the
   file). The end points returned by the model function and read only as
   `len(end_points)` after the function's last run, `out = sess.run(logits, feed)`, are
   fetched by that run: `out, end_points_value = sess.run([logits, end_points], feed)`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import libcst as cst

from migrate.cstutil import walk_in_order as walk
from migrate.result import Finding
from rules.tf1_to_tf2._builders import NOT_CONVERTED, Prepared, _only, _remap

_SLIM_OPS_TAKING_SCOPE = {"conv2d", "fully_connected", "max_pool2d", "avg_pool2d", "batch_norm", "dropout",
                          "flatten", "convolution2d"}
_GLOBAL_STEP = re.compile(r"global_step|GLOBAL_STEP|Saver\b|GLOBAL_VARIABLES|\b(?:global|all)_variables\(|train\.Checkpoint"
                          r"|get_variables\b|variables_to_restore")


class _Skip(Exception):
    """This step does not apply (no message) or is not proven here (the message says why)."""


def prepare(text: str) -> tuple[str | None, list[str]]:
    """The prepared text (None when no step applied) and why the steps that would apply
    did not."""
    reasons: list[str] = []
    if "slim" not in text or "Session" not in text:
        return None, reasons
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError:
        return None, reasons
    tf = _tf_name(module)
    if tf is None:
        return None, reasons
    changed = False
    for step in (_alias, _repeats, _end_points, _arg_scope_function, _one_hot, _train_idioms):
        slim = _slim_name(module)
        if slim is None:
            return None, reasons
        try:
            module = cst.parse_module(step(module, tf, slim).code)
            changed = True
        except _Skip as skip:
            if skip.args:
                reasons.append(str(skip.args[0]))
    return (module.code if changed else None), reasons


@dataclass
class SlimPrepared(Prepared):
    """A prepared file whose refusal (when TF2120 still refuses it) also says which slim
    idioms were not rewritten and why."""

    reasons: list[str] = field(default_factory=list)
    changed: bool = True

    def accept(self, findings: list[Finding]) -> bool:
        return self.changed and super().accept(findings)

    def merge(self, result, prepared: list[Finding]):  # type: ignore[no-untyped-def]
        result = super().merge(result, prepared)
        if self.reasons:
            for i, f in enumerate(result.findings):
                if f.rule_id == "TF2120" and f.message.startswith(NOT_CONVERTED):
                    why = "; ".join(self.reasons)
                    result.findings[i] = replace(f, message=f"{f.message} (TF-Slim idioms not rewritten: {why})")
                    break
        return result


def with_builders(text: str, builders: Callable[[str], Prepared | None]) -> Prepared | None:
    """The slim preparation, then _builders' on its result (the pack's hook)."""
    slim, reasons = prepare(text)
    if slim is None and not reasons:
        return builders(text)
    identity = list(range(1, len(text.splitlines()) + 1))
    if slim is None:
        built = builders(text)
        if built is None:
            return SlimPrepared(text, identity, reasons, changed=False)
        return SlimPrepared(built.text, built.origin, reasons)
    origin = _remap(text, slim, identity)
    built = builders(slim)
    if built is None:
        return SlimPrepared(slim, origin, reasons)
    lines = [built.line(i + 1) for i in range(len(built.text.splitlines()))]  # slim-prepared lines
    return SlimPrepared(built.text, [origin[k - 1] if 0 < k <= len(origin) else k for k in lines], reasons)


# names ---------------------------------------------------------------------------------
def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def _tf_name(module: cst.Module) -> str | None:
    for st in module.body:
        for small in (st.body if isinstance(st, cst.SimpleStatementLine) else []):
            if isinstance(small, cst.Import):
                for a in small.names:
                    if _code(a.name) in ("tensorflow", "tensorflow.compat.v1") and a.asname is not None:
                        return a.asname.name.value  # type: ignore[union-attr]
    return None


def _slim_name(module: cst.Module) -> str | None:
    for st in module.body:
        for small in (st.body if isinstance(st, cst.SimpleStatementLine) else []):
            if isinstance(small, cst.ImportFrom) and small.module is not None and _code(small.module) == "tensorflow.contrib" \
                    and not isinstance(small.names, cst.ImportStar):
                for a in small.names:
                    if _code(a.name) == "slim":
                        return a.asname.name.value if a.asname is not None else "slim"  # type: ignore[union-attr]
            if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name) \
                    and re.fullmatch(r"\w+\.contrib\.slim", _code(small.value)):
                return small.targets[0].target.value
    return None


def _is(node: cst.CSTNode | None, dotted: str) -> bool:
    return node is not None and isinstance(node, (cst.Name, cst.Attribute)) and _code(node) == dotted


def _slim_op(node: cst.CSTNode | None, slim: str) -> str | None:
    if isinstance(node, cst.Attribute) and _is(node.value, slim):
        return node.attr.value
    return None


def _names(node: cst.CSTNode) -> set[str]:
    return {n.value for n in walk(node) if isinstance(n, cst.Name)}


def _fresh(name: str, taken: set[str]) -> str:
    out, i = name, 1
    while out in taken:
        i += 1
        out = f"{name}_{i}"
    taken.add(out)
    return out


def _literal(node: cst.BaseExpression) -> bool:
    if isinstance(node, (cst.Integer, cst.Float, cst.SimpleString)):
        return True
    if isinstance(node, cst.Name):
        return node.value in ("True", "False", "None")
    return isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus) and _literal(node.expression)


def _string(node: cst.CSTNode | None) -> str | None:
    if isinstance(node, cst.SimpleString):
        v = node.evaluated_value
        return v if isinstance(v, str) else None
    return None


class _Replace(cst.CSTTransformer):
    """Statements replaced by lists of statements (by identity of the original)."""

    def __init__(self, mapping: dict[int, list[Any]]) -> None:
        self.mapping = mapping

    def _body(self, original, updated):  # type: ignore[no-untyped-def]
        out = []
        for o, u in zip(original.body, updated.body):
            out.extend(self.mapping.get(id(o), [u]))
        return updated.with_changes(body=out)

    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        return self._body(original, updated)  # type: ignore[no-any-return]

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        return self._body(original, updated)  # type: ignore[no-any-return]


def _functions(module: cst.Module) -> dict[str, cst.FunctionDef]:
    return {st.name.value: st for st in module.body if isinstance(st, cst.FunctionDef)}


def _calls_of(module: cst.CSTNode, name: str) -> list[cst.Call]:
    return [n for n in walk(module) if isinstance(n, cst.Call) and _is(n.func, name)]


def _uses(module: cst.CSTNode, name: str) -> int:
    return sum(1 for n in walk(module) if isinstance(n, cst.Name) and n.value == name)


# 1. the slim alias -----------------------------------------------------------------------
def _alias(module: cst.Module, tf: str, slim: str) -> cst.Module:
    for st in module.body:
        small = _only(st)
        if isinstance(small, cst.Assign) and len(small.targets) == 1 and _is(small.targets[0].target, slim) \
                and _is(small.value, f"{tf}.contrib.slim"):
            imp = cst.parse_statement("from tensorflow.contrib import slim\n" if slim == "slim"
                                      else f"from tensorflow.contrib import slim as {slim}\n")
            return module.visit(_Replace({id(st): [imp.with_changes(leading_lines=st.leading_lines)]}))  # type: ignore[return-value]
    raise _Skip


# 2. an arg_scope function ----------------------------------------------------------------
def _arg_scope_chain(body: list[Any], slim: str) -> tuple[list[cst.With], str] | None:
    """The nested `with slim.arg_scope(...)` blocks ending in `... as sc: return sc`."""
    chain: list[cst.With] = []
    st: cst.BaseStatement = body[-1]
    while isinstance(st, cst.With):
        if len(st.items) != 1 or not isinstance(st.items[0].item, cst.Call) or not _is(st.items[0].item.func, f"{slim}.arg_scope"):
            return None
        chain.append(st)
        inner = st.body.body
        if len(inner) != 1:
            return None
        st = inner[0]  # type: ignore[assignment]
    ret = _only(st)
    last = chain[-1] if chain else None
    if last is None or not isinstance(ret, cst.Return) or last.items[0].asname is None:
        return None
    sc = last.items[0].asname.name
    if not (isinstance(sc, cst.Name) and isinstance(ret.value, cst.Name) and ret.value.value == sc.value):
        return None
    if any(w.items[0].asname is not None for w in chain[:-1]):
        return None
    return chain, sc.value


def _bind(fn: cst.FunctionDef, call: cst.Call) -> dict[str, cst.BaseExpression]:
    ps = fn.params
    if ps.star_arg is not cst.MaybeSentinel.DEFAULT or ps.star_kwarg is not None or ps.kwonly_params or ps.posonly_params:
        raise _Skip
    params = list(ps.params)
    out: dict[str, cst.BaseExpression] = {}
    for i, a in enumerate(call.args):
        if a.star:
            raise _Skip
        name = a.keyword.value if a.keyword is not None else (params[i].name.value if i < len(params) else None)
        if name is None or name in out or name not in {p.name.value for p in params}:
            raise _Skip
        out[name] = a.value
    for p in params:
        if p.name.value not in out:
            if p.default is None:
                raise _Skip
            out[p.name.value] = p.default
    if not all(_literal(v) for v in out.values()):
        raise _Skip(f"`{fn.name.value}(...)` is called with values that are not literals (the defaults it sets are decided at that call)")
    return out


class _Substitute(cst.CSTTransformer):
    def __init__(self, values: dict[str, cst.BaseExpression]) -> None:
        self.values = values

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        return self.values.get(original.value, updated)

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        return updated.with_changes(keyword=original.keyword)  # a keyword is no value

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.Attribute:
        return updated.with_changes(attr=original.attr)


def _subst_call(call: cst.Call, values: dict[str, cst.BaseExpression], dicts: dict[str, cst.Dict]) -> cst.Call:
    args: list[cst.Arg] = []
    for a in call.args:
        if a.star == "**":
            d = dicts.get(a.value.value) if isinstance(a.value, cst.Name) else None
            if d is None:
                raise _Skip
            for el in d.elements:
                k = _string(el.key) if isinstance(el, cst.DictElement) else None
                if k is None or not k.isidentifier():
                    raise _Skip
                args.append(cst.Arg(value=el.value.visit(_Substitute(values)), keyword=cst.Name(k),  # type: ignore[union-attr,arg-type]
                                    equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))))
        elif a.star:
            raise _Skip
        else:
            v = a.value
            if isinstance(v, cst.Name) and v.value in dicts:
                v = dicts[v.value]
            args.append(a.with_changes(value=v.visit(_Substitute(values))))
    return call.with_changes(args=args)


def _ops(call: cst.Call, slim: str) -> list[str] | None:
    if not call.args or call.args[0].keyword is not None or not isinstance(call.args[0].value, (cst.List, cst.Tuple)):
        return None
    ops = [_slim_op(el.value, slim) for el in call.args[0].value.elements]
    return None if None in ops else ops  # type: ignore[return-value]


def _kw(call: cst.Call, name: str) -> cst.Arg | None:
    return next((a for a in call.args if a.keyword is not None and a.keyword.value == name), None)


def _fold_batch_norm(calls: list[cst.Call], slim: str) -> list[cst.Call]:
    """An arg_scope over [slim.batch_norm] alone folded into the normalizer_params dicts."""
    bn = [c for c in calls if _ops(c, slim) == ["batch_norm"]]
    if not bn:
        return calls
    if len(bn) != 1:
        raise _Skip
    defaults = [(a.keyword.value, a.value) for a in bn[0].args[1:] if a.keyword is not None]  # type: ignore[union-attr]
    if len(defaults) != len(bn[0].args) - 1:
        raise _Skip
    out = []
    for c in calls:
        if c is bn[0]:
            continue
        params = _kw(c, "normalizer_params")
        fn = _kw(c, "normalizer_fn")
        if fn is not None and params is None:
            raise _Skip  # the normalizer would get the arg_scope's defaults only
        if params is not None:
            if not isinstance(params.value, cst.Dict):
                raise _Skip
            own = {_string(el.key) for el in params.value.elements if isinstance(el, cst.DictElement)}
            if None in own:
                raise _Skip
            extra = [cst.DictElement(cst.SimpleString(repr(k)), v) for k, v in defaults if k not in own]
            merged = params.value.with_changes(elements=[*extra, *params.value.elements])
            c = c.with_changes(args=[a if a is not params else a.with_changes(value=merged) for a in c.args])
        out.append(c)
    return out


def _arg_scope_function(module: cst.Module, tf: str, slim: str) -> cst.Module:
    funcs = _functions(module)
    for fname, fn in funcs.items():
        body = list(fn.body.body)
        found = _arg_scope_chain(body, slim) if body else None
        if found is None:
            continue
        chain, _sc = found
        dicts: dict[str, cst.Dict] = {}
        for st in body[:-1]:
            small = _only(st)
            if not (isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name)
                    and isinstance(small.value, cst.Dict)):
                raise _Skip
            if any(isinstance(n, (cst.Call, cst.Lambda)) for n in walk(small.value)):
                raise _Skip("its dict of defaults computes a value (written out at each use, it would be computed again)")
            dicts[small.targets[0].target.value] = small.value
        calls = _calls_of(module, fname)
        if len(calls) != 1 or _uses(module, fname) != 2:  # the def and the one call
            raise _Skip(f"the arg_scope function `{fname}` is used other than once, as `with slim.arg_scope({fname}(...)):`")
        use = calls[0]
        site = next((n for n in walk(module) if isinstance(n, cst.With) and len(n.items) == 1
                     and isinstance(n.items[0].item, cst.Call) and _is(n.items[0].item.func, f"{slim}.arg_scope")
                     and len(n.items[0].item.args) == 1 and n.items[0].item.args[0].value is use), None)
        if site is None or site.items[0].asname is not None:
            raise _Skip(f"the arg_scope function `{fname}` is used other than as `with slim.arg_scope({fname}(...)):`")
        inner = list(site.body.body)
        model = _model_called(inner, funcs, module, slim)
        values = _bind(fn, use)
        scopes = [_subst_call(w.items[0].item, values, dicts) for w in chain]  # type: ignore[arg-type]
        scopes = _fold_batch_norm(scopes, slim)
        for c in scopes:
            if _ops(c, slim) is None:
                raise _Skip
        mbody = list(model.body.body)
        calls_in = [c for c in walk(model) if isinstance(c, cst.Call)]
        if _calls_of(model, f"{slim}.batch_norm") or any(
                _kw(c, "normalizer_fn") is not None and not _is(_kw(c, "normalizer_fn").value, "None")  # type: ignore[union-attr]
                or _kw(c, "normalizer_params") is not None or "batch_norm" in (_ops(c, slim) or []) for c in calls_in):
            raise _Skip(f"`{model.name.value}` makes batch norms of its own (the arg_scope's batch_norm defaults would "
                        "reach them differently once folded)")
        bound = {p.name.value for p in model.params.params} | {
            t.target.value for t in walk(model) if isinstance(t, cst.AssignTarget) and isinstance(t.target, cst.Name)}
        free = {n.value for c in scopes for a in c.args for n in walk(a.value) if isinstance(n, cst.Name)}
        if free & bound:
            raise _Skip(f"the arg_scope defaults read `{min(free & bound)}`, a name of `{model.name.value}` too")
        first = mbody[0] if mbody else None
        if isinstance(first, cst.With) and len(first.items) == 1 and isinstance(first.items[0].item, cst.Call) \
                and _is(first.items[0].item.func, f"{tf}.variable_scope"):
            wrapped = list(first.body.body)
            new_first = first.with_changes(body=first.body.with_changes(body=[_nest(scopes, wrapped)]))
            new_model = model.with_changes(body=model.body.with_changes(body=[new_first, *mbody[1:]]))
        else:
            last = mbody[-1]
            ret = _only(last)
            if not isinstance(ret, cst.Return) or any(isinstance(n, cst.Call) for n in walk(ret)):
                raise _Skip
            new_model = model.with_changes(body=model.body.with_changes(body=[_nest(scopes, mbody[:-1]), last]))
        mapping = {id(fn): [], id(site): inner, id(model): [new_model]}
        return module.visit(_Replace(mapping))  # type: ignore[return-value,arg-type]
    raise _Skip


def _nest(calls: list[cst.Call], body: list[Any]) -> cst.With:
    inner: list[cst.BaseStatement] = body
    for c in reversed(calls):
        inner = [cst.With(items=[cst.WithItem(c)], body=cst.IndentedBlock(body=inner))]
    return inner[0]  # type: ignore[return-value]


def _model_called(stmts: list[Any], funcs: dict[str, cst.FunctionDef], module: cst.Module,
                  slim: str) -> cst.FunctionDef:
    """The one module function the arg_scope's body calls (called nowhere else); no slim
    call of its own."""
    if len(stmts) != 1:
        raise _Skip("the `with slim.arg_scope(...)` block around the model call holds more than one statement")
    called = [n.func.value for n in walk(stmts[0]) if isinstance(n, cst.Call) and isinstance(n.func, cst.Name)
              and n.func.value in funcs]
    if len(called) != 1 or len(_calls_of(module, called[0])) != 1:
        raise _Skip("the `with slim.arg_scope(...)` block does not call exactly one function of the file, called only there")
    if any(isinstance(n, cst.Attribute) and _is(n.value, slim) for n in walk(stmts[0])):
        raise _Skip("the `with slim.arg_scope(...)` block also calls slim itself")
    model = funcs[called[0]]
    if any(isinstance(n, cst.Call) and isinstance(n.func, cst.Name) and n.func.value in funcs for n in walk(model)):
        raise _Skip(f"`{model.name.value}` calls other functions of the file")
    return model


# 3. slim.repeat --------------------------------------------------------------------------
def _repeats(module: cst.Module, tf: str, slim: str) -> cst.Module:
    mapping: dict[int, list[cst.BaseStatement]] = {}
    for st in walk(module):
        small = _only(st) if isinstance(st, cst.SimpleStatementLine) else None
        if not (isinstance(small, cst.Assign) and isinstance(small.value, cst.Call) and _is(small.value.func, f"{slim}.repeat")):
            continue
        call = small.value
        if len(small.targets) != 1 or not isinstance(small.targets[0].target, cst.Name):
            raise _Skip
        target = small.targets[0].target.value
        pos = [a for a in call.args if a.keyword is None and not a.star]
        kws = [a for a in call.args if a.keyword is not None]
        if len(pos) + len(kws) != len(call.args) or len(pos) < 3 or not isinstance(pos[0].value, cst.Name) \
                or not isinstance(pos[1].value, cst.Integer) or _slim_op(pos[2].value, slim) not in _SLIM_OPS_TAKING_SCOPE:
            raise _Skip(f"`{_code(call)}`: slim.repeat with other than (inputs, count, slim layer, arguments...)")
        scope = _string(_kw(call, "scope").value) if _kw(call, "scope") is not None else None  # type: ignore[union-attr]
        if not scope or "/" in scope:
            raise _Skip(f"`{_code(call)}`: slim.repeat without a scope name (slim numbers `<layer>_<i>` by the layer function's name)")
        n = int(pos[1].value.value)
        others = [a for a in kws if a.keyword.value != "scope"]  # type: ignore[union-attr]
        for a in [*pos[3:], *others]:  # evaluated once by slim.repeat, at each call once written out
            if any(isinstance(x, (cst.Call, cst.Lambda)) or (isinstance(x, cst.Name) and x.value == target) for x in walk(a.value)):
                raise _Skip(f"`{_code(call)}` passes a computed argument to each repetition")
        body: list[cst.BaseStatement] = []
        src: cst.BaseExpression = pos[0].value
        for i in range(n):
            args = [cst.Arg(src), *pos[3:], *others, cst.Arg(cst.SimpleString(repr(f"{scope}_{i + 1}")), keyword=cst.Name("scope"),
                                                              equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))]
            body.append(cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(target))],
                                                             cst.Call(func=pos[2].value, args=args))]))
            src = cst.Name(target)
        block = cst.parse_statement(f"with {tf}.variable_scope({scope!r}):\n    pass\n")
        assert isinstance(block, cst.With)
        mapping[id(st)] = [block.with_changes(body=block.body.with_changes(body=body), leading_lines=st.leading_lines)]  # type: ignore[attr-defined]
    if not mapping:
        raise _Skip
    return module.visit(_Replace(mapping))  # type: ignore[return-value]


# 4. the model's scope and end points -----------------------------------------------------
def _end_points(module: cst.Module, tf: str, slim: str) -> cst.Module:
    funcs = _functions(module)
    for fname, fn in funcs.items():
        body = list(fn.body.body)
        first = body[0] if body else None
        if not (isinstance(first, cst.With) and len(first.items) == 1 and isinstance(first.items[0].item, cst.Call)
                and _is(first.items[0].item.func, f"{tf}.variable_scope")):
            continue
        vs = first.items[0].item
        if len(vs.args) != 3 or any(a.keyword is not None or a.star for a in vs.args) or not isinstance(vs.args[0].value, cst.Name):
            continue
        param = next((p for p in fn.params.params if p.name.value == vs.args[0].value.value), None)
        default = _string(param.default) if param is not None else None
        if param is None or not default or "/" in default:
            raise _Skip
        index = list(fn.params.params).index(param)  # type: ignore[arg-type]
        if len(_calls_of(module, fname)) != 1:
            raise _Skip(f"`{fname}` is called more than once (its end points collection would hold every call's)")
        for c in _calls_of(module, fname):
            if any(a.keyword is not None and a.keyword.value == param.name.value for a in c.args) or \
                    len([a for a in c.args if a.keyword is None]) > index or any(a.star for a in c.args):
                raise _Skip(f"`{fname}` is called with a scope name (its end points and variable names would be under it)")
        if sum(1 for n in walk(module) if _string(n) == default) != 1 + (_string(vs.args[1].value) == default):
            raise _Skip(f"the scope name '{default}' is used elsewhere in the file too (TF1 would number the second name scope)")
        sc = first.items[0].asname.name.value if first.items[0].asname is not None else None  # type: ignore[union-attr]
        new_vs = vs.with_changes(args=[vs.args[0].with_changes(comma=cst.MaybeSentinel.DEFAULT)])
        inner = list(first.body.body)
        mapping: dict[int, list[cst.BaseStatement]] = {}
        if sc is not None:
            inner, mapping = _collection(fn, inner, sc, default, slim)
        new_first = first.with_changes(items=[cst.WithItem(new_vs)], body=first.body.with_changes(body=inner))
        new_fn = fn.with_changes(body=fn.body.with_changes(body=[new_first, *body[1:]])).visit(_Replace(mapping))
        return module.visit(_Replace({id(fn): [new_fn]}))  # type: ignore[arg-type,return-value]
    raise _Skip


def _collection(fn: cst.FunctionDef, inner: list[Any], sc: str, prefix: str,
                slim: str) -> tuple[list[Any], dict[int, list[cst.BaseStatement]]]:
    """`end_points_collection = sc.original_name_scope + '_end_points'` + the arg_scope that
    collects into it + convert_collection_to_dict -> a dict literal of the outputs."""
    first = _only(inner[0]) if inner else None
    if not (isinstance(first, cst.Assign) and len(first.targets) == 1 and isinstance(first.targets[0].target, cst.Name)
            and _code(first.value).replace(" ", "") == f"{sc}.original_name_scope+'_end_points'"):
        raise _Skip
    coll = first.targets[0].target.value
    if _uses(fn, sc) != 2 or len(inner) != 2 or not isinstance(inner[1], cst.With):  # `as sc` and its one read
        raise _Skip("the variable scope object is used other than for the end points collection's name")
    scope_with = inner[1]
    call = scope_with.items[0].item
    if len(scope_with.items) != 1 or not isinstance(call, cst.Call) or not _is(call.func, f"{slim}.arg_scope"):
        raise _Skip
    ops = _ops(call, slim)
    oc = _kw(call, "outputs_collections")
    if ops is None or oc is None or not _is(oc.value, coll):
        raise _Skip
    stmts = list(scope_with.body.body)
    last = _only(stmts[-1])
    if not (isinstance(last, cst.Assign) and len(last.targets) == 1 and isinstance(last.targets[0].target, cst.Name)
            and isinstance(last.value, cst.Call) and _is(last.value.func, f"{slim}.utils.convert_collection_to_dict")
            and len(last.value.args) == 1 and _is(last.value.args[0].value, coll)):
        raise _Skip
    if _uses(fn, coll) != 3:
        raise _Skip(f"the end points collection `{coll}` is used other than by one arg_scope and convert_collection_to_dict")
    outputs: list[tuple[str, str, cst.BaseStatement]] = []  # key, name, statement
    assigned: list[str] = []
    _collect(stmts[:-1], (prefix,), set(ops), slim, outputs, assigned)
    taken = _names(fn)
    mapping: dict[int, list[cst.BaseStatement]] = {}
    entries = []
    for key, name, st in outputs:
        rebound = _rebound_after(stmts[:-1], st, name)
        value = name
        if rebound:
            value = _fresh("_".join(key.split("/")[1:]), taken)
            mapping[id(st)] = [st, cst.parse_statement(f"{value} = {name}\n")]
        entries.append(f"{key!r}: {value}")
    if not outputs:
        raise _Skip
    if len({k for k, _n, _s in outputs}) != len(outputs):
        raise _Skip("two end points under one name (TF1 numbered the second name scope)")
    target = last.targets[0].target.value
    dict_line = cst.parse_statement(f"{target} = {{{', '.join(entries)}}}\n")
    kws = [a for a in call.args[1:] if a is not oc]
    body = [*stmts[:-1], dict_line]
    if kws:
        new_call = call.with_changes(args=[call.args[0], *kws])
        new_call = new_call.with_changes(args=[*new_call.args[:-1], new_call.args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)])
        return [scope_with.with_changes(items=[cst.WithItem(new_call)], body=scope_with.body.with_changes(body=body))], mapping
    return body, mapping


def _collect(stmts: list[Any], path: tuple[str, ...], ops: set[str], slim: str,
             out: list[tuple[str, str, cst.BaseStatement]], assigned: list[str]) -> None:
    for st in stmts:
        if isinstance(st, cst.With):
            c = st.items[0].item if len(st.items) == 1 else None
            name = _string(c.args[0].value) if isinstance(c, cst.Call) and len(c.args) == 1 and c.args[0].keyword is None \
                and isinstance(c.func, cst.Attribute) and c.func.attr.value == "variable_scope" else None
            if not name or "/" in name:
                raise _Skip
            _collect(list(st.body.body), (*path, name), ops, slim, out, assigned)
            continue
        small = _only(st)
        if not isinstance(st, cst.SimpleStatementLine) or small is None:
            raise _Skip("the end points arg_scope holds a statement that is not one assignment or a variable_scope block")
        for n in walk(st):
            if isinstance(n, cst.Call) and _slim_op(n.func, slim) in ops:
                if not (isinstance(small, cst.Assign) and small.value is n and len(small.targets) == 1
                        and isinstance(small.targets[0].target, cst.Name)):
                    raise _Skip(f"a layer whose output is collected as an end point is not assigned to one name: `{_code(st).strip()}`")
                scope = _string(_kw(n, "scope").value) if _kw(n, "scope") is not None else None  # type: ignore[union-attr]
                if not scope or "/" in scope or _kw(n, "outputs_collections") is not None:
                    raise _Skip(f"a layer collected as an end point without a literal scope name: `{_code(st).strip()}`")
                out.append(("/".join((*path, scope)), small.targets[0].target.value, st))


def _rebound_after(stmts: list[Any], st: cst.BaseStatement, name: str) -> bool:
    flat: list[cst.BaseStatement] = []

    def visit(body: list[cst.BaseStatement]) -> None:
        for s in body:
            if isinstance(s, cst.With):
                visit(list(s.body.body))  # type: ignore[arg-type]
            else:
                flat.append(s)
    visit(stmts)
    i = next(k for k, s in enumerate(flat) if s is st)
    return any(isinstance(t, cst.AssignTarget) and isinstance(t.target, cst.Name) and t.target.value == name
               for s in flat[i + 1:] for t in walk(s))


# 5. the training idioms ------------------------------------------------------------------
class _OneHot(cst.CSTTransformer):
    def __init__(self, tf: str, slim: str) -> None:
        self.tf, self.slim, self.done = tf, slim, False

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if _is(original.func, f"{self.slim}.one_hot_encoding") and len(original.args) == 2 \
                and all(a.keyword is None and not a.star for a in original.args):
            self.done = True
            return updated.with_changes(func=cst.parse_expression(f"{self.tf}.one_hot"))
        return updated


def _one_hot(module: cst.Module, tf: str, slim: str) -> cst.Module:
    """`slim.one_hot_encoding(labels, n)` -> `tf.one_hot(labels, n)` (on 1.0, off 0.0,
    float32; slim cast int32 labels to int64 first, which one_hot does not need)."""
    t = _OneHot(tf, slim)
    out = module.visit(t)
    if not t.done:
        raise _Skip
    return out


def _train_idioms(module: cst.Module, tf: str, slim: str) -> cst.Module:
    code = module.code
    funcs = _functions(module)
    for fn in funcs.values():
        body = list(fn.body.body)
        ops = {i: _only(st) for i, st in enumerate(body)}
        loss_i = [i for i, s in ops.items() if isinstance(s, (cst.Expr, cst.Assign)) and isinstance(s.value, cst.Call)
                  and _is(s.value.func, f"{slim}.losses.softmax_cross_entropy")]
        total_i = [i for i, s in ops.items() if isinstance(s, cst.Assign) and isinstance(s.value, cst.Call)
                   and _is(s.value.func, f"{slim}.losses.get_total_loss")]
        train_i = [i for i, s in ops.items() if isinstance(s, cst.Assign) and isinstance(s.value, cst.Call)
                   and _is(s.value.func, f"{slim}.learning.create_train_op")]
        if not (loss_i or total_i or train_i):
            continue
        if len(loss_i) != 1 or len(total_i) != 1 or len(train_i) != 1 or not loss_i[0] < total_i[0] < train_i[0]:
            raise _Skip("the slim losses are not one `slim.losses.softmax_cross_entropy`, then `slim.losses.get_total_loss()`, then `slim.learning.create_train_op`")
        if _GLOBAL_STEP.search(code):
            raise _Skip("`slim.learning.create_train_op` also makes and advances a global step, and the file may read it "
                        "(a global step, a Saver, GLOBAL_VARIABLES)")
        if re.search(r"\blosses\.(?!softmax_cross_entropy|get_total_loss)\w+|add_loss", code):
            raise _Skip("the LOSSES collection that `slim.losses.get_total_loss()` sums may hold other losses")
        taken = _names(module)
        mapping: dict[int, list[cst.BaseStatement]] = {}
        # the loss
        ls = ops[loss_i[0]]
        lcall = ls.value  # type: ignore[union-attr]
        if len(lcall.args) != 2 or any(a.keyword is not None or a.star for a in lcall.args):
            raise _Skip("`slim.losses.softmax_cross_entropy` with weights, label smoothing or keyword arguments")
        if isinstance(ls, cst.Assign):
            if len(ls.targets) != 1 or not isinstance(ls.targets[0].target, cst.Name):
                raise _Skip
            lname = ls.targets[0].target.value
        else:
            lname = _fresh("cross_entropy", taken)
        mapping[id(body[loss_i[0]])] = [body[loss_i[0]].with_changes(body=[cst.parse_statement(  # type: ignore[list-item,index]
            f"{lname} = {tf}.losses.softmax_cross_entropy({_code(lcall.args[1].value)}, {_code(lcall.args[0].value)})\n").body[0]])]  # type: ignore[attr-defined]
        # the total loss
        ts = ops[total_i[0]]
        if ts.value.args or len(ts.targets) != 1 or not isinstance(ts.targets[0].target, cst.Name):  # type: ignore[union-attr]
            raise _Skip
        total = ts.targets[0].target.value  # type: ignore[union-attr]
        mapping[id(body[total_i[0]])] = [body[total_i[0]].with_changes(body=[cst.parse_statement(  # type: ignore[list-item,index]
            f"{total} = {lname} + {tf}.losses.get_regularization_loss()\n").body[0]])]  # type: ignore[attr-defined]
        # the train op
        tr = ops[train_i[0]]
        tcall = tr.value  # type: ignore[union-attr]
        if len(tcall.args) != 2 or any(a.keyword is not None or a.star for a in tcall.args) \
                or not _is(tcall.args[0].value, total) or not isinstance(tcall.args[1].value, cst.Name) \
                or len(tr.targets) != 1 or not isinstance(tr.targets[0].target, cst.Name):  # type: ignore[union-attr]
            raise _Skip("`slim.learning.create_train_op` with arguments other than (total_loss, optimizer)")
        train = tr.targets[0].target.value  # type: ignore[union-attr]
        opt = tcall.args[1].value.value
        if _uses(fn, total) != 2:  # bound, passed to create_train_op
            raise _Skip(f"`{total}` is used other than by `slim.learning.create_train_op` (its value there is checked by tf.check_numerics)")
        upd = _fresh("update_ops", taken)
        lines = cst.parse_module(
            f"{total} = {tf}.check_numerics({total}, 'LossTensor is inf or nan')\n"
            f"{upd} = {tf}.get_collection({tf}.GraphKeys.UPDATE_OPS)\n"
            f"with {tf}.control_dependencies({upd}):\n    {train} = {opt}.minimize({total})\n").body
        mapping[id(body[train_i[0]])] = [lines[0].with_changes(leading_lines=body[train_i[0]].leading_lines), *lines[1:]]  # type: ignore[attr-defined]
        runs = [n for n in walk(fn) if isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value == "run"]
        train_reads = [n for n in walk(fn) if isinstance(n, cst.Name) and n.value == train]
        for n in train_reads[1:]:
            run = next((r for r in runs if r.args and r.args[0].value is n), None)
            if run is None:
                raise _Skip(f"the train op `{train}` is used other than fetched alone by `sess.run`")
        fetch_mapping = _train_fetches(fn, train, total)
        end_mapping = _end_point_reads(fn, funcs, runs)
        new_fn = fn.visit(_Replace({**mapping, **fetch_mapping, **end_mapping}))
        return module.visit(_Replace({id(fn): [new_fn]}))  # type: ignore[list-item,return-value]
    raise _Skip


def _train_fetches(fn: cst.FunctionDef, train: str, total: str) -> dict[int, list[cst.BaseStatement]]:
    """`loss = sess.run(train_op, feed)` -> `_, loss = sess.run([train_op, total_loss], feed)`."""
    mapping: dict[int, list[cst.BaseStatement]] = {}
    for st in walk(fn):
        small = _only(st) if isinstance(st, cst.SimpleStatementLine) else None
        call = small.value if isinstance(small, (cst.Assign, cst.Expr)) else None
        if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == "run"
                and call.args and _is(call.args[0].value, train)):
            continue
        if isinstance(small, cst.Expr):
            continue  # the value unused
        if len(small.targets) != 1 or not isinstance(small.targets[0].target, cst.Name):  # type: ignore[union-attr]
            raise _Skip(f"the train op `{train}` (its value is the loss) fetched into an unusual target")
        fetch = cst.parse_expression(f"[{train}, {total}]")
        new_call = call.with_changes(args=[call.args[0].with_changes(value=fetch), *call.args[1:]])
        target = cst.parse_expression(f"_, {small.targets[0].target.value}")  # type: ignore[union-attr]
        new = small.with_changes(targets=[cst.AssignTarget(target)], value=new_call)  # type: ignore[union-attr,arg-type]
        mapping[id(st)] = [st.with_changes(body=[new])]  # type: ignore[attr-defined,list-item]
    return mapping


def _end_point_reads(fn: cst.FunctionDef, funcs: dict[str, cst.FunctionDef], runs: list[cst.Call]) -> dict[int, list[cst.BaseStatement]]:
    """End points read only as `len(end_points)` after the last run: fetched by that run."""
    model_call = None
    for st in walk(fn):
        small = _only(st) if isinstance(st, cst.SimpleStatementLine) else None
        if isinstance(small, cst.Assign) and isinstance(small.value, cst.Call) and isinstance(small.value.func, cst.Name) \
                and small.value.func.value in funcs and isinstance(small.targets[0].target, cst.Tuple):
            model_call = small
    if model_call is None or not runs:
        return {}
    names = [el.value.value for el in model_call.targets[0].target.elements if isinstance(el.value, cst.Name)]  # type: ignore[attr-defined]
    model = funcs[model_call.value.func.value]  # type: ignore[attr-defined]
    ret = _only(model.body.body[-1])
    if not isinstance(ret, cst.Return) or not isinstance(ret.value, cst.Tuple) or len(ret.value.elements) != len(names):
        return {}
    points = None
    for i, el in enumerate(ret.value.elements):
        if isinstance(el.value, cst.Name) and any(
                isinstance(n, cst.Assign) and isinstance(n.value, cst.Dict) and _is(n.targets[0].target, el.value.value)
                for n in walk(model)):
            points = names[i]
    if points is None:
        return {}
    reads = [n for n in walk(fn) if isinstance(n, cst.Name) and n.value == points][1:]
    if not reads:
        return {}
    lens = [n for n in walk(fn) if isinstance(n, cst.Call) and _is(n.func, "len") and len(n.args) == 1 and _is(n.args[0].value, points)]
    if len(lens) != len(reads):
        raise _Skip(f"the end points `{points}` are read other than as `len({points})`")
    last = runs[-1]
    line = next(st for st in walk(fn) if isinstance(st, cst.SimpleStatementLine) and any(n is last for n in walk(st)))
    small = _only(line)
    if not (isinstance(small, cst.Assign) and small.value is last and len(small.targets) == 1
            and isinstance(small.targets[0].target, cst.Name) and last.args and last.args[0].keyword is None
            and isinstance(last.args[0].value, cst.Name)):
        raise _Skip(f"the end points `{points}` are read after a run that is not `x = sess.run(<tensor>, ...)`")
    if _in_loop(fn, line):
        raise _Skip(f"the last run, which would fetch the end points `{points}`, is in a loop or a branch")
    value = _fresh(f"{points}_value", _names(fn))
    fetch = cst.parse_expression(f"[{_code(last.args[0].value)}, {points}]")
    new_call = last.with_changes(args=[last.args[0].with_changes(value=fetch), *last.args[1:]])
    new = small.with_changes(targets=[cst.AssignTarget(cst.parse_expression(f"{small.targets[0].target.value}, {value}"))],  # type: ignore[arg-type]
                             value=new_call)
    after = False
    mapping: dict[int, list[cst.BaseStatement]] = {id(line): [line.with_changes(body=[new])]}
    for st in walk(fn):
        if st is line:
            after = True
            continue
        if isinstance(st, cst.SimpleStatementLine) and any(id(n) in {id(x) for x in lens} for n in walk(st)):
            if not after:
                raise _Skip(f"`len({points})` before the last run")
            mapping[id(st)] = [st.visit(_RenameLen(points, value))]  # type: ignore[list-item]
    return mapping


def _in_loop(root: cst.CSTNode, target: cst.CSTNode) -> bool:
    """`target` is under a loop, a branch or a try in `root`."""
    def path(n: cst.CSTNode) -> list[cst.CSTNode] | None:
        if n is target:
            return [n]
        for c in n.children:
            p = path(c)
            if p is not None:
                return [n, *p]
        return None
    return any(isinstance(n, (cst.For, cst.While, cst.If, cst.Try)) for n in path(root) or [])


class _RenameLen(cst.CSTTransformer):
    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if _is(updated.func, "len") and len(updated.args) == 1 and _is(updated.args[0].value, self.old):
            return updated.with_changes(args=[updated.args[0].with_changes(value=cst.Name(self.new))])
        return updated
