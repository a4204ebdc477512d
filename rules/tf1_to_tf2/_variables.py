"""TF2120: `tf.get_variable` and `tf.variable_scope` in straight-line graph code.

Not a rule module. Called by ``Analysis.run`` (rules/tf1_to_tf2/_graph.py) before the
graph-only check. In the statements of a unit (the module body or a module-level function
that runs a session and is not a TF2130 model function), outside any loop, branch or
nested function:

    with tf.variable_scope('s'):                    # opened (dedented): the `with` goes
        w = tf.get_variable('w', [3, 1], initializer=tf.zeros_initializer())
        v = tf.Variable(tf.ones([2]))

becomes

    w = tf.Variable(tf.zeros([3, 1]), name='s/w')
    v = tf.Variable(tf.ones([2]), name='s/Variable')

so the variables are created once, where TF1 created them, and keep their TF1 names
(`migrate convert-checkpoint` maps old checkpoints by them). The initial value comes from
the initializer through ``tables/initializers.json`` (TF1's defaults where TF2's differ);
no initializer means TF1 get_variable's default, glorot uniform for floats and zeros for
integers and booleans. The rest of TF2120 then treats them as the `tf.Variable`s they are.

Everything this cannot prove keeps TF2120's refusal, with the precise reason attached to
the `tf.get_variable` / `tf.variable_scope` reference it concerns (``an.scope_refusals``,
read by the graph-only check so the first reason in the file is still the one reported):
scopes with reuse or any argument other than a literal name, `as` targets, blocks holding
compound statements, calls of functions that create variables inside a scope, get_variable
with regularizer=/partitioner=/collections=/custom getters/constraints, initializers not in
the table, computed names or shapes, duplicate names (TF1 raised), a function creating
variables that is called more than once or runs no session (a helper of the session code:
TF2130/TF2131's business), get_variable inside an expression.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import libcst as cst

from migrate.cstutil import keyword_args
from rules.tf1_to_tf2._common import code, tf_root

if TYPE_CHECKING:
    from rules.tf1_to_tf2._graph import Analysis

TABLE: dict[str, dict[str, Any]] = {
    k: v for k, v in json.loads((Path(__file__).resolve().parent / "tables" / "initializers.json").read_text()).items()
    if not k.startswith("_")}

GET_VARIABLE = "get_variable"
SESSION_NAMES = ("Session", "InteractiveSession", "get_default_session")
VARIABLE_SCOPE = "variable_scope"
# tf.compat.v1.get_variable's parameters, in order
PARAMS = ["name", "shape", "dtype", "initializer", "regularizer", "trainable", "collections", "caching_device",
          "partitioner", "validate_shape", "use_resource", "custom_getter", "constraint", "synchronization",
          "aggregation"]
SCOPE_PARAMS = ["name_or_scope", "default_name", "values", "initializer", "regularizer", "caching_device",
                "partitioner", "custom_getter", "reuse", "dtype", "use_resource", "constraint",
                "auxiliary_name_scope"]
VARIABLE_PARAMS = ["initial_value", "trainable", "collections", "validate_shape", "caching_device", "name"]
# get_variable arguments with no tf.Variable counterpart (a value other than None is refused)
NOT_CONVERTED = {
    "regularizer": "TF1 adds its loss to the REGULARIZATION_LOSSES collection, which eager TF2 does not have",
    "collections": "graph collections do not exist in eager TF2",
    "caching_device": "device placement of variable reads is not converted",
    "partitioner": "partitioned variables have no eager TF2 counterpart",
    "custom_getter": "a custom getter changes how the variable is made",
    "constraint": "TF1 optimizers applied the constraint after each update, Keras optimizers do not for a tf.Variable",
    "synchronization": "distribution settings are not converted",
    "aggregation": "distribution settings are not converted",
}
FLOAT_DTYPES = {"float16", "float32", "float64", "bfloat16", "half", "double", "dtypes.float16", "dtypes.float32",
                "dtypes.float64", "dtypes.bfloat16"}
ZERO_DTYPES = {f"{p}{t}" for p in ("", "dtypes.") for t in ("int8", "int16", "int32", "int64", "uint8", "uint16",
                                                            "uint32", "uint64", "bool", "string")}


def _args(call: cst.Call, params: list[str]) -> dict[str, cst.Arg] | None:
    """Parameter -> argument, or None for `*args`/`**kwargs` or too many positionals."""
    return keyword_args(call, params)


def session_bodies(an: Analysis) -> list[tuple[cst.FunctionDef | None, list[cst.BaseStatement]]]:
    """The module's statements and those of each function that is not a TF2130 model."""
    bodies: list[tuple[cst.FunctionDef | None, list[cst.BaseStatement]]] = [(None, list(an.module.body))]
    for st in an.module.body:
        if isinstance(st, cst.FunctionDef) and st.name.value not in an.models and isinstance(st.body, cst.IndentedBlock):
            bodies.append((st, list(st.body.body)))
    return bodies


def _is_none(node: cst.BaseExpression | None) -> bool:
    return node is None or (isinstance(node, cst.Name) and node.value == "None")


def _string(node: cst.BaseExpression | None) -> tuple[str, str] | None:
    """The value and quote of a plain string literal."""
    if not isinstance(node, cst.SimpleString) or node.prefix.lower() not in ("", "u"):
        return None
    value = ast.literal_eval(node.value)
    return (value, node.quote) if isinstance(value, str) else None


def _number(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, (cst.Minus, cst.Plus)):
        node = node.expression
    return isinstance(node, (cst.Integer, cst.Float)) or (isinstance(node, cst.Name) and node.value in ("True", "False"))


def _plain_shape(node: cst.BaseExpression) -> str | None:
    """Why the shape cannot be written as it is (None: it can): only literals, names,
    attributes of names and arithmetic on them, in a list or tuple or alone."""
    stack: list[cst.CSTNode] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, (cst.List, cst.Tuple)):
            stack.extend(e.value for e in n.elements)
        elif isinstance(n, (cst.Integer, cst.Name)):
            continue
        elif isinstance(n, cst.Attribute):
            stack.append(n.value)
        elif isinstance(n, cst.BinaryOperation):
            stack += [n.left, n.right]
        elif isinstance(n, cst.UnaryOperation):
            stack.append(n.expression)
        else:
            return f"the shape `{code(node)}` is computed; write it as a list of Python ints"
    return None


class _Refused(Exception):
    def __init__(self, node: cst.CSTNode, why: str) -> None:
        super().__init__(why)
        self.node = node
        self.why = why


class VariableConversion:
    """The conversion of one file: fills ``an.scope_withs`` (With nodes to open, by id),
    ``an.allowed_refs``, ``an.scope_refusals`` and the plan's call builders."""

    def __init__(self, an: Analysis) -> None:
        self.an = an
        self.used: dict[str, int] = {}  # TF1 op names taken (for the uniquified tf.Variable names)
        self.full_names: set[str] = set()  # get_variable names
        self.shapes: list[tuple[cst.Call, cst.BaseExpression]] = []  # checked after classification
        self.makers: set[str] = set()  # functions of this file that create variables

    # entry ---------------------------------------------------------------------------------
    def run(self, refs: list[tuple[cst.CSTNode, str]]) -> None:
        an = self.an
        if not any(r in (GET_VARIABLE, VARIABLE_SCOPE) for _, r in refs):
            return
        self.makers = {name for name, fn in an.functions_by_name.items() if an.makes_variables(fn.body)} | set(an.models)
        for fn, body in session_bodies(an):
            if fn is not None and not any(r in SESSION_NAMES for _, r in an.tf_refs(fn)):
                # a helper that builds variables for the session code of another function:
                # TF2130/TF2131 make such functions objects (or shims), this does not
                for n in an_walk(fn):
                    if isinstance(n, cst.Call) and an.call_rest(n) in (GET_VARIABLE, VARIABLE_SCOPE):
                        self.refuse(n, f"`{fn.name.value}()` creates variables with tf.get_variable/variable_scope but "
                                       "runs no session: only the code of the function that runs the session (or "
                                       "module-level code) is converted")
                continue
            made: list[cst.Call] = []
            self.block(fn, body, "", made)
            if fn is not None and made:
                why = self.called_once(fn)
                if why is not None:
                    for call in made:
                        self.refuse(call, why)

    # scopes --------------------------------------------------------------------------------
    def block(self, fn: cst.FunctionDef | None, body: list[cst.BaseStatement], prefix: str, made: list[cst.Call]) -> None:
        an = self.an
        for st in body:
            if isinstance(st, cst.With) and id(st) in an.tower_withs and isinstance(st.body, cst.IndentedBlock):
                self.block(fn, list(st.body.body), prefix, made)  # opened: the graph, the towers' shared root scope
                continue
            if isinstance(st, cst.With) and any(an.call_rest(item.item) == VARIABLE_SCOPE for item in st.items):
                try:
                    name = self.scope_name(st)
                    full = prefix + name + "/"
                    if full in self.used:
                        raise _Refused(st, f"the scope `{full[:-1]}` is opened twice (TF1 reopens the variable scope but "
                                           "uniquifies the name scope)")
                    self.used[full] = 1
                    assert isinstance(st.body, cst.IndentedBlock)
                    for inner in st.body.body:
                        if not isinstance(inner, cst.SimpleStatementLine) and not (
                                isinstance(inner, cst.With) and any(an.call_rest(i.item) == VARIABLE_SCOPE for i in inner.items)):
                            raise _Refused(inner, "a compound statement (loop, branch, other `with`) inside "
                                                  f"`tf.variable_scope('{full[:-1]}')`: only straight-line code is converted")
                    an.scope_withs[id(st)] = full
                    an.allowed_refs.add(id(st.items[0].item.func))  # type: ignore[attr-defined]
                    self.block(fn, list(st.body.body), full, made)
                except _Refused as r:
                    self.refuse_scope(st, r.why)
            elif isinstance(st, cst.SimpleStatementLine):
                for n in an_walk(st):
                    if not isinstance(n, cst.Call):
                        continue
                    if an.call_rest(n) == GET_VARIABLE:
                        if self.get_variable(st, n, prefix):
                            made.append(n)
                    elif prefix:
                        self.scoped_call(n, prefix)
            elif isinstance(st, (cst.FunctionDef, cst.ClassDef)) and fn is None:
                continue  # their own units (classes are not converted)
            else:
                for n in an_walk(st):
                    if isinstance(n, cst.Call) and an.call_rest(n) in (GET_VARIABLE, VARIABLE_SCOPE):
                        self.refuse(n, f"`tf.{an.call_rest(n)}` inside a loop, branch, block or nested function: TF1 "
                                       "made the variable once (or raised); this is only converted in straight-line code")

    def scope_name(self, st: cst.With) -> str:
        if len(st.items) != 1:
            raise _Refused(st, "`tf.variable_scope` combined with other context managers")
        item = st.items[0]
        call = item.item
        assert isinstance(call, cst.Call)
        if item.asname is not None:
            raise _Refused(st, "`with tf.variable_scope(...) as scope`: the scope object is used")
        if not isinstance(st.body, cst.IndentedBlock):
            raise _Refused(st, "a one-line `with tf.variable_scope(...)` body")
        args = _args(call, SCOPE_PARAMS)
        if args is None:
            raise _Refused(call, "`tf.variable_scope` with `*args`/`**kwargs`")
        for k, a in args.items():
            if k in ("name_or_scope", "values"):
                continue
            if k == "auxiliary_name_scope" and isinstance(a.value, cst.Name) and a.value.value == "True":
                continue
            if _is_none(a.value):
                continue
            if k == "reuse":
                raise _Refused(call, "`tf.variable_scope(..., reuse=...)`: shared variables must become one object "
                                     "used twice (TF2130 does this for model functions)")
            raise _Refused(call, f"`tf.variable_scope(..., {k}=...)` changes how the variables in it are made")
        named = _string(args["name_or_scope"].value) if "name_or_scope" in args else None
        if named is None or not named[0] or "/" in named[0]:
            raise _Refused(call, "a `tf.variable_scope` that is not named by a plain string literal")
        return named[0]

    def scoped_call(self, n: cst.Call, full: str) -> None:
        """A plain tf.Variable in a scope gets its TF1 name; a call of one of this file's
        variable-making functions is refused (their names would change)."""
        an = self.an
        if isinstance(n.func, cst.Name) and n.func.value in self.makers:
            raise _Refused(n, f"`{n.func.value}()` creates variables inside `tf.variable_scope('{full[:-1]}')`: "
                              "their TF1 names carry the scope, the converted ones would not")
        if an.call_rest(n) != "Variable":
            return
        args = _args(n, VARIABLE_PARAMS)
        if args is None:
            raise _Refused(n, "`tf.Variable(*args/**kwargs)` inside `tf.variable_scope`")
        old = args.get("name")
        if old is None:
            base, quote = "Variable", "'"
        else:
            named = _string(old.value)
            if named is None:
                raise _Refused(n, f"a `tf.Variable` named by an expression inside `tf.variable_scope('{full[:-1]}')`")
            base, quote = named
        name = self.unique(full + base)
        an.plan.call_builders[id(n)] = _named_variable_builder(name, quote)

    def unique(self, name: str) -> str:
        """TF1's Graph.unique_name."""
        if name not in self.used:
            self.used[name] = 1
            return name
        i = self.used[name]
        while f"{name}_{i}" in self.used:
            i += 1
        self.used[name] = i + 1
        self.used[f"{name}_{i}"] = 1
        return f"{name}_{i}"

    # get_variable --------------------------------------------------------------------------
    def get_variable(self, line: cst.SimpleStatementLine, call: cst.Call, prefix: str) -> bool:
        an = self.an
        small = line.body[0] if len(line.body) == 1 else None
        if not (isinstance(small, cst.Assign) and small.value is call and len(small.targets) == 1
                and isinstance(small.targets[0].target, cst.Name)):
            self.refuse(call, "`tf.get_variable` inside an expression or a multiple assignment: write "
                              "`name = tf.get_variable(...)` first")
            return False
        try:
            build = self.builder(call, prefix)
        except _Refused as r:
            self.refuse(call, r.why)
            if isinstance(r.node, cst.Call) and r.node is not call and an.call_rest(r.node) is not None:
                self.refuse(r.node, r.why)  # its initializer: the reason where a contrib name is reported first
            return False
        an.plan.call_builders[id(call)] = build
        an.plan.dropped.append(call)
        an.allowed_refs.add(id(call.func))
        return True

    def builder(self, call: cst.Call, prefix: str) -> Callable[[cst.Call], cst.BaseExpression]:
        an = self.an
        args = _args(call, PARAMS)
        if args is None:
            raise _Refused(call, "`tf.get_variable(*args/**kwargs)`")
        for k in args:
            if k not in PARAMS:
                raise _Refused(call, f"`tf.get_variable(..., {k}=...)` is not a get_variable argument")
        for k, why in NOT_CONVERTED.items():
            if k in args and not _is_none(args[k].value):
                raise _Refused(args[k], f"`tf.get_variable(..., {k}=...)`: {why}")
        if "validate_shape" in args and not (isinstance(args["validate_shape"].value, cst.Name)
                                             and args["validate_shape"].value.value == "True"):
            raise _Refused(args["validate_shape"], "`tf.get_variable(..., validate_shape=...)`: a variable whose shape may change")
        named = _string(args["name"].value) if "name" in args else None
        if named is None or not named[0]:
            raise _Refused(call, "a `tf.get_variable` whose name is not a plain string literal (its TF1 name must be kept)")
        full = prefix + named[0]
        if full in self.full_names:
            raise _Refused(call, f"`tf.get_variable('{full}')` a second time without reuse (TF1 raised: the variable exists)")
        if full in self.used:
            raise _Refused(call, f"`tf.get_variable('{full}')` after a `tf.Variable` of that name (TF1 renamed it)")
        self.full_names.add(full)
        self.used[full] = 1
        shape = args.get("shape")
        if shape is None or _is_none(shape.value):
            raise _Refused(call, "a `tf.get_variable` without `shape`: the initial value cannot be written")
        why = _plain_shape(shape.value)
        if why is not None:
            raise _Refused(shape, why)
        self.shapes.append((call, shape.value))
        dtype = args.get("dtype")
        dtype_node = None if dtype is None or _is_none(dtype.value) else dtype.value
        init = args.get("initializer")
        entry, init_call = self.initializer(init.value if init is not None and not _is_none(init.value) else None, dtype_node)
        if entry["make"] in ("function", "object") and (init is None or _is_none(init.value)):
            an.random_default_variables.append(full)
        if entry["make"] == "object" and not (init_call is not None and "seed" in (_args(init_call, entry["params"]) or {})):
            an.unseeded_keras.append(entry["tf2"])
        trainable = args.get("trainable")
        if trainable is not None and not _is_none(trainable.value) and not (
                isinstance(trainable.value, cst.Name) and trainable.value.value in ("True", "False")):
            raise _Refused(trainable, "`trainable=` is not a literal True/False")
        trainable_false = trainable is not None and isinstance(trainable.value, cst.Name) and trainable.value.value == "False"
        init_args = _args(init_call, entry["params"]) if init_call is not None else {}
        if init_args is None:
            raise _Refused(init_call or call, "an initializer called with `*args`/`**kwargs`")
        for k in init_args:
            if k not in entry["params"]:
                raise _Refused(init_args[k], f"`{k}=` is not an argument of the initializer")
        if entry["make"] == "constant":
            value = init_args.get("value")
            if value is not None and not _number(value.value):
                raise _Refused(value, "`constant_initializer(value)` with a value that is not a number literal: TF1 "
                                      "fills or pads the shape from it, tf.constant(value, shape=...) does not")
        root = tf_root(an.ctx)
        init_positions = self.positions(init_call)
        quote = named[1]

        def build(updated: cst.Call) -> cst.BaseExpression:
            uargs = _args(updated, PARAMS) or args
            if set(uargs) != set(args):
                uargs = args
            ushape = code(uargs["shape"].value)
            udtype = None if dtype_node is None else code(uargs["dtype"].value)
            iargs = init_args
            uinit = uargs.get("initializer")
            if init_call is not None and uinit is not None and isinstance(uinit.value, cst.Call) \
                    and self.positions(uinit.value) == init_positions:
                iargs = _args(uinit.value, entry["params"]) or init_args
            value = _initial_value(entry, root, ushape, udtype, {k: code(a.value) for k, a in iargs.items()})
            extra = ", trainable=False" if trainable_false else ""
            return cst.parse_expression(f"{root}.Variable({value}, name={_quoted(full, quote)}{extra})")

        return build

    @staticmethod
    def positions(call: cst.Call | None) -> list[str | None]:
        return [] if call is None else [a.keyword.value if a.keyword is not None else None for a in call.args]

    def initializer(self, node: cst.BaseExpression | None, dtype: cst.BaseExpression | None) -> tuple[dict[str, Any], cst.Call | None]:
        an = self.an
        if node is None:
            kind = "float" if dtype is None else _dtype_kind(an.rest(dtype))
            if kind == "float":
                return TABLE["glorot_uniform_initializer"], None
            if kind == "zero":
                return TABLE["zeros_initializer"], None
            raise _Refused(dtype or node or an.module, "a `tf.get_variable` without initializer whose dtype is not a "
                                                      "literal tf dtype: TF1's default initializer depends on it")
        call = node if isinstance(node, cst.Call) else None
        r = an.call_rest(call) if call is not None else an.rest(node)
        entry = TABLE.get(r) if r is not None else None
        if entry is None:
            known = sorted({k.split(".")[-1] for k in TABLE})
            raise _Refused(node, f"the initializer `{code(node)}` is not one of those converted automatically "
                                 f"({', '.join(known)})")
        if call is not None:
            given = _args(call, entry["params"]) or {}
            for k, allowed in entry.get("require", {}).items():
                if k in given and code(given[k].value) not in allowed:
                    raise _Refused(node, f"`{code(node)}`: only {k}={' or '.join(allowed)} is converted")
            an.allowed_refs.add(id(call.func))
        return entry, call

    def called_once(self, fn: cst.FunctionDef) -> str | None:
        """None when the function is called at most once, and not in a loop (the function
        calling it runs once: TF1 raised when get_variable made an existing variable)."""
        an = self.an
        name = fn.name.value
        uses = [n for n in an_walk(an.module) if isinstance(n, cst.Name) and n.value == name and n is not fn.name]
        why = (f"`{name}()` creates variables with tf.get_variable and TF1 raised when it ran twice (the variables "
               "exist); converted only for a function called at most once")
        if len(uses) > 1:
            return why
        for use in uses:
            parents = list(an.ancestors(use))
            if not (len(parents) > 1 and isinstance(parents[1], cst.Call) and parents[1].func is use):
                return why
            if any(isinstance(p, (cst.For, cst.While, cst.Lambda, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp))
                   for p in parents[2:]):
                return why
        return None

    # refusals ------------------------------------------------------------------------------
    def refuse(self, node: cst.CSTNode, why: str) -> None:
        """Attach the reason to the get_variable reference (reported by the graph-only check)."""
        func = node.func if isinstance(node, cst.Call) else node
        self.an.scope_refusals[id(func)] = why
        self.an.allowed_refs.discard(id(func))

    def refuse_scope(self, st: cst.With, why: str) -> None:
        self.an.scope_withs.pop(id(st), None)
        for item in st.items:
            if isinstance(item.item, cst.Call):
                self.an.allowed_refs.discard(id(item.item.func))
        for item in st.items:
            if isinstance(item.item, cst.Call) and self.an.call_rest(item.item) == VARIABLE_SCOPE:
                self.an.scope_refusals[id(item.item.func)] = why
        # the get_variable calls under it are refused with it
        for n in an_walk(st):
            if isinstance(n, cst.Call) and self.an.call_rest(n) == GET_VARIABLE:
                self.an.scope_refusals.setdefault(id(n.func), why)
                self.an.allowed_refs.discard(id(n.func))

    # after classification ------------------------------------------------------------------
    def check_shapes(self) -> None:
        """The names in a converted shape must be Python values (a placeholder becomes a
        function argument: the variable, created once outside, could not read it)."""
        from rules.tf1_to_tf2._graph import Unsupported

        an = self.an
        for call, shape in self.shapes:
            stmt = an.find_stmt(call)
            for u in an.units.values():
                s = next((s for s in u.stmts if s.node is stmt), None)
                if s is None:
                    continue
                for n in an_walk(shape):
                    if isinstance(n, cst.Name):
                        g = an.graph_kind(u, n.value, s.index)
                        if g is not None and not (g.static and g.kind == "tensor"):
                            raise Unsupported(n, f"the shape of `tf.get_variable` reads the graph object `{n.value}` "
                                                 f"({g.kind}); write it as Python ints")


def an_walk(node: cst.CSTNode):  # type: ignore[no-untyped-def]
    from rules.tf1_to_tf2._graph import walk

    return walk(node)


def _dtype_kind(r: str | None) -> str:
    if r in FLOAT_DTYPES:
        return "float"
    if r in ZERO_DTYPES:
        return "zero"
    return "unknown"


def _quoted(value: str, quote: str) -> str:
    if quote not in ("'", '"') or quote in value or "\\" in value:
        return repr(value)
    return f"{quote}{value}{quote}"


def _initial_value(entry: dict[str, Any], root: str, shape: str, dtype: str | None, args: dict[str, str]) -> str:
    make = entry["make"]
    dt = f", dtype={dtype}" if dtype is not None else ""
    if make == "zeros":
        return f"{root}.zeros({shape}{dt})"
    if make == "ones":
        return f"{root}.ones({shape}{dt})"
    if make == "constant":
        value = args.get("value", "0")
        if dtype is None and not _float_literal(value):
            dt = f", dtype={root}.float32"  # TF1 cast the value to get_variable's dtype (float32)
        return f"{root}.constant({value}, shape={shape}{dt})"
    kws = [f"{entry['args'][k]}={v}" for k, v in args.items() if k in entry["args"]]
    present = {entry["args"][k] for k in args if k in entry["args"]}
    kws += [f"{k}={v}" for k, v in entry.get("pin", {}).items() if k not in present]
    if make == "function":
        return f"{root}.{entry['tf2']}({', '.join([shape] + kws)}{dt})"
    assert make == "object"
    return f"{root}.{entry['tf2']}({', '.join(kws)})({shape}{dt})"


def _float_literal(code: str) -> bool:
    try:
        return isinstance(ast.literal_eval(code), float)
    except (ValueError, SyntaxError):
        return False


def _named_variable_builder(name: str, quote: str) -> Callable[[cst.Call], cst.BaseExpression]:
    """`tf.Variable(v)` -> `tf.Variable(v, name='<scope>/Variable')` (or the name argument
    replaced by its scoped form)."""
    def build(updated: cst.Call) -> cst.BaseExpression:
        value = cst.SimpleString(_quoted(name, quote))
        args = _args(updated, VARIABLE_PARAMS)
        if args is not None and "name" in args:
            old = args["name"]
            return updated.with_changes(args=[a.with_changes(value=value) if a is old else a for a in updated.args])
        new = list(updated.args)
        if new:
            new[-1] = new[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        from rules.tf1_to_tf2._common import kwarg

        new.append(kwarg("name", value))
        return updated.with_changes(args=new)
    return build


def convert_variables(an: Analysis, refs: list[tuple[cst.CSTNode, str]]) -> VariableConversion:
    """`refs`: the file's TensorFlow references outside TF2130's model functions."""
    conv = VariableConversion(an)
    conv.run(refs)
    return conv
