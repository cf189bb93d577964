"""Keep secrets out of the database: every text the bus stores passes through a Redactor first.

Three nets, applied to every string in events, notes, results, attributes and approvals:
  1. the current values of the credentials the org declares (gates/credentials.yaml: `env:` or
     `file:`) are replaced by `[redacted:NAME]`. A value of LONG (8) characters or more wherever it
     appears, in any letter case and in the encodings a service is likely to echo it in: percent-encoded
     (URL), JSON-escaped (also with `\\/` and `\\u00XX` escapes), hex, and base64 (standard and URL-safe,
     alone or inside a longer base64 text such as a Basic auth header). A shorter value (4 to 7
     characters) only as it is (and percent- or JSON-escaped), in its own letter case and as a whole
     token (no letter, digit, `_`, `-`, `.` or `/` right next to it), so `admin` leaves "Administrator"
     alone (and does not reveal itself by the cut) and a PIN `2024` leaves dates alone; its base64 text
     still counts where it is 8 characters or more (case-sensitive). Values under 4 characters are not scrubbed
     (ADR 0064);
  2. well-known token shapes (GitHub, OpenAI/Anthropic-style keys, AWS access keys, Slack, JWTs,
     PEM private keys) and `password=...`-style assignments are replaced by `[redacted]`;
  3. values under keys named like secrets (password, secret, token, api_key, private_key...) are
     replaced by `[redacted]`; under a `token_id` key only an org token's public id (16 hex digits)
     is kept, so the audit log says which token was issued, revoked or guessed at, and nothing else.
The bus never resolves a credential for use; it reads their values only to scrub them.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

__all__ = ["Redactor", "SECRET_KEY", "TOKEN_ID_KEY", "variants"]

# Token shapes, each with the lower-case substrings one of which a match must contain: a pattern runs only
# over a text that holds one of its hints (a cheap substring screen; most large texts skip most patterns).
_PATTERNS: list[tuple[tuple[str, ...], re.Pattern]] = [
    (
        ("-----begin",),
        re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)", re.S),
    ),
    (("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}\b")),
    (("github_pat_",), re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}\b")),
    (("glpat-",), re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}\b")),
    (("sk-",), re.compile(r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}\b")),
    (("akia", "asia"), re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    (("xox",), re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b")),
    (("aiza",), re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    (("eyj",), re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b")),
    (("bearer ",), re.compile(r"(?i)(?<=\bbearer )[A-Za-z0-9._~+/=-]{16,}")),
    (
        ("orgp_", "orgj_"),
        re.compile(r"\borg[pj]_[0-9a-f]{16}_[0-9a-f]{64}\b"),
    ),  # org's own principal and job tokens
    (
        ("passw", "pwd", "secret", "key", "token"),
        re.compile(
            r"(?i)(?=[apst])\b(password|passwd|pwd|secret|api[_-]?key|access[_-]?key|private[_-]?key|auth[_-]?token|"
            r"token)(\s*[:=]\s*)([^\s'\",;]{6,})"
        ),
    ),
]
_ANY_HINT = re.compile("|".join(re.escape(h) for hints, _p in _PATTERNS for h in hints))
_ASSIGNMENT = _PATTERNS[-1][1]
_B64_MIN = 8  # a base64 fragment shorter than this (6 bytes of the secret) would match too much by chance
LONG = (
    8  # a secret this long or longer is matched in any case and encoding; a shorter one exactly, as a token
)
_SHORT_MIN = 4  # shorter values are not scrubbed at all: they cannot be told from ordinary text
# what may not touch a short secret's match (it would be part of a longer word, number, date, version or
# path); a full stop after it may, unless a letter or digit follows (the end of a sentence)
_BEFORE, _AFTER = r"(?<![\w./-])", r"(?![\w/-]|\.\w)"


def _b64_cores(raw: bytes) -> set[str]:
    """The base64 text of `raw` wherever it sits in a longer base64 stream: for each of the three byte
    alignments, the 4-character groups made of its bytes alone (groups shared with the bytes around it
    differ from stream to stream and are left out), in the standard and the URL-safe alphabet; plus the
    whole encoding of `raw` on its own, with and without its padding."""
    whole = base64.b64encode(raw).decode()
    out = {whole, whole.rstrip("=")}
    for lead in (0, 1, 2):
        enc = base64.b64encode(b"\0" * lead + raw).decode()
        start = 4 if lead else 0
        full = (len(raw) - (3 - lead) % 3) // 3  # groups holding only the secret's bytes
        out.add(enc[start : start + 4 * full])
    out |= {c.replace("+", "-").replace("/", "_") for c in out}
    return {c for c in out if len(c) >= _B64_MIN}


def _u_escaped(value: str, chars: str | None) -> str:
    """JSON text of `value` with `chars` (None: every ASCII character but letters and digits) as \\u00XX
    escapes, as some encoders write them (e.g. Go escapes <, > and &); the rest JSON-escaped as usual."""
    return "".join(
        f"\\u{ord(c):04x}"
        if (c in chars if chars is not None else ord(c) < 128 and not c.isalnum())
        else json.dumps(c)[1:-1]
        for c in value
    )


def variants(value: str) -> tuple[set[str], set[str]]:
    """(case-insensitive, case-sensitive) texts under which `value` may appear: the value itself in any
    letter case, percent-encoded, JSON-escaped (`\\/`, `\\u00XX`) and hex (their letters' case varies by
    encoder), and its base64 forms (case matters there, or short fragments would match by chance)."""
    js = json.dumps(value)[1:-1]
    ci = {
        value,
        quote(value, safe=""),
        quote_plus(value),
        js,
        js.replace("/", "\\/"),
        value.encode().hex(),
        _u_escaped(value, None),
        _u_escaped(value, "<>&"),
        _u_escaped(value, "/"),
    }
    return {v for v in ci if v}, _b64_cores(value.encode())


def _short_variants(value: str) -> set[str]:
    """The texts a short value is matched as (exactly, as a whole token): itself, percent- and JSON-escaped."""
    return {v for v in (value, quote(value, safe=""), json.dumps(value)[1:-1]) if v}


SECRET_KEY = re.compile(
    r"(?i)(^|[_.-])(password|passwd|secret|api[_-]?key|access[_-]?key|private[_-]?key|"
    r"auth[_-]?token|token|credential[_-]?value|client[_-]?secret)$"
)
TOKEN_ID_KEY = re.compile(r"(?i)(^|[_.-])token[_-]?id$")
_TOKEN_ID = re.compile(r"^[0-9a-f]{16}$")  # the public id of an org token (org.identity.tokens)


class Redactor:
    """Scrubs known secret values, token shapes and secret-named fields from anything JSON-like."""

    def __init__(self, known: Mapping[str, str] | None = None, unnamed: Iterable[str] = ()) -> None:
        # Longest first, so a secret that contains another is replaced whole. Each entry: (needle as
        # screened, mode, name, pattern): mode "ci" (the lower-case text is screened, replaced in any case),
        # "cs" (exact), or "word" (exact, as a whole token: a short secret). `unnamed` values are replaced
        # by a bare "[redacted]".
        found: dict[tuple[str, str], str] = {}
        for name, v in [*(known or {}).items(), *(("", u) for u in unnamed)]:
            if not v or len(v) < _SHORT_MIN:
                continue
            if len(v) >= LONG:
                ci, cs = variants(v)
                for x in ci:
                    found.setdefault((x.lower(), "ci"), name)
            else:
                cs = _b64_cores(v.encode())
                for x in _short_variants(v):
                    found.setdefault((x, "word"), name)
            for x in cs:
                found.setdefault((x, "cs"), name)
        self._known = sorted(
            ((n, mode, name, self._pattern(n, mode)) for (n, mode), name in found.items()),
            key=lambda t: -len(t[0]),
        )
        self.longest = max((len(t[0]) for t in self._known), default=0)
        self._shortest = min((len(t[0]) for t in self._known), default=0)
        self._short: dict[
            str, str
        ] = {}  # text() of short strings (names, ids, verdicts) this redactor has seen

    @staticmethod
    def _pattern(needle: str, mode: str) -> re.Pattern | None:
        if mode == "ci":
            return re.compile(re.escape(needle), re.I)
        if mode == "word":
            return re.compile(_BEFORE + re.escape(needle) + _AFTER)
        return None

    @classmethod
    def for_credentials(
        cls, credentials: Mapping[str, Any] | None, environ: Mapping[str, str] | None = None
    ) -> Redactor:
        env = os.environ if environ is None else environ
        known: dict[str, str] = {}
        for name, spec in (credentials or {}).items():
            value = None
            if getattr(spec, "env", None):
                value = env.get(spec.env)
            elif getattr(spec, "file", None):
                try:
                    p = Path(spec.file).expanduser()
                    if p.is_file() and p.stat().st_size < 65536:
                        value = p.read_text(errors="ignore").strip()
                except OSError:
                    value = None
            if value:
                known[name] = value.strip()
                if value != value.strip():
                    known[name + " "] = value
        return cls(known)

    def _values(self, s: str) -> tuple[str, str]:
        """Net 1: the known values, in every variant; returns (text, its lower-case form)."""
        if not self._known or len(s) < self._shortest:  # no needle fits: only the shapes' screen needs `low`
            return s, (s.lower() if len(s) >= 10 else s)
        low = s.lower()
        for needle, mode, name, pat in self._known:
            if needle in (low if mode == "ci" else s):
                label = f"[redacted:{name.strip()}]" if name.strip() else "[redacted]"
                s = s.replace(needle, label) if pat is None else pat.sub(_literal(label), s)
                low = s.lower()
        return s, low

    def found(self, s: str) -> list[str]:
        """What secrets `s` holds, named, never shown: 'credential NAME' for a known value (any variant) and
        'token shape HINT' for a token-shaped string. The `password=...` heuristic is not counted here
        (source code is full of such assignments); the redactor still scrubs those from what it stores."""
        out: list[str] = []
        if self._known and len(s) >= self._shortest:
            low = s.lower()
            for needle, mode, name, pat in self._known:
                hay = low if mode == "ci" else s
                if (
                    needle in hay
                    and (pat is None or pat.search(s))
                    and f"credential {name.strip()}" not in out
                ):
                    out.append(f"credential {name.strip() or '(unnamed)'}")
        low = s.lower()
        if len(s) >= 10 and _ANY_HINT.search(low):
            for hints, pat in _PATTERNS:
                if pat is not _ASSIGNMENT and any(h in low for h in hints) and pat.search(s):
                    out.append(f"token shape {hints[0].strip()}")
        return out

    def values(self, s: str) -> str:
        """Only the known values replaced (in every variant), no token shapes: for text whose other
        contents must stay as they are, e.g. a model's prompt."""
        return self._values(s)[0] if self._known else s

    def text(self, s: str) -> str:
        """`s` with every known secret value, token shape and `password=...` assignment replaced (a pure function
        of `s` for this redactor: short strings, the names and words every event repeats, are remembered)."""
        if len(s) <= 64:
            done = self._short.get(s)
            if done is None:
                if len(self._short) >= 4096:
                    self._short.clear()
                done = self._short[s] = self._text(s)
            return done
        return self._text(s)

    def _text(self, s: str) -> str:
        s, low = self._values(s)
        if len(s) >= 10 and _ANY_HINT.search(low):  # one scan screens out most texts before the patterns
            for hints, pat in _PATTERNS:
                if any(h in low for h in hints):
                    s = (
                        pat.sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", s)
                        if pat is _ASSIGNMENT
                        else pat.sub("[redacted]", s)
                    )
        return s

    def value(self, v: Any, key: str | None = None) -> Any:
        t = type(v)
        if v is None or t is bool:
            return v
        if key is not None and t in (str, int, float) and SECRET_KEY.search(key):
            return "[redacted]"
        if key is not None and key[-2:].lower() == "id" and TOKEN_ID_KEY.search(key):
            return v if t is str and _TOKEN_ID.match(v) else "[redacted]"
        if t is str:
            return self.text(v)
        if t is int or t is float:
            return v
        if t is dict or isinstance(v, Mapping):
            return {k: self.value(x, str(k)) for k, x in v.items()}
        if t is list or t is tuple:
            return [self.value(x) for x in v]
        return self.text(v) if isinstance(v, str) else v

    def mapping(self, d: Mapping[str, Any] | None) -> dict:
        return self.value(dict(d or {})) if d else {}

    def all(self, items: Iterable[str]) -> list[str]:
        return [self.text(s) for s in items]


def _literal(text: str) -> Callable[[re.Match[str]], str]:
    """A re.sub replacement that is `text` as it is (no backslash escapes read in it)."""
    return lambda _m: text
