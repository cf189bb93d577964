"""A --db that cannot be what the user meant is a usage error that says what to do (exit 2), never an
internal error and never a new database made silently somewhere unexpected (issue 20)."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.helpers import org_in_process


@pytest.mark.parametrize("form", ["sqlite:///{p}", "{p}"])
@pytest.mark.parametrize("where", ["before", "after", "env"])
def test_sqlite_in_a_missing_folder_is_refused(org_copy, tmp_path, form, where):
    target = tmp_path / "typo" / "deeper" / "org.db"
    url = form.format(p=target)
    args, env = ["task", "list", "--as", "alice"], None
    if where == "before":
        args = ["--db", url, *args]
    elif where == "after":
        args = [*args, "--db", url]
    else:
        env = {"ORG_DATABASE_URL": url}
    r = org_in_process(*args, root=org_copy, env=env)
    assert r.returncode == 2, r.stderr
    assert f"mkdir -p {target.parent}" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "typo").exists()  # nothing was created


@pytest.mark.postgres
def test_postgresql_database_or_role_missing_is_a_config_error(org_copy):
    from tests.bus.bushelpers import pg_url_or_skip

    base = urlsplit(pg_url_or_skip())
    name = f"org_missing_{uuid.uuid4().hex[:8]}"
    missing_db = urlunsplit((base.scheme, base.netloc, f"/{name}", "", ""))
    r = org_in_process("task", "list", "--as", "alice", "--db", missing_db, root=org_copy)
    assert r.returncode == 2, r.stderr
    assert f"'{name}' does not exist" in r.stderr and "createdb" in r.stderr and name in r.stderr
    assert "internal error" not in r.stderr and "bug" not in r.stderr
    host = base.netloc.rsplit("@", 1)[-1]
    no_role = urlunsplit((base.scheme, f"nobody_{uuid.uuid4().hex[:6]}@{host}", base.path, "", ""))
    r = org_in_process("task", "list", "--as", "alice", "--db", no_role, root=org_copy)
    assert r.returncode == 2 and "role" in r.stderr and "internal error" not in r.stderr, r.stderr
