"""A job's room attacked from inside: agent-written test code against its worker, a worker that hangs (ADR 0171)."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from pathlib import Path

import pytest

import org.agents.rooms as rooms
from org.runtime import Isolation, Limits, probe

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not probe(), reason="bubblewrap does not start here")]

# The worker's own protection, then a stand-in for its work: run the builder's run_tests as the real one does
# (org.workspaces.commands.run_command(sandbox="room"), toolwork), then say its true outcome.
PRELUDE = 'import org.agents.worker as w\nw.protect() if hasattr(w, "protect") else None\n'

FORGE = r'''
import json, pickle, sys
from pathlib import Path
from org.workspaces.commands import run_command
job = pickle.load(sys.stdin.buffer)
test = r"""
for p in /proc/[0-9]*; do
  tr '\0' ' ' < $p/cmdline 2>/dev/null | grep -q "WORKER-MARK" || continue
  W=${p#/proc/}
  echo '{"outcome": {"job": 1, "task": "T-1", "gate": "g", "lane": "l", "actor": "a", "status": "submitted", "calls": 0}}' > /proc/$W/fd/1
  kill -9 $W
done
"""
r = run_command(test, Path.cwd(), 30, sandbox="room")
print(json.dumps({"outcome": {"job": 1, "task": "T-1", "gate": "g", "lane": "l", "actor": "a",
    "status": "released", "calls": 7}}), flush=True)
'''

MEM = r'''
import json, pickle, sys
from pathlib import Path
from org.workspaces.commands import run_command
job = pickle.load(sys.stdin.buffer)  # holds the job token, as the real worker's job does
test = r"""python3 - <<'PY'
import os, re
got = set()
for p in os.listdir("/proc"):
    if not p.isdigit() or int(p) == os.getpid():
        continue
    try:
        with open(f"/proc/{p}/maps") as maps, open(f"/proc/{p}/mem", "rb", 0) as mem:
            for line in maps:
                a, b = (int(x, 16) for x in line.split()[0].split("-"))
                if "rw" not in line.split()[1]:
                    continue
                try:
                    mem.seek(a); data = mem.read(b - a)
                except (OSError, ValueError, OverflowError):
                    continue
                got |= set(re.findall(rb"SECRET[A-Z]+TOKEN42", data))
    except OSError:
        continue
print("READ", sorted(got))
PY"""
r = run_command(test, Path.cwd(), 60, sandbox="room")
print(json.dumps({"outcome": {"job": 1, "task": "T-1", "gate": "g", "lane": "l", "actor": "a",
    "status": "released", "error": r.tail[-300:]}}), flush=True)
'''


class _Cfg:
    lanes: dict = {}

    def __init__(self, root: Path) -> None:
        self.root = str(root)


class _Runner:
    def __init__(self) -> None:
        self.notes: list = []

    def note(self, kind: str, text: str) -> None:
        self.notes.append((kind, text))


class _Listening:
    """A Unix socket at `path` answering the broker's ping as the run's broker does (one line in, one out)."""

    def __init__(self, path: Path) -> None:
        import socket

        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(path))
        self.sock.listen(8)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with c:
                if c.makefile("rb").readline().strip():
                    c.sendall(b'{"ok": true, "result": {}}\n')

    def close(self) -> None:
        import socket

        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


def _listen(path: Path) -> _Listening:
    """What the run's broker makes: a socket answering its ping."""
    return _Listening(path)


def _rooms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: str, **kw) -> tuple[rooms.Rooms, Path]:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "w.py").write_text(PRELUDE + code)
    sock = tmp_path / "x.sock"
    sock.touch()
    # the mark in its argv: how the attacking test code finds the worker
    monkeypatch.setattr(rooms, "WORKER", [sys.executable, str(ws / "w.py"), "WORKER-MARK"])
    return rooms.Rooms(_Cfg(tmp_path / "org"), Isolation("bwrap"), sock, sock, **kw), ws


def test_agent_test_code_can_neither_forge_the_outcome_nor_kill_the_worker(tmp_path, monkeypatch):
    R, ws = _rooms(tmp_path, monkeypatch, FORGE)
    started = R._start(ws)
    try:
        got = R._finish(started, {"job": 1}, _Runner())
    finally:
        started.discard()
    assert isinstance(got, dict), got  # the worker lived to say its outcome
    assert got["status"] == "released" and got["calls"] == 7  # its own, not the forged one


def test_agent_test_code_cannot_read_the_workers_memory(tmp_path, monkeypatch):
    R, ws = _rooms(tmp_path, monkeypatch, MEM)
    started = R._start(ws)
    try:
        got = R._finish(
            started, {"job": 1, "job_token": "orgj_deadbeef_" + "SECRET" + "JOBTOKEN42"}, _Runner()
        )
    finally:
        started.discard()
    assert isinstance(got, dict), got
    assert "READ" in got["error"]  # the attack ran
    assert "SECRETJOBTOKEN42" not in got["error"]


HANG = "import pickle, sys, time\npickle.load(sys.stdin.buffer)\ntime.sleep(120)\n"


def test_a_hung_worker_is_stopped_at_its_wall_limit(tmp_path, monkeypatch):
    R, ws = _rooms(tmp_path, monkeypatch, HANG, limits=Limits(wall_s=3))
    started = R._start(ws)
    t0 = time.monotonic()
    try:
        got = R._finish(started, {"job": 1}, _Runner())
    finally:
        started.discard()
    assert isinstance(got, str) and "wall" in got, got
    assert time.monotonic() - t0 < 60


def test_the_runs_stop_reaches_a_hung_worker(tmp_path, monkeypatch):
    R, ws = _rooms(tmp_path, monkeypatch, HANG)
    started = R._start(ws)
    stopping = threading.Event()
    threading.Timer(1.0, stopping.set).start()
    t0 = time.monotonic()
    try:
        got = R._finish(started, {"job": 1}, _Runner(), stopping)
    finally:
        started.discard()
    assert isinstance(got, str) and "stop" in got, got
    assert time.monotonic() - t0 < 60


DEAF = (
    "import pickle, signal, sys, time\nfor s in (signal.SIGTERM, signal.SIGINT):\n    signal.signal(s, signal.SIG_IGN)\n"
    "pickle.load(sys.stdin.buffer)\nprint('deaf', file=sys.stderr, flush=True)\ntime.sleep(120)\n"
)


def test_the_runs_stop_reaches_a_hung_worker_that_ignores_sigterm(tmp_path, monkeypatch):
    """The worker ignores SIGTERM: the room still ends (bubblewrap, outside its session, takes the SIGTERM and
    its room with it, --die-with-parent; else the SIGKILL GRACE_S later), and nothing of it is left."""
    R, ws = _rooms(tmp_path, monkeypatch, DEAF)
    started = R._start(ws)
    stopping = threading.Event()
    threading.Timer(1.0, stopping.set).start()
    try:
        got = R._finish(started, {"job": 1}, _Runner(), stopping)
    finally:
        started.discard()
    assert isinstance(got, str) and "stop" in got, got
    deadline = time.monotonic() + 10  # killed with bubblewrap: gone once the kernel has reaped them
    while True:
        marked = [d for d in os.listdir("/proc") if d.isdigit() and str(ws / "w.py") in _cmdline(d)]
        if not marked or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not marked, marked


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def test_rooms_bound_their_workers_by_default(tmp_path):
    sock = tmp_path / "x.sock"
    sock.touch()
    lim = rooms.Rooms(_Cfg(tmp_path), Isolation("bwrap"), sock, sock).room(tmp_path).limits
    assert lim.wall_s and lim.cpu_s and lim.memory_mb


def test_a_worker_killed_mid_job_leaves_a_reason_not_an_outcome(tmp_path, monkeypatch):
    code = "import os, pickle, sys\npickle.load(sys.stdin.buffer)\nos.kill(os.getpid(), 9)\n"
    R, ws = _rooms(tmp_path, monkeypatch, code)
    started = R._start(ws)
    try:
        got = R._finish(started, {"job": 1}, _Runner())
    finally:
        started.discard()
    assert isinstance(got, str) and got.startswith("exit "), got  # Rooms.run releases the job with it


FORGED_ZERO = r"""
import json, pickle, sys
pickle.load(sys.stdin.buffer)
print(json.dumps({"outcome": {"job": 1, "task": "T-1", "gate": "g", "lane": "reviewer", "actor": "rev-gpt",
    "status": "submitted", "calls": 0}}), flush=True)
"""


def test_the_brake_runs_whatever_calls_the_worker_reports(org_copy, tmp_path, monkeypatch):
    """A worker (or code that got hold of its channel) reporting `calls: 0` does not skip the budget brake: the
    dispatcher runs it on the lane's server-side ledger after every room job."""
    from types import SimpleNamespace

    from org.config.loader import load_org

    R, _ws = _rooms(tmp_path, monkeypatch, FORGED_ZERO)
    R.cfg = load_org(org_copy)
    R.spares = 0
    # a review job's room holds an empty folder, not the workspace: the worker's code on its command line
    monkeypatch.setattr(rooms, "WORKER", [sys.executable, "-c", PRELUDE + FORGED_ZERO])
    braked: list = []
    runner = SimpleNamespace(
        note=lambda *_a: None,
        endpoints={"rev-gpt": "http://127.0.0.1:9"},
        pacer=SimpleNamespace(limits={}),
        _access=lambda *_a: SimpleNamespace(token="g", models=(), job=1, expires=None),
        _budget=lambda port, lane, actor, **_k: braked.append((lane, actor)) or ["over budget"],
    )
    claim = SimpleNamespace(
        job=1,
        task="T-1",
        gate="g",
        lane="reviewer",
        kind="review",
        token="t",
        attributes={},
        to_json=lambda: {},
    )
    try:
        o = R.run(runner, SimpleNamespace(), claim, "rev-gpt", threading.Event())
    finally:
        R.close()
    assert o.status == "submitted" and o.calls == 0
    assert braked == [("reviewer", "rev-gpt")] and o.budget == ["over budget"]


def test_a_spare_room_started_before_the_broker_listened_is_never_handed_a_job(tmp_path, monkeypatch):
    """A spare room is started ahead; one made before the run's broker socket existed has no broker socket, and
    the ops job given it could use no credential (a CI failure: 'no credential broker serves this run')."""
    R, _ws = _rooms(tmp_path, monkeypatch, "import time\ntime.sleep(30)\n")
    monkeypatch.setattr(
        rooms, "BROKER_WAIT_S", 0.3
    )  # the early room waits this long for it, then starts without
    broker = tmp_path / "broker.sock"
    R.broker = broker  # the run's broker, not listening yet
    early = R._start(None)
    assert "broker" not in early.room.sockets
    R._spare.append(early)
    listener = _listen(broker)  # now it listens
    got = R._take_spare()
    try:
        assert got is not early and "broker" in got.room.sockets
        assert early.proc.poll() is not None or early.proc.wait(timeout=10) is not None  # the stale one ended
    finally:
        got.discard()
        R.close()
        listener.close()


def test_a_job_room_waits_for_the_runs_broker_that_is_still_starting(tmp_path, monkeypatch):
    """On a loaded machine the run's broker (a process of its own) may listen only after the first job is
    claimed: the job's room must not start without the broker socket then (the ops job could use no
    credential and its task escalated, leaving `org run` with a task undone in a fresh-clone CI run)."""
    R, _ws = _rooms(tmp_path, monkeypatch, "import time\ntime.sleep(30)\n")
    broker = tmp_path / "broker.sock"
    R.broker = broker  # the run's broker, not listening yet
    broker.touch()  # a socket file left by a dead broker is not a broker
    listening = []

    def start() -> None:
        broker.unlink()
        listening.append(_listen(broker))

    threading.Timer(0.5, start).start()  # it listens a moment later
    got = R._take_spare()
    try:
        assert "broker" in got.room.sockets and listening
    finally:
        got.discard()
        R.close()
        for s in listening:
            s.close()


def test_a_broker_that_never_listens_is_waited_for_once_not_per_job(tmp_path, monkeypatch):
    """Bounded: a broker that never comes is waited for once (the jobs then run without it and a credential
    use says no broker serves the run), not once per job."""
    R, _ws = _rooms(tmp_path, monkeypatch, "import time\ntime.sleep(30)\n")
    monkeypatch.setattr(rooms, "BROKER_WAIT_S", 0.3)
    R.broker = tmp_path / "never.sock"
    started = []
    try:
        t0 = time.monotonic()
        started.append(R._start(None))
        first = time.monotonic() - t0
        started.append(R._start(None))
        assert "broker" not in started[0].room.sockets and "broker" not in started[1].room.sockets
        assert first >= 0.3  # it was waited for ...
        assert R._broker_given_up  # ... and then given up for the rest of the run
    finally:
        for s in started:
            s.discard()
        R.close()


def test_a_run_stopping_does_not_wait_out_a_broker_that_is_not_listening(tmp_path, monkeypatch):
    """Ctrl-C while a job's room waits for the run's broker (slow to start on a loaded machine): the wait ends
    with the run's stop, not after BROKER_WAIT_S (CI: `org run --watch` did not end within 30 s of SIGINT)."""
    R, _ws = _rooms(tmp_path, monkeypatch, "import time\ntime.sleep(30)\n")
    monkeypatch.setattr(rooms, "BROKER_WAIT_S", 60.0)
    R.broker = tmp_path / "never.sock"
    R._stopping = threading.Event()
    threading.Timer(0.3, R._stopping.set).start()
    t0 = time.monotonic()
    assert R._broker_listens() is False
    assert time.monotonic() - t0 < 30  # bounded by the stop (0.3 s), not by the 60 s wait
    assert not R._broker_given_up  # a stop is not the broker failing: a later run's rooms still wait
    R.close()
