"""TF2120: a MultiRNNCell of GRUCells unrolled by `tf.nn.static_rnn` in straight-line session code.

Not a rule module. Called by _rnn.py's RnnCells (after TF2120's preparation, _builders.py,
removed a zero state fed back unchanged and split a final state read by layer):

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

Refused (the reason says what is in the way): other cells in the MultiRNNCell, cell
arguments other than the number of units, static_rnn arguments other than the cell, the
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
        self.gru_call = gru_call
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
    if cells_arg is None or not isinstance(cells_arg.value, cst.Name):
        raise Refused("the MultiRNNCell's cells are not a name bound by `cells = [tf.nn.rnn_cell.GRUCell(n) for _ in "
                      "range(k)]`")
    cells_name = cells_arg.value.value
    cells_line, cells = _assigned_once(body, i, cells_name)
    comp = cells.value
    if not (isinstance(comp, cst.ListComp) and comp.for_in.inner_for_in is None and not comp.for_in.ifs
            and isinstance(comp.elt, cst.Call) and an.call_rest(comp.elt) in GRU_CELLS):
        raise Refused(f"`{cells_name}` is not `[tf.nn.rnn_cell.GRUCell(n) for _ in range(k)]` (only GRU cells of one "
                      "size are converted in a MultiRNNCell)")
    gru = comp.elt
    gargs = args(gru, ["num_units", "activation", "reuse", "kernel_initializer", "bias_initializer", "name", "dtype"],
                 "tf.nn.rnn_cell.GRUCell")
    if set(gargs) != {"num_units"} or not isinstance(gargs["num_units"].value, (cst.Name, cst.Integer, cst.Attribute)):
        raise Refused("a GRUCell with arguments other than the number of units (a name or a number) is not converted")
    loop_names = {n.value for n in an_walk(comp.for_in.target) if isinstance(n, cst.Name)}
    if loop_names & {n.value for n in an_walk(gru) if isinstance(n, cst.Name)}:
        raise Refused("the GRU cells differ by the comprehension's variable")
    scope = fn if fn is not None else an.module
    for name, allowed in ((cells_name, {id(cells_arg.value)}), (cell.value, {id(cell)})):
        uses = [n for n in an_walk(scope) if isinstance(n, cst.Name) and n.value == name
                and not any(isinstance(x, cst.AssignTarget) for x in an.ancestors(n)) and id(n) not in allowed]
        if uses:
            raise Refused(f"`{name}` is used for something else than the unroll (zero_state, state_size, a second "
                          "unroll...): not converted")
    for n in an_walk(scope):
        if isinstance(n, cst.Name) and n.value == state and n is not target.elements[1].value:
            parent = next((p for p in an.ancestors(n) if p is not n), None)
            if not (isinstance(parent, cst.Subscript) and parent.value is n and len(parent.slice) == 1
                    and isinstance(parent.slice[0].slice, cst.Index) and _int(parent.slice[0].slice.value)):
                raise Refused(f"the MultiRNNCell's final state `{state}` (a tuple of the layers' states) is used "
                              f"other than as `{state}[k]`: not converted")
    return Stacked(cells_line, gru, multi_line, multi_call, st, call, outputs, state, cells_name)  # type: ignore[arg-type]


def _int(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        node = node.expression
    return isinstance(node, cst.Integer)


def register(an: Analysis, s: Stacked, args: Callable[[cst.Call, list[str], str], dict[str, cst.Arg]]) -> None:
    root = tf_root(an.ctx)
    an.allowed_refs |= {id(s.rnn_call.func), id(s.gru_call.func), id(s.multi_call.func)}
    an.inline_layer_lines.add(id(s.rnn_line))
    an.plan.dropped += [s.rnn_call.func, s.gru_call.func, s.multi_call.func]
    names = {"sequence": an.fresh("sequence"), "layer": an.fresh("layer"), "layer_state": an.fresh("layer_state")}
    expansions: dict[int, list[cst.BaseStatement]] = an.__dict__.setdefault("rnn_expansions", {})

    def build(updated: cst.Call) -> cst.BaseExpression:
        a = args(updated, STATIC_PARAMS, "tf.nn.static_rnn")
        inputs = code(a["inputs"].value)
        seq, layer, ls = names["sequence"], names["layer"], names["layer_state"]
        state = s.state or "_"
        src = (f"{seq} = {root}.stack({inputs}, axis=1)\n"
               f"{state} = []\n"
               f"for {layer} in {s.cells}:\n"
               f"    {seq}, {ls} = {layer}({seq})\n"
               f"    {state}.append({ls})\n"
               f"{s.outputs} = {root}.unstack({seq}, axis=1)\n")
        marker = cst.Name(seq)
        expansions[id(marker)] = list(cst.parse_module(src).body)
        return marker

    an.plan.call_builders[id(s.rnn_call)] = build
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


def creation(an: Analysis, s: Stacked) -> Callable[[cst.SimpleStatementLine], list[cst.BaseStatement]]:
    root = tf_root(an.ctx)

    def build(updated: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
        small = updated.body[0]
        assert isinstance(small, cst.Assign) and isinstance(small.value, cst.ListComp)
        gru = small.value.elt
        assert isinstance(gru, cst.Call)
        n = code(gru.args[0].value)
        layer = cst.parse_expression(
            f"{root}.keras.layers.GRU({n}, return_sequences=True, return_state=True, reset_after=False, "
            f"bias_initializer={root}.keras.initializers.Constant([1.0] * (2 * {n}) + [0.0] * {n}))")
        return [updated.with_changes(body=[small.with_changes(value=small.value.with_changes(elt=layer))])]
    return build


def finish(an: Analysis, s: Stacked) -> None:
    from rules.tf1_to_tf2._graph import Unsupported
    from rules.tf1_to_tf2._rnn import check_python_arguments, check_unroll_moved

    plan = an.plan
    check_unroll_moved(an, s.rnn_line, s.rnn_call, "tf.nn.static_rnn")
    for line in (s.cells_line, s.multi_line):
        if id(line) in plan.remove or id(line) in plan.capture:
            raise Unsupported(s.gru_call, "the GRU cells would move into a generated function; not converted")
    check_python_arguments(an, s.cells_line, s.cells_line, None, "the GRU cells", "the layers are created once")
    plan.stmt_builders[id(s.cells_line)] = creation(an, s)
    plan.stmt_builders[id(s.multi_line)] = lambda updated: []


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
