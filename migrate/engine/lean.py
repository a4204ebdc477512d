"""A leaner libcst traversal for the batched transformer (same result, fewer checks).

For every node it enters, libcst's ``CSTNode.visit`` asks ``isinstance(visitor,
CSTVisitor)`` and checks the leave result against ``(CSTNode, RemovalSentinel,
FlattenSentinel)``, and its ``visit_required``/``visit_sequence``/... helpers call
``on_visit_attribute``/``on_leave_attribute`` and ask ``isinstance(result,
FlattenSentinel)`` for every field. ``CSTNode`` and ``FlattenSentinel`` are abstract base
classes, so each of those checks is a Python-level ``ABCMeta.__instancecheck__`` call:
about 4,000 per file, a tenth of the traversal.

`lean_traversal` swaps in versions that do the same for our ``BatchedTransformer`` (a
``CSTTransformer`` whose attribute hooks do nothing and whose hooks return nodes or
sentinels) without those checks, and fall back to libcst's own functions for any other
visitor (a rule may run its own visitor inside a hook). Everything is restored on exit.
The patched helpers are looked up by identity in libcst's node modules; when a libcst
version does not have them where expected nothing is patched and libcst's own
traversal runs.
"""

from __future__ import annotations

import dataclasses
import inspect
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import libcst as cst
from libcst._flatten_sentinel import FlattenSentinel
from libcst._nodes import internal as _internal
from libcst._removal_sentinel import RemovalSentinel

_REMOVE = RemovalSentinel.REMOVE
_MAYBE = cst.MaybeSentinel.DEFAULT
_HELPERS = (
    "visit_required",
    "visit_optional",
    "visit_sentinel",
    "visit_iterable",
    "visit_sequence",
    "visit_body_iterable",
    "visit_body_sequence",
)


def _originals() -> dict[str, Any] | None:
    found = {name: getattr(_internal, name, None) for name in _HELPERS}
    return found if all(found.values()) else None


_ORIG = _originals()
_ORIG_VISIT = cst.CSTNode.visit
#: the visitor class the lean functions serve (set by `lean_traversal`)
_LEAN: list[Any] = [type(None)]


def _wrong_removal(node: cst.CSTNode, what: str) -> TypeError:
    return TypeError(f"We got a {what} while visiting a {type(node).__name__}. This node's parent does not allow it.")


def _visit(self: cst.CSTNode, visitor: Any) -> Any:
    if visitor.__class__ is not _LEAN[0]:
        return _ORIG_VISIT(self, visitor)
    if visitor.on_visit(self):
        return visitor.on_leave(self, self._visit_and_replace_children(visitor))
    return visitor.on_leave(self, self)


def _visit_required(parent: Any, fieldname: str, node: Any, visitor: Any) -> Any:
    if visitor.__class__ is not _LEAN[0]:
        return _ORIG["visit_required"](parent, fieldname, node, visitor)  # type: ignore[index]
    if node.__class__ in visitor.opaque:
        return node
    result = node.visit(visitor)
    if result is _REMOVE:
        raise _wrong_removal(node, "RemovalSentinel")
    if result.__class__ is FlattenSentinel:
        raise _wrong_removal(node, "FlattenSentinel")
    return result


def _visit_optional(parent: Any, fieldname: str, node: Any, visitor: Any) -> Any:
    if visitor.__class__ is not _LEAN[0]:
        return _ORIG["visit_optional"](parent, fieldname, node, visitor)  # type: ignore[index]
    if node is None:
        return None
    if node.__class__ in visitor.opaque:
        return node
    result = node.visit(visitor)
    if result.__class__ is FlattenSentinel:
        raise _wrong_removal(node, "FlattenSentinel")
    return None if result is _REMOVE else result


def _visit_sentinel(parent: Any, fieldname: str, node: Any, visitor: Any) -> Any:
    if visitor.__class__ is not _LEAN[0]:
        return _ORIG["visit_sentinel"](parent, fieldname, node, visitor)  # type: ignore[index]
    if node is _MAYBE:
        return _MAYBE
    if node.__class__ in visitor.opaque:
        return node
    result = node.visit(visitor)
    if result.__class__ is FlattenSentinel:
        raise _wrong_removal(node, "FlattenSentinel")
    return _MAYBE if result is _REMOVE else result


def _iterable(children: Any, visitor: Any) -> Iterator[Any]:
    opaque = visitor.opaque
    for child in children:
        if child.__class__ in opaque:
            yield child
            continue
        new = child.visit(visitor)
        if new.__class__ is FlattenSentinel:
            yield from new
        elif new is not _REMOVE:
            yield new


def _visit_iterable(parent: Any, fieldname: str, children: Any, visitor: Any) -> Any:
    if visitor.__class__ is not _LEAN[0]:
        return _ORIG["visit_iterable"](parent, fieldname, children, visitor)  # type: ignore[index]
    return _iterable(children, visitor)


def _visit_sequence(parent: Any, fieldname: str, children: Any, visitor: Any) -> Any:
    if visitor.__class__ is not _LEAN[0]:
        return _ORIG["visit_sequence"](parent, fieldname, children, visitor)  # type: ignore[index]
    if not children:
        return ()
    return tuple(_iterable(children, visitor))


def _body_iterable(children: Any, visitor: Any) -> Iterator[Any]:
    for child in children:
        new = child.visit(visitor)
        if new is _REMOVE:
            continue
        if new.__class__ is FlattenSentinel:
            for each in new:
                if child._is_removable() or not each._is_removable():
                    yield each
        elif child._is_removable() or not new._is_removable():
            yield new


def _visit_body_iterable(parent: Any, fieldname: str, children: Any, visitor: Any) -> Any:
    if visitor.__class__ is not _LEAN[0]:
        return _ORIG["visit_body_iterable"](parent, fieldname, children, visitor)  # type: ignore[index]
    return _body_iterable(children, visitor)


def _visit_body_sequence(parent: Any, fieldname: str, children: Any, visitor: Any) -> Any:
    if visitor.__class__ is not _LEAN[0]:
        return _ORIG["visit_body_sequence"](parent, fieldname, children, visitor)  # type: ignore[index]
    return tuple(_body_iterable(children, visitor))


_LEAN_HELPERS = {
    "visit_required": _visit_required,
    "visit_optional": _visit_optional,
    "visit_sentinel": _visit_sentinel,
    "visit_iterable": _visit_iterable,
    "visit_sequence": _visit_sequence,
    "visit_body_iterable": _visit_body_iterable,
    "visit_body_sequence": _visit_body_sequence,
}

#: switched off by tests to compare with libcst's own traversal
ENABLED = True


@contextmanager
def lean_traversal(visitor_class: type) -> Iterator[None]:
    """Within the block, traversals by a `visitor_class` instance take the lean path.

    `visitor_class` must be a ``CSTTransformer`` whose ``on_visit_attribute`` and
    ``on_leave_attribute`` do nothing."""
    if not ENABLED or _ORIG is None or _LEAN[0] is not type(None):
        yield
        return
    if not _TARGETS:
        _TARGETS.extend(_targets())
    for module, helper in _TARGETS:
        setattr(module, helper, _LEAN_HELPERS[helper])
    cst.CSTNode.visit = _visit  # type: ignore[method-assign]
    _LEAN[0] = visitor_class
    try:
        yield
    finally:
        _LEAN[0] = type(None)
        cst.CSTNode.visit = _ORIG_VISIT  # type: ignore[method-assign]
        for module, helper in _TARGETS:
            setattr(module, helper, _ORIG[helper])


_TARGETS: list[tuple[Any, str]] = []


def _targets() -> list[tuple[Any, str]]:
    """(module, helper name) for each libcst node module that imported a helper."""
    assert _ORIG is not None
    found: list[tuple[Any, str]] = []
    for name, module in list(sys.modules.items()):
        if name.startswith("libcst._nodes.") and module is not None:
            found.extend((module, h) for h in _HELPERS if getattr(module, h, None) is _ORIG[h])
    return found


# -- construction ------------------------------------------------------------------------
#
# libcst's parser builds every node through the node class's dataclass ``__init__``, which
# for a frozen dataclass sets each field with ``object.__setattr__`` (an attribute lookup
# through the class hierarchy per field) and then calls ``__post_init__`` (validation,
# which `process.parse_unvalidated` switches off). While the parser runs, the node
# classes get an ``__init__`` with the same parameters and defaults that stores each
# field through its slot (or the instance dict) directly and validates nothing: about a
# tenth of the parse.

#: switched off by tests to compare with libcst's own construction
FAST_CONSTRUCTION = True
_FAST_INITS: list[tuple[type, Any, Any]] = []  # (class, dataclass __init__, fast __init__)


def _fast_init(cls: type) -> Any:
    """An unvalidated ``__init__`` equivalent to `cls`'s dataclass one; None if `cls`
    has a field this generator does not handle."""
    fields = dataclasses.fields(cls)
    namespace: dict[str, Any] = {"_MISSING": dataclasses.MISSING}
    params: list[str] = []
    body: list[str] = []
    for i, f in enumerate(fields):
        if not f.init or f.kw_only or not f.name.isidentifier():
            return None
        if f.default is not dataclasses.MISSING:
            namespace[f"_default{i}"] = f.default
            params.append(f"{f.name}=_default{i}")
            value = f.name
        elif f.default_factory is not dataclasses.MISSING:
            namespace[f"_factory{i}"] = f.default_factory
            params.append(f"{f.name}=_MISSING")
            value = f"_factory{i}() if {f.name} is _MISSING else {f.name}"
        else:
            params.append(f.name)
            value = f.name
        slot = next((k.__dict__[f.name] for k in cls.__mro__ if f.name in k.__dict__), None)
        if slot is None:  # a class without slots: the field lives in the instance dict
            body.append(f"    self.__dict__[{f.name!r}] = {value}")
        elif type(slot).__name__ == "member_descriptor":
            namespace[f"_set{i}"] = slot.__set__
            body.append(f"    _set{i}(self, {value})")
        else:
            return None
    source = f"def __init__(self, {', '.join(params)}):\n" + ("\n".join(body) or "    pass") + "\n"
    exec(compile(source, f"<migrate fast __init__ of {cls.__name__}>", "exec"), namespace)  # noqa: S102
    return namespace["__init__"]


def _fast_inits() -> list[tuple[type, Any, Any]]:
    if not _FAST_INITS:
        for name in dir(cst):
            cls = getattr(cst, name)
            if not (isinstance(cls, type) and issubclass(cls, cst.CSTNode) and dataclasses.is_dataclass(cls)):
                continue
            if inspect.isabstract(cls) or "__init__" not in cls.__dict__:
                continue
            fast = _fast_init(cls)
            if fast is not None:
                _FAST_INITS.append((cls, cls.__dict__["__init__"], fast))
    return _FAST_INITS


@contextmanager
def fast_construction() -> Iterator[None]:
    """Within the block, libcst node classes are built without validation, faster (see
    above). Only for building nodes that are valid by construction (the parser's)."""
    if not FAST_CONSTRUCTION:
        yield
        return
    inits = _fast_inits()
    for cls, _orig, fast in inits:
        cls.__init__ = fast  # type: ignore[misc]
    try:
        yield
    finally:
        for cls, orig, _fast in inits:
            cls.__init__ = orig  # type: ignore[misc]
