"""Training-side helpers of the tf2-to-torch pack (not a rule module).

* the explicit training / evaluation / prediction loops that ``model.fit/evaluate/predict``
  become (written into the converted file next to the imports, like ``ChannelsLast``);
* the Keras compile vocabulary: string losses, optimizers and metrics -> torch source;
* Keras learning-rate schedules -> a Python function of the step (for ``LambdaLR``).

The loops follow Keras 3's ``fit``: the epoch loss is the mean of the batch losses weighted
by the batch sizes, metrics are computed on the predictions made before each optimizer
step and averaged over all samples, validation runs in eval mode after each epoch with the
same batch size. ``keras_tensor`` converts inputs as Keras does: floating arrays to
float32, integer arrays to int64 (class indices for torch's losses, token ids for
``nn.Embedding``).
"""

from __future__ import annotations

from typing import Any

import libcst as cst

from rules.tf2_to_torch._common import (
    HELPERS,
    NOT_LITERAL,
    code_of,
    keyword_args,
    literal,
    tf_rest,
)

# --------------------------------------------------------------------------------------
# loops written into converted files

LOOP_HELPERS: dict[str, str] = {
    "keras_tensor": '''def keras_tensor(a):
    """`a` as Keras feeds it to a model: floating values as float32, integers as int64."""
    t = torch.as_tensor(a)
    return t.float() if t.is_floating_point() else t.long()
''',
    "fit_model": '''def fit_model(model, optimizer, loss_fn, x, y, batch_size=32, epochs=1, shuffle=True, validation_data=None, metrics=None, scheduler=None):
    """Keras Model.fit as an explicit loop; returns the per-epoch logs like Keras' History."""
    metrics = metrics or {}
    loader = DataLoader(TensorDataset(keras_tensor(x), keras_tensor(y)), batch_size=batch_size, shuffle=shuffle)
    history = {}
    for _ in range(epochs):
        model.train()
        seen, totals = 0, dict.fromkeys(["loss", *metrics], 0.0)
        for xb, yb in loader:
            optimizer.zero_grad()
            pred = model(xb)
            loss = loss_fn(pred, yb)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            seen += len(xb)
            totals["loss"] += loss.item() * len(xb)
            for name, metric in metrics.items():
                totals[name] += metric(pred.detach(), yb).sum().item()
        logs = {name: total / seen for name, total in totals.items()}
        if validation_data is not None:
            val = evaluate_model(model, loss_fn, *validation_data, batch_size=batch_size, metrics=metrics, return_dict=True)
            logs.update({"val_" + name: value for name, value in val.items()})
        for name, value in logs.items():
            history.setdefault(name, []).append(value)
    return SimpleNamespace(history=history)
''',
    "evaluate_model": '''def evaluate_model(model, loss_fn, x, y, batch_size=32, metrics=None, return_dict=False):
    """Keras Model.evaluate: the loss (then the metrics) averaged over all samples, eval mode."""
    metrics = metrics or {}
    model.eval()
    seen, totals = 0, dict.fromkeys(["loss", *metrics], 0.0)
    with torch.no_grad():
        for xb, yb in DataLoader(TensorDataset(keras_tensor(x), keras_tensor(y)), batch_size=batch_size):
            pred = model(xb)
            seen += len(xb)
            totals["loss"] += loss_fn(pred, yb).item() * len(xb)
            for name, metric in metrics.items():
                totals[name] += metric(pred, yb).sum().item()
    logs = {name: total / seen for name, total in totals.items()}
    if return_dict:
        return logs
    return list(logs.values()) if metrics else logs["loss"]
''',
    "predict_model": '''def predict_model(model, x, batch_size=32):
    """Keras Model.predict: the outputs in eval mode, batch by batch, as a NumPy array."""
    model.eval()
    with torch.no_grad():
        loader = DataLoader(TensorDataset(keras_tensor(x)), batch_size=batch_size)
        return torch.cat([model(xb) for (xb,) in loader]).numpy()
''',
}
for _name, _code in LOOP_HELPERS.items():
    HELPERS.setdefault(_name, _code)

# helper -> the helpers and imports it needs
LOOP_NEEDS: dict[str, list[str]] = {
    "fit_model": ["keras_tensor", "evaluate_model"],
    "evaluate_model": ["keras_tensor"],
    "predict_model": ["keras_tensor"],
}
LOOP_IMPORTS: dict[str, list[tuple[str, str | None]]] = {
    "fit_model": [("torch.utils.data", "DataLoader"), ("torch.utils.data", "TensorDataset"), ("types", "SimpleNamespace")],
    "evaluate_model": [("torch.utils.data", "DataLoader"), ("torch.utils.data", "TensorDataset")],
    "predict_model": [("torch.utils.data", "DataLoader"), ("torch.utils.data", "TensorDataset")],
    "keras_tensor": [("torch", None)],
}

# --------------------------------------------------------------------------------------
# compile vocabulary

CLIP_NOTE = "Keras clips probabilities to [1e-7, 1 - 1e-7] (and uses the logits of a softmax/sigmoid output layer): values agree while the probabilities stay inside that range"

# loss kind -> (torch source of a callable loss_fn(pred, target), unsafe note or None)
_PROB_LOSSES = {
    "sparse_cce": "lambda pred, target: F.nll_loss(torch.log(torch.clamp(pred, 1e-7, 1 - 1e-7)), target)",
    "cce": "lambda pred, target: -(target * torch.log(torch.clamp(pred / pred.sum(-1, keepdim=True), 1e-7, 1 - 1e-7))).sum(-1).mean()",
    "bce": "lambda pred, target: F.binary_cross_entropy(torch.clamp(pred, 1e-7, 1 - 1e-7), target)",
}

STRING_LOSSES: dict[str, tuple[str, str]] = {
    # Keras string -> (kind, from_logits-free torch source or "" for probability losses)
    "mse": ("mse", "nn.MSELoss()"),
    "mean_squared_error": ("mse", "nn.MSELoss()"),
    "mae": ("mae", "nn.L1Loss()"),
    "mean_absolute_error": ("mae", "nn.L1Loss()"),
    "huber": ("huber", "nn.HuberLoss(delta=1.0)"),
    "sparse_categorical_crossentropy": ("sparse_cce", ""),
    "categorical_crossentropy": ("cce", ""),
    "binary_crossentropy": ("bce", ""),
}

STRING_OPTIMIZERS = {
    "adam": "keras.optimizers.Adam",
    "adamw": "keras.optimizers.AdamW",
    "sgd": "keras.optimizers.SGD",
    "rmsprop": "keras.optimizers.RMSprop",
    "adagrad": "keras.optimizers.Adagrad",
}

_ACC = {
    "sparse_cce": "lambda pred, target: (pred.argmax(-1) == target).float()",
    "cce": "lambda pred, target: (pred.argmax(-1) == target.argmax(-1)).float()",
    "bce": "lambda pred, target: ((pred > 0.5).float() == target).float().mean(-1)",
}

# Keras metric string / class -> (history name, torch source or a loss kind key of _ACC)
METRIC_STRINGS: dict[str, tuple[str | None, str]] = {
    "accuracy": (None, "acc"),
    "acc": (None, "acc"),
    "sparse_categorical_accuracy": (None, "lambda pred, target: (pred.argmax(-1) == target).float()"),
    "categorical_accuracy": (None, "lambda pred, target: (pred.argmax(-1) == target.argmax(-1)).float()"),
    "binary_accuracy": (None, "lambda pred, target: ((pred > 0.5).float() == target).float().mean(-1)"),
    "mae": (None, "lambda pred, target: torch.abs(pred - target).mean(-1)"),
    "mean_absolute_error": (None, "lambda pred, target: torch.abs(pred - target).mean(-1)"),
    "mse": (None, "lambda pred, target: torch.square(pred - target).mean(-1)"),
    "mean_squared_error": (None, "lambda pred, target: torch.square(pred - target).mean(-1)"),
}
METRIC_CLASSES = {
    "keras.metrics.SparseCategoricalAccuracy": ("sparse_categorical_accuracy", METRIC_STRINGS["sparse_categorical_accuracy"][1]),
    "keras.metrics.CategoricalAccuracy": ("categorical_accuracy", METRIC_STRINGS["categorical_accuracy"][1]),
    "keras.metrics.BinaryAccuracy": ("binary_accuracy", METRIC_STRINGS["binary_accuracy"][1]),
    "keras.metrics.MeanAbsoluteError": ("mean_absolute_error", METRIC_STRINGS["mae"][1]),
    "keras.metrics.MeanSquaredError": ("mean_squared_error", METRIC_STRINGS["mse"][1]),
}


class NotConverted(Exception):
    """The compile/fit call has no automatic rewrite; the message says what to write."""


def loss_source(node: cst.BaseExpression, qname: Any) -> tuple[str, str, list[str]]:
    """(kind, torch source of loss_fn(pred, target), notes) for a compile(loss=...) value."""
    from rules.tf2_to_torch.keras_loss import loss_plan
    from rules.tf2_to_torch.tables import LOSSES

    lit = literal(node)
    if isinstance(lit, str):
        if lit not in STRING_LOSSES:
            raise NotConverted(f"loss {lit!r} is not in the pack's table: write loss_fn(pred, target) with torch.nn.functional")
        kind, src = STRING_LOSSES[lit]
        if src:
            return kind, src, []
        return kind, _PROB_LOSSES[kind], [CLIP_NOTE]
    if isinstance(node, cst.Call):
        rest = tf_rest(qname(node.func))
        spec = LOSSES.get(rest or "")
        if spec is None:
            raise NotConverted("loss is not a Keras loss class or string: pass a torch loss_fn(pred, target)")
        kind = spec["kind"]
        args = keyword_args(node, spec["params"]) or {}
        logits = literal(args["from_logits"].value) if "from_logits" in args else False
        extra = [k for k in args if k not in ("from_logits", "name")]
        if logits is False and kind in _PROB_LOSSES and not extra:
            return kind, _PROB_LOSSES[kind], [CLIP_NOTE]
        plan = loss_plan(node, qname)
        if isinstance(plan, str):
            raise NotConverted(f"tf.{rest}: {plan}")
        if plan.pred != "$p" or plan.target not in ("$t", "$t.long()"):
            raise NotConverted(f"tf.{rest} with these arguments: write loss_fn(pred, target) by hand")
        return kind, plan.module, list(plan.notes)
    raise NotConverted("loss is not a literal string or a Keras loss constructor: pass a torch loss_fn(pred, target)")


def metric_sources(node: cst.BaseExpression, kind: str, qname: Any) -> list[tuple[str, str]]:
    """[(history name, torch source of metric(pred, target) per sample)] for compile(metrics=...)."""
    if not isinstance(node, (cst.List, cst.Tuple)):
        raise NotConverted("metrics is not a literal list: compute them in the loop")
    out = []
    for el in node.elements:
        v = el.value
        lit = literal(v)
        if isinstance(lit, str):
            if lit not in METRIC_STRINGS:
                raise NotConverted(f"metric {lit!r} is not in the pack's table: use torchmetrics or a running sum in the loop")
            name, src = METRIC_STRINGS[lit]
            if src == "acc":
                if kind not in _ACC:
                    raise NotConverted(f"metric {lit!r} with a {kind} loss: Keras picks an exact-equality accuracy; compute it in the loop")
                src = _ACC[kind]
            out.append((name or lit, src))
            continue
        if isinstance(v, cst.Call) and not v.args:
            rest = tf_rest(qname(v.func))
            if rest in METRIC_CLASSES:
                out.append(METRIC_CLASSES[rest])
                continue
        raise NotConverted(f"metric {code_of(v)} is not in the pack's table: use torchmetrics or a running sum in the loop")
    return out


# --------------------------------------------------------------------------------------
# learning-rate schedules -> a function of the optimizer step (Keras: optimizer.iterations)

SCHEDULES: dict[str, list[str]] = {
    "keras.optimizers.schedules.ExponentialDecay": ["initial_learning_rate", "decay_steps", "decay_rate", "staircase", "name"],
    "keras.optimizers.schedules.PiecewiseConstantDecay": ["boundaries", "values", "name"],
    "keras.optimizers.schedules.CosineDecay": ["initial_learning_rate", "decay_steps", "alpha", "name", "warmup_target", "warmup_steps"],
    "keras.optimizers.schedules.InverseTimeDecay": ["initial_learning_rate", "decay_steps", "decay_rate", "staircase", "name"],
}
for _k in list(SCHEDULES):
    SCHEDULES["optimizers.schedules." + _k.rsplit(".", 1)[1]] = SCHEDULES[_k]


def _src(args: dict[str, cst.Arg], p: str, default: str | None = None) -> str:
    if p in args:
        v = args[p].value
        code = code_of(v)
        return code if isinstance(v, (cst.Name, cst.Integer, cst.Float, cst.Attribute, cst.List, cst.Tuple)) else f"({code})"
    if default is None:
        raise NotConverted(f"schedule without {p}")
    return default


def schedule_source(call: cst.Call, rest: str) -> tuple[str, bool]:
    """(``lambda step: <lr at step>``, needs ``import math``) for a Keras schedule constructor."""
    params = SCHEDULES[rest]
    args = keyword_args(call, params)
    if args is None:
        raise NotConverted("schedule with *args/**kwargs")
    name = rest.rsplit(".", 1)[1]
    if name in ("ExponentialDecay", "InverseTimeDecay"):
        lr, steps, rate = _src(args, "initial_learning_rate"), _src(args, "decay_steps"), _src(args, "decay_rate")
        stair = literal(args["staircase"].value) if "staircase" in args else False
        if stair is NOT_LITERAL:
            raise NotConverted("staircase is not a literal")
        p = f"(step // {steps})" if stair else f"(step / {steps})"
        if name == "ExponentialDecay":
            return f"lambda step: {lr} * {rate} ** {p}", False
        return f"lambda step: {lr} / (1 + {rate} * {p})", False
    if name == "PiecewiseConstantDecay":
        b, v = _src(args, "boundaries"), _src(args, "values")
        return f"lambda step: {v}[sum(step > b for b in {b})]", False
    if name == "CosineDecay":
        warmup = args.get("warmup_steps") or args.get("warmup_target")
        if warmup is not None and literal(warmup.value) not in (0, None):
            raise NotConverted("CosineDecay with warmup: chain torch.optim.lr_scheduler.LinearLR and CosineAnnealingLR with SequentialLR")
        lr, steps = _src(args, "initial_learning_rate"), _src(args, "decay_steps")
        alpha = _src(args, "alpha", "0.0")
        return f"lambda step: {lr} * ((1 - {alpha}) * 0.5 * (1 + math.cos(math.pi * min(step, {steps}) / {steps})) + {alpha})", True
    raise NotConverted(f"schedule {name} not mapped")  # pragma: no cover


# --------------------------------------------------------------------------------------
# which optimizers of a file run on a schedule (shared by PT1006, PT1007 and PT1022)


class _ScheduleScan(cst.CSTVisitor):
    def __init__(self, qname: Any) -> None:
        self.qname = qname
        self.schedules: dict[str, cst.Call] = {}  # name -> schedule constructor
        self.assigned: set[int] = set()  # schedule constructors assigned to a plain name
        self.inline: set[int] = set()  # schedule constructors passed straight to an optimizer
        self.opt_schedule: dict[str, cst.BaseExpression] = {}  # optimizer name -> learning_rate value

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) != 1 or not isinstance(node.value, cst.Call):
            return
        target = node.targets[0].target
        rest = tf_rest(self.qname(node.value.func)) or ""
        if isinstance(target, cst.Name) and rest in SCHEDULES:
            self.schedules[target.value] = node.value
            self.assigned.add(id(node.value))
            return
        from rules.tf2_to_torch.tables import OPTIMIZERS

        name = code_of(target) if isinstance(target, (cst.Name, cst.Attribute)) else None
        if name and rest in OPTIMIZERS:
            args = keyword_args(node.value, OPTIMIZERS[rest]["params"]) or {}
            lr = args.get("learning_rate") or next((a for a in node.value.args if a.keyword is not None and a.keyword.value == "lr"), None)
            if lr is None:
                return
            v = lr.value
            if isinstance(v, cst.Name) and v.value in self.schedules:
                self.opt_schedule[name] = v
            elif isinstance(v, cst.Call) and (tf_rest(self.qname(v.func)) or "") in SCHEDULES:
                self.opt_schedule[name] = v
                self.inline.add(id(v))


def schedule_scan(rule: Any) -> _ScheduleScan:
    st = rule.ctx.state
    if "tf2_to_torch_schedules" not in st:
        scan = _ScheduleScan(rule.qname)
        if "schedules" in rule.ctx.source_text:
            rule.ctx.module.visit(scan)
        st["tf2_to_torch_schedules"] = scan
        st["tf2_to_torch_schedulers"] = {}  # optimizer name -> scheduler name, once converted
    return st["tf2_to_torch_schedules"]  # type: ignore[no-any-return]


def scheduler_name(optimizer: str) -> str:
    """``optimizer`` -> ``scheduler``, ``g_opt`` -> ``g_scheduler``, ``self.optimizer`` -> ``self.scheduler``."""
    prefix, _, base = optimizer.rpartition(".")
    prefix = prefix + "." if prefix else ""
    if base in ("optimizer", "opt"):
        return prefix + "scheduler"
    for suffix in ("_optimizer", "_opt"):
        if base.endswith(suffix):
            return prefix + base[: -len(suffix)] + "_scheduler"
    return f"{prefix}{base}_scheduler"


def schedulers(ctx: Any) -> dict[str, str]:
    """optimizer name -> scheduler name, for the scheduled optimizers converted so far."""
    return ctx.state.setdefault("tf2_to_torch_schedulers", {})  # type: ignore[no-any-return]
