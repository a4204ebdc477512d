"""PT1006: GradientTape training step -> zero_grad / backward / step."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import libcst as cst

from migrate.engine.names import dotted_name
from migrate.result import Category, Safety
from migrate.rule import Invalid, Valid
from rules.tf2_to_torch._analysis import params_code, zip_vars
from rules.tf2_to_torch._common import (
    TorchRule,
    code_of,
    is_atom,
    iter_nodes,
    keyword_args,
    retire_tf_imports,
)
from rules.tf2_to_torch._loops import schedulers

_TAPE = "tensorflow.GradientTape"
_FUNCTIONAL_MESSAGE = (
    "GradientTape with watch / persistent / several gradients becomes torch.autograd.grad "
    "(watched tensors get requires_grad_(); retain_graph=True on all but the last gradient; "
    "the target is summed as TF does for non-scalar targets)"
)


class _Functional(cst.CSTTransformer):
    """Rewrites `tape.gradient(target, sources)` calls of one tape into torch.autograd.grad."""

    def __init__(self, tape: str, watched: set[str], total: int) -> None:
        super().__init__()
        self.tape, self.watched, self.total = tape, watched, total
        self.seen = 0
        self.problem: str | None = None

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        f = updated_node.func
        if not (isinstance(f, cst.Attribute) and isinstance(f.value, cst.Name) and f.value.value == self.tape):
            return updated_node
        if f.attr.value != "gradient":
            self.problem = f"{self.tape}.{f.attr.value}: use torch.autograd.functional.jacobian"
            return updated_node
        args = keyword_args(updated_node, ["target", "sources", "output_gradients", "unconnected_gradients"])
        if args is None or set(args) != {"target", "sources"}:
            self.problem = "tape.gradient with output_gradients / unconnected_gradients: pass grad_outputs= / allow_unused=True to torch.autograd.grad"
            return updated_node
        self.seen += 1
        retain = ", retain_graph=True" if self.seen < self.total else ""
        target = code_of(args["target"].value)
        target = target if is_atom(args["target"].value) else f"({target})"
        src = args["sources"].value
        if isinstance(src, (cst.List, cst.Tuple)):
            inner = ", ".join(code_of(e.value) for e in src.elements)
            return cst.parse_expression(f"list(torch.autograd.grad({target}.sum(), [{inner}]{retain}))")
        params = params_code(src)
        if params is not None and params.endswith(".parameters()"):
            return cst.parse_expression(f"list(torch.autograd.grad({target}.sum(), list({params}){retain}))")
        name = dotted_name(src)
        if name is not None and name in self.watched:
            return cst.parse_expression(f"torch.autograd.grad({target}.sum(), {name}{retain})[0]")
        self.problem = f"gradient with respect to {code_of(src)}: a tensor (watch it) or a list of tensors? write torch.autograd.grad(target, inputs) by hand"
        return updated_node


@dataclass
class _Match:
    with_stmt: cst.With
    start: int  # index of the With in the block
    seq: list[cst.BaseStatement]  # the With's body followed by the rest of the block
    grad: int  # index in seq of `grads = tape.gradient(loss, vars)`
    apply: int  # index in seq of `opt.apply_gradients(zip(grads, vars))`
    loss: cst.BaseExpression
    opt: cst.BaseExpression
    problem: str | None = None


def _stmts(suite: cst.BaseSuite) -> list[cst.BaseStatement]:
    if isinstance(suite, cst.IndentedBlock):
        return list(suite.body)
    assert isinstance(suite, cst.SimpleStatementSuite)
    return [cst.SimpleStatementLine(body=[s]) for s in suite.body]


def _single(stmt: cst.BaseStatement) -> cst.BaseSmallStatement | None:
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
        return stmt.body[0]
    return None


def _mentions(node: cst.CSTNode, name: str) -> bool:
    return any(isinstance(n, cst.Name) and n.value == name for n in iter_nodes(node))


def _same(a: cst.BaseExpression | None, b: cst.BaseExpression | None) -> bool:
    return a is not None and b is not None and code_of(a) == code_of(b)


class GradientTape(TorchRule):
    """Turns a `tf.GradientTape` training step into PyTorch autograd calls.

    What it does:

        with tf.GradientTape() as tape:
            loss = ...
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))

    becomes `optimizer.zero_grad()`, the body of the `with`, `loss.backward()` and
    `optimizer.step()`. The gradient may be taken inside or after the `with`, and other
    statements may sit between the three parts as long as they do not use the gradients.

    Why: PyTorch records the graph on every tensor operation; the tape's job is done by
    `backward()`, and the optimizer (created with the model's parameters, PT1007) applies
    the gradients it finds on them.

    A tape used for gradients of tensors rather than a training step (`tape.watch(x)`,
    `persistent=True` with several `tape.gradient` calls) becomes
    `torch.autograd.grad`: each watched tensor gets `x.requires_grad_()`, each
    `tape.gradient(y, x)` becomes `torch.autograd.grad(y.sum(), x)[0]` (a list of sources
    gives a list; TF differentiates the sum of a non-scalar target), with
    `retain_graph=True` on all but the last call (what `persistent=True` provides), and
    `del tape` goes. When the optimizer's learning rate follows a Keras schedule (PT1022),
    `scheduler.step()` follows `optimizer.step()`.

    Fix safety: safe for the recognized patterns. Several tapes in one `with`, nested
    tapes (higher-order gradients), gradients that are transformed before they are applied
    (clipping) or used otherwise, gradients with respect to names the rule cannot tell
    apart (a tensor or a list?), `jacobian` and `output_gradients` are reported: they need
    `torch.autograd.grad(create_graph=True)`, `torch.autograd.functional.jacobian`, or
    `torch.nn.utils.clip_grad_norm_` written by a person.
    """

    ID = "PT1006"
    NAME = "gradient-tape-step"
    MESSAGE = "GradientTape step becomes zero_grad(); loss.backward(); step()"
    SAFETY = Safety.SAFE
    CATEGORY = Category.MANDATORY
    EFFORT = "complex"

    VALID = [Valid("def step(x):\n    opt.zero_grad()\n    loss = model(x).sum()\n    loss.backward()\n    opt.step()\n")]
    INVALID = [
        Invalid(
            "import tensorflow as tf\n\n"
            "def train_step(x, y):\n"
            "    with tf.GradientTape() as tape:\n"
            "        loss = loss_fn(y, model(x))\n"
            "    grads = tape.gradient(loss, model.trainable_variables)\n"
            "    optimizer.apply_gradients(zip(grads, model.trainable_variables))\n"
            "    return loss\n",
            "def train_step(x, y):\n"
            "    optimizer.zero_grad()\n"
            "    loss = loss_fn(y, model(x))\n"
            "    loss.backward()\n"
            "    optimizer.step()\n"
            "    return loss\n",
        ),
        Invalid(
            "import tensorflow as tf\n\n"
            "for x in data:\n"
            "    with tf.GradientTape() as tape:\n"
            "        loss = compute(x)\n"
            "        grads = tape.gradient(loss, model.trainable_variables)\n"
            "    opt.apply_gradients(zip(grads, model.trainable_variables))\n",
            "for x in data:\n"
            "    opt.zero_grad()\n"
            "    loss = compute(x)\n"
            "    loss.backward()\n"
            "    opt.step()\n",
        ),
        Invalid(
            "import tensorflow as tf\n\n"
            "def saliency(model, x):\n"
            "    with tf.GradientTape() as tape:\n"
            "        tape.watch(x)\n"
            "        y = model(x)\n"
            "    return tape.gradient(y, x)\n",
            "import torch\n\n"
            "def saliency(model, x):\n"
            "    x.requires_grad_()\n"
            "    y = model(x)\n"
            "    return torch.autograd.grad(y.sum(), x)[0]\n",
        ),
        Invalid(
            "import tensorflow as tf\n\n"
            "with tf.GradientTape(persistent=True) as tape:\n"
            "    loss = f(x)\n"
            "g = tape.gradient(loss, x)\n",
            None,
            message="persistent",
        ),
    ]

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._tapes: set[int] = set()
        self._open: list[int] = []  # tapes whose `with` is being visited
        self._nested: set[int] = set()  # tapes inside (or around) another tape

    def _is_tape(self, stmt: cst.CSTNode) -> bool:
        return isinstance(stmt, cst.With) and any(
            isinstance(item.item, cst.Call) and self.qname(item.item.func) == _TAPE for item in stmt.items
        )

    def visit_With(self, node: cst.With) -> None:
        if self._is_tape(node):
            if self._open:  # a tape inside another tape: higher-order gradients
                self._nested.update([id(node), *self._open])
            self._open.append(id(node))
            self._tapes.add(id(node))
            for item in node.items:
                self.st.handled.add(id(item.item))

    def leave_With(self, original_node: cst.With, updated_node: cst.With) -> cst.With:
        if self._open and self._open[-1] == id(original_node):
            self._open.pop()
        return updated_node

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock) -> cst.IndentedBlock:
        if not any(id(s) in self._tapes for s in original_node.body):
            return updated_node
        body = self._rewrite(list(original_node.body), list(updated_node.body))
        return updated_node.with_changes(body=body) if body is not None else updated_node

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        if any(id(s) in self._tapes for s in original_node.body):
            body = self._rewrite(list(original_node.body), list(updated_node.body))
            if body is not None:
                updated_node = updated_node.with_changes(body=body)
        return super().leave_Module(original_node, updated_node)

    # ----------------------------------------------------------------------------------
    def _find(self, body: Sequence[cst.BaseStatement], start: int) -> _Match | None:
        for i in range(start, len(body)):
            stmt = body[i]
            if self._is_tape(stmt):
                assert isinstance(stmt, cst.With)
                return self._match(stmt, i, list(body))
        return None

    def _match(self, stmt: cst.With, i: int, body: list[cst.BaseStatement]) -> _Match:
        seq = _stmts(stmt.body) + body[i + 1 :]
        bad = _Match(stmt, i, seq, -1, -1, cst.Name("loss"), cst.Name("opt"))
        if len(stmt.items) != 1:
            bad.problem = "several tapes in one `with` (e.g. a GAN): compute each loss, call backward(retain_graph=True) where graphs are shared, and step each optimizer"
            return bad
        item = stmt.items[0]
        call = item.item
        assert isinstance(call, cst.Call)
        if call.args:
            bad.problem = "GradientTape(persistent=... / watch_accessed_variables=...): use torch.autograd.grad(loss, inputs, retain_graph=True) for several gradients"
            return bad
        if item.asname is None or not isinstance(item.asname.name, cst.Name):
            bad.problem = "GradientTape without `as tape`"
            return bad
        tape = item.asname.name.value
        grad = apply = -1
        grads = None
        loss: cst.BaseExpression | None = None
        vars_: cst.BaseExpression | None = None
        opt: cst.BaseExpression | None = None
        for j, s in enumerate(seq):
            small = _single(s)
            if grad < 0:
                if (
                    isinstance(small, cst.Assign)
                    and len(small.targets) == 1
                    and isinstance(small.targets[0].target, cst.Name)
                    and isinstance(small.value, cst.Call)
                    and isinstance(small.value.func, cst.Attribute)
                    and dotted_name(small.value.func) == f"{tape}.gradient"
                ):
                    args = small.value.args
                    if len(args) != 2 or any(a.keyword is not None for a in args):
                        bad.problem = "tape.gradient with output_gradients / unconnected_gradients or keyword arguments: use torch.autograd.grad"
                        return bad
                    grad, grads = j, small.targets[0].target.value
                    loss, vars_ = args[0].value, args[1].value
                    continue
                if _mentions(s, tape):
                    bad.problem = f"the tape is used otherwise ({tape}.watch / several gradients): use requires_grad_() and torch.autograd.grad"
                    return bad
                continue
            assert grads is not None
            if (
                isinstance(small, cst.Expr)
                and isinstance(small.value, cst.Call)
                and isinstance(small.value.func, cst.Attribute)
                and small.value.func.attr.value == "apply_gradients"
                and _same(zip_vars(small.value), vars_)
                and isinstance(small.value.args[0].value, cst.Call)
                and isinstance(small.value.args[0].value.args[0].value, cst.Name)
                and small.value.args[0].value.args[0].value.value == grads
            ):
                apply, opt = j, small.value.func.value
                break
            if _mentions(s, grads) or _mentions(s, tape):
                bad.problem = f"`{grads}` is used between tape.gradient and apply_gradients (clipping?): call loss.backward(), transform the .grad of the parameters (torch.nn.utils.clip_grad_norm_), then optimizer.step()"
                return bad
        if grad < 0:
            bad.problem = "no `grads = tape.gradient(loss, vars)` after the tape"
            return bad
        if apply < 0:
            bad.problem = "the gradients are not applied with optimizer.apply_gradients(zip(grads, vars)): use loss.backward() and read .grad"
            return bad
        assert grads is not None
        if any(_mentions(s, grads) for s in seq[apply + 1 :] if not self._is_tape(s)):
            bad.problem = f"`{grads}` is used after apply_gradients: read the gradients from the parameters' .grad"
            return bad
        assert loss is not None and opt is not None
        return _Match(stmt, i, seq, grad, apply, loss, opt)

    def _rewrite(self, orig: list[cst.BaseStatement], upd: list[cst.BaseStatement]) -> list[cst.BaseStatement] | None:
        out: list[cst.BaseStatement] = []
        o_at = u_at = 0
        changed = False
        while True:
            om = self._find(orig, o_at)
            um = self._find(upd, u_at)
            if om is None or um is None:
                break
            if id(om.with_stmt) in self._nested:
                self.flag(om.with_stmt, "GradientTape not rewritten: nested tapes (higher-order gradients): use torch.autograd.grad(..., create_graph=True) for the inner gradient", effort="complex")
                out += upd[u_at : um.start + 1]
                o_at, u_at = om.start + 1, um.start + 1
                continue
            if om.problem is not None:
                func = self._functional(om, um)
                if isinstance(func, tuple):
                    new_stmts, used = func
                    replaced = self.fix(om.with_stmt, um.with_stmt, cst.FlattenSentinel(new_stmts), message=_FUNCTIONAL_MESSAGE, safety=Safety.SAFE)
                    if isinstance(replaced, cst.FlattenSentinel):
                        changed = True
                        n_body = len(_stmts(um.with_stmt.body))
                        extra = max(0, used - n_body + 1)
                        for s in om.seq[n_body : n_body + extra]:
                            self.supersede_tree(s)
                        out += upd[u_at : um.start] + new_stmts
                        o_at, u_at = om.start + 1 + extra, um.start + 1 + extra
                        continue
                self.flag(om.with_stmt, f"GradientTape step not rewritten: {om.problem}" + (f"; {func}" if func else ""), effort="complex")
                out += upd[u_at : um.start + 1]
                o_at, u_at = om.start + 1, um.start + 1
                continue
            if um.problem is not None:  # pragma: no cover - the edit of another rule broke the pattern
                out += upd[u_at : um.start + 1]
                o_at, u_at = om.start + 1, um.start + 1
                continue
            new = self._build(um)
            replaced = self.fix(om.with_stmt, um.with_stmt, cst.FlattenSentinel(new))
            if not isinstance(replaced, cst.FlattenSentinel):
                out += upd[u_at : um.start + 1]
                o_at, u_at = om.start + 1, um.start + 1
                continue
            changed = True
            for s in (om.seq[om.grad], om.seq[om.apply]):
                self.supersede_tree(s)
            out += upd[u_at : um.start] + new
            # the rest of the block continues after the apply statement
            n_body = len(_stmts(um.with_stmt.body))
            u_at = um.start + 1 + (um.apply - n_body + 1) if um.apply >= n_body else um.start + 1
            n_obody = len(_stmts(om.with_stmt.body))
            o_at = om.start + 1 + (om.apply - n_obody + 1) if om.apply >= n_obody else om.start + 1
        if not changed:
            return None
        retire_tf_imports(self.ctx)
        return out + upd[u_at:]

    def _build(self, m: _Match) -> list[cst.BaseStatement]:
        opt = m.opt if is_atom(m.opt) else m.opt.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        loss = m.loss if is_atom(m.loss) else m.loss.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])

        def line(value: cst.BaseExpression, attr: str, like: cst.BaseStatement) -> cst.SimpleStatementLine:
            call = cst.Call(func=cst.Attribute(value=value, attr=cst.Name(attr)))
            return cst.SimpleStatementLine(body=[cst.Expr(call)], leading_lines=getattr(like, "leading_lines", ()))

        n_body = len(_stmts(m.with_stmt.body))
        stop = max(m.apply + 1, n_body)
        new: list[cst.BaseStatement] = [line(opt, "zero_grad", m.with_stmt)]
        for j, s in enumerate(m.seq[:stop]):
            if j == m.grad:
                new.append(line(loss, "backward", s))
            elif j == m.apply:
                new.append(line(opt, "step", s))
                sched = schedulers(self.ctx).get(code_of(m.opt))
                if sched is not None:
                    new.append(line(cst.parse_expression(sched), "step", cst.SimpleStatementLine(body=[])))
            else:
                new.append(s)
        return new

    def _functional(self, om: _Match, um: _Match) -> tuple[list[cst.BaseStatement], int] | str | None:
        """Rewrite a tape used with watch / persistent / several gradients into autograd.grad.

        Returns (new statements replacing the `with` and the statements after it up to the
        last use of the tape, index in seq of that last use), or a reason, or None."""
        w = um.with_stmt
        if len(w.items) != 1:
            return None
        item = w.items[0]
        call = item.item
        assert isinstance(call, cst.Call)
        for a in call.args:
            if a.keyword is None or a.keyword.value != "persistent" or not isinstance(a.value, cst.Name) or a.value.value not in ("True", "False"):
                return None
        if item.asname is None or not isinstance(item.asname.name, cst.Name):
            return None
        tape = item.asname.name.value
        seq = um.seq
        uses = [j for j, st in enumerate(seq) if _mentions(st, tape)]
        if not uses:
            return None
        last = uses[-1]
        n_body = len(_stmts(w.body))
        if any(self._is_tape(st) for st in seq[: last + 1]):
            return "nested tapes (higher-order gradients): torch.autograd.grad(..., create_graph=True)"
        watched: set[str] = set()
        grads = 0
        for st in seq[: last + 1]:
            small = _single(st)
            if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call) and dotted_name(small.value.func) == f"{tape}.watch":
                continue
            for n in iter_nodes(st):
                if isinstance(n, cst.Call) and dotted_name(n.func) == f"{tape}.gradient":
                    grads += 1
        out: list[cst.BaseStatement] = []
        fn = _Functional(tape, watched, grads)
        for j, st in enumerate(seq[: max(last + 1, n_body)]):
            small = _single(st)
            if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call) and dotted_name(small.value.func) == f"{tape}.watch":
                arg = small.value.args[0].value if len(small.value.args) == 1 else None
                names = [arg] if isinstance(arg, (cst.Name, cst.Attribute)) else [e.value for e in arg.elements] if isinstance(arg, (cst.List, cst.Tuple)) else []
                if not names or not all(dotted_name(n) for n in names):
                    return f"{tape}.watch of a computed value: call .requires_grad_() on the tensor"
                for i, n in enumerate(names):
                    watched.add(dotted_name(n) or "")
                    line = cst.parse_statement(f"{dotted_name(n)}.requires_grad_()\n")
                    lead = getattr(st, "leading_lines", ()) if i == 0 else ()
                    out.append(line.with_changes(leading_lines=lead) if isinstance(line, cst.SimpleStatementLine) else line)
                continue
            if isinstance(small, cst.Del) and isinstance(small.target, cst.Name) and small.target.value == tape:
                continue
            if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call) and isinstance(small.value.func, cst.Attribute) and small.value.func.attr.value == "apply_gradients":
                return None  # a training step the step pattern did not match: its own message says why
            new = st.visit(fn)
            if fn.problem:
                return fn.problem
            assert isinstance(new, cst.BaseStatement)
            out.append(new)
        if fn.seen == 0:
            return None
        first = out[0] if out else None
        if isinstance(first, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            out[0] = first.with_changes(leading_lines=w.leading_lines)
        self.add_import("torch")
        return out, max(last, n_body - 1)
