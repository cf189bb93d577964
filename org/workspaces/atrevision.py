"""A reviewer's read-only view of a task's repository AT a revision (a commit in org's mirror, never a working
tree): list its files, read one (bounded, text only), search them (`git grep`, bounded in time and hits). Paths
are plain relative paths into the revision's tree: no `..`, no absolute path, no `REV:path`, no pathspec magic
(git reads them literally), so nothing outside the commit, and no other commit, is reachable (ADR 0232)."""

from __future__ import annotations

import re
from typing import Any

from org.errors import NotFound, UsageError
from org.workspaces.git import GitError, git

__all__ = ["RevisionReader", "MAX_READ", "MAX_LIST", "MAX_HITS"]

MAX_READ = 256 * 1024
MAX_LIST = 2000
MAX_HITS = 200
GREP_TIMEOUT = 10.0
_LITERAL = {"GIT_LITERAL_PATHSPECS": "1", "GIT_CONFIG_GLOBAL": "/dev/null"}
_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


class RevisionReader:
    """Reads one commit of org's mirror `git_dir`."""

    def __init__(self, git_dir: Any, revision: str) -> None:
        if not _SHA.fullmatch(revision or ""):
            raise NotFound(f"'{revision}' is not a full commit id")
        self.git_dir = git_dir
        self.revision = revision

    def clean(self, rel: str, *, empty_ok: bool = False) -> str:
        """`rel` as a path in the revision's tree, or UsageError (never anything outside it)."""
        if not isinstance(rel, str) or "\0" in rel or len(rel) > 1000 or any(ord(c) < 32 for c in rel):
            raise UsageError("a path is a relative path in the revision")
        s = rel.strip().strip("/") if rel.strip() not in ("", ".", "./") else ""
        if not s:
            if empty_ok:
                return ""
            raise UsageError("a path is a relative path in the revision")
        parts = s.split("/")
        if (
            rel.startswith("/")
            or any(p in ("", ".", "..") for p in parts)
            or ":" in parts[0]
            or s.startswith("~")
        ):
            raise UsageError(
                f"'{rel}' is not a path in the revision under review (relative, no '..', no REV:path; "
                "only this revision is read)"
            )
        if parts[0] == ".git":
            raise UsageError(f"'{rel}' is git's own, not a file of the revision")
        return s

    def _git(self, args: list[str], *, timeout: float = 60.0, check: bool = True) -> Any:
        return git(args, git_dir=self.git_dir, env=_LITERAL, timeout=timeout, check=check)

    def files(self, under: str = "") -> list[str]:
        under = self.clean(under, empty_ok=True)
        args = ["ls-tree", "-r", "-z", "--name-only", "--full-tree", self.revision]
        out = self._git(args + (["--", under] if under else [])).stdout.decode(errors="replace")
        return [f for f in out.split("\0") if f][:MAX_LIST]

    def read(self, rel: str) -> str:
        path = self.clean(rel)
        entry = self._git(["ls-tree", "-z", "--full-tree", self.revision, "--", path]).stdout.decode(
            errors="replace"
        )
        head = entry.split("\t", 1)[0].split() if entry else []
        if len(head) != 3 or entry.split("\t", 1)[1].rstrip("\0") != path:
            raise NotFound(f"no file '{path}' in revision {self.revision[:12]}")
        mode, kind, oid = head
        if kind != "blob" or mode == "120000":
            raise UsageError(f"'{path}' is a {'symlink' if mode == '120000' else kind}, not a file")
        size = int(self._git(["cat-file", "-s", oid]).stdout.decode().strip() or 0)
        if size > MAX_READ:
            raise UsageError(f"'{path}' is {size} bytes; files over {MAX_READ} are not read")
        data = self._git(["cat-file", "blob", oid]).stdout
        if b"\0" in data[:8192]:
            raise UsageError(f"'{path}' is a binary file; only text files are read")
        return data.decode("utf-8", errors="replace")

    def search(self, pattern: str) -> list[str]:
        """`path:line: text` of lines matching `pattern` (plain text, or an extended regular expression when
        it has regex syntax), at most MAX_HITS, in text files of the revision."""
        if not isinstance(pattern, str) or not pattern.strip() or len(pattern) > 500 or "\0" in pattern:
            raise UsageError("the pattern is a non-empty text of at most 500 characters")
        regex = bool(set(".^$*+?{}[]\\|()") & set(pattern))
        args = ["grep", "-n", "-I", "--no-color", "--full-name", "-E" if regex else "-F", "-e", pattern]
        try:
            out = self._git([*args, self.revision, "--"], timeout=GREP_TIMEOUT, check=False)
        except GitError as exc:
            raise UsageError(f"the search did not finish: {exc}") from None
        if out.returncode not in (0, 1):
            raise UsageError(f"the search failed: {out.stderr.decode(errors='replace').strip()[-200:]}")
        hits = []
        for line in out.stdout.decode(errors="replace").splitlines():
            _rev, _, rest = line.partition(":")  # REV:path:line:text
            path, _, rest = rest.partition(":")
            n, _, text = rest.partition(":")
            hits.append(f"{path}:{n}: {text.strip()[:200]}")
            if len(hits) >= MAX_HITS:
                break
        return hits
