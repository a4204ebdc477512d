"""Keras optimizers and losses -> torch.optim / torch.nn (data for PT1007 and PT1008).

Optimizer entries use the op-table template language (see ``tables/ops.py``); ``$params``
is the parameter iterable the rule finds for the optimizer (torch optimizers take it at
construction). Keras defaults are pinned where torch's differ (Adam epsilon 1e-7 vs 1e-8,
SGD learning rate 0.01 vs 0.001, AdamW weight decay 0.004 vs 0.01).
"""

from __future__ import annotations

from typing import Any

_OPT_MANUAL = {
    "weight_decay": "Keras weight_decay is decoupled: use torch.optim.AdamW (or decoupled_weight_decay=True)",
    "clipnorm": "clip each gradient with torch.nn.utils.clip_grad_norm_ before optimizer.step() (Keras clips per variable)",
    "clipvalue": "call torch.nn.utils.clip_grad_value_ before optimizer.step()",
    "global_clipnorm": "call torch.nn.utils.clip_grad_norm_(params, max_norm) before optimizer.step()",
    "use_ema": "keep an EMA copy with torch.optim.swa_utils.AveragedModel",
    "ema_momentum": "keep an EMA copy with torch.optim.swa_utils.AveragedModel",
    "ema_overwrite_frequency": "keep an EMA copy with torch.optim.swa_utils.AveragedModel",
    "loss_scale_factor": "use torch.amp.GradScaler",
    "gradient_accumulation_steps": "accumulate by calling optimizer.step() every N backward passes",
    "decay": "Keras 2 `decay`: use a torch.optim.lr_scheduler",
}
_OPT_OK: dict[str, list[Any]] = {k: [None, False] for k in _OPT_MANUAL}
_OPT_COMMON = ["weight_decay", "clipnorm", "clipvalue", "global_clipnorm", "use_ema", "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor", "gradient_accumulation_steps"]

OPTIMIZERS: dict[str, dict[str, Any]] = {
    "keras.optimizers.Adam": {
        "params": ["learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad", *_OPT_COMMON],
        "to": "torch.optim.Adam($params, lr=$learning_rate, betas=($beta_1, $beta_2), eps=$epsilon, amsgrad=$amsgrad)",
        "defaults": {"learning_rate": "0.001", "beta_1": "0.9", "beta_2": "0.999", "epsilon": "1e-7"},
        "aliases": {"lr": "learning_rate"},
        "manual": _OPT_MANUAL,
        "ok": _OPT_OK,
        "note": "Keras adds epsilon before the bias correction ('epsilon hat'), torch after: updates differ by O(epsilon)",
    },
    "keras.optimizers.AdamW": {
        "params": ["learning_rate", "weight_decay", "beta_1", "beta_2", "epsilon", "amsgrad", *_OPT_COMMON[1:]],
        "to": "torch.optim.AdamW($params, lr=$learning_rate, betas=($beta_1, $beta_2), eps=$epsilon, weight_decay=$weight_decay, amsgrad=$amsgrad)",
        "defaults": {"learning_rate": "0.001", "weight_decay": "0.004", "beta_1": "0.9", "beta_2": "0.999", "epsilon": "1e-7"},
        "aliases": {"lr": "learning_rate"},
        "manual": {k: v for k, v in _OPT_MANUAL.items() if k != "weight_decay"},
        "ok": _OPT_OK,
        "note": "Keras adds epsilon before the bias correction ('epsilon hat'), torch after: updates differ by O(epsilon)",
    },
    "keras.optimizers.SGD": {
        "params": ["learning_rate", "momentum", "nesterov", *_OPT_COMMON],
        "to": "torch.optim.SGD($params, lr=$learning_rate, momentum=$momentum, nesterov=$nesterov)",
        "defaults": {"learning_rate": "0.01"},
        "aliases": {"lr": "learning_rate"},
        "manual": _OPT_MANUAL,
        "ok": _OPT_OK,
        "note": "momentum updates agree while the learning rate is constant",
    },
    "keras.optimizers.RMSprop": {
        "params": ["learning_rate", "rho", "momentum", "epsilon", "centered", *_OPT_COMMON],
        "to": "torch.optim.RMSprop($params, lr=$learning_rate, alpha=$rho, eps=$epsilon, momentum=$momentum, centered=$centered)",
        "defaults": {"learning_rate": "0.001", "rho": "0.9", "epsilon": "1e-7"},
        "aliases": {"lr": "learning_rate"},
        "manual": _OPT_MANUAL,
        "ok": _OPT_OK,
        "unsafe": True,
        "note": "Keras divides by sqrt(v + epsilon), torch by sqrt(v) + eps: steps agree for gradients well above sqrt(epsilon / (1 - rho)) (~1e-3) and differ for smaller ones",
    },
    "keras.optimizers.Adagrad": {
        "params": ["learning_rate", "initial_accumulator_value", "epsilon", *_OPT_COMMON],
        "to": "torch.optim.Adagrad($params, lr=$learning_rate, initial_accumulator_value=$initial_accumulator_value, eps=$epsilon)",
        "defaults": {"learning_rate": "0.001", "initial_accumulator_value": "0.1", "epsilon": "1e-7"},
        "aliases": {"lr": "learning_rate"},
        "manual": _OPT_MANUAL,
        "ok": _OPT_OK,
        "note": "Keras divides by sqrt(acc + epsilon), torch by sqrt(acc) + eps: with the accumulator starting at 0.1 the steps differ by less than 1e-6 relative",
    },
}
for _name in list(OPTIMIZERS):
    OPTIMIZERS["optimizers." + _name.split(".")[-1]] = OPTIMIZERS[_name]  # tf.optimizers.Adam

# Keras loss classes: the constructor's parameters (positional order) and the kind the
# loss rule knows how to write.
LOSSES: dict[str, dict[str, Any]] = {
    "keras.losses.SparseCategoricalCrossentropy": {"kind": "sparse_cce", "params": ["from_logits", "ignore_class", "reduction", "axis", "name", "dtype"]},
    "keras.losses.CategoricalCrossentropy": {"kind": "cce", "params": ["from_logits", "label_smoothing", "axis", "reduction", "name", "dtype"]},
    "keras.losses.BinaryCrossentropy": {"kind": "bce", "params": ["from_logits", "label_smoothing", "axis", "reduction", "name", "dtype"]},
    "keras.losses.MeanSquaredError": {"kind": "mse", "params": ["reduction", "name", "dtype"]},
    "keras.losses.MeanAbsoluteError": {"kind": "mae", "params": ["reduction", "name", "dtype"]},
    "keras.losses.Huber": {"kind": "huber", "params": ["delta", "reduction", "name", "dtype"]},
}
for _name in list(LOSSES):
    LOSSES["losses." + _name.split(".")[-1]] = LOSSES[_name]  # tf.losses.X (TF2 alias of tf.keras.losses.X)
