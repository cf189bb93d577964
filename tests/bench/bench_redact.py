"""Benchmark: the redactor on 1 MB texts (what the broker scrubs a large service answer with), next to a
peer doing the same work the plain way: one regular expression per case mode over every variant of the
secrets that net 1 looks for (org.bus.redact.variants: any case, percent-, JSON- and hex-encoded, base64
cores), run with re.sub. The exact-match replace (the previous first net, which finds far less: no case,
no encodings) is printed too, for scale only.

    .ci/dev python tests/bench/bench_redact.py

Two 1 MB bodies (prose-like words, whose common substrings such as "key" wake the token-shape patterns,
and JSON full of base64 blobs), each clean and with one upper-cased echo of a secret; four declared
secrets. Prints the best of 15 runs in milliseconds: the whole redactor (`text`), its first net alone
(`values`: every case and encoding of the known secrets), the same-work peer and the ratio values / peer.
"""

from __future__ import annotations

import base64
import json
import random
import re
import string
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from org.bus.redact import Redactor, variants


def best(fn, s: str, n: int = 15) -> float:
    b = float("inf")
    for _ in range(n):
        t0 = time.perf_counter()
        fn(s)
        b = min(b, time.perf_counter() - t0)
    return b * 1000


def exact_only(secrets: dict[str, str]):
    def scrub(s: str) -> str:
        for name, v in sorted(secrets.items(), key=lambda kv: -len(kv[1])):
            if v in s:
                s = s.replace(v, f"[redacted:{name}]")
        return s

    return scrub


def same_work(secrets: dict[str, str]):
    """Every variant net 1 finds, as two alternations (case-insensitive; base64 cores case-sensitive)."""
    ci: set[str] = set()
    cs: set[str] = set()
    for v in secrets.values():
        a, b = variants(v)
        ci |= a
        cs |= b

    def alt(xs: set[str], flags: int = 0) -> re.Pattern:
        return re.compile("|".join(re.escape(x) for x in sorted(xs, key=len, reverse=True)), flags)

    pci, pcs = alt(ci, re.IGNORECASE), alt(cs)

    def scrub(s: str) -> str:
        return pcs.sub("[redacted]", pci.sub("[redacted]", s))

    return scrub


def main() -> None:
    rnd = random.Random(1)
    secrets = {
        "jira": "canary-J1ra-7c0ffee-secret",
        "github": "ghp_" + "".join(rnd.choices(string.ascii_letters, k=36)),
        "deploy-key": "d3pl0y-" + "5" * 20,
        "prod-db": "pr0d-db-pass-" + "6" * 12,
    }
    words = ["".join(rnd.choices(string.ascii_lowercase, k=rnd.randint(2, 9))) for _ in range(5000)]
    prose = " ".join(rnd.choice(words) for _ in range(200_000))[:1_000_000]
    blobs = json.dumps(
        {"items": [{"id": i, "blob": base64.b64encode(rnd.randbytes(60)).decode()} for i in range(12_000)]}
    )[:1_000_000]
    r, peer, exact = Redactor(secrets), same_work(secrets), exact_only(secrets)
    print(
        f"{'1 MB body':24} {'text (all nets)':>16} {'values (net 1)':>16} {'peer: same work':>16}"
        f" {'values/peer':>11} {'exact only':>12}"
    )
    for label, s in (("prose", prose), ("json + base64", blobs)):
        echo = s[:500_000] + " " + secrets["jira"].upper() + " " + s[500_000:]
        for kind, body in (("clean", s), ("one echo", echo)):
            assert secrets["jira"].upper() not in peer(body)  # the peer really finds what net 1 finds
            v, p = best(r.values, body), best(peer, body)
            print(
                f"{label + ', ' + kind:24} {best(r.text, body):13.1f} ms {v:13.1f} ms {p:13.1f} ms"
                f" {v / p:10.2f}x {best(exact, body):9.1f} ms"
            )


if __name__ == "__main__":
    main()
