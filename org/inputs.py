"""Bounded reads: the one way org reads a file it is given (config, ADRs, scenarios, work products, witnesses).

Only regular files are read (a FIFO, a device such as /dev/zero or a socket is refused before it is opened
for reading, so nothing blocks or streams without end); the file is opened without blocking, checked
again on the open descriptor, and read up to its limit plus one byte, so a file that grows while it is
read is refused too. Every refusal is a UsageError (exit 2) naming the file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from org.errors import UsageError

__all__ = ["read_bounded", "NotRegular", "TooLarge", "MB"]

MB = 1024 * 1024


class NotRegular(UsageError):
    """The path is a FIFO, a device, a socket or a folder: org reads only regular files."""


class TooLarge(UsageError):
    """The file is larger than what org reads for this purpose."""


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a folder"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def read_bounded(path: Path | str, *, limit: int, what: str = "file") -> bytes:
    """The bytes of regular file `path`, at most `limit` of them; NotRegular or TooLarge otherwise
    (FileNotFoundError and other OSErrors pass through for the caller to word)."""
    p = Path(path)
    st = os.stat(p)  # stat never blocks on a FIFO; open() for reading would wait for a writer
    if not stat.S_ISREG(st.st_mode):
        raise NotRegular(f"{p}: {_kind(st.st_mode)}, not a regular file; org reads a {what} only from a file")
    if st.st_size > limit:
        raise TooLarge(f"{p}: {st.st_size} bytes, larger than the {_size(limit)} org reads for a {what}")
    fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)  # the path could have been swapped for a FIFO between stat and open
        if not stat.S_ISREG(st.st_mode):
            raise NotRegular(
                f"{p}: {_kind(st.st_mode)}, not a regular file; org reads a {what} only from a file"
            )
        chunks, left = [], limit + 1
        while left > 0:
            b = os.read(fd, min(left, MB))
            if not b:
                break
            chunks.append(b)
            left -= len(b)
        data = b"".join(chunks)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise TooLarge(f"{p}: larger than the {_size(limit)} org reads for a {what}")
    return data


def _size(n: int) -> str:
    return f"{n // MB} MB" if n >= MB and n % MB == 0 else f"{n // 1024} KB" if n >= 1024 else f"{n} bytes"
