"""Benchmark: an agent's claim + submit round trip over MCP against the CLI doing the same, side by side.

    .ci/dev python tests/bench/bench_mcp.py [--n 20]

One org (SQLite in a temporary folder, the project's lanes and gates), its agents' bus socket served by a
process of its own (as in a run), and three ways for build-claude to claim the next builder job and submit it:
  - the CLI: `org claim --lane builder --json` then `org submit JOB --verdict pass` (two processes per round
    trip, through the same bus socket: ORG_BUS_SOCKET set, no database);
  - MCP over stdio: one `org mcp serve` process, the SDK's client calling work_claim then work_submit;
  - MCP over streamable HTTP: one `org mcp serve --http 127.0.0.1:0`, the same two calls.
Each is run in turn, `block` round trips at a time (a load that comes and goes hits all alike); prints the
medians in ms and the CLI's median over each MCP transport's (how many times faster MCP is), and the MCP
server's own cost over the socket round trips (a bare BusClient claim + submit, same process as the bench).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

ROOT = Path(__file__).resolve().parents[2]


def _env(sock: Path, token: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORG_")}
    env.update(ORG_BUS_SOCKET=str(sock), ORG_ROOT=str(ROOT), ORG_CONFIG_HOME=os.environ["ORG_CONFIG_HOME"])
    if token:
        env["ORG_TOKEN"] = token
    return env


def _org(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "org", *args], env=env, capture_output=True, text=True)


async def run(n: int, block: int) -> None:
    import httpx2
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters
    from mcp.client.streamable_http import streamable_http_client

    from org.bus import Bus
    from org.identity.bootstrap import first_use_tokens
    from org.identity.guard import Guard
    from org.runtime.busclient import BusClient

    with tempfile.TemporaryDirectory() as d:
        os.environ["ORG_CONFIG_HOME"] = str(Path(d) / "home")
        url = f"sqlite:///{d}/org.db"
        with Bus.open(url, root=ROOT) as bus:
            first_use_tokens(bus)
            g = Guard(bus, token_files=False)
            alice = g.tokens.issue("alice", by="bench")["token"]
            agent = g.tokens.issue("build-claude", by="bench")["token"]
            for i in range(2 * n + 16):  # each task has two builder jobs (spec, implement) at the medium tier
                g.add_task(alice, f"bench {i}", "change", by="alice")
        sock = Path(d) / "bus.sock"
        serve = (  # the bus socket in a process of its own, as in a run (the supervisor's)
            "import sys; from pathlib import Path; from org.identity.busd import BusServer; "
            "BusServer(sys.argv[1], root=Path(sys.argv[2]), path=Path(sys.argv[3])).start(); "
            "print('ready', flush=True); sys.stdin.read()"
        )
        busd = subprocess.Popen(
            [sys.executable, "-c", serve, url, str(ROOT), str(sock)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert busd.stdout is not None and busd.stdout.readline().strip() == "ready"
        http = subprocess.Popen(
            [sys.executable, "-m", "org", "mcp", "serve", "--http", "127.0.0.1:0"],
            env=_env(sock, None),
            stdin=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert http.stderr is not None
        mcp_url = http.stderr.readline().split()[-1]
        threading.Thread(
            target=http.stderr.read, daemon=True
        ).start()  # its per-call lines: a full pipe blocks
        try:
            stdio = StdioServerParameters(  # its per-call lines on stderr are not the bench's output
                command="sh",
                args=["-c", 'exec "$0" -m org mcp serve 2>/dev/null', sys.executable],
                env=_env(sock, agent),
            )
            async with (
                httpx2.AsyncClient(headers={"Authorization": f"Bearer {agent}"}) as h,
                Client(stdio) as over_stdio,
                Client(streamable_http_client(mcp_url, http_client=h)) as over_http,
            ):
                cli_env = _env(sock, agent)

                async def cli() -> None:
                    r = _org("claim", "--lane", "builder", "--as", "build-claude", "--json", env=cli_env)
                    assert r.returncode == 0, r.stderr
                    c = json.loads(r.stdout)
                    r = _org(
                        "submit",
                        str(c["job"]),
                        "--verdict",
                        "pass",
                        "--note",
                        "bench",
                        "--token",
                        c["token"],
                        env=cli_env,
                    )
                    assert r.returncode == 0, r.stderr

                def over(client):
                    async def cycle() -> None:
                        c = await client.call_tool("work_claim", {"lane": "builder"})
                        assert not c.is_error, c.content
                        job = c.structured_content["job"]
                        s = await client.call_tool(
                            "work_submit", {"job": job, "verdict": "pass", "content": "bench"}
                        )
                        assert not s.is_error, s.content

                    return cycle

                client = BusClient(sock)

                async def socket_only() -> None:  # the two socket round trips alone (no MCP, no process)
                    c, jt = client.claim(agent, "builder", "build-claude")
                    client.submit(jt, c.job, "pass", note="bench")

                ways = {"cli": cli, "stdio": over(over_stdio), "http": over(over_http), "socket": socket_only}
                times: dict[str, list[float]] = {k: [] for k in ways}
                for fn in ways.values():  # warm up each path once
                    await fn()
                for _ in range(max(1, n // block)):
                    for name, fn in ways.items():
                        for _ in range(block):
                            t0 = time.perf_counter()
                            await fn()
                            times[name].append(time.perf_counter() - t0)
                client.close()
        finally:
            http.terminate()
            http.wait(timeout=60)
            assert busd.stdin is not None
            busd.stdin.close()
            busd.wait(timeout=60)
    med = {k: statistics.median(v) * 1000 for k, v in times.items()}
    for k in ways:
        print(f"claim + submit {k:7s} median {med[k]:8.2f} ms  ({len(times[k])} round trips)")
    print(f"CLI / MCP stdio  {med['cli'] / med['stdio']:6.1f}x  (MCP over stdio is this many times faster)")
    print(f"CLI / MCP http   {med['cli'] / med['http']:6.1f}x")
    print(
        f"MCP stdio / bare socket {med['stdio'] / med['socket']:6.1f}x  MCP http / bare socket {med['http'] / med['socket']:6.1f}x"
    )


def main() -> int:
    import anyio

    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=20)
    p.add_argument("--block", type=int, default=5)
    a = p.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with contextlib.suppress(KeyboardInterrupt):
        anyio.run(run, a.n, a.block)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
