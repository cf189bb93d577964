"""The MCP server with the SDK's own client in memory (no subprocess, no port), over the run's real bus socket
and a real SQLite org: a task walked from claim to a passed review; what each lane is offered; the refusals
(a same-family reviewer, a stale review, forged, revoked and job tokens, a paused actor) as the CLI's kinds."""

from __future__ import annotations

import pytest
from mcp import Client

from org.mcp.server import build_server
from org.mcp.tools import NEVER, TOOLSETS, Desk
from org.runtime.busclient import BusClient
from tests.mcp.helpers import structured


def server_for(org, bus_socket, who: str | None = None, token: str | None = None):
    desk = Desk(BusClient(bus_socket.path), root=org.root)
    return build_server(desk, token=token if token is not None else org.tokens[who]), desk


async def call(client, tool: str, **args) -> tuple[bool, dict]:
    r = await client.call_tool(tool, args)
    return bool(r.is_error), structured(r)


async def test_a_task_walks_from_claim_to_a_passed_review(org, bus_socket):
    builder, _ = server_for(org, bus_socket, "build-claude")
    async with Client(builder) as b:
        err, ready = await call(b, "work_ready")
        assert not err and [(w["task"], w["lane"]) for w in ready["ready"]] == [(org.task, "builder")]
        err, claim = await call(b, "work_claim")
        assert not err, claim
        job = claim["job"]
        assert claim["task"] == org.task and claim["kind"] == "work"
        assert claim["job_token"] == "held by the MCP server"
        assert "orgj_" not in repr(claim), "no job token reaches the agent"
        assert claim["handover"]["asks"]["kind"] == "work"
        err, beat = await call(b, "work_heartbeat", job=job, lease_seconds=600)
        assert not err and beat["job"] == job
        err, said = await call(b, "work_comment", job=job, body="starting on it")
        assert not err and said["commented"]
        err, done = await call(b, "work_submit", job=job, verdict="pass", note="done", content="the spec")
        assert not err and done["gate"] == "spec", done
        err, claim = await call(b, "work_claim")  # the medium tier's spec passed: implement waits
        assert not err and claim["gate"] == "implement", claim
        err, done = await call(b, "work_submit", job=claim["job"], verdict="pass", content="the change")
        assert not err, done
    assert [e["data"]["body"] for e in org.events("task.comment")] == ["starting on it"]
    assert org.events("task.comment")[0]["auth"]["principal"] == "build-claude"

    # a reviewer of the author's family is told why it can claim nothing
    same, _ = server_for(org, bus_socket, "rev-claude")
    async with Client(same) as r:
        err, q = await call(r, "review_queue")
        assert not err and any(w["gate"] == "correctness" for w in q["queue"])
        err, why = await call(r, "work_claim", lane="reviewer")
        assert err and why["error"] == "not_found" and why["exit_code"] == 3
        assert "ORG-CROSS-VENDOR" in why["message"] and why["detail"]["skipped"] == {"ORG-CROSS-VENDOR": 1}

    reviewer, _ = server_for(org, bus_socket, "rev-gpt")
    async with Client(reviewer) as r:
        err, claim = await call(r, "work_claim", lane="reviewer")
        assert not err, claim
        job = claim["job"]
        err, diff = await call(r, "review_diff", job=job)
        assert not err and diff["revision"] and diff["diff"]["patch"] == "the change"
        # a review naming another revision than the current head is refused, and the job is still held
        err, stale = await call(r, "review_submit", job=job, verdict="pass", revision="0" * 12, note="ok")
        assert err and stale["error"] == "conflict" and stale["exit_code"] == 5, stale
        assert "reviews bind to content" in stale["message"]
        err, passed = await call(
            r,
            "review_submit",
            job=job,
            verdict="pass",
            revision=diff["revision"],
            note="reads right",
            findings=[{"file": "a.py", "line": 1, "text": "fine", "severity": "low"}],
        )
        assert not err, passed
    with org.door() as door:
        gates = door.task(org.alice, org.task)["state"]["gates"]
    assert gates["correctness"]["status"] == "passed"


async def test_each_lane_is_offered_its_tools_and_none_that_govern(org, bus_socket):
    builder, _ = server_for(org, bus_socket, "build-claude")
    reviewer, _ = server_for(org, bus_socket, "rev-gpt")
    every = {t for ts in TOOLSETS.values() for t in ts}
    async with Client(builder) as b, Client(reviewer) as r:
        built = {t.name for t in (await b.list_tools()).tools}
        reviewed = {t.name for t in (await r.list_tools()).tools}
        assert built == every - set(TOOLSETS["review"])
        assert reviewed == every - {"work_ready", "work_submit"}
        for t in (await b.list_tools()).tools:  # a schema for the arguments and for the result
            assert (
                t.input_schema["type"] == "object" and t.output_schema and t.output_schema["type"] == "object"
            )
        # a tool the lane does not use is refused, not merely hidden
        err, doc = await call(r, "work_submit", job=1, verdict="pass")
        assert err and doc["error"] == "denied" and "not offered to rev-gpt" in doc["message"]
        err, doc = await call(b, "review_submit", job=1, verdict="pass", revision="abc")
        assert err and doc["error"] == "denied"
    for name in every:
        assert not any(word in name for word in NEVER), f"{name} governs"


@pytest.mark.parametrize("how", ["forged", "revoked", "job token", "human", "none"])
async def test_a_token_that_is_not_an_agents_own_is_refused(org, bus_socket, how):
    if how == "forged":
        token = "orgp_0123456789abcdef_xxxxxxxxxxxxxxxx"
    elif how == "revoked":
        token = org.tokens["build-gpt"]
        with org.door() as door:
            door.tokens.revoke(actor="build-gpt", by="alice")
    elif how == "job token":
        with org.door() as door:
            token = door.claim(org.tokens["build-gpt"], "builder", None)[1]
    elif how == "human":
        token = org.alice
    else:
        token = ""
    server, _ = server_for(org, bus_socket, token=token)
    async with Client(server) as c:
        names = {t.name for t in (await c.list_tools()).tools}
        assert names == {"whoami"}, "a refused token is offered whoami alone (it says why)"
        for tool, args in (("whoami", {}), ("work_claim", {"lane": "builder"}), ("adr_list", {})):
            err, doc = await call(c, tool, **args)
            assert err and doc["error"] == "denied" and doc["exit_code"] == 4, doc
    with org.door() as door:
        leased = [j["job"] for j in door.task(org.alice, org.task)["jobs"] if j["status"] == "leased"]
    assert len(leased) == (1 if how == "job token" else 0), "nothing was claimed through the refused token"


async def test_a_paused_actors_call_exits_as_paused(org, bus_socket):
    with org.door() as door:
        door.pause(org.alice, "actor", "build-claude", None, note="looking into it")
    server, _ = server_for(org, bus_socket, "build-claude")
    async with Client(server) as c:
        err, doc = await call(c, "work_claim")
        assert err and doc["error"] == "paused" and doc["exit_code"] == 7, doc
    with org.door() as door:
        assert all(j["status"] == "queued" for j in door.task(org.alice, org.task)["jobs"])


async def test_a_job_is_finished_only_by_the_principal_that_claimed_it(org, bus_socket):
    mine, desk = server_for(org, bus_socket, "build-claude")
    theirs = build_server(desk, token=org.tokens["build-gpt"])  # the same server, another principal
    async with Client(mine) as m, Client(theirs) as t:
        err, claim = await call(m, "work_claim")
        assert not err
        err, doc = await call(t, "work_submit", job=claim["job"], verdict="pass", content="x")
        assert err and doc["error"] == "not_found" and "not held by build-gpt" in doc["message"]
        err, doc = await call(m, "work_release", job=claim["job"], reason="not mine after all")
        assert not err
        # released: the desk no longer holds it, and a submission now is refused
        err, doc = await call(m, "work_submit", job=claim["job"], verdict="pass", content="x")
        assert err and doc["error"] == "not_found"


async def test_jobs_held_when_the_server_stops_are_handed_back(org, bus_socket):
    server, desk = server_for(org, bus_socket, "build-claude")
    async with Client(server) as c:
        err, claim = await call(c, "work_claim")
        assert not err
    assert desk.held() == [claim["job"]]
    assert desk.hand_back() == 1
    released = org.events("job.released")
    assert released and "MCP server" in released[-1]["data"]["reason"]
    with org.door() as door:
        job = next(j for j in door.task(org.alice, org.task)["jobs"] if j["job"] == claim["job"])
    assert job["status"] == "queued"


async def test_reads_policy_config_and_adrs(org, bus_socket):
    server, _ = server_for(org, bus_socket, "build-claude")
    async with Client(server) as c:
        err, who = await call(c, "whoami")
        assert not err and who["principal"] == "build-claude" and "code.write" in who["may"]
        assert "branch.merge" in who["may_not"] and [ln["lane"] for ln in who["lanes"]] == ["builder"]
        err, dec = await call(c, "policy_check", action="deploy.production", task=org.task)
        assert not err and dec["decision"]["outcome"] == "deny" and dec["exit_code"] == 4, dec
        assert dec["decision"]["rules"][0]["source"] == "lanes/builder.yaml:19"
        err, cfg = await call(c, "config_show", prefix="workflows.change")
        assert not err and cfg["values"] and all(":" in v["source"] for v in cfg["values"])
        err, adrs = await call(c, "adr_list", status="accepted")
        assert not err and [a["number"] for a in adrs["adrs"]] == [1, 2, 3, 4, 5, 6, 7], adrs  # the starter's
        err, one = await call(c, "adr_get", number=4)
        assert not err and "family" in one["adr"]["body"] and one["adr"]["status"] == "accepted"
        err, hits = await call(c, "adr_search", query="model family")
        assert not err and hits["hits"][0]["number"] == 4, hits
        err, missing = await call(c, "adr_get", number=999)
        assert err and missing["error"] == "not_found"
        err, shown = await call(c, "work_show", task=org.task, timeline=True)
        assert not err and shown["task"]["task"] == org.task and shown["timeline"]
        err, evs = await call(c, "work_events", task=org.task)
        assert not err and evs["events"] and evs["last"] >= evs["events"][-1]["seq"]
        text = await c.read_resource("org://adr/4")
        assert text.contents[0].text.startswith("# ADR-0004: Reviews come from another model family")
        tl = await c.read_resource(f"org://task/{org.task}/timeline")
        assert org.task in tl.contents[0].text
