"""Calibration from history: a history made by the real bus and engine on generated work, read back into a
scenario whose every parameter says where it came from, which `org sim` runs; and the team lead's question
answered in one command."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.helpers import run_org
from tests.sim.history import TRUTH, make_history, org_copy


def _leaves(node, path=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, (*path, str(k)))
    elif isinstance(node, list) and not all(isinstance(x, (int, float, str)) for x in node):
        for i, v in enumerate(node):
            yield from _leaves(v, (*path, str(i)))
    else:
        yield ".".join(path), node


def _covered(path: str, prov: dict) -> bool:
    parts = path.split(".")
    return any(".".join(parts[:i]) in prov for i in range(len(parts), 0, -1))


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    root = org_copy(tmp_path_factory.mktemp("history"))
    info = make_history(root, tasks=60, seed=3)
    return root, info


@pytest.mark.slow
def test_every_parameter_says_where_it_came_from_and_the_file_runs(history, tmp_path):
    from org.bus import Bus
    from org.sim.calibrate import calibrate, history_scenario, write_scenario
    from org.sim.run import load, run_loaded

    root, info = history
    with Bus.open(root=root) as bus:
        cal = calibrate(bus)
    assert cal["tasks"] == info["tasks"] == 60
    data, header = history_scenario(cal, root)
    prov = data["provenance"]
    for section in ("workload", "behaviour", "humans", "providers"):
        for path, _ in _leaves(data[section], (section,)):
            if path.endswith((".name", ".workflow", ".tier", ".dist", ".cv")) or ".attributes." in path \
                    or ".models." in path and path.count(".") == 3 or path.endswith(".days") \
                    or path.startswith("providers.") and ".models" in path:
                continue  # names, shapes and what a stream is: not quantities
            assert _covered(path, prov), f"{path} has no provenance"
    for where in prov.values():
        assert "n=" in where or where.startswith(("assumed", "the live org")), where
    # what the history cannot tell is marked assumed, with the reason
    assert prov["behaviour.default.detect.defect"].startswith("assumed") and "outcome" in prov["behaviour.default.detect.defect"]
    assert prov["providers"].startswith("assumed: rate limits")
    # the numbers come back near the truth that made the history
    work = {m: v["work"]["time"]["mean"] for m, v in data["behaviour"]["models"].items() if "work" in v}
    assert 20 <= float(work["anthropic/claude-sonnet-4-5"].rstrip("m")) <= 42  # truth 30 min
    assert 13 <= float(work["openai/gpt-5"].rstrip("m")) <= 28  # truth 20 min
    fails = [c for (a, r), c in cal["reviews"].items() if a != r]
    k, n = sum(x for x, _ in fails), sum(y for _, y in fails)
    from org.sim.calibrate import wilson

    lo, hi = wilson(k, n)
    assert lo <= TRUTH["fail"]["cross"] <= hi
    out = tmp_path / "history.yaml"
    write_scenario(out, data, header)
    m = run_loaded(load(out, [("duration", "2d"), ("warmup", "6h")]))
    assert m["tasks"]["done"] > 0


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    root = org_copy(tmp_path_factory.mktemp("small"))
    make_history(root, tasks=3, seed=5)
    return root


def test_since_and_too_little_history_are_clear_errors(small):
    root = small
    r = run_org("sim", "--from-history", "--since", "2099-01-01", "--as", "alice", root=root)
    assert r.returncode == 2 and "too little to calibrate" in r.stderr and "Traceback" not in r.stderr
    r = run_org("sim", "--from-history", "--since", "last tuesday", "--as", "alice", root=root)
    assert r.returncode == 2 and "--since takes a date" in r.stderr
    r = run_org("sim", "baseline", "--from-history", "--as", "alice", root=root)
    assert r.returncode == 2 and "give no scenario" in r.stderr


def test_reading_the_history_needs_a_reader(small):
    root = small
    r = run_org("sim", "--from-history", "--as", "build-claude", root=root)  # an agent without a token
    assert r.returncode == 4


@pytest.mark.slow
def test_the_team_leads_question_in_one_command(tmp_path):
    """'6 builders, 2 reviewers, 1 approver working 8 h a day and one 40k tokens/min Anthropic limit:
    where is the bottleneck and what should I add?' on a history of hundreds of tasks."""
    root = org_copy(tmp_path / "org")
    make_history(root, tasks=250, seed=11)
    out = tmp_path / "calibrated.yaml"
    question = ["--set", "org.lanes.builder.agents=6", "--set", "org.lanes.reviewer.agents=2",
                "--set", "humans.count=1", "--set", "humans.hours=[9, 17]", "--set", "providers.anthropic.tpm=40000",
                "--load", "3"]
    r = run_org("sim", "--from-history", "--out", str(out), "--as", "alice", "--seeds", "3", *question,
                "--set", "duration=5d", "--set", "warmup=1d", root=root)
    assert r.returncode == 0, r.stderr
    assert "calibrated from 250 tasks" in r.stderr
    text = r.stdout
    assert "bottleneck:" in text and "one more unit of each resource" in text and "next thing to add:" in text
    assert "throughput /day" in text and "[" in text  # means with intervals
    doc = yaml.safe_load(out.read_text())
    assert "n=" in doc["provenance"]["workload.streams.0.per_day"]
    r = run_org("sim", str(out), "--seeds", "2", *question, "--set", "duration=3d", "--set", "warmup=1d",
                "--no-marginal", "--json", root=root)
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)["replicated"]
    assert rep["diagnosis"]["binding"]["kind"] in ("lane", "humans", "rate budget", "incoming work")
