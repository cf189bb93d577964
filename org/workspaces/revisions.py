"""Revisions are commits: the commit org makes for the submitter, with Org-Task/Org-Gate/Org-Actor trailers and
the submitter as its author, of the workspace's changes, or on top of commits made in the workspace by hand
(`git commit` by a human or an external agent: their commits stay as they are under it, ADR 0230), brought
into org's mirror."""

from __future__ import annotations

import os
import re
import tempfile

from org.errors import Conflict, NotFound, UsageError
from org.workspaces.git import fetch_workspace, git, git_ok, move_workspace_head, point_workspace_objects
from org.workspaces.repo import Repository, branch_of

__all__ = ["collect", "accept", "trailers", "ensure_commit", "shared_ref"]

_HEX = re.compile(r"^[0-9a-fA-F]{4,40}$")


def trailers(pairs: list[tuple[str, str]]) -> str:
    """Trailer lines (one value per line; line breaks in a value are flattened)."""
    return "\n".join(f"{k}: {' '.join(str(v).split())}" for k, v in pairs)


def collect(
    repo: Repository, task: str, *, actor: str, gate: str, commit: str | None = None
) -> tuple[str, str]:
    """(commit, base) of the submission, the commit in org's mirror (call under the repository's lock).

    With `commit`: it must be the workspace's HEAD or an ancestor of it. Without: the workspace's HEAD, or,
    when the working tree holds changes, a commit org makes of them for `actor` on top of HEAD. The base is
    where the task's branch meets the target's current head (so a merge of the target is not the task's)."""
    branch_of(task)
    path = repo.path_of(task)
    if not (path / ".git").exists():
        raise Conflict(
            f"the workspace of {task} is gone ({path}); 'org workspace open {task}' makes it again "
            "at org's accepted head (saved attempts are kept)"
        )
    incoming = f"refs/org/incoming/{task}"
    # its alternates name its task's room store alone, for git in its next room (ADR 0290); org itself never
    # reads through them: the agent may rewrite them at any time, even while its submission is collected
    point_workspace_objects(path, repo.sync_room(task, locked=True) / "objects")
    # the workspace's .git is the agent's: org reads its HEAD as files and its own object files through a
    # repository org makes, beside the task's stores only; no git ever runs with the workspace's config
    # (ADR 0136) nor follows its objects/info (ADR 0320)
    fetch_workspace(repo.mirror, path, incoming, stores=repo.room_reads_of(task))
    head = repo.rev(incoming)
    if commit is not None:
        c = commit.strip()
        if not _HEX.fullmatch(c):
            raise UsageError(f"'{commit}' is not a commit id")
        out = git(["rev-parse", "--verify", "-q", f"{c}^{{commit}}"], git_dir=repo.mirror, check=False)
        sha = out.stdout.decode().strip()
        if out.returncode != 0 or not git_ok(["merge-base", "--is-ancestor", sha, head], git_dir=repo.mirror):
            raise NotFound(f"commit {commit} is not on the workspace's branch of {task} (HEAD {head[:12]})")
        chosen = _sealed(repo, task, path, sha, actor=actor, gate=gate, tip=sha == head)
    else:
        chosen = _commit_changes(repo, task, path, head, actor=actor, gate=gate)
    repo.sync_room(task, locked=True)  # the workspace's HEAD may now be org's commit: its room reads it
    target = repo.sync()
    base = git(["merge-base", chosen, target], git_dir=repo.mirror, check=False).stdout.decode().strip()
    if not base:
        raise UsageError(f"commit {chosen[:12]} shares no history with the target {repo.spec.target}")
    return chosen, base


def _commit_changes(repo: Repository, task: str, path, head: str, *, actor: str, gate: str) -> str:
    """HEAD, or a commit of the working tree's changes on top of it. git runs with org's mirror as its
    repository and the workspace only as files, so no configuration the workspace holds takes part."""
    fd, index = tempfile.mkstemp(prefix="org-index-")
    os.close(fd)
    os.unlink(index)
    # the workspace's files (and its .gitattributes) meet org's mirror config only: no global config either,
    # so a .gitattributes cannot name a driver the host's user set up (git-lfs, say) (ADR 0136)
    env = {"GIT_INDEX_FILE": index, "GIT_CONFIG_GLOBAL": os.devnull}
    try:
        git(["read-tree", head], git_dir=repo.mirror, work_tree=path, env=env)
        git(["add", "-A", "--", "."], git_dir=repo.mirror, work_tree=path, env=env, cwd=path, timeout=600)
        tree = git(["write-tree"], git_dir=repo.mirror, work_tree=path, env=env).stdout.decode().strip()
        head_tree = git(["rev-parse", f"{head}^{{tree}}"], git_dir=repo.mirror).stdout.decode().strip()
        if tree == head_tree:
            return _sealed(repo, task, path, head, actor=actor, gate=gate, tip=True)
        new = _commit_tree(repo, task, tree, head, actor=actor, gate=gate)
        # the workspace's branch moves to org's commit and its index to the one just built from its files
        # (they are that commit): `git reset --mixed`, done by org without running git in the workspace
        move_workspace_head(path, new, index)
        return new
    finally:
        if os.path.exists(index):
            os.unlink(index)


def _org_trailers(task: str, gate: str, actor: str) -> list[tuple[str, str]]:
    return [("Org-Task", task), ("Org-Gate", gate), ("Org-Actor", actor)]


def _sealed(repo: Repository, task: str, path, commit: str, *, actor: str, gate: str, tip: bool) -> str:
    """`commit`, when it is org's accepted head of the task (nothing new) or a commit org made for this
    submitter at this gate; else a commit org makes on top of it with the same tree, authored by the submitter
    with org's trailers (commits made by hand in the workspace carry whatever author and trailers their maker
    wrote: they stay under it as made). `tip`: `commit` is the workspace's HEAD, which then moves to the seal."""
    accepted = git(
        ["rev-parse", "--verify", "-q", f"refs/heads/{branch_of(task)}"], git_dir=repo.mirror, check=False
    )
    if accepted.returncode == 0 and accepted.stdout.decode().strip() == commit:
        return commit
    out = git(["log", "-1", "--format=%an%x00%B", commit], git_dir=repo.mirror).stdout.decode(
        errors="replace"
    )
    author, _, body = out.partition("\0")
    said = {
        k.strip(): v.strip()
        for k, _, v in (ln.partition(":") for ln in body.splitlines() if ln.startswith("Org-"))
    }
    if author == actor and all(said.get(k) == v for k, v in _org_trailers(task, gate, actor)):
        return commit
    tree = git(["rev-parse", f"{commit}^{{tree}}"], git_dir=repo.mirror).stdout.decode().strip()
    new = _commit_tree(repo, task, tree, commit, actor=actor, gate=gate, by_hand=True, move_ref=tip)
    if tip:  # the workspace's branch moves to the seal (same tree: its index and files stay as they are)
        move_workspace_head(path, new)
    return new


def _commit_tree(
    repo: Repository,
    task: str,
    tree: str,
    head: str,
    *,
    actor: str,
    gate: str,
    by_hand: bool = False,
    move_ref: bool = True,
) -> str:
    note = (
        f"Submits the commits made in the workspace under it, as {actor} submitted them.\n\n"
        if by_hand
        else ""
    )
    msg = (
        f"org: work of {task} at {gate} by {actor}\n\n{note}"
        + trailers(_org_trailers(task, gate, actor))
        + "\n"
    )
    env_id = {"GIT_AUTHOR_NAME": actor, "GIT_AUTHOR_EMAIL": f"{actor}@org.invalid"}
    new = (
        git(["commit-tree", tree, "-p", head, "-F", "-"], git_dir=repo.mirror, input=msg.encode(), env=env_id)
        .stdout.decode()
        .strip()
    )
    if move_ref:
        repo.g("update-ref", f"refs/org/incoming/{task}", new, head)
    return new


def accept(repo: Repository, task: str, commit: str) -> str | None:
    """Move org's task branch to the checked commit (compare-and-swap); a previous head that the new one does
    not contain is saved under refs/org/attempts first. Returns the attempt ref saved, if any."""
    ref = f"refs/heads/{branch_of(task)}"
    old = repo.rev(ref)
    saved = None
    if old != commit and not git_ok(["merge-base", "--is-ancestor", old, commit], git_dir=repo.mirror):
        known = {c for _r, c in repo.attempts(task)}
        if old not in known and old != repo.rev(f"refs/org/base/{task}"):
            saved = f"refs/org/attempts/{task}/{len(repo.attempts(task)) + 1}"
            repo.g("update-ref", saved, old, "0" * 40)
    repo.g("update-ref", ref, commit, old)
    # the source keeps the accepted commit too (a hidden ref, not a branch): org roots on other machines
    # sharing this source test and merge it from there
    git(
        ["push", "-q", "--no-verify", "--", repo.source, f"+{commit}:{shared_ref(task)}"],
        git_dir=repo.mirror,
        timeout=600,
    )
    return saved


def shared_ref(task: str) -> str:
    return f"refs/org/tasks/{task}"


def ensure_commit(repo: Repository, task: str, commit: str) -> None:
    """Make sure org's mirror holds `commit` (accepted by another org root: fetched from the source)."""
    if git_ok(["cat-file", "-e", f"{commit}^{{commit}}"], git_dir=repo.mirror):
        return
    git(
        ["fetch", "-q", "--no-tags", "--", repo.source, f"+{shared_ref(task)}:refs/org/incoming/{task}"],
        git_dir=repo.mirror,
        timeout=600,
    )
    if not git_ok(["cat-file", "-e", f"{commit}^{{commit}}"], git_dir=repo.mirror):
        raise Conflict(
            f"the accepted commit {commit[:12]} of {task} is in neither org's mirror nor the source"
        )
