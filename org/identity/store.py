"""Identity's columns in the bus's tables: org_tokens (one row per token) and org_auth_failures are the bus's
(org.bus.models, schema version 3: one schema, one version, one migration path; their SQL is
org.bus.identityrows); and this database's id.
"""

from __future__ import annotations

from org.bus.identityrows import TOKEN_COLS, db_id

__all__ = ["db_id", "TOKEN_COLS"]
