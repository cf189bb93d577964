"""Owning a Unix socket path: the bus, broker and gateway servers take a path only when nothing lives there.

`take` refuses a path that exists and is not a socket (a file, a folder, a symlink: never unlinked) and a socket
another server still answers on; it removes only a socket that refuses connections (left by a server that died).
`bound` notes the inode the server bound; `release` unlinks the path only while it is still that inode, so a
server that stops never removes the socket of one that took the path after it. `peer_uid` is the uid of the
process at the other end of a connection (SO_PEERCRED), what the servers admit callers by.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import stat
import struct
from pathlib import Path

from org.errors import Conflict, UsageError

__all__ = ["Inode", "bound", "release", "take", "peer_uid"]

Inode = tuple[int, int]


def _answers(path: Path) -> bool:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.settimeout(2.0)
        s.connect(str(path))
    except OSError as exc:
        # ECONNREFUSED: no one listens (a dead server's socket). Anything else (EACCES, a timeout on a full
        # backlog, ...) is not proof that it is stale: it counts as alive, and the path is left alone.
        return exc.errno not in (errno.ECONNREFUSED, errno.ENOENT)
    else:
        return True
    finally:
        s.close()


def take(path: Path, what: str = "server") -> None:
    """Make `path` free to bind, or raise: UsageError (not a socket, no such folder), Conflict (a live server)."""
    if not path.parent.is_dir():
        raise UsageError(f"cannot listen on {path}: the folder {path.parent} does not exist")
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise UsageError(f"cannot listen on {path}: {exc.strerror or exc}") from None
    if not stat.S_ISSOCK(st.st_mode):
        raise UsageError(f"cannot listen on {path}: it exists and is not a socket (refusing to replace it)")
    if _answers(path):
        raise Conflict(f"another {what} is listening at {path}")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)  # a stale socket: no one answers on it


def bound(path: Path) -> Inode | None:
    """The (device, inode) of the socket just bound at `path`."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def release(path: Path, mine: Inode | None) -> None:
    """Unlink `path` only if it is still the socket this server bound."""
    if mine is None:
        return
    with contextlib.suppress(OSError):
        st = os.lstat(path)
        if (st.st_dev, st.st_ino) == mine and stat.S_ISSOCK(st.st_mode):
            os.unlink(path)


def peer_uid(sock: socket.socket) -> int | None:
    """The uid of the process connected at the other end of a Unix socket, or None where the system cannot say."""
    try:
        raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    except (OSError, AttributeError):
        return None
    return struct.unpack("3i", raw)[1]
