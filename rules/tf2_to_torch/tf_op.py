"""PT1004: TensorFlow op calls -> torch calls (op table)."""

from __future__ import annotations

import re

import libcst as cst

from migrate.result import Category, Safety
from migrate.rule import Invalid, Valid
from rules.tf2_to_torch._common import (
    TorchRule,
    code_of,
    localize,
    mark_references,
    schedule_torch_imports,
    tf_rest,
)
from rules.tf2_to_torch._ops import Manual, fill, plan
from rules.tf2_to_torch.tables import OPS

# ops whose argument may be a shape: tf.shape(x) there can become x.shape
_SHAPE_TAKERS = {"reshape", "zeros", "ones", "fill", "random.normal", "random.uniform", "broadcast_to", "tile"}


class TfOp(TorchRule):
    """Rewrites TensorFlow op calls with the op table (`rules/tf2_to_torch/tables/ops.py`).

    What it does: `tf.reduce_sum(x, axis=1, keepdims=True)` becomes
    `torch.sum(x, dim=1, keepdim=True)`, `tf.concat([a, b], axis=-1)` becomes
    `torch.cat([a, b], dim=-1)`, `tf.cast(x, tf.int32)` becomes `torch.as_tensor(x, dtype=torch.int32)`,
    `tf.gather(p, i, axis=1)` becomes `p[:, i]`, `tf.shape(x)[0]` becomes `x.shape[0]`, and
    so on for the head of the TF2 usage list (reductions, joins and splits, reshapes,
    matmul/einsum, casts, activations, `tf.math.*`, creation ops, `tf.one_hot`,
    `tf.clip_by_value`, `tf.where`, random ops). `axis` becomes `dim`, `keepdims` becomes
    `keepdim`, `name=` is dropped. Since the pack keeps the Keras (NHWC) layout of every
    tensor the code sees, axis values keep their meaning.

    Why: the TensorFlow API does not exist in PyTorch, and the two differ in defaults that
    change results silently: `tf.argmax` reduces axis 0 (torch flattens), `tf.nn.softmax`
    the last axis (torch needs `dim`), `tf.math.reduce_variance` is the population variance
    (torch defaults to Bessel's correction), `tf.one_hot` returns float32 (torch int64),
    `tf.nn.gelu` is exact, `tf.nn.l2_normalize` puts epsilon under the square root. The
    table pins each of these explicitly.

    Fix safety: safe: the torch call computes the same values, with the caveats the table
    notes in the finding (integer tensors are int64 in torch where TF infers int32, except
    for literal `tf.constant` values, which are pinned to int32). Calls with arguments the
    table cannot express (`noise_shape`, `batch_dims`, computed split sizes, ...) are
    reported with the torch form to write.
    """

    ID = "PT1004"
    NAME = "tf-op-call"
    MESSAGE = "TensorFlow op becomes the torch call of the op table"
    SAFETY = Safety.SAFE
    CATEGORY = Category.MANDATORY
    EFFORT = "trivial"

    VALID = [Valid("import torch\ny = torch.sum(x, dim=1)\n"), Valid("import numpy as np\ny = np.sum(x, axis=1)\n")]
    INVALID = [
        Invalid(
            "import tensorflow as tf\ny = tf.reduce_sum(x, axis=1, keepdims=True)\n",
            "import torch\n\ny = torch.sum(x, dim=1, keepdim=True)\n",
        ),
        Invalid(
            "import tensorflow as tf\ni = tf.argmax(logits)\np = tf.nn.softmax(logits)\n",
            "import torch\n\ni = torch.argmax(logits, dim=0)\np = torch.softmax(logits, dim=-1)\n",
        ),
        Invalid(
            "import tensorflow as tf\nn = tf.shape(x)[0]\nz = tf.gather(p, idx, axis=1)\n",
            "n = x.shape[0]\nz = p[:, idx]\n",
        ),
        Invalid(
            "import tensorflow as tf\nv = tf.math.reduce_variance(a + b, axis=[1, 2])\n",
            "import torch\n\nv = torch.var(a + b, dim=[1, 2], correction=0)\n",
        ),
        Invalid(
            "import tensorflow as tf\nDELTA = 0.1\nq = tf.minimum(err, DELTA)\nr = tf.maximum(a, b)\n",
            "import torch\n\nDELTA = 0.1\nq = torch.clamp(err, max=DELTA)\nr = torch.maximum(a, b)\n",
        ),
        Invalid(
            "import tensorflow as tf\nh = tf.nn.dropout(x, rate=0.5, noise_shape=[1, 4])\n",
            None,
            message="noise_shape",
        ),
    ]

    def __init__(self, ctx: object) -> None:
        super().__init__(ctx)  # type: ignore[arg-type]
        self._shape_ok: set[int] = set()

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if isinstance(node.value, cst.Call):
            self._shape_ok.add(id(node.value))

    def visit_Call(self, node: cst.Call) -> None:
        mark_references(self.st, node)
        if tf_rest(self.qname(node.func)) in _SHAPE_TAKERS:
            for a in node.args:
                if isinstance(a.value, cst.Call):
                    self._shape_ok.add(id(a.value))

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        rest = tf_rest(self.qname(original_node.func))
        if rest is None:
            return updated_node
        spec = OPS.get(rest)
        if spec is None:
            return updated_node
        label = f"tf.{rest}"
        try:
            p = plan(
                spec,
                label,
                original_node,
                updated_node,
                self.qname,
                context="shape-ok" if id(original_node) in self._shape_ok else "",
                localize_code=lambda code: localize(self.ctx, code),
            )
            new = fill(localize(self.ctx, p.template), p.values)
        except Manual as e:
            text = str(e)
            self.flag(original_node, text if text.startswith(label) else f"{label}: {text}")
            return updated_node
        for code in (p.template, *p.symbols):
            schedule_torch_imports(self, code)
        target = re.match(r"[A-Za-z_][\w.]*", p.template)
        shown = target.group(0) if target else code_of(new)[:60]
        message = f"{label} becomes {shown}" + "".join(f"; {n}" for n in p.notes)
        return self.convert(original_node, updated_node, new, message=message, safety=Safety.UNSAFE if p.unsafe else None)  # type: ignore[no-any-return]
