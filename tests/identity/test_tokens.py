"""Principal tokens: only a peppered hash is stored, authentication comes first and leaks nothing,
--as must match, revoked / expired / paused tokens are refused, and every refusal is an audit event."""

from __future__ import annotations

import os
import secrets
import stat

import pytest

from org.errors import Denied, NotFound, Paused
from org.identity import files
from org.identity.tokens import AUTH_FAILED, parse
from tests.helpers import read_token, token_file, write_token
from tests.identity.idhelpers import events


def _dump(bus) -> str:
    def fn(tx):
        out = []
        for t in ("org_tokens", "events", "bus_meta"):
            for row in tx.x(f"SELECT * FROM {t}").all():
                out.append(
                    " ".join(
                        bytes(v).decode("utf-8", "replace") if isinstance(v, (bytes, memoryview)) else str(v)
                        for v in row
                    )
                )
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


def test_brute_force_and_malformed_tokens_learn_nothing(bus, guard, issue, slept):
    real = issue("rev-gpt")
    _, tid, secret = parse(real)
    guesses = [
        None,
        "",
        "x",
        "orgp_",
        real[:-1],
        real + "0",
        real.upper(),
        f"orgj_{tid}_{secret}",
        f"orgp_{tid}_{secrets.token_hex(32)}",
        "orgp_" + "0" * 16 + "_" + "0" * 64,
        "' OR 1=1 --",
        "\x00" * 10,
        "orgp_" + "é" * 80,
    ]
    guesses += [f"orgp_{secrets.token_hex(8)}_{secrets.token_hex(32)}" for _ in range(100)]
    messages = set()
    before = len(events(bus, "auth.denied"))
    for g in guesses:
        with pytest.raises(Denied) as e:
            guard.principal(g, command="task show") if g else guard.tokens.authenticate(
                g, command="task show"
            )
        messages.add(e.value.message if g else "authentication failed")
        assert e.value.exit_code == 4
    assert messages == {"authentication failed"}
    denied = events(bus, "auth.denied")[before:]
    assert len(denied) == len(guesses)
    assert all(secret not in str(d) and "OR 1=1" not in str(d) for d in denied)
    # each names the id it presented (none for a malformed token), known or not
    presented = [parse(g)[1] if parse(g) else None for g in guesses]
    assert [d["data"]["token_id"] for d in denied] == presented


def test_as_must_match_and_the_attempt_is_audited(bus, guard, issue):
    tok = issue("build-claude")
    with pytest.raises(Denied) as e:
        guard.claim(tok, "builder", "build-gpt")
    assert "does not match" in e.value.message
    ev = events(bus, "auth.denied")[-1]
    assert (
        ev["actor"] == "build-claude"
        and ev["data"]["reason"] == "as mismatch"
        and ev["data"]["as"] == "build-gpt"
    )
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
    assert e.value.message == AUTH_FAILED  # the same words as an unknown token (README; ADR 0080)
    short = issue("rev-gpt", ttl=60)
    assert guard.reader(short, command="task list").actor == "rev-gpt"
    clock.now += 61
    with pytest.raises(Denied) as e:
        guard.reader(short, command="task list")
    assert e.value.message == AUTH_FAILED
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

    with Bus.open(root=root) as b2:
        with pytest.raises(Denied) as e:
            Guard(b2).reader(tok, command="task list")
        assert e.value.message == AUTH_FAILED  # as for an unknown token; the audit keeps why (ADR 0080)
        assert [d["data"]["reason"] for d in events(b2, "auth.denied")] == ["not a member"]


def test_human_token_files_are_owner_only(root, bus, guard):
    from org.identity.bootstrap import first_use_tokens

    made = first_use_tokens(bus)
    assert {m["principal"] for m in made} == {"alice", "bob", "carol"} and all(m["issued"] for m in made)
    p = token_file(root, "alice")
    assert stat.S_IMODE(p.stat().st_mode) == 0o600
    assert guard.principal(None, as_="alice", command="inbox").actor == "alice"  # read from her own file
    again = first_use_tokens(bus)  # past the first use: nothing issued, her file is fine
    assert not any(m["issued"] for m in again) and {m["status"] for m in again} == {"ok"}
    with pytest.raises(Denied):
        guard.principal(None, as_="build-claude", command="claim")  # agents have no token file
    p.chmod(0o644)
    from org.errors import UsageError

    with pytest.raises(UsageError) as e:
        guard.principal(None, as_="alice", command="inbox")
    assert "chmod 600" in e.value.message


@pytest.mark.slow
def test_a_token_folder_open_to_others_or_a_foreign_file_is_refused_through_the_cli(root):
    """Token files are 0600 in a 0700 folder; a looser folder, a symlink or a group bit is refused (exit 2)
    with the fix, and no traceback; writing a token tightens a folder of ours."""
    from tests.identity.idhelpers import org

    code, _, err = org(root, "inbox", "--as", "alice")  # first use makes alice's own file
    assert code == 0, err
    p = token_file(root, "alice")
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
    write_token(root, "bob", "orgp_" + "0" * 16 + "_" + "0" * 64)
    assert stat.S_IMODE(p.parent.stat().st_mode) == 0o700  # writing a token tightens a folder of ours
    code, _, err = org(root, "inbox", "--as", "alice")
    assert code == 0, err


def _failure_rows(bus) -> list:
    return sorted(bus.store.read(lambda tx: tx.x("SELECT key, failures FROM org_auth_failures").all()))


@pytest.fixture
def slept(guard):
    """The waits failed authentications asked for (recorded instead of slept)."""
    waits: list[float] = []
    guard.tokens.sleep = waits.append
    return waits


def test_nobody_can_lock_a_token_out_and_guessing_is_slowed(bus, guard, issue, slept):
    """H1: a flood of wrong secrets for alice's (public) token id never refuses her right secret; each failure
    is exit 4 "authentication failed", an auth.denied event naming the presented id, and waits longer the
    more failures that id had in the window (up to MAX_DELAY_S)."""
    from org.identity.tokens import FREE_FAILURES, MAX_DELAY_S, failure_delay

    alice = issue("alice")
    _, tid, secret = parse(alice)
    before = len(events(bus, "auth.denied"))
    for _ in range(4 * FREE_FAILURES + 7):
        with pytest.raises(Denied) as e:
            guard.tokens.authenticate(f"orgp_{tid}_{secrets.token_hex(32)}", as_="alice", command="approve")
        assert e.value.exit_code == 4 and e.value.message == "authentication failed"
        # the right secret works after every single failure: no lock-out, and it waits for nothing
        waits = len(slept)
        assert guard.tokens.authenticate(alice, as_="alice", command="approve").actor == "alice"
        assert len(slept) == waits
    assert slept == [failure_delay(n) for n in range(FREE_FAILURES + 1, 4 * FREE_FAILURES + 8)]
    assert slept[0] > 0 and slept == sorted(slept) and max(slept) == MAX_DELAY_S
    denied = events(bus, "auth.denied")[before:]
    assert len(denied) == 4 * FREE_FAILURES + 7
    assert all(d["data"]["token_id"] == tid and d["data"]["reason"] == "bad secret" for d in denied)
    assert secret not in str(denied)
    assert _failure_rows(bus) == [(f"token:{tid}", 4 * FREE_FAILURES + 7)]


def test_a_known_and_an_unknown_id_fail_alike(bus, guard, issue, slept):
    """No oracle: the same exit, message, count and wait whether the presented id exists or not."""
    from org.identity.tokens import FREE_FAILURES

    _, known, _ = parse(issue("bob"))
    unknown = secrets.token_hex(8)
    seen = {}
    for tid in (known, unknown):
        out = []
        del slept[:]
        for _ in range(FREE_FAILURES + 4):
            with pytest.raises(Denied) as e:
                guard.tokens.authenticate(f"orgp_{tid}_{secrets.token_hex(32)}", as_="bob", command="inbox")
            out.append((e.value.exit_code, e.value.message, e.value.detail))
        seen[tid] = (out, list(slept))
    assert seen[known] == seen[unknown]
    assert _failure_rows(bus) == sorted(
        [(f"token:{known}", FREE_FAILURES + 4), (f"token:{unknown}", FREE_FAILURES + 4)]
    )
    ids = [d["data"]["token_id"] for d in events(bus, "auth.denied")]
    assert ids.count(known) == ids.count(unknown) == FREE_FAILURES + 4


def test_the_failure_table_is_bounded_and_forgets_old_failures(bus, guard, clock, slept, monkeypatch):
    """Made-up ids each add a row, but the table keeps at most MAX_FAILURE_ROWS (the newest) and drops rows
    older than the window; malformed tokens are never counted (nor slowed: no secret to guess), so a flood
    of them slows nobody, and each is still an auth.denied event."""
    from org.identity import tokens as tk

    monkeypatch.setattr(tk, "MAX_FAILURE_ROWS", 5)
    ids = [secrets.token_hex(8) for _ in range(8)]
    for tid in ids:
        clock.now += 1
        with pytest.raises(Denied):
            guard.tokens.authenticate(f"orgp_{tid}_{'0' * 64}", command="inbox")
    assert {k for k, _ in _failure_rows(bus)} == {f"token:{t}" for t in ids[-5:]}
    denied = len(events(bus, "auth.denied"))
    for junk in ["x", "orgp_", "' OR 1=1 --"] * 5:
        with pytest.raises(Denied) as e:
            guard.tokens.authenticate(junk, command="inbox")
        assert e.value.message == "authentication failed" and e.value.exit_code == 4
    assert {k for k, _ in _failure_rows(bus)} == {f"token:{t}" for t in ids[-5:]} and slept == []
    assert [e["data"]["reason"] for e in events(bus, "auth.denied")[denied:]] == ["malformed"] * 15
    clock.now += tk.WINDOW_S + 1
    with pytest.raises(Denied):
        guard.tokens.authenticate(f"orgp_{ids[0]}_{'0' * 64}", command="inbox")
    assert _failure_rows(bus) == [(f"token:{ids[0]}", 1)]  # everything older than the window went


def test_failures_age_out_of_the_window(bus, guard, issue, clock, slept):
    from org.identity.tokens import FREE_FAILURES, WINDOW_S

    _, tid, _ = parse(issue("rev-gpt"))
    wrong = f"orgp_{tid}_{'1' * 64}"
    for _ in range(FREE_FAILURES + 2):
        with pytest.raises(Denied):
            guard.tokens.authenticate(wrong, command="inbox")
    assert len(slept) == 2
    clock.now += WINDOW_S + 1
    with pytest.raises(Denied):
        guard.tokens.authenticate(wrong, command="inbox")
    assert len(slept) == 2 and _failure_rows(bus) == [(f"token:{tid}", 1)]  # a new window, no wait


def test_a_valid_token_under_the_wrong_name_counts_no_guess(bus, guard, issue, slept):
    """Someone else's valid token with `--as alice` is refused (as mismatch) but is no failed authentication:
    nothing counted, no wait."""
    rev = issue("rev-gpt")
    for _ in range(6):
        with pytest.raises(Denied) as e:
            guard.tokens.authenticate(rev, as_="alice", command="approve")
        assert "does not match" in e.value.message
    assert _failure_rows(bus) == [] and slept == []


@pytest.mark.slow
def test_failed_authentication_through_the_cli_is_exit_4_with_no_detail_and_really_waits(root):
    """Through the real entry point: a wrong secret for alice's real id and one for a made-up id answer the
    same (exit 4, one line); past FREE_FAILURES each really waits; alice's own file still works."""
    import time

    from org.bus import Bus
    from org.identity.tokens import FREE_FAILURES, MAX_DELAY_S, Tokens, failure_delay
    from tests.identity.idhelpers import org

    code, _, err = org(root, "inbox", "--as", "alice")  # her token file exists from here on
    assert code == 0, err
    _, tid, _ = parse(read_token(root, "alice"))
    answers = set()
    for bad in (f"orgp_{tid}_" + "b" * 64, f"orgp_{secrets.token_hex(8)}_" + "b" * 64):
        code, doc, err = org(root, "inbox", "--as", "alice", token=bad)
        answers.add((code, doc["error"], err))
    assert answers == {(4, "denied", "org: authentication failed\n")}
    bad = f"orgp_{tid}_" + "c" * 64
    # failures in-process (the same database and pepper, without their waits) until the next one waits the
    # longest: MAX_DELAY_S, well above what a CLI call costs without any wait (under 1 s here)
    nth = FREE_FAILURES + 6
    assert failure_delay(nth) == MAX_DELAY_S >= 2.0
    with Bus.open(root=root) as b:
        t = Tokens(b)
        t.sleep = lambda _s: None
        for _ in range(nth - 2):  # the one for alice's id above counted too
            with pytest.raises(Denied):
                t.authenticate(bad, as_="bob", command="inbox")
    t0 = time.monotonic()
    code, _, err = org(root, "inbox", "--as", "alice", token=bad)
    assert code == 4 and err == "org: authentication failed\n"
    assert time.monotonic() - t0 >= failure_delay(nth)
    code, _, err = org(root, "inbox", "--as", "alice")  # her own file, the right token: never locked out
    assert code == 0, err


def test_token_events_name_the_token_id_and_never_its_secret(bus, guard, issue, slept):
    """Low (b): token.issued, token.revoked and auth.denied show WHICH token (its public id); a canary secret
    is stored nowhere, and the redactor keeps nothing but an id under a token_id key."""
    canary = issue("alice")
    _, tid, secret = parse(canary)
    with pytest.raises(Denied):
        guard.tokens.authenticate(f"orgp_{tid}_{secrets.token_hex(32)}", command="inbox")  # a guess at it
    guard.tokens.issue("rev-gpt", by="alice", note=f"for the reviewer; alice's is {canary}, token={secret}")
    issue("bob")  # a human stays able to resume (ADR 0057), so alice's token may be revoked
    guard.tokens.revoke(token_id=tid, by="bob")
    got = {
        e["type"]: e["data"]["token_id"]
        for e in events(bus, "token.issued", "token.revoked", "auth.denied")
        if e["data"].get("principal") in ("alice", None)
    }
    assert got == {"token.issued": tid, "auth.denied": tid, "token.revoked": tid}
    dump = _dump(bus)
    assert tid in dump and secret not in dump and canary not in dump
    r = bus.ctx.redactor
    assert r.value({"token_id": tid, "job_token_id": tid}) == {"token_id": tid, "job_token_id": tid}
    for leak in (canary, secret, secret[:16].upper(), "hunter2-hunter2"):
        assert r.value({"token_id": leak}) == {"token_id": "[redacted]"}
    assert r.value({"token": tid}) == {"token": "[redacted]"}  # a bare "token" stays a secret's name


def test_a_token_id_is_revoked_in_any_case_and_a_second_revoke_revokes_nothing(bus, guard, issue):
    tok = issue("rev-gemini")
    tid = parse(tok)[1]
    assert guard.tokens.revoke(token_id=f" {tid.upper()} ", by="alice") == [tid]
    assert (
        guard.tokens.revoke(token_id=tid.upper(), by="alice") == []
    )  # known, already revoked: not "no token"
    with pytest.raises(NotFound):
        guard.tokens.revoke(token_id="f" * 16, by="alice")
