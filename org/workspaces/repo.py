"""A repository as org holds it: its own bare mirror of the source, task branches, workspaces, saved attempts.

Layout under the org root (ADR 0090):
    .org/repos/NAME.git            org's bare mirror (never in an agent's reach): refs/remotes/origin/TARGET is
                                   the source's target as last fetched, refs/heads/org/T-N the task's branch
                                   as org accepted it, refs/org/base/T-N its base, refs/org/attempts/T-N/K
                                   heads saved before any reset or removal
    .org/repos/NAME.lock           the per-repository lock (flock)
    .org/repos/NAME.target.git     the target's history only (fetched from the mirror's target when a
                                   workspace is made): what every task of the repository may read
    .org/repos/NAME.rooms/T-N.git  the task's own objects (its branch, incoming head and saved attempts,
                                   fetched from the mirror; the target's through NAME.target.git)
    <workspaces>/T-N               the task's workspace: a clone of its own on branch org/T-N whose
                                   objects/info/alternates names NAME.rooms/T-N.git alone: a job's room binds
                                   that and NAME.target.git read-only, never the mirror (ADR 0290)
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from org.config.repos import Repo
from org.errors import Conflict, NotFound, OrgError, UsageError
from org.workspaces.git import (
    GitError,
    fetch_workspace,
    git,
    git_ok,
    point_workspace_objects,
    workspace_head,
)

__all__ = ["Repository", "Workspace", "branch_of", "LOCK_TIMEOUT"]

LOCK_TIMEOUT = 120.0
_TASK = re.compile(r"^T-[1-9][0-9]*$")
_SHA = re.compile(r"^[0-9a-f]{40}$")


def branch_of(task: str) -> str:
    """The task's branch name (org/T-N)."""
    if not _TASK.fullmatch(task):
        raise UsageError(f"'{task}' is not a task id (T-N)")
    return f"org/{task}"


@dataclass(frozen=True)
class Workspace:
    """Where a task works: its folder, branch, the base it started from and the heads (its own and org's)."""

    task: str
    repo: str
    path: Path
    branch: str
    base: str
    accepted: str  # the head of org/T-N in org's mirror (what org accepted)
    head: str | None  # the workspace's own HEAD (None when the folder is gone or broken)
    exists: bool

    def to_json(self) -> dict:
        return {
            "task": self.task,
            "repo": self.repo,
            "path": str(self.path),
            "branch": self.branch,
            "base": self.base,
            "accepted": self.accepted,
            "head": self.head,
            "exists": self.exists,
        }


class Repository:
    """One repository of gates/repos.yaml, as org's mirror of it under the org root."""

    def __init__(self, root: Path, name: str, spec: Repo, workspaces_dir: str = ".org/workspaces") -> None:
        self.root = Path(root).resolve()
        self.name = name
        self.spec = spec
        self.mirror = self.root / ".org" / "repos" / f"{name}.git"
        self.workspaces = (self.root / workspaces_dir).resolve()
        self.target_store = self.root / ".org" / "repos" / f"{name}.target.git"
        self.rooms = self.root / ".org" / "repos" / f"{name}.rooms"
        self.target_ref = f"refs/heads/{spec.target}"
        self.tracking_ref = f"refs/remotes/origin/{spec.target}"

    # -- where the source is -----------------------------------------------------------------------
    @property
    def source(self) -> str:
        if self.spec.path is not None:
            p = Path(self.spec.path).expanduser()
            return str(p if p.is_absolute() else (self.root / p).resolve())
        return str(self.spec.url)

    def _check_source(self) -> None:
        if self.spec.path is None:
            return
        p = Path(self.source)
        if not p.is_dir():
            raise UsageError(f"repository '{self.name}': {p} does not exist (gates/repos.yaml)")
        out = git(["rev-parse", "--is-bare-repository"], cwd=p, check=False)
        if out.returncode != 0:
            raise UsageError(f"repository '{self.name}': {p} is not a git repository (gates/repos.yaml)")

    # -- the lock ---------------------------------------------------------------------------------
    @contextmanager
    def lock(self, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
        """Hold the per-repository lock (one org process at a time changes this repository's refs)."""
        self.mirror.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.mirror.parent / f"{self.name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise Conflict(
                            f"repository '{self.name}' stayed locked by another org process for "
                            f"{timeout:g} s; try again"
                        ) from None
                    time.sleep(0.02)
            yield
        finally:
            os.close(fd)

    # -- the mirror -------------------------------------------------------------------------------
    def g(self, *args: str, **kw) -> str:
        """git in the mirror; stdout as text."""
        return git(args, git_dir=self.mirror, **kw).stdout.decode(errors="surrogateescape")

    def sync(self) -> str:
        """Make the mirror if needed, fetch the source's target and return its head (call under the lock)."""
        self._check_source()
        if not (self.mirror / "HEAD").is_file():
            tmp = self.mirror.with_name(self.mirror.name + f".new-{os.getpid()}")
            shutil.rmtree(tmp, ignore_errors=True)
            git(["init", "-q", "--bare", str(tmp)])
            git(["config", "core.logAllRefUpdates", "always"], git_dir=tmp)
            os.replace(tmp, self.mirror)
            git(["worktree", "prune"], git_dir=self.mirror)
        else:
            git(["worktree", "prune"], git_dir=self.mirror)
        proc = git(
            ["fetch", "-q", "--no-tags", "--", self.source, f"+{self.target_ref}:{self.tracking_ref}"],
            git_dir=self.mirror,
            check=False,
            timeout=600,
        )
        if proc.returncode != 0:
            msg = proc.stderr.decode(errors="replace").strip()
            if "couldn't find remote ref" in msg:
                raise NotFound(f"repository '{self.name}' has no branch '{self.spec.target}' (its target)")
            raise GitError(f"cannot fetch repository '{self.name}' from {self.source}: {msg[-1000:]}")
        return self.rev(self.tracking_ref)

    def rev(self, ref: str) -> str:
        return self.g("rev-parse", "--verify", "-q", f"{ref}^{{commit}}").strip()

    def has_ref(self, ref: str) -> bool:
        return git_ok(["rev-parse", "--verify", "-q", ref], git_dir=self.mirror)

    # -- workspaces -------------------------------------------------------------------------------
    def path_of(self, task: str) -> Path:
        branch_of(task)
        return self.workspaces / task

    def create(self, task: str) -> Workspace:
        """The task's workspace, made if it does not exist (branch org/T-N from the target's current head).
        Idempotent: an existing workspace is returned as it is; a branch left without its folder gets a
        new folder at the branch's head."""
        branch = branch_of(task)
        path = self.path_of(task)
        with self.lock():
            if self.has_ref(f"refs/heads/{branch}") and self.mirror.exists():
                if (path / ".git").exists():
                    return self.show(task)
                self.save_attempt(task, locked=True)
            else:
                base = self.sync()
                self.g("update-ref", f"refs/heads/{branch}", base, "0" * 40)
                self.g("update-ref", f"refs/org/base/{task}", base)
            if path.exists() or path.is_symlink():
                raise Conflict(f"{path} exists but is not the workspace of {task}; move it away first")
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{task}.new-{os.getpid()}")
            shutil.rmtree(tmp, ignore_errors=True)
            self._sync_target()
            store = self.sync_room(task, locked=True)
            git(
                ["clone", "-q", "--shared", "--no-tags", "--branch", branch, "--", str(store), str(tmp)],
                timeout=600,
            )
            os.replace(tmp, path)
            self._setup(path)
        return self.show(task)

    # -- what a job's room reads (ADR 0290) -------------------------------------------------------------
    def _bare(self, path: Path, alternates: Path | None = None) -> None:
        if (path / "HEAD").is_file():
            return
        tmp = path.with_name(path.name + f".new-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.parent.mkdir(parents=True, exist_ok=True)
        git(["init", "-q", "--bare", str(tmp)])
        if alternates is not None:
            (tmp / "objects" / "info" / "alternates").write_text(f"{(alternates / 'objects').resolve()}\n")
        os.replace(tmp, path)

    def _sync_target(self) -> None:
        """The target store gets the target's history as the mirror holds it (call under the lock)."""
        self._bare(self.target_store)
        git(
            ["fetch", "-q", "--no-tags", "--", str(self.mirror), f"+{self.tracking_ref}:refs/heads/target"],
            git_dir=self.target_store,
            timeout=600,
        )

    def room_store(self, task: str) -> Path:
        """The bare repository holding the task's own objects (its workspace's alternates name its objects)."""
        branch_of(task)
        return self.rooms / f"{task}.git"

    def _task_refs(self, git_dir: Path, task: str) -> dict[str, str]:
        out = git(
            [
                "for-each-ref",
                "--format=%(refname) %(objectname)",
                f"refs/heads/{branch_of(task)}",
                f"refs/org/incoming/{task}",
                f"refs/org/attempts/{task}/",
            ],
            git_dir=git_dir,
        ).stdout.decode()
        return dict(line.split(" ", 1) for line in out.splitlines() if " " in line)

    def sync_room(self, task: str, *, locked: bool = False) -> Path:
        """Bring the task's own refs (branch, incoming head, saved attempts) and the objects they reach but the
        target store lacks into its room store; return the store. Nothing of another task's is fetched: the
        refs named are the task's, and what they reach is its own history over the target's."""
        if not locked:
            with self.lock():
                return self.sync_room(task, locked=True)
        store = self.room_store(task)
        if not (self.target_store / "HEAD").is_file():
            self._sync_target()
        self._bare(store, alternates=self.target_store)
        want = self._task_refs(self.mirror, task)
        have = self._task_refs(store, task)
        if want != have:
            specs = [f"+{ref}:{ref}" for ref in sorted(want)]
            git(["fetch", "-q", "--no-tags", "--", str(self.mirror), *specs], git_dir=store, timeout=600)
            for ref in sorted(set(have) - set(want)):
                git(["update-ref", "-d", ref], git_dir=store)
        return store

    def room_reads_of(self, task: str) -> list[Path]:
        """The object folders the task may read (its room store's and the target store's), from org's layout."""
        return [self.room_store(task) / "objects", self.target_store / "objects"]

    def room_objects(self, task: str) -> list[Path]:
        """What a job's room of the task binds read-only for git to work in its workspace: the task's room
        store's objects and the target store's. The store is brought up to date first, and the workspace's
        alternates are made to name it alone (they are the agent's to write)."""
        with self.lock():
            store = self.sync_room(task, locked=True)
            path = self.path_of(task)
            if (path / ".git").exists():
                point_workspace_objects(path, store / "objects")
        return self.room_reads_of(task)

    def _setup(self, path: Path) -> None:
        if self.spec.setup is None:
            return
        from org.workspaces.commands import run_command

        res = run_command(
            self.spec.setup.run,
            path,
            self.spec.setup.timeout,
            sandbox=self.spec.sandbox,
            what=f"the setup command of repository '{self.name}'",
        )
        if not res.ok:
            raise UsageError(
                f"repository '{self.name}': the setup command failed in {path} ({res.summary()})"
            )

    def show(self, task: str) -> Workspace:
        branch = branch_of(task)
        if not self.mirror.exists() or not self.has_ref(f"refs/heads/{branch}"):
            raise NotFound(f"{task} has no workspace in repository '{self.name}'")
        path = self.path_of(task)
        head = None
        exists = (path / ".git").exists()
        if exists:
            try:  # read as files: no git runs with the workspace's own config (ADR 0136)
                head = workspace_head(path)
            except OrgError:
                head = None
        return Workspace(
            task=task,
            repo=self.name,
            path=path,
            branch=branch,
            base=self.rev(f"refs/org/base/{task}"),
            accepted=self.rev(f"refs/heads/{branch}"),
            head=head,
            exists=exists,
        )

    def attempts(self, task: str) -> list[tuple[str, str]]:
        """[(ref, commit)] saved for the task, oldest first."""
        out = self.g("for-each-ref", "--format=%(refname) %(objectname)", f"refs/org/attempts/{task}/")
        pairs = [
            (ref, commit) for ref, _, commit in (line.partition(" ") for line in out.splitlines() if line)
        ]
        return sorted(pairs, key=lambda p: int(p[0].rsplit("/", 1)[1]))

    def save_attempt(self, task: str, *, locked: bool = False) -> str | None:
        """Save the workspace's head (and org's accepted head when they differ) under
        refs/org/attempts/T-N/K before anything resets or removes it; returns the last ref saved."""
        if not locked:
            with self.lock():
                return self.save_attempt(task, locked=True)
        branch = branch_of(task)
        heads = []
        path = self.path_of(task)
        if (path / ".git").exists():
            # bring the workspace's commits into the mirror so the saved ref keeps them
            with suppress(
                OrgError
            ):  # through a repository org makes, never the workspace's config (ADR 0136)
                self.sync_room(task, locked=True)
                heads.append(
                    fetch_workspace(
                        self.mirror, path, f"refs/org/incoming/{task}", stores=self.room_reads_of(task)
                    )
                )
        if self.has_ref(f"refs/heads/{branch}"):
            heads.append(self.rev(f"refs/heads/{branch}"))
        saved = {c for _r, c in self.attempts(task)}
        last = None
        k = len(self.attempts(task))
        for h in dict.fromkeys(heads):
            if h in saved or h == self._base_or_none(task):
                continue
            k += 1
            last = f"refs/org/attempts/{task}/{k}"
            self.g("update-ref", last, h, "0" * 40)
        return last

    def _base_or_none(self, task: str) -> str | None:
        return self.rev(f"refs/org/base/{task}") if self.has_ref(f"refs/org/base/{task}") else None

    def is_merged(self, task: str) -> bool:
        """Is everything org accepted on the task's branch contained in the target?"""
        branch = f"refs/heads/{branch_of(task)}"
        if not self.has_ref(branch):
            return True
        return git_ok(["merge-base", "--is-ancestor", branch, self.tracking_ref], git_dir=self.mirror)

    def remove(self, task: str) -> dict:
        """Remove the workspace folder (its heads saved first). The branch and saved attempts stay."""
        with self.lock():
            saved = self.save_attempt(task, locked=True)
            path = self.path_of(task)
            if path.exists() or path.is_symlink():
                trash = path.with_name(f".{task}.gone-{os.getpid()}")
                os.replace(path, trash)
                shutil.rmtree(trash, ignore_errors=True)
            # its room store goes with it (its objects stay in the mirror; a workspace made again fetches them)
            shutil.rmtree(self.room_store(task), ignore_errors=True)
            git(["worktree", "prune"], git_dir=self.mirror)
        return {"task": task, "repo": self.name, "removed": str(path), "saved": saved}

    def tasks(self) -> list[str]:
        """Tasks with a branch in this repository."""
        if not self.mirror.exists():
            return []
        out = self.g("for-each-ref", "--format=%(refname:lstrip=3)", "refs/heads/org/")
        return sorted((t for t in out.split() if _TASK.fullmatch(t)), key=lambda t: int(t[2:]))
