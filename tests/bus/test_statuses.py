"""Statuses are a closed vocabulary (issue 22 item 4): every status a statement of the bus's SQL names, and every
status the bus writes through its code, is one of org.bus.statuses' Literals for that table."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from org.bus import statuses
from org.bus.statuses import APPROVAL_STATUSES, JOB_STATUSES, TASK_STATUSES

BUS = Path(statuses.__file__).resolve().parent
TABLES = {"jobs": set(JOB_STATUSES), "approvals": set(APPROVAL_STATUSES), "tasks": set(TASK_STATUSES)}
_TABLE = re.compile(r"\b(?:FROM|UPDATE|INTO|JOIN)\s+(jobs|approvals|tasks)\b", re.IGNORECASE)
# status = 'x', status <> 'x', SET status = 'x', status IN ('x', 'y'), an alias's j.status = 'x'
_NAMED = re.compile(
    r"\bstatus\s*(?:=|<>|!=|\bIN\b|\bNOT\s+IN\b)\s*\(?((?:\s*'[a-z_]+'\s*,?)+)\)?", re.IGNORECASE
)


def _texts(path: Path) -> list[tuple[int, str]]:
    """The string constants of a module, f-strings read with their placeholders as 'x'."""
    out = []
    tree = ast.parse(path.read_text())
    parts = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in parts:
            out.append((node.lineno, node.value))
        elif isinstance(node, ast.JoinedStr):
            out.append(
                (node.lineno, "".join(v.value if isinstance(v, ast.Constant) else "x" for v in node.values))
            )
    return out


def named_statuses(path: Path) -> list[tuple[int, set[str], set[str]]]:
    """(line, the tables a statement reads or writes, the statuses it names) for every statement naming one."""
    out = []
    for line, text in _texts(path):
        named = {s for m in _NAMED.finditer(text) for s in re.findall(r"'([a-z_]+)'", m.group(1))}
        if named:
            out.append((line, {t.lower() for t in _TABLE.findall(text)}, named))
    return out


def test_every_status_the_sql_names_is_in_its_tables_vocabulary():
    wrong, seen = [], 0
    for path in sorted(BUS.glob("*.py")):
        for line, tables, named in named_statuses(path):
            seen += 1
            allowed = set().union(*(TABLES[t] for t in tables)) if tables else set().union(*TABLES.values())
            if named - allowed:
                wrong.append(
                    f"{path.name}:{line}: {sorted(named - allowed)} not a status of {sorted(tables)}"
                )
    assert seen > 30, "the scanner found too few statements: it is blind"
    assert not wrong, "\n".join(wrong)


def test_the_scanner_sees_a_status_outside_the_vocabulary(tmp_path):
    p = tmp_path / "m.py"
    p.write_text(
        "a = \"UPDATE jobs SET status = 'leasd' WHERE id = :j\"\n"
        "b = \"SELECT id FROM approvals WHERE status IN ('pending', 'granted')\"\n"
        "c = f\"SELECT {x} FROM tasks t WHERE t.status <> 'done'\"\n"
    )
    found = named_statuses(p)
    assert [(line, tables, named) for line, tables, named in found] == [
        (1, {"jobs"}, {"leasd"}),
        (2, {"approvals"}, {"pending", "granted"}),
        (3, {"tasks"}, {"done"}),
    ]
    assert {"leasd"} - TABLES["jobs"]


def test_the_statuses_in_a_real_database_are_the_vocabularies(tmp_path):
    """Drive tasks through review, rework, escalation, a human's decision and a sweep on a real SQLite file: every
    status the rows end in is one the Literals name."""
    from org.bus import Bus
    from tests.bus.bushelpers import drive
    from tests.helpers import starter_org

    root = starter_org(tmp_path / "org", ("lanes", "gates"))
    with Bus.open(root=root) as bus:
        done = bus.add_task("docs", "change", by="alice", attributes={"kind": "docs"})["task"]
        drive(bus, done)
        bus.add_task("x", "change", by="alice")
        c = bus.claim("builder", "build-gpt")
        bus.fail(c.job, c.token, reason="cannot")  # dead, and the task escalated to a human
        rows = bus.store.read(
            lambda tx: {t: {r[0] for r in tx.x(f"SELECT DISTINCT status FROM {t}").all()} for t in TABLES}
        )
    for table, seen in rows.items():
        assert seen and seen <= TABLES[table], (table, seen)
