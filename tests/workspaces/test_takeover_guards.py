"""What a take-over (ADR 0177) must not get around (review 2): a pause holds it as it holds a claim (exit 7,
the agent keeps its lease); a workspace that cannot be made leaves nobody holding a job token they never saw;
a --shell that cannot start is a usage error (exit 2), refused before anything changes."""

from __future__ import annotations

from unittest import mock

import pytest

from tests.workspaces.test_takeover import _events, _ok, _org, started  # noqa: F401


@pytest.mark.parametrize(
    "scope",
    [["--task", None], ["--all"], ["--actor", "carol"], ["--lane", "builder"], ["--lane", "maintainer"]],
)
def test_a_pause_holds_a_take_over_and_the_agent_keeps_its_lease(started, scope):  # noqa: F811
    root, task, job, agent_token, _path = started
    args = [a if a is not None else task for a in scope]
    _ok(_org(root, "pause", *args, "--note", "freeze", "--as", "alice", "--json"))
    before = len(_events(root, task))
    r = _org(root, "workspace", "open", task, "--as", "carol", "--take", "--json")
    assert r.returncode == 7 and "Traceback" not in r.stderr, (scope, r.stdout, r.stderr[-300:])
    assert [e["type"] for e in _events(root, task)[before:]] == []  # nothing released, nothing claimed
    _ok(_org(root, "resume", *args, "--as", "alice", "--json"))
    hb = _org(root, "heartbeat", str(job), "--json", token=agent_token)
    assert hb.returncode == 0, (scope, hb.stdout, hb.stderr[-300:])  # still the agent's


def test_a_workspace_that_cannot_be_made_takes_nothing_over(started):  # noqa: F811
    root, task, job, agent_token, _path = started
    import org.workspaces.service as svc
    from org.errors import Conflict

    def boom(*a, **k):
        raise Conflict("workspace cannot be made (simulated git failure)")

    with mock.patch.object(svc, "open_workspace", boom):
        r = _org(root, "workspace", "open", task, "--as", "carol", "--take", "--json")
    assert r.returncode == 5 and "Traceback" not in r.stderr
    assert _org(root, "heartbeat", str(job), "--json", token=agent_token).returncode == 0  # still the agent's
    out = _ok(_org(root, "workspace", "open", task, "--as", "carol", "--take", "--json"))
    assert out["taken_over"]["job"] == job and out["taken_over"]["job_token"]


def test_a_shell_that_cannot_start_is_a_usage_error_before_anything_changes(started, monkeypatch):  # noqa: F811
    root, task, job, agent_token, _path = started
    monkeypatch.setenv("SHELL", "/nonexistent/shell")
    before = len(_events(root, task))
    r = _org(root, "workspace", "open", task, "--as", "carol", "--take", "--shell")
    assert r.returncode == 2 and "Traceback" not in r.stderr and "/nonexistent/shell" in r.stderr, r.stderr[
        -400:
    ]
    assert len(_events(root, task)) == before
    assert _org(root, "heartbeat", str(job), "--json", token=agent_token).returncode == 0
