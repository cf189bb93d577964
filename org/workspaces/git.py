"""The one place org runs the git binary: a subprocess with a time limit, hooks and agent-set config disarmed."""

from __future__ import annotations

import contextlib
import os
import re
import stat
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from org.config.secretenv import credential_env
from org.errors import OrgError, UsageError

__all__ = [
    "git",
    "git_ok",
    "GitError",
    "SAFE_CONFIG",
    "git_env",
    "workspace_head",
    "fetch_workspace",
    "move_workspace_head",
    "point_workspace_objects",
]

# Command-line config wins over a repository's own (no hooks, no fsmonitor, no pager, no credential prompts).
# That is a second line only: a workspace's .git is the agent's to write, and what its config names (filters,
# textconv, external diffs, includes...) cannot all be overridden, so org never runs git with a workspace's
# .git as the repository at all (ADR 0136): it reads the workspace's HEAD and moves its branch and index
# itself, and copies its commits through a repository org makes (workspace_head, fetch_workspace,
# move_workspace_head below). A workspace is at most the --work-tree of org's own mirror.
SAFE_CONFIG = (
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "core.pager=cat",
    "credential.helper=",
    "core.quotePath=false",
    "advice.detachedHead=false",
    "gc.auto=0",
    "maintenance.auto=false",
    "protocol.ext.allow=never",
    "init.defaultBranch=main",
    "commit.gpgSign=false",
    "tag.gpgSign=false",
    "core.sshCommand=ssh -oBatchMode=yes",
    "core.attributesFile=/dev/null",
)
DEFAULT_TIMEOUT = 120.0
_IDENTITY = {
    "GIT_AUTHOR_NAME": "org",
    "GIT_AUTHOR_EMAIL": "org@localhost",
    "GIT_COMMITTER_NAME": "org pipeline",
    "GIT_COMMITTER_EMAIL": "org@localhost",
}


class GitError(OrgError):
    """git failed, hung past its time limit or could not be started (exit 1: the message says what git said)."""

    kind = "git"


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment git runs in: no prompts, no system config, C locale, org's identity as the default; no
    provider key or other credential of the user's (org's git runs beside the gateway, which alone holds them;
    the ssh agent's socket stays, for a repository fetched over ssh)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GIT_") and (k == "SSH_AUTH_SOCK" or not credential_env(k))
    }
    env.update(_IDENTITY)
    env.update(
        GIT_TERMINAL_PROMPT="0",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_ATTR_NOSYSTEM="1",
        LC_ALL="C",
        GIT_OPTIONAL_LOCKS="0",
    )
    if extra:
        env.update(extra)
    return env


def git(
    args: Sequence[str],
    *,
    cwd: Path | str | None = None,
    git_dir: Path | str | None = None,
    work_tree: Path | str | None = None,
    input: bytes | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    """Run `git ARGS` and return the finished process (stdout/stderr as bytes). Raises GitError when git
    exits non-zero (with check), hangs past `timeout` seconds (killed), or is missing."""
    cmd = ["git"]
    for c in SAFE_CONFIG:
        cmd += ["-c", c]
    if git_dir is not None:
        cmd.append(f"--git-dir={git_dir}")
    if work_tree is not None:
        cmd.append(f"--work-tree={work_tree}")
    cmd += list(args)
    try:
        proc = subprocess.run(
            cmd,
            cwd=str(cwd) if cwd is not None else None,
            input=input,
            capture_output=True,
            timeout=timeout,
            env=git_env(env),
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise GitError(
            f"git {' '.join(args[:2])} did not finish within {timeout:g} s and was stopped"
        ) from None
    except FileNotFoundError as exc:
        if cwd is not None and not Path(cwd).is_dir():
            raise UsageError(f"{cwd} is not a folder") from None
        raise GitError(f"cannot run git: {exc.strerror or exc} (is git installed?)") from None
    if check and proc.returncode != 0:
        msg = proc.stderr.decode(errors="replace").strip() or proc.stdout.decode(errors="replace").strip()
        if proc.returncode < 0:
            msg = f"killed by signal {-proc.returncode}" + (f": {msg}" if msg else "")
        raise GitError(f"git {' '.join(args[:2])} failed: {msg[-2000:]}", returncode=proc.returncode)
    return proc


def git_ok(args: Sequence[str], **kw) -> bool:
    """True when `git ARGS` exits 0 (for questions such as merge-base --is-ancestor)."""
    return git(args, check=False, **kw).returncode == 0


# -- a workspace's repository, read and moved without running git in it ---------------------------------------
_SHA = re.compile(r"^[0-9a-f]{40}$")
_REF_PART = re.compile(r"^[A-Za-z0-9_+@-][A-Za-z0-9_.+@-]*$")
_MAX_READ = 64 << 20


def _refuse(path: Path, why: str) -> OrgError:
    from org.errors import Conflict

    return Conflict(
        f"the workspace {path} cannot be read safely: {why}; org reads no repository it did not make"
    )


def _git_dir(path: Path) -> Path:
    """The workspace's .git: a real folder (not a symlink, not a gitfile naming another repository)."""
    gd = Path(path) / ".git"
    try:
        st = os.lstat(gd)
    except FileNotFoundError:
        raise _refuse(path, ".git is missing") from None
    if not stat.S_ISDIR(st.st_mode):
        raise _refuse(path, ".git is not a folder (a symlink or a gitfile)")
    return gd


def _ref_parts(name: str, path: Path) -> list[str]:
    parts = name.split("/")
    if (
        len(parts) < 2
        or parts[0] != "refs"
        or not all(_REF_PART.fullmatch(p) and not p.endswith(".lock") and ".." not in p for p in parts)
    ):
        raise _refuse(path, f"HEAD names '{name[:200]}', not a branch")
    return parts


def _open_dir(gd: Path, parts: list[str], *, create: bool = False) -> int:
    """A descriptor of gd/parts..., never following a symlink on the way (the agent owns every folder)."""
    fd = os.open(gd, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        for p in parts:
            if create:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(p, 0o755, dir_fd=fd)
            nfd = os.open(p, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = nfd
    except BaseException:
        os.close(fd)
        raise
    return fd


def _read(gd: Path, parts: list[str]) -> bytes | None:
    """The bytes of a regular file gd/parts (None when absent); a symlink, FIFO or device is refused."""
    try:
        dfd = _open_dir(gd, parts[:-1])
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise _refuse(gd.parent, f"{'/'.join(parts)}: {exc.strerror}") from None
    try:
        fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dfd)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _refuse(gd.parent, f".git/{'/'.join(parts)}: {exc.strerror}") from None
    finally:
        os.close(dfd)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _refuse(gd.parent, f".git/{'/'.join(parts)} is not a regular file")
        chunks, size = [], 0
        while size <= _MAX_READ and (b := os.read(fd, 1 << 20)):
            chunks.append(b)
            size += len(b)
        if size > _MAX_READ:
            raise _refuse(gd.parent, f".git/{'/'.join(parts)} is too large")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _head_ref(path: Path) -> tuple[str | None, str]:
    """(the branch HEAD names or None when detached, the commit it is at), read as files."""
    gd = _git_dir(path)
    raw = _read(gd, ["HEAD"])
    if raw is None:
        raise _refuse(path, ".git/HEAD is missing")
    text = raw.decode(errors="replace").strip()
    if _SHA.fullmatch(text):
        return None, text
    if not text.startswith("ref: "):
        raise _refuse(path, ".git/HEAD is neither a commit nor a branch")
    name = text[5:].strip()
    for _ in range(5):  # a loose ref may itself be symbolic
        parts = _ref_parts(name, path)
        loose = _read(gd, parts)
        if loose is not None:
            val = loose.decode(errors="replace").strip()
            if _SHA.fullmatch(val):
                return name, val
            if val.startswith("ref: "):
                name = val[5:].strip()
                continue
            raise _refuse(path, f"{name} holds neither a commit nor a branch")
        packed = _read(gd, ["packed-refs"]) or b""
        for line in packed.decode(errors="replace").splitlines():
            sha, _, ref = line.partition(" ")
            if ref == name and _SHA.fullmatch(sha):
                return name, sha
        raise _refuse(path, f"its branch {name} has no commit")
    raise _refuse(path, "HEAD is a chain of symbolic refs")


def workspace_head(path: Path | str) -> str:
    """The commit the workspace's HEAD is at, read from its .git as files (no git runs in the workspace)."""
    return _head_ref(Path(path))[1]


def fetch_workspace(
    mirror: Path | str,
    path: Path | str,
    ref: str,
    *,
    stores: Sequence[Path | str],
    timeout: float = 600.0,
) -> str:
    """Copy the workspace's HEAD commit and everything it needs into `mirror` as `ref`; return the commit.

    git reads, through a scratch repository org makes with its own config, the object files the workspace's
    .git/objects holds itself (loose objects and packs, hard-linked or copied into the scratch repository's
    own objects, each a regular file met without following a symlink) and `stores` (org's object folders the
    task may read: its room store's and the target store's, ADR 0290). Nothing in the workspace's
    objects/info (alternates, http-alternates, packs, commit-graph) nor a symlinked folder is ever followed: an
    agent rewriting them, even while org reads, adds nothing to what org reads. Every object the HEAD reaches
    beyond the stores' refs must be among those (checked before the fetch), so no commit of another task's
    that the mirror holds can enter `ref` by id (ADR 0320)."""
    path = Path(path)
    head = workspace_head(path)
    gd = _git_dir(path)
    mirror = Path(mirror)
    with tempfile.TemporaryDirectory(prefix="org-ws-read-", dir=mirror.parent) as tmp:
        scratch = Path(tmp) / "r.git"
        git(["init", "-q", "--bare", str(scratch)])
        _own_objects(gd, scratch / "objects")
        (scratch / "objects" / "info" / "alternates").write_text(
            "".join(f"{Path(s).resolve()}\n" for s in stores)
        )
        made = git(["update-ref", "refs/heads/head", head], git_dir=scratch, check=False)
        if made.returncode != 0:
            raise _refuse(path, f"its HEAD {head[:12]} is not a commit it holds")
        known = [
            line
            for s in stores
            for line in git(["for-each-ref", "--format=%(objectname)"], git_dir=Path(s).parent, check=False)
            .stdout.decode()
            .split()
            if _SHA.fullmatch(line)
        ]
        whole = git(
            ["rev-list", "--objects", "--missing=error", "--quiet", "--stdin", head],
            git_dir=scratch,
            input="".join(f"^{k}\n" for k in known).encode(),
            check=False,
            timeout=timeout,
        )
        if whole.returncode != 0:
            raise _refuse(
                path, f"its HEAD {head[:12]} reaches objects it does not hold: {_last_line(whole.stderr)}"
            )
        # git trusts an object file's name (rev-list and pack-objects check that an id exists, not that its
        # content hashes to it), and the mirror holds every task's objects: so the workspace's objects are first
        # received by a staging repository that sees only the task's stores. Receiving re-hashes every object
        # (each is stored under its true id) and the fetch's connectivity check runs there: a file named by
        # another task's id but holding anything else leaves that id missing, and the fetch is refused.
        staging = Path(tmp) / "s.git"
        git(["init", "-q", "--bare", str(staging)])
        (staging / "objects" / "info" / "alternates").write_text(
            "".join(f"{Path(s).resolve()}\n" for s in stores)
        )
        for src, dest in ((scratch, staging), (staging, mirror)):
            got = git(
                [
                    "fetch",
                    "-q",
                    "--no-tags",
                    "--",
                    str(src),
                    f"+refs/heads/head:{'refs/heads/head' if dest == staging else ref}",
                ],
                git_dir=dest,
                check=False,
                timeout=timeout,
            )
            if got.returncode != 0:
                raise _refuse(path, got.stderr.decode(errors="replace").strip()[-500:])
    return head


def _last_line(err: bytes) -> str:
    lines = err.decode(errors="replace").strip().splitlines()
    return lines[-1][-300:] if lines else "git said nothing"


_LOOSE_DIR = re.compile(r"^[0-9a-f]{2}$")
_LOOSE = re.compile(r"^[0-9a-f]{38}$")
_PACK = re.compile(r"^pack-[0-9a-f]{40}\.(pack|idx)$")


def _own_objects(gd: Path, dest: Path) -> None:
    """Into `dest` (a folder of org's), the object files .git/objects holds itself: objects/XX/YYY... and
    objects/pack/pack-*.{pack,idx} (a pack whose index is missing is left out), each a regular file reached
    without following a symlink (a symlinked folder or file is skipped), hard-linked or else copied."""
    try:
        ofd = _open_dir(gd, ["objects"])
    except FileNotFoundError:
        raise _refuse(gd.parent, "its .git/objects is missing") from None
    except OSError as exc:
        raise _refuse(gd.parent, f"its .git/objects is not a folder of its own: {exc.strerror}") from None
    try:
        for name in os.listdir(ofd):
            if not (_LOOSE_DIR.fullmatch(name) or name == "pack"):
                continue
            try:
                sfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=ofd)
            except OSError:  # a symlink, a file: not a folder of its own
                continue
            try:
                pattern = _PACK if name == "pack" else _LOOSE
                wanted = [n for n in os.listdir(sfd) if pattern.fullmatch(n)]
                if name == "pack":
                    stems = {n[:-5] for n in wanted if n.endswith(".pack")} & {
                        n[:-4] for n in wanted if n.endswith(".idx")
                    }
                    wanted = [n for n in wanted if n.rsplit(".", 1)[0] in stems]
                if not wanted:
                    continue
                (dest / name).mkdir(exist_ok=True)
                dfd = os.open(dest / name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
                try:
                    for n in wanted:
                        _take(sfd, dfd, n)
                finally:
                    os.close(dfd)
            finally:
                os.close(sfd)
    finally:
        os.close(ofd)


def _take(sfd: int, dfd: int, name: str) -> None:
    """dfd/name becomes the regular file sfd/name is (a hard link, or a copy across file systems); anything
    else (a symlink, a FIFO, a file gone meanwhile) is left out."""
    try:
        os.link(name, name, src_dir_fd=sfd, dst_dir_fd=dfd, follow_symlinks=False)
    except FileNotFoundError:
        return
    except OSError:
        _copy(sfd, dfd, name)
        return
    if not stat.S_ISREG(os.stat(name, dir_fd=dfd, follow_symlinks=False).st_mode):
        os.unlink(name, dir_fd=dfd)  # what was linked is the link itself (a symlink): never followed


def _copy(sfd: int, dfd: int, name: str) -> None:
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=sfd)
    except OSError:
        return
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return
        out = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o444, dir_fd=dfd)
        try:
            while b := os.read(fd, 1 << 20):
                view = memoryview(b)
                while view:
                    view = view[os.write(out, view) :]
        finally:
            os.close(out)
    finally:
        os.close(fd)


def move_workspace_head(path: Path | str, commit: str, index: Path | str | None = None) -> None:
    """What `git reset --mixed COMMIT` does, done by org as files: the branch HEAD names (or HEAD itself when
    detached) moves to `commit`, and `index` (an index org's git built for the same tree from the same files)
    becomes the workspace's. Each file is written beside its target and renamed over it (symlinks refused)."""
    path = Path(path)
    if not _SHA.fullmatch(commit):
        raise ValueError(f"not a commit id: {commit}")
    name, _old = _head_ref(path)
    gd = _git_dir(path)
    parts = _ref_parts(name, path) if name else ["HEAD"]
    _replace(gd, parts, f"{commit}\n".encode())
    if index is not None:
        _replace(gd, ["index"], Path(index).read_bytes())


def point_workspace_objects(path: Path | str, objects: Path | str) -> None:
    """Make the workspace's objects/info/alternates name `objects` alone (org's object store for its task, ADR
    0290), written as files like its HEAD (no git runs in the workspace; symlinks refused); unchanged if so."""
    gd = _git_dir(Path(path))
    want = f"{Path(objects).resolve()}\n".encode()
    if _read(gd, ["objects", "info", "alternates"]) != want:
        _replace(gd, ["objects", "info", "alternates"], want)


def _replace(gd: Path, parts: list[str], data: bytes) -> None:
    try:
        dfd = _open_dir(gd, parts[:-1], create=True)
    except OSError as exc:
        raise _refuse(gd.parent, f".git/{'/'.join(parts)}: {exc.strerror}") from None
    tmp = f"{parts[-1]}.org-{os.getpid()}.lock"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644, dir_fd=dfd)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.rename(tmp, parts[-1], src_dir_fd=dfd, dst_dir_fd=dfd)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dfd)
        raise _refuse(gd.parent, f"cannot write .git/{'/'.join(parts)}: {exc.strerror}") from None
    finally:
        os.close(dfd)
