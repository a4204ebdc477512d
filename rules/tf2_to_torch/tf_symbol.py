"""PT1005: TensorFlow dtypes and value references -> torch."""

from __future__ import annotations

import libcst as cst

from migrate.result import Category, Safety
from migrate.rule import Invalid, Valid
from rules.tf2_to_torch._common import TorchRule, mark_references, tf_rest
from rules.tf2_to_torch.tables import SYMBOLS


class TfSymbol(TorchRule):
    """Rewrites references to TensorFlow values that are not calls: dtypes and friends.

    What it does: `tf.float32` becomes `torch.float32` (every dtype), `tf.newaxis` becomes
    `None`, `tf.Tensor` becomes `torch.Tensor`, and a TensorFlow function passed as a value
    whose torch function takes the same single argument (`map(tf.nn.relu, xs)`) becomes that
    function (table `SYMBOLS` in `rules/tf2_to_torch/tables/ops.py`).

    Why: these names do not exist in PyTorch; the dtype objects map one to one.

    Fix safety: safe. Names used as call targets, and values passed to TensorFlow calls,
    are left to the rule that converts the call (PT1004 converts `tf.cast(x, tf.int32)`
    whole), so a call left for a person keeps its TensorFlow arguments.
    """

    ID = "PT1005"
    NAME = "tf-value-reference"
    MESSAGE = "TensorFlow dtype/value becomes its torch equivalent"
    SAFETY = Safety.SAFE
    CATEGORY = Category.MANDATORY
    EFFORT = "trivial"

    VALID = [
        Valid("import torch\nx = torch.zeros(2, dtype=torch.float32)\n"),
        Valid("import tensorflow as tf\ny = tf.nn.relu(x)\n"),
        Valid("import tensorflow as tf\nh = tf.keras.layers.Dense(4, activation=tf.nn.relu)(x)\n"),
    ]
    INVALID = [
        Invalid("import tensorflow as tf\ndt = tf.float32\ny = x[:, tf.newaxis]\n", "import torch\n\ndt = torch.float32\ny = x[:, None]\n"),
        Invalid("import tensorflow as tf\nys = map(tf.nn.relu, xs)\n", "import torch\n\nys = map(torch.relu, xs)\n"),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        mark_references(self.st, node)
        if tf_rest(self.qname(node.func)) is not None:
            self.st.tf_args.update(id(a.value) for a in node.args)

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

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        st = self.st
        if id(original_node) in st.call_funcs or id(original_node) in st.inner or st.import_depth or id(original_node) in st.tf_args:
            return updated_node
        rest = tf_rest(self.qname(original_node))
        if rest is None or rest not in SYMBOLS:
            return updated_node
        new = self.torch(SYMBOLS[rest])
        return self.convert(original_node, updated_node, new, message=f"tf.{rest} becomes {SYMBOLS[rest]}")  # type: ignore[no-any-return]
