"""The exception hierarchy of org, one root, mapped to CLI exit codes in one place.

OrgError                      exit 1  (a bug, or an unexpected failure)
├── UsageError                exit 2  bad input or arguments
│   └── ConfigError           exit 2  invalid lanes/gates/adrs (carries every Problem)
├── NotFound                  exit 3  no such task/job/ADR, or nothing to claim
├── Denied                    exit 4  a rule, gate or identity check refused
├── Conflict                  exit 5  stale token, lost lease, already decided
├── NeedsApproval             exit 6  waits for a human
├── Paused                    exit 7  paused or rate limited; retry later
└── IntegrityError            exit 8  the audit chain is broken
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "OrgError",
    "UsageError",
    "ConfigError",
    "Problem",
    "NotFound",
    "Denied",
    "Conflict",
    "NeedsApproval",
    "Paused",
    "IntegrityError",
]


class OrgError(Exception):
    exit_code = 1
    kind = "internal"

    def __init__(self, message: str = "", **detail: object) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": False, "error": self.kind, "message": self.message}
        if self.detail:
            out["detail"] = self.detail
        return out


class UsageError(OrgError):
    exit_code = 2
    kind = "usage"


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in a config file, printed as FILE:LINE: path.to.field: message."""

    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "path": self.path, "message": self.message}


class ConfigError(UsageError):
    kind = "config"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems))
        n = len(self.problems)
        super().__init__(f"{n} problem{'s' if n != 1 else ''} in the org's configuration")

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)

    def to_json(self) -> dict[str, Any]:
        out = super().to_json()
        out["problems"] = [p.to_json() for p in self.problems]
        return out


class NotFound(OrgError):
    exit_code = 3
    kind = "not_found"


class Denied(OrgError):
    exit_code = 4
    kind = "denied"


class Conflict(OrgError):
    exit_code = 5
    kind = "conflict"


class NeedsApproval(OrgError):
    exit_code = 6
    kind = "needs_approval"


class Paused(OrgError):
    exit_code = 7
    kind = "paused"


class IntegrityError(OrgError):
    exit_code = 8
    kind = "integrity"
