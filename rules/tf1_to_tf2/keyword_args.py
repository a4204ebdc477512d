"""TF2002: keyword arguments renamed or changed between a TF1 function and its TF2 form."""

from __future__ import annotations

import libcst as cst

from migrate.result import Category
from migrate.rule import Invalid, Rule, Valid
from rules.tf1_to_tf2._common import fix_commas, rest_of
from rules.tf1_to_tf2.tables import load_keywords, load_symbols

_SIMPLE = (cst.Name, cst.Attribute, cst.Integer, cst.Float, cst.Call, cst.Subscript)


class KeywordArgs(Rule):
    """Renames and converts the arguments whose names or meaning changed in TF2.

    What it does: for every call of a TF1 function whose TF2 counterpart takes different
    parameters (table `rules/tf1_to_tf2/tables/keywords.json`, generated from the two
    signatures in TensorFlow 2.21): positional arguments whose position changed become
    keywords named after the TF1 parameter; deprecated names are renamed (`keep_dims` ->
    `keepdims`, `dim`/`reduction_indices` -> `axis`); `keep_prob=p` becomes `rate=1 - p`;
    arguments the TF2 function no longer accepts are reported.

    Why: TF2 removed the deprecated aliases and changed some signatures; passing them
    raises a TypeError, and `tf.nn.dropout(x, 0.9)` would silently drop 90% instead of 10%.

    Fix safety: safe; every change keeps the value the TF1 call meant.
    """

    ID = "TF2002"
    NAME = "tf1-keyword-arguments"
    MESSAGE = "argument renamed or changed in TF2"
    CATEGORY = Category.MANDATORY
    SCOPE = "names"  # calls of tensorflow functions only (see engine.transform)

    VALID = [Valid("import tensorflow as tf\ny = tf.reduce_sum(x, axis=1, keepdims=True)\n")]
    INVALID = [
        Invalid(
            "import tensorflow as tf\ny = tf.reduce_sum(x, reduction_indices=1, keep_dims=True)\n",
            "import tensorflow as tf\ny = tf.reduce_sum(x, axis=1, keepdims=True)\n",
        ),
        Invalid(
            "import tensorflow as tf\nh = tf.nn.dropout(h, keep_prob=0.8)\ng = tf.nn.dropout(g, 1 - p)\n",
            "import tensorflow as tf\nh = tf.nn.dropout(h, rate=1 - 0.8)\ng = tf.nn.dropout(g, rate=1 - (1 - p))\n",
        ),
        Invalid(
            "import tensorflow.compat.v1 as tf\np = tf.nn.softmax(logits, dim=-1)\n",
            "import tensorflow.compat.v1 as tf\np = tf.nn.softmax(logits, axis=-1)\n",
        ),
    ]

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.table = load_keywords().get("functions", {})
        self.symbols = load_symbols()

    def _becomes_v2(self, rest: str) -> bool:
        """Whether TF2001 turns this call into the TF2 function (whose signature the table
        describes) rather than keeping the tf.compat.v1 one (which keeps the TF1 signature)."""
        hit = self.symbols.lookup(rest)
        if hit is None or hit.suffix or hit.entry.kind == "removed":
            return False
        if hit.entry.kind == "same" and hit.entry.safety == "unsafe" and not self.ctx.unsafe_fixes:
            return False
        return True

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        rest = rest_of(self.qname(original_node.func))
        if not rest:
            return updated_node
        spec = self.table.get(rest)
        if spec is None or not self._becomes_v2(rest):
            return updated_node
        args_v1: list[str] = spec.get("args_v1", [])
        args_v2: list[str] = spec.get("args_v2", [])
        renames: dict[str, str] = spec.get("renames", {})
        transforms: dict[str, dict[str, str]] = spec.get("transforms", {})
        dropped: dict[str, str] = spec.get("dropped", {})
        changes: list[str] = []
        new_args: list[cst.Arg] = []
        pos = 0
        as_keyword = False
        for arg in updated_node.args:
            if arg.star:
                new_args.append(arg)
                continue
            name: str | None
            if arg.keyword is None:
                name = args_v1[pos] if pos < len(args_v1) else None
                pos += 1
                if name is None:
                    new_args.append(arg)
                    continue
                same_slot = pos <= len(args_v2) and args_v2[pos - 1] in (name, renames.get(name))
                if not as_keyword and (not same_slot or name in transforms):
                    as_keyword = True
                if not as_keyword:
                    new_args.append(arg)
                    continue
            else:
                name = arg.keyword.value
            value = arg.value
            new_name = name
            if name in transforms:
                t = transforms[name]
                new_name = t["to"]
                code = self.ctx.module.code_for_node(value)
                if not isinstance(value, _SIMPLE):
                    code = f"({code})"
                value = cst.parse_expression(t["expr"].format(code))
            elif name in renames and arg.keyword is not None:
                new_name = renames[name]
            elif name in dropped:
                self.flag(original_node, f"`{name}=` is not accepted by TF2's `{rest}`: {dropped[name]}", effort="trivial")
            if new_name != name or arg.keyword is None or value is not arg.value:
                changes.append(f"{name}->{new_name}" if new_name != name else name)
                arg = arg.with_changes(
                    keyword=cst.Name(new_name),
                    value=value,
                    equal=arg.equal
                    if isinstance(arg.equal, cst.AssignEqual)
                    else cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
                )
            new_args.append(arg)
        if not changes:
            return updated_node
        return self.fix(
            original_node,
            updated_node,
            updated_node.with_changes(args=fix_commas(new_args)),
            message=f"arguments of `{rest}` changed in TF2: {', '.join(changes)}",
        )
