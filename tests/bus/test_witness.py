"""The audit witness: heads seen by earlier verifies, kept outside the database, catch a consistent rewrite."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

from org.bus import Bus
from tests.bus.bushelpers import drive, forge_consistently
from tests.helpers import run_org


def _verify(root, *extra):
    r = run_org("--json", "audit", "verify", "--as", "alice", *extra, root=root)
    assert "Traceback" not in r.stderr, r.stderr
    return r.returncode, json.loads(r.stdout), r.stderr


@pytest.mark.slow
def test_a_consistent_rewrite_is_caught_by_the_witness(root, tokens):
    db = root / ".org" / "org.db"
    with Bus.open(root=root) as bus:
        drive(bus, bus.add_task("x", "change")["task"])
    code, first, _ = _verify(root)
    assert code == 0 and first["witness"]["recorded"] and first["witness"]["checked"] == 0
    wpath = first["witness"]["path"]
    assert (
        stat.S_IMODE(os.stat(wpath).st_mode) == 0o600 and str(root) not in wpath
    )  # outside the org's folder
    code, again, _ = _verify(root)
    assert code == 0 and again["witness"] == {"path": wpath, "checked": 1, "recorded": False}
    with Bus.open(root=root) as bus:  # more work, a newer head
        drive(bus, bus.add_task("y", "change")["task"])
    code, third, _ = _verify(root)
    assert code == 0 and third["witness"]["recorded"] and third["anchors_checked"] == [first["head"]["seq"]]

    # an event no table mirrors (a task's filing: token, job and switch rows are compared with their events)
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(db)) as c:
        (seq,) = c.execute("SELECT min(seq) FROM events WHERE type = 'task.created'").fetchone()
    forge_consistently(db, seq)
    code, plain, _ = _verify(root, "--no-witness")
    assert code == 0 and plain["ok"]  # what an unkeyed chain alone cannot see
    code, out, err = _verify(root)
    assert code == 8 and out["error"] == "integrity"
    assert out["detail"]["broken"]["seq"] == first["head"]["seq"] and "anchor" in err


@pytest.mark.slow
def test_a_truncated_chain_and_a_bad_witness_file(root, tokens):
    import sqlite3

    with Bus.open(root=root) as bus:
        drive(bus, bus.add_task("x", "change")["task"])
    code, first, _ = _verify(root)
    assert code == 0
    head = first["head"]["seq"]
    with sqlite3.connect(root / ".org" / "org.db") as c:  # cut the tail and move the head back consistently
        h = c.execute("SELECT hash FROM events WHERE seq = ?", (head - 3,)).fetchone()[0]
        c.execute("DELETE FROM events WHERE seq > ?", (head - 3,))
        c.execute("UPDATE audit_head SET seq = ?, hash = ?", (head - 3, h))
    code, out, err = _verify(root)
    assert code == 8 and "missing" in err and out["detail"]["broken"]["seq"] == head
    with open(first["witness"]["path"], "a") as f:
        f.write("not json\n")
    r = run_org("audit", "verify", "--as", "alice", root=root)
    assert r.returncode == 2 and ":2: not a witness line" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.slow
def test_the_demo_starting_afresh_takes_the_witness_along(root, tokens):
    from org.agents.demo import fresh_database
    from org.bus.witness import read_witness, witness_path

    url = f"sqlite:///{root / '.org' / 'org.db'}"
    with Bus.open(root=root) as bus:
        drive(bus, bus.add_task("x", "change")["task"])
    assert _verify(root)[0] == 0
    w = witness_path(root, url)
    assert read_witness(w)
    _, moved = fresh_database(root, url)
    assert moved and not w.exists()
    aside = [p for p in w.parent.iterdir() if p.name.startswith(w.stem + "-before-demo-")]
    assert len(aside) == 1 and read_witness(aside[0])
    # a new database at the same place (a new process, as the demo is) verifies against a fresh witness
    fresh = (
        "from org.bus import Bus; from org.identity.bootstrap import first_use_tokens\n"
        f"with Bus.open(root={str(root)!r}) as b: first_use_tokens(b); b.add_task('y', 'change')"
    )
    subprocess.run([sys.executable, "-c", fresh], check=True, timeout=60)
    code, out, _ = _verify(root)
    assert code == 0 and out["witness"]["checked"] == 0 and out["witness"]["recorded"]


def test_an_unwritable_witness_warns_but_a_sound_chain_still_verifies(root, tokens):
    with Bus.open(root=root) as bus:
        drive(bus, bus.add_task("x", "change")["task"])
    code, out, err = _verify(
        root, "--witness", "/proc/no-such-folder/w.jsonl"
    )  # readable as absent, not writable
    assert code == 0 and out["ok"] and not out["witness"]["recorded"] and "warning" in err
