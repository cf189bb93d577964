"""Trust on first use (ADR 0058): humans' tokens are made without authentication only on a database that
never held a human's principal token; after that only a human issues them, a revoked human is never re-issued,
and a stale or missing token file says what to do."""

from __future__ import annotations

import secrets

import pytest

from org.identity import files
from org.identity.tokens import parse
from tests.helpers import read_token, token_file, write_token, wrong_token
from tests.identity.idhelpers import events, org


def _issued(bus) -> list[str]:
    return [e["data"]["principal"] for e in events(bus, "token.issued")]


def test_first_use_issues_once_and_never_again(bus):
    from org.identity.bootstrap import first_use_tokens

    made = first_use_tokens(bus)
    assert [(m["principal"], m["issued"]) for m in made] == [("alice", True), ("bob", True), ("carol", True)]
    token_file(bus.ctx.root, "bob").unlink()
    again = first_use_tokens(bus)  # what `org run`, `org init`, the agents' session and the demo call
    assert [(m["principal"], m["issued"], m["status"]) for m in again] == [
        ("alice", False, "ok"),
        ("bob", False, "missing"),
        ("carol", False, "ok"),
    ]
    assert _issued(bus) == ["alice", "bob", "carol"]


def test_an_agent_token_first_does_not_skip_the_humans_first_use(root):
    """`org run` starts its agent host (which issues the agents' tokens) while the supervisor prepares: only a
    human's token ends the first use, so agents' tokens landing first never leave the humans without theirs."""
    from org.bus import Bus
    from org.identity.bootstrap import agent_tokens, first_use_tokens

    with Bus.open(root=root) as bus:
        agent_tokens(bus, actors=["build-claude"])
    code, _, err = org(root, "task", "add", "x", "--workflow", "change", "--as", "alice")
    assert code == 0, err
    assert read_token(root, "alice") and read_token(root, "bob")
    with Bus.open(root=root) as bus:
        assert not any(m["issued"] for m in first_use_tokens(bus))  # and it happened once
        assert _issued(bus) == ["build-claude", "alice", "bob", "carol"]


@pytest.mark.slow
def test_another_config_folder_gets_no_human_token_from_a_shared_database(root, monkeypatch, tmp_path):
    """H2: with the org in use, someone with their own ORG_CONFIG_HOME running what `org run` runs gets no
    token for alice, so `org approve --as alice` from there is refused."""
    from org.bus import Bus
    from org.identity.bootstrap import agent_tokens, first_use_tokens, revoke_all

    code, t, err = org(
        root,
        "task",
        "add",
        "prod",
        "--workflow",
        "change",
        "--as",
        "alice",
        "--set",
        "environment=production",
    )
    assert code == 0, err  # first use: alice and bob have their files in the usual config home
    other = tmp_path / "other-config"
    monkeypatch.setenv("ORG_CONFIG_HOME", str(other))
    with Bus.open(root=root) as bus:
        assert not any(m["issued"] for m in first_use_tokens(bus))
        first_use_tokens(
            bus
        )  # the in-process run's own bootstrap (org.agents.session), agents' tokens and all
        revoke_all(bus, agent_tokens(bus))
        assert _issued(bus).count("alice") == 1
    assert not token_file(root, "alice").exists()
    code, _, err = org(root, "approve", t["task"], "--as", "alice", "--note", "not me")
    assert code == 4 and "alice has no token file here" in err and "org token issue --for alice --as" in err


@pytest.mark.slow
def test_a_revoked_human_is_not_reissued_by_org_run(root):
    """H2: `org token revoke --actor alice --as bob`, then `org run`: alice's file still holds the revoked
    token and every command of hers is refused until a human issues her a new one."""
    code, _, err = org(root, "inbox", "--as", "alice")
    assert code == 0, err
    revoked = read_token(root, "alice")
    code, _, err = org(root, "token", "revoke", "--actor", "alice", "--as", "bob")
    assert code == 0, err
    code, _, err = org(root, "run", "--max-jobs", "1")
    assert code == 0, err
    assert read_token(root, "alice") == revoked
    code, _, err = org(root, "inbox", "--as", "alice")
    assert code == 4 and "revoked" in err
    code, out, err = org(root, "token", "issue", "--for", "alice", "--as", "bob")
    assert code == 0 and "token_file" not in out and read_token(root, "alice") == revoked, (
        err
    )  # shown, not saved
    code, _, err = org(root, "token", "save", "--as", "alice", token=out["token"])  # alice saves it
    assert code == 0, err
    code, _, err = org(root, "inbox", "--as", "alice")
    assert code == 0, err


@pytest.mark.slow
def test_a_stale_file_on_a_fresh_database_is_replaced(root):
    """M3: after `rm -rf .org`, the token file from the old database is replaced on first use, so
    `org task add --as alice` and `org tui` work at once."""
    import shutil

    code, _, err = org(root, "inbox", "--as", "alice")
    assert code == 0, err
    old = read_token(root, "alice")
    shutil.rmtree(root / ".org")
    code, _, err = org(root, "task", "add", "x", "--workflow", "change", "--as", "alice")
    assert code == 0, err
    assert read_token(root, "alice") != old
    shutil.rmtree(root / ".org")
    from org.bus import Bus

    Bus.open(root=root).close()  # a database with no token yet
    code, doc, err = org(root, "tui", "--as", "bob")  # --json: authenticates, then says it is interactive
    assert code == 2 and doc["error"] == "usage" and "interactive" in doc["message"], err


@pytest.mark.parametrize("kind", ["unknown id", "wrong secret", "malformed"])
def test_a_file_the_database_does_not_accept_says_what_to_do_and_nothing_more(root, bus, issue, kind):
    """M3: past the first use, a human token file the database does not accept answers with what to do, in
    the same words whatever the reason (no oracle on whether its id exists)."""
    from org.identity.bootstrap import first_use_tokens

    first_use_tokens(bus)
    _, tid, _ = parse(read_token(root, "alice"))
    stale = {
        "unknown id": f"orgp_{secrets.token_hex(8)}_{secrets.token_hex(32)}",
        "wrong secret": f"orgp_{tid}_{secrets.token_hex(32)}",
        "malformed": "not a token",
    }[kind]
    write_token(root, "alice", stale)
    code, doc, err = org(root, "task", "add", "x", "--workflow", "change", "--as", "alice")
    p = token_file(root, "alice")
    assert code == 4 and doc["error"] == "denied"
    assert err == (
        f"org: authentication failed: the token in {p} is not one this org's database accepts (it may "
        "have been revoked, or have expired). Another human of this org issues "
        "alice a new one: 'org token issue --for alice --as THEM', and alice saves it with 'org token save "
        "--as alice'\n"
    )
    assert stale not in err


@pytest.mark.slow
def test_one_human_issues_anothers_token_and_hands_it_over(root, tmp_path):
    """Low (a): bob's file is missing: `org token issue --for bob --as alice` prints bob's token once and writes
    no file (alice's account must never hold bob's token); bob saves it with `org token save` on his account."""
    code, _, err = org(root, "inbox", "--as", "alice")
    assert code == 0, err
    token_file(root, "bob").unlink()
    code, _, err = org(root, "inbox", "--as", "bob")
    assert code == 4 and "bob has no token file here" in err
    code, out, err = org(root, "token", "issue", "--for", "bob", "--as", "alice")
    assert code == 0 and out["token"].startswith("orgp_") and "token_file" not in out, err
    assert not token_file(root, "bob").exists()
    pepper = (files.org_dir(root) / "pepper").read_text()  # accounts sharing a database share its pepper
    elsewhere = {"ORG_CONFIG_HOME": str(tmp_path / "bobs-account"), "ORG_TOKEN_PEPPER": pepper}
    for wrong in (wrong_token(out["token"]), read_token(root, "alice")):  # a typo, or alice's token
        r = org(root, "token", "save", "--as", "bob", env=elsewhere, token=wrong)
        assert r[0] == 4
    code, saved, err = org(root, "token", "save", "--as", "bob", env=elsewhere, token=out["token"])
    assert code == 0 and saved["id"] == out["id"] and out["token"] not in str(saved), err
    code, _, err = org(root, "inbox", "--as", "bob", env=elsewhere)
    assert code == 0, err
    code, _, err = org(root, "inbox", "--as", "alice", env=elsewhere)  # alice's file is not there
    assert code == 4
