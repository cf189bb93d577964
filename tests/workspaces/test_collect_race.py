"""A review finding (ADR 0320): collect rewrote the workspace's alternates, then read its objects through them;
the agent's own room still runs while its `org submit` is collected (the workspace is bound read-write into
it), so a process of the agent could write them back in between, and task A got task B's commit into its
incoming ref and room store, which its room binds. Here that write is made exactly in that window
(deterministically, by wrapping fetch_workspace) and by a real concurrent writer, and the class is attacked:
whatever the agent leaves in its .git/objects, org's git reads only its own object files and its task's stores."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

import pytest

from org.config.loader import load_org
from org.workspaces.service import check_revision
from tests.workspaces.test_room_objects import _claim_work, two_tasks  # noqa: F401

pytestmark = pytest.mark.slow  # each makes two tasks with real repositories and a submission (~4 s)


def test_an_agent_rewriting_its_alternates_during_its_own_submit_gets_task_bs_objects_into_its_store(
    two_tasks,  # noqa: F811
    wsbus,
    ws_org,
    monkeypatch,
):
    import org.workspaces.revisions as revisions
    from org.workspaces.repo import Repository, branch_of

    a, ws_a, sha_b, blob, _ws_b = two_tasks
    cfg = load_org(ws_org)
    repo = Repository(ws_org, "app", cfg.repos["app"], cfg.workspaces_dir)
    g, job, jt = _claim_work(wsbus, a)
    # the agent (in its room) points its branch at B's commit: a file it may write
    (ws_a / ".git" / "refs" / "heads" / Path(branch_of(a))).write_text(sha_b + "\n")
    real = revisions.fetch_workspace

    def racing(mirror, path, ref, **kw):
        # what a process of the agent's, looping in its still-running room, writes between org's rewrite of the
        # alternates and org's read through them (the path needs no access from the room: the host reads it)
        (Path(path) / ".git" / "objects" / "info" / "alternates").write_text(f"{repo.mirror / 'objects'}\n")
        return real(mirror, path, ref, **kw)

    monkeypatch.setattr(revisions, "fetch_workspace", racing)
    # whatever org decides about the submission, the objects are already where they should not be
    with contextlib.suppress(Exception):
        check_revision(wsbus, job, "build-claude")
    store = repo.room_store(a)
    repo.sync_room(a)  # what A's next room does first (room_reads -> room_objects)
    got = subprocess.run(
        ["git", "--git-dir", str(store), "cat-file", "-p", blob], capture_output=True, text=True
    )
    assert got.returncode != 0, f"A's room store reads B's secret blob: {got.stdout!r}"


def test_the_same_with_a_real_concurrent_writer_not_a_wrapped_function(two_tasks, wsbus, ws_org):  # noqa: F811
    """No monkeypatch: a thread (standing for the agent's process in its still-running room) rewrites the
    alternates in a loop while org collects the submission; org's window (git init of its scratch repository,
    update-ref) is milliseconds wide."""
    import os
    import threading

    from org.workspaces.repo import Repository, branch_of

    a, ws_a, sha_b, blob, _ws_b = two_tasks
    cfg = load_org(ws_org)
    repo = Repository(ws_org, "app", cfg.repos["app"], cfg.workspaces_dir)
    g, job, jt = _claim_work(wsbus, a)
    (ws_a / ".git" / "refs" / "heads" / Path(branch_of(a))).write_text(sha_b + "\n")
    alt = ws_a / ".git" / "objects" / "info" / "alternates"
    stop = threading.Event()

    def agent() -> None:
        tmp = alt.with_name("alt.tmp")
        while not stop.is_set():
            tmp.write_text(f"{repo.mirror / 'objects'}\n")
            os.replace(tmp, alt)

    t = threading.Thread(target=agent, daemon=True)
    t.start()
    try:
        check_revision(wsbus, job, "build-claude")
    except Exception:
        pass
    finally:
        stop.set()
        t.join()
    repo.sync_room(a)
    got = subprocess.run(
        ["git", "--git-dir", str(repo.room_store(a)), "cat-file", "-p", blob], capture_output=True, text=True
    )
    assert got.returncode != 0, f"A's room store reads B's secret blob: {got.stdout!r}"


def _plant(kind: str, ws_a: Path, mirror: Path, sha_b: str, blob: str) -> str | None:
    """What an agent may leave in its own .git/objects to have org's git read the mirror's objects for it (the
    commit its branch should name, when not B's)."""
    objects = ws_a / ".git" / "objects"
    info = objects / "info"
    info.mkdir(exist_ok=True)
    mo = mirror / "objects"
    if kind == "http-alternates":
        (info / "http-alternates").write_text(f"{mo}\nfile://{mo}\n")
    elif kind == "packs-and-symlinked-pack-files":  # objects/info/packs naming the mirror's packs, linked in
        names = [p.name for p in (mo / "pack").glob("pack-*.pack")]
        (info / "packs").write_text("".join(f"P {n}\n" for n in names) + "\n")
        (objects / "pack").mkdir(exist_ok=True)
        for p in (mo / "pack").glob("pack-*"):
            with contextlib.suppress(FileExistsError):
                (objects / "pack" / p.name).symlink_to(p)
    elif kind == "symlinked-pack-folder":
        import shutil

        shutil.rmtree(objects / "pack", ignore_errors=True)
        (objects / "pack").symlink_to(mo / "pack")
    elif kind == "symlinked-loose-folders-and-files":
        for d in mo.iterdir():
            if len(d.name) != 2:
                continue
            mine = objects / d.name
            if not mine.exists():
                mine.symlink_to(d)
                continue
            for f in d.iterdir():
                with contextlib.suppress(FileExistsError):
                    (mine / f.name).symlink_to(f)
    elif kind == "commit-of-its-own-naming-bs-by-id":  # objects it writes itself: a tree naming B's blob, a
        # commit whose parent is B's commit (ids an agent may have read in the bus), its branch at that commit
        git = ["git", "--git-dir", str(ws_a / ".git")]
        tree = subprocess.run(
            [*git, "mktree", "--missing"],
            input=f"100644 blob {blob}\tsecret.txt\n",
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        env = {
            "GIT_AUTHOR_NAME": "a",
            "GIT_AUTHOR_EMAIL": "a@x",
            "GIT_COMMITTER_NAME": "a",
            "GIT_COMMITTER_EMAIL": "a@x",
            "PATH": os.environ["PATH"],
        }
        body = f"tree {tree}\nparent {sha_b}\nauthor a <a@x> 0 +0000\ncommitter a <a@x> 0 +0000\n\nmine\n"
        c = subprocess.run(
            [*git, "hash-object", "-t", "commit", "-w", "--stdin", "--literally"],
            input=body,
            capture_output=True,
            text=True,
            check=True,
            env=env,
        ).stdout.strip()
        return c
    else:
        raise AssertionError(kind)
    return None


@pytest.mark.parametrize(
    "kind",
    [
        "http-alternates",
        "packs-and-symlinked-pack-files",
        "symlinked-pack-folder",
        "symlinked-loose-folders-and-files",
        "commit-of-its-own-naming-bs-by-id",
    ],
)
def test_nothing_the_workspace_leaves_in_its_objects_makes_org_read_the_mirror_for_it(
    kind,
    two_tasks,  # noqa: F811
    wsbus,
    ws_org,
    monkeypatch,
):
    """The class of the finding above (ADR 0320): whatever the agent plants in its .git/objects (written in the
    window too, and its alternates at the mirror besides), task B's commit and blob enter neither A's incoming
    ref in the mirror nor A's room store."""
    import org.workspaces.revisions as revisions
    from org.workspaces.repo import Repository, branch_of

    a, ws_a, sha_b, blob, _ws_b = two_tasks
    cfg = load_org(ws_org)
    repo = Repository(ws_org, "app", cfg.repos["app"], cfg.workspaces_dir)
    g, job, jt = _claim_work(wsbus, a)
    real = revisions.fetch_workspace

    def racing(mirror, path, ref, **kw):
        tip = _plant(kind, Path(path), Path(mirror), sha_b, blob) or sha_b
        (Path(path) / ".git" / "refs" / "heads" / Path(branch_of(a))).write_text(tip + "\n")
        (Path(path) / ".git" / "objects" / "info" / "alternates").write_text(f"{repo.mirror / 'objects'}\n")
        return real(mirror, path, ref, **kw)

    monkeypatch.setattr(revisions, "fetch_workspace", racing)
    with pytest.raises(Exception, match="cannot be read safely"):
        check_revision(wsbus, job, "build-claude")
    incoming = subprocess.run(
        ["git", "--git-dir", str(repo.mirror), "rev-parse", "-q", "--verify", f"refs/org/incoming/{a}"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    if incoming:
        reach = subprocess.run(
            ["git", "--git-dir", str(repo.mirror), "rev-list", "--objects", incoming],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert sha_b not in reach and blob not in reach, kind
    store = repo.sync_room(a)
    for obj in (sha_b, blob):
        got = subprocess.run(["git", "--git-dir", str(store), "cat-file", "-e", obj], capture_output=True)
        assert got.returncode != 0, f"{kind}: A's room store holds {obj}"
