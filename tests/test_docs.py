from migrate import docs


def test_rule_docs_are_fresh():
    assert docs.DOC_PATH.exists(), "run `python -m migrate.docs --write`"
    assert docs.DOC_PATH.read_text(encoding="utf-8") == docs.render(), "docs/rules.md is stale: run `python -m migrate.docs --write`"
