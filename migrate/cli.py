"""Command line: parse options, print, choose the exit code. The work is in `migrate.api`."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import click

from migrate import __version__
from migrate.config import ConfigError, find_pyproject, load_config
from migrate.engine.cache import default_cache_dir

FORMATS = ("json", "md", "html", "sarif", "text")


def _split_ids(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(v.strip() for item in values for v in item.split(",") if v.strip())


def _use_color(flag: bool | None) -> bool:
    if flag is not None:
        return flag
    if os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def rewrite_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    opts = [
        click.argument("paths", nargs=-1, type=click.Path()),
        click.option("--diff", is_flag=True, help="Print a unified diff of the rewrites; write nothing."),
        click.option("--write", "--fix", "write", is_flag=True, help="Apply safe rewrites in place (atomic writes)."),
        click.option("--check", "check", is_flag=True, help="CI mode: write nothing; exit 1 if any file would change or needs a person."),
        click.option("--unsafe-fixes", is_flag=True, default=None, help="Also apply rewrites marked unsafe."),
        click.option("--select", multiple=True, help="Only rules whose ID starts with this (repeatable, comma-separated)."),
        click.option("--ignore", multiple=True, help="Skip rules whose ID starts with this (repeatable, comma-separated)."),
        click.option("--exclude", multiple=True, help="Glob or dir/ to exclude (adds to config)."),
        click.option("--force-exclude", is_flag=True, help="Apply excludes to files named explicitly too (pre-commit)."),
        click.option("-j", "--jobs", type=int, default=None, help="Worker processes (default: CPU count)."),
        click.option("--report", "report_path", type=click.Path(), default=None, help="Write the porting report to PATH ('-' for stdout)."),
        click.option("--report-format", type=click.Choice(FORMATS), default=None, help="Report format (default: from the extension, else json)."),
        click.option("--stdin-filename", default=None, help="Name to use for '-' (stdin) in messages."),
        click.option("--verify", is_flag=True, default=None, help="Also check that a second run changes nothing (slower)."),
        click.option("--no-cache", is_flag=True, help="Do not read or write the content-hash cache."),
        click.option("--cache-dir", type=click.Path(file_okay=False), default=None, help="Cache directory (default: $MIGRATE_CACHE_DIR or ~/.cache/migrate)."),
        click.option("--exit-non-zero-on-fix", is_flag=True, help="Exit 1 when any file was rewritten."),
        click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False), default=None, help="pyproject.toml to read [tool.migrate] from."),
        click.option("-q", "--quiet", is_flag=True, help="Print only the summary line."),
        click.option("-v", "--verbose", is_flag=True, help="Also print skipped files."),
        click.option("--no-progress", is_flag=True, help="Never show a progress line."),
        click.option("--color/--no-color", default=None, help="Colour output (default: on a TTY unless NO_COLOR)."),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


def _report_format(path: str | None, fmt: str | None) -> str:
    if fmt:
        return fmt
    if path and path != "-":
        ext = os.path.splitext(path)[1].lower().lstrip(".")
        return {"markdown": "md", "htm": "html", "txt": "text", "sarif": "sarif"}.get(ext, ext if ext in FORMATS else "json")
    return "json"


def _run_pack(pack: str, **kw: Any) -> None:
    from dataclasses import replace

    from migrate import api
    from migrate.report import console, render
    from migrate.result import FileStatus

    paths: tuple[str, ...] = kw["paths"]
    color = _use_color(kw["color"])
    err = click.get_text_stream("stderr")
    try:
        cfg_path = kw["config_path"] or find_pyproject(paths[0] if paths and paths[0] != "-" else os.getcwd())
        cfg = load_config(cfg_path) if cfg_path else {}
    except ConfigError as exc:
        click.echo(f"migrate: error: {exc}", err=True)
        sys.exit(2)
    root = os.path.dirname(os.path.abspath(cfg_path)) if cfg_path else os.getcwd()
    select = _split_ids(kw["select"]) or tuple(cfg.get("select", ()))
    ignore = _split_ids(kw["ignore"]) + tuple(cfg.get("ignore", ()))
    exclude = tuple(cfg.get("exclude", ())) + tuple(cfg.get("extend-exclude", ())) + tuple(kw["exclude"])
    unsafe = kw["unsafe_fixes"] if kw["unsafe_fixes"] is not None else bool(cfg.get("unsafe-fixes", False))
    jobs = kw["jobs"] if kw["jobs"] is not None else int(cfg.get("jobs", _usable_cpus()))
    verify = kw["verify"] if kw["verify"] is not None else bool(cfg.get("verify", False))
    report_path = kw["report_path"] or cfg.get("report")
    report_fmt = _report_format(report_path, kw["report_format"] or cfg.get("report-format"))
    write = kw["write"] and not (kw["check"] or kw["diff"])
    check_mode = kw["check"] or kw["diff"]
    markers = tuple(cfg.get("generated-markers", ("@generated", "DO NOT EDIT")))
    try:
        from migrate.pack import load_pack

        load_pack(pack)
    except Exception as exc:  # pragma: no cover - broken installation
        click.echo(f"migrate: error: cannot load rule pack {pack!r}: {exc}", err=True)
        sys.exit(2)
    config = api.RunConfig(
        pack=pack,
        select=select,
        ignore=ignore,
        unsafe_fixes=unsafe,
        write=write,
        verify_idempotence=verify,
        jobs=max(1, jobs),
        exclude=exclude,
        force_exclude=kw["force_exclude"],
        generated_markers=markers,
        root=root,  # excludes in [tool.migrate] are relative to the config's directory
        cache_dir=None if kw["no_cache"] else (kw["cache_dir"] or cfg.get("cache-dir") or default_cache_dir()),
        overrides=tuple(api.Override.from_config(t) for t in cfg.get("overrides", ())),
        render_json=bool(report_path) and report_fmt == "json",
    )

    if paths == ("-",):
        data = click.get_binary_stream("stdin").read()
        name = kw["stdin_filename"] or "<stdin>"
        result, new = api.run_source(data, config, name)
        fr = result.files[0]
        if kw["diff"]:
            click.echo(fr.diff, nl=False)
        else:
            click.get_binary_stream("stdout").write(new)
        if not kw["quiet"]:
            for f in fr.findings:
                click.echo(console.format_finding(f), err=True)
            for e in fr.errors:
                click.echo(f"{e.path}:{e.line or 0}:{e.column or 0}: error: {e.message}", err=True)
        sys.exit(api.exit_code(result, check_mode=check_mode))

    if not paths:
        click.echo("migrate: error: no paths given (pass files or directories, or '-' for stdin)", err=True)
        sys.exit(2)

    progress = (
        not kw["no_progress"] and not kw["quiet"] and err.isatty() and os.environ.get("PRE_COMMIT") != "1"
    )
    counter = {"n": 0}

    def on_result(r: Any) -> None:
        counter["n"] += 1
        if progress:
            click.echo(f"\r\033[K[{counter['n']}] {r.path}", err=True, nl=False)

    try:
        result = api.run(paths, config, on_result=on_result, argv=sys.argv)
    except KeyboardInterrupt:
        click.echo("\nmigrate: interrupted; files already written are complete, the others untouched", err=True)
        sys.exit(2)
    if progress:
        click.echo("\r\033[K", err=True, nl=False)

    code = api.exit_code(result, check_mode=check_mode)
    if kw["exit_non_zero_on_fix"] and any(fr.written for fr in result.files):
        code = max(code, 1)
    assert result.invocation is not None
    result = replace(result, invocation=replace(result.invocation, exit_code=code))

    if kw["diff"]:
        for fr in result.files:
            if fr.diff:
                click.echo(_color_diff(fr.diff) if color else fr.diff, nl=False)
    if not kw["quiet"]:
        for fr in result.files:
            for e in fr.errors:
                loc = f"{e.path}:{e.line}:{e.column or 0}" if e.line else e.path
                click.echo(click.style(f"{loc}: error: {e.message}", fg="red") if color else f"{loc}: error: {e.message}", err=True)
            if kw["verbose"] and fr.status is FileStatus.SKIPPED:
                click.echo(f"{fr.path}: skipped ({fr.reason})", err=True)
            for f in fr.findings:
                click.echo(console.format_finding(f), err=True)
    click.echo(console.summary_line(result), err=True)
    if report_path:
        text = render(result, report_fmt)
        if report_path == "-":
            click.echo(text, nl=not text.endswith("\n"))
        else:
            with open(report_path, "w", encoding="utf-8") as fh:
                fh.write(text)
            if not kw["quiet"]:
                click.echo(f"report written to {report_path} ({report_fmt})", err=True)
    sys.exit(code)


def _color_diff(diff: str) -> str:
    out = []
    for line in diff.splitlines(keepends=True):
        if line.startswith("+") and not line.startswith("+++"):
            out.append(click.style(line, fg="green"))
        elif line.startswith("-") and not line.startswith("---"):
            out.append(click.style(line, fg="red"))
        elif line.startswith("@@"):
            out.append(click.style(line, fg="cyan"))
        else:
            out.append(line)
    return "".join(out)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="migrate")
def main() -> None:
    """Migrate TensorFlow 1 code to TensorFlow 2 and on to PyTorch.

    Non-destructive by default: prints findings and writes nothing. Use --diff to see the
    rewrites, --write to apply the safe ones. Exit codes: 0 nothing left to do, 1 work
    remains (or files would change), 2 migrate could not do its job.
    """


@main.command("tf1-to-tf2")
@rewrite_options
def tf1_to_tf2(**kw: Any) -> None:
    """Rewrite TF1 code (Session, placeholder, tf.layers, contrib, flags...) as TF2."""
    _run_pack("tf1-to-tf2", **kw)


@main.command("tf2-to-torch")
@rewrite_options
def tf2_to_torch(**kw: Any) -> None:
    """Rewrite TF2/Keras code (models, GradientTape loops, tf ops) as PyTorch."""
    _run_pack("tf2-to-torch", **kw)


@main.command("rules")
@click.option("--pack", "pack_name", default=None, help="Only this pack.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def rules_cmd(pack_name: str | None, as_json: bool) -> None:
    """List the rule packs and their rules."""
    import json

    from migrate.pack import BUILTIN_PACKS, load_pack

    names = [pack_name] if pack_name else list(BUILTIN_PACKS)
    rows = []
    for name in names:
        pack = load_pack(name)
        for info in pack.rule_infos():
            rows.append(info.to_dict())
            if not as_json:
                click.echo(f"{info.id}  {info.name:<34} {info.fix_safety:<7} {info.effort:<9} {info.short_description}")
    if as_json:
        click.echo(json.dumps(rows, indent=2))


@main.command("report")
@click.argument("report_json", type=click.Path(exists=True, dir_okay=False))
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), default="md")
@click.option("-o", "--output", type=click.Path(), default="-")
def report_cmd(report_json: str, fmt: str, output: str) -> None:
    """Render a saved JSON report in another format."""
    from migrate.report import load, render

    try:
        text = render(load(report_json), fmt)
    except (ValueError, KeyError) as exc:
        click.echo(f"migrate: error: {report_json}: {exc}", err=True)
        sys.exit(2)
    if output == "-":
        click.echo(text, nl=not text.endswith("\n"))
    else:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)


def _register_optional_commands() -> None:
    """Commands that live in other rooms (the checker); they import frameworks lazily."""
    try:
        from migrate.check import cli as check_cli
    except ImportError:  # pragma: no cover - checker not built yet
        return
    for attr in ("check_command", "convert_weights_command", "convert_checkpoint_command"):
        cmd = getattr(check_cli, attr, None)
        if cmd is not None:
            main.add_command(cmd)


_register_optional_commands()


if __name__ == "__main__":  # pragma: no cover
    main()


def _usable_cpus() -> int:
    """CPUs this process may run on (the affinity mask under taskset or a container's
    cpuset), not the machine's count."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1
