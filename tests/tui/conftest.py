"""Fixtures for the TUI: a real SQLite bus in tmp_path with a deterministic story, and an app factory."""

from __future__ import annotations

import pytest

from tests.tui.tuihelpers import Clock, story


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def db_url(org_copy):
    return f"sqlite:///{org_copy / '.org' / 'org.db'}"


@pytest.fixture
def bus(org_copy, db_url, clock):
    from org.bus import Bus

    b = Bus.open(db_url, root=org_copy, clock=clock)
    yield b
    b.close()


@pytest.fixture
def keys(bus, clock):
    return story(bus, clock)


@pytest.fixture
def make_app(request, org_copy, clock):
    """make_app(as_='alice') -> OrgApp over the door to the test's real bus, and its clock; use_bus=False: only
    a URL."""
    from org.config.loader import load_org
    from org.identity.guard import Guard
    from org.tui.app import OrgApp
    from org.tui.principal import resolve_principal

    def make(
        as_: str | None = None,
        *,
        use_bus=True,
        db_url: str | None = None,
        poll: float = 0.2,
        token: str | None = None,
    ):
        principal = resolve_principal(load_org(org_copy), as_, token)
        door = Guard(request.getfixturevalue("bus")) if use_bus else None
        return OrgApp(
            principal=principal, root=org_copy, door=door, db_url=db_url, clock=clock, poll_seconds=poll
        )

    return make
