"""TF2120: what a dropped `tf.ConfigProto(...)` asked for, and its tf.config spelling.

Not a rule module. The ConfigProto of the one Session goes with the Session; `note` reports
each of its options: the ones TF2 does by default, and the tf.config calls that set the
others. Those calls are not written into the program: the device and thread settings must
run before TensorFlow initializes its runtime (a later call raises RuntimeError), which the
place of the ConfigProto in the TF1 program does not guarantee.
"""

from __future__ import annotations

import libcst as cst

_THREADS = {"intra_op_parallelism_threads": "tf.config.threading.set_intra_op_parallelism_threads",
            "inter_op_parallelism_threads": "tf.config.threading.set_inter_op_parallelism_threads"}


def _is(value: cst.BaseExpression, name: str) -> bool:
    return isinstance(value, cst.Name) and value.value == name


def note(an, s) -> None:  # type: ignore[no-untyped-def]
    """One note on the dropped ConfigProto statement `s`."""
    call = s.value
    if not isinstance(call, cst.Call) or an.call_rest(call) != "ConfigProto":
        return
    parts: list[str] = []
    for a in call.args:
        if a.keyword is None or a.star:
            parts.append(f"`{an.code(a)}`: no tf.config counterpart written")
            continue
        k, v = a.keyword.value, a.value
        code = an.code(v)
        if k == "allow_soft_placement":
            parts.append("allow_soft_placement=True is TF2's default" if _is(v, "True")
                         else f"allow_soft_placement -> `tf.config.set_soft_device_placement({code})`")
        elif k == "log_device_placement":
            parts.append("log_device_placement=False is TF2's default" if _is(v, "False")
                         else f"log_device_placement -> `tf.debugging.set_log_device_placement({code})`")
        elif k in _THREADS:
            parts.append(f"{k} -> `{_THREADS[k]}({code})` at the program's start")
        elif k == "gpu_options" and isinstance(v, cst.Call) and an.call_rest(v) == "GPUOptions":
            for g in v.args:
                gk = g.keyword.value if g.keyword is not None else None
                if gk == "allow_growth":
                    parts.append(f"gpu_options allow_growth -> `for gpu in tf.config.list_physical_devices('GPU'): "
                                 f"tf.config.experimental.set_memory_growth(gpu, {an.code(g.value)})` at the program's "
                                 "start (no GPU: an empty list)")
                elif gk == "per_process_gpu_memory_fraction":
                    parts.append("gpu_options per_process_gpu_memory_fraction -> `tf.config.set_logical_device_configuration(gpu, "
                                 "[tf.config.LogicalDeviceConfiguration(memory_limit=<MB>)])` per GPU at the program's start")
                else:
                    parts.append(f"gpu_options `{an.code(g)}`: no tf.config counterpart written")
        else:
            parts.append(f"`{k}={code}`: no tf.config counterpart written")
    if not parts:
        return
    an.plan.checkpoint_notes.append((call, (
        f"`{an.code(call.func)}(...)` goes with the Session: " + "; ".join(parts)
        + " (device and thread settings must run before TensorFlow initializes its runtime, a later call raises "
          "RuntimeError, so they are not written where the ConfigProto stood)")))
