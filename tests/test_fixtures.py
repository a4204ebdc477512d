"""Whole-file fixtures: tests/fixtures/<pack>/<case>/input.py -> expected.py, whole pack.

An optional first line `# flags: --unsafe-fixes` in input.py turns on unsafe fixes.
A case without expected.py must stay unchanged. Every case also checks that the output
re-parses and that a second run over it changes nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate.engine.process import Options, process_bytes
from migrate.result import FileStatus

FIXTURES = Path(__file__).parent / "fixtures"
PACK_DIRS = {"tf1_to_tf2": "tf1-to-tf2", "tf2_to_torch": "tf2-to-torch"}


def _cases():  # type: ignore[no-untyped-def]
    for d, pack in PACK_DIRS.items():
        for case in sorted((FIXTURES / d).glob("*/input.py")):
            yield pytest.param(pack, case.parent, id=f"{d}/{case.parent.name}")


@pytest.mark.parametrize(("pack", "case"), list(_cases()))
def test_fixture(pack: str, case: Path) -> None:
    src = (case / "input.py").read_bytes()
    unsafe = src.splitlines()[0].startswith(b"# flags:") and b"--unsafe-fixes" in src.splitlines()[0]
    opts = Options(pack=pack, unsafe_fixes=unsafe, verify_idempotence=True)
    result, out = process_bytes(src, "input.py", opts)
    assert not result.errors, result.errors
    expected_path = case / "expected.py"
    expected = expected_path.read_bytes() if expected_path.exists() else src
    if out != expected and __import__("os").environ.get("MIGRATE_UPDATE_FIXTURES"):
        expected_path.write_bytes(out)
        expected = out
    assert out.decode() == expected.decode()
    if expected_path.exists():
        assert result.status is FileStatus.CHANGED
    again, out2 = process_bytes(out, "expected.py", opts)
    assert out2 == out, "second run changed the output"
