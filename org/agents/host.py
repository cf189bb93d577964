"""The process boundary of `org run` and `org demo`: the command the user starts is a supervisor that does
the humans' part, starts the credential broker (which gets the secrets) and runs the agents in a child
process (the agent host) whose environment holds no secret.

    supervisor (the user's env)  --->  org broker serve   (the credentials' env vars; `org.identity.brokerd`)
                                 --->  org run|demo       (ORG_AGENT_HOST=1; `agent_environment` below)

The agent host's environment lacks every declared credential's variable, ORG_TOKEN, the pepper and the
config folder (ORG_CONFIG_HOME points at an empty private folder, so no human's token file is found);
the pepper comes through an inherited pipe (ORG_PEPPER_FD) and is read once. Stdout and stderr are
shared, so the user sees one command; the supervisor passes each Ctrl-C (and SIGTERM) on to the agent
host, and the broker, in its own session, outlives the agents' last calls and is stopped with the run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["HOST_ENV", "in_agent_host", "agent_environment", "supervise"]

HOST_ENV = "ORG_AGENT_HOST"
# Never handed to the agent host: who the user is, where their tokens live, the token pepper.
_IDENTITY_VARS = ("ORG_TOKEN", "ORG_TOKEN_PEPPER", "ORG_PEPPER_FD", "ORG_CONFIG_HOME", "XDG_CONFIG_HOME",
                  "ORG_BROKER_SOCKET")


def in_agent_host() -> bool:
    return os.environ.get(HOST_ENV) == "1"


def agent_environment(cfg: Any, environ: Mapping[str, str], config_home: str) -> dict[str, str]:
    """The agent host's environment: the user's, minus every declared credential's variable and identity."""
    secret_vars = {spec.env for spec in cfg.credentials.values() if spec.env}
    env = {k: v for k, v in environ.items() if k not in secret_vars and k not in _IDENTITY_VARS}
    env["ORG_CONFIG_HOME"] = config_home
    env[HOST_ENV] = "1"
    return env


def supervise(cfg: Any, root: Path, db_url: str, argv: list[str], prepare: Callable[[], Any],
              handoff: bool = False) -> int:
    """Run `org <argv>` as the agent host while `prepare()` does the humans' part here (it may read their
    token files); with `handoff`, the agent host gets `--prepared -` and reads prepare()'s JSON-able result
    on its stdin (it starts at once and warms up meanwhile). The broker serves the run. Returns the agent
    host's exit code."""
    import json

    from org.identity import files
    from org.identity.brokerclient import start_broker

    broker = start_broker(root, db_url)
    home = tempfile.mkdtemp(prefix="org-agent-host-")
    r, w = os.pipe()
    try:
        os.write(w, files.pepper(root))
    finally:
        os.close(w)
    env = agent_environment(cfg, os.environ, home)
    env["ORG_PEPPER_FD"] = str(r)
    env["ORG_DATABASE_URL"] = db_url  # not `--db`: a command line is readable by every local user (ps)
    cmd = [sys.executable, "-m", "org", "--root", str(root), *argv,
           *(["--prepared", "-"] if handoff else [])]
    proc: subprocess.Popen | None = None
    olds: dict[int, Any] = {}

    def forward(signum: int, _frame: Any) -> None:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signum)

    try:
        # Its own process group: a terminal's Ctrl-C reaches this supervisor only, which passes each one on
        # (the first stops claiming, the second abandons the calls, as `org run` always did).
        proc = subprocess.Popen(cmd, env=env, pass_fds=(r,), cwd=os.getcwd(), process_group=0,
                                stdin=subprocess.PIPE if handoff else subprocess.DEVNULL)
        os.close(r)
        r = -1
        state = prepare()
        if handoff:
            assert proc.stdin is not None
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.write((json.dumps(state) + "\n").encode())
                proc.stdin.close()
        if _main_thread():
            olds = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
        while True:
            try:
                return proc.wait()
            except KeyboardInterrupt:  # a signal between Popen and installing the handlers
                forward(signal.SIGINT, None)
    finally:
        if r >= 0:
            os.close(r)
        for s, h in olds.items():
            signal.signal(s, h)
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        broker.stop()
        with contextlib.suppress(OSError):
            shutil.rmtree(home)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()
