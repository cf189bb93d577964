"""A token row given another token's salt and hash (ADR 0210, review 2 finding 1): the secret one knows then
opens the other row. The chain records a fingerprint binding each token's id to its stored hash when it is
made (token.issued for a principal token, job.claimed for a job token): the swapped row is refused at
authentication and named by `audit verify`, whichever direction the copy went."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from org.errors import Denied
from org.identity.tokens import Tokens


def _copy_secret(bus, src: str, dst: str) -> None:
    with bus.store.engine.begin() as c:
        c.execute(
            text(
                "UPDATE org_tokens SET salt=(SELECT salt FROM org_tokens WHERE id=:m), "
                "hash=(SELECT hash FROM org_tokens WHERE id=:m) WHERE id=:a"
            ),
            {"m": src, "a": dst},
        )


def test_a_principal_token_row_given_my_secret_does_not_let_me_speak_for_its_principal(bus):
    t = Tokens(bus)
    mine = t.issue("build-gpt", by="alice")
    admin = t.issue("alice", by=None)
    _copy_secret(bus, mine["id"], admin["id"])
    forged = f"orgp_{admin['id']}_{mine['token'].split('_')[-1]}"
    with pytest.raises(Denied):
        Tokens(bus).authenticate(forged)
    v = bus.audit_verify()
    assert not v.ok and admin["id"] in v.problem and "fingerprint" in v.problem
    assert Tokens(bus).authenticate(mine["token"]).actor == "build-gpt"  # my own row is untouched


def test_a_job_token_row_given_my_job_tokens_secret_is_refused_and_named_by_verify(bus, guard, issue):
    a = issue("build-claude")
    b = issue("build-gpt")
    guard.add_task(issue("alice"), "one", "change", by="alice")
    guard.add_task(issue("alice"), "two", "change", by="alice")
    _c1, jt1 = guard.claim(a, "builder", "build-claude")
    _c2, jt2 = guard.claim(b, "builder", "build-gpt")
    assert bus.audit_verify().ok
    _copy_secret(bus, jt1.split("_")[1], jt2.split("_")[1])
    with pytest.raises(Denied):  # my job token's secret does not open the other agent's job
        Tokens(bus).authenticate(f"orgj_{jt2.split('_')[1]}_{jt1.split('_')[2]}")
    v = bus.audit_verify()
    assert not v.ok and jt2.split("_")[1] in v.problem and "fingerprint" in v.problem


def test_no_event_holds_a_secret_or_its_hash(bus):
    tok = Tokens(bus).issue("build-gpt", by="alice")
    row = bus.store.read(
        lambda tx: tx.x("SELECT salt, hash FROM org_tokens WHERE id=:i", {"i": tok["id"]}).one()
    )
    bodies = str(bus.events_since(0, limit=10_000))
    assert tok["token"].split("_")[-1] not in bodies and row[1] not in bodies
