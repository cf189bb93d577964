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

For the demo's own tasks the supervisor also runs stand-ins of the services their credentials are for
(org.agents.standin, in this process: it holds the secrets anyway) and points the broker at them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "HOST_ENV",
    "in_agent_host",
    "agent_environment",
    "broker_environment",
    "supervise",
    "run_services",
    "bus_socket",
]

HOST_ENV = "ORG_AGENT_HOST"
BUS_SOCKET_ENV = "ORG_BUS_SOCKET"  # org.runtime.busclient reads it
# Never handed to the agent host: who the user is, where their tokens live, the token pepper.
_IDENTITY_VARS = (
    "ORG_TOKEN",
    "ORG_TOKEN_PEPPER",
    "ORG_PEPPER_FD",
    "ORG_CONFIG_HOME",
    "XDG_CONFIG_HOME",
    "ORG_BROKER_SOCKET",
)


def in_agent_host() -> bool:
    return os.environ.get(HOST_ENV) == "1"


def agent_environment(cfg: Any, environ: Mapping[str, str], config_home: str) -> dict[str, str]:
    """The agent host's environment: an allow-list (org.config.secretenv.host_env: PATH, HOME, locale, PG*
    while the agent host opens the database itself (ADR 0140), org's own non-secret settings), never a declared
    credential's variable, identity, or any provider key: its agents call models through the run's gateway
    (ADR 0170), and a credential of any name (a provider token, a forge token, a DSN) is not named, so not passed."""
    from org.config.secretenv import host_env

    secret_vars = {spec.env for spec in cfg.credentials.values() if spec.env}
    env = host_env(environ, drop=secret_vars | set(_IDENTITY_VARS))
    env["ORG_CONFIG_HOME"] = config_home
    env[HOST_ENV] = "1"
    return env


def broker_environment(cfg: Any, environ: Mapping[str, str]) -> dict[str, str]:
    """The credential broker's environment: the user's, minus every provider key no declared credential names
    (the model gateway holds those; the broker resolves only the org's credentials)."""
    from org.agents.endpoints import is_provider_key

    declared = {spec.env for spec in cfg.credentials.values() if spec.env}
    return {k: v for k, v in environ.items() if k in declared or not is_provider_key(k)}


@contextlib.contextmanager
def run_services(
    cfg: Any, root: Path, db_url: str, stand_ins: dict[str, list[str]] | None = None, wait: bool = False
) -> Iterator[tuple[Any, Any, list[str]]]:
    """(broker, stand-in server or None, remarks for the user) for one run: the broker already serving the
    org or a new one (stopped at the end), and with `stand_ins` ({credential: idempotency keys of its
    tasks}) a stand-in server for them, the new broker pointed at it for those tasks only. A credential's
    secret the user has not set is made up for the run and given to the broker and the stand-in, never
    to os.environ (so never to the agent host). `wait`: return once the broker answers."""
    import json

    from org.agents.standin import StandInServer, stand_in_secrets
    from org.identity.broker import StandIns
    from org.identity.brokerclient import start_broker

    server, notes = None, []
    env = broker_environment(cfg, os.environ)
    if stand_ins:
        items, extra, notes = stand_in_secrets(cfg, sorted(stand_ins), os.environ)
        if items:
            server = StandInServer(items).start()
            spec = {
                s.credential: {"url": server.url(s.credential), "tasks": sorted(stand_ins[s.credential])}
                for s in items
            }
            env = {**env, **extra, StandIns.ENV: json.dumps(spec)}
            notes = [
                f"{s.credential} calls of the demo's task(s) go through the broker to a stand-in {s.service} "
                f"on {server.url(s.credential)}"
                for s in items
            ] + notes
    broker = None
    try:
        broker = start_broker(root, db_url, env=env)
        if server is not None and broker.proc is None:
            notes = [
                f"a broker already serves this org ({broker.path}); it was not started with the demo's stand-in, "
                "so the demo's credential calls go where that broker's config says"
            ]
        if wait:
            broker.ready()
        yield broker, server, notes
    finally:
        if broker is not None:
            broker.stop()
        if server is not None:
            server.stop()


def supervise(
    cfg: Any,
    root: Path,
    db_url: str,
    argv: list[str],
    prepare: Callable[[], Any],
    handoff: bool = False,
    stand_ins: dict[str, list[str]] | None = None,
    say: Callable[[str], None] | None = None,
    local_config: Any = None,
    limits: Mapping[str, Any] | None = None,
    isolation: Any = None,
) -> int:
    """Run `org <argv>` as the agent host while `prepare()` does the humans' part here (it may read their
        token files); with `handoff`, the agent host gets `--prepared -` and reads prepare()'s JSON-able result
        on its stdin (it starts at once and warms up meanwhile; a dict result gets the services' remarks under
        "services", else `say` gets them). The broker (and `stand_ins`, see run_services) and the model gateway
        (org.gateway.service.RunGateway, here: this process holds the provider keys; the agent host finds it
        through ORG_GATEWAY_URL / ORG_GATEWAY_SOCKET and asks it for each job's token with model_access; it paces
        every call on the database's budgets with `limits`, the run's --limit) serve the run. With `isolation` 'bwrap'
    (run_isolation) the agent host works each job in a room of its own (ORG_AGENT_ROOMS, org.agents.rooms): it is
    then org's dispatcher, and the agents are the rooms' workers. Returns the agent host's exit code."""
    from org.gateway.service import RunGateway

    with (
        run_services(cfg, root, db_url, stand_ins) as (_broker, _server, notes),
        RunGateway(cfg, db_url, local_config=local_config, limits=limits) as gateway,
        bus_socket(cfg, db_url) as bus,
    ):
        env = {**gateway.environ(), BUS_SOCKET_ENV: str(bus.path)}
        if isolation is not None and isolation.isolated:  # each job's work in a room (org.agents.rooms)
            from org.agents.rooms import ROOMS_ENV

            env[ROOMS_ENV] = "bwrap"
        return _supervise(cfg, root, db_url, argv, prepare, handoff, notes, say, env)


def _wait_forwarding(proc: subprocess.Popen, forward: Callable[[int, Any], None]) -> int:
    """Wait for the agent host's exit, passing signals on meanwhile. Never one blocking waitpid(): the kernel may
    hand Ctrl-C to another of this process's threads (the gateway's, the bus socket's), and Python runs the handler
    in the main thread only at its next turn, which a main thread blocked in waitpid() never takes: the host was
    never told and the run never stopped (tests/agents/test_supervisor_signals.py)."""
    while True:
        try:
            return proc.wait(timeout=0.25)
        except subprocess.TimeoutExpired:
            continue
        except KeyboardInterrupt:  # a signal between Popen and installing the handlers
            forward(signal.SIGINT, None)


def run_isolation(cfg: Any, lanes: list[str] | None, say: Callable[[str], None] | None) -> Any:
    """The isolation of a run's built-in agents (org.runtime.Isolation) from the served lanes' `isolation`
    settings and this machine: 'bwrap' when bubblewrap works (each job's work then runs in a room of its own,
    org.agents.rooms, ADR 0171); otherwise a served lane with `isolation: required` refuses the run (exit 2,
    naming the lanes), and with `auto` `say` hears once that the agents run without a sandbox, which every
    event they cause records (`isolation: none`, org.agents.busport.HOST_ISOLATION)."""
    from org.runtime import resolve

    served = [n for n, ln in cfg.lanes.items() if ln.kind == "agent" and (not lanes or n in lanes)]
    return resolve({n: cfg.lanes[n].isolation for n in served}, say=say if served else None)


@contextlib.contextmanager
def bus_socket(cfg: Any, db_url: str, path: Path | None = None, *, sandboxed: bool = True) -> Iterator[Any]:
    """The run's bus socket (org.identity.busd) in a private folder: how the agents it sandboxes reach the bus
    (bind-mounted as /run/org/bus.sock) without the database. A passing work submission's commit is checked
    by the workspaces' diff guard, as `org submit` does on the database. `path`: listen there instead
    (`org bus serve`; the socket is 0600, its folder the caller's). `sandboxed=False`: its clients are agents
    org did not start in a sandbox, and every event they cause says so (isolation: none, ADR 0143)."""
    from org.identity.busd import BusServer
    from org.workspaces import service as workspaces

    def check(bus: Any, job: int, actor: str, commit: str | None) -> str | None:
        from org.workspaces.service import check_revision

        res = check_revision(bus, job, actor, commit=commit)
        return res["commit"] if res else None

    def handover(door: Any, token: str | None, job: int | str) -> dict:
        from org.agents.handover import handover as hand_over

        return hand_over(door, token, job, cfg=cfg)

    from org.runtime import probe

    folder = Path(tempfile.mkdtemp(prefix="org-bus-")) if path is None else None
    # its clients are the agents this run sandboxes: without a working bubblewrap they run without one
    isolation = None if sandboxed and probe()[0] else "none"
    try:
        with BusServer(
            db_url,
            root=cfg.root,
            config=cfg,
            path=folder / "bus.sock" if folder is not None else path,
            check=check,
            handover=handover,
            isolation=isolation,
            revisions=workspaces,
        ) as srv:
            yield srv
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def _supervise(
    cfg: Any,
    root: Path,
    db_url: str,
    argv: list[str],
    prepare: Callable[[], Any],
    handoff: bool,
    notes: list[str],
    say: Callable[[str], None] | None,
    services_env: Mapping[str, str] | None = None,
) -> int:
    import json

    from org.identity import files

    home = tempfile.mkdtemp(prefix="org-agent-host-")
    r, w = os.pipe()
    try:
        os.write(w, files.pepper(root))
    finally:
        os.close(w)
    env = agent_environment(cfg, os.environ, home)
    env.update(services_env or {})
    env["ORG_PEPPER_FD"] = str(r)
    env["ORG_DATABASE_URL"] = db_url  # not `--db`: a command line is readable by every local user (ps)
    cmd = [sys.executable, "-m", "org", "--root", str(root), *argv, *(["--prepared", "-"] if handoff else [])]
    proc: subprocess.Popen | None = None
    olds: dict[int, Any] = {}

    def forward(signum: int, _frame: Any) -> None:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signum)

    try:
        # Its own process group: a terminal's Ctrl-C reaches this supervisor only, which passes each one on
        # (the first stops claiming, the second abandons the calls, as `org run` always did).
        proc = subprocess.Popen(
            cmd,
            env=env,
            pass_fds=(r,),
            cwd=os.getcwd(),
            process_group=0,
            stdin=subprocess.PIPE if handoff else subprocess.DEVNULL,
        )
        os.close(r)
        r = -1
        state = prepare()
        if handoff and isinstance(state, dict):
            state["services"] = notes
        elif say is not None:
            for n in notes:
                say(n)
        if handoff:
            assert proc.stdin is not None
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.write((json.dumps(state) + "\n").encode())
                proc.stdin.close()
        if _main_thread():
            olds = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
        return _wait_forwarding(proc, forward)
    finally:
        if r >= 0:
            os.close(r)
        for s, h in olds.items():
            signal.signal(s, h)
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        with contextlib.suppress(OSError):
            shutil.rmtree(home)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()
