"""TF2120: a bool placeholder that only selects the training mode of model functions.

`is_training = tf.placeholder(tf.bool)` (or `tf.placeholder_with_default(True, [])`, whose
default is the flag of every run that does not feed it) passed as the `training` argument of a model
function that TF2130 turns into a Keras layer, and fed a literal `True` / `False` by every
run that needs it: the Keras layers branch on `training` in Python (batch normalization,
dropout), so the flag cannot be a tensor argument of the generated tf.function. Each run
fixes it, though: the flag becomes that literal in the function generated for the run
(`model_layer(x, training=True)` in the train step, `training=False` in the evaluation),
and the function loses the parameter. Runs that feed different literals get different
functions (the literal is part of the function's key).

Only when the placeholder is used for nothing else: every mention of its name in the file
(outside the model functions) is the placeholder's one binding, a feed-dict key, or the
training argument of a call of a model function (bound through its signature). Any other
use (arithmetic, `tf.cond`, a layer's `training=` written in the graph code itself, a feed
of a variable) leaves the placeholder a parameter and the existing refusal stands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:
    from rules.tf1_to_tf2._graph import Analysis, Param

LITERALS = ("True", "False")


def mode_consts(an: Analysis, params: list[Param], feeds: dict[str, cst.BaseExpression]) -> dict[str, str]:
    """placeholder name -> "True"/"False" for the run's training-mode flags (see module doc)."""
    out: dict[str, str] = {}
    for p in params:
        if p.stmt.kind != "placeholder":
            continue
        fed = feeds.get(p.name)
        if p.default is not None:
            # placeholder_with_default(True/False, []): a run that does not feed it uses the default
            if not (isinstance(p.default, cst.Name) and p.default.value in LITERALS):
                continue
            fed = p.default if fed is None else fed
        elif not _is_bool_placeholder(an, p.stmt.value):
            continue
        if not (isinstance(fed, cst.Name) and fed.value in LITERALS):
            continue
        if not _only_training_uses(an, p.name):
            continue
        out[p.name] = fed.value
    return out


def _is_bool_placeholder(an: Analysis, pcall: cst.BaseExpression | None) -> bool:
    if not (isinstance(pcall, cst.Call) and an.call_rest(pcall) == "placeholder" and pcall.args):
        return False
    dtype = next((a.value for a in pcall.args if a.keyword is not None and a.keyword.value == "dtype"), None)
    if dtype is None and pcall.args[0].keyword is None:
        dtype = pcall.args[0].value
    return dtype is not None and an.rest(dtype) == "bool"


def _only_training_uses(an: Analysis, name: str) -> bool:
    """Every mention of `name` in the file, outside the model functions, is the
    placeholder's binding, a feed-dict key or the training argument of a model call."""
    from rules.tf1_to_tf2._graph import walk
    from rules.tf1_to_tf2._model import bind_call

    allowed: set[int] = set()
    mentions: list[cst.Name] = []
    nodes = list(walk(an.module))
    skip: set[int] = set()
    for n in nodes:
        if any(n is fp.node for fp in an.models.values()):  # type: ignore[attr-defined]
            skip |= {id(k) for k in walk(n)}
    binders = 0
    for n in nodes:
        if id(n) in skip:
            continue
        if isinstance(n, cst.Arg) and n.keyword is not None:
            skip.add(id(n.keyword))  # `f(is_training=...)`: a keyword, not a mention
        if isinstance(n, cst.Name) and n.value == name:
            mentions.append(n)
        elif isinstance(n, cst.AssignTarget) and isinstance(n.target, cst.Name) and n.target.value == name:
            allowed.add(id(n.target))
            binders += 1
        elif isinstance(n, cst.DictElement) and isinstance(n.key, cst.Name) and n.key.value == name:
            allowed.add(id(n.key))
        elif isinstance(n, cst.Call) and isinstance(n.func, cst.Name) and n.func.value in an.models:
            fp = an.models[n.func.value]
            if fp.training is None:  # type: ignore[attr-defined]
                continue
            binding = bind_call(n, fp)  # type: ignore[arg-type]
            arg = binding.get(fp.training) if binding is not None else None  # type: ignore[attr-defined]
            if arg is not None and isinstance(arg.value, cst.Name) and arg.value.value == name:
                allowed.add(id(arg.value))
        elif isinstance(n, cst.Param) and n.name.value == name:
            return False  # a parameter of the same name elsewhere: another binding, not followed
        elif isinstance(n, (cst.Global, cst.Nonlocal)) and any(a.name.value == name for a in n.names):
            return False
    return binders == 1 and bool(mentions) and all(id(m) in allowed for m in mentions)


class _Fix(cst.CSTTransformer):
    def __init__(self, consts: dict[str, str], copies: dict[int, tuple[cst.CSTNode, int]]) -> None:
        self.consts = consts
        self.copies = copies

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        if updated_node is not original_node:  # TF2130 finds its mark on the call it rewrites
            self.copies[id(updated_node)] = (updated_node, id(original_node))
        return updated_node

    def leave_Arg(self, original_node: cst.Arg, updated_node: cst.Arg) -> cst.Arg:
        v = updated_node.value
        if isinstance(v, cst.Name) and v.value in self.consts:
            return updated_node.with_changes(value=cst.Name(self.consts[v.value]))
        return updated_node


def fix(an: Analysis, stmt: cst.BaseStatement, consts: dict[str, str]) -> cst.BaseStatement:
    """A statement moved into a generated function with the run's flags as literals."""
    if not consts:
        return stmt
    from rules.tf1_to_tf2.variable_scope_module import COPIES
    return stmt.visit(_Fix(consts, an.ctx.state.setdefault(COPIES, {})))  # type: ignore[return-value]


# tf.layers functions whose output is 4-D (TF1's tf.layers.batch_normalization is fused
# on a 4-D input with the default axis)
_ELEMENTWISE = {"nn.relu", "nn.relu6", "nn.elu", "nn.selu", "nn.tanh", "nn.sigmoid", "nn.leaky_relu", "tanh", "sigmoid"}
_SAME_RANK = {"dense", "dropout", "batch_normalization"}
_FOUR_D = {"conv2d", "max_pooling2d", "average_pooling2d", "conv2d_transpose", "separable_conv2d"}


def check_fused_eval(an: Analysis, modes: dict[str, set[bool]]) -> None:
    """A model function whose tf.layers batch normalization was fused in TF1 (its input is
    the output of a 2-D convolution or pooling, its axis the default or a literal 1/3) or
    that calls slim.batch_norm, trained in one run and evaluated (training=False) in
    another: TF1's fused kernel updated moving_variance with the unbiased batch variance
    (x n/(n-1)), Keras 3's BatchNormalization updates it with the biased one, so every
    evaluation after training would normalize with another variance
    (corpus/tf1/layers_cnn_batchnorm.py: n = 8*12*12, moving_variance off by 3e-6 after 12
    steps; with small batches the factor is large). slim.batch_norm (itself or as a
    layer's normalizer_fn) ran the fused kernel on its 2-D and 4-D inputs alike
    (tf_slim/layers/layers.py: fused=None means fused; corpus/tf1/contrib/
    contrib_layers_mlp.py: n = 8, a factor 8/7). Such a batch normalization is marked
    (_fused_batch_norm.mark): TF2130 builds it as TF1FusedBatchNormalization, a
    BatchNormalization that updates moving_variance as TF1's fused kernel did, defined once
    in the file. Refused (the evaluation would compute other numbers): a `fused=` argument
    anywhere in the function or an `axis=` that is not a literal (which kernel TF1 ran is
    not known here). A literal axis other than -1, 1 and 3 was not fused in TF1 (biased
    variance, as Keras): plain BatchNormalization."""
    from rules.tf1_to_tf2 import _fused_batch_norm
    from rules.tf1_to_tf2._graph import Unsupported

    for fn, seen in modes.items():
        if seen != {True, False}:
            continue
        fp = an.models[fn]
        for c in fp.creators:  # type: ignore[attr-defined]
            # slim.batch_norm (also as normalizer_fn) ran the fused kernel on 2-D and 4-D inputs alike
            slim_bn = c.kind == "slim" and (c.fn == "batch_norm" or bool(c.local))
            if not (slim_bn or (c.kind == "layer" and c.fn == "batch_normalization" and _four_d_input(an, fp, c))):
                continue
            where = "with slim.batch_norm" if slim_bn else "on a 4-D input"
            axis = _axis(c) if not slim_bn else "-1"
            named = _names_fused(fp.node)
            if named or axis is None:
                what = "`fused=`" if named else "an `axis=` that is not a literal"
                raise Unsupported(c.node, f"`{fn}` trains its batch normalization `{c.keras_name}` {where} with {what} and a "
                                          "run evaluates it with training=False: which kernel TF1 ran (the fused one updates "
                                          "moving_variance with the unbiased batch variance, x n/(n-1); Keras 3 "
                                          "BatchNormalization uses the biased one) is not known here, so the evaluation could "
                                          "compute other numbers; not converted (write the evaluation by hand)")
            if axis in ("-1", "1", "3"):
                _fused_batch_norm.mark(an.ctx, c.node)


def _axis(c) -> str | None:  # type: ignore[no-untyped-def]
    """The literal axis of a tf.layers.batch_normalization call ("-1" by default), None when computed."""
    args = [a for a in c.node.args if a.keyword is None]
    value = args[1].value if len(args) > 1 else next((a.value for a in c.node.args if a.keyword is not None and a.keyword.value == "axis"), None)
    if value is None:
        return "-1"
    if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus) and isinstance(value.expression, cst.Integer):
        return f"-{value.expression.value}"
    return value.value if isinstance(value, cst.Integer) else None


def _names_fused(fn: cst.FunctionDef) -> bool:
    """A `fused=` keyword or a 'fused' key (normalizer_params) in the model function."""
    from rules.tf1_to_tf2._graph import walk

    return any((isinstance(n, cst.Arg) and n.keyword is not None and n.keyword.value == "fused")
               or (isinstance(n, cst.DictElement) and isinstance(n.key, cst.SimpleString) and n.key.value[1:-1] == "fused")
               for n in walk(fn))


def _four_d_input(an: Analysis, fp, c) -> bool:  # type: ignore[no-untyped-def]
    """The batch normalization's input is provably 4-D: the output of a 2-D convolution or
    pooling, through rank-keeping layers and activations (followed by name)."""
    from rules.tf1_to_tf2._graph import walk

    creators = {id(k.node): k for k in fp.creators}
    at: cst.CSTNode = c.node  # the call whose input is followed
    value: cst.BaseExpression | None = c.node.args[0].value if c.node.args and c.node.args[0].keyword is None else None
    for _ in range(12):
        if isinstance(value, cst.Call):
            k = creators.get(id(value))
            first = value.args[0].value if value.args and value.args[0].keyword is None else None
            if k is not None and k.kind == "layer" and k.fn in _SAME_RANK:
                at, value = value, first  # dense/dropout keep their input's rank
                continue
            if k is not None:
                return k.kind == "layer" and k.fn in _FOUR_D
            if (an.call_rest(value) or "") in _ELEMENTWISE:  # activations keep the rank
                at, value = value, first
                continue
            return False
        if not isinstance(value, cst.Name):
            return False
        name, value = value.value, None
        for n in walk(fp.node):
            if n is at:
                break
            if isinstance(n, cst.Assign) and len(n.targets) == 1 and isinstance(n.targets[0].target, cst.Name) \
                    and n.targets[0].target.value == name and n.value is not at:
                value = n.value  # the last binding before the call
        if value is not None:
            at = value
    return False
