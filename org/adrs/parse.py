"""Reading ADR files: adrs/NNNN-slug.md, YAML front matter between '---' lines, then '# N. Title'.

Two readers share one schema: `parse_adr` keeps the line of every front-matter key (for
FILE:LINE problems and constraint sources); `parse_adr_fast` uses libyaml without lines (for
the search index) and falls back to the careful reader whenever anything looks wrong.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from org.adrs.model import Adr, AdrMeta
from org.config.yamlsrc import load_yaml, too_deep
from org.errors import Problem
from org.inputs import NotRegular, TooLarge, read_bounded

__all__ = [
    "ADR_DIR",
    "FILE_RE",
    "AdrSet",
    "adr_files",
    "split_front_matter",
    "parse_adr",
    "parse_adr_fast",
    "parse_text",
    "load_adrs",
    "slugify",
]

ADR_DIR = "adrs"
FILE_RE = re.compile(r"^(\d{4,})-([a-z0-9][a-z0-9-]*)\.md$")
TITLE_RE = re.compile(r"^#\s+(\d+)\.\s+(\S.*?)\s*$")
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_ADR_BYTES = 1024 * 1024  # an ADR file larger than this is refused (read_bounded), never read whole


@dataclass
class AdrSet:
    """Every ADR under a root: the good ones by number, and the problems of the rest."""

    root: Path
    adrs: dict[int, Adr] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    broken: dict[int, str] = field(default_factory=dict)  # number -> rel path of files that did not parse

    def get(self, number: int) -> Adr | None:
        return self.adrs.get(number)

    def binding(self) -> list[Adr]:
        return [a for a in self.sorted() if a.binding]

    def sorted(self) -> list[Adr]:
        return [self.adrs[n] for n in sorted(self.adrs)]

    def next_number(self) -> int:
        return max([*self.adrs, *self.broken, 0]) + 1


def slugify(title: str) -> str:
    """adr-tools' slug: lower case, runs of anything but letters and digits become one '-'."""
    s = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return s[:60].rstrip("-") or "decision"


def adr_files(root: Path) -> list[Path]:
    """Files in <root>/adrs that look like ADRs (start with a digit and end in .md)."""
    d = Path(root) / ADR_DIR
    if not d.is_dir():
        return []
    return sorted(p for p in d.iterdir() if p.name[:1].isdigit() and p.suffix == ".md" and p.is_file())


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """(front matter text or None, body, line of the body's first line). Front matter starts on line 2."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n").rstrip() != "---":
        return None, text, 1
    for i in range(1, len(lines)):
        if lines[i].rstrip("\r\n").rstrip() in ("---", "..."):
            return "".join(lines[1:i]), "".join(lines[i + 1 :]), i + 2
    return None, text, 1


def _title(body: str, body_line: int, rel: str, number: int) -> tuple[str | None, int, list[Problem]]:
    for i, line in enumerate(body.splitlines()):
        if line.startswith("# ") or line.startswith("#\t"):
            m = TITLE_RE.match(line)
            n = body_line + i
            if not m:
                return (
                    None,
                    n,
                    [Problem(rel, n, "title", f"the title line is '# {number}. Title' (adr-tools style)")],
                )
            if int(m.group(1)) != number:
                return (
                    m.group(2),
                    n,
                    [Problem(rel, n, "title", f"title says {m.group(1)} but the file is number {number}")],
                )
            return m.group(2), n, []
    return (
        None,
        body_line,
        [Problem(rel, body_line, "title", f"no title line; add '# {number}. Title' after the front matter")],
    )


def _shift(message: str) -> str:
    """yamlsrc counts lines from the front matter's first line; the file counts from the '---' above it."""
    if message == "file is empty":
        return "front matter is empty; it needs at least status and date"
    return re.sub(r"(on line )(\d+)", lambda m: f"{m.group(1)}{int(m.group(2)) + 1}", message)


def _schema_problems(err: ValidationError, rel: str, lines: dict[tuple, int]) -> list[Problem]:
    from org.config.yamlsrc import loc_line

    out = []
    for e in err.errors():
        loc = tuple(
            {"in_": "in", "not_": "not"}.get(x, x) if isinstance(x, str) else x
            for x in e["loc"]
            if not (isinstance(x, str) and x.startswith("function-"))
        )
        msg = e["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        if e["type"] == "extra_forbidden":
            msg = "unknown field (not part of the ADR schema)"
        elif e["type"] == "missing":
            msg = "required field is missing"
        m = re.match(r"^(constraints\.\d+\.id): (.*)$", msg)
        if m:  # a model-level check that names its own path
            loc, msg = tuple(int(x) if x.isdigit() else x for x in m.group(1).split(".")), m.group(2)
        out.append(Problem(rel, loc_line(lines, loc) if loc else 2, ".".join(str(x) for x in loc), msg))
    return out


def _identify(path: Path, root: Path) -> tuple[str, int | None, str, list[Problem]]:
    try:
        rel = str(path.relative_to(root))
    except ValueError:
        try:
            rel = str(path.resolve().relative_to(Path(root).resolve()))
        except ValueError:
            rel = str(path)
    m = FILE_RE.match(path.name)
    if not m:
        return (
            rel,
            None,
            "",
            [Problem(rel, 1, "", "an ADR file is named NNNN-slug.md (e.g. 0007-host-config-pipeline.md)")],
        )
    return rel, int(m.group(1)), m.group(2), []


def parse_text(text: str, path: Path, root: Path) -> tuple[Adr | None, list[Problem]]:
    """Parse ADR text with line numbers. Never raises for bad input."""
    rel, number, slug, problems = _identify(path, root)
    if number is None:
        return None, problems
    fm, body, body_line = split_front_matter(text)
    if fm is None:
        first = text.splitlines()[0] if text.strip() else ""
        why = (
            "front matter is not closed; end it with a line '---'"
            if first.strip() == "---"
            else "no YAML front matter; start the file with '---', the fields (status, date, ...), then '---'"
        )
        return None, [Problem(rel, 1, "", why)]
    doc, probs = load_yaml(path, rel, data=fm)
    problems += [Problem(p.file, p.line + 1 if p.line else 2, p.path, _shift(p.message)) for p in probs]
    if doc is None:
        return None, problems
    lines = {k: v + 1 for k, v in doc.lines.items()}
    if not isinstance(doc.data, dict):
        return None, problems + [
            Problem(rel, 2, "", "front matter must be a mapping of fields (status: ..., date: ...)")
        ]
    try:
        meta = AdrMeta.model_validate(doc.data)
    except ValidationError as err:
        return None, problems + _schema_problems(err, rel, lines)
    title, title_line, tprobs = _title(body, body_line, rel, number)
    problems += tprobs
    if title is None or problems:
        return None, problems
    return Adr(number, slug, title, path, rel, meta, body, title_line, lines), []


_PARSED: OrderedDict[tuple[str, str, bytes], tuple[Adr | None, list[Problem]]] = OrderedDict()
_PARSED_MAX = 4096
_PARSED_LOCK = threading.Lock()


def parse_adr(path: Path, root: Path) -> tuple[Adr | None, list[Problem]]:
    """Read and parse one ADR file with line numbers. A process remembers what it parsed by the
    file's exact content (sha256), so a long-running bus re-reads but does not re-parse."""
    rel, number, _, problems = _identify(path, root)
    if number is None:
        return None, problems
    try:
        raw = read_bounded(path, limit=MAX_ADR_BYTES, what="ADR")
    except (NotRegular, TooLarge) as exc:
        return None, [Problem(rel, 0, "", exc.message.split(": ", 1)[1])]
    except OSError as exc:
        return None, [Problem(rel, 0, "", f"cannot read: {exc.strerror or exc}")]
    key = (str(path), str(root), hashlib.sha256(raw).digest())
    with _PARSED_LOCK:
        hit = _PARSED.get(key)
        if hit is not None:
            _PARSED.move_to_end(key)
    if hit is not None:
        return hit[0], list(hit[1])
    try:
        result = parse_text(raw.decode("utf-8"), path, root)
    except UnicodeDecodeError:
        result = (None, [Problem(rel, 1, "", "not valid UTF-8")])
    with _PARSED_LOCK:
        _PARSED[key] = result
        if len(_PARSED) > _PARSED_MAX:
            _PARSED.popitem(last=False)
    return result[0], list(result[1])


def parse_adr_fast(text: str, path: Path, root: Path) -> tuple[Adr | None, list[Problem]]:
    """libyaml without line numbers; anything unusual goes through the careful reader instead."""
    rel, number, slug, problems = _identify(path, root)
    if number is None:
        return None, problems
    fm, body, body_line = split_front_matter(text)
    if fm is not None and too_deep(fm) is None:  # too deep: the careful reader says so, with its line
        try:
            data = yaml.load(fm, Loader=_FAST_LOADER)  # a safe loader
            meta = AdrMeta.model_validate(data) if isinstance(data, dict) else None
        except (yaml.YAMLError, ValidationError, ValueError, TypeError, RecursionError):
            meta = None
        if meta is not None:
            title, title_line, tprobs = _title(body, body_line, rel, number)
            if title is not None and not tprobs:
                return Adr(number, slug, title, path, rel, meta, body, title_line, {}), []
    return parse_text(text, path, root)


def load_adrs(root: Path) -> AdrSet:
    """Every ADR under <root>/adrs, parsed with line numbers, plus file-level problems."""
    root = Path(root)
    out = AdrSet(root)
    first: dict[int, str] = {}
    for path in adr_files(root):
        adr, probs = parse_adr(path, root)
        out.problems += probs
        m = FILE_RE.match(path.name)
        if m is None:
            continue
        n = int(m.group(1))
        rel = adr.rel if adr else str(path.relative_to(root))
        if n in first:
            out.problems.append(Problem(rel, 1, "", f"ADR number {n} is used twice (also {first[n]})"))
            continue
        first[n] = rel
        if adr is None:
            out.broken[n] = rel
        else:
            out.adrs[n] = adr
    return out
