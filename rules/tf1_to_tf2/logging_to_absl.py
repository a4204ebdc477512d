"""TF2011: tf.logging -> absl.logging."""

from __future__ import annotations

from migrate.rule import Invalid, Valid
from rules.tf1_to_tf2._absl import AbslModuleRule


class LoggingToAbsl(AbslModuleRule):
    """Moves `tf.logging` onto `absl.logging`.

    What it does: `tf.logging.info(...)`, `tf.logging.set_verbosity(tf.logging.INFO)` and
    friends become `logging.info(...)` / `logging.set_verbosity(logging.INFO)` with
    `from absl import logging` (imported as `absl_logging` when the file already uses the
    standard library's `logging`). `warn` becomes `warning`. The TensorFlow import
    is removed when nothing uses it any more.

    Why: TF2 removed `tf.logging`; TF1's module wrapped absl's logger.

    Fix safety: safe. `log_if` and `TaskLevelStatusMessage` have no absl counterpart and
    are reported.
    """

    ID = "TF2011"
    NAME = "tf-logging"
    MESSAGE = "tf.logging is absl.logging in TF2"
    TF_MODULES = ("logging",)
    ABSL_NAME = "logging"
    FALLBACK_LOCAL = "absl_logging"
    RENAMES = {"warn": "warning", "WARN": "WARNING"}
    UNSUPPORTED = {
        "log_if": "absl.logging has no log_if; write `if condition: logging.log(level, msg)`",
        "TaskLevelStatusMessage": "no absl counterpart; use logging.info",
    }

    VALID = [Valid("import logging\nlogging.info('x')\n")]
    INVALID = [
        Invalid(
            "import tensorflow as tf\ntf.logging.set_verbosity(tf.logging.INFO)\ntf.logging.warn('step %d', 3)\n",
            "from absl import logging\n\nlogging.set_verbosity(logging.INFO)\nlogging.warning('step %d', 3)\n",
        ),
        Invalid(
            "import logging\nimport tensorflow as tf\nlogging.basicConfig()\ntf.logging.info('hi')\n",
            "import logging\nfrom absl import logging as absl_logging\n\nlogging.basicConfig()\nabsl_logging.info('hi')\n",
        ),
    ]
