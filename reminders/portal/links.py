"""One portal link per customer: signed, unguessable, scoped to that customer of that
organisation, expiring, and revocable by the team.

A link is a row (``PortalLink``: the organisation, the customer, a random nonce, when it expires,
whether the team revoked it) and a token that names the row: ``[link id, nonce]`` signed with
itsdangerous under ``PORTAL_LINK_KEYS`` (comma-separated, the newest first; unset, ``SECRET_KEY``). To rotate the key, put a new one first and keep the old one
after it until the links it signed have expired; then drop it. A token opens the portal only when
its signature checks under one of the keys *and* its nonce equals its row's (compared in constant
time) *and* the row is neither expired nor revoked: a forged, tampered or guessed token names
nothing, and the answer never says whose it would have been.

The token carries no personal data (an id and 128 random bits), and the portal exchanges it at once
for a session cookie and a URL without it (web/portal), so it is in no later URL, Referer or log.

Every reminder carries the customer's current link (``link_for``): the live one while it has at
least ``RENEW_WITHIN`` left, else a new one, so a link in a message still works for a good while
after the message arrives. Revoking ends every live link of the customer; the next reminder, or a
person on the customer's page, makes a new one.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import ForeignKey, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from reminders.writeback import customer_subject
from runtime import clock
from runtime.db import Base
from runtime.settings import get_settings
from runtime.tenancy import Organisation, record
from sync.models import Customer

# Where a link opens: web/portal serves this path (a test checks the two agree).
LINK_PATH = "/portal/l/"
SALT = "relance.portal-link"
DEFAULT_LINK_DAYS = 60  # the default; each organisation chooses 1 to 365
LONGEST_LINK_DAYS = 365
DEFAULT_PROMISE_WINDOW_DAYS = 30  # how far ahead a customer may promise to pay, in days
LONGEST_PROMISE_WINDOW_DAYS = 120
# A reminder never carries a link about to expire: with less than this left, a new one is made.
RENEW_WITHIN = timedelta(days=14)
LONGEST_BANK_DETAILS = 1000


class PortalSettings(Base):
    """An organisation's portal: how long its links last, how far ahead its customers may promise,
    and the bank details the portal shows for a transfer (free text: account name, sort code and
    number, IBAN and BIC, as the business writes them on its invoices)."""

    __tablename__ = "portal_settings"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    link_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_LINK_DAYS)
    promise_window_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_PROMISE_WINDOW_DAYS)
    bank_details: Mapped[str] = mapped_column(Text, default="")


class PortalLink(Base):
    __tablename__ = "portal_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    nonce: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    last_opened_at: Mapped[datetime | None] = mapped_column(default=None)


class LinkState(StrEnum):
    OPEN = "open"
    EXPIRED = "expired"  # the portal offers to email a fresh one to the address on file
    REVOKED = "revoked"  # the team ended it: nothing is offered
    INVALID = "invalid"  # tampered, forged, or naming no link: nothing is said of anyone


@dataclass(frozen=True)
class ReadLink:
    state: LinkState
    link: PortalLink | None = None  # None when INVALID


def settings_of(session: Session, organisation_id: int) -> PortalSettings:
    """The organisation's portal settings (the defaults, not yet kept, when it chose none)."""
    found = session.get(PortalSettings, organisation_id)
    if found is not None:
        return found
    return PortalSettings(
        organisation_id=organisation_id,
        link_days=DEFAULT_LINK_DAYS,
        promise_window_days=DEFAULT_PROMISE_WINDOW_DAYS,
        bank_details="",
    )


def _keys() -> list[str]:
    """The signing keys, oldest first, as itsdangerous takes them (it signs with the last)."""
    settings = get_settings()
    value = settings.portal_link_keys.get_secret_value() if settings.portal_link_keys else ""
    keys = [key.strip() for key in value.split(",") if key.strip()]
    if not keys:
        keys = [settings.secret("secret_key")]
    return list(reversed(keys))


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(_keys(), salt=SALT)


def token_of(link: PortalLink) -> str:
    """The token that opens ``link`` (signed with the newest key)."""
    return str(_serializer().dumps([link.id, link.nonce]))


def url_of(link: PortalLink) -> str:
    """The link as a customer follows it, absolute (for messages)."""
    return f"{get_settings().external_url}{LINK_PATH}{token_of(link)}"


def read(session: Session, token: str) -> ReadLink:
    """What ``token`` opens. Never raises on a hostile token: INVALID."""
    if not token or len(token) > 200:
        return ReadLink(LinkState.INVALID)
    try:
        named = _serializer().loads(token)
    except BadSignature:
        return ReadLink(LinkState.INVALID)
    if (
        not isinstance(named, list)
        or len(named) != 2
        or not isinstance(named[0], int)
        or isinstance(named[0], bool)
        or not isinstance(named[1], str)
        or not 0 < named[0] < 2**31
    ):
        return ReadLink(LinkState.INVALID)
    return check(session, named[0], named[1])


def check(session: Session, link_id: int, nonce: str) -> ReadLink:
    """What the link ``link_id`` opens for one who holds ``nonce`` (the portal's session keeps
    both, so a revoked or expired link stops working at the next page, not at the next email)."""
    link = session.get(PortalLink, link_id)
    if link is None or not hmac.compare_digest(link.nonce.encode(), nonce.encode()):
        return ReadLink(LinkState.INVALID)
    customer = session.get(Customer, link.customer_id)
    if customer is None or customer.organisation_id != link.organisation_id or customer.deleted:
        return ReadLink(LinkState.INVALID)
    if link.revoked_at is not None:
        return ReadLink(LinkState.REVOKED, link)
    if link.expires_at <= clock.now():
        return ReadLink(LinkState.EXPIRED, link)
    return ReadLink(LinkState.OPEN, link)


def live_link(session: Session, organisation_id: int, customer_id: int) -> PortalLink | None:
    """The customer's newest link still open, if any."""
    return session.scalar(
        select(PortalLink)
        .where(
            PortalLink.organisation_id == organisation_id,
            PortalLink.customer_id == customer_id,
            PortalLink.revoked_at.is_(None),
            PortalLink.expires_at > clock.now(),
        )
        .order_by(PortalLink.expires_at.desc(), PortalLink.id.desc())
        .limit(1)
    )


def new_link(
    session: Session, organisation_id: int, customer_id: int, user_id: int | None = None
) -> PortalLink:
    """A new link for the customer, lasting the organisation's link days (the caller commits)."""
    days = settings_of(session, organisation_id).link_days
    link = PortalLink(
        organisation_id=organisation_id,
        customer_id=customer_id,
        nonce=secrets.token_hex(16),
        created_at=clock.now(),
        expires_at=clock.now() + timedelta(days=days),
    )
    session.add(link)
    session.flush()
    record(
        session,
        organisation_id,
        "portal.link_made",
        customer_subject(customer_id),
        user_id,
        link=link.id,
        expires_at=link.expires_at.isoformat(),
    )
    return link


def link_for(session: Session, organisation_id: int, customer_id: int) -> PortalLink:
    """The link a message to the customer carries now: the live one while it has at least
    ``RENEW_WITHIN`` left, else a new one (the caller commits)."""
    live = live_link(session, organisation_id, customer_id)
    if live is not None and live.expires_at - clock.now() >= RENEW_WITHIN:
        return live
    return new_link(session, organisation_id, customer_id)


def revoke(session: Session, organisation: Organisation, customer: Customer, user_id: int | None) -> int:
    """End every live link of ``customer`` (the team's "revoke"); how many were ended. The caller commits."""
    ended = session.execute(
        update(PortalLink)
        .where(
            PortalLink.organisation_id == organisation.id,
            PortalLink.customer_id == customer.id,
            PortalLink.revoked_at.is_(None),
            PortalLink.expires_at > clock.now(),
        )
        .values(revoked_at=clock.now(), revoked_by_user_id=user_id)
    )
    count = int(getattr(ended, "rowcount", 0) or 0)
    record(
        session, organisation.id, "portal.links_revoked", customer_subject(customer.id), user_id, links=count
    )
    return count


def opened(session: Session, link: PortalLink) -> bool:
    """Note that the customer opened the portal by ``link``: the timeline says so once a day (in
    the organisation's days). True when this opening was recorded. The caller commits."""
    organisation = session.get(Organisation, link.organisation_id)
    assert organisation is not None
    now = clock.now()
    zone = ZoneInfo(organisation.timezone)
    last = link.last_opened_at
    first_today = last is None or last.astimezone(zone).date() != now.astimezone(zone).date()
    link.last_opened_at = now
    if first_today:
        record(
            session,
            link.organisation_id,
            "portal.opened",
            customer_subject(link.customer_id),
            None,
            link=link.id,
        )
    return first_today
