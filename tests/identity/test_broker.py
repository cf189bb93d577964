"""The credential broker end to end through the real `org`: decide() first, the secret only for an allowed
call (checked at a loopback server), the same answer for everything refused, and canary secrets nowhere:
not in the database, not in any command's stdout or stderr, not in any file the org writes."""

from __future__ import annotations

import http.server
import json
import threading
import uuid

import pytest
from idhelpers import org

from org.bus import Bus
from org.identity.bootstrap import ensure_human_tokens
from org.identity.guard import Guard


class _Handler(http.server.BaseHTTPRequestHandler):
    disable_nagle_algorithm = True
    seen: list = []

    def _answer(self) -> None:
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode() if n else ""
        self.seen.append({"method": self.command, "path": self.path, "auth": self.headers.get("Authorization"),
                          "body": body})
        out = json.dumps({"echo": self.headers.get("Authorization"), "path": self.path}).encode()  # a careless service
        self.send_response(201 if self.command == "POST" else 200)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = _answer

    def log_message(self, *a) -> None:
        pass


@pytest.fixture
def server():
    _Handler.seen = []
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    yield srv, _Handler.seen
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def broker_org(root, server):
    srv, _ = server
    url = f"http://127.0.0.1:{srv.server_address[1]}"
    p = root / "gates" / "credentials.yaml"
    text = p.read_text()
    for name in ("github", "jira", "deploy-key"):
        text = text.replace(f"  {name}: {{", f"  {name}: {{url: '{url}/{name}', ")
    p.write_text(text)
    return root


def test_broker_uses_secrets_only_for_allowed_calls_and_never_shows_them(broker_org, server, monkeypatch):
    root, (_, seen) = broker_org, server
    gh, jira = "cnry-gh-" + uuid.uuid4().hex, "cnry-jira-" + uuid.uuid4().hex
    monkeypatch.setenv("ORG_SECRET_GITHUB", gh)
    monkeypatch.setenv("ORG_SECRET_JIRA", jira)
    monkeypatch.delenv("ORG_SECRET_DEPLOY", raising=False)
    with Bus.open(root=root) as bus:
        ensure_human_tokens(bus)
        ops = Guard(bus).tokens.issue("ops-claude", by="test")["token"]
    outs: list[str] = []

    def run(*args, token=None):
        code, doc, err = org(root, *args, token=token)
        outs.append(json.dumps(doc) + err)
        return code, doc, err

    code, t, _ = run("task", "add", "Rebuild dev", "--workflow", "ops", "--by", "alice",  # alice's own token file
                     "--set", "environment=dev", "--set", "disposable=true")
    assert code == 0, t
    code, c, _ = run("claim", "--lane", "operator", "--as", "ops-claude", token=ops)
    assert code == 0 and c["task"] == t["task"]
    jt, task = c["token"], t["task"]
    base = ("credential", "use")
    code, r, _ = run(*base, "github", "--service", "github", "--task", task, "--method", "POST", "--path",
                     "/repos/x/pulls", "--data", '{"title": "x"}', token=jt)
    assert code == 0 and r["status"] == 201 and r["ok"]
    assert seen[-1] == {"method": "POST", "path": "/github/repos/x/pulls", "auth": f"Bearer {gh}",
                        "body": '{"title": "x"}'}
    assert "[redacted:github]" in r["body"] and gh not in r["body"]  # the echoing service is scrubbed
    calls = len(seen)
    refused = []
    for args in (("jira", "--service", "github"),      # RED-CREDENTIAL-REUSE
                 ("nope", "--service", "github"),      # no such credential
                 ("github", "--service", "nosuch"),    # no such service
                 ("deploy-key", "--service", "deploy")):  # allowed, but its secret is not set here
        refused.append(run(*base, *args, "--task", task, token=jt))
    assert {(c_, json.dumps(d), e) for c_, d, e in refused} == {
        (4, json.dumps({"ok": False, "error": "denied", "message": "the broker refused this request"}),
         "org: the broker refused this request\n")}
    assert len(seen) == calls  # nothing was called for any refused request
    code, _, err = run(*base, "github", "--service", "github", "--task", task, "--path", "http://evil/", token=jt)
    assert code == 2 and "--path" in err
    # an agent's principal token, or a bad token, gets nothing
    code, _, err = run(*base, "github", "--service", "github", "--task", task, token=ops)
    assert code == 4 and "job token" in err
    code, _, err = run(*base, "github", "--service", "github", "--task", task, token=jt[:-4] + "0000")
    assert code == 4 and err == "org: authentication failed\n"
    # credential use outside dev needs a human; alice approves with her own token file
    with Bus.open(root=root) as bus:
        g = Guard(bus)
        t2 = g.add_task(None, "Staging fix", "ops", by="alice", attributes={"environment": "staging"})["task"]
        c2, jt2 = g.claim(ops, "operator", "ops-claude")
    code, r, _ = run(*base, "github", "--service", "github", "--task", t2, token=jt2)
    assert code == 6 and r["error"] == "needs_approval"
    code, r, _ = run("approve", t2, "--as", "alice", "--action", "credential.use", "--note", "ok")
    assert code == 0
    code, r, _ = run(*base, "github", "--service", "github", "--task", t2, token=jt2)
    assert code == 0 and r["decision"]["approved_by"] == "alice" and seen[-1]["auth"] == f"Bearer {gh}"
    code, shown, _ = run("task", "show", task, "--as", "bob")
    assert code == 0 and [e["type"] for e in shown["timeline"]].count("credential.used") == 1
    decided = [e for e in shown["timeline"] if e["type"] == "action.decided"]
    assert [e["rules"] for e in decided[1:5]] == [["RED-CREDENTIAL-REUSE"], ["ORG-CREDENTIAL-UNAVAILABLE"],
                                                  ["RED-CREDENTIAL-REUSE"], []]
    # the canaries: nowhere in any output, the database, or any file the org wrote
    for o in outs:
        assert gh not in o and jira not in o
    from org.identity.files import config_home

    written = [f for d in (root / ".org", config_home()) for f in d.rglob("*") if f.is_file()]
    written += list(root.rglob("*.log"))
    assert any(f.name == "org.db" for f in written)
    for f in written:
        data = f.read_bytes()
        assert gh.encode() not in data and jira.encode() not in data, f
