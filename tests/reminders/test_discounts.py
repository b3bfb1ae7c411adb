"""Early-payment discounts: the terms, the before-due note that states them, and the credit note
that closes an invoice paid at the discounted amount in time, in Xero and in QuickBooks."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from reminders import loop
from reminders.discounts import (
    AppliesTo,
    DiscountSettlement,
    DiscountTerms,
    SettlementStatus,
    credit_the_rest,
    offer_for,
    settles,
)
from reminders.dispatch.models import ReminderAction
from reminders.models import LedgerNote
from reminders.schedules.defaults import FRIENDLY
from reminders.schedules.models import Schedule, Stage, stage_columns
from reminders.schedules.templates import InvoiceLine, MessageContext, render
from runtime.tenancy import AuditEvent, Organisation
from sync.jobs import sync_tenant
from sync.models import Customer
from tests.integration.ledgers import point_at_quickbooks, quickbooks_consent, running_quickbooks
from tests.reminders.books import approve_all, run_jobs
from tests.reminders.chasing import default_schedule


def terms(session, organisation_id: int, percent="3", days=10, net_days=30, applies_to=AppliesTo.MATCHING):  # type: ignore[no-untyped-def]
    found = DiscountTerms(
        organisation_id=organisation_id,
        enabled=True,
        percent=Decimal(percent),
        days=days,
        net_days=net_days,
        applies_to=applies_to,
    )
    session.add(found)
    session.commit()
    return found


def default_friendly_note(session, organisation_id: int) -> None:  # type: ignore[no-untyped-def]
    """The test schedule's friendly stage, written as the default schedule's friendly note."""
    stage = session.scalars(
        select(Stage)
        .join(Schedule)
        .where(Schedule.organisation_id == organisation_id, Stage.key == "friendly")
    ).one()
    stage.messages = stage_columns(FRIENDLY)["messages"]
    session.commit()


def xero_credit_notes(sandbox) -> list:  # type: ignore[no-untyped-def]
    return [c for c in sandbox.books.credits.values() if c.kind == "CreditNote"]


# The terms, pure ------------------------------------------------------------------------------------


def test_terms_apply_to_invoices_on_the_same_net_days_unless_set_for_every_invoice() -> None:
    matching = DiscountTerms(enabled=True, percent=Decimal("3"), days=10, net_days=30, applies_to="matching")
    every = DiscountTerms(enabled=True, percent=Decimal("3"), days=10, net_days=30, applies_to="all")
    issued = date(2026, 6, 1)

    offer = offer_for(matching, issued, issued + timedelta(days=30), Decimal("115.00"))

    assert offer is not None
    assert (offer.deadline, offer.discount, offer.discounted) == (
        date(2026, 6, 11),
        Decimal("3.45"),
        Decimal("111.55"),
    )
    assert offer_for(matching, issued, issued + timedelta(days=14), Decimal("115.00")) is None
    assert offer_for(every, issued, issued + timedelta(days=14), Decimal("115.00")) is not None


def test_a_payment_within_a_cent_of_the_discounted_amount_takes_the_discount_and_a_short_one_does_not() -> (
    None
):
    terms_ = DiscountTerms(enabled=True, percent=Decimal("3"), days=10, net_days=30, applies_to="all")
    offer = offer_for(terms_, date(2026, 6, 1), date(2026, 7, 1), Decimal("115.00"))
    assert offer is not None

    assert settles(offer, Decimal("111.55"), Decimal("3.45"))
    assert settles(offer, Decimal("111.54"), Decimal("3.46"))
    assert not settles(offer, Decimal("111.00"), Decimal("4.00"))
    assert not settles(offer, Decimal("115.00"), Decimal("0"))  # paid in full: nothing to credit


def test_the_default_friendly_note_states_the_discount_in_french_too() -> None:
    context = MessageContext(
        language="fr",
        as_of=date(2026, 6, 5),
        organisation_name="Boulangerie Martin",
        sender_name="Comptabilité",
        customer_name="Café du Port",
        contact_name=None,
        invoices=(
            InvoiceLine("F-12", date(2026, 6, 1), date(2026, 7, 1), "EUR", Decimal(100), Decimal(100), -26),
        ),
        discount_percent=Decimal("3.00"),
        discount_deadline=date(2026, 6, 11),
        discounted_total=(("EUR", Decimal("97.00")),),
    )

    text = render(FRIENDLY.messages["fr"], context).text

    assert "Escompte pour paiement anticipé : 3\u202f% de remise" in text
    assert "au plus tard le 11 juin 2026, soit 97,00\xa0€" in text


# Xero ---------------------------------------------------------------------------------------------


def _discounted_xero_invoice(xero, paid_days_after_issue: int, paid: str | None = None) -> str:  # type: ignore[no-untyped-def]
    """A 100.00 + GST (115.00) invoice raised 20 days ago on net 30, paid ``paid`` (the discounted
    111.55 by default) that many days after its date."""
    contact = xero.customer("Early Bird Ltd")
    issued = xero.sandbox.clock.today() - timedelta(days=20)
    invoice = xero.sandbox.create_invoice(contact, Decimal("100.00"), 30, issued=issued).invoice_id
    xero.sync()
    xero.sandbox.pay_invoice(
        invoice, Decimal(paid or "111.55"), paid_on=issued + timedelta(days=paid_days_after_issue)
    )
    xero.sync()
    return invoice


def test_a_discounted_payment_made_in_time_is_closed_by_a_credit_note_in_xero(xero) -> None:  # type: ignore[no-untyped-def]
    terms(xero.session, xero.organisation_id)
    invoice = _discounted_xero_invoice(xero, paid_days_after_issue=9)

    loop.react_to_account_changes()
    run_jobs()

    stored = xero.sandbox.books.find_invoice(invoice)
    assert (stored.amount_due, stored.amount_credited, stored.status) == (
        Decimal("0"),
        Decimal("3.45"),
        "PAID",
    )
    [credit] = xero_credit_notes(xero.sandbox)
    assert credit.total == Decimal("3.45")
    xero.session.expire_all()
    [settlement] = xero.session.scalars(select(DiscountSettlement)).all()
    assert (settlement.status, settlement.credit_note_ledger_id) == (
        SettlementStatus.CREDITED,
        credit.credit_id,
    )
    events = xero.session.scalars(select(AuditEvent).where(AuditEvent.action == "discount.settled")).all()
    assert len(events) == 1 and events[0].details["credited"] == "3.4500"
    assert any("credit note" in note for note in xero.invoice_notes(invoice))


def test_the_credit_note_is_raised_once_however_often_the_payment_is_seen_or_the_job_runs(xero) -> None:  # type: ignore[no-untyped-def]
    terms(xero.session, xero.organisation_id)
    invoice = _discounted_xero_invoice(xero, paid_days_after_issue=10)  # the last day counts
    loop.react_to_account_changes()
    run_jobs()
    settlement_id = xero.session.scalars(select(DiscountSettlement.id)).one()

    xero.sandbox.clock.advance(timedelta(hours=1))
    xero.sync()  # the credit note's own change comes back through the sync
    loop.react_to_account_changes()
    run_jobs()
    credit_the_rest(settlement_id)  # a second run of the job

    assert len(xero_credit_notes(xero.sandbox)) == 1
    assert xero.sandbox.books.find_invoice(invoice).amount_due == Decimal("0")
    assert xero.session.scalars(select(DiscountSettlement)).all() == [
        xero.session.get(DiscountSettlement, settlement_id)
    ]


def test_a_credit_interrupted_after_the_ledger_made_it_is_finished_with_the_same_credit_note(xero) -> None:  # type: ignore[no-untyped-def]
    from integration.connections import Connection, ledger_for
    from runtime import jobs

    terms(xero.session, xero.organisation_id)
    invoice = _discounted_xero_invoice(xero, paid_days_after_issue=5)
    loop.react_to_account_changes()  # the job is queued, not run yet
    settlement = xero.session.scalars(select(DiscountSettlement)).one()
    contact = xero.session.get(Customer, settlement.customer_id).ledger_id
    # The worker took the row and Xero made the credit note; the worker died before recording it.
    ledger = ledger_for(xero.session.get(Connection, xero.connection_id), jobs.connection())
    made = ledger.create_credit_note(
        contact, invoice, settlement.credit, "NZD", "discount", key=settlement.key
    )
    settlement.status = SettlementStatus.CREDITING
    xero.session.commit()

    run_jobs()

    assert [c.credit_id for c in xero_credit_notes(xero.sandbox)] == [made.ledger_id]
    xero.session.expire_all()
    settled = xero.session.get(DiscountSettlement, settlement.id)
    assert (settled.status, settled.credit_note_ledger_id) == (SettlementStatus.CREDITED, made.ledger_id)


def test_a_settlement_whose_job_was_lost_is_credited_by_the_sweep(xero) -> None:  # type: ignore[no-untyped-def]
    from reminders.discounts import requeue_pending_credits
    from runtime import clock, jobs

    terms(xero.session, xero.organisation_id)
    _discounted_xero_invoice(xero, paid_days_after_issue=5)
    loop.react_to_account_changes()
    for name in jobs.QUEUES:
        jobs.queue(name).empty()  # the job is lost (Redis restarted, say)
    assert requeue_pending_credits() == 0  # too soon: the job queued with it may still come

    clock.travel_to(clock.now() + timedelta(minutes=11))
    assert requeue_pending_credits() == 1
    run_jobs()

    assert len(xero_credit_notes(xero.sandbox)) == 1
    xero.session.expire_all()
    assert xero.session.scalars(select(DiscountSettlement.status)).one() == SettlementStatus.CREDITED


def test_a_discounted_payment_made_after_the_deadline_is_not_credited(xero) -> None:  # type: ignore[no-untyped-def]
    terms(xero.session, xero.organisation_id)
    invoice = _discounted_xero_invoice(xero, paid_days_after_issue=11)

    loop.react_to_account_changes()
    run_jobs()

    assert xero_credit_notes(xero.sandbox) == []
    assert xero.sandbox.books.find_invoice(invoice).amount_due == Decimal("3.45")
    assert xero.session.scalars(select(DiscountSettlement)).all() == []


def test_a_short_payment_in_time_is_not_credited(xero) -> None:  # type: ignore[no-untyped-def]
    terms(xero.session, xero.organisation_id)
    invoice = _discounted_xero_invoice(xero, paid_days_after_issue=5, paid="110.00")

    loop.react_to_account_changes()
    run_jobs()

    assert xero_credit_notes(xero.sandbox) == []
    assert xero.sandbox.books.find_invoice(invoice).amount_due == Decimal("5.00")


def test_without_discount_terms_a_discounted_payment_stays_owed(xero) -> None:  # type: ignore[no-untyped-def]
    _discounted_xero_invoice(xero, paid_days_after_issue=5)

    loop.react_to_account_changes()
    run_jobs()

    assert xero_credit_notes(xero.sandbox) == []


def test_the_friendly_note_states_the_discount_and_its_deadline(xero, mailbox) -> None:  # type: ignore[no-untyped-def]
    terms(xero.session, xero.organisation_id, percent="2", days=10, net_days=14)
    default_friendly_note(xero.session, xero.organisation_id)
    contact = xero.customer("Prompt Payers Ltd", "ap@prompt.example")
    today = xero.sandbox.clock.today()
    issued = today - timedelta(days=7)  # due in 7 days: the friendly note's day; deadline in 3
    xero.sandbox.create_invoice(contact, Decimal("100.00"), 14, issued=issued)
    xero.sync()

    xero.plan()
    approve_all(xero)
    run_jobs()

    [action] = [a for a in xero.actions() if a.stage_key == "friendly"]
    assert action.status == "sent", action.reason
    [message] = [m for m in mailbox.messages if m["To"] == "ap@prompt.example"]
    text = message.get_body(("plain",)).get_content()
    deadline = issued + timedelta(days=10)
    # The organisation is in New Zealand: en_NZ writes NZ$ as $ and the day first.
    assert (
        f"Early-payment discount: 2% off if paid by {deadline.day} {deadline:%b %Y}, that is $112.70." in text
    )


def test_the_friendly_note_says_nothing_of_a_discount_once_its_deadline_passed(xero, mailbox) -> None:  # type: ignore[no-untyped-def]
    terms(xero.session, xero.organisation_id, percent="2", days=5, net_days=14)
    default_friendly_note(xero.session, xero.organisation_id)
    contact = xero.customer("Late Deciders Ltd", "ap@late.example")
    issued = xero.sandbox.clock.today() - timedelta(days=7)
    xero.sandbox.create_invoice(contact, Decimal("100.00"), 14, issued=issued)
    xero.sync()

    xero.plan()
    approve_all(xero)
    run_jobs()

    [message] = [m for m in mailbox.messages if m["To"] == "ap@late.example"]
    assert "discount" not in message.get_body(("plain",)).get_content()


# QuickBooks ---------------------------------------------------------------------------------------


def test_a_discounted_payment_made_in_time_is_closed_by_a_credit_memo_in_quickbooks(
    monkeypatch, session, redis_client, mailbox
) -> None:  # type: ignore[no-untyped-def]
    with running_quickbooks() as sandbox:
        point_at_quickbooks(monkeypatch, sandbox)
        connection = quickbooks_consent(session, sandbox)
        organisation = session.get(Organisation, connection.organisation_id)
        default_schedule(session, organisation.id)
        terms(session, organisation.id)
        company = sandbox.company(connection.tenant_id)
        buyer = company.create("Customer", {"DisplayName": "Early Bird Inc"})
        issued = company.today() - timedelta(days=20)
        bill = company.create(
            "Invoice",
            {
                "CustomerRef": {"value": buyer.id},
                "TxnDate": issued.isoformat(),
                "DueDate": (issued + timedelta(days=30)).isoformat(),
                "Line": [
                    {
                        "DetailType": "SalesItemLineDetail",
                        "Amount": Decimal("200.00"),
                        "Description": "Services",
                        "SalesItemLineDetail": {"ItemRef": {"value": "1", "name": "Services"}},
                    }
                ],
            },
        )
        sync_tenant(connection.id)
        company.create(
            "Payment",
            {
                "CustomerRef": {"value": buyer.id},
                "TotalAmt": Decimal("194.00"),
                "TxnDate": (issued + timedelta(days=8)).isoformat(),
                "Line": [
                    {"Amount": Decimal("194.00"), "LinkedTxn": [{"TxnId": bill.id, "TxnType": "Invoice"}]}
                ],
            },
        )
        sync_tenant(connection.id)
        session.expire_all()

        loop.react_to_account_changes()
        run_jobs()

        assert company.get("Invoice", bill.id).body["Balance"] == Decimal("0")
        [memo] = company.live("CreditMemo")
        assert memo.body["TotalAmt"] == Decimal("6.00")
        session.expire_all()
        [settlement] = session.scalars(select(DiscountSettlement)).all()
        assert (settlement.status, settlement.credit_note_ledger_id) == (SettlementStatus.CREDITED, memo.id)
        notes = [
            a.body["Note"]
            for a in company.live("Attachable")
            if a.body["AttachableRef"][0]["EntityRef"] == {"type": "Invoice", "value": bill.id}
        ]
        assert any("credit note" in note for note in notes)
        assert session.scalars(select(LedgerNote)).all()
        assert not session.scalars(select(ReminderAction)).all()
