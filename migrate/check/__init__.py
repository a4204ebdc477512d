"""Numeric equivalence checker: does the migrated model compute what the old one computed?

``check(old, new, options) -> CheckResult`` runs both models on the same generated inputs
*and* the same generated weights (the old model's random weights, converted to the new
model's layout), compares outputs, per-layer intermediates, running statistics and one
training step, and shrinks a failing example to the smallest one (Hypothesis). **It imports
and runs the given model code**; TF1 graphs run in a worker subprocess.

Importing this package imports neither TensorFlow nor torch.

Model factory conventions
=========================

A model is named by a factory spec ``path/to/file.py:build_fn``: the file is imported by path
(``importlib``) in the process that runs the model and ``build_fn()`` is called with no
arguments. Python objects can be passed instead (a built ``nn.Module`` or Keras model, or a
module-level factory function). The kind is detected from the source (``--old-kind`` /
``--new-kind`` force it):

``torch`` -- ``build_fn()`` returns an ``nn.Module``, or ``(module, make_optimizer)``, or
    ``{"model": module, "optimizer": make_optimizer, "input_spec": {...}}`` where
    ``make_optimizer(params) -> torch.optim.Optimizer`` is the migrated optimizer (a module
    attribute ``migrate_optimizer`` works too). ``forward`` takes the inputs positionally in
    input-spec order and returns a tensor, a tuple/list or a dict of tensors. Images are
    channels-first unless ``CheckOptions.torch_layout`` (``--torch-layout``) says
    ``channels_last``; ``auto`` (the default) picks channels-last for models converted by
    the tf2-to-torch pack, which keep the Keras NHWC interface (its ``ChannelsLast``
    helper), and channels-first otherwise. Dropout must be ``nn.Dropout*`` modules
    (functional dropout cannot be made deterministic). Runs in-process.

``keras`` -- ``build_fn()`` returns a Keras 3 model (``keras`` / ``tf.keras`` in TF 2.21) or a
    ``tf_keras`` model; functional or Sequential models with an ``Input`` give per-layer
    outputs. A compiled model's optimizer is the model's optimizer (``{"model": m,
    "optimizer": opt}`` also works). Runs in-process.

``tf1`` -- ``build_fn()`` is called inside a fresh ``tf.Graph`` in a subprocess running
    ``tensorflow.compat.v1`` with ``disable_v2_behavior()`` and ``TF_USE_LEGACY_KERAS=1``
    (so ``tf.layers`` works). It returns ``(inputs, outputs)`` -- dicts of name ->
    placeholder / tensor -- optionally followed by a scalar ``loss`` tensor and a third dict
    of named intermediate tensors; or a dict with keys ``inputs``, ``outputs``, ``loss``,
    ``intermediates``, ``optimizer`` (a ``tf.train`` optimizer: the model's own),
    ``feeds``/``train_feeds``/``eval_feeds`` (placeholder -> value, e.g. ``keep_prob``).
    A scalar boolean placeholder in ``inputs`` is the training flag, fed with the mode.
    Variables are initialised, then overwritten with the generated weights. Without an
    intermediates dict, the last op of each weighted layer's name scope is used.

Inputs are described by the old model (Keras ``Input``, TF1 placeholders; ``None`` sizes
are drawn per example, both parities) or by ``CheckOptions.input_spec``. Integer inputs are
token ids below the smallest embedding vocabulary; inputs named ``*mask*`` are 0/1 masks with
fully masked rows drawn too.

Weights are paired by an explicit map ``{old_name: new_name}`` (``CheckOptions.mapping``, a
dict or a JSON/TOML file; layer names work too) or inferred per layer family in order, with
shapes checked after layout conversion; ambiguity is an error that names the weights.

What is compared, per example (float32; max-abs ``atol`` 1e-5, ``train_atol`` 1e-4 after a
step; NaN/Inf positions must agree):

* eval-mode forward: outputs and every paired layer output;
* train-mode forward: the same, plus running statistics afterwards (BatchNorm momentum);
  dropout runs with an all-kept mask, so its ``1/(1-rate)`` scale is compared exactly;
* ``steps`` optimizer steps on ``mean((y - target)**2)``: loss, first-step gradients and the
  weights after the last step. Each side uses its model's own optimizer, else
  ``CheckOptions.optimizer`` (SGD lr 0.01) built in its framework.

Divergences found this way that a faithful twin must handle (the report adds a hint): Keras 3
BatchNormalization stores the *biased* batch variance (torch and TF1's fused batch norm the
unbiased one); torch RNNs train two biases where TF has one (freeze ``bias_hh`` at zero);
Keras/TF Adam's epsilon is "epsilon hat" (torch: ``eps_t = eps / sqrt(1 - beta2**t)``).

Result: ``CheckResult.equivalent``, ``max_abs_diff``, per-output / per-layer differences,
``first_divergent_layer`` (the likely culprit), ``worst_layer``, the smallest failing example,
training-step differences (``train``), ``to_dict()`` (JSON-safe, for ``RunResult.equivalence``)
and ``plot_png(path)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .options import CheckOptions, InputSpec, ModelInfo, OptimizerSpec, WeightInfo

if TYPE_CHECKING:
    from .correspondence import Correspondence, CorrespondenceError, build_correspondence, load_mapping
    from .result import CheckResult

#: imported on first use (they need numpy; the ``migrate`` command line registers the
#: checker's commands at start-up and should not pay for numpy when rewriting code)
_LAZY = {"Correspondence", "CorrespondenceError", "build_correspondence", "load_mapping"}

__all__ = [
    "CheckOptions",
    "CheckResult",
    "Correspondence",
    "CorrespondenceError",
    "InputSpec",
    "ModelInfo",
    "OptimizerSpec",
    "WeightInfo",
    "build_correspondence",
    "check",
    "load_mapping",
]


def check(old: Any, new: Any, options: CheckOptions | None = None, **overrides: Any) -> CheckResult:
    """Check that ``new`` computes what ``old`` computes.

    ``old``/``new``: factory specs ``"file.py:build_fn"``, built models, or factories.
    ``options``: :class:`CheckOptions`; keyword ``overrides`` replace its fields.
    Never raises for model problems: a model that cannot be loaded, paired or run gives
    ``status == "error"`` with ``error`` set.
    """
    from .runner import check as _check

    return _check(old, new, options, **overrides)


def __getattr__(name: str) -> Any:
    if name == "CheckResult":
        from .result import CheckResult

        return CheckResult
    if name in _LAZY:
        from . import correspondence

        return getattr(correspondence, name)
    raise AttributeError(name)
