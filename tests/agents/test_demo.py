"""`org demo` through the real entry point; its story asserted from the event log, not the printed text.

The module's fixture runs the README's main job through the real `org` with canary secrets for every
credential in the user's environment: `org demo`, `org approve` of what waits for a human, `org run` to
execute it; every prompt the (loopback, recording) model server receives is kept. The issue's "done when"
is checked on that run: approvals only by humans' tokens, every agent action under its job token, the Jira
task carried out by the broker with the canary secret (the demo's stand-in Jira answers 201 only to the
secret in the user's environment), and no canary in prompts, database files, outputs or anything the org
wrote."""

from __future__ import annotations

import io
import json
import os
import re
import sqlite3
import time
from pathlib import Path

import pytest

from org.agents.demo import run_demo
from org.bus import Bus
from org.config.loader import load_org
from tests.helpers import run_org, starter_org
from tests.workspaces.gitrepo import sh_git

CANARY = "canary-J1ra-7c0ffee-secret"
CANARIES = {
    "ORG_SECRET_JIRA": CANARY,
    "ORG_SECRET_GITHUB": CANARY + "-gh",
    "ORG_SECRET_DEPLOY": "canary-d3pl0y-" + "5" * 12,
    "ORG_SECRET_PROD_DB": "canary-pr0d-db-" + "6" * 12,
}


def _recording_model():
    """The demo's local model as its own loopback server, keeping every request body it receives."""
    from org.agents.demo import DEMO_DEFECT_RATE, DEMO_DEFECTS, DEMO_LATENCY_S, DEMO_SEED
    from org.agents.localmodel import LocalModelConfig, LocalModelServer

    class Recording(LocalModelServer):
        def __init__(self) -> None:
            super().__init__(
                LocalModelConfig(
                    seed=DEMO_SEED,
                    defect_rate=DEMO_DEFECT_RATE,
                    latency_s=DEMO_LATENCY_S,
                    defects=DEMO_DEFECTS,
                )
            )
            self.bodies: list[str] = []

        def handle_chat(self, body: dict):
            self.bodies.append(json.dumps(body))
            return super().handle_chat(body)

    return Recording().start()


def _copy_db(root: Path, dest: Path) -> Path:
    with sqlite3.connect(root / ".org" / "org.db") as src, sqlite3.connect(dest) as dst:
        src.backup(dst)
    return dest


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The README's first command in a fresh copy of the default org (canary secrets in the environment), its
    database kept as the demo left it, then the rest of the main job: approvals and `org run`."""
    root = tmp_path_factory.mktemp("demo-org")
    home = tmp_path_factory.mktemp(
        "demo-config-home"
    )  # module scope: set it here, before any autouse fixture
    starter_org(root)  # the org `org init` makes, not the project's own adrs/
    model = _recording_model()
    env = {
        **CANARIES,
        "ORG_MODELS": "auto",
        "OPENAI_API_KEY": "",
        "ANTHROPIC_API_KEY": "",
        "GEMINI_API_KEY": "",
        "GOOGLE_API_KEY": "",
        "ORG_LOCAL_MODEL_URL": model.url,
        "ORG_DATABASE_URL": "",
        "ORG_CONFIG_HOME": str(home),
        "ORG_TOKEN": "",
    }
    try:
        t0 = time.monotonic()
        first = run_org(
            "demo", "--json", root=root, env=env, timeout=300
        )  # a hang, not a slow machine (ADR 0150)
        wall = time.monotonic() - t0
        assert first.returncode == 0, first.stderr[-3000:]
        # the database as the demo left it (what its story is read from), before anyone approves
        told = _copy_db(root, tmp_path_factory.mktemp("demo-told") / "org.db")
        # the rest of the main job: a human approves what waits, `org run` carries it out
        job = [first]
        for t in json.loads(first.stdout)["awaiting_approval"]:
            job.append(
                run_org("--json", "approve", t, "--as", "bob", "--note", "looks right", root=root, env=env)
            )
            assert job[-1].returncode == 0, job[-1].stderr
        job.append(run_org("--json", "run", root=root, env=env, timeout=300))
        if (
            job[-1].returncode != 0 or json.loads(job[-1].stdout)["tasks_done"] != 2
        ):  # say why: the run and the log
            tail = [
                f"{e['type']} {e.get('task') or ''} {e.get('actor') or ''} {json.dumps(e.get('data'))[:300]}"
                for e in _events(root)[-60:]
            ]
            pytest.fail(
                f"org run: {job[-1].stdout[-4000:]}\n{job[-1].stderr[-3000:]}\nlast events:\n"
                + "\n".join(tail)
            )
    finally:
        model.stop()
    # the main job's database as `org run` left it (a rerun of the demo moves the org's own aside)
    main_job = _copy_db(root, tmp_path_factory.mktemp("demo-main-job") / "org.db")
    # the sample repository as the README's `git log` shows it
    log = sh_git(root / ".org" / "demo" / "service", "log", "--format=%H%x00%P%x00%B%x01", "main")
    return (
        root,
        first,
        wall,
        {
            "db": main_job,
            "told": told,
            "outputs": job,
            "prompts": model.bodies,
            "home": home,
            "log": log,
            "env": env,
        },
    )


@pytest.fixture(scope="module")
def rerun(demo):
    """`org demo` again on the same org, in-process: it must start afresh (the main job's database moved aside)
    and tell the same story. Only the slow tests ask for it (a second demo is ~a third of this module's time)."""
    root, _, _, job = demo
    model = _recording_model()
    env = {**job["env"], "ORG_LOCAL_MODEL_URL": model.url}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    told = io.StringIO()
    try:
        again = run_demo(load_org(root), f"sqlite:///{root / '.org' / 'org.db'}", out=told)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        model.stop()
    return again, told.getvalue(), model.bodies


def _events(root: Path, db: Path | None = None) -> list[dict]:
    cfg = load_org(root)
    with Bus.open(f"sqlite:///{db}" if db else None, root=root, config=cfg) as bus:
        return bus.events_since(0, limit=100_000)


def test_demo_runs_and_reports(demo):
    root, first, _, _ = demo  # (how long it takes is bench_agents' business, not a test's)
    out = json.loads(first.stdout)
    assert len(out["done"]) == 3 and len(out["awaiting_approval"]) == 2 and out["blocked"] == []
    assert out["cost_usd"] > 0 and out["unpriced_calls"] == 0
    assert out["cost_per_success_usd"] == pytest.approx(out["cost_usd"] / 3, rel=1e-3)
    # the code change and the docs edit merged by org's pipeline in the demo itself; cost per merged change
    assert [m["task"] for m in out["merged"]] == ["T-1", "T-2"]
    assert out["cost_per_merged_change_usd"] == pytest.approx(out["cost_usd"] / 2, rel=1e-3)
    assert out["repository"] == str(root / ".org" / "demo" / "service")
    assert "RED-CREDENTIAL-REUSE" in first.stderr  # with --json the live story goes to stderr
    assert "go through the broker to a stand-in jira on http://127.0.0.1:" in first.stderr
    assert "ORG_SECRET_JIRA: yours, from the environment" in first.stderr  # the canary: the user set it


@pytest.mark.slow
def test_rerun_starts_afresh_and_says_where_the_old_database_went(demo, rerun):
    root, _, _, job = demo
    again, _, prompts = rerun
    moved = Path(again.moved_to)
    assert moved.exists() and moved.parent == root / ".org" and moved.name.startswith("org-before-demo-")
    assert len(again.summary()["done"]) == 3
    cfg = load_org(root)
    with Bus.open(None, root=root, config=cfg) as bus:
        assert len(bus.list_tasks()) == 5  # not ten: nothing mixed with the earlier run
        assert bus.audit_verify().ok
        by_model = bus.spend("model")  # the rerun's calls, all in its own ledger
        assert sum(r["calls"] for r in by_model) == again.report.calls
    with Bus.open(f"sqlite:///{moved}", root=root, config=cfg) as old:
        assert len(old.list_tasks()) == 5  # and the earlier run is kept, not overwritten
    # no canary in the rerun's prompts or anything it wrote, the moved-aside database included
    blobs = [("prompt", b.encode()) for b in prompts]
    blobs += [(str(f), f.read_bytes()) for f in (root / ".org").iterdir() if f.is_file()]
    assert any(f.startswith(str(moved)) for f, _ in blobs)
    for where, data in blobs:
        for c in CANARIES.values():
            assert c.encode() not in data, f"{c} in {where}"


def _by_task(evs: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for e in evs:
        if e.get("task"):
            out.setdefault(e["task"], []).append(e)
    return out


def _task(tasks: dict, title_part: str) -> list[dict]:
    for evs in tasks.values():
        created = next(e for e in evs if e["type"] == "task.created")
        if title_part in created["data"]["title"]:
            return evs
    raise AssertionError(f"no task like {title_part}")


def test_story_from_the_event_log(demo):
    root, _, _, job = demo
    evs = _events(root, job["told"])
    tasks = _by_task(evs)
    assert len(tasks) == 5
    tiers = sorted(next(e for e in t if e["type"] == "task.created")["data"]["tier"] for t in tasks.values())
    assert tiers == ["high", "low", "low", "medium", "medium"]  # the deploy is raised to high by its paths

    # cross-vendor reviews: every counting review comes from a family other than the authors' so far
    for t in tasks.values():
        authors: set[str] = set()
        for e in t:
            if e["type"] == "work.submitted":
                authors.add(e["data"]["family"])
            if e["type"] == "review.filed" and e["data"]["counts"]:
                assert e["data"]["family"] not in authors, e

    # the code change: its off-by-one fails the repository's own tests at the tests gate, its TLS switched off
    # is sent back by security with the file and line, the third attempt passes and is merged
    code = _task(tasks, "retry with backoff")
    types = [e["type"] for e in code]
    failed = [e for e in code if e["type"] == "gate.failed"]
    assert failed[0]["data"]["gate"] == "tests" and failed[0]["rules"] == ["ORG-TESTS-FAILED"]
    assert "test_transient_failures_are_retried" in failed[0]["data"]["tests"]["tail"]
    sent_back = next(e for e in code if e["type"] == "review.filed" and e["data"]["verdict"] == "changes")
    assert sent_back["gate"] == "security" and "verify=False" in sent_back["data"]["findings"][0]["text"]
    assert sent_back["data"]["findings"][0]["file"] == "webhooks/sender.py"
    assert types.count("rework.started") == 2 and "task.done" in types
    done = next(e for e in code if e["type"] == "task.done")
    assert done["data"]["revision"] != sent_back["data"]["revision"] and done["data"]["merge"]["commit"]
    docs = _task(tasks, "Document the webhook")
    broken = next(e for e in docs if e["type"] == "review.filed" and e["data"]["verdict"] == "changes")
    assert broken["gate"] == "correctness" and "broken link" in broken["data"]["findings"][0]["text"]

    # the light path of the dev rebuild: no review, no approval, executed, done
    dev = _task(tasks, "dev environment")
    skipped = {e["data"]["gate"] for e in dev if e["type"] == "gate.skipped"}
    assert {"review", "approval"} <= skipped
    assert "task.done" in [e["type"] for e in dev] and not [
        e for e in dev if e["type"] == "approval.requested"
    ]
    assert any(e["type"] == "action.decided" and e["decision"] == "allow" for e in dev)

    # the security agent's overreach denied by the same RED rules that bind everyone
    denied = [e for e in evs if e["type"] == "action.decided" and e["decision"] == "deny"]
    rules = {r for e in denied for r in e["rules"]}
    assert {"RED-CREDENTIAL-REUSE", "RED-HOST-CONFIG-OUTSIDE-PIPELINE"} <= rules
    cfg = load_org(root)
    assert all(cfg.actors[e["actor"]].lane == "security" for e in denied)

    # the deploy is a change to deploy/production.env: its paths raise it to high (design review, approval)
    deploy = _task(tasks, "production")
    raised = next(e for e in deploy if e["type"] == "task.tier_raised")
    assert raised["data"]["tier"] == "high" and "approval" in raised["data"]["unskipped"]

    # production work (and the credential-bearing action) waits for a human
    for part in ("production", "Jira"):
        t = _task(tasks, part)
        assert "task.done" not in [e["type"] for e in t]
        assert any(e["type"] == "approval.requested" for e in t)


def test_every_agent_step_carries_its_token_identity(demo):
    root, _, _, job = demo
    cfg = load_org(root)
    agents = {a.id for a in cfg.actors.values() if not a.is_human}
    evs = _events(root, job["told"])
    steps = [
        e
        for e in evs
        if e.get("actor") in agents
        and e["type"] in ("job.claimed", "job.submitted", "work.submitted", "review.filed", "action.decided")
    ]
    assert len(steps) > 20
    for e in steps:
        auth = e.get("auth") or {}
        assert auth.get("principal") == e["actor"] and auth.get("kind") == "agent", e
        assert auth.get("via") == ("principal" if e["type"] == "job.claimed" else "job"), e
    created = [e for e in evs if e["type"] == "task.created"]
    assert {(e["auth"]["principal"], e["auth"]["kind"]) for e in created} == {("alice", "human")}
    revoked = [e for e in evs if e["type"] == "token.revoked"]
    assert len(revoked) >= len(agents)  # the run's own agent tokens end with the run


def test_every_call_is_in_the_ledger_and_no_secret_anywhere(demo):
    root, first, _, job = demo
    cfg = load_org(root)
    out = json.loads(first.stdout)
    with Bus.open(f"sqlite:///{job['told']}", root=root, config=cfg) as bus:
        by_model = bus.spend("model")
        assert {r["key"] for r in by_model} <= {a.model for a in cfg.actors.values() if a.model}
        assert sum(r["calls"] for r in by_model) == out["calls"] > 0
        assert sum(r["cost_usd"] for r in by_model) == pytest.approx(out["cost_usd"], rel=1e-6, abs=1e-6)
    for p in (root / ".org").iterdir():
        if p.is_file():
            assert CANARY.encode() not in p.read_bytes(), p
    assert CANARY not in first.stdout and CANARY not in first.stderr


def test_demo_refuses_a_shared_database(org_copy):
    r = run_org("--db", "postgresql://postgres@127.0.0.1:5432/test", "demo", root=org_copy)
    assert r.returncode == 2 and "SQLite" in r.stderr


def test_done_when_humans_approve_agents_act_under_job_tokens_and_no_canary_anywhere(demo):
    """The issue's "done when", on the README's main job run through the real CLI (demo, approve, run)."""
    root, _, _, job = demo
    cfg = load_org(root)
    with Bus.open(f"sqlite:///{job['db']}", root=root, config=cfg) as bus:
        evs = bus.events_since(0, limit=100_000)
        assert all(t["status"] == "done" for t in bus.list_tasks())
    agents = {a.id for a in cfg.actors.values() if not a.is_human}
    humans = {a.id for a in cfg.actors.values() if a.is_human}
    approvals = [e for e in evs if e["type"] in ("approval.granted", "approval.rejected")]
    assert len(approvals) >= 2
    for e in approvals:
        assert e["actor"] in humans and e["auth"]["principal"] == e["actor"], e
        assert (e["auth"]["kind"], e["auth"]["via"]) == ("human", "principal"), e
    acts = [e for e in evs if e.get("actor") in agents and e["type"] not in ("token.issued", "token.revoked")]
    assert {"job.claimed", "work.submitted", "review.filed", "action.decided"} <= {e["type"] for e in acts}
    claimed = {
        e["job"]: (e["task"], e["actor"], e["data"]["job_token"]) for e in acts if e["type"] == "job.claimed"
    }
    for e in acts:
        auth = e.get("auth") or {}
        assert auth.get("principal") == e["actor"] and auth.get("kind") == "agent", e
        if e["type"] == "job.claimed":  # made with the member's own token; it mints the job token
            assert auth.get("via") == "principal" and e["data"]["job_token"] != auth["token"], e
            continue
        # anything else under the job token its claim minted: that job, that task, that actor
        assert auth.get("via") == "job" and e.get("job") in (None, auth["job"]), e
        assert claimed[auth["job"]] == (e["task"], e["actor"], auth["token"]), e
    executed = [
        e
        for e in acts
        if e["type"] == "action.decided"
        and e["decision"] == "allow"
        and e["data"].get("action") == "credential.use"
    ]
    assert executed, "the approved credential-bearing action was carried out under a job token"
    # no canary in any prompt, output, database or file the org wrote (both config homes included)
    assert len(job["prompts"]) >= 17
    blobs = [("prompt", b.encode()) for b in job["prompts"]]
    blobs += [(f"output of {' '.join(r.args[3:5])}", (r.stdout + r.stderr).encode()) for r in job["outputs"]]
    files = [f for d in (root, job["home"]) for f in d.rglob("*") if f.is_file() and "adrs" not in f.parts]
    assert root / ".org" / "org.db" in files
    blobs += [(str(f), f.read_bytes()) for f in files]
    for where, data in blobs:
        for c in CANARIES.values():
            assert c.encode() not in data, f"{c} in {where}"


def test_the_jira_task_is_carried_out_by_the_broker_with_the_canary_secret(demo):
    """T-5's credential.use after the human's approval: the broker decided, resolved the canary and called the
    stand-in Jira, which answers 201 only to the secret in the user's environment (401 to anything else); the
    agent's submission carries the answer, the event the job token's identity, and the canary is nowhere."""
    root, _, _, job = demo
    run = json.loads(job["outputs"][-1].stdout)
    assert [
        (c["credential"], c["method"], c["path"], c["status"], c["stand_in"]) for c in run["credential_calls"]
    ] == [("jira", "POST", "/rest/api/2/issue", 201, True)]
    assert '"key": "REL-1"' in run["credential_calls"][0]["answer"]
    cfg = load_org(root)
    with Bus.open(f"sqlite:///{job['db']}", root=root, config=cfg) as bus:
        evs = bus.events_since(0, limit=100_000)
    jira = _task(_by_task(evs), "Jira")
    [used] = [e for e in jira if e["type"] == "credential.used"]
    assert (
        used["data"]["status"] == 201
        and used["data"]["credential"] == "jira"
        and used["data"]["stand_in"] is True
    )
    claimed = next(e for e in jira if e["type"] == "job.claimed" and e["job"] == used["auth"]["job"])
    assert claimed["gate"] == "execute" and claimed["actor"] == used["actor"] == used["auth"]["principal"]
    assert (used["auth"]["kind"], used["auth"]["via"], used["auth"]["token"]) == (
        "agent",
        "job",
        claimed["data"]["job_token"],
    )
    decided = [e for e in jira if e["type"] == "action.decided" and e["seq"] < used["seq"]][-1]
    assert decided["decision"] == "allow" and decided["data"]["approved_by"] == "bob"
    executed = [e for e in jira if e["type"] == "work.submitted" and e["gate"] == "execute"]
    assert len(executed) == 1 and "jira POST /rest/api/2/issue -> 201 REL-1" in executed[0]["data"]["note"]
    assert "task.done" in [e["type"] for e in jira]


def _story(lines: list[str]) -> dict[str, list[str]]:
    """The told story per task, with what differs between runs by nature taken out: revision and commit ids,
    which member of a lane took a job (and so its model family)."""
    out: dict[str, list[str]] = {}
    for line in lines:
        m = re.match(r"^\s+(T-\d+)\s+\S+\s+(.*)$", line)
        if not m:
            continue
        text = re.sub(r"\b[0-9a-f]{8}\b", "REV", m.group(2))
        text = re.sub(r"\b[a-z]+-[a-z]+ \((openai|anthropic|google)\)", "AGENT", text)
        text = re.sub(r"\b(openai|anthropic|google)\b", "FAMILY", text)
        out.setdefault(m.group(1), []).append(text)
    return out


@pytest.mark.slow
def test_two_demo_runs_tell_the_same_story(demo, rerun):
    """The same tasks, attempts, test results, findings, denials and merges every run (the RED-denial count
    was 2 in one run and 4 in the next: security reviewed a revision in parallel with correctness)."""
    _, first, _, _ = demo
    again, told, _ = rerun
    one = _story(first.stderr.splitlines())
    two = _story(told.splitlines())
    assert set(one) == {"T-1", "T-2", "T-3", "T-4", "T-5"}
    assert one == two
    denials = [ln for lines in one.values() for ln in lines if "DENIED by RED-" in ln]
    assert len(denials) == 6 and len(again.summary()["denied_actions"]) == 6
    assert len(json.loads(first.stdout)["denied_actions"]) == 6


def test_after_a_human_approves_org_run_merges_and_git_log_shows_the_trailers(demo):
    """`org approve T-3 --as bob` and `org run`: org's pipeline merges the approved deploy change; the sample
    repository's history holds a merge commit per task with the reviewers, the approver and the tier."""
    merges = {}
    for rec in demo[3]["log"].split("\x01"):
        parts = rec.strip().split("\x00")
        if len(parts) == 3 and len(parts[1].split()) == 2:
            merges[re.search(r"Org-Task: (T-\d+)", parts[2]).group(1)] = parts[2]
    assert set(merges) == {"T-1", "T-2", "T-3"}
    t3 = merges["T-3"]
    assert t3.startswith("Merge T-3: Deploy release 2.4.1 to production")
    assert "Org-Approver: bob (approval)" in t3 and "Org-Tier: high" in t3
    assert re.search(r"Org-Reviewer: \S+ \((openai|anthropic|google), security\)", t3)
    assert "Org-Approver" not in merges["T-1"] and "Org-Tier: medium" in merges["T-1"]
