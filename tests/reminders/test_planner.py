"""The planner: what each customer is due, caught up, once, in the firmest stage, with the gap."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from reminders.dispatch.models import ActionStatus, ReminderAction
from reminders.disputes import Dispute
from reminders.models import CollectionSettings, CustomerStanding
from reminders.schedules.models import CustomerChasing
from reminders.schedules.planner import plan_organisation
from runtime.tenancy import Organisation
from tests.reminders.chasing import customer, default_schedule, open_invoice

TODAY = date(2026, 3, 10)  # a Tuesday


@pytest.fixture
def organisation(session) -> int:  # type: ignore[no-untyped-def]
    organisation = Organisation(
        name="Harbour Cafe Ltd", base_currency="NZD", country="NZ", timezone="Pacific/Auckland"
    )
    session.add(organisation)
    session.commit()
    default_schedule(session, organisation.id)
    return organisation.id


def actions(session, organisation_id: int) -> list[tuple[str, str, int, str]]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return [
        (a.stage_key, a.channel, a.repeat, a.planned_for.isoformat())
        for a in session.scalars(
            select(ReminderAction)
            .where(ReminderAction.organisation_id == organisation_id)
            .order_by(ReminderAction.id)
        )
    ]


def test_a_customer_gets_the_stage_it_is_in_once(session, organisation) -> None:  # type: ignore[no-untyped-def]
    customer(session, organisation, "c1")
    open_invoice(session, organisation, "i1", "c1", TODAY - timedelta(days=3))
    assert plan_organisation(session, organisation, TODAY) == 1
    assert plan_organisation(session, organisation, TODAY) == 0
    assert plan_organisation(session, organisation, TODAY + timedelta(days=1)) == 0
    assert actions(session, organisation) == [("inquiry", "email", 0, TODAY.isoformat())]


def test_a_missed_day_is_caught_up_once_and_not_an_earlier_stage(session, organisation) -> None:  # type: ignore[no-untyped-def]
    customer(session, organisation, "c1")
    # 17 days late today: the planner did not run on day 16; the statement is due, not the inquiry.
    open_invoice(session, organisation, "i1", "c1", TODAY - timedelta(days=17))
    assert plan_organisation(session, organisation, TODAY) == 1
    assert plan_organisation(session, organisation, TODAY) == 0
    assert actions(session, organisation) == [("statement", "email", 0, TODAY.isoformat())]


def test_a_stage_repeats_after_its_interval_and_no_more(session, organisation) -> None:  # type: ignore[no-untyped-def]
    customer(session, organisation, "c1")
    open_invoice(session, organisation, "i1", "c1", TODAY - timedelta(days=16))
    plan_organisation(session, organisation, TODAY)
    for action in session.scalars(select(ReminderAction)):
        action.status = ActionStatus.SENT.value
    session.commit()
    for offset in range(1, 15):
        plan_organisation(session, organisation, TODAY + timedelta(days=offset))
        for action in session.scalars(select(ReminderAction).where(ReminderAction.channel == "email")):
            action.status = ActionStatus.SENT.value
        session.commit()
    planned = actions(session, organisation)
    statements = [a for a in planned if a[0] == "statement"]
    assert statements == [
        ("statement", "email", 0, TODAY.isoformat()),
        ("statement", "email", 1, (TODAY + timedelta(days=7)).isoformat()),
    ]
    # The call on day 28 (12 days on) goes beside the messages.
    assert ("call28", "call", 0, (TODAY + timedelta(days=12)).isoformat()) in planned


def test_no_two_messages_within_the_minimum_gap(session, organisation) -> None:  # type: ignore[no-untyped-def]
    customer(session, organisation, "c1")
    # Due in 5 days: the friendly note today; then an older invoice comes in, 2 days late.
    open_invoice(session, organisation, "i1", "c1", TODAY + timedelta(days=5))
    plan_organisation(session, organisation, TODAY)
    open_invoice(session, organisation, "i0", "c1", TODAY - timedelta(days=1))
    assert plan_organisation(session, organisation, TODAY + timedelta(days=1)) == 0
    assert plan_organisation(session, organisation, TODAY + timedelta(days=3)) == 1
    assert [a[0] for a in actions(session, organisation)] == ["friendly", "inquiry"]


def test_invoices_coming_due_go_in_one_friendly_note_and_large_accounts_get_a_call(
    session, organisation
) -> None:  # type: ignore[no-untyped-def]
    customer(session, organisation, "c1")
    customer(session, organisation, "big")
    open_invoice(session, organisation, "i1", "c1", TODAY + timedelta(days=3))
    open_invoice(session, organisation, "i2", "c1", TODAY + timedelta(days=6))
    open_invoice(session, organisation, "i3", "c1", TODAY + timedelta(days=20))  # not yet
    open_invoice(session, organisation, "b1", "big", TODAY + timedelta(days=2), amount="90000")
    session.add(
        CustomerStanding(
            organisation_id=organisation,
            customer_ledger_id="big",
            risk=1,
            explanation="",
            segment="large",
            open_balance=90000,
            overdue_balance=0,
            assessed_on=TODAY,
        )
    )
    session.commit()
    plan_organisation(session, organisation, TODAY)
    rows = {a.channel: a.invoice_ledger_ids for a in session.scalars(select(ReminderAction))}
    assert rows == {"email": ["i1", "i2"], "call": ["b1"]}


def test_disputed_do_not_chase_and_paused_customers_are_left_alone(session, organisation) -> None:  # type: ignore[no-untyped-def]
    for ledger_id in ("disputed", "nochase", "paused", "resumed"):
        found = customer(session, organisation, ledger_id)
        open_invoice(session, organisation, f"i-{ledger_id}", ledger_id, TODAY - timedelta(days=5))
        if ledger_id == "disputed":
            session.add(
                Dispute(organisation_id=organisation, customer_id=found.id, invoice_ledger_id="i-disputed")
            )
        elif ledger_id == "nochase":
            session.add(
                CustomerChasing(organisation_id=organisation, customer_id=found.id, do_not_chase=True)
            )
        elif ledger_id == "paused":
            session.add(
                CustomerChasing(
                    organisation_id=organisation, customer_id=found.id, paused_until=TODAY + timedelta(days=1)
                )
            )
        else:
            session.add(
                CustomerChasing(organisation_id=organisation, customer_id=found.id, paused_until=TODAY)
            )
    session.commit()
    plan_organisation(session, organisation, TODAY)
    planned = session.scalars(select(ReminderAction.invoice_ledger_ids)).all()
    assert planned == [["i-resumed"]]


def test_review_mode_waits_for_a_person_and_automatic_does_not(session, organisation) -> None:  # type: ignore[no-untyped-def]
    customer(session, organisation, "c1")
    open_invoice(session, organisation, "i1", "c1", TODAY - timedelta(days=3))
    plan_organisation(session, organisation, TODAY)
    assert session.scalar(select(ReminderAction.status)) == ActionStatus.AWAITING_APPROVAL.value
    session.add(CollectionSettings(organisation_id=organisation, sending_mode="automatic"))
    customer(session, organisation, "c2")
    open_invoice(session, organisation, "i2", "c2", TODAY - timedelta(days=3))
    plan_organisation(session, organisation, TODAY)
    statuses = session.scalars(select(ReminderAction.status).order_by(ReminderAction.id)).all()
    assert statuses == [ActionStatus.AWAITING_APPROVAL.value, ActionStatus.PLANNED.value]


def test_a_firmer_stage_supersedes_a_message_still_awaiting_approval(session, organisation) -> None:  # type: ignore[no-untyped-def]
    customer(session, organisation, "c1")
    open_invoice(session, organisation, "i1", "c1", TODAY - timedelta(days=14))
    plan_organisation(session, organisation, TODAY)
    plan_organisation(session, organisation, TODAY + timedelta(days=3))
    session.expire_all()
    rows = [
        (a.stage_key, a.status) for a in session.scalars(select(ReminderAction).order_by(ReminderAction.id))
    ]
    assert rows == [("inquiry", "skipped"), ("statement", "awaiting_approval")]


def test_a_paid_oldest_invoice_starts_a_new_run_on_the_next(session, organisation) -> None:  # type: ignore[no-untyped-def]
    customer(session, organisation, "c1")
    oldest = open_invoice(session, organisation, "i1", "c1", TODAY - timedelta(days=20))
    open_invoice(session, organisation, "i2", "c1", TODAY - timedelta(days=2))
    plan_organisation(session, organisation, TODAY)
    oldest.status, oldest.amount_due = "paid", 0
    for action in session.scalars(select(ReminderAction)):
        action.status = ActionStatus.SENT.value
    session.commit()
    plan_organisation(session, organisation, TODAY + timedelta(days=4))
    cycles = session.scalars(select(ReminderAction.cycle).order_by(ReminderAction.id)).all()
    assert cycles == [(TODAY - timedelta(days=20)).isoformat(), (TODAY - timedelta(days=2)).isoformat()]


def test_a_broken_promise_brings_the_next_stage_forward_once_and_past_the_gap(session, organisation) -> None:  # type: ignore[no-untyped-def]
    from decimal import Decimal

    from reminders.promises import Promise, PromiseStatus

    found = customer(session, organisation, "c1")
    open_invoice(session, organisation, "i1", "c1", TODAY - timedelta(days=3))
    plan_organisation(session, organisation, TODAY)
    for action in session.scalars(select(ReminderAction)):
        action.status = ActionStatus.SENT.value
    broken_day = TODAY + timedelta(days=2)  # within the schedule's three-day gap of the inquiry
    session.add(
        Promise(
            organisation_id=organisation, customer_id=found.id, amount=Decimal("100.00"), currency="NZD",
            promised_on=TODAY, until=TODAY + timedelta(days=1), invoice_ledger_ids=["i1"],
            status=PromiseStatus.BROKEN.value, outcome_on=broken_day,
        )
    )  # fmt: skip
    session.commit()

    assert plan_organisation(session, organisation, broken_day) == 1
    for offset in range(1, 15):  # its own day (16 days late) comes: it is not planned again
        plan_organisation(session, organisation, broken_day + timedelta(days=offset))
    assert actions(session, organisation) == [
        ("inquiry", "email", 0, TODAY.isoformat()),
        ("statement", "email", 0, broken_day.isoformat()),
    ]
