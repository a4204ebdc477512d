"""Convert saved TF/Keras weights into a PyTorch ``state_dict`` (``migrate convert-weights``).

Sources: a TF1 checkpoint (directory or prefix), a Keras ``.keras`` archive, or a Keras 3
``.weights.h5`` file. Targets: the parameters of a torch factory (``--model``), with pairs from a
mapping file or inferred; or, without a model, the natural torch twin of each layer named by
the mapping (``old_layer -> new.module.path``; unmapped layers keep their name with ``/`` ->
``.``). The result is saved with ``torch.save`` and loads with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .correspondence import (
    Correspondence,
    CorrespondenceError,
    Unit,
    build_correspondence,
    build_units,
    from_canonical,
    load_mapping,
    to_canonical,
)
from .options import WeightInfo

__all__ = ["ConvertResult", "convert_weights", "read_source", "save_state_dict"]

_SLOT = re.compile(r"(/Adam(_\d+)?$|/Momentum$|/RMSProp(_\d+)?$|/Adagrad$|^global_step$|^beta[12]_power|"
                   r"/ExponentialMovingAverage$|^optimizer/|^save_counter|^_CHECKPOINTABLE_OBJECT_GRAPH)")


@dataclass
class ConvertResult:
    state_dict: dict[str, np.ndarray]
    correspondence: Correspondence
    source_kind: str
    notes: list[str] = field(default_factory=list)


def _guess_tf_layer_type(layer: str, role: str, shape: tuple[int, ...]) -> str | None:
    low = layer.lower()
    base = low.rsplit("/", 1)[-1]
    if "lstm_cell" in low:
        return "TF1LSTMCell"
    if "gru_cell" in low:
        return "TF1GRUCell"
    if role in ("moving_mean", "moving_variance") or "batch_norm" in low or "batchnorm" in low:
        return "BatchNormalization"
    if "layer_norm" in low or "layernorm" in low:
        return "LayerNormalization"
    if "depthwise" in low or role == "depthwise_kernel":
        return "DepthwiseConv2D"
    if "transpose" in base and len(shape) in (3, 4, 5):
        return {3: "Conv1DTranspose", 4: "Conv2DTranspose", 5: "Conv3DTranspose"}[len(shape)]
    if "embedding" in low or "embedding" in role:
        return "Embedding"
    if role in ("kernel", "weights") and len(shape) in (3, 4, 5):
        return {3: "Conv1D", 4: "Conv2D", 5: "Conv3D"}[len(shape)]
    if role in ("kernel", "weights") and len(shape) == 2:
        return "Dense"
    return None


def _read_checkpoint(src: str) -> tuple[list[WeightInfo], dict[str, np.ndarray]]:
    from .adapters import setup_tf

    tf = setup_tf()
    reader = tf.train.load_checkpoint(src)
    shapes = reader.get_variable_to_shape_map()
    infos, arrays = [], {}
    by_layer: dict[str, list[tuple[str, str, tuple[int, ...]]]] = {}
    for name in shapes:
        if _SLOT.search(name):
            continue
        layer, _, role = name.rpartition("/")
        by_layer.setdefault(layer, []).append((name, role, tuple(int(d) for d in shapes[name])))
    for layer in sorted(by_layer, key=_natural):
        ws = by_layer[layer]
        kern = next(((r, s) for _, r, s in ws if r in ("kernel", "weights", "depthwise_kernel", "embeddings")), None)
        lt = None
        for _, r, s in ws:
            lt = lt or _guess_tf_layer_type(layer, r, s)
        if kern is not None:
            lt = _guess_tf_layer_type(layer, *kern) or lt
        for name, role, shape in sorted(ws):
            extra = {"forget_bias": 1.0, "forget_bias_detected": False} if lt == "TF1LSTMCell" and role == "kernel" else {}
            infos.append(WeightInfo(name, shape, layer, lt, role, "moving" not in role, extra))
            arrays[name] = np.asarray(reader.get_tensor(name), np.float32)
    return infos, arrays


def _natural(s: str) -> list[Any]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)]


_H5_ROLES = {
    "Dense": ("kernel", "bias"),
    "Conv1D": ("kernel", "bias"),
    "Conv2D": ("kernel", "bias"),
    "Conv3D": ("kernel", "bias"),
    "DepthwiseConv2D": ("kernel", "bias"),
    "Conv1DTranspose": ("kernel", "bias"),
    "Conv2DTranspose": ("kernel", "bias"),
    "Conv3DTranspose": ("kernel", "bias"),
    "BatchNormalization": ("gamma", "beta", "moving_mean", "moving_variance"),
    "LayerNormalization": ("gamma", "beta"),
    "Embedding": ("embeddings",),
    "LSTM": ("kernel", "recurrent_kernel", "bias"),
    "GRU": ("kernel", "recurrent_kernel", "bias"),
}
_H5_TYPES = [
    ("depthwise_conv2d", "DepthwiseConv2D"), ("conv1d_transpose", "Conv1DTranspose"),
    ("conv2d_transpose", "Conv2DTranspose"), ("conv3d_transpose", "Conv3DTranspose"), ("conv1d", "Conv1D"),
    ("conv2d", "Conv2D"), ("conv3d", "Conv3D"), ("dense", "Dense"), ("batch_normalization", "BatchNormalization"),
    ("layer_normalization", "LayerNormalization"), ("embedding", "Embedding"), ("lstm", "LSTM"), ("gru", "GRU"),
]


def _read_weights_h5(src: str) -> tuple[list[WeightInfo], dict[str, np.ndarray]]:
    """A Keras 3 ``.weights.h5`` without its model: layer types from the (default) layer names."""
    import h5py

    infos, arrays = [], {}
    with h5py.File(src, "r") as f:
        if "layers" not in f:
            raise CorrespondenceError(f"{src}: not a Keras 3 .weights.h5 file (no 'layers' group)")
        for lname in sorted(f["layers"].keys(), key=_natural):
            g = f["layers"][lname]
            vars_g = g["cell"]["vars"] if "cell" in g and "vars" in g["cell"] and len(g["cell"]["vars"]) else g.get("vars")
            if vars_g is None or not len(vars_g):
                continue
            base = re.sub(r"_\d+$", "", lname)
            lt = next((t for k, t in _H5_TYPES if base == k), None)
            roles = _H5_ROLES.get(lt or "", ())
            keys = sorted(vars_g.keys(), key=int)
            if lt is None or len(keys) > len(roles):
                raise CorrespondenceError(
                    f"{src}: cannot tell what layer {lname!r} is from its name; load it with --keras-model"
                )
            if lt == "BatchNormalization" and len(keys) < 4:
                roles = roles[4 - len(keys):]  # scale/center off: the stats are always last
            for k, role in zip(keys, roles):
                a = np.asarray(vars_g[k], np.float32)
                name = f"{lname}/{role}"
                infos.append(WeightInfo(name, tuple(a.shape), lname, lt, role, "moving" not in role))
                arrays[name] = a
    return infos, arrays


def _read_keras_model(model: Any) -> tuple[list[WeightInfo], dict[str, np.ndarray]]:
    from .adapters import KerasAdapter

    ad = KerasAdapter(model, label="source")
    info = ad.info()
    state = ad._state()
    return info.weights, {w.name: state[w.name] for w in info.weights}


def read_source(src: str, keras_model: str | None = None) -> tuple[list[WeightInfo], dict[str, np.ndarray], str]:
    """(weights, arrays, kind) from a checkpoint, ``.keras`` or ``.weights.h5``."""
    p = Path(src)
    if p.suffix == ".keras":
        from .adapters import setup_tf

        setup_tf()
        import keras

        model = keras.saving.load_model(str(p), compile=False)
        w, a = _read_keras_model(model)
        return w, a, "keras"
    if p.name.endswith(".h5"):
        if keras_model:
            from .adapters import setup_tf
            from .loader import load_factory

            setup_tf()
            model = load_factory(keras_model)()
            model.load_weights(str(p))
            w, a = _read_keras_model(model)
            return w, a, "keras"
        w, a = _read_weights_h5(str(p))
        return w, a, "keras-h5"
    w, a = _read_checkpoint(str(p))
    return w, a, "tf1-checkpoint"


_TORCH_ROLES = {
    "dense": ("weight", "bias"),
    "conv": ("weight", "bias"),
    "depthwise": ("weight", "bias"),
    "conv_transpose": ("weight", "bias"),
    "bn": ("weight", "bias", "running_mean", "running_var"),
    "layernorm": ("weight", "bias"),
    "embedding": ("weight",),
    "lstm": ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"),
    "gru": ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"),
}
_TORCH_TYPE = {"dense": "Linear", "bn": "BatchNorm2d", "layernorm": "LayerNorm", "embedding": "Embedding",
               "lstm": "LSTM", "gru": "GRU"}


def _virtual_torch(old_units: list[Unit], arrays: dict[str, np.ndarray], mapping: dict[str, Any]) -> tuple[list[WeightInfo], dict[str, Any]]:
    """The natural torch twin of each old unit, named by the mapping (layer-level)."""
    weights: list[WeightInfo] = []
    layer_map: dict[str, Any] = {}
    by_weight = {w.name: u for u in old_units for w in u.weights.values()}
    prefixes: dict[str, str] = {}
    for k, v in mapping.items():
        if k.startswith("@params:"):
            continue
        target = v.get("to") if isinstance(v, dict) else v
        if not isinstance(target, str):
            raise CorrespondenceError("without --model, map each old layer (or weight) to one torch name")
        if k in by_weight:
            prefixes.setdefault(by_weight[k].name, target.rsplit(".", 1)[0])
        else:
            prefixes[k] = target
    for u in old_units:
        prefix = prefixes.get(u.name, u.name.replace("/", "."))
        fam = u.family or ""
        roles = _TORCH_ROLES[fam]
        fake_extra: dict[str, Any] = {}
        if fam == "conv":
            k = u.weights["kernel"].shape
            lt = f"Conv{len(k) - 2}d"
        elif fam == "conv_transpose":
            lt = f"ConvTranspose{len(u.weights['kernel'].shape) - 2}d"
        elif fam == "depthwise":
            k = u.weights["kernel"].shape
            lt = "Conv2d"
            fake_extra = {"groups": int(k[2]), "in_channels": int(k[2])}
        else:
            lt = _TORCH_TYPE[fam]
        ws = {}
        for r in roles:
            base = r.removesuffix("_l0")
            if base == "bias" and "bias" not in u.weights and fam in ("dense", "conv", "depthwise", "conv_transpose"):
                continue
            ws[r] = WeightInfo(f"{prefix}.{r}", (), prefix, lt, r, "running" not in r,
                               dict(fake_extra, buffer=True) if "running" in r else dict(fake_extra))
        unit = Unit(prefix, prefix, lt, fam if fam != "depthwise" else "depthwise", "torch",
                    {r.removesuffix("_l0"): w for r, w in ws.items()}, fake_extra)
        canon = to_canonical(u, {w.name: arrays[w.name] for w in u.weights.values()})
        prm = {"flatten_hwc": u.extra.get("flatten_hwc")} if u.extra.get("flatten_hwc") else {}
        conv = from_canonical(unit, canon, prm)
        for w in ws.values():
            if w.name in conv:
                weights.append(WeightInfo(w.name, tuple(conv[w.name].shape), w.layer, w.layer_type, w.role,
                                           w.trainable, w.extra))
        layer_map[u.name] = prefix
    return weights, layer_map


def convert_weights(src: str, model: Any = None, mapping: Any = None, keras_model: str | None = None) -> ConvertResult:
    """Read ``src``, pair it with ``model``'s parameters (or the mapping's names) and convert."""
    old_w, arrays, kind = read_source(src, keras_model)
    mp = load_mapping(mapping)
    notes = []
    if any(w.layer_type == "TF1LSTMCell" and not w.extra.get("forget_bias_detected", True) for w in old_w):
        notes.append("TF1 LSTM cell forget_bias is not stored in checkpoints: assumed 1.0 "
                     "(set it per layer in the mapping: params = {forget_bias = ...})")
    if model is not None:
        from .adapters import TorchAdapter, make_adapter

        ad = model if isinstance(model, TorchAdapter) else make_adapter(model, "torch", label="target")
        assert isinstance(ad, TorchAdapter)
        new_w = ad.info().weights
        corr = build_correspondence(old_w, new_w, "tf", "torch", mp)
        sd = {k: v.detach().cpu().numpy() for k, v in ad.module.state_dict().items()}
        conv = corr.convert(arrays)
        sd.update(conv)
        return ConvertResult(sd, corr, kind, notes + corr.notes)
    old_units, unassigned = build_units(old_w, "tf")
    if unassigned:
        raise CorrespondenceError(
            "no layout rule for: " + ", ".join(f"{w.name} {list(w.shape)}" for w in unassigned)
        )
    new_w, layer_map = _virtual_torch(old_units, arrays, mp)
    params = {k: v for k, v in mp.items() if k.startswith("@params:")}
    corr = build_correspondence(old_w, new_w, "tf", "torch", {**layer_map, **params})
    return ConvertResult(corr.convert(arrays), corr, kind, notes)


def save_state_dict(state: dict[str, np.ndarray], out: str) -> None:
    import torch

    sd = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()}
    torch.save(sd, out)

