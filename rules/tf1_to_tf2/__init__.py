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
    from rules.tf1_to_tf2._builders import Prepared, _remap, prepare
    from rules.tf1_to_tf2._slim_prepare import prepare as prepare_slim

    slim = prepare_slim(text)  # TF-Slim idioms first (_slim_prepare.py), then the builders
    if slim is None:
        return prepare(text)
    built = prepare(slim)
    if built is None:
        return Prepared(slim, _remap(text, slim, list(range(1, len(text.splitlines()) + 1))))
    return Prepared(built.text, [built.line(i + 1) for i in range(len(built.text.splitlines()))])


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
