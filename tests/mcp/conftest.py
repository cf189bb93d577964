"""Fixtures for the MCP server: a real org (SQLite file), the run's real bus socket (org.agents.host.bus_socket,
the one `org run` serves its agents) and principal tokens for builders and reviewers of several model families."""

from __future__ import annotations

import pytest

from tests.mcp.helpers import Org


@pytest.fixture(autouse=True)
def _no_ambient_identity(monkeypatch):
    for v in ("ORG_TOKEN", "ORG_TOKEN_PEPPER", "ORG_DATABASE_URL", "ORG_ROOT", "ORG_BUS_SOCKET"):
        monkeypatch.delenv(v, raising=False)


@pytest.fixture
def org(org_copy):
    return Org(org_copy)


@pytest.fixture
def bus_socket(org):
    """The run's bus socket, as `org run` serves it (handover with ADRs, the diff guard on passing work)."""
    from org.agents.host import bus_socket as serve
    from org.cli._common import load_config

    with serve(load_config(org.root), org.url) as srv:
        srv.sleep = lambda _s: None  # a bad token's throttle, not the test's time
        yield srv
