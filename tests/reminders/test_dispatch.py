"""The outbox against the ledgers' sandboxes over HTTP, a real SMTP server and real RQ workers:
nobody who has paid is chased, each message goes once, and each reminder is noted in the ledger."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from rq.job import Job, JobStatus
from sqlalchemy import select

from reminders.dispatch import outbox
from reminders.dispatch.models import CallOutcome, ReminderAction
from reminders.dispatch.send import SENDING_LEASE, send_action, send_job_id, settle_interrupted
from reminders.disputes import Dispute
from reminders.models import CollectionSettings, LedgerNote
from reminders.schedules.models import PlannerRun
from reminders.schedules.planner import plan_organisation
from runtime import clock, jobs
from runtime.tenancy import AuditEvent, Organisation
from sync.jobs import sync_tenant
from sync.models import Customer, Invoice
from tests.conftest import wait_until
from tests.integration.ledgers import (
    demo_quickbooks,
    point_at_xero,
    quickbooks_consent,
    running_xero,
    xero_consent,
)
from tests.reminders.books import XeroBooks, approve_all, run_jobs
from tests.reminders.chasing import default_schedule
from tests.runtime.crashes import kill_with_everything_it_started


def test_paid_invoice_is_never_reminded(xero, mailbox) -> None:  # type: ignore[no-untyped-def]
    owes = xero.customer("Kauri Joinery", "accounts@kauri.example")
    paid_before = xero.invoice(owes, "500.00", days_late=10)
    paid_between = xero.invoice(owes, "320.00", days_late=6)
    still_owed = xero.invoice(owes, "275.50", days_late=3)
    settled = xero.customer("Tui Bakery", "ap@tui.example")
    settled_invoice = xero.invoice(settled, "99.00", days_late=4)
    xero.sandbox.pay_invoice(paid_before)
    xero.sync()

    assert xero.plan() == 2
    planned = {a.customer_id: a.invoice_ledger_ids for a in xero.actions()}
    assert sorted(len(ids) for ids in planned.values()) == [1, 2]  # the invoice paid first: not planned

    # Paid in the ledger after the planner ran and before the send; the mirror has not heard.
    xero.sandbox.pay_invoice(paid_between)
    xero.sandbox.pay_invoice(settled_invoice)
    approve_all(xero)
    run_jobs()

    (message,) = mailbox.messages
    assert message["To"] == "accounts@kauri.example"
    text = message.get_body(("plain",)).get_content()
    numbers = {i.ledger_id: i.number for i in xero.session.scalars(select(Invoice))}
    owed_now = xero.session.scalar(select(Invoice.amount_due).where(Invoice.ledger_id == still_owed))
    assert numbers[still_owed] in text and f"${owed_now:,.2f}" in text, text  # en_NZ writes NZ$ as $
    assert numbers[paid_between] not in text and numbers[paid_before] not in text
    statuses = {a.customer_id: (a.status, a.reason, a.sent_invoice_ledger_ids) for a in xero.actions()}
    kauri = xero.session.scalar(select(Customer.id).where(Customer.ledger_id == owes))
    tui = xero.session.scalar(select(Customer.id).where(Customer.ledger_id == settled))
    assert statuses[kauri][0] == "sent" and statuses[kauri][2] == [still_owed]
    assert statuses[tui][0] == "skipped" and "nothing is owed" in statuses[tui][1]
    # The ledger's answer reached the mirror: the paid invoice is paid there too.
    assert xero.session.scalar(select(Invoice.status).where(Invoice.ledger_id == paid_between)) == "paid"


def test_an_invoice_credited_voided_or_disputed_after_planning_is_not_chased(xero, mailbox) -> None:  # type: ignore[no-untyped-def]
    credited_customer = xero.customer("Credited Ltd", "c@credited.example")
    credited = xero.invoice(credited_customer, "200.00", days_late=5)
    voided_customer = xero.customer("Voided Ltd", "v@voided.example")
    voided = xero.invoice(voided_customer, "150.00", days_late=5)
    disputed_customer = xero.customer("Disputed Ltd", "d@disputed.example")
    disputed = xero.invoice(disputed_customer, "80.00", days_late=5)
    xero.sync()
    assert xero.plan() == 3

    books = xero.sandbox.books
    credit = xero.sandbox.create_credit("CreditNote", credited_customer, Decimal("400.00"))
    owed = books.find_invoice(credited)
    books.allocate(credit, owed, owed.amount_due, xero.sandbox.clock.today())
    invoice = books.find_invoice(voided)
    invoice.status = "VOIDED"
    invoice.updated_at = books.now()
    customer_id = xero.session.scalar(select(Customer.id).where(Customer.ledger_id == disputed_customer))
    xero.session.add(
        Dispute(
            organisation_id=xero.organisation_id,
            customer_id=customer_id,
            invoice_ledger_id=disputed,
            reason="wrong goods",
        )
    )
    xero.session.commit()
    approve_all(xero)
    run_jobs()

    assert mailbox.messages == []
    assert [a.status for a in xero.actions()] == ["skipped"] * 3


def test_each_reminder_is_noted_on_each_invoice_it_named_in_xero(xero, mailbox) -> None:  # type: ignore[no-untyped-def]
    owes = xero.customer("Rimu Builders", "ap@rimu.example")
    first = xero.invoice(owes, "410.00", days_late=8)
    second = xero.invoice(owes, "90.00", days_late=2)
    xero.sync()
    xero.plan()
    approve_all(xero)
    run_jobs()  # the send, then the notes' jobs it queued

    assert len(mailbox.messages) == 1
    for invoice_id in (first, second):
        (note,) = xero.invoice_notes(invoice_id)
        assert "Polite inquiry" in note and "ap@rimu.example" in note
    assert {n.status for n in xero.session.scalars(select(LedgerNote))} == {"written"}
    event = xero.session.scalar(select(AuditEvent).where(AuditEvent.action == "reminder.sent"))
    assert event is not None and event.subject.startswith("customer:")

    # The send and the notes' jobs run again: nothing new goes, nothing new is noted.
    (action,) = xero.actions()
    jobs.enqueue(send_action, action.id)
    run_jobs()
    assert len(mailbox.messages) == 1 and len(xero.invoice_notes(first)) == 1


def test_the_planner_twice_and_two_workers_at_once_send_each_message_once(
    xero, mailbox, start_process
) -> None:  # type: ignore[no-untyped-def]
    for index in range(6):
        contact = xero.customer(f"Customer {index}", f"ap{index}@example.com")
        xero.invoice(contact, "100.00", days_late=3 + index)
    xero.sync()
    xero.session.add(CollectionSettings(organisation_id=xero.organisation_id, sending_mode="automatic"))
    xero.session.commit()

    # The planning job queued twice, and two worker processes racing for it and for the sends.
    jobs.enqueue(outbox.plan_now, xero.organisation_id)
    jobs.enqueue(outbox.plan_now, xero.organisation_id)
    start_process("worker")
    start_process("worker")
    wait_until(lambda: len(xero.actions()) == 6 and jobs.queue("default").count == 0, timeout=60)
    assert xero.plan() == 0
    for action in xero.actions():
        jobs.enqueue(send_action, action.id)
        jobs.enqueue(send_action, action.id)
    wait_until(lambda: all(a.status == "sent" for a in xero.actions()), timeout=60)
    wait_until(lambda: jobs.queue("default").count == 0, timeout=30)
    assert sorted(m["To"] for m in mailbox.messages) == sorted(f"ap{i}@example.com" for i in range(6))


class StallingMailbox:
    """An SMTP server that takes the message, then holds its reply until told: the moment between
    "the server has it" and "Relance knows it went"."""

    def __init__(self) -> None:
        import asyncio

        from aiosmtpd.controller import Controller

        from tests.conftest import free_port

        self.messages: list[bytes] = []
        self.release = threading.Event()
        box = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
                box.messages.append(envelope.content)
                while not box.release.is_set():
                    await asyncio.sleep(0.05)
                return "250 Message accepted for delivery"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)


def test_a_worker_killed_between_sending_and_sent_causes_no_second_message(
    monkeypatch, session, redis_client, start_process
) -> None:  # type: ignore[no-untyped-def]
    from runtime.settings import reload_settings

    box = StallingMailbox()
    box.controller.start()
    monkeypatch.setenv("SMTP_URL", f"smtp://127.0.0.1:{box.port}")
    reload_settings()
    try:
        with running_xero() as sandbox:
            point_at_xero(monkeypatch, sandbox)
            (connection,) = xero_consent(session, sandbox)
            default_schedule(session, connection.organisation_id)
            books = XeroBooks(sandbox, session, connection.organisation_id, connection.id)
            contact = books.customer("Matai Plumbing", "ap@matai.example")
            books.invoice(contact, "640.00", days_late=4)
            books.sync()
            books.plan()
            (action,) = books.actions()
            outbox.approve(session, action, user_id=None)  # type: ignore[arg-type]

            worker = start_process("worker")
            wait_until(lambda: box.messages, timeout=60)  # the server has it; Relance is waiting
            assert books.actions()[0].status == "sending"
            kill_with_everything_it_started(worker.pid)
            worker.wait()
            box.release.set()

            # A new worker takes the dead one's job back: it finds the send taken, and sends nothing.
            start_process("worker")
            job = Job.fetch(send_job_id(action.id), connection=jobs.connection())
            wait_until(lambda: job.get_status(refresh=True) == JobStatus.FINISHED, timeout=120)
            # Past the lease, the send is set aside as interrupted, for a person to settle.
            clock.travel_to(clock.now() + SENDING_LEASE + timedelta(seconds=1))
            assert settle_interrupted() == 1
            (action,) = books.actions()
            assert action.status == "interrupted" and "may have gone" in action.reason
            assert len(box.messages) == 1
            # A person who looked says it went: sent, and nothing more is sent.
            outbox.settle(session, action, user_id=None, went=True)  # type: ignore[arg-type]
            run_jobs()
            assert len(box.messages) == 1 and books.actions()[0].status == "sent"
    finally:
        box.release.set()
        box.controller.stop()


def _organisation(session, name: str, zone: str, country: str) -> int:  # type: ignore[no-untyped-def]
    from integration.connections import Connection
    from tests.reminders.chasing import customer, open_invoice

    organisation = Organisation(name=name, timezone=zone, country=country, base_currency="NZD")
    session.add(organisation)
    session.flush()
    session.add(
        Connection(organisation_id=organisation.id, provider="xero", tenant_id=f"t-{name}", status="active")
    )
    session.commit()
    default_schedule(session, organisation.id)
    customer(session, organisation.id, f"c-{name}")
    open_invoice(session, organisation.id, f"i-{name}", f"c-{name}", date(2026, 5, 1))
    return organisation.id


def planned_days(session, organisation_id: int) -> list[date]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return list(
        session.scalars(
            select(PlannerRun.planned_on)
            .where(PlannerRun.organisation_id == organisation_id)
            .order_by(PlannerRun.id)
        )
    )


def test_each_organisation_sends_at_its_own_nine_on_its_own_business_days(session) -> None:  # type: ignore[no-untyped-def]
    auckland = _organisation(session, "Auckland", "Pacific/Auckland", "NZ")
    los_angeles = _organisation(session, "LosAngeles", "America/Los_Angeles", "US")

    def tick(at: datetime) -> None:
        clock.travel_to(at)
        for organisation in session.scalars(select(Organisation)):
            outbox.plan_if_due(session, organisation)

    # Monday 25 May 2026: Memorial Day in the US, a working Monday in New Zealand.
    tick(datetime(2026, 5, 24, 20, 30, tzinfo=UTC))  # Auckland Mon 08:30 NZST; LA Sun 13:30
    assert planned_days(session, auckland) == [] and planned_days(session, los_angeles) == []
    tick(datetime(2026, 5, 24, 21, 5, tzinfo=UTC))  # Auckland Mon 09:05
    assert planned_days(session, auckland) == [date(2026, 5, 25)]
    tick(datetime(2026, 5, 25, 16, 30, tzinfo=UTC))  # LA Mon 09:30, but a public holiday
    assert planned_days(session, los_angeles) == []
    tick(datetime(2026, 5, 26, 15, 55, tzinfo=UTC))  # LA Tue 08:55 PDT
    assert planned_days(session, los_angeles) == []
    tick(datetime(2026, 5, 26, 16, 1, tzinfo=UTC))  # LA Tue 09:01 PDT; Auckland Wed 04:01
    assert planned_days(session, los_angeles) == [date(2026, 5, 26)]
    assert planned_days(session, auckland) == [date(2026, 5, 25)]
    tick(datetime(2026, 5, 26, 16, 30, tzinfo=UTC))  # again the same day: nothing more
    assert planned_days(session, los_angeles) == [date(2026, 5, 26)]
    # Saturday 30 May: neither plans; Monday 1 June is King's Birthday in New Zealand.
    tick(datetime(2026, 5, 29, 21, 30, tzinfo=UTC))  # Auckland Sat 09:30
    tick(datetime(2026, 5, 31, 21, 30, tzinfo=UTC))  # Auckland Mon 1 June 09:30
    tick(datetime(2026, 6, 1, 21, 30, tzinfo=UTC))  # Auckland Tue 2 June 09:30
    assert planned_days(session, auckland) == [date(2026, 5, 25), date(2026, 6, 2)]


def test_a_day_the_scheduler_did_not_run_is_caught_up_the_next_day_once(session) -> None:  # type: ignore[no-untyped-def]
    from tests.reminders.chasing import customer, open_invoice

    organisation = _organisation(session, "Nelson", "Pacific/Auckland", "NZ")
    customer(session, organisation, "late")
    # Due 14 May: the 16-day statement was due on Sat 30 May, then Mon 1 June (a holiday), when
    # nothing ran. It goes on Tuesday 2 June, once.
    open_invoice(session, organisation, "i-late", "late", date(2026, 5, 14))
    for day in (date(2026, 5, 29), date(2026, 6, 2), date(2026, 6, 2)):
        clock.travel_to(datetime(day.year, day.month, day.day, 9, 30, tzinfo=UTC) - timedelta(hours=12))
        outbox.plan_if_due(session, session.get(Organisation, organisation))
    session.expire_all()
    rows = [
        (a.stage_key, a.planned_for)
        for a in session.scalars(
            select(ReminderAction).where(
                ReminderAction.customer_id
                == session.scalar(select(Customer.id).where(Customer.ledger_id == "late"))
            )
        )
    ]
    assert rows == [("inquiry", date(2026, 5, 29)), ("statement", date(2026, 6, 2))]


def test_a_reminder_reaches_quickbooks_as_a_note_on_each_invoice(
    monkeypatch, session, redis_client, mailbox
) -> None:  # type: ignore[no-untyped-def]
    with demo_quickbooks(monkeypatch) as sandbox:
        connection = quickbooks_consent(session, sandbox)
        sync_tenant(connection.id)
        organisation = session.get(Organisation, connection.organisation_id)
        default_schedule(session, organisation.id)
        plan_organisation(session, organisation.id, clock.today(organisation.timezone))
        emails = [a for a in session.scalars(select(ReminderAction)) if a.channel == "email"]
        assert emails, "the demo company has customers to remind"
        action = emails[0]
        outbox.approve(session, action, user_id=None)  # type: ignore[arg-type]
        run_jobs()
        session.expire_all()
        action = session.get(ReminderAction, action.id)
        if action.status == "skipped":
            pytest.fail(f"skipped: {action.reason}")
        assert action.status == "sent" and len(mailbox.messages) == 1
        notes = {
            attachable.body["AttachableRef"][0]["EntityRef"]["value"]: attachable.body["Note"]
            for attachable in sandbox.company(connection.tenant_id).live("Attachable")
            if attachable.body["AttachableRef"][0]["EntityRef"]["type"] == "Invoice"
        }
        for invoice_id in action.sent_invoice_ledger_ids:
            assert action.stage_name in notes[invoice_id]


def test_a_statement_goes_attached_a_letter_joins_the_print_batch_and_a_call_task_has_its_points(
    xero, mailbox
) -> None:  # type: ignore[no-untyped-def]
    from io import BytesIO

    from pypdf import PdfReader

    weekly = xero.customer("Kowhai Cafe", "ap@kowhai.example")
    xero.invoice(weekly, "300.00", days_late=17)  # the weekly statement
    called = xero.customer("Totara Farms", "ap@totara.example")
    xero.invoice(called, "700.00", days_late=29)  # the statement and the day-28 call
    final = xero.customer("Pohutukawa Ltd", "ap@pohutukawa.example")
    xero.invoice(final, "900.00", days_late=125)  # the final demand, by email and letter
    xero.sync()
    xero.plan()
    approve_all(xero)
    for action in xero.actions():
        if action.status == "planned":  # the call task: no approval, queued as the dispatch does
            outbox.dispatch_ready(xero.session, xero.organisation_id)
            break
    run_jobs()

    by_customer = {}
    for action in xero.actions():
        name = xero.session.get(Customer, action.customer_id).name
        by_customer.setdefault(name, []).append(action)
    assert all(a.status == "sent" for actions in by_customer.values() for a in actions), [
        (a.stage_key, a.channel, a.status, a.reason) for actions in by_customer.values() for a in actions
    ]
    statement_mail = next(m for m in mailbox.messages if m["To"] == "ap@kowhai.example")
    (attachment,) = list(statement_mail.iter_attachments())
    assert attachment.get_filename() == "statement.pdf"
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(attachment.get_content())).pages)
    assert "Kowhai Cafe" in text
    (call,) = [a for a in by_customer["Totara Farms"] if a.channel == "call"]
    assert "Totara Farms" in call.text and call.outcome is None
    (letter,) = [a for a in by_customer["Pohutukawa Ltd"] if a.channel == "letter"]
    letter_text = "".join(page.extract_text() for page in PdfReader(BytesIO(letter.letter_pdf)).pages)
    assert "Pohutukawa Ltd" in letter_text and "Final" in letter_text
    assert {m["To"] for m in mailbox.messages} == {
        "ap@kowhai.example",
        "ap@totara.example",
        "ap@pohutukawa.example",
    }

    outbox.record_outcome(xero.session, call, None, CallOutcome.NO_ANSWER, "Left a voicemail")  # type: ignore[arg-type]
    assert outbox.mark_posted(xero.session, [letter], None) == 1  # type: ignore[arg-type]
    run_jobs()
    notes = [
        note
        for invoice in xero.sandbox.books.invoices.values()
        for note in xero.invoice_notes(invoice.invoice_id)
    ]
    assert any("no answer. Left a voicemail" in note for note in notes)
    assert any("posted" in note for note in notes)
