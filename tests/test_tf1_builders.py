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
from tests.test_tf1_structural import assert_refused, edited

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
