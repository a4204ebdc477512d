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
    value = literal(node.value) if node is not None else None
    if isinstance(value, tuple) and all(v is None or isinstance(v, int) for v in value):
        return value
    return None


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
    Keras layers of the same file (PT1002 converts them) are kept as modules. `Sequential()`
    built with `model.add(...)` is reported.
    """

    ID = "PT1003"
    NAME = "keras-sequential"
    MESSAGE = "tf.keras.Sequential becomes nn.Sequential"
    SAFETY = Safety.SAFE
    CATEGORY = Category.MANDATORY
    EFFORT = "trivial"

    VALID = [Valid("from torch import nn\nmodel = nn.Sequential(nn.Linear(4, 2))\n")]
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
            "import tensorflow as tf\nmodel = tf.keras.Sequential([tf.keras.layers.LSTM(8), tf.keras.layers.Dense(1)])\n",
            None,
            message="LSTM",
        ),
    ]

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._plans: dict[int, tuple[list[tuple[int, cst.Call]], str | None]] = {}
        self._modules: set[int] = set()

    def visit_Call(self, node: cst.Call) -> None:
        if self.qname(node.func) not in SEQUENTIAL:
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
        shape: Any = None
        calls: list[tuple[int, cst.Call]] = []
        problems: list[str] = []
        for i, el in enumerate(layers.value.elements):
            value = el.value if isinstance(el, cst.Element) else None
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
        built: list[Built] = []
        for i, call in calls:
            if id(call) in self._modules:
                upd = elements[i].value if i < len(elements) else call
                built.append(Built(keras=code_of(call.func), torch=code_of(call.func), parts=[Part(code_of(upd), "lastaxis")]))
                continue
            b = self.st.built.get(id(call))
            if b is None:
                # PT1001 did not convert it (disabled): build it here
                el = elements[i].value if i < len(elements) else None
                upd = el if isinstance(el, cst.Call) else call
                hint = self.st.hints.get(id(call))
                b = build(layer_name(self.qname(call.func)) or "", call, upd, hint.in_shape if hint else None, self.qname)
                if isinstance(b, str):
                    self.flag(original_node, f"Sequential left as it is: {b}")
                    return updated_node
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
        return self.convert(original_node, updated_node, new, message=message, manual=bool(manual))  # type: ignore[no-any-return]
