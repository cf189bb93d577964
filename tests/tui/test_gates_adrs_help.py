"""Gates per tier with live counts, ADR search and reading, the help screen, and the empty states."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Markdown, OptionList, Static

from org.bus import Bus
from org.identity.bootstrap import first_use_tokens
from tests.tui.tuihelpers import plain, settle, wait_for


async def test_gates_show_the_plan_per_tier_with_live_counts(make_app, keys, bus):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("4")
        await settle(pilot)
        ol = app.screen.query_one("#plans", OptionList)
        labels = [str(ol.get_option_at_index(i).prompt) for i in range(ol.option_count)]
        assert labels[0].startswith("change · low") and any(x.startswith("ops · high") for x in labels)
        ol.highlighted = next(i for i, x in enumerate(labels) if x.startswith("change · high"))
        await settle(pilot)
        head = plain(app.screen.query_one("#plan-head", Static))
        assert (
            "start → spec → implement → {correctness, security} → design → eligibility → approval → done"
            in head
        )
        t = app.screen.query_one("#plan-table", DataTable)
        rows = {t.get_row_at(i)[0].plain: t.get_row_at(i) for i in range(t.row_count)}
        assert rows["approval"][3].plain == "required" and rows["approval"][6].plain == "1"  # T-1 pending
        ol.highlighted = 0  # change · low
        await settle(pilot)
        rows = {t.get_row_at(i)[0].plain: t.get_row_at(i) for i in range(t.row_count)}
        assert rows["security"][3].plain == "skipped" and "not required" in rows["security"][7].plain


async def test_adrs_list_search_and_read(make_app):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("5")
        await settle(pilot)
        t = app.screen.query_one("#adr-table", DataTable)
        n_all = t.row_count
        assert n_all >= 7  # the starter org's ADRs
        await pilot.press("slash", *"credential")
        assert await wait_for(pilot, lambda: 0 < t.row_count < n_all)
        assert any(t.get_row_at(i)[0] == "0006" for i in range(t.row_count))
        await pilot.press("enter")
        t.move_cursor(row=[t.get_row_at(i)[0] for i in range(t.row_count)].index("0006"))
        await settle(pilot)
        md = app.screen.query_one("#adr-body", Markdown)
        assert await wait_for(pilot, lambda: "RED-CREDENTIAL-REUSE" in md.source)
        app.screen.query_one("#adr-search", Input).value = ""
        assert await wait_for(pilot, lambda: t.row_count == n_all)


async def test_help_opens_and_closes(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert (
            "Pause everything" in plain(app.screen.query_one("#help-text", Static))
            or "pause everything" in plain(app.screen.query_one("#help-text", Static)).lower()
        )
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.query("#inbox-table")


async def test_no_database_explains_then_picks_up_work(make_app, org_copy, db_url):

    app = make_app(use_bus=False, db_url=db_url)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        panel = app.screen.query_one("#empty", Static)
        assert panel.display and "org demo" in plain(panel) and "does not exist" in plain(panel)
        assert not (org_copy / ".org" / "org.db").exists()  # looking does not create it
        with Bus.open(db_url, root=org_copy) as b:
            b.add_task("First task", "change", by="alice", attributes={"kind": "docs"})
        assert await wait_for(pilot, lambda: not app.screen.query_one("#empty", Static).display, timeout=8)
        assert "Inbox zero" in plain(app.screen.query_one("#evidence", Static))


async def test_empty_database_explains(make_app, bus):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        panel = app.screen.query_one("#empty", Static)
        assert panel.display and "bus is empty" in plain(panel) and "org task add" in plain(panel)
        await pilot.press("2")
        await settle(pilot)
        assert app.screen.query_one("#empty", Static).display


async def test_a_token_without_as_is_checked_once_the_bus_exists(make_app, org_copy, db_url):
    """`org tui` with bob's token, no --as, before the database exists: nobody is named until the bus appears,
    then the token is checked and bob sits at the keyboard (the first human, alice, is never assumed)."""
    from org.identity.bootstrap import first_use_tokens
    from tests.helpers import read_token

    db = org_copy / ".org" / "org.db"
    with Bus.open(db_url, root=org_copy) as b:
        first_use_tokens(b)
        b.add_task("First task", "change", by="alice", attributes={"kind": "docs"})
    token = read_token(org_copy, "bob", db_url)
    aside = db.with_name("later.db")
    db.rename(aside)
    app = make_app(use_bus=False, db_url=db_url, token=token)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.principal.actor == "" and "alice" not in app.principal_label
        assert "--as alice" in plain(
            app.screen.query_one("#empty", Static)
        )  # the advice still works as shown
        aside.rename(db)
        assert await wait_for(pilot, lambda: app.principal.actor == "bob", timeout=8)
        assert app.principal_label == "bob (approver)"
        assert await wait_for(
            pilot, lambda: "Nothing waits for bob" in plain(app.screen.query_one("#evidence", Static))
        )


async def test_a_refused_human_sees_nothing_when_the_bus_appears_later(make_app, org_copy, db_url):
    """`org tui --as alice` with a token that is not alice's, before the database exists: once it appears the
    token is checked as at start, and the TUI exits 4 without having read the bus (no board, no inbox)."""
    db = org_copy / ".org" / "org.db"
    with Bus.open(db_url, root=org_copy) as b:
        first_use_tokens(b)
        b.add_task("First task", "change", by="alice", attributes={"kind": "docs"})
    aside = db.with_name("later.db")
    db.rename(aside)
    app = make_app("alice", use_bus=False, db_url=db_url, token="orgp_" + "0" * 16 + "_" + "0" * 64)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        aside.rename(db)
        assert await wait_for(pilot, lambda: app.return_code is not None, timeout=8)
        assert app.door is None
    assert app.return_code == 4
