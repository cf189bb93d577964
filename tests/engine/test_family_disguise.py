"""Issue 19 class 5, same-family review in disguise: the family comes from the model string; an override only
for models org cannot place; a cross-vendor gate may refuse declared families; a review gate without
cross_vendor is a validate warning unless the tier is the light path."""

from __future__ import annotations

import pytest

from org.config.families import family_of
from org.engine.proofs import advice
from org.errors import ConfigError
from tests.engine.engine_tools import org_with, run_task

REV = "lanes/reviewer.yaml"


@pytest.mark.parametrize(
    "member",
    [
        "{id: rev-claude, model: anthropic/claude-haiku-4-5, family: mistral}",  # the example
        "{id: rev-claude, model: claude-haiku-4-5, family: google}",  # bare name
        "{id: rev-claude, model: bedrock/anthropic.claude-3-haiku, family: meta}",  # behind a router
        "{id: rev-claude, model: anthropic/claude-haiku-4-5, family: human}",  # a reserved family
        "{id: rev-claude, model: openai/claude-sonnet-4-5, family: mistral}",  # behind a proxy: neither of its two
        "{id: rev-claude, model: gemini/claude-3-opus, family: meta}",
    ],
)
def test_a_family_override_for_a_model_org_places_is_refused(tmp_path, member):
    with pytest.raises(ConfigError) as e:
        org_with(tmp_path, {REV: [("{id: rev-claude, model: anthropic/claude-haiku-4-5}", member)]})
    hits = [p for p in e.value.problems if p.file == REV and "family" in p.path]
    assert hits and hits[0].line > 0, [str(p) for p in e.value.problems]


@pytest.mark.parametrize("model", ["openai/claude-sonnet-4-5", "gemini/claude-3-opus", "mistral/gpt-5"])
def test_a_provider_prefix_that_contradicts_the_model_name_is_not_placed(model):
    # an OpenAI-compatible proxy in front of Claude is still Claude: org cannot tell, so it does not guess
    assert family_of(model) == "unknown"


@pytest.mark.parametrize("family", ["openai", "anthropic"])
def test_a_model_behind_a_proxy_may_declare_only_one_of_the_two_families_its_string_names(tmp_path, family):
    org_with(
        tmp_path,
        {
            REV: [
                (
                    "{id: rev-claude, model: anthropic/claude-haiku-4-5}",
                    f"{{id: rev-claude, model: openai/claude-sonnet-4-5, family: {family}}}",
                )
            ]
        },
    )


def test_the_litellm_provider_agrees_with_the_family_of_every_model_in_the_default_org(cfg):
    import os

    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    from litellm import get_llm_provider

    provider_family = {"anthropic": "anthropic", "openai": "openai", "gemini": "google", "mistral": "mistral"}
    for a in cfg.actors.values():
        if a.model:
            _model, provider, _key, _base = get_llm_provider(a.model)
            assert provider_family[provider] == a.family == family_of(a.model), a


def test_a_gate_that_requires_placed_families_does_not_count_a_declared_one(tmp_path):
    lanes = [
        (
            "  - {id: rev-claude, model: anthropic/claude-haiku-4-5}\n",
            "  - {id: rev-claude, model: anthropic/claude-haiku-4-5}\n"
            "  - {id: rev-house, model: hosted_vllm/house-7b, family: acme}\n",
        ),
        ("  - {id: rev-gpt, model: openai/gpt-5-mini}\n", ""),
        ("  - {id: rev-gemini, model: gemini/gemini-2.5-pro}\n", ""),
    ]
    trusting = org_with(tmp_path / "a", {REV: lanes})
    assert trusting.actors["rev-house"].family == "acme" and trusting.actors["rev-house"].family_declared
    _, state = run_task(
        trusting, "change", {"kind": "docs"}
    )  # build-claude authors; rev-house (acme) reviews
    assert state.status == "done", state.escalation
    strict = org_with(
        tmp_path / "b",
        {
            REV: lanes,
            "gates/change.yaml": [
                (
                    "    cross_vendor: true\n    on_fail: implement\n    adrs: [4]\n",
                    "    cross_vendor: true\n    placed_families: true\n    on_fail: implement\n    adrs: [4]\n",
                )
            ],
        },
    )
    _, state = run_task(strict, "change", {"kind": "docs"})
    assert state.status == "escalated" and "correctness" in state.escalation, state.escalation


def test_a_review_gate_without_cross_vendor_is_a_warning_unless_on_the_light_path(tmp_path):
    cfg = org_with(
        tmp_path,
        {
            "gates/change.yaml": [
                (
                    "    tiers: [high]\n    description: Does it fit the architecture and the accepted ADRs?",
                    "    tiers: [high]\n    description: Does it fit the architecture and the accepted ADRs?",
                )
            ]
        },
    )
    assert advice(cfg) == []
    cfg = org_with(
        tmp_path,
        {
            "gates/change.yaml": [
                (
                    "  design:\n    kind: review\n    lane: reviewer\n    after: [correctness, security]\n    cross_vendor: true\n",
                    "  design:\n    kind: review\n    lane: reviewer\n    after: [correctness, security]\n",
                )
            ]
        },
    )
    warns = advice(cfg)
    assert [w.path for w in warns] == ["gates.design.cross_vendor"] and warns[0].line > 0
