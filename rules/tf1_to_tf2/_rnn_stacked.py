"""TF2120: a MultiRNNCell of GRU or LSTM cells unrolled by `tf.nn.static_rnn` in straight-line session code.

Not a rule module. Called by _rnn.py's RnnCells (after TF2120's preparation, _builders.py,
removed a zero state fed back unchanged, split a final state read by layer and wrote a
cell-making helper into its list comprehension, _rnn_prepare.py):

    cells = [tf.nn.rnn_cell.GRUCell(HIDDEN) for _ in range(NUM_LAYERS)]
    cell = tf.nn.rnn_cell.MultiRNNCell(cells)
    outputs, final_state = tf.nn.static_rnn(cell, step_inputs, dtype=tf.float32)

becomes Keras GRU layers created once where TF1 created the cells (the MultiRNNCell goes)

    cells = [tf.keras.layers.GRU(HIDDEN, return_sequences=True, return_state=True, reset_after=False,
                                 bias_initializer=tf.keras.initializers.Constant(...)) for _ in range(NUM_LAYERS)]

and, in the generated functions, each layer over the previous one's outputs, on the steps
stacked along time; the per-step outputs as a list again, the final state as the list of
the layers' states:

    sequence = tf.stack(step_inputs, axis=1)
    final_state = []
    for layer in cells:
        sequence, layer_state = layer(sequence)
        final_state.append(layer_state)
    outputs = tf.unstack(sequence, axis=1)

Why the math is the same: at every step TF1's MultiRNNCell runs cell 0 on the step's input
and cell k on cell k-1's new output, each from its own state; running layer 0 over all the
steps and then layer 1 over its outputs computes the same values (no layer reads another's
state). static_rnn with `dtype=` starts every cell from zeros (Keras' initial state) and
returns the top cell's outputs per step and the tuple of the cells' final states (a GRU's
state is its h: the layer's returned state). Each GRUCell is Keras' GRU with
reset_after=False and TF1's initial bias (_rnn.py; ``keras_gru_weights`` maps the weights).

LSTM cells (BasicLSTMCell/LSTMCell with the number of units, forget_bias 1.0 or 0.0,
state_is_tuple=True; tf.contrib.rnn's spellings alike) become `tf.keras.layers.LSTM(n,
return_sequences=True, return_state=True)` (unit_forget_bias=False for forget_bias=0.0; the
cell math and ``keras_lstm_weights``: _rnn.py). A layer returns its outputs, h and c; the
final state becomes the list of the layers' `(c, h)` pairs (TF1's LSTMStateTuple order),
read only as `final_state[k].h` / `.c` (written `final_state[k][1]` / `[0]`) or
`final_state[k][i]`. A cell written `DropoutWrapper(cell, output_keep_prob=k)` (a name or
a number) drops the cell's output at every step with a new mask per element, not the
state passed on (rnn_cell_impl.DropoutWrapper: `output = dropout(output, keep_prob)` after
the cell, `new_state` untouched); since the next cell and the unroll's outputs read that
output, this is `sequence = tf.nn.dropout(sequence, rate=1 - k)` after each layer (the
layer's returned state is not dropped). TF1 applies it at every run, 1.0 keeping
everything, so `k` is read where the layers are called: a placeholder_with_default(1.0)
becomes an argument of the generated functions defaulting to 1.0. input_keep_prob,
state_keep_prob, variational_recurrent and seed are refused with the reason (other
masks).

`tf.trainable_variables()` read after the unroll lists the layers' variables where TF1
listed the cells' (``trainable_entries``: `[v for layer in cells for v in
layer.trainable_variables]`, kernel, recurrent_kernel, bias per layer in layer order,
TF1's cell_k/kernel, bias mapped), read after a trace that builds them (``late_read``).

Refused (the reason says what is in the way): other cells in the MultiRNNCell, cell
arguments other than these, static_rnn arguments other than the cell, the
inputs and dtype=tf.float32 (initial_state, sequence_length, scope), a cell list or
MultiRNNCell used elsewhere, a final state used other than by index (`final_state[k]`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import libcst as cst

from rules.tf1_to_tf2._common import code, tf_root
from rules.tf1_to_tf2._variables import _is_none, an_walk

if TYPE_CHECKING:
    from rules.tf1_to_tf2._graph import Analysis, Plan

STATIC_PARAMS = ["cell", "inputs", "initial_state", "dtype", "sequence_length", "scope"]
MULTI = ("nn.rnn_cell.MultiRNNCell", "contrib.rnn.MultiRNNCell")
GRU_CELLS = ("nn.rnn_cell.GRUCell", "contrib.rnn.GRUCell")
LSTM_CELLS = ("nn.rnn_cell.BasicLSTMCell", "contrib.rnn.BasicLSTMCell", "nn.rnn_cell.LSTMCell", "contrib.rnn.LSTMCell")
WRAPPERS = ("nn.rnn_cell.DropoutWrapper", "contrib.rnn.DropoutWrapper")
WRAPPER_PARAMS = ["cell", "input_keep_prob", "output_keep_prob", "state_keep_prob", "variational_recurrent",
                  "input_size", "dtype", "seed", "dropout_state_filter_visitor"]
# DropoutWrapper arguments not converted -> why
WRAPPER_REFUSED = {
    "input_keep_prob": "drops each cell's inputs (a Keras LSTM's dropout= draws one mask for all the steps)",
    "state_keep_prob": "drops the state passed to the next step (Keras' recurrent_dropout= drops the recurrent "
                       "input with one mask for all the steps, not the state)",
    "variational_recurrent": "draws one mask for all the steps",
    "input_size": "is only read with variational_recurrent",
    "dtype": "is only read with variational_recurrent",
    "seed": "seeds TF1's dropout ops (TF2's tf.nn.dropout draws other masks)",
    "dropout_state_filter_visitor": "selects which state parts state_keep_prob drops",
}


class Refused(Exception):
    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


class Stacked:
    """One converted MultiRNNCell + static_rnn."""

    def __init__(self, cells_line: cst.SimpleStatementLine, gru_call: cst.Call, multi_line: cst.SimpleStatementLine,
                 multi_call: cst.Call, rnn_line: cst.SimpleStatementLine, rnn_call: cst.Call, outputs: str,
                 state: str | None, cells: str) -> None:
        self.cells_line = cells_line
        self.gru_call = gru_call  # the cell call (a GRU or an LSTM cell)
        self.lstm = False
        self.unit_forget_bias = True
        self.wrapper: cst.Call | None = None  # DropoutWrapper(cell, output_keep_prob=k)
        self.keep: cst.BaseExpression | None = None  # its k
        self.comp: cst.ListComp | None = None
        self.state_reads: dict[int, int] = {}  # id of `state[k].h` / `.c` -> 1 / 0
        self.multi_line = multi_line
        self.multi_call = multi_call
        self.rnn_line = rnn_line
        self.rnn_call = rnn_call
        self.outputs = outputs
        self.state = state
        self.cells = cells


def _small(st: cst.BaseStatement) -> cst.BaseSmallStatement | None:
    return st.body[0] if isinstance(st, cst.SimpleStatementLine) and len(st.body) == 1 else None


def _assigned_once(body: list[cst.BaseStatement], i: int, name: str) -> tuple[cst.SimpleStatementLine, cst.Assign]:
    found = []
    for st in body:
        for n in an_walk(st):
            if isinstance(n, cst.AssignTarget) and any(isinstance(m, cst.Name) and m.value == name for m in an_walk(n.target)):
                found.append(st)
    if len(found) != 1 or found[0] not in body[:i]:
        raise Refused(f"`{name}` is not assigned exactly once before the unroll in straight-line code")
    small = _small(found[0])
    if not (isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name)):
        raise Refused(f"`{name}` is not bound by a plain `{name} = ...` statement")
    return found[0], small  # type: ignore[return-value]


def analyse(an: Analysis, fn: cst.FunctionDef | None, body: list[cst.BaseStatement], i: int,
            st: cst.BaseStatement, call: cst.Call, args: Callable[[cst.Call, list[str], str], dict[str, cst.Arg]]) -> Stacked:
    small = _small(st)
    target = small.targets[0].target if isinstance(small, cst.Assign) and len(small.targets) == 1 else None
    if not (isinstance(small, cst.Assign) and small.value is call and isinstance(target, cst.Tuple)
            and len(target.elements) == 2 and all(isinstance(e.value, cst.Name) for e in target.elements)):
        raise Refused("not in the form `outputs, state = tf.nn.static_rnn(cell, inputs, dtype=tf.float32)` in "
                      "straight-line code")
    outputs, state = (e.value.value for e in target.elements)  # type: ignore[attr-defined]
    a = args(call, STATIC_PARAMS, "tf.nn.static_rnn")
    cell = a["cell"].value if "cell" in a else None
    if not isinstance(cell, cst.Name):
        raise Refused("the cell is not a name bound by `cell = tf.nn.rnn_cell.MultiRNNCell(cells)`")
    multi_line, multi = _assigned_once(body, i, cell.value)
    if an.call_rest(multi.value) not in MULTI:
        raise Refused(f"the cell `{cell.value}` is not a MultiRNNCell")
    for k, v in a.items():
        if k in ("cell", "inputs") or _is_none(v.value):
            continue
        if k == "dtype" and an.rest(v.value) == "float32":
            continue
        raise Refused(f"`tf.nn.static_rnn(..., {k}={code(v.value)})` is not converted (only the cell, the inputs and "
                      "dtype=tf.float32)")
    if "dtype" not in a or "cell" not in a or "inputs" not in a:
        raise Refused("`tf.nn.static_rnn` without a cell, inputs and dtype=tf.float32")
    if any(w in an.ctx.source_text for w in ("float64", "float16", "bfloat16", "double")):
        raise Refused("the file uses another float dtype: a Keras layer computes in float32; not converted")
    multi_call = multi.value
    assert isinstance(multi_call, cst.Call)
    margs = args(multi_call, ["cells", "state_is_tuple"], "tf.nn.rnn_cell.MultiRNNCell")
    if "state_is_tuple" in margs and code(margs["state_is_tuple"].value) != "True":
        raise Refused("`MultiRNNCell(..., state_is_tuple=False)` (one concatenated state) is not converted")
    cells_arg = margs.get("cells")
    if cells_arg is not None and isinstance(cells_arg.value, cst.ListComp):
        # `cell = MultiRNNCell([<cell> for _ in range(k)])`: the MultiRNNCell line becomes the layers
        cells_name, cells_line, comp = cell.value, multi_line, cells_arg.value
    elif cells_arg is not None and isinstance(cells_arg.value, cst.Name):
        cells_name = cells_arg.value.value
        cells_line, cells = _assigned_once(body, i, cells_name)
        comp = cells.value  # type: ignore[assignment]
    else:
        raise Refused("the MultiRNNCell's cells are not a name bound by `cells = [tf.nn.rnn_cell.GRUCell(n) for _ in "
                      "range(k)]` or such a list comprehension")
    if not (isinstance(comp, cst.ListComp) and comp.for_in.inner_for_in is None and not comp.for_in.ifs
            and isinstance(comp.elt, cst.Call)
            and an.call_rest(comp.elt) in GRU_CELLS + LSTM_CELLS + WRAPPERS):
        raise Refused(f"`{cells_name}` is not `[tf.nn.rnn_cell.GRUCell(n) for _ in range(k)]` (only GRU or LSTM cells "
                      "of one size, each alone or in a DropoutWrapper, are converted in a MultiRNNCell)")
    wrapper, keep = None, None
    gru = comp.elt
    if an.call_rest(gru) in WRAPPERS:
        wrapper = gru
        wargs = args(wrapper, WRAPPER_PARAMS, "tf.nn.rnn_cell.DropoutWrapper")
        for k, why in WRAPPER_REFUSED.items():
            v = wargs.get(k)
            if v is not None and not (k != "seed" and _is_none(v.value)) and not (
                    k in ("input_keep_prob", "state_keep_prob") and code(v.value) in ("1.0", "1")) and not (
                    k == "variational_recurrent" and code(v.value) == "False"):
                raise Refused(f"`DropoutWrapper(..., {k}={code(v.value)})` {why}: not converted (only output_keep_prob, "
                              "a dropout of each cell's outputs at every step)")
        inner = wargs.get("cell")
        if inner is None or not isinstance(inner.value, cst.Call) or an.call_rest(inner.value) not in GRU_CELLS + LSTM_CELLS:
            raise Refused("the DropoutWrapper does not wrap a GRUCell/BasicLSTMCell/LSTMCell made in place")
        gru = inner.value
        out_keep = wargs.get("output_keep_prob")
        if out_keep is not None and not (isinstance(out_keep.value, (cst.Name, cst.Float, cst.Integer))):
            raise Refused(f"`DropoutWrapper(..., output_keep_prob={code(out_keep.value)})`: only a name or a number is "
                          "converted")
        keep = out_keep.value if out_keep is not None else None
    lstm = an.call_rest(gru) in LSTM_CELLS
    unit_forget_bias = True
    if lstm:
        from rules.tf1_to_tf2._rnn import CELLS, NEUTRAL, _literal

        params, _scope = CELLS[an.call_rest(gru)]  # type: ignore[index]
        gargs = args(gru, params, an.call_rest(gru) or "")
        for k, v in gargs.items():
            if k == "num_units" and isinstance(v.value, (cst.Name, cst.Integer, cst.Attribute)):
                continue
            if k == "forget_bias" and _literal(v.value) in (1.0, 0.0):
                unit_forget_bias = _literal(v.value) == 1.0
                continue
            if k in NEUTRAL and code(v.value) == NEUTRAL[k]:
                continue
            raise Refused(f"an LSTM cell with `{k}={code(v.value)}` is not converted (only the number of units, "
                          "forget_bias=1.0 or 0.0 and state_is_tuple=True)")
        if "num_units" not in gargs:
            raise Refused("an LSTM cell without its number of units")
    else:
        gargs = args(gru, ["num_units", "activation", "reuse", "kernel_initializer", "bias_initializer", "name", "dtype"],
                     "tf.nn.rnn_cell.GRUCell")
        if set(gargs) != {"num_units"} or not isinstance(gargs["num_units"].value, (cst.Name, cst.Integer, cst.Attribute)):
            raise Refused("a GRUCell with arguments other than the number of units (a name or a number) is not converted")
    loop_names = {n.value for n in an_walk(comp.for_in.target) if isinstance(n, cst.Name)}
    if loop_names & {n.value for n in an_walk(comp.elt) if isinstance(n, cst.Name)}:
        raise Refused("the cells differ by the comprehension's variable")
    scope = fn if fn is not None else an.module
    checks = ((cells_name, {id(cells_arg.value), id(cell)}),) if cells_line is multi_line else \
        ((cells_name, {id(cells_arg.value)}), (cell.value, {id(cell)}))
    for name, allowed in checks:
        uses = [n for n in an_walk(scope) if isinstance(n, cst.Name) and n.value == name
                and not any(isinstance(x, cst.AssignTarget) for x in an.ancestors(n)) and id(n) not in allowed]
        if uses:
            raise Refused(f"`{name}` is used for something else than the unroll (zero_state, state_size, a second "
                          "unroll...): not converted")
    state_reads: dict[int, int] = {}
    for n in an_walk(scope):
        if isinstance(n, cst.Name) and n.value == state and n is not target.elements[1].value:
            parent = next((p for p in an.ancestors(n) if p is not n), None)
            if not (isinstance(parent, cst.Subscript) and parent.value is n and len(parent.slice) == 1
                    and isinstance(parent.slice[0].slice, cst.Index) and _int(parent.slice[0].slice.value)):
                raise Refused(f"the MultiRNNCell's final state `{state}` (a tuple of the layers' states) is used "
                              f"other than as `{state}[k]`: not converted")
            if lstm:  # an LSTMStateTuple(c, h) per layer: read by part
                up = next((p for p in an.ancestors(parent) if p is not parent), None)
                if isinstance(up, cst.Attribute) and up.value is parent and up.attr.value in ("h", "c"):
                    state_reads[id(up)] = 1 if up.attr.value == "h" else 0
                elif not (isinstance(up, cst.Subscript) and up.value is parent and len(up.slice) == 1
                          and isinstance(up.slice[0].slice, cst.Index)
                          and code(up.slice[0].slice.value) in ("0", "1", "-1", "-2")):
                    raise Refused(f"the state of an LSTM layer, `{code(parent)}`, is used other than as its `.h` / `.c` "
                                  "(a Keras LSTM returns h and c as two tensors): not converted")
    out = Stacked(cells_line, gru, multi_line, multi_call, st, call, outputs, state, cells_name)  # type: ignore[arg-type]
    out.lstm, out.unit_forget_bias, out.wrapper, out.keep, out.comp = lstm, unit_forget_bias, wrapper, keep, comp
    out.state_reads = state_reads
    if keep is not None:
        # the dropout is applied where the layers are called: the unroll reads the keep probability
        names = {n.value for n in an_walk(keep) if isinstance(n, cst.Name)}
        moved = an.__dict__.setdefault("moved_uses", {})
        moved[id(cells_line)] = (names, set())
        moved[id(st)] = (set(), names)
    return out


def stack_ref(r: str | None) -> bool:
    """A TF1 name a converted MultiRNNCell + static_rnn is made of (their variables are the
    layers', listed by ``trainable_entries``)."""
    return r is not None and (r in MULTI + GRU_CELLS + LSTM_CELLS + WRAPPERS or r in ("nn.static_rnn", "contrib.rnn.static_rnn"))


def trainable_entries(an: Analysis, u, before: int) -> tuple[list[tuple[int, str]], set[int]]:  # type: ignore[no-untyped-def]
    """For a TRAINABLE_VARIABLES read at top-level index `before` of unit `u` (_collections.py):
    (index of the unroll, the layers' variables) of each stack converted in `u` and unrolled
    before the read (TF1 made the cells' variables when static_rnn built them, cell after
    cell, each cell's kernel then bias: the Keras layers list kernel, recurrent_kernel,
    bias, in the same order of layers), and the ids of every node of the stacks' TF1
    references."""
    entries: list[tuple[int, str]] = []
    nodes: set[int] = set()
    for s in an.__dict__.get("rnn_stacks", []):
        for ref in (s.rnn_call.func, s.gru_call.func, s.multi_call.func, *((s.wrapper.func,) if s.wrapper else ())):
            nodes |= {id(n) for n in an_walk(ref)}
        nodes |= {id(s.cells_line), id(s.multi_line), id(s.rnn_line)}
        st = next((x for x in u.stmts if x.node is s.rnn_line), None)
        if st is not None and st.index < before:
            entries.append((st.index, f"[v for layer in {s.cells} for v in layer.trainable_variables]"))
    if entries:  # the names an import binds make no variables (`from tensorflow.contrib import rnn`)
        for n in an_walk(an.module):
            if isinstance(n, (cst.Import, cst.ImportFrom)):
                nodes |= {id(m) for m in an_walk(n)}
    return entries, nodes


def late_read(an: Analysis, u, read, call: cst.Call, code_: str) -> None:  # type: ignore[no-untyped-def]
    """`tvars = tf.trainable_variables()` listing the variables of converted RNN layers: a
    Keras layer makes its variables at its first call, inside the first trace of a generated
    function, so the list is read after the generated functions, behind
    `<function>.get_concrete_function()` of one that calls every stack's layers and does not
    read the list (the trace builds them and runs nothing). Between its old place and there
    the list may only be read by the train steps' gradient pairs (`tf.gradients(loss, tvars)`,
    `apply_gradients(zip(grads, tvars))`), which read it when they run, after the line.
    Refused otherwise, with the reason."""
    from rules.tf1_to_tf2._collections import LateLines
    from rules.tf1_to_tf2._graph import GRADS, TRAIN, Unsupported

    spelled = f"`{an.code(call)}`"
    line = read.node
    small = _small(line)
    if not (isinstance(small, cst.Assign) and small.value is call and len(small.targets) == 1
            and isinstance(small.targets[0].target, cst.Name)):
        raise Unsupported(call, f"{spelled} listing the variables of Keras RNN layers (made at their first call) is not "
                                "`name = tf.trainable_variables()`; not converted")
    name = small.targets[0].target.value
    for st in u.stmts:
        if st is read or not any(isinstance(n, cst.Name) and n.value == name for n in an_walk(st.node)):
            continue
        if st.kind not in (GRADS, TRAIN) or name in st.defines:
            raise Unsupported(call, f"{spelled}: `{name}` lists the variables of Keras RNN layers, which exist after the "
                                    "layers' first call; it is read here only by the train steps' gradients "
                                    f"(tf.gradients / apply_gradients), not by `{an.code(st.node).strip()}`; not converted")
    mine = [v for v in an.variants if v.unit is u]
    stacks = [s for s in an.__dict__.get("rnn_stacks", []) if any(x.node is s.rnn_line for x in u.stmts)]
    runs = sorted((top, i) for i, v in enumerate(mine) for top in v.tops)
    var = None
    for _top, i in runs:
        v = mine[i]
        members = {id(m.node) for m in v.members} | ({id(m.node) for m in v.helper.members} if v.helper is not None else set())
        reads = v.train is not None and any(isinstance(n, cst.Name) and n.value == name for n in an_walk(v.train.node))
        if not reads and all(id(s.rnn_line) in members for s in stacks) and all(p.stmt.kind != "dataset element" for p in v.params):
            var = v
            break
    if var is None:
        raise Unsupported(call, f"{spelled}: no converted run that does not train calls every Keras RNN layer, so no trace "
                                "builds their variables before the list is read; not converted")
    anchor = max(v.anchor for v in mine)
    if any(top <= anchor for v in mine for top in v.tops):
        raise Unsupported(call, f"{spelled}: a run comes before the last converted function is defined, where the list "
                                "of the Keras RNN layers' variables would be read; not converted")
    if anchor < read.index:
        raise Unsupported(call, f"{spelled} after the converted functions (the runs before it may not have built the Keras "
                                "RNN layers); not converted")
    an.plan.remove.add(id(line))
    anchor_stmt = u.body[anchor]
    anchor_stmt = an.metric_synthetic.get(id(anchor_stmt), anchor_stmt)
    trace = f"{var.name}.get_concrete_function()  # builds the Keras layers (their variables)"
    late = an.plan.inserts.setdefault(id(anchor_stmt), [])
    prev = next((x for x in late if isinstance(x, LateLines) and x.trace == trace), None)
    if prev is not None:
        prev.add(read.index, f"{name} = {code_}", line)
    else:
        late.append(LateLines(trace, read.index, f"{name} = {code_}", line))


def _int(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        node = node.expression
    return isinstance(node, cst.Integer)


def register(an: Analysis, s: Stacked, args: Callable[[cst.Call, list[str], str], dict[str, cst.Arg]]) -> None:
    root = tf_root(an.ctx)
    an.__dict__.setdefault("rnn_stacks", []).append(s)
    if s.cells_line is s.multi_line:  # the list of layers gets a name of its own
        s.cells = an.fresh("cells")
    an.allowed_refs |= {id(s.rnn_call.func), id(s.gru_call.func), id(s.multi_call.func)}
    an.inline_layer_lines.add(id(s.rnn_line))
    an.plan.dropped += [s.rnn_call.func, s.gru_call.func, s.multi_call.func]
    if s.wrapper is not None:
        an.allowed_refs.add(id(s.wrapper.func))
        an.plan.dropped.append(s.wrapper.func)
    names = {"sequence": an.fresh("sequence"), "layer": an.fresh("layer"), "layer_state": an.fresh("layer_state")}
    if s.lstm:
        names.update({"h": an.fresh("layer_h"), "c": an.fresh("layer_c")})
        for rid, k in s.state_reads.items():  # `state[k].h` -> `state[k][1]`: the layer's (c, h) pair
            an.plan.node_builders[rid] = lambda upd, k=k: cst.Subscript(
                value=upd.value, slice=[cst.SubscriptElement(cst.Index(cst.Integer(str(k))))],
                lpar=upd.lpar, rpar=upd.rpar)
    expansions: dict[int, list[cst.BaseStatement]] = an.__dict__.setdefault("rnn_expansions", {})

    def build(updated: cst.Call) -> cst.BaseExpression:
        a = args(updated, STATIC_PARAMS, "tf.nn.static_rnn")
        inputs = code(a["inputs"].value)
        seq, layer, ls = names["sequence"], names["layer"], names["layer_state"]
        state = s.state or "_"
        call = f"{seq}, {names['h']}, {names['c']}" if s.lstm else f"{seq}, {ls}"
        keeps_all = s.keep is None or (isinstance(s.keep, (cst.Float, cst.Integer)) and float(s.keep.value) == 1.0)
        drop = "" if keeps_all else f"    {seq} = {root}.nn.dropout({seq}, rate=1 - {code(s.keep)})\n"
        kept = f"({names['c']}, {names['h']})" if s.lstm else ls
        src = (f"{seq} = {root}.stack({inputs}, axis=1)\n"
               f"{state} = []\n"
               f"for {layer} in {s.cells}:\n"
               f"    {call} = {layer}({seq})\n"
               f"{drop}"
               f"    {state}.append({kept})\n"
               f"{s.outputs} = {root}.unstack({seq}, axis=1)\n")
        marker = cst.Name(seq)
        expansions[id(marker)] = list(cst.parse_module(src).body)
        return marker

    an.plan.call_builders[id(s.rnn_call)] = build
    if s.lstm:
        an.plan.checkpoint_notes.append((s.rnn_call.func, lstm_note(s, root)))
        return
    an.plan.checkpoint_notes.append((s.rnn_call.func, (
        f"a MultiRNNCell of tf.nn.rnn_cell.GRUCell unrolled by tf.nn.static_rnn becomes a list of {root}.keras.layers.GRU"
        "(return_sequences=True, return_state=True, reset_after=False) created once, each called over the previous "
        "one's outputs on the steps stacked along time (tf.stack(inputs, axis=1)); the per-step outputs are "
        "tf.unstack(..., axis=1) of the top layer's, the final state the list of the layers' states. reset_after=False "
        "is TF1's math and the bias starts as TF1's (ones for the gates, zeros for the candidate); the kernels are "
        "drawn by Keras' initializers. TF1 checkpoints: the variables of rnn/multi_rnn_cell/cell_k/gru_cell/"
        "{gates,candidate}/{kernel,bias} belong to the k-th layer of the list, in the Keras layout of "
        "migrate/check/rnn_weights.py (keras_gru_weights: kernel, recurrent_kernel, bias with blocks z, r, h); the "
        "layers have Keras' own names (gru, gru_1, ...): load them with layer.set_weights")))


def lstm_note(s: Stacked, root: str) -> str:
    kept = s.keep is None or (isinstance(s.keep, (cst.Float, cst.Integer)) and float(s.keep.value) == 1.0)
    drop = ("" if kept else f" after {root}.nn.dropout(rate=1 - keep_prob) of each layer's outputs "
            "(DropoutWrapper(output_keep_prob=): a new mask per step and element, the state not dropped)")
    return (f"a MultiRNNCell of TF1 LSTM cells unrolled by tf.nn.static_rnn becomes a list of {root}.keras.layers.LSTM"
            "(return_sequences=True, return_state=True) created once, each called over the previous one's outputs"
            f"{drop} on the steps stacked along time (tf.stack(inputs, axis=1)); the per-step outputs are "
            "tf.unstack(..., axis=1) of the top layer's, the final state the list of the layers' (c, h) pairs "
            "(`state[k].h` is `state[k][1]`). forget_bias " + (
                "1.0 is Keras' unit_forget_bias initial value" if s.unit_forget_bias else "0.0: unit_forget_bias=False")
            + "; the kernels are drawn by Keras' initializers (glorot-uniform kernel, orthogonal recurrent kernel) "
            "instead of TF1's glorot uniform over the joined kernel. TF1 checkpoints: rnn/multi_rnn_cell/cell_k/"
            "basic_lstm_cell/{kernel,bias} belong to the k-th layer of the list, in the Keras layout of "
            "migrate/check/rnn_weights.py (keras_lstm_weights: the kernel splits into kernel and recurrent_kernel, "
            "gates i, j, f, o become i, f, c, o, forget_bias is added to the f block of the bias); the layers have "
            "Keras' own names (lstm, lstm_1, ...): load them with layer.set_weights")


def creation(an: Analysis, s: Stacked) -> Callable[[cst.SimpleStatementLine], list[cst.BaseStatement]]:
    root = tf_root(an.ctx)

    def build(updated: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
        small = updated.body[0]
        assert isinstance(small, cst.Assign)
        value = small.value
        if isinstance(value, cst.Call):  # `cell = MultiRNNCell([...])`: the list comprehension alone
            value = next(a.value for a in value.args if isinstance(a.value, cst.ListComp))
        assert isinstance(value, cst.ListComp)
        cell = value.elt
        assert isinstance(cell, cst.Call)
        if s.wrapper is not None:
            cell = next(a.value for a in cell.args if a.keyword is None or a.keyword.value == "cell")  # type: ignore[assignment]
            assert isinstance(cell, cst.Call)
        units = next(a for a in cell.args if a.keyword is None or a.keyword.value == "num_units")
        n = code(units.value)
        if s.lstm:
            extra = "" if s.unit_forget_bias else ", unit_forget_bias=False"
            layer = cst.parse_expression(f"{root}.keras.layers.LSTM({n}, return_sequences=True, return_state=True{extra})")
        else:
            layer = cst.parse_expression(
                f"{root}.keras.layers.GRU({n}, return_sequences=True, return_state=True, reset_after=False, "
                f"bias_initializer={root}.keras.initializers.Constant([1.0] * (2 * {n}) + [0.0] * {n}))")
        comp = value.with_changes(elt=layer, lbracket=cst.LeftSquareBracket(), rbracket=cst.RightSquareBracket())
        targets = [small.targets[0].with_changes(target=cst.Name(s.cells))]
        return [updated.with_changes(body=[small.with_changes(targets=targets, value=comp)])]
    return build


def finish(an: Analysis, s: Stacked) -> None:
    from rules.tf1_to_tf2._graph import Unsupported
    from rules.tf1_to_tf2._rnn import check_python_arguments, check_unroll_moved

    plan = an.plan
    check_unroll_moved(an, s.rnn_line, s.rnn_call, "tf.nn.static_rnn")
    for line in (s.cells_line, s.multi_line):
        if id(line) in plan.remove or id(line) in plan.capture:
            raise Unsupported(s.gru_call, "the GRU cells would move into a generated function; not converted")
    what = "the LSTM cells" if s.lstm else "the GRU cells"
    if s.wrapper is None and s.cells_line is not s.multi_line:
        check_python_arguments(an, s.cells_line, s.cells_line, None, what, "the layers are created once")
    else:  # the keep probability is read where the layers are called
        assert s.comp is not None
        for part in (s.gru_call, s.comp.for_in.iter):
            check_python_arguments(an, s.cells_line, part, None, what, "the layers are created once")
    if s.multi_line is not s.cells_line:
        plan.stmt_builders[id(s.multi_line)] = lambda updated: []
    plan.stmt_builders[id(s.cells_line)] = creation(an, s)


class _Expand(cst.CSTTransformer):
    def __init__(self, expansions: dict[int, list[cst.BaseStatement]]) -> None:
        self.expansions = expansions

    def leave_SimpleStatementLine(self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine):  # type: ignore[no-untyped-def]
        small = _small(original)
        if isinstance(small, cst.Assign) and id(small.value) in self.expansions:
            stmts = list(self.expansions[id(small.value)])
            if stmts:
                stmts[0] = stmts[0].with_changes(leading_lines=updated.leading_lines)
            return cst.FlattenSentinel(stmts)
        return updated


def expand(plan: Plan, fn: cst.FunctionDef) -> cst.FunctionDef:
    """The generated function with each converted unroll written out (its statements)."""
    expansions = getattr(plan.analysis, "rnn_expansions", None)  # type: ignore[attr-defined]
    if not expansions:
        return fn
    out = fn.visit(_Expand(expansions))
    assert isinstance(out, cst.FunctionDef)
    return out
