"""TF2010: tf.flags / tf.app.flags -> absl.flags."""

from __future__ import annotations

from migrate.rule import Invalid, Valid
from rules.tf1_to_tf2._absl import AbslModuleRule


class FlagsToAbsl(AbslModuleRule):
    """Moves `tf.flags` and `tf.app.flags` onto `absl.flags`.

    What it does: every reference to `tf.flags.X` / `tf.app.flags.X` (also through aliases
    such as `flags = tf.app.flags`) becomes `flags.X` with `from absl import flags`; the
    alias assignment itself is dropped, and the TensorFlow import too when nothing uses
    it any more.

    Why: TF2 removed `tf.flags`; TF1's flags module was a thin re-export of absl's, so
    `DEFINE_*`, `FLAGS` and `mark_flag_as_required` behave the same.

    Fix safety: safe.
    """

    ID = "TF2010"
    NAME = "tf-flags"
    MESSAGE = "tf.flags is absl.flags in TF2"
    TF_MODULES = ("app.flags", "flags")
    ABSL_NAME = "flags"
    FALLBACK_LOCAL = "absl_flags"

    VALID = [Valid("from absl import flags\nflags.DEFINE_string('a', 'b', 'c')\n")]
    INVALID = [
        Invalid(
            "import tensorflow as tf\ntf.app.flags.DEFINE_integer('steps', 10, 'Steps.')\nFLAGS = tf.app.flags.FLAGS\n",
            "from absl import flags\n\nflags.DEFINE_integer('steps', 10, 'Steps.')\nFLAGS = flags.FLAGS\n",
        ),
        Invalid(
            "import tensorflow as tf\nflags = tf.app.flags\nflags.DEFINE_string('data', '/tmp', 'Data dir.')\nFLAGS = flags.FLAGS\n",
            "from absl import flags\n\nflags.DEFINE_string('data', '/tmp', 'Data dir.')\nFLAGS = flags.FLAGS\n",
        ),
    ]
