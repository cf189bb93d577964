"""A repository's policy layer: its `.org/policy.yaml` as committed on the target branch, never a workspace's.

org fetches the target into its mirror and reads the file at that commit, so what an agent writes in its
own workspace or branch never becomes policy (the file is also a protected path: org.config.cascade).
"""

from __future__ import annotations

from pathlib import Path

from org.config.cascade import resolve
from org.config.layers import REPO_POLICY
from org.config.loader import OrgConfig
from org.config.yamlsrc import MAX_YAML_BYTES
from org.errors import NotFound, UsageError
from org.workspaces.git import git
from org.workspaces.repo import Repository

__all__ = ["read_repo_policy", "resolve_for"]


def read_repo_policy(root: Path, cfg: OrgConfig, name: str) -> tuple[str | None, str]:
    """(the text of `name`'s .org/policy.yaml on its target branch or None when it has none, that commit)."""
    if name not in cfg.repos:
        raise NotFound(f"no repository '{name}' (repositories: {', '.join(sorted(cfg.repos)) or 'none'})")
    repo = Repository(root, name, cfg.repos[name], cfg.workspaces_dir)
    with repo.lock():
        head = repo.sync()
    kind = git(["cat-file", "-t", f"{head}:{REPO_POLICY}"], git_dir=repo.mirror, check=False)
    if kind.returncode != 0:
        return None, head
    if kind.stdout.strip() != b"blob":
        raise UsageError(f"{name}@{head[:12]}:{REPO_POLICY}: not a file")
    size = int(git(["cat-file", "-s", f"{head}:{REPO_POLICY}"], git_dir=repo.mirror).stdout.strip() or 0)
    if size > MAX_YAML_BYTES:
        raise UsageError(
            f"{name}@{head[:12]}:{REPO_POLICY}: {size} bytes, larger than the "
            f"{MAX_YAML_BYTES // 1024} KB org reads for a YAML file"
        )
    raw = git(["cat-file", "blob", f"{head}:{REPO_POLICY}"], git_dir=repo.mirror).stdout
    try:
        return raw.decode("utf-8"), head
    except UnicodeDecodeError:
        raise UsageError(f"{name}@{head[:12]}:{REPO_POLICY}: not UTF-8 text") from None


def resolve_for(root: Path, cfg: OrgConfig, repo: str | None, task_policy: dict | None = None) -> OrgConfig:
    """The cascade a task in `repo` would start under today: the org, the repository's committed policy
    file, and the task's own policy (each only tightening; a loosening is ConfigError with FILE:LINE)."""
    if repo is None:
        return resolve(cfg, task_policy=task_policy)
    text, commit = read_repo_policy(root, cfg, repo)
    return resolve(cfg, repo=repo, repo_text=text, commit=commit, task_policy=task_policy)
