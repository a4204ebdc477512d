"""Static shapes of tensors computed in a TF1 model function, as Python expressions of the
Keras layer's `input_shape` (TF2130).

The CIFAR-10 model sizes a variable from a computed tensor's static shape::

    reshape = tf.reshape(pool1, [images.get_shape()[0].value, -1])
    dim = reshape.get_shape()[1].value
    weights = _variable_with_weight_decay('weights', shape=[dim, 384], ...)

Keras' `build` sees only the input's shape, so `dim` must be written from it. For the few
ops whose output shape is plain arithmetic on their input's (conv2d and the 2-D poolings in
NHWC with literal strides and padding, elementwise ops, `bias_add`, a `[batch, -1]`
reshape) this module follows the shapes statement by statement and gives the expression
(`((input_shape[1] + 1) // 2) * ((input_shape[2] + 1) // 2) * 8`); anything else gives None
and TF2130 keeps its refusal. Only shapes are computed, never values: the numeric tests of
the programs that use it check that the size is TF1's.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from rules.tf1_to_tf2._common import keyword_args

Shape = list[str]  # one Python expression per dimension

# ops whose output has their first argument's shape
_SAME_SHAPE = {"nn.relu", "nn.relu6", "nn.elu", "nn.selu", "nn.sigmoid", "sigmoid", "nn.tanh", "tanh", "nn.bias_add",
               "nn.lrn", "nn.local_response_normalization", "identity", "nn.softplus", "nn.leaky_relu"}
_CONV = {"nn.conv2d": ["input", "filter", "strides", "padding"]}
_POOL = {"nn.max_pool": ["value", "ksize", "strides", "padding"], "nn.avg_pool": ["value", "ksize", "strides", "padding"],
         "nn.max_pool2d": ["input", "ksize", "strides", "padding"], "nn.avg_pool2d": ["input", "ksize", "strides", "padding"]}


def _int(node: cst.BaseExpression) -> int | None:
    if isinstance(node, cst.Integer):
        return int(node.value)
    return None


def _ints(node: cst.BaseExpression | None, n: int) -> list[int] | None:
    if not isinstance(node, (cst.List, cst.Tuple)) or len(node.elements) != n:
        return None
    out = [_int(e.value) if isinstance(e, cst.Element) else None for e in node.elements]
    return None if any(v is None for v in out) else out  # type: ignore[return-value]


def _padding(node: cst.BaseExpression | None) -> str | None:
    if isinstance(node, cst.SimpleString) and node.evaluated_value in ("SAME", "VALID"):
        return str(node.evaluated_value)
    return None


def _atom(e: str) -> str:
    return e if e.replace("_", "").replace("[", "").replace("]", "").isalnum() else f"({e})"


def _spatial(size: str, k: int, s: int, padding: str) -> str:
    """The output size of a window of k with stride s over `size` (TF's SAME: ceil(size / s);
    VALID: ceil((size - k + 1) / s)), as `(size + offset) // s`."""
    offset = (s - 1) - (k - 1 if padding == "VALID" else 0)
    if s == 1:
        return size if offset == 0 else f"{size} - {-offset}"
    if offset == 0:
        return f"{size} // {s}"
    return f"({size} {'+' if offset > 0 else '-'} {abs(offset)}) // {s}"


def _product(dims: list[str]) -> str:
    consts = 1
    parts = []
    for d in dims:
        if d.isdigit():
            consts *= int(d)
        else:
            parts.append(_atom(d))
    if consts != 1 or not parts:
        parts.append(str(consts))
    return " * ".join(parts)


def shape_of(value: cst.BaseExpression, rest: Callable[[cst.BaseExpression], str | None], shapes: dict[str, Shape],
             is_batch: Callable[[cst.BaseExpression], bool], input_name: str) -> Shape | None:
    """The static shape of `value` (a call of a supported op on a local whose shape is in
    `shapes`, or on the layer's input where the op needs a 4-D one), else None.
    `is_batch(e)`: e reads the input's static batch size."""
    if not isinstance(value, cst.Call) or any(a.star for a in value.args):
        return None
    r = rest(value.func)
    if r is None:
        return None

    def of(node: cst.BaseExpression | None, rank: int | None = None) -> Shape | None:
        """The shape of an argument: a followed local, a nested call of a followed op, or
        the input where the op needs a 4-D one (`rank`)."""
        if isinstance(node, cst.Name) and node.value == input_name:
            return [f"input_shape[{i}]" for i in range(rank)] if rank is not None else None
        got = shapes.get(node.value) if isinstance(node, cst.Name) else (
            shape_of(node, rest, shapes, is_batch, input_name) if isinstance(node, cst.Call) else None)
        return list(got) if got is not None and (rank is None or len(got) == rank) else None
    first = value.args[0].value if value.args and value.args[0].keyword is None else None
    if r in _SAME_SHAPE:
        if r == "nn.bias_add" and any(a.keyword is not None and a.keyword.value == "data_format" for a in value.args):
            return None
        return of(first)
    if r in _CONV or r in _POOL:
        params = _CONV.get(r) or _POOL[r]
        args = keyword_args(value, [*params, "data_format", "name"])
        if args is None or set(args) - {*params, "name"}:
            return None  # data_format, dilations, use_cudnn_on_gpu ... : not followed
        x = args.get(params[0])
        src = of(x.value, 4) if x is not None else None  # the op takes a 4-D input (NHWC)
        if src is None:
            return None
        strides = _ints(args["strides"].value if "strides" in args else None, 4)
        padding = _padding(args["padding"].value if "padding" in args else None)
        if strides is None or padding is None or strides[0] != 1 or strides[3] != 1:
            return None
        if r in _CONV:
            k = args.get("filter")
            if not (k is not None and isinstance(k.value, cst.Name) and k.value.value in shapes and len(shapes[k.value.value]) == 4):
                return None
            kernel = shapes[k.value.value]
            if not (kernel[0].isdigit() and kernel[1].isdigit()):
                return None
            kh, kw, out = int(kernel[0]), int(kernel[1]), kernel[3]
        else:
            ks = _ints(args["ksize"].value if "ksize" in args else None, 4)
            if ks is None or ks[0] != 1 or ks[3] != 1:
                return None
            kh, kw, out = ks[1], ks[2], src[3]
        return [src[0], _spatial(src[1], kh, strides[1], padding), _spatial(src[2], kw, strides[2], padding), out]
    if r == "reshape":
        args = keyword_args(value, ["tensor", "shape", "name"])
        if args is None or "tensor" not in args or "shape" not in args:
            return None
        t, sh = args["tensor"].value, args["shape"].value
        src = of(t)
        if src is None or not (isinstance(sh, (cst.List, cst.Tuple)) and len(sh.elements) == 2):
            return None
        a, b = (e.value for e in sh.elements)  # type: ignore[union-attr]
        if len(src) >= 2 and is_batch(a) and _int(b) is None and isinstance(b, cst.UnaryOperation) \
                and isinstance(b.operator, cst.Minus) and _int(b.expression) == 1:
            return [src[0], _product(src[1:])]
        return None
    return None


def dimension_read(value: cst.BaseExpression, shapes: dict[str, Shape]) -> str | None:
    """`x.get_shape()[i].value`, `x.get_shape()[i]`, `x.shape[i]`, `x.get_shape().as_list()[i]`,
    `int(...)` of those, for a local `x` whose shape is known: the expression of that
    dimension, else None."""
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "int" \
            and len(value.args) == 1 and value.args[0].keyword is None:
        value = value.args[0].value
    if isinstance(value, cst.Attribute) and value.attr.value == "value":
        value = value.value
    if not (isinstance(value, cst.Subscript) and len(value.slice) == 1 and isinstance(value.slice[0].slice, cst.Index)):
        return None
    i = _int(value.slice[0].slice.value)
    base = value.value
    if isinstance(base, cst.Call) and not base.args and isinstance(base.func, cst.Attribute) and base.func.attr.value == "as_list":
        base = base.func.value  # `x.get_shape().as_list()[i]`, `x.shape.as_list()[i]`
    if isinstance(base, cst.Call) and not base.args and isinstance(base.func, cst.Attribute) and base.func.attr.value == "get_shape":
        base = base.func.value
    elif isinstance(base, cst.Attribute) and base.attr.value == "shape":
        base = base.value
    else:
        return None
    if i is None or not isinstance(base, cst.Name) or base.value not in shapes or i >= len(shapes[base.value]):
        return None
    return shapes[base.value][i]
