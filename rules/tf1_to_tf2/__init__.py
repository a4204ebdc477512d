"""tf1-to-tf2: TensorFlow 1.x code to idiomatic TensorFlow 2 (rule IDs TF2xxx)."""

from __future__ import annotations

from migrate.pack import Pack

_V1 = "tensorflow.compat.v1"


def canonicalize(qualified: str) -> str | None:
    """TF1 code means the v1 API whether it spells ``tf`` or ``tf.compat.v1``: fold them."""
    if qualified == _V1:
        return "tensorflow"
    if qualified.startswith(_V1 + "."):
        return "tensorflow." + qualified[len(_V1) + 1 :]
    return qualified


def _prepare(text: str):  # type: ignore[no-untyped-def]
    from rules.tf1_to_tf2._builders import prepare
    from rules.tf1_to_tf2._slim_prepare import with_builders

    return with_builders(text, prepare)  # TF-Slim idioms first (_slim_prepare.py), then the builders


PACK = Pack(
    name="tf1-to-tf2",
    package=__name__,
    prefix="TF2",
    source="TensorFlow 1.x",
    target="TensorFlow 2.21",
    triggers=(b"tensorflow",),
    canonicalize=canonicalize,
    prepare=_prepare,
)
