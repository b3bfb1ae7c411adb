"""Late fees against the sandboxes over HTTP: proposed once per invoice and period by the day step
(run twice, by two workers), never on a disputed invoice, raised as their own invoice in the
ledger once approved, noted on the late invoice, and named in the customer's next reminder."""

from __future__ import annotations

import threading
from decimal import Decimal

from sqlalchemy import select

from reminders.dispatch.models import ReminderAction
from reminders.disputes import Dispute
from reminders.fees import proposing, raising
from reminders.fees.models import FeeStatus, FeeTerms, LateFee
from reminders.loop import before_planning
from runtime import clock
from runtime.db import db
from runtime.tenancy import AuditEvent, Organisation
from sync.jobs import sync_tenant
from sync.models import Customer, Invoice
from tests.integration.ledgers import demo_quickbooks, quickbooks_consent
from tests.reminders.books import approve_all, run_jobs
from tests.reminders.chasing import default_schedule


def fixed_fee_terms(session, organisation_id: int, review: bool = True) -> None:  # type: ignore[no-untyped-def]
    session.add(
        FeeTerms(
            organisation_id=organisation_id,
            enabled=True,
            preset="fixed",
            fixed_fee=Decimal(25),
            review=review,
        )
    )
    session.commit()


def day_step_by_two_workers(organisation_id: int) -> None:
    def run() -> None:
        worker_session = db.session()
        organisation = worker_session.get(Organisation, organisation_id)
        before_planning(worker_session, organisation, clock.today(organisation.timezone))
        db.session.remove()

    workers = [threading.Thread(target=run) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def fees(session) -> list[LateFee]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return list(session.scalars(select(LateFee).order_by(LateFee.id)))


def test_a_fee_is_proposed_once_per_invoice_and_period_and_never_on_a_disputed_invoice(xero) -> None:  # type: ignore[no-untyped-def]
    late = xero.customer("Kauri Builders", "ap@kauri.example")
    late_invoice = xero.invoice(late, "800.00", days_late=40)
    contested = xero.customer("Rimu Joinery", "ap@rimu.example")
    disputed_invoice = xero.invoice(contested, "500.00", days_late=40)
    xero.sync()
    session = xero.session
    rimu = session.scalar(select(Customer).where(Customer.name == "Rimu Joinery"))
    session.add(
        Dispute(
            organisation_id=xero.organisation_id,
            customer_id=rimu.id,
            invoice_ledger_id=disputed_invoice,
            reason="x",
        )
    )
    fixed_fee_terms(session, xero.organisation_id)

    day_step_by_two_workers(xero.organisation_id)
    organisation = session.get(Organisation, xero.organisation_id)
    before_planning(session, organisation, clock.today(organisation.timezone))  # and once more, later

    (fee,) = fees(session)
    assert (fee.invoice_ledger_id, fee.kind, fee.amount, fee.status) == (
        late_invoice,
        "fixed",
        Decimal(25),
        FeeStatus.PROPOSED.value,
    )


def test_an_approved_fee_is_its_own_invoice_in_xero_noted_on_the_late_one_and_named_in_the_next_reminder(
    xero, mailbox
) -> None:  # type: ignore[no-untyped-def]
    late = xero.customer("Kauri Builders", "ap@kauri.example")
    late_invoice = xero.invoice(late, "800.00", days_late=29)  # the statement stage is due
    xero.sync()
    fixed_fee_terms(xero.session, xero.organisation_id)
    organisation = xero.session.get(Organisation, xero.organisation_id)
    before_planning(xero.session, organisation, clock.today(organisation.timezone))
    (fee,) = fees(xero.session)

    proposing.approve(xero.session, fee, user_id=None)
    raising.queue_raise(fee.id)  # a second job for the same fee does nothing
    run_jobs()
    (fee,) = fees(xero.session)
    assert fee.status == FeeStatus.RAISED.value, fee.reason
    in_xero = xero.sandbox.books.invoices[fee.fee_invoice_ledger_id.lower()]
    assert (in_xero.contact_id, in_xero.total, in_xero.status) == (late.lower(), Decimal(25), "AUTHORISED")
    assert sum(1 for i in xero.sandbox.books.invoices.values() if i.contact_id == late.lower()) == 2
    assert any(fee.fee_invoice_number in note for note in xero.invoice_notes(late_invoice))
    assert xero.session.scalar(select(AuditEvent).where(AuditEvent.action == "fee.raised")) is not None

    # The fee invoice is never charged a fee itself, and the same fee is not proposed again.
    xero.sync()
    before_planning(xero.session, organisation, clock.today(organisation.timezone))
    assert len(fees(xero.session)) == 1

    xero.plan()
    approve_all(xero)
    run_jobs()
    (email,) = [m for m in mailbox.messages if m["To"] == "ap@kauri.example"]
    text = email.get_body(("plain",)).get_content()
    assert fee.fee_invoice_number in text and "Late fees charged" in text
    (fee,) = fees(xero.session)
    sent = xero.session.scalars(select(ReminderAction).where(ReminderAction.status == "sent")).all()
    assert fee.named_in_action_id in {a.id for a in sent}


def test_without_review_a_fee_is_raised_in_quickbooks_once(
    monkeypatch, session, redis_client, mailbox
) -> None:  # type: ignore[no-untyped-def]
    with demo_quickbooks(monkeypatch) as sandbox:
        connection = quickbooks_consent(session, sandbox)
        sync_tenant(connection.id)
        organisation = session.get(Organisation, connection.organisation_id)
        default_schedule(session, organisation.id)
        fixed_fee_terms(session, organisation.id, review=False)
        company = sandbox.company(connection.tenant_id)
        before = len(company.live("Invoice"))

        day_step_by_two_workers(organisation.id)
        run_jobs()
        day_step_by_two_workers(organisation.id)
        run_jobs()

        raised = fees(session)
        assert raised and all(f.status == FeeStatus.RAISED.value for f in raised), {f.reason for f in raised}
        assert len({f.invoice_ledger_id for f in raised}) == len(raised)  # one fixed fee per invoice
        assert len(company.live("Invoice")) == before + len(raised)
        fee_invoice = next(e for e in company.live("Invoice") if e.id == raised[0].fee_invoice_ledger_id)
        assert Decimal(str(fee_invoice.body["TotalAmt"])) == Decimal(25)
        late = session.scalar(select(Invoice).where(Invoice.ledger_id == raised[0].invoice_ledger_id))
        assert late is not None and late.customer_ledger_id == fee_invoice.body["CustomerRef"]["value"]


def test_a_raise_interrupted_mid_call_is_set_aside_for_a_person_and_never_raised_again(xero) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from sqlalchemy import update

    late = xero.customer("Kauri Builders", "ap@kauri.example")
    xero.invoice(late, "800.00", days_late=29)
    xero.sync()
    fixed_fee_terms(xero.session, xero.organisation_id)
    organisation = xero.session.get(Organisation, xero.organisation_id)
    before_planning(xero.session, organisation, clock.today(organisation.timezone))
    (fee,) = fees(xero.session)
    # A worker took it and died before writing down what the ledger answered.
    xero.session.execute(
        update(LateFee).where(LateFee.id == fee.id).values(status="raising", raising_started_at=clock.now())
    )
    xero.session.commit()
    invoices_before = len(xero.sandbox.books.invoices)

    clock.travel_to(clock.now() + raising.RAISING_LEASE + timedelta(seconds=1))
    assert raising.sweep_fees() == 1
    raising.raise_fee(fee.id)

    (fee,) = fees(xero.session)
    assert fee.status == FeeStatus.INTERRUPTED.value and fee.fee_invoice_ledger_id is None
    assert len(xero.sandbox.books.invoices) == invoices_before


def test_a_fee_on_an_invoice_disputed_after_it_was_proposed_is_not_raised(xero) -> None:  # type: ignore[no-untyped-def]
    late = xero.customer("Kauri Builders", "ap@kauri.example")
    late_invoice = xero.invoice(late, "800.00", days_late=29)
    xero.sync()
    fixed_fee_terms(xero.session, xero.organisation_id)
    organisation = xero.session.get(Organisation, xero.organisation_id)
    before_planning(xero.session, organisation, clock.today(organisation.timezone))
    (fee,) = fees(xero.session)
    xero.session.add(
        Dispute(
            organisation_id=xero.organisation_id,
            customer_id=fee.customer_id,
            invoice_ledger_id=late_invoice,
            reason="the goods were damaged",
        )
    )
    xero.session.commit()
    invoices_before = len(xero.sandbox.books.invoices)

    proposing.approve(xero.session, fee, user_id=None)
    run_jobs()

    (fee,) = fees(xero.session)
    assert (fee.status, fee.reason) == (FeeStatus.SKIPPED.value, "the invoice is disputed")
    assert len(xero.sandbox.books.invoices) == invoices_before


def test_an_approved_fee_whose_job_was_lost_is_queued_again_by_the_sweep_and_raised_once(xero) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from runtime import jobs

    late = xero.customer("Kauri Builders", "ap@kauri.example")
    xero.invoice(late, "800.00", days_late=29)
    xero.sync()
    fixed_fee_terms(xero.session, xero.organisation_id)
    organisation = xero.session.get(Organisation, xero.organisation_id)
    before_planning(xero.session, organisation, clock.today(organisation.timezone))
    (fee,) = fees(xero.session)
    proposing.approve(xero.session, fee, user_id=None)
    jobs.connection().flushdb()  # Redis lost its queue

    clock.travel_to(clock.now() + raising.RAISING_LEASE + timedelta(seconds=1))
    assert raising.sweep_fees() == 1
    raising.sweep_fees()
    run_jobs()

    (fee,) = fees(xero.session)
    assert fee.status == FeeStatus.RAISED.value
    assert sum(1 for i in xero.sandbox.books.invoices.values() if i.contact_id == late.lower()) == 2
