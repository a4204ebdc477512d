"""Which old weight becomes which new parameter, and how its layout changes.

Both models' weights are grouped into *units* (one layer's weights: a Dense kernel and bias,
the four BatchNorm tensors, one LSTM layer...), each of a *family* (``dense``, ``conv``,
``depthwise``, ``conv_transpose``, ``bn``, ``layernorm``, ``embedding``, ``lstm``, ``gru``).
Weights travel through a canonical, Keras-layout form of their family:
``old side -> canonical -> new side`` (see :mod:`migrate.check.weights` for each rule).

Two Keras layers hold the weights of two torch modules and are split into two units each:
``Bidirectional(LSTM|GRU)`` -> ``<layer>/forward`` and ``<layer>/backward`` (paired with the
``..._l0`` and ``..._l0_reverse`` units of a ``bidirectional=True`` ``nn.LSTM``/``nn.GRU``),
``SeparableConv1D/2D`` -> ``<layer>/depthwise`` (family ``depthwise``, the depthwise kernel)
and ``<layer>/pointwise`` (family ``conv``, the pointwise kernel and the bias), as the
tf2-to-torch pack writes them: a ``groups=in_channels`` conv then a 1x1 conv. An explicit
map may name the Keras layer (``{"bidirectional": "bidirectional.rnn"}``,
``{"separable_conv2d": "separable_conv2d.0"}``: the units pair in order with the target's
units, or with the target and the modules that follow it) or one unit by its name.

Pairs come from (a) an explicit map ``{old_name: new_name}`` (weight or layer names; the
rewriters emit one, users can pin pairs in a JSON/TOML file) and otherwise (b) inference:
within a family, old and new units are paired in order and the converted shapes must agree.
Anything that cannot be decided -- different counts per family, a shape that does not fit, a
weight of unknown kind -- raises :class:`CorrespondenceError` naming the weights involved.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import weights as W
from .options import WeightInfo

__all__ = [
    "Correspondence",
    "CorrespondenceError",
    "Unit",
    "UnitPair",
    "build_correspondence",
    "build_units",
    "load_mapping",
]


class CorrespondenceError(ValueError):
    """The weight correspondence is missing, ambiguous or inconsistent."""


# Nearest framework classes -> family.
TF_FAMILY = {
    "Dense": "dense",
    "Conv1D": "conv",
    "Conv2D": "conv",
    "Conv3D": "conv",
    "Convolution1D": "conv",
    "Convolution2D": "conv",
    "Convolution3D": "conv",
    "DepthwiseConv1D": "depthwise",
    "DepthwiseConv2D": "depthwise",
    "Conv1DTranspose": "conv_transpose",
    "Conv2DTranspose": "conv_transpose",
    "Conv3DTranspose": "conv_transpose",
    "BatchNormalization": "bn",
    "LayerNormalization": "layernorm",
    "Embedding": "embedding",
    "LSTM": "lstm",
    "TF1LSTMCell": "lstm",
    "GRU": "gru",
}
TORCH_FAMILY = {
    "Linear": "dense",
    "Conv1d": "conv",
    "Conv2d": "conv",
    "Conv3d": "conv",
    "ConvTranspose1d": "conv_transpose",
    "ConvTranspose2d": "conv_transpose",
    "ConvTranspose3d": "conv_transpose",
    "BatchNorm1d": "bn",
    "BatchNorm2d": "bn",
    "BatchNorm3d": "bn",
    "LayerNorm": "layernorm",
    "Embedding": "embedding",
    "LSTM": "lstm",
    "LSTMCell": "lstm",
    "GRU": "gru",
    "GRUCell": "gru",
}

# TF-side role spellings -> canonical role.
_TF_ROLE = {
    "kernel": "kernel",
    "weights": "kernel",
    "w": "kernel",
    "depthwise_kernel": "kernel",
    "depthwise_weights": "kernel",
    "bias": "bias",
    "biases": "bias",
    "b": "bias",
    "gamma": "gamma",
    "scale": "gamma",
    "beta": "beta",
    "offset": "beta",
    "moving_mean": "moving_mean",
    "moving_variance": "moving_variance",
    "moving_var": "moving_variance",
    "recurrent_kernel": "recurrent_kernel",
    "embeddings": "embeddings",
}
FAMILY_ROLES = {
    "dense": ("kernel", "bias"),
    "conv": ("kernel", "bias"),
    "depthwise": ("kernel", "bias"),
    "conv_transpose": ("kernel", "bias"),
    "bn": ("gamma", "beta", "moving_mean", "moving_variance"),
    "layernorm": ("gamma", "beta"),
    "embedding": ("embeddings",),
    "lstm": ("kernel", "recurrent_kernel", "bias"),
    "gru": ("kernel", "recurrent_kernel", "bias"),
}
# Keras layers split into two units (see the module docstring).
TF_SEPARABLE = ("SeparableConv1D", "SeparableConv2D", "SeparableConvolution1D", "SeparableConvolution2D")
TF_BIDIRECTIONAL = "Bidirectional"
_RNN_SUFFIX = re.compile(r"^(weight_ih|weight_hh|bias_ih|bias_hh)_l(\d+)(_reverse)?$")


@dataclass
class Unit:
    """One layer's weights on one side: ``weights`` maps role -> :class:`WeightInfo`."""

    name: str
    layer: str
    layer_type: str | None
    family: str | None
    framework: str  # tf | torch
    weights: dict[str, WeightInfo]
    extra: dict[str, Any] = field(default_factory=dict)
    guessed: bool = False

    @property
    def names(self) -> list[str]:
        return [w.name for w in self.weights.values()]

    def describe(self) -> str:
        shapes = ", ".join(f"{w.name}{list(w.shape)}" for w in self.weights.values())
        return f"{self.name} ({self.layer_type or '?'}: {shapes})"


@dataclass
class UnitPair:
    old: Unit
    new: Unit
    family: str
    inferred: bool
    params: dict[str, Any] = field(default_factory=dict)
    rule: str | None = None  # identity | transpose for single-weight explicit pairs

    def to_dict(self) -> dict[str, Any]:
        return {
            "old_layer": self.old.name,
            "new_layer": self.new.name,
            "family": self.family,
            "rule": self.rule or f"{self.old.framework}->{self.new.framework}:{self.family}",
            "old": self.old.names,
            "new": self.new.names,
            "inferred": self.inferred,
            "params": {k: v for k, v in self.params.items() if v is not None},
        }


# ----------------------------------------------------------------------------- units


def _guess_tf_family(ws: list[WeightInfo]) -> str | None:
    """Family of a TF layer of unknown type, from its role names and shapes (flagged as guessed)."""
    roles = {_TF_ROLE.get(w.role, w.role): w for w in ws}
    if {"moving_mean", "moving_variance"} & roles.keys():
        return "bn"
    if "recurrent_kernel" in roles:
        return None
    if "embeddings" in roles and len(roles) == 1:
        return "embedding"
    k = roles.get("kernel")
    if k is not None:
        if len(k.shape) == 2:
            return "dense"
        if len(k.shape) in (3, 4, 5):
            return "conv"
    if set(roles) <= {"gamma", "beta"} and roles:
        return "layernorm"
    return None


def build_units(weights: list[WeightInfo], framework: str) -> tuple[list[Unit], list[WeightInfo]]:
    """Group weights into units, in first-appearance order. Returns ``(units, unassigned)``."""
    by_layer: dict[str, list[WeightInfo]] = {}
    for w in weights:
        by_layer.setdefault(w.layer, []).append(w)
    units: list[Unit] = []
    unassigned: list[WeightInfo] = []
    for layer, ws in by_layer.items():
        ltype = next((w.layer_type for w in ws if w.layer_type), None)
        extra: dict[str, Any] = {}
        for w in ws:
            extra.update(w.extra)
        if framework == "torch":
            fam = TORCH_FAMILY.get(ltype or "")
            if fam == "conv":
                g = int(extra.get("groups", 1))
                if g > 1 and g == int(extra.get("in_channels", -1)):
                    fam = "depthwise"
                elif g > 1:
                    fam = None  # grouped conv: no Keras twin family
            if fam in ("lstm", "gru") and ltype in ("LSTM", "GRU"):
                # one unit per stacked layer / direction
                groups: dict[str, dict[str, WeightInfo]] = {}
                for w in ws:
                    m = _RNN_SUFFIX.match(w.role)
                    if not m:
                        unassigned.append(w)
                        continue
                    key = f"l{m.group(2)}{m.group(3) or ''}"
                    groups.setdefault(key, {})[m.group(1)] = w
                for key, roles in groups.items():
                    units.append(
                        Unit(f"{layer}.{key}", layer, ltype, fam, framework, roles, dict(extra, rnn_layer=key))
                    )
                continue
            if fam is None:
                unassigned.extend(ws)
                continue
            roles = {}
            for w in ws:
                r = w.role.removesuffix("_l0") if fam in ("lstm", "gru") else w.role
                roles[r] = w
            units.append(Unit(layer, layer, ltype, fam, framework, roles, extra))
        elif ltype == TF_BIDIRECTIONAL or ltype in TF_SEPARABLE:
            split = _split_tf_units(layer, ltype, ws, extra, framework)
            if split is None:
                unassigned.extend(ws)
            else:
                units.extend(split)
        else:
            fam = TF_FAMILY.get(ltype or "")
            guessed = False
            if fam is None and ltype is None:  # a known but unsupported type is never guessed
                fam = _guess_tf_family(ws)
                guessed = fam is not None
            if fam is None:
                unassigned.extend(ws)
                continue
            roles = {}
            for w in ws:
                r = _TF_ROLE.get(w.role, w.role)
                if fam == "embedding":
                    r = "embeddings"
                roles[r] = w
            if not set(roles) <= set(FAMILY_ROLES[fam]):
                unassigned.extend(ws)
                continue
            units.append(Unit(layer, layer, ltype, fam, framework, roles, extra, guessed))
    return units, unassigned


def _direction(w: WeightInfo) -> str | None:
    d = w.extra.get("direction")
    if d in ("forward", "backward"):
        return str(d)
    parts = w.name.split("/")
    for d in ("forward", "backward"):
        if any(p.startswith(d + "_") for p in parts[:-1]):
            return d
    return None


def _split_tf_units(
    layer: str, ltype: str, ws: list[WeightInfo], extra: dict[str, Any], framework: str
) -> list[Unit] | None:
    """The two units of a Keras Bidirectional / SeparableConv layer (None: not understood)."""
    if ltype == TF_BIDIRECTIONAL:
        inner = extra.get("inner")
        if inner is None:  # no adapter hint: the inner layer's kind from its weight names
            inner = next((k for k in ("LSTM", "GRU") if any(f"_{k.lower()}" in w.name for w in ws)), None)
        fam = TF_FAMILY.get(inner or "")
        if fam not in ("lstm", "gru"):
            return None
        out = []
        for d in ("forward", "backward"):
            roles = {_TF_ROLE.get(w.role, w.role): w for w in ws if _direction(w) == d}
            if not roles or not set(roles) <= set(FAMILY_ROLES[fam]) or "kernel" not in roles:
                return None
            out.append(Unit(f"{layer}/{d}", layer, f"Bidirectional({inner})", fam, framework, roles,
                            dict(extra, direction=d)))
        if sum(len(u.weights) for u in out) != len(ws):
            return None
        return out
    by_role = {w.role: w for w in ws}
    if set(by_role) - {"depthwise_kernel", "pointwise_kernel", "bias"} or len(by_role) != len(ws):
        return None
    dk, pk = by_role.get("depthwise_kernel"), by_role.get("pointwise_kernel")
    if dk is None or pk is None:
        return None
    point = {"kernel": pk} | ({"bias": by_role["bias"]} if "bias" in by_role else {})
    return [
        Unit(f"{layer}/depthwise", layer, ltype, "depthwise", framework, {"kernel": dk}, dict(extra)),
        Unit(f"{layer}/pointwise", layer, ltype, "conv", framework, point, dict(extra)),
    ]


# ----------------------------------------------------------------------------- conversions


def _get(arrays: dict[str, np.ndarray], unit: Unit, role: str) -> np.ndarray | None:
    w = unit.weights.get(role)
    return None if w is None else np.asarray(arrays[w.name], np.float32)


def to_canonical(
    unit: Unit, arrays: dict[str, np.ndarray], *, grad: bool = False, params: dict[str, Any] | None = None
) -> dict[str, np.ndarray]:
    """One unit's arrays -> canonical (Keras-layout) arrays keyed by canonical role."""
    fam = unit.family
    if unit.framework == "tf":
        if fam == "lstm" and unit.layer_type == "TF1LSTMCell":
            fb = 0.0 if grad else float((params or {}).get("forget_bias", unit.extra.get("forget_bias", 1.0)))
            k, b = _get(arrays, unit, "kernel"), _get(arrays, unit, "bias")
            if b is None:
                b = np.zeros(k.shape[1], np.float32)  # type: ignore[union-attr]
            return W.tf1_lstm_cell_to_keras(k, b, fb)  # type: ignore[arg-type]
        return {r: np.asarray(arrays[w.name], np.float32) for r, w in unit.weights.items()}
    # torch -> canonical

    def g(role: str) -> np.ndarray | None:
        return _get(arrays, unit, role)
    out: dict[str, np.ndarray] = {}
    if fam == "dense":
        hwc = unit.extra.get("flatten_hwc")
        wt = g("weight")
        out["kernel"] = W.torch_to_dense_after_flatten(wt, hwc) if hwc else W.torch_to_dense_kernel(wt)
    elif fam in ("conv",):
        out["kernel"] = W.torch_to_conv_kernel(g("weight"))
    elif fam == "depthwise":
        out["kernel"] = W.torch_to_depthwise_kernel(g("weight"), int(unit.extra["in_channels"]))
    elif fam == "conv_transpose":
        out["kernel"] = W.torch_to_conv_transpose_kernel(g("weight"))
    elif fam == "bn":
        for a, b in (("weight", "gamma"), ("bias", "beta"), ("running_mean", "moving_mean"), ("running_var", "moving_variance")):
            if a in unit.weights:
                out[b] = g(a)
        return out
    elif fam == "layernorm":
        out["gamma"], out["beta"] = g("weight"), g("bias")
        return {k: v for k, v in out.items() if v is not None}
    elif fam == "embedding":
        return {"embeddings": g("weight")}
    elif fam == "lstm":
        bih, bhh = g("bias_ih"), g("bias_hh")
        if grad:  # d/d(bias) of bias_ih + bias_hh is either one's gradient
            bhh = None
        return W.torch_lstm_to_keras(g("weight_ih"), g("weight_hh"), bih, bhh)
    elif fam == "gru":
        return W.torch_gru_to_keras(g("weight_ih"), g("weight_hh"), g("bias_ih"), g("bias_hh"))
    if "bias" in unit.weights:
        out["bias"] = g("bias")
    return out


def from_canonical(
    unit: Unit, canon: dict[str, np.ndarray], params: dict[str, Any], *, grad: bool = False
) -> dict[str, np.ndarray]:
    """Canonical arrays -> the target unit's arrays keyed by the target's weight names."""
    fam = unit.family
    roles: dict[str, np.ndarray] = {}
    if unit.framework == "tf":
        if fam == "lstm" and unit.layer_type == "TF1LSTMCell":
            fb = 0.0 if grad else float(params.get("forget_bias", unit.extra.get("forget_bias", 1.0)))
            k = np.concatenate([canon["kernel"], canon["recurrent_kernel"]], axis=0)
            b = canon.get("bias", np.zeros(k.shape[1], np.float32)).copy()
            h = k.shape[1] // 4
            b[h : 2 * h] -= np.float32(fb)
            roles = {"kernel": W.reorder_gates(k, "ifjo", "ijfo", 1), "bias": W.reorder_gates(b, "ifjo", "ijfo", 0)}
        else:
            roles = dict(canon)
    else:
        k = canon.get("kernel")
        if fam == "dense":
            hwc = params.get("flatten_hwc")
            if hwc and params.get("layout") != "dense":
                roles["weight"] = W.dense_after_flatten_to_torch(k, tuple(hwc))  # type: ignore[arg-type]
            else:
                roles["weight"] = W.dense_kernel_to_torch(k)  # type: ignore[arg-type]
        elif fam == "conv":
            roles["weight"] = W.conv_kernel_to_torch(k)  # type: ignore[arg-type]
        elif fam == "depthwise":
            roles["weight"] = W.depthwise_kernel_to_torch(k)  # type: ignore[arg-type]
        elif fam == "conv_transpose":
            roles["weight"] = W.conv_transpose_kernel_to_torch(k)  # type: ignore[arg-type]
        elif fam == "bn":
            if "moving_mean" in canon:
                roles = W.batchnorm_to_torch(
                    canon.get("gamma"), canon.get("beta"), canon["moving_mean"], canon["moving_variance"]
                )
            else:  # gradients: only the trainable pair
                roles = {"weight": canon.get("gamma"), "bias": canon.get("beta")}  # type: ignore[dict-item]
        elif fam == "layernorm":
            roles = {"weight": canon.get("gamma"), "bias": canon.get("beta")}  # type: ignore[dict-item]
        elif fam == "embedding":
            roles["weight"] = W.embedding_to_torch(canon["embeddings"])
        elif fam == "lstm":
            roles = W.keras_lstm_to_torch(canon["kernel"], canon["recurrent_kernel"], canon.get("bias"))
            if grad:
                roles["bias_hh"] = roles["bias_ih"].copy()
        elif fam == "gru":
            roles = W.keras_gru_to_torch(canon["kernel"], canon["recurrent_kernel"], canon.get("bias"))
        if fam in ("dense", "conv", "depthwise", "conv_transpose") and canon.get("bias") is not None:
            roles["bias"] = np.asarray(canon["bias"], np.float32)
    out: dict[str, np.ndarray] = {}
    for r, a in roles.items():
        if a is None:
            continue
        w = unit.weights.get(r)
        if w is not None:
            out[w.name] = np.asarray(a, np.float32)
    return out


def _single_rule(rule: str, a: np.ndarray) -> np.ndarray:
    if rule == "identity":
        return np.asarray(a, np.float32)
    if rule == "transpose":
        return np.ascontiguousarray(np.asarray(a, np.float32).T)
    raise CorrespondenceError(f"unknown rule {rule!r} (use identity or transpose)")


# ----------------------------------------------------------------------------- correspondence


@dataclass
class Correspondence:
    pairs: list[UnitPair]
    notes: list[str] = field(default_factory=list)
    ignored_new: list[str] = field(default_factory=list)  # buffers left as they are

    def convert(self, old: dict[str, np.ndarray], *, grad: bool = False) -> dict[str, np.ndarray]:
        """Old arrays (weights, or gradients with ``grad=True``) -> new names and layouts."""
        out: dict[str, np.ndarray] = {}
        for p in self.pairs:
            if grad and not all(w.name in old for w in p.old.weights.values()):
                # partially trainable unit (e.g. BN moving stats): convert what exists
                have = {r: w for r, w in p.old.weights.items() if w.name in old}
                if not have:
                    continue
                if p.rule:
                    continue
                sub = Unit(p.old.name, p.old.layer, p.old.layer_type, p.old.family, p.old.framework, have, p.old.extra)
                out.update(from_canonical(p.new, to_canonical(sub, old, grad=True, params=p.params), p.params, grad=True))
                continue
            if p.rule:
                (ow,) = p.old.weights.values()
                (nw,) = p.new.weights.values()
                out[nw.name] = _single_rule(p.rule, old[ow.name])
                continue
            out.update(from_canonical(p.new, to_canonical(p.old, old, grad=grad, params=p.params), p.params, grad=grad))
        return out

    @property
    def new_names(self) -> list[str]:
        return [n for p in self.pairs for n in p.new.names]

    def layer_pairs(self) -> list[tuple[str, str]]:
        """(old layer, new layer) per pair, for aligning intermediate outputs. An old layer
        split into several units (SeparableConv: depthwise then pointwise conv) gives its
        output where its last new module does: one anchor, on that module."""
        out: list[tuple[str, str]] = []
        for p in self.pairs:
            item = (p.old.layer, p.new.layer)
            if out and out[-1][0] == item[0]:
                out[-1] = item
            else:
                out.append(item)
        return out

    def to_list(self) -> list[dict[str, Any]]:
        return [p.to_dict() for p in self.pairs]


def _new_run(key: str, targets: list[str], group: list[Unit], new_units: list[Unit]) -> list[Unit]:
    """The new units an old multi-unit layer ``key`` maps to: one target per unit, or one
    target that names a layer with as many units (``lstm.rnn``: ``l0`` and ``l0_reverse``), a
    module holding them (``sep``: ``sep.0``, ``sep.1``) or the first of consecutive modules
    (``sep.0``, then ``sep.1``)."""
    n = len(group)

    def of(t: str) -> list[Unit]:
        return [u for u in new_units if t in (u.layer, u.name) or t in u.names]

    run: list[Unit] = []
    if len(targets) == n:
        for t in targets:
            us = of(t)
            if len(us) != 1:
                raise CorrespondenceError(f"mapping {key!r}: target {t!r} names {len(us)} new layer(s), not one")
            run.append(us[0])
    elif len(targets) == 1:
        t = targets[0]
        us = of(t)
        if len(us) == n:
            run = us
        elif not us:
            run = [u for u in new_units if u.layer.startswith(t + ".")]
        else:
            i = new_units.index(us[0])
            parent = t.rsplit(".", 1)[0] + "." if "." in t else ""
            run = [u for u in new_units[i : i + n] if u.layer.startswith(parent)]
    if len(run) != n or len({id(u) for u in run}) != n:
        known = ", ".join(u.name for u in new_units[:20])
        raise CorrespondenceError(
            f"mapping {key!r} -> {targets}: the old layer has {n} parts ({', '.join(u.name for u in group)}) "
            f"but the target(s) give {len(run)} new layer(s) (new layers: {known})"
        )
    for ou, nu in zip(group, run, strict=True):
        if ou.family != nu.family:
            raise CorrespondenceError(
                f"mapping {key!r}: {ou.describe()} would pair with {nu.describe()}: families {ou.family} vs {nu.family} differ"
            )
    return run


def load_mapping(source: Any) -> dict[str, Any]:
    """A mapping from a dict, or a JSON / TOML file path. Accepts ``{"pairs": {...}}`` or flat."""
    if source is None:
        return {}
    if isinstance(source, dict):
        data = source
    else:
        p = Path(source)
        text = p.read_text(encoding="utf-8")
        if p.suffix.lower() == ".toml":
            import tomllib

            data = tomllib.loads(text)
        else:
            data = json.loads(text)
    if not isinstance(data, dict):
        raise CorrespondenceError("a mapping must be a JSON/TOML table of old_name = new_name")
    pairs = data.get("pairs", data) if isinstance(data.get("pairs", None), dict) else data
    params = data.get("params", {}) if isinstance(data.get("params"), dict) else {}
    out: dict[str, Any] = {k: v for k, v in pairs.items() if k not in ("params",)}
    for layer, prm in params.items():
        out.setdefault(f"@params:{layer}", prm)
    return out


def _strip(name: str) -> str:
    return name.removesuffix(":0")


def _shapes_fit(pair: UnitPair) -> str | None:
    """None if converting the old unit gives exactly the new unit's shapes, else a reason."""
    old = pair.old
    try:
        fake = {w.name: np.zeros(w.shape, np.float32) for w in old.weights.values()}
        if pair.rule:
            (ow,) = old.weights.values()
            (nw,) = pair.new.weights.values()
            conv = {nw.name: _single_rule(pair.rule, fake[ow.name])}
        else:
            conv = from_canonical(pair.new, to_canonical(old, fake), pair.params)
    except (ValueError, KeyError, IndexError, TypeError) as e:
        return f"conversion failed: {e}"
    for w in pair.new.weights.values():
        if w.name not in conv:
            if pair.family == "bn" and w.role in ("weight", "bias"):
                return f"{w.name} has no source (old BN has no gamma/beta)"
            return f"nothing converts to {w.name}"
        if tuple(conv[w.name].shape) != tuple(w.shape):
            return f"{w.name}: converted shape {list(conv[w.name].shape)} != {list(w.shape)}"
    return None


def build_correspondence(
    old_weights: list[WeightInfo],
    new_weights: list[WeightInfo],
    old_framework: str,
    new_framework: str,
    mapping: Any = None,
    *,
    torch_layout: str = "channels_first",
) -> Correspondence:
    """Pair the old model's weights with the new model's parameters (explicit map, then inference).

    ``torch_layout`` is the resolved image interface of a torch new model
    (``CheckOptions.torch_layout``): with ``"channels_last"`` a Keras Dense fed by a Flatten
    keeps its kernel rows in Keras order (the torch model flattens NHWC); with
    ``"channels_first"`` they are reordered for an ``nn.Flatten`` of NCHW. A ``layout`` param
    of the mapping (``{"params": {layer: {"layout": "dense"}}}``) still wins per layer.
    """
    if torch_layout not in ("channels_first", "channels_last"):
        raise CorrespondenceError(f"torch_layout must be 'channels_first' or 'channels_last', not {torch_layout!r}")
    mp = load_mapping(mapping)
    layer_params = {k[len("@params:") :]: v for k, v in mp.items() if k.startswith("@params:")}
    mp = {_strip(k): v for k, v in mp.items() if not k.startswith("@params:")}

    old_units, old_un = build_units(old_weights, old_framework)
    new_units, new_un = build_units(new_weights, new_framework)
    notes: list[str] = []
    ignored_new: list[str] = []

    old_by_weight = {w.name: u for u in old_units for w in u.weights.values()}
    new_by_weight = {w.name: u for u in new_units for w in u.weights.values()}
    old_by_name = {u.name: u for u in old_units} | {u.layer: u for u in old_units}
    old_unit_names = {u.name for u in old_units}
    old_by_layer: dict[str, list[Unit]] = {}
    for unit in old_units:
        old_by_layer.setdefault(unit.layer, []).append(unit)
    new_by_name = {u.name: u for u in new_units} | {u.layer: u for u in new_units}
    old_w = {w.name: w for w in old_weights}
    new_w = {w.name: w for w in new_weights}

    pairs: list[UnitPair] = []
    used_old: set[int] = set()
    used_new: set[int] = set()

    def params_for(old: Unit, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        prm: dict[str, Any] = {}
        if old.extra.get("flatten_hwc"):
            prm["flatten_hwc"] = list(old.extra["flatten_hwc"])
            if torch_layout == "channels_last" and new_framework == "torch":
                prm["layout"] = "dense"  # the torch model flattens NHWC: rows keep the Keras order
        if old.extra.get("forget_bias") is not None:
            prm["forget_bias"] = old.extra["forget_bias"]
        prm.update(layer_params.get(old.name, {}))
        prm.update(extra or {})
        return prm

    # (a) explicit pairs
    explicit: dict[int, tuple[Unit, Unit, dict[str, Any], str | None]] = {}
    for key, target in mp.items():
        prm: dict[str, Any] = {}
        rule = None
        if isinstance(target, dict):
            prm = dict(target.get("params", {}))
            rule = target.get("rule")
            target = target.get("to")
        targets = [target] if isinstance(target, str) else list(target or [])
        if not targets:
            raise CorrespondenceError(f"mapping entry {key!r} has no target")
        targets = [_strip(t) for t in targets]
        group = old_by_layer.get(key, []) if key not in old_w and key not in old_unit_names else []
        if len(group) > 1 and rule is None:
            # one old layer, several units (Bidirectional, SeparableConv): pair them in order
            for ou_i, nu_i in zip(group, _new_run(key, targets, group, new_units), strict=True):
                prev = explicit.get(id(ou_i))
                if prev is not None and prev[1] is not nu_i:
                    raise CorrespondenceError(f"old unit {ou_i.name!r} is mapped to both {prev[1].name!r} and {nu_i.name!r}")
                explicit[id(ou_i)] = (ou_i, nu_i, dict(prev[2]) | prm if prev else dict(prm), None)
            continue
        if rule in ("identity", "transpose"):
            if key not in old_w or len(targets) != 1 or targets[0] not in new_w:
                raise CorrespondenceError(f"rule {rule!r} needs one old weight and one new weight: {key!r}")
            ow, nw = old_w[key], new_w[targets[0]]
            ou = Unit(ow.name, ow.layer, ow.layer_type, "single", old_framework, {ow.role: ow})
            nu = Unit(nw.name, nw.layer, nw.layer_type, "single", new_framework, {nw.role: nw})
            pr = UnitPair(ou, nu, "single", False, prm, rule)
            why = _shapes_fit(pr)
            if why:
                raise CorrespondenceError(f"mapping {key!r} -> {targets[0]!r}: {why}")
            pairs.append(pr)
            old_un[:] = [w for w in old_un if w.name != ow.name]
            new_un[:] = [w for w in new_un if w.name != nw.name]
            # detach these weights from any unit they were in
            for u in (old_by_weight.get(ow.name), new_by_weight.get(nw.name)):
                if u is not None:
                    u.weights = {r: w for r, w in u.weights.items() if w.name not in (ow.name, nw.name)}
            continue
        ou = old_by_weight.get(key) or old_by_name.get(key)
        if ou is None:
            known = ", ".join(sorted(old_w)[:20])
            raise CorrespondenceError(f"mapping names old weight/layer {key!r}, which the old model does not have (has: {known})")
        nus = {id(u): u for t in targets if (u := new_by_weight.get(t) or new_by_name.get(t)) is not None}
        missing = [t for t in targets if t not in new_by_weight and t not in new_by_name]
        if missing:
            known = ", ".join(sorted(new_w)[:20])
            raise CorrespondenceError(f"mapping target(s) {missing} not in the new model (has: {known})")
        if len(nus) != 1:
            raise CorrespondenceError(f"mapping for {key!r} spans several new layers: {[u.name for u in nus.values()]}")
        nu = next(iter(nus.values()))
        prev = explicit.get(id(ou))
        if prev is not None and prev[1] is not nu:
            raise CorrespondenceError(f"old layer {ou.name!r} is mapped to both {prev[1].name!r} and {nu.name!r}")
        merged = dict(prev[2]) if prev else {}
        merged.update(prm)
        explicit[id(ou)] = (ou, nu, merged, rule)
    for ou, nu, prm, _rule in explicit.values():
        if id(nu) in used_new:
            raise CorrespondenceError(f"new layer {nu.name!r} is the target of two old layers")
        if ou.family != nu.family:
            raise CorrespondenceError(
                f"mapping pairs {ou.describe()} with {nu.describe()}: families {ou.family} vs {nu.family} differ"
            )
        pr = UnitPair(ou, nu, ou.family or "?", False, params_for(ou, prm))
        why = _shapes_fit(pr)
        if why:
            raise CorrespondenceError(f"mapping {ou.name!r} -> {nu.name!r}: {why}")
        pairs.append(pr)
        used_old.add(id(ou))
        used_new.add(id(nu))

    # (b) inference per family, in order
    rest_old = [u for u in old_units if id(u) not in used_old and u.weights]
    rest_new = [u for u in new_units if id(u) not in used_new and u.weights]
    fams = list(dict.fromkeys([u.family for u in rest_old] + [u.family for u in rest_new]))
    problems: list[str] = []
    for fam in fams:
        os_ = [u for u in rest_old if u.family == fam]
        ns_ = [u for u in rest_new if u.family == fam]
        if len(os_) != len(ns_):
            problems.append(
                f"{fam}: the old model has {len(os_)} layer(s) [{'; '.join(u.describe() for u in os_)}] "
                f"but the new model has {len(ns_)} [{'; '.join(u.describe() for u in ns_)}]"
            )
            continue
        for ou, nu in zip(os_, ns_, strict=True):
            pr = UnitPair(ou, nu, fam or "?", True, params_for(ou))
            why = _shapes_fit(pr)
            if why:
                problems.append(f"{fam}: pairing {ou.describe()} with {nu.describe()} in order fails: {why}")
                continue
            if ou.guessed:
                notes.append(f"layer type of {ou.name!r} guessed as {fam} from names and shapes")
            pairs.append(pr)
    for w in old_un:
        problems.append(f"old weight {w.name} {list(w.shape)} ({w.layer_type or 'unknown layer type'}) has no known layout rule")
    for w in new_un:
        if not w.trainable and w.role in ("num_batches_tracked",):
            continue
        if not w.trainable and w.extra.get("buffer"):
            ignored_new.append(w.name)
            continue
        problems.append(f"new parameter {w.name} {list(w.shape)} ({w.layer_type or '?'}) has no known layout rule")
    if problems:
        raise CorrespondenceError(
            "cannot pair the weights of the two models; pin the pairs with a mapping "
            "({old_name: new_name}, JSON or TOML):\n  - " + "\n  - ".join(problems)
        )
    # keep old-model order
    order = {id(u): i for i, u in enumerate(old_units)}
    pairs.sort(key=lambda p: order.get(id(p.old), -1))
    return Correspondence(pairs, notes, ignored_new)
