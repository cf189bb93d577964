"""Scenario files: every shipped one loads and builds its org; bad ones get FILE:LINE problems."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from org.errors import ConfigError, NotFound, UsageError
from org.sim.orgbuild import build_org
from org.sim.scenario import SCENARIO_DIR, list_scenarios, load_scenario, parse_set
from org.sim.units import DAY, Dist, parse_duration

SHIPPED = sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text).lstrip())
    return p


def problems_of(fn) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        fn()
    return [str(p) for p in exc.value.problems]


def test_every_shipped_scenario_is_listed_with_a_description():
    items = {s["name"]: s for s in list_scenarios()}
    assert sorted(items) == SHIPPED
    for name in (
        "baseline",
        "scaling",
        "scaling-naive",
        "scaling-independent",
        "scaling-light",
        "review-cross-vendor",
        "review-same-family",
        "ceremony-light",
        "ceremony-full",
        "approval-cap",
        "mmc",
        "large",
    ):
        assert name in items and len(items[name]["description"]) > 20


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenario_loads_and_its_org_proves(name):
    ls = load_scenario(name)
    assert ls.spec.name == name
    cfg = build_org(ls)
    assert cfg.actors and cfg.workflows


def test_extends_merges_and_keeps_its_own_name_and_description():
    ls = load_scenario("scaling-naive")
    assert ls.spec.name == "scaling-naive"
    assert ls.spec.pacing.mode == "naive"
    assert ls.spec.providers["frontier"].tpm == 40000  # from scaling
    assert "naive" in ls.spec.description
    cfg = build_org(load_scenario("review-same-family"))
    assert {a.family for a in cfg.actors.values() if a.lane == "reviewer"} == {"anthropic"}
    assert cfg.workflows["change"].gates["correctness"].cross_vendor is False


def test_lane_overrides_generate_members_and_pin_a_new_config_hash(cfg):
    ls = load_scenario("scaling", [("org.lanes.builder.agents", 5)])
    out = build_org(ls)
    builders = [a for a in out.actors.values() if a.lane == "builder"]
    assert [a.id for a in builders] == [f"builder-0{i}" for i in range(1, 6)]
    assert [a.family for a in builders] == ["anthropic", "openai", "anthropic", "openai", "anthropic"]
    assert out.lanes["builder"].concurrency is None  # follows the agent count
    assert out.config_hash != cfg.config_hash
    assert build_org(load_scenario("baseline")).config_hash == cfg.config_hash  # no overrides: the live hash


def test_humans_count_keeps_named_people_first():
    out = build_org(load_scenario("large"))
    assert [a.id for a in out.actors.values() if a.lane == "approver"] == [
        "alice",
        "bob",
        "approver-03",
        "approver-04",
        "approver-05",
        "approver-06",
    ]


def test_bad_values_are_reported_with_file_and_line(tmp_path):
    p = write(
        tmp_path,
        "bad.yaml",
        """
        description: bad
        duration: 3x
        workload:
          streams:
            - {name: a, workflow: change, per_hour: 2, colour: red}
        behaviour:
          default:
            work: {time: {dist: lognormal, mean: 20m}}
        humans: {hours: [18, 9]}
        """,
    )
    got = problems_of(lambda: load_scenario(p))
    f = str(p)
    assert any(g.startswith("bad.yaml:2: duration:") or g.startswith(f"{f}:2: duration:") for g in got), got
    assert any(":5: workload.streams.0.colour: unknown field" in g for g in got), got
    assert any(":8: behaviour.default.work.time: a lognormal distribution needs 'cv'" in g for g in got), got
    assert any(":9: humans.hours:" in g for g in got), got


def test_references_to_the_org_are_checked_all_at_once(tmp_path):
    p = write(
        tmp_path,
        "refs.yaml",
        """
        workload:
          streams:
            - {name: a, workflow: chnage, per_hour: 2}
            - {name: b, workflow: change, per_hour: 2, attributes: {kind: poetry}, actions: {nope: code.write}}
        org:
          lanes:
            builders: {agents: 3}
        behaviour:
          focus: {reviw: [logic]}
        """,
    )
    got = problems_of(lambda: build_org(load_scenario(p)))
    text = "\n".join(got)
    assert ":3: workload.streams.0.workflow: no workflow 'chnage'" in text
    assert ":4: workload.streams.1.attributes.kind: 'poetry' is not a value of 'kind'" in text
    assert ":4: workload.streams.1.actions.nope: no gate 'nope'" in text
    assert ":7: org.lanes.builders: no lane 'builders'" in text
    assert ":9: behaviour.focus.reviw: no gate 'reviw'" in text


def test_a_gate_override_that_opens_a_bypass_is_refused(tmp_path):
    p = write(
        tmp_path,
        "bypass.yaml",
        """
        extends: baseline
        org:
          gates:
            change:
              correctness: {tiers: [high]}
              security: {tiers: [high]}
        """,
    )
    got = problems_of(lambda: build_org(load_scenario(p)))
    assert any("bypass.yaml:4:" in g and "requires a review gate" in g for g in got), got


def test_same_family_reviewers_with_cross_vendor_gates_fail_the_proof(tmp_path):
    p = write(
        tmp_path,
        "fam.yaml",
        """
        extends: review-cross-vendor
        org:
          lanes:
            reviewer: {agents: 2, models: [anthropic/claude-opus-4-1]}
        """,
    )
    got = problems_of(lambda: build_org(load_scenario(p)))
    assert any("cross-vendor quorum 1 cannot be met" in g for g in got), got


def test_extends_loops_and_missing_parents_are_reported(tmp_path):
    write(tmp_path, "a.yaml", "extends: b.yaml\n")
    write(tmp_path, "b.yaml", "extends: a.yaml\n")
    got = problems_of(lambda: load_scenario(tmp_path / "a.yaml"))
    assert any("extend each other in a loop" in g for g in got)
    write(tmp_path, "c.yaml", "extends: nowhere\n")
    got = problems_of(lambda: load_scenario(tmp_path / "c.yaml"))
    assert any("c.yaml:1: extends: no scenario 'nowhere'" in g for g in got), got


def test_set_overrides_are_validated_and_blamed_on_the_command_line():
    got = problems_of(
        lambda: load_scenario("baseline", [parse_set("pacing.mode=fast"), parse_set("duration=2x")])
    )
    assert any(g.startswith("--set: pacing.mode:") for g in got), got
    assert any(g.startswith("--set: duration:") for g in got), got
    ls = load_scenario(
        "baseline", [parse_set("duration=36h"), parse_set("org.lanes.builder.agents=4")], seed=9
    )
    assert ls.spec.duration == 1.5 * DAY and ls.spec.seed == 9
    assert ls.spec.org.lanes["builder"].agents == 4
    with pytest.raises(UsageError):
        parse_set("no-equals-sign")
    with pytest.raises(UsageError):
        load_scenario("baseline", [parse_set("workload.streams.9.per_hour=1")])


def test_unknown_scenarios_are_not_found():
    with pytest.raises(NotFound):
        load_scenario("no-such-scenario")
    with pytest.raises(NotFound):
        load_scenario("missing/file.yaml")


def test_yaml_errors_keep_their_line(tmp_path):
    p = write(tmp_path, "broken.yaml", "workload:\n  streams: [\n")
    got = problems_of(lambda: load_scenario(p))
    assert any("broken.yaml:" in g and "invalid YAML" in g for g in got), got


def test_durations_and_distributions():
    assert parse_duration("90s") == 90 and parse_duration("20m") == 1200 and parse_duration("1.5h") == 5400
    assert parse_duration("2d") == 2 * DAY and parse_duration(30) == 30.0
    for bad in ("3x", "-1", True, "m"):
        with pytest.raises(ValueError):
            parse_duration(bad)
    import random

    rng = random.Random(1)
    for d, mean in (
        (Dist(dist="exp", mean=10), 10),
        (Dist(dist="lognormal", mean=10, cv=0.5), 10),
        (Dist(dist="gamma", mean=10, cv=0.5), 10),
        (Dist(dist="uniform", low=5, high=15), 10),
    ):
        f = d.sampler()
        xs = [f(rng) for _ in range(20000)]
        assert sum(xs) / len(xs) == pytest.approx(mean, rel=0.03)
        assert min(xs) >= 0
    with pytest.raises(ValueError):
        Dist(dist="uniform", low=5, high=1)
    with pytest.raises(ValueError):
        Dist(dist="exp", mean=3, cv=1)
