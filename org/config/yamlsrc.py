"""YAML loading that keeps the line of every key, rejects duplicate keys and never raises a traceback."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from org.errors import Problem
from org.inputs import NotRegular, TooLarge, read_bounded

__all__ = ["Located", "load_yaml", "loc_line", "too_deep", "MAX_YAML_BYTES", "MAX_YAML_DEPTH"]


@dataclass
class Located:
    """A parsed YAML document with the 1-based line of each path (tuple of keys/indexes)."""

    file: str
    data: Any
    lines: dict[tuple[Any, ...], int] = field(default_factory=dict)
    text: str = ""

    def line(self, path: tuple[Any, ...] | list[Any]) -> int:
        return loc_line(self.lines, tuple(path))


def loc_line(lines: dict[tuple[Any, ...], int], path: tuple[Any, ...]) -> int:
    """The line of `path`, or of its nearest ancestor that has one."""
    path = tuple(path)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get((), 1)


# The line breaks PyYAML counts (so the lines we report are the lines it reports).
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


class _Loader(yaml.SafeLoader):
    pass


# libyaml composes ~6x faster than the pure-Python parser; both give the same nodes and marks.
_COMPOSER = getattr(yaml, "CSafeLoader", None) or _Loader
# One constructor per thread: it keeps per-call tables (cleared after each scalar), so threads loading
# configs at once (e.g. several Bus.open in one process) must not share one.
_LOCAL = threading.local()


# More nodes than any sane org file holds: an alias bomb ("billion laughs") or a generated monster.
MAX_NODES = 50_000
MAX_YAML_BYTES = 1024 * 1024  # a lane, gate, rules, ADR or scenario file; checked before it is decoded
MAX_YAML_DEPTH = 64  # levels of nested lists and maps; checked before parsing (too_deep)


class _TooBig(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


def _convert(
    node: yaml.Node,
    path: tuple[Any, ...],
    lines: dict[tuple[Any, ...], int],
    file: str,
    problems: list[Problem],
    budget: list[int] | None = None,
) -> Any:
    if budget is not None:
        budget[0] -= 1
        if budget[0] < 0:
            raise _TooBig(node.start_mark.line + 1)
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                problems.append(
                    Problem(
                        file, key_node.start_mark.line + 1, _dotted(path), "merge keys (<<) are not supported"
                    )
                )
                continue
            key = _scalar(key_node)
            if (
                not isinstance(key_node, yaml.ScalarNode)
                or key is None
                or not isinstance(key, (str, int, float, bool))
            ):
                problems.append(
                    Problem(file, key_node.start_mark.line + 1, _dotted(path), "keys must be plain scalars")
                )
                continue
            key = str(key) if not isinstance(key, str) else key
            if key in out:
                problems.append(
                    Problem(
                        file,
                        key_node.start_mark.line + 1,
                        _dotted(path + (key,)),
                        f"duplicate key (first defined on line {lines[path + (key,)]})",
                    )
                )
                continue
            lines[path + (key,)] = key_node.start_mark.line + 1
            out[key] = _convert(value_node, path + (key,), lines, file, problems, budget)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(v, path + (i,), lines, file, problems, budget) for i, v in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        return None
    c = getattr(_LOCAL, "construct", None)
    if c is None:
        c = _LOCAL.construct = yaml.constructor.SafeConstructor()
    try:
        return c.construct_object(node, deep=True)
    finally:
        c.constructed_objects.clear()
        c.recursive_objects.clear()


def _dotted(path: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in path)


def _unclosed_flow(text: str) -> int | None:
    """The line of the innermost [ or { that is never closed (quotes and comments skipped), if any."""
    stack: list[int] = []
    for n, line in enumerate(_LINE_BREAK.split(text), 1):
        quote = ""
        for i, ch in enumerate(line):
            if quote:
                if ch == quote:
                    quote = ""
            elif ch in "'\"" and (i == 0 or line[i - 1] in " \t[{,:"):
                quote = ch
            elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
                break
            elif ch in "[{":
                stack.append(n)
            elif ch in "]}" and stack:
                stack.pop()
    return stack[-1] if stack else None


def _syntax_error(exc: yaml.MarkedYAMLError, text: str) -> tuple[int, str, str]:
    """(line, path, message) of a YAML syntax error. An unclosed [ or { is reported where it opens
    (PyYAML only notices at the next token, often far below); everything else where it was noticed."""
    problem, context = exc.problem_mark, exc.context_mark
    mark = problem or context
    line = mark.line + 1 if mark else 1
    msg = " ".join(str(x) for x in (exc.context, exc.problem) if x)
    if str(exc.context or "").startswith("while parsing a flow"):
        opened = _unclosed_flow(text)
        if opened is not None and opened != line:
            msg += f" (noticed on line {line})"
            line = opened
    return line, "", f"invalid YAML: {msg}"


def _reader_error(exc: yaml.reader.ReaderError, text: str) -> tuple[int, str, str]:
    """A character YAML does not allow: the line it is on (libyaml does not say; find it)."""
    pos = getattr(exc, "position", None)
    if not isinstance(pos, int) or pos < 0:
        pos = next((i for i, ch in enumerate(text) if not _PRINTABLE.match(ch)), 0)
    bad = text[pos] if pos < len(text) else ""
    return len(_LINE_BREAK.split(text[:pos])), "", f"invalid YAML: character {bad!r} is not allowed"


# What YAML allows in a stream (PyYAML's Reader.NON_PRINTABLE, inverted).
_PRINTABLE = re.compile("[\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def too_deep(text: str, limit: int | None = None) -> int | None:
    """The line where `text` nests lists and maps (flow or block) deeper than `limit` (MAX_YAML_DEPTH), or None.
    Read from the scanner's tokens, which keep their own stack: nothing recurses, and the scan stops at the
    first level too deep, so a file of 50,000 brackets costs microseconds instead of a crashed parser (the
    composer recurses on the C stack). A scanner error is left for the parse to report with its line."""
    limit = MAX_YAML_DEPTH if limit is None else limit
    scanner = _COMPOSER(text)
    depth = 0
    try:
        while scanner.check_token():
            tok = scanner.get_token()
            if isinstance(tok, _OPENS):
                depth += 1
                if depth > limit:
                    return int(tok.start_mark.line) + 1
            elif isinstance(tok, _CLOSES):
                depth -= 1
    except yaml.YAMLError:
        return None
    finally:
        scanner.dispose()
    return None


_OPENS = (
    yaml.FlowSequenceStartToken,
    yaml.FlowMappingStartToken,
    yaml.BlockSequenceStartToken,
    yaml.BlockMappingStartToken,
)
_CLOSES = (yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken, yaml.BlockEndToken)


def load_yaml(
    path: Path, display: str | None = None, data: bytes | str | None = None
) -> tuple[Located | None, list[Problem]]:
    """Parse one YAML file (or `data`, its content). Returns (document or None, problems); never
    raises for bad input."""
    name = display or str(path)
    if data is not None:
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        if len(raw) > MAX_YAML_BYTES:
            return None, [
                Problem(
                    name,
                    0,
                    "",
                    f"{len(raw)} bytes, larger than the {MAX_YAML_BYTES // 1024} KB "
                    "org reads for a YAML file",
                )
            ]
    else:
        try:
            raw = read_bounded(path, limit=MAX_YAML_BYTES, what="YAML file")
        except (NotRegular, TooLarge) as exc:
            return None, [Problem(name, 0, "", exc.message.split(": ", 1)[1])]
        except FileNotFoundError:
            return None, [Problem(name, 0, "", "file not found")]
        except IsADirectoryError:
            return None, [Problem(name, 0, "", "is a folder, not a YAML file")]
        except OSError as exc:
            return None, [Problem(name, 0, "", f"cannot read: {exc.strerror or exc}")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Problem(name, line, "", "not valid UTF-8")]
    if not text.strip() or all(ln.strip().startswith("#") or not ln.strip() for ln in text.splitlines()):
        return None, [Problem(name, 1, "", "file is empty")]
    tabs = [
        Problem(name, i, "", "tab used for indentation; YAML needs spaces")
        for i, line in enumerate(_LINE_BREAK.split(text), 1)
        if line.lstrip(" ").startswith("\t")
    ]
    if tabs:
        return None, tabs
    deep = too_deep(text)
    if deep is not None:
        return None, [
            Problem(
                name,
                deep,
                "",
                f"nested too deep: more than {MAX_YAML_DEPTH} levels of lists and "
                "maps (refused before parsing)",
            )
        ]
    try:
        nodes = list(yaml.compose_all(text, Loader=_COMPOSER))
    except yaml.MarkedYAMLError as exc:
        return None, [Problem(name, *_syntax_error(exc, text))]
    except yaml.reader.ReaderError as exc:  # a control character or similar; not marked
        return None, [Problem(name, *_reader_error(exc, text))]
    except yaml.YAMLError as exc:  # pragma: no cover - other scanner errors are marked
        return None, [Problem(name, 1, "", f"invalid YAML: {exc}")]
    except (RecursionError, ValueError) as exc:
        return None, [Problem(name, 1, "", f"invalid YAML: {exc}")]
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        return None, [Problem(name, 1, "", "file is empty")]
    if len(nodes) > 1:
        return None, [
            Problem(name, nodes[1].start_mark.line + 1, "", "one YAML document per file, found several")
        ]
    problems: list[Problem] = []
    lines: dict[tuple[Any, ...], int] = {}
    try:
        data = _convert(nodes[0], (), lines, name, problems, [MAX_NODES])
    except _TooBig as exc:
        return None, [
            Problem(
                name,
                exc.line,
                "",
                f"document too large: more than {MAX_NODES} values (an alias expanding without end?)",
            )
        ]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return None, [Problem(name, (mark.line + 1) if mark else 1, "", f"invalid YAML: {exc}")]
    except (RecursionError, ValueError, TypeError) as exc:
        return None, [Problem(name, 1, "", f"invalid YAML value: {exc}")]
    return Located(name, data, lines, text), problems
