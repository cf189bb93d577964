"""What a newcomer deciding from the inbox met (issue 20, "Humans deciding"): no title column, the real reason for
the tier at the bottom, ops plans as raw JSON (a deploy plan with `"call": null` and no version said nothing),
RED denials without the actor, the next request opened scrolled down, a dialog saying a rejected requester "can
act on it", and a toast saying "Rejectd". Each is held here."""

from __future__ import annotations

import io
import json

from rich.console import Console
from textual.widgets import DataTable, Input, Static

from org.tui.widgets.evidence import render_evidence
from tests.tui.tuihelpers import plain, settle, wait_for


def _text(renderable) -> str:
    c = Console(width=160, file=io.StringIO(), record=True, color_system=None)
    c.print(renderable)
    return c.export_text()


def test_the_tier_reason_comes_before_the_generic_why():
    ev = {
        "title": "Deploy",
        "tier": "high",
        "tier_reason": "rule RISK-PRODUCTION at gates/risk.yaml:28 (environment == production)",
        "request": {"task": "T-9", "kind": "gate", "subject": "approval", "reason": "the approval gate asks"},
    }
    text = _text(render_evidence(ev))
    assert text.index("tier high because rule RISK-PRODUCTION") < text.index("why: the approval gate asks")


def test_an_ops_plan_reads_as_numbered_actions_and_says_what_it_lacks():
    plan = {
        "summary": "Deploy 2026.11.3",
        "actions": [
            {"action": "deploy.production", "attributes": {"environment": "production"}, "call": None},
            {
                "action": "credential.use",
                "attributes": {"credential": "jira"},
                "call": {"credential": "jira", "method": "POST", "path": "/rest/api/2/issue"},
                "version": "2026.11.3",
            },
        ],
    }
    ev = {
        "title": "Deploy",
        "tier": "high",
        "request": {"task": "T-9"},
        "latest_work": {"content": json.dumps(plan)},
    }
    text = _text(render_evidence(ev))
    assert '{"' not in text and '"actions"' not in text  # not raw JSON
    assert "1. deploy.production  environment=production" in text
    assert "names no call (execution will block and escalate)" in text  # "call": null is said, not shown
    assert "2. credential.use" in text and "calls jira: POST /rest/api/2/issue" in text
    assert "version: 2026.11.3" in text


def test_a_red_denial_names_who_tried_it():
    ev = {
        "title": "Rotate",
        "tier": "high",
        "request": {"task": "T-9"},
        "rule_checks": [
            {
                "id": "RED-CREDENTIAL-REUSE",
                "effect": "deny",
                "source": "gates/rules.yaml:16",
                "actor": "sec-gemini",
                "gate": "security",
            }
        ],
    }
    assert "RED-CREDENTIAL-REUSE deny  gates/rules.yaml:16  by sec-gemini at security" in _text(
        render_evidence(ev)
    )


async def test_the_inbox_has_titles_and_a_rejection_is_told_as_final_and_spelled_right(make_app, keys, bus):
    app = make_app()
    notices: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        real = app.notify
        app.notify = lambda message, **kw: (
            notices.append(f"{kw.get('title')}: {message}"),
            real(message, **kw),
        )[1]
        await settle(pilot)
        table = app.screen.query_one("#inbox-table", DataTable)
        labels = [str(c.label) for c in table.columns.values()]
        assert "title" in labels
        titles = [str(table.get_row_at(i)[labels.index("title")]) for i in range(table.row_count)]
        assert all(titles) and any(
            bus.task(keys["high_change"])["title"].startswith(t.rstrip("…")) for t in titles
        )
        assert await wait_for(pilot, lambda: "Reviews" in plain(app.screen.query_one("#evidence", Static)))
        await pilot.press("pagedown")  # read down the evidence of the first request
        await settle(pilot)
        pane = app.screen.query_one("#evidence-pane")
        assert pane.scroll_y > 0
        await pilot.press("r")
        await pilot.pause()
        dialog = " ".join(plain(s) for s in app.screen.query(Static))
        assert "final" in dialog and "can act on it" not in dialog
        app.screen.query_one("#note", Input).value = "not this release"
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: any(n.startswith("Rejected: Rejected") for n in notices))
        assert not any("Rejectd" in n for n in notices)
        await settle(pilot)
        assert app.screen.current is not None and app.screen.current["task"] == keys["high_ops"]
        assert app.screen.query_one("#evidence-pane").scroll_y == 0  # the next request opens at its top
