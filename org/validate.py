"""Everything `org validate` proves: config loads, cross-references hold, graph proofs, ADRs.

It sits above org.config, org.engine and org.adrs (it calls all three), so the config layer never imports
the engine (the import-linter contracts in pyproject.toml).
"""

from __future__ import annotations

import importlib
from pathlib import Path

from org.errors import ConfigError, Problem

__all__ = ["validate_root", "EXTRA_VALIDATORS"]

# Other packages add validators here as "module:function" taking (root, cfg) -> list[Problem].
EXTRA_VALIDATORS: tuple[str, ...] = ("org.adrs.check:validate_adrs",)


def validate_root(root: Path):
    """Returns (cfg, problems). cfg is None when the config did not load."""
    from org.config.loader import load_org
    from org.engine.proofs import prove

    try:
        cfg = load_org(root)
    except ConfigError as exc:
        return None, list(exc.problems)
    problems: list[Problem] = list(prove(cfg))
    for spec in EXTRA_VALIDATORS:
        mod, _, fn = spec.partition(":")
        try:
            m = importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name and mod.startswith(exc.name):
                continue
            raise
        problems += getattr(m, fn)(root, cfg)
    return cfg, sorted(set(problems))
