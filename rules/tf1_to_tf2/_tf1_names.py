"""TF2120: the TF1 names of the variables listed by `tf.trainable_variables()`.

`names = sorted(v.op.name for v in tf.trainable_variables())` over the variables of one
TF2130 object: TF1's `v.op.name` is the variable's TF1 name (`vgg_tiny/conv1/conv1_1/kernel`),
Keras' `v.path` is `<layer name>/<Keras path under the layer>` (`vgg_tiny/conv1_conv1_1/kernel`),
and the class's TF1_VARIABLE_NAMES maps the first onto the second. The read becomes the
object's `trainable_variables` (_collections.plan_variable_reads) and each name a lookup in
that map inverted, bound once before the line:

    tf1_names = {f'{model_layer.name}/{path}': name for name, path in type(model_layer).TF1_VARIABLE_NAMES.items()}
    names = sorted(tf1_names[v.path] for v in model_layer.trainable_variables)

(`v.name` is `tf1_names[v.path] + ':0'`.) Only a comprehension or generator over the read
itself, one `for` without conditions, whose element is `v.op.name` or `v.name` of its
target, with the variables of exactly one object: anything else keeps the refusal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:
    from rules.tf1_to_tf2._graph import Analysis

_COMPS = (cst.ListComp, cst.GeneratorExp, cst.SetComp)


def _element_kind(comp: cst.CSTNode) -> str | None:
    """'op' for `v.op.name`, 'name' for `v.name` (v the only target), else None."""
    if not isinstance(comp, _COMPS):
        return None
    f = comp.for_in
    if f.ifs or f.inner_for_in is not None or not isinstance(f.target, cst.Name):
        return None
    v, elt = f.target.value, comp.elt
    if not (isinstance(elt, cst.Attribute) and elt.attr.value == "name"):
        return None
    if isinstance(elt.value, cst.Name) and elt.value.value == v:
        return "name"
    inner = elt.value
    if isinstance(inner, cst.Attribute) and inner.attr.value == "op" and isinstance(inner.value, cst.Name) \
            and inner.value.value == v:
        return "op"
    return None


def plan(an: Analysis, call: cst.Call, line: cst.CSTNode | None, comp: cst.CSTNode) -> bool:
    """Plan the rewrite of `comp` (a comprehension over `call` reading the variables' TF1
    names) when the read lists one object's variables; False leaves the refusal."""
    from rules.tf1_to_tf2._collections import scoped_object

    if _element_kind(comp) is None or comp.for_in.iter is not call or not isinstance(line, cst.SimpleStatementLine):  # type: ignore[attr-defined]
        return False
    if id(line) in an.plan.stmt_builders:
        return False  # the line is rewritten otherwise already
    obj = scoped_object(an, call)
    if obj is None:
        names = an.instance_names()
        external = [n for n, fp in an.models.items() if fp.external]  # type: ignore[attr-defined]
        if len(external) != 1 or len(names[external[0]]) != 1:
            return False
        obj = names[external[0]][0]
    taken = {n.value for n in _names(an.module)}
    var = "tf1_names"
    while var in taken or an.ctx.aliases.is_bound(var):
        var += "_"
    an.plan.stmt_builders[id(line)] = _builder(obj, var)
    an.plan.summary += (f"; the TF1 names of `{obj}`'s variables are looked up in its class's TF1_VARIABLE_NAMES "
                        f"(`{var}`, Keras path -> TF1 name)")
    return True


def _names(node: cst.CSTNode):  # type: ignore[no-untyped-def]
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, cst.Name):
            yield n
        stack.extend(n.children)


class _Elements(cst.CSTTransformer):
    def __init__(self, obj: str, var: str) -> None:
        self.obj, self.var = obj, var

    def leave_ListComp(self, original, updated):  # type: ignore[no-untyped-def]
        return self._fix(updated)

    def leave_GeneratorExp(self, original, updated):  # type: ignore[no-untyped-def]
        return self._fix(updated)

    def leave_SetComp(self, original, updated):  # type: ignore[no-untyped-def]
        return self._fix(updated)

    def _fix(self, comp):  # type: ignore[no-untyped-def]
        kind = _element_kind(comp)
        it = comp.for_in.iter
        if kind is None or not (isinstance(it, cst.Attribute) and it.attr.value == "trainable_variables"
                                and isinstance(it.value, cst.Name) and it.value.value == self.obj):
            return comp
        v = comp.for_in.target.value
        code = f"{self.var}[{v}.path]" + (" + ':0'" if kind == "name" else "")
        return comp.with_changes(elt=cst.parse_expression(code))


def _builder(obj: str, var: str):  # type: ignore[no-untyped-def]
    def build(updated: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
        lookup = cst.parse_statement(
            f"{var} = {{f'{{{obj}.name}}/{{path}}': name for name, path in type({obj}).TF1_VARIABLE_NAMES.items()}}"
            "  # Keras variable path -> TF1 name\n")
        new = updated.visit(_Elements(obj, var))
        return [lookup.with_changes(leading_lines=updated.leading_lines), new.with_changes(leading_lines=[])]  # type: ignore[union-attr]
    return build


def chain(first, then):  # type: ignore[no-untyped-def]
    """Two statement builders of one line: `then` applied to the first statement `first` makes."""
    def build(updated: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
        out = first(updated)
        return [*then(out[0]), *out[1:]]
    return build
