"""Rule packs: a package under ``rules/`` whose modules each hold one rule."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from migrate.result import RuleInfo
from migrate.rule import Rule

# Built-in packs, by CLI name.
BUILTIN_PACKS = {
    "tf1-to-tf2": "rules.tf1_to_tf2",
    "tf2-to-torch": "rules.tf2_to_torch",
}

DOCS_URI = "https://github.com/migrate-tool/migrate/blob/main/docs/rules.md"


def _identity(name: str) -> str | None:
    return name


@dataclass(frozen=True)
class Pack:
    name: str  # "tf1-to-tf2"
    package: str  # "rules.tf1_to_tf2"
    prefix: str  # rule ID prefix, "TF2"
    source: str
    target: str
    # Files whose bytes contain none of these are skipped before parsing.
    triggers: tuple[bytes, ...] = (b"tensorflow",)
    # Maps a qualified name (after alias resolution) to the pack's canonical form,
    # e.g. folds ``tensorflow.compat.v1.X`` into ``tensorflow.X`` for TF1 code.
    canonicalize: Callable[[str], str | None] = _identity
    version: str = "1"
    rules: tuple[type[Rule], ...] = field(default=(), compare=False)
    # With --unsafe-fixes: source text -> an equivalent text the pack's structural rules
    # convert, or None (see migrate.engine.process.rewrite_source); the result has `.text`,
    # `.line(prepared_line) -> original line`, `.accept(findings) -> bool` (keep the prepared
    # pass) and `.merge(pass_result, prepared_findings)` (the pass over the file as it is,
    # given the refused prepared pass's reasons)
    prepare: Callable[[str], Any] | None = field(default=None, compare=False)

    def rule_infos(self) -> tuple[RuleInfo, ...]:
        return tuple(rule_info(r, self.name) for r in self.rules)


def rule_info(rule: type[Rule], pack: str) -> RuleInfo:
    return RuleInfo(
        id=rule.ID,
        name=rule.NAME,
        pack=pack,
        short_description=rule.short_description(),
        help_uri=f"{DOCS_URI}#{rule.ID.lower()}",
        default_severity=rule.CATEGORY.value,
        effort=rule.EFFORT,
        fix_safety=rule.SAFETY.value,
    )


def discover_rules(package: str) -> tuple[type[Rule], ...]:
    """Every Rule subclass defined in the modules of `package`, sorted by ID."""
    pkg = importlib.import_module(package)
    found: dict[str, type[Rule]] = {}
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("_") or info.name == "tables" or info.ispkg:
            continue
        mod = importlib.import_module(f"{package}.{info.name}")
        for obj in vars(mod).values():
            if (
                inspect.isclass(obj)
                and issubclass(obj, Rule)
                and obj is not Rule
                and obj.__module__ == mod.__name__
                and obj.ID
            ):
                if obj.ID in found:
                    raise ValueError(f"duplicate rule ID {obj.ID} in {package}")
                found[obj.ID] = obj
    return tuple(found[k] for k in sorted(found))


@lru_cache(maxsize=None)
def load_pack(name: str) -> Pack:
    """A pack by CLI name (``tf1-to-tf2``) or by package path (``mypkg.rules``)."""
    package = BUILTIN_PACKS.get(name, name)
    mod = importlib.import_module(package)
    base: Pack = getattr(mod, "PACK")
    rules = discover_rules(package)
    return Pack(
        name=base.name,
        package=base.package,
        prefix=base.prefix,
        source=base.source,
        target=base.target,
        triggers=base.triggers,
        canonicalize=base.canonicalize,
        version=base.version,
        rules=rules,
        prepare=base.prepare,
    )


def select_rules(
    rules: tuple[type[Rule], ...], select: tuple[str, ...] = (), ignore: tuple[str, ...] = ()
) -> tuple[type[Rule], ...]:
    """Filter rules by ID prefix: ``--select TF2`` / ``--ignore TF2001``."""
    out = []
    for r in rules:
        if select and not any(r.ID.startswith(s) for s in select):
            continue
        if any(r.ID.startswith(i) for i in ignore):
            continue
        out.append(r)
    return tuple(out)
