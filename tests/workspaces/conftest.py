"""Fixtures of the workspace tests: an org copy whose gates/repos.yaml names a real git repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.workspaces.gitrepo import REPOS_YAML, make_repo


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "src-repo")


@pytest.fixture
def ws_org(org_copy: Path, source: Path) -> Path:
    (org_copy / "gates" / "repos.yaml").write_text(REPOS_YAML.format(path=source))
    return org_copy
