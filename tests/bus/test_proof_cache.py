"""Bus commands prove the config once per text and prover (ADR 0262): a proof that succeeded is remembered by the
digest of the texts and of the prover's code, so an edited config is always proved again, a failed proof is never
remembered, and a remembered one spares networkx on the next command."""

from __future__ import annotations

import subprocess
import sys

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
