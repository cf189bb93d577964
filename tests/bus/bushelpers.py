"""Helpers for the bus tests: the PostgreSQL URL (or a clear skip), and driving a task through its gates."""

from __future__ import annotations

import os

import pytest

__all__ = ["pg_url_or_skip", "drive", "snapshot", "forge_consistently", "carrying_out", "GITHUB"]

_PG_STATE: dict = {}


def pg_url_or_skip() -> str:
    """ORG_TEST_PG_URL when it answers; otherwise skip, except under CI where a missing server fails."""
    url = os.environ.get("ORG_TEST_PG_URL")
    if "url" not in _PG_STATE:
        why = None
        if not url:
            why = "ORG_TEST_PG_URL is not set (e.g. postgresql://postgres@127.0.0.1:5432/test)"
        else:
            try:
                import psycopg

                with psycopg.connect(url, connect_timeout=3) as c:
                    c.execute("SELECT 1")
            except Exception as exc:  # any failure means: no server to test against
                why = f"PostgreSQL at {url} is not reachable ({type(exc).__name__}: {str(exc).strip()[:120]})"
        _PG_STATE["url"], _PG_STATE["why"] = url, why
    if _PG_STATE["why"]:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs PostgreSQL for the bus tests: {_PG_STATE['why']}")
        pytest.skip(f"PostgreSQL tests skipped: {_PG_STATE['why']}")
    return _PG_STATE["url"]


# Who works each lane in drive(), chosen so every review is cross-vendor against build-claude (anthropic).
WORKERS = {
    "builder": "build-claude",
    "reviewer": "rev-gpt",
    "security": "sec-gemini",
    "operator": "ops-claude",
    "approver": "alice",
}


def drive(
    bus,
    task: str,
    verdicts: dict[str, str] | None = None,
    workers: dict[str, str] | None = None,
    max_steps: int = 50,
) -> dict:
    """Claim and submit the task's open jobs until it closes or nothing more can move."""
    verdicts = verdicts or {}
    who = {**WORKERS, **(workers or {})}
    for _ in range(max_steps):
        view = bus.task(task)
        if view["status"] != "active":
            return view
        open_jobs = [j for j in view["jobs"] if j["status"] == "queued"]
        if not open_jobs:
            return view
        j = open_jobs[0]
        actor = who.get(j["lane"])
        if actor is None:  # nobody works this lane here: stop before it
            return view
        if j["lane"] == "reviewer" and j["gate"] == "design":
            actor = who.get("design", "rev-gemini")
        c = bus.claim(j["lane"], actor)
        v = verdicts.get(c.gate, "approve" if c.kind == "approval" else "pass")
        bus.submit(c.job, c.token, v, content=f"work of {actor} at {c.gate}")
    return bus.task(task)


def snapshot(bus) -> dict:
    """Every row of the tables a refused operation must not touch."""

    def fn(tx):
        out = {}
        for t in ("jobs", "leases", "events", "tasks", "approvals", "audit_head", "switches"):
            out[t] = [tuple(r) for r in tx.x(f"SELECT * FROM {t} ORDER BY 1").all()]
        return out

    return bus.store.read(fn)


def forge_consistently(db, seq: int, actor: str = "mallory") -> None:
    """Rewrite event SEQ's actor in a SQLite bus and recompute every later hash and the head: the attack a
    plain hash chain cannot see (only anchors and witnesses can)."""
    import sqlite3

    from org.bus.audit import GENESIS, canonical, decode_body, header, link

    c = sqlite3.connect(db)
    prev = GENESIS
    for s, _task, _typ, body in c.execute("SELECT seq, task, type, body FROM events ORDER BY seq").fetchall():
        if s == seq:
            ev = decode_body(body)
            ev["actor"] = actor
            body = header(s, ev["task"], ev["type"]) + canonical(ev)
        prev = link(prev, body)
        c.execute("UPDATE events SET body = ?, hash = ? WHERE seq = ?", (body, prev, s))
    c.execute("UPDATE audit_head SET hash = ?", (prev,))
    c.commit()
    c.close()


GITHUB = {"credential": "github", "service": "github"}  # a plan's credential.use on its own service


def carrying_out(
    guard, tokens: dict, task: str, *actions: str, actor: str = "ops-claude", attrs: dict | None = None
):
    """(the claim, its job token) of `actor` at the ops task's execute gate, carrying out a plan that names
    `actions` (with the task's attributes and `attrs`): a job token takes only the actions its gate asks for (ADR 0110),
    so an operator acts where it carries out the plan, not while planning. Above the light path, sec-gemini's
    security review passes the plan first; a task with an approval gate is not for this helper."""
    import json

    c, jt = guard.claim(tokens[actor], "operator", actor)
    assert c.task == task and c.gate == "plan", c
    said = [{"action": a, "attributes": {**(c.attributes or {}), **(attrs or {})}} for a in actions]
    guard.submit(jt, c.job, "pass", note="plan", content="1. as filed\nactions: " + json.dumps(said))
    queued = {j["gate"] for j in guard.task(tokens[actor], task)["jobs"] if j["status"] == "queued"}
    if "review" in queued:
        sc, sjt = guard.claim(tokens["sec-gemini"], "security", "sec-gemini")
        assert sc.task == task, sc
        guard.submit(sjt, sc.job, "pass", note="ok")
    c, jt = guard.claim(tokens[actor], "operator", actor)
    assert c.task == task and c.gate == "execute", c
    return c, jt
