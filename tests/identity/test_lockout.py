"""No lock-out by accident: another database never touches this one's token files (ADR 0058), and neither a
pause nor a revocation leaves the org without a human able to resume, i.e. unpaused and holding a live
principal token (ADR 0057)."""

from __future__ import annotations

import pytest

from tests.helpers import read_token, token_file
from tests.identity.idhelpers import events, org


@pytest.mark.slow
def test_a_second_database_keeps_its_own_token_files(root, tmp_path):
    """H1: `org --db OTHER inbox --as alice` (a mistyped --db, a PostgreSQL try, a leftover ORG_DATABASE_URL)
    used to overwrite alice's and bob's files for the real database: both databases now keep working."""
    code, _, err = org(root, "task", "add", "x", "--workflow", "change", "--as", "alice")
    assert code == 0, err
    real = {h: read_token(root, h) for h in ("alice", "bob")}
    other = f"sqlite:///{tmp_path / 'other.db'}"
    code, _, err = org(root, "--db", other, "inbox", "--as", "alice")
    assert code == 0, err
    assert {h: read_token(root, h) for h in ("alice", "bob")} == real  # untouched
    theirs = {h: read_token(root, h, other) for h in ("alice", "bob")}
    assert all(theirs.values()) and not set(theirs.values()) & set(real.values())
    assert token_file(root, "alice").parent != token_file(root, "alice", other).parent
    assert (
        token_file(root, "alice").parent.parent == token_file(root, "alice", other).parent.parent
    )  # one org
    for db in ((), ("--db", other)):
        for human in ("alice", "bob"):
            code, _, err = org(root, *db, "inbox", "--as", human)
            assert code == 0, (db, human, err)
    code, _, err = org(root, "--db", other, "task", "add", "y", "--workflow", "change", "--as", "bob")
    assert code == 0, err
    code, listed, err = org(root, "task", "list", "--as", "bob")
    assert code == 0 and [t["title"] for t in listed["tasks"]] == ["x"], err


@pytest.mark.slow
def test_a_reset_database_gets_new_files_and_the_old_ones_stay(root):
    import shutil

    code, _, err = org(root, "inbox", "--as", "alice")
    assert code == 0, err
    old_path, old = token_file(root, "alice"), read_token(root, "alice")
    shutil.rmtree(root / ".org")
    code, _, err = org(root, "inbox", "--as", "alice")
    assert code == 0, err
    assert token_file(root, "alice") != old_path and read_token(root, "alice") != old
    assert old_path.read_text().strip() == old


def _setup(root) -> None:
    code, _, err = org(root, "inbox", "--as", "alice")  # first use: alice and bob get their files
    assert code == 0, err


@pytest.mark.slow
def test_revoke_then_pause_keeps_a_resumer(root):
    """H2: bob's token revoked, then alice pausing herself is refused: bob could not sign in to resume."""
    _setup(root)
    code, _, err = org(root, "token", "revoke", "--actor", "bob", "--as", "alice")
    assert code == 0, err
    code, doc, err = org(root, "pause", "--actor", "alice", "--as", "alice")
    assert (
        code == 5
        and doc["error"] == "conflict"
        and "no human who may resume unpaused and holding a live token" in err
    ), err
    assert "org token issue --for NAME --as YOU" in err
    code, out, err = org(root, "token", "issue", "--for", "bob", "--as", "alice")  # the way out
    assert code == 0, err
    code, _, err = org(root, "pause", "--actor", "alice", "--as", "alice")
    assert code == 0, err
    code, _, err = org(root, "resume", "--actor", "alice", "--as", "bob", token=out["token"])
    assert code == 0, err


def test_pause_then_revoke_keeps_a_resumer(root):
    """H2: alice paused, then revoking bob's tokens (the last human able to resume) is refused, with the way out."""
    _setup(root)
    code, _, err = org(root, "pause", "--actor", "alice", "--as", "bob")
    assert code == 0, err
    code, _, err = org(root, "token", "revoke", "--actor", "bob", "--as", "alice")
    assert code == 7, err  # alice is paused: her token is refused
    code, doc, err = org(root, "token", "revoke", "--actor", "bob", "--as", "bob")
    assert code == 5 and "nothing was revoked" in err and "org token issue --for bob --as bob" in err, err
    code, _, err = org(root, "inbox", "--as", "bob")
    assert code == 0, err  # still live
    code, _, err = org(root, "token", "revoke", "--actor", "alice", "--as", "bob")
    assert code == 0, err  # alice is paused anyway: bob stays able


def test_a_self_revoke_is_refused_until_a_new_token_exists(root):
    """H2: a compromised token can always be replaced and revoked without lock-out: issue first, then revoke."""
    from org.identity.tokens import parse

    _setup(root)
    code, _, err = org(root, "token", "revoke", "--actor", "bob", "--as", "alice")
    assert code == 0, err
    _, old_id, _ = parse(read_token(root, "alice"))
    code, doc, err = org(root, "token", "revoke", old_id, "--as", "alice")
    assert code == 5 and "nothing was revoked" in err and "org token issue --for alice --as alice" in err, err
    code, doc, err = org(root, "token", "revoke", "--actor", "alice", "--as", "alice")
    assert code == 5, err
    code, new, err = org(
        root, "token", "issue", "--for", "alice", "--as", "alice"
    )  # her own: saved to her file
    assert code == 0 and read_token(root, "alice").startswith(f"orgp_{new['id']}_"), err
    code, out, err = org(root, "token", "revoke", old_id, "--as", "alice")
    assert code == 0 and out["revoked"] == [old_id], err
    code, _, err = org(root, "inbox", "--as", "alice")
    assert code == 0, err


def test_an_expired_token_does_not_count_as_able_to_resume(bus, guard, clock):
    """Only a live token counts: bob's only token has expired, so alice may not pause herself."""
    from org.errors import Conflict
    from org.identity.bootstrap import first_use_tokens

    first_use_tokens(bus)
    alice = read_token(bus.ctx.root, "alice")
    bob = guard.tokens.issue("bob", by="alice", ttl=60)["id"]
    guard.tokens.revoke(actor="bob", by="alice")  # the first-use token (and bob's 60 s one)
    assert bob in [e["data"]["token_id"] for e in events(bus, "token.revoked")]
    guard.tokens.issue("bob", by="alice", ttl=60)
    clock.now += 61
    try:
        guard.pause(alice, "actor", "alice", "alice")
        raise AssertionError("the pause should have been refused")
    except Conflict as exc:
        assert (
            exc.exit_code == 5 and "no human who may resume unpaused and holding a live token" in exc.message
        )
    guard.tokens.issue("bob", by="alice")
    assert guard.pause(alice, "actor", "alice", "alice")["changed"]
