"""A config the org proved is not proved again by every bus command: a marker per digest of its texts and of the
prover's code, under `<root>/.org/proved/` (ADR 0262). A changed text or prover has another digest: proved anew."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from org.config.loader import OrgConfig
    from org.errors import Problem

__all__ = ["prove_once", "proof_key"]

_CODE: list[str] = []  # the prover's own digest, once per process


def _code_digest() -> str:
    """Every source file the proof's outcome can depend on: the engine (the proof, the graph, the plans) and the
    config package (the models the texts become)."""
    if not _CODE:
        import org

        base = Path(org.__file__).parent
        h = hashlib.sha256()
        for pkg in ("engine", "config"):
            for f in sorted((base / pkg).rglob("*.py")):
                h.update(f"{pkg}/{f.relative_to(base / pkg)}".encode() + b"\0" + f.read_bytes() + b"\0")
        _CODE.append(h.hexdigest())
    return _CODE[0]


def proof_key(cfg: OrgConfig) -> str:
    """sha256 over the prover's code and every config text (path and content) the config was loaded from."""
    h = hashlib.sha256(b"org proof v1\0" + _code_digest().encode() + b"\0")
    for rel in sorted(cfg.files):
        h.update(rel.encode() + b"\0" + cfg.files[rel].encode() + b"\0")
    return h.hexdigest()


def prove_once(cfg: OrgConfig, root: Path) -> list[Problem]:
    """prove(cfg), unless a proof of exactly these texts by exactly this code succeeded before. Only a success is
    remembered; a state folder that cannot be written only costs the proof again."""
    marker = root / ".org" / "proved" / proof_key(cfg)
    if marker.is_file():
        return []
    from org.engine.proofs import prove

    problems = prove(cfg)
    if not problems:
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        except OSError:
            pass
    return problems
