"""Fixtures for the agents' tests: the loopback local model and agents bound to it (real litellm client)."""

from __future__ import annotations

import pytest

from org.agents.localmodel import LocalModelConfig, LocalModelServer


@pytest.fixture
def local_server():
    """A fresh local model server per test; mutate `.config` to make it misbehave."""
    srv = LocalModelServer(LocalModelConfig(seed=1)).start()
    try:
        yield srv
    finally:
        srv.stop()


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
