"""Run all rules of a pack over one module in a single traversal."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import libcst as cst
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor

from migrate.engine.context import FileContext
from migrate.pack import Pack
from migrate.result import Finding
from migrate.rule import Rule


class BatchedTransformer(cst.CSTTransformer):
    """Dispatches each node to the ``visit_<Type>``/``leave_<Type>`` hooks of many rules.

    Leave hooks chain: each rule receives the previous rule's result as ``updated_node``
    while it keeps the same node type; a removal, a flatten or a change of node type ends
    the chain for that node.
    """

    def __init__(self, rules: Sequence[Rule]) -> None:
        super().__init__()
        self._visit: dict[str, list[Callable[..., Any]]] = defaultdict(list)
        self._leave: dict[str, list[Callable[..., Any]]] = defaultdict(list)
        for rule in rules:
            for attr in dir(type(rule)):
                if attr.startswith("visit_") and attr.count("_") == 1:
                    self._visit[attr[6:]].append(getattr(rule, attr))
                elif attr.startswith("leave_") and attr.count("_") == 1:
                    self._leave[attr[6:]].append(getattr(rule, attr))

    def on_visit(self, node: cst.CSTNode) -> bool:
        for hook in self._visit.get(type(node).__name__, ()):
            hook(node)
        return True

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
        hooks = self._leave.get(type(original_node).__name__)
        if not hooks:
            return updated_node
        result: Any = updated_node
        kind = type(updated_node)
        for hook in hooks:
            result = hook(original_node, result)
            if type(result) is not kind:
                break
        return result


@dataclass
class PassResult:
    module: cst.Module
    findings: list[Finding]
    context: FileContext


def run_pass(
    module: cst.Module,
    *,
    path: str,
    source_text: str,
    pack: Pack,
    rules: Sequence[type[Rule]],
    unsafe_fixes: bool,
) -> PassResult:
    """Apply `rules` to `module` once; return the new module and the findings."""
    ctx = FileContext(
        path=path,
        module=module,
        source_text=source_text,
        canonicalize=pack.canonicalize,
        unsafe_fixes=unsafe_fixes,
    )
    instances = [r(ctx) for r in rules]
    new = module.visit(BatchedTransformer(instances))
    assert isinstance(new, cst.Module)
    if ctx.additions_scheduled:
        # AddImportsVisitor needs no metadata; `transform_module` would deep-copy the
        # whole tree into a MetadataWrapper first (a quarter of a file's time).
        new = AddImportsVisitor(ctx.codemod).transform_module_impl(new)
    if ctx.removals_scheduled:
        # RemoveImportsVisitor needs full scope analysis on a copy of the tree: only run it
        # for imports whose local name is no longer used outside import statements.
        wanted = {asname or obj or mod.split(".")[0] for mod, obj, asname in ctx.removals}
        counter = _NameCounter(wanted)
        new.visit(counter)
        pending = False
        for mod, obj, asname in ctx.removals:
            local = asname or obj or mod.split(".")[0]
            if counter.counts.get(local, 0) == 0:
                RemoveImportsVisitor.remove_unused_import(ctx.codemod, mod, obj, asname)
                pending = True
        if pending:
            new = RemoveImportsVisitor(ctx.codemod).transform_module(new)
            new = _strip_new_leading_blank_lines(module, new)
    return PassResult(module=new, findings=ctx.findings, context=ctx)


def _strip_new_leading_blank_lines(old: cst.Module, new: cst.Module) -> cst.Module:
    """A removed first import can leave the file starting with blank lines: drop them."""
    if new.header or not new.body or old.header:
        return new
    first = new.body[0]
    lines = getattr(first, "leading_lines", ())
    if not lines or any(line.comment is not None for line in lines):
        return new
    old_lines = getattr(old.body[0], "leading_lines", ()) if old.body else ()
    if old_lines:
        return new
    return new.with_changes(body=[first.with_changes(leading_lines=[]), *new.body[1:]])


class _NameCounter(cst.CSTVisitor):
    """Counts uses of a few names: Name nodes outside import statements, attribute names
    excluded."""

    def __init__(self, names: set[str]) -> None:
        super().__init__()
        self.names = names
        self.counts: dict[str, int] = {}
        self._attrs: set[int] = set()

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._attrs.add(id(node.attr))

    def visit_Name(self, node: cst.Name) -> None:
        if node.value in self.names and id(node) not in self._attrs:
            self.counts[node.value] = self.counts.get(node.value, 0) + 1
