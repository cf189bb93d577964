"""Fixtures of the config tests (helpers live in config_tools.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def org(org_copy: Path) -> Path:
    """A writable copy of the default org, to break on purpose."""
    return org_copy
