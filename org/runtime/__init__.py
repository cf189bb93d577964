"""org.runtime: the padded room every agent process runs in (a bubblewrap sandbox, see sandbox.py)."""

from org.runtime.isolation import Isolation, SandboxUnavailable, probe, resolve
from org.runtime.sandbox import Limits, Result, Sandbox, job_sandbox, relay_argv

__all__ = [
    "Isolation",
    "Limits",
    "Result",
    "Sandbox",
    "SandboxUnavailable",
    "job_sandbox",
    "probe",
    "relay_argv",
    "resolve",
]
