"""the prover's remembered digest (ADR 0301) is keyed on (name, mtime_ns, size) relative to the package,
so two installs of org whose files share names, sizes and mtimes (wheels or images made with a fixed
SOURCE_DATE_EPOCH, Nix's mtime 1) share one remembered digest in a root's .org/prover, though their prover differs."""

from __future__ import annotations

import os

from org.bus import proofcache


def _install(base, text: str) -> None:
    for pkg in ("engine", "config"):
        (base / pkg).mkdir(parents=True)
        (base / pkg / "__init__.py").write_text("")
    f = base / "engine" / "proofs.py"
    f.write_text(text)
    for p in base.rglob("*.py"):
        os.utime(p, ns=(1_000_000_000, 1_000_000_000))  # a reproducible build's fixed mtime


def test_two_installs_with_a_same_size_change_do_not_share_a_prover_digest(tmp_path):
    memo = tmp_path / "root" / ".org" / "prover"
    old, new = tmp_path / "v1" / "org", tmp_path / "v2" / "org"
    _install(old, "OK = a <= b\n")
    _install(new, "OK = a >= b\n")  # the prover's fix: same size
    first = proofcache.code_digest(memo, old)
    proofcache._CODE.clear()  # another process (the upgraded org)
    assert proofcache.code_digest(None, new) != first
    assert proofcache.code_digest(memo, new) != first, "the upgraded prover is given the old prover's digest"
