"""The agent contract over the real CLI: what `org claim --json` and `org job show` hand over, `org job
release|fail`, and the README's "Write your own agent" example run end to end on a real repository."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO, run_org
from tests.workspaces.gitrepo import sh_git


def _tokens(root: Path) -> dict[str, str]:
    from org.bus import Bus
    from org.identity.bootstrap import agent_tokens, first_use_tokens

    with Bus.open(root=root) as b:
        first_use_tokens(b)
        return agent_tokens(b)


def _ok(r: subprocess.CompletedProcess) -> dict:
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    return json.loads(r.stdout)


def _task(root: Path, *sets: str) -> str:
    args = ["task", "add", "fix add", "-w", "change", "--repo", "app", "--as", "alice", "--json"]
    for s in sets or ("kind=code",):
        args += ["--set", s]
    return _ok(run_org(*args, root=root))["task"]


def _claim(root: Path, lane: str, actor: str, token: str) -> dict:
    return _ok(run_org("claim", "--lane", lane, "--as", actor, "--json", root=root, env={"ORG_TOKEN": token}))


def readme_agent() -> str:
    text = (REPO / "README.md").read_text()
    start = re.search(r"^### Write your own agent$", text, re.M)
    assert start, "README needs a 'Write your own agent' section"
    script = re.findall(r"```sh\n(.*?)```", text[start.end() :], re.S)[0]
    assert len(script.splitlines()) < 40
    return script


def _run_agent(root: Path, actor: str, token: str, tmp: Path) -> subprocess.CompletedProcess:
    script = tmp / "my-builder.sh"
    script.write_text(readme_agent())
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "ORG_ROOT": str(root),
        "AGENT": actor,
        "ORG_TOKEN": token,
    }
    return subprocess.run(["sh", str(script)], capture_output=True, text=True, env=env, cwd=root, timeout=300)


@pytest.mark.slow
def test_the_readme_agent_completes_jobs_and_a_reviewer_gets_the_real_diff(ws_org, tmp_path):
    toks = _tokens(ws_org)
    task = _task(ws_org)
    for gate in ("spec", "implement"):
        r = _run_agent(ws_org, "build-gpt", toks["build-gpt"], tmp_path)
        assert r.returncode == 0, r.stdout + r.stderr
        assert f"at gate {gate}, tier medium" in r.stdout and "Traceback" not in r.stderr
    view = _ok(run_org("task", "show", task, "--as", "alice", "--json", root=ws_org))
    gates = view["state"]["gates"]
    assert gates["spec"]["status"] == gates["implement"]["status"] == "passed"
    rev = view["revision"]
    mirror = ws_org / ".org" / "repos" / "app.git"
    assert "CHANGES.md" in sh_git(mirror, "show", "--name-only", "--format=", rev)
    # the reviewer gets the bound commit and its real diff from git, the author's files, not their note
    c = _claim(ws_org, "reviewer", "rev-gemini", toks["rev-gemini"])
    assert c["kind"] == "review" and c["revision"] == rev and c["gate"] == "correctness"
    assert c["diff"]["from"] == "git" and c["diff"]["files"] == ["CHANGES.md"]
    assert "+- fix add (gate implement)" in c["diff"]["patch"]
    assert "note" not in c["work"] and "tests pass" not in json.dumps(c)
    assert c["asks"]["cross_vendor"] and "pass" in c["asks"]["verdicts"]
    assert any(a["id"] == "ADR-0004" for a in c["adrs"])  # the gate cites it
    # the reviewer sends it back; the builder's next claim carries the findings bound to a path and line
    r = run_org(
        "submit",
        str(c["job"]),
        "--verdict",
        "changes",
        "--revision",
        rev,
        "--note",
        "vague",
        "--finding",
        "[high] CHANGES.md:2: say what changed",
        "--json",
        root=ws_org,
        env={"ORG_TOKEN": c["token"]},
    )
    assert r.returncode == 0, r.stderr
    w = _claim(ws_org, "builder", "build-gpt", toks["build-gpt"])
    assert w["gate"] == "implement" and w["round"] == 1
    assert w["work"]["revision"] == rev and w["workspace"]["path"]
    assert w["findings"] == [
        {"severity": "high", "file": "CHANGES.md", "line": 2, "text": "say what changed", "by": "rev-gemini"}
    ]


@pytest.mark.slow
def test_job_show_release_and_fail(ws_org):
    toks = _tokens(ws_org)
    task = _task(ws_org)
    c = _claim(ws_org, "builder", "build-claude", toks["build-claude"])
    shown = _ok(run_org("job", "show", str(c["job"]), "--json", root=ws_org, env={"ORG_TOKEN": c["token"]}))
    for key in ("task", "tier", "tier_why", "asks", "boundaries", "workspace", "adrs", "token", "next"):
        assert shown[key] == c[key], key
    assert {".github/**", "**/auth/**"} <= set(
        shown["boundaries"]["protected"]
    )  # repos.yaml's, and org's own
    assert Path(shown["workspace"]["path"]).is_dir()
    # a principal token, a garbage token, or the job token for another job: refused, nothing shown
    for tok, job in ((toks["build-claude"], c["job"]), ("garbage", c["job"]), (c["token"], c["job"] + 1)):
        r = run_org("job", "show", str(job), root=ws_org, env={"ORG_TOKEN": tok})
        assert r.returncode == 4 and "Traceback" not in r.stderr and task not in r.stdout
    r = run_org("job", "release", str(c["job"]), root=ws_org, env={"ORG_TOKEN": c["token"]})
    assert r.returncode == 2 and "--note" in r.stderr  # a hand-back says why
    _ok(
        run_org(
            "job",
            "release",
            str(c["job"]),
            "--note",
            "later",
            "--json",
            root=ws_org,
            env={"ORG_TOKEN": c["token"]},
        )
    )
    r = run_org("job", "show", str(c["job"]), root=ws_org, env={"ORG_TOKEN": c["token"]})
    assert r.returncode == 5  # the token died with its lease
    again = _claim(ws_org, "builder", "build-gpt", toks["build-gpt"])
    assert again["job"] == c["job"] and again["attempts"] == 2
    out = _ok(
        run_org(
            "job",
            "fail",
            str(again["job"]),
            "--note",
            "cannot build this",
            "--json",
            root=ws_org,
            env={"ORG_TOKEN": again["token"]},
        )
    )
    assert out["ok"]
    view = _ok(run_org("task", "show", task, "--as", "alice", "--json", root=ws_org))
    assert "cannot build this" in json.dumps(view)


def test_the_python_api_hands_over_the_same(ws_org):
    from org.agents.handover import claim_job
    from org.identity.guard import Guard

    toks = _tokens(ws_org)
    with Guard.open(root=ws_org) as door:
        assert claim_job(door, toks["build-gpt"], "builder", "build-gpt") is None  # nothing to claim
    _task(ws_org)
    with Guard.open(root=ws_org) as door:
        h = claim_job(door, toks["build-gpt"], "builder", "build-gpt")
    assert h is not None and h["gate"] == "spec" and h["token"].startswith("orgj_")
    assert h["workspace"]["branch"] == f"org/{h['task']}" and h["boundaries"]["golden"] == ["tests/**"]


def test_a_task_without_a_repository_is_handed_over_without_a_workspace(org_copy):
    toks = _tokens(org_copy)
    _ok(
        run_org(
            "task",
            "add",
            "write docs",
            "-w",
            "change",
            "--set",
            "kind=docs",
            "--as",
            "alice",
            "--json",
            root=org_copy,
        )
    )
    c = _claim(org_copy, "builder", "build-gpt", toks["build-gpt"])
    assert c["workspace"] is None and c["diff"] is None and c["asks"]["gate"] == c["gate"]
    assert "boundaries" in c and "protected" not in c["boundaries"]


def test_a_finding_must_say_where_and_what(org_copy):
    r = run_org(
        "submit", "1", "--verdict", "changes", "--finding", "no place", root=org_copy, env={"ORG_TOKEN": "x"}
    )
    assert r.returncode == 2 and "PATH:LINE: what is wrong" in r.stderr and "Traceback" not in r.stderr


def test_over_the_bus_socket_the_handover_is_the_same(ws_org, monkeypatch):
    """An agent in its sandbox reaches the bus only through the socket: its claim hands over the same."""
    from org.agents.handover import handover
    from org.agents.host import bus_socket
    from org.config.loader import load_org
    from org.runtime.busclient import BusClient

    toks = _tokens(ws_org)
    _task(ws_org)
    cfg = load_org(ws_org)
    url = f"sqlite:///{ws_org / '.org' / 'org.db'}"
    with bus_socket(cfg, url) as srv, BusClient(srv.path) as client:
        c, jt = client.claim(toks["build-gpt"], "builder", "build-gpt")
        h = handover(client, jt, c.job)
        assert h["token"] == jt and h["job"] == c.job and h["gate"] == "spec"
        assert h["workspace"]["branch"] == f"org/{h['task']}" and h["adrs"] and h["next"]
        with pytest.raises(Exception) as e:
            client.job_facts(toks["build-gpt"], c.job)  # a principal token is not the job's
        assert getattr(e.value, "exit_code", None) == 4
