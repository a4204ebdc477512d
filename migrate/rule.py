"""The rule base: what a rule declares, and the few calls it makes to report and fix.

A rule is a class in its own module under ``rules/<pack>/``. It declares a stable ``ID``
(TF2xxx for tf1-to-tf2, PT1xxx for tf2-to-torch), a ``NAME`` that describes the pattern,
a ``MESSAGE``, a docstring (What it does / Why / Example / Fix safety) and its own
``VALID`` / ``INVALID`` examples; the test suite turns every example into a test.

Rules use libcst's visitor protocol (``visit_Call`` / ``leave_Call(original, updated)``).
All rules of a pack run in ONE traversal of the tree (see ``engine.transform``), so a rule
must match on ``original_node`` (whose qualified names and positions are known) and build
its replacement from ``updated_node`` (which carries the other rules' edits below it).

A rule never prints, writes files or edits imports by hand: it returns nodes, calls
``fix``/``flag`` to record findings, and schedules imports with ``add_import``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, TypeVar

import libcst as cst

from migrate.result import Category, Safety

if TYPE_CHECKING:
    from migrate.engine.context import FileContext

N = TypeVar("N", bound=cst.CSTNode)


class SkipFile(Exception):
    """Raised by a rule to leave the whole file alone; the reason goes into the report."""


@dataclass(frozen=True)
class Valid:
    """Code the rule must leave alone and not report."""

    code: str


@dataclass(frozen=True)
class Invalid:
    """Code the rule must report. ``expected`` is the output after the rule's fixes (all
    fixes applied, unsafe included), or None when the rule only reports."""

    code: str
    expected: str | None = None
    message: str | None = None  # a substring the finding's message must contain


class Rule:
    """Base class of every rule. See the module docstring."""

    ID: ClassVar[str] = ""
    NAME: ClassVar[str] = ""
    MESSAGE: ClassVar[str] = ""
    SAFETY: ClassVar[Safety] = Safety.SAFE
    CATEGORY: ClassVar[Category] = Category.MANDATORY
    EFFORT: ClassVar[str] = "trivial"
    VALID: ClassVar[Sequence[Valid]] = ()
    INVALID: ClassVar[Sequence[Invalid]] = ()
    # "names": the rule acts only on code that spells a name the file binds (by import or
    # module alias) to the pack's library, and on import statements; the engine may then
    # skip statements that spell none (see migrate.engine.transform.NAMES). None: the
    # rule sees every node.
    SCOPE: ClassVar[str | None] = None
    # True: without --unsafe-fixes the rule has nothing to apply or report (its analysis
    # can only lead to unsafe fixes), so the engine does not run it then.
    UNSAFE_ONLY: ClassVar[bool] = False
    # True: the rule restructures code (moves, rebuilds or removes whole regions), and its
    # own findings describe that. Once one of its fixes is applied, the engine drops the
    # other rules' findings about code that no longer occurs in the output (see
    # FileContext.findings_in): they would describe what the restructuring replaced.
    RESTRUCTURES: ClassVar[bool] = False

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx

    # -- names -------------------------------------------------------------------------
    def qname(self, node: cst.BaseExpression) -> str | None:
        """The canonical qualified name of a dotted chain (``tensorflow.nn.relu``), or None."""
        return self.ctx.qname(node)

    def supersede(self, original: cst.CSTNode) -> None:
        """Drop findings other rules recorded on `original` (this rule replaces that code
        with something better, e.g. a structural rewrite of a call whose name the generic
        rename rule had already mapped)."""
        self.ctx.supersede(original)

    # -- findings ----------------------------------------------------------------------
    def fix(
        self,
        original: cst.CSTNode,
        updated: N,
        replacement: cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel[N],
        *,
        message: str | None = None,
        safety: Safety | None = None,
        effort: str | None = None,
        category: Category | None = None,
        manual: bool = False,
        title: str | None = None,
    ) -> N | cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel[N]:
        """Record a finding with a fix; return the node to put in the tree.

        The replacement is returned when the fix may be applied (safe, or unsafe with
        --unsafe-fixes, and not suppressed); otherwise ``updated`` is returned unchanged.
        ``manual=True`` applies the fix but still marks the finding as needing a person
        (for example a ``tf.compat.v1`` fallback).
        """
        return self.ctx.record_fix(
            self,
            original,
            updated,
            replacement,
            message=message,
            safety=safety or self.SAFETY,
            effort=effort,
            category=category,
            manual=manual,
            title=title,
        )

    def flag(
        self,
        original: cst.CSTNode,
        message: str | None = None,
        *,
        effort: str | None = None,
        category: Category | None = None,
    ) -> None:
        """Record a finding that has no automatic fix: a manual item for a person."""
        self.ctx.record_manual(self, original, message=message, effort=effort, category=category)

    # -- imports -----------------------------------------------------------------------
    def add_import(self, module: str, obj: str | None = None, asname: str | None = None) -> None:
        """Schedule ``import module`` / ``from module import obj [as asname]``."""
        self.ctx.add_import(module, obj, asname)

    def remove_import(self, module: str, obj: str | None = None, asname: str | None = None) -> None:
        """Schedule removal of an import; it is removed only if nothing else uses it."""
        self.ctx.remove_import(module, obj, asname)

    # -- documentation -----------------------------------------------------------------
    @classmethod
    def doc(cls) -> str:
        import inspect

        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def short_description(cls) -> str:
        return cls.MESSAGE or (cls.doc().splitlines() or [""])[0]
