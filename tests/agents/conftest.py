"""Fixtures for the agents' tests: the loopback local model and agents bound to it (real litellm client)."""

from __future__ import annotations

import pytest

from org.agents.localmodel import LocalModelConfig, LocalModelServer
from tests.workspaces.conftest import source, ws_org  # noqa: F401  (an org whose repos.yaml names a real git repository)


@pytest.fixture
def local_server():
    """A fresh local model server per test; mutate `.config` to make it misbehave."""
    srv = LocalModelServer(LocalModelConfig(seed=1)).start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def org_env(org_copy, tmp_path, local_server):
    """(config, database URL, environment for the local model, an open Bus) on a copy of the default org."""
    from org.bus import Bus
    from org.config.loader import load_org

    cfg = load_org(org_copy)
    url = f"sqlite:///{tmp_path / 'bus.db'}"
    env = {"ORG_LOCAL_MODEL_URL": local_server.url, "ORG_MODELS": "local"}
    bus = Bus.open(url, root=org_copy, config=cfg)
    yield cfg, url, env, bus
    bus.close()


@pytest.fixture
def endpoints(cfg, local_server):
    from org.agents.endpoints import plan_endpoints

    return plan_endpoints(cfg, local_server.url, env={}, mode="local")


@pytest.fixture
def make_agent(cfg, endpoints):
    from org.agents.agent import LaneAgent

    def make(actor: str, pacer=None):
        a = cfg.actors[actor]
        return LaneAgent(actor, cfg.lanes[a.lane], endpoints[actor], pacer)

    return make


_PG: dict = {}


@pytest.fixture
def pg_url():
    """A fresh schema in the test PostgreSQL (ORG_TEST_PG_URL), dropped afterwards; skipped with the reason
    when no server answers, except under CI, where that fails."""
    import os
    import uuid

    url = os.environ.get("ORG_TEST_PG_URL")
    if "why" not in _PG:
        why = None if url else "ORG_TEST_PG_URL is not set (e.g. postgresql://postgres@127.0.0.1:5432/test)"
        if url:
            try:
                import psycopg

                with psycopg.connect(url, connect_timeout=3) as c:
                    c.execute("SELECT 1")
            except Exception as exc:  # any failure means: no server to test against
                why = f"PostgreSQL at {url} is not reachable ({type(exc).__name__})"
        _PG["why"] = why
    if _PG["why"]:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs PostgreSQL: {_PG['why']}")
        pytest.skip(f"PostgreSQL test skipped: {_PG['why']}")
    import psycopg

    schema = "org_agents_" + uuid.uuid4().hex[:12]
    with psycopg.connect(url, autocommit=True) as c:
        c.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in url else "?"
    yield f"{url}{sep}options=-csearch_path%3D{schema}"
    with psycopg.connect(url, autocommit=True) as c:
        c.execute(f'DROP SCHEMA "{schema}" CASCADE')
