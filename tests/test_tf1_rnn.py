"""TF1 LSTM/GRU cells + tf.nn.dynamic_rnn -> Keras LSTM/GRU layers created once (TF2120,
rules/tf1_to_tf2/_rnn.py), and the weight layout map (migrate/check/rnn_weights.py).

The numeric proof runs each fixture of NUMERIC (tests/fixtures/tf1_to_tf2/rnn_*: an LSTM, a
GRU, an LSTM encoder + GRU decoder, corpus/tf1/lstm_dynamic_rnn.py in straight-line code with
`state.h` fetched, runs sharing a helper that returns the LSTM's h and c, an LSTM unrolled by
static_rnn) in TF1 (graph mode) and its checked-in migration
expected.py (TF2, eager) on the same initial weights, with the harness that proves the
PROVEN corpus programs (tests/test_tf1_structural.py: CAPTURE, ``carried_values``,
RUN_TF2; one implementation of the carry-over):

* TF1 side: the trainable variables' values right after initialisation, with their names,
  and every LSTM/GRU cell's variables (and an LSTM's forget_bias), recorded by wrapping the
  cells' `build`.
* An LSTM cell's (kernel, bias) pair (a GRU cell's four variables) goes through THE layout map
  (``migrate.check.rnn_weights.keras_lstm_weights`` / ``keras_gru_weights``, the one
  `migrate convert-checkpoint` applies too) and becomes the Keras (kernel,
  recurrent_kernel, bias) triple; the other variables are kept.
* TF2 side: a ``tf.variable_creator_scope`` gives each trainable variable the first
  queued value OF ITS SHAPE (Keras builds the LSTM on its first call, inside the first
  tf.function, after the plain tf.Variables: creation orders differ from TF1's), and for
  an RNN layer's value also of its role (kernel, recurrent_kernel, bias). The shapes of the
  other values are asserted pairwise distinct and distinct from the RNN ones, so the match
  is unambiguous (RNN layers of one shape take their values in TF1's cell order: Keras
  builds them in call order), and every queued value must be used.

Everything after the initial values (masking, the forget bias, gate order, training with
Keras' SGD(momentum) / Adam) is the migrated code's own computation. The initial BIASES the
Keras layers make on their own (unit_forget_bias, the GRU's Constant initializer) are also
checked equal to TF1's mapped ones. Tolerances: 1e-5 before training (`first_h1`,
`first_summary0`), 1e-4 after.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from migrate.check.rnn_weights import (
    keras_gru_weights,
    keras_layout,
    keras_lstm_weights,
)
from migrate.engine.process import Options, process_bytes
from migrate.result import Status
from tests.test_tf1_structural import (
    CAPTURE,
    RUN_TF2,
    TF1_CELL_VARIABLES,
    _code_only,
    _compare,
    _env,
    carried_values,
)

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "tf1_to_tf2" / "rnn_lstm_dynamic"
SRC = (FIXTURE / "input.py").read_text()


# -- the layout map, against the two cells' math written out in NumPy ----------------------

def _sigmoid(v: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-v))


def _tf1_step(x, h, c, kernel, bias, forget_bias):  # type: ignore[no-untyped-def]
    """tensorflow/python/ops/rnn_cell_impl.py BasicLSTMCell.call (tanh activation)."""
    i, j, f, o = np.split(np.concatenate([x, h], 1) @ kernel + bias, 4, axis=1)
    new_c = c * _sigmoid(f + forget_bias) + _sigmoid(i) * np.tanh(j)
    return np.tanh(new_c) * _sigmoid(o), new_c


def _keras_step(x, h, c, kernel, recurrent, bias):  # type: ignore[no-untyped-def]
    """keras/src/layers/rnn/lstm.py LSTMCell.call: gates i, f, c, o."""
    i, f, cc, o = np.split(x @ kernel + h @ recurrent + bias, 4, axis=1)
    new_c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(cc)
    return _sigmoid(o) * np.tanh(new_c), new_c


@pytest.mark.parametrize("forget_bias", [1.0, 0.0, 0.7])
def test_layout_map_turns_the_tf1_cell_into_the_keras_cell(forget_bias: float) -> None:
    rng = np.random.default_rng(0)
    n_in, units, batch = 3, 5, 4
    kernel = rng.normal(size=(n_in + units, 4 * units))
    bias = rng.normal(size=4 * units)
    before = bias.copy()
    k, rk, b = keras_lstm_weights(kernel, bias, forget_bias, n_in)
    assert k.shape == (n_in, 4 * units) and rk.shape == (units, 4 * units) and b.shape == (4 * units,)
    h1 = h2 = np.zeros((batch, units))
    c1 = c2 = np.zeros((batch, units))
    for _ in range(4):
        x = rng.normal(size=(batch, n_in))
        h1, c1 = _tf1_step(x, h1, c1, kernel, bias, forget_bias)
        h2, c2 = _keras_step(x, h2, c2, k, rk, b)
    assert np.abs(h1 - h2).max() < 1e-12 and np.abs(c1 - c2).max() < 1e-12
    assert np.array_equal(bias, before)  # the TF1 bias is not changed in place


def _tf1_gru_step(x, h, gk, gb, ck, cb):  # type: ignore[no-untyped-def]
    """rnn_cell_impl.py GRUCell.call: r, u gates; the candidate over concat([x, r * h])."""
    r, u = np.split(_sigmoid(np.concatenate([x, h], 1) @ gk + gb), 2, axis=1)
    c = np.tanh(np.concatenate([x, r * h], 1) @ ck + cb)
    return u * h + (1 - u) * c


def _keras_gru_step(x, h, kernel, recurrent, bias):  # type: ignore[no-untyped-def]
    """keras/src/layers/rnn/gru.py GRUCell.call with reset_after=False: z, r, h blocks."""
    units = h.shape[1]
    x_z, x_r, x_h = np.split(x @ kernel + bias, 3, axis=1)
    z = _sigmoid(x_z + h @ recurrent[:, :units])
    r = _sigmoid(x_r + h @ recurrent[:, units:2 * units])
    hh = np.tanh(x_h + (r * h) @ recurrent[:, 2 * units:])
    return z * h + (1 - z) * hh


def test_gru_layout_map_turns_the_tf1_cell_into_the_keras_cell() -> None:
    rng = np.random.default_rng(1)
    n_in, units, batch = 3, 5, 4
    gk, gb = rng.normal(size=(n_in + units, 2 * units)), rng.normal(size=2 * units)
    ck, cb = rng.normal(size=(n_in + units, units)), rng.normal(size=units)
    k, rk, b = keras_gru_weights(gk, gb, ck, cb, n_in)
    assert k.shape == (n_in, 3 * units) and rk.shape == (units, 3 * units) and b.shape == (3 * units,)
    h1 = h2 = np.zeros((batch, units))
    for _ in range(4):
        x = rng.normal(size=(batch, n_in))
        h1, h2 = _tf1_gru_step(x, h1, gk, gb, ck, cb), _keras_gru_step(x, h2, k, rk, b)
    assert np.abs(h1 - h2).max() < 1e-12 and np.abs(h1).max() > 0.1


def test_unit_forget_bias_is_tf1s_forget_bias_of_one_on_zero_bias() -> None:
    """TF1's bias starts at zeros (+ forget_bias=1.0 at run time): mapped, that is Keras'
    unit_forget_bias initial bias, zeros with ones in the f block."""
    units = 3
    _k, _rk, b = keras_lstm_weights(np.zeros((2 + units, 4 * units)), np.zeros(4 * units), 1.0, 2)
    assert b.tolist() == [0.0] * units + [1.0] * units + [0.0] * (2 * units)


def test_checkpoint_layout_renames_and_maps_the_cells() -> None:
    rng = np.random.default_rng(2)
    lstm_k, lstm_b = rng.normal(size=(3 + 4, 16)), rng.normal(size=16)
    gk, gb, ck, cb = rng.normal(size=(4 + 2, 4)), rng.normal(size=4), rng.normal(size=(4 + 2, 2)), rng.normal(size=2)
    values = {"rnn/basic_lstm_cell/kernel": lstm_k, "rnn/basic_lstm_cell/bias": lstm_b,
              "enc/gru_cell/gates/kernel": gk, "enc/gru_cell/gates/bias": gb,
              "enc/gru_cell/candidate/kernel": ck, "enc/gru_cell/candidate/bias": cb,
              "peep/lstm_cell/kernel": lstm_k, "peep/lstm_cell/bias": lstm_b, "peep/lstm_cell/w_f_diag": lstm_b[:4],
              "kept/lstm_cell/kernel": lstm_k, "kept/lstm_cell/bias": lstm_b,
              "Variable": gb, "rnn/basic_lstm_cell/kernel/Momentum": lstm_k}
    out, done = keras_layout(values, 0.0, keep={"kept/lstm_cell/kernel"})
    assert sorted(out) == sorted([
        "rnn/lstm_cell/kernel", "rnn/lstm_cell/recurrent_kernel", "rnn/lstm_cell/bias",
        "enc/gru_cell/kernel", "enc/gru_cell/recurrent_kernel", "enc/gru_cell/bias",
        "peep/lstm_cell/kernel", "peep/lstm_cell/bias", "peep/lstm_cell/w_f_diag",  # peepholes: no Keras LSTM
        "kept/lstm_cell/kernel", "kept/lstm_cell/bias",  # named by the map: left to it
        "Variable", "rnn/basic_lstm_cell/kernel/Momentum"])  # optimizer slots: left out later
    for got, want in zip([out[f"rnn/lstm_cell/{p}"] for p in ("kernel", "recurrent_kernel", "bias")],
                         keras_lstm_weights(lstm_k, lstm_b, 0.0, 3)):
        assert np.array_equal(got, want)
    for got, want in zip([out[f"enc/gru_cell/{p}"] for p in ("kernel", "recurrent_kernel", "bias")],
                         keras_gru_weights(gk, gb, ck, cb, 4)):
        assert np.array_equal(got, want)
    assert len(done) == 2 and "forget_bias 0.0" in done[0] + done[1]


# -- the rewrite ---------------------------------------------------------------------------

def _migrate(src: str) -> tuple[str, list]:  # type: ignore[type-arg]
    result, out = process_bytes(src.encode(), "input.py", Options(pack="tf1-to-tf2", unsafe_fixes=True, verify_idempotence=True))
    assert not result.errors, result.errors
    return out.decode(), [f for f in result.findings if f.rule_id == "TF2120"]


def test_lstm_becomes_one_keras_layer_called_with_a_mask() -> None:
    out, mine = _migrate(SRC)
    assert all(f.status is Status.APPLIED for f in mine), [f.message for f in mine]
    assert out.count("cell = tf.keras.layers.LSTM(n_hidden, return_sequences=True, return_state=True, "
                     "zero_output_for_mask=True, name='rnn')") == 1
    assert "outputs, state_h, state_c = cell(inputs, mask=tf.sequence_mask(seq_len, tf.shape(inputs)[1]))" in out
    assert "final_h = state_h" in out and "final_c = state_c" in out  # state.h / state[0]
    code = _code_only(out)
    assert "rnn =" not in code  # the `rnn = tf.nn.rnn_cell` alias goes with its last use
    assert "rnn_cell" not in code and "dynamic_rnn" not in code and "compat.v1" not in code
    note = next(f.message for f in mine if "rnn_weights.py" in f.message)
    assert "checkpoints" in note and "i, j, f, o become i, f, c, o" in note and "orthogonal" in note


def test_gru_becomes_keras_gru_with_tf1_math_and_bias() -> None:
    out, mine = _migrate((FIXTURE.parent / "rnn_gru_dynamic" / "input.py").read_text())
    assert all(f.status is Status.APPLIED for f in mine), [f.message for f in mine]
    assert ("cell = tf.keras.layers.GRU(n_hidden, return_sequences=True, return_state=True, reset_after=False, "
            "bias_initializer=tf.keras.initializers.Constant([1.0] * (2 * n_hidden) + [0.0] * n_hidden), "
            "zero_output_for_mask=True, name='rnn')") in out
    assert "outputs, state = cell(inputs, mask=tf.sequence_mask(seq_len, tf.shape(inputs)[1]))" in out
    note = next(f.message for f in mine if "rnn_weights.py" in f.message)
    assert "reset_after=False" in note and "checkpoints" in note


def test_contrib_rnn_cells_migrate_as_the_proven_programs() -> None:
    """tf.contrib.rnn.BasicLSTMCell/GRUCell were tf.nn.rnn_cell's classes re-exported (TF 1.x):
    the contrib spellings of the two proven fixtures migrate to exactly their outputs (the
    `from tensorflow.contrib import rnn` import goes with its last use; contrib programs do
    not run under TF 2.21, so this equality is their numeric proof)."""
    header = "import tensorflow.compat.v1 as tf\n\ntf.disable_v2_behavior()\nrnn = tf.nn.rnn_cell\n"
    assert header in SRC
    out, mine = _migrate(SRC.replace(header, "import tensorflow as tf\nfrom tensorflow.contrib import rnn\n"))
    assert all(f.status is Status.APPLIED for f in mine), [f.message for f in mine]
    assert out == (FIXTURE / "expected.py").read_text()
    gru = (FIXTURE.parent / "rnn_gru_dynamic" / "input.py").read_text()
    assert "tf.nn.rnn_cell.GRUCell(" in gru
    result, out = process_bytes(gru.replace("tf.nn.rnn_cell.GRUCell(", "tf.contrib.rnn.GRUCell(").encode(), "input.py",
                                Options(pack="tf1-to-tf2", unsafe_fixes=True, verify_idempotence=True))
    assert not [f for f in result.findings if f.status is Status.MANUAL], [f.message for f in result.findings]
    assert out.decode() == (FIXTURE.parent / "rnn_gru_dynamic" / "expected.py").read_text()


def test_unpacked_state_and_no_sequence_length() -> None:
    """`outputs, (c, h) = dynamic_rnn(...)` (LSTMStateTuple unpacked) -> `outputs, h, c =
    layer(...)` (Keras' order); without sequence_length no mask is passed and the note
    says so."""
    src = SRC.replace("outputs, state = tf.nn.dynamic_rnn(cell, inputs, sequence_length=seq_len, dtype=tf.float32)",
                      "outputs, (c_fin, h_fin) = tf.nn.dynamic_rnn(cell, inputs, dtype=tf.float32)")
    src = src.replace("    final_h = state.h\n    final_c = state[0]\n", "    final_h = h_fin\n    final_c = c_fin\n")
    src = src.replace("last = last_relevant(outputs, seq_len)", "last = outputs[:, -1]")
    src = src.replace(", seq_len: lengths", "").replace("    seq_len = tf.placeholder(tf.int32, [None], name='seq_len')\n", "")
    out, mine = _migrate(src.replace("seq_len: lengths, ", ""))
    assert all(f.status is Status.APPLIED for f in mine), [f.message for f in mine]
    assert "outputs, h_fin, c_fin = cell(inputs)\n" in out
    note = next(f.message for f in mine if "rnn_weights.py" in f.message)
    assert "no sequence_length: no mask" in note and "sequence_mask" not in note


def test_forget_bias_zero_turns_unit_forget_bias_off() -> None:
    out, mine = _migrate(SRC.replace("forget_bias=1.0)", "forget_bias=0.0)"))
    assert all(f.status is Status.APPLIED for f in mine), [f.message for f in mine]
    assert "unit_forget_bias=False, zero_output_for_mask=True" in out


def test_lstm_cell_and_scope_name() -> None:
    src = SRC.replace("rnn.BasicLSTMCell(n_hidden, forget_bias=1.0)", "rnn.LSTMCell(num_units=n_hidden)")
    src = src.replace("dtype=tf.float32)", "dtype=tf.float32, scope='encoder')")
    out, mine = _migrate(src)
    assert all(f.status is Status.APPLIED for f in mine), [f.message for f in mine]
    assert "tf.keras.layers.LSTM(n_hidden, return_sequences=True, return_state=True, zero_output_for_mask=True, name='encoder')" in out


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        ("rnn.BasicLSTMCell(n_hidden, forget_bias=1.0)", "tf.nn.rnn_cell.BasicRNNCell(n_hidden)",
         "`tf.nn.rnn_cell.BasicRNNCell` is not converted"),
        ("rnn.BasicLSTMCell(n_hidden, forget_bias=1.0)", "rnn.MultiRNNCell([rnn.BasicLSTMCell(n_hidden)])",
         "`tf.nn.rnn_cell.MultiRNNCell` is not converted"),
        ("rnn.BasicLSTMCell(n_hidden, forget_bias=1.0)", "rnn.GRUCell(n_hidden, kernel_initializer=tf.zeros_initializer())",
         "`tf.nn.rnn_cell.GRUCell(..., kernel_initializer=tf.zeros_initializer())` is not converted"),
        ("rnn.BasicLSTMCell(n_hidden, forget_bias=1.0)", "rnn.GRUCell(n_hidden * 2)", "only a name or a number"),
        (("rnn.BasicLSTMCell(n_hidden, forget_bias=1.0)", "outputs, state ="),
         ("rnn.GRUCell(n_hidden)", "outputs, (state, h2) ="), "unpacks the GRU state tensor"),
        ("forget_bias=1.0)", "forget_bias=0.5)", "forget_bias=0.5"),
        ("rnn.BasicLSTMCell(n_hidden, forget_bias=1.0)", "rnn.LSTMCell(n_hidden, use_peepholes=True)",
         "use_peepholes=True"),
        ("dtype=tf.float32)", "dtype=tf.float32, time_major=True)", "time_major=True"),
        ("sequence_length=seq_len,", "sequence_length=seq_len, initial_state=None, swap_memory=True,", "swap_memory=True"),
        ("    final_h = state.h\n", "    final_h = state.h\n    both = tf.concat(state, 1)\n", "used as a whole"),
        ("    last = last_relevant(outputs, seq_len)\n",
         "    last = last_relevant(outputs, seq_len)\n    size = cell.state_size\n", "used for more than one"),
        ("tf.nn.dynamic_rnn(cell, inputs,", "tf.nn.dynamic_rnn(cell, inputs * 2.0,", "not a name"),
        ("outputs, state = tf.nn.dynamic_rnn", "result = tf.nn.dynamic_rnn", "outputs, state = tf.nn.dynamic_rnn(cell"),
        # last_relevant's tf.gather of a reshape gives the LSTM dense gradients; of a concat
        # (whose gradient passes IndexedSlices on) it stays a sparse-gradient refusal
        ("    flat = tf.reshape(output, [-1, n_hidden])\n", "    flat = tf.concat([output], 0)\n", "sparse gradients"),
    ],
)
def test_what_is_not_reproduced_is_refused_precisely(old, new, why: str) -> None:  # type: ignore[no-untyped-def]
    src = SRC
    for o, n in zip(old, new) if isinstance(old, tuple) else [(old, new)]:
        assert o in src
        src = src.replace(o, n)
    out, mine = _migrate(src)
    assert len(mine) == 1 and mine[0].status is Status.MANUAL, [f.message for f in mine]
    assert why in mine[0].message, mine[0].message
    assert "GradientTape" not in out and "keras.layers.LSTM" not in out


CORPUS = ROOT / "corpus" / "tf1"
# a graph-building function with a parameter is not written into its caller (_builders.py)
BUILDER_PARAM = ("def build_graph():", "def build_graph(units=n_hidden):")


@pytest.mark.parametrize(
    ("name", "edits", "present", "absent"),
    [
        # the corpus program converts (PROVEN): its builder written into main by TF2120's
        # preparation (_builders.py). A builder with parameters is not: both obstacles named
        ("lstm_dynamic_rnn", [BUILDER_PARAM], ["in `build_graph()`, which runs no session",
                                               "`main()` runs the tensors it returns",
                                               "its final state `state` (TF1's LSTMStateTuple(c, h)) is returned whole"], []),
        # only the state's h returned: the whole-state part is not said
        ("lstm_dynamic_rnn", [BUILDER_PARAM, ("init=init, state=state,", "init=init, state=state.h,"),
                              ("state.h[1][:5]", "state[1][:5]")],
         ["`main()` runs the tensors it returns"], ["returned whole"]),
        # a GRU's state is a tensor: returning it whole is not in the way
        ("lstm_dynamic_rnn", [BUILDER_PARAM, ("rnn.BasicLSTMCell(n_hidden, forget_bias=1.0)", "rnn.GRUCell(n_hidden)"),
                              ("state.h[1][:5]", "state[1][:5]")],
         ["`main()` runs the tensors it returns"], ["returned whole"]),
        # the corpus program converts (PROVEN, _rnn_stacked.py); with LSTM cells in its
        # MultiRNNCell it does not, as it reads the top layer's whole LSTMStateTuple (`fs[-1][0]`
        # after the fetch): the reason is the prepared pass's (its zero state fed back
        # unchanged is gone there: _builders.py), each obstacle named
        ("gru_multi_cell_static", [("tf.nn.rnn_cell.GRUCell(HIDDEN)", "tf.nn.rnn_cell.LSTMCell(HIDDEN)")],
         ["it unrolls a Python list of per-step tensors", "`cell` is a MultiRNNCell of tf.nn.rnn_cell.LSTMCell",
          "LSTM/GRU per cell", "the state of an LSTM layer, `final_state[-1]`, is used other than as its `.h` / `.c`"],
         ["zero_state"]),
        # one LSTM cell, no initial state, a scope: only the unroll itself is in the way (without
        # the scope it converts: fixture rnn_lstm_static)
        ("gru_multi_cell_static", [("    cells = [tf.nn.rnn_cell.GRUCell(HIDDEN) for _ in range(NUM_LAYERS)]\n", ""),
                                   ("    cell = tf.nn.rnn_cell.MultiRNNCell(cells)\n", "    cell = tf.nn.rnn_cell.LSTMCell(HIDDEN)\n"),
                                   ("    initial_state = cell.zero_state(BATCH, tf.float32)\n", ""),
                                   ("step_inputs, initial_state=initial_state)", "step_inputs, dtype=tf.float32, scope='lm')"),
                                   ("        state = sess.run(initial_state)\n", ""),
                                   ("            for layer, s in zip(initial_state, state):\n                feed[layer] = s\n", "")],
         ["`tf.nn.static_rnn` is not converted yet", "it unrolls a Python list of per-step tensors"],
         ["is a MultiRNNCell of", "zero_state", "a MultiRNNCell of such cells converts"]),
    ],
)
def test_corpus_rnn_refusals_say_what_is_in_the_way(name: str, edits: list, present: list, absent: list) -> None:  # type: ignore[type-arg]
    src = (CORPUS / f"{name}.py").read_text()
    for old, new in edits:
        assert old in src, old
        src = src.replace(old, new)
    out, mine = _migrate(src)
    assert len(mine) == 1 and mine[0].status is Status.MANUAL, [f.message for f in mine]
    for words in present:
        assert words in mine[0].message, mine[0].message
    for words in absent:
        assert words not in mine[0].message, mine[0].message
    assert "GradientTape" not in out and "keras.layers" not in _code_only(out)


def test_float64_file_is_refused() -> None:
    src = SRC.replace("labels = tf.placeholder(tf.int32, [None], name='labels')",
                      "labels = tf.placeholder(tf.int32, [None], name='labels')\n    wide = tf.constant(1.0, tf.float64)")
    _out, mine = _migrate(src)
    assert len(mine) == 1 and "float64" in mine[0].message, [f.message for f in mine]


# -- the numeric proof ---------------------------------------------------------------------

# fixture -> (its cells' kinds in TF1's creation order, the sizes of their Keras biases)
NUMERIC = {"rnn_lstm_dynamic": (["lstm"], [32]), "rnn_gru_dynamic": (["gru"], [24]),
           # an LSTM without sequence_length, its state unpacked as (c, h), and a GRU over
           # its outputs with variable lengths
           "rnn_encoder_decoder": (["lstm", "gru"], [16, 15]),
           # corpus/tf1/lstm_dynamic_rnn.py in straight-line code: `state.h` fetched as it is
           "rnn_lstm_state_fetch": (["lstm"], [32]),
           # runs sharing a helper function that returns the LSTM's h and c
           "rnn_lstm_state_helper": (["lstm"], [20]),
           # one LSTMCell unrolled by static_rnn: TF2120's preparation makes it dynamic_rnn
           # over the stacked steps (_builders.py), the whole state read as fs[-1] its h
           "rnn_lstm_static": (["lstm"], [48]),
           # the runnable twin of corpus/tf1/contrib/contrib_rnn_lstm.py: a MultiRNNCell of two
           # DropoutWrapper'd BasicLSTMCells (made by a helper) unrolled by static_rnn, its
           # tf.trainable_variables() under tf.gradients + clip_by_global_norm + apply_gradients
           "rnn_lstm_stacked_dropout": (["lstm", "lstm"], [32, 32])}
# fixture -> the corpus program whose RESULT its TF1 original prints exactly
SAME_AS_CORPUS = {"rnn_lstm_state_fetch": "lstm_dynamic_rnn"}


@pytest.mark.tf
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(NUMERIC))
def test_migrated_rnn_reproduces_tf1_numbers(tmp_path: Path, name: str) -> None:
    """The PROVEN harness of tests/test_tf1_structural.py (CAPTURE, carried_values, RUN_TF2:
    the RNN cells' initial values through the layout map, matched by shape) on a fixture."""
    fixture = FIXTURE.parent / name
    out, _mine = _migrate((fixture / "input.py").read_text())
    assert out == (fixture / "expected.py").read_text(), "expected.py is stale"
    expected, got = _run_on_tf1_values(tmp_path, name, (fixture / "input.py").read_text(), out)
    if name in SAME_AS_CORPUS:  # the corpus program's own numbers: the same program
        assert expected == json.loads((ROOT / "corpus" / "tf1" / "expected" / f"{SAME_AS_CORPUS[name]}.json").read_text())
    if "padded_zero" in expected:
        assert expected["padded_zero"] == 0.0 and expected["out1_last"] == expected["final_h1"]
    problems = _compare(expected, got, 1e-4, "", {"first_h1": 1e-5, "first_summary0": 1e-5})
    assert not problems, "\n".join(problems)


def _run_on_tf1_values(tmp_path: Path, name: str, tf1_src: str, tf2_src: str) -> tuple[dict, dict]:  # type: ignore[type-arg]
    """The TF1 program run in graph mode (CAPTURE) and the TF2 one eagerly on its initial
    values (carried_values, RUN_TF2): (TF1's RESULT, TF2's RESULT)."""
    kinds, biases = NUMERIC[name]
    for side, src in (("tf1", tf1_src), ("tf2", tf2_src)):
        (tmp_path / side).mkdir()
        (tmp_path / side / f"{name}.py").write_text(src)
    (tmp_path / "capture.py").write_text(textwrap.dedent(CAPTURE))
    proc = subprocess.run([sys.executable, str(tmp_path / "capture.py"), str(tmp_path / "tf1" / f"{name}.py")],
                          capture_output=True, text=True, env={**_env(), "TF_USE_LEGACY_KERAS": "1"}, timeout=600,
                          cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    captured = json.loads(next(ln for ln in proc.stdout.splitlines() if ln.startswith("CAPTURED "))[9:])[name]
    assert [(c["kind"], len(c["names"]), c.get("forget_bias", 1.0)) for c in captured["cells"]] == [
        (k, TF1_CELL_VARIABLES[k], 1.0) for k in kinds]
    inits = {name: carried_values(captured)}
    assert inits[name]["by_shape"] and inits[name]["rnn_biases"] == biases
    (tmp_path / "inits.json").write_text(json.dumps(inits))
    (tmp_path / "run_tf2.py").write_text(textwrap.dedent(RUN_TF2))
    proc = subprocess.run([sys.executable, str(tmp_path / "run_tf2.py"), str(tmp_path / "inits.json"),
                           str(tmp_path / "tf2" / f"{name}.py")],
                          capture_output=True, text=True, env=_env(), timeout=600, cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    got = json.loads(next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULTS "))[8:])[name]
    assert got["injected"] == len(inits[name]["values"])
    # the bias the Keras layer starts with on its own (unit_forget_bias / the GRU's
    # Constant initializer) is TF1's initial bias in the Keras layout: exactly
    assert all(got["own"][str(size)] == 0.0 for size in biases), got["own"]
    return captured["result"], got["result"]


CONTRIB_LSTM = ROOT / "corpus" / "tf1" / "contrib" / "contrib_rnn_lstm.py"


@pytest.mark.tf
@pytest.mark.slow
def test_contrib_rnn_lstm_corpus_program_reproduces_its_runnable_twin(tmp_path: Path) -> None:
    """corpus/tf1/contrib/contrib_rnn_lstm.py is rewrite-only (tf.contrib.rnn/seq2seq do not
    run under TF 2.21). Its migration (no compat.v1, no tf.contrib left, nothing manual) runs
    on the initial values of its runnable TF1 twin (fixture rnn_lstm_stacked_dropout: the same
    program on tf.nn.rnn_cell, glorot_uniform_initializer for xavier_initializer and
    sequence_loss written out) and prints the twin's numbers after training, with the
    training runs' keep_prob 0.9 set to 1.0 (dropout masks are random: the dropout itself is
    checked by test_output_dropout_drops_outputs_in_training)."""
    out, mine = _migrate(CONTRIB_LSTM.read_text())
    assert mine and all(f.status is Status.APPLIED for f in mine), [f.message for f in mine]
    code = _code_only(out)
    assert "compat.v1" not in out and "contrib" not in code and "Session" not in code
    assert "tvars = [v for layer in cells for v in layer.trainable_variables] + [softmax_w, softmax_b]" in out
    assert "tf.math.divide_no_nan(tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)" \
           in out
    assert out.count("train_step(x_np, y_np, keep_prob=0.9)") == 1
    twin = (FIXTURE.parent / "rnn_lstm_stacked_dropout" / "input.py").read_text()
    expected, got = _run_on_tf1_values(tmp_path, "rnn_lstm_stacked_dropout", twin,
                                       out.replace("keep_prob=0.9", "keep_prob=1.0"))
    expected.pop("first_h1")
    problems = _compare(expected, got, 1e-4, "", {})
    assert not problems, "\n".join(problems)


# -- checkpoints: a TF1 Saver checkpoint of the cells restores into the Keras layers --------

CKPT_TF1 = r'''
import json, os, sys
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
np.random.seed(0)
x_np = np.random.randn(3, 4, 2).astype(np.float32)
lengths = np.array([4, 2, 3], dtype=np.int32)
x = tf.placeholder(tf.float32, [None, 4, 2])
seq_len = tf.placeholder(tf.int32, [None])
lstm_out, lstm_state = tf.nn.dynamic_rnn(tf.nn.rnn_cell.BasicLSTMCell(5), x, sequence_length=seq_len, dtype=tf.float32)
gru_out, gru_state = tf.nn.dynamic_rnn(tf.nn.rnn_cell.GRUCell(3), x, sequence_length=seq_len, dtype=tf.float32,
                                       scope='encoder')
loss = tf.reduce_sum(lstm_out) + tf.reduce_sum(gru_out)
train_op = tf.train.MomentumOptimizer(0.1, momentum=0.9).minimize(loss)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for _ in range(3):
        sess.run(train_op, {x: x_np, seq_len: lengths})
    outs = sess.run([lstm_out, lstm_state.h, lstm_state.c, gru_out, gru_state], {x: x_np, seq_len: lengths})
    tf.train.Saver().save(sess, os.path.join(sys.argv[1], 'model.ckpt'))
np.save(os.path.join(sys.argv[1], 'x.npy'), x_np)
print("OUTS " + json.dumps([o.tolist() for o in outs]))
'''

CKPT_TF2 = r'''
import json, os, sys
import numpy as np
import tensorflow as tf
from migrate.check.checkpoint import convert_checkpoint
x_np = np.load(os.path.join(sys.argv[1], 'x.npy'))
mask = tf.sequence_mask([4, 2, 3], 4)
# what TF2120 writes for the two cells (tests/fixtures/tf1_to_tf2/rnn_*_dynamic)
lstm = tf.keras.layers.LSTM(5, return_sequences=True, return_state=True, zero_output_for_mask=True, name='rnn')
gru = tf.keras.layers.GRU(3, return_sequences=True, return_state=True, reset_after=False,
                          bias_initializer=tf.keras.initializers.Constant([1.0] * (2 * 3) + [0.0] * 3),
                          zero_output_for_mask=True, name='encoder')
lstm(x_np, mask=mask), gru(x_np, mask=mask)
res = convert_checkpoint(sys.argv[1], os.path.join(sys.argv[1], 'tf2', 'ckpt'), target={"lstm": lstm, "gru": gru},
                         strict=True)
out, h, c = lstm(x_np, mask=mask)
g_out, g_state = gru(x_np, mask=mask)
print("RNN " + json.dumps(res.rnn_cells))
print("OUTS " + json.dumps([t.numpy().tolist() for t in (out, h, c, g_out, g_state)]))
'''


@pytest.mark.tf
@pytest.mark.slow
def test_tf1_rnn_checkpoint_converts_into_the_keras_layers(tmp_path: Path) -> None:
    """Train a few steps TF1-style, save with tf.train.Saver, `convert_checkpoint` into the
    Keras LSTM/GRU layers TF2120 writes (paired by their Keras paths after the layout map;
    strict: nothing left over but the Momentum slots), and get TF1's outputs and states."""
    (tmp_path / "tf1.py").write_text(textwrap.dedent(CKPT_TF1))
    (tmp_path / "tf2.py").write_text(textwrap.dedent(CKPT_TF2))
    p1 = subprocess.run([sys.executable, str(tmp_path / "tf1.py"), str(tmp_path)], capture_output=True, text=True,
                        env={**_env(), "TF_USE_LEGACY_KERAS": "1"}, timeout=600, check=False)
    assert p1.returncode == 0, p1.stderr[-3000:]
    p2 = subprocess.run([sys.executable, str(tmp_path / "tf2.py"), str(tmp_path)], capture_output=True, text=True,
                        env={**_env(), "PYTHONPATH": str(ROOT)}, timeout=600, check=False)
    assert p2.returncode == 0, p2.stderr[-3000:]
    want = json.loads(next(ln for ln in p1.stdout.splitlines() if ln.startswith("OUTS "))[5:])
    got = json.loads(next(ln for ln in p2.stdout.splitlines() if ln.startswith("OUTS "))[5:])
    assert len(json.loads(next(ln for ln in p2.stdout.splitlines() if ln.startswith("RNN "))[4:])) == 2
    for w, g in zip(want, got):
        assert np.abs(np.asarray(w) - np.asarray(g)).max() < 1e-5


_DROPOUT_SRC = '''\
import json

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()


def main():
    tf.set_random_seed(0)
    np.random.seed(0)
    x_np = np.random.randn(64, 6, 3).astype(np.float32)
    x = tf.placeholder(tf.float32, [64, 6, 3])
    keep_prob = tf.placeholder_with_default(1.0, [])
    cells = [tf.nn.rnn_cell.DropoutWrapper(tf.nn.rnn_cell.BasicLSTMCell(16), output_keep_prob=keep_prob)
             for _ in range(2)]
    cell = tf.nn.rnn_cell.MultiRNNCell(cells)
    outputs, state = tf.nn.static_rnn(cell, tf.unstack(x, 6, 1), dtype=tf.float32)
    out = tf.stack(outputs, axis=1)
    top_h = state[-1].h
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        dropped, h_dropped = sess.run([out, top_h], {x: x_np, keep_prob: 0.5})
        kept, h_kept = sess.run([out, top_h], {x: x_np})
    last = dropped[:, -1]
    print("RESULT " + json.dumps({
        "zero_dropped": float((dropped == 0).mean()),
        "zero_kept": float((kept == 0).mean()),
        "zero_state": float((h_dropped == 0).mean()),
        "scaled": bool(np.allclose(last[last != 0], 2.0 * h_dropped[last != 0], atol=1e-6)),
        "last_is_state": bool(np.allclose(kept[:, -1], h_kept, atol=1e-6)),
    }))


if __name__ == '__main__':
    main()
'''


@pytest.mark.tf
@pytest.mark.slow
def test_output_dropout_drops_outputs_in_training(tmp_path: Path) -> None:
    """DropoutWrapper(output_keep_prob=keep_prob) -> tf.nn.dropout(rate=1 - keep_prob) of each
    layer's outputs: fed 0.5, about half of the top layer's outputs are exactly zero, the
    others are the layer's h scaled by 1 / 0.5 (at the last step: the final state's h, which
    is not dropped), and with the default 1.0 nothing is dropped: in TF1 (graph mode) and in
    the migrated program alike (masks are random, so the statistics are compared)."""
    out, mine = _migrate(_DROPOUT_SRC)
    assert mine and all(f.status is Status.APPLIED for f in mine), [f.message for f in mine]
    assert "tf.nn.dropout(sequence, rate=1 - keep_prob)" in out and "compat.v1" not in out
    results = {}
    for side, src, env in (("tf1", _DROPOUT_SRC, {**_env(), "TF_USE_LEGACY_KERAS": "1"}), ("tf2", out, _env())):
        path = tmp_path / f"{side}.py"
        path.write_text(src)
        proc = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, env=env, timeout=600,
                              cwd=tmp_path, check=False)
        assert proc.returncode == 0, proc.stderr[-4000:]
        results[side] = json.loads(next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))[7:])
    for side, r in results.items():
        assert 0.4 < r["zero_dropped"] < 0.6, (side, r)
        assert r["zero_kept"] == 0.0 and r["zero_state"] == 0.0, (side, r)
        assert r["scaled"] and r["last_is_state"], (side, r)


@pytest.mark.parametrize("old, new, why", [
    ("output_keep_prob=keep_prob)", "input_keep_prob=keep_prob)", "drops each cell's inputs"),
    ("output_keep_prob=keep_prob)", "output_keep_prob=keep_prob, state_keep_prob=keep_prob)", "drops the state"),
    ("output_keep_prob=keep_prob)", "output_keep_prob=keep_prob, variational_recurrent=True, dtype=tf.float32)",
     "one mask for all the steps"),
    ("output_keep_prob=keep_prob)", "output_keep_prob=keep_prob, seed=3)", "seeds TF1's dropout ops"),
    ("BasicLSTMCell(16)", "BasicLSTMCell(16, forget_bias=0.5)", "forget_bias=0.5"),
    ("BasicLSTMCell(16)", "LSTMCell(16, use_peepholes=True)", "use_peepholes=True"),
    ("top_h = state[-1].h", "top_h = state[-1]", "used other than as its `.h` / `.c`"),
])
def test_stacked_lstm_variants_are_refused_with_the_reason(old: str, new: str, why: str) -> None:
    src = _DROPOUT_SRC.replace(old, new)
    assert src != _DROPOUT_SRC
    out, mine = _migrate(src)
    refused = [f for f in mine if f.status is Status.MANUAL]
    assert len(refused) == 1 and why in refused[0].message, [f.message for f in mine]
    assert "Session" in out


@pytest.mark.parametrize("old, new, why", [
    # another reduction: TF2140 leaves it to TF2001's manual item, and TF2120 refuses the file
    ("tf.ones([BATCH, STEPS]))", "tf.ones([BATCH, STEPS]), average_across_batch=False)",
     "`tf.contrib.seq2seq.sequence_loss`"),
    ("tf.contrib.layers.xavier_initializer()", "tf.contrib.layers.xavier_initializer(uniform=False)",
     "only uniform=True is converted"),
    # the layers' variables exist after their first call: the list is read only by the train step
    ('    print("RESULT "', '    print(len(tvars))\n    print("RESULT "',
     "it is read here only by the train steps' gradients"),
    ("output_keep_prob=keep_prob)", "output_keep_prob=keep_prob, state_keep_prob=keep_prob)",
     "drops the state passed to the next step"),
])
def test_contrib_rnn_lstm_variants_are_refused_with_the_reason(old: str, new: str, why: str) -> None:
    src = CONTRIB_LSTM.read_text()
    assert old in src
    out, mine = _migrate(src.replace(old, new))
    refused = [f for f in mine if f.status is Status.MANUAL]
    assert len(refused) == 1 and why in refused[0].message, [f.message for f in mine]
    assert "tf.compat.v1.Session" in out
