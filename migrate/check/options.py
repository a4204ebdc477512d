"""Options and descriptions exchanged by the checker's parts (plain data, numpy at most)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

__all__ = [
    "CheckOptions",
    "InputSpec",
    "ModelInfo",
    "OptimizerSpec",
    "WeightInfo",
    "normalize_input_specs",
]


@dataclass(frozen=True)
class OptimizerSpec:
    """An optimizer, described as data so that each framework can build its own.

    ``name`` is ``"sgd"`` or ``"adam"``. ``eps`` is the framework's own epsilon argument: Keras
    and ``tf.train.AdamOptimizer`` use it as "epsilon hat" (added to ``sqrt(v)`` before bias
    correction of the step size), ``torch.optim.Adam`` adds it to ``sqrt(v_hat)``. The two are
    *not* the same optimizer, and the checker reports the difference when it matters.
    """

    name: str = "sgd"
    lr: float = 0.01
    eps: float = 1e-7
    beta1: float = 0.9
    beta2: float = 0.999
    momentum: float = 0.0

    def __post_init__(self) -> None:
        if self.name not in ("sgd", "adam"):
            raise ValueError(f"optimizer must be 'sgd' or 'adam', not {self.name!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        if self.name == "sgd":
            return f"sgd(lr={self.lr:g}" + (f", momentum={self.momentum:g})" if self.momentum else ")")
        return f"adam(lr={self.lr:g}, eps={self.eps:g}, beta1={self.beta1:g}, beta2={self.beta2:g})"

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> OptimizerSpec:
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})

    @classmethod
    def parse(cls, text: str) -> OptimizerSpec:
        """Parse ``"adam"``, ``"adam:lr=1e-3,eps=1e-7"``, ``"sgd:lr=0.1,momentum=0.9"``."""
        name, _, rest = text.partition(":")
        kw: dict[str, float] = {}
        for part in filter(None, (p.strip() for p in rest.split(","))):
            k, _, v = part.partition("=")
            kw[k.strip()] = float(v)
        return cls(name=name.strip().lower(), **kw)  # type: ignore[arg-type]


@dataclass(frozen=True)
class InputSpec:
    """One model input, in the OLD model's layout (channels-last for images).

    ``shape`` excludes the batch axis; ``None`` marks a size the checker draws per example
    (dims at the same position are shared by all inputs, so tokens and their mask agree).
    ``kind``: ``"float"`` (normal values; ``low``/``high`` give a uniform range instead),
    ``"int"`` (token ids in ``[low, high)``; ``high`` defaults to the smallest embedding vocab),
    ``"mask"`` (0/1 values, some rows fully masked), ``"bool"``.
    ``torch_layout`` (how a torch model receives it): ``"auto"`` (channels-first for float
    inputs of rank >= 3 without the batch axis, i.e. images and volumes), ``"same"`` or
    ``"channels_first"`` (e.g. for Conv1d on ``(L, C)`` sequences).
    ``dim_ranges`` optionally bounds drawn sizes: ``{axis: (lo, hi)}`` (axis counted without batch).
    """

    name: str
    shape: tuple[int | None, ...]
    dtype: str = "float32"
    kind: str = "float"
    low: float | None = None
    high: float | None = None
    torch_layout: str = "auto"
    dim_ranges: tuple[tuple[int, int, int], ...] = ()  # (axis, lo, hi)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["shape"] = list(self.shape)
        d["dim_ranges"] = [list(r) for r in self.dim_ranges]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> InputSpec:
        d = dict(d)
        d["shape"] = tuple(None if s is None or s == -1 else int(s) for s in d.get("shape", ()))
        if isinstance(d.get("dim_ranges"), dict):
            d["dim_ranges"] = tuple((int(k), int(v[0]), int(v[1])) for k, v in d["dim_ranges"].items())
        else:
            d["dim_ranges"] = tuple(tuple(int(x) for x in r) for r in d.get("dim_ranges", ()))
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


def _guess_kind(name: str, dtype: str) -> str:
    lname = name.lower()
    if "mask" in lname:
        return "mask"
    if dtype == "bool":
        return "bool"
    if dtype.startswith(("int", "uint")):
        return "int"
    return "float"


def make_input_spec(name: str, shape: Any, dtype: str) -> InputSpec:
    dims = tuple(None if d is None or (isinstance(d, int) and d < 0) else int(d) for d in shape)
    return InputSpec(name=name, shape=dims, dtype=dtype, kind=_guess_kind(name, dtype))


def normalize_input_specs(spec: Any) -> list[InputSpec] | None:
    """Accept ``None``, a list of :class:`InputSpec`/dicts, or ``{name: shape | dict}``."""
    if spec is None:
        return None
    out: list[InputSpec] = []
    if isinstance(spec, dict):
        for name, v in spec.items():
            if isinstance(v, InputSpec):
                out.append(replace(v, name=name))
            elif isinstance(v, dict):
                d = dict(v)
                d.setdefault("name", name)
                s = InputSpec.from_dict(d)
                if "kind" not in v:
                    s = replace(s, kind=_guess_kind(s.name, s.dtype))
                out.append(s)
            else:
                out.append(make_input_spec(name, tuple(v), "float32"))
        return out
    for v in spec:
        if isinstance(v, InputSpec):
            out.append(v)
        else:
            d = dict(v)
            s = InputSpec.from_dict(d)
            if "kind" not in d:
                s = replace(s, kind=_guess_kind(s.name, s.dtype))
            out.append(s)
    return out


@dataclass(frozen=True)
class WeightInfo:
    """One named weight of a model, as an adapter lists it.

    ``layer`` is the owning layer/module path, ``layer_type`` its class (for torch and Keras the
    nearest known framework class, e.g. ``"Conv2d"``, ``"Dense"``; for TF1 graphs inferred from
    the ops that read the variable, e.g. ``"TF1LSTMCell"``), ``role`` the short name
    (``kernel``, ``bias``, ``weight_ih_l0``...). ``extra`` carries layout facts such as
    ``flatten_hwc`` (Dense fed by a Flatten of that channels-last map), ``forget_bias``,
    ``groups``/``in_channels``.
    """

    name: str
    shape: tuple[int, ...]
    layer: str
    layer_type: str | None
    role: str
    trainable: bool = True
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["shape"] = list(self.shape)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WeightInfo:
        d = dict(d)
        d["shape"] = tuple(int(s) for s in d["shape"])
        return cls(**d)


@dataclass
class ModelInfo:
    """What an adapter knows about its model before running it."""

    kind: str  # torch | keras | tf1
    framework: str  # torch | tf
    weights: list[WeightInfo]
    inputs: list[InputSpec] | None = None
    outputs: list[str] | None = None
    has_batchnorm: bool = False
    optimizer: OptimizerSpec | None = None  # declared by the model itself, if any
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "framework": self.framework,
            "weights": [w.to_dict() for w in self.weights],
            "inputs": None if self.inputs is None else [i.to_dict() for i in self.inputs],
            "outputs": self.outputs,
            "has_batchnorm": self.has_batchnorm,
            "optimizer": self.optimizer.to_dict() if self.optimizer else None,
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelInfo:
        return cls(
            kind=d["kind"],
            framework=d["framework"],
            weights=[WeightInfo.from_dict(w) for w in d["weights"]],
            inputs=None if d.get("inputs") is None else [InputSpec.from_dict(i) for i in d["inputs"]],
            outputs=d.get("outputs"),
            has_batchnorm=bool(d.get("has_batchnorm")),
            optimizer=OptimizerSpec.from_dict(d["optimizer"]) if d.get("optimizer") else None,
            notes=list(d.get("notes", ())),
        )


@dataclass(frozen=True)
class CheckOptions:
    """How to check. Defaults: float32, max-abs 1e-5 on outputs, 1e-4 after a training step.

    * ``modes``: forward modes compared elementwise. ``"eval"``: inference (BN moving stats,
      dropout off). ``"train"``: training-mode forward (BN batch stats, BN running stats after
      the forward compared too; dropout layers run with an all-kept mask so their scale
      ``1/(1-rate)`` is compared deterministically).
    * ``train_step``: run ``steps`` optimizer steps on the loss ``loss_scale * sum(mean((y -
      target)**2))`` with a generated target, and compare loss, gradients (first step) and
      weights after the last step with ``train_atol``.
    * ``optimizer``: used by a side whose model declares none (a compiled Keras model, a torch
      factory returning ``(module, make_optimizer)``, a TF1 factory returning ``optimizer``).
    * ``mapping``: ``{old_name: new_name}`` (or a JSON/TOML file path) pinning weight pairs;
      the rest is inferred.
    * ``input_spec``: list of :class:`InputSpec` or ``{name: shape}``; defaults to the old
      model's declared inputs.
    * ``shrink_budget``: extra model runs allowed for shrinking a failing example.
    * ``device``: ``auto`` runs torch on CUDA when available (TF32 off in both frameworks).
    * ``torch_threads``: torch CPU threads while checking (1: small models in a process that
      also runs TensorFlow are several times faster single-threaded); ``None`` leaves it.
    * ``torch_layout``: the image interface of the torch model(s). ``"channels_first"``: image
      inputs (float, rank >= 3 without batch) are transposed NHWC -> NCHW for torch, 4-D+
      outputs read back as NCHW, and a Dense after a Flatten gets its kernel rows reordered
      for a channels-first ``nn.Flatten``. ``"channels_last"``: the torch model takes and
      returns Keras' NHWC tensors (as the tf2-to-torch pack writes it: the convolutions run
      inside its ``ChannelsLast`` helper), so inputs and outputs are compared as they are and
      Dense rows keep their Keras order. ``"auto"`` (default): ``channels_last`` when the
      torch model contains the pack's ``ChannelsLast`` helper, else ``channels_first`` (the
      only inference made: a hand-written NHWC model needs ``"channels_last"``).
      ``InputSpec.torch_layout`` other than ``"auto"`` still wins for its input.
    """

    atol: float = 1e-5
    train_atol: float = 1e-4
    rtol: float = 0.0
    max_examples: int = 20
    seed: int = 0
    train_step: bool = True
    steps: int = 1
    modes: tuple[str, ...] = ("eval", "train")
    optimizer: OptimizerSpec = field(default_factory=OptimizerSpec)
    loss_scale: float = 1.0
    mapping: Any = None
    input_spec: Any = None
    max_batch: int = 4
    min_batch: int = 1
    spatial_range: tuple[int, int] = (4, 11)
    seq_range: tuple[int, int] = (1, 8)
    nonfinite: bool = False
    shrink_budget: int = 40
    device: str = "auto"  # auto | cpu | cuda
    torch_threads: int | None = 1  # small models: one thread beats contention with TF's pool
    torch_layout: str = "auto"  # auto | channels_first | channels_last
    name: str | None = None
    old_kind: str | None = None
    new_kind: str | None = None
    plot_base64: bool = False

    def __post_init__(self) -> None:
        bad = set(self.modes) - {"eval", "train"}
        if bad:
            raise ValueError(f"unknown modes {sorted(bad)}: use 'eval' and/or 'train'")
        if self.max_examples < 1:
            raise ValueError("max_examples must be >= 1")
        if self.torch_layout not in ("auto", "channels_first", "channels_last"):
            raise ValueError(
                f"torch_layout must be 'auto', 'channels_first' or 'channels_last', not {self.torch_layout!r}"
            )

    def tolerance_dict(self) -> dict[str, float]:
        return {"atol": self.atol, "train_atol": self.train_atol, "rtol": self.rtol}
