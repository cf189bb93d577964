"""`org adr ...` through the console script's entry (run_app) in this process: the whole story from a new ADR to a superseded one."""

from __future__ import annotations

import json

import pytest

from tests.helpers import org_in_process

CONSTRAINT = """constraints:
  - id: reversible-migrations
    text: Database migrations can be rolled back
    when: {attr: kind, eq: migration}
    require: {attr: irreversible, eq: false}
"""


def org(root, *args):
    r = org_in_process("adr", *args, root=root)
    return r


def jorg(root, *args):
    r = org_in_process("adr", *args, "--json", root=root)
    return r.returncode, json.loads(r.stdout), r.stderr


@pytest.mark.slow
def test_write_accept_contradict_supersede_pass(org_root):
    rc, doc, _ = jorg(org_root, "new", "Migrations are reversible", "--tag", "db")
    assert rc == 0 and doc["adr"]["number"] == 8 and doc["adr"]["status"] == "proposed"
    path = org_root / doc["path"]
    path.write_text(
        path.read_text().replace(
            "constraints: []    # machine-checkable: {id, text, when: CONDITION, require: CONDITION, rule: RULE-ID}\n",
            CONSTRAINT,
        )
    )
    r = org(org_root, "accept", "8")
    assert r.returncode == 0 and "ADR 0008 'Migrations are reversible' is accepted" in r.stdout, r.stderr

    task = ["--set", "kind=migration", "--set", "irreversible=true"]
    rc, doc, err = jorg(org_root, "check", *task)
    assert rc == 4 and doc["ok"] is False
    v = doc["violations"][0]
    assert v["rule"] == "ADR-0008" and v["source"] == "adrs/0008-migrations-are-reversible.md:12"
    assert v["reason"].startswith(
        "contradicts ADR 0008 'Migrations are reversible': Database migrations can be rolled back"
    )
    r = org(org_root, "check", *task)
    assert r.returncode == 4 and "FAIL ADR-0008" in r.stdout and "contradicts an accepted ADR" in r.stderr

    rc, doc, _ = jorg(org_root, "new", "Irreversible migrations with a human approval")
    assert rc == 0 and doc["adr"]["number"] == 9
    rc, doc, _ = jorg(org_root, "supersede", "8", "--by", "ADR-0009", "--yes")
    assert rc == 0 and doc["superseded"]["status"] == "superseded" and doc["by"]["status"] == "accepted"
    assert doc["superseded"]["superseded_by"] == 9 and doc["by"]["supersedes"] == [8]

    rc, doc, _ = jorg(org_root, "check", *task)
    assert rc == 0 and doc == {
        "ok": True,
        "attributes": {"kind": "migration", "irreversible": "true"},
        "violations": [],
        "relied_on": [],
    }
    assert org_in_process("validate", root=org_root).returncode == 0


@pytest.mark.slow
def test_list_show_search(org_root):
    rc, doc, _ = jorg(org_root, "list")
    assert rc == 0 and [a["number"] for a in doc["adrs"]] == [4, 5, 6, 7]
    assert [a["id"] for a in jorg(org_root, "list", "--tag", "policy")[1]["adrs"]] == ["ADR-0004", "ADR-0005"]
    r = org(org_root, "list")
    assert (
        r.stdout.splitlines()[3]
        == "0007  accepted    2026-11-21  Host configuration only through the pipeline  [ops, hosts, config]"
    )

    rc, doc, _ = jorg(org_root, "show", "0007")
    assert rc == 0 and doc["adr"]["title"] == "Host configuration only through the pipeline"
    assert doc["adr"]["constraints"][0]["id"] == "pipeline-only" and doc["adr"]["body"].startswith("# 7.")
    r = org(org_root, "show", "7")
    assert r.stdout.startswith(
        "ADR 0007: Host configuration only through the pipeline\n  status   accepted\n"
    )
    assert (
        "must     pipeline-only: Host configuration changes go through the pipeline (where kind = config: via = "
        "pipeline; RED-HOST-CONFIG-OUTSIDE-PIPELINE)" in r.stdout
    )

    rc, doc, _ = jorg(org_root, "search", "pipeline")
    assert rc == 0 and doc["results"][0]["id"] == "ADR-0007"
    scores = [h["score"] for h in doc["results"]]
    assert scores == sorted(scores, reverse=True)
    assert jorg(org_root, "search", "credential", "--status", "accepted")[1]["results"][0]["number"] == 6
    assert "no ADR matches" in org(org_root, "search", "zebra").stdout


def test_relevant_gives_the_prompt(org_root):
    rc, doc, _ = jorg(org_root, "relevant", "--tag", "ops", "--path", "infra/web.tf", "--text", "sshd config")
    assert rc == 0 and doc["adrs"][0]["id"] == "ADR-0007"
    assert "ADR-0007 Host configuration only through the pipeline" in doc["prompt"]


def test_errors_and_exit_codes(org_root):
    rc, doc, err = jorg(org_root, "show", "99")
    assert rc == 3 and doc["error"] == "not_found" and "no ADR 0099" in err
    rc, doc, _ = jorg(org_root, "list", "--status", "approved")
    assert rc == 2 and "unknown status 'approved'" in doc["message"]
    rc, doc, _ = jorg(org_root, "accept", "4")
    assert rc == 0 and doc["changed"] is False
    rc, doc, _ = jorg(org_root, "reject", "4", "--yes")
    assert rc == 5 and doc["error"] == "conflict"
    rc, doc, _ = jorg(org_root, "supersede", "4")
    assert rc == 2  # --by is required


def test_accepting_a_contradiction_is_refused_with_file_and_line(org_root):
    (org_root / "adrs" / "0008-config-by-hand.md").write_text(
        "---\nstatus: proposed\ndate: 2026-11-21\nconstraints:\n"
        "  - {id: by-hand, text: Config by hand, when: {attr: kind, eq: config}, require: {attr: via, eq: manual}}\n"
        "---\n# 8. Config by hand\n"
    )
    r = org(org_root, "accept", "8")
    assert r.returncode == 2
    assert (
        "adrs/0008-config-by-hand.md:5: constraints.0: contradicts ADR 0007's constraint 'pipeline-only'"
        in r.stderr
    )
    assert "accepting ADR 0008 refused" in r.stderr
    assert "status: proposed" in (org_root / "adrs" / "0008-config-by-hand.md").read_text()


def test_adr_help_lists_the_commands(org_root):
    r = org_in_process("adr", "--help", root=org_root)
    assert r.returncode == 0
    for cmd in ("new", "list", "show", "accept", "supersede", "search", "relevant", "check"):
        assert cmd in r.stdout
