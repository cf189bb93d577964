"""A worker's step, submit what it finished and claim what comes next in one transaction (ADR 0295): the same
answers as submit_many then claim_many, one commit, two round trips on PostgreSQL, and a kill switch set between
two steps stops the next one."""

from __future__ import annotations

import pytest

from org.errors import Paused


def _status(bus, job: int) -> str:
    return bus.store.read(lambda tx: tx.x("SELECT status FROM jobs WHERE id = :j", {"j": job}).scalar())


def _items(cs, verdict: str = "pass") -> list[dict]:
    return [{"job": c.job, "token": c.token, "verdict": verdict} for c in cs]


def test_a_step_submits_then_claims_the_next_batch(bus):
    bus.post_jobs("builder", [{"i": k} for k in range(10)])
    cs = bus.claim_many("builder", "build-claude", n=4)
    res, nxt = bus.submit_then_claim(_items(cs), "builder", "build-claude", n=4)
    assert [r["ok"] for r in res] == [True] * 4
    assert len(nxt) == 4 and not {c.job for c in nxt} & {c.job for c in cs}
    res, last = bus.submit_then_claim(_items(nxt), "builder", "build-claude", n=4)
    assert all(r["ok"] for r in res) and len(last) == 2
    res, none = bus.submit_then_claim(_items(last), "builder", "build-claude", n=4)
    assert all(r["ok"] for r in res) and none == []  # nothing left: the submissions committed all the same
    assert bus.store.read(lambda tx: tx.x("SELECT COUNT(*) FROM jobs WHERE status = 'done'").scalar()) == 10
    rep = bus.audit_verify()
    assert rep.ok and rep.events == 1 + 10 * 2


def test_a_stale_token_in_a_step_is_refused_alone(bus):
    bus.post_jobs("builder", [{"i": k} for k in range(6)])
    cs = bus.claim_many("builder", "build-claude", n=2)
    items = _items(cs)
    items[0]["token"] = "1-forged"
    res, nxt = bus.submit_then_claim(items, "builder", "build-claude", n=2)
    assert res[0]["ok"] is False and res[0]["error"] == "conflict" and res[1]["ok"] is True
    assert len(nxt) == 2
    assert _status(bus, cs[0].job) == "leased"  # the refused one is still its holder's
    assert bus.audit_verify().ok


@pytest.mark.parametrize("scope,target", [("lane", "builder"), ("actor", "build-claude"), ("all", None)])
def test_a_switch_set_between_two_steps_stops_the_next(bus, scope, target):
    """The attack: a worker looping on submit_then_claim keeps claiming after a pause. The pause lands between two
    steps; the next step claims nothing (Paused, exit 7), its submissions are refused by the same switch and the
    jobs stay leased as they were (state kept for forensics); after resume the loop goes on."""
    bus.post_jobs("builder", [{"i": k} for k in range(8)])
    cs = bus.claim_many("builder", "build-claude", n=2)
    res, cs = bus.submit_then_claim(_items(cs), "builder", "build-claude", n=2)
    assert all(r["ok"] for r in res) and len(cs) == 2
    bus.pause(scope, target)
    with pytest.raises(Paused) as info:
        bus.submit_then_claim(_items(cs), "builder", "build-claude", n=2)
    assert [r["ok"] for r in info.value.detail["submitted"]] == [False, False]
    assert {_status(bus, c.job) for c in cs} == {"leased"}
    leased = bus.store.read(lambda tx: tx.x("SELECT COUNT(*) FROM jobs WHERE status = 'leased'").scalar())
    assert leased == 2  # nothing more was claimed
    bus.resume(scope, target)
    res, nxt = bus.submit_then_claim(_items(cs), "builder", "build-claude", n=2)
    assert all(r["ok"] for r in res) and len(nxt) == 2
    assert bus.audit_verify().ok


def test_on_postgresql_a_step_is_two_round_trips_and_one_commit(pg_url, root, monkeypatch):
    from org.bus import Bus
    from org.bus import tx as txmod

    with Bus.open(pg_url, root=root) as bus:
        bus.post_jobs("builder", [{"i": k} for k in range(40)])
        cs = bus.claim_many("builder", "build-claude", n=8)
        res, cs = bus.submit_then_claim(_items(cs), "builder", "build-claude", n=8)  # warm
        flushes: list[list[str]] = []
        real = txmod.Tx._flush

        def counted(self):
            flushes.append([q for q, _ in self._pending])
            return real(self)

        monkeypatch.setattr(txmod.Tx, "_flush", counted)
        res, nxt = bus.submit_then_claim(_items(cs), "builder", "build-claude", n=8)
        assert all(r["ok"] for r in res) and len(nxt) == 8
        assert len(flushes) == 2, flushes
        assert sum(q == "COMMIT" for f in flushes for q in f) == 1
        assert bus.audit_verify().ok
