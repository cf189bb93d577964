"""A config the org proved is not proved again by every bus command: a marker per digest of its texts and of the
prover's code, under `<root>/.org/proved/` (ADR 0262). A changed text or prover has another digest: proved anew.
The prover's digest is remembered by the (path, mtime_ns, size) of its sources (ADR 0301), so a bus command stats
them and reads none."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from org.config.loader import OrgConfig
    from org.errors import Problem

__all__ = ["prove_once", "proof_key", "code_digest"]

_CODE: dict[
    tuple[str, str], str
] = {}  # (sources folder, memo folder) -> the prover's digest, once per process
_PACKAGES = ("engine", "config")
_HEX64 = re.compile(r"[0-9a-f]{64}")


def _sources(base: Path) -> list[tuple[str, Path]]:
    """Every source file the proof's outcome can depend on: the engine (the proof, the graph, the plans) and the
    config package (the models the texts become), by their names under `base`."""
    return [
        (f"{pkg}/{f.relative_to(base / pkg)}", f)
        for pkg in _PACKAGES
        for f in sorted((base / pkg).rglob("*.py"))
    ]


def code_digest(memo_dir: Path | None = None, base: Path | None = None) -> str:
    """sha256 over the prover's sources (name and content). With `memo_dir`, remembered there under a digest of
    every source's (name, mtime_ns, size): a command whose sources were not touched stats them and reads none;
    an edit, an added or a removed file is another stat digest, and the content is read and digested again."""
    if base is None:
        import org

        base = Path(org.__file__).parent
    key = (str(base), str(memo_dir))
    if key in _CODE:
        return _CODE[key]
    files = _sources(base)
    memo: Path | None = None
    if memo_dir is not None:
        # where the sources are and each one's inode and change time too: two installs with equal names, sizes
        # and mtimes (a fixed SOURCE_DATE_EPOCH, Nix) or an edit with its mtime put back never share a digest
        h = hashlib.sha256(b"org prover stat v2\0" + str(base.resolve()).encode() + b"\0")
        for name, f in files:
            st = f.lstat()
            h.update(
                f"{name}\0{st.st_mtime_ns}\0{st.st_size}\0{st.st_ino}\0{st.st_ctime_ns}\0{st.st_mode}\0".encode()
            )
        memo = memo_dir / h.hexdigest()
        try:
            said = memo.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            said = ""
        if _HEX64.fullmatch(said):
            _CODE[key] = said
            return said
    h = hashlib.sha256()
    for name, f in files:
        h.update(name.encode() + b"\0" + f.read_bytes() + b"\0")
    digest = _CODE[key] = h.hexdigest()
    if memo is not None:
        try:
            memo.parent.mkdir(parents=True, exist_ok=True)
            part = memo.with_name(f"{memo.name}.{os.getpid()}.part")
            part.write_text(digest + "\n", encoding="ascii")
            os.replace(part, memo)  # whole or absent: a reader never sees half a digest
        except OSError:
            pass
    return digest


def proof_key(cfg: OrgConfig, memo_dir: Path | None = None) -> str:
    """sha256 over the prover's code and every config text (path and content) the config was loaded from."""
    h = hashlib.sha256(b"org proof v1\0" + code_digest(memo_dir).encode() + b"\0")
    for rel in sorted(cfg.files):
        h.update(rel.encode() + b"\0" + cfg.files[rel].encode() + b"\0")
    return h.hexdigest()


def prove_once(cfg: OrgConfig, root: Path) -> list[Problem]:
    """prove(cfg), unless a proof of exactly these texts by exactly this code succeeded before. Only a success is
    remembered; a state folder that cannot be written only costs the proof again."""
    marker = root / ".org" / "proved" / proof_key(cfg, root / ".org" / "prover")
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
