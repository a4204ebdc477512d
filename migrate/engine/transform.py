"""Run all rules of a pack over one module in a single traversal."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import libcst as cst
from libcst._nodes import op as _cst_op

from migrate.engine.context import FileContext
from migrate.engine.relevance import skippable
from migrate.pack import Pack
from migrate.result import Finding
from migrate.rule import Rule


#: A rule that sets ``SCOPE = NAMES`` promises to act only on code that spells a name the
#: file binds (by import or module alias) to the pack's library, i.e. a local whose
#: qualified name contains one of the pack's triggers (``tf``, ``slim``, a bare
#: ``placeholder`` imported from tensorflow), and on import statements. When every rule of
#: a pass is so scoped, the traversal skips the statements that spell no such name (see
#: ``engine.relevance``). A rule without SCOPE sees every node (and the pass pays for it).
NAMES = "names"


def _hooks(cls: type) -> tuple[tuple[str, str, bool], ...]:
    """(node type, method name, is_visit) of the visitor hooks a rule class defines."""
    found = _HOOKS.get(cls)
    if found is None:
        out = []
        for attr in dir(cls):
            if attr.startswith("visit_") and attr.count("_") == 1:
                out.append((attr[6:], attr, True))
            elif attr.startswith("leave_") and attr.count("_") == 1:
                out.append((attr[6:], attr, False))
        found = _HOOKS[cls] = tuple(out)
    return found


_HOOKS: dict[type, tuple[tuple[str, str, bool], ...]] = {}

# Node types whose subtrees hold only whitespace and punctuation, with the types that can
# occur below them. The traversal does not enter (nor rebuild) a node of such a type when
# no rule has a hook for it or for anything below it: 60% of the nodes of a typical file
# are whitespace, commas, dots and brackets.
_WHITESPACE = frozenset({"SimpleWhitespace", "ParenthesizedWhitespace", "TrailingWhitespace", "Newline", "Comment", "EmptyLine"})
_PARENS = frozenset({"LeftParen", "RightParen"})
_TOKENS = frozenset(
    name
    for name, obj in vars(_cst_op).items()
    if isinstance(obj, type) and issubclass(obj, cst.CSTNode) and not getattr(obj, "__abstractmethods__", None)
) | _PARENS | {"LeftSquareBracket", "RightSquareBracket", "LeftCurlyBrace", "RightCurlyBrace"}
_LEAVES = frozenset({"Name", "Integer", "Float", "Imaginary", "SimpleString", "Ellipsis"})
BELOW: dict[str, frozenset[str]] = {
    **{t: _WHITESPACE for t in _WHITESPACE | _TOKENS},
    **{t: _WHITESPACE | _PARENS for t in _LEAVES},
}


#: The statements that are elements of a body (module or indented block).
STATEMENT_TYPES = frozenset(
    {"SimpleStatementLine", "FunctionDef", "ClassDef", "If", "For", "While", "Try", "TryStar", "With", "Match"}
)


def opaque_types(hooked: set[str]) -> frozenset[str]:
    """The types in BELOW that need not be entered when `hooked` types have hooks."""
    return frozenset(t for t, below in BELOW.items() if t not in hooked and not (below & hooked))


class BatchedTransformer(cst.CSTTransformer):
    """Dispatches each node to the ``visit_<Type>``/``leave_<Type>`` hooks of many rules.

    Leave hooks chain: each rule receives the previous rule's result as ``updated_node``
    while it keeps the same node type; a removal, a flatten or a change of node type ends
    the chain for that node. A rule pays only for the node types it has hooks for.
    `decide_skip` is called once, right after the ``visit_Module`` hooks: the statements
    whose ``id()`` it returns are neither entered nor shown to any hook.
    """

    def __init__(
        self,
        rules: Sequence[Rule],
        decide_skip: Callable[[], set[int] | None] | None = None,
        statements: list[cst.CSTNode] | None = None,
    ) -> None:
        super().__init__()
        # the statements the traversal is inside, innermost last (FileContext.range_of
        # computes positions from the innermost one); None: not tracked
        self._statements = statements
        self._visit: dict[str, list[Callable[..., Any]]] = defaultdict(list)
        self._leave: dict[str, list[Callable[..., Any]]] = defaultdict(list)
        self._skip: set[int] | frozenset[int] = frozenset()
        self._decide_skip = decide_skip
        for rule in rules:
            for kind, attr, is_visit in _hooks(type(rule)):
                (self._visit if is_visit else self._leave)[kind].append(getattr(rule, attr))
        self._opaque = opaque_types(set(self._visit) | set(self._leave))
        # Statements no hook changed anything in (libcst rebuilds every node it enters,
        # so the copy is a new object with the same text): id() of the copy -> (the copy,
        # the original). They can be printed from the source (see positions.code_of);
        # both are kept alive here so that no id() is reused during the pass.
        self.clean: dict[int, tuple[cst.CSTNode, cst.CSTNode]] = {}
        self._edits = 0
        self._marks: list[int] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        kind = type(node).__name__
        if kind in self._opaque:
            return False
        if self._statements is not None and kind in STATEMENT_TYPES:
            self._statements.append(node)  # popped in on_leave (libcst calls it even for skipped nodes)
        self._marks.append(self._edits)
        if id(node) in self._skip:
            return False
        hooks = self._visit.get(kind)
        if hooks:
            for hook in hooks:
                hook(node)
        if self._decide_skip is not None and isinstance(node, cst.Module):
            # after the rules' visit_Module (a rule may decide there whether it needs
            # the whole tree: SCOPE may be a property)
            self._skip = self._decide_skip() or frozenset()
            self._decide_skip = None
        return True

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
        name = type(original_node).__name__
        if name in self._opaque:  # not entered, no hooks
            return updated_node
        hooks = self._leave.get(name)
        if not hooks or id(original_node) in self._skip:
            result: Any = updated_node
        else:
            result = updated_node
            kind = type(updated_node)
            for hook in hooks:
                result = hook(original_node, result)
                if type(result) is not kind:
                    break
            if result is not updated_node:
                self._edits += 1
        if self._statements is not None and name in STATEMENT_TYPES:
            self._statements.pop()
        if self._marks.pop() == self._edits and name in STATEMENT_TYPES:
            self.clean[id(result)] = (result, original_node)
        return result

    # Attribute-level hooks (``visit_Call_func``) are not dispatched: libcst would look
    # them up by name twice for every field of every node.
    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        return None

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        return None


def skip_set(ctx: FileContext, pack: Pack, rules: Sequence[Rule]) -> set[int] | None:
    """The statements the pass need not enter; None (enter everything) when a rule is not
    name-scoped or the statements do not line up with CPython's parse."""
    if not rules or any(getattr(r, "SCOPE", None) != NAMES for r in rules):
        return None
    triggers = [t.decode("ascii", "ignore") for t in pack.triggers]
    names = [local for local, target in ctx.aliases.bindings.items() if any(t in target for t in triggers)]
    return skippable(ctx.module, ctx.source_text, names, ctx.python_ast())


@dataclass
class PassResult:
    module: cst.Module
    findings: list[Finding]
    context: FileContext
    clean: dict[int, tuple[cst.CSTNode, cst.CSTNode]]

    def verbatim(self) -> dict[int, tuple[str, str]] | None:
        """For `positions.code_of`: the statements of the result that no rule changed,
        with their text in the source and the indentation of their block there."""
        texts = self.context.verbatim()
        if not texts:
            return None
        return {copy_id: texts[id(orig)] for copy_id, (_copy, orig) in self.clean.items() if id(orig) in texts}


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
    batched = BatchedTransformer(instances, lambda: skip_set(ctx, pack, instances), ctx.statement_stack)
    new = module.visit(batched)
    assert isinstance(new, cst.Module)
    if ctx.additions_scheduled:
        new = _add_imports(ctx, new)
    if ctx.removals_scheduled:
        from libcst.codemod.visitors import RemoveImportsVisitor

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
    return PassResult(module=new, findings=ctx.findings, context=ctx, clean=batched.clean)


def _add_imports(ctx: FileContext, module: cst.Module) -> cst.Module:
    """Run libcst's AddImportsVisitor on the head of the module only.

    It reads and edits only the docstring, the block of imports that opens the module and
    the first statement after it (to put a blank line before it), but traverses the whole
    tree twice; on the head alone it gives the same result for a fraction of the cost.
    It needs no metadata, so ``transform_module`` (which would deep-copy the tree into a
    MetadataWrapper first) is not used either.
    """
    body = module.body
    i = 1 if body and _is_docstring_or_strict(body[0]) else 0
    while i < len(body) and _is_import_line(body[i]):
        i += 1
    cut = i + 1
    head = module.with_changes(body=body[:cut])
    from libcst.codemod.visitors import AddImportsVisitor

    with _matcher_scan_cache():
        new_head = AddImportsVisitor(ctx.codemod).transform_module_impl(head)
    return new_head.with_changes(body=[*new_head.body, *body[cut:]])


_NO_MATCHERS: dict[str, set[type]] = {}


@contextmanager
def _matcher_scan_cache() -> Iterator[None]:
    """libcst's matcher-aware visitors (AddImportsVisitor and the gatherer it runs) scan
    every attribute of the instance for matcher decorators each time one is built: ~8 ms
    each, more than the rest of a small file's rewrite. Remember the classes that have no
    decorated methods, for the duration of our call only (the scan functions are put back)."""
    try:
        from libcst.matchers import _visitors as mv

        names = ("_gather_constructed_visit_funcs", "_gather_constructed_leave_funcs", "_gather_matchers")
        saved = {n: getattr(mv, n) for n in names}
    except (ImportError, AttributeError):  # another libcst: no shortcut
        yield
        return

    def cached(name: str, scan: Callable[[object], dict[Any, Any]]) -> Callable[[object], dict[Any, Any]]:
        empty = _NO_MATCHERS.setdefault(name, set())

        def scan_once(obj: object) -> dict[Any, Any]:
            if type(obj) in empty:
                return {}
            found = scan(obj)
            if not found:
                empty.add(type(obj))
            return found

        return scan_once

    for n, fn in saved.items():
        setattr(mv, n, cached(n, fn))
    try:
        yield
    finally:
        for n, fn in saved.items():
            setattr(mv, n, fn)


def _is_import_line(stmt: cst.CSTNode) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], (cst.Import, cst.ImportFrom))


def _is_docstring_or_strict(stmt: cst.CSTNode) -> bool:
    """libcst's ``_skip_first``: a leading docstring or ``__strict__`` assignment (it also
    decides on the head module, so this only needs to be no narrower than libcst's test)."""
    return isinstance(stmt, cst.SimpleStatementLine) and bool(stmt.body) and isinstance(stmt.body[0], (cst.Expr, cst.Assign))


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

    _PASS = frozenset(t for t in BELOW if t != "Name")

    def on_visit(self, node: cst.CSTNode) -> bool:
        if type(node).__name__ in self._PASS:
            return False
        return super().on_visit(node)

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        return None

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        return None

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._attrs.add(id(node.attr))

    def visit_Name(self, node: cst.Name) -> None:
        if node.value in self.names and id(node) not in self._attrs:
            self.counts[node.value] = self.counts.get(node.value, 0) + 1
