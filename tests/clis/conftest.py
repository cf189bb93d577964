"""Fixtures of the live CLI tests: the starter org whose builder lane is real CLI members, the demo's sample
repository (org/agents/demorepo.py), a loopback local model that counts its calls, `org run` in a subprocess
with a provider key in its environment that no CLI may see."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from org.runtime import probe
from tests.clis.installed import cli_path

MEMBERS = {
    "aider": "  - {id: build-aider, model: openai/gpt-5, runtime: aider}\n",
    "mini": "  - {id: build-mini, model: anthropic/claude-sonnet-4-5, runtime: mini-swe-agent}\n",
}


@dataclass
class LiveOrg:
    root: Path
    env: dict[str, str]
    key: str
    local: object
    tasks: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"sqlite:///{self.root / '.org' / 'org.db'}"

    def org(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "org", *args],
            capture_output=True,
            text=True,
            env={**os.environ, **self.env, "ORG_ROOT": str(self.root)},
            cwd=str(self.root),
            timeout=timeout,
        )

    def task(self, title: str, *sets: str) -> str:
        args = ["task", "add", title, "-w", "code", "--repo", "service", "--as", "alice", "--json"]
        for s in sets or ("kind=code",):
            args += ["--set", s]
        r = self.org(*args)
        assert r.returncode == 0, r.stderr
        self.tasks.append(json.loads(r.stdout)["task"])
        return self.tasks[-1]

    def run(self, *args: str) -> tuple[dict, float]:
        """`org run --json ARGS` until idle: its summary and wall seconds."""
        t0 = time.monotonic()
        r = self.org("run", "--json", *args, timeout=1500)
        wall = time.monotonic() - t0
        assert r.returncode == 0, r.stderr[-4000:]
        return json.loads(r.stdout), wall

    def usage(self) -> list[tuple]:
        from org.bus import Bus

        with Bus.open(self.url, root=self.root) as bus:
            return bus.store.read(
                lambda tx: tx.x("SELECT actor, job, task, outcome FROM usage ORDER BY id").all()
            )


@pytest.fixture
def live_org(org_copy):
    """make(*clis) -> LiveOrg: the builder lane's members are those CLIs (installed by .ci/clis/install)."""
    from org.agents.demorepo import reset_sample_repo
    from org.agents.localmodel import LocalModelConfig, LocalModelServer
    from org.config.loader import load_org

    if not probe()[0] and not os.environ.get("CI"):
        pytest.skip(f"no working bubblewrap here: {probe()[1]}")
    servers = []

    def make(*clis: str) -> LiveOrg:
        path = cli_path(*clis)
        lane = org_copy / "lanes" / "builder.yaml"
        head, _, tail = lane.read_text().partition("members:\n")
        members = "".join(MEMBERS[c] for c in clis)
        lane.write_text(head + "members:\n" + members + "concurrency:" + tail.split("concurrency:", 1)[1])
        reset_sample_repo(load_org(org_copy))
        local = LocalModelServer(LocalModelConfig(seed=3, defect_rate=0.0)).start()
        servers.append(local)
        key = "sk-" + uuid.uuid4().hex  # the user's provider key: org's to hold, never a CLI's
        env = {
            "ORG_CLI_PATH": path,
            "ORG_MODELS": "local",
            "ORG_LOCAL_MODEL_URL": local.url,
            "OPENAI_API_KEY": key,
        }
        return LiveOrg(org_copy, env, key, local)

    yield make
    for s in servers:
        s.stop()
