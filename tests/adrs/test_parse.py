"""Parsing ADR files: front matter with lines, adr-tools names and titles, and the fast reader agreeing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from org.adrs.parse import load_adrs, parse_adr, parse_adr_fast, parse_text, slugify, split_front_matter
from tests.adrs.adr_helpers import PIPELINE_ONLY, write_adr

TEXT = """---
status: Accepted
date: 2026-11-21
deciders: [alice, bob]
tags: [ops]
supersedes: 3
superseded_by: null
rules: [RED-HOST-CONFIG-OUTSIDE-PIPELINE]
gates: [ops.approval]
paths: [infra/**]
constraints:
  - id: pipeline-only
    text: Host configuration changes go through the pipeline
    when: {attr: kind, eq: config}
    require: {attr: via, eq: pipeline}
    rule: RED-HOST-CONFIG-OUTSIDE-PIPELINE
---
# 7. Host configuration only through the pipeline

## Context and Problem Statement
"""


def test_parse_fields_and_lines(tmp_path):
    path = tmp_path / "adrs" / "0007-host-config.md"
    a, problems = parse_text(TEXT, path, tmp_path)
    assert problems == []
    assert (a.number, a.slug, a.title, a.rel, a.title_line) == (
        7,
        "host-config",
        "Host configuration only through the pipeline",
        "adrs/0007-host-config.md",
        18,
    )
    m = a.meta
    assert (m.status, m.date, m.deciders, m.supersedes, m.superseded_by) == (
        "accepted",
        dt.date(2026, 11, 21),
        ["alice", "bob"],
        [3],
        None,
    )
    assert (
        m.constraints[0].when.eq == "config" and m.constraints[0].rule == "RED-HOST-CONFIG-OUTSIDE-PIPELINE"
    )
    assert (
        a.line("status") == 2 and a.line("constraints", 0) == 12 and a.line("constraints", 0, "require") == 15
    )
    assert a.where("constraints", 0) == "adrs/0007-host-config.md:12"
    assert a.id == "ADR-0007" and a.label == "ADR 0007" and a.binding
    j = a.to_json(body=True)
    assert j["constraints"][0] == {**PIPELINE_ONLY, "source": "adrs/0007-host-config.md:12"}
    assert j["body"].startswith("# 7. Host") and j["date"] == "2026-11-21"


def test_fast_reader_agrees_with_the_careful_one(tmp_path):
    path = tmp_path / "adrs" / "0007-host-config.md"
    careful, _ = parse_text(TEXT, path, tmp_path)
    fast, _ = parse_adr_fast(TEXT, path, tmp_path)
    assert (fast.meta, fast.title, fast.body, fast.title_line) == (
        careful.meta,
        careful.title,
        careful.body,
        careful.title_line,
    )
    bad = TEXT.replace("status: Accepted", "status: approved")
    assert parse_adr_fast(bad, path, tmp_path)[1] == parse_text(bad, path, tmp_path)[1] != []


def test_crlf_and_leading_zeros(tmp_path):
    path = tmp_path / "adrs" / "0012-windows.md"
    text = "---\r\nstatus: proposed\r\ndate: 2026-11-21\r\n---\r\n# 0012. Windows line ends\r\n"
    a, problems = parse_text(text, path, tmp_path)
    assert problems == [] and a.number == 12 and a.title == "Windows line ends"


def test_split_front_matter():
    assert split_front_matter("---\na: 1\n---\nbody\n") == ("a: 1\n", "body\n", 4)
    assert split_front_matter("---\na: 1\n...\nbody\n") == ("a: 1\n", "body\n", 4)
    assert split_front_matter("no\n") == (None, "no\n", 1)
    assert split_front_matter("---\nnever closed\n")[0] is None


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Record architecture decisions", "record-architecture-decisions"),
        ("Use PostgreSQL (at scale)!", "use-postgresql-at-scale"),
        ("  ---  ", "decision"),
        ("Ünïcode ok", "n-code-ok"),
    ],
)
def test_slugify_like_adr_tools(title, slug):
    assert slugify(title) == slug


def test_load_adrs_skips_other_files(org_root: Path):
    (org_root / "adrs" / "README.md").write_text("# ADRs\n")
    (org_root / "adrs" / "templates").mkdir()
    (org_root / "adrs" / "templates" / "template.md").write_text("---\n---\n")
    write_adr(org_root, 12, "Twelve")
    adrs = load_adrs(org_root)
    assert sorted(adrs.adrs) == [4, 5, 6, 7, 12] and adrs.problems == [] and adrs.next_number() == 13
    assert [a.number for a in adrs.binding()] == [4, 5, 6, 7, 12]


def test_unreadable_bytes(tmp_path):
    p = tmp_path / "adrs" / "0001-bytes.md"
    p.parent.mkdir()
    p.write_bytes(b"---\nstatus: \xff\n---\n")
    assert [str(x) for x in parse_adr(p, tmp_path)[1]] == ["adrs/0001-bytes.md:1: not valid UTF-8"]


def test_madr4_decision_makers_are_deciders(tmp_path):
    text = "---\nstatus: accepted\ndate: 2026-11-21\ndecision-makers: [alice]\nconsulted: [bob]\n---\n# 3. MADR 4\n"
    a, problems = parse_text(text, tmp_path / "adrs" / "0003-madr-4.md", tmp_path)
    assert problems == [] and a.meta.deciders == ["alice"] and a.meta.consulted == ["bob"]
    fast, _ = parse_adr_fast(text, tmp_path / "adrs" / "0003-madr-4.md", tmp_path)
    assert fast.meta == a.meta
