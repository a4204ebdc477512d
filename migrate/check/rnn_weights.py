"""THE weight layout map from TF1 RNN cells to the Keras RNN layers that TF2120 writes
instead (rules/tf1_to_tf2/_rnn.py): used by ``migrate convert-checkpoint`` (a TF1
checkpoint's cell variables become the Keras layer's, under the Keras variable paths) and
by the numeric tests that carry TF1 initial values over (tests/test_tf1_rnn.py).

* ``tf.nn.rnn_cell.BasicLSTMCell`` / ``LSTMCell`` (``<scope>/basic_lstm_cell/kernel``
  [inputs + units, 4 * units] applied to concat([inputs, h]), ``.../bias`` [4 * units],
  gate blocks i, j (candidate), f, o, and ``forget_bias`` added to f at run time) ->
  ``tf.keras.layers.LSTM(name=<scope>)``: ``<scope>/lstm_cell/kernel`` [inputs, 4 * units],
  ``recurrent_kernel`` [units, 4 * units], ``bias`` [4 * units], blocks i, f, c, o, the
  forget bias folded into the f block of the bias.
* ``tf.nn.rnn_cell.GRUCell`` (``<scope>/gru_cell/gates/kernel`` [inputs + units,
  2 * units] with blocks r, u, ``gates/bias``, ``candidate/kernel`` [inputs + units, units]
  over concat([inputs, r * h]), ``candidate/bias``; h' = u * h + (1 - u) * c) ->
  ``tf.keras.layers.GRU(reset_after=False, name=<scope>)``: ``<scope>/gru_cell/kernel``
  [inputs, 3 * units], ``recurrent_kernel`` [units, 3 * units], ``bias`` [3 * units],
  blocks z (= u), r, h.

The maps work on NumPy arrays (the rewriter never imports numerics; it names this module
in its findings).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

__all__ = ["keras_gru_weights", "keras_layout", "keras_lstm_weights"]


def keras_lstm_weights(kernel: Any, bias: Any, forget_bias: float, input_size: int) -> list[np.ndarray]:
    """A TF1 LSTM cell's (kernel, bias) -> the Keras LSTM's [kernel, recurrent_kernel, bias]
    (``layer.set_weights`` order). `forget_bias` is the cell's (TF1 default 1.0)."""
    kernel, bias = np.asarray(kernel), np.asarray(bias)
    units = kernel.shape[1] // 4
    blocks = [range(units), range(2 * units, 3 * units), range(units, 2 * units), range(3 * units, 4 * units)]
    order = [j for b in blocks for j in b]  # i, j, f, o -> i, f, j(c), o
    new_bias = bias[order].copy()
    new_bias[units:2 * units] += forget_bias
    return [kernel[:input_size][:, order], kernel[input_size:][:, order], new_bias]


def keras_gru_weights(gate_kernel: Any, gate_bias: Any, candidate_kernel: Any, candidate_bias: Any,
                      input_size: int) -> list[np.ndarray]:
    """A TF1 GRU cell's four variables -> the Keras GRU(reset_after=False)'s [kernel,
    recurrent_kernel, bias] (``layer.set_weights`` order)."""
    gate_kernel, gate_bias = np.asarray(gate_kernel), np.asarray(gate_bias)
    candidate_kernel, candidate_bias = np.asarray(candidate_kernel), np.asarray(candidate_bias)
    units = candidate_kernel.shape[1]
    r, u = gate_kernel[:, :units], gate_kernel[:, units:]
    joined = np.concatenate([u, r, candidate_kernel], axis=1)
    bias = np.concatenate([gate_bias[units:], gate_bias[:units], candidate_bias])
    return [joined[:input_size], joined[input_size:], bias]


_LSTM = re.compile(r"^(?P<scope>.+)/(?:basic_lstm_cell|lstm_cell)/kernel$")
_GRU = re.compile(r"^(?P<scope>.+)/gru_cell/gates/kernel$")


def keras_layout(values: dict[str, np.ndarray], forget_bias: float = 1.0,
                 keep: frozenset[str] | set[str] = frozenset()) -> tuple[dict[str, np.ndarray], list[str]]:
    """TF1 checkpoint values (name -> array) with every LSTM/GRU cell's variables replaced
    by the Keras layer's, named by their Keras paths (``<scope>/lstm_cell/kernel``,
    ``recurrent_kernel``, ``bias``; ``<scope>/gru_cell/...``); the names in `keep` (a name
    map's) and everything else unchanged. `forget_bias` is the LSTM cells' (a checkpoint
    does not hold it: TF1 added it at run time; TF2120 converts 1.0, the default, and 0.0).
    Returns the new dict and one line per converted cell."""
    out = dict(values)
    done: list[str] = []
    for name in sorted(values):
        if name in keep:
            continue
        m = _LSTM.match(name)
        if m is not None and name[: -len("/kernel")] + "/bias" in values:
            cell = name[: -len("/kernel")]
            kernel, bias = values[name], values[cell + "/bias"]
            if kernel.ndim != 2 or kernel.shape[1] % 4 or bias.shape != (kernel.shape[1],) or cell + "/bias" in keep:
                continue
            units = kernel.shape[1] // 4
            if kernel.shape[0] <= units or f"{cell}/w_f_diag" in values or f"{cell}/projection/kernel" in values:
                continue  # peepholes / projections: no Keras LSTM counterpart
            new = keras_lstm_weights(kernel, bias, forget_bias, kernel.shape[0] - units)
            del out[name], out[cell + "/bias"]
            path = f"{m.group('scope')}/lstm_cell"
            for part, w in zip(("kernel", "recurrent_kernel", "bias"), new):
                out[f"{path}/{part}"] = w
            done.append(f"{cell}/{{kernel,bias}} -> {path}/{{kernel,recurrent_kernel,bias}} (LSTM, forget_bias {forget_bias})")
            continue
        m = _GRU.match(name)
        if m is not None:
            cell = name[: -len("/gates/kernel")]
            names = [f"{cell}/gates/kernel", f"{cell}/gates/bias", f"{cell}/candidate/kernel", f"{cell}/candidate/bias"]
            if not all(n in values and n not in keep for n in names):
                continue
            gk, gb, ck, cb = (values[n] for n in names)
            units = ck.shape[1] if ck.ndim == 2 else 0
            if not units or gk.shape != (ck.shape[0], 2 * units) or gb.shape != (2 * units,) or cb.shape != (units,):
                continue
            new = keras_gru_weights(gk, gb, ck, cb, ck.shape[0] - units)
            for n in names:
                del out[n]
            path = f"{m.group('scope')}/gru_cell"
            for part, w in zip(("kernel", "recurrent_kernel", "bias"), new):
                out[f"{path}/{part}"] = w
            done.append(f"{cell}/{{gates,candidate}}/{{kernel,bias}} -> {path}/{{kernel,recurrent_kernel,bias}} (GRU, reset_after=False)")
    return out, done
