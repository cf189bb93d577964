"""The agents' bus socket (org.identity.busd, org.runtime.busclient) with real processes and a real database:
an agent that holds no database works through it; what a hostile or broken client sends (a forged token, an
operation the socket does not offer, oversized and malformed frames, a claim it walks away from, a line it
never finishes) is refused or cleaned up, and the server goes on serving."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time

import pytest

from org.bus import Bus
from org.errors import Conflict, Denied, NotFound, UsageError
from org.identity.bootstrap import first_use_tokens
from org.identity.busd import MAX_FRAME, OPERATIONS, BusServer
from org.identity.guard import NOT_EXPOSED, Guard
from org.runtime import Sandbox, busclient, probe
from org.runtime.busclient import BusClient, BusGone

BUILDER = "build-claude"


class Org:
    def __init__(self, root):
        self.root = root
        self.url = f"sqlite:///{root / '.org' / 'org.db'}"
        with Bus.open(self.url, root=root) as bus:
            first_use_tokens(bus)
            g = Guard(bus, token_files=False)
            self.alice = g.tokens.issue("alice", by="test")["token"]
            self.agent = g.tokens.issue(BUILDER, by="test")["token"]
            self.other = g.tokens.issue("build-gpt", by="test")["token"]
            self.task = g.add_task(self.alice, "Socket test", "change", by="alice")["task"]

    def rows(self, sql: str) -> list[tuple]:
        with Bus.open(self.url, root=self.root) as bus:
            return [tuple(r) for r in bus.store.read(lambda tx: tx.x(sql).all())]

    def events(self) -> list[tuple]:
        return self.rows("SELECT seq, type FROM events ORDER BY seq")


@pytest.fixture
def org(org_copy):
    return Org(org_copy)


@pytest.fixture
def server(org, tmp_path):
    path = tmp_path / "bus.sock"
    with BusServer(org.url, root=org.root, path=path, read_timeout=1.0) as srv:
        srv.sleep = lambda _s: None  # a bad token's throttle, not the test's time
        yield srv


def _raw(path, data: bytes, *, close_write: bool = False) -> list[dict]:
    """Send bytes on a new connection; every answer line until the server closes it (or 1 answer is read
    and the client closes)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(30)
        s.connect(str(path))
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before the last bytes of an oversized line: read its answer
        else:
            if close_write:
                s.shutdown(socket.SHUT_WR)
        out = b""
        while True:
            chunk = s.recv(1 << 16)
            if not chunk:
                break
            out += chunk
    return [json.loads(x) for x in out.splitlines() if x.strip()]


def test_the_socket_offers_exactly_the_doors_agent_operations():
    assert set(OPERATIONS) <= set(Guard.OPERATIONS), "every socket operation is a door operation"
    assert not set(OPERATIONS) & set(NOT_EXPOSED)
    assert tuple(OPERATIONS) == busclient.OPERATIONS, "client and server offer the same operations"
    for op in OPERATIONS:  # the client's method has the door's name
        assert callable(getattr(BusClient, op)) and callable(getattr(Guard, op))
    # the issue's words: claim, heartbeat, show, submit, release, fail, act, explain, events
    assert {"claim", "heartbeat", "task", "timeline", "submit", "release", "fail", "act"} <= set(OPERATIONS)
    assert {"rehearse_act", "events_since"} <= set(OPERATIONS)
    # nothing a human or the operator does: approvals, switches, sweeps, tokens, budgets, raw usage
    for op in (
        "approve",
        "reject",
        "pause",
        "resume",
        "sweep",
        "add_task",
        "record_usage",
        "reserve",
        "audit_verify",
    ):
        assert op not in OPERATIONS


AGENT = r"""
import json, os, sys
from org.runtime.busclient import BusClient
tok, task = sys.argv[1], sys.argv[2]
out = {"db_env": sorted(k for k in os.environ if "DATABASE" in k)}
with BusClient() as bus:
    c, jt = bus.claim(tok, "builder", "build-claude", lease_seconds=120)
    out["claim"] = [c.job, c.task, c.gate, jt[:5]]
    out["heartbeat"] = bus.heartbeat(jt, c.job, lease_seconds=200)["job"]
    out["show"] = bus.task(tok, task)["task"]
    out["timeline"] = len(bus.timeline(tok, task)) > 0
    out["explain"] = bus.rehearse_act(tok, "code.write", "build-claude", task)["decision"]["outcome"]
    out["act"] = bus.act(jt, "spec.write", None, task)["decision"]["outcome"]  # the spec gate's action
    out["events"] = len(bus.events_since(tok, 0, task=task)) > 0
    out["submit"] = bus.submit(jt, c.job, "pass", note="done over the socket")["verdict"]
print(json.dumps(out))
"""


def test_an_agent_without_the_database_works_through_the_socket(org, server):
    env = {"PATH": os.environ.get("PATH", ""), busclient.SOCKET_ENV: str(server.path)}
    p = subprocess.run(
        [sys.executable, "-c", AGENT, org.agent, org.task],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["db_env"] == []
    assert out["claim"][1:] == [org.task, "spec", "orgj_"]
    assert out["show"] == org.task and out["timeline"] and out["events"]
    assert out["act"] == "allow" and out["explain"] == "allow" and out["submit"] == "pass"
    # every event the agent caused carries its own token's identity, none the server's
    with Bus.open(org.url, root=org.root) as bus:
        evs = [e for e in bus.events_since(0, limit=10_000) if e["type"] in ("job.claimed", "work.submitted")]
    assert evs and all((e.get("auth") or {}).get("principal") == BUILDER for e in evs)


def test_forged_and_misused_tokens_are_refused_and_change_nothing(org, server):
    with BusClient(server.path) as bus:
        c, jt = bus.claim(org.agent, "builder", BUILDER)
        before = org.rows("SELECT id, status, token FROM jobs")
        forged = "orgj_" + "0" * 16 + "_" + "0" * 64
        for tok in (None, "", "hunter2", forged, org.agent, org.alice):
            with pytest.raises(Denied):
                bus.submit(tok, c.job, "pass")
        with pytest.raises(Denied):  # a job token for another job
            bus.release(jt, c.job + 1000, reason="not mine")
        with pytest.raises(Denied):  # a claim as someone else than the token says
            bus.claim(org.agent, "builder", "build-gpt")
        with pytest.raises(Denied):  # a name in the request is not an identity: the token is
            bus.act(org.agent, "code.write", BUILDER, org.task)
        assert org.rows("SELECT id, status, token FROM jobs") == before
        bus.release(jt, c.job, reason="test over")
        with pytest.raises(Conflict):  # the job token died with the lease
            bus.heartbeat(jt, c.job)


@pytest.mark.parametrize(
    "op",
    [
        "approve",
        "reject",
        "pause",
        "sweep",
        "add_task",
        "claim_many",
        "post_jobs",
        "record_usage",
        "config",
        "__class__",
    ],
)
def test_an_operation_the_socket_does_not_offer_is_refused_before_the_door(org, server, op):
    head = org.events()
    [answer] = _raw(
        server.path, json.dumps({"op": op, "token": org.alice, "args": {}}).encode() + b"\n", close_write=True
    )
    assert answer["ok"] is False and answer["exit_code"] == 2 and answer["error"] == "usage"
    assert org.events() == head
    with pytest.raises(UsageError, match="not offered"):  # the client has no way to it either
        getattr(BusClient(server.path), op.strip("_") or "x")(org.alice)


@pytest.mark.parametrize(
    "line",
    [
        b"not json",
        b"[1, 2, 3]",
        b"{}",
        b'{"op": "claim"}',
        b'{"op": "claim", "token": 5, "args": {"lane": "builder"}}',
        b'{"op": "claim", "token": "x", "args": "lane=builder"}',
        b'{"op": "claim", "token": "x", "args": {"lane": 7}}',
        b'{"op": "heartbeat", "token": "x", "args": {"job": true}}',
        b'{"op": "claim", "token": "x", "args": {"lane": "builder", "mint": "evil"}}',
        b'{"op": "act", "token": "x", "args": {"action": "a", "task": "T-1", "attributes": {"k": [1]}}}',
        b'{"op": "events_since", "token": "x", "args": {"types": [1]}}',
        "\u00ff\u00fe".encode("latin-1"),
    ],
)
def test_malformed_frames_get_a_usage_error_and_the_connection_goes_on(org, server, line):
    good = json.dumps({"op": "task", "token": org.alice, "args": {"task": org.task}}).encode()
    answers = _raw(server.path, line + b"\n" + good + b"\n", close_write=True)
    assert [a["ok"] for a in answers] == [False, True]
    assert answers[0]["exit_code"] == 2 and answers[1]["result"]["task"] == org.task


def test_an_oversized_frame_is_refused_and_its_connection_closed(org, server):
    head = org.events()
    answers = _raw(server.path, b'{"op": "task", "token": "' + b"x" * (MAX_FRAME + 10))
    assert len(answers) == 1 and answers[0]["exit_code"] == 2 and "at most" in answers[0]["message"]
    assert org.events() == head
    with BusClient(server.path) as bus:  # others are served as before
        assert bus.task(org.alice, org.task)["task"] == org.task


def test_a_line_never_finished_is_dropped_and_others_are_served(org, server):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(str(server.path))
        s.sendall(b'{"op": "claim", "tok')  # and nothing more
        s.settimeout(60)
        assert s.recv(100) == b""  # closed by the server, without an answer
    with BusClient(server.path) as bus:
        assert bus.task(org.alice, org.task)["task"] == org.task


def test_a_client_that_walks_away_mid_claim_does_not_keep_the_job(org, server):
    req = json.dumps({"op": "claim", "token": org.agent, "args": {"lane": "builder", "as": BUILDER}})
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(str(server.path))
        s.sendall(req.encode() + b"\n")
    # the server claims, cannot deliver the answer, and hands the job back at once
    deadline = time.monotonic() + 60
    while server.counts["undelivered_claims"] == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.counts["undelivered_claims"] == 1
    assert org.rows("SELECT status FROM jobs WHERE lane = 'builder'") == [("queued",)]
    types = [t for _, t in org.events()]
    assert types[-2:] == ["job.claimed", "job.released"]
    with BusClient(server.path) as bus:  # and the next agent gets it
        c, _jt = bus.claim(org.other, "builder", "build-gpt")
        assert c.task == org.task


def test_a_server_that_is_gone_says_so(org, tmp_path):
    path = tmp_path / "bus.sock"
    srv = BusServer(org.url, root=org.root, path=path).start()
    bus = BusClient(path)
    assert bus.task(org.alice, org.task)["task"] == org.task
    srv.stop()
    with pytest.raises(BusGone, match="gone") as e:
        bus.task(org.alice, org.task)
    assert e.value.exit_code == 7
    with pytest.raises(BusGone):
        BusClient(tmp_path / "nothing.sock").task(org.alice, org.task)


def test_a_client_without_a_socket_says_what_is_missing(monkeypatch):
    monkeypatch.delenv(busclient.SOCKET_ENV, raising=False)
    with pytest.raises(UsageError, match="ORG_BUS_SOCKET"):
        BusClient()


def test_nothing_to_claim_and_a_missing_task_keep_their_exit_codes(org, server):
    with BusClient(server.path) as bus:
        with pytest.raises(NotFound):
            bus.task(org.alice, "T-999")
        bus.claim(org.agent, "builder", BUILDER)
        with pytest.raises(NotFound) as e:
            bus.claim(org.other, "builder", "build-gpt")
        assert e.value.exit_code == 3


@pytest.mark.parametrize("door", ["socket", "in process"])
def test_a_waiting_claim_says_so_once_after_it_looked(org, server, door):
    """on_wait() (`org claim --wait` prints its waiting line from it) is never called when a job is there, and
    called once when a first look found nothing; a job posted from it is the one the wait then claims."""
    said: list[str] = []

    def post() -> None:
        said.append("waiting")
        with Bus.open(org.url, root=org.root) as b:
            said.append(b.add_task("Posted while it waits", "change", attributes={"kind": "docs"})["task"])

    with contextlib.ExitStack() as stack:
        if door == "socket":
            client = stack.enter_context(BusClient(server.path))
        else:
            client = Guard(stack.enter_context(Bus.open(org.url, root=org.root)), token_files=False)
        c, _ = client.claim(org.agent, "builder", BUILDER, wait_seconds=60, on_wait=post)
        assert c.task == org.task and said == []
        c, _ = client.claim(org.other, "builder", "build-gpt", wait_seconds=60, on_wait=post)
        assert said == ["waiting", c.task], said


SANDBOXED = r"""
import json, os, sqlite3, sys
from org.runtime.busclient import BusClient
tok, task, db = sys.argv[1], sys.argv[2], sys.argv[3]
out = {}
try:
    sqlite3.connect(f"file:{db}?mode=ro", uri=True).execute("SELECT 1 FROM events").fetchall()
    out["db"] = "opened"
except Exception as exc:
    out["db"] = type(exc).__name__
with BusClient("/run/org/bus.sock") as bus:
    c, jt = bus.claim(tok, "builder", "build-claude")
    out["submit"] = bus.submit(jt, c.job, "pass", note="from the room")["verdict"]
print(json.dumps(out))
"""


@pytest.mark.skipif(not probe()[0], reason="no working bubblewrap here")
def test_a_sandboxed_agent_reaches_the_bus_only_through_the_socket(org, server, tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    db = org.root / ".org" / "org.db"
    with Sandbox(ws, sockets={"bus": server.path}) as sb:
        r = sb.run([sys.executable, "-c", SANDBOXED, org.agent, org.task, str(db)], timeout=60)
    assert r.returncode == 0, r.stderr.decode()
    out = json.loads(r.stdout)
    assert out == {"db": "OperationalError", "submit": "pass"}


@pytest.mark.skipif(not probe()[0], reason="no working bubblewrap here")
def test_org_claim_and_submit_work_for_an_agent_in_its_room_over_the_socket(org, server, tmp_path):
    """The CLI an agent uses: with ORG_BUS_SOCKET set it opens no database (there is none in the room) and
    keeps its exit codes; a human's operation is refused plainly."""
    ws = tmp_path / "ws"
    ws.mkdir()
    with Sandbox(ws, sockets={"bus": server.path}, env={"ORG_BUS_SOCKET": "/run/org/bus.sock"}) as sb:
        claim = sb.run(
            [
                sys.executable,
                "-m",
                "org",
                "claim",
                "--lane",
                "builder",
                "--as",
                BUILDER,
                "--token",
                org.agent,
                "--json",
            ],
            timeout=120,
        )
        assert claim.returncode == 0, claim.stderr.decode()
        c = json.loads(claim.stdout)
        assert c["task"] == org.task and c["token"].startswith("orgj_")
        again = sb.run(
            [
                sys.executable,
                "-m",
                "org",
                "claim",
                "--lane",
                "builder",
                "--as",
                BUILDER,
                "--token",
                org.agent,
                "--json",
            ],
            timeout=120,
        )
        assert again.returncode == 3, again.stderr.decode()  # nothing left to claim: exit 3 as ever
        sub = sb.run(
            [
                sys.executable,
                "-m",
                "org",
                "submit",
                str(c["job"]),
                "--verdict",
                "pass",
                "--token",
                c["token"],
                "--json",
            ],
            timeout=120,
        )
        assert sub.returncode == 0, sub.stderr.decode()
        assert json.loads(sub.stdout)["verdict"] == "pass"
        stale = sb.run(
            [sys.executable, "-m", "org", "heartbeat", str(c["job"]), "--token", c["token"], "--json"],
            timeout=120,
        )
        assert stale.returncode == 5, stale.stderr.decode()
        human = sb.run(
            [
                sys.executable,
                "-m",
                "org",
                "approve",
                org.task,
                "--as",
                "alice",
                "--token",
                org.alice,
                "--json",
            ],
            timeout=120,
        )
        assert human.returncode == 2 and b"not offered" in human.stderr + human.stdout
        assert b"Traceback" not in human.stderr


# -- numbers, faults and waits (a hostile agent's token is enough to try each) -------------------------------
def _req(op: str, token: str, args: dict | str) -> bytes:
    body = args if isinstance(args, str) else json.dumps(args)
    return f'{{"op": "{op}", "token": "{token}", "args": {body}}}'.encode()


BIG = str(10**30)


@pytest.mark.parametrize(
    "op,args",
    [
        ("claim", '{"lane": "builder", "wait_seconds": NaN}'),
        ("claim", '{"lane": "builder", "wait_seconds": Infinity}'),
        ("claim", '{"lane": "builder", "wait_seconds": -Infinity}'),
        ("claim", '{"lane": "builder", "wait_seconds": 1e999}'),
        ("claim", '{"lane": "builder", "wait_seconds": -1}'),
        ("claim", '{"lane": "builder", "wait_seconds": 1e300}'),
        ("claim", '{"lane": "builder", "lease_seconds": NaN}'),
        ("heartbeat", '{"job": ' + BIG + "}"),
        ("heartbeat", '{"job": 1, "lease_seconds": -5}'),
        ("events_since", '{"after": ' + BIG + "}"),
        ("events_since", '{"after": 0, "limit": -1}'),
        ("wait_for_decision", '{"approval": ' + BIG + "}"),
        ("wait_for_decision", '{"approval": 1, "timeout": NaN}'),
        ("act", '{"action": "a", "task": "T-1", "attributes": {"k": NaN}}'),
        ("act", '{"action": "a", "task": "T-1", "attributes": {"k": ' + BIG + "}}"),
        ("submit", '{"job": 1, "verdict": "pass", "findings": [{"line": NaN}]}'),
    ],
)
def test_a_number_that_is_not_finite_or_out_of_range_is_refused_before_the_door(org, server, op, args):
    head = org.events()
    good = json.dumps({"op": "task", "token": org.alice, "args": {"task": org.task}}).encode()
    answers = _raw(server.path, _req(op, org.agent, args) + b"\n" + good + b"\n", close_write=True)
    assert [a["ok"] for a in answers] == [False, True], answers
    assert answers[0]["exit_code"] == 2 and answers[0]["error"] == "usage"
    assert org.events() == head


def test_a_frame_nested_too_deep_gets_an_answer(org, server):
    good = json.dumps({"op": "task", "token": org.alice, "args": {"task": org.task}}).encode()
    answers = _raw(server.path, b"[" * 200_000 + b"\n" + good + b"\n", close_write=True)
    assert [a["ok"] for a in answers] == [False, True] and answers[0]["exit_code"] == 2


def test_an_unexpected_fault_is_answered_and_the_door_is_not_reused(org, server, monkeypatch, capfd):
    real, broken, closed = Guard.task, [], []
    close = Guard.close
    monkeypatch.setattr(Guard, "close", lambda self: (closed.append(self), close(self)))

    def boom(self, *a, **kw):
        broken.append(self)
        raise RuntimeError("boom /secret/path")

    monkeypatch.setattr(Guard, "task", boom)
    req = json.dumps({"op": "task", "token": org.alice, "args": {"task": org.task}}).encode()
    answers = _raw(server.path, req + b"\n", close_write=True)
    monkeypatch.setattr(Guard, "task", real)
    answers += _raw(server.path, req + b"\n", close_write=True)
    assert [a["ok"] for a in answers] == [False, True]
    assert answers[0]["error"] == "internal" and answers[0]["exit_code"] == 1
    assert "secret" not in answers[0]["message"]
    assert (
        broken and closed == broken[:1]
    )  # the door that faulted is closed (its connection with it), not pooled
    assert "Traceback" not in capfd.readouterr().err


def _send(path, req: bytes) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(60)
    s.connect(str(path))
    s.sendall(req + b"\n")
    return s


def _answers(socks: list[socket.socket], n: int) -> dict[socket.socket, dict]:
    """The first n answers among socks (whichever come), each socket's one line."""
    import select

    got: dict[socket.socket, dict] = {}
    deadline = time.monotonic() + 120  # a bound against hanging, not a timing assertion
    while len(got) < n and time.monotonic() < deadline:
        ready, _, _ = select.select([s for s in socks if s not in got], [], [], 1.0)
        for s in ready:
            line = b""
            while not line.endswith(b"\n"):
                chunk = s.recv(1 << 16)
                if not chunk:
                    break
                line += chunk
            got[s] = json.loads(line)
    return got


def test_waits_hold_no_door_and_a_principal_has_few_of_them(org, server):
    """More waiting claims than the server has doors: every other request is still served; a principal's
    waits beyond its share are refused at once; a waiter is woken by the work it waits for."""
    from org.identity.busd import MAX_BUSES, MAX_WAITS_PER_PRINCIPAL

    with Bus.open(org.url, root=org.root) as bus:
        g = Guard(bus, token_files=False)
        tokens = {m: g.tokens.issue(m, by="test")["token"] for m in ("rev-gpt", "rev-gemini", "sec-gemini")}
    tokens |= {BUILDER: org.agent, "build-gpt": org.other}
    lanes = {BUILDER: "builder", "build-gpt": "builder", "rev-gpt": "reviewer", "rev-gemini": "reviewer"}
    lanes["sec-gemini"] = "security"
    with BusClient(server.path) as bus:
        c, jt = bus.claim(org.other, "builder", "build-gpt")  # the builder lane is empty now
    assert len(tokens) * MAX_WAITS_PER_PRINCIPAL > MAX_BUSES
    socks = {}
    for m, tok in tokens.items():
        for _ in range(MAX_WAITS_PER_PRINCIPAL + 1):
            args = {"lane": lanes[m], "as": m, "wait_seconds": 60}
            socks[_send(server.path, _req("claim", tok, args))] = m
    try:
        refused = _answers(list(socks), len(tokens))  # one too many of each principal's
        assert sorted(socks[s] for s in refused) == sorted(tokens)
        assert all(
            a["ok"] is False and a["exit_code"] == 5 and "wait" in a["message"] for a in refused.values()
        )
        for _ in range(3):  # everyone else is served while they wait (a read, a write)
            with BusClient(server.path) as bus:
                assert bus.task(org.alice, org.task)["task"] == org.task
        waiting = [s for s in socks if s not in refused]
        with BusClient(server.path) as bus:
            bus.submit(jt, c.job, "pass", note="built")  # the review gate's jobs are posted
        woken = _answers(waiting, 1)
        ((s, a),) = woken.items()
        assert a["ok"] is True and a["result"]["claim"]["task"] == org.task  # the next gate's job
    finally:
        for s in socks:
            s.close()


def test_the_bus_refuses_a_wait_that_is_not_a_number(org):
    with Bus.open(org.url, root=org.root) as bus:
        bus.claim("builder", BUILDER)
        for wait in (float("nan"), "nan"):
            with pytest.raises(UsageError):
                bus.claim("builder", "build-gpt", wait_seconds=wait)
            with pytest.raises(UsageError):
                bus.wait_for_events(0, wait)
            with pytest.raises(UsageError):
                bus.wait_for_decision(1, wait)
        with pytest.raises(NotFound):  # an infinite wait is a long one, not a loop that never looks
            bus.claim("builder", "build-gpt", wait_seconds=float("-inf"))


def test_org_claim_wait_nan_is_a_usage_error(org):
    from tests.helpers import run_org

    with Bus.open(org.url, root=org.root) as bus:
        bus.claim("builder", BUILDER)  # nothing left to claim: the wait is what is tried
    r = run_org(
        "claim",
        "--lane",
        "builder",
        "--as",
        "build-gpt",
        "--wait",
        "nan",
        "--json",
        root=org.root,
        env={"ORG_TOKEN": org.other},
        timeout=30,
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr, (r.returncode, r.stderr)


def test_on_postgresql_a_wait_is_woken_outside_the_doors_and_a_fault_leaves_no_transaction(
    org_copy, tmp_path, monkeypatch
):
    import uuid

    import psycopg

    from tests.bus.bushelpers import pg_url_or_skip

    base = pg_url_or_skip()
    schema = "org_busd_" + uuid.uuid4().hex[:12]
    with psycopg.connect(base, autocommit=True) as c:
        c.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    try:
        with Bus.open(url, root=org_copy) as bus:
            first_use_tokens(bus)
            g = Guard(bus, token_files=False)
            alice = g.tokens.issue("alice", by="test")["token"]
            agent = g.tokens.issue(BUILDER, by="test")["token"]
        with BusServer(url, root=org_copy, path=tmp_path / "bus.sock") as srv:
            srv.sleep = lambda _s: None
            waiting = _send(
                srv.path, _req("claim", agent, {"lane": "builder", "as": BUILDER, "wait_seconds": 60})
            )
            try:
                # served while the claim waits; the task posted then wakes the claim
                with BusClient(srv.path) as client, pytest.raises(NotFound):
                    client.task(alice, "T-9")
                with Bus.open(url, root=org_copy) as bus:
                    task = Guard(bus, token_files=False).add_task(alice, "pg wait", "change", by="alice")[
                        "task"
                    ]
                (a,) = _answers([waiting], 1).values()
                assert a["ok"] is True and a["result"]["claim"]["task"] == task
            finally:
                waiting.close()
            real = Guard.task
            monkeypatch.setattr(  # a fault inside a transaction
                Guard,
                "task",
                lambda self, *a, **k: self._bus.store.read(lambda tx: (tx.x("SELECT 1"), 1 / 0)),
            )
            req = json.dumps({"op": "task", "token": alice, "args": {"task": task}}).encode()
            answers = _raw(srv.path, req + b"\n", close_write=True)
            monkeypatch.setattr(Guard, "task", real)
            answers += _raw(srv.path, req + b"\n", close_write=True)
            assert [x["ok"] for x in answers] == [False, True] and answers[0]["error"] == "internal"
            with psycopg.connect(base, autocommit=True) as c:  # no door of the server sits in a transaction
                locks = c.execute(
                    "SELECT count(*) FROM pg_locks l JOIN pg_class r ON r.oid = l.relation "
                    "JOIN pg_namespace n ON n.oid = r.relnamespace WHERE n.nspname = %s",
                    (schema,),
                ).fetchone()
            assert locks == (0,)
    finally:
        with psycopg.connect(base, autocommit=True) as c:
            c.execute(f'DROP SCHEMA "{schema}" CASCADE')


def test_a_finding_with_an_infinite_number_is_refused(org, server):
    """Review finding: 1e999 parses to infinity and was stored in the job's findings as bare `Infinity`
    (invalid JSON for the next reader and for PostgreSQL jsonb)."""
    with BusClient(server.path) as bus:
        c, jt = bus.claim(org.agent, "builder", BUILDER)
    args = json.dumps(
        {"job": c.job, "verdict": "pass", "content": "x", "findings": [{"line": 1, "note": "n"}]}
    )
    line = (
        '{"op": "submit", "token": "'
        + jt
        + '", "args": '
        + args.replace('"line": 1', '"line": 1e999')
        + "}\n"
    )
    (answer,) = _raw(server.path, line.encode(), close_write=True)
    assert answer["ok"] is False and answer["exit_code"] == 2, answer
    assert org.rows("SELECT status FROM jobs WHERE lane = 'builder'") == [("leased",)]


def test_the_tool_ledger_and_the_revision_read_go_over_the_socket(org, server):
    """A job's holder records its tool calls over the socket (ADR 0231); a revision is read only by a review job
    and only where the server reads git (ADR 0232): a build job's token is refused, never a pass-through."""
    from org.errors import UsageError

    with BusClient(server.path) as c:
        claim, jt = c.claim(org.agent, "builder", BUILDER)
        entry = {
            "tool": "read_file",
            "args_sha256": "ab" * 8,
            "result": "ok",
            "latency_ms": 1.0,
            "decision": "allow",
        }
        assert c.record_tool_call(jt, claim.job, entry)["recorded"] is True
        with pytest.raises(UsageError):  # more than the ledger holds
            c.record_tool_call(jt, claim.job, {**entry, "args": {"path": "x"}})
        with pytest.raises(UsageError):  # no workspaces on this server, and a build job at that
            c.revision_read(jt, claim.job, "list")
    rows = org.rows("SELECT type FROM events WHERE type = 'tool.called'")
    assert rows == [("tool.called",)]
