"""The engine's shortcuts change nothing: finding positions computed from single
statements or from CPython's parse (the fast paths of ``FileContext.range_of``) equal
those from a print of the whole module, printing unchanged statements from the source
text gives the same output as printing every node, and the lean traversal
(``engine.lean``) gives the same output and findings as libcst's own."""

from __future__ import annotations

from pathlib import Path

import pytest

import migrate.engine.context as context
import migrate.engine.lean as lean
from migrate.engine.positions import Positions
from migrate.engine.process import Options, process_bytes

ROOT = Path(__file__).resolve().parents[1]

TRICKY = '''\
"""Docstring."""
import tensorflow.compat.v1 as tf  # a comment
\t
# leading comment of a decorated function
@tf.function  # decorator comment
# between the decorator and def
def f(x, act=tf.nn.relu):
    # comment at block indentation
    if x is None: y = tf.to_float(x)
    elif tf.is_tensor(x):
        y = tf.log(x); z = tf.to_float(x)
  # comment at another indentation
    else:
        with tf.variable_scope("s"):
            y = tf.random_normal([2])
    return tf.reduce_sum(y, keep_dims=True)


class K:
\tdef g(self):
\t\treturn tf.to_int32(tf.log(1.0))  # tab indentation
\tw = tf.get_variable("w", [1])


try:
    v = tf.to_float(1)
except ValueError:
    v = tf.to_float(2)
finally:
    u = tf.log(3.0)
for i in range(2):
    pass
else:
    q = tf.to_float(i)
x = tf.placeholder(tf.float32,
                   [None, 3])
s = "naïve"; é = tf.to_float(tf.log(2.0))  # non-ASCII before the names: columns are characters
m = f"{tf.log(1.0)}" + str(tf.log(1.0))
n = (tf).to_float(1) + (tf.to_float)(2) + ( tf . log )(3.0)
import tensorflow.compat.v1 as tf1; w = tf1.log(1.0)
é = 1; import tensorflow.compat.v1 as tf2; from tensorflow.contrib import slim as s2
from tensorflow.python import (ops,
    framework)
p = tf.reduce_sum(tf.reduce_sum(
    tf.to_float(1), keep_dims=True), keep_dims=True)
y = tf.log(1.0)  # tf.log in a comment
z = (tf.log(1.0) +  # spans lines
     tf.to_float(2)); w = tf.log
def f():
    q = tf.log(tf.rsqrt(1.0))  # é
    return q
a1 = "é" + str(tf.log(tf.rsqrt(2.0)))
a2 = tf.log(
    tf.rsqrt(3.0)); a3 = 1
@tf.log
def decorated(): return tf.to_float(1), tf.log
@tf.to_float
class Decorated: y = "tf.log"; z = tf.log  # tf.to_float
def tail1():
    a = tf.log(1.0) ;  # the last statement of a body: a semicolon and a comment
def tail2():
    b = tf.to_float(1) \\
        + tf.log(1.0)
def tail3():
    c = [tf.log(1.0),
         2]  # é
  # a comment at another indentation after the block
def tail4():
    if c:
        d = tf.log(2.0)

    # a comment after the last statement
x = tf.log(1.0)  # the module's last statement
# the module's footer
'''


def _findings(data: bytes, path: str, opts: Options, statement_positions: bool) -> list[object]:
    import migrate.engine.positions as positions
    import migrate.engine.transform as transform

    saved = context.USE_STATEMENT_POSITIONS, context.USE_VERBATIM, context.USE_AST_POSITIONS, context.USE_TEXT_POSITIONS, lean.ENABLED, positions.PLAIN_CHAINS
    context.USE_STATEMENT_POSITIONS = context.USE_VERBATIM = context.USE_AST_POSITIONS = context.USE_TEXT_POSITIONS = statement_positions
    transform.USE_SPLICE = statement_positions
    lean.ENABLED = positions.PLAIN_CHAINS = transform.LEAN_OPAQUE = statement_positions
    try:
        result, out = process_bytes(data, path, opts)
    finally:
        context.USE_STATEMENT_POSITIONS, context.USE_VERBATIM, context.USE_AST_POSITIONS, context.USE_TEXT_POSITIONS, lean.ENABLED, positions.PLAIN_CHAINS = saved
        transform.LEAN_OPAQUE = transform.USE_SPLICE = True
    return [(f.rule_id, f.range, f.message, f.status, f.snippet, f.fix and f.fix.content) for f in result.findings] + [out]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_tricky_layouts(newline: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = TRICKY.replace("\n", newline).encode()
    whole: list[object] = []
    monkeypatch.setattr(context, "Positions", lambda module: whole.append(module) or Positions(module))
    from_ast: list[object] = []
    span = context.FileContext._ast_span
    monkeypatch.setattr(context.FileContext, "_ast_span", lambda self, s, n: from_ast.append(span(self, s, n)) or from_ast[-1])
    from_text: list[object] = []
    text_span = context.FileContext._text_span
    monkeypatch.setattr(context.FileContext, "_text_span", lambda self, s, n: from_text.append(text_span(self, s, n)) or from_text[-1])
    import migrate.engine.transform as transform

    spliced: list[object] = []
    splice = transform._spliced
    monkeypatch.setattr(transform, "_spliced", lambda *a: spliced.append(splice(*a)) or spliced[-1])
    _findings(data, "t.py", Options(), True)
    if newline != "\r":
        assert sum(x is not None for x in from_text) > 5 and None in from_text
        assert sum(x is not None for x in spliced) >= 3 and None in spliced
    # the fast paths are taken (a lone CR, which CPython and libcst may count differently, is not)
    assert bool(whole) == (newline == "\r")
    if newline != "\r":
        assert sum(x is not None for x in from_ast) > 10 and None in from_ast
    for unsafe in (False, True):
        opts = Options(unsafe_fixes=unsafe)
        fast = _findings(data, "t.py", opts, True)
        assert len(fast) > 15
        assert fast == _findings(data, "t.py", opts, False)
    # the module's last statement with no line break after it
    cut = TRICKY[: TRICKY.index("# the module's footer")].rstrip("\n").replace("\n", newline).encode()
    assert _findings(cut, "t.py", Options(), True) == _findings(cut, "t.py", Options(), False)


def _files(*dirs: str) -> list[Path]:
    return [p for d in dirs for p in sorted((ROOT / d).rglob("*.py"))]


@pytest.mark.slow
@pytest.mark.parametrize(
    "pack,unsafe,dirs",
    [
        ("tf1-to-tf2", False, ("corpus/tf1", "tests/fixtures/tf1_to_tf2", "corpus/case_study/tf1")),
        ("tf1-to-tf2", True, ("corpus/tf1", "corpus/case_study/tf1")),
        ("tf2-to-torch", True, ("corpus/tf2", "corpus/case_study/tf2")),
    ],
)
def test_shortcuts_match_whole_module_printing(pack: str, unsafe: bool, dirs: tuple[str, ...]) -> None:
    files = _files(*dirs)
    assert len(files) > 20
    opts = Options(pack=pack, unsafe_fixes=unsafe)
    for path in files:
        data = path.read_bytes()
        assert _findings(data, path.name, opts, True) == _findings(data, path.name, opts, False), path


def test_unchanged_statements_are_printed_from_the_source(monkeypatch: pytest.MonkeyPatch) -> None:
    import migrate.engine.positions as positions

    used: list[int] = []
    original = positions._codegen_verbatim

    def spy(self, state, **kwargs):  # type: ignore[no-untyped-def]
        before = len(state.tokens)
        original(self, state, **kwargs)
        if len(state.tokens) == before + 1 and state.verbatim and id(self) in state.verbatim:
            used.append(id(self))

    monkeypatch.setattr(positions, "_codegen_verbatim", spy)
    source = "import tensorflow.compat.v1 as tf\n\n\ndef f():\n    # kept\n    a = 1\n    return tf.log(a)\n\n\nX = [1,\n  2]\nY = tf.to_float(X)\n"
    result, out = process_bytes(source.encode(), "t.py", Options())
    assert out.decode() == source.replace("tf.log", "tf.math.log").replace("tf.to_float(X)", "tf.cast(X, tf.float32)").replace(".compat.v1", "")
    assert len(used) >= 2  # `a = 1` and the `X = [...]` statement at least


def test_lean_traversal_serves_only_its_visitor_and_restores_libcst() -> None:
    import libcst as cst
    from libcst._nodes import expression

    from migrate.engine.transform import BatchedTransformer

    before = cst.CSTNode.visit, expression.visit_required
    seen: list[str] = []

    class Names(cst.CSTVisitor):  # another visitor run inside the lean block keeps libcst's path
        def visit_Name(self, node: cst.Name) -> None:
            seen.append(node.value)

        def visit_Call_func(self, node: cst.Call) -> None:  # attribute hooks still dispatched
            seen.append("func")

    module = cst.parse_module("f(a.b)\n")
    with lean.lean_traversal(BatchedTransformer):
        assert cst.CSTNode.visit is not before[0]
        module.visit(Names())
        with pytest.raises(TypeError, match="RemovalSentinel"):

            class Remove(cst.CSTTransformer):
                def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.RemovalSentinel:
                    return cst.RemoveFromParent()

            module.visit(Remove())
    assert seen == ["func", "f", "a", "b"]
    assert (cst.CSTNode.visit, expression.visit_required) == before


@pytest.mark.parametrize("text", ["tf", "tf.compat.v1.placeholder", "(tf).x", "tf .x", "tf. x", "(tf.x)", "a.b.c.d", "f(x).y", "tf.x[0]"])
def test_plain_chain_text_is_the_printed_text_or_none(text: str) -> None:
    import libcst as cst

    import migrate.engine.positions as positions

    node = cst.parse_expression(text)
    plain = positions._plain_chain(node)
    printed = cst.Module([]).code_for_node(node)
    assert plain in (None, printed)
    assert (plain is not None) == (text in ("tf", "tf.compat.v1.placeholder", "a.b.c.d"))


SYNTAX_SAMPLE = '''\
"""Doc."""
from __future__ import annotations
import a.b as c, d
from .e import (f as g, h)
@dec(1, *args, k=2, **kw)
async def fn(x: int = 1, /, y=2, *z, w: "T" = 3, **kv) -> list[int]:
    global q
    async with m as (n, o), p:
        async for i, *j in k[1:2:3, ...]:
            await s; yield t; u = yield from v
    if (w := x) and not y or -x ** 2 // 3 % 4 @ 5 << 6 >> 7 & 8 | 9 ^ ~10:
        pass
    elif x is not None and x not in y and 1 < x <= 2 != 3:
        del x[0], y.z
    else:
        raise E from F
    try:
        assert x, "m"
    except* (A, B) as e:
        nonlocal_ = lambda a, *b, c=1, **d: (a, b, c, d)
    finally:
        return {k: v for k, v in x.items() if k} | {*x} | {**y} | [i async for i in j] | (i for i in j)
class K(Base, metaclass=M):
    x: int = 1; y += 2; z -= 3; z *= 4; z /= 5; z //= 6; z %= 7; z **= 8; z @= 9
    z <<= 1; z >>= 2; z &= 3; z |= 4; z ^= 5
match p:
    case [1, 2, *rest] | (3 | 4) if rest:
        pass
    case {"k": v, **others}:
        pass
    case Point(x=0, y=_) as pt:
        pass
    case -1.5 | 2j | None | True | b"x" | "s" "t":
        pass
x = (f"{x!r:>{w}} {y=}" r'raw', 0x1f, 1_000, 1e-3, x[::2], x if y else z, ...)
while x: break
for _ in []: continue
else: print(*x, sep="", end='')
'''


def test_fast_construction_builds_the_same_tree_and_is_undone() -> None:
    import libcst as cst

    from migrate.engine.process import parse_unvalidated

    texts = [SYNTAX_SAMPLE.encode()] + [p.read_bytes() for p in _files("corpus/tf1", "corpus/tf2", "tests/fixtures/tf1_to_tf2")]
    built: set[str] = set()
    for data in texts:
        fast = parse_unvalidated(data)
        lean.FAST_CONSTRUCTION = False
        try:
            slow = parse_unvalidated(data)
        finally:
            lean.FAST_CONSTRUCTION = True
        assert fast.deep_equals(slow) and fast.code == slow.code == data.decode("utf-8")
        if data is texts[0]:
            class Kinds(cst.CSTVisitor):
                def on_visit(self, node: cst.CSTNode) -> bool:
                    built.add(type(node).__name__)
                    return True

            fast.visit(Kinds())
    assert all(not cls.__init__.__code__.co_filename.startswith("<migrate") for cls, _, _ in lean._fast_inits())
    fast_classes = {cls.__name__ for cls, _, _ in lean._fast_inits()}
    assert len(built & fast_classes) > 100  # the sample exercises most generated __init__s
    with pytest.raises(cst.CSTValidationError):  # libcst's own __init__ (and validation) are back
        cst.Name("not a name")
    assert cst.Name("x").lpar == () and cst.Attribute(cst.Name("a"), cst.Name("b")).dot.whitespace_before.value == ""


def test_last_statements_of_bodies_have_source_texts() -> None:
    import ast

    import libcst as cst

    from migrate.engine.relevance import statement_lines, statement_texts

    source = "def f():\n    a = 1 ;  # c\n\n  # dedented\ndef g():\n    b = [1,\n         2]\n    c = 2 \\\n        + 1\nx = 1"
    module = cst.parse_module(source)
    asts: dict[int, object] = {}
    lines = statement_lines(module, source, ast.parse(source), asts)  # type: ignore[arg-type]
    assert lines is not None
    texts = statement_texts(module, source, lines, asts)  # type: ignore[arg-type]
    f, g, x = module.body
    assert texts[id(f.body.body[0])] == ("    a = 1 ;  # c\n", "    ")  # type: ignore[attr-defined]
    assert texts[id(g.body.body[0])] == ("    b = [1,\n         2]\n", "    ")  # type: ignore[attr-defined]
    assert texts[id(g.body.body[1])] == ("    c = 2 \\\n        + 1\n", "    ")  # type: ignore[attr-defined]
    assert id(x) not in texts  # no line break after the module's last statement
    assert id(x) not in statement_texts(module, source, lines)  # without CPython's statements
