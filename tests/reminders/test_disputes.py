"""Disputes against the ledgers' sandboxes over HTTP, real SMTP and real RQ workers: a disputed
invoice leaves chasing and the rest of the account does not, resolving it brings it back, and a
credit note the ledger allocates to it closes it after the sync; the team hears once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from sqlalchemy import select

from reminders import loop
from reminders.dispatch import outbox
from reminders.dispatch.models import ReminderAction
from reminders.disputes import (
    DisputeStatus,
    NotDisputable,
    add_message,
    disputed_invoices,
    messages_of,
    raise_dispute,
    resolve_dispute,
)
from reminders.schedules.planner import plan_organisation
from runtime import clock
from runtime.tenancy import AuditEvent, Membership, Organisation, Role, User
from sync.jobs import sync_tenant
from sync.models import Customer, Invoice
from tests.integration.ledgers import demo_quickbooks, quickbooks_consent
from tests.reminders.books import approve_all, run_jobs
from tests.reminders.chasing import default_schedule


def _owner(session, organisation_id: int) -> User:  # type: ignore[no-untyped-def]
    owner = User(email="owner@harbour.example", name="Olive")
    session.add(owner)
    session.flush()
    session.add(Membership(user_id=owner.id, organisation_id=organisation_id, role=Role.OWNER.value))
    session.commit()
    return owner


def _customer(session, organisation_id: int, ledger_id: str) -> Customer:  # type: ignore[no-untyped-def]
    return session.scalar(
        select(Customer).where(Customer.organisation_id == organisation_id, Customer.ledger_id == ledger_id)
    )


def _dispute(session, customer: Customer, invoice_id: str, user_id: int | None, reason: str = "Wrong goods"):  # type: ignore[no-untyped-def]
    dispute, after = raise_dispute(session, customer, invoice_id, reason, "person", user_id)
    session.commit()
    after()
    return dispute


def _team_mail(mailbox, words: str) -> list:  # type: ignore[no-untyped-def]
    return [m for m in mailbox.messages if words in m["Subject"]]


def test_a_disputed_invoice_is_not_chased_while_the_same_customers_other_invoices_are_on_xero(
    xero, mailbox
) -> None:  # type: ignore[no-untyped-def]
    owner = _owner(xero.session, xero.organisation_id)
    contact = xero.customer("Kauri Joinery", "accounts@kauri.example")
    disputed = xero.invoice(contact, "500.00", days_late=10)
    owed = xero.invoice(contact, "320.00", days_late=8)
    xero.sync()
    customer = _customer(xero.session, xero.organisation_id, contact)
    dispute = _dispute(xero.session, customer, disputed, owner.id)

    assert xero.plan() == 1
    (action,) = xero.actions()
    assert action.invoice_ledger_ids == [owed]
    approve_all(xero)
    run_jobs()  # the reminder, the team's notice, the ledger notes

    reminders = [m for m in mailbox.messages if m["To"] == "accounts@kauri.example"]
    (reminder,) = reminders
    text = reminder.get_body(("plain",)).get_content()
    numbers = {i.ledger_id: i.number for i in xero.session.scalars(select(Invoice))}
    assert numbers[owed] in text and numbers[disputed] not in text
    assert xero.actions()[0].sent_invoice_ledger_ids == [owed]
    (told,) = _team_mail(mailbox, "disputes")
    assert told["To"] == owner.email and numbers[disputed] in told["Subject"]
    (note,) = xero.invoice_notes(disputed)
    assert "disputed" in note and "Wrong goods" in note
    event = xero.session.scalar(select(AuditEvent).where(AuditEvent.action == "dispute.raised"))
    assert event.details["dispute"] == dispute.id and event.actor_user_id == owner.id


def test_resolving_a_dispute_resumes_chasing_of_its_invoice(xero, mailbox) -> None:  # type: ignore[no-untyped-def]
    owner = _owner(xero.session, xero.organisation_id)
    contact = xero.customer("Rimu Builders", "ap@rimu.example")
    disputed = xero.invoice(contact, "410.00", days_late=8)
    xero.sync()
    customer = _customer(xero.session, xero.organisation_id, contact)
    dispute = _dispute(xero.session, customer, disputed, owner.id)
    add_message(xero.session, dispute, "The customer sent photos of the damage.", "person", owner.id)
    add_message(xero.session, dispute, "We'll accept a replacement.", "customer")
    xero.session.commit()
    assert xero.plan() == 0

    after = resolve_dispute(xero.session, dispute, owner.id, "Replaced the goods; the invoice stands.")
    xero.session.commit()
    after()

    assert disputed_invoices(xero.session, xero.organisation_id) == set()
    assert [m.author for m in messages_of(xero.session, dispute)] == ["person", "customer"]
    assert xero.plan() == 1
    approve_all(xero)
    run_jobs()
    assert len([m for m in mailbox.messages if m["To"] == "ap@rimu.example"]) == 1
    assert xero.actions()[0].sent_invoice_ledger_ids == [disputed]
    notes = xero.invoice_notes(disputed)
    assert any("resolved" in n and "Replaced the goods" in n for n in notes), notes
    xero.session.expire_all()
    assert dispute.status == DisputeStatus.RESOLVED and dispute.resolved_by_user_id == owner.id
    assert len(_team_mail(mailbox, "disputes")) == 1


def test_a_credit_note_allocated_to_the_disputed_invoice_in_xero_closes_the_dispute_after_the_sync(
    xero, mailbox
) -> None:  # type: ignore[no-untyped-def]
    owner = _owner(xero.session, xero.organisation_id)
    contact = xero.customer("Credited Ltd", "ap@credited.example")
    disputed = xero.invoice(contact, "200.00", days_late=5)
    other = xero.invoice(contact, "60.00", days_late=5)
    books = xero.sandbox.books
    earlier = xero.sandbox.create_credit("CreditNote", contact, Decimal("20.00"))
    books.allocate(earlier, books.find_invoice(disputed), Decimal("20.00"), xero.sandbox.clock.today())
    xero.sync()
    dispute = _dispute(
        xero.session, _customer(xero.session, xero.organisation_id, contact), disputed, owner.id
    )
    loop.react_to_account_changes()  # a credit the invoice had before the dispute: not its end
    xero.session.expire_all()
    assert dispute.status == DisputeStatus.OPEN
    xero.sandbox.clock.advance(timedelta(seconds=2))  # the ledger's stamps are to the second

    # The bookkeeper settles it in the ledger: a credit note of what it owes, allocated to it.
    number = xero.sandbox.books.find_invoice(disputed).invoice_number
    answer = requests.post(
        f"{xero.sandbox.base_url}/_sandbox/tenants/{xero.sandbox.tenant_id}/credits",
        json={"invoice_number": number},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    credit_number = answer.json()["number"]
    xero.sync()
    loop.react_to_account_changes()
    run_jobs()

    xero.session.expire_all()
    assert dispute.status == DisputeStatus.CREDITED and dispute.resolved_at is not None
    assert dispute.credit_note_number == credit_number and credit_number
    assert any(credit_number in n and "closed" in n for n in xero.invoice_notes(disputed))
    assert len(_team_mail(mailbox, "disputes")) == 1  # one notice for the raise
    assert len(_team_mail(mailbox, "is settled")) == 1
    assert not xero.invoice_notes(other)
    loop.react_to_account_changes()
    run_jobs()
    assert len(_team_mail(mailbox, "is settled")) == 1


def _quickbooks_customer_with_two_late_invoices(company) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    """A customer raised in the QuickBooks company with invoices 10 and 8 days late."""
    customer = company.create(
        "Customer",
        {"DisplayName": "Disputing Gardens", "PrimaryEmailAddr": {"Address": "ap@disputing.example"}},
    )
    today = company.today()
    invoices = []
    for amount, days_late in ((Decimal("480.00"), 10), (Decimal("150.00"), 8)):
        invoices.append(
            company.create(
                "Invoice",
                {
                    "CustomerRef": {"value": customer.id},
                    "TxnDate": (today - timedelta(days=days_late + 30)).isoformat(),
                    "DueDate": (today - timedelta(days=days_late)).isoformat(),
                    "Line": [
                        {
                            "DetailType": "SalesItemLineDetail",
                            "Amount": amount,
                            "Description": "Landscaping services",
                            "SalesItemLineDetail": {"ItemRef": {"value": "1", "name": "Services"}},
                        }
                    ],
                },
            ).id
        )
    return customer.id, invoices[0], invoices[1]


def test_a_disputed_invoice_is_not_chased_and_a_credit_memo_applied_to_it_closes_it_on_quickbooks(
    monkeypatch, session, redis_client, mailbox
) -> None:  # type: ignore[no-untyped-def]
    with demo_quickbooks(monkeypatch) as sandbox:
        connection = quickbooks_consent(session, sandbox)
        company = sandbox.company(connection.tenant_id)
        contact, disputed_id, owed_id = _quickbooks_customer_with_two_late_invoices(company)
        sync_tenant(connection.id)
        organisation = session.get(Organisation, connection.organisation_id)
        default_schedule(session, organisation.id)
        owner = _owner(session, organisation.id)
        today = clock.today(organisation.timezone)
        customer = _customer(session, organisation.id, contact)
        dispute = _dispute(session, customer, disputed_id, owner.id, "Not delivered")
        run_jobs()
        loop.react_to_account_changes()

        plan_organisation(session, organisation.id, today)
        (action,) = session.scalars(
            select(ReminderAction).where(
                ReminderAction.customer_id == customer.id, ReminderAction.channel == "email"
            )
        )
        assert action.invoice_ledger_ids == [owed_id]
        outbox.approve(session, action, user_id=None)  # type: ignore[arg-type]
        run_jobs()
        session.expire_all()
        assert action.status == "sent", action.reason
        assert action.sent_invoice_ledger_ids == [owed_id]
        assert len([m for m in mailbox.messages if m["To"] == "ap@disputing.example"]) == 1
        assert len(_team_mail(mailbox, "disputes")) == 1

        owed = company.get("Invoice", disputed_id).body["Balance"]
        memo = company.create(
            "CreditMemo",
            {
                "CustomerRef": {"value": customer.ledger_id},
                "Line": [
                    {
                        "DetailType": "SalesItemLineDetail",
                        "Amount": owed,
                        "Description": "Credit for the disputed delivery",
                        "SalesItemLineDetail": {"ItemRef": {"value": "1", "name": "Services"}},
                    }
                ],
            },
        )
        company.create(
            "Payment",
            {
                "CustomerRef": {"value": customer.ledger_id},
                "TotalAmt": Decimal(0),
                "Line": [
                    {"Amount": owed, "LinkedTxn": [{"TxnId": disputed_id, "TxnType": "Invoice"}]},
                    {"Amount": owed, "LinkedTxn": [{"TxnId": memo.id, "TxnType": "CreditMemo"}]},
                ],
            },
        )
        sync_tenant(connection.id)
        loop.react_to_account_changes()
        run_jobs()

        session.expire_all()
        assert dispute.status == DisputeStatus.CREDITED
        assert dispute.credit_note_number == str(memo.body.get("DocNumber") or "")
        notes = [
            a.body["Note"]
            for a in company.live("Attachable")
            if a.body["AttachableRef"][0]["EntityRef"]["value"] == disputed_id
        ]
        assert any("disputed" in n for n in notes) and any("closed" in n for n in notes), notes
        assert len(_team_mail(mailbox, "disputes")) == 1
        assert len(_team_mail(mailbox, "is settled")) == 1


def test_a_customer_raises_a_dispute_once_per_invoice_and_the_team_hears_once(xero, mailbox) -> None:  # type: ignore[no-untyped-def]
    _owner(xero.session, xero.organisation_id)
    contact = xero.customer("Portal Ltd", "ap@portal.example")
    disputed = xero.invoice(contact, "75.00", days_late=3)
    xero.sync()
    customer = _customer(xero.session, xero.organisation_id, contact)

    dispute, after = raise_dispute(xero.session, customer, disputed, "Charged twice", source="customer")
    xero.session.commit()
    after()
    with pytest.raises(NotDisputable):
        raise_dispute(xero.session, customer, disputed, "Charged twice", source="customer")
    xero.session.rollback()
    run_jobs()

    assert dispute.raised_by == "customer" and dispute.raised_by_user_id is None
    (told,) = _team_mail(mailbox, "disputes")
    assert "(NZ$86.25)" in told.get_body(("plain",)).get_content()  # 75.00 and GST, as money
    (note,) = xero.invoice_notes(disputed)
    assert "by the customer" in note


def test_a_disputed_invoice_voided_in_xero_closes_the_dispute_after_the_sync(xero, mailbox) -> None:  # type: ignore[no-untyped-def]
    owner = _owner(xero.session, xero.organisation_id)
    contact = xero.customer("Voided Ltd", "ap@voided.example")
    disputed = xero.invoice(contact, "150.00", days_late=5)
    xero.sync()
    dispute = _dispute(
        xero.session, _customer(xero.session, xero.organisation_id, contact), disputed, owner.id
    )
    loop.react_to_account_changes()

    xero.sandbox.clock.advance(timedelta(seconds=2))
    books = xero.sandbox.books
    invoice = books.find_invoice(disputed)
    invoice.status, invoice.updated_at = "VOIDED", books.now()
    xero.sync()
    loop.react_to_account_changes()
    run_jobs()

    xero.session.expire_all()
    assert dispute.status == DisputeStatus.CREDITED and dispute.credit_note_number == ""
    assert any("voided" in n for n in xero.invoice_notes(disputed))
    assert len(_team_mail(mailbox, "is settled")) == 1
