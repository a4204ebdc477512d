"""The op-table template language (see ``tables/ops.py``) and its handlers (not a rule module)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from rules.tf2_to_torch._common import (
    NOT_LITERAL,
    code_of,
    expr,
    fix_commas,
    is_atom,
    keyword_args,
    literal,
    tf_rest,
)
from rules.tf2_to_torch.tables import STRING_DTYPES, SYMBOLS

_PH = re.compile(r"\$(\w+)")
_PREFIX = "__ph_"


class Manual(Exception):
    """The call has no automatic rewrite: the message says what to write instead."""


@dataclass
class OpCall:
    """A call's arguments by TensorFlow parameter name."""

    orig: dict[str, cst.Arg]
    upd: dict[str, cst.Arg]
    qname: Callable[[cst.BaseExpression], str | None]
    context: str = ""  # what the rule knows about where the call sits ("shape-index", ...)
    values: dict[str, cst.BaseExpression] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    unsafe: bool = False

    def given(self, p: str) -> bool:
        return p in self.orig and literal(self.orig[p].value) is not None

    def lit(self, p: str, default: Any = NOT_LITERAL) -> Any:
        return literal(self.orig[p].value) if self.given(p) else default

    def qn(self, p: str) -> str | None:
        return self.qname(self.orig[p].value) if self.given(p) else None

    def is_simple(self, p: str) -> bool:
        return self.given(p) and isinstance(self.values.get(p), (cst.Name, cst.Attribute))


@dataclass
class Plan:
    template: str
    values: dict[str, cst.BaseExpression]
    notes: list[str]
    unsafe: bool = False
    symbols: list[str] = field(default_factory=list)  # torch code of TF values converted in the arguments


def plan(
    spec: dict[str, Any],
    label: str,
    orig_call: cst.Call,
    upd_call: cst.Call,
    qname: Callable[[cst.BaseExpression], str | None],
    *,
    context: str = "",
    extra: dict[str, cst.BaseExpression] | None = None,
    localize_code: Callable[[str], str] = lambda code: code,
) -> Plan:
    """Decide the torch form of one call; raise Manual when there is none."""
    if "passthrough" in spec:
        args = ", ".join(code_of(a.with_changes(comma=cst.MaybeSentinel.DEFAULT)) for a in upd_call.args)
        return Plan(f"{spec['passthrough']}({args})", {}, [])
    params = list(spec["params"])
    if "name" not in params:
        params.append("name")
    orig = keyword_args(orig_call, params)
    upd = keyword_args(upd_call, params)
    if orig is None or upd is None:
        raise Manual(f"{label} with *args/**kwargs: rewrite by hand")
    for alias, target in spec.get("aliases", {}).items():
        if alias in orig:
            orig[target] = orig.pop(alias)
            upd[target] = upd.pop(alias)
    unknown = sorted(k for k in orig if k not in params and k not in spec.get("manual", {}))
    if unknown:
        raise Manual(f"{label}: argument(s) {', '.join(unknown)} are not in the op table")
    c = OpCall(orig, upd, qname, context)
    ok = spec.get("ok", {})
    for p, reason in spec.get("manual", {}).items():
        if not c.given(p):
            continue
        value = c.lit(p)
        if (value is not NOT_LITERAL and value in ok.get(p, [])) or c.qn(p) in ok.get(p, []):
            continue
        raise Manual(f"{label}: {reason}")
    for p in spec.get("required", []):
        if not c.given(p):
            raise Manual(f"{label} without {p}: no direct torch form")
    for p, needs in spec.get("requires", {}).items():
        if c.given(p) and not c.given(needs):
            raise Manual(f"{label} with {p} but no {needs}: no direct torch form")
    values: dict[str, cst.BaseExpression] = {}
    symbols: list[str] = []
    for p in params:
        if p == "name" or p in spec.get("ignore", ()) or p in spec.get("manual", {}) or not c.given(p):
            continue
        node = upd[p].value
        lit = c.lit(p)
        if p in spec.get("values", {}):
            mapping = spec["values"][p]
            if lit is NOT_LITERAL or lit not in mapping:
                raise Manual(f"{label}: {p}={code_of(orig[p].value)} is not a literal the table knows")
            node = expr(mapping[lit])
        elif p in ("dtype", "out_type", "output_type") and isinstance(lit, str):
            if lit not in STRING_DTYPES:
                raise Manual(f"{label}: dtype {lit!r} has no torch equivalent")
            node = expr(STRING_DTYPES[lit])
        else:
            # a TensorFlow value passed to this op (tf.float32, tf.newaxis): PT1005 leaves
            # the arguments of TensorFlow calls alone, so that calls left for a person
            # keep their TensorFlow arguments
            rest = tf_rest(qname(orig[p].value))
            if rest is not None and rest in SYMBOLS:
                node = expr(localize_code(SYMBOLS[rest]))
                symbols.append(SYMBOLS[rest])
        values[p] = node
    for trigger, implied in spec.get("implies", {}).items():
        if trigger in values:
            for p, code in implied.items():
                values.setdefault(p, expr(code))
    for p, code in spec.get("defaults", {}).items():
        values.setdefault(p, expr(code))
    if extra:
        values.update(extra)
    c.values = values
    handler = spec.get("handler")
    template = HANDLERS[handler](c, spec) if handler else spec["to"]
    notes = ([spec["note"]] if "note" in spec else []) + c.notes
    return Plan(template, c.values, notes, unsafe=bool(spec.get("unsafe")) or c.unsafe, symbols=symbols)


class _Fill(cst.CSTTransformer):
    def __init__(self, values: dict[str, cst.BaseExpression]) -> None:
        super().__init__()
        self.values = values
        self.problem: str | None = None

    def _ph(self, node: cst.BaseExpression) -> str | None:
        if isinstance(node, cst.Name) and node.value.startswith(_PREFIX):
            return node.value[len(_PREFIX) :]
        return None

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        p = self._ph(original_node)
        if p is None or p not in self.values:
            return updated_node
        v = self.values[p]
        return v if is_atom(v) else v.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])

    def leave_Arg(self, original_node: cst.Arg, updated_node: cst.Arg) -> cst.Arg | cst.RemovalSentinel:
        p = self._ph(original_node.value)
        if p is None:
            return updated_node
        if p not in self.values:
            return cst.RemoveFromParent()
        return updated_node.with_changes(value=self.values[p])

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        present = [self._ph(a.value) in self.values or self._ph(a.value) is None for a in original_node.args if a.keyword is None]
        for i, here in enumerate(present):
            if not here and any(present[i + 1 :]):
                self.problem = "a positional argument in the middle is missing"
        return updated_node.with_changes(args=fix_commas(list(updated_node.args)))


def fill(template: str, values: dict[str, cst.BaseExpression]) -> cst.BaseExpression:
    """The template with its placeholders replaced; raise Manual when it cannot be."""
    tree = expr(_PH.sub(lambda m: _PREFIX + m.group(1), template))
    f = _Fill(values)
    out = tree.visit(f)
    if f.problem:
        raise Manual(f.problem)
    assert isinstance(out, cst.BaseExpression)
    if _PREFIX in code_of(out):
        missing = sorted(set(re.findall(_PREFIX + r"(\w+)", code_of(out))))
        raise Manual(f"missing argument(s) {', '.join(missing)}")
    return out


# --------------------------------------------------------------------------------------
# handlers: calls whose torch form depends on their arguments


def _single_axis(c: OpCall, spec: dict[str, Any]) -> str:
    axis = c.lit("axis")
    if isinstance(axis, tuple) and len(axis) != 1:
        raise Manual("torch.prod reduces one dim at a time: chain .prod(dim) calls")
    return str(spec["to"])


def _split(c: OpCall, spec: dict[str, Any]) -> str:
    n = c.lit("num_or_size_splits")
    if isinstance(n, int) and not isinstance(n, bool):
        return "torch.chunk($value, $num_or_size_splits, dim=$axis)"
    if isinstance(n, tuple):
        return "torch.split($value, $num_or_size_splits, dim=$axis)"
    raise Manual("tf.split with a computed num_or_size_splits: torch.chunk(x, n) for a count, torch.split(x, sizes) for sizes")


def _transpose(c: OpCall, spec: dict[str, Any]) -> str:
    if c.given("perm"):
        return "torch.permute($a, $perm)"
    if c.is_simple("a"):
        return "$a.permute(*reversed(range($a.dim())))"
    raise Manual("tf.transpose without perm reverses all axes: x.permute(*reversed(range(x.dim())))")


def _pad(c: OpCall, spec: dict[str, Any]) -> str:
    mode = c.lit("mode", "CONSTANT")
    if not isinstance(mode, str) or mode.upper() != "CONSTANT":
        raise Manual("tf.pad with mode REFLECT/SYMMETRIC: F.pad(mode='reflect') pads only trailing dims of NCHW tensors; rewrite by hand")
    pads = c.lit("paddings")
    if not (isinstance(pads, tuple) and all(isinstance(p, tuple) and len(p) == 2 and all(isinstance(v, int) for v in p) for p in pads)):
        raise Manual("tf.pad with computed paddings: F.pad takes (last_before, last_after, prev_before, ...) from the last dim backwards")
    flat: list[int] = []
    for before, after in reversed(pads):
        flat += [before, after]
    while len(flat) > 2 and flat[-2:] == [0, 0]:
        flat = flat[:-2]
    c.values["__pads"] = expr(repr(tuple(flat)) if len(flat) != 1 else f"({flat[0]},)")
    return "F.pad($tensor, $__pads, value=$constant_values)"


def _shape(c: OpCall, spec: dict[str, Any]) -> str:
    if c.context == "shape-ok":
        return "$input.shape"
    return "torch.tensor($input.shape)"


def _gather(c: OpCall, spec: dict[str, Any]) -> str:
    axis = c.lit("axis", 0)
    if axis is None or axis == 0:
        return "$params[$indices]"
    if isinstance(axis, int) and not isinstance(axis, bool):
        if axis > 0:
            return "$params[" + ":, " * axis + "$indices]"
        if axis == -1:
            return "$params[..., $indices]"
    raise Manual("tf.gather on a computed or negative axis: torch.index_select(x, dim, idx) for 1-D indices")


def _where(c: OpCall, spec: dict[str, Any]) -> str:
    if c.given("x") and c.given("y"):
        return "torch.where($condition, $x, $y)"
    if not c.given("x") and not c.given("y"):
        return "torch.argwhere($condition)"
    raise Manual("tf.where with only one of x/y")


def _direction(c: OpCall) -> bool:
    d = c.lit("direction", "ASCENDING")
    if d == "ASCENDING":
        return False
    if d == "DESCENDING":
        return True
    raise Manual("direction is not a literal")


def _sort(c: OpCall, spec: dict[str, Any]) -> str:
    desc = ", descending=True" if _direction(c) else ""
    return f"torch.sort($values, dim=$axis{desc}).values"


def _argsort(c: OpCall, spec: dict[str, Any]) -> str:
    desc = ", descending=True" if _direction(c) else ""
    stable = ", stable=True" if c.lit("stable", False) is True else ""
    return f"torch.argsort($values, dim=$axis{desc}{stable})"


def _matmul(c: OpCall, spec: dict[str, Any]) -> str:
    a, b = "$a", "$b"
    for p, name in (("transpose_a", "a"), ("transpose_b", "b")):
        v = c.lit(p, False)
        if v is NOT_LITERAL:
            raise Manual(f"{p} is not a literal")
        if v:
            if name == "a":
                a = "$a.mT"
            else:
                b = "$b.mT"
    return f"torch.matmul({a}, {b})"


def _number(c: OpCall, p: str) -> bool:
    """The argument is a number: a numeric literal, or a constant by Python's naming
    convention (`BOX_DELTA`, `cfg.MAX_NORM`). `torch.clamp` takes a number or a tensor as
    its bound (and then equals torch.minimum/maximum, NaN and broadcasting included), while
    torch.minimum/maximum refuse a Python number, so a constant goes to clamp either way."""
    v = c.lit(p)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return True
    node = c.orig[p].value if p in c.orig else None
    name = node.value if isinstance(node, cst.Name) else node.attr.value if isinstance(node, cst.Attribute) else ""
    return len(name) > 1 and name.isupper()


def _maximum(c: OpCall, spec: dict[str, Any]) -> str:
    if _number(c, "y"):
        return "torch.clamp($x, min=$y)"
    if _number(c, "x"):
        return "torch.clamp($y, min=$x)"
    return "torch.maximum($x, $y)"


def _minimum(c: OpCall, spec: dict[str, Any]) -> str:
    if _number(c, "y"):
        return "torch.clamp($x, max=$y)"
    if _number(c, "x"):
        return "torch.clamp($y, max=$x)"
    return "torch.minimum($x, $y)"


def _l2_normalize(c: OpCall, spec: dict[str, Any]) -> str:
    if not c.given("axis"):
        raise Manual("tf.nn.l2_normalize over all axes: x / torch.sqrt(torch.clamp(torch.sum(x ** 2), min=eps))")
    eps = c.lit("epsilon", 1e-12)
    if isinstance(eps, (int, float)) and not isinstance(eps, bool):
        c.values["__eps"] = expr(repr(math.sqrt(eps)))
    else:
        c.values["__eps"] = expr(f"({code_of(c.values['epsilon'])}) ** 0.5")
    return "F.normalize($x, dim=$axis, eps=$__eps)"


def _constant(c: OpCall, spec: dict[str, Any]) -> str:
    v = c.lit("value")

    def ints(x: Any) -> bool:
        if isinstance(x, tuple):
            return all(ints(i) for i in x)
        return isinstance(x, int) and not isinstance(x, bool)

    if not c.given("dtype") and v is not NOT_LITERAL and ints(v) and (not isinstance(v, tuple) or v):
        return "torch.tensor($value, dtype=torch.int32)"
    return "torch.tensor($value, dtype=$dtype)"


def _random_normal(c: OpCall, spec: dict[str, Any]) -> str:
    if not c.given("mean") and not c.given("stddev"):
        return "torch.randn($shape, dtype=$dtype)"
    c.values.setdefault("mean", expr("0.0"))
    c.values.setdefault("stddev", expr("1.0"))
    return "torch.randn($shape, dtype=$dtype) * $stddev + $mean"


def _random_uniform(c: OpCall, spec: dict[str, Any]) -> str:
    dt = c.qn("dtype") or ""
    if dt.startswith("tensorflow.int") or (isinstance(c.lit("dtype"), str) and c.lit("dtype").startswith("int")):
        if not c.given("maxval"):
            raise Manual("integer tf.random.uniform without maxval")
        c.values.setdefault("minval", expr("0"))
        return "torch.randint($minval, $maxval, $shape, dtype=$dtype)"
    if not c.given("minval") and not c.given("maxval"):
        return "torch.rand($shape, dtype=$dtype)"
    c.values.setdefault("minval", expr("0.0"))
    c.values.setdefault("maxval", expr("1.0"))
    return "torch.empty($shape, dtype=$dtype).uniform_($minval, $maxval)"


def _sparse_cce(c: OpCall, spec: dict[str, Any]) -> str:
    logits = c.lit("from_logits", False)
    if logits is True:
        return "F.cross_entropy($y_pred, $y_true.long(), reduction='none')"
    if logits is False:
        c.notes.append("Keras clips the probabilities to [1e-7, 1 - 1e-7] before the log; torch.log does not")
        c.unsafe = True
        return "F.nll_loss(torch.log($y_pred), $y_true.long(), reduction='none')"
    raise Manual("from_logits is not a literal")


HANDLERS: dict[str, Callable[[OpCall, dict[str, Any]], str]] = {
    "single_axis": _single_axis,
    "split": _split,
    "transpose": _transpose,
    "pad": _pad,
    "shape": _shape,
    "gather": _gather,
    "where": _where,
    "sort": _sort,
    "argsort": _argsort,
    "matmul": _matmul,
    "maximum": _maximum,
    "minimum": _minimum,
    "l2_normalize": _l2_normalize,
    "constant": _constant,
    "random_normal": _random_normal,
    "random_uniform": _random_uniform,
    "sparse_cce": _sparse_cce,
}
