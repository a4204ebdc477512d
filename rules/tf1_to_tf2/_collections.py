"""TF2120: reads of TF1 variable collections whose content is known statically.

`tf.trainable_variables()` (and `tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES)`
without a scope) read outside `minimize(var_list=...)` in a program whose variables are all
made by model functions that TF2130 turns into Keras objects: TF1's collection held the
variables created so far, in creation order. In the eager program the same variables are
the objects' `trainable_variables`, concatenated in the order in which the objects were
first called (a Keras layer lists its own variables, then its sub-layers' in the order they
were assigned, which is the order TF2130 creates them in: the order of the calls).

A Keras object creates its variables on its first call, which the converted program makes
inside the first tf.function run: the read is preceded by
`<first function>.get_concrete_function()`, which traces that function (creating the
objects' variables, as its first run would have, in the same order) without running it.

Refused (precise reasons): reads inside blocks or helpers, variables created outside the
model functions, model functions with `trainable=` arguments or that mix own variables with
sub-objects, several objects of one function, calls of a model function after the read, and
no generated function that calls every object before any other run, and TF1 names used for
anything but printing them (Keras names a variable `W` where TF1 had `scope/W:0`: name
filters, `sorted(key=...)` and `.op` would select or pair differently; a printed listing is
reported as changed). GLOBAL_VARIABLES reads (`tf.global_variables()`, no scope) are the
objects' `variables` only where they list the same variables (_global_refusal: plain
gradient descent without a global step, model functions making trainable variables only;
tests/fixtures/tf1_to_tf2/session_global_variables_sgd); elsewhere they stay refused
(optimizer slots and non-trainable variables are created at other times).

Programs without model functions (_plan_plain_reads): an unscoped TRAINABLE_VARIABLES read
(`tvars = tf.trainable_variables()`, inline in a statement, or
`tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES)`) in a unit whose variables are all
made by top-level `name = tf.Variable(...)` / `tf.get_variable(...)` statements becomes the
list of those made before it whose `trainable=` is absent or True, in statement order
(`[w1, b1, w2, b2]`): the statements stay where they are (the same variables, made in the
same order, TF1's names kept), so the list is TF1's, also as a var_list, an L2 sum or a
count (tests/fixtures/tf1_to_tf2/session_trainable_variables_list, proven by the numeric
fixture test; statements computing from the list read the variables, so they move into
the generated functions). Refused with the reason: other variable makers (tf.layers, Keras
layers, RNN cells, contrib/slim layers, helpers), variables in another unit, `reuse=`,
`trainable=` values other than a literal, `collections=`, positional arguments that may set
them, and a name bound more than once in the unit. `minimize(loss,
var_list=tf.trainable_variables())` there is every variable, the train step's tape's watched
ones (as with model functions; tests/fixtures/tf1_to_tf2/session_gradients_apply), and
`tf.gradients(loss, tvars)` applied with `apply_gradients(zip(grads, tvars))` is a gradient
pair of the train step (_graph.gradient_pair).

Scoped reads (`get_collection(<TRAINABLE|GLOBAL>_VARIABLES, scope=...)`):
`get_collection(TRAINABLE_VARIABLES, scope='online')` whose literal scope is exactly the
scope of one TF2130 object (`QNetwork(name='online')`) and no prefix of another object's
(TF1 filters with `re.match` on `scope/...` names) is converted (scoped_object): the
object's `trainable_variables`. When read before the point where the generated functions
are defined, the line moves after them, behind a trace of the first run function that
calls every object (_move_scoped_read); the list may be used before that only as a
minimize `var_list`, which the train step reads from the object itself (its Keras
variables for a Keras optimizer, the tf.Variables under them for a kept TF1 one).
`t_vars = tf.trainable_variables()` read there and used only by name-prefix filters
(`g_vars = [v for v in t_vars if v.name.startswith('generator')]`) that select exactly one
object's variables goes, each filter line moving as a scoped read (_prefix_filters: what
TF1's names are and why the prefix selects that list, in that order; corpus/tf1/
gan_two_optimizers.py, proven by the numeric test). A helper that
copies one scope onto another (find_scope_copies) is converted under the conditions its
docstring lists. Everything else stays refused, each with its own reason
(_scoped_read_reason, _copy_refusal): a scope with regular-expression characters, a
prefix of another object's scope, a computed scope, a copy after an optimizer made its
slots, a copy whose group is used other than by `sess.run`. What the conversion of
corpus/tf1/dqn_target_update.py relies on, checked by hand against TF 2.21 (TF1 graph
run vs. the eager program with TF1's initial values carried over: loss 0.122129, q0 and
num_online_vars equal; now the numeric test of tests/test_tf1_structural.py):

* when copy_params runs, GLOBAL_VARIABLES holds only the 8 model variables (online/h1/kernel,
  online/h1/bias, ..., target/q/bias); RMSProp's slots (`online/h1/kernel/RMSProp`, ...) are
  created by minimize() afterwards and would fall in scope 'online' (with `re.match`) if
  the group were built after it, making `zip` pair slots with target variables;
* the name-sorted pairing is (h1/bias, h1/bias), (h1/kernel, h1/kernel), (q/bias, q/bias),
  (q/kernel, q/kernel); Keras lists both objects' `variables` as h1/kernel, h1/bias,
  q/kernel, q/bias (also for `trainable=False`, whose variables are all non-trainable), so
  `for s, d in zip(src.variables, dst.variables): d.assign(s)` makes the same pairs; the
  assigns of a tf.group have disjoint targets and sources, so their order is immaterial;
* a kept TF1 optimizer (RMSPropOptimizer) cannot apply gradients to Keras 3 variables
  (`'Variable' object has no attribute '_in_graph_mode'`): the train step must pass
  `[v.value for v in online.trainable_variables]` to apply_gradients; not the tape's
  watched variables: a Keras layer made with `trainable=False` still creates its
  tf.Variables with trainable=True (Keras 3 keeps the flag on its own Variable), so the
  tape watches the target network's variables too (checked in TF 2.21)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from rules.tf1_to_tf2 import _tf1_names

if TYPE_CHECKING:
    from rules.tf1_to_tf2._graph import Analysis

TRAINABLE_READ = "trainable_variables"


def walk(node: cst.CSTNode):  # type: ignore[no-untyped-def]
    from rules.tf1_to_tf2._graph import walk as graph_walk
    return graph_walk(node)


def _is_trainable_read(an: Analysis, n: cst.CSTNode) -> bool:
    from rules.tf1_to_tf2._model_variables import is_model_read
    return _plain_read(an, n) or scoped_object(an, n) is not None or is_global_read(an, n) or is_model_read(an, n)


def is_global_read(an: Analysis, n: cst.CSTNode) -> bool:
    """`tf.global_variables()` / `tf.all_variables()` / `tf.get_collection(GLOBAL_VARIABLES)`
    (no scope): converted by plan_variable_reads where _global_refusal finds it equal to the
    trainable list."""
    if not isinstance(n, cst.Call):
        return False
    r = an.call_rest(n)
    if r in ("global_variables", "all_variables") and not n.args:
        return True
    return (r == "get_collection" and len(n.args) == 1 and n.args[0].keyword is None
            and an.rest(n.args[0].value) == "GraphKeys.GLOBAL_VARIABLES")


GLOBAL_WHY = ("GLOBAL_VARIABLES also list the non-trainable variables and the optimizer slots created before the read, "
              "which the Keras objects and optimizers create at other times")


def _global_refusal(an: Analysis) -> str | None:
    """Why a GLOBAL_VARIABLES read (no scope) is not the trainable list here, or None.

    TF1's GLOBAL_VARIABLES list every variable created so far: the model variables (the
    trainable ones and the non-trainable ones, such as batch-norm moving statistics),
    optimizer slots and accumulators (Adam's m, v, beta1_power, ...), the global step, metric
    and EMA variables elsewhere. Equal to TRAINABLE_VARIABLES, in the same order, when every
    optimizer is a `tf.train.GradientDescentOptimizer` given no `global_step` (it makes no
    variable: checked in TF 2.21, `minimize` adds none to the graph), the model functions
    create their variables only by get_variable / tf.Variable, or by calling other such
    model functions, with no `trainable=` argument (so every variable is trainable), and no
    variable is made outside them (plan_variable_reads refuses that). The Keras objects
    then list the same variables as `variables` (= `trainable_variables`)."""
    for tr in an.train_ops.values():
        if an.call_rest(an.optimizer_call(tr)) != "train.GradientDescentOptimizer":
            return (f"{GLOBAL_WHY} (here `{an.code(an.optimizer_call(tr))}` makes slot or accumulator variables; "
                    "only plain gradient descent makes none)")
        if tr.global_step is not None:
            return f"{GLOBAL_WHY} (here the global step `{tr.global_step}`)"
    for name, fp in an.models.items():
        kinds = {c.kind for c in fp.creators}  # type: ignore[attr-defined]
        if kinds - {"var", "sub"}:
            return (f"{GLOBAL_WHY} (here `{name}` makes Keras layers, which may hold non-trainable variables or "
                    "random-seed state that TF1 did not list)")
        for n in walk(fp.node):  # type: ignore[attr-defined]
            if isinstance(n, cst.Arg) and n.keyword is not None and n.keyword.value in ("trainable", "collections"):
                return f"{GLOBAL_WHY} (here `{name}` passes `{n.keyword.value}=`)"
            r = an.call_rest(n) if isinstance(n, cst.Call) else None
            if r in ("get_variable", "Variable") and len([a for a in n.args if a.keyword is None]) > (4 if r == "get_variable" else 1):  # type: ignore[attr-defined]
                return f"{GLOBAL_WHY} (here `{name}` passes `{r}` arguments by position that may set trainable/collections)"
    if any(isinstance(n, (cst.Name, cst.Attribute)) and _makes_scoped_variables(an.rest(n))
           for n in walk(an.module) if id(n) not in an.model_nodes):
        return f"{GLOBAL_WHY} (here variables are also made outside the model functions)"
    return None


def _refused_read(an: Analysis, n: cst.CSTNode) -> str | None:
    """Why a variable-collection read that the Keras objects could answer is not converted."""
    if not isinstance(n, cst.Call):
        return None
    r = an.call_rest(n)
    key = an.rest(n.args[0].value) if r == "get_collection" and n.args and n.args[0].keyword is None else None
    if key in ("GraphKeys.TRAINABLE_VARIABLES", "GraphKeys.GLOBAL_VARIABLES") and len(n.args) > 1:
        if scoped_object(an, n) is not None:
            return None
        return _scoped_read_reason(an, n, key)
    if is_global_read(an, n):
        return None  # decided by plan_variable_reads (_global_refusal)
    if key == "GraphKeys.GLOBAL_VARIABLES" or (r in ("global_variables", "all_variables") and not n.args):
        return f"{GLOBAL_WHY}; not converted"
    return None


def _scope_objects(an: Analysis) -> dict[str, tuple[str, str]]:
    """TF1 variable scope -> (model function, object name) of the TF2130 objects whose
    constructor got the scope as a string literal (`q_network(x, 'online')` ->
    `QNetwork(name='online')`)."""
    import ast
    import re

    names = an.instance_names()
    out: dict[str, tuple[str, str]] = {}
    for fname, fp in an.models.items():
        param = fp.name_param  # type: ignore[attr-defined]
        if param is None:
            # the function's own literal scope (`with tf.variable_scope('discriminator'):`),
            # one object made from it (TF2130 hook)
            if fp.scope is not None and len(fp.instances) == 1 and fp.external and names.get(fname):  # type: ignore[attr-defined]
                out[fp.scope] = (fname, names[fname][0])  # type: ignore[attr-defined]
            continue
        for i, ctor in enumerate(fp.instances):  # type: ignore[attr-defined]
            m = re.search(rf"(?:^|, ){re.escape(param)}=(.*?)(?:, [a-zA-Z_]\w*=|$)", ctor)
            if m is None:
                continue
            try:
                scope = ast.literal_eval(m.group(1))
            except (ValueError, SyntaxError):
                continue
            if isinstance(scope, str) and i < len(names.get(fname, [])):
                out[scope] = (fname, names[fname][i])
    return out


def _literal_scope(an: Analysis, n: cst.Call) -> str | None:
    """The literal scope of `tf.get_collection(<key>, scope='s')` (`scope` the second argument)."""
    from rules.tf1_to_tf2._model import string_value

    if len(n.args) != 2 or n.args[0].keyword is not None or n.args[1].star:
        return None
    a = n.args[1]
    if a.keyword is not None and a.keyword.value != "scope":
        return None
    return string_value(a.value)


def scoped_object(an: Analysis, n: cst.CSTNode) -> str | None:
    """`tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, scope='online')` whose literal
    scope is exactly the scope of one TF2130 object (`QNetwork(name='online')`) and matches
    no other object's scope as TF1's `re.match` would: the object's name (its
    `trainable_variables` are TF1's list, in the same order: Keras lists a layer's
    sub-layers in the order TF2130 creates them, the order of the calls)."""
    import re

    if not isinstance(n, cst.Call) or an.call_rest(n) != "get_collection" or not n.args \
            or an.rest(n.args[0].value) != "GraphKeys.TRAINABLE_VARIABLES":
        return None
    scope = _literal_scope(an, n)
    if scope is None or re.escape(scope) != scope:
        return None
    objects = _scope_objects(an)
    if scope not in objects or any(s != scope and re.match(scope, s) for s in objects):
        return None
    if not _top_level_scopes(an):
        return None
    return objects[scope][1]


def _top_level_scopes(an: Analysis) -> bool:
    """Whether every outside call of a model function is outside any `with
    tf.variable_scope(...)` block (which would prefix the objects' TF1 names; TF2130 refuses
    such calls today, this keeps the scope reads right if it learns them)."""
    for fp in an.models.values():
        for ext in fp.external:  # type: ignore[attr-defined]
            for a in an.ancestors(ext):
                if isinstance(a, cst.With) and any(
                        isinstance(i.item, cst.Call) and "variable_scope" in (an.call_rest(i.item) or "") for i in a.items):
                    return False
    return True


def _scoped_read_reason(an: Analysis, n: cst.Call, key: str) -> str:
    """Why `tf.get_collection(<TRAINABLE|GLOBAL>_VARIABLES, scope=...)` is not converted,
    as precisely as the program allows (see the module docstring, "Scoped reads")."""
    import re

    from rules.tf1_to_tf2._model import string_value

    kind = key.split(".")[-1]
    scope_arg = next((a for a in n.args[1:] if a.keyword is None or a.keyword.value == "scope"), None)
    scope = string_value(scope_arg.value) if scope_arg is not None else None
    spelled = f"`tf.get_collection(tf.GraphKeys.{kind}, scope=...)`"
    objects = _scope_objects(an)
    if scope is not None:
        spelled = f"`tf.get_collection(tf.GraphKeys.{kind}, scope={scope!r})`"
        if re.escape(scope) != scope:
            return (f"{spelled}: TF1's `scope=` is a regular expression matched at the start of each variable name "
                    "(`re.match`), and this one has special characters; not converted")
        also = sorted(s for s in objects if s != scope and re.match(scope, s))
        if also:
            return (f"{spelled}: TF1's `scope=` matches name prefixes (`re.match`), so it also lists the variables of "
                    f"scope {also[0]!r}; not converted")
        if scope in objects:
            fname, obj = objects[scope]
            what = "trainable_variables" if kind == "TRAINABLE_VARIABLES" else "variables"
            if not _top_level_scopes(an):
                return (f"{spelled}: the variables of the Keras object `{obj}` made from `{fname}`, but a call of a model "
                        "function is inside a `with tf.variable_scope(...)` block, which prefixes the TF1 names that `scope=` "
                        "matches; not converted")
            if kind == "GLOBAL_VARIABLES":
                return (f"{spelled}: GLOBAL_VARIABLES of a scope also list the optimizer slots and other variables created "
                        f"in it before the read, which `{obj}.variables` does not; not converted")
            return (f"{spelled}: the variables of the Keras object `{obj}` made from `{fname}` (`{obj}.{what}`); "
                    "not converted")
        return (f"{spelled}: the variables of one variable scope that no Keras object made by TF2130 holds alone; "
                "not converted")
    fn = next((a for a in an.ancestors(n) if isinstance(a, cst.FunctionDef)), None)
    param = scope_arg.value.value if scope_arg is not None and isinstance(scope_arg.value, cst.Name) else None
    sort = next((a for a in an.ancestors(n) if isinstance(a, cst.Call) and isinstance(a.func, cst.Name)
                 and a.func.value == "sorted"), None)
    if fn is not None and param is not None and sort is not None and len(objects) >= 2:
        why = an.scope_copy_refusals.get(fn.name.value, "the helper does not have the recognised shape")
        return (f"{spelled} in `{fn.name.value}`, scope `{param}` given by its callers, sorted by TF1 name: the "
                "variables of one variable scope paired by name with another's (a target-network copy). For two "
                "objects made from one model function and no optimizer slot in the scopes yet, that pairing is "
                f"`zip(src.variables, dst.variables)` (same name suffixes, same Keras order), but here {why}; not converted")
    return (f"{spelled}: the variables of one variable scope named by a computed value; Keras names a variable by the "
            "last part of TF1's name only, so name filters and name-sorted pairings do not carry over; not converted")


def find_variable_reads(an: Analysis) -> None:
    """Record the trainable-variable reads outside `minimize(var_list=...)` (checked and
    planned by plan_variable_reads once the generated functions are known)."""
    if not an.models:
        _find_plain_reads(an)
        return
    find_scope_copies(an)
    fetched = _find_fetched_elements(an)
    for n in walk(an.module):
        if id(n) in an.model_nodes or id(n) in an.all_var_lists or id(n) in an.scope_copies or id(n) in fetched:
            continue
        why = _refused_read(an, n)
        if why is not None:
            for ref in (n.func, *(a.value for a in n.args)):  # type: ignore[attr-defined]
                an.collection_refusals[id(ref)] = why
            continue
        if not _is_trainable_read(an, n):
            continue
        an.variable_reads.append(n)  # type: ignore[arg-type]
        an.allowed_refs.add(id(n.func))  # type: ignore[attr-defined]
        if n.args:  # type: ignore[attr-defined]
            an.allowed_refs.add(id(n.args[0].value))  # type: ignore[attr-defined]


def _find_fetched_elements(an: Analysis) -> set[int]:
    """`sess.run(tf.global_variables()[0])` (or `tf.trainable_variables()[k]`): one element
    of the list, the whole fetch of a run, in a program with one Keras object of TF2130 ->
    `<object>.variables[0].numpy()`. The object has its variables when a run that surely
    called it came before (_introspection.fetch_ok, as for the lookups by tensor name); the
    list is TF1's where plan_variable_reads' checks hold (_check_fetched_elements, with
    _global_refusal for GLOBAL_VARIABLES). Returns the ids of the read calls so handled."""
    names = an.instance_names()
    objects = [(fname, names[fname][0]) for fname, fp in an.models.items()
               if fp.external and len(fp.instances) == 1 and names.get(fname)]  # type: ignore[attr-defined]
    external = [fname for fname, fp in an.models.items() if fp.external]  # type: ignore[attr-defined]
    out: set[int] = set()
    for n in walk(an.module):
        if not (isinstance(n, cst.Subscript) and isinstance(n.value, cst.Call) and len(n.slice) == 1
                and isinstance(n.slice[0].slice, cst.Index)):
            continue
        read = n.value
        if id(read) in an.model_nodes or not (is_global_read(an, read) or (an.call_rest(read) == TRAINABLE_READ and not read.args)):
            continue
        arg = an._parents.get(id(n)) if an.find_stmt(n) is not None else None
        run = an._parents.get(id(arg)) if arg is not None else None
        if not (isinstance(arg, cst.Arg) and isinstance(run, cst.Call) and isinstance(run.func, cst.Attribute)
                and run.func.attr.value == "run" and run.args and run.args[0] is arg and arg.keyword is None):
            continue
        index = n.slice[0].slice.value
        if not (isinstance(index, cst.Integer) or (isinstance(index, cst.UnaryOperation) and isinstance(index.operator, cst.Minus)
                                                   and isinstance(index.expression, cst.Integer))):
            continue
        if len(objects) != 1 or len(external) != 1:
            continue  # stays a read (plan_variable_reads refuses it with its reason)
        fname, obj = objects[0]
        attr = "variables" if is_global_read(an, read) else "trainable_variables"
        code = f"{obj}.{attr}"
        an.tensor_reads[id(n)] = (fname, obj, f"{code}[{an.code(index)}]")
        an.fetched_variable_reads.append(read)
        an.allowed_refs.add(id(read.func))
        if read.args:
            an.allowed_refs.add(id(read.args[0].value))
        an.plan.call_builders[id(read)] = _code_builder(code)
        an.plan.dropped.append(n)
        out.add(id(read))
    return out


def _check_fetched_elements(an: Analysis) -> None:
    """The checks of plan_variable_reads for the fetched list elements (_find_fetched_elements)."""
    from rules.tf1_to_tf2._graph import V, Unsupported

    for call in an.fetched_variable_reads:
        spelled = f"`{an.code(an._parents[id(call)])}` (fetched)"
        why = _global_refusal(an) if is_global_read(an, call) else None
        if why is not None:
            raise Unsupported(call, f"{spelled}: {why}; not converted")
        for u in an.units.values():
            for s in u.stmts:
                if s.kind == V:
                    raise Unsupported(s.node, f"{spelled} with variables created outside the model functions that TF2130 "
                                              "makes Keras objects: their place in TF1's collection is not reproduced; not converted")
        for name, fp in an.models.items():
            if any(isinstance(n, cst.Arg) and n.keyword is not None and n.keyword.value == "trainable" for n in walk(fp.node)):  # type: ignore[attr-defined]
                raise Unsupported(call, f"{spelled} and `{name}` creating variables with `trainable=`: which of them TF1 "
                                        "listed depends on the value; not converted")
            own, sub = _own_and_sub(fp)
            if own and sub:
                raise Unsupported(fp.node, f"{spelled} and `{name}` creating variables both itself and through sub-layers: "  # type: ignore[attr-defined]
                                           "Keras lists a layer's own variables before its sub-layers', TF1 in creation order; "
                                           "not converted")
        an.plan.summary += (f"; {spelled[:-10]} becomes `{an.tensor_reads[id(an._parents[id(call)])][2]}.numpy()` "
                            "(TF1's creation order; a run before it built the object)")


SCOPE_KEYS = {"GraphKeys.GLOBAL_VARIABLES": "variables", "GraphKeys.TRAINABLE_VARIABLES": "trainable_variables"}
SLOT_MAKERS = ("minimize", "apply_gradients", "compute_gradients")


def _sorted_scope_read(an: Analysis, value: cst.CSTNode, params: set[str]) -> tuple[str, str] | None:
    """`sorted(tf.get_collection(<GLOBAL|TRAINABLE>_VARIABLES, scope=p), key=lambda v: v.name)`
    with `p` a parameter -> (p, the Keras attribute listing the same variables)."""
    if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "sorted"
            and len(value.args) == 2 and value.args[0].keyword is None and not value.args[0].star):
        return None
    key = value.args[1]
    if key.keyword is None or key.keyword.value != "key" or not isinstance(key.value, cst.Lambda):
        return None
    lam = key.value
    ps = lam.params.params
    if len(ps) != 1 or lam.params.star_arg is not cst.MaybeSentinel.DEFAULT and lam.params.star_arg is not None \
            or not (isinstance(lam.body, cst.Attribute) and lam.body.attr.value == "name"
                    and isinstance(lam.body.value, cst.Name) and lam.body.value.value == ps[0].name.value):
        return None
    read = value.args[0].value
    if not (isinstance(read, cst.Call) and an.call_rest(read) == "get_collection" and len(read.args) == 2
            and read.args[0].keyword is None and an.rest(read.args[0].value) in SCOPE_KEYS):
        return None
    scope = read.args[1]
    if scope.star or (scope.keyword is not None and scope.keyword.value != "scope") \
            or not isinstance(scope.value, cst.Name) or scope.value.value not in params:
        return None
    return scope.value.value, SCOPE_KEYS[an.rest(read.args[0].value)]  # type: ignore[index]


def find_scope_copies(an: Analysis) -> None:
    """A helper that copies one variable scope onto another (a target-network update):

        def copy_params(src_scope, dst_scope):
            src = sorted(tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES, scope=src_scope), key=lambda v: v.name)
            dst = sorted(tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES, scope=dst_scope), key=lambda v: v.name)
            return tf.group(*[tf.assign(d, s) for s, d in zip(src, dst)])

    called only with literal scopes that are exactly the scopes of TF2130 objects made from
    one model function (`copy_params('online', 'target')`), before any optimizer creates
    slot variables. TF1's name-sorted pairing is then `zip(src.variables, dst.variables)`:
    both scopes hold the same name suffixes (same function), a sort by full name orders
    each scope by its suffixes, and Keras lists both objects' variables in the same order
    (same class, same sub-layers), so the same pairs are made; the assigns of one group
    have disjoint targets, so their order is immaterial. The helper then takes the objects
    (`copy_params(q_network_layer, q_network_layer_1)`) and lists `<param>.variables`
    (`.trainable_variables` for TRAINABLE_VARIABLES). Anything else stays refused with
    _scoped_read_reason's reason."""
    objects = _scope_objects(an)
    order = {id(n): i for i, n in enumerate(walk(an.module))}
    first_slot = min((order[id(n)] for n in walk(an.module) if isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute)
                      and n.func.attr.value in SLOT_MAKERS and id(n) not in an.model_nodes), default=None)
    others = any(isinstance(n, (cst.Name, cst.Attribute)) and _makes_scoped_variables(an.rest(n))
                 for n in walk(an.module) if id(n) not in an.model_nodes)
    for fn in an.module.body:
        if not isinstance(fn, cst.FunctionDef) or fn.name.value in an.models or not isinstance(fn.body, cst.IndentedBlock):
            continue
        params = [p.name.value for p in fn.params.params]
        if fn.params.star_arg is not cst.MaybeSentinel.DEFAULT and fn.params.star_arg is not None or fn.params.kwonly_params \
                or fn.params.star_kwarg is not None or any(p.default is not None for p in fn.params.params):
            continue
        lists: dict[str, tuple[str, str, cst.Call]] = {}  # list name -> (scope param, attribute, the sorted call)
        for st in fn.body.body:
            small = only_small_stmt(st)
            if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                got = _sorted_scope_read(an, small.value, set(params))
                if got is not None:
                    lists[small.targets[0].target.value] = (*got, small.value)  # type: ignore[assignment]
        if not lists:
            continue
        why = _copy_refusal(an, fn, params, lists, objects, order, first_slot, others)
        if why is not None:
            an.scope_copy_refusals[fn.name.value] = why
            continue
        calls = [n for n in walk(an.module) if isinstance(n, cst.Call) and isinstance(n.func, cst.Name)
                 and n.func.value == fn.name.value]
        ret = fn.body.body[-1]
        copy_params = {params.index(v[0]) for v in lists.values()}
        for c in calls:
            an.scope_copy_calls.add(id(c))
            an.plan.call_builders[id(c)] = _object_args_builder(
                {i: objects[string_value_of(c.args[i].value)][1] for i in copy_params})  # type: ignore[index]
        an.plan.stmt_builders[id(ret)] = _assign_loop_builder
        an.scope_copy_helpers.add(fn.name.value)
        for _name, (param, attr, call) in lists.items():
            read = call.args[0].value
            an.scope_copies |= {id(n) for n in walk(call)}
            an.allowed_refs |= {id(read.func), id(read.args[0].value)}  # type: ignore[attr-defined]
            an.plan.call_builders[id(call)] = _code_builder(f"{param}.{attr}")
        an.scope_copy_notes.append(f"; `{fn.name.value}` takes the Keras objects instead of scope names and assigns over "
                                   f"`zip(src.{attr}, dst.{attr})` (TF1's name-sorted pairing for two objects of one model "
                                   "function)")


def _copy_refusal(an: Analysis, fn: cst.FunctionDef, params: list[str], lists: dict, objects: dict,  # type: ignore[type-arg]
                  order: dict[int, int], first_slot: int | None, others: bool) -> str | None:
    """Why the scope-copy helper `fn` is not converted (see find_scope_copies), or None."""
    import re

    shape = ("its lists are not only paired by one `tf.group(*[tf.assign(d, s) for s, d in zip(src, dst)])` that "
             "the helper returns")
    # each list is used once, as an argument of one zip(...) of lists only, iterated by
    # a comprehension of assigns inside tf.group(*[...])
    zips = [n for n in walk(fn.body) if isinstance(n, cst.Call) and isinstance(n.func, cst.Name) and n.func.value == "zip"]
    uses = [n for n in walk(fn.body) if isinstance(n, cst.Name) and n.value in lists]
    scope_uses = [n for n in walk(fn.body) if isinstance(n, cst.Name) and n.value in {v[0] for v in lists.values()}]
    if len(zips) != 1 or len(uses) != 2 * len(lists) or len(scope_uses) != len(lists):
        return shape
    z = zips[0]
    if len(z.args) != 2 or any(a.keyword is not None or a.star or not isinstance(a.value, cst.Name)
                               or a.value.value not in lists for a in z.args) \
            or len({a.value.value for a in z.args}) != 2:  # type: ignore[attr-defined]
        return shape
    comp = next((a for a in an.ancestors(z) if isinstance(a, cst.ListComp)), None)
    if comp is None or comp.for_in.iter is not z or comp.for_in.ifs or comp.for_in.inner_for_in is not None \
            or not isinstance(comp.for_in.target, cst.Tuple) or len(comp.for_in.target.elements) != 2:
        return shape
    names = [e.value.value for e in comp.for_in.target.elements if isinstance(e.value, cst.Name)]
    elt = comp.elt
    if len(names) != 2 or not isinstance(elt, cst.Call):
        return shape
    if an.call_rest(elt) == "assign" and len(elt.args) == 2 and all(a.keyword is None for a in elt.args):
        pair = [elt.args[0].value, elt.args[1].value]
    elif isinstance(elt.func, cst.Attribute) and elt.func.attr.value == "assign" and len(elt.args) == 1 \
            and elt.args[0].keyword is None:
        pair = [elt.func.value, elt.args[0].value]
    else:
        return shape
    if sorted(p.value for p in pair if isinstance(p, cst.Name)) != sorted(names):
        return shape
    group = next((a for a in an.ancestors(comp) if isinstance(a, cst.Call)), None)
    if group is None or an.call_rest(group) != "group" or len(group.args) != 1 or group.args[0].star != "*" \
            or group.args[0].value is not comp:
        return shape
    ret = fn.body.body[-1]
    small = only_small_stmt(ret)
    if not (isinstance(small, cst.Return) and small.value is group):
        return shape
    # the calls: literal scopes of objects of one model function, before any slot maker;
    # each result (`update = copy_params(...)`) only run (`sess.run(update)`), as the
    # copy becomes a loop of assigns that returns nothing
    calls = [n for n in walk(an.module) if isinstance(n, cst.Call) and isinstance(n.func, cst.Name)
             and n.func.value == fn.name.value]
    refs = [n for n in walk(an.module) if isinstance(n, cst.Name) and n.value == fn.name.value]
    if not calls or len(refs) != len(calls) + 1:
        return "the helper is used other than by calls"
    if others:
        return ("variables made outside the model functions (tf.Variable, get_variable, an ExponentialMovingAverage's "
                "shadow variables) could fall in the scopes, which Keras objects do not list")
    for fp in an.models.values():
        for n in walk(fp.node):  # type: ignore[attr-defined]
            r = an.rest(n) if isinstance(n, (cst.Name, cst.Attribute)) else None
            if r is not None and ("dropout" in r.lower() or "noise" in r.lower()) and not r.startswith("nn."):
                return (f"`{fp.name}` makes a Keras layer with a random seed state (`tf.{r}`), which Keras lists among "  # type: ignore[attr-defined]
                        "the object's variables and TF1 did not")
    for c in calls:
        line = an.find_stmt(c)
        small = only_small_stmt(line) if line is not None else None
        if not (isinstance(small, cst.Assign) and small.value is c and len(small.targets) == 1
                and isinstance(small.targets[0].target, cst.Name)):
            return f"`{an.code(c)}` is not `name = {fn.name.value}(...)`"
        result = small.targets[0].target.value
        for n in walk(an.module):
            if isinstance(n, cst.Name) and n.value == result and n is not small.targets[0].target:
                arg = next((a for i, a in enumerate(an.ancestors(n)) if i == 1), None)
                run = next((a for i, a in enumerate(an.ancestors(n)) if i == 2), None)
                stmt = next((a for i, a in enumerate(an.ancestors(n)) if i == 3), None)
                if not (isinstance(arg, cst.Arg) and arg.keyword is None and isinstance(run, cst.Call)
                        and isinstance(run.func, cst.Attribute) and run.func.attr.value == "run"
                        and len(run.args) == 1 and run.args[0] is arg and isinstance(stmt, cst.Expr)):
                    return (f"its group `{result}` is used other than by a `sess.run({result})` statement (the copy "
                            "becomes a Python loop of assigns, which returns nothing)")
        if len(c.args) != len(params) or any(a.keyword is not None or a.star for a in c.args):
            return f"`{an.code(c)}` does not pass every scope positionally"
        scopes = [string_value_of(a.value) for a in c.args]
        got = [objects.get(s) if s is not None and re.escape(s) == s
               and not any(o != s and re.match(s, o) for o in objects) else None for s in scopes]
        mine = [got[params.index(v[0])] for v in lists.values()]
        if any(g is None for g in mine) or not _top_level_scopes(an):
            return (f"`{an.code(c)}` does not pass literal scopes that are exactly those of Keras objects made by "
                    "TF2130 (and no other object's prefix)")
        if len({g[0] for g in mine}) != 1:  # type: ignore[index]
            return f"`{an.code(c)}` pairs objects made from different model functions"
        if len({_config_of(an, g[0], g[1]) for g in mine}) != 1:  # type: ignore[index]
            return (f"`{an.code(c)}` pairs objects built with different arguments (other than the scope and "
                    "`trainable=`), whose variables may differ")
        if first_slot is not None and order[id(c)] > first_slot:
            return (f"`{an.code(c)}` comes after an optimizer's minimize/apply_gradients, whose slot variables "
                    "(`<scope>/.../RMSProp`) TF1 lists in the scope and pairs, and Keras objects do not")
    return None


def copy_without_return(an: Analysis, body: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
    """`return copy_params(a, b)` ending a generated function -> `copy_params(a, b)`: the
    converted copy returns nothing (its runs were statements, see _copy_refusal)."""
    last = body[-1] if body else None
    if isinstance(last, cst.SimpleStatementLine) and len(last.body) == 1 and isinstance(last.body[0], cst.Return):
        value = last.body[0].value
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value in an.scope_copy_helpers:
            return [*body[:-1], last.with_changes(body=[cst.Expr(value)])]
    return body


def _assign_loop_builder(updated: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
    """`return tf.group(*[d.assign(s) for s, d in zip(src, dst)])` -> `for s, d in zip(src, dst):
    d.assign(s)` (Keras variables' assign returns the variable, which tf.group does not take)."""
    ret = updated.body[0]
    assert isinstance(ret, cst.Return) and isinstance(ret.value, cst.Call)
    comp = ret.value.args[0].value
    assert isinstance(comp, cst.ListComp)
    loop = cst.For(target=comp.for_in.target, iter=comp.for_in.iter,
                   body=cst.IndentedBlock([cst.SimpleStatementLine([cst.Expr(comp.elt)])]))
    return [loop.with_changes(leading_lines=updated.leading_lines)]


def _trainable_object(an: Analysis, obj: str) -> bool:
    """Whether the TF2130 object `obj` is made with `trainable` True: its constructor passes
    `trainable=True`, or nothing and the function's `trainable` parameter defaults to True
    (or it has none)."""
    names = an.instance_names()
    for fname, fp in an.models.items():
        for i, ctor in enumerate(fp.instances):  # type: ignore[attr-defined]
            if i < len(names.get(fname, [])) and names[fname][i] == obj:
                call = cst.parse_expression(f"f({ctor})")
                assert isinstance(call, cst.Call)
                given = next((a for a in call.args if a.keyword is not None and a.keyword.value == "trainable"), None)
                if given is not None:
                    return isinstance(given.value, cst.Name) and given.value.value == "True"
                param = next((p for p in fp.node.params.params if p.name.value == "trainable"), None)  # type: ignore[attr-defined]
                return param is None or (isinstance(param.default, cst.Name) and param.default.value == "True")
    return False


def _config_of(an: Analysis, fname: str, obj: str) -> str | None:
    """The constructor arguments of the TF2130 object `obj` made from `fname`, without its
    scope (name) and `trainable=` arguments (None when not found)."""
    fp = an.models[fname]
    names = an.instance_names().get(fname, [])
    for i, ctor in enumerate(fp.instances):  # type: ignore[attr-defined]
        if i < len(names) and names[i] == obj:
            call = cst.parse_expression(f"f({ctor})")
            assert isinstance(call, cst.Call)
            skip = {fp.name_param, "trainable"}  # type: ignore[attr-defined]
            return ", ".join(cst.Module([]).code_for_node(a.value) if a.keyword is None
                             else f"{a.keyword.value}={cst.Module([]).code_for_node(a.value)}"
                             for a in call.args if a.keyword is None or a.keyword.value not in skip)
    return None


def _makes_scoped_variables(r: str | None) -> bool:
    """A TF1 name that creates variables outside the model functions (which could fall in
    an object's scope): tf.Variable, get_variable, layers, an EMA's shadow variables."""
    return r is not None and (r in ("Variable", "get_variable", "train.ExponentialMovingAverage")
                              or r.startswith(("layers.", "contrib.", "keras.")))


def only_small_stmt(st: cst.CSTNode) -> cst.BaseSmallStatement | None:
    if isinstance(st, cst.SimpleStatementLine) and len(st.body) == 1:
        return st.body[0]
    return None


def string_value_of(node: cst.CSTNode) -> str | None:
    from rules.tf1_to_tf2._model import string_value
    return string_value(node)  # type: ignore[arg-type]


def _object_args_builder(objs: dict[int, str]):  # type: ignore[no-untyped-def]
    def build(updated: cst.Call) -> cst.BaseExpression:
        args = [a.with_changes(value=cst.Name(objs[i])) if i in objs else a for i, a in enumerate(updated.args)]
        return updated.with_changes(args=args)
    return build


def _post_order(node: cst.CSTNode) -> list[cst.CSTNode]:
    """Nodes in the order their evaluation completes (a call after its arguments)."""
    out: list[cst.CSTNode] = []

    def visit(n: cst.CSTNode) -> None:
        for c in n.children:
            visit(c)
        out.append(n)
    visit(node)
    return out


def _own_and_sub(fp) -> tuple[bool, bool]:  # type: ignore[no-untyped-def]
    """Whether the model function creates variables itself (get_variable/Variable: the
    layer's own weights) / through sub-layers (other model functions, tf.layers, slim)."""
    kinds = {c.kind for c in fp.creators}
    return "var" in kinds, bool(kinds - {"var"})


def plan_variable_reads(an: Analysis) -> None:
    """Each recorded read -> the objects' `trainable_variables` concatenated, after a trace
    of the first generated function (see the module docstring)."""
    from rules.tf1_to_tf2._graph import NEXT, Unsupported, V

    for note in an.scope_copy_notes:
        an.plan.summary += note
    _check_fetched_elements(an)
    if not an.variable_reads:
        return
    if not an.models:
        _plan_plain_reads(an)
        return
    why = _global_refusal(an) if any(is_global_read(an, c) for c in an.variable_reads) else None
    if why is not None:
        raise Unsupported(next(c for c in an.variable_reads if is_global_read(an, c)), f"`tf.global_variables()`: {why}; not converted")
    from rules.tf1_to_tf2._model_variables import is_model_read, refusal
    for c in an.variable_reads:
        why = refusal(an, c) if is_model_read(an, c) else None
        if why is not None:
            raise Unsupported(c, f"`{an.code(c.func)}()`: {why}; not converted")
    for u in an.units.values():
        for s in u.stmts:
            if s.kind == V:
                raise Unsupported(s.node, "`tf.trainable_variables()` with variables created outside the model functions that "
                                          "TF2130 makes Keras objects: their order in TF1's collection is not reproduced; not converted")
    # a read of one object's scope lists what Keras lists when every `trainable=` of its
    # function passes the function's own `trainable` parameter and the object read is made
    # with it True (TF1 lists all its variables, Keras too; with False Keras would also
    # drop the variables of creators that do not pass it, which TF1 listed)
    scoped_only = all(scoped_object(an, c) is not None and _trainable_object(an, scoped_object(an, c))  # type: ignore[arg-type]
                      for c in an.variable_reads)
    for name, fp in an.models.items():
        params = {p.name.value for p in fp.node.params.params}  # type: ignore[attr-defined]
        for n in walk(fp.node):  # type: ignore[attr-defined]
            if isinstance(n, cst.Arg) and n.keyword is not None and n.keyword.value == "trainable" \
                    and not (scoped_only and "trainable" in params and isinstance(n.value, cst.Name) and n.value.value == "trainable"):
                raise Unsupported(n, f"`tf.trainable_variables()` and `{name}` creating variables with `trainable=`: which "
                                     "of them TF1 listed depends on the value; not converted")
        own, sub = _own_and_sub(fp)
        if own and sub:
            raise Unsupported(fp.node, f"`tf.trainable_variables()` and `{name}` creating variables both itself and through "  # type: ignore[attr-defined]
                                       "sub-layers: Keras lists a layer's own variables before its sub-layers', "
                                       "TF1 in creation order; not converted")
    names = an.instance_names()
    traced: dict[int, int] = {}  # id(unit) -> top-level index of the first trace emitted in it
    for call in an.variable_reads:
        line = an.find_stmt(call)
        home_unit = next((x for x in an.units.values() if any(s.node is line for s in x.stmts)), None)
        if home_unit is None:
            raise Unsupported(call, "`tf.trainable_variables()` inside a block or helper; not converted")
        u = home_unit
        read = next(s for s in u.stmts if s.node is line)
        if read.kind != "python":
            raise Unsupported(call, f"`tf.trainable_variables()` in a graph statement ({read.kind}); not converted")
        # the objects in the order of their first call (TF1's creation order)
        first: dict[str, tuple[int, int]] = {}
        for name, fp in an.models.items():
            if not fp.external:  # type: ignore[attr-defined]
                continue  # a sub-layer of other objects only
            if len(fp.instances) != 1 and scoped_object(an, call) is None:  # type: ignore[attr-defined]
                raise Unsupported(call, f"`tf.trainable_variables()` with several Keras objects made from `{name}`; not converted")
            for ext in fp.external:  # type: ignore[attr-defined]
                home = an.find_stmt(ext)
                st = next((s for s in u.stmts if s.node is home), None)
                if st is None:  # a call in a graph-building block (a tower loop): the block
                    st = next((s for a in an.ancestors(ext) for s in u.stmts if s.node is a and id(a) in an.cf_blocks), None)
                if st is None or st.index >= read.index:
                    raise Unsupported(call, f"`tf.trainable_variables()` and a call of `{name}` that is not before it in the same "
                                            "function: TF1 listed the variables created so far; not converted")
                rank = next(i for i, n in enumerate(_post_order(home)) if n is ext)  # type: ignore[arg-type]
                first[name] = min(first.get(name, (st.index, rank)), (st.index, rank))
        if not first:
            raise Unsupported(call, "`tf.trainable_variables()` before any variable is created; not converted")
        order = sorted(first, key=lambda k: first[k])
        # the generated function whose trace builds every object: the first one run after the read
        mine = [v for v in an.variants if v.unit is u]
        runs = sorted((top, i) for i, v in enumerate(mine) for top in v.tops)
        # read after the runs: the objects are built already when a run of a function that
        # calls every object is a statement of its own before the read (it ran); otherwise
        # (runs in loops or blocks, which may not run) the trace below builds them (a trace
        # of a traced function returns its cached concrete function, running nothing)
        built = any(top < read.index and isinstance(u.body[top], cst.SimpleStatementLine)
                    and _calls_every(an, mine[i], order) for top, i in runs)
        built = built or traced.get(id(u), len(u.body)) < read.index  # an earlier read's trace
        if not runs:
            raise Unsupported(call, "`tf.trainable_variables()` in a function without converted runs; not converted")
        var = mine[runs[0][1]]
        scoped = scoped_object(an, call)
        if var.anchor >= read.index and scoped is not None:
            _move_scoped_read(an, u, read, call, scoped, order, mine, runs)
            traced[id(u)] = min(traced.get(id(u), len(u.body)), max(v.anchor for v in mine))
            continue
        filters = _prefix_filters(an, u, read, call) if var.anchor >= read.index else None
        if filters is not None:
            an.plan.remove.add(id(read.node))
            for stmt, name, obj in filters:
                _move_scoped_read(an, u, stmt, call, obj, order, mine, runs, bound_name=name)
            traced[id(u)] = min(traced.get(id(u), len(u.body)), max(v.anchor for v in mine))
            continue
        if var.anchor >= read.index:
            raise Unsupported(call, "`tf.trainable_variables()` before the point where the converted functions are defined; not converted")
        if any(p.stmt.kind == NEXT for p in var.params):
            raise Unsupported(call, "`tf.trainable_variables()` before a function of dataset elements (no input signature to "
                                    "trace it with); not converted")
        if not built:
            if id(line) in an.plan.stmt_builders:
                raise Unsupported(call, "`tf.trainable_variables()` twice in one statement; not converted")
            for name in order:  # one object each: any call of it builds it
                if not _calls_every(an, var, [name]):
                    raise Unsupported(call, f"`tf.trainable_variables()`: the first converted run does not call `{name}`, so "
                                            "tracing it would not build every object; not converted")
        check_name_uses(an, call, line)
        objects = [scoped] if scoped is not None else [names[name][0] for name in order]
        attr = "variables" if is_global_read(an, call) else "weights" if is_model_read(an, call) else "trainable_variables"
        code = " + ".join(f"{o}.{attr}" for o in objects)
        an.plan.call_builders[id(call)] = _code_builder(code)
        an.plan.dropped.append(call)
        kind = ("GLOBAL_VARIABLES read (here only the model's variables: plain gradient descent makes no slots)"
                if is_global_read(an, call) else "count of MODEL_VARIABLES (the slim layers' variables)"
                if is_model_read(an, call) else "TRAINABLE_VARIABLES read")
        order = "" if is_model_read(an, call) else "TF1's creation order; "  # a count: the order does not matter
        if built:
            an.plan.summary += f"; the {kind} becomes `{code}` ({order}a run before it built the objects)"
            continue
        prev = an.plan.stmt_builders.get(id(line))  # _tf1_names' lookup line first
        an.plan.stmt_builders[id(line)] = _trace_before(var) if prev is None else _tf1_names.chain(prev, _trace_before(var))
        traced[id(u)] = min(traced.get(id(u), len(u.body)), read.index)
        how = " (TF1's creation order)" if order else ""
        an.plan.summary += (f"; the {kind} becomes `{code}`{how}, read after "
                            "`get_concrete_function()` traces the first function and so builds the objects")


def _calls_every(an: Analysis, var, order: list[str]) -> bool:  # type: ignore[no-untyped-def]
    """Whether the generated function `var` calls every model function in `order` (one
    object each: any call of it builds it)."""
    members = {id(m.node) for m in var.members} | ({id(m.node) for m in var.helper.members} if var.helper is not None else set())
    # (a call in a moved graph-building block, a tower loop: the block is the member)
    return all(any(id(an.find_stmt(ext)) in members or any(id(a) in members and id(a) in an.cf_blocks for a in an.ancestors(ext))
                   for ext in an.models[name].external) for name in order)  # type: ignore[attr-defined]


def _move_scoped_read(an: Analysis, u, read, call: cst.Call, obj: str, order: list[str], mine: list, runs: list,  # type: ignore[no-untyped-def]
                      bound_name: str | None = None) -> None:
    """`online_vars = tf.get_collection(TRAINABLE_VARIABLES, scope='online')` before the
    point where the converted functions are defined: the line moves after them, behind a
    trace of the first function run that calls every object (which builds them, as its
    first run would have, before any run reads their variables), as `online_vars =
    q_network_layer.trainable_variables`. Between its old and new place the list may only
    be the `var_list` of a minimize, which the train step reads from the object itself
    (`[v.value for v in q_network_layer.trainable_variables]` for a kept TF1 optimizer,
    which cannot apply gradients to Keras variables)."""
    from rules.tf1_to_tf2._graph import NEXT, TRAIN, Unsupported

    line = read.node
    small = line.body[0] if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1 else None
    if bound_name is not None:
        name = bound_name  # a prefix filter of the whole list (_prefix_filters)
    elif not (isinstance(small, cst.Assign) and small.value is call and len(small.targets) == 1
              and isinstance(small.targets[0].target, cst.Name)):
        raise Unsupported(call, "a scoped TRAINABLE_VARIABLES read before the converted functions that is not `name = <read>`; not converted")
    else:
        name = small.targets[0].target.value
    var = None
    for _top, i in runs:
        v = mine[i]
        members = {id(m.node) for m in v.members} | ({id(m.node) for m in v.helper.members} if v.helper is not None else set())
        if all(any(id(an.find_stmt(ext)) in members for ext in an.models[f].external) for f in order):  # type: ignore[attr-defined]
            var = v
            break
    if var is None:
        raise Unsupported(call, f"`{an.code(call)}`: no converted run calls every Keras object, so no trace builds `{obj}`; not converted")
    if any(p.stmt.kind == NEXT for p in var.params):
        raise Unsupported(call, f"`{an.code(call)}` before a function of dataset elements (no input signature to trace it with); not converted")
    anchor = max(v.anchor for v in mine)
    bound = sum(1 for s in u.stmts if name in s.defines)
    if bound != 1:
        raise Unsupported(call, f"`{name}` (a scoped variable list) is bound more than once; not converted")
    var_lists = []
    for s in u.stmts:
        if s.index <= read.index or s.index > anchor:
            continue
        used = [n for n in walk(s.node) if isinstance(n, cst.Name) and n.value == name]
        if not used:
            continue
        tr = an.train_ops.get(id(s))
        if s.kind != TRAIN or tr is None or not isinstance(tr.var_list, cst.Name) or tr.var_list.value != name or len(used) != 1:
            raise Unsupported(call, f"`{name}` (a scoped variable list) is used before the converted functions are defined, "
                                    "other than as a minimize var_list; not converted")
        var_lists.append(tr)
    _check_moved_list_uses(an, u, line, name, call)
    for tr in var_lists:
        # a kept TF1 optimizer cannot apply gradients to Keras variables: it gets the
        # tf.Variables under them (what the tape watches); a Keras optimizer the object's own
        kept = an.kept_v1(an.optimizer_call(tr))
        tr.var_list = cst.parse_expression(f"[v.value for v in {obj}.trainable_variables]" if kept
                                           else f"{obj}.trainable_variables")
    an.plan.remove.add(id(line))
    anchor_stmt = u.body[anchor]
    anchor_stmt = an.metric_synthetic.get(id(anchor_stmt), anchor_stmt)
    code = f"{obj}.trainable_variables"
    trace = f"{var.name}.get_concrete_function()  # builds the Keras objects (their variables)"
    late = an.plan.inserts.setdefault(id(anchor_stmt), [])
    prev = next((x for x in late if isinstance(x, LateLines) and x.trace == trace), None)
    if prev is not None:  # a second moved read: after the same trace
        prev.add(read.index, f"{name} = {code}", line)  # type: ignore[arg-type]
    else:
        late.append(LateLines(trace, read.index, f"{name} = {code}", line))  # type: ignore[arg-type]
    what = (f"the TRAINABLE_VARIABLES name filter `{name}`" if bound_name is not None
            else "the scoped TRAINABLE_VARIABLES read")
    an.plan.summary += (f"; {what} becomes `{code}`, read after `get_concrete_function()` traces "
                        "a function that calls every object (and so builds them), after the converted functions")


def _prefix_filters(an: Analysis, u, read, call: cst.Call) -> list | None:  # type: ignore[no-untyped-def,type-arg]
    """`t_vars = tf.trainable_variables()` before the point where the generated functions
    are defined, used only by name-prefix filters, each the whole value of a statement of
    the same function:

        g_vars = [var for var in t_vars if var.name.startswith('generator')]

    TF1 names every variable of a TF2130 object made from a function whose creators all sit
    in one literal `with tf.variable_scope('generator'):` `generator/<name>:0`, and the
    collection lists the variables created so far in creation order; the program creates
    variables nowhere else (plan_variable_reads refuses other creators). A prefix `P` of
    `generator/` that is no prefix of another object's `<scope>/` (and no other object's
    `<scope>/` a prefix of `P`) therefore selects exactly that object's variables, in the
    order it created them, which is the order Keras lists its `trainable_variables` in (own
    weights in creation order; plan_variable_reads refuses objects with both own weights and
    sub-layers, and `trainable=` arguments). A function that makes `tf.Variable`s (named by
    TF1's name scope, which a second call uniquifies to `generator_1/`) must be called once.
    Each filter line then becomes `g_vars = generator_layer.trainable_variables`, moved as a
    scoped read (_move_scoped_read), and the read itself goes. None when the read is not
    `name = <read>` used only so (the caller's refusal stands); Unsupported for a filter
    that does not select exactly one object's variables."""
    from rules.tf1_to_tf2._graph import Unsupported
    from rules.tf1_to_tf2._model import string_value

    line = read.node
    small = only_small_stmt(line)
    if not (isinstance(small, cst.Assign) and small.value is call and len(small.targets) == 1
            and isinstance(small.targets[0].target, cst.Name)):
        return None
    t = small.targets[0].target.value
    if sum(1 for s in u.stmts if t in s.defines) != 1:
        return None
    uses = [n for n in walk(u.node) if isinstance(n, cst.Name) and n.value == t and n is not small.targets[0].target]
    if not uses:
        return None
    by_stmt = {id(s.node): s for s in u.stmts}
    objects = _scope_objects(an)
    names = an.instance_names()
    made = {o for fname, fp in an.models.items() if fp.external for o in names.get(fname, [])}  # type: ignore[attr-defined]
    out = []
    for n in uses:
        comp = next((a for i, a in enumerate(an.ancestors(n)) if i == 2), None)  # Name <- CompFor <- ListComp
        if not (isinstance(comp, cst.ListComp) and comp.for_in.iter is n):
            return None
        stmt = an.find_stmt(comp)
        st = by_stmt.get(id(stmt))
        fsmall = only_small_stmt(stmt) if stmt is not None else None
        if st is None or st.index <= read.index or not (isinstance(fsmall, cst.Assign) and fsmall.value is comp
                                                        and len(fsmall.targets) == 1 and isinstance(fsmall.targets[0].target, cst.Name)):
            return None
        f = comp.for_in
        cond = f.ifs[0].test if len(f.ifs) == 1 else None
        if not (isinstance(f.target, cst.Name) and isinstance(comp.elt, cst.Name) and comp.elt.value == f.target.value
                and f.inner_for_in is None and f.asynchronous is None and isinstance(cond, cst.Call)
                and isinstance(cond.func, cst.Attribute) and cond.func.attr.value == "startswith"
                and isinstance(cond.func.value, cst.Attribute) and cond.func.value.attr.value == "name"
                and isinstance(cond.func.value.value, cst.Name) and cond.func.value.value.value == f.target.value
                and len(cond.args) == 1 and cond.args[0].keyword is None and not cond.args[0].star):
            return None
        prefix = string_value(cond.args[0].value)
        spelled = an.code(comp)
        if not prefix:
            raise Unsupported(call, f"`{spelled}`: a name filter whose prefix is not a non-empty string literal; not converted")
        if not _top_level_scopes(an) or made - {o for _f, o in objects.values()}:
            raise Unsupported(call, f"`{spelled}`: a name filter over Keras objects not every one of which has its own "
                                    "literal variable scope; not converted")
        hit = [(sc, fo) for sc, fo in objects.items() if (sc + "/").startswith(prefix) or prefix.startswith(sc + "/")]
        if len(hit) != 1 or not (hit[0][0] + "/").startswith(prefix):
            why = ("the variables of several Keras objects" if len(hit) > 1 else
                   "only some of one Keras object's variables" if hit else "no Keras object's variables")
            raise Unsupported(call, f"`{spelled}`: TF1's names starting with {prefix!r} are {why}; not converted")
        scope, (fname, obj) = hit[0]
        fp = an.models[fname]
        if len(fp.external) != 1 and any(isinstance(x, (cst.Name, cst.Attribute)) and an.rest(x) == "Variable"  # type: ignore[attr-defined]
                                         for x in walk(fp.node)):  # type: ignore[attr-defined]
            raise Unsupported(call, f"`{spelled}`: `{fname}` makes tf.Variables and is called more than once (TF1 names "
                                    f"the second call's `{scope}_1/...`); not converted")
        out.append((st, fsmall.targets[0].target.value, obj))
    return out


def _check_moved_list_uses(an: Analysis, u, line: cst.CSTNode, name: str, call: cst.Call) -> None:  # type: ignore[no-untyped-def]
    """The moved list `name` may be counted (`len(name)`), iterated without reading the
    variables' names, or be a minimize `var_list` (checked by the caller): Keras names a
    variable `w` where TF1 had `scope/w:0`, so anything else that could print, select or
    pair by name would silently change."""
    from rules.tf1_to_tf2._graph import Unsupported

    inside = {id(n) for n in walk(line)}
    for n in walk(u.node):
        if not (isinstance(n, cst.Name) and n.value == name) or id(n) in inside:
            continue
        up = list(an.ancestors(n))
        parent = up[1] if len(up) > 1 else None
        if isinstance(parent, cst.Arg) and len(up) > 2 and isinstance(up[2], cst.Call):
            c = up[2]
            if isinstance(c.func, cst.Name) and c.func.value == "len" and len(c.args) == 1:
                continue
            if isinstance(c.func, cst.Attribute) and c.func.attr.value == "minimize" and parent.keyword is not None \
                    and parent.keyword.value == "var_list":
                continue
        loop = parent if isinstance(parent, (cst.CompFor, cst.For)) and parent.iter is n else None
        scope = up[2] if isinstance(loop, cst.CompFor) and len(up) > 2 else loop
        if scope is not None and not any(isinstance(a, cst.Attribute) and a.attr.value in NAME_ATTRS for a in walk(scope)):
            continue
        raise Unsupported(call, f"`{name}` (the variables of a Keras object) is used other than by `len(...)`, iteration "
                                "that does not read their names, or a minimize var_list: Keras names a variable `w` where "
                                "TF1 had `scope/w:0`; not converted")


class LateLines:
    """Statements inserted after the generated functions (with the moved line's comments)."""

    def __init__(self, trace: str, index: int, line: str, moved: cst.SimpleStatementLine) -> None:
        self.trace = trace
        self.moved: list[tuple[int, str, cst.SimpleStatementLine]] = [(index, line, moved)]

    def add(self, index: int, line: str, moved: cst.SimpleStatementLine) -> None:
        """One more moved line (after the same trace, in the order of the original lines)."""
        self.moved.append((index, line, moved))

    def statements(self) -> list[cst.BaseStatement]:
        out = [cst.parse_statement(self.trace + "\n")]
        out[0] = out[0].with_changes(leading_lines=[cst.EmptyLine(indent=False)])  # type: ignore[union-attr]
        for _index, code, moved in sorted(self.moved, key=lambda m: m[0]):
            st = cst.parse_statement(code + "\n")
            comments = [ln for ln in moved.leading_lines if ln.comment is not None]
            if comments:  # the moved line's own comments go with it
                st = st.with_changes(leading_lines=comments)  # type: ignore[union-attr]
            out.append(st)
        return out


NAME_ATTRS = {"name", "op"}  # TF1 variable names: Keras names a variable by the last part only


def check_name_uses(an: Analysis, call: cst.Call, line: cst.CSTNode | None) -> None:
    """The variables' TF1 names may only be listed for printing: `names = [v.name for v in
    tf.trainable_variables()]` used in `print(...)`/`len(...)` (the printed text changes, which
    the finding says). Names that select, sort or key anything (`v.name.startswith(...)`,
    `sorted(..., key=lambda v: v.name)`, `v.op.name`) refuse: Keras' `W` is not TF1's
    `siamese/fc1/W:0`."""
    from rules.tf1_to_tf2._graph import Unsupported

    why = ("the listed variables' TF1 names are used (Keras names a variable `W`, TF1 `scope/W:0`; `.op` does not exist), "
           "so what they select or print would differ; not converted")
    lists: set[str] = set()  # names bound to the list itself
    small = line.body[0] if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1 else None
    printed: str | None = None  # `names = [v.name for v in <read>]`
    bound: cst.CSTNode | None = None  # the Name the statement binds
    if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
        bound = small.targets[0].target
        target = small.targets[0].target.value
        if small.value is call:
            lists.add(target)
        elif isinstance(small.value, cst.ListComp) and small.value.for_in.iter is call and not small.value.for_in.ifs \
                and small.value.for_in.inner_for_in is None and isinstance(small.value.for_in.target, cst.Name) \
                and isinstance(small.value.elt, cst.Attribute) and small.value.elt.attr.value == "name" \
                and isinstance(small.value.elt.value, cst.Name) and small.value.elt.value.value == small.value.for_in.target.value:
            printed = target
    for n in walk(an.module):
        # anything iterating over the list (or the read) and reading `.name`/`.op` of its items
        iters: list[tuple[cst.CSTNode, cst.CSTNode]] = []
        if isinstance(n, (cst.ListComp, cst.GeneratorExp, cst.SetComp, cst.DictComp)):
            if printed is not None and isinstance(small, cst.Assign) and n is small.value:
                continue
            f: cst.CompFor | None = n.for_in
            while f is not None:
                iters.append((f.iter, n))
                f = f.inner_for_in
        elif isinstance(n, cst.For):
            iters.append((n.iter, n))
        for it, scope in iters:
            if (it is call or (isinstance(it, cst.Name) and it.value in lists)) \
                    and any(isinstance(a, cst.Attribute) and a.attr.value in NAME_ATTRS for a in walk(scope)):
                if _tf1_names.plan(an, call, line, scope):
                    continue
                raise Unsupported(call, f"`tf.trainable_variables()`: {why}")
        if isinstance(n, cst.Attribute) and n.attr.value in NAME_ATTRS and isinstance(n.value, cst.Subscript) \
                and isinstance(n.value.value, cst.Name) and n.value.value.value in lists:
            raise Unsupported(call, f"`tf.trainable_variables()`: {why}")
        if isinstance(n, cst.Call) and isinstance(n.func, cst.Name) and n.func.value == "sorted" \
                and any(a.keyword is not None and a.keyword.value == "key" for a in n.args) \
                and any((isinstance(a.value, cst.Name) and a.value.value in lists) or a.value is call for a in n.args):
            raise Unsupported(call, f"`tf.trainable_variables()`: {why}")
    if printed is not None:
        for n in walk(an.module):
            if isinstance(n, cst.Name) and n.value == printed and n is not bound \
                    and not any(isinstance(a, cst.Call) and isinstance(a.func, cst.Name) and a.func.value in ("print", "len")
                                for a in an.ancestors(n)):
                raise Unsupported(call, f"`tf.trainable_variables()`: {why}")
        an.plan.summary += (f"; the variable names `{printed}` lists are Keras' (`W`), not TF1's (`scope/W:0`): "
                            "what the program prints of them changes")
    iterated = {id(f.iter) for f in walk(an.module) if isinstance(f, (cst.CompFor, cst.For))}
    for n in walk(an.module):
        if isinstance(n, cst.Name) and n.value in lists and n is not bound and id(n) not in iterated:
            parent = next(a for i, a in enumerate(an.ancestors(n)) if i == 2)
            if not (isinstance(parent, cst.Call) and isinstance(parent.func, cst.Name) and parent.func.value == "len"):
                raise Unsupported(call, f"`tf.trainable_variables()` bound to `{n.value}`, which is used other than by "
                                        "`len(...)` or iteration; not converted")


def _code_builder(code: str):  # type: ignore[no-untyped-def]
    def build(updated: cst.Call) -> cst.BaseExpression:
        return cst.parse_expression(code)
    return build


def _trace_before(var):  # type: ignore[no-untyped-def]
    def build(updated: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
        trace = cst.parse_statement(f"{var.name}.get_concrete_function()  # builds the Keras objects (their variables)\n")
        return [trace.with_changes(leading_lines=updated.leading_lines), updated.with_changes(leading_lines=[])]
    return build


# -- unscoped TRAINABLE_VARIABLES reads in straight-line code without model functions ------

# TF1 names whose calls make trainable variables other than by the accepted statements below
# (layers, Keras objects, RNN cells and unrolls, slim/contrib layers, feature columns,
# templates); optimizer slots, global steps, metrics and EMA shadows are not trainable
_TRAINABLE_MAKERS = ("Variable", "get_variable", "make_template", "nn.dynamic_rnn",
                     "nn.static_rnn", "nn.bidirectional_dynamic_rnn", "nn.static_bidirectional_rnn", "nn.raw_rnn",
                     "nn.static_state_saving_rnn")
_TRAINABLE_MAKER_PREFIXES = ("layers.", "keras.", "nn.rnn_cell.", "contrib.", "feature_column.", "estimator.")
# references under those prefixes that make no variable
_NOT_MAKERS = ("keras.initializers.", "keras.regularizers.", "keras.activations.", "keras.losses.",
               "contrib.layers.xavier_initializer", "contrib.layers.xavier_initializer_conv2d",
               "contrib.layers.variance_scaling_initializer", "contrib.layers.l1_regularizer",
               "contrib.layers.l2_regularizer", "contrib.layers.sum_regularizer", "keras.optimizers.",
               "contrib.seq2seq.sequence_loss")
PLAIN_WHY = "its order and content are only reproduced for variables made one by one by named `tf.Variable` / `tf.get_variable` statements"


def _plain_read(an: Analysis, n: cst.CSTNode) -> bool:
    """`tf.trainable_variables()` / `tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES)` (no scope)."""
    if not isinstance(n, cst.Call):
        return False
    r = an.call_rest(n)
    if r == TRAINABLE_READ and not n.args:
        return True
    return (r == "get_collection" and len(n.args) == 1 and n.args[0].keyword is None
            and an.rest(n.args[0].value) == "GraphKeys.TRAINABLE_VARIABLES")


def _find_plain_reads(an: Analysis) -> None:
    """Record the unscoped TRAINABLE_VARIABLES reads of a program without TF2130 model
    functions (planned by _plan_plain_reads). With layers, cells or other makers of
    trainable variables in the file, the read is refused at once, naming the first one."""
    # `minimize(loss, var_list=tf.trainable_variables())`: every trainable variable, what the
    # train step's tape watches (as with model functions: Analysis.model_idioms)
    for n in walk(an.module):
        if isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value == "minimize":
            for a in n.args:
                if a.keyword is not None and a.keyword.value == "var_list" and _plain_read(an, a.value):
                    an.all_var_lists.add(id(a.value))
                    an.allowed_refs.add(id(a.value.func))  # type: ignore[attr-defined]
                    if a.value.args:  # type: ignore[attr-defined]
                        an.allowed_refs.add(id(a.value.args[0].value))  # type: ignore[attr-defined]
    from rules.tf1_to_tf2._rnn_stacked import stack_ref

    # a MultiRNNCell unrolled by static_rnn: planned below where _rnn_stacked.py converts it
    refs = {id(m) for m, r in an.tf_refs(an.module) if _makes_trainable(r) and r not in ("Variable", "get_variable")
            and not stack_ref(r)}
    other = next((m for m in walk(an.module) if id(m) in refs), None)  # the first in the source
    for n in walk(an.module):
        if id(n) in an.all_var_lists or not _plain_read(an, n):
            continue
        if other is not None:
            why = (f"`{an.code(n)}` and `{an.code(other)}`: {PLAIN_WHY} (TF1 listed the variables of layers and cells in "
                   "the order they were built); not converted")
            for ref in (n.func, *(a.value for a in n.args)):  # type: ignore[attr-defined]
                an.collection_refusals[id(ref)] = why
            continue
        an.variable_reads.append(n)  # type: ignore[arg-type]
        an.allowed_refs.add(id(n.func))  # type: ignore[attr-defined]
        if n.args:  # type: ignore[attr-defined]
            an.allowed_refs.add(id(n.args[0].value))  # type: ignore[attr-defined]


def _joined(parts: list[str]) -> str:
    """Names and `[...]` comprehensions (the variables of converted RNN layers) in order ->
    one list expression: `[w, b]`, `[v for ...] + [w, b]`."""
    out: list[str] = []
    run: list[str] = []
    for p in parts:
        if p.startswith("["):
            if run:
                out.append("[" + ", ".join(run) + "]")
                run = []
            out.append(p)
        else:
            run.append(p)
    if run:
        out.append("[" + ", ".join(run) + "]")
    return " + ".join(out)


def _makes_trainable(r: str | None) -> bool:
    if r is None:
        return False
    if r.startswith(_NOT_MAKERS):
        return False
    return r in _TRAINABLE_MAKERS or r.startswith(_TRAINABLE_MAKER_PREFIXES)


def _bindings(node: cst.CSTNode, name: str) -> int:
    """How many times `name` is bound in `node` (assignment targets, loop targets, `as`)."""
    count = 0
    for n in walk(node):
        targets: list[cst.CSTNode] = []
        if isinstance(n, cst.Assign):
            targets = [t.target for t in n.targets]
        elif isinstance(n, (cst.AugAssign, cst.AnnAssign)):
            targets = [n.target]
        elif isinstance(n, cst.For):
            targets = [n.target]
        elif isinstance(n, cst.AsName):
            targets = [n.name]
        elif isinstance(n, (cst.Global, cst.Nonlocal)):
            count += sum(1 for g in n.names if g.name.value == name)
        for t in targets:
            count += sum(1 for x in walk(t) if isinstance(x, cst.Name) and x.value == name)
    return count


def _trainable_of(an: Analysis, st) -> tuple[str | None, str | None]:  # type: ignore[no-untyped-def]
    """(the variable's name, None) when the statement `name = tf.Variable(...)` /
    `tf.get_variable(...)` makes one trainable variable, (None, None) for one made with
    `trainable=False`, (None, why) when that cannot be told."""
    from rules.tf1_to_tf2._graph import GLOBAL_STEP_MAKERS

    small = only_small_stmt(st.node)
    code_ = an.code(st.node).strip()
    if isinstance(small, cst.Assign) and an.call_rest(small.value) in GLOBAL_STEP_MAKERS:
        return None, None  # TF1's global step is not trainable
    if not (isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name)
            and isinstance(small.value, cst.Call) and an.call_rest(small.value) in ("Variable", "get_variable")):
        return None, f"`{code_}` makes variables other than one named tf.Variable / tf.get_variable"
    call = small.value
    r = an.call_rest(call)
    positional = [a for a in call.args if a.keyword is None]
    if any(a.star for a in call.args) or len(positional) > (5 if r == "get_variable" else 1):
        return None, f"`{code_}` passes arguments by position or unpacked that may set `trainable`"
    trainable: cst.BaseExpression | None = None
    for a in call.args:
        if a.keyword is not None and a.keyword.value in ("collections", "synchronization", "use_resource", "custom_getter"):
            return None, f"`{code_}` passes `{a.keyword.value}=`"
        if a.keyword is not None and a.keyword.value == "trainable":
            trainable = a.value
    if trainable is None or (isinstance(trainable, cst.Name) and trainable.value == "True"):
        return small.targets[0].target.value, None
    if isinstance(trainable, cst.Name) and trainable.value == "False":
        return None, None
    return None, f"`{code_}` passes `trainable={an.code(trainable)}`"


def _plan_plain_reads(an: Analysis) -> None:
    """Each unscoped TRAINABLE_VARIABLES read of a program without model functions -> the
    list of the variables made before it, in creation order (`[w1, b1, w2, b2]`).

    TF1's collection holds every trainable variable created so far, in creation order, and
    the read returns a new Python list of them. Converted where every variable of the file
    is made by a top-level statement `name = tf.Variable(...)` / `tf.get_variable(...)` of
    the unit that reads (kept in place by the conversion: the same objects, made in the
    same order), each name bound once in that unit: the list names, in statement order, the
    ones made before the read whose `trainable=` is absent or True. Everything else that
    makes trainable variables (tf.layers, Keras layers, RNN cells, contrib/slim layers,
    helpers that make variables, variables in blocks) and variable-scope reuse (get_variable
    returning an existing variable) is refused, as are `trainable=` values other than a
    literal, `collections=` and positional arguments that may set them. Optimizer slots,
    global steps, metric and moving-average variables are not trainable in TF1."""
    from rules.tf1_to_tf2._graph import V, Unsupported

    lists: list[str] = []
    for call in an.variable_reads:
        spelled = f"`{an.code(call)}`"
        line = an.find_stmt(call)
        u = next((x for x in an.units.values() if any(s.node is line for s in x.stmts)), None)
        if u is None:
            raise Unsupported(call, f"{spelled} inside a block or helper; not converted")
        read = next(s for s in u.stmts if s.node is line)
        accepted: set[int] = set()
        names: list[str] = []
        from rules.tf1_to_tf2._rnn_stacked import trainable_entries
        stacks, stack_nodes = trainable_entries(an, u, read.index)
        for other in an.units.values():
            for s in other.stmts:
                if s.kind != V:
                    continue
                if other is not u:
                    raise Unsupported(call, f"{spelled} with variables also made in `{other.name}`: {PLAIN_WHY}; not converted")
                if id(s.node) in stack_nodes:  # the lines of a converted RNN stack: its layers' entry
                    accepted.add(id(s.node))
                    continue
                name, why = _trainable_of(an, s)
                if why is not None:
                    raise Unsupported(call, f"{spelled}: {why}; {PLAIN_WHY}; not converted")
                accepted.add(id(s.node))
                if name is not None and s.index < read.index:
                    if _bindings(u.node, name) != 1:
                        raise Unsupported(call, f"{spelled}: `{name}` is bound more than once in `{u.name}`, so it may not "
                                                "name the variable where the list is read; not converted")
                    names.append(name)
                    stacks.append((s.index, name))
        prefixes = {id(n.value) for n in walk(an.module) if isinstance(n, cst.Attribute)}  # `tf.contrib` of `tf.contrib.x`
        for n in walk(an.module):
            if isinstance(n, cst.Arg) and n.keyword is not None and n.keyword.value == "reuse":
                raise Unsupported(call, f"{spelled} and a variable scope with `reuse=` (get_variable may return an existing "
                                        "variable); not converted")
            if isinstance(n, cst.Attribute) and n.attr.value == "reuse_variables":
                raise Unsupported(call, f"{spelled} and `reuse_variables()` (get_variable may return an existing variable); "
                                        "not converted")
            if isinstance(n, (cst.Name, cst.Attribute)) and _makes_trainable(an.rest(n)) and id(n) not in stack_nodes \
                    and id(n) not in prefixes:
                home = an.find_stmt(n)
                if home is None or id(home) not in accepted:
                    raise Unsupported(call, f"{spelled} and `{an.code(n)}` outside a statement `name = tf.Variable(...)` / "
                                            f"`tf.get_variable(...)` of `{u.name}`: {PLAIN_WHY}; not converted")
        if not stacks:
            raise Unsupported(call, f"{spelled} before any variable is created; not converted")
        code_ = _joined([c for _, c in sorted(stacks, key=lambda e: e[0])])
        an.plan.dropped.append(call)
        if code_.startswith("[v for layer in "):  # Keras RNN layers: read after a trace (_rnn_stacked.py)
            from rules.tf1_to_tf2._rnn_stacked import late_read
            late_read(an, u, read, call, code_)
        else:
            an.plan.call_builders[id(call)] = _code_builder(code_)
        if code_ not in lists:
            lists.append(code_)
    an.plan.summary += (f"; the TRAINABLE_VARIABLES read{'s' if len(an.variable_reads) > 1 else ''} become"
                        f"{'' if len(an.variable_reads) > 1 else 's'} {', '.join(f'`{c}`' for c in lists)} (the trainable "
                        "variables made before each read, in TF1's creation order)")
