"""org's pipeline: runs the tests gate on a clean checkout of exactly the bound commit, and merges the
approved commit into the target (scratch merge onto the target's current head, retest if the target moved,
compare-and-swap push, trailers). The only code that moves a target branch (ADR 0092)."""

from __future__ import annotations

import io
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from org.engine import rule_ids
from org.errors import Conflict
from org.workspaces.commands import CommandResult, org_hidden, run_command
from org.workspaces.git import GitError, git, git_ok
from org.workspaces.repo import Repository
from org.workspaces.revisions import ensure_commit, trailers

__all__ = ["test_commit", "merge_commit", "MergeResult", "already_merged", "run_pipeline"]


def _export(repo: Repository, commit: str, dest: Path) -> None:
    """The commit's files, exactly (no .git: the code under test reaches no repository)."""
    data = git(["archive", "--format=tar", commit], git_dir=repo.mirror, timeout=600).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest, filter="data")


def test_commit(repo: Repository, commit: str, *, hide: tuple[Path, ...] = ()) -> CommandResult | None:
    """Run the repository's test command on a clean checkout of `commit` (None: it has no test command)."""
    spec = repo.spec.test
    if spec is None:
        return None
    with tempfile.TemporaryDirectory(prefix="org-test-") as tmp:
        work = Path(tmp) / "checkout"
        work.mkdir()
        _export(repo, commit, work)
        return run_command(
            spec.run,
            work,
            spec.timeout,
            hide=(*org_hidden(repo.root), *hide),
            sandbox=repo.spec.sandbox,
            what=f"the test command of repository '{repo.name}'",
        )


@dataclass(frozen=True)
class MergeResult:
    ok: bool
    merged: str | None  # the commit the target now points at
    old: str  # the target's head the merge was made onto
    conflicts: tuple[str, ...] = ()
    retest: CommandResult | None = None
    reason: str = ""
    recovered: bool = False  # found already merged (a pipeline killed after its push)


def already_merged(repo: Repository, task: str, revision: str) -> str | None:
    """The commit on the target that merged `revision` for `task`, if one exists (a merge commit with the
    task's trailers, or the revision itself after a fast-forward)."""
    target = repo.tracking_ref
    out = repo.g(
        "log", "-n", "1", "--format=%H", "-F", f"--grep=Org-Revision: {revision}", target, "--"
    ).strip()
    if out:
        return out
    return (
        revision if git_ok(["merge-base", "--is-ancestor", revision, target], git_dir=repo.mirror) else None
    )


def _merge_tree(repo: Repository, ours: str, theirs: str) -> tuple[str | None, list[str]]:
    proc = git(
        ["merge-tree", "--write-tree", "-z", "--name-only", "--no-messages", ours, theirs],
        git_dir=repo.mirror,
        check=False,
    )
    parts = proc.stdout.decode(errors="surrogateescape").split("\0")
    if proc.returncode == 0:
        return parts[0].strip(), []
    if proc.returncode == 1:
        return None, sorted({p for p in parts[1:] if p})
    raise GitError(f"git merge-tree failed: {proc.stderr.decode(errors='replace').strip()[-500:]}")


def merge_commit(repo: Repository, task: str, revision: str, facts: dict[str, Any]) -> MergeResult:
    """Merge `revision` into the target as org's pipeline: onto the target's current head, by the repository's
    strategy, tested again when the target moved (retest_on_merge), the target moved by a compare-and-swap
    push (refused if the source moved meanwhile: then this merge is redone on the new head)."""
    with repo.lock():
        ensure_commit(repo, task, revision)
        for _ in range(5):
            old = repo.sync()
            done = already_merged(repo, task, revision)
            if done is not None:
                return MergeResult(True, done, old, reason="already merged", recovered=True)
            res = _merge_once(repo, task, revision, facts, old)
            if res is not None:
                return res
        raise Conflict(f"the target {repo.spec.target} kept moving; the merge of {task} will be tried again")


def _merge_once(
    repo: Repository, task: str, revision: str, facts: dict[str, Any], old: str
) -> MergeResult | None:
    spec = repo.spec
    moved = not git_ok(["merge-base", "--is-ancestor", old, revision], git_dir=repo.mirror)
    lines = [("Org-Task", task), ("Org-Revision", revision)]
    lines += [
        ("Org-Reviewer", f"{r['actor']} ({r['family']}, {r['gate']})") for r in facts.get("reviewers", [])
    ]
    lines += [("Org-Approver", f"{a['actor']} ({a['gate']})") for a in facts.get("approvers", [])]
    lines += [("Org-Tier", facts.get("tier") or "")]
    if facts.get("rules"):
        lines.append(("Org-Rules", ", ".join(facts["rules"])))
    title = facts.get("title") or task
    if spec.merge == "fast-forward":
        if moved:
            return MergeResult(
                False,
                None,
                old,
                reason=f"the target {spec.target} moved since the revision's base; "
                "a fast-forward is impossible (rebase onto it)",
            )
        new = revision
    else:
        tree, conflicts = _merge_tree(repo, old, revision)
        if tree is None:
            return MergeResult(
                False, None, old, tuple(conflicts), reason="merge conflict in " + ", ".join(conflicts)
            )
        parents = ["-p", old] + (["-p", revision] if spec.merge == "merge" else [])
        msg = (
            f"{'Merge' if spec.merge == 'merge' else 'Squash'} {task}: {' '.join(title.split())}\n\n"
            + trailers(lines)
            + "\n"
        )
        new = (
            git(["commit-tree", tree, *parents, "-F", "-"], git_dir=repo.mirror, input=msg.encode())
            .stdout.decode()
            .strip()
        )
    retest = None
    if moved and spec.retest_on_merge and spec.test is not None:
        retest = test_commit(repo, new)
        if retest is not None and not retest.ok:
            return MergeResult(
                False,
                None,
                old,
                retest=retest,
                reason=f"the merge result fails its tests ({retest.summary()})",
            )
    # compare-and-swap: the source's target moves from `old` to `new` or not at all
    push = git(
        [
            "push",
            "--porcelain",
            "--no-verify",
            f"--force-with-lease={repo.target_ref}:{old}",
            "--",
            repo.source,
            f"{new}:{repo.target_ref}",
        ],
        git_dir=repo.mirror,
        check=False,
        timeout=600,
    )
    if push.returncode != 0:
        err = (push.stderr + push.stdout).decode(errors="replace")
        if "checked out" in err or "denyCurrentBranch" in err:
            raise Conflict(
                f"repository '{repo.name}': the target {spec.target} is checked out in {repo.source}, so "
                "git refuses to move it; use a bare repository as the source, or set "
                "'git config receive.denyCurrentBranch updateInstead' there (it refuses when dirty)"
            )
        if any(w in err for w in ("stale info", "fetch first", "non-fast-forward", "rejected")):
            return None  # the target moved under us: redo on its new head
        raise GitError(f"cannot push the merge of {task} to {repo.source}: {err.strip()[-800:]}")
    repo.g("update-ref", repo.tracking_ref, new, old)
    return MergeResult(True, new, old, retest=retest, reason=f"merged onto {old[:12]} as {new[:12]}")


def _apply(bus: Any, *args: Any, **kw: Any) -> dict:
    """pipeline_apply, where another pipeline (another org root) entering the result first is no error."""
    try:
        return bus.pipeline_apply(*args, **kw)
    except Conflict as exc:
        return {"task": args[0], "status": "taken", "events": [], "ready": [], "why": exc.message}


def run_pipeline(bus: Any, *, task: str | None = None) -> list[dict]:
    """Run every gate waiting for the pipeline (tests, merges), or only those of `task`; returns what was done."""
    from org.bus.repofacts import merge_facts
    from org.workspaces.service import repository

    queue = bus.pipeline_queue()
    out = []
    for item in queue:
        if task is not None and item["task"] != task:
            continue
        tr = bus.repo_task(item["task"])
        repo = repository(bus, tr)
        rev = item["revision"]
        if rev is None:
            continue
        if item["kind"] == "tests":
            with repo.lock():
                repo.sync()
                ensure_commit(repo, tr.row.key, rev)
            res = test_commit(repo, rev)
            if res is None or repo.spec.test is None:
                r = _apply(
                    bus,
                    tr.row.key,
                    item["gate"],
                    False,
                    revision=rev,
                    rules=[rule_ids.NO_TEST_COMMAND],
                    reason=f"repository '{tr.repo}' has no test command (gates/repos.yaml)",
                    facts=[("outcome.tests_failed", {"revision": rev, "why": "no test command"})],
                )
            else:
                ev = {"tests": {**res.to_json(), "commit": rev, "command": repo.spec.test.run}}
                r = _apply(
                    bus,
                    tr.row.key,
                    item["gate"],
                    res.ok,
                    revision=rev,
                    data=ev,
                    rules=[] if res.ok else [rule_ids.TESTS_FAILED],
                    reason=f"tests {'passed' if res.ok else 'failed'} on {rev[:12]} ({res.summary()}; "
                    f"{res.sandbox})",
                    facts=[("outcome.tests_passed" if res.ok else "outcome.tests_failed", ev)],
                )
            out.append({**item, "ok": res is not None and res.ok, **r})
            continue
        facts = {**merge_facts(tr.cfg, tr.state), "title": tr.row.title}
        m = merge_commit(repo, tr.row.key, rev, facts)
        data = {
            "merge": {
                "commit": m.merged,
                "onto": m.old,
                "revision": rev,
                "strategy": repo.spec.merge,
                "conflicts": list(m.conflicts),
                "recovered": m.recovered,
                **({"retest": m.retest.to_json()} if m.retest else {}),
            }
        }
        if m.ok:
            r = _apply(
                bus,
                tr.row.key,
                item["gate"],
                True,
                revision=rev,
                data=data,
                reason=f"merged by org's pipeline: {m.reason}",
                facts=[("outcome.merged", {**data["merge"], **facts})],
            )
        else:
            kind = "outcome.merge_conflict" if m.conflicts else "outcome.tests_failed"
            r = _apply(
                bus,
                tr.row.key,
                item["gate"],
                False,
                revision=rev,
                data=data,
                rules=[rule_ids.MERGE_CONFLICT if m.conflicts else rule_ids.MERGE_FAILED],
                reason=f"org's pipeline could not merge: {m.reason}",
                facts=[(kind, data["merge"])],
            )
        out.append({**item, "ok": m.ok, "merged": m.merged, "conflicts": list(m.conflicts), **r})
    return out
