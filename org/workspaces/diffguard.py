"""The diff guard: org reads a revision's real diff from git (never an agent's description of it) and checks
it against the repository's path rules before the revision counts, whoever submits it.

Rules: PROTECTED_PATH, GOLDEN_FILE, MAX_DIFF, PATH_ESCAPE, SUBMODULE, GIT_PATH, SECRET_IN_DIFF, BINARY_FILE
and DIFF_TOO_LARGE of org.engine.rule_ids (their table says what each protects), cited in every denial with the
gates/repos.yaml line they come from.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from org.config.repos import Repo, glob_match
from org.engine import rule_ids
from org.workspaces.git import git

__all__ = [
    "FileChange",
    "Diff",
    "Finding",
    "read_diff",
    "check_diff",
    "MAX_DIFF_BYTES",
    "PATCH_KEEP",
    "MAX_SHOWN_FILES",
    "unseen_files",
    "shown_partly",
]

MAX_DIFF_BYTES = 64 * 1024 * 1024  # a diff larger than this is not read (denied: too large to check)
PATCH_KEEP = 64 * 1024  # the patch text kept as evidence (the sha256 covers all of it)
MAX_SHOWN_FILES = 1000  # a reviewer is shown at most this many changed files' names
_ZERO = "0" * 40


@dataclass(frozen=True)
class FileChange:
    path: str
    status: str  # A added, M modified, D deleted, T type changed
    old_mode: str
    new_mode: str
    added: int | None  # None: binary
    removed: int | None

    @property
    def binary(self) -> bool:
        return self.added is None


@dataclass(frozen=True)
class Diff:
    """A commit's change against its base, as git computes it."""

    base: str
    commit: str
    files: tuple[FileChange, ...]
    patch: str  # the unified diff with no context lines (-U0)
    added_by_path: dict[str, list[str]] = field(default_factory=dict)
    symlinks: dict[str, str] = field(default_factory=dict)  # path -> target, for added or changed links

    @property
    def lines(self) -> int:
        return sum((f.added or 0) + (f.removed or 0) for f in self.files)

    @property
    def paths(self) -> list[str]:
        return [f.path for f in self.files]

    def summary(self) -> dict:
        return {
            "base": self.base,
            "commit": self.commit,
            "files": len(self.files),
            "lines": self.lines,
            "added": sum(f.added or 0 for f in self.files),
            "removed": sum(f.removed or 0 for f in self.files),
            "binary": [f.path for f in self.files if f.binary],
            "changes": [
                {"path": f.path, "status": f.status, "added": f.added, "removed": f.removed}
                for f in self.files
            ],
        }


@dataclass(frozen=True)
class Finding:
    rule: str
    reason: str
    source: str
    path: str | None = None

    def to_json(self) -> dict:
        return {"rule": self.rule, "reason": self.reason, "source": self.source, "path": self.path}


def read_diff(git_dir: Path, base: str, commit: str, *, timeout: float = 120.0) -> Diff:
    """base..commit from one `git diff-tree` (raw and a -U0 patch: git diffs each file once; the lines added
    and removed are counted from the patch, as --numstat would, without a second pass); renames are not
    folded (a move is a delete and an add, so a golden file moved away counts as deleted)."""
    out = git(
        [
            "diff-tree",
            "-r",
            "-z",
            "--no-renames",
            "--no-ext-diff",
            "--no-textconv",
            "--raw",
            "-p",
            "-U0",
            "--no-color",
            "--full-index",
            base,
            commit,
            "--",
        ],
        git_dir=git_dir,
        timeout=timeout,
    ).stdout
    if len(out) > MAX_DIFF_BYTES:
        return Diff(
            base, commit, (FileChange("(whole diff)", "M", "", "", None, None),), "", {}, {"": "too-large"}
        )
    fields = out.split(b"\0")
    i = 0
    raw: list[tuple[str, str, str, str]] = []
    while i < len(fields) and fields[i].startswith(b":"):
        meta = fields[i][1:].decode().split(" ")
        raw.append((meta[0], meta[1], meta[4], fields[i + 1].decode(errors="surrogateescape")))
        i += 2
    patch = b"\0".join(fields[i:]).lstrip(b"\0").decode(errors="replace")
    return _parse_patch(base, commit, raw, patch)


def _parse_patch(base: str, commit: str, raw: list[tuple[str, str, str, str]], patch: str) -> Diff:
    """Files with their counts, added lines and symlink targets from the -U0 patch. Its sections come in the
    raw order, one per file (two for a type change: a delete and an add); a section with no hunk saying
    'Binary files ... differ' is a binary file."""
    order: list[str] = []
    for _om, _nm, status, path in raw:
        order += [path, path] if status == "T" else [path]
    added: dict[str, list[str]] = {}
    links: dict[str, str] = {}
    plus: dict[str, int] = {}
    minus: dict[str, int] = {}
    binary: set[str] = set()
    modes = {path: nm for _om, nm, _s, path in raw}
    k = -1
    current = ""
    hunk = False
    for line in patch.split("\n"):
        if line.startswith("diff --git "):
            k += 1
            current = order[k] if k < len(order) else line[11:]
            hunk = False
            continue
        if not hunk:
            if line.startswith("@@"):
                hunk = True
            elif line.startswith("Binary files ") and line.endswith(" differ"):
                binary.add(current)
            continue
        first = line[:1]
        if first == "+":
            plus[current] = plus.get(current, 0) + 1
            added.setdefault(current, []).append(line[1:])
            if modes.get(current) == "120000":
                links[current] = line[1:]
        elif first == "-":
            minus[current] = minus.get(current, 0) + 1
    files = tuple(
        FileChange(
            path,
            status,
            om,
            nm,
            None if path in binary else plus.get(path, 0),
            None if path in binary else minus.get(path, 0),
        )
        for om, nm, status, path in raw
    )
    return Diff(base, commit, files, patch, added, links)


_DIFF_HEAD = re.compile(r"^diff --git a/(.*) b/(.*)$")
_UNSEEN = re.compile(r"^(Binary files .* differ|GIT binary patch|[-+]Subproject commit [0-9a-f]+)$")


def unseen_files(patch: str) -> list[str]:
    """The files whose change a patch names without showing it: git's 'Binary files ... differ' (one NUL byte
    makes a shell script binary to git), a binary patch, a gitlink's commit id. Binary markers count only in a
    file's header part; a gitlink's commit lines sit in a hunk (a text file adding such a line is taken as
    unseen too: it fails closed)."""
    out: list[str] = []
    current: str | None = None
    in_hunk = False
    for line in patch.splitlines():
        m = _DIFF_HEAD.match(line)
        if m:
            current, in_hunk = m.group(2), False
            continue
        if line.startswith("@@"):
            in_hunk = True
            continue
        unseen = _UNSEEN.match(line) and (not in_hunk or "Subproject commit" in line)
        if current is not None and unseen and current not in out:
            out.append(current)
    return out


def shown_partly(diff: dict) -> list[str]:
    """Why a reviewer shown `diff` ({patch, files, truncated, unseen} as org.workspaces.service.revision_patch
    reads it from git) did not see the whole change; [] when it did. A reviewer that did not see it whole may
    not pass it: a builder could pad a change past the cut, or hide a script's content behind one NUL byte."""
    patch = diff.get("patch")
    if not patch:
        return [f"the diff could not be read: {diff.get('error', 'none')}"]
    why = []
    if diff.get("truncated"):
        why.append(f"the diff is TRUNCATED (only its first {len(patch)} characters are shown)")
    if len(diff.get("files") or ()) >= MAX_SHOWN_FILES:
        why.append(f"the list of changed files is cut at {MAX_SHOWN_FILES}")
    unseen = list(diff.get("unseen") or ())
    unseen += [f for f in unseen_files(patch) if f not in unseen]
    if unseen:
        why.append(
            "the diff does not show the content of " + ", ".join(unseen) + " (binary or a submodule commit)"
        )
    return why


def _src(sources: Callable[[str], str], repo: str, key: str) -> str:
    return sources(f"repo:{repo}:{key}") or sources(f"repo:{repo}")


def _escapes(path: str, target: str) -> bool:
    if target.startswith("/") or not target:
        return True
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
    return joined == ".." or joined.startswith("../") or joined.startswith("/")


def _git_component(path: str) -> bool:
    """A path component git treats as its own directory (.git, case-insensitive, with the trailing dots and
    spaces or the 8.3 short name some file systems ignore)."""
    for part in path.split("/"):
        p = unicodedata.normalize("NFKC", part).lower().rstrip(". ")
        p = "".join(ch for ch in p if unicodedata.category(ch) != "Cf")  # zero-width marks HFS+ ignores
        if p in (".git", "git~1"):
            return True
    return False


def check_diff(
    diff: Diff,
    spec: Repo,
    repo: str,
    sources: Callable[[str], str],
    *,
    human: bool,
    secrets: Callable[[str], list[str]] | None = None,
) -> list[Finding]:
    """Every finding of the guard; empty when the revision may count. A protected path is a finding for an
    agent always; for a human it is reported by org.engine.risk.repo_path_rules instead (the high-tier route, a second human)."""
    out: list[Finding] = []
    if diff.symlinks.get("") == "too-large":
        return [
            Finding(
                rule_ids.DIFF_TOO_LARGE,
                f"the diff is larger than {MAX_DIFF_BYTES // (1024 * 1024)} MB; "
                "org does not accept what it cannot check",
                _src(sources, repo, "max_diff"),
            )
        ]
    for f in diff.files:
        p = f.path
        if p.startswith("/") or ".." in p.split("/"):
            out.append(
                Finding(rule_ids.PATH_ESCAPE, f"'{p}' leaves the repository", sources(f"repo:{repo}"), p)
            )
        if _git_component(p):
            out.append(
                Finding(
                    rule_ids.GIT_PATH,
                    f"'{p}' is inside a .git folder (git's own files)",
                    sources(f"repo:{repo}"),
                    p,
                )
            )
        if (
            f.new_mode == "160000"
            or f.old_mode == "160000"
            or p == ".gitmodules"
            or p.endswith("/.gitmodules")
        ):
            out.append(
                Finding(
                    rule_ids.SUBMODULE,
                    f"'{p}' changes a submodule; org does not accept submodule changes",
                    sources(f"repo:{repo}"),
                    p,
                )
            )
        if f.new_mode == "120000":
            target = diff.symlinks.get(p, "")
            if _escapes(p, target):
                out.append(
                    Finding(
                        rule_ids.PATH_ESCAPE,
                        f"symlink '{p}' points outside the worktree ({target!r})",
                        sources(f"repo:{repo}"),
                        p,
                    )
                )
        if f.binary and f.status != "D" and not any(glob_match(g, p) for g in spec.binary):
            out.append(
                Finding(
                    rule_ids.BINARY_FILE,
                    f"'{p}' is a binary file: git shows none of its content, so no reviewer reads it "
                    "(one NUL byte makes a script binary; build output such as __pycache__ is binary too); "
                    "binary files enter only where the repository's 'binary' globs welcome them",
                    _src(sources, repo, "binary"),
                    p,
                )
            )
        if not human:
            for g in spec.protected:
                if glob_match(g, p):
                    out.append(
                        Finding(
                            rule_ids.PROTECTED_PATH,
                            f"'{p}' is protected ({g}): no agent may change it",
                            sources(f"repo:{repo}:protected:{g}") or _src(sources, repo, "protected"),
                            p,
                        )
                    )
                    break
        if f.status in ("M", "D", "T"):
            for g in spec.golden:
                if glob_match(g, p):
                    verb = "deletes" if f.status == "D" else "modifies"
                    out.append(
                        Finding(
                            rule_ids.GOLDEN_FILE,
                            f"{verb} golden file '{p}' ({g}); add new files instead",
                            sources(f"repo:{repo}:golden:{g}") or _src(sources, repo, "golden"),
                            p,
                        )
                    )
                    break
    if spec.max_diff is not None:
        md = spec.max_diff
        if md.files is not None and len(diff.files) > md.files:
            out.append(
                Finding(
                    rule_ids.MAX_DIFF,
                    f"{len(diff.files)} files changed, more than max_diff.files {md.files}",
                    _src(sources, repo, "max_diff"),
                )
            )
        if md.lines is not None and diff.lines > md.lines:
            out.append(
                Finding(
                    rule_ids.MAX_DIFF,
                    f"{diff.lines} lines changed, more than max_diff.lines {md.lines}",
                    _src(sources, repo, "max_diff"),
                )
            )
    if secrets is not None:
        for p, lines in diff.added_by_path.items():
            found = secrets("\n".join(lines))
            if found:
                out.append(
                    Finding(
                        rule_ids.SECRET_IN_DIFF,
                        f"'{p}' adds {', '.join(sorted(set(found)))}; secrets never enter a repository",
                        "org/bus/redact.py",
                        p,
                    )
                )
    return out
