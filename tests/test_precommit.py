"""The published pre-commit hooks work with the real pre-commit tool."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("pre-commit") is None, reason="pre-commit not installed")
def test_hook_stops_commit_and_rewrites(tmp_path):
    repo = tmp_path / "user"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "t@example.com")
    _git(repo, "config", "user.name", "t")
    src = repo / "train.py"
    src.write_text("import tensorflow as tf\ntf.logging.info('hi')\n")
    (repo / "clean.py").write_text("print('no tf here')\n")
    _git(repo, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    # try-repo runs the hooks of ROOT's working tree (committed or not) on the staged files
    proc = subprocess.run(
        ["pre-commit", "try-repo", str(ROOT), "migrate-tf1-to-tf2", "--files", "train.py", "clean.py",
         "--verbose"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=900,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out  # the commit would be stopped: files were modified
    assert "files were modified by this hook" in out
    assert "from absl import logging" in src.read_text()
    assert (repo / "clean.py").read_text() == "print('no tf here')\n"
    # second run: nothing left to do
    proc = subprocess.run(
        ["pre-commit", "try-repo", str(ROOT), "migrate-tf1-to-tf2", "--files", "train.py", "clean.py"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
