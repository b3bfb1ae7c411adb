"""Notices to an organisation's own people about one customer: a promise broken, a dispute raised,
a hold placed or lifted. Each is sent exactly once.

A notice is kept (``TeamNotice``) in the transaction of what it tells, under a key naming that
event (``hold.placed:42``), so the same event told twice is one notice; the job ``send_team_notice``
sends it after the commit. The job takes the notice (pending → sending) in a transaction of its
own before it talks to the mail server and marks it sent after, so a second run or a second
worker finds it taken and sends nothing. A send that fails goes back to pending and is retried by
RQ; a worker killed mid-send leaves it sending, and the sweep hands it back after
``SENDING_LEASE``: the one case where a notice to staff (never a message to a customer, which takes
the reminders' outbox) can go twice, chosen over losing it.

Who is told: the organisation's owners, and the customer's account manager (a person per customer,
``CustomerChasing.account_manager_user_id``) when there is one and they are still a member.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from babel.numbers import format_currency
from sqlalchemy import ForeignKey, Integer, String, Text, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from runtime import clock, jobs, mail
from runtime.db import Base, db
from runtime.logs import get_logger
from runtime.tenancy import Document, Membership, Role, User

log = get_logger(__name__)

SENDING_LEASE = timedelta(minutes=10)
NOTICE_LOCALE = "en"  # the notices are written in English


def money_text(amount: Decimal | str, currency: str) -> str:
    """An amount as a notice or a ledger note writes it ("NZ$1,033.07", "US$337.67"): never a
    raw Decimal. Plain English, so a currency the reader may not share keeps its prefix."""
    return (
        format_currency(Decimal(amount), currency, locale=NOTICE_LOCALE)
        if currency
        else f"{Decimal(amount):,.2f}"
    )


class NoticeStatus:
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"


class TeamNotice(Base):
    __tablename__ = "team_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), default=None
    )
    # Names the event told (``promise.broken:7``): unique, so an event is told once.
    key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    recipients: Mapped[list[str]] = mapped_column(Document, default=list)
    status: Mapped[str] = mapped_column(String(12), default=NoticeStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    taken_at: Mapped[datetime | None] = mapped_column(default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)


def recipients_for(session: Session, organisation_id: int, customer_id: int | None) -> list[str]:
    """The owners' addresses, and the customer's account manager's if they are a member."""
    owners = session.scalars(
        select(User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == organisation_id, Membership.role == Role.OWNER.value)
    )
    found = {email for email in owners if email}
    manager = account_manager_of(session, organisation_id, customer_id) if customer_id else None
    if manager is not None and manager.email:
        found.add(manager.email)
    return sorted(found)


def account_manager_of(session: Session, organisation_id: int, customer_id: int) -> User | None:
    """The customer's account manager, if one is set and still a member of the organisation."""
    from reminders.schedules.models import CustomerChasing

    return session.scalar(
        select(User)
        .join(CustomerChasing, CustomerChasing.account_manager_user_id == User.id)
        .join(
            Membership,
            (Membership.user_id == User.id) & (Membership.organisation_id == organisation_id),
        )
        .where(CustomerChasing.organisation_id == organisation_id, CustomerChasing.customer_id == customer_id)
    )


def tell_team(
    session: Session,
    organisation_id: int,
    key: str,
    kind: str,
    subject: str,
    text: str,
    customer_id: int | None = None,
) -> TeamNotice | None:
    """Keep a notice of the event ``key`` for the team, in the caller's transaction; None if that
    event was told already. The caller commits, then calls ``queue_notices`` with what it got."""
    if session.scalar(select(TeamNotice.id).where(TeamNotice.key == key)) is not None:
        return None
    notice = TeamNotice(
        organisation_id=organisation_id,
        customer_id=customer_id,
        key=key[:120],
        kind=kind,
        subject=subject[:255],
        text=text,
        recipients=recipients_for(session, organisation_id, customer_id),
        status=NoticeStatus.PENDING,
        attempts=0,
        last_error="",
    )
    try:
        with session.begin_nested():
            session.add(notice)
            session.flush()
    except IntegrityError:
        return None  # told by a concurrent transaction
    return notice


def queue_notices(notices: list[TeamNotice | None]) -> None:
    """Queue the send of each kept notice (after the transaction that kept them committed)."""
    for notice in notices:
        if notice is not None:
            jobs.enqueue_once(send_team_notice, notice.id, job_id=f"team-notice-{notice.id}")


def send_team_notice(notice_id: int) -> bool:
    """Job: send one kept notice if it is pending; True if this run sent it."""
    session = db.session()
    moved = session.execute(
        update(TeamNotice)
        .where(TeamNotice.id == notice_id, TeamNotice.status == NoticeStatus.PENDING)
        .values(status=NoticeStatus.SENDING, taken_at=clock.now(), attempts=TeamNotice.attempts + 1)
    )
    session.commit()
    if not getattr(moved, "rowcount", 0):
        return False
    notice = session.get(TeamNotice, notice_id)
    assert notice is not None
    if not notice.recipients:
        notice.status, notice.last_error = NoticeStatus.SENT, "nobody to tell"
        session.commit()
        return False
    try:
        mail.send(mail.compose(list(notice.recipients), notice.subject, notice.text))
    except Exception as error:
        notice.status, notice.last_error = NoticeStatus.PENDING, f"{type(error).__name__}: {error}"[:500]
        session.commit()
        raise  # RQ retries; when the retries are spent the sweep queues it again
    notice.status, notice.sent_at, notice.last_error = NoticeStatus.SENT, clock.now(), ""
    session.commit()
    log.info("team_notice.sent", notice=notice.id, kind=notice.kind, recipients=len(notice.recipients))
    return True


def sweep_team_notices() -> int:
    """Periodic job: queue the pending notices again (a lost job, spent retries) and hand back the
    ones a killed worker left sending; returns how many were queued."""
    session = db.session()
    session.execute(
        update(TeamNotice)
        .where(
            TeamNotice.status == NoticeStatus.SENDING,
            TeamNotice.taken_at < clock.now() - SENDING_LEASE,
        )
        .values(status=NoticeStatus.PENDING)
    )
    session.commit()
    pending = list(session.scalars(select(TeamNotice).where(TeamNotice.status == NoticeStatus.PENDING)))
    queue_notices(list(pending))
    return len(pending)
