"""PT1021: tf.data.Dataset.from_tensor_slices(...).shuffle().batch() -> TensorDataset + DataLoader."""

from __future__ import annotations

from typing import Any

import libcst as cst

from migrate.result import Category, Safety
from migrate.rule import Invalid, Valid
from rules.tf2_to_torch._common import (
    HELPERS,
    NOT_LITERAL,
    TorchRule,
    code_of,
    expr,
    keyword_args,
    literal,
    need_helper,
    torch_code,
)

_FROM = "tensorflow.data.Dataset.from_tensor_slices"

HELPERS.setdefault(
    "MappedDataset",
    '''class MappedDataset(torch.utils.data.Dataset):
    """tf.data's map(): applies `fn` to each element (a tuple element is passed as arguments)."""

    def __init__(self, dataset, fn):
        self.dataset, self.fn = dataset, fn

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, i):
        item = self.dataset[i]
        return self.fn(*item) if isinstance(item, tuple) else self.fn(item)
''',
)

_PARAMS = {
    "shuffle": ["buffer_size", "seed", "reshuffle_each_iteration", "name"],
    "batch": ["batch_size", "drop_remainder", "num_parallel_calls", "deterministic", "name"],
    "map": ["map_func", "num_parallel_calls", "deterministic", "name"],
    "repeat": ["count", "name"],
    "prefetch": ["buffer_size", "name"],
    "cache": ["filename", "name"],
}
_OTHERS = {
    "take": "itertools.islice over the DataLoader, or torch.utils.data.Subset(dataset, range(n))",
    "skip": "torch.utils.data.Subset(dataset, range(n, len(dataset)))",
    "filter": "filter the tensors with a boolean mask before building the TensorDataset",
    "zip": "a TensorDataset over the tensors of both datasets",
    "concatenate": "torch.utils.data.ConcatDataset([a, b])",
    "padded_batch": "DataLoader(collate_fn=lambda b: torch.nn.utils.rnn.pad_sequence(b, batch_first=True))",
    "unbatch": "iterate the rows of each batch",
    "interleave": "a custom IterableDataset",
    "flat_map": "a custom IterableDataset",
    "window": "Tensor.unfold over the time axis",
    "enumerate": "enumerate() over the DataLoader",
    "apply": "apply the transformation to the DataLoader by hand",
    "with_options": "DataLoader arguments (num_workers, pin_memory)",
    "as_numpy_iterator": "iterate the DataLoader and call .numpy() on the tensors",
}
_METHODS = set(_PARAMS) | set(_OTHERS)


class _Problem(Exception):
    pass


class TfData(TorchRule):
    """Turns `tf.data.Dataset.from_tensor_slices(...)` pipelines into `torch.utils.data`.

    What it does: `tf.data.Dataset.from_tensor_slices((x, y)).shuffle(1000).batch(32)
    .prefetch(tf.data.AUTOTUNE)` becomes `DataLoader(TensorDataset(torch.as_tensor(x),
    torch.as_tensor(y)), batch_size=32, shuffle=True)`. `map(fn)` before `batch` wraps
    the dataset in a small `MappedDataset` helper written into the file (fn gets each
    element, a tuple element as arguments, as in tf.data); `repeat(n)` before `batch`
    becomes `ConcatDataset([ds] * n)`; `batch(drop_remainder=True)` becomes
    `drop_last=True`; `shuffle(seed=s)` passes `generator=torch.Generator().manual_seed(s)`;
    `prefetch` and `cache` are dropped (the DataLoader loads in the loop; use
    `num_workers`/`pin_memory` for speed). A pipeline continued on a name
    (`ds = ds.shuffle(100).batch(8)` after `ds = tf.data.Dataset.from_tensor_slices(...)`)
    is converted too. A single array gives `torch.as_tensor(x)` as the dataset (a tensor
    is indexable), so batches are tensors as in tf.data.

    Why: tf.data does not exist in PyTorch; TensorDataset + DataLoader is the equivalent
    for in-memory arrays. Dtypes are kept (`torch.as_tensor`), like from_tensor_slices.

    Fix safety: unsafe when the pipeline shuffles: torch draws another order, and shuffles
    the whole dataset where tf.data shuffles within `buffer_size` elements (the same
    samples per epoch either way); safe otherwise. `repeat()` without a count, `map` after
    `batch`, dictionaries of features and the other Dataset methods (`take`, `filter`,
    `zip`, `padded_batch`, ...) are reported with the torch replacement named.
    """

    ID = "PT1021"
    NAME = "tf-data-pipeline"
    MESSAGE = "tf.data pipeline becomes TensorDataset + DataLoader"
    SAFETY = Safety.SAFE
    CATEGORY = Category.MANDATORY
    EFFORT = "trivial"

    VALID = [Valid("from torch.utils.data import DataLoader\nloader = DataLoader(ds, batch_size=8)\n")]
    INVALID = [
        Invalid(
            "import tensorflow as tf\nds = tf.data.Dataset.from_tensor_slices((x, y)).batch(8).prefetch(tf.data.AUTOTUNE)\n",
            "import torch\nfrom torch.utils.data import DataLoader, TensorDataset\n\nds = DataLoader(TensorDataset(torch.as_tensor(x), torch.as_tensor(y)), batch_size=8)\n",
        ),
        Invalid(
            "import tensorflow as tf\nds = tf.data.Dataset.from_tensor_slices(x)\nds = ds.shuffle(64, seed=1).batch(4, drop_remainder=True)\n",
            "import torch\nfrom torch.utils.data import DataLoader\n\nds = torch.as_tensor(x)\nds = DataLoader(ds, batch_size=4, shuffle=True, drop_last=True, generator=torch.Generator().manual_seed(1))\n",
            message="order",
        ),
        Invalid(
            "import tensorflow as tf\nds = tf.data.Dataset.from_tensor_slices((x, y)).batch(8).take(2)\n",
            None,
            message="Subset",
        ),
    ]

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._datasets: set[str] = set()  # names holding a converted, unbatched dataset
        self._inner: set[int] = set()  # chain calls that are the receiver of another chain call

    def visit_Call(self, node: cst.Call) -> None:
        f = node.func
        if isinstance(f, cst.Attribute) and f.attr.value in _METHODS and isinstance(f.value, cst.Call):
            self._inner.add(id(f.value))

    def _chain(self, node: cst.Call) -> tuple[cst.BaseExpression, list[tuple[str, cst.Call]]] | None:
        steps: list[tuple[str, cst.Call]] = []
        cur: cst.BaseExpression = node
        while isinstance(cur, cst.Call) and isinstance(cur.func, cst.Attribute) and cur.func.attr.value in _METHODS:
            steps.append((cur.func.attr.value, cur))
            cur = cur.func.value
        steps.reverse()
        if isinstance(cur, cst.Call) and self.qname(cur.func) == _FROM:
            return cur, steps
        if isinstance(cur, cst.Name) and cur.value in self._datasets and steps:
            return cur, steps
        return None

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if id(original_node) in self._inner or "data" not in self.ctx.source_text:
            return updated_node
        chain = self._chain(original_node)
        if chain is None:
            return updated_node
        root, steps = chain
        target = self._assigned_name(original_node)
        if target and target in self.ctx.state.get("tf2_to_torch_keras_inputs", ()):
            self._supersede_chain(original_node)
            self.flag(original_node, f"tf.data pipeline `{target}` feeds a Keras fit/evaluate that stays in Keras: convert them together (TensorDataset + DataLoader, and an explicit loop over it)")
            return updated_node
        ochain = (root, steps)
        uchain = self._chain_updated(updated_node, len(steps))
        try:
            code, notes, shuffled, batched = self._build(ochain, uchain)
        except _Problem as e:
            self.flag(original_node, f"tf.data pipeline not rewritten: {e}")
            return updated_node
        new = expr(torch_code(self, code))
        if "DataLoader(" in code:
            self.add_import("torch.utils.data", "DataLoader")
        if "TensorDataset(" in code:
            self.add_import("torch.utils.data", "TensorDataset")
        if "ConcatDataset(" in code:
            self.add_import("torch.utils.data", "ConcatDataset")
        if "MappedDataset(" in code:
            need_helper(self, "MappedDataset")
        message = f"tf.data pipeline becomes {code.split('(')[0]}" + "".join(f"; {n}" for n in notes)
        self._supersede_chain(original_node)
        out = self.convert(original_node, updated_node, new, message=message, safety=Safety.UNSAFE if shuffled else Safety.SAFE)
        if out is new and not batched:
            target = self._assigned_name(original_node)
            if target:
                self._datasets.add(target)
        return out  # type: ignore[no-any-return]

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name) and isinstance(node.value, cst.Call):
            self._pending = (id(node.value), node.targets[0].target.value)

    def _assigned_name(self, call: cst.Call) -> str | None:
        pending = getattr(self, "_pending", None)
        if pending and pending[0] == id(call):
            return pending[1]  # type: ignore[no-any-return]
        return None

    def _chain_updated(self, node: cst.Call, n: int) -> tuple[cst.BaseExpression, list[cst.Call]]:
        calls: list[cst.Call] = []
        cur: cst.BaseExpression = node
        for _ in range(n):
            assert isinstance(cur, cst.Call) and isinstance(cur.func, cst.Attribute)
            calls.append(cur)
            cur = cur.func.value
        calls.reverse()
        return cur, calls

    def _supersede_chain(self, node: cst.Call) -> None:
        cur: cst.BaseExpression = node
        while isinstance(cur, cst.Call) and isinstance(cur.func, cst.Attribute) and cur.func.attr.value in _METHODS:
            self.supersede(cur)
            if cur.func.attr.value in ("prefetch", "cache"):
                self.supersede_tree(cur)
            cur = cur.func.value
        if isinstance(cur, cst.Call):
            self.supersede(cur)

    def _build(self, ochain: tuple[cst.BaseExpression, list[tuple[str, cst.Call]]], uchain: tuple[cst.BaseExpression, list[cst.Call]]) -> tuple[str, list[str], bool, bool]:
        root, steps = ochain
        uroot, ucalls = uchain
        notes: list[str] = []
        if isinstance(root, cst.Call):
            assert isinstance(uroot, cst.Call)
            if len(uroot.args) != 1 or uroot.args[0].keyword not in (None,) and uroot.args[0].keyword.value != "tensors":  # type: ignore[union-attr]
                raise _Problem("from_tensor_slices with other arguments")
            value = uroot.args[0].value
            if isinstance(value, cst.Dict):
                raise _Problem("a dictionary of features: use a TensorDataset over the tensors in a fixed order (or a custom Dataset returning dicts)")
            if isinstance(value, cst.Tuple):
                base = "TensorDataset(" + ", ".join(f"torch.as_tensor({code_of(e.value)})" for e in value.elements) + ")"
            else:
                base = f"torch.as_tensor({code_of(value)})"
                notes.append("a single array: the tensor itself is the dataset")
        else:
            base = code_of(root)
        shuffle: dict[str, cst.Arg] | None = None
        loader: dict[str, str] = {}
        batched = False
        for (method, ocall), ucall in zip(steps, ucalls):
            if method in _OTHERS:
                raise _Problem(f".{method}() has no DataLoader counterpart: use {_OTHERS[method]}")
            args = keyword_args(ucall, _PARAMS[method])
            oargs = keyword_args(ocall, _PARAMS[method])
            if args is None or oargs is None:
                raise _Problem(f".{method}(*args/**kwargs)")
            if method in ("prefetch", "cache"):
                if method == "cache" and "filename" in oargs and literal(oargs["filename"].value) not in ("", None):
                    raise _Problem(".cache(filename): save the tensors with torch.save")
                notes.append(f".{method}() dropped (DataLoader num_workers/pin_memory do the loading)")
                continue
            if batched:
                raise _Problem(f".{method}() after .batch(): apply it to each batch in the loop (or before batching)")
            if method == "map":
                if "map_func" not in args:
                    raise _Problem(".map without a function")
                base = f"MappedDataset({base}, {code_of(args['map_func'].value)})"
            elif method == "shuffle":
                if shuffle is not None:
                    raise _Problem("shuffled twice")
                shuffle = oargs
                if literal(oargs.get("reshuffle_each_iteration", cst.Arg(cst.Name("True"))).value) is False:
                    raise _Problem("shuffle(reshuffle_each_iteration=False): permute the tensors once with torch.randperm instead")
                if "seed" in args:
                    loader["generator"] = f"torch.Generator().manual_seed({code_of(args['seed'].value)})"
                notes.append("the DataLoader shuffles the whole dataset in another order than tf.data's buffer_size window: same samples per epoch, different batches")
            elif method == "repeat":
                count = literal(oargs["count"].value) if "count" in oargs else None
                if count is None or count is NOT_LITERAL or count == -1:
                    if "count" in args and count is NOT_LITERAL:
                        base = f"ConcatDataset([{base}] * {code_of(args['count'].value)})"
                        continue
                    raise _Problem(".repeat() forever: loop over the DataLoader once per epoch instead")
                if shuffle is not None:
                    raise _Problem(".shuffle().repeat(n): tf.data reshuffles each repetition; loop n epochs over a shuffling DataLoader instead")
                base = f"ConcatDataset([{base}] * {count})"
            elif method == "batch":
                if "batch_size" not in args:
                    raise _Problem(".batch without batch_size")
                loader = {"batch_size": code_of(args["batch_size"].value), **({"shuffle": "True"} if shuffle is not None else {}), **loader}
                if "drop_remainder" in oargs:
                    dr = literal(oargs["drop_remainder"].value)
                    if dr is NOT_LITERAL:
                        loader["drop_last"] = code_of(args["drop_remainder"].value)
                    elif dr:
                        loader["drop_last"] = "True"
                batched = True
        if not batched and shuffle is not None:
            loader = {"batch_size": "None", "shuffle": "True", **loader}
            batched = True
        if batched:
            order = ["batch_size", "shuffle", "drop_last", "generator"]
            kw = ", ".join(f"{k}={loader[k]}" for k in order if k in loader)
            return f"DataLoader({base}, {kw})", notes, shuffle is not None, True
        return base, notes, False, False
