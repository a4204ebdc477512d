"""PT1030: a Keras functional-API model built in a function -> an nn.Module class."""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from migrate.engine.names import dotted_name
from migrate.result import Category, Safety
from migrate.rule import Invalid, Valid
from rules.tf2_to_torch._analysis import module_scan
from rules.tf2_to_torch._common import (
    HELPERS,
    SEQUENTIAL,
    TorchRule,
    code_of,
    fix_commas,
    keyword_args,
    layer_name,
    literal,
    localize,
    need_helper,
    schedule_torch_imports,
)
from rules.tf2_to_torch._layers import (
    Built,
    _resolve_reshape,
    build,
    permute_shape,
    render_standalone,
    to_snake_case,
    uses_channels_last,
    weight_path,
    with_activation,
)
from rules.tf2_to_torch.keras_sequential import shape_literal
from rules.tf2_to_torch.tables import LAYERS

INPUTS = {"tensorflow.keras.Input", "tensorflow.keras.layers.Input"}
MODELS = {"tensorflow.keras.Model", "tensorflow.keras.models.Model"}

# merge layers (class form, called on a list) and their function forms -> kind
MERGE_CLASSES = {
    "Concatenate": "concat",
    "Add": "add",
    "Subtract": "subtract",
    "Multiply": "multiply",
    "Average": "average",
    "Maximum": "maximum",
    "Minimum": "minimum",
}
MERGE_FUNCTIONS = {f"tensorflow.keras.layers.{k.lower()}": v for k, v in MERGE_CLASSES.items()}
INLINE_CLASSES = {"Reshape", "Permute"}


def _identifier(name: str) -> str:
    s = re.sub(r"\W", "_", name)
    if not s or s[0].isdigit() or keyword.iskeyword(s):
        s = "layer_" + s
    return s


def class_name(function: str) -> str:
    base = re.sub(r"^(build|make|create|get|define|construct)_", "", function)
    return "".join(p[:1].upper() + p[1:] for p in base.split("_") if p) or "Model"


class _Unsupported(Exception):
    pass


@dataclass
class Layer:
    attr: str  # torch attribute (self.<attr>)
    keras_name: str  # the Keras layer name (name= or Keras' default)
    keras_class: str
    code: str  # torch module expression (roots not localized), or "" for raw code
    raw: cst.CSTNode | None = None  # original node whose updated form is the module (user classes)
    built: Built | None = None
    ctor: cst.Call | None = None  # original constructor call
    shape: Any = None  # input shape at the first call
    auto_name: bool = False  # keras_name is Keras' default name, not a name= argument


@dataclass
class Plan:
    """What the analysis of one function decided."""

    cls: str
    inputs: list[str]
    layers: list[Layer] = field(default_factory=list)
    graph: set[int] = field(default_factory=set)  # indices of body statements moved to forward()
    dropped: set[int] = field(default_factory=set)  # Input / layer statements (gone)
    init_copies: set[int] = field(default_factory=set)  # statements also run in __init__
    model_stmt: int = -1
    model_call: cst.Call | None = None
    outputs: cst.BaseExpression | None = None
    # per statement index (and -1 for the outputs expression): the replacements of its
    # graph calls, in pre-order: (kind, data)
    calls: dict[int, list[tuple[str, Any]]] = field(default_factory=dict)
    params_in_forward: list[str] = field(default_factory=list)
    shared_names: set[str] = field(default_factory=set)  # local names bound to layer objects
    notes: list[str] = field(default_factory=list)
    manual: list[str] = field(default_factory=list)


class _Names(cst.CSTVisitor):
    def __init__(self, skip_trees: set[int] | None = None) -> None:
        self.names: set[str] = set()
        self.skip: set[int] = set()
        self.skip_trees = skip_trees or set()

    def on_visit(self, node: cst.CSTNode) -> bool:
        if id(node) in self.skip_trees:
            return False
        return super().on_visit(node)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.skip.add(id(node.attr))

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self.skip.add(id(node.keyword))

    def visit_Name(self, node: cst.Name) -> None:
        if id(node) not in self.skip:
            self.names.add(node.value)


def names_in(node: cst.CSTNode, skip_trees: set[int] | None = None) -> set[str]:
    v = _Names(skip_trees)
    node.visit(v)
    return v.names


def _targets(stmt: cst.BaseSmallStatement) -> list[str] | None:
    """Names bound by a plain assignment (``x = ...``, ``x, h = ...``); None otherwise."""
    if not isinstance(stmt, cst.Assign) or len(stmt.targets) != 1:
        return None
    t = stmt.targets[0].target
    if isinstance(t, cst.Name):
        return [t.value]
    if isinstance(t, (cst.Tuple, cst.List)) and all(isinstance(e.value, cst.Name) for e in t.elements):
        return [e.value.value for e in t.elements]  # type: ignore[attr-defined]
    return None


class _Analysis:
    def __init__(self, rule: KerasFunctional, fn: cst.FunctionDef) -> None:
        self.rule = rule
        self.fn = fn
        self.qname = rule.qname
        self.shapes: dict[str, Any] = {}  # graph tensor name -> Keras shape (None: unknown)
        self.shared: dict[str, Layer] = {}  # local name -> layer object
        self.used_names: dict[str, int] = {}
        self.plan: Plan | None = None
        self.frozen: list[int] = []
        self.handled: list[int] = []

    # ------------------------------------------------------------------ helpers
    def _attr(self, preferred: str) -> str:
        base = _identifier(preferred)
        n = self.used_names.get(base, 0)
        self.used_names[base] = n + 1
        return base if n == 0 else f"{base}_{n}"

    def _keras_name(self, cls: str, ctor: cst.Call) -> str:
        args = keyword_args(ctor, list(LAYERS.get(cls, {}).get("params", [])))
        if args and "name" in args:
            v = literal(args["name"].value)
            if isinstance(v, str):
                return v
        self.auto = True
        prefix = to_snake_case(cls)
        n = self.keras_counts.get(prefix, 0)
        self.keras_counts[prefix] = n + 1
        return prefix if n == 0 else f"{prefix}_{n}"

    def _new_layer(self, cls: str, ctor: cst.Call, preferred: str | None = None) -> Layer:
        self.auto = False
        kname = self._keras_name(cls, ctor)
        attr = self._attr(preferred or kname)
        layer = Layer(attr=attr, keras_name=kname, keras_class=cls, code="", ctor=ctor, auto_name=self.auto)
        self.plan_layers.append(layer)
        self.frozen.append(id(ctor))
        self.handled.append(id(ctor))
        return layer

    def _build(self, layer: Layer, shape: Any) -> Any:
        assert layer.ctor is not None
        built = build(layer.keras_class, layer.ctor, layer.ctor, shape, self.qname)
        if isinstance(built, str):
            raise _Unsupported(f"{layer.keras_class}: {built}")
        if built.activation is not None and built.activation.module is None:
            raise _Unsupported(f"{layer.keras_class}: activation {built.activation.name} is a function, not a module")
        if layer.built is None:
            layer.built, layer.shape = built, shape
        elif render_standalone(built, True, "C") != render_standalone(layer.built, True, "C"):
            raise _Unsupported(f"shared layer {layer.keras_name} is called on inputs of different sizes")
        return built.out_shape if built.outputs == 1 else [built.out_shape, *built.state_shapes]

    # ------------------------------------------------------------------ expressions
    def _layer_class(self, node: cst.BaseExpression) -> str | None:
        return layer_name(self.qname(node))

    def expr(self, e: cst.BaseExpression, calls: list[tuple[str, Any]]) -> Any:
        """Shape of a graph expression (None: not a graph tensor or unknown); records the
        replacements of graph calls in pre-order."""
        if isinstance(e, cst.Name):
            return self.shapes.get(e.value)
        if isinstance(e, cst.Call):
            return self.call(e, calls)
        if isinstance(e, (cst.List, cst.Tuple)):
            return [self.expr(el.value, calls) for el in e.elements]
        if isinstance(e, cst.BinaryOperation):
            a = self.expr(e.left, calls)
            b = self.expr(e.right, calls)
            return a if a is not None else b
        if isinstance(e, cst.Subscript):
            self.expr(e.value, calls)
            for c in e.children[1:]:
                self._walk(c, calls)
            return None
        self._walk(e, calls)
        return None

    def _walk(self, node: cst.CSTNode, calls: list[tuple[str, Any]]) -> None:
        for c in node.children:
            if isinstance(c, cst.BaseExpression):
                self.expr(c, calls)
            else:
                self._walk(c, calls)

    def _check_call_args(self, call: cst.Call, what: str) -> None:
        for a in call.args:
            if a.keyword is not None and a.keyword.value in ("mask", "initial_state", "training", "constants"):
                raise _Unsupported(f"{what} called with {a.keyword.value}=: write that call in forward() by hand")
            if a.star:
                raise _Unsupported(f"{what} called with *args/**kwargs")

    def call(self, e: cst.Call, calls: list[tuple[str, Any]]) -> Any:
        func = e.func
        # a layer constructed and called at once: Dense(8)(x)
        if isinstance(func, cst.Call):
            cls = self._layer_class(func.func)
            if cls is not None:
                self._check_call_args(e, cls)
                if cls == "Attention":
                    return self._attention(e, func, calls)
                if cls in MERGE_CLASSES:
                    self.frozen.append(id(func))
                    self.handled.append(id(func))
                    args = keyword_args(func, ["axis"] if cls == "Concatenate" else [])
                    if args is None or any(k not in ("axis", "name", "dtype") for k in args):
                        raise _Unsupported(f"{cls} with arguments other than axis/name")
                    axis = literal(args["axis"].value) if "axis" in args else -1
                    if not isinstance(axis, int):
                        raise _Unsupported(f"{cls}: axis is not a literal")
                    calls.append(("merge", (MERGE_CLASSES[cls], axis)))
                    return self._merge_shape(MERGE_CLASSES[cls], axis, e, calls)
                if cls in INLINE_CLASSES:
                    self.frozen.append(id(func))
                    self.handled.append(id(func))
                    params = LAYERS[cls]["params"]
                    args = keyword_args(func, params)
                    if args is None or set(args) - {*params, "name"}:
                        raise _Unsupported(f"{cls} with unexpected arguments")
                    value = literal(args[params[0]].value) if params[0] in args else None
                    if not isinstance(value, tuple) or not all(isinstance(v, int) for v in value):
                        raise _Unsupported(f"{cls}: {params[0]} is not a literal tuple")
                    calls.append((cls.lower(), value))
                    shape = self._single_arg_shape(e, calls)
                    return _resolve_reshape(shape, value) if cls == "Reshape" else permute_shape(shape, value)
                if cls not in LAYERS:
                    raise _Unsupported(f"tf.keras.layers.{cls} has no entry in the layer table")
                layer = self._new_layer(cls, func)
                calls.append(("layer", layer))
                shape = self._single_arg_shape(e, calls)
                return self._build(layer, shape)
            if isinstance(func.func, cst.Name) and func.func.value in self.user_classes:
                # a subclassed Keras layer of this file (PT1002 converts it)
                self._check_call_args(e, func.func.value)
                layer = Layer(attr=self._attr(to_snake_case(func.func.value)), keras_name="", keras_class=func.func.value, code="", raw=func)
                self.plan_layers.append(layer)
                calls.append(("layer", layer))
                self._single_arg_shape(e, calls)
                return None
        if isinstance(func, cst.Name) and func.value in self.shared:
            layer = self.shared[func.value]
            self._check_call_args(e, func.value)
            calls.append(("layer", layer))
            shape = self._single_arg_shape(e, calls)
            if layer.raw is not None:
                return None
            return self._build(layer, shape)
        q = self.qname(func)
        if q in MERGE_FUNCTIONS:
            args = keyword_args(e, ["inputs", "axis"] if q.endswith("concatenate") else ["inputs"])
            if args is None or "inputs" not in args or set(args) - {"inputs", "axis", "name"}:
                raise _Unsupported(f"{code_of(func)}(...) with unexpected arguments")
            axis = literal(args["axis"].value) if "axis" in args else -1
            if not isinstance(axis, int):
                raise _Unsupported("concatenate: axis is not a literal")
            self.handled.append(id(e))
            calls.append(("merge_fn", (MERGE_FUNCTIONS[q], axis)))
            return self._merge_shape(MERGE_FUNCTIONS[q], axis, args["inputs"].value, calls)
        if q in INPUTS or q in MODELS or q in SEQUENTIAL:
            raise _Unsupported(f"{code_of(func)}(...) inside the graph")
        if layer_name(q) is not None:
            raise _Unsupported(f"tf.keras.layers.{layer_name(q)} used as a function")
        # any other call (an op of the op table, a user function): kept, arguments walked
        self._walk(e, calls)
        return None

    def _attention(self, e: cst.Call, ctor: cst.Call, calls: list[tuple[str, Any]]) -> Any:
        """Keras dot-product Attention()([query, value(, key)]) -> softmax(q @ k^T) @ v."""
        args = keyword_args(ctor, ["use_scale", "score_mode", "dropout", "seed"])
        if args is None or set(args) - {"use_scale", "score_mode", "dropout", "seed", "name"}:
            raise _Unsupported("Attention with arguments other than use_scale/score_mode/dropout")
        if "use_scale" in args and literal(args["use_scale"].value) is not False:
            raise _Unsupported("Attention(use_scale=True) learns a scale: nn.Parameter(torch.ones(())) times the scores, by hand")
        if "score_mode" in args and literal(args["score_mode"].value) != "dot":
            raise _Unsupported("Attention(score_mode='concat'): write the additive score by hand")
        if "dropout" in args and literal(args["dropout"].value) not in (0, 0.0):
            raise _Unsupported("Attention(dropout=...): apply F.dropout to the attention weights in forward() by hand")
        pos = [a for a in e.args if a.keyword is None]
        if len(pos) != 1 or len(e.args) != 1 or not isinstance(pos[0].value, (cst.List, cst.Tuple)) or len(pos[0].value.elements) not in (2, 3):
            raise _Unsupported("Attention called with masks or flags (mask=, return_attention_scores=, use_causal_mask=): write it by hand")
        self.frozen.append(id(ctor))
        self.handled.append(id(ctor))
        calls.append(("attention", None))
        shapes = [self.expr(el.value, calls) for el in pos[0].value.elements]
        q, v = shapes[0], shapes[1]
        if q is None or v is None or Ellipsis in q or Ellipsis in v:
            return None
        return (*q[:-1], v[-1])

    def _single_arg_shape(self, e: cst.Call, calls: list[tuple[str, Any]]) -> Any:
        pos = [a for a in e.args if a.keyword is None]
        if len(pos) != 1:
            raise _Unsupported(f"layer call {code_of(e.func)[:40]}(...) with {len(pos)} positional inputs")
        shape = None
        for a in e.args:
            got = self.expr(a.value, calls)
            if a is pos[0]:
                shape = got
        return shape if not isinstance(shape, list) else None

    def _merge_shape(self, kind: str, axis: int, arg: cst.BaseExpression | cst.Call, calls: list[tuple[str, Any]]) -> Any:
        node = arg
        if isinstance(arg, cst.Call):
            pos = [a for a in arg.args if a.keyword is None]
            if len(pos) != 1:
                raise _Unsupported("merge layer called without one list of inputs")
            node = pos[0].value
        if not isinstance(node, (cst.List, cst.Tuple)):
            raise _Unsupported("merge layer called on something else than a literal list")
        shapes = [self.expr(el.value, calls) for el in node.elements]
        if kind != "concat":
            return shapes[0] if shapes else None
        if any(s is None or Ellipsis in s for s in shapes) or len({len(s) for s in shapes}) != 1:
            return None
        r = len(shapes[0])
        ax = axis - 1 if axis > 0 else r + axis
        if not 0 <= ax < r:
            raise _Unsupported(f"Concatenate over axis {axis}: the batch axis or out of range")
        total = 0
        for s in shapes:
            if not isinstance(s[ax], int):
                total = None
                break
            total += s[ax]
        out = list(shapes[0])
        out[ax] = total
        return tuple(out)

    # ------------------------------------------------------------------ statements
    def run(self) -> Plan | str | None:
        fn = self.fn
        body = fn.body.body if isinstance(fn.body, cst.IndentedBlock) else ()
        self.keras_counts: dict[str, int] = {}
        self.plan_layers: list[Layer] = []
        self.user_classes = module_scan(self.rule).keras_classes
        # find the Model(...) statement
        model_at = None
        for i, stmt in enumerate(body):
            if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
                continue
            s = stmt.body[0]
            value = s.value if isinstance(s, (cst.Assign, cst.Return)) else None
            if isinstance(value, cst.Call) and self.qname(value.func) in MODELS:
                if isinstance(s, cst.Assign) and _targets(s) is None:
                    continue
                model_at = i
                break
        if model_at is None:
            return None
        has_input = False
        for stmt in body[:model_at]:
            for s in stmt.body if isinstance(stmt, cst.SimpleStatementLine) else ():
                if isinstance(s, cst.Assign) and isinstance(s.value, cst.Call) and self.qname(s.value.func) in INPUTS:
                    has_input = True
        if not has_input:
            return None
        try:
            return self._plan(body, model_at)
        except _Unsupported as e:
            return str(e)

    def _plan(self, body: Any, model_at: int) -> Plan:
        fn = self.fn
        params = [p.name.value for p in (*fn.params.posonly_params, *fn.params.params, *fn.params.kwonly_params)]
        plan = Plan(cls="", inputs=[])
        local_other: dict[str, int] = {}  # names bound by statements that stay in the function
        for i, stmt in enumerate(body[:model_at]):
            if i == 0 and isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Expr) and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString)):
                continue
            if not isinstance(stmt, cst.SimpleStatementLine):
                if names_in(stmt) & (set(self.shapes) | set(self.shared)):
                    raise _Unsupported("a compound statement (if/for/with) uses the graph: write forward() by hand")
                continue
            if len(stmt.body) != 1:
                raise _Unsupported("several statements on one line")
            s = stmt.body[0]
            targets = _targets(s)
            value = s.value if isinstance(s, cst.Assign) else None
            if targets and isinstance(value, cst.Call):
                q = self.qname(value.func)
                if q in INPUTS:
                    if len(targets) != 1:
                        raise _Unsupported("Input assigned to several names")
                    args = keyword_args(value, ["shape", "batch_size", "name", "dtype", "sparse", "tensor", "ragged"])
                    if args is None or set(args) - {"shape", "batch_size", "name", "dtype"}:
                        raise _Unsupported("Input with sparse/ragged/tensor arguments")
                    shape = shape_literal(args["shape"].value) if "shape" in args else None
                    self.shapes[targets[0]] = shape
                    self.handled.append(id(value))
                    plan.dropped.add(i)
                    continue
                cls = self._layer_class(value.func)
                if cls is not None and cls[:1].isupper() and len(targets) == 1:
                    if cls in MERGE_CLASSES or cls in INLINE_CLASSES:
                        raise _Unsupported(f"{cls} layer object assigned to a name: call it where it is created")
                    if cls not in LAYERS:
                        raise _Unsupported(f"tf.keras.layers.{cls} has no entry in the layer table")
                    self.shared[targets[0]] = self._new_layer(cls, value, targets[0])
                    plan.shared_names.add(targets[0])
                    plan.dropped.add(i)
                    continue
                if len(targets) == 1 and (
                    q in SEQUENTIAL
                    or isinstance(value.func, cst.Name)
                    and (value.func.value in self.user_classes or value.func.value in module_scan(self.rule).factories)
                ) and not (names_in(value) & set(self.shapes)):
                    layer = Layer(attr=self._attr(targets[0]), keras_name="", keras_class=value.func.value, code="", raw=value)
                    self.shared[targets[0]] = layer
                    plan.shared_names.add(targets[0])
                    self.plan_layers.append(layer)
                    plan.dropped.add(i)
                    continue
            used = names_in(s)
            if used & (set(self.shapes) | set(self.shared)):
                if targets is None:
                    raise _Unsupported(f"statement `{code_of(s)[:60]}` uses the graph but is not a plain assignment")
                calls: list[tuple[str, Any]] = []
                assert value is not None
                shape = self.expr(value, calls)
                if len(targets) == 1:
                    self.shapes[targets[0]] = shape if not isinstance(shape, list) else None
                else:
                    shapes = shape if isinstance(shape, list) and len(shape) == len(targets) else [None] * len(targets)
                    for t, sh in zip(targets, shapes):
                        self.shapes[t] = sh if not isinstance(sh, list) else None
                if set(targets) & plan.shared_names:
                    raise _Unsupported(f"the name of a layer ({', '.join(sorted(set(targets) & plan.shared_names))}) is reassigned")
                plan.graph.add(i)
                plan.calls[i] = calls
                continue
            # a statement that does not touch the graph: stays; copied to __init__ when the
            # layers read what it binds
            for t in targets or ():
                local_other[t] = i
        # the Model(...) call
        stmt = body[model_at]
        s = stmt.body[0]
        call = s.value
        assert isinstance(call, cst.Call)
        args = keyword_args(call, ["inputs", "outputs", "name", "trainable"])
        if args is None or "inputs" not in args or "outputs" not in args:
            raise _Unsupported("Model(...) without inputs and outputs")
        ins = args["inputs"].value
        if isinstance(ins, cst.Name):
            in_names = [ins.value]
        elif isinstance(ins, (cst.List, cst.Tuple)) and all(isinstance(e.value, cst.Name) for e in ins.elements):
            in_names = [e.value.value for e in ins.elements]  # type: ignore[attr-defined]
        else:
            raise _Unsupported("Model inputs are not a name or a list of names (a dict of inputs: write forward(**inputs) by hand)")
        for n in in_names:
            if n not in self.shapes:
                raise _Unsupported(f"model input {n} is not a tf.keras.Input of this function")
        calls = []
        self.expr(args["outputs"].value, calls)
        plan.calls[-1] = calls
        plan.outputs = args["outputs"].value
        plan.model_call = call
        plan.model_stmt = model_at
        plan.inputs = in_names
        self.handled.append(id(call))
        # names read by the layers (constructor arguments) and by forward()
        ctor_names: set[str] = set()
        for layer in self.plan_layers:
            ctor_names |= names_in(layer.ctor if layer.ctor is not None else layer.raw)  # type: ignore[arg-type]
        fwd_names: set[str] = set()
        ctors = set(self.frozen)
        for i in plan.graph:
            fwd_names |= names_in(body[i], ctors)
        fwd_names |= names_in(plan.outputs, ctors)
        for name, i in local_other.items():
            if name in fwd_names:
                raise _Unsupported(f"forward() would read the local variable {name}: write the model by hand")
            if name in ctor_names:
                plan.init_copies.add(i)
        plan.params_in_forward = [p for p in params if p in fwd_names and p not in self.shapes]
        plan.layers = self.plan_layers
        for layer in plan.layers:
            if layer.built is not None:
                layer.code = render_standalone(layer.built, True, "ChannelsLast")
                if layer.built.lazy:
                    plan.notes.append(f"{layer.keras_name}: input size unknown, lazy module (run one batch before copying weights)")
                plan.manual += [f"{layer.keras_name}: {m}" for m in layer.built.manual]
            elif layer.raw is not None:
                layer.code = ""
        self.plan = plan
        return plan


class _ModelVars(cst.CSTVisitor):
    """Names bound to the result of a multi-input functional-model factory."""

    def __init__(self, factories: dict[str, int]) -> None:
        self.factories = factories
        self.found: dict[str, int] = {}

    def visit_Assign(self, node: cst.Assign) -> None:
        v = node.value
        if isinstance(v, cst.Call) and isinstance(v.func, cst.Name) and v.func.value in self.factories:
            for t in node.targets:
                if isinstance(t.target, cst.Name):
                    self.found[t.target.value] = self.factories[v.func.value]


class _Forward(cst.CSTTransformer):
    """Rewrites one graph statement (updated form) for forward(): graph calls -> modules / ops."""

    def __init__(self, rule: KerasFunctional, calls: list[tuple[str, Any]], params: set[str], is_graph: Any) -> None:
        super().__init__()
        self.rule = rule
        self.calls = calls
        self.index: dict[int, tuple[str, Any]] = {}
        self.n = 0
        self.params = params
        self.is_graph = is_graph
        self.skip: set[int] = set()

    def visit_Call(self, node: cst.Call) -> None:
        if self.is_graph(node):
            if self.n >= len(self.calls):
                raise _Unsupported("graph calls changed under another rule")
            self.index[id(node)] = self.calls[self.n]
            self.n += 1

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.skip.add(id(node.attr))

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self.skip.add(id(node.keyword))

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        if updated_node.value in self.params and id(original_node) not in self.skip:
            return cst.Attribute(cst.Name("self"), cst.Name(updated_node.value))
        return updated_node

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        v = updated_node.value
        if isinstance(v, cst.BinaryOperation) and len(v.lpar) == 1:
            return updated_node.with_changes(value=v.with_changes(lpar=[], rpar=[]))
        return updated_node

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        item = self.index.get(id(original_node))
        if item is None:
            return updated_node
        kind, data = item
        pos = [a for a in updated_node.args if a.keyword is None]
        if kind == "layer":
            args = [a for a in updated_node.args if a.keyword is None]
            return cst.Call(func=cst.parse_expression(f"self.{data.attr}"), args=fix_commas(args))
        if kind in ("reshape", "permute"):
            x = code_of(pos[0].value)
            x = x if isinstance(pos[0].value, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)) else f"({x})"
            if kind == "reshape":
                return cst.parse_expression(f"{x}.flatten(1).unflatten(1, {tuple(data)!r})")
            return cst.parse_expression(f"{x}.permute({', '.join(str(v) for v in (0, *data))})")
        if kind == "attention":
            items_node = pos[0].value
            assert isinstance(items_node, (cst.List, cst.Tuple))
            qkv = [code_of(el.value) for el in items_node.elements]
            q, v = qkv[0], qkv[1]
            k = qkv[2] if len(qkv) == 3 else v
            wrap = lambda c: c if _simple(c) else f"({c})"  # noqa: E731
            code = f"torch.softmax({wrap(q)} @ {wrap(k)}.mT, dim=-1) @ {wrap(v)}"
            schedule_torch_imports(self.rule, code)
            return cst.parse_expression(localize(self.rule.ctx, code))
        merge, axis = data
        if kind == "merge":
            items_node = pos[0].value
        else:
            found = keyword_args(updated_node, ["inputs", "axis"])
            assert found is not None
            items_node = found["inputs"].value
        assert isinstance(items_node, (cst.List, cst.Tuple))
        items = [code_of(e.value) for e in items_node.elements]
        if merge == "concat":
            code = f"torch.cat([{', '.join(items)}], dim={axis})"
        elif merge in ("add", "multiply"):
            op = " + " if merge == "add" else " * "
            code = "(" + op.join(f"({c})" if not _simple(c) else c for c in items) + ")"
        elif merge == "subtract":
            code = f"({items[0]} - {items[1]})"
        elif merge == "average":
            code = f"torch.stack([{', '.join(items)}]).mean(0)"
        else:
            code = f"torch.stack([{', '.join(items)}]).{'amax' if merge == 'maximum' else 'amin'}(0)"
        schedule_torch_imports(self.rule, code)
        return cst.parse_expression(localize(self.rule.ctx, code))


def _simple(code: str) -> bool:
    return re.fullmatch(r"[\w.\[\]()]+", code) is not None


class KerasFunctional(TorchRule):
    """Turns a Keras functional-API model built in a function into an `nn.Module` class.

    What it does: in a function that creates `tf.keras.Input(shape=...)`s, calls layers on
    them (`x = layers.Dense(64, activation='relu')(inputs)`), and ends in
    `tf.keras.Model(inputs, outputs)`, every layer becomes an attribute of a new
    `nn.Module` class written before the function (`self.dense = nn.Sequential(nn.Linear(20,
    64), nn.ReLU())`, in the order Keras creates them, named like the Keras layers:
    `dense`, `dense_1`, or their `name=`), and the graph statements become its `forward`,
    one line per layer call, with the `Input`s as `forward`'s parameters. Layers assigned to
    a name and called several times are shared (one module); `Concatenate`/`concatenate`
    become `torch.cat(..., dim=axis)`, `Add`/`Multiply`/`Subtract`/`Average`/`Maximum`
    the tensor expression, dot-product `Attention()([q, v(, k)])` becomes
    `torch.softmax(q @ k.mT, dim=-1) @ v`, `Reshape`/`Permute` `x.flatten(1).unflatten(1, shape)` /
    `x.permute(0, ...)`; several inputs or outputs work (a list of outputs is returned as
    a tuple). Sizes come from static shape inference over the graph (`Input(shape=...)`
    through every layer, concatenations included), so modules get their `in_features` /
    `in_channels`; where a size cannot be known the `nn.Lazy*` module is used and the
    finding says so. The function then returns the class instance
    (`return Classifier()`); statements after `Model(...)` stay as they are, and a model
    with several inputs called with a list (`model([q, d])`) gets them as separate
    arguments (`model(q, d)`).

    Correspondence map: the finding ends with `keras names: <Keras layer name> -> <torch
    module path>, ...` (for example `keras names: conv2d -> conv2d.0, lstm -> lstm.rnn,
    dense -> dense`): for every layer with weights, the module relative to the model that
    holds them (inside `ChannelsLast`/`nn.Sequential` where the layer became several
    modules). Keras names are the `name=` of the layer or Keras' default names in creation
    order (`dense`, `dense_1`: a fresh Keras session). The pairs can be passed as they are
    to the equivalence checker (`migrate check --mapping`, `CheckOptions.mapping`).

    Why: PyTorch has no symbolic graph; a model is a class whose `forward` runs the layers.
    Tensors keep the Keras layout (NHWC, see `rules/tf2_to_torch/_common.py`), so axis
    arguments keep their meaning.

    Fix safety: safe: with the same weights the module computes the same outputs (the
    layer table's pinned numerics; tests/test_tf2_to_torch_models.py proves it on the
    corpus). A graph that uses something this rule cannot follow (a
    layer missing from the table, `mask=`/`training=` arguments on layer calls, an `if`
    over tensors, dict inputs) is left as it is and reported with the reason.
    """

    ID = "PT1030"
    NAME = "keras-functional-model"
    MESSAGE = "Keras functional-API model becomes an nn.Module whose forward() replays the graph"
    SAFETY = Safety.SAFE
    CATEGORY = Category.MANDATORY
    EFFORT = "complex"

    VALID = [Valid("from torch import nn\n\ndef build():\n    return nn.Linear(2, 3)\n")]
    INVALID = [
        Invalid(
            "import tensorflow as tf\n\n\n"
            "def build_model():\n"
            "    inputs = tf.keras.Input(shape=(20,))\n"
            "    x = tf.keras.layers.Dense(8, activation='relu')(inputs)\n"
            "    outputs = tf.keras.layers.Dense(2)(x)\n"
            "    return tf.keras.Model(inputs, outputs)\n",
            "from torch import nn\n\n\n"
            "class Model(nn.Module):\n"
            '    """The Keras functional model of build_model()."""\n\n'
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.dense = nn.Sequential(nn.Linear(20, 8), nn.ReLU())\n"
            "        self.dense_1 = nn.Linear(8, 2)\n\n"
            "    def forward(self, inputs):\n"
            "        x = self.dense(inputs)\n"
            "        outputs = self.dense_1(x)\n"
            "        return outputs\n\n\n"
            "def build_model():\n"
            "    return Model()\n",
            message="keras names: dense -> dense.0, dense_1 -> dense_1",
        ),
        Invalid(
            "import tensorflow as tf\n\n"
            "def build_model():\n"
            "    inputs = tf.keras.Input(shape=(20,))\n"
            "    x = tf.keras.layers.Dense(8)(inputs, mask=m)\n"
            "    return tf.keras.Model(inputs, x)\n",
            None,
            message="mask=",
        ),
    ]

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._plans: dict[int, Plan | str] = {}

    def visit_Module(self, node: cst.Module) -> None:
        if "Model" not in self.ctx.source_text:
            return
        # plan the module-level functions first: calls of the models they build may come
        # before or after them
        self._early: dict[int, _Analysis] = {}
        factories: dict[str, int] = {}
        for stmt in node.body:
            if isinstance(stmt, cst.FunctionDef):
                analysis = _Analysis(self, stmt)
                result = analysis.run()
                self._early[id(stmt)] = analysis
                if isinstance(result, Plan) and len(result.inputs) > 1:
                    factories[stmt.name.value] = len(result.inputs)
                analysis.result = result  # type: ignore[attr-defined]
        if factories:
            finder = _ModelVars(factories)
            node.visit(finder)
            self._multi = finder.found

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if "Model" not in self.ctx.source_text:
            return
        early = getattr(self, "_early", {}).get(id(node))
        if early is not None:
            analysis, result = early, early.result  # type: ignore[attr-defined]
        else:
            analysis = _Analysis(self, node)
            result = analysis.run()
        if result is None:
            return
        self._plans[id(node)] = result
        if isinstance(result, Plan):
            self.st.frozen.update(analysis.frozen)
            self.st.handled.update(analysis.handled)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        multi = getattr(self, "_multi", None)
        if not multi or not isinstance(original_node.func, cst.Name) or original_node.func.value not in multi:
            return updated_node
        n = multi[original_node.func.value]
        args = updated_node.args
        if len(args) != 1 or args[0].keyword is not None or args[0].star or not isinstance(args[0].value, (cst.List, cst.Tuple)):
            return updated_node
        elements = args[0].value.elements
        if len(elements) != n or any(not isinstance(e, cst.Element) for e in elements):
            return updated_node
        new = updated_node.with_changes(args=fix_commas([cst.Arg(e.value) for e in elements]))
        return self.convert(  # type: ignore[no-any-return]
            original_node, updated_node, new,
            message=f"{original_node.func.value}: a functional model with {n} inputs; the nn.Module takes them as separate forward() arguments",
        )

    def _is_graph_call(self, node: cst.Call, shared: set[str]) -> bool:
        func = node.func
        if isinstance(func, cst.Call):
            if layer_name(self.qname(func.func)) is not None:
                return True
            return isinstance(func.func, cst.Name) and func.func.value in module_scan(self).keras_classes
        if isinstance(func, cst.Name) and func.value in shared:
            return True
        return self.qname(func) in MERGE_FUNCTIONS

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> Any:
        plan = self._plans.pop(id(original_node), None)
        if plan is None:
            return updated_node
        if isinstance(plan, str):
            self.flag(original_node, f"Keras functional model left as it is: {plan}", effort="complex")
            return updated_node
        try:
            return self._convert(original_node, updated_node, plan)
        except _Unsupported as e:
            self.flag(original_node, f"Keras functional model left as it is: {e}", effort="complex")
            return updated_node

    def _convert(self, original: cst.FunctionDef, updated: cst.FunctionDef, plan: Plan) -> Any:
        ubody = list(updated.body.body)  # type: ignore[union-attr]
        obody = list(original.body.body)  # type: ignore[union-attr]
        # other rules may split statements after Model(...) (compile -> optimizer, loss):
        # the graph part up to Model(...) must still line up
        m = plan.model_stmt
        model_u = ubody[m] if len(ubody) > m else None
        if (
            len(ubody) < len(obody)
            or not isinstance(model_u, cst.SimpleStatementLine)
            or not isinstance(getattr(model_u.body[0], "value", None), cst.Call)
            or self.qname(model_u.body[0].value.func) not in MODELS  # type: ignore[attr-defined]
        ):
            raise _Unsupported("the function body changed under another rule")
        # the class name: from the function, unique in the file
        name = class_name(original.name.value)
        taken = set(self.ctx.aliases.bindings) | self.ctx.aliases.other_bound
        if name in taken:
            name = name + "Net"
        while name in taken:
            name += "_"
        shared_names = plan.shared_names
        params = set(plan.params_in_forward)
        # __init__
        init_lines = ["super().__init__()"]
        for i in sorted(plan.init_copies):
            init_lines.append(code_of(ubody[i]).strip())
        for p in plan.params_in_forward:
            init_lines.append(f"self.{p} = {p}")
        for layer in plan.layers:
            if layer.built is not None:
                for h in layer.built.helpers:
                    need_helper(self, h)
                if uses_channels_last(with_activation(layer.built)):
                    need_helper(self, "ChannelsLast")
                init_lines.append(f"self.{layer.attr} = {localize(self.ctx, layer.code)}")
                schedule_torch_imports(self, layer.code)
            else:
                raw = _find_updated(obody, ubody, layer.raw)
                init_lines.append(f"self.{layer.attr} = {code_of(raw) if raw is not None else code_of(layer.raw)}")  # type: ignore[arg-type]
        # forward
        fwd_lines = []
        for i in sorted(plan.graph):
            stmt = ubody[i]
            new = stmt.visit(_Forward(self, plan.calls[i], params, lambda c: self._is_graph_call(c, shared_names)))
            fwd_lines.append(code_of(new).strip())
        out_u = _model_outputs(ubody[plan.model_stmt])
        out_new = out_u.visit(_Forward(self, plan.calls[-1], params, lambda c: self._is_graph_call(c, shared_names)))
        out_code = code_of(out_new)
        if isinstance(out_new, cst.List):
            out_code = ", ".join(code_of(e.value) for e in out_new.elements)
        elif isinstance(out_new, cst.Tuple) and not out_new.lpar:
            out_code = code_of(out_new)
        fwd_lines.append(f"return {out_code}")
        fparams = ", ".join(["self", *plan.inputs])
        init_params = code_of(original.params).strip()
        init_sig = "self" + (", " + init_params if init_params else "")
        ind = "        "
        cls_code = (
            f"class {name}(nn.Module):\n"
            f'    """The Keras functional model of {original.name.value}()."""\n\n'
            f"    def __init__({init_sig}):\n" + "".join(f"{ind}{ln}\n" for ln in _lines(init_lines)) + "\n"
            f"    def forward({fparams}):\n" + "".join(f"{ind}{ln}\n" for ln in _lines(fwd_lines))
        )
        schedule_torch_imports(self, "nn.Module")
        cls_code = localize(self.ctx, cls_code)
        cls_node = cst.parse_module(cls_code).body[0]
        # the function: graph statements go, Model(...) becomes the class
        call_args = _pass_params(original)
        new_body = []
        for i, stmt in enumerate(ubody):
            if i <= m and (i in plan.graph or i in plan.dropped):
                continue
            if i == m:
                small = stmt.body[0]  # type: ignore[attr-defined]
                new_value = cst.parse_expression(f"{name}({call_args})")
                stmt = stmt.with_changes(body=[small.with_changes(value=new_value)])  # type: ignore[attr-defined]
            new_body.append(stmt)
        if not new_body:
            new_body = [cst.SimpleStatementLine([cst.Pass()])]
        new_fn = updated.with_changes(body=updated.body.with_changes(body=new_body))
        lines = [leading for leading in original.leading_lines]
        cls_node = cls_node.with_changes(leading_lines=lines)
        new_fn = new_fn.with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine()])
        for i, n in enumerate(obody[: m + 1]):
            if i in plan.dropped or i == m:
                self.supersede_tree(n)
        for layer in plan.layers:
            if layer.ctor is not None:
                self.supersede_tree(layer.ctor)
        # Keras' default names count every layer of the session; layers built elsewhere (a
        # Sequential, a factory, a user class) shift them: only name= layers are certain then
        raw = any(layer.raw is not None for layer in plan.layers)
        keras_map = ", ".join(
            f"{layer.keras_name} -> {_module_path(layer)}"
            for layer in plan.layers
            if layer.keras_name and _module_path(layer) and not (raw and layer.auto_name)
        )
        message = f"Keras functional model of {original.name.value}() becomes class {name}(nn.Module); forward() replays the graph"
        if any(uses_channels_last(with_activation(layer.built)) for layer in plan.layers if layer.built):
            message += " (channels-first layers wrapped in ChannelsLast: NHWC in and out)"
        if plan.notes:
            message += "; " + "; ".join(plan.notes)
        if keras_map:
            message += f"; keras names: {keras_map}"
        if plan.manual:
            message += "; needs a person: " + "; ".join(plan.manual)
        return self.convert(original, updated, cst.FlattenSentinel([cls_node, new_fn]), message=message, manual=bool(plan.manual))


def _module_path(layer: Layer) -> str | None:
    """The torch module that holds the layer's weights, relative to the model (None: the
    layer has no weights)."""
    if layer.built is None:
        return None
    sub = weight_path(layer.built)
    if sub is None:
        return None
    return f"{layer.attr}.{sub}" if sub else layer.attr


def _lines(lines: list[str]) -> list[str]:
    out = []
    for ln in lines:
        out += ln.split("\n")
    return out


def _model_outputs(stmt: Any) -> cst.BaseExpression:
    call = stmt.body[0].value
    args = keyword_args(call, ["inputs", "outputs", "name", "trainable"])
    assert args is not None
    return args["outputs"].value


def _find_updated(obody: list[Any], ubody: list[Any], raw: Any) -> Any:
    for o, u in zip(obody, ubody):
        s = o.body[0] if isinstance(o, cst.SimpleStatementLine) else None
        if isinstance(s, cst.Assign) and s.value is raw:
            return u.body[0].value
    return None


def _pass_params(fn: cst.FunctionDef) -> str:
    p = fn.params
    out = [q.name.value for q in (*p.posonly_params, *p.params)]
    if isinstance(p.star_arg, cst.Param):
        out.append("*" + p.star_arg.name.value)
    out += [f"{q.name.value}={q.name.value}" for q in p.kwonly_params]
    if p.star_kwarg is not None:
        out.append("**" + p.star_kwarg.name.value)
    return ", ".join(out)


def name_map(message: str) -> dict[str, str]:
    """The ``keras names: a -> b, ...`` part of a PT1030 message as a dict (for the checker)."""
    m = re.search(r"keras names: (.*?)(?:;|$)", message)
    if not m:
        return {}
    return dict(pair.split(" -> ", 1) for pair in m.group(1).split(", "))


__all__ = ["HELPERS", "KerasFunctional", "class_name", "dotted_name", "name_map", "to_snake_case"]
