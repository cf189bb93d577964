"""The FTS5 index: bm25 ranking, filters, and rebuilding itself when the Markdown files change."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest

from org.adrs.index import AdrIndex, decision_summary, fts_query
from org.errors import UsageError
from tests.adrs.adr_helpers import write_adr


@pytest.fixture
def corpus(tmp_path):
    write_adr(
        tmp_path, 1, "Deploy through the pipeline", tags=["ops"], context="releases must be reproducible."
    )
    write_adr(
        tmp_path,
        2,
        "Review from another vendor",
        tags=["review"],
        context="a reviewer from the same model family misses the same bugs; the pipeline runs tests too.",
    )
    write_adr(
        tmp_path,
        3,
        "Logging format",
        tags=["pipeline"],
        status="proposed",
        context="logs are JSON lines so the log pipeline, the pipeline dashboards and pipeline alerts parse them.",
    )
    write_adr(
        tmp_path,
        4,
        "Use SQLite by default",
        tags=["storage"],
        status="superseded",
        superseded_by=5,
        context="one file, no server.",
    )
    write_adr(
        tmp_path,
        5,
        "PostgreSQL at scale",
        tags=["storage"],
        supersedes=[4],
        context="many writers need a server.",
    )
    return tmp_path


def numbers(hits):
    return [h.number for h in hits]


def test_search_ranks_title_then_tags_then_body(corpus):
    with AdrIndex(corpus) as idx:
        idx.sync()
        hits = idx.search("pipeline")
        assert numbers(hits) == [
            1,
            3,
            2,
        ]  # title (weight 10) > tag and three body mentions > one body mention
        assert hits[0].score > hits[1].score > hits[2].score > 0
        assert "[pipeline]" in hits[0].snippet.lower()
        assert hits[0].path == "adrs/0001-deploy-through-the-pipeline.md"


def test_search_stems_and_ands_words(corpus):
    with AdrIndex(corpus) as idx:
        idx.sync()
        assert numbers(idx.search("pipelines")) == [1, 3, 2]  # porter stemming
        assert numbers(idx.search("pipeline reviewer")) == [2]  # every word must match
        assert set(numbers(idx.search("sqlite OR postgresql"))) == {4, 5}  # FTS5 syntax passes through
        assert numbers(idx.search("postgre*")) == [5]
        assert idx.search("nothing-like-this") == []


def test_search_filters(corpus):
    with AdrIndex(corpus) as idx:
        idx.sync()
        assert numbers(idx.search("pipeline", status="accepted")) == [1, 2]
        assert numbers(idx.search("pipeline", tag="pipeline")) == [3]
        assert numbers(idx.search("server OR file", status="superseded")) == [4]
        assert [r["number"] for r in idx.rows(tag="storage")] == [4, 5]
        assert [r["number"] for r in idx.rows(status="accepted")] == [1, 2, 5]


def test_bad_queries_are_usage_errors(corpus):
    with AdrIndex(corpus) as idx:
        idx.sync()
        with pytest.raises(UsageError):
            idx.search('"unbalanced')
        with pytest.raises(UsageError):
            idx.search("  ... ")


def test_fts_query_quotes_words():
    assert fts_query("Host config: pipeline!") == '"host" AND "config" AND "pipeline"'
    assert fts_query("a b a", mode="any") == '"a" OR "b"'
    assert fts_query("x NEAR y") == "x NEAR y"


def test_the_index_rebuilds_itself_when_files_change(corpus):
    path = corpus / "adrs" / "0002-review-from-another-vendor.md"
    with AdrIndex(corpus) as idx:
        first = idx.sync()
        assert (first.files, first.parsed, first.rebuilt) == (5, 5, True)
        same = idx.sync()
        assert (same.hashed, same.parsed, same.removed) == (0, 0, 0)
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 5_000_000_000))
        touched = idx.sync()
        assert (touched.hashed, touched.parsed) == (1, 0)  # new mtime, same hash: nothing to re-parse
        path.write_text(path.read_text().replace("misses the same bugs", "misses the same zebra"))
        edited = idx.sync()
        assert (edited.hashed, edited.parsed) == (1, 1)
        assert numbers(idx.search("zebra")) == [2]
        path.unlink()
        gone = idx.sync()
        assert gone.removed == 1 and idx.search("zebra") == [] and idx.count() == 4
        write_adr(corpus, 6, "Zebra crossings", context="zebra zebra.")
        assert idx.sync().parsed == 1 and numbers(idx.search("zebra")) == [6]
    with AdrIndex(corpus) as again:  # a new process sees the stored index: nothing to do
        assert again.sync().parsed == 0 and numbers(again.search("zebra")) == [6]


def test_broken_and_duplicate_files_are_reported_not_indexed(corpus):
    (corpus / "adrs" / "0009-broken.md").write_text("no front matter\n")
    write_adr(corpus, 1, "Another first", slug="zz-another-first")
    with AdrIndex(corpus) as idx:
        idx.sync()
        probs = dict(idx.problems())
        assert "no YAML front matter" in probs["0009-broken.md"]
        assert probs["0001-zz-another-first.md"] == "ADR number 1 is used twice"
        assert idx.count() == 5
        (corpus / "adrs" / "0001-deploy-through-the-pipeline.md").unlink()
        idx.sync()  # the duplicate takes the number over
        assert [r["title"] for r in idx.rows() if r["number"] == 1] == ["Another first"]


def test_a_corrupt_or_old_index_is_rebuilt(corpus):
    with AdrIndex(corpus) as idx:
        idx.sync()
        db = idx.path
    with sqlite3.connect(db) as c:
        c.execute("UPDATE info SET value='0' WHERE key='schema'")
    with AdrIndex(corpus) as idx:
        assert idx.sync().rebuilt and idx.count() == 5
    for suffix in ("-wal", "-shm"):
        if os.path.exists(str(db) + suffix):
            os.unlink(str(db) + suffix)
    db.write_bytes(b"this is not a database" * 100)
    with AdrIndex(corpus) as idx:
        assert idx.sync().rebuilt and numbers(idx.search("pipeline")) == [1, 3, 2]


def test_an_unwritable_org_folder_falls_back_to_memory(corpus):
    (corpus / ".org").write_text("a file where the folder should be")
    with AdrIndex(corpus) as idx:
        assert str(idx.path) == ":memory:"
        idx.sync()
        assert numbers(idx.search("pipeline")) == [1, 3, 2]


def test_concurrent_processes_sync_one_index(corpus):
    code = (
        "import sys; from pathlib import Path; from org.adrs.index import AdrIndex\n"
        "idx = AdrIndex(Path(sys.argv[1])); idx.sync(); print(idx.count())"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(corpus)], stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    outs = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert outs == ["5"] * 4 and all(p.returncode == 0 for p in procs)


def test_decision_summary():
    body = "# 1. X\n\n## Decision Outcome\n\nChosen option: A,\nbecause B.\n\nMore.\n\n### Consequences\n"
    assert decision_summary(body) == "Chosen option: A, because B."
    assert decision_summary("# 1. X\n\nno decision here\n") == ""
    assert decision_summary("## Decision\n\n" + "word " * 100).endswith("…")
