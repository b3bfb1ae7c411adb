"""Credit holds against the sandboxes over HTTP, with a real mail server: placed in the ledger when a
rule fires, lifted by the sync that sees the payment, each told to the team once; while a customer
is on hold its reminders and statements say so."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

from pypdf import PdfReader
from sqlalchemy import select

from reminders import holds, loop
from reminders.hold_writes import HoldWrite
from reminders.holds import CreditHold, HoldReason, HoldRules, set_credit_limit
from runtime import clock
from runtime.tenancy import AuditEvent, Membership, Organisation, Role, User
from sync.changes import AccountChange
from sync.jobs import sync_tenant
from sync.models import Customer, Invoice
from tests.integration.ledgers import demo_quickbooks, quickbooks_consent
from tests.reminders.books import approve_all, run_jobs

HOLD_GROUP = "Relance: on hold"


def _owner(session, organisation_id: int) -> str:  # type: ignore[no-untyped-def]
    owner = User(email="owner@harbour.example", name="Olive")
    session.add(owner)
    session.flush()
    session.add(Membership(user_id=owner.id, organisation_id=organisation_id, role=Role.OWNER.value))
    session.commit()
    return owner.email


def _rules(session, organisation_id: int, **chosen) -> None:  # type: ignore[no-untyped-def]
    session.add(HoldRules(organisation_id=organisation_id, enabled=True, **chosen))
    session.commit()


def _in_hold_group(xero, contact_id: str) -> bool:  # type: ignore[no-untyped-def]
    return any(
        group.name == HOLD_GROUP
        and group.status == "ACTIVE"
        and contact_id.lower() in {c.lower() for c in group.contact_ids}
        for group in xero.sandbox.books.groups.values()
    )


def _hold_mails(mailbox, name: str = "") -> list[str]:  # type: ignore[no-untyped-def]
    return [m["Subject"] for m in mailbox.messages if "credit hold" in m["Subject"] and name in m["Subject"]]


def test_a_hold_is_placed_in_xero_when_its_rule_fires_and_lifted_by_the_sync_that_sees_the_payment(
    xero, mailbox
) -> None:  # type: ignore[no-untyped-def]
    owner = _owner(xero.session, xero.organisation_id)
    _rules(xero.session, xero.organisation_id)
    late = xero.customer("Kauri Traders")
    invoice = xero.invoice(late, "640.00", days_late=95)
    on_time = xero.customer("Rimu Ltd")
    xero.invoice(on_time, "100.00", days_late=10)
    xero.sync()
    loop.react_to_account_changes()
    run_jobs()

    assert _in_hold_group(xero, late) and not _in_hold_group(xero, on_time)
    assert _hold_mails(mailbox) == ["Kauri Traders is on credit hold"]
    assert mailbox.messages[0]["To"] == owner
    (hold,) = xero.session.scalars(select(CreditHold)).all()
    assert hold.reason == HoldReason.DAYS_PAST_DUE and hold.lifted_at is None

    loop.react_to_account_changes()  # nothing changed: nothing more
    customer = xero.session.get(Customer, hold.customer_id)
    loop.before_planning(
        xero.session, xero.session.get(Organisation, xero.organisation_id), xero.sandbox.clock.today()
    )
    run_jobs()
    assert len(_hold_mails(mailbox)) == 1

    xero.sandbox.clock.advance(timedelta(hours=1))
    xero.sandbox.pay_invoice(invoice)  # all it owes, tax included
    xero.sync()
    loop.react_to_account_changes()
    run_jobs()

    assert not _in_hold_group(xero, late)
    assert _hold_mails(mailbox) == ["Kauri Traders is on credit hold", "Kauri Traders is off credit hold"]
    hold = xero.session.get(CreditHold, hold.id)
    assert hold.lifted_at is not None and hold.lifted_by_user_id is None
    assert {w.status for w in xero.session.scalars(select(HoldWrite))} == {"written"}
    actions = [
        e.action
        for e in xero.session.scalars(
            select(AuditEvent).where(AuditEvent.subject == f"customer:{customer.id}")
        )
    ]
    assert actions.count("hold.placed") == 1 and actions.count("hold.lifted") == 1


def test_a_hold_placed_by_a_person_is_not_lifted_by_a_payment(xero, mailbox) -> None:  # type: ignore[no-untyped-def]
    from reminders.holds import place

    _owner(xero.session, xero.organisation_id)
    contact = xero.customer("Matai Builders")
    invoice = xero.invoice(contact, "200.00", days_late=5)
    xero.sync()
    customer = xero.session.scalar(select(Customer).where(Customer.ledger_id == contact))
    after = place(xero.session, customer, HoldReason.PERSON, "ordered twice what it can pay", None)
    xero.session.commit()
    for then in after:
        then()
    run_jobs()
    assert _in_hold_group(xero, contact)

    xero.sandbox.clock.advance(timedelta(hours=1))
    xero.sandbox.pay_invoice(invoice)
    xero.sync()
    loop.react_to_account_changes()
    run_jobs()
    assert _in_hold_group(xero, contact)
    assert _hold_mails(mailbox) == ["Matai Builders is on credit hold"]


def test_a_reminder_and_its_statement_sent_while_on_hold_say_account_on_hold(xero, mailbox) -> None:  # type: ignore[no-untyped-def]
    _rules(xero.session, xero.organisation_id)
    contact = xero.customer("Kowhai Cafe", "ap@kowhai.example")
    xero.invoice(contact, "300.00", days_late=17)  # the weekly statement
    xero.sync()
    customer = xero.session.scalar(select(Customer).where(Customer.ledger_id == contact))
    set_credit_limit(xero.session, customer, Decimal("250.00"), "NZD", None)
    xero.session.commit()
    loop.before_planning(
        xero.session, xero.session.get(Organisation, xero.organisation_id), xero.sandbox.clock.today()
    )
    assert xero.session.scalar(select(CreditHold.reason)) == HoldReason.CREDIT_LIMIT

    xero.plan()
    approve_all(xero)
    run_jobs()

    (reminder,) = [m for m in mailbox.messages if m["To"] == "ap@kowhai.example"]
    body = reminder.get_body(("plain",)).get_content()
    assert body.startswith("Account on hold")
    assert "Account on hold" in reminder.get_body(("html",)).get_content()
    (attachment,) = list(reminder.iter_attachments())
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(attachment.get_content())).pages)
    assert "ACCOUNT ON HOLD" in text.upper()


def test_a_hold_is_marked_in_the_quickbooks_customers_notes_and_lifted_by_the_payment(
    monkeypatch, session, redis_client, mailbox
) -> None:  # type: ignore[no-untyped-def]
    with demo_quickbooks(monkeypatch) as sandbox:
        connection = quickbooks_consent(session, sandbox)
        sync_tenant(connection.id)
        organisation = session.get(Organisation, connection.organisation_id)
        _owner(session, organisation.id)
        _rules(session, organisation.id, days_past_due=1)
        oldest = session.scalars(
            select(Invoice)
            .where(
                Invoice.organisation_id == organisation.id, Invoice.status == "open", Invoice.amount_due > 0
            )
            .order_by(Invoice.due_on)
        ).first()
        assert oldest is not None, "the demo company has overdue invoices"
        customer = session.scalar(
            select(Customer).where(
                Customer.organisation_id == organisation.id, Customer.ledger_id == oldest.customer_ledger_id
            )
        )
        company = sandbox.company(connection.tenant_id)
        session.execute(AccountChange.__table__.delete())  # the first sync's: this test reads one customer
        session.commit()
        after = holds.evaluate(session, organisation, [customer], clock.today(organisation.timezone))
        session.commit()
        for then in after:
            then()
        run_jobs()

        def notes() -> str:
            return str(company.get("Customer", customer.ledger_id).body.get("Notes") or "")

        assert "[Relance: on hold since" in notes()
        assert _hold_mails(mailbox, customer.name) == [f"{customer.name} is on credit hold"]

        for invoice in session.scalars(
            select(Invoice).where(
                Invoice.organisation_id == organisation.id,
                Invoice.customer_ledger_id == customer.ledger_id,
                Invoice.status == "open",
                Invoice.amount_due > 0,
            )
        ).all():
            sandbox.record_payment(connection.tenant_id, invoice.ledger_id)
        sandbox.advance_clock(seconds=5, simulate=False)
        sync_tenant(connection.id)
        session.expire_all()
        loop.react_to_account_changes()
        run_jobs()

        assert "[Relance: on hold since" not in notes()
        # (the sync saw other demo customers change too: their own holds are theirs)
        assert _hold_mails(mailbox, customer.name) == [
            f"{customer.name} is on credit hold",
            f"{customer.name} is off credit hold",
        ]


FIVE = ["Aute Ltd", "Harakeke Co", "Karaka Farm", "Miro Supplies", "Tawa Joinery"]


def _five_late(xero) -> list[str]:  # type: ignore[no-untyped-def]
    """Five customers each with an invoice 100 days late, synced; their invoices' ids."""
    _owner(xero.session, xero.organisation_id)
    _rules(xero.session, xero.organisation_id)
    invoices = [xero.invoice(xero.customer(name), "120.00", days_late=100) for name in FIVE]
    xero.sync()
    return invoices


def test_more_than_three_holds_placed_at_once_are_told_in_one_email_listing_them(xero, mailbox) -> None:  # type: ignore[no-untyped-def]
    _five_late(xero)
    names = FIVE
    loop.react_to_account_changes()
    run_jobs()

    assert len(xero.session.scalars(select(CreditHold)).all()) == 5
    (notice,) = [m for m in mailbox.messages if "credit hold" in m["Subject"]]
    assert notice["Subject"] == "5 customers are on credit hold"
    body = notice.get_body(("plain",)).get_content()
    for name in names:
        assert f"- {name}: an invoice is 100 days past due" in body


def test_more_than_three_holds_lifted_at_once_are_told_in_one_email_listing_them(xero, mailbox) -> None:  # type: ignore[no-untyped-def]
    invoices = _five_late(xero)
    loop.react_to_account_changes()
    run_jobs()
    xero.sandbox.clock.advance(timedelta(hours=1))
    for invoice in invoices:
        xero.sandbox.pay_invoice(invoice)
    xero.sync()
    loop.react_to_account_changes()
    run_jobs()

    assert all(hold.lifted_at is not None for hold in xero.session.scalars(select(CreditHold)))
    assert _hold_mails(mailbox) == ["5 customers are on credit hold", "5 customers are off credit hold"]
    body = mailbox.messages[-1].get_body(("plain",)).get_content()
    assert all(f"- {name}:" in body for name in FIVE)
