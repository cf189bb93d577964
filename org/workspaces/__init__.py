"""The data plane's spine: repositories, workspaces, revisions as commits, the diff guard, tests and the
pipeline merge. The only package that runs git (org.workspaces.git)."""

from __future__ import annotations

__all__: list[str] = []
