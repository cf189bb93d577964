"""Fixtures for identity: a writable org, its own config home (pepper, human token files), a bus, tokens."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_ambient_identity(monkeypatch):
    """No token, pepper, database or root from the environment (ORG_CONFIG_HOME is per test: tests/conftest.py)."""
    for v in ("ORG_TOKEN", "ORG_TOKEN_PEPPER", "ORG_DATABASE_URL", "ORG_ROOT"):
        monkeypatch.delenv(v, raising=False)


@pytest.fixture
def root(org_copy):
    return org_copy


@pytest.fixture
def clock():
    """A settable clock for the bus (seconds); tests move it to expire leases and tokens."""

    class Clock:
        def __init__(self) -> None:
            self.now = 1_900_000_000.0

        def __call__(self) -> float:
            return self.now

    return Clock()


@pytest.fixture
def bus(root, clock):
    from org.bus import Bus

    b = Bus.open(root=root, clock=clock)
    yield b
    b.close()


@pytest.fixture
def guard(bus):
    from org.identity.guard import Guard

    return Guard(bus)


@pytest.fixture
def issue(guard):
    """issue(actor, ttl=None) -> a fresh principal token for actor."""

    def make(actor: str, ttl: float | None = None) -> str:
        return guard.tokens.issue(actor, by="test", ttl=ttl)["token"]

    return make
