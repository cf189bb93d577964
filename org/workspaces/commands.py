"""Running a repository's setup and test commands: a time limit, an environment without secrets, a
bubblewrap sandbox where it works (said in the result when not), and the output's tail and sha256."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from org.engine import rule_ids
from org.errors import Denied

__all__ = [
    "CommandResult",
    "run_command",
    "org_hidden",
    "sandbox_available",
    "clean_env",
    "TAIL_BYTES",
    "NoSandbox",
]

TAIL_BYTES = 4000
# Only these variables reach a command; nothing named like a key, token or password, no org or git variables.
_KEEP = ("PATH", "LANG", "LC_ALL", "TZ", "TERM")


class NoSandbox(Denied):
    """A repository command was not run: its sandbox is required (the default) and bubblewrap is missing here
    or does not start (exit 4, rule_ids.NO_SANDBOX). Nothing ran; the gate keeps waiting for the pipeline."""


@dataclass(frozen=True)
class CommandResult:
    ok: bool
    exit_code: int | None  # None: killed at its time limit
    timed_out: bool
    seconds: float
    tail: str  # the last TAIL_BYTES of stdout+stderr
    sha256: str  # of the whole output
    output_bytes: int
    sandbox: str  # "bubblewrap" or why not

    def summary(self) -> str:
        why = f"timed out after {self.seconds:.0f} s" if self.timed_out else f"exit {self.exit_code}"
        return f"{why}, {self.output_bytes} bytes of output, sha256 {self.sha256[:12]}"

    def to_json(self) -> dict:
        return dict(self.__dict__)


def clean_env(home: str) -> dict[str, str]:
    """The environment a repository command runs in: a short allowlist, a private HOME, nothing secret, and
    no Python byte code written (a test run in an agent's workspace leaves no build output to be committed)."""
    env = {k: os.environ[k] for k in _KEEP if k in os.environ}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env.update(HOME=home, TMPDIR="/tmp", CI="true", ORG_SANDBOX="1", PYTHONDONTWRITEBYTECODE="1")
    return env


@lru_cache(maxsize=1)
def sandbox_available() -> str | None:
    """None when bubblewrap works here, else why not (said in every result)."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "no sandbox: bubblewrap is not installed"
    try:
        proc = subprocess.run(
            [bwrap, *_bwrap_args(Path("/"), "/tmp"), "true"], capture_output=True, timeout=20
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"no sandbox: bubblewrap does not start ({exc})"
    if proc.returncode != 0:
        return f"no sandbox: bubblewrap does not start ({proc.stderr.decode(errors='replace').strip()[:200]})"
    return None


def _bwrap_args(cwd: Path, home: str) -> list[str]:
    """The whole file system read-only, the checkout read-write, private /tmp and HOME, no network, the org
    folder and any database out of sight only by not being writable (the padded-room issue narrows this)."""
    args = [
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--tmpfs",
        "/tmp",
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-pid",
        "--unshare-uts",
        "--die-with-parent",
        "--new-session",
    ]
    for (
        keep
    ) in _under_tmp():  # the private /tmp must not hide the interpreter or org itself (a checkout in /tmp)
        args += ["--ro-bind", keep, keep]
    if str(cwd) != "/":
        args += ["--bind", str(cwd), str(cwd)]
    args += ["--tmpfs", home, "--chdir", str(cwd)]
    return args


def _under_tmp() -> list[str]:
    """The interpreter's prefixes and org's source folder where they lie under /tmp (read-only in the sandbox)."""
    import org

    places = {
        Path(sys.prefix).resolve(),
        Path(sys.base_prefix).resolve(),
        Path(org.__file__).resolve().parents[1],
    }
    return sorted(str(p) for p in places if p.is_relative_to("/tmp") and p != Path("/tmp"))


_HOME_SECRETS = (
    ".config",
    ".ssh",
    ".aws",
    ".azure",
    ".gnupg",
    ".kube",
    ".docker",
    ".netrc",
    ".git-credentials",
    ".pypirc",
    ".npmrc",
    ".pgpass",
    ".cache/org",
)


def org_hidden(root: Path | str) -> tuple[Path, ...]:
    """What a command running agent-written code must never see of the org at `root` (its database, token
    rows, notify cursors, other tasks' workspaces): the tests gate and the built-in agents' run_tests share it."""
    return (Path(root).resolve() / ".org",)


def _secret_places() -> list[Path]:
    """What a command must not see: org's config home (peppers, humans' token files) and the usual homes of
    credentials in the user's HOME (the interpreters and tools elsewhere in HOME stay readable)."""
    from org.identity.files import config_home

    home = Path.home()
    return [config_home(), *(home / n for n in _HOME_SECRETS)]


ROOM_NAMESPACE = ["unshare", "--user", "--map-current-user", "--pid", "--fork", "--kill-child"]


@lru_cache(maxsize=1)
def _room_namespace() -> tuple[str, ...]:
    """The prefix a command run in a job's room takes: a user and pid namespace of its own (unshare), so the
    agent-written code sees no pid of the room's worker to signal and holds no capability over it (with the
    worker non-dumpable, org.agents.worker.protect, it can neither read its memory nor write to its fds).
    A nested /proc cannot be mounted in a room: the room's /proc stays, its pids not the namespace's. Empty
    where unshare cannot make one here: run_command then refuses to run the command (NoSandbox)."""
    if shutil.which("unshare") is None:
        return ()
    try:
        ok = subprocess.run([*ROOM_NAMESPACE, "true"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    return tuple(ROOM_NAMESPACE) if ok else ()


def run_command(
    command: str,
    cwd: Path,
    timeout: float,
    *,
    hide: tuple[Path, ...] = (),
    sandbox: str = "required",
    what: str = "the command",
) -> CommandResult:
    """Run `command` with /bin/sh -c in `cwd` (read-write) within `timeout` seconds. `hide` are folders the
    command must not see at all (the org's .org folder, token files): empty tmpfs over them in the sandbox.
    With `sandbox` 'required' (the default) it fails closed: NoSandbox, nothing run, where bubblewrap is
    missing or does not start; 'optional' runs it unsandboxed there and says so in the result. 'room': the
    caller already runs in a job's sandbox (org.runtime.job_sandbox: its workspace the only writable path, no
    network), which a nested bubblewrap cannot enter (no new /proc inside it): the command runs there as is."""
    cwd = Path(cwd).resolve()
    why_not = None if sandbox == "room" else sandbox_available()
    if why_not is not None and sandbox != "optional":
        raise NoSandbox(
            f"{what} was not run: it runs agent-written code and its sandbox is required ({why_not}). "
            "Install bubblewrap (apt-get install bubblewrap), or set 'sandbox: optional' on the repository "
            "in gates/repos.yaml to run it unsandboxed (said in the evidence)",
            rule=rule_ids.NO_SANDBOX,
        )
    if sandbox == "room" and not _room_namespace():
        # in the room itself its init process holds the worker's pipes and the worker can be signalled:
        # agent-written code could forge the job's outcome (ADR 0280); fail closed, nothing run
        raise NoSandbox(
            f"{what} was not run: in a job's room it runs in a user and pid namespace of its own, which "
            "unshare cannot make here (user namespaces disabled, or util-linux's unshare missing)",
            rule=rule_ids.NO_SANDBOX,
        )
    with tempfile.TemporaryDirectory(prefix="org-cmd-") as scratch:
        home = str(Path(scratch) / "home") if why_not or sandbox == "room" else "/tmp/home"
        os.makedirs(Path(scratch) / "home", exist_ok=True)
        out_path = Path(scratch) / "out"
        if why_not is None and sandbox != "room":
            hidden: list[str] = []
            for h in (*hide, *_secret_places()):
                if not h.exists():
                    continue
                if cwd.is_relative_to(h.resolve()):  # a workspace under .org/workspaces: all of the folder
                    hidden += ["--tmpfs", str(h.resolve()), "--bind", str(cwd), str(cwd)]  # but the checkout
                    continue
                hidden += (
                    ["--tmpfs", str(h.resolve())]
                    if h.is_dir()
                    else ["--ro-bind", "/dev/null", str(h.resolve())]
                )
            cmd = ["bwrap", *_bwrap_args(cwd, home), *hidden, "/bin/sh", "-c", command]
        elif sandbox == "room":
            cmd = [*_room_namespace(), "/bin/sh", "-c", command]
        else:
            cmd = ["/bin/sh", "-c", command]
        start = time.monotonic()
        timed_out = False
        with open(out_path, "wb") as out:
            proc = subprocess.Popen(
                cmd,
                cwd=str(cwd),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=clean_env(home),
                start_new_session=True,
            )
            try:
                code: int | None = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                code = None
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        seconds = time.monotonic() - start
        digest = hashlib.sha256()
        size = 0
        with open(out_path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
                size += len(chunk)
            f.seek(max(0, size - TAIL_BYTES))
            tail = f.read().decode(errors="replace")
    return CommandResult(
        ok=code == 0 and not timed_out,
        exit_code=code,
        timed_out=timed_out,
        seconds=seconds,
        tail=tail,
        sha256=digest.hexdigest(),
        output_bytes=size,
        sandbox=(
            ("bubblewrap (the job's room" + (", a pid namespace of its own)" if _room_namespace() else ")"))
            if sandbox == "room"
            else "bubblewrap"
        )
        if why_not is None
        else why_not,
    )
