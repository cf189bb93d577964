"""The mail slot's adapter: the model gateway's Unix socket served on a room's own loopback, for a CLI that only takes an http base URL.

    python -m org.runtime.relay [--socket /run/org/gateway.sock] -- CLI ARGS...

Inside a sandbox (`--unshare-net`) the loopback is the room's own: nothing outside can connect to the relay,
and the relay connects to nothing but the socket. It listens on 127.0.0.1 (a port the kernel picks), runs the
CLI with OPENAI_BASE_URL / OPENAI_API_BASE (…/v1) and ANTHROPIC_BASE_URL pointing at itself and, when
ORG_GATEWAY_TOKEN is set, OPENAI_API_KEY / ANTHROPIC_API_KEY set to that per-job gateway token (the only key
in the room), copies bytes both ways per connection, and exits with the CLI's exit code. See
org.runtime.sandbox.job_sandbox and relay_argv.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

__all__ = ["Relay", "main", "TOKEN_ENV"]

TOKEN_ENV = "ORG_GATEWAY_TOKEN"


class Relay:
    """Accepts on 127.0.0.1:<port> and joins each connection to a new one on the Unix socket `path`."""

    def __init__(self, path: str, host: str = "127.0.0.1") -> None:
        self.path = path
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, 0))
        self._listener.listen(64)
        self.host, self.port = self._listener.getsockname()[:2]
        self._thread = threading.Thread(target=self._accept, name="org-relay", daemon=True)
        self._thread.start()

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def env(self, token: str | None) -> dict[str, str]:
        """What points an OpenAI- or Anthropic-speaking CLI at this relay (as ModelAccess.env does at the gateway)."""
        out = {
            "OPENAI_BASE_URL": self.base + "/v1",
            "OPENAI_API_BASE": self.base + "/v1",
            "ANTHROPIC_BASE_URL": self.base,
        }
        if token:
            out.update(OPENAI_API_KEY=token, ANTHROPIC_API_KEY=token)
        return out

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._join, args=(conn,), daemon=True).start()

    def _join(self, conn: socket.socket) -> None:
        up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            up.connect(self.path)
        except OSError:
            conn.close()
            up.close()
            return
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        back = threading.Thread(target=_pump, args=(up, conn), daemon=True)
        back.start()
        _pump(conn, up)
        back.join()
        conn.close()
        up.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.close()


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while True:
            data = src.recv(1 << 16)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    with contextlib.suppress(OSError):
        dst.shutdown(socket.SHUT_WR)


def _own_cpu_s(pid: int) -> float:
    """The CPU time process `pid` used itself (its utime + stime, not its children's), read while it is a
    zombie not yet reaped; 0 when unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def _at_cpu_limit(code: int, own_cpu_s: float) -> int:
    """The CLI's exit code, a SIGKILL said as the CPU limit's SIGXCPU only when the CLI's own CPU time reached
    the room's limit (RLIMIT_CPU binds each process on its own: a CLI that ignored SIGXCPU dies by SIGKILL at
    the limit's hard bound). A SIGKILL for any other reason (the room's memory, org stopping it) stays one,
    however much CPU the processes it reaped used."""
    import resource
    import signal

    if code != -signal.SIGKILL:
        return code
    soft = resource.getrlimit(resource.RLIMIT_CPU)[0]
    if soft != resource.RLIM_INFINITY and own_cpu_s >= soft:
        return -signal.SIGXCPU
    return code


def _call(cmd: list[str], env: dict) -> int:
    """subprocess.call, reading the CLI's own CPU time once it ended, before it is reaped."""
    with subprocess.Popen(cmd, env=env) as p:
        try:
            os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOWAIT)
            own = _own_cpu_s(p.pid)
            return _at_cpu_limit(p.wait(), own)
        except BaseException:
            p.kill()
            raise


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m org.runtime.relay", description=__doc__.splitlines()[0])
    ap.add_argument(
        "--socket", default=os.environ.get("ORG_GATEWAY_SOCKET"), help="the gateway's Unix socket"
    )
    ap.add_argument("command", nargs=argparse.REMAINDER, help="-- the CLI and its arguments")
    args = ap.parse_args(argv)
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not args.socket or not cmd:
        ap.print_usage(sys.stderr)
        print(
            "org relay: a gateway socket (--socket or ORG_GATEWAY_SOCKET) and a command are needed",
            file=sys.stderr,
        )
        return 2
    relay = Relay(args.socket)
    try:
        env = {**os.environ, **relay.env(os.environ.get(TOKEN_ENV))}
        try:
            code = _call(cmd, env)
            return 128 - code if code < 0 else code  # killed by a signal: 128 + it, as a shell says
        except OSError as exc:
            print(f"org relay: cannot start {cmd[0]}: {exc.strerror or exc}", file=sys.stderr)
            return 127
    finally:
        relay.close()


if __name__ == "__main__":
    sys.exit(main())
