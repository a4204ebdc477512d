"""Shared helpers for the checker's tests.

TF-heavy tests are grouped: Keras and torch run in this process (one TensorFlow import),
every TF1 graph runs in the checker's one shared worker subprocess.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

HERE = Path(__file__).parent
if str(HERE) not in sys.path:  # for the _check_models package
    sys.path.insert(0, str(HERE))


@pytest.fixture(scope="session")
def keras_torch():
    """Keras 3 and torch, imported together in this process."""
    pytest.importorskip("tensorflow")
    keras = pytest.importorskip("keras")
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    return keras, torch
