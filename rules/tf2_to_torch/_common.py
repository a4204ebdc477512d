"""Helpers shared by the tf2-to-torch rules (not a rule module).

Data layout: one strategy for the whole pack
--------------------------------------------
Keras lays images out channels-last (NHWC); PyTorch's convolution, pooling and batch-norm
modules expect channels-first (NCHW). The pack **keeps the user's NHWC interface**: every
tensor the user's code can see (model inputs and outputs, the values a ``forward`` passes
between layers, the arguments of ops) keeps its Keras layout, so no ``axis`` argument of any
op changes meaning and ``Flatten`` flattens in NHWC order, which keeps the rows of the next
``Dense``/``Linear`` weight in their Keras order.

Only the modules that need channels-first input run inside a small helper,
``ChannelsLast(...)`` (an ``nn.Sequential`` that moves the channel axis to position 1 on
the way in and back to the end on the way out). In an ``nn.Sequential`` a whole run of such
layers shares one ``ChannelsLast`` group, so the permutes sit at the edges of the run (the
model's input side and just before ``Flatten``), as the usual "permute at the model edges"
strategy would place them. ``movedim`` returns a view with channels-last strides, so PyTorch
runs the wrapped convolutions in its channels_last memory format instead of copying.

Weights then transfer with the layout rules of the reference (Dense kernel transposed,
Conv kernels HWIO -> OIHW); nothing else is permuted.

TensorFlow's ``padding='same'`` with a stride above 1 pads the odd pixel at the end (bottom
/ right), which no PyTorch ``padding=`` argument expresses and which depends on the input
size; the pack inserts a ``SamePad`` helper module that computes the padding from the input
size at run time. Both helpers are written into the converted file, next to the imports.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from migrate.cstutil import fix_commas, keyword_args  # noqa: F401  (re-exported for the pack)
from migrate.engine.context import FileContext
from migrate.engine.names import dotted_name
from migrate.rule import Rule

TF = "tensorflow"
KERAS = "tensorflow.keras"

# --------------------------------------------------------------------------------------
# names


def tf_rest(qualified: str | None) -> str | None:
    """``tensorflow.nn.relu`` -> ``nn.relu``; other names -> None."""
    if qualified is None or not qualified.startswith(TF + "."):
        return None
    return qualified[len(TF) + 1 :]


def keras_rest(qualified: str | None) -> str | None:
    """``tensorflow.keras.layers.Dense`` -> ``layers.Dense``; other names -> None."""
    if qualified is None or not qualified.startswith(KERAS + "."):
        return None
    return qualified[len(KERAS) + 1 :]


def layer_name(qualified: str | None) -> str | None:
    """The Keras layer class named by `qualified` (``Dense``), or None."""
    rest = keras_rest(qualified)
    if rest is None:
        return None
    for prefix in ("layers.", "layers.experimental."):
        if rest.startswith(prefix) and "." not in rest[len(prefix) :]:
            return rest[len(prefix) :]
    return None


SEQUENTIAL = {"tensorflow.keras.Sequential", "tensorflow.keras.models.Sequential"}
KERAS_BASES = {
    "tensorflow.keras.Model": "tf.keras.Model",
    "tensorflow.keras.models.Model": "tf.keras.Model",
    "tensorflow.keras.layers.Layer": "tf.keras.layers.Layer",
}


# --------------------------------------------------------------------------------------
# expressions


def expr(code: str) -> cst.BaseExpression:
    return cst.parse_expression(code)


_EMPTY = cst.Module(body=[])


def code_of(node: cst.CSTNode) -> str:
    return _EMPTY.code_for_node(node)


_ATOMS = (
    cst.Name,
    cst.Attribute,
    cst.Call,
    cst.Subscript,
    cst.Integer,
    cst.Float,
    cst.Imaginary,
    cst.SimpleString,
    cst.ConcatenatedString,
    cst.FormattedString,
    cst.List,
    cst.Tuple,
    cst.Dict,
    cst.Set,
    cst.ListComp,
    cst.SetComp,
    cst.DictComp,
    cst.GeneratorExp,
)


def is_atom(node: cst.BaseExpression) -> bool:
    return isinstance(node, _ATOMS) or bool(getattr(node, "lpar", None))


def atom_code(node: cst.BaseExpression) -> str:
    """Source of `node`, parenthesized when it is not an atom (for ``x.attr`` / ``1 - x``)."""
    code = code_of(node)
    return code if is_atom(node) else f"({code})"


class _NotLiteral:
    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return "NOT_LITERAL"


NOT_LITERAL: Any = _NotLiteral()


def literal(node: cst.BaseExpression | None) -> Any:
    """The Python value of a literal (numbers, strings, booleans, None, tuples/lists of
    them, unary minus), or NOT_LITERAL."""
    if node is None:
        return NOT_LITERAL
    if isinstance(node, cst.Integer):
        return int(node.evaluated_value)
    if isinstance(node, cst.Float):
        return float(node.evaluated_value)
    if isinstance(node, cst.SimpleString):
        return node.evaluated_value
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[node.value]
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = literal(node.expression)
        if isinstance(inner, (int, float)) and not isinstance(inner, bool):
            return -inner
        return NOT_LITERAL
    if isinstance(node, (cst.Tuple, cst.List)):
        out = []
        for el in node.elements:
            if not isinstance(el, cst.Element):
                return NOT_LITERAL
            v = literal(el.value)
            if v is NOT_LITERAL:
                return NOT_LITERAL
            out.append(v)
        return tuple(out)
    return NOT_LITERAL


def multiline(func: str, items: Sequence[str], indent: str = "    ") -> str:
    """``func(\\n    a,\\n    b,\\n)`` with nested multi-line items indented once more."""
    if not items:
        return f"{func}()"
    body = "".join(indent + item.replace("\n", "\n" + indent) + ",\n" for item in items)
    return f"{func}(\n{body})"


# --------------------------------------------------------------------------------------
# per-file state shared by the rules of this pack


@dataclass
class LayerHint:
    """What the container of a Keras layer call knows about it (set in visit hooks)."""

    in_shape: Any = None  # Shape (see _layers) or None when unknown
    activation_at_call: bool = False  # the class rule applies the fused activation at call sites
    context: str = ""  # "sequential", "attribute", "assign"


@dataclass
class PackState:
    hints: dict[int, LayerHint] = field(default_factory=dict)  # id(original layer call) -> hint
    built: dict[int, Any] = field(default_factory=dict)  # id(original layer call) -> Built
    frozen: set[int] = field(default_factory=set)  # layer calls a container keeps as they are
    handled: set[int] = field(default_factory=set)  # nodes a structural rule converts or reports
    call_funcs: set[int] = field(default_factory=set)  # id(func) of every Call
    inner: set[int] = field(default_factory=set)  # Attribute/Name nodes inside a longer chain
    assigned: set[int] = field(default_factory=set)  # values of assignments
    helpers: list[str] = field(default_factory=list)
    helpers_done: bool = False
    imports_retired: bool = False
    scan: Any = None  # _analysis.ModuleScan
    keras_classes: set[str] = field(default_factory=set)  # user classes converted to nn.Module
    class_stack: list[Any] = field(default_factory=list)  # _analysis.ClassInfo of the classes being left
    import_depth: int = 0
    tf_args: set[int] = field(default_factory=set)  # argument values of TensorFlow API calls


def state(ctx: FileContext) -> PackState:
    st = ctx.state.get("tf2_to_torch")
    if st is None:
        st = ctx.state["tf2_to_torch"] = PackState()
    return st


# --------------------------------------------------------------------------------------
# torch names and imports

_ROOT_RE = re.compile(r"(?<![\w.])(torch|nn|F)\.")


def torch_roots(ctx: FileContext) -> dict[str, str]:
    """How this file spells ``torch``, ``torch.nn`` and ``torch.nn.functional``."""
    cached = ctx.state.get("torch_roots")
    if cached:
        return cached  # type: ignore[no-any-return]
    roots = {"torch": "torch", "nn": "nn", "F": "F"}
    wanted = {"torch": "torch", "nn": "torch.nn", "F": "torch.nn.functional"}
    for local, target in wanted.items():
        bound = ctx.aliases.bindings.get(local)
        if (bound is not None and bound != target) or (bound is None and local in ctx.aliases.other_bound):
            roots[local] = target
    ctx.state["torch_roots"] = roots
    return roots


def localize(ctx: FileContext, code: str) -> str:
    """Spell the ``torch.`` / ``nn.`` / ``F.`` roots of generated `code` for this file."""
    roots = torch_roots(ctx)
    if all(v == k for k, v in roots.items()):
        return code
    return _ROOT_RE.sub(lambda m: roots[m.group(1)] + ".", code)


def schedule_torch_imports(rule: Rule, code: str) -> None:
    """Schedule the imports the roots of generated `code` need."""
    roots = torch_roots(rule.ctx)
    for root in set(_ROOT_RE.findall(code)):
        local = roots[root]
        if root == "torch" or local != root:
            rule.add_import("torch")
        elif root == "nn":
            rule.add_import("torch", "nn")
        else:
            rule.add_import("torch.nn.functional", None, "F")


def torch_code(rule: Rule, code: str) -> str:
    """`code` with localized roots; schedules the imports it needs."""
    schedule_torch_imports(rule, code)
    return localize(rule.ctx, code)


def retire_tf_imports(ctx: FileContext) -> None:
    """Schedule removal of the file's TensorFlow/Keras imports; each goes only if unused."""
    st = state(ctx)
    if st.imports_retired:
        return
    st.imports_retired = True
    for local, node in ctx.aliases.import_nodes.items():
        target = ctx.aliases.bindings.get(local, "")
        if target not in (TF, "keras") and not target.startswith((TF + ".", "keras.")):
            continue
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = dotted_name(alias.name)
                asname = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else None
                if full and (asname or full.split(".")[0]) == local:
                    ctx.remove_import(full, None, asname)
        elif isinstance(node, cst.ImportFrom) and node.module is not None and not isinstance(node.names, cst.ImportStar):
            base = dotted_name(node.module)
            for alias in node.names:
                name = dotted_name(alias.name)
                asname = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else None
                if base and name and (asname or name) == local:
                    ctx.remove_import(base, name, asname)


# --------------------------------------------------------------------------------------
# helper modules written into converted files

HELPERS: dict[str, str] = {
    "ChannelsLast": '''class ChannelsLast(nn.Sequential):
    """Runs channels-first PyTorch layers on a channels-last (Keras NHWC) tensor."""

    def forward(self, x):
        return super().forward(x.movedim(-1, 1)).movedim(1, -1)
''',
    "SamePad": '''class SamePad(nn.Module):
    """Pads a channels-first tensor as TensorFlow's padding='same' does (odd pixel last)."""

    def __init__(self, kernel_size, stride, dilation=1, value=0.0):
        super().__init__()
        self.kernel_size, self.stride, self.dilation, self.value = kernel_size, stride, dilation, value

    def forward(self, x):
        pads = []
        for i in reversed(range(x.dim() - 2)):
            k, s, d = (v if isinstance(v, int) else v[i] for v in (self.kernel_size, self.stride, self.dilation))
            size = x.shape[2 + i]
            needed = max(0, (-(-size // s) - 1) * s + (k - 1) * d + 1 - size)
            pads += [needed // 2, needed - needed // 2]
        return F.pad(x, pads, value=self.value)
''',
}


def need_helper(rule: Rule, name: str) -> str:
    """Schedule helper `name` for this file; return the code that names it."""
    st = state(rule.ctx)
    if name not in st.helpers:
        st.helpers.append(name)
    torch_code(rule, HELPERS[name])
    return name


def _is_header(stmt: cst.CSTNode) -> bool:
    if isinstance(stmt, cst.SimpleStatementLine):
        return all(
            isinstance(s, (cst.Import, cst.ImportFrom))
            or (isinstance(s, cst.Expr) and isinstance(s.value, (cst.SimpleString, cst.ConcatenatedString)))
            for s in stmt.body
        )
    return False


def insert_helpers(ctx: FileContext, module: cst.Module) -> cst.Module:
    st = state(ctx)
    if st.helpers_done or not st.helpers:
        return module
    st.helpers_done = True
    wanted = [h for h in HELPERS if h in st.helpers and not ctx.aliases.is_bound(h)]
    if not wanted:
        return module
    code = "\n\n".join(localize(ctx, HELPERS[h]) for h in wanted)
    new = list(cst.parse_module(code).body)
    two = [cst.EmptyLine(), cst.EmptyLine()]
    new[0] = new[0].with_changes(leading_lines=two)
    body = list(module.body)
    at = 0
    while at < len(body) and _is_header(body[at]):
        at += 1
    if at < len(body):
        nxt = body[at]
        lines = list(nxt.leading_lines)
        while lines and lines[0].comment is None:
            lines.pop(0)
        body[at] = nxt.with_changes(leading_lines=two + lines)
    return module.with_changes(body=body[:at] + new + body[at:])


# --------------------------------------------------------------------------------------
# the base class of the pack's rules


class TorchRule(Rule):
    """Adds to Rule: shared pack state, marks of call targets and chains, helper insertion."""

    @property
    def st(self) -> PackState:
        return state(self.ctx)

    def convert(
        self,
        original: cst.CSTNode,
        updated: Any,
        replacement: Any,
        **kw: Any,
    ) -> Any:
        """`fix` that also retires the TF imports once something was rewritten."""
        out = self.fix(original, updated, replacement, **kw)
        if out is replacement:
            retire_tf_imports(self.ctx)
        return out

    def torch(self, code: str) -> cst.BaseExpression:
        return expr(torch_code(self, code))

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        return insert_helpers(self.ctx, updated_node)

    def supersede_tree(self, node: cst.CSTNode) -> None:
        """Drop the findings other rules recorded anywhere inside `node`."""
        for n in iter_nodes(node):
            self.supersede(n)


def iter_nodes(node: cst.CSTNode) -> Iterable[cst.CSTNode]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(n.children)


def mark_references(st: PackState, node: cst.CSTNode) -> None:
    """visit-time marks: which chains are call targets, which are parts of longer chains."""
    if isinstance(node, cst.Call):
        st.call_funcs.add(id(node.func))
    elif isinstance(node, cst.Attribute):
        st.inner.add(id(node.value))
