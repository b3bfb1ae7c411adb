"""A small schedule and account to plan on, for the planner's and the outbox's tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from reminders.schedules.models import Schedule, schedule_from
from reminders.schedules.stages import Anchor, Channel, Message, ScheduleSpec, StageSpec
from sync.models import Customer, Invoice

STAMP = datetime(2026, 1, 1, tzinfo=UTC)


def _message(name: str) -> dict[str, Message]:
    return {
        "en": Message(
            f"{name}: {{{{ total_overdue }}}}",
            f"Dear {{{{ customer_name }}}},\n\n{name}.\n\n{{{{ invoices_table }}}}",
        ),
        "fr": Message(
            f"{name} (fr)", f"Bonjour {{{{ customer_name }}}},\n\n{name}.\n\n{{{{ invoices_table }}}}"
        ),
    }


SPEC = ScheduleSpec(
    key="test",
    names={"en": "Test schedule", "fr": "Calendrier d'essai"},
    minimum_gap_days=3,
    stages=(
        StageSpec(
            "friendly",
            {"en": "Friendly note"},
            Anchor.BEFORE_DUE,
            7,
            (Channel.EMAIL,),
            _message("Friendly"),
            large_accounts_call=True,
        ),
        StageSpec(
            "inquiry",
            {"en": "Polite inquiry"},
            Anchor.AFTER_DUE,
            1,
            (Channel.EMAIL,),
            _message("Inquiry"),
            until_days=16,
        ),
        StageSpec(
            "statement",
            {"en": "Statement"},
            Anchor.AFTER_DUE,
            16,
            (Channel.EMAIL,),
            _message("Statement"),
            until_days=31,
            repeat_every=7,
            repeat_times=1,
            attach_statement=True,
        ),
        StageSpec(
            "call28",
            {"en": "Call"},
            Anchor.AFTER_DUE,
            28,
            (Channel.CALL,),
            {},
            talking_points={"en": "Ask when {{ customer_name }} pays."},
            until_days=31,
        ),
        StageSpec(
            "final",
            {"en": "Final demand"},
            Anchor.AFTER_DUE,
            120,
            (Channel.EMAIL, Channel.LETTER),
            _message("Final"),
            needs_approval=True,
            deadline_days=7,
        ),
    ),
)


def default_schedule(session, organisation_id: int, spec: ScheduleSpec = SPEC) -> Schedule:  # type: ignore[no-untyped-def]
    schedule = schedule_from(spec, organisation_id, "en", is_default=True)
    session.add(schedule)
    session.commit()
    return schedule


def customer(
    session, organisation_id: int, ledger_id: str, name: str = "", email: str | None = "ap@example.com"
) -> Customer:  # type: ignore[no-untyped-def]
    found = Customer(
        organisation_id=organisation_id,
        ledger_id=ledger_id,
        name=name or f"Customer {ledger_id}",
        email=email,
        ledger_updated_at=STAMP,
    )
    session.add(found)
    session.commit()
    return found


def open_invoice(
    session,
    organisation_id: int,
    ledger_id: str,
    customer_ledger_id: str,
    due: date,
    amount: str = "100.00",
    status: str = "open",
) -> Invoice:  # type: ignore[no-untyped-def]
    invoice = Invoice(
        organisation_id=organisation_id,
        ledger_id=ledger_id,
        customer_ledger_id=customer_ledger_id,
        number=f"INV-{ledger_id}",
        status=status,
        currency="NZD",
        issued_on=date(due.year, 1, 1) if due.month > 1 else due,
        due_on=due,
        total=Decimal(amount),
        amount_due=Decimal(amount),
        amount_paid=Decimal(0),
        amount_credited=Decimal(0),
        ledger_updated_at=STAMP,
    )
    session.add(invoice)
    session.commit()
    return invoice
