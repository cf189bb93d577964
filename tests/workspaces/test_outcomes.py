"""Outcomes: reverts found on the target by `org outcomes scan`, and the report with Wilson intervals."""

from __future__ import annotations

import pytest

from org.workspaces.outcomes import wilson
from org.workspaces.pipeline import run_pipeline
from org.workspaces.service import outcomes_report, scan_outcomes
from tests.workspaces.gitrepo import sh_git
from tests.workspaces.test_pipeline import CODE, _build, _events, _good, _review, _start


@pytest.fixture
def code_org(ws_org):
    (ws_org / "gates" / "code.yaml").write_text(
        CODE.replace("{kind: work, lane: builder}", "{kind: work, lane: builder, action: code.write}")
    )
    return ws_org


@pytest.fixture
def cbus(code_org, wsbus):
    return wsbus


def _merge_one(bus, change=_good):
    task, ws = _start(bus)
    _build(bus, task, ws, change)
    run_pipeline(bus)
    _review(bus, task)
    assert run_pipeline(bus)[0]["status"] == "done"
    return task


def test_a_revert_is_found_once_and_counts_against_success(cbus, source):
    t1 = _merge_one(cbus)
    _merge_one(cbus, lambda ws: (ws / "docs.md").write_text("more\n"))  # merged, stays
    assert scan_outcomes(cbus) == []
    merge1 = _events(cbus, t1, "outcome.merged")[-1]["data"]["commit"]
    sh_git(source, "revert", "--no-edit", "-m", "1", merge1)  # a person reverts the first task's merge
    found = scan_outcomes(cbus)
    assert [(f["task"], f["reverted"]) for f in found] == [(t1, merge1)]
    assert scan_outcomes(cbus) == []  # recorded once
    assert _events(cbus, t1, "outcome.reverted")[-1]["data"]["commit"] == sh_git(source, "rev-parse", "main")
    rows = {r["member"]: r for r in outcomes_report(cbus, "member")}
    b = rows["build-claude"]
    assert b["tasks"] == 2 and b["success"]["k"] == 1 and b["revert"] == {**b["revert"], "k": 1, "n": 2}
    assert b["test_failure"]["k"] == 0 and b["test_failure"]["n"] == 2
    lo, hi = b["success"]["ci95"]
    assert 0 < lo < 0.5 < hi < 1
    fam = {r["family"]: r for r in outcomes_report(cbus, "family")}
    assert fam["anthropic"]["tasks"] == 2


def test_a_trailer_names_the_reverted_task(cbus, source):
    t1 = _merge_one(cbus)
    (source / "README.md").write_text("undo\n")
    sh_git(source, "commit", "-qam", f"undo it\n\nOrg-Reverts: {t1}")
    assert [f["task"] for f in scan_outcomes(cbus)] == [t1]


def test_bad_group_is_a_usage_error(cbus):
    from org.errors import UsageError

    with pytest.raises(UsageError, match="--by is one of"):
        outcomes_report(cbus, "colour")


@pytest.mark.parametrize(
    "k, n, lo, hi", [(0, 10, 0.0, 0.2775), (10, 10, 0.7225, 1.0), (5, 10, 0.2366, 0.7634)]
)
def test_wilson_interval(k, n, lo, hi):
    a, b = wilson(k, n)
    assert a == pytest.approx(lo, abs=1e-3) and b == pytest.approx(hi, abs=1e-3)


def test_wilson_of_nothing():
    assert wilson(0, 0) is None


def test_success_is_merged_and_not_reverted_everywhere_it_is_shown(cbus, source):
    """The task view, `org task show`'s text, the TUI and the demo summary count a success as merged and not
    reverted; the real diff of the current revision is shown, with an agent's escape sequences made visible."""
    from types import SimpleNamespace

    from rich.console import Console

    from org.agents.demo import DemoResult
    from org.bus.timeline import render_timeline
    from org.tui.widgets.evidence import render_evidence

    evil = "def add(a, b):\n    return b + a  # \x1b[2J\x1b]0;pwned\x07\n"
    t1 = _merge_one(cbus, lambda ws: (ws / "src" / "app.py").write_text(evil))
    t2 = _merge_one(cbus, lambda ws: (ws / "docs.md").write_text("more\n"))
    assert cbus.task(t1)["success"] is True
    merge1 = _events(cbus, t1, "outcome.merged")[-1]["data"]["commit"]
    sh_git(source, "revert", "--no-edit", "-m", "1", merge1)
    scan_outcomes(cbus)
    v1, v2 = cbus.task(t1), cbus.task(t2)
    assert v1["status"] == v2["status"] == "done"
    assert v1["success"] is False and v2["success"] is True and v1["reverted_evidence"]
    text = render_timeline(v1, cbus.timeline(t1))
    rev = v1["revision_evidence"]["commit"]
    assert f"revision {rev[:12]} against base" in text and "REVERTED by" in text
    assert "+    return b + a  # \\x1b[2J\\x1b]0;pwned\\x07" in text and "\x1b" not in text
    assert "tier raised" not in text and "checked by the diff guard" in text
    console = Console(width=120, record=True, color_system=None)
    console.print(render_evidence({"request": {"task": t1}, **v1}))
    shown = console.export_text()
    assert f"commit {rev[:12]} against base" in shown and "+    return b + a" in shown
    assert "REVERTED" in shown and "\x1b" not in shown
    import time

    from org.identity.guard import Guard
    from org.tui.ops import agents_view
    from org.tui.screens.agents import AgentsScreen

    now = time.time()
    data = agents_view(Guard(cbus).reading(None, as_="alice"), now)
    line = AgentsScreen._extra(data, now).plain
    assert "Outcomes: 1 successful (merged 2, reverted 1)" in line and "per successful outcome" in line
    out = data["outcomes"]
    assert {k: out[k] for k in ("merged", "reverted", "succeeded")} == {
        "merged": 2,
        "reverted": 1,
        "succeeded": 1,
    }
    report = SimpleNamespace(cost_usd=3.0, calls=3, unpriced_calls=0, actions=[])
    res = DemoResult("sqlite://", None, [v1, v2], report, 1.0, [])
    s = res.summary()
    assert s["done"] == [t1, t2] and s["succeeded"] == [t2] and s["cost_per_success_usd"] == 3.0
