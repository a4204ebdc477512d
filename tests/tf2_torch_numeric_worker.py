"""Numeric proof worker for tests/test_tf2_to_torch_models.py (run as a subprocess).

One process imports TensorFlow and torch once and checks every case it is given: the Keras
model of a corpus program (``input.py`` of a fixture) and the PyTorch model the pack wrote
(``expected.py``) get the same random weights through the equivalence checker's weight
transfer (``migrate.check``: the adapters list the weights, ``build_correspondence`` pairs
them -- with the Keras name -> torch attribute map the rewriter reported, where it reported
one -- and converts their layout), then

* eval-mode outputs are compared (max-abs), on every input size of the case;
* one SGD step on ``mean((y - target)**2)`` is run on both sides by the checker's adapters
  (dropout all-kept) and the trainable parameters after the step are compared.

Usage: ``python tests/tf2_torch_numeric_worker.py CASES_JSON`` -> one JSON line on stdout.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from migrate.check import weights as W
from migrate.check.adapters import KerasAdapter, TorchAdapter
from migrate.check.correspondence import build_correspondence
from migrate.check.options import InputSpec, OptimizerSpec

FIXTURES = ROOT / "tests" / "fixtures" / "tf2_to_torch"


def _exec(path: Path) -> dict[str, Any]:
    ns: dict[str, Any] = {"__name__": f"numeric_{path.parent.name}_{path.stem}"}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), ns)  # noqa: S102 - our fixtures
    return ns


def _shape(dims: list[Any], size: int) -> tuple[int, ...]:
    out = []
    for d in dims:
        if isinstance(d, str):  # "S", "S+1"
            out.append(size + int(d[1:] or 0))
        else:
            out.append(int(d))
    return tuple(out)


def _random_weights(infos: list[Any], rng: np.random.RandomState) -> dict[str, np.ndarray]:
    out = {}
    for w in infos:
        a = rng.uniform(-0.5, 0.5, w.shape).astype("float32")
        if w.role in ("moving_variance",):
            a = rng.uniform(0.5, 1.5, w.shape).astype("float32")
        out[w.name] = a
    return out


def _special(kmodel: Any, tmodel: Any, mapping: dict[str, str]) -> list[tuple[Any, list[Any]]]:
    """Keras layers the checker has no family for (SeparableConv2D, Bidirectional): (keras
    layer, the torch modules that hold its weights), found through the rewriter's map or,
    without one, in order."""
    out = []
    for layer in kmodel.layers:
        kind = type(layer).__name__
        if kind not in ("SeparableConv2D", "Bidirectional"):
            continue
        if layer.name in mapping:
            sub = tmodel.get_submodule(mapping[layer.name].split(".")[0])
        else:  # Sequential: the n-th module of the same kind
            raise AssertionError(f"{kind} outside a mapped functional model is not covered")
        want = ("Conv",) if kind == "SeparableConv2D" else ("LSTM", "GRU")
        mods = [m for m in sub.modules() if type(m).__name__.startswith(want)]
        out.append((layer, mods))
    return out


def _special_weights(layer: Any, mods: list[Any], arrays: dict[str, np.ndarray], tmodel: Any) -> dict[str, np.ndarray]:
    """Keras arrays of one special layer -> torch names, with the checker's layout rules."""
    ws = {(v.path if hasattr(v, "path") else v.name): v for v in layer.weights}
    names = list(ws)
    out: dict[str, np.ndarray] = {}
    if type(layer).__name__ == "SeparableConv2D":
        d, p = mods[0], mods[1]
        out[_param_name(tmodel, d, "weight")] = W.depthwise_kernel_to_torch(arrays[names[0]])
        out[_param_name(tmodel, p, "weight")] = W.conv_kernel_to_torch(arrays[names[1]])
        if len(names) > 2:
            out[_param_name(tmodel, p, "bias")] = arrays[names[2]]
        return out
    rnn = mods[0]
    convert = W.keras_lstm_to_torch if type(rnn).__name__ == "LSTM" else W.keras_gru_to_torch
    for direction, suffix in (("forward_", ""), ("backward_", "_reverse")):
        mine = [n for n in names if f"/{direction}" in n]
        k = next(n for n in mine if n.endswith("/kernel"))
        r = next(n for n in mine if n.endswith("/recurrent_kernel"))
        b = next((n for n in mine if n.endswith("/bias")), None)
        for role, a in convert(arrays[k], arrays[r], arrays[b] if b else None).items():
            out[_param_name(tmodel, rnn, f"{role}_l0{suffix}")] = a
    return out


def _flat(x: Any) -> list[np.ndarray]:
    if isinstance(x, (list, tuple)):
        return [a for v in x for a in _flat(v)]
    if isinstance(x, dict):
        return [a for v in x.values() for a in _flat(v)]
    if hasattr(x, "detach"):
        return [x.detach().cpu().numpy()]
    return [np.asarray(x)]


def run_case(case: dict[str, Any], torch: Any) -> dict[str, Any]:
    ns_tf = _exec(FIXTURES / case["case"] / "input.py")
    ns_pt = _exec(FIXTURES / case["case"] / "expected.py")
    rng = np.random.RandomState(case.get("seed", 0))
    result: dict[str, Any] = {"sizes": {}}
    mapping: dict[str, str] = case.get("mapping") or {}
    import keras

    for size in case["sizes"]:
        keras.backend.clear_session()  # Keras' default layer names start again: dense, dense_1, ...
        kmodel = ns_tf[case["build"]]()
        torch.manual_seed(0)
        tmodel = ns_pt[case["build"]]()
        specs = []
        arrays: dict[str, np.ndarray] = {}
        for i, spec in enumerate(case["inputs"]):
            dims = _shape(spec["shape"], size)
            name = f"in{i}"
            if spec["dtype"].startswith("int"):
                arrays[name] = rng.randint(0, spec["high"], (case.get("batch", 3), *dims)).astype(spec["dtype"])
                kind = "int"
            else:
                arrays[name] = rng.uniform(-1, 1, (case.get("batch", 3), *dims)).astype("float32")
                kind = "float"
            specs.append(InputSpec(name, dims, spec["dtype"], kind, torch_layout="same"))
        kx = [arrays[s.name] for s in specs]
        tx = [torch.from_numpy(a).long() if a.dtype.kind == "i" else torch.from_numpy(a) for a in kx]
        with torch.no_grad():
            tmodel.eval()(*tx)  # materialize lazy modules
        kin = kx[0] if len(kx) == 1 else kx
        kmodel(kin, training=False)
        ka, ta = KerasAdapter(kmodel, compiled=False), TorchAdapter(tmodel, device="cpu")
        ka.set_input_specs(specs)
        ta.set_input_specs(specs)
        kinfo, tinfo = ka.info(), ta.info()
        special = _special(kmodel, tmodel, mapping)
        sep_names = {(v.path if hasattr(v, "path") else v.name) for layer, _ in special for v in layer.weights}
        sep_mods = {id(m) for _, mods in special for m in mods}
        sep_t = {n for n, m in tmodel.named_modules() if id(m) in sep_mods}
        kws = [w for w in kinfo.weights if w.name not in sep_names]
        tws = [w for w in tinfo.weights if w.layer not in sep_t]
        params = {}
        for w in kws:
            if w.extra.get("flatten_hwc"):
                # the pack keeps NHWC and flattens in Keras order: a plain transpose
                params[w.layer] = {"layout": "dense"}
        pairs: dict[str, Any] = {k: v for k, v in mapping.items() if k not in {layer.name for layer, _ in special}}
        for suffix, target in case.get("identity", {}).items():
            # weights of a user layer (add_weight): same array on both sides
            (name,) = [w.name for w in kinfo.weights if w.name.endswith(suffix)]
            pairs[name] = {"to": target, "rule": "identity"}
        corr = build_correspondence(kws, tws, "tf", "torch", {"pairs": pairs, "params": params})
        old = _random_weights(kinfo.weights, rng)
        new = corr.convert({k: v for k, v in old.items() if k in {w.name for w in kws}})
        for layer, mods in special:
            new.update(_special_weights(layer, mods, old, tmodel))
        ka._set(old)
        ta._set(new)
        tmodel.eval()
        with torch.no_grad():
            got = _flat(tmodel(*tx))
        want = _flat(kmodel(kin, training=False))
        entry: dict[str, Any] = {"outputs": len(want)}
        if len(got) != len(want) or any(a.shape != b.shape for a, b in zip(want, got)):
            entry["forward"] = float("inf")
            entry["shapes"] = [[list(a.shape) for a in want], [list(b.shape) for b in got]]
        else:
            entry["forward"] = max(float(np.max(np.abs(a.astype(np.float64) - b))) if a.size else 0.0 for a, b in zip(want, got))
        # one training step, both sides through the checker's adapters
        targets = [rng.uniform(-1, 1, a.shape).astype("float32") for a in want]
        opt = OptimizerSpec("sgd", lr=0.1)
        kt = ka.train(old, arrays, targets, opt, 1, 1.0)
        tt = ta.train(new, arrays, targets, opt, 1, 1.0)
        entry["loss"] = abs(kt.losses[0] - tt.losses[0])
        kstate = corr.convert({k: v for k, v in kt.weights_after.items() if k in {w.name for w in kws}})
        trainable = {n for n, p in tmodel.named_parameters() if p.requires_grad}
        diffs = {n: float(np.max(np.abs(kstate[n] - tt.weights_after[n]))) for n in kstate if n in trainable}
        for layer, mods in special:
            for n, a in _special_weights(layer, mods, kt.weights_after, tmodel).items():
                if n in trainable:
                    diffs[n] = float(np.max(np.abs(a - tt.weights_after[n])))
        entry["train"] = max(diffs.values()) if diffs else float("inf")
        entry["trained"] = len(diffs)
        entry["pairs"] = len(corr.pairs) + len(special)
        result["sizes"][str(size)] = entry
    return result


def conv_transpose_grid(torch: Any) -> dict[str, Any]:
    """Conv2DTranspose over kernel 1..5 x stride 1..3 x 'valid'/'same' x odd/even sizes:
    the pack's rewrite of each one-layer model against Keras, weights through the checker's
    conv-transpose layout rule."""
    import keras

    from migrate.pack import load_pack
    from migrate.testing import apply

    pack = load_pack("tf2-to-torch")
    worst, failures, count = 0.0, [], 0
    rng = np.random.RandomState(0)
    for k in (1, 2, 3, 4, 5):
        for s in (1, 2, 3):
            for pad in ("valid", "same"):
                src = (
                    "import tensorflow as tf\nfrom tensorflow.keras import layers\n\n\ndef build():\n"
                    f"    return tf.keras.Sequential([tf.keras.Input(shape=(None, None, 2)), layers.Conv2DTranspose(3, {k}, strides={s}, padding='{pad}')])\n"
                )
                out = apply(src, pack.rules, pack, path="grid.py")
                ns: dict[str, Any] = {}
                exec(compile(out.code, "grid.py", "exec"), ns)  # noqa: S102 - generated by the pack from our source
                tm = ns["build"]().eval()
                km = keras.Sequential([keras.Input(shape=(None, None, 2)), keras.layers.Conv2DTranspose(3, k, strides=s, padding=pad)])
                kern = rng.uniform(-1, 1, (k, k, 3, 2)).astype("float32")
                bias = rng.uniform(-1, 1, 3).astype("float32")
                km.layers[0].set_weights([kern, bias])
                (conv,) = [m for m in tm.modules() if type(m).__name__ == "ConvTranspose2d"]
                with torch.no_grad():
                    conv.weight.copy_(torch.from_numpy(W.conv_transpose_kernel_to_torch(kern)))
                    conv.bias.copy_(torch.from_numpy(bias))
                for n in (4, 5):
                    x = rng.uniform(-1, 1, (2, n, n + 1, 2)).astype("float32")
                    a = np.asarray(km(x))
                    with torch.no_grad():
                        b = tm(torch.from_numpy(x)).numpy()
                    count += 1
                    if a.shape != b.shape:
                        failures.append(f"k={k} s={s} {pad} n={n}: {a.shape} vs {b.shape}")
                        continue
                    worst = max(worst, float(np.max(np.abs(a - b))))
    return {"worst": worst, "failures": failures, "count": count}


def _param_name(root: Any, module: Any, attr: str) -> str:
    for n, m in root.named_modules():
        if m is module:
            return f"{n}.{attr}" if n else attr
    raise KeyError(attr)


def main() -> None:
    cases = json.loads(sys.argv[1])
    import tensorflow as tf

    tf.config.experimental.enable_tensor_float_32_execution(False)
    import torch

    torch.set_num_threads(1)
    out: dict[str, Any] = {}
    for case in cases:
        try:
            if case.get("grid") == "conv_transpose":
                out[case["key"]] = conv_transpose_grid(torch)
                continue
            out[case.get("key", case["case"])] = run_case(case, torch)
        except Exception as e:  # noqa: BLE001 - reported per case
            out[case.get("key", case["case"])] = {"error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()[-3000:]}
    print("WORKER_RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
