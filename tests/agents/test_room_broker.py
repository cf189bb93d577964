"""A job's room and the run's credential broker: the supervisor starts the broker beside the agent host (niced, so
the agents start first), and a room made before the broker's socket exists could never reach it: the ops job
worked there escalates ('no credential broker serves this run'). A CI run of the README's command: after
`org demo` and the approvals, `org run` exited 0 with one task done instead of two (T-5's Jira call)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import org.agents.rooms as rooms
from org.runtime import Isolation, probe

pytestmark = pytest.mark.skipif(not probe(), reason="bubblewrap does not start here")


class _Cfg:
    def __init__(self, root: Path) -> None:
        self.root = root


def _rooms(tmp_path: Path, **kw) -> tuple[rooms.Rooms, Path, Path]:
    ws = tmp_path / "ws"
    ws.mkdir()
    sock = tmp_path / "x.sock"
    sock.touch()
    broker = tmp_path / "broker.sock"  # the run's broker: not listening yet
    return rooms.Rooms(_Cfg(tmp_path / "org"), Isolation("bwrap"), sock, sock, broker, **kw), ws, broker


def test_a_room_made_while_the_runs_broker_still_starts_waits_for_its_socket(tmp_path, monkeypatch):
    """The broker comes up while the room is being made (at the first look that finds no socket): the room
    gets the broker's socket, whatever the timing."""
    R, ws, broker = _rooms(tmp_path, broker_wait_s=60.0)
    looks: list[bool] = []
    real = rooms._listening

    def listening(path: Path) -> bool:
        up = real(path)
        looks.append(up)
        if not up:
            broker.touch()  # the broker's socket appears now, after this look
        return up

    monkeypatch.setattr(rooms, "_listening", listening)
    room = R.room(ws)
    assert looks[0] is False and "broker" in room.sockets, looks


def test_a_room_waits_for_the_broker_only_within_its_bound(tmp_path, monkeypatch):
    """No broker ever comes: the room is made without one once the bound has passed (the job's worker then says
    that no broker serves the run); a run without a broker to wait for (the default) does not wait at all."""
    R, ws, broker = _rooms(tmp_path, broker_wait_s=0.3)
    t0 = time.monotonic()
    room = R.room(ws)
    assert "broker" not in room.sockets and time.monotonic() - t0 >= 0.3
    (tmp_path / "plain").mkdir()
    R0, ws0, _ = _rooms(tmp_path / "plain")
    looks: list[Path] = []
    monkeypatch.setattr(rooms, "_listening", lambda p: looks.append(p) or False)
    assert "broker" not in R0.room(ws0).sockets and len(looks) == 1  # one look, no wait
