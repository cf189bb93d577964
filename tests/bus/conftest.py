"""Fixtures for the work bus: a writable org, SQLite and (when reachable) PostgreSQL databases."""

from __future__ import annotations

import os
import uuid

import pytest

from tests.bus.bushelpers import pg_url_or_skip


@pytest.fixture
def root(org_copy):
    return org_copy


@pytest.fixture
def sqlite_url(root):
    return f"sqlite:///{root / '.org' / 'org.db'}"


@pytest.fixture
def pg_url():
    """A fresh schema in the test PostgreSQL (ORG_TEST_PG_URL); dropped afterwards."""
    base = pg_url_or_skip()
    import psycopg

    schema = "org_test_" + uuid.uuid4().hex[:12]
    with psycopg.connect(base, autocommit=True) as c:
        c.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options=-csearch_path%3D{schema}"
    with psycopg.connect(base, autocommit=True) as c:
        c.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, root):
    if request.param == "sqlite":
        return f"sqlite:///{root / '.org' / 'org.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def bus(url, root):
    from org.bus import Bus

    b = Bus.open(url, root=root)
    yield b
    b.close()


@pytest.fixture
def sbus(sqlite_url, root):
    """SQLite only (for tests about SQLite itself or that need no PostgreSQL twin)."""
    from org.bus import Bus

    b = Bus.open(sqlite_url, root=root)
    yield b
    b.close()


@pytest.fixture
def tokens(root):
    """Principal tokens for every agent of the org (the humans' own tokens go to their files), for CLI tests:
    every bus command authenticates (org.identity)."""
    from org.bus import Bus
    from org.identity.bootstrap import agent_tokens, first_use_tokens

    with Bus.open(root=root) as b:
        first_use_tokens(b)
        return agent_tokens(b)


@pytest.fixture(autouse=True)
def _no_ambient_org(monkeypatch):
    monkeypatch.delenv("ORG_DATABASE_URL", raising=False)
    if os.environ.get("ORG_ROOT"):
        monkeypatch.delenv("ORG_ROOT", raising=False)
