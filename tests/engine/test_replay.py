"""The replay guard: golden event histories (the demo's, and scenarios driven through the bus) refold to the
same task states and re-decide to the same decisions under today's engine (tests/engine/replay.py says how
to record them, and how to migrate them when the semantics change on purpose)."""

from __future__ import annotations

import copy
import json

import pytest

from tests.engine.replay import HISTORIES, MIGRATIONS, SEMANTICS, TIGHTENED, migrate, replay

STRICT = {"allow": 0, "needs_approval": 1, "deny": 2}

GOLDEN = sorted(HISTORIES.glob("*.json"))


def test_there_are_golden_histories_of_the_demo_and_of_scenarios():
    assert {p.stem for p in GOLDEN} >= {"demo", "scenarios"}


def test_every_semantics_change_has_its_migration():
    assert sorted(MIGRATIONS) == list(range(2, SEMANTICS + 1))


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_a_golden_history_refolds_and_redecides_the_same(path):
    doc = json.loads(path.read_text())
    assert doc["semantics"] <= SEMANTICS, "recorded by a newer engine than this one"
    got = replay(doc)
    assert set(got) == set(doc["tasks"])
    for key, t in doc["tasks"].items():
        assert got[key]["state"] == migrate(t["state"], doc["semantics"]), (
            f"{path.name} {key} folds differently"
        )
        tightened = any(v > doc["semantics"] for v in TIGHTENED)
        for recorded, replayed in got[key]["decisions"]:
            if tightened and recorded[0] is not None and replayed[0] is not None and replayed != recorded:
                # recorded before a change that only tightens decide(): stricter is the intended change (a
                # stricter outcome, or the same one for more rules)
                assert STRICT[replayed[0]] > STRICT[recorded[0]] or (
                    replayed[0] == recorded[0] and set(replayed[1]) > set(recorded[1])
                ), f"{path.name} {key} decides differently, not stricter: {recorded} -> {replayed}"
                continue
            assert replayed == recorded, f"{path.name} {key} decides differently: {recorded} -> {replayed}"


def test_the_guard_sees_a_change_in_the_fold_and_in_decide():
    """Attack: the same history with one event altered (a review flipped to a failure) or one recorded
    decision altered must no longer match; otherwise this guard could not fail."""
    doc = json.loads((HISTORIES / "scenarios.json").read_text())
    key, t = next((k, t) for k, t in doc["tasks"].items() if t["state"]["status"] == "done")
    bent = copy.deepcopy(doc)
    review = next(e for e in bent["tasks"][key]["events"] if e["type"] == "review.filed")
    review["data"]["verdict"] = "fail"
    assert replay(bent)[key]["state"] != t["state"]
    dkey = next(k for k, t in doc["tasks"].items() if any(e["type"] == "action.decided" for e in t["events"]))
    bent = copy.deepcopy(doc)
    dec = next(
        e for e in bent["tasks"][dkey]["events"] if e["type"] == "action.decided" and e["decision"] == "deny"
    )
    dec["decision"], dec["rules"] = "allow", []
    assert any(rec != rep for rec, rep in replay(bent)[dkey]["decisions"])
