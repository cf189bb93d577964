"""org.runtime: the padded room every agent process runs in (a bubblewrap sandbox, see sandbox.py)."""

from org.runtime.isolation import Isolation, SandboxUnavailable, probe, resolve
from org.runtime.sandbox import Limits, Result, Sandbox

__all__ = ["Isolation", "Limits", "Result", "Sandbox", "SandboxUnavailable", "probe", "resolve"]
