"""PT1001: Keras layer construction -> torch.nn module (layer table)."""

from __future__ import annotations

import libcst as cst

from migrate.result import Category, Safety
from migrate.rule import Invalid, Valid
from rules.tf2_to_torch._common import (
    HELPERS,
    LayerHint,
    TorchRule,
    layer_name,
    mark_references,
    need_helper,
)
from rules.tf2_to_torch._layers import (
    Built,
    build,
    describe,
    render_standalone,
    uses_channels_last,
    with_activation,
)
from rules.tf2_to_torch.tables import LAYERS, manual_hint


class KerasLayer(TorchRule):
    """Turns a Keras layer constructor into the torch.nn module of the layer table.

    What it does: `tf.keras.layers.Dense(64, activation='relu')` becomes
    `nn.Sequential(nn.LazyLinear(64), nn.ReLU())`, `Conv2D(32, 3, padding='same')` becomes
    `ChannelsLast(nn.LazyConv2d(32, 3, padding='same'))`, and likewise for pooling,
    BatchNormalization, LayerNormalization, Dropout, Flatten, Embedding, Reshape, the
    activation layers, Conv1D/2D/3DTranspose (`nn.ConvTranspose*d`; 'same' padding gets the
    `padding`/`output_padding` that give `input * strides`, and an odd pixel is cropped at
    the end as TensorFlow does), DepthwiseConv2D (`nn.Conv2d(C, C * multiplier, k,
    groups=C)`), SeparableConv2D (depthwise then 1x1 `nn.Conv2d`), and LSTM / GRU /
    Bidirectional(LSTM|GRU) (`KerasRNN(nn.LSTM(in, units, batch_first=True), ...)`: a helper
    written into the file that returns the last step unless `return_sequences`, the final
    states with `return_state`, and keeps the LSTM's second bias `bias_hh` at zero and frozen
    because Keras has one bias; Keras GRU `reset_after=True` is exactly `nn.GRU`,
    `reset_after=False`, recurrent dropout and non-default activations are reported)
    (table `rules/tf2_to_torch/tables/layers.py`). The layer must be assigned
    (`self.fc = ...`, `fc = ...`) or sit in a `Sequential` list; containers give it its
    input size where they know it (PT1002 follows `call()`, PT1003 the list), otherwise the
    `nn.Lazy*` module is used and the finding says so. When the containing model only ever
    calls the layer, a fused activation moves to the call site (`torch.relu(self.fc(x))`).

    Why: the Keras layer classes do not exist in PyTorch. Keras and PyTorch defaults differ
    where it matters, so every numeric default is pinned: BatchNormalization gets
    `momentum=1 - 0.99` (torch's momentum weighs the new batch) and `eps=1e-3`,
    LayerNormalization `eps=1e-3`, LeakyReLU slope 0.3, GELU `approximate='none'`, average
    pooling `count_include_pad=False`; `padding='same'` with a stride above 1 pads the odd
    pixel at the end as TensorFlow does (`SamePad`, computed from the input size at run
    time), never `padding=1`. Images stay NHWC (see the pack's layout note in
    `rules/tf2_to_torch/_common.py`): channels-first modules run inside `ChannelsLast`.

    Fix safety: safe: with the same weights the module computes the same function.
    Initializers are not reproduced (PyTorch default initialization; a non-default Keras
    initializer, regularizer or constraint makes the finding a manual item), and PyTorch
    stores the unbiased batch variance in BatchNorm's running variance where Keras 3 stores
    the biased one, so moving statistics drift apart slightly during training. Recurrent
    layers need a statically known feature size (PyTorch has no lazy LSTM). Layers in a
    functional-API expression (`Dense(3)(x)`) outside a function PT1030 converts, or passed
    to `model.add` outside a `Sequential()` + `add` run PT1003 converts, are reported.
    """

    ID = "PT1001"
    NAME = "keras-layer-constructor"
    MESSAGE = "Keras layer becomes the torch.nn module of the layer table"
    SAFETY = Safety.SAFE
    CATEGORY = Category.MANDATORY
    EFFORT = "trivial"

    VALID = [
        Valid("from torch import nn\nfc = nn.Linear(4, 2)\n"),
        Valid("import tensorflow as tf\nattn = tf.keras.layers.MultiHeadAttention(2, 4)\n"),
    ]
    INVALID = [
        Invalid(
            "import tensorflow as tf\nfc = tf.keras.layers.Dense(64, activation='relu')\n",
            "from torch import nn\n\nfc = nn.Sequential(nn.LazyLinear(64), nn.ReLU())\n",
            message="LazyLinear",
        ),
        Invalid(
            "import tensorflow as tf\nfc = tf.keras.layers.Dense(10, input_shape=(20,), use_bias=False)\n",
            "from torch import nn\n\nfc = nn.Linear(20, 10, bias=False)\n",
        ),
        Invalid(
            "from tensorflow.keras import layers\nconv = layers.Conv2D(32, 3, strides=2, padding='same')\n",
            "import torch.nn.functional as F\nfrom torch import nn\n\n\n"
            + HELPERS["ChannelsLast"]
            + "\n\n"
            + HELPERS["SamePad"]
            + "\n\nconv = ChannelsLast(SamePad(3, 2), nn.LazyConv2d(32, 3, stride=2))\n",
            message="SamePad",
        ),
        Invalid(
            "import keras\nbn = keras.layers.BatchNormalization(input_shape=(8, 8, 16))\n",
            "from torch import nn\n\n\n" + HELPERS["ChannelsLast"] + "\n\nbn = ChannelsLast(nn.BatchNorm2d(16, momentum=1 - 0.99, eps=1e-3))\n",
            message="momentum",
        ),
        Invalid(
            "import tensorflow as tf\nlstm = tf.keras.layers.LSTM(8, return_sequences=True, input_shape=(5, 3))\n",
            "import torch\nfrom torch import nn\n\n\n" + HELPERS["KerasRNN"] + "\n\nlstm = KerasRNN(nn.LSTM(3, 8, batch_first=True), return_sequences=True)\n",
            message="batch_first",
        ),
        Invalid(
            "import tensorflow as tf\nrnn = tf.keras.layers.GRU(8, reset_after=False, input_shape=(5, 3))\n",
            None,
            message="reset_after=False",
        ),
        Invalid(
            "import tensorflow as tf\nh = tf.keras.layers.Dense(3)(x)\n",
            None,
            message="functional",
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        mark_references(self.st, node)
        if layer_name(self.qname(node.func)) == "Bidirectional":
            # the wrapped RNN is built by the Bidirectional entry, not on its own
            for arg in node.args:
                if isinstance(arg.value, cst.Call) and (arg.keyword is None or arg.keyword.value == "layer"):
                    self.st.frozen.add(id(arg.value))
                    self.st.handled.add(id(arg.value))
                    break

    def visit_Assign(self, node: cst.Assign) -> None:
        self.st.assigned.add(id(node.value))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self.st.assigned.add(id(node.value))

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        name = layer_name(self.qname(original_node.func))
        if name is None or name not in LAYERS:
            return updated_node
        st = self.st
        if id(original_node) in st.frozen:
            return updated_node
        hint = st.hints.get(id(original_node))
        if hint is None:
            dry = build(name, original_node, original_node, None, self.qname)
            target = dry.torch if isinstance(dry, Built) else "the matching torch.nn module"
            if id(original_node) in st.call_funcs:
                self.flag(
                    original_node,
                    f"Keras functional API (tf.keras.layers.{name}(...)(x)): create {target} once in an nn.Module's __init__ and call it in forward()",
                    effort="complex",
                )
                return updated_node
            if id(original_node) not in st.assigned:
                self.flag(
                    original_node,
                    f"tf.keras.layers.{name} outside an assignment or a Sequential list (model.add, a wrapper layer): build the torch model with {target} by hand",
                    effort="complex",
                )
                return updated_node
            hint = LayerHint(context="assign")
        built = build(name, original_node, updated_node, hint.in_shape, self.qname)
        if isinstance(built, str):
            hint_text = manual_hint(f"keras.layers.{name}")
            self.flag(original_node, built + (f" ({hint_text})" if hint_text else ""), effort="complex")
            return updated_node
        include_act = not hint.activation_at_call
        if include_act and built.activation is not None and built.activation.module is None:
            self.flag(
                original_node,
                f"tf.keras.layers.{name} with activation={built.activation.name}: a function, not a module; call it on the layer's output in forward()",
            )
            return updated_node
        st.built[id(original_node)] = built
        for h in built.helpers:
            need_helper(self, h)
        parts = with_activation(built) if include_act else built.parts
        if uses_channels_last(parts):
            need_helper(self, "ChannelsLast")
        new = self.torch(render_standalone(built, include_act, "ChannelsLast"))
        message = describe(built)
        if built.activation is not None and not include_act:
            message += f"; activation {built.activation.name} applied where the layer is called"
        if built.manual:
            message += "; needs a person: " + "; ".join(built.manual)
        return self.convert(original_node, updated_node, new, message=message, manual=bool(built.manual))
