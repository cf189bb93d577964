"""The identity table and the whole token path on PostgreSQL (skipped with a clear message when unreachable)."""

from __future__ import annotations

import uuid

import pytest

from org.errors import Conflict, Denied
from org.identity.tokens import parse
from tests.bus.bushelpers import pg_url_or_skip


@pytest.fixture
def pg_bus(root):
    import psycopg

    from org.bus import Bus

    base = pg_url_or_skip()
    schema = "org_id_" + uuid.uuid4().hex[:12]
    with psycopg.connect(base, autocommit=True) as c:
        c.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in base else "?"
    b = Bus.open(f"{base}{sep}options=-csearch_path%3D{schema}", root=root)
    yield b
    b.close()
    with psycopg.connect(base, autocommit=True) as c:
        c.execute(f'DROP SCHEMA "{schema}" CASCADE')


def test_tokens_on_postgresql(pg_bus):
    from org.identity.guard import Guard

    g = Guard(pg_bus)
    alice = g.tokens.issue("alice", by="test")["token"]
    agent = g.tokens.issue("build-claude", by="test")["token"]
    t = g.add_task(alice, "pg", "change", by="alice")["task"]
    c, jt = g.claim(agent, "builder", "build-claude", lease_seconds=0.1)
    with pytest.raises(Denied):
        g.approve(agent, t, "build-claude")
    import time

    time.sleep(0.2)
    with pytest.raises(Conflict):
        g.submit(jt, c.job, "pass")
    g.tokens.revoke(actor="build-claude", by="alice")
    with pytest.raises(Denied):
        g.reader(agent, command="task list")
    ev = pg_bus.events_since(0, types=("job.claimed",))[-1]
    assert ev["auth"]["principal"] == "build-claude" and ev["data"]["job_token"] == jt.split("_")[1]
    # the failure count and the job-token sweep use upserts and DELETE ... RETURNING: PostgreSQL too
    from org.identity.tokens import FREE_FAILURES

    waits: list[float] = []
    g.tokens.sleep = waits.append
    _, tid, _ = parse(alice)
    for _ in range(FREE_FAILURES + 2):
        with pytest.raises(Denied):
            g.tokens.authenticate(f"orgp_{tid}_" + "0" * 64, as_="alice", command="inbox")
    assert len(waits) == 2  # slowed, never locked out:
    assert g.tokens.authenticate(alice, as_="alice", command="inbox").actor == "alice"
    assert g.tokens.sweep(grace_s=0) == 1  # the expired claim's job token
    assert pg_bus.events_since(0, types=("tokens.swept",))[-1]["data"]["job_tokens"] == 1


def test_first_use_the_failure_cap_and_the_last_resumer_on_postgresql(pg_bus, monkeypatch):
    """Trust on first use issues once; the capped failure table's DELETE ... OFFSET; the pause that would leave
    no human to resume is refused: the same SQL on PostgreSQL."""
    import secrets

    from org.identity import tokens as tk
    from org.identity.bootstrap import first_use_tokens
    from org.identity.guard import Guard

    made = first_use_tokens(pg_bus)
    assert [m["issued"] for m in made] == [True, True, True]  # alice, bob and carol (the maintainer)
    assert [m["status"] for m in first_use_tokens(pg_bus)] == ["ok", "ok", "ok"]
    g = Guard(pg_bus)
    g.tokens.sleep = lambda s: None
    monkeypatch.setattr(tk, "MAX_FAILURE_ROWS", 3)
    for _ in range(6):
        with pytest.raises(Denied):
            g.tokens.authenticate(f"orgp_{secrets.token_hex(8)}_" + "0" * 64, command="inbox")
    assert pg_bus.store.read(lambda tx: tx.x("SELECT COUNT(*) FROM org_auth_failures").scalar()) == 3
    g.pause(None, "actor", "bob", "alice")
    with pytest.raises(Conflict) as e:
        g.pause(None, "actor", "alice", "alice")
    assert e.value.exit_code == 5 and "no human who may resume" in e.value.message
