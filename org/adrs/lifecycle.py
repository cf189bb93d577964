"""Writing ADRs: new from a template, accept/reject/deprecate, supersede (both links), safely.

Every write holds an exclusive lock on the adrs/ folder (two `org adr new` never take the same
number), edits only the front-matter fields it changes (comments and the body stay as written),
re-reads the result before replacing the file atomically, and refuses a change that would leave
the accepted decisions contradicting each other: a settled question is reopened by superseding.
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from org.adrs.model import Adr, adr_label
from org.adrs.parse import ADR_DIR, AdrSet, load_adrs, parse_text, slugify
from org.errors import ConfigError, Conflict, NotFound, OrgError, Problem, UsageError

if TYPE_CHECKING:
    from org.config.loader import OrgConfig

__all__ = [
    "new_adr",
    "set_status",
    "supersede",
    "get_adr",
    "render_template",
    "rewrite_fields",
    "parse_number",
    "TRANSITIONS",
]

# status -> statuses it may move to by `org adr accept|reject|deprecate` (supersede has its own command)
TRANSITIONS = {
    "accepted": ("proposed",),
    "rejected": ("proposed",),
    "deprecated": ("accepted",),
}
_TEMPLATE = Path(__file__).with_name("template.md")


def parse_number(text: str) -> int:
    """'7', '0007', 'ADR-0007' or 'adr 7' -> 7."""
    m = re.fullmatch(r"\s*(?:adr[-\s]?)?0*(\d+)\s*", str(text), re.I)
    if not m or int(m.group(1)) < 1:
        raise UsageError(f"'{text}' is not an ADR number (e.g. 7, 0007 or ADR-0007)")
    return int(m.group(1))


@contextmanager
def _locked(root: Path) -> Iterator[Path]:
    d = Path(root) / ADR_DIR
    d.mkdir(parents=True, exist_ok=True)
    fd = os.open(d, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield d
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _atomic_write(path: Path, text: str, exclusive: bool = False) -> None:
    if exclusive and path.exists():
        raise Conflict(f"{path.name} already exists")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _yaml_value(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_yaml_value(x) for x in v) + "]"
    s = str(v)
    return (
        s
        if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 _./-]*", s)
        and s.lower() not in ("null", "true", "false", "yes", "no")
        else json.dumps(s)
    )


def render_template(root: Path, number: int, title: str, date: _dt.date, tags: list[str]) -> str:
    """The new ADR's text: adrs/templates/template.md if the org has one, else org's MADR template."""
    custom = Path(root) / ADR_DIR / "templates" / "template.md"
    text = (custom if custom.is_file() else _TEMPLATE).read_text(encoding="utf-8")
    return (
        text.replace("{{number}}", str(number))
        .replace("{{title}}", title)
        .replace("{{date}}", date.isoformat())
        .replace("{{tags}}", _yaml_value(list(tags)))
    )


def _closing(lines: list[str]) -> int:
    """1-based line of the '---' that closes the front matter."""
    for i in range(1, len(lines)):
        if lines[i].rstrip("\r\n").rstrip() in ("---", "..."):
            return i + 1
    raise OrgError("front matter is not closed")  # pragma: no cover - only parsed ADRs get here


def rewrite_fields(text: str, adr: Adr, updates: dict[str, Any]) -> str:
    """Set top-level front-matter fields, keeping every other line (and a same-line comment) as written."""
    lines = text.splitlines(keepends=True)
    nl = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    starts = sorted(ln for key, ln in adr.lines.items() if len(key) == 1)
    present = sorted((k for k in updates if (k,) in adr.lines), key=lambda k: -adr.lines[(k,)])
    for key in present:  # bottom up, so the lines above keep their numbers
        start = adr.lines[(key,)]
        new = f"{key}: {_yaml_value(updates[key])}"
        later = [ln for ln in starts if ln > start]
        end = (later[0] if later else _closing(lines)) - 1  # last line that may belong to this key
        while end > start and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
            end -= 1
        old = lines[start - 1].rstrip("\r\n")
        m = re.search(r"\s+#.*$", old) if end == start else None
        if m and not re.search(r"[\"']", old[: m.start()]):
            col = old.index("#", m.start())
            new += " " * max(1, col - len(new)) + old[col:]
        lines[start - 1 : end] = [new + nl]
    for key in (k for k in updates if (k,) not in adr.lines):
        lines.insert(_closing(lines) - 1, f"{key}: {_yaml_value(updates[key])}{nl}")
    return "".join(lines)


def get_adr(adrs: AdrSet, number: int) -> Adr:
    a = adrs.get(number)
    if a is None:
        if number in adrs.broken:
            probs = [p for p in adrs.problems if p.file == adrs.broken[number]]
            raise ConfigError(probs or [Problem(adrs.broken[number], 1, "", "does not parse")])
        raise NotFound(f"no {adr_label(number)} (adrs/{number:04d}-*.md)")
    return a


def _guard(before: AdrSet, after: AdrSet, cfg: OrgConfig | None, what: str) -> None:
    """Refuse a change that adds problems to the ADRs (a contradiction with an accepted one above all)."""
    from org.adrs.check import adr_problems

    known = {(p.file, p.path, p.message) for p in adr_problems(before, cfg)}  # lines may move in edited files
    new = [p for p in adr_problems(after, cfg) if (p.file, p.path, p.message) not in known]
    if new:
        exc = ConfigError(new)
        exc.message = f"{what} refused: {len(exc.problems)} problem{'s' if len(exc.problems) != 1 else ''} (nothing was changed)"
        raise exc


def _with(adrs: AdrSet, *changed: Adr) -> AdrSet:
    out = AdrSet(adrs.root, dict(adrs.adrs), list(adrs.problems), dict(adrs.broken))
    for a in changed:
        out.adrs[a.number] = a
    return out


def _edit(adr: Adr, root: Path, updates: dict[str, Any]) -> tuple[Adr, str]:
    """The ADR and its text with `updates` applied, re-read to prove the edit did what it says."""
    text = rewrite_fields(adr.path.read_text(encoding="utf-8"), adr, updates)
    again, problems = parse_text(text, adr.path, root)
    if again is None:  # pragma: no cover - rewrite_fields keeps the document valid
        raise OrgError(f"editing {adr.rel} would break it: " + "; ".join(str(p) for p in problems))
    for k, v in updates.items():
        if getattr(again.meta, k) != v:  # pragma: no cover - same
            raise OrgError(f"editing {adr.rel} did not set {k} (got {getattr(again.meta, k)!r})")
    return again, text


def new_adr(
    root: Path, title: str, *, tags: list[str] | tuple[str, ...] = (), today: _dt.date | None = None
) -> Adr:
    """Create adrs/NNNN-slug.md (status proposed) with the next free number."""
    title = " ".join(title.split())
    if not title:
        raise UsageError("an ADR needs a title")
    if "\n" in title or len(title) > 200:
        raise UsageError("an ADR title is one line of at most 200 characters")
    for t in tags:
        if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", t):
            raise UsageError(f"tag '{t}' must be lower case letters, digits, '-', '_' or '.'")
    root = Path(root)
    with _locked(root) as d:
        adrs = load_adrs(root)
        number = adrs.next_number()
        taken = {p.name[:4] for p in d.iterdir() if p.name[:4].isdigit()}
        while f"{number:04d}" in taken:
            number += 1
        path = d / f"{number:04d}-{slugify(title)}.md"
        text = render_template(root, number, title, today or _dt.date.today(), list(tags))
        adr, problems = parse_text(text, path, root)
        if adr is None:
            raise ConfigError(problems)
        _atomic_write(path, text, exclusive=True)
        return adr


def set_status(
    root: Path, number: int, status: str, cfg: OrgConfig | None = None, today: _dt.date | None = None
) -> tuple[Adr, bool]:
    """accept / reject / deprecate. Returns (adr, changed); the same status again is a no-op."""
    if status not in TRANSITIONS:
        raise UsageError(
            f"status changes here are {', '.join(TRANSITIONS)}; use supersede to replace a decision"
        )
    root = Path(root)
    with _locked(root):
        adrs = load_adrs(root)
        a = get_adr(adrs, number)
        if a.status == status:
            return a, False
        if a.status not in TRANSITIONS[status]:
            hint = (
                f"; supersede it instead (org adr supersede {number} --by NEW)"
                if a.status == "accepted"
                else ""
            )
            raise Conflict(
                f"{adr_label(number)} is {a.status}; only a {' or '.join(TRANSITIONS[status])} ADR "
                f"can become {status}{hint}"
            )
        updates = {"status": status, "date": today or _dt.date.today()}
        edited, text = _edit(a, root, updates)
        if status == "accepted":
            _guard(adrs, _with(adrs, edited), cfg, f"accepting {adr_label(number)}")
        _atomic_write(a.path, text)
        return edited, True


def supersede(
    root: Path, old: int, new: int, cfg: OrgConfig | None = None, today: _dt.date | None = None
) -> tuple[Adr, Adr, bool]:
    """`new` replaces `old`: old becomes superseded (superseded_by: new), new lists old in supersedes
    and becomes accepted. Both files are written; the same supersede again is a no-op."""
    if old == new:
        raise UsageError("an ADR cannot supersede itself")
    root = Path(root)
    with _locked(root):
        adrs = load_adrs(root)
        a, b = get_adr(adrs, old), get_adr(adrs, new)
        if a.meta.superseded_by == new and old in b.meta.supersedes and a.status == "superseded":
            return a, b, False
        if a.status != "accepted":
            raise Conflict(f"{adr_label(old)} is {a.status}; only an accepted decision can be superseded")
        if b.status not in ("proposed", "accepted"):
            raise Conflict(f"{adr_label(new)} is {b.status}; the successor must be proposed or accepted")
        if b.meta.superseded_by is not None:
            raise Conflict(f"{adr_label(new)} is itself superseded by {adr_label(b.meta.superseded_by)}")
        day = today or _dt.date.today()
        ua = {"status": "superseded", "superseded_by": new, "date": day}
        ub = {"status": "accepted", "supersedes": sorted({*b.meta.supersedes, old}), "date": day}
        (a2, text_a), (b2, text_b) = _edit(a, root, ua), _edit(b, root, ub)
        _guard(adrs, _with(adrs, a2, b2), cfg, f"superseding {adr_label(old)} by {adr_label(new)}")
        _atomic_write(b.path, text_b)  # the successor first: a crash in between leaves a link that
        _atomic_write(a.path, text_a)  # org validate names and the same command completes
        return a2, b2, True
