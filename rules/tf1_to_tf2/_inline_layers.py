"""TF2120: functional `tf.layers.*` calls in straight-line graph code of the session code.

Not a rule module. Called by ``Analysis.run`` (rules/tf1_to_tf2/_graph.py) before the
graph-only check. In the statements of a unit (the module body or a module-level function
that runs a session and is not a TF2130 model function, called at most once), a top-level

    logits = tf.layers.dense(pooled, 2, activation=tf.nn.relu, name='output')

is split in two: the Keras layer object is created once where TF1 created the variables,

    output = tf.keras.layers.Dense(2, activation=tf.nn.relu, name='output')

and the tensor statement, moved into the generated tf.functions like any other, calls it:

    logits = output(pooled)

Every function that needs `logits` calls the same object, so the weights are shared as
the one TF1 graph shared them. Arguments are mapped by TF2101's table
(``layers_functional._LAYERS``); the defaults of both APIs agree (glorot-uniform kernels,
zero biases, 'valid' padding, channels_last). The layer keeps its TF1 name (`name=`, or
TF1's default `dense`, `dense_1`, ... written out for the layers that own variables), so
its variables are `<name>/kernel` and `<name>/bias` as in TF1. Keras builds the
variables on the first call (inside the first tf.function that runs), in the order TF1
created them.

A dropout whose `training=` is a name (a fed placeholder, a placeholder_with_default)
becomes `tf.cond(flag, lambda: layer(x, training=True), lambda: layer(x, training=False))`:
Keras' Dropout branches on a Python bool, TF1's dropout used smart_cond on the tensor.

Refused, with the reason attached to the `tf.layers` reference (``an.layer_refusals``,
reported by the graph-only check): `reuse=`, regularizers and constraints (collections /
optimizer-applied in TF1), initializers other than zeros/ones/constant(<number>) (random
defaults differ), a non-literal `trainable=`, dropout's `training=` other than a name,
computed or duplicate names, `*args`/`**kwargs`, batch normalization (UPDATE_OPS), layers
other than dense/conv2d/max_pooling2d/average_pooling2d/flatten/dropout, a file that
mentions another float dtype (float64, float16, ...: a TF1 layer took its inputs' dtype, a
Keras layer computes in float32), a call inside an expression, a loop, a branch or a
block, and a call in a function that runs no session or is called more than once.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from typing import TYPE_CHECKING

import libcst as cst

from rules.tf1_to_tf2._common import code, fix_commas, kwarg, take_positionals, tf_root
from rules.tf1_to_tf2._variables import (
    SESSION_NAMES,
    VariableConversion,
    _is_none,
    _number,
    _quoted,
    _string,
    an_walk,
    session_bodies,
)
from rules.tf1_to_tf2.layers_functional import _LAYERS, _UNSUPPORTED

if TYPE_CHECKING:
    from rules.tf1_to_tf2._graph import Analysis

CONVERTED = ("dense", "conv2d", "max_pooling2d", "average_pooling2d", "flatten", "dropout")
# layers that own variables: their TF1 default name is written out
WEIGHTED = {"dense": "dense", "conv2d": "conv2d"}
NOT_CONVERTED_ARGS = {
    "kernel_regularizer": "TF1 adds the penalty to the REGULARIZATION_LOSSES collection",
    "bias_regularizer": "TF1 adds the penalty to the REGULARIZATION_LOSSES collection",
    "activity_regularizer": "TF1 adds the penalty to the REGULARIZATION_LOSSES collection",
    "kernel_constraint": "TF1 optimizers and Keras optimizers apply constraints differently",
    "bias_constraint": "TF1 optimizers and Keras optimizers apply constraints differently",
}
OTHER_FLOATS = ("float64", "double", "float16", "half", "bfloat16")
INITIALIZER_ARGS = ("kernel_initializer", "bias_initializer")
# TF1 initializers of a layer argument -> the Keras initializer written instead (the
# random ones are not converted yet: TF1 and Keras defaults differ, see tables/initializers.json)
INITIALIZERS = {"zeros_initializer": "'zeros'", "ones_initializer": "'ones'", "constant_initializer": "Constant"}


class _Refused(Exception):
    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


class LayerLine:
    """One converted `y = tf.layers.<fn>(x, ...)` statement."""

    def __init__(self, line: cst.SimpleStatementLine, call: cst.Call, fn: str, obj: str, tf1_name: str | None,
                 quote: str, training: cst.BaseExpression | None) -> None:
        self.line = line
        self.call = call
        self.fn = fn
        self.obj = obj  # the Python name of the layer object
        self.tf1_name = tf1_name  # written as name= when the call had none
        self.quote = quote
        self.training = training
        self.updated_args: list[cst.Arg] | None = None
        self.inits: dict[str, str] = {}  # initializer argument -> the Keras initializer code


class InlineLayers:
    def __init__(self, an: Analysis) -> None:
        self.an = an
        self.lines: list[LayerLine] = []
        self.names: set[str] = set()
        self.counts: dict[str, int] = {}

    # entry ---------------------------------------------------------------------------------
    def run(self, refs: list[tuple[cst.CSTNode, str]]) -> None:
        an = self.an
        if not any(r.startswith("layers.") for _, r in refs):
            return
        layer_refs = {id(n) for n, r in refs if r.startswith("layers.")}
        for fn, body in session_bodies(an):
            if fn is not None and not any(r in SESSION_NAMES for _, r in an.tf_refs(fn)):
                continue  # a helper: the generic message (or TF2130's reason) stays
            made: list[LayerLine] = []
            for stmt in body:
                if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                    continue
                calls = [n for n in an_walk(stmt) if isinstance(n, cst.Call) and id(n.func) in layer_refs]
                for call in calls:
                    try:
                        made.append(self.convert(stmt, call))
                    except _Refused as r:
                        self.refuse(call, r.why)
            if fn is not None and made:
                why = VariableConversion(an).called_once(fn)
                if why is not None:
                    why = why.replace("with tf.get_variable and TF1 raised when it ran twice (the variables exist)",
                                      "with tf.layers (new variables at every run)")
                    for ll in made:
                        self.refuse(ll.call, why)
                    continue
            self.lines += made
        for ll in self.lines:
            if id(ll.call.func) in an.layer_refusals:
                continue
            an.allowed_refs.add(id(ll.call.func))
            an.inline_layer_lines.add(id(ll.line))
            an.plan.call_builders[id(ll.call)] = self.call_builder(ll)
            an.plan.dropped.append(ll.call.func)  # TF2001's finding on `tf.layers.dense` is answered
            named = _split(ll.call, ll.fn)[1]
            for k in ll.inits:  # ... and those on the TF1 initializers written as Keras ones
                value = named[k].value
                if isinstance(value, cst.Call):
                    an.plan.dropped.append(value.func)
        self.lines = [ll for ll in self.lines if id(ll.call.func) not in an.layer_refusals]

    def convert(self, st: cst.BaseStatement, call: cst.Call) -> LayerLine:
        an = self.an
        r = an.call_rest(call) or ""
        fn = r[len("layers."):]
        if fn == "batch_normalization":
            raise _Refused("`tf.layers.batch_normalization` in the session code: its moving averages are updated "
                           "through UPDATE_OPS in TF1; not converted")
        if fn not in CONVERTED or fn not in _LAYERS:
            raise _Refused(f"`tf.layers.{fn}` is not one of the layers converted in session code "
                           f"({', '.join(CONVERTED)})")
        wide = next((w for w in OTHER_FLOATS if w in an.ctx.source_text), None)
        if wide is not None:
            raise _Refused(f"the file uses `{wide}`: a TF1 layer took its inputs' dtype, a Keras layer computes in "
                           "float32 (its dtype policy); not converted")
        small = st.body[0] if isinstance(st, cst.SimpleStatementLine) and len(st.body) == 1 else None
        if not (isinstance(small, cst.Assign) and small.value is call and len(small.targets) == 1
                and isinstance(small.targets[0].target, cst.Name)):
            raise _Refused(f"`tf.layers.{fn}` inside an expression, a multiple assignment, a loop, a branch or a "
                           "block: only `name = tf.layers...(...)` in straight-line code is converted (the layer "
                           "object must be created once)")
        _cls, params, _kpos, _takes_training = _LAYERS[fn]
        args: dict[str, cst.Arg] = {}
        pos = 0
        allp = ["inputs", *params]
        for a in call.args:
            if a.star:
                raise _Refused(f"`tf.layers.{fn}(*args/**kwargs)`")
            if a.keyword is None:
                if pos >= len(allp):
                    raise _Refused(f"`tf.layers.{fn}` with too many positional arguments")
                args[allp[pos]] = a
                pos += 1
            else:
                args[a.keyword.value] = a
        if "inputs" not in args:
            raise _Refused(f"`tf.layers.{fn}` without inputs")
        for k, a in args.items():
            if k not in allp:
                raise _Refused(f"`{k}=` is not an argument of `tf.layers.{fn}`")
            if k in _UNSUPPORTED and not _is_none(a.value) and not (k == "reuse" and _false(a.value)):
                raise _Refused(f"`tf.layers.{fn}(..., {k}=...)`: shared variables must become one layer object "
                               "called twice" if k == "reuse" else f"`tf.layers.{fn}(..., {k}=...)` has no Keras counterpart")
            if k in NOT_CONVERTED_ARGS and not _is_none(a.value):
                raise _Refused(f"`tf.layers.{fn}(..., {k}=...)`: {NOT_CONVERTED_ARGS[k]}")
        inits: dict[str, str] = {}
        for k in INITIALIZER_ARGS:
            if k in args and not _is_none(args[k].value):
                inits[k] = self.initializer(fn, k, args[k].value)
        trainable = args.get("trainable")
        if trainable is not None and not (isinstance(trainable.value, cst.Name) and trainable.value.value in ("True", "False")):
            raise _Refused(f"`tf.layers.{fn}(..., trainable=...)` is not a literal True/False")
        training = args.get("training")
        if training is not None and not isinstance(training.value, cst.Name):
            raise _Refused(f"`tf.layers.{fn}(..., training=<expression>)`: Keras' Dropout decides on a Python bool; "
                           "only a name (a fed placeholder, a placeholder_with_default or a Python value) is converted, "
                           "through tf.cond")
        quote = "'"
        tf1_name: str | None = None
        if "name" in args and not _is_none(args["name"].value):
            named = _string(args["name"].value)
            if named is None or not named[0] or "/" in named[0]:
                raise _Refused(f"`tf.layers.{fn}` named by an expression: its TF1 variable names must be kept")
            name, quote = named
        else:
            if fn in WEIGHTED and an.models:
                raise _Refused(f"`tf.layers.{fn}` without `name=` next to model functions made Keras layers: TF1's "
                               "default name depends on them; give it a name")
            base = WEIGHTED.get(fn, fn)
            i = self.counts.get(base, 0)
            self.counts[base] = i + 1
            name = base if i == 0 else f"{base}_{i}"
            tf1_name = name if fn in WEIGHTED else None
        if name in self.names:
            raise _Refused(f"a second `tf.layers` call named `{name}` (TF1 raised or renamed it)")
        self.names.add(name)
        target = small.targets[0].target.value  # type: ignore[attr-defined]
        explicit = "name" in args and not _is_none(args["name"].value)
        usable = explicit and name.isidentifier() and not keyword.iskeyword(name) and name != target and name not in an.taken
        base_obj = name if usable else f"{target}_layer"
        obj = an.fresh(base_obj)
        assert isinstance(st, cst.SimpleStatementLine)
        ll = LayerLine(st, call, fn, obj, tf1_name, quote, training.value if training is not None else None)
        ll.inits = inits
        return ll

    def initializer(self, fn: str, k: str, node: cst.BaseExpression) -> str:
        an = self.an
        r = an.call_rest(node)
        short = r.split(".")[-1] if r is not None and r.startswith(("", "initializers.")) else None
        if not isinstance(node, cst.Call) or short not in INITIALIZERS or r not in (short, f"initializers.{short}"):
            raise _Refused(f"`tf.layers.{fn}(..., {k}={code(node)})`: only zeros_initializer(), "
                           "ones_initializer() and constant_initializer(<number>) are converted (TF1 and Keras "
                           "random initializer defaults differ)")
        if short != "constant_initializer":
            if node.args:
                raise _Refused(f"`tf.{r}(...)` with arguments as `{k}=`")
            return INITIALIZERS[short]
        value = node.args[0] if len(node.args) == 1 and node.args[0].keyword in (None,) else None
        if value is None and len(node.args) == 1 and node.args[0].keyword is not None and node.args[0].keyword.value == "value":
            value = node.args[0]
        if value is None or not _number(value.value):
            raise _Refused(f"`{k}=tf.{r}(...)` without one number literal as value: TF1 fills or reshapes "
                           "lists, Keras' Constant does not")
        return f"{tf_root(an.ctx)}.keras.initializers.Constant({code(value.value)})"

    def refuse(self, call: cst.Call, why: str) -> None:
        self.an.layer_refusals[id(call.func)] = why
        self.an.allowed_refs.discard(id(call.func))

    # rewriting -----------------------------------------------------------------------------
    def call_builder(self, ll: LayerLine) -> Callable[[cst.Call], cst.BaseExpression]:
        def build(updated: cst.Call) -> cst.BaseExpression:
            ll.updated_args = list(updated.args)
            inputs = _split(updated, ll.fn)[0]
            call_args = [inputs.with_changes(keyword=None, equal=cst.MaybeSentinel.DEFAULT, comma=cst.MaybeSentinel.DEFAULT)]
            if _LAYERS[ll.fn][3]:
                value = ll.training if ll.training is not None else cst.Name("False")
                if isinstance(value, cst.Name) and value.value not in ("True", "False"):
                    # a tensor flag: Keras' Dropout branches on a Python bool, tf.cond on the
                    # tensor (TF1's dropout did the same with smart_cond)
                    x = code(call_args[0].value)
                    return cst.parse_expression(
                        f"{tf_root(self.an.ctx)}.cond({value.value}, lambda: {ll.obj}({x}, training=True), "
                        f"lambda: {ll.obj}({x}, training=False))")
                call_args.append(kwarg("training", value))
            return cst.Call(func=cst.Name(ll.obj), args=fix_commas(call_args))
        return build

    def creation(self, ll: LayerLine, updated_line: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
        root = tf_root(self.an.ctx)
        cls, _params, keras_positional, _t = _LAYERS[ll.fn]
        fake = cst.Call(func=cst.Name("f"), args=ll.updated_args if ll.updated_args is not None else ll.call.args)
        _inputs, args = _split(fake, ll.fn)
        args.pop("training", None)
        args.pop("reuse", None)
        layer_args: list[cst.Arg] = []
        layer_args.extend(take_positionals(args, keras_positional))
        for name, a in args.items():
            if name in ll.inits:
                a = a.with_changes(value=cst.parse_expression(ll.inits[name]))
            layer_args.append(kwarg(name, a.value) if a.keyword is None else a.with_changes(comma=cst.MaybeSentinel.DEFAULT))
        if ll.tf1_name is not None:
            layer_args.append(kwarg("name", cst.SimpleString(_quoted(ll.tf1_name, ll.quote))))
        value = cst.Call(func=cst.parse_expression(f"{root}.keras.layers.{cls}"), args=fix_commas(layer_args))
        stmt = cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(ll.obj))], value)],
                                       leading_lines=updated_line.leading_lines)
        return [stmt]

    def creation_builder(self, ll: LayerLine) -> Callable[[cst.SimpleStatementLine], list[cst.BaseStatement]]:
        def build(updated_line: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
            return self.creation(ll, updated_line)
        return build

    # after classification ------------------------------------------------------------------
    def finish(self) -> None:
        """Each converted line must have been moved into the generated functions (then its
        place gets the layer object), and its constructor arguments must be Python values."""
        from rules.tf1_to_tf2._graph import Unsupported

        an = self.an
        plan = an.plan
        for ll in self.lines:
            if id(ll.line) not in plan.remove or id(ll.line) not in plan.capture:
                raise Unsupported(ll.call, f"`tf.layers.{ll.fn}`: its result is not computed in a generated function; "
                                           "not converted")
            for u in an.units.values():
                s = next((s for s in u.stmts if s.node is ll.line), None)
                if s is None:
                    continue
                _inputs, others = _split(ll.call, ll.fn)
                for k, a in others.items():
                    if k == "training":
                        continue  # an argument of the call, not of the constructor
                    for n in an_walk(a.value):
                        if isinstance(n, cst.Name) and not (a.keyword is not None and n is a.keyword):
                            g = an.graph_kind(u, n.value, s.index)
                            if g is not None and not (g.static and g.kind == "tensor"):
                                raise Unsupported(n, f"an argument of `tf.layers.{ll.fn}` reads the graph object "
                                                     f"`{n.value}` ({g.kind}); the layer object is created once")
            plan.remove.discard(id(ll.line))
            plan.stmt_builders[id(ll.line)] = self.creation_builder(ll)
        if self.lines:  # the lines stay (as the layer objects): the blank lines move again
            plan.blank_before.clear()
            plan.comments_before.clear()
            an.blank_lines()


def _false(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "False"


def _split(call: cst.Call, fn: str) -> tuple[cst.Arg, dict[str, cst.Arg]]:
    """(inputs, parameter -> argument) of a tf.layers call."""
    from rules.tf1_to_tf2._graph import _args_map

    out = _args_map(call, ["inputs", *_LAYERS[fn][1]])
    inputs = out.pop("inputs")
    return inputs, out


def convert_inline_layers(an: Analysis, refs: list[tuple[cst.CSTNode, str]]) -> InlineLayers:
    conv = InlineLayers(an)
    conv.run(refs)
    return conv
