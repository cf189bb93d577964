"""The built-in agents call models only through the run's model gateway (ADR 0170): with provider keys in the
user's environment, no process of `org run` but the supervisor (where the gateway serves) holds one; every
call is counted in the usage ledger by the gateway, against its job, whatever the agent does about usage; a
kill switch thrown after a job's claim refuses its very next model call."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from org.agents.runner import RunOptions
from org.agents.session import AgentSession
from org.bus import Bus
from org.config.loader import load_org


def _environ(pid: int) -> bytes | None:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return None


def _ours(marker: bytes) -> dict[int, tuple[str, bytes]]:
    """pid -> (command line, environ) of every live process that carries this test's marker variable."""
    out = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            before = (d / "cmdline").read_bytes()
            env = _environ(int(d.name))
            after = (d / "cmdline").read_bytes()
        except OSError:
            continue
        if env is None or marker not in env.split(b"\0"):
            continue
        if not before or before != after:
            continue  # exec'd or exited while read: environ and command line may be of two different images
        out[int(d.name)] = (before.replace(b"\0", b" ").decode(errors="replace"), env)
    return out


def _rooms() -> dict[int, bytes]:
    """pid -> environ of every live built-in agent worker in its room (org.agents.worker; ADR 0171). A room's
    environment is an allow-list, so it carries no test marker: found by its command line."""
    out = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes()
            env = _environ(int(d.name))
        except OSError:
            continue
        if env is not None and b"org.agents.worker" in cmd and b"bwrap" not in cmd.split(b"\0")[0]:
            out[int(d.name)] = env
    return out


def _usage(url: str, root: Path) -> list[tuple]:
    with Bus.open(url, root=root) as bus:
        return bus.store.read(
            lambda tx: tx.x("SELECT actor, job, task, lane, outcome FROM usage ORDER BY id").all()
        )


@pytest.mark.slow
def test_org_run_holds_provider_keys_in_the_gateway_only_and_the_gateway_counts_every_call(org_copy):
    root = org_copy
    url = f"sqlite:///{root / '.org' / 'org.db'}"
    with Bus.open(url, root=root) as bus:
        task = bus.add_task("Document the retry policy", "change", attributes={"kind": "docs"})["task"]
    keys = {
        "OPENAI_API_KEY": "sk-test-" + uuid.uuid4().hex,
        "ANTHROPIC_API_KEY": "sk-ant-test-" + uuid.uuid4().hex,
        "GEMINI_API_KEY": "gem-test-" + uuid.uuid4().hex,
        "MISTRAL_API_KEY": "mis-test-" + uuid.uuid4().hex,
    }
    marker = "ORG_TEST_RUN=" + uuid.uuid4().hex
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("ORG_DATABASE_URL", "ORG_TOKEN")},
        **keys,
        marker.split("=")[0]: marker.split("=")[1],
        "ORG_ROOT": str(root),
        "ORG_MODELS": "local",  # the keys are fake: every member is served by the local model, via the gateway
    }
    run = subprocess.Popen(
        [sys.executable, "-m", "org", "run", "--watch", "--json"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    seen: dict[int, tuple[str, bytes]] = {}
    try:
        deadline = time.monotonic() + 120
        status = None
        while time.monotonic() < deadline and run.poll() is None:
            seen.update(_ours(marker.encode()))  # every process of the run while it works
            with Bus.open(url, root=root) as bus:
                status = bus.task(task)["status"]
            if status == "done":
                break
            time.sleep(0.2)  # polling for the run's progress, not a synchronisation by sleep
        assert status == "done", run.stderr.read() if run.poll() is not None else status
        seen.update(_ours(marker.encode()))
        host = [pid for pid, (_cmd, e) in seen.items() if b"ORG_AGENT_HOST=1" in e.split(b"\0")]
        broker = [pid for pid, (cmd, _e) in seen.items() if " broker serve" in cmd]
        assert run.pid in seen and host and broker, {p: c for p, (c, _e) in seen.items()}
        for pid, (cmd, environ) in seen.items():
            if pid != run.pid and (cmd, environ) == seen[run.pid]:
                continue  # a child sampled between fork and exec: still the supervisor's image (it exited since)
            held = sorted(k for k, v in keys.items() if v.encode() in environ or v in cmd)
            if pid == run.pid:  # the supervisor: the gateway serves there, and it holds them all
                assert held == sorted(keys)
            else:
                assert held == [], f"{cmd} holds {held}"
    finally:
        os.killpg(run.pid, signal.SIGINT)
        out, err = run.communicate(timeout=60)
    assert run.returncode == 0, err[-2000:]
    report = json.loads(out)
    rows = _usage(url, root)
    # two jobs (builder, reviewer), each call in the ledger once, against its job, written by the gateway
    assert report["calls"] == len(rows) >= 2 and {r[4] for r in rows} == {"ok"}
    assert all(r[1] is not None and r[2] == task for r in rows)
    assert not any(v in out + err for v in keys.values())


@pytest.mark.slow
def test_org_demo_holds_provider_keys_in_the_gateway_only(org_copy):
    root = org_copy
    keys = {
        "OPENAI_API_KEY": "sk-test-" + uuid.uuid4().hex,
        "ANTHROPIC_API_KEY": "sk-ant-test-" + uuid.uuid4().hex,
    }
    marker = "ORG_TEST_RUN=" + uuid.uuid4().hex
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("ORG_DATABASE_URL", "ORG_TOKEN")},
        **keys,
        marker.split("=")[0]: marker.split("=")[1],
        "ORG_ROOT": str(root),
        "ORG_MODELS": "local",
    }
    demo = subprocess.Popen(
        [sys.executable, "-m", "org", "demo", "--json"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    seen: dict[int, tuple[str, bytes]] = {}
    rooms: dict[int, bytes] = {}
    try:
        deadline = time.monotonic() + 300
        while demo.poll() is None and time.monotonic() < deadline:
            seen.update(_ours(marker.encode()))
            rooms.update(_rooms())
            time.sleep(0.1)  # sampling the demo's processes while it runs
        out = demo.communicate(timeout=60)[0]
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
    assert demo.returncode == 0
    host = [pid for pid, (_cmd, e) in seen.items() if b"ORG_AGENT_HOST=1" in e.split(b"\0")]
    assert demo.pid in seen and host
    for pid, (cmd, environ) in seen.items():
        if pid != demo.pid and (cmd, environ) == seen[demo.pid]:
            continue  # a child sampled between fork and exec: still the supervisor's image (it exited since)
        held = sorted(k for k, v in keys.items() if v.encode() in environ or v in cmd)
        assert held == (sorted(keys) if pid == demo.pid else []), cmd
    # every job's worker in its room (when bubblewrap works here): none of the user's environment, no key, no
    # database, no pepper; only the allow-list and the sockets' in-room paths
    from org.runtime import probe

    assert bool(rooms) == probe()[0], (len(rooms), probe())
    for pid, environ in rooms.items():
        names = {v.split(b"=", 1)[0].decode() for v in environ.split(b"\0") if v}
        assert not any(v.encode() in environ for v in keys.values()), pid
        assert marker.split("=")[0] not in names and "ORG_ROOT" not in names, names
        assert not names & {"ORG_DATABASE_URL", "ORG_PEPPER_FD", "ORG_TOKEN", "ORG_CONFIG_HOME"}, names
        assert {"ORG_BUS_SOCKET", "ORG_GATEWAY_SOCKET"} <= names, names
        assert b"ORG_BUS_SOCKET=/run/org/bus.sock" in environ.split(b"\0")
    summary = json.loads(out)
    rows = _usage(f"sqlite:///{root / '.org' / 'org.db'}", root)
    assert summary["calls"] == len(rows) > 0 and all(r[1] is not None for r in rows)


def _session(org_copy, tmp_path, local_server):
    cfg = load_org(org_copy)
    url = f"sqlite:///{tmp_path / 'bus.db'}"
    env = {"ORG_LOCAL_MODEL_URL": local_server.url, "ORG_MODELS": "local"}
    return cfg, url, env


def test_the_ledger_is_the_gateways_an_agent_that_records_nothing_is_still_counted(
    org_copy, tmp_path, local_server, monkeypatch
):
    from org.identity.guard import Guard

    cfg, url, env = _session(org_copy, tmp_path, local_server)

    import threading

    real = Guard.record_usage

    def no_usage(*a, **k):  # the gateway's ledger writes as the job's holder (ADR 0157); no agent does
        if threading.current_thread().name != "org-gateway-ledger":
            raise AssertionError("a built-in agent recorded its own usage")
        return real(*a, **k)

    monkeypatch.setattr(Guard, "record_usage", no_usage)
    with Bus.open(url, root=org_copy, config=cfg) as bus:
        t = bus.add_task("Document the retry policy", "change", attributes={"kind": "docs"})["task"]
    with AgentSession(cfg, url, env=env) as s:
        rep = s.dispatcher(RunOptions(lease_s=60)).run()
    assert rep.outcomes == {"submitted": 2}
    rows = _usage(url, org_copy)
    assert len(rows) == rep.calls == local_server.stats()["counts"]["requests"]
    with Bus.open(url, root=org_copy, config=cfg) as bus:
        jobs = {j["job"]: j["lane"] for j in bus.task(t)["jobs"]}
    assert sorted((r[1], r[3]) for r in rows) == sorted(jobs.items())


def test_a_pause_after_the_claim_refuses_the_next_model_call_at_the_gateway(
    org_copy, tmp_path, local_server, monkeypatch
):
    """The switch is thrown between the claim (and the agent's own check) and the call: the gateway refuses
    the call itself, the ledger says why against the job, and the job goes back to the queue."""
    cfg, url, env = _session(org_copy, tmp_path, local_server)
    with Bus.open(url, root=org_copy, config=cfg) as bus:
        t = bus.add_task("Document the retry policy", "change", attributes={"kind": "docs"})["task"]
    with AgentSession(cfg, url, env=env) as s:
        granted = s.runner.models

        def access_then_pause(job_token):
            a = granted(job_token)
            with Bus.open(url, root=org_copy, config=cfg) as bus:
                bus.pause("lane", "builder", note="stop the builders")
            return a

        s.runner.models = access_then_pause
        from org.agents import jobwork

        calls_before = local_server.stats()["counts"].get("requests", 0)
        # the agent's own check between steps misses it (a race, or a misbehaving agent)
        monkeypatch.setattr(jobwork, "holding_switch", lambda *a, **k: None)
        rep = s.dispatcher(RunOptions(lease_s=60, lanes=("builder",))).run()
    assert local_server.stats()["counts"].get("requests", 0) == calls_before  # no call reached the model
    assert rep.outcomes == {"released": 1}
    rows = _usage(url, org_copy)
    with Bus.open(url, root=org_copy, config=cfg) as bus:
        (job,) = bus.task(t)["jobs"]
        assert job["status"] == "queued"
        rel = [e for e in bus.events_since(0, task=t) if e["type"] == "job.released"]
    assert rows == [("build-claude", job["job"], t, "builder", "refused:paused")] or rows == [
        ("build-gpt", job["job"], t, "builder", "refused:paused")
    ]
    assert "paused" in rel[0]["data"]["reason"]


def test_a_gateway_that_is_gone_stops_the_run_with_why_and_loses_no_job(org_copy, tmp_path, local_server):
    """No claim-and-release loop against a dead gateway: the first job that cannot reach it goes back to the
    queue with the reason, and the run stops saying so."""
    cfg, url, env = _session(org_copy, tmp_path, local_server)
    with Bus.open(url, root=org_copy, config=cfg) as bus:
        t = bus.add_task("Document the retry policy", "change", attributes={"kind": "docs"})["task"]
    with AgentSession(cfg, url, env=env) as s:
        s._gateway.gateway.stop()  # the gateway dies before the first job asks it for access
        rep = s.dispatcher(RunOptions(lease_s=60, max_jobs=50)).run()
    # each builder worker may meet the dead gateway once before the stop reaches it; none comes back for more
    assert rep.stopped_by == "gateway_gone" and rep.jobs <= cfg.lanes["builder"].concurrency, rep.jobs
    assert "gateway" in rep.failures[0]["detail"]
    with Bus.open(url, root=org_copy, config=cfg) as bus:
        (job,) = bus.task(t)["jobs"]
        rel = [e for e in bus.events_since(0, task=t) if e["type"] == "job.released"]
    assert job["status"] == "queued" and "gateway cannot be reached" in rel[0]["data"]["reason"]
    assert _usage(url, org_copy) == []


def test_the_agent_host_and_the_broker_get_no_provider_key_whatever_its_name(org_copy):
    """Every provider's variables and any *_API_KEY stay out of the agent host's environment (and cloud
    credentials, org's secrets); the broker keeps only the credentials the org declares, even one named like a
    provider key."""
    from org.agents.host import agent_environment, broker_environment

    gh = org_copy / "gates" / "credentials.yaml"
    gh.write_text(gh.read_text().replace("env: ORG_SECRET_JIRA", "env: JIRA_API_KEY"))
    cfg = load_org(org_copy)
    user = {
        "OPENAI_API_KEY": "sk-1",
        "ANTHROPIC_API_KEY": "sk-2",
        "GOOGLE_API_KEY": "g",
        "AWS_ACCESS_KEY_ID": "a",
        "AWS_SECRET_ACCESS_KEY": "s",
        "AWS_REGION": "eu-west-1",
        "AZURE_OPENAI_API_KEY": "z",
        "TOGETHERAI_API_KEY": "t",
        "SOMENEWVENDOR_API_KEY": "n",
        "openrouter_api_key": "lower",
        "JIRA_API_KEY": "declared",
        "ORG_SECRET_GITHUB": "declared-too",
        "PGPASSWORD": "pg",
        "PATH": "/usr/bin",
        "ORG_MODELS": "local",
    }
    host = agent_environment(cfg, user, "/tmp/home")
    assert set(host) == {"PGPASSWORD", "PATH", "ORG_MODELS", "ORG_CONFIG_HOME", "ORG_AGENT_HOST"}
    broker = broker_environment(cfg, user)
    # the AWS pair goes together (bedrock's key); a region is no secret, but the agent host needs none of AWS_*
    assert set(broker) == {
        "JIRA_API_KEY",
        "ORG_SECRET_GITHUB",
        "AWS_REGION",
        "PGPASSWORD",
        "PATH",
        "ORG_MODELS",
    }


def test_the_agent_host_environment_is_an_allow_list(org_copy):
    """Any credential a user's shell holds, whatever its name (a provider token not called *_API_KEY, a forge
    token, a DSN with a password, a custom secret), stays out of the agent host: it gets what it needs by name
    (PATH, HOME, locale, PG* while it opens the database, org's own non-secret ORG_* settings)."""
    from org.agents.host import agent_environment
    from org.config.loader import load_org

    cfg = load_org(org_copy)
    creds = {
        n: "secret-value"
        for n in (
            "REPLICATE_API_TOKEN",
            "HF_TOKEN",
            "HUGGINGFACE_HUB_TOKEN",
            "WATSONX_APIKEY",
            "WATSONX_TOKEN",
            "DATABRICKS_TOKEN",
            "CLOUDFLARE_API_TOKEN",
            "ANTHROPIC_AUTH_TOKEN",
            "GITHUB_TOKEN",
            "MY_SERVICE_DSN",  # postgres://u:pw@host/db: no secret pattern catches it
            "SENTRY_DSN",
            "HTTPS_PROXY",
            "SOMEVENDOR_KEY",
            "ORG_SECRET_UNDECLARED",
            "ORG_TOKEN",
            "ORG_TOKEN_PEPPER",
            "OTEL_EXPORTER_OTLP_HEADERS",
        )
    }
    needed = {
        "PATH": "/usr/bin",
        "HOME": "/home/u",
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        "PGHOST": "127.0.0.1",
        "PGPASSWORD": "pg",
        "ORG_MODELS": "local",
        "ORG_DEBUG": "1",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
    }
    host = agent_environment(cfg, {**creds, **needed}, "/tmp/home")
    assert not set(host) & set(creds), sorted(set(host) & set(creds))
    assert set(host) == set(needed) | {"ORG_CONFIG_HOME", "ORG_AGENT_HOST"}
    assert "secret-value" not in host.values()
