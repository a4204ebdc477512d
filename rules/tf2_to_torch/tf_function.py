"""PT1009: @tf.function removed."""

from __future__ import annotations

import libcst as cst

from migrate.result import Category, Safety
from migrate.rule import Invalid, Valid
from rules.tf2_to_torch._common import TorchRule

_FUNCTION = "tensorflow.function"


class TfFunction(TorchRule):
    """Removes `@tf.function` decorators and `tf.function(f)` wrappers.

    What it does: `@tf.function` (with or without arguments such as `input_signature`,
    `jit_compile`, `reduce_retracing`) is deleted from the function it decorates, and
    `step = tf.function(train_step)` becomes `step = train_step`.

    Why: PyTorch runs eagerly; there is no graph function to build. `torch.compile(fn)` is
    the optional equivalent for speed, with its own tracing rules: it is left for a person
    to add after the migration works.

    Fix safety: safe: a `tf.function` computes what the Python function computes eagerly.
    Code that depends on tracing (Python side effects that run once, `tf.print`) may
    behave differently and is worth a look.
    """

    ID = "PT1009"
    NAME = "tf-function-decorator"
    MESSAGE = "tf.function removed: PyTorch runs eagerly (torch.compile is optional)"
    SAFETY = Safety.SAFE
    CATEGORY = Category.MANDATORY
    EFFORT = "trivial"

    VALID = [Valid("import functools\n\n@functools.lru_cache\ndef f(x):\n    return x\n")]
    INVALID = [
        Invalid(
            "import tensorflow as tf\n\n@tf.function\ndef step(x):\n    return x\n",
            "def step(x):\n    return x\n",
        ),
        Invalid(
            "import tensorflow as tf\n\n@tf.function(jit_compile=True)\ndef step(x):\n    return x\n\nfast = tf.function(step)\n",
            "def step(x):\n    return x\n\nfast = step\n",
        ),
    ]

    def _is_function(self, node: cst.BaseExpression) -> bool:
        if isinstance(node, cst.Call):
            node = node.func
        return self.qname(node) == _FUNCTION

    def visit_Decorator(self, node: cst.Decorator) -> None:
        if self._is_function(node.decorator):
            d = node.decorator
            self.st.handled.add(id(d.func if isinstance(d, cst.Call) else d))

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        if not any(self._is_function(d.decorator) for d in original_node.decorators):
            return updated_node
        keep = [u for o, u in zip(original_node.decorators, updated_node.decorators) if not self._is_function(o.decorator)]
        new = updated_node.with_changes(decorators=keep)
        if not keep and updated_node.decorators:
            new = new.with_changes(lines_after_decorators=[], leading_lines=[*updated_node.leading_lines, *updated_node.decorators[0].leading_lines])
        out = self.convert(original_node, updated_node, new)
        if out is new:
            for o in original_node.decorators:
                if self._is_function(o.decorator):
                    self.supersede_tree(o)  # e.g. the tf.TensorSpec of an input_signature goes with it
        return out  # type: ignore[no-any-return]

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if self.qname(original_node.func) != _FUNCTION or id(original_node.func) in self.st.handled:
            return updated_node
        if not updated_node.args or updated_node.args[0].keyword is not None:
            self.flag(original_node, "tf.function(...) without a function: remove it")
            return updated_node
        return self.convert(original_node, updated_node, updated_node.args[0].value)  # type: ignore[no-any-return]
