"""Identity through the real `org`: init makes the humans' tokens, so approvals need no token handling;
`org token issue|list|revoke`; an agent cannot issue tokens; everything refused is exit 4 without detail."""

from __future__ import annotations

import stat
import uuid

import pytest

from org.identity import files
from tests.helpers import read_token, run_org, token_file
from tests.identity.idhelpers import org


@pytest.mark.slow
def test_init_then_tokens_without_touching_them(tmp_path):
    dest = tmp_path / "neworg"
    code, out, _ = org(tmp_path, "init", str(dest))
    assert code == 0 and sorted(x["principal"] for x in out["extra"]) == ["alice", "bob", "carol"]
    for x in out["extra"]:
        assert stat.S_IMODE(token_file(dest, x["principal"]).stat().st_mode) == 0o600
        assert x["token_file"].startswith(str(files.config_home()))
    code, t, _ = org(dest, "task", "add", "Ship", "--workflow", "change", "--as", "alice")
    assert code == 0
    code, issued, _ = org(dest, "token", "issue", "--for", "build-claude", "--as", "alice", "--ttl", "1h")
    assert code == 0 and issued["token"].startswith("orgp_") and issued["expires_at"]
    agent = issued["token"]
    code, out, err = org(dest, "token", "issue", "--as", "rev-gpt", token=agent)  # agents never issue tokens
    assert code == 4 and "human" in err
    # a human issues another human's token: shown once for bob to save on his own account, never written to
    # the issuer's files (on separate OS accounts alice must not end up holding bob's approving token)
    before = read_token(dest, "bob")
    code, out, err = org(dest, "token", "issue", "--for", "bob", "--as", "alice")
    assert code == 0 and out["token"].startswith("orgp_") and "token_file" not in out, err
    assert out["save_with"] == "org token save --as bob" and read_token(dest, "bob") == before
    r = run_org("token", "issue", "--for", "bob", "--as", "alice", root=dest)
    assert r.returncode == 0 and "org token save --as bob" in r.stdout and "not saved here" in r.stdout
    code, saved, err = org(dest, "token", "save", "--as", "bob", token=out["token"])  # bob, on his account
    assert (
        code == 0
        and saved["token_file"] == str(token_file(dest, "bob"))
        and out["id"] in read_token(dest, "bob")
    )
    code, _, err = org(dest, "inbox", "--as", "bob")
    assert code == 0, err
    code, own, err = org(
        dest, "token", "issue", "--for", "bob", "--as", "bob"
    )  # one's own: saved, not printed
    assert code == 0 and "token" not in own and own["token_file"] == str(token_file(dest, "bob")), err
    assert own["id"] in read_token(dest, "bob")
    code, c, _ = org(dest, "claim", "--lane", "builder", "--as", "build-claude", token=agent)
    assert code == 0 and c["token"].startswith("orgj_") and c["task"] == t["task"]
    code, listed, _ = org(dest, "token", "list", "--as", "bob", "--jobs")
    mine = next(p for p in listed["principals"] if p["principal"] == "build-claude")
    assert [tk["kind"] for tk in mine["tokens"]] == ["principal", "job"]
    assert agent not in str(listed) and c["token"] not in str(listed)
    code, out, _ = org(dest, "token", "revoke", "--actor", "build-claude", "--as", "alice")
    assert code == 0 and len(out["revoked"]) == 2
    for args, tok in (
        (("task", "list"), agent),
        (("submit", str(c["job"]), "--verdict", "pass"), c["token"]),
    ):
        code, out, err = org(dest, *args, token=tok)
        assert code == 4 and err == "org: authentication failed\n", err  # as for a token that never existed
    unknown = "orgp_" + "0" * 16 + "_" + "0" * 64
    code, _, err_unknown = org(dest, "task", "list", token=unknown)
    assert code == 4 and err_unknown == err


@pytest.mark.slow
def test_malformed_and_guessed_tokens_get_exit_4_and_nothing_else(root):
    code, _, err = org(root, "task", "add", "t", "--workflow", "change", "--as", "build-claude")
    assert code == 4 and "authentication required" in err  # an agent has no token file
    code, _, _ = org(root, "task", "add", "t", "--workflow", "change", "--as", "alice")
    assert code == 0  # a fresh org (never a token) makes the humans' token files on first use, like init
    assert (token_file(root, "bob")).is_file()
    outs = set()
    for tok in ("x" * 5000, "orgj_" + uuid.uuid4().hex[:16] + "_" + "f" * 64):
        for args in (
            ("task", "show", "T-1"),
            ("task", "show", "T-424242"),
            ("approve", "T-1", "--as", "alice"),
            ("submit", "1", "--verdict", "pass"),
        ):
            code, doc, err = org(root, *args, token=tok)
            outs.add((code, doc["message"], err))
    assert outs == {(4, "authentication failed", "org: authentication failed\n")}
