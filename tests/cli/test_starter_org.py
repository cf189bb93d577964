"""The starter org `org init` copies is package data (org/defaults/): the project's lanes and gates, and only a
few ADRs a team's org starts with, numbered from 1; destructive ADR commands ask first (issue 20)."""

from __future__ import annotations

import filecmp
import json
import re

from tests.helpers import REPO, org_in_process, run_org

DEFAULTS = REPO / "org" / "defaults"


def test_starter_lanes_and_gates_are_the_projects():
    """One org definition today: when the project's lanes/ or gates/ change, the starter org follows."""
    for d in ("lanes", "gates"):
        cmp = filecmp.dircmp(REPO / d, DEFAULTS / d)
        differ = cmp.left_only + cmp.right_only + cmp.diff_files
        assert not differ, (
            f"{d}/ and org/defaults/{d}/ differ ({differ}); copy the change over "
            f"(cp {d}/*.yaml org/defaults/{d}/) or, if the starter org should differ, say so here"
        )


def test_init_makes_the_starter_org_with_few_adrs_numbered_from_1(tmp_path):
    dest = tmp_path / "mine"
    r = run_org("init", str(dest), "--json", root=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["created"] == ["lanes", "gates", "adrs"]
    numbers = sorted(int(p.name[:4]) for p in (dest / "adrs").glob("*.md"))
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) <= 10
    assert not any(
        "org/" in p.read_text() for p in (dest / "adrs").glob("*.md")
    )  # nothing about org's internals
    adrs = json.loads(org_in_process("adr", "list", "--json", root=dest).stdout)["adrs"]
    assert {a["status"] for a in adrs} == {"accepted"}
    assert org_in_process("validate", root=dest).returncode == 0
    # the example: a team drops the ops workflow; its ADRs do not hold it hostage
    (dest / "gates" / "ops.yaml").unlink()
    r = org_in_process("validate", root=dest)
    assert r.returncode == 0, r.stderr


def test_destructive_adr_commands_ask_unless_yes(tmp_path):
    dest = tmp_path / "mine"
    assert org_in_process("init", str(dest), root=tmp_path).returncode == 0
    before = {p.name: p.read_text() for p in (dest / "adrs").glob("*.md")}
    assert org_in_process("adr", "new", "Replacement", root=dest).returncode == 0
    new = next(p for p in (dest / "adrs").glob("*.md") if p.name not in before)
    n = int(new.name[:4])
    snapshot = {p.name: p.read_text() for p in (dest / "adrs").glob("*.md")}
    for args in (("supersede", "4", "--by", str(n)), ("deprecate", "4"), ("reject", str(n))):
        r = org_in_process(
            "adr", *args, root=dest, input="y\n"
        )  # no terminal: a 'y' on stdin is not a confirmation
        assert r.returncode == 2 and "--yes" in r.stderr, (args, r.stderr)
        assert {p.name: p.read_text() for p in (dest / "adrs").glob("*.md")} == snapshot
    r = org_in_process("adr", "supersede", "4", "--by", str(n), "--yes", "--json", root=dest)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["superseded"]["status"] == "superseded"
    assert re.search(r"^status: accepted", new.read_text(), re.M)
    assert (
        org_in_process("adr", "accept", str(n), root=dest).returncode == 0
    )  # accepting is not destructive: no question
