"""ADR 0320, attacked: git does not re-hash an object it reads from a parent link, and upload-pack answers a
`have` by existence alone. An agent writes, in its own .git/objects, loose files *named* by B's commit and
blob ids holding objects of its own; its HEAD (a real commit) names B's commit as parent. The rev-list check in
org's scratch repository passes (the ids "exist"), the fetch into the mirror negotiates B's commit as common,
and A's incoming ref reaches B's real commit and secret blob, which A's next room store receives."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from org.config.loader import load_org
from org.errors import OrgError
from org.workspaces.service import check_revision
from tests.workspaces.test_room_objects import _claim_work, two_tasks  # noqa: F401

pytestmark = pytest.mark.slow


def _git(gd: Path, *args: str, input: str | None = None) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "a",
        "GIT_AUTHOR_EMAIL": "a@x",
        "GIT_COMMITTER_NAME": "a",
        "GIT_COMMITTER_EMAIL": "a@x",
    }
    return subprocess.run(
        ["git", "--git-dir", str(gd), *args], input=input, capture_output=True, text=True, check=True, env=env
    ).stdout.strip()


def _forge(objects: Path, real: str, as_id: str) -> None:
    """objects/<as_id> becomes a copy of the loose file of the agent's own object `real`."""
    d = objects / as_id[:2]
    d.mkdir(exist_ok=True)
    shutil.copyfile(objects / real[:2] / real[2:], d / as_id[2:])


def _lying_pack(gd: Path, objs: list[str], rename: dict[str, str]) -> None:
    """A pack of the agent's own `objs` in its objects/pack, whose .idx names some of them by other ids."""
    import hashlib
    import struct

    pack_dir = gd / "objects" / "pack"
    pack_dir.mkdir(exist_ok=True)
    tmp = gd / "lying"
    out = subprocess.run(
        ["git", "--git-dir", str(gd), "pack-objects", "--no-reuse-delta", "--window=0", str(tmp)],
        input="\n".join(objs) + "\n",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    pack = Path(f"{tmp}-{out}.pack")
    idx = Path(f"{tmp}-{out}.idx")
    rows = []
    with idx.open("rb") as f:
        shown = subprocess.run(
            ["git", "show-index"], stdin=f, capture_output=True, text=True, check=True
        ).stdout
    for line in shown.splitlines():
        off, sha, crc = line.split()
        rows.append((bytes.fromhex(rename.get(sha, sha)), int(crc.strip("()"), 16), int(off)))
    rows.sort()
    body = b"\377tOc" + struct.pack(">I", 2)
    fan = [0] * 256
    for sha, _c, _o in rows:
        fan[sha[0]] += 1
    acc = 0
    for i in range(256):
        acc += fan[i]
        body += struct.pack(">I", acc)
    body += b"".join(s for s, _c, _o in rows) + b"".join(struct.pack(">I", c) for _s, c, _o in rows)
    body += b"".join(struct.pack(">I", o) for _s, _c, o in rows)
    body += pack.read_bytes()[-20:]
    body += hashlib.sha1(body).digest()
    shutil.copyfile(pack, pack_dir / f"pack-{out}.pack")
    (pack_dir / f"pack-{out}.idx").write_bytes(body)
    pack.unlink()
    idx.unlink()


@pytest.mark.parametrize("forged", ["loose", "pack"])
def test_an_object_named_by_bs_blob_id_never_gets_bs_secret_blob_into_as_incoming_and_store(
    two_tasks,  # noqa: F811
    wsbus,
    ws_org,
    forged,
):
    """The agent's own blob under B's blob id: a loose file so named, or a pack whose .idx names it so."""
    from org.workspaces.repo import Repository, branch_of

    a, ws_a, sha_b, blob, _ws_b = two_tasks
    cfg = load_org(ws_org)
    repo = Repository(ws_org, "app", cfg.repos["app"], cfg.workspaces_dir)
    g, job, jt = _claim_work(wsbus, a)
    gd = ws_a / ".git"
    own_blob = _git(gd, "hash-object", "-w", "--stdin", input="mine\n")
    if forged == "loose":  # the same file under B's id (ids an agent may read in the bus)
        _forge(gd / "objects", own_blob, blob)
    else:
        _lying_pack(gd, [own_blob], {own_blob: blob})
    # its HEAD: a real commit on its own base (org's target tip), its tree naming B's blob
    base = _git(gd, "rev-parse", "HEAD")
    tree = _git(gd, "mktree", "--missing", input=f"100644 blob {blob}\tsecret.txt\n")
    head = _git(gd, "commit-tree", tree, "-p", base, "-m", "mine")
    (gd / "refs" / "heads" / Path(branch_of(a))).write_text(head + "\n")
    with pytest.raises(OrgError, match="did not send all necessary objects|missing|reaches objects"):
        check_revision(wsbus, job, "build-claude")  # refused: the id it names is not among what it holds
    incoming = subprocess.run(
        ["git", "--git-dir", str(repo.mirror), "rev-parse", "-q", "--verify", f"refs/org/incoming/{a}"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    store = repo.sync_room(a)
    got = subprocess.run(
        ["git", "--git-dir", str(store), "cat-file", "-p", blob], capture_output=True, text=True
    )
    assert got.returncode != 0, f"A's room store reads B's secret blob: {got.stdout!r}"
    if incoming:
        reach = _git(repo.mirror, "rev-list", "--objects", incoming)
        assert sha_b not in reach and blob not in reach, "A's incoming ref reaches B's commit and secret blob"
