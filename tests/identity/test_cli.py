"""Identity through the real `org`: init makes the humans' tokens, so approvals need no token handling;
`org token issue|list|revoke`; an agent cannot issue tokens; everything refused is exit 4 without detail."""

from __future__ import annotations

import stat
import uuid

from idhelpers import org

from org.identity import files


def test_init_then_tokens_without_touching_them(tmp_path):
    dest = tmp_path / "neworg"
    code, out, _ = org(tmp_path, "init", str(dest))
    assert code == 0 and sorted(x["principal"] for x in out["extra"]) == ["alice", "bob"]
    for x in out["extra"]:
        assert stat.S_IMODE(files.human_token_path(dest, x["principal"]).stat().st_mode) == 0o600
        assert x["token_file"].startswith(str(files.config_home()))
    code, t, _ = org(dest, "task", "add", "Ship", "--workflow", "change", "--by", "alice")
    assert code == 0
    code, issued, _ = org(dest, "token", "issue", "--as", "build-claude", "--by", "alice", "--ttl", "1h")
    assert code == 0 and issued["token"].startswith("orgp_") and issued["expires_at"]
    agent = issued["token"]
    code, out, err = org(dest, "token", "issue", "--as", "rev-gpt", token=agent)  # agents never issue tokens
    assert code == 4 and "human" in err
    # a human issues another human's token: saved where bob's commands on this machine read it, not printed
    code, out, err = org(dest, "token", "issue", "--as", "bob", "--by", "alice")
    assert code == 0 and "token" not in out and out["token_file"] == str(files.human_token_path(dest, "bob")), err
    assert out["id"] in files.read_human_token(dest, "bob")
    code, _, err = org(dest, "inbox", "--as", "bob")
    assert code == 0, err
    code, c, _ = org(dest, "claim", "--lane", "builder", "--as", "build-claude", token=agent)
    assert code == 0 and c["token"].startswith("orgj_") and c["task"] == t["task"]
    code, listed, _ = org(dest, "token", "list", "--by", "bob", "--jobs")
    mine = next(p for p in listed["principals"] if p["principal"] == "build-claude")
    assert [tk["kind"] for tk in mine["tokens"]] == ["principal", "job"]
    assert agent not in str(listed) and c["token"] not in str(listed)
    code, out, _ = org(dest, "token", "revoke", "--actor", "build-claude", "--by", "alice")
    assert code == 0 and len(out["revoked"]) == 2
    for args, tok in ((("task", "list"), agent), (("submit", str(c["job"]), "--verdict", "pass"), c["token"])):
        code, out, err = org(dest, *args, token=tok)
        assert code == 4 and "revoked" in err


def test_malformed_and_guessed_tokens_get_exit_4_and_nothing_else(root):
    code, _, err = org(root, "task", "add", "t", "--workflow", "change", "--by", "build-claude")
    assert code == 4 and "authentication required" in err  # an agent has no token file
    code, _, _ = org(root, "task", "add", "t", "--workflow", "change", "--by", "alice")
    assert code == 0  # a fresh org (never a token) makes the humans' token files on first use, like init
    assert (files.human_token_path(root, "bob")).is_file()
    outs = set()
    for tok in ("x" * 5000, "orgj_" + uuid.uuid4().hex[:16] + "_" + "f" * 64):
        for args in (("task", "show", "T-1"), ("task", "show", "T-424242"), ("approve", "T-1", "--as", "alice"),
                     ("submit", "1", "--verdict", "pass")):
            code, doc, err = org(root, *args, token=tok)
            outs.add((code, doc["message"], err))
    assert outs == {(4, "authentication failed", "org: authentication failed\n")}
