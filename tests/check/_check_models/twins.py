"""Torch twins of the TF1 graphs in tf1_graphs.py, correct and deliberately wrong."""

import torch
import torch.nn.functional as F
from torch import nn


def pad_same(x, k, s):
    """TF 'SAME' padding: extra pixel at the bottom/right."""
    h, w = x.shape[-2:]
    ph = max(0, (-(-h // s) - 1) * s + k - h)
    pw = max(0, (-(-w // s) - 1) * s + k - w)
    return F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))


def _swap_blocks(t, a, b, n=4):
    blocks = list(torch.chunk(t, n, dim=0))
    blocks[a], blocks[b] = blocks[b], blocks[a]
    return torch.cat(blocks, dim=0)


class TwinLSTM(nn.Module):
    """nn.LSTM with bias_hh frozen at zero (TF has one bias), optionally mis-migrated."""

    def __init__(self, n_in, hidden, mutation=None, forget_bias=0.0):
        super().__init__()
        self.lstm = nn.LSTM(n_in, hidden, batch_first=True)
        self.lstm.bias_hh_l0.requires_grad_(False)
        self.mutation = mutation
        self.forget_bias = forget_bias

    def forward(self, x):
        if self.mutation is None:
            return self.lstm(x)[0]
        p = dict(self.lstm.named_parameters())
        h = self.lstm.hidden_size
        if self.mutation == "gate_order":
            # weights left in TF1's i,j,f,o order: torch reads j as f and f as g
            p = {k: (_swap_blocks(v, 1, 2) if k != "bias_hh_l0" else v) for k, v in p.items()}
        elif self.mutation == "forget_bias":
            # forget_bias not folded into the f-block of the bias
            fb = torch.zeros_like(p["bias_ih_l0"])
            fb[h : 2 * h] = self.forget_bias
            p["bias_ih_l0"] = p["bias_ih_l0"] - fb
        return torch.func.functional_call(self.lstm, p, (x,))[0]


class CnnLstm(nn.Module):
    def __init__(self, mutation=None):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, stride=2)
        self.act = nn.ReLU()
        momentum = 0.9 if mutation == "bn_momentum" else 0.1  # Keras/TF momentum 0.9 -> torch 0.1
        self.bn = nn.BatchNorm2d(4, eps=1e-3, momentum=momentum)
        self.drop = nn.Dropout(0.25)
        self.flat = nn.Flatten()
        self.fc = nn.Linear(64, 5)
        lstm_mut = mutation if mutation in ("gate_order", "forget_bias") else None
        self.rnn = TwinLSTM(3, 4, lstm_mut, forget_bias=0.7)
        self.mutation = mutation

    def forward(self, x, seq):
        x = pad_same(x, 3, 2) if self.mutation != "sym_pad" else F.pad(x, (1, 1, 1, 1))
        y = self.fc(self.flat(self.drop(self.bn(self.act(self.conv(x))))))
        return y, self.rnn(seq)


def cnn_lstm():
    return CnnLstm()


def cnn_lstm_gate_order():
    return CnnLstm("gate_order")


def cnn_lstm_forget_bias():
    return CnnLstm("forget_bias")


def cnn_lstm_bn_momentum():
    return CnnLstm("bn_momentum")


class Mlp(nn.Module):
    def __init__(self, act="tanh"):
        super().__init__()
        self.fc1 = nn.Linear(6, 8)
        self.act = nn.Tanh() if act == "tanh" else nn.Sigmoid()
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def mlp():
    """A torch MLP (old side of torch->torch CLI checks); input spec declared by the factory."""
    return {"model": Mlp(), "input_spec": {"x": [6]}}


def mlp_same():
    return Mlp()


def mlp_sigmoid():
    return Mlp("sigmoid")


def mlp_wider():
    m = Mlp()
    m.fc2 = nn.Linear(8, 4)
    return m


def lstm5():
    """Twin of tf1_graphs.lstm_only."""
    return TwinLSTM(3, 5)


class ConvDenseLstm(nn.Module):
    """Target of convert-weights tests: conv 3->4 (k3, valid) on 8x8, Flatten->Linear(144, 2), LSTM(3, 5)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.fc = nn.Linear(144, 2)
        self.lstm = nn.LSTM(3, 5, batch_first=True)

    def forward(self, x, seq):
        return self.fc(torch.flatten(self.conv(x), 1)), self.lstm(seq)[0]


def conv_dense_lstm():
    return ConvDenseLstm()
