"""tf2-to-torch: TensorFlow 2 / Keras code to PyTorch (rule IDs PT1xxx)."""

from __future__ import annotations

from migrate.pack import Pack


def canonicalize(qualified: str) -> str | None:
    """Standalone Keras (`import keras`) is the same API as `tf.keras`: fold it."""
    if qualified == "keras" or qualified.startswith("keras."):
        return "tensorflow." + qualified
    return qualified


PACK = Pack(
    name="tf2-to-torch",
    package=__name__,
    prefix="PT1",
    source="TensorFlow 2.x / Keras",
    target="PyTorch 2.13",
    triggers=(b"tensorflow", b"keras"),
    canonicalize=canonicalize,
)
