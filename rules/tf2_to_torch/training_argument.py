"""PT1011: model(x, training=...) -> model.train()/eval() before the call."""

from __future__ import annotations

from typing import Any

import libcst as cst

from migrate.engine.names import dotted_name
from migrate.result import Category, Safety
from migrate.rule import Invalid, Valid
from rules.tf2_to_torch._analysis import keras_base_kind
from rules.tf2_to_torch._common import TorchRule, code_of, expr, fix_commas, literal


class _Drop(cst.CSTTransformer):
    def __init__(self, func: str) -> None:
        super().__init__()
        self.func = func
        self.done = False

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        if self.done or code_of(updated_node.func) != self.func:
            return updated_node
        args = [a for a in updated_node.args if not (a.keyword is not None and a.keyword.value == "training")]
        if len(args) == len(updated_node.args):
            return updated_node
        self.done = True
        return updated_node.with_changes(args=fix_commas(args))


class TrainingArgument(TorchRule):
    """Moves Keras' `training=` call argument to the PyTorch module mode.

    What it does: outside model classes, `logits = model(x, training=True)` becomes
    `model.train()` followed by `logits = model(x)`; `training=False` becomes
    `model.eval()`, any other value `model.train(value)`. Inside a model class (Keras, or
    an `nn.Module`) PT1002 handles the argument (`self.training`).

    Why: a PyTorch module has no `training` argument; dropout and batch normalization follow
    the mode set by `train()`/`eval()`, which persists until changed.

    Fix safety: safe: the call runs in the mode Keras would have used. The mode stays set
    afterwards (Keras' argument affected one call only): later calls without `training=`
    in the Keras code relied on inference mode and need `model.eval()`, which the finding
    of PT1002 mentions. A statement with several such calls is reported.
    """

    ID = "PT1011"
    NAME = "keras-training-argument"
    MESSAGE = "training= argument becomes model.train()/eval() before the call"
    SAFETY = Safety.SAFE
    CATEGORY = Category.MANDATORY
    EFFORT = "trivial"

    VALID = [
        Valid("model.eval()\ny = model(x)\n"),
        Valid("import tensorflow as tf\ny = tf.keras.layers.Dropout(0.5)(x, training=True)\n"),
        # migrated code: a Keras layer PT1002 left in a module keeps its argument
        Valid("import tensorflow as tf\nfrom torch import nn\n\nclass M(nn.Module):\n    def forward(self, x):\n        return self.bn(x, training=self.training)\n"),
    ]
    INVALID = [
        Invalid(
            "import tensorflow as tf\n\ndef step(x):\n    # forward\n    logits = model(x, training=True)\n    return logits\n",
            "def step(x):\n    # forward\n    model.train()\n    logits = model(x)\n    return logits\n",
        ),
        Invalid(
            "import tensorflow as tf\npreds = net.predictor(batch, training=False)\n",
            "net.predictor.eval()\npreds = net.predictor(batch)\n",
        ),
        Invalid(
            "import tensorflow as tf\nboth = a(x, training=True) + b(x, training=False)\n",
            None,
            message="several",
        ),
    ]

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._classes: list[bool] = []
        self._lines: list[list[cst.Call]] = []  # calls with training= in the statements being visited

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self._lines.append([])

    def visit_Call(self, node: cst.Call) -> None:
        if self._lines and any(a.keyword is not None and a.keyword.value == "training" for a in node.args):
            self._lines[-1].append(node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        # Keras model classes (PT1002 turns their training= into self.training) and the
        # nn.Module classes it made: a call there keeping `training=` is one PT1002 left
        # on purpose (an unconverted Keras layer held by the module), so a second run
        # over migrated code must leave it too
        torch_module = any(
            b.keyword is None and self.ctx.aliases.resolve(b.value) == "torch.nn.Module" for b in node.bases
        )
        self._classes.append(torch_module or bool(keras_base_kind(list(node.bases), self.qname, self.st.keras_classes)))

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        self._classes.pop()
        return updated_node

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        found = self._lines.pop() if self._lines else []
        if any(self._classes) or not found:
            return updated_node
        calls = [c for c in found if dotted_name(c.func) and self.qname(c.func) is None]
        if not calls:
            return updated_node
        if len(calls) > 1:
            self.flag(original_node, "several calls with training= in one statement: split it and call model.train()/eval() before each")
            return updated_node
        call = calls[0]
        value = next(a.value for a in call.args if a.keyword is not None and a.keyword.value == "training")
        lit = literal(value)
        mode = "train()" if lit is True else "eval()" if lit is False else f"train({code_of(value)})"
        func = code_of(call.func)
        drop = _Drop(func)
        stripped = updated_node.visit(drop)
        if not drop.done or not isinstance(stripped, cst.SimpleStatementLine):
            return updated_node
        line = cst.SimpleStatementLine(body=[cst.Expr(expr(f"{func}.{mode}"))], leading_lines=updated_node.leading_lines)
        new = cst.FlattenSentinel([line, stripped.with_changes(leading_lines=[])])
        return self.convert(  # type: ignore[no-any-return]
            original_node,
            updated_node,
            new,
            message=f"training={code_of(value)} becomes {func}.{mode} before the call (a PyTorch module keeps its mode until changed)",
        )
