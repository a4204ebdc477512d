"""The checker on tf2-to-torch output: NHWC-interface torch models (``torch_layout``), Keras
``Bidirectional`` (-> ``KerasRNN`` around a ``bidirectional=True`` nn.LSTM/nn.GRU) and
``SeparableConv1D/2D`` (-> a depthwise ``groups=in`` conv then a 1x1 conv).

The torch twins are what the pack writes for the Keras source (``migrate.testing.apply``), so
the check runs on converted models as they are. Mutation tests prove each new rule is needed:
swapped RNN directions, swapped depthwise/pointwise convolutions, a wrong depthwise kernel
layout, a channels-first flatten in an NHWC model and the wrong ``torch_layout`` must all be
reported NOT equivalent (or refused).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from migrate.check import CheckOptions, check
from migrate.check import weights as W
from migrate.check.correspondence import (
    CorrespondenceError,
    build_correspondence,
    build_units,
)
from migrate.check.options import WeightInfo

FAST = CheckOptions(max_examples=3, shrink_budget=4, modes=("eval",))

SOURCE = '''import tensorflow as tf
from tensorflow.keras import layers


def build_seq():
    return tf.keras.Sequential([
        tf.keras.Input(shape=(None, 3)),
        layers.Bidirectional(layers.GRU(4, return_sequences=True)),
        layers.SeparableConv1D(5, 3, padding="same", depth_multiplier=2),
        layers.Bidirectional(layers.LSTM(3)),
        layers.Dense(2),
    ])


def build_img():
    return tf.keras.Sequential([
        tf.keras.Input(shape=(6, 7, 2)),
        layers.SeparableConv2D(4, 3, depth_multiplier=2, activation="relu"),
        layers.Conv2D(3, 1),
        layers.Flatten(),
        layers.Dense(5),
    ])


def build_sep_same():
    return tf.keras.Sequential([
        tf.keras.Input(shape=(None, None, 4)),
        layers.SeparableConv2D(4, 3, padding="same"),
    ])
'''


# ----------------------------------------------------------------------------- no framework


def _w(name: str, shape: tuple[int, ...], layer: str, ltype: str, **extra: Any) -> WeightInfo:
    return WeightInfo(name, shape, layer, ltype, name.rsplit("/", 1)[-1].rsplit(".", 1)[-1], True, extra)


def _bidi_keras(rnn: str = "LSTM", h: int = 3, n_in: int = 2) -> list[WeightInfo]:
    g = 4 if rnn == "LSTM" else 3
    bias = (g * h,) if rnn == "LSTM" else (2, g * h)
    out = []
    for d in ("forward", "backward"):
        base = f"bidirectional/{d}_{rnn.lower()}/{rnn.lower()}_cell"
        out += [
            _w(f"{base}/kernel", (n_in, g * h), "bidirectional", "Bidirectional", direction=d, inner=rnn),
            _w(f"{base}/recurrent_kernel", (h, g * h), "bidirectional", "Bidirectional", direction=d, inner=rnn),
            _w(f"{base}/bias", bias, "bidirectional", "Bidirectional", direction=d, inner=rnn),
        ]
    return out


def _bidi_torch(rnn: str = "LSTM", h: int = 3, n_in: int = 2) -> list[WeightInfo]:
    g = 4 if rnn == "LSTM" else 3
    out = []
    for sfx in ("", "_reverse"):
        for role, shape in (("weight_ih", (g * h, n_in)), ("weight_hh", (g * h, h)), ("bias_ih", (g * h,)), ("bias_hh", (g * h,))):
            out.append(_w(f"bi.rnn.{role}_l0{sfx}", shape, "bi.rnn", rnn))
    return out


def _sep_keras(k: tuple[int, ...] = (3, 3), cin: int = 2, mult: int = 2, f: int = 5) -> list[WeightInfo]:
    ones = (1,) * len(k)
    return [
        _w("sep/depthwise_kernel", (*k, cin, mult), "sep", f"SeparableConv{len(k)}D"),
        _w("sep/pointwise_kernel", (*ones, cin * mult, f), "sep", f"SeparableConv{len(k)}D"),
        _w("sep/bias", (f,), "sep", f"SeparableConv{len(k)}D"),
    ]


def _sep_torch(k: tuple[int, ...] = (3, 3), cin: int = 2, mult: int = 2, f: int = 5) -> list[WeightInfo]:
    n = len(k)
    return [
        _w("s.0.weight", (cin * mult, 1, *k), "s.0", f"Conv{n}d", groups=cin, in_channels=cin),
        _w("s.1.weight", (f, cin * mult, *(1,) * n), "s.1", f"Conv{n}d", groups=1, in_channels=cin * mult),
        _w("s.1.bias", (f,), "s.1", f"Conv{n}d", groups=1, in_channels=cin * mult),
    ]


def test_bidirectional_and_separable_split_into_two_units() -> None:
    units, rest = build_units(_bidi_keras("GRU") + _sep_keras(), "tf")
    assert not rest
    assert [(u.name, u.family) for u in units] == [
        ("bidirectional/forward", "gru"), ("bidirectional/backward", "gru"),
        ("sep/depthwise", "depthwise"), ("sep/pointwise", "conv"),
    ]
    assert set(units[3].weights) == {"kernel", "bias"} and set(units[2].weights) == {"kernel"}
    # without the adapter's hints, the direction and the inner layer come from the weight names
    bare = [WeightInfo(w.name, w.shape, w.layer, w.layer_type, w.role) for w in _bidi_keras("LSTM")]
    units, rest = build_units(bare, "tf")
    assert not rest and [u.name for u in units] == ["bidirectional/forward", "bidirectional/backward"]


@pytest.mark.parametrize("rnn", ["LSTM", "GRU"])
def test_bidirectional_pairs_forward_with_l0_and_backward_with_l0_reverse(rnn: str) -> None:
    for mapping in (None, {"bidirectional": "bi.rnn"}):
        corr = build_correspondence(_bidi_keras(rnn), _bidi_torch(rnn), "tf", "torch", mapping)
        assert [(p.old.name, p.new.name) for p in corr.pairs] == [
            ("bidirectional/forward", "bi.rnn.l0"), ("bidirectional/backward", "bi.rnn.l0_reverse"),
        ]
    rng = np.random.RandomState(0)
    old = {w.name: rng.rand(*w.shape).astype("float32") for w in _bidi_keras(rnn)}
    new = corr.convert(old)
    conv = W.keras_lstm_to_torch if rnn == "LSTM" else W.keras_gru_to_torch
    for d, sfx in (("forward", ""), ("backward", "_reverse")):
        base = f"bidirectional/{d}_{rnn.lower()}/{rnn.lower()}_cell"
        want = conv(old[f"{base}/kernel"], old[f"{base}/recurrent_kernel"], old[f"{base}/bias"])
        for role, a in want.items():
            np.testing.assert_array_equal(new[f"bi.rnn.{role}_l0{sfx}"], a)


@pytest.mark.parametrize("k", [(3,), (3, 3)])
def test_separable_pairs_depthwise_then_pointwise(k: tuple[int, ...]) -> None:
    for mapping in (None, {"sep": "s.0"}, {"sep": "s"}, {"sep": ["s.0", "s.1"]}):
        corr = build_correspondence(_sep_keras(k), _sep_torch(k), "tf", "torch", mapping)
        assert [(p.old.name, p.new.layer, p.family) for p in corr.pairs] == [
            ("sep/depthwise", "s.0", "depthwise"), ("sep/pointwise", "s.1", "conv"),
        ], mapping
    rng = np.random.RandomState(1)
    old = {w.name: rng.rand(*w.shape).astype("float32") for w in _sep_keras(k)}
    new = corr.convert(old)
    want = W.separable_conv_to_torch(old["sep/depthwise_kernel"], old["sep/pointwise_kernel"], old["sep/bias"])
    np.testing.assert_array_equal(new["s.0.weight"], want["depthwise.weight"])
    np.testing.assert_array_equal(new["s.1.weight"], want["pointwise.weight"])
    np.testing.assert_array_equal(new["s.1.bias"], want["pointwise.bias"])
    # the depthwise layout is invertible for 1-D and 2-D kernels
    np.testing.assert_array_equal(W.torch_to_depthwise_kernel(new["s.0.weight"], 2), old["sep/depthwise_kernel"])


def test_multi_unit_mapping_errors_name_the_parts() -> None:
    with pytest.raises(CorrespondenceError, match="2 parts"):
        build_correspondence(_sep_keras(), _sep_torch(), "tf", "torch", {"sep": "s.1"})
    with pytest.raises(CorrespondenceError, match="families depthwise vs conv"):
        build_correspondence(_sep_keras(), _sep_torch(), "tf", "torch", {"sep": ["s.1", "s.0"]})


def test_dense_after_flatten_rows_follow_the_torch_layout() -> None:
    k = [_w("dense/kernel", (12, 3), "dense", "Dense", flatten_hwc=[2, 2, 3]), _w("dense/bias", (3,), "dense", "Dense", flatten_hwc=[2, 2, 3])]
    t = [_w("fc.weight", (3, 12), "fc", "Linear"), _w("fc.bias", (3,), "fc", "Linear")]
    kern = np.arange(36, dtype="float32").reshape(12, 3)
    arrays = {"dense/kernel": kern, "dense/bias": np.zeros(3, "float32")}
    cf = build_correspondence(k, t, "tf", "torch").convert(arrays)["fc.weight"]
    cl = build_correspondence(k, t, "tf", "torch", torch_layout="channels_last").convert(arrays)["fc.weight"]
    np.testing.assert_array_equal(cf, W.dense_after_flatten_to_torch(kern, (2, 2, 3)))
    np.testing.assert_array_equal(cl, kern.T)
    assert not np.array_equal(cf, cl)
    # an explicit per-layer layout still wins
    pinned = build_correspondence(k, t, "tf", "torch", {"params": {"dense": {"layout": "flatten"}}}, torch_layout="channels_last")
    np.testing.assert_array_equal(pinned.convert(arrays)["fc.weight"], cf)


def test_torch_layout_option_is_validated() -> None:
    with pytest.raises(ValueError, match="torch_layout"):
        CheckOptions(torch_layout="nhwc")


# ----------------------------------------------------------------------------- Keras vs torch


@pytest.fixture(scope="module")
def models(keras_torch: Any) -> dict[str, Any]:
    """Keras builders from SOURCE and the torch builders the pack writes for them."""
    _keras, torch = keras_torch
    from migrate.pack import load_pack
    from migrate.testing import apply

    pack = load_pack("tf2-to-torch")
    out = apply(SOURCE, pack.rules, pack, path="nhwc_layers.py")
    tns: dict[str, Any] = {}
    exec(compile(out.code, "nhwc_layers_torch.py", "exec"), tns)  # noqa: S102 - written by the pack from SOURCE
    import tensorflow as tf

    kns: dict[str, Any] = {"tf": tf, "layers": tf.keras.layers}
    body = SOURCE.split("\n", 3)[3]  # without the imports
    exec(compile(body, "nhwc_layers_keras.py", "exec"), kns)  # noqa: S102 - our source
    return {"keras": kns, "torch": tns, "code": out.code, "nn": torch.nn}


def _pair(models: dict[str, Any], name: str) -> tuple[Any, Any]:
    return models["keras"][name](), models["torch"][name]()


@pytest.mark.tf
@pytest.mark.torch
def test_converted_recurrent_separable_model_is_equivalent(models: dict[str, Any]) -> None:
    km, tm = _pair(models, "build_seq")
    res = check(km, tm, FAST)
    assert res.equivalent, res.summary()
    fams = [p["family"] for p in res.correspondence]
    assert fams == ["gru", "gru", "depthwise", "conv", "lstm", "lstm", "dense"], res.correspondence
    assert res.train is not None and res.train.ok and res.train.params


@pytest.mark.tf
@pytest.mark.torch
def test_converted_nhwc_image_model_checked_as_it_is(models: dict[str, Any]) -> None:
    assert "ChannelsLast(" in models["code"]
    km, tm = _pair(models, "build_img")
    res = check(km, tm, FAST)  # auto: the ChannelsLast helper marks an NHWC interface
    assert res.equivalent, res.summary()
    assert any("channels-last" in n for n in res.notes)
    res = check(km, tm, FAST, torch_layout="channels_last")
    assert res.equivalent, res.summary()
    # the NCHW reading of the same model feeds it transposed images: refused or different
    res = check(km, tm, FAST, torch_layout="channels_first")
    assert not res.equivalent


@pytest.mark.tf
@pytest.mark.torch
def test_hand_written_nhwc_model_needs_the_option(keras_torch: Any) -> None:
    """No ChannelsLast helper: ``auto`` reads the model as channels-first (documented limit),
    ``channels_last`` checks it as it is."""
    keras, torch = keras_torch
    nn = torch.nn

    class Nhwc(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(2, 3, 3)
            self.fc = nn.Linear(4 * 5 * 3, 4)

        def forward(self, x):
            y = self.conv(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
            return self.fc(y.flatten(1))

    km = keras.Sequential([keras.Input((6, 7, 2)), keras.layers.Conv2D(3, 3), keras.layers.Flatten(), keras.layers.Dense(4)])
    assert check(km, Nhwc(), FAST, torch_layout="channels_last").equivalent
    assert not check(km, Nhwc(), FAST).equivalent


# ----------------------------------------------------------------------------- mutations


@pytest.mark.tf
@pytest.mark.torch
def test_mutation_swapped_directions_is_caught(models: dict[str, Any]) -> None:
    km, tm = _pair(models, "build_seq")
    names = [p["new_layer"] for p in check(km, tm, FAST).correspondence]
    gru = [n for n in names if n.startswith("0.")]
    assert gru == ["0.rnn.l0", "0.rnn.l0_reverse"], names
    keras_bidi = km.layers[0].name
    swapped = {f"{keras_bidi}/forward": "0.rnn.l0_reverse", f"{keras_bidi}/backward": "0.rnn.l0"}
    res = check(km, tm, FAST, mapping=swapped)
    assert res.status == "not_equivalent", res.summary()
    assert {p["new_layer"] for p in res.correspondence if p["old_layer"] == f"{keras_bidi}/forward"} == {"0.rnn.l0_reverse"}


@pytest.mark.tf
@pytest.mark.torch
def test_mutation_swapped_depthwise_and_pointwise_is_caught(models: dict[str, Any]) -> None:
    """A conversion that runs the 1x1 pointwise conv before the depthwise one (same shapes
    when filters == channels and depth_multiplier == 1): the pairs by family still form, the
    outputs differ."""
    km = models["keras"]["build_sep_same"]()
    good = models["torch"]["build_sep_same"]()
    assert check(km, good, FAST).equivalent
    nn = models["nn"]
    cl = type(good[0]) if isinstance(good, nn.Sequential) else type(good)
    depth, point = [m for m in good.modules() if isinstance(m, nn.Conv2d)]
    assert depth.groups == 4 and point.kernel_size == (1, 1)
    bad = nn.Sequential(cl(point, depth))
    res = check(km, bad, FAST)
    assert res.status == "not_equivalent", res.summary()


@pytest.mark.tf
@pytest.mark.torch
def test_mutation_depthwise_layout_without_transpose_is_caught(models: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """depth_multiplier=2: the (in, mult) -> in*mult merge order matters."""
    km, tm = _pair(models, "build_img")

    def bare_reshape(kernel: np.ndarray) -> np.ndarray:  # merges (mult, in) instead of (in, mult)
        kh, kw, cin, mult = kernel.shape
        return np.ascontiguousarray(kernel.transpose(3, 2, 0, 1).reshape(cin * mult, 1, kh, kw))

    kern = np.random.RandomState(0).rand(3, 3, 2, 2).astype("float32")
    assert bare_reshape(kern).shape == W.depthwise_kernel_to_torch(kern).shape
    assert not np.array_equal(bare_reshape(kern), W.depthwise_kernel_to_torch(kern))
    monkeypatch.setattr(W, "depthwise_kernel_to_torch", bare_reshape)
    res = check(km, tm, FAST)
    assert res.status == "not_equivalent", res.summary()


@pytest.mark.tf
@pytest.mark.torch
def test_mutation_channels_first_flatten_in_nhwc_model_is_caught(models: dict[str, Any]) -> None:
    """The Flatten moved inside ChannelsLast (it then flattens C, H, W): with the NHWC
    interface the Dense rows are not reordered, so the wrong flatten order shows."""
    km, tm = _pair(models, "build_img")
    nn = models["nn"]
    group, flatten, linear = tm[0], tm[1], tm[2]
    assert isinstance(flatten, nn.Flatten)
    bad = nn.Sequential(type(group)(*group, flatten), linear)
    res = check(km, bad, FAST)
    assert res.status == "not_equivalent", res.summary()


def test_cli_has_the_torch_layout_flag() -> None:
    from click.testing import CliRunner

    from migrate.check.cli import check_command

    out = CliRunner().invoke(check_command, ["--help"])
    assert out.exit_code == 0 and "--torch-layout" in out.output and "channels_last" in out.output
    bad = CliRunner().invoke(check_command, ["a.py:f", "b.py:g", "--torch-layout", "nhwc"])
    assert bad.exit_code == 2 and "nhwc" in bad.output
