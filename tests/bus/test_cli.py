"""The bus through the real `org` entry point: exit codes, --json, approvals, pauses, act, audit, wake-ups."""

from __future__ import annotations

import json
import os
import queue
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from org.bus import Bus
from tests.bus.bushelpers import GITHUB, carrying_out, drive
from tests.helpers import REPO, run_org


def org(root, *args, token=None):
    r = run_org("--json", *args, root=root, env={"ORG_TOKEN": token} if token else None)
    doc = json.loads(r.stdout) if r.stdout.strip() else None
    assert "Traceback" not in r.stderr, r.stderr
    return r.returncode, doc, r.stderr


@pytest.mark.slow
def test_work_and_human_approval_through_the_cli(root, tokens):
    code, t, _ = org(
        root,
        "task",
        "add",
        "Ship login fix",
        "--workflow",
        "change",
        "--as",
        "alice",
        "--set",
        "environment=production",
        "--idempotency-key",
        "k1",
    )
    assert code == 0 and t["tier"] == "high" and t["created"]
    task = t["task"]
    code, c, _ = org(
        root,
        "claim",
        "--lane",
        "builder",
        "--as",
        "build-claude",
        "--lease",
        "0.1",
        token=tokens["build-claude"],
    )
    assert code == 0 and c["gate"] == "spec" and c["token"]
    code, out, err = org(root, "submit", str(c["job"]), "--token", "0-stale", "--verdict", "pass")
    assert code == 4 and out["error"] == "denied" and err == "org: authentication failed\n"
    time.sleep(0.2)
    with Bus.open(root=root) as bus:  # the lease expires and the job moves on to another claim
        from org.identity.guard import Guard

        bus.sweep()
        c2, jt2 = Guard(bus).claim(tokens["build-claude"], "builder", "build-claude", lease_seconds=60)
    code, out, err = org(root, "submit", str(c["job"]), "--token", c["token"], "--verdict", "pass")
    assert code == 5 and out["error"] == "conflict" and "stale token" in err
    code, out, _ = org(
        root, "submit", str(c2.job), "--token", jt2, "--verdict", "pass", "--note", "spec done"
    )
    assert code == 0 and out["ready"] == ["implement"]
    with Bus.open(root=root) as bus:
        drive(bus, task, workers={"approver": None}, max_steps=5)
        assert bus.task(task)["state"]["gates"]["approval"]["status"] == "ready"
    code, out, err = org(root, "approve", task, "--as", "rev-gpt", token=tokens["rev-gpt"])
    assert code == 4 and "agent" in err
    code, out, _ = org(root, "inbox", "--as", "bob")
    assert code == 0 and [p["subject"] for p in out["pending"]] == ["approval"]
    code, out, _ = org(root, "approve", task, "--as", "bob", "--note", "looks right")
    assert code == 0 and out["task_status"] == "done"
    code, shown, _ = org(root, "task", "show", task, "--as", "bob")
    assert code == 0 and shown["status"] == "done"
    types = [e["type"] for e in shown["timeline"]]
    assert types[0] == "task.created" and types[-1] == "task.done" and "approval.granted" in types
    created = shown["timeline"][0]
    assert created["sources"]["tier"] == ["gates/risk.yaml:28"] and created["rules"] == ["RISK-PRODUCTION"]
    r = run_org("task", "show", task, "--as", "alice", root=root)
    assert "rule RISK-PRODUCTION at gates/risk.yaml" in r.stdout and "bob" in r.stdout


def test_act_needs_approval_then_allowed_and_red_denied(root, tokens):
    from org.identity.guard import Guard

    with Bus.open(root=root) as bus:
        t = bus.add_task(
            "Rotate",
            "ops",
            attributes={"environment": "staging", "irreversible": False},
        )["task"]
        c, jt = carrying_out(
            Guard(bus), tokens, t, "credential.use", attrs=GITHUB
        )  # agents act with a job token
    assert c.task == t
    code, out, _ = org(root, "act", "credential.use", "--as", "ops-claude", "--task", t, token=jt)
    assert code == 6 and out["decision"]["outcome"] == "needs_approval" and out["approval_created"]
    code, ok, _ = org(
        root, "approve", t, "--as", "alice", "--action", "credential.use", "--note", "rotation window"
    )
    assert code == 0
    code, out, _ = org(root, "act", "credential.use", "--as", "ops-claude", "--task", t, token=jt)
    assert code == 0 and out["decision"]["approved_by"] == "alice"
    with Bus.open(root=root) as bus:
        g = Guard(bus)
        t2 = bus.add_task(
            "Reuse", "ops", attributes={"credential": "jira", "service": "github", "environment": "staging"}
        )["task"]
        c, jt = g.claim(tokens["ops-gpt"], "operator", "ops-gpt")
        assert c.task == t2
        g.submit(jt, c.job, "pass", note="plan")
        c, sjt = g.claim(tokens["sec-gemini"], "security", "sec-gemini")
        assert c.task == t2
    code, out, _ = org(root, "act", "credential.use", "--as", "sec-gemini", "--task", t2, token=sjt)
    assert code == 4 and [r["id"] for r in out["decision"]["rules"]] == ["RED-CREDENTIAL-REUSE"]
    with Bus.open(root=root) as bus:
        decided = [e for e in bus.events_since(0, types=("action.decided",))]
    assert [e["decision"] for e in decided] == ["needs_approval", "allow", "deny"]
    assert decided[-1]["rules"] == ["RED-CREDENTIAL-REUSE"] and decided[-1]["config_hash"]


@pytest.mark.slow
def test_pause_resume_and_nothing_to_claim(root, tokens):
    code, _, _ = org(root, "claim", "--lane", "builder", "--as", "build-claude", token=tokens["build-claude"])
    assert code == 3
    with Bus.open(root=root) as bus:
        bus.add_task("x", "change")
    code, out, _ = org(root, "pause", "--lane", "builder", "--note", "runaway loop", "--as", "bob")
    assert code == 0 and out["changed"]
    code, out, err = org(root, "claim", "--lane", "builder", "--as", "build-gpt", token=tokens["build-gpt"])
    assert code == 7 and "runaway loop" in err
    code, out, _ = org(root, "resume", "--lane", "builder", "--as", "alice")
    assert code == 0 and out["changed"]
    code, c, _ = org(root, "claim", "--lane", "builder", "--as", "build-gpt", token=tokens["build-gpt"])
    assert code == 0
    code, hb, _ = org(root, "heartbeat", str(c["job"]), "--token", c["token"], "--lease", "600")
    assert code == 0 and hb["lease_expires"] > c["lease_expires"]


@pytest.mark.slow
def test_audit_verify_exit_8_names_the_broken_link(root, tokens):
    with Bus.open(root=root) as bus:
        drive(bus, bus.add_task("x", "change")["task"])
    code, rep, _ = org(root, "audit", "verify", "--as", "alice")
    assert code == 0 and rep["ok"] and rep["events"] > 10
    head = f"{rep['head']['seq']}:{rep['head']['hash']}"
    code, rep2, _ = org(root, "audit", "verify", "--as", "alice", "--anchor", head)
    assert code == 0 and rep2["anchors_checked"] == [rep["head"]["seq"]]
    with sqlite3.connect(root / ".org" / "org.db") as c:
        c.execute(
            "UPDATE events SET body = CAST(replace(CAST(body AS TEXT), 'rev-gpt', 'rev-xxx') AS BLOB) "
            "WHERE seq = (SELECT min(seq) FROM events WHERE type = 'review.filed')"
        )
        bad = c.execute("SELECT min(seq) FROM events WHERE type = 'review.filed'").fetchone()[0]
    code, out, err = org(root, "audit", "verify", "--as", "alice")
    assert code == 8 and out["error"] == "integrity" and out["detail"]["broken"]["seq"] == bad
    assert f"broken at event {bad}" in err


# `org` with the claim's own re-check (which finds work no commit announced, a lease expiring) an hour apart: only
# the wake-up can hand a waiting claim a job posted after it looked
_NO_RECHECK = (
    "import sys; from org.bus.api import Bus; Bus.RECHECK_S = 3600.0; from org.cli import main; main()"
)


def _stderr_lines(p: subprocess.Popen) -> tuple[queue.Queue, threading.Thread]:
    """The child's stderr, line by line ('' at its end), read on a thread so the test can give up waiting; the
    thread (join it before closing the pipe)."""
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        for line in p.stderr:
            lines.put(line)
        lines.put("")

    pumping = threading.Thread(target=pump, daemon=True)
    pumping.start()
    return lines, pumping


def test_claim_wait_is_woken_by_a_handoff(root, tokens):
    """`org claim --wait` in its own process says on stderr (one line; stdout stays the one JSON document) that it
    waits, once it looked and found nothing with its waiter listening; a task posted after that line wakes it.
    Its own re-check and its wait are an hour long, so without the wake-up it would still be waiting when the
    test gives up."""
    Bus.open(root=root).close()  # create the database first
    env = {**os.environ, "ORG_ROOT": str(root), "ORG_TOKEN": tokens["build-claude"]}
    argv = ["--json", "claim", "--lane", "builder", "--as", "build-claude", "--wait", "3600"]
    p = subprocess.Popen(
        [sys.executable, "-c", _NO_RECHECK, *argv],
        cwd=str(REPO),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    pumping = None
    try:
        lines, pumping = _stderr_lines(p)
        said: list[str] = []
        while not said or not (said[-1] == "" or "waiting" in said[-1]):
            said.append(lines.get(timeout=120))
        assert said[-1].startswith("org: waiting up to 3600 s for a job in lane builder"), said
        with Bus.open(root=root) as bus:
            bus.add_task("wake up", "change", attributes={"kind": "docs"})
        code = p.wait(timeout=120)  # woken, it claims and answers at once (its answer fits the pipe)
        out = p.stdout.read()
        assert code == 0, said + list(lines.queue)
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()
        if pumping is not None:
            pumping.join(timeout=60)  # the child's stderr read to its end before its pipe is closed
        p.stdout.close()  # not left to the garbage collector (an unclosed pipe fails whichever test it meets)
        p.stderr.close()
    assert json.loads(out)["gate"] == "implement"
    rest = list(lines.queue)  # (read to the end: the pump was joined)
    assert not any("waiting" in x for x in rest), rest  # said once (other lines, e.g. a warning, may be)
    assert not any("Traceback" in x for x in said + rest), said + rest


@pytest.mark.parametrize("wait", ["1", None])
def test_with_its_stderr_closed_org_json_writes_only_the_json_document(root, tokens, wait):
    """Hostile harness: `org --json` run with its stderr closed (fd 2 shut, so Python's sys.stderr is None). What
    org says on stderr (the claim's waiting line, a "nothing to claim" message) is dropped then, never written into
    stdout, which stays exactly one JSON document."""
    Bus.open(root=root).close()
    env = {**os.environ, "ORG_ROOT": str(root), "ORG_TOKEN": tokens["build-claude"]}
    argv = [
        "--json",
        "claim",
        "--lane",
        "builder",
        "--as",
        "build-claude",
        *(["--wait", wait] if wait else []),
    ]
    r = subprocess.run(
        [sys.executable, "-m", "org", *argv],
        cwd=str(REPO),
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        timeout=120,
        preexec_fn=lambda: os.close(2),
    )
    assert r.returncode == 3
    doc = json.loads(r.stdout)  # one document, nothing before or after it
    assert doc["error"]


@pytest.mark.parametrize("dialect,verdict", [("sqlite", "approve"), ("postgresql", "reject")])
def test_act_wait_is_woken_by_the_humans_decision(request, root, dialect, verdict):
    """`org act --wait` in its own process: needs approval, sleeps on its lane, wakes when a human decides
    (within a second, not at the 5 s re-check or the 30 s timeout) and asks decide() again."""
    from org.identity.bootstrap import agent_tokens
    from org.identity.guard import Guard

    url = (
        f"sqlite:///{root / '.org' / 'org.db'}" if dialect == "sqlite" else request.getfixturevalue("pg_url")
    )
    with Bus.open(url, root=root) as bus:
        toks = agent_tokens(bus)
        t = bus.add_task(
            "Rotate",
            "ops",
            attributes={"environment": "staging", "irreversible": False},
        )["task"]
        _c, jt = carrying_out(Guard(bus), toks, t, "credential.use", attrs=GITHUB)
    env = {**os.environ, "ORG_ROOT": str(root), "ORG_DATABASE_URL": url, "ORG_TOKEN": jt}
    with subprocess.Popen(
        [
            sys.executable,
            "-m",
            "org",
            "--json",
            "act",
            "credential.use",
            "--as",
            "ops-claude",
            "--task",
            t,
            "--wait",
            "120",
        ],
        cwd=str(REPO),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as p:
        # its pipes closed and the child ended whatever happens (a live child or a pipe left to the garbage
        # collector fails whichever test is running when it comes)
        try:
            with Bus.open(url, root=root) as bus:
                # a bound against hanging: a loaded machine starts the process slowly
                end = time.monotonic() + 150
                while not bus.pending_approvals(task=t) and time.monotonic() < end:
                    time.sleep(0.05)
                time.sleep(0.5)  # it asked, and now sleeps on the operator lane
                assert p.poll() is None
                if verdict == "approve":
                    bus.approve(t, "alice", action="credential.use", note="rotation window")
                else:
                    bus.reject(t, "alice", action="credential.use", note="not during the freeze")
                settled = time.monotonic()
            out, err = p.communicate(timeout=150)
        finally:
            if p.poll() is None:
                p.kill()
    latency = time.monotonic() - settled
    doc = json.loads(out)
    assert "Traceback" not in err
    if verdict == "approve":
        assert p.returncode == 0 and doc["decision"]["approved_by"] == "alice"
    else:
        assert (
            p.returncode == 4 and [r["id"] for r in doc["decision"]["rules"]][-1] == "ORG-REJECTED-BY-HUMAN"
        )
    assert latency < 60, latency  # woken by the decision, not by the 120 s timeout
