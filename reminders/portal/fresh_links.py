"""A fresh portal link for a customer whose link expired, sent to the address on file.

The expired page offers it (never to an address typed in, and it shows none). Sent once or not
at all: the request is kept first (``LinkEmail``, pending) under a key of the customer and the
hour, so two clicks, two tabs or two workers make one email; the job takes it (pending → sending,
one UPDATE) before it talks to SMTP; a worker killed mid-send leaves it "sending" for the sweep,
which hands it back after ``SENDING_LEASE`` (the one case a link email can go twice: a new link,
to the same address, harmless). A failed send is retried by RQ, then by the sweep, and stays
visible with its error.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import formataddr, parseaddr

from sqlalchemy import ForeignKey, Integer, String, Text, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from reminders.portal.contacts import reminder_address
from reminders.portal.links import PortalLink, new_link, url_of
from reminders.schedules.models import CustomerChasing
from reminders.schedules.planner import settings_for
from reminders.writeback import customer_subject
from runtime import clock, jobs, mail
from runtime.db import Base, db
from runtime.logs import get_logger
from runtime.settings import get_settings
from runtime.tenancy import Organisation, record
from sync.models import Customer

log = get_logger(__name__)
SENDING_LEASE = timedelta(minutes=10)


class LinkEmail(Base):
    __tablename__ = "portal_link_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(80), unique=True)
    link_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_links.id", ondelete="SET NULL"), default=None
    )
    language: Mapped[str] = mapped_column(String(2), default="en")
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | sending | sent | failed
    requested_at: Mapped[datetime] = mapped_column(default=clock.now)
    taken_at: Mapped[datetime | None] = mapped_column(default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")


def request_fresh_link(session: Session, expired: PortalLink, language: str) -> LinkEmail | None:
    """Keep the request for a fresh link to ``expired``'s customer (one an hour); None when one was
    asked this hour already or there is no address on file. Commits; the caller queues the send."""
    customer = session.get(Customer, expired.customer_id)
    if customer is None or customer.organisation_id != expired.organisation_id:
        return None
    if not reminder_address(session, customer):
        record(
            session,
            expired.organisation_id,
            "portal.link_requested",
            customer_subject(customer.id),
            None,
            sent=False,
        )
        session.commit()
        return None
    hour = clock.now().strftime("%Y%m%d%H")
    kept = LinkEmail(
        organisation_id=expired.organisation_id,
        customer_id=customer.id,
        key=f"fresh:{customer.id}:{hour}",
        language=language if language in ("en", "fr") else "en",
        status="pending",
        requested_at=clock.now(),
        attempts=0,
        last_error="",
    )
    try:
        with session.begin_nested():
            session.add(kept)
            session.flush()
    except IntegrityError:
        session.rollback()
        return None  # asked this hour already: that email is the one
    kept.link_id = new_link(session, expired.organisation_id, customer.id).id
    record(
        session,
        expired.organisation_id,
        "portal.link_requested",
        customer_subject(customer.id),
        None,
        sent=True,
    )
    session.commit()
    return kept


def queue_link_email(kept: LinkEmail | None) -> None:
    if kept is not None:
        jobs.enqueue_once(send_link_email, kept.id, job_id=f"portal-link-email-{kept.id}")


WORDS = {
    "en": (
        "Your account with {organisation}",
        "Hello,\n\nHere is a new link to your account with {organisation}: your open invoices, the "
        "statement, paying online, promising a date or raising a question about an invoice.\n\n{url}\n\n"
        "It works for {days} days. Please do not forward it.\n\n{sender}",
    ),
    "fr": (
        "Votre compte chez {organisation}",
        "Bonjour,\n\nVoici un nouveau lien vers votre compte chez {organisation} : vos factures en "
        "attente, le relevé, le paiement en ligne, une date de paiement à nous indiquer ou une question "
        "sur une facture.\n\n{url}\n\nIl est valable {days} jours. Merci de ne pas le transférer.\n\n{sender}",
    ),
}


def send_link_email(email_id: int) -> bool:
    """Job: send one kept request if it is pending; True if this run sent it."""
    session = db.session()
    moved = session.execute(
        update(LinkEmail)
        .where(LinkEmail.id == email_id, LinkEmail.status == "pending")
        .values(status="sending", taken_at=clock.now(), attempts=LinkEmail.attempts + 1)
    )
    session.commit()
    if not getattr(moved, "rowcount", 0):
        return False
    kept = session.get(LinkEmail, email_id)
    assert kept is not None
    customer = session.get(Customer, kept.customer_id)
    organisation = session.get(Organisation, kept.organisation_id)
    link = session.get(PortalLink, kept.link_id) if kept.link_id else None
    address = reminder_address(session, customer) if customer is not None else None
    if customer is None or organisation is None or link is None or not address:
        kept.status, kept.last_error = "failed", "the customer, its link or its address is gone"
        session.commit()
        return False
    chasing = session.scalar(select(CustomerChasing).where(CustomerChasing.customer_id == customer.id))
    language = (
        chasing.language if chasing is not None and chasing.language in WORDS else None
    ) or kept.language
    settings = settings_for(session, organisation.id)
    sender = settings.sender_name or organisation.name
    subject, body = WORDS[language if language in WORDS else "en"]
    days = max((link.expires_at - clock.now()).days, 1)
    message = mail.compose(
        [address],
        subject.format(organisation=organisation.name),
        body.format(organisation=organisation.name, url=url_of(link), days=days, sender=sender),
    )
    del message["From"]
    message["From"] = formataddr((sender, parseaddr(get_settings().mail_from)[1]))
    if settings.reply_to:
        message["Reply-To"] = settings.reply_to
    try:
        mail.send(message)
    except Exception as error:
        kept.status, kept.last_error = "pending", f"{type(error).__name__}: {error}"[:500]
        session.commit()
        raise  # RQ retries; when the retries are spent the sweep queues it again
    kept.status, kept.sent_at, kept.last_error = "sent", clock.now(), ""
    session.commit()
    log.info("portal.link_email_sent", email=kept.id, organisation=kept.organisation_id)
    return True


def sweep_link_emails() -> int:
    """Periodic job: queue pending requests again and hand back the ones a killed worker left."""
    session = db.session()
    session.execute(
        update(LinkEmail)
        .where(LinkEmail.status == "sending", LinkEmail.taken_at < clock.now() - SENDING_LEASE)
        .values(status="pending")
    )
    session.commit()
    pending = list(session.scalars(select(LinkEmail).where(LinkEmail.status == "pending")))
    for kept in pending:
        queue_link_email(kept)
    return len(pending)
