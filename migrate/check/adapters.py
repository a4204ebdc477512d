"""Model adapters: one interface over torch modules, Keras models and TF1 graphs.

An adapter lists its model's weights (:class:`~migrate.check.options.ModelInfo`), sets them,
runs a forward pass on numpy inputs (outputs plus named intermediate outputs, each tagged with
its activation layout), and runs optimizer steps (loss, first-step gradients, weights after).

* :class:`TorchAdapter` (in-process): forward hooks on leaf modules give intermediates.
* :class:`KerasAdapter` (in-process, Keras 3 or tf_keras): a sub-model over the layer outputs.
* :class:`Tf1Adapter`: a proxy to a long-lived worker subprocess (``_tf1_worker``) that builds
  the graph with ``tensorflow.compat.v1`` and exchanges arrays through ``.npz`` files. One
  worker serves every TF1 model of the process, so TensorFlow is imported there only once.

TensorFlow and torch are imported lazily, inside these classes.

Dropout in training mode runs with an all-kept mask: the layer outputs ``x / (1 - rate)``.
This is deterministic, so both frameworks can be compared elementwise, and sound for the
dropout *rate*: the scale ``1/(1-rate)`` determines the rate one-to-one, so a rate mix-up
(``keep_prob`` passed as ``p``) changes the outputs. (Which units are dropped is random in
both frameworks and is not compared.)
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .loader import LoadError, detect_kind, load_factory, looks_tf1, spec_of_callable
from .options import InputSpec, ModelInfo, OptimizerSpec, WeightInfo, make_input_spec
from .weights import channels_last_to_first

__all__ = [
    "Adapter",
    "AdapterError",
    "ForwardResult",
    "KerasAdapter",
    "Tagged",
    "Tf1Adapter",
    "TorchAdapter",
    "TrainResult",
    "make_adapter",
]


class AdapterError(RuntimeError):
    """A model could not be set up or run for reasons other than its numerics."""


@dataclass
class Tagged:
    """A named array with its layout: ``same`` (as the TF side), ``cf`` (channels first) or
    ``flat_cf:C,H,W`` (a channels-first map flattened in C,H,W order)."""

    name: str
    layer: str
    type: str
    array: np.ndarray
    layout: str = "same"


@dataclass
class ForwardResult:
    outputs: list[Tagged]
    intermediates: list[Tagged]
    state: dict[str, np.ndarray] | None = None  # all weights after a training-mode forward


@dataclass
class TrainResult:
    losses: list[float]
    grads: dict[str, np.ndarray]
    weights_after: dict[str, np.ndarray]
    optimizer: str = ""


@dataclass
class Adapter:
    """Base: what the runner calls."""

    label: str
    kind: str = ""
    framework: str = ""
    inputs: list[InputSpec] = field(default_factory=list)

    def info(self) -> ModelInfo:  # pragma: no cover - abstract
        raise NotImplementedError

    def set_input_specs(self, specs: list[InputSpec]) -> None:
        self.inputs = list(specs)

    def forward(self, weights: dict[str, np.ndarray], inputs: dict[str, np.ndarray], mode: str) -> ForwardResult:
        raise NotImplementedError  # pragma: no cover

    def train(
        self,
        weights: dict[str, np.ndarray],
        inputs: dict[str, np.ndarray],
        targets: list[np.ndarray],
        optimizer: OptimizerSpec,
        steps: int,
        loss_scale: float,
    ) -> TrainResult:
        raise NotImplementedError  # pragma: no cover

    def close(self) -> None:
        pass


def torch_input_layout(spec: InputSpec, model_layout: str = "channels_first") -> str:
    """How a torch model receives ``spec``: ``channels_first`` or ``same``.

    ``model_layout`` is the torch model's image interface (``CheckOptions.torch_layout``,
    resolved): a ``channels_last`` model takes every ``auto`` input as it is.
    """
    if spec.torch_layout in ("same", "channels_first"):
        return spec.torch_layout
    if model_layout == "channels_last":
        return "same"
    if spec.kind == "float" and len(spec.shape) >= 3:
        return "channels_first"
    return "same"


TORCH_LAYOUTS = ("auto", "channels_first", "channels_last")
# The helper module the tf2-to-torch pack writes around channels-first layers of a model that
# keeps the Keras NHWC interface (rules/tf2_to_torch/_common.py): its presence marks such a model.
CHANNELS_LAST_MARKERS = ("ChannelsLast",)


def infer_torch_layout(module: Any) -> str:
    """``channels_last`` for a module that contains the tf2-to-torch pack's ``ChannelsLast``
    helper (the converted model keeps Keras' NHWC interface), else ``channels_first``.

    This is the only inference made: a hand-written torch model that takes NHWC tensors and
    permutes them itself must be checked with ``torch_layout="channels_last"``.
    """
    for m in module.modules():
        if type(m).__name__ in CHANNELS_LAST_MARKERS:
            return "channels_last"
    return "channels_first"


# ============================================================================= runtime setup


def setup_tf() -> Any:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    with contextlib.suppress(Exception):
        tf.config.experimental.enable_tensor_float_32_execution(False)
    return tf


def setup_torch(device: str = "auto") -> tuple[Any, str]:
    import torch

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    if device == "cuda" and not torch.cuda.is_available():
        raise AdapterError("device 'cuda' requested but torch sees no CUDA device")
    dev = "cuda" if device in ("auto", "cuda") and torch.cuda.is_available() else "cpu"
    return torch, dev


# ============================================================================= torch

_TORCH_CF = (
    "Conv", "ConvTranspose", "BatchNorm", "InstanceNorm", "MaxPool", "AvgPool", "AdaptiveAvgPool",
    "AdaptiveMaxPool", "LPPool", "Upsample", "Upsampling", "ZeroPad", "ConstantPad", "ReflectionPad",
    "ReplicationPad", "PixelShuffle", "PixelUnshuffle", "GroupNorm", "LocalResponseNorm", "Dropout2d",
    "Dropout3d", "Dropout1d", "CircularPad",
)
_TORCH_SAME = ("Linear", "LSTM", "GRU", "RNN", "Embedding", "LayerNorm", "MultiheadAttention", "Bilinear")


def _nearest_torch_class(m: Any) -> str:
    for cls in type(m).__mro__:
        if cls.__module__.startswith("torch.nn.modules"):
            return cls.__name__
    return type(m).__name__


def _first_tensor(x: Any, torch: Any) -> Any:
    if isinstance(x, torch.Tensor):
        return x
    if isinstance(x, (tuple, list)):
        for v in x:
            t = _first_tensor(v, torch)
            if t is not None:
                return t
    if isinstance(x, dict):
        for v in x.values():
            t = _first_tensor(v, torch)
            if t is not None:
                return t
    return None


def _flatten_outputs(out: Any, torch: Any, prefix: str = "output") -> list[tuple[str, Any]]:
    if isinstance(out, torch.Tensor):
        return [(prefix, out)]
    if isinstance(out, dict):
        res = []
        for k, v in out.items():
            res += _flatten_outputs(v, torch, str(k))
        return res
    if hasattr(out, "_fields"):
        res = []
        for k in out._fields:
            res += _flatten_outputs(getattr(out, k), torch, k)
        return res
    if isinstance(out, (tuple, list)):
        res = []
        for i, v in enumerate(out):
            res += _flatten_outputs(v, torch, f"{prefix}_{i}")
        return res
    return []


class TorchAdapter(Adapter):
    """An ``nn.Module`` run in this process.

    ``make_optimizer(params) -> torch.optim.Optimizer`` (optional) is the model's own optimizer;
    otherwise the check's :class:`OptimizerSpec` is built with ``torch.optim``.
    """

    def __init__(self, module: Any, label: str = "torch", make_optimizer: Any = None, device: str = "auto",
                 input_spec: list[InputSpec] | None = None) -> None:
        super().__init__(label=label, kind="torch", framework="torch")
        self.torch, self.device = setup_torch(device)
        if not isinstance(module, self.torch.nn.Module):
            raise LoadError(f"{label}: expected a torch.nn.Module, got {type(module).__name__}")
        self.module = module.to(self.device)
        self.make_optimizer = make_optimizer
        self.declared_inputs = input_spec
        self.layout = "channels_first"  # the model's image interface; see set_layout
        self._tensors: dict[str, Any] = {}
        for n, p in self.module.named_parameters():
            self._tensors[n] = p
        for n, b in self.module.named_buffers():
            self._tensors.setdefault(n, b)

    def info(self) -> ModelInfo:
        ws: list[WeightInfo] = []
        seen: set[int] = set()
        has_bn = False
        for mname, m in self.module.named_modules():
            ltype = _nearest_torch_class(m)
            has_bn = has_bn or ltype.startswith("BatchNorm")
            extra: dict[str, Any] = {}
            if hasattr(m, "groups") and hasattr(m, "in_channels"):
                extra = {"groups": int(m.groups), "in_channels": int(m.in_channels)}
            layer = mname or "<root>"
            for pname, p in m.named_parameters(recurse=False):
                if id(p) in seen:
                    continue
                seen.add(id(p))
                full = f"{mname}.{pname}" if mname else pname
                ws.append(WeightInfo(full, tuple(p.shape), layer, ltype, pname, bool(p.requires_grad), dict(extra)))
            for bname, b in m.named_buffers(recurse=False):
                if bname == "num_batches_tracked" or not b.is_floating_point() or id(b) in seen:
                    continue
                seen.add(id(b))
                full = f"{mname}.{bname}" if mname else bname
                ws.append(WeightInfo(full, tuple(b.shape), layer, ltype, bname, False, dict(extra, buffer=True)))
        opt = None
        notes = []
        if self.make_optimizer is not None:
            try:
                o = self.make_optimizer([self.torch.nn.Parameter(self.torch.zeros(1))])
                opt = _describe_torch_opt(o)
            except Exception as e:  # describing is best effort
                notes.append(f"could not describe the declared optimizer: {e}")
        return ModelInfo("torch", "torch", ws, inputs=self.declared_inputs, outputs=None, has_batchnorm=has_bn,
                         optimizer=opt, notes=notes)

    def set_layout(self, layout: str) -> str:
        """Set the model's image interface (``auto`` | ``channels_first`` | ``channels_last``;
        ``auto``: :func:`infer_torch_layout`). Returns the resolved layout.

        ``channels_last``: image inputs are given as they are (NHWC), and a tensor whose layout
        no module tells (model outputs, the input of a ``Flatten``) is taken as channels-last;
        the outputs of channels-first modules (``Conv2d``...) are still read as channels-first.
        """
        if layout not in TORCH_LAYOUTS:
            raise AdapterError(f"torch_layout must be one of {', '.join(TORCH_LAYOUTS)}, not {layout!r}")
        self.layout = infer_torch_layout(self.module) if layout == "auto" else layout
        return self.layout

    # -- helpers
    def _set(self, weights: dict[str, np.ndarray]) -> None:
        torch = self.torch
        with torch.no_grad():
            for n, a in weights.items():
                t = self._tensors.get(n)
                if t is None:
                    raise AdapterError(f"{self.label}: no parameter or buffer named {n!r}")
                t.copy_(torch.from_numpy(np.ascontiguousarray(a)).to(t.device, t.dtype))
            for n, b in self.module.named_buffers():
                if n.endswith("num_batches_tracked"):
                    b.zero_()

    def _inputs(self, inputs: dict[str, np.ndarray]) -> tuple[list[Any], dict[int, str]]:
        torch = self.torch
        xs, tags = [], {}
        for s in self.inputs:
            a = inputs[s.name]
            lay = torch_input_layout(s, self.layout)
            if lay == "channels_first" and a.ndim >= 3:
                a = channels_last_to_first(a)
            t = torch.from_numpy(np.ascontiguousarray(a))
            if t.dtype in (torch.int32, torch.int16, torch.int8, torch.uint8):
                t = t.long()
            t = t.to(self.device)
            tags[id(t)] = "cf" if lay == "channels_first" and a.ndim >= 3 else "same"
            xs.append(t)
        return xs, tags

    @contextlib.contextmanager
    def _dropout_all_kept(self) -> Iterator[None]:
        nn = self.torch.nn
        kinds = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d)
        patched = []
        for m in self.module.modules():
            if isinstance(m, kinds):
                p = float(m.p)
                scale = 0.0 if p >= 1.0 else 1.0 / (1.0 - p)
                m.forward = lambda x, _s=scale: x * _s  # type: ignore[method-assign]
                patched.append(m)
        try:
            yield
        finally:
            for m in patched:
                del m.forward

    def _hook_modules(self) -> list[tuple[str, Any]]:
        mods = []
        for name, m in self.module.named_modules():
            has_children = any(True for _ in m.children())
            own = any(True for _ in m.parameters(recurse=False))
            if name == "" and has_children:
                continue
            if not has_children or own:
                mods.append((name or "<root>", m))
        return mods

    def _run(self, xs: list[Any], tags: dict[int, str], record: bool) -> tuple[list[Tagged], list[Tagged], list[Any]]:
        torch = self.torch
        records: list[Tagged] = []
        keep: list[Any] = []
        # an untagged 4-D+ tensor: channels-first unless the model keeps a channels-last interface
        untagged = "same" if self.layout == "channels_last" else "cf"
        counts: dict[str, int] = {}
        handles = []
        if record:
            for name, m in self._hook_modules():
                ltype = _nearest_torch_class(m)

                def hook(mod: Any, args: Any, out: Any, _n: str = name, _t: str = ltype) -> None:
                    t_out = _first_tensor(out, torch)
                    if t_out is None or not t_out.is_floating_point():
                        return
                    t_in = _first_tensor(args, torch)
                    in_tag = tags.get(id(t_in)) if t_in is not None else None
                    if in_tag is None and t_in is not None:
                        in_tag = untagged if t_in.ndim >= 4 else "same"
                    if _t.startswith(_TORCH_CF) and t_out.ndim >= 3:
                        lay = "cf"
                    elif _t == "Flatten" and in_tag == "cf" and t_in is not None and t_in.ndim >= 3 and t_out.ndim == 2:
                        lay = "flat_cf:" + ",".join(str(int(d)) for d in t_in.shape[1:])
                    elif _t.startswith(_TORCH_SAME):
                        lay = "same"
                    elif t_in is not None and tuple(t_out.shape) == tuple(t_in.shape):
                        lay = in_tag or "same"
                    else:
                        lay = untagged if t_out.ndim >= 4 else "same"
                    tags[id(t_out)] = lay
                    keep.append(t_out)
                    k = counts.get(_n, 0) + 1
                    counts[_n] = k
                    records.append(Tagged(_n if k == 1 else f"{_n}#{k}", _n, _t,
                                          t_out.detach().float().cpu().numpy().copy(), lay))

                handles.append(m.register_forward_hook(hook))
        try:
            out = self.module(*xs)
        finally:
            for h in handles:
                h.remove()
        outs = []
        for name, t in _flatten_outputs(out, torch):
            lay = tags.get(id(t)) or (untagged if t.ndim >= 4 else "same")
            outs.append(Tagged(name, name, "output", t.detach().cpu().numpy().copy(), lay))
        raw = [t for _, t in _flatten_outputs(out, torch)]
        return outs, records, raw

    def _state(self) -> dict[str, np.ndarray]:
        return {n: t.detach().float().cpu().numpy().copy() for n, t in self._tensors.items() if t.is_floating_point()}

    # -- API
    def forward(self, weights: dict[str, np.ndarray], inputs: dict[str, np.ndarray], mode: str) -> ForwardResult:
        self._set(weights)
        train = mode == "train"
        self.module.train(train)
        xs, tags = self._inputs(inputs)
        ctx = self._dropout_all_kept() if train else contextlib.nullcontext()
        with ctx, self.torch.no_grad():
            outs, inter, _ = self._run(xs, tags, record=True)
        return ForwardResult(outs, inter, self._state() if train else None)

    def train(self, weights, inputs, targets, optimizer, steps, loss_scale):  # type: ignore[no-untyped-def]
        torch = self.torch
        self._set(weights)
        self.module.train(True)
        params = [p for p in self.module.parameters() if p.requires_grad]
        if self.make_optimizer is not None:
            opt = self.make_optimizer(params)
        elif optimizer.name == "sgd":
            opt = torch.optim.SGD(params, lr=optimizer.lr, momentum=optimizer.momentum)
        else:
            opt = torch.optim.Adam(params, lr=optimizer.lr, betas=(optimizer.beta1, optimizer.beta2), eps=optimizer.eps)
        names = {id(p): n for n, p in self.module.named_parameters()}
        tt = [torch.from_numpy(np.ascontiguousarray(t)).to(self.device) for t in targets]
        losses: list[float] = []
        grads: dict[str, np.ndarray] = {}
        with self._dropout_all_kept():
            for step in range(steps):
                opt.zero_grad(set_to_none=True)
                xs, tags = self._inputs(inputs)
                _, _, raw = self._run(xs, tags, record=False)
                loss = None
                for o, t in zip(raw, tt):
                    if t is None or not o.is_floating_point():
                        continue
                    term = ((o - t) ** 2).mean()
                    loss = term if loss is None else loss + term
                if loss is None:
                    raise AdapterError(f"{self.label}: no float output to train on")
                loss = loss * loss_scale
                loss.backward()
                losses.append(float(loss.detach().cpu()))
                if step == 0:
                    grads = {names[id(p)]: p.grad.detach().cpu().numpy().copy() for p in params if p.grad is not None}
                opt.step()
        spec = _describe_torch_opt(opt)
        desc = f"torch.optim.{type(opt).__name__}" + (f" {spec.describe()}" if spec else "")
        return TrainResult(losses, grads, self._state(), desc)


def _describe_torch_opt(o: Any) -> OptimizerSpec | None:
    name = type(o).__name__.lower()
    d = o.defaults
    if name == "sgd":
        return OptimizerSpec("sgd", lr=float(d["lr"]), momentum=float(d.get("momentum", 0.0)))
    if name == "adam":
        b1, b2 = d.get("betas", (0.9, 0.999))
        return OptimizerSpec("adam", lr=float(d["lr"]), eps=float(d["eps"]), beta1=float(b1), beta2=float(b2))
    return None


# ============================================================================= keras


def _keras_module(model: Any) -> Any:
    import importlib

    top = type(model).__module__.split(".")[0]
    return importlib.import_module("tf_keras" if top == "tf_keras" else "keras")


def _nearest_keras_class(layer: Any) -> str:
    for cls in type(layer).__mro__:
        if cls.__module__.split(".")[0] in ("keras", "tf_keras"):
            return cls.__name__
    return type(layer).__name__


def _wname(v: Any) -> str:
    n = getattr(v, "path", None) or v.name
    return n.removesuffix(":0")


class KerasAdapter(Adapter):
    """A Keras 3 (``keras``) or Keras 2 (``tf_keras``) model run in this process."""

    def __init__(self, model: Any, label: str = "keras", optimizer: Any = None,
                 input_spec: list[InputSpec] | None = None, compiled: bool = True) -> None:
        super().__init__(label=label, kind="keras", framework="tf")
        self.tf = setup_tf()
        self.model = model
        self.k = _keras_module(model)
        self.declared_inputs = input_spec
        self.optimizer = optimizer if optimizer is not None else getattr(model, "optimizer", None)
        if self.optimizer is not None and not hasattr(self.optimizer, "get_config"):
            self.optimizer = None
        self.layers = self._flat_layers(model, "")
        self._vars = {}
        for _, layer in self.layers:
            for v in layer.weights:
                self._vars.setdefault(_wname(v), v)
        self._sub: Any = None
        self._inter_layers: list[Any] = []
        self._sub_built = False
        self._fns: dict[Any, Any] = {}
        self._opts: dict[str, Any] = {}
        self.compiled = compiled

    def _flat_layers(self, m: Any, prefix: str) -> list[tuple[str, Any]]:
        out = []
        for layer in getattr(m, "layers", []):
            name = f"{prefix}{layer.name}"
            if hasattr(layer, "layers") and isinstance(layer, self.k.Model):
                out += self._flat_layers(layer, name + "/")
            else:
                out.append((name, layer))
        return out

    def _input_names(self) -> list[str]:
        ins = getattr(self.model, "inputs", None) or []
        return [getattr(t, "name", f"input_{i}") for i, t in enumerate(ins)]

    def info(self) -> ModelInfo:
        ws: list[WeightInfo] = []
        has_bn = False
        for lname, layer in self.layers:
            ltype = _nearest_keras_class(layer)
            has_bn = has_bn or ltype == "BatchNormalization"
            extra: dict[str, Any] = {}
            if ltype == "Dense":
                hwc = self._flatten_source(layer)
                if hwc:
                    extra["flatten_hwc"] = hwc
            trainable = {id(v) for v in layer.trainable_weights}
            direction: dict[int, str] = {}
            if ltype == "Bidirectional":
                # forward / backward RNN of one layer: the correspondence splits them in two units
                for d in ("forward", "backward"):
                    sub = getattr(layer, f"{d}_layer", None)
                    if sub is None:
                        continue
                    extra["inner"] = _nearest_keras_class(sub)
                    for v in sub.weights:
                        direction[id(v)] = d
            for v in layer.weights:
                n = _wname(v)
                wextra = dict(extra, direction=direction[id(v)]) if id(v) in direction else dict(extra)
                ws.append(WeightInfo(n, tuple(int(d) for d in v.shape), lname, ltype, n.rsplit("/", 1)[-1],
                                     id(v) in trainable, wextra))
        inputs = self.declared_inputs
        if inputs is None and getattr(self.model, "inputs", None):
            inputs = []
            for name, t in zip(self._input_names(), self.model.inputs):
                dt = getattr(t, "dtype", "float32")
                dt = getattr(dt, "name", dt)
                inputs.append(make_input_spec(name, tuple(t.shape)[1:], str(dt)))
        opt = None
        notes = []
        if self.optimizer is not None:
            cfg = self.optimizer.get_config()
            cname = type(self.optimizer).__name__.lower()
            raw_lr = cfg.get("learning_rate", 0.01)
            if isinstance(raw_lr, dict):
                # A learning-rate schedule: one training step uses its value at the
                # optimizer's current step.
                lr = float(np.asarray(self.optimizer.learning_rate))
                notes.append("learning-rate schedule: the training step uses its current value "
                             f"({lr:g}); later steps are not compared")
            else:
                lr = float(np.asarray(raw_lr))
            if cname == "adam":
                opt = OptimizerSpec("adam", lr=lr, eps=float(cfg.get("epsilon", 1e-7)),
                                    beta1=float(cfg.get("beta_1", 0.9)), beta2=float(cfg.get("beta_2", 0.999)))
            elif cname == "sgd":
                opt = OptimizerSpec("sgd", lr=lr, momentum=float(cfg.get("momentum", 0.0)))
            else:
                notes.append(f"model optimizer {type(self.optimizer).__name__} is used as is")
        return ModelInfo("keras", "tf", ws, inputs=inputs, outputs=self._output_names(), has_batchnorm=has_bn,
                         optimizer=opt, notes=notes)

    def _flatten_source(self, layer: Any) -> list[int] | None:
        try:
            src = layer.input._keras_history[0]
        except Exception:
            return None
        if _nearest_keras_class(src) != "Flatten":
            return None
        try:
            shp = tuple(src.input.shape)[1:]
        except Exception:
            return None
        if len(shp) >= 2 and all(isinstance(d, int) for d in shp):
            return [int(d) for d in shp]
        return None

    def _output_names(self) -> list[str] | None:
        outs = getattr(self.model, "outputs", None)
        if not outs:
            return None
        names = []
        for i, t in enumerate(outs):
            try:
                names.append(t._keras_history[0].name)
            except Exception:
                names.append(f"output_{i}")
        if len(set(names)) != len(names):
            names = [f"{n}_{i}" for i, n in enumerate(names)]
        return names

    def _build_sub(self) -> None:
        if self._sub_built:
            return
        self._sub_built = True
        if not getattr(self.model, "inputs", None) or not getattr(self.model, "outputs", None):
            return
        inter, layers = [], []
        for lname, layer in self.layers:
            if _nearest_keras_class(layer) == "InputLayer" or "/" in lname:
                continue
            try:
                out = layer.output
            except Exception:
                continue
            if isinstance(out, (list, tuple)):
                if not out:
                    continue
                out = out[0]
            inter.append(out)
            layers.append((lname, layer))
        try:
            self._sub = self.k.Model(inputs=self.model.inputs, outputs=list(self.model.outputs) + inter)
            self._inter_layers = layers
        except Exception:
            self._sub = None

    def _set(self, weights: dict[str, np.ndarray]) -> None:
        for n, a in weights.items():
            v = self._vars.get(n)
            if v is None:
                raise AdapterError(f"{self.label}: no weight named {n!r}")
            v.assign(np.asarray(a, dtype=np.float32))

    @contextlib.contextmanager
    def _dropout_all_kept(self) -> Iterator[None]:
        patched = []
        for _, layer in self.layers:
            if isinstance(layer, self.k.layers.Dropout):
                rate = float(layer.rate)
                scale = 0.0 if rate >= 1.0 else 1.0 / (1.0 - rate)
                layer.call = lambda inputs, training=None, _s=scale, **kw: inputs * _s
                patched.append(layer)
        try:
            yield
        finally:
            for layer in patched:
                with contextlib.suppress(AttributeError):
                    object.__delattr__(layer, "call")

    def _state(self) -> dict[str, np.ndarray]:
        return {n: np.asarray(v.numpy(), np.float32).copy() for n, v in self._vars.items()}

    # Forward passes and gradients run through tf.function graphs (one trace per mode, shapes
    # left dynamic): eager Keras costs tens of ms per call. Any tracing problem falls back to eager.
    def _struct(self, xs: list[Any], model: Any) -> Any:
        struct = getattr(model, "_inputs_struct", None)
        if len(xs) == 1 and not isinstance(struct, (list, tuple)):
            return xs[0]
        if isinstance(struct, dict):
            return dict(zip(struct.keys(), xs))
        return list(xs)

    def _in_specs(self) -> list[Any]:
        tf = self.tf
        # keep the static sizes: Keras 3 XLA-compiles a conv (per shape!) whose channels are unknown
        return [tf.TensorSpec([None, *s.shape], tf.as_dtype(s.dtype)) for s in self.inputs]

    def _fwd_fn(self, train: bool) -> Any:
        key = ("fwd", train)
        if key not in self._fns:
            model = self._sub if self._sub is not None else self.model

            def f(*xs: Any) -> Any:
                return _flatten_tf(model(self._struct(list(xs), model), training=train))

            self._fns[key] = self.tf.function(f, input_signature=self._in_specs()) if self.compiled else f
        return self._fns[key]

    def _grad_fn(self, present: tuple[int, ...], tvars: list[Any]) -> Any:
        """``present``: per output, the target's rank (0: no target for that output)."""
        key = ("grad", present)
        if key not in self._fns:
            tf = self.tf
            n_in = len(self.inputs)
            missing: list[bool] = []

            def g(*args: Any) -> Any:
                xs, ts, scale = list(args[:n_in]), list(args[n_in:-1]), args[-1]
                with tf.GradientTape() as tape:
                    outs = _flatten_tf(self.model(self._struct(xs, self.model), training=True))
                    loss = None
                    it = iter(ts)
                    for o, p in zip(outs, present):
                        if not p:
                            continue
                        term = tf.reduce_mean(tf.square(o - next(it)))
                        loss = term if loss is None else loss + term
                    if loss is None:
                        raise AdapterError(f"{self.label}: no float output to train on")
                    loss = loss * scale
                grads = tape.gradient(loss, tvars)
                missing[:] = [gr is None for gr in grads]
                return loss, [tf.zeros_like(v) if gr is None else tf.convert_to_tensor(gr) for gr, v in zip(grads, tvars)]

            if self.compiled:
                tspecs = [tf.TensorSpec([None] * r, tf.float32) for r in present if r]
                fn = tf.function(g, input_signature=self._in_specs() + tspecs + [tf.TensorSpec((), tf.float32)])
            else:
                fn = g
            self._fns[key] = (fn, missing)
        return self._fns[key]

    def _optimizer(self, spec: OptimizerSpec, tvars: list[Any]) -> Any:
        """A fresh-state optimizer. One instance per config is built once and its variables
        (step counter, slots) are reset to their built values before every use: building a new
        Keras optimizer per example re-traces its update functions (~100 ms each)."""
        key = "declared" if self.optimizer is not None else json.dumps(spec.to_dict(), sort_keys=True)
        if key not in self._opts:
            opt = self._fresh_optimizer(spec)
            try:
                opt.build(tvars)
                init = [(v, np.array(v.numpy())) for v in opt.variables]
            except Exception:  # noqa: BLE001 - unknown optimizer API: rebuild every time instead
                self._opts[key] = None
                return opt
            self._opts[key] = (opt, init)
        entry = self._opts[key]
        if entry is None:
            return self._fresh_optimizer(spec)
        opt, init = entry
        for v, a in init:
            v.assign(a)
        return opt

    def _fresh_optimizer(self, spec: OptimizerSpec) -> Any:
        if self.optimizer is not None:
            return type(self.optimizer).from_config(self.optimizer.get_config())
        if spec.name == "sgd":
            return self.k.optimizers.SGD(learning_rate=spec.lr, momentum=spec.momentum)
        return self.k.optimizers.Adam(learning_rate=spec.lr, beta_1=spec.beta1, beta_2=spec.beta2, epsilon=spec.eps)

    def _with_fallback(self, run: Any) -> Any:
        if not self.compiled:
            return run()
        try:
            return run()
        except Exception:  # noqa: BLE001 - retry eagerly; a real model error raises again there
            self.compiled = False
            self._fns.clear()
            return run()

    def forward(self, weights: dict[str, np.ndarray], inputs: dict[str, np.ndarray], mode: str) -> ForwardResult:
        self._set(weights)
        self._build_sub()
        train = mode == "train"
        ctx = self._dropout_all_kept() if train else contextlib.nullcontext()
        names = self._output_names() or []
        xs = [inputs[s.name] for s in self.inputs]
        with ctx:
            res = self._with_fallback(lambda: self._fwd_fn(train)(*xs))
        if self._sub is not None:
            n_out = len(self.model.outputs)
            outs_t, inter_t = res[:n_out], res[n_out:]
        else:
            outs_t, inter_t = res, []
        outs = [Tagged(names[i] if i < len(names) else f"output_{i}", "", "output", _np(t)) for i, t in enumerate(outs_t)]
        inter = [Tagged(ln, ln, _nearest_keras_class(layer), _np(t)) for (ln, layer), t in zip(self._inter_layers, inter_t)]
        return ForwardResult(outs, inter, self._state() if train else None)

    def train(self, weights, inputs, targets, optimizer, steps, loss_scale):  # type: ignore[no-untyped-def]
        self._set(weights)
        tvars = list(self.model.trainable_weights)
        opt = self._optimizer(optimizer, tvars)
        present = tuple(0 if t is None else max(1, np.ndim(t)) for t in targets)
        ts = [t for t in targets if t is not None]
        xs = [inputs[s.name] for s in self.inputs]
        losses: list[float] = []
        grads_out: dict[str, np.ndarray] = {}
        with self._dropout_all_kept():
            for step in range(steps):
                def run() -> Any:
                    fn, missing = self._grad_fn(present, tvars)
                    loss, grads = fn(*xs, *ts, np.float32(loss_scale))
                    return loss, [None if m else gr for gr, m in zip(grads, missing)]

                loss, grads = self._with_fallback(run)
                losses.append(float(np.asarray(loss)))
                if step == 0:
                    grads_out = {_wname(v): _np(g) for v, g in zip(tvars, grads) if g is not None}
                opt.apply_gradients([(g, v) for g, v in zip(grads, tvars) if g is not None])
        cfg = opt.get_config()
        desc = f"{self.k.__name__}.optimizers.{type(opt).__name__}(lr={float(np.asarray(cfg.get('learning_rate', 0))):g}"
        if "epsilon" in cfg:
            desc += f", epsilon={cfg['epsilon']:g}"
        return TrainResult(losses, grads_out, self._state(), desc + ")")


def _np(t: Any) -> np.ndarray:
    if hasattr(t, "values") and hasattr(t, "indices") and hasattr(t, "dense_shape"):  # IndexedSlices
        import tensorflow as tf

        t = tf.convert_to_tensor(t)
    return np.asarray(t.numpy() if hasattr(t, "numpy") else t).copy()


def _flatten_tf(r: Any) -> list[Any]:
    if isinstance(r, dict):
        return list(r.values())
    if isinstance(r, (list, tuple)):
        out = []
        for v in r:
            out += _flatten_tf(v)
        return out
    return [r]


# ============================================================================= TF1 (subprocess)


class _Worker:
    """The TF1 worker subprocess: JSON lines in on stdin, JSON lines out on stdout."""

    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="migrate-check-"))
        self.log_path = self.tmp / "worker.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115
        root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env.update(TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore",
                   PYTHONPATH=root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "migrate.check._tf1_worker"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, env=env,
        )
        self.n = 0
        self.lock = threading.Lock()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def path(self, stem: str) -> str:
        self.n += 1
        return str(self.tmp / f"{stem}-{self.n}.npz")

    def log_tail(self, n: int = 3000) -> str:
        try:
            self._log.flush()
            return self.log_path.read_bytes()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    def call(self, req: dict[str, Any], timeout: float = 900.0) -> dict[str, Any]:
        with self.lock:
            if not self.alive():
                raise AdapterError(f"the TF1 worker exited ({self.proc.returncode}):\n{self.log_tail()}")
            assert self.proc.stdin is not None and self.proc.stdout is not None
            try:
                self.proc.stdin.write((json.dumps(req) + "\n").encode())
                self.proc.stdin.flush()
            except BrokenPipeError as e:
                raise AdapterError(f"the TF1 worker died:\n{self.log_tail()}") from e
            r, _, _ = select.select([self.proc.stdout], [], [], timeout)
            if not r:
                self.close()
                raise AdapterError(f"the TF1 worker did not answer within {timeout:.0f} s:\n{self.log_tail()}")
            line = self.proc.stdout.readline()
            if not line:
                self.proc.wait(5)
                raise AdapterError(f"the TF1 worker died ({self.proc.returncode}):\n{self.log_tail()}")
        resp: dict[str, Any] = json.loads(line)
        if not resp.get("ok"):
            err = resp.get("error", "unknown error")
            if resp.get("where") == "load":
                raise LoadError(f"{err}\n{resp.get('traceback', '')}")
            raise _ModelRunError(err, resp.get("traceback", ""))
        return resp

    def close(self) -> None:
        if self.alive():
            with contextlib.suppress(Exception):
                assert self.proc.stdin is not None
                self.proc.stdin.write(b'{"cmd": "exit"}\n')
                self.proc.stdin.flush()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        for f in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(Exception):
                if f is not None:
                    f.close()
        with contextlib.suppress(Exception):
            self._log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class _ModelRunError(RuntimeError):
    """The model itself raised while running (reported per example, not a setup failure)."""

    def __init__(self, msg: str, tb: str = "") -> None:
        super().__init__(msg)
        self.tb = tb


_WORKER: _Worker | None = None
_WORKER_LOCK = threading.Lock()


def tf1_worker() -> _Worker:
    """The process-wide TF1 worker (started on first use, stopped at exit)."""
    global _WORKER
    with _WORKER_LOCK:
        if _WORKER is None or not _WORKER.alive():
            _WORKER = _Worker()
            atexit.register(_WORKER.close)
        return _WORKER


def shutdown_tf1_worker() -> None:
    global _WORKER
    with _WORKER_LOCK:
        if _WORKER is not None:
            _WORKER.close()
            _WORKER = None


class Tf1Adapter(Adapter):
    """A TF1 graph built by ``file.py:build_fn`` in the worker subprocess."""

    def __init__(self, spec: str, label: str = "tf1", seed: int = 0) -> None:
        super().__init__(label=label, kind="tf1", framework="tf")
        self.w = tf1_worker()
        resp = self.w.call({"cmd": "load", "spec": spec, "seed": seed}, timeout=600)
        self.mid = resp["model"]
        self._info = ModelInfo.from_dict(resp["info"])
        self._inter_meta = resp.get("intermediates", [])

    def info(self) -> ModelInfo:
        return self._info

    def _send(self, arrays: dict[str, np.ndarray]) -> str:
        p = self.w.path("in")
        np.savez(p, **arrays)
        return p

    def forward(self, weights: dict[str, np.ndarray], inputs: dict[str, np.ndarray], mode: str) -> ForwardResult:
        arrays = {f"w:{k}": v for k, v in weights.items()} | {f"x:{k}": v for k, v in inputs.items()}
        pin, pout = self._send(arrays), self.w.path("out")
        try:
            resp = self.w.call({"cmd": "forward", "model": self.mid, "in": pin, "out": pout, "mode": mode})
            with np.load(pout) as z:
                data = {k: z[k] for k in z.files}
        finally:
            for p in (pin, pout):
                with contextlib.suppress(OSError):
                    os.unlink(p)
        outs = [Tagged(n, n, "output", data[f"y:{i}"]) for i, n in enumerate(resp["outputs"])]
        inter = [Tagged(m["name"], m["layer"], m["type"], data[f"h:{i}"]) for i, m in enumerate(resp["intermediates"])]
        state = {k[2:]: v for k, v in data.items() if k.startswith("s:")} if mode == "train" else None
        return ForwardResult(outs, inter, state)

    def train(self, weights, inputs, targets, optimizer, steps, loss_scale):  # type: ignore[no-untyped-def]
        arrays = {f"w:{k}": v for k, v in weights.items()} | {f"x:{k}": v for k, v in inputs.items()}
        arrays |= {f"t:{i}": t for i, t in enumerate(targets) if t is not None}
        pin, pout = self._send(arrays), self.w.path("out")
        try:
            resp = self.w.call({"cmd": "train", "model": self.mid, "in": pin, "out": pout,
                                "optimizer": optimizer.to_dict(), "steps": steps, "loss_scale": loss_scale})
            with np.load(pout) as z:
                data = {k: z[k] for k in z.files}
        finally:
            for p in (pin, pout):
                with contextlib.suppress(OSError):
                    os.unlink(p)
        grads = {k[2:]: v for k, v in data.items() if k.startswith("g:")}
        after = {k[2:]: v for k, v in data.items() if k.startswith("a:")}
        return TrainResult(list(resp["losses"]), grads, after, resp.get("optimizer", ""))

    def close(self) -> None:
        if self.w.alive():
            with contextlib.suppress(Exception):
                self.w.call({"cmd": "unload", "model": self.mid}, timeout=60)


# ============================================================================= factory


def _unpack_factory_result(ret: Any) -> tuple[Any, Any, Any]:
    """(model, optimizer, input_spec) from what an in-process factory returned."""
    if isinstance(ret, dict) and "model" in ret:
        return ret["model"], ret.get("optimizer"), ret.get("input_spec")
    if isinstance(ret, tuple) and len(ret) == 2 and not isinstance(ret[0], dict):
        return ret[0], ret[1], None
    return ret, None, None


def make_adapter(model: Any, kind: str | None, *, label: str, seed: int = 0, device: str = "auto") -> Adapter:
    """An adapter for a spec string, a factory callable or a built model object.

    Without ``kind``: a factory whose source builds a TF1 graph goes to the worker subprocess;
    any other factory is called here and its result's type decides (torch or Keras).
    """
    from .options import normalize_input_specs

    if isinstance(model, Adapter):
        return model
    if kind not in (None, "tf1", "keras", "torch"):
        raise LoadError(f"unknown model kind {kind!r}: use tf1, keras or torch")
    is_factory = callable(model) and detect_kind_is_factory(model)
    spec = model if isinstance(model, str) else spec_of_callable(model) if is_factory else None
    if kind is None and spec is not None and looks_tf1(spec):
        kind = "tf1"
    if kind == "tf1":
        if not spec:
            raise LoadError("a TF1 model must be given as 'file.py:build_fn' (it is built in a subprocess)")
        return Tf1Adapter(spec, label=label, seed=seed)
    obj = model
    if isinstance(model, str) or is_factory:
        factory = load_factory(model) if isinstance(model, str) else model
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        try:
            obj = factory()
        except Exception as e:
            raise LoadError(f"calling {_name(model)} failed: {type(e).__name__}: {e}") from e
    obj, opt, ispec = _unpack_factory_result(obj)
    kind = kind or detect_kind(obj)
    ispec = normalize_input_specs(ispec)
    if kind == "torch":
        if opt is None:
            opt = getattr(obj, "migrate_optimizer", None)
        return TorchAdapter(obj, label=label, make_optimizer=opt, device=device, input_spec=ispec)
    return KerasAdapter(obj, label=label, optimizer=opt, input_spec=ispec)


def _name(model: Any) -> str:
    return model if isinstance(model, str) else getattr(model, "__qualname__", repr(model))


def detect_kind_is_factory(obj: Any) -> bool:
    """A plain function (not an nn.Module / Keras model, which are callable too)."""
    mods = [c.__module__ for c in type(obj).__mro__]
    return not any(m.startswith("torch.nn") or m.split(".")[0] in ("keras", "tf_keras") for m in mods)
