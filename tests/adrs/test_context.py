"""Context for agents: the accepted ADRs relevant to a task by tags, paths and text, rendered to cite."""

from __future__ import annotations

import pytest

from org.adrs.context import AdrRef, path_matches, relevant_adrs, render_for_prompt
from tests.adrs.adr_helpers import PIPELINE_ONLY, write_adr


def test_by_tags(org_root):
    refs = relevant_adrs(org_root, tags=["policy"])
    assert [r.number for r in refs] == [4, 5]
    assert all(r.status == "accepted" and r.why == "tags policy" and r.score == 1.0 for r in refs)
    assert [r.number for r in relevant_adrs(org_root, tags=["policy", "approval"])] == [
        5,
        4,
    ]  # two shared tags first


def test_by_paths(org_root):
    refs = relevant_adrs(org_root, paths=["infra/hosts/web.yaml", "README.md"])
    assert [r.number for r in refs] == [7]
    assert refs[0].why == "governs infra/hosts/web.yaml (infra/**)"
    assert relevant_adrs(org_root, paths=["hosts/db.yaml"])[0].number == 7
    assert relevant_adrs(org_root, paths=["docs/hosts/db.yaml"]) == []


def test_by_text_rank(org_root):
    refs = relevant_adrs(org_root, text="Change the sshd configuration on the web hosts through the pipeline")
    assert refs[0].number == 7 and refs[0].why.startswith("text match #1")
    assert refs[0].score == pytest.approx(1.0)
    assert all(0 < r.score <= 1.0 for r in refs)


def test_signals_add_up_and_limit(org_root):
    refs = relevant_adrs(org_root, tags=["ops"], paths=["infra/x.tf"], text="pipeline", limit=1)
    assert len(refs) == 1 and refs[0].number == 7
    assert refs[0].score == pytest.approx(1.0 + 1.5 + 1.0)
    assert refs[0].why == "tags ops; governs infra/x.tf (infra/**); text match #1"
    assert refs[0].constraints == ("pipeline-only: Host configuration changes go through the pipeline",)
    assert refs[0].decision.startswith('Chosen option: "Host configuration only through the pipeline"')


def test_only_accepted_adrs_are_given(org_root):
    write_adr(org_root, 20, "Proposed pipeline change", status="proposed", tags=["ops"], paths=["infra/**"])
    write_adr(org_root, 21, "Rejected pipeline idea", status="rejected", tags=["ops"])
    write_adr(org_root, 22, "Old pipeline", status="superseded", superseded_by=7, tags=["ops"])
    refs = relevant_adrs(org_root, tags=["ops"], paths=["infra/a"], text="pipeline")
    assert [r.number for r in refs] == [7]


def test_nothing_asked_nothing_given(org_root):
    assert relevant_adrs(org_root) == []
    assert relevant_adrs(org_root, tags=["ops"], limit=0) == []
    assert relevant_adrs(org_root, text="!!!") == []
    assert render_for_prompt([]) == ""


def test_render_for_prompt_names_ids_to_cite(org_root):
    refs = relevant_adrs(org_root, tags=["ops", "policy"])
    text = render_for_prompt(refs)
    assert text.splitlines()[0].startswith("Accepted architecture decisions (ADRs) that apply")
    assert "- ADR-0007 Host configuration only through the pipeline" in text
    assert "  must: pipeline-only: Host configuration changes go through the pipeline" in text
    assert "- ADR-0004 Reviews come from another model family" in text
    assert len(text) < 2000
    assert [r.to_json()["id"] for r in refs] == ["ADR-0004", "ADR-0005", "ADR-0007"]  # ties by number


def test_adr_ref_is_positional_compatible():
    r = AdrRef(7, "T", "accepted", 1.0, "tags ops")
    assert (r.number, r.title, r.status, r.score, r.why, r.id) == (
        7,
        "T",
        "accepted",
        1.0,
        "tags ops",
        "ADR-0007",
    )


@pytest.mark.parametrize(
    ("pattern", "path", "ok"),
    [
        ("infra/**", "infra/a/b.tf", True),
        ("infra/", "infra/a.tf", True),
        ("infra", "infra/a.tf", True),
        ("infra", "infrastructure/a.tf", False),
        ("*.py", "org/x.py", True),
        ("org/**/*.py", "org/x.py", True),
        ("./docs/*.md", "docs/a.md", True),
        (".github/**", ".github/workflows/ci.yml", True),
        ("docs/*.md", "src/docs/a.md", False),
    ],
)
def test_path_matches(pattern, path, ok):
    assert path_matches(pattern, path) is ok


def test_constraint_fixture_ties_to_the_red_rule():
    assert PIPELINE_ONLY["rule"] == "RED-HOST-CONFIG-OUTSIDE-PIPELINE"
