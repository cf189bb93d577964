"""Fixtures for the ADR tests: an org root with its own ADRs 4-7 (the default org cites them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.adrs.adr_helpers import foundation_adrs


@pytest.fixture
def org_root(tmp_path: Path) -> Path:
    """The default org's lanes/ and gates/ with the stand-in foundation ADRs only."""
    from tests.helpers import starter_org

    root = starter_org(tmp_path / "org", ("lanes", "gates"))
    foundation_adrs(root)
    return root


@pytest.fixture
def org_cfg(org_root: Path):
    from org.config.loader import load_org

    return load_org(org_root)
