"""`org run` with a provider key in the user's environment: the key stays in the supervisor, whose model
gateway makes those calls (a job token buys each job's gateway token) and counts each one server-side; the
agent host's environment holds no provider key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

from org.agents.host import agent_environment, gateway_providers
from org.agents.localmodel import LocalModelConfig, LocalModelServer
from org.bus import Bus
from org.config.loader import load_org


def test_the_agent_hosts_environment_holds_no_provider_key(org_copy):
    cfg = load_org(org_copy)
    env = {"OPENAI_API_KEY": "sk-a", "ANTHROPIC_API_KEY": "sk-b", "GEMINI_API_KEY": "g", "AWS_ACCESS_KEY_ID": "x",
           "ORG_GATEWAY_URL": "http://evil/v1", "PATH": "/usr/bin"}

    class Gw:
        url, providers = "http://127.0.0.1:1/v1", ["anthropic", "openai"]

    host = agent_environment(cfg, env, "/tmp/home")
    assert not {"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "AWS_ACCESS_KEY_ID", "ORG_GATEWAY_URL"} & set(host)
    host = agent_environment(cfg, env, "/tmp/home", Gw())
    assert host["ORG_GATEWAY_URL"] == Gw.url and host["ORG_GATEWAY_PROVIDERS"] == "anthropic,openai"
    assert "sk-a" not in json.dumps(host) and "sk-b" not in json.dumps(host)
    assert gateway_providers(cfg, {"OPENAI_API_KEY": "k"}) == ["openai"]
    assert gateway_providers(cfg, {"OPENAI_API_KEY": "k", "ORG_MODELS": "local"}) == []


def test_org_run_calls_a_keyed_provider_only_through_the_gateway(org_copy, tmp_path):
    url = f"sqlite:///{tmp_path / 'org.db'}"
    key = "sk-canary-" + uuid.uuid4().hex
    builder = org_copy / "lanes" / "builder.yaml"  # the builder is the keyed vendor's, so the run must use it
    builder.write_text(builder.read_text().replace("  - {id: build-claude, model: anthropic/claude-sonnet-4-5}\n", ""))
    cfg = load_org(org_copy)
    with LocalModelServer(LocalModelConfig(seed=3, defect_rate=0.0)) as srv, \
            Bus.open(url, root=org_copy, config=cfg) as bus:
        task = bus.add_task("Document retry policy", "change", attributes={"kind": "docs"})["task"]
        # "openai" is the loopback model, reached with the user's key; the other vendors go to it keyless
        env = {**os.environ, "ORG_ROOT": str(org_copy), "ORG_DATABASE_URL": url, "OPENAI_API_KEY": key,
               "OPENAI_API_BASE": srv.url, "ORG_LOCAL_MODEL_URL": srv.url, "ORG_MODELS": "auto"}
        env.pop("ANTHROPIC_API_KEY", None)
        env.pop("GEMINI_API_KEY", None)
        p = subprocess.run([sys.executable, "-m", "org", "run", "--json"], cwd=str(org_copy), env=env,
                           capture_output=True, text=True, timeout=600)
        assert p.returncode == 0, p.stderr[-3000:]
        assert "go through org's model gateway" in p.stderr and key not in p.stdout + p.stderr
        report = json.loads(p.stdout)
        assert bus.task(task)["status"] == "done"
        rows = bus.store.read(lambda tx: tx.x("SELECT actor, model, job, outcome FROM usage ORDER BY id").all())
        openai_rows = [r for r in rows if r[1].startswith("openai/")]
        assert any(r[0] == "build-gpt" for r in openai_rows) and all(r[2] is not None and r[3] == "ok" for r in openai_rows)
        # every call made was recorded once: by the gateway for the keyed provider, by the host for the rest
        assert len(rows) == srv.stats()["counts"]["ok"] == report["calls"]
