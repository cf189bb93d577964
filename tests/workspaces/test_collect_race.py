"""Review finding (branch review1): collect rewrites the workspace's alternates, then reads its objects; the
agent's own room is still running while its `org submit` is collected (the workspace is bound read-write into
it), so a process of the agent can write the alternates back in between. Here that write is made exactly in
that window (deterministically, by wrapping fetch_workspace): task A then gets task B's commit into its own
incoming ref and room store, which its room binds (ADR 0290's promise broken)."""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

from org.config.loader import load_org
from org.workspaces.service import check_revision
from tests.workspaces.test_room_objects import _claim_work, two_tasks  # noqa: F401


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
