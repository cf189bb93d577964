"""The simulator against theory: Erlang C for an M/M/c queue, Little's law, and the rate-limit bound."""

from __future__ import annotations

import math

import pytest


def erlang_c(lam: float, mu: float, c: int) -> tuple[float, float]:
    """(probability of waiting, mean wait in queue) of an M/M/c queue, from the Erlang C formula."""
    a = lam / mu
    rho = a / c
    assert rho < 1
    top = a**c / math.factorial(c) / (1 - rho)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait, p_wait / (c * mu - lam)


def test_erlang_c_formula_known_values():
    # M/M/1: Wq = rho / (mu - lambda); M/M/2 with a = 1: C = 1/3
    p, wq = erlang_c(0.5, 1.0, 1)
    assert p == pytest.approx(0.5) and wq == pytest.approx(1.0)
    p, wq = erlang_c(1.0, 1.0, 2)
    assert p == pytest.approx(1 / 3) and wq == pytest.approx(1 / 3)


def test_mmc_scenario_matches_erlang_c(sim):
    """~150,000 jobs through the engine; the sampling error of the mean wait is about 2% (measured
    over seeds with a bare M/M/2 at rho = 1/2), so 5% is well clear of noise."""
    m = sim("mmc")
    lam, mu, c = 6 / 60, 1 / 10, 2  # per minute: 6 arrivals an hour, 10-minute service, 2 servers
    p_wait, wq = erlang_c(lam, mu, c)
    got = m["waits_minutes"]["server"]
    assert got["n"] > 140_000
    assert got["mean"] == pytest.approx(wq, rel=0.05)
    assert got["waited"] == pytest.approx(p_wait, rel=0.05)
    assert m["utilisation"]["server"] == pytest.approx(lam / (c * mu), rel=0.02)
    assert m["cycle_time_hours"]["mean"] * 60 == pytest.approx(wq + 1 / mu, rel=0.02)


@pytest.mark.parametrize("name", ["mmc", "review-cross-vendor", "ceremony-light", "baseline"])
def test_littles_law_holds_on_the_outputs(sim, name):
    """L (time-average tasks in the org) = lambda (arrival rate) x W (mean time in the org)."""
    lit = sim(name)["little"]
    assert lit["L"] > 0.5
    assert lit["L"] == pytest.approx(lit["lambda_W"], rel=0.05 if name == "baseline" else 0.03)


FRONTIER_TPM = 40_000
FIXED = {"behaviour__default__work__tokens": 8000, "behaviour__default__review__tokens": 10000, "warmup": 0}
TOKENS_PER_TASK = 2 * 10 * 8000 + 2 * 4 * 10000  # spec + implement, correctness + security


@pytest.mark.parametrize("name", ["scaling", "scaling-naive"])
@pytest.mark.parametrize("builders", [6, 16])
def test_throughput_never_exceeds_the_rate_limit_bound(sim, name, builders):
    m = sim(name, org__lanes__builder__agents=builders, **FIXED)
    minutes = m["duration_days"] * 24 * 60
    pool = m["rate_limits"]["pools"]["frontier"]
    capacity = FRONTIER_TPM * minutes + FRONTIER_TPM  # the rate over the run, plus one minute of burst
    assert pool["tokens"] <= capacity
    bound = capacity / TOKENS_PER_TASK
    assert m["tasks"]["done"] <= bound
    if name == "scaling" and builders == 16:
        assert m["tasks"]["done"] >= 0.95 * bound  # paced: at least 95% of the bound


@pytest.mark.parametrize("builders", [2, 16])
def test_tokens_used_never_exceed_the_budget_with_random_sizes(sim, builders):
    for name in ("scaling", "scaling-naive", "scaling-light"):
        m = sim(name, org__lanes__builder__agents=builders)
        pool = m["rate_limits"]["pools"]["frontier"]
        window_minutes = m["window_days"] * 24 * 60
        # the window starts with at most a full bucket (one minute of burst) on top of the rate
        assert pool["tokens"] <= FRONTIER_TPM * (window_minutes + 1)
        assert pool["calls"] <= 60 * (window_minutes + 1)
