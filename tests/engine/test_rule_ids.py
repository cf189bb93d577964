"""One home per built-in rule id: org.engine.rule_ids defines them and its docstring is their table."""

from __future__ import annotations

import re
from pathlib import Path

import org
from org.engine import rule_ids

ORG = Path(org.__file__).resolve().parent
HOME = ORG / "engine" / "rule_ids.py"
# The spellings of built-in ids: ORG-..., the lane templates and the ADR checker's own. (ADR-NNNN, the id of
# an ADR's constraints, is also how ADRs are cited everywhere: its one home is org.adrs.model.adr_id.)
LITERAL = re.compile(r"\bORG-[A-Z]|\bLANE-[A-Z{]|ADR-UNREADABLE")


def test_no_built_in_id_is_spelt_outside_its_home():
    found = []
    for path in sorted(ORG.rglob("*.py")):
        if path == HOME:
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if LITERAL.search(line):
                found.append(f"{path.relative_to(ORG.parent)}:{n}: {line.strip()}")
    assert not found, "built-in rule ids spelt outside org/engine/rule_ids.py:\n" + "\n".join(found)


def test_the_scan_would_see_a_literal(tmp_path):
    """The pattern catches each way an id has been spelt before (so the test above can fail)."""
    for line in (
        'raise Denied(m, rule="ORG-HUMAN-APPROVAL")',
        "why = 'ORG-CROSS-VENDOR'",
        'RuleHit(f"LANE-{lane.upper()}-MAY", ...)',
        'Violation("ADR-UNREADABLE", ...)',
        '"""The ORG-CROSS-VENDOR refusal"""',
    ):
        assert LITERAL.search(line), line


def test_the_docstring_is_the_table_of_every_id():
    rows = [
        ln.split("|")[1].strip()
        for ln in (rule_ids.__doc__ or "").splitlines()
        if ln.startswith("| ") and not ln.startswith("| id ")
    ]
    fixed = {r for r in rows if not r.startswith(("LANE-<", "ADR-NNNN"))}
    assert fixed == set(rule_ids.BUILT_IN), "the table and the constants differ"
    assert len(rows) == len(set(rows)), "an id has two rows"
    assert rule_ids.lane_may_not("builder") == "LANE-BUILDER-MAY-NOT" and "LANE-<LANE>-MAY-NOT" in rows
    assert rule_ids.lane_may("builder") == "LANE-BUILDER-MAY" and "LANE-<LANE>-MAY" in rows
    for ln in (rule_ids.__doc__ or "").splitlines():
        if ln.startswith("| ") and not ln.startswith("| id "):
            _, rid, protects, where, _ = ln.split("|")
            assert protects.strip() and where.strip(), f"{rid.strip()}: say what it protects and where"


def test_every_id_is_used_where_the_table_says():
    """Each id is enforced somewhere: its constant is read by a module the table names."""
    doc = rule_ids.__doc__ or ""
    for name in rule_ids.__all__:
        value = getattr(rule_ids, name)
        if not (isinstance(value, str) and value in rule_ids.BUILT_IN):
            continue
        row = next(ln for ln in doc.splitlines() if ln.startswith(f"| {value} "))
        where = row.split("|")[3]
        modules = re.findall(r"\b([a-z]+\.[a-z_]+)\b", where)
        users = [
            m
            for m in modules
            if (ORG / (m.replace(".", "/") + ".py")).is_file()
            and f"rule_ids.{name}" in (ORG / (m.replace(".", "/") + ".py")).read_text()
        ]
        assert users, f"{value}: none of {modules} uses rule_ids.{name}"
