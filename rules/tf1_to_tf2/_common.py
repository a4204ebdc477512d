"""Helpers shared by the tf1-to-tf2 rules (not a rule module)."""

from __future__ import annotations

import libcst as cst

from migrate.engine.context import FileContext

TF = "tensorflow"
V1_ALIASES = ("tensorflow.compat.v1",)


def rest_of(canonical: str | None) -> str | None:
    """``tensorflow.nn.relu`` -> ``nn.relu``; ``tensorflow`` -> ``""``; other -> None."""
    if canonical is None:
        return None
    if canonical == TF:
        return ""
    if canonical.startswith(TF + "."):
        return canonical[len(TF) + 1 :]
    return None


def tf_root(ctx: FileContext) -> str:
    """The local name that will refer to the ``tensorflow`` package after the rewrite.

    A module imported as ``import tensorflow.compat.v1 as tf`` is rewritten to
    ``import tensorflow as tf`` by TF2001, so such an alias counts as the root too.
    When the file has no such name, ``import tensorflow as tf`` is scheduled.
    """
    cached = ctx.state.get("tf_root")
    if cached:
        return cached
    for local, target in ctx.aliases.bindings.items():
        if target == TF and local in ctx.aliases.import_nodes:
            ctx.state["tf_root"] = local
            return local
    for local, target in ctx.aliases.bindings.items():
        if target in V1_ALIASES and local in ctx.aliases.import_nodes:
            ctx.state["tf_root"] = local
            return local
    name = ctx.free_name("tf")
    if name == "tf":
        ctx.add_import(TF, None, "tf")
    else:
        ctx.add_import(TF, None, None)
        name = TF
    ctx.state["tf_root"] = name
    return name


def expr(code: str) -> cst.BaseExpression:
    """An expression node; dotted names are built directly (parsing costs ~3 ms a call)."""
    parts = code.split(".")
    if all(p.isidentifier() for p in parts):
        node: cst.BaseExpression = cst.Name(parts[0])
        for p in parts[1:]:
            node = cst.Attribute(value=node, attr=cst.Name(p))
        return node
    return cst.parse_expression(code)


def keyword_args(call: cst.Call, params: list[str]) -> dict[str, cst.Arg] | None:
    """Map a call's arguments to parameter names using a positional parameter list.

    Returns None when the call uses ``*args``/``**kwargs`` or has too many positionals.
    """
    out: dict[str, cst.Arg] = {}
    pos = 0
    for arg in call.args:
        if arg.star:
            return None
        if arg.keyword is None:
            if pos >= len(params):
                return None
            out[params[pos]] = arg
            pos += 1
        else:
            out[arg.keyword.value] = arg
    return out


def kwarg(name: str, value: cst.BaseExpression, template: cst.Arg | None = None) -> cst.Arg:
    """A keyword argument ``name=value``, keeping the comma/whitespace of `template`."""
    arg = cst.Arg(
        keyword=cst.Name(name),
        value=value,
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
    )
    if template is not None:
        arg = arg.with_changes(comma=template.comma, whitespace_after_arg=template.whitespace_after_arg)
    return arg


def fix_commas(args: list[cst.Arg]) -> list[cst.Arg]:
    """Make the argument list well-formed: a comma after every argument but the last."""
    out = []
    for i, a in enumerate(args):
        last = i == len(args) - 1
        if last:
            if isinstance(a.comma, cst.Comma) and not _comma_has_newline(a.comma):
                a = a.with_changes(comma=cst.MaybeSentinel.DEFAULT)
        elif not isinstance(a.comma, cst.Comma):
            a = a.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        out.append(a)
    return out


def _comma_has_newline(comma: cst.Comma) -> bool:
    return isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace)
