import pytest


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Tests never read or write the user's ~/.cache/migrate."""
    monkeypatch.setenv("MIGRATE_CACHE_DIR", str(tmp_path_factory.mktemp("migrate-cache")))
