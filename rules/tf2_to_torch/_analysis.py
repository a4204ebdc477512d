"""What the rules need to know beyond one node (not a rule module).

``scan_module`` walks the original module once (on the first visit of the pass) and records
which names hold optimizers and loss objects, which parameters each optimizer updates
(from its ``apply_gradients`` calls) and the order of assignments.

``analyze_class`` looks at one subclassed Keras ``Model``/``Layer``: its sub-layers, how
they are used, the ``training`` argument of ``call`` and, by following the values through
``call``, the input shape of each sub-layer where it can be known (so that PyTorch modules
get their ``in_features``/``in_channels`` instead of lazy sizes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from migrate.engine.names import dotted_name
from rules.tf2_to_torch._common import (
    KERAS_BASES,
    SEQUENTIAL,
    LayerHint,
    PackState,
    code_of,
    keyword_args,
    layer_name,
    literal,
    tf_rest,
)
from rules.tf2_to_torch._layers import (
    Act,
    Built,
    build,
    merge_shapes,
    resolve_activation,
)
from rules.tf2_to_torch.tables import ACTIVATION_FUNCTIONS, LAYERS, LOSSES

QName = Callable[[cst.BaseExpression], str | None]

# --------------------------------------------------------------------------------------
# module scan


@dataclass
class ModuleScan:
    target_of: dict[int, str] = field(default_factory=dict)  # id(assigned value) -> "name" / "self.name"
    order_of: dict[int, int] = field(default_factory=dict)  # id(assigned value) -> assignment index
    first_bound: dict[str, int] = field(default_factory=dict)  # name -> index of its first binding
    opt_params: dict[str, str] = field(default_factory=dict)  # optimizer -> torch parameter iterable
    opt_problem: dict[str, str] = field(default_factory=dict)  # optimizer -> why it is unknown
    opt_roots: dict[str, set[str]] = field(default_factory=dict)  # optimizer -> names its parameters come from
    depth_of: dict[int, int] = field(default_factory=dict)  # id(assigned value) -> function nesting depth
    models: set[str] = field(default_factory=set)  # names bound to Keras models (Sequential, Model, subclasses)
    factories: set[str] = field(default_factory=set)  # functions that return a Keras model
    keras_classes: set[str] = field(default_factory=set)
    losses: dict[str, dict[str, Any]] = field(default_factory=dict)  # loss object -> {"kind", "from_logits"}


_MODELS = SEQUENTIAL | {"tensorflow.keras.Model", "tensorflow.keras.models.Model"}


def params_code(node: cst.BaseExpression) -> str | None:
    """The torch parameter iterable for a Keras variable list, or None."""
    if isinstance(node, cst.Attribute) and node.attr.value in ("trainable_variables", "trainable_weights"):
        return f"{code_of(node.value)}.parameters()"
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        left, right = params_code(node.left), params_code(node.right)
        if left and right:
            return f"[*{left}, *{right}]"
        return None
    if isinstance(node, (cst.List, cst.Tuple)) and all(
        isinstance(e, cst.Element) and dotted_name(e.value) for e in node.elements
    ):
        return code_of(node.with_changes(lpar=[], rpar=[])) if isinstance(node, cst.List) else "[" + ", ".join(code_of(e.value) for e in node.elements) + "]"
    return None


def zip_vars(call: cst.Call) -> cst.BaseExpression | None:
    """``zip(grads, VARS)`` (the argument of apply_gradients) -> VARS."""
    if not call.args:
        return None
    arg = call.args[0].value
    if isinstance(arg, cst.Call) and isinstance(arg.func, cst.Name) and arg.func.value == "zip" and len(arg.args) == 2:
        return arg.args[1].value
    return None


class _Scan(cst.CSTVisitor):
    def __init__(self, qname: QName) -> None:
        self.qname = qname
        self.s = ModuleScan()
        self.n = 0
        self.depth = 0
        self.functions: list[str] = []

    def _bind(self, name: str | None) -> None:
        if name:
            self.s.first_bound.setdefault(name, self.n)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.depth -= 1
        self.functions.pop()

    def _is_model(self, value: cst.BaseExpression) -> bool:
        if isinstance(value, cst.Name):
            return value.value in self.s.models
        if not isinstance(value, cst.Call):
            return False
        if self.qname(value.func) in _MODELS:
            return True
        return isinstance(value.func, cst.Name) and (value.func.value in self.s.keras_classes or value.func.value in self.s.factories)

    def visit_Return(self, node: cst.Return) -> None:
        if self.functions and node.value is not None and self._is_model(node.value):
            self.s.factories.add(self.functions[-1])

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if keras_base_kind(list(node.bases), self.qname, self.s.keras_classes):
            self.s.keras_classes.add(node.name.value)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.n += 1
        self.depth += 1
        self.functions.append(node.name.value)
        for p in (*node.params.posonly_params, *node.params.params, *node.params.kwonly_params):
            self._bind(p.name.value)

    def _assign(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        self.n += 1
        name = dotted_name(target)
        if value is not None and name:
            self.s.target_of[id(value)] = name
            self.s.order_of[id(value)] = self.n
            self.s.depth_of[id(value)] = self.depth
            if self._is_model(value):
                self.s.models.add(name)
            if isinstance(value, cst.Call):
                q = self.qname(value.func)
                rest = tf_rest(q)
                if rest and rest in LOSSES:
                    fl = None
                    for a in value.args:
                        if a.keyword and a.keyword.value == "from_logits":
                            fl = literal(a.value)
                    spec = LOSSES[rest]
                    if fl is None and spec["params"][0] == "from_logits" and value.args and value.args[0].keyword is None:
                        fl = literal(value.args[0].value)
                    prev = self.s.losses.get(name)
                    self.s.losses[name] = {"kind": spec["kind"], "from_logits": False if fl is None else fl, "call": value, "conflict": prev is not None}
        self._bind(name)

    def visit_Assign(self, node: cst.Assign) -> None:
        for t in node.targets:
            self._assign(t.target, node.value if len(node.targets) == 1 else None)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._assign(node.target, node.value)

    def visit_For(self, node: cst.For) -> None:
        self.n += 1
        self._bind(dotted_name(node.target))

    def visit_Call(self, node: cst.Call) -> None:
        if not (isinstance(node.func, cst.Attribute) and node.func.attr.value == "apply_gradients"):
            return
        opt = dotted_name(node.func.value)
        if not opt:
            return
        vars_ = zip_vars(node)
        code = params_code(vars_) if vars_ is not None else None
        if code is None:
            self.s.opt_problem[opt] = "apply_gradients is not called as zip(grads, model.trainable_variables)"
        elif self.s.opt_params.get(opt, code) != code:
            self.s.opt_problem[opt] = "the optimizer updates different variable lists: create one torch optimizer per list"
        else:
            self.s.opt_params[opt] = code
            roots = self.s.opt_roots.setdefault(opt, set())
            for n in _roots(vars_) if vars_ is not None else ():
                roots.add(n)


def _roots(node: cst.CSTNode) -> list[str]:
    if isinstance(node, (cst.Name, cst.Attribute)):
        name = dotted_name(node)  # type: ignore[arg-type]
        return [name.split(".")[0]] if name else []
    out = []
    for c in node.children:
        out += _roots(c)
    return out


def scan_module(module: cst.Module, qname: QName) -> ModuleScan:
    v = _Scan(qname)
    module.visit(v)
    return v.s


def module_scan(rule: Any) -> ModuleScan:
    """The scan of the file `rule` works on (made once per pass)."""
    st = rule.st
    if st.scan is None:
        st.scan = scan_module(rule.ctx.module, rule.qname)
    return st.scan  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------
# subclassed models


@dataclass
class ClassInfo:
    name: str
    keras_bases: list[int] = field(default_factory=list)  # id() of the Keras base expressions
    methods: set[str] = field(default_factory=set)
    layer_attrs: dict[str, cst.Call] = field(default_factory=dict)  # attr -> Keras layer call
    module_attrs: set[str] = field(default_factory=set)  # attrs holding layers or models
    fused: dict[str, Act] = field(default_factory=dict)  # attr -> activation applied at its call sites
    list_attrs: set[str] = field(default_factory=set)  # attrs holding a list of layers (-> nn.ModuleList)
    training: str | None = None  # the training parameter of call()
    mask: str | None = None
    mask_used: bool = False
    issues: list[tuple[cst.CSTNode, str]] = field(default_factory=list)
    parameters: dict[str, str] = field(default_factory=dict)  # source of an add_weight call in __init__ -> nn.Parameter code
    variables: set[int] = field(default_factory=set)  # id(tf.Variable(...) assigned to self.x in __init__)


def keras_base_kind(bases: list[cst.Arg], qname: QName, known: set[str]) -> list[int]:
    out = []
    for base in bases:
        if base.keyword is not None:
            continue
        q = qname(base.value)
        if (q in KERAS_BASES) or (isinstance(base.value, cst.Name) and base.value.value in known):
            out.append(id(base.value))
    return out


def _self_attr(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self":
        return node.attr.value
    return None


class _Uses(cst.CSTVisitor):
    """self.X references by kind, training= uses, weights created in build()."""

    def __init__(self) -> None:
        self.called: dict[str, list[cst.Call]] = {}
        self.assigned: dict[str, list[cst.BaseExpression]] = {}
        self.other: set[str] = set()
        self._skip: set[int] = set()
        self.add_weight: list[cst.Call] = []

    def visit_Call(self, node: cst.Call) -> None:
        x = _self_attr(node.func)
        if x is not None:
            self.called.setdefault(x, []).append(node)
            self._skip.add(id(node.func))
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in ("add_weight", "add_loss", "add_metric") and _self_attr(node.func) is not None:
            self.add_weight.append(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        for t in node.targets:
            x = _self_attr(t.target)
            if x is not None:
                self.assigned.setdefault(x, []).append(node.value)
                self._skip.add(id(t.target))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        x = _self_attr(node)
        if x is not None and id(node) not in self._skip:
            self.other.add(x)


_ELEMENTWISE = set(ACTIVATION_FUNCTIONS) | {"nn.dropout", "math.abs", "abs", "identity", "stop_gradient"}


def analyze_class(node: cst.ClassDef, qname: QName, st: PackState) -> ClassInfo | None:
    bases = keras_base_kind(list(node.bases), qname, st.keras_classes)
    if not bases:
        return None
    info = ClassInfo(name=node.name.value, keras_bases=bases)
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    methods = {s.name.value: s for s in body if isinstance(s, cst.FunctionDef)}
    info.methods = set(methods)
    uses = _Uses()
    node.body.visit(uses)
    for attr, values in uses.assigned.items():
        for value in values:
            if not isinstance(value, cst.Call):
                if isinstance(value, (cst.List, cst.Tuple, cst.ListComp)) and _has_layer(value, qname):
                    items = [value.elt] if isinstance(value, cst.ListComp) else [e.value for e in value.elements]
                    if all(isinstance(i, cst.Call) and layer_name(qname(i.func)) in LAYERS for i in items):
                        info.list_attrs.add(attr)
                        for i in items:
                            st.hints[id(i)] = LayerHint(context="list")
                    else:
                        info.issues.append((value, f"self.{attr} holds a list of layers: wrap it in nn.ModuleList(...) so PyTorch registers their parameters"))
                continue
            q = qname(value.func)
            if layer_name(q):
                info.layer_attrs[attr] = value
                info.module_attrs.add(attr)
            elif q in SEQUENTIAL or (isinstance(value.func, cst.Name) and value.func.value in st.keras_classes):
                info.module_attrs.add(attr)
    init = methods.get("__init__")
    in_init: set[int] = set()
    if init is not None:
        init_uses = _Uses()
        init.body.visit(init_uses)
        in_init = {id(c) for c in init_uses.add_weight}
        for values in init_uses.assigned.values():
            for value in values:
                if isinstance(value, cst.Call) and qname(value.func) == "tensorflow.Variable":
                    args = keyword_args(value, ["initial_value", "trainable", "validate_shape", "caching_device", "name", "variable_def", "dtype"])
                    if args and "initial_value" in args and set(args) <= {"initial_value", "trainable", "name", "dtype"} and literal(args["trainable"].value if "trainable" in args else cst.Name("True")) in (True, False):
                        info.variables.add(id(value))
                        st.handled.add(id(value))
    for call in uses.add_weight:
        what = call.func.attr.value if isinstance(call.func, cst.Attribute) else "add_weight"
        if what == "add_weight" and id(call) in in_init:
            code = parameter_code(call, qname)
            if code is not None:
                info.parameters[code_of(call)] = code
                continue
        hint = {
            "add_weight": "create the weight in __init__ as nn.Parameter(torch.empty(shape)) and initialize it with torch.nn.init",
            "add_loss": "return the extra loss from forward() (or store it on self) and add it to the training loss",
            "add_metric": "compute the metric in the training loop",
        }[what]
        info.issues.append((call, f"self.{what}(...): {hint}"))
    if "build" in methods:
        info.issues.append((methods["build"], "build(input_shape) creates weights lazily: create them in __init__ (nn.Parameter) or use nn.Lazy* modules"))
    # activations fused into layers go to the call sites when the layer is only ever called
    for attr, call in info.layer_attrs.items():
        if attr in uses.other or len(uses.assigned.get(attr, ())) != 1:
            continue
        spec = LAYERS.get(layer_name(qname(call.func)) or "")
        if not spec or spec["kind"] not in ("dense", "conv"):
            continue  # only these fuse an activation into the layer
        args = keyword_args(call, spec["params"])
        if not args or "activation" not in args:
            continue
        act = resolve_activation(args["activation"].value, qname)
        if isinstance(act, Act):
            info.fused[attr] = act
    # call()
    fn = methods.get("call")
    if fn is not None:
        for p in fn.params.params[1:]:
            if p.name.value == "training":
                info.training = "training"
            elif p.name.value == "mask":
                info.mask = "mask"
        for p in fn.params.kwonly_params:
            if p.name.value == "training":
                info.training = "training"
            elif p.name.value == "mask":
                info.mask = "mask"
        if info.mask:
            names = _NameUses(info.mask)
            fn.body.visit(names)
            info.mask_used = names.used
            if names.used:
                info.issues.append((fn, "call() uses its mask argument: PyTorch passes no masks; add a mask parameter to forward() and pass it explicitly"))
    for attr, calls in uses.called.items():
        if attr not in info.module_attrs:
            continue
        for call in calls:
            for a in call.args:
                if a.keyword is None or a.keyword.value != "training":
                    continue
                if isinstance(a.value, cst.Name) and a.value.value == info.training:
                    continue
                info.issues.append((call, f"self.{attr} called with training={code_of(a.value)}: a PyTorch module follows its own mode; set it with self.{attr}.train(...) / .eval() or use the functional form"))
    # hints for the sub-layers: input shapes from the data flow through call()
    shapes = _Flow(info, qname).run(fn) if fn is not None else {}
    for attr, call in info.layer_attrs.items():
        st.hints[id(call)] = LayerHint(
            in_shape=shapes.get(attr),
            activation_at_call=attr in info.fused,
            context="attribute",
        )
    return info


# Keras initializer name -> torch code filling a new tensor `$t` (None: keep torch.empty
# and name the initializer in the finding)
_INITIALIZERS = {
    "zeros": "torch.zeros($shape)",
    "ones": "torch.ones($shape)",
    "glorot_uniform": "nn.init.xavier_uniform_(torch.empty($shape))",
    "glorot_normal": "nn.init.xavier_normal_(torch.empty($shape))",
    "random_normal": "nn.init.normal_(torch.empty($shape), std=0.05)",
    "random_uniform": "nn.init.uniform_(torch.empty($shape), -0.05, 0.05)",
}


def parameter_code(call: cst.Call, qname: QName) -> str | None:
    """``self.add_weight(shape=(4, 3), initializer='zeros', trainable=True)`` in __init__ ->
    ``nn.Parameter(torch.zeros((4, 3)))``; None when an argument is not understood."""
    args = keyword_args(call, ["shape", "initializer", "dtype", "trainable", "autocast", "regularizer", "constraint", "aggregation", "overwrite_with_gradient", "name"])
    if args is None or "shape" not in args:
        return None
    if set(args) - {"shape", "initializer", "trainable", "name", "dtype"}:
        return None
    shape = args["shape"].value
    if not isinstance(shape, (cst.Tuple, cst.List)) or not shape.elements:
        return None
    init = literal(args["initializer"].value) if "initializer" in args else "glorot_uniform"
    if not isinstance(init, str) or init not in _INITIALIZERS:
        return None
    if "dtype" in args and literal(args["dtype"].value) not in ("float32",):
        return None
    trainable = literal(args["trainable"].value) if "trainable" in args else True
    if trainable not in (True, False):
        return None
    shape_code = "(" + ", ".join(code_of(e.value) for e in shape.elements) + ("," if len(shape.elements) == 1 else "") + ")"
    tensor = _INITIALIZERS[init].replace("$shape", shape_code)
    return f"nn.Parameter({tensor}{'' if trainable else ', requires_grad=False'})"


def _has_layer(node: cst.CSTNode, qname: QName) -> bool:
    found = []

    class V(cst.CSTVisitor):
        def visit_Call(self, n: cst.Call) -> None:
            if layer_name(qname(n.func)):
                found.append(n)

    node.visit(V())
    return bool(found)


class _NameUses(cst.CSTVisitor):
    def __init__(self, name: str) -> None:
        self.name = name
        self.used = False

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name:
            self.used = True


_UNSET: Any = object()


class _Flow:
    """Follows values through call() to find each sub-layer's input shape."""

    def __init__(self, info: ClassInfo, qname: QName) -> None:
        self.info = info
        self.qname = qname
        self.env: dict[str, Any] = {}
        self.seen: dict[str, Any] = {}

    def run(self, fn: cst.FunctionDef) -> dict[str, Any]:
        self.block(fn.body)
        return {k: v for k, v in self.seen.items() if v is not _UNSET}

    def block(self, body: cst.BaseSuite) -> None:
        stmts = body.body if isinstance(body, (cst.IndentedBlock, cst.SimpleStatementSuite)) else ()
        for stmt in stmts:
            self.stmt(stmt)

    def stmt(self, stmt: cst.CSTNode) -> None:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                self.small(small)
        elif isinstance(stmt, cst.BaseSmallStatement):
            self.small(stmt)
        elif isinstance(stmt, cst.If):
            self.expr(stmt.test)
            self.block(stmt.body)
            if stmt.orelse is not None:
                self.stmt(stmt.orelse) if isinstance(stmt.orelse, cst.If) else self.block(stmt.orelse.body)
        elif isinstance(stmt, (cst.For, cst.While, cst.With, cst.Try)):
            self.block(stmt.body)

    def small(self, s: cst.CSTNode) -> None:
        if isinstance(s, cst.Assign):
            shape = self.expr(s.value)
            for t in s.targets:
                if isinstance(t.target, cst.Name):
                    self.env[t.target.value] = shape
                else:
                    for n in _names(t.target):
                        self.env[n] = None
        elif isinstance(s, (cst.AugAssign, cst.AnnAssign)) and s.value is not None:
            self.expr(s.value)
            if isinstance(s.target, cst.Name) and isinstance(s, cst.AnnAssign):
                self.env[s.target.value] = None
        elif isinstance(s, (cst.Return, cst.Expr)) and s.value is not None:
            self.expr(s.value)

    def expr(self, e: cst.BaseExpression) -> Any:
        if isinstance(e, cst.Name):
            return self.env.get(e.value)
        if isinstance(e, cst.Call):
            positional = [a.value for a in e.args if a.keyword is None and not a.star]
            shapes = [self.expr(a.value) for a in e.args]
            first = shapes[0] if positional and e.args and e.args[0].keyword is None else None
            attr = _self_attr(e.func)
            if attr is not None:
                call = self.info.layer_attrs.get(attr)
                if call is None:
                    return None
                prev = self.seen.get(attr, _UNSET)
                self.seen[attr] = first if prev is _UNSET else merge_shapes(prev, first)
                built = build(layer_name(self.qname(call.func)) or "", call, call, self.seen[attr], self.qname)
                return built.out_shape if isinstance(built, Built) else None
            rest = tf_rest(self.qname(e.func))
            if rest in _ELEMENTWISE:
                return first
            return None
        if isinstance(e, cst.BinaryOperation):
            left, right = self.expr(e.left), self.expr(e.right)
            if left == right:
                return left
            # broadcasting keeps a known last axis longer than 1 (residual sums)
            known = [s for s in (left, right) if s is not None and isinstance(s[-1], int) and s[-1] > 1]
            if len(known) == 1 and (left is None or right is None):
                return (Ellipsis, known[0][-1])
            return None
        for child in e.children:
            if isinstance(child, cst.BaseExpression):
                self.expr(child)
            elif isinstance(child, (cst.Element, cst.Arg)):
                self.expr(child.value)
        return None


def _names(node: cst.CSTNode) -> list[str]:
    out = []
    if isinstance(node, cst.Name):
        out.append(node.value)
    for c in node.children:
        out += _names(c)
    return out
