"""Start-up (issue 23 item 6): the bus, the engine's fold and flow, and the identity layer import no
networkx, git, litellm, textual or OpenTelemetry when imported; networkx comes in only where a graph is
built or searched (proving a config, planning a workflow)."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("networkx", "git", "litellm", "textual", "opentelemetry")


def test_importing_the_bus_and_the_engine_pulls_in_no_heavy_library():
    code = (
        "import sys\n"
        "import org.bus, org.bus.api, org.bus.context, org.bus.driver, org.engine.flow, org.engine.memo\n"
        "import org.engine.proofs, org.engine.graph, org.engine.binding, org.identity.guard, org.cli\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "[]", r.stdout


def test_the_graph_is_still_built_and_searched_where_it_is_needed(cfg):
    """The lazy import is not a missing one: planning and proving still work (and load networkx)."""
    code = (
        "import sys\n"
        "from org.config.loader import load_org\n"
        "from org.engine.proofs import prove\n"
        "from org.engine.graph import plan_for\n"
        f"cfg = load_org({str(cfg.root)!r})\n"
        "assert prove(cfg) == []\n"
        "print(plan_for(cfg.workflows['change'], cfg.risk.default).order[:1], 'networkx' in sys.modules)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip().endswith("True"), r.stdout


def _imported(r: subprocess.CompletedProcess) -> set[str]:
    """Every module a `python -X importtime` run imported."""
    return {
        ln.split("|")[-1].strip()
        for ln in r.stderr.splitlines()
        if ln.startswith("import time:") and "|" in ln
    }


def test_org_claim_and_org_submit_import_nothing_they_do_not_need(org_copy, tmp_path):
    """The real entry point, a claim that takes a job and a submission of it: no heavy library (networkx: the
    config's proof is remembered after the first command), no other command module of the CLI."""
    import json
    import os

    from tests.helpers import org_in_process

    env = {"ORG_CONFIG_HOME": str(tmp_path / "config"), "ORG_TOKEN": None}
    r = org_in_process("task", "add", "t", "-w", "change", "--as", "alice", root=org_copy, env=env)
    assert r.returncode == 0, r.stderr
    r = org_in_process(
        "token", "issue", "--for", "build-claude", "--as", "alice", "--json", root=org_copy, env=env
    )
    token = json.loads(r.stdout)["token"]
    child = {
        **os.environ,
        "ORG_ROOT": str(org_copy),
        "ORG_CONFIG_HOME": env["ORG_CONFIG_HOME"],
        "ORG_TOKEN": token,
    }
    run = [sys.executable, "-X", "importtime", "-m", "org"]
    claim = subprocess.run(
        [*run, "claim", "--lane", "builder", "--as", "build-claude", "--json"],
        capture_output=True,
        text=True,
        env=child,
        timeout=120,
    )
    assert claim.returncode == 0, claim.stderr[-2000:]
    job = json.loads(claim.stdout)
    submit = subprocess.run(
        [*run, "submit", str(job["job"]), "--token", job["token"], "--verdict", "pass", "--note", "spec"],
        capture_output=True,
        text=True,
        env=child,
        timeout=120,
    )
    assert submit.returncode == 0, submit.stderr[-2000:]
    for r in (claim, submit):
        mods = _imported(r)
        assert not {m.split(".")[0] for m in mods} & set(HEAVY), sorted(mods)
        others = {m for m in mods if m.startswith("org.cli.") and m.endswith("_cmds")} - {
            "org.cli.bus_cmds",
            "org.cli.workspace_cmds",  # submit's checked_commit (a function; its commands are not built)
        }
        assert not others, others
