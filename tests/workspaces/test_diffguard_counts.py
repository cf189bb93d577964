"""The diff guard counts lines from its one -U0 patch (no second --numstat pass in git): the counts, binary
files and symlink targets must be exactly git's own, for every kind of change, awkward names included."""

from __future__ import annotations

import os
from pathlib import Path

from org.workspaces.diffguard import read_diff
from tests.workspaces.gitrepo import make_repo, sh_git


def _numstat(repo: Path, a: str, b: str) -> dict[str, tuple[int | None, int | None]]:
    import subprocess

    out = subprocess.run(
        ["git", "diff", "--numstat", "-z", "--no-renames", a, b], cwd=repo, capture_output=True, check=True
    ).stdout.decode(errors="surrogateescape")
    got: dict[str, tuple[int | None, int | None]] = {}
    for rec in out.split("\0"):
        if not rec:
            continue
        add, rem, path = rec.split("\t", 2)
        got[path] = (None, None) if add == "-" else (int(add), int(rem))
    return got


def test_counts_binaries_and_links_are_git_s_own(tmp_path):
    repo = make_repo(
        tmp_path / "r",
        {
            "a.txt": "one\ntwo\nthree\n",
            "gone.txt": "x\ny\n",
            "img.bin": "start",
            "to-link.txt": "will become a link\n",
            "no-eol.txt": "last line",
            "mode.sh": "echo hi\n",
        },
    )
    base = sh_git(repo, "rev-parse", "HEAD")
    (repo / "img.bin").write_bytes(b"\x00\x01\x02binary\x00" * 50)  # text -> binary, listed first
    (repo / "a.txt").write_text("one\n+two changed\nthree\nfour\n+five\n")  # lines starting with '+'
    (repo / "gone.txt").unlink()
    (repo / "to-link.txt").unlink()
    os.symlink("../../etc/passwd", repo / "to-link.txt")  # a type change: two sections
    (repo / "no-eol.txt").write_text("last line changed")
    (repo / "mode.sh").chmod(0o755)  # a mode change: no hunk at all
    (repo / "new bin.dat").write_bytes(b"\x00" * 10)
    (repo / "line\nbreak.txt").write_text("--- not a header\n+++ nor this\n@@ nor this @@\n")
    (repo / "ünï cødé.txt").write_text("diff --git a/x b/x\n")
    os.symlink("inside.txt", repo / "ok-link")
    sh_git(repo, "add", "-A")
    sh_git(repo, "commit", "-q", "-m", "all kinds")
    head = sh_git(repo, "rev-parse", "HEAD")
    d = read_diff(repo / ".git", base, head)
    mine = {f.path: (f.added, f.removed) for f in d.files}
    assert mine == _numstat(repo, base, head)
    assert {f.path for f in d.files if f.binary} == {"img.bin", "new bin.dat"}
    assert d.symlinks == {"to-link.txt": "../../etc/passwd", "ok-link": "inside.txt"}
    assert d.added_by_path["line\nbreak.txt"] == ["--- not a header", "+++ nor this", "@@ nor this @@"]
    assert d.added_by_path["a.txt"] == ["+two changed", "four", "+five"]
    assert d.added_by_path["ünï cødé.txt"] == ["diff --git a/x b/x"]
    assert [f.status for f in d.files if f.path == "to-link.txt"] == ["T"]
