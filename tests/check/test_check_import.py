"""The checker must not import TensorFlow or torch until it runs a model."""

import subprocess
import sys

CODE = """
import sys
import migrate.check, migrate.check.cli, migrate.check.runner, migrate.check.adapters
import migrate.check.weights, migrate.check.correspondence, migrate.check.strategies
import migrate.check.compare, migrate.check.convert, migrate.check.result, migrate.check._tf1_worker
heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'torch', 'keras', 'tf_keras'))
assert not heavy, heavy
from migrate.check import check, CheckOptions, CheckResult, InputSpec, OptimizerSpec
print('ok')
"""


def test_import_is_light():
    r = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


def test_checker_does_not_import_engine_or_rules():
    import ast
    from pathlib import Path

    import migrate.check

    root = Path(migrate.check.__file__).parent
    for f in root.glob("*.py"):
        tree = ast.parse(f.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                mod = node.module
                assert not (mod.startswith("migrate.engine") or mod.startswith("rules")), (f, mod)
                assert not (node.level and mod.split(".")[0] in ("engine", "rules")), (f, mod)
            if isinstance(node, ast.Import):
                for a in node.names:
                    assert not a.name.startswith(("migrate.engine", "rules")), (f, a.name)
