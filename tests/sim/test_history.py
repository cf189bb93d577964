"""Calibration from history: a history made by the real bus and engine on generated work, read back into a
scenario whose every parameter says where it came from, which `org sim` runs; and the team lead's question
answered in one command."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.helpers import org_in_process
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
            if (
                path.endswith((".name", ".workflow", ".tier", ".dist", ".cv"))
                or ".attributes." in path
                or ".models." in path
                and path.count(".") == 3
                or path.endswith(".days")
                or path.startswith("providers.")
                and ".models" in path
            ):
                continue  # names, shapes and what a stream is: not quantities
            assert _covered(path, prov), f"{path} has no provenance"
    for where in prov.values():
        assert "n=" in where or where.startswith(("assumed", "the live org")), where
    # what the history cannot tell is marked assumed, with the reason
    assert (
        prov["behaviour.default.detect.defect"].startswith("assumed")
        and "outcome" in prov["behaviour.default.detect.defect"]
    )
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
    r = org_in_process("sim", "--from-history", "--since", "2099-01-01", "--as", "alice", root=root)
    assert r.returncode == 2 and "too little to calibrate" in r.stderr and "Traceback" not in r.stderr
    r = org_in_process("sim", "--from-history", "--since", "last tuesday", "--as", "alice", root=root)
    assert r.returncode == 2 and "--since takes a date" in r.stderr
    r = org_in_process("sim", "baseline", "--from-history", "--as", "alice", root=root)
    assert r.returncode == 2 and "give no scenario" in r.stderr


def test_reading_the_history_needs_a_reader(small):
    root = small
    r = org_in_process("sim", "--from-history", "--as", "build-claude", root=root)  # an agent without a token
    assert r.returncode == 4


@pytest.mark.slow
def test_the_team_leads_question_in_one_command(tmp_path):
    """'6 builders, 2 reviewers, 1 approver working 8 h a day and one 40k tokens/min Anthropic limit:
    where is the bottleneck and what should I add?' on a history of hundreds of tasks."""
    root = org_copy(tmp_path / "org")
    make_history(root, tasks=250, seed=11)
    out = tmp_path / "calibrated.yaml"
    question = [
        "--set",
        "org.lanes.builder.agents=6",
        "--set",
        "org.lanes.reviewer.agents=2",
        "--set",
        "humans.count=1",
        "--set",
        "humans.hours=[9, 17]",
        "--set",
        "providers.anthropic.tpm=40000",
        "--load",
        "3",
    ]
    r = org_in_process(
        "sim",
        "--from-history",
        "--out",
        str(out),
        "--as",
        "alice",
        "--seeds",
        "3",
        *question,
        "--set",
        "duration=5d",
        "--set",
        "warmup=1d",
        root=root,
    )
    assert r.returncode == 0, r.stderr
    assert "calibrated from 250 tasks" in r.stderr
    text = r.stdout
    assert "bottleneck:" in text and "one more unit of each resource" in text and "next thing to add:" in text
    assert "throughput /day" in text and "[" in text  # means with intervals
    doc = yaml.safe_load(out.read_text())
    assert "n=" in doc["provenance"]["workload.streams.0.per_day"]
    r = org_in_process(
        "sim",
        str(out),
        "--seeds",
        "2",
        *question,
        "--set",
        "duration=3d",
        "--set",
        "warmup=1d",
        "--no-marginal",
        "--json",
        root=root,
    )
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)["replicated"]
    assert rep["diagnosis"]["binding"]["kind"] in ("lane", "humans", "rate budget", "incoming work")


class _Recorded:
    """The two public reads calibration uses, over a fixed list of events (for what the generator cannot
    make: outcome.* events from the workspaces' pipeline)."""

    def __init__(self, events):
        from org.config.loader import load_org
        from org.sim.orgbuild import default_org_root

        self.cfg, self.events = load_org(default_org_root()), events

    def config(self, required=False):
        return self.cfg

    def events_since(self, after=0, limit=1000, **_):
        return [e for e in self.events if e["seq"] > after][:limit]

    def spend(self, by="actor", **_):
        return []


def _ev(seq, typ, task, t, **kw):
    from datetime import UTC, datetime

    ts = datetime.fromtimestamp(1_796_601_600 + t * 60, UTC).isoformat().replace("+00:00", "Z")
    return {
        "seq": seq,
        "type": typ,
        "task": task,
        "ts": ts,
        "data": kw.pop("data", {}),
        "actor": kw.pop("actor", None),
        "family": kw.pop("family", None),
        "job": kw.pop("job", None),
    }


def test_outcomes_replace_the_assumed_detection_with_a_measured_one():
    from org.sim.calibrate import calibrate, history_scenario

    evs, seq = [], 0
    for i in range(
        40
    ):  # anthropic builds, openai reviews: 10 asked for changes, 30 passed, 6 of those failed later
        task = f"T-{i + 1}"
        for typ, kw in (
            (
                "task.created",
                {"data": {"workflow": "change", "tier": "medium", "attributes": {"kind": "code"}}},
            ),
            ("work.submitted", {"data": {"family": "anthropic"}, "actor": "build-claude"}),
            (
                "review.filed",
                {
                    "data": {"family": "openai", "verdict": "changes" if i < 10 else "pass"},
                    "actor": "rev-gpt",
                },
            ),
        ):
            seq += 1
            evs.append(_ev(seq, typ, task, i * 30 + seq % 7, **kw))
        if i >= 10:
            seq += 1
            evs.append(_ev(seq, "task.done", task, i * 30 + 20))
            if i >= 34:
                seq += 1
                evs.append(_ev(seq, "outcome.reverted", task, i * 30 + 25))
    cal = calibrate(_Recorded(evs))
    data, _ = history_scenario(cal, __import__("org.sim.orgbuild", fromlist=["x"]).default_org_root())
    prov = data["provenance"]["behaviour.default.detect.defect"]
    assert not prov.startswith("assumed") and "n=16" in prov  # 10 caught + 6 escaped
    assert abs(data["behaviour"]["default"]["detect"]["defect"] - 10 / 16) < 1e-3
