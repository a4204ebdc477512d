"""CLI: exit codes 0/1/2 of `migrate check`, and `migrate convert-weights`."""

from __future__ import annotations

import json

import numpy as np
import pytest
from _check_models import tf1, twin
from click.testing import CliRunner

from migrate.check import weights as W
from migrate.check.cli import check_command, convert_weights_command

pytestmark = [pytest.mark.torch]


def run(cmd, args):
    return CliRunner().invoke(cmd, args, catch_exceptions=False)


def test_help_warns_that_code_is_run():
    r = run(check_command, ["--help"])
    assert r.exit_code == 0 and "IMPORTS AND RUNS" in r.output and "subprocess" in r.output
    r = run(convert_weights_command, ["--help"])
    assert r.exit_code == 0 and "IMPORTS AND RUNS" in r.output


def test_exit_0_with_json_and_plot(tmp_path):
    out, png = tmp_path / "r.json", tmp_path / "r.png"
    r = run(check_command, [twin("mlp"), twin("mlp_same"), "-n", "3", "--json", str(out), "--plot", str(png)])
    assert r.exit_code == 0, r.output
    d = json.loads(out.read_text())
    assert d["equivalent"] is True and d["old_kind"] == "torch" and d["layers"]
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_result_goes_into_the_porting_report(tmp_path):
    html, md = tmp_path / "r.html", tmp_path / "r.md"
    r = run(check_command, [twin("mlp"), twin("mlp_sigmoid"), "-n", "3", "--no-train", "--report", str(html)])
    assert r.exit_code == 1, r.output
    page = html.read_text()
    assert "data:image/png;base64," in page and "Equivalence" in page
    r = run(check_command, [twin("mlp"), twin("mlp_same"), "-n", "2", "--no-train", "--report", str(md)])
    assert r.exit_code == 0 and "Equivalence" in md.read_text()


def test_exit_1_not_equivalent():
    r = run(check_command, [twin("mlp"), twin("mlp_sigmoid"), "-n", "3", "--no-train", "--json", "-"])
    assert r.exit_code == 1, r.output
    assert "NOT equivalent" in r.output
    assert '"equivalent": false' in r.output


def test_exit_2_could_not_run(tmp_path):
    r = run(check_command, [twin("mlp"), twin("mlp_wider"), "-n", "2"])
    assert r.exit_code == 2 and "cannot pair" in r.output
    r = run(check_command, [str(tmp_path / "nope.py") + ":f", twin("mlp"), "-n", "2"])
    assert r.exit_code == 2
    r = run(check_command, [twin("mlp"), twin("mlp"), "--optimizer", "rmsprop"])
    assert r.exit_code == 2  # usage error


@pytest.mark.tf
@pytest.mark.slow
def test_tf1_graph_through_cli():
    r = run(check_command, [tf1("lstm_only"), twin("lstm5"), "-n", "3", "--input", "seq=None,3", "-q"])
    assert r.exit_code == 0, r.output
    assert "equivalent" in r.output


@pytest.mark.tf
def test_convert_tf1_checkpoint_with_model(tmp_path, keras_torch):
    _, torch = keras_torch
    import tensorflow as tf

    rng = np.random.default_rng(0)
    vals = {
        "conv2d/kernel": rng.standard_normal((3, 3, 3, 4)),
        "conv2d/bias": rng.standard_normal(4),
        "dense/kernel": rng.standard_normal((144, 2)),
        "dense/bias": rng.standard_normal(2),
        "rnn/basic_lstm_cell/kernel": rng.standard_normal((8, 20)),
        "rnn/basic_lstm_cell/bias": rng.standard_normal(20),
        "dense/kernel/Adam": rng.standard_normal((144, 2)),
        "global_step": np.array(3.0),
    }
    vals = {k: np.asarray(v, np.float32) for k, v in vals.items()}
    prefix = str(tmp_path / "ckpt" / "model.ckpt")
    names = sorted(vals)
    tf.raw_ops.SaveV2(prefix=prefix, tensor_names=names, shape_and_slices=[""] * len(names),
                      tensors=[tf.constant(vals[n]) for n in names])
    mapping = tmp_path / "map.toml"
    mapping.write_text("[params.dense]\nflatten_hwc = [6, 6, 4]\n[params.'rnn/basic_lstm_cell']\nforget_bias = 0.5\n")
    out = tmp_path / "w.pt"
    r = run(convert_weights_command, [prefix, str(out), "--model", twin("conv_dense_lstm"), "--mapping",
                                      str(mapping), "--json", str(tmp_path / "pairs.json")])
    assert r.exit_code == 0, r.output
    sd = torch.load(out, weights_only=True)
    np.testing.assert_array_equal(sd["conv.weight"].numpy(), W.conv_kernel_to_torch(vals["conv2d/kernel"]))
    np.testing.assert_array_equal(sd["fc.weight"].numpy(), W.dense_after_flatten_to_torch(vals["dense/kernel"], (6, 6, 4)))
    lstm = W.tf1_lstm_cell_to_torch(vals["rnn/basic_lstm_cell/kernel"], vals["rnn/basic_lstm_cell/bias"], 0.5)
    np.testing.assert_array_equal(sd["lstm.bias_ih_l0"].numpy(), lstm["bias_ih"])
    from _check_models.twins import ConvDenseLstm

    ConvDenseLstm().load_state_dict(sd)  # complete and loadable
    pairs = json.loads((tmp_path / "pairs.json").read_text())["pairs"]
    assert {p["old_layer"] for p in pairs} == {"conv2d", "dense", "rnn/basic_lstm_cell"}


@pytest.mark.tf
def test_convert_keras_weights_without_model(tmp_path, keras_torch):
    keras, torch = keras_torch
    inp = keras.Input((None, 3))
    h = keras.layers.LSTM(4, return_sequences=True, name="lstm")(inp)
    h = keras.layers.Dense(2, name="dense")(h)
    m = keras.Model(inp, keras.layers.LayerNormalization(name="norm")(h))
    src = tmp_path / "m.weights.h5"
    m.save_weights(str(src))
    out = tmp_path / "w.pt"
    r = run(convert_weights_command, [str(src), str(out)])
    assert r.exit_code == 0, r.output
    sd = torch.load(out, weights_only=True)
    # .weights.h5 names layers by class (layer_normalization), not by the user's names
    assert set(sd) == {"lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0",
                       "dense.weight", "dense.bias", "layer_normalization.weight", "layer_normalization.bias"}
    np.testing.assert_array_equal(sd["dense.weight"].numpy(), m.get_layer("dense").kernel.numpy().T)
    np.testing.assert_array_equal(sd["lstm.weight_hh_l0"].numpy(), m.get_layer("lstm").cell.recurrent_kernel.numpy().T)
    # the .keras archive gives the same tensors, under the model's own layer names
    m.save(str(tmp_path / "m.keras"))
    out2 = tmp_path / "w2.pt"
    assert run(convert_weights_command, [str(tmp_path / "m.keras"), str(out2)]).exit_code == 0
    sd2 = torch.load(out2, weights_only=True)
    assert set(sd2) == {k.replace("layer_normalization", "norm") for k in sd}
    for k in sd:
        np.testing.assert_array_equal(sd[k].numpy(), sd2[k.replace("layer_normalization", "norm")].numpy())


def test_convert_missing_source_exits_2(tmp_path):
    r = run(convert_weights_command, [str(tmp_path / "none"), str(tmp_path / "o.pt")])
    assert r.exit_code == 2
