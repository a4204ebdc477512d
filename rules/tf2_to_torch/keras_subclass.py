"""PT1002: subclassed tf.keras.Model / Layer -> nn.Module."""

from __future__ import annotations

import libcst as cst

from migrate.result import Category, Safety
from migrate.rule import Invalid, Valid
from rules.tf2_to_torch._analysis import ClassInfo, _self_attr, analyze_class
from rules.tf2_to_torch._common import (
    KERAS_BASES,
    TorchRule,
    code_of,
    fix_commas,
    keyword_args,
    literal,
    localize,
    schedule_torch_imports,
    tf_rest,
)
from rules.tf2_to_torch._layers import activation_call, to_snake_case, weight_path
from rules.tf2_to_torch._ops import fill


class _Rewrite(cst.CSTTransformer):
    """Inside one method: sub-layer calls lose `training=`, fused activations wrap their
    call sites, `training` becomes `self.training`, `super().__init__(...)` loses its
    Keras arguments."""

    def __init__(self, rule: TorchRule, info: ClassInfo, training: str | None, in_init: bool = False) -> None:
        super().__init__()
        self.in_init = in_init
        self.rule = rule
        self.info = info
        self.training = training
        self.skip: set[int] = set()
        self.loop_layers: set[str] = set()  # names bound by `for layer in self.<list of layers>`

    def visit_For(self, node: cst.For) -> None:
        if _self_attr(node.iter) in self.info.list_attrs and isinstance(node.target, cst.Name):
            self.loop_layers.add(node.target.value)

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        if (
            len(original_node.targets) == 1
            and _self_attr(original_node.targets[0].target) in self.info.list_attrs
            and isinstance(updated_node.value, (cst.List, cst.Tuple, cst.ListComp))
        ):
            template = "nn.ModuleList($x)"
            schedule_torch_imports(self.rule, template)
            value = updated_node.value
            if isinstance(value, cst.Tuple):
                value = cst.List(elements=value.elements)
            return updated_node.with_changes(value=fill(localize(self.rule.ctx, template), {"x": value}))
        return updated_node

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.skip.add(id(node.attr))

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self.skip.add(id(node.keyword))

    def visit_Param(self, node: cst.Param) -> None:
        self.skip.add(id(node.name))

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        if self.training and updated_node.value == self.training and id(original_node) not in self.skip:
            return cst.Attribute(cst.Name("self"), cst.Name("training"))
        return updated_node

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        param = self.info.parameters.get(code_of(original_node)) if self.info.parameters else None
        if param is not None:
            schedule_torch_imports(self.rule, param)
            return cst.parse_expression(localize(self.rule.ctx, param))
        if self.in_init and self.info.variables and self.rule.qname(original_node.func) == "tensorflow.Variable":
            return self._variable(updated_node)
        func = original_node.func
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value == "__init__"
            and isinstance(func.value, cst.Call)
            and isinstance(func.value.func, cst.Name)
            and func.value.func.value == "super"
        ):
            return updated_node.with_changes(args=[])
        if isinstance(func, cst.Attribute) and func.attr.value == "call" and (
            _self_attr(func) == "call" or (isinstance(func.value, cst.Call) and isinstance(func.value.func, cst.Name) and func.value.func.value == "super")
        ):
            # self.call(...) / super().call(...): the method is forward() now
            assert isinstance(updated_node.func, cst.Attribute)
            args = [a for a in updated_node.args if not (a.keyword is not None and a.keyword.value == "training")]
            return updated_node.with_changes(func=updated_node.func.with_changes(attr=cst.Name("forward")), args=fix_commas(args))
        attr = _self_attr(func)
        if isinstance(func, cst.Name) and func.value in self.loop_layers:
            args = [a for a in updated_node.args if not (a.keyword is not None and a.keyword.value == "training")]
            return updated_node.with_changes(args=fix_commas(args))
        if attr is None or attr not in self.info.module_attrs:
            return updated_node
        args = [a for a in updated_node.args if not (a.keyword is not None and a.keyword.value == "training")]
        new: cst.BaseExpression = updated_node.with_changes(args=fix_commas(args))
        act = self.info.fused.get(attr)
        if act is not None:
            template = activation_call(act, "$x")
            schedule_torch_imports(self.rule, template)
            new = fill(localize(self.rule.ctx, template), {"x": new})
        return new


    def _variable(self, call: cst.Call) -> cst.BaseExpression:
        """``tf.Variable(value, trainable=False)`` -> ``nn.Parameter(torch.as_tensor(value), requires_grad=False)``."""
        args = keyword_args(call, ["initial_value", "trainable", "validate_shape", "caching_device", "name", "variable_def", "dtype"])
        if not args or "initial_value" not in args or not set(args) <= {"initial_value", "trainable", "name", "dtype"}:
            return call
        if "trainable" in args and literal(args["trainable"].value) not in (True, False):
            return call
        dtype = f", dtype={code_of(args['dtype'].value)}" if "dtype" in args else ""
        trainable = literal(args["trainable"].value) if "trainable" in args else True
        grad = "" if trainable is True else ", requires_grad=False"
        code = f"nn.Parameter(torch.as_tensor($v{dtype}){grad})"
        schedule_torch_imports(self.rule, code)
        return fill(localize(self.rule.ctx, code), {"v": args["initial_value"].value})


def _strip_params(fn: cst.FunctionDef, names: set[str]) -> cst.FunctionDef:
    params = fn.params
    keep = [p for p in params.params if p.name.value not in names]
    kwonly = [p for p in params.kwonly_params if p.name.value not in names]
    changes: dict[str, object] = {"params": keep, "kwonly_params": kwonly}
    if not kwonly and isinstance(params.star_arg, cst.ParamStar):
        changes["star_arg"] = cst.MaybeSentinel.DEFAULT
    new = params.with_changes(**changes)
    # the last parameter loses a trailing comma left by a removed one
    seq = [*new.params]
    if seq and not new.kwonly_params and not isinstance(new.star_arg, cst.Param) and new.star_kwarg is None:
        last = seq[-1]
        if isinstance(last.comma, cst.Comma):
            seq[-1] = last.with_changes(comma=cst.MaybeSentinel.DEFAULT)
        new = new.with_changes(params=seq)
    return fn.with_changes(params=new)


class KerasSubclass(TorchRule):
    """Turns a subclassed `tf.keras.Model` / `tf.keras.layers.Layer` into an `nn.Module`.

    What it does: the Keras base becomes `nn.Module`, `call(self, x, training=None)` becomes
    `forward(self, x)`, uses of `training` inside it become `self.training`, sub-layer calls
    lose their `training=` argument (a PyTorch module follows its own `train()`/`eval()`
    mode), `super().__init__(**kwargs)` becomes `super().__init__()`, a list of layers
    assigned to an attribute becomes an `nn.ModuleList` (so PyTorch registers it), and a fused
    activation of a sub-layer that is only ever called moves to its call sites
    (`torch.relu(self.fc(x))`). The layers created in `__init__` are converted by PT1001,
    with the input sizes this rule finds by following the values through `call()` (a
    BatchNormalization after a 16-filter convolution becomes `BatchNorm2d(16, ...)`).
    Subclasses of converted classes in the same file are converted too.

    Why: PyTorch models are `nn.Module`s with `__init__`/`forward`; Keras' `training`
    argument is PyTorch's module mode.

    Fix safety: safe for the model's function. PyTorch modules start in training mode while
    a Keras model called without `training=` runs in inference mode: call `model.eval()`
    before inference (PT1011 does it where the call passes `training=`). A
    `self.add_weight(shape=..., initializer=..., trainable=...)` in `__init__` becomes
    `nn.Parameter(torch.zeros(shape))` (ones, glorot/xavier, random normal/uniform likewise;
    `trainable=False` -> `requires_grad=False`), and `self.v = tf.Variable(value,
    trainable=...)` in `__init__` becomes `nn.Parameter(torch.as_tensor(value), ...)`.
    Weights created in `build()`, `add_weight`
    with other arguments, lists mixing layers and other values, sub-layers called with a
    fixed `training=` value and a used `mask` argument are reported for a person.
    """

    ID = "PT1002"
    NAME = "keras-subclassed-model"
    MESSAGE = "subclassed Keras Model/Layer becomes an nn.Module with forward()"
    SAFETY = Safety.SAFE
    CATEGORY = Category.MANDATORY
    EFFORT = "complex"

    VALID = [Valid("from torch import nn\n\nclass M(nn.Module):\n    def forward(self, x):\n        return x\n")]
    INVALID = [
        Invalid(
            "import tensorflow as tf\n\n"
            "class BatchNorm(tf.keras.layers.BatchNormalization):\n"
            "    def call(self, x, training=None):\n"
            "        mean, var = tf.nn.moments(x, axes=[0])\n"
            "        return tf.nn.batch_normalization(x, mean, var, self.beta, self.gamma, 1e-3)\n",
            None,
            message="has no PyTorch rewrite",
        ),
        Invalid(
            "import tensorflow as tf\n\n"
            "class Temp(tf.keras.layers.Layer):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.t = tf.Variable(2.0, trainable=False)\n\n"
            "    def call(self, x):\n"
            "        return x / self.t\n",
            "import torch\nfrom torch import nn\n\n"
            "class Temp(nn.Module):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.t = nn.Parameter(torch.as_tensor(2.0), requires_grad=False)\n\n"
            "    def forward(self, x):\n"
            "        return x / self.t\n",
            message="tf.Variable",
        ),
        Invalid(
            "import tensorflow as tf\n\n"
            "class Scale(tf.keras.layers.Layer):\n"
            "    def __init__(self, n):\n"
            "        super().__init__()\n"
            "        self.w = self.add_weight(shape=(n,), initializer='ones')\n\n"
            "    def call(self, x):\n"
            "        return x * self.w\n",
            "import torch\nfrom torch import nn\n\n"
            "class Scale(nn.Module):\n"
            "    def __init__(self, n):\n"
            "        super().__init__()\n"
            "        self.w = nn.Parameter(torch.ones((n,)))\n\n"
            "    def forward(self, x):\n"
            "        return x * self.w\n",
            message="nn.Parameter",
        ),
        Invalid(
            "import tensorflow as tf\n\n"
            "class Block(tf.keras.layers.Layer):\n"
            "    def __init__(self, **kwargs):\n"
            "        super().__init__(**kwargs)\n"
            "        self.scale = 2.0\n\n"
            "    def call(self, x, training=None):\n"
            "        if training:\n"
            "            return x * self.scale\n"
            "        return x\n",
            "from torch import nn\n\n"
            "class Block(nn.Module):\n"
            "    def __init__(self, **kwargs):\n"
            "        super().__init__()\n"
            "        self.scale = 2.0\n\n"
            "    def forward(self, x):\n"
            "        if self.training:\n"
            "            return x * self.scale\n"
            "        return x\n",
        ),
        Invalid(
            "import tensorflow as tf\n\n"
            "class Net(tf.keras.Model):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.drop = tf.keras.layers.Dropout(0.5)\n\n"
            "    def call(self, x, training=False):\n"
            "        return self.drop(x, training=training)\n",
            "import tensorflow as tf\nfrom torch import nn\n\n"
            "class Net(nn.Module):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.drop = tf.keras.layers.Dropout(0.5)\n\n"
            "    def forward(self, x):\n"
            "        return self.drop(x)\n",
            message="model.eval()",
        ),
        Invalid(
            "import tensorflow as tf\n\n"
            "class Tower(tf.keras.Model):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.blocks = [tf.keras.layers.Dense(8) for _ in range(2)]\n\n"
            "    def call(self, x, training=None):\n"
            "        for block in self.blocks:\n"
            "            x = block(x, training=training)\n"
            "        return x\n\n"
            "class Deeper(Tower):\n"
            "    def call(self, x, training=None):\n"
            "        return super().call(x, training=training) * 2\n",
            "import tensorflow as tf\nfrom torch import nn\n\n"
            "class Tower(nn.Module):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.blocks = nn.ModuleList([tf.keras.layers.Dense(8) for _ in range(2)])\n\n"
            "    def forward(self, x):\n"
            "        for block in self.blocks:\n"
            "            x = block(x)\n"
            "        return x\n\n"
            "class Deeper(Tower):\n"
            "    def forward(self, x):\n"
            "        return super().forward(x) * 2\n",
        ),
        Invalid(
            "import tensorflow as tf\n\n"
            "class Scale(tf.keras.layers.Layer):\n"
            "    def build(self, input_shape):\n"
            "        self.w = self.add_weight(shape=(input_shape[-1],))\n\n"
            "    def call(self, x):\n"
            "        return x * self.w\n",
            "from torch import nn\n\n"
            "class Scale(nn.Module):\n"
            "    def build(self, input_shape):\n"
            "        self.w = self.add_weight(shape=(input_shape[-1],))\n\n"
            "    def forward(self, x):\n"
            "        return x * self.w\n",
            message="nn.Parameter",
        ),
    ]

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        info = analyze_class(node, self.qname, self.st)
        self.st.class_stack.append(info)
        if info is not None:
            self.st.keras_classes.add(info.name)
            self.st.handled.update(info.keras_bases)
            return
        tf_bases = [q for b in node.bases if (q := self.qname(b.value)) and tf_rest(q) is not None]  # tf.keras.* included
        if tf_bases:
            # A subclass of a Keras/TF class this pack cannot convert (say a custom
            # BatchNormalization): it stays TensorFlow as a whole, so no rule may turn the
            # TensorFlow code inside it into torch code (that would mix the frameworks).
            base = tf_bases[0].replace("tensorflow.", "tf.", 1)
            self.flag(
                node,
                f"`{node.name.value}` subclasses `{base}`, which has no PyTorch rewrite: write it as an nn.Module "
                "by hand (its TensorFlow code is left as it is)",
                effort="redesign",
            )
            self.ctx.keep(node)

    def _keras_names(self, info: ClassInfo) -> str:
        """``keras layer name -> torch module path`` of the weighted sub-layers (the
        correspondence map, format of PT1030), when the class holds only table layers created
        once each in __init__: Keras then names them in creation order (``dense``,
        ``dense_1``, or their ``name=``) in a fresh session."""
        if info.list_attrs or set(info.module_attrs) != set(info.layer_attrs):
            return ""
        counts: dict[str, int] = {}
        pairs = []
        for attr, call in info.layer_attrs.items():
            built = self.st.built.get(id(call))
            if built is None:
                return ""
            name = None
            for a in call.args:
                if a.keyword is not None and a.keyword.value == "name":
                    name = literal(a.value)
            if not isinstance(name, str):
                prefix = to_snake_case(built.keras)
                n = counts.get(prefix, 0)
                counts[prefix] = n + 1
                name = prefix if n == 0 else f"{prefix}_{n}"
            sub = weight_path(built, include_activation=attr not in info.fused)
            if sub is not None:
                pairs.append(f"{name} -> {attr}.{sub}" if sub else f"{name} -> {attr}")
        return ", ".join(pairs)

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        info: ClassInfo | None = self.st.class_stack.pop()
        if info is None:
            return updated_node
        for node, message in info.issues:
            self.flag(node, message, effort="complex")
        module = self.torch("nn.Module")
        bases = []
        kinds = []
        for orig, upd in zip(original_node.bases, updated_node.bases):
            if id(orig.value) in info.keras_bases:
                q = self.qname(orig.value)
                kinds.append(KERAS_BASES[q] if q in KERAS_BASES else orig.value.value if isinstance(orig.value, cst.Name) else "a converted class")
                if q in KERAS_BASES:
                    upd = upd.with_changes(value=module)
            bases.append(upd)
        body = []
        for stmt in updated_node.body.body if isinstance(updated_node.body, cst.IndentedBlock) else ():
            if isinstance(stmt, cst.FunctionDef):
                is_call = stmt.name.value == "call"
                stmt = stmt.visit(_Rewrite(self, info, info.training if is_call else None, stmt.name.value == "__init__"))  # type: ignore[assignment]
                if is_call:
                    drop = {n for n in (info.training, info.mask if not info.mask_used else None) if n}
                    stmt = _strip_params(stmt, drop).with_changes(name=cst.Name("forward"))
            body.append(stmt)
        new = updated_node.with_changes(bases=bases, body=updated_node.body.with_changes(body=body))
        what = " and ".join(sorted(set(kinds))) or "Keras"
        message = f"class {info.name} ({what}) becomes an nn.Module: call() -> forward()"
        if info.training:
            message += ", training -> self.training"
        if info.fused:
            message += "; fused activations applied at the call sites of " + ", ".join(f"self.{a}" for a in sorted(info.fused))
        if info.parameters:
            message += "; self.add_weight(...) in __init__ -> nn.Parameter (the Keras initializer mapped to torch.nn.init)"
        if info.variables:
            message += "; tf.Variable in __init__ -> nn.Parameter (trainable=False -> requires_grad=False)"
        message += "; PyTorch modules start in training mode: call model.eval() for inference (Keras calls infer by default)"
        names = self._keras_names(info)
        if names:
            message += f"; keras names: {names}"
        return self.convert(original_node, updated_node, new, message=message)  # type: ignore[no-any-return]
