"""Where identity keeps things outside the database: the per-org config folder, the pepper and human token files.

Layout (ORG_CONFIG_HOME, else $XDG_CONFIG_HOME/org, else ~/.config/org):

    <config home>/<root hash>/pepper          32 random bytes (hex), 0600: keys every token hash
    <config home>/<root hash>/db-<db id>/<human>.token   a human's own principal token, 0600

The root hash names the org (sha256 of its resolved folder), so two orgs on one machine never share
tokens; the db id (a random id each database stores when identity first opens it, org.identity.store.db_id)
names the database, so one org folder used with several databases (a second --db, a PostgreSQL try, a
reset) keeps each database's tokens apart and never overwrites another database's files (ADR 0058). ORG_TOKEN_PEPPER overrides the pepper file (for several machines sharing one PostgreSQL);
ORG_PEPPER_FD names an inherited pipe the pepper is read from once (how `org run` hands it to its agent
host without telling it where the config folder is). A token file that others can read is refused,
like ssh refuses a world-readable key.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from pathlib import Path

from org.config.home import config_home, org_dir
from org.errors import UsageError

__all__ = [
    "config_home",
    "org_dir",
    "pepper",
    "human_token_path",
    "read_human_token",
    "read_private",
    "write_human_token",
    "write_private",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


def _ensure_dir(d: Path) -> None:
    """The org's config folder exists and only its owner may enter it (0700; tightened if we own it)."""
    try:
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
        st = d.stat()
        if st.st_uid == os.getuid() and st.st_mode & 0o077:
            os.chmod(d, 0o700)
    except OSError as exc:
        raise UsageError(f"cannot create {d}: {exc.strerror or exc}")


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (created 0600 from the start, never wider)."""
    _ensure_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _read_private(path: Path) -> str | None:
    """A secret file's text, or None if missing. Refused (exit 2, with the fix) unless it is a regular file of
    ours that only we can read, in a folder of ours that only we can enter: like ssh with a private key."""
    try:
        st = path.lstat()
        dst = path.parent.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}")
    me = os.getuid()
    if not stat.S_ISREG(st.st_mode) or st.st_uid != me:
        raise UsageError(f"{path} must be a regular file owned by you (uid {me}); refusing to use it")
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise UsageError(
            f"{path} is open to others (mode {stat.S_IMODE(st.st_mode):04o}); only its owner may "
            f"read it: chmod 600 {path}"
        )
    if dst.st_uid != me or dst.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise UsageError(
            f"{path.parent} is open to others (mode {stat.S_IMODE(dst.st_mode):04o}); the folder of "
            f"your token files must be yours alone: chmod 700 {path.parent}"
        )
    return path.read_text().strip()


_FD_PEPPER: list[bytes] = []


def _pepper_from_fd(fd: str) -> bytes:
    if not _FD_PEPPER:
        try:
            n = int(fd)
            with os.fdopen(n, "rb") as f:
                _FD_PEPPER.append(f.read(4096).strip())
        except (ValueError, OSError) as exc:
            raise UsageError(f"ORG_PEPPER_FD={fd}: cannot read the pepper ({exc})") from None
    if len(_FD_PEPPER[0]) < 32:
        raise UsageError("ORG_PEPPER_FD gave no pepper")
    return _FD_PEPPER[0]


def pepper(root: Path | str | None) -> bytes:
    """The key every token hash is made with; the database alone never suffices to check a guess."""
    if os.environ.get("ORG_PEPPER_FD"):
        return _pepper_from_fd(os.environ["ORG_PEPPER_FD"])
    env = os.environ.get("ORG_TOKEN_PEPPER")
    if env:
        if len(env) < 32:
            raise UsageError("ORG_TOKEN_PEPPER must be at least 32 characters")
        return env.encode()
    p = org_dir(root) / "pepper"
    got = _read_private(p)
    if got:
        return got.encode()
    try:
        _ensure_dir(p.parent)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # first writer wins
    except FileExistsError:
        return (_read_private(p) or "").encode()
    try:
        os.write(fd, secrets.token_hex(32).encode())
    finally:
        os.close(fd)
    return (_read_private(p) or "").encode()


_DB = re.compile(r"^[0-9a-f]{16,64}$")


def human_token_path(root: Path | str | None, human: str, db: str) -> Path:
    """Where `human`'s own token for the database with id `db` lives (one folder per org and database)."""
    if not _NAME.match(human):
        raise UsageError(f"'{human}' is not a valid actor id")
    if not _DB.match(db):
        raise ValueError(f"not a database id: {db!r}")
    return org_dir(root) / f"db-{db}" / f"{human}.token"


def read_human_token(root: Path | str | None, human: str, db: str) -> str | None:
    return _read_private(human_token_path(root, human, db))


def read_private(path: Path) -> str | None:
    """A secret file's text (a human_token_path), or None if missing; refused as _read_private says."""
    return _read_private(path)


def write_human_token(root: Path | str | None, human: str, token: str, db: str) -> Path:
    p = human_token_path(root, human, db)
    write_private(p, token + "\n")
    return p
