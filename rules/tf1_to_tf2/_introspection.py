"""TF2120: a variable looked up by its TF1 name in the default graph.

`sess.run(tf.get_default_graph().get_tensor_by_name('bn1/moving_mean:0'))`: the tensor
`<name>:0` of a variable that a model function creates (here the moving mean of
`tf.layers.batch_normalization(..., name='bn1')`). When TF2130 makes that function a
Keras layer, the variable is an attribute of the object: its TF1 name is a key of the
class's TF1_VARIABLE_NAMES, whose value is the Keras path under the layer (`bn1/moving_mean`:
sub-layer `bn1`, weight `moving_mean`). The run becomes a read of that attribute,
`model_fn_layer.bn1.moving_mean.numpy()`: the variable's current value, as the TF1 run
fetched it.

Converted only when: the lookup is the whole fetch of a run without feeds (the chained
`tf.get_default_graph().get_tensor_by_name('<literal>:0')` form); the name is `<v>:0` with
`v` a TF1 name of exactly one object (one instance of one model function); the Keras path
is a weight of a sub-layer (`<layer>/<weight>`, a Keras attribute of that name) or a
variable of the object itself; the run is in the function that holds the object, after a
run (at an earlier top-level statement) whose generated function calls the object (Keras
creates the variables on the first call). Anything else keeps the refusal, with the reason
why this lookup is not converted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:
    from rules.tf1_to_tf2._graph import Analysis, Unit

# the Keras attribute of each weight name that a tf.layers layer's Keras counterpart has
_WEIGHTS = {"kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance", "embeddings"}


def find_tensor_reads(an: Analysis, refs: list[tuple[cst.CSTNode, str]]) -> None:
    """Allow the `get_default_graph` references of convertible lookups (an.tensor_reads:
    id(lookup call) -> (model function, instance, attribute code)); record a precise
    reason for the others."""
    if not an.models:
        return
    instances = None
    for node, r in refs:
        if r != "get_default_graph":
            continue
        an.find_stmt(node)  # builds the parent map
        inner = node if isinstance(node, cst.Call) else next((a for a in an.ancestors(node) if isinstance(a, cst.Call)), None)
        if not (isinstance(inner, cst.Call) and inner.func is node and not inner.args):
            continue
        attr = an._parents.get(id(inner))
        outer = an._parents.get(id(attr)) if attr is not None else None
        if not (isinstance(attr, cst.Attribute) and attr.attr.value == "get_tensor_by_name" and isinstance(outer, cst.Call)
                and outer.func is attr):
            continue
        if instances is None:
            instances = an.instance_names()
        found, why = _resolve(an, outer, instances)
        if found is None:
            an.collection_refusals[id(node)] = why
            continue
        an.tensor_reads[id(outer)] = found
        an.allowed_refs |= {id(node), id(attr)}
        code = found[2]
        an.plan.call_builders[id(outer)] = lambda _updated, code=code: cst.parse_expression(code)  # type: ignore[misc]
        an.plan.dropped.append(outer)


def _resolve(an: Analysis, call: cst.Call, instances: dict[str, list[str]]) -> tuple[tuple[str, str, str] | None, str]:
    from rules.tf1_to_tf2._common import code

    spelled = f"`{code(call)}`"
    if len(call.args) != 1 or call.args[0].keyword is not None or not isinstance(call.args[0].value, cst.SimpleString):
        return None, f"{spelled}: the tensor name is not a string literal"
    name = call.args[0].value.evaluated_value
    if not isinstance(name, str) or not name.endswith(":0"):
        return None, f"{spelled}: only `<variable name>:0` is looked up as a variable of a Keras object"
    tf1 = name[:-2]
    owners = [fn for fn, fp in an.models.items() if tf1 in fp.names]  # type: ignore[attr-defined]
    if len(owners) != 1 or len(instances.get(owners[0], [])) != 1:
        return None, (f"{spelled}: `{tf1}` is not the TF1 name of a variable of exactly one Keras object made by TF2130 "
                      "(read the variable from the object that owns it)")
    fp = an.models[owners[0]]
    path = fp.names[tf1].split("/")  # type: ignore[attr-defined]
    attrs = None
    for c in fp.creators:  # type: ignore[attr-defined]
        if len(path) == 2 and c.kind == "layer" and c.keras_name == path[0] and path[1] in _WEIGHTS:
            attrs = [c.attr, path[1]]
        elif len(path) == 1 and c.kind == "var" and c.keras_name == path[0]:
            attrs = [c.attr]
    if attrs is None:
        return None, f"{spelled}: the Keras path `{fp.names[tf1]}` of `{tf1}` is not a weight attribute of a sub-layer"  # type: ignore[attr-defined]
    inst = instances[owners[0]][0]
    return (owners[0], inst, ".".join([inst, *attrs])), ""


def fetch_ok(an: Analysis, u: Unit, top: int, node: cst.CSTNode, feed: bool) -> bool:
    """`node`, fetched by a run at top-level statement `top` of `u`, is a converted lookup
    (raises Unsupported when it is one that cannot be read there)."""
    from rules.tf1_to_tf2._graph import Unsupported, walk

    found = an.tensor_reads.get(id(node))
    if found is None:
        return False
    fn, inst, _code = found
    fp = an.models[fn]
    if feed:
        raise Unsupported(node, "a variable looked up with get_tensor_by_name is fetched with a feed_dict; not converted")
    if fp.home is not None and fp.home != u.name:  # type: ignore[attr-defined]
        raise Unsupported(node, f"`{inst}` is made in `{fp.home}`, the lookup runs in `{u.name}`; not converted")  # type: ignore[attr-defined]

    def calls_model(m) -> bool:  # type: ignore[no-untyped-def]
        return m.value is not None and any(isinstance(n, cst.Call) and isinstance(n.func, cst.Name) and n.func.value == fn
                                           for n in walk(m.value))

    mine = set(map(id, an.ancestors(node)))
    built = False
    for su, _top, call, *_rest in an.run_sites:  # in source order: the earlier runs
        if id(call) in mine:
            break
        v = an.site_variants.get(id(call))
        if su is u and v is not None and any(calls_model(m) for m in v.members) and _surely_ran(an, call, mine):
            built = True
    if not built:
        raise Unsupported(node, f"the lookup of a variable of `{inst}` is not preceded by a run that surely calls `{fn}` "
                                "(Keras creates the variables on the first call); not converted")
    an.tensor_reads_done.add(id(node))
    return True


def _surely_ran(an: Analysis, call: cst.Call, later: set[int]) -> bool:
    """The run `call` has run when the code at `later` (its ancestors' ids) runs: every
    block around `call` that is not around `later` too is a `with` or a `for` over
    `range(<positive literal>)`."""
    for a in an.ancestors(call):
        if id(a) in later:
            return True
        if isinstance(a, (cst.If, cst.Else, cst.Try, cst.ExceptHandler, cst.Finally, cst.While, cst.FunctionDef,
                          cst.Lambda, cst.ListComp, cst.GeneratorExp, cst.IfExp, cst.BooleanOperation)):
            return False
        if isinstance(a, cst.For):
            it = a.iter
            if not (isinstance(it, cst.Call) and isinstance(it.func, cst.Name) and it.func.value == "range"
                    and len(it.args) == 1 and isinstance(it.args[0].value, cst.Integer) and int(it.args[0].value.value) > 0):
                return False
    return True


def check_all_read(an: Analysis) -> None:
    """Every converted lookup was a fetch of a run."""
    from rules.tf1_to_tf2._graph import Unsupported

    for oid in an.tensor_reads:
        if oid not in an.tensor_reads_done:
            node = next(d for d in an.plan.dropped if id(d) == oid)
            raise Unsupported(node, "`get_tensor_by_name` is used other than as the whole fetch of a run; not converted")


# -- `len(update_ops)` ---------------------------------------------------------------------
# tf.layers functions whose Keras layer has no non-trainable weights (batch normalization
# has two, the moving mean and variance, the variables its two update ops assign)
_NO_STATE = {"dense", "conv1d", "conv2d", "conv3d", "separable_conv2d", "conv2d_transpose", "max_pooling1d",
             "max_pooling2d", "max_pooling3d", "average_pooling1d", "average_pooling2d", "average_pooling3d",
             "flatten", "dropout"}


def update_counts(an: Analysis, body: list[cst.BaseStatement], st: cst.BaseStatement, name: str) -> list[tuple[cst.Call, str]]:
    """The `len(<name>)` reads of `<name> = tf.get_collection(tf.GraphKeys.UPDATE_OPS)`
    (statement `st` of `body`) that count the batch-normalization updates of one Keras
    object: TF1's collection held two update ops (moving mean, moving variance) per
    tf.layers batch normalization built in training mode (a placeholder or True) before
    the read. With the object made once, the same count is
    `len(obj.non_trainable_weights)` (its moving means and variances) when: the model
    function is the only one, has one instance, is called once in the graph code before
    `st` with a training mode that is not `False`, and builds only tf.layers layers
    without other non-trainable weights (no `trainable=` arguments, no variables of its
    own, no nested model functions). Any other case returns [] (the read is refused)."""
    from rules.tf1_to_tf2._graph import walk
    from rules.tf1_to_tf2._model import bind_call

    stmts: list = list(body)  # type: ignore[type-arg]
    lens = [n for n in walk(cst.Module(body=stmts)) if isinstance(n, cst.Call) and isinstance(n.func, cst.Name)
            and n.func.value == "len" and len(n.args) == 1 and isinstance(n.args[0].value, cst.Name)
            and n.args[0].value.value == name and n.args[0].keyword is None]
    if not lens or len(an.models) != 1:
        return []
    fn, fp = next(iter(an.models.items()))
    if len(fp.instances) != 1:  # type: ignore[attr-defined]
        return []
    for c in fp.creators:  # type: ignore[attr-defined]
        if c.kind != "layer" or (c.fn != "batch_normalization" and c.fn not in _NO_STATE):
            return []
        if any(a.keyword is not None and a.keyword.value == "trainable" for a in c.node.args):
            return []
    index = body.index(st)
    calls = [n for i, s in enumerate(body) for n in walk(s) if isinstance(n, cst.Call) and isinstance(n.func, cst.Name)
             and n.func.value == fn and i < index]
    later = [n for i, s in enumerate(body) for n in walk(s) if isinstance(n, cst.Call) and isinstance(n.func, cst.Name)
             and n.func.value == fn and i > index]
    if len(calls) != 1 or later:
        return []
    if fp.training is not None:  # type: ignore[attr-defined]
        binding = bind_call(calls[0], fp)  # type: ignore[arg-type]
        if binding is None:
            return []
        value = binding[fp.training].value if fp.training in binding else fp.training_default  # type: ignore[attr-defined]
        if value is None or (isinstance(value, cst.Name) and value.value in ("False", "None")):
            return []
    elif not an.fixed_training(fp):
        return []
    return [(n, fn) for n in lens]


def check_update_counts(an: Analysis) -> None:
    """Each `len(update_ops)` read surely follows a run that called the object (its
    weights exist): it becomes `len(obj.non_trainable_weights)`."""
    from rules.tf1_to_tf2._graph import Unsupported, walk

    if not an.update_counts:
        return
    instances = an.instance_names()
    for call, fn in an.update_counts:
        inst = instances[fn][0]
        mine = set(map(id, an.ancestors(call)))
        built = False
        for _su, _top, run, *_rest in an.run_sites:
            if id(run) in mine:
                break
            v = an.site_variants.get(id(run))
            if v is not None and _surely_ran(an, run, mine) and any(
                    m.value is not None and any(isinstance(n, cst.Call) and isinstance(n.func, cst.Name) and n.func.value == fn
                                                for n in walk(m.value)) for m in v.members):
                built = True
        if not built:
            raise Unsupported(call, f"`{an.code(call)}` counts the batch-normalization update ops; its Keras counterpart "
                                    f"`len({inst}.non_trainable_weights)` needs a run that called `{inst}` before it; not converted")
        an.plan.call_builders[id(call)] = lambda upd, inst=inst: upd.with_changes(  # type: ignore[misc]
            args=[upd.args[0].with_changes(value=cst.parse_expression(f"{inst}.non_trainable_weights"))])


# -- precise refusals for programs that inspect or re-import their graph -------------------


def check_graph_inspection(an: Analysis, refs: list[tuple[cst.CSTNode, str]]) -> None:
    """Raise the precise reason for the graph uses no rewrite can keep: a TF1 graph
    exported and re-imported through a .meta file (what to write instead, from the file's
    own collection keys and tensor names), and listings of the graph's operations."""
    from rules.tf1_to_tf2._graph import Unsupported, walk

    meta = next((n for n, r in refs if r == "train.import_meta_graph"), None) or \
        next((n for n, r in refs if r == "train.export_meta_graph"), None)
    if meta is not None:
        keys: list[str] = []
        names: list[str] = []
        for n in walk(an.module):
            if not (isinstance(n, cst.Call) and n.args and isinstance(n.args[0].value, cst.SimpleString)):
                continue
            value = n.args[0].value.evaluated_value
            r = an.call_rest(n) if not isinstance(n.func, cst.Attribute) or n.func.attr.value != "get_tensor_by_name" else "lookup"
            if r in ("get_collection", "add_to_collection") and value not in keys:
                keys.append(value)  # type: ignore[arg-type]
            elif r == "lookup" and value not in names:
                names.append(value)  # type: ignore[arg-type]
        found = "; ".join(part for part in (
            f"collections {', '.join(repr(k) for k in keys)}" if keys else "",
            f"tensors {', '.join(repr(k) for k in names)}" if names else "") if part)
        raise Unsupported(meta, "`tf.train.import_meta_graph` / `export_meta_graph`: the program saves its TF1 graph in a .meta "
                                "file, imports it into a new graph and runs it by name"
                                + (f" ({found})" if found else "") + "; eager TF2 has no graph to import into, so this is "
                                "migrated by hand: export a tf.Module holding the layers and the optimizer, with one "
                                "tf.function per thing the importer runs (a train step for a train op, a function of "
                                "the inputs for each output tensor), with `tf.saved_model.save(module, export_dir)` and "
                                "call those functions of `tf.saved_model.load(export_dir)` instead of the names (or "
                                "rebuild the model in code and `tf.train.Checkpoint(...).restore(...)` its weights); "
                                "the file keeps tf.compat.v1 and its Session")
    for node, r in refs:
        if r != "get_default_graph" or id(node) in an.allowed_refs:
            continue
        an.find_stmt(node)  # builds the parent map
        call = an._parents.get(id(node))
        attr = an._parents.get(id(call)) if call is not None else None
        if isinstance(call, cst.Call) and isinstance(attr, cst.Attribute) and attr.attr.value == "get_operations":
            raise Unsupported(node, "`tf.get_default_graph().get_operations()`: the program lists the operations of its TF1 "
                                    "graph (their types, such as 'Assign'); eager TF2 builds no graph, and the graph a "
                                    "tf.function traces (`fn.get_concrete_function(...).graph.get_operations()`) holds "
                                    "other operations (AssignVariableOp, ReadVariableOp, no Assign), so no rewrite prints "
                                    "what it printed: remove or rewrite that inspection by hand; the file keeps "
                                    "tf.compat.v1 and its Session")


#: Attributes of a Keras layer or model that list its weights.
_KERAS_WEIGHT_LISTS = frozenset({
    "weights", "trainable_weights", "non_trainable_weights",
    "variables", "trainable_variables", "non_trainable_variables",
})


def keras_weight_shapes(an: Analysis) -> None:
    """`w.get_shape().as_list()` of a weight of a Keras object -> `list(w.shape)`.

    TF1's tf.keras made tf.Variables; in TF2 (Keras 3) `model.trainable_weights` holds
    Keras variables, which have `shape` (a tuple) but no `get_shape()`: the TF1 spelling
    would raise AttributeError in the migrated program. `list(w.shape)` gives the same list
    for both (for a tf.Variable or a tensor too). Converted where `w` is the loop variable
    of a `for` or a comprehension over `<object>.<weight list>` (`trainable_weights`,
    `weights`, `variables`, ...)."""
    from rules.tf1_to_tf2._graph import walk

    for node in walk(an.module):
        if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            loops = []
            comp: cst.CompFor | None = node.for_in
            while comp is not None:
                loops.append(comp)
                comp = comp.inner_for_in
            scope: cst.CSTNode = node
        elif isinstance(node, cst.For):
            loops = [node]
            scope = node
        else:
            continue
        names = {
            loop.target.value
            for loop in loops
            if isinstance(loop.target, cst.Name)
            and isinstance(loop.iter, cst.Attribute)
            and loop.iter.attr.value in _KERAS_WEIGHT_LISTS
        }
        if not names:
            continue
        for inner in walk(scope):
            if (
                isinstance(inner, cst.Call)
                and not inner.args
                and isinstance(inner.func, cst.Attribute)
                and inner.func.attr.value == "as_list"
                and isinstance(inner.func.value, cst.Call)
                and not inner.func.value.args
                and isinstance(inner.func.value.func, cst.Attribute)
                and inner.func.value.func.attr.value == "get_shape"
                and isinstance(inner.func.value.func.value, cst.Name)
                and inner.func.value.func.value.value in names
            ):
                an.plan.call_builders[id(inner)] = _shape_list


def _shape_list(updated: cst.Call) -> cst.BaseExpression:
    receiver = updated.func.value.func.value  # type: ignore[attr-defined]
    return cst.Call(
        func=cst.Name("list"),
        args=[cst.Arg(cst.Attribute(value=receiver, attr=cst.Name("shape")))],
        lpar=updated.lpar,
        rpar=updated.rpar,
    )
