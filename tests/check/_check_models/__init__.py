"""Model factories used by the checker's tests (TF1 graphs are loaded by path in a subprocess)."""

from pathlib import Path

MODELS = Path(__file__).parent
TF1_GRAPHS = MODELS / "tf1_graphs.py"
TWINS = MODELS / "twins.py"


def tf1(name: str) -> str:
    """Factory spec of a TF1 graph in tf1_graphs.py."""
    return f"{TF1_GRAPHS}:{name}"


def twin(name: str) -> str:
    """Factory spec of a torch twin in twins.py."""
    return f"{TWINS}:{name}"
