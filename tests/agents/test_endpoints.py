"""Where calls go: real providers when their keys are set, the local model otherwise; nothing else changes."""

from __future__ import annotations

import pytest

from org.agents.endpoints import needs_local, plan_endpoints
from org.agents.session import load_prices
from org.errors import UsageError

LOCAL = "http://127.0.0.1:9/v1"


def test_no_keys_everything_local(cfg):
    eps = plan_endpoints(cfg, LOCAL, env={})
    agents = [a for a in cfg.actors.values() if not a.is_human]
    assert set(eps) == {a.id for a in agents}
    for a in agents:
        ep = eps[a.id]
        assert (ep.called, ep.api_base, ep.served_by, ep.budget_key) == (
            f"openai/{a.model}",
            LOCAL,
            "local",
            "local",
        )
        assert ep.model == a.model and ep.family == a.family  # priced and checked as the member's model
    assert needs_local(cfg, env={})


def test_keys_switch_their_providers_to_the_real_thing(cfg):
    env = {"ANTHROPIC_API_KEY": "sk-ant-test", "OPENAI_API_KEY": "sk-test"}
    eps = plan_endpoints(cfg, LOCAL, env=env)
    for actor, ep in eps.items():
        model = cfg.actors[actor].model
        if model.startswith(("anthropic/", "openai/")):
            assert (ep.called, ep.api_base, ep.api_key, ep.served_by) == (
                model,
                None,
                None,
                model.split("/")[0],
            )
            assert ep.budget_key == ep.served_by
        else:
            assert ep.served_by == "local"
    assert "sk-test" not in str([ep.to_json() for ep in eps.values()])
    all_keys = {**env, "GEMINI_API_KEY": "g-test"}
    assert not needs_local(cfg, env=all_keys)
    assert all(ep.served_by != "local" for ep in plan_endpoints(cfg, None, env=all_keys).values())


def test_org_models_forces_a_mode(cfg):
    env = {"ANTHROPIC_API_KEY": "k", "OPENAI_API_KEY": "k", "GEMINI_API_KEY": "k", "ORG_MODELS": "local"}
    assert all(ep.served_by == "local" for ep in plan_endpoints(cfg, LOCAL, env=env).values())
    eps = plan_endpoints(cfg, None, env={"ORG_MODELS": "real"})
    assert all(ep.api_base is None for ep in eps.values())
    with pytest.raises(UsageError):
        plan_endpoints(cfg, LOCAL, env={"ORG_MODELS": "sometimes"})
    with pytest.raises(UsageError):
        plan_endpoints(cfg, None, env={})  # the local model is needed but not running


def test_prices_for_unmapped_models_come_from_models_yaml(tmp_path):
    from org.agents.llm import price

    assert load_prices(tmp_path) == []
    (tmp_path / "models.yaml").write_text(
        "hosted_vllm/acme-coder-9b: {input_cost_per_token: 1.0e-6, output_cost_per_token: 3.0e-6}\n"
    )
    assert load_prices(tmp_path) == ["hosted_vllm/acme-coder-9b"]
    assert price("hosted_vllm/acme-coder-9b", 1000, 1000) == pytest.approx(0.004)
    (tmp_path / "models.yaml").write_text("hosted_vllm/x: {input_cost_per_token: cheap}\n")
    with pytest.raises(UsageError) as ei:
        load_prices(tmp_path)
    assert "models.yaml" in str(ei.value.message)
