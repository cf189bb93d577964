"""Fixtures for the telemetry tests: an org whose repos.yaml names a real git repository (the tool loop's)."""

from __future__ import annotations

from tests.workspaces.conftest import source, ws_org  # noqa: F401
