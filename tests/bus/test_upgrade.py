"""Schema migrations (issue 22 item 9): a database the release before made (tests/data/release_db, SQLite and
PostgreSQL) upgrades in place when this release opens it, keeping every task, event, usage row and token;
and a database newer than a release understands is refused by it, unchanged."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from org.bus import Bus, SchemaTooNew
from org.bus.schema import SCHEMA_VERSION, ensure_schema, schema_version
from org.bus.store import Store
from org.errors import Conflict, Denied
from org.identity.guard import Guard

DATA = Path(__file__).resolve().parents[1] / "data" / "release_db"
MANIFEST = json.loads((DATA / "manifest.json").read_text())
PLACEHOLDER = "org_release_before"


class Clock:
    """The release's database was made at bus_meta.created_at: its leases and tokens live in that time."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def _pepper(monkeypatch):
    monkeypatch.setenv("ORG_TOKEN_PEPPER", MANIFEST["pepper"])  # the fixture's tokens were made with it


@pytest.fixture
def old_sqlite(root) -> str:
    (root / ".org").mkdir(exist_ok=True)
    shutil.copy(DATA / "org.db", root / ".org" / "org.db")
    return f"sqlite:///{root / '.org' / 'org.db'}"


@pytest.fixture
def old_pg(pg_url) -> str:
    """The release's PostgreSQL dump loaded into this test's own schema."""
    import psycopg

    schema = pg_url.rsplit("%3D", 1)[1]
    sql = (
        (DATA / "pg.sql")
        .read_text()
        .replace(f"CREATE SCHEMA {PLACEHOLDER};", "")
        .replace(PLACEHOLDER, schema)
    )
    base = pg_url.split("?", 1)[0] if "options=" in pg_url.split("?", 1)[-1] else pg_url
    with psycopg.connect(base, autocommit=True) as c:
        c.execute(sql)
    return pg_url


def _read(url: str, fn):
    """One read on a Store of its own, closed after."""
    store = Store(url)
    try:
        return store.read(fn)
    finally:
        store.dispose()


def _version(url: str) -> int | None:
    store = Store(url)
    try:
        return schema_version(store)
    finally:
        store.dispose()


def _meta(bus) -> dict:
    return dict(bus.store.read(lambda tx: tx.x("SELECT key, value FROM bus_meta").all()))


def _upgrades_in_place(url: str, root: Path, made: dict) -> None:
    assert _version(url) == 2  # as the release before left it
    created = float(
        _read(url, lambda tx: tx.x("SELECT value FROM bus_meta WHERE key = 'created_at'").scalar())
    )
    clock = Clock(created + 60)
    with Bus.open(url, root=root, clock=clock) as bus:
        meta = _meta(bus)
        assert meta["schema_version"] == str(SCHEMA_VERSION) and "migrated:3" in meta
        assert "identity_schema" not in meta  # one schema, one version
        rep = bus.audit_verify()
        old_head = bus.store.read(
            lambda tx: tx.x("SELECT hash FROM events WHERE seq = :s", {"s": made["head_seq"]}).scalar()
        )
        assert rep.ok and bytes(old_head).hex() == made["head_hash"]  # nothing rewritten
        # the schema 5 upgrade chained one token.fingerprint per token row there was, after the old head
        rows = bus.store.read(lambda tx: tx.x("SELECT count(*) FROM org_tokens").scalar())
        fps = [
            e for e in bus.events_since(made["head_seq"], limit=10_000) if e["type"] == "token.fingerprint"
        ]
        assert rows and len(fps) == rows and rep.head_seq == made["head_seq"] + rows
        assert {t["task"]: t["status"] for t in bus.list_tasks(limit=100)} == made["tasks"]
        assert len(bus.spend("model")) == made["usage_rows"]
        door = Guard(bus, token_files=False)
        # the tokens it issued still authenticate, the revoked one is still refused
        assert door.task(made["tokens"]["alice"], made["done"])["status"] == "done"
        with pytest.raises(Denied):
            door.list_tasks(made["revoked"])
        # the job leased before the upgrade carries on under its job token
        assert door.heartbeat(made["job_token"], made["job"], lease_seconds=600)["job"] == made["job"]
        assert door.submit(made["job_token"], made["job"], "pass", note="spec, after the upgrade")["ok"]
        with pytest.raises(Conflict):
            door.heartbeat(made["job_token"], made["job"])
        # the human's pending request can be settled; new work starts
        assert any(a["approval"] == made["approval"] for a in door.pending_approvals(made["tokens"]["bob"]))
        t = door.add_task(made["tokens"]["alice"], "after the upgrade", "change", by="alice")["task"]
        c, _jt = door.claim(made["tokens"]["build-claude"], "builder", "build-claude")
        assert c.task in (t, made["active"])
        assert bus.audit_verify().ok
    # opening again changes nothing more
    with Bus.open(url, root=root, clock=clock) as bus:
        assert _meta(bus)["schema_version"] == str(SCHEMA_VERSION)


def test_a_sqlite_database_of_the_release_before_upgrades_in_place(old_sqlite, root):
    _upgrades_in_place(old_sqlite, root, MANIFEST["sqlite"])


@pytest.mark.postgres
def test_a_postgresql_database_of_the_release_before_upgrades_in_place(old_pg, root):
    _upgrades_in_place(old_pg, root, MANIFEST["postgresql"])


def test_a_newer_database_is_refused_by_an_older_release_unchanged(old_sqlite, root):
    """After the upgrade, the release before (which understands version 2) refuses it and changes nothing."""
    Bus.open(old_sqlite, root=root).close()
    path = Path(old_sqlite.split("///", 1)[1])
    before = path.read_bytes()
    store = Store(old_sqlite)
    with pytest.raises(SchemaTooNew) as e:
        ensure_schema(store, target=2)  # exactly what Bus.open runs in a release whose SCHEMA_VERSION is 2
    store.dispose()
    assert (
        e.value.exit_code == 2
        and "upgrade org" in e.value.message
        and e.value.detail["found"] == SCHEMA_VERSION
    )
    assert path.read_bytes() == before


def test_a_failed_migration_leaves_the_old_database_as_it_was(old_sqlite, root, monkeypatch):
    """The upgrade is one transaction: a step that fails leaves version 2 and every row untouched."""
    from org.bus import schema

    def boom(tx):
        raise RuntimeError("disk full halfway")

    monkeypatch.setitem(schema.MIGRATIONS, 3, boom)
    with pytest.raises(RuntimeError):
        Bus.open(old_sqlite, root=root)
    assert _version(old_sqlite) == 2
    assert _read(
        old_sqlite, lambda tx: tx.x("SELECT value FROM bus_meta WHERE key = 'identity_schema'").scalar()
    )


def test_every_version_has_its_migration():
    from org.bus.schema import MIGRATIONS

    assert sorted(MIGRATIONS) == list(range(2, SCHEMA_VERSION + 1)), (
        "a new SCHEMA_VERSION needs its migration"
    )


def _raw_write(url: str, sql: str, params: dict) -> None:
    from sqlalchemy import text

    store = Store(url)
    try:
        with store.engine.begin() as c:
            c.execute(text(sql), params)
    finally:
        store.dispose()


def _old_heartbeat_is_chained_by_the_upgrade(url: str, root: Path, made: dict) -> None:
    created = float(
        _read(url, lambda tx: tx.x("SELECT value FROM bus_meta WHERE key = 'created_at'").scalar())
    )
    # what the old code's heartbeat(lease_seconds=7200) wrote: the row, and no event
    _raw_write(
        url,
        "UPDATE jobs SET lease_seconds = 7200, lease_expires = :e WHERE id = :j",
        {"e": created + 7200, "j": made["job"]},
    )
    with Bus.open(url, root=root, clock=Clock(created + 60)) as bus:
        rep = bus.audit_verify()
        assert rep.ok, rep.problem
        leases = [e for e in bus.events_since(0, limit=10_000) if e["type"] == "job.lease"]
        assert [(e["job"], e["data"]["lease_seconds"]) for e in leases] == [(made["job"], 7200)]
    # and a lease stretched by hand after the upgrade is still caught
    _raw_write(url, "UPDATE jobs SET lease_seconds = 90000 WHERE id = :j", {"j": made["job"]})
    with Bus.open(url, root=root, clock=Clock(created + 60)) as bus:
        assert not bus.audit_verify().ok


def _old_token_swapped_after_the_upgrade(url: str, root: Path, made: dict) -> None:
    """Tokens made before fingerprints (ADR 0210) keep working after the upgrade; copying one's salt and hash
    into another's row afterwards is refused and named, as for a new token."""
    created = float(
        _read(url, lambda tx: tx.x("SELECT value FROM bus_meta WHERE key = 'created_at'").scalar())
    )
    with Bus.open(url, root=root, clock=Clock(created + 60)) as bus:
        assert bus.audit_verify().ok
    mine, alice = made["tokens"]["build-claude"], made["tokens"]["alice"]
    _raw_write(
        url,
        "UPDATE org_tokens SET salt=(SELECT salt FROM org_tokens WHERE id=:m), "
        "hash=(SELECT hash FROM org_tokens WHERE id=:m) WHERE id=:a",
        {"m": mine.split("_")[1], "a": alice.split("_")[1]},
    )
    with Bus.open(url, root=root, clock=Clock(created + 60)) as bus:
        door = Guard(bus, token_files=False)
        with pytest.raises(Denied):
            door.list_tasks(f"orgp_{alice.split('_')[1]}_{mine.split('_')[2]}")
        assert not bus.audit_verify().ok


def test_an_old_token_swapped_after_the_upgrade_is_refused(old_sqlite, root):
    _old_token_swapped_after_the_upgrade(old_sqlite, root, MANIFEST["sqlite"])


@pytest.mark.postgres
def test_an_old_token_swapped_after_the_upgrade_is_refused_on_postgresql(old_pg, root):
    _old_token_swapped_after_the_upgrade(old_pg, root, MANIFEST["postgresql"])


def test_a_lease_an_old_heartbeat_changed_without_an_event_is_chained_by_the_upgrade(old_sqlite, root):
    """Before schema 4 a heartbeat changed a job's lease length in the table only (no job.lease event): an
    untouched database of then must verify after the upgrade (the migration chains what the table says, as a
    job.lease event), and an edit made after the upgrade is still named."""
    _old_heartbeat_is_chained_by_the_upgrade(old_sqlite, root, MANIFEST["sqlite"])


@pytest.mark.postgres
def test_a_lease_an_old_heartbeat_changed_is_chained_by_the_upgrade_on_postgresql(old_pg, root):
    _old_heartbeat_is_chained_by_the_upgrade(old_pg, root, MANIFEST["postgresql"])
