"""TF2120's preparation of slim-style model functions (rules/tf1_to_tf2/_repeat.py): a
`repeat`-shaped helper unrolled, functools.partial and nested helpers written out, `a/b`
layer names under variable_scope('a'); then TF2130 (Keras l2 regularizers) and TF2120
(placeholder_with_default training flags, the TF1 names of tf.trainable_variables()).

Proof: the fixture session_repeat_helper is compared number for number with TF1
(test_tf1_structural.test_fixture_programs_reproduce_tf1_numbers); the corpus program
slim_style_arg_scope (PROVEN, keys only: dropout) is checked here for its non-float
RESULT values, and its prepared TF1 source for printing exactly the original's RESULT
(same graph, same dropout masks) under TF1."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import libcst as cst
import pytest

from migrate.engine.process import Options, process_bytes
from rules.tf1_to_tf2._repeat import expand, helper_reason
from tests.test_tf1_structural import FIXTURES, TF1, _env, edited, migrate

SRC = (FIXTURES / "session_repeat_helper" / "input.py").read_text()
CORPUS = (TF1 / "slim_style_arg_scope.py").read_text()


def _findings(src: str) -> dict[str, list[str]]:
    result, _out = process_bytes(src.encode(), "v.py", Options(pack="tf1-to-tf2", unsafe_fixes=True))
    assert not result.errors, result.errors
    out: dict[str, list[str]] = {}
    for f in result.findings:
        out.setdefault(f.rule_id, []).append(f.message)
    return out


def test_corpus_helpers_are_written_out() -> None:
    new = expand(CORPUS)
    assert new is not None
    cst.parse_module(new)
    assert "def repeat" not in new and "import functools" not in new and "def conv_bn_relu" not in new
    assert "layers = tf.layers" not in new and "values=" not in new
    # the loop unrolled with the helper's names, the batch norm named under its conv's scope
    for block, filters in (("conv1", 8), ("conv2", 16)):
        assert f"with tf.variable_scope('{block}'):" in new
        for k in (1, 2):
            assert f"name='{block}_{k}')" in new
            assert f"with tf.variable_scope('{block}_{k}'):\n" in new
        assert new.count(f"tf.layers.conv2d(inputs, {filters}," if block == "conv1" else f"tf.layers.conv2d(net, {filters},") >= 1
    assert "name='BatchNorm')" in new and "/BatchNorm" not in new
    assert new.count("kernel_regularizer=tf.keras.regularizers.l2(WEIGHT_DECAY)") == 5
    assert "tf.layers.max_pooling2d(net, pool_size=[2, 2], strides=2, name='pool1')" in new
    assert expand(new) is None  # nothing left to prepare


def test_partial_keywords_and_nested_locals() -> None:
    """A call's keyword overrides the partial's; a local of the nested helper that the
    enclosing function also uses is renamed; a parameter read before the helper rebinds
    it is the argument."""
    src = textwrap.dedent("""\
        import functools
        import tensorflow.compat.v1 as tf


        def model(x):
            def block(h, units, name):
                y = tf.layers.dense(h, units, name=name)
                h = tf.nn.relu(y)
                return h + 1.0

            dense = functools.partial(block, units=4)
            y = dense(x, name='a')
            y = dense(y, units=2, name='b')
            return y


        def main():
            x = tf.placeholder(tf.float32, [None, 3])
            with tf.Session() as sess:
                print(sess.run(model(x), {x: [[1.0, 2.0, 3.0]]}))
        """)
    new = expand(src)
    assert new is not None
    assert "y_1 = tf.layers.dense(x, 4, name='a')" in new
    assert "y_1 = tf.layers.dense(y, 2, name='b')" in new
    assert "h = tf.nn.relu(y_1)" in new and "y = h + 1.0" in new
    assert "import functools" not in new and "def block" not in new


@pytest.mark.parametrize("helper, shaped", [
    (SRC, True),
    (SRC.replace("kwargs['name'] = '%s_%d' % (scope, k)", "kwargs['name'] = scope + str(k)"), False),
    (SRC.replace("scope = kwargs.pop('scope')", "scope = kwargs.pop('scope', 'x')"), False),
])
def test_helper_shape(helper: str, shaped: bool) -> None:
    fn = next(st for st in cst.parse_module(helper).body if isinstance(st, cst.FunctionDef) and st.name.value == "stack")
    assert (helper_reason(fn) is not None) is shaped


# variants of session_repeat_helper: what stays refused, with TF2130's (TF2131) and
# TF2120's reasons
_VARIANTS = {
    # a count that is not a literal: the helper stays, its callers say what is unrolled
    "computed_count": ((("net = stack(images, 2, conv", "net = stack(images, BLOCKS, conv"),
                        ("layers = tf.layers\n", "layers = tf.layers\nBLOCKS = 2\n")),
                       "`repeat`-shaped helper, unrolled by TF2120's preparation only where every call"),
    "computed_scope": (((" scope='block')", " scope='block' + SUFFIX)"), ("layers = tf.layers\n", "layers = tf.layers\nSUFFIX = ''\n")),
                       "`repeat`-shaped helper, unrolled"),
    # names made otherwise than by a % format: not a repeat-shaped helper
    "other_naming": (((" kwargs['name'] = '%s_%d' % (scope, k)", " kwargs['name'] = scope + str(k)"),),
                     "*args, **kwargs"),
    # the partial read as a value: not written out, the nested helper stays
    "partial_as_value": ((("    with tf.variable_scope('net'", "    print(conv)\n    with tf.variable_scope('net'"),),
                         "a `FunctionDef` statement"),
    # a nested helper with a loop: not written out
    "nested_loop": ((("        return tf.nn.relu(x)", "        for _ in range(2):\n            x = tf.nn.relu(x)\n        return x"),),
                    "a `FunctionDef` statement"),
    # a regularizer TF2130 does not take
    "l1_l2": ((("decay = tf.keras.regularizers.l2(0.01)", "decay = tf.keras.regularizers.l1_l2(0.01, 0.02)"),),
              "keras.regularizers.l1_l2"),
    "l2_two_arguments": ((("decay = tf.keras.regularizers.l2(0.01)", "decay = tf.keras.regularizers.l2(0.01, 0.02)"),),
                         "with arguments other than the factor"),
}


@pytest.mark.parametrize("variant", sorted(_VARIANTS))
def test_variants_refused_precisely(variant: str) -> None:
    edits, words = _VARIANTS[variant]
    found = _findings(edited(SRC, edits))
    assert any(words in m for m in found.get("TF2131", [])), found.get("TF2131")
    mine = found["TF2120"]
    assert len(mine) == 1 and mine[0].startswith("TF1 Session code not converted"), mine


def test_names_filtered_by_name_stay_refused() -> None:
    src = edited(SRC, (("names = sorted(v.op.name for v in tf.trainable_variables())",
                        "names = sorted(v.op.name for v in tf.trainable_variables() if 'kernel' in v.op.name)"),))
    (why,) = _findings(src)["TF2120"]
    assert "the listed variables' TF1 names are used" in why


def test_training_flag_with_default_and_keyword() -> None:
    """placeholder_with_default(True, []) passed by keyword: each run's literal (the default
    where the run does not feed it); a default that is not a bool literal stays refused."""
    out, _ = migrate("slim_style_arg_scope")
    assert "vgg_tiny_layer(images, training=True)" in out and "vgg_tiny_layer(images, training=False)" in out
    src = edited(SRC, (("tf.placeholder_with_default(True, []", "tf.placeholder_with_default(1.0 > 0.5, []"),))
    (why,) = _findings(src)["TF2120"]
    assert "TF1 Session code not converted" in why


def test_trainable_names_lookup() -> None:
    out, _ = migrate("slim_style_arg_scope")
    assert ("tf1_names = {f'{vgg_tiny_layer.name}/{path}': name for name, path in "
            "type(vgg_tiny_layer).TF1_VARIABLE_NAMES.items()}") in out
    assert "names = sorted(tf1_names[v.path] for v in vgg_tiny_layer.trainable_variables)" in out
    assert "compat.v1" not in out


RUN = r"""
import io, contextlib, json, runpy, sys
mode = sys.argv[1]
if mode == "tf1":
    import tensorflow.compat.v1 as tf
    tf.disable_v2_behavior()
out = {}
for path in sys.argv[2:]:
    if mode == "tf1":
        tf.reset_default_graph()
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        runpy.run_path(path, run_name="__main__")
    out[path] = json.loads([l for l in buf.getvalue().splitlines() if l.startswith("RESULT ")][-1][7:])
print("RESULTS " + json.dumps(out))
"""


def _run(tmp_path: Path, mode: str, paths: list[Path]) -> dict:  # type: ignore[type-arg]
    runner = tmp_path / "run.py"
    runner.write_text(RUN)
    env = {**_env(), "TF_USE_LEGACY_KERAS": "1"} if mode == "tf1" else _env()
    proc = subprocess.run([sys.executable, str(runner), mode, *map(str, paths)], capture_output=True, text=True,
                          env=env, timeout=600, cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULTS "))[8:])  # type: ignore[no-any-return]


@pytest.mark.tf
@pytest.mark.slow
def test_prepared_tf1_prints_the_original_result(tmp_path: Path) -> None:
    """The prepared source is the same TF1 program: same variables, same ops in the same
    order (the dropout masks too), the same RESULT to the last digit."""
    pairs = []
    for name, src in (("corpus", CORPUS), ("kwonly", _KWONLY)):
        original, prepared = tmp_path / f"{name}_original.py", tmp_path / f"{name}_prepared.py"
        original.write_text(src)
        prepared.write_text(expand(src))  # type: ignore[arg-type]
        pairs.append((original, prepared))
    got = _run(tmp_path, "tf1", [p for pair in pairs for p in pair])
    for original, prepared in pairs:
        assert got[str(prepared)] == got[str(original)], original.name
    assert got[str(pairs[0][0])] == json.loads((TF1 / "expected" / "slim_style_arg_scope.json").read_text())


@pytest.mark.tf
@pytest.mark.slow
def test_corpus_program_names_and_count_as_tf1(tmp_path: Path) -> None:
    """slim_style_arg_scope migrated, run eagerly: its TF1 names and variable count (its
    numbers depend on the dropout masks: keys only in the PROVEN test)."""
    out, _ = migrate("slim_style_arg_scope")
    prog = tmp_path / "migrated.py"
    prog.write_text(out)
    got = _run(tmp_path, "tf2", [prog])[str(prog)]
    expected = json.loads((TF1 / "expected" / "slim_style_arg_scope.json").read_text())
    assert set(got) == set(expected)
    assert got["first_var"] == expected["first_var"] and got["num_trainable"] == expected["num_trainable"]


def test_trainable_variable_names_with_suffix() -> None:
    """`v.name` (TF1's `scope/w:0`) -> the TF1 name looked up, with the `:0`."""
    src = edited(SRC, (("names = sorted(v.op.name for v in tf.trainable_variables())",
                        "names = sorted(v.name for v in tf.trainable_variables())"),))
    result, out = process_bytes(src.encode(), "v.py", Options(pack="tf1-to-tf2", unsafe_fixes=True))
    assert not result.errors, result.errors
    assert b"names = sorted(tf1_names[v.path] + ':0' for v in model_layer.trainable_variables)" in out
    assert b"compat.v1" not in out


_KWONLY = edited(SRC, (("def stack(inputs, count, layer, *args, **kwargs):\n    scope = kwargs.pop('scope')\n",
                        "def stack(inputs, count, layer, *args, scope=None, **kwargs):\n"),
                       ("    with tf.variable_scope(scope):\n        for k",
                        "    with tf.variable_scope(scope, 'Repeat', [inputs]):\n        for k")))


def test_helper_variants_unroll_alike() -> None:
    """A keyword-only `scope` and slim's `variable_scope(scope, 'Repeat', [inputs])`
    unroll to the same TF1 program; the helper with `i + 1` names from 1."""
    base = expand(SRC)
    assert base is not None and expand(_KWONLY) == base
    one = expand(SRC.replace("'%s_%d' % (scope, k)", "'%s_%d' % (scope, k + 1)"))
    assert one is not None and "name='block_1')" in one and "name='block_2')" in one and "block_0" not in one
    # a default name that is computed, or values other than the input: not this shape
    for old, new in (("variable_scope(scope, 'Repeat', [inputs])", "variable_scope(scope, NAME, [inputs])"),
                     ("variable_scope(scope, 'Repeat', [inputs])", "variable_scope(scope, 'Repeat', [net])")):
        fn = next(st for st in cst.parse_module(_KWONLY.replace(old, new)).body
                  if isinstance(st, cst.FunctionDef) and st.name.value == "stack")
        assert helper_reason(fn) is None
