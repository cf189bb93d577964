"""gates/repos.yaml: the repositories tasks work in, their commands, merge strategy and path rules."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator, model_validator

from org.config.models import ID, Strict
from org.errors import NotFound, Problem, UsageError

if TYPE_CHECKING:
    from org.config.loader import OrgConfig
    from org.config.yamlsrc import Located

__all__ = [
    "Command",
    "MaxDiff",
    "PathRisk",
    "Repo",
    "ReposFile",
    "glob_match",
    "glob_regex",
    "repo_problems",
    "MERGE_ACTION",
    "DEFAULT_WORKSPACES",
    "task_repo",
]

MERGE_ACTION = "branch.merge"  # only the pipeline merges (DESIGN invariant 15); no lane may be given it
DEFAULT_WORKSPACES = ".org/workspaces"
_GLOB = re.compile(r"^[^\x00-\x1f\[\]{}\\]+$")
_BRANCH = re.compile(r"^(?!/)(?!.*\.\.)(?!.*//)(?!.*@\{)[A-Za-z0-9._/-]+(?<![/.])$")


def _check_glob(v: str) -> str:
    if not _GLOB.fullmatch(v) or v.startswith("/"):
        raise ValueError(
            f"path glob '{v}' must be relative to the repository root and use only '*', '**' "
            "and '?' as wildcards"
        )
    return v


@lru_cache(maxsize=4096)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """A path glob as a regex over '/'-separated paths from the repository root: '*' and '?' stay within
    one path segment, '**' spans any number of segments (also none); 'dir/**' is everything under dir."""
    out = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:[^/]*/)*")  # zero or more whole segments
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("".join(out), re.DOTALL)


def glob_match(pattern: str, path: str) -> bool:
    """Does `path` (relative, '/'-separated) match `pattern`? A pattern with no '/' matches a file name at
    any depth (as in .gitignore): 'secrets.env' matches 'a/b/secrets.env'."""
    if "/" not in pattern:
        return glob_regex(pattern).fullmatch(path.rsplit("/", 1)[-1]) is not None
    return glob_regex(pattern).fullmatch(path) is not None


class Command(Strict):
    """A shell command (run by /bin/sh -c in the checkout) with a time limit."""

    run: str = Field(min_length=1, description="The command, run by /bin/sh -c at the repository root.")
    timeout: int = Field(default=600, ge=1, le=86_400, description="Seconds before it is killed (and fails).")


class MaxDiff(Strict):
    files: int | None = Field(default=None, ge=1, description="Most files one revision may change.")
    lines: int | None = Field(
        default=None, ge=1, description="Most lines (added + removed) one revision may change."
    )


class PathRisk(Strict):
    paths: list[str] = Field(min_length=1, description="Path globs; a revision touching any raises the tier.")
    tier: str = Field(description="The tier such a revision needs at least.")
    id: str | None = Field(
        default=None, pattern=r"^[A-Z][A-Z0-9-]*[A-Z0-9]$", description="Rule id (default derived)."
    )

    @field_validator("paths")
    @classmethod
    def _globs(cls, v: list[str]) -> list[str]:
        return [_check_glob(x) for x in v]


class Repo(Strict):
    path: str | None = Field(
        default=None, description="A local git repository (bare or not), relative to the org root."
    )
    url: str | None = Field(default=None, description="Any git URL, e.g. a shared bare repository.")
    target: str = Field(default="main", description="The branch the pipeline merges into.")
    setup: Command | None = Field(default=None, description="Run once in a new workspace (e.g. install).")
    test: Command | None = Field(default=None, description="The test command a 'check: tests' gate runs.")
    merge: Literal["fast-forward", "merge", "squash"] = Field(
        default="merge", description="How the pipeline merges."
    )
    retest_on_merge: bool = Field(
        default=True, description="Test the merge result again when the target moved."
    )
    sandbox: Literal["required", "optional"] = Field(
        default="required",
        description="The setup and test commands run agent-written code: 'required' (the default) refuses to "
        "run them where bubblewrap is missing or does not start; 'optional' runs them unsandboxed there "
        "(said in the evidence).",
    )
    protected: list[str] = Field(
        default_factory=list, description="Globs no revision may touch (e.g. .github/**)."
    )
    golden: list[str] = Field(
        default_factory=list,
        description="Globs of existing files no revision may modify or delete (new ones welcome).",
    )
    binary: list[str] = Field(
        default_factory=list,
        description="Globs where binary files may enter (default: nowhere). git shows no content of a binary "
        "file, so no reviewer reads it: elsewhere one is refused, and where welcome its "
        "revision needs a reviewer who can look beyond the diff (an agent may not pass it).",
    )
    max_diff: MaxDiff | None = Field(default=None, description="Size limit of one revision against its base.")
    risk: list[PathRisk] = Field(
        default_factory=list, description="Path-based risk: touching these raises the tier."
    )
    description: str | None = None

    @field_validator("protected", "golden", "binary")
    @classmethod
    def _globs(cls, v: list[str]) -> list[str]:
        return [_check_glob(x) for x in v]

    @field_validator("target")
    @classmethod
    def _branch(cls, v: str) -> str:
        if v.startswith("refs/"):
            v = v.removeprefix("refs/heads/")
        if not _BRANCH.fullmatch(v) or v.endswith(".lock") or v.startswith("org/"):
            raise ValueError(
                f"'{v}' is not a branch name org can merge into (branches under org/ are org's own)"
            )
        return v

    @model_validator(mode="after")
    def _where(self) -> Repo:
        if (self.path is None) == (self.url is None):
            raise ValueError("a repository names exactly one of 'path' (a local repository) or 'url'")
        where = self.path if self.path is not None else self.url
        if not where or where.startswith("-") or any(ord(ch) < 32 for ch in where):
            raise ValueError(f"'{where}' is not a repository location")
        return self


class ReposFile(Strict):
    repos: dict[str, Repo] = Field(default_factory=dict)
    workspaces: str = Field(
        default=DEFAULT_WORKSPACES,
        min_length=1,
        description="Where org makes task workspaces, relative to the org root.",
    )

    @field_validator("repos")
    @classmethod
    def _names(cls, v: dict[str, Repo]) -> dict[str, Repo]:
        for name in v:
            if not re.match(ID, name):
                raise ValueError(f"repository name '{name}' must match {ID}")
        return v


def repo_problems(cfg: OrgConfig, docs: dict[str, Located]) -> list[Problem]:
    """Problems across files: path risk names a known tier; a workflow with a tests gate needs a
    repository; no lane may be given branch.merge (only the pipeline merges)."""
    from fnmatch import fnmatchcase

    out: list[Problem] = []
    tiers = [t.id for t in cfg.risk.tiers]
    for name, repo in cfg.repos.items():
        f, _, line = cfg.source(f"repo:{name}").rpartition(":")
        doc = docs.get(f)
        for i, r in enumerate(repo.risk):
            if r.tier not in tiers:
                where = doc.line(("repos", name, "risk", i, "tier")) if doc else int(line or 0)
                out.append(
                    Problem(
                        f,
                        where,
                        f"repos.{name}.risk.{i}.tier",
                        f"unknown tier '{r.tier}' (tiers: {', '.join(tiers)})",
                    )
                )
    for lane in cfg.lanes.values():
        for i, pat in enumerate(lane.may):
            if fnmatchcase(MERGE_ACTION, pat.replace("[", "[[]")):
                f, _, line = cfg.source(f"lane:{lane.lane}:may:{i}").rpartition(":")
                out.append(
                    Problem(
                        f,
                        int(line or 0),
                        f"may.{i}",
                        f"'{pat}' would give lane '{lane.lane}' {MERGE_ACTION}: only org's pipeline "
                        "merges (DESIGN invariant 15, docs/DESIGN.md); name the actions the lane needs instead",
                    )
                )
    for wf in cfg.workflows.values():
        has_tests = any(g.check == "tests" for g in wf.gates.values())
        if has_tests and wf.repository != "required":
            f, _, line = cfg.source(f"workflow:{wf.workflow}").rpartition(":")
            out.append(
                Problem(
                    f,
                    int(line or 0),
                    "repository",
                    "a workflow with a 'check: tests' gate needs 'repository: required'",
                )
            )
    return out


def task_repo(cfg: OrgConfig, workflow: str, repo: str | None) -> str | None:
    """The repository a new task of `workflow` works in, checked: it must exist in gates/repos.yaml, a
    workflow with 'repository: required' needs one, one with 'repository: none' takes none."""
    need = cfg.workflows[workflow].repository
    if repo is None or not str(repo).strip():
        if need == "required":
            known = ", ".join(sorted(cfg.repos)) or "none in gates/repos.yaml"
            raise UsageError(
                f"workflow '{workflow}' works in a repository: pass --repo NAME (repositories: {known})"
            )
        return None
    repo = str(repo).strip()
    if need == "none":
        raise UsageError(
            f"workflow '{workflow}' does not work in a repository (repository: none); drop --repo"
        )
    if repo not in cfg.repos:
        known = ", ".join(sorted(cfg.repos)) or "none: add gates/repos.yaml"
        raise NotFound(f"no repository '{repo}' (repositories: {known})")
    return repo
