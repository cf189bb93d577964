"""Whether a run's agents are sandboxed: each lane's `isolation: required | auto` against this machine.

    auto      sandbox (bubblewrap) when it works here; otherwise environment scrubbing only, said once at
              start and recorded as `isolation: none`
    required  sandbox or nothing: a run serving such a lane refuses to start without a working bubblewrap

Whether bubblewrap works is probed once per process by running `true` in a real sandbox (installed is
not enough: a kernel without unprivileged user namespaces, or a container without the rights, fails).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from org.errors import UsageError

__all__ = ["Isolation", "SandboxUnavailable", "SETTINGS", "probe", "resolve"]

SETTINGS = ("required", "auto")
_LOCK = threading.Lock()
_PROBED: dict[str, tuple[bool, str]] = {}


class SandboxUnavailable(UsageError):
    """A lane requires isolation (`isolation: required`) and no sandbox can be made on this machine."""


@dataclass(frozen=True)
class Isolation:
    """What a run's agents get: `mode` 'bwrap' (the sandbox) or 'none' (environment scrubbing only)."""

    mode: str
    why: str = ""  # for 'none': why there is no sandbox

    @property
    def isolated(self) -> bool:
        return self.mode == "bwrap"

    def to_json(self) -> dict:
        return {"isolation": self.mode, **({"why": self.why} if self.why else {})}


def probe(refresh: bool = False) -> tuple[bool, str]:
    """(works, why not): bubblewrap runs `true` in a sandbox like the agents' (cached per bwrap found)."""
    exe = shutil.which("bwrap")
    if exe is None:
        return False, "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    with _LOCK:
        if not refresh and exe in _PROBED:
            return _PROBED[exe]
    from org.runtime.sandbox import Limits, Sandbox

    with tempfile.TemporaryDirectory(prefix="org-probe-") as d:
        sb = Sandbox(Path(d), python=False, limits=Limits(wall_s=20))
        try:
            r = sb.run(["true"])
            ok = r.ok
            why = (
                ""
                if ok
                else f"bubblewrap does not work here ({(r.stderr.decode(errors='replace').strip() or r.limit or r.returncode)})"
            )
        except OSError as exc:
            ok, why = False, f"bubblewrap could not be started ({exc.strerror or exc})"
        except subprocess.SubprocessError as exc:
            ok, why = False, f"bubblewrap could not be started ({exc})"
    with _LOCK:
        _PROBED[exe] = (ok, why[:300])
    return ok, why[:300]


def resolve(settings: Mapping[str, str], say: Callable[[str], None] | None = None) -> Isolation:
    """The isolation of a run serving lanes {lane: setting}. Raises SandboxUnavailable when a lane requires
    the sandbox and it does not work; `say` hears once that agents run without one."""
    bad = {lane: s for lane, s in settings.items() if s not in SETTINGS}
    if bad:
        lane, s = sorted(bad.items())[0]
        raise UsageError(f"lane {lane}: isolation is '{s}'; use required or auto")
    ok, why = probe()
    if ok:
        return Isolation("bwrap")
    required = sorted(lane for lane, s in settings.items() if s == "required")
    if required:
        raise SandboxUnavailable(
            f"lane{'s' if len(required) > 1 else ''} {', '.join(required)} require{'' if len(required) > 1 else 's'} "
            f"a sandbox (isolation: required), and {why}; install bubblewrap, or set 'isolation: auto' to run "
            "with environment scrubbing only",
            lanes=required,
        )
    if say is not None:
        say(f"agents run without a sandbox (isolation: none): {why}; only their environment is scrubbed")
    return Isolation("none", why)
