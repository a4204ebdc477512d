"""Convert a TF1 (name-based, ``tf.train.Saver``) checkpoint into a TF2 object-based one
(``migrate convert-checkpoint``), so that trained weights survive the TF1 -> TF2 migration.

The old side is every variable of the TF1 checkpoint (``tf.train.load_checkpoint``). The new
side is either

* ``target``: a factory ``file.py:build_fn`` (IMPORTED AND RUN) returning the migrated
  objects: a ``tf.train.Checkpoint``, a dict ``{name: trackable}`` (saved as
  ``tf.train.Checkpoint(**dict)``) or one trackable such as a Keras model or a
  ``tf.Module`` (saved as ``tf.train.Checkpoint(obj)``, its own attributes at the root).
  Its variables are listed with their object paths (``model/dense/kernel``); each gets the
  value of one TF1 variable, paired through the name map, else by name: the TF1 name equals
  the object path, the variable's own name (``tf.Variable(name=...)``, a Keras variable's
  ``path``), or, when exactly one TF1 variable ends so, a trailing part of them. Shapes
  must agree (a mismatch is an error, never silently skipped). The objects are saved with
  ``Checkpoint.write``.
* no target: the object paths are the values of the name map (``{"old/name":
  "new/path"}``), and TF1 variables the map does not name keep their TF1 name as path
  (optimizer slots, ``beta1_power`` and friends are left out unless mapped). The
  checkpoint is written from plain trackable objects with these attribute paths; the
  migrated objects restore from it by path (``tf.train.Checkpoint(model=model).restore``).

Unmatched names are reported on both sides: TF1 variables no new variable took (optimizer
state is listed apart: TF1 and Keras optimizer slots differ, a converted checkpoint restarts
the optimizer state), and new variables no TF1 variable fills (they keep their initial
value; ``strict`` makes that an error).
"""

from __future__ import annotations

import json
import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["CheckpointConversion", "ConversionError", "convert_checkpoint", "load_name_map"]

# TF1 optimizer state and bookkeeping (not model weights)
OPTIMIZER_STATE = re.compile(
    r"(/(Adam|Momentum|RMSProp|Adagrad|Adadelta|Ftrl|ProximalAdagrad)(_\d+)?$|^beta[12]_power(_\d+)?$|"
    r"/(ExponentialMovingAverage)$|^_CHECKPOINTABLE_OBJECT_GRAPH$)"
)


class ConversionError(ValueError):
    """The checkpoint cannot be converted as asked (bad map, shape mismatch, strict misses)."""


@dataclass
class CheckpointConversion:
    out: str  # the prefix written
    pairs: list[tuple[str, str, tuple[int, ...], str]] = field(default_factory=list)  # old, new, shape, how
    unmatched_old: list[str] = field(default_factory=list)  # model variables nobody took
    optimizer_state: list[str] = field(default_factory=list)  # TF1 slots left out
    unmatched_new: list[str] = field(default_factory=list)  # new variables left at their initial value
    rnn_cells: list[str] = field(default_factory=list)  # TF1 RNN cells put into the Keras layout (rnn_weights.py)

    def to_dict(self) -> dict[str, Any]:
        return {
            "out": self.out,
            "pairs": [{"old": o, "new": n, "shape": list(s), "how": h} for o, n, s, h in self.pairs],
            "unmatched_old": self.unmatched_old,
            "optimizer_state": self.optimizer_state,
            "unmatched_new": self.unmatched_new,
            "rnn_cells": self.rnn_cells,
        }

    def summary(self) -> str:
        lines = [f"TF1 RNN cell in the Keras layout: {c}" for c in self.rnn_cells]
        lines += [f"{o} -> {n} {list(s)} ({h})" for o, n, s, h in self.pairs]
        if self.unmatched_old:
            lines.append("TF1 variables not converted: " + ", ".join(self.unmatched_old))
        if self.optimizer_state:
            lines.append(f"TF1 optimizer state left out ({len(self.optimizer_state)} slots; the new optimizer starts afresh): "
                         + ", ".join(self.optimizer_state))
        if self.unmatched_new:
            lines.append("new variables without a TF1 value (they keep their initial value): " + ", ".join(self.unmatched_new))
        lines.append(f"wrote {len(self.pairs)} variables to {self.out}")
        return "\n".join(lines)


def load_name_map(path: str | Path | None) -> dict[str, str]:
    """``{"old/tf1/name": "new/object/path"}`` from a JSON file (``:0`` suffixes allowed)."""
    if path is None:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ConversionError(f"cannot read the name map {path}: {e}") from e
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise ConversionError(f"the name map {path} must be a JSON object of strings {{\"old/name\": \"new/path\"}}")
    return {_bare(k): _bare(v).strip("/") for k, v in data.items()}


def _bare(name: str) -> str:
    return re.sub(r":\d+$", "", name)


def _tf() -> Any:
    from .adapters import setup_tf

    return setup_tf()


def tf1_prefix(src: str) -> str:
    """The checkpoint prefix `src` names (a directory: its latest checkpoint)."""
    if Path(src).is_dir():
        latest = _tf().train.latest_checkpoint(src)
        if latest is None:
            raise ConversionError(f"{src} holds no checkpoint (no `checkpoint` state file)")
        return str(latest)
    return src


def read_tf1(src: str) -> dict[str, np.ndarray]:
    """Every variable of a TF1 checkpoint (a directory with a ``checkpoint`` file, or a prefix)."""
    tf = _tf()
    prefix = tf1_prefix(src)
    try:
        reader = tf.train.load_checkpoint(prefix)
    except Exception as e:  # noqa: BLE001 - TF raises several kinds
        raise ConversionError(f"cannot read the TF1 checkpoint {src}: {e}") from e
    names = reader.get_variable_to_shape_map()
    if any(n.endswith("/.ATTRIBUTES/VARIABLE_VALUE") for n in names):
        raise ConversionError(f"{src} is already an object-based (TF2) checkpoint")
    return {n: np.asarray(reader.get_tensor(n)) for n in sorted(names) if n != "_CHECKPOINTABLE_OBJECT_GRAPH"}


def _root_of(obj: Any) -> Any:
    tf = _tf()
    if isinstance(obj, tf.train.Checkpoint):
        return obj
    if isinstance(obj, dict):
        return tf.train.Checkpoint(**obj)
    return tf.train.Checkpoint(obj)


def list_variables(root: Any) -> list[tuple[str, Any]]:
    """(object path, variable) of every variable reachable from ``root``, breadth first (the
    path a checkpoint records for an object reachable in several ways)."""
    tf = _tf()
    view = tf.train.TrackableView(root)
    out: list[tuple[str, Any]] = []
    seen = {id(root)}
    queue: deque[tuple[Any, str]] = deque([(root, "")])
    while queue:
        obj, path = queue.popleft()
        for name, child in view.children(obj).items():
            if id(child) in seen:
                continue
            seen.add(id(child))
            p = f"{path}/{name}" if path else name
            if _is_variable(child):
                out.append((p, child))
            else:
                queue.append((child, p))
    return out


def _is_variable(obj: Any) -> bool:
    return hasattr(obj, "assign") and hasattr(obj, "shape") and hasattr(obj, "dtype") and not hasattr(obj, "apply_gradients")


def _own_names(path: str, var: Any) -> list[str]:
    names = [path]
    for attr in ("path", "name"):
        v = getattr(var, attr, None)
        if isinstance(v, str) and v:
            names.append(_bare(v))
    return list(dict.fromkeys(names))


def _shape(a: Any) -> tuple[int, ...]:
    return tuple(int(d) for d in a.shape)


def _suffix_match(names: list[str], pool: list[str]) -> str | None:
    """The one TF1 name in ``pool`` that ends with the trailing part of a new name (longest
    trailing part first; ``None`` when none or several)."""
    for name in names:
        parts = name.split("/")
        for k in range(len(parts), 0, -1):
            tail = "/".join(parts[-k:])
            hits = [o for o in pool if o == tail or o.endswith("/" + tail)]
            if len(hits) == 1:
                return hits[0]
            if len(hits) > 1:
                break  # ambiguous at this length: a longer tail did not decide either
    return None


def convert_checkpoint(src: str, out: str, target: Any = None, name_map: dict[str, str] | str | Path | None = None,
                       strict: bool = False, lstm_forget_bias: float = 1.0) -> CheckpointConversion:
    """Read the TF1 checkpoint ``src``, write a TF2 object-based checkpoint at prefix ``out``.

    ``out`` ending with ``/`` (or an existing directory) is a directory: the checkpoint is
    written there under the TF1 prefix's file name (``model.ckpt-20``) and the directory's
    ``checkpoint`` state file names it, so ``tf.train.latest_checkpoint(out)`` finds it as
    it found the TF1 one.

    TF1 LSTM/GRU cells (``<scope>/basic_lstm_cell/kernel`` ...) not named by the map are first
    put into the layout of the Keras layers TF2120 writes instead, under their Keras paths
    (``<scope>/lstm_cell/kernel``, ``recurrent_kernel``, ``bias``): see rnn_weights.py;
    ``lstm_forget_bias`` is the cells' run-time forget bias (TF1's default 1.0), folded into
    the bias."""
    tf = _tf()
    into_dir = out.endswith(("/", "\\")) or Path(out).is_dir()
    if into_dir:
        out = str(Path(out) / Path(tf1_prefix(src)).name)
    names = name_map if isinstance(name_map, dict) else load_name_map(name_map)
    old = read_tf1(src)
    from .rnn_weights import keras_layout

    old, rnn_cells = keras_layout(old, lstm_forget_bias, keep=set(names))
    missing = sorted(k for k in names if k not in old)
    if missing:
        raise ConversionError("the name map names TF1 variables the checkpoint does not hold: " + ", ".join(missing))
    result = CheckpointConversion(out=out, rnn_cells=rnn_cells)
    taken: set[str] = set()
    if target is not None:
        if isinstance(target, str):
            from .loader import load_factory

            target = load_factory(target)()
        root = _root_of(target)
        by_new = {v: k for k, v in names.items()}
        new_vars = list_variables(root)
        pool = [n for n in old if not OPTIMIZER_STATE.search(n)]
        for path, var in new_vars:
            own = _own_names(path, var)
            how, src_name = "", None
            for n in own:
                if n in by_new:
                    how, src_name = "map", by_new[n]
                    break
            if src_name is None:
                free = [o for o in pool if o not in taken and o not in names]
                exact = [n for n in own if n in free]
                if exact:
                    how, src_name = "name", exact[0]
                else:
                    src_name = _suffix_match(own, free)
                    how = "name suffix" if src_name else ""
            if src_name is None:
                result.unmatched_new.append(path)
                continue
            value = old[src_name]
            if _shape(value) != _shape(var):
                raise ConversionError(f"shape mismatch: TF1 {src_name} {list(_shape(value))} vs new {path} {list(_shape(var))} (paired by {how})")
            var.assign(value.astype(np.dtype(var.dtype.name if hasattr(var.dtype, "name") else var.dtype)))
            taken.add(src_name)
            result.pairs.append((src_name, path, _shape(value), how))
        unmapped = [n for n, p in names.items() if n not in taken]
        if unmapped:
            raise ConversionError("the name map pairs TF1 variables with paths the target does not have: "
                                  + ", ".join(f"{n} -> {names[n]}" for n in unmapped)
                                  + "; its variables are: " + ", ".join(p for p, _ in new_vars))
        to_write = root
    else:
        to_write = tf.train.Checkpoint()
        nodes: dict[str, Any] = {"": to_write}
        made: set[str] = set()
        for name in old:
            if name in names:
                path, how = names[name], "map"
            elif OPTIMIZER_STATE.search(name):
                continue
            else:
                path, how = name, "name"
            if path in made:
                raise ConversionError(f"two TF1 variables go to the same path {path}")
            made.add(path)
            parent = ""
            parts = path.split("/")
            for part in parts[:-1]:
                key = f"{parent}/{part}" if parent else part
                if key not in nodes:
                    child = tf.Module()
                    setattr(nodes[parent], part, child)
                    nodes[key] = child
                parent = key
            if isinstance(nodes.get(path), tf.Module):
                raise ConversionError(f"path {path} is both a variable and an object holding others")
            var = tf.Variable(old[name], name=parts[-1])
            setattr(nodes[parent], parts[-1], var)
            nodes[path] = var
            taken.add(name)
            result.pairs.append((name, path, _shape(old[name]), how))
    for name in old:
        if name in taken:
            continue
        (result.optimizer_state if OPTIMIZER_STATE.search(name) else result.unmatched_old).append(name)
    if strict and (result.unmatched_old or result.unmatched_new):
        raise ConversionError("unmatched variables (strict):\n" + result.summary())
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    # written like Checkpoint.save would (with its save counter), so that a restore's
    # assert_existing_objects_matched() holds
    _ = to_write.save_counter
    result.out = to_write.write(out)
    if into_dir:
        directory = str(Path(out).parent)
        state = tf.train.get_checkpoint_state(directory)
        kept = [p for p in (state.all_model_checkpoint_paths if state else []) if p != result.out]
        tf.compat.v1.train.update_checkpoint_state(directory, result.out, all_model_checkpoint_paths=[*kept, result.out])
    return result
