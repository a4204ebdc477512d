"""TF2120's preparation (rules/tf1_to_tf2/_builders.py, the pack's ``prepare`` hook run by
migrate/engine/process.py with --unsafe-fixes): a graph-building function returning a dict
of tensors that another function runs is written into that function, and an LSTM state
fetched whole fetches the parts read. The numeric proof of the corpus program that needs it
(lstm_dynamic_rnn) is in tests/test_tf1_structural.py (PROVEN)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from migrate.engine.process import Options, process_bytes
from migrate.result import Status
from rules.tf1_to_tf2._builders import prepare
from tests.test_tf1_structural import _code_only, assert_refused, edited

ROOT = Path(__file__).resolve().parents[1]
SRC = (ROOT / "corpus" / "tf1" / "lstm_dynamic_rnn.py").read_text()


def _migrate(src: str, unsafe: bool = True):  # type: ignore[no-untyped-def]
    result, out = process_bytes(src.encode(), "t.py", Options(pack="tf1-to-tf2", unsafe_fixes=unsafe,
                                                              verify_idempotence=True))
    assert not result.errors, result.errors
    return out.decode(), list(result.findings)


def test_builder_is_written_into_its_caller_and_converted() -> None:
    out, findings = _migrate(SRC)
    code = ast.unparse(ast.parse(out))
    assert "def build_graph" not in code and "m[" not in code and "compat" not in code
    assert "cell = tf.keras.layers.LSTM(" in code
    # main's own names that the body also binds are renamed; the whole state read as
    # `.h` is fetched as its h
    assert "loss_value, logits_value, state_value_h, first = " in code
    assert "return (loss, logits, state_h, first_step)" in code
    mine = [f for f in findings if f.rule_id == "TF2120"]
    assert all(f.status is Status.APPLIED for f in mine), [f.message for f in mine]
    # the findings point at the ORIGINAL file's lines (the body was in build_graph)
    lines = SRC.splitlines()
    for f in mine:
        assert f.snippet.split("(")[0].strip() in lines[f.range.start.line - 1], (f.range, f.snippet)
    rnn = next(f for f in mine if "dynamic_rnn becomes" in f.message)
    assert "tf.nn.dynamic_rnn(cell" in lines[rnn.range.start.line - 1]


def test_no_preparation_without_unsafe_fixes() -> None:
    out, _ = _migrate(SRC, unsafe=False)
    assert "def build_graph():" in out and "m['loss']" in out


def test_prepared_lines_map_back_to_the_original() -> None:
    p = prepare(SRC)
    assert p is not None
    orig = SRC.splitlines()
    new = p.text.splitlines()
    assert len(p.origin) == len(new)
    for i, line in enumerate(new, start=1):
        o = orig[p.line(i) - 1]
        if "m[" not in o and "loss" not in o and "logits" not in o and "state" not in o:
            assert line == o, (i, line, o)


@pytest.mark.parametrize(
    ("edits", "why"),
    [
        # called twice: two graphs (the body is not written twice)
        ((("    graph, m = build_graph()\n", "    graph, m = build_graph()\n    _g, _m = build_graph()\n"),),
         "`main()` runs the tensors it returns"),
        # a parameter: not written in
        ((("def build_graph():", "def build_graph(units=n_hidden):"),), "`main()` runs the tensors it returns"),
        # the dict used whole
        ((("    feed = {m['inputs']", "    print(sorted(m))\n    feed = {m['inputs']"),),
         "`main()` runs the tensors it returns"),
        # a key the dict does not have
        ((("sess.run(m['init'])", "sess.run(m['initializer'])"),), "`main()` runs the tensors it returns"),
        # main reads a global that the body binds: the body would shadow it
        ((("num_steps = 15\n", "num_steps = 15\nlast = None\n"), ("    np.random.seed(0)\n", "    np.random.seed(0)\n    print(last)\n")),
         "`main()` runs the tensors it returns"),
    ],
)
def test_builders_not_written_in(edits, why: str) -> None:  # type: ignore[no-untyped-def]
    assert_refused(edited(SRC, edits), why)


def test_caller_names_renamed_consistently() -> None:
    """main's `x` is also a name the body binds (the placeholder): main's is renamed, the
    feed of the placeholder is main's value."""
    src = edited(SRC, (("inputs = tf.placeholder(", "x = tf.placeholder("),
                       ("dynamic_rnn(cell, inputs,", "dynamic_rnn(cell, x,"),
                       ("dict(inputs=inputs,", "dict(inputs=x,")))
    p = prepare(src)
    assert p is not None
    assert "x_value = np.random.randn(" in p.text and "feed = {x: x_value," in p.text
    out, findings = _migrate(src)
    assert "x_value" in out and "def build_graph" not in out
    assert any(f.rule_id == "TF2120" and f.message.startswith("TF1 Session code becomes eager TF2") for f in findings)


STATE_SRC = '''\
import tensorflow.compat.v1 as tf


def main():
    x = tf.placeholder(tf.float32, [None, 3, 2])
    cell = tf.nn.rnn_cell.BasicLSTMCell(4)
    outputs, state = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        out, st = sess.run([outputs, state], {x: xs})
    print(out, st.h, st[0], st.c.sum())
'''


def test_whole_state_fetch_fetches_the_parts_read() -> None:
    p = prepare(STATE_SRC)
    assert p is not None
    assert "out, st_c, st_h = sess.run([outputs, state.c, state.h], {x: xs})" in p.text
    assert "print(out, st_h, st_c, st_c.sum())" in p.text
    assert p.origin == list(range(1, len(p.text.splitlines()) + 1))


@pytest.mark.parametrize("use", ["print(st)", "st = None", "print(st.h, st[2])"])
def test_whole_state_used_otherwise_is_left_alone(use: str) -> None:
    assert prepare(STATE_SRC.replace("print(out, st.h, st[0], st.c.sum())", use)) is None


# -- a MultiRNNCell of GRUCells unrolled by static_rnn (_rnn_stacked.py) ---------------------
GRU = (ROOT / "corpus" / "tf1" / "gru_multi_cell_static.py").read_text()


def test_zero_state_fed_back_unchanged_goes() -> None:
    p = prepare(GRU)
    assert p is not None
    assert "cell.zero_state(" not in p.text and "feed[layer]" not in p.text and "sess.run(initial_state)" not in p.text
    assert "tf.nn.static_rnn(cell, step_inputs, dtype=tf.float32)" in p.text
    # the final state read by layer: its last layer fetched
    assert "final_state_last = final_state[-1]\n" in p.text
    assert "final_cost, fs_last = sess.run([cost, final_state_last]" in p.text
    # the findings' lines: the unroll's line is the original one
    orig = GRU.splitlines()
    i = next(i for i, ln in enumerate(p.text.splitlines(), start=1) if "static_rnn(" in ln)
    assert "static_rnn(" in orig[p.line(i) - 1]


@pytest.mark.parametrize(
    "edits",
    [
        # the fed state changes between runs: it is not the zero state any more
        (("                feed[layer] = s\n", "                feed[layer] = s\n            state = [s + 1.0 for s in state]\n"),),
        # the zero state is read otherwise
        (("        state = sess.run(initial_state)\n", "        state = sess.run(initial_state)\n        print(len(initial_state))\n"),),
        # another value fed for the zero state
        (("                feed[layer] = s\n", "                feed[layer] = s * 0.5\n"),),
    ],
)
def test_zero_state_fed_otherwise_is_kept(edits) -> None:  # type: ignore[no-untyped-def]
    p = prepare(edited(GRU, edits))
    assert p is None or "cell.zero_state(" in p.text
    assert_refused(edited(GRU, edits), "zero_state")


def test_stacked_gru_layers_are_written_out() -> None:
    out, findings = _migrate(GRU)
    code = _code_only(out)
    assert "compat" not in code and "MultiRNNCell" not in code and "static_rnn" not in code
    assert "cells = [tf.keras.layers.GRU(HIDDEN, return_sequences=True, return_state=True, reset_after=False" in code
    assert "for layer in cells:\n            sequence, layer_state = layer(sequence)" in code
    assert "outputs = tf.unstack(sequence, axis=1)" in code
    mine = [f for f in findings if f.rule_id == "TF2120"]
    assert all(f.status is Status.APPLIED for f in mine), [f.message for f in mine]
    note = next(f for f in mine if "MultiRNNCell" in f.message)
    assert "static_rnn(" in GRU.splitlines()[note.range.start.line - 1]


@pytest.mark.parametrize(
    ("edits", "why"),
    [
        # cells of another kind in the MultiRNNCell
        ((("tf.nn.rnn_cell.GRUCell(HIDDEN)", "tf.nn.rnn_cell.BasicRNNCell(HIDDEN)"),), "`cells` is not `[tf.nn.rnn_cell.GRUCell(n)"),
        # LSTM cells (they convert: _rnn_stacked.py) whose top LSTMStateTuple is read whole (`fs[-1][0]`)
        ((("tf.nn.rnn_cell.GRUCell(HIDDEN)", "tf.nn.rnn_cell.LSTMCell(HIDDEN)"),),
         "the state of an LSTM layer, `final_state[-1]`, is used other than as its `.h` / `.c`"),
        # a GRU cell argument other than its size
        ((("tf.nn.rnn_cell.GRUCell(HIDDEN)", "tf.nn.rnn_cell.GRUCell(HIDDEN, activation=tf.nn.relu)"),),
         "arguments other than the number of units"),
        # the cell list read elsewhere
        ((("    cell = tf.nn.rnn_cell.MultiRNNCell(cells)\n", "    cell = tf.nn.rnn_cell.MultiRNNCell(cells)\n    print(len(cells))\n"),),
         "`cells` is used for something else than the unroll"),
        # the final state read whole
        ((("for v in fs[-1][0][:5]]", "for v in fs[-1][0][:5]], \"n\": len(fs)"),), "is used other than as `final_state[k]`"),
        # a scope for the unroll
        ((("initial_state=initial_state)", "initial_state=initial_state, scope='lm')"),), "scope="),
    ],
)
def test_stacked_refusals_say_why(edits, why: str) -> None:  # type: ignore[no-untyped-def]
    assert_refused(edited(GRU, edits), why)


def test_zero_state_written_to_another_dict_is_kept() -> None:
    """The loop's dict must be a feed: written into a dict printed later, it stays."""
    src = edited(GRU, (("                feed[layer] = s\n", "                feed[layer] = s\n            print(len(feed))\n"),))
    p = prepare(src)
    assert p is None or "cell.zero_state(" in p.text


def test_caller_parameter_conflict_is_not_written_in() -> None:
    src = edited(SRC, (("def main():\n", "def main(loss=None):\n"),))
    p = prepare(src)
    assert p is None or "def build_graph" in p.text


def test_builder_parameters_are_bound_where_the_call_was() -> None:
    src = edited(SRC, (("def build_graph():", "def build_graph(units, classes=2, lr=0.1):"),
                       ("rnn.BasicLSTMCell(n_hidden,", "rnn.BasicLSTMCell(units,"),
                       ("MomentumOptimizer(0.1,", "MomentumOptimizer(lr,"),
                       ("    graph, m = build_graph()\n", "    units = n_hidden\n    graph, m = build_graph(units, lr=0.1)\n")))
    p = prepare(src)
    assert p is not None and "def build_graph" not in p.text
    # main's own `units` is renamed (the body binds the parameter); the default is a literal
    assert "    units_value = n_hidden\n    units = units_value\n    classes = 2\n    lr = 0.1\n    graph = tf.Graph()\n" in p.text
    out, findings = _migrate(src)
    assert "def build_graph" not in out
    assert any(f.rule_id == "TF2120" and f.message.startswith("TF1 Session code becomes eager TF2") for f in findings)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # a default that is not a literal: evaluated when the function was defined
        ("def build_graph():", "def build_graph(units=n_hidden):"),
        # *args
        ("def build_graph():", "def build_graph(*units):"),
    ],
)
def test_builder_parameters_not_bound(old: str, new: str) -> None:
    assert prepare(edited(SRC, ((old, new),))) is None


def test_builder_documentation_and_comments_are_kept() -> None:
    """The comments above the builder's `def`, its docstring and the comments in its body
    stay in the caller, as comments where the body now is (no text of the user's is lost)."""
    src = '''import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()


# The whole graph,
# built once.
def build_graph(lr):
    """Builds the graph.

    Returns its handles."""
    # inputs
    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.placeholder(tf.float32, [None, 1])
    w = tf.Variable(tf.zeros([3, 1]))  # weights
    # squared error
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - y))
    train_op = tf.train.GradientDescentOptimizer(lr).minimize(loss)
    return {'x': x, 'y': y, 'loss': loss, 'train_op': train_op}


def main():
    g = build_graph(0.1)
    data = np.ones((4, 3), np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(3):
            _, l = sess.run([g['train_op'], g['loss']], {g['x']: data, g['y']: data[:, :1]})
        print(l)
'''
    p = prepare(src)
    assert p is not None
    assert "def build_graph" not in p.text
    main = p.text[p.text.index("def main"):]
    assert main.index("# The whole graph,") < main.index("# built once.") < main.index(
        "# build_graph: Builds the graph.") < main.index("# Returns its handles.") < main.index("lr = 0.1")
    assert "\n    #\n" in main  # the docstring's blank line
    assert "    # inputs\n    x = tf.placeholder" in main
    out, _ = _migrate(src)
    for text in ("# The whole graph,", "# build_graph: Builds the graph.", "# weights", "# squared error"):
        assert text in out, text


# -- cell helpers written into their list comprehension, optimizers built inline (_rnn_prepare.py)

_HELPER = '''\
import tensorflow as tf

HIDDEN = 8


def lstm_cell(keep_prob):
    cell = tf.contrib.rnn.BasicLSTMCell(HIDDEN, forget_bias=1.0)
    return tf.contrib.rnn.DropoutWrapper(cell, output_keep_prob=keep_prob)


def main(x, loss):
    keep = tf.placeholder_with_default(1.0, [])
    cell = tf.contrib.rnn.MultiRNNCell([lstm_cell(keep) for _ in range(2)])
    optimizer = 3
    train_op = tf.train.AdamOptimizer(0.01).apply_gradients(zip(grads, tvars))
    with tf.Session() as sess:
        pass
'''


def test_cell_helper_is_written_into_its_comprehension_and_inline_optimizer_split() -> None:
    from rules.tf1_to_tf2._builders import prepare

    p = prepare(_HELPER)
    assert p is not None
    assert "def lstm_cell" not in p.text
    assert ("[tf.contrib.rnn.DropoutWrapper(tf.contrib.rnn.BasicLSTMCell(HIDDEN, forget_bias=1.0), "
            "output_keep_prob=keep) for _ in range(2)]") in p.text
    # `optimizer` is taken: the optimizer gets the next free name, built right before its use
    assert "    optimizer_2 = tf.train.AdamOptimizer(0.01)\n    train_op = optimizer_2.apply_gradients(" in p.text


@pytest.mark.parametrize("edit", [
    # called twice: one expression per call would be needed
    ("cell = tf.contrib.rnn.MultiRNNCell(", "extra = lstm_cell(keep)\n    cell = tf.contrib.rnn.MultiRNNCell("),
    # its local used twice: written out, the cell would be made twice
    ("    return tf.contrib.rnn.DropoutWrapper(cell, output_keep_prob=keep_prob)",
     "    return tf.contrib.rnn.DropoutWrapper(cell, output_keep_prob=keep_prob, input_size=cell)"),
    # a free name of the helper bound by the caller: it would mean another value there
    ("    keep = tf.placeholder_with_default(1.0, [])", "    keep = tf.placeholder_with_default(1.0, [])\n    HIDDEN = 4"),
    # an argument that is not a name or a literal (evaluated once per call)
    ("[lstm_cell(keep) for", "[lstm_cell(keep * 1.0) for"),
])
def test_cell_helper_is_kept_when_writing_it_out_could_change_the_program(edit: tuple[str, str]) -> None:
    from rules.tf1_to_tf2._builders import prepare

    src = _HELPER.replace(*edit)
    assert src != _HELPER
    p = prepare(src)
    assert p is not None and "def lstm_cell" in p.text  # (the inline optimizer is still split)
