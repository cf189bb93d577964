"""Fixtures of the workspace tests: an org copy whose gates/repos.yaml names a real git repository."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.workspaces.gitrepo import REPOS_YAML, make_repo, sh_git


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """The user's clone, main checked out; git moves a checked-out branch only with updateInstead (clean tree)."""
    repo = make_repo(tmp_path / "src-repo")
    sh_git(repo, "config", "receive.denyCurrentBranch", "updateInstead")
    return repo


@pytest.fixture
def ws_org(org_copy: Path, source: Path) -> Path:
    (org_copy / "gates" / "repos.yaml").write_text(REPOS_YAML.format(path=source, python=sys.executable))
    return org_copy


@pytest.fixture
def wsbus(ws_org):
    """An open bus on the org with a repository, with every agent's principal token."""
    from org.bus import Bus
    from org.identity.bootstrap import agent_tokens, first_use_tokens

    b = Bus.open(root=ws_org)
    first_use_tokens(b)
    b.tokens = agent_tokens(b)
    yield b
    b.close()
