"""The litellm door against the loopback server through the real litellm client: usage, cost, outcomes."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest

from org.agents.llm import classify_error, complete, parse_reset, price, register_prices

MSG = [{"role": "user", "content": "Answer with one JSON object of type ReviewVerdict."}]


def test_success_reports_usage_cost_and_latency(local_server):
    t0 = time.monotonic()
    r = complete(
        "anthropic/claude-sonnet-4-5",
        MSG,
        called="openai/anthropic/claude-sonnet-4-5",
        api_base=local_server.url,
        api_key="x",
        provider="local",
        served_by="local",
    )
    assert r.ok and r.status == 200 and r.content
    assert r.prompt_tokens > 0 and r.completion_tokens > 0
    # priced as the member's model from litellm's cost map: $3 / $15 per million tokens
    assert r.cost_usd == pytest.approx(r.prompt_tokens * 3e-6 + r.completion_tokens * 15e-6)
    assert 0 < r.latency_s <= time.monotonic() - t0  # the call's own time, however slow the machine
    assert local_server.stats()["counts"]["ok"] == 1


def test_unknown_model_cost_is_unknown_until_registered(local_server):
    model = "hosted_vllm/acme-coder-7b"
    r = complete(model, MSG, called=f"openai/{model}", api_base=local_server.url, api_key="x")
    assert r.ok and r.cost_usd is None  # reported as unknown, never guessed
    register_prices({model: {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6}})
    assert price(model, 1000, 500) == pytest.approx(0.002)


def test_temporary_429_is_classified_with_its_reset(local_server):
    local_server.config.rpm = 60  # one per second, bucket of one
    ok = complete("openai/gpt-5", MSG, called="openai/gpt-5", api_base=local_server.url, api_key="x")
    r = complete("openai/gpt-5", MSG, called="openai/gpt-5", api_base=local_server.url, api_key="x")
    assert ok.ok
    assert r.outcome == "rate_limited" and r.status == 429
    assert 0 < r.retry_after_s <= 1.5


def test_quota_exhaustion_is_not_a_temporary_429(local_server):
    local_server.config.quota_requests = 0
    local_server.config.quota_reset_s = 7200
    r = complete("openai/gpt-5", MSG, called="openai/gpt-5", api_base=local_server.url, api_key="x")
    assert r.outcome == "quota_exhausted" and r.status == 429
    assert r.retry_after_s == pytest.approx(7200)


def test_down_and_unreachable_are_unavailable(local_server):
    local_server.config.down = True
    r = complete("openai/gpt-5", MSG, called="openai/gpt-5", api_base=local_server.url, api_key="x")
    assert r.outcome == "unavailable" and r.status == 503
    url = local_server.url
    local_server.stop()
    r = complete("openai/gpt-5", MSG, called="openai/gpt-5", api_base=url, api_key="x", timeout_s=5)
    assert r.outcome == "unavailable"


def test_parse_reset_reads_every_provider_style():
    assert parse_reset({"retry-after": "7"}) == 7
    assert parse_reset({"retry-after-ms": "250"}) == 0.25
    assert parse_reset({"x-ratelimit-reset-requests": "1m30s"}) == 90
    assert parse_reset({"x-ratelimit-reset-tokens": "6m0s", "x-ratelimit-reset-requests": "120ms"}) == 360
    assert parse_reset(
        {"anthropic-ratelimit-requests-reset": "2026-01-01T00:00:10Z"}, now=1767225600.0
    ) == pytest.approx(10)
    assert parse_reset({"content-type": "application/json"}) is None


def test_classification_of_provider_bodies():
    class Fake(Exception):
        def __init__(self, status, body, headers=None, msg="x"):
            super().__init__(msg)
            self.status_code, self.body, self.litellm_response_headers, self.message = (
                status,
                body,
                headers,
                msg,
            )

    assert classify_error(Fake(429, {"code": "rate_limit_exceeded"}, {"retry-after": "2"}))[:3] == (
        "rate_limited",
        429,
        2,
    )
    assert classify_error(Fake(429, {"error": {"code": "insufficient_quota"}}))[0] == "quota_exhausted"
    assert (
        classify_error(Fake(429, None, None, "Quota exceeded for GenerateRequestsPerDay"))[0]
        == "quota_exhausted"
    )
    assert classify_error(Fake(429, None, {"retry-after": "3600"}))[0] == "quota_exhausted"
    assert classify_error(Fake(401, None))[0] == "auth"
    assert classify_error(Fake(502, None))[0] == "unavailable"
    assert classify_error(Fake(400, None))[0] == "error"


def test_importing_agents_modules_does_not_import_litellm():
    code = (
        "import sys, org.agents, org.agents.outputs, org.agents.prompts, org.agents.localmodel, "
        "org.agents.endpoints; print('litellm' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_only_llm_imports_litellm():
    from tests.helpers import REPO

    pat = re.compile(r"^\s*(import litellm|from litellm[ .])", re.M)
    offenders = [
        str(p.relative_to(REPO))
        for p in (REPO / "org").rglob("*.py")
        if p.name != "llm.py" and pat.search(p.read_text())
    ]
    assert offenders == []
