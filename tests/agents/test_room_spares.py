"""Spare rooms and the broker probe (review findings on ADR 0291's per-lane limits): spares are kept per lane
limits, so two lanes of different limits taking turns each find theirs; the probe of the run's broker is its
ping (a well-formed request the broker answers and counts as one, no refusal), not a bare connection. Real
bubblewrap rooms, a real broker daemon."""

from __future__ import annotations

import dataclasses
import sys
import threading
import time
from types import SimpleNamespace

import pytest

import org.agents.rooms as rooms
from org.runtime import probe
from tests.agents.test_room_attack import _rooms

needs_bwrap = pytest.mark.skipif(not probe()[0], reason="bubblewrap does not start here")


def test_the_broker_probe_is_a_ping_the_broker_counts_as_no_refusal(org_copy):
    from tests.identity.test_broker import _daemon

    d = _daemon(org_copy, f"sqlite:///{org_copy / '.org' / 'org.db'}")
    d.bind()
    th = threading.Thread(target=d.serve, daemon=True)
    th.start()
    try:
        assert [rooms._listening(d.path) for _ in range(3)] == [True, True, True]
        counts = d.status()
        assert (counts["requests"], counts["refusals"]) == (3, 0), counts
    finally:
        d.stop()
        th.join(5)
    assert not rooms._listening(d.path)  # its socket file, if left, answers nothing
    d.path.parent.rmdir() if d.path.parent.exists() and not any(d.path.parent.iterdir()) else None


def _wait_spare(R: rooms.Rooms, limits) -> rooms._Started:
    deadline = time.monotonic() + 120  # a hang guard: a room starts in ~1 s here, more under load
    while time.monotonic() < deadline:
        with R._lock:
            got = [s for s in R._spare if s.room.limits == limits]
        if got:
            return got[0]
        time.sleep(0.05)
    raise AssertionError(f"no spare room of {limits} was started")


@pytest.mark.slow
@needs_bwrap
def test_two_lanes_of_different_limits_taking_turns_each_find_their_spare_room(tmp_path, monkeypatch):
    """The dispatcher takes a spare for a lane's job and refills one of that lane's limits (Rooms.run). With
    `spares: 1` kept overall, lane B's refill made lane A's spare go and the reverse: every job of either
    started its room while it waited (~1 s each)."""
    R, _ws = _rooms(tmp_path, monkeypatch, "", spares=1)
    monkeypatch.setattr(
        rooms, "WORKER", [sys.executable, "-c", "import time\ntime.sleep(60)"]
    )  # a spare's room
    a = rooms.default_limits()
    b = dataclasses.replace(a, cpu_s=a.cpu_s + 1)
    taken = []
    try:
        for limits in (a, b):  # warm up: each lane's first job starts its room, then a spare of its limits
            taken.append(R._take_spare(limits))
            R._refill(limits)
            _wait_spare(R, limits)
        for _round in range(2):
            for limits in (a, b):
                spare = _wait_spare(R, limits)
                got = R._take_spare(limits)
                taken.append(got)
                R._refill(limits)
                assert got is spare and got.room.limits == limits, (_round, limits)
    finally:
        for s in taken:
            s.discard()
        R.close()


@pytest.mark.slow
@needs_bwrap
def test_a_spare_room_outlives_the_thread_that_started_it(tmp_path, monkeypatch):
    """bubblewrap's --die-with-parent is the kernel's parent-death signal, which follows the *thread* that forked
    the room: a spare started by a short-lived thread was SIGKILLed as that thread ended (a CI run: the spare was
    dead when the job came, so every job waited for a fresh room, and one taken in the gap lost its worker). A
    spare's room must be started by a thread that lives as long as the spare is kept."""
    R, _ws = _rooms(tmp_path, monkeypatch, "", spares=1)
    monkeypatch.setattr(rooms, "WORKER", [sys.executable, "-c", "import time\ntime.sleep(60)"])
    starters: dict[int, threading.Thread] = {}
    start = R._start

    def recording(*a, **k):
        got = start(*a, **k)
        starters[got.proc.pid] = threading.current_thread()
        return got

    monkeypatch.setattr(R, "_start", recording)
    limits = rooms.default_limits()
    try:
        for _ in range(3):
            asker = threading.Thread(target=R._refill, args=(limits,))  # e.g. a dispatcher's worker thread
            asker.start()
            asker.join()
            spare = _wait_spare(R, limits)
            starter = starters[spare.proc.pid]
            starter.join(0.5)  # a starter that ends now would take the room with it
            assert starter.is_alive() and spare.proc.poll() is None, spare.proc.returncode
            R._take_spare(limits).discard()
    finally:
        R.close()


def test_a_spare_that_fails_to_start_leaves_the_maker_making_spares(tmp_path, monkeypatch):
    """Trouble starting one spare (any error, not only OSError) neither ends the spare maker nor leaves its
    request counted for ever (which made `_refill` refuse that lane's limits for the rest of the run)."""
    R, _ws = _rooms(tmp_path, monkeypatch, "", spares=1)
    limits = rooms.default_limits()
    started = []
    calls = []

    def start(workspace, lim):
        calls.append(lim)
        if len(calls) == 1:
            raise ValueError("a bad room")
        s = rooms._Started(room=type("Room", (), {"limits": lim})(), proc=None, scratch=None)  # type: ignore[arg-type]
        started.append(s)
        return s

    monkeypatch.setattr(R, "_start", start)
    try:
        R._refill(limits)
        deadline = time.monotonic() + 30
        while len(calls) < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        while time.monotonic() < deadline:
            with R._lock:
                if not R._wanted:
                    break
            time.sleep(0.01)
        R._refill(limits)  # asked again: a spare is made
        while not started and time.monotonic() < deadline:
            time.sleep(0.01)
        assert started and R._maker is not None and R._maker.is_alive()
    finally:
        with R._lock:
            R._spare.clear()  # the stand-in rooms have nothing to discard
        R.close()


def _stand_in(limits) -> rooms._Started:
    """A started room that needs no bubblewrap: its `discard` is counted."""

    class Room:
        def __init__(self) -> None:
            self.limits, self.sockets, self.discarded = limits, {}, 0

    s = rooms._Started(room=Room(), proc=None, scratch=None)  # type: ignore[arg-type]
    s.discard = lambda: setattr(s.room, "discarded", s.room.discarded + 1)  # type: ignore[method-assign]
    return s


def test_a_spare_that_fails_to_start_is_said_not_swallowed(tmp_path, monkeypatch):
    """The spare maker's trouble starting a room (bubblewrap gone, a full disk) reaches the run's notes, as the
    dispatcher's other trouble does; the same trouble again is not said again, until a spare starts."""
    notes: list = []
    R, _ws = _rooms(tmp_path, monkeypatch, "", spares=1, note=lambda kind, text: notes.append((kind, text)))
    limits = rooms.default_limits()
    tries = []

    def start(workspace, lim):
        tries.append(lim)
        if len(tries) <= 2:
            raise OSError(28, "No space left on device")
        return _stand_in(lim)

    monkeypatch.setattr(R, "_start", start)
    try:
        for n in (1, 2):
            R._refill(limits)
            _wait(lambda n=n: len(tries) >= n and not R._wanted)
        assert [k for k, _t in notes] == ["error"], notes
        assert "spare room" in notes[0][1] and "No space left on device" in notes[0][1], notes
        R._refill(limits)
        _wait(lambda: len(R._spare) == 1)
    finally:
        with R._lock:
            R._spare.clear()  # the stand-in rooms have nothing to discard
        R.close()


def _wait(cond) -> None:
    deadline = time.monotonic() + 30  # a hang guard, not a timing assertion
    while not cond():
        assert time.monotonic() < deadline, "the spare maker never got there"
        time.sleep(0.01)


class _NoThreads:
    """threading.Thread where no thread can start (the process is at its limit)."""

    def __init__(self, *a, **k) -> None:
        pass

    def is_alive(self) -> bool:
        return False

    def start(self) -> None:
        raise RuntimeError("can't start new thread")


def test_a_spare_maker_that_cannot_start_leaves_no_request_counted(tmp_path, monkeypatch):
    """`_refill` counts its request before it starts the maker: a maker that could not start left the request
    counted for ever, and that lane's limits got no spare for the rest of the run."""
    R, _ws = _rooms(tmp_path, monkeypatch, "", spares=1)
    limits = rooms.default_limits()
    monkeypatch.setattr(rooms, "threading", SimpleNamespace(**{**vars(threading), "Thread": _NoThreads}))
    with pytest.raises(RuntimeError):
        R._refill(limits)
    assert R._wanted == [] and R._maker is None
    monkeypatch.setattr(rooms, "threading", threading)  # threads start again
    monkeypatch.setattr(R, "_start", lambda workspace, lim: _stand_in(lim))
    try:
        R._refill(limits)
        _wait(lambda: len(R._spare) == 1)
    finally:
        with R._lock:
            R._spare.clear()
        R.close()


def test_a_job_whose_spare_cannot_be_asked_for_still_ends_its_room(org_copy, tmp_path, monkeypatch):
    """`_refill` raising (no thread can start for the spare maker) after the job's room was taken: the room is
    discarded (it leaked, its worker waiting on stdin for a job that never came), the trouble is said and the
    job goes on in its room."""
    from org.config.loader import load_org

    R, _ws = _rooms(tmp_path, monkeypatch, "")
    R.cfg = load_org(org_copy)
    taken = []

    def take(lim=None):
        taken.append(_stand_in(lim))
        return taken[-1]

    monkeypatch.setattr(R, "_take_spare", take)

    def refill(lim=None):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(R, "_refill", refill)
    notes: list = []
    went_on: list = []
    runner = SimpleNamespace(
        note=lambda kind, text: notes.append((kind, text)),
        # the job goes on to ask for its model access; none: it ends here (released), its room discarded
        _access=lambda *_a: went_on.append(True) and None,
    )
    claim = SimpleNamespace(
        job=1, task="T-1", gate="g", lane="reviewer", kind="review", token="t", attributes={}, to_json=dict
    )
    try:
        R.run(runner, SimpleNamespace(), claim, "rev-gpt", threading.Event())
    finally:
        R.close()
    assert len(taken) == 1 and taken[0].room.discarded == 1 and went_on == [True]
    assert [k for k, _t in notes] == ["error"] and "can't start new thread" in notes[0][1], notes


def test_a_note_that_raises_leaves_the_spare_maker_making_spares(tmp_path, monkeypatch):
    """Hostile: the run's notes raise (its stderr is a closed pipe). The maker thread must live on: the rooms it
    started die with the thread that started them (bubblewrap --die-with-parent), so a maker killed by its own
    note would kill every spare it started, the ones already handed to running jobs too."""

    def note(kind, text):
        raise BrokenPipeError(32, "Broken pipe")

    R, _ws = _rooms(tmp_path, monkeypatch, "", spares=1, note=note)
    limits = rooms.default_limits()
    tries = []

    def start(workspace, lim):
        tries.append(lim)
        if len(tries) == 1:
            raise OSError(28, "No space left on device")
        return _stand_in(lim)

    monkeypatch.setattr(R, "_start", start)
    try:
        R._refill(limits)
        _wait(lambda: len(tries) >= 1 and not R._wanted)
        assert R._maker is not None and R._maker.is_alive()
        R._refill(limits)
        _wait(lambda: len(R._spare) == 1)
    finally:
        with R._lock:
            R._spare.clear()
        R.close()


def test_distinct_troubles_are_each_said_and_a_repeat_is_not(tmp_path, monkeypatch):
    """Two troubles alike but for the file they name are two notes (an OSError's file is part of what went
    wrong); troubles taking turns (A, B, A) are said once each until a spare starts."""
    notes: list = []
    R, _ws = _rooms(tmp_path, monkeypatch, "", spares=1, note=lambda kind, text: notes.append(text))
    limits = rooms.default_limits()
    errors = [
        OSError(2, "No such file or directory", "/usr/bin/bwrap"),
        OSError(2, "No such file or directory", "/tmp/org-rooms/base"),
        OSError(2, "No such file or directory", "/usr/bin/bwrap"),
    ]
    tries = []

    def start(workspace, lim):
        tries.append(lim)
        raise errors[len(tries) - 1]

    monkeypatch.setattr(R, "_start", start)
    try:
        for n in (1, 2, 3):
            R._refill(limits)
            _wait(lambda n=n: len(tries) >= n and not R._wanted)
        assert len(notes) == 2, notes
        assert "/usr/bin/bwrap" in notes[0] and "/tmp/org-rooms/base" in notes[1], notes
    finally:
        R.close()


def test_a_trouble_naming_a_random_room_folder_is_said_once(tmp_path, monkeypatch):
    """A room's scratch folder has a random name (org-room-XXXX): the same trouble making it again is the same
    trouble, said once, not a new note for every spare asked for."""
    notes: list = []
    R, _ws = _rooms(tmp_path, monkeypatch, "", spares=1, note=lambda kind, text: notes.append(text))
    limits = rooms.default_limits()
    tries = []

    def start(workspace, lim):
        tries.append(lim)
        raise OSError(28, "No space left on device", f"/tmp/org-room-{len(tries)}x{len(tries) * 7}ab")

    monkeypatch.setattr(R, "_start", start)
    try:
        for n in (1, 2, 3):
            R._refill(limits)
            _wait(lambda n=n: len(tries) >= n and not R._wanted)
        assert len(notes) == 1, notes
        assert "/tmp/org-room-1x7ab" in notes[0], notes
    finally:
        R.close()
