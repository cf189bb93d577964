"""ORG_MODELS=real with missing provider keys refuses up front, listing every member and what to set (exit 2),
instead of exiting 0 after every job failed (issue 20)."""

from __future__ import annotations

import json

from tests.helpers import run_org

KEYS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY")


def _env(**set_):
    env = {k: "" for k in KEYS}  # empty counts as unset, as litellm reads it
    env.update(set_)
    return env


def test_run_and_demo_refuse_with_the_list_of_missing_keys(org_copy):
    for cmd in (("run",), ("demo",)):
        r = run_org(*cmd, "--json", root=org_copy, env=_env(ORG_MODELS="real", OPENAI_API_KEY="sk-test"))
        assert r.returncode == 2, (cmd, r.stderr)
        doc = json.loads(r.stdout)
        missing = doc["detail"]["missing"]
        assert {m["provider"] for m in missing} == {"anthropic", "gemini"}  # openai has its key
        assert "ANTHROPIC_API_KEY" in doc["message"] and "build-claude" in doc["message"]
        assert "sk-test" not in r.stdout + r.stderr


def test_only_the_lanes_served_are_checked(org_copy):
    r = run_org("run", "--lane", "reviewer", root=org_copy, env=_env(ORG_MODELS="real"))
    assert r.returncode == 2 and "rev-claude" in r.stderr and "build-claude" not in r.stderr


def test_auto_and_local_never_refuse_for_keys():
    from org.agents.endpoints import missing_keys
    from org.config.loader import load_org
    from tests.helpers import REPO

    cfg = load_org(REPO)
    assert (
        missing_keys(cfg, _env(ORG_MODELS="auto")) == [] and missing_keys(cfg, _env(ORG_MODELS="local")) == []
    )
    everything = {k: "x" for k in KEYS} | {"ORG_MODELS": "real"}
    assert missing_keys(cfg, everything) == []
