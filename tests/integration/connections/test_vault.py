"""Ledger tokens are sealed at rest: the database holds ciphertext only, and keys rotate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select, text

from integration.connections import LedgerGrant, vault
from runtime import clock
from runtime.settings import reload_settings


def store_grant(session, access: str = "at-secret-value", refresh: str = "rt-secret-value") -> int:  # type: ignore[no-untyped-def]
    grant = LedgerGrant(
        provider="xero",
        access_token=access,
        refresh_token=refresh,
        access_expires_at=clock.now() + timedelta(minutes=30),
    )
    session.add(grant)
    session.commit()
    return grant.id


def raw_tokens(session, grant_id: int) -> tuple[bytes, bytes]:  # type: ignore[no-untyped-def]
    row = session.execute(
        text("SELECT access_token, refresh_token FROM ledger_grants WHERE id = :id"), {"id": grant_id}
    ).one()
    return bytes(row[0]), bytes(row[1])


def test_tokens_in_the_database_are_unreadable_without_the_key(session) -> None:  # type: ignore[no-untyped-def]
    grant_id = store_grant(session)

    access, refresh = raw_tokens(session, grant_id)

    assert b"at-secret-value" not in access and b"rt-secret-value" not in refresh
    with pytest.raises(InvalidToken):
        Fernet(Fernet.generate_key()).decrypt(access)
    session.expire_all()
    assert session.get(LedgerGrant, grant_id).access_token == "at-secret-value"


def test_a_new_key_still_opens_old_tokens_and_rotation_reseals_them(session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    old_key = reload_settings().secret("token_encryption_key")
    grant_id = store_grant(session)
    new_key = Fernet.generate_key().decode()
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEY", f"{new_key},{old_key}")
    reload_settings()

    session.expire_all()
    assert session.scalars(select(LedgerGrant)).one().refresh_token == "rt-secret-value"

    access, _ = raw_tokens(session, grant_id)
    resealed = vault.reseal(access)
    assert Fernet(new_key.encode()).decrypt(resealed) == b"at-secret-value"


def test_a_token_sealed_with_a_forgotten_key_says_so(session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    store_grant(session)
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEY", Fernet.generate_key().decode())
    reload_settings()

    session.expire_all()
    with pytest.raises(vault.SealedTokenUnreadable):
        session.scalars(select(LedgerGrant)).one()


def test_rotate_key_reseals_every_grant_so_the_old_key_can_go(session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from web.cli import cli

    old_key = reload_settings().secret("token_encryption_key")
    grant_id = store_grant(session)
    new_key = Fernet.generate_key().decode()
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEY", f"{new_key},{old_key}")
    reload_settings()

    result = CliRunner().invoke(cli, ["tokens", "rotate-key"])

    assert result.exit_code == 0, result.output
    assert "1 grant(s)" in result.output
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEY", new_key)  # the old key is gone
    reload_settings()
    session.expire_all()
    assert session.get(LedgerGrant, grant_id).refresh_token == "rt-secret-value"
