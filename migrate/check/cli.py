"""Click commands of the checker: ``check_command`` and ``convert_weights_command``.

The lead registers them in ``migrate/cli.py`` (``main.add_command(check_command)``). Nothing
heavy is imported until a command runs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

__all__ = ["check_command", "convert_checkpoint_command", "convert_weights_command"]

EXIT_EQUIVALENT, EXIT_DIFFERENT, EXIT_ERROR = 0, 1, 2

KINDS = click.Choice(["tf1", "keras", "torch"])


def _parse_inputs(items: tuple[str, ...]) -> dict[str, Any] | None:
    """``NAME=D1,D2,...[:DTYPE]`` (``None`` or ``?`` for drawn sizes) -> input spec dict."""
    if not items:
        return None
    spec: dict[str, Any] = {}
    for item in items:
        name, eq, rest = item.partition("=")
        if not eq or not name:
            raise click.BadParameter(f"expected NAME=SHAPE[:DTYPE], got {item!r}", param_hint="--input")
        shape_s, _, dtype = rest.partition(":")
        dims: list[int | None] = []
        for d in filter(None, (x.strip() for x in shape_s.split(","))):
            dims.append(None if d in ("None", "?", "-1") else int(d))
        spec[name] = {"shape": dims, "dtype": dtype or "float32"}
    return spec


@click.command(
    "check",
    help=(
        "Check that NEW computes what OLD computes (outputs, every layer, a training step).\n\n"
        "OLD and NEW are model factories, 'path/to/file.py:build_fn'.\n\n"
        "WARNING: this command IMPORTS AND RUNS the given model code, with your permissions: "
        "TF1 graphs in a worker subprocess, Keras and PyTorch models in this process. "
        "Only check code you trust.\n\n"
        "Exit status: 0 equivalent, 1 not equivalent, 2 could not run."
    ),
)
@click.argument("old")
@click.argument("new")
@click.option("--old-kind", type=KINDS, default=None, help="Force the old model's kind (default: detected).")
@click.option("--new-kind", type=KINDS, default=None, help="Force the new model's kind (default: detected).")
@click.option("--atol", type=float, default=1e-5, show_default=True, help="Max abs difference of outputs and layers.")
@click.option("--train-atol", type=float, default=1e-4, show_default=True, help="Tolerance after a training step.")
@click.option("--rtol", type=float, default=0.0, show_default=True, help="Relative tolerance added to atol.")
@click.option("--examples", "-n", type=int, default=20, show_default=True, help="Generated examples (inputs and weights).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False), default=None,
              help="JSON/TOML file {old_name: new_name} pinning weight pairs.")
@click.option("--no-train", is_flag=True, help="Eval mode only: no training-mode forward, no training step.")
@click.option("--optimizer", default=None, help="Optimizer where a model declares none, e.g. 'sgd:lr=0.01' or 'adam:lr=1e-3,eps=1e-7'.")
@click.option("--steps", type=int, default=1, show_default=True, help="Optimizer steps in the training check.")
@click.option("--input", "inputs", multiple=True, metavar="NAME=SHAPE[:DTYPE]",
              help="Describe an input (shape without batch, None for drawn sizes), e.g. x=None,None,3.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--torch-layout", type=click.Choice(["auto", "channels_first", "channels_last"]), default="auto",
              show_default=True,
              help="Image interface of the torch model: channels_last = takes and returns NHWC tensors as Keras "
                   "(what tf2-to-torch writes); auto = channels_last when it contains the pack's ChannelsLast "
                   "helper, else channels_first.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, allow_dash=True), default=None,
              help="Write the result as JSON ('-' for stdout).")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None, help="Write a PNG bar chart of per-layer differences.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), default=None,
              help="Write a porting report with this result (format from the extension: .html embeds the per-layer plot; .md, .json, .sarif, .txt).")
@click.option("--quiet", "-q", is_flag=True, help="Print only the verdict line.")
def check_command(old: str, new: str, old_kind: str | None, new_kind: str | None, atol: float, train_atol: float,
                  rtol: float, examples: int, seed: int, mapping: str | None, no_train: bool, optimizer: str | None,
                  steps: int, inputs: tuple[str, ...], device: str, json_path: str | None, plot_path: str | None,
                  report_path: str | None, quiet: bool, torch_layout: str = "auto") -> None:
    from . import CheckOptions, OptimizerSpec, check

    try:
        kw: dict[str, Any] = {}
        if optimizer:
            kw["optimizer"] = OptimizerSpec.parse(optimizer)
        opts = CheckOptions(
            atol=atol, train_atol=train_atol, rtol=rtol, max_examples=examples, seed=seed, mapping=mapping,
            train_step=not no_train, modes=("eval",) if no_train else ("eval", "train"), steps=steps,
            input_spec=_parse_inputs(inputs), device=device, old_kind=old_kind, new_kind=new_kind,
            torch_layout=torch_layout, **kw,
        )
    except (ValueError, TypeError) as e:
        raise click.UsageError(str(e)) from e
    result = check(old, new, opts)
    out = sys.stdout if json_path != "-" else sys.stderr
    click.echo(result.message if quiet else result.summary(), file=out)
    if json_path:
        text = json.dumps(result.to_dict(), indent=2)
        if json_path == "-":
            click.echo(text)
        else:
            Path(json_path).write_text(text + "\n", encoding="utf-8")
    if plot_path and result.status != "error":
        result.plot_png(plot_path)
    if report_path:
        _write_report(result, old, new, report_path)
    if result.status == "error":
        if result.error and not quiet:
            click.echo(result.error, err=True)
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_EQUIVALENT if result.equivalent else EXIT_DIFFERENT)


@click.command(
    "convert-weights",
    help=(
        "Convert TF1 checkpoint / Keras weights SRC into a PyTorch state_dict saved at OUT "
        "(torch.save; loads with torch.load(OUT, weights_only=True)).\n\n"
        "SRC: a TF1 checkpoint directory or prefix, a .keras file, or a .weights.h5 file. "
        "Pairs come from --mapping, else are inferred against --model (a torch factory "
        "'file.py:build_fn', which this command IMPORTS AND RUNS)."
    ),
)
@click.argument("src", type=click.Path())
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--model", default=None, help="Torch factory 'file.py:build_fn' whose parameters are the target.")
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False), default=None,
              help="JSON/TOML {old_name: new_name}; required when --model is not given (unmapped layers keep their names).")
@click.option("--keras-model", default=None, help="Keras factory to load a .weights.h5 into (default: guess from layer names).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, allow_dash=True), default=None,
              help="Write the pairs used as JSON ('-' for stdout).")
def convert_weights_command(src: str, out: str, model: str | None, mapping: str | None, keras_model: str | None,
                            json_path: str | None) -> None:
    from .convert import convert_weights, save_state_dict
    from .correspondence import CorrespondenceError
    from .loader import LoadError

    p = Path(src)
    if not p.exists() and not Path(src + ".index").exists():
        click.echo(f"error: {src} does not exist (nor {src}.index)", err=True)
        sys.exit(EXIT_ERROR)
    try:
        res = convert_weights(src, model=model, mapping=mapping, keras_model=keras_model)
        save_state_dict(res.state_dict, out)
    except (CorrespondenceError, LoadError, OSError, ValueError) as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(EXIT_ERROR)
    for pr in res.correspondence.to_list():
        how = "inferred" if pr["inferred"] else "mapped"
        click.echo(f"{pr['old_layer']} -> {pr['new_layer']} ({pr['family']}, {how})", err=True)
    for n in res.notes:
        click.echo(f"note: {n}", err=True)
    click.echo(f"wrote {len(res.state_dict)} tensors to {out}", err=True)
    if json_path:
        text = json.dumps({"source": src, "source_kind": res.source_kind, "out": out,
                           "pairs": res.correspondence.to_list(), "notes": res.notes}, indent=2)
        if json_path == "-":
            click.echo(text)
        else:
            Path(json_path).write_text(text + "\n", encoding="utf-8")


@click.command(
    "convert-checkpoint",
    help=(
        "Convert the TF1 (tf.train.Saver) checkpoint OLD_CKPT into a TF2 object-based checkpoint "
        "at prefix --out, for the migrated objects (tf.train.Checkpoint / Keras / tf.Module).\n\n"
        "OLD_CKPT: a checkpoint prefix or a directory with a `checkpoint` file. Pairs come from "
        "--map (JSON {\"old/tf1/name\": \"new/object/path\"}) and else by name, with shape checks. "
        "With --target (a factory 'file.py:build_fn' returning a tf.train.Checkpoint, a dict of "
        "trackables or one trackable; this command IMPORTS AND RUNS it) the new side is its variables; "
        "without, the map's paths (unmapped TF1 variables keep their name as path). "
        "Unmatched names on both sides are reported.\n\n"
        "Exit status: 0 written, 1 written with unmatched variables, 2 could not convert."
    ),
)
@click.argument("old_ckpt", type=click.Path())
@click.option("--out", "out", required=True, type=click.Path(),
              help="Prefix of the TF2 checkpoint to write; a directory (ending in '/') gets the TF1 file name "
                   "and a `checkpoint` state file, so tf.train.latest_checkpoint(DIR) finds it.")
@click.option("--map", "map_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="JSON {old TF1 name: new object path} (e.g. the map TF2130 writes).")
@click.option("--target", default=None, help="Factory 'file.py:build_fn' of the migrated objects (IMPORTED AND RUN).")
@click.option("--strict", is_flag=True, help="Unmatched model variables on either side are an error (exit 2).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, allow_dash=True), default=None,
              help="Write the pairs and unmatched names as JSON ('-' for stdout).")
@click.option("--lstm-forget-bias", type=float, default=1.0, show_default=True,
              help="The forget_bias of the TF1 LSTM cells (added at run time, not in the checkpoint): folded into "
                   "the Keras LSTM's bias.")
def convert_checkpoint_command(old_ckpt: str, out: str, map_path: str | None, target: str | None, strict: bool,
                               json_path: str | None, lstm_forget_bias: float = 1.0) -> None:
    from .checkpoint import ConversionError, convert_checkpoint
    from .loader import LoadError

    if not Path(old_ckpt).exists() and not Path(old_ckpt + ".index").exists():
        click.echo(f"error: {old_ckpt} does not exist (nor {old_ckpt}.index)", err=True)
        sys.exit(EXIT_ERROR)
    try:
        res = convert_checkpoint(old_ckpt, out, target=target, name_map=map_path, strict=strict,
                                 lstm_forget_bias=lstm_forget_bias)
    except (ConversionError, LoadError, OSError) as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(EXIT_ERROR)
    click.echo(res.summary(), err=True)
    if json_path:
        text = json.dumps(res.to_dict(), indent=2)
        if json_path == "-":
            click.echo(text)
        else:
            Path(json_path).write_text(text + "\n", encoding="utf-8")
    sys.exit(1 if (res.unmatched_old or res.unmatched_new) else 0)


def _write_report(result: Any, old: str, new: str, path: str) -> None:
    """The check result as a porting report (its `equivalence` section)."""
    from migrate import __version__
    from migrate.report import render
    from migrate.result import RunResult

    ext = Path(path).suffix.lower().lstrip(".")
    fmt = {"htm": "html", "markdown": "md", "txt": "text"}.get(ext, ext)
    if fmt not in ("json", "md", "html", "sarif", "text"):
        fmt = "json"
    if fmt == "html" and result.status != "error" and result.layers:
        result.fill_plot_base64()
    run = RunResult(
        migration="check", source=old, target=new, files=(), rules=(),
        tool_version=__version__, equivalence=(result.to_dict(),),
    )
    Path(path).write_text(render(run, fmt), encoding="utf-8")
