"""The identity table and the whole token path on PostgreSQL (skipped with a clear message when unreachable)."""

from __future__ import annotations

import uuid

import pytest
from bushelpers import pg_url_or_skip

from org.errors import Conflict, Denied


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
    # the brute-force limit and the job-token sweep use upserts and DELETE ... RETURNING: PostgreSQL too
    from org.errors import Paused
    from org.identity.tokens import MAX_FAILURES

    for _ in range(MAX_FAILURES):
        with pytest.raises(Denied):
            g.tokens.authenticate(agent[:-4] + ("0000" if not agent.endswith("0000") else "1111"), as_="alice",
                                  command="inbox")
    with pytest.raises(Paused):
        g.tokens.authenticate(agent, command="inbox")  # that token id is locked; alice's is not
    assert g.tokens.authenticate(alice, as_="alice", command="inbox").actor == "alice"
    assert g.tokens.sweep(grace_s=0) == 1  # the expired claim's job token
    assert pg_bus.events_since(0, types=("tokens.swept",))[-1]["data"]["job_tokens"] == 1
