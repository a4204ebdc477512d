"""PT1012: TensorFlow/Keras APIs without an automatic rewrite -> manual item."""

from __future__ import annotations

import libcst as cst

from migrate.engine.names import dotted_name
from migrate.result import Category, Safety
from migrate.rule import Invalid, Valid
from rules.tf2_to_torch._analysis import module_scan
from rules.tf2_to_torch._common import TorchRule, layer_name, mark_references, tf_rest
from rules.tf2_to_torch._loops import SCHEDULES
from rules.tf2_to_torch.tables import (
    LAYERS,
    LOSSES,
    OPS,
    OPTIMIZERS,
    SYMBOLS,
    manual_hint,
)

# names a structural rule converts or reports itself
_STRUCTURAL = {"function", "GradientTape", "keras.Sequential", "keras.models.Sequential", "data.Dataset.from_tensor_slices"}
_STRUCTURAL |= set(SCHEDULES)  # PT1022 converts or reports them
_KNOWN = set(OPS) | set(SYMBOLS) | set(OPTIMIZERS) | set(LOSSES) | _STRUCTURAL | {f"keras.layers.{n}" for n in LAYERS}
_NAMESPACES = {k.rsplit(".", i)[0] for k in _KNOWN for i in range(1, k.count(".") + 1)}

_MODEL_METHODS = {
    "compile": "keep the loss and optimizer objects (PT1007/PT1008) and write an explicit training loop",
    "fit": "write the loop: for epoch in range(epochs): for x, y in DataLoader(TensorDataset(...), batch_size=..., shuffle=True): optimizer.zero_grad(); loss = loss_fn(model(x), y); loss.backward(); optimizer.step()",
    "fit_generator": "write the training loop over the generator",
    "train_on_batch": "optimizer.zero_grad(); loss = loss_fn(model(x), y); loss.backward(); optimizer.step()",
    "evaluate": "model.eval(); with torch.no_grad(): loop over the data accumulating the loss and metrics",
    "predict": "model.eval(); with torch.no_grad(): y = model(torch.as_tensor(x))",
    "predict_on_batch": "model.eval(); with torch.no_grad(): y = model(x)",
    "summary": "print(model) (or torchinfo.summary(model, input_size))",
    "save": "torch.save(model.state_dict(), path)",
    "save_weights": "torch.save(model.state_dict(), path)",
    "load_weights": "model.load_state_dict(torch.load(path, weights_only=True))",
    "build": "nothing: run one batch through the model to materialize lazy modules",
    "get_weights": "[p.detach().numpy() for p in model.state_dict().values()]",
    "set_weights": "model.load_state_dict(...)",
}


_MODEL_ATTRIBUTES = {
    "layers": "list(model.children())",
    "weights": "list(model.state_dict().values())",
    "variables": "list(model.state_dict().values())",
    "non_trainable_variables": "list(model.buffers())",
}


def _known(rest: str) -> bool:
    if rest in _KNOWN:
        return True
    name = layer_name("tensorflow." + rest)
    return name is not None and name in LAYERS


class UnmappedApi(TorchRule):
    """Reports the TensorFlow/Keras APIs the pack does not rewrite, naming the replacement.

    What it does: every remaining reference to a `tensorflow`/`keras` name that no table
    of the pack maps (`tf.data.Dataset.from_tensor_slices`, `tf.keras.layers.LSTM`,
    `tf.Variable`, `tf.keras.callbacks.*`, ...) becomes a manual finding whose message
    names the PyTorch replacement (`rules/tf2_to_torch/tables/manual.py`); the methods and
    attributes of a Keras model that PyTorch has no counterpart for (`model.compile/fit/
    evaluate/predict/summary/save_weights`, `model.layers`) are reported with the loop or
    call to write.

    Why: a migration report must list everything that still needs a person; a name left
    over from TensorFlow keeps the file from running under PyTorch.

    Fix safety: reports only.
    """

    ID = "PT1012"
    NAME = "tf-api-without-rewrite"
    MESSAGE = "TensorFlow API with no automatic PyTorch rewrite"
    SAFETY = Safety.MANUAL
    CATEGORY = Category.MANDATORY
    EFFORT = "complex"

    VALID = [Valid("import torch\nx = torch.zeros(3)\n"), Valid("import tensorflow as tf\nx = tf.reduce_sum(y)\n")]
    INVALID = [
        Invalid("import tensorflow as tf\nds = tf.data.Dataset.from_generator(gen, output_signature=sig)\n", None, message="IterableDataset"),
        Invalid("import tensorflow as tf\nv = tf.Variable(0.0)\n", None, message="nn.Parameter"),
        Invalid("import tensorflow as tf\nmodel = tf.keras.Sequential([tf.keras.layers.Dense(1)])\nmodel.fit(x, y, epochs=3)\n", None, message="DataLoader"),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        mark_references(self.st, node)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        mark_references(self.st, node)

    def visit_Import(self, node: cst.Import) -> None:
        self.st.import_depth += 1

    def leave_Import(self, original_node: cst.Import, updated_node: cst.Import) -> cst.Import:
        self.st.import_depth -= 1
        return updated_node

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self.st.import_depth += 1

    def leave_ImportFrom(self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom) -> cst.ImportFrom:
        self.st.import_depth -= 1
        return updated_node

    def _report(self, node: cst.CSTNode, rest: str, what: str) -> None:
        hint = manual_hint(rest)
        if hint:
            self.flag(node, f"tf.{rest}{what} has no automatic PyTorch rewrite: use {hint}")
        else:
            self.flag(node, f"tf.{rest}{what} has no PyTorch mapping in the pack's tables: port it by hand")

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        func = original_node.func
        rest = tf_rest(self.qname(func))
        if rest is not None:
            if not _known(rest) and id(original_node) not in self.st.handled and id(func) not in self.st.handled:
                self._report(original_node, rest, "(...)")
            return updated_node
        src = self.ctx.source_text
        if isinstance(func, cst.Attribute) and func.attr.value in _MODEL_METHODS and ("Sequential" in src or "Model" in src) and id(original_node) not in self.st.handled:
            receiver = dotted_name(func.value)
            if receiver and receiver in module_scan(self).models:
                self.flag(original_node, f"Keras {receiver}.{func.attr.value}(...) has no PyTorch counterpart: {_MODEL_METHODS[func.attr.value]}")
        return updated_node

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.Attribute:
        st = self.st
        attr = original_node.attr.value
        if attr in _MODEL_ATTRIBUTES and id(original_node) not in st.call_funcs and ("Sequential" in self.ctx.source_text or "Model" in self.ctx.source_text):
            receiver = dotted_name(original_node.value)
            if receiver and receiver in module_scan(self).models:
                self.flag(original_node, f"Keras {receiver}.{attr} has no PyTorch counterpart: use {_MODEL_ATTRIBUTES[attr].replace('model', receiver)}")
                return updated_node
        if id(original_node) in st.call_funcs or id(original_node) in st.inner or st.import_depth or id(original_node) in st.handled:
            return updated_node
        rest = tf_rest(self.qname(original_node))
        if rest is None or _known(rest):
            return updated_node
        if rest in _NAMESPACES:
            self.flag(original_node, f"tf.{rest} is referenced as a module: drop the alias once its uses are migrated", category=Category.POTENTIAL, effort="trivial")
            return updated_node
        self._report(original_node, rest, "")
        return updated_node
