"""The demo's stand-in services: a loopback Jira that answers only the credential's secret, the broker's
stand-ins limited to loopback URLs and to the demo's own tasks, and the run's services giving a secret the
user has not set (made up for the run) to the broker process and the stand-in only."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from org.agents.demo import demo_key, demo_stand_ins
from org.agents.standin import StandIn, StandInServer, stand_in_secrets
from org.bus import Bus
from org.config.loader import load_org
from org.errors import UsageError
from org.identity.broker import StandIns


def _call(
    url: str, method: str = "GET", body: dict | None = None, auth: str | None = None
) -> tuple[int, dict]:
    req = urllib.request.Request(
        url, data=json.dumps(body).encode() if body is not None else None, method=method
    )
    if auth is not None:
        req.add_header("Authorization", auth)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_the_jira_stand_in_answers_only_the_secret_and_like_jira():
    secret = "cnry-" + uuid.uuid4().hex
    with StandInServer([StandIn("jira", "jira", "Authorization", "Bearer", secret)]) as srv:
        base = srv.url("jira")
        issue = {
            "fields": {"project": {"key": "rel"}, "summary": "Release 2.4.1", "issuetype": {"name": "Task"}}
        }
        for auth in (None, "Bearer wrong", secret, f"Basic {secret}", f"Bearer {secret}x"):
            status, doc = _call(base + "/rest/api/2/issue", "POST", issue, auth)
            assert status == 401 and "not authenticated" in doc["errorMessages"][0]
        ok = f"Bearer {secret}"
        assert _call(base + "/rest/api/2/issue", "POST", issue, ok) == (
            201,
            {"id": "10001", "key": "REL-1", "self": base + "/rest/api/2/issue/10001"},
        )
        assert _call(base + "/rest/api/2/issue", "POST", issue, ok)[1]["key"] == "REL-2"
        status, doc = _call(base + "/rest/api/2/issue/REL-1", auth=ok)
        assert status == 200 and doc["fields"]["summary"] == "Release 2.4.1"
        status, doc = _call(base + "/rest/api/2/issue", "POST", {"fields": {"project": {"key": "REL"}}}, ok)
        assert status == 400 and set(doc["errors"]) == {"summary", "issuetype"}
        assert _call(base + "/rest/api/2/myself", auth=ok)[0] == 200
        assert _call(base + "/rest/api/2/nothing", auth=ok)[0] == 404
        assert _call(f"http://127.0.0.1:{srv.port}/github/", auth=ok)[0] == 404  # no stand-in there
        seen = srv.seen
    assert [s["authenticated"] for s in seen[:6]] == [False] * 5 + [True]
    assert secret not in json.dumps(
        seen
    )  # it keeps whether the caller presented the secret, not what it presented


def test_the_brokers_stand_ins_are_loopback_only_and_for_the_named_tasks_only():
    s = StandIns({"jira": {"url": "http://127.0.0.1:8080/jira", "tasks": ["demo:x"]}})
    assert s.url("jira", "demo:x") == "http://127.0.0.1:8080/jira"
    assert s.url("jira", None) is None and s.url("jira", "mine") is None and s.url("github", "demo:x") is None
    for bad in (
        {"url": "http://jira.example.com/", "tasks": ["demo:x"]},
        {"url": "https://127.0.0.1:1/", "tasks": ["a"]},
        {"url": "http://127.0.0.1.evil.io:80/", "tasks": ["a"]},
        {"url": "http://user@127.0.0.1:1/", "tasks": ["a"]},
        {"url": "http://127.0.0.1:1/x", "tasks": "demo:x"},
        {"url": "http://127.0.0.1:1/x"},
    ):
        with pytest.raises(UsageError):
            StandIns({"jira": bad})
    env = {StandIns.ENV: "not json"}
    with pytest.raises(UsageError):
        StandIns.from_env(env)
    assert StandIns.ENV not in env  # taken out: nothing the broker starts inherits it
    assert not StandIns.from_env({})


def test_stand_in_secrets_are_the_users_else_made_for_the_run(cfg):
    assert demo_stand_ins(cfg) == {"jira": [demo_key("credential action")]}
    items, extra, notes = stand_in_secrets(
        cfg, ["jira", "deploy-key"], {"ORG_SECRET_JIRA": "mine-" + "1" * 20}
    )
    assert [i.secret for i in items] == ["mine-" + "1" * 20] and extra == {}
    assert any("no stand-in for 'deploy-key'" in n for n in notes)
    items, extra, notes = stand_in_secrets(cfg, ["jira"], {})
    assert list(extra) == ["ORG_SECRET_JIRA"] and items[0].secret == extra["ORG_SECRET_JIRA"]
    assert len(extra["ORG_SECRET_JIRA"]) >= 40 and extra["ORG_SECRET_JIRA"] not in " ".join(notes)


def test_a_run_without_the_secret_makes_one_for_the_broker_and_the_stand_in_only(org_copy, monkeypatch):
    """The demo's path when ORG_SECRET_JIRA is not set: a real broker process gets the made-up secret in its
    environment, the stand-in checks it, the call succeeds, and neither this process's environment nor any
    file the org wrote holds it."""
    from org.agents.host import run_services
    from org.identity.bootstrap import first_use_tokens
    from org.identity.brokerclient import BrokerUse
    from org.identity.guard import Guard
    from tests.identity.test_broker import plan_of

    monkeypatch.delenv("ORG_SECRET_JIRA", raising=False)
    cfg = load_org(org_copy)
    url = f"sqlite:///{org_copy / '.org' / 'org.db'}"
    with Bus.open(url, root=org_copy, config=cfg) as bus:
        first_use_tokens(bus)
        g = Guard(bus)
        t = g.add_task(
            None,
            "File the release ticket in Jira",
            "ops",
            by="alice",
            idempotency_key=demo_key("credential action"),
            attributes={"kind": "ops", "environment": "staging", "credential": "jira", "service": "jira"},
        )["task"]
        ops = g.tokens.issue("ops-claude", by="test")["token"]
        issue = json.dumps(
            {"fields": {"project": {"key": "REL"}, "summary": "x", "issuetype": {"name": "Task"}}}
        )
        # a job token uses a credential only at the gate carrying out the plan that names the call (ADR 0110);
        # high tier: security reviews the plan and a human who did not file the task approves it
        c, pj = g.claim(ops, "operator", "ops-claude")
        g.submit(
            pj, c.job, "pass", note="plan", content=plan_of(("jira", "POST", "/rest/api/2/issue", issue))
        )
        c, sj = g.claim(g.tokens.issue("sec-gemini", by="test")["token"], "security", "sec-gemini")
        g.submit(sj, c.job, "pass", note="ok")
        g.approve(g.tokens.issue("bob", by="test")["token"], t, "bob")
        c, jt = g.claim(ops, "operator", "ops-claude")
        assert c.gate == "execute", c
    with run_services(cfg, org_copy, url, demo_stand_ins(cfg), wait=True) as (broker, server, notes):
        assert broker.proc is not None and any("stand-in jira" in n for n in notes)
        environ = dict(
            kv.split(b"=", 1)
            for kv in Path(f"/proc/{broker.pid}/environ").read_bytes().split(b"\0")
            if b"=" in kv
        )
        made = environ[b"ORG_SECRET_JIRA"].decode()
        use = BrokerUse(org_copy, url)
        # the approval of the plan (bob, at the approval gate) is the approval of its call
        r = use.use(
            jt,
            "ops-claude",
            credential="jira",
            service="jira",
            task=t,
            method="POST",
            path="/rest/api/2/issue",
            body=issue,
        )
        seen = list(server.seen)
    assert r["status"] == 201 and r["stand_in"] is True and json.loads(r["body"])["key"] == "REL-1"
    assert seen == [
        {
            "credential": "jira",
            "method": "POST",
            "path": "/rest/api/2/issue",
            "status": 201,
            "authenticated": True,
        }
    ]
    assert len(made) >= 40 and "ORG_SECRET_JIRA" not in os.environ and made not in " ".join(notes)
    for f in (org_copy / ".org").rglob("*"):
        if f.is_file():
            assert made.encode() not in f.read_bytes(), f


def test_which_demo_tasks_a_database_holds_is_read_through_the_door_by_a_human(org_copy):
    """`org run`'s supervisor learns which of the demo's tasks a database holds (whose stand-ins it starts)
    through the door, as a human of the org whose own token file is on this account: --as an agent, or with
    every human's file gone, it learns nothing (it used to read the raw bus, no token asked)."""
    from org.agents.demo import DEMO_TASKS, stand_ins_in_db
    from org.identity.bootstrap import first_use_tokens
    from org.identity.guard import Guard

    cfg = load_org(org_copy)
    url = f"sqlite:///{org_copy / '.org' / 'org.db'}"
    label, title, workflow, attrs = next(t for t in DEMO_TASKS if t[0] == "credential action")
    with Guard.open(url, root=org_copy, config=cfg) as door:
        first_use_tokens(door)  # the humans' own files, as `org demo` and `org run` make them
        door.add_task(None, title, workflow, by="alice", attributes=attrs, idempotency_key=demo_key(label))
    assert stand_ins_in_db(cfg, url) == {"jira": [demo_key("credential action")]}
    assert stand_ins_in_db(cfg, url, as_="bob") == {"jira": [demo_key("credential action")]}
    assert stand_ins_in_db(cfg, url, as_="build-claude") == {}  # an agent holds no token file
    for f in Path(os.environ["ORG_CONFIG_HOME"]).rglob("*.token"):
        f.unlink()
    assert stand_ins_in_db(cfg, url) == {}
    with Bus.open(url, root=org_copy) as bus:  # the refusals are in the audit log, the reads are not
        assert {e["type"] for e in bus.events_since(0) if e["type"].startswith("auth.")} == {"auth.denied"}
