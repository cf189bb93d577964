"""Numbers from outside never poison a ledger or a budget: NaN, ±inf, negative and absurdly large tokens, costs,
latencies, bucket shapes, reservations and settlements are refused (exit 2) before anything is written, on
SQLite and PostgreSQL alike (NaN compares False with everything, so a range check alone lets it through; inf
sums to inf forever; an int past 64 bits cannot be stored). Whatever was refused, what the ledger and the
buckets say afterwards is still finite and exactly what the good calls made it."""

from __future__ import annotations

import math

import pytest

from org.errors import UsageError

NAN, INF = float("nan"), float("inf")
BAD_FLOATS = [NAN, INF, -INF, -1.0, 1e300]
BAD_INTS = [NAN, INF, -INF, -1, 10**30, 2.5]


def _spend(bus) -> dict:
    return {r["key"]: r for r in bus.spend("actor")}


@pytest.mark.parametrize(
    "field,value",
    [("tokens_in", v) for v in BAD_INTS]
    + [("tokens_out", v) for v in BAD_INTS]
    + [("cost_usd", v) for v in BAD_FLOATS]
    + [("latency_ms", v) for v in BAD_FLOATS],
)
def test_a_usage_row_with_a_number_no_call_has_is_refused_and_nothing_is_written(bus, field, value):
    t = bus.add_task("x", "change")["task"]
    good = {"tokens_in": 100, "tokens_out": 10, "cost_usd": 0.25, "latency_ms": 400.0}
    bus.record_usage("build-claude", "anthropic/claude-sonnet-4-5", task=t, **good)
    with pytest.raises(UsageError) as e:
        bus.record_usage("build-claude", "anthropic/claude-sonnet-4-5", task=t, **{**good, field: value})
    assert e.value.exit_code == 2 and field in e.value.message
    row = _spend(bus)["build-claude"]
    assert row["calls"] == 1 and row["tokens_in"] == 100 and row["cost_usd"] == pytest.approx(0.25)
    assert all(math.isfinite(float(v)) for k, v in row.items() if isinstance(v, float))


@pytest.mark.parametrize("value", [NAN, INF, -INF, 0.0, -1.0, 1e300])
def test_a_bucket_shape_that_is_no_number_is_refused(bus, value):
    bus.budget("p", capacity=10, refill_per_s=1)
    for kw in ({"capacity": value, "refill_per_s": 1.0}, {"capacity": 10.0, "refill_per_s": value}):
        if kw["refill_per_s"] == 0.0:
            continue  # a bucket that never refills is a shape (a fixed allowance)
        with pytest.raises(UsageError):
            bus.budget("p", **kw)
    assert bus.budgets()[0]["capacity"] == 10 and bus.budgets()[0]["refill_per_s"] == 1


@pytest.mark.parametrize("value", [NAN, INF, -INF, 0.0, -1.0, 1e300])
def test_a_reservation_of_no_number_is_refused(bus, value):
    bus.budget("p", capacity=10, refill_per_s=0)
    with pytest.raises(UsageError):
        bus.reserve("p", value)
    assert bus.budgets()[0]["tokens"] == 10


@pytest.mark.parametrize("value", [NAN, INF, -INF, -1.0, 1e300])
def test_a_settlement_of_no_number_is_refused_and_the_bucket_stays_finite(bus, value):
    bus.budget("p", capacity=10, refill_per_s=0)
    r = bus.reserve("p", 4)
    with pytest.raises(UsageError):
        bus.settle(r, used=value)
    with pytest.raises(UsageError):
        bus.settle(("p", value), used=0)
    assert bus.budgets()[0]["tokens"] == 6
    bus.settle(r, used=1)  # the good settlement still goes through
    assert bus.budgets()[0]["tokens"] == 9


@pytest.mark.parametrize("value", [NAN, INF, -INF, -1.0, 1e300])
def test_a_job_token_settling_no_number_keeps_its_reservation(root, value):
    """Through the door: the job token's open reservation is not consumed by a refused settlement (the check
    comes before the door's own bookkeeping), so its real settlement still refunds."""
    from org.bus import Bus
    from org.identity.bootstrap import first_use_tokens
    from org.identity.guard import Guard

    with Bus.open(root=root) as bus:
        first_use_tokens(bus)
        door = Guard(bus, token_files=False)
        alice = door.tokens.issue("alice", by="test")["token"]
        agent = door.tokens.issue("build-claude", by="test")["token"]
        door.add_task(alice, "x", "change", by="alice")
        jt = door.claim(agent, "builder", "build-claude")[1]
        door.budget(alice, "p", capacity=10, refill_per_s=0)
        r = door.reserve(jt, "p", 4)
        with pytest.raises(UsageError):
            door.settle(jt, ("p", value), used=0)
        with pytest.raises(UsageError):
            door.settle(jt, r, used=value)
        door.settle(jt, r, used=1)
        assert bus.budgets()[0]["tokens"] == 9


@pytest.mark.parametrize("text", ["p=nan", "p=inf", "p=-inf", "p=1e400", "p=10/nan", "p=10/inf", "p=-5"])
def test_a_rate_limit_that_is_no_number_is_refused(text):
    from org.agents.pacing import parse_limits, run_limits

    with pytest.raises(ValueError):
        parse_limits(text)
    with pytest.raises(UsageError):
        run_limits({"ORG_RATE_LIMITS": text})


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e400", "-5"])
def test_a_model_price_that_is_no_number_is_refused(value):
    from org.agents.llm import register_prices

    with pytest.raises(ValueError):
        register_prices({"self/hosted": {"input_cost_per_token": float(value), "output_cost_per_token": 0.0}})


@pytest.mark.parametrize(
    "headers,wait",
    [
        ({"retry-after": "nan"}, None),
        ({"retry-after": "inf"}, 86400.0),
        ({"retry-after": "1e400"}, 86400.0),
        ({"retry-after-ms": "-inf"}, 0.0),
        ({"x-ratelimit-reset-requests": "nan"}, None),
        ({"retry-after": "nan", "retry-after-ms": "1500"}, 1.5),
    ],
)
def test_a_providers_stated_wait_that_is_no_number_blocks_nobody_for_ever(headers, wait):
    """A 429's retry-after of NaN is no wait; one of inf (or past a day) is a day: a provider's header never
    blocks its budget for ever (a block until NaN or inf is never over)."""
    from org.agents.llm import parse_reset

    assert parse_reset(headers) == wait


def test_a_gateway_route_timeout_that_is_no_number_is_refused(root):
    from org.agents.endpoints import gateway_endpoints
    from org.config.loader import load_org

    cfg = load_org(root)
    actor = next(a.id for a in cfg.actors.values() if not a.is_human and a.model)
    for bad in (float("nan"), float("inf"), -1.0):
        with pytest.raises(UsageError):
            gateway_endpoints(cfg, {actor: {"timeout_s": bad}})
