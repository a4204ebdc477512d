"""TF2012: tf.app.run -> absl.app.run."""

from __future__ import annotations

import libcst as cst

from migrate.rule import Invalid, Rule, Valid
from rules.tf1_to_tf2._common import fix_commas, keyword_args, rest_of, retire_tf_import


class AppRun(Rule):
    """Replaces `tf.app.run(...)` with `absl.app.run(main)`.

    What it does: `tf.app.run()` becomes `app.run(main)` with `from absl import app`;
    `tf.app.run(main=fn, argv=a)` becomes `app.run(fn, argv=a)`.

    Why: TF2 removed `tf.app`. TF1's `run()` looked up `main` in `__main__` when none was
    given; absl's needs it passed explicitly.

    Fix safety: safe when the module defines `main` (or names the function); otherwise
    the call is reported for a person.
    """

    ID = "TF2012"
    NAME = "tf-app-run"
    MESSAGE = "tf.app.run is absl.app.run in TF2"
    SCOPE = "names"  # calls of tf.app.run only (see engine.transform)

    VALID = [Valid("from absl import app\n\ndef main(argv):\n    pass\n\napp.run(main)\n")]
    INVALID = [
        Invalid(
            "import tensorflow as tf\n\ndef main(_):\n    pass\n\nif __name__ == '__main__':\n    tf.app.run()\n",
            "from absl import app\n\ndef main(_):\n    pass\n\nif __name__ == '__main__':\n    app.run(main)\n",
        ),
        Invalid(
            "import tensorflow as tf\n\ndef train(argv):\n    pass\n\ntf.app.run(main=train, argv=['x'])\n",
            "from absl import app\n\ndef train(argv):\n    pass\n\napp.run(train, argv=['x'])\n",
        ),
        Invalid("import tensorflow as tf\ntf.app.run()\n", None, message="main"),
    ]

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        if rest_of(self.qname(original_node.func)) != "app.run":
            return updated_node
        args = keyword_args(updated_node, ["main", "argv"])
        if args is None:
            self.flag(original_node, "tf.app.run with *args/**kwargs: call absl.app.run(main, argv=...) by hand")
            return updated_node
        main = args.get("main")
        if main is None:
            if "main" not in self.ctx.aliases.other_bound:
                self.flag(original_node, "tf.app.run() without a `main` function in this module: pass the entry point to absl.app.run(main)")
                return updated_node
            main_arg = cst.Arg(cst.Name("main"))
        else:
            main_arg = cst.Arg(main.value)
        new_args = [main_arg]
        if "argv" in args:
            new_args.append(args["argv"].with_changes(keyword=cst.Name("argv")) if args["argv"].keyword is None else args["argv"])
        local = "app" if not self.ctx.aliases.is_bound("app") else self.ctx.free_name("absl_app")
        self.supersede(original_node.func)
        out = self.fix(
            original_node,
            updated_node,
            updated_node.with_changes(func=cst.Attribute(cst.Name(local), cst.Name("run")), args=fix_commas(new_args)),
        )
        if self.ctx.last_finding_applied():
            self.add_import("absl", "app", None if local == "app" else local)
            retire_tf_import(self)
        return out
