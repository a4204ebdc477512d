"""compare.py and strategies.py (numpy + hypothesis only)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from migrate.check import CheckOptions, InputSpec, WeightInfo
from migrate.check.compare import compare_arrays, summarize_array
from migrate.check.strategies import (
    Example,
    dynamic_axes,
    example_strategy,
    generate_inputs,
    generate_weights,
)


def test_compare_basic_and_rel():
    a = np.array([1.0, 2.0, 0.0], np.float32)
    d = compare_arrays("x", a, a + np.float32(1e-6), atol=1e-5)
    assert d.ok and d.max_abs_diff == pytest.approx(1e-6, rel=1e-2)
    d = compare_arrays("x", a, a + np.float32(1e-3), atol=1e-5)
    assert not d.ok and "differ" in d.reason
    assert 0 < d.max_rel_diff <= 2
    d = compare_arrays("x", a, a * 1.01, atol=0.0, rtol=0.02)
    assert d.ok


def test_compare_shape_mismatch_is_a_failure_not_a_crash():
    d = compare_arrays("x", np.zeros((2, 3)), np.zeros((3, 2)), atol=1e-5)
    assert not d.ok and math.isinf(d.max_abs_diff) and "shape mismatch" in d.reason
    assert d.to_dict()["max_abs_diff"] is None  # JSON-safe


def test_compare_nan_inf_masks():
    a = np.array([np.nan, np.inf, -np.inf, 1.0])
    assert compare_arrays("x", a, a.copy(), atol=1e-5).ok
    b = a.copy()
    b[0] = 0.0
    d = compare_arrays("x", a, b, atol=1e-5)
    assert not d.ok and "NaN masks differ" in d.reason
    b = a.copy()
    b[1] = -np.inf
    d = compare_arrays("x", a, b, atol=1e-5)
    assert not d.ok and "+Inf" in d.reason and "-Inf" in d.reason


def test_compare_integers_exact():
    assert not compare_arrays("i", np.array([1, 2]), np.array([1, 3]), atol=5).ok
    assert compare_arrays("i", np.array([1, 2]), np.array([1, 2]), atol=0).ok


def test_summarize_array():
    s = summarize_array(np.array([[1.0, np.nan], [3.0, 4.0]], np.float32))
    assert s["shape"] == [2, 2] and s["min"] == 1.0 and s["nonfinite"] == 1 and s["first"][1] is None


SPECS = [InputSpec("img", (None, None, 3)), InputSpec("tokens", (None,), "int32", "int"),
         InputSpec("mask", (None,), "float32", "mask")]


def _examples(specs, opts, n=40, min_batch=1):
    from hypothesis import HealthCheck, given, settings

    seen = []

    @settings(max_examples=n, database=None, derandomize=True, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(example_strategy(specs, opts, min_batch))
    def collect(ex):
        seen.append(ex)

    collect()
    return seen


def test_dynamic_axes_shared_and_ranged():
    axes = dynamic_axes(SPECS, CheckOptions(spatial_range=(4, 9), seq_range=(2, 5)))
    assert axes[0] == (4, 5)  # img H (spatial) shared with the sequence axis of tokens/mask: intersected
    assert axes[1] == (4, 9)


def test_examples_cover_both_parities_and_batches():
    specs = [InputSpec("img", (None, None, 3))]
    exs = _examples(specs, CheckOptions(), 30)
    sizes = {s for ex in exs for _, s in ex.sizes}
    assert any(s % 2 == 0 for s in sizes) and any(s % 2 for s in sizes)
    assert {ex.batch for ex in exs} >= {1, 2}
    assert all(ex.batch >= 2 for ex in _examples(specs, CheckOptions(), 10, min_batch=2))


def test_generated_inputs_kinds():
    ex = Example(batch=3, sizes=((0, 5), (1, 6)), input_seed=1, weight_seed=2, masked_row=True)
    x = generate_inputs(SPECS, ex, vocab=7)
    assert x["img"].shape == (3, 5, 6, 3) and x["img"].dtype == np.float32
    assert x["tokens"].shape == (3, 5) and x["tokens"].min() >= 0 and x["tokens"].max() < 7
    assert x["mask"].shape == (3, 5) and set(np.unique(x["mask"])) <= {0.0, 1.0}
    assert x["mask"][0].sum() == 0  # a fully masked row
    ex2 = Example(batch=3, sizes=((0, 5), (1, 6)), input_seed=1, weight_seed=2, style="uniform", nonfinite=True)
    y = generate_inputs(SPECS, ex2)
    assert np.isnan(y["img"]).any()
    assert np.nanmin(y["img"]) >= 0


def test_generated_weights_random_scaled_and_positive_variances():
    ws = [WeightInfo("d/kernel", (256, 64), "d", "Dense", "kernel"), WeightInfo("d/bias", (64,), "d", "Dense", "bias"),
          WeightInfo("bn/moving_variance", (64,), "bn", "BatchNormalization", "moving_variance", False),
          WeightInfo("bn/gamma", (64,), "bn", "BatchNormalization", "gamma")]
    a = generate_weights(ws, 0)
    b = generate_weights(ws, 1)
    assert not np.array_equal(a["d/kernel"], b["d/kernel"])
    assert np.unique(a["d/bias"]).size > 1  # never constant
    assert 0.05 < a["d/kernel"].std() * np.sqrt(256) < 3  # fan-in scaled
    assert (a["bn/moving_variance"] > 0).all() and (a["bn/gamma"] > 0).all()
