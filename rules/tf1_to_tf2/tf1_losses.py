"""TF2140: tf.losses.* (TF1) -> the TF2 expression that computes the same value."""

from __future__ import annotations

import re

import libcst as cst

from migrate.result import Category, Safety
from migrate.rule import Invalid, Rule, Valid
from rules.tf1_to_tf2._common import (
    code,
    expr,
    fix_commas,
    keyword_args,
    kwarg,
    rest_of,
    tf_root,
)

# TF1 function -> its positional parameters (tensorflow/python/ops/losses/losses_impl.py)
_PARAMS: dict[str, list[str]] = {
    "mean_squared_error": ["labels", "predictions", "weights", "scope", "loss_collection", "reduction"],
    "absolute_difference": ["labels", "predictions", "weights", "scope", "loss_collection", "reduction"],
    "sparse_softmax_cross_entropy": ["labels", "logits", "weights", "scope", "loss_collection", "reduction"],
    "softmax_cross_entropy": ["onehot_labels", "logits", "weights", "label_smoothing", "scope", "loss_collection", "reduction"],
    "sigmoid_cross_entropy": ["multi_class_labels", "logits", "weights", "label_smoothing", "scope", "loss_collection", "reduction"],
    "huber_loss": ["labels", "predictions", "weights", "delta", "scope", "loss_collection", "reduction"],
}
# Arguments whose default value is all the rewrite handles: (name, the literal values allowed)
_DEFAULT_ONLY = {"weights": {"1.0", "1", "1."}, "label_smoothing": {"0", "0.0", "0."}}
# tf.contrib.seq2seq.sequence_loss (tensorflow/contrib/seq2seq/python/ops/loss.py): its
# parameters, and the literal values of the options that the rewrite handles (the default
# reduction: average over batch and time)
SEQUENCE_LOSS = "contrib.seq2seq.sequence_loss"
_SEQUENCE_PARAMS = ["logits", "targets", "weights", "average_across_timesteps", "average_across_batch",
                    "sum_over_timesteps", "sum_over_batch", "softmax_loss_function", "name"]
_SEQUENCE_DEFAULTS = {"average_across_timesteps": {"True"}, "average_across_batch": {"True"},
                      "sum_over_timesteps": {"False"}, "sum_over_batch": {"False"}, "softmax_loss_function": {"None"}}
# calls without side effects: the weights expression is evaluated twice by the rewrite
_PURE_CALLS = {"ones", "ones_like", "zeros_like", "cast", "to_float", "sequence_mask", "reshape", "fill",
               "convert_to_tensor", "constant"}


def sequence_loss_args(call: cst.Call, rest) -> dict[str, cst.Arg] | None:  # type: ignore[no-untyped-def]
    """The arguments of a `tf.contrib.seq2seq.sequence_loss` call that TF2140 rewrites
    (logits, targets, weights given, the default reduction, no softmax_loss_function,
    weights an expression without side effects), else None. `rest` maps a function
    expression to its TF name after `tf.` (or None); without it the weights are not checked."""
    args = keyword_args(call, _SEQUENCE_PARAMS)
    if args is None or not {"logits", "targets", "weights"} <= set(args) or not set(args) <= set(_SEQUENCE_PARAMS):
        return None
    for name, allowed in _SEQUENCE_DEFAULTS.items():
        if name in args and code(args[name].value).strip() not in allowed:
            return None
    for n in _nodes(args["weights"].value) if rest is not None else ():
        if isinstance(n, cst.Call) and (rest(n.func) or "").rsplit(".", 1)[-1] not in _PURE_CALLS:
            return None
        if isinstance(n, (cst.Lambda, cst.NamedExpr, cst.Await, cst.Yield)):
            return None
    return args


def _nodes(node: cst.CSTNode):  # type: ignore[no-untyped-def]
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(n.children)


# Names whose use means the program reads the LOSSES collection TF1 losses add to.
_COLLECTION_READERS = re.compile(r"\b(?:get_total_loss|get_losses|LOSSES)\b")


class TF1Losses(Rule):
    """Rewrites TF1 `tf.losses.*` calls with default weights and reduction to TF2 ops.

    What it does: the TF1 losses compute an elementwise loss, multiply it by `weights`
    (1.0) and divide the sum by the number of elements (SUM_BY_NONZERO_WEIGHTS):

    - `tf.losses.mean_squared_error(labels, predictions)` ->
      `tf.reduce_mean(tf.math.squared_difference(predictions, labels))`
    - `tf.losses.absolute_difference(labels, predictions)` ->
      `tf.reduce_mean(tf.abs(tf.subtract(predictions, labels)))`
    - `tf.losses.sparse_softmax_cross_entropy(labels, logits)` ->
      `tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))`
    - `tf.losses.softmax_cross_entropy(onehot_labels, logits)` ->
      `tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=tf.stop_gradient(onehot_labels), logits=logits))`
      (TF1 stopped the gradient into the labels)
    - `tf.losses.sigmoid_cross_entropy(multi_class_labels, logits)` ->
      `tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=multi_class_labels, logits=logits))`
    - `tf.losses.huber_loss(labels, predictions, delta=d)` ->
      `tf.keras.losses.Huber(delta=d)(labels, predictions)`

    - `tf.contrib.seq2seq.sequence_loss(logits, targets, weights)` ->
      `tf.math.divide_no_nan(tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(
      labels=targets, logits=logits) * weights), tf.reduce_sum(weights))`: TF1's code
      (tensorflow/contrib/seq2seq/python/ops/loss.py) computes the sparse softmax
      cross-entropy of the flattened logits and targets, multiplies it by the flattened
      weights and, with its defaults average_across_timesteps=True and
      average_across_batch=True, divides the sum by the sum of the weights (TF 1.13+:
      div_no_nan; earlier releases added 1e-12 to the divisor, the same float32 value unless
      the weights sum to less than about 1e-5). The op of the rank-3 logits is the op of the
      flattened ones, reshaped. Other reductions and a softmax_loss_function are left to
      TF2001's manual item, as are weights computed by calls other than tf.ones/ones_like/
      cast/sequence_mask/reshape/... (the rewrite reads them twice). sequence_loss adds
      nothing to the LOSSES collection.

    `scope=` only named the ops and is dropped. Calls with `weights`, `reduction`,
    `loss_collection` or `label_smoothing` other than the defaults are left to TF2001's
    manual item, and so is every call in a file that reads the LOSSES collection
    (`tf.losses.get_total_loss`, `get_losses`, `GraphKeys.LOSSES`): TF1 losses add
    themselves to it, the TF2 expressions do not.

    Why: `tf.losses` is TF1-only (`tf.compat.v1.losses`); the Keras loss classes are
    the usual TF2 spelling but reduce per example first, so the plain ops above are the
    exact counterpart.

    Fix safety: unsafe. Same values up to float rounding (tested against TF1 graph mode,
    values and gradients), with three differences a person should know: TF1 returned 0
    for an empty batch (TF2's mean gives NaN); TF1 cast float64 inputs to float32 and
    integer labels of the sigmoid/softmax losses to the logits' dtype (TF2's ops reject
    mismatched dtypes loudly); sparse labels of shape [batch, 1] were squeezed by TF1
    (TF2's op requires [batch]).
    """

    ID = "TF2140"
    SCOPE = "names"  # calls of tf.losses.* only (see migrate.engine.transform)
    NAME = "tf1-losses"
    MESSAGE = "tf.losses function becomes the TF2 ops that compute the same value"
    SAFETY = Safety.UNSAFE
    CATEGORY = Category.MANDATORY
    EFFORT = "trivial"

    VALID = [
        Valid("import tensorflow as tf\nloss = tf.keras.losses.MeanSquaredError()(y, p)\n"),
        # weighted: left to TF2001's manual item
        Valid("import tensorflow as tf\nloss = tf.contrib.seq2seq.sequence_loss(z, y, w, average_across_batch=False)\n"),
        Valid("import tensorflow as tf\nloss = tf.contrib.seq2seq.sequence_loss(z, y, tf.random.uniform([4, 5]))\n"),
        Valid("import tensorflow.compat.v1 as tf\nloss = tf.losses.mean_squared_error(y, p, weights=mask)\n"),
    ]
    INVALID = [
        Invalid(
            "import tensorflow.compat.v1 as tf\nloss = tf.losses.mean_squared_error(labels=y, predictions=y_hat)\n",
            "import tensorflow.compat.v1 as tf\nloss = tf.reduce_mean(tf.math.squared_difference(y_hat, y))\n",
        ),
        Invalid(
            "import tensorflow as tf\nloss = tf.losses.sparse_softmax_cross_entropy(labels, logits, scope='xent')\n",
            "import tensorflow as tf\nloss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))\n",
        ),
        Invalid(
            "import tensorflow as tf\nloss = tf.losses.softmax_cross_entropy(onehot_labels=y, logits=z)\n",
            "import tensorflow as tf\nloss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=tf.stop_gradient(y), logits=z))\n",
        ),
        Invalid(
            "import tensorflow as tf\nloss = tf.losses.huber_loss(q_target, q, delta=2.0)\n",
            "import tensorflow as tf\nloss = tf.keras.losses.Huber(delta=2.0)(q_target, q)\n",
        ),
        Invalid(
            "import tensorflow as tf\nloss = tf.contrib.seq2seq.sequence_loss(logits, y, tf.ones([4, 5]))\n",
            "import tensorflow as tf\nloss = tf.math.divide_no_nan(tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits("
            "labels=y, logits=logits) * tf.ones([4, 5])), tf.reduce_sum(tf.ones([4, 5])))\n",
        ),
        Invalid(
            "import tensorflow as tf\na = tf.losses.mean_squared_error(y, p)\ntotal = tf.losses.get_total_loss()\n",
            None,
            message="LOSSES collection",
        ),
    ]

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        rest = rest_of(self.qname(original_node.func))
        if rest == SEQUENCE_LOSS:
            return self._sequence_loss(original_node, updated_node)
        if rest is None or not rest.startswith("losses."):
            return updated_node
        fn = rest[len("losses.") :]
        params = _PARAMS.get(fn)
        if params is None:
            return updated_node
        args = keyword_args(updated_node, params)
        if args is None or params[0] not in args or params[1] not in args:
            return updated_node
        for name, arg in args.items():
            if name in ("loss_collection", "reduction") or (
                name in _DEFAULT_ONLY and code(arg.value).strip() not in _DEFAULT_ONLY[name]
            ):
                return updated_node  # TF2001 reports it as a manual item
        if _COLLECTION_READERS.search(self.ctx.source_text):
            self.supersede(original_node.func)
            self.flag(
                original_node,
                f"`tf.losses.{fn}` is not rewritten: this file reads the LOSSES collection TF1 losses add "
                "themselves to (get_total_loss/get_losses); keep the loss terms in Python and sum them "
                "explicitly, then rewrite each call as TF2140 describes",
                effort="complex",
            )
            return updated_node
        new = self._rewrite(fn, args, tf_root(self.ctx), updated_node)
        self.supersede(original_node.func)
        return self.fix(original_node, updated_node, new, message=f"`tf.losses.{fn}` becomes {self._shape(fn)}")

    def _sequence_loss(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if sequence_loss_args(original, lambda f: rest_of(self.qname(f))) is None:
            return updated  # TF2001 reports it as a manual item
        args = sequence_loss_args(updated, None)  # the same arguments, as other rules left them
        assert args is not None
        tf = tf_root(self.ctx)
        weights = code(args["weights"].value)
        xent = (f"{tf}.nn.sparse_softmax_cross_entropy_with_logits(labels={code(args['targets'].value)}, "
                f"logits={code(args['logits'].value)})")
        new = expr(f"{tf}.math.divide_no_nan({tf}.reduce_sum({xent} * {weights}), {tf}.reduce_sum({weights}))")
        self.supersede(original.func)
        return self.fix(original, updated, new, message=(
            "`tf.contrib.seq2seq.sequence_loss` becomes its formula: the weighted cross-entropy summed over batch and "
            "time divided by the sum of the weights (its default average_across_timesteps and average_across_batch)"))

    @staticmethod
    def _shape(fn: str) -> str:
        if fn == "huber_loss":
            return "tf.keras.losses.Huber (mean over all elements, as TF1)"
        return "the mean of the elementwise TF2 op (TF1's default SUM_BY_NONZERO_WEIGHTS with weights 1.0)"

    @staticmethod
    def _rewrite(fn: str, args: dict[str, cst.Arg], tf: str, original: cst.Call) -> cst.BaseExpression:
        def value(name: str) -> cst.BaseExpression:
            return args[name].value

        def call(func: str, *pos: cst.BaseExpression, **kw: cst.BaseExpression) -> cst.Call:
            out = [cst.Arg(v) for v in pos] + [kwarg(k, v) for k, v in kw.items()]
            return cst.Call(func=expr(func), args=fix_commas(out))

        def laid_out(node: cst.Call) -> cst.Call:
            """The call that receives the TF1 arguments keeps the TF1 call's line breaks."""
            new_args = list(node.args)
            for i, old in enumerate(original.args[: len(new_args) - 1]):
                if isinstance(old.comma, cst.Comma) and isinstance(new_args[i].comma, cst.Comma):
                    new_args[i] = new_args[i].with_changes(comma=old.comma)
            return node.with_changes(args=new_args, whitespace_before_args=original.whitespace_before_args)

        if fn == "huber_loss":
            ctor = call(f"{tf}.keras.losses.Huber", delta=value("delta")) if "delta" in args else call(f"{tf}.keras.losses.Huber")
            return laid_out(cst.Call(func=ctor, args=fix_commas([cst.Arg(value("labels")), cst.Arg(value("predictions"))])))
        if fn == "mean_squared_error":
            inner = laid_out(call(f"{tf}.math.squared_difference", value("predictions"), value("labels")))
        elif fn == "absolute_difference":
            inner = call(f"{tf}.abs", laid_out(call(f"{tf}.subtract", value("predictions"), value("labels"))))
        elif fn == "sparse_softmax_cross_entropy":
            inner = laid_out(call(f"{tf}.nn.sparse_softmax_cross_entropy_with_logits", labels=value("labels"), logits=value("logits")))
        elif fn == "softmax_cross_entropy":
            inner = laid_out(call(
                f"{tf}.nn.softmax_cross_entropy_with_logits",
                labels=call(f"{tf}.stop_gradient", value("onehot_labels")),
                logits=value("logits"),
            ))
        else:  # sigmoid_cross_entropy
            inner = laid_out(call(f"{tf}.nn.sigmoid_cross_entropy_with_logits", labels=value("multi_class_labels"), logits=value("logits")))
        return call(f"{tf}.reduce_mean", inner)
