"""Where the gateway settles a call's rate-budget booking (ADR 0285): a debt before the answer, a refund by the
ledger's writer after it, and nothing queued for a writer once the gateway stopped."""

from __future__ import annotations

import threading

import pytest

from org.gateway import server
from tests.gateway.test_gateway_door import Clock, Org


@pytest.fixture
def org(org_copy):
    return Org(org_copy, Clock())


def _gated(gw, monkeypatch) -> threading.Event:
    """The ledger's writer held back until the returned event is set (what a loaded machine does to it)."""
    go = threading.Event()

    def write() -> None:
        assert go.wait(60)
        server.Gateway._write_ledger(gw)

    monkeypatch.setattr(gw, "_write_ledger", write)
    return go


def _tokens(org) -> float:
    with org.door() as door:
        return door.budgets(org.alice)[0]["tokens"]


def test_a_debt_is_owed_before_the_answer_while_a_refund_waits_for_the_writer(org, monkeypatch):
    """A call that used more than it booked: the next booking (another member's, right after the answer) must
    see the debt even while the ledger's writer is behind; a refund may wait for it."""
    with org.door() as door:
        door.budget(org.alice, "p", capacity=10, refill_per_s=0)
        held = door.holding(org.jt, command="model.call")
    gw = server.Gateway(org.cfg, org.door, clock=org.clock)
    go = _gated(gw, monkeypatch)
    port = server._BudgetPort(gw)
    token = server._HELD.set(held)
    try:
        r = port.reserve(org.jt, "p", 4)
        port.settle(org.jt, r, used=7)  # 3 beyond the booking
        assert _tokens(org) == 3, "the debt waited for the ledger's writer"
        r = port.reserve(org.jt, "p", 2)
        port.settle(org.jt, r, used=0)  # a refund: off the call's path
        assert _tokens(org) == 1
        go.set()
        assert gw.flush(60)
        assert _tokens(org) == 3
    finally:
        go.set()
        server._HELD.reset(token)
        gw.stop()


def test_a_settle_after_stop_starts_no_writer_over_the_closed_pool_and_is_not_lost(org):
    with org.door() as door:
        door.budget(org.alice, "p", capacity=10, refill_per_s=0)
        held = door.holding(org.jt, command="model.call")
    gw = server.Gateway(org.cfg, org.door, clock=org.clock)
    port = server._BudgetPort(gw)
    token = server._HELD.set(held)
    try:
        r = port.reserve(org.jt, "p", 4)
        gw.stop()
        port.settle(org.jt, r, used=1)  # the call answered as the gateway stopped
        assert gw._writer is None, "a ledger writer was started after stop()"
        assert gw._pool.empty(), "a door was left in the pool stop() emptied"
        assert _tokens(org) == 9, "the refund after stop() was lost"
    finally:
        server._HELD.reset(token)
