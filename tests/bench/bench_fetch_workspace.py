"""Benchmark: reading a workspace's submission into org's mirror (org.workspaces.git.fetch_workspace, ADR 0320:
the workspace's own object files linked into org's scratch repository, a rev-list check, the fetch) against the
way before it (a scratch repository whose alternates named the workspace's objects/, then the fetch), side by
side, for a workspace holding N new loose objects.

    .ci/dev python tests/bench/bench_fetch_workspace.py [--objects 10 2000] [--rounds 5]

Prints the median of each and the ratio. Not a pass/fail test.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from org.workspaces.git import fetch_workspace, git, workspace_head

REF = "refs/org/incoming/T-1"


def _sh(*a: str) -> None:
    subprocess.run(a, check=True, capture_output=True)


def _peer(mirror: Path, ws: Path) -> None:
    """The way before ADR 0320: the scratch repository's alternates name the workspace's objects."""
    with tempfile.TemporaryDirectory(dir=mirror.parent) as tmp:
        scratch = Path(tmp) / "r.git"
        git(["init", "-q", "--bare", str(scratch)])
        (scratch / "objects" / "info" / "alternates").write_text(f"{(ws / '.git' / 'objects').resolve()}\n")
        git(["update-ref", "refs/heads/head", workspace_head(ws)], git_dir=scratch)
        git(["fetch", "-q", "--no-tags", "--", str(scratch), f"+refs/heads/head:{REF}"], git_dir=mirror)


def bench(n: int, rounds: int) -> None:
    d = Path(tempfile.mkdtemp(prefix="org-bench-fetch-"))
    store, ws, mirror = d / "store.git", d / "ws", d / "mirror.git"
    _sh("git", "init", "-q", "--bare", str(store))
    _sh("git", "init", "-q", "--bare", str(mirror))
    _sh("git", "init", "-q", str(ws))
    for i in range(n):
        (ws / f"f{i}.txt").write_text(f"file {i}\n" * 20)
    _sh("git", "-C", str(ws), "add", "-A")
    _sh("git", "-C", str(ws), "-c", "user.name=a", "-c", "user.email=a@x", "commit", "-qm", "x")
    times: dict[str, list[float]] = {"org": [], "peer": []}
    for _ in range(rounds):
        for k in ("org", "peer"):
            subprocess.run(["git", "--git-dir", str(mirror), "update-ref", "-d", REF], capture_output=True)
            subprocess.run(["git", "--git-dir", str(mirror), "gc", "-q", "--prune=now"], capture_output=True)
            t = time.perf_counter()
            if k == "org":
                fetch_workspace(mirror, ws, REF, stores=[store / "objects"])
            else:
                _peer(mirror, ws)
            times[k].append(time.perf_counter() - t)
    o, p = statistics.median(times["org"]), statistics.median(times["peer"])
    print(
        f"{n:6d} loose objects: org {o * 1000:7.1f} ms  peer (alternates) {p * 1000:7.1f} ms  org/peer {o / p:.2f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--objects", type=int, nargs="+", default=[10, 2000])
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    for n in a.objects:
        bench(n, a.rounds)


if __name__ == "__main__":
    main()
