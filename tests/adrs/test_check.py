"""The ADR check at eligibility: contradicting an accepted ADR fails the check gate with the ADR cited;
superseding it with an ADR without that constraint lets the same task pass."""

from __future__ import annotations

import os

from org.adrs.check import AdrCheck, adrs_relied_on, make_extra_check
from org.adrs.lifecycle import supersede
from org.adrs.parse import load_adrs
from org.engine.flow import resume, start_task
from org.engine.state import fold
from tests.adrs.adr_helpers import PIPELINE_ONLY, drive, write_adr

CONTRADICTS = {"kind": "config", "via": "manual", "environment": "staging"}
COMPLIES = {"kind": "config", "via": "pipeline", "environment": "staging"}
TITLE = "ADR 0007 'Host configuration only through the pipeline'"


def run_task(cfg, attrs, check, task="T1"):
    events = drive(
        cfg,
        start_task(cfg, task, "Change the sshd config", "change", attrs, by="alice", extra_check=check),
        check,
    )
    return events, fold(events)


def test_a_task_that_contradicts_an_accepted_adr_fails_the_check_gate(org_root, org_cfg):
    check = make_extra_check(org_root)
    events, state = run_task(org_cfg, CONTRADICTS, check)
    assert state.status == "escalated"
    failed = [e for e in events if e.type == "gate.failed"]
    assert len(failed) == 1 and failed[0].data["gate"] == "eligibility"
    assert failed[0].data["rules"] == ["ADR-0007"]
    reason = failed[0].data["reason"]
    assert reason.startswith(f"contradicts {TITLE}: Host configuration changes go through the pipeline")
    assert (
        "this task has kind=config, via=manual" in reason
        and "enforced by RED-HOST-CONFIG-OUTSIDE-PIPELINE" in reason
    )
    v = failed[0].data["violations"][0]
    assert v["rule"] == "ADR-0007"
    assert v["source"].startswith("adrs/0007-host-configuration-only-through-the-pipeline.md:")
    file, line = v["source"].rsplit(":", 1)
    text = (org_root / file).read_text().splitlines()
    assert text[int(line) - 1] == "- id: pipeline-only"
    assert events[-1].type == "task.escalated" and TITLE in events[-1].data["reason"]
    assert adrs_relied_on(org_root, state) == [7]


def test_a_complying_task_passes_and_records_what_it_relied_on(org_root, org_cfg):
    check = make_extra_check(org_root)
    events, state = run_task(org_cfg, COMPLIES, check)
    assert state.status == "done", state.escalation
    assert state.gates["eligibility"].status == "passed"
    assert adrs_relied_on(org_root, state) == [7]
    _, docs = run_task(org_cfg, {"kind": "docs"}, check, task="T2")
    assert docs.status == "done" and adrs_relied_on(org_root, docs) == []


def test_missing_attribute_fails_closed(org_root, org_cfg):
    _, state = run_task(org_cfg, {"kind": "config"}, make_extra_check(org_root))
    assert state.status == "escalated" and "via not set" in state.escalation


def test_superseding_the_adr_lets_the_same_task_pass(org_root, org_cfg):
    events, state = run_task(org_cfg, CONTRADICTS, make_extra_check(org_root))
    assert state.status == "escalated"
    write_adr(
        org_root,
        20,
        "Host configuration through the pipeline or by an operator",
        status="proposed",
        rules=["RED-HOST-CONFIG-OUTSIDE-PIPELINE"],
        tags=["ops", "hosts"],
    )
    supersede(org_root, 7, 20, org_cfg)
    adrs = load_adrs(org_root)
    assert adrs.get(7).status == "superseded" and adrs.get(20).status == "accepted"
    check = make_extra_check(org_root)
    assert check.check(CONTRADICTS) == []
    # the same task, resumed by a human: the check gate runs again and now passes
    events += resume(org_cfg, state, "alice", "ADR 0007 superseded by ADR 0020", extra_check=check)
    after = fold(events)
    assert after.status == "done", after.escalation
    assert after.gates["eligibility"].status == "passed"
    assert adrs_relied_on(org_root, after) == []
    # and a fresh task with the same attributes passes from the start
    _, fresh = run_task(org_cfg, CONTRADICTS, check, task="T2")
    assert fresh.status == "done"


def test_the_successor_binds_in_its_place(org_root, org_cfg):
    stricter = {
        **PIPELINE_ONLY,
        "id": "pipeline-and-review",
        "text": "Host config goes through the reviewed pipeline",
        "require": {"attr": "via", "eq": "pipeline"},
        "when": {"attr": "kind", "in": ["config", "env"]},
    }
    write_adr(
        org_root,
        20,
        "Host and environment config through the pipeline",
        status="proposed",
        constraints=[stricter],
    )
    supersede(org_root, 7, 20, org_cfg)
    check = make_extra_check(org_root)
    vs = check.check({"kind": "env", "via": "manual"})
    assert [v.rule for v in vs] == ["ADR-0020"]
    assert vs[0].reason.startswith("contradicts ADR 0020 'Host and environment config through the pipeline'")
    _, state = run_task(org_cfg, {"kind": "env", "via": "manual", "environment": "staging"}, check)
    assert (
        state.status == "escalated" and "ADR 0020" in state.escalation and "ADR 0007" not in state.escalation
    )


def test_only_accepted_adrs_bind(org_root):
    manual = {
        **PIPELINE_ONLY,
        "id": "docs-by-hand",
        "when": {"attr": "kind", "eq": "docs"},
        "require": {"attr": "via", "eq": "manual"},
    }
    for n, status in ((20, "proposed"), (21, "rejected"), (22, "deprecated")):
        write_adr(org_root, n, f"Not binding {status}", status=status, constraints=[manual])
    check = make_extra_check(org_root)
    assert check.check({"kind": "docs", "via": "pipeline"}) == []
    assert [b.adr for b in check.constraints] == [7]


def test_an_unreadable_adr_fails_every_check_closed(org_root, org_cfg):
    (org_root / "adrs" / "0021-broken.md").write_text("---\nstatus: [\n---\n# 21. Broken\n")
    check = make_extra_check(org_root)
    vs = check.check({"kind": "docs"})
    assert [v.rule for v in vs] == ["ADR-UNREADABLE"] and vs[0].source == "adrs/0021-broken.md:1"
    _, state = run_task(org_cfg, {"kind": "docs"}, check)
    assert state.status == "escalated"


def test_no_adrs_no_check(tmp_path):
    assert make_extra_check(tmp_path) is None
    assert adrs_relied_on(tmp_path, fold(start_task_stub())) == []


def start_task_stub():
    from org.engine.state import Event

    return [
        Event("task.created", "T", {"workflow": "change", "tier": "low", "config_hash": "x", "gates": []})
    ]


def test_the_check_is_pure_once_built(org_root, org_cfg):
    check = make_extra_check(org_root)
    assert isinstance(check, AdrCheck)
    for p in (org_root / "adrs").iterdir():
        p.unlink()
    state = fold(start_task(org_cfg, "T1", "x", "change", CONTRADICTS, by="alice"))
    assert [v.rule for v in check(org_cfg, state, "eligibility")] == ["ADR-0007"]
    assert check(org_cfg, state, "eligibility") == check(org_cfg, state, "eligibility")


def test_the_check_reads_content_not_timestamps(org_root):
    """An edit that keeps the size and the mtime still reaches the check (parses are keyed by content)."""
    assert make_extra_check(org_root).check(COMPLIES) == []
    p = org_root / "adrs" / "0007-host-configuration-only-through-the-pipeline.md"
    st = p.stat()
    text = p.read_text()
    assert "    eq: pipeline\n" in text
    p.write_text(text.replace("    eq: pipeline\n", "    eq: pipelin3\n"))
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert p.stat().st_size == st.st_size
    assert [v.rule for v in make_extra_check(org_root).check(COMPLIES)] == ["ADR-0007"]
