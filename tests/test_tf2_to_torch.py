"""The tf2-to-torch pack on whole files, and numeric proofs that the output computes what
the TensorFlow input computes.

Fixtures: ``tests/fixtures/tf2_to_torch/<case>/input.py`` (a TF2 program, most of them
copies of ``corpus/tf2/``) and ``expected.py`` (what the whole pack writes). Numeric tests
(``tf`` + ``torch`` markers) run the TF2 input under Keras 3 and the expected PyTorch code
with the same weights, copied by hand (Dense kernel transposed, Conv kernels HWIO -> OIHW,
batch-norm statistics as they are), and compare outputs.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from migrate.pack import load_pack
from migrate.result import Status
from migrate.testing import apply

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "tf2_to_torch"
CORPUS = ROOT / "corpus" / "tf2"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "input.py").exists())

# fixture case -> the corpus program it is a copy of
FROM_CORPUS = {
    "subclassed_cnn": "cnn_subclassed_bn",
    "sequential_mlp": "mlp_sequential",
    "ops_function": "tensor_ops",
    "gradient_tape_loop": "gradient_tape_regression",
    "alias_import_keras": "keras3_fully_conv",
    "alias_from_tensorflow": "text_encoder_layers",
}


def _pack():  # type: ignore[no-untyped-def]
    return load_pack("tf2-to-torch")


def _run(case: str):  # type: ignore[no-untyped-def]
    pack = _pack()
    code = (FIXTURES / case / "input.py").read_text(encoding="utf-8")
    return apply(code, pack.rules, pack, path=f"{case}/input.py")


# Whole-file expectations, re-parse and idempotence: tests/test_fixtures.py runs every case.


def test_fixture_inputs_are_the_corpus_programs() -> None:
    assert len(CASES) >= 6
    for case, name in FROM_CORPUS.items():
        assert (FIXTURES / case / "input.py").read_text(encoding="utf-8") == (CORPUS / f"{name}.py").read_text(encoding="utf-8"), case


# manual items the converted corpus programs are expected to keep (reported, not rewritten)
EXPECTED_MANUAL = {"alias_import_keras": ["model.layers has no PyTorch counterpart: use list(model.children())"]}


def test_converted_files_no_longer_import_tensorflow() -> None:
    for case in FROM_CORPUS:
        tree = ast.parse((FIXTURES / case / "expected.py").read_text(encoding="utf-8"))
        modules = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        modules += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        assert not [m for m in modules if m.split(".")[0] in ("tensorflow", "keras")], case
        manual = [f.message for f in _run(case).findings if f.status is Status.MANUAL]
        wanted = EXPECTED_MANUAL.get(case, [])
        assert len(manual) == len(wanted) and all(any(w in m for m in manual) for w in wanted), (case, manual)


def test_noop_file_has_no_findings() -> None:
    assert _run("noop_torch_code").findings == []


def test_manual_items_name_the_replacement() -> None:
    out = _run("manual_items")
    messages = {f.rule_id + ": " + f.message for f in out.findings}
    assert all(f.status is Status.MANUAL for f in out.findings)
    for needle in ("TensorDataset", "nn.LSTM", "Sequential left as it is: LSTM", "model.compile", "model.fit", "torch.save"):
        assert any(needle in m for m in messages), needle


def test_sequential_is_not_half_converted() -> None:
    src = (FIXTURES / "manual_items" / "input.py").read_text(encoding="utf-8")
    code = _run("manual_items").code
    assert code == src  # no expected.py: the case must stay unchanged
    assert "tf.keras.layers.Dense(1)" in code and "nn." not in code


# --------------------------------------------------------------------------------------
# numeric proofs


@pytest.fixture(scope="module")
def tf() -> Any:
    return pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def torch() -> Any:
    return pytest.importorskip("torch")


def _exec(path: Path) -> dict[str, Any]:
    ns: dict[str, Any] = {"__name__": f"fixture_{path.parent.name}_{path.stem}"}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), ns)  # noqa: S102 - our own fixtures
    return ns


def _both(case: str) -> tuple[dict[str, Any], dict[str, Any]]:
    return _exec(FIXTURES / case / "input.py"), _exec(FIXTURES / case / "expected.py")


def _torch_layers(module: Any, torch: Any) -> list[Any]:
    """The torch modules that hold weights, in definition order."""
    kinds = (torch.nn.Linear, torch.nn.Conv2d, torch.nn.BatchNorm1d, torch.nn.BatchNorm2d, torch.nn.LayerNorm, torch.nn.Embedding)
    return [m for m in module.modules() if isinstance(m, kinds)]


def _keras_layers(model: Any) -> list[Any]:
    names = ("Dense", "Conv2D", "BatchNormalization", "LayerNormalization", "Embedding")
    out = []
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if type(layer).__name__ in names:
            out.append(layer)
    return out


def _randomize_keras(model: Any, rng: np.random.RandomState) -> None:
    """Random weights everywhere, positive variances: no default hides a layout bug."""
    for layer in _keras_layers(model):
        weights = [rng.uniform(-0.5, 0.5, w.shape).astype("float32") for w in layer.get_weights()]
        if type(layer).__name__ == "BatchNormalization":
            weights[-1] = rng.uniform(0.5, 2.0, weights[-1].shape).astype("float32")
        layer.set_weights(weights)


def _copy(klayer: Any, tmod: Any, torch: Any) -> None:
    kind = type(klayer).__name__
    w = [np.asarray(v) for v in klayer.get_weights()]
    with torch.no_grad():
        if kind == "Dense":
            tmod.weight.copy_(torch.from_numpy(w[0].T.copy()))
            if len(w) > 1:
                tmod.bias.copy_(torch.from_numpy(w[1]))
        elif kind == "Conv2D":
            tmod.weight.copy_(torch.from_numpy(w[0].transpose(3, 2, 0, 1).copy()))  # HWIO -> OIHW
            if len(w) > 1:
                tmod.bias.copy_(torch.from_numpy(w[1]))
        elif kind == "BatchNormalization":
            tmod.weight.copy_(torch.from_numpy(w[0]))
            tmod.bias.copy_(torch.from_numpy(w[1]))
            tmod.running_mean.copy_(torch.from_numpy(w[2]))
            tmod.running_var.copy_(torch.from_numpy(w[3]))
        elif kind == "LayerNormalization":
            tmod.weight.copy_(torch.from_numpy(w[0]))
            tmod.bias.copy_(torch.from_numpy(w[1]))
        elif kind == "Embedding":
            tmod.weight.copy_(torch.from_numpy(w[0]))
        else:  # pragma: no cover
            raise AssertionError(kind)


def _transfer(kmodel: Any, tmodel: Any, torch: Any) -> None:
    ks, ts = _keras_layers(kmodel), _torch_layers(tmodel, torch)
    assert [type(k).__name__ for k in ks] and len(ks) == len(ts), (ks, ts)
    for k, t in zip(ks, ts):
        _copy(k, t, torch)


def _max_diff(a: Any, b: Any) -> float:
    return float(np.max(np.abs(np.asarray(a, dtype=np.float64) - b.detach().numpy().astype(np.float64))))


@pytest.mark.tf
@pytest.mark.torch
@pytest.mark.parametrize("size", [8, 9])
def test_numeric_subclassed_cnn_odd_and_even_sizes(tf: Any, torch: Any, size: int) -> None:
    ns_tf, ns_pt = _both("subclassed_cnn")
    rng = np.random.RandomState(size)
    x = rng.uniform(-1, 1, (2, size, size, 3)).astype("float32")
    kmodel = ns_tf["SmallCNN"]()
    kmodel(x, training=False)
    _randomize_keras(kmodel, rng)
    tmodel = ns_pt["SmallCNN"]().eval()
    with torch.no_grad():
        tmodel(torch.from_numpy(x))  # materialize the lazy modules
    _transfer(kmodel, tmodel, torch)
    with torch.no_grad():
        got = tmodel(torch.from_numpy(x))
    assert _max_diff(kmodel(x, training=False), got) <= 1e-5


@pytest.mark.tf
@pytest.mark.torch
@pytest.mark.parametrize("size", [10, 11])
def test_numeric_keras3_sequential_cnn_odd_and_even_sizes(tf: Any, torch: Any, size: int) -> None:
    ns_tf, ns_pt = _both("alias_import_keras")
    rng = np.random.RandomState(size)
    x = rng.uniform(-1, 1, (3, size, size + 1, 1)).astype("float32")
    kmodel = ns_tf["build_classifier"]()
    _randomize_keras(kmodel, rng)
    tmodel = ns_pt["build_classifier"]().eval()
    _transfer(kmodel, tmodel, torch)
    with torch.no_grad():
        got = tmodel(torch.from_numpy(x))
    assert _max_diff(kmodel(x, training=False), got) <= 1e-5


@pytest.mark.tf
@pytest.mark.torch
def test_numeric_sequential_mlp_normalization_pins(tf: Any, torch: Any) -> None:
    ns_tf, ns_pt = _both("sequential_mlp")
    rng = np.random.RandomState(0)
    x = rng.normal(0, 3, (5, 20)).astype("float32")
    kmodel = ns_tf["build_model"]()
    _randomize_keras(kmodel, rng)
    tmodel = ns_pt["build_model"]()
    _transfer(kmodel, tmodel, torch)
    got = ns_pt["predict_classes"](tmodel, torch.from_numpy(x))  # sets eval() itself
    assert np.array_equal(np.asarray(ns_tf["predict_classes"](kmodel, x)), got.numpy())
    with torch.no_grad():
        assert _max_diff(kmodel(x, training=False), tmodel(torch.from_numpy(x))) <= 1e-5


@pytest.mark.tf
@pytest.mark.torch
def test_numeric_gradient_tape_step(tf: Any, torch: Any) -> None:
    ns_tf, ns_pt = _both("gradient_tape_loop")
    rng = np.random.RandomState(1)
    x = rng.normal(0, 1, (32, 4)).astype("float32")
    y = x.sum(axis=1, keepdims=True).astype("float32")
    kmodel, tmodel = ns_tf["model"], ns_pt["model"]
    kmodel(x)
    _randomize_keras(kmodel, rng)
    with torch.no_grad():
        tmodel(torch.from_numpy(x))
    _transfer(kmodel, tmodel, torch)
    with tf.GradientTape() as tape:
        kgrads = tape.gradient(ns_tf["loss_fn"](y, kmodel(x)), kmodel.trainable_variables)
    lr, eps = 0.01, 1e-7
    for step in range(3):
        kloss = ns_tf["train_step"](tf.constant(x), tf.constant(y))
        tloss = ns_pt["train_step"](torch.from_numpy(x), torch.from_numpy(y))
        assert abs(float(kloss) - tloss.item()) <= 1e-5, step
        if step == 0:
            # After one Adam step the only difference allowed is Keras' "epsilon hat": Keras
            # adds epsilon before the bias correction (eps / sqrt(1 - beta_2) in torch terms).
            torch_params = [p for t in _torch_layers(tmodel, torch) for p in (t.weight.T, t.bias)]
            for g, v, p in zip(kgrads, kmodel.trainable_variables, torch_params):
                g = np.abs(np.asarray(g, dtype=np.float64))
                allowed = lr * (g / (g + eps) - g / (g + eps / np.sqrt(1 - 0.999))) + 1e-6
                diff = np.abs(np.asarray(v, dtype=np.float64) - p.detach().numpy())
                assert np.all(diff <= allowed), float(np.max(diff - allowed))
                assert float(np.max(diff)) <= 1e-3


@pytest.mark.tf
@pytest.mark.torch
def test_numeric_op_table_functions(tf: Any, torch: Any) -> None:
    ns_tf, ns_pt = _both("ops_function")
    rng = np.random.RandomState(2)
    x = rng.normal(0, 1, (3, 5, 4)).astype("float32")
    a, b = rng.normal(0, 1, (2, 3, 6)).astype("float32")
    mask = (rng.uniform(0, 1, (3, 5)) > 0.4).astype("int32")
    labels = np.array([0, 3, 7, -2], dtype="int32")
    t = torch.from_numpy

    def close(k: Any, p: Any, what: str) -> None:
        assert _max_diff(k, p) <= 1e-5, what

    close(ns_tf["masked_mean"](x, mask), ns_pt["masked_mean"](t(x), t(mask)), "masked_mean")
    close(ns_tf["attention"](x, x, x), ns_pt["attention"](t(x), t(x), t(x)), "attention")
    for i, (k, p) in enumerate(zip(ns_tf["pair_features"](a, b), ns_pt["pair_features"](t(a), t(b)))):
        close(k, p, f"pair_features[{i}]")
    close(ns_tf["one_hot_targets"](labels, 4), ns_pt["one_hot_targets"](t(labels), 4), "one_hot_targets")
    ks, ps = ns_tf["summary"](x[0]), ns_pt["summary"](t(x[0]))
    assert set(ks) == set(ps)
    for key in ks:
        close(ks[key], ps[key], key)
        assert np.asarray(ks[key]).shape == tuple(ps[key].shape), key


_KERAS_OPS = '''\
import keras


def block(x, w):
    h = keras.ops.relu(keras.ops.matmul(x, w))
    flat = keras.ops.reshape(h, (-1, 6))
    pooled = keras.ops.mean(flat, axis=1, keepdims=True)
    joined = keras.ops.concatenate([flat, keras.ops.square(flat)], axis=-1)
    probs = keras.ops.softmax(joined)
    moved = keras.ops.transpose(keras.ops.expand_dims(h, 0), (0, 2, 1, 3))
    return (pooled, probs, keras.ops.sum(keras.ops.sigmoid(flat), axis=0),
            keras.ops.stack([keras.ops.tanh(flat), keras.ops.exp(flat)], axis=1),
            keras.ops.max(moved, axis=-1), keras.ops.sqrt(keras.ops.abs(flat)))
'''


@pytest.mark.tf
@pytest.mark.torch
def test_numeric_keras3_ops(tf: Any, torch: Any) -> None:
    """`keras.ops.*` (Keras 3's NumPy-style ops) become the same torch ops: all converted,
    same values."""
    pack = load_pack("tf2-to-torch")
    out = apply(_KERAS_OPS, pack.rules, pack)
    assert "keras" not in out.code and not any(f.status is Status.MANUAL for f in out.findings), out.code
    ns_k: dict[str, Any] = {}
    ns_t: dict[str, Any] = {}
    exec(compile(_KERAS_OPS, "keras_ops.py", "exec"), ns_k)  # noqa: S102 - our own snippet
    exec(compile(out.code, "torch_ops.py", "exec"), ns_t)  # noqa: S102
    rng = np.random.RandomState(3)
    x = rng.normal(0, 1, (2, 3, 4)).astype("float32")
    w = rng.normal(0, 1, (4, 2)).astype("float32")
    for i, (k, p) in enumerate(zip(ns_k["block"](x, w), ns_t["block"](torch.from_numpy(x), torch.from_numpy(w)))):
        assert np.asarray(k).shape == tuple(p.shape), i
        assert _max_diff(k, p) <= 1e-5, i


def test_unconverted_keras_subclass_keeps_its_tensorflow_code() -> None:
    """A subclass of a Keras class the pack cannot convert stays TensorFlow as a whole (one
    manual item); the rest of the file is converted as usual."""
    src = (
        "import tensorflow as tf\n\n\n"
        "class BatchNorm(tf.keras.layers.BatchNormalization):\n"
        "    def call(self, x, training=None):\n"
        "        mean, var = tf.nn.moments(x, axes=[0, 1, 2])\n"
        "        n = tf.cast(tf.size(x) // tf.shape(x)[-1], x.dtype)\n"
        "        return tf.nn.batch_normalization(x, mean, var * n / tf.maximum(n - 1.0, 1.0), self.beta, self.gamma, 1e-3)\n\n\n"
        "def loss(a, b):\n"
        "    return tf.reduce_mean(tf.square(a - b))\n"
    )
    pack = load_pack("tf2-to-torch")
    out = apply(src, pack.rules, pack)
    cls = out.code[out.code.index("class BatchNorm"):out.code.index("def loss")]
    assert cls == src[src.index("class BatchNorm"):src.index("def loss")], out.code
    assert "torch.mean(torch.square(a - b))" in out.code
    kept = [f for f in out.findings if f.range.start.line >= 4 and f.range.end.line <= 8]
    assert [(f.rule_id, f.status) for f in kept] == [("PT1002", Status.MANUAL)], kept
