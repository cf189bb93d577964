"""Plain test helpers: the repository root and a runner for the real `org` entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STARTER = (
    REPO / "org" / "defaults"
)  # the starter org `org init` ships (package data), not the project's own org


def starter_org(dest: Path, parts: tuple[str, ...] = ("lanes", "gates", "adrs")) -> Path:
    """A test org made as `org init` makes one: `parts` of the starter org copied into `dest` (created)."""
    import shutil

    dest.mkdir(parents=True, exist_ok=True)
    for d in parts:
        shutil.copytree(STARTER / d, dest / d, ignore=shutil.ignore_patterns("__pycache__", ".index*"))
    return dest


os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def run_org(
    *args: str,
    root: Path | None = None,
    env: dict | None = None,
    input: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess:
    """Run the real `org` entry point in a subprocess."""
    e = {**os.environ, **(env or {})}
    if root is not None:
        e["ORG_ROOT"] = str(root)
    return subprocess.run(
        [sys.executable, "-m", "org", *args],
        capture_output=True,
        text=True,
        env=e,
        input=input,
        timeout=timeout,
        cwd=str(root or REPO),
    )


def org_in_process(
    *args: str,
    root: Path | None = None,
    env: dict | None = None,
    input: str | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess:
    """`org ARGS` through the console script's own entry (`run_app(app, argv)`, what `python -m org` calls) in
    this interpreter: the same environment, working folder, stdin and argv as `run_org` gives the child, stdout and
    stderr captured, the exit code `main()` would exit with. ~50 ms a call instead of ~1 s of interpreter
    start-up and imports; use it where the command's behaviour is tested, `run_org` where the process is (its
    exit, signals, imports, a fresh interpreter's state). An `env` value None removes that variable."""
    import contextlib
    import io
    from unittest import mock

    from org.cli import app
    from org.cli._common import run_app

    new = {**(env or {})}
    if root is not None:
        new["ORG_ROOT"] = str(root)
    saved = {k: os.environ.get(k) for k in new}
    here = os.getcwd()
    out, err = io.StringIO(), io.StringIO()
    try:
        for k, v in new.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = str(v)
        os.chdir(cwd or root or REPO)
        with (
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
            mock.patch("sys.stdin", io.StringIO(input or "")),
            mock.patch(
                "sys.argv", ["org", *args]
            ),  # `org run` re-runs its own command line as the agent host
        ):
            rc = run_app(app, list(args))
    finally:
        os.chdir(here)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return subprocess.CompletedProcess(["org", *args], rc, out.getvalue(), err.getvalue())


def token_file(root: Path, human: str, db_url: str | None = None) -> Path:
    """Where `human`'s own token file for the org at `root` and its database (default: .org/org.db) lives."""
    from org.bus import Bus
    from org.identity import files
    from org.identity.store import db_id

    with Bus.open(db_url, root=root) as b:
        return files.human_token_path(root, human, db_id(b.store))


def read_token(root: Path, human: str, db_url: str | None = None) -> str | None:
    """`human`'s own token for that database, or None without a file."""
    p = token_file(root, human, db_url)
    return p.read_text().strip() if p.exists() else None


def write_token(root: Path, human: str, token: str, db_url: str | None = None) -> Path:
    """Write `human`'s own token file for that database (0600, as org writes it)."""
    from org.identity import files

    return files.write_human_token(root, human, token, token_file(root, human, db_url).parent.name[3:])


def wrong_token(token: str, n: int = 1) -> str:
    """`token` with each of its last n characters changed: a typo that is never, by chance, the token itself
    (overwriting them with a fixed "0" left the token intact whenever it already ended so: 1 run in 16)."""
    return token[:-n] + "".join("1" if c == "0" else "0" for c in token[-n:])


def paused_builders(bus):
    """`bus` with a task filed and the builder lane paused by alice, a builder's claim refused (Paused): the
    pause the deciding-reads attacks try to lift by editing the database."""
    import pytest

    from org.errors import Paused

    bus.add_task("Fix the parser", "change", by="alice", attributes={"kind": "code"})
    bus.pause("lane", "builder", by="alice", note="hold")
    with pytest.raises(Paused):
        bus.claim("builder", "build-claude")
    return bus


def chat_answer(message: dict, prompt_tokens: int = 5, completion_tokens: int = 5) -> tuple[int, dict, dict]:
    """A loopback model server's answer (status, body, headers): an OpenAI chat completion carrying `message`,
    finished by its tool calls when it has any, with this usage."""
    return (
        200,
        {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        },
        {},
    )
