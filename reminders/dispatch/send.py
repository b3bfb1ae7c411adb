"""Sending one action of the outbox: take it, ask the ledger again, write it, hand it on, record it.

``send_action`` is the RQ job (one per action, ``send_job_id``). In order:

1. **Take it**: one compare-and-set moves the action from planned or approved to ``sending`` and is
   committed; a second job for the same action finds it taken and does nothing.
2. **Ask the ledger**: the action's invoices, fetched again (``Ledger.invoices_by_id``: one call per
   batch of ids, whatever their number), written into the mirror, and every invoice that is paid,
   credited, voided, deleted, disputed or promised is dropped. An escalation with nothing overdue
   left, or below its stage's minimum, goes no further; neither does a customer paused or set to
   "do not chase" since it was planned. The skip says why. A ledger that cannot be reached sends
   nothing: the action is handed back (approved) and the job retried.
3. **Write it** from the stage's message in the customer's language (or a person's edit), at
   today's amounts, naming only what is still owed.
4. **Hand it on**: email to the SMTP server; a letter as a PDF into the day's print batch; a call
   task onto the call list. An SMTP server that refuses or cannot be reached did not take the
   message (RFC 5321 section 4.1.1.4: the server takes responsibility only with its reply to the
   end of the data), so the action is handed back and the job retried, then failed, visible.
5. **Record it**: ``sent`` with what went, an audit event for the customer's timeline, and for an
   email a note on each invoice it named, written back to the ledger by its own job.

A worker killed between 4 and 5 leaves the action in ``sending``: see ``settle_interrupted``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr
from typing import Any, Literal, Protocol, cast

from babel import Locale, UnknownLocaleError
from rq import get_current_job
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from integration.connections import Connection, ledger_for
from integration.ledger import InvoiceRecord, InvoiceStatus, Ledger
from reminders import holds
from reminders.discounts import stated_discount
from reminders.dispatch.models import READY, ActionStatus, ReminderAction
from reminders.disputes import disputed_invoices
from reminders.fees.models import LateFee
from reminders.handoff import open_handoff
from reminders.portal.contacts import reminder_address
from reminders.portal.links import LINK_PATH, link_for, live_link, url_of
from reminders.portal.payment_links import keep_links, kept_links
from reminders.promises import promised_invoices
from reminders.schedules.models import CustomerChasing, Stage
from reminders.schedules.planner import settings_for
from reminders.schedules.stages import Anchor, Channel, Message
from reminders.writeback import queue_writes, record_invoice_notes, subject_of
from runtime import clock, jobs, mail
from runtime.db import db
from runtime.logs import get_logger
from runtime.settings import get_settings
from runtime.tenancy import Organisation, record
from sync.mirror import upsert_invoices
from sync.models import Customer, Invoice

log = get_logger(__name__)

# How long a send may take before an action still in "sending" counts as interrupted: the
# ledger's answer and the SMTP server's, each with its 30-second timeout, and room to spare.
SENDING_LEASE = timedelta(minutes=5)


def send_job_id(action_id: int) -> str:
    return f"reminder-send-{action_id}"


def queue_send(action_id: int) -> None:
    jobs.enqueue_once(send_action, action_id, job_id=send_job_id(action_id))


class Skip(Exception):
    """The action goes no further, for the reason given."""


class Owed(Protocol):
    """An invoice as a message names it: a ledger's fresh record or the mirror's row."""

    @property
    def ledger_id(self) -> str: ...
    @property
    def number(self) -> str: ...
    @property
    def currency(self) -> str: ...
    @property
    def issued_on(self) -> date: ...
    @property
    def due_on(self) -> date | None: ...
    @property
    def total(self) -> Decimal: ...
    @property
    def amount_due(self) -> Decimal: ...


@dataclass(frozen=True)
class Written:
    recipient: str
    subject: str
    text: str
    html: str | None
    invoices: Sequence[Owed]
    fee_ids: tuple[int, ...] = ()  # the late fees it names (reminders.fees)


def _take(session: Session, action_id: int) -> bool:
    taken = session.execute(
        update(ReminderAction)
        .where(ReminderAction.id == action_id, ReminderAction.status.in_(READY))
        .values(
            status=ActionStatus.SENDING.value,
            sending_started_at=clock.now(),
            attempts=ReminderAction.attempts + 1,
        )
    )
    session.commit()
    return bool(getattr(taken, "rowcount", 0))


def send_action(action_id: int) -> None:
    """Send one action of the outbox, at most once (the job; see the module's docstring)."""
    session = db.session()
    if not _take(session, action_id):
        return
    action = session.get(ReminderAction, action_id)
    assert action is not None
    try:
        written = _prepare(session, action)
    except Skip as why:
        session.rollback()
        _finish(session, action_id, ActionStatus.SKIPPED, str(why))
        return
    except Exception as error:
        session.rollback()
        _hand_back(session, action_id, error)
        raise
    try:
        _hand_on(session, action, written)
    except Exception as error:
        session.rollback()
        _hand_back(session, action_id, error)
        raise
    _record_sent(session, action, written)


def _connection(session: Session, organisation_id: int) -> Connection | None:
    return session.scalar(
        select(Connection)
        .where(Connection.organisation_id == organisation_id)
        .order_by(Connection.connected_at.desc(), Connection.id.desc())
        .limit(1)
    )


def still_owed(
    session: Session, ledger: Ledger, organisation: Organisation, ledger_ids: list[str], today: date
) -> list[InvoiceRecord]:
    """The invoices of ``ledger_ids`` still owed and chaseable, as the ledger says now (one call per
    batch); the mirror is brought up to date with what the ledger said."""
    fresh = ledger.invoices_by_id(ledger_ids) if ledger_ids else []
    if fresh:
        upsert_invoices(session, organisation.id, fresh)
        session.commit()  # what the ledger said is kept, whatever happens to the send
    left_out = disputed_invoices(session, organisation.id) | promised_invoices(
        session, organisation.id, today
    )
    owed = [
        record
        for record in fresh
        if record.status == InvoiceStatus.OPEN and record.amount_due > 0 and record.ledger_id not in left_out
    ]
    return sorted(owed, key=lambda r: (r.due_on or r.issued_on, r.number))


def _prepare(session: Session, action: ReminderAction) -> Written:
    organisation = session.get(Organisation, action.organisation_id)
    customer = session.get(Customer, action.customer_id)
    stage = session.get(Stage, action.stage_id) if action.stage_id is not None else None
    if organisation is None or customer is None or customer.organisation_id != action.organisation_id:
        raise Skip("the customer is no longer in the mirror")
    if stage is None:
        raise Skip("its stage was removed from the schedule")
    today = clock.today(organisation.timezone)
    choice = session.scalar(select(CustomerChasing).where(CustomerChasing.customer_id == customer.id))
    if choice is not None and choice.do_not_chase:
        raise Skip("the customer was set to do not chase")
    if choice is not None and choice.paused_until is not None and choice.paused_until > today:
        raise Skip(f"the customer's reminders are paused until {choice.paused_until.isoformat()}")
    handoff = open_handoff(session, organisation.id, customer.id)
    if handoff is not None:
        raise Skip(f"the customer was handed off to a collection agency ({handoff.agency})")
    connection = _connection(session, organisation.id)
    if connection is None:
        raise Skip("the organisation has no ledger connection")
    ledger = ledger_for(connection, jobs.connection())
    owed = still_owed(session, ledger, organisation, list(action.invoice_ledger_ids), today)
    if not owed:
        raise Skip("nothing is owed any more: every invoice it named was paid, credited, voided or disputed")
    if stage.anchor != Anchor.BEFORE_DUE.value:
        overdue = [r for r in owed if r.due_on is not None and r.due_on < today]
        if not overdue:
            raise Skip("nothing is overdue any more")
        owed = overdue  # a message that says "past due" names only what is
        base = sum(
            (
                r.amount_due
                if r.currency == organisation.base_currency or not r.currency_rate
                else r.amount_due * r.currency_rate
                for r in overdue
            ),
            start=Decimal("0"),
        )
        if base < stage.min_overdue:
            raise Skip(f"the overdue balance is below the stage's minimum of {stage.min_overdue}")
    channel = Channel(action.channel)
    recipient = ""
    if channel is Channel.EMAIL:
        # The accounts-payable address the team approved (the portal), else the ledger's email.
        recipient = reminder_address(session, customer) or ""
        if not recipient or "@" not in parseaddr(recipient)[1]:
            raise Skip("the customer has no email address in the ledger")
    links: dict[str, str] = {}
    if stage.attach_invoices and channel is not Channel.CALL:
        # An invoice's payment page does not change (Xero's online invoice, QuickBooks' InvoiceLink):
        # one asked for by an earlier reminder or the portal is kept, and only new invoices cost a
        # call (a reminder naming ten invoices would otherwise spend ten of Xero's 60 calls a minute).
        links = kept_links(session, organisation.id, [record.ledger_id for record in owed])
        for record in owed:
            if record.ledger_id not in links and (link := ledger.payment_link(record.ledger_id)):
                links[record.ledger_id] = link
        keep_links(session, organisation.id, links)  # the portal's "Pay online" asks the ledger no more
    portal_link = None
    if channel is not Channel.CALL:
        # The customer's portal link, kept before anything goes: the message's link opens.
        portal_link = url_of(link_for(session, organisation.id, customer.id))
        session.commit()
    return _write(session, organisation, customer, stage, action, owed, links, recipient, today, portal_link)


def _write(
    session: Session,
    organisation: Organisation,
    customer: Customer,
    stage: Stage,
    action: ReminderAction,
    owed: Sequence[Owed],
    links: dict[str, str],
    recipient: str,
    today: date,
    portal_link: str | None = None,
) -> Written:
    from reminders.schedules.templates import FeeLine, InvoiceLine, MessageContext, render

    # What the account says besides its invoices: the hold, an open discount, fees raised since.
    settings = settings_for(session, organisation.id)
    on_hold = holds.is_on_hold(session, organisation.id, customer.id)
    discount = stated_discount(session, organisation.id, owed, today)
    fees = _fees(session, customer)

    language = action.language
    context = MessageContext(
        language=cast(Literal["en", "fr"], language if language in ("en", "fr") else "en"),
        as_of=today,
        organisation_name=organisation.name,
        sender_name=settings.sender_name or organisation.name,
        customer_name=customer.name,
        contact_name=None,
        locale=locale_for(language, organisation.country),
        invoices=tuple(
            InvoiceLine(
                number=r.number,
                issued_on=r.issued_on,
                due_on=r.due_on,
                currency=r.currency,
                total=r.total,
                amount_due=r.amount_due,
                days_late=(today - r.due_on).days if r.due_on else 0,
                link=links.get(r.ledger_id),
            )
            for r in owed
        ),
        deadline=today + timedelta(days=stage.deadline_days) if stage.deadline_days else None,
        portal_link=portal_link,
        on_hold=on_hold,
        bank_details=None,
        discount_percent=discount.percent if discount else None,
        discount_deadline=discount.deadline if discount else None,
        discounted_total=tuple(discount.discounted.items()) if discount else (),
        fees=tuple(
            FeeLine(
                f.fee_invoice_number or f.fee_invoice_ledger_id or "",
                f.invoice_number or f.invoice_ledger_id,
                f.currency,
                Decimal(f.amount),
            )
            for f in fees
        ),
    )
    fee_ids = tuple(f.id for f in fees)
    if Channel(action.channel) is Channel.CALL:
        points = stage.talking_points.get(language) or stage.talking_points.get("en") or ""
        rendered = render(Message(stage.name_in(language), points), context)
        return Written("", rendered.subject, rendered.text, None, owed)  # a call names no fee as sent
    found = stage.messages.get(language) or stage.messages.get("en") or {}
    message = Message(
        action.edited_subject if action.edited_subject is not None else found.get("subject", ""),
        action.edited_body if action.edited_body is not None else found.get("body", ""),
    )
    rendered = render(message, context)
    return Written(recipient, rendered.subject, rendered.text, rendered.html, owed, fee_ids)


def preview(session: Session, action: ReminderAction, today: date | None = None) -> Written:
    """The action as it would be written now from the mirror (no ledger call, no payment links):
    what the review queue shows. The send itself asks the ledger first."""
    organisation = session.get(Organisation, action.organisation_id)
    customer = session.get(Customer, action.customer_id)
    stage = session.get(Stage, action.stage_id) if action.stage_id is not None else None
    if organisation is None or customer is None or stage is None:
        raise Skip("the customer or the stage is gone")
    today = today or clock.today(organisation.timezone)
    rows = session.scalars(
        select(Invoice).where(
            Invoice.organisation_id == organisation.id,
            Invoice.ledger_id.in_(list(action.invoice_ledger_ids)),
            Invoice.status == InvoiceStatus.OPEN.value,
            Invoice.amount_due > 0,
        )
    ).all()
    left_out = disputed_invoices(session, organisation.id) | promised_invoices(
        session, organisation.id, today
    )
    owed = sorted(
        (r for r in rows if r.ledger_id not in left_out), key=lambda r: (r.due_on or r.issued_on, r.number)
    )
    # The review shows the customer's live link if they have one; the send makes one if not (the
    # preview shows where it will be, without making it: a page that only shows changes nothing).
    live = live_link(session, organisation.id, customer.id)
    portal_link = url_of(live) if live is not None else f"{get_settings().external_url}{LINK_PATH}…"
    return _write(
        session,
        organisation,
        customer,
        stage,
        action,
        owed,
        {},
        reminder_address(session, customer) or "",
        today,
        portal_link,
    )


def _fees(session: Session, customer: Customer) -> list[LateFee]:
    from reminders.fees.proposing import fees_to_name

    return fees_to_name(session, customer.id)


def locale_for(language: str, country: str) -> str:
    """Babel's locale for the customer's language in the organisation's country ("en_NZ": NZ$
    written as $), else the language alone."""
    candidate = f"{language}_{country.upper()}" if country else language
    try:
        Locale.parse(candidate)
    except (UnknownLocaleError, ValueError):
        return language
    return candidate


def _hand_on(session: Session, action: ReminderAction, written: Written) -> None:
    channel = Channel(action.channel)
    if channel is Channel.EMAIL:
        mail.send(_email(session, action, written))
    elif channel is Channel.LETTER:
        action.letter_pdf = _letter(session, action, written)
    # A call task is on the call list once it is recorded as sent: nothing to hand on.


def _email(session: Session, action: ReminderAction, written: Written) -> EmailMessage:
    organisation = session.get(Organisation, action.organisation_id)
    assert organisation is not None
    settings = settings_for(session, organisation.id)
    sender = get_settings().mail_from
    message = EmailMessage()
    message["From"] = formataddr((settings.sender_name or organisation.name, parseaddr(sender)[1]))
    if settings.reply_to:
        message["Reply-To"] = settings.reply_to
    message["To"] = written.recipient
    message["Subject"] = written.subject
    # Known before the send, and kept with the action: what the SMTP server's log and the
    # customer's reply name, and what a person checks against when a send was interrupted.
    message["Message-ID"] = action.message_id = make_msgid(
        idstring=f"reminder.{action.id}", domain=mail.message_id_domain(get_settings().external_url)
    )
    message.set_content(written.text)
    if written.html is not None:
        message.add_alternative(written.html, subtype="html")
    stage = session.get(Stage, action.stage_id) if action.stage_id else None
    if stage is not None and stage.attach_statement:
        pdf = _statement(session, action)
        if pdf is not None:
            message.add_attachment(
                pdf, maintype="application", subtype="pdf", filename=_statement_name(action)
            )
    return message


def _statement_name(action: ReminderAction) -> str:
    return "releve.pdf" if action.language == "fr" else "statement.pdf"


def _statement(session: Session, action: ReminderAction) -> bytes | None:
    from reminders.dispatch import documents

    organisation = session.get(Organisation, action.organisation_id)
    assert organisation is not None
    try:
        return documents.statement_pdf(
            session,
            action.organisation_id,
            action.customer_id,
            clock.today(organisation.timezone),
            action.language,
            on_hold=holds.is_on_hold(session, action.organisation_id, action.customer_id),
        )
    except documents.PdfUnavailable:
        log.warning("reminders.statement_unavailable", action=action.id)
        return None


def _letter(session: Session, action: ReminderAction, written: Written) -> bytes:
    from reminders.dispatch import documents
    from reminders.logos import logo_of

    organisation = session.get(Organisation, action.organisation_id)
    customer = session.get(Customer, action.customer_id)
    assert organisation is not None and customer is not None
    logo = logo_of(session, organisation.id)
    stage = session.get(Stage, action.stage_id) if action.stage_id else None
    statement = _statement(session, action) if stage is not None and stage.attach_statement else None
    return bytes(
        documents.letter_pdf(
            organisation_name=organisation.name,
            logo=logo.image if logo is not None else None,
            logo_type=logo.content_type if logo is not None else None,
            sender_address=(),
            customer_name=customer.name,
            postal_address=documents.for_envelope(
                customer.name, customer.postal_address or [], organisation.country
            ),
            on=clock.today(organisation.timezone),
            subject=written.subject,
            body_text=written.text,
            language=locale_for(action.language, organisation.country),
            with_statement=statement,
        )
    )


def _record_sent(session: Session, action: ReminderAction, written: Written) -> None:
    now = clock.now()
    action.status = ActionStatus.SENT.value
    action.finished_at = now
    action.reason = ""
    action.recipient = written.recipient
    action.subject = written.subject
    action.text = written.text
    action.sent_invoice_ledger_ids = [r.ledger_id for r in written.invoices]
    if written.fee_ids:
        session.execute(
            update(LateFee)
            .where(LateFee.id.in_(written.fee_ids), LateFee.named_in_action_id.is_(None))
            .values(named_in_action_id=action.id)
        )
    customer = session.get(Customer, action.customer_id)
    assert customer is not None
    numbers = [r.number for r in written.invoices]
    record(
        session,
        action.organisation_id,
        "reminder.sent",
        subject_of(customer),
        stage=action.stage_name,
        channel=action.channel,
        invoices=numbers,
        recipient=written.recipient,
        action_id=action.id,
    )
    notes = []
    if Channel(action.channel) is Channel.EMAIL:
        text = (
            f'Relance: reminder "{action.stage_name}" emailed to {written.recipient} on '
            f"{action.planned_for.isoformat()}, naming {', '.join(numbers)}."
        )
        notes = record_invoice_notes(
            session, customer, [r.ledger_id for r in written.invoices], text, action.key
        )
    session.commit()
    queue_writes(notes)
    log.info("reminders.sent", action=action.id, channel=action.channel, organisation=action.organisation_id)


def _finish(session: Session, action_id: int, status: ActionStatus, reason: str, **details: Any) -> None:
    action = session.get(ReminderAction, action_id)
    assert action is not None
    action.status = status.value
    action.reason = reason[:1000]
    action.finished_at = clock.now()
    customer = session.get(Customer, action.customer_id)
    if customer is not None:
        record(
            session,
            action.organisation_id,
            f"reminder.{status.value}",
            subject_of(customer),
            stage=action.stage_name,
            channel=action.channel,
            reason=reason,
            action_id=action.id,
            **details,
        )
    session.commit()
    log.info(f"reminders.{status.value}", action=action_id, reason=reason)


def _hand_back(session: Session, action_id: int, error: Exception) -> None:
    """Nothing went: approved again for the retry, or failed (visible) once no retry is left."""
    job = get_current_job()
    retries_left = job.retries_left if job is not None else None
    reason = (str(error) or type(error).__name__)[:500]
    if not retries_left:
        _finish(session, action_id, ActionStatus.FAILED, reason)
        return
    session.execute(
        update(ReminderAction)
        .where(ReminderAction.id == action_id, ReminderAction.status == ActionStatus.SENDING.value)
        .values(status=ActionStatus.APPROVED.value, reason=reason)
    )
    session.commit()
    log.warning(
        "reminders.send_failed", action=action_id, error=type(error).__name__, retries_left=retries_left
    )


def settle_interrupted() -> int:
    """Actions left in "sending" past the lease: interrupted, for a person to settle (never sent
    again by themselves). Returns how many."""
    session = db.session()
    stale = session.scalars(
        select(ReminderAction).where(
            ReminderAction.status == ActionStatus.SENDING.value,
            ReminderAction.sending_started_at < clock.now() - SENDING_LEASE,
        )
    ).all()
    for action in stale:
        _finish(
            session,
            action.id,
            ActionStatus.INTERRUPTED,
            "the send was interrupted: it may have gone. Check the sent mail, then mark it sent or send it again",
        )
    return len(stale)
