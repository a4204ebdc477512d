"""One file in, one FileResult out: parse, apply the pack, verify, diff, write atomically."""

from __future__ import annotations

import ast
import difflib
import os
import stat
import symtable
import tempfile
import traceback
from dataclasses import dataclass, replace

import libcst as cst

from migrate.engine import notebook
from migrate.engine.cache import Cache, pack_digest
from migrate.engine.lean import fast_construction
from migrate.engine.positions import bytes_of
from migrate.engine.source import DecodeError, decode, is_binary, python2_reason
from migrate.engine.transform import run_pass
from migrate.pack import Pack, load_pack, select_rules
from migrate.result import FileError, FileResult, FileStatus, Finding, Status
from migrate.rule import Rule, SkipFile

DIFF_CONTEXT = 5


@dataclass(frozen=True)
class Options:
    """Everything a worker needs to process a file (picklable)."""

    pack: str = "tf1-to-tf2"
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    unsafe_fixes: bool = False
    write: bool = False
    verify_idempotence: bool = False
    generated_markers: tuple[str, ...] = ("@generated", "DO NOT EDIT")
    skip_marker: str = "# migrate: skip-file"
    cache_dir: str | None = None  # None: no cache
    # the run writes a JSON report: serialise each finding here, in the worker (see
    # Finding.json), not in the main process at the end of the run
    render_json: bool = False

    def cache(self) -> Cache | None:
        if not self.cache_dir:
            return None
        pack = load_pack(self.pack)
        salt = "|".join((self.pack, pack_digest(pack.package), repr(self.select), repr(self.ignore), str(self.unsafe_fixes), str(self.verify_idempotence), repr(self.generated_markers)))
        return Cache(self.cache_dir, salt)

    def rules(self) -> tuple[Pack, tuple[type[Rule], ...]]:
        pack = load_pack(self.pack)
        return pack, select_rules(pack.rules, self.select, self.ignore)


class RewriteError(Exception):
    def __init__(self, error: FileError) -> None:
        super().__init__(error.message)
        self.error = error


def _parse_error(path: str, text: str, exc: cst.ParserSyntaxError) -> FileError:
    """Locate and explain a parse failure; CPython's own parser gives the best message."""
    line, col, msg = exc.raw_line, exc.raw_column, (exc.message.splitlines() or ["syntax error"])[0]
    try:
        ast.parse(text)
    except SyntaxError as syn:
        line, col = syn.lineno or line, max(0, (syn.offset or 1) - 1)
        msg = syn.msg
    except (ValueError, RecursionError, MemoryError):
        pass
    why = python2_reason(text, line)
    if why or "Missing parentheses in call to" in msg:
        why = why or "print statement"
        return FileError(path, "python2", f"Python 2 code ({why}); convert it to Python 3 first (e.g. with 2to3)", line, col)
    return FileError(path, "parse", f"syntax error: {msg}", line, col)


def _no_validation(self: cst.CSTNode) -> None:
    return None


def parse_unvalidated(data: bytes) -> cst.Module:
    """``cst.parse_module`` without libcst's per-node validation.

    libcst validates every node it constructs (``CSTNode.__post_init__``), including the
    ones its own parser builds, which are valid by construction (libcst's source notes that
    validation belongs to the visitor, not the parser): about a seventh of the parse time.
    Nodes the rules build are still validated, and every output is re-parsed by CPython
    before it is written.
    """
    node_class = cst.CSTNode
    saved = node_class.__dict__["__post_init__"]
    node_class.__post_init__ = _no_validation  # type: ignore[method-assign]
    try:
        with fast_construction():
            return cst.parse_module(data)
    finally:
        node_class.__post_init__ = saved  # type: ignore[method-assign]


def rewrite_source(data: bytes, path: str, opts: Options) -> tuple[bytes, list[Finding]]:
    """Rewrite Python source bytes. Raises RewriteError (parse, rule crash, verify) or SkipFile."""
    pack, rules = opts.rules()
    if not any(t in data for t in pack.triggers):
        raise SkipFile("no-reference")
    text = decode(data)
    head = "\n".join(text.splitlines()[:5])
    if opts.skip_marker in text:
        raise SkipFile("skip-marker")
    if any(m in head for m in opts.generated_markers):
        raise SkipFile("generated")
    try:
        module = parse_unvalidated(data)
    except cst.ParserSyntaxError as exc:
        raise RewriteError(_parse_error(path, text, exc)) from exc
    try:
        result, refused = _prepared_pass(text, path, pack, rules, opts)
        if result is None:
            result = run_pass(module, path=path, source_text=text, pack=pack, rules=rules, unsafe_fixes=opts.unsafe_fixes)
            if refused is not None:  # the prepared pass was not accepted: its reasons merged in
                result = refused[0].merge(result, refused[1])
    except SkipFile:
        raise
    except Exception as exc:  # a rule crashed: record it, never lose the file
        raise RewriteError(
            FileError(path, "rule_crash", f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())
        ) from exc
    new = bytes_of(result.module, result.verbatim())
    if new != data:
        try:  # CPython's parser: exact, and much cheaper than a second libcst parse
            _verify_parses(new, data, path)
        except (SyntaxError, ValueError, cst.ParserSyntaxError) as exc:
            raise RewriteError(
                FileError(path, "verify", f"internal error: the rewrite does not parse ({exc}); file left unchanged")
            ) from exc
        if opts.verify_idempotence:
            reparsed = cst.parse_module(new)
            again = run_pass(reparsed, path=path, source_text=decode(new), pack=pack, rules=rules, unsafe_fixes=opts.unsafe_fixes)
            if bytes_of(again.module) != new:
                raise RewriteError(
                    FileError(path, "verify", "internal error: a second run would change the output again (not idempotent); file left unchanged")
                )
    findings = result.findings
    if result.context.restructured:  # findings on code a restructuring replaced go
        findings = result.context.findings_in(decode(new))
    return new, findings


def _prepared_pass(text: str, path: str, pack: Pack, rules: tuple[type[Rule], ...], opts: Options):  # type: ignore[no-untyped-def]
    """The pass over the pack's prepared text (``Pack.prepare``) when the pack accepts its
    findings (the findings' lines are those of the original text), else None and, when a
    prepared pass ran, the preparation and its findings (``Prepared.merge`` gives the pass
    over the file as it is the prepared pass's reasons)."""
    if pack.prepare is None or not opts.unsafe_fixes:
        return None, None
    prepared = pack.prepare(text)
    if prepared is None:
        return None, None
    result = run_pass(parse_unvalidated(prepared.text.encode("utf-8")), path=path, source_text=prepared.text, pack=pack,
                      rules=rules, unsafe_fixes=opts.unsafe_fixes)
    for i, f in enumerate(result.findings):
        start, end = f.range.start, f.range.end
        result.findings[i] = replace(f, range=replace(f.range, start=replace(start, line=prepared.line(start.line)),
                                                      end=replace(end, line=prepared.line(end.line))))
    if not prepared.accept(result.findings):
        return None, (prepared, result.findings)
    return result, None


def _verify_parses(new: bytes, old: bytes, path: str) -> None:
    """Raise when `new` is not valid Python. Uses CPython's parser unless the running
    Python is older than the syntax of the input (then libcst, which knows newer syntax).

    CPython parses through ``symtable``: the same parser as ``ast.parse`` without making
    Python objects of the tree (a third cheaper). It also rejects what only a compiler
    sees (``nonlocal`` at module level): such an error counts only when the input did
    not have it too."""
    try:
        _cpython_check(new, path)
    except (SyntaxError, ValueError):
        try:
            _cpython_check(old, path)
        except (SyntaxError, ValueError):
            cst.parse_module(new)
            return
        raise


def _cpython_check(data: bytes, path: str) -> None:
    symtable.symtable(data, path, "exec")  # type: ignore[arg-type]


def unified_diff(old: str, new: str, path: str) -> str:
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
            n=DIFF_CONTEXT,
        )
    )


def atomic_write(path: str, data: bytes) -> None:
    """Replace `path` with `data` so that a reader sees either the old or the new file.

    The new text goes to a temporary file in the same directory, which is renamed over
    `path`: a run that is killed leaves every file whole, old or new. There is no fsync
    per file (it blocked each worker for several milliseconds a file on this project's
    test machines, a third of the time of a large run); like the formatters it runs
    next to, migrate leaves durability across an operating-system crash to the file
    system (ext4 and btrfs flush a file's data before a rename over an existing file)."""
    directory = os.path.dirname(os.path.abspath(path))
    mode = stat.S_IMODE(os.stat(path).st_mode)
    fd, tmp = tempfile.mkstemp(prefix=".migrate-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _finalise_statuses(findings: list[Finding], written: bool) -> tuple[Finding, ...]:
    """A fix that was computed but not written is only 'available'."""
    if written:
        return tuple(findings)
    return tuple(replace(f, status=Status.AVAILABLE) if f.status is Status.APPLIED else f for f in findings)


def process_bytes(data: bytes, path: str, opts: Options) -> tuple[FileResult, bytes]:
    """Process in-memory bytes (stdin or a file already read). Returns the result and output bytes."""
    lines = data.count(b"\n")
    if not data.strip():
        return FileResult(path, FileStatus.SKIPPED, reason="empty", lines=lines), data
    if is_binary(data):
        err = FileError(path, "binary", "binary file (contains NUL bytes); not Python source")
        return FileResult(path, FileStatus.FAILED, errors=(err,), lines=0), data
    try:
        if path.endswith(".ipynb"):
            new, findings = notebook.rewrite_notebook(data, path, lambda b, p: rewrite_source(b, p, opts))
        else:
            new, findings = rewrite_source(data, path, opts)
    except SkipFile as exc:
        return FileResult(path, FileStatus.SKIPPED, reason=str(exc), lines=lines), data
    except DecodeError as exc:
        err = FileError(path, "decode", f"cannot read the text: {exc}")
        return FileResult(path, FileStatus.FAILED, errors=(err,), lines=lines), data
    except notebook.NotebookError as exc:
        err = FileError(path, "notebook", str(exc))
        return FileResult(path, FileStatus.FAILED, errors=(err,), lines=lines), data
    except RewriteError as exc:
        return FileResult(path, FileStatus.FAILED, errors=(exc.error,), lines=lines), data
    if new == data:
        return FileResult(path, FileStatus.UNCHANGED, findings=tuple(findings), lines=lines), data
    diff = unified_diff(_text(data), _text(new), path)
    return FileResult(path, FileStatus.CHANGED, findings=tuple(findings), diff=diff, new_source=new, lines=lines), new


def _text(data: bytes) -> str:
    try:
        return decode(data)
    except DecodeError:
        return data.decode("utf-8", "replace")


def process_file(path: str, opts: Options, display: str | None = None) -> FileResult:
    """Read, process and (with opts.write) atomically rewrite one file. Never raises."""
    shown = display or path
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        err = FileError(shown, "io", f"cannot read: {exc.strerror or exc}")
        return FileResult(shown, FileStatus.FAILED, errors=(err,))
    cache = opts.cache()
    key = cache.key(data, shown) if cache else ""
    hit = cache.get(key) if cache else None
    if hit is not None:
        result, new = hit
    else:
        try:
            result, new = process_bytes(data, shown, opts)
        except Exception as exc:  # last line of defence: the run goes on
            err = FileError(shown, "internal", f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())
            return FileResult(shown, FileStatus.FAILED, errors=(err,))
        if cache is not None and not any(e.kind in ("rule_crash", "internal") for e in result.errors):
            cache.put(key, replace(result, new_source=None), new)
    written = False
    if opts.write and result.status is FileStatus.CHANGED:
        if _read_only(path):
            err = FileError(shown, "io", "file is read-only; not rewritten")
            result = replace(result, errors=result.errors + (err,))
        else:
            try:
                atomic_write(path, new)
                written = True
            except OSError as exc:
                err = FileError(shown, "io", f"cannot write: {exc.strerror or exc}")
                result = replace(result, errors=result.errors + (err,))
    findings = _finalise_statuses(list(result.findings), written)
    if opts.render_json:
        for f in findings:
            f.json()
    return replace(result, findings=findings, written=written, new_source=None)


def _read_only(path: str) -> bool:
    """The file is read-only: we may not write it, or nobody's write bit is set (a file the
    user marked read-only stays untouched even for root, who could write it anyway)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return True
    return not os.access(path, os.W_OK) or not mode & 0o222
