"""The end of the road: the recommendation at the organisation's age, the hand-off pack, and a
handed-off customer left alone by the planner and the send job until they are taken back; against
the Xero sandbox over HTTP, a real database, real RQ workers and a real SMTP server."""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from datetime import timedelta
from decimal import Decimal

from babel.dates import format_date
from sqlalchemy import select

from reminders.dispatch.models import ReminderAction
from reminders.handoff import (
    Advice,
    HandoffAccount,
    HandoffRules,
    HandoffSettings,
    Why,
    customers_past_the_age,
    hand_off,
    recommend,
    recommendation_for,
    take_back,
)
from reminders.handoff_pack import handoff_pack
from reminders.schedules.planner import plan_organisation
from reminders.writeback import queue_writes, record_note
from runtime import clock
from runtime.tenancy import AuditEvent, Membership, Organisation, Role, User
from sync.jobs import sync_tenant
from sync.models import Customer, Invoice
from tests.integration.ledgers import demo_quickbooks, quickbooks_consent
from tests.reminders.books import XeroBooks, approve_all, run_jobs
from tests.reminders.chasing import default_schedule

RULES = HandoffRules(age_days=90, write_off_below=Decimal("100"))


def test_a_large_balance_at_the_age_is_to_be_handed_off_with_the_odds_at_three_months() -> None:
    advice = recommend(HandoffAccount(Decimal("2400.00"), 90), RULES)

    assert advice is not None
    assert (advice.advice, advice.why, advice.days_late) == (Advice.HAND_OFF, Why.OLD, 90)
    assert (advice.odds.days, advice.odds.percent) == (90, Decimal("68.9"))


def test_a_day_below_the_age_nothing_is_recommended() -> None:
    assert recommend(HandoffAccount(Decimal("2400.00"), 89), RULES) is None
    assert recommend(HandoffAccount(Decimal("0"), None), RULES) is None


def test_a_small_balance_or_an_archived_customer_is_to_be_written_off() -> None:
    small = recommend(HandoffAccount(Decimal("99.99"), 120), RULES)
    gone = recommend(HandoffAccount(Decimal("5000.00"), 120, archived=True), RULES)

    assert small is not None and (small.advice, small.why) == (Advice.WRITE_OFF, Why.SMALL)
    assert gone is not None and (gone.advice, gone.why) == (Advice.WRITE_OFF, Why.GONE)


def test_the_odds_shown_are_the_surveys_for_the_customers_age() -> None:
    def percent(days: int, rules: HandoffRules = RULES) -> Decimal:
        advice = recommend(HandoffAccount(Decimal("1000"), days), rules)
        assert advice is not None
        return advice.odds.percent

    assert percent(179) == Decimal("68.9")
    assert percent(180) == Decimal("51.3")
    assert percent(364) == Decimal("51.3")
    assert percent(365) == Decimal("21.4")
    # An organisation that hands off at 80 days sees what the debt is about to become at 90.
    assert percent(80, HandoffRules(age_days=80)) == Decimal("68.9")


def _person(session, organisation_id: int) -> int:
    user = User(email="owner@harbour.example", name="Olive")
    session.add(user)
    session.flush()
    session.add(Membership(user_id=user.id, organisation_id=organisation_id, role=Role.OWNER.value))
    session.commit()
    return user.id


def _customer(xero: XeroBooks, contact_id: str) -> Customer:
    found = xero.session.scalar(select(Customer).where(Customer.ledger_id == contact_id))
    assert found is not None
    return found


def _organisation(xero: XeroBooks) -> Organisation:
    found = xero.session.get(Organisation, xero.organisation_id)
    assert found is not None
    return found


def _hand_off(xero: XeroBooks, customer: Customer, user_id: int) -> None:
    _, notes = hand_off(
        xero.session,
        customer,
        "Northern Recoveries",
        "NR-118",
        "Placed after the final notice",
        user_id,
        uuid.uuid4().hex,
        "Handed off to Northern Recoveries (NR-118)",
    )
    xero.session.commit()
    queue_writes(notes)


def test_the_recommendation_reads_the_account_at_the_organisations_age(xero) -> None:
    late = xero.customer("Totara Freight")
    xero.invoice(late, "1800.00", days_late=95)
    recent = xero.customer("Kowhai Print")
    xero.invoice(recent, "900.00", days_late=30)
    gone = xero.customer("Moa Logistics")
    xero.invoice(gone, "3000.00", days_late=200)
    contact = xero.sandbox.books.find_contact(gone)
    contact.status = "ARCHIVED"
    xero.sync()
    organisation = _organisation(xero)

    advice = recommendation_for(xero.session, organisation, _customer(xero, late))
    owed = xero.session.scalar(select(Invoice.amount_due).where(Invoice.customer_ledger_id == late))
    assert advice is not None and advice.advice == Advice.HAND_OFF and advice.overdue == owed
    assert recommendation_for(xero.session, organisation, _customer(xero, recent)) is None
    listed = customers_past_the_age(xero.session, organisation)
    assert [(row.name, row.recommendation.why) for row in listed] == [
        ("Moa Logistics", Why.GONE),
        ("Totara Freight", Why.OLD),
    ]

    xero.session.add(
        HandoffSettings(organisation_id=organisation.id, age_days=120, write_off_below=Decimal(50))
    )
    xero.session.commit()
    assert recommendation_for(xero.session, organisation, _customer(xero, late)) is None
    assert [row.name for row in customers_past_the_age(xero.session, organisation)] == ["Moa Logistics"]


def test_the_pack_holds_the_statement_the_open_invoices_and_the_whole_history(xero) -> None:
    contact = xero.customer("Totara Freight")
    oldest = xero.invoice(contact, "1800.00", days_late=95)
    recent = xero.invoice(contact, "250.00", days_late=40)
    xero.sandbox.pay_invoice(oldest, Decimal("300.00"))
    xero.sync()
    user_id = _person(xero.session, xero.organisation_id)
    customer = _customer(xero, contact)
    record_note(xero.session, customer, user_id, "Rang twice, no answer", uuid.uuid4().hex)
    xero.session.commit()

    pack = zipfile.ZipFile(io.BytesIO(handoff_pack(xero.session, _organisation(xero), customer, "en")))

    assert sorted(pack.namelist()) == ["history.csv", "invoices.csv", "statement.pdf"]
    assert pack.read("statement.pdf").startswith(b"%PDF")
    invoices = list(csv.DictReader(io.StringIO(pack.read("invoices.csv").decode())))
    totals = {i.ledger_id: i.total for i in xero.session.scalars(select(Invoice))}
    assert [(row["Total"], row["Balance"], row["Days late"]) for row in invoices] == [
        (f"{totals[oldest]:.2f}", f"{totals[oldest] - 300:.2f}", "95"),
        (f"{totals[recent]:.2f}", f"{totals[recent]:.2f}", "40"),
    ]
    assert all(row["Invoice number"] and row["Issued on"] and row["Due on"] for row in invoices)
    history = list(csv.DictReader(io.StringIO(pack.read("history.csv").decode())))
    events = [row["Event"] for row in history]
    assert events.count("Invoice issued") == 2 and "Payment received" in events
    (note,) = [row for row in history if row["Event"] == "Note"]
    assert note["By"] == "Olive" and "Rang twice, no answer" in note["Details"]
    assert [row["Date"] for row in history] == sorted(row["Date"] for row in history)  # oldest first


def test_the_packs_history_reads_in_plain_english_and_its_statement_says_the_hold_in_nz_dates(xero) -> None:
    from pypdf import PdfReader

    from reminders.holds import place
    from reminders.promises import record_promise

    contact = xero.customer("Rimu Transport")
    oldest = xero.invoice(contact, "1800.00", days_late=95)
    xero.sync()
    user_id = _person(xero.session, xero.organisation_id)
    customer = _customer(xero, contact)
    place(xero.session, customer, "person", "ninety days late", user_id)
    xero.session.commit()
    today = clock.today("UTC")
    record_promise(
        xero.session, customer, Decimal("500.00"), today + timedelta(days=7), [oldest], user_id=user_id
    )
    xero.session.commit()

    pack = zipfile.ZipFile(io.BytesIO(handoff_pack(xero.session, _organisation(xero), customer, "en")))

    history = {row["Event"]: row for row in csv.DictReader(io.StringIO(pack.read("history.csv").decode()))}
    assert history["Credit hold placed"]["Details"] == "Put on credit hold by Olive: ninety days late"
    promise = history["Promise to pay"]
    assert promise["Details"].startswith("Promise to pay by ") and "{" not in promise["Details"]
    assert (promise["Amount"], promise["Currency"]) == ("500.00", "NZD")
    statement = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(pack.read("statement.pdf"))).pages
    )
    assert "account on hold" in statement.lower()
    assert f"As of {format_date(today, 'long', locale='en_NZ')}" in statement  # not "December 2, 2026"


def test_a_handed_off_customer_gets_no_reminder_and_one_already_planned_is_skipped_at_once(
    xero, mailbox
) -> None:
    first = xero.customer("Totara Freight", "ap@totara.example")
    xero.invoice(first, "1800.00", days_late=10)
    second = xero.customer("Kowhai Print", "ap@kowhai.example")
    xero.invoice(second, "900.00", days_late=10)
    xero.sync()
    user_id = _person(xero.session, xero.organisation_id)
    _hand_off(xero, _customer(xero, first), user_id)

    assert xero.plan() == 1  # only Kowhai
    (planned,) = xero.actions()
    assert planned.customer_id == _customer(xero, second).id

    _hand_off(xero, _customer(xero, second), user_id)  # after the planner, before the send
    (skipped,) = xero.actions()
    assert skipped.status == "skipped" and skipped.reason == "handed off to Northern Recoveries"
    approve_all(xero)
    run_jobs()

    assert mailbox.messages == []
    contact_notes = [
        record.details
        for record in xero.sandbox.books.find_contact(first).history
        if record.changes == "Note"
    ]
    assert contact_notes == ["Handed off to Northern Recoveries (NR-118)"]
    actions = xero.session.scalars(
        select(AuditEvent.action).where(AuditEvent.action == "customer.handed_off")
    )
    assert len(list(actions)) == 2


def test_taking_a_customer_back_resumes_chasing(xero, mailbox) -> None:
    contact = xero.customer("Totara Freight", "ap@totara.example")
    xero.invoice(contact, "1800.00", days_late=10)
    xero.sync()
    user_id = _person(xero.session, xero.organisation_id)
    _hand_off(xero, _customer(xero, contact), user_id)
    assert xero.plan() == 0

    taken, notes = take_back(
        xero.session, _customer(xero, contact), "Agency returned it", user_id, uuid.uuid4().hex, "Taken back"
    )
    xero.session.commit()
    queue_writes(notes)

    assert taken is not None and taken.taken_back_at is not None
    assert xero.plan() == 1
    approve_all(xero)
    run_jobs()
    (message,) = mailbox.messages
    assert message["To"] == "ap@totara.example"


def test_a_quickbooks_customer_past_the_age_is_handed_off_noted_on_the_customer_and_not_planned(
    monkeypatch, session, redis_client, mailbox
) -> None:
    with demo_quickbooks(monkeypatch) as sandbox:
        connection = quickbooks_consent(session, sandbox)
        sync_tenant(connection.id)
        organisation = session.get(Organisation, connection.organisation_id)
        assert organisation is not None
        default_schedule(session, organisation.id)
        user_id = _person(session, organisation.id)
        listed = customers_past_the_age(session, organisation)
        assert listed, "the demo company has customers more than 90 days late"
        customer = session.get(Customer, listed[0].customer_id)
        assert customer is not None

        _, notes = hand_off(
            session,
            customer,
            "Northern Recoveries",
            "",
            "",
            user_id,
            uuid.uuid4().hex,
            "Handed off in Relance",
        )
        session.commit()
        queue_writes(notes)
        plan_organisation(session, organisation.id, clock.today(organisation.timezone))
        run_jobs()

        planned = {action.customer_id for action in session.scalars(select(ReminderAction))}
        assert planned and customer.id not in planned
        on_customers = [
            attachable.body["Note"]
            for attachable in sandbox.company(connection.tenant_id).live("Attachable")
            if attachable.body["AttachableRef"][0]["EntityRef"]
            == {"type": "Customer", "value": customer.ledger_id}
        ]
        assert on_customers == ["Handed off in Relance"]
