"""Replications, intervals, paired differences, side-named --set, the bottleneck, instability and warm-up
warnings, marginal effects and multi-parameter sweeps: through the console script's entry (run_app) in this process and the library."""

from __future__ import annotations

import json
import math
import re

import pytest

from tests.helpers import org_in_process

SHORT = ["--set", "duration=2d", "--set", "warmup=6h"]


def test_t_quantiles_and_intervals_are_textbook():
    from org.sim.stats import interval, paired, t975

    assert t975(1) == 12.706 and t975(30) == 2.042 and abs(t975(1000) - 1.962) < 1e-3 and t975(0) == math.inf
    iv = interval([1.0, 2.0, 3.0, 4.0])  # mean 2.5, sd 1.291, t(3) 3.182 -> half 2.054
    assert iv["mean"] == 2.5 and abs(iv["half"] - 2.0540) < 1e-3
    assert interval([5.0])["lo"] is None
    a = [{"x": 1.0}, {"x": 2.0}, {"x": 3.0}]
    assert paired(a, [{"x": 1.0}, {"x": 2.0}, {"x": 3.0}])["x"]["same"] is True
    shifted = paired(a, [{"x": 11.0}, {"x": 12.1}, {"x": 12.9}])["x"]
    assert shifted["significant"] and shifted["lo"] > 0
    noisy = paired(a, [{"x": 3.0}, {"x": 0.0}, {"x": 4.0}])["x"]
    assert not noisy["significant"] and noisy["lo"] < 0 < noisy["hi"]


def test_an_unnamed_set_on_a_compare_of_one_scenario_is_refused_not_a_row_of_zeros():
    # the attack: today the change lands on both sides and every delta reads +0
    r = org_in_process(
        "sim", "baseline", "--compare", "baseline", "--set", "org.lanes.builder.agents=1", *SHORT
    )
    assert r.returncode == 2 and "name the side" in r.stderr and "Traceback" not in r.stderr
    r = org_in_process("sim", "baseline", "--set", "b:org.lanes.builder.agents=1", *SHORT)
    assert r.returncode == 2 and "only on a compare" in r.stderr
    r = org_in_process(
        "sim", "baseline", "--compare", "baseline", "--set", "c:org.lanes.builder.agents=1", *SHORT
    )
    assert r.returncode == 2 and "names neither side" in r.stderr


def test_a_side_named_set_changes_that_side_only():
    r = org_in_process(
        "sim", "baseline", "--compare", "baseline", "--set", "b:org.lanes.builder.agents=1", *SHORT, "--json"
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["a"]["org"]["lanes"]["builder"] == 2 and doc["b"]["org"]["lanes"]["builder"] == 1
    rows = {row["label"]: row for row in doc["compare"]["rows"]}
    assert rows["utilisation builder"]["delta"] > 0
    r = org_in_process(
        "sim", "baseline", "--compare", "baseline", "--set", "a:org.lanes.builder.agents=3", *SHORT, "--json"
    )
    doc = json.loads(r.stdout)
    assert doc["a"]["org"]["lanes"]["builder"] == 3 and doc["b"]["org"]["lanes"]["builder"] == 2


def test_seeds_give_intervals_and_paired_differences_say_when_not_significant():
    r = org_in_process(
        "sim",
        "baseline",
        "--compare",
        "baseline",
        "--set",
        "b:org.lanes.builder.agents=1",
        "--seeds",
        "3",
        *SHORT,
        "--json",
    )
    assert r.returncode == 0, r.stderr
    c = json.loads(r.stdout)["compared"]
    assert c["seeds"] == [1, 2, 3] and len(c["a"]["runs"]) == 3
    assert len({run["seed"] for run in c["a"]["runs"]}) == 3
    util = c["difference"]["utilisation.builder"]
    assert util["significant"] and util["lo"] > 0  # one builder instead of two: busier, beyond noise
    tp = c["a"]["summary"]["throughput_per_day"]
    assert tp["lo"] <= tp["mean"] <= tp["hi"] and tp["n"] == 3
    # the same side twice through a no-op change: every difference is exactly zero and said so
    r = org_in_process(
        "sim",
        "baseline",
        "--compare",
        "baseline",
        "--set",
        "b:engine.budget_escalation=true",
        "--seeds",
        "2",
        *SHORT,
    )
    assert r.returncode == 0, r.stderr
    assert "+0 (identical in every run)" in r.stdout and "significant" not in r.stdout.replace(
        "not significant", ""
    )


def test_a_load_at_capacity_is_called_unstable_and_the_bottleneck_named():
    r = org_in_process(
        "sim", "baseline", "--load", "3", "--set", "duration=4d", "--set", "warmup=0", "--json"
    )
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)["diagnosis"]
    assert d["binding"]["kind"] == "lane" and d["binding"]["name"] == "builder"
    assert d["binding"]["utilisation"] > 0.95 and any(u["name"] == "builder" for u in d["unstable"])
    r = org_in_process("sim", "baseline", "--load", "3", "--set", "duration=4d", "--set", "warmup=0")
    assert "UNSTABLE: lane builder" in r.stdout and "grows without bound" in r.stdout
    r = org_in_process("sim", "baseline", "--set", "duration=4d", "--json")
    d = json.loads(r.stdout)["diagnosis"]
    assert d["unstable"] == [] and d["binding"]["kind"] == "incoming work"


def test_a_short_run_and_a_missing_warm_up_are_said():
    r = org_in_process("sim", "baseline", "--set", "duration=6h", "--set", "warmup=0")
    assert r.returncode == 0, r.stderr
    assert "too short for steady state" in r.stdout


def test_diagnosis_names_a_saturated_rate_budget_over_the_lanes_waiting_for_it():
    from org.sim.diagnose import diagnose
    from org.sim.run import simulate

    d = diagnose(simulate("scaling", sets=[("duration", "1d"), ("warmup", "3h")]))
    assert d["binding"]["kind"] == "rate budget" and d["binding"]["name"] == "frontier"


@pytest.mark.slow
def test_marginal_effect_names_the_budget_as_the_next_thing_to_add():
    from org.sim.answer import marginal
    from org.sim.run import load

    ls = load("scaling", [("duration", "1d"), ("warmup", "3h")])
    rows = {r["change"]: r for r in marginal(ls, 3, workers=2)}
    budget = rows["a second frontier budget (rpm and tpm x2)"]["throughput_per_day"]
    assert budget["significant"] and budget["mean"] > 0
    reviewer = rows["one more reviewer agent"]["throughput_per_day"]
    assert not reviewer["significant"] or reviewer["mean"] < budget["lo"]
    assert list(rows)[0].startswith("a second frontier budget")  # sorted by gain
    assert not any("small" in k for k in rows)  # a budget no member draws on is no resource of this org


def test_multi_parameter_sweep_runs_every_combination_with_intervals():
    r = org_in_process(
        "sim",
        "baseline",
        "--sweep",
        "org.lanes.builder.agents=1..2",
        "--sweep",
        "workload.load=0.5,1",
        "--seeds",
        "2",
        "--set",
        "duration=1d",
        "--set",
        "warmup=0",
        "--json",
    )
    assert r.returncode == 0, r.stderr
    g = json.loads(r.stdout)["grids"][0]
    combos = [(p["values"]["org.lanes.builder.agents"], p["values"]["workload.load"]) for p in g["points"]]
    assert combos == [(1, 0.5), (1, 1), (2, 0.5), (2, 1)]
    assert all(p["metric"]["n"] == 2 for p in g["points"]) and "vs_previous" in g["points"][1]
    r = org_in_process("sim", "baseline", "--sweep", "org.lanes.builder.agents=3..1")
    assert r.returncode == 2 and "not a range" in r.stderr
    r = org_in_process("sim", "baseline", "--sweep", "org.lanes.builder.agents=a..b")
    assert r.returncode == 2 and "two integers" in r.stderr


@pytest.mark.parametrize("load", ["0", "-1"])
def test_a_load_multiplier_must_be_positive(load):
    r = org_in_process("sim", "baseline", "--load", load)
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_explain_shows_same_family_escapes_rest_on_blind_spot():
    from org.sim.explain import explain
    from org.sim.run import load

    sets = [("duration", "3d"), ("warmup", "12h")]
    a, b = load("review-cross-vendor", sets), load("review-same-family", sets)
    e = explain(
        a,
        b,
        3,
        workers=2,
        only=[
            "behaviour.default.blind_spot",
            "behaviour.default.work.time.mean",
            "org.lanes.reviewer.agents",
        ],
    )
    esc = e["metrics"]["defects.escaped_per_100_done"]
    assert esc["base"]["lo"] > 0  # same-family review lets more escape ...
    rows = {r["parameter"]: r for r in esc["rows"]}
    blind = rows["behaviour.default.blind_spot"]
    # ... and all of it goes when blind_spot is off: the finding rests on that input
    assert blind["significant"] and blind["share_lost"] == 1.0 and blind["halved"] == [0.0, 0.0]
    assert blind["source"].endswith("review-cross-vendor.yaml:27")
    assert esc["rows"][0]["parameter"] == "behaviour.default.blind_spot"
    assert rows["behaviour.default.work.time.mean"]["halved"] == ["10m", "10m"]
    assert rows["org.lanes.reviewer.agents"]["halved"] == [2, 2]


def test_explain_says_which_change_the_org_would_refuse():
    from org.sim.explain import explain
    from org.sim.run import load

    # the default org's reviewer lane has two members of two families: one left cannot make a
    # cross-vendor quorum for both builders, and the org's proof refuses it; explain says so, runs nothing
    ls = load("baseline", [("duration", "1d"), ("warmup", "0")])
    e = explain(ls, None, 2, workers=1, only=["org.lanes.reviewer.agents"])
    assert "cross-vendor quorum" in e["refused"]["org.lanes.reviewer.agents"] and e["runs"] == 0


def test_explain_through_the_cli_names_the_input_and_where_it_came_from():
    # 7 days (not 20: a third of the runs) still make the arrival rate carry throughput significantly, seeded
    r = org_in_process(
        "sim", "mmc", "--explain", "--seeds", "2", "--set", "duration=7d", "--set", "warmup=1d"
    )
    assert r.returncode == 0, r.stderr
    assert "what drives each result of mmc" in r.stdout
    throughput = r.stdout.split("throughput /day: value", 1)[1].split("\n\n", 1)[0]
    assert re.search(
        r"workload\.streams\.0\.per_hour +6 -> 3: .* significant .* from org/sim/scenarios/mmc\.yaml:\d+",
        throughput,
    ), r.stdout


def _org_of(run: dict) -> dict:
    """A run without what describes the machine it ran on (wall time, events per second)."""
    return {k: v for k, v in run.items() if k not in ("wall_seconds", "events_per_second")}


@pytest.mark.slow
def test_replications_are_the_same_per_seed_whatever_the_worker_count():
    # parallel processes must not change a run: each seed's result is the seed's, whether it ran alone,
    # in one process after the others, or in a pool of two or three (results come back in seed order)
    from org.sim.run import load
    from org.sim.stats import replicate

    ls = load("baseline", [("duration", "1d"), ("warmup", "2h")])
    jobs = [(ls, s) for s in (5, 6, 7)]
    serial = [_org_of(r) for r in replicate(jobs, workers=1)]
    assert [r["seed"] for r in serial] == [5, 6, 7]
    assert len({json.dumps(r["tasks"], sort_keys=True) for r in serial}) > 1  # the seeds differ
    for workers in (2, 3):
        assert [_org_of(r) for r in replicate(jobs, workers=workers)] == serial
