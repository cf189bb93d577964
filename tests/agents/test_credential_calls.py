"""Built-in agents use credentials only through the credential broker: a real broker daemon (in a thread,
on the org's own socket) in front of a real stand-in Jira on loopback, and the dispatcher with the local
model. An approved ops task's credential.use is decided, resolved and called by the broker; the agent gets
the status and the scrubbed answer, which its submission records. A service that refuses the call fails
the execution with the reason; the security agent's credential reuse is refused by the same RED rule
without any secret read; with no broker, nothing falls back to a bare decision."""

from __future__ import annotations

import threading
import uuid

import pytest

from org.agents.demo import demo_key
from org.agents.runner import RunOptions
from org.agents.session import AgentSession
from org.agents.standin import StandIn, StandInServer
from org.identity.broker import StandIns

KEY = demo_key("credential action")


class _Broker:
    """`org broker serve` in a thread of this process, holding `secret` as ORG_SECRET_JIRA, with a stand-in
    Jira (checking `stand_in_secret`) for the tasks filed with the demo's key."""

    def __init__(self, cfg, url: str, secret: str, stand_in_secret: str, monkeypatch) -> None:
        from org.identity.brokerd import BrokerDaemon

        spec = cfg.credentials["jira"]
        self.server = StandInServer(
            [StandIn("jira", "jira", spec.header, spec.scheme, stand_in_secret)]
        ).start()
        monkeypatch.setenv("ORG_SECRET_JIRA", secret)  # the daemon takes it out of os.environ again
        self.daemon = BrokerDaemon(
            cfg.root, url, cfg, stand_ins=StandIns({"jira": {"url": self.server.url("jira"), "tasks": [KEY]}})
        )
        self.daemon.bind()
        self.thread = threading.Thread(target=self.daemon.serve, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.daemon.stop()
        self.thread.join(5)
        self.server.stop()


def _run(cfg, url, env, lanes=()):
    with AgentSession(cfg, url, env=env) as s:
        return s.dispatcher(RunOptions(lease_s=60, lanes=tuple(lanes))).run()


def _jira_task(bus):
    return bus.add_task(
        "File the release ticket in Jira",
        "ops",
        by="alice",
        idempotency_key=KEY,
        attributes={"kind": "ops", "environment": "staging", "credential": "jira", "service": "jira"},
    )["task"]


@pytest.mark.parametrize("same_secret", [True, False], ids=["the-secret", "a-wrong-secret"])
def test_an_approved_credential_use_is_made_by_the_broker(org_env, monkeypatch, same_secret):
    cfg, url, env, bus = org_env
    secret = "cnry-jira-" + uuid.uuid4().hex
    broker = _Broker(cfg, url, secret, secret if same_secret else "another-" + secret, monkeypatch)
    try:
        t = _jira_task(bus)
        _run(cfg, url, env)  # plan, security review; then it waits for a human
        assert bus.task(t)["status"] == "active" and not broker.server.seen
        plan = bus.work_result(t, gate="plan")["content"]
        assert '"path": "/rest/api/2/issue"' in plan  # the human approves the call the plan names
        bus.approve(t, "bob", note="file it")  # alice filed it (the two-person rule)
        report = _run(cfg, url, env)
    finally:
        broker.close()
    seen = broker.server.seen
    assert [(s["method"], s["path"], s["authenticated"]) for s in seen] == [
        ("POST", "/rest/api/2/issue", same_secret)
    ]
    used = [e for e in bus.events_since(0, task=t, limit=1000) if e["type"] == "credential.used"]
    assert len(used) == 1 and used[0]["data"]["status"] == (201 if same_secret else 401)
    assert used[0]["data"]["stand_in"] is True and used[0]["auth"]["via"] == "job"
    assert used[0]["auth"]["principal"] == used[0]["actor"] and used[0]["job"] == used[0]["auth"]["job"]
    [act] = [a for a in report.actions if a["action"] == "credential.use"]
    assert act["via"] == "broker" and act["call"]["status"] == seen[0]["status"]
    view = bus.task(t)
    if same_secret:
        assert view["status"] == "done"
        done = bus.work_result(t, gate="execute")
        assert "REL-1" in done["content"] and "-> 201 REL-1" in done["note"]
    else:  # the service refused it: the execution fails with the reason, and a human looks at it
        assert (
            view["status"] == "escalated"
            and "401" in view["escalation"]
            and "not authenticated" in view["escalation"]
        )
    assert broker.daemon.status()["secrets_resolved"] == 1
    for f in (cfg.root / ".org").rglob("*"):
        if f.is_file():
            assert secret.encode() not in f.read_bytes(), f
    assert secret not in str(bus.events_since(0, limit=100_000))


def test_the_security_agents_reuse_goes_to_the_broker_and_is_refused_before_any_secret(org_env, monkeypatch):
    cfg, url, env, bus = org_env
    broker = _Broker(cfg, url, "cnry-" + uuid.uuid4().hex, "x" * 12, monkeypatch)
    try:
        t = bus.add_task(
            "Add retry with backoff to the webhook sender", "change", by="alice", attributes={"kind": "code"}
        )["task"]
        report = _run(cfg, url, env)
        status = broker.daemon.status()
    finally:
        broker.close()
    tried = [a for a in report.actions if a["action"] == "credential.use"]
    assert tried and all(a["via"] == "broker" and a["outcome"] == "deny" for a in tried)
    assert all(a["rules"] == ["RED-CREDENTIAL-REUSE"] for a in tried)
    decided = [
        e
        for e in bus.events_since(0, task=t, limit=1000)
        if e["type"] == "action.decided" and e["data"]["action"] == "credential.use"
    ]
    assert len(decided) == len(tried) == status["refusals"] and status["uses"] == 0
    assert all(e["decision"] == "deny" and e["rules"] == ["RED-CREDENTIAL-REUSE"] for e in decided)
    assert all(cfg.actors[e["actor"]].lane == "security" and e["auth"]["via"] == "job" for e in decided)
    assert status["secrets_resolved"] == 0 and broker.server.seen == []
    reviews = [
        e
        for e in bus.events_since(0, task=t, limit=1000)
        if e["type"] == "review.filed" and e["gate"] == "security"
    ]
    assert reviews and "RED-CREDENTIAL-REUSE" in reviews[-1]["data"]["note"]


def test_without_a_broker_nothing_falls_back_to_a_bare_decision(org_env):
    cfg, url, env, bus = org_env
    t = bus.add_task(
        "Add retry with backoff to the webhook sender", "change", by="alice", attributes={"kind": "code"}
    )["task"]
    report = _run(cfg, url, env)
    tried = [a for a in report.actions if a["action"] == "credential.use"]
    assert tried and all(a["outcome"] == "error" and "broker is not running" in a["reason"] for a in tried)
    assert not [
        e
        for e in bus.events_since(0, task=t, limit=1000)
        if e["type"] == "action.decided" and e["data"]["action"] == "credential.use"
    ]
    assert bus.task(t)["status"] == "done"  # a review's overreach refused; the review itself still counts


def test_the_execute_gate_carries_out_the_call_the_approved_plan_names(org_env, monkeypatch):
    """An execution that asks for another request than the approved plan's is refused before the broker is
    asked; one that names none gets the plan's, body included; asking again does not repeat it."""
    from org.agents.jobwork import JobOutcome, JobRunner
    from org.agents.outputs import ActionRequest
    from org.agents.prompts import Redactor
    from org.identity.brokerclient import BrokerUse

    cfg, url, env, bus = org_env
    secret = "cnry-jira-" + uuid.uuid4().hex
    broker = _Broker(cfg, url, secret, secret, monkeypatch)
    try:
        _approved_jira_task(cfg, url, env, bus)
        port, claim = _execute_claim(cfg, url, bus)
        runner = JobRunner(cfg, {}, None, None, Redactor(), broker=BrokerUse(cfg.root, url))
        out = JobOutcome(claim.job, claim.task, claim.gate, claim.lane, claim.actor, "released")
        attrs = {"credential": "jira", "service": "jira"}
        other = ActionRequest(
            action="credential.use",
            attributes=attrs,
            call={"method": "DELETE", "path": "/rest/api/2/issue/REL-1"},
        )
        why = runner._use_credential(port, claim, claim.actor, other, dict(attrs), True, out)
        assert "approved plan names POST /rest/api/2/issue" in why
        assert broker.daemon.status()["requests"] == 0 and broker.server.seen == []
        bare = ActionRequest(action="credential.use", attributes=attrs)
        assert runner._use_credential(port, claim, claim.actor, bare, dict(attrs), True, out) == ""
        # the action listed twice: the planned call is made once (the broker would refuse a repeat anyway)
        assert runner._use_credential(port, claim, claim.actor, bare, dict(attrs), True, out) == ""
        assert "made already" in out.actions[-1]["reason"] and broker.daemon.status()["requests"] == 1
        port.close()
    finally:
        broker.close()
    assert [(s["method"], s["path"], s["status"]) for s in broker.server.seen] == [
        ("POST", "/rest/api/2/issue", 201)
    ]
    assert out.actions[-2]["call"]["status"] == 201 and '"key": "REL-1"' in out.actions[-2]["call"]["answer"]


def _approved_jira_task(cfg, url, env, bus) -> str:
    """The demo's Jira task, planned and reviewed by the agents and approved by alice."""
    t = _jira_task(bus)
    _run(cfg, url, env)
    bus.approve(t, "bob", note="file it")  # alice filed it (the two-person rule)
    return t


def _ops_port(cfg, url, bus):
    from org.agents.busport import open_door
    from org.identity.bootstrap import agent_tokens

    return open_door(url, cfg.root, cfg, agent_tokens(bus, actors=["ops-claude", "ops-gpt"]))


def _claim(port, actor: str):
    """The operator's claim through the door, or None when it has nothing to take."""
    from org.errors import NotFound

    try:
        return port.door.claim(port.token(actor), "operator", actor, lease_seconds=60)[0]
    except NotFound:
        return None


def _execute_claim(cfg, url, bus):
    """The execute gate's claim of an approved ops task (a port with the operators' tokens, and the claim)."""
    port = _ops_port(cfg, url, bus)
    claim = next(c for c in (_claim(port, a) for a in ("ops-claude", "ops-gpt")) if c is not None)
    assert claim.gate == "execute"
    return port, claim


def _use(broker, claim, method, path, body=None) -> dict:
    return broker.daemon.handle(
        {
            "op": "use",
            "token": claim.token,
            "credential": "jira",
            "service": "jira",
            "task": claim.task,
            "method": method,
            "path": path,
            "body": body,
        }
    )


def test_the_broker_makes_only_the_approved_plans_calls_each_once_per_job(org_env, monkeypatch):
    """At the trust boundary, not in the agent: with the execute job's token, a call the approved plan does not
    name is refused (the fixed answer; the reason only in the audit log), the planned one is made once, and
    its repeat is refused; nothing but the planned call reaches the service."""
    from org.engine.plans import planned_calls

    cfg, url, env, bus = org_env
    secret = "cnry-jira-" + uuid.uuid4().hex
    broker = _Broker(cfg, url, secret, secret, monkeypatch)
    try:
        t = _approved_jira_task(cfg, url, env, bus)
        [planned] = planned_calls(bus.work_result(t, gate="plan")["content"], "jira", "jira")
        assert planned["method"] == "POST" and planned["body"]
        port, claim = _execute_claim(cfg, url, bus)
        refused = {
            "ok": False,
            "error": "denied",
            "message": "the broker refused this request",
            "exit_code": 4,
        }
        for method, path, body in (
            ("DELETE", "/rest/api/2/project/REL", None),
            ("POST", planned["path"], '{"fields": {"summary": "another"}}'),
            ("POST", planned["path"], None),
            ("GET", planned["path"], planned["body"]),
        ):
            assert _use(broker, claim, method, path, body) == refused
        assert broker.daemon.status()["secrets_resolved"] == 0 and broker.server.seen == []
        ok = _use(broker, claim, "POST", planned["path"], planned["body"])
        assert ok["ok"] and ok["result"]["status"] == 201
        assert (
            _use(broker, claim, "POST", planned["path"], planned["body"]) == refused
        )  # at most once per job
        port.close()
    finally:
        broker.close()
    assert [(s["method"], s["path"]) for s in broker.server.seen] == [("POST", planned["path"])]
    evs = bus.events_since(0, task=t, limit=1000)
    reasons = [e["data"]["reason"] for e in evs if e["type"] == "credential.refused"]
    assert reasons == ["not a call the approved plan names"] * 4 + ["a planned call this job made already"]
    assert [e["data"]["path"] for e in evs if e["type"] == "credential.called"] == [planned["path"]]


def test_a_plan_that_names_no_call_allows_none(org_env, monkeypatch):
    """An operator's plan without a service call: the executing job may not choose its own."""
    cfg, url, env, bus = org_env
    broker = _Broker(cfg, url, "cnry-jira-" + uuid.uuid4().hex, "x" * 12, monkeypatch)
    try:
        t = _jira_task(bus)
        port = _ops_port(cfg, url, bus)
        claim = _claim(port, "ops-claude")
        assert claim.gate == "plan"
        assert port.door.submit(claim.token, claim.job, "pass", note="plan", content="1. file it by hand")[
            "ok"
        ]
        port.close()
        _run(cfg, url, env)  # the security review; then a human approves the plan
        bus.approve(t, "bob", note="ok")  # alice filed it
        port, claim = _execute_claim(cfg, url, bus)
        doc = _use(broker, claim, "POST", "/rest/api/2/issue", '{"fields": {}}')
        port.close()
    finally:
        broker.close()
    # the approval covers what the plan showed (ADR 0071), and the executing job takes only the plan's actions
    # (ADR 0110): a plan naming no credential.use leaves the job no call to make, and nothing reaches the service
    assert doc["exit_code"] == 4 and "refused" in doc["message"], doc
    assert broker.server.seen == [] and broker.daemon.status()["secrets_resolved"] == 0


def test_the_plans_dry_run_decides_as_act_will_the_strictest_reading(org_env):
    """At the planning gate an operator's actions are decided as a dry run written into the plan a human
    approves: it must be the decision `act` will make (decide_within: the strictest of the task's and the
    action's readings), so a credential aimed at another service shows RED-CREDENTIAL-REUSE, not allow."""
    from types import SimpleNamespace

    from org.agents.jobwork import JobOutcome, JobRunner

    cfg = org_env[0]
    claim = SimpleNamespace(
        job=1,
        task="T-1",
        gate="plan",
        lane="operator",
        kind="work",
        workflow="ops",
        attributes={"kind": "ops", "environment": "staging", "credential": "jira", "service": "jira"},
    )
    out = JobOutcome(1, "T-1", "plan", "operator", "ops-gpt", "released")
    aimed = SimpleNamespace(action="credential.use", attributes={"credential": "jira", "service": "github"})
    blocked = JobRunner(cfg, {}, None, None, None)._actions(None, claim, "ops-gpt", "operator", [aimed], out)
    assert blocked == ""
    assert out.actions == [
        {"action": "credential.use", "outcome": "deny", "rules": ["RED-CREDENTIAL-REUSE"], "dry_run": True}
    ], out.actions
