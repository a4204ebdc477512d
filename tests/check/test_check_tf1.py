"""TF1 graphs (in the checker's worker subprocess) against torch and Keras twins.

All TF1 tests share one worker process, so TensorFlow is imported there once."""

from __future__ import annotations

import numpy as np
import pytest
from _check_models import tf1

from migrate.check import CheckOptions, check
from migrate.check import weights as W

pytestmark = [pytest.mark.tf, pytest.mark.torch, pytest.mark.slow]

OPTS = CheckOptions(max_examples=5, shrink_budget=10)


@pytest.fixture(scope="module")
def twins(keras_torch):
    from _check_models import twins as t

    return t


def test_tf1_basic_lstm_cell_forget_bias_layout(keras_torch):
    """tf1_lstm_cell_to_torch against a real BasicLSTMCell(forget_bias=0.5) run by the worker."""
    _, torch = keras_torch
    from migrate.check.adapters import Tf1Adapter

    ad = Tf1Adapter(tf1("lstm_only"))
    try:
        info = ad.info()
        ws = {w.role: w for w in info.weights}
        assert ws["kernel"].layer_type == "TF1LSTMCell"
        assert ws["kernel"].extra["forget_bias"] == pytest.approx(0.5)
        r = np.random.default_rng(0)
        kern = (0.5 * r.standard_normal(ws["kernel"].shape)).astype(np.float32)  # (3+5, 20)
        bias = (0.3 * r.standard_normal(ws["bias"].shape)).astype(np.float32)
        ad.set_input_specs(info.inputs)
        x = r.standard_normal((2, 6, 3)).astype(np.float32)
        res = ad.forward({ws["kernel"].name: kern, ws["bias"].name: bias}, {"seq": x}, "eval")
        expected = res.outputs[0].array
        assert expected.shape == (2, 6, 5)

        def run(conv):
            lstm = torch.nn.LSTM(3, 5, batch_first=True)
            with torch.no_grad():
                for k, v in conv.items():
                    getattr(lstm, f"{k}_l0").copy_(torch.from_numpy(v))
            return lstm(torch.from_numpy(x))[0].detach().numpy()

        np.testing.assert_allclose(run(W.tf1_lstm_cell_to_torch(kern, bias, 0.5)), expected, atol=1e-5)
        assert np.abs(run(W.tf1_lstm_cell_to_torch(kern, bias, 0.0)) - expected).max() > 1e-3  # dropped
        unordered = W.keras_lstm_to_torch(kern[:3], kern[3:], bias + np.r_[np.zeros(10), np.full(5, 0.5), np.zeros(5)])
        assert np.abs(run(unordered) - expected).max() > 1e-3  # i,j,f,o left as is
    finally:
        ad.close()


def test_tf1_graph_vs_torch_twin_end_to_end(twins):
    res = check(tf1("cnn_lstm"), twins.CnnLstm(), OPTS)
    assert res.status == "equivalent", res.summary()
    assert res.old_kind == "tf1" and res.new_kind == "torch"
    pairs = {p["old_layer"]: p for p in res.correspondence}
    assert pairs["conv2d"]["new_layer"] == "conv"
    assert pairs["dense"]["params"]["flatten_hwc"] == [4, 4, 4]  # Dense after Flatten detected
    assert pairs["rnn/basic_lstm_cell"]["params"]["forget_bias"] == pytest.approx(0.7)
    assert res.train is not None and res.train.ok
    assert {d.mode for d in res.layers} == {"eval", "train"}
    d = res.to_dict()
    assert d["equivalent"] is True and d["layers"]


@pytest.mark.parametrize(
    "mutation, layer, mode",
    [
        ("gate_order", "basic_lstm_cell", "eval"),
        ("forget_bias", "basic_lstm_cell", "eval"),
        ("bn_momentum", "batch_normalization", "train"),
        ("sym_pad", "conv2d", "eval"),
    ],
)
def test_tf1_mutations(twins, mutation, layer, mode):
    res = check(tf1("cnn_lstm"), twins.CnnLstm(mutation), OPTS)
    assert res.status == "not_equivalent", res.summary()
    assert layer in (res.first_divergent_layer or ""), res.summary()
    assert res.failing_mode == mode


def test_tf1_lstm_without_frozen_bias_hh_is_a_training_divergence(twins):
    """torch trains bias_ih and bias_hh: their sum moves twice as fast as TF's single bias."""
    twin = twins.TwinLSTM(3, 5)
    twin.lstm.bias_hh_l0.requires_grad_(True)
    res = check(tf1("lstm_only"), twin, OPTS)
    assert res.status == "not_equivalent"
    assert all(d.ok for d in res.outputs)
    assert "bias_hh" in res.first_divergent_layer
    assert any("bias_hh" in n for n in res.notes)


def test_tf1_lstm_cell_to_keras_lstm(keras_torch):
    """TF1 -> TF2: a BasicLSTMCell graph against a Keras LSTM (kernel split, gates, forget_bias)."""
    keras, _ = keras_torch
    inp = keras.Input((None, 3), name="seq")
    km = keras.Model(inp, keras.layers.LSTM(5, return_sequences=True, name="lstm")(inp))
    res = check(tf1("lstm_only"), km, OPTS)
    assert res.status == "equivalent", res.summary()
    assert res.new_kind == "keras"
    assert res.correspondence[0]["rule"] == "tf->tf:lstm"


def test_tf1_default_forget_bias_detected(twins):
    res = check(tf1("lstm_cell_default"), twins.TwinLSTM(2, 3), OPTS)
    assert res.status == "equivalent", res.summary()
    assert res.correspondence[0]["params"]["forget_bias"] == pytest.approx(1.0)


def test_tf1_broken_factory_is_an_error(twins):
    res = check(tf1("broken"), twins.TwinLSTM(2, 3), OPTS)
    assert res.status == "error" and not res.equivalent
    assert "broken on purpose" in res.error
