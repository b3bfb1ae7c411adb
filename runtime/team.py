"""An organisation's people: invitations by email, roles, leaving and removal (issue #14).

The mechanics only; who may do what to whom is web/roles.py's (next to the routes' matrix), and
the words people read are the web's. Every change is an audit event in the same transaction.
An invitation link carries a random token whose SHA-256 alone is stored (runtime.tenancy.Invitation
says why a row rather than a signed link).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from runtime import clock
from runtime.tenancy import AuditEvent, Invitation, Membership, Role, User, record

INVITATION_LIFETIME = timedelta(days=7)
# Deliberately loose (one @, no spaces, a dot in the domain): the mail itself is the real check.
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
LONGEST_EMAIL = 254  # RFC 5321's limit on a path


def normal_email(text: str) -> str | None:
    """The address as stored and compared (trimmed, lower case), None if it is not one."""
    email = text.strip().lower()
    if len(email) > LONGEST_EMAIL or not email.isprintable() or not _EMAIL.fullmatch(email):
        return None
    return email


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _new_token(invitation: Invitation, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    invitation.token_hash = token_hash(token)
    invitation.sent_at = now
    invitation.expires_at = now + INVITATION_LIFETIME
    return token


def pending_invitation(session: Session, organisation_id: int, email: str) -> Invitation | None:
    return session.scalar(
        select(Invitation).where(
            Invitation.organisation_id == organisation_id,
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
            Invitation.cancelled_at.is_(None),
        )
    )


def member_with_email(session: Session, organisation_id: int, email: str) -> Membership | None:
    return session.scalar(
        select(Membership)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organisation_id == organisation_id, func.lower(User.email) == email)
    )


def invite(
    session: Session, organisation_id: int, email: str, role: Role, by_user_id: int
) -> tuple[Invitation, str]:
    """A new invitation (or the pending one to that address, renewed with this role) and its token."""
    now = clock.now()
    invitation = pending_invitation(session, organisation_id, email)
    if invitation is None:
        invitation = Invitation(organisation_id=organisation_id, email=email, created_at=now)
        session.add(invitation)
    invitation.role = role.value
    invitation.invited_by_user_id = by_user_id
    token = _new_token(invitation, now)
    session.flush()
    record(
        session,
        organisation_id,
        "team.invited",
        f"invitation:{invitation.id}",
        by_user_id,
        email=email,
        role=role.value,
    )
    return invitation, token


def resend(session: Session, invitation: Invitation, by_user_id: int) -> str:
    """A new link and expiry for a pending invitation: the link sent before stops working."""
    token = _new_token(invitation, clock.now())
    record(
        session,
        invitation.organisation_id,
        "team.invitation_resent",
        f"invitation:{invitation.id}",
        by_user_id,
        email=invitation.email,
        role=invitation.role,
    )
    return token


def cancel(session: Session, invitation: Invitation, by_user_id: int) -> None:
    invitation.cancelled_at = clock.now()
    record(
        session,
        invitation.organisation_id,
        "team.invitation_cancelled",
        f"invitation:{invitation.id}",
        by_user_id,
        email=invitation.email,
        role=invitation.role,
    )


def invitation_for_token(session: Session, token: str) -> Invitation | None:
    if not 20 <= len(token) <= 100:
        return None
    return session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))


def accept(session: Session, invitation: Invitation, user: User) -> Membership:
    """Make ``user`` one of the organisation's people with the invited role. Someone already a
    member keeps the role they have: an invitation never demotes."""
    invitation.accepted_at = clock.now()
    invitation.accepted_by_user_id = user.id
    membership = membership_of(session, invitation.organisation_id, user.id)
    if membership is None:
        membership = Membership(
            user_id=user.id, organisation_id=invitation.organisation_id, role=invitation.role
        )
        session.add(membership)
    session.flush()
    record(
        session,
        invitation.organisation_id,
        "team.joined",
        f"user:{user.id}",
        user.id,
        email=invitation.email,
        role=membership.role,
        invitation=invitation.id,
    )
    return membership


def membership_of(session: Session, organisation_id: int, user_id: int) -> Membership | None:
    return session.scalar(
        select(Membership).where(Membership.organisation_id == organisation_id, Membership.user_id == user_id)
    )


def owner_count(session: Session, organisation_id: int) -> int:
    return (
        session.scalar(
            select(func.count()).where(
                Membership.organisation_id == organisation_id, Membership.role == Role.OWNER.value
            )
        )
        or 0
    )


def is_last_owner(session: Session, membership: Membership) -> bool:
    return membership.role == Role.OWNER.value and owner_count(session, membership.organisation_id) <= 1


def change_role(session: Session, membership: Membership, role: Role, by_user_id: int) -> None:
    before = membership.role
    membership.role = role.value
    record(
        session,
        membership.organisation_id,
        "team.role_changed",
        f"user:{membership.user_id}",
        by_user_id,
        before=before,
        after=role.value,
    )


def remove(session: Session, membership: Membership, by_user_id: int) -> None:
    """Remove the person from the organisation (``team.left`` when they remove themselves)."""
    action = "team.left" if membership.user_id == by_user_id else "team.removed"
    record(
        session,
        membership.organisation_id,
        action,
        f"user:{membership.user_id}",
        by_user_id,
        role=membership.role,
    )
    session.delete(membership)


# The activity log: the audit trail, newest first, filtered and paged.

PAGE_SIZE = 50


@dataclass(frozen=True)
class ActivityFilter:
    """What the activity page shows: one person's acts, one kind of act, one customer's events."""

    user_id: int | None = None
    kind: str = ""
    customer_id: int | None = None
    page: int = 1


@dataclass
class Trail:
    events: list[AuditEvent]
    total: int
    page: int
    pages: int
    kinds: list[str]  # every kind of act in the organisation's trail
    actors: dict[int, User]  # the people whose acts are in it (some may have left)
    customer_ids: list[int]  # the customers it names


def trail(session: Session, organisation_id: int, chosen: ActivityFilter) -> Trail:
    scope = select(AuditEvent).where(AuditEvent.organisation_id == organisation_id)
    if chosen.user_id is not None:
        scope = scope.where(AuditEvent.actor_user_id == chosen.user_id)
    if chosen.kind:
        scope = scope.where(
            or_(
                AuditEvent.action == chosen.kind,
                AuditEvent.action.startswith(chosen.kind + ".", autoescape=True),
            )
        )
    if chosen.customer_id is not None:
        scope = scope.where(AuditEvent.subject == f"customer:{chosen.customer_id}")
    total = session.scalar(select(func.count()).select_from(scope.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, chosen.page), pages)
    events = list(
        session.scalars(
            scope.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    mine = AuditEvent.organisation_id == organisation_id
    actions = session.scalars(select(AuditEvent.action).where(mine).distinct())
    kinds = sorted({action.split(".", 1)[0] for action in actions})
    actor_ids = set(session.scalars(select(AuditEvent.actor_user_id).where(mine).distinct()))
    member_ids = set(
        session.scalars(select(Membership.user_id).where(Membership.organisation_id == organisation_id))
    )
    ids = {user_id for user_id in actor_ids | member_ids if user_id is not None}
    actors = {user.id: user for user in session.scalars(select(User).where(User.id.in_(ids)))}
    subjects = session.scalars(
        select(AuditEvent.subject).where(mine, AuditEvent.subject.startswith("customer:")).distinct()
    )
    customer_ids = sorted(
        int(number)
        for subject in subjects
        if (number := subject.split(":", 1)[1]).isascii() and number.isdigit()
    )
    return Trail(events, total, page, pages, kinds, actors, customer_ids)
