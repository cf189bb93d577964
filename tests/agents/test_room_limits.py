"""A lane's `room:` limits (ADR 0291): they replace only what they say in its rooms' limits; a built-in agent's
worker that spins in a lane with a 1 s CPU limit is killed and its job failed with the reason (not released);
`org config show` gives them with their file and line. Real bubblewrap and processes. A coding CLI's room under
the same limits (one ignoring SIGXCPU too) is tested in tests/agents/clis/test_jobs.py, the relay's saying of it
in tests/runtime/test_relay_cpu_limit.py, spare rooms kept per limits in tests/agents/test_room_spares.py."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

import org.agents.rooms as rooms
from org.config.loader import load_org
from org.runtime import Isolation, probe

needs_bwrap = pytest.mark.skipif(not probe()[0], reason="bubblewrap does not start here")

SPIN = "import pickle, sys\npickle.load(sys.stdin.buffer)\nwhile True:\n    pass\n"


def _lane_room(org: Path, lane: str, text: str) -> None:
    p = org / "lanes" / f"{lane}.yaml"
    p.write_text(p.read_text() + f"room: {text}\n")


def test_a_lanes_room_limits_replace_only_what_it_says(org_copy):
    _lane_room(org_copy, "reviewer", "{cpu_s: 1, memory_mb: 512}")
    cfg = load_org(org_copy)
    base = rooms.default_limits()
    got = rooms.lane_limits(cfg.lanes["reviewer"], base)
    assert (got.wall_s, got.cpu_s, got.memory_mb) == (base.wall_s, 1, 512)
    assert rooms.lane_limits(cfg.lanes["builder"], base) == base  # no `room:`: the defaults as before
    sock = org_copy / "x.sock"
    sock.touch()
    R = rooms.Rooms(cfg, Isolation("bwrap"), sock, sock)
    assert R.room(org_copy, got).limits == got


def _runner(failed: list, released: list) -> SimpleNamespace:
    return SimpleNamespace(
        note=lambda *_a: None,
        endpoints={"rev-gpt": "http://127.0.0.1:9"},
        pacer=SimpleNamespace(limits={}),
        _access=lambda *_a: SimpleNamespace(token="g", models=(), job=1, expires=None),
        _budget=lambda *_a, **_k: [],
        _fail=lambda port, claim, out, why: failed.append(why) or out,
        _release=lambda port, claim, out, why: released.append(why),
    )


@pytest.mark.slow
@needs_bwrap
@pytest.mark.parametrize("code, says", [(SPIN, "killed at its CPU limit of 1 s")])
def test_a_spinning_built_in_worker_is_killed_at_its_lanes_cpu_limit_and_its_job_failed(
    org_copy, tmp_path, monkeypatch, code, says
):
    """The reviewer lane says `room: {cpu_s: 1}`; its job's worker spins: the dispatcher's Rooms.run ends it at
    the limit and fails the job (not released: it would spin again)."""
    _lane_room(org_copy, "reviewer", "{cpu_s: 1, wall_s: 120}")
    cfg = load_org(org_copy)
    sock = tmp_path / "x.sock"
    sock.touch()
    monkeypatch.setattr(rooms, "WORKER", [sys.executable, "-c", code])
    R = rooms.Rooms(cfg, Isolation("bwrap"), sock, sock, spares=0)
    failed: list = []
    released: list = []
    claim = SimpleNamespace(
        job=1, task="T-1", gate="g", lane="reviewer", kind="review", token="t", attributes={}, to_json=dict
    )
    try:
        out = R.run(_runner(failed, released), SimpleNamespace(), claim, "rev-gpt", threading.Event())
    finally:
        R.close()
    assert not released, released
    assert len(failed) == 1 and says in failed[0], failed
    assert out.failure == "error"


def test_config_show_gives_a_lanes_room_limits_with_their_file_and_line(org_copy):
    from tests.config.config_tools import line_of
    from tests.helpers import org_in_process

    _lane_room(org_copy, "builder", "{wall_s: 120, cpu_s: 30}  # ROOM")
    r = org_in_process("config", "show", "--json", root=org_copy)
    assert r.returncode == 0, r.stderr
    line = line_of(org_copy, "lanes/builder.yaml", "# ROOM")
    doc = json.loads(r.stdout)
    got = {v["path"]: v for v in _values(doc)}
    for key, value in (("lanes.builder.room.cpu_s", 30), ("lanes.builder.room.wall_s", 120)):
        assert got[key]["value"] == value and got[key]["source"] == f"lanes/builder.yaml:{line}", got.get(key)


def _values(doc):
    """Every {path, value, source} in `org config show --json`, wherever its list sits."""
    if isinstance(doc, dict):
        if {"path", "value", "source"} <= doc.keys():
            yield doc
        for v in doc.values():
            yield from _values(v)
    elif isinstance(doc, list):
        for v in doc:
            yield from _values(v)
