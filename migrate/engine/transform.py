"""Run all rules of a pack over one module in a single traversal."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import libcst as cst
from libcst._nodes import op as _cst_op

from migrate.engine.context import FileContext
from migrate.engine.lean import lean_traversal
from migrate.engine.names import dotted_name
from migrate.engine.positions import STATEMENT_TYPES, _plain_chain
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
#: see BatchedTransformer.opaque (tests switch it off to compare)
LEAN_OPAQUE = True


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
        focus: list[cst.CSTNode | None] | None = None,
    ) -> None:
        super().__init__()
        # the statements the traversal is inside, innermost last (FileContext.range_of
        # computes positions from the innermost one); None: not tracked
        self._statements = statements
        # focus[0]: the node whose hooks are running (FileContext.range_of's fast path)
        self._focus: list[cst.CSTNode | None] = focus if focus is not None else [None]
        self._visit: dict[str, list[Callable[..., Any]]] = defaultdict(list)
        self._leave: dict[str, list[Callable[..., Any]]] = defaultdict(list)
        self._skip: set[int] | frozenset[int] = frozenset()
        self._decide_skip = decide_skip
        for rule in rules:
            for kind, attr, is_visit in _hooks(type(rule)):
                (self._visit if is_visit else self._leave)[kind].append(getattr(rule, attr))
        self._opaque = opaque_types(set(self._visit) | set(self._leave))
        # the classes of those types: the lean traversal (engine.lean) neither enters
        # them nor calls on_visit/on_leave for them (which would return at once)
        self.opaque: frozenset[type] = frozenset(getattr(cst, t) for t in self._opaque if hasattr(cst, t)) if LEAN_OPAQUE else frozenset()
        self._infos: dict[type, tuple[bool, bool, list[Callable[..., Any]] | None, list[Callable[..., Any]] | None]] = {}
        # Statements no hook changed anything in (libcst rebuilds every node it enters,
        # so the copy is a new object with the same text): id() of the copy -> (the copy,
        # the original). They can be printed from the source (see positions.code_of);
        # both are kept alive here so that no id() is reused during the pass.
        self.clean: dict[int, tuple[cst.CSTNode, cst.CSTNode]] = {}
        # Lines of simple statements that hooks changed below the line itself: (the new
        # line, the original, the (original node, new node) edits in it, innermost
        # first). `PassResult.verbatim` writes those whose edits only replace one dotted
        # name by another as their source text with the names replaced.
        self.changed_lines: list[tuple[cst.CSTNode, cst.CSTNode, list[tuple[cst.CSTNode, Any]]]] = []
        self._line_edits: list[tuple[cst.CSTNode, Any]] = []
        self._edits = 0
        self._marks: list[int] = []

    def _info(self, cls: type) -> tuple[bool, bool, list[Callable[..., Any]] | None, list[Callable[..., Any]] | None]:
        """(not entered, is a statement, visit hooks, leave hooks) of a node class."""
        kind = cls.__name__
        info = self._infos[cls] = (kind in self._opaque, kind in STATEMENT_TYPES, self._visit.get(kind), self._leave.get(kind))
        return info

    def on_visit(self, node: cst.CSTNode) -> bool:
        info = self._infos.get(node.__class__) or self._info(node.__class__)
        if info[0]:
            return False
        if info[1] and self._statements is not None:
            self._statements.append(node)  # popped in on_leave (libcst calls it even for skipped nodes)
        self._marks.append(self._edits)
        if node.__class__ is _LINE:
            self._line_edits = []
        if id(node) in self._skip:
            return False
        hooks = info[2]
        if hooks:
            self._focus[0] = node
            for hook in hooks:
                hook(node)
        if self._decide_skip is not None and isinstance(node, cst.Module):
            # after the rules' visit_Module (a rule may decide there whether it needs
            # the whole tree: SCOPE may be a property)
            self._skip = self._decide_skip() or frozenset()
            self._decide_skip = None
        return True

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
        info = self._infos.get(original_node.__class__) or self._info(original_node.__class__)
        if info[0]:  # not entered, no hooks
            return updated_node
        hooks = info[3]
        if not hooks or id(original_node) in self._skip:
            result: Any = updated_node
        else:
            result = updated_node
            kind = type(updated_node)
            self._focus[0] = original_node
            for hook in hooks:
                result = hook(original_node, result)
                if type(result) is not kind:
                    break
            if result is not updated_node:
                self._edits += 1
                self._line_edits.append((original_node, result))
        mark = self._marks.pop()
        if info[1]:
            if self._statements is not None:
                self._statements.pop()
            if mark == self._edits:
                self.clean[id(result)] = (result, original_node)
            elif result is updated_node and result.__class__ is _LINE:
                self.changed_lines.append((result, original_node, self._line_edits))
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

    changed_lines: list[tuple[cst.CSTNode, cst.CSTNode, list[tuple[cst.CSTNode, Any]]]] = field(default_factory=list)

    def verbatim(self) -> dict[int, tuple[str, str]] | None:
        """For `positions.code_of`: the statements of the result that no rule changed,
        with their text in the source and the indentation of their block there; and the
        changed lines whose text can be spliced from the source (see `_spliced`)."""
        texts = self.context.verbatim()
        if not texts:
            return None
        out = {copy_id: texts[id(orig)] for copy_id, (_copy, orig) in self.clean.items() if id(orig) in texts}
        if USE_SPLICE:
            for copy, orig, edits in self.changed_lines:
                entry = texts.get(id(orig))
                text = _spliced(self.context, orig, entry[0], edits) if entry is not None else None
                if text is not None:
                    out[id(copy)] = (text, entry[1])  # type: ignore[index]
        return out


#: write changed lines from their source text when only dotted names were replaced
#: (tests switch it off to compare with printing)
USE_SPLICE = True
_LINE = cst.SimpleStatementLine


def _spliced(ctx: FileContext, line: cst.CSTNode, text: str, edits: list[tuple[cst.CSTNode, Any]]) -> str | None:
    """The text of `line` (its source `text`, see ``relevance.statement_texts``) after
    `edits`, when each replaced a dotted name written without spaces or parentheses by
    another such name, at a position known from the source; None otherwise (the line is
    printed). Every other node of the line is the parsed one, printed as it was written.
    Each name is checked against the text at its position before it is replaced."""
    first = ctx.statement_first_line(line)
    if first is None:
        return None
    base = ctx.line_starts()[first - 1]
    spans: list[tuple[int, str, str]] = []
    for original, new in edits:
        old_text, new_text = _plain_chain(original), _plain_chain(new) if isinstance(new, cst.CSTNode) else None
        if old_text is None or new_text is None:
            return None
        found = ctx.text_offset(line, original)
        if found is None:
            return None
        offset = found[0] - base
        if text[offset : offset + len(old_text)] != old_text:
            return None
        spans.append((offset, old_text, new_text))
    spans.sort()
    out: list[str] = []
    at = 0
    for offset, old_text, new_text in spans:
        if offset < at:  # overlapping edits (a name inside a replaced name): print
            return None
        out.append(text[at:offset])
        out.append(new_text)
        at = offset + len(old_text)
    out.append(text[at:])
    return "".join(out)


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
    instances = [r(ctx) for r in rules if unsafe_fixes or not r.UNSAFE_ONLY]
    batched = BatchedTransformer(instances, lambda: skip_set(ctx, pack, instances), ctx.statement_stack, ctx.focus)
    with lean_traversal(BatchedTransformer):
        new = module.visit(batched)
    assert isinstance(new, cst.Module)
    if ctx.additions_scheduled:
        new = _add_imports(ctx, new)
    if ctx.removals_scheduled:
        # An import is removed when its local name is no longer used outside import
        # statements (nor spelled in a string: `__all__`, string annotations).
        counter = _NameCounter({_local_name(*r) for r in ctx.removals})
        new.visit(counter)
        unused = [r for r in ctx.removals if counter.counts.get(_local_name(*r), 0) == 0]
        if unused:
            new = new.visit(_ImportRemover(unused))
            new = _strip_new_leading_blank_lines(module, new)
    return PassResult(module=new, findings=ctx.findings, context=ctx, clean=batched.clean, changed_lines=batched.changed_lines)


def _local_name(mod: str, obj: str | None, asname: str | None) -> str:
    """The name an import binds: `import a.b` -> a, `from a import b` -> b, `as c` -> c."""
    return asname or obj or mod.split(".")[0]


def _add_imports(ctx: FileContext, module: cst.Module) -> cst.Module:
    """Run libcst's AddImportsVisitor on the head of the module only.

    It reads and edits only the docstring, the block of imports that opens the module and
    the first statement after it (to put a blank line before it), but traverses the whole
    tree twice; on the head alone it gives the same result for a fraction of the cost.
    It needs no metadata, so ``transform_module`` (which would deep-copy the tree into a
    MetadataWrapper first) is not used either. Of the first statement after the imports
    it reads and changes only the leading lines: it is given a one-line stand-in with the
    same leading lines (a class or a function there would be traversed twice for nothing).
    """
    body = module.body
    i = 1 if body and _is_docstring_or_strict(body[0]) else 0
    while i < len(body) and _is_import_line(body[i]):
        i += 1
    first = body[i] if i < len(body) else None
    stand_in = cst.SimpleStatementLine([cst.Pass()], leading_lines=first.leading_lines) if first is not None else None  # type: ignore[union-attr]
    head = module.with_changes(body=[*body[:i], *([stand_in] if stand_in is not None else [])])
    from libcst.codemod.visitors import AddImportsVisitor

    with _matcher_scan_cache():
        new_head = AddImportsVisitor(ctx.codemod).transform_module_impl(head)
    new_body = list(new_head.body)
    if stand_in is not None:
        after = new_body.pop()
        if after.leading_lines is not stand_in.leading_lines:  # type: ignore[union-attr]
            first = first.with_changes(leading_lines=after.leading_lines)  # type: ignore[union-attr]
        new_body.append(first)
    return new_head.with_changes(body=[*new_body, *body[i + 1 :]])


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


class _StatementsOnly:
    """For the engine's small passes: no attribute-level hooks (libcst would look them up
    twice for every field of every node) and import statements are not entered."""

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        return None

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        return None

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False


class _ImportRemover(_StatementsOnly, cst.CSTTransformer):
    """Drops the given imports (module, object or None, alias or None) wherever they
    are, editing the statements the way libcst's RemoveImportsVisitor does (the last kept
    name loses its trailing comma; comments after a removed name move to the previous one,
    or to the opening parenthesis), without its scope analysis: the engine has already
    checked that the local names are unused. Only statements are entered."""

    _ENTER = frozenset(
        {
            "Module", "SimpleStatementLine", "SimpleStatementSuite", "IndentedBlock", "Else", "Finally",
            "ExceptHandler", "ExceptStarHandler", "MatchCase", "Import", "ImportFrom",
            *STATEMENT_TYPES,
        }
    )

    def __init__(self, unused: list[tuple[str, str | None, str | None]]) -> None:
        super().__init__()
        self.modules = {mod: asname for mod, obj, asname in unused if obj is None}
        self.objects: dict[str, set[tuple[str, str | None]]] = {}
        for mod, obj, asname in unused:
            if obj is not None:
                self.objects.setdefault(mod, set()).add((obj, asname))

    def on_visit(self, node: cst.CSTNode) -> bool:
        return type(node).__name__ in self._ENTER and super().on_visit(node)


    def leave_Import(self, original_node: cst.Import, updated_node: cst.Import) -> cst.Import | cst.RemovalSentinel:
        keep = [
            a for a in original_node.names
            if a.evaluated_name not in self.modules or a.evaluated_alias != self.modules[a.evaluated_name]
        ]
        return self._edited(updated_node, list(original_node.names), keep, {})

    def leave_ImportFrom(self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom) -> cst.ImportFrom | cst.RemovalSentinel:
        names = original_node.names
        if isinstance(names, cst.ImportStar) or original_node.relative or original_node.module is None:
            return updated_node
        module = dotted_name(original_node.module)
        gone = self.objects.get(module or "")
        if not gone:
            return updated_node
        keep: list[cst.ImportAlias] = []
        updates: dict[str, Any] = {}
        for alias in names:
            if (alias.evaluated_name, alias.evaluated_alias) not in gone:
                keep.append(alias)
                continue
            comma = alias.comma
            if isinstance(comma, cst.Comma):  # keep the comments that followed the removed name
                if keep:
                    prev = keep[-1]
                    if isinstance(prev.comma, cst.Comma):
                        prev = prev.with_deep_changes(
                            prev.comma, whitespace_after=_merge_whitespace_after(prev.comma.whitespace_after, comma.whitespace_after)
                        )
                    else:
                        prev = prev.with_changes(comma=comma)
                    keep[-1] = prev
                elif isinstance(updated_node.lpar, cst.LeftParen):
                    updates["lpar"] = updated_node.lpar.with_changes(
                        whitespace_after=_merge_whitespace_after(updated_node.lpar.whitespace_after, comma.whitespace_after)
                    )
        return self._edited(updated_node, list(names), keep, updates)

    @staticmethod
    def _edited(updated: Any, names: list[cst.ImportAlias], keep: list[cst.ImportAlias], updates: dict[str, Any]) -> Any:
        if keep == names:
            return updated
        if not keep:
            return cst.RemoveFromParent()
        if keep[-1] is not names[-1]:
            keep = [*keep[:-1], keep[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)]
        return updated.with_changes(names=keep, **updates)


def _merge_whitespace_after(left: cst.BaseParenthesizableWhitespace, right: cst.BaseParenthesizableWhitespace) -> cst.BaseParenthesizableWhitespace:
    if not isinstance(right, cst.ParenthesizedWhitespace):
        return left
    if not isinstance(left, cst.ParenthesizedWhitespace):
        return right
    return left.with_changes(empty_lines=tuple(line for line in right.empty_lines if line.comment is not None))


_DOTTED = re.compile(r"\s*([A-Za-z_]\w*)(?:\.[A-Za-z_]\w*)*\s*")


class _NameCounter(_StatementsOnly, cst.CSTVisitor):
    """Counts uses of a few names: Name nodes outside import statements, attribute names
    excluded."""

    def __init__(self, names: set[str]) -> None:
        super().__init__()
        self.names = names
        self.counts: dict[str, int] = {}
        self._attrs: set[int] = set()
        self._in_strings = 0
        self._all: list[bool] = []

    _PASS = frozenset(t for t in BELOW if t not in ("Name", "SimpleString"))

    def on_visit(self, node: cst.CSTNode) -> bool:
        if type(node).__name__ in self._PASS:
            return False
        return super().on_visit(node)


    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._attrs.add(id(node.attr))

    def visit_Name(self, node: cst.Name) -> None:
        if node.value in self.names and id(node) not in self._attrs:
            self.counts[node.value] = self.counts.get(node.value, 0) + 1

    # A string is a use when it names the import in an annotation (`x: "tf.Tensor"`) or
    # in `__all__` (as libcst's scope analysis counts them); other strings are data.
    def visit_Annotation(self, node: cst.Annotation) -> None:
        self._in_strings += 1

    def leave_Annotation(self, original_node: cst.Annotation) -> None:
        self._in_strings -= 1

    def visit_Assign(self, node: cst.Assign) -> None:
        self._all.append(any(isinstance(t.target, cst.Name) and t.target.value == "__all__" for t in node.targets))
        self._in_strings += self._all[-1]

    def leave_Assign(self, original_node: cst.Assign) -> None:
        self._in_strings -= self._all.pop()

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._all.append(isinstance(node.target, cst.Name) and node.target.value == "__all__")
        self._in_strings += self._all[-1]

    def leave_AugAssign(self, original_node: cst.AugAssign) -> None:
        self._in_strings -= self._all.pop()

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if not self._in_strings:
            return
        m = _DOTTED.fullmatch(node.value.strip("'\"rRbBuU"))
        if m is not None and m.group(1) in self.names:
            self.counts[m.group(1)] = self.counts.get(m.group(1), 0) + 1
