"""Ledger tokens encrypted at rest.

Access and refresh tokens are sealed with Fernet under TOKEN_ENCRYPTION_KEY before they touch
the database, and opened only in the process that calls the ledger. The setting may hold
several keys, newest first: MultiFernet opens tokens sealed with any of them and seals with
the first, so a key is rotated by prepending a new one and running ``relance tokens rotate``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import LargeBinary
from sqlalchemy.types import TypeDecorator

from runtime.settings import get_settings


class SealedTokenUnreadable(Exception):
    """A stored token was sealed with a key that TOKEN_ENCRYPTION_KEY no longer holds."""


@lru_cache(maxsize=4)
def _vault(keys: str) -> MultiFernet:
    return MultiFernet([Fernet(key.strip()) for key in keys.split(",") if key.strip()])


def vault() -> MultiFernet:
    """The MultiFernet for the configured keys."""
    return _vault(get_settings().secret("token_encryption_key"))


def seal(secret: str) -> bytes:
    return vault().encrypt(secret.encode())


def unseal(sealed: bytes) -> str:
    try:
        return vault().decrypt(sealed).decode()
    except InvalidToken:
        raise SealedTokenUnreadable("a stored token cannot be opened with TOKEN_ENCRYPTION_KEY") from None


def reseal(sealed: bytes) -> bytes:
    """The same secret sealed under the newest key (for key rotation)."""
    return vault().rotate(sealed)


class SealedText(TypeDecorator[str]):
    """A text column stored sealed: Python sees the secret, the database only ciphertext."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> bytes | None:
        return None if value is None else seal(value)

    def process_result_value(self, value: bytes | None, dialect: Any) -> str | None:
        return None if value is None else unseal(bytes(value))


def reseal_all(session: Any) -> int:
    """Re-seal every stored token under the newest key; returns how many grants were rewritten.

    Run after prepending a new key to TOKEN_ENCRYPTION_KEY; then the old key can be dropped.
    """
    from sqlalchemy import text

    rows = session.execute(text("SELECT id, access_token, refresh_token FROM ledger_grants")).all()
    for grant_id, access, refresh in rows:
        session.execute(
            text("UPDATE ledger_grants SET access_token = :access, refresh_token = :refresh WHERE id = :id"),
            {
                "id": grant_id,
                "access": reseal(bytes(access)),
                "refresh": reseal(bytes(refresh)) if refresh is not None else None,
            },
        )
    session.commit()
    return len(rows)
