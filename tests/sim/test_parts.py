"""The simulator's parts on their own: the clock, working hours, rate buckets, defects and metrics."""

from __future__ import annotations

import random

import pytest

from org.sim.calendar import Calendar
from org.sim.defects import Defect, inject, look, rework
from org.sim.loop import Loop
from org.sim.metrics import percentile
from org.sim.pacing import Bucket, backoff
from org.sim.report import bars, render_chart
from org.sim.units import DAY, HOUR


def test_loop_runs_in_time_order_and_ties_in_scheduling_order():
    loop, seen = Loop(), []
    for t, tag in ((5, "c"), (1, "a"), (5, "d"), (3, "b"), (11, "late")):
        loop.at(t, seen.append, tag)
    loop.run(10)
    assert seen == ["a", "b", "c", "d"] and loop.now == 10 and loop.events == 4


def test_working_hours_skip_nights_and_weekends():
    cal = Calendar((9, 17), ["mon", "tue", "wed", "thu", "fri"])
    mon_8am, fri_4pm = 8 * HOUR, 4 * DAY + 16 * HOUR
    assert not cal.is_open(mon_8am) and cal.next_open(mon_8am) == 9 * HOUR
    # two hours of work started Friday at 4pm end Monday at 10am; one hour ends Friday at 5pm
    assert cal.finish(fri_4pm, 2 * HOUR) == 7 * DAY + 10 * HOUR
    assert cal.finish(fri_4pm, HOUR) == 4 * DAY + 17 * HOUR
    assert cal.open_seconds(0, 7 * DAY) == 5 * 8 * HOUR
    assert cal.close_after(10 * HOUR) == 17 * HOUR
    always = Calendar()
    assert always.always and always.finish(123.0, 7.0) == 130.0


def test_paced_reservations_never_exceed_the_rate():
    b = Bucket(rpm=None, tpm=60_000, burst=60)  # 1000 tokens a second, 60k bucket
    t, sent = 0.0, []
    for _ in range(500):
        t_send = t + b.reserve(t, 5000)
        sent.append(t_send)
        t += 0.5  # asks far faster than the budget allows
    # everything after the initial burst goes out at the rate: 5000 tokens = 5 s apart
    gaps = [b2 - a for a, b2 in zip(sent[20:], sent[21:], strict=False)]
    assert all(g == pytest.approx(5.0) for g in gaps)
    tokens_by = lambda T: sum(5000 for s in sent if s <= T)  # noqa: E731
    for T in (100, 1000, 2000):
        assert tokens_by(T) <= 60_000 + 1000 * T


def test_naive_take_rejects_when_short_and_rejections_use_requests():
    b = Bucket(rpm=2, tpm=10_000, burst=60)
    assert b.try_take(0, 6000) and not b.try_take(0, 6000)  # tokens short: a 429
    # the rejected call still used the second request of the minute
    assert not b.try_take(0, 10)
    assert b.try_take(60, 100)
    assert backoff(1, 2, 60, None) == 2 and backoff(4, 2, 60, None) == 16 and backoff(9, 2, 60, None) == 60
    assert backoff(3, 2, 60, 0.5) == 4


def test_blind_spots_make_same_family_misses_correlated():
    from org.sim.behaviour import BUILTIN, profile_for
    from org.sim.models import Behaviour, FamilyBehaviour

    beh = Behaviour(default=FamilyBehaviour(defects={"logic": 1.0}, blind_spot=1.0, detect={"logic": 1.0}))
    prof = profile_for(beh, "anthropic/claude-sonnet-4-5", "anthropic")
    assert prof.work.mean_calls == BUILTIN.work.calls.mean
    rng = random.Random(1)
    defects: list[Defect] = []
    inject(defects, prof, "anthropic", False, rng)
    assert len(defects) == 1 and defects[0].blind
    assert look(defects, prof.detect, "anthropic", None, rng) == []  # every same-family reviewer misses it
    assert look(defects, prof.detect, "anthropic", None, rng) == []
    assert (
        look(defects, prof.detect, "openai", frozenset({"security"}), rng) == []
    )  # not what this gate looks for
    assert look(defects, prof.detect, "openai", None, rng) == defects  # another family sees it
    assert rework(defects, 1.0, rng) == []


def test_percentiles_and_bars():
    assert percentile([], 0.5) == 0.0
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile(list(range(101)), 0.95) == 95
    assert (
        bars(1, 1, 4) == "████" and bars(0.5, 1, 4) == "██" and bars(1, 8, 1) == "▏" and bars(0, 1, 4) == ""
    )


def test_chart_draws_one_bar_per_value_and_series():
    def point(v, y):
        return {"value": v, "metric": y, "metrics": {"rate_limits": {"bound_per_day": None}}}

    series = [
        {
            "scenario": "a",
            "path": "org.lanes.builder.agents",
            "metric": "throughput_per_day",
            "seed": 1,
            "points": [point(1, 10.0), point(2, 20.0)],
        },
        {
            "scenario": "b",
            "path": "org.lanes.builder.agents",
            "metric": "throughput_per_day",
            "seed": 1,
            "points": [point(1, 5.0), point(2, 40.0)],
        },
    ]
    text = render_chart(series, width=8)
    lines = text.splitlines()
    assert "throughput_per_day vs org.lanes.builder.agents" in lines[0]
    bar_lines = [ln for ln in lines if "│" in ln and any(c in ln for c in "█▏▎▍▌▋▊▉")]
    assert len(bar_lines) == 4
    assert bar_lines[3].count("█") == 8  # the largest value fills the width
    assert bar_lines[0].count("█") == 2  # 10 of 40
