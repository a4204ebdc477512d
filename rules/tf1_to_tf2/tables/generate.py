#!/usr/bin/env python
"""Generate the TF1 -> TF2 symbol and keyword tables from TensorFlow itself.

Run from the repository root::

    python rules/tf1_to_tf2/tables/generate.py          # rewrite symbols.json, keywords.json
    python rules/tf1_to_tf2/tables/generate.py --check  # exit 1 if the checked-in tables are stale

This is a development script: it imports TensorFlow (and tf_keras, absl) to read facts
from the installed 2.21 release. The rewriter never imports it; it reads the JSON
through ``rules.tf1_to_tf2.tables`` (``__init__.py``), which does not import TensorFlow.

Facts used, in order of trust:

1. Object identity. Every public name under ``tf.compat.v1`` is resolved to its object
   (TF decorators unwrapped). When ``tf.<same path>`` is the same object the name is
   ``same``; when the object is reachable elsewhere in the TF2 API it is ``renamed``,
   choosing the canonical TF2 name from TF's export metadata (``_tf_api_names``).
2. The TF2 object at the same path, when it is a different TensorFlow object (for
   example ``nn.dropout``): ``same``, with the signature differences in keywords.json.
3. TensorFlow's own upgrader tables (``tensorflow.tools.compatibility``), accepted only
   when the target exists in TF 2.21 outside ``compat``.
4. Another v1 name for the same object that is itself same/renamed.
5. Everything else is ``removed``; the hint comes from overrides.json (hand-written),
   else from TF's docstrings ("@compatibility(TF2)" sections, deprecation notices).

Hand-written facts (contrib, semantic notes, hints, keyword transforms) live in
overrides.json next to this file.
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import functools
import importlib
import inspect
import json
import os
import re
import sys
import textwrap
import types
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SYMBOLS_PATH = HERE / "symbols.json"
KEYWORDS_PATH = HERE / "keywords.json"
OVERRIDES_PATH = HERE / "overrides.json"
GENERATED_BY = "rules/tf1_to_tf2/tables/generate.py"
EXPECTED_TF_VERSION = "2.21.0"

EFFORTS = ("info", "trivial", "complex", "redesign", "rearchitecture", "unknown")
SAFETIES = ("safe", "unsafe", "display-only")
REPLACEMENT_KINDS = ("tf", "external", "prose")
PRIMITIVES = (bool, int, float, complex, str, bytes, type(None))

# Modules that are not generated API modules but whose members are public TF1 API.
_EXTRA_WALK_MODULES = frozenset(
    {"tensorflow.python.platform.flags", "tensorflow.experimental"}
)
# TF2 root names that are real packages, not API modules (never walked).
_V2_SKIP_ROOT = frozenset({"compat", "keras", "dtensor", "security", "tools"})

_IDENT_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_BACKTICK_TF = re.compile(r"`(tf\.[A-Za-z0-9_.]+)")


class GenerationError(RuntimeError):
    """Overrides and TensorFlow disagree; the tables cannot be trusted."""


# --------------------------------------------------------------------------- TF access


def _import_tensorflow() -> Any:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf  # type: ignore[import-untyped]

    return tf


def _module_name(mod: Any) -> str:
    try:
        return str(mod.__name__)
    except (
        AttributeError,
        ImportError,
    ):  # KerasLazyLoader raises on __name__ with Keras 3
        return ""


def _is_keras_lazy(obj: Any) -> bool:
    from tensorflow.python.util import lazy_loader  # type: ignore[import-untyped]

    return isinstance(obj, lazy_loader.KerasLazyLoader)


def _is_plain_callable(obj: Any) -> bool:
    """Functions and classes only: never instances with a custom __getattr__ (touching an
    attribute of tf.compat.v1.flags.FLAGS parses sys.argv)."""
    return (
        isinstance(obj, type)
        or inspect.isroutine(obj)
        or isinstance(obj, functools.partial)
    )


def _core(obj: Any) -> Any:
    """The object behind TF's decorators (dispatch, deprecation wrappers...)."""
    if isinstance(obj, type) or not _is_plain_callable(obj):
        return obj
    from tensorflow.python.util import tf_decorator  # type: ignore[import-untyped]

    try:
        return tf_decorator.unwrap(obj)[1]
    except (AttributeError, TypeError, ValueError):
        return obj


def _export_names(obj: Any, attr: str) -> list[str]:
    target = _core(obj)
    try:
        names = vars(target).get(attr)
    except TypeError:
        return []
    return list(names or ())


def _walk(
    root: Any,
    *,
    skip: Iterable[str],
    no_recurse: Iterable[str],
    api_prefix: str = "tensorflow._api.",
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Public (non-underscore) names below an API module: (objects, modules).

    Recurses into submodules whose ``__name__`` starts with ``api_prefix`` (generated API
    modules) or is one of _EXTRA_WALK_MODULES; other modules are recorded, not entered.
    """
    skip = set(skip)
    no_recurse = set(no_recurse)
    objects: dict[str, Any] = {}
    modules: dict[str, Any] = {}

    def visit(mod: Any, prefix: str, stack: frozenset[int]) -> None:
        for name in sorted(dir(mod)):
            if name.startswith("_"):
                continue
            full = prefix + name
            if full in skip:
                continue
            try:
                obj = getattr(mod, name)
            except (AttributeError, ImportError):  # a lazy attribute that cannot load
                continue
            if not isinstance(obj, types.ModuleType):
                objects[full] = obj
                continue
            modules[full] = obj
            if full in no_recurse or _is_keras_lazy(obj) or id(obj) in stack:
                continue
            mname = _module_name(obj)
            if mname.startswith(api_prefix) or mname in _EXTRA_WALK_MODULES:
                visit(obj, full + ".", stack | {id(obj)})

    visit(root, "", frozenset({id(root)}))
    return objects, modules


def _resolve(root: Any, path: str) -> tuple[bool, Any]:
    obj = root
    for part in path.split("."):
        try:
            obj = getattr(obj, part)
        except (AttributeError, ImportError):
            return False, None
    return True, obj


def _is_keras_object(obj: Any) -> bool:
    if isinstance(obj, types.ModuleType):
        return _is_keras_lazy(obj) or _module_name(obj).startswith(
            ("keras", "tf_keras")
        )
    mod = getattr(obj, "__module__", None) or getattr(type(obj), "__module__", "") or ""
    return str(mod).startswith(("keras", "tf_keras"))


# --------------------------------------------------------------------------- signatures


class _Sig:
    """Parameter facts of a callable, with TF decorators unwrapped."""

    def __init__(self, obj: Any) -> None:
        params = _parameters(obj)
        self.positional: list[str] = []
        self.names: list[str] = []
        self.defaults: dict[str, Any] = {}
        self.required: set[str] = set()
        self.varkw = False
        for p in params:
            if p.kind is inspect.Parameter.VAR_KEYWORD:
                self.varkw = True
                continue
            if p.kind is inspect.Parameter.VAR_POSITIONAL:
                continue
            self.names.append(p.name)
            if p.kind in (
                inspect.Parameter.POSITIONAL_ONLY,
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
            ):
                self.positional.append(p.name)
            if p.default is inspect.Parameter.empty:
                self.required.add(p.name)
            else:
                self.defaults[p.name] = p.default


def _parameters(obj: Any) -> list[inspect.Parameter]:
    def sig_params(fn: Any, drop_first: bool) -> list[inspect.Parameter]:
        params = list(inspect.signature(fn).parameters.values())
        return params[1:] if drop_first and params else params

    def only_var(params: list[inspect.Parameter]) -> bool:
        return all(
            p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
            for p in params
        )

    if isinstance(obj, type):
        try:
            params = sig_params(obj, False)
        except (TypeError, ValueError):
            params = []
        if only_var(params):
            for attr in ("__init__", "__new__"):
                fn = _core(getattr(obj, attr, None))
                if fn is None or fn in (object.__init__, object.__new__):
                    continue
                try:
                    cand = sig_params(fn, True)
                except (TypeError, ValueError):
                    continue
                if not only_var(cand):
                    return cand
        return params
    return sig_params(_core(obj), False)


def _signature(obj: Any) -> _Sig | None:
    if not _is_plain_callable(obj):
        return None
    try:
        return _Sig(obj)
    except (TypeError, ValueError):
        return None


def _lookup_pairs(obj: Any) -> dict[str, str]:
    """old -> new keyword pairs from deprecated_argument_lookup("new", new, "old", old)."""
    fn = _core(obj)
    if isinstance(fn, type):
        fn = getattr(fn, "__init__", None)
    try:
        source = textwrap.dedent(inspect.getsource(fn))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError, IndentationError):
        return {}
    pairs: dict[str, str] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or len(node.args) != 4:
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name != "deprecated_argument_lookup":
            continue
        new, old = node.args[0], node.args[2]
        new_name = new.value if isinstance(new, ast.Constant) else None
        old_name = old.value if isinstance(old, ast.Constant) else None
        if isinstance(new_name, str) and isinstance(old_name, str):
            pairs[old_name] = new_name
    return pairs


def _json_default(value: Any) -> Any:
    """A default value as JSON when it is a plain literal, else a sentinel."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return value
    return _NOT_JSON


_NOT_JSON = object()


# --------------------------------------------------------------------------- docstring facts


def _clean_text(text: str) -> str:
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # markdown links -> text
    text = text.split(">>>")[0].split("###")[0].split("```")[0]
    text = re.sub(r"\s+", " ", text).strip()
    return text


def _first_sentences(text: str, limit: int = 320) -> str:
    out = ""
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        if not sentence:
            continue
        cand = f"{out} {sentence}".strip()
        if len(cand) > limit and out:
            break
        out = cand
        if len(out) > limit:
            out = out[: limit - 1].rstrip() + "…"
            break
    return out


def _doc_facts(obj: Any) -> tuple[str, str]:
    """(TF2 compatibility section, deprecation instructions) from TF's docstring."""
    doc = getattr(obj, "__doc__", None) or ""
    if not isinstance(doc, str):
        return "", ""
    compat = re.search(r"@compatibility\(TF2\)(.*?)@end_compatibility", doc, re.DOTALL)
    # Only whole-symbol deprecations ("THIS FUNCTION IS DEPRECATED"), not deprecated arguments.
    dep = re.search(
        r"IS DEPRECATED\..*?Instructions for updating:\n(.*?)(?:\n\s*\n|$)",
        doc,
        re.DOTALL,
    )
    return (
        _clean_text(compat.group(1)) if compat else "",
        _clean_text(dep.group(1)) if dep else "",
    )


# --------------------------------------------------------------------------- generator


class _Generator:
    def __init__(self, overrides: dict[str, Any]) -> None:
        self.ov = overrides
        if os.environ.get("TF_USE_LEGACY_KERAS", "").lower() in ("1", "true"):
            raise GenerationError(
                "unset TF_USE_LEGACY_KERAS: the tables describe TF 2.21's default tf.keras (Keras 3)"
            )
        self.tf = _import_tensorflow()
        if self.tf.__version__ != EXPECTED_TF_VERSION:
            raise GenerationError(
                f"tables are generated from TensorFlow {EXPECTED_TF_VERSION}, found {self.tf.__version__}"
            )
        from tensorflow.tools.compatibility import tf_upgrade_v2  # type: ignore[import-untyped]

        self.spec = tf_upgrade_v2.TFAPIChangeSpec()
        self.v1 = self.tf.compat.v1

        self.v1_objs, self.v1_mods = _walk(
            self.v1, skip={"compat"}, no_recurse={"keras"}
        )
        self._expand_keras_legacy()
        self.v2_objs, self.v2_mods = _walk(
            self.tf, skip={"compat"}, no_recurse=_V2_SKIP_ROOT
        )
        # tf.compat's own functions (as_bytes, dimension_value, ...) are TF2 API; v1/v2 are not.
        for name in sorted(dir(self.tf.compat)):
            obj = getattr(self.tf.compat, name)
            if not name.startswith("_") and not isinstance(obj, types.ModuleType):
                self.v2_objs["compat." + name] = obj
        for root in ("dtensor", "security", "tools"):  # real packages, not API surface
            for table in (self.v2_objs, self.v2_mods):
                for key in [k for k in table if k == root or k.startswith(root + ".")]:
                    del table[key]
        self.v2_module_names = set(self.v2_mods) | self._keras_modules() | {"compat"}

        self.identity: dict[int, list[str]] = defaultdict(list)
        self.prims: dict[str, list[str]] = defaultdict(list)  # leaf -> v2 paths
        for path, obj in self.v2_objs.items():
            if isinstance(obj, PRIMITIVES):
                self.prims[path.rsplit(".", 1)[-1]].append(path)
            else:
                self.identity[id(_core(obj))].append(path)

        self.symbol_renames = {
            k[3:]: v[3:]
            for k, v in self.spec.symbol_renames.items()
            if k.startswith("tf.") and v.startswith("tf.")
        }
        self.status: dict[str, str] = {}
        self.renamed: dict[str, dict[str, Any]] = {}
        self.removed: dict[str, dict[str, Any]] = {}
        self.same: set[str] = set()
        self.modules: set[str] = set()
        self.kw_pairs: dict[
            str, tuple[Any, str, Any]
        ] = {}  # v1 name -> (v1 obj, v2 path, v2 obj)
        self.keywords: dict[str, dict[str, Any]] = {}
        self.notes: dict[str, dict[str, Any]] = {}
        self.review: dict[str, list[str]] = defaultdict(list)

    # ------------------------------------------------------------------ discovery

    def _expand_keras_legacy(self) -> None:
        """tf.compat.v1.layers / nn.rnn_cell are served by tf_keras; list their members."""
        for path, mod in list(self.v1_mods.items()):
            if not _is_keras_lazy(mod) or path == "keras":
                continue
            submodule = object.__getattribute__(mod, "_tfll_submodule")
            real = importlib.import_module("tf_keras.api._v1.keras." + submodule)
            base = _module_name(real)
            objs, mods = _walk(real, skip=(), no_recurse=(), api_prefix=base + ".")
            self.v1_objs.update({f"{path}.{k}": v for k, v in objs.items()})
            self.v1_mods.update(
                {
                    f"{path}.{k}": v
                    for k, v in mods.items()
                    if _module_name(v).startswith(base)
                }
            )

    def _keras_modules(self) -> set[str]:
        """Module paths of tf.keras (Keras 3 in TF 2.21), names only."""
        out = {"keras", "initializers", "losses", "metrics", "optimizers"}
        keras = self.tf.keras
        seen: set[int] = set()

        def visit(mod: Any, prefix: str, depth: int) -> None:
            if depth > 4:
                return
            for name in dir(mod):
                if name.startswith("_"):
                    continue
                try:
                    obj = getattr(mod, name)
                except (AttributeError, ImportError):
                    continue
                if isinstance(obj, types.ModuleType) and _module_name(obj).startswith(
                    "keras"
                ):
                    path = f"{prefix}.{name}"
                    out.add(path)
                    if id(obj) not in seen:
                        seen.add(id(obj))
                        visit(obj, path, depth + 1)

        visit(keras, "keras", 0)
        return out

    # ------------------------------------------------------------------ resolution helpers

    def v2_resolve(self, path: str) -> tuple[str | None, Any]:
        """('tf' | 'keras' | None, object) for a TF2 path (never through compat)."""
        head = path.split(".")[0]
        if not path or head in ("dtensor", "security", "tools"):
            return None, None
        if head == "compat" and path not in self.v2_objs:
            return None, None
        if path in self.v2_objs:
            return "tf", self.v2_objs[path]
        if path in self.v2_mods:
            obj = self.v2_mods[path]
            return ("keras" if _is_keras_object(obj) else "tf"), obj
        ok, obj = _resolve(self.tf, path)
        if not ok:
            return None, None
        return (
            "keras"
            if _is_keras_object(obj)
            or path.split(".")[0]
            in ("keras", "initializers", "losses", "metrics", "optimizers")
            else "tf"
        ), obj

    def v1_object(self, name: str) -> Any:
        if name in self.v1_objs:
            return self.v1_objs[name]
        return self.v1_mods.get(name)

    def _upgrader_target(self, names: Iterable[str]) -> str | None:
        for name in names:
            target = self.symbol_renames.get(name)
            if target is None:
                continue
            return target.removeprefix("compat.v2.")
        return None

    # ------------------------------------------------------------------ classification

    def classify(self) -> None:
        for name in sorted(self.v1_mods):
            self.modules.add(name)
        for name in sorted(self.v1_objs):
            self._classify_object(name, self.v1_objs[name])
        # Alias propagation: a removed name whose object has another v1 name that maps.
        for name in sorted(n for n, s in self.status.items() if s == "removed"):
            obj = self.v1_objs.get(name)
            if obj is None or isinstance(obj, PRIMITIVES):
                continue
            for alias in _export_names(obj, "_tf_api_names_v1"):
                if alias == name or self.status.get(alias) not in ("same", "renamed"):
                    continue
                target = (
                    alias if self.status[alias] == "same" else self.renamed[alias]["v2"]
                )
                kind, v2obj = self.v2_resolve(target)
                if kind != "tf":
                    continue
                self._set_renamed(name, target, via="alias")
                if _core(v2obj) is not _core(obj):
                    self.kw_pairs[name] = (obj, target, v2obj)
                break
        for name in sorted(self.v1_mods):
            self._classify_module(name)
        self._apply_forced()

    def _set_same(self, name: str) -> None:
        self.status[name] = "same"
        self.same.add(name)
        self.renamed.pop(name, None)
        self.removed.pop(name, None)

    def _set_renamed(self, name: str, v2: str, via: str) -> None:
        kind, _ = self.v2_resolve(v2)
        if kind is None:
            raise GenerationError(
                f"rename target {v2!r} for {name!r} does not exist in TF2"
            )
        self.status[name] = "renamed"
        self.renamed[name] = {"v2": v2}
        self.same.discard(name)
        self.removed.pop(name, None)
        self.review[f"renamed_via_{via}"].append(f"{name} -> {v2}")

    def _set_removed(self, name: str, info: dict[str, Any] | None = None) -> None:
        self.status[name] = "removed"
        self.removed[name] = dict(info or {})
        self.same.discard(name)
        self.renamed.pop(name, None)

    def _classify_object(self, name: str, obj: Any) -> None:
        leaf = name.rsplit(".", 1)[-1]
        if isinstance(obj, PRIMITIVES):
            kind, v2obj = self.v2_resolve(name)
            if kind == "tf" and type(v2obj) is type(obj) and v2obj == obj:
                self._set_same(name)
                return
            cands = sorted(
                (
                    p
                    for p in self.prims.get(leaf, ())
                    if type(self.v2_objs[p]) is type(obj) and self.v2_objs[p] == obj
                ),
                key=lambda p: (p.count("."), len(p), p),
            )
            if cands:
                self._set_renamed(name, cands[0], via="value")
                return
            self._classify_fallback(name, obj)
            return

        core = _core(obj)
        kind, v2obj = self.v2_resolve(name)
        if kind == "tf" and _core(v2obj) is core:
            self._set_same(name)
            return
        candidates = [
            p for p in self.identity.get(id(core), ()) if not p.startswith("raw_ops.")
        ] or list(self.identity.get(id(core), ()))
        if candidates:
            preferred = [
                n for n in _export_names(obj, "_tf_api_names") if n in candidates
            ]
            target = (
                preferred[0]
                if preferred
                else min(
                    candidates,
                    key=lambda p: (
                        p.rsplit(".", 1)[-1].lower() != leaf.lower(),
                        p.count("."),
                        len(p),
                        p,
                    ),
                )
            )
            self._set_renamed(name, target, via="identity")
            if kind is not None:
                self.review["identity_rename_over_samepath"].append(
                    f"{name} -> {target}"
                )
            return
        if kind == "tf":
            self._set_same(name)
            self.kw_pairs[name] = (obj, name, v2obj)
            self.review["same_path_different_object"].append(name)
            return
        self._classify_fallback(name, obj, keras_samepath=(kind == "keras"))

    def _classify_fallback(
        self, name: str, obj: Any, keras_samepath: bool = False
    ) -> None:
        aliases = [name] + [
            a for a in _export_names(obj, "_tf_api_names_v1") if a != name
        ]
        target = self._upgrader_target(aliases)
        if target and not target.startswith("compat.v1."):
            kind, v2obj = self.v2_resolve(target)
            if kind is not None:
                self._set_renamed(name, target, via="upgrader")
                if callable(obj) and (v2obj is None or _core(v2obj) is not _core(obj)):
                    self.kw_pairs[name] = (obj, target, v2obj)
                return
            self.review["upgrader_target_missing"].append(f"{name} -> {target}")
        info: dict[str, Any] = {}
        if keras_samepath:
            info["_keras_samepath"] = True
        if target and target.startswith("compat.v1."):
            info["_compat_only"] = target
        self._set_removed(name, info)

    def _classify_module(self, name: str) -> None:
        if name == "keras":
            self._set_same(name)
            return
        kind, _ = self.v2_resolve(name)
        if kind is not None and name in self.v2_module_names:
            self._set_same(name)
            return
        # Module renamed when every direct member moved to one TF2 module, same leaf names.
        members = [n for n in self.v1_objs if n.rsplit(".", 1)[0] == name]
        parents: set[str] = set()
        for member in members:
            if self.status.get(member) != "renamed":
                parents = set()
                break
            target = self.renamed[member]["v2"]
            parent, _, leaf = target.rpartition(".")
            if leaf != member.rsplit(".", 1)[-1] or not parent:
                parents = set()
                break
            parents.add(parent)
        if members and len(parents) == 1:
            self._set_renamed(name, parents.pop(), via="module")
            return
        self._set_removed(name, {"_module": True})

    def _apply_forced(self) -> None:
        for name, spec in sorted(self.ov.get("force", {}).items()):
            if name.startswith("_"):
                continue
            if name not in self.status:
                raise GenerationError(
                    f"overrides.force names unknown v1 symbol {name!r}"
                )
            status = spec["status"]
            self.kw_pairs.pop(name, None)
            if status == "same":
                self._set_same(name)
            elif status == "renamed":
                self._set_renamed(name, spec["v2"], via="override")
                obj = self.v1_object(name)
                _, v2obj = self.v2_resolve(spec["v2"])
                if (
                    callable(obj)
                    and not isinstance(obj, types.ModuleType)
                    and _core(v2obj) is not _core(obj)
                ):
                    self.kw_pairs[name] = (obj, spec["v2"], v2obj)
            elif status == "removed":
                self._set_removed(
                    name, {k: v for k, v in spec.items() if k != "status"}
                )
                self.removed[name]["_forced"] = True
            else:
                raise GenerationError(
                    f"bad status {status!r} for {name!r} in overrides.force"
                )

    # ------------------------------------------------------------------ removed hints

    def finish_removed(self) -> None:
        explicit = {
            k: v for k, v in self.ov.get("removed", {}).items() if not k.startswith("_")
        }
        for name in explicit:
            if name not in self.status:
                raise GenerationError(
                    f"overrides.removed names unknown v1 symbol {name!r}"
                )
            if self.status[name] != "removed":
                raise GenerationError(
                    f"overrides.removed has {name!r} but TensorFlow says it is {self.status[name]}; "
                    "use overrides.force to override"
                )
        patterns = self.ov.get("patterns", [])
        for name in sorted(self.removed):
            info = self.removed[name]
            forced = info.pop("_forced", False)
            keras_samepath = info.pop("_keras_samepath", False)
            compat_only = info.pop("_compat_only", None)
            is_module = info.pop("_module", False)
            if forced:
                entry = info
            elif name in explicit:
                entry = dict(explicit[name])
            else:
                entry = self._pattern_entry(name, patterns) or self._auto_entry(
                    name, keras_samepath, compat_only, is_module
                )
            entry = self._validated_removed(name, entry)
            if "template" in entry:
                entry["args_v1"] = self._template_args(name, entry["template"])
            self.removed[name] = entry

    def _template_args(self, name: str, template: str) -> list[str]:
        sig = _signature(self.v1_object(name))
        if sig is None:
            raise GenerationError(f"template for {name!r} but no signature")
        fields = set(re.findall(r"{(\w+)}", template))
        if not fields <= set(sig.positional):
            raise GenerationError(
                f"template for {name!r} uses {sorted(fields - set(sig.positional))} not in {sig.positional}"
            )
        return list(sig.positional)

    def _pattern_entry(
        self, name: str, patterns: list[dict[str, Any]]
    ) -> dict[str, Any] | None:
        leaf = name.rsplit(".", 1)[-1]
        for pat in patterns:
            matches = [pat["match"]] if isinstance(pat["match"], str) else pat["match"]
            if not any(fnmatch.fnmatchcase(name, m) for m in matches):
                continue
            if any(fnmatch.fnmatchcase(name, ex) for ex in pat.get("except", ())):
                continue
            entry = {
                k: v for k, v in pat.items() if k not in ("match", "except", "fallback")
            }
            fmt = {"leaf": leaf, "name": name, "lower": leaf.lower()}
            for key in ("hint", "replacement"):
                if key in entry:
                    entry[key] = entry[key].format(**fmt)
            if "replacement" in entry and not self._replacement_exists(entry):
                fallback = pat.get("fallback")
                if fallback is None:
                    raise GenerationError(
                        f"pattern {pat['match']!r}: replacement {entry['replacement']!r} missing"
                    )
                entry = {
                    **{k: v for k, v in entry.items() if k != "replacement"},
                    **fallback,
                }
                for key in ("hint", "replacement"):
                    if key in entry:
                        entry[key] = entry[key].format(**fmt)
            return entry
        return None

    def _auto_entry(
        self, name: str, keras_samepath: bool, compat_only: str | None, is_module: bool
    ) -> dict[str, Any]:
        obj = self.v1_object(name)
        compat, dep = ("", "") if is_module or obj is None else _doc_facts(obj)
        replacement = None
        for text in (compat, dep):
            for match in _BACKTICK_TF.finditer(text):
                cand = match.group(1)[3:].rstrip(".")
                if cand.startswith("compat."):
                    continue
                kind, _ = self.v2_resolve(cand)
                if kind is not None:
                    replacement = cand
                    break
            if replacement:
                break
        if keras_samepath and replacement is None:
            replacement = (
                "keras." + name if self.v2_resolve("keras." + name)[0] else None
            )
        hint = _first_sentences(compat) or _first_sentences(dep)
        if keras_samepath:
            hint = (
                f"TF2's tf.{name} is the Keras API (different signature and reduction); "
                f"use tf.keras.{name.split('.', 1)[0]} objects. " + hint
            ).strip()
        if not hint:
            where = f"tf.{compat_only}" if compat_only else f"tf.compat.v1.{name}"
            hint = (
                f"No TF2-native equivalent in TF 2.21 (TensorFlow's upgrader keeps {where})."
                if compat_only
                else f"Removed from the TF2 API; only {where} remains."
            )
        low = (compat + " " + dep).lower()
        if "exact replacement" in low or "near-exact" in low:
            effort = "trivial"
        elif (
            "not compatible with eager" in low
            or "does not work with either eager" in low
        ):
            effort = "redesign"
        elif replacement:
            effort = "complex"
        else:
            effort = "unknown"
        entry: dict[str, Any] = {"hint": hint, "effort": effort}
        if replacement:
            entry["replacement"] = replacement
        self.review["auto_removed_" + effort].append(name)
        return entry

    def _replacement_exists(self, entry: dict[str, Any]) -> bool:
        rep = entry["replacement"]
        kind = entry.get("replacement_kind")
        if kind == "external":
            return _external_exists(rep)
        if kind == "prose":
            return True
        return self.v2_resolve(rep)[0] is not None

    def _validated_removed(self, name: str, entry: dict[str, Any]) -> dict[str, Any]:
        entry = {k: v for k, v in entry.items() if not k.startswith("_")}
        entry.pop("status", None)
        if not entry.get("hint"):
            raise GenerationError(f"removed entry {name!r} has no hint")
        if entry.get("effort") not in EFFORTS:
            raise GenerationError(
                f"removed entry {name!r} has bad effort {entry.get('effort')!r}"
            )
        rep = entry.get("replacement")
        if rep is not None:
            kind = entry.get("replacement_kind")
            if kind is None:
                kind = "tf" if self.v2_resolve(rep)[0] is not None else None
                if kind is None:
                    if _IDENT_PATH.match(rep):
                        raise GenerationError(
                            f"replacement {rep!r} of {name!r} is not in TF2; mark replacement_kind external/prose"
                        )
                    kind = "prose"
            if kind not in REPLACEMENT_KINDS:
                raise GenerationError(f"bad replacement_kind {kind!r} for {name!r}")
            if kind == "tf" and self.v2_resolve(rep)[0] is None:
                raise GenerationError(
                    f"replacement {rep!r} of {name!r} does not exist in TF2"
                )
            if kind == "external" and not _external_exists(rep):
                raise GenerationError(
                    f"external replacement {rep!r} of {name!r} not found"
                )
            entry["replacement_kind"] = kind
        return entry

    # ------------------------------------------------------------------ hand-written names

    def add_hand_written(self) -> None:
        """contrib.* (gone in TF2) and other TF1-era names from overrides + TF's upgrader."""
        added: dict[str, dict[str, Any]] = {}
        # TF's upgrader knows some contrib moves; take them first, overrides win.
        for old, new in sorted(self.symbol_renames.items()):
            if not old.startswith("contrib."):
                continue
            new = new.removeprefix("compat.v2.")
            if not new.startswith("compat.") and self.v2_resolve(new)[0] is not None:
                added[old] = {"status": "renamed", "v2": new}
            else:
                added[old] = {
                    "status": "removed",
                    "effort": "unknown",
                    "hint": f"No TF2-native equivalent (TensorFlow's upgrader maps it to tf.{new}).",
                }
        from tensorflow.tools.compatibility import all_renames_v2  # type: ignore[import-untyped]

        for old, new in sorted(all_renames_v2.addons_symbol_mappings.items()):
            if not old.startswith("tf.contrib."):
                continue
            ext = "tensorflow_addons." + new.split(".", 1)[1]
            added[old[3:]] = {
                "status": "removed",
                "effort": "complex",
                "replacement": ext,
                "replacement_kind": "external",
                "hint": f"Moved to TensorFlow Addons as {ext} (Addons is end-of-life; prefer a Keras/core equivalent).",
            }
        for section in ("contrib", "extra"):
            for name, spec in self.ov.get(section, {}).items():
                if name.startswith("_"):
                    continue
                if section == "contrib" and not (
                    name == "contrib" or name.startswith("contrib.")
                ):
                    raise GenerationError(
                        f"overrides.contrib entry {name!r} is not under contrib"
                    )
                if name in self.status:
                    raise GenerationError(
                        f"overrides.{section} entry {name!r} already exists in tf.compat.v1"
                    )
                added[name] = dict(spec)

        # Parents of every added name are modules.
        for name in list(added):
            parts = name.split(".")
            for i in range(1, len(parts)):
                parent = ".".join(parts[:i])
                if parent in self.status:
                    continue
                if parent not in added:
                    raise GenerationError(
                        f"module {parent!r} (parent of {name!r}) needs an overrides entry"
                    )
                added[parent]["module"] = True

        for name, spec in sorted(added.items()):
            spec = dict(spec)
            status = spec.pop("status")
            is_module = spec.pop("module", False)
            args_v1 = spec.pop("args_v1", None)
            if is_module:
                self.modules.add(name)
            if status == "renamed":
                self._set_renamed(name, spec.pop("v2"), via="hand")
                if spec:
                    raise GenerationError(
                        f"unexpected fields {sorted(spec)} in renamed entry {name!r}"
                    )
                if args_v1 is not None:
                    self.kw_pairs[name] = (
                        args_v1,
                        self.renamed[name]["v2"],
                        self.v2_resolve(self.renamed[name]["v2"])[1],
                    )
            elif status == "removed":
                self._set_removed(name)
                self.removed[name] = self._validated_removed(name, spec)
                if not (name == "contrib" or name.startswith("contrib.")):
                    # not in tf.compat.v1 either (checked above): the rewrite must not
                    # spell it `tf.compat.v1.<name>`, a name TF 2.21 lacks
                    self.removed[name]["absent"] = True
            elif status == "same":
                self._set_same(name)
            else:
                raise GenerationError(f"bad status {status!r} for {name!r}")
        # Upgrader keyword renames / reorders known for contrib names that we renamed.
        for key, reorder in self.spec.function_reorders.items():
            name = key.removeprefix("tf.")
            if (
                name.startswith("contrib.")
                and self.status.get(name) == "renamed"
                and name not in self.kw_pairs
            ):
                v2 = self.renamed[name]["v2"]
                self.kw_pairs[name] = (list(reorder), v2, self.v2_resolve(v2)[1])

    # ------------------------------------------------------------------ keywords

    def build_keywords(self) -> None:
        kw_ov = {
            k: v
            for k, v in self.ov.get("keywords", {}).items()
            if not k.startswith("_")
        }
        dropped_hints = {
            k: v
            for k, v in self.ov.get("dropped_hints", {}).items()
            if not k.startswith("_")
        }
        for name, spec in kw_ov.items():
            if "v2" in spec and name in self.removed:
                rep = spec["v2"]
                kind, v2obj = self.v2_resolve(rep)
                if kind is None:
                    raise GenerationError(
                        f"overrides.keywords {name!r}: v2 {rep!r} missing"
                    )
                self.kw_pairs[name] = (self.v1_object(name), rep, v2obj)
            elif name not in self.kw_pairs:
                raise GenerationError(
                    f"overrides.keywords {name!r} has no v2 counterpart with a different signature"
                )
        for name in sorted(self.kw_pairs):
            v1obj, v2name, v2obj = self.kw_pairs[name]
            entry = self._keyword_entry(
                name, v1obj, v2name, v2obj, kw_ov.get(name, {}), dropped_hints
            )
            if entry is not None:
                self.keywords[name] = entry

    def _upgrader_kw(
        self, names: Iterable[str]
    ) -> tuple[dict[str, str | None], dict[str, str]]:
        renames: dict[str, str | None] = {}
        warnings: dict[str, str] = {}
        for n in names:
            for key, value in self.spec.function_keyword_renames.get(
                "tf." + n, {}
            ).items():
                renames.setdefault(key, value)
            for (arg, _pos), (_level, msg) in self.spec.function_arg_warnings.get(
                "tf." + n, {}
            ).items():
                warnings.setdefault(arg, msg)
        return renames, warnings

    def _keyword_entry(
        self,
        name: str,
        v1obj: Any,
        v2name: str,
        v2obj: Any,
        spec: dict[str, Any],
        dropped_hints: dict[str, str],
    ) -> dict[str, Any] | None:
        s2 = _signature(v2obj)
        if s2 is None:
            self.review["keywords_no_v2_signature"].append(name)
            return None
        if isinstance(v1obj, list):  # hand-written positional list (contrib)
            args_v1 = list(v1obj)
            v1_names = list(v1obj)
            v1_defaults: dict[str, Any] = {}
            aliases = [name]
            pairs: dict[str, str] = {}
        else:
            s1 = _signature(v1obj)
            if s1 is None:
                self.review["keywords_no_v1_signature"].append(name)
                return None
            args_v1, v1_names, v1_defaults = s1.positional, s1.names, s1.defaults
            aliases = [name] + [
                a for a in _export_names(v1obj, "_tf_api_names_v1") if a != name
            ]
            pairs = _lookup_pairs(v1obj)
        v2_names = set(s2.names)
        up_renames, up_warnings = self._upgrader_kw(aliases)

        renames: dict[str, str] = {}
        dropped: dict[str, str] = {}
        transforms = {k: dict(v) for k, v in spec.get("transforms", {}).items()}
        for old, t in transforms.items():
            if old not in v1_names or t["to"] not in v2_names:
                raise GenerationError(
                    f"keywords transform {name}.{old} -> {t['to']} does not fit the signatures"
                )
        candidates: dict[str, str | None] = {}
        candidates.update({k: v for k, v in up_renames.items()})
        candidates.update(pairs)
        candidates.update(spec.get("renames", {}))
        for old in v1_names:
            if old in v2_names or old in transforms:
                continue
            new = candidates.get(old)
            if new is not None and new in v2_names:
                renames[old] = new
            elif (
                s2.varkw
                and old not in spec.get("dropped", {})
                and not (old in candidates)
            ):
                continue  # v2 accepts **kwargs; cannot tell
            else:
                hint = (
                    spec.get("dropped", {}).get(old)
                    or dropped_hints.get(f"{name}:{old}")
                    or dropped_hints.get(old)
                    or (
                        re.sub(r"\s+", " ", up_warnings[old])
                        if old in up_warnings
                        else None
                    )
                )
                if hint is None:
                    hint = f"not a parameter of tf.{v2name}; remove it after checking the TF1 value matched TF2 behaviour"
                    self.review["dropped_generic"].append(f"{name}:{old}")
                dropped[old] = hint
        for old, new in spec.get("renames", {}).items():
            if renames.get(old) != new:
                raise GenerationError(
                    f"keywords override {name}: {old}->{new} does not fit the signatures"
                )

        mapped = {
            p: renames.get(p, transforms.get(p, {}).get("to", p)) for p in v1_names
        }
        defaults_changed: dict[str, dict[str, Any]] = {}
        for old, new in mapped.items():
            if old not in v1_defaults or new not in s2.defaults or old in transforms:
                continue
            a, b = _json_default(v1_defaults[old]), _json_default(s2.defaults[new])
            if a is _NOT_JSON or b is _NOT_JSON or a is None or b is None:
                continue
            if type(a) is not type(b) and not (
                isinstance(a, (int, float)) and isinstance(b, (int, float))
            ):
                continue
            if (
                a != b
                or type(a) is not type(b)
                and isinstance(a, bool) != isinstance(b, bool)
            ):
                defaults_changed[new] = {"v1": a, "v2": b}
        supplied = set(mapped.values())
        new_required = sorted(p for p in s2.required if p not in supplied)

        if (
            args_v1 == s2.positional
            and set(v1_names) == v2_names
            and not defaults_changed
            and not transforms
        ):
            return None
        entry: dict[str, Any] = {
            "v2": v2name,
            "args_v1": list(args_v1),
            "args_v2": list(s2.positional),
            "renames": dict(sorted(renames.items())),
        }
        if transforms:
            entry["transforms"] = transforms
        if dropped:
            entry["dropped"] = dict(sorted(dropped.items()))
        if defaults_changed:
            entry["defaults_changed"] = dict(sorted(defaults_changed.items()))
        if new_required:
            entry["new_required"] = new_required
        return entry

    # ------------------------------------------------------------------ notes

    def build_notes(self) -> None:
        for name, spec in self.ov.get("notes", {}).items():
            if name.startswith("_"):
                continue
            if self._covering_key(name) is None:
                raise GenerationError(
                    f"overrides.notes key {name!r} is not covered by the table"
                )
            note = dict(spec)
            note.setdefault("v2", self._default_v2(name))
            if note.get("safety") not in SAFETIES:
                raise GenerationError(
                    f"note {name!r} has bad safety {note.get('safety')!r}"
                )
            if not note.get("note"):
                raise GenerationError(f"note {name!r} is empty")
            if note["v2"] is not None and self.v2_resolve(note["v2"])[0] is None:
                raise GenerationError(
                    f"note {name!r}: v2 {note['v2']!r} does not exist in TF2"
                )
            self.notes[name] = note
        self._keras_default_notes()

    def _covering_key(self, name: str) -> str | None:
        parts = name.split(".")
        for i in range(len(parts), 0, -1):
            key = ".".join(parts[:i])
            if key in self.status:
                return key
        return None

    def _default_v2(self, name: str) -> str | None:
        key = self._covering_key(name)
        assert key is not None
        suffix = name[len(key) :]
        status = self.status[key]
        if status == "same":
            return name
        if status == "renamed":
            return self.renamed[key]["v2"] + suffix
        rep = self.removed[key].get("replacement")
        return (
            rep
            if self.removed[key].get("replacement_kind") == "tf" and not suffix
            else None
        )

    def _keras_default_notes(self) -> None:
        checks = self.ov.get("keras_default_checks", {})
        if not checks:
            return
        k1 = importlib.import_module("tf_keras.api._v1.keras")
        for path, spec in sorted(checks.items()):
            if path.startswith("_"):
                continue
            ok1, old = _resolve(k1, path)
            kind, new = self.v2_resolve("keras." + path)
            if not ok1 or kind is None:
                raise GenerationError(
                    f"keras_default_checks: {path!r} not found in tf_keras v1 and tf.keras"
                )
            s1, s2 = _signature(old), _signature(new)
            if s1 is None or s2 is None:
                raise GenerationError(
                    f"keras_default_checks: no signature for {path!r}"
                )
            diffs = []
            for p, a in s1.defaults.items():
                if p not in s2.defaults:
                    continue
                ja, jb = _json_default(a), _json_default(s2.defaults[p])
                if (
                    ja is _NOT_JSON
                    or jb is _NOT_JSON
                    or ja is None
                    or jb is None
                    or p == "name"
                ):
                    continue
                if ja == jb and type(ja) is type(jb):
                    continue
                diffs.append((p, ja, jb))
            name = "keras." + path
            if not diffs:
                self.review["keras_defaults_unchanged"].append(name)
                continue
            pins = ", ".join(f"{p}={a!r}" for p, a, _ in diffs)
            changes = "; ".join(f"{p}: {a!r} -> {b!r}" for p, a, b in diffs)
            text = f"Defaults changed between TF1 tf.keras and TF 2.21 tf.keras ({changes}); pin {pins} to keep TF1 numerics."
            if spec.get("note"):
                text += " " + spec["note"]
            self.notes[name] = {
                "v2": name,
                "safety": spec.get("safety", "unsafe"),
                "note": text,
                "pin": {p: a for p, a, _ in diffs},
            }

    # ------------------------------------------------------------------ output

    def tables(self) -> tuple[dict[str, Any], dict[str, Any]]:
        every = set(self.status)
        assert every == self.same | set(self.renamed) | set(self.removed)
        symbols = {
            "_generated_by": GENERATED_BY,
            "tensorflow_version": self.tf.__version__,
            "modules": sorted(self.modules),
            "v2_modules": sorted(self.v2_module_names),
            "same": sorted(self.same),
            "renamed": dict(sorted(self.renamed.items())),
            "removed": dict(sorted(self.removed.items())),
            "notes": dict(sorted(self.notes.items())),
        }
        keywords = {
            "_generated_by": GENERATED_BY,
            "tensorflow_version": self.tf.__version__,
            "functions": dict(sorted(self.keywords.items())),
        }
        return symbols, keywords


def _external_exists(path: str) -> bool:
    """Whether a fully-qualified non-TF Python name exists (unknown packages are trusted)."""
    parts = path.split(".")
    try:
        importlib.import_module(parts[0])
    except ImportError:
        return True  # not installed here (tensorflow_addons, tensorflow_probability...)
    for i in range(len(parts), 0, -1):
        try:
            mod = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        ok, _ = _resolve(mod, ".".join(parts[i:])) if parts[i:] else (True, mod)
        return ok
    return False


def load_overrides(path: Path = OVERRIDES_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def build_tables(
    overrides: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Compute (symbols, keywords) from the installed TensorFlow. Imports TensorFlow."""
    gen = _Generator(load_overrides() if overrides is None else overrides)
    gen.classify()
    gen.finish_removed()
    gen.add_hand_written()
    gen.build_keywords()
    gen.build_notes()
    build_tables.last_review = dict(gen.review)  # type: ignore[attr-defined]
    return gen.tables()


def dumps(table: dict[str, Any]) -> str:
    """Compact, sorted JSON with one entry per line inside each top-level value."""
    lines = ["{"]
    keys = sorted(table)
    for i, key in enumerate(keys):
        value = table[key]
        end = "," if i < len(keys) - 1 else ""
        head = json.dumps(key) + ":"
        if isinstance(value, dict) and value:
            items = sorted(value.items())
            lines.append(head + "{")
            for j, (k, v) in enumerate(items):
                sep = "," if j < len(items) - 1 else ""
                lines.append(
                    json.dumps(k, ensure_ascii=False) + ":" + _compact(v) + sep
                )
            lines.append("}" + end)
        elif isinstance(value, list) and value:
            lines.append(head + "[")
            for j, v in enumerate(value):
                sep = "," if j < len(value) - 1 else ""
                lines.append(_compact(v) + sep)
            lines.append("]" + end)
        else:
            lines.append(head + _compact(value) + end)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="fail if the checked-in tables are stale"
    )
    parser.add_argument(
        "--review", action="store_true", help="print lists worth a human look"
    )
    args = parser.parse_args(argv)
    symbols, keywords = build_tables()
    outputs = {SYMBOLS_PATH: dumps(symbols), KEYWORDS_PATH: dumps(keywords)}
    if args.review:
        for key, items in sorted(build_tables.last_review.items()):  # type: ignore[attr-defined]
            print(f"## {key} ({len(items)})")
            for item in sorted(items):
                print("  ", item)
    if args.check:
        stale = [
            p.name
            for p, text in outputs.items()
            if not p.exists() or p.read_text(encoding="utf-8") != text
        ]
        if stale:
            print(
                "stale: "
                + ", ".join(stale)
                + " (run rules/tf1_to_tf2/tables/generate.py)",
                file=sys.stderr,
            )
            return 1
        return 0
    for path, text in outputs.items():
        path.write_text(text, encoding="utf-8")
    print(
        f"same={len(symbols['same'])} renamed={len(symbols['renamed'])} removed={len(symbols['removed'])} "
        f"modules={len(symbols['modules'])} notes={len(symbols['notes'])} keywords={len(keywords['functions'])}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
