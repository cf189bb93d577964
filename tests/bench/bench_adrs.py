"""Benchmark: ADR search over 10,000 generated ADRs, SQLite FTS5 index vs a naive scan, in one run.

    .ci/dev python tests/bench/bench_adrs.py [--adrs 10000] [--queries 100] [--seed 7]

Prints the index rebuild time (from nothing), the sync time when nothing or one file changed, the
median and p95 time of ranked queries (top 10) through the index, and the same queries answered by
a linear scan over the already-parsed ADRs (tokenise and score each one), with the ratio.
Not a pass/fail test.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from org.adrs.context import relevant_adrs
from org.adrs.index import AdrIndex
from org.adrs.parse import adr_files, parse_adr_fast

TOPICS = [
    "pipeline",
    "credential",
    "review",
    "approval",
    "database",
    "migration",
    "deploy",
    "cache",
    "queue",
    "lease",
    "audit",
    "schema",
    "tenant",
    "billing",
    "search",
    "index",
    "logging",
    "metrics",
    "tracing",
    "backup",
    "restore",
    "encryption",
    "token",
    "session",
    "gateway",
    "router",
    "scheduler",
    "worker",
    "vendor",
    "model",
    "prompt",
    "budget",
    "latency",
    "retry",
    "timeout",
    "replica",
    "shard",
    "kernel",
]
TAGS = ["ops", "security", "storage", "engine", "agents", "tui", "bus", "policy", "process", "infra"]
STATUSES = ["accepted"] * 6 + ["proposed", "rejected", "deprecated", "superseded"]


def vocabulary(rng: random.Random, n: int = 3000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = set(TOPICS)
    while len(words) < n:
        words.add("".join(rng.choice(letters) for _ in range(rng.randint(3, 10))))
    return sorted(words)


def generate(root: Path, count: int, rng: random.Random) -> None:
    vocab = vocabulary(rng)
    weights = [1 / (i + 1) for i in range(len(vocab))]  # Zipf-like word frequencies
    rng.shuffle(vocab)
    d = root / "adrs"
    d.mkdir(parents=True)
    for n in range(1, count + 1):
        topic = rng.sample(TOPICS, 2)
        title = f"Use {topic[0]} for {topic[1]} {rng.choice(vocab)}"
        words = rng.choices(vocab, weights, k=rng.randint(80, 250))
        status = rng.choice(STATUSES)
        body = " ".join(words)
        fm = (
            f"---\nstatus: {status}\ndate: 2026-11-21\ndeciders: [bench]\ntags: [{', '.join(rng.sample(TAGS, 2))}]\n"
            f"supersedes: []\nsuperseded_by: {n + 1 if status == 'superseded' else 'null'}\n"
            f"paths: [org/{rng.choice(TAGS)}/**]\n---\n"
        )
        text = (
            f"{fm}# {n}. {title}\n\n## Context and Problem Statement\n\n{body}\n\n## Decision Outcome\n\n"
            f"Chosen option: {topic[0]}, because {' '.join(rng.choices(vocab, weights, k=20))}.\n"
        )
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
        (d / f"{n:04d}-{slug}.md").write_text(text)


def naive_search(docs: list[tuple[int, str, list[str], str]], query: str, limit: int = 10) -> list[int]:
    """Linear scan: tokenise every ADR, keep those holding every word, score by weighted term counts."""
    words = re.findall(r"\w+", query.lower())
    scored = []
    for number, title, tags, body in docs:
        t = Counter(re.findall(r"\w+", title.lower()))
        g = Counter(w.lower() for w in tags)
        b = Counter(re.findall(r"\w+", body.lower()))
        if all(t[w] or g[w] or b[w] for w in words):
            scored.append((-sum(10 * t[w] + 5 * g[w] + b[w] for w in words), number))
    scored.sort()
    return [n for _, n in scored[:limit]]


def tokenised(docs: list[tuple[int, str, list[str], str]]) -> list[tuple[int, Counter, Counter, Counter]]:
    return [
        (
            n,
            Counter(re.findall(r"\w+", t.lower())),
            Counter(w.lower() for w in g),
            Counter(re.findall(r"\w+", b.lower())),
        )
        for n, t, g, b in docs
    ]


def scan_tokenised(
    docs: list[tuple[int, Counter, Counter, Counter]], query: str, limit: int = 10
) -> list[int]:
    """The same scan over ADRs tokenised once in advance (an in-memory inverted index's poor cousin)."""
    words = re.findall(r"\w+", query.lower())
    scored = [
        (-sum(10 * t[w] + 5 * g[w] + b[w] for w in words), n)
        for n, t, g, b in docs
        if all(t[w] or g[w] or b[w] for w in words)
    ]
    scored.sort()
    return [n for _, n in scored[:limit]]


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def ms(x: float) -> str:
    return f"{x * 1000:8.2f} ms"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--adrs", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-adrs-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        generate(root, args.adrs, rng)
        print(f"generated {args.adrs} ADRs in {time.perf_counter() - t0:.1f} s", flush=True)

        t0 = time.perf_counter()
        with AdrIndex(root) as idx:
            stats = idx.sync()
        rebuild = time.perf_counter() - t0
        assert stats.parsed == args.adrs, stats
        with AdrIndex(root) as idx:
            t0 = time.perf_counter()
            idx.sync()
            nochange = time.perf_counter() - t0
            victim = adr_files(root)[args.adrs // 2]
            victim.write_text(victim.read_text().replace("Chosen option:", "Chosen option (revised):"))
            t0 = time.perf_counter()
            one = idx.sync()
            onechange = time.perf_counter() - t0
            assert one.parsed == 1, one

            vocab = vocabulary(random.Random(args.seed))
            queries = []
            for i in range(args.queries):
                k = 1 + i % 3
                pool = TOPICS if i % 2 == 0 else vocab[:400]
                queries.append(" ".join(rng.sample(pool, k)))
            fts_times, hits = [], []
            for q in queries:
                t0 = time.perf_counter()
                res = idx.search(q, limit=10)
                fts_times.append(time.perf_counter() - t0)
                hits.append([h.number for h in res])
            t0 = time.perf_counter()
            with_sync = [idx.sync() for _ in range(5)]
            sync_each = (time.perf_counter() - t0) / len(with_sync)

        t0 = time.perf_counter()
        docs = []
        for p in adr_files(root):
            a, _ = parse_adr_fast(p.read_text(), p, root)
            docs.append((a.number, a.title, a.meta.tags, a.body))
        parse_all = time.perf_counter() - t0
        naive_times, agree = [], 0
        for q, got in zip(queries, hits, strict=True):
            t0 = time.perf_counter()
            res = naive_search(docs, q)
            naive_times.append(time.perf_counter() - t0)
            agree += bool(res and got and res[0] == got[0]) or (not res and not got)

        t0 = time.perf_counter()
        tok = tokenised(docs)
        tokenise_all = time.perf_counter() - t0
        tok_times = []
        for q in queries:
            t0 = time.perf_counter()
            scan_tokenised(tok, q)
            tok_times.append(time.perf_counter() - t0)

        t0 = time.perf_counter()
        for q in queries[:50]:
            relevant_adrs(root, tags=["ops"], paths=["org/engine/flow.py"], text=q, limit=5)
        ctx = (time.perf_counter() - t0) / 50

        fm, fp = statistics.median(fts_times), pct(fts_times, 95)
        nm, np_ = statistics.median(naive_times), pct(naive_times, 95)
        print(f"\n{args.adrs} ADRs, {len(queries)} queries (1-3 words, ranked top 10)")
        print(f"  index rebuild from nothing   {ms(rebuild)}  ({args.adrs / rebuild:,.0f} ADRs/s)")
        print(f"  sync, nothing changed        {ms(nochange)}  (stat of every file)")
        print(f"  sync, one file changed       {ms(onechange)}")
        print(f"  parse all files (naive peer) {ms(parse_all)}")
        print(f"  FTS5 query        median {ms(fm)}   p95 {ms(fp)}")
        print(f"  naive scan query  median {ms(nm)}   p95 {ms(np_)}")
        print(f"  ratio naive/FTS5  median {nm / fm:8.1f}x  p95 {np_ / fp:8.1f}x")
        tm, tp = statistics.median(tok_times), pct(tok_times, 95)
        print(
            f"  scan of pre-tokenised ADRs median {ms(tm)}   p95 {ms(tp)}   (tokenising all once: {ms(tokenise_all)})"
        )
        print(f"  ratio pre-tokenised scan/FTS5  median {tm / fm:8.1f}x  p95 {tp / fp:8.1f}x")
        print(f"  query + sync (what `org adr search` pays)   {ms(fm + sync_each)}")
        print(f"  relevant_adrs (sync + tags + paths + text) {ms(ctx)}")
        print(
            f"  same best hit as the naive scan: {agree}/{len(queries)} queries "
            "(they differ by design: FTS5 stems words and ranks by bm25)"
        )


if __name__ == "__main__":
    main()
