"""The identity table (principal and job tokens) in the bus's database, created on first use.

Also `org_auth_failures`: failed authentications per presented token id (known or not) in the current
window, which slow further guesses at that id (org.identity.tokens; pruned by the window, capped).

One row per token: its public id, kind (principal | job), the principal it speaks for, a per-token
salt and the peppered HMAC of its secret (never the secret), expiry and revocation, and for job tokens
the job, fence and scope they were minted for. The table lives beside the bus's tables and is
created by `ensure` (idempotent; serialised like the bus's own schema changes), so the bus schema
and its migrations stay untouched.
"""

from __future__ import annotations

import secrets

from org.bus.store import Store, Tx

__all__ = ["ensure", "db_id", "TOKEN_COLS", "IDENTITY_SCHEMA"]

IDENTITY_SCHEMA = 3
TOKEN_COLS = ("id, kind, principal, principal_kind, salt, hash, created_at, created_by, expires_at, revoked_at, "
              "revoked_by, note, job, fence, fence_token, task, gate, lane, actions")

_DDL = [
    """CREATE TABLE IF NOT EXISTS org_tokens (
        id VARCHAR(32) PRIMARY KEY,
        kind VARCHAR(16) NOT NULL,
        principal VARCHAR(128) NOT NULL,
        principal_kind VARCHAR(16) NOT NULL,
        salt VARCHAR(64) NOT NULL,
        hash VARCHAR(128) NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        created_by VARCHAR(128),
        expires_at DOUBLE PRECISION,
        revoked_at DOUBLE PRECISION,
        revoked_by VARCHAR(128),
        note TEXT,
        job BIGINT,
        fence INTEGER,
        fence_token VARCHAR(64),
        task VARCHAR(32),
        gate VARCHAR(64),
        lane VARCHAR(64),
        actions TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS ix_org_tokens_principal ON org_tokens (principal, kind)",
    "CREATE INDEX IF NOT EXISTS ix_org_tokens_job ON org_tokens (job)",
    # failed authentications per presented token id, key "token:<id>", in the current window
    """CREATE TABLE IF NOT EXISTS org_auth_failures (
        key VARCHAR(200) PRIMARY KEY,
        first_at DOUBLE PRECISION NOT NULL,
        last_at DOUBLE PRECISION NOT NULL,
        failures INTEGER NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS ix_org_auth_failures_last ON org_auth_failures (last_at)",
]
_ADVISORY_KEY = 0x0126_1D00
_READY: set[str] = set()


def ensure(store: Store) -> None:
    """Create the identity table if it is missing (once per process and database)."""
    if store.url in _READY:
        return

    def present(tx: Tx) -> bool:
        v = tx.x("SELECT value FROM bus_meta WHERE key = 'identity_schema'").scalar()
        return v is not None and int(v) >= IDENTITY_SCHEMA

    if not store.read(present):
        def fn(tx: Tx) -> None:
            if tx.pg:
                tx.x("SELECT pg_advisory_xact_lock(:k)", {"k": _ADVISORY_KEY})
            for sql in _DDL:
                tx.x(sql)
            tx.x("DELETE FROM bus_meta WHERE key = 'identity_schema'")
            tx.x("INSERT INTO bus_meta(key, value) VALUES ('identity_schema', :v)", {"v": str(IDENTITY_SCHEMA)})

        store.write(fn)
    _READY.add(store.url)


_DB_ID = "identity_db_id"


def db_id(store: Store) -> str:
    """This database's own random id (bus_meta `identity_db_id`, made the first time it is asked for and never
    changed): the humans' token files are kept per database under it, so a second or a reset database never
    touches another's files (ADR 0058). Read every time, never cached: a file recreated at the same path is
    another database."""
    def get(tx: Tx) -> str | None:
        return tx.x("SELECT value FROM bus_meta WHERE key = :k", {"k": _DB_ID}).scalar()

    got = store.read(get)
    if got:
        return got

    def make(tx: Tx) -> str:
        tx.x("INSERT INTO bus_meta(key, value) VALUES (:k, :v) ON CONFLICT (key) DO NOTHING",
             {"k": _DB_ID, "v": secrets.token_hex(16)})
        return tx.x("SELECT value FROM bus_meta WHERE key = :k", {"k": _DB_ID}).scalar_one()

    return store.write(make)
