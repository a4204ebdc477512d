"""TensorFlow ops -> torch calls (data for PT1004) and value references (PT1005).

Keys are the qualified name after ``tensorflow.``. An entry gives the TensorFlow parameters
in positional order and the PyTorch form as a template: ``$param`` stands for the argument
the call passed (keyword arguments of the template whose parameter was not passed are left
out). Other keys:

- ``defaults``: values pinned when the call leaves the parameter out (TF and torch defaults
  differ: ``tf.argmax`` reduces axis 0, ``torch.argmax`` flattens).
- ``implies``: ``{"keepdims": {"axis": "None"}}`` passes ``dim=None`` when only keepdims
  was given (``torch.sum(x, keepdim=True)`` is an error).
- ``values``: literal argument values -> torch source (``approximate``: False -> 'none').
- ``required``: parameters without which the call is left for a person.
- ``manual``: parameters that have no torch equivalent: passing one (other than the
  listed ``ok`` values) makes the call a manual item, with the reason given.
- ``ignore``: parameters dropped silently (``name`` always is).
- ``handler``: a function in ``rules/tf2_to_torch/_ops.py`` for calls whose form depends on
  their arguments (tf.where, tf.gather, tf.transpose, ...).
- ``note``: a caveat added to the finding; ``unsafe``: the rewrite can differ in edge
  cases the note names (the finding is marked unsafe).
"""

from __future__ import annotations

from typing import Any

_R = ["input_tensor", "axis", "keepdims"]


def _reduce(torch: str, **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"params": _R, "to": f"{torch}($input_tensor, dim=$axis, keepdim=$keepdims)", "implies": {"keepdims": {"axis": "None"}}}
    spec.update(extra)
    return spec


def _unary(torch: str, param: str = "x") -> dict[str, Any]:
    return {"params": [param], "to": f"{torch}(${param})"}


def _binary(torch: str) -> dict[str, Any]:
    return {"params": ["x", "y"], "to": f"{torch}($x, $y)"}


OPS: dict[str, dict[str, Any]] = {
    # reductions
    "reduce_mean": _reduce("torch.mean", note="integer inputs: torch.mean needs a floating tensor"),
    "reduce_sum": _reduce("torch.sum"),
    "reduce_max": _reduce("torch.amax", implies={}),
    "reduce_min": _reduce("torch.amin", implies={}),
    "reduce_prod": {"params": _R, "to": "torch.prod($input_tensor, dim=$axis, keepdim=$keepdims)", "requires": {"keepdims": "axis"}, "handler": "single_axis"},
    "reduce_any": _reduce("torch.any", implies={}),
    "reduce_all": _reduce("torch.all", implies={}),
    "reduce_logsumexp": {"params": _R, "to": "torch.logsumexp($input_tensor, dim=$axis, keepdim=$keepdims)", "required": ["axis"]},
    "math.reduce_variance": {"params": _R, "to": "torch.var($input_tensor, dim=$axis, keepdim=$keepdims, correction=0)", "implies": {"keepdims": {"axis": "None"}}},
    "math.reduce_std": {"params": _R, "to": "torch.std($input_tensor, dim=$axis, keepdim=$keepdims, correction=0)", "implies": {"keepdims": {"axis": "None"}}},
    "math.reduce_euclidean_norm": {"params": _R, "to": "torch.linalg.vector_norm($input_tensor, dim=$axis, keepdim=$keepdims)"},
    "argmax": {"params": ["input", "axis", "output_type"], "to": "torch.argmax($input, dim=$axis)", "defaults": {"axis": "0"}, "manual": {"output_type": "torch.argmax returns int64; cast with .to(dtype)"}, "ok": {"output_type": ["tensorflow.int64"]}},
    "argmin": {"params": ["input", "axis", "output_type"], "to": "torch.argmin($input, dim=$axis)", "defaults": {"axis": "0"}, "manual": {"output_type": "torch.argmin returns int64; cast with .to(dtype)"}, "ok": {"output_type": ["tensorflow.int64"]}},
    "math.count_nonzero": {"params": ["input", "axis", "keepdims", "dtype"], "to": "torch.count_nonzero($input, dim=$axis)", "manual": {"keepdims": "torch.count_nonzero has no keepdim: unsqueeze the result", "dtype": "torch.count_nonzero returns int64"}, "ok": {"dtype": ["tensorflow.int64"], "keepdims": [False]}},
    "math.cumsum": {"params": ["x", "axis", "exclusive", "reverse"], "to": "torch.cumsum($x, dim=$axis)", "defaults": {"axis": "0"}, "manual": {"exclusive": "exclusive cumsum: subtract x from torch.cumsum", "reverse": "reverse cumsum: flip, cumsum, flip"}, "ok": {"exclusive": [False], "reverse": [False]}},
    "math.cumprod": {"params": ["x", "axis", "exclusive", "reverse"], "to": "torch.cumprod($x, dim=$axis)", "defaults": {"axis": "0"}, "manual": {"exclusive": "exclusive cumprod", "reverse": "reverse cumprod: flip, cumprod, flip"}, "ok": {"exclusive": [False], "reverse": [False]}},
    # shapes and joins
    "concat": {"params": ["values", "axis"], "to": "torch.cat($values, dim=$axis)", "required": ["axis"]},
    "stack": {"params": ["values", "axis"], "to": "torch.stack($values, dim=$axis)"},
    "unstack": {"params": ["value", "num", "axis"], "to": "torch.unbind($value, dim=$axis)", "ignore": ["num"]},
    "split": {"params": ["value", "num_or_size_splits", "axis", "num"], "handler": "split", "ignore": ["num"]},
    "reshape": {"params": ["tensor", "shape"], "to": "torch.reshape($tensor, $shape)"},
    "transpose": {"params": ["a", "perm", "conjugate"], "handler": "transpose", "manual": {"conjugate": "conjugate=True: use .conj() on the permuted tensor"}, "ok": {"conjugate": [False]}},
    "expand_dims": {"params": ["input", "axis"], "to": "torch.unsqueeze($input, $axis)", "required": ["axis"]},
    "squeeze": {"params": ["input", "axis"], "to": "torch.squeeze($input, $axis)"},
    "tile": {"params": ["input", "multiples"], "to": "torch.tile($input, $multiples)"},
    "pad": {"params": ["tensor", "paddings", "mode", "constant_values"], "handler": "pad"},
    "shape": {"params": ["input", "out_type"], "handler": "shape", "manual": {"out_type": "torch sizes are Python ints"}, "ok": {"out_type": ["tensorflow.int32"]}},
    "size": {"params": ["input", "out_type"], "to": "torch.numel($input)", "manual": {"out_type": "torch.numel returns a Python int"}, "ok": {"out_type": ["tensorflow.int32"]}},
    "rank": {"params": ["input"], "to": "$input.dim()"},
    "identity": {"params": ["input"], "to": "$input"},
    "stop_gradient": {"params": ["input"], "to": "$input.detach()"},
    "boolean_mask": {"params": ["tensor", "mask", "axis"], "to": "$tensor[$mask]", "manual": {"axis": "boolean_mask with axis: index with [:, mask] by hand"}, "ok": {"axis": [0]}},
    "gather": {"params": ["params", "indices", "validate_indices", "axis", "batch_dims"], "handler": "gather", "ignore": ["validate_indices"], "manual": {"batch_dims": "batch_dims: use torch.gather with expanded indices"}, "ok": {"batch_dims": [0]}},
    "where": {"params": ["condition", "x", "y"], "handler": "where"},
    "sort": {"params": ["values", "axis", "direction"], "handler": "sort"},
    "argsort": {"params": ["values", "axis", "direction", "stable"], "handler": "argsort"},
    "einsum": {"passthrough": "torch.einsum"},
    # math
    "matmul": {"params": ["a", "b", "transpose_a", "transpose_b", "adjoint_a", "adjoint_b", "a_is_sparse", "b_is_sparse", "output_type"], "handler": "matmul", "manual": {"adjoint_a": "adjoint: use .mH", "adjoint_b": "adjoint: use .mH", "a_is_sparse": "sparse hint: drop it or use torch.sparse", "b_is_sparse": "sparse hint: drop it or use torch.sparse", "output_type": "output_type: cast the result"}, "ok": {"adjoint_a": [False], "adjoint_b": [False], "a_is_sparse": [False], "b_is_sparse": [False]}},
    "cast": {"params": ["x", "dtype"], "to": "torch.as_tensor($x, dtype=$dtype)", "required": ["dtype"], "note": "accepts tensors, Python numbers and arrays like tf.cast; float -> int truncates toward zero in both"},
    "abs": _unary("torch.abs"),
    "math.exp": _unary("torch.exp"),
    "math.log": _unary("torch.log"),
    "math.log1p": _unary("torch.log1p"),
    "math.expm1": _unary("torch.expm1"),
    "math.sqrt": _unary("torch.sqrt"),
    "math.rsqrt": _unary("torch.rsqrt"),
    "math.square": _unary("torch.square"),
    "math.sign": _unary("torch.sign"),
    "math.floor": _unary("torch.floor"),
    "math.ceil": _unary("torch.ceil"),
    "math.round": {"params": ["x"], "to": "torch.round($x)", "note": "both round half to even"},
    "math.sin": _unary("torch.sin"),
    "math.cos": _unary("torch.cos"),
    "math.tan": _unary("torch.tan"),
    "math.erf": _unary("torch.erf"),
    "math.reciprocal": _unary("torch.reciprocal"),
    "math.negative": _unary("torch.neg"),
    "math.is_nan": _unary("torch.isnan"),
    "math.is_inf": _unary("torch.isinf"),
    "math.is_finite": _unary("torch.isfinite"),
    "math.logical_not": _unary("torch.logical_not"),
    "math.logical_and": _binary("torch.logical_and"),
    "math.logical_or": _binary("torch.logical_or"),
    "math.logical_xor": _binary("torch.logical_xor"),
    "math.pow": _binary("torch.pow"),
    "math.add": _binary("torch.add"),
    "math.subtract": _binary("torch.sub"),
    "math.multiply": _binary("torch.mul"),
    "math.divide": _binary("torch.div"),
    "math.truediv": _binary("torch.true_divide"),
    "math.floordiv": {"params": ["x", "y"], "to": "torch.div($x, $y, rounding_mode='floor')"},
    "math.floormod": {"params": ["x", "y"], "to": "torch.remainder($x, $y)"},
    "math.squared_difference": {"params": ["x", "y"], "to": "torch.square($x - $y)"},
    "math.maximum": {"params": ["x", "y"], "handler": "maximum"},
    "math.minimum": {"params": ["x", "y"], "handler": "minimum"},
    "math.equal": _binary("torch.eq"),
    "math.not_equal": _binary("torch.ne"),
    "math.greater": _binary("torch.gt"),
    "math.greater_equal": _binary("torch.ge"),
    "math.less": _binary("torch.lt"),
    "math.less_equal": _binary("torch.le"),
    "math.add_n": {"params": ["inputs"], "to": "torch.stack($inputs).sum(dim=0)"},
    "math.top_k": {"params": ["input", "k", "sorted"], "to": "torch.topk($input, $k, sorted=$sorted)", "defaults": {"k": "1"}},
    "math.log_sigmoid": _unary("F.logsigmoid"),
    "math.sigmoid": _unary("torch.sigmoid"),
    "math.tanh": _unary("torch.tanh"),
    "math.softplus": {"params": ["features"], "to": "F.softplus($features)"},
    # activations and nn ops
    "nn.relu": {"params": ["features"], "to": "torch.relu($features)"},
    "nn.relu6": {"params": ["features"], "to": "F.relu6($features)"},
    "nn.elu": {"params": ["features"], "to": "F.elu($features)"},
    "nn.selu": {"params": ["features"], "to": "F.selu($features)"},
    "nn.softsign": {"params": ["features"], "to": "F.softsign($features)"},
    "nn.leaky_relu": {"params": ["features", "alpha"], "to": "F.leaky_relu($features, $alpha)", "defaults": {"alpha": "0.2"}},
    "nn.gelu": {"params": ["features", "approximate"], "to": "F.gelu($features, approximate=$approximate)", "values": {"approximate": {False: "'none'", True: "'tanh'"}}, "defaults": {"approximate": "'none'"}},
    "nn.silu": {"params": ["features", "beta"], "to": "F.silu($features)", "manual": {"beta": "beta != 1: write x * torch.sigmoid(beta * x)"}, "ok": {"beta": [1, 1.0]}},
    "nn.softmax": {"params": ["logits", "axis"], "to": "torch.softmax($logits, dim=$axis)", "defaults": {"axis": "-1"}},
    "nn.log_softmax": {"params": ["logits", "axis"], "to": "torch.log_softmax($logits, dim=$axis)", "defaults": {"axis": "-1"}},
    "nn.dropout": {"params": ["x", "rate", "noise_shape", "seed"], "to": "F.dropout($x, p=$rate, training=True)", "required": ["rate"], "manual": {"noise_shape": "noise_shape: use F.dropout1d/2d or a custom mask", "seed": "seed: use torch.manual_seed"}},
    "nn.l2_normalize": {"params": ["x", "axis", "epsilon"], "handler": "l2_normalize"},
    "nn.bias_add": {"params": ["value", "bias", "data_format"], "to": "$value + $bias", "manual": {"data_format": "channels-first bias_add: reshape the bias to (C, 1, 1)"}, "ok": {"data_format": ["NHWC", "N...C"]}},
    "nn.embedding_lookup": {"params": ["params", "ids", "max_norm"], "to": "F.embedding($ids, $params)", "manual": {"max_norm": "max_norm: pass max_norm to F.embedding (semantics differ: renormalizes in place)"}},
    "nn.sigmoid_cross_entropy_with_logits": {"params": ["labels", "logits"], "to": "F.binary_cross_entropy_with_logits($logits, $labels, reduction='none')", "required": ["labels", "logits"]},
    "nn.softmax_cross_entropy_with_logits": {"params": ["labels", "logits", "axis"], "to": "F.cross_entropy($logits, $labels, reduction='none')", "required": ["labels", "logits"], "manual": {"axis": "class axis other than the last: move it to dim 1 for F.cross_entropy"}, "ok": {"axis": [-1]}, "note": "F.cross_entropy takes classes on dim 1: same as TF for 2-D logits"},
    "nn.sparse_softmax_cross_entropy_with_logits": {"params": ["labels", "logits"], "to": "F.cross_entropy($logits, $labels.long(), reduction='none')", "required": ["labels", "logits"], "note": "F.cross_entropy takes classes on dim 1: same as TF for 2-D logits"},
    "keras.activations.relu": {"params": ["x", "negative_slope", "max_value", "threshold"], "to": "torch.relu($x)", "manual": {"negative_slope": "use F.leaky_relu", "max_value": "use torch.clamp", "threshold": "use torch.where"}, "ok": {"negative_slope": [0, 0.0], "threshold": [0, 0.0]}},
    "keras.activations.gelu": {"params": ["x", "approximate"], "to": "F.gelu($x, approximate=$approximate)", "values": {"approximate": {False: "'none'", True: "'tanh'"}}, "defaults": {"approximate": "'none'"}},
    "keras.activations.softmax": {"params": ["x", "axis"], "to": "torch.softmax($x, dim=$axis)", "defaults": {"axis": "-1"}},
    "keras.activations.sigmoid": _unary("torch.sigmoid"),
    "keras.activations.tanh": _unary("torch.tanh"),
    "keras.backend.epsilon": {"params": [], "to": "1e-7"},
    # creation
    "zeros": {"params": ["shape", "dtype"], "to": "torch.zeros($shape, dtype=$dtype)"},
    "ones": {"params": ["shape", "dtype"], "to": "torch.ones($shape, dtype=$dtype)"},
    "zeros_like": {"params": ["input", "dtype"], "to": "torch.zeros_like($input, dtype=$dtype)"},
    "ones_like": {"params": ["input", "dtype"], "to": "torch.ones_like($input, dtype=$dtype)"},
    "fill": {"params": ["dims", "value"], "to": "torch.full($dims, $value)", "note": "torch.full infers int64 from a Python int (TF: int32)"},
    "eye": {"params": ["num_rows", "num_columns", "batch_shape", "dtype"], "to": "torch.eye($num_rows, $num_columns, dtype=$dtype)", "manual": {"batch_shape": "batch_shape: expand the identity by hand"}},
    "constant": {"params": ["value", "dtype", "shape"], "handler": "constant", "manual": {"shape": "shape=: broadcast with torch.full / .expand"}},
    "convert_to_tensor": {"params": ["value", "dtype", "dtype_hint"], "to": "torch.as_tensor($value, dtype=$dtype)", "manual": {"dtype_hint": "dtype_hint: pass dtype= if the value needs it"}},
    "range": {"params": ["start", "limit", "delta", "dtype"], "to": "torch.arange($start, $limit, $delta, dtype=$dtype)", "note": "integer ranges are int64 in torch (TF: int32)"},
    "one_hot": {"params": ["indices", "depth", "on_value", "off_value", "axis", "dtype"], "to": "F.one_hot($indices.long(), $depth).to($dtype)", "defaults": {"dtype": "torch.float32"}, "manual": {"on_value": "on_value: use torch.where on the one-hot tensor", "off_value": "off_value: use torch.where on the one-hot tensor", "axis": "axis: movedim the one-hot axis"}, "ok": {"axis": [-1]}, "note": "out-of-range indices give a zero row in TF and raise in torch"},
    "clip_by_value": {"params": ["t", "clip_value_min", "clip_value_max"], "to": "torch.clamp($t, $clip_value_min, $clip_value_max)"},
    "random.set_seed": {"params": ["seed"], "to": "torch.manual_seed($seed)", "note": "random streams differ between frameworks: same seed, different numbers"},
    "keras.utils.set_random_seed": {"params": ["seed"], "to": "torch.manual_seed($seed)", "note": "also seed Python's random and NumPy if the code uses them"},
    "random.normal": {"params": ["shape", "mean", "stddev", "dtype", "seed"], "handler": "random_normal", "manual": {"seed": "op seed: use a torch.Generator"}},
    "random.uniform": {"params": ["shape", "minval", "maxval", "dtype", "seed"], "handler": "random_uniform", "manual": {"seed": "op seed: use a torch.Generator"}},
    "reverse": {"params": ["tensor", "axis"], "to": "torch.flip($tensor, $axis)", "required": ["axis"]},
    "broadcast_to": {"params": ["input", "shape"], "to": "torch.broadcast_to($input, $shape)"},
    "linspace": {"params": ["start", "stop", "num", "axis"], "to": "torch.linspace($start, $stop, $num)", "manual": {"axis": "axis: movedim the result"}, "ok": {"axis": [0]}},
    "norm": {"params": ["tensor", "ord", "axis", "keepdims"], "to": "torch.linalg.vector_norm($tensor, dim=$axis, keepdim=$keepdims)", "manual": {"ord": "ord other than 'euclidean': torch.linalg.vector_norm(x, ord=...) / torch.linalg.matrix_norm"}, "ok": {"ord": ["euclidean", 2]}},
    "math.atan": _unary("torch.atan"),
    "math.asin": _unary("torch.asin"),
    "math.acos": _unary("torch.acos"),
    "math.sinh": _unary("torch.sinh"),
    "math.cosh": _unary("torch.cosh"),
    "math.atan2": {"params": ["y", "x"], "to": "torch.atan2($y, $x)"},
    "math.log_softmax": {"params": ["logits", "axis"], "to": "torch.log_softmax($logits, dim=$axis)", "defaults": {"axis": "-1"}},
    "keras.losses.sparse_categorical_crossentropy": {"params": ["y_true", "y_pred", "from_logits", "axis", "ignore_class"], "handler": "sparse_cce", "manual": {"axis": "class axis other than the last", "ignore_class": "use ignore_index="}, "ok": {"axis": [-1]}},
    "keras.losses.mean_squared_error": {"params": ["y_true", "y_pred"], "to": "torch.mean(torch.square($y_pred - $y_true), dim=-1)"},
    "keras.losses.mean_absolute_error": {"params": ["y_true", "y_pred"], "to": "torch.mean(torch.abs($y_pred - $y_true), dim=-1)"},
}

# TensorFlow names of the same functions.
_ALIASES = {
    "math.reduce_mean": "reduce_mean",
    "math.reduce_sum": "reduce_sum",
    "math.reduce_max": "reduce_max",
    "math.reduce_min": "reduce_min",
    "math.reduce_prod": "reduce_prod",
    "math.reduce_any": "reduce_any",
    "math.reduce_all": "reduce_all",
    "math.reduce_logsumexp": "reduce_logsumexp",
    "math.argmin": "argmin",
    "cumsum": "math.cumsum",
    "math.abs": "abs",
    "exp": "math.exp",
    "sqrt": "math.sqrt",
    "rsqrt": "math.rsqrt",
    "square": "math.square",
    "sign": "math.sign",
    "floor": "math.floor",
    "round": "math.round",
    "sin": "math.sin",
    "cos": "math.cos",
    "pow": "math.pow",
    "add": "math.add",
    "subtract": "math.subtract",
    "multiply": "math.multiply",
    "divide": "math.divide",
    "truediv": "math.truediv",
    "floordiv": "math.floordiv",
    "maximum": "math.maximum",
    "minimum": "math.minimum",
    "equal": "math.equal",
    "not_equal": "math.not_equal",
    "greater": "math.greater",
    "greater_equal": "math.greater_equal",
    "less": "math.less",
    "less_equal": "math.less_equal",
    "logical_and": "math.logical_and",
    "logical_or": "math.logical_or",
    "logical_not": "math.logical_not",
    "add_n": "math.add_n",
    "nn.top_k": "math.top_k",
    "math.l2_normalize": "nn.l2_normalize",
    "sigmoid": "math.sigmoid",
    "nn.sigmoid": "math.sigmoid",
    "tanh": "math.tanh",
    "nn.tanh": "math.tanh",
    "nn.softplus": "math.softplus",
    "nn.swish": "nn.silu",
    "math.mod": "math.floormod",
    "floormod": "math.floormod",
    "linalg.norm": "norm",
    "atan2": "math.atan2",
    "log": "math.log",
    "ceil": "math.ceil",
    "negative": "math.negative",
    "reciprocal": "math.reciprocal",
    "is_nan": "math.is_nan",
    "math.argmax": "argmax",
    "math.softmax": "nn.softmax",
    "linalg.matmul": "matmul",
    "linalg.einsum": "einsum",
    "dtypes.cast": "cast",
    "keras.losses.mse": "keras.losses.mean_squared_error",
    "keras.losses.MSE": "keras.losses.mean_squared_error",
    "keras.losses.mae": "keras.losses.mean_absolute_error",
    "keras.losses.MAE": "keras.losses.mean_absolute_error",
}
for _alias, _name in _ALIASES.items():
    OPS[_alias] = OPS[_name]

# Keras 3 backend-agnostic ops (`keras.ops.*`, also `tf.keras.ops.*`): NumPy-style names
# and parameters (`x`, `x1`/`x2`, `axis`, `keepdims`).
_KR = ["x", "axis", "keepdims"]
OPS.update({
    f"keras.ops.{name}": spec
    for name, spec in {
        "relu": _unary("torch.relu"),
        "sigmoid": _unary("torch.sigmoid"),
        "tanh": _unary("torch.tanh"),
        "exp": _unary("torch.exp"),
        "log": _unary("torch.log"),
        "sqrt": _unary("torch.sqrt"),
        "square": _unary("torch.square"),
        "abs": _unary("torch.abs"),
        "mean": {"params": _KR, "to": "torch.mean($x, dim=$axis, keepdim=$keepdims)", "implies": {"keepdims": {"axis": "None"}}},
        "sum": {"params": _KR, "to": "torch.sum($x, dim=$axis, keepdim=$keepdims)", "implies": {"keepdims": {"axis": "None"}}},
        "max": {"params": _KR, "to": "torch.amax($x, dim=$axis, keepdim=$keepdims)", "required": ["axis"]},
        "min": {"params": _KR, "to": "torch.amin($x, dim=$axis, keepdim=$keepdims)", "required": ["axis"]},
        "reshape": {"params": ["x", "newshape"], "to": "torch.reshape($x, $newshape)"},
        "transpose": {"params": ["x", "axes"], "to": "torch.permute($x, $axes)", "required": ["axes"]},
        "concatenate": {"params": ["xs", "axis"], "to": "torch.cat($xs, dim=$axis)", "defaults": {"axis": "0"}},
        "stack": {"params": ["x", "axis"], "to": "torch.stack($x, dim=$axis)", "defaults": {"axis": "0"}},
        "expand_dims": {"params": ["x", "axis"], "to": "torch.unsqueeze($x, $axis)", "required": ["axis"]},
        "matmul": {"params": ["x1", "x2"], "to": "torch.matmul($x1, $x2)"},
        "softmax": {"params": ["x", "axis"], "to": "torch.softmax($x, dim=$axis)", "defaults": {"axis": "-1"}},
    }.items()
})

# Value references (not calls) -> torch source.
SYMBOLS: dict[str, str] = {
    "newaxis": "None",
    "Tensor": "torch.Tensor",
}
for _dt in ("float16", "float32", "float64", "bfloat16", "int8", "int16", "int32", "int64", "uint8", "bool", "complex64", "complex128"):
    SYMBOLS[_dt] = f"torch.{_dt}"
    SYMBOLS[f"dtypes.{_dt}"] = f"torch.{_dt}"
SYMBOLS["half"] = "torch.float16"
SYMBOLS["double"] = "torch.float64"
# Functions passed as values whose torch function takes the same single argument.
for _fn, _to in {"nn.relu": "torch.relu", "math.sigmoid": "torch.sigmoid", "nn.sigmoid": "torch.sigmoid", "sigmoid": "torch.sigmoid", "math.tanh": "torch.tanh", "nn.tanh": "torch.tanh", "tanh": "torch.tanh", "math.exp": "torch.exp", "exp": "torch.exp", "math.square": "torch.square", "square": "torch.square", "math.sqrt": "torch.sqrt", "sqrt": "torch.sqrt", "math.abs": "torch.abs", "abs": "torch.abs", "math.log": "torch.log"}.items():
    SYMBOLS[_fn] = _to

# String dtypes (`dtype='float32'`) -> torch source.
STRING_DTYPES = {k: v for k, v in SYMBOLS.items() if "." not in k and v.startswith("torch.") and k not in ("Tensor",)}
