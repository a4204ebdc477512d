"""Helpers shared by the tf1-to-tf2 rules (not a rule module)."""

from __future__ import annotations

import libcst as cst

from migrate.cstutil import fix_commas, keyword_args  # noqa: F401  (re-exported for the pack)
from migrate.engine.context import FileContext
from migrate.engine.names import iter_lines
from migrate.rule import Rule

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


_EMPTY = cst.Module([])


def code(node: cst.CSTNode) -> str:
    """The source text of a node (printed with default indentation and newlines)."""
    return _EMPTY.code_for_node(node)


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


def take_positionals(args: dict[str, cst.Arg], names: list[str]) -> list[cst.Arg]:
    """Remove from `args` the leading `names` that were passed positionally and return
    them, in order, as positional arguments of a new call (commas cleared)."""
    out: list[cst.Arg] = []
    for name in names:
        if name not in args or args[name].keyword is not None:
            break
        out.append(args.pop(name).with_changes(comma=cst.MaybeSentinel.DEFAULT))
    return out


def retire_tf_import(rule: Rule) -> None:
    """Schedule removal of the file's TensorFlow imports; libcst removes an import only
    when nothing uses it any more (e.g. after tf.flags/tf.logging moved to absl)."""
    ctx = rule.ctx
    if ctx.state.get("retire-tf"):
        return
    ctx.state["retire-tf"] = True
    commented: set[int] | None = None
    for local, target in ctx.aliases.bindings.items():
        node = ctx.aliases.import_nodes.get(local)
        if isinstance(node, cst.Import) and (target == TF or target in V1_ALIASES):
            if commented is None:  # id() of the import statements on a line with a comment
                commented = {
                    id(small) for line in iter_lines(ctx.module.body) if _has_comment(line) for small in line.body
                }
            if id(node) in commented:
                continue  # removing the line would lose the user's comment
            rule.remove_import(target, None, local if local != target.split(".")[0] else None)


def _has_comment(line: cst.SimpleStatementLine | cst.SimpleStatementSuite) -> bool:
    """The line ends with a comment."""
    return line.trailing_whitespace.comment is not None
