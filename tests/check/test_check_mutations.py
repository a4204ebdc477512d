"""Mutation tests: each known TF/Keras -> torch divergence, built into a deliberately wrong torch
twin of a Keras model, must be reported NOT equivalent with the offending layer named; the
correct twin must pass. (TF1-graph mutations live in test_tf1.py.)"""

from __future__ import annotations

import numpy as np
import pytest

from migrate.check import CheckOptions, OptimizerSpec, check

pytestmark = [pytest.mark.tf, pytest.mark.torch]

FAST = CheckOptions(max_examples=6, shrink_budget=10)


@pytest.fixture(scope="module")
def mods(keras_torch):
    keras, torch = keras_torch
    import torch.nn.functional as F
    from torch import nn

    class PadSame(nn.Module):
        """TF 'SAME' padding for a k x k, stride s window: the extra pixel goes bottom/right."""

        def __init__(self, k, s):
            super().__init__()
            self.k, self.s = k, s

        def forward(self, x):
            h, w = x.shape[-2:]
            ph = max(0, (-(-h // self.s) - 1) * self.s + self.k - h)
            pw = max(0, (-(-w // self.s) - 1) * self.s + self.k - w)
            return F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))

    class UntransposedLinear(nn.Linear):
        """Mutation: uses the weight as Keras stores it, x @ W instead of x @ W.T."""

        def forward(self, x):
            return x @ self.weight + self.bias

    class ReshapedConv2d(nn.Conv2d):
        """Mutation: the HWIO kernel bare-reshaped to OIHW instead of transposed."""

        def forward(self, x):
            hwio = self.weight.permute(2, 3, 1, 0)  # back to the TF kernel
            return F.conv2d(x, hwio.reshape(self.weight.shape), self.bias, self.stride, self.padding)

    class KerasBatchNorm2d(nn.BatchNorm2d):
        """BatchNorm with Keras 3's running-variance update (biased batch variance)."""

        def forward(self, x):
            if not self.training:
                return super().forward(x)
            mean = x.mean((0, 2, 3))
            var = x.var((0, 2, 3), unbiased=False)
            with torch.no_grad():
                self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mean)
                self.running_var.mul_(1 - self.momentum).add_(self.momentum * var)
            xn = (x - mean[None, :, None, None]) / torch.sqrt(var[None, :, None, None] + self.eps)
            return xn * self.weight[None, :, None, None] + self.bias[None, :, None, None]

    class KerasAdam(torch.optim.Adam):
        """torch Adam with Keras's "epsilon hat": eps_t = eps_hat / sqrt(1 - beta2**t)."""

        def __init__(self, params, lr, eps_hat, betas=(0.9, 0.999)):
            super().__init__(params, lr=lr, betas=betas, eps=eps_hat)
            self.eps_hat, self.t = eps_hat, 0

        def step(self, closure=None):
            self.t += 1
            for g in self.param_groups:
                g["eps"] = self.eps_hat / (1 - g["betas"][1] ** self.t) ** 0.5
            return super().step(closure)

    return dict(keras=keras, torch=torch, nn=nn, F=F, PadSame=PadSame, UntransposedLinear=UntransposedLinear,
                ReshapedConv2d=ReshapedConv2d, KerasBatchNorm2d=KerasBatchNorm2d, KerasAdam=KerasAdam)


def assert_fails_at(res, *names):
    assert res.status == "not_equivalent", res.summary()
    assert not res.equivalent
    assert res.first_divergent_layer is not None, res.summary()
    assert any(n in res.first_divergent_layer for n in names), res.summary()


def assert_passes(res):
    assert res.status == "equivalent", res.summary()
    assert res.equivalent and res.max_abs_diff <= res.tolerance["atol"]


# ----------------------------------------------------------------------------- Dense


def test_dense_untransposed_square_kernel(mods):
    keras, nn = mods["keras"], mods["nn"]
    inp = keras.Input((6,))
    h = keras.layers.Dense(6, activation="tanh", name="hidden")(inp)
    out = keras.layers.Dense(3, name="head")(h)
    km = keras.Model(inp, out)

    def twin(linear_cls):
        return nn.Sequential(linear_cls(6, 6), nn.Tanh(), nn.Linear(6, 3))

    assert_passes(check(km, twin(nn.Linear), FAST))
    assert_fails_at(check(km, twin(mods["UntransposedLinear"]), FAST), "hidden")


def test_dense_untransposed_by_mapping_rule(mods):
    """A converter bug (kernel copied without transposing), pinned through the mapping."""
    keras, nn = mods["keras"], mods["nn"]
    inp = keras.Input((5,))
    km = keras.Model(inp, keras.layers.Dense(5, name="sq")(inp))
    tm = nn.Sequential(nn.Linear(5, 5))
    bad = {"sq/kernel": {"to": "0.weight", "rule": "identity"}, "sq/bias": {"to": "0.bias", "rule": "identity"}}
    assert_passes(check(km, tm, FAST))
    res = check(km, tm, FAST, mapping=bad)
    assert res.status == "not_equivalent"
    assert "sq" in (res.first_divergent_layer or "")


# ----------------------------------------------------------------------------- Conv / padding


def test_conv_hwio_bare_reshape(mods):
    keras, nn = mods["keras"], mods["nn"]
    inp = keras.Input((7, 7, 3))
    h = keras.layers.Conv2D(4, 3, name="conv")(inp)
    out = keras.layers.GlobalAveragePooling2D()(h)
    km = keras.Model(inp, out)

    class Twin(nn.Module):
        def __init__(self, conv_cls):
            super().__init__()
            self.conv = conv_cls(3, 4, 3)

        def forward(self, x):
            return self.conv(x).mean((2, 3))

    assert_passes(check(km, Twin(nn.Conv2d), FAST))
    assert_fails_at(check(km, Twin(mods["ReshapedConv2d"]), FAST), "conv")


def test_same_padding_symmetric_vs_asymmetric(mods):
    keras, nn = mods["keras"], mods["nn"]
    inp = keras.Input((None, None, 3))
    h = keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="relu", name="down")(inp)
    out = keras.layers.Conv2D(2, 1, name="proj")(h)
    km = keras.Model(inp, out)

    def twin(asym):
        pad = [mods["PadSame"](3, 2)] if asym else []
        return nn.Sequential(*pad, nn.Conv2d(3, 4, 3, stride=2, padding=0 if asym else 1), nn.ReLU(),
                             nn.Conv2d(4, 2, 1))

    ok = check(km, twin(True), CheckOptions(max_examples=8))
    assert_passes(ok)
    bad = check(km, twin(False), FAST)
    assert_fails_at(bad, "down")
    sizes = [int(v) for v in bad.failing_example["sizes"].values()]
    assert any(s % 2 == 0 for s in sizes), bad.failing_example  # only even sizes shift the grid


def test_avgpool_count_include_pad(mods):
    keras, nn = mods["keras"], mods["nn"]
    inp = keras.Input((None, None, 2))
    h = keras.layers.Conv2D(3, 1, name="c1")(inp)
    h = keras.layers.AveragePooling2D(3, strides=1, padding="same", name="pool")(h)
    km = keras.Model(inp, keras.layers.Conv2D(2, 1, name="c2")(h))

    def twin(include):
        return nn.Sequential(nn.Conv2d(2, 3, 1), nn.AvgPool2d(3, 1, padding=1, count_include_pad=include),
                             nn.Conv2d(3, 2, 1))

    assert_passes(check(km, twin(False), FAST))
    assert_fails_at(check(km, twin(True), FAST), "pool")


# ----------------------------------------------------------------------------- BatchNorm


def _bn_model(keras):
    inp = keras.Input((None, None, 3))
    h = keras.layers.Conv2D(4, 3, padding="same", name="conv")(inp)
    h = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-3, name="bn")(h)
    out = keras.layers.GlobalAveragePooling2D()(h)
    return keras.Model(inp, out)


def _bn_twin(mods, bn):
    nn = mods["nn"]

    class Twin(nn.Module):
        def __init__(self):
            super().__init__()
            self.pad = mods["PadSame"](3, 1)
            self.conv = nn.Conv2d(3, 4, 3)
            self.bn = bn

        def forward(self, x):
            return self.bn(self.conv(self.pad(x))).mean((2, 3))

    return Twin()


def test_bn_momentum_not_inverted(mods):
    km = _bn_model(mods["keras"])
    kbn = mods["KerasBatchNorm2d"]
    assert_passes(check(km, _bn_twin(mods, kbn(4, eps=1e-3, momentum=0.1)), FAST))
    bad = check(km, _bn_twin(mods, kbn(4, eps=1e-3, momentum=0.9)), FAST)
    assert_fails_at(bad, "bn")
    assert bad.failing_mode == "train"
    assert any("running_mean" in d.new_name and not d.ok for d in bad.state)


def test_bn_running_variance_keras3_vs_torch_is_reported(mods):
    """Keras 3 BN stores the biased batch variance; stock torch BN the unbiased one: a real divergence."""
    km = _bn_model(mods["keras"])
    res = check(km, _bn_twin(mods, mods["nn"].BatchNorm2d(4, eps=1e-3, momentum=0.1)), FAST)
    assert_fails_at(res, "bn")
    bad = [d for d in res.state if not d.ok]
    assert bad and all("running_var" in d.new_name for d in bad)
    assert any("biased" in n for n in res.notes)


def test_bn_eps(mods):
    km = _bn_model(mods["keras"])
    kbn = mods["KerasBatchNorm2d"]
    res = check(km, _bn_twin(mods, kbn(4, momentum=0.1)), FAST)  # eps 1e-5 instead of 1e-3
    assert_fails_at(res, "bn")
    assert res.failing_mode == "eval"


# ----------------------------------------------------------------------------- activations, dropout


def test_gelu_tanh_vs_erf(mods):
    keras, nn = mods["keras"], mods["nn"]
    inp = keras.Input((8,))
    h = keras.layers.Dense(16, activation="gelu", name="ffn")(inp)  # exact (erf) GELU
    km = keras.Model(inp, keras.layers.Dense(4, name="out")(h))

    def twin(approx):
        return nn.Sequential(nn.Linear(8, 16), nn.GELU(approximate=approx), nn.Linear(16, 4))

    assert_passes(check(km, twin("none"), FAST))
    bad = check(km, twin("tanh"), FAST)
    assert_fails_at(bad, "ffn")
    assert bad.first_divergent_layer.endswith("1")  # paired with the nn.GELU module ("1")


def test_dropout_keep_prob_passed_as_p(mods):
    """TF1 keep_prob=0.9 is rate 0.1; passing it as torch p=0.9 drops 90%.

    Training-mode forwards run dropout with an all-kept mask, so each framework outputs
    x / (1 - rate): deterministic, and the scale pins the rate (see migrate.check.adapters).
    """
    keras, nn = mods["keras"], mods["nn"]
    inp = keras.Input((6,))
    h = keras.layers.Dense(8, activation="relu", name="fc")(inp)
    h = keras.layers.Dropout(0.1, name="drop")(h)
    km = keras.Model(inp, keras.layers.Dense(2, name="out")(h))

    def twin(p):
        return nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Dropout(p), nn.Linear(8, 2))

    assert_passes(check(km, twin(0.1), FAST))
    bad = check(km, twin(0.9), FAST)
    assert_fails_at(bad, "drop")
    assert bad.failing_mode == "train"  # eval mode cannot see it: dropout is off there
    assert all(d.ok for d in bad.outputs if d.mode == "eval")


# ----------------------------------------------------------------------------- optimizer


def test_adam_epsilon(mods):
    """Keras Adam(epsilon=1e-7) is 'epsilon hat'; torch Adam(eps=1e-8) is not the same update.
    Tiny gradients (loss_scale) make epsilon matter; three steps."""
    keras, torch, nn = mods["keras"], mods["torch"], mods["nn"]
    inp = keras.Input((4,))
    km = keras.Model(inp, keras.layers.Dense(3, name="lin")(inp))
    km.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3, epsilon=1e-7), loss="mse")
    opts = CheckOptions(max_examples=4, modes=("eval",), steps=3, loss_scale=1e-6, shrink_budget=5)

    good = (nn.Sequential(nn.Linear(4, 3)), lambda ps: mods["KerasAdam"](ps, lr=1e-3, eps_hat=1e-7))
    res = check(km, {"model": good[0], "optimizer": good[1]}, opts)
    assert_passes(res)
    assert "Adam" in res.train.optimizer_old and "Adam" in res.train.optimizer_new

    bad = (nn.Sequential(nn.Linear(4, 3)), lambda ps: torch.optim.Adam(ps, lr=1e-3, eps=1e-8))
    res = check(km, bad, opts)
    assert res.status == "not_equivalent", res.summary()
    t = res.train
    assert t is not None and not t.ok
    assert t.max_grad_diff <= 1e-4  # gradients agree ...
    assert t.max_param_diff > 1e-4  # ... the update does not
    assert "lin" in res.first_divergent_layer
    assert "update rule" in t.reason


def test_sgd_default_training_step_passes(mods):
    keras, nn = mods["keras"], mods["nn"]
    inp = keras.Input((5,))
    h = keras.layers.Dense(7, activation="tanh", name="a")(inp)
    km = keras.Model(inp, keras.layers.Dense(2, name="b")(h))
    res = check(km, nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 2)),
                CheckOptions(max_examples=4, steps=2, optimizer=OptimizerSpec("sgd", lr=0.1)))
    assert_passes(res)
    assert res.train is not None and res.train.ok and len(res.train.loss_old) == 2
    assert res.train.loss_diff <= 1e-4 and np.isfinite(res.train.max_param_diff)
