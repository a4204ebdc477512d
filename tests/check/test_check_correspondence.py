"""Pairing old weights with new parameters: explicit maps, inference, loud ambiguity (numpy only)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from migrate.check import (
    CorrespondenceError,
    WeightInfo,
    build_correspondence,
    load_mapping,
)
from migrate.check import weights as W


def tfw(name, shape, ltype, trainable=True, **extra):
    layer, role = name.rsplit("/", 1)
    return WeightInfo(name, tuple(shape), layer, ltype, role, trainable, extra)


def ptw(name, shape, ltype, trainable=True, **extra):
    layer, role = name.rsplit(".", 1)
    return WeightInfo(name, tuple(shape), layer, ltype, role, trainable, extra)


OLD = [
    tfw("conv2d/kernel", (3, 3, 3, 8), "Conv2D"),
    tfw("conv2d/bias", (8,), "Conv2D"),
    tfw("bn/gamma", (8,), "BatchNormalization"),
    tfw("bn/beta", (8,), "BatchNormalization"),
    tfw("bn/moving_mean", (8,), "BatchNormalization", False),
    tfw("bn/moving_variance", (8,), "BatchNormalization", False),
    tfw("dense/kernel", (32, 4), "Dense", flatten_hwc=[2, 2, 8]),
    tfw("dense/bias", (4,), "Dense"),
    tfw("dense_1/kernel", (4, 4), "Dense"),
    tfw("dense_1/bias", (4,), "Dense"),
]
NEW = [
    ptw("features.0.weight", (8, 3, 3, 3), "Conv2d", groups=1, in_channels=3),
    ptw("features.0.bias", (8,), "Conv2d", groups=1, in_channels=3),
    ptw("features.1.weight", (8,), "BatchNorm2d"),
    ptw("features.1.bias", (8,), "BatchNorm2d"),
    ptw("features.1.running_mean", (8,), "BatchNorm2d", False, buffer=True),
    ptw("features.1.running_var", (8,), "BatchNorm2d", False, buffer=True),
    ptw("head.0.weight", (4, 32), "Linear"),
    ptw("head.0.bias", (4,), "Linear"),
    ptw("head.2.weight", (4, 4), "Linear"),
    ptw("head.2.bias", (4,), "Linear"),
]


def arrays(ws, seed=0):
    r = np.random.default_rng(seed)
    return {w.name: r.standard_normal(w.shape).astype(np.float32) for w in ws}


def test_inferred_pairs_and_conversion():
    c = build_correspondence(OLD, NEW, "tf", "torch")
    got = [(p.old.name, p.new.name, p.inferred) for p in c.pairs]
    assert got == [("conv2d", "features.0", True), ("bn", "features.1", True), ("dense", "head.0", True),
                   ("dense_1", "head.2", True)]
    a = arrays(OLD)
    new = c.convert(a)
    assert set(new) == {w.name for w in NEW}
    np.testing.assert_array_equal(new["features.0.weight"], W.conv_kernel_to_torch(a["conv2d/kernel"]))
    np.testing.assert_array_equal(new["features.1.running_var"], a["bn/moving_variance"])
    np.testing.assert_array_equal(new["head.0.weight"], W.dense_after_flatten_to_torch(a["dense/kernel"], (2, 2, 8)))
    np.testing.assert_array_equal(new["head.2.weight"], a["dense_1/kernel"].T)
    d = c.to_list()
    assert d[2]["params"]["flatten_hwc"] == [2, 2, 8]
    json.dumps(d)


def test_gradients_convert_without_offsets_and_partial_units():
    c = build_correspondence(OLD, NEW, "tf", "torch")
    g = {k: v for k, v in arrays(OLD).items() if "moving" not in k}  # stats have no gradient
    new = c.convert(g, grad=True)
    assert "features.1.weight" in new and "features.1.running_mean" not in new


def test_explicit_mapping_pins_pairs_and_reorders():
    mapping = {"dense/kernel": "head.2.weight", "dense/bias": "head.2.bias", "dense_1": "head.0"}
    old = [w if not w.name.startswith("dense/") else WeightInfo(w.name, w.shape, w.layer, w.layer_type, w.role)
           for w in OLD]
    old = [WeightInfo(w.name, (4, 4) if w.name == "dense/kernel" else w.shape, w.layer, w.layer_type, w.role,
                      w.trainable) for w in old]
    new = [WeightInfo(w.name, (4, 4) if w.name == "head.0.weight" else w.shape, w.layer, w.layer_type, w.role,
                      w.trainable, w.extra) for w in NEW]
    c = build_correspondence(old, new, "tf", "torch", mapping)
    by_old = {p.old.name: p for p in c.pairs}
    assert by_old["dense"].new.name == "head.2" and not by_old["dense"].inferred
    assert by_old["dense_1"].new.name == "head.0"
    assert by_old["conv2d"].inferred


def test_mapping_files_json_and_toml(tmp_path):
    j = tmp_path / "m.json"
    j.write_text(json.dumps({"pairs": {"a/kernel": "x.weight"}, "params": {"a": {"forget_bias": 0.5}}}))
    t = tmp_path / "m.toml"
    t.write_text('"a/kernel" = "x.weight"\n[params.a]\nforget_bias = 0.5\n')
    for p in (j, t):
        m = load_mapping(p)
        assert m["a/kernel"] == "x.weight"
        assert m["@params:a"] == {"forget_bias": 0.5}


def test_count_mismatch_fails_loudly():
    with pytest.raises(CorrespondenceError, match="dense: the old model has 2 layer"):
        build_correspondence(OLD, NEW[:8], "tf", "torch")


def test_shape_mismatch_in_order_fails_loudly():
    new = [WeightInfo(w.name, (5, 4) if w.name == "head.2.weight" else (5,) if w.name == "head.2.bias" else w.shape,
                      w.layer, w.layer_type, w.role, w.trainable, w.extra) for w in NEW]
    with pytest.raises(CorrespondenceError, match="head.2"):
        build_correspondence(OLD, new, "tf", "torch")


def test_unknown_layer_type_fails_loudly():
    old = OLD + [tfw("mystery/w3", (2, 3, 4), None)]
    with pytest.raises(CorrespondenceError, match="mystery/w3"):
        build_correspondence(old, NEW, "tf", "torch")


def test_bad_mapping_names_fail_loudly():
    with pytest.raises(CorrespondenceError, match="does not have"):
        build_correspondence(OLD, NEW, "tf", "torch", {"nope/kernel": "head.0.weight"})
    with pytest.raises(CorrespondenceError, match="not in the new model"):
        build_correspondence(OLD, NEW, "tf", "torch", {"dense/kernel": "nope.weight"})
    with pytest.raises(CorrespondenceError, match="families"):
        build_correspondence(OLD, NEW, "tf", "torch", {"dense": "features.0"})


def test_guessed_family_is_noted():
    old = [tfw("fc/weights", (3, 2), None), tfw("fc/biases", (2,), None)]
    new = [ptw("fc.weight", (2, 3), "Linear"), ptw("fc.bias", (2,), "Linear")]
    c = build_correspondence(old, new, "tf", "torch")
    assert c.pairs[0].family == "dense" and c.notes


def test_torch_lstm_units_and_tf1_cell():
    h, n_in = 4, 3
    old = [tfw("rnn/basic_lstm_cell/kernel", (n_in + h, 4 * h), "TF1LSTMCell", forget_bias=1.0),
           tfw("rnn/basic_lstm_cell/bias", (4 * h,), "TF1LSTMCell")]
    new = [ptw("lstm.weight_ih_l0", (4 * h, n_in), "LSTM"), ptw("lstm.weight_hh_l0", (4 * h, h), "LSTM"),
           ptw("lstm.bias_ih_l0", (4 * h,), "LSTM"), ptw("lstm.bias_hh_l0", (4 * h,), "LSTM")]
    c = build_correspondence(old, new, "tf", "torch")
    a = arrays(old)
    got = c.convert(a)
    exp = W.tf1_lstm_cell_to_torch(a["rnn/basic_lstm_cell/kernel"], a["rnn/basic_lstm_cell/bias"], 1.0)
    np.testing.assert_array_equal(got["lstm.bias_ih_l0"], exp["bias_ih"])
    g = c.convert(a, grad=True)  # gradients: no forget_bias offset, both torch biases get it
    np.testing.assert_array_equal(g["lstm.bias_hh_l0"], g["lstm.bias_ih_l0"])
    exp0 = W.tf1_lstm_cell_to_torch(a["rnn/basic_lstm_cell/kernel"], a["rnn/basic_lstm_cell/bias"], 0.0)
    np.testing.assert_array_equal(g["lstm.bias_ih_l0"], exp0["bias_ih"])


def test_torch_to_torch_identity():
    c = build_correspondence(NEW[6:], NEW[6:], "torch", "torch")
    a = arrays(NEW[6:])
    out = c.convert(a)
    for k, v in a.items():
        np.testing.assert_array_equal(out[k], v)
