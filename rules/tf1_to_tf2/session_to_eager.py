"""TF2120: TF1 Session + placeholder + minimize scripts -> eager TF2 functions."""

from __future__ import annotations

import libcst as cst

from migrate.result import Category, Safety
from migrate.rule import Invalid, Rule, Valid
from rules.tf1_to_tf2 import _loss_collection
from rules.tf1_to_tf2 import _v1_optimizers as v1opt
from rules.tf1_to_tf2._common import tf_root
from rules.tf1_to_tf2._graph import (
    Helper,
    Plan,
    blank_count,
    build_function,
    build_helper,
    plan_for,
    walk,
)

_IN = """\
import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()


def main():
    xs = np.ones((4, 3), np.float32)
    x = tf.placeholder(tf.float32, [None, 3])
    w = tf.Variable(tf.zeros([3, 1]))
    y = tf.matmul(x, w)
    loss = tf.reduce_mean(tf.square(y - 1.0))
    train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(3):
            sess.run(train_op, feed_dict={x: xs})
        print(sess.run(loss, feed_dict={x: xs}))
"""

_OUT = """\
import numpy as np
import tensorflow as tf


def main():
    xs = np.ones((4, 3), np.float32)
    w = tf.Variable(tf.zeros([3, 1]))
    optimizer = tf.keras.optimizers.SGD(learning_rate=0.1)

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def train_step(x):
        with tf.GradientTape() as tape:
            y = tf.matmul(x, w)
            loss = tf.reduce_mean(tf.square(y - 1.0))
        variables = tape.watched_variables()
        gradients = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(gradients, variables))

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def compute_loss(x):
        y = tf.matmul(x, w)
        return tf.reduce_mean(tf.square(y - 1.0))

    for _ in range(3):
        train_step(xs)
    print(compute_loss(xs).numpy())
"""

_SAVER_IN = """\
import os

import tensorflow.compat.v1 as tf


def main(train_dir):
    w = tf.Variable(1.0, name='w')
    step = tf.Variable(0, trainable=False)
    bump = tf.assign_add(w, 1.0)
    saver = tf.train.Saver(max_to_keep=3)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(bump)
        path = os.path.join(train_dir, 'model.ckpt')
        saver.save(sess, path, global_step=step)
        saver.restore(sess, tf.train.latest_checkpoint(train_dir))
        print(sess.run(w))
"""

_SAVER_OUT = """\
import os

import tensorflow.compat.v1 as tf


def main(train_dir):
    w = tf.Variable(1.0, name='w')
    step = tf.Variable(0, trainable=False)

    @tf.function
    def bump():
        return tf.assign_add(w, 1.0)

    checkpoint = tf.train.Checkpoint(w=w, step=step)
    bump()
    path = os.path.join(train_dir, 'model.ckpt')
    tf.train.CheckpointManager(checkpoint, os.path.dirname(path), max_to_keep=3, checkpoint_name=os.path.basename(path)).save(checkpoint_number=step)
    checkpoint.restore(tf.train.latest_checkpoint(train_dir))
    print(w.numpy())
"""


_GET_VARIABLE_IN = """\
import tensorflow.compat.v1 as tf


def main():
    x = tf.placeholder(tf.float32, [None, 2])
    with tf.variable_scope('dense'):
        w = tf.get_variable('w', [2, 1], initializer=tf.truncated_normal_initializer(stddev=0.1))
        b = tf.get_variable('b', [1], initializer=tf.zeros_initializer())
    y = tf.matmul(x, w) + b
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        print(sess.run(y, {x: [[1.0, 2.0]]}))
"""

_GET_VARIABLE_OUT = """\
import tensorflow.compat.v1 as tf


def main():
    w = tf.Variable(tf.random.truncated_normal([2, 1], stddev=0.1), name='dense/w')
    b = tf.Variable(tf.zeros([1]), name='dense/b')

    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
    def compute_y(x):
        return tf.matmul(x, w) + b

    print(compute_y([[1.0, 2.0]]).numpy())
"""


class SessionToEager(Rule):
    """Turns a TF1 Session script (placeholders, graph, optimizer, `sess.run`) into eager TF2.

    What it does: for a file with the canonical TF1 shape, rewrites the whole script at
    once. Placeholders become the arguments of `tf.function`s (with an `input_signature`
    of `tf.TensorSpec`s taken from the placeholder, so fed values are converted to the
    placeholder dtype as `feed_dict` did); the graph statements a `sess.run` needs (a
    backward slice from its fetches) move into that function; `sess.run(fetches,
    feed_dict={x: a})` becomes a call returning the same fetches as NumPy values (single
    tensor, list, tuple or dict); `opt = tf.train.XOptimizer(...)` +
    `train = opt.minimize(loss)` + `sess.run(train, ...)` becomes a train-step function
    with `tf.GradientTape`, `tape.gradient` and `optimizer.apply_gradients`, using the
    `tf.keras.optimizers` counterpart with TF1's defaults pinned (GradientDescent -> SGD,
    Momentum -> SGD(momentum=, nesterov=), Adam -> Adam(epsilon=1e-08), Adagrad ->
    Adagrad(epsilon=0.0), Adadelta -> Adadelta(epsilon=1e-08), Ftrl -> Ftrl); `var_list=` is
    kept, `minimize(loss + reg)` gets a loss statement, `global_step=` (a plain
    `tf.Variable`) becomes `global_step.assign_add(1)`. `train =
    tf.contrib.layers.optimize_loss(loss, global_step, <float>, '<Adam|Adagrad|Ftrl|Momentum|RMSProp|SGD>',
    clip_gradients=<float>)` (or a tf.train optimizer class or instance) is the same train
    step: the optimizer it built (Momentum with momentum=0.9, RMSProp as the TF1RMSProp class) made where the call was, `tf.clip_by_global_norm` on the gradients when
    it clipped, an inline `tf.train.get_or_create_global_step()` a named int64 variable,
    and the train op's fetched value (the loss before the update) what the step returns;
    other arguments and optimizer forms are refused with their reason (_optimize_loss.py).
    A learning rate decayed by that
    global step (`tf.train.exponential_decay`, `piecewise_constant`, `polynomial_decay`,
    `cosine_decay`, `inverse_time_decay`) becomes the `tf.keras.optimizers.schedules`
    counterpart, which the optimizer evaluates at `optimizer.iterations`: converted only
    when that equals the global step (a variable starting at 0 that only this optimizer's
    minimize advances, the rate used by nothing else). For optimizers that no Keras
    optimizer reproduces, RMSProp (TF1 starts its mean square at 1.0, Keras at 0) and
    Momentum with a decayed rate (TF1 accumulates raw gradients, Keras SGD
    learning-rate-scaled steps) become `TF1RMSProp(...)` / `TF1Momentum(...)`, a small
    tf.Module defined once after the file's imports that applies TF1's update rule (slots
    made once, TF1's arguments as keywords, use_locking dropped); ProximalGradientDescent,
    ProximalAdagrad, and RMSProp/Momentum in a file with sparse reads (TF1 updated only the
    looked-up rows) stay TF1 objects, `tf.compat.v1.train.X(...)` created once, in the eager
    program, each one manual finding. Either way the train step calls
    `opt.apply_gradients(zip(gradients, variables), global_step=gs)`, a decayed rate becomes
    `learning_rate=lambda: schedule(gs)`, and the finding says why no Keras optimizer
    computes the same and what Keras code to write when the difference is accepted. For such
    an optimizer, schedules the program also computes with (`lr = tf.minimum(exp_lr,
    pw_lr)`, fetched rates, `piecewise_constant(tf.cast(gs, tf.int32), ...)`) become
    tensors, `tf.keras.optimizers.schedules.X(...)(step)`, computed where they are used,
    and the optimizer gets `def current_lr(): ...` computing its rate from the step.
    `gs = tf.train.get_or_create_global_step()` (called once) becomes `tf.Variable(0,
    dtype=tf.int64, trainable=False, name="global_step")`.
    `gv = opt.compute_gradients(loss[, var_list])`, statements that transform the
    gradients (`tf.clip_by_value`/`clip_by_norm` comprehensions, `tf.clip_by_global_norm`)
    and `train = opt.apply_gradients(f(gv)[, global_step])` become, after the tape,
    `gv = list(zip(tape.gradient(loss, variables), variables))`, the same statements and
    `opt.apply_gradients(f(gv))`: without `var_list` the tape lists only the variables the
    loss read (TF1 also listed the others, with None gradients), so a gradient list that
    is indexed or counted needs `var_list`. `gate_gradients=`, aggregation options, and
    gradients used outside their train step are not converted, except a value computed
    from them (`clip_by_global_norm`'s norm) fetched with the train op: the train step
    returns it. The multi-tower recipe (CIFAR-10's multi-GPU training: `with
    tf.variable_scope(tf.get_variable_scope()):` around `for i in range(N):` towers under
    `tf.device`/`tf.name_scope` blocks, each calling a model function that TF2130 makes a
    Keras object, `tf.get_variable_scope().reuse_variables()`, `grads =
    opt.compute_gradients(loss)` appended to a list that statements (an averaging helper)
    turn into the pairs of one `opt.apply_gradients`) becomes that loop in the train step,
    each tower's statements before compute_gradients under its own tape and `grads =
    list(zip(tape.gradient(loss, variables), variables))` over `tape.watched_variables()`,
    then the same statements and one apply_gradients; the re-entered root scope and
    `reuse_variables()` go (sharing is the one object), `with tf.Graph().as_default(),
    tf.device(...):` around the program goes (the device reported), and a tower's
    `name_scope(...) as scope` string read after the loop is bound where the loop stood by
    the same loop of `tf.name_scope` blocks (rules/tf1_to_tf2/_towers.py).
    `with tf.control_dependencies([train]): op = tf.no_op()` names the train op
    (the block goes; a run of `op` is the train step). A helper that builds the optimizer
    and the train op (the CIFAR-10 `train(total_loss, global_step)`), defined before the
    function that makes the Session, called there once with variables of its parameters'
    names and returning the names it is assigned to, has its statements put at its call
    (the def goes). A weight-decay collection that TF2130 moved into its objects' `losses`
    (`tf.add_to_collection('losses', ...)` in a loss helper that returns
    `tf.add_n(tf.get_collection('losses'))`) becomes a list parameter of that helper
    (`tf.add_n(regularization_losses + [xent])`, called with `obj.losses`), and
    `len(tf.get_collection('losses'))` after the runs `len(obj.losses) + 1`. `tf.Variable`s (also those made
    by helper functions such as `weight_variable(shape)`) stay where they were built, so
    they are created once. Tensors computed only from constants stay where they are and
    are evaluated eagerly. Graph code that every function needs (3 statements or more)
    becomes one plain `forward(...)` helper they call. A feed dict built in a variable
    (`feed = {x: xs}`) gets string keys and is passed as `step(**feed)`. `tf.global_variables_initializer()`, `sess.run(init)`,
    `x.initializer.run()`, `tf.Session()` / `InteractiveSession()` /
    `get_default_session()` (and their `ConfigProto`), `sess.close()` and
    `tf.disable_v2_behavior()` disappear; `x.eval()` and `op.run()` are handled like
    `sess.run`; `tf.set_random_seed` becomes `tf.random.set_seed`.
    `saver = tf.train.Saver(max_to_keep=k)` becomes `checkpoint = tf.train.Checkpoint(...)`
    of the variables, Keras objects and optimizers built before it (what the Saver saved:
    every global variable, optimizer slots included); `saver.save(sess, path,
    global_step=gs)` becomes a `tf.train.CheckpointManager` over `path`'s directory named
    like `path`, so the files (`model.ckpt-<gs>`), the `checkpoint` state file read by
    `tf.train.latest_checkpoint` and the `max_to_keep` pruning stay as they were;
    `saver.save(sess, path)` becomes `checkpoint.write(path)` and `saver.restore(sess,
    path)` `checkpoint.restore(path)`. The new checkpoints are object-based: TF1 ones
    written before the migration are converted with `migrate convert-checkpoint`.
    `tf.summary.scalar`/`histogram` statements, `merge_all()`/`merge([...])`, a
    `tf.summary.FileWriter` and `summary = sess.run(merged, ...)` followed by
    `writer.add_summary(summary, step)` become `tf.summary.create_file_writer` and a
    function (the train step itself when the summary was fetched with the train op) that
    writes the summaries under `writer.as_default()` with `step=`, called with the step.
    A summary op under `if <Python value>:` at the top level of the function that runs the
    session is written under the same test (refused when the test's names are assigned
    later, or in a helper); a Keras learning-rate schedule that is summarised, or fetched
    without the train op, is read as `lr(global_step)` (TF1's tensor of the step).
    A one-shot `tf.data` iterator over a dataset built from Python values
    (`it = ds.make_one_shot_iterator()`, `tf.data.make_one_shot_iterator(ds)`) becomes
    `it = iter(ds)`; the names of `it.get_next()` become the arguments of the functions
    that need them, and each run call draws its element with `it.get_next()` (one
    element per run as in TF1; the end still raises `tf.errors.OutOfRangeError`). An
    input function that builds such a pipeline from its arguments and returns
    `iterator.get_next()`, called only as `x, y = input_fn(...)` statements, returns
    `iter(dataset)` instead and its calls bind that iterator. An initializable iterator
    (`it = ds.make_initializable_iterator()`) over a pipeline built from placeholders
    becomes a function of those placeholders returning the dataset (`make_dataset(...)`,
    the fed values converted to the placeholder dtypes as feed_dict did), and each
    `sess.run(it.initializer, feed_dict={...})` becomes `it = iter(make_dataset(...))`:
    the runs after it draw from that iterator, as TF1 drew from the iterator initialised
    last.
    `w = tf.get_variable('w', shape, initializer=...)` in straight-line graph code of
    the function that runs the session or of the module (not in a loop, a branch or a
    function called more than once) becomes `w =
    tf.Variable(<initial value>, name='<scope>/w')`, created once where it was, with its
    TF1 name, dtype and `trainable=False` kept; `with tf.variable_scope('s'):` blocks
    around such code disappear (their statements are dedented, the names prefixed, also
    those of plain `tf.Variable`s in them: `'s/Variable'`, `'s/Variable_1'`, ...). The
    initial value comes from the initializer (`rules/tf1_to_tf2/tables/initializers.json`):
    zeros/ones/constant(number) -> `tf.zeros`/`tf.ones`/`tf.constant(v, shape=, dtype=)`,
    truncated_normal/random_normal/random_uniform -> `tf.random.truncated_normal`/`normal`/
    `uniform` (same defaults as TF1), glorot_uniform (get_variable's default for floats;
    zeros for integers) and glorot_normal -> `tf.keras.initializers.GlorotUniform()(shape)`
    / `GlorotNormal` (without seed= these draw their seed from Python's `random`, not from
    `tf.random.set_seed`: the finding says so). Scope reuse (`reuse=True`/`AUTO_REUSE`), scope arguments,
    `regularizer=`, `partitioner=`, `collections=`, custom getters, constraints, other
    initializers, computed names or shapes and repeated names are not converted (the
    manual item says which).
    A queue-runner pipeline built by a module-level input function (`q =
    tf.train.string_input_producer(files, shuffle=False)`, `reader = tf.TextLineReader()`,
    `_, value = reader.read(q)`, per-record code, `return tf.train.batch([x, y],
    batch_size)` with one enqueuing thread) becomes `tf.data.TextLineDataset(files)
    .repeat()`, `.map()` of a function holding the per-record code, `.batch(batch_size)`,
    and the function returns `iter(dataset)` like the input functions above (one batch per
    run, in the file order, as TF1's single-threaded FIFO queues gave them;
    `tf.TFRecordReader` reads a TFRecordDataset, `tf.train.slice_input_producer([xs, ys],
    shuffle=False)` is `Dataset.from_tensor_slices((xs, ys))`, `num_epochs=n` is
    `repeat(n)` with TF1's dropped last batch kept as `drop_remainder=True`, and a
    helper `read_and_decode(filename_queue)` holding the reader becomes the map function
    `read_and_decode(serialized_example)`); the
    Coordinator, start_queue_runners, `if coord.should_stop(): break`,
    request_stop/join (and the `try:`/`finally:` around them) and the
    local_variables_initializer run go, `while not coord.should_stop():` becomes `while
    True:` (the end raises OutOfRangeError as the dequeue did). Other queue pipelines
    (`shuffle_batch`, shuffled producers, several threads, other readers) are not
    converted: the manual
    item says why and writes out the tf.data pipeline to use, from the file's own
    producer, reader, decoder and batch calls.

    Model functions that TF2130 turns into Keras layers in the same run compose with this
    rewrite: their calls are calls of the object TF2130 creates once (`logits =
    model_fn_layer(x, training=True)` inside the step functions, its variables made by
    its first call and owned by it); `minimize(..., var_list=tf.trainable_variables())`
    (or `global_variables()`) uses the variables the tape watched;
    `tf.losses.get_regularization_loss()` (and `tf.add_n` of the REGULARIZATION_LOSSES
    collection) becomes `tf.add_n(obj.losses + ...)` over the objects whose functions
    create regularized variables (`tf.constant(0.0)` when none does); `update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)` and `with
    tf.control_dependencies(update_ops):` around the train op disappear (Keras batch
    normalization updates its moving statistics in `call(training=True)`). Converted only
    when that is what TF1 did: each object call gets a literal `training=` (Keras layers
    branch on a Python bool, not on a fed placeholder; a `tf.bool` placeholder used only
    as that argument and fed a literal `True`/`False` by every run that needs it becomes
    the literal in each run's function), batch normalization runs in
    training mode only in the run of that train op and once per run (or in the unit's
    last run, once, outside loops and branches, followed by plain Python only: the moving
    statistics Keras updates there are never read), the regularization
    sum follows every call of the regularized objects, and no activity regularizer is
    involved. A batch normalization that TF1 ran with its fused kernel (a 2-D convolution
    or pooling output, default or literal 1/3 axis; every slim.batch_norm) trained and then
    evaluated with `training=False` becomes `TF1FusedBatchNormalization`, a
    BatchNormalization subclass defined once in the file whose training-mode update moves
    moving_variance toward the unbiased batch variance (x n/(n-1)) as TF1's fused kernel
    did (Keras 3 uses the biased one, so every evaluation after training would differ;
    rules/tf1_to_tf2/_fused_batch_norm.py, tests/test_tf1_fused_batch_norm.py); refused
    when the function passes `fused=` or a computed `axis=`. `len(update_ops)` after a run that called the object
    becomes `len(obj.non_trainable_weights)` (two update ops, moving mean and variance,
    per batch normalization), and `tf.get_default_graph().get_tensor_by_name('<v>:0')`
    fetched by a run, `v` a TF1 name in the object's TF1_VARIABLE_NAMES, becomes a read
    of the object's attribute (`model_fn_layer.bn1.moving_mean.numpy()`).
    `tf.trainable_variables()` read elsewhere becomes the objects'
    `trainable_variables` after a `get_concrete_function()` trace that builds them (see
    _collections.py); `len(slim.get_model_variables())` (or `tf.model_variables()`) of
    objects made of slim layers only becomes `len(obj.weights)` (_model_variables.py); a
    dict of tensors returned by the model (slim's end points) and fetched is converted by
    `tf.nest.map_structure(lambda t: t.numpy(), ...)`; TF-Slim programs are first rewritten
    into TF1 that this converts (_slim_prepare.py: an arg_scope function returning `sc`
    folded into the model, slim.repeat, end points collections, slim.losses and
    slim.learning.create_train_op; a refusal names the idiom left and why);
    `tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, scope='online')`
    whose literal scope is exactly one object's (`QNetwork(name='online')`) becomes
    `q_network_layer.trainable_variables`, moved after the generated functions when read
    before them (a kept TF1 optimizer's `var_list` then takes `[v.value for v in ...]`),
    and a helper that pairs two scopes' name-sorted GLOBAL_VARIABLES with
    `tf.group(*[tf.assign(d, s) for s, d in zip(src, dst)])` (a target-network copy),
    called with the literal scopes of two objects of one model function before any
    optimizer made slots, takes the objects and assigns in a loop over
    `zip(src.variables, dst.variables)` (the same pairs). In straight-line Session code
    whose variables all come from named `tf.Variable`/`tf.get_variable` statements of the
    function that reads, an unscoped `tf.trainable_variables()` (or
    `get_collection(TRAINABLE_VARIABLES)`) becomes the list of the trainable variables
    made before the read, in TF1's creation order (layers, cells, helpers, `reuse=`, a
    computed `trainable=`, `collections=` or a name bound twice are refused), and
    `tf.gradients(loss, tvars)` applied by `opt.apply_gradients(zip(grads, tvars))`
    (through `clip_by_global_norm` or not) becomes `tape.gradient` in the train step.
    Other collection reads stay manual findings, each with its reason.

    Graph control flow moves into the functions with the statements that build it, where
    it means what it meant in TF1: `tf.cond` / `tf.while_loop` whose branches and loop
    functions (lambdas or functions of the file) hold no stateful op, create no variable
    and return no one-element list (TF1's cond and while_loop unpack those, TF2's do
    not); a top-level `for` over Python values or `with tf.control_dependencies(...):`
    block that builds graph ops is one graph statement, moved whole (with the
    `updates = []` list it appends to), when each stateful op in it feeds what the block
    defines and the list is only used whole, so a function runs the updates its TF1 run
    ran; graph code under `if <Python value>:` (a flag) moves under the same `if` into
    the functions, its variables staying where they are under the same test (no stateful
    op, no call in the test: it is evaluated when the function is traced); a fetched
    `tf.group` becomes a function that returns nothing; `tf.gradients`
    stays inside the `tf.function` (valid TF2; eagerly it raises) or, when its xs are
    trainable `tf.Variable`s and the function has no train op, becomes `tape.gradient`
    with the statements before it under `with tf.GradientTape() as tape:`; one explicit `g = tf.Graph()` used only by `with
    g.as_default():` and `tf.Session(graph=g)` goes with its `with`; `p.initialized_value()`
    in a variable's initial value, before any run, becomes `p`.

    Loops over Python values that create variables stay where they are (the variables
    are made once, as in TF1); loops that build tensors (stacking layers by rebinding a
    name, filling a list or dict of tensors) move whole.

    TF1 RNN cells: BasicLSTMCell/LSTMCell/GRUCell unrolled by `tf.nn.dynamic_rnn` become
    Keras LSTM/GRU layers created once (GRU with `reset_after=False`, TF1's math), a
    sequence_length a mask; a MultiRNNCell of GRUCells or LSTM cells (each alone or in a
    DropoutWrapper(output_keep_prob=)) unrolled by `tf.nn.static_rnn` becomes a list of
    Keras GRU/LSTM layers, each called over the previous one's outputs on the steps stacked
    along time (tf.unstack gives the per-step outputs back; the output dropout is
    tf.nn.dropout(rate=1 - keep_prob) after each layer), and `tf.trainable_variables()`
    listing their variables is read after a trace that builds them. Before the
    analysis, an equivalent TF1 form is tried (kept only when it converts; otherwise its
    reason is reported): a graph-building function returning a dict of tensors that one
    other function runs is written into that function (`m['loss']` -> `loss`, its
    parameters bound first), one cell unrolled by static_rnn is unrolled by dynamic_rnn over
    the stacked steps, an LSTM state fetched whole fetches the parts read, a cell's zero
    state fetched and fed back unchanged goes, a MultiRNNCell's final state read by
    layer fetches that layer's state (its `.h` / `.c` when that is all that is read), a
    cell-making helper called by one list comprehension is written into it, and an
    optimizer built inline in its apply_gradients call gets a statement of its own.

    When the file does anything this does not recognise (collections, a stateful op in a
    `tf.cond` branch (TF1 runs it only when the branch's outputs need it), a stateful op
    no run can fetch (`tf.assign(w, 0)` as a bare statement, in a loop or under an
    `if`: TF1 never ran it, eager code would), control
    dependencies elsewhere than such blocks, `tf.case`, queues, `variable_scope`/`get_variable`
    other than above,
    `tf.layers` outside those model functions, several graphs, re-initialised
    variables, optimizers with neither a Keras counterpart nor a kept TF1 form
    (AdagradDA), a Saver over variables that have no name of
    their own, summaries, a tensor used outside `sess.run`, ...), nothing is restructured: one manual finding says why,
    and the symbol-level rules keep the file working through `tf.compat.v1`.

    Why: TF2 has no sessions or placeholders; `tf.compat.v1.Session` keeps the program on
    the legacy graph runtime. TensorFlow's own upgrade script leaves exactly these names
    behind.

    Example: see the INVALID example below.

    Fix safety: unsafe (applied with --unsafe-fixes). The program is restructured:
    module-level tensor names vanish (other modules importing them break), moved code
    runs inside `tf.function` (Python side effects run when it is traced), and TF2 eager
    random streams differ from TF1 graph ones for the same seed, so randomly initialised
    or dropout-dependent numbers change. Without random ops, the rewrite computes the
    same numbers as TF1 up to float rounding: `tests/test_tf1_structural.py` runs
    migrated corpus programs with plain TF2 against the TF1 results (random initial
    values carried over). Keras SGD with momentum orders the momentum update differently
    (same values for a constant learning rate, rounding apart).
    The rule runs only with --unsafe-fixes: its whole-file analysis is the costliest step
    of the pack, and without unsafe fixes nothing it finds could be applied (TF2001 still
    reports every Session, placeholder and optimizer as a manual item).
    """

    ID = "TF2120"
    UNSAFE_ONLY = True  # see "Fix safety": nothing to apply or report without --unsafe-fixes
    RESTRUCTURES = True  # the other rules' findings on code it replaced are dropped (Rule.RESTRUCTURES)
    NAME = "session-to-eager"
    MESSAGE = "TF1 Session/placeholder code becomes eager TF2 functions"
    SAFETY = Safety.UNSAFE
    CATEGORY = Category.MANDATORY
    EFFORT = "redesign"

    VALID = [
        Valid("import tensorflow as tf\n\n@tf.function\ndef f(x):\n    return x * 2\n\nprint(f(tf.constant(1.0)).numpy())\n"),
        Valid("import tensorflow as tf\nx = tf.constant(1.0)\n"),
    ]
    INVALID = [
        Invalid(_IN, "import numpy as np\nimport tensorflow.compat.v1 as tf\n" + _OUT.split("import tensorflow as tf\n", 1)[1], message="eager"),
        Invalid(
            "import tensorflow.compat.v1 as tf\n\ndef main():\n    c = tf.constant([1.0, 2.0]) * 2\n    with tf.Session() as sess:\n        print(sess.run([c, c]))\n",
            "import tensorflow.compat.v1 as tf\n\ndef main():\n    c = tf.constant([1.0, 2.0]) * 2\n    print([c.numpy(), c.numpy()])\n",
        ),
        Invalid(_SAVER_IN, _SAVER_OUT, message="Checkpoint"),
        Invalid(_GET_VARIABLE_IN, _GET_VARIABLE_OUT, message="eager"),
        Invalid(_GET_VARIABLE_IN.replace("variable_scope('dense')", "variable_scope('dense', reuse=tf.AUTO_REUSE)"), None,
                message="reuse"),
        Invalid(
            "import tensorflow.compat.v1 as tf\n\ndef main():\n    x = tf.placeholder(tf.float32)\n    y = tf.cond(x > 0, lambda: x, lambda: -x)\n    with tf.Session() as sess:\n        print(sess.run(y, {x: 1.0}))\n",
            "import tensorflow.compat.v1 as tf\n\ndef main():\n\n    @tf.function(input_signature=[tf.TensorSpec(None, tf.float32)])\n    def compute_y(x):\n        return tf.cond(x > 0, lambda: x, lambda: -x)\n\n    print(compute_y(1.0).numpy())\n",
        ),
        Invalid(
            "import tensorflow.compat.v1 as tf\n\ndef main():\n    x = tf.placeholder(tf.float32)\n    n = tf.Variable(0.0)\n\n    def bump():\n        tf.assign_add(n, 1.0)\n        return tf.identity(x)\n\n    y = tf.cond(x > 0, bump, lambda: -x)\n    with tf.Session() as sess:\n        sess.run(tf.global_variables_initializer())\n        print(sess.run(y, {x: 1.0}))\n",
            None,
            message="feeds neither the branch's result nor a control dependency",
        ),
    ]

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.plan: Plan | None = None
        # TF2130 may leave a weight-decay collection's reads to this rule (_loss_collection.py)
        ctx.state[_loss_collection.ENABLED] = True

    @property
    def SCOPE(self) -> str | None:  # type: ignore[override]
        """Without --unsafe-fixes nothing is analysed or applied, so the engine may skip
        statements that spell no TensorFlow name (see migrate.engine.transform.NAMES)."""
        return None if self.ctx.unsafe_fixes else "names"

    # -- decide ----------------------------------------------------------------------------
    def visit_Module(self, node: cst.Module) -> None:
        # UNSAFE_ONLY: the engine runs this rule only with --unsafe-fixes
        plan = plan_for(self.ctx)
        self.plan = plan
        if not plan.relevant:
            return
        if not plan.active:
            return  # reported in leave_Module
        # all-or-nothing: one finding decides; a suppression anywhere in the rewritten code
        # leaves the whole file alone
        for n in self._touched():
            if self.ctx._is_suppressed(self.ID, self.ctx.range_of(n)):
                self.flag(plan.anchor or node, "TF1 Session code not converted: a `# migrate: ignore` covers part of it")
                return
        self._record(node)
        plan.apply = self.ctx.last_finding_applied()
        if plan.apply:
            for module in sorted(plan.imports):
                self.add_import(module)
            for mod, obj, asname in sorted(plan.removed_imports, key=str):
                self.remove_import(mod, obj, asname)

    def _record(self, module: cst.Module) -> None:
        """The findings of the rewrite: one for the whole conversion (its status decides
        whether anything is applied), one per optimizer with its pinned defaults."""
        plan = self.plan
        assert plan is not None
        message = plan.summary
        if plan.unsafe_why:
            message += " (unsafe: " + "; ".join(plan.unsafe_why) + ")"
        anchor = plan.anchor or module
        for onode, note in plan.optimizer_notes + plan.checkpoint_notes:
            self.fix(onode, onode, onode, message=note, safety=plan.safety, effort="complex")
        for onode, note in plan.kept_optimizers:  # applied, and a person decides on it
            self.fix(onode, onode, onode, message=note, safety=plan.safety, effort="complex", manual=True)
        self.fix(anchor, anchor, anchor, message=message, safety=plan.safety)

    def _touched(self) -> list[cst.CSTNode]:
        plan = self.plan
        assert plan is not None
        an = plan.analysis  # type: ignore[attr-defined]
        out: list[cst.CSTNode] = list(plan.dropped)
        for u in an.units.values():
            for s in u.stmts:
                if id(s.node) in plan.remove or id(s.node) in plan.capture:
                    out.append(s.node)
        for site in an.run_sites:
            out.append(site[2])
        return out

    def _on(self) -> bool:
        return self.plan is not None and self.plan.apply

    # -- apply -----------------------------------------------------------------------------
    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if not self._on():
            return updated_node
        assert self.plan is not None
        build = self.plan.call_builders.get(id(original_node))
        return build(updated_node) if build is not None else updated_node

    def _node(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> cst.CSTNode:
        if not self._on():
            return updated_node
        assert self.plan is not None
        build = self.plan.node_builders.get(id(original_node))
        return build(updated_node) if build is not None else updated_node

    # an LSTM state tuple read as `state.h` / `state[0]` and its `outputs, state` target (_rnn.py)
    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        return self._node(original_node, updated_node)  # type: ignore[return-value]

    def leave_Subscript(self, original_node: cst.Subscript, updated_node: cst.Subscript) -> cst.BaseExpression:
        return self._node(original_node, updated_node)  # type: ignore[return-value]

    def leave_Tuple(self, original_node: cst.Tuple, updated_node: cst.Tuple) -> cst.BaseExpression:
        return self._node(original_node, updated_node)  # type: ignore[return-value]

    def leave_SimpleStatementLine(self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine):  # type: ignore[no-untyped-def]
        if not self._on():
            return updated_node
        plan = self.plan
        assert plan is not None
        oid = id(original_node)
        if oid in plan.capture:
            plan.captured[oid] = updated_node
        if oid in plan.splice:  # a train helper's call: its statements, transformed (_train_helpers.py)
            out: list[cst.BaseStatement] = list(plan.splice_bodies.pop(plan.splice[oid]))
            if out:
                out[0] = out[0].with_changes(leading_lines=list(updated_node.leading_lines))
        elif oid in plan.remove:
            out = []
        elif oid in plan.stmt_builders:
            out = plan.stmt_builders[oid](updated_node)
        else:
            out = [updated_node]
        return self._finish(original_node, out)

    def _finish(self, original_node: cst.CSTNode, out: list[cst.BaseStatement]):  # type: ignore[no-untyped-def]
        plan = self.plan
        assert plan is not None
        oid = id(original_node)
        carried = plan.comments_before.get(oid)
        if carried and out:
            first = out[0]
            lead = list(getattr(first, "leading_lines", ()))
            blanks = [ln for ln in lead if ln.comment is None]
            out[0] = first.with_changes(leading_lines=blanks + carried + [ln for ln in lead if ln.comment is not None])
        want = plan.blank_before.get(oid)
        if want and out:
            first = out[0]
            lead = list(getattr(first, "leading_lines", ()))
            missing = want - blank_count(lead)
            if missing > 0:
                out[0] = first.with_changes(leading_lines=[cst.EmptyLine(indent=False)] * missing + lead)
        if oid in plan.inserts:
            root = tf_root(self.ctx)
            an = plan.analysis  # type: ignore[attr-defined]
            for var in plan.inserts[oid]:
                if isinstance(var, Helper):
                    out.append(build_helper(plan, var, oid in plan.module_level))
                elif hasattr(var, "statements"):  # lines moved after the functions (_collections.LateLines)
                    out.extend(var.statements())
                else:
                    out.append(build_function(plan, var, root, oid in plan.module_level, an.code))
        if len(out) == 1 and out[0] is not None:
            return out[0]
        if not out:
            return cst.RemovalSentinel.REMOVE
        return cst.FlattenSentinel(out)

    def leave_With(self, original_node: cst.With, updated_node: cst.With):  # type: ignore[no-untyped-def]
        if not self._on():
            return updated_node
        assert self.plan is not None
        if id(original_node) not in self.plan.unwrap:
            return self._compound(original_node, updated_node)
        body = updated_node.body
        assert isinstance(body, cst.IndentedBlock)
        stmts = list(body.body)
        if len(stmts) == 1 and _only_pass(stmts[0]) and not any(_only_pass(b) for b in original_node.body.body):  # type: ignore[attr-defined]
            stmts = []  # everything in it moved (a tower loop's re-entered root scope, _towers.py)
        if stmts:
            first = stmts[0]
            lead = list(updated_node.leading_lines)
            if body.header.comment is not None:  # `with ...:  # comment` keeps its comment
                lead.append(cst.EmptyLine(comment=body.header.comment))
            lead += [ln for ln in getattr(first, "leading_lines", ()) if ln.comment is not None]
            stmts[0] = first.with_changes(leading_lines=lead)
        return self._finish(original_node, stmts)

    def _compound(self, original_node, updated_node):  # type: ignore[no-untyped-def]
        if not self._on():
            return updated_node
        assert self.plan is not None
        oid = id(original_node)
        if oid in self.plan.capture:  # a graph-building block moved into functions
            self.plan.captured[oid] = updated_node
        if oid in self.plan.remove:
            out = []
        elif oid in self.plan.stmt_builders:  # the part of a block that stays (an `if`'s variables)
            out = self.plan.stmt_builders[oid](updated_node)
        else:
            out = [updated_node]
        return self._finish(original_node, out)

    leave_For = leave_While = leave_If = leave_Try = leave_ClassDef = _compound  # type: ignore[assignment]

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef):  # type: ignore[no-untyped-def]
        if self._on() and self.plan is not None and id(original_node) in self.plan.splice_fns:
            # a train helper: its statements move to its call (defined before it), the def goes
            body = updated_node.body
            stmts = list(body.body) if isinstance(body, cst.IndentedBlock) else []
            if len(stmts) == 1 and isinstance(stmts[0], cst.SimpleStatementLine) and len(stmts[0].body) == 1 \
                    and isinstance(stmts[0].body[0], cst.Pass):
                stmts = []
            self.plan.splice_bodies[id(original_node)] = stmts
            return cst.RemovalSentinel.REMOVE
        return self._compound(original_node, updated_node)

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock) -> cst.IndentedBlock:
        if self._on() and not updated_node.body:
            return updated_node.with_changes(body=[cst.SimpleStatementLine([cst.Pass()])])
        return updated_node

    def _report_not_converted(self) -> None:
        """One manual finding per reason. Recorded when the whole module has been visited:
        another rule that rewrites the node named (TF2101 on `tf.layers.dense`) supersedes
        the findings recorded there before it, and this one must stay."""
        plan = self.plan
        if plan is None or not plan.relevant or plan.active:
            return
        seen = set()
        for where, why in plan.reasons:
            if why in seen:
                continue
            seen.add(why)
            self.flag(where, f"TF1 Session code not converted to eager TF2: {why}", effort="redesign")

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        self._report_not_converted()
        if not self._on():
            return updated_node
        assert self.plan is not None
        # the other rules' findings on code that is gone (this drops ours too: record again)
        for node in self.plan.dropped:
            for n in walk(node):
                self.supersede(n)
        self._record(original_node)
        if self.plan.optimizer_classes:
            updated_node = self._add_optimizer_classes(updated_node)
        return updated_node

    def _add_optimizer_classes(self, module: cst.Module) -> cst.Module:
        """The TF1 update rules the file's optimizers became (_v1_optimizers.py), each
        class once, after the last import (or the docstring) above the first top-level
        statement that makes such an optimizer (tensorflow is imported by then)."""
        assert self.plan is not None
        root = tf_root(self.ctx)
        body = list(module.body)
        names = set(self.plan.optimizer_classes.values())
        first = next((i for i, stmt in enumerate(body) if any(
            isinstance(n, cst.Call) and isinstance(n.func, cst.Name) and n.func.value in names for n in walk(stmt))),
            len(body))
        at = 0
        for i, stmt in enumerate(body[:first]):
            if isinstance(stmt, cst.SimpleStatementLine) and all(
                    isinstance(x, (cst.Import, cst.ImportFrom)) or (i == 0 and isinstance(x, cst.Expr))
                    for x in stmt.body):
                at = i + 1
        classes = []
        for r, cls in self.plan.optimizer_classes.items():
            c = cst.parse_statement(v1opt.class_source(r, cls, root))
            classes.append(c.with_changes(leading_lines=[cst.EmptyLine(indent=False)] * 2))
        if at < len(body):
            nxt = body[at]
            lead = list(nxt.leading_lines)
            missing = 2 - blank_count(lead)
            if missing > 0:
                body[at] = nxt.with_changes(leading_lines=[cst.EmptyLine(indent=False)] * missing + lead)
        return module.with_changes(body=body[:at] + classes + body[at:])


def _only_pass(st: cst.CSTNode) -> bool:
    return isinstance(st, cst.SimpleStatementLine) and len(st.body) == 1 and isinstance(st.body[0], cst.Pass)
