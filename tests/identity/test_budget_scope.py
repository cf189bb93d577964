"""A job token paces its own calls on the shared rate budgets, nothing more (review finding 5): it reserves,
and settles only against what its own job reserved (a refund beyond that is refused); taking more (an overrun,
a provider's block as debt) is always allowed. Setting a budget's capacity or refill is the org's own account:
a principal's token, or the gateway shaping buckets from its own configuration (Guard.shape_budget)."""

from __future__ import annotations

import pytest

from org.errors import Denied
from tests.identity.test_tool_ledger import held  # noqa: F401


def _level(guard, alice, provider="openai"):
    return next(b for b in guard.budgets(alice) if b["provider"] == provider)


def test_a_job_token_does_not_reshape_a_shared_budget(held, issue):  # noqa: F811
    guard, _task, _job, jt, alice = held
    guard.budget(issue("alice"), "openai", capacity=10, refill_per_s=0.01)
    with pytest.raises(Denied):
        guard.budget(jt, "openai", capacity=1e12, refill_per_s=1e12)
    b = _level(guard, alice)
    assert b["capacity"] == 10 and b["refill_per_s"] == 0.01


def test_a_job_token_refunds_only_what_its_job_reserved(held, issue):  # noqa: F811
    guard, _task, _job, jt, alice = held
    guard.budget(issue("alice"), "openai", capacity=10, refill_per_s=0.0001)
    for _ in range(10):
        assert guard.reserve(jt, "openai", 1.0).ok
    empty = _level(guard, alice)["tokens"]
    with pytest.raises(Denied):  # a reservation it never made
        guard.settle(jt, ("openai", 1e9), used=0)
    assert _level(guard, alice)["tokens"] == pytest.approx(empty, abs=0.01)
    guard.settle(jt, ("openai", 1.0), used=0.5)  # its own: half given back
    assert _level(guard, alice)["tokens"] == pytest.approx(empty + 0.5, abs=0.01)
    for _ in range(9):
        guard.settle(jt, ("openai", 1.0), used=0.0)
    with pytest.raises(Denied):  # all ten settled: nothing of its own is left to give back
        guard.settle(jt, ("openai", 1.0), used=0.0)
    guard.settle(jt, ("openai", 0.0), used=3.0)  # an overrun (debt) only takes: allowed
    assert _level(guard, alice)["tokens"] == pytest.approx(empty + 9.5 - 3.0, abs=0.01)


def test_the_gateway_shapes_buckets_from_its_own_configuration(held):  # noqa: F811
    guard, _task, _job, jt, alice = held
    guard.shape_budget(jt, "openai:gpt", capacity=5, refill_per_s=1)
    assert _level(guard, alice, "openai:gpt")["capacity"] == 5
    with pytest.raises(Denied):
        guard.shape_budget("orgj_forged", "openai:gpt", capacity=1e12, refill_per_s=1e12)
