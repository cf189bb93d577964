"""What a human (or any submitter) who commits in the workspace with their own `git commit` must not get
around, and a dead job's take-over (ADR 0230): a revision's commit always carries org's trailers for the one
who submits it (author, Org-Task, Org-Gate, Org-Actor), whatever the commits under it say (another author,
forged trailers); a job whose agent died (failed, or its lease ran out) is taken over with its attempts kept."""

from __future__ import annotations

import pytest

from tests.workspaces.gitrepo import sh_git
from tests.workspaces.test_takeover import _events, _ok, _org, started  # noqa: F401


def _trailers(path, rev):
    body = sh_git(path, "log", "-1", "--format=%B", rev)
    return {
        k: v.strip() for k, _, v in (ln.partition(":") for ln in body.splitlines() if ln.startswith("Org-"))
    }


def _take(root, task):
    return _ok(
        _org(root, "workspace", "open", task, "--as", "carol", "--take", "--note", "by hand", "--json")
    )


@pytest.mark.slow
def test_a_humans_own_commits_are_sealed_with_orgs_trailers(started):  # noqa: F811
    root, task, job, _agent_token, path = started
    held = _take(root, task)["taken_over"]
    (path / "src" / "fix.py").write_text("FIXED = True\n")
    sh_git(path, "add", "-A")
    # her own identity, and a forged one: another author and trailers naming the agent
    sh_git(path, "commit", "-q", "--author", "Carol At Home <carol@home.invalid>", "-m", "fix it")
    (path / "src" / "more.py").write_text("MORE = 1\n")
    sh_git(path, "add", "-A")
    sh_git(
        path,
        "commit",
        "-q",
        "--author",
        "build-gpt <build-gpt@org.invalid>",
        "-m",
        f"more\n\nOrg-Task: {task}\nOrg-Gate: spec\nOrg-Actor: build-gpt",
    )
    own_head = sh_git(path, "rev-parse", "HEAD")
    s = _ok(_org(root, "submit", str(job), "--verdict", "pass", "--json", token=held["job_token"]))
    rev = s["revision"]
    assert rev != own_head  # org's commit on top of hers, with the same tree
    assert sh_git(path, "rev-parse", f"{rev}^{{tree}}") == sh_git(path, "rev-parse", f"{own_head}^{{tree}}")
    assert sh_git(path, "rev-parse", f"{rev}^") == own_head  # her commits stay as she made them
    assert sh_git(path, "log", "-1", "--format=%an", rev) == "carol"
    assert _trailers(path, rev) == {"Org-Task": task, "Org-Gate": "spec", "Org-Actor": "carol"}
    assert sh_git(path, "rev-parse", "HEAD") == rev  # the workspace's branch is the revision
    files = sh_git(path, "diff", "--name-only", f"{rev}~3", rev).split()
    assert {"src/fix.py", "src/more.py"} <= set(files)
    committed = [e for e in _events(root, task) if e["type"] == "revision.committed"]
    assert committed[-1]["actor"] == "carol" and committed[-1]["data"]["commit"] == rev


@pytest.mark.slow
def test_a_commit_named_with_commit_is_sealed_too(started):  # noqa: F811
    root, task, job, _agent_token, path = started
    held = _take(root, task)["taken_over"]
    (path / "src" / "fix.py").write_text("FIXED = True\n")
    sh_git(path, "add", "-A")
    sh_git(path, "commit", "-q", "-m", "fix it")
    mine = sh_git(path, "rev-parse", "HEAD")
    s = _ok(
        _org(
            root, "submit", str(job), "--verdict", "pass", "--commit", mine, "--json", token=held["job_token"]
        )
    )
    rev = s["revision"]
    assert sh_git(path, "rev-parse", f"{rev}^") == mine
    assert sh_git(path, "log", "-1", "--format=%an", rev) == "carol"
    assert _trailers(path, rev)["Org-Actor"] == "carol"


@pytest.mark.slow
def test_nothing_new_is_not_sealed_again(started):  # noqa: F811
    """A submission of the head org accepted last (nothing committed or changed since) is not a new commit."""
    root, task, job, _agent_token, path = started
    held = _take(root, task)["taken_over"]
    (path / "src" / "fix.py").write_text("FIXED = True\n")
    rev = _ok(_org(root, "submit", str(job), "--verdict", "pass", "--json", token=held["job_token"]))[
        "revision"
    ]
    assert _trailers(path, rev)["Org-Actor"] == "carol"
    assert sh_git(path, "rev-parse", f"{rev}^{{tree}}") != sh_git(path, "rev-parse", f"{rev}^^{{tree}}")


def _fail_agent(root, job, token):
    r = _org(root, "job", "fail", str(job), "--note", "the agent process died", "--json", token=token)
    assert r.returncode == 0, (r.stdout, r.stderr[-400:])


def _escalation_rows(root, task):
    from org.bus import Bus

    with Bus.open(root=root) as b:
        return b.store.read(
            lambda tx: tx.x(
                "SELECT status, decided_by FROM approvals WHERE task = :k AND kind = 'escalation' ORDER BY id",
                {"k": task},
            ).all()
        )


@pytest.mark.slow
def test_a_dead_job_is_not_taken_over_by_someone_who_may_not_approve(started):  # noqa: F811
    """Taking over a dead job answers the escalation it raised, so it takes what approving that escalation
    takes (ADR 0230): carol (maintainer, may_not approve) is refused, nothing changes, and she is told to have
    an approver resume it first; once alice has (decided_by recorded), carol takes the work over."""
    root, task, job, agent_token, path = started
    _fail_agent(root, job, agent_token)
    from org.bus import Bus

    with Bus.open(root=root) as b:
        view = b.task(task)
    assert view["status"] == "escalated" and [j["status"] for j in view["jobs"] if j["job"] == job] == [
        "dead"
    ]
    r = _org(root, "workspace", "open", task, "--as", "carol", "--take", "--note", "by hand", "--json")
    assert r.returncode == 4 and "Traceback" not in r.stderr, (r.stdout, r.stderr[-400:])
    assert "approve" in r.stdout + r.stderr and f"org approve {task}" in r.stdout + r.stderr
    with Bus.open(root=root) as b:
        view = b.task(task)
    assert view["status"] == "escalated"
    assert [j["status"] for j in view["jobs"] if j["job"] == job] == ["dead"]
    assert _escalation_rows(root, task) == [("pending", None)]
    assert not [e for e in _events(root, task) if e["type"] in ("task.resumed", "job.taken_over")]
    # `org approve` refuses her the same way (the two doors agree)
    assert _org(root, "approve", task, "--as", "carol", "--note", "go", "--json").returncode == 4
    _ok(_org(root, "approve", task, "--as", "alice", "--note", "carol takes it", "--json"))
    assert _escalation_rows(root, task) == [("granted", "alice")]
    held = _take(root, task)["taken_over"]
    (path / "src" / "fix.py").write_text("FIXED = True\n")
    s = _ok(_org(root, "submit", str(held["job"]), "--verdict", "pass", "--json", token=held["job_token"]))
    assert _trailers(path, s["revision"])["Org-Actor"] == "carol"
    types = [(e["type"], e["actor"]) for e in _events(root, task)]
    assert ("job.failed", "build-gpt") in types and ("task.resumed", "alice") in types
    assert ("task.resumed", "carol") not in types and ("work.submitted", "carol") in types
    with Bus.open(root=root) as b:
        v = b.audit_verify()
    assert v.ok, v.problem


@pytest.mark.slow
def test_a_task_escalated_for_another_reason_is_not_resumed_by_a_take_over(started):  # noqa: F811
    """Taking over a dead job answers the escalation that job raised, nothing else: a task escalated for its
    budget or its rework limit waits for its approvers (a maintainer may not resume it by taking a job)."""
    root, task, job, agent_token, _path = started
    _fail_agent(root, job, agent_token)
    from org.bus import Bus

    with Bus.open(root=root) as b:  # an approver resumes it, then it is escalated again for its budget
        pend = [p for p in b.pending_approvals() if p.get("task") == task]
    assert pend
    _ok(_org(root, "approve", task, "--as", "alice", "--note", "go on", "--json"))
    with Bus.open(root=root) as b:
        from org.bus.driver import apply
        from org.engine.state import Event

        def escalate(tx):
            row = b.ctx.task_row(tx, task, lock=True)
            pcfg = b.ctx.pinned(tx, row.config_hash)
            st = b.ctx.state(tx, row)
            apply(
                b.ctx,
                tx,
                pcfg,
                row,
                st,
                [Event("task.escalated", task, {"kind": "budget", "reason": "over"})],
            )

        b.ctx.write(escalate)
        status = b.task(task)["status"]
    assert status == "escalated"
    r = _org(root, "workspace", "open", task, "--as", "carol", "--take", "--json")
    assert r.returncode in (3, 5) and "Traceback" not in r.stderr, (r.stdout, r.stderr[-300:])
    with Bus.open(root=root) as b:
        assert b.task(task)["status"] == "escalated"


@pytest.mark.slow
def test_a_job_whose_lease_ran_out_is_taken_over(started):  # noqa: F811
    """The agent's process died holding the lease: before or after the sweep, the human takes it over and the
    dead agent's token no longer works."""
    root, task, job, agent_token, _path = started
    from org.bus import Bus

    with Bus.open(root=root) as b:  # the lease ends now (as if its time ran out): the sweep requeues it
        b.ctx.write(
            lambda tx: tx.x("UPDATE jobs SET lease_expires = :t WHERE id = :j", {"t": tx.now - 1, "j": job})
        )
    held = _take(root, task)["taken_over"]
    assert held["job"] == job and held["attempt"] == 2
    assert _org(root, "heartbeat", str(job), "--json", token=agent_token).returncode == 5


@pytest.mark.slow
def test_a_job_the_sweep_parked_as_dead_is_taken_over(started):  # noqa: F811
    """The agent's process died and its last lease ran out: the sweep parks the job as dead and escalates the
    task (dead_job); a maintainer who may not approve is refused until an approver resumes it, then takes the
    work over."""
    root, task, job, agent_token, _path = started
    from org.bus import Bus

    with Bus.open(root=root) as b:  # its last attempt's lease ends now (as if its time ran out)
        b.ctx.write(
            lambda tx: tx.x(
                "UPDATE jobs SET lease_expires = :t, max_attempts = attempts WHERE id = :j",
                {"t": tx.now - 1, "j": job},
            )
        )
        assert b.sweep()["dead"] == [job]
        assert b.task(task)["status"] == "escalated"
    r = _org(root, "workspace", "open", task, "--as", "carol", "--take", "--json")
    assert r.returncode == 4 and f"org approve {task}" in r.stdout + r.stderr, (r.stdout, r.stderr[-300:])
    assert _escalation_rows(root, task) == [("pending", None)]
    _ok(_org(root, "approve", task, "--as", "alice", "--note", "go on", "--json"))
    held = _take(root, task)["taken_over"]
    with Bus.open(root=root) as b:
        view = b.task(task)
        v = b.audit_verify()
    assert view["status"] == "active" and "leased" in [
        j["status"] for j in view["jobs"] if j["kind"] == "work"
    ]
    assert held["job"] in [j["job"] for j in view["jobs"] if j["status"] == "leased"]
    assert v.ok, v.problem
    assert _org(root, "heartbeat", str(job), "--json", token=agent_token).returncode == 5
