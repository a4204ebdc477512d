"""The public API: CheckResult serialisation, plots, shape mismatches, errors."""

from __future__ import annotations

import base64
import json

import pytest

from migrate.check import CheckOptions, check

pytestmark = [pytest.mark.torch]


@pytest.fixture(scope="module")
def nn():
    torch = pytest.importorskip("torch")
    return torch.nn


def mlp(nn, act=None):
    return nn.Sequential(nn.Linear(6, 8), act or nn.Tanh(), nn.Linear(8, 3))


OPTS = CheckOptions(max_examples=4, input_spec={"x": [6]}, shrink_budget=5)


def test_torch_vs_torch_result_dict_and_plot(nn, tmp_path):
    res = check(mlp(nn), mlp(nn), OPTS, plot_base64=True, name="mlp")
    assert res.equivalent and res.status == "equivalent", res.summary()
    d = res.to_dict()
    for key in ("name", "equivalent", "max_abs_diff", "tolerance", "layers", "train", "correspondence"):
        assert key in d
    assert d["name"] == "mlp" and d["tolerance"]["atol"] == 1e-5
    assert {"name", "max_abs_diff", "max_rel_diff"} <= set(d["layers"][0])
    json.dumps(d, allow_nan=False)
    png = res.plot_png(tmp_path / "p.png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and (tmp_path / "p.png").read_bytes() == png
    assert base64.b64decode(d["plot_png_base64"])[:4] == b"\x89PNG"


def test_not_equivalent_names_layer_and_input(nn):
    res = check(mlp(nn), mlp(nn, nn.Sigmoid()), OPTS)
    assert res.status == "not_equivalent"
    assert res.first_divergent_layer == "1"  # the activation module
    assert res.failing_input["x"]["shape"][1] == 6
    assert res.failing_example["batch"] == 1  # shrunk to the smallest batch
    assert "NOT equivalent" in res.message and "1" in res.summary()
    json.dumps(res.to_dict(), allow_nan=False)


def test_output_shape_mismatch_is_reported_not_raised(nn):
    class Cut(nn.Module):
        def __init__(self):
            super().__init__()
            self.m = mlp(nn)

        def forward(self, x):
            return self.m(x)[:, :2]

    res = check(mlp(nn), Cut(), OPTS, train_step=False)
    assert res.status == "not_equivalent"
    assert any("shape mismatch" in d.reason for d in res.outputs)


def test_model_raising_on_one_side_is_a_failure(nn):
    class Boom(nn.Module):
        def __init__(self):
            super().__init__()
            self.m = mlp(nn)

        def forward(self, x):
            if x.shape[0] > 1:
                raise RuntimeError("batch > 1 unsupported")
            return self.m(x)

    res = check(mlp(nn), Boom(), OPTS, train_step=False, min_batch=2)
    assert res.status == "not_equivalent" and any("only the new model raised" in n for n in res.notes)


def test_nonfinite_inputs_masks_match(nn):
    res = check(mlp(nn), mlp(nn), OPTS, nonfinite=True, train_step=False, modes=("eval",))
    assert res.equivalent, res.summary()


def test_errors_are_status_error(nn, tmp_path):
    res = check(mlp(nn), nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 4)), OPTS)
    assert res.status == "error" and "cannot pair" in res.error
    res = check(mlp(nn), mlp(nn), CheckOptions(max_examples=2))
    assert res.status == "error" and "input_spec" in res.error
    res = check(str(tmp_path / "missing.py") + ":build", mlp(nn), OPTS)
    assert res.status == "error" and "not found" in res.error
    d = res.to_dict()
    assert d["equivalent"] is False and d["error"]


def test_options_validation():
    with pytest.raises(ValueError):
        CheckOptions(modes=("bogus",))
    from migrate.check import OptimizerSpec

    s = OptimizerSpec.parse("adam:lr=1e-3,eps=1e-7")
    assert s.name == "adam" and s.eps == 1e-7 and s.lr == 1e-3
    with pytest.raises(ValueError):
        OptimizerSpec("rmsprop")
