"""TF2131: TF1 model functions TF2130 cannot restructure -> a Keras layer on the TF1 modeling shim."""

from __future__ import annotations

import libcst as cst

from migrate.result import Category, Safety
from migrate.rule import Invalid, Rule, Valid
from rules.tf1_to_tf2._common import expr, tf_root
from rules.tf1_to_tf2._model import camel, model_plans

_IN = """\
import tensorflow.compat.v1 as tf


def tower(x, n):
    with tf.variable_scope('tower'):
        for i in range(n):
            x = tf.layers.dense(x, 4, name='fc%d' % i)
    return x
"""

_OUT = """\
import tensorflow.compat.v1 as tf


def tower(x, n):
    with tf.variable_scope('tower'):
        for i in range(n):
            x = tf.layers.dense(x, 4, name='fc%d' % i)
    return x


class TowerShim(tf.keras.layers.Layer):
    \"\"\"`tower` on the TF1 modeling shim (TF2131): variables are created once per object.\"\"\"

    @tf.compat.v1.keras.utils.track_tf1_style_variables
    def call(self, x, n):
        return tower(x, n)
"""


class TF1ShimLayer(Rule):
    """Wraps a TF1 model function TF2130 cannot restructure in a Keras layer on the TF1 modeling shim.

    What it does: after a module-level function that builds variables with
    `tf.variable_scope`/`tf.get_variable` (or `tf.layers` inside a variable scope) and
    that TF2130 leaves alone (loops, branches, arg_scope decorators, slim, RNN cells,
    `functools.partial` layers ...), adds `class <Name>Shim(tf.keras.layers.Layer)` whose
    `call` is decorated with `tf.compat.v1.keras.utils.track_tf1_style_variables` and
    calls the function. Only the outermost such functions of the file get a class (the
    shim tracks everything created below). The function itself is kept, so the program
    still runs as before; the report item lists what a person must do.

    Why: this is the "modeling shim" of TensorFlow's migration guide: inside the
    decorated `call`, `tf.compat.v1.get_variable` and `tf.compat.v1.layers` create their
    variables once per layer object, under their TF1 names (so TF1 checkpoints load by
    name), and return them on the next calls, so the model runs eagerly and inside
    `tf.function` without Session or placeholders.

    Fix safety: unsafe, and a manual item (analysed only with `--unsafe-fixes`, like
    TF2130). The class only exists on legacy Keras:
    `track_tf1_style_variables` is in `tf.compat.v1.keras.utils` only when
    `TF_USE_LEGACY_KERAS=1` and tf_keras is installed (Keras 3 has no shim: the module
    does not import on Keras 3 any more; TF2130's classes run on legacy Keras too). A person
    must then create one object (`model = TowerShim()`) and call it instead of the
    function (`reuse=` becomes calling the same object), move regularization losses to
    `model.losses` and batch-norm updates to `training=True` calls, and finally replace
    the shim by Keras layers (TF2130's output shape). The variable names are the TF1
    names, so no name map is needed.
    """

    ID = "TF2131"
    UNSAFE_ONLY = True  # see "Fix safety": nothing to apply or report without --unsafe-fixes
    SCOPE = "names"  # wraps functions that call tf.variable_scope/get_variable (see engine.transform)
    NAME = "tf1-model-function-shim"
    MESSAGE = "TF1 model function wrapped in a Keras layer on the TF1 modeling shim; finish by hand"
    SAFETY = Safety.UNSAFE
    CATEGORY = Category.MANDATORY
    EFFORT = "redesign"

    VALID = [Valid("import tensorflow.compat.v1 as tf\n\n\ndef f(x):\n    return tf.nn.relu(x)\n")]
    INVALID = [Invalid(_IN, _OUT, message="TF_USE_LEGACY_KERAS=1")]

    def visit_Module(self, node: cst.Module) -> None:
        mp = model_plans(self)
        self.roots: dict[int, tuple[str, str]] = {id(mp.rejected[n][0]): (n, why) for n, why in mp.shim_roots.items()}

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef):  # type: ignore[no-untyped-def]
        hit = self.roots.get(id(original_node))
        if hit is None:
            return updated_node
        name, why = hit
        p = original_node.params
        if p.posonly_params or p.kwonly_params or isinstance(p.star_arg, cst.Param) or p.star_kwarg is not None:
            self.flag(original_node, f"`{name}` builds variables with variable_scope/get_variable and is not restructured ({why}); wrap it in a Keras layer whose call is decorated with tf.compat.v1.keras.utils.track_tf1_style_variables", effort="redesign")
            return updated_node
        tf = tf_root(self.ctx)
        cls = camel(name) + "Shim"
        if self.ctx.aliases.is_bound(cls):
            return updated_node  # wrapped by an earlier run
        params = [cst.Param(cst.Name("self"))]
        call_args = []
        for prm in updated_node.params.params:
            n = prm.name.value
            if n == "training":
                self.flag(original_node, f"`{name}` has a parameter named `training`: wrap it in the TF1 modeling shim by hand", effort="redesign")
                return updated_node
            eq = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))
            params.append(cst.Param(prm.name, default=prm.default, equal=eq if prm.default is not None else cst.MaybeSentinel.DEFAULT))
            call_args.append(f"{n}={n}" if call_args and prm.default is not None else n)
        params = [q.with_changes(comma=cst.MaybeSentinel.DEFAULT) for q in params]
        call = cst.FunctionDef(
            name=cst.Name("call"),
            params=cst.Parameters(params=params),
            body=cst.IndentedBlock([cst.SimpleStatementLine([cst.Return(cst.parse_expression(f"{name}({', '.join(call_args)})"))])]),
            decorators=[cst.Decorator(expr(f"{tf}.compat.v1.keras.utils.track_tf1_style_variables"))],
            leading_lines=[cst.EmptyLine(indent=False)],
        )
        doc = cst.SimpleStatementLine(
            [cst.Expr(cst.SimpleString(f'"""`{name}` on the TF1 modeling shim (TF2131): variables are created once per object."""'))]
        )
        klass = cst.ClassDef(
            name=cst.Name(cls),
            bases=[cst.Arg(expr(f"{tf}.keras.layers.Layer"))],
            body=cst.IndentedBlock([doc, call]),
            leading_lines=[cst.EmptyLine(indent=False), cst.EmptyLine(indent=False)],
        )
        message = (
            f"`{name}` is not restructured into Keras objects ({why}); `{cls}` wraps it in the TF1 modeling shim "
            f"(needs TF_USE_LEGACY_KERAS=1 and tf_keras for the whole module; TF2130 classes work there too). "
            f"Create one `{cls}()` and call it instead of `{name}(...)` "
            "(reuse= becomes calling the same object; regularization losses are in `.losses`, batch-norm updates "
            "run with training=True), then replace the shim by Keras layers"
        )
        return self.fix(original_node, updated_node, cst.FlattenSentinel([updated_node, klass]), message=message, manual=True)
