"""Structural TF1 -> TF2 rewrites (TF2120 session-to-eager) on whole corpus programs, and
the numeric proof that the migrated programs compute what the TF1 programs computed.

Every program in PROVEN is migrated with the whole tf1-to-tf2 pack (unsafe fixes on); the
output must equal the checked-in ``corpus/tf2_expected/<name>.py`` (regenerate with
MIGRATE_UPDATE_FIXTURES=1), must be plain TF2 (no ``tf.compat.v1``, no Session, no
placeholder), and, run with plain TF2 in a subprocess (eager; no
``disable_v2_behavior``, no TF_USE_LEGACY_KERAS), must print the RESULT numbers of
``corpus/tf1/expected/<name>.json``.

What is compared, honestly:

* ``softmax_regression_log`` and ``tensor_manipulation`` use no TensorFlow random op
  (zero / constant initial values, NumPy-seeded data): the migrated programs run exactly
  as written.
* ``mlp_feed_dict``, ``linear_regression_interactive`` and ``cnn_deep_mnist_style``
  initialise variables with ``tf.random_normal`` / ``tf.random_uniform`` /
  ``tf.truncated_normal``. TF1 graph-mode and TF2 eager random streams differ for the
  same seed, so the test first runs the ORIGINAL TF1 program (graph mode, its own
  subprocess) and records the trainable variables' values right after initialisation,
  then runs the migrated program with a ``tf.variable_creator_scope`` that replaces the
  initial value of each trainable ``tf.Variable`` it creates, in creation order (shapes
  checked; Keras optimizer slots are not trainable and are left alone). Everything after
  the initial values (forward pass, gradients, optimizer updates, fetches) is the
  migrated code's own computation. ``cnn_deep_mnist_style`` also uses dropout, but only
  at train time with keep_prob < 1: its final RESULT comes from keep_prob = 1.0 runs, yet
  the trained weights depend on the dropout masks, so it is checked only for running and
  for the keys of its RESULT, not for its numbers.

* ``control_flow_cond``, ``manual_sgd_gradients`` and ``flags_required_tf_flags`` use no
  TensorFlow random op and run exactly as migrated; ``flags_required_tf_flags`` gets the
  command-line arguments of its ``# corpus-argv:`` line (absl's ``app.run`` exits when
  ``main`` returns: that exit is expected).

* ``embedding_gfile_vocab`` initialises a tf.Variable with ``tf.random_uniform`` and a
  ``tf.layers.dense`` (glorot kernel): the carried-over values go, in creation order, to
  the tf.Variable and then to the Keras Dense kernel and bias, which Keras builds on the
  first call inside the first tf.function. Its Adagrad trains an embedding with repeated
  ids: without the dense gradients of the train step the loss drifts by 1e-3.

* TF1 RNN cells (BasicLSTMCell/LSTMCell/GRUCell + tf.nn.dynamic_rnn -> a Keras LSTM/GRU,
  rules/tf1_to_tf2/_rnn.py): their variables have another layout in Keras (one TF1 kernel
  over [inputs, h] with gates i, j, f, o and a run-time forget_bias -> kernel,
  recurrent_kernel, bias with gates i, f, c, o; a GRU's gates/candidate pairs -> blocks
  z, r, h). CAPTURE records each cell's variables (by wrapping the cells' `build`) and
  ``carried_values`` maps them through THE layout map ``migrate.check.rnn_weights`` (the
  conversion `migrate convert-checkpoint` applies). Keras builds the layer at its first
  call, after the plain tf.Variables, so for such a program RUN_TF2 matches the carried
  values BY SHAPE (and an RNN layer's by role; asserted unambiguous, layers of one shape in
  TF1's cell order) instead of by creation order, and checks that
  the Keras layers' own initial biases (unit_forget_bias, the GRU's Constant initializer)
  are TF1's mapped ones exactly. tests/test_tf1_rnn.py proves the three RNN fixtures with
  this harness, among them rnn_lstm_state_fetch, lstm_dynamic_rnn in straight-line code
  (same TF1 numbers). The PROVEN corpus program lstm_dynamic_rnn builds its graph in a
  function returning a dict of tensors, written into main by TF2120's preparation
  (rules/tf1_to_tf2/_builders.py); gru_multi_cell_static (GRU/MultiRNNCell/static_rnn, its
  initial state fed) is not converted.

Tolerances: 1e-5 for values computed without training, 1e-4 after training steps.
"""

from __future__ import annotations

import ast
import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from migrate.engine.process import Options, process_bytes
from migrate.pack import load_pack
from migrate.result import Status
from migrate.testing import apply

ROOT = Path(__file__).resolve().parents[1]
TF1 = ROOT / "corpus" / "tf1"
EXPECTED_TF2 = ROOT / "corpus" / "tf2_expected"

# name -> (tolerance, carry TF1 initial values over, numbers compared)
PROVEN: dict[str, tuple[float, bool, bool]] = {
    "softmax_regression_log": (1e-4, False, True),
    "tensor_manipulation": (1e-5, False, True),
    "mlp_feed_dict": (1e-4, True, True),
    "linear_regression_interactive": (1e-4, True, True),
    "cnn_deep_mnist_style": (1e-4, True, False),
    # tf.keras layers applied to a placeholder in Session code, trained with
    # var_list=model.trainable_weights (the head stays as initialised): the Keras objects
    # are created once as written, the run becomes a train step over those weights;
    # `w.get_shape().as_list()` of a Keras weight -> `list(w.shape)` (Keras 3 variables
    # have no get_shape)
    "keras_layers_in_session": (1e-4, True, True),
    # tf.cond on a placeholder_with_default and tf.while_loop in a helper, inside the
    # tf.functions; the explicit tf.Graph / as_default / Session(graph=g) go
    "control_flow_cond": (1e-5, False, True),
    # tf.gradients kept inside the tf.function, tf.assign in a `for` block appending to
    # an update list, tf.control_dependencies blocks, a fetched tf.group
    "manual_sgd_gradients": (1e-4, False, True),
    # `if FLAGS.use_bias:` around a variable and a tensor statement: the variable stays
    # under the `if`, the tensor statement moves under the same `if` (absl flags parsed
    # from the file's `# corpus-argv:` line)
    "flags_required_tf_flags": (1e-4, False, True),
    "upgraded_compat_v1_script": (1e-4, True, True),
    "vae_reparam": (1e-4, True, False),
    "dataset_initializable": (1e-4, False, True),
    # get_variable, an input function returning a one-shot iterator's element, an inline
    # tf.data.make_one_shot_iterator, and tf.losses.mean_squared_error (TF2140)
    "dataset_one_shot": (1e-4, False, True),
    # RMSProp has no Keras counterpart (mean square starts at 1.0): it becomes TF1RMSProp,
    # TF1's update rule as a small tf.Module defined in the file
    "autoencoder_sigmoid": (1e-4, True, True),
    # get_variable (helper A's conversion), get_or_create_global_step and schedules used
    # as tensors; Momentum with a decaying rate becomes TF1Momentum (TF1's update rule)
    "lr_schedule_momentum": (1e-4, False, True),
    # one run fetches components of a tuple dataset element and a tensor computed from
    # them: one tf.function returning both, called with one `*iterator.get_next()` draw;
    # tf.train.Example / TFRecordWriter are Python objects, not graph ops
    "tfrecord_parse": (1e-5, False, True),
    # tf.trainable_variables() read (and printed) after the model functions ran: the Keras
    # objects' trainable_variables in TF1's creation order, after a trace builds them
    "variable_scope_siamese": (1e-4, True, True),
    # tf.layers.dense inline in main -> a Keras Dense object created once (name='output'
    # keeps output/kernel, output/bias) and called in the tf.functions; the embedding's
    # sparse gradients are made dense for Keras' Adagrad (TF1 summed repeated ids first)
    "embedding_gfile_vocab": (1e-4, True, True),
    # tf.metrics accuracy/mean/precision/recall -> Keras metric objects created once; the
    # fetched tf.group of the update ops -> a step of update_state calls; the values ->
    # .result(); the one local_variables_initializer run before any update goes; the
    # local-variable count -> the metrics' variables (tables/metrics.json)
    "streaming_metrics": (1e-5, False, True),
    # online/target Q-networks (TF2130 objects): the scoped TRAINABLE_VARIABLES read ->
    # `q_network_layer.trainable_variables` after a trace, moved after the functions; the
    # TF1RMSProp's var_list -> the online object's tf.Variables; copy_params' name-sorted
    # scope pairing -> a loop of assigns over zip(src.variables, dst.variables); its RMSProp
    # -> TF1RMSProp
    "dqn_target_update": (1e-4, True, True),
    # string_input_producer / TextLineReader / decode_csv / tf.train.batch(num_threads=1)
    # in an input function -> TextLineDataset.repeat().map(per-record code).batch() (the
    # FIFO order of one enqueuing thread); Coordinator / start_queue_runners /
    # should_stop / request_stop / join and the try/finally around them go
    "queue_runner_input": (1e-4, False, True),
    # generator (tf.Variable) and discriminator (get_variable, reused) are TF2130 objects;
    # the scoped TRAINABLE_VARIABLES read and the `var.name.startswith('generator')` filter
    # of tf.trainable_variables() -> each object's trainable_variables after one trace,
    # moved after the functions; each Keras Adam's var_list -> its object's variables
    "gan_two_optimizers": (1e-4, True, True),
    # tf.layers convnet trained and evaluated through an is_training placeholder: bn1 runs
    # on a conv output, which TF1 fused (moving_variance from the unbiased batch variance):
    # it becomes TF1FusedBatchNormalization, defined in the file (_fused_batch_norm.py).
    # Checked for running, the TF1 initial values carried over and the RESULT keys, not its
    # numbers: its dropout masks differ between TF1 and TF2, and without the dropout Adam
    # turns rounding differences of near-zero gradients into weight differences of 1e-3 in
    # 12 steps (legacy Keras included). The composition is proven number for number on the
    # fixtures session_model_fused_batchnorm (tf.layers, 4-D) and session_slim_fused_batchnorm
    # (contrib/slim, 2-D), and the class against TF1's kernels: tests/test_tf1_fused_batch_norm.py
    "layers_cnn_batchnorm": (1e-4, True, False),
    # flags + Saver + summaries train script: `inference` (tf.Variables under
    # tf.name_scope('softmax_linear'), the first size read from `int(x.get_shape()[1])`) ->
    # the TF2130 layer Inference built from the input shape; its histogram under
    # `if FLAGS.log_histograms:` leaves the layer and is written, under the same test, by the
    # summary function (`inference_layer.weights_layer`, before the loss as merge_all had it);
    # Saver -> a Checkpoint holding that object; the summarised and fetched schedule ->
    # `lr(global_step)`; tf.app.flags/run/logging -> absl
    "flags_train_saver": (1e-4, False, True),
    # the CIFAR-10 tutorial: `inference` -> a TF2130 layer whose local3 weights carry the
    # weight decay as a regularizer and whose `dim` (a computed tensor's static shape) is
    # written from the input shape in build; loss() sums `regularization_losses +
    # [cross_entropy_mean]` (the 'losses' collection as a list passed in, the objects'
    # `.losses`), the count is `len(inference_layer.losses) + 1`; train() is inlined at its
    # one call (optimizer, compute_gradients, clip_by_global_norm, apply_gradients, the
    # no_op under control_dependencies naming the train op); the fetched global norm is
    # returned by the train step
    "weight_decay_collections": (1e-4, True, True),
    # its graph is built in build_graph() (an explicit tf.Graph, a BasicLSTMCell unrolled
    # by dynamic_rnn) returning a dict of tensors that main() runs: TF2120's preparation
    # (_builders.py) writes the body into main (m['loss'] -> loss, main's own `loss`,
    # `logits`, `state` -> loss_value...), the whole LSTMStateTuple fetched and read as
    # `.h` -> its h fetched; the LSTM's TF1 weights are carried through the layout map
    "lstm_dynamic_rnn": (1e-4, True, True),
    # a MultiRNNCell of GRUCells (list comprehension) unrolled by static_rnn -> a list of
    # Keras GRU(reset_after=False) layers each over the previous one's outputs, per-step
    # outputs by tf.unstack (_rnn_stacked.py); its zero_state fetched and fed back unchanged
    # and the final state read by layer are simplified first (_builders.py). Both layers'
    # TF1 weights are carried through the layout map (matched by shape and role, in order)
    "gru_multi_cell_static": (1e-4, True, True),
    # slim-style vgg_tiny: TF2120's preparation (_repeat.py) unrolls the `repeat` helper
    # (scopes conv1/conv2, names `%s_%d`), writes the functools.partial calls and the nested
    # conv_bn_relu out (its `name + '/BatchNorm'` under variable_scope(name)); TF2130 makes
    # the Keras layer VggTiny (tf.keras.regularizers.l2 kept: Keras' l2 * sum(w**2) both
    # sides), its 4-D batch norms TF1FusedBatchNormalization; the placeholder_with_default
    # training flag becomes each run's literal; `sorted(v.op.name for v in
    # tf.trainable_variables())` -> TF1 names looked up in TF1_VARIABLE_NAMES. Keys only:
    # dropout (keep_prob 0.5) trains with other masks; num_trainable and first_var are
    # compared (test_tf1_repeat.py), the composition number for number on the fixture
    # session_repeat_helper (no dropout)
    "slim_style_arg_scope": (1e-4, True, False),
    # the multi-tower ('multi-GPU') recipe: `with tf.Graph().as_default(), tf.device(...)`
    # goes (the device reported); the towers' shared root scope and reuse_variables() go
    # (one TowerLoss object, TF2130, called per tower); the tower loop moves into the train
    # step with a tape per tower, compute_gradients -> the tape's (gradient, variable) pairs,
    # average_gradients unchanged, one apply_gradients; the last tower's name-scope string
    # read after the graph code is bound by the same loop of tf.name_scope blocks
    # (rules/tf1_to_tf2/_towers.py; fixture session_multi_tower)
    "multi_tower_device": (1e-4, True, True),
}
# The only tf.compat.v1 names a PROVEN program may keep: TF1 optimizers that no Keras
# optimizer reproduces and no class of _v1_optimizers.py writes out (the proximal ones),
# each reported as one manual finding. RMSProp and Momentum with a decayed rate become
# the TF1RMSProp / TF1Momentum classes defined in the file.
KEPT_V1_OPTIMIZERS = {
    "session_v1_optimizers": ["ProximalGradientDescentOptimizer", "ProximalAdagradOptimizer"],
}
# Keys read before any training step: the tighter tolerance applies.
UNTRAINED_KEYS = {"linear_regression_interactive": {"w_init"}}

# Programs the rewrite must NOT restructure, with a word of the reason it reports.
NOT_CONVERTED = {
    # it lists its graph's op types ('Assign' in op_types): eager TF2 has no graph, and a
    # traced tf.function's graph holds AssignVariableOp; the reason says so
    "basics_constants_session": "get_default_graph().get_operations()",
    # export_meta_graph / import_meta_graph and lookups by collection and tensor name: the
    # reason names them and what to write (a tf.Module of tf.functions, tf.saved_model)
    "meta_graph_restore": "collections 'train_op', 'inputs'; tensors 'output:0', 'target:0'",
    # ema.apply() of batch moments in a tf.cond branch: TF2's EMA takes only tf.Variables,
    # TF1's shadow variables were made in the branch and found by tensor (_ema.py)
    "manual_batchnorm_ema": "ExponentialMovingAverage.apply accepts only tf.Variables",
    # it reads its event files back with summary_iterator / simple_value: TF2 summaries are
    # tensors (simple_value 0.0) with other tags (TF1 makes graph names unique ignoring case:
    # `mean` after reduce_mean's op `Mean` is `mean_1`, TF2 writes `mean`); also summaries in
    # a helper that merge_all collects and merge([...]) does not, and nested name_scope
    # blocks mixing a variable with summaries (not moved into the tf.functions)
    "summaries_events": "summary_iterator",
}


def migrate(name: str, *, unsafe: bool = True) -> tuple[str, list]:
    src = (TF1 / f"{name}.py").read_bytes()
    result, out = process_bytes(src, f"{name}.py", Options(pack="tf1-to-tf2", unsafe_fixes=unsafe, verify_idempotence=True))
    assert not result.errors, result.errors
    return out.decode(), list(result.findings)


def assert_refused(src: str, why: str, name: str = "t.py") -> bytes:
    """`src` migrated with --unsafe-fixes: no error, exactly one TF2120 finding, a manual
    item whose message contains `why`, and no train step written. Returns the output."""
    result, out = process_bytes(src.encode(), name, Options(pack="tf1-to-tf2", unsafe_fixes=True))
    assert not result.errors, result.errors
    mine = [f for f in result.findings if f.rule_id == "TF2120"]
    assert len(mine) == 1 and mine[0].status is Status.MANUAL, [f.message for f in mine]
    assert why in mine[0].message, mine[0].message
    assert b"GradientTape" not in out
    return out


def edited(src: str, edits: tuple[tuple[str, str], ...]) -> str:
    """`src` with each (old, new) replacement made; every `old` must be there."""
    for old, new in edits:
        assert old in src, old
        src = src.replace(old, new)
    return src


@pytest.mark.parametrize("name", sorted(PROVEN))
def test_migrated_program_matches_checked_in_output(name: str) -> None:
    out, findings = migrate(name)
    path = EXPECTED_TF2 / f"{name}.py"
    if os.environ.get("MIGRATE_UPDATE_FIXTURES") and (not path.exists() or path.read_text() != out):
        path.parent.mkdir(exist_ok=True)
        path.write_text(out)
    assert out == path.read_text(encoding="utf-8")
    assert any(f.rule_id == "TF2120" and f.status is Status.APPLIED for f in findings)
    code = _without_kept_optimizers(name, _code_only(out), findings)
    for gone in ("compat.v1", "Session", "placeholder", "global_variables_initializer", "disable_v2_behavior"):
        assert gone not in code, f"{name}: `{gone}` left in the migrated program"


def _without_kept_optimizers(name: str, code: str, findings: list) -> str:  # type: ignore[type-arg]
    """The code without the TF1 optimizers that the program may keep (each must be there,
    once per expected manual finding, and be the only manual TF2120 findings)."""
    kept = KEPT_V1_OPTIMIZERS.get(name, [])
    for cls in set(kept):
        assert code.count(f"tf.compat.v1.train.{cls}(") == kept.count(cls), (name, cls)
        code = code.replace(f"tf.compat.v1.train.{cls}(", "")
    manual = [f for f in findings if f.rule_id == "TF2120" and f.status is Status.MANUAL]
    assert sorted(m.message.split()[0] for m in manual) == sorted(f"tf.train.{c}" for c in kept), [m.message for m in manual]
    assert all("No Keras optimizer computes the same" in m.message for m in manual)
    return code


def _code_only(source: str) -> str:
    """The program without docstrings and comments."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) and isinstance(body[0].value.value, str):
            body[0] = ast.Pass()
    return ast.unparse(tree)


@pytest.mark.parametrize("name", sorted(PROVEN))
def test_no_restructuring_without_unsafe_fixes(name: str) -> None:
    """TF2120 runs only with --unsafe-fixes (costly analysis, nothing applicable without);
    the safe run still reports the Session code through TF2001's manual items."""
    out, findings = migrate(name, unsafe=False)
    assert "GradientTape" not in out and "input_signature" not in out and ".numpy()" not in out
    assert not [f for f in findings if f.rule_id == "TF2120"]
    assert any(f.rule_id == "TF2001" and f.status is Status.MANUAL and "Session" in f.message for f in findings)


@pytest.mark.parametrize("name", sorted(NOT_CONVERTED))
def test_unrecognised_programs_are_reported_not_restructured(name: str) -> None:
    out, findings = migrate(name)
    mine = [f for f in findings if f.rule_id == "TF2120"]
    assert len(mine) == 1 and mine[0].status is Status.MANUAL, [f.message for f in mine]
    assert NOT_CONVERTED[name].lower() in mine[0].message.lower(), mine[0].message
    assert "GradientTape" not in out and "input_signature" not in out


def test_summary_tag_clashing_with_an_op_name_is_refused() -> None:
    """TF1 makes a summary's op name unique (ignoring case) and writes that as its tag: a
    histogram named like the variable `weights` is written as 'weights_1'."""
    src = (ROOT / "tests" / "fixtures" / "tf1_to_tf2" / "flags_schedule_summaries" / "input.py").read_text()
    old = "tf.summary.histogram('weights_histogram', weights)"
    assert old in src
    result, out = process_bytes(src.replace(old, "tf.summary.histogram('Weights', weights)").encode(), "s.py",
                                Options(pack="tf1-to-tf2", unsafe_fixes=True))
    mine = [f for f in result.findings if f.rule_id == "TF2120"]
    assert len(mine) == 1 and mine[0].status is Status.MANUAL, [f.message for f in mine]
    assert "the summary 'Weights' has the name of the graph op made by `tf.Variable`" in mine[0].message, mine[0].message
    assert b"GradientTape" not in out


@pytest.mark.parametrize(("edits", "why"), [
    # read with the update in one run: TF1 leaves the order open
    ((("_, loss_value = sess.run([train_op, loss], feed_dict={x: data, y: labels})",
       "_, loss_value, _lr = sess.run([train_op, loss, lr], feed_dict={x: data, y: labels})"),),
     "a learning-rate schedule fetched in the same run as a train op"),
    # a kept TF1 optimizer (Momentum with a decayed rate) calls `lambda: lr(global_step)`;
    # the summary of the rate is not rewritten for it (without the fetch of the rate, which
    # takes the tensor-schedule route)
    ((("tf.train.GradientDescentOptimizer(lr)", "tf.train.MomentumOptimizer(lr, 0.9)"),
      ("restored_loss, step_value, lr_value = sess.run(\n            [loss, global_step, lr]",
       "restored_loss, step_value = sess.run(\n            [loss, global_step]"),
      ("round(float(lr_value), 6)", "0.0")),
     "`lr` is also used by `tf.summary.scalar('learning_rate', lr)` (a kept tf1 optimizer)"),
    # the rate in tensor code (not a summary or a fetch): the schedule object is no tensor
    ((("    tf.summary.scalar('learning_rate', lr)\n", "    tf.summary.scalar('learning_rate', lr * 2.0)\n    half = lr / 2.0\n"),),
     "`lr` is also used by `half = lr / 2.0`"),
])
def test_schedule_read_refusals(edits: tuple[tuple[str, str], ...], why: str) -> None:
    """Variants of flags_schedule_summaries (proved by the numeric test) that must stay refused."""
    src = (ROOT / "tests" / "fixtures" / "tf1_to_tf2" / "flags_schedule_summaries" / "input.py").read_text()
    for old, new in edits:
        assert old in src, old
        src = src.replace(old, new, 1)
    result, out = process_bytes(src.encode(), "s.py", Options(pack="tf1-to-tf2", unsafe_fixes=True))
    assert not result.errors, result.errors
    mine = [f for f in result.findings if f.rule_id == "TF2120"]
    assert len(mine) == 1 and mine[0].status is Status.MANUAL, [f.message for f in mine]
    assert why.lower() in mine[0].message.lower(), mine[0].message
    assert b"GradientTape" not in out


_MIXED_HELPER = """\
import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()


def inference(x):
    w = tf.Variable(tf.ones([3, 2]), name='w')
    return tf.matmul(x, w)


def main():
    data = np.ones([2, 3], np.float32)
    x = tf.placeholder(tf.float32, [None, 3])
    out = inference(x)
    loss = tf.reduce_mean(out)
    train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train_op, feed_dict={x: data})
        print(sess.run(loss, feed_dict={x: data}))
"""


def test_helper_mixing_variables_and_placeholder_tensors_is_refused_by_name() -> None:
    """A helper that makes tf.Variables (no variable_scope or name_scope: not a TF2130 model
    function) and computes from a placeholder: the reason names the helper call, not an unfed
    placeholder. (Under `with tf.name_scope('linear'):` it is a TF2130 layer: fixture
    session_name_scope_model_saver, corpus flags_train_saver.)"""
    result, out = process_bytes(_MIXED_HELPER.encode(), "m.py", Options(pack="tf1-to-tf2", unsafe_fixes=True))
    mine = [f for f in result.findings if f.rule_id == "TF2120"]
    assert len(mine) == 1 and mine[0].status is Status.MANUAL, [f.message for f in mine]
    assert "`inference(x)` makes variables and computes tensors from the placeholder `x` in one helper" in mine[0].message
    assert b"GradientTape" not in out


_HELPER_HISTOGRAM = TF1 / "flags_train_saver.py"


@pytest.mark.parametrize("variant", ["in_block", "computed_value", "scope_opened_again"])
def test_model_function_summary_refused_precisely(variant: str) -> None:
    """corpus flags_train_saver (PROVEN) with the call of `inference` inside a `with` block
    of main (the summary would be written where the call stands: refused, and TF2130 says
    what it took out of the layer), or with a histogram of a computed value (not one of the
    function's variables: `inference` stays TF2120's helper, refused as before), or with its
    name scope opened again elsewhere (TF1 would number it: not a TF2130 layer either)."""
    src = _HELPER_HISTOGRAM.read_text()
    if variant == "in_block":
        src = edited(src, (("    logits = inference(x, 3)\n", "    with tf.name_scope('model'):\n        logits = inference(x, 3)\n"),))
        out = assert_refused(src, "`inference` adds summaries to the merged summaries (`if FLAGS.log_histograms: "
                                  "tf.summary.histogram('weights', weights)`) and is called inside a block")
        result, _ = process_bytes(src.encode(), "t.py", Options(pack="tf1-to-tf2", unsafe_fixes=True))
        left = [f for f in result.findings if f.rule_id == "TF2130" and f.status is Status.MANUAL]
        assert len(left) == 1 and "tf.summary.histogram('weights', inference_layer.weights_layer, step=step)" in left[0].message
        assert b"class Inference(" in out
    else:
        if variant == "computed_value":
            src = edited(src, (("tf.summary.histogram('weights', weights)", "tf.summary.histogram('weights', weights * 2.0)"),))
        else:
            src = edited(src, (("def main(_):", "def other(x):\n    with tf.name_scope('softmax_linear'):\n        return tf.identity(x)\n\n\ndef main(_):"),))
        out = assert_refused(src, "graph code under a Python `if` in the helper `inference`")
        assert b"class Inference(" not in out


_SUMMARY_FLAG_SRC = (ROOT / "tests" / "fixtures" / "tf1_to_tf2" / "session_summaries_flag" / "input.py").read_text()


@pytest.mark.parametrize(("old", "new", "why"), [
    # the flag changed after the graph was built: TF1 kept the summary, a traced function would not
    ("    merged = tf.summary.merge_all()\n", "    merged = tf.summary.merge_all()\n    FLAGS.log_histograms = False\n",
     "`FLAGS` (read by `if FLAGS.log_histograms:` around a summary) is assigned after the graph was built"),
    ("    merged = tf.summary.merge_all()\n", "    merged = tf.summary.merge_all()\n    FLAGS = None\n",
     "`FLAGS` (read by `if FLAGS.log_histograms:` around a summary) is assigned after"),
    ("def main():\n", "def reset():\n    global FLAGS\n    FLAGS = None\n\n\ndef main():\n",
     "`global`: a function rebinds a name the test `if FLAGS.log_histograms:`"),
    # in a helper that runs no session (merge_all collects it from wherever it is built)
    ("def main():\n", "def histograms(w):\n    if FLAGS.log_histograms:\n        tf.summary.histogram('w', w)\n\n\ndef main():\n",
     "graph code under a python `if` in the helper `histograms`"),
    # two statements under the test: not the one-summary shape
    ("        tf.summary.histogram('weights', w)\n", "        tf.summary.histogram('weights', w)\n        tf.summary.scalar('w0', w[0, 0])\n",
     "under a python `if` that is not a plain assignment"),
])
def test_summary_flag_refusals(old: str, new: str, why: str) -> None:
    """Variants of session_summaries_flag (proved by the numeric test) that must stay refused."""
    assert old in _SUMMARY_FLAG_SRC, old
    result, out = process_bytes(_SUMMARY_FLAG_SRC.replace(old, new, 1).encode(), "s.py", Options(pack="tf1-to-tf2", unsafe_fixes=True))
    assert not result.errors, result.errors
    mine = [f for f in result.findings if f.rule_id == "TF2120"]
    assert len(mine) == 1 and mine[0].status is Status.MANUAL, [f.message for f in mine]
    assert why.lower() in mine[0].message.lower(), mine[0].message
    assert b"GradientTape" not in out


# dqn_target_update variants: each scoped collection read is refused with its own reason
_DQN_VARIANTS = {
    # TF1's scope= is re.match on the TF1 name: 'online' also lists scope 'online_t'
    "prefix": ((("'target', trainable=False)", "'online_t', trainable=False)"),),
               "also lists the variables of scope 'online_t'"),
    "regex": ((("scope='online')", "scope='onl.ne')"),), "has special characters"),
    # an unscoped read lists the target's variables too, or not, depending on `trainable=`
    "unscoped": ((("tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, scope='online')", "tf.trainable_variables()"),),
                 "creating variables with `trainable=`"),
    # a scoped read of the object made with trainable=False: Keras would also drop the
    # variables of creators that do not pass `trainable=`, which TF1 listed
    "target_read": ((("scope='online')", "scope='target')"),), "creating variables with `trainable=`"),
    # the copy built after minimize: TF1's GLOBAL_VARIABLES scope then holds RMSProp's slots
    "late_copy": ((("    update_target = copy_params('online', 'target')\n", ""),
                   ("        loss, var_list=online_vars)\n",
                    "        loss, var_list=online_vars)\n    update_target = copy_params('online', 'target')\n")),
                  "comes after an optimizer's minimize/apply_gradients"),
    # the copy's group used other than as a run's only fetch (the loop of assigns returns nothing)
    "copy_used": ((("        sess.run(update_target)\n        for", "        sess.run([update_target])\n        for"),),
                  "is used other than by a `sess.run(update_target)` statement"),
    # the run's value (None in TF1) used
    "copy_value": ((("        sess.run(update_target)\n        for", "        done_copy = sess.run(update_target)\n        for"),),
                   "is used other than by a `sess.run(update_target)` statement"),
    # the two objects built with different arguments (their variables may differ)
    "other_config": ((("def q_network(states, scope, trainable=True):", "def q_network(states, scope, trainable=True, units=16):"),
                      ("tf.layers.dense(states, 16,", "tf.layers.dense(states, units,"),
                      ("'target', trainable=False)", "'target', trainable=False, units=16)")),
                     "pairs objects built with different arguments"),
    # the scoped list read before the generated functions other than as var_list
    "read_used": ((("    train_op = tf.train", "    print(len(online_vars))\n    train_op = tf.train"),),
                  "used before the converted functions are defined"),
}


@pytest.mark.parametrize("variant", sorted(_DQN_VARIANTS))
def test_scoped_collection_reads_refused_precisely(variant: str) -> None:
    edits, words = _DQN_VARIANTS[variant]
    assert_refused(edited((TF1 / "dqn_target_update.py").read_text(), edits), words, "dqn.py")


# session_trainable_variables_list variants: an unscoped TRAINABLE_VARIABLES read of plain
# variables is converted only where the list is surely TF1's; each refusal says why
_TVARS_VARIANTS = {
    # a tf.layers layer makes variables that no statement names
    "layer": ((("pred = tf.matmul(h, w2) + b2", "pred = tf.layers.dense(h, 1)"),),
              "and `tf.layers.dense`: its order and content are only reproduced for variables made one by one"),
    # trainability decided at run time
    "trainable_expr": ((("tf.Variable(w2_init, name='out_w')", "tf.Variable(w2_init, name='out_w', trainable=len(x_np) > 0)"),),
                       "passes `trainable=len(x_np) > 0`"),
    # collections= decides whether TF1 listed it at all
    "collections": ((("tf.Variable(w2_init, name='out_w')", "tf.Variable(w2_init, name='out_w', collections=['mine'])"),),
                    "passes `collections=`"),
    # trainable given by position (tf.Variable's second parameter)
    "positional": ((("tf.Variable(w2_init, name='out_w')", "tf.Variable(w2_init, False, name='out_w')"),),
                   "passes arguments by position"),
    # a helper that makes the variable
    "helper": ((("def main():", "def make_weight(value):\n    return tf.Variable(value, name='out_w')\n\n\ndef main():"),
                ("w2 = tf.Variable(w2_init, name='out_w')", "w2 = make_weight(w2_init)")),
               "makes variables other than one named tf.Variable / tf.get_variable"),
    # the name does not surely name the variable where the list is read
    "rebound": ((("w2_init = (np.random", "w2 = (np.random"), ("tf.Variable(w2_init,", "tf.Variable(w2,")),
                "`w2` is bound more than once in `main`"),
}


@pytest.mark.parametrize("variant", sorted(_TVARS_VARIANTS))
def test_plain_trainable_reads_refused_precisely(variant: str) -> None:
    edits, words = _TVARS_VARIANTS[variant]
    assert_refused(edited((FIXTURES / "session_trainable_variables_list" / "input.py").read_text(), edits), words, "tvars.py")


# session_gradients_apply variants: tf.gradients applied by an optimizer is converted only
# as a gradient pair the tape computes alike
_GRADIENTS_APPLY_VARIANTS = {
    "stop_gradients": (("tf.gradients(lin_loss, [w_lin, b_lin])", "tf.gradients(lin_loss, [w_lin, b_lin], stop_gradients=[b_lin])"),
                       "tf.gradients(stop_gradients=...) is not converted"),
    "not_trainable": (("tf.gradients(lin_loss, [w_lin, b_lin])", "tf.gradients(lin_loss, [w_lin, b_lin, global_step])"),
                      "not a list of trainable tf.Variables"),
    "loss_expression": (("tf.gradients(lin_loss, [w_lin, b_lin])", "tf.gradients(lin_loss * 2.0, [w_lin, b_lin])"),
                        "tf.gradients of a loss expression"),
}


@pytest.mark.parametrize("variant", sorted(_GRADIENTS_APPLY_VARIANTS))
def test_tf_gradients_pairs_refused_precisely(variant: str) -> None:
    (old, new), words = _GRADIENTS_APPLY_VARIANTS[variant]
    src = (FIXTURES / "session_gradients_apply" / "input.py").read_text()
    assert old in src
    result, out = process_bytes(src.replace(old, new).encode(), "grads.py", Options(pack="tf1-to-tf2", unsafe_fixes=True))
    assert not result.errors, result.errors
    mine = [f for f in result.findings if f.rule_id == "TF2120" and f.status is Status.MANUAL]
    assert len(mine) == 1, [f.message for f in result.findings if f.rule_id == "TF2120"]
    assert words in mine[0].message, mine[0].message
    assert b"GradientTape" not in out


# manual_batchnorm_ema variants: the refusal names this program's EMA arguments
_EMA_VARIANTS = {
    "plain": ("ExponentialMovingAverage(decay=0.5)", "`avg.assign_sub((avg - value) * (1 - 0.5))`, and read"),
    "num_updates": ("ExponentialMovingAverage(decay=0.5, num_updates=7)", "decay `min(0.5, (1 + n) / (10 + n))`, n = 7"),
    "zero_debias": ("ExponentialMovingAverage(0.5, zero_debias=True)", "zero-debiased update"),
}


@pytest.mark.parametrize("variant", sorted(_EMA_VARIANTS))
def test_ema_in_cond_branch_refused_precisely(variant: str) -> None:
    ctor, words = _EMA_VARIANTS[variant]
    src = (TF1 / "manual_batchnorm_ema.py").read_text()
    assert "ExponentialMovingAverage(decay=0.5)" in src
    src = src.replace("ExponentialMovingAverage(decay=0.5)", ctor)
    result, out = process_bytes(src.encode(), "ema.py", Options(pack="tf1-to-tf2", unsafe_fixes=True))
    assert not result.errors, result.errors
    mine = [f for f in result.findings if f.rule_id == "TF2120"]
    assert len(mine) == 1 and mine[0].status is Status.MANUAL, [f.message for f in mine]
    assert "`ema.apply([batch_mean, batch_var])`" in mine[0].message, mine[0].message
    assert "accepts only tf.Variables" in mine[0].message and words in mine[0].message, mine[0].message
    assert b"GradientTape" not in out


# session_model_training_flag variants: what stays refused, each with its own reason
_FLAG_VARIANTS = {
    # a name that no Keras object's TF1_VARIABLE_NAMES holds
    "unknown_name": ((("'bn/moving_mean:0'", "'bn/moving_avg:0'"),), "is not the TF1 name of a variable"),
    # read before any run that calls the object: Keras has not created the variable yet
    "before_build": ((("        for _ in range(8):\n",
                       "        early = sess.run(tf.get_default_graph().get_tensor_by_name('bn/gamma:0'))\n"
                       "        for _ in range(8):\n"),), "is not preceded by a run that surely calls `model_fn`"),
    # in the loop, before the train run: the first iteration reads before the object exists
    "in_loop_first": ((("        for _ in range(8):\n",
                        "        for _ in range(8):\n"
                        "            early = sess.run(tf.get_default_graph().get_tensor_by_name('bn/gamma:0'))\n"),),
                      "is not preceded by a run that surely calls"),
    "fed_lookup": ((("get_tensor_by_name('bn/moving_mean:0'))", "get_tensor_by_name('bn/moving_mean:0'), {images: images_np})"),),
                   "fetched with other values or a feed_dict"),
    # the flag is also a tensor of the graph: it stays a tf.function argument, which the
    # Keras layer cannot branch on
    "flag_as_tensor": ((("loss = tf.reduce_mean(", "loss = tf.cast(is_training, tf.float32) + tf.reduce_mean("),),
                       "gets its training mode from a tensor"),
    # batch normalization on a conv output (fused in TF1: converted, fixture
    # session_model_fused_batchnorm), trained and then evaluated, with a computed axis: which
    # kernel TF1 ran is not known
    "fused_axis": ((("    net = tf.layers.flatten(net)\n", ""),
                    ("    net = tf.nn.relu(net)\n", "    net = tf.nn.relu(net)\n    net = tf.layers.flatten(net)\n"),
                    ("batch_normalization(net, momentum=0.9", "batch_normalization(net, axis=AXIS, momentum=0.9"),
                    ("K_OUT = ", "AXIS = -1\nK_OUT = "),
                    ("np.cos(np.arange(64 * 8)).reshape(64, 8)", "np.cos(np.arange(4 * 8)).reshape(4, 8)")),
                   "on a 4-D input with an `axis=` that is not a literal"),
}


@pytest.mark.parametrize("variant", sorted(_FLAG_VARIANTS))
def test_training_flag_and_lookups_refused_precisely(variant: str) -> None:
    edits, words = _FLAG_VARIANTS[variant]
    assert_refused(edited((FIXTURES / "session_model_training_flag" / "input.py").read_text(), edits), words, "flag.py")


def test_whole_corpus_rewrites_without_errors_and_idempotently() -> None:
    opts = Options(pack="tf1-to-tf2", unsafe_fixes=True, verify_idempotence=True)
    for path in sorted(TF1.glob("*.py")) + sorted((TF1 / "contrib").glob("*.py")):
        result, _out = process_bytes(path.read_bytes(), path.name, opts)
        assert not result.errors, (path.name, result.errors)


def test_rule_alone_leaves_tf2_code_alone() -> None:
    pack = load_pack("tf1-to-tf2")
    rule = next(r for r in pack.rules if r.ID == "TF2120")
    for name in PROVEN:
        code = (EXPECTED_TF2 / f"{name}.py").read_text()
        out = apply(code, [rule], pack)
        assert out.code == code and not out.findings


# -- the numeric proof ---------------------------------------------------------------------

CAPTURE = r"""
import json, os, runpy, sys, io, contextlib
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
from tensorflow.python.client import session as _session
from tensorflow.python.framework import errors

# TF1 RNN cells (tf_keras' legacy_cells in TF 2.21, as the programs see them): the names of
# each cell's variables, in the order the layout map (migrate.check.rnn_weights) takes them
cells = []
for cls in (tf.nn.rnn_cell.BasicLSTMCell, tf.nn.rnn_cell.LSTMCell):
    def build(self, shape, _orig=cls.build):
        _orig(self, shape)
        cells.append({"kind": "lstm", "names": [self._kernel.name, self._bias.name],
                      "forget_bias": float(self._forget_bias)})
    cls.build = build

def gru_build(self, shape, _orig=tf.nn.rnn_cell.GRUCell.build):
    _orig(self, shape)
    cells.append({"kind": "gru", "names": [v.name for v in (self._gate_kernel, self._gate_bias,
                                                            self._candidate_kernel, self._candidate_bias)]})
tf.nn.rnn_cell.GRUCell.build = gru_build

orig = _session.BaseSession.run
state = {}

def run(self, fetches, *args, **kwargs):
    out = orig(self, fetches, *args, **kwargs)
    if state.get("values") is None and not state.get("busy"):
        state["busy"] = True
        try:
            vs = self.graph.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES)
            if vs:
                try:
                    vals = orig(self, vs)   # no new ops: fetching RefVariables reads them
                except errors.FailedPreconditionError:
                    vals = None             # not initialised yet
                if vals is not None:
                    state["values"] = [[str(a.dtype), list(a.shape), a.tolist(), v.name] for v, a in zip(vs, vals)]
        finally:
            state["busy"] = False
    return out

_session.BaseSession.run = run
captured = {}
for path in sys.argv[1:]:
    state.clear()
    del cells[:]
    tf.reset_default_graph()
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        runpy.run_path(path, run_name="__main__")
    lines = [l for l in buf.getvalue().splitlines() if l.startswith("RESULT ")]
    captured[os.path.basename(path)[:-3]] = {"values": state.get("values"), "cells": list(cells),
                                             "result": json.loads(lines[-1][7:]) if lines else None}
print("CAPTURED " + json.dumps(captured))
"""

RUN_TF2 = r"""
import json, os, runpy, sys, io, contextlib
import numpy as np
import tensorflow as tf
assert tf.executing_eagerly()
tf.config.threading.set_intra_op_parallelism_threads(1)
inits = json.loads(open(sys.argv[1]).read())
results = {}
for path in sys.argv[2:]:
    name = os.path.basename(path)[:-3]
    entry = inits.get(name) or {"values": [], "by_shape": False}
    queue = [np.asarray(v, dtype=d) for d, v in entry["values"]]
    roles = list(entry.get("roles") or [None] * len(queue))
    by_shape = entry["by_shape"]
    if by_shape:  # the match must be unambiguous
        shapes = [v.shape for v in queue]
        plain = [s for s, r in zip(shapes, roles) if r is None]
        assert len(set(plain)) == len(plain) and not set(plain) & {s for s, r in zip(shapes, roles) if r}, (
            name, "carried-over shapes not distinct", shapes)
        # the Keras RNN layers' (kernel, recurrent_kernel, bias) match by shape AND role; layers
        # of one shape take them in TF1's cell order (Keras builds the layers in call order)
    expected_count = len(queue)
    own = {}  # 1-D variables matched by shape: |the program's own initial value - the carried one|

    def creator(next_creator, **kw):
        if queue and kw.get("trainable") is not False:
            init = kw.get("initial_value")
            if by_shape:
                with tf.init_scope():  # Keras builds a layer inside the first trace
                    init = tf.convert_to_tensor(init() if callable(init) else init)
                shape = tuple(init.shape)
                role = (kw.get("name") or "").rsplit("/", 1)[-1].split(":")[0]
                i = next((i for i, v in enumerate(queue) if v.shape == shape and roles[i] in (None, role)), None)
                assert i is not None, (name, "no carried-over value of shape", shape, role)
                value = queue.pop(i)
                roles.pop(i)
                if len(shape) == 1:
                    own[str(shape[0])] = max(own.get(str(shape[0]), 0.0), float(np.abs(init.numpy() - value).max()))
            else:
                value = queue.pop(0)
                roles.pop(0)
                init = init() if callable(init) else init
                shape = tuple(tf.convert_to_tensor(init).shape)
                assert shape == value.shape, (name, shape, value.shape)
            kw["initial_value"] = tf.constant(value)
        return next_creator(**kw)

    buf = io.StringIO()
    tf.keras.backend.clear_session()
    # the command-line arguments of corpus/tf1 programs that need some (`# corpus-argv:`)
    argv = [l.split(":", 1)[1].split() for l in open(path).read().splitlines() if l.startswith("# corpus-argv:")]
    sys.argv = [path] + (argv[0] if argv else [])
    from absl import flags as absl_flags
    defined = set(absl_flags.FLAGS)
    with tf.variable_creator_scope(creator), contextlib.redirect_stdout(buf):
        try:
            runpy.run_path(path, run_name="__main__")
        except SystemExit as exc:  # absl's app.run exits when main returns
            assert not exc.code, (name, exc.code)
    for flag in set(absl_flags.FLAGS) - defined:  # the next program may define the same absl flags
        delattr(absl_flags.FLAGS, flag)
    assert not queue, (name, "initial values left over", [v.shape for v in queue])
    lines = [l for l in buf.getvalue().splitlines() if l.startswith("RESULT ")]
    results[name] = {"result": json.loads(lines[-1][7:]) if lines else None, "injected": expected_count, "own": own}
print("RESULTS " + json.dumps(results))
"""

TF1_CELL_VARIABLES = {"lstm": 2, "gru": 4}  # per TF1 cell; a Keras LSTM/GRU layer has 3


def carried_values(captured: dict) -> dict:  # type: ignore[type-arg]
    """One program's capture (CAPTURE) -> what RUN_TF2 gives its trainable variables.

    Without RNN cells: the TF1 values in TF1's creation order, matched in order (shapes
    checked). With TF1 LSTM/GRU cells (TF2120 makes them Keras LSTM/GRU layers): each
    cell's variables go through THE layout map, ``migrate.check.rnn_weights`` (an LSTM's
    kernel + bias -> keras_lstm_weights, a GRU's four variables -> keras_gru_weights, the
    conversion `migrate convert-checkpoint` applies) and become the Keras layer's
    (kernel, recurrent_kernel, bias); the other values are kept. Keras builds the layer at
    its first call, inside the first tf.function, after the plain tf.Variables, so
    creation orders differ: RUN_TF2 then gives each variable the queued value OF ITS SHAPE
    and, for an RNN layer's value, of its role (`roles`: kernel / recurrent_kernel / bias;
    the other shapes must be pairwise distinct and distinct from those, layers of one shape
    take their values in TF1's cell order, every value must be used) and reports,
    per 1-D variable, how far the program's own initial value was from the carried one
    (`own`: the Keras layers' own biases, unit_forget_bias / the GRU's Constant
    initializer, are TF1's mapped initial biases exactly)."""
    import numpy as np

    from migrate.check.rnn_weights import keras_gru_weights, keras_lstm_weights

    values, cells = captured["values"], captured.get("cells") or []
    if not cells:
        return {"values": [[d, v] for d, _s, v, _n in values], "by_shape": False, "rnn_biases": []}
    by_name = {n: np.asarray(v) for _d, _s, v, n in values}
    first = {c["names"][0]: c for c in cells}
    taken = {n for c in cells for n in c["names"]}
    assert taken <= set(by_name), ("RNN cell variables not trainable", sorted(taken - set(by_name)))
    out: list = []  # type: ignore[type-arg]
    roles: list = []  # type: ignore[type-arg]
    biases: list[int] = []
    for dtype, _shape, value, name in values:
        cell = first.get(name)
        if cell is not None:
            ws = [by_name[n] for n in cell["names"]]
            if cell["kind"] == "lstm":
                mapped = keras_lstm_weights(ws[0], ws[1], cell["forget_bias"], ws[0].shape[0] - ws[0].shape[1] // 4)
            else:
                mapped = keras_gru_weights(*ws, ws[0].shape[0] - ws[2].shape[1])
            out += [[dtype, w.tolist()] for w in mapped]
            roles += ["kernel", "recurrent_kernel", "bias"]
            biases.append(mapped[2].shape[0])
        elif name not in taken:
            out.append([dtype, value])
            roles.append(None)
    assert len(out) == len(values) - sum(TF1_CELL_VARIABLES[c["kind"]] for c in cells) + 3 * len(cells)
    return {"values": out, "by_shape": True, "rnn_biases": biases, "roles": roles}


def _compare(expected, actual, tol: float, where: str, loose: dict[str, float]) -> list[str]:  # type: ignore[no-untyped-def]
    problems: list[str] = []
    if isinstance(expected, bool) or isinstance(actual, bool):
        if expected is not actual:
            problems.append(f"{where}: {actual!r} != {expected!r}")
    elif isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        t = loose.get(where.split(".")[0].split("[")[0], tol)
        if not (math.isclose(expected, actual, rel_tol=0, abs_tol=t)):
            problems.append(f"{where}: {actual!r} != {expected!r} (|diff|={abs(expected - actual):.3g} > {t})")
    elif isinstance(expected, dict) and isinstance(actual, dict):
        if set(expected) != set(actual):
            return [f"{where}: keys {sorted(actual)} != {sorted(expected)}"]
        for k in expected:
            problems += _compare(expected[k], actual[k], tol, f"{where}.{k}" if where else k, loose)
    elif isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{where}: length {len(actual)} != {len(expected)}"]
        for i, (e, a) in enumerate(zip(expected, actual)):
            problems += _compare(e, a, tol, f"{where}[{i}]", loose)
    elif expected != actual:
        problems.append(f"{where}: {actual!r} != {expected!r}")
    return problems


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TF_USE_LEGACY_KERAS",)}
    env.update({"TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "", "PYTHONHASHSEED": "0"})
    return env


@pytest.mark.tf
@pytest.mark.slow
def test_migrated_programs_reproduce_tf1_numbers(tmp_path: Path) -> None:
    inject = [n for n, (_t, carry, _c) in PROVEN.items() if carry]
    # 1. the TF1 originals, graph mode: initial values of the trainable variables
    capture = tmp_path / "capture.py"
    capture.write_text(textwrap.dedent(CAPTURE))
    env1 = {**_env(), "TF_USE_LEGACY_KERAS": "1"}
    proc = subprocess.run([sys.executable, str(capture), *[str(TF1 / f"{n}.py") for n in inject]],
                          capture_output=True, text=True, env=env1, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("CAPTURED "))
    captured = json.loads(line[len("CAPTURED "):])
    for n in inject:
        assert captured[n]["values"], f"no TF1 initial values captured for {n}"
    inits = {n: carried_values(captured[n]) for n in inject}
    (tmp_path / "inits.json").write_text(json.dumps(inits))
    # 2. the migrated programs, plain TF2 (eager), in one process
    progs = []
    for name in PROVEN:
        out, _ = migrate(name)
        p = tmp_path / f"{name}.py"
        p.write_text(out)
        progs.append(str(p))
    runner = tmp_path / "run_tf2.py"
    runner.write_text(textwrap.dedent(RUN_TF2))
    proc = subprocess.run([sys.executable, str(runner), str(tmp_path / "inits.json"), *progs],
                          capture_output=True, text=True, env=_env(), timeout=600, cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stderr[-6000:]
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULTS "))
    results = json.loads(line[len("RESULTS "):])
    problems = []
    for name, (tol, carry, numbers) in PROVEN.items():
        got = results[name]
        expected = json.loads((TF1 / "expected" / f"{name}.json").read_text())
        assert got["result"] is not None, f"{name} printed no RESULT"
        if carry:
            assert got["injected"] == len(inits[name]["values"])
            # a Keras RNN layer's own initial bias is TF1's, mapped (see carried_values)
            assert all(got["own"][str(size)] == 0.0 for size in inits[name]["rnn_biases"]), (name, got["own"])
        if not numbers:
            assert set(got["result"]) == set(expected), name
            continue
        loose = {k: 1e-5 for k in UNTRAINED_KEYS.get(name, ())}
        problems += [f"{name}: {p}" for p in _compare(expected, got["result"], tol, "", loose)]
    assert not problems, "\n".join(problems)


# -- whole-file fixtures that are runnable programs ----------------------------------------
# tests/fixtures/tf1_to_tf2/<case>/input.py is a TF1 program printing one RESULT line and
# expected.py its migration (checked by tests/test_fixtures.py): both run here, the TF1 one
# in graph mode, the TF2 one eagerly, and their RESULT numbers must agree. They use no
# TensorFlow random op (one prints statistics of random draws instead of the draws), so
# nothing is carried over. name -> tolerance (after training).
FIXTURE_PROGRAMS: dict[str, float] = {
    # the CIFAR-10 idioms with constant initial values: weight decay as regularizers of a
    # TF2130 layer sized from a computed tensor's static shape (VALID conv, stride 2,
    # avg_pool), the 'losses' collection summed by the loss helper and counted, a train
    # helper inlined at its call (Adam, clip_by_value, global step, no_op naming the train op)
    "session_weight_decay_train_helper": 1e-4,
    # a graph-building function returning the graph and a dict of its tensors, run by main:
    # written into main by TF2120's preparation (_builders.py), main's `loss`, `w1`, `pred`
    # renamed (the builder binds them too)
    "session_graph_builder": 1e-4,
    # Saver -> Checkpoint + CheckpointManager: the older of two kept checkpoints is
    # restored (weights, global step and Adam's slots) and training goes on from it
    "session_saver_checkpoint": 1e-4,
    # Adagrad (epsilon=0.0), Adadelta (epsilon=1e-08) and Ftrl with TF1's defaults pinned
    "session_optimizers_pinned": 1e-4,
    # a GAN: two Adam optimizers, each with its var_list, alternating train steps
    "session_gan_two_optimizers": 1e-4,
    # tf.global_variables() with plain SGD (no slots): the object's `variables`
    "session_global_variables_sgd": 1e-4,
    # tf.train.*_decay(global_step) -> Keras schedules evaluated at optimizer.iterations
    "session_lr_schedules": 1e-4,
    # one-shot tf.data iterators -> iter(dataset) + iterator.get_next() per run
    # (OutOfRangeError ends the loop as before)
    "session_dataset_one_shot": 1e-4,
    # components of a tuple element fetched with tensors computed from them (list, dict,
    # tuple, one component): one function per run, one draw per call
    "session_element_fetches": 1e-5,
    # a model function made a Keras layer by TF2130, trained by the Session script that
    # TF2120 converts in the same pass: its calls become calls of the object, the
    # UPDATE_OPS control dependency goes (batch norm updates in call(training=True)),
    # var_list=tf.trainable_variables() becomes the tape's watched variables
    "session_model_function": 1e-4,
    # corpus/tf1/variable_scope_siamese.py with NumPy-made initial values and without its
    # variable-name listing: tower(x2, reuse=True) and AUTO_REUSE calls share one object
    "session_model_siamese": 1e-4,
    # tf.cond with a counting assign in its branch, tf.while_loop in a helper, a Python
    # loop of assigns under tf.control_dependencies grouped and fetched, tf.gradients ->
    # tape.gradient
    "session_control_flow": 1e-5,
    # dynamic graph construction by Python values: variables made in a loop (kept in
    # place), layers stacked in a loop rebinding `h`, a dict of terms, `if USE_BIAS:`
    "session_dynamic_graph": 1e-4,
    # tf.get_variable (zeros/constant/ones initializers, int32 default zeros, float64,
    # trainable=False) and tf.Variable in nested variable scopes -> tf.Variables created
    # once; the RESULT also compares the variables' names (TF1 names kept) and trainability
    "session_get_variable_scope": 1e-4,
    # the random initializers of tf.get_variable (glorot uniform by default, glorot normal,
    # truncated/random normal, random uniform, with and without arguments): random
    # streams differ, so the RESULT holds statistics of 120k draws (mean, std, and min/max
    # for bounded distributions) and agrees within sampling noise; a wrong default (Keras'
    # stddev=0.05, TF2's minval=-0.05) or fan mode is far outside it
    "session_get_variable_initializers": 0.03,
    # input functions returning `iterator.get_next()` of a one-shot iterator (a shuffled,
    # repeated pipeline and an inline tf.data.make_one_shot_iterator) -> they return
    # `iter(dataset)`; each run draws the next element as in TF1
    "session_input_fn": 1e-4,
    # optimizers no Keras optimizer reproduces (RMSProp centered with momentum, the proximal
    # ones, Nesterov momentum with a decaying rate, RMSProp with a decaying rate): RMSProp /
    # Momentum -> TF1RMSProp / TF1Momentum classes, the proximal ones stay tf.compat.v1.train
    # objects, all driven by the tape's gradients; schedules -> Keras ones
    # evaluated at the global step that apply_gradients(global_step=) advances
    "session_v1_optimizers": 1e-4,
    # session_saver_checkpoint with RMSProp: the kept optimizer's slots are checkpointed
    # and restored by tf.train.Checkpoint
    "session_v1_optimizer_checkpoint": 1e-4,
    # RMSProp with every argument positional (centered, use_locking) and with the defaults,
    # two train ops: one TF1RMSProp class for the file, keyword arguments, no use_locking
    "session_tf1_rmsprop_class": 1e-4,
    # plain Momentum (positional momentum) with a piecewise-constant rate of its global
    # step: TF1Momentum given `lambda: lr(global_step)`; Keras SGD would differ after steps 3, 6
    "session_tf1_momentum_class": 1e-4,
    # compute_gradients ... apply_gradients with clip_by_value (None gradients filtered),
    # clip_by_global_norm over zip(*...), clip_by_norm over a var_list: the pairs come from
    # the tape, the clipping statements run after it (Keras and kept TF1 optimizers)
    "session_gradient_pairs": 1e-4,
    # corpus/tf1/lr_schedule_momentum.py with tf.Variable instead of get_variable and
    # get_or_create_global_step: schedules combined, fed tf.cast(step) and fetched become
    # Keras schedules evaluated at the step; the kept Momentum gets `current_lr`
    "session_lr_tensor_schedules": 1e-4,
    # session_model_function with `tf.trainable_variables()` read (and counted) after the
    # model calls: the object's trainable_variables after a trace of the train step builds
    # it; shapes and last name parts compared in TF1's order
    "session_model_variable_list": 1e-4,
    # tf.layers conv2d/max_pooling2d/average_pooling2d/flatten/dense/dropout inline in main
    # -> Keras layer objects created once and called in the step functions (constant /
    # ones / zeros initializers -> Keras ones; dropout's training=False default pinned)
    "session_inline_layers": 1e-4,
    # the CIFAR-10 multi-GPU recipe: three towers sharing a two-layer TF2130 object through
    # the re-entered root scope, compute_gradients per tower averaged by a helper, one Adam
    # step with a global step; the evaluation run's function recomputes the towers
    "session_multi_tower": 1e-4,
    # embedding_lookup / gather with repeated ids: Adam's step makes the sparse gradients
    # dense (TF1 summed repeated rows first), gradient descent keeps them
    "session_sparse_gradients": 1e-4,
    # tf.layers.dropout(training=<placeholder_with_default>) -> tf.cond on the flag around
    # the Keras Dropout object; compared: the default (identity) output, the dropped
    # fraction (rounded) and the 1/(1-rate) scale of the kept values
    "session_inline_dropout": 1e-4,
    # corpus/tf1/dqn_target_update.py with NumPy-made initial values and Adam (a Keras
    # optimizer): the scoped TRAINABLE_VARIABLES read as var_list -> the online object's
    # variables; the name-sorted scope copy -> a loop of assigns over both objects'
    # variables (the target's outputs after two copies compared)
    "session_scope_copy": 1e-4,
    # a queue pipeline over two CSV files, batches of 3 crossing the file boundary and
    # wrapping around; the batch fetched with a tensor computed from it; no try/finally
    "queue_csv_two_files": 1e-5,
    # TFRecordReader + parse_single_example, num_epochs=2 and allow_smaller_final_batch:
    # repeat(2) and the last short batch; `while not coord.should_stop()` trained until
    # the OutOfRangeError that the eager iterator raises too
    "queue_tfrecord_epochs": 1e-4,
    # slice_input_producer over NumPy arrays: Dataset.from_tensor_slices, a preprocessing
    # map, three epochs with the last short batch dropped; a second pipeline batches the
    # slices as they are (no map)
    "queue_slice_input": 1e-4,
    # the reader in a helper `read_and_decode(filename_queue)` (TF1's fully_connected_reader
    # shape): the helper becomes the map function of the TFRecordDataset; one epoch, the
    # last incomplete batch dropped; global and local initializers run in one list
    "queue_reader_helper": 1e-4,
    # one `is_training` bool placeholder fed True / False to a model function: each
    # generated function gets the literal (`training=True` in the train step, False in the
    # evaluation); batch normalization on a 2-D input (unfused in TF1: biased variance, as
    # Keras); get_tensor_by_name('bn/moving_mean:0') -> `model_fn_layer.bn.moving_mean`;
    # `len(update_ops)` -> `len(model_fn_layer.non_trainable_weights)`
    "session_model_training_flag": 1e-4,
    # tf.trainable_variables() (inline and bound to a name, as an L2 sum, a var_list and a
    # count) and a later get_collection(TRAINABLE_VARIABLES) in straight-line code with
    # tf.Variable / get_variable statements (one trainable=False): the lists of the
    # trainable variables made before each read; names, shapes and the training compared
    "session_trainable_variables_list": 1e-4,
    # a helper making tf.Variables under tf.name_scope (one sized from the input's static
    # shape) and computing with them -> the TF2130 layer Inference (TF1 names
    # softmax_linear/weights kept); Saver -> a Checkpoint that holds that object; saved,
    # trained on, the latest checkpoint restored in a fresh session
    "session_name_scope_model_saver": 1e-4,
    # tf.gradients(loss, tvars) clipped by global norm and applied with
    # apply_gradients(zip(grads, tvars)) (Adam, global step; one variable without a
    # gradient), and over an explicit list with SGD -> tape.gradient in the train step;
    # minimize(var_list=tf.trainable_variables()) without model functions -> the tape's
    # watched variables
    "session_gradients_apply": 1e-4,
    # a `repeat`-shaped helper (scope `block`, names `%s_%d` from 0), functools.partial
    # layer defaults and a nested conv + batch norm helper named `name + '/BatchNorm'`,
    # written out by TF2120's preparation (_repeat.py) into a TF2130 layer; Keras l2
    # regularizers (reg loss compared after training), 4-D batch norms trained with the
    # placeholder_with_default flag's default and evaluated with False
    # (TF1FusedBatchNormalization); the sorted TF1 names of tf.trainable_variables()
    "session_repeat_helper": 1e-4,
}
FIXTURES = ROOT / "tests" / "fixtures" / "tf1_to_tf2"

RUN_MANY = r'''
import json, os, runpy, sys, io, contextlib
if sys.argv[1] == "tf1":
    import tensorflow.compat.v1 as tf
    tf.disable_v2_behavior()
else:
    import tensorflow as tf
    assert tf.executing_eagerly()
results = {}
mode = sys.argv[1]
for path in sys.argv[2:]:
    if mode == "tf1":
        tf.reset_default_graph()
    buf = io.StringIO()
    sys.argv = [path]  # absl's app.run parses the command line
    with contextlib.redirect_stdout(buf):
        try:
            runpy.run_path(path, run_name="__main__")
        except SystemExit as exc:  # absl's app.run exits when main returns
            assert not exc.code, (path, exc.code)
    lines = [l for l in buf.getvalue().splitlines() if l.startswith("RESULT ")]
    results[path] = json.loads(lines[-1][7:]) if lines else None
print("RESULTS " + json.dumps(results))
'''


def _run_many(tmp_path: Path, mode: str, paths: list[Path]) -> dict:  # type: ignore[type-arg]
    runner = tmp_path / "run_many.py"
    runner.write_text(textwrap.dedent(RUN_MANY))
    env = {**_env(), "TF_USE_LEGACY_KERAS": "1"} if mode == "tf1" else _env()
    proc = subprocess.run([sys.executable, str(runner), mode, *map(str, paths)], capture_output=True, text=True,
                          env=env, timeout=600, cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULTS "))
    return json.loads(line[len("RESULTS "):])  # type: ignore[no-any-return]


# tf.summary.scalar/histogram (v2) are implemented by the tensorboard package (a
# dependency of the tensorflow wheel; without it they raise TBNotInstalledError).
NEEDS_TENSORBOARD: dict[str, float] = {
    # FileWriter/merge_all/merge/add_summary -> create_file_writer + as_default + step=;
    # the event files are read back (TF1 simple_value / HistogramProto, TF2 tensors)
    "session_summaries_v2": 1e-4,
    # `if FLAGS.log_histograms:` / `if FLAGS.log_predictions:` (on / off) around summaries
    # that merge_all collects: the tf.summary v2 writes stay under the same tests
    "session_summaries_flag": 1e-4,
    # corpus flags_train_saver with its helper inline: the flag-guarded histogram, the Keras
    # schedule summarised and fetched as `lr(global_step)`, Saver -> Checkpoint, absl flags
    "flags_schedule_summaries": 1e-4,
}


@pytest.mark.tf
@pytest.mark.slow
def test_fixture_programs_reproduce_tf1_numbers(tmp_path: Path) -> None:
    _check_fixture_programs(tmp_path, FIXTURE_PROGRAMS)


@pytest.mark.tf
@pytest.mark.slow
def test_summary_fixture_programs_reproduce_tf1_events(tmp_path: Path) -> None:
    import importlib.util

    if importlib.util.find_spec("tensorboard") is None:
        pytest.skip("tensorboard is not installed (tf.summary v2 ops need it)")
    _check_fixture_programs(tmp_path, NEEDS_TENSORBOARD)


def _check_fixture_programs(tmp_path: Path, programs: dict[str, float]) -> None:
    names = sorted(programs)
    for name in names:
        src = (FIXTURES / name / "input.py").read_bytes()
        result, out = process_bytes(src, "input.py", Options(pack="tf1-to-tf2", unsafe_fixes=True, verify_idempotence=True))
        assert not result.errors, result.errors
        assert out == (FIXTURES / name / "expected.py").read_bytes(), f"{name}: expected.py is stale"
        # tf.compat.v1.data.Dataset: the symbol table's choice for tf.data.Dataset (a TF1
        # DatasetV1); it works eagerly and iter() takes it
        code = _without_kept_optimizers(name, _code_only(out.decode()), list(result.findings)).replace("tf.compat.v1.data.Dataset", "")
        assert "compat.v1" not in code and "Saver" not in code and "Session" not in code
    tf1 = _run_many(tmp_path, "tf1", [FIXTURES / n / "input.py" for n in names])
    tf2 = _run_many(tmp_path, "tf2", [FIXTURES / n / "expected.py" for n in names])
    problems = []
    for name in names:
        expected = tf1[str(FIXTURES / name / "input.py")]
        got = tf2[str(FIXTURES / name / "expected.py")]
        assert expected is not None and got is not None, name
        problems += [f"{name}: {p}" for p in _compare(expected, got, programs[name], "", {})]
    assert not problems, "\n".join(problems)


def test_queue_pipeline_is_converted_to_tf_data() -> None:
    """The queue pipeline of queue_runner_input (proved by the numeric test) becomes a
    tf.data pipeline in its input function; no queue, reader or coordinator name is left."""
    out, findings = migrate("queue_runner_input")
    mine = [f for f in findings if f.rule_id == "TF2120"]
    assert all(f.status is not Status.MANUAL for f in mine), [f.message for f in mine]
    code = _code_only(out)
    for gone in ("input_producer", "TextLineReader", "train.batch", "Coordinator", "start_queue_runners",
                 "should_stop", "request_stop", "coord", "threads", "try:", "finally:", "local_variables_initializer"):
        assert gone not in code, gone
    assert "dataset = dataset.map(parse_line)" in out and "return iter(dataset)" in out


_QUEUE_SRC = (TF1 / "queue_runner_input.py").read_text()


@pytest.mark.parametrize(("old", "new", "why"), [
    ("    image, label = read_and_decode(filename_queue)\n",
     "    image, label = read_and_decode(filename_queue)\n    image = image * 2.0\n", "right before the batch"),
    ("    np.random.seed(4)\n", "    np.random.seed(4)\n    print(read_and_decode)\n", "used elsewhere"),
    ("    image, label = read_and_decode(filename_queue)\n    images, labels = tf.train.batch([image, label],",
     "    image, label = read_and_decode(filename_queue)\n    images, labels = tf.train.batch([label, image],",
     "as `read_and_decode()` returns them"),
])
def test_queue_reader_helper_refusals(old: str, new: str, why: str) -> None:
    src = (FIXTURES / "queue_reader_helper" / "input.py").read_text()
    assert old in src, old
    result, _out = process_bytes(src.replace(old, new).encode(), "q.py", Options(pack="tf1-to-tf2", unsafe_fixes=True))
    assert not result.errors, result.errors
    mine = [f for f in result.findings if f.rule_id == "TF2120"]
    assert len(mine) == 1 and mine[0].status is Status.MANUAL and why in mine[0].message, [f.message for f in mine]


def test_queue_batch_bound_then_returned_is_the_same_pipeline() -> None:
    """`a, b = tf.train.batch(...)` + `return a, b` migrates to exactly the output of the
    proven `return tf.train.batch(...)` (corpus/tf2_expected/queue_runner_input.py)."""
    old = ("    return tf.train.batch([features, label], batch_size=batch_size, num_threads=1,\n"
           "                          capacity=32)\n")
    assert old in _QUEUE_SRC
    src = _QUEUE_SRC.replace(old, "    feature_batch, label_batch = tf.train.batch([features, label], batch_size=batch_size,\n"
                                  "                                                num_threads=1, capacity=32)\n"
                                  "    return feature_batch, label_batch\n")
    result, out = process_bytes(src.encode(), "q.py", Options(pack="tf1-to-tf2", unsafe_fixes=True, verify_idempotence=True))
    assert not result.errors
    assert out.decode() == (EXPECTED_TF2 / "queue_runner_input.py").read_text()


@pytest.mark.parametrize(("old", "new", "why"), [
    ("return tf.train.batch([features, label], batch_size=batch_size, num_threads=1,\n                          capacity=32)",
     "return tf.train.shuffle_batch([features, label], batch_size=batch_size, capacity=32, min_after_dequeue=8)",
     "RandomShuffleQueue"),
    ("num_threads=1", "num_threads=2", "several enqueuing threads"),
    ("shuffle=False,", "shuffle=True,", "the producer shuffles"),
    ("reader = tf.TextLineReader()", "reader = tf.WholeFileReader()", "`tf.WholeFileReader` is not converted"),
    ("reader = tf.TextLineReader()", "reader = tf.TFRecordReader(options=opts)", "`options` sets a compression"),
    ("reader = tf.TextLineReader()", "reader = tf.TextLineReader(skip_header_lines=1)", "skip_header_lines"),
    ("        coord.join(threads)\n", "        coord.join(threads)\n        print(threads)\n", "used other than in its calls"),
    ("    features = tf.stack([c1, c2, c3])\n", "    features = tf.stack([c1, c2, c3]) + tf.random_normal([3])\n",
     "random op per record"),
    ("    features = tf.stack([c1, c2, c3])\n", "    features = tf.stack([c1, c2, c3])\n    record_defaults = None\n",
     "rebinds a name of its per-record code"),
])
def test_queue_pipeline_refusals_say_why_and_what_to_write(old: str, new: str, why: str) -> None:
    """What the conversion cannot prove keeps the Session, with the precise reason and the
    tf.data pipeline to write (built from the file's own producer, reader, decoder, batch)."""
    assert old in _QUEUE_SRC, old
    src = _QUEUE_SRC.replace(old, new)
    result, _out = process_bytes(src.encode(), "q.py", Options(pack="tf1-to-tf2", unsafe_fixes=True))
    assert not result.errors, result.errors
    mine = [f for f in result.findings if f.rule_id == "TF2120"]
    assert len(mine) == 1 and mine[0].status is Status.MANUAL, [f.message for f in mine]
    msg = mine[0].message
    assert why in msg, msg
    reader = ("Dataset.from_tensor_slices" if "WholeFileReader" in src else "TFRecordDataset" if "TFRecordReader" in src
              else "TextLineDataset")
    for piece in (f"tf.data.{reader}(", "tf.io.decode_csv(line, record_defaults=record_defaults)",
                  "start_queue_runners"):
        assert piece in msg, (piece, msg)


# -- TF2120 composed with TF2130 (model functions made Keras layers in the same pass) -------

_MODEL_SRC = (FIXTURES / "session_model_function" / "input.py").read_text()


def _tf2120(src: str, **options) -> tuple[str, list]:  # type: ignore[no-untyped-def]
    result, out = process_bytes(src.encode(), "input.py", Options(pack="tf1-to-tf2", unsafe_fixes=True, verify_idempotence=True, **options))
    assert not result.errors, result.errors
    return out.decode(), [f for f in result.findings if f.rule_id == "TF2120"]


def test_model_function_calls_become_object_calls_in_the_steps() -> None:
    out, mine = _tf2120(_MODEL_SRC)
    assert any(f.status is Status.APPLIED and "eager" in f.message for f in mine), [f.message for f in mine]
    code = _code_only(out)
    for gone in ("control_dependencies", "UPDATE_OPS", "get_collection", "trainable_variables()", "def tower", "compat.v1",
                 "get_regularization_loss", "REGULARIZATION_LOSSES"):
        assert gone not in code, gone
    assert "logits = tower_layer(x, training=True)" in out and "variables = tape.watched_variables()" in out
    assert "loss = xent + tf.add_n(tower_layer.losses)" in out
    assert "+ tf.add_n(tower_layer.losses))" in out  # tf.add_n(tf.get_collection(REGULARIZATION_LOSSES))
    assert out.index("tower_layer = Tower()") < out.index("def train_step")


def test_trainable_collection_read_becomes_the_objects_variables_after_a_trace() -> None:
    """`tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES)` (no scope) reads like
    `tf.trainable_variables()` (tests/fixtures/tf1_to_tf2/session_model_variable_list runs the
    latter against TF1): the object's list, read after the train step's trace built it."""
    src = (FIXTURES / "session_model_variable_list" / "input.py").read_text()
    old = "    listed = tf.trainable_variables()\n"
    assert old in src
    out, mine = _tf2120(src.replace(old, "    listed = tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES)\n"))
    assert all(f.status is not Status.MANUAL for f in mine), [f.message for f in mine]
    assert ("    train_step.get_concrete_function()  # builds the Keras objects (their variables)\n"
            "    listed = tower_layer.trainable_variables\n") in out
    assert "GraphKeys" not in out and "compat.v1" not in out


@pytest.mark.parametrize(
    ("change", "why"),
    [
        # without TF2130 in the run the functions stay TF1: nothing to compose with (the
        # UPDATE_OPS collection, get_variable and tf.layers are all reasons; the first one is
        # reported; `minimize(var_list=tf.trainable_variables())` is the tape's variables)
        (None, "UPDATE_OPS`: graph collections do not exist"),
        # TF2130 suppressed on the model function: no Keras object to call
        (("def tower(x, is_training):\n", "def tower(x, is_training):  # migrate: ignore[TF2130]\n"), "not converted"),
        # a run computing batch norm in training mode without the train op: TF1 ran no
        # moving-average update there, Keras would (and the next run reads the statistics;
        # as the last run of the program it converts: _model_variables.last_unobserved_run)
        (("final, out = sess.run([eval_loss, eval_logits], {x: xs, labels: ys})",
          ("final, out = sess.run([loss, logits], {x: xs, labels: ys})\n"
           "        final, out = sess.run([loss, logits], {x: xs, labels: ys})")), "moving statistics"),
        # the training flag fed through a placeholder: Keras layers need a Python bool
        # (a flag fed a literal True/False by every run is converted: session_model_training_flag)
        ((("    logits = tower(x, True)\n", "    flag = tf.placeholder(tf.bool, [])\n    logits = tower(x, flag)\n"),
          ("{x: xs, labels: ys})\n        final", "{x: xs, labels: ys, flag: xs.ndim == 2})\n        final")), "Python bool"),
        # the update list read before the model was built: TF1 ran no update at all
        ((("    update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)\n", ""),
          ("    logits = tower(x, True)\n", "    update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)\n    logits = tower(x, True)\n")),
         "none of its moving-average updates"),
        # the update list used for something else than the control dependency
        (('"train_loss": round(float(train_loss), 6),', '"train_loss": round(float(train_loss), 6), "n": len(update_ops),'), "UPDATE_OPS"),
        # the collection read outside minimize(var_list=) before a call of the model function:
        # TF1 listed the variables created so far (see session_model_variable_list)
        (("    eval_logits = tower(x, False)\n", "    names = [v.name for v in tf.trainable_variables()]\n    eval_logits = tower(x, False)\n"),
         "not before it"),
        # ... read as a graph value
        (("    with tf.Session() as sess:\n", "    n = tf.size(tf.trainable_variables()[0])\n    with tf.Session() as sess:\n"),
         "in a graph statement"),
        # ... with a variable created outside the model function (its place in the list)
        ((("    logits = tower(x, True)\n", "    scale = tf.Variable(1.0)\n    logits = tower(x, True) * scale\n"),
          ("    with tf.Session() as sess:\n", "    names = [v.name for v in tf.trainable_variables()]\n    with tf.Session() as sess:\n")),
         "outside the model functions"),
        # ... with `trainable=` in the model function: which variables are listed depends on it
        ((("kernel_regularizer=weight_decay, name='dense')", "kernel_regularizer=weight_decay, trainable=True, name='dense')"),
          ("    with tf.Session() as sess:\n", "    names = [v.name for v in tf.trainable_variables()]\n    with tf.Session() as sess:\n")),
         "depends on the value"),
        # ... selecting variables by TF1 name (Keras names them `w`, TF1 `tower/fc1/w:0`)
        (("    with tf.Session() as sess:\n", ("    mine = [v for v in tf.trainable_variables() if v.name.startswith('tower/fc1')]\n"
                                            "    with tf.Session() as sess:\n")), "TF1 names are used"),
        # ... pairing or ordering by name
        (("    with tf.Session() as sess:\n", ("    tvars = tf.trainable_variables()\n    by_name = sorted(tvars, key=lambda v: v.name)\n"
                                            "    with tf.Session() as sess:\n")), "TF1 names are used"),
        # ... the list passed on (what the callee does with it is not known)
        (("    with tf.Session() as sess:\n", ("    tvars = tf.trainable_variables()\n    print(repr(tvars))\n"
                                            "    with tf.Session() as sess:\n")), "used other than"),
        # the variables of a scope that no one object holds (scope='tower', the object's
        # own, is converted: _collections.scoped_object), and GLOBAL_VARIABLES (slots,
        # non-trainable variables)
        (("    with tf.Session() as sess:\n", ("    mine = tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, scope='tower/fc1')\n"
                                            "    with tf.Session() as sess:\n")), "one variable scope"),
        (("    with tf.Session() as sess:\n", "    n = len(tf.global_variables())\n    with tf.Session() as sess:\n"),
         "GLOBAL_VARIABLES also list"),
        # ... and a model function with its own variables and sub-layers (Keras lists its own first)
        ((("        h = tf.nn.relu(fc(x, 8, 'fc1'))\n", "        s = tf.get_variable('s', [], initializer=tf.ones_initializer())\n        h = tf.nn.relu(fc(x, 8, 'fc1')) * s\n"),
          ("    with tf.Session() as sess:\n", "    names = [v.name for v in tf.trainable_variables()]\n    with tf.Session() as sess:\n")),
         "sub-layers"),
        # the regularization losses read before the model made its variables (TF1: 0.0)
        (("    logits = tower(x, True)\n", "    early = tf.losses.get_regularization_loss()\n    logits = tower(x, True) + early\n"),
         "not before it"),
        # an activity regularizer: one loss per call in TF1, Keras keeps the last call's
        (("kernel_regularizer=weight_decay, name='dense')", "activity_regularizer=weight_decay, name='dense')"),
         "activity regularizer"),
    ],
)
def test_model_function_composition_rejects_what_it_cannot_prove(change, why) -> None:  # type: ignore[no-untyped-def]
    src = _MODEL_SRC
    options = {}
    if change is None:
        options["ignore"] = ("TF2130", "TF2131")
    else:
        for old, new in change if isinstance(change[0], tuple) else (change,):
            assert old in src, old
            src = src.replace(old, new, 1)
    out, mine = _tf2120(src, **options)
    assert len(mine) == 1 and mine[0].status is Status.MANUAL, [f.message for f in mine]
    assert why.lower() in mine[0].message.lower(), mine[0].message
    assert "GradientTape" not in out and "input_signature" not in out


# -- name-prefix filters of tf.trainable_variables() (_collections._prefix_filters) --------

@pytest.mark.parametrize(
    ("change", "why"),
    [
        # any prefix of `generator/` that no other object's names start with: the same list
        (("startswith('generator')", "startswith('gen')"), None),
        (("startswith('generator')", "startswith('generator/')"), None),
        # a prefix reaching into the object's names selects some of its variables only
        (("startswith('generator')", "startswith('generator/G_W')"), "only some of one Keras object's variables"),
        # two objects whose TF1 names both start with the prefix
        ((("variable_scope('discriminator')", "variable_scope('generator2')"), ("scope='discriminator'", "scope='generator2'")),
         "the variables of several Keras objects"),
        # no object's names (the list was empty in TF1)
        (("startswith('generator')", "startswith('enc')"), "no Keras object's variables"),
        (("startswith('generator')", "startswith('')"), "non-empty string literal"),
        # the unfiltered list used as well: stays refused
        (("    D_solver = ", "    print(len(t_vars))\n    D_solver = "), "before the point where the converted functions"),
        # the selected variables' TF1 names printed (Keras names them `G_W1`)
        (('        "n_g_vars": len(g_vars),\n', '        "n_g_vars": len(g_vars), "names": [v.name for v in g_vars],\n'),
         "used other than by `len(...)`"),
        (('        "n_d_vars": len(d_vars),\n', '        "n_d_vars": len(d_vars), "d": str(d_vars),\n'),
         "used other than by `len(...)`"),
        # a filter that does more than select by prefix
        (("if var.name.startswith('generator')", "if not var.name.startswith('generator')"),
         "before the point where the converted functions"),
    ],
)
def test_trainable_name_prefix_filters(change, why) -> None:  # type: ignore[no-untyped-def]
    """`g_vars = [var for var in t_vars if var.name.startswith('generator')]` over
    `t_vars = tf.trainable_variables()` read before the generated functions (the GAN of
    corpus/tf1/gan_two_optimizers.py, whose numbers are proven): exactly one object's
    variables -> `generator_layer.trainable_variables` after the trace; anything else refuses
    with its reason."""
    src = (TF1 / "gan_two_optimizers.py").read_text()
    for old, new in change if isinstance(change[0], tuple) else (change,):
        assert old in src, old
        src = src.replace(old, new, 1)
    out, mine = _tf2120(src)
    if why is None:
        assert any(f.status is Status.APPLIED and "eager" in f.message for f in mine), [f.message for f in mine]
        assert out == (EXPECTED_TF2 / "gan_two_optimizers.py").read_text()
        return
    assert len(mine) == 1 and mine[0].status is Status.MANUAL, [f.message for f in mine]
    assert why.lower() in mine[0].message.lower(), mine[0].message
    assert "GradientTape" not in out


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        ("tf.train.GradientDescentOptimizer(0.1)", "tf.train.AdamOptimizer(0.1)", "AdamOptimizer(0.1)` makes slot"),
        ("tf.train.GradientDescentOptimizer(0.1)", "tf.train.MomentumOptimizer(0.1, 0.9)", "makes slot or accumulator"),
        ("minimize(loss)", "minimize(loss, global_step=tf.train.get_or_create_global_step())", "global step"),
        ("initializer=tf.zeros_initializer())", "initializer=tf.zeros_initializer(), trainable=True)", "passes `trainable=`"),
        ("initializer=tf.zeros_initializer())", "initializer=tf.zeros_initializer(), collections=['x'])",
         "graph collections do not exist"),  # TF2130 keeps such a function; _global_refusal would too
        ("    pred = tf.matmul(x, w) + b\n", "    pred = tf.layers.dense(tf.matmul(x, w) + b, 1, name='d')\n", "makes Keras layers"),
        ("    global_vars = tf.global_variables()\n",
         "    scale = tf.Variable(1.0)\n    global_vars = tf.global_variables()\n", "not converted"),
    ],
)
def test_global_variables_read_refusals(old: str, new: str, why: str) -> None:
    """tf.global_variables() is the objects' `variables` only where it lists nothing else:
    plain SGD without a global step, model functions that make trainable variables only
    (tests/fixtures/tf1_to_tf2/session_global_variables_sgd, whose numbers are proven)."""
    src = (FIXTURES / "session_global_variables_sgd" / "input.py").read_text()
    assert old in src, old
    out, mine = _tf2120(src.replace(old, new, 1))
    assert len(mine) == 1 and mine[0].status is Status.MANUAL, [f.message for f in mine]
    assert why.lower() in mine[0].message.lower(), mine[0].message
    assert "GradientTape" not in out


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        # fetched before any run: Keras has not created the variables yet
        ("    for step in range(20):\n", "    w0 = sess.run(tf.global_variables()[0])\n    for step in range(20):\n",
         "not preceded by a run that surely calls"),
        # slots: the element could be one of them
        ("tf.train.GradientDescentOptimizer(0.1)", "tf.train.AdagradOptimizer(0.1)", "makes slot or accumulator"),
        # the runs before it may not have run
        ("    for step in range(20):\n", "    for step in range(int(x_np[0, 0] > 9)):\n", "not preceded by a run that surely calls"),
    ],
)
def test_fetched_variable_element_refusals(old: str, new: str, why: str) -> None:
    """`sess.run(tf.global_variables()[0])` -> `<object>.variables[0].numpy()` only after a
    run that surely built the object, where the list is TF1's (fixture
    session_global_variables_sgd, proven)."""
    src = (FIXTURES / "session_global_variables_sgd" / "input.py").read_text()
    assert "    w = sess.run(tf.global_variables()[0])\n" in src and old in src
    out, mine = _tf2120(src.replace(old, new, 1))
    assert len(mine) == 1 and mine[0].status is Status.MANUAL, [f.message for f in mine]
    assert why.lower() in mine[0].message.lower(), mine[0].message
    assert "GradientTape" not in out


def test_variable_reads_after_runs() -> None:
    """A collection read after a run statement that called every object (which built them)
    needs no trace; after runs in a loop only (which may run zero times) or with no run
    before it, a trace comes first, unless an earlier read's trace did (the fixture
    session_global_variables_sgd: one trace, then `n_after = len(linear_loss_layer.variables)`)."""
    src = (FIXTURES / "session_global_variables_sgd" / "input.py").read_text()
    expected = (FIXTURES / "session_global_variables_sgd" / "expected.py").read_text()
    assert expected.count("get_concrete_function()") == 1
    assert "    n_after = len(linear_loss_layer.variables)\n" in expected
    src = src.replace("    global_vars = tf.global_variables()\n", "").replace(
        "    for step in range(20):\n",
        "    l = sess.run(loss, {x: x_np, y: y_np})\n    global_vars = tf.global_variables()\n    for step in range(20):\n")
    out, mine = _tf2120(src)
    assert any(f.status is Status.APPLIED and "eager" in f.message for f in mine), [f.message for f in mine]
    assert "get_concrete_function" not in out
    assert "    l = compute_loss(x_np, y_np).numpy()\n    global_vars = linear_loss_layer.variables\n" in out, out


# -- graph control flow (rules/tf1_to_tf2/_control_flow.py) ---------------------------------

_SGD_SRC = (TF1 / "manual_sgd_gradients.py").read_text()
_COND_SRC = (TF1 / "control_flow_cond.py").read_text()
_FLAGS_SRC = (TF1 / "flags_required_tf_flags.py").read_text()


@pytest.mark.parametrize(
    ("src", "change", "why"),
    [
        # one element of the update list: a function needing it would run every update
        (_SGD_SRC, ("tf.group(*(updates + [inc]), name='train')", "tf.group(updates[0], inc, name='train')"),
         "one element of a list of graph updates"),
        # a stateful op in the loop block whose result feeds nothing the block defines
        (_SGD_SRC, ("        new_v = tf.assign(v, momentum * v + g)\n",
                    "        new_v = tf.assign(v, momentum * v + g)\n        tf.assign_add(step, 0)\n"),
         "feeds nothing the block defines"),
        # the block defines two things (the update list and the last velocity, read later):
        # a function needing the velocity would run every update
        (_SGD_SRC, ("    grad_norm = tf.sqrt(", "    last_v = new_v * 1.0\n    grad_norm = tf.sqrt("),
         "defines several names"),
        # stateful ops that no run can fetch (TF1 never ran them; kept as eager code they
        # would run): a bare statement, a loop of them, one under a Python `if`
        (_SGD_SRC, ("    hidden = tf.tanh(", "    tf.assign(step, 5)\n    hidden = tf.tanh("), "as a statement"),
        (_SGD_SRC, ("    hidden = tf.tanh(", "    for p in params:\n        tf.assign(p, p * 2.0)\n    hidden = tf.tanh("),
         "feeds nothing the block defines"),
        (_SGD_SRC, ("    hidden = tf.tanh(", "    for q in params:\n        tf.assign(q, q * 2.0)\n    hidden = tf.tanh("),
         "nothing after it uses"),
        (_SGD_SRC, ("    hidden = tf.tanh(", "    if lr > 0:\n        tf.assign_add(step, 1)\n    hidden = tf.tanh("),
         "not a plain assignment"),
        # a control dependency under a Python `if`: not a top-level block
        (_SGD_SRC, ("    with tf.control_dependencies(updates):\n        inc = tf.assign_add(step, 1)\n",
                    "    if True:\n        with tf.control_dependencies(updates):\n            inc = tf.assign_add(step, 1)\n"),
         "only as a `with` block at the top level"),
        # the grouped update fetched with a tensor, or its value (None) kept
        (_SGD_SRC, ("sess.run(train_op, {x: x_np, y: y_np})", "sess.run([train_op, loss], {x: x_np, y: y_np})"),
         "fetched together with other tensors"),
        (_SGD_SRC, ("sess.run(train_op, {x: x_np, y: y_np})", "_ = sess.run(train_op, {x: x_np, y: y_np})"),
         "value of a fetched `tf.group`"),
        # TF1-only argument of tf.gradients
        (_SGD_SRC, ("tf.gradients(loss, params)", "tf.gradients(loss, params, colocate_gradients_with_ops=True)"),
         "colocate_gradients_with_ops"),
        # TF1 unpacks a one-element loop_vars list, TF2 does not
        (_COND_SRC, ("[n, tf.constant(0)]", "[n]"), "one-element loop_vars"),
        # strict= does not exist in TF2 (always strict)
        (_COND_SRC, ("lambda: tf.abs(x))", "lambda: tf.abs(x), strict=True)"), "TF1-only arguments"),
        # a branch returning a one-element list: TF1 unpacks it
        (_COND_SRC, ("lambda: tf.square(x), lambda: tf.abs(x)", "lambda: [tf.square(x)], lambda: [tf.abs(x)]"),
         "one-element list"),
        (_COND_SRC, ("tf.cond(use_square, lambda: tf.square(x), lambda: tf.abs(x))",
                     "tf.case([(use_square, lambda: tf.square(x))], default=lambda: tf.abs(x))"), "tf.case"),
        # a stateful op in a while_loop body
        (_COND_SRC, ("        return i, k + 1\n", "        return i, k + tf.to_int32(tf.assign_add(tf.Variable(0), 1))\n"),
         "loop body is not analysed"),
        # a random op in a tf.map_fn body
        (_COND_SRC, ("clipped = tf.minimum(tf.maximum(x, -1.0), 1.0)", "clipped = tf.map_fn(lambda v: v + tf.random_normal([]), x)"),
         "`tf.map_fn` fn runs `tf.random_normal`"),
        # `if <python value>:` around graph code: a stateful op there, a variable initialised
        # from a tensor of the block, a test that calls something (it would run at trace time)
        (_FLAGS_SRC, ("        pred = pred + b\n", "        pred = pred + tf.assign_add(b, 1.0)\n"),
         "under a Python `if`"),
        (_FLAGS_SRC, ("        b = tf.Variable(0.0, name='b')\n        pred = pred + b\n",
                      "        pred = pred + 1.0\n        b = tf.Variable(pred[0, 0], name='b')\n"),
         "initialised from the graph tensor"),
        (_FLAGS_SRC, ("    if FLAGS.use_bias:\n", "    if bool(FLAGS.use_bias):\n"), "python control flow"),
        # a second graph: the one-graph idiom no longer applies
        (_COND_SRC, ("    g = tf.Graph()\n", "    g = tf.Graph()\n    other = tf.Graph()\n"), "graph itself"),
    ],
)
def test_control_flow_refuses_what_it_cannot_prove(src, change, why) -> None:  # type: ignore[no-untyped-def]
    old, new = change


# -- TF1 optimizers without a Keras counterpart: TF1's update rule as a class, or kept ------

_V1_SRC = """import tensorflow.compat.v1 as tf

def main(data, target):
    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.placeholder(tf.float32, [None, 1])
    w = tf.Variable(tf.zeros([3, 1]))
    step = tf.Variable(0, trainable=False)
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - y))
    opt = tf.train.RMSPropOptimizer(0.1)
    train = opt.minimize(loss, global_step=step)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {x: data, y: target})
        return sess.run(w)
"""


def test_rmsprop_becomes_the_tf1_update_rule_class() -> None:
    out, mine = _tf2120(_V1_SRC)
    assert out.count("class TF1RMSProp(tf.Module):") == 1 and "compat.v1" not in out
    assert "opt = TF1RMSProp(0.1)" in out
    # the class sits after the imports; the train step calls it as it called the TF1 object
    assert out.index("class TF1RMSProp") < out.index("def main")
    assert "opt.apply_gradients(zip(gradients, variables), global_step=step)" in out
    assert "step.assign_add(1)" not in out.split("class TF1RMSProp")[0] + out.split("def main")[1]
    assert not [f for f in mine if f.status is Status.MANUAL], [f.message for f in mine]
    note = next(f for f in mine if "TF1RMSProp" in f.message)
    assert "mean square at 1.0" in note.message and "tf.keras.optimizers.RMSprop(" in note.message
    # after the import of tensorflow even where other statements come between the imports
    out, _ = _tf2120("import sys\nsys.path.insert(0, '.')\n" + _V1_SRC)
    assert out.index("import tensorflow as tf") < out.index("class TF1RMSProp") < out.index("def main")
    # positional TF1 arguments become keywords; use_locking (no effect eagerly) goes
    out, _ = _tf2120(_V1_SRC.replace("RMSPropOptimizer(0.1)", "RMSPropOptimizer(0.1, 0.8, 0.5, 1e-6, True, True)"))
    assert "opt = TF1RMSProp(0.1, decay=0.8, momentum=0.5, epsilon=1e-6, centered=True)" in out


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # TF1 updated only the looked-up rows of a sparse gradient: the TF1 object stays
        ("    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - y))\n",
         "    loss = tf.reduce_mean(tf.square(tf.matmul(x, tf.gather(w, [0, 1, 2])) - y))\n"),
        # a name tf.Module does not accept
        ("RMSPropOptimizer(0.1)", "RMSPropOptimizer(0.1, name='my-rmsprop')"),
    ],
)
def test_rmsprop_kept_as_tf1_object_where_the_class_does_not_fit(old: str, new: str) -> None:
    assert old in _V1_SRC, old
    out, mine = _tf2120(_V1_SRC.replace(old, new, 1))
    assert "opt = tf.compat.v1.train.RMSPropOptimizer(0.1" in out and "TF1RMSProp" not in out
    assert "GradientTape" in out and "Session" not in out and "placeholder" not in out
    manual = [f for f in mine if f.status is Status.MANUAL]
    assert len(manual) == 1 and "mean square at 1.0" in manual[0].message and "tf.keras.optimizers.RMSprop(" in manual[0].message
    assert manual[0].effort == "complex"


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        # minimize's gating and aggregation options
        ("minimize(loss, global_step=step)", "minimize(loss, global_step=step, gate_gradients=tf.train.Optimizer.GATE_NONE)",
         "gate_gradients"),
        # an optimizer neither Keras nor the kept ones cover
        ("tf.train.RMSPropOptimizer(0.1)", "tf.train.AdagradDAOptimizer(0.1, step)", "not one of the optimizers"),
        ("tf.train.RMSPropOptimizer(0.1)", "tf.train.RMSPropOptimizer(0.1, rho=0.9)", "not recognised"),
        # the decayed rate also computed with (a tensor schedule, converted), but that
        # tensor is never run: TF2120 does not drop graph code silently
        ("    opt = tf.train.RMSPropOptimizer(0.1)\n",
         ("    lr = tf.train.exponential_decay(0.1, step, 3, 0.5)\n    opt = tf.train.RMSPropOptimizer(lr)\n"
          "    shown = lr * 2.0\n"), "`shown` is built but never run"),
    ],
)
def test_kept_optimizer_refusals(old: str, new: str, why: str) -> None:
    assert old in _V1_SRC, old
    out, mine = _tf2120(_V1_SRC.replace(old, new, 1))
    assert len(mine) == 1 and mine[0].status is Status.MANUAL, [f.message for f in mine]
    assert why.lower() in mine[0].message.lower(), mine[0].message
    assert "GradientTape" not in out


def test_momentum_keeps_keras_sgd_for_a_constant_rate() -> None:
    out, mine = _tf2120(_V1_SRC.replace("tf.train.RMSPropOptimizer(0.1)", "tf.train.MomentumOptimizer(0.1, 0.9)"))
    assert "opt = tf.keras.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=False)" in out
    assert "step.assign_add(1)" in out and "compat.v1" not in out
    assert not [f for f in mine if f.status is Status.MANUAL]
    sched = _V1_SRC.replace("    opt = tf.train.RMSPropOptimizer(0.1)\n",
                            "    lr = tf.train.exponential_decay(0.1, step, 3, 0.5)\n    opt = tf.train.MomentumOptimizer(lr, 0.9)\n")
    out, mine = _tf2120(sched)
    assert "lr = tf.keras.optimizers.schedules.ExponentialDecay(0.1, 3, 0.5)" in out
    assert "opt = TF1Momentum(lambda: lr(step), momentum=0.9)" in out and "compat.v1" not in out
    assert out.count("class TF1Momentum(tf.Module):") == 1 and "class TF1RMSProp" not in out
    assert not [f for f in mine if f.status is Status.MANUAL], [f.message for f in mine]
    assert any("TF1Momentum" in f.message and "constant learning rate" in f.message for f in mine)


_PAIR_SRC = _V1_SRC.replace(
    "    train = opt.minimize(loss, global_step=step)\n",
    "    gv = opt.compute_gradients(loss, var_list=[w])\n"
    "    clipped = [(tf.clip_by_value(g, -1.0, 1.0), v) for g, v in gv]\n"
    "    train = opt.apply_gradients(clipped, global_step=step)\n")


def test_gradient_pair_becomes_tape_pairs_and_clipping_after_the_tape() -> None:
    out, mine = _tf2120(_PAIR_SRC.replace("tf.train.RMSPropOptimizer(0.1)", "tf.train.AdamOptimizer(0.1)"))
    assert any(f.status is Status.APPLIED and "eager" in f.message for f in mine), [f.message for f in mine]
    body = out[out.index("def train_step"):]
    expected = ("        variables = [w]\n"
                "        gv = list(zip(tape.gradient(loss, variables), variables))\n"
                "        clipped = [(tf.clip_by_value(g, -1.0, 1.0), v) for g, v in gv]\n"
                "        opt.apply_gradients(clipped)\n"
                "        step.assign_add(1)\n")
    assert expected in body, body
    assert "compute_gradients" not in out


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        # gating/aggregation options of compute_gradients
        ("compute_gradients(loss, var_list=[w])", "compute_gradients(loss, var_list=[w], gate_gradients=0)", "gate_gradients"),
        # the clipped gradients also fetched: they exist only inside the train step
        ("        return sess.run(w)\n", "        return sess.run(clipped, {x: data, y: target})\n", "only inside its train step"),
        # indexed gradient list without var_list: TF1 and the tape list different pairs
        ("    clipped = [(tf.clip_by_value(g, -1.0, 1.0), v) for g, v in gv]\n",
         "    clipped = [(gv[0][0] * 0.5, gv[0][1])]\n", "indexed or counted"),
        # an apply_gradients without its compute_gradients
        ("    gv = opt.compute_gradients(loss, var_list=[w])\n", "    gv = [(tf.ones([3, 1]), w)]\n", "exactly one"),
        # a compute_gradients whose result nothing applies
        ("    train = opt.apply_gradients(clipped, global_step=step)\n", "    train = opt.minimize(loss, global_step=step)\n",
         "outside a `gv = opt.compute_gradients(loss)`"),
    ],
)
def test_gradient_pair_refusals(old: str, new: str, why: str) -> None:
    src = _PAIR_SRC
    if why == "indexed or counted":
        src = src.replace("compute_gradients(loss, var_list=[w])", "compute_gradients(loss)")
    assert old in src, old
    out, mine = _tf2120(src.replace(old, new, 1))
    assert len(mine) == 1 and mine[0].status is Status.MANUAL, [f.message for f in mine]
    assert why.lower() in mine[0].message.lower(), mine[0].message
    assert "GradientTape" not in out and "input_signature" not in out


def test_gradients_kept_in_the_function_when_a_tape_would_differ() -> None:
    """grad_ys has no plain tape.gradient spelling here: tf.gradients stays, inside the
    tf.function (it raises only eagerly), and a note says why."""
    out, mine = _tf2120(_SGD_SRC.replace("tf.gradients(loss, params)", "tf.gradients(loss, params, grad_ys=None)"))
    assert any(f.status is Status.APPLIED and "eager" in f.message for f in mine), [f.message for f in mine]
    assert any("stays inside the tf.function" in f.message and "other than ys and xs" in f.message for f in mine)
    code = _code_only(out)
    assert "tf.gradients(loss, params, grad_ys=None)" in code and "GradientTape" not in code
    # every tf.gradients is in a function that a tf.function calls (the shared helper)
    assert "def forward(x, y):" in code and code.count("forward(x, y)") == 4


def test_gradients_that_would_run_eagerly_are_refused() -> None:
    """A tf.gradients of constants is a static tensor (computed where it stands, eagerly),
    which TF2 does not allow."""
    src = _SGD_SRC.replace("    grad_norm = tf.sqrt(", "    c = tf.constant(2.0)\n    dc = tf.gradients(c * c, [c])[0]\n    grad_norm = tf.sqrt(", 1)
    src = src.replace('"steps": int(s),', '"steps": int(s), "dc": float(sess_dc),', 1)
    src = src.replace("        g0 = sess.run(grad_norm", "        sess_dc = sess.run(dc)\n        g0 = sess.run(grad_norm", 1)
    _out, mine = _tf2120(src)
    assert len(mine) == 1 and mine[0].status is Status.MANUAL, [f.message for f in mine]
    assert "would run eagerly" in mine[0].message, mine[0].message


def test_explicit_graph_block_converts_like_the_default_graph() -> None:
    """manual_sgd_gradients with its graph code under `g = tf.Graph()` / `with
    g.as_default():` and `tf.Session(graph=g)`: the same program comes out."""
    lines = _SGD_SRC.split("\n")
    start = lines.index("    x = tf.placeholder(tf.float32, [None, 4])")
    end = next(i for i, ln in enumerate(lines) if ln.startswith("    grad_norm = "))
    body = ["    " + ln if ln else ln for ln in lines[start:end + 1]]
    src = "\n".join(lines[:start] + ["    graph = tf.Graph()", "    with graph.as_default():"] + body + lines[end + 1:])
    src = src.replace("    with tf.Session() as sess:", "    with tf.Session(graph=graph) as sess:")
    out, mine = _tf2120(src)
    assert any(f.status is Status.APPLIED and "`graph`" in f.message for f in mine), [f.message for f in mine]
    assert out == (EXPECTED_TF2 / "manual_sgd_gradients.py").read_text()


# -- tf.get_variable / tf.variable_scope in straight-line graph code (rules/tf1_to_tf2/_variables.py)

_GV_PROGRAM = """\
import tensorflow.compat.v1 as tf


def mk():
    return tf.Variable(tf.zeros([2, 1]))


def main():
    x = tf.placeholder(tf.float32, [None, 2])
{body}
    y = tf.reduce_sum(tf.matmul(x, w))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        print(sess.run(y, {{x: [[1.0, 2.0]]}}))


main()
"""


def _gv(body: str, tail: str = "") -> tuple[str, list[str]]:
    src = _GV_PROGRAM.format(body=textwrap.indent(textwrap.dedent(body), "    ").rstrip("\n")) + tail
    result, out = process_bytes(src.encode(), "gv.py", Options(pack="tf1-to-tf2", unsafe_fixes=True, verify_idempotence=True))
    assert not result.errors, result.errors
    return out.decode(), [f.message for f in result.findings if f.rule_id == "TF2120" and f.status is Status.MANUAL]


@pytest.mark.parametrize(("body", "tail", "why"), [
    pytest.param("with tf.variable_scope('s', reuse=True):\n    w = tf.get_variable('w', [2, 1])", "", "reuse=", id="reuse"),
    pytest.param("with tf.variable_scope('s', reuse=tf.AUTO_REUSE):\n    w = tf.get_variable('w', [2, 1])", "", "reuse=", id="auto-reuse"),
    pytest.param("with tf.variable_scope('s', initializer=tf.ones_initializer()):\n    w = tf.get_variable('w', [2, 1])", "",
                 "initializer=...)` changes how", id="scope-initializer"),
    pytest.param("with tf.variable_scope('s') as vs:\n    w = tf.get_variable('w', [2, 1])", "", "scope object", id="scope-as"),
    pytest.param("with tf.variable_scope(name):\n    w = tf.get_variable('w', [2, 1])", "", "plain string literal", id="scope-name"),
    pytest.param("with tf.variable_scope('s'):\n    for _ in range(1):\n        w = tf.get_variable('w', [2, 1])", "",
                 "compound statement", id="scope-loop"),
    pytest.param("with tf.variable_scope('s'):\n    w = mk()", "", "creates variables inside", id="scope-helper"),
    pytest.param("with tf.variable_scope('s'):\n    w = tf.get_variable('w', [2, 1])\nwith tf.variable_scope('s'):\n    v = tf.get_variable('v', [1])",
                 "", "opened twice", id="scope-twice"),
    pytest.param("for _ in range(1):\n    w = tf.get_variable('w', [2, 1])", "", "inside a loop", id="loop"),
    pytest.param("w = tf.get_variable('w', [2, 1], regularizer=tf.nn.l2_loss)", "", "regularizer=", id="regularizer"),
    pytest.param("w = tf.get_variable('w', [2, 1], partitioner=p)", "", "partitioner=", id="partitioner"),
    pytest.param("w = tf.get_variable('w', [2, 1], custom_getter=g)", "", "custom_getter=", id="custom-getter"),
    pytest.param("w = tf.get_variable('w', [2, 1], collections=['c'])", "", "collections=", id="collections"),
    pytest.param("w = tf.get_variable('w', [2, 1], constraint=c)", "", "constraint=", id="constraint"),
    pytest.param("w = tf.get_variable('w', [tf.shape(x)[1], 1])", "", "is computed", id="dynamic-shape"),
    pytest.param("n = tf.shape(x)[1]\nw = tf.get_variable('w', [n, 1])", "", "reads the graph object `n`", id="graph-shape"),
    pytest.param("w = tf.get_variable('w', [2, 1], initializer=tf.orthogonal_initializer())", "", "not one of those converted",
                 id="initializer"),
    pytest.param("w = tf.get_variable('w', [2, 1], initializer=tf.constant_initializer([1.0, 2.0]))", "",
                 "not a number literal", id="constant-list"),
    pytest.param("w = tf.get_variable('w', [2, 1], dtype=my_dtype)", "", "default initializer depends", id="dtype"),
    pytest.param("w = tf.get_variable('w', [2, 1])\nw = tf.get_variable('w', [2, 1])", "", "a second time", id="duplicate"),
    pytest.param("w = tf.get_variable(name, [2, 1])", "", "plain string literal", id="name"),
    pytest.param("w = tf.get_variable('w')", "", "without `shape`", id="no-shape"),
    pytest.param("w = 2 * tf.get_variable('w', [2, 1])", "", "inside an expression", id="expression"),
    pytest.param("w = tf.get_variable('w', [2, 1])", "main()\n", "called at most once", id="called-twice"),
    pytest.param("w = tf.get_variable('w', [2, 1])", "\n\ndef helper():\n    return tf.get_variable('h', [1])\n",
                 "`helper()` creates variables with tf.get_variable/variable_scope but runs no session", id="helper-function"),
])
def test_get_variable_forms_not_proven_are_refused(body: str, tail: str, why: str) -> None:
    out, manual = _gv(body, tail)
    assert len(manual) == 1, manual
    assert "TF1 Session code not converted" in manual[0] and why in manual[0], manual[0]
    assert "GradientTape" not in out and ".numpy()" not in out and "tf.compat.v1.Session" in out


def test_get_variable_initializers_from_the_table() -> None:
    """Each initializer becomes its TF2 expression (TF1's defaults where TF2's differ:
    tf.random.* share TF1's, so no argument is added), dtype and trainable=False kept."""
    out, manual = _gv("""\
        with tf.variable_scope('net'):
            w = tf.get_variable('w', [2, 1], initializer=tf.truncated_normal_initializer(mean=0.5, seed=3))
            u = tf.get_variable('u', [2], tf.float64, tf.random_uniform_initializer(-1.0, 1.0))
            n = tf.get_variable('n', [2], initializer=tf.random_normal_initializer(stddev=2.0))
            g = tf.get_variable('g', [2, 2])
            h = tf.get_variable('h', [2, 2], initializer=tf.glorot_normal_initializer(seed=1))
            k = tf.get_variable('k', [3], initializer=tf.constant_initializer(2), trainable=False)
            z = tf.get_variable('z', [3], dtype=tf.int64)
            o = tf.get_variable('o', [3], initializer=tf.ones_initializer(), dtype=tf.float16)
            v = tf.Variable(tf.zeros([1]), name='v')
            v2 = tf.Variable(tf.zeros([1]), name='v')
        """)
    assert not manual, manual
    for line in (
        "w = tf.Variable(tf.random.truncated_normal([2, 1], mean=0.5, seed=3), name='net/w')",
        "u = tf.Variable(tf.random.uniform([2], minval=-1.0, maxval=1.0, dtype=tf.float64), name='net/u')",
        "n = tf.Variable(tf.random.normal([2], stddev=2.0), name='net/n')",
        "g = tf.Variable(tf.keras.initializers.GlorotUniform()([2, 2]), name='net/g')",
        "h = tf.Variable(tf.keras.initializers.GlorotNormal(seed=1)([2, 2]), name='net/h')",
        "k = tf.Variable(tf.constant(2, shape=[3], dtype=tf.float32), name='net/k', trainable=False)",
        "z = tf.Variable(tf.zeros([3], dtype=tf.int64), name='net/z')",
        "o = tf.Variable(tf.ones([3], dtype=tf.float16), name='net/o')",
        "v = tf.Variable(tf.zeros([1]), name='net/v')",
        "v2 = tf.Variable(tf.zeros([1]), name='net/v_1')",
    ):
        assert "\n    " + line + "\n" in out, (line, out)
    assert "variable_scope" not in out and "get_variable" not in out and "GradientTape" not in out


def test_get_variable_default_initializer_is_reported_random() -> None:
    """No initializer: TF1's default for floats is glorot uniform, a random op the file
    does not spell; the finding must not claim the numbers are unchanged."""
    src = _GV_PROGRAM.format(body="    w = tf.get_variable('w', [2, 1])")
    result, out = process_bytes(src.encode(), "gv.py", Options(pack="tf1-to-tf2", unsafe_fixes=True))
    mine = [f for f in result.findings if f.rule_id == "TF2120" and f.status is Status.APPLIED and "eager TF2" in f.message]
    assert len(mine) == 1, [f.message for f in result.findings]
    assert "tf.keras.initializers.GlorotUniform()([2, 1])" in out.decode()
    assert "`tf.get_variable('w')` has TF1's default initializer, glorot uniform" in mine[0].message
    assert "without random ops" not in mine[0].message
    assert "`tf.keras.initializers.GlorotUniform()` without seed= takes its seed from Python's `random` module" in mine[0].message


# -- initializable iterators over pipelines of placeholders ------------------------------------

_INIT_ITER_PROGRAM = """\
import numpy as np
import tensorflow.compat.v1 as tf


def main():
    xs = np.ones((6, 2), np.float32)
    x_ph = tf.placeholder(tf.float32, [None, 2])
    n_ph = tf.placeholder(tf.int64, [])
    dataset = tf.data.Dataset.from_tensor_slices(x_ph).batch(n_ph)
{extra}
    iterator = dataset.make_initializable_iterator()
    batch = iterator.get_next()
    total = tf.reduce_sum(batch)
    with tf.Session() as sess:
        sess.run(iterator.initializer, feed_dict={feed})
        print(sess.run(total))


main()
"""


@pytest.mark.parametrize(("extra", "feed", "why"), [
    pytest.param("", "{x_ph: xs}", "must feed exactly the placeholders", id="feed-subset"),
    pytest.param("    other = dataset.repeat()", "{x_ph: xs, n_ph: 2}", "is also used here", id="pipeline-shared"),
    pytest.param("", "feed", "without a literal feed_dict", id="feed-variable"),
])
def test_initializable_iterator_forms_not_proven_are_refused(extra: str, feed: str, why: str) -> None:
    src = _INIT_ITER_PROGRAM.format(extra=extra, feed=feed).replace("{x_ph: xs}", "{x_ph: xs}")
    if feed == "feed":
        src = src.replace("        sess.run(iterator.initializer", "        feed = {x_ph: xs, n_ph: 2}\n        sess.run(iterator.initializer")
    result, out = process_bytes(src.encode(), "it.py", Options(pack="tf1-to-tf2", unsafe_fixes=True, verify_idempotence=True))
    assert not result.errors, result.errors
    manual = [f.message for f in result.findings if f.rule_id == "TF2120" and f.status is Status.MANUAL]
    assert len(manual) == 1 and why in manual[0], manual
    assert "make_initializable_iterator" in out.decode()


def test_initializable_iterator_becomes_dataset_function() -> None:
    src = _INIT_ITER_PROGRAM.format(extra="", feed="{x_ph: xs, n_ph: 4}")
    result, out = process_bytes(src.encode(), "it.py", Options(pack="tf1-to-tf2", unsafe_fixes=True, verify_idempotence=True))
    assert not result.errors, result.errors
    code = out.decode()
    function = ("    def make_dataset(x_ph, n_ph):\n"
                "        x_ph = tf.convert_to_tensor(x_ph, tf.float32)\n"
                "        n_ph = tf.convert_to_tensor(n_ph, tf.int64)\n"
                "        dataset = tf.data.Dataset.from_tensor_slices(x_ph).batch(n_ph)\n"
                "        return dataset\n")
    for piece in (function,
                  "    iterator = iter(make_dataset(xs, 4))\n",
                  "compute_total(iterator.get_next())"):
        assert piece in code, (piece, code)
    assert "compat.v1" not in code and "placeholder" not in code


_INPUT_FN_PROGRAM = """\
import numpy as np
import tensorflow.compat.v1 as tf


def input_fn(xs):
    dataset = tf.data.Dataset.from_tensor_slices(xs).batch(2)
{extra}
    return dataset.make_one_shot_iterator().get_next()


def main():
    xs = np.ones((4, 2), np.float32)
    {call}
    total = tf.reduce_sum(batch)
    with tf.Session() as sess:
        print(sess.run(total))


main()
"""


@pytest.mark.parametrize(("extra", "call", "why"), [
    pytest.param("    it = dataset.make_one_shot_iterator()\n    it2 = it", "batch = input_fn(xs)",
                 "(dataset iterator) is used to build a tensor", id="iterator-aliased"),
    pytest.param("    scale = tf.constant(2.0)", "batch = input_fn(xs)", "returns dataset elements but also builds a tensor",
                 id="tensor-inside"),
])
def test_input_function_forms_not_proven_are_refused(extra: str, call: str, why: str) -> None:
    src = _INPUT_FN_PROGRAM.format(extra=extra, call=call)
    result, out = process_bytes(src.encode(), "fn.py", Options(pack="tf1-to-tf2", unsafe_fixes=True, verify_idempotence=True))
    assert not result.errors, result.errors
    manual = [f.message for f in result.findings if f.rule_id == "TF2120" and f.status is Status.MANUAL]
    assert len(manual) == 1 and why in manual[0], manual
    assert "make_one_shot_iterator" in out.decode()


def test_gradient_pair_statements_read_what_they_need_in_the_step() -> None:
    """A clipping bound fed through a placeholder becomes an argument of the train step."""
    src = (_PAIR_SRC.replace("    gv = opt.compute_gradients", "    bound = tf.placeholder(tf.float32, [])\n    gv = opt.compute_gradients")
           .replace("tf.clip_by_value(g, -1.0, 1.0)", "tf.clip_by_norm(g, bound)")
           .replace("sess.run(train, {x: data, y: target})", "sess.run(train, {x: data, y: target, bound: 0.5})"))
    out, mine = _tf2120(src)
    assert any(f.status is Status.APPLIED and "eager" in f.message for f in mine), [f.message for f in mine]
    assert "def train_step(x, y, bound):" in out and "train_step(data, target, 0.5)" in out
    assert "clipped = [(tf.clip_by_norm(g, bound), v) for g, v in gv]" in out


def test_gradient_pair_indexing_with_an_explicit_var_list() -> None:
    """With var_list, TF1 and the tape list the same pairs in the same order: indexing the
    list converts (without var_list it is refused, see test_gradient_pair_refusals)."""
    src = _PAIR_SRC.replace("    clipped = [(tf.clip_by_value(g, -1.0, 1.0), v) for g, v in gv]\n", "    clipped = [(gv[0][0] * 0.5, gv[0][1])]\n")
    out, _mine = _tf2120(src)
    assert "clipped = [(gv[0][0] * 0.5, gv[0][1])]" in out and "variables = [w]" in out, out


_TENSOR_SCHED_SRC = (FIXTURES / "session_lr_tensor_schedules" / "input.py").read_text()


def test_tensor_schedules_give_the_kept_optimizer_a_learning_rate_function() -> None:
    out, mine = _tf2120(_TENSOR_SCHED_SRC)
    assert "def current_lr():" in out and "learning_rate=current_lr" in out
    assert "lr = current_lr()" in out  # the train step reuses it for the fetched rate
    assert "PiecewiseConstantDecay([5, 10], [0.1, 0.05, 0.01])(tf.cast(global_step, tf.int32))" in out
    assert "apply_gradients(zip(gradients, variables), global_step=global_step)" in out
    assert "optimizer = TF1Momentum(learning_rate=current_lr, momentum=0.9," in out
    note = next(f for f in mine if "TF1Momentum" in f.message)
    assert "current_lr" in note.message and note.status is Status.APPLIED


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        # a Keras optimizer evaluates schedules at optimizer.iterations: the plain rewrite
        # decides, and it does not convert schedules used as tensors
        ("tf.train.MomentumOptimizer(learning_rate=lr, momentum=0.9,\n                                           use_nesterov=True)",
         "tf.train.AdamOptimizer(learning_rate=lr)", "not the learning rate of the optimizer"),
        # the learning rate needs a fed value: the optimizer computes it from the step alone
        ("    lr = tf.minimum(exp_lr, pw_lr)\n",
         "    cap = tf.placeholder_with_default(0.05, [])\n    lr = tf.minimum(exp_lr, cap)\n", "needs fed values"),
        # the step moved by something else too
        ("    lrs = []\n", "    reset = tf.assign(global_step, 0)\n    lrs = []\n", "also changed here"),
        # another optimizer using the combined rate: only the kept one gets the function
        ("    train_op = optimizer.minimize(loss, global_step=global_step)\n",
         ("    train_op = optimizer.minimize(loss, global_step=global_step)\n"
          "    train2 = tf.train.GradientDescentOptimizer(lr).minimize(loss)\n"), "gets as a function"),
        # TF1 returns one variable for every call; a conversion would make several
        ("    lrs = []\n", "    again = tf.train.get_or_create_global_step()\n    lrs = []\n", "called more than once"),
        # two steps
        ("    poly_lr = tf.train.polynomial_decay(0.1, global_step,",
         "    other_step = tf.Variable(0, trainable=False)\n    poly_lr = tf.train.polynomial_decay(0.1, other_step,",
         "several global steps"),
    ],
)
def test_tensor_schedule_refusals(old: str, new: str, why: str) -> None:
    assert old in _TENSOR_SCHED_SRC, old
    out, mine = _tf2120(_TENSOR_SCHED_SRC.replace(old, new, 1))
    assert len(mine) == 1 and mine[0].status is Status.MANUAL, [f.message for f in mine]
    assert why.lower() in mine[0].message.lower(), mine[0].message
    assert "GradientTape" not in out


def test_global_step_maker_becomes_a_variable_named_like_tf1s() -> None:
    out, _mine = _tf2120(_TENSOR_SCHED_SRC)
    assert 'global_step = tf.Variable(0, dtype=tf.int64, trainable=False, name="global_step")' in out
    assert "get_or_create_global_step" not in _code_only(out)


def test_fetched_schedule_of_a_kept_optimizer_at_module_level() -> None:
    """A schedule fetched in a run (inside a with block) is a tensor schedule too."""
    src = """import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()

x = tf.placeholder(tf.float32, [None, 2])
w = tf.Variable(tf.zeros([2, 1]))
step = tf.Variable(0, trainable=False)
lr = tf.train.exponential_decay(0.1, step, 2, 0.5)
loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - 1.0))
# the optimizer
opt = tf.train.RMSPropOptimizer(lr)
train = opt.minimize(loss, global_step=step)


def main():
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(3):
            _, l, r = sess.run([train, loss, lr], {x: np.ones((2, 2), np.float32)})
            print(l, r)
"""
    out, _mine = _tf2120(src)
    assert "\n\ndef current_lr():\n    return tf.keras.optimizers.schedules.ExponentialDecay(0.1, 2, 0.5)(step)\n\n\n# the optimizer\nopt = TF1RMSProp(current_lr)\n" in out, out
    assert "        lr = current_lr()\n" in out and "return loss, lr" in out


def test_loop_variable_named_like_a_graph_tensor() -> None:
    """`for _ in range(n)` rebinds `_` (say `grads, _ = tf.clip_by_global_norm(...)`): not a
    use of the tensor; reading it in the loop still is."""
    src = (_PAIR_SRC.replace("    clipped = [(tf.clip_by_value(g, -1.0, 1.0), v) for g, v in gv]\n",
                             "    grads, tvars = zip(*gv)\n    grads, _ = tf.clip_by_global_norm(grads, 1.0)\n"
                             "    clipped = zip(grads, tvars)\n")
           .replace("        sess.run(train, {x: data, y: target})\n",
                    "        for _ in range(2):\n            sess.run(train, {x: data, y: target})\n"))
    out, mine = _tf2120(src)
    assert any(f.status is Status.APPLIED and "eager" in f.message for f in mine), [f.message for f in mine]
    assert "        grads, _ = tf.clip_by_global_norm(grads, 1.0)\n" in out and "    for _ in range(2):\n" in out
    out, mine = _tf2120(src.replace("            sess.run(train, {x: data, y: target})\n",
                                    "            sess.run(train, {x: data, y: target})\n            print(_)\n"))
    assert len(mine) == 1 and "graph object `_`" in mine[0].message, [f.message for f in mine]


# -- dataset element components fetched with other tensors (rules/tf1_to_tf2/_fetches.py) ------

_ELEMENT_FETCH_PROGRAM = """\
import numpy as np
import tensorflow.compat.v1 as tf


def main():
    xs = np.arange(12, dtype=np.float32).reshape(6, 2)
    ys = np.arange(6, dtype=np.float32)
    dataset = tf.data.Dataset.from_tensor_slices((xs, ys)).batch(3)
    x, y = dataset.make_one_shot_iterator().get_next()
    total = tf.reduce_sum(x, axis=1) + y
{extra}
    with tf.Session() as sess:
        {run}


main()
"""


@pytest.mark.parametrize(("run", "pieces"), [
    pytest.param("a, t = sess.run([x, total])",
                 ["    def compute_x_total(x, y):\n", "        return x, total\n",
                  "a, t = [t.numpy() for t in compute_x_total(*iterator.get_next())]"], id="list"),
    pytest.param("print(sess.run({'y': y, 't': total}))",
                 ["        return {'y': y, 't': total}\n", "compute_y_total(*iterator.get_next()).items()"], id="dict"),
    pytest.param("print(sess.run(y))\n        print(sess.run(total))",
                 ["        return y\n", "print(compute_y(*iterator.get_next()).numpy())",
                  "print(compute_total(*iterator.get_next()).numpy())"], id="one-component"),
])
def test_element_components_fetched_with_tensors_come_from_one_draw(run: str, pieces: list[str]) -> None:
    out, mine = _tf2120(_ELEMENT_FETCH_PROGRAM.format(extra="", run=run))
    assert [f.status for f in mine] == [Status.APPLIED], [f.message for f in mine]
    for piece in pieces:
        assert piece in out, (piece, out)
    # one draw per TF1 run
    assert out.count("get_next()") == run.count("sess.run") and "Session" not in out


@pytest.mark.parametrize(("extra", "run", "why"), [
    pytest.param("    p = tf.placeholder(tf.float32, [])", "sess.run([x, total], feed_dict={p: 1.0})",
                 "dataset element fetched in a run with a feed_dict", id="feed"),
    pytest.param("    z = tf.data.Dataset.from_tensor_slices(ys).make_one_shot_iterator().get_next()",
                 "sess.run([x, z])", "two different dataset elements", id="two-elements"),
    pytest.param("    w = tf.Variable(1.0)", "sess.run(tf.global_variables_initializer())\n        sess.run([x, w])",
                 "fetched together with a variable", id="variable"),
])
def test_element_fetch_forms_not_proven_are_refused(extra: str, run: str, why: str) -> None:
    out, mine = _tf2120(_ELEMENT_FETCH_PROGRAM.format(extra=extra, run=run))
    assert len(mine) == 1 and mine[0].status is Status.MANUAL and why in mine[0].message, [f.message for f in mine]
    assert "make_one_shot_iterator" in out


_SCOPED_PROGRAM = """\
import numpy as np
import tensorflow.compat.v1 as tf


def main():
    x = tf.placeholder(tf.float32, [None, 2])
    with tf.name_scope('layer'):
        h = tf.reduce_sum(x * 2.0, axis=1)
    tf.summary.scalar('total', tf.reduce_sum(h))
    merged = tf.summary.merge_all()
    with tf.Session() as sess:
        writer = tf.summary.FileWriter('/tmp/logs')
        s = sess.run(merged, feed_dict={{x: np.ones((3, 2), np.float32)}})
        writer.add_summary(s, 0)
        writer.close()
{tail}

main()
"""


@pytest.mark.parametrize(("tail", "why"), [
    pytest.param("", "graph code under `with tf.name_scope(...)` in the Session function (graph object `x`", id="name-scope"),
    pytest.param("    for e in tf.train.summary_iterator('/tmp/logs/f'):\n        print(e.summary.value[0].simple_value)",
                 "read back with tf.train.summary_iterator", id="event-reader"),
])
def test_scoped_blocks_and_event_readers_are_refused_precisely(tail: str, why: str) -> None:
    out, mine = _tf2120(_SCOPED_PROGRAM.format(tail=tail))
    assert len(mine) == 1 and mine[0].status is Status.MANUAL and why in mine[0].message, [f.message for f in mine]
    assert "tf.Session" in out or "compat.v1.Session" in out


# -- functional tf.layers in the session code (rules/tf1_to_tf2/_inline_layers.py) ---------

_LAYER_PROGRAM = '''import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()


def main():
    x = tf.placeholder(tf.float32, [None, 4])
    y = tf.placeholder(tf.float32, [None, 1])
{body}
    loss = tf.reduce_mean(tf.square(out - y))
    train_op = tf.train.{opt}.minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train_op, {{x: np.ones((2, 4), np.float32), y: np.ones((2, 1), np.float32)}})
        print(sess.run(loss, {{x: np.ones((2, 4), np.float32), y: np.ones((2, 1), np.float32)}}))


if __name__ == '__main__':
    main()
'''


def _layers_tf2120(body: str, opt: str = "AdamOptimizer(0.1)") -> tuple[str, list[str]]:
    src = _LAYER_PROGRAM.format(body=textwrap.indent(textwrap.dedent(body), "    "), opt=opt).encode()
    result, out = process_bytes(src, "prog.py", Options(pack="tf1-to-tf2", unsafe_fixes=True, verify_idempotence=True))
    assert not result.errors, result.errors
    return out.decode(), [f.message for f in result.findings if f.rule_id == "TF2120"]


@pytest.mark.parametrize(("body", "opt", "why"), [
    ("h = tf.layers.dense(x, 8, name='fc', reuse=True)\nout = tf.layers.dense(h, 1, name='o')\n", "AdamOptimizer(0.1)",
     "`tf.layers.dense(..., reuse=...)`: shared variables must become one layer object"),
    ("h = x\nfor _ in range(2):\n    h = tf.layers.dense(h, 4)\nout = tf.layers.dense(h, 1, name='o')\n", "AdamOptimizer(0.1)",
     "only `name = tf.layers...(...)` in straight-line code is converted"),
    ("h = tf.layers.batch_normalization(x)\nout = tf.layers.dense(h, 1, name='o')\n", "AdamOptimizer(0.1)",
     "UPDATE_OPS"),
    ("h = tf.layers.dense(x, 8, name='fc')\nout = tf.layers.dense(h, 1, name='fc')\n", "AdamOptimizer(0.1)",
     "a second `tf.layers` call named `fc`"),
    ("out = tf.layers.dense(x, 1, kernel_initializer=tf.truncated_normal_initializer(stddev=0.1))\n", "AdamOptimizer(0.1)",
     "only zeros_initializer(), ones_initializer() and constant_initializer(<number>) are converted"),
    ("out = tf.layers.dense(x, 1, kernel_regularizer=tf.nn.l2_loss)\n", "AdamOptimizer(0.1)",
     "REGULARIZATION_LOSSES"),
    ("out = tf.layers.dense(tf.layers.dense(x, 3), 1)\n", "AdamOptimizer(0.1)", "inside an expression"),
    ("out = tf.layers.dense(tf.cast(x, tf.float64), 1)\n", "AdamOptimizer(0.1)", "a Keras layer computes in float32"),
    ("w = tf.Variable(tf.ones([5, 4]))\nout = tf.layers.dense(tf.nn.embedding_lookup(w, tf.cast(x[:, 0], tf.int32)), 1)\n",
     "MomentumOptimizer(0.1, 0.9)", "updated only the looked-up rows"),
])
def test_inline_layers_refused_with_reason(body: str, opt: str, why: str) -> None:
    out, msgs = _layers_tf2120(body, opt)
    assert "Session()" in out
    assert len(msgs) == 1 and why in msgs[0], msgs


def test_inline_layers_converted_once_per_object() -> None:
    out, msgs = _layers_tf2120("h = tf.layers.dense(x, 8, activation=tf.nn.relu, name='fc1')\n"
                        "out = tf.layers.dense(h, 1)\n")
    assert "Session" not in out and "tf.layers" not in out and "compat" not in out, out
    # created once, before the step functions, with the TF1 names (fc1, TF1's default `dense`)
    assert out.count("fc1 = tf.keras.layers.Dense(8, activation=tf.nn.relu, name='fc1')") == 1, out
    assert out.count("out_layer = tf.keras.layers.Dense(1, name='dense')") == 1, out
    assert out.index("out_layer = ") < out.index("@tf.function")
    # called where the tensors are computed
    assert "h = fc1(x)" in out and "out = out_layer(h)" in out
    assert msgs and not any("not converted" in m for m in msgs), msgs


def test_inline_layers_refused_fixture_reason() -> None:
    src = (FIXTURES / "session_inline_layers_refused" / "input.py").read_bytes()
    result, _ = process_bytes(src, "input.py", Options(pack="tf1-to-tf2", unsafe_fixes=True))
    msgs = [f.message for f in result.findings if f.rule_id == "TF2120"]
    assert len(msgs) == 1 and "only `name = tf.layers...(...)` in straight-line code" in msgs[0], msgs



# -- tf.metrics streaming metrics (rules/tf1_to_tf2/_metrics.py, tables/metrics.json) ------

_METRIC_PROGRAM = """\
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()

scores = tf.placeholder(tf.float32, [None, 3])
labels = tf.placeholder(tf.int64, [None])
predictions = tf.argmax(scores, 1)
{line}
with tf.Session() as sess:
    sess.run(tf.local_variables_initializer())
    sess.run({run}, {{scores: np.ones((2, 3), np.float32), labels: np.zeros(2, np.int64)}})
{tail}    print(sess.run(value), len(tf.local_variables()))
"""


def _metrics_tf2120(line: str, run: str = "update_op", tail: str = "") -> tuple[str, list[str]]:
    src = _METRIC_PROGRAM.format(line=line, run=run, tail=tail).encode()
    result, out = process_bytes(src, "prog.py", Options(pack="tf1-to-tf2", unsafe_fixes=True, verify_idempotence=True))
    assert not result.errors, result.errors
    return out.decode(), [f.message for f in result.findings if f.rule_id == "TF2120"]


_GROUPED = "\nupdate_op = tf.group(update)"


@pytest.mark.parametrize(("line", "run", "tail", "why"), [
    ("value, update = tf.metrics.accuracy(labels, predictions)", "update", "",
     "the update op `update` is used other than in `tf.group(...)`"),
    ("value, update = tf.metrics.accuracy(labels, predictions, weights=tf.ones([2]))" + _GROUPED, "update_op", "",
     "`tf.metrics.accuracy(..., weights=...)`: TF1 broadcasts `weights`"),
    ("value, update = tf.metrics.mean(scores, metrics_collections=['m'])" + _GROUPED, "update_op", "",
     "`tf.metrics.mean(..., metrics_collections=...)`: graph collections"),
    ("value, update = tf.metrics.auc(tf.equal(labels, 0), scores[:, 0])" + _GROUPED, "update_op", "",
     "`tf.metrics.auc`: no Keras metric with TF1's semantics is recorded"),
    ("pair = tf.metrics.recall(tf.equal(labels, 0), tf.equal(predictions, 0))\nvalue, update = pair" + _GROUPED,
     "update_op", "", "not written as `value, update_op = tf.metrics.recall(...)`"),
    ("value, update = tf.metrics.precision(tf.equal(labels, 0), scores[:, 0])" + _GROUPED, "update_op", "",
     "predictions that are not a boolean comparison: TF1 casts them to bool, Keras counts those > 0.5"),
    ("value, update = tf.metrics.accuracy(tf.cast(labels, tf.float32), predictions)" + _GROUPED, "update_op", "",
     "labels and predictions are not both integer or boolean"),
    ("value, update = tf.metrics.accuracy(labels, predictions)" + _GROUPED, "update_op",
     "    sess.run([tf.local_variables_initializer(), value])\n",
     "`tf.local_variables_initializer()` not run alone by a `sess.run(...)` statement"),
    ("value, update = tf.metrics.mean(tf.cast(scores, tf.float64))" + _GROUPED, "update_op", "",
     "the file uses `float64`: Keras metrics accumulate in float32"),
])
def test_streaming_metrics_refused_with_their_reason(line: str, run: str, tail: str, why: str) -> None:
    out, msgs = _metrics_tf2120(line, run, tail)
    assert "Session()" in out
    assert len(msgs) == 1 and "tf.metrics not converted: " in msgs[0] and why in msgs[0], msgs


def test_streaming_metric_becomes_keras_metric_object() -> None:
    out, msgs = _metrics_tf2120("value, update = tf.metrics.accuracy(labels, predictions)" + _GROUPED)
    assert "Session" not in out and "compat" not in out and "local_variables" not in out, out
    assert out.count("accuracy_metric = tf.keras.metrics.Accuracy()") == 1, out
    assert out.index("accuracy_metric = ") < out.index("@tf.function"), out
    assert "def update_metrics(scores, labels):" in out and "accuracy_metric.update_state(labels, predictions)" in out
    assert "return accuracy_metric.result()" in out and "print(compute_value().numpy()" in out, out
    assert "len([*accuracy_metric.variables])" in out, out
    assert msgs and "not converted" not in msgs[0], msgs


METRIC_CHECK = r"""
import json, sys
import numpy as np
import tensorflow as tf
table = json.loads(sys.argv[1])
rng = np.random.RandomState(1)
S = rng.rand(40, 3).astype(np.float32)
L = rng.randint(0, 3, 40).astype(np.int64)
P = S.argmax(1).astype(np.int64)
args = {  # per update argument list: the batch values (the table's condition holds for each)
    ("labels", "predictions"): {"accuracy": (L, P), "precision": (L == 0, P == 0), "recall": (L == 0, P == 0)},
    ("values",): {"mean": (S.max(1),)},
}
out = {}
for fn, entry in table.items():
    data = args[tuple(entry["update"])][fn]
    g = tf.Graph()
    with g.as_default():
        v1 = tf.compat.v1
        phs = [v1.placeholder(tf.as_dtype(d.dtype), [None]) for d in data]
        value, update = getattr(v1.metrics, fn)(*phs)
        with v1.Session() as sess:
            sess.run(v1.local_variables_initializer())
            for st in range(0, 40, 8):
                sess.run(update, {p: d[st:st + 8] for p, d in zip(phs, data)})
            tf1 = float(sess.run(value))
            n_local = len(v1.local_variables())
    m = getattr(tf.keras.metrics, entry["keras"])()
    step = tf.function(lambda *a: m.update_state(*a))
    for st in range(0, 40, 8):
        step(*[d[st:st + 8] for d in data])
    tf2 = float(m.result())
    names = [v.name.split("/")[-1].split(":")[0] for v in m.variables]
    m.reset_state()
    out[fn] = {"tf1": tf1, "tf2": tf2, "n_local": n_local, "names": names, "reset": float(m.result()),
               "dtype": m.result().dtype.name}
print("RESULT " + json.dumps(out))
"""


def test_metric_table_matches_tf1() -> None:
    """Each tables/metrics.json entry, in TF 2.21: the Keras metric updated batch by batch in a
    tf.function gives TF1's streaming value, owns as many variables as TF1 made local
    variables (with the recorded names), and reset_state() zeroes it."""
    from rules.tf1_to_tf2._metrics import load_table

    table = load_table()
    env = {k: v for k, v in os.environ.items() if k not in ("TF_USE_LEGACY_KERAS",)}
    proc = subprocess.run([sys.executable, "-c", METRIC_CHECK, json.dumps(table)], capture_output=True, text=True,
                          timeout=300, env=env, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))
    got = json.loads(line[len("RESULT "):])
    assert set(got) == set(table)
    for fn, r in got.items():
        assert math.isclose(r["tf1"], r["tf2"], abs_tol=1e-6), (fn, r)
        assert 0.0 < r["tf1"] < 1.0, (fn, r)  # a value that tells the metrics apart
        assert r["n_local"] == len(table[fn]["variables"]) and r["names"] == table[fn]["variables"], (fn, r)
        assert r["reset"] == 0.0 and r["dtype"] == "float32", (fn, r)


_METRIC_EPOCHS = '"""Two evaluation passes, the streaming metrics reset between them."""\nimport numpy as np\nimport tensorflow.compat.v1 as tf\n\ntf.disable_v2_behavior()\n\n\ndef main():\n    rng = np.random.RandomState(3)\n    all_scores = rng.rand(16, 3).astype(np.float32)\n    all_labels = rng.randint(0, 3, 16).astype(np.int64)\n    scores = tf.placeholder(tf.float32, [None, 3])\n    labels = tf.placeholder(tf.int64, [None])\n    predictions = tf.argmax(scores, 1)\n    acc, acc_update = tf.metrics.accuracy(labels, predictions)\n    conf, conf_update = tf.metrics.mean(tf.reduce_max(scores, axis=1))\n    update_op = tf.group(acc_update, conf_update)\n    out = []\n    with tf.Session() as sess:\n        for epoch in range(2):\n            sess.run(tf.local_variables_initializer())\n            for start in range(epoch * 4, 16, 4):\n                sess.run(update_op, {scores: all_scores[start:start + 4], labels: all_labels[start:start + 4]})\n            a, c = sess.run([acc, conf])\n            out.append([round(float(a), 6), round(float(c), 6)])\n    print("RESULT", out)\n\n\nif __name__ == \'__main__\':\n    main()\n'


def test_metric_reset_between_passes_reproduces_tf1(tmp_path: Path) -> None:
    """A `sess.run(tf.local_variables_initializer())` in the pass loop becomes reset_state()
    of every metric there (the first pass starts from fresh metrics too); run with TF1 and
    migrated, both print the same streaming values for both passes."""
    out, _msgs = _metrics_tf2120_source(_METRIC_EPOCHS)
    assert "accuracy_metric.reset_state()\n        mean_metric.reset_state()\n        for start" in out, out
    assert "Session" not in out and "compat" not in out and "local_variables" not in out, out
    (tmp_path / "tf1.py").write_text(_METRIC_EPOCHS)
    (tmp_path / "tf2.py").write_text(out)
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    got = []
    for name in ("tf1.py", "tf2.py"):
        proc = subprocess.run([sys.executable, str(tmp_path / name)], capture_output=True, text=True, timeout=300, env=env,
                              check=False)
        assert proc.returncode == 0, proc.stderr[-3000:]
        got.append(next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")))
    tf1, tf2 = (ast.literal_eval(g[len("RESULT "):]) for g in got)
    assert len(tf1) == 2 and tf1[0] != tf1[1], tf1  # the reset matters: the passes differ
    for a, b in zip(tf1, tf2):
        assert all(math.isclose(x, y, abs_tol=1e-5) for x, y in zip(a, b)), (tf1, tf2)


def _metrics_tf2120_source(src: str) -> tuple[str, list[str]]:
    result, out = process_bytes(src.encode(), "prog.py", Options(pack="tf1-to-tf2", unsafe_fixes=True, verify_idempotence=True))
    assert not result.errors, result.errors
    return out.decode(), [f.message for f in result.findings if f.rule_id == "TF2120"]


def test_keras_weight_shapes_use_the_shape_attribute() -> None:
    """Keras 3 variables have no get_shape(): `w.get_shape().as_list()` of a Keras
    object's weight becomes `list(w.shape)`; other receivers keep their spelling."""
    src = (TF1 / "keras_layers_in_session.py").read_text()
    old = "    sess.close()\n"
    assert old in src
    src = src.replace(old, (
        "    shapes = []\n"
        "    for w in head.weights:\n"
        "        shapes.append(w.get_shape().as_list())\n"
        "    x_shape = x_np.shape\n"
        "    sess.close()\n"))
    result, out = process_bytes(src.encode(), "k.py", Options(pack="tf1-to-tf2", unsafe_fixes=True))
    assert not result.errors, result.errors
    text = out.decode()
    assert "shapes.append(list(w.shape))" in text
    assert "np.prod(list(w.shape)) for w in model.trainable_weights" in text
    assert "get_shape" not in text
    # the same code without the TF2120 conversion (safe fixes) keeps TF1's spelling
    _, safe = process_bytes(src.encode(), "k.py", Options(pack="tf1-to-tf2"))
    assert b"w.get_shape().as_list()" in safe


def test_every_restructured_corpus_program_is_proven() -> None:
    """A corpus program that TF2120 restructures is in PROVEN (its output is checked in and
    run against TF1's numbers); one that it refuses says why. A converted program that no
    test runs could crash unnoticed."""
    names = sorted(str(p.relative_to(TF1).with_suffix("")) for p in TF1.rglob("*.py"))
    assert len(names) >= 25
    # programs that cannot run under TF 2.21 (their header says why): rewrite-only inputs
    rewrite_only = {n for n in names if "REWRITE-ONLY INPUT" in (TF1 / f"{n}.py").read_text(encoding="utf-8")}
    assert "contrib/mnist_input_data_softmax" in rewrite_only and len(rewrite_only) < len(names) // 4
    for name in names:
        if name in PROVEN or name in rewrite_only:
            continue
        _out, findings = migrate(name)
        applied = [f for f in findings if f.rule_id == "TF2120" and f.status is Status.APPLIED]
        assert not applied, f"{name}: TF2120 restructures it, but it is not in PROVEN"
        if name in NOT_CONVERTED:
            assert any(f.rule_id == "TF2120" and f.status is Status.MANUAL for f in findings), name


# the CIFAR-10 program's 'losses' collection (_loss_collection.py) and its train helper
# (_train_helpers.py): what stays refused, and why
_CIFAR = (TF1 / "weight_decay_collections.py").read_text()


@pytest.mark.parametrize("edits, why", [
    # counted before any run built the layer (its `losses` are still empty then)
    ((("    with tf.Session() as sess:\n", "    n_before = len(tf.get_collection('losses'))\n    with tf.Session() as sess:\n"),),
     "`len(tf.get_collection('losses'))` before a run that builds the objects"),
    # the helper that sums the collection called twice: TF1 added two cross-entropy terms
    ((("    total_loss = loss(logits, labels)\n", "    total_loss = loss(logits, labels)\n    total_loss2 = loss(logits, labels)\n"),),
     "`loss` (it sums the collection 'losses') is called 2 times"),
    # any other read of the collection: TF2130 keeps the term in the collection (the shim)
    ((("    logits = inference(images)\n", "    logits = inference(images)\n    print(tf.get_collection('losses'))\n"),),
     "`tf.get_collection`: graph collections do not exist"),
    # a train helper called with other names is not inlined: its optimizer stays in a helper
    ((("train_op, global_norm = train(total_loss, global_step)", "train_op, global_norm = train(total_loss, gs)"),
      ("global_step = tf.train.get_or_create_global_step()", "gs = tf.train.get_or_create_global_step()"),
      ("tl, step, lg = sess.run([total_loss, global_step, logits]", "tl, step, lg = sess.run([total_loss, gs, logits]")),
     "the loss `total_loss` is not a tensor computed from variables in this function"),
    # the train op also run on its own: the no_op is not taken for it, and the norm of the
    # clipped gradients is then fetched without a train op computing them
    ((("    return train_op, global_norm\n", "    return train_op, global_norm, apply_op\n"),
      ("train_op, global_norm = train(", "train_op, global_norm, apply_op = train("),
      ("        tl, step, lg = sess.run(", "        sess.run(apply_op, {images: images_np, labels: labels_np})\n        tl, step, lg = sess.run(")),
     "`grads_and_vars` (the compute_gradients result) is computed only inside its train step"),
    # the no_op feeds graph code: it is not taken for the train op
    ((("    return train_op, global_norm\n", "    both = tf.group(train_op, tf.no_op())\n    return both, global_norm\n"),
      ("train_op, global_norm = train(", "both, global_norm = train("),
      ("sess.run([train_op, total_loss, global_norm]", "sess.run([both, total_loss, global_norm]")),
     "a `tf.group` fetched together with other tensors"),
])
def test_weight_decay_collection_and_train_helper_refusals(edits: tuple[tuple[str, str], ...], why: str) -> None:
    out = assert_refused(edited(_CIFAR, edits), why)
    # the weight-decay term stays in the collection TF1 reads: TF2130 does not take the helper
    assert b"class Inference(" not in out


def test_train_helper_statements_stand_at_its_call() -> None:
    out = (EXPECTED_TF2 / "weight_decay_collections.py").read_text()
    assert "def train(" not in out and "train(total_loss" not in out
    # the optimizer where the call stood, before the step functions that use it
    assert out.index("opt = tf.keras.optimizers.SGD(") < out.index("def train_step(") < out.index("for _ in range(15):")
    # the no_op under control_dependencies names the train op: its run is the train step, and
    # the clipped gradients' global norm fetched with it is returned by the step
    assert "control_dependencies" not in out and "no_op" not in out
    assert "tl, gn = [t.numpy() for t in train_step(images_np, labels_np)]" in out
    assert "return total_loss, global_norm" in out


def test_weight_decay_reads_left_to_a_suppressed_tf2120_keep_the_collection() -> None:
    # TF2120 does not rewrite the file: TF2130 must not move the weight-decay term out of the
    # collection the unconverted code still sums (it plans again without that, the shim)
    src = _CIFAR.replace("        sess.run(tf.global_variables_initializer())\n",
                         "        sess.run(tf.global_variables_initializer())  # migrate: ignore\n")
    result, out = process_bytes(src.encode(), "t.py", Options(pack="tf1-to-tf2", unsafe_fixes=True))
    assert not result.errors
    assert b"class Inference(" not in out and b"regularizer=" not in out and b"get_collection('losses')" in out
    shim = [f.message for f in result.findings if f.rule_id == "TF2131" and "`inference`" in f.message]
    assert shim and "TF2120 converts these reads with the file's Session code, which it does not convert here" in shim[0]


_TOWER_SRC = (TF1 / "multi_tower_device.py").read_text()


@pytest.mark.parametrize(("edits", "why"), [
    pytest.param((("grads = opt.compute_gradients(loss)", "grads = opt.compute_gradients(loss, gate_gradients=0)"),),
                 "`compute_gradients` in a tower loop with arguments other than a named loss", id="compute-args"),
    pytest.param((("                        tf.get_variable_scope().reuse_variables()\n",
                   ("                        tf.get_variable_scope().reuse_variables()\n"
                    "                        extra = tf.get_variable('extra', [1])\n")),),
                 "`tf.get_variable` under `with tf.variable_scope(tf.get_variable_scope()):` with `reuse_variables()`",
                 id="direct-variable"),
    pytest.param((("        tower_grads, losses = [], []\n",
                   ("        tower_grads, losses = [], []\n        scale = tf.Variable(1.0)\n"
                    "        scaled = [s * scale for s in x_splits]\n")),
                  ("tower_loss(x_splits[i]", "tower_loss(scaled[i]")),
                 "the tower loop reads `scaled`, computed from variables before it", id="variable-outside-tape"),
    pytest.param((("tf.name_scope('tower_%d' % i)", "tf.name_scope('tower')"),),
                 "the name-scope string `scope` read after the graph code: its name is not a literal formatted with "
                 "the loop index", id="scope-not-per-tower"),
    pytest.param((("            for i in range(NUM_TOWERS):\n", "            for i in range(NUM_TOWERS):\n                xi = x_splits[i]\n"),),
                 "or after other statements of the loop", id="statement-before-towers"),
    pytest.param((("        grads = average_gradients(tower_grads)\n",
                   "        grads = average_gradients(tower_grads)\n        first = tower_grads[0][0][0]\n"),
                  ("[train_op, mean_loss]", "[train_op, mean_loss, first]"), ("_, l = ", "_, l, _f = ")),
                 "the tower gradient lists are indexed or counted", id="indexed-gradients"),
    pytest.param((("opt.compute_gradients(loss)", ("opt.compute_gradients(loss)\n"
                                                    "                        more = opt.compute_gradients(loss * 2.0)\n"
                                                    "                        tower_grads.append(more)")),),
                 "`opt.compute_gradients` in several places of the tower loops", id="two-computes"),
])
def test_multi_tower_variants_refused_precisely(edits: tuple[tuple[str, str], ...], why: str) -> None:
    """corpus multi_tower_device (PROVEN) with one change the tower conversion does not
    prove (rules/tf1_to_tf2/_towers.py): refused with the reason, nothing restructured."""
    assert_refused(edited(_TOWER_SRC, edits), why)


def test_multi_tower_train_step_has_a_tape_per_tower() -> None:
    """The towers' loop is in the train step with its own tape; the graph, the shared root
    scope and reuse_variables() are gone; one apply_gradients after the loop."""
    out, findings = migrate("multi_tower_device")
    code = _code_only(out)
    assert code.count("with tf.GradientTape() as tape:") == 1 and "reuse_variables" not in code
    assert "variable_scope" not in code and "Graph()" not in code and code.count("apply_gradients") == 1
    loop = code.index("for i in range(NUM_TOWERS):\n            with tf.device('/cpu:0'):")
    assert loop < code.index("GradientTape") < code.index("average_gradients(tower_grads)\n        opt.apply_gradients(grads)")
    mine = [f.message for f in findings if f.rule_id == "TF2120"]
    assert any("tf.device('/cpu:0')` around the whole graph goes" in m for m in mine), mine
