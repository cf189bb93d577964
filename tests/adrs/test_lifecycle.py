"""ADR lifecycle: new from a template with the next number, accept/reject/deprecate, supersede (both links)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from org.adrs.lifecycle import new_adr, parse_number, set_status, supersede
from org.adrs.parse import load_adrs, parse_adr
from org.errors import ConfigError, Conflict, NotFound, UsageError
from tests.adrs.adr_helpers import PIPELINE_ONLY, write_adr

DAY = dt.date(2027, 1, 15)


def test_new_takes_the_next_number_and_starts_proposed(org_root):
    a = new_adr(org_root, "Use  Postgres for the bus!", tags=["bus", "storage"], today=DAY)
    assert (a.number, a.slug, a.title, a.status) == (
        8,
        "use-postgres-for-the-bus",
        "Use Postgres for the bus!",
        "proposed",
    )
    assert a.path.name == "0008-use-postgres-for-the-bus.md"
    text = a.path.read_text()
    assert text.startswith("---\nstatus: proposed\ndate: 2027-01-15\n")
    assert "tags: [bus, storage]" in text and "# 8. Use Postgres for the bus!\n" in text
    assert "## Decision Outcome" in text and "## Considered Options" in text
    again, problems = parse_adr(a.path, org_root)
    assert problems == [] and again.meta.tags == ["bus", "storage"]
    assert new_adr(org_root, "Second").number == 9


def test_new_in_an_empty_org_starts_at_one_and_uses_the_orgs_template(tmp_path):
    assert (
        new_adr(tmp_path, "Record architecture decisions").path.name
        == "0001-record-architecture-decisions.md"
    )
    tpl = tmp_path / "adrs" / "templates" / "template.md"
    tpl.parent.mkdir()
    tpl.write_text(
        "---\nstatus: proposed\ndate: {{date}}\ntags: {{tags}}\n---\n# {{number}}. {{title}}\n\nOurs.\n"
    )
    b = new_adr(tmp_path, "Custom", today=DAY)
    assert (
        b.path.read_text() == "---\nstatus: proposed\ndate: 2027-01-15\ntags: []\n---\n# 2. Custom\n\nOurs.\n"
    )


@pytest.mark.parametrize(("title", "tags"), [("   ", ()), ("x" * 201, ()), ("Fine", ("Bad Tag",))])
def test_new_rejects_bad_input(tmp_path, title, tags):
    with pytest.raises(UsageError):
        new_adr(tmp_path, title, tags=tags)
    assert not list(tmp_path.glob("adrs/*.md"))


def test_concurrent_new_never_reuses_a_number(tmp_path):
    code = (
        "import sys; from pathlib import Path; from org.adrs.lifecycle import new_adr\n"
        "for i in range(5): new_adr(Path(sys.argv[1]), f'decision {sys.argv[2]} {i}')"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path), str(k)]) for k in range(4)]
    assert all(p.wait(timeout=60) == 0 for p in procs)
    adrs = load_adrs(tmp_path)
    assert sorted(adrs.adrs) == list(range(1, 21)) and adrs.problems == []


def test_accept_reject_deprecate(org_root, org_cfg):
    a = new_adr(org_root, "Something to decide")
    b = new_adr(org_root, "Something else")
    acc, changed = set_status(org_root, a.number, "accepted", org_cfg, today=DAY)
    assert changed and acc.status == "accepted" and acc.meta.date == DAY
    assert set_status(org_root, a.number, "accepted", org_cfg) == (acc, False)  # no-op the second time
    with pytest.raises(Conflict, match="only a proposed ADR can become rejected"):
        set_status(org_root, a.number, "rejected")
    rej, _ = set_status(org_root, b.number, "rejected")
    assert rej.status == "rejected"
    with pytest.raises(Conflict, match="supersede it instead"):
        set_status(org_root, 4, "rejected")
    dep, _ = set_status(org_root, a.number, "deprecated")
    assert dep.status == "deprecated"
    with pytest.raises(NotFound):
        set_status(org_root, 99, "accepted")
    with pytest.raises(UsageError):
        set_status(org_root, a.number, "superseded")


def test_status_change_keeps_comments_and_body(org_root):
    p = org_root / "adrs" / "0020-commented.md"
    original = (
        "---\nstatus: proposed            # proposed | accepted | rejected\ndate: 2026-11-21\n"
        "# a comment line\ntags:\n  - x\n  - y\nsupersedes: []\n---\n# 20. Commented\n\nBody *stays*.\n"
    )
    p.write_text(original)
    set_status(org_root, 20, "accepted", today=DAY)
    assert p.read_text() == original.replace(
        "status: proposed            #", "status: accepted            #"
    ).replace("2026-11-21", "2027-01-15")


def test_supersede_writes_both_links_and_statuses(org_root, org_cfg):
    write_adr(org_root, 3, "Hosts are configured by hand", status="superseded", superseded_by=20)
    new = write_adr(org_root, 20, "Pipeline or operator", status="proposed", supersedes=[3])
    old, succ, changed = supersede(org_root, 7, 20, org_cfg, today=DAY)
    assert changed
    assert (old.status, old.meta.superseded_by) == ("superseded", 20)
    assert (succ.status, succ.meta.supersedes) == ("accepted", [3, 7])
    text = new.read_text()
    assert "supersedes: [3, 7]\n" in text and "# 20. Pipeline or operator" in text
    assert (
        "superseded_by: 20\n"
        in (org_root / "adrs" / "0007-host-configuration-only-through-the-pipeline.md").read_text()
    )
    assert supersede(org_root, 7, 20, org_cfg)[2] is False  # the same again: a no-op
    from org.adrs.check import validate_adrs

    assert validate_adrs(org_root, org_cfg) == []
    with pytest.raises(Conflict, match="only an accepted decision can be superseded"):
        supersede(org_root, 7, 6, org_cfg)
    with pytest.raises(UsageError):
        supersede(org_root, 6, 6, org_cfg)


def test_supersede_needs_a_standing_successor(org_root, org_cfg):
    write_adr(org_root, 20, "Rejected idea", status="rejected")
    with pytest.raises(Conflict, match="the successor must be proposed or accepted"):
        supersede(org_root, 7, 20, org_cfg)
    with pytest.raises(NotFound):
        supersede(org_root, 7, 42, org_cfg)


def test_accept_refuses_a_contradiction_with_an_accepted_adr(org_root, org_cfg):
    manual = {**PIPELINE_ONLY, "id": "manual", "require": {"attr": "via", "eq": "manual"}}
    p = write_adr(org_root, 20, "Config by hand", status="proposed", constraints=[manual])
    before = p.read_text()
    with pytest.raises(ConfigError) as exc:
        set_status(org_root, 20, "accepted", org_cfg)
    assert "accepting ADR 0020 refused" in exc.value.message
    assert any("contradicts ADR 0007's constraint 'pipeline-only'" in str(x) for x in exc.value.problems)
    assert p.read_text() == before
    # superseding ADR 7 is how the question is reopened
    _, succ, _ = supersede(org_root, 7, 20, org_cfg)
    assert succ.status == "accepted"


def test_supersede_refuses_a_successor_that_contradicts_another_accepted_adr(org_root, org_cfg):
    write_adr(
        org_root,
        20,
        "Docs through the pipeline",
        constraints=[
            {
                "id": "docs-pipeline",
                "text": "Docs go through the pipeline",
                "when": {"attr": "kind", "eq": "docs"},
                "require": {"attr": "via", "eq": "pipeline"},
            }
        ],
    )
    write_adr(
        org_root,
        21,
        "Everything by hand",
        status="proposed",
        constraints=[
            {"id": "hand", "text": "Everything by hand", "require": {"attr": "via", "eq": "manual"}}
        ],
    )
    with pytest.raises(ConfigError) as exc:
        supersede(org_root, 7, 21, org_cfg)
    assert any("contradicts ADR 0020's constraint 'docs-pipeline'" in str(x) for x in exc.value.problems)
    assert load_adrs(org_root).get(7).status == "accepted"


@pytest.mark.parametrize(("text", "n"), [("7", 7), ("0007", 7), ("ADR-0007", 7), ("adr 12", 12)])
def test_parse_number(text, n):
    assert parse_number(text) == n


@pytest.mark.parametrize("text", ["0", "seven", "-3", "7a"])
def test_parse_number_rejects(text):
    with pytest.raises(UsageError):
        parse_number(text)


def test_a_half_written_supersede_is_completed_by_running_it_again(org_root, org_cfg):
    """As if the process died between the two writes: the successor already lists the old ADR."""
    write_adr(org_root, 20, "Pipeline or operator", supersedes=[7])
    from org.adrs.check import validate_adrs

    assert any("supersedes ADR 0007, but" in str(p) for p in validate_adrs(org_root, org_cfg))
    old, succ, changed = supersede(org_root, 7, 20, org_cfg)
    assert changed and old.meta.superseded_by == 20 and succ.meta.supersedes == [7]
    assert validate_adrs(org_root, org_cfg) == []
