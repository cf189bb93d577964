"""The sandbox one agent process runs in: bubblewrap with its workspace read-write and little else.

    inside                       what it is
    <workspace>                  the task's workspace, read-write, at the same path as outside
    /usr /bin /lib* /etc/(few)   the system, read-only (no /root, /home, /work, /var, /run, /sys)
    <python prefixes>, org/      the interpreter, the virtual environment and org's own source, read-only
    /tmp, $HOME (/home/agent)    private, empty, gone when the process ends
    /run/org/<name>.sock         the Unix sockets it is given (bus, model gateway, broker), nothing else
    /proc                        its own processes only (a new PID namespace)
    network                      none (`--unshare-net`: no TCP, not even loopback)

It runs under a new user namespace as an unprivileged user with every capability dropped, in its own
session (no terminal injection), and dies with its parent. The environment is an allowlist: the locale,
PATH, HOME, TMPDIR and what the caller names (its own tokens, the sockets' paths); a variable that holds
a provider key or org's secrets is refused even when the caller names it. Its values reach bwrap through
the environment, never its command line (which every local user can read).

Limits (setrlimit, inherited by bwrap and everything inside): CPU seconds, address space, file size;
wall time is enforced here (the whole process group is killed). Process counts (RLIMIT_NPROC) are set
only for a non-root user: the kernel exempts uid 0, which bwrap maps the sandbox to outside, so as root
they are not limited, and `Limits.notes()` says so.

Without bubblewrap (`isolated=False`, see org.runtime.isolation) the same process gets the same
environment allowlist, private HOME and TMPDIR and limits, in its workspace, and nothing else: the file
system and the network are the user's. That is "isolation: none", and is recorded as such.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from org.config.secretenv import PASS_ENV, credential_env, passed_env, secret_env
from org.errors import UsageError

__all__ = [
    "Limits",
    "Result",
    "Sandbox",
    "SOCKET_DIR",
    "HOME",
    "PASS_ENV",
    "SOCKET_ENV",
    "forbidden_env",
    "ROOM_ENV",
    "job_sandbox",
    "relay_argv",
]

SOCKET_DIR = "/run/org"
HOME = "/home/agent"
DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"
_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_ETC = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/nsswitch.conf",
    "/etc/alternatives",
    "/etc/mime.types",
    "/etc/gitconfig",
)
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# where org's own clients look for each socket a room is given (the broker's path is never an environment
# variable: ORG_BROKER_SOCKET is org's, not an agent's; a job's worker is told it on stdin)
SOCKET_ENV = {"bus": "ORG_BUS_SOCKET", "gateway": "ORG_GATEWAY_SOCKET"}


# what org itself hands a room on purpose (no credential of the user's: a job-scoped gateway token, the
# sockets' in-room paths); every other credential-shaped name is refused
ROOM_ENV = frozenset({"ORG_GATEWAY_TOKEN", *SOCKET_ENV.values()})


def forbidden_env(name: str) -> bool:
    """True for a variable name no agent's environment may hold: every credential-shaped name (the one
    classifier git's environment drops the user's credentials with, org.config.secretenv.credential_env:
    keys, tokens, secrets, connection strings, org's identity and database) and every provider's key, but
    the room's own ROOM_ENV."""
    from org.agents.endpoints import is_provider_key

    if name in ROOM_ENV:
        return False
    return secret_env(name) or credential_env(name) or is_provider_key(name)


@dataclass(frozen=True)
class Limits:
    """What one sandboxed process may use. None: not limited."""

    wall_s: float | None = 900.0
    cpu_s: int | None = None
    memory_mb: int | None = None  # address space (RLIMIT_AS)
    file_mb: int | None = None  # largest file it may write (RLIMIT_FSIZE)
    processes: int | None = None  # RLIMIT_NPROC: not for root (the kernel exempts uid 0)

    def rlimits(self) -> list[tuple[int, int, int]]:
        import resource

        out = []
        if self.cpu_s is not None:
            out.append((resource.RLIMIT_CPU, int(self.cpu_s), int(self.cpu_s) + 1))
        if self.memory_mb is not None:
            out.append((resource.RLIMIT_AS, self.memory_mb << 20, self.memory_mb << 20))
        if self.file_mb is not None:
            out.append((resource.RLIMIT_FSIZE, self.file_mb << 20, self.file_mb << 20))
        if self.processes is not None and os.getuid() != 0:
            out.append((resource.RLIMIT_NPROC, self.processes, self.processes))
        return out

    def at_limit(self, returncode: int | None) -> str | None:
        """Why a room's process that ended with `returncode` was killed by a limit set here, or None: SIGXCPU
        is the CPU limit's (bubblewrap passes a child's death by a signal on as 128 + the signal; the relay
        a CLI's, and a CLI's SIGKILL at the limit's hard bound as SIGXCPU, see org.runtime.relay)."""
        if self.cpu_s is None or returncode is None:
            return None
        if returncode in (-signal.SIGXCPU, 128 + signal.SIGXCPU):
            return f"killed at its CPU limit of {self.cpu_s} s"
        return None

    def notes(self) -> list[str]:
        """What was asked and cannot be applied here."""
        if self.processes is not None and os.getuid() == 0:
            return [
                f"process count ({self.processes}) not limited: org runs as root, and the kernel exempts uid 0 "
                "from RLIMIT_NPROC"
            ]
        return []

    def to_json(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Result:
    """How a sandboxed run ended. `limit`: 'wall' when the wall time ran out, 'cpu' when the CPU limit did."""

    returncode: int
    stdout: bytes
    stderr: bytes
    isolation: str
    wall_s: float
    limit: str | None = None

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.limit is None


@dataclass
class Sandbox:
    """One agent process's room. `sockets`: {name: host path}, seen inside as /run/org/<name>.sock;
    `env`: variables it gets besides the allowlist; `read_only`: more paths it may read (same path inside);
    `isolated`: bubblewrap (True) or environment scrubbing only (False, "isolation: none")."""

    workspace: Path
    sockets: Mapping[str, Path] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    read_only: Sequence[Path] = ()
    limits: Limits = field(default_factory=Limits)
    isolated: bool = True
    python: bool = True  # the interpreter, the venv and org's source, read-only (for python agents)
    _home: str | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.workspace = Path(self.workspace).resolve()
        if not self.workspace.is_dir():
            raise UsageError(f"the workspace {self.workspace} is not a folder")
        for name, path in self.sockets.items():
            if not _NAME.match(name):
                raise UsageError(f"socket name '{name}' must be a short word (letters, digits, - and _)")
            if not Path(path).exists():
                raise UsageError(f"socket {path} ({name}) does not exist")
        for k in self.env:
            if not _ENV_NAME.match(k):
                raise UsageError(f"'{k}' is not an environment variable name")
            if forbidden_env(k):
                raise UsageError(
                    f"{k} is never given to an agent (keys, secrets and org's database stay outside)"
                )

    @property
    def isolation(self) -> str:
        return "bwrap" if self.isolated else "none"

    def socket(self, name: str) -> str:
        """Where the process finds socket `name`."""
        return f"{SOCKET_DIR}/{name}.sock" if self.isolated else str(self.sockets[name])

    # -- what it is given ----------------------------------------------------------------------------
    def environment(self) -> dict[str, str]:
        env = passed_env(os.environ, PASS_ENV)
        home = HOME if self.isolated else self._private_home()
        path = f"{Path(sys.executable).parent}:{DEFAULT_PATH}" if self.python else DEFAULT_PATH
        env.update(
            PATH=path,
            HOME=home,
            TMPDIR="/tmp" if self.isolated else home,
            USER="agent",
            PYTHONDONTWRITEBYTECODE="1",
        )
        env.update(self.env)
        from org import telemetry

        parent = telemetry.traceparent()  # a CLI's own spans join the task's trace (ADR 0195)
        if parent:
            env["TRACEPARENT"] = parent
        return env

    def _private_home(self) -> str:
        if self._home is None:
            self._home = tempfile.mkdtemp(prefix="org-agent-home-")
        return self._home

    def command(self, argv: Sequence[str]) -> list[str]:
        """The command line that runs `argv` in this sandbox (argv itself without bubblewrap)."""
        if not self.isolated:
            return list(argv)
        uid = os.getuid() or 1000
        cmd = [
            "bwrap",
            "--unshare-all",
            "--unshare-user",
            "--uid",
            str(uid),
            "--gid",
            str(os.getgid() or 1000),
            "--cap-drop",
            "ALL",
            "--die-with-parent",
            "--new-session",
            "--hostname",
            "org-sandbox",
        ]
        for d in _SYSTEM:
            if os.path.islink(d):
                cmd += ["--symlink", os.readlink(d), d]
            elif os.path.isdir(d):
                cmd += ["--ro-bind", d, d]
        for f in _ETC:
            cmd += ["--ro-bind-try", f, f]
        cmd += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", HOME, "--dir", SOCKET_DIR]
        for p in self._readable():
            cmd += ["--ro-bind", p, p]
        ws = str(self.workspace)
        cmd += ["--bind", ws, ws]
        for name, path in sorted(self.sockets.items()):
            cmd += ["--ro-bind", str(Path(path).resolve()), self.socket(name)]
        cmd += ["--chdir", ws, "--", *argv]
        return cmd

    def _readable(self) -> list[str]:
        paths: list[str] = []
        if self.python:
            import org

            paths += [
                sys.base_prefix,
                sys.base_exec_prefix,
                sys.prefix,
                str(Path(org.__file__).resolve().parent),
                # package folders a .pth file or the user site adds beyond the prefix (only folders named as
                # such: an editable install also puts its project root, with its .org/, on the path)
                *(
                    str(Path(e).resolve())
                    for e in sys.path
                    if Path(e).name in ("site-packages", "dist-packages") and Path(e).is_dir()
                ),
            ]
        paths += [str(Path(p).resolve()) for p in self.read_only]
        out: list[str] = []
        for p in paths:  # each once, and none under the system folders bound already
            if (
                p not in out
                and os.path.exists(p)
                and not any(p == s or p.startswith(s + "/") for s in _SYSTEM)
            ):
                out.append(p)
        return out

    # -- running -------------------------------------------------------------------------------------
    def popen(self, argv: Sequence[str], **kw: Any) -> subprocess.Popen:
        """Start `argv` in the sandbox (its own process group; stop it with `kill`)."""
        limits = self.limits.rlimits()

        def apply_limits() -> None:  # in the child, between fork and exec
            import resource

            for what, soft, hard in limits:
                resource.setrlimit(what, (soft, hard))

        return subprocess.Popen(
            self.command(argv),
            env=self.environment(),
            cwd=str(self.workspace),
            start_new_session=True,
            preexec_fn=apply_limits if limits else None,
            **kw,
        )

    @staticmethod
    def kill(proc: subprocess.Popen) -> None:
        """Kill the process and everything it started (its process group; bubblewrap takes its namespace)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait()

    def run(self, argv: Sequence[str], *, input: bytes | None = None, timeout: float | None = None) -> Result:
        """Run `argv` to its end or its limits; its output captured."""
        wall = timeout if timeout is not None else self.limits.wall_s
        t0 = time.monotonic()
        proc = self.popen(
            argv,
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        limit = None
        try:
            out, err = proc.communicate(input, timeout=wall)
        except subprocess.TimeoutExpired:
            self.kill(proc)
            out, err = proc.communicate()
            limit = "wall"
        except BaseException:
            self.kill(proc)
            raise
        code = proc.returncode
        if limit is None and code in (-signal.SIGXCPU, 128 + signal.SIGXCPU) and self.limits.at_limit(code):
            limit = "cpu"
        return Result(code, out, err, self.isolation, time.monotonic() - t0, limit)

    def close(self) -> None:
        if self._home is not None:
            shutil.rmtree(self._home, ignore_errors=True)
            self._home = None

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def job_sandbox(
    workspace: Path | str,
    *,
    sockets: Mapping[str, Path | str] | None = None,
    env: Mapping[str, str] | None = None,
    limits: Limits | None = None,
    isolation: Any = None,
    read_only: Sequence[Path | str] = (),
    python: bool = True,
) -> Sandbox:
    """The room one job's agent process runs in: the built-in agents' per-job worker and the CLI adapters
    (issue 16) alike. `workspace` is the task's workspace (read-write: the only writable path); `sockets`
    {name: host path} are bind-mounted at /run/org/<name>.sock, and the environment names the bus's and the
    gateway's where org's clients look (ORG_BUS_SOCKET, ORG_GATEWAY_SOCKET = the in-room paths); `env`: the
    job's own variables on top of the allowlist (e.g. ORG_GATEWAY_TOKEN; a provider key, a secret or org's
    identity is refused, see forbidden_env); `isolation`: the run's org.runtime.Isolation (resolved once per
    run by org.runtime.resolve); None probes here. Without a working bubblewrap the same process gets the same
    environment, private HOME and limits, and the host paths of the sockets ("isolation: none").

        room = job_sandbox(ws, sockets={"bus": bus.path, "gateway": gw.socket_path},
                           env={"ORG_GATEWAY_TOKEN": access.token}, isolation=run_isolation)
        proc = room.popen([sys.executable, "-m", "org.agents.worker"], stdin=PIPE)   # or room.run(argv)

    The gateway in the room: only its Unix socket (no TCP: `--unshare-net`). A Python client reaches it
    over the socket with an api_base of the form org.gateway.service.unix_base(path), which
    org.gateway.upstream understands. A CLI that only takes an
    http base URL runs under the relay: `room.popen(relay_argv(cli_argv))` starts org.runtime.relay inside
    the room, which listens on the room's own loopback (a network namespace of its own: nothing outside can
    reach it, and it reaches nothing but the socket), sets OPENAI_BASE_URL / OPENAI_API_BASE /
    ANTHROPIC_BASE_URL to itself and OPENAI_API_KEY / ANTHROPIC_API_KEY to $ORG_GATEWAY_TOKEN, and runs the
    CLI (its exit code is the relay's)."""
    socks = {name: Path(path) for name, path in (sockets or {}).items()}
    isolated = isolation.isolated if isolation is not None else _probe_ok()
    extra = dict(env or {})
    for name, var in SOCKET_ENV.items():
        if name in socks:
            extra[var] = f"{SOCKET_DIR}/{name}.sock" if isolated else str(socks[name])
    return Sandbox(
        Path(workspace),
        sockets=socks,
        env=extra,
        read_only=[Path(p) for p in read_only],
        limits=limits or Limits(),
        isolated=isolated,
        python=python,
    )


def relay_argv(argv: Sequence[str], *, socket: str | None = None) -> list[str]:
    """`argv` (a CLI that takes an http base URL) run under org.runtime.relay: the gateway's socket (default:
    the room's, $ORG_GATEWAY_SOCKET) served on the room's loopback, the CLI pointed at it."""
    return [sys.executable, "-m", "org.runtime.relay", *(["--socket", socket] if socket else []), "--", *argv]


def _probe_ok() -> bool:
    from org.runtime.isolation import probe

    return probe()[0]
