"""Identity's columns in the bus's tables: org_tokens (one row per token) and org_auth_failures are the bus's
(org.bus.models, schema version 3: one schema, one version, one migration path); and this database's id.
"""

from __future__ import annotations

import secrets

from org.bus.store import Store, Tx

__all__ = ["db_id", "TOKEN_COLS"]

TOKEN_COLS = (
    "id, kind, principal, principal_kind, salt, hash, created_at, created_by, expires_at, revoked_at, "
    "revoked_by, note, job, fence, fence_token, task, gate, lane, actions"
)

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
        tx.x(
            "INSERT INTO bus_meta(key, value) VALUES (:k, :v) ON CONFLICT (key) DO NOTHING",
            {"k": _DB_ID, "v": secrets.token_hex(16)},
        )
        return tx.x("SELECT value FROM bus_meta WHERE key = :k", {"k": _DB_ID}).scalar_one()

    return store.write(make)
