"""Every ADR problem `org validate` reports, each as FILE:LINE, and exit 2 through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from org.adrs.check import validate_adrs
from org.config.loader import load_org
from tests.adrs.adr_helpers import PIPELINE_ONLY, write_adr
from tests.helpers import org_in_process

GOOD_FM = "status: accepted\ndate: 2026-11-21\ndeciders: [tests]\n"


def problems(root: Path) -> list[str]:
    return [str(p) for p in validate_adrs(root, load_org(root))]


def put(root: Path, name: str, text: str) -> None:
    (root / "adrs" / name).write_text(text)


def test_the_fixture_org_is_clean(org_root):
    assert problems(org_root) == []


def test_the_repository_adrs_parse_and_only_foundation_citations_may_be_missing(repo):
    """Dogfooding: our own ADRs are valid; the foundation's 4-7 may not be on this branch yet."""
    out = problems(repo)
    for p in out:
        assert "cites ADR 000" in p and "which does not exist" in p, p
    assert (repo / "adrs" / "0001-record-architecture-decisions.md").is_file()
    assert len(list((repo / "adrs").glob("001[0-4]-*.md"))) == 5


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("0020-no-fm.md", "# 20. No front matter\n", "adrs/0020-no-fm.md:1: no YAML front matter"),
        (
            "0020-open.md",
            "---\nstatus: accepted\n# 20. Open\n",
            "adrs/0020-open.md:1: front matter is not closed",
        ),
        (
            "0020-syntax.md",
            "---\nstatus: accepted\ndate: [2026\n---\n# 20. Syntax\n",
            "adrs/0020-syntax.md:3: invalid YAML",
        ),
        (
            "0020-list.md",
            "---\n- status\n---\n# 20. List\n",
            "adrs/0020-list.md:2: front matter must be a mapping",
        ),
        ("0020-empty.md", "---\n---\n# 20. Empty\n", "adrs/0020-empty.md:2: front matter is empty"),
        (
            "0020-status.md",
            "---\ndate: 2026-11-21\nstatus: approved\n---\n# 20. Status\n",
            "adrs/0020-status.md:3: status: unknown status 'approved' (one of: proposed, accepted, rejected, deprecated, superseded)",
        ),
        (
            "0020-nodate.md",
            "---\nstatus: accepted\n---\n# 20. No date\n",
            "adrs/0020-nodate.md:2: date: required field is missing",
        ),
        (
            "0020-baddate.md",
            "---\nstatus: accepted\ndate: yesterday\n---\n# 20. Date\n",
            "adrs/0020-baddate.md:3: date: 'yesterday' is not a date; write YYYY-MM-DD",
        ),
        (
            "0020-typo.md",
            f"---\n{GOOD_FM}superseeded_by: 3\n---\n# 20. Typo\n",
            "adrs/0020-typo.md:5: superseeded_by: unknown field (not part of the ADR schema)",
        ),
        (
            "0020-dup.md",
            f"---\n{GOOD_FM}tags: [a]\ntags: [b]\n---\n# 20. Dup\n",
            "adrs/0020-dup.md:6: tags: duplicate key (first defined on line 5)",
        ),
        (
            "0020-supint.md",
            f"---\n{GOOD_FM}supersedes: [seven]\n---\n# 20. Sup\n",
            "adrs/0020-supint.md:5: supersedes.0:",
        ),
        (
            "0020-gate.md",
            f"---\n{GOOD_FM}gates: [approval]\n---\n# 20. Gate\n",
            "adrs/0020-gate.md:5: gates: 'approval' is not a gate id; write workflow.gate",
        ),
        (
            "0020-title.md",
            f"---\n{GOOD_FM}---\n# 21. Wrong number\n",
            "adrs/0020-title.md:6: title: title says 21 but the file is number 20",
        ),
        (
            "0020-notitle.md",
            f"---\n{GOOD_FM}---\n\nJust text.\n",
            "adrs/0020-notitle.md:6: title: no title line",
        ),
        (
            "0020-badtitle.md",
            f"---\n{GOOD_FM}---\n# Untitled\n",
            "adrs/0020-badtitle.md:6: title: the title line is '# 20. Title'",
        ),
        (
            "20-short.md",
            f"---\n{GOOD_FM}---\n# 20. Short\n",
            "adrs/20-short.md:1: an ADR file is named NNNN-slug.md",
        ),
        (
            "0020-cond.md",
            f"---\n{GOOD_FM}constraints:\n  - id: c\n    text: t\n    require: {{attr: via}}\n---\n# 20. Cond\n",
            "adrs/0020-cond.md:8: constraints.0.require: an attribute condition needs exactly one test",
        ),
        (
            "0020-cid.md",
            f"---\n{GOOD_FM}constraints:\n  - {{id: c, text: t, require: {{attr: via, eq: pipeline}}}}\n"
            "  - {id: c, text: u, require: {attr: via, eq: pipeline}}\n---\n# 20. Cid\n",
            "adrs/0020-cid.md:7: constraints.1.id: constraint id 'c' is used twice in this ADR",
        ),
    ],
)
def test_file_problems(org_root, name, text, expected):
    put(org_root, name, text)
    out = problems(org_root)
    assert any(p.startswith(expected) for p in out), out


def test_a_number_used_twice(org_root):
    write_adr(org_root, 7, "Another seven", slug="another-seven")
    out = problems(org_root)
    assert any(
        p.startswith(
            "adrs/0007-host-configuration-only-through-the-pipeline.md:1: ADR number 7 is used twice"
        )
        or p.startswith("adrs/0007-another-seven.md:1: ADR number 7 is used twice")
        for p in out
    ), out


def _line(path: Path, needle: str) -> int:
    return next(i for i, ln in enumerate(path.read_text().splitlines(), 1) if ln.startswith(needle))


def test_dangling_links(org_root):
    a = write_adr(org_root, 20, "Points nowhere", supersedes=[99])
    b = write_adr(org_root, 21, "Replaced by nothing", status="superseded", superseded_by=98)
    out = problems(org_root)
    assert f"adrs/{a.name}:{_line(a, '- 99')}: supersedes.0: supersedes ADR 0099, which does not exist" in out
    assert (
        f"adrs/{b.name}:{_line(b, 'superseded_by')}: superseded_by: superseded by ADR 0098, which does not exist"
        in out
    )


def test_self_and_cyclic_links(org_root):
    s = write_adr(org_root, 20, "Myself", status="superseded", superseded_by=20, supersedes=[20])
    a = write_adr(org_root, 21, "A", status="superseded", superseded_by=22, supersedes=[22])
    write_adr(org_root, 22, "B", status="superseded", superseded_by=21, supersedes=[21])
    out = problems(org_root)
    assert f"adrs/{s.name}:{_line(s, 'superseded_by')}: superseded_by: an ADR cannot supersede itself" in out
    assert f"adrs/{s.name}:{_line(s, '- 20')}: supersedes.0: an ADR cannot supersede itself" in out
    cyc = [p for p in out if "cycle" in p]
    assert cyc == [
        f"adrs/{a.name}:{_line(a, 'superseded_by')}: superseded_by: supersede links form a cycle "
        "(21 -> 22 -> 21); a decision cannot replace its own successor"
    ], out


def test_links_written_at_one_end_only(org_root):
    new = write_adr(org_root, 20, "New way", supersedes=[7])  # ADR 7 still accepted, superseded_by null
    old = write_adr(org_root, 21, "Old way", status="superseded", superseded_by=4)  # 4 does not list 21
    out = problems(org_root)
    assert any(
        p.startswith(
            f"adrs/{new.name}:{_line(new, '- 7')}: supersedes.0: supersedes ADR 0007, but "
            "adrs/0007-host-configuration-only-through-the-pipeline.md says superseded_by: null"
        )
        for p in out
    ), out
    assert any(
        p.startswith(
            f"adrs/{old.name}:{_line(old, 'superseded_by')}: superseded_by: superseded by ADR 0004, "
            "but adrs/0004-"
        )
        and "does not list 21" in p
        for p in out
    ), out


def test_status_and_links_must_agree(org_root):
    a = write_adr(org_root, 20, "Still accepted", superseded_by=21)
    write_adr(org_root, 21, "Successor", status="proposed", supersedes=[20])
    c = write_adr(org_root, 22, "Superseded by whom", status="superseded")
    out = problems(org_root)
    assert (
        f"adrs/{a.name}:{_line(a, 'status')}: status: status is accepted but superseded_by is set; "
        "a replaced decision has status superseded"
    ) in out
    assert any(
        p.startswith(
            f"adrs/{a.name}:{_line(a, 'superseded_by')}: superseded_by: superseded by ADR 0021, "
            "which is proposed: nothing binds"
        )
        for p in out
    ), out
    assert (
        f"adrs/{c.name}:{_line(c, 'status')}: status: status is superseded but superseded_by is not set; "
        "name the ADR that replaced it"
    ) in out


def test_two_accepted_adrs_that_contradict(org_root):
    manual = {
        **PIPELINE_ONLY,
        "id": "manual-only",
        "text": "Config is applied by hand",
        "require": {"attr": "via", "eq": "manual"},
    }
    p = write_adr(org_root, 20, "Hand-applied config", constraints=[manual])
    out = problems(org_root)
    line = _line(p, "- id: manual-only")
    assert any(
        x.startswith(
            f"adrs/{p.name}:{line}: constraints.0: contradicts ADR 0007's constraint 'pipeline-only' "
            "(adrs/0007-host-configuration-only-through-the-pipeline.md:"
        )
        and "work where kind = config cannot satisfy both 'via = pipeline' and 'via = manual'" in x
        for x in out
    ), out


def test_contradiction_within_overlapping_scopes(org_root):
    prod = {
        "id": "prod-manual",
        "text": "Production is changed by hand",
        "when": {"attr": "environment", "eq": "production"},
        "require": {"attr": "via", "in": ["manual", "agent"]},
    }
    write_adr(org_root, 20, "Production by hand", constraints=[prod])
    assert any(
        "work where kind = config and environment = production cannot satisfy both" in p
        for p in problems(org_root)
    )


@pytest.mark.parametrize(
    "other",
    [
        {
            "when": {"attr": "kind", "eq": "docs"},
            "require": {"attr": "via", "eq": "manual"},
        },  # scopes never overlap
        {
            "when": {"attr": "kind", "eq": "config"},
            "require": {"attr": "via", "in": ["pipeline", "manual"]},
        },  # compatible
        {
            "when": {"attr": "environment", "eq": "production"},
            "require": {"attr": "kind", "ne": "config"},
        },  # forbids scope
        {
            "when": {"attr": "kind", "eq": "config"},
            "require": {"attr": "environment", "eq": "staging"},
        },  # other attribute
    ],
)
def test_constraints_that_do_not_contradict(org_root, other):
    write_adr(org_root, 20, "Something compatible", constraints=[{"id": "other", "text": "other", **other}])
    assert problems(org_root) == []


def test_a_proposed_or_superseded_adr_does_not_contradict(org_root):
    manual = {**PIPELINE_ONLY, "id": "manual-only", "require": {"attr": "via", "eq": "manual"}}
    write_adr(org_root, 20, "Only proposed", status="proposed", constraints=[manual])
    write_adr(org_root, 21, "Rejected", status="rejected", constraints=[manual])
    assert problems(org_root) == []


def test_references_of_accepted_adrs(org_root):
    bad = {
        "id": "who",
        "text": "t",
        "when": {"attr": "actor", "eq": "build-gpt"},
        "require": {"attr": "vía", "eq": "pipeline"},
        "rule": "RED-NOPE",
    }
    p = write_adr(
        org_root, 20, "Bad references", rules=["RED-MISSING"], gates=["change.nowhere"], constraints=[bad]
    )
    out = problems(org_root)
    assert (
        f"adrs/{p.name}:{_line(p, '- RED-MISSING')}: rules.0: unknown rule 'RED-MISSING' (not in gates/)"
        in out
    )
    assert (
        f"adrs/{p.name}:{_line(p, '- change.nowhere')}: gates.0: unknown gate 'change.nowhere' (write workflow.gate)"
        in out
    )
    assert (
        f"adrs/{p.name}:{_line(p, '  rule: RED-NOPE')}: constraints.0.rule: unknown rule 'RED-NOPE' (not in gates/)"
        in out
    )
    assert any(
        x.startswith(f"adrs/{p.name}:{_line(p, '  when:')}: constraints.0.when: condition reads 'actor'")
        for x in out
    ), out
    assert any(
        x.startswith(
            f"adrs/{p.name}:{_line(p, '  require:')}: constraints.0.require: unknown attribute 'vía'"
        )
        for x in out
    ), out


def test_rules_and_gates_citing_missing_or_rejected_adrs(org_root):
    (org_root / "adrs" / "0007-host-configuration-only-through-the-pipeline.md").unlink()
    write_adr(org_root, 4, "Reviews come from another model family", status="rejected")
    rules, change = org_root / "gates" / "rules.yaml", org_root / "gates" / "change.yaml"
    rule_line = _line(rules, "    adr: 7")
    gate_line = _line(change, "    adrs: [4]")
    out = problems(org_root)
    assert (
        f"gates/rules.yaml:{rule_line}: RED-HOST-CONFIG-OUTSIDE-PIPELINE.adr: cites ADR 0007, which does not "
        "exist (no adrs/0007-*.md)"
    ) in out
    assert any(
        p.startswith(
            f"gates/change.yaml:{gate_line}: gates.correctness.adrs.0: cites ADR 0004, which was rejected"
        )
        for p in out
    ), out


def test_org_validate_exits_2_with_file_and_line(org_root):
    (org_root / "adrs" / "0005-humans-approve-consequential-work.md").write_text(
        "---\nstatus: approved\ndate: 2026-11-21\n---\n# 5. Humans approve\n"
    )
    r = org_in_process("validate", "--json", root=org_root)
    assert r.returncode == 2, r.stderr
    doc = json.loads(r.stdout)
    assert {
        "file": "adrs/0005-humans-approve-consequential-work.md",
        "line": 2,
        "path": "status",
        "message": "unknown status 'approved' (one of: proposed, accepted, rejected, deprecated, superseded)",
    } in doc["problems"]
    assert "adrs/0005-humans-approve-consequential-work.md:2: status: unknown status 'approved'" in r.stderr


def test_org_validate_passes_with_the_adrs(org_root):
    r = org_in_process("validate", root=org_root)
    assert r.returncode == 0, r.stderr
