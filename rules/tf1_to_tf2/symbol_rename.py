"""TF2001: every reference to a TF1 name, mapped to its TF2 name through the symbol table."""

from __future__ import annotations

import ast
import re
import string

import libcst as cst

from migrate.engine.names import dotted_name
from migrate.result import Category, Safety
from migrate.rule import Invalid, Rule, Valid
from rules.tf1_to_tf2._common import V1_ALIASES, expr, keyword_args, rest_of, tf_root
from rules.tf1_to_tf2.tables import load_symbols

# Names under these stay as they are (TF2 API already, or out of this rule's scope).
_PASS_THROUGH = ("compat.v2", "compat.v1", "keras")
# TF2 classes that lack some TF1 members; TF1 code using them keeps the v1 class.
_DATASET_V1 = ("make_one_shot_iterator", "make_initializable_iterator", "output_shapes", "output_types", "output_classes")
_V1_ONLY_MEMBERS = {
    "Variable": ("initialized_value", "load", "to_proto", "count_up_to"),
    "data.Dataset": _DATASET_V1,
    "data.TFRecordDataset": _DATASET_V1,
    "data.TextLineDataset": _DATASET_V1,
    "data.FixedLengthRecordDataset": _DATASET_V1,
}
_GRAPH_MODE = re.compile(r"\b(Session|disable_v2_behavior|disable_eager_execution|placeholder)\b")
_ATOMIC = (cst.Name, cst.Attribute, cst.Call, cst.Subscript)


def _handled_by_tf2120(ctx, member: str) -> bool:  # type: ignore[no-untyped-def]
    """Whether every `.initialized_value()` of the file goes away in TF2120's applied
    rewrite (it becomes the variable itself, read before any update)."""
    plan = ctx.state.get("tf1_graph_plan")
    if member != "initialized_value" or plan is None or not getattr(plan, "apply", False):
        return False
    an = getattr(plan, "analysis", None)
    return an is not None and len(re.findall(r"\.initialized_value\b", ctx.source_text)) == len(an.cf_initialized)


class SymbolRename(Rule):
    """Maps every TF1 name to its TF2 spelling.

    What it does: resolves each dotted reference (`tf.log`, `tf.nn.relu`, `slim.conv2d`,
    also when passed as a value such as `activation=tf.nn.relu`) through the file's import
    aliases, and looks it up in the symbol table generated from TensorFlow 2.21 itself
    (`rules/tf1_to_tf2/tables/symbols.json`). Renamed names get their TF2 name
    (`tf.log` -> `tf.math.log`). Names with no TF2 equivalent become `tf.compat.v1.X` and
    a manual item says what to write instead; `tf.contrib.*` names and the other TF1-era
    names TF 2.21 lacks even under tf.compat.v1 (tf.estimator, tf.examples, pre-1.0 names
    such as `tf.scalar_summary`) are left as written and reported with their replacement. `import tensorflow.compat.v1 as tf`
    becomes `import tensorflow as tf`, the references keeping their meaning.

    Why: `tf.X` in TF1 code means the v1 API; in TF2 many names moved or vanished.

    Fix safety: safe where the TF2 object is the same function as the TF1 one; where the
    table notes a semantic difference (e.g. `softmax_cross_entropy_with_logits` now
    backpropagates into labels) the TF2 name is an unsafe fix and the safe fallback is
    `tf.compat.v1.X`.
    """

    ID = "TF2001"
    NAME = "tf1-symbol"
    MESSAGE = "TF1 name has a different TF2 name"
    SAFETY = Safety.SAFE
    CATEGORY = Category.MANDATORY
    EFFORT = "trivial"
    SCOPE = "names"  # acts only on names bound to tensorflow (see engine.transform)

    VALID = [
        Valid("import tensorflow as tf\ny = tf.reshape(x, [-1])\nz = tf.nn.relu(y)\n"),
        Valid("import numpy as np\nx = np.log(3)\n"),
        Valid("import tensorflow as tf\nm = tf.keras.layers.Dense(3)\n"),
        Valid("import tensorflow as tf\nloss = tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=z)\ntf.summary.scalar('loss', loss, step=1)\n"),
    ]
    INVALID = [
        Invalid(
            "import tensorflow as tf\ny = tf.log(x)\n",
            "import tensorflow as tf\ny = tf.math.log(x)\n",
        ),
        Invalid(
            "import tensorflow.compat.v1 as tf\ntf.disable_v2_behavior()\nx = tf.placeholder(tf.float32, [None, 3])\n",
            "import tensorflow as tf\ntf.compat.v1.disable_v2_behavior()\nx = tf.compat.v1.placeholder(tf.float32, [None, 3])\n",
            message="placeholder",
        ),
        Invalid(
            "from tensorflow.compat import v1 as tf\nh = tf.layers.dense(x, 3, activation=tf.nn.relu)\n",
            "import tensorflow as tf\nh = tf.compat.v1.layers.dense(x, 3, activation=tf.nn.relu)\n",
        ),
        Invalid(
            "import tensorflow as tf\nslim = tf.contrib.slim\nnet = slim.conv2d(x, 8, [3, 3], normalizer_fn=slim.batch_norm)\n",
            None,
            message="contrib",
        ),
        Invalid(
            "import tensorflow as tf\nn = tf.to_float(tf.shape(x)[0])\ntf.assign(v, v + 1)\n",
            "import tensorflow as tf\nn = tf.cast(tf.shape(x)[0], tf.float32)\nv.assign(v + 1)\n",
        ),
        Invalid(
            "import tensorflow.compat.v1 as tf\nloss = tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=z)\n",
            "import tensorflow as tf\nloss = tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=z)\n",
            message="backpropagates into labels",
        ),
        Invalid(
            "import tensorflow as tf\nrnn = tf.keras.layers.GRU(8)\n",
            None,
            message="reset_after",
        ),
        Invalid(
            "import tensorflow.compat.v1 as tf\nest = tf.estimator.Estimator(model_fn)\ns = tf.scalar_summary('loss', loss)\nx = tf.placeholder(tf.float32)\n",
            "import tensorflow as tf\nest = tf.estimator.Estimator(model_fn)\ns = tf.scalar_summary('loss', loss)\nx = tf.compat.v1.placeholder(tf.float32)\n",
            message="not even under tf.compat.v1",
        ),
        Invalid(
            "import tensorflow as tf\nsess = tf.Session()\n",
            "import tensorflow as tf\nsess = tf.compat.v1.Session()\n",
        ),
    ]

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.table = load_symbols()
        self._maximal: set[int] = set()
        self._inner: set[int] = set()
        self._in_import = 0
        self._flagged_pins: set[cst.CSTNode] = set()
        self.tf1_file = _looks_tf1(ctx, self.table)

    # -- imports -------------------------------------------------------------------------
    def visit_Import(self, node: cst.Import) -> None:
        self._in_import += 1

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self._in_import += 1

    def leave_Import(self, original_node: cst.Import, updated_node: cst.Import) -> cst.Import:
        self._in_import -= 1
        names = []
        changed = False
        for alias in updated_node.names:
            full = _dotted(alias.name)
            if full in V1_ALIASES and alias.asname is not None:
                alias = alias.with_changes(name=cst.Name("tensorflow"))
                changed = True
            names.append(alias)
        if not changed:
            return updated_node
        return self.fix(
            original_node,
            updated_node,
            updated_node.with_changes(names=names),
            message="`import tensorflow.compat.v1` becomes `import tensorflow`; references are mapped to TF2 names",
        )

    def leave_ImportFrom(
        self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
    ) -> cst.ImportFrom | cst.Import:
        self._in_import -= 1
        mod = _dotted(original_node.module) if original_node.module else None
        # `from tensorflow.compat import v1 as tf` -> `import tensorflow as tf`
        if mod == "tensorflow.compat" and not isinstance(original_node.names, cst.ImportStar):
            names = list(original_node.names)
            if len(names) == 1 and _dotted(names[0].name) == "v1" and names[0].asname is not None:
                return self.fix(
                    original_node,
                    updated_node,
                    cst.Import(names=[cst.ImportAlias(name=cst.Name("tensorflow"), asname=names[0].asname)]),
                    message="`from tensorflow.compat import v1` becomes `import tensorflow`; references are mapped to TF2 names",
                )
        if mod is not None and (mod == "tensorflow.compat.v1" or mod.startswith("tensorflow.compat.v1.")):
            self.flag(original_node, "import from tensorflow.compat.v1: the imported names are TF1 API; import them from their TF2 modules", effort="trivial")
        elif mod is not None and mod.startswith("tensorflow.contrib"):
            self.flag(original_node, "tensorflow.contrib does not exist in TF2: replace the imported names (see the findings on their uses)", effort="complex")
        elif mod is not None and mod.startswith("tensorflow.python"):
            self.flag(original_node, "tensorflow.python.* is private API and changed in TF2; use the public tf.* names", effort="complex", category=Category.POTENTIAL)
        return updated_node

    # -- references ----------------------------------------------------------------------
    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._inner.add(id(node.attr))
        if id(node) in self._inner or self._in_import:
            return
        if _dotted(node) is None:
            return
        self._maximal.add(id(node))
        inner = node.value
        while isinstance(inner, cst.Attribute):
            self._inner.add(id(inner))
            self._inner.add(id(inner.attr))
            inner = inner.value
        self._inner.add(id(inner))

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self._inner.add(id(node.keyword))

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        if id(original_node) not in self._maximal:
            return updated_node
        return self._rewrite(original_node, updated_node)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        func = original_node.func
        if id(func) in self._maximal:
            templated = self._template(original_node, updated_node)
            if templated is not None:
                return templated
        # bare names imported with `from tensorflow... import name`, used as a call
        if isinstance(func, cst.Name) and id(func) not in self._inner:
            new = self._rewrite(func, updated_node.func)
            if new is not updated_node.func:
                return updated_node.with_changes(func=new)
        return updated_node

    def _template(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression | None:
        """`tf.to_float(x)` -> `tf.cast(x, tf.float32)`: removed names with an exact TF2 spelling."""
        rest = rest_of(self.qname(original.func))
        hit = self.table.lookup(rest) if rest else None
        if hit is None or hit.suffix or hit.entry.kind != "removed" or not hit.entry.template:
            return None
        entry = hit.entry
        args = keyword_args(updated, list(entry.args_v1 or ()))
        fields = {f for _, f, _, _ in string.Formatter().parse(entry.template) if f}
        if args is None or set(args) != fields:
            return None  # e.g. an explicit `name=`: keep the tf.compat.v1 fallback
        if "iter(" in entry.template and _GRAPH_MODE.search(self.ctx.source_text):
            return None  # Python iteration over a dataset needs eager mode; this file builds graphs
        values = {}
        for name, arg in args.items():
            code = self.ctx.module.code_for_node(arg.value)
            if not isinstance(arg.value, _ATOMIC) and "{" + name + "}." in entry.template:
                code = f"({code})"
            values[name] = code
        spelled_head = (_dotted(original.func) or "").split(".")[0]
        root = spelled_head if self.ctx.aliases.bindings.get(spelled_head) in ("tensorflow", *V1_ALIASES) else tf_root(self.ctx)
        text = entry.template.replace("tf.", f"{root}.").format(**values)
        self.supersede(original.func)
        spelled = _dotted(original.func)
        return self.fix(original, updated, expr(text), message=f"`{spelled}` has no TF2 name; written as `{entry.template.format(**{f: f for f in fields})}`")

    def _rewrite(self, original: cst.BaseExpression, updated: cst.BaseExpression) -> cst.BaseExpression:
        spelled = _dotted(original)
        if spelled is None:
            return updated
        rest = rest_of(self.qname(original))
        if rest is None or rest == "" or rest.split(".")[0] in ("python",):
            if rest is not None and rest.startswith("python"):
                self.flag(original, f"`{spelled}` is private TensorFlow API (tensorflow.python); use the public tf.* name", effort="complex", category=Category.POTENTIAL)
            return updated
        if any(rest == p or rest.startswith(p + ".") for p in _PASS_THROUGH):
            note = self.table.note(rest)
            if note is not None and note.pin and original not in self._flagged_pins:
                self._flagged_pins.add(original)
                pins = ", ".join(f"{k}={v!r}" for k, v in note.pin.items())
                self.flag(original, f"`{spelled}`: {note.note} To keep TF1 numerics pass {pins} (Keras 3's 'hard_sigmoid' is clip(x/6 + 0.5), TF1's was clip(0.2x + 0.5): pass that function explicitly)", effort="complex", category=Category.POTENTIAL)
            return updated
        head = spelled.split(".")[0]
        via_root = self.ctx.aliases.bindings.get(head) in ("tensorflow", *V1_ALIASES) and "." in spelled
        root = head if via_root else tf_root(self.ctx)
        hit = self.table.lookup(rest)
        if hit is None:
            return self._unknown(original, updated, spelled, rest, via_root)
        entry, suffix = hit
        kind = entry.kind
        if kind == "same":
            if not self.tf1_file:
                # The file uses no TF1-only name: it is (already) TF2 code, where this name
                # has its TF2 meaning. Reinterpreting it would change migrated code on a
                # second run (or in the pre-commit hook).
                return updated
            members = _V1_ONLY_MEMBERS.get(entry.name)
            if members is not None:
                # Same class in TF2 but without some TF1 methods: keep TF2 unless this
                # file uses one of them (we cannot see types, so any use counts).
                mentioned = [m for m in members if f".{m}" in self.ctx.source_text]  # cheap first look
                attrs = self._attribute_names() if mentioned else set()
                used = sorted(m for m in mentioned if m in attrs)
                used = [m for m in used if not _handled_by_tf2120(self.ctx, m)]
                graph_plan = self.ctx.state.get("tf1_graph_plan")
                if used and graph_plan is not None and graph_plan.apply and graph_plan.v2_datasets and entry.name.startswith("data."):
                    used = []  # TF2120 turns every iterator of the file into `iter(dataset)` (rules/tf1_to_tf2/_graph.py)
                if not used or self._through_compat_alias(head):
                    return updated
                return self.fix(
                    original,
                    updated,
                    expr(f"{root}.compat.v1.{rest}"),
                    manual=True,
                    message=f"`{spelled}` kept as tf.compat.v1: this file uses {', '.join(used)}, which the TF2 class lacks. {entry.note or ''}",
                    effort="complex",
                )
            if entry.safety == "unsafe" and not suffix and not self._through_compat_alias(head):
                # Same path, different meaning in TF2 (e.g. softmax_cross_entropy_with_logits
                # now backpropagates into labels): keep TF1 semantics unless unsafe fixes are on.
                return self.fix(
                    original,
                    expr(f"{root}.compat.v1.{rest}"),
                    expr(f"{root}.{rest}") if via_root else updated,
                    safety=Safety.UNSAFE,
                    message=f"`{spelled}` means something else in TF2: {entry.note}; kept as tf.compat.v1 unless unsafe fixes are on",
                    effort="complex",
                )
            return updated
        if kind == "renamed":
            new_rest = entry.v2 + (("." + suffix) if suffix else "")
            new = expr(f"{root}.{new_rest}")
            note = entry.note
            if entry.safety == "unsafe":
                fallback = expr(f"{root}.compat.v1.{rest}")
                return self.fix(
                    original,
                    fallback,
                    new,
                    safety=Safety.UNSAFE,
                    message=f"`{spelled}` is `tf.{new_rest}` in TF2, but {note}; kept as tf.compat.v1 unless unsafe fixes are on",
                    effort="complex",
                )
            return self.fix(original, updated, new, message=f"`{spelled}` is `tf.{new_rest}` in TF2" + (f" ({note})" if note else ""))
        # removed
        hint = entry.hint or "no TF2 equivalent"
        repl = ""
        if entry.replacement and not entry.replacement.startswith("nothing"):
            target = f"tf.{entry.replacement}" if entry.replacement_kind == "tf" else entry.replacement
            repl = f" (use {target})"
        if self._absl_alias(head):
            # `flags = tf.app.flags` / `logging = tf.logging`: TF2010/TF2011 turn the alias
            # itself into the absl import (or report it, and so does this rule at the
            # assignment), so its uses are absl's already.
            return updated
        if rest.startswith("contrib"):
            self.flag(original, f"`{spelled}`: tf.contrib was removed in TF2{repl}. {hint}", effort=entry.effort or "complex")
            return updated
        if entry.absent:
            # Not under tf.compat.v1 of TF 2.21 either (tf.estimator, tf.examples, pre-1.0
            # names): a `tf.compat.v1.` spelling would name nothing that exists and hide
            # the break; the reference stays as written, reported.
            self.flag(original, f"`{spelled}` does not exist in TensorFlow 2.21, not even under tf.compat.v1{repl}. {hint}", effort=entry.effort or "complex")
            return updated
        if self._through_compat_alias(head):
            self.flag(original, f"`{spelled}` has no TF2 equivalent; it keeps working through `{head}`, now bound to tf.compat.v1{repl}. {hint}", effort=entry.effort or "complex")
            return updated
        new = expr(f"{root}.compat.v1.{rest}")
        return self.fix(
            original,
            updated,
            new,
            manual=True,
            message=f"`{spelled}` has no TF2 equivalent; kept as tf.compat.v1{repl}. {hint}",
            effort=entry.effort or "complex",
        )

    def _unknown(self, original, updated, spelled: str, rest: str, via_root: bool):  # type: ignore[no-untyped-def]
        self.flag(original, f"`{spelled}` is not a TensorFlow 1 API name; check it by hand", effort="unknown", category=Category.POTENTIAL)
        if via_root and self._root_switched(spelled.split(".")[0]):
            return self.fix(original, updated, expr(f"{spelled.split('.')[0]}.compat.v1.{rest}"), manual=True,
                            message=f"`{spelled}` kept as tf.compat.v1.{rest}")
        return updated


    def _attribute_names(self) -> set[str]:
        """The attribute names the file's code uses (`.make_one_shot_iterator`), once per
        file; a mention in a comment or a string does not count."""
        names = self.ctx.state.get("tf2001-attribute-names")
        if names is None:
            tree = self.ctx.python_ast()  # CPython's parse: a walk costs a tenth of libcst's
            if tree is not None:
                names = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
            else:

                class _Attrs(cst.CSTVisitor):
                    def __init__(self) -> None:
                        super().__init__()
                        self.names: set[str] = set()

                    def visit_Attribute(self, node: cst.Attribute) -> None:
                        self.names.add(node.attr.value)

                visitor = _Attrs()
                self.ctx.module.visit(visitor)
                names = visitor.names
            self.ctx.state["tf2001-attribute-names"] = names
        return names  # type: ignore[no-any-return]

    def _through_compat_alias(self, head: str) -> bool:
        """`layers.dense` after `layers = tf.layers`: the assignment becomes
        `layers = tf.compat.v1.layers`, so the use stays valid as written."""
        target = self._alias_target(head)
        hit = self.table.lookup(target) if target else None
        return hit is not None and hit.entry.kind == "removed"

    def _alias_target(self, head: str) -> str | None:
        """The TF path (after `tensorflow.`) an assignment alias is bound to
        (`layers = tf.layers` -> "layers"); None when `head` is not one."""
        if not self.ctx.aliases.assigned(head):
            return None
        return rest_of(self.ctx.canonical(self.ctx.aliases.bindings[head]))

    def _absl_alias(self, head: str) -> bool:
        """`head` was assigned a TF module that absl replaces, or a member of one
        (`flags = tf.app.flags`, `FLAGS = flags.FLAGS`)."""
        target = self._alias_target(head)
        return target is not None and any(target == m or target.startswith(m + ".") for m in _ABSL_MODULES)

    def _root_switched(self, head: str) -> bool:
        return self.ctx.aliases.bindings.get(head) in V1_ALIASES


# TF1 modules that were re-exports of absl; TF2010/TF2011 own their aliases.
_ABSL_MODULES = frozenset({"app.flags", "flags", "logging"})


def _dotted(node: cst.BaseExpression | None) -> str | None:
    return dotted_name(node) if node is not None else None


_DOTTED = re.compile(r"\b([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)")


def _looks_tf1(ctx, table) -> bool:  # type: ignore[no-untyped-def]
    """Whether the file is TF1 code: it imports tensorflow.compat.v1 (as the TF module) or
    spells, through an import alias, a name that TF2 renamed or removed. A cheap scan of
    the text (strings and comments included, which errs towards TF1)."""
    for local, target in ctx.aliases.bindings.items():
        if target in V1_ALIASES and local in ctx.aliases.import_nodes:
            return True
        if (target.startswith("tensorflow.contrib") or target.startswith("tensorflow.compat.v1.")) and local in ctx.aliases.import_nodes:
            return True
    seen: set[str] = set()
    for m in _DOTTED.finditer(ctx.source_text):
        name = m.group(1)
        if name in seen:
            continue
        seen.add(name)
        q = ctx.aliases.resolve_dotted(name)
        if q is None or q.startswith("tensorflow.compat."):
            continue  # explicit `tf.compat.v1.X` through a TF2 root: TF2-era code
        rest = rest_of(ctx.canonical(q))
        if not rest or rest.startswith(("compat.", "keras")):
            continue
        hit = table.lookup(rest)
        if hit is not None and hit.entry.kind in ("renamed", "removed"):
            return True
    return False
