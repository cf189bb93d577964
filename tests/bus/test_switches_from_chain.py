"""State outside the chain, the deciding reads (issue 19 class 8 (a), ADR 0166): a pause holds while the hash-chained
events say so, whatever the switches table says. A release written straight into the table (the row set
inactive, deleted, or moved to another target) does not let work through before anyone runs `audit verify`;
a human's resume still lifts it, and verify still names the edit."""

from __future__ import annotations

import pytest

from org.errors import Paused
from tests.helpers import paused_builders


def _edit(bus, sql):
    from sqlalchemy import text

    with bus.store.engine.begin() as c:
        c.execute(text(sql))


@pytest.fixture
def paused(bus):
    return paused_builders(bus)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE switches SET active = false WHERE target = 'builder'",
        "DELETE FROM switches WHERE target = 'builder'",
        "UPDATE switches SET target = 'approver' WHERE target = 'builder'",
        "UPDATE switches SET scope = 'actor' WHERE target = 'builder'",
    ],
)
def test_a_release_written_into_the_table_lets_nothing_through(paused, sql):
    bus = paused
    _edit(bus, sql)
    with pytest.raises(Paused):
        bus.claim("builder", "build-claude")
    assert not bus.audit_verify().ok
    # the brake still answers to a human: resume lifts what the chain holds
    bus.resume("lane", "builder", by="alice", note="go")
    assert bus.claim("builder", "build-claude") is not None


def test_the_gateway_s_read_of_the_switches_follows_the_chain(paused):
    from org.bus.switches import covering

    bus = paused
    _edit(bus, "UPDATE switches SET active = false WHERE target = 'builder'")
    hits = bus.store.read(lambda tx: covering(tx, bus.config(), actor="build-claude", lane="builder"))
    assert [(h["scope"], h["target"]) for h in hits] == [("lane", "builder")]


def test_a_pause_and_resume_in_the_ordinary_way_agree_with_the_chain(paused):
    bus = paused
    bus.resume("lane", "builder", by="alice")
    assert bus.claim("builder", "build-claude") is not None
    bus.pause("actor", "build-gpt", by="alice")
    with pytest.raises(Paused):
        bus.claim("builder", "build-gpt")
    assert bus.audit_verify().ok


@pytest.mark.parametrize(
    "sqls",
    [
        [
            "UPDATE events SET type = 'switch.note' WHERE type = 'switch.paused'",
            "UPDATE switches SET active = false WHERE target = 'builder'",
        ],
        ["DELETE FROM events WHERE type = 'switch.paused'", "DELETE FROM switches WHERE target = 'builder'"],
    ],
)
def test_an_edit_of_the_events_table_itself_is_named_by_verify(paused, sqls):
    """ADR 0205: the fold selects by the type column (not hashed), so an edit of the events table is not caught
    at decision time; verify names it, whatever the claim did in between."""
    bus = paused
    for sql in sqls:
        _edit(bus, sql)
    rep = bus.audit_verify()
    assert not rep.ok and rep.problem
