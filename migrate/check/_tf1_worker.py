"""TF1 graph worker: run as ``python -m migrate.check._tf1_worker`` by :mod:`migrate.check.adapters`.

Reads one JSON request per line on stdin and answers one JSON line on the original stdout
(everything else the models print goes to stderr). Arrays travel in ``.npz`` files.

Requests: ``load`` (build ``file.py:build_fn`` inside a fresh ``tf.Graph``), ``forward``,
``train``, ``unload``, ``exit``. Importing this module does not import TensorFlow.

The factory is called with no arguments inside the new graph and returns either a dict with
keys ``inputs``, ``outputs`` and optionally ``loss``, ``intermediates``, ``optimizer``,
``feeds``, ``train_feeds``, ``eval_feeds``; or a tuple ``(inputs, outputs[, loss][,
intermediates])`` where a scalar tensor is the loss and a third dict the intermediates.
A boolean scalar placeholder among the inputs is the training flag and is fed with the mode.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any

import numpy as np

COMPUTE_OPS = {
    "BiasAdd", "Relu", "Relu6", "Elu", "Selu", "Tanh", "Sigmoid", "Softmax", "Softplus", "LeakyRelu",
    "MatMul", "BatchMatMulV2", "Conv2D", "Conv3D", "DepthwiseConv2dNative", "Conv2DBackpropInput",
    "Conv3DBackpropInputV2", "FusedBatchNorm", "FusedBatchNormV3", "Merge", "Add", "AddV2", "Mul",
    "Identity", "Squeeze", "Reshape", "GatherV2", "ResourceGather", "Gather",
}
PASS_THROUGH = {"Identity", "ReadVariableOp", "Enter", "Cast", "ExpandDims", "Switch", "RefEnter"}
IGNORE_CONSUMERS = {"Assign", "AssignVariableOp", "AssignSub", "AssignAdd", "IsVariableInitialized",
                    "VarIsInitializedOp", "ApplyGradientDescent", "ApplyAdam", "SaveV2", "ShapeN"}


class Model:
    pass


def _tf() -> Any:
    import tensorflow.compat.v1 as tf

    return tf


def _parse_return(tf: Any, ret: Any) -> dict[str, Any]:
    if isinstance(ret, dict) and "inputs" in ret and "outputs" in ret:
        d = dict(ret)
    elif isinstance(ret, (tuple, list)):
        d = {}
        dicts = [r for r in ret if isinstance(r, dict)]
        others = [r for r in ret if not isinstance(r, dict)]
        if len(dicts) < 2:
            raise TypeError("a TF1 factory returns (inputs: dict, outputs: dict[, loss][, intermediates: dict])")
        d["inputs"], d["outputs"] = dicts[0], dicts[1]
        if len(dicts) > 2:
            d["intermediates"] = dicts[2]
        for o in others:
            if isinstance(o, tf.Tensor):
                d["loss"] = o
    else:
        raise TypeError(f"a TF1 factory returns (inputs, outputs[, loss][, intermediates]), got {type(ret).__name__}")
    if isinstance(d["outputs"], tf.Tensor):
        d["outputs"] = {"output": d["outputs"]}
    return d


def _layer_and_role(name: str) -> tuple[str, str]:
    n = name.removesuffix(":0")
    if "/" in n:
        layer, role = n.rsplit("/", 1)
    else:
        layer, role = n, n
    return layer, role


def _consumers(var: Any) -> list[Any]:
    """Ops that read ``var`` (following identity-like ops a few levels)."""
    frontier = list(var.op.outputs)
    try:
        frontier.append(var.value())
    except Exception:
        pass
    seen: set[str] = set()
    found = []
    for _ in range(5):
        nxt = []
        for t in frontier:
            for c in t.consumers():
                if c.name in seen:
                    continue
                seen.add(c.name)
                if c.type in IGNORE_CONSUMERS or "/Initializer/" in c.name:
                    continue
                if c.type in PASS_THROUGH:
                    nxt += list(c.outputs)
                    if c.type == "ExpandDims":
                        found.append(c)
                else:
                    found.append(c)
        frontier = nxt
    return found


def _layer_type(layer: str, role: str, shape: tuple[int, ...], cons: list[Any]) -> str | None:
    types = {c.type for c in cons}
    low = layer.lower()
    if role in ("moving_mean", "moving_variance") or any(t.startswith("FusedBatchNorm") for t in types):
        return "BatchNormalization"
    if "DepthwiseConv2dNative" in types:
        return "DepthwiseConv2D"
    if "Conv2DBackpropInput" in types:
        return "Conv2DTranspose"
    if "Conv3DBackpropInputV2" in types:
        return "Conv3DTranspose"
    if "Conv3D" in types:
        return "Conv3D"
    if "Conv2D" in types:
        return "Conv1D" if len(shape) == 3 else "Conv2D"
    if types & {"GatherV2", "Gather", "ResourceGather"} or "embedding_lookup" in {c.name.split("/")[-2] for c in cons if "/" in c.name}:
        return "Embedding"
    if types & {"MatMul", "BatchMatMulV2"}:
        if "lstm_cell" in low:
            return "TF1LSTMCell"
        if "gru_cell" in low:
            return "TF1GRUCell"
        return "Dense"
    if ("layer_norm" in low or "layernorm" in low) and role in ("gamma", "beta"):
        return "LayerNormalization"
    return None


def _flatten_hwc(cons: list[Any]) -> list[int] | None:
    for c in cons:
        if c.type != "MatMul":
            continue
        a = c.inputs[0]
        for _ in range(3):
            if a.op.type in ("Reshape",):
                src = a.op.inputs[0]
                dims = src.shape.as_list() if src.shape.rank is not None else None
                if dims and len(dims) >= 3 and all(d is not None for d in dims[1:]):
                    return [int(d) for d in dims[1:]]
                return None
            if a.op.type in ("Identity", "Enter"):
                a = a.op.inputs[0]
                continue
            break
    return None


def _forget_bias(graph: Any, layer: str) -> float | None:
    tail = layer.split("/", 1)[1] if "/" in layer else layer
    from tensorflow.python.framework import tensor_util

    for op in graph.get_operations():
        if op.type not in ("Add", "AddV2") or f"/{tail}/" not in f"/{op.name}":
            continue
        ins = list(op.inputs)
        if len(ins) != 2:
            continue
        split_in = [t for t in ins if t.op.type in ("Split", "SplitV")]
        const_in = [t for t in ins if t.op.type == "Const"]
        if split_in and const_in and split_in[0].value_index == 2:
            val = tensor_util.MakeNdarray(const_in[0].op.get_attr("value"))
            if val.size == 1:
                return float(val.reshape(()))
    return None


def _in_while(op: Any) -> bool:
    ctx = getattr(op, "_control_flow_context", None)
    while ctx is not None:
        if type(ctx).__name__ == "WhileContext":
            return True
        ctx = getattr(ctx, "outer_context", None)
    return False


def _auto_intermediates(graph: Any, layers: list[tuple[str, str | None]]) -> list[tuple[str, str, Any]]:
    ops = graph.get_operations()
    out = []
    for layer, ltype in layers:
        best = _last_compute(ops, layer, COMPUTE_OPS)
        if best is None and "/" in layer:
            # e.g. an RNN cell whose ops live in a while loop: take its wrapper's output
            # (dynamic_rnn's "rnn/transpose_1"), unless another layer shares that scope
            parent = layer.rsplit("/", 1)[0]
            if sum(1 for other, _ in layers if other.startswith(parent + "/")) == 1:
                best = _last_compute(ops, parent, COMPUTE_OPS | {"Transpose"})
        if best is not None:
            out.append((layer, ltype or best.op.type, best))
    return out


def _last_compute(ops: list[Any], layer: str, types: set[str]) -> Any:
    """The output of the last compute op in ``layer``'s name scope (outside loops), or None."""
    best = None
    for op in ops:
        if not op.name.startswith(layer + "/") or op.type not in types:
            continue
        if any(s in op.name for s in ("AssignMovingAvg", "/Initializer/", "/read", "gradients", "/Regularizer")):
            continue
        if not op.outputs or _in_while(op):
            continue
        t = op.outputs[0]
        if t.dtype.base_dtype.name != "float32" or t.shape.rank is None or t.shape.rank < 2:
            continue
        if op.type in ("Identity", "Reshape", "Squeeze") and best is None:
            continue
        best = t
    return best


def load(req: dict[str, Any], models: dict[int, Model]) -> dict[str, Any]:
    tf = _tf()
    import importlib.util

    spec = req["spec"]
    path, _, fn_name = spec.rpartition(":")
    m = Model()
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(int(req.get("seed", 0)))
        modname = f"_migrate_tf1_factory_{len(models)}_{abs(hash(path))}"
        mspec = importlib.util.spec_from_file_location(modname, path)
        if mspec is None or mspec.loader is None:
            raise ImportError(f"cannot import {path}")
        mod = importlib.util.module_from_spec(mspec)
        sys.modules[modname] = mod
        mspec.loader.exec_module(mod)
        fn: Any = mod
        for part in fn_name.split("."):
            fn = getattr(fn, part)
        d = _parse_return(tf, fn())
        m.graph = g
        m.inputs = dict(d["inputs"])
        m.outputs = dict(d["outputs"])
        m.declared_opt = d.get("optimizer")
        m.feeds = dict(d.get("feeds") or {})
        m.mode_feeds = {"train": dict(d.get("train_feeds") or {}), "eval": dict(d.get("eval_feeds") or {})}
        m.train_flags = [t for t in m.inputs.values() if t.dtype.base_dtype == tf.bool and t.shape.rank == 0]
        m.data_inputs = {k: t for k, t in m.inputs.items() if not any(t is f for f in m.train_flags)}
        m.vars = list(tf.global_variables())
        trainable = {v.name for v in tf.trainable_variables()}
        m.trainable = [v for v in m.vars if v.name in trainable]
        m.update_ops = list(tf.get_collection(tf.GraphKeys.UPDATE_OPS))
        m.names = {}
        weights = []
        layer_types: dict[str, str | None] = {}
        facts = []
        for v in m.vars:
            name = v.name.removesuffix(":0")
            m.names[name] = v
            layer, role = _layer_and_role(v.name)
            shape = tuple(int(s) for s in v.shape.as_list())
            cons = _consumers(v)
            lt = _layer_type(layer, role, shape, cons)
            if lt and (layer_types.get(layer) is None or role in ("kernel", "weights", "depthwise_kernel")):
                layer_types[layer] = lt
            layer_types.setdefault(layer, None)
            facts.append((name, layer, role, shape, cons, v.name in trainable))
        for name, layer, role, shape, cons, tr in facts:
            lt = layer_types.get(layer)
            extra: dict[str, Any] = {}
            if lt == "Dense" and role in ("kernel", "weights"):
                hwc = _flatten_hwc(cons)
                if hwc:
                    extra["flatten_hwc"] = hwc
            if lt == "TF1LSTMCell" and role == "kernel":
                fb = _forget_bias(g, layer)
                extra["forget_bias"] = 1.0 if fb is None else fb
                extra["forget_bias_detected"] = fb is not None
            weights.append({"name": name, "shape": list(shape), "layer": layer, "layer_type": lt, "role": role,
                            "trainable": tr, "extra": extra})
        if d.get("intermediates"):
            inter = [(k, k, t) for k, t in d["intermediates"].items()]
            m.inter = [(k, layer_types.get(k) or t.op.type, t) for k, _, t in inter]
        else:
            order = list(dict.fromkeys(w["layer"] for w in weights))
            m.inter = _auto_intermediates(g, [(l, layer_types.get(l)) for l in order])
        m.dropout = []
        rand = [op for op in g.get_operations()
                if op.type in ("RandomUniform",) and "dropout" in op.name.lower() and "/Initializer/" not in op.name]
        with tf.name_scope("migrate_check_dropout"):
            for op in rand:
                if _in_while(op):
                    continue
                st = _shape_tensor(tf, g, op)
                if st is not None:
                    in_cond = type(getattr(op, "_control_flow_context", None)).__name__ == "CondContext"
                    m.dropout.append((op.outputs[0], st, in_cond))
        m.assign_ph = {}
        m.assign_ops = []
        with tf.name_scope("migrate_check_assign"):
            for v in m.vars:
                ph = tf.placeholder(v.dtype.base_dtype, v.shape)
                m.assign_ph[v.name] = ph
                m.assign_ops.append(tf.assign(v, ph))
        m.train_graphs = {}
        config = tf.ConfigProto()
        config.intra_op_parallelism_threads = int(os.environ.get("MIGRATE_CHECK_THREADS", "2"))
        config.inter_op_parallelism_threads = 1
        m.sess = tf.Session(graph=g, config=config)
        m.sess.run(tf.global_variables_initializer())
        has_bn = any(w["layer_type"] == "BatchNormalization" for w in weights)
    inputs = []
    for k, t in m.data_inputs.items():
        shape = t.shape.as_list()[1:] if t.shape.rank else []
        inputs.append({"name": k, "shape": shape, "dtype": t.dtype.base_dtype.name,
                       "kind": _guess_kind(k, t.dtype.base_dtype.name)})
    opt = None
    if m.declared_opt is not None:
        opt = _describe_tf1_opt(m.declared_opt)
    mid = max(models, default=0) + 1
    models[mid] = m
    notes = []
    if d.get("loss") is not None:
        notes.append("the factory's loss tensor is not used: the check trains on MSE to generated targets")
    info = {"kind": "tf1", "framework": "tf", "weights": weights, "inputs": inputs, "outputs": list(m.outputs),
            "has_batchnorm": has_bn, "optimizer": opt, "notes": notes}
    return {"model": mid, "info": info, "intermediates": [{"name": n, "layer": n, "type": t} for n, t, _ in m.inter]}


def _guess_kind(name: str, dtype: str) -> str:
    if "mask" in name.lower():
        return "mask"
    if dtype == "bool":
        return "bool"
    if dtype.startswith(("int", "uint")):
        return "int"
    return "float"


def _describe_tf1_opt(o: Any) -> dict[str, Any] | None:
    cname = type(o).__name__
    if cname == "AdamOptimizer":
        return {"name": "adam", "lr": float(o._lr), "eps": float(o._epsilon), "beta1": float(o._beta1),
                "beta2": float(o._beta2)}
    if cname == "GradientDescentOptimizer":
        return {"name": "sgd", "lr": float(o._learning_rate)}
    if cname == "MomentumOptimizer":
        return {"name": "sgd", "lr": float(o._learning_rate), "momentum": float(o._momentum)}
    return None


def _feed(m: Model, data: dict[str, np.ndarray], mode: str) -> dict[Any, Any]:
    feed: dict[Any, Any] = {}
    for k, t in m.data_inputs.items():
        feed[t] = data[f"x:{k}"]
    for f in m.train_flags:
        feed[f] = mode == "train"
    feed.update(m.feeds)
    feed.update(m.mode_feeds.get(mode, {}))
    return feed


def _set_weights(m: Model, data: dict[str, np.ndarray]) -> None:
    feed = {}
    ops = []
    for v, op in zip(m.vars, m.assign_ops):
        key = "w:" + (v.name.removesuffix(":0"))
        if key in data:
            feed[m.assign_ph[v.name]] = data[key]
            ops.append(op)
    if ops:
        m.sess.run(ops, feed)


def _shape_tensor(tf: Any, g: Any, op: Any) -> Any:
    """A fetchable tensor holding the shape of a dropout RandomUniform (ops inside a cond are not fetchable)."""
    s = op.inputs[0]
    if g.is_fetchable(s.op):
        return s
    if s.op.type != "Shape":
        return None
    u = s.op.inputs[0]
    for _ in range(8):
        if g.is_fetchable(u.op):
            return tf.shape(u, out_type=s.dtype)
        if u.op.type in ("Switch", "Identity", "Mul", "RealDiv", "Cast", "Enter") and u.op.inputs:
            u = u.op.inputs[0]
            continue
        return None
    return None


def _dropout_feeds(m: Model, feed: dict[Any, Any], mode: str) -> dict[Any, Any]:
    """All-kept dropout masks: feed the dropout RandomUniform outputs with ones."""
    extra: dict[Any, Any] = {}
    live = [(out, st) for out, st, in_cond in m.dropout if mode == "train" or not in_cond]
    if not live:
        return extra
    shapes = m.sess.run([st for _, st in live], feed)
    for (out, _), shape in zip(live, shapes):
        extra[out] = np.ones(shape, out.dtype.as_numpy_dtype)
    return extra


def forward(req: dict[str, Any], models: dict[int, Model]) -> dict[str, Any]:
    m = models[req["model"]]
    mode = req["mode"]
    with np.load(req["in"]) as z:
        data = {k: z[k] for k in z.files}
    _set_weights(m, data)
    feed = _feed(m, data, mode)
    feed.update(_dropout_feeds(m, feed, mode))
    out_names = list(m.outputs)
    fetch = [m.outputs[n] for n in out_names] + [t for _, _, t in m.inter]
    ops = m.update_ops if mode == "train" else []
    res = m.sess.run([fetch, ops], feed)[0]
    arrays = {f"y:{i}": np.asarray(res[i]) for i in range(len(out_names))}
    for j in range(len(m.inter)):
        arrays[f"h:{j}"] = np.asarray(res[len(out_names) + j])
    if mode == "train":
        vals = m.sess.run(m.vars)
        for v, a in zip(m.vars, vals):
            arrays["s:" + (v.name.removesuffix(":0"))] = np.asarray(a)
    np.savez(req["out"], **arrays)
    return {"outputs": out_names,
            "intermediates": [{"name": n, "layer": n, "type": t} for n, t, _ in m.inter]}


def _train_graph(m: Model, opt_spec: dict[str, Any]) -> Any:
    tf = _tf()
    key = json.dumps(opt_spec, sort_keys=True)
    if key in m.train_graphs:
        return m.train_graphs[key]
    tg = Model()
    with m.graph.as_default(), tf.name_scope("migrate_check_train"):
        tg.targets = {}
        loss = None
        for i, (n, t) in enumerate(m.outputs.items()):
            if not t.dtype.base_dtype.is_floating:
                continue
            ph = tf.placeholder(t.dtype.base_dtype, None, name=f"target_{i}")
            tg.targets[i] = ph
            term = tf.reduce_mean(tf.square(t - ph))
            loss = term if loss is None else loss + term
        if loss is None:
            raise ValueError("no float output to train on")
        tg.scale = tf.placeholder(tf.float32, (), name="loss_scale")
        tg.loss = loss * tg.scale
        grads = tf.gradients(tg.loss, m.trainable)
        tg.pairs = [(g, v) for g, v in zip(grads, m.trainable) if g is not None]
        tg.grad_tensors = [tf.convert_to_tensor(g) for g, _ in tg.pairs]
        if m.declared_opt is not None:
            opt = m.declared_opt
        elif opt_spec["name"] == "sgd":
            if opt_spec.get("momentum"):
                opt = tf.train.MomentumOptimizer(opt_spec["lr"], opt_spec["momentum"])
            else:
                opt = tf.train.GradientDescentOptimizer(opt_spec["lr"])
        else:
            opt = tf.train.AdamOptimizer(opt_spec["lr"], opt_spec["beta1"], opt_spec["beta2"], opt_spec["eps"])
        d = _describe_tf1_opt(opt)
        args = "" if d is None else f"(lr={d['lr']:g}" + (f", epsilon={d['eps']:g}" if "eps" in d else "") + ")"
        tg.opt_name = f"tf.train.{type(opt).__name__}{args}"
        # Gradients are fetched in one run and applied in another: with TF1 ref variables an
        # apply op may otherwise overwrite a kernel while the backward pass still reads it.
        tg.grad_ph = [tf.placeholder(v.dtype.base_dtype, v.shape) for _, v in tg.pairs]
        tg.train_op = opt.apply_gradients(list(zip(tg.grad_ph, [v for _, v in tg.pairs])))
        tg.init = tf.variables_initializer(tf.global_variables())
    m.train_graphs[key] = tg
    return tg


def train(req: dict[str, Any], models: dict[int, Model]) -> dict[str, Any]:
    m = models[req["model"]]
    with np.load(req["in"]) as z:
        data = {k: z[k] for k in z.files}
    tg = _train_graph(m, req["optimizer"])
    m.sess.run(tg.init)
    _set_weights(m, data)
    feed = _feed(m, data, "train")
    feed.update(_dropout_feeds(m, feed, "train"))
    for i, ph in tg.targets.items():
        feed[ph] = data[f"t:{i}"]
    feed[tg.scale] = float(req.get("loss_scale", 1.0))
    losses = []
    arrays: dict[str, np.ndarray] = {}
    for step in range(int(req.get("steps", 1))):
        loss, grads, _ = m.sess.run([tg.loss, tg.grad_tensors, m.update_ops], feed)
        if step == 0:
            for (_, v), gv in zip(tg.pairs, grads):
                arrays["g:" + (v.name.removesuffix(":0"))] = np.asarray(gv)
        m.sess.run(tg.train_op, dict(zip(tg.grad_ph, grads)))
        losses.append(float(loss))
    vals = m.sess.run(m.vars)
    for v, a in zip(m.vars, vals):
        arrays["a:" + (v.name.removesuffix(":0"))] = np.asarray(a)
    np.savez(req["out"], **arrays)
    return {"losses": losses, "optimizer": tg.opt_name}


def main() -> None:
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import warnings

    warnings.simplefilter("ignore")
    tf = _tf()
    tf.disable_v2_behavior()
    try:
        import tensorflow as tf2

        tf2.config.experimental.enable_tensor_float_32_execution(False)
    except Exception:
        pass
    models: dict[int, Model] = {}
    handlers = {"load": load, "forward": forward, "train": train}
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req = json.loads(line)
        cmd = req.get("cmd")
        if cmd == "exit":
            break
        try:
            if cmd == "unload":
                m = models.pop(req["model"], None)
                if m is not None:
                    m.sess.close()
                resp: dict[str, Any] = {}
            else:
                resp = handlers[cmd](req, models)
            resp["ok"] = True
        except BaseException as e:  # report, keep serving
            resp = {"ok": False, "error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc(),
                    "where": cmd}
        proto.write(json.dumps(resp) + "\n")
        proto.flush()


if __name__ == "__main__":
    main()
