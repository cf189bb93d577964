"""The real aider and mini-swe-agent as builders, live and offline: each claims the work job of the demo's
repository task, runs in the job's bubblewrap room (its workspace the only writable path, no network: the
model gateway's Unix socket behind the relay on the room's own loopback), calls the deterministic local model
only through org's gateway with the per-job gateway token (no provider key in its reach, though the user's
environment holds one), and changes the webhook sender; org commits what it left and the diff guard checks it;
the gateway's usage ledger holds one row per model call the CLI made, against the job."""

from __future__ import annotations

import os
import re
import time
import uuid
from pathlib import Path

import pytest

from org.runtime import probe
from tests.clis.installed import require

pytestmark = pytest.mark.slow
TITLE = "Add retry with backoff to the webhook sender"
SENDER = "webhooks/sender.py"
ACTOR = "build-gpt"  # openai/gpt-5: served by the local model when no key is configured for org (ORG_MODELS=local)


@pytest.fixture
def demo(org_copy, monkeypatch):
    """The starter org with the demo's sample repository (org/agents/demorepo.py), a code task on it, and a
    provider key in the user's environment that no CLI may see."""
    from org.agents.demorepo import reset_sample_repo
    from org.bus import Bus
    from org.config.loader import load_org
    from org.identity.bootstrap import agent_tokens, first_use_tokens

    if not probe()[0] and not os.environ.get("CI"):
        pytest.skip(f"no working bubblewrap here: {probe()[1]}")
    key = "sk-" + uuid.uuid4().hex
    monkeypatch.setenv("OPENAI_API_KEY", key)
    cfg = load_org(org_copy)
    reset_sample_repo(cfg)
    url = f"sqlite:///{org_copy / '.org' / 'org.db'}"
    with Bus.open(url, root=org_copy, config=cfg) as bus:
        first_use_tokens(bus)
        toks = agent_tokens(bus)
        task = bus.add_task(TITLE, "code", by="alice", attributes={"kind": "code"}, repo="service")["task"]
    return org_copy, cfg, url, toks, task, key


def _usage(url: str, root: Path, job: int) -> list[tuple]:
    from org.bus import Bus

    with Bus.open(url, root=root) as bus:
        return bus.store.read(
            lambda tx: tx.x(
                "SELECT actor, task, outcome FROM usage WHERE job = :j ORDER BY id", {"j": job}
            ).all()
        )


# aider keeps its repo map's cache in the workspace (.aider.tags.cache.v4, an SQLite file): removed in the room
# when aider ends, unless the repository tracks it, so org does not commit it (the diff guard refuses binary files)
AIDER_AFTER = (
    '"$@"; rc=$?; for d in ./.aider.tags.cache.v*; do '
    'if [ -d "$d" ] && [ ! -L "$d" ] && [ -z "$(git ls-files -- "$d")" ]; then rm -rf -- "$d"; fi; done; exit $rc'
)


def _argv(cli: str, exe: Path, model: str, prompt: str) -> tuple[list[str], dict[str, str]]:
    called = f"openai/{model}"  # litellm inside the CLI speaks OpenAI's wire to the gateway
    if cli == "aider":
        return [
            "/bin/sh",
            "-c",
            AIDER_AFTER,
            "aider",
            str(exe),
            "--model",
            called,
            "--edit-format",
            "diff",
            "--message",
            prompt,
            "--yes-always",
            "--no-auto-commits",
            "--no-dirty-commits",
            "--no-check-update",
            "--no-analytics",
            "--no-show-model-warnings",
            "--no-show-release-notes",
            "--no-pretty",
            "--no-stream",
            "--no-gitignore",
            "--chat-history-file",
            "/dev/null",
            "--input-history-file",
            "/dev/null",
        ], {"LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    return [str(exe), "-m", called, "-t", prompt, "--yolo", "--exit-immediately", "-o", "/dev/null"], {
        "MSWEA_CONFIGURED": "true",
        "MSWEA_SILENT_STARTUP": "1",
        "MSWEA_COST_TRACKING": "ignore_errors",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    }


def _prompt(h: dict) -> str:
    return "\n".join(
        [
            f"Task {h['task']}: {h['title']}",
            f"Gate: {h['gate']} (round {h.get('round', 0)})",
            f"Attributes: {__import__('json').dumps(h.get('attributes') or {}, sort_keys=True)}",
            "Tests: python3 -m unittest discover -q -s tests -t .",
            "Work in the current directory. Do not commit: org commits what you leave and checks it.",
        ]
    )


def _work_as(cli: str, demo) -> dict:
    """Claim the task's builder jobs one by one and have the CLI do each in its room; what happened."""
    from org.agents.handover import claim_job
    from org.agents.localmodel import LocalModelConfig
    from org.gateway.service import RunGateway, model_access
    from org.identity.guard import Guard
    from org.runtime import Limits, job_sandbox, relay_argv
    from org.runtime.relay import TOKEN_ENV
    from org.workspaces import service as workspaces

    root, cfg, url, toks, task, key = demo
    exe = require(cli)
    jobs = []
    env = {"ORG_MODELS": "local", "OPENAI_API_KEY": key}
    with RunGateway(cfg, url, env=env, local_config=LocalModelConfig(defect_rate=0.0)) as gw:
        local = gw._local.server
        for _ in range(4):
            with Guard.open(root=root) as door:
                h = claim_job(door, toks[ACTOR], "builder", ACTOR)
            if h is None:
                break
            assert h["task"] == task
            access = model_access(h["token"], env=gw.environ())
            ws = Path(h["workspace"]["path"])
            argv, cli_env = _argv(cli, exe, access.models[0], _prompt(h))
            room = job_sandbox(
                ws,
                sockets={"gateway": gw.socket_path},
                env={TOKEN_ENV: access.token, **cli_env},
                read_only=[exe.parent.parent, *workspaces.room_reads(cfg, "service")],
                limits=Limits(wall_s=300),
            )
            assert room.isolated
            seen = room.environment()
            assert key not in seen.values() and "OPENAI_API_KEY" not in seen  # the relay sets it to the token
            before = local.stats()["served"]
            t0 = time.monotonic()
            res = room.run(relay_argv(argv, socket=room.socket("gateway")))
            wall = time.monotonic() - t0
            out = res.stdout.decode(errors="replace") + res.stderr.decode(errors="replace")
            assert res.ok, out[-3000:]
            calls = local.stats()["served"] - before
            access.flush()
            with Guard.open(root=root) as door:
                sub = door.submit(h["token"], h["job"], "pass", note=f"{cli} did it", workspaces=workspaces)
            jobs.append(
                {"job": h["job"], "gate": h["gate"], "calls": calls, "wall_s": wall, "out": out, "sub": sub}
            )
    return {"jobs": jobs, "root": root, "url": url, "task": task}


def _check(cli: str, done: dict) -> None:
    from org.bus import Bus
    from tests.workspaces.gitrepo import sh_git

    jobs, root, url, task = done["jobs"], done["root"], done["url"], done["task"]
    assert [j["gate"] for j in jobs][-1] == "implement", [j["gate"] for j in jobs]
    for j in jobs:
        rows = _usage(url, root, j["job"])
        # every model call the CLI made went through the gateway and is counted there, against this job
        assert len(rows) == j["calls"] >= 1, (rows, j["calls"])
        assert {r[0] for r in rows} == {ACTOR} and {r[1] for r in rows} == {task}
        assert {r[2] for r in rows} == {"ok"}
        print(f"{cli}: job {j['job']} ({j['gate']}): {j['calls']} model calls, {j['wall_s']:.1f} s")
    with Bus.open(url, root=root) as bus:
        view = bus.task(task)
    rev = view["revision"]
    mirror = root / ".org" / "repos" / "service.git"
    changed = sh_git(mirror, "show", "--name-only", "--format=", rev).split()
    assert changed == [SENDER], changed  # the CLI's own state files (.aider*, trajectories) stay out
    text = sh_git(mirror, "show", f"{rev}:{SENDER}")
    assert "time.sleep(delay * 2 ** attempt)" in text
    assert view["state"]["gates"]["implement"]["status"] == "passed", view["state"]["gates"]


def test_aider_builds_the_change_in_its_room_through_the_gateway(demo):
    done = _work_as("aider", demo)
    impl = done["jobs"][-1]
    assert re.search(r"Applied edit to webhooks/sender\.py", impl["out"]), impl["out"][-2000:]
    _check("aider", done)


def test_mini_swe_agent_builds_the_change_in_its_room_through_the_gateway(demo):
    done = _work_as("mini", demo)
    _check("mini", done)
