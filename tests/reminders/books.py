"""A Xero organisation Relance is connected to, over HTTP to the sandbox, for the collections
tests: raise customers and invoices in the ledger, sync, plan, run the queued jobs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from rq import SimpleWorker
from sqlalchemy import select

from integration.sandbox.xero.sandbox import XeroSandbox
from reminders.dispatch import outbox
from reminders.dispatch.models import ActionStatus, ReminderAction
from reminders.schedules.planner import plan_organisation
from runtime import clock, jobs
from runtime.tenancy import Organisation
from sync.jobs import sync_tenant


def run_jobs() -> None:
    SimpleWorker([jobs.queue(name) for name in jobs.QUEUES], connection=jobs.connection()).work(burst=True)


class XeroBooks:
    """An empty Xero organisation Relance is connected to, with customers raised in the sandbox."""

    def __init__(self, sandbox: XeroSandbox, session, organisation_id: int, connection_id: int) -> None:  # type: ignore[no-untyped-def]
        self.sandbox, self.session = sandbox, session
        self.organisation_id, self.connection_id = organisation_id, connection_id

    def customer(self, name: str, email: str = "ap@example.com") -> str:
        return self.sandbox.create_contact(name, email=email).contact_id

    def invoice(self, contact_id: str, amount: str, days_late: int) -> str:
        today = self.sandbox.clock.today()
        issued = today - timedelta(days=days_late + 30)
        return self.sandbox.create_invoice(contact_id, Decimal(amount), 30, issued=issued).invoice_id

    def sync(self) -> None:
        sync_tenant(self.connection_id)
        self.session.expire_all()

    def plan(self) -> int:
        organisation = self.session.get(Organisation, self.organisation_id)
        return plan_organisation(self.session, self.organisation_id, clock.today(organisation.timezone))

    def actions(self) -> list[ReminderAction]:
        self.session.expire_all()
        return list(
            self.session.scalars(
                select(ReminderAction)
                .where(ReminderAction.organisation_id == self.organisation_id)
                .order_by(ReminderAction.id)
            )
        )

    def invoice_notes(self, invoice_id: str) -> list[str]:
        return [
            record.details
            for record in self.sandbox.books.invoices[invoice_id.lower()].history
            if record.changes == "Note"
        ]


def approve_all(books: XeroBooks) -> None:
    for action in books.actions():
        if action.status == ActionStatus.AWAITING_APPROVAL.value:
            outbox.approve(books.session, action, user_id=None)  # type: ignore[arg-type]
