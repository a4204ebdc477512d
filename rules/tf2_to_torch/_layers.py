"""Builds the torch.nn modules of one Keras layer call (not a rule module).

``build`` is pure: it reads the call's arguments (literals and activations from the
original call, code from the updated one), the input shape a container knows, and the
layer table, and returns a ``Built`` (the torch modules, their layout, the output shape,
notes for the report) or a string saying why the layer is left for a person. Rules apply
the side effects (imports, helpers, findings).

Shapes are Keras shapes without the batch axis, channels last: ``(28, 28, 1)``; a leading
``...`` means "leading axes unknown, last axis known"; None means nothing is known.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from rules.tf2_to_torch._common import (
    HELPERS,
    NOT_LITERAL,
    atom_code,
    code_of,
    keyword_args,
    literal,
    multiline,
    tf_rest,
)
from rules.tf2_to_torch.tables import (
    ACTIVATION_FUNCTIONS,
    ACTIVATIONS,
    COMMON_ARGS,
    LAYERS,
)

Shape = Any  # tuple[int | None | Ellipsis, ...] | None

_DEFAULT_LITERALS: dict[str, Any] = {
    "kernel_initializer": "glorot_uniform",
    "bias_initializer": "zeros",
    "embeddings_initializer": "uniform",
    "beta_initializer": "zeros",
    "gamma_initializer": "ones",
    "moving_mean_initializer": "zeros",
    "moving_variance_initializer": "ones",
    "recurrent_initializer": "orthogonal",
    "depthwise_initializer": "glorot_uniform",
    "pointwise_initializer": "glorot_uniform",
}


@dataclass
class Part:
    code: str  # a torch module expression (roots torch./nn./F. not yet localized)
    layout: str  # "cf": needs channels-first input; "elementwise"; "lastaxis"; "native"


@dataclass
class Act:
    name: str
    module: str | None  # module form, None when only a call works (a user function)
    functional: str  # call form, with $x for the input
    layout: str


@dataclass
class Built:
    keras: str
    torch: str  # the main torch class, for messages
    parts: list[Part] = field(default_factory=list)
    activation: Act | None = None
    out_shape: Shape = None
    notes: list[str] = field(default_factory=list)
    manual: list[str] = field(default_factory=list)
    helpers: list[str] = field(default_factory=list)
    lazy: bool = False
    outputs: int = 1  # values the layer call returns (an RNN with return_state: 2 or 3)
    state_shapes: list[Any] = field(default_factory=list)  # shapes of the outputs after the first


# --------------------------------------------------------------------------------------
# shapes


def last_dim(shape: Shape) -> int | None:
    if not shape:
        return None
    v = shape[-1]
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def rank(shape: Shape) -> int | None:
    """Keras rank, batch axis included; None when unknown."""
    if shape is None or any(d is Ellipsis for d in shape):
        return None
    return len(shape) + 1


def merge_shapes(a: Shape, b: Shape) -> Shape:
    """What two call sites of one layer agree on."""
    if a is None or b is None or len(a) != len(b) or (Ellipsis in a) != (Ellipsis in b):
        return None
    return tuple(x if x == y else None for x, y in zip(a, b))


def _int_arith(node: cst.BaseExpression) -> Any:
    """The value of integer arithmetic on literals (``4 * 4 * 8``), else NOT_LITERAL."""
    if isinstance(node, cst.BinaryOperation):
        left, right = literal(node.left), literal(node.right)
        left = _int_arith(node.left) if left is NOT_LITERAL else left
        right = _int_arith(node.right) if right is NOT_LITERAL else right
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (left, right)):
            return NOT_LITERAL
        op = node.operator
        if isinstance(op, cst.Multiply):
            return left * right
        if isinstance(op, cst.Add):
            return left + right
        if isinstance(op, cst.Subtract):
            return left - right
        if isinstance(op, cst.FloorDivide) and right:
            return left // right
    return NOT_LITERAL


def _as_shape(value: Any) -> Shape:
    if isinstance(value, tuple) and all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in value):
        return value
    return None


def _per_dim(value: Any, dims: int) -> tuple[int, ...] | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,) * dims
    if isinstance(value, tuple) and len(value) == dims and all(isinstance(v, int) for v in value):
        return value
    return None


def _spatial_out(n: int | None, k: int | None, s: int | None, d: int, same: bool) -> int | None:
    if n is None or s is None:
        return None
    if same:
        return math.ceil(n / s)
    if k is None:
        return None
    return (n - d * (k - 1) - 1) // s + 1


# --------------------------------------------------------------------------------------
# arguments


class Args:
    """A layer call's arguments by parameter name: literals from the original call, code
    from the updated one."""

    def __init__(self, orig: dict[str, cst.Arg], upd: dict[str, cst.Arg]) -> None:
        self.orig = orig
        self.upd = upd

    def given(self, name: str) -> bool:
        """Passed, and not as a literal None (which means "the default" in Keras)."""
        return name in self.orig and literal(self.orig[name].value) is not None

    def lit(self, name: str, default: Any = NOT_LITERAL) -> Any:
        if not self.given(name):
            return default
        node = self.orig[name].value
        value = literal(node)
        if value is NOT_LITERAL:
            value = _int_arith(node)
        return value

    def node(self, name: str) -> cst.BaseExpression:
        return (self.upd.get(name) or self.orig[name]).value

    def orig_node(self, name: str) -> cst.BaseExpression:
        return self.orig[name].value

    def code(self, name: str, default: str | None = None) -> str:
        if not self.given(name):
            assert default is not None
            return default
        return code_of(self.node(name))

    def atom(self, name: str, default: str | None = None) -> str:
        if not self.given(name):
            assert default is not None
            return default
        return atom_code(self.node(name))


# --------------------------------------------------------------------------------------
# activations


def resolve_activation(node: cst.BaseExpression | None, qname: Callable[[cst.BaseExpression], str | None]) -> Act | None | str:
    """An `activation=` argument -> Act, None (no activation) or a problem string."""
    if node is None:
        return None
    value = literal(node)
    if value is None:
        return None
    if isinstance(value, str):
        name = value.lower()
        if name == "linear":
            return None
        if name in ACTIVATIONS:
            module, functional, layout = ACTIVATIONS[name]
            return Act(name, module, functional, layout)
        return f"activation {value!r} has no PyTorch mapping in the table"
    if value is not NOT_LITERAL:
        return f"activation {code_of(node)} is not understood"
    rest = tf_rest(qname(node))
    if rest is not None:
        known = ACTIVATION_FUNCTIONS.get(rest)
        if known is None:
            if rest == "keras.activations.linear":
                return None
            return f"activation tf.{rest} has no PyTorch mapping in the table"
        module, functional, layout = ACTIVATIONS[known]
        return Act(known, module, functional, layout)
    # a user function or lambda: it can be called on the output, not put in nn.Sequential
    return Act(code_of(node), None, f"{atom_code(node)}($x)", "lastaxis")


def activation_call(act: Act, inner: str) -> str:
    return act.functional.replace("$x", inner)


# --------------------------------------------------------------------------------------
# rendering


def group_parts(parts: list[Part]) -> list[Part | list[Part]]:
    """Consecutive channels-first parts (and the elementwise parts that follow them) form
    one ChannelsLast group; the rest stay as they are."""
    out: list[Part | list[Part]] = []
    group: list[Part] | None = None
    for p in parts:
        if p.layout == "cf" or (p.layout == "elementwise" and group is not None):
            if group is None:
                group = []
                out.append(group)
            group.append(p)
        else:
            group = None
            out.append(p)
    return out


def render_items(parts: list[Part], channels_last: str, multi: bool) -> list[str]:
    items = []
    for g in group_parts(parts):
        if isinstance(g, Part):
            items.append(g.code)
        elif multi and len(g) > 1:
            items.append(multiline(channels_last, [p.code for p in g]))
        else:
            items.append(f"{channels_last}({', '.join(p.code for p in g)})")
    return items


def with_activation(built: Built) -> list[Part]:
    parts = list(built.parts)
    if built.activation is not None:
        assert built.activation.module is not None
        parts.append(Part(built.activation.module, built.activation.layout))
    return parts


def render_standalone(built: Built, include_activation: bool, channels_last: str) -> str:
    parts = with_activation(built) if include_activation else list(built.parts)
    items = render_items(parts, channels_last, multi=False)
    if len(items) == 1:
        return items[0]
    return f"nn.Sequential({', '.join(items)})"


_WEIGHTED = ("nn.Linear", "nn.LazyLinear", "nn.Conv", "nn.LazyConv", "nn.BatchNorm", "nn.LazyBatchNorm", "nn.LayerNorm", "nn.Embedding", "KerasRNN(")


def weight_path(built: Built, include_activation: bool = True) -> str | None:
    """Where the first weighted module of `built` sits inside what render_standalone writes:
    ``""`` (the module itself), ``"0"``, ``"1"`` (inside nn.Sequential / ChannelsLast),
    ``"0.1"``; ``.rnn`` for the nn.LSTM/nn.GRU of KerasRNN."""
    parts = with_activation(built) if include_activation else list(built.parts)
    items = group_parts(parts)
    for i, g in enumerate(items):
        group = g if isinstance(g, list) else [g]
        for j, p in enumerate(group):
            if not p.code.startswith(_WEIGHTED):
                continue
            path = []
            if len(items) > 1:
                path.append(str(i))
            if isinstance(g, list):
                path.append(str(j))
            if p.code.startswith("KerasRNN("):
                path.append("rnn")
            return ".".join(path)
    return None


def to_snake_case(name: str) -> str:
    """Keras' default layer name for a class (``Conv2DTranspose`` -> ``conv2d_transpose``)."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def uses_channels_last(parts: list[Part]) -> bool:
    return any(p.layout == "cf" for p in parts)


# --------------------------------------------------------------------------------------
# the builder


def build(
    keras: str,
    orig_call: cst.Call,
    upd_call: cst.Call,
    in_shape: Shape,
    qname: Callable[[cst.BaseExpression], str | None],
) -> Built | str:
    spec = LAYERS.get(keras)
    if spec is None:
        return f"tf.keras.layers.{keras} is not in the layer table"
    params = list(spec["params"])
    orig = keyword_args(orig_call, params)
    upd = keyword_args(upd_call, params)
    if orig is None or upd is None:
        return f"tf.keras.layers.{keras} called with *args/**kwargs or too many positional arguments"
    for alias, target in spec.get("aliases", {}).items():
        if alias in orig:
            orig[target] = orig.pop(alias)
            upd[target] = upd.pop(alias)
    unknown = sorted(k for k in orig if k not in params and k not in COMMON_ARGS)
    if unknown:
        return f"tf.keras.layers.{keras} argument(s) {', '.join(unknown)} have no PyTorch equivalent in the table"
    a = Args(orig, upd)
    b = Built(keras=keras, torch="")

    # arguments common to all layers
    explicit = _as_shape(a.lit("input_shape"))
    if explicit is None and a.given("batch_input_shape"):
        full = _as_shape(a.lit("batch_input_shape"))
        explicit = full[1:] if full else None
    if explicit is None and isinstance(a.lit("input_dim"), int) and keras != "Embedding":
        explicit = (a.lit("input_dim"),)
    if explicit is not None:
        in_shape = explicit
    if a.given("trainable") and a.lit("trainable") is not True:
        b.manual.append("trainable=False: freeze the module with .requires_grad_(False)")
    if a.given("dtype") and a.lit("dtype") not in ("float32",) and qname(a.orig_node("dtype")) != "tensorflow.float32":
        b.manual.append(f"dtype={code_of(a.orig_node('dtype'))}: convert the module with .to(dtype)")
    for name in params:
        if not a.given(name):
            continue
        if name.endswith("_initializer") and a.lit(name) != _DEFAULT_LITERALS.get(name, NOT_LITERAL):
            b.manual.append(f"{name} is not reproduced: the module keeps PyTorch's default initialization (apply torch.nn.init to match)")
        elif name.endswith("_regularizer"):
            b.manual.append(f"{name}: add the penalty to the loss (or use the optimizer's weight_decay)")
        elif name.endswith("_constraint"):
            b.manual.append(f"{name}: apply the constraint to the weight after each optimizer step")

    kind = spec["kind"]
    builder = _BUILDERS[kind]
    problem = builder(a, spec, b, in_shape, qname)
    if problem:
        return problem
    return b


def _activation(a: Args, b: Built, qname: Callable[[cst.BaseExpression], str | None]) -> str | None:
    if not a.given("activation"):
        return None
    act = resolve_activation(a.orig_node("activation"), qname)
    if isinstance(act, str):
        return act
    b.activation = act
    return None


def _bias(a: Args) -> str:
    if not a.given("use_bias"):
        return ""
    v = a.lit("use_bias")
    if v is True:
        return ""
    if v is False:
        return ", bias=False"
    return f", bias={a.code('use_bias')}"


def _layout(a: Args) -> str | None:
    """'cf' for channels_last data (wrapped), 'native' for channels_first; None if unknown."""
    if not a.given("data_format"):
        return "cf"
    v = a.lit("data_format")
    if v == "channels_last":
        return "cf"
    if v == "channels_first":
        return "native"
    return None


def _split(shape: Shape, layout: str, dims: int) -> tuple[int | None, tuple[int | None, ...] | None]:
    """(channels, spatial sizes) of an input shape."""
    if shape is None or Ellipsis in shape or len(shape) != dims + 1:
        if layout == "cf":
            return last_dim(shape), None
        return None, None
    if layout == "cf":
        return last_dim(shape), tuple(shape[:-1])
    c = shape[0]
    return (c if isinstance(c, int) else None), tuple(shape[1:])


def _join(channels: int | None, spatial: tuple[int | None, ...] | None, layout: str, dims: int) -> Shape:
    sp = spatial if spatial is not None else (None,) * dims
    return (*sp, channels) if layout == "cf" else (channels, *sp)


def _dense(a: Args, spec: dict[str, Any], b: Built, shape: Shape, qname: Any) -> str | None:
    if not a.given("units"):
        return "Dense without units"
    problem = _activation(a, b, qname)
    if problem:
        return problem
    units = a.code("units")
    fin = last_dim(shape)
    if fin is None:
        b.torch = "nn.LazyLinear"
        b.lazy = True
        b.parts.append(Part(f"nn.LazyLinear({units}{_bias(a)})", "lastaxis"))
    else:
        b.torch = "nn.Linear"
        b.parts.append(Part(f"nn.Linear({fin}, {units}{_bias(a)})", "lastaxis"))
    u = a.lit("units")
    u = u if isinstance(u, int) and not isinstance(u, bool) else None
    if shape is None:
        b.out_shape = (Ellipsis, u)
    else:
        b.out_shape = (*shape[:-1], u)
    return None


def _is_one(value: Any, dims: int) -> bool:
    return _per_dim(value, dims) == (1,) * dims


def _conv(a: Args, spec: dict[str, Any], b: Built, shape: Shape, qname: Any) -> str | None:
    dims = spec["dims"]
    if not a.given("filters") or not a.given("kernel_size"):
        return "convolution without filters or kernel_size"
    layout = _layout(a)
    if layout is None:
        return "data_format is not a literal: choose the layout by hand"
    problem = _activation(a, b, qname)
    if problem:
        return problem
    padding = a.lit("padding", "valid")
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        return f"padding={code_of(a.orig_node('padding'))}: only 'valid' and 'same' are mapped (causal: pad the input on the left with F.pad)"
    same = padding.lower() == "same"
    k, s, d = a.code("kernel_size"), a.code("strides", "1"), a.code("dilation_rate", "1")
    stride_one = not a.given("strides") or _is_one(a.lit("strides"), dims)
    kw = ""
    if a.given("strides") and not stride_one:
        kw += f", stride={s}"
    if same and stride_one:
        kw += f", padding={a.code('padding')}"
    if a.given("dilation_rate") and not _is_one(a.lit("dilation_rate"), dims):
        kw += f", dilation={d}"
    if a.given("groups") and a.lit("groups") != 1:
        kw += f", groups={a.code('groups')}"
    kw += _bias(a)
    cin, spatial = _split(shape, layout, dims)
    part_layout = "cf" if layout == "cf" else "native"
    if same and not stride_one:
        dil = f", {d}" if a.given("dilation_rate") and not _is_one(a.lit("dilation_rate"), dims) else ""
        b.parts.append(Part(f"SamePad({k}, {s}{dil})", part_layout))
        b.helpers.append("SamePad")
        b.notes.append("padding='same' with stride > 1: SamePad pads like TensorFlow (odd pixel bottom/right), computed from the input size")
    filters = a.code("filters")
    if cin is None:
        b.torch = f"nn.LazyConv{dims}d"
        b.lazy = True
        b.parts.append(Part(f"nn.LazyConv{dims}d({filters}, {k}{kw})", part_layout))
    else:
        b.torch = f"nn.Conv{dims}d"
        b.parts.append(Part(f"nn.Conv{dims}d({cin}, {filters}, {k}{kw})", part_layout))
    f = a.lit("filters")
    f = f if isinstance(f, int) and not isinstance(f, bool) else None
    out_sp = None
    if spatial is not None:
        ks = _per_dim(a.lit("kernel_size"), dims)
        ss = _per_dim(a.lit("strides", 1), dims)
        ds = _per_dim(a.lit("dilation_rate", 1), dims)
        if ks and ss and ds:
            out_sp = tuple(_spatial_out(n, kk, st, dd, same) for n, kk, st, dd in zip(spatial, ks, ss, ds))
    b.out_shape = _join(f, out_sp, layout, dims)
    return None


def _pool(a: Args, spec: dict[str, Any], b: Built, shape: Shape, qname: Any) -> str | None:
    dims, op = spec["dims"], spec["op"]
    layout = _layout(a)
    if layout is None:
        return "data_format is not a literal: choose the layout by hand"
    padding = a.lit("padding", "valid")
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        return "padding is not a literal 'valid'/'same'"
    same = padding.lower() == "same"
    k = a.code("pool_size", spec["defaults"]["pool_size"])
    kl = a.lit("pool_size", 2)
    strided = a.given("strides")
    s = a.code("strides") if strided else k
    sl = a.lit("strides") if strided else kl
    stride_kw = f", stride={s}" if strided else ""
    part_layout = "cf" if layout == "cf" else "native"
    cls = f"nn.{'Max' if op == 'max' else 'Avg'}Pool{dims}d"
    b.torch = cls
    if op == "max":
        if same:
            b.parts.append(Part(f"SamePad({k}, {s}, value=float('-inf'))", part_layout))
            b.helpers.append("SamePad")
            b.notes.append("padding='same': SamePad pads with -inf like TensorFlow (odd pixel bottom/right)")
        b.parts.append(Part(f"{cls}({k}{stride_kw})", part_layout))
    else:
        if same:
            ks = _per_dim(kl, dims)
            if not (_is_one(sl, dims) and ks and all(v % 2 == 1 for v in ks)):
                return "AveragePooling with padding='same' and a stride above 1 or an even pool: TensorFlow averages only the valid pixels; pad with SamePad and divide by the pooled mask of ones by hand"
            pad = ks[0] // 2 if len(set(ks)) == 1 else tuple(v // 2 for v in ks)
            b.parts.append(Part(f"{cls}({k}{stride_kw}, padding={pad}, count_include_pad=False)", part_layout))
            b.notes.append("padding='same' with stride 1: count_include_pad=False averages only the valid pixels, like TensorFlow")
        else:
            b.parts.append(Part(f"{cls}({k}{stride_kw})", part_layout))
    cin, spatial = _split(shape, layout, dims)
    out_sp = None
    if spatial is not None:
        ks = _per_dim(kl, dims)
        ss = _per_dim(sl, dims)
        if ks and ss:
            out_sp = tuple(_spatial_out(n, kk, st, 1, same) for n, kk, st in zip(spatial, ks, ss))
    b.out_shape = _join(cin, out_sp, layout, dims)
    return None


def _global_pool(a: Args, spec: dict[str, Any], b: Built, shape: Shape, qname: Any) -> str | None:
    dims, op = spec["dims"], spec["op"]
    layout = _layout(a)
    if layout is None:
        return "data_format is not a literal: choose the layout by hand"
    keep = a.lit("keepdims", False)
    if keep not in (True, False):
        return "keepdims is not a literal"
    cls = f"nn.Adaptive{'Avg' if op == 'avg' else 'Max'}Pool{dims}d"
    b.torch = cls
    part_layout = "cf" if layout == "cf" else "native"
    b.parts.append(Part(f"{cls}(1)", part_layout))
    cin, _ = _split(shape, layout, dims)
    if keep:
        b.out_shape = _join(cin, (1,) * dims, layout, dims)
    else:
        b.parts.append(Part("nn.Flatten()", "lastaxis"))
        b.out_shape = (cin,)
    return None


def _batchnorm(a: Args, spec: dict[str, Any], b: Built, shape: Shape, qname: Any) -> str | None:
    for name in ("renorm", "synchronized"):
        if a.lit(name, False) is not False:
            return f"{name}=True: not mapped (nn.SyncBatchNorm for synchronized)"
    r = rank(shape)
    axis = a.lit("axis", -1)
    native = False
    if axis in (-1, [-1], (-1,)) or isinstance(axis, int) and r is not None and axis == r - 1:
        pass
    elif axis == 1:
        native = True
    else:
        return f"axis={code_of(a.orig_node('axis'))}: only the channel axis (last, or 1 for channels_first) is mapped"
    center, scale = a.lit("center", True), a.lit("scale", True)
    if center is NOT_LITERAL or scale is NOT_LITERAL:
        return "center/scale are not literals"
    if center != scale:
        return "center and scale differ: nn.BatchNorm has one affine switch; keep both or neither"
    affine = "" if center else ", affine=False"
    m = a.atom("momentum", spec["defaults"]["momentum"])
    eps = a.code("epsilon", spec["defaults"]["epsilon"])
    pins = f"momentum=1 - {m}, eps={eps}{affine}"
    if r is None:
        nd = 2
        b.manual.append("input rank unknown: assumed 4-D (BatchNorm2d); use nn.BatchNorm1d for (N, C) or (N, L, C) inputs")
    elif r in (2, 3):
        nd = 1
    elif r in (4, 5):
        nd = r - 2
    else:
        return f"BatchNormalization over a rank-{r} input is not mapped"
    channels = (shape[0] if isinstance(shape[0], int) else None) if native and shape else last_dim(shape)
    if channels is None:
        cls = f"nn.LazyBatchNorm{nd}d"
        b.lazy = True
        code = f"{cls}({pins})"
    else:
        cls = f"nn.BatchNorm{nd}d"
        code = f"{cls}({channels}, {pins})"
    b.torch = cls
    layout = "native" if native else ("lastaxis" if r == 2 else "cf")
    b.parts.append(Part(code, layout))
    b.out_shape = shape
    b.notes.append("momentum and eps pinned to the Keras values (torch momentum = 1 - Keras momentum)")
    return None


def _layernorm(a: Args, spec: dict[str, Any], b: Built, shape: Shape, qname: Any) -> str | None:
    axis = a.lit("axis", -1)
    if axis not in (-1, [-1], (-1,)):
        return "LayerNormalization over axes other than the last: not mapped (nn.LayerNorm normalizes the trailing axes)"
    if a.lit("rms_scaling", False) is not False:
        return "rms_scaling=True: use nn.RMSNorm"
    center, scale = a.lit("center", True), a.lit("scale", True)
    if center is NOT_LITERAL or scale is NOT_LITERAL:
        return "center/scale are not literals"
    c = last_dim(shape)
    if c is None:
        eps = a.code("epsilon", spec["defaults"]["epsilon"])
        return f"LayerNormalization: the feature size is not known statically and PyTorch has no lazy LayerNorm; write nn.LayerNorm(features, eps={eps})"
    extra = ""
    if not scale and not center:
        extra = ", elementwise_affine=False"
    elif not center:
        extra = ", bias=False"
    elif not scale:
        return "scale=False with center=True: nn.LayerNorm has no bias-only form"
    eps = a.code("epsilon", spec["defaults"]["epsilon"])
    b.torch = "nn.LayerNorm"
    b.parts.append(Part(f"nn.LayerNorm({c}, eps={eps}{extra})", "lastaxis"))
    b.out_shape = shape
    b.notes.append("eps pinned to the Keras value")
    return None


def _dropout(a: Args, spec: dict[str, Any], b: Built, shape: Shape, qname: Any) -> str | None:
    if not a.given("rate"):
        return "Dropout without rate"
    if a.given("noise_shape"):
        return "noise_shape: not mapped (nn.Dropout1d/2d drop whole channels)"
    if a.given("seed"):
        b.notes.append("seed dropped: use torch.manual_seed")
    b.torch = "nn.Dropout"
    b.parts.append(Part(f"nn.Dropout({a.code('rate')})", "elementwise"))
    b.out_shape = shape
    return None


def _spatial_dropout(a: Args, spec: dict[str, Any], b: Built, shape: Shape, qname: Any) -> str | None:
    if not a.given("rate"):
        return "SpatialDropout without rate"
    layout = _layout(a)
    if layout is None:
        return "data_format is not a literal"
    cls = f"nn.Dropout{spec['dims']}d"
    b.torch = cls
    b.parts.append(Part(f"{cls}({a.code('rate')})", "cf" if layout == "cf" else "native"))
    b.out_shape = shape
    return None


def _flatten(a: Args, spec: dict[str, Any], b: Built, shape: Shape, qname: Any) -> str | None:
    if a.lit("data_format", "channels_last") != "channels_last":
        return "Flatten(data_format='channels_first'): permute to channels-last before nn.Flatten()"
    b.torch = "nn.Flatten"
    b.parts.append(Part("nn.Flatten()", "lastaxis"))
    if shape is not None and Ellipsis not in shape and all(isinstance(d, int) for d in shape):
        b.out_shape = (math.prod(shape),)
    else:
        b.out_shape = (None,)
    return None


def _embedding(a: Args, spec: dict[str, Any], b: Built, shape: Shape, qname: Any) -> str | None:
    if not a.given("input_dim") or not a.given("output_dim"):
        return "Embedding without input_dim/output_dim"
    if a.lit("mask_zero", False) is not False:
        return "mask_zero=True: PyTorch has no mask propagation; build the mask (x != 0) and pass it on by hand"
    if a.given("weights"):
        return "weights=: copy the matrix into nn.Embedding.from_pretrained(...)"
    b.torch = "nn.Embedding"
    b.parts.append(Part(f"nn.Embedding({a.code('input_dim')}, {a.code('output_dim')})", "lastaxis"))
    od = a.lit("output_dim")
    od = od if isinstance(od, int) and not isinstance(od, bool) else None
    b.out_shape = (*shape, od) if shape is not None else (Ellipsis, od)
    b.notes.append("indices must be an integer tensor")
    return None


def _act_layer(a: Args, spec: dict[str, Any], b: Built, shape: Shape, qname: Any) -> str | None:
    if not a.given("activation"):
        return "Activation without an activation"
    act = resolve_activation(a.orig_node("activation"), qname)
    if isinstance(act, str):
        return act
    if act is None:
        b.torch = "nn.Identity"
        b.parts.append(Part("nn.Identity()", "elementwise"))
    elif act.module is None:
        return f"Activation({act.name}): a function, not a module; call it in forward()"
    else:
        b.torch = act.module.split("(")[0]
        b.parts.append(Part(act.module, act.layout))
    b.out_shape = shape
    return None


def _relu(a: Args, spec: dict[str, Any], b: Built, shape: Shape, qname: Any) -> str | None:
    mv, ns, th = a.lit("max_value", None), a.lit("negative_slope", 0), a.lit("threshold", 0)
    if ns in (0, 0.0) and th in (0, 0.0):
        if mv is None:
            b.torch = "nn.ReLU"
            b.parts.append(Part("nn.ReLU()", "elementwise"))
        elif mv in (6, 6.0):
            b.torch = "nn.ReLU6"
            b.parts.append(Part("nn.ReLU6()", "elementwise"))
        elif isinstance(mv, (int, float)):
            b.torch = "nn.Hardtanh"
            b.parts.append(Part(f"nn.Hardtanh(0.0, {code_of(a.orig_node('max_value'))})", "elementwise"))
        else:
            return "ReLU(max_value=...) is not a literal"
        b.out_shape = shape
        return None
    return "ReLU with negative_slope/threshold: write it with torch.where"


def _simple_activation(a: Args, spec: dict[str, Any], b: Built, shape: Shape, qname: Any) -> str | None:
    code = spec["to"]
    for p in spec["params"]:
        code = code.replace(f"${p}", a.code(p, spec["defaults"][p]))
    b.torch = code.split("(")[0]
    b.parts.append(Part(code, spec["layout"]))
    b.out_shape = shape
    return None


# --------------------------------------------------------------------------------------
# recurrent layers, transposed / depthwise / separable convolutions, reshapes

_RNN_CLASSES = {"LSTM": "nn.LSTM", "GRU": "nn.GRU"}


def _rnn_core(a: Args, keras: str, b: Built, shape: Shape, bidirectional: bool, qname: Any) -> str | None:
    if not a.given("units"):
        return f"{keras} without units"
    for name, default in (("activation", "tanh"), ("recurrent_activation", "sigmoid")):
        if a.given(name):
            act = resolve_activation(a.orig_node(name), qname)
            if not (isinstance(act, Act) and act.name == default):
                return f"{name}={code_of(a.orig_node(name))}: nn.{keras} only computes {default}; write the cell by hand"
    for name in ("dropout", "recurrent_dropout"):
        if a.given(name) and a.lit(name) not in (0, 0.0):
            return f"{name}={code_of(a.orig_node(name))}: nn.{keras} has no per-step (variational) dropout; write the loop by hand or drop it"
    for name in ("go_backwards", "stateful"):
        if a.lit(name, False) is not False:
            return f"{name}=True: not mapped (flip the sequence with torch.flip / carry the state by hand)"
    if keras == "GRU" and a.lit("reset_after", True) is not True:
        return "GRU(reset_after=False) applies the reset gate before the recurrent matmul; nn.GRU computes reset_after=True only: write the cell by hand"
    seqs, state = a.lit("return_sequences", False), a.lit("return_state", False)
    if seqs not in (True, False) or state not in (True, False):
        return "return_sequences/return_state are not literals"
    fin = last_dim(shape)
    if fin is None:
        return f"the input feature size is not known statically and PyTorch has no lazy {_RNN_CLASSES[keras]}; write {_RNN_CLASSES[keras]}(features, {a.code('units')}, batch_first=True)"
    kw = ", bias=False" if a.lit("use_bias", True) is False else ""
    if bidirectional:
        kw += ", bidirectional=True"
    rnn = f"{_RNN_CLASSES[keras]}({fin}, {a.code('units')}, batch_first=True{kw})"
    opts = (", return_sequences=True" if seqs else "") + (", return_state=True" if state else "")
    b.torch = _RNN_CLASSES[keras]
    b.parts.append(Part(f"KerasRNN({rnn}{opts})", "lastaxis"))
    b.helpers.append("KerasRNN")
    u = a.lit("units")
    u = u if isinstance(u, int) and not isinstance(u, bool) else None
    width = (2 * u if u is not None else None) if bidirectional else u
    if shape is not None and Ellipsis not in shape and len(shape) == 2:
        b.out_shape = (shape[0], width) if seqs else (width,)
    else:
        b.out_shape = (None, width) if seqs else (width,)
    if state:
        b.outputs = 3 if keras == "LSTM" else 2
        b.state_shapes = [(u,)] * (b.outputs - 1)
    b.notes.append("batch_first=True; KerasRNN returns the last step unless return_sequences" + (", and the final states" if state else ""))
    if keras == "LSTM" and a.lit("use_bias", True) is not False:
        b.notes.append("Keras' one LSTM bias is bias_ih: KerasRNN keeps bias_hh at zero and frozen")
    return None


def _rnn(a: Args, spec: dict[str, Any], b: Built, shape: Shape, qname: Any) -> str | None:
    return _rnn_core(a, spec["rnn"], b, shape, False, qname)


def _bidirectional(a: Args, spec: dict[str, Any], b: Built, shape: Shape, qname: Any) -> str | None:
    if not a.given("layer"):
        return "Bidirectional without a layer"
    inner_o, inner_u = a.orig_node("layer"), a.node("layer")
    name = _layer_class(inner_o, qname)
    if name not in _RNN_CLASSES or not isinstance(inner_o, cst.Call) or not isinstance(inner_u, cst.Call):
        return "Bidirectional around something else than a literal LSTM(...)/GRU(...) call"
    if a.lit("merge_mode", "concat") != "concat":
        return "merge_mode other than 'concat': split the nn.LSTM(bidirectional=True) output in two halves and combine them by hand"
    if a.given("backward_layer"):
        return "backward_layer=: two separate RNNs, the second on torch.flip(x, [1])"
    inner_spec = LAYERS[name]
    params = list(inner_spec["params"])
    io, iu = keyword_args(inner_o, params), keyword_args(inner_u, params)
    if io is None or iu is None:
        return f"{name} called with *args/**kwargs"
    unknown = sorted(k for k in io if k not in params and k not in COMMON_ARGS)
    if unknown:
        return f"{name} argument(s) {', '.join(unknown)} have no PyTorch equivalent in the table"
    inner = Args(io, iu)
    if inner.lit("return_state", False) is not False:
        return "Bidirectional with return_state: the forward and backward states are h_n[0::2] / h_n[1::2] of nn.LSTM(bidirectional=True)"
    problem = _rnn_core(inner, name, b, shape, True, qname)
    if problem:
        return problem
    b.keras = f"Bidirectional({name})"
    b.notes.append("merge_mode='concat': forward and backward features side by side, as nn.LSTM(bidirectional=True) returns them")
    return None


def _layer_class(node: cst.BaseExpression, qname: Any) -> str | None:
    if not isinstance(node, cst.Call):
        return None
    q = qname(node.func)
    if q is None or not q.startswith("tensorflow.keras.layers."):
        return None
    return q.rsplit(".", 1)[-1]


def _conv_transpose(a: Args, spec: dict[str, Any], b: Built, shape: Shape, qname: Any) -> str | None:
    dims = spec["dims"]
    if not a.given("filters") or not a.given("kernel_size"):
        return "transposed convolution without filters or kernel_size"
    layout = _layout(a)
    if layout is None:
        return "data_format is not a literal: choose the layout by hand"
    problem = _activation(a, b, qname)
    if problem:
        return problem
    if a.given("output_padding"):
        return "output_padding=: pass output_padding to nn.ConvTranspose by hand and check the output size"
    if a.given("dilation_rate") and not _is_one(a.lit("dilation_rate"), dims):
        return "dilation_rate above 1 in a transposed convolution: not mapped"
    padding = a.lit("padding", "valid")
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        return "padding is not a literal 'valid'/'same'"
    same = padding.lower() == "same"
    ks = _per_dim(a.lit("kernel_size"), dims)
    ss = _per_dim(a.lit("strides", 1), dims)
    if ks is None or ss is None:
        return "kernel_size/strides are not literals: the output size cannot be pinned"
    kw = ""
    if not _is_one(ss, dims):
        kw += f", stride={a.code('strides')}"
    if same:
        pads, outs, crops = [], [], []
        for k, s in zip(ks, ss):
            pads.append(max(k - s, 0) // 2)
            outs.append(max(s - k, 0))
            crops.append(max(k - s, 0) % 2)
        if any(pads):
            kw += f", padding={pads[0] if len(set(pads)) == 1 else tuple(pads)}"
        if any(outs):
            kw += f", output_padding={outs[0] if len(set(outs)) == 1 else tuple(outs)}"
        b.notes.append("padding='same': padding/output_padding chosen so the output is input * strides, cropped like TensorFlow")
    elif any(k < s for k, s in zip(ks, ss)):
        # 'valid' with a stride above the kernel: TensorFlow's output is input * strides
        outs = [max(s - k, 0) for k, s in zip(ks, ss)]
        kw += f", output_padding={outs[0] if len(set(outs)) == 1 else tuple(outs)}"
    kw += _bias(a)
    cin, spatial = _split(shape, layout, dims)
    part_layout = "cf" if layout == "cf" else "native"
    filters, k = a.code("filters"), a.code("kernel_size")
    if cin is None:
        b.torch = f"nn.LazyConvTranspose{dims}d"
        b.lazy = True
        b.parts.append(Part(f"nn.LazyConvTranspose{dims}d({filters}, {k}{kw})", part_layout))
    else:
        b.torch = f"nn.ConvTranspose{dims}d"
        b.parts.append(Part(f"nn.ConvTranspose{dims}d({cin}, {filters}, {k}{kw})", part_layout))
    if same and any(crops):
        # TensorFlow crops the odd pixel of 'same' at the end: a negative pad removes it
        crop = ", ".join(f"0, {-c}" for c in reversed(crops))
        b.parts.append(Part(f"nn.ConstantPad{dims}d(({crop}), 0.0)", part_layout))
        b.notes.append("padding='same' with kernel_size - strides odd: the extra pixel is cropped at the end (bottom/right) like TensorFlow, with a negative nn.ConstantPad")
    f = a.lit("filters")
    f = f if isinstance(f, int) and not isinstance(f, bool) else None
    out_sp = None
    if spatial is not None:
        out_sp = tuple(None if n is None else (n * s if same else (n - 1) * s + max(kk, s)) for n, kk, s in zip(spatial, ks, ss))
    b.out_shape = _join(f, out_sp, layout, dims)
    return None


def _depthwise_parts(a: Args, b: Built, shape: Shape, dims: int, mult_code: str, with_bias: bool) -> tuple[str, int | None] | str:
    """SamePad (when needed) and the grouped nn.Conv of a depthwise convolution."""
    layout = _layout(a)
    if layout is None:
        return "data_format is not a literal: choose the layout by hand"
    padding = a.lit("padding", "valid")
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        return "padding is not a literal 'valid'/'same'"
    same = padding.lower() == "same"
    cin, spatial = _split(shape, layout, dims)
    if cin is None:
        return "the input channels are not known statically: a depthwise convolution needs groups=in_channels"
    k, s, d = a.code("kernel_size"), a.code("strides", "1"), a.code("dilation_rate", "1")
    stride_one = not a.given("strides") or _is_one(a.lit("strides"), dims)
    dil_one = not a.given("dilation_rate") or _is_one(a.lit("dilation_rate"), dims)
    part_layout = "cf" if layout == "cf" else "native"
    kw = ""
    if not stride_one:
        kw += f", stride={s}"
    if same and stride_one:
        kw += ", padding='same'"
    if not dil_one:
        kw += f", dilation={d}"
    if same and not stride_one:
        b.parts.append(Part(f"SamePad({k}, {s}{'' if dil_one else ', ' + d})", part_layout))
        b.helpers.append("SamePad")
        b.notes.append("padding='same' with stride > 1: SamePad pads like TensorFlow (odd pixel bottom/right), computed from the input size")
    m = literal(cst.parse_expression(mult_code))
    out_c = cin * m if isinstance(m, int) and not isinstance(m, bool) else None
    out_code = str(out_c) if out_c is not None else f"{cin} * {mult_code}"
    bias = "" if with_bias else ", bias=False"
    b.parts.append(Part(f"nn.Conv{dims}d({cin}, {out_code}, {k}{kw}, groups={cin}{bias})", part_layout))
    out_sp = None
    if spatial is not None:
        ks, ss, ds = _per_dim(a.lit("kernel_size"), dims), _per_dim(a.lit("strides", 1), dims), _per_dim(a.lit("dilation_rate", 1), dims)
        if ks and ss and ds:
            out_sp = tuple(_spatial_out(n, kk, st, dd, same) for n, kk, st, dd in zip(spatial, ks, ss, ds))
    b.out_shape = _join(out_c, out_sp, layout, dims)
    return out_code, out_c


def _depthwise(a: Args, spec: dict[str, Any], b: Built, shape: Shape, qname: Any) -> str | None:
    if not a.given("kernel_size"):
        return "DepthwiseConv2D without kernel_size"
    problem = _activation(a, b, qname)
    if problem:
        return problem
    with_bias = a.lit("use_bias", True) is not False
    got = _depthwise_parts(a, b, shape, spec["dims"], a.code("depth_multiplier", "1"), with_bias)
    if isinstance(got, str):
        return got
    b.torch = f"nn.Conv{spec['dims']}d(groups=in_channels)"
    return None


def _separable(a: Args, spec: dict[str, Any], b: Built, shape: Shape, qname: Any) -> str | None:
    dims = spec["dims"]
    if not a.given("filters") or not a.given("kernel_size"):
        return "SeparableConv without filters or kernel_size"
    problem = _activation(a, b, qname)
    if problem:
        return problem
    got = _depthwise_parts(a, b, shape, dims, a.code("depth_multiplier", "1"), False)
    if isinstance(got, str):
        return got
    mid_code, _ = got
    layout = _layout(a)
    part_layout = "cf" if layout == "cf" else "native"
    b.parts.append(Part(f"nn.Conv{dims}d({mid_code}, {a.code('filters')}, 1{_bias(a)})", part_layout))
    f = a.lit("filters")
    f = f if isinstance(f, int) and not isinstance(f, bool) else None
    _, spatial = _split(b.out_shape, layout or "cf", dims)
    b.out_shape = _join(f, spatial, layout or "cf", dims)
    b.torch = f"nn.Conv{dims}d(groups=in_channels) + 1x1 nn.Conv{dims}d"
    b.notes.append("depthwise (groups=in_channels, no bias) then pointwise 1x1 convolution, as Keras computes it")
    return None


def _reshape(a: Args, spec: dict[str, Any], b: Built, shape: Shape, qname: Any) -> str | None:
    target = a.lit("target_shape")
    if not isinstance(target, tuple) or not all(isinstance(v, int) and not isinstance(v, bool) for v in target):
        return "Reshape target_shape is not a literal tuple"
    b.torch = "nn.Unflatten"
    code = f"nn.Unflatten(1, {a.code('target_shape')})"
    if shape is not None and Ellipsis not in shape and len(shape) == 1:
        b.parts.append(Part(code, "lastaxis"))
    else:
        b.parts.append(Part("nn.Flatten()", "lastaxis"))
        b.parts.append(Part(code, "lastaxis"))
    b.out_shape = _resolve_reshape(shape, target)
    b.notes.append("Reshape of the NHWC tensor in row-major order, as Keras does")
    return None


def _resolve_reshape(shape: Shape, target: tuple[int, ...]) -> Shape:
    if -1 not in target:
        return tuple(target)
    if shape is None or Ellipsis in shape or not all(isinstance(v, int) for v in shape):
        return tuple(None if v == -1 else v for v in target)
    known = math.prod(v for v in target if v != -1)
    return tuple(math.prod(shape) // known if v == -1 else v for v in target)


def _permute(a: Args, spec: dict[str, Any], b: Built, shape: Shape, qname: Any) -> str | None:
    return "Permute has no torch.nn module: write x.permute(0, *dims) in forward() (a functional model gets it written)"


def reshape_code(x: str, target: str) -> str:
    """Inline form of Keras Reshape on an NHWC tensor (used in forward())."""
    return f"{x}.reshape({x}.shape[0], *{target})"


def permute_code(x: str, dims: tuple[int, ...]) -> str:
    return f"{x}.permute({', '.join(str(v) for v in (0, *dims))})"


def permute_shape(shape: Shape, dims: tuple[int, ...]) -> Shape:
    if shape is None or Ellipsis in shape or len(shape) != len(dims):
        return None
    return tuple(shape[d - 1] for d in dims)


HELPERS.setdefault(
    "KerasRNN",
    '''class KerasRNN(nn.Module):
    """Runs a batch-first nn.LSTM / nn.GRU as a Keras recurrent layer: the last step (every
    step with return_sequences), plus the final states with return_state. A Keras LSTM has
    one bias: bias_hh stays zero and frozen, so training updates what Keras updates."""

    def __init__(self, rnn, return_sequences=False, return_state=False):
        super().__init__()
        self.rnn, self.return_sequences, self.return_state = rnn, return_sequences, return_state
        if isinstance(rnn, nn.LSTM):
            for name, p in rnn.named_parameters():
                if name.startswith("bias_hh"):
                    nn.init.zeros_(p)
                    p.requires_grad_(False)

    def forward(self, x):
        out, state = self.rnn(x)
        states = state if isinstance(state, tuple) else (state,)
        dirs = 2 if self.rnn.bidirectional else 1
        y = out if self.return_sequences else torch.cat(list(states[0][-dirs:]), dim=-1)
        if not self.return_state:
            return y
        return (y, *(s[-1] for s in states))
''',
)


_BUILDERS: dict[str, Callable[[Args, dict[str, Any], Built, Shape, Any], str | None]] = {
    "dense": _dense,
    "conv": _conv,
    "pool": _pool,
    "global_pool": _global_pool,
    "batchnorm": _batchnorm,
    "layernorm": _layernorm,
    "dropout": _dropout,
    "spatial_dropout": _spatial_dropout,
    "flatten": _flatten,
    "embedding": _embedding,
    "activation": _act_layer,
    "relu": _relu,
    "simple_activation": _simple_activation,
    "rnn": _rnn,
    "bidirectional": _bidirectional,
    "conv_transpose": _conv_transpose,
    "depthwise": _depthwise,
    "separable": _separable,
    "reshape": _reshape,
    "permute": _permute,
}


def describe(b: Built) -> str:
    """One line for the report."""
    parts = [f"tf.keras.layers.{b.keras} becomes {b.torch}"]
    if uses_channels_last(b.parts):
        parts.append("inside ChannelsLast (NHWC interface kept)")
    if b.lazy:
        parts.append("input size not known statically: lazy module, run one batch before copying weights")
    return "; ".join(parts + b.notes)
