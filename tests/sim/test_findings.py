"""The four findings the shipped scenarios reproduce, each asserted on direction and on size."""

from __future__ import annotations

BUILDERS = "org.lanes.builder.agents"


# (a) One shared rate budget -------------------------------------------------------------------


def test_shared_budget_stops_scaling_past_a_handful_of_heavy_agents(sweep_of):
    runs = sweep_of("scaling", BUILDERS, [1, 2, 6, 16])
    thr = {n: m["throughput_per_day"] for n, m in runs.items()}
    # Under the budget, builders add throughput almost one for one ...
    assert thr[2] >= 1.85 * thr[1]
    # ... past a handful, 2.7x the builders buy at most 20% more.
    assert thr[16] <= 1.2 * thr[6]
    assert thr[16] <= 0.5 * 16 * thr[1]  # less than half of linear scaling
    # Paced dispatch holds the shared budget at its bound, without a single 429.
    pool = runs[16]["rate_limits"]["pools"]["frontier"]
    assert pool["utilisation"] >= 0.95
    assert pool["rejected_429"] == 0
    # and throughput sits at the bound the budget allows: 40k tokens/min over ~240k tokens per task.
    assert 0.95 * 240 <= thr[16] <= 1.05 * 240


def test_naive_dispatch_turns_overload_into_a_retry_storm(sweep_of):
    paced = sweep_of("scaling", BUILDERS, [1, 16])
    naive = sweep_of("scaling-naive", BUILDERS, [1, 16])
    # With one builder the budget is never short: naive and paced behave the same.
    assert naive[1]["rate_limits"]["retries_per_call"] < 0.05
    assert naive[1]["throughput_per_day"] >= 0.95 * paced[1]["throughput_per_day"]
    # With sixteen, every successful call is retried several times and work is thrown away ...
    storm = naive[16]["rate_limits"]
    assert storm["retries_per_call"] >= 2.0
    assert storm["rejected_429"] >= 10 * paced[16]["rate_limits"]["pools"]["frontier"]["calls"] / 10
    assert storm["gave_up"] > 0
    # ... and throughput falls far below what pacing gets from the same budget.
    assert naive[16]["throughput_per_day"] <= 0.5 * paced[16]["throughput_per_day"]


def test_independent_budgets_restore_scaling(sweep_of):
    shared = sweep_of("scaling", BUILDERS, [4, 16])
    own = sweep_of("scaling-independent", BUILDERS, [4, 16])
    assert own[16]["throughput_per_day"] >= 3.5 * own[4]["throughput_per_day"]
    assert own[16]["throughput_per_day"] >= 2.0 * shared[16]["throughput_per_day"]
    # one budget per agent on a frontier model: 16 builders, 6 + 6 reviewers and the Claude operator
    assert own[16]["rate_limits"]["pools"]["frontier"]["budgets"] == 16 + 6 + 6 + 1


def test_routing_light_roles_to_smaller_models_stretches_the_budget(sweep_of):
    shared = sweep_of("scaling", BUILDERS, [16])[16]
    light = sweep_of("scaling-light", BUILDERS, [16])[16]
    assert light["throughput_per_day"] >= 1.3 * shared["throughput_per_day"]
    # the frontier budget now carries only the builders' ~160k tokens per task: bound ~360 a day
    assert light["throughput_per_day"] <= 1.05 * 360
    assert light["rate_limits"]["pools"]["frontier"]["utilisation"] >= 0.95


# (b) Same-family review ------------------------------------------------------------------------


def test_same_family_review_lets_more_defects_through(sim):
    cross = sim("review-cross-vendor")
    same = sim("review-same-family")
    c, s = cross["defects"]["escaped_per_100_done"], same["defects"]["escaped_per_100_done"]
    assert s >= 2.0 * c
    assert s - c >= 20  # at least 20 more escaped defects per 100 finished tasks
    for cls in ("logic", "security"):
        assert same["defects"]["escaped"][cls] >= 1.8 * cross["defects"]["escaped"][cls]
    # the cross-vendor org catches more at review (and pays for it in rework rounds)
    assert cross["rework"]["rounds_per_done"] > same["rework"]["rounds_per_done"]


# (c) Full ceremony for low-risk work -----------------------------------------------------------


def test_full_ceremony_multiplies_human_load_and_cycle_time(sim):
    light = sim("ceremony-light")
    full = sim("ceremony-full")
    assert full["approval"]["human_jobs_per_done"] >= 3.0 * light["approval"]["human_jobs_per_done"]
    assert full["approval"]["human_jobs"] >= 3.0 * light["approval"]["human_jobs"]
    assert full["utilisation"]["approver"] >= 3.0 * light["utilisation"]["approver"]
    assert full["cycle_time_hours"]["p50"] >= 5.0 * light["cycle_time_hours"]["p50"]
    low_light, low_full = light["cycle_p50_hours_by_tier"]["low"], full["cycle_p50_hours_by_tier"]["low"]
    assert low_full >= 10.0 * low_light
    assert full["approval"]["queue_mean"] >= 3.0 * light["approval"]["queue_mean"]


# (d) Human approval caps throughput ------------------------------------------------------------


def _human_capacity_per_day(m: dict) -> float:
    """Two humans, 9 to 5 on weekdays, 30 minutes an approval, over the measured window."""
    from org.sim.calendar import Calendar
    from org.sim.units import DAY

    cal = Calendar((9, 17), ["mon", "tue", "wed", "thu", "fri"])
    t0, t1 = m["warmup_days"] * DAY, m["duration_days"] * DAY
    return 2 * cal.open_seconds(t0, t1) / 1800 / (m["window_days"])


def test_human_approval_caps_throughput_and_more_agents_only_grow_the_queue(sweep_of):
    runs = sweep_of("approval-cap", BUILDERS, [1, 2, 4, 8])
    cap = _human_capacity_per_day(runs[8])
    thr = {n: m["throughput_per_day"] for n, m in runs.items()}
    queue = {n: m["approval"]["queue_mean"] for n, m in runs.items()}
    # below the humans' rate, builders add throughput ...
    assert thr[2] >= 1.8 * thr[1]
    # ... past it, throughput sits at the humans' rate whatever the number of builders
    for n in (4, 8):
        assert 0.85 * cap <= thr[n] <= 1.05 * cap
    assert thr[8] <= 1.03 * thr[4]
    # while the approval queue and the wait keep growing with every builder added
    assert queue[8] >= 2.0 * queue[4] >= 4.0 * queue[2]
    assert runs[8]["approval"]["wait_mean_hours"] >= 2.0 * runs[4]["approval"]["wait_mean_hours"]
    assert runs[8]["utilisation"]["approver"] >= 0.9
