"""`task list --lane` is driven by the lane's open jobs (schema 8, ix_jobs_open), and answers exactly what the
old per-task probe answered: tasks with a queued or leased job in that lane, newest first."""

from __future__ import annotations


def _expected(bus, lane: str) -> list[str]:
    rows = bus.store.read(
        lambda tx: tx.x(
            "SELECT t.key FROM tasks t WHERE EXISTS (SELECT 1 FROM jobs j WHERE j.task = t.key AND j.lane = :ln "
            "AND j.status IN ('queued', 'leased')) ORDER BY t.id DESC",
            {"ln": lane},
        ).all()
    )
    return [r[0] for r in rows]


def test_lane_filter_answers_what_the_probe_answered(bus):
    """The traps: a task whose job in the lane is done (out), a task open only in another lane (out), a leased
    job (in), plain jobs of the lane with no task (no row), paging past the first page."""
    for i in range(7):
        bus.add_task(f"t{i}", "change", by="alice")
    bus.post_jobs("builder", [{"plain": 1}])  # a plain job of the lane: no task, never a row
    c = bus.claim("builder", "build-claude", lease_seconds=600)  # leased: still open
    c2 = bus.claim("builder", "build-claude", lease_seconds=600)
    bus.submit(c2.job, c2.token, "pass", content="x")  # done in builder, now open in reviewer
    for lane in ("builder", "reviewer", "security", "approver"):
        want = _expected(bus, lane)
        got = [t["task"] if "task" in t else t["key"] for t in bus.list_tasks(lane=lane, limit=1000)]
        assert got == want, lane
        paged = [t.get("task", t.get("key")) for t in bus.list_tasks(lane=lane, limit=2, offset=1)]
        assert paged == want[1:3], lane
    assert c.task in _expected(bus, "builder")


def test_lane_filter_reads_the_index_not_every_task(sbus):
    """SQLite's plan: the lane's open jobs through ix_jobs_open_num; never a scan of the tasks table."""
    from org.bus.tasks import list_tasks

    seen: list[str] = []
    real = sbus.store.read

    def spy(fn):
        def plan(tx):
            x = tx.x

            def explain(sql, params=None):
                if ":ln" in sql:
                    seen.extend(r[3] for r in x("EXPLAIN QUERY PLAN " + sql, params).all())
                return x(sql, params)

            tx.x = explain
            return fn(tx)

        return real(plan)

    sbus.add_task("t", "change", by="alice")
    sbus.store.read = spy
    try:
        list_tasks(sbus.ctx, lane="builder")
    finally:
        sbus.store.read = real
    assert any("ix_jobs_open_num" in s for s in seen), seen  # schema 10 (tests/bus/test_list_filters.py)
    assert not any(s.startswith("SCAN t") for s in seen), seen
