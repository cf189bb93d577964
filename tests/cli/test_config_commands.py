"""The config commands through the console script's entry (in this process; init and the lazy imports through a
real `python -m org`): init, validate, graph, explain."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tests.helpers import REPO, org_in_process, run_org


def _one_json(stdout: str) -> dict:
    """stdout is exactly one JSON document (json.loads fails on trailing data)."""
    return json.loads(stdout)


def _line(rel: str, needle: str) -> int:
    return next(i for i, ln in enumerate((REPO / rel).read_text().split("\n"), 1) if needle in ln)


# ---- init ----------------------------------------------------------------------------------


def test_init_then_validate(tmp_path):
    dest = tmp_path / "neworg"
    r = run_org("init", str(dest), root=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (dest / "lanes" / "builder.yaml").is_file() and (dest / "gates" / "change.yaml").is_file()
    v = org_in_process("validate", root=dest)
    assert v.returncode == 0, v.stderr
    assert v.stdout.startswith("ok: 6 lanes")
    # the copy proves to the same policy as the shipped default org
    mine = _one_json(org_in_process("validate", "--json", root=dest).stdout)
    shipped = _one_json(org_in_process("validate", "--json", root=REPO).stdout)
    assert mine["config_hash"] == shipped["config_hash"]


def test_init_into_existing_org_changes_nothing(tmp_path):
    assert org_in_process("init", str(tmp_path), root=tmp_path).returncode == 0
    before = (tmp_path / "lanes" / "builder.yaml").read_text()
    (tmp_path / "lanes" / "builder.yaml").write_text(before + "# mine\n")
    r = org_in_process("init", str(tmp_path), "--json", root=tmp_path)
    assert r.returncode == 5
    assert _one_json(r.stdout)["error"] == "conflict"
    assert (tmp_path / "lanes" / "builder.yaml").read_text().endswith("# mine\n")


def test_validate_json(repo):
    r = org_in_process("validate", "--json", root=repo)
    assert r.returncode == 0
    doc = _one_json(r.stdout)
    assert doc["ok"] is True and doc["workflows"] == ["change", "code", "ops"]
    assert "RED-CREDENTIAL-REUSE" in doc["rules"] and doc["tiers"] == ["low", "medium", "high"]
    assert re.fullmatch(r"[0-9a-f]{16}", doc["config_hash"])


# ---- graph ---------------------------------------------------------------------------------


def test_graph_text(repo):
    r = org_in_process("graph", "change", root=repo)
    assert r.returncode == 0, r.stderr
    rows = {
        ln.split()[0]: ln.split()
        for ln in r.stdout.splitlines()[2:]
        if ln.startswith("  ") and "limits" not in ln
    }
    assert set(rows) == {
        "spec",
        "implement",
        "correctness",
        "security",
        "design",
        "eligibility",
        "approval",
        "done",
    }
    assert rows["spec"][-3:] == ["skip", "req", "req"]  # low / medium / high
    assert rows["approval"][-3:] == ["skip", "skip", "req"]
    assert rows["done"][-3:] == ["end", "end", "end"]
    assert "(join)" in r.stdout and "fail -> implement" in r.stdout


def test_graph_mermaid_for_a_tier(repo):
    r = org_in_process("graph", "change", "--tier", "low", "--format", "mermaid", root=repo)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert out.startswith("flowchart TD")
    assert "  implement --> correctness" in out and "  start --> spec" in out
    assert "  correctness -. rework .-> implement" in out
    # at low, the skipped gates are drawn dashed and labelled
    for g in ("spec", "security", "design", "approval"):
        assert f"style {g} stroke-dasharray" in out
    assert "style implement" not in out


def test_graph_dot(repo):
    r = org_in_process("graph", "ops", "--format", "dot", "--tier", "medium", root=repo)
    assert r.returncode == 0, r.stderr
    out = r.stdout.strip()
    assert out.startswith('digraph "ops" {') and out.endswith("}")
    assert out.count("{") == out.count("}")
    assert '"plan" -> "review";' in out and '"review" -> "plan" [style=dotted, label="rework"];' in out
    assert re.search(r'"approval" \[shape=house, [^\]]*style=dashed\]', out)
    assert not re.search(r'"review" \[[^\]]*style=dashed', out)


def test_graph_all_workflows_json(repo):
    r = org_in_process("graph", "--json", "--format", "mermaid", root=repo)
    doc = _one_json(r.stdout)
    assert r.returncode == 0 and set(doc["graphs"]) == {"change", "code", "ops"}
    assert all(g.startswith("flowchart TD") for g in doc["graphs"].values())


@pytest.mark.parametrize(
    "args,code",
    [
        (["graph", "nosuch"], 3),
        (["graph", "change", "--format", "png"], 2),
        (["graph", "change", "--tier", "urgent"], 2),
    ],
)
def test_graph_errors(repo, args, code):
    r = org_in_process(*args, "--json", root=repo)
    assert r.returncode == code, r.stderr
    assert _one_json(r.stdout)["ok"] is False
    assert "Traceback" not in r.stderr


# ---- explain -------------------------------------------------------------------------------


def test_explain_allow(repo):
    r = org_in_process("explain", "code.write", "--as", "build-claude", "--set", "environment=dev", root=repo)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("ALLOW: build-claude -> code.write")


def test_explain_red_rule_names_rule_and_source_line(repo):
    r = org_in_process(
        "explain",
        "credential.use",
        "--as",
        "sec-gemini",
        "--set",
        "credential=jira",
        "--set",
        "service=github",
        root=repo,
    )
    assert r.returncode == 4
    src = f"gates/rules.yaml:{_line('gates/rules.yaml', 'id: RED-CREDENTIAL-REUSE')}"
    assert f"rule RED-CREDENTIAL-REUSE (deny) at {src}" in r.stdout
    assert "[ADR 0006]" in r.stdout


def test_explain_json_deny(repo):
    r = org_in_process(
        "explain", "host.config.push", "--as", "sec-claude", "--set", "via=manual", "--json", root=repo
    )
    assert r.returncode == 4
    doc = _one_json(r.stdout)
    assert doc["outcome"] == "deny" and doc["exit_code"] == 4
    (hit,) = doc["rules"]
    assert hit["id"] == "RED-HOST-CONFIG-OUTSIDE-PIPELINE"
    assert (
        hit["source"]
        == f"gates/rules.yaml:{_line('gates/rules.yaml', 'id: RED-HOST-CONFIG-OUTSIDE-PIPELINE')}"
    )
    assert hit["adr"] == 7
    assert re.fullmatch(r"[0-9a-f]{16}", doc["config_hash"])


def test_explain_needs_approval_json(repo):
    r = org_in_process(
        "explain",
        "deploy.production",
        "--as",
        "ops-claude",
        "--set",
        "environment=production",
        "--set",
        "irreversible=false",
        "--json",
        root=repo,
    )
    assert r.returncode == 6
    doc = _one_json(r.stdout)
    assert doc["outcome"] == "needs_approval" and [h["id"] for h in doc["rules"]] == ["CONSEQ-PRODUCTION"]


def test_explain_lane_may_not_points_at_the_pattern_line(repo):
    r = org_in_process("explain", "deploy.staging", "--as", "build-gpt", "--json", root=repo)
    assert r.returncode == 4
    (hit,) = _one_json(r.stdout)["rules"]
    assert hit["id"] == "LANE-BUILDER-MAY-NOT"
    assert hit["source"] == f"lanes/builder.yaml:{_line('lanes/builder.yaml', '- deploy.*')}"


@pytest.mark.parametrize(
    "args,code",
    [
        (["explain", "code.write", "--as", "nobody"], 4),
        (["explain", "code.write", "--as", "build-claude", "--set", "novalue"], 2),
        (["explain", "code.write"], 2),
    ],
)
def test_explain_errors(repo, args, code):
    r = org_in_process(*args, "--json", root=repo)
    assert r.returncode == code, r.stdout + r.stderr
    _one_json(r.stdout)
    assert "Traceback" not in r.stderr


# ---- lazy imports ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["validate"],
        [
            "explain",
            "credential.use",
            "--as",
            "sec-gemini",
            "--set",
            "credential=jira",
            "--set",
            "service=github",
        ],
        ["graph", "change"],
    ],
)
def test_fast_commands_import_neither_litellm_nor_textual(repo, args):
    r = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "org", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "ORG_ROOT": str(repo)},
    )
    assert r.returncode in (0, 4), r.stderr[-2000:]
    imported = {ln.split("|")[-1].strip() for ln in r.stderr.splitlines() if ln.startswith("import time:")}
    assert "org.cli" in imported  # the measurement itself works
    heavy = sorted(
        m for m in imported if m.split(".")[0] in ("litellm", "textual", "openai", "sqlmodel", "simpy")
    )
    assert heavy == [], heavy


@pytest.mark.parametrize(
    "args", [["graph", "--bogus"], ["nosuchcmd"], ["explain", "code.write"], ["graph", "--format"]]
)
def test_usage_errors_exit_2_with_one_json_document(repo, args):
    r = org_in_process(*args, "--json", root=repo)
    assert r.returncode == 2, r.stdout + r.stderr
    doc = _one_json(r.stdout)
    assert doc == {"ok": False, "error": "usage", "message": doc["message"]} and doc["message"]
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr


def test_explain_task_without_the_bus_is_a_usage_error(repo):
    if (REPO / "org" / "cli" / "_task_context.py").exists():
        pytest.skip("the work bus provides --task here; tests/bus covers it")
    r = org_in_process("explain", "code.write", "--as", "build-gpt", "--task", "T1", "--json", root=repo)
    assert r.returncode == 2 and "work bus" in _one_json(r.stdout)["message"]
