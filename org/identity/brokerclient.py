"""Talking to the credential broker daemon (`org broker serve`): where its socket is, one request and its
answer, and starting one for a run (`org run`, `org demo`) when none is serving the org.

The socket is `<root>/.org/broker/<key>.sock` (folder 0700, socket 0600), key = sha256 of the org's
folder and database URL, so two orgs (or one org on two databases) never share a broker. A path too
long for a Unix socket falls back to `<tmp>/org-broker-<uid>/<key>.sock` (0700, owned by us, else
refused); `ORG_BROKER_SOCKET` names another place (e.g. a broker run as another OS user).

Wire format: one JSON object per line each way, one request per connection. An error comes back as
the OrgError's JSON (`{"ok": false, "error": kind, "message": ...}`) and is raised again here, so a
client exits exactly as the broker decided; the secret never crosses the socket.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from org.errors import Conflict, Denied, IntegrityError, NeedsApproval, NotFound, OrgError, Paused, UsageError

__all__ = [
    "socket_path",
    "request",
    "call",
    "alive",
    "BrokerDown",
    "BrokerProcess",
    "start_broker",
    "MAX_LINE",
    "BrokerUse",
]

MAX_LINE = 4 * 1024 * 1024
_UNIX_MAX = 100  # sun_path holds 108 bytes on Linux; keep a margin
_ERRORS: dict[str, type[OrgError]] = {
    c.kind: c for c in (UsageError, NotFound, Denied, Conflict, NeedsApproval, Paused, IntegrityError)
}
DOWN = (
    "the credential broker is not running for this org: start it with 'org broker serve' (in the shell "
    "that holds the credentials' secrets); 'org run' and 'org demo' start their own"
)


class BrokerDown(Paused):
    """No broker answers on this org's socket (exit 7: start one, retry)."""


def _private_dir(d: Path) -> Path:
    try:
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
        st = d.lstat()
    except OSError as exc:
        raise UsageError(f"cannot create the broker's folder {d}: {exc.strerror or exc}") from None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise UsageError(f"{d} must be a folder only you can use (owner {os.getuid()}, mode 0700)")
    return d


def socket_path(root: Path | str, db_url: str, *, create: bool = False) -> Path:
    """The broker socket of one org and database (`create`: make its private folder)."""
    env = os.environ.get("ORG_BROKER_SOCKET")
    if env:
        return Path(env).expanduser()
    r = Path(root).expanduser().resolve()
    key = hashlib.sha256(f"{r}\x00{db_url}".encode()).hexdigest()[:16]
    d = r / ".org" / "broker"
    if len(str(d / f"{key}.sock")) > _UNIX_MAX:
        d = Path(tempfile.gettempdir()) / f"org-broker-{os.getuid()}"
    if create:
        _private_dir(d)
    return d / f"{key}.sock"


def request(path: Path, req: dict, *, timeout: float = 30.0) -> dict:
    """Send one request; the broker's answer (`result` of a success), or its error raised as the OrgError."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        try:
            s.connect(str(path))
        except (FileNotFoundError, ConnectionRefusedError, NotADirectoryError):
            raise BrokerDown(DOWN) from None
        except PermissionError:
            raise BrokerDown(f"{DOWN} (the socket {path} is not yours to use)") from None
        s.sendall(json.dumps(req).encode() + b"\n")
        buf = bytearray()
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            if len(buf) > MAX_LINE:
                raise OrgError("the broker's answer is too large")
    except TimeoutError:
        raise Paused(f"the credential broker did not answer within {timeout:.0f}s; retry later") from None
    except OSError as exc:
        raise BrokerDown(f"{DOWN} ({exc.strerror or exc})") from None
    finally:
        s.close()
    try:
        doc = json.loads(buf)
    except ValueError:
        raise BrokerDown(f"{DOWN} (no answer on {path})") from None
    if doc.get("ok"):
        return doc.get("result") or {}
    cls = _ERRORS.get(str(doc.get("error")), OrgError)
    raise cls(str(doc.get("message") or "the broker failed"), **(doc.get("detail") or {}))


def alive(path: Path) -> dict | None:
    try:
        return request(path, {"op": "ping"}, timeout=5.0)
    except OrgError:
        return None


class BrokerProcess:
    """A broker this run started (stopped with the run); `None`-like when one was already serving."""

    def __init__(self, proc: subprocess.Popen | None, path: Path) -> None:
        self.proc = proc
        self.path = path

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def ready(self, timeout: float = 20.0) -> dict | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = alive(self.path)
            if info is not None:
                return info
            if self.proc is not None and self.proc.poll() is not None:
                return None
            time.sleep(0.05)
        return None

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def start_broker(root: Path | str, db_url: str, env: dict[str, str] | None = None) -> BrokerProcess:
    """A broker for this org: the one already serving, else a new `org broker serve` process (its own
    session, so a Ctrl-C meant for the agents does not stop it before calls in flight finish)."""
    path = socket_path(root, db_url, create=True)
    if alive(path) is not None:
        return BrokerProcess(None, path)
    cmd = [sys.executable, "-m", "org", "--root", str(root), "broker", "serve", "--quiet"]
    # the database URL (it may hold a password) goes in the environment: a command line is public (ps)
    penv = {**(os.environ if env is None else env), "ORG_DATABASE_URL": db_url}
    proc = subprocess.Popen(
        cmd,
        env=penv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=None,
        start_new_session=True,
        preexec_fn=lambda: os.nice(10),
    )  # its start-up yields to the agents' own
    return BrokerProcess(proc, path)


def call(root: Path | str, db_url: str, req: dict, *, timeout: float = 30.0) -> Any:
    return request(socket_path(root, db_url), req, timeout=timeout)


class BrokerUse:
    """How a built-in agent uses a credential: one `use` request to this org's broker with its job token; it
    gets back status and a scrubbed body, never the secret. `wait_s`: how long to keep retrying while no
    broker answers yet (a supervisor starts one beside the agent host, and it may still be starting)."""

    def __init__(
        self,
        root: Path | str | None,
        db_url: str | None,
        *,
        wait_s: float = 0.0,
        timeout: float = 60.0,
        path: Path | str | None = None,
    ) -> None:
        self.root, self.db_url, self.wait_s, self.timeout = root, db_url, wait_s, timeout
        # `path`: the broker's socket itself (in a job's room: /run/org/broker.sock), else found from the org
        self.path = Path(path) if path is not None else None

    def use(
        self,
        token: str,
        as_: str,
        *,
        credential: str,
        service: str,
        task: str,
        method: str = "GET",
        path: str = "/",
        body: str | None = None,
        attributes: dict | None = None,
    ) -> dict:
        req = {
            "op": "use",
            "token": token,
            "as": as_,
            "credential": credential,
            "service": service,
            "task": task,
            "method": method,
            "path": path,
            "body": body,
            "attributes": attributes or None,
        }
        deadline = time.monotonic() + self.wait_s
        while True:
            try:
                if self.path is not None:
                    return request(self.path, req, timeout=self.timeout)
                assert self.root is not None and self.db_url is not None
                return call(self.root, self.db_url, req, timeout=self.timeout)
            except BrokerDown:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)
