"""The weekly collections report: due on the chosen weekday from 07:00 in the organisation's time
zone, sent once to its owners through a real SMTP server, with the week's changes and every open
invoice by age, the aged receivables attached."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pypdf
import pytest
from rq import SimpleWorker
from sqlalchemy import select

from integration.connections import Connection
from reminders.models import CollectionSettings, WeeklyReport
from reminders.reports.weekly import due_on, send_due_weekly_reports, send_weekly_report
from runtime import clock, jobs
from runtime.settings import reload_settings
from runtime.tenancy import AuditEvent, Membership, Organisation, Role, User
from sync.models import Customer, SyncState
from tests.reminders.conftest import invoice

MONDAY = date(2026, 6, 29)
MONDAY_0730_AUCKLAND = datetime(2026, 6, 28, 19, 30, tzinfo=UTC)  # NZST is UTC+12
STAMP = datetime(2026, 6, 1, tzinfo=UTC)


def test_the_report_is_due_from_seven_on_the_chosen_day_in_the_organisations_zone() -> None:
    assert due_on(datetime(2026, 6, 28, 18, 59, tzinfo=UTC), "Pacific/Auckland", 0) is None  # 06:59 Monday
    assert due_on(datetime(2026, 6, 28, 19, 0, tzinfo=UTC), "Pacific/Auckland", 0) == MONDAY
    assert due_on(datetime(2026, 6, 28, 19, 0, tzinfo=UTC), "Europe/London", 0) is None  # still Sunday there
    assert due_on(datetime(2026, 6, 29, 19, 0, tzinfo=UTC), "Pacific/Auckland", 0) is None  # Tuesday
    assert due_on(MONDAY_0730_AUCKLAND, "Pacific/Auckland", None) is None  # the owners said no


def _invoice(session, organisation_id, ledger_id, customer, number, total, issued, due, paid=()):  # type: ignore[no-untyped-def]
    settled = sum((amount for amount, _ in paid), Decimal(0)) == Decimal(total)
    invoice(
        session, organisation_id, ledger_id, customer, total, issued, due,
        status="paid" if settled else "open", number=number, payments=paid,
    )  # fmt: skip


@pytest.fixture
def harbour(session) -> int:  # type: ignore[no-untyped-def]
    organisation = Organisation(name="Harbour Cafe Ltd", base_currency="NZD", timezone="Pacific/Auckland")
    session.add(organisation)
    session.flush()
    connection = Connection(
        organisation_id=organisation.id, provider="xero", tenant_id="t-1", tenant_name="Harbour"
    )
    session.add(connection)
    session.flush()
    session.add(SyncState(connection_id=connection.id, first_completed_at=STAMP, last_completed_at=STAMP))
    for email, role in (("owner@harbour.example", Role.OWNER), ("colleague@harbour.example", Role.MEMBER)):
        user = User(email=email, name=email.split("@")[0])
        session.add(user)
        session.flush()
        session.add(Membership(user_id=user.id, organisation_id=organisation.id, role=role.value))
    for ledger_id, name in (("c-1", "Tui Catering"), ("c-2", "Rimu Homes")):
        session.add(
            Customer(organisation_id=organisation.id, ledger_id=ledger_id, name=name, ledger_updated_at=STAMP)
        )
    org = organisation.id
    _invoice(
        session,
        org,
        "i-1",
        "c-1",
        "INV-001",
        "400.00",
        date(2026, 5, 1),
        date(2026, 5, 31),
        [(Decimal("400.00"), date(2026, 6, 25))],
    )
    _invoice(session, org, "i-2", "c-1", "INV-002", "250.00", date(2026, 6, 1), date(2026, 6, 26))
    _invoice(
        session,
        org,
        "i-3",
        "c-2",
        "INV-003",
        "1000.00",
        date(2026, 2, 13),
        date(2026, 3, 15),
        [(Decimal("300.00"), date(2026, 4, 1))],
    )
    _invoice(session, org, "i-4", "c-2", "INV-004", "90.00", date(2026, 6, 10), date(2026, 7, 10))
    session.commit()
    return org


def work() -> None:
    SimpleWorker([jobs.queue(name) for name in jobs.QUEUES], connection=jobs.connection()).work(burst=True)


def test_the_owners_get_the_weeks_report_once(harbour, session, redis_client, mailbox) -> None:  # type: ignore[no-untyped-def]
    clock.travel_to(MONDAY_0730_AUCKLAND)
    try:
        assert send_due_weekly_reports() == 1
        assert send_due_weekly_reports() == 0  # still queued: not twice
        work()
        session.expire_all()
        assert send_due_weekly_reports() == 0  # sent: not again this week
    finally:
        clock.reset()

    (message,) = mailbox.messages
    assert message["To"] == "owner@harbour.example"  # owners only, not every member
    assert message["Subject"] == "Harbour Cafe Ltd: collections for the week to 29 June 2026"
    text = message.get_body(("plain",)).get_content()
    assert "Owed to you: NZ$1,040.00 (down NZ$400.00 on a week ago)" in text
    assert "Received: NZ$400.00" in text
    assert "Tui Catering, INV-001: NZ$400.00 on 25 Jun 2026" in text  # paid in full this week
    assert "Tui Catering, INV-002: NZ$250.00, due 26 Jun 2026" in text  # fell overdue this week
    assert "Rimu Homes, INV-003: NZ$700.00 (106 days overdue, part paid)" in text
    assert "Rimu Homes, INV-004: NZ$90.00 (due in 11 days)" in text
    html = message.get_body(("html",)).get_content()
    assert "Rimu Homes" in html and "106 days overdue, part paid" in html
    attachments = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    pdf = pypdf.PdfReader(io.BytesIO(attachments["aged-receivables-2026-06-29.pdf"]))
    assert "Rimu Homes" in pdf.pages[0].extract_text()
    items = list(csv.DictReader(io.StringIO(attachments["open-items-2026-06-29.csv"])))
    assert sorted(row["Number"] for row in items) == ["INV-002", "INV-003", "INV-004"]
    sent = session.scalars(select(WeeklyReport)).one()
    assert (sent.week_ending, sent.recipients) == (MONDAY, ["owner@harbour.example"])
    assert session.scalars(select(AuditEvent.action).where(AuditEvent.action == "weekly_report.sent")).one()
    assert send_weekly_report(harbour, MONDAY.isoformat()) == "already sent"


def test_an_organisation_that_chose_friday_hears_nothing_on_monday(harbour, session, redis_client) -> None:  # type: ignore[no-untyped-def]
    session.add(
        CollectionSettings(organisation_id=harbour, aging_edges=[30, 60, 90, 120], weekly_report_weekday=4)
    )
    session.commit()
    clock.travel_to(MONDAY_0730_AUCKLAND)
    try:
        assert send_due_weekly_reports() == 0
    finally:
        clock.reset()


def test_no_report_goes_while_the_first_sync_is_still_filling_the_mirror(
    harbour, session, redis_client
) -> None:  # type: ignore[no-untyped-def]
    state = session.scalars(select(SyncState)).one()
    state.first_completed_at = None
    session.commit()
    clock.travel_to(MONDAY_0730_AUCKLAND)
    try:
        assert send_due_weekly_reports() == 0
        state.first_completed_at = clock.now()
        session.commit()
        assert send_due_weekly_reports() == 1
    finally:
        clock.reset()


def test_when_mail_fails_the_job_fails_and_the_week_stays_unsent(
    harbour, session, redis_client, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import free_port

    monkeypatch.setenv("SMTP_URL", f"smtp://127.0.0.1:{free_port()}")  # nobody listens
    reload_settings()

    with pytest.raises(OSError):
        send_weekly_report(harbour, MONDAY.isoformat())

    session.expire_all()
    row = session.scalars(select(WeeklyReport)).one()
    assert row.sent_at is None  # visible, and the next run sends it
    clock.travel_to(MONDAY_0730_AUCKLAND)
    try:
        assert send_due_weekly_reports() == 1
    finally:
        clock.reset()
