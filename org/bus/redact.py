"""Keep secrets out of the database: every text the bus stores passes through a Redactor first.

Three nets, applied to every string in events, notes, results, attributes and approvals:
  1. the current values of the credentials the org declares (gates/credentials.yaml: `env:` or
     `file:`) are replaced by `[redacted:NAME]` wherever they appear;
  2. well-known token shapes (GitHub, OpenAI/Anthropic-style keys, AWS access keys, Slack, JWTs,
     PEM private keys) and `password=...`-style assignments are replaced by `[redacted]`;
  3. values under keys named like secrets (password, secret, token, api_key, private_key...) are
     replaced by `[redacted]`; under a `token_id` key only an org token's public id (16 hex digits)
     is kept, so the audit log says which token was issued, revoked or guessed at, and nothing else.
The bus never resolves a credential for use; it reads their values only to scrub them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["Redactor", "SECRET_KEY", "TOKEN_ID_KEY"]

_PATTERNS = [
    re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)", re.S),
    re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}\b"),
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}\b"),
    re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}\b"),
    re.compile(r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}\b"),
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b"),
    re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b"),
    re.compile(r"(?i)(?<=\bbearer )[A-Za-z0-9._~+/=-]{16,}"),
    re.compile(r"\borg[pj]_[0-9a-f]{16}_[0-9a-f]{64}\b"),  # org's own principal and job tokens
]
_ASSIGN = re.compile(r"(?i)\b(password|passwd|pwd|secret|api[_-]?key|access[_-]?key|private[_-]?key|auth[_-]?token|"
                     r"token)(\s*[:=]\s*)([^\s'\",;]{6,})")
# Cheap substring screen: only strings containing one of these go through the regular expressions.
_HINTS = ("-----begin", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "sk-", "akia", "asia", "xox",
          "aiza", "eyj", "bearer", "passw", "pwd", "secret", "key", "token")
SECRET_KEY = re.compile(r"(?i)(^|[_.-])(password|passwd|secret|api[_-]?key|access[_-]?key|private[_-]?key|"
                        r"auth[_-]?token|token|credential[_-]?value|client[_-]?secret)$")

TOKEN_ID_KEY = re.compile(r"(?i)(^|[_.-])token[_-]?id$")
_TOKEN_ID = re.compile(r"^[0-9a-f]{16}$")  # the public id of an org token (org.identity.tokens)


class Redactor:
    """Scrubs known secret values, token shapes and secret-named fields from anything JSON-like."""

    def __init__(self, known: Mapping[str, str] | None = None) -> None:
        # Longest first, so a secret that contains another is replaced whole.
        self._known = sorted(((v, k) for k, v in (known or {}).items() if v and len(v) >= 4),
                             key=lambda kv: -len(kv[0]))

    @classmethod
    def for_credentials(cls, credentials: Mapping[str, Any] | None, environ: Mapping[str, str] | None = None) -> Redactor:
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

    def text(self, s: str) -> str:
        for value, name in self._known:
            if value in s:
                s = s.replace(value, f"[redacted:{name.strip()}]")
        if len(s) >= 10 and any(h in s.lower() for h in _HINTS):
            for pat in _PATTERNS:
                s = pat.sub("[redacted]", s)
            s = _ASSIGN.sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", s)
        return s

    def value(self, v: Any, key: str | None = None) -> Any:
        t = type(v)
        if v is None or t is bool:
            return v
        if key is not None and t in (str, int, float) and SECRET_KEY.search(key):
            return "[redacted]"
        if key is not None and TOKEN_ID_KEY.search(key):
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
