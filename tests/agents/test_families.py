"""Model families from litellm's provider resolution plus the router/cloud table; YAML override wins."""

from __future__ import annotations

import pytest

from org.agents.families import check_actor, identify
from org.config import families as table


def test_agrees_with_config_for_the_default_org(cfg):
    agents = [a for a in cfg.actors.values() if not a.is_human]
    assert len({a.family for a in agents}) >= 3
    for a in agents:
        ident = identify(a.model)
        assert ident.family == a.family, a.id
        assert ident.vendor == table.vendor_of(a.model)
        assert ident.resolved_by == "litellm"  # litellm placed every default model


@pytest.mark.parametrize(
    ("model", "provider", "family"),
    [
        ("gpt-5", "openai", "openai"),
        ("claude-sonnet-4-5", "anthropic", "anthropic"),
        ("gemini/gemini-2.5-pro", "gemini", "google"),
        ("openrouter/anthropic/claude-3.5-sonnet", "openrouter", "anthropic"),
        ("bedrock/anthropic.claude-3-sonnet-20240229-v1:0", "bedrock", "anthropic"),
        ("bedrock/meta.llama3-70b-instruct-v1:0", "bedrock", "meta"),
        ("azure/gpt-4o", "azure", "openai"),
        ("vertex_ai/gemini-1.5-pro", "vertex_ai", "google"),
        ("vertex_ai/claude-3-5-sonnet@20240620", "vertex_ai", "anthropic"),
        ("together_ai/mistralai/Mixtral-8x7B-Instruct-v0.1", "together_ai", "mistral"),
        ("ollama/llama3", "ollama", "meta"),
    ],
)
def test_routers_and_clouds(model, provider, family):
    ident = identify(model)
    assert (ident.provider, ident.family) == (provider, family)


def test_yaml_override_for_self_hosted():
    assert identify("hosted_vllm/acme-coder-7b").family == "unknown"
    ident = identify("hosted_vllm/acme-coder-7b", "acme")
    assert (ident.family, ident.resolved_by) == ("acme", "override")


def test_an_actor_called_under_another_family_fails_closed():
    assert check_actor("rev-gpt", "openai", "openai/gpt-5-mini") is None
    why = check_actor("rev-gpt", "openai", "anthropic/claude-haiku-4-5")
    assert why and "anthropic" in why and "rev-gpt" in why
