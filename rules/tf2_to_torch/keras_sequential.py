"""PT1003: tf.keras.Sequential([...]) -> nn.Sequential(...)."""

from __future__ import annotations

from typing import Any

import libcst as cst

from migrate.result import Category, Safety
from migrate.rule import Invalid, Valid
from rules.tf2_to_torch._analysis import module_scan
from rules.tf2_to_torch._common import (
    HELPERS,
    SEQUENTIAL,
    LayerHint,
    TorchRule,
    code_of,
    keyword_args,
    layer_name,
    literal,
    multiline,
    need_helper,
)
from rules.tf2_to_torch._layers import (
    Built,
    Part,
    build,
    render_items,
    uses_channels_last,
    with_activation,
)
from rules.tf2_to_torch.tables import LAYERS

_INPUTS = {"tensorflow.keras.Input", "tensorflow.keras.layers.Input", "tensorflow.keras.layers.InputLayer"}


def _input_shape(call: cst.Call) -> Any:
    args = keyword_args(call, ["shape", "batch_size", "name", "dtype"])
    if not args:
        return None
    node = args.get("shape") or args.get("input_shape")
    return shape_literal(node.value) if node is not None else None


def shape_literal(node: cst.BaseExpression) -> Any:
    """A Keras shape tuple; sizes that are not literals (function parameters) are None, so
    the rank stays known."""
    if not isinstance(node, (cst.Tuple, cst.List)):
        return None
    out = []
    for el in node.elements:
        if not isinstance(el, cst.Element):
            return None
        v = literal(el.value)
        out.append(v if isinstance(v, int) and not isinstance(v, bool) else None)
    return tuple(out)


class KerasSequential(TorchRule):
    """Turns `tf.keras.Sequential([...])` into `nn.Sequential(...)` when every layer maps.

    What it does: each layer of the list becomes its torch.nn modules (PT1001's table), in
    order, one per line; a fused activation becomes its own module (`nn.Linear(20, 64),
    nn.ReLU()`). Sizes flow down the list from `input_shape=` / a leading
    `tf.keras.Input(shape=...)` (dropped: PyTorch needs no input layer), so the modules get
    their `in_features`/`in_channels`, and `Flatten` -> `Linear` gets the flattened size;
    where a size is unknown the `nn.Lazy*` module is used. A run of channels-first modules
    (convolutions, pooling, 2-D batch norm and the activations between them) shares one
    `ChannelsLast(...)` group, so the model keeps Keras' NHWC input and output and permutes
    only at the edges of the run (before `Flatten`, whose NHWC order keeps the `Linear`
    weights in their Keras order).

    Why: `nn.Sequential` is the PyTorch form of a layer stack.

    Fix safety: safe under the same terms as PT1001 (pinned numerics, same function with
    the same weights). When one layer has no mapping (an LSTM, a layer with an unsupported
    argument) the whole `Sequential` is left as it is and reported with the layers that
    block it, so that no half-Keras, half-PyTorch stack is written. Instances of subclassed
    Keras layers of the same file (PT1002 converts them) are kept as modules. A
    `model = Sequential()` followed directly by `model.add(layer)` statements becomes one
    `model = nn.Sequential(...)` with the same layers (the `add` lines go); other uses of
    `add` (in a loop, after other statements) are reported.
    """

    ID = "PT1003"
    NAME = "keras-sequential"
    MESSAGE = "tf.keras.Sequential becomes nn.Sequential"
    SAFETY = Safety.SAFE
    CATEGORY = Category.MANDATORY
    EFFORT = "trivial"

    VALID = [Valid("from torch import nn\nmodel = nn.Sequential(nn.Linear(4, 2))\n"), Valid("import tensorflow as tf\nx = tf.ones(3)\ns = set()\ns.add(1)\n")]
    INVALID = [
        Invalid(
            "import tensorflow as tf\n\nmodel = tf.keras.Sequential([\n    tf.keras.layers.Dense(64, activation='relu', input_shape=(20,)),\n    tf.keras.layers.Dense(10),\n])\n",
            "from torch import nn\n\nmodel = nn.Sequential(\n    nn.Linear(20, 64),\n    nn.ReLU(),\n    nn.Linear(64, 10),\n)\n",
        ),
        Invalid(
            "from tensorflow import keras\n\nmodel = keras.Sequential([\n    keras.Input(shape=(8, 8, 3)),\n    keras.layers.Conv2D(4, 3, activation='relu'),\n    keras.layers.MaxPooling2D(),\n    keras.layers.Flatten(),\n    keras.layers.Dense(2),\n])\n",
            "from torch import nn\n\n\n"
            + HELPERS["ChannelsLast"]
            + "\n\nmodel = nn.Sequential(\n    ChannelsLast(\n        nn.Conv2d(3, 4, 3),\n        nn.ReLU(),\n        nn.MaxPool2d(2),\n    ),\n    nn.Flatten(),\n    nn.Linear(36, 2),\n)\n",
            message="ChannelsLast",
        ),
        Invalid(
            "import tensorflow as tf\n\nmodel = tf.keras.Sequential()\nmodel.add(tf.keras.layers.Dense(4, input_shape=(3,)))\nmodel.add(tf.keras.layers.Dense(1))\nmodel.summary()\n",
            "from torch import nn\n\nmodel = nn.Sequential(\n    nn.Linear(3, 4),\n    nn.Linear(4, 1),\n)\nmodel.summary()\n",
            message="model.add",
        ),
        Invalid(
            "import tensorflow as tf\nmodel = tf.keras.Sequential([tf.keras.layers.LSTM(8), tf.keras.layers.Dense(1)])\n",
            None,
            message="LSTM",
        ),
    ]

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._plans: dict[int, tuple[list[tuple[int, cst.Call]], str | None]] = {}
        self._modules: set[int] = set()
        self._add_calls: set[int] = set()  # Sequential() calls filled by model.add
        self._blocks: dict[int, list[Any]] = {}

    def _plan_elements(self, values: list[Any]) -> tuple[list[tuple[int, cst.Call]], list[str]]:
        """Sizes flow down the layers; hints for PT1001; the layers that block the stack."""
        st = self.st
        shape: Any = None
        calls: list[tuple[int, cst.Call]] = []
        problems: list[str] = []
        for i, value in enumerate(values):
            if not isinstance(value, cst.Call):
                problems.append(f"element {i + 1} is not a layer call")
                continue
            q = self.qname(value.func)
            if q in _INPUTS and i == 0:
                st.handled.add(id(value))
                shape = _input_shape(value)
                continue
            if isinstance(value.func, cst.Name) and value.func.value in module_scan(self).keras_classes:
                # a subclassed Keras layer of this file: PT1002 makes it an nn.Module
                self._modules.add(id(value))
                calls.append((i, value))
                shape = None
                continue
            name = layer_name(q)
            if name is None or name not in LAYERS:
                problems.append(f"{name or 'element ' + str(i + 1)} has no mapping")
                calls.append((i, value))
                continue
            built = build(name, value, value, shape, self.qname)
            if isinstance(built, str):
                problems.append(f"{name}: {built}")
                calls.append((i, value))
                continue
            if built.activation is not None and built.activation.module is None:
                problems.append(f"{name}: activation {built.activation.name} is a function, not a module")
            st.hints[id(value)] = LayerHint(in_shape=shape, context="sequential")
            shape = built.out_shape
            calls.append((i, value))
        if problems:
            st.frozen.update(id(c) for _, c in calls)
        return calls, problems

    def visit_Call(self, node: cst.Call) -> None:
        if self.qname(node.func) not in SEQUENTIAL or id(node) in self._add_calls:
            return
        st = self.st
        st.handled.add(id(node))
        args = keyword_args(node, ["layers", "trainable", "name"])
        layers = args.get("layers") if args else None
        if layers is None:
            self._plans[id(node)] = ([], "an empty Sequential() filled with model.add(...): collect the layers and write nn.Sequential(...) with them")
            return
        if not isinstance(layers.value, (cst.List, cst.Tuple)):
            self._plans[id(node)] = ([], "the layer list is not a literal list: build nn.Sequential(*modules) by hand")
            return
        values = [el.value if isinstance(el, cst.Element) else None for el in layers.value.elements]
        calls, problems = self._plan_elements(values)
        self._plans[id(node)] = (calls, "; ".join(problems) or None)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        plan = self._plans.pop(id(original_node), None)
        if plan is None:
            return updated_node
        calls, problem = plan
        if problem:
            self.flag(original_node, f"Sequential left as it is: {problem}", effort="complex")
            return updated_node
        args = keyword_args(updated_node, ["layers", "trainable", "name"])
        layers = args.get("layers") if args else None
        elements = layers.value.elements if layers is not None and isinstance(layers.value, (cst.List, cst.Tuple)) else ()
        values = [el.value if isinstance(el, cst.Element) else None for el in elements]
        got = self._render(calls, values)
        if isinstance(got, str):
            self.flag(original_node, f"Sequential left as it is: {got}")
            return updated_node
        new, message, manual = got
        return self.convert(original_node, updated_node, new, message=message, manual=manual)  # type: ignore[no-any-return]

    def _render(self, calls: list[tuple[int, cst.Call]], values: list[Any]) -> tuple[cst.BaseExpression, str, bool] | str:
        """nn.Sequential(...) of the planned layers; `values` are their updated nodes."""
        built: list[Built] = []
        for i, call in calls:
            if id(call) in self._modules:
                upd = values[i] if i < len(values) and values[i] is not None else call
                built.append(Built(keras=code_of(call.func), torch=code_of(call.func), parts=[Part(code_of(upd), "lastaxis")]))
                continue
            b = self.st.built.get(id(call))
            if b is None:
                # PT1001 did not convert it (disabled): build it here
                el = values[i] if i < len(values) else None
                upd = el if isinstance(el, cst.Call) else call
                hint = self.st.hints.get(id(call))
                b = build(layer_name(self.qname(call.func)) or "", call, upd, hint.in_shape if hint else None, self.qname)
                if isinstance(b, str):
                    return b
            built.append(b)
        parts = [p for b in built for p in with_activation(b)]
        for b in built:
            for h in b.helpers:
                need_helper(self, h)
        if uses_channels_last(parts):
            need_helper(self, "ChannelsLast")
        code = multiline("nn.Sequential", render_items(parts, "ChannelsLast", multi=True))
        new = self.torch(code)
        for _, call in calls:
            self.supersede(call)
        notes: list[str] = []
        manual: list[str] = []
        for b in built:
            if b.lazy:
                notes.append(f"{b.keras}: input size unknown, lazy module (run one batch before copying weights)")
            manual += [f"{b.keras}: {m}" for m in b.manual]
        message = "tf.keras.Sequential becomes nn.Sequential"
        if uses_channels_last(parts):
            message += " (channels-first runs wrapped in ChannelsLast: NHWC in and out)"
        if notes:
            message += "; " + "; ".join(dict.fromkeys(notes))
        if manual:
            message += "; needs a person: " + "; ".join(manual)
        return new, message, bool(manual)

    # ---------------------------------------------------------------- model.add(...)
    def _add_runs(self, body: Any) -> list[tuple[int, int, str]]:
        """(index of `name = Sequential()`, index after the last `name.add(...)`, name)."""
        runs = []
        i = 0
        while i < len(body):
            stmt = body[i]
            target = _empty_sequential(stmt, self.qname)
            if target is None:
                i += 1
                continue
            j = i + 1
            while j < len(body) and _add_arg(body[j], target) is not None:
                j += 1
            if j > i + 1:
                runs.append((i, j, target))
            i = j
        return runs

    def _visit_block(self, node: Any) -> None:
        if "add" not in self.ctx.source_text:
            return
        body = list(node.body)
        runs = self._add_runs(body)
        if not runs:
            return
        plans = []
        for i, j, target in runs:
            values = [_add_arg(body[k], target) for k in range(i + 1, j)]
            seq_call = body[i].body[0].value
            self._add_calls.add(id(seq_call))
            self.st.handled.add(id(seq_call))
            calls, problems = self._plan_elements(values)
            plans.append((i, j, target, calls, "; ".join(problems) or None))
        self._blocks[id(node)] = plans

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._visit_block(node)

    def visit_Module(self, node: cst.Module) -> None:
        self._visit_block(node)

    def _leave_block(self, original: Any, updated: Any) -> Any:
        plans = self._blocks.pop(id(original), None)
        if not plans:
            return updated
        body = list(updated.body)
        obody = list(original.body)
        # other rules may have split statements: find the runs again in the updated block
        runs = self._add_runs(body)
        if [(j - i, t) for i, j, t in runs] != [(p[1] - p[0], p[2]) for p in plans]:
            for p in plans:
                self.flag(obody[p[0]].body[0].value, f"Sequential built with {p[2]}.add(...) left as it is: the statements changed under another rule")
            return updated
        drop: set[int] = set()
        for (oi, _oj, target, calls, problem), (i, j, _t) in zip(plans, runs):
            seq_call = obody[oi].body[0].value
            if problem:
                self.flag(seq_call, f"Sequential built with {target}.add(...) left as it is: {problem}", effort="complex")
                continue
            values = [_add_arg(body[k], target) for k in range(i + 1, j)]
            got = self._render(calls, values)
            if isinstance(got, str):
                self.flag(seq_call, f"Sequential built with {target}.add(...) left as it is: {got}")
                continue
            new, message, manual = got
            small = body[i].body[0]
            new_stmt = body[i].with_changes(body=[small.with_changes(value=new)])
            out = self.convert(seq_call, body[i], new_stmt, message=message.replace("tf.keras.Sequential", f"Sequential() + {target}.add(...)"), manual=manual)
            if out is new_stmt:
                body[i] = new_stmt
                drop.update(range(i + 1, j))
                for k in range(oi + 1, oi + j - i):
                    self.supersede(obody[k].body[0].value)
        if not drop:
            return updated
        kept = [b for k, b in enumerate(body) if k not in drop]
        return updated.with_changes(body=kept)

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock) -> cst.IndentedBlock:
        return self._leave_block(original_node, updated_node)  # type: ignore[no-any-return]

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        updated_node = self._leave_block(original_node, updated_node)
        return super().leave_Module(original_node, updated_node)


def _empty_sequential(stmt: Any, qname: Any) -> str | None:
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    s = stmt.body[0]
    if not isinstance(s, cst.Assign) or len(s.targets) != 1 or not isinstance(s.targets[0].target, cst.Name):
        return None
    v = s.value
    if not isinstance(v, cst.Call) or qname(v.func) not in SEQUENTIAL:
        return None
    args = keyword_args(v, ["layers", "trainable", "name"])
    if args is None or "layers" in args:
        return None
    return s.targets[0].target.value


def _add_arg(stmt: Any, target: str) -> cst.BaseExpression | None:
    """`x` of a `target.add(x)` statement line, else None."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    s = stmt.body[0]
    if not isinstance(s, cst.Expr) or not isinstance(s.value, cst.Call):
        return None
    call = s.value
    f = call.func
    if not (isinstance(f, cst.Attribute) and f.attr.value == "add" and isinstance(f.value, cst.Name) and f.value.value == target):
        return None
    if len(call.args) != 1 or call.args[0].keyword is not None or call.args[0].star:
        return None
    return call.args[0].value
