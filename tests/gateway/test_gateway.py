"""The model gateway against the deterministic local model on loopback, through real clients: the OpenAI SDK
(chat completions and the Responses API, whole and streamed), litellm as aider and mini-swe-agent use it,
and raw Anthropic-messages HTTP; every call counted in the ledger server-side; every refusal recorded."""

from __future__ import annotations

import http.client
import json
import socket
import sys
from pathlib import Path

import httpx
import pytest

from org.agents.localmodel import LocalModelServer
from org.bus import Bus
from org.gateway import Gateway
from org.identity.bootstrap import first_use_tokens
from org.identity.guard import Guard
from org.runtime import Sandbox, probe

BUILDER = "build-claude"
MODEL = "anthropic/claude-sonnet-4-5"
MSGS = [{"role": "user", "content": "Say something about the task."}]


@pytest.fixture
def org(org_copy):
    """(root, url, task, the job token of build-claude's claim of the task's work job)."""
    url = f"sqlite:///{org_copy / '.org' / 'org.db'}"
    with Bus.open(url, root=org_copy) as bus:
        task = bus.add_task("Gateway test", workflow="change", by="alice")["task"]
        first_use_tokens(bus)
    return org_copy, url, task, claim_job(org_copy, url, BUILDER, task)


def claim_job(root, url, actor: str, task: str) -> str:
    """`actor`'s job token for the work job of `task` (it claims its lane until it holds that task's job)."""
    with Bus.open(url, root=root) as bus:
        door = Guard(bus, token_files=False)
        ptok = door.tokens.issue(actor, by="test")["token"]
        lane = door.config().actors[actor].lane
        while True:
            c, jt = door.claim(ptok, lane, actor, lease_seconds=3600)
            if c.task == task:
                return jt


def doors(url, root, cfg):
    return lambda: Guard(Bus.open(url, root=root, config=cfg), token_files=False, owns_bus=True)


@pytest.fixture
def local():
    with LocalModelServer() as srv:
        yield srv


@pytest.fixture
def gw(org, local):
    root, url, _task, _jt = org
    from org.agents.llm import litellm_module
    from org.config.loader import load_org

    litellm_module()  # imported once here, not inside the first call of a test
    cfg = load_org(root)
    g = Gateway(cfg, doors(url, root, cfg), local_url=local.url, env={"ORG_MODELS": "local"})
    g.serve(http=True, unix_path=root / ".org" / "gw.sock")
    yield g
    g.stop()


def _post(url: str, **kw):
    return httpx.post(url, **{"timeout": 120, **kw})  # a loaded machine's first call also imports litellm


def _grant(gw, org, **kw):
    return gw.grant(org[3], workflow="change", **kw)


def _job(org) -> int:
    with Bus.open(org[1], root=org[0]) as bus:
        return Guard(bus, token_files=False).holder(org[3], command="test").job


def _ledger(org, gw=None) -> list[dict]:
    """The usage rows (after the live gateway `gw` wrote what it queued)."""
    if gw is not None:
        assert gw.flush()
    root, url = org[0], org[1]
    with Bus.open(url, root=root) as bus:
        rows = bus.store.read(
            lambda tx: tx.x(
                "SELECT actor, lane, task, job, gate, workflow, model, family, tokens_in, tokens_out, cost_usd, outcome "
                "FROM usage ORDER BY id"
            ).all()
        )
    keys = (
        "actor",
        "lane",
        "task",
        "job",
        "gate",
        "workflow",
        "model",
        "family",
        "tokens_in",
        "tokens_out",
        "cost_usd",
        "outcome",
    )
    return [dict(zip(keys, r, strict=True)) for r in rows]


def test_chat_completions_through_the_openai_sdk_are_counted_at_the_gateway(gw, org, local):
    import openai

    token = _grant(gw, org)
    client = openai.OpenAI(base_url=gw.url, api_key=token, max_retries=0)
    r = client.chat.completions.create(model=MODEL, messages=MSGS)
    assert r.choices[0].message.content and r.usage.prompt_tokens > 0
    chunks = list(
        client.chat.completions.create(
            model=MODEL, messages=MSGS, stream=True, stream_options={"include_usage": True}
        )
    )
    assert (
        "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == r.choices[0].message.content
    )
    assert chunks[-1].usage.completion_tokens == r.usage.completion_tokens
    rows = _ledger(org, gw)
    assert len(rows) == 2 == local.counts["ok"]
    assert rows[0] | {"task": None} == {
        "actor": BUILDER,
        "lane": "builder",
        "task": None,
        "job": _job(org),
        "gate": "spec",  # the starter org's change workflow: the builder writes the spec first
        "workflow": "change",
        "model": MODEL,
        "family": "anthropic",
        "tokens_in": r.usage.prompt_tokens,
        "tokens_out": r.usage.completion_tokens,
        "cost_usd": rows[0]["cost_usd"],
        "outcome": "ok",
    }
    assert rows[0]["task"] == org[2] and rows[0]["cost_usd"] > 0  # priced as the member's model, server-side


def test_litellm_as_the_clis_use_it_reaches_the_gateway(gw, org):
    from org.agents.llm import complete

    token = _grant(gw, org)
    res = complete(MODEL, MSGS, called=f"openai/{MODEL}", api_base=gw.url, api_key=token)
    assert res.ok and res.content, res.error
    assert [r["outcome"] for r in _ledger(org, gw)] == ["ok"]


def test_the_responses_api_whole_and_streamed(gw, org):
    import openai

    client = openai.OpenAI(base_url=gw.url, api_key=_grant(gw, org), max_retries=0)
    r = client.responses.create(model=MODEL, instructions="You are a builder.", input="Write the change.")
    assert r.status == "completed" and r.output_text and r.usage.input_tokens > 0
    events = list(
        client.responses.create(model=MODEL, input=[{"role": "user", "content": "Write it."}], stream=True)
    )
    kinds = [e.type for e in events]
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert "response.output_text.delta" in kinds and events[-1].response.output_text
    assert len(_ledger(org, gw)) == 2


def _sse(text: str) -> list[tuple[str, dict]]:
    out = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        out.append((lines.get("event", ""), json.loads(lines["data"])))
    return out


def test_anthropic_messages_whole_and_streamed(gw, org):
    token = _grant(gw, org)
    body = {
        "model": MODEL,
        "max_tokens": 512,
        "system": "You are a builder.",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Write the change."}]}],
    }
    r = _post(
        gw.url + "/messages", json=body, headers={"x-api-key": token, "anthropic-version": "2023-06-01"}
    )
    doc = r.json()
    assert r.status_code == 200 and doc["type"] == "message" and doc["content"][0]["type"] == "text"
    assert doc["stop_reason"] == "end_turn" and doc["usage"]["input_tokens"] > 0
    r = _post(
        gw.url + "/messages", json={**body, "stream": True}, headers={"authorization": f"Bearer {token}"}
    )
    events = _sse(r.text)
    assert [e for e, _ in events] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert events[2][1]["delta"]["text"] == doc["content"][0]["text"]
    # an Anthropic client hears refusals in its own shape
    r = _post(gw.url + "/messages", json=body, headers={"x-api-key": "orgg_forged"})
    assert r.status_code == 401 and r.json()["error"]["type"] == "authentication_error"


@pytest.mark.parametrize("how", ["forged", "revoked", "expired", "none", "provider_key"])
def test_a_bad_gateway_token_is_refused_and_recorded_and_the_gateway_goes_on(gw, org, how, monkeypatch):
    token = _grant(gw, org)
    bad = {
        "forged": "orgg_" + "A" * 43,
        "revoked": token,
        "none": "",
        "provider_key": "sk-proj-" + "x" * 40,
        "expired": _grant(gw, org, ttl_s=-1),
    }[how]
    if how == "revoked":
        assert gw.revoke(token)
    r = _post(
        gw.url + "/chat/completions",
        json={"model": MODEL, "messages": MSGS},
        headers={"authorization": f"Bearer {bad}"} if bad else {},
    )
    assert r.status_code == 401 and "not valid" in r.json()["error"]["message"]
    assert gw.refusals[-1]["code"] == "token"
    assert {
        "forged": "did not issue",
        "revoked": "revoked",
        "expired": "expired",
        "none": "no gateway token",
        "provider_key": "did not issue",
    }[how] in gw.refusals[-1]["reason"]
    assert _ledger(org, gw) == []  # no model call was made
    good = _grant(gw, org)
    assert (
        _post(
            gw.url + "/chat/completions",
            json={"model": MODEL, "messages": MSGS},
            headers={"authorization": f"Bearer {good}"},
        ).status_code
        == 200
    )


def test_a_model_the_lane_may_not_use_is_refused_with_its_reason_in_the_ledger(gw, org, local):
    token = _grant(gw, org)
    r = _post(
        gw.url + "/chat/completions",
        json={"model": "openai/gpt-5", "messages": MSGS},
        headers={"authorization": f"Bearer {token}"},
    )
    assert r.status_code == 403 and "not allowed for lane builder" in r.json()["error"]["message"]
    assert local.counts.get("requests", 0) == 0
    (row,) = _ledger(org, gw)
    assert row["outcome"] == "refused:model" and row["cost_usd"] == 0 and row["model"] == "openai/gpt-5"
    # a call naming no model gets the member's own
    r = _post(
        gw.url + "/chat/completions", json={"messages": MSGS}, headers={"authorization": f"Bearer {token}"}
    )
    assert r.status_code == 200 and r.json()["model"] == MODEL


def test_a_lane_allowlist_widens_and_narrows_what_members_may_call(org, local):
    root, url, task, jt = org
    p = root / "lanes" / "builder.yaml"
    p.write_text(p.read_text() + "models: [openai/gpt-5-mini]\n")
    from org.config.loader import load_org

    cfg = load_org(root)
    with Gateway(cfg, doors(url, root, cfg), local_url=local.url, env={"ORG_MODELS": "local"}).serve() as g:
        token = g.grant(jt)
        h = {"authorization": f"Bearer {token}"}
        assert (
            _post(
                g.url + "/chat/completions", json={"model": "openai/gpt-5-mini", "messages": MSGS}, headers=h
            ).status_code
            == 200
        )
        assert (
            _post(g.url + "/chat/completions", json={"model": MODEL, "messages": MSGS}, headers=h).status_code
            == 403
        )
    assert [(r["model"], r["family"], r["outcome"]) for r in _ledger(org)] == [
        ("openai/gpt-5-mini", "openai", "ok"),
        (MODEL, "anthropic", "refused:model"),
    ]


@pytest.mark.parametrize("scope", ["actor", "lane", "vendor", "task", "all"])
def test_a_kill_switch_refuses_the_next_model_call_not_the_next_claim(gw, org, scope):
    root, url, task, _jt = org
    token = _grant(gw, org)
    h = {"authorization": f"Bearer {token}"}
    assert (
        _post(gw.url + "/chat/completions", json={"model": MODEL, "messages": MSGS}, headers=h).status_code
        == 200
    )
    target = {"actor": BUILDER, "lane": "builder", "vendor": "anthropic", "task": task, "all": None}[scope]
    with Bus.open(url, root=root) as bus:
        bus.pause(scope, target, note="stop now")
    r = _post(gw.url + "/chat/completions", json={"model": MODEL, "messages": MSGS}, headers=h)
    assert r.status_code == 403 and "paused" in r.json()["error"]["message"]
    assert [row["outcome"] for row in _ledger(org, gw)] == ["ok", "refused:paused"]
    with Bus.open(url, root=root) as bus:
        bus.resume(scope, target)
    assert (
        _post(gw.url + "/chat/completions", json={"model": MODEL, "messages": MSGS}, headers=h).status_code
        == 200
    )


def test_a_flood_of_calls_is_refused_past_the_jobs_allowance(gw, org):
    token = _grant(gw, org, max_calls=3)
    h = {"authorization": f"Bearer {token}"}
    codes = [
        _post(gw.url + "/chat/completions", json={"model": MODEL, "messages": MSGS}, headers=h).status_code
        for _ in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]
    assert [r["outcome"] for r in _ledger(org, gw)] == ["ok"] * 3 + ["refused:allowance"] * 2


def test_a_booked_rate_budget_refuses_instead_of_queueing_forever(org, local):
    from org.agents.pacing import Limits, Pacer
    from org.config.loader import load_org

    root, url, task, jt = org
    cfg = load_org(root)
    pacer = Pacer(limits={"local": Limits(rpm=1)}, max_wait_s=0.5)
    with Gateway(
        cfg, doors(url, root, cfg), local_url=local.url, env={"ORG_MODELS": "local"}, pacer=pacer
    ).serve() as g:
        h = {"authorization": f"Bearer {g.grant(jt)}"}
        codes = [
            _post(g.url + "/chat/completions", json={"model": MODEL, "messages": MSGS}, headers=h).status_code
            for _ in range(2)
        ]
    assert codes == [200, 429]
    assert [r["outcome"] for r in _ledger(org)] == ["ok", "refused:rate"]


def test_two_runs_gateways_share_the_databases_rate_budget(org, local):
    """A second run on the same database starts its own gateway: the provider's budget is the database's, not
    one per gateway, so two gateways together get no more calls than one (ADR 0171 step 1)."""
    from org.agents.pacing import Limits
    from org.config.loader import load_org

    root, url, task, jt = org
    cfg = load_org(root)
    codes = []
    for _run in range(2):
        with Gateway.for_database(
            cfg,
            url,
            local_url=local.url,
            env={"ORG_MODELS": "local"},
            limits={"local": Limits(rpm=1)},
            max_wait_s=0.5,
        ).serve() as g:
            h = {"authorization": f"Bearer {g.grant(jt)}"}
            codes.append(
                _post(
                    g.url + "/chat/completions", json={"model": MODEL, "messages": MSGS}, headers=h
                ).status_code
            )
    assert codes == [200, 429]
    assert [r["outcome"] for r in _ledger(org)] == ["ok", "refused:rate"]


def test_paced_calls_on_many_connections_hold_a_bounded_number_of_bus_connections(org, local, monkeypatch):
    """Each HTTP connection is served by a thread of its own: pacing on the database must not open a bus per
    thread (on PostgreSQL, a connection each, never closed until the run ends)."""
    from org.agents.pacing import Limits
    from org.config.loader import load_org
    from org.gateway import server

    root, url, task, jt = org
    cfg = load_org(root)
    opened = []
    real_open = Bus.open
    monkeypatch.setattr(Bus, "open", lambda *a, **k: opened.append(1) or real_open(*a, **k))
    with Gateway.for_database(
        cfg, url, local_url=local.url, env={"ORG_MODELS": "local"}, limits={"local": Limits(rpm=60_000)}
    ).serve() as g:
        h = {"authorization": f"Bearer {g.grant(jt)}"}
        for _ in range(3 * server.MAX_BUSES):  # a new connection (and so a new server thread) per call
            r = _post(g.url + "/chat/completions", json={"model": MODEL, "messages": MSGS}, headers=h)
            assert r.status_code == 200
        assert g.flush()
    assert len(opened) <= server.MAX_BUSES


def test_provider_trouble_is_passed_on_and_counted(gw, org, local):
    token = _grant(gw, org)
    local.config.update({"down": True})
    r = _post(
        gw.url + "/chat/completions",
        json={"model": MODEL, "messages": MSGS},
        headers={"authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert r.status_code == 503
    assert {row["outcome"] for row in _ledger(org, gw)} == {"unavailable"}


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"messages": "hi"}', b'{"model": 5, "messages": []}'])
def test_unreadable_requests_are_400_in_the_callers_shape(gw, org, body):
    r = _post(
        gw.url + "/chat/completions", content=body, headers={"authorization": f"Bearer {_grant(gw, org)}"}
    )
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"


class _UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost")
        self.path_ = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path_)


def test_the_unix_socket_serves_the_same_gateway(gw, org):
    c = _UnixHTTP(str(gw.socket_path))
    c.request(
        "POST",
        "/v1/chat/completions",
        json.dumps({"model": MODEL, "messages": MSGS}),
        {"authorization": f"Bearer {_grant(gw, org)}", "content-type": "application/json"},
    )
    r = c.getresponse()
    assert r.status == 200 and json.loads(r.read())["choices"][0]["message"]["content"]
    assert oct(gw.socket_path.stat().st_mode & 0o777) == "0o600"


INSIDE = """
import http.client, json, socket, sys
class C(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX); self.sock.connect(sys.argv[1])
c = C("localhost")
c.request("POST", "/v1/chat/completions", json.dumps({"messages": [{"role": "user", "content": "hi"}]}),
          {"authorization": "Bearer " + sys.argv[2]})
r = c.getresponse(); print(r.status, json.loads(r.read())["usage"]["total_tokens"])
s = socket.socket(); s.settimeout(2)
print(s.connect_ex(("127.0.0.1", int(sys.argv[3]))))
"""


@pytest.mark.skipif(not probe()[0], reason="no working bubblewrap here")
def test_a_sandboxed_agent_reaches_the_gateway_only_through_its_socket(gw, org, tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    token = _grant(gw, org)
    port = int(gw.url.rsplit(":", 1)[1].split("/")[0])
    with Sandbox(ws, sockets={"gateway": gw.socket_path}) as sb:
        r = sb.run([sys.executable, "-c", INSIDE, sb.socket("gateway"), token, str(port)], timeout=60)
    status, total, tcp = r.stdout.decode().split()
    assert r.returncode == 0 and status == "200" and int(total) > 0, r.stderr.decode()
    assert tcp != "0"  # the gateway's loopback HTTP port is not reachable from the room
    assert [row["outcome"] for row in _ledger(org, gw)] == ["ok"]


def test_the_gateway_answers_no_provider_key_and_shows_none(gw, org, monkeypatch):
    body = json.dumps({"model": MODEL, "messages": MSGS}).encode()
    status, headers, data = gw.handle(
        "/v1/chat/completions", {"authorization": f"Bearer {_grant(gw, org)}"}, body
    )
    assert status == 200 and headers["x-org-family"] == "anthropic"
    assert b"org-local" not in data and b"api_key" not in data
    assert Path(gw.socket_path).exists()


def _claimed(org):
    """(the bus's claim of the builder's job on a task of its own, its job token, the builder's principal token)."""
    root, url = org[0], org[1]
    with Bus.open(url, root=root) as bus:
        g = Guard(bus, token_files=False)
        g.add_task(g.tokens.issue("alice", by="test")["token"], "Another", "change", by="alice")
        ptok = g.tokens.issue(BUILDER, by="test")["token"]
        claim, jt = g.claim(ptok, "builder", BUILDER)
    return claim, jt, ptok


def test_a_job_token_buys_a_gateway_token_that_dies_with_the_lease(gw, org):
    claim, jt, ptok = _claimed(org)
    r = _post(gw.url.removesuffix("/v1") + "/org/grant", headers={"authorization": f"Bearer {jt}"})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["job"] == claim.job and doc["actor"] == BUILDER and doc["models"] == [MODEL]
    h = {"authorization": f"Bearer {doc['token']}"}
    assert _post(gw.url + "/chat/completions", json={"messages": MSGS}, headers=h).status_code == 200
    row = _ledger(org, gw)[-1]
    assert (row["job"], row["task"], row["gate"], row["outcome"]) == (claim.job, claim.task, claim.gate, "ok")
    root, url = org[0], org[1]
    with Bus.open(url, root=root) as bus:
        Guard(bus, token_files=False).release(jt, claim.job, reason="done with it")
    r = _post(gw.url + "/chat/completions", json={"messages": MSGS}, headers=h)
    assert r.status_code == 401 and "lease is over" in r.json()["error"]["message"]
    assert _ledger(org, gw)[-1]["outcome"] == "refused:lease"
    # the job token no longer buys anything, and a principal token or a forged one never did
    for bad in (jt, ptok, "orgj_" + "0" * 16 + "_" + "0" * 64):
        r = _post(gw.url.removesuffix("/v1") + "/org/grant", headers={"authorization": f"Bearer {bad}"})
        assert r.status_code in (401, 409), (bad[:5], r.text)


def test_a_tasks_pinned_cascade_narrows_the_models_it_is_granted(org, local):
    """A task filed with `models` (its own policy layer) gets only those, whatever today's lane allows."""
    root, url = org[0], org[1]
    p = root / "lanes" / "builder.yaml"
    p.write_text(p.read_text() + f"models: [openai/gpt-5, {MODEL}]\n")
    from org.config.loader import load_org

    cfg = load_org(root)
    with Bus.open(url, root=root, config=cfg) as bus:
        narrowed = bus.add_task("narrow", workflow="change", by="alice", policy={"models": ["openai/gpt-5"]})
    with Gateway(cfg, doors(url, root, cfg), local_url=local.url, env={"ORG_MODELS": "local"}).serve() as g:
        h = {"authorization": f"Bearer {g.grant(claim_job(root, url, 'build-gpt', narrowed['task']))}"}
        r = _post(g.url + "/chat/completions", json={"model": MODEL, "messages": MSGS}, headers=h)
        assert (
            r.status_code == 403 and "pinned policy" in r.json()["error"]["message"]
        )  # today's lane allows it
        r = _post(g.url + "/chat/completions", json={"model": "openai/gpt-5", "messages": MSGS}, headers=h)
        assert r.status_code == 200
    assert [(r["model"], r["outcome"]) for r in _ledger(org)] == [
        (MODEL, "refused:model"),
        ("openai/gpt-5", "ok"),
    ]


def test_a_bus_the_gateway_cannot_read_refuses_the_call_fail_closed(org, local):
    """No switch read, no call: a gateway whose database is gone answers 503 and the model is never called."""
    from org.config.loader import load_org

    root, url, task, jt = org
    cfg = load_org(root)
    opened = []

    def gone():
        if opened:
            raise OSError("the database is gone")
        opened.append(1)
        return doors(url, root, cfg)()

    with Gateway(cfg, gone, local_url=local.url, env={"ORG_MODELS": "local"}).serve() as g:
        h = {"authorization": f"Bearer {g.grant(jt)}"}
        g._pool.get_nowait().close()  # the one door it had: its database is gone now
        r = _post(g.url + "/chat/completions", json={"model": MODEL, "messages": MSGS}, headers=h)
        assert r.status_code == 503 and "kill switches" in r.json()["error"]["message"]
        assert g.refusals[-1]["code"] == "switches"
    assert local.counts.get("ok", 0) == 0


def test_the_ledger_written_off_the_call_path_is_complete_when_the_gateway_stops(org, local):
    """Usage rows are written by a writer thread after the answer: stopping the gateway writes every one."""
    from org.config.loader import load_org

    root, url, task, jt = org
    cfg = load_org(root)
    with Gateway(cfg, doors(url, root, cfg), local_url=local.url, env={"ORG_MODELS": "local"}).serve() as g:
        h = {"authorization": f"Bearer {g.grant(jt)}"}
        for _ in range(5):
            assert _post(g.url + "/chat/completions", json={"messages": MSGS}, headers=h).status_code == 200
    assert [r["outcome"] for r in _ledger(org)] == ["ok"] * 5 == ["ok"] * local.counts["ok"]
