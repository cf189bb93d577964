"""A run's gateway (org.gateway.service.RunGateway) and an agent's way in (model_access): real processes that
hold only a job token reach the models through it, over loopback HTTP or, from a sandbox, its Unix socket;
provider keys stay in the gateway's process; a token that is not a live job token buys nothing."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from org.bus import Bus
from org.errors import Conflict, Denied, UsageError
from org.gateway.service import ROUTES_ENV, SOCKET_ENV, URL_ENV, GatewayGone, RunGateway, model_access
from org.identity.bootstrap import first_use_tokens
from org.identity.guard import Guard
from org.runtime import Sandbox, probe

BUILDER = "build-claude"
MODEL = "anthropic/claude-sonnet-4-5"
FAKE_KEY = "sk-ant-api03-" + "k" * 40


@pytest.fixture
def run(org_copy):
    from org.config.loader import load_org

    url = f"sqlite:///{org_copy / '.org' / 'org.db'}"
    with Bus.open(url, root=org_copy) as bus:
        bus.add_task("Gateway service test", workflow="change", by="alice")
        first_use_tokens(bus)
    cfg = load_org(org_copy)
    env = {"ORG_MODELS": "local", "ANTHROPIC_API_KEY": FAKE_KEY, "PATH": os.environ.get("PATH", "")}
    with RunGateway(cfg, url, env=env) as gw:
        yield gw, url, org_copy


def _claim(url, root):
    with Bus.open(url, root=root) as bus:
        g = Guard(bus, token_files=False)
        ptok = g.tokens.issue(BUILDER, by="test")["token"]
        claim, jt = g.claim(ptok, "builder", BUILDER)
    return claim, jt, ptok


def _usage(url, root) -> list[tuple]:
    with Bus.open(url, root=root) as bus:
        return bus.store.read(lambda tx: tx.x("SELECT actor, job, task, model, outcome FROM usage").all())


AGENT = r"""
import json, os, sys
from org.gateway.service import model_access
a = model_access(sys.argv[1])
import openai
c = openai.OpenAI(base_url=a.base_url, api_key=a.token, max_retries=0)
r = c.chat.completions.create(model=sys.argv[2], messages=[{"role": "user", "content": "hello"}])
keys = sorted(k for k, v in os.environ.items() if "sk-ant" in v)
print(json.dumps({"job": a.job, "models": list(a.models), "text": r.choices[0].message.content, "keys": keys}))
"""


def _agent_env(gw) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), **gw.environ()}


def test_an_agent_process_with_only_its_job_token_calls_models_counted_at_the_gateway(run):
    gw, url, root = run
    claim, jt, _ = _claim(url, root)
    env = _agent_env(gw)
    assert set(env) == {"PATH", "HOME", URL_ENV, SOCKET_ENV, ROUTES_ENV}
    assert not any(FAKE_KEY in v for v in env.values())
    p = subprocess.run(
        [sys.executable, "-c", AGENT, jt, MODEL], env=env, capture_output=True, text=True, timeout=120
    )
    assert p.returncode == 0, p.stderr
    import json

    doc = json.loads(p.stdout)
    assert doc["job"] == claim.job and doc["models"] == [MODEL] and doc["text"] and doc["keys"] == []
    assert gw.gateway.flush()
    assert _usage(url, root) == [(BUILDER, claim.job, claim.task, MODEL, "ok")]


@pytest.mark.skipif(not probe()[0], reason="no working bubblewrap here")
def test_a_sandboxed_agent_gets_its_access_through_the_socket(run, tmp_path):
    gw, url, root = run
    claim, jt, _ = _claim(url, root)
    ws = tmp_path / "ws"
    ws.mkdir()
    code = (
        "import sys; from org.gateway.service import model_access; a = model_access(sys.argv[1]); "
        "print(a.job, a.token[:5], a.base_url)"
    )
    env = {SOCKET_ENV: "/run/org/gateway.sock"}
    with Sandbox(ws, sockets={"gateway": gw.socket_path}, env=env) as sb:
        assert sb.socket("gateway") == env[SOCKET_ENV]
        r = sb.run([sys.executable, "-c", code, jt], timeout=60)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout.decode().split() == [str(claim.job), "orgg_", "None"]


def test_what_is_not_a_live_job_token_buys_no_access(run):
    gw, url, root = run
    claim, jt, ptok = _claim(url, root)
    env = gw.environ()
    for bad in (ptok, "", "orgj_" + "0" * 16 + "_" + "0" * 64, "hunter2"):
        with pytest.raises(Denied):
            model_access(bad, env=env)
    a = model_access(jt, env=env)
    with Bus.open(url, root=root) as bus:
        Guard(bus, token_files=False).submit(jt, claim.job, "pass", note="done")
    with pytest.raises(Conflict):
        model_access(jt, env=env)
    import openai

    with pytest.raises(openai.AuthenticationError):  # its gateway token died with the lease
        openai.OpenAI(base_url=a.base_url, api_key=a.token, max_retries=0).chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "x"}]
        )


def test_model_access_needs_a_loopback_gateway(run):
    with pytest.raises(UsageError, match="no model gateway"):
        model_access("orgj_x", env={})
    for url in ("http://evil.example:80/v1", "https://127.0.0.1/v1", "file:///etc/passwd"):
        with pytest.raises(UsageError, match="loopback"):
            model_access("orgj_x", env={URL_ENV: url})
    with pytest.raises(GatewayGone, match="cannot be reached"):
        model_access("orgj_x", env={SOCKET_ENV: "/nonexistent/gateway.sock"})


def test_an_in_process_grant_and_its_revocation(run):
    gw, url, root = run
    import openai

    claim, jt, ptok = _claim(url, root)
    with pytest.raises(Denied):  # only a live job token buys a grant, in this process too (ADR 0157)
        gw.access(ptok)
    a = gw.access(jt)
    assert a.job == claim.job and a.base_url == gw.url and a.models == (MODEL,) and "token" not in a.to_json()
    assert a.env()["OPENAI_API_KEY"] == a.token and FAKE_KEY not in a.env().values()
    c = openai.OpenAI(base_url=a.base_url, api_key=a.token, max_retries=0)
    assert c.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}]).choices
    gw.revoke(a)
    with pytest.raises(openai.AuthenticationError):
        c.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}])
