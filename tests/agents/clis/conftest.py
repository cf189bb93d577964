"""Fixtures of the CLI adapters' tests: fake CLIs replaying recorded transcripts (tests/data/clis), an org whose
builder lane is one CLI member, and a real bus, gateway (local model) and git workspace."""

from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path

import pytest

from tests.agents.conftest import local_server  # noqa: F401
from tests.workspaces.conftest import source, ws_org  # noqa: F401

DATA = Path(__file__).resolve().parents[2] / "data" / "clis"

MEMBERS = {
    "claude": "{id: build-cli, model: anthropic/claude-sonnet-4-5, runtime: claude}",
    "codex": "{id: build-cli, model: openai/gpt-5, runtime: codex}",
    "opencode": "{id: build-cli, model: openai/gpt-5, runtime: opencode}",
    "aider": "{id: build-cli, model: openai/gpt-5, runtime: aider}",
    "mini-swe-agent": "{id: build-cli, model: openai/gpt-5, runtime: mini-swe-agent}",
    "command": '{id: build-cli, model: openai/gpt-5, runtime: command, command: {run: "mycli --model {model}", done: ORG-DONE}}',
}
EXECUTABLE = {
    "claude": "claude",
    "codex": "codex",
    "opencode": "opencode",
    "aider": "aider",
    "mini-swe-agent": "mini",
    "command": "mycli",
}


def install_fake(folder: Path, name: str, transcript: Path) -> Path:
    """An executable `name` in folder/bin replaying `transcript` (tests/data/clis/fake_cli.py)."""
    bin_dir = folder / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    exe = bin_dir / name
    exe.write_text(f"#!{sys.executable}\n" + (DATA / "fake_cli.py").read_text())
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    shutil.copy(transcript, bin_dir / "transcript.jsonl")
    return exe


def use_member(org: Path, runtime: str, *, lane_models: str | None = None) -> None:
    """The builder lane's only member: a CLI member of `runtime` (its other lanes as they are)."""
    p = org / "lanes" / "builder.yaml"
    text = p.read_text()
    head, _, tail = text.partition("members:\n")
    rest = tail.split("concurrency:", 1)[1]
    models = f"models: [{lane_models}]\n" if lane_models else ""
    p.write_text(f"{head}members:\n  - {MEMBERS[runtime]}\n{models}concurrency:{rest}")


@pytest.fixture
def cli_org(ws_org, tmp_path, local_server, monkeypatch):  # noqa: F811
    """make(runtime, transcript) -> (cfg, url, env, bus): the org with that CLI member, its fake installed."""
    from org.bus import Bus
    from org.config.loader import load_org

    opened = []

    def make(runtime: str, transcript: str, *, lane_models: str | None = None):
        use_member(ws_org, runtime, lane_models=lane_models)
        install_fake(tmp_path / "cli", EXECUTABLE[runtime], DATA / transcript)
        monkeypatch.setenv("ORG_CLI_PATH", str(tmp_path / "cli" / "bin"))
        cfg = load_org(ws_org)
        url = f"sqlite:///{tmp_path / 'bus.db'}"
        env = {
            "ORG_LOCAL_MODEL_URL": local_server.url,
            "ORG_MODELS": "local",
            "PATH": os.environ.get("PATH", ""),
        }
        bus = Bus.open(url, root=ws_org, config=cfg)
        opened.append(bus)
        return cfg, url, env, bus

    yield make
    for b in opened:
        b.close()
