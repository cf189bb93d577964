"""The one place org runs the git binary: a subprocess with a time limit, hooks and agent-set config disarmed."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from org.errors import OrgError, UsageError

__all__ = ["git", "git_ok", "GitError", "SAFE_CONFIG", "git_env"]

# Command-line config wins over any repository's own: a workspace's .git/config is the agent's to write, so
# nothing it names may run when org runs git (no hooks, no fsmonitor, no pager, no credential prompts).
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
    """The environment git runs in: no prompts, no system config, C locale, org's identity as the default."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(_IDENTITY)
    env.update(GIT_TERMINAL_PROMPT="0", GIT_CONFIG_NOSYSTEM="1", LC_ALL="C", GIT_OPTIONAL_LOCKS="0")
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
