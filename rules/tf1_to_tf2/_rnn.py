"""TF2120: TF1 LSTM and GRU cells unrolled by `tf.nn.dynamic_rnn` in straight-line session code.

Not a rule module. Called by ``Analysis.run`` (rules/tf1_to_tf2/_graph.py) after the inline
tf.layers conversion. In the statements of a unit (the module body or a module-level
function that runs a session and is not a TF2130 model function, called at most once):

    cell = tf.nn.rnn_cell.BasicLSTMCell(n_hidden, forget_bias=1.0)
    outputs, state = tf.nn.dynamic_rnn(cell, inputs, sequence_length=seq_len, dtype=tf.float32)
    final_h = state.h

becomes a Keras LSTM layer created once where TF1 created the cell,

    cell = tf.keras.layers.LSTM(n_hidden, return_sequences=True, return_state=True,
                                zero_output_for_mask=True, name='rnn')

and, in the generated tf.functions, a call of it (Keras returns [outputs, h, c]; TF1's
LSTMStateTuple is (c, h): `state.h` / `state[1]` become `state_h`, `state.c` / `state[0]`
become `state_c`):

    outputs, state_h, state_c = cell(inputs, mask=tf.sequence_mask(seq_len, tf.shape(inputs)[1]))
    final_h = state_h

Why the math is the same (checked in TF 2.21 / Keras 3, tests/test_tf1_rnn.py):

* TF1's BasicLSTMCell/LSTMCell compute `[i, j, f, o] = concat([x, h]) @ kernel + bias`,
  `c' = c * sigmoid(f + forget_bias) + sigmoid(i) * tanh(j)`, `h' = tanh(c') * sigmoid(o)`
  (tanh activation, sigmoid gates); Keras' LSTM computes the same with gates in the order
  i, f, c, o, a `kernel` for x and a `recurrent_kernel` for h, and no run-time forget bias.
  The weights map one to one (``keras_lstm_weights`` in migrate/check/rnn_weights.py, the
  one place of the layout map): the forget bias is folded into the Keras bias. TF1's bias starts at zeros and forget_bias=1.0 is added at run time:
  Keras' `unit_forget_bias=True` (the default) starts the forget block at 1.0, which is the
  same function (gradients of a constant offset are the same, so training agrees too).
  forget_bias=0.0 becomes `unit_forget_bias=False`; any other value is refused.
* dynamic_rnn with `sequence_length` gives zero outputs after each sequence's length and
  the state of its last valid step. Keras' mask carries the state through masked steps;
  its outputs there are the previous output unless `zero_output_for_mask=True` (Keras 3
  defaults it to False), which is written out.
* The initial weights are drawn differently (Keras: glorot-uniform kernel, orthogonal
  recurrent kernel; TF1: glorot uniform over the joined [inputs + units, 4 * units]
  kernel): reported in the finding; old checkpoints need that map (`migrate
  convert-checkpoint` applies it).
* TF1's GRUCell (gates r, u over concat([x, h]); candidate over concat([x, r * h]);
  h' = u * h + (1 - u) * c) is Keras' GRU with `reset_after=False` (Keras defaults to
  reset_after=True, another function), blocks z (= u), r, h: ``keras_gru_weights`` (same
  module). Its gate bias starts at ones, the candidate bias at zeros: written as the Keras bias
  initializer `Constant([1.0] * (2 * units) + [0.0] * units)`. The state is h, a tensor:
  `outputs, state = cell(inputs, mask=...)` keeps the names.

The same cells spelled `tf.contrib.rnn.BasicLSTMCell/LSTMCell/GRUCell` (TF 1.x re-exported
tf.nn.rnn_cell's classes there) are converted alike; a module-level `rnn = tf.nn.rnn_cell`
(or `tf.contrib.rnn`) alias and a `from tensorflow.contrib import rnn` import go once every
use is converted.

Refused, with the reason attached to the call (``an.layer_refusals``, reported by the
graph-only check): other cells (BasicRNNCell, MultiRNNCell, wrappers, contrib cells,
static_rnn, bidirectional_dynamic_rnn ...), cell arguments other than the number of units
(a name or a number for a GRU), a literal forget_bias of 1.0/0.0, `state_is_tuple=True`
and `name=`; dynamic_rnn arguments other than the cell, the inputs
(a name when a sequence_length is given), sequence_length, dtype=float32 and a literal
scope=; a cell used for anything else than one dynamic_rnn call; a final state used other
than through `.h`, `.c`, `[0]`, `[1]`; a file that mentions other float dtypes.

A run may fetch a part of the final state as it is (`sess.run([loss, state.h])`): the
generated function returns the Keras tensor (`return loss, state_h`; the
``an.rnn_state_parts`` hook of _graph.py's fetch classification and return statement), and
a helper function shared by several runs returns the layer's h and c where TF1's code read
the state later (``an.rnn_state_names``).

Statements in an opened `with g.as_default():` of an explicit graph (_control_flow's
graph idiom) are straight-line code too. A graph-building function returning a dict of
tensors that one other function runs is written into that function first, one cell unrolled
by static_rnn is unrolled by dynamic_rnn over the stacked steps, and an LSTM state fetched
whole then fetches the parts read (TF2120's preparation, _builders.py). A MultiRNNCell of
GRUCells unrolled by static_rnn: _rnn_stacked.py.

Two refusals say what a person must write (``builder_details``, ``static_details``): a
dynamic_rnn in a graph-building function that runs no session (and that the preparation did
not write into its caller) names the functions that run
the tensors it returns (the straight-line form converts) and an LSTM state returned whole;
a static_rnn names its per-step input list (one layer call over the [batch, time, features]
tensor), a MultiRNNCell's cells (one Keras layer per cell) and a zero_state initial state
fetched or fed in the session (`initial_state=` of the layer calls). _graph.py converts no
graph-building function run by another function (its "runs no session" refusal).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import libcst as cst

from rules.tf1_to_tf2._common import code, fix_commas, kwarg, tf_root
from rules.tf1_to_tf2._variables import (
    SESSION_NAMES,
    VariableConversion,
    _is_none,
    _quoted,
    _string,
    an_walk,
    session_bodies,
)

if TYPE_CHECKING:
    from rules.tf1_to_tf2._graph import Analysis

CELLS = {  # TF1 cell -> its parameters in order, TF1 variable scope name
    "nn.rnn_cell.BasicLSTMCell": (["num_units", "forget_bias", "state_is_tuple", "activation", "reuse", "name", "dtype"],
                                  "basic_lstm_cell"),
    "nn.rnn_cell.LSTMCell": (["num_units", "use_peepholes", "cell_clip", "initializer", "num_proj", "proj_clip",
                              "num_unit_shards", "num_proj_shards", "forget_bias", "state_is_tuple", "activation",
                              "reuse", "name", "dtype"], "lstm_cell"),
    "nn.rnn_cell.GRUCell": (["num_units", "activation", "reuse", "kernel_initializer", "bias_initializer", "name",
                             "dtype"], "gru_cell"),
}
# tf.contrib.rnn re-exported these very classes in TF 1.x (tensorflow/contrib/rnn/__init__.py
# imports them from rnn_cell_impl): the same cells, the same conversion
for _name in ("BasicLSTMCell", "LSTMCell", "GRUCell"):
    CELLS[f"contrib.rnn.{_name}"] = CELLS[f"nn.rnn_cell.{_name}"]
GRUS = ("nn.rnn_cell.GRUCell", "contrib.rnn.GRUCell")
# the other TF1 unrolls: refused with this module's reason
OTHER_UNROLLS = ("nn.static_rnn", "nn.static_bidirectional_rnn", "nn.bidirectional_dynamic_rnn", "nn.raw_rnn",
                 "nn.static_state_saving_rnn")
DYNAMIC_RNN = "nn.dynamic_rnn"
DYNAMIC_PARAMS = ["cell", "inputs", "sequence_length", "initial_state", "dtype", "parallel_iterations",
                  "swap_memory", "time_major", "scope"]
# arguments that may be given with the value that changes nothing
NEUTRAL = {"state_is_tuple": "True", "use_peepholes": "False", "time_major": "False", "swap_memory": "False"}
OTHER_FLOATS = ("float64", "double", "float16", "half", "bfloat16")
# TF1 state tuple field -> the name suffix of the Keras state output
STATE_PARTS = {"c": "c", "h": "h", 0: "c", 1: "h"}


class _Refused(Exception):
    def __init__(self, node: cst.CSTNode, why: str) -> None:
        super().__init__(why)
        self.node = node
        self.why = why


class RnnLine:
    """One converted `cell = <LSTM cell>(...)` + `outputs, state = tf.nn.dynamic_rnn(cell, ...)`."""

    def __init__(self, cell_line: cst.SimpleStatementLine, cell_call: cst.Call, cell_kind: str,
                 rnn_line: cst.SimpleStatementLine, rnn_call: cst.Call, obj: str, name: str, quote: str,
                 unit_forget_bias: bool, state: str | None, parts: dict[int, str], h: str, c: str) -> None:
        self.cell_line = cell_line
        self.cell_call = cell_call
        self.cell_kind = cell_kind
        self.rnn_line = rnn_line
        self.rnn_call = rnn_call
        self.obj = obj
        self.name = name
        self.quote = quote
        self.unit_forget_bias = unit_forget_bias
        self.state = state
        self.parts = parts  # id of a `state.h` / `state[0]` node -> the Keras name
        self.h = h
        self.c = c
        self.masked = False


class RnnCells:
    def __init__(self, an: Analysis) -> None:
        self.an = an
        self.lines: list[RnnLine] = []
        self.scopes: set[str] = set()
        self.count = 0
        self.stacked: list[Any] = []  # _rnn_stacked.Stacked

    def run(self, refs: list[tuple[cst.CSTNode, str]]) -> None:
        an = self.an
        static_why = self.convert_static([(n, r) for n, r in refs if r in ("nn.static_rnn", "contrib.rnn.static_rnn")])
        for n, r in refs:
            if (r in OTHER_UNROLLS or r == "contrib.rnn.static_rnn") and id(n) not in an.allowed_refs:
                an.layer_refusals[id(n)] = (f"`tf.{r}` is not converted yet (only BasicLSTMCell/LSTMCell/GRUCell "
                                            "unrolled by tf.nn.dynamic_rnn, and a MultiRNNCell of GRU or LSTM cells, "
                                            "each alone or in a DropoutWrapper(output_keep_prob=), unrolled by "
                                            "tf.nn.static_rnn, become Keras layers)"
                                            + (self.static_details(n) if r.endswith("static_rnn") else "")
                                            + (f" (a MultiRNNCell of such cells converts; here: {static_why[id(n)]})"
                                               if id(n) in static_why else ""))
        rnn_refs = [(n, r) for n, r in refs if r == DYNAMIC_RNN]
        if rnn_refs:
            self.convert_all(rnn_refs)
        elif self.stacked:
            self.aliases()
        # the cells of refused unrolls: the unroll's reason
        first = next((an.layer_refusals[id(n)] for n, r in refs if r == DYNAMIC_RNN or r in OTHER_UNROLLS
                      if id(n) in an.layer_refusals), None)
        if first is not None:
            for n, r in refs:
                if r.startswith(("nn.rnn_cell", "contrib.rnn.")) and id(n) not in an.allowed_refs and id(n) not in an.layer_refusals:
                    an.layer_refusals[id(n)] = first

    def convert_all(self, rnn_refs: list[tuple[cst.CSTNode, str]]) -> None:
        an = self.an
        ref_ids = {id(n) for n, _ in rnn_refs}
        for fn, body in session_bodies(an):
            if fn is not None and not any(r in SESSION_NAMES for _, r in an.tf_refs(fn)):
                for call in [n for n in an_walk(fn) if isinstance(n, cst.Call) and id(n.func) in ref_ids]:
                    self.refuse(call, f"`tf.nn.dynamic_rnn` in `{fn.name.value}()`, which runs no session: the cell "
                                      "becomes a Keras layer only in straight-line code of the function that runs the "
                                      "session (a graph-building function returning its tensors is not converted)"
                                      + self.builder_details(fn, call))
                continue
            made: list[RnnLine] = []
            body = _opened(an, body)
            for i, stmt in enumerate(body):
                if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                    continue
                for call in [n for n in an_walk(stmt) if isinstance(n, cst.Call) and id(n.func) in ref_ids]:
                    try:
                        made.append(self.convert(fn, body, i, stmt, call))
                    except _Refused as r:
                        self.refuse(call, r.why)
            if fn is not None and made:
                why = VariableConversion(an).called_once(fn)
                if why is not None:
                    why = why.replace("with tf.get_variable and TF1 raised when it ran twice (the variables exist)",
                                      "with tf.nn.dynamic_rnn (new variables at every run)")
                    for rl in made:
                        self.refuse(rl.rnn_call, why)
                    continue
            self.lines += made
        root = tf_root(an.ctx)
        self.aliases()
        for rl in self.lines:
            an.rnn_state_parts.update(rl.parts)
            if rl.state is not None and rl.cell_kind not in GRUS:
                an.rnn_state_names[rl.state] = [] if rl.state in an.rnn_state_names else [rl.h, rl.c]
            an.allowed_refs |= {id(rl.rnn_call.func), id(rl.cell_call.func)}
            an.inline_layer_lines.add(id(rl.rnn_line))
            an.plan.call_builders[id(rl.rnn_call)] = self.call_builder(rl)
            if rl.cell_kind not in GRUS:
                an.plan.node_builders.update(self.state_builders(rl))
            an.plan.dropped += [rl.rnn_call.func, rl.cell_call.func]
            note = self.note(rl, root)
            if not rl.masked:
                note = note.replace(" and called with mask=tf.sequence_mask(sequence_length) (zero outputs after each "
                                    "length, the state of the last valid step", " and called (no sequence_length: no mask")
            an.plan.checkpoint_notes.append((rl.rnn_call.func, note))

    def convert_static(self, refs: list[tuple[cst.CSTNode, str]]) -> dict[int, str]:
        """MultiRNNCell of GRU/LSTM cells unrolled by static_rnn (_rnn_stacked.py); the reasons of
        the unrolls not converted, by the id of their `tf.nn.static_rnn` reference."""
        from rules.tf1_to_tf2 import _rnn_stacked

        an = self.an
        why: dict[int, str] = {}
        ids = {id(n) for n, _ in refs}
        if not ids:
            return why
        for fn, body in session_bodies(an):
            if fn is not None and not any(r in SESSION_NAMES for _, r in an.tf_refs(fn)):
                continue
            made = []
            body = _opened(an, body)
            for i, stmt in enumerate(body):
                if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                    continue
                for call in [n for n in an_walk(stmt) if isinstance(n, cst.Call) and id(n.func) in ids]:
                    try:
                        made.append(_rnn_stacked.analyse(an, fn, body, i, stmt, call, self.args))
                    except (_rnn_stacked.Refused, _Refused) as r:
                        if not r.why.endswith("is not a MultiRNNCell") and "MultiRNNCell(cells)`" not in r.why:
                            why[id(call.func)] = r.why
            if fn is not None and made:
                once = VariableConversion(an).called_once(fn)
                if once is not None:
                    for s in made:
                        why[id(s.rnn_call.func)] = once
                    continue
            for s in made:
                _rnn_stacked.register(an, s, self.args)
                self.stacked.append(s)
        return why

    def aliases(self) -> None:
        """`rnn = tf.nn.rnn_cell` (or tf.contrib.rnn) at module level and `from
        tensorflow.contrib import rnn`, used only by converted cells: they go."""
        an = self.an
        funcs = {id(rl.cell_call.func.value) for rl in self.lines if isinstance(rl.cell_call.func, cst.Attribute)}
        for s in self.stacked:  # the stacks of _rnn_stacked.py
            for f in (s.rnn_call.func, s.gru_call.func, s.multi_call.func, *((s.wrapper.func,) if s.wrapper else ())):
                if isinstance(f, cst.Attribute):
                    funcs.add(id(f.value))
        for st in an.module.body:
            small = st.body[0] if isinstance(st, cst.SimpleStatementLine) and len(st.body) == 1 else None
            if not (isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name)
                    and an.rest(small.value) in ("nn.rnn_cell", "contrib.rnn")):
                continue
            alias = small.targets[0].target
            uses = [n for n in an_walk(an.module) if isinstance(n, cst.Name) and n.value == alias.value and n is not alias]
            if uses and all(id(n) in funcs for n in uses):
                an.allowed_refs |= {id(n) for n in an_walk(st) if isinstance(n, (cst.Name, cst.Attribute))}
                an.plan.remove.add(id(st))
                an.plan.dropped.append(small.value)
        # `from tensorflow.contrib import rnn`: tf.contrib is gone from TF2
        for local, target in an.ctx.aliases.bindings.items():
            node = an.ctx.aliases.import_nodes.get(local)
            if node is None or target != "tensorflow.contrib.rnn":
                continue
            attrs = {id(a.attr) for a in an_walk(an.module) if isinstance(a, cst.Attribute)}  # `tf.contrib.rnn.X`'s `rnn`
            uses = [n for n in an_walk(an.module) if isinstance(n, cst.Name) and n.value == local and id(n) not in attrs
                    and not any(isinstance(a, (cst.Import, cst.ImportFrom)) for a in an.ancestors(n))]
            if uses and all(id(n) in funcs for n in uses):
                if isinstance(node, cst.ImportFrom):
                    an.plan.removed_imports.add(("tensorflow.contrib", "rnn", local if local != "rnn" else None))
                else:
                    an.plan.removed_imports.add((target, None, local if local != "tensorflow" else None))
                an.plan.dropped.append(node)

    # analysis ------------------------------------------------------------------------------
    def convert(self, fn: cst.FunctionDef | None, body: list[cst.BaseStatement], i: int, st: cst.BaseStatement,
                call: cst.Call) -> RnnLine:
        an = self.an
        small = st.body[0] if isinstance(st, cst.SimpleStatementLine) and len(st.body) == 1 else None
        target = small.targets[0].target if isinstance(small, cst.Assign) and len(small.targets) == 1 else None
        if not (isinstance(small, cst.Assign) and small.value is call and isinstance(target, cst.Tuple)
                and len(target.elements) == 2 and not any(isinstance(e, cst.StarredElement) for e in target.elements)
                and isinstance(target.elements[0].value, cst.Name)
                and (isinstance(target.elements[1].value, cst.Name) or _pair(target.elements[1].value))):
            raise _Refused(call, "`tf.nn.dynamic_rnn` not in the form `outputs, state = tf.nn.dynamic_rnn(cell, ...)` "
                                 "(or `outputs, (c, h) = ...` for an LSTM) in straight-line code (the Keras layer must be "
                                 "created once)")
        assert isinstance(target, cst.Tuple)
        unpacked = _pair(target.elements[1].value)  # `outputs, (c, h) = ...`: LSTMStateTuple unpacked
        state_name = "_" if unpacked else target.elements[1].value.value  # type: ignore[attr-defined]
        wide = next((w for w in OTHER_FLOATS if w in an.ctx.source_text), None)
        if wide is not None:
            raise _Refused(call, f"the file uses `{wide}`: a TF1 cell took its inputs' dtype, a Keras layer computes "
                                 "in float32 (its dtype policy); not converted")
        args = self.args(call, DYNAMIC_PARAMS, "tf.nn.dynamic_rnn")
        for k, a in args.items():
            if k in ("cell", "inputs", "sequence_length", "scope") or _is_none(a.value):
                continue
            if k == "dtype" and an.rest(a.value) == "float32":
                continue
            if k in NEUTRAL and isinstance(a.value, cst.Name) and a.value.value == NEUTRAL[k]:
                continue
            raise _Refused(call, f"`tf.nn.dynamic_rnn(..., {k}={code(a.value)})` is not converted "
                                 "(only the cell, the inputs, sequence_length, dtype=tf.float32 and scope=)")
        if "inputs" not in args or "cell" not in args:
            raise _Refused(call, "`tf.nn.dynamic_rnn` without a cell or inputs")
        seq = args.get("sequence_length")
        if seq is not None and not _is_none(seq.value) and not isinstance(args["inputs"].value, cst.Name):
            raise _Refused(call, "`tf.nn.dynamic_rnn` with sequence_length over inputs that are not a name: the mask "
                                 "needs their time dimension (assign them to a name first)")
        cell_arg = args["cell"].value
        if not isinstance(cell_arg, cst.Name):
            raise _Refused(call, "`tf.nn.dynamic_rnn` with a cell that is not a name bound by `cell = <LSTM cell>(...)`")
        cell_name = cell_arg.value
        # the cell: defined once, by the top-level statement, used only here
        defs = [(j, s) for j, s in enumerate(body[:i]) if cell_name in _assigned(s)]
        if len(defs) != 1 or any(cell_name in _assigned(s) for s in body[i:]):
            raise _Refused(call, f"the cell `{cell_name}` is not assigned exactly once before `tf.nn.dynamic_rnn` in "
                                 "straight-line code")
        _j, cell_line = defs[0]
        cell_small = cell_line.body[0] if isinstance(cell_line, cst.SimpleStatementLine) and len(cell_line.body) == 1 else None
        cell_call = cell_small.value if isinstance(cell_small, cst.Assign) and len(cell_small.targets) == 1 \
            and isinstance(cell_small.targets[0].target, cst.Name) else None
        kind = an.call_rest(cell_call)
        if kind not in CELLS:
            what = f"`tf.{kind}`" if kind is not None else f"`{code(cell_call) if cell_call is not None else cell_name}`"
            raise _Refused(call, f"the cell {what} is not converted (only BasicLSTMCell/LSTMCell/GRUCell of "
                                 "tf.nn.rnn_cell or tf.contrib.rnn unrolled by tf.nn.dynamic_rnn)")
        assert isinstance(cell_call, cst.Call) and isinstance(cell_line, cst.SimpleStatementLine)
        uses = [n for n in an_walk(an.module) if isinstance(n, cst.Name) and n.value == cell_name
                and n is not cell_arg and n is not cell_small.targets[0].target]  # type: ignore[union-attr]
        scope = fn if fn is not None else an.module
        if any(_within(an, n, scope) for n in uses):
            raise _Refused(call, f"the cell `{cell_name}` is used for more than one `tf.nn.dynamic_rnn` "
                                 "(zero_state, state_size, a second unroll...): not converted")
        params, _scope = CELLS[kind]
        cargs = self.args(cell_call, params, f"tf.{kind}")
        if "num_units" not in cargs:
            raise _Refused(call, f"`tf.{kind}` without num_units")
        unit_forget_bias = True
        for k, a in cargs.items():
            if k in ("num_units", "name") or _is_none(a.value):
                continue
            if kind in GRUS:
                raise _Refused(call, f"`tf.{kind}(..., {k}={code(a.value)})` is not converted (Keras' GRU reproduces "
                                     "num_units with TF1's default initializers and tanh only)")
            if k in NEUTRAL and isinstance(a.value, cst.Name) and a.value.value == NEUTRAL[k]:
                continue
            if k == "forget_bias" and _literal(a.value) in (0.0, 1.0):
                unit_forget_bias = _literal(a.value) == 1.0
                continue
            raise _Refused(call, f"`tf.{kind}(..., {k}={code(a.value)})` is not converted (Keras' LSTM "
                                 "reproduces num_units and a forget_bias of 1.0 or 0.0 only)")
        for k in ("num_units",):
            for n in an_walk(cargs[k].value):
                if isinstance(n, cst.Call):
                    raise _Refused(call, f"`tf.{kind}` with a computed `{k}`: not converted")
        # TF1 names: scope (dynamic_rnn's, default 'rnn') / cell name (default by kind)
        quote = "'"
        if "scope" in args and not _is_none(args["scope"].value):
            named = _string(args["scope"].value)
            if named is None or not named[0] or "/" in named[0]:
                raise _Refused(call, "`tf.nn.dynamic_rnn(..., scope=...)` is not a plain string: its TF1 variable "
                                     "names must be kept")
            name, quote = named
        else:
            name = "rnn" if self.count == 0 else f"rnn_{self.count}"
            self.count += 1
        if "name" in cargs and not _is_none(cargs["name"].value) and _string(cargs["name"].value) is None:
            raise _Refused(call, f"`tf.{kind}(..., name=...)` is not a plain string")
        if name in self.scopes:
            raise _Refused(call, f"a second `tf.nn.dynamic_rnn` in scope `{name}` (TF1 renamed or shared it)")
        self.scopes.add(name)
        # the final state: only its parts are read
        parts: dict[int, str] = {}
        h = an.fresh(f"{state_name}_h") if state_name != "_" else "_"
        c = an.fresh(f"{state_name}_c") if state_name != "_" else "_"
        if unpacked:
            if kind in GRUS:
                raise _Refused(call, f"`outputs, ({', '.join(unpacked)}) = tf.nn.dynamic_rnn(<GRU cell>, ...)` unpacks "
                                     "the GRU state tensor along the batch: not converted")
            c, h = unpacked
        if kind in GRUS and not isinstance(cargs["num_units"].value, (cst.Name, cst.Integer, cst.Attribute)):
            raise _Refused(call, f"`tf.{kind}` with num_units `{code(cargs['num_units'].value)}`: only a name or a "
                                 "number is written into the bias initializer")
        if state_name != "_" and kind not in GRUS:  # a GRU's state is its h: a plain tensor
            for n in an_walk(an.module):
                if not (isinstance(n, cst.Name) and n.value == state_name) or n is target.elements[1].value:
                    continue
                if not _within(an, n, scope):
                    continue
                parent = _parent(an, n)
                part: str | int | None = None
                if isinstance(parent, cst.Attribute) and parent.value is n and parent.attr.value in ("h", "c"):
                    part = parent.attr.value
                elif isinstance(parent, cst.Subscript) and parent.value is n and len(parent.slice) == 1 \
                        and isinstance(parent.slice[0].slice, cst.Index) \
                        and isinstance(parent.slice[0].slice.value, cst.Integer) \
                        and int(parent.slice[0].slice.value.value) in (0, 1):
                    part = int(parent.slice[0].slice.value.value)
                if part is None or parent is None:
                    raise _Refused(call, f"the LSTM state `{state_name}` (TF1's LSTMStateTuple(c, h)) is used as a "
                                         "whole: only `.c`, `.h`, `[0]` and `[1]` are converted (Keras returns h and c "
                                         "as two tensors)")
                if any(isinstance(a, cst.AssignTarget) for a in an.ancestors(n)):
                    raise _Refused(call, f"the LSTM state `{state_name}` is assigned to: not converted")
                parts[id(parent)] = h if STATE_PARTS[part] == "h" else c
        obj = cell_name
        rl = RnnLine(cell_line, cell_call, kind, st, call, obj, name, quote,  # type: ignore[arg-type]
                     unit_forget_bias, None if state_name == "_" else state_name, parts, h, c)
        rl.masked = seq is not None and not _is_none(seq.value)
        return rl

    # precise refusals ---------------------------------------------------------------------
    def builder_details(self, fn: cst.FunctionDef, call: cst.Call) -> str:
        """What a person must do when the unroll is in a graph-building function run by
        another function: who runs its tensors, and the final state returned whole."""
        an = self.an
        name = fn.name.value
        runners = sorted({f.name.value for n in an_walk(an.module)
                          if isinstance(n, cst.Call) and isinstance(n.func, cst.Name) and n.func.value == name
                          for f in an.ancestors(n) if isinstance(f, cst.FunctionDef) and f is not fn})
        out = ""
        if runners:
            out += (f"; {', '.join(f'`{r}()`' for r in runners)} runs the tensors it returns (write the body of "
                    f"`{name}()` in the function that runs the session: straight-line forms such as "
                    "tests/fixtures/tf1_to_tf2/rnn_lstm_state_fetch convert)")
        small = next((a for a in an.ancestors(call) if isinstance(a, cst.Assign)), None)
        target = small.targets[0].target if small is not None and len(small.targets) == 1 else None
        state = target.elements[1].value if isinstance(target, cst.Tuple) and len(target.elements) == 2 else None
        cell = call.args[0].value if call.args and call.args[0].keyword is None else None
        made = _assignments(an, fn).get(cell.value) if isinstance(cell, cst.Name) else None
        kind = an.call_rest(made) if made is not None else None
        if isinstance(state, cst.Name) and kind in CELLS and kind not in GRUS:
            returned = [n.value for n in an_walk(fn) if isinstance(n, cst.Return) and n.value is not None]
            whole = [n for r in returned for n in an_walk(r)
                     if isinstance(n, cst.Name) and n.value == state.value
                     and not isinstance(_parent(an, n), (cst.Attribute, cst.Subscript))
                     and not (isinstance(_parent(an, n), cst.Arg) and _parent(an, n).keyword is n)]  # type: ignore[union-attr]
            if whole:
                s = state.value
                out += (f"; its final state `{s}` (TF1's LSTMStateTuple(c, h)) is returned whole: only `{s}.h`, "
                        f"`{s}.c`, `{s}[0]`, `{s}[1]` are converted (a Keras LSTM returns h and c as two tensors)")
        return out

    def static_details(self, func: cst.CSTNode) -> str:
        """`tf.nn.static_rnn(cell, step_inputs, initial_state=...)`: what is in the way, and
        what to write instead."""
        an = self.an
        call = _parent(an, func)
        if not isinstance(call, cst.Call) or call.func is not func:
            return ""
        try:
            args = self.args(call, ["cell", "inputs", "initial_state", "dtype", "sequence_length", "scope"],
                             "tf.nn.static_rnn")
        except _Refused:
            return ""
        scope = next((a for a in an.ancestors(call) if isinstance(a, cst.FunctionDef)), an.module)
        values = _assignments(an, scope)
        parts = [("it unrolls a Python list of per-step tensors (one Keras layer call over the [batch, time, "
                  "features] tensor replaces it: `tf.stack(<inputs>, axis=1)`, or the tensor before its tf.unstack)")]
        cell = args.get("cell")
        cell_name = cell.value.value if cell is not None and isinstance(cell.value, cst.Name) else None
        cell_value = values.get(cell_name) if cell_name is not None else None
        if cell_value is not None and an.call_rest(cell_value) in ("nn.rnn_cell.MultiRNNCell", "contrib.rnn.MultiRNNCell"):
            inner: set[str] = set()
            stack: list[cst.BaseExpression] = [cell_value]
            while stack:
                node = stack.pop()
                for n in an_walk(node):
                    r = an.call_rest(n) if isinstance(n, cst.Call) else None
                    if r is not None and r.startswith(("nn.rnn_cell.", "contrib.rnn.")) \
                            and r not in ("nn.rnn_cell.MultiRNNCell", "contrib.rnn.MultiRNNCell"):
                        inner.add(r.rsplit(".", 1)[1])
                    if isinstance(n, cst.Name) and n.value in values and values[n.value] is not node \
                            and n is not getattr(cell_value, "func", None):
                        stack.append(values.pop(n.value))
            kinds = " and ".join(f"tf.nn.rnn_cell.{k}" for k in sorted(inner)) or "cells"
            keras = "GRU(reset_after=False)" if inner == {"GRUCell"} else "LSTM/GRU"
            parts.append(f"`{cell_name}` is a MultiRNNCell of {kinds} (one tf.keras.layers.{keras} per cell, "
                         "return_sequences=True and return_state=True, each over the previous one's outputs)")
        init = args.get("initial_state")
        init_value = values.get(init.value.value) if init is not None and isinstance(init.value, cst.Name) else None
        if isinstance(init_value, cst.Call) and isinstance(init_value.func, cst.Attribute) \
                and init_value.func.attr.value == "zero_state":
            assert isinstance(init.value, cst.Name)  # type: ignore[union-attr]
            name = init.value.value  # type: ignore[union-attr]
            fed = sum(1 for n in an_walk(scope) if isinstance(n, cst.Name) and n.value == name) > 2
            parts.append(f"its initial state `{name}` is the cell's zero_state"
                         + (", also fetched or fed in the session (pass the per-layer states as `initial_state=` of "
                            "the Keras layer calls, arguments of the generated function)" if fed else ""))
        return ": " + "; ".join(parts)

    def args(self, call: cst.Call, params: list[str], what: str) -> dict[str, cst.Arg]:
        out: dict[str, cst.Arg] = {}
        pos = 0
        for a in call.args:
            if a.star:
                raise _Refused(call, f"`{what}(*args/**kwargs)`")
            if a.keyword is None:
                if pos >= len(params):
                    raise _Refused(call, f"`{what}` with too many positional arguments")
                out[params[pos]] = a
                pos += 1
            elif a.keyword.value not in params:
                raise _Refused(call, f"`{a.keyword.value}=` is not an argument of `{what}`")
            else:
                out[a.keyword.value] = a
        return out

    def refuse(self, call: cst.Call, why: str) -> None:
        self.an.layer_refusals[id(call.func)] = why.replace("tf.layers", "tf.nn.dynamic_rnn")
        self.an.allowed_refs.discard(id(call.func))

    # rewriting -----------------------------------------------------------------------------
    def call_builder(self, rl: RnnLine) -> Callable[[cst.Call], cst.BaseExpression]:
        def build(updated: cst.Call) -> cst.BaseExpression:
            args = self.args(updated, DYNAMIC_PARAMS, "tf.nn.dynamic_rnn")
            inputs = args["inputs"].value
            call_args = [cst.Arg(inputs)]
            seq = args.get("sequence_length")
            if seq is not None and not _is_none(seq.value):
                root = tf_root(self.an.ctx)
                mask = cst.parse_expression(f"{root}.sequence_mask({code(seq.value)}, {root}.shape({code(inputs)})[1])")
                call_args.append(kwarg("mask", mask))
            return cst.Call(func=cst.Name(rl.obj), args=fix_commas(call_args))
        return build

    def state_builders(self, rl: RnnLine) -> dict[int, Callable[[Any], Any]]:
        out: dict[int, Callable[[Any], Any]] = {}
        target = only_target(rl.rnn_line)
        out[id(target)] = lambda upd, rl=rl: upd.with_changes(
            elements=[upd.elements[0], cst.Element(cst.Name(rl.h), comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                      cst.Element(cst.Name(rl.c))] if len(upd.elements) == 2 else upd.elements)
        for pid, name in rl.parts.items():
            out[pid] = lambda upd, name=name: cst.Name(name, lpar=getattr(upd, "lpar", ()), rpar=getattr(upd, "rpar", ()))
        return out

    def creation(self, rl: RnnLine, updated_line: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
        root = tf_root(self.an.ctx)
        params, _scope = CELLS[rl.cell_kind]
        small = updated_line.body[0]
        assert isinstance(small, cst.Assign) and isinstance(small.value, cst.Call)
        units = self.args(small.value, params, rl.cell_kind)["num_units"].value
        layer_args = [cst.Arg(units), kwarg("return_sequences", cst.Name("True")), kwarg("return_state", cst.Name("True"))]
        if rl.cell_kind in GRUS:
            # TF1's math (reset before the recurrent matmul) and its gate bias of ones
            n = code(units)
            layer_args.append(kwarg("reset_after", cst.Name("False")))
            layer_args.append(kwarg("bias_initializer", cst.parse_expression(
                f"{root}.keras.initializers.Constant([1.0] * (2 * {n}) + [0.0] * {n})")))
        elif not rl.unit_forget_bias:
            layer_args.append(kwarg("unit_forget_bias", cst.Name("False")))
        layer_args.append(kwarg("zero_output_for_mask", cst.Name("True")))
        layer_args.append(kwarg("name", cst.SimpleString(_quoted(rl.name, rl.quote))))
        cls = "GRU" if rl.cell_kind in GRUS else "LSTM"
        value = cst.Call(func=cst.parse_expression(f"{root}.keras.layers.{cls}"), args=fix_commas(layer_args))
        return [updated_line.with_changes(body=[small.with_changes(value=value)])]

    def creation_builder(self, rl: RnnLine) -> Callable[[cst.SimpleStatementLine], list[cst.BaseStatement]]:
        def build(updated_line: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
            return self.creation(rl, updated_line)
        return build

    def note(self, rl: RnnLine, root: str) -> str:
        cell = f"tf.{rl.cell_kind}"
        if rl.cell_kind in GRUS:
            return (f"{cell} unrolled by tf.nn.dynamic_rnn becomes {root}.keras.layers.GRU(return_sequences=True, "
                    "return_state=True, reset_after=False, zero_output_for_mask=True) created once and called with "
                    "mask=tf.sequence_mask(sequence_length) (zero outputs after each length, the state of the last "
                    "valid step); reset_after=False is TF1's math (Keras defaults to reset_after=True) and the bias "
                    "starts as TF1's (ones for the gates, zeros for the candidate). The kernels are drawn by Keras' "
                    "initializers (glorot-uniform kernel, orthogonal recurrent kernel) instead of TF1's glorot uniform "
                    "over the joined kernels. TF1 checkpoints need the weight conversion that `migrate "
                    "convert-checkpoint` applies (migrate/check/rnn_weights.py): gates/kernel [inputs + units, 2 * units] (r, u) and "
                    "candidate/kernel [inputs + units, units] become kernel and recurrent_kernel with blocks z (= u), "
                    "r, h")
        fb = "1.0, Keras' unit_forget_bias initial value" if rl.unit_forget_bias else "0.0: unit_forget_bias=False"
        return (f"{cell} unrolled by tf.nn.dynamic_rnn becomes {root}.keras.layers.LSTM(return_sequences=True, "
                "return_state=True, zero_output_for_mask=True) created once and called with "
                "mask=tf.sequence_mask(sequence_length) (zero outputs after each length, the state of the last valid "
                f"step; forget_bias {fb}); the state tuple (c, h) becomes the two tensors h, c. The initial weights are "
                "drawn by Keras' initializers (glorot-uniform kernel, orthogonal recurrent kernel) instead of TF1's "
                "glorot uniform over the joined kernel. TF1 checkpoints need the weight conversion that `migrate "
                "convert-checkpoint` applies (migrate/check/rnn_weights.py): the kernel [inputs + units, 4 * units] splits "
                "into kernel and recurrent_kernel, gates i, j, f, o become i, f, c, o, forget_bias is added to the f block "
                "of the bias" + ("" if rl.unit_forget_bias else " (pass --lstm-forget-bias 0.0)"))

    # after classification ------------------------------------------------------------------
    def finish(self) -> None:
        """Each converted dynamic_rnn line must have been moved into the generated functions
        (the cell line stays, as the layer object), and the cell's arguments must be Python
        values."""
        from rules.tf1_to_tf2._graph import Unsupported

        an = self.an
        plan = an.plan
        for rl in self.lines:
            check_unroll_moved(an, rl.rnn_line, rl.rnn_call, "tf.nn.dynamic_rnn")
            if id(rl.cell_line) in plan.remove or id(rl.cell_line) in plan.capture:
                raise Unsupported(rl.cell_call, "the LSTM cell would move into a generated function; not converted")
            check_python_arguments(an, rl.cell_line, rl.cell_call, rl.cell_call.func, f"`tf.{rl.cell_kind}`",
                                   "the layer object is created once")
            plan.stmt_builders[id(rl.cell_line)] = self.creation_builder(rl)
        from rules.tf1_to_tf2 import _rnn_stacked

        for s in self.stacked:
            _rnn_stacked.finish(an, s)


def check_unroll_moved(an: Analysis, line: cst.CSTNode, call: cst.Call, spelled: str) -> None:
    """The statement `line` that unrolls a converted RNN must have moved into a generated
    function (its result computed there)."""
    from rules.tf1_to_tf2._graph import Unsupported

    if id(line) not in an.plan.remove or id(line) not in an.plan.capture:
        raise Unsupported(call, f"`{spelled}`: its result is not computed in a generated function; not converted")


def check_python_arguments(an: Analysis, line: cst.CSTNode, root: cst.CSTNode, skip: cst.CSTNode | None, what: str,
                           made: str) -> None:
    """The names under `root`, in the statement `line` that makes the RNN cells (which
    become layers created once), must not be graph objects other than static tensors
    (`skip`: a name not to check, the cell class)."""
    from rules.tf1_to_tf2._graph import Unsupported

    for u in an.units.values():
        st = next((x for x in u.stmts if x.node is line), None)
        if st is None:
            continue
        for n in an_walk(root):
            if isinstance(n, cst.Name) and n is not skip:
                g = an.graph_kind(u, n.value, st.index)
                if g is not None and not (g.static and g.kind == "tensor"):
                    raise Unsupported(n, f"an argument of {what} reads the graph object `{n.value}` ({g.kind}); {made}")


def _opened(an: Analysis, body: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
    """The statements of an opened `with g.as_default():` (the explicit graph that
    _control_flow.graph_idiom removes) are straight-line code too."""
    out: list[cst.BaseStatement] = []
    for st in body:
        out += list(st.body.body) if id(st) in an.update_withs and isinstance(st, cst.With) \
            and isinstance(st.body, cst.IndentedBlock) else [st]
    return out


def only_target(line: cst.SimpleStatementLine) -> cst.BaseExpression:
    small = line.body[0]
    assert isinstance(small, cst.Assign)
    return small.targets[0].target


def _assigned(st: cst.BaseStatement) -> set[str]:
    out: set[str] = set()
    for n in an_walk(st):
        if isinstance(n, cst.AssignTarget):
            for m in an_walk(n.target):
                if isinstance(m, cst.Name):
                    out.add(m.value)
        elif isinstance(n, (cst.For, cst.With, cst.AugAssign, cst.AnnAssign, cst.NamedExpr)):
            tgt = getattr(n, "target", None)
            for m in an_walk(tgt) if tgt is not None else ():
                if isinstance(m, cst.Name):
                    out.add(m.value)
    return out


def _parent(an: Analysis, node: cst.CSTNode) -> cst.CSTNode | None:
    it = an.ancestors(node)
    next(it)
    return next(it, None)


def _within(an: Analysis, node: cst.CSTNode, scope: cst.CSTNode) -> bool:
    if isinstance(scope, cst.Module):
        return True
    return any(a is scope for a in an.ancestors(node))


def _pair(node: cst.BaseExpression) -> tuple[str, str] | None:
    """The two names of a `(c, h)` target."""
    if isinstance(node, (cst.Tuple, cst.List)) and len(node.elements) == 2 and all(
            isinstance(e, cst.Element) and isinstance(e.value, cst.Name) for e in node.elements):
        return node.elements[0].value.value, node.elements[1].value.value  # type: ignore[attr-defined]
    return None


def _assignments(an: Analysis, scope: cst.CSTNode) -> dict[str, cst.BaseExpression]:
    """Names assigned exactly once in `scope` by `name = value` -> value."""
    seen: dict[str, list[cst.BaseExpression]] = {}
    for n in an_walk(scope):
        if isinstance(n, cst.Assign) and len(n.targets) == 1 and isinstance(n.targets[0].target, cst.Name):
            seen.setdefault(n.targets[0].target.value, []).append(n.value)
    return {k: v[0] for k, v in seen.items() if len(v) == 1}


def _literal(node: cst.BaseExpression) -> float | None:
    if isinstance(node, (cst.Integer, cst.Float)):
        return float(node.value)
    return None


def convert_rnn_cells(an: Analysis, refs: list[tuple[cst.CSTNode, str]]) -> RnnCells:
    conv = RnnCells(an)
    conv.run(refs)
    return conv

