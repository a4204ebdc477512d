"""TF2130's static shapes of computed tensors (rules/tf1_to_tf2/_static_shapes.py): the
expressions written into `build` from the input's shape give the sizes TensorFlow's own
shape inference gives for the same ops (conv2d, max_pool/avg_pool, SAME and VALID, strides,
a `[batch, -1]` reshape), and what is not followed gives None (TF2130 keeps its refusal)."""

from __future__ import annotations

import itertools

import libcst as cst
import pytest

from rules.tf1_to_tf2 import _static_shapes


def _rest(node: cst.BaseExpression) -> str | None:
    code = cst.Module([]).code_for_node(node)
    return code[len("tf."):] if code.startswith("tf.") else None


def _is_batch(e: cst.BaseExpression) -> bool:
    return _static_shapes.dimension_read(e, {"x": ["input_shape[0]"]}) == "input_shape[0]"


def _follow(lines: list[str]) -> dict[str, list[str]]:
    shapes: dict[str, list[str]] = {"kernel": ["3", "3", "2", "5"], "kernel1": ["1", "2", "2", "4"]}
    for line in lines:
        target, value = line.split(" = ", 1)
        got = _static_shapes.shape_of(cst.parse_expression(value), _rest, shapes, _is_batch, "x")
        if got is not None:
            shapes[target] = got
    return shapes


CASES = [
    (op, pad, s, k)
    for op, pad, s, k in itertools.product(["conv", "max_pool", "avg_pool"], ["SAME", "VALID"], [1, 2, 3], [1, 2, 3])
]


def test_spatial_sizes_match_tensorflow() -> None:
    tf = pytest.importorskip("tensorflow")
    for (op, pad, s, k), (h, w) in itertools.product(CASES, [(6, 6), (7, 5), (9, 8)]):
        if op == "conv":
            kern = "kernel" if k == 3 else "kernel1"
            kh, kw = (3, 3) if k == 3 else (1, 2)
            line = f"y = tf.nn.conv2d(x, {kern}, [1, {s}, {s}, 1], padding='{pad}')"
            ref = tf.nn.conv2d(tf.zeros([2, h, w, 2]), tf.zeros([kh, kw, 2, 5 if k == 3 else 4]), [1, s, s, 1], pad).shape
        else:
            line = f"y = tf.nn.{op}(x, ksize=[1, {k}, {k}, 1], strides=[1, {s}, {s}, 1], padding='{pad}')"
            ref = getattr(tf.nn, op)(tf.zeros([2, h, w, 3]), [1, k, k, 1], [1, s, s, 1], pad).shape
        shapes = _follow([line, "flat = tf.reshape(y, [x.get_shape()[0].value, -1])"])
        input_shape = [2, h, w, 3]
        got = [eval(e, {"input_shape": input_shape}) for e in shapes["flat"]]
        assert got == [ref[0], ref[1] * ref[2] * ref[3]], (line, h, w, shapes["flat"], ref)


def test_real_cifar10_spelling_of_the_batch_size() -> None:
    # cifar10.py: `tf.reshape(pool2, [images.get_shape().as_list()[0], -1])`
    shapes = _follow(["p = tf.nn.max_pool(x, ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1], padding='SAME')",
                      "flat = tf.reshape(p, [x.get_shape().as_list()[0], -1])"])
    assert shapes["flat"] == ["input_shape[0]", "((input_shape[1] + 1) // 2) * ((input_shape[2] + 1) // 2) * input_shape[3]"]


def test_nested_calls_are_followed() -> None:
    shapes = _follow([
        "a = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, kernel, [1, 2, 2, 1], padding='VALID'), b))",
        "flat = tf.reshape(tf.nn.avg_pool(a, ksize=[1, 2, 2, 1], strides=[1, 1, 1, 1], padding='SAME'), [x.get_shape()[0].value, -1])",
    ])
    assert shapes["a"] == ["input_shape[0]", "(input_shape[1] - 1) // 2", "(input_shape[2] - 1) // 2", "5"]
    assert shapes["flat"] == ["input_shape[0]", "((input_shape[1] - 1) // 2) * ((input_shape[2] - 1) // 2) * 5"]


def test_elementwise_ops_keep_the_shape_and_dimension_reads() -> None:
    shapes = _follow([
        "c = tf.nn.conv2d(x, kernel, [1, 1, 1, 1], padding='SAME')",
        "b = tf.nn.bias_add(c, biases)",
        "r = tf.nn.relu(b)",
        "p = tf.nn.max_pool(r, ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1], padding='SAME')",
        "flat = tf.reshape(p, [x.get_shape()[0].value, -1])",
    ])
    assert shapes["flat"] == ["input_shape[0]", "((input_shape[1] + 1) // 2) * ((input_shape[2] + 1) // 2) * 5"]
    for read in ("flat.get_shape()[1].value", "flat.get_shape()[1]", "flat.shape[1]", "int(flat.shape[1])",
                 "flat.get_shape().as_list()[1]", "flat.shape.as_list()[1]"):
        assert _static_shapes.dimension_read(cst.parse_expression(read), shapes) == shapes["flat"][1], read
    assert _static_shapes.dimension_read(cst.parse_expression("flat.get_shape()[2].value"), shapes) is None


@pytest.mark.parametrize("line", [
    "y = tf.nn.conv2d(x, kernel, [1, 1, 1, 1], padding='SAME', data_format='NCHW')",  # layout not followed
    "y = tf.nn.conv2d(x, kernel, [1, 1, 1, 1], padding='SAME', dilations=2)",
    "y = tf.nn.conv2d(x, kernel, strides, padding='SAME')",  # strides not a literal
    "y = tf.nn.conv2d(x, kernel, [1, 1, 1, 1], padding=pad)",
    "y = tf.nn.conv2d(x, w, [1, 1, 1, 1], padding='SAME')",  # a kernel of unknown shape
    "y = tf.reshape(x, [x.get_shape()[0].value, -1])",  # the input's rank is not known
    "y = tf.reshape(r, [4, -1])",  # not the batch size
    "y = tf.nn.relu(x)",
    "y = tf.matmul(r, kernel)",
])
def test_what_is_not_followed_gives_none(line: str) -> None:
    shapes = _follow(["c = tf.nn.conv2d(x, kernel, [1, 1, 1, 1], padding='SAME')", "r = tf.nn.relu(c)", line])
    assert shapes["r"] == ["input_shape[0]", "input_shape[1]", "input_shape[2]", "5"]
    assert "y" not in shapes, (line, shapes.get("y"))
