"""Layout rules against real framework layers: build the Keras layer and the torch layer, copy
the weights with our function, compare outputs."""

from __future__ import annotations

import numpy as np
import pytest

from migrate.check import weights as W

pytestmark = [pytest.mark.tf, pytest.mark.torch]

ATOL = 1e-5


def rng(seed=0):
    return np.random.default_rng(seed)


def normal(r, *shape, scale=1.0):
    return (scale * r.standard_normal(shape)).astype(np.float32)


def kset(layer, arrays):
    assert len(layer.weights) == len(arrays)
    for v, a in zip(layer.weights, arrays):
        assert tuple(v.shape) == a.shape, (v.path, v.shape, a.shape)
        v.assign(a)


def tset(module, **arrays):
    import torch

    with torch.no_grad():
        for name, a in arrays.items():
            getattr(module, name).copy_(torch.from_numpy(np.ascontiguousarray(a)))


def tnp(t):
    return t.detach().numpy()


def tt(a):
    import torch

    return torch.from_numpy(np.ascontiguousarray(a))


def test_dense(keras_torch):
    keras, torch = keras_torch
    r = rng(1)
    k = keras.layers.Dense(5)
    k.build((None, 7))
    kern, b = normal(r, 7, 5, scale=0.4), normal(r, 5, scale=0.1)
    kset(k, [kern, b])
    t = torch.nn.Linear(7, 5)
    tset(t, weight=W.dense_kernel_to_torch(kern), bias=b)
    x = normal(r, 3, 7)
    np.testing.assert_allclose(tnp(t(tt(x))), np.asarray(k(x)), atol=ATOL)
    assert W.dense_kernel_to_torch(kern).shape == (5, 7)


def pad_same(x, k, s):
    import torch.nn.functional as F

    h, w = x.shape[-2:]
    ph = max(0, (-(-h // s) - 1) * s + k - h)
    pw = max(0, (-(-w // s) - 1) * s + k - w)
    return F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))


@pytest.mark.parametrize("size", [8, 9])
def test_conv2d_same_stride2_both_parities(keras_torch, size):
    """TF 'SAME' with stride 2 pads (0, 1) on even sizes and (1, 1) on odd ones."""
    keras, torch = keras_torch
    r = rng(size)
    k = keras.layers.Conv2D(4, 3, strides=2, padding="same")
    k.build((None, size, size, 3))
    kern, b = normal(r, 3, 3, 3, 4, scale=0.3), normal(r, 4, scale=0.1)
    kset(k, [kern, b])
    t = torch.nn.Conv2d(3, 4, 3, stride=2, padding=0)
    tset(t, weight=W.conv_kernel_to_torch(kern), bias=b)
    x = normal(r, 2, size, size, 3)
    expected = np.asarray(k(x))
    got = W.channels_first_to_last(tnp(t(pad_same(tt(W.channels_last_to_first(x)), 3, 2))))
    np.testing.assert_allclose(got, expected, atol=ATOL)
    sym = torch.nn.Conv2d(3, 4, 3, stride=2, padding=1)
    tset(sym, weight=W.conv_kernel_to_torch(kern), bias=b)
    got_sym = W.channels_first_to_last(tnp(sym(tt(W.channels_last_to_first(x)))))
    assert got_sym.shape == expected.shape
    if size % 2:  # symmetric padding=1 is right only for odd sizes
        np.testing.assert_allclose(got_sym, expected, atol=ATOL)
    else:
        assert np.abs(got_sym - expected).max() > 1e-2


def test_conv2d_bare_transpose_is_wrong():
    k = normal(rng(3), 3, 2, 4, 5)
    assert W.conv_kernel_to_torch(k).shape == (5, 4, 3, 2)
    assert not np.array_equal(W.conv_kernel_to_torch(k), np.transpose(k))  # (5,4,2,3) vs (5,4,3,2)


def test_conv1d(keras_torch):
    keras, torch = keras_torch
    r = rng(4)
    k = keras.layers.Conv1D(4, 3)
    k.build((None, 9, 2))
    kern, b = normal(r, 3, 2, 4, scale=0.4), normal(r, 4, scale=0.1)
    kset(k, [kern, b])
    t = torch.nn.Conv1d(2, 4, 3)
    tset(t, weight=W.conv_kernel_to_torch(kern), bias=b)
    x = normal(r, 2, 9, 2)
    got = W.channels_first_to_last(tnp(t(tt(W.channels_last_to_first(x)))))
    np.testing.assert_allclose(got, np.asarray(k(x)), atol=ATOL)


def test_depthwise_conv2d(keras_torch):
    keras, torch = keras_torch
    r = rng(5)
    k = keras.layers.DepthwiseConv2D(3, depth_multiplier=2)
    k.build((None, 7, 7, 3))
    kern, b = normal(r, 3, 3, 3, 2, scale=0.4), normal(r, 6, scale=0.1)
    kset(k, [kern, b])
    t = torch.nn.Conv2d(3, 6, 3, groups=3)
    tset(t, weight=W.depthwise_kernel_to_torch(kern), bias=b)
    x = normal(r, 2, 7, 7, 3)
    got = W.channels_first_to_last(tnp(t(tt(W.channels_last_to_first(x)))))
    np.testing.assert_allclose(got, np.asarray(k(x)), atol=ATOL)
    np.testing.assert_array_equal(W.torch_to_depthwise_kernel(W.depthwise_kernel_to_torch(kern), 3), kern)


def test_conv2d_transpose(keras_torch):
    keras, torch = keras_torch
    r = rng(6)
    k = keras.layers.Conv2DTranspose(5, 3, strides=2, padding="valid")
    k.build((None, 4, 4, 3))
    kern, b = normal(r, 3, 3, 5, 3, scale=0.4), normal(r, 5, scale=0.1)  # (kh, kw, out, in)
    kset(k, [kern, b])
    t = torch.nn.ConvTranspose2d(3, 5, 3, stride=2)
    tset(t, weight=W.conv_transpose_kernel_to_torch(kern), bias=b)
    x = normal(r, 2, 4, 4, 3)
    got = W.channels_first_to_last(tnp(t(tt(W.channels_last_to_first(x)))))
    np.testing.assert_allclose(got, np.asarray(k(x)), atol=ATOL)


def test_batchnorm_eval_and_train(keras_torch):
    """eps copied, momentum inverted; Keras 3 stores the *biased* batch variance, torch the unbiased."""
    keras, torch = keras_torch
    r = rng(7)
    m = 0.9
    k = keras.layers.BatchNormalization(momentum=m, epsilon=1e-3)
    k.build((None, 5, 5, 4))
    gamma, beta = r.uniform(0.5, 1.5, 4).astype(np.float32), normal(r, 4, scale=0.1)
    mean, var = normal(r, 4, scale=0.1), r.uniform(0.5, 1.5, 4).astype(np.float32)
    kset(k, [gamma, beta, mean, var])
    t = torch.nn.BatchNorm2d(4, eps=1e-3, momentum=W.bn_momentum_to_torch(m))
    tset(t, **W.batchnorm_to_torch(gamma, beta, mean, var))
    x = normal(r, 3, 5, 5, 4)
    xt = tt(W.channels_last_to_first(x))
    t.eval()
    np.testing.assert_allclose(W.channels_first_to_last(tnp(t(xt))), np.asarray(k(x, training=False)), atol=ATOL)
    t.train()
    np.testing.assert_allclose(W.channels_first_to_last(tnp(t(xt))), np.asarray(k(x, training=True)), atol=ATOL)
    np.testing.assert_allclose(tnp(t.running_mean), k.moving_mean.numpy(), atol=ATOL)
    n = 3 * 5 * 5
    biased = x.reshape(-1, 4).var(0)
    np.testing.assert_allclose(k.moving_variance.numpy(), m * var + (1 - m) * biased, atol=ATOL)
    np.testing.assert_allclose(tnp(t.running_var), m * var + (1 - m) * biased * n / (n - 1), atol=ATOL)
    # default torch eps (1e-5) is not Keras's 1e-3
    t2 = torch.nn.BatchNorm2d(4)
    tset(t2, **W.batchnorm_to_torch(gamma, beta, mean, var))
    t2.eval()
    assert np.abs(W.channels_first_to_last(tnp(t2(xt))) - np.asarray(k(x, training=False))).max() > 1e-4


def test_layernorm_eps(keras_torch):
    keras, torch = keras_torch
    r = rng(8)
    k = keras.layers.LayerNormalization()  # epsilon=1e-3
    k.build((None, 6))
    gamma, beta = r.uniform(0.5, 1.5, 6).astype(np.float32), normal(r, 6, scale=0.1)
    kset(k, [gamma, beta])
    x = normal(r, 4, 6, scale=0.05)  # small variance: eps matters
    ok = torch.nn.LayerNorm(6, eps=1e-3)
    tset(ok, **W.layernorm_to_torch(gamma, beta))
    np.testing.assert_allclose(tnp(ok(tt(x))), np.asarray(k(x)), atol=ATOL)
    bad = torch.nn.LayerNorm(6)  # eps=1e-5
    tset(bad, **W.layernorm_to_torch(gamma, beta))
    assert np.abs(tnp(bad(tt(x))) - np.asarray(k(x))).max() > 1e-2


def test_lstm(keras_torch):
    keras, torch = keras_torch
    r = rng(9)
    k = keras.layers.LSTM(4, return_sequences=True)
    k.build((None, 6, 3))
    kern, rec, b = normal(r, 3, 16, scale=0.5), normal(r, 4, 16, scale=0.5), normal(r, 16, scale=0.3)
    kset(k, [kern, rec, b])
    t = torch.nn.LSTM(3, 4, batch_first=True)
    conv = W.keras_lstm_to_torch(kern, rec, b)
    tset(t, weight_ih_l0=conv["weight_ih"], weight_hh_l0=conv["weight_hh"], bias_ih_l0=conv["bias_ih"],
         bias_hh_l0=conv["bias_hh"])
    x = normal(r, 2, 6, 3)
    np.testing.assert_allclose(tnp(t(tt(x))[0]), np.asarray(k(x)), atol=ATOL)
    back = W.torch_lstm_to_keras(conv["weight_ih"], conv["weight_hh"], conv["bias_ih"], conv["bias_hh"])
    np.testing.assert_array_equal(back["kernel"], kern)
    np.testing.assert_array_equal(back["bias"], b)


def test_gru_reset_after(keras_torch):
    keras, torch = keras_torch
    r = rng(10)
    k = keras.layers.GRU(4, return_sequences=True)  # reset_after=True
    k.build((None, 5, 3))
    kern, rec, b = normal(r, 3, 12, scale=0.5), normal(r, 4, 12, scale=0.5), normal(r, 2, 12, scale=0.3)
    kset(k, [kern, rec, b])
    t = torch.nn.GRU(3, 4, batch_first=True)
    conv = W.keras_gru_to_torch(kern, rec, b)
    tset(t, weight_ih_l0=conv["weight_ih"], weight_hh_l0=conv["weight_hh"], bias_ih_l0=conv["bias_ih"],
         bias_hh_l0=conv["bias_hh"])
    x = normal(r, 2, 5, 3)
    np.testing.assert_allclose(tnp(t(tt(x))[0]), np.asarray(k(x)), atol=ATOL)
    back = W.torch_gru_to_keras(conv["weight_ih"], conv["weight_hh"], conv["bias_ih"], conv["bias_hh"])
    np.testing.assert_array_equal(back["kernel"], kern)
    np.testing.assert_array_equal(back["bias"], b)
    with pytest.raises(ValueError, match="reset_after"):
        W.keras_gru_to_torch(kern, rec, b[0])


def test_flatten_then_dense(keras_torch):
    keras, torch = keras_torch
    r = rng(11)
    h, w, c = 3, 4, 5
    kern, b = normal(r, h * w * c, 2, scale=0.2), normal(r, 2, scale=0.1)
    k = keras.layers.Dense(2)
    k.build((None, h * w * c))
    kset(k, [kern, b])
    x = normal(r, 2, h, w, c)
    expected = np.asarray(k(keras.layers.Flatten()(x)))
    t = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(h * w * c, 2))
    tset(t[1], weight=W.dense_after_flatten_to_torch(kern, (h, w, c)), bias=b)
    xt = tt(W.channels_last_to_first(x))
    np.testing.assert_allclose(tnp(t(xt)), expected, atol=ATOL)
    tset(t[1], weight=W.dense_kernel_to_torch(kern))  # plain transpose: rows in the wrong order
    assert np.abs(tnp(t(xt)) - expected).max() > 1e-2
    back = W.torch_to_dense_after_flatten(W.dense_after_flatten_to_torch(kern, (h, w, c)), (h, w, c))
    np.testing.assert_array_equal(back, kern)


def test_embedding(keras_torch):
    keras, torch = keras_torch
    r = rng(12)
    k = keras.layers.Embedding(11, 4)
    k.build((None, 5))
    emb = normal(r, 11, 4)
    kset(k, [emb])
    t = torch.nn.Embedding(11, 4)
    tset(t, weight=W.embedding_to_torch(emb))
    ids = r.integers(0, 11, (2, 5)).astype(np.int32)
    np.testing.assert_allclose(tnp(t(tt(ids).long())), np.asarray(k(ids)), atol=0)


def test_inverses_round_trip():
    r = rng(13)
    k2 = normal(r, 3, 4)
    np.testing.assert_array_equal(W.torch_to_dense_kernel(W.dense_kernel_to_torch(k2)), k2)
    for shape in [(3, 2, 4), (3, 3, 2, 4), (2, 3, 3, 2, 4)]:
        k = normal(r, *shape)
        np.testing.assert_array_equal(W.torch_to_conv_kernel(W.conv_kernel_to_torch(k)), k)
        np.testing.assert_array_equal(W.torch_to_conv_transpose_kernel(W.conv_transpose_kernel_to_torch(k)), k)
    bn = W.batchnorm_to_torch(None, None, normal(r, 3), normal(r, 3))
    np.testing.assert_array_equal(bn["weight"], np.ones(3, np.float32))
    assert W.bn_momentum_to_torch(0.99) == pytest.approx(0.01)
    assert W.bn_momentum_from_torch(0.1) == pytest.approx(0.9)
    x = normal(r, 2, 3, 4, 5)
    np.testing.assert_array_equal(W.channels_first_to_last(W.channels_last_to_first(x)), x)


def test_reorder_gates_and_tf1_cell_layout():
    h = 2
    blocks = {g: np.full((3, h), i, np.float32) for i, g in enumerate("ijfo")}
    k = np.concatenate([blocks[g] for g in "ijfo"], axis=1)  # (in+H=3, 4H)
    re = W.reorder_gates(k, "ijfo", "ifjo", axis=1)
    assert [int(re[0, i * h]) for i in range(4)] == [0, 2, 1, 3]
    out = W.tf1_lstm_cell_to_torch(k, np.zeros(4 * h, np.float32), forget_bias=0.5)
    assert out["weight_ih"].shape == (4 * h, 1) and out["weight_hh"].shape == (4 * h, h)
    np.testing.assert_array_equal(out["bias_ih"], [0, 0, 0.5, 0.5, 0, 0, 0, 0])
    np.testing.assert_array_equal(out["bias_hh"], np.zeros(4 * h))
    with pytest.raises(ValueError):
        W.reorder_gates(k, "ijfo", "ijf", axis=1)


def test_tensorflow_and_torch_run_in_one_process(keras_torch):
    """The in-process adapters rely on both frameworks coexisting."""
    keras, torch = keras_torch
    x = normal(rng(14), 2, 3)
    np.testing.assert_allclose(np.asarray(keras.ops.tanh(x)), tnp(torch.tanh(tt(x))), atol=1e-6)
