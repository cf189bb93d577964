"""`org bus serve`: the agents' bus socket for agents org does not start (what `org mcp serve` needs outside
`org run`), as a real process over a real SQLite org: clients work with their tokens only, the events they
cause say they ran without org's sandbox, and SIGTERM stops it cleanly (the socket goes)."""

from __future__ import annotations

import subprocess

from org.runtime.busclient import BusClient
from tests.mcp.helpers import org_command, serve_env


def test_bus_serve_serves_the_socket_until_sigterm(org, tmp_path):
    path = tmp_path / "run" / "bus.sock"
    env = serve_env(org, path, None)
    del env["ORG_BUS_SOCKET"]
    p = subprocess.Popen(
        [*org_command(), "bus", "serve", "--socket", str(path)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = p.stderr.readline()
        assert line.startswith("org bus: serving ") and str(path) in line, line + p.stderr.read()
        assert (path.stat().st_mode & 0o777) == 0o600
        with BusClient(path) as bus:
            assert bus.whoami(org.tokens["build-claude"])["principal"] == "build-claude"
            claim, job_token = bus.claim(org.tokens["build-claude"], "builder", None)
            bus.comment(job_token, claim.job, "through org bus serve")
        said = org.events("task.comment")[-1]
        assert said["auth"]["principal"] == "build-claude" and said["auth"].get("isolation") == "none"
    finally:
        p.terminate()
        rc = p.wait(timeout=60)
        p.stderr.close()
    assert rc == 0 and not path.exists()
