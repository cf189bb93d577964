"""Helpers for breaking a copy of the default org on purpose and reading `org validate`'s verdict."""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers import org_in_process, run_org

PROBLEM = re.compile(r"^(?P<file>[^\s:][^:]*?):(?P<line>\d+): (?:(?P<path>[\w.\-]+): )?(?P<msg>.*)$")
# A problem without a line (a missing file or folder) reads FILE: message.
NO_LINE = re.compile(r"^(?P<file>[^\s:]+): (?P<msg>(folder|file) not found.*|no risk model found.*)$")


def edit(root: Path, rel: str, old: str, new: str, count: int = 1) -> None:
    """Replace `old` by `new` in root/rel; the text must be there (a test that edits nothing proves nothing)."""
    p = root / rel
    text = p.read_text()
    assert old in text, f"{old!r} not in {rel}"
    p.write_text(text.replace(old, new, count))


def line_of(root: Path, rel: str, needle: str, nth: int = 1) -> int:
    """1-based line of the nth line of root/rel that contains `needle`."""
    hits = [i for i, ln in enumerate((root / rel).read_text(errors="replace").split("\n"), 1) if needle in ln]
    assert len(hits) >= nth, f"{needle!r} occurs {len(hits)} time(s) in {rel}"
    return hits[nth - 1]


class Verdict:
    def __init__(self, proc) -> None:
        self.rc, self.out, self.err = proc.returncode, proc.stdout, proc.stderr
        lines = [ln for ln in self.err.splitlines() if ln and not ln.startswith("org: ")]
        self.problems = []
        for ln in lines:
            m = PROBLEM.match(ln)
            if m is None and (n := NO_LINE.match(ln)):
                self.problems.append((n["file"], 0, "", n["msg"]))
                continue
            assert m, f"not FILE:LINE: path: message: {ln!r}\n{self.err}"
            self.problems.append((m["file"], int(m["line"]), m["path"] or "", m["msg"]))
        assert "Traceback" not in self.err

    def find(self, file: str, line: int, path: str | None = None, contains: str = "") -> tuple:
        for p in self.problems:
            if p[0] == file and p[1] == line and (path is None or p[2] == path) and contains in p[3]:
                return p
        raise AssertionError(f"no problem {file}:{line}: {path}: ...{contains}... in:\n{self.err}")


def validate(root: Path, *args: str) -> Verdict:
    """The real `org validate` in a fresh interpreter (`python -m org`)."""
    return Verdict(run_org("validate", *args, root=root))


def validate_in_process(root: Path, *args: str) -> Verdict:
    """`org validate` through the same entry as `python -m org` (tests.helpers.org_in_process), in this
    interpreter: the exit code and both streams are what the console script produces (test_errors.py proves it
    against real processes for a sample of cases)."""
    return Verdict(org_in_process("--root", str(root), "validate", *args))
