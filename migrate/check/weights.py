"""Weight layout rules between TensorFlow/Keras and PyTorch (numpy only).

Every function here is pure: it takes numpy arrays and returns new numpy arrays (float32 in,
float32 out), never mutating its arguments. Each docstring names the rule it implements, with
the shapes on both sides. ``*_to_torch`` functions go TF/Keras -> PyTorch; ``torch_to_*`` go
back where the inverse is cheap.

Gate orders used below:

* Keras LSTM ``i, f, c, o``; PyTorch LSTM ``i, f, g, o`` (``g`` = Keras ``c``): same order.
* TF1 ``BasicLSTMCell``/``LSTMCell`` ``i, j, f, o`` (``j`` = candidate), with ``forget_bias``
  added to ``f`` at run time (not stored in the bias variable).
* Keras GRU ``z, r, h``; PyTorch GRU ``r, z, n``.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "batchnorm_to_torch",
    "bn_momentum_from_torch",
    "bn_momentum_to_torch",
    "channels_first_to_last",
    "channels_last_to_first",
    "conv_kernel_to_torch",
    "conv_transpose_kernel_to_torch",
    "dense_after_flatten_to_torch",
    "dense_kernel_to_torch",
    "depthwise_kernel_to_torch",
    "embedding_to_torch",
    "keras_gru_to_torch",
    "keras_lstm_to_torch",
    "layernorm_to_torch",
    "reorder_gates",
    "separable_conv_to_torch",
    "tf1_lstm_cell_to_keras",
    "tf1_lstm_cell_to_torch",
    "torch_gru_to_keras",
    "torch_lstm_to_keras",
    "torch_to_batchnorm",
    "torch_to_conv_kernel",
    "torch_to_conv_transpose_kernel",
    "torch_to_dense_kernel",
    "torch_to_depthwise_kernel",
]


def _f32(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(a, dtype=np.float32))


# ----------------------------------------------------------------------------- dense


def dense_kernel_to_torch(kernel: np.ndarray) -> np.ndarray:
    """Dense/Linear: Keras kernel ``(in, out)`` -> PyTorch ``Linear.weight`` ``(out, in)`` (transpose)."""
    k = np.asarray(kernel)
    if k.ndim != 2:
        raise ValueError(f"dense kernel must be 2-D (in, out), got shape {k.shape}")
    return _f32(k.T)


def torch_to_dense_kernel(weight: np.ndarray) -> np.ndarray:
    """Linear -> Dense: PyTorch ``weight (out, in)`` -> Keras kernel ``(in, out)`` (transpose)."""
    w = np.asarray(weight)
    if w.ndim != 2:
        raise ValueError(f"linear weight must be 2-D (out, in), got shape {w.shape}")
    return _f32(w.T)


def dense_after_flatten_to_torch(kernel: np.ndarray, hwc: tuple[int, ...]) -> np.ndarray:
    """Dense after Flatten: permute kernel rows from NHWC flatten order to NCHW flatten order.

    A Keras ``Flatten`` of an ``(H, W, C)`` map enumerates features with C fastest; PyTorch's
    ``nn.Flatten`` of ``(C, H, W)`` enumerates W fastest. The Keras kernel ``(H*W*C, out)`` is
    reshaped to ``(H, W, C, out)``, C is moved first, reshaped back to ``(C*H*W, out)`` and
    transposed to ``Linear.weight (out, C*H*W)``. Works for any spatial rank: ``hwc`` is the
    channels-last shape of the flattened map without the batch axis.
    """
    k = np.asarray(kernel)
    hwc = tuple(int(d) for d in hwc)
    n = int(np.prod(hwc))
    if k.ndim != 2 or k.shape[0] != n:
        raise ValueError(f"kernel {k.shape} does not flatten a map of shape {hwc}")
    r = len(hwc)
    k4 = k.reshape(*hwc, k.shape[1])
    perm = (r - 1, *range(r - 1), r)  # C first, spatial axes, out
    return _f32(k4.transpose(perm).reshape(n, k.shape[1]).T)


def torch_to_dense_after_flatten(weight: np.ndarray, hwc: tuple[int, ...]) -> np.ndarray:
    """Inverse of :func:`dense_after_flatten_to_torch`: ``(out, C*H*W)`` -> Keras ``(H*W*C, out)``."""
    w = np.asarray(weight)
    hwc = tuple(int(d) for d in hwc)
    r = len(hwc)
    chw = (hwc[-1], *hwc[:-1])
    k = w.T.reshape(*chw, w.shape[0])
    perm = (*range(1, r), 0, r)
    return _f32(k.transpose(perm).reshape(int(np.prod(hwc)), w.shape[0]))


# ----------------------------------------------------------------------------- convolutions


def _conv_perm(ndim: int) -> tuple[int, ...]:
    # (*spatial, in, out) -> (out, in, *spatial)
    return (ndim - 1, ndim - 2, *range(ndim - 2))


def conv_kernel_to_torch(kernel: np.ndarray) -> np.ndarray:
    """Conv1D/2D/3D: TF ``(*k, in, out)`` (HWIO) -> PyTorch ``(out, in, *k)`` (OIHW).

    Axes ``(2, 1, 0)`` for Conv1D, ``(3, 2, 0, 1)`` for Conv2D, ``(4, 3, 0, 1, 2)`` for
    Conv3D. (A bare ``np.transpose`` reverses all axes and swaps kh/kw: wrong for 4-D.)
    """
    k = np.asarray(kernel)
    if k.ndim not in (3, 4, 5):
        raise ValueError(f"conv kernel must be 3-D..5-D (*k, in, out), got shape {k.shape}")
    return _f32(k.transpose(_conv_perm(k.ndim)))


def torch_to_conv_kernel(weight: np.ndarray) -> np.ndarray:
    """Conv: PyTorch ``(out, in, *k)`` -> TF ``(*k, in, out)`` (inverse of :func:`conv_kernel_to_torch`)."""
    w = np.asarray(weight)
    perm = _conv_perm(w.ndim)
    inv = tuple(int(i) for i in np.argsort(perm))
    return _f32(w.transpose(inv))


def depthwise_kernel_to_torch(kernel: np.ndarray) -> np.ndarray:
    """DepthwiseConv1D/2D (and the depthwise half of SeparableConv1D/2D): Keras
    ``(*k, in, mult)`` -> PyTorch ``Conv(groups=in)`` ``(in*mult, 1, *k)``.

    Output channel ``c*mult + m`` of both frameworks reads input channel ``c`` with multiplier
    ``m``: axes ``(2, 3, 0, 1)`` for 2-D (``(1, 2, 0)`` for 1-D) then merge ``in`` and ``mult``.
    """
    k = np.asarray(kernel)
    if k.ndim not in (3, 4, 5):
        raise ValueError(f"depthwise kernel must be (*k, in, mult), got shape {k.shape}")
    n = k.ndim - 2
    *ks, cin, mult = k.shape
    return _f32(k.transpose(n, n + 1, *range(n)).reshape(cin * mult, 1, *ks))


def torch_to_depthwise_kernel(weight: np.ndarray, in_channels: int) -> np.ndarray:
    """Depthwise: PyTorch ``(in*mult, 1, *k)`` -> Keras ``(*k, in, mult)``."""
    w = np.asarray(weight)
    out, _, *ks = w.shape
    mult = out // in_channels
    n = len(ks)
    return _f32(w.reshape(in_channels, mult, *ks).transpose(*range(2, n + 2), 0, 1))


def separable_conv_to_torch(
    depthwise_kernel: np.ndarray, pointwise_kernel: np.ndarray, bias: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """SeparableConv1D/2D -> the two PyTorch convolutions it is computed with: a depthwise
    ``Conv(in, in*mult, k, groups=in, bias=False)`` then a pointwise ``Conv(in*mult, filters, 1)``.

    ``depthwise_kernel (*k, in, mult)`` -> ``depthwise.weight (in*mult, 1, *k)`` (as
    :func:`depthwise_kernel_to_torch`); ``pointwise_kernel (*1, in*mult, filters)`` ->
    ``pointwise.weight (filters, in*mult, *1)`` (as :func:`conv_kernel_to_torch`); the one
    Keras ``bias (filters,)`` belongs to the pointwise convolution.
    """
    out = {
        "depthwise.weight": depthwise_kernel_to_torch(depthwise_kernel),
        "pointwise.weight": conv_kernel_to_torch(pointwise_kernel),
    }
    if bias is not None:
        out["pointwise.bias"] = _f32(bias)
    return out


def conv_transpose_kernel_to_torch(kernel: np.ndarray) -> np.ndarray:
    """Conv2DTranspose: Keras ``(kh, kw, out, in)`` -> PyTorch ``ConvTranspose2d`` ``(in, out, kh, kw)``.

    Axes ``(3, 2, 0, 1)`` (the inverse of nobuco's PT->Keras ``(2, 3, 1, 0)``); 1-D and 3-D
    kernels follow the same pattern.
    """
    k = np.asarray(kernel)
    if k.ndim not in (3, 4, 5):
        raise ValueError(f"conv-transpose kernel must be (*k, out, in), got shape {k.shape}")
    return _f32(k.transpose(_conv_perm(k.ndim)))


def torch_to_conv_transpose_kernel(weight: np.ndarray) -> np.ndarray:
    """ConvTranspose: PyTorch ``(in, out, *k)`` -> Keras ``(*k, out, in)``."""
    return torch_to_conv_kernel(weight)


# ----------------------------------------------------------------------------- normalization


def batchnorm_to_torch(
    gamma: np.ndarray | None,
    beta: np.ndarray | None,
    moving_mean: np.ndarray,
    moving_variance: np.ndarray,
) -> dict[str, np.ndarray]:
    """BatchNorm: Keras ``gamma, beta, moving_mean, moving_variance`` -> PyTorch ``weight, bias,
    running_mean, running_var`` (same shapes, no layout change).

    ``gamma``/``beta`` may be ``None`` (Keras ``scale=False``/``center=False``): PyTorch then
    gets ones/zeros. Hyper-parameters are not weights: see :func:`bn_momentum_to_torch` and
    copy ``eps`` explicitly (Keras 1e-3 vs PyTorch 1e-5).
    """
    mm = _f32(moving_mean)
    out = {
        "weight": _f32(gamma) if gamma is not None else np.ones_like(mm),
        "bias": _f32(beta) if beta is not None else np.zeros_like(mm),
        "running_mean": mm,
        "running_var": _f32(moving_variance),
    }
    return out


def torch_to_batchnorm(
    weight: np.ndarray, bias: np.ndarray, running_mean: np.ndarray, running_var: np.ndarray
) -> dict[str, np.ndarray]:
    """BatchNorm: PyTorch -> Keras names (identity on values)."""
    return {
        "gamma": _f32(weight),
        "beta": _f32(bias),
        "moving_mean": _f32(running_mean),
        "moving_variance": _f32(running_var),
    }


def bn_momentum_to_torch(keras_momentum: float) -> float:
    """BatchNorm momentum: Keras ``moving = m*moving + (1-m)*batch`` -> PyTorch ``momentum = 1 - m``."""
    return 1.0 - float(keras_momentum)


def bn_momentum_from_torch(torch_momentum: float) -> float:
    """BatchNorm momentum: PyTorch ``momentum`` -> Keras ``1 - momentum``."""
    return 1.0 - float(torch_momentum)


def layernorm_to_torch(gamma: np.ndarray, beta: np.ndarray) -> dict[str, np.ndarray]:
    """LayerNorm: Keras ``gamma, beta`` -> PyTorch ``weight, bias`` (identity; copy eps explicitly)."""
    return {"weight": _f32(gamma), "bias": _f32(beta)}


def embedding_to_torch(embeddings: np.ndarray) -> np.ndarray:
    """Embedding: Keras ``embeddings (vocab, dim)`` -> PyTorch ``weight (vocab, dim)`` (identity)."""
    return _f32(embeddings)


# ----------------------------------------------------------------------------- recurrent


def reorder_gates(a: np.ndarray, src: str, dst: str, axis: int = -1) -> np.ndarray:
    """Reorder equal-sized gate blocks along ``axis`` from order ``src`` to ``dst``.

    Orders are strings of one-letter gate names, e.g. ``reorder_gates(k, "ijfo", "ifjo")``.
    """
    a = np.asarray(a)
    if sorted(src) != sorted(dst) or len(set(src)) != len(src):
        raise ValueError(f"gate orders {src!r} and {dst!r} must be permutations of each other")
    n = len(src)
    if a.shape[axis] % n:
        raise ValueError(f"axis {axis} of shape {a.shape} does not split into {n} gates")
    blocks = np.split(a, n, axis=axis)
    return _f32(np.concatenate([blocks[src.index(g)] for g in dst], axis=axis))


def keras_lstm_to_torch(
    kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray | None
) -> dict[str, np.ndarray]:
    """Keras LSTM -> PyTorch LSTM (one layer).

    ``kernel (in, 4H)`` -> ``weight_ih (4H, in)``; ``recurrent_kernel (H, 4H)`` ->
    ``weight_hh (4H, H)``; ``bias (4H,)`` -> ``bias_ih`` and ``bias_hh = 0`` (PyTorch adds the
    two). Gate order i, f, c, o = PyTorch i, f, g, o: no reorder.
    """
    k = np.asarray(kernel)
    r = np.asarray(recurrent_kernel)
    h4 = k.shape[1]
    if r.shape != (h4 // 4, h4) or h4 % 4:
        raise ValueError(f"LSTM kernel {k.shape} and recurrent kernel {r.shape} do not match")
    b = _f32(bias) if bias is not None else np.zeros(h4, np.float32)
    return {
        "weight_ih": _f32(k.T),
        "weight_hh": _f32(r.T),
        "bias_ih": b,
        "bias_hh": np.zeros_like(b),
    }


def torch_lstm_to_keras(
    weight_ih: np.ndarray, weight_hh: np.ndarray, bias_ih: np.ndarray | None, bias_hh: np.ndarray | None
) -> dict[str, np.ndarray]:
    """PyTorch LSTM -> Keras LSTM: transpose both matrices; ``bias = bias_ih + bias_hh``."""
    h4 = np.asarray(weight_ih).shape[0]
    b = np.zeros(h4, np.float32)
    for x in (bias_ih, bias_hh):
        if x is not None:
            b = b + np.asarray(x, np.float32)
    return {"kernel": _f32(np.asarray(weight_ih).T), "recurrent_kernel": _f32(np.asarray(weight_hh).T), "bias": _f32(b)}


def tf1_lstm_cell_to_keras(
    kernel: np.ndarray, bias: np.ndarray, forget_bias: float = 1.0
) -> dict[str, np.ndarray]:
    """TF1 ``BasicLSTMCell``/``LSTMCell`` -> Keras LSTM layout.

    The TF1 cell has one kernel ``(in+H, 4H)`` applied to ``concat([x, h])`` with gates
    ``i, j, f, o`` and adds ``forget_bias`` to ``f`` at run time. Split rows into
    ``kernel (in, 4H)`` and ``recurrent_kernel (H, 4H)``, reorder columns ``i,j,f,o -> i,f,j,o``
    and fold ``forget_bias`` into the f-block of the bias.
    """
    k = np.asarray(kernel, np.float32)
    b = np.asarray(bias, np.float32)
    h4 = k.shape[1]
    if h4 % 4 or b.shape != (h4,):
        raise ValueError(f"TF1 LSTM kernel {k.shape} / bias {b.shape} not (in+H, 4H) / (4H,)")
    h = h4 // 4
    n_in = k.shape[0] - h
    if n_in <= 0:
        raise ValueError(f"TF1 LSTM kernel {k.shape} has no input rows for H={h}")
    k = reorder_gates(k, "ijfo", "ifjo", axis=1)
    b = reorder_gates(b, "ijfo", "ifjo", axis=0).copy()
    b[h : 2 * h] += np.float32(forget_bias)
    return {"kernel": _f32(k[:n_in]), "recurrent_kernel": _f32(k[n_in:]), "bias": _f32(b)}


def tf1_lstm_cell_to_torch(
    kernel: np.ndarray, bias: np.ndarray, forget_bias: float = 1.0
) -> dict[str, np.ndarray]:
    """TF1 ``BasicLSTMCell``/``LSTMCell`` -> PyTorch LSTM (one layer).

    ``kernel (in+H, 4H)`` rows ``[:in]`` -> ``weight_ih (4H, in)``, rows ``[in:]`` ->
    ``weight_hh (4H, H)``; gates ``i, j, f, o -> i, f, g, o``; ``bias_ih = bias`` reordered with
    ``forget_bias`` added to the f-block; ``bias_hh = 0``.
    """
    k = tf1_lstm_cell_to_keras(kernel, bias, forget_bias)
    return keras_lstm_to_torch(k["kernel"], k["recurrent_kernel"], k["bias"])


def keras_gru_to_torch(
    kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray | None
) -> dict[str, np.ndarray]:
    """Keras GRU (``reset_after=True``) -> PyTorch GRU (one layer).

    Gates ``z, r, h -> r, z, n``; ``kernel (in, 3H) -> weight_ih (3H, in)``;
    ``recurrent_kernel (H, 3H) -> weight_hh (3H, H)``; ``bias (2, 3H)``: row 0 -> ``bias_ih``,
    row 1 -> ``bias_hh``. ``reset_after=False`` (bias ``(3H,)``) has no ``nn.GRU`` equivalent
    and raises ``ValueError``.
    """
    k = np.asarray(kernel)
    r = np.asarray(recurrent_kernel)
    h3 = k.shape[1]
    if h3 % 3 or r.shape != (h3 // 3, h3):
        raise ValueError(f"GRU kernel {k.shape} and recurrent kernel {r.shape} do not match")
    if bias is None:
        b = np.zeros((2, h3), np.float32)
    else:
        b = np.asarray(bias)
        if b.shape != (2, h3):
            raise ValueError(
                f"GRU bias {b.shape} is not (2, 3H): only reset_after=True maps onto torch.nn.GRU"
            )
    return {
        "weight_ih": reorder_gates(k.T, "zrh", "rzh", axis=0),
        "weight_hh": reorder_gates(r.T, "zrh", "rzh", axis=0),
        "bias_ih": reorder_gates(b[0], "zrh", "rzh", axis=0),
        "bias_hh": reorder_gates(b[1], "zrh", "rzh", axis=0),
    }


def torch_gru_to_keras(
    weight_ih: np.ndarray, weight_hh: np.ndarray, bias_ih: np.ndarray | None, bias_hh: np.ndarray | None
) -> dict[str, np.ndarray]:
    """PyTorch GRU -> Keras GRU (``reset_after=True``): gates ``r, z, n -> z, r, h``."""
    h3 = np.asarray(weight_ih).shape[0]
    bi = np.zeros(h3, np.float32) if bias_ih is None else np.asarray(bias_ih)
    bh = np.zeros(h3, np.float32) if bias_hh is None else np.asarray(bias_hh)
    return {
        "kernel": reorder_gates(np.asarray(weight_ih), "rzh", "zrh", axis=0).T.copy(),
        "recurrent_kernel": reorder_gates(np.asarray(weight_hh), "rzh", "zrh", axis=0).T.copy(),
        "bias": np.stack([reorder_gates(bi, "rzh", "zrh", 0), reorder_gates(bh, "rzh", "zrh", 0)]),
    }


# ----------------------------------------------------------------------------- activations


def channels_last_to_first(x: np.ndarray) -> np.ndarray:
    """Activations: ``(N, *spatial, C)`` -> ``(N, C, *spatial)`` (NHWC -> NCHW for 4-D)."""
    x = np.asarray(x)
    return np.ascontiguousarray(x.transpose(0, x.ndim - 1, *range(1, x.ndim - 1)))


def channels_first_to_last(x: np.ndarray) -> np.ndarray:
    """Activations: ``(N, C, *spatial)`` -> ``(N, *spatial, C)`` (NCHW -> NHWC for 4-D)."""
    x = np.asarray(x)
    return np.ascontiguousarray(x.transpose(0, *range(2, x.ndim), 1))
