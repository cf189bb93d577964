"""Inbox: what waits for the human, the evidence, approve and reject through the real bus."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, Static

from org.errors import OrgError
from tests.tui.tuihelpers import lane_version, plain, settle, wait_for


def _status(bus, task):
    return [a["status"] for a in bus.task(task)["approvals"]]


async def test_inbox_opens_first_riskiest_then_oldest_with_evidence(make_app, keys, bus, clock):
    # a medium task's escalation is less risky than the two high-tier approvals, even though it is older
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.current_mode == "inbox"
        table = app.screen.query_one("#inbox-table", DataTable)
        tasks = [table.get_row_at(i)[2] for i in range(table.row_count)]
        assert tasks == [keys["high_change"], keys["high_ops"]]  # both high: the older first
        assert app.pending == 2
        assert await wait_for(pilot, lambda: "Reviews" in plain(app.screen.query_one("#evidence", Static)))
        text = plain(app.screen.query_one("#evidence", Static))
        for needle in (
            "What changed",
            "check_hash",
            "rev-gpt",
            "openai",
            "sec-gemini",
            "google",
            "pass",
            "Rule checks",
            "RISK-PRODUCTION",
            "gates/risk.yaml",
            "ADR-0004",
            "ADR-0005",
            "Cost so far",
            "$0.0",
            "model calls",
        ):
            assert needle in text, needle
        await pilot.press("2")
        await settle(pilot)
        assert " 2 " in plain(app.screen.query_one("#topbar", Static))  # the badge on every screen


async def test_approve_records_the_human_and_wakes_the_requesters_lane(make_app, keys, bus):
    app = make_app("bob")
    t = keys["high_ops"]
    before = lane_version(bus, "operator")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("down")  # T-2, the ops deploy
        await settle(pilot)
        assert app.screen.current["task"] == t
        await pilot.press("a")
        await pilot.pause()
        await pilot.press(*"plan is safe")
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: "granted" in _status(bus, t))
        view = bus.task(t)
        gate = view["state"]["gates"]["approval"]
        assert gate["status"] == "passed" and gate["reviews"][-1]["actor"] == "bob"
        assert any(j["gate"] == "execute" and j["status"] == "queued" for j in view["jobs"])
        assert lane_version(bus, "operator") > before  # the operator lane's waiting claim is woken
        assert await wait_for(pilot, lambda: app.pending == 1)
        assert bus.claim("operator", "ops-claude").gate == "execute"


async def test_reject_needs_a_note_then_closes_the_gate(make_app, keys, bus):
    app = make_app()
    t = keys["high_change"]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("enter")  # empty note: refused in the modal, nothing recorded
        await pilot.pause()
        assert "required" in plain(app.screen.query_one("#note-error"))
        assert _status(bus, t) == ["pending"]
        app.screen.query_one("#note", Input).value = "hash comparison is not constant time"
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: "pending" not in _status(bus, t))
        view = bus.task(t)
        assert view["state"]["gates"]["approval"]["status"] == "failed" or view["status"] == "rejected"
        notes = [e for e in bus.timeline(t) if e["actor"] == "alice"]
        assert notes and "constant time" in str(notes[-1])


async def test_request_changes_sends_the_work_back_to_its_builder_with_the_note(make_app, keys, bus):
    app = make_app()
    t = keys["high_change"]
    rev = bus.task(t)["revision"]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.screen.current["task"] == t
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("enter")  # empty note: refused in the modal, nothing recorded
        await pilot.pause()
        assert "required" in plain(app.screen.query_one("#note-error"))
        assert _status(bus, t) == ["pending"]
        await pilot.press(*"compare hashes in constant time", "enter")
        assert await wait_for(pilot, lambda: "pending" not in _status(bus, t))
        assert _status(bus, t) == ["changes"]
        view = bus.task(t)
        assert view["status"] == "active" and view["rounds"] == 1  # not final: a rework round
        assert [j["gate"] for j in view["jobs"] if j["status"] == "queued"] == ["implement"]
        [ev] = [e for e in bus.events_since(0, task=t) if e["type"] == "approval.changes_requested"]
        assert ev["actor"] == "alice" and ev["data"]["revision"] == rev
        assert ev["data"]["findings"][0]["text"] == "compare hashes in constant time"
        assert await wait_for(
            pilot, lambda: any("Changes requested" in n.message for n in app._notifications)
        )
        assert await wait_for(pilot, lambda: app.pending == 1)


async def test_request_changes_on_an_escalation_is_refused_with_a_note_on_screen(make_app, keys, bus):
    c = bus.claim("operator", "ops-claude")  # T-5 (queued): giving up escalates it
    bus.fail(c.job, c.token, reason="cannot")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#inbox-table", DataTable)
        for _ in range(table.row_count):
            if app.screen.current["kind"] == "escalation":
                break
            await pilot.press("down")
            await settle(pilot)
        assert app.screen.current["kind"] == "escalation"
        before = _status(bus, c.task)
        await pilot.press("c")
        assert await wait_for(pilot, lambda: any(n.title == "Not here" for n in app._notifications))
        assert _status(bus, c.task) == before
        assert not app.screen.query("#note")  # no dialog opened


async def test_cancel_changes_nothing_and_refusals_are_notifications(make_app, keys, bus):
    app = make_app()
    t = keys["high_change"]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("escape")
        await settle(pilot)
        assert _status(bus, t) == ["pending"]
        bus.pause("actor", "alice", by="bob", note="on leave")
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: any("paused" in n.message for n in app._notifications))
        assert _status(bus, t) == ["pending"]


async def test_approving_an_action_request_wakes_the_requesters_lane(make_app, keys, bus):
    t = bus.add_task(
        "Rotate the GitHub token",
        "ops",
        by="bob",
        attributes={"environment": "staging", "credential": "github", "service": "github"},
    )["task"]
    asked = bus.act("credential.use", "ops-claude", t)
    assert asked["exit_code"] == 6
    before = lane_version(bus, "operator")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#inbox-table", DataTable)
        row = [table.get_row_at(i)[2] for i in range(table.row_count)].index(t)
        for _ in range(row):
            await pilot.press("down")
        await settle(pilot)
        assert app.screen.current["kind"] == "action" and app.screen.current["subject"] == "credential.use"
        await pilot.press("a")
        await pilot.pause()
        await pilot.press(*"rotation window", "enter")
        assert await wait_for(pilot, lambda: [a["status"] for a in bus.task(t)["approvals"]] == ["granted"])
    assert lane_version(bus, "operator") > before  # the requester's lane is woken
    assert bus.act("credential.use", "ops-claude", t)["decision"]["approved_by"] == "alice"


def test_adrs_the_work_cites_are_part_of_the_evidence():
    from org.tui.data import adrs_in_notes

    trace = [
        {
            "actor": "ops-claude",
            "gate": "plan",
            "data": {"note": "Plan for the deploy (cites ADR-0004, ADR-0006)"},
        },
        {"actor": "sec-gemini", "gate": "review", "data": {"note": "pass; ADR-0004 holds"}},
        {"actor": "engine", "gate": None, "data": {"note": 3}},
    ]
    assert adrs_in_notes(trace, {"content": "steps ... per ADR-0009"}) == {
        4: "ops-claude at plan",
        6: "ops-claude at plan",
        9: "the latest work",
    }


async def test_at_80x24_page_keys_scroll_the_evidence_not_the_inbox(make_app, keys):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert await wait_for(pilot, lambda: "Reviews" in plain(app.screen.query_one("#evidence", Static)))
        pane = app.screen.query_one("#evidence-pane")
        before = app.screen.current["approval"]
        await pilot.press("pagedown")
        await settle(pilot)
        assert pane.scroll_y > 0 and app.screen.current["approval"] == before
        await pilot.press("pageup")
        await settle(pilot)
        assert pane.scroll_y == 0


async def test_unpriced_calls_show_as_unknown_cost_on_every_screen(make_app, keys, bus, clock):
    """A model call without a price is unknown spend: the evidence, the timeline and the agents screen say so
    (and none of them crashes on the missing number)."""
    t = keys["high_change"]
    bus.record_usage(
        "build-claude",
        "local/unpriced-model",
        tokens_in=900,
        tokens_out=100,
        cost_usd=None,
        latency_ms=800,
        task=t,
        ts=clock.t,
    )
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert bus.task(t)["status"] == "escalated"  # a budgeted task's first unknown spend goes to a human
        table = app.screen.query_one("#inbox-table", DataTable)
        table.move_cursor(row=next(i for i in range(table.row_count) if table.get_row_at(i)[2] == t))
        await settle(pilot)
        assert await wait_for(pilot, lambda: "unpriced" in plain(app.screen.query_one("#evidence", Static)))
        assert "1 unpriced call(s), cost unknown" in plain(app.screen.query_one("#evidence", Static))
        await pilot.press("enter")
        await settle(pilot)
        await wait_for(pilot, lambda: "+ 1 unpriced" in plain(app.screen.query_one("#tl-head", Static)))
        assert "+ 1 unpriced" in plain(app.screen.query_one("#tl-head", Static))
        table = app.screen.query_one("#tl-table", DataTable)
        assert any("unpriced" in str(c) for i in range(table.row_count) for c in table.get_row_at(i))
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        actors = app.screen.query_one("#actors", DataTable)
        row = next(
            actors.get_row_at(i)
            for i in range(actors.row_count)
            if str(actors.get_row_at(i)[0]) == "build-claude"
        )
        assert any(str(c).endswith("+?") or "+?/" in str(c) for c in row), row


async def test_decisions_are_made_with_the_humans_own_token_and_refused_without_it(
    make_app, keys, bus, tmp_path, monkeypatch
):
    """Every decision in the TUI goes through the identity Guard: with bob's own token file it is recorded
    with his token's identity; at a keyboard without it (an agent's environment) it is refused, nothing
    changes, and the screen says so instead of crashing."""
    t = keys["high_ops"]
    app = make_app("bob")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("down", "a")
        await pilot.pause()
        await pilot.press(*"ok", "enter")
        assert await wait_for(pilot, lambda: "granted" in _status(bus, t))
    ev = bus.events_since(task=t, types=("approval.granted",))[-1]
    assert ev["actor"] == "bob" and ev["auth"]["principal"] == "bob" and ev["auth"]["via"] == "principal"

    monkeypatch.setenv("ORG_CONFIG_HOME", str(tmp_path / "no-token-files"))  # no human's token in reach
    t1 = keys["high_change"]
    app = make_app("bob")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        # the screens read through the door too: without a token nothing is shown, so nothing can be decided
        assert app.screen.current is None
        await pilot.press("a")
        await pilot.pause()
        await pilot.press(*"forged", "enter")
        await settle(pilot)
        assert _status(bus, t1) == ["pending"]
        assert any("authentication required" in str(n.message) for n in app._notifications), [
            n.message for n in app._notifications
        ]
    assert bus.events_since(types=("auth.denied",))
    # and a decision itself, asked without a token, is refused by the door and recorded
    with pytest.raises(OrgError) as e:
        app.as_human("approve", t1, "bob", note="forged")
    assert e.value.exit_code == 4 and _status(bus, t1) == ["pending"]
    denied = bus.events_since(types=("auth.denied",))
    assert denied and denied[-1]["data"]["command"] == "approve"


def test_org_tui_refuses_a_human_without_their_token(org_copy, keys, bus, db_url, tmp_path):
    from org.identity.bootstrap import first_use_tokens
    from tests.helpers import run_org

    first_use_tokens(bus)  # the humans have their token files (in this test's own config home)

    r = run_org(
        "tui",
        "--as",
        "bob",
        root=org_copy,
        timeout=60,
        env={"ORG_CONFIG_HOME": str(tmp_path / "empty"), "ORG_DATABASE_URL": db_url},
    )
    assert r.returncode == 4 and "authentication required" in r.stderr and "Traceback" not in r.stderr
