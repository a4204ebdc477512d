"""Load model factories named ``path/to/file.py:build_fn`` and guess their kind (no TF/torch import)."""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import re
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = ["LoadError", "detect_kind", "load_factory", "parse_spec", "spec_of_callable"]

KINDS = ("tf1", "keras", "torch")


class LoadError(RuntimeError):
    """A model factory could not be found, imported or called."""


def parse_spec(spec: str) -> tuple[Path, str]:
    """``"models/net.py:build"`` -> ``(Path("models/net.py"), "build")``."""
    path, sep, fn = spec.rpartition(":")
    if not sep or not path or not fn or not fn.replace(".", "_").isidentifier():
        raise LoadError(f"a model is named 'path/to/file.py:build_fn', got {spec!r}")
    p = Path(path)
    if not p.is_file():
        raise LoadError(f"model file not found: {p}")
    return p.resolve(), fn


def load_module(path: Path) -> ModuleType:
    key = hashlib.sha1(str(path).encode()).hexdigest()[:12]
    name = f"_migrate_factory_{path.stem}_{key}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise LoadError(f"cannot import {path}")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    try:
        spec.loader.exec_module(mod)
    except BaseException as e:
        sys.modules.pop(name, None)
        raise LoadError(f"importing {path} failed: {type(e).__name__}: {e}") from e
    return mod


def load_factory(spec: str) -> Callable[..., Any]:
    path, fn = parse_spec(spec)
    mod = load_module(path)
    obj: Any = mod
    for part in fn.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            raise LoadError(f"{path} has no attribute {fn!r}")
    if not callable(obj):
        raise LoadError(f"{spec} is not callable")
    return obj  # type: ignore[no-any-return]


def spec_of_callable(fn: Callable[..., Any]) -> str | None:
    """``file.py:name`` for a module-level function (so that a subprocess can load it)."""
    import inspect

    try:
        src = inspect.getsourcefile(fn)
    except TypeError:
        return None
    qn = getattr(fn, "__qualname__", "")
    if not src or "<locals>" in qn or not qn:
        return None
    return f"{src}:{qn}"


_TF1 = re.compile(
    r"compat\.v1|disable_v2_behavior|\btf\.placeholder\b|\btf\.Session\b|\btf\.layers\.|"
    r"\btf\.variable_scope\b|\btf\.get_variable\b|\btf\.nn\.rnn_cell\b|\btf\.contrib\b"
)
_TORCH = re.compile(r"^\s*(import torch|from torch\b)|\bnn\.Module\b|\btorch\.nn\b", re.MULTILINE)
_KERAS = re.compile(r"\bkeras\b|^\s*import tensorflow|^\s*from tensorflow", re.MULTILINE)
_KERAS_MODEL = re.compile(r"\bkeras\.(layers|Model|Input|Sequential)\b")


def _kind_of_text(text: str) -> str | None:
    if _TF1.search(text):
        return "tf1"
    if _TORCH.search(text) and not _KERAS.search(text):
        return "torch"
    if _KERAS.search(text) and not _TORCH.search(text):
        return "keras"
    return None


def looks_tf1(spec: str) -> bool:
    """Whether the factory builds a TF1 graph, from its source text (nothing is imported)."""
    path, fn = parse_spec(spec)
    text = path.read_text(encoding="utf-8", errors="replace")
    body = _function_source(text, fn.split(".")[-1])
    if body is None or _TF1.search(body):
        return bool(_TF1.search(body or text))
    # the body calls helpers: TF1 if the file is TF1 and nothing else
    return bool(_TF1.search(text)) and not _TORCH.search(text) and not _KERAS_MODEL.search(text)


def detect_kind(model: Any) -> str:
    """``tf1`` | ``keras`` | ``torch`` for a built model (or a factory's result), or a spec string.

    A spec string is only classified from its source text; :func:`~migrate.check.adapters.make_adapter`
    instead calls a non-TF1 factory and looks at what it returned.
    """
    if isinstance(model, str):
        if looks_tf1(model):
            return "tf1"
        path, _ = parse_spec(model)
        k = _kind_of_text(path.read_text(encoding="utf-8", errors="replace"))
        if k:
            return k
        raise LoadError(f"cannot tell whether {model} builds a TF1 graph, a Keras model or a torch module: pass --old-kind/--new-kind")
    if isinstance(model, dict) and "model" in model:
        return detect_kind(model["model"])
    if isinstance(model, tuple) and len(model) == 2 and not isinstance(model[0], dict):
        return detect_kind(model[0])
    mods = [c.__module__ for c in type(model).__mro__]
    if any(m.startswith("torch.nn") for m in mods):
        return "torch"
    if any(m.split(".")[0] in ("keras", "tf_keras") for m in mods) or any(m.startswith("tensorflow.python.keras") for m in mods):
        return "keras"
    if callable(model):
        spec = spec_of_callable(model)
        if spec:
            return detect_kind(spec)
    raise LoadError(f"cannot tell what kind of model {type(model).__name__} is: pass old_kind/new_kind")


def _function_source(text: str, name: str) -> str | None:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return ast.get_source_segment(text, node)
    return None
