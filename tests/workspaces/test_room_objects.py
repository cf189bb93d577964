"""A job's room reads no other task's objects (issue 15: "cannot see other tasks' workspaces"; ADR 0290).

Task B's submitted revision (a commit and a blob only it holds) is in org's mirror; a room made for task A as
org makes one for a coding CLI (job_sandbox with room_reads) and as the built-in agents' rooms make one
(Rooms.room) attacks it by id from inside: git cat-file / show / rev-list --all, reading every object folder
its alternates name (loose objects and pack indexes), pointing its alternates at the mirror, fetching from
it. Real bubblewrap, real git, real repositories. git still works in room A on its own history."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from org.config.loader import load_org
from org.identity.guard import Guard
from org.workspaces.service import check_revision, open_workspace, room_reads

ATTACK = r"""
import json, os, subprocess, sys
sha, blob, root, ws_b = sys.argv[1:5]
def git(*a):
    p = subprocess.run(["git", *a], capture_output=True, text=True)
    return p.returncode, p.stdout
out = {}
out["own_head"] = git("rev-parse", "HEAD")[1].strip()
out["own_status"] = git("status", "--porcelain")[0]
out["own_log"] = git("log", "--format=%H")[0]
out["cat_commit"] = git("cat-file", "-e", sha)[0]
out["cat_blob"] = git("cat-file", "-p", blob)[0]
out["show"] = git("show", sha)[0]
code, listed = git("rev-list", "--all", "--objects")
out["rev_list_has"] = sha in listed or blob in listed
# every object folder git could reach: the alternates, followed as git follows them
seen, todo, found = [], [os.path.abspath(".git/objects")], []
while todo:
    d = todo.pop()
    if d in seen or not os.path.isdir(d):
        continue
    seen.append(d)
    for s in (sha, blob):
        if os.path.exists(os.path.join(d, s[:2], s[2:])):
            found.append(("loose", d, s))
    pack = os.path.join(d, "pack")
    for f in (os.listdir(pack) if os.path.isdir(pack) else []):
        if f.endswith(".idx"):
            raw = open(os.path.join(pack, f), "rb").read()
            for s in (sha, blob):
                if bytes.fromhex(s) in raw:
                    found.append(("pack", f, s))
    alt = os.path.join(d, "info", "alternates")
    if os.path.isfile(alt):
        todo += [l.strip() for l in open(alt) if l.strip() and not l.startswith("#")]
out["folders"] = seen
out["found"] = found
mirror = os.path.join(root, ".org", "repos", "app.git")
out["mirror_seen"] = os.path.exists(mirror)
out["ws_b_seen"] = os.path.exists(ws_b)
# point its own alternates at the mirror (the file is the agent's to write) and ask again
alt = ".git/objects/info/alternates"
before = open(alt).read() if os.path.exists(alt) else ""
open(alt, "a").write(os.path.join(mirror, "objects") + "\n")
out["cat_via_alternates"] = git("cat-file", "-e", sha)[0]
out["fetch_mirror"] = git("fetch", "-q", mirror, sha)[0]
open(alt, "w").write(before)
print(json.dumps(out))
"""


def _claim_work(bus, task):
    g = Guard(bus)
    c, jt = g.claim(bus.tokens["build-claude"], "builder", "build-claude")
    assert c.task == task and c.gate == "implement"
    return g, c.job, jt


@pytest.fixture
def two_tasks(wsbus, ws_org):
    """(task A, A's workspace, B's commit, B's secret blob): B's revision committed into org's mirror before A's
    workspace exists (the worst case: a clone made after B's objects arrived)."""
    from org.runtime import probe

    if not probe()[0]:
        pytest.skip(f"no sandbox here ({probe()[1]})")
    b = wsbus.add_task("task B", "change", by="alice", attributes={"kind": "docs"}, repo="app")["task"]
    ws_b = Path(open_workspace(wsbus, b, actor="alice")["path"])
    g, job, jt = _claim_work(wsbus, b)
    secret = "SECRET-OF-TASK-B 7f3a\n"
    (ws_b / "secret.txt").write_text(secret)
    sha_b = check_revision(wsbus, job, "build-claude")["commit"]
    g.submit(jt, job, "pass")
    blob = subprocess.run(
        ["git", "hash-object", "--stdin"], input=secret, capture_output=True, text=True, check=True
    ).stdout.strip()
    a = wsbus.add_task("task A", "change", by="alice", attributes={"kind": "docs"}, repo="app")["task"]
    ws_a = Path(open_workspace(wsbus, a, actor="alice")["path"])
    return a, ws_a, sha_b, blob, ws_b


def _attack(room, ws_org, sha_b, blob, ws_b) -> dict:
    res = room.run([sys.executable, "-c", ATTACK, sha_b, blob, str(ws_org), str(ws_b)], timeout=120)
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    return json.loads(res.stdout.decode().strip().splitlines()[-1])


def _assert_sealed(got: dict, own_head: str) -> None:
    assert got["cat_commit"] != 0 and got["cat_blob"] != 0 and got["show"] != 0, got
    assert not got["rev_list_has"], got
    assert got["found"] == [], got
    assert not got["mirror_seen"] and not got["ws_b_seen"], got
    assert got["cat_via_alternates"] != 0 and got["fetch_mirror"] != 0, got
    assert got["own_head"] == own_head


def test_a_cli_room_of_task_a_reads_no_object_of_task_b_and_git_works_on_its_own(two_tasks, wsbus, ws_org):
    from org.runtime import job_sandbox

    a, ws_a, sha_b, blob, ws_b = two_tasks
    room = job_sandbox(ws_a, read_only=room_reads(load_org(ws_org), "app", a), python=True)
    try:
        got = _attack(room, ws_org, sha_b, blob, ws_b)
    finally:
        room.close()
    _assert_sealed(got, own_head=_head(ws_a))
    assert got["own_status"] == 0 and got["own_log"] == 0, got  # git works in the room on its own history


@pytest.mark.slow
def test_after_its_own_submission_the_room_reads_its_own_commit_and_still_none_of_b(two_tasks, wsbus, ws_org):
    """Org makes A's commit in its mirror and moves A's workspace to it: A's next room (rework) reads it."""
    from org.runtime import job_sandbox

    a, ws_a, sha_b, blob, ws_b = two_tasks
    g, job, jt = _claim_work(wsbus, a)
    (ws_a / "mine.txt").write_text("A's work\n")
    sha_a = check_revision(wsbus, job, "build-claude")["commit"]
    room = job_sandbox(ws_a, read_only=room_reads(load_org(ws_org), "app", a), python=True)
    try:
        got = _attack(room, ws_org, sha_b, blob, ws_b)
    finally:
        room.close()
    _assert_sealed(got, own_head=sha_a)
    assert got["own_status"] == 0 and got["own_log"] == 0, got


def test_the_built_in_agents_room_of_task_a_reads_no_object_of_task_b(two_tasks, wsbus, ws_org):
    from org.agents.rooms import Rooms
    from org.runtime import resolve

    a, ws_a, sha_b, blob, ws_b = two_tasks
    rooms = Rooms(
        load_org(ws_org), resolve({}), bus=ws_a, gateway=ws_a
    )  # paths that exist; no socket is used
    room = rooms.room(ws_a)
    try:
        got = _attack(room, ws_org, sha_b, blob, ws_b)
    finally:
        room.close()
    _assert_sealed(got, own_head=_head(ws_a))


def _head(ws: Path) -> str:
    from org.workspaces.git import workspace_head

    return workspace_head(ws)


@pytest.mark.slow
def test_a_workspace_removed_and_made_again_reads_its_accepted_head_in_its_room(two_tasks, wsbus, ws_org):
    """Its room store goes with the workspace; made again at org's accepted head, its room reads that head."""
    from org.runtime import job_sandbox
    from org.workspaces.repo import Repository

    a, ws_a, sha_b, blob, ws_b = two_tasks
    g, job, jt = _claim_work(wsbus, a)
    (ws_a / "mine.txt").write_text("A's work\n")
    sha_a = check_revision(wsbus, job, "build-claude")["commit"]
    g.submit(jt, job, "pass")
    cfg = load_org(ws_org)
    repo = Repository(ws_org, "app", cfg.repos["app"], cfg.workspaces_dir)
    repo.remove(a)
    assert not repo.room_store(a).exists()
    ws_again = Path(open_workspace(wsbus, a, actor="alice")["path"])
    room = job_sandbox(ws_again, read_only=room_reads(cfg, "app", a), python=True)
    try:
        got = _attack(room, ws_org, sha_b, blob, ws_b)
    finally:
        room.close()
    _assert_sealed(got, own_head=sha_a)
    assert got["own_status"] == 0 and got["own_log"] == 0, got


@pytest.mark.slow
def test_a_workspace_made_before_its_room_store_existed_is_moved_to_it(two_tasks, wsbus, ws_org):
    """A workspace cloned from the mirror (as before ADR 0290: its alternates name the mirror's objects, no room
    store): its next room's preparation makes the store and points the workspace at it; git works, B is unseen."""
    import shutil

    from org.runtime import job_sandbox
    from org.workspaces.repo import Repository

    a, ws_a, sha_b, blob, ws_b = two_tasks
    cfg = load_org(ws_org)
    repo = Repository(ws_org, "app", cfg.repos["app"], cfg.workspaces_dir)
    (ws_a / ".git" / "objects" / "info" / "alternates").write_text(f"{repo.mirror / 'objects'}\n")
    shutil.rmtree(repo.room_store(a))
    room = job_sandbox(ws_a, read_only=room_reads(cfg, "app", a), python=True)
    try:
        got = _attack(room, ws_org, sha_b, blob, ws_b)
    finally:
        room.close()
    _assert_sealed(got, own_head=_head(ws_a))
    assert got["own_status"] == 0 and got["own_log"] == 0, got
