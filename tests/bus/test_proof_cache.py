"""Bus commands prove the config once per text and prover (ADR 0262): a proof that succeeded is remembered by the
digest of the texts and of the prover's code, so an edited config is always proved again, a failed proof is never
remembered, and a remembered one spares networkx on the next command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from org.bus import Bus
from org.bus.proofcache import proof_key
from org.config.loader import load_org
from org.errors import ConfigError


def _cycle(root) -> None:
    """An edit the proof rejects: `spec` after `implement`, which is after `spec`."""
    f = root / "gates" / "change.yaml"
    f.write_text(
        f.read_text().replace(
            "    tiers: [medium, high]\n    description: Write down",
            "    tiers: [medium, high]\n    after: [implement]\n    description: Write down",
            1,
        )
    )


def test_an_edited_config_is_proved_again_after_a_remembered_success(root, sqlite_url):
    with Bus.open(sqlite_url, root=root) as bus:
        assert bus.config() is not None
    assert list((root / ".org" / "proved").iterdir())  # the success is remembered
    _cycle(root)
    for _ in range(2):  # and the failure is not: every try is refused
        with Bus.open(sqlite_url, root=root) as bus, pytest.raises(ConfigError, match="cycle"):
            bus.config()
    assert len(list((root / ".org" / "proved").iterdir())) == 1


def test_every_config_text_is_in_the_key(root):
    before = proof_key(load_org(root))
    cfg = load_org(root)
    for rel in cfg.files:
        path = root / rel
        text = path.read_text()
        path.write_text(text + "\n# edited\n")
        try:
            assert proof_key(load_org(root)) != before, rel
        finally:
            path.write_text(text)
    assert proof_key(load_org(root)) == before


def test_a_remembered_proof_spares_networkx(root, sqlite_url):
    code = (
        "import sys; from pathlib import Path; from org.bus import Bus;"
        "b = Bus.open(sys.argv[1], root=Path(sys.argv[2])); b.config(required=True);"
        "print('networkx' in sys.modules)"
    )
    run = [sys.executable, "-c", code, sqlite_url, str(root)]
    first = subprocess.run(run, capture_output=True, text=True, check=True, timeout=120).stdout.split()
    again = subprocess.run(run, capture_output=True, text=True, check=True, timeout=120).stdout.split()
    assert first[-1] == "True" and again[-1] == "False", (first, again)


# -- the prover's digest is remembered by its sources' (name, mtime_ns, size) (ADR 0301) ------------------------
def _prover_copy(tmp_path):
    """A copy of the prover's sources (org/engine and org/config) to edit."""
    import shutil

    import org

    base = tmp_path / "src"
    for pkg in ("engine", "config"):
        shutil.copytree(
            Path(org.__file__).parent / pkg, base / pkg, ignore=shutil.ignore_patterns("__pycache__")
        )
    return base


def _fresh(monkeypatch):
    from org.bus import proofcache

    monkeypatch.setattr(proofcache, "_CODE", {})
    return proofcache


def test_a_bus_command_with_a_remembered_proof_reads_no_prover_source(root, sqlite_url, monkeypatch):
    import org

    src = Path(org.__file__).parent
    with Bus.open(sqlite_url, root=root) as bus:  # the first command proves and remembers
        bus.config(required=True)
    _fresh(monkeypatch)
    read: list[str] = []
    real = Path.read_bytes

    def spy(self):
        if self.is_relative_to(src / "engine") or self.is_relative_to(src / "config"):
            read.append(str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", spy)
    with Bus.open(sqlite_url, root=root) as bus:
        bus.config(required=True)
    assert read == []


def test_every_edit_of_the_prover_is_another_digest(tmp_path, monkeypatch):
    """The attack: change what the prover does and keep its remembered digest. An edit that keeps the size, one
    that puts the old mtime back, a new file, a removed one: each is another stat key, so the content is read."""
    import os

    base, memo = _prover_copy(tmp_path), tmp_path / "memo"
    proofcache = _fresh(monkeypatch)
    first = proofcache.code_digest(memo, base)
    assert proofcache.code_digest(memo, base) == first
    proofs = base / "engine" / "proofs.py"
    text, st = proofs.read_text(), proofs.stat()

    def digest() -> str:
        _fresh(monkeypatch)
        return proofcache.code_digest(memo, base)

    proofs.write_text(text.replace("return", "retur\\\nn", 1))  # same meaning, one byte more
    assert digest() != first
    same_size = text.replace("def ", "def  ", 1).replace("\n\n\n", "\n\n", 1)
    assert len(same_size) == len(text) and same_size != text
    proofs.write_text(same_size)  # same size, a new mtime
    assert digest() != first
    proofs.write_text(text + "# x\n")
    os.utime(proofs, ns=(st.st_atime_ns, st.st_mtime_ns))  # the old mtime put back, another size
    assert digest() != first
    proofs.write_text(text)
    os.utime(proofs, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert digest() == first  # back as it was: the same digest, remembered or not
    (base / "engine" / "extra_rule.py").write_text("X = 1\n")
    assert digest() != first
    (base / "engine" / "extra_rule.py").unlink()
    (base / "config" / "checks.py").unlink()
    assert digest() != first


def test_a_touched_prover_keeps_its_digest_and_a_garbled_memo_is_read_again(tmp_path, monkeypatch):
    base, memo = _prover_copy(tmp_path), tmp_path / "memo"
    proofcache = _fresh(monkeypatch)
    first = proofcache.code_digest(memo, base)
    (base / "engine" / "proofs.py").touch()  # a checkout that rewrote the same bytes: proved digest unchanged
    _fresh(monkeypatch)
    assert proofcache.code_digest(memo, base) == first
    for (
        f
    ) in memo.iterdir():  # a memo someone truncated or garbled is not a digest: the sources are read again
        f.write_text("not a digest")
    _fresh(monkeypatch)
    assert proofcache.code_digest(memo, base) == first
    assert proofcache.code_digest(None, base) == first  # the memo never changes what the digest is
