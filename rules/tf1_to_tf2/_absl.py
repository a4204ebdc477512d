"""Shared machinery for rules that move a tf.* module onto its absl-py counterpart."""

from __future__ import annotations

import libcst as cst

from migrate.engine.names import dotted_name
from migrate.rule import Rule
from rules.tf1_to_tf2._common import expr, rest_of, retire_tf_import


class AbslModuleRule(Rule):
    """Maps references under TF_MODULES onto `from absl import <ABSL_NAME>`.

    Subclasses set TF_MODULES (canonical paths below the tensorflow root), ABSL_NAME,
    RENAMES (attribute renames) and UNSUPPORTED (attributes absl lacks: manual items).
    """

    TF_MODULES: tuple[str, ...] = ()
    ABSL_NAME = ""
    FALLBACK_LOCAL = ""
    RENAMES: dict[str, str] = {}
    UNSUPPORTED: dict[str, str] = {}
    SCOPE = "names"  # references into tf.flags / tf.logging only (see engine.transform)

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self._maximal: set[int] = set()
        self._inner: set[int] = set()
        self._local: str | None = None

    def _module_rest(self, node: cst.BaseExpression) -> tuple[str, str] | None:
        """(tf module, attribute path below it) when `node` refers into TF_MODULES."""
        rest = rest_of(self.qname(node))
        if rest is None:
            return None
        for mod in self.TF_MODULES:
            if rest == mod:
                return mod, ""
            if rest.startswith(mod + "."):
                return mod, rest[len(mod) + 1 :]
        return None

    def local_name(self) -> str:
        """`flags` / `logging`, or an alias when the file binds that name to something else."""
        if self._local is None:
            name = self.ABSL_NAME
            bound = self.ctx.aliases.bindings.get(name)
            mine = bound == f"absl.{self.ABSL_NAME}" or rest_of(self.ctx.canonical(bound) if bound else None) in self.TF_MODULES
            taken = (bound is not None and not mine) or (
                bound is None and name in self.ctx.aliases.other_bound
            )
            if taken:
                name = self.ctx.free_name(self.FALLBACK_LOCAL)
            self._local = name
        return self._local

    def _import_if_applied(self) -> None:
        """Schedule the absl import once a fix was really applied (not suppressed)."""
        if self.ctx.last_finding_applied() and not self.ctx.state.get(f"absl-{self.ABSL_NAME}"):
            self.ctx.state[f"absl-{self.ABSL_NAME}"] = True
            local = self.local_name()
            self.add_import("absl", self.ABSL_NAME, None if local == self.ABSL_NAME else local)
            retire_tf_import(self)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if id(node) in self._inner or dotted_name(node) is None:
            return
        self._maximal.add(id(node))
        inner = node.value
        while isinstance(inner, cst.Attribute):
            self._inner.add(id(inner))
            inner = inner.value

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.BaseExpression) -> cst.BaseExpression:
        if id(original_node) not in self._maximal:
            return updated_node
        hit = self._module_rest(original_node)
        if hit is None:
            return updated_node
        _, attr = hit
        spelled = dotted_name(original_node)
        assert spelled is not None
        if self.ctx.aliases.assigned(spelled.split(".")[0]):
            # `FLAGS.x` or `flags.DEFINE_x` through an alias assigned in this file: the
            # assignment itself is rewritten (or dropped), so the use stays as written.
            return original_node
        head = attr.split(".")[0] if attr else ""
        if head in self.UNSUPPORTED:
            self.flag(original_node, f"`{spelled}`: {self.UNSUPPORTED[head]}", effort="trivial")
            return updated_node
        if head in self.RENAMES:
            attr = self.RENAMES[head] + attr[len(head) :]
        new_code = f"{self.local_name()}.{attr}" if attr else self.local_name()
        self.supersede(original_node)
        if new_code == spelled:
            return original_node
        out = self.fix(
            original_node,
            updated_node,
            expr(new_code),
            message=f"`{spelled}` is `absl.{self.ABSL_NAME}{'.' + attr if attr else ''}`",
        )
        self._import_if_applied()
        return out

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        """`flags = tf.app.flags` becomes unnecessary once `from absl import flags` exists."""
        if len(original_node.body) != 1 or not isinstance(original_node.body[0], cst.Assign):
            return updated_node
        assign = original_node.body[0]
        if len(assign.targets) != 1 or not isinstance(assign.targets[0].target, cst.Name):
            return updated_node
        hit = self._module_rest(assign.value)
        if hit is None or hit[1]:
            return updated_node
        target = assign.targets[0].target.value
        if target != self.local_name():
            return updated_node
        out = self.fix(
            original_node,
            updated_node,
            cst.RemovalSentinel.REMOVE,
            message=f"`{target} = {dotted_name(assign.value)}` is replaced by `from absl import {self.ABSL_NAME}`",
        )
        self._import_if_applied()
        return out
