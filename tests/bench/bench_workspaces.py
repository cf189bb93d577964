"""Benchmark: org's workspaces, diff guard and pipeline merge on a repository of 10,000 files with 50 tasks in
flight, each next to bare git doing the least the same job needs, measured in the same run.

    .ci/dev python tests/bench/bench_workspaces.py [--files 10000] [--tasks 50]

1. workspace creation per task (org: lock, fetch of the source's target, branch org/T-N, a clone of its own
   with --shared, checkout) against a bare `git worktree add -b` from a clone;
2. the diff guard per revision (org: one diff-tree with raw, numstat and -U0 patch, every rule, the
   redactor's secret scan) against `git diff --name-status` alone;
3. the merge pipeline per task (org: lock, fetch, merge-tree onto the target's head, commit-tree with
   trailers, compare-and-swap push, tracking ref; no tests) against a bare `git merge --no-ff` + `update-ref`
   in a clone. Every task's merge lands on a target the previous merges moved.
Prints the median per task in milliseconds and the ratios.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from org.bus.redact import Redactor
from org.config.repos import MaxDiff, Repo
from org.workspaces.diffguard import check_diff, read_diff
from org.workspaces.git import git
from org.workspaces.pipeline import merge_commit
from org.workspaces.repo import Repository


def sh(cwd: Path, *args: str) -> str:
    return git(args, cwd=cwd, timeout=600).stdout.decode().strip()


def make_source(path: Path, files: int) -> None:
    path.mkdir(parents=True)
    sh(path, "init", "-q", "-b", "main")
    for i in range(files):
        d = path / f"pkg{i % 100:02d}"
        d.mkdir(exist_ok=True)
        (d / f"mod{i}.py").write_text(f"VALUE_{i} = {i}\n\n\ndef f{i}(x):\n    return x + {i}\n")
    sh(path, "add", "-A")
    sh(path, "commit", "-q", "-m", "initial")
    sh(path, "config", "receive.denyCurrentBranch", "updateInstead")


def change(ws: Path, k: int, files: int) -> None:
    """A task's change: edit three files of its own and add one."""
    for j in range(3):
        n = (k * 3 + j) * 37 % files
        f = ws / f"pkg{n % 100:02d}" / f"mod{n}.py"
        f.write_text(f.read_text() + f"\n\ndef task_{k}_{j}(y):\n    return y * {k}\n")
    (ws / f"pkg{k % 100:02d}" / f"new_{k}.py").write_text(f"NEW = {k}\n")


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--tasks", type=int, default=50)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="org-bench-ws-") as tmp:
        base = Path(tmp)
        src = base / "src"
        make_source(src, a.files)
        root = base / "org"
        root.mkdir()
        spec = Repo(
            path=str(src),
            protected=[".github/**", "**/auth/**"],
            golden=["tests/**"],
            max_diff=MaxDiff(files=50, lines=2000),
            merge="merge",
            retest_on_merge=False,
        )
        repo = Repository(root, "app", spec)
        peer = base / "peer"
        sh(base, "clone", "-q", str(src), str(peer))

        org_create, git_create = [], []
        for k in range(1, a.tasks + 1):
            org_create.append(timed(lambda k=k: repo.create(f"T-{k}")))
            git_create.append(
                timed(
                    lambda k=k: sh(
                        peer,
                        "worktree",
                        "add",
                        "-q",
                        "-b",
                        f"peer/T-{k}",
                        str(base / "wt" / f"T-{k}"),
                        "main",
                    )
                )
            )

        revs: dict[int, tuple[str, str]] = {}
        for k in range(1, a.tasks + 1):
            ws = repo.path_of(f"T-{k}")
            change(ws, k, a.files)
            sh(ws, "add", "-A")
            sh(ws, "commit", "-q", "-m", f"task {k}")
            head = sh(ws, "rev-parse", "HEAD")
            git(["fetch", "-q", "--", str(ws), f"+HEAD:refs/org/incoming/T-{k}"], git_dir=repo.mirror)
            revs[k] = (repo.rev(repo.tracking_ref), head)
            pw = base / "wt" / f"T-{k}"
            change(pw, k, a.files)
            sh(pw, "add", "-A")
            sh(pw, "commit", "-q", "-m", f"task {k}")

        red = Redactor({"db": "s3cret-database-password"})
        org_guard, git_names = [], []
        for k in range(1, a.tasks + 1):
            b, c = revs[k]

            def guard(b=b, c=c) -> None:
                d = read_diff(repo.mirror, b, c)
                assert (
                    check_diff(
                        d, spec, "app", lambda _k: "gates/repos.yaml:1", human=False, secrets=red.found
                    )
                    == []
                )

            org_guard.append(timed(guard))
            git_names.append(
                timed(lambda b=b, c=c: git(["diff", "--name-status", b, c], git_dir=repo.mirror))
            )

        sh(peer, "update-ref", "refs/peer/target", "main")
        org_merge, git_merge = [], []
        facts = {
            "reviewers": [{"actor": "rev-gpt", "family": "openai", "gate": "correctness"}],
            "approvers": [],
            "tier": "medium",
            "title": "bench",
        }
        for k in range(1, a.tasks + 1):
            org_merge.append(timed(lambda k=k: merge_commit(repo, f"T-{k}", revs[k][1], facts)))

            def bare(k=k) -> None:
                old = sh(peer, "rev-parse", "refs/peer/target")
                sh(peer, "merge", "-q", "--no-ff", "--no-edit", f"peer/T-{k}")
                new = sh(peer, "rev-parse", "HEAD")
                sh(peer, "update-ref", "refs/peer/target", new, old)  # the compare-and-swap of the target

            git_merge.append(timed(bare))
        merged = sh(src, "rev-list", "--count", "--merges", "main")
        assert int(merged) == a.tasks, merged

    def row(name: str, ours: list[float], theirs: list[float], peer_name: str) -> None:
        o, t = statistics.median(ours), statistics.median(theirs)
        print(f"{name:<28} org {o:8.1f} ms   {peer_name:<34} {t:8.1f} ms   ratio {o / t:5.2f}x")

    print(f"repository of {a.files} files, {a.tasks} tasks in flight (medians per task)")
    row("workspace creation", org_create, git_create, "git worktree add")
    row("diff guard per revision", org_guard, git_names, "git diff --name-status")
    row("merge pipeline (no tests)", org_merge, git_merge, "git merge --no-ff + update-ref")


if __name__ == "__main__":
    main()
