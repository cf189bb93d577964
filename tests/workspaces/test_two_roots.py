"""Several machines: two org roots on one machine sharing a bare repository and one PostgreSQL database; their
pipelines merge at the same time without losing a commit."""

from __future__ import annotations

import shutil
import sys
import threading
import uuid
from pathlib import Path

import pytest

from org.workspaces.git import git_ok
from org.workspaces.pipeline import run_pipeline
from org.workspaces.service import check_revision, open_workspace
from tests.bus.bushelpers import pg_url_or_skip
from tests.workspaces.gitrepo import REPOS_YAML, make_repo, sh_git
from tests.workspaces.test_pipeline import CODE

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(tmp_path):
    base = pg_url_or_skip()
    import psycopg

    schema = "org_test_" + uuid.uuid4().hex[:12]
    with psycopg.connect(base, autocommit=True) as c:
        c.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options=-csearch_path%3D{schema}"
    with psycopg.connect(base, autocommit=True) as c:
        c.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _root(org_copy: Path, where: Path, bare: Path) -> Path:
    shutil.copytree(org_copy, where, ignore=shutil.ignore_patterns(".org"))
    text = REPOS_YAML.format(path=bare, python=sys.executable).replace(f"path: {bare}", f"url: {bare}")
    (where / "gates" / "repos.yaml").write_text(text)
    (where / "gates" / "code.yaml").write_text(
        CODE.replace("{kind: work, lane: builder}", "{kind: work, lane: builder, action: code.write}")
    )
    return where


@pytest.mark.slow
def test_two_org_roots_merge_without_losing_a_commit(org_copy, tmp_path, pg):
    from org.bus import Bus
    from org.identity.bootstrap import agent_tokens, first_use_tokens
    from org.identity.guard import Guard

    seed = make_repo(tmp_path / "seed")
    bare = tmp_path / "shared.git"
    sh_git(tmp_path, "clone", "-q", "--bare", str(seed), str(bare))
    a_root, b_root = _root(org_copy, tmp_path / "a", bare), _root(org_copy, tmp_path / "b", bare)
    a, b = Bus.open(pg, root=a_root), Bus.open(pg, root=b_root)
    try:
        first_use_tokens(a)
        tokens = agent_tokens(a)
        assert a.config().config_hash == b.config().config_hash  # one policy, two machines
        tasks = [
            a.add_task(f"task {i}", "code", by="alice", attributes={"kind": "docs"}, repo="app")["task"]
            for i in range(4)
        ]
        revs = {}
        for i, (t, bus) in enumerate(zip(tasks, (a, b, a, b), strict=True)):  # each root builds two
            ws = Path(open_workspace(bus, t, actor="alice")["path"])
            assert str(ws).startswith(str(bus.ctx.root))
            # tokens are checked with root a's pepper: every authenticated call goes through a (the pepper is
            # per org folder); the git work happens in the root that holds the workspace
            c, jt = Guard(a).claim(tokens["build-claude"], "builder", "build-claude")
            assert c.task == t
            (ws / f"feature_{i}.py").write_text(f"X = {i}\n")
            revs[c.task] = check_revision(bus, c.job, "build-claude")["commit"]
            Guard(a).submit(jt, c.job, "pass")
        # the tests gates: each root runs what it finds; a result the other root entered first is no error
        for bus in (b, a):
            run_pipeline(bus)
        for _ in tasks:
            c, jt = Guard(a).claim(tokens["rev-gpt"], "reviewer", "rev-gpt")
            Guard(a).submit(jt, c.job, "pass")
        results: list = []
        errors: list = []

        def go(bus) -> None:
            try:
                results.append(run_pipeline(bus))
            except Exception as exc:
                errors.append(exc)

        threads = [threading.Thread(target=go, args=(bus,)) for bus in (a, b)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert errors == []
        assert [a.task(t)["status"] for t in tasks] == ["done"] * 4
        for rev in revs.values():  # every revision merged exactly once, none lost
            assert git_ok(["merge-base", "--is-ancestor", rev, "main"], git_dir=bare)
            assert (
                len(sh_git(bare, "log", "--format=%H", "-F", f"--grep=Org-Revision: {rev}", "main").split())
                == 1
            )
        assert sorted(
            p for p in sh_git(bare, "ls-tree", "--name-only", "main").split() if p.startswith("feature_")
        ) == [f"feature_{i}.py" for i in range(4)]
    finally:
        a.close()
        b.close()
