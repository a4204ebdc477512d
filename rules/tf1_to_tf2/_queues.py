"""TF2120: queue-runner input pipelines of TF1 Session code -> tf.data.

Not a rule module. Called by ``Analysis.run`` (rules/tf1_to_tf2/_graph.py) before the
input functions are found. A module-level input function of the recognised shape

    def read_batch(filename, batch_size):
        filename_queue = tf.train.string_input_producer([filename], shuffle=False)
        reader = tf.TextLineReader()
        _, value = reader.read(filename_queue)
        record_defaults = [[0.0], [0.0], [0.0], [0]]
        c1, c2, c3, label = tf.decode_csv(value, record_defaults=record_defaults)
        features = tf.stack([c1, c2, c3])
        return tf.train.batch([features, label], batch_size=batch_size, num_threads=1)

becomes a tf.data pipeline whose iterator it returns (what the input functions of
``Analysis.find_input_fns`` return after their rewrite, so its calls `x, y =
read_batch(...)` bind the iterator and each converted run draws one batch with
`get_next()`, as each TF1 run dequeued one batch):

    def read_batch(filename, batch_size):
        record_defaults = [[0.0], [0.0], [0.0], [0]]

        def parse_line(value):
            c1, c2, c3, label = tf.io.decode_csv(value, record_defaults=record_defaults)
            features = tf.stack([c1, c2, c3])
            return features, label

        dataset = tf.data.TextLineDataset([filename])
        dataset = dataset.repeat()
        dataset = dataset.map(parse_line)
        dataset = dataset.batch(batch_size)
        return iter(dataset)

Why it is the same stream: with `shuffle=False` the filename queue holds the files in the
given order, repeated for ever (`num_epochs=None`); the reader reads their lines in
order; `tf.train.batch` with ONE enqueuing thread (`num_threads=1`, its default) puts the
per-record tensors into a FIFO queue in that order and each run dequeues the next
`batch_size` of them. `TextLineDataset(files).repeat().map(f).batch(n)` (map without
parallel calls) is that sequence. The per-record statements (those that read the record
or call TensorFlow) move into the map function; the Python values they use stay before it.

In the Session code, `coord = tf.train.Coordinator()`, `threads =
tf.train.start_queue_runners(sess=sess, coord=coord)`, `if coord.should_stop(): break`
(nothing requests a stop: errors of an eager pipeline are raised where it is read),
`coord.request_stop()` and `coord.join(threads)` go, and a `try:` whose `finally:` held
only those calls is opened. `sess.run(tf.local_variables_initializer())` goes too (also in a
list with the global initializer): the only
local variable of the pipeline is the epoch counter of `num_epochs`, which tf.data keeps
itself (refused when anything else in the file could make local variables).

`a, b = tf.train.slice_input_producer([xs, ys], shuffle=False)` (no reader: the record is
the slices) becomes `tf.data.Dataset.from_tensor_slices((xs, ys))`, the per-record code a
map function of `a, b` (no map when the slices are batched as they are).
A reading helper called right after the producer (`image, label =
read_and_decode(filename_queue)`, a module-level function called nowhere else, whose body
is the reader, the read and the per-record code ending in `return image, label`) becomes
the map function itself: `def read_and_decode(serialized_example):` without the reader and
the read, and `dataset.map(read_and_decode)` (`image.set_shape([n])` statements stay: a
static shape, the same in the map function).
`tf.TFRecordReader()` reads `tf.data.TFRecordDataset(files)` the same way (one record per
TFRecord, e.g. parsed with `tf.io.parse_single_example` in the per-record code).
`num_epochs=n` of the producer becomes `repeat(n)` and the batch `drop_remainder=True`
unless `allow_smaller_final_batch=True` (TF1 dropped the last incomplete batch); the end
of the stream raises `tf.errors.OutOfRangeError` from `get_next()` as the dequeue did, so
`except tf.errors.OutOfRangeError:` keeps its meaning; `while not coord.should_stop():`
becomes `while True:` and a `finally:` that only stopped the coordinator goes.

Refused, with the reason and the tf.data recipe: `tf.train.shuffle_batch` (a
RandomShuffleQueue draws with TF1's op-level seed: `dataset.shuffle` gives another order),
`shuffle=True` (the default) of the producer, several enqueuing threads (the order
between them is not determined), other readers and producers, reader arguments
(`skip_header_lines`, `options`), `enqueue_many`/`shapes`/`dynamic_pad`, per-record random
ops or variables, Python control flow in the record code, a pipeline not built by such a
module-level input function, and any other use of the coordinator or of its threads.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from rules.tf1_to_tf2._common import code, tf_root

BUILTINS = set(dir(builtins))

if TYPE_CHECKING:
    from rules.tf1_to_tf2._graph import Analysis

QUEUE_NAMES = ("train.start_queue_runners", "train.Coordinator", "train.QueueRunner",
               "train.string_input_producer", "train.input_producer", "train.batch",
               "train.shuffle_batch", "train.slice_input_producer", "TextLineReader",
               "TFRecordReader", "WholeFileReader", "FIFOQueue", "RandomShuffleQueue",
               "train.queue_runner", "train.add_queue_runner", "train.batch_join",
               "train.shuffle_batch_join", "train.maybe_batch", "train.maybe_shuffle_batch",
               "FixedLengthRecordReader", "IdentityReader", "ReaderBase", "queue", "io.FIFOQueue",
               "io.RandomShuffleQueue", "train.range_input_producer")
# producer -> its parameters (the first: what it produces from)
PRODUCERS = {
    "train.string_input_producer": ["string_tensor", "num_epochs", "shuffle", "seed", "capacity", "shared_name", "name",
                                    "cancel_op"],
    "train.slice_input_producer": ["tensor_list", "num_epochs", "shuffle", "seed", "capacity", "shared_name", "name"],
}
SLICES = "train.slice_input_producer"
BATCH = "train.batch"
BATCH_PARAMS = ["tensors", "batch_size", "num_threads", "capacity", "enqueue_many", "shapes", "dynamic_pad",
                "allow_smaller_final_batch", "shared_name", "name"]
# reader -> the tf.data dataset of its records (one line / one TFRecord each)
READERS = {"TextLineReader": "TextLineDataset", "TFRecordReader": "TFRecordDataset"}
# Names other than queues that make local variables (a dropped local_variables_initializer
# run would skip their initialisation)
INITS = ("global_variables_initializer", "initialize_all_variables", "local_variables_initializer")
LOCAL_MAKERS = ("metrics", "get_local_variable", "GraphKeys", "local_variables", "contrib", "train.input_producer",
                "train.limit_epochs")


class _Refused(Exception):
    def __init__(self, node: cst.CSTNode, why: str) -> None:
        super().__init__(why)
        self.node = node
        self.why = why


@dataclass
class QueueFn:
    fn: cst.FunctionDef
    pre: list[cst.BaseStatement]  # statements before the producer (stay)
    producer: cst.SimpleStatementLine
    hoisted: list[cst.BaseStatement]  # Python values the record code uses (before the map function)
    record: list[cst.BaseStatement]  # per-record statements (the map function's body)
    value: list[str]  # the record's names (the map function's parameters)
    outputs: list[set[str]]  # the names each batched tensor uses
    dataset_cls: str = "TextLineDataset"
    epochs: bool = False  # num_epochs given (not None): repeat(num_epochs), the stream ends
    smaller: bool = False  # allow_smaller_final_batch=True
    params: list[str] = field(default_factory=list)  # the producer's parameters
    batch_line: cst.BaseStatement | None = None  # `return tf.train.batch(...)` or `a, b = tf.train.batch(...)`
    helper: cst.FunctionDef | None = None  # the module function that reads and decodes one record (the map function)
    parse: str = ""
    dataset: str = ""
    dropped: list[cst.CSTNode] = field(default_factory=list)


def is_queue(r: str) -> bool:
    return any(r == q or r.startswith(q + ".") for q in QUEUE_NAMES)


def convert(an: Analysis, refs: list[tuple[cst.CSTNode, str]]) -> None:
    """Plan the conversion of the file's queue pipeline; Unsupported (with the tf.data recipe)
    when it is not of the recognised shape. Nothing happens in a file without queue names."""
    from rules.tf1_to_tf2._graph import Unsupported

    queue_refs = [(n, r) for n, r in refs if is_queue(r)]
    if not queue_refs:
        return
    try:
        _convert(an, refs, queue_refs)
    except _Refused as r:
        raise Unsupported(r.node, f"queue-runner input pipeline not converted: {r.why}; {an.queue_recipe(refs)}; "
                                  "the file keeps tf.compat.v1 and its Session") from None


def _convert(an: Analysis, refs: list[tuple[cst.CSTNode, str]], queue_refs: list[tuple[cst.CSTNode, str]]) -> None:
    from rules.tf1_to_tf2._graph import walk

    for node, r in queue_refs:
        if r == "train.shuffle_batch":
            raise _Refused(node, "`tf.train.shuffle_batch` dequeues from a RandomShuffleQueue seeded by TF1's op-level "
                                 "seed: `dataset.shuffle(min_after_dequeue)` gives the examples in another order, so "
                                 "every batch would differ")
    covered: set[int] = set()
    fns: list[QueueFn] = []
    readers: list[tuple[cst.FunctionDef, list[tuple[cst.CSTNode, str]]]] = []
    for fn in an.module.body:
        if not isinstance(fn, cst.FunctionDef) or fn.name.value in an.models:
            continue
        ids = {id(m) for m in walk(fn)}
        inside = [(n, r) for n, r in queue_refs if id(n) in ids]
        if not inside or {r for _, r in inside} <= {"train.Coordinator", "train.start_queue_runners"}:
            continue
        if not any(r.endswith("_producer") for _, r in inside):
            readers.append((fn, inside))  # the reading helper of an input function (checked below)
            continue
        qf = _match(an, fn, inside)
        fns.append(qf)
        covered |= {id(n) for n, _ in inside}
    for fn, inside in readers:
        if any(qf.helper is fn for qf in fns):
            covered |= {id(n) for n, _ in inside}
            an.allowed_refs |= {id(n) for n, _ in inside}
    coord_refs = [(n, r) for n, r in queue_refs if id(n) not in covered]
    for node, r in coord_refs:
        if r not in ("train.Coordinator", "train.start_queue_runners"):
            raise _Refused(node, f"`tf.{r}` outside a module-level input function of the recognised shape "
                                 "(producer, TextLineReader, read, per-record code, `return tf.train.batch(...)`)")
    if not fns:
        raise _Refused(queue_refs[0][0], "no input function builds the queue pipeline")
    _session_side(an, coord_refs)
    _local_initializers(an, refs)
    for qf in fns:
        uses = [n for n in walk(an.module) if isinstance(n, cst.Name) and n.value == qf.fn.name.value and n is not qf.fn.name]
        if not uses or not all(an.input_fn_site(n) for n in uses):
            raise _Refused(qf.fn, f"`{qf.fn.name.value}()` is used other than as `x, y = {qf.fn.name.value}(...)` statements")
        ids = {id(m) for m in walk(qf.fn)}
        an.allowed_refs |= {id(n) for n, _r in queue_refs if id(n) in ids}
        an.input_fns[qf.fn.name.value] = qf.fn
        an.queue_fns[qf.fn.name.value] = qf
        # names local to the function: free in it and not an imported name
        local = {n.value for n in walk(qf.fn) if isinstance(n, cst.Name)} | set(an.ctx.aliases.bindings) | BUILTINS
        qf.parse = _free({"TextLineDataset": "parse_line", "TFRecordDataset": "parse_record"}.get(qf.dataset_cls, "preprocess"), local)
        qf.dataset = _free("dataset", local | {qf.parse})
        for st in qf.fn.body.body:  # type: ignore[union-attr]
            an.plan.capture.add(id(st))
        an.plan.stmt_builders[id(qf.fn)] = _function_builder(an, qf)  # type: ignore[assignment]
        an.plan.dropped.extend(qf.dropped)
        if qf.helper is not None:
            for st in qf.helper.body.body:  # type: ignore[union-attr]
                an.plan.capture.add(id(st))
            an.plan.stmt_builders[id(qf.helper)] = _helper_builder(an, qf)  # type: ignore[assignment]


def _free(base: str, used: set[str]) -> str:
    name, i = base, 2
    while name in used:
        name, i = f"{base}_{i}", i + 1
    return name


def _arg(an: Analysis, call: cst.Call, params: list[str], what: str) -> dict[str, cst.Arg]:
    from rules.tf1_to_tf2._graph import _args_map_loose

    if any(a.star for a in call.args):
        raise _Refused(call, f"`{what}` with starred arguments")
    args = _args_map_loose(call, params)
    if len(args) != len(call.args):
        raise _Refused(call, f"`{what}` with arguments it does not take")
    return args


def _literal(node: cst.BaseExpression | None, value: str) -> bool:
    return node is not None and isinstance(node, (cst.Name, cst.Integer)) and code(node) == value


def _match(an: Analysis, fn: cst.FunctionDef, inside: list[tuple[cst.CSTNode, str]]) -> QueueFn:
    from rules.tf1_to_tf2._graph import (
        NOT_OPS,
        RANDOM_WORDS,
        names_used,
        only_small,
        target_names,
    )

    name = fn.name.value
    shape = (f"`{name}()` is not producer, reader, `read`, per-record code and `return tf.train.batch(...)` "
             "in that order")
    if not isinstance(fn.body, cst.IndentedBlock):
        raise _Refused(fn, shape)
    body = list(fn.body.body)
    k = next((i for i, st in enumerate(body) if isinstance(only_small(st), cst.Assign)
              and an.call_rest(only_small(st).value) is not None  # type: ignore[union-attr]
              and an.call_rest(only_small(st).value).endswith("_producer")), None)  # type: ignore[union-attr]
    if k is None or len(body) < k + 2:
        raise _Refused(fn, shape)
    pre = body[:k]
    for st in pre:  # Python values (file names from `tf.io.gfile.glob` too) stay where they are
        if any(not any(r == o or r.startswith(o + ".") for o in NOT_OPS) for _n, r in an.tf_refs(st)):
            raise _Refused(st, f"`{name}()` computes with TensorFlow before its producer")
    prod_line, ret_line = body[k], body[-1]
    end = len(body) - 1  # the per-record code ends before the batch
    # `x_b, y_b = tf.train.batch([x, y], n)` + `return x_b, y_b`: the same as returning the call
    last, before = only_small(body[-1]), only_small(body[-2]) if len(body) >= 2 else None
    if isinstance(last, cst.Return) and isinstance(last.value, cst.Tuple) and isinstance(before, cst.Assign) \
            and len(before.targets) == 1 and isinstance(before.targets[0].target, cst.Tuple) \
            and an.call_rest(before.value) == BATCH \
            and [code(e.value) for e in before.targets[0].target.elements] == [code(e.value) for e in last.value.elements] \
            and all(isinstance(e.value, cst.Name) for e in last.value.elements):
        ret_line = body[-2]
        end = len(body) - 2
    # the producer
    prod = only_small(prod_line)
    assert isinstance(prod, cst.Assign)
    pr = an.call_rest(prod.value)
    if pr not in PRODUCERS:
        raise _Refused(prod.value, f"`tf.{pr}` is not converted (only `tf.train.string_input_producer` of file names "
                                   "and `tf.train.slice_input_producer`)")
    params = PRODUCERS[pr]
    pargs = _arg(an, prod.value, params, f"tf.{pr}")  # type: ignore[arg-type]
    if params[0] not in pargs:
        raise _Refused(prod.value, f"`tf.{pr}` without `{params[0]}`")
    if not _literal(pargs["shuffle"].value if "shuffle" in pargs else None, "False"):
        raise _Refused(prod.value, "the producer shuffles (`shuffle=True` is its default): TF1 draws the order "
                                   "with its op-level seed, tf.data would give another order")
    epochs = "num_epochs" in pargs and not _literal(pargs["num_epochs"].value, "None")
    if epochs and isinstance(pargs["num_epochs"].value, cst.Integer) and pargs["num_epochs"].value.evaluated_value < 1:
        raise _Refused(prod.value, "`num_epochs` below 1")
    for p in ("shared_name", "cancel_op"):
        if p in pargs:
            raise _Refused(prod.value, f"`tf.{pr}({p}=...)`")
    if len(prod.targets) != 1:
        raise _Refused(prod_line, shape)
    helper = None
    if pr == SLICES:
        # `a, b = tf.train.slice_input_producer([xs, ys], shuffle=False)`: the record is the slices
        tensors = pargs["tensor_list"].value
        names = target_names(prod.targets[0].target)
        if not (isinstance(prod.targets[0].target, (cst.Tuple, cst.List)) and names is not None
                and isinstance(tensors, (cst.List, cst.Tuple)) and len(names) == len(tensors.elements)
                and all(isinstance(e, cst.Element) for e in tensors.elements)):
            raise _Refused(prod_line, "`tf.train.slice_input_producer` of something other than a list of tensors, "
                                      "unpacked into as many names")
        queue = reader = key = "_"
        values = list(names)
        record_all = body[k + 1:end]
        read_line = prod_line
        dataset_cls = "Dataset.from_tensor_slices"
    else:
        if len(body) < k + 3 or not isinstance(prod.targets[0].target, cst.Name):
            raise _Refused(prod_line, shape)
        queue = prod.targets[0].target.value
        helper = _reader_helper(an, body[k + 1], queue, end - (k + 2))
        if helper is not None:
            # `image, label = read_and_decode(filename_queue)`: the helper reads and decodes
            # one record; it becomes the map function (its parameter the record)
            hfn, call_line, outs = helper
            hbody = list(hfn.body.body)  # type: ignore[union-attr]
            if len(hbody) < 3:
                raise _Refused(hfn, f"`{hfn.name.value}()` is not reader, `read`, per-record code, `return a, b`")
            reader_line, read_line = hbody[0], hbody[1]
            record_all = hbody[2:-1]
            queue = hfn.params.params[0].name.value
        else:
            if len(body) < k + 4:
                raise _Refused(prod_line, shape)
            reader_line, read_line = body[k + 1], body[k + 2]
            record_all = body[k + 3:end]
        # the reader
        rd = only_small(reader_line)
        if not (isinstance(rd, cst.Assign) and len(rd.targets) == 1 and isinstance(rd.targets[0].target, cst.Name)
                and isinstance(rd.value, cst.Call)):
            raise _Refused(reader_line, shape)
        rr = an.call_rest(rd.value)
        if rr not in READERS:
            raise _Refused(rd.value, f"`tf.{rr}` is not converted (only `tf.TextLineReader()` and `tf.TFRecordReader()`: "
                                     "one record per line / per TFRecord)")
        if any(a.keyword is None or a.keyword.value != "name" for a in rd.value.args):
            raise _Refused(rd.value, f"`tf.{rr}` with arguments (`skip_header_lines` skips the first lines of EVERY file, "
                                     "tf.data needs a per-file skip; `options` sets a compression)")
        reader = rd.targets[0].target.value
        dataset_cls = READERS[rr]
        # the read
        rv = only_small(read_line)
        names = target_names(rv.targets[0].target) if isinstance(rv, cst.Assign) and len(rv.targets) == 1 else None
        if not (isinstance(rv, cst.Assign) and isinstance(rv.value, cst.Call) and isinstance(rv.value.func, cst.Attribute)
                and isinstance(rv.value.func.value, cst.Name) and rv.value.func.value.value == reader
                and rv.value.func.attr.value == "read" and len(rv.value.args) == 1 and rv.value.args[0].keyword is None
                and isinstance(rv.value.args[0].value, cst.Name) and rv.value.args[0].value.value == queue
                and names is not None and len(names) == 2):
            raise _Refused(read_line, f"`{name}()` does not read its records as `key, value = reader.read({queue})`")
        key, value = names
        values = [value]
        if queue == "_" or reader == "_":
            raise _Refused(prod_line, shape)
    # the batch
    ret = only_small(ret_line)
    if not (isinstance(ret, (cst.Return, cst.Assign)) and isinstance(ret.value, cst.Call)):
        raise _Refused(ret_line, f"`{name}()` does not end with `return tf.train.batch(...)`")
    br = an.call_rest(ret.value)
    if br != BATCH:
        raise _Refused(ret.value, f"`{name}()` does not end with `return tf.train.batch(...)`")
    bargs = _arg(an, ret.value, BATCH_PARAMS, "tf.train.batch")
    if "num_threads" in bargs and not _literal(bargs["num_threads"].value, "1"):
        raise _Refused(ret.value, "`tf.train.batch` with several enqueuing threads: the order in which they enqueue "
                                  "records is not determined, so no tf.data pipeline reproduces the batches; "
                                  "with `num_threads=1` it is the file order")
    for p in ("enqueue_many", "dynamic_pad"):
        if p in bargs and not _literal(bargs[p].value, "False"):
            raise _Refused(ret.value, f"`tf.train.batch({p}=...)`")
    for p in ("shapes", "shared_name"):
        if p in bargs:
            raise _Refused(ret.value, f"`tf.train.batch({p}=...)`")
    smaller = False
    if "allow_smaller_final_batch" in bargs:
        if not (_literal(bargs["allow_smaller_final_batch"].value, "True")
                or _literal(bargs["allow_smaller_final_batch"].value, "False")):
            raise _Refused(ret.value, "`allow_smaller_final_batch` that is not a literal")
        smaller = _literal(bargs["allow_smaller_final_batch"].value, "True")
    if "tensors" not in bargs or "batch_size" not in bargs:
        raise _Refused(ret.value, "`tf.train.batch` without tensors and batch_size")
    tensors = bargs["tensors"].value
    if not (isinstance(tensors, (cst.List, cst.Tuple)) and len(tensors.elements) >= 2
            and all(isinstance(e, cst.Element) for e in tensors.elements)):
        raise _Refused(tensors, "`tf.train.batch` of something other than a list of two or more tensors")
    outputs = [names_used(e.value) for e in tensors.elements]
    # the per-record code
    record_names = set(values)
    record_reads: set[str] = set()
    hoisted: list[cst.BaseStatement] = []
    record: list[cst.BaseStatement] = []
    for st in record_all:
        if not isinstance(st, cst.SimpleStatementLine):
            raise _Refused(st, f"Python control flow in the per-record code of `{name}()`")
        used = names_used(st)
        if used & ({queue, reader} - {"_"}) or (key != "_" and key in used):
            raise _Refused(st, f"the per-record code of `{name}()` uses the queue, the reader or the record key")
        for n, r in an.tf_refs(st):
            if any(w in r for w in RANDOM_WORDS):
                raise _Refused(n, "a random op per record: tf.data's map would draw other random numbers")
            if is_queue(r):
                raise _Refused(n, f"`tf.{r}` in the per-record code")
        if an.makes_variables(st) or an.calls_variable_maker(st):  # type: ignore[arg-type]
            raise _Refused(st, "the per-record code creates variables")
        small = only_small(st)
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call) and isinstance(small.value.func, cst.Attribute) \
                and small.value.func.attr.value == "set_shape" and isinstance(small.value.func.value, cst.Name) \
                and small.value.func.value.value in record_names:
            record.append(st)  # `image.set_shape([n])`: a static shape, the same in the map function
            record_reads |= used
            continue
        if not isinstance(small, cst.Assign):
            raise _Refused(st, f"a per-record statement of `{name}()` that is not an assignment")
        defined = set()
        for t in small.targets:
            tn = target_names(t.target)
            if tn is None:
                raise _Refused(st, f"a per-record assignment of `{name}()` to something other than names")
            defined |= set(tn)
        if used & record_names or any(True for _ in an.tf_refs(st)):
            record.append(st)
            record_names |= defined
            record_reads |= used
        else:
            # moved before the map function, which runs after all of them: it must not
            # rebind what the per-record code read before it
            if defined & (record_names | record_reads):
                raise _Refused(st, f"`{name}()` rebinds a name of its per-record code with a Python value")
            hoisted.append(st)
    if pr != SLICES and helper is not None:
        # the batch takes the helper's results as they are; the helper keeps its statements
        batched = [e.value.value if isinstance(e.value, cst.Name) else None for e in tensors.elements]  # type: ignore[union-attr]
        if batched != [o for o in outs]:
            raise _Refused(tensors, f"`tf.train.batch` of other tensors than `{', '.join(outs)}` as `{hfn.name.value}()` returns them")
        ret_h = only_small(hbody[-1])
        if not (isinstance(ret_h, cst.Return) and isinstance(ret_h.value, cst.Tuple) and len(ret_h.value.elements) == len(outs)):
            raise _Refused(hbody[-1], f"`{hfn.name.value}()` does not end with `return a, b` ({len(outs)} values)")
        outputs = [names_used(e.value) for e in ret_h.value.elements]
        record, hoisted = list(record_all), []
    for o in outputs:
        if o & ({queue, reader} - {"_"}):
            raise _Refused(tensors, "the queue or the reader is batched")
    later = {n for st in record for n in names_used(st)} | {n for o in outputs for n in o}
    if key != "_" and key in later:
        raise _Refused(read_line, "the record key is used")
    for st in hoisted:
        if any(n in {x for t in only_small(st).targets for x in (target_names(t.target) or [])}  # type: ignore[union-attr]
               for n in {queue, reader, key, *values} - {"_"}):
            raise _Refused(st, shape)
    # every name the function builds is used only in it
    dropped: list[cst.CSTNode] = list({id(n): n for n in body[k:k + 3 if pr != SLICES else k + 1]}.values()) + [ret.value]
    if ret_line is not body[-1]:
        dropped.append(body[-1])
    qf = QueueFn(fn, pre, prod_line, hoisted, record, values, outputs, dataset_cls, epochs, smaller, params,
                 batch_line=ret_line, dropped=dropped)
    if pr != SLICES and helper is not None:
        qf.helper = hfn
        qf.dropped = [prod_line, call_line, ret.value, reader_line, read_line]
    return qf


def _reader_helper(an: Analysis, line: cst.BaseStatement, queue: str, rest: int
                   ) -> tuple[cst.FunctionDef, cst.BaseStatement, list[str]] | None:
    """`a, b = helper(queue)` right after the producer and right before the batch (`rest`:
    the statements between them), `helper` a module-level function of one parameter called
    nowhere else: (helper, the call line, the names bound)."""
    from rules.tf1_to_tf2._graph import only_small, target_names, walk

    small = only_small(line)
    if not (isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.value, cst.Call)
            and isinstance(small.value.func, cst.Name) and len(small.value.args) == 1
            and small.value.args[0].keyword is None and isinstance(small.value.args[0].value, cst.Name)
            and small.value.args[0].value.value == queue):
        return None
    hname = small.value.func.value
    hfn = next((st for st in an.module.body if isinstance(st, cst.FunctionDef) and st.name.value == hname), None)
    if hfn is None:
        return None
    names = target_names(small.targets[0].target)
    if rest != 0 or names is None or not isinstance(small.targets[0].target, cst.Tuple) or len(names) < 2:
        raise _Refused(line, f"`{hname}({queue})` is not `a, b = {hname}({queue})` right before the batch")
    p = hfn.params
    if not (len(p.params) == 1 and not p.posonly_params and not p.kwonly_params and p.star_arg is cst.MaybeSentinel.DEFAULT
            and p.star_kwarg is None and p.params[0].default is None and not hfn.decorators and hname not in an.models
            and isinstance(hfn.body, cst.IndentedBlock)):
        raise _Refused(hfn, f"`{hname}()` is not a plain function of the filename queue")
    calls = [n for n in walk(an.module) if isinstance(n, cst.Name) and n.value == hname and n is not hfn.name]
    if len(calls) != 1:
        raise _Refused(hfn, f"`{hname}()` is used elsewhere: it would become the map function of its record")
    return hfn, line, names


def _session_side(an: Analysis, coord_refs: list[tuple[cst.CSTNode, str]]) -> None:
    """Coordinator, start_queue_runners, should_stop/request_stop/join: removed."""
    from rules.tf1_to_tf2._graph import names_used, only_small, walk

    parent: dict[int, cst.CSTNode] = {}
    for n in walk(an.module):
        for c in n.children:
            parent[id(c)] = n

    def line_of(node: cst.CSTNode) -> cst.SimpleStatementLine:
        n: cst.CSTNode | None = node
        while n is not None and not isinstance(n, cst.SimpleStatementLine):
            n = parent.get(id(n))
        if n is None or len(n.body) != 1:
            raise _Refused(node, "a coordinator call that is not a statement of its own")
        return n

    coords: set[str] = set()
    threads: set[str] = set()
    remove: list[cst.CSTNode] = []
    for node, r in coord_refs:
        line = line_of(node)
        small = only_small(line)
        value = small.value if isinstance(small, (cst.Assign, cst.Expr)) else None
        if not (isinstance(value, cst.Call) and value.func is node):
            raise _Refused(node, f"`tf.{r}` used other than called as a statement")
        if r == "train.Coordinator":
            if value.args or not (isinstance(small, cst.Assign) and len(small.targets) == 1
                                  and isinstance(small.targets[0].target, cst.Name)):
                raise _Refused(node, "a Coordinator that is not `coord = tf.train.Coordinator()`")
            coords.add(small.targets[0].target.value)
        else:
            if isinstance(small, cst.Assign):
                if len(small.targets) != 1 or not isinstance(small.targets[0].target, cst.Name):
                    raise _Refused(node, "start_queue_runners bound to something other than a name")
                threads.add(small.targets[0].target.value)
            from rules.tf1_to_tf2._graph import _args_map_loose
            args = _args_map_loose(value, ["sess", "coord", "daemon", "start", "collection"])
            if set(args) - {"sess", "coord"} or len(args) != len(value.args):
                raise _Refused(node, "start_queue_runners with arguments other than sess and coord")
        remove.append(line)
        an.allowed_refs.add(id(node))
    # every other use of the coordinator and of the threads
    ok: set[int] = {id(line) for line in remove}
    ifs: list[cst.If] = []
    whiles: list[cst.While] = []
    for n in walk(an.module):
        if not (isinstance(n, cst.Name) and n.value in coords | threads):
            continue
        line = None
        p = parent.get(id(n))
        if any(n is m for st in remove for m in walk(st)):
            continue
        if isinstance(p, cst.Attribute) and p.value is n and isinstance(parent.get(id(p)), cst.Call) \
                and parent[id(p)].func is p:  # type: ignore[attr-defined]
            call = parent[id(p)]
            meth = p.attr.value
            holder = parent.get(id(call))
            if meth == "should_stop" and isinstance(holder, cst.If) and holder.test is call and holder.orelse is None \
                    and isinstance(holder.body, cst.IndentedBlock) and len(holder.body.body) == 1 \
                    and isinstance(only_small(holder.body.body[0]), cst.Break) and not holder.leading_lines:
                ifs.append(holder)
                continue
            loop = parent.get(id(holder)) if isinstance(holder, cst.UnaryOperation) else None
            if meth == "should_stop" and isinstance(holder, cst.UnaryOperation) and isinstance(holder.operator, cst.Not) \
                    and isinstance(loop, cst.While) and loop.test is holder and loop.orelse is None:
                whiles.append(loop)
                continue
            if meth in ("request_stop", "join") and isinstance(holder, cst.Expr):
                line = parent.get(id(holder))
                if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1 \
                        and (meth == "request_stop" and not call.args  # type: ignore[attr-defined]
                             or meth == "join" and len(call.args) == 1  # type: ignore[attr-defined]
                             and names_used(call.args[0]) <= threads):  # type: ignore[attr-defined]
                    if id(line) not in ok:
                        remove.append(line)
                        ok.add(id(line))
                    continue
            raise _Refused(n, f"`{n.value}.{meth}()` is not converted (only `if coord.should_stop(): break`, "
                              "`coord.request_stop()` and `coord.join(threads)` statements, which go)")
        raise _Refused(n, f"`{n.value}` (a coordinator or its threads) used other than in its calls")
    plan = an.plan
    for st in remove + ifs:
        plan.remove.add(id(st))
        plan.dropped.append(st)
        an.handled_stmts.add(id(st))
        an.queue_stmts.add(id(st))
    for loop in whiles:  # `while not coord.should_stop():` -> `while True:` (the end raises OutOfRangeError)
        plan.stmt_builders[id(loop)] = _forever
        plan.dropped.append(loop.test)
    # a `try:` whose `finally:` held only those calls is opened (or loses its `finally:`
    # when it has handlers: `except tf.errors.OutOfRangeError:` is also what the eager
    # iterator raises at the end)
    removed = {id(st) for st in remove}
    for n in walk(an.module):
        if isinstance(n, cst.Try) and n.finalbody is not None and isinstance(n.finalbody.body, cst.IndentedBlock) \
                and all(id(st) in removed for st in n.finalbody.body.body) and isinstance(n.body, cst.IndentedBlock):
            if id(n) in plan.stmt_builders:
                raise _Refused(n, "a `try:` around the coordinator that is rewritten otherwise")
            plan.stmt_builders[id(n)] = _open_try if not n.handlers and n.orelse is None else _drop_finally
            plan.dropped.append(n.finalbody)


def _forever(updated: cst.While) -> list[cst.BaseStatement]:
    return [updated.with_changes(test=cst.Name("True"))]


def _drop_finally(updated: cst.Try) -> list[cst.BaseStatement]:
    return [updated.with_changes(finalbody=None)]


def _helper_builder(an: Analysis, qf: QueueFn) -> Callable[[cst.FunctionDef], list[cst.BaseStatement]]:
    """`def read_and_decode(queue)`: reader and read go, the parameter is the record."""
    def build(updated: cst.FunctionDef) -> list[cst.BaseStatement]:
        assert qf.helper is not None and isinstance(qf.helper.body, cst.IndentedBlock)
        cap = an.plan.captured
        hbody = list(qf.helper.body.body)
        stmts = [cap.get(id(st), st) for st in hbody[2:]]
        lead = [ln for ln in getattr(cap.get(id(hbody[0]), hbody[0]), "leading_lines", ()) if ln.comment is not None]
        stmts[0] = stmts[0].with_changes(leading_lines=lead + [ln for ln in stmts[0].leading_lines if ln.comment is not None])  # type: ignore[attr-defined]
        param = updated.params.params[0].with_changes(name=cst.Name(qf.value[0]))
        body = updated.body
        assert isinstance(body, cst.IndentedBlock)
        return [updated.with_changes(params=updated.params.with_changes(params=[param]),
                                     body=body.with_changes(body=stmts))]
    return build


def _open_try(updated: cst.Try) -> list[cst.BaseStatement]:
    assert isinstance(updated.body, cst.IndentedBlock)
    stmts = list(updated.body.body)
    if stmts:
        first = stmts[0]
        lead = list(updated.leading_lines)
        lead += [ln for ln in getattr(first, "leading_lines", ()) if ln.comment is not None]
        stmts[0] = first.with_changes(leading_lines=lead)
    return stmts


def _local_initializers(an: Analysis, refs: list[tuple[cst.CSTNode, str]]) -> None:
    """`sess.run(tf.local_variables_initializer())` statements: the pipeline makes no local
    variable; dropped when nothing else in the file could have made one."""
    from rules.tf1_to_tf2._graph import walk

    inits = [n for n, r in refs if r == "local_variables_initializer"]
    if not inits or an.metric_lines:
        return
    for n, r in refs:
        if any(r == m or r.startswith(m + ".") for m in LOCAL_MAKERS):
            raise _Refused(n, f"`tf.{r}` may make local variables: `tf.local_variables_initializer()` cannot go")
    parent: dict[int, cst.CSTNode] = {}
    for n in walk(an.module):
        for c in n.children:
            parent[id(c)] = n
    for ref in inits:
        call = parent.get(id(ref))
        arg = parent.get(id(call)) if call is not None else None
        if isinstance(arg, cst.Element) and isinstance(parent.get(id(arg)), (cst.List, cst.Tuple)):
            # `sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])`
            fetched = parent[id(arg)]
            if all(isinstance(e.value, cst.Call) and an.call_rest(e.value) in INITS
                   for e in fetched.elements):  # type: ignore[attr-defined]
                arg = parent.get(id(fetched))
        run = parent.get(id(arg)) if arg is not None else None
        expr = parent.get(id(run)) if run is not None else None
        if not (isinstance(call, cst.Call) and call.func is ref and not call.args and isinstance(arg, cst.Arg)
                and isinstance(run, cst.Call) and len(run.args) == 1 and isinstance(run.func, cst.Attribute)
                and run.func.attr.value == "run" and isinstance(expr, cst.Expr)):
            raise _Refused(ref, "`tf.local_variables_initializer()` not run alone by a `sess.run(...)` statement")
        an.metric_inits.add(id(call))
        an.allowed_refs.add(id(ref))
        an.plan.dropped.append(ref)


def _function_builder(an: Analysis, qf: QueueFn) -> Callable[[cst.FunctionDef], list[cst.BaseStatement]]:
    def build(updated: cst.FunctionDef) -> list[cst.BaseStatement]:
        cap = an.plan.captured
        root = tf_root(an.ctx)
        new_prod = cap.get(id(qf.producer), qf.producer)
        prod = new_prod.body[0]
        assert isinstance(prod, cst.Assign) and isinstance(prod.value, cst.Call)
        from rules.tf1_to_tf2._graph import _args_map_loose
        pargs = _args_map_loose(prod.value, qf.params)
        files = pargs[qf.params[0]].value
        if qf.dataset_cls == "Dataset.from_tensor_slices":
            assert isinstance(files, (cst.List, cst.Tuple))
            source = "(" + ", ".join(code(e.value) for e in files.elements) + ("," if len(files.elements) == 1 else "") + ")"
        else:
            source = code(files)
        repeat = code(pargs["num_epochs"].value) if qf.epochs else ""
        drop = ", drop_remainder=True" if qf.epochs and not qf.smaller else ""
        assert qf.batch_line is not None
        ret_line = cap.get(id(qf.batch_line), qf.batch_line)
        ret = ret_line.body[0]  # type: ignore[union-attr]
        assert isinstance(ret, (cst.Return, cst.Assign)) and isinstance(ret.value, cst.Call)
        bs = _args_map_loose(ret.value, BATCH_PARAMS)["batch_size"].value
        out: list[cst.BaseStatement] = [cap.get(id(st), st) for st in qf.pre]
        # the producer's comments go to the dataset that replaces it
        comments = [ln for ln in new_prod.leading_lines if ln.comment is not None]
        hoisted = [cap.get(id(st), st) for st in qf.hoisted]
        if hoisted and not qf.pre:  # the first statement of the body: no blank line before it
            hoisted[0] = hoisted[0].with_changes(leading_lines=[ln for ln in hoisted[0].leading_lines if ln.comment is not None])  # type: ignore[attr-defined]
        out += hoisted
        lead: list[cst.EmptyLine] = []
        record = [cap.get(id(st), st) for st in qf.record]
        record = [st.with_changes(leading_lines=[ln for ln in st.leading_lines if ln.comment is not None])
                  if i == 0 else st for i, st in enumerate(record)]  # type: ignore[union-attr]
        tensors = _args_map_loose(ret.value, BATCH_PARAMS)["tensors"].value
        assert isinstance(tensors, (cst.List, cst.Tuple))
        outputs = ", ".join(code(e.value) for e in tensors.elements)
        record.append(cst.parse_statement(f"return {outputs}\n"))
        # slices batched as they are: no map function; a reading helper is the map function
        no_map = (not qf.record and outputs == ", ".join(qf.value)) or qf.helper is not None
        blank = [cst.EmptyLine(indent=False)] if out else []
        parse = cst.FunctionDef(
            name=cst.Name(qf.parse),
            params=cst.Parameters(params=[cst.Param(cst.Name(v)) for v in qf.value]),
            body=cst.IndentedBlock(body=record),
            leading_lines=blank + lead if out else lead,
        )
        ds = qf.dataset
        tail = [
            cst.parse_statement(f"{ds} = {root}.data.{qf.dataset_cls}({source})\n"),
            *([] if repeat == "1" else [cst.parse_statement(f"{ds} = {ds}.repeat({repeat})\n")]),  # one epoch: no repeat
            *([cst.parse_statement(f"{ds} = {ds}.map({qf.helper.name.value})\n")] if qf.helper is not None
              else [] if no_map else [cst.parse_statement(f"{ds} = {ds}.map({qf.parse})\n")]),
            cst.parse_statement(f"{ds} = {ds}.batch({code(bs)}{drop})\n"),
            cst.parse_statement(f"return iter({ds})\n"),
        ]
        first_in_body = not out and no_map
        tail[0] = tail[0].with_changes(leading_lines=([] if first_in_body else [cst.EmptyLine(indent=False)]) + comments)
        body = updated.body
        assert isinstance(body, cst.IndentedBlock)
        return [updated.with_changes(body=body.with_changes(body=out + ([] if no_map else [parse]) + tail))]
    return build  # type: ignore[return-value]
