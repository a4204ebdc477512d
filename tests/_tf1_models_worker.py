"""Worker for tests/test_tf1_models.py (run in a subprocess, one TensorFlow flavour each).

    python tests/_tf1_models_worker.py tf1   <migrated_dir> <out.npz>
    python tests/_tf1_models_worker.py keras <migrated_dir> <out.npz> <tf1.npz>
    python tests/_tf1_models_worker.py shim  <migrated_dir> <out.npz> <tf1.npz>

``tf1``: the ORIGINAL TF1 model functions in graph mode (TF_USE_LEGACY_KERAS=1), records
the initial weights by TF1 name, outputs, and outputs after SGD steps. ``keras``: the
TF2130 classes of the migrated modules, eagerly on Keras 3, with the TF1 weights copied
through their ``TF1_VARIABLE_NAMES``. ``shim``: the TF2131 shim classes, eagerly on
legacy Keras (TF_USE_LEGACY_KERAS=1), weights copied by their (TF1) names.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SIDE, MIGRATED = sys.argv[1], Path(sys.argv[2])
OUT = sys.argv[3]
TF1_NPZ = dict(np.load(sys.argv[4])) if len(sys.argv) > 4 else {}

import tensorflow as tf

if SIDE == "tf1":
    tf = tf.compat.v1
    tf.disable_v2_behavior()

SOURCES = {
    "cnn": ROOT / "corpus" / "tf1" / "layers_cnn_batchnorm.py",
    "siamese": ROOT / "corpus" / "tf1" / "variable_scope_siamese.py",
    "fixture": ROOT / "tests" / "fixtures" / "tf1_to_tf2" / "model_function_keras" / "input.py",
    "vgg": ROOT / "corpus" / "tf1" / "slim_style_arg_scope.py",
    "drivenet": ROOT / "corpus" / "case_study" / "tf1" / "model.py",
    "slim": ROOT / "tests" / "fixtures" / "tf1_to_tf2" / "slim_model_function" / "input.py",
    "gan": ROOT / "corpus" / "tf1" / "gan_two_optimizers.py",
    "tower": ROOT / "corpus" / "tf1" / "multi_tower_device.py",
    "helper": ROOT / "tests" / "fixtures" / "tf1_to_tf2" / "model_function_variable_helper" / "input.py",
}

rng = np.random.RandomState(0)
DATA = {
    "cnn": (rng.rand(8, 12, 12, 1).astype(np.float32), np.array([0, 1, 2, 0, 1, 2, 0, 1], np.int32)),
    "siamese": (rng.randn(8, 6).astype(np.float32), rng.randn(8, 6).astype(np.float32), np.array([1, 1, 1, 1, 0, 0, 0, 0], np.float32)),
    "fixture": (rng.rand(6, 8, 8, 3).astype(np.float32), np.array([0, 1, 2, 0, 1, 2], np.int32)),
    "vgg": (rng.rand(4, 8, 8, 3).astype(np.float32), np.array([0, 1, 2, 3], np.int32)),
    "drivenet": (rng.rand(2, 4, 33, 64, 3).astype(np.float32),),
    "mlp": (rng.randn(8, 6).astype(np.float32), np.arange(8, dtype=np.int32) % 3),
    "convnet": (rng.rand(6, 9, 9, 2).astype(np.float32), np.arange(6, dtype=np.int32) % 2),
    "gan": (rng.uniform(-1, 1, (8, 4)).astype(np.float32), (rng.randn(8, 1) * 0.5 + 2.0).astype(np.float32)),
    "tower": (rng.randn(8, 3).astype(np.float32), rng.randn(8, 1).astype(np.float32)),
    "helper": (rng.rand(4, 6, 6, 2).astype(np.float32), np.array([0, 1, 2, 0], np.int32)),
    "decayed": (rng.randn(4, 3).astype(np.float32),),
}


def install_contrib() -> bool:
    """TF1 `tensorflow.contrib.slim` / `contrib.layers` from the tf-slim package (TF 1.15's
    slim, released separately), patched for the names TF 2.21 moved; False when absent."""
    try:
        import types

        import tf_keras.src.legacy_tf_layers as legacy_layers
        from tensorflow.python.framework import ops
        from tensorflow.python.ops import control_flow_ops

        ops.Tensor = tf.Tensor if SIDE != "tf1" else sys.modules["tensorflow"].Tensor
        control_flow_ops.cond = sys.modules["tensorflow"].compat.v1.cond
        sys.modules.setdefault("tf_keras.legacy_tf_layers", legacy_layers)
        import tf_slim
    except ImportError:
        return False
    contrib = types.ModuleType("tensorflow.contrib")
    contrib.slim = tf_slim
    contrib.layers = tf_slim
    sys.modules["tensorflow.contrib"] = contrib
    sys.modules["tensorflow.contrib.slim"] = tf_slim
    tf.contrib = contrib
    return True
results: dict[str, np.ndarray] = {}
DATA_X = {"fixture": DATA["fixture"][0], "convnet": DATA["convnet"][0]}


def load(case: str, migrated: bool):
    path = MIGRATED / f"{case}{'_k3' if SIDE == 'keras' else ''}.py" if migrated else SOURCES[case]
    spec = importlib.util.spec_from_file_location(f"m_{case}_{SIDE}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# -- TF1 graph side --------------------------------------------------------------------
def tf1_case(case: str, build, steps: int, lr: float, feeds_train, feeds_eval, fetch_extra=()):
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(0)
        outputs, loss, phs = build()
        update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
        with tf.control_dependencies(update_ops):
            train = tf.train.GradientDescentOptimizer(lr).minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for v in tf.global_variables():
                results[f"{case}/w/{v.op.name}"] = sess.run(v)
            for k, t in outputs.items():
                results[f"{case}/before/{k}"] = sess.run(t, feeds_eval(phs))
            if "train_out" in fetch_extra:
                results[f"{case}/before/train_logits"] = sess.run(outputs["logits"], feeds_train(phs))
                # that run did not update the moving averages (no train op)
            for _ in range(steps):
                sess.run(train, feeds_train(phs))
            for k, t in outputs.items():
                if steps:
                    results[f"{case}/after/{k}"] = sess.run(t, feeds_eval(phs))
            if "train_out" in fetch_extra:
                results[f"{case}/after/train_logits"] = sess.run(outputs["logits"], feeds_train(phs))
            for name in fetch_extra:
                if name != "train_out":
                    results[f"{case}/after/{name}"] = sess.run(g.get_tensor_by_name(name + ":0"))


def run_tf1() -> None:
    cnn = load("cnn", False)

    def b_cnn():
        images = tf.placeholder(tf.float32, [None, 12, 12, 1])
        labels = tf.placeholder(tf.int32, [None])
        is_training = tf.placeholder_with_default(False, [])
        logits = cnn.model_fn(images, is_training)
        return {"logits": logits}, tf.losses.sparse_softmax_cross_entropy(labels, logits), (images, labels, is_training)

    x, y = DATA["cnn"]
    tf1_case("cnn", b_cnn, 3, 0.1, lambda p: {p[0]: x, p[1]: y}, lambda p: {p[0]: x})

    sia = load("siamese", False)

    def b_sia():
        x1 = tf.placeholder(tf.float32, [None, 6])
        x2 = tf.placeholder(tf.float32, [None, 6])
        same = tf.placeholder(tf.float32, [None])
        o1 = sia.scale_shift(sia.tower(x1))
        o2 = sia.scale_shift(sia.tower(x2, reuse=True))
        loss = sia.contrastive_loss(o1, o2, same)
        return {"o1": o1, "loss": loss}, loss, (x1, x2, same)

    a, b, s = DATA["siamese"]
    feed = lambda p: {p[0]: a, p[1]: b, p[2]: s}
    tf1_case("siamese", b_sia, 20, 0.05, feed, feed)

    fix = load("fixture", False)

    def b_fix():
        images = tf.placeholder(tf.float32, [None, 8, 8, 3])
        labels = tf.placeholder(tf.int32, [None])
        is_training = tf.placeholder_with_default(False, [])
        logits = fix.classifier(images, is_training)
        return {"logits": logits}, tf.losses.sparse_softmax_cross_entropy(labels, logits), (images, labels, is_training)

    x, y = DATA["fixture"]
    tf1_case("fixture", b_fix, 3, 0.1, lambda p: {p[0]: x, p[1]: y, p[2]: True}, lambda p: {p[0]: x},
              fetch_extra=("train_out", "classifier/head/bn/moving_mean", "classifier/head/bn/moving_variance"))

    def b_loop():
        images = tf.placeholder(tf.float32, [None, 8, 8, 3])
        out = fix.loop_model(tf.reshape(images, [-1, 8 * 8 * 3]), 2)
        return {"out": out}, tf.reduce_mean(tf.square(out)), (images,)

    x, _y = DATA["fixture"]
    tf1_case("loop", b_loop, 2, 0.05, lambda p: {p[0]: x}, lambda p: {p[0]: x})

    vgg = load("vgg", False)

    def b_vgg():
        images = tf.placeholder(tf.float32, [None, 8, 8, 3])
        labels = tf.placeholder(tf.int32, [None])
        logits = vgg.vgg_tiny(images, is_training=False)
        return {"logits": logits}, tf.losses.sparse_softmax_cross_entropy(labels, logits), (images, labels)

    x, y = DATA["vgg"]
    tf1_case("vgg", b_vgg, 2, 0.05, lambda p: {p[0]: x, p[1]: y}, lambda p: {p[0]: x})

    if install_contrib():
        sl = load("slim", False)

        def b_mlp():
            x = tf.placeholder(tf.float32, [None, 6])
            y = tf.placeholder(tf.int32, [None])
            is_training = tf.placeholder_with_default(False, [])
            logits = sl.mlp(x, is_training)
            loss = tf.losses.sparse_softmax_cross_entropy(y, logits) + tf.losses.get_regularization_loss()
            return {"logits": logits, "loss": loss}, loss, (x, y, is_training)

        x, y = DATA["mlp"]
        # dropout would draw different masks: the steps run with is_training=False
        tf1_case("mlp", b_mlp, 3, 0.1, lambda p: {p[0]: x, p[1]: y}, lambda p: {p[0]: x, p[1]: y})

        def b_conv():
            images = tf.placeholder(tf.float32, [None, 9, 9, 2])
            y = tf.placeholder(tf.int32, [None])
            is_training = tf.placeholder_with_default(False, [])
            logits = sl.convnet(images, is_training)
            loss = tf.losses.sparse_softmax_cross_entropy(y, logits)
            return {"logits": logits}, loss, (images, y, is_training)

        x, y = DATA["convnet"]
        tf1_case("convnet", b_conv, 3, 0.1, lambda p: {p[0]: x, p[1]: y, p[2]: True}, lambda p: {p[0]: x},
                 fetch_extra=("train_out", "convnet/Conv/BatchNorm/moving_mean", "convnet/Conv/BatchNorm/moving_variance",
                              "convnet/BatchNorm/moving_mean", "convnet/BatchNorm/moving_variance"))

    gan = load("gan", False)

    def b_gan():
        # tf.Variable in `generator`, `if reuse: scope.reuse_variables()` in `discriminator`
        z = tf.placeholder(tf.float32, [None, 4])
        x = tf.placeholder(tf.float32, [None, 1])
        fake = gan.generator(z)
        _p, logit_real = gan.discriminator(x)
        _q, logit_fake = gan.discriminator(fake, reuse=True)
        loss = tf.reduce_mean(tf.square(logit_real - 1.0)) + tf.reduce_mean(tf.square(logit_fake)) + tf.reduce_mean(tf.square(fake - x))
        return {"fake": fake, "logit_real": logit_real, "logit_fake": logit_fake, "loss": loss}, loss, (z, x)

    z, xr = DATA["gan"]
    tf1_case("gan", b_gan, 5, 0.05, lambda p: {p[0]: z, p[1]: xr}, lambda p: {p[0]: z, p[1]: xr})

    tw = load("tower", False)

    def b_tower():
        # the multi-tower idiom: the root scope re-entered, towers sharing by reuse_variables(),
        # a computed second tensor (the labels' split) passed to the model function
        x = tf.placeholder(tf.float32, [8, 3])
        y = tf.placeholder(tf.float32, [8, 1])
        xs, ys = tf.split(x, 2), tf.split(y, 2)
        losses = []
        with tf.variable_scope(tf.get_variable_scope()):
            for i in range(2):
                losses.append(tw.tower_loss(xs[i], ys[i]))
                tf.get_variable_scope().reuse_variables()
        loss = tf.reduce_mean(tf.stack(losses))
        return {"loss0": losses[0], "loss": loss}, loss, (x, y)

    xt, yt = DATA["tower"]
    tf1_case("tower", b_tower, 5, 0.1, lambda p: {p[0]: xt, p[1]: yt}, lambda p: {p[0]: xt, p[1]: yt})

    hp = load("helper", False)

    def b_helper():
        # variable helpers (`_variable_on_cpu` with tf.device, `_weight`) inlined as the layer's
        # variables; `biases` names one variable after another
        images = tf.placeholder(tf.float32, [4, 6, 6, 2])
        labels = tf.placeholder(tf.int32, [4])
        x = tf.placeholder(tf.float32, [4, 3])
        logits = hp.inference(images)
        # weight-decay helpers: the terms in the collection 'losses' (the layer's `losses`)
        out = hp.decayed(x)
        decay = tf.add_n(tf.get_collection('losses'))
        loss = xent(labels, logits) + tf.reduce_mean(tf.square(out)) + decay
        return {"logits": logits, "decayed": out, "decay": decay}, loss, (images, labels, x)

    xh, yh = DATA["helper"]
    (xd,) = DATA["decayed"]
    tf1_case("helper", b_helper, 5, 0.1, lambda p: {p[0]: xh, p[1]: yh, p[2]: xd}, lambda p: {p[0]: xh, p[2]: xd})

    dn = load("drivenet", False)

    def b_dn():
        frames = tf.placeholder(tf.float32, [None, 4, 33, 64, 3])
        outs = dn.inference(frames, False)
        outs = {k: outs[k] for k in dn.OUTPUT_NAMES}
        return outs, tf.add_n([tf.reduce_mean(tf.square(v)) for v in outs.values()]), (frames,)

    (f,) = DATA["drivenet"]
    tf1_case("drivenet", b_dn, 0, 0.01, lambda p: {p[0]: f}, lambda p: {p[0]: f})


# -- eager sides -----------------------------------------------------------------------
def copy_weights(case: str, layers, keras3: bool) -> None:
    tf1 = {k.split("/w/", 1)[1]: v for k, v in TF1_NPZ.items() if k.startswith(case + "/w/")}
    used = set()
    for layer in layers:
        if hasattr(type(layer), "TF1_VARIABLE_NAMES"):
            # TF2130: Keras 3 `variable.path` / tf_keras `variable.name` is `<layer.name>/<value>`
            inv = {v: k for k, v in type(layer).TF1_VARIABLE_NAMES.items()}
            for var in layer.weights:
                path = var.path if keras3 else var.name.split(":")[0]
                rel = path[len(layer.name) + 1:]
                name = inv[rel]
                var.assign(tf1[name])
                used.add(name)
        else:
            for var in layer.weights:
                name = var.name.split(":")[0]
                var.assign(tf1[name])
                used.add(name)
    missing = set(tf1) - used
    assert not missing, f"{case}: TF1 variables not carried over: {sorted(missing)}"


def sgd(layers, loss_fn, steps: int, lr: float) -> None:
    variables = [v for layer in layers for v in layer.trainable_variables]
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = loss_fn()
        grads = tape.gradient(loss, variables)
        for v, g in zip(variables, grads):
            v.assign_sub(lr * g)


def xent(labels, logits):
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))


def after_bn_training(case: str, layer, bns: dict) -> None:
    """After training steps with batch norm in training mode: the training-mode outputs,
    the moving means and variances, then the inference outputs with TF1's moving variances.
    TF1's fused batch norm (4-D inputs, every slim.batch_norm) updated moving_variance with
    the unbiased batch variance (x n/(n-1)); Keras uses the biased one (TF2130 reports it):
    the test bounds that difference and checks everything else exactly."""
    saved = [v.numpy() for v in layer.non_trainable_weights]
    results[f"{case}/after/train_logits"] = layer(DATA_X[case], training=True).numpy()
    for v, s0 in zip(layer.non_trainable_weights, saved):
        v.assign(s0)
    for name, bn in bns.items():
        results[f"{case}/after/{name}/moving_mean"] = bn.moving_mean.numpy()
        results[f"{case}/after/{name}/moving_variance"] = bn.moving_variance.numpy()
        bn.moving_variance.assign(TF1_NPZ[f"{case}/after/{name}/moving_variance"])
    results[f"{case}/after/logits"] = layer(DATA_X[case], training=False).numpy()


def run_keras() -> None:
    cnn = load("cnn", True)
    x, y = DATA["cnn"]
    layer = cnn.ModelFn()
    layer(x, training=False)
    copy_weights("cnn", [layer], True)
    results["cnn/before/logits"] = layer(x, training=False).numpy()
    sgd([layer], lambda: xent(y, layer(x, training=False)), 3, 0.1)
    results["cnn/after/logits"] = layer(x, training=False).numpy()

    sia = load("siamese", True)
    a, b, s = DATA["siamese"]
    tower, norm = sia.Tower(), sia.ScaleShift()
    norm(tower(a))
    copy_weights("siamese", [tower, norm], True)

    def loss():
        return sia.contrastive_loss(norm(tower(a)), norm(tower(b)), s)

    results["siamese/before/o1"] = norm(tower(a)).numpy()
    results["siamese/before/loss"] = loss().numpy()
    sgd([tower, norm], loss, 20, 0.05)
    results["siamese/after/o1"] = norm(tower(a)).numpy()
    results["siamese/after/loss"] = loss().numpy()

    fix = load("fixture", True)
    x, y = DATA["fixture"]
    clf = fix.Classifier()
    clf(x, training=False)
    copy_weights("fixture", [clf], True)
    results["fixture/before/logits"] = clf(x, training=False).numpy()
    # a training-mode call updates the moving averages in Keras; restore them after
    saved = [v.numpy() for v in clf.non_trainable_weights]
    results["fixture/before/train_logits"] = clf(x, training=True).numpy()
    for v, s0 in zip(clf.non_trainable_weights, saved):
        v.assign(s0)
    sgd([clf], lambda: xent(y, clf(x, training=True)), 3, 0.1)
    after_bn_training("fixture", clf, {"classifier/head/bn": clf.head_bn})


def run_keras_gan() -> None:
    gan = load("gan", True)
    z, xr = DATA["gan"]
    gen, disc = gan.Generator(), gan.Discriminator()
    disc(gen(z))
    copy_weights("gan", [gen, disc], True)

    def outputs():
        fake = gen(z)
        _p, logit_real = disc(xr)
        _q, logit_fake = disc(fake)
        loss = tf.reduce_mean(tf.square(logit_real - 1.0)) + tf.reduce_mean(tf.square(logit_fake)) + tf.reduce_mean(tf.square(fake - xr))
        return {"fake": fake, "logit_real": logit_real, "logit_fake": logit_fake, "loss": loss}

    for k, v in outputs().items():
        results[f"gan/before/{k}"] = v.numpy()
    sgd([gen, disc], lambda: outputs()["loss"], 5, 0.05)
    for k, v in outputs().items():
        results[f"gan/after/{k}"] = v.numpy()


def run_keras_tower() -> None:
    tw = load("tower", True)
    xt, yt = DATA["tower"]
    layer = tw.TowerLoss()
    layer(xt[:4], yt[:4])
    copy_weights("tower", [layer], True)

    def outputs():
        losses = [layer(xt[4 * i:4 * i + 4], yt[4 * i:4 * i + 4]) for i in range(2)]
        return {"loss0": losses[0], "loss": tf.reduce_mean(tf.stack(losses))}

    for k, v in outputs().items():
        results[f"tower/before/{k}"] = v.numpy()
    sgd([layer], lambda: outputs()["loss"], 5, 0.1)
    for k, v in outputs().items():
        results[f"tower/after/{k}"] = v.numpy()


def run_keras_helper() -> None:
    hp = load("helper", True)
    xh, yh = DATA["helper"]
    (xd,) = DATA["decayed"]
    layer = hp.Inference()
    layer(xh)
    dec = hp.Decayed()
    dec(xd)
    copy_weights("helper", [layer, dec], True)

    def outputs():
        # TF1's tf.add_n(tf.get_collection('losses')): the weight-decay terms, in creation order
        return {"logits": layer(xh), "decayed": dec(xd), "decay": tf.add_n(layer.losses + dec.losses)}

    for k, v in outputs().items():
        results[f"helper/before/{k}"] = v.numpy()
    sgd([layer, dec], lambda: xent(yh, layer(xh)) + tf.reduce_mean(tf.square(dec(xd))) + tf.add_n(layer.losses + dec.losses), 5, 0.1)
    for k, v in outputs().items():
        results[f"helper/after/{k}"] = v.numpy()


def run_keras_slim() -> None:
    if not any(k.startswith("mlp/") for k in TF1_NPZ):
        return
    sl = load("slim", True)
    x, y = DATA["mlp"]
    mlp = sl.Mlp()
    mlp(x, training=False)
    copy_weights("mlp", [mlp], True)

    def loss():
        return xent(y, mlp(x, training=False)) + tf.add_n(mlp.losses)

    results["mlp/before/logits"] = mlp(x, training=False).numpy()
    results["mlp/before/loss"] = loss().numpy()
    sgd([mlp], loss, 3, 0.1)
    results["mlp/after/logits"] = mlp(x, training=False).numpy()
    results["mlp/after/loss"] = loss().numpy()

    x, y = DATA["convnet"]
    net = sl.Convnet()
    net(x, training=False)
    copy_weights("convnet", [net], True)
    results["convnet/before/logits"] = net(x, training=False).numpy()
    saved = [v.numpy() for v in net.non_trainable_weights]
    results["convnet/before/train_logits"] = net(x, training=True).numpy()
    for v, s0 in zip(net.non_trainable_weights, saved):
        v.assign(s0)
    sgd([net], lambda: xent(y, net(x, training=True)), 3, 0.1)
    after_bn_training("convnet", net, {"convnet/Conv/BatchNorm": net.Conv_BatchNorm, "convnet/BatchNorm": net.BatchNorm})


def run_shim() -> None:
    # the fixture module holds TF2130 classes and a TF2131 shim: on legacy Keras both work
    fix = load("fixture", True)
    x, y = DATA["fixture"]
    clf = fix.Classifier()
    clf(x, training=False)
    copy_weights("fixture", [clf], False)
    results["fixture@legacy/before/logits"] = clf(x, training=False).numpy()
    sgd([clf], lambda: xent(y, clf(x, training=True)), 3, 0.1)
    after_bn_training("fixture", clf, {"classifier/head/bn": clf.head_bn})
    for k in [k for k in results if k.startswith("fixture/")]:
        results[k.replace("fixture/", "fixture@legacy/")] = results.pop(k)

    flat = x.reshape(-1, 8 * 8 * 3)
    loop = fix.LoopModelShim()
    loop(flat, 2)
    copy_weights("loop", [loop], False)
    results["loop/before/out"] = loop(flat, 2).numpy()
    sgd([loop], lambda: tf.reduce_mean(tf.square(loop(flat, 2))), 2, 0.05)
    results["loop/after/out"] = loop(flat, 2).numpy()

    vgg = load("vgg", True)
    x, y = DATA["vgg"]
    layer = vgg.VggTinyShim()
    layer(x, is_training=False)
    copy_weights("vgg", [layer], False)
    results["vgg/before/logits"] = layer(x, is_training=False).numpy()
    sgd([layer], lambda: xent(y, layer(x, is_training=False)), 2, 0.05)
    results["vgg/after/logits"] = layer(x, is_training=False).numpy()

    dn = load("drivenet", True)
    (f,) = DATA["drivenet"]
    net = dn.InferenceShim()
    net(f, False)
    copy_weights("drivenet", [net], False)
    outs = net(f, False)
    for k in dn.OUTPUT_NAMES:
        results[f"drivenet/before/{k}"] = outs[k].numpy()


{"tf1": run_tf1, "keras": lambda: (run_keras(), run_keras_gan(), run_keras_tower(), run_keras_helper(), run_keras_slim()), "shim": run_shim}[SIDE]()
np.savez(OUT, **results)
print("OK", len(results))
