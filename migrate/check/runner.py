"""``check(old, new, options)``: generate examples, run both models, compare, shrink failures."""

from __future__ import annotations

import contextlib
import math
import random
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .adapters import (
    Adapter,
    AdapterError,
    ForwardResult,
    Tagged,
    TorchAdapter,
    make_adapter,
)
from .align import align, canonical, from_old_layout
from .compare import Diff, compare_arrays, summarize_array
from .correspondence import Correspondence, CorrespondenceError, build_correspondence
from .loader import LoadError
from .options import CheckOptions, InputSpec, ModelInfo, normalize_input_specs
from .result import CheckResult, TrainDiff
from .strategies import (
    Example,
    example_strategy,
    generate_inputs,
    generate_targets,
    generate_weights,
)

__all__ = ["check"]


@dataclass
class Outcome:
    example: Example
    outputs: list[Diff] = field(default_factory=list)
    layers: list[Diff] = field(default_factory=list)
    state: list[Diff] = field(default_factory=list)
    train: TrainDiff | None = None
    errors: list[str] = field(default_factory=list)
    skipped: bool = False
    inputs: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        if self.skipped:
            return False
        return bool(self.errors) or any(not d.ok for d in self.outputs + self.layers + self.state) or (
            self.train is not None and not self.train.ok
        )

    @property
    def failing_mode(self) -> str | None:
        for d in self.outputs + self.layers + self.state:
            if not d.ok:
                return d.mode
        if self.train is not None and not self.train.ok:
            return "train_step"
        return None


def _label(m: Any) -> str:
    if isinstance(m, str):
        return m
    if isinstance(m, dict) and "model" in m:
        return _label(m["model"])
    if isinstance(m, tuple) and m:
        return _label(m[0])
    if isinstance(m, Adapter):
        return m.label
    if callable(m) and not hasattr(m, "parameters") and not hasattr(m, "layers"):  # a factory function
        return getattr(m, "__qualname__", type(m).__name__)
    return type(m).__name__


class _Runner:
    def __init__(self, old: Adapter, new: Adapter, oi: ModelInfo, ni: ModelInfo, corr: Correspondence,
                 specs: list[InputSpec], opts: CheckOptions) -> None:
        self.old, self.new, self.oi, self.ni, self.corr, self.specs, self.opts = old, new, oi, ni, corr, specs, opts
        self.old_specs, self.new_specs = _side_specs(specs, oi), _side_specs(specs, ni)
        old.set_input_specs(self.old_specs)
        new.set_input_specs(self.new_specs)
        emb = [w.shape[0] for w in oi.weights if w.layer_type == "Embedding" and len(w.shape) == 2]
        self.vocab = min(emb) if emb else None
        self.new_to_pair = {}
        for p in corr.pairs:
            for w in p.new.weights.values():
                self.new_to_pair[w.name] = p
        self.runs = 0
        self.skipped = 0
        self.cache: dict[Example, Outcome] = {}
        self.agg: dict[tuple[str, str, str], Diff] = {}
        self.agg_train: TrainDiff | None = None
        self.failures = 0
        self.runs_after_failure = 0

    # ---------------------------------------------------------------- one example
    def _pair_outputs(self, fo: ForwardResult, fn: ForwardResult) -> tuple[list[tuple[int, int]], list[str]]:
        o, n = fo.outputs, fn.outputs
        problems = []
        if [t.name for t in o] and {t.name for t in o} == {t.name for t in n}:
            idx = {t.name: j for j, t in enumerate(n)}
            pairs = [(i, idx[t.name]) for i, t in enumerate(o)]
        else:
            pairs = [(i, i) for i in range(min(len(o), len(n)))]
        if len(o) != len(n):
            problems.append(f"the old model has {len(o)} output(s), the new one {len(n)}")
        return pairs, problems

    def _named(self, new_name: str) -> tuple[str, str]:
        p = self.new_to_pair.get(new_name)
        return (p.old.name if p else new_name), new_name

    def _compare_named(self, old_conv: dict[str, np.ndarray], new: dict[str, np.ndarray], tol: float,
                       mode: str) -> list[Diff]:
        out = []
        for name in self.corr.new_names:
            if name not in old_conv or name not in new:
                continue
            d = compare_arrays(name, old_conv[name], new[name], atol=tol, rtol=self.opts.rtol)
            d.name, d.new_name = self._named(name)
            d.mode = mode
            out.append(d)
        return out

    def run_example(self, ex: Example) -> Outcome:
        opts = self.opts
        oc = Outcome(ex)
        old_w = generate_weights(self.oi.weights, ex.weight_seed, self.oi.framework)
        new_w = self.corr.convert(old_w)
        inputs = generate_inputs(self.specs, ex, self.vocab)
        oc.inputs = inputs
        # each side gets the inputs under its own declared names
        in_old = {o.name: inputs[s.name] for s, o in zip(self.specs, self.old_specs, strict=True)}
        in_new = {n.name: inputs[s.name] for s, n in zip(self.specs, self.new_specs, strict=True)}
        last: tuple[ForwardResult, ForwardResult] | None = None
        modes = list(opts.modes) or (["eval"] if opts.train_step else [])
        for mode in modes:
            fo = fn = None
            err_o = err_n = None
            try:
                fo = self.old.forward(old_w, in_old, mode)
            except AdapterError:
                raise
            except Exception as e:  # noqa: BLE001 - a model raising is data, not a crash
                err_o = f"{type(e).__name__}: {e}"
            try:
                fn = self.new.forward(new_w, in_new, mode)
            except AdapterError:
                raise
            except Exception as e:  # noqa: BLE001
                err_n = f"{type(e).__name__}: {e}"
            if err_o and err_n:
                oc.skipped = True
                oc.errors.append(f"[{mode}] both models raised: old: {err_o}; new: {err_n}")
                return oc
            if err_o or err_n:
                who = "old" if err_o else "new"
                oc.errors.append(f"[{mode}] only the {who} model raised: {err_o or err_n}")
                oc.outputs.append(Diff(f"<{who} model raised>", math.inf, math.inf, False, (), (),
                                       reason=err_o or err_n or "", mode=mode))
                return oc
            assert fo is not None and fn is not None
            last = (fo, fn)
            if mode not in opts.modes:
                continue
            pairs, problems = self._pair_outputs(fo, fn)
            for i, j in pairs:
                a, b = fo.outputs[i], fn.outputs[j]
                d = compare_arrays(a.name, a.array, canonical(b, a.array.shape), atol=opts.atol, rtol=opts.rtol)
                d.new_name, d.mode = b.name, mode
                oc.outputs.append(d)
            for p in problems:
                oc.outputs.append(Diff("<outputs>", math.inf, math.inf, False, (), (), reason=p, mode=mode))
            for i, j in align(fo.intermediates, fn.intermediates, _anchors(self.corr, fo.intermediates, fn.intermediates)):
                a, b = fo.intermediates[i], fn.intermediates[j]
                d = compare_arrays(a.name, a.array, canonical(b, a.array.shape), atol=opts.atol, rtol=opts.rtol)
                d.new_name, d.old_type, d.new_type, d.mode = b.name, a.type, b.type, mode
                oc.layers.append(d)
            if mode == "train" and fo.state is not None and fn.state is not None:
                oc.state += self._compare_named(self.corr.convert(fo.state), fn.state, opts.train_atol, "train")
        if opts.train_step and last is not None:
            oc.train = self._train(old_w, new_w, in_old, in_new, ex, *last)
        return oc

    def _train(self, old_w: dict[str, np.ndarray], new_w: dict[str, np.ndarray], in_old: dict[str, np.ndarray],
               in_new: dict[str, np.ndarray], ex: Example, fo: ForwardResult, fn: ForwardResult) -> TrainDiff:
        opts = self.opts
        pairs, _ = self._pair_outputs(fo, fn)
        shapes: list[tuple[int, ...] | None] = [None] * len(fo.outputs)
        for i, _ in pairs:
            if fo.outputs[i].array.dtype.kind == "f":
                shapes[i] = fo.outputs[i].array.shape
        t_old = generate_targets(shapes, ex.input_seed)
        t_new: list[np.ndarray | None] = [None] * len(fn.outputs)
        for i, j in pairs:
            if t_old[i] is not None:
                b: Tagged = fn.outputs[j]
                t = from_old_layout(t_old[i], b.layout)  # type: ignore[arg-type]
                t_new[j] = t if t.shape == b.array.shape else t_old[i]
        tol = opts.train_atol
        td = TrainDiff(ok=True, steps=opts.steps, tolerance=tol)
        results = []
        for side, ad, w, x, t in (("old", self.old, old_w, in_old, t_old), ("new", self.new, new_w, in_new, t_new)):
            try:
                results.append(ad.train(w, x, t, opts.optimizer, opts.steps, opts.loss_scale))
            except AdapterError:
                raise
            except Exception as e:  # noqa: BLE001 - a model raising is data
                td.ok, td.reason = False, f"{side} model training step raised: {type(e).__name__}: {e}"
                return td
        ro, rn = results
        td.optimizer_old, td.optimizer_new = ro.optimizer, rn.optimizer
        td.loss_old, td.loss_new = ro.losses, rn.losses
        diffs = [abs(a - b) for a, b in zip(ro.losses, rn.losses)]
        td.loss_diff = max(diffs) if diffs else math.inf
        if not math.isfinite(td.loss_diff) and all(math.isnan(a) and math.isnan(b) for a, b in zip(ro.losses, rn.losses)):
            td.loss_diff = 0.0
        td.grads = self._compare_named(self.corr.convert(ro.grads, grad=True), rn.grads, tol, "train_step:grad")
        td.params = self._compare_named(self.corr.convert(ro.weights_after), rn.weights_after, tol, "train_step:param")
        if td.grads:
            g = max(td.grads, key=lambda d: d.max_abs_diff)
            td.max_grad_diff, td.worst_grad = g.max_abs_diff, g.label
        if td.params:
            p = max(td.params, key=lambda d: d.max_abs_diff)
            td.max_param_diff, td.worst_param = p.max_abs_diff, p.label
        reasons = []
        if not td.loss_diff <= tol:
            reasons.append(f"loss differs by {td.loss_diff:.3g}")
        if any(not d.ok for d in td.grads):
            reasons.append(f"gradient of {td.worst_grad} differs by {td.max_grad_diff:.3g}")
        bad_params = [d for d in td.params if not d.ok]
        if bad_params:
            what = "weights after the step" if not reasons else "and so do the weights after the step"
            reasons.append(f"{what}: {td.worst_param} differs by {td.max_param_diff:.3g}")
            trainable = [d for d in td.params if d.new_name in rn.grads]
            if len(reasons) == 1 and len(bad_params) * 2 >= max(1, len(trainable)):
                reasons.append(
                    f"loss and gradients agree, so the update rule differs (optimizer old: {td.optimizer_old}, "
                    f"new: {td.optimizer_new})"
                )
        td.ok = not reasons
        td.reason = "; ".join(reasons)
        return td

    # ---------------------------------------------------------------- search
    def _aggregate(self, oc: Outcome) -> None:
        for cat, lst in (("o", oc.outputs), ("l", oc.layers), ("s", oc.state)):
            for d in lst:
                key = (cat, d.mode, d.label)
                cur = self.agg.get(key)
                if cur is None or not (d.max_abs_diff <= cur.max_abs_diff):
                    self.agg[key] = d
        if oc.train is not None:
            t = self.agg_train
            if t is None or oc.train.max_param_diff > t.max_param_diff or oc.train.max_grad_diff > t.max_grad_diff:
                self.agg_train = oc.train

    def condition(self, ex: Example) -> bool:
        if ex in self.cache:
            return self.cache[ex].failed
        if self.failures and self.runs_after_failure >= self.opts.shrink_budget:
            return False  # shrink budget spent: keep the smallest failure found so far
        oc = self.run_example(ex)
        self.runs += 1
        if self.failures:
            self.runs_after_failure += 1
        if oc.skipped:
            self.skipped += 1
        self.cache[ex] = oc
        if oc.failed:
            self.failures += 1
        elif not oc.skipped:
            self._aggregate(oc)
        return oc.failed

    def search(self) -> Example | None:
        from hypothesis import HealthCheck, Phase, find, settings
        from hypothesis.errors import NoSuchExample

        min_batch = 1
        if (self.oi.has_batchnorm or self.ni.has_batchnorm) and ("train" in self.opts.modes or self.opts.train_step):
            min_batch = 2  # batch statistics of one sample are degenerate (torch refuses them)
        strat = example_strategy(self.specs, self.opts, min_batch)
        s = settings(
            max_examples=self.opts.max_examples,
            deadline=None,
            database=None,
            phases=(Phase.generate, Phase.shrink),
            suppress_health_check=list(HealthCheck),
            derandomize=False,
            print_blob=False,
        )
        try:
            return find(strat, self.condition, settings=s, random=random.Random(self.opts.seed))
        except NoSuchExample:
            return None


def _resolve_specs(opts: CheckOptions, oi: ModelInfo, ni: ModelInfo) -> list[InputSpec]:
    specs = normalize_input_specs(opts.input_spec) or oi.inputs or ni.inputs
    if not specs:
        raise LoadError(
            "no input description: the old model declares no inputs (a torch module cannot); pass "
            "input_spec={name: shape-without-batch} (None for sizes to draw)"
        )
    return list(specs)


def _first_divergent(oc: Outcome) -> tuple[str | None, str | None]:
    mode = oc.failing_mode
    for d in oc.layers:
        if not d.ok and d.mode == mode:
            return d.label, mode
    for d in oc.state:
        if not d.ok:
            return d.label, d.mode
    for d in oc.outputs:
        if not d.ok:
            return d.label, d.mode
    if oc.train is not None and not oc.train.ok:
        bad_g = [d for d in oc.train.grads if not d.ok]
        if bad_g:
            return bad_g[0].label, "train_step"
        bad_p = [d for d in oc.train.params if not d.ok]
        if bad_p:
            return bad_p[0].label, "train_step"
    return None, mode


def check(old: Any, new: Any, options: CheckOptions | None = None, **overrides: Any) -> CheckResult:
    """Check that ``new`` computes what ``old`` computes. See :mod:`migrate.check`."""
    opts = options or CheckOptions()
    if overrides:
        opts = replace(opts, **overrides)
    t0 = time.perf_counter()
    name = opts.name or f"{_label(old)} vs {_label(new)}"
    res = CheckResult(name=name, equivalent=False, status="error", tolerance=opts.tolerance_dict(),
                      old=_label(old), new=_label(new))
    adapters: list[Adapter] = []
    try:
        old_ad = make_adapter(old, opts.old_kind, label="old", seed=opts.seed, device=opts.device)
        adapters.append(old_ad)
        new_ad = make_adapter(new, opts.new_kind, label="new", seed=opts.seed, device=opts.device)
        adapters.append(new_ad)
        res.old_kind, res.new_kind = old_ad.kind, new_ad.kind
        res.device = getattr(new_ad, "device", None) or getattr(old_ad, "device", None) or "tensorflow default"
        torch_layout = "channels_first"
        for ad in (old_ad, new_ad):
            if isinstance(ad, TorchAdapter):
                torch_layout = ad.set_layout(opts.torch_layout)
        oi, ni = old_ad.info(), new_ad.info()
        res.notes += oi.notes + ni.notes
        if torch_layout == "channels_last" and opts.torch_layout == "auto":
            res.notes.append("torch model keeps the channels-last (NHWC) interface (it contains the "
                             "ChannelsLast helper): images and outputs compared as they are")
        corr = build_correspondence(oi.weights, ni.weights, oi.framework, ni.framework, opts.mapping,
                                    torch_layout=torch_layout)
        res.correspondence = corr.to_list()
        res.notes += corr.notes
        if corr.ignored_new:
            res.notes.append(f"new-model buffers not compared (no old counterpart): {', '.join(corr.ignored_new)}")
        for p in corr.pairs:
            if p.old.layer_type == "TF1LSTMCell" and not p.old.extra.get("forget_bias_detected", True):
                res.notes.append(f"forget_bias of {p.old.name} not found in the graph; assumed 1.0")
        specs = _resolve_specs(opts, oi, ni)
        runner = _Runner(old_ad, new_ad, oi, ni, corr, specs, opts)
        with _torch_threads(opts.torch_threads if "torch" in (old_ad.kind, new_ad.kind) else None):
            best = runner.search()
        res.examples_run, res.examples_skipped = runner.runs, runner.skipped
        if best is not None:
            oc = runner.cache[best]
            res.equivalent, res.status = False, "not_equivalent"
            res.outputs, res.layers, res.state, res.train = oc.outputs, oc.layers, oc.state, oc.train
            res.failing_example = best.to_dict()
            res.failing_input = {k: summarize_array(v) for k, v in oc.inputs.items()}
            res.first_divergent_layer, res.failing_mode = _first_divergent(oc)
            res.notes += oc.errors
            res.notes += _hints(oc)
        elif runner.runs and runner.runs == runner.skipped:
            res.status = "error"
            first = next(iter(runner.cache.values()))
            res.error = "every example made both models raise: " + "; ".join(first.errors)
        else:
            res.equivalent, res.status = True, "equivalent"
            res.outputs = [d for (k, _, _), d in runner.agg.items() if k == "o"]
            res.layers = [d for (k, _, _), d in runner.agg.items() if k == "l"]
            res.state = [d for (k, _, _), d in runner.agg.items() if k == "s"]
            res.train = runner.agg_train
        fwd = [d.max_abs_diff for d in res.outputs]
        res.max_abs_diff = max(fwd) if fwd else 0.0
        rel = [d.max_rel_diff for d in res.outputs]
        res.max_rel_diff = max(rel) if rel else 0.0
        if res.layers:
            w = max(res.layers, key=lambda d: d.max_abs_diff if not math.isnan(d.max_abs_diff) else math.inf)
            res.worst_layer = w.label
        res.message = _message(res, opts)
    except (LoadError, CorrespondenceError, AdapterError) as e:
        res.error = str(e)
        res.message = f"could not run: {e}"
    except Exception as e:  # noqa: BLE001 - never crash the caller
        res.error = f"{type(e).__name__}: {e}\n{traceback.format_exc()}"
        res.message = f"could not run: {type(e).__name__}: {e}"
    finally:
        for a in adapters:
            try:
                a.close()
            except Exception:  # noqa: BLE001
                pass
    res.duration_s = time.perf_counter() - t0
    if opts.plot_base64 and res.status != "error":
        res.fill_plot_base64()
    return res


def _hints(oc: Outcome) -> list[str]:
    """Known divergences recognised from the pattern of failures."""
    hints = []
    bad_state = [d for d in oc.state if not d.ok]
    if bad_state and all(("running_var" in d.new_name or "moving_variance" in d.new_name) for d in bad_state):
        hints.append(
            "only the BatchNorm running variance differs after a training-mode forward: Keras 3 "
            "BatchNormalization updates moving_variance with the biased batch variance, torch (and TF1's "
            "fused batch norm) with the unbiased one, n/(n-1) larger"
        )
    elif bad_state:
        hints.append(
            "BatchNorm running statistics differ after a training-mode forward: check momentum "
            "(torch momentum = 1 - Keras momentum) and eps"
        )
    if oc.train is not None:
        bad_p = [d for d in oc.train.params if not d.ok]
        if bad_p and all("bias_hh" in d.new_name for d in bad_p):
            hints.append(
                "only torch LSTM/GRU bias_hh differs after the step: TF/Keras have one bias, torch two, and "
                "training both moves their sum twice as fast; freeze bias_hh at zero (requires_grad_(False))"
            )
    return hints


@contextlib.contextmanager
def _torch_threads(n: int | None) -> Iterator[None]:
    if not n:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _anchors(corr: Correspondence, old: list[Tagged], new: list[Tagged]) -> list[tuple[str, str]]:
    """Layer pairs that bound the alignment of intermediates: the weight pairs, plus a
    weightless old layer and a new module with exactly the same name (tf2-to-torch names the
    attribute after the Keras layer: ``activation`` <-> ``activation``), so that a layer with
    no module on the other side (a functional ``torch.add`` for a Keras ``Add``) is skipped
    instead of shifting the pairs after it."""
    pairs = corr.layer_pairs()
    taken_old = {a for a, _ in pairs}
    taken_new = {b for _, b in pairs}
    new_layers = {t.layer for t in new}
    for t in old:
        if t.layer not in taken_old and t.layer not in taken_new and t.layer in new_layers:
            pairs.append((t.layer, t.layer))
            taken_old.add(t.layer)
    return pairs


def _side_specs(specs: list[InputSpec], info: ModelInfo) -> list[InputSpec]:
    """The checked inputs under the side's own declared names (matched by position if they differ)."""
    if info.inputs and len(info.inputs) == len(specs) and {s.name for s in info.inputs} != {s.name for s in specs}:
        return [replace(s, name=o.name) for s, o in zip(specs, info.inputs)]
    return specs


def _message(res: CheckResult, opts: CheckOptions) -> str:
    if res.status == "equivalent":
        extra = ""
        if res.train is not None:
            extra = f"; training step: max grad diff {res.train.max_grad_diff:.2g}, max param diff {res.train.max_param_diff:.2g}"
        return (f"equivalent on {res.examples_run} example(s): max |diff| {res.max_abs_diff:.2g} <= atol {opts.atol:g}"
                + extra)
    if res.status == "not_equivalent":
        where = res.first_divergent_layer or "outputs"
        bad = [d for d in res.layers + res.state + res.outputs if not d.ok]
        detail = ""
        if bad:
            d = next((x for x in bad if x.label == res.first_divergent_layer), bad[0])
            detail = f" (|diff| {d.max_abs_diff:.3g} > {d.tolerance:g}{'; ' + d.reason if d.reason else ''})"
        elif res.train is not None and not res.train.ok:
            detail = f" ({res.train.reason})"
        ex = res.failing_example or {}
        return (f"NOT equivalent: first divergence at {where} [{res.failing_mode}]{detail}; "
                f"smallest failing example: batch={ex.get('batch')}, sizes={ex.get('sizes')}")
    return res.message
