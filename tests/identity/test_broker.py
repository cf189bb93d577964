"""The credential broker end to end through the real `org`: a broker process (`org broker serve`) holds the
secrets; `org credential use` clients, whose environment has none, get decide() first, the secret used only
for an allowed call (checked at a loopback server), the same answer for everything refused, and canary
secrets nowhere: not in the database, not in any command's stdout or stderr, not in any file the org writes."""

from __future__ import annotations

import base64
import http.server
import json
import os
import subprocess
import sys
import threading
import urllib.parse
import uuid

import pytest

from org.bus import Bus
from org.identity.bootstrap import first_use_tokens
from org.identity.guard import Guard
from tests.helpers import run_org, wrong_token
from tests.identity.idhelpers import org


class _Handler(http.server.BaseHTTPRequestHandler):
    disable_nagle_algorithm = True
    seen: list = []

    def _answer(self) -> None:
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode() if n else ""
        self.seen.append(
            {
                "method": self.command,
                "path": self.path,
                "auth": self.headers.get("Authorization"),
                "body": body,
            }
        )
        auth = self.headers.get("Authorization") or ""
        if self.path.endswith("/big"):  # an answer longer than the broker keeps, the secret across its cut
            from org.identity.broker import MAX_BODY

            self._send(("a" * (MAX_BODY - 12) + auth + " and " + "b" * 5000).encode())
            return
        out = json.dumps(
            {
                "echo": auth,
                "path": self.path,  # a careless service, echoing it in every which way
                "lower": auth.lower(),
                "upper": auth.upper(),
                "b64": base64.b64encode(auth.encode()).decode(),
                "url": urllib.parse.quote(auth, safe=""),
            }
        ).encode()
        self._send(out)

    def _send(self, out: bytes) -> None:
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


SECRET_VARS = ("ORG_SECRET_GITHUB", "ORG_SECRET_JIRA", "ORG_SECRET_DEPLOY", "ORG_SECRET_PROD_DB")


@pytest.fixture
def broker(broker_org, monkeypatch):
    """A real `org broker serve` process holding canary secrets that no other process of the test has."""
    from org.identity.brokerclient import BrokerProcess, socket_path

    for v in SECRET_VARS:
        monkeypatch.delenv(v, raising=False)  # clients (run_org inherits os.environ) get none of them
    gh, jira = "cnry-gh-" + uuid.uuid4().hex, "cnry-jira-" + uuid.uuid4().hex
    env = {**os.environ, "ORG_ROOT": str(broker_org), "ORG_SECRET_GITHUB": gh, "ORG_SECRET_JIRA": jira}
    db = f"sqlite:///{broker_org / '.org' / 'org.db'}"
    # stopped, its pipes closed, whatever happens (a live child left to the garbage collector fails whichever test
    # is running when it comes)
    with subprocess.Popen(
        [sys.executable, "-m", "org", "broker", "serve"],
        env=env,
        cwd=broker_org,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        b = BrokerProcess(proc, socket_path(broker_org, db))
        try:
            info = b.ready()
            assert info is not None and info["pid"] == proc.pid, (
                proc.stderr.read() if proc.poll() is not None else ""
            )
            yield gh, jira, b
        finally:
            b.stop()
        out, err = proc.communicate()
    assert gh not in out + err and jira not in out + err and "Traceback" not in err
    assert not b.path.exists()  # the socket goes with the broker


@pytest.mark.slow
def test_broker_uses_secrets_only_for_allowed_calls_and_never_shows_them(broker_org, server, broker):
    root, (_, seen) = broker_org, server
    gh, jira, _proc = broker
    with Bus.open(root=root) as bus:
        first_use_tokens(bus)
        ops = Guard(bus).tokens.issue("ops-claude", by="test")["token"]
    outs: list[str] = []

    def run(*args, token=None):
        code, doc, err = org(root, *args, token=token)
        outs.append(json.dumps(doc) + err)
        return code, doc, err

    code, t, _ = run(
        "task",
        "add",
        "Rebuild dev",
        "--workflow",
        "ops",
        "--as",
        "alice",  # alice's own token file
        "--set",
        "environment=dev",
        "--set",
        "disposable=true",
        "--set",
        "irreversible=false",
    )
    assert code == 0, t
    code, c, _ = run("claim", "--lane", "operator", "--as", "ops-claude", token=ops)
    assert code == 0 and c["task"] == t["task"] and c["gate"] == "plan"
    task = t["task"]
    code, _, err = run("credential", "use", "github", "--service", "github", "--task", task, token=c["token"])
    assert code == 4, err  # planning is not using: a job token takes only its gate's actions (ADR 0110)
    with Bus.open(root=root) as bus:  # the plan names the call; the executing job carries it out
        g = Guard(bus)
        g.submit(
            c["token"],
            c["job"],
            "pass",
            note="plan",
            content=plan_of(("github", "POST", "/repos/x/pulls", '{"title": "x"}')),
        )
        c2, jt = g.claim(ops, "operator", "ops-claude")
        assert c2.task == task and c2.gate == "execute"
    base = ("credential", "use")
    code, r, _ = run(
        *base,
        "github",
        "--service",
        "github",
        "--task",
        task,
        "--method",
        "POST",
        "--path",
        "/repos/x/pulls",
        "--data",
        '{"title": "x"}',
        token=jt,
    )
    assert code == 0 and r["status"] == 201 and r["ok"]
    assert seen[-1] == {
        "method": "POST",
        "path": "/github/repos/x/pulls",
        "auth": f"Bearer {gh}",
        "body": '{"title": "x"}',
    }
    assert r["body"].count("[redacted:github]") == 5  # the echoing service is scrubbed, in every encoding
    for form in (gh, gh.lower(), gh.upper(), base64.b64encode(gh.encode()).decode()[4:-4]):
        assert form not in r["body"]
    calls = len(seen)
    refused = []
    for args in (
        ("jira", "--service", "github"),  # RED-CREDENTIAL-REUSE
        ("nope", "--service", "github"),  # no such credential
        ("github", "--service", "nosuch"),  # no such service
        ("deploy-key", "--service", "deploy"),
    ):  # allowed, but its secret is not set here
        refused.append(run(*base, *args, "--task", task, token=jt))
    assert {(c_, json.dumps(d), e) for c_, d, e in refused} == {
        (
            4,
            json.dumps({"ok": False, "error": "denied", "message": "the broker refused this request"}),
            "org: the broker refused this request\n",
        )
    }
    assert len(seen) == calls  # nothing was called for any refused request
    code, _, err = run(
        *base, "github", "--service", "github", "--task", task, "--path", "http://evil/", token=jt
    )
    assert code == 2 and "--path" in err
    # an agent's principal token, or a bad token, gets nothing
    code, _, err = run(*base, "github", "--service", "github", "--task", task, token=ops)
    assert code == 4 and "job token" in err
    code, _, err = run(*base, "github", "--service", "github", "--task", task, token=wrong_token(jt, 4))
    assert code == 4 and err == "org: authentication failed\n"
    # credential use outside dev needs a human; alice approves with her own token file
    with Bus.open(root=root) as bus:
        g = Guard(bus)
        t2 = g.add_task(
            None,
            "Staging fix",
            "ops",
            by="alice",
            attributes={"environment": "staging", "irreversible": False},
        )["task"]
        jt2 = executing(g, ops, t2, plan_of(("github", "GET", "/", None)), reviewer="sec-gemini")
    code, r, _ = run(*base, "github", "--service", "github", "--task", t2, token=jt2)
    assert code == 6 and r["error"] == "needs_approval"
    code, r, _ = run("approve", t2, "--as", "bob", "--action", "credential.use", "--note", "ok")
    assert code == 0
    code, r, _ = run(*base, "github", "--service", "github", "--task", t2, token=jt2)
    assert code == 0 and r["decision"]["approved_by"] == "bob" and seen[-1]["auth"] == f"Bearer {gh}"
    code, shown, _ = run("task", "show", task, "--as", "bob")
    assert code == 0 and [e["type"] for e in shown["timeline"]].count("credential.used") == 1
    decided = [e for e in shown["timeline"] if e["type"] == "action.decided"]
    assert decided[0]["rules"] == ["ORG-GATE-SCOPE"]  # at the plan gate
    assert [e["rules"] for e in decided[2:6]] == [
        ["RED-CREDENTIAL-REUSE"],
        ["ORG-CREDENTIAL-UNAVAILABLE"],
        ["RED-CREDENTIAL-REUSE"],
        [],
    ]
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


def _status(root) -> dict:
    code, doc, err = org(root, "broker", "status")
    assert code == 0, err
    return doc


@pytest.mark.slow
def test_the_security_agents_credential_reuse_is_refused_without_reading_a_secret(broker_org, server, broker):
    """RED-CREDENTIAL-REUSE binds the security lane's agent at the broker too: refused before any secret is read."""
    root, (_, seen) = broker_org, server
    gh, jira, proc = broker
    with Bus.open(root=root) as bus:
        first_use_tokens(bus)
        g = Guard(bus)
        build, sec = (g.tokens.issue(a, by="test")["token"] for a in ("build-claude", "sec-gemini"))
        task = g.add_task(None, "Retry webhooks", "change", by="alice", attributes={"kind": "code"})["task"]
        for _gate in ("spec", "implement"):
            c, jt = g.claim(build, "builder", "build-claude")
            g.submit(jt, c.job, "pass", note="done", content="+++ b/x.py\n+ok\n")
        c, sec_job = g.claim(sec, "security", "sec-gemini")
        assert c.task == task and c.gate == "security"
    before = _status(root)
    code, doc, err = org(
        root, "credential", "use", "jira", "--service", "github", "--task", task, token=sec_job
    )
    assert (code, doc["message"], err) == (
        4,
        "the broker refused this request",
        "org: the broker refused this request\n",
    )
    after = _status(root)
    assert after["secrets_resolved"] == before["secrets_resolved"] and seen == []
    assert after["requests"] == before["requests"] + 2 and after["refusals"] == before["refusals"] + 1
    # the same job token for its own service: a security review asks for no credential use (ADR 0110), so
    # no human's approval makes one, and no secret is read
    code, doc, _ = org(
        root, "credential", "use", "github", "--service", "github", "--task", task, token=sec_job
    )
    assert code == 4 and _status(root)["secrets_resolved"] == after["secrets_resolved"]
    code, _, err = org(root, "approve", task, "--as", "bob", "--action", "credential.use", "--note", "scan")
    assert code == 3, err  # no request was opened: there is nothing to approve
    code, doc, _ = org(
        root, "credential", "use", "github", "--service", "github", "--task", task, token=sec_job
    )
    assert code == 4 and seen == [] and _status(root)["secrets_resolved"] == after["secrets_resolved"]
    with Bus.open(root=root) as bus:
        decided = [e for e in bus.events_since(0, task=task, types=("action.decided",), limit=1000)]
    assert [e["rules"][-1] for e in decided] == ["RED-CREDENTIAL-REUSE", "ORG-GATE-SCOPE", "ORG-GATE-SCOPE"]
    assert [e["decision"] for e in decided] == ["deny"] * 3
    assert all(e["auth"]["principal"] == "sec-gemini" and e["auth"]["via"] == "job" for e in decided)


def test_no_broker_running_is_a_clear_exit_7(root):
    code, doc, err = org(
        root,
        "credential",
        "use",
        "github",
        "--service",
        "github",
        "--task",
        "T-1",
        token="orgj_" + "0" * 16 + "_" + "0" * 64,
    )
    assert code == 7 and doc["error"] == "paused" and "org broker serve" in err and "Traceback" not in err
    code, _, err = org(root, "broker", "status")
    assert code == 7 and "not running" in err


def test_the_broker_socket_is_private_and_a_second_broker_is_refused(broker_org, broker):
    import stat

    _gh, _jira, b = broker
    st, dst = b.path.stat(), b.path.parent.stat()
    assert stat.S_ISSOCK(st.st_mode) and st.st_mode & 0o777 == 0o600 and dst.st_mode & 0o777 == 0o700
    r = run_org("broker", "serve", root=broker_org, timeout=60)
    assert r.returncode == 2 and "already serves" in r.stderr
    assert _status(broker_org)["pid"] == b.pid  # and the first one is untouched


def test_the_broker_answers_garbage_with_a_usage_error(broker):
    import socket

    _gh, _jira, b = broker
    use = b'{"op": "use", "token": "x", "credential": "github", "service": "s", "task": "T-1", "attributes": '
    for raw in (
        b"not json\n",
        b'{"op": "use", "credential": 5}\n',
        b'["ping"]\n',
        b"[" * 50_000 + b"\n",  # nested past the stack
        b'{"op": "ping", "x": NaN}\n',
        use + b'{"k": Infinity}}\n',
        use + b'{"k": ' + str(10**30).encode() + b"}}\n",
    ):
        s = socket.socket(socket.AF_UNIX)
        s.connect(str(b.path))
        s.sendall(raw)
        doc = json.loads(s.makefile().readline())
        s.close()
        assert doc["ok"] is False and doc["error"] == "usage" and doc["exit_code"] == 2


def _daemon(root, db_url: str, **kw):
    import tempfile
    from pathlib import Path

    from org.config.loader import load_org
    from org.identity.brokerd import BrokerDaemon

    sock = Path(tempfile.mkdtemp(prefix="orgb-")) / "b.sock"  # short: a Unix socket path is at most 107 bytes
    return BrokerDaemon(root, db_url, load_org(root), socket_file=sock, **kw)


def test_the_unauthenticated_ping_shows_the_database_without_its_password(root):
    d = _daemon(root, "postgresql://u:secretpw@127.0.0.1:5999/orgdb")
    doc = d.handle({"op": "ping"})
    assert doc["ok"] is True and doc["result"]["db"] == "postgresql://u@127.0.0.1:5999/orgdb"
    assert "secretpw" not in json.dumps(doc)
    d.path.parent.rmdir()


def _dropped_within(s, seconds: float, drip: bool) -> bool:
    """Does the server close this connection within `seconds` (sending a byte every 0.2 s if `drip`)?"""
    import time

    t0 = time.monotonic()
    s.settimeout(0.2)
    while time.monotonic() - t0 < seconds:
        try:
            if drip:
                s.sendall(b" ")
            if s.recv(100) == b"":
                return True
        except TimeoutError:
            continue
        except OSError:  # reset or broken pipe: dropped
            return True
    return False


def test_a_client_that_never_ends_its_line_is_dropped(root):
    """A same-user client that sends no newline (or drips bytes) is disconnected at the read deadline, and
    the broker still answers the next client."""
    import socket

    from org.identity.brokerclient import request

    d = _daemon(root, f"sqlite:///{root / '.org' / 'org.db'}", read_timeout=0.5)
    d.bind()
    th = threading.Thread(target=d.serve, daemon=True)
    th.start()
    try:
        for drip in (False, True):
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(str(d.path))
                s.sendall(b'{"op": "pi')
                assert _dropped_within(s, 3.0, drip), (
                    "the broker kept a connection without a request line open"
                )
        assert request(d.path, {"op": "ping"}, timeout=5)["pid"] == os.getpid()
    finally:
        d.stop()
        th.join(5)
        d.path.parent.rmdir()


def plan_of(*calls: tuple[str, str, str, str | None]) -> str:
    """A plan naming credential.use calls (credential, method, path, body), each on the credential's own service."""
    services = {"github": "github", "jira": "jira", "deploy-key": "deploy"}
    acts = [
        {
            "action": "credential.use",
            "attributes": {"credential": cred, "service": services.get(cred, cred)},
            "call": {"method": m, "path": p, "body": b},
        }
        for cred, m, p, b in calls
    ]
    return "1. make the calls\nactions: " + json.dumps(acts)


def executing(g, ops: str, task: str, plan: str, *, reviewer: str | None = None) -> str:
    """The job token of ops-claude's claim of the task's execute gate, after it planned `plan` (and, above the
    light path, `reviewer`'s security review passed it): a job token uses a credential only where its gate
    asks for it, carrying out an approved plan (ADR 0110)."""
    c, jt = g.claim(ops, "operator", "ops-claude")
    assert c.task == task and c.gate == "plan"
    g.submit(jt, c.job, "pass", note="plan", content=plan)
    if reviewer:
        c, sj = g.claim(g.tokens.issue(reviewer, by="test")["token"], "security", reviewer)
        g.submit(sj, c.job, "pass", note="ok")
    c, jt = g.claim(ops, "operator", "ops-claude")
    assert c.task == task and c.gate == "execute", c
    return jt


def _dev_job(bus, *paths: str):
    """(a Guard, a dev ops task, the job token of ops-claude's claim of its execute gate, carrying out a plan
    that names a GET with github of each of `paths`)."""
    first_use_tokens(bus)
    g = Guard(bus)
    ops = g.tokens.issue("ops-claude", by="test")["token"]
    task = g.add_task(
        None,
        "Rebuild dev",
        "ops",
        by="alice",
        attributes={"environment": "dev", "disposable": True, "irreversible": False},
    )["task"]
    jt = executing(g, ops, task, plan_of(*(("github", "GET", p, None) for p in paths)))
    return g, task, jt


@pytest.mark.parametrize(
    "path",
    [
        "/../confluence/rest",
        "/%2e%2e/confluence",
        "/%2E%2e/x",
        "/a/%2E/b",
        "/a/./b",
        "/a/..",
        "/a/.%2e/b",
        "/a\\b",
        "/a%5Cb",
        "/a%5c..%5cb",
        "/.",
        "//evil/x",
    ],
)
def test_the_broker_refuses_paths_that_leave_the_credentials_base(broker_org, server, path):
    """Dot segments (raw or percent-encoded, any case) and backslashes are refused before anything is decided,
    resolved or sent: a normalising proxy would resolve them out of the credential url's base path."""
    from org.errors import UsageError
    from org.identity.broker import Broker, Secrets

    root, (_, seen) = broker_org, server
    with Bus.open(root=root) as bus:
        g, task, jt = _dev_job(bus, "/a/.b/..c", "/a/b.json?x=..", "/a/...%2e")
        head = bus.head()
        secrets = Secrets({"ORG_SECRET_GITHUB": "cnry-" + uuid.uuid4().hex})
        b = Broker(bus, g, secrets)
        with pytest.raises(UsageError, match="no '.' or '..' segments"):
            b.call(jt, credential="github", service="github", task=task, path=path)
        assert secrets.resolved == 0 and seen == []
        assert not [
            e for e in bus.events_since(head, limit=100) if e["type"].startswith(("action.", "credential."))
        ]
        # the same characters where they are no dot segment still pass
        for ok in ("/a/.b/..c", "/a/b.json?x=..", "/a/...%2e"):
            b.call(jt, credential="github", service="github", task=task, path=ok)
        assert [s["path"] for s in seen] == [
            "/github" + p for p in ("/a/.b/..c", "/a/b.json?x=..", "/a/...%2e")
        ]


def test_a_secret_across_the_body_limit_is_scrubbed_whole(broker_org, server):
    """The broker scrubs the answer before cutting it at MAX_BODY: no head of a secret is left at the cut."""
    from org.identity.broker import MAX_BODY, Broker, Secrets

    root = broker_org
    gh = "cnry-gh-" + uuid.uuid4().hex
    with Bus.open(root=root) as bus:
        g, task, jt = _dev_job(bus, "/big")
        r = Broker(bus, g, Secrets({"ORG_SECRET_GITHUB": gh})).call(
            jt, credential="github", service="github", task=task, path="/big"
        )
    body = r["body"]
    assert r["truncated"] and len(body) == MAX_BODY and body.endswith("a" * 100 + "Bearer [reda")
    assert gh[:8] not in body and "cnry" not in body


def test_a_failed_authentications_wait_holds_no_database_connection(root, monkeypatch):
    """The throttle's wait for a bad token happens after the daemon's bus went back to its pool, so a flood of
    bad tokens makes threads wait, not hold freshly opened database connections."""
    from org.identity import tokens

    monkeypatch.setattr(tokens, "FREE_FAILURES", 0)
    d = _daemon(root, f"sqlite:///{root / '.org' / 'org.db'}")
    with Bus.open(root=root) as bus:
        first_use_tokens(bus)
    pooled: list[tuple[float, int]] = []
    d.sleep = lambda s: pooled.append((s, d._pool.qsize()))
    bad = "orgj_" + "0" * 16 + "_" + "0" * 64
    for _ in range(3):
        doc = d.handle(
            {"op": "use", "token": bad, "credential": "github", "service": "github", "task": "T-1"}
        )
        assert doc["exit_code"] == 4 and doc["message"] == "authentication failed"
    assert [n for _s, n in pooled] == [1, 1, 1] and all(
        s > 0 for s, _n in pooled
    )  # one bus, back in the pool
    assert pooled[2][0] > pooled[0][0]  # and the waits still grow
    while not d._pool.empty():
        d._pool.get_nowait().close()
    d.path.parent.rmdir()


@pytest.mark.parametrize("fresh", [True, False])
def test_a_request_without_a_token_never_speaks_for_a_human_through_the_brokers_files(root, fresh):
    """The broker authenticates only the token it is sent: a request naming `as: alice` with no token is exit 4,
    neither reading alice's token file on the broker's account nor making the humans' files on a fresh database."""
    from org.identity import files
    from org.identity.tokens import Tokens

    d = _daemon(root, f"sqlite:///{root / '.org' / 'org.db'}")
    with Bus.open(root=root) as bus:
        if not fresh:
            first_use_tokens(bus)  # alice's own file exists on this account
        db = Tokens(bus).db()
        before = bus.store.read(
            lambda tx: tx.x("SELECT COUNT(*) FROM events WHERE type = 'token.issued'").scalar()
        )
    doc = d.handle({"op": "use", "as": "alice", "credential": "jira", "service": "jira", "task": "T-1"})
    assert doc["ok"] is False and doc["exit_code"] == 4, doc
    with Bus.open(root=root) as bus:
        after = bus.store.read(
            lambda tx: tx.x("SELECT COUNT(*) FROM events WHERE type = 'token.issued'").scalar()
        )
        denied = bus.store.read(
            lambda tx: tx.x("SELECT COUNT(*) FROM events WHERE type = 'auth.denied'").scalar()
        )
    assert after == before and denied >= 1
    assert (files.read_human_token(root, "alice", db) is None) is fresh
    while not d._pool.empty():
        d._pool.get_nowait().close()
    d.path.parent.rmdir()
