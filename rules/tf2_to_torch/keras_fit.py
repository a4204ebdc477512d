"""PT1020: model.compile / fit / evaluate / predict -> explicit PyTorch loops."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from migrate.engine.names import dotted_name
from migrate.result import Category, Safety
from migrate.rule import Invalid, Valid
from rules.tf2_to_torch._analysis import module_scan
from rules.tf2_to_torch._common import (
    HELPERS,
    TorchRule,
    code_of,
    expr,
    keyword_args,
    literal,
    localize,
    need_helper,
    schedule_torch_imports,
    tf_rest,
)
from rules.tf2_to_torch._loops import (
    LOOP_IMPORTS,
    LOOP_NEEDS,
    SCHEDULES,
    STRING_OPTIMIZERS,
    NotConverted,
    loss_source,
    metric_sources,
    schedule_scan,
    schedule_source,
    schedulers,
)
from rules.tf2_to_torch._ops import Manual, fill, plan
from rules.tf2_to_torch.tables import OPTIMIZERS

_COMPILE = ["optimizer", "loss", "loss_weights", "metrics", "weighted_metrics", "run_eagerly", "steps_per_execution", "jit_compile", "auto_scale_loss"]
_COMPILE_IGNORED = {"run_eagerly", "steps_per_execution", "jit_compile", "auto_scale_loss"}
_FIT = ["x", "y", "batch_size", "epochs", "verbose", "callbacks", "validation_split", "validation_data", "shuffle", "class_weight", "sample_weight", "initial_epoch", "steps_per_epoch", "validation_steps", "validation_batch_size", "validation_freq"]
_FIT_OK = {"verbose": None, "validation_split": (0, 0.0), "initial_epoch": (0,), "validation_freq": (1,)}
_EVALUATE = ["x", "y", "batch_size", "verbose", "sample_weight", "steps", "callbacks", "return_dict"]
_PREDICT = ["x", "batch_size", "verbose", "steps", "callbacks"]

CALLBACKS = {
    "keras.callbacks.ModelCheckpoint": "torch.save(model.state_dict(), path) at the end of the epoch in fit_model (keep the best by the monitored value)",
    "keras.callbacks.EarlyStopping": "track the monitored value in fit_model's epoch loop and break after `patience` epochs without improvement (restore the best state_dict)",
    "keras.callbacks.ReduceLROnPlateau": "torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=..., patience=...) stepped with the validation loss each epoch",
    "keras.callbacks.LearningRateScheduler": "torch.optim.lr_scheduler.LambdaLR stepped once per epoch",
    "keras.callbacks.TensorBoard": "torch.utils.tensorboard.SummaryWriter: add_scalar(name, value, epoch) for each log",
    "keras.callbacks.CSVLogger": "write the logs of each epoch with the csv module",
    "keras.callbacks.TerminateOnNaN": "break out of fit_model's loop when math.isnan(loss.item())",
    "keras.callbacks.LambdaCallback": "call the functions at the matching place of fit_model's loop",
}


@dataclass
class _Compiled:
    receiver: str
    scope: int  # id of the enclosing FunctionDef, 0 at module level
    call: cst.Call
    names: dict[str, str] = field(default_factory=dict)  # optimizer / loss_fn / metrics / scheduler -> local name
    has_metrics: bool = False
    scheduled: bool = False
    needs_math: bool = False


class _Scan(cst.CSTVisitor):
    def __init__(self, qname: Any) -> None:
        self.qname = qname
        self.opt_assign: set[str] = set()  # names assigned a Keras optimizer constructor
        self.scopes: list[int] = [0]
        self.compiles: dict[tuple[int, str], list[_Compiled]] = {}
        self.uses: list[tuple[cst.Call, str, str, int]] = []  # (call, receiver, method, scope)
        self.names: set[str] = set()
        self.keywords: set[int] = set()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.scopes.append(id(node))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.scopes.pop()

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.keywords.add(id(node.attr))

    def visit_Assign(self, node: cst.Assign) -> None:
        target = node.targets[0].target if len(node.targets) == 1 else None
        if isinstance(target, cst.Name) and isinstance(node.value, cst.Call) and (tf_rest(self.qname(node.value.func)) or "") in OPTIMIZERS:
            self.opt_assign.add(target.value)

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self.keywords.add(id(node.keyword))

    def visit_Name(self, node: cst.Name) -> None:
        if id(node) not in self.keywords:
            self.names.add(node.value)

    def visit_Call(self, node: cst.Call) -> None:
        f = node.func
        if not isinstance(f, cst.Attribute) or not isinstance(f.value, cst.Name):
            return
        method, receiver = f.attr.value, f.value.value
        if method == "compile" and any(a.keyword is not None and a.keyword.value == "loss" for a in node.args):
            self.compiles.setdefault((self.scopes[-1], receiver), []).append(_Compiled(receiver, self.scopes[-1], node))
        elif method in ("fit", "evaluate", "predict"):
            self.uses.append((node, receiver, method, self.scopes[-1]))


class KerasFit(TorchRule):
    """Turns `model.compile(...)` + `model.fit/evaluate/predict(...)` into explicit loops.

    What it does: `model.compile(optimizer=..., loss=..., metrics=[...])` becomes three
    statements: the torch optimizer over `model.parameters()` (Keras defaults pinned, as
    PT1007 writes them; a learning-rate schedule becomes a `LambdaLR` stepped once per
    batch), the loss as a callable `loss_fn(pred, target)` and a dict of per-sample metric
    functions. `model.fit(x, y, batch_size=..., epochs=..., validation_data=...)` becomes
    `fit_model(model, optimizer, loss_fn, x, y, ...)`, `model.evaluate(x, y)` becomes
    `evaluate_model(...)` and `model.predict(x)` becomes `predict_model(model, x)`: readable
    loops written into the converted file (zero_grad / forward / loss / backward / step per
    batch, `model.train()` / `model.eval()` / `torch.no_grad()` where Keras switches modes).

    Why: PyTorch has no compile/fit; the loop must be written. Keras' defaults are written
    out (batch_size 32, epochs 1, shuffle True). The epoch loss and the metrics are
    averaged over samples exactly as Keras 3 does (batch losses weighted by batch size,
    metrics on the predictions made before each step); `fit` returns an object with the
    Keras `history` dict (`loss`, metrics, `val_*`). String losses and the Keras loss
    classes map to torch losses; probability losses clip like Keras
    (`torch.clamp(p, 1e-7, 1 - 1e-7)`); `'accuracy'` is resolved from the loss as Keras
    does (sparse categorical, categorical or binary accuracy at 0.5).

    Fix safety: unsafe: the DataLoader shuffles with torch's random generator, so with
    `shuffle=True` the batches differ from Keras' (the same samples per epoch, another
    order); inputs are converted like Keras (floats to float32, integers to int64). Each
    callback is reported as a manual item naming the torch replacement (the loop does not
    run it). An optimizer assigned to a name first (`opt = tf.keras.optimizers.SGD(...)`;
    `model.compile(optimizer=opt)`) is converted by PT1007 over `model.parameters()` and
    used as it is. compile is rewritten only together with every fit/evaluate of its model:
    `validation_split`, `sample_weight`, `class_weight`, `steps_per_epoch`, datasets or
    generators passed as `x` (a tf.data pipeline feeding such a fit stays too, PT1021),
    compile and fit in different functions, and metrics or losses outside the table are
    reported with the loop to write.
    """

    ID = "PT1020"
    NAME = "keras-compile-fit"
    MESSAGE = "model.compile/fit/evaluate/predict become explicit PyTorch loops"
    SAFETY = Safety.UNSAFE
    CATEGORY = Category.MANDATORY
    EFFORT = "complex"

    VALID = [Valid("import torch\nmodel = make()\nhistory = fit_model(model, optimizer, loss_fn, x, y, epochs=2)\n")]
    INVALID = [
        Invalid(
            "import tensorflow as tf\n"
            "model = tf.keras.Sequential([tf.keras.layers.Dense(1)])\n"
            "model.compile(optimizer='sgd', loss='mse')\n"
            "score = model.evaluate(x, y, verbose=0)\n",
            "import tensorflow as tf\n"
            "import torch\n"
            "from torch import nn\n"
            "from torch.utils.data import DataLoader, TensorDataset\n\n\n"
            + "\n\n".join(HELPERS[h] for h in ("keras_tensor", "evaluate_model"))
            + "\n\n"
            "model = tf.keras.Sequential([tf.keras.layers.Dense(1)])\n"
            "optimizer = torch.optim.SGD(model.parameters(), lr=0.01)\n"
            "loss_fn = nn.MSELoss()\n"
            "score = evaluate_model(model, loss_fn, x, y, batch_size=32)\n",
        ),
        Invalid(
            "import tensorflow as tf\n"
            "model = tf.keras.Sequential([tf.keras.layers.Dense(1)])\n"
            "model.compile(optimizer=opt, loss='mse')\n"
            "model.fit(x, y, epochs=2)\n",
            None,
            message="not a Keras optimizer string",
        ),
        Invalid(
            "import tensorflow as tf\n"
            "model = tf.keras.Sequential([tf.keras.layers.Dense(1)])\n"
            "model.compile(optimizer='adam', loss='mse')\n"
            "model.fit(x, y, validation_split=0.2)\n",
            None,
            message="validation_split",
        ),
    ]

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._scan: _Scan | None = None
        self._compiled: dict[int, _Compiled] = {}  # id(compile call) -> info (converted ones)
        self._problems: dict[int, str] = {}  # id(compile call) -> why it is not converted

    # ----------------------------------------------------------------------------------
    def visit_Module(self, node: cst.Module) -> None:
        src = self.ctx.source_text
        if not any(m in src for m in (".compile(", ".fit(", ".evaluate(", ".predict(")):
            return
        scan = _Scan(self.qname)
        node.visit(scan)
        self._scan = scan
        for infos in scan.compiles.values():
            for each in infos:
                self.st.handled.add(id(each.call))
                self._plan_compile(each, scan)
        # compile is converted together with every fit/evaluate of its model, or not at all
        blocked: set[str] = self.ctx.state.setdefault("tf2_to_torch_keras_inputs", set())
        for call, receiver, method, scope in scan.uses:
            compiled = self._compile_for(receiver, scope)
            if compiled is None or method == "predict":
                continue
            info = compiled
            try:
                getattr(self, f"_{method}")(call, call, receiver, info, check=True)
            except NotConverted as e:
                self._compiled.pop(id(info.call), None)
                self._problems[id(info.call)] = f"{receiver}.compile(...) not rewritten because {receiver}.{method}(...) is not ({e}): convert them together into an explicit loop"
                if call.args and call.args[0].keyword is None and isinstance(call.args[0].value, cst.Name):
                    blocked.add(call.args[0].value.value)
        # the compile itself must be convertible (dry run: optimizer, loss, metrics)
        named: dict[str, str] = self.ctx.state.setdefault("tf2_to_torch_compile_optimizers", {})
        for cid, info in list(self._compiled.items()):
            try:
                self._compile_lines(info)
            except NotConverted as e:
                self._compiled.pop(cid)
                self._problems[cid] = f"{info.receiver}.compile(...) not rewritten: {e}"
                continue
            opt = self._named_optimizer(info)
            if opt is not None:
                named[opt] = info.receiver
        for call, receiver, method, scope in scan.uses:
            if method == "predict" or self._compile_for(receiver, scope) is not None or any(id(i.call) in self._problems for i in scan.compiles.get((scope, receiver), [])):
                self.st.handled.add(id(call))

    def _name(self, base: str, receiver: str, scan: _Scan) -> str:
        name = base if receiver == "model" else f"{receiver}_{base}"
        if name in scan.names:
            name = f"{receiver}_{base}"
        i = 2
        cand = name
        while cand in scan.names:
            cand = f"{name}{i}"
            i += 1
        scan.names.add(cand)
        return cand

    def _plan_compile(self, info: _Compiled, scan: _Scan) -> None:
        if len(scan.compiles[(info.scope, info.receiver)]) > 1:
            self._problems[id(info.call)] = f"{info.receiver}.compile is called more than once in this scope: write one optimizer/loss per training phase"
            return
        info.names = {k: self._name(k, info.receiver, scan) for k in ("optimizer", "loss_fn", "metrics", "scheduler")}
        self._compiled[id(info.call)] = info

    def _compile_for(self, receiver: str, scope: int) -> _Compiled | None:
        assert self._scan is not None
        for key in ((scope, receiver), (0, receiver)):
            for info in self._scan.compiles.get(key, []):
                if id(info.call) in self._compiled:
                    return info
        return None

    # ----------------------------------------------------------------------------------
    def _optimizer(self, node: cst.BaseExpression, params: str) -> tuple[str, list[str], str | None, bool]:
        """(torch optimizer source, notes, schedule source or None, needs math)."""
        lit = literal(node)
        if isinstance(lit, str):
            key = STRING_OPTIMIZERS.get(lit.lower())
            if key is None:
                raise NotConverted(f"optimizer {lit!r} is not in the pack's table: create the torch.optim optimizer over {params}")
            call = cst.Call(func=cst.Name("optimizer"))
            rest = key
        elif isinstance(node, cst.Call) and tf_rest(self.qname(node.func)) in OPTIMIZERS:
            call = node
            rest = tf_rest(self.qname(node.func)) or ""
        else:
            raise NotConverted(f"optimizer {code_of(node)} is not a Keras optimizer string, constructor call or a name assigned one in this file: create the torch.optim optimizer over {params} and pass it to fit_model")
        spec = OPTIMIZERS[rest]
        extra: dict[str, cst.BaseExpression] = {"params": expr(params)}
        sched: str | None = None
        needs_math = False
        args = keyword_args(call, spec["params"] + ["name"]) or {}
        lr = args.get("learning_rate") or args.get("lr")
        if lr is not None and isinstance(lr.value, cst.Call) and tf_rest(self.qname(lr.value.func)) in SCHEDULES:
            try:
                sched, needs_math = schedule_source(lr.value, tf_rest(self.qname(lr.value.func)) or "")
            except NotConverted as e:
                raise NotConverted(f"learning-rate schedule: {e}") from None
            extra["learning_rate"] = expr("1.0")
        elif lr is not None and isinstance(lr.value, cst.Name) and lr.value.value in schedule_scan(self).schedules:
            sched = lr.value.value
            extra["learning_rate"] = expr("1.0")
        try:
            p = plan(spec, f"tf.{rest}", call, call, self.qname, extra=extra)
            src = code_of(fill(p.template, p.values))
        except Manual as e:
            raise NotConverted(str(e)) from None
        notes = list(p.notes)
        if sched is not None:
            notes.append("the learning-rate schedule becomes a LambdaLR over lr=1.0 stepped after every optimizer step (Keras evaluates it at optimizer.iterations)")
        return src, notes, sched, needs_math

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        if not self._scan or len(original_node.body) != 1 or not isinstance(original_node.body[0], cst.Expr):
            return updated_node
        call = original_node.body[0].value
        if not isinstance(call, cst.Call) or id(call) not in self.st.handled:
            return updated_node
        if id(call) in self._problems:
            self.flag(call, self._problems[id(call)])
            return updated_node
        info = self._compiled.get(id(call))
        if info is None:
            return updated_node
        named = self._named_optimizer(info)
        if named is not None and named not in self.ctx.state.get("tf2_to_torch_converted_optimizers", ()):
            self._compiled.pop(id(call), None)
            self.flag(call, f"{info.receiver}.compile(...) not rewritten: its optimizer `{named}` was not converted to torch.optim (see PT1007); create it over {info.receiver}.parameters() after the model")
            return updated_node
        try:
            lines, notes = self._compile_lines(info)
            if info.needs_math:
                self.add_import("math")
        except NotConverted as e:
            self._compiled.pop(id(call), None)
            self.flag(call, f"{info.receiver}.compile(...) not rewritten: {e}")
            return updated_node
        code = localize(self.ctx, "\n".join(lines) + "\n")
        schedule_torch_imports(self, "\n".join(lines))
        stmts = list(cst.parse_module(code).body)
        stmts[0] = stmts[0].with_changes(leading_lines=updated_node.leading_lines)
        message = f"{info.receiver}.compile(...) becomes {', '.join(info.names[k] for k in ('optimizer', 'loss_fn', 'metrics', 'scheduler') if k in info.names and info.names[k] in code)}" + "".join(f"; {n}" for n in notes)
        out = self.convert(call, updated_node, cst.FlattenSentinel(stmts), message=message, safety=Safety.SAFE)
        if isinstance(out, cst.FlattenSentinel):
            for a in call.args:  # the optimizer / loss constructors inside compile are converted here
                self.supersede_tree(a)
        return out  # type: ignore[no-any-return]

    def _compile_lines(self, info: _Compiled) -> tuple[list[str], list[str]]:
        args = keyword_args(info.call, _COMPILE)
        if args is None:
            raise NotConverted("compile with *args/**kwargs")
        bad = [k for k in args if k not in ("optimizer", "loss", "metrics") and k not in _COMPILE_IGNORED]
        if bad:
            raise NotConverted(f"{', '.join(bad)}: weight the losses/metrics by hand in the loop")
        n = info.names
        params = f"{info.receiver}.parameters()"
        opt_node = args["optimizer"].value if "optimizer" in args else cst.SimpleString("'rmsprop'")
        named = self._named_optimizer(info)
        lines: list[str] = []
        if named is not None:
            # created by its own assignment, which PT1007 converts over model.parameters()
            n["optimizer"] = named
            notes: list[str] = []
            sched, needs_math = None, False
            if named in schedulers(self.ctx):
                n["scheduler"] = schedulers(self.ctx)[named]
                info.scheduled = True
        else:
            opt_src, notes, sched, needs_math = self._optimizer(opt_node, params)
            lines.append(f"{n['optimizer']} = {opt_src}")
        kind, loss_src, loss_notes = loss_source(args["loss"].value, self.qname)
        lines.append(f"{n['loss_fn']} = {loss_src}")
        if "metrics" in args and not (isinstance(args["metrics"].value, (cst.List, cst.Tuple)) and not args["metrics"].value.elements):
            metrics = metric_sources(args["metrics"].value, kind, self.qname)
            body = ", ".join(f"{name!r}: {src}" for name, src in metrics)
            lines.append(f"{n['metrics']} = {{{body}}}".replace("'", '"'))
            info.has_metrics = True
        if sched is not None:
            lines.append(f"{n['scheduler']} = torch.optim.lr_scheduler.LambdaLR({n['optimizer']}, {sched})")
            info.scheduled = True
            info.needs_math = needs_math
        return lines, notes + loss_notes

    def _named_optimizer(self, info: _Compiled) -> str | None:
        """The name of the optimizer compile() gets, when it is a Keras optimizer assigned in this file."""
        assert self._scan is not None
        args = keyword_args(info.call, _COMPILE) or {}
        node = args["optimizer"].value if "optimizer" in args else None
        if isinstance(node, cst.Name) and node.value in self._scan.opt_assign:
            return node.value
        return None

    # ----------------------------------------------------------------------------------
    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if not self._scan or id(original_node) not in self.st.handled:
            return updated_node
        f = original_node.func
        if not isinstance(f, cst.Attribute) or f.attr.value not in ("fit", "evaluate", "predict"):
            return updated_node
        receiver = dotted_name(f.value) or ""
        scope = next((s for c, _, _, s in self._scan.uses if c is original_node), 0)
        method = f.attr.value
        info = self._compile_for(receiver, scope)
        if info is None and method != "predict":
            why = ""
            try:
                cinfo = next(iter(self._scan.compiles.get((scope, receiver), []) or self._scan.compiles.get((0, receiver), [])), None)
                if cinfo is not None:
                    getattr(self, f"_{method}")(original_node, original_node, receiver, cinfo, check=True)
            except NotConverted as e:
                why = f": {e}"
            except KeyError:  # a compile that was not planned (called twice, ...)
                why = ""
            if not why and self._scan.compiles and not any(receiver == r for (_, r) in self._scan.compiles):
                why = f": no {receiver}.compile(...) in this file"
            elif not why:
                why = f": its {receiver}.compile(...) is not converted (see that finding) or sits in another function"
            self.flag(original_node, f"Keras {receiver}.{method}(...) has no PyTorch counterpart and is not rewritten{why}; write the loop (zero_grad / loss.backward() / step over a DataLoader)")
            return updated_node
        try:
            src, helper = getattr(self, f"_{method}")(original_node, updated_node, receiver, info)
        except NotConverted as e:
            self.flag(original_node, f"Keras {receiver}.{method}(...) not rewritten: {e}")
            return updated_node
        new = expr(src)
        shuffled = method == "fit" and "shuffle=False" not in src
        message = f"{receiver}.{method}(...) becomes {helper}(...), an explicit loop written into this file" + ("; DataLoader(shuffle=True) draws another order than Keras' shuffle" if shuffled else "")
        out = self.convert(original_node, updated_node, new, message=message, safety=Safety.UNSAFE if shuffled else Safety.SAFE)
        if out is new:
            self._need(helper)
        return out  # type: ignore[no-any-return]

    def _need(self, helper: str) -> None:
        for h in [*LOOP_NEEDS.get(helper, []), helper]:
            need_helper(self, h)
            for module, obj in LOOP_IMPORTS.get(h, []):
                self.add_import(module, obj)

    def _args(self, original: cst.Call, updated: cst.Call, params: list[str], what: str) -> tuple[dict[str, cst.Arg], dict[str, cst.Arg]]:
        o, u = keyword_args(original, params), keyword_args(updated, params)
        if o is None or u is None:
            raise NotConverted(f"{what} with *args/**kwargs")
        unknown = [k for k in o if k not in params]
        if unknown:
            raise NotConverted(f"argument(s) {', '.join(unknown)} not understood")
        return o, u

    def _callbacks(self, node: cst.BaseExpression) -> None:
        elements = node.elements if isinstance(node, (cst.List, cst.Tuple)) else []
        if not elements:
            self.flag(node, f"callbacks={code_of(node)}: the loop runs no callbacks; add their work to fit_model's loop")
        for el in elements:
            v = el.value
            rest = tf_rest(self.qname(v.func if isinstance(v, cst.Call) else v)) or ""
            hint = CALLBACKS.get(rest)
            label = f"tf.{rest}" if rest else code_of(v)
            self.supersede_tree(v)
            self.flag(v, f"callback {label} is not run by the converted loop: use {hint}" if hint else f"callback {label} is not run by the converted loop: add its work to fit_model's loop")

    def _fit(self, original: cst.Call, updated: cst.Call, receiver: str, info: _Compiled | None, check: bool = False) -> tuple[str, str]:
        assert info is not None
        o, u = self._args(original, updated, _FIT, "fit")
        for k in o:
            if k in ("x", "y", "batch_size", "epochs", "callbacks", "validation_data", "shuffle"):
                continue
            ok = _FIT_OK.get(k, ())
            if k in _FIT_OK and (ok is None or literal(o[k].value) in ok):
                continue
            raise NotConverted(f"{k}=: " + {"validation_split": "split the arrays (Keras takes the last fraction, before shuffling) and pass validation_data", "sample_weight": "weight the per-sample losses (reduction='none') in the loop", "class_weight": "pass weight= to the torch loss"}.get(k, "not supported by the converted loop"))
        if "x" not in o or "y" not in o:
            raise NotConverted("fit on a dataset or generator (no y): for xb, yb in loader: optimizer.zero_grad(); loss = loss_fn(model(xb), yb); loss.backward(); optimizer.step()")
        if "validation_data" in o:
            vd = o["validation_data"].value
            if not (isinstance(vd, (cst.Tuple, cst.List)) and len(vd.elements) == 2):
                raise NotConverted("validation_data is not an (x, y) pair")
        if check:
            return "", "fit_model"
        n = info.names
        parts = [receiver, n["optimizer"], n["loss_fn"], code_of(u["x"].value), code_of(u["y"].value)]
        parts.append(f"batch_size={code_of(u['batch_size'].value) if 'batch_size' in u else '32'}")
        parts.append(f"epochs={code_of(u['epochs'].value) if 'epochs' in u else '1'}")
        parts.append(f"shuffle={code_of(u['shuffle'].value) if 'shuffle' in u else 'True'}")
        if "validation_data" in u:
            vd = u["validation_data"].value
            if not (isinstance(vd, (cst.Tuple, cst.List)) and len(vd.elements) == 2):
                raise NotConverted("validation_data is not an (x, y) pair")
            parts.append(f"validation_data={code_of(vd)}")
        if info.has_metrics:
            parts.append(f"metrics={n['metrics']}")
        if info.scheduled:
            parts.append(f"scheduler={n['scheduler']}")
        if "callbacks" in o and not check:
            self._callbacks(o["callbacks"].value)
        return f"fit_model({', '.join(parts)})", "fit_model"

    def _evaluate(self, original: cst.Call, updated: cst.Call, receiver: str, info: _Compiled | None, check: bool = False) -> tuple[str, str]:
        assert info is not None
        o, u = self._args(original, updated, _EVALUATE, "evaluate")
        for k in o:
            if k not in ("x", "y", "batch_size", "verbose", "return_dict"):
                raise NotConverted(f"{k}= is not supported by the converted loop")
        if "x" not in u or "y" not in u:
            raise NotConverted("evaluate without y (a dataset): loop over the DataLoader")
        if check:
            return "", "evaluate_model"
        n = info.names
        parts = [receiver, n["loss_fn"], code_of(u["x"].value), code_of(u["y"].value)]
        parts.append(f"batch_size={code_of(u['batch_size'].value) if 'batch_size' in u else '32'}")
        if info.has_metrics:
            parts.append(f"metrics={n['metrics']}")
        if "return_dict" in u:
            parts.append(f"return_dict={code_of(u['return_dict'].value)}")
        return f"evaluate_model({', '.join(parts)})", "evaluate_model"

    def _predict(self, original: cst.Call, updated: cst.Call, receiver: str, info: _Compiled | None) -> tuple[str, str]:
        if info is None and receiver not in module_scan(self).models:
            raise NotConverted("not a known Keras model")
        o, u = self._args(original, updated, _PREDICT, "predict")
        for k in o:
            if k not in ("x", "batch_size", "verbose"):
                raise NotConverted(f"{k}= is not supported by the converted loop")
        if "x" not in u:
            raise NotConverted("predict without x")
        bs = code_of(u["batch_size"].value) if "batch_size" in u else "32"
        return f"predict_model({receiver}, {code_of(u['x'].value)}, batch_size={bs})", "predict_model"
