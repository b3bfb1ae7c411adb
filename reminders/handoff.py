"""The end of the road: when Relance's reminders have done what they can, hand the customer to a
collection agency, or write the balance off.

Decided, then acted on (house style 15, 16):

- ``recommend`` is pure: a customer's account (its overdue balance, how late its oldest invoice is,
  whether the ledger archived the customer) and the organisation's rules in, a recommendation out,
  with the collection odds the references give for that age.
- A hand-off is a dated record (``Handoff``: agency, reference, note, who, when, and who took it
  back and when). While one is open Relance chases nothing of that customer: the planner plans
  nothing for them and the send job skips what was already planned. Taking it back resumes.

The rules are the organisation's own (``HandoffSettings``): the age, 90 days past due unless it
chose another (the references put the end of in-house chasing at 80 to 90 days), and the balance
below which a write-off is advised rather than a hand-off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from reminders.models import LedgerNote
from reminders.receivables.aging import AgingBasis, Buckets, open_invoices
from reminders.receivables.snapshots import settings_of
from reminders.writeback import record_note, subject_of
from runtime import clock
from runtime.db import Base
from runtime.tenancy import Organisation, record
from sync.models import Customer

HANDED_OFF = "customer.handed_off"
TAKEN_BACK = "customer.taken_back"

DEFAULT_AGE_DAYS = 90
# Agencies work on contingency, commonly a quarter to a half of what they recover, often with a
# minimum fee per account: below about a hundred in the base currency, placing a debt costs about
# what it could bring back, so the balance is better written off (and the customer's time in
# the ledger closed). The organisation sets its own.
DEFAULT_WRITE_OFF_BELOW = Decimal("100")
LONGEST_AGE = 3650
LONGEST_AGENCY = 200
LONGEST_REFERENCE = 100
LONGEST_NOTE = 1000


@dataclass(frozen=True)
class CollectionOdds:
    """What share of commercial debts of an age US collection agencies still collect."""

    days: int  # the survey's age: 90, 180 or 365 days past due
    percent: Decimal


# The Commercial Collection Agency Association's survey of its members (US commercial collection
# agencies), as its figures are usually quoted: 68.9% of accounts collectable at three months past
# due, 51.3% at six, 21.4% at a year. https://www.cstworldwide.com/resources-collection-statistics.html
# ("The Shrinking Dollar": $.69 at 3 months, $.51 at 6 months, $.21 at a year; the page's own text
# gives 8.9% at a year, which the dollar table does not). Other surveys of the same association put
# the figures a few points apart (73%, 50%, 25%: https://commercialrecoveryinc.com/?page_id=352), so
# they are shown as the references say, never as a forecast of this customer.
SURVEY: tuple[CollectionOdds, ...] = (
    CollectionOdds(90, Decimal("68.9")),
    CollectionOdds(180, Decimal("51.3")),
    CollectionOdds(365, Decimal("21.4")),
)


def odds_at(days_late: int) -> CollectionOdds:
    """The survey's figure for a debt ``days_late``: the last age it has reached (the first, for a
    debt younger than any: what it is about to become)."""
    reached = [odds for odds in SURVEY if odds.days <= days_late]
    return reached[-1] if reached else SURVEY[0]


class Advice(StrEnum):
    HAND_OFF = "hand_off"  # to a collection agency
    WRITE_OFF = "write_off"


class Why(StrEnum):
    OLD = "old"  # past the age, worth an agency's work
    SMALL = "small"  # past the age, below the write-off threshold
    GONE = "gone"  # past the age, the customer archived in the ledger


@dataclass(frozen=True)
class HandoffRules:
    age_days: int = DEFAULT_AGE_DAYS
    write_off_below: Decimal = DEFAULT_WRITE_OFF_BELOW


@dataclass(frozen=True)
class HandoffAccount:
    """A customer's account as the recommendation reads it."""

    overdue: Decimal  # base currency, past due
    oldest_days_late: int | None  # days past due of the oldest overdue invoice; None: none
    archived: bool = False  # archived (Xero) or made inactive (QuickBooks) in the ledger


@dataclass(frozen=True)
class Recommendation:
    advice: Advice
    why: Why
    days_late: int
    overdue: Decimal
    odds: CollectionOdds


def recommend(account: HandoffAccount, rules: HandoffRules) -> Recommendation | None:
    """What to do with an account whose oldest overdue invoice reached the age; None before."""
    days = account.oldest_days_late
    if days is None or days < rules.age_days or account.overdue <= 0:
        return None
    if account.archived:
        advice, why = Advice.WRITE_OFF, Why.GONE
    elif account.overdue < rules.write_off_below:
        advice, why = Advice.WRITE_OFF, Why.SMALL
    else:
        advice, why = Advice.HAND_OFF, Why.OLD
    return Recommendation(advice, why, days, account.overdue, odds_at(days))


# What is kept --------------------------------------------------------------------------------------


class HandoffSettings(Base):
    """An organisation's end-of-the-road rules."""

    __tablename__ = "handoff_settings"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    age_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_AGE_DAYS)
    write_off_below: Mapped[Decimal] = mapped_column(default=DEFAULT_WRITE_OFF_BELOW)  # base currency


class Handoff(Base):
    """A customer handed to a collection agency, from when to when (open while ``taken_back_at``
    is None)."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    agency: Mapped[str] = mapped_column(String(LONGEST_AGENCY))
    reference: Mapped[str] = mapped_column(String(LONGEST_REFERENCE), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    handed_off_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    handed_off_at: Mapped[datetime] = mapped_column(default=clock.now)
    taken_back_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    taken_back_at: Mapped[datetime | None] = mapped_column(default=None)
    taken_back_reason: Mapped[str] = mapped_column(Text, default="")


def rules_of(session: Session, organisation_id: int) -> HandoffRules:
    """The organisation's rules, the defaults where it chose none."""
    kept = session.get(HandoffSettings, organisation_id)
    if kept is None:
        return HandoffRules()
    return HandoffRules(age_days=kept.age_days, write_off_below=Decimal(kept.write_off_below))


def open_handoff(session: Session, organisation_id: int, customer_id: int) -> Handoff | None:
    """The customer's hand-off in force, if any."""
    return session.scalar(
        select(Handoff).where(
            Handoff.organisation_id == organisation_id,
            Handoff.customer_id == customer_id,
            Handoff.taken_back_at.is_(None),
        )
    )


def handed_off_customers(session: Session, organisation_id: int) -> set[int]:
    """The ids of the organisation's customers with a hand-off in force: Relance chases none."""
    return set(
        session.scalars(
            select(Handoff.customer_id).where(
                Handoff.organisation_id == organisation_id, Handoff.taken_back_at.is_(None)
            )
        )
    )


# Reading the accounts ------------------------------------------------------------------------------


def _overdue_by_customer(
    session: Session, organisation_id: int, today: date, customer_ledger_id: str | None = None
) -> dict[str, tuple[Decimal, int]]:
    """Per customer ledger id: the overdue balance (base currency) and the oldest invoice's days
    past due, aged by due date whatever basis the organisation's aging report uses."""
    edges = tuple(settings_of(organisation_id).aging_edges)
    items = open_invoices(
        session, organisation_id, today, AgingBasis.DUE_DATE, Buckets(edges), customer_ledger_id
    ).subquery()
    rows = session.execute(
        select(items.c.customer, func.sum(items.c.base_balance), func.max(items.c.days))
        .where(items.c.days > 0)
        .group_by(items.c.customer)
    )
    return {customer: (Decimal(overdue), int(days)) for customer, overdue, days in rows}


def recommendation_for(
    session: Session, organisation: Organisation, customer: Customer
) -> Recommendation | None:
    """The recommendation for one customer today."""
    today = clock.today(organisation.timezone)
    overdue, days = _overdue_by_customer(session, organisation.id, today, customer.ledger_id).get(
        customer.ledger_id, (Decimal("0"), None)
    )
    account = HandoffAccount(overdue, days, archived=not customer.active)
    return recommend(account, rules_of(session, organisation.id))


@dataclass(frozen=True)
class PastTheAge:
    customer_id: int
    name: str
    recommendation: Recommendation


def customers_past_the_age(session: Session, organisation: Organisation) -> list[PastTheAge]:
    """The organisation's customers past the age and not handed off yet, the largest balance first.

    Who is past the age is kept under the mirror version (with today, the buckets and the age):
    finding it ages every invoice, and the dashboard asks on each request. Hand-offs and the
    write-off threshold change without the mirror, so they are read and applied each time."""
    from reminders.receivables.kept_figures import kept_document

    rules = rules_of(session, organisation.id)
    today = clock.today(organisation.timezone)
    edges = tuple(settings_of(organisation.id).aging_edges)
    late = kept_document(
        session,
        organisation.id,
        "past-the-age",
        (today.isoformat(), ",".join(map(str, edges)), rules.age_days),
        lambda: _past_the_age_rows(session, organisation.id, today, rules.age_days),
    )
    if not late:
        return []
    handed_off = handed_off_customers(session, organisation.id)
    found: list[PastTheAge] = []
    for customer_id, name, active, overdue, days in late:
        if customer_id in handed_off:
            continue
        advice = recommend(HandoffAccount(Decimal(overdue), int(days), archived=not active), rules)
        if advice is not None:
            found.append(PastTheAge(customer_id, name, advice))
    found.sort(key=lambda row: (-row.recommendation.overdue, row.name.casefold(), row.customer_id))
    return found


def _past_the_age_rows(session: Session, organisation_id: int, today: date, age_days: int) -> list[list[Any]]:
    """[customer id, name, active, overdue (text), days] of each customer whose oldest invoice is
    at least ``age_days`` past due."""
    balances = _overdue_by_customer(session, organisation_id, today)
    late = {ledger_id for ledger_id, (_, days) in balances.items() if days >= age_days}
    if not late:
        return []
    rows = session.execute(
        select(Customer.id, Customer.ledger_id, Customer.name, Customer.active).where(
            Customer.organisation_id == organisation_id,
            Customer.deleted.is_(False),
        )
    )
    return [
        [customer_id, name, active, str(balances[ledger_id][0]), balances[ledger_id][1]]
        for customer_id, ledger_id, name, active in rows
        if ledger_id in late
    ]


# Acting --------------------------------------------------------------------------------------------


class AlreadyHandedOff(Exception):
    """The customer has a hand-off in force: hand them off once."""


def hand_off(
    session: Session,
    customer: Customer,
    agency: str,
    reference: str,
    note: str,
    user_id: int,
    note_key: str,
    ledger_text: str,
) -> tuple[Handoff, list[LedgerNote]]:
    """Hand ``customer`` to ``agency``: the record, its audit event, their pending reminders
    skipped and a note for the ledger's contact, in the caller's transaction. Returns the hand-off and the new ledger notes, which the
    caller queues (``writeback.queue_writes``) after it commits."""
    if open_handoff(session, customer.organisation_id, customer.id) is not None:
        raise AlreadyHandedOff(customer.id)
    handoff = Handoff(
        organisation_id=customer.organisation_id,
        customer_id=customer.id,
        agency=agency[:LONGEST_AGENCY],
        reference=reference[:LONGEST_REFERENCE],
        note=note[:LONGEST_NOTE],
        handed_off_by_user_id=user_id,
        handed_off_at=clock.now(),
        taken_back_reason="",
    )
    session.add(handoff)
    session.flush()
    record(
        session,
        customer.organisation_id,
        HANDED_OFF,
        subject_of(customer),
        user_id,
        handoff=handoff.id,
        agency=handoff.agency,
        reference=handoff.reference,
        note=handoff.note,
    )
    from reminders.dispatch.outbox import skip_pending_of

    # Chasing stops now, not at the next planning: nothing awaiting approval or planned goes.
    skip_pending_of(session, customer, user_id, f"handed off to {handoff.agency}")
    kept, new = record_note(session, customer, user_id, ledger_text, note_key)
    return handoff, [kept] if new else []


def take_back(
    session: Session,
    customer: Customer,
    reason: str,
    user_id: int,
    note_key: str,
    ledger_text: str,
) -> tuple[Handoff | None, list[LedgerNote]]:
    """End the customer's hand-off: Relance chases them again from its next planning. None (and
    nothing done) when none is in force."""
    handoff = open_handoff(session, customer.organisation_id, customer.id)
    if handoff is None:
        return None, []
    handoff.taken_back_at = clock.now()
    handoff.taken_back_by_user_id = user_id
    handoff.taken_back_reason = reason[:LONGEST_NOTE]
    record(
        session,
        customer.organisation_id,
        TAKEN_BACK,
        subject_of(customer),
        user_id,
        handoff=handoff.id,
        agency=handoff.agency,
        reason=handoff.taken_back_reason,
    )
    kept, new = record_note(session, customer, user_id, ledger_text, note_key)
    return handoff, [kept] if new else []
