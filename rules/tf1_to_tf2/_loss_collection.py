"""TF2130 + TF2120: the CIFAR-10 tutorial's 'losses' collection.

The model's weight-decay helper adds `tf.multiply(tf.nn.l2_loss(var), wd)` to a graph
collection (TF2130 makes each term the regularizer of the layer's variable: it is in the
object's `losses`, computed from the current weights at every read), the loss helper adds
the cross-entropy and sums the collection, and the script counts it::

    def loss(logits, labels):
        ...
        tf.add_to_collection('losses', cross_entropy_mean)
        return tf.add_n(tf.get_collection('losses'), name='total_loss')

    total_loss = loss(logits, labels)
    ... len(tf.get_collection('losses')) ...

become an explicit list passed to the helper (TF2 has no collections)::

    def loss(logits, labels, regularization_losses):
        ...
        return tf.add_n(regularization_losses + [cross_entropy_mean], name='total_loss')

    total_loss = loss(logits, labels, inference_layer.losses)
    ... len(inference_layer.losses) + 1 ...

TF1's collection held the terms in creation order, then the cross-entropy: the same terms
in the same order. Recognised: one loss helper (a module-level function called once) with
one `tf.add_to_collection(KEY, <name>)` at its top level and `return
tf.add_n(tf.get_collection(KEY)[, name=...])` as its last statement, and reads
`len(tf.get_collection(KEY))`. Any other use of the key keeps TF2130's refusal; TF2120
checks the order (every regularized object called before the helper in each function that
calls it, the count read after a run that built the objects) and refuses otherwise, and a
refusal of TF2120 withdraws TF2130's acceptance (`withdraw`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from migrate.cstutil import walk as _nodes

if TYPE_CHECKING:
    from rules.tf1_to_tf2._graph import Analysis

# ctx.state keys: TF2120 runs in this pass (it converts the reads); TF2120 refused the file
# (TF2130 must not move the terms out of a collection that is still read)
ENABLED = "tf2120-enabled"
WITHDRAWN = "tf2130-loss-reads-withdrawn"

READS = {"get_collection", "get_collection_ref", "losses.get_losses", "losses.get_total_loss",
         "losses.get_regularization_loss", "losses.get_regularization_losses", "add_to_collection", "add_to_collections"}


@dataclass
class LossCollection:
    key: str
    fn: cst.FunctionDef  # the loss helper
    add_stmt: cst.SimpleStatementLine
    added: cst.Name
    summed: cst.Call  # the get_collection call summed by the return's add_n
    counts: list[tuple[cst.Call, cst.Call]] = field(default_factory=list)  # (len call, get_collection call)

    def read_calls(self) -> set[int]:
        return {id(self.summed), id(self.add_stmt.body[0].value)} | {id(g) for _l, g in self.counts}  # type: ignore[attr-defined]


def _key(call: cst.Call) -> str | None:
    if not call.args or call.args[0].keyword is not None:
        return None
    v = call.args[0].value
    return str(v.evaluated_value) if isinstance(v, cst.SimpleString) else None


def recognise(module: cst.Module, rest: Callable[[cst.BaseExpression], str | None], key: str,
              skip_fns: set[str]) -> LossCollection | str:
    """The loss helper and the counts of collection `key` (see the module docstring), or
    why the file's uses of the key are not that. `skip_fns`: the weight-decay helpers
    (their adds become regularizers)."""
    parents: dict[int, cst.CSTNode] = {}
    for n in _nodes(module):
        for c in n.children:
            parents[id(c)] = n
    skip = {id(n) for st in module.body if isinstance(st, cst.FunctionDef) and st.name.value in skip_fns for n in _nodes(st)}
    adds, sums, counts = [], [], []
    for n in _nodes(module):
        if not isinstance(n, cst.Call) or id(n) in skip:
            continue
        r = rest(n.func)
        if r not in READS:
            continue
        k = _key(n)
        if r == "add_to_collections":
            return "`tf.add_to_collections` is not converted"
        if r.startswith("losses.") and key in ("losses", "regularization_losses"):
            return f"`tf.{r}()` reads the collection"
        if k is None and not r.startswith("losses."):
            return f"`tf.{r}` with a key that is not a string literal"
        if k != key:
            continue
        parent = parents.get(id(n))
        if r == "add_to_collection":
            adds.append(n)
        elif r == "get_collection" and isinstance(parent, cst.Arg) and len(n.args) == 1:
            outer = parents.get(id(parent))
            if isinstance(outer, cst.Call) and outer.args and outer.args[0] is parent and parent.keyword is None:
                if rest(outer.func) == "add_n" and all(a.keyword is not None and a.keyword.value == "name" for a in outer.args[1:]):
                    sums.append((outer, n))
                    continue
                if isinstance(outer.func, cst.Name) and outer.func.value == "len" and len(outer.args) == 1:
                    counts.append((outer, n))
                    continue
            return f"`tf.get_collection({key!r})` is read other than summed by a loss helper's `tf.add_n` or counted with `len`"
        else:
            return f"`tf.{r}({key!r})` is not converted"
    if len(adds) != 1 or len(sums) != 1:
        return (f"the collection {key!r} is added to {len(adds)} time(s) and summed {len(sums)} time(s) outside the "
                "weight-decay helper (converted: one `tf.add_to_collection` and one `return tf.add_n(tf.get_collection(...))` "
                "in one loss helper)")
    add, (add_n, summed) = adds[0], sums[0]
    fn = next((st for st in module.body if isinstance(st, cst.FunctionDef) and isinstance(st.body, cst.IndentedBlock)
               and any(n is add for n in _nodes(st))), None)
    if fn is None:
        return "the collection is added to outside a function"
    body = list(fn.body.body)  # type: ignore[union-attr]
    add_stmt = next((st for st in body if isinstance(st, cst.SimpleStatementLine) and len(st.body) == 1
                     and isinstance(st.body[0], cst.Expr) and st.body[0].value is add), None)
    last = body[-1]
    if add_stmt is None or not (len(add.args) == 2 and add.args[1].keyword is None and isinstance(add.args[1].value, cst.Name)):
        return f"`tf.add_to_collection({key!r}, ...)` is not a statement of its own adding a named tensor at the top of `{fn.name.value}`"
    if not (isinstance(last, cst.SimpleStatementLine) and len(last.body) == 1 and isinstance(last.body[0], cst.Return)
            and last.body[0].value is add_n) or body.index(add_stmt) > body.index(last):
        return f"`{fn.name.value}` does not end with `return tf.add_n(tf.get_collection({key!r}))`"
    if any(isinstance(n, cst.Return) for st in body[:-1] for n in _nodes(st)):
        return f"`{fn.name.value}` returns early"
    return LossCollection(key, fn, add_stmt, add.args[1].value, summed, counts)


# -- TF2120 --------------------------------------------------------------------------------


def convert(an: Analysis) -> None:
    """Plans the rewrite when TF2130 moved a weight-decay collection's terms into its
    objects' `losses` on the strength of `recognise` (Factory.converted_reads)."""
    from rules.tf1_to_tf2._graph import Unsupported

    mp = an.ctx.state.get("tf2130-plan")
    if mp is None or not an.models:
        return
    facs = {name: f for name, f in mp.factories.items() if getattr(f, "converted_reads", False)}
    if not facs:
        return
    keys = {f.key for f in facs.values()}
    if len(keys) != 1:
        raise Unsupported(an.module, "weight-decay terms in several collections; not converted")
    key = keys.pop()
    got = recognise(an.module, an.rest, key, set(mp.factories))
    assert not isinstance(got, str), got  # TF2130 took the helpers on this condition
    users = []
    for name, fp in an.models.items():
        if any(c.fn[len("factory:"):] in facs for c in fp.creators if c.fn.startswith("factory:")):  # type: ignore[attr-defined]
            users.append(name)
            if an.regularized(fp):
                raise Unsupported(fp.node, f"`{name}` also has regularizers of its own (collection REGULARIZATION_LOSSES): "  # type: ignore[attr-defined]
                                           f"its `losses` would mix them into the collection {key!r}; not converted")
    names = an.instance_names()
    for name in users:
        callers = [m for m, fp in an.models.items() if m != name and any(
            isinstance(n, cst.Call) and isinstance(n.func, cst.Name) and n.func.value == name for n in _nodes(fp.node))]  # type: ignore[attr-defined]
        if callers:
            raise Unsupported(an.models[name].node, f"`{name}` (weight decay in {key!r}) is called by `{callers[0]}`; not converted")  # type: ignore[attr-defined]
        if not names.get(name):
            raise Unsupported(an.models[name].node, f"`{name}` has no object to read the weight-decay terms from; not converted")  # type: ignore[attr-defined]
    parts = [f"{inst}.losses" for name in users for inst in names[name]]
    terms = " + ".join(parts)
    fn = got.fn
    helper_calls = [n for n in _nodes(an.module) if isinstance(n, cst.Call) and isinstance(n.func, cst.Name)
                    and n.func.value == fn.name.value]
    if len(helper_calls) != 1:
        raise Unsupported(fn, f"`{fn.name.value}` (it sums the collection {key!r}) is called {len(helper_calls)} times; not converted")
    hcall = helper_calls[0]
    if id(hcall) in an.model_nodes:
        raise Unsupported(hcall, f"`{fn.name.value}` (it sums the collection {key!r}) is called in a model function; not converted")
    if any(a.star for a in hcall.args) or not isinstance(fn.params, cst.Parameters) or fn.params.star_kwarg is not None \
            or fn.params.kwonly_params or isinstance(fn.params.star_arg, cst.Param):
        raise Unsupported(hcall, f"`{fn.name.value}` has */** parameters or arguments; not converted")
    taken = {n.value for n in _nodes(fn) if isinstance(n, cst.Name)}
    param = "regularization_losses"
    i = 2
    while param in taken:
        param, i = f"regularization_losses_{i}", i + 1
    plan = an.plan
    added = got.added.value

    def new_def(updated: cst.FunctionDef) -> list[cst.BaseStatement]:
        ps = list(updated.params.params)
        last = ps[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) if ps else None
        new = [*ps[:-1], last] if last is not None else []
        return [updated.with_changes(params=updated.params.with_changes(params=[*new, cst.Param(cst.Name(param))]))]

    plan.stmt_builders[id(fn)] = new_def
    plan.remove.add(id(got.add_stmt))
    plan.dropped.append(got.add_stmt)
    plan.call_builders[id(got.summed)] = lambda _u: cst.parse_expression(f"{param} + [{added}]")
    plan.dropped.append(got.summed)

    def call_with_terms(updated: cst.Call) -> cst.BaseExpression:
        args = list(updated.args)
        if args:
            args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        return updated.with_changes(args=[*args, cst.Arg(cst.parse_expression(terms))])

    plan.call_builders[id(hcall)] = call_with_terms
    for len_call, g in got.counts:
        # TF1 counted the terms of the objects' variables and the one term the helper added
        plan.call_builders[id(len_call)] = lambda _u: cst.parse_expression(f"len({terms}) + 1")
        plan.dropped.append(g)
    for n in _nodes(an.module):
        if isinstance(n, cst.Call) and id(n) in got.read_calls():
            an.allowed_refs.add(id(n.func))
    an.loss_collection = (got, users, hcall)  # type: ignore[attr-defined]


def check(an: Analysis) -> None:
    """After the runs are planned: every function run that calls the loss helper calls the
    regularized objects before it (their `losses` are empty until their first call builds
    the weights), and every count is read after a run that called them."""
    from rules.tf1_to_tf2._graph import Unsupported

    lc = getattr(an, "loss_collection", None)
    if lc is None:
        return
    got, users, hcall = lc

    def calls_users(stmt) -> bool:  # type: ignore[no-untyped-def]
        return any(isinstance(n, cst.Call) and isinstance(n.func, cst.Name) and n.func.value in users for n in _nodes(stmt.node))

    built_at: dict[int, int] = {}  # unit id -> first top of a run whose function builds the objects
    seen = False
    for v in an.variants:
        members = list(v.members) + (list(v.helper.members) if v.helper is not None else [])
        at = next((i for i, m in enumerate(members) if any(n is hcall for n in _nodes(m.node))), None)
        if any(calls_users(m) for m in members) and v.tops:
            built_at[id(v.unit)] = min(built_at.get(id(v.unit), 10**9), min(v.tops))
        if at is None:
            continue
        seen = True
        if not all(any(isinstance(n, cst.Call) and isinstance(n.func, cst.Name) and n.func.value == u for m in members[:at] for n in _nodes(m.node))
                   for u in users):
            raise Unsupported(hcall, f"`{got.fn.name.value}` sums the collection {got.key!r} in a run that does not call "
                                     f"{', '.join(f'`{u}`' for u in users)} before it (the objects' `losses` are empty until their "
                                     "first call builds the weights); not converted")
    if not seen:
        raise Unsupported(hcall, f"`{got.fn.name.value}` (it sums the collection {got.key!r}) is not called in a run; not converted")
    for len_call, _g in got.counts:
        stmt = an.find_stmt(len_call)
        u = next((u for u in an.units.values() if any(s.node is stmt for s in u.stmts)), None)
        top = next((s.index for s in u.stmts if s.node is stmt), None) if u is not None else None
        if u is None or top is None or id(u) not in built_at or built_at[id(u)] >= top:
            raise Unsupported(len_call, f"`len(tf.get_collection({got.key!r}))` before a run that builds the objects holding the "
                                        "weight-decay terms (or in another function); not converted")


def withdraw(ctx) -> None:  # type: ignore[no-untyped-def]
    """TF2120 does not convert the file: TF2130 must plan again without counting on the
    reads being converted (the next model_plans call recomputes)."""
    ctx.state[WITHDRAWN] = True
    mp = ctx.state.get("tf2130-plan")
    if mp is not None and any(getattr(f, "converted_reads", False) for f in mp.factories.values()):
        del ctx.state["tf2130-plan"]
