"""Promises to pay, against the sandboxes over HTTP and a real SMTP server: a promise pauses the
reminders for its invoices, a payment the sync sees keeps it, an unpaid one is broken after the
grace period and the customer escalates, each noted in the ledger and told to the team once."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from reminders import loop
from reminders.attention import AttentionKind, needing_attention
from reminders.dispatch import outbox
from reminders.models import CustomerStanding
from reminders.promises import (
    Promise,
    PromiseSource,
    PromiseStatus,
    promised_invoices,
    record_promise,
    set_grace_days,
)
from reminders.risk.standing import assess_organisation
from reminders.schedules.calendar import is_business_day
from reminders.team_notices import sweep_team_notices
from reminders.writeback import queue_writes
from runtime import clock
from runtime.tenancy import AuditEvent, Membership, Organisation, Role, User
from sync.jobs import sync_tenant
from sync.models import Customer, Invoice
from tests.integration.ledgers import demo_quickbooks, quickbooks_consent
from tests.reminders.books import XeroBooks, approve_all, run_jobs
from tests.reminders.chasing import default_schedule


def _go_to(xero: XeroBooks, moment: datetime) -> None:
    """Move Relance's clock and the sandbox's together."""
    clock.travel_to(moment)
    xero.sandbox.clock.set(moment)


def _next_monday() -> datetime:
    day = clock.today() + timedelta(days=1)
    while (
        day.weekday() != 0
        or not is_business_day(day, "NZ")
        or not is_business_day(day + timedelta(days=7), "NZ")
    ):
        day += timedelta(days=1)
    return datetime.combine(day, time(10, 0), tzinfo=UTC)


def _customer(xero: XeroBooks, contact_id: str) -> Customer:
    return xero.session.scalar(select(Customer).where(Customer.ledger_id == contact_id))


def _owner(session, organisation_id: int) -> str:  # type: ignore[no-untyped-def]
    owner = User(email="owner@harbour.example", name="Olive")
    session.add(owner)
    session.flush()
    session.add(Membership(user_id=owner.id, organisation_id=organisation_id, role=Role.OWNER.value))
    session.commit()
    return owner.email


def _promise(xero: XeroBooks, customer: Customer, amount: str, by: date, invoices: list[str]) -> Promise:
    promise, notes = record_promise(
        xero.session, customer, Decimal(amount), by, invoices, PromiseSource.PERSON
    )
    xero.session.commit()
    queue_writes(notes)
    return promise


def test_a_promise_pauses_its_invoices_and_once_kept_nothing_is_resumed_for_them(xero) -> None:  # type: ignore[no-untyped-def]
    _go_to(xero, _next_monday())
    contact = xero.customer("Kauri Joinery", "ap@kauri.example")
    promised = xero.invoice(contact, "200.00", days_late=5)
    other = xero.invoice(contact, "80.00", days_late=3)
    xero.sync()
    customer = _customer(xero, contact)
    owed = xero.session.scalar(select(Invoice.amount_due).where(Invoice.ledger_id == promised))
    promise = _promise(xero, customer, str(owed), clock.today() + timedelta(days=2), [promised])
    run_jobs()
    assert any(f"promise to pay NZ${owed:,.2f}" in note for note in xero.invoice_notes(promised))

    xero.plan()
    (inquiry,) = [a for a in xero.actions() if a.channel == "email"]
    assert inquiry.invoice_ledger_ids == [other]  # the promised invoice is not chased; the other is

    _go_to(xero, clock.now() + timedelta(hours=2))
    xero.sandbox.pay_invoice(promised)
    xero.sync()
    loop.react_to_account_changes()
    run_jobs()
    xero.session.expire_all()
    assert xero.session.get(Promise, promise.id).status == PromiseStatus.KEPT.value
    assert any("kept" in note for note in xero.invoice_notes(promised))
    assert xero.session.scalar(select(AuditEvent).where(AuditEvent.action == "promise.kept")) is not None

    _go_to(xero, clock.now() + timedelta(days=7))  # well past the date and the grace period
    organisation = xero.session.get(Organisation, xero.organisation_id)
    loop.before_planning(xero.session, organisation, clock.today())
    xero.plan()
    named = {ledger_id for action in xero.actions() for ledger_id in action.invoice_ledger_ids}
    assert promised not in named, [
        (a.stage_key, a.status, a.invoice_ledger_ids, a.planned_for) for a in xero.actions()
    ]


def test_a_broken_promise_escalates_the_next_business_day_with_one_email_to_the_team(xero, mailbox) -> None:  # type: ignore[no-untyped-def]
    monday = _next_monday()
    _go_to(xero, monday)
    owner = _owner(xero.session, xero.organisation_id)
    contact = xero.customer("Rimu Builders", "ap@rimu.example")
    invoice = xero.invoice(contact, "450.00", days_late=3)
    xero.sync()
    xero.plan()
    approve_all(xero)
    run_jobs()
    (inquiry,) = xero.actions()
    assert (inquiry.stage_key, inquiry.status) == ("inquiry", "sent")

    customer = _customer(xero, contact)
    owed = xero.session.scalar(select(Invoice.amount_due).where(Invoice.ledger_id == invoice))
    promise = _promise(xero, customer, str(owed), monday.date() + timedelta(days=2), [invoice])
    assert promise.until == monday.date() + timedelta(days=5)  # Wednesday and three days: Saturday
    run_jobs()

    _go_to(xero, monday + timedelta(days=7))  # the next business day after the grace period
    xero.sync()
    organisation = xero.session.get(Organisation, xero.organisation_id)
    assert outbox.plan_if_due(xero.session, organisation) >= 1
    run_jobs()
    xero.session.expire_all()
    assert xero.session.get(Promise, promise.id).status == PromiseStatus.BROKEN.value
    escalated = [a for a in xero.actions() if a.id != inquiry.id]
    # Ten days late: the statement's own day (16) has not come; the broken promise brought it forward.
    assert [(a.stage_key, a.planned_for) for a in escalated] == [("statement", clock.today())]
    assert any("broken" in note for note in xero.invoice_notes(invoice))

    # Told once, however often the day runs again.
    loop.before_planning(xero.session, organisation, clock.today())
    assert outbox.plan_if_due(xero.session, organisation) == 0
    xero.plan()
    sweep_team_notices()
    run_jobs()
    told = [m for m in mailbox.messages if "broke their promise" in m["Subject"]]
    assert len(told) == 1 and owner in told[0]["To"]
    assert len([a for a in xero.actions() if a.stage_key == "statement"]) == 1


def test_a_broken_promise_counts_in_the_risk_class_and_needs_attention(xero) -> None:  # type: ignore[no-untyped-def]
    monday = _next_monday()
    _go_to(xero, monday)
    contact = xero.customer("Matai Motors", "ap@matai.example")
    invoice = xero.invoice(contact, "120.00", days_late=2)
    xero.sync()
    customer = _customer(xero, contact)
    _promise(xero, customer, "50.00", monday.date(), [invoice])
    organisation = xero.session.get(Organisation, xero.organisation_id)
    loop.before_planning(xero.session, organisation, monday.date() + timedelta(days=4))

    assess_organisation(xero.organisation_id)

    standing = xero.session.scalar(
        select(CustomerStanding).where(CustomerStanding.customer_ledger_id == contact)
    )
    assert standing.broken_promises == 1 and "broke a promise to pay" in standing.explanation
    (attention,) = [
        a for a in needing_attention(xero.session, [xero.organisation_id])[xero.organisation_id]
        if a.kind == AttentionKind.BROKEN_PROMISES
    ]  # fmt: skip
    assert attention.count == 1


def test_a_promise_reaches_quickbooks_as_notes_and_its_break_too(
    monkeypatch, session, redis_client, mailbox
) -> None:  # type: ignore[no-untyped-def]
    with demo_quickbooks(monkeypatch) as sandbox:
        connection = quickbooks_consent(session, sandbox)
        sync_tenant(connection.id)
        organisation = session.get(Organisation, connection.organisation_id)
        default_schedule(session, organisation.id)
        today = clock.today(organisation.timezone)
        invoice = session.scalars(
            select(Invoice).where(
                Invoice.organisation_id == organisation.id, Invoice.status == "open", Invoice.amount_due > 0
            )
        ).first()
        customer = session.scalar(
            select(Customer).where(
                Customer.organisation_id == organisation.id, Customer.ledger_id == invoice.customer_ledger_id
            )
        )
        set_grace_days(session, organisation.id, 0, None)
        promise, notes = record_promise(
            session, customer, invoice.amount_due, today, [invoice.ledger_id], PromiseSource.CUSTOMER
        )
        session.commit()
        queue_writes(notes)
        assert invoice.ledger_id in promised_invoices(session, organisation.id, today)

        loop.before_planning(session, organisation, today + timedelta(days=1))
        run_jobs()
        session.expire_all()
        assert session.get(Promise, promise.id).status == PromiseStatus.BROKEN.value
        written = [
            attachable.body["Note"]
            for attachable in sandbox.company(connection.tenant_id).live("Attachable")
            if attachable.body["AttachableRef"][0]["EntityRef"]["value"] == invoice.ledger_id
        ]
        assert any("made by the customer" in note for note in written), written
        assert any("broken" in note for note in written), written


def test_a_promise_skips_what_waits_for_its_invoices_alone_and_keeps_the_rest(xero) -> None:  # type: ignore[no-untyped-def]
    _go_to(xero, _next_monday())
    alone = xero.customer("Rimu Homes", "ap@rimu.example")
    both = xero.customer("Totara Trust", "ap@totara.example")
    only = xero.invoice(alone, "120.00", days_late=5)
    first = xero.invoice(both, "90.00", days_late=5)
    xero.invoice(both, "40.00", days_late=4)
    xero.sync()
    xero.plan()
    waiting = {a.customer_id: a for a in xero.actions() if a.channel == "email"}
    rimu, totara = _customer(xero, alone), _customer(xero, both)
    assert waiting[rimu.id].status == "awaiting_approval" and waiting[totara.id].status == "awaiting_approval"

    _promise(xero, rimu, "120.00", clock.today() + timedelta(days=3), [only])
    _promise(xero, totara, "90.00", clock.today() + timedelta(days=3), [first])

    statuses = {a.customer_id: (a.status, a.reason) for a in xero.actions() if a.channel == "email"}
    assert statuses[rimu.id][0] == "skipped" and "promised to pay by" in statuses[rimu.id][1]
    assert statuses[totara.id][0] == "awaiting_approval"  # it asks for the other invoice too
