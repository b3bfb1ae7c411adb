"""Sign-in sessions: each browser a person signed in with, kept on the server so that signing out ends it.

The browser holds only a random token (in Flask's signed session cookie and in the remember-me
cookie); the server keeps its SHA-256, whose it is, when it expires and when it ended. A cookie
copied before sign-out names an ended session and is refused; "sign out everywhere" ends every
session of the person. A token is never stored in clear, so a copy of the database signs no one in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, ForeignKey, String, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from runtime import clock
from runtime.db import Base

# How long a renewed session's old token still works: the other requests of the same moment.
RENEWAL_GRACE = timedelta(seconds=30)


class SignInSession(Base):
    """One sign-in of one person in one browser, from its start until it expires or is ended."""

    __tablename__ = "sign_in_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    started_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    # "signed out", "signed out everywhere", "signed in again", "renewed"
    ended_reason: Mapped[str] = mapped_column(String(32), default="")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user_id: int, lifetime: timedelta) -> str:
    """Start a session for the person and return its token (for the browser's cookies, never kept here)."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    session.add(
        SignInSession(user_id=user_id, token_hash=_hash(token), started_at=now, expires_at=now + lifetime)
    )
    session.flush()
    return token


def person_signed_in(session: Session, token: str) -> int | None:
    """The id of the person whose session ``token`` is, while it has neither expired nor ended."""
    if not token or len(token) > 128:
        return None
    now = clock.now()
    return session.scalar(
        select(SignInSession.user_id).where(
            SignInSession.token_hash == _hash(token),
            SignInSession.expires_at > now,
            or_(
                SignInSession.ended_at.is_(None),
                # A browser restoring several tabs at once sends the same old cookie with each.
                (SignInSession.ended_reason == "renewed") & (SignInSession.ended_at > now - RENEWAL_GRACE),
            ),
        )
    )


def renew_session(session: Session, token: str) -> tuple[str, timedelta] | None:
    """Replace the open session ``token`` by a new one of the same person ending at the same
    time; the new token and the time it has left. The old token signs no one in from now on."""
    now = clock.now()
    found = session.scalar(
        select(SignInSession).where(
            SignInSession.token_hash == _hash(token),
            SignInSession.ended_at.is_(None),
            SignInSession.expires_at > now,
        )
    )
    if found is None:
        return None
    found.ended_at, found.ended_reason = now, "renewed"
    renewed = secrets.token_urlsafe(32)
    session.add(
        SignInSession(
            user_id=found.user_id, token_hash=_hash(renewed), started_at=now, expires_at=found.expires_at
        )
    )
    session.flush()
    return renewed, found.expires_at - now


def end_session(session: Session, token: str, reason: str = "signed out") -> None:
    """End the session ``token`` names; its cookies sign no one in from now on."""
    session.execute(
        update(SignInSession)
        .where(SignInSession.token_hash == _hash(token), SignInSession.ended_at.is_(None))
        .values(ended_at=clock.now(), ended_reason=reason)
    )


def end_every_session(session: Session, user_id: int, reason: str = "signed out everywhere") -> int:
    """End every open session of the person, in every browser; how many were open."""
    # An UPDATE's result is a CursorResult (Session.execute is typed for any statement).
    ended = cast(
        CursorResult[Any],
        session.execute(
            update(SignInSession)
            .where(SignInSession.user_id == user_id, SignInSession.ended_at.is_(None))
            .values(ended_at=clock.now(), ended_reason=reason)
        ),
    )
    # Renewed tokens still in their grace end too.
    session.execute(
        update(SignInSession)
        .where(SignInSession.user_id == user_id, SignInSession.ended_reason == "renewed")
        .values(ended_reason=reason)
    )
    return ended.rowcount or 0
