"""CPU inference time of each converted PyTorch model vs its TensorFlow 2 original.

    python benchmarks/torch_inference_speed.py [--batch 32] [--repeats 200] [--threads N]

For every model of the TF2 corpus that has a converted twin in
``tests/fixtures/tf2_to_torch/<case>/`` (``input.py`` is the TF2 program, ``expected.py``
what ``migrate tf2-to-torch`` writes), builds both, copies the Keras weights into the torch
model through the equivalence checker's weight transfer (and checks that the outputs agree),
then times inference on one batch:

* TF eager: ``model(x, training=False)``, Keras' default call;
* TF graph: the same call wrapped in ``tf.function`` (traced once before timing);
* torch: ``model.eval()`` under ``torch.inference_mode()``.

Each time is the median over ``--repeats`` calls after 10 warm-up calls. The ratio is torch
time / TF time (below 1: the migrated model is faster). Goal: the migrated model is not
slower than the original (ratio <= 1 against the faster TF mode).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

FIXTURES = ROOT / "tests" / "fixtures" / "tf2_to_torch"

# case -> (how to get the model from the module, per-example input shape, dtype)
MODELS: dict[str, tuple[str, tuple[int, ...], str]] = {
    "sequential_mlp": ("build_model()", (20,), "float32"),
    "subclassed_cnn": ("SmallCNN()", (32, 32, 3), "float32"),
    "alias_import_keras": ("build_classifier()", (28, 28, 1), "float32"),
    "gradient_tape_loop": ("model", (4,), "float32"),
    "fit_softmax_classifier": ("build_model()", (6,), "float32"),
    "fit_regression_sgd": ("build_model()", (4,), "float32"),
    "fit_binary_probabilities": ("build_model()", (5,), "float32"),
    "fit_piecewise_categorical": ("build_model()", (5,), "float32"),
    "loop_exponential_decay": ("model", (3,), "float32"),
    "loop_cosine_huber": ("model", (4,), "float32"),
    "gan_two_optimizers": ("generator", (4,), "float32"),
    "data_pipeline_loop": ("model", (3,), "float32"),
    "tape_watch_gradients": ("model", (3,), "float32"),
}


def _load(path: Path, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _transfer(kmodel: Any, tmodel: Any) -> None:
    import numpy as np
    import torch

    from migrate.check.adapters import KerasAdapter, make_adapter
    from migrate.check.correspondence import build_correspondence

    kad = KerasAdapter(kmodel, label="tf2", optimizer=object())
    tad = make_adapter(tmodel, "torch", label="torch")
    corr = build_correspondence(kad.info().weights, tad.info().weights, "tf", "torch", {})
    sd = tmodel.state_dict()
    sd.update({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in corr.convert(kad._state()).items()})
    tmodel.load_state_dict(sd)


def _median_time(fn: Any, repeats: int) -> float:
    for _ in range(10):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=200)
    ap.add_argument("--threads", type=int, default=0, help="intra-op threads for both frameworks (0: their defaults)")
    ap.add_argument("--only", nargs="*", help="cases to run")
    args = ap.parse_args(argv)

    import numpy as np
    import tensorflow as tf
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)

    rows = []
    for case, (getter, shape, dtype) in MODELS.items():
        if args.only and case not in args.only:
            continue
        if not (FIXTURES / case / "expected.py").exists():
            continue
        ktf = _load(FIXTURES / case / "input.py", f"bench_tf_{case}")
        kpt = _load(FIXTURES / case / "expected.py", f"bench_pt_{case}")
        kmodel, tmodel = eval(getter, vars(ktf)), eval(getter, vars(kpt))
        x = np.random.RandomState(0).uniform(-1, 1, (args.batch, *shape)).astype(dtype)
        kmodel(x, training=False)
        tmodel.eval()
        xt = torch.from_numpy(x)
        with torch.inference_mode():
            tmodel(xt)  # materialize lazy modules
        _transfer(kmodel, tmodel)
        with torch.inference_mode():
            diff = float(np.max(np.abs(np.asarray(kmodel(x, training=False)) - tmodel(xt).numpy())))
        graph = tf.function(lambda v, m=kmodel: m(v, training=False))
        xtf = tf.constant(x)
        graph(xtf)

        def run_torch(m: Any = tmodel, v: Any = xt) -> None:
            with torch.inference_mode():
                m(v)

        t_eager = _median_time(lambda m=kmodel, v=xtf: m(v, training=False), args.repeats)
        t_graph = _median_time(lambda g=graph, v=xtf: g(v), args.repeats)
        t_torch = _median_time(run_torch, args.repeats)
        rows.append((case, t_eager, t_graph, t_torch, diff))

    print(f"batch {args.batch}, median of {args.repeats} calls, torch {torch.__version__} ({torch.get_num_threads()} threads), TF {tf.__version__}")
    print("| model | TF eager ms | TF graph ms | torch ms | torch / TF eager | torch / TF graph | max abs diff |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    ratios = []
    for case, te, tg, tt, diff in rows:
        ratios.append(tt / min(te, tg))
        print(f"| {case} | {te * 1e3:.3f} | {tg * 1e3:.3f} | {tt * 1e3:.3f} | {tt / te:.2f} | {tt / tg:.2f} | {diff:.1e} |")
    if ratios:
        geo = float(np.exp(np.mean(np.log(ratios))))
        print(f"geometric mean of torch / fastest TF mode: {geo:.2f}; models slower than the faster TF mode: {sum(r > 1 for r in ratios)}/{len(ratios)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
