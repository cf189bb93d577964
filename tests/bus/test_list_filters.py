"""`task list` with one filter (--lane or --actor) reads the page's task ids from an index in the list's order
(schema 10; issue 23 item 4), and answers exactly what the general statement answers, for every filter and
combination, every page, on a bus with the traps: plain jobs, jobs done or open in another lane, leases held,
released and handed on, tasks made by an actor and tasks it only worked on."""

from __future__ import annotations

import itertools

import pytest

from org.bus import tasks as tasks_module


def _busy(bus) -> None:
    from tests.bus.bushelpers import drive

    first = bus.add_task("driven through", "change", by="bob")["task"]
    drive(bus, first)  # every job of it done: in no lane's open list, held by its workers once
    second = bus.add_task("half way", "change", by="alice")["task"]
    drive(bus, second, max_steps=2)  # done in builder, open in a review lane
    for i in range(9):
        ops = i % 3 == 0
        bus.add_task(
            f"t{i}",
            "ops" if ops else "change",
            by=("alice", "bob")[i % 2],
            attributes={"environment": "dev"} if ops else None,
        )
    bus.post_jobs("builder", [{"plain": 1}, {"plain": 2}])  # plain jobs of the lane: no task, never a row
    held = bus.claim("builder", "build-claude", lease_seconds=600)  # a lease held
    done = bus.claim("builder", "build-gpt", lease_seconds=600)
    bus.submit(done.job, done.token, "pass", content="x")  # done in builder, open elsewhere
    gone = bus.claim("builder", "build-claude", lease_seconds=600)
    bus.release(gone.job, gone.token, reason="let go")  # queued again
    for lane in ("reviewer", "security"):
        for actor in ("rev-gpt", "rev-gemini", "sec-claude", "sec-gpt"):
            try:
                c = bus.claim(lane, actor, lease_seconds=600)
            except Exception:
                continue
            bus.submit(c.job, c.token, "pass", content="ok", note="fine")
            break
    assert held


def _general(bus, **kw) -> list[str]:
    """The general statement (no index page), the reference."""
    real = tasks_module._page_by_index
    tasks_module._page_by_index = lambda *a: None
    try:
        return [t["task"] for t in bus.list_tasks(**kw)]
    finally:
        tasks_module._page_by_index = real


LANES = ("builder", "reviewer", "security", "approver", "nobody")
ACTORS = ("alice", "bob", "build-claude", "build-gpt", "rev-gpt", "sec-claude", "nobody")


def test_every_filter_and_page_answers_as_the_general_statement(bus):
    _busy(bus)
    cases = [{"lane": ln} for ln in LANES] + [{"actor": a} for a in ACTORS]
    cases += [{"lane": ln, "actor": a} for ln, a in itertools.product(LANES[:3], ACTORS[:4])]
    cases += [
        {"lane": "builder", "status": "active"},
        {"actor": "alice", "workflow": "ops"},
        {"workflow": "ops"},
    ]
    for kw, (limit, offset) in itertools.product(cases, [(100, 0), (2, 0), (2, 1), (3, 4), (1, 50)]):
        want = _general(bus, limit=limit, offset=offset, **kw)
        got = [t["task"] for t in bus.list_tasks(limit=limit, offset=offset, **kw)]
        assert got == want, (kw, limit, offset)
    assert _general(bus, actor="build-claude")  # the traps are there: it holds and held work
    builder = set(_general(bus, lane="builder"))
    assert {t["task"] for t in bus.list_tasks(limit=1000)} - builder  # tasks with no open builder job


@pytest.mark.parametrize(
    "kw", [{"lane": "builder"}, {"actor": "alice"}, {"actor": "build-claude"}, {"workflow": "x"}]
)
def test_one_filter_reads_an_index_and_never_scans_or_sorts(sbus, kw):
    """SQLite's plans for the filter's statement: an index search in the list's order; no scan of tasks or jobs, no
    temporary sort (the page's own reads, by its ids, are bounded by the page)."""
    seen: list[str] = []
    real = sbus.store.read

    def spy(fn):
        def plan(tx):
            x = tx.x

            def explain(sql, params=None):
                if any(
                    f":{p}" in sql for p in ("ln", "ac", "wf")
                ):  # the filter's own statement (the rest: the page)
                    seen.extend(r[3] for r in x("EXPLAIN QUERY PLAN " + sql, params).all())
                return x(sql, params)

            tx.x = explain
            return fn(tx)

        return real(plan)

    sbus.add_task("t", "change", by="alice")
    sbus.claim("builder", "build-claude", lease_seconds=600)
    sbus.store.read = spy
    try:
        sbus.list_tasks(**kw)
    finally:
        sbus.store.read = real
    assert seen and not [s for s in seen if s.startswith("SCAN") or "TEMP B-TREE" in s], seen


def test_unknown_names_are_no_error_and_match_nothing(bus):
    bus.add_task("t", "change", by="alice")
    assert bus.list_tasks(lane="nobody") == [] and bus.list_tasks(actor="nobody") == []
