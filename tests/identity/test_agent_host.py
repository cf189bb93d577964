"""`org run` keeps secrets out of the agents' process: the real command, with canary secrets in the user's
environment, runs its agents in a child whose environment, command line and readable memory hold no canary,
no token, no pepper and no path to the humans' token files; the broker process beside it got the secrets."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from org.identity.files import config_home, org_dir


def _procs() -> dict[int, tuple[str, bytes]]:
    """pid -> (command line, raw environ) of every process of ours we can read."""
    out = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            out[int(d.name)] = (
                (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"),
                (d / "environ").read_bytes(),
            )
        except OSError:
            continue
    return out


def _memory_has(pid: int, needles: list[bytes]) -> list[bytes] | None:
    """Which needles occur in the process's readable memory (None: we may not read it)."""
    found: set[bytes] = set()
    try:
        maps = Path(f"/proc/{pid}/maps").read_text().splitlines()
        mem = open(f"/proc/{pid}/mem", "rb", 0)  # noqa: SIM115
    except OSError:
        return None
    with mem:
        for line in maps:
            span, perms = line.split()[:2]
            if not perms.startswith("r") or "[vvar]" in line or "[vsyscall]" in line:
                continue
            a, b = (int(x, 16) for x in span.split("-"))
            try:
                mem.seek(a)
                chunk = mem.read(b - a)
            except (OSError, OverflowError, ValueError):
                continue
            found |= {n for n in needles if n in chunk}
    return sorted(found)


@pytest.mark.slow
def test_the_agent_host_holds_no_secret_and_the_broker_gets_them(org_copy, tmp_path):
    root = org_copy
    canaries = {
        "ORG_SECRET_GITHUB": "cnry-gh-" + uuid.uuid4().hex,
        "ORG_SECRET_JIRA": "cnry-jira-" + uuid.uuid4().hex,
    }
    user_token = "orgp_" + "1" * 16 + "_" + uuid.uuid4().hex * 2
    pepper = "pepper-" + uuid.uuid4().hex * 2
    env = {
        **os.environ,
        **canaries,
        "ORG_ROOT": str(root),
        "ORG_MODELS": "local",
        "ORG_TOKEN": user_token,
        "ORG_TOKEN_PEPPER": pepper,
        "ORG_DATABASE_URL": "",
    }
    run = subprocess.Popen(
        [sys.executable, "-m", "org", "run", "--watch", "--json"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    host = broker = None
    try:
        deadline = time.monotonic() + 60
        while (host is None or broker is None) and time.monotonic() < deadline and run.poll() is None:
            for pid, (cmd, environ) in _procs().items():
                if str(root) not in cmd or pid == run.pid:
                    continue
                if b"ORG_AGENT_HOST=1" in environ.split(b"\0") and " run --watch" in cmd:
                    host = (pid, cmd, environ)
                elif " broker serve" in cmd:
                    broker = (pid, cmd, environ)
            time.sleep(0.1)
        assert host is not None and broker is not None, (
            run.stderr.read() if run.poll() is not None else "not found"
        )
        line = (
            run.stderr.readline()
        )  # "org run: 10 agents in 5 lane(s)...": the session is built, workers start
        while line.startswith("org: agents run without a sandbox"):  # said once (ADR 0143), then the run
            line = run.stderr.readline()
        assert line.startswith("org run:"), line
        time.sleep(0.5)
        hpid, hcmd, henv = host
        db = f"sqlite:///{root / '.org' / 'org.db'}"
        for cmd, environ in (
            host[1:],
            broker[1:],
        ):  # the database URL (maybe a password) in the env, not on argv
            assert " --db" not in cmd and "sqlite:" not in cmd, cmd
            assert f"ORG_DATABASE_URL={db}".encode() in environ.split(b"\0")
        secrets = [v.encode() for v in canaries.values()] + [user_token.encode(), pepper.encode()]
        for s in secrets:
            assert s not in henv and s.decode() not in hcmd
        names = {kv.split(b"=", 1)[0].decode() for kv in henv.split(b"\0") if b"=" in kv}
        assert not names & {
            "ORG_SECRET_GITHUB",
            "ORG_SECRET_JIRA",
            "ORG_TOKEN",
            "ORG_TOKEN_PEPPER",
            "XDG_CONFIG_HOME",
        }
        home = dict(kv.split(b"=", 1) for kv in henv.split(b"\0") if b"=" in kv)[b"ORG_CONFIG_HOME"].decode()
        assert Path(home) != config_home() and not any(Path(home).iterdir())  # no token file in reach
        # the run's model gateway serves from the supervisor (which holds the keys): the host only finds it
        hostenv = dict(kv.split(b"=", 1) for kv in henv.split(b"\0") if b"=" in kv)
        assert hostenv[b"ORG_GATEWAY_URL"].startswith(b"http://127.0.0.1:")
        assert Path(hostenv[b"ORG_GATEWAY_SOCKET"].decode()).is_socket()
        assert Path(hostenv[b"ORG_BUS_SOCKET"].decode()).is_socket()  # for the agents it sandboxes
        assert str(org_dir(root)).encode() not in henv
        seen = _memory_has(
            hpid, secrets[:-1] + [str(config_home()).encode()]
        )  # (it holds the pepper: it checks tokens)
        if seen is None:
            pytest.skip("this kernel does not let a test read its child's memory")
        assert seen == [], f"the agent host's memory holds {seen}"
        # the broker is where the secrets went
        assert all(v.encode() in broker[2] for v in canaries.values())
    finally:
        os.killpg(run.pid, signal.SIGINT)
        out, err = run.communicate(timeout=60)
    assert run.returncode == 0, err[-2000:]
    assert json.loads(out)["stopped_by"] == "signal"
    assert not any(c in out + err for c in canaries.values())
    time.sleep(0.2)
    assert not Path(f"/proc/{broker[0]}").exists() and not Path(f"/proc/{host[0]}").exists()
