"""Numeric proof worker for tests/test_tf2_to_torch_models.py (run as a subprocess).

One process imports TensorFlow and torch once and checks every case it is given: the Keras
model of a corpus program (``input.py`` of a fixture) and the PyTorch model the pack wrote
(``expected.py``) go through the equivalence checker, ``migrate.check.check()``, once per
input size of the case (shapes fixed to that size):

* the checker's own random weights go to both models through its weight transfer -- paired
  by the Keras name -> torch module map the rewriter reported, where it reported one (layer
  weights of ``add_weight`` user layers pinned with the ``identity`` rule), the rest inferred;
  Bidirectional and SeparableConv layers by the checker's own split units;
* ``torch_layout="auto"``: the converted models keep Keras' NHWC interface (the pack's
  ``ChannelsLast`` helper marks them), so images go in and come out as they are and the
  Dense after a Flatten keeps its Keras rows;
* eval-mode outputs (and every paired intermediate) are compared (max-abs, 1e-5);
* one SGD step on ``mean((y - target)**2)`` is run on both sides (dropout all-kept) and the
  loss, gradients and parameters after the step are compared (1e-4).

Usage: ``python tests/tf2_torch_numeric_worker.py CASES_JSON`` -> one JSON line on stdout.
"""

from __future__ import annotations

import json
import math
import os
import sys
import traceback
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from migrate.check import CheckOptions, check
from migrate.check import weights as W
from migrate.check.adapters import KerasAdapter, TorchAdapter
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


def run_case(case: dict[str, Any], torch: Any) -> dict[str, Any]:
    ns_tf = _exec(FIXTURES / case["case"] / "input.py")
    ns_pt = _exec(FIXTURES / case["case"] / "expected.py")
    rng = np.random.RandomState(case.get("seed", 0))
    result: dict[str, Any] = {"sizes": {}}
    mapping: dict[str, str] = case.get("mapping") or {}
    batch = case.get("batch", 3)
    import keras

    for size in case["sizes"]:
        keras.backend.clear_session()  # Keras' default layer names start again: dense, dense_1, ...
        kmodel = ns_tf[case["build"]]()
        torch.manual_seed(0)
        tmodel = ns_pt[case["build"]]()
        specs, tx, kx = [], [], []
        for i, spec in enumerate(case["inputs"]):
            dims = _shape(spec["shape"], size)
            if spec["dtype"].startswith("int"):
                a = rng.randint(0, spec["high"], (batch, *dims)).astype(spec["dtype"])
                specs.append(InputSpec(f"in{i}", dims, spec["dtype"], "int", low=0, high=spec["high"]))
            else:
                a = rng.uniform(-1, 1, (batch, *dims)).astype("float32")
                specs.append(InputSpec(f"in{i}", dims, "float32", "float"))
            kx.append(a)
            tx.append(torch.from_numpy(a).long() if a.dtype.kind == "i" else torch.from_numpy(a))
        with torch.no_grad():
            tmodel.eval()(*tx)  # materialize lazy modules
        kmodel(kx[0] if len(kx) == 1 else kx, training=False)
        ka, ta = KerasAdapter(kmodel, compiled=False), TorchAdapter(tmodel, device="cpu")
        pairs: dict[str, Any] = dict(mapping)
        for suffix, target in case.get("identity", {}).items():
            # weights of a user layer (add_weight): same array on both sides
            (name,) = [w.name for w in ka.info().weights if w.name.endswith(suffix)]
            pairs[name] = {"to": target, "rule": "identity"}
        opts = CheckOptions(
            input_spec=specs, mapping={"pairs": pairs}, modes=("eval",), train_step=True, steps=1,
            optimizer=OptimizerSpec("sgd", lr=0.1), min_batch=batch, max_batch=batch,
            max_examples=case.get("examples", 2), seed=case.get("seed", 0), device="cpu", torch_threads=None,
            torch_layout="auto", name=f"{case['key']}@{size}",
        )
        res = check(ka, ta, opts)
        entry: dict[str, Any] = {"status": res.status, "message": res.message, "outputs": len(res.outputs)}
        if res.status == "error":
            entry.update(forward=math.inf, loss=math.inf, train=math.inf, trained=0, pairs=0, error=res.error)
        else:
            fwd = [d.max_abs_diff for d in res.outputs]
            entry["forward"] = max(fwd) if fwd else math.inf
            entry["layers"] = len(res.layers)
            td = res.train
            grads = {d.new_name for d in td.grads} if td is not None else set()
            params = [d for d in td.params if d.new_name in grads] if td is not None else []
            # BN moving statistics after the step: Keras 3 updates moving_variance with the biased
            # batch variance, torch running_var with the unbiased one (the checker's known
            # divergence, reported, not asserted: the training step is asserted on trained weights)
            stats = [d for d in td.params if d.new_name not in grads] if td is not None else []
            entry["loss"] = td.loss_diff if td is not None else math.inf
            entry["train"] = max([td.max_grad_diff, *(d.max_abs_diff for d in params)]) if td is not None else math.inf
            entry["stats"] = max((d.max_abs_diff for d in stats), default=0.0)
            entry["trained"] = len(params)
            entry["pairs"] = len(res.correspondence or [])
            entry["channels_last"] = any("channels-last" in n for n in res.notes)
            # per-layer intermediates are the checker's diagnostics, paired by shape heuristics
            # (a functional torch.add / torch.sub has no module to pair): reported, not asserted
            entry["layers_off"] = [f"{d.label}: {d.max_abs_diff:.3g}" for d in res.layers if not d.ok]
            failing = [d for d in res.outputs + res.state if not d.ok]
            failing += [d for d in (td.grads + params if td is not None else []) if not d.ok]
            failing += [d for d in stats if not d.ok and "running_var" not in d.new_name]
            if res.status != "equivalent" and (failing or td is None or not td.loss_diff <= opts.train_atol):
                entry["forward"] = math.inf  # whatever else the checker found fails the case
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
