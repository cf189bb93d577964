"""`org mcp serve` as a real subprocess, driven by the SDK's own client over stdio and over streamable HTTP (a
port the server picked itself and printed: no race for it), against the run's real bus socket and a real SQLite
org: the same walk on both (claim to a passed review; a same-family reviewer told why it can claim nothing; a
stale review refused; forged and revoked tokens refused; a paused actor's call exits as paused), then what a
broken or hostile client sends (malformed JSON-RPC, unknown tools and methods, wrong types, oversized arguments
and bodies, a client that goes away mid-claim): answered or refused, and nothing is left leased."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import subprocess
import sys
import threading

import httpx2
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from org.errors import UsageError
from org.mcp.server import loopback
from tests.mcp.helpers import org_command, serve_env, structured

FORGED = "orgp_0123456789abcdef_xxxxxxxxxxxxxxxx"


async def call(client, tool: str, **args) -> tuple[bool, dict]:
    r = await client.call_tool(tool, args)
    return bool(r.is_error), structured(r)


def stdio(org, bus_socket):
    def connect(token: str):
        params = StdioServerParameters(
            command=sys.executable,
            args=["-m", "org", "mcp", "serve"],
            env=serve_env(org, bus_socket.path, token),
        )
        return Client(params)

    return connect


@contextlib.contextmanager
def http_server(org, bus_socket, host: str = "127.0.0.1"):
    """`org mcp serve --http HOST:0`: the server binds a free port and says which on stderr."""
    proc = subprocess.Popen(
        [*org_command(), "mcp", "serve", "--http", f"{host}:0"],
        env=serve_env(org, bus_socket.path, None),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    rest: list[str] = []
    drain = threading.Thread(
        target=lambda: rest.extend(proc.stderr), daemon=True
    )  # a full pipe would block it
    try:
        line = proc.stderr.readline()
        assert line.startswith(f"org mcp: serving http://{host}:"), line + proc.stderr.read()
        drain.start()
        yield line.split()[-1]
    finally:
        proc.terminate()
        rc = proc.wait(timeout=60)
        if drain.ident is not None:  # started
            drain.join(timeout=60)
        proc.stderr.close()
        assert rc == 0, "".join(rest)


def over_http(url: str):
    @contextlib.asynccontextmanager
    async def connect(token: str):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with (
            httpx2.AsyncClient(headers=headers) as h,
            Client(streamable_http_client(url, http_client=h)) as client,
        ):
            yield client

    return connect


async def walk(org, connect) -> None:
    t = org.tokens
    async with connect(t["build-claude"]) as b:
        tools = {x.name for x in (await b.list_tools()).tools}
        assert "work_submit" in tools and "review_submit" not in tools
        for gate, content in (("spec", "the spec"), ("implement", "the change")):
            err, claim = await call(b, "work_claim")
            assert not err and claim["gate"] == gate, claim
            assert "orgj_" not in json.dumps(claim)
            err, done = await call(b, "work_submit", job=claim["job"], verdict="pass", content=content)
            assert not err, done
        # stale: a submission for a job no longer held is refused
        err, doc = await call(b, "work_submit", job=claim["job"], verdict="pass", content="again")
        assert err and doc["error"] == "not_found", doc

    async with connect(t["rev-claude"]) as same:
        assert "review_submit" in {x.name for x in (await same.list_tools()).tools}
        err, why = await call(same, "work_claim", lane="reviewer")
        assert err and why["exit_code"] == 3 and "ORG-CROSS-VENDOR" in why["message"], why

    async with connect(t["rev-gpt"]) as r:
        assert "work_submit" not in {x.name for x in (await r.list_tools()).tools}
        err, claim = await call(r, "work_claim", lane="reviewer")
        assert not err and claim["gate"] in ("correctness", "design"), claim
        err, diff = await call(r, "review_diff", job=claim["job"])
        assert not err and diff["diff"]["patch"] == "the change"
        err, stale = await call(r, "review_submit", job=claim["job"], verdict="pass", revision="f" * 16)
        assert err and stale["error"] == "conflict" and stale["exit_code"] == 5, stale
        err, ok = await call(r, "review_submit", job=claim["job"], verdict="pass", revision=diff["revision"])
        assert not err, ok
    with org.door() as door:
        assert door.task(org.alice, org.task)["state"]["gates"][claim["gate"]]["status"] == "passed"

    async with connect(FORGED) as f:
        assert {x.name for x in (await f.list_tools()).tools} == {"whoami"}
        err, doc = await call(f, "work_claim", lane="security")
        assert err and doc["error"] == "denied" and doc["exit_code"] == 4
    with org.door() as door:
        door.tokens.revoke(actor="build-gpt", by="alice")
        door.pause(org.alice, "actor", "sec-gemini", None, note="hold on")
    async with connect(t["build-gpt"]) as revoked:
        err, doc = await call(revoked, "whoami")
        assert err and doc["error"] == "denied"
    async with connect(t["sec-gemini"]) as paused:
        err, doc = await call(paused, "work_claim", lane="security")
        assert err and doc["error"] == "paused" and doc["exit_code"] == 7, doc
    with org.door() as door:
        jobs = door.task(org.alice, org.task)["jobs"]
    assert not [j for j in jobs if j["status"] == "leased"], "every job was finished or handed back"
    denied = [e for e in org.events("auth.denied")]
    assert denied, "the refusals were recorded by the door"


@pytest.mark.slow  # a server process per identity (stdio's identity is its environment's token): ~30 s here
async def test_the_walk_over_stdio(org, bus_socket):
    await walk(org, stdio(org, bus_socket))


async def test_the_walk_over_http(org, bus_socket):
    with http_server(org, bus_socket) as url:
        await walk(org, over_http(url))


async def test_http_without_a_bearer_token_is_refused_and_bad_bodies_are_answered(org, bus_socket):
    # 127.0.0.2: loopback, but not one of the hosts the SDK guards against DNS rebinding by itself
    with http_server(org, bus_socket, "127.0.0.2") as url:
        async with over_http(url)("") as anon:
            err, doc = await call(anon, "whoami")
            assert err and doc["error"] == "denied" and "Authorization: Bearer" in doc["message"]
        head = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        head["Authorization"] = f"Bearer {org.tokens['build-claude']}"
        async with httpx2.AsyncClient(headers=head, timeout=30) as h:
            bad = await h.post(url, content=b"{this is not json")
            assert 400 <= bad.status_code < 500
            assert bad.json()["error"]["code"] in (-32700, -32600), bad.text
            big = await h.post(
                url, content=b'{"jsonrpc":"2.0","id":1,"method":"x","params":"' + b"a" * (9 << 20) + b'"}'
            )
            assert big.status_code == 413, big.status_code
            body = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
            rebound = await h.post(url, json=body, headers={"Host": "evil.example:80"})
            assert rebound.status_code in (400, 403, 421), rebound.status_code  # DNS rebinding
            foreign = await h.post(url, json=body, headers={"Origin": "http://evil.example"})
            assert foreign.status_code in (400, 403), foreign.status_code
        async with over_http(url)(org.tokens["build-claude"]) as ok:  # and it goes on serving
            err, who = await call(ok, "whoami")
            assert not err and who["principal"] == "build-claude"


class Raw:
    """`org mcp serve` over stdio spoken to line by line (what a broken client sends)."""

    def __init__(self, org, bus_socket, token: str) -> None:
        self.p = subprocess.Popen(
            [*org_command(), "mcp", "serve"],
            env=serve_env(org, bus_socket.path, token),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.n = 0

    def send(self, doc: dict | bytes) -> None:
        self.p.stdin.write(doc if isinstance(doc, bytes) else json.dumps(doc).encode() + b"\n")
        self.p.stdin.flush()

    def ask(self, method: str, params: dict | None = None) -> dict:
        self.n += 1
        self.send(
            {"jsonrpc": "2.0", "id": self.n, "method": method, **({"params": params} if params else {})}
        )
        answer = json.loads(self.p.stdout.readline())
        assert answer["id"] == self.n
        return answer

    def start(self) -> None:
        hello = {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "raw", "version": "0"},
        }
        assert "result" in self.ask("initialize", hello)
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def close(self) -> int:
        self.p.stdin.close()
        self.err = self.p.stderr.read().decode()
        rc = self.p.wait(timeout=60)
        self.p.stdout.close()
        self.p.stderr.close()
        return rc


def tool(raw: Raw, name: str, args) -> dict:
    return raw.ask("tools/call", {"name": name, "arguments": args})


def test_what_a_broken_client_sends_over_stdio_is_answered_and_the_server_goes_on(org, bus_socket):
    raw = Raw(org, bus_socket, org.tokens["build-claude"])
    raw.send(b"this is not json\n")  # the SDK drops a line that is not JSON-RPC and reads the next
    raw.send(b"[1, 2\n")
    raw.start()
    assert raw.ask("no/such/method")["error"]["code"] == -32601
    unknown = tool(raw, "approve", {"task": org.task})["result"]
    assert unknown["isError"] and "Unknown tool" in unknown["content"][0]["text"]
    for name, args in (
        ("work_claim", {"lease_seconds": "soon"}),  # wrong type
        ("work_claim", {"lease_seconds": 1e308 * 10}),  # not a finite number in range
        ("work_heartbeat", {"job": -1}),
        ("work_heartbeat", {"job": 2**70}),
        ("work_comment", {"job": 1, "body": "x" * 10_000}),  # oversized arguments
        ("work_submit", {"job": 1, "verdict": "pass", "content": "x" * (5 << 20)}),
        ("review_submit", {"job": 1, "verdict": "approve", "revision": "abc"}),  # not a review verdict
        ("policy_check", {"action": "x", "task": "T-1", "attributes": {"nested": {"too": "deep"}}}),
        ("work_claim", {"as": "alice"}),  # no identity argument exists
    ):
        r = tool(raw, name, args)["result"]
        assert r["isError"], (name, r)
    with org.door() as door:
        assert all(j["status"] == "queued" for j in door.task(org.alice, org.task)["jobs"]), (
            "nothing was claimed"
        )
    who = tool(raw, "whoami", {})["result"]
    assert not who["isError"] and who["structuredContent"]["principal"] == "build-claude"
    assert raw.close() == 0
    # one line per call on stderr: the tool, who, how it ended; never the token or the arguments
    calls = [json.loads(ln) for ln in raw.err.splitlines() if ln.startswith('{"mcp"')]
    assert {"mcp": "whoami", "principal": "build-claude", "outcome": "ok"}.items() <= calls[-1].items()
    assert org.tokens["build-claude"] not in raw.err and "x" * 1000 not in raw.err


def test_a_client_that_goes_away_mid_claim_leaves_no_job_leased(org, bus_socket):
    raw = Raw(org, bus_socket, org.tokens["build-claude"])
    raw.start()
    raw.n += 1
    raw.send(
        {
            "jsonrpc": "2.0",
            "id": raw.n,
            "method": "tools/call",
            "params": {"name": "work_claim", "arguments": {}},
        }
    )
    assert raw.close() == 0  # stdin closed before the answer was read: the server ends
    claimed = org.events("job.claimed")
    with org.door() as door:
        jobs = door.task(org.alice, org.task)["jobs"]
    assert not [j for j in jobs if j["status"] == "leased"], jobs
    if claimed:  # the claim went through before the client left: it was handed back at once, with why
        reasons = [e["data"]["reason"] for e in org.events("job.released")]
        assert reasons and all("went away" in r or "MCP server" in r for r in reasons), reasons


@pytest.mark.parametrize(
    "addr",
    ["0.0.0.0:8080", "192.168.1.1:80", "example.org:80", "127.0.0.1", "::1:x", "[::]:80", "127.0.0.1:70000"],
)
def test_http_serves_on_loopback_only(addr):
    with pytest.raises(UsageError, match="--http"):
        loopback(addr)


@pytest.mark.parametrize("addr", ["127.0.0.1:0", "localhost:8765", "[::1]:8765", "127.0.0.2:1"])
def test_loopback_addresses_are_taken(addr):
    host, port = loopback(addr)
    assert ipaddress.ip_address(host).is_loopback and 0 <= port < 65536


def test_a_wide_address_is_exit_2_before_anything_listens(org, bus_socket):
    r = subprocess.run(
        [*org_command(), "mcp", "serve", "--http", "0.0.0.0:0"],
        env=serve_env(org, bus_socket.path, None),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and "loopback only" in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_serve_needs_the_bus_socket_and_opens_no_database(org, bus_socket):
    env = serve_env(org, bus_socket.path, org.tokens["build-claude"])
    del env["ORG_BUS_SOCKET"]
    env["ORG_DATABASE_URL"] = org.url  # even with a database at hand, the server does not use it
    r = subprocess.run([*org_command(), "mcp", "serve"], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "ORG_BUS_SOCKET" in r.stderr, r.stderr
