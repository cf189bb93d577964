"""No pause leaves the org without a human who may resume (ADR 0057): pausing the last unpaused human by
name, lane or vendor is refused (exit 5) and changes nothing; --all never locks a human out."""

from __future__ import annotations

import pytest

from org.errors import Conflict, Paused


def _switches(bus) -> set[tuple[str, str]]:
    return {(s["scope"], s["target"]) for s in bus.switches()}


def test_the_last_human_cannot_be_paused_by_name(bus):
    bus.pause("actor", "bob", by="alice", note="on leave")
    before = (_switches(bus), bus.head())
    for who in ("alice", "bob"):  # alice pausing herself, or bob (already paused) pausing alice: refused
        with pytest.raises(Conflict) as e:
            bus.pause("actor", "alice", by=who)
        assert e.value.exit_code == 5 and e.value.detail["rule"] == "ORG-KEEP-A-RESUMER"
        assert "no human who may resume" in e.value.message and "alice, bob" in e.value.message
    assert (_switches(bus), bus.head()) == before  # nothing paused, no event
    bus.resume("actor", "bob", by="alice")
    assert bus.pause("actor", "alice", by="bob")["changed"]  # bob is back: alice may now be paused
    with pytest.raises(Conflict):
        bus.pause("actor", "bob", by="bob")
    assert bus.resume("actor", "alice", by="bob")["changed"]


def test_a_pause_of_the_humans_lane_or_vendor_is_refused(bus):
    for scope, target in (("lane", "approver"), ("vendor", "human")):
        with pytest.raises(Conflict) as e:
            bus.pause(scope, target, by="alice")
        assert f"pausing {scope} {target}" in e.value.message
    assert _switches(bus) == set()
    bus.pause("lane", "builder", by="alice")  # an agent lane or vendor: never in question
    bus.pause("vendor", "anthropic", by="alice")
    bus.pause("actor", "alice", by="alice")  # one human paused, bob still resumes
    with pytest.raises(Conflict):
        bus.pause("lane", "approver", by="bob")


def test_pausing_everything_never_locks_a_human_out(bus):
    bus.pause("actor", "bob", by="alice")
    assert bus.pause("all", by="alice")["changed"]  # the big brake is always allowed
    with pytest.raises(Paused):
        bus.claim("builder", "build-claude")
    assert bus.resume("all", by="alice")["changed"]  # and alice can take it off again
    assert bus.resume("actor", "bob", by="alice")["changed"]


def test_a_second_human_lane_keeps_the_org_resumable(root):
    """With two human lanes, pausing one whole lane leaves the other's humans to resume."""
    from org.bus import Bus

    (root / "lanes" / "oncall.yaml").write_text(
        "lane: oncall\nkind: human\npurpose: Pages at night; may pause and resume.\nmay: [pause, resume]\n"
        "members:\n  - {id: dave, name: Dave Example}\n"
    )
    with Bus.open(root=root) as bus:
        assert bus.pause("lane", "approver", by="dave")["changed"]
        with pytest.raises(Conflict):
            bus.pause("actor", "dave", by="dave")
        bus.resume("lane", "approver", by="dave")
        assert bus.pause("actor", "dave", by="alice")["changed"]


def test_through_the_cli_and_the_guard_the_refusal_is_exit_5(root):
    """The TUI and `org pause` both reach the bus through the Guard: the same refusal, exit 5, no traceback."""
    from tests.identity.idhelpers import org

    code, _, err = org(root, "pause", "--actor", "bob", "--as", "alice")
    assert code == 0, err
    code, doc, err = org(root, "pause", "--actor", "alice", "--as", "alice")
    assert code == 5 and doc["error"] == "conflict" and "no human who may resume" in err
    code, _, err = org(root, "resume", "--actor", "bob", "--as", "alice")  # the org can still be resumed
    assert code == 0, err
