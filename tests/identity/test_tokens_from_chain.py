"""State outside the chain, the deciding reads of principal tokens (issue 19 class 8 (a), ADR 0166): a token's
row is believed only as far as its token.issued and token.revoked events say. A revocation undone by hand, an
expiry extended, the token handed to another principal, its issuer wiped (who stands behind it, ADR 0111) or a
forged row: refused at authentication, before anyone runs `audit verify`."""

from __future__ import annotations

import pytest

from org.errors import Denied
from org.identity.tokens import Tokens


def _edit(bus, sql):
    from sqlalchemy import text

    with bus.store.engine.begin() as c:
        c.execute(text(sql))


@pytest.fixture
def issued(bus):
    tokens = Tokens(bus)
    live = tokens.issue("build-claude", by="alice", ttl=3600)
    gone = tokens.issue("build-gpt", by="alice")
    tokens.revoke(token_id=gone["id"], by="alice")
    assert tokens.authenticate(live["token"]).actor == "build-claude"
    with pytest.raises(Denied):
        tokens.authenticate(gone["token"])
    return tokens, live, gone


def test_a_revocation_undone_by_hand_is_still_refused(bus, issued):
    tokens, _live, gone = issued
    _edit(bus, f"UPDATE org_tokens SET revoked_at = NULL, revoked_by = NULL WHERE id = '{gone['id']}'")
    with pytest.raises(Denied):
        tokens.authenticate(gone["token"])


@pytest.mark.parametrize(
    "change",
    [
        "expires_at = expires_at + 86400",
        "expires_at = NULL",
        "principal = 'build-gpt'",
        "created_by = NULL",
        "created_by = 'bob'",
    ],
)
def test_a_row_changed_by_hand_is_refused(bus, issued, change):
    tokens, live, _gone = issued
    _edit(bus, f"UPDATE org_tokens SET {change} WHERE id = '{live['id']}'")
    with pytest.raises(Denied):
        tokens.authenticate(live["token"])


def test_a_forged_principal_token_row_is_refused(bus, issued):
    """A copy of a live row under another id (same salt and hash: the same secret) is no token org issued."""
    tokens, live, _gone = issued
    _edit(
        bus,
        "INSERT INTO org_tokens(id, kind, principal, principal_kind, salt, hash, created_at, created_by, expires_at) "
        f"SELECT '0123456789abcdef', kind, principal, principal_kind, salt, hash, created_at, created_by, expires_at "
        f"FROM org_tokens WHERE id = '{live['id']}'",
    )
    forged = live["token"].replace(live["id"], "0123456789abcdef")
    assert forged != live["token"]
    with pytest.raises(Denied):
        tokens.authenticate(forged)
    assert tokens.authenticate(live["token"]).actor == "build-claude"
