"""The weekly collections report, emailed to each organisation's owners on the weekday they chose.

What it says, for the week to the morning it is sent (the organisation's own calendar):

- the headline: what is owed, what is overdue, the share over 90 days, DSO, and how the total
  moved since a week ago;
- the week's changes: invoices paid, money received, invoices that fell overdue;
- every open invoice (and unused credit), by aging bucket, with its status in words;
- the aged receivables attached as a PDF and as a CSV of every open item.

Promises to pay and disputes join the week's changes when Relance records them (they do not
exist yet). `send_due_weekly_reports` runs every 15 minutes and sends an organisation's report
from 07:00 its time on its chosen day; one report per organisation and week, kept in
`weekly_reports`, so a retried or repeated job never sends twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_percent
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from integration.connections import Connection, ConnectionStatus
from integration.ledger import InvoiceStatus
from reminders.models import DEFAULT_WEEKLY_REPORT_WEEKDAY, CollectionSettings, WeeklyReport
from reminders.receivables.aging import ZERO, ItemKind, aging_report, cents
from reminders.receivables.figures import KeyFigures, key_figures, paid_day
from reminders.receivables.report import AgedReceivables, OpenItem, aged_receivables
from reminders.reports.exports import formatters, heading, receivables_csv, receivables_pdf, templates
from runtime import clock, jobs, mail
from runtime.db import db
from runtime.logs import get_logger
from runtime.tenancy import Membership, Organisation, Role, User, record
from sync.models import Allocation, Customer, Invoice
from sync.status import still_filling

log = get_logger(__name__)
SEND_FROM_HOUR = 7  # local time on the chosen day


@dataclass(frozen=True)
class Settled:
    customer: str
    number: str
    currency: str
    total: Decimal
    paid_on: date


@dataclass(frozen=True)
class Overdue:
    customer: str
    item: OpenItem


@dataclass
class WeeklyDigest:
    as_of: date
    since: date  # the week is (since, as_of]
    report: AgedReceivables
    figures: KeyFigures
    week_ago_total: Decimal
    paid: list[Settled]
    received: Decimal  # base currency, money applied to invoices in the week
    newly_overdue: list[Overdue]

    @property
    def overdue_total(self) -> Decimal:
        return sum(self.report.totals[1:], ZERO)


def digest(session: Session, organisation_id: int, as_of: date) -> WeeklyDigest:
    """Everything the weekly report says, as of the morning of ``as_of``."""
    since = as_of - timedelta(days=7)
    report = aged_receivables(session, organisation_id, as_of, detail=True)
    week_ago = aging_report(session, organisation_id, since, credits=True).total
    names = {row.customer_ledger_id: row.name for row in report.rows}
    newly = [
        Overdue(row.name, item)
        for row in report.rows
        for item in row.items
        if item.kind == ItemKind.INVOICE.value and item.due is not None and since <= item.due < as_of
    ]
    paid, received = _paid_in(session, organisation_id, since, as_of, names)
    return WeeklyDigest(
        as_of,
        since,
        report,
        key_figures(session, organisation_id, as_of),
        week_ago,
        paid,
        received,
        sorted(newly, key=lambda o: (o.item.due, o.customer)),
    )


def _paid_in(
    session: Session, organisation_id: int, since: date, as_of: date, names: dict[str, str]
) -> tuple[list[Settled], Decimal]:
    """Invoices paid in full during the week, and the money applied to invoices in it."""
    last_money, paid_on = paid_day(organisation_id)
    rows = session.execute(
        select(Invoice, paid_on, Customer.name)
        .outerjoin(last_money, last_money.c.invoice_ledger_id == Invoice.ledger_id)
        .outerjoin(
            Customer,
            (Customer.organisation_id == Invoice.organisation_id)
            & (Customer.ledger_id == Invoice.customer_ledger_id),
        )
        .where(
            Invoice.organisation_id == organisation_id,
            Invoice.status == InvoiceStatus.PAID.value,
            paid_on > since,
            paid_on <= as_of,
        )
        .order_by(paid_on, Invoice.number)
    ).all()
    paid = [
        Settled(
            name or names.get(i.customer_ledger_id, i.customer_ledger_id), i.number, i.currency, i.total, day
        )
        for i, day, name in rows
    ]
    received = session.scalar(
        select(func.sum(Allocation.amount * func.coalesce(Invoice.currency_rate, 1)))
        .join(
            Invoice,
            (Invoice.organisation_id == Allocation.organisation_id)
            & (Invoice.ledger_id == Allocation.invoice_ledger_id),
        )
        .where(
            Allocation.organisation_id == organisation_id,
            Allocation.active.is_(True),
            Allocation.source_kind != ItemKind.CREDIT_NOTE.value,
            Allocation.applied_on > since,
            Allocation.applied_on <= as_of,
        )
    )
    return paid, cents(received)


def render(organisation: Organisation, week: WeeklyDigest, locale: str = "en_GB") -> tuple[str, str, str]:
    """(subject, text, html) of the email."""

    money, day = formatters(organisation.base_currency, locale)
    report = week.report
    buckets = [
        (
            heading(label),
            [(row.name, item) for row in report.rows for item in row.items if item.bucket == index],
        )
        for index, label in enumerate(report.labels)
    ]
    context = {
        "organisation": organisation,
        "week": week,
        "report": report,
        "buckets": [(title, items) for title, items in buckets if items],
        "money": money,
        "day": day,
        "change": report.total - week.week_ago_total,
        "over_90": format_percent(week.figures.over_90_share, locale=locale)
        if week.figures.over_90_share
        else "none",
        "long_date": format_date(week.as_of, "long", locale=locale),
    }
    subject = f"{organisation.name}: collections for the week to {context['long_date']}"
    text = templates.get_template("weekly_report.txt").render(context)
    html = templates.get_template("weekly_report.html").render(context)
    return subject, text, html


def owners_of(session: Session, organisation_id: int) -> list[str]:
    """Email addresses of the organisation's owners."""
    return list(
        session.scalars(
            select(User.email)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.organisation_id == organisation_id,
                Membership.role == Role.OWNER.value,
                User.email != "",
            )
            .order_by(User.email)
        )
    )


def send_weekly_report(organisation_id: int, on: str) -> str:
    """Job: the week's report to ``on`` (ISO date), sent once to the owners; retried if mail fails."""
    session = db.session()
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        return "no such organisation"
    as_of = date.fromisoformat(on)
    sent = _claim(session, organisation_id, as_of)
    if sent is None:
        return "already sent"
    recipients = owners_of(session, organisation_id)
    if not recipients:
        sent.sent_at = clock.now()
        record(session, organisation_id, "weekly_report.skipped", on, reason="no owner has an email address")
        session.commit()
        log.warning("weekly_report.no_owner", organisation=organisation_id)
        return "no owner to send to"
    week = digest(session, organisation_id, as_of)
    subject, text, html = render(organisation, week)
    message = mail.compose(recipients, subject, text, html)
    message.add_attachment(
        receivables_pdf(week.report),
        maintype="application",
        subtype="pdf",
        filename=f"aged-receivables-{on}.pdf",
    )
    message.add_attachment(
        receivables_csv(week.report, detail=True).encode(),
        maintype="text",
        subtype="csv",
        filename=f"open-items-{on}.csv",
    )
    mail.send(message)  # raises: RQ retries, the row stays unsent and visible
    sent.recipients = recipients
    sent.sent_at = clock.now()
    record(session, organisation_id, "weekly_report.sent", on, recipients=len(recipients))
    session.commit()
    return f"sent to {len(recipients)}"


def _claim(session: Session, organisation_id: int, as_of: date) -> WeeklyReport | None:
    """The week's row, created if need be; None when that week's report has gone already."""
    found = session.scalar(
        select(WeeklyReport).where(
            WeeklyReport.organisation_id == organisation_id, WeeklyReport.week_ending == as_of
        )
    )
    if found is None:
        found = WeeklyReport(organisation_id=organisation_id, week_ending=as_of, recipients=[])
        session.add(found)
        try:
            session.commit()
        except IntegrityError:  # another worker claimed it a moment ago
            session.rollback()
            return None
    return None if found.sent_at is not None else found


def due_on(now: datetime, timezone: str, weekday: int | None) -> date | None:
    """The day whose report is due at ``now`` in ``timezone``: today from 07:00 on the chosen weekday."""
    if weekday is None:
        return None
    local = now.astimezone(ZoneInfo(timezone))
    return local.date() if local.weekday() == weekday and local.hour >= SEND_FROM_HOUR else None


def send_due_weekly_reports() -> int:
    """Periodic job: a send job for each connected organisation whose report day has come and not yet gone."""
    session = db.session()
    rows = session.execute(
        select(
            Organisation.id,
            Organisation.timezone,
            CollectionSettings.organisation_id,
            CollectionSettings.weekly_report_weekday,
        )
        .join(Connection, Connection.organisation_id == Organisation.id)
        .outerjoin(CollectionSettings, CollectionSettings.organisation_id == Organisation.id)
        .where(Connection.status == ConnectionStatus.ACTIVE.value)
    ).all()
    now = clock.now()
    due = {
        organisation_id: day
        for organisation_id, timezone, chose, weekday in rows
        if (day := due_on(now, timezone, weekday if chose else DEFAULT_WEEKLY_REPORT_WEEKDAY)) is not None
    }
    # A report from a mirror still being filled would be wrong; it goes once the first sync ends.
    filling = still_filling(session, list(due))
    due = {organisation_id: day for organisation_id, day in due.items() if organisation_id not in filling}
    sent: set[tuple[int, date]] = set()
    if due:
        sent = {
            (organisation_id, day)
            for organisation_id, day in session.execute(
                select(WeeklyReport.organisation_id, WeeklyReport.week_ending).where(
                    WeeklyReport.organisation_id.in_(list(due)),
                    WeeklyReport.week_ending.in_(set(due.values())),
                    WeeklyReport.sent_at.is_not(None),
                )
            )
        }
    queued = 0
    for organisation_id, day in due.items():
        if (organisation_id, day) in sent:
            continue
        job_id = f"weekly-{organisation_id}-{day}"
        queued += (
            jobs.enqueue_once(
                send_weekly_report, organisation_id, day.isoformat(), queue_name="low", job_id=job_id
            )
            is not None
        )
    return queued
