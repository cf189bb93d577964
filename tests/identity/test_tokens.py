"""Principal tokens: only a peppered hash is stored, authentication comes first and leaks nothing,
--as must match, revoked / expired / paused tokens are refused, and every refusal is an audit event."""

from __future__ import annotations

import os
import secrets
import stat

import pytest
from idhelpers import events

from org.errors import Denied, NotFound, Paused
from org.identity import files
from org.identity.tokens import parse


def _dump(bus) -> str:
    def fn(tx):
        out = []
        for t in ("org_tokens", "events", "bus_meta"):
            for row in tx.x(f"SELECT * FROM {t}").all():
                out.append(" ".join(bytes(v).decode("utf-8", "replace") if isinstance(v, (bytes, memoryview)) else str(v)
                                    for v in row))
        return "\n".join(out)

    return bus.store.read(fn)


def test_only_a_peppered_hash_is_stored(bus, guard, issue, root):
    tok = issue("build-claude")
    kind, tid, secret = parse(tok)
    assert kind == "p" and guard.tokens.authenticate(tok).actor == "build-claude"
    dump = _dump(bus)
    assert tid in dump and secret not in dump and tok not in dump
    pepper = files.org_dir(root) / "pepper"
    assert stat.S_IMODE(pepper.stat().st_mode) == 0o600
    # the database alone does not check a guess: another pepper makes the real token fail
    os.environ["ORG_TOKEN_PEPPER"] = "x" * 40
    try:
        from org.identity.tokens import Tokens

        with pytest.raises(Denied):
            Tokens(bus).authenticate(tok)
    finally:
        del os.environ["ORG_TOKEN_PEPPER"]


def test_brute_force_and_malformed_tokens_learn_nothing(bus, guard, issue):
    real = issue("rev-gpt")
    _, tid, secret = parse(real)
    guesses = [None, "", "x", "orgp_", real[:-1], real + "0", real.upper(), f"orgj_{tid}_{secret}",
               f"orgp_{tid}_{secrets.token_hex(32)}", "orgp_" + "0" * 16 + "_" + "0" * 64, "' OR 1=1 --",
               "\x00" * 10, "orgp_" + "é" * 80]
    guesses += [f"orgp_{secrets.token_hex(8)}_{secrets.token_hex(32)}" for _ in range(100)]
    messages = set()
    before = len(events(bus, "auth.denied"))
    for g in guesses:
        with pytest.raises(Denied) as e:
            guard.principal(g, command="task show") if g else guard.tokens.authenticate(g, command="task show")
        messages.add(e.value.message if g else "authentication failed")
        assert e.value.exit_code == 4
    assert messages == {"authentication failed"}
    denied = events(bus, "auth.denied")[before:]
    assert len(denied) == len(guesses)
    assert all(secret not in str(d) and "OR 1=1" not in str(d.get("data", {}).get("token")) for d in denied)


def test_as_must_match_and_the_attempt_is_audited(bus, guard, issue):
    tok = issue("build-claude")
    with pytest.raises(Denied) as e:
        guard.claim(tok, "builder", "build-gpt")
    assert "does not match" in e.value.message
    ev = events(bus, "auth.denied")[-1]
    assert ev["actor"] == "build-claude" and ev["data"]["reason"] == "as mismatch" and ev["data"]["as"] == "build-gpt"
    with pytest.raises(Denied):
        guard.approve(tok, "T-1", "alice")  # cannot act as a human either


def test_bad_token_cannot_tell_whether_a_task_exists(bus, guard, issue):
    alice = issue("alice")
    t = guard.add_task(alice, "real", "change")["task"]
    for task in (t, "T-999"):
        with pytest.raises(Denied) as e:
            guard.approve("orgp_" + "1" * 16 + "_" + "2" * 64, task, "alice")
        assert e.value.message == "authentication failed"
    with pytest.raises(NotFound):
        guard.approve(alice, "T-999", "alice")  # only an authenticated human learns it


def test_revoked_and_expired_tokens_are_refused_at_once(bus, guard, issue, clock):
    tok = issue("rev-gemini")
    assert guard.reader(tok, command="task list").actor == "rev-gemini"
    guard.tokens.revoke(token_id=parse(tok)[1], by="alice")
    with pytest.raises(Denied) as e:
        guard.reader(tok, command="task list")
    assert "revoked" in e.value.message
    short = issue("rev-gpt", ttl=60)
    assert guard.reader(short, command="task list").actor == "rev-gpt"
    clock.now += 61
    with pytest.raises(Denied) as e:
        guard.reader(short, command="task list")
    assert "expired" in e.value.message
    assert [d["data"]["reason"] for d in events(bus, "auth.denied")] == ["revoked", "expired"]


def test_pausing_an_actor_refuses_its_tokens(bus, guard, issue):
    alice, agent = issue("alice"), issue("build-gpt")
    guard.pause(alice, "actor", "build-gpt", "alice", note="runaway")
    with pytest.raises(Paused) as e:
        guard.reader(agent, command="task list")
    assert e.value.exit_code == 7 and "runaway" in e.value.message
    guard.pause(alice, "all", None, "alice")  # pausing everything never locks the humans out of resuming
    guard.resume(alice, "all", None, "alice")
    guard.resume(alice, "actor", "build-gpt", "alice")
    assert guard.reader(agent, command="task list").actor == "build-gpt"


def test_a_removed_member_token_is_refused(root, bus, issue, guard):
    tok = issue("rev-claude")
    lane = root / "lanes" / "reviewer.yaml"
    lane.write_text(lane.read_text().replace("  - {id: rev-claude, model: anthropic/claude-haiku-4-5}\n", ""))
    from org.bus import Bus
    from org.identity.guard import Guard

    with Bus.open(root=root) as b2, pytest.raises(Denied) as e:
        Guard(b2).reader(tok, command="task list")
    assert "no longer" in e.value.message


def test_human_token_files_are_owner_only(root, bus, guard):
    from org.identity.bootstrap import ensure_human_tokens

    made = ensure_human_tokens(bus)
    assert {m["principal"] for m in made} == {"alice", "bob"} and all(m["issued"] for m in made)
    p = files.human_token_path(root, "alice")
    assert stat.S_IMODE(p.stat().st_mode) == 0o600
    assert guard.principal(None, as_="alice", command="inbox").actor == "alice"  # read from her own file
    assert not any(m["issued"] for m in ensure_human_tokens(bus))  # idempotent
    with pytest.raises(Denied):
        guard.principal(None, as_="build-claude", command="claim")  # agents have no token file
    p.chmod(0o644)
    from org.errors import UsageError

    with pytest.raises(UsageError) as e:
        guard.principal(None, as_="alice", command="inbox")
    assert "chmod 600" in e.value.message


def test_a_token_folder_open_to_others_or_a_foreign_file_is_refused_through_the_cli(root):
    """Token files are 0600 in a 0700 folder; a looser folder, a symlink or a group bit is refused (exit 2)
    with the fix, and no traceback; writing a token tightens a folder of ours."""
    from idhelpers import org

    code, _, err = org(root, "inbox", "--as", "alice")  # first use makes alice's own file
    assert code == 0, err
    p = files.human_token_path(root, "alice")
    assert stat.S_IMODE(p.stat().st_mode) == 0o600 and stat.S_IMODE(p.parent.stat().st_mode) == 0o700
    p.parent.chmod(0o750)
    code, doc, err = org(root, "inbox", "--as", "alice")
    assert code == 2 and doc["error"] == "usage" and f"chmod 700 {p.parent}" in err and "Traceback" not in err
    p.parent.chmod(0o700)
    p.chmod(0o640)
    code, _, err = org(root, "inbox", "--as", "alice")
    assert code == 2 and f"chmod 600 {p}" in err
    p.chmod(0o600)
    real = p.with_name("elsewhere")
    p.rename(real)
    p.symlink_to(real)
    code, _, err = org(root, "inbox", "--as", "alice")
    assert code == 2 and "regular file owned by you" in err
    p.unlink()
    real.rename(p)
    p.parent.chmod(0o755)
    files.write_human_token(root, "bob", "orgp_" + "0" * 16 + "_" + "0" * 64)
    assert stat.S_IMODE(p.parent.stat().st_mode) == 0o700  # writing a token tightens a folder of ours
    code, _, err = org(root, "inbox", "--as", "alice")
    assert code == 0, err


def test_repeated_failures_are_rate_limited_per_token_id_before_the_secret_is_checked(bus, guard, issue, clock):
    """MAX_FAILURES wrong secrets for one token id: the next attempts with that id are exit 7 without a look at
    the secret (even the right one), each an audit event; other tokens of the same principal still work."""

    from org.identity.tokens import MAX_FAILURES, WINDOW_S

    alice = issue("alice")
    _, tid, _ = parse(alice)
    wrong = f"orgp_{tid}_{secrets.token_hex(32)}"
    for _ in range(MAX_FAILURES):
        with pytest.raises(Denied):
            guard.tokens.authenticate(wrong, as_="alice", command="approve")
    for tok in (wrong, alice):
        with pytest.raises(Paused) as e:
            guard.tokens.authenticate(tok, as_="alice", command="approve")
        assert e.value.exit_code == 7 and e.value.message == f"too many failed authentications; retry in {int(WINDOW_S)}s"
    limited = [d for d in events(bus, "auth.denied") if d["data"]["reason"] == "rate limited"]
    assert len(limited) == 2 and limited[0]["rules"] == ["ORG-AUTH-RATE-LIMIT"]
    # the lock-out is on that token only: a fresh token of alice's works at once
    assert guard.tokens.authenticate(issue("alice"), as_="alice", command="approve").actor == "alice"
    # the window passes: the right token works again and clears the count
    clock.now += WINDOW_S + 1
    assert guard.tokens.authenticate(alice, as_="alice", command="approve").actor == "alice"
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(Denied):
            guard.tokens.authenticate(wrong, as_="alice", command="approve")
    assert guard.tokens.authenticate(alice, as_="alice", command="approve").actor == "alice"
    with pytest.raises(Denied):  # the count started again: one more failure is not yet the limit
        guard.tokens.authenticate(wrong, as_="alice", command="approve")
    assert guard.tokens.authenticate(alice, as_="alice", command="approve").actor == "alice"


def _failure_rows(bus) -> list:
    return bus.store.read(lambda tx: tx.x("SELECT key, failures FROM org_auth_failures").all())


def test_garbage_under_someones_name_cannot_lock_them_out(bus, guard, issue):
    """Bad tokens with `--as alice` (unknown ids, malformed) are refused (exit 4) but lock nobody out and
    leave no row behind: the failure table cannot grow with made-up names or ids."""
    from org.identity.tokens import MAX_FAILURES

    alice = issue("alice")
    garbage = [f"orgp_{secrets.token_hex(8)}_{secrets.token_hex(32)}" for _ in range(3 * MAX_FAILURES)]
    garbage += ["x", "orgp_", "' OR 1=1 --", alice[:-1]]
    for i, g in enumerate(garbage):
        with pytest.raises(Denied) as e:
            guard.tokens.authenticate(g, as_="alice" if i % 2 else f"who-{i}", command="approve")
        assert e.value.exit_code == 4 and e.value.message == "authentication failed"
    assert guard.tokens.authenticate(alice, as_="alice", command="approve").actor == "alice"
    assert _failure_rows(bus) == []


def test_guessing_one_token_id_under_varied_names_is_limited(bus, guard, issue):
    """The id is public (events, `org token list`): guesses at its secret are counted for it whatever
    `--as` each one claims (or none)."""
    from org.identity.tokens import MAX_FAILURES

    rev = issue("rev-gpt")
    _, tid, _ = parse(rev)
    for i in range(MAX_FAILURES):
        with pytest.raises(Denied):
            guard.tokens.authenticate(f"orgp_{tid}_{secrets.token_hex(32)}", as_=[None, "alice", f"x{i}"][i % 3],
                                      command="inbox")
    with pytest.raises(Paused):
        guard.tokens.authenticate(f"orgp_{tid}_{secrets.token_hex(32)}", as_="bob", command="inbox")
    with pytest.raises(Paused):
        guard.tokens.authenticate(rev, command="inbox")
    assert _failure_rows(bus) == [(f"token:{tid}", MAX_FAILURES)]


def test_a_valid_token_under_the_wrong_name_resets_no_count(bus, guard, issue):
    """Someone else's valid token with `--as alice` (refused: as mismatch) neither counts as a guess nor
    clears the failures counted against alice's token."""
    from org.identity.tokens import MAX_FAILURES

    alice, rev = issue("alice"), issue("rev-gpt")
    _, tid, _ = parse(alice)
    _, rid, _ = parse(rev)
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(Denied):
            guard.tokens.authenticate(f"orgp_{tid}_{secrets.token_hex(32)}", as_="alice", command="approve")
    for _ in range(3):
        with pytest.raises(Denied) as e:
            guard.tokens.authenticate(rev, as_="alice", command="approve")
        assert "does not match" in e.value.message
    assert sorted(_failure_rows(bus)) == [(f"token:{tid}", MAX_FAILURES - 1)]  # rev's id: no guess counted
    with pytest.raises(Denied):
        guard.tokens.authenticate(f"orgp_{tid}_{secrets.token_hex(32)}", as_="alice", command="approve")
    with pytest.raises(Paused):
        guard.tokens.authenticate(alice, as_="alice", command="approve")
    assert guard.tokens.authenticate(rev, command="inbox").actor == "rev-gpt" and rid != tid


def test_rate_limited_through_the_cli_is_exit_7_with_no_detail(root):
    from idhelpers import org

    from org.bus import Bus
    from org.identity.tokens import MAX_FAILURES, Tokens

    code, _, err = org(root, "inbox", "--as", "alice")  # her token file exists from here on
    assert code == 0, err
    _, tid, _ = parse(files.read_human_token(root, "alice"))
    bad = f"orgp_{tid}_" + "b" * 64
    code, _, err = org(root, "inbox", "--as", "alice", token=bad)
    assert code == 4 and err == "org: authentication failed\n"
    with Bus.open(root=root) as b:  # the rest of the failures in-process (the same database and pepper): faster
        for _ in range(MAX_FAILURES - 1):
            with pytest.raises(Denied):
                Tokens(b).authenticate(bad, as_="bob", command="inbox")  # whatever --as: counted for the id
    code, doc, err = org(root, "inbox", "--as", "alice", token=bad)
    assert code == 7 and doc["error"] == "paused" and err.startswith("org: too many failed authentications; retry in ")
    assert "alice" not in err and "Traceback" not in err
    code, _, _ = org(root, "inbox", "--as", "alice")  # her own file, the right token: that token is locked
    assert code == 7
    code, _, err = org(root, "inbox", "--as", "bob")  # bob is not affected
    assert code == 0, err
