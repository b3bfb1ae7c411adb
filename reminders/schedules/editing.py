"""Editing an organisation's schedules: who follows each now, a schedule copied into another (the
practice's schedule applied to a client), and the customers to preview a stage for.

What the schedule pages (web/schedules.py) do besides showing forms; pure reads but for
``apply_to``, which adds to the caller's session (the caller commits).
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

from integration.ledger import InvoiceStatus
from reminders.models import CustomerStanding
from reminders.schedules.models import CustomerChasing, Schedule, Stage, stage_columns
from reminders.schedules.planner import choose_schedule
from runtime.tenancy import Organisation, record
from sync.models import Customer, Invoice


def followers(session: Session, organisation_id: int, found: list[Schedule]) -> Counter[int]:
    """How many of the organisation's customers each schedule is for now (not "do not chase")."""
    choices = {
        row.customer_id: row
        for row in session.scalars(
            select(CustomerChasing).where(CustomerChasing.organisation_id == organisation_id)
        )
    }
    standings = {
        ledger_id: (segment, risk)
        for ledger_id, segment, risk in session.execute(
            select(
                CustomerStanding.customer_ledger_id, CustomerStanding.segment, CustomerStanding.risk
            ).where(CustomerStanding.organisation_id == organisation_id)
        )
    }
    counts: Counter[int] = Counter()
    for customer_id, ledger_id in session.execute(
        select(Customer.id, Customer.ledger_id).where(
            Customer.organisation_id == organisation_id, Customer.deleted.is_(False)
        )
    ):
        choice = choices.get(customer_id)
        if choice is not None and choice.do_not_chase:
            continue
        segment, risk = standings.get(ledger_id, (None, None))
        chosen = choose_schedule(found, choice.schedule_id if choice else None, segment, risk)
        if chosen is not None:
            counts[chosen.id] += 1
    return counts


def copy_into(target: Schedule, source: Schedule) -> None:
    """``target`` made like ``source``: its fields and a copy of each stage (target's stages go)."""
    target.name = source.name
    target.minimum_gap_days = source.minimum_gap_days
    target.segments = list(source.segments)
    target.risk_classes = list(source.risk_classes)
    target.stages = [
        Stage(position=index, **stage_columns(stage.spec())) for index, stage in enumerate(source.stages)
    ]


def customers_owing(
    session: Session, organisation: Organisation, today: date
) -> list[tuple[int, str, Decimal]]:
    """The organisation's customers with open invoices, largest overdue balance first."""
    overdue_sum = func.sum(case((Invoice.due_on < today, Invoice.amount_due), else_=0))
    rows = session.execute(
        select(Customer.id, Customer.name, overdue_sum.label("overdue"))
        .join(
            Invoice,
            (Invoice.organisation_id == Customer.organisation_id)
            & (Invoice.customer_ledger_id == Customer.ledger_id),
        )
        .where(
            Customer.organisation_id == organisation.id,
            Customer.deleted.is_(False),
            Invoice.status == InvoiceStatus.OPEN.value,
            Invoice.amount_due > 0,
        )
        .group_by(Customer.id, Customer.name)
        .order_by(overdue_sum.desc(), Customer.name)
        .limit(500)
    ).all()
    return [(customer_id, name, Decimal(amount or 0)) for customer_id, name, amount in rows]


def apply_to(session: Session, source: Schedule, organisation_id: int, user_id: int) -> bool:
    """Copy ``source`` into the organisation; True when it replaced a schedule of the same name
    (kept in place, with its id, whether it is the default and the customers who chose it)."""
    existing = session.scalar(
        select(Schedule)
        .where(Schedule.organisation_id == organisation_id, Schedule.name == source.name)
        .options(selectinload(Schedule.stages))
        .order_by(Schedule.id)
        .limit(1)
    )
    has_default = session.scalar(
        select(func.count()).where(Schedule.organisation_id == organisation_id, Schedule.is_default.is_(True))
    )
    target = existing or Schedule(
        organisation_id=organisation_id,
        key="",
        is_default=not has_default,
        position=(
            session.scalar(
                select(func.max(Schedule.position)).where(Schedule.organisation_id == organisation_id)
            )
            or 0
        )
        + 1,
    )
    copy_into(target, source)
    target.copied_from_id = source.id
    session.add(target)
    session.flush()
    record(
        session,
        organisation_id,
        "schedule.applied",
        f"schedule:{target.id}",
        user_id,
        name=source.name,
        copied_from=source.id,
        from_organisation=source.organisation_id,
        replaced=existing is not None,
    )
    return existing is not None
