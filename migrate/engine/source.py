"""Reading user files without losing a byte: encodings, binaries, Python 2 detection."""

from __future__ import annotations

import codecs
import io
import re
import tokenize

_PY2_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^\s*print\s+(?![\s(=.,)\]}]|$)[^\n]", re.M), "print statement"),
    (re.compile(r"^\s*print\s*$", re.M), "print statement"),
    (re.compile(r"^\s*except\s+[\w.]+\s*,\s*\w+\s*:", re.M), "'except X, e:' clause"),
    (re.compile(r"^\s*exec\s+['\"]", re.M), "exec statement"),
    (re.compile(r"^\s*raise\s+[\w.]+\s*,", re.M), "'raise E, msg' statement"),
    (re.compile(r"`[^`\n]+`"), "backtick repr"),
    (re.compile(r"<>"), "'<>' operator"),
    (re.compile(r"(?<![\w.])0[0-7]+\b"), "old octal literal"),
    (re.compile(r"\b\d+[lL]\b"), "long integer literal"),
    (re.compile(r"\bur['\"]"), "ur'' string prefix"),
)


class DecodeError(Exception):
    pass


def is_binary(data: bytes) -> bool:
    """Bytes that no Python source would contain."""
    return b"\x00" in data[:8192]


def encoding_of(data: bytes) -> str:
    """The encoding Python would use for these bytes (BOM and PEP 263 cookie honoured)."""
    try:
        enc, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise DecodeError(str(exc)) from exc
    return enc


def decode(data: bytes) -> str:
    enc = encoding_of(data)
    try:
        codecs.lookup(enc)
        text = data.decode(enc)
    except (LookupError, UnicodeDecodeError) as exc:
        raise DecodeError(f"cannot decode as {enc}: {exc}") from exc
    return text[1:] if text.startswith("\ufeff") else text


def python2_reason(text: str, line: int | None = None) -> str | None:
    """A short reason when the text looks like Python 2 (checked around `line` first)."""
    lines = text.splitlines()
    if line is not None and 0 < line <= len(lines):
        window = "\n".join(lines[max(0, line - 2) : line + 1])
        for pat, why in _PY2_PATTERNS:
            if pat.search(window):
                return why
    for pat, why in _PY2_PATTERNS[:5]:
        if pat.search(text):
            return why
    return None
