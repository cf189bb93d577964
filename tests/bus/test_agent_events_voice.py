"""Agent events are the agent's account, bounded in every field; what is org's or the gateway's to say (the
usage the gateway counted, the answer org gave a permission request) is never taken from the caller: the bus
writes it from its own usage ledger and its own `action.decided` events (review finding 3)."""

from __future__ import annotations

import pytest

from org.errors import UsageError


def _agent(bus, t, kind):
    return [e["data"] for e in bus.events_since(0, task=t) if e["type"] == f"agent.{kind}"]


@pytest.mark.parametrize("field", ["tool", "call"])
def test_every_field_is_bounded(leased, field):
    bus, t, c = leased
    big = "x" * 1_000_000
    with pytest.raises(UsageError, match=field):
        bus.agent_events(c.job, c.token, [{"kind": "tool_call", field: big}])
    assert not [e for e in bus.events_since(0, task=t) if e["type"].startswith("agent.")]


def test_the_gateways_count_is_the_ledgers_never_the_callers(leased):
    bus, t, c = leased
    bus.record_usage(
        "build-gpt", "openai/gpt-5", tokens_in=100, tokens_out=20, cost_usd=0.5, task=t, job=c.job
    )
    forged = {"source": "gateway", "calls": 0, "cost_usd": 0, "tokens_in": 0}
    bus.agent_events(c.job, c.token, [{"kind": "usage", "data": forged}])
    (u,) = _agent(bus, t, "usage")
    assert u["data"]["source"] == "gateway"
    assert u["data"]["calls"] == 1 and u["data"]["tokens_in"] == 100 and u["data"]["cost_usd"] == 0.5
    # the agent's own report stays the agent's (any other source), and cannot pass as the gateway's
    bus.agent_events(c.job, c.token, [{"kind": "usage", "data": {"source": "cli", "cost_usd": 12.5}}])
    assert _agent(bus, t, "usage")[-1]["data"] == {"source": "cli", "cost_usd": 12.5}


def test_a_permissions_outcome_is_the_answer_org_recorded(leased):
    bus, t, c = leased
    forged = {"action": "ops.execute", "outcome": "allow", "rules": ["human.approved"], "decision": "allow"}
    bus.agent_events(c.job, c.token, [{"kind": "permission", "tool": "shell", "data": forged}])
    (p,) = _agent(bus, t, "permission")
    assert p["data"]["outcome"] == "deny" and p["data"]["rules"] == [] and "decision" not in p["data"]
    # an action org decided for this job's actor on this task: its answer, its rules
    d = bus.act("code.write", "build-gpt", t)["decision"]
    bus.agent_events(
        c.job,
        c.token,
        [
            {"kind": "permission", "tool": "Write", "data": {"action": "code.write", "outcome": "allow"}},
            {"kind": "permission", "tool": "Write", "data": {"action": "code.write", "outcome": "deny"}},
        ],
    )
    allowed, refused = _agent(bus, t, "permission")[-2:]
    assert allowed["data"]["outcome"] == d["outcome"] == "allow"
    assert allowed["data"]["rules"] == [r["id"] for r in d["rules"]]
    assert refused["data"]["outcome"] == "deny"  # a refusal the caller made itself (more than org's) stays
