"""Credit holds: a customer whose account went too far is put on hold, in Relance and in the ledger.

The organisation's rules (``HoldRules``, off until the organisation turns them on: a hold is
written to its books and told to its team, so it chooses it) say when: an invoice N days past due
(90 by default), the balance over the customer's credit limit (``CreditLimit``, set per customer in
Relance, in the customer's currency), a promise to pay broken, a risk class. The decision is pure
(``decide``: the account's facts and the rules in, the reason or None out); evaluating it runs in
the collections loop after every sync that changed the customer and each business day
(reminders/loop.py).

A hold is a dated record (``CreditHold``): why (a rule, or a person with a reason), when, and when
and why it was lifted. Placing and lifting each keep, in one transaction: the audit event
(``hold.placed`` / ``hold.lifted``), one notice to the team, and a write to the ledger
(reminders/hold_writes.py, the hold's own outbox).

A hold placed by a rule lifts itself when the overdue balance is cleared (and the balance is back
within the credit limit), in the reaction to the sync that sees the payment. A hold placed by a
person stays until a person releases it: it is their judgement, not the account's arithmetic. A
person who releases a rule's hold overrides that rule for this customer until the overdue balance
is next cleared, so the next evaluation does not put it straight back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Integer, Select, String, Text, UniqueConstraint, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from reminders.team_notices import money_text
from reminders.writeback import customer_subject
from runtime import clock
from runtime.db import Base
from runtime.tenancy import Organisation, record
from sync.models import Customer, Invoice

ZERO = Decimal("0")
CENT = Decimal("0.01")
PLACED, LIFTED = "hold.placed", "hold.lifted"
# How far back a broken promise counts when nothing was lifted since.
PROMISE_WINDOW = timedelta(days=90)
# More holds than this placed (or lifted) in one evaluation are told in one notice listing them.
SUMMARY_OVER = 3
CLEARED = "the overdue balance is cleared"

AfterCommit = Callable[[], None]


class HoldReason:
    """Why a hold was placed: a rule's key, or a person."""

    DAYS_PAST_DUE = "days_past_due"
    CREDIT_LIMIT = "credit_limit"
    BROKEN_PROMISE = "broken_promise"
    RISK_CLASS = "risk_class"
    PERSON = "person"


class HoldRules(Base):
    """An organisation's credit-hold rules. A rule set to None (or False) does not fire."""

    __tablename__ = "credit_hold_rules"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    days_past_due: Mapped[int | None] = mapped_column(Integer, default=90)
    over_credit_limit: Mapped[bool] = mapped_column(Boolean, default=True)
    broken_promise: Mapped[bool] = mapped_column(Boolean, default=True)
    # Hold a customer whose risk class (reminders.risk.RiskClass) is this or worse; None: never.
    risk_class: Mapped[int | None] = mapped_column(Integer, default=None)


class CreditLimit(Base):
    """How much a customer may owe in all, in the customer's currency."""

    __tablename__ = "credit_limits"
    __table_args__ = (UniqueConstraint("organisation_id", "customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    set_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    set_at: Mapped[datetime] = mapped_column(default=clock.now)


class CreditHold(Base):
    """A customer on hold: from ``placed_at`` until ``lifted_at`` (None while it lasts)."""

    __tablename__ = "credit_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(20))  # HoldReason
    detail: Mapped[str] = mapped_column(Text, default="")  # the rule's words, or the person's reason
    placed_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    placed_at: Mapped[datetime] = mapped_column(default=clock.now)
    lifted_at: Mapped[datetime | None] = mapped_column(default=None)
    lifted_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    lift_reason: Mapped[str] = mapped_column(Text, default="")
    # A person released a rule's hold: the rules leave the customer alone until the overdue
    # balance is next cleared.
    release_stands: Mapped[bool] = mapped_column(Boolean, default=False)


# --- the decision (pure) --------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """The rules as the decision reads them."""

    enabled: bool = False
    days_past_due: int | None = 90
    over_credit_limit: bool = True
    broken_promise: bool = True
    risk_class: int | None = None


@dataclass(frozen=True)
class AccountFacts:
    """What the decision knows of one customer's account on a day."""

    oldest_days_past_due: int  # 0 when nothing is past due
    overdue_balance: Decimal  # in the credit limit's currency when there is one
    balance: Decimal  # all that is owed, in the same currency
    credit_limit: Decimal | None = None
    risk_class: int | None = None
    broken_promise: bool = False
    # A person released a hold placed for this reason and it still stands.
    overridden: str | None = None
    currency: str = ""  # the currency of the amounts above


@dataclass(frozen=True)
class Decision:
    reason: str
    detail: str  # in English, for the ledger's notes and the team's notice
    # The rule's figures (``days``; ``balance``, ``limit``, ``currency``; ``risk``), kept in the
    # audit event so that a page words the reason in its reader's language.
    figures: dict[str, str] = field(default_factory=dict)


def decide(rules: Rules, facts: AccountFacts) -> Decision | None:
    """Why the customer should be on hold, or None. Only the credit limit holds an account with
    nothing overdue: the other rules speak of an account that is late."""
    if not rules.enabled:
        return None
    found: list[Decision] = []
    late = facts.overdue_balance > ZERO
    if late and rules.days_past_due is not None and facts.oldest_days_past_due >= rules.days_past_due:
        days = facts.oldest_days_past_due
        found.append(
            Decision(HoldReason.DAYS_PAST_DUE, f"an invoice is {days} days past due", {"days": str(days)})
        )
    if rules.over_credit_limit and facts.credit_limit is not None and facts.balance > facts.credit_limit:
        found.append(
            Decision(
                HoldReason.CREDIT_LIMIT,
                f"the balance {money_text(facts.balance, facts.currency)} is over the limit "
                f"{money_text(facts.credit_limit, facts.currency)}",
                {
                    "balance": str(facts.balance.quantize(CENT)),
                    "limit": str(facts.credit_limit),
                    "currency": facts.currency,
                },
            )
        )
    if late and rules.broken_promise and facts.broken_promise:
        found.append(Decision(HoldReason.BROKEN_PROMISE, "a promise to pay was broken"))
    if (
        late
        and rules.risk_class is not None
        and facts.risk_class is not None
        and facts.risk_class >= rules.risk_class
    ):
        found.append(
            Decision(
                HoldReason.RISK_CLASS,
                f"the risk class is {facts.risk_class}",
                {"risk": str(facts.risk_class)},
            )
        )
    for decision in found:
        if decision.reason != facts.overridden:
            return decision
    return None


def clears(facts: AccountFacts) -> bool:
    """Whether a rule's hold lifts itself: nothing overdue and the balance within the limit."""
    within = facts.credit_limit is None or facts.balance <= facts.credit_limit
    return facts.overdue_balance <= ZERO and within


# --- reading the mirror ---------------------------------------------------------------------------


def rules_of(session: Session, organisation_id: int) -> HoldRules:
    """The organisation's rules, the defaults (off) if it never saved any; not added to the session."""
    found = session.get(HoldRules, organisation_id)
    if found is not None:
        return found
    return HoldRules(
        organisation_id=organisation_id,
        enabled=False,
        days_past_due=90,
        over_credit_limit=True,
        broken_promise=True,
        risk_class=None,
    )


def as_rules(row: HoldRules) -> Rules:
    return Rules(row.enabled, row.days_past_due, row.over_credit_limit, row.broken_promise, row.risk_class)


def current_hold(session: Session, organisation_id: int, customer_id: int) -> CreditHold | None:
    """The customer's hold while it lasts."""
    return session.scalar(
        select(CreditHold).where(
            CreditHold.organisation_id == organisation_id,
            CreditHold.customer_id == customer_id,
            CreditHold.lifted_at.is_(None),
        )
    )


def is_on_hold(session: Session, organisation_id: int, customer_id: int) -> bool:
    """Whether the customer is on hold now (statements and reminders say so)."""
    return current_hold(session, organisation_id, customer_id) is not None


def on_hold_customers(organisation_id: int) -> Select[int]:
    """A select of the ids of the organisation's customers on hold (the customer list's filter)."""
    return select(CreditHold.customer_id).where(
        CreditHold.organisation_id == organisation_id, CreditHold.lifted_at.is_(None)
    )


def credit_limit_of(session: Session, organisation_id: int, customer_id: int) -> CreditLimit | None:
    return session.scalar(
        select(CreditLimit).where(
            CreditLimit.organisation_id == organisation_id, CreditLimit.customer_id == customer_id
        )
    )


def facts_of(session: Session, organisation: Organisation, customer: Customer, today: date) -> AccountFacts:
    """The customer's account as the decision reads it, from the mirror. Disputed invoices are left
    out (a contested amount is not held against the customer); amounts are in the credit limit's
    currency, else the organisation's base currency, converted at each invoice's rate."""
    from reminders.disputes import disputed_invoices
    from reminders.models import CustomerStanding
    from reminders.promises import broken_promise_since

    limit = credit_limit_of(session, organisation.id, customer.id)
    currency = limit.currency if limit is not None else organisation.base_currency
    disputed = disputed_invoices(session, organisation.id)
    rows = session.scalars(
        select(Invoice).where(
            Invoice.organisation_id == organisation.id,
            Invoice.customer_ledger_id == customer.ledger_id,
            Invoice.status == "open",
            Invoice.amount_due > 0,
        )
    ).all()
    balance = overdue = ZERO
    oldest = 0
    for row in rows:
        if row.ledger_id in disputed:
            continue
        if row.currency == currency:
            amount = row.amount_due
        elif currency == organisation.base_currency and row.currency_rate:
            amount = row.amount_due * row.currency_rate
        else:
            continue  # an amount in a third currency cannot be weighed against this limit
        balance += amount
        if row.due_on is not None and row.due_on < today:
            overdue += amount
            oldest = max(oldest, (today - row.due_on).days)
    standing = session.scalar(
        select(CustomerStanding.risk).where(
            CustomerStanding.organisation_id == organisation.id,
            CustomerStanding.customer_ledger_id == customer.ledger_id,
        )
    )
    last = _last_hold(session, organisation.id, customer.id)
    # The rule a person overrode stays overridden until the account clears, whatever holds by hand
    # came after (a release of a person's hold does not bring the rule back).
    released = _standing_release(session, organisation.id, customer.id)
    since = today - PROMISE_WINDOW
    if last is not None and last.lifted_at is not None:
        since = max(since, last.lifted_at.date())
    return AccountFacts(
        oldest_days_past_due=oldest,
        overdue_balance=overdue,
        balance=balance,
        credit_limit=limit.amount if limit is not None else None,
        currency=currency,
        risk_class=standing,
        broken_promise=broken_promise_since(session, organisation.id, customer.id, since),
        overridden=released.reason if released is not None else None,
    )


def _standing_release(session: Session, organisation_id: int, customer_id: int) -> CreditHold | None:
    """The latest rule's hold a person released, while that release stands."""
    return session.scalar(
        select(CreditHold)
        .where(
            CreditHold.organisation_id == organisation_id,
            CreditHold.customer_id == customer_id,
            CreditHold.release_stands.is_(True),
        )
        .order_by(CreditHold.placed_at.desc(), CreditHold.id.desc())
        .limit(1)
    )


def _last_hold(session: Session, organisation_id: int, customer_id: int) -> CreditHold | None:
    return session.scalar(
        select(CreditHold)
        .where(CreditHold.organisation_id == organisation_id, CreditHold.customer_id == customer_id)
        .order_by(CreditHold.placed_at.desc(), CreditHold.id.desc())
        .limit(1)
    )


# --- acting on it ---------------------------------------------------------------------------------


def evaluate(
    session: Session, organisation: Organisation, customers: Sequence[Customer], today: date
) -> list[AfterCommit]:
    """Place the holds the rules call for and lift the rules' holds that cleared, for these
    customers; returns what to queue once the caller commits. Each hold is told to the team on its
    own, unless more than ``SUMMARY_OVER`` are placed (or lifted) in this evaluation: then one
    notice lists them (the rules turned on, or a first sync, would otherwise send one per customer)."""
    rules_row = rules_of(session, organisation.id)
    rules = as_rules(rules_row)
    to_place: list[tuple[Customer, Decision]] = []
    to_lift: list[tuple[Customer, CreditHold]] = []
    for customer in customers:
        if customer.organisation_id != organisation.id:
            continue
        hold = current_hold(session, organisation.id, customer.id)
        if hold is None and not rules.enabled:
            continue  # nothing to place, nothing to lift: the mirror is not read for it
        facts = facts_of(session, organisation, customer, today)
        if hold is None:
            if facts.overridden is not None and clears(facts):
                # cleared: the rules speak again
                session.execute(
                    update(CreditHold)
                    .where(
                        CreditHold.organisation_id == organisation.id,
                        CreditHold.customer_id == customer.id,
                        CreditHold.release_stands.is_(True),
                    )
                    .values(release_stands=False)
                )
                facts = replace(facts, overridden=None)
            decision = decide(rules, facts)
            if decision is not None:
                to_place.append((customer, decision))
        elif hold.reason != HoldReason.PERSON and clears(facts):
            to_lift.append((customer, hold))
    after: list[AfterCommit] = []
    each = len(to_place) <= SUMMARY_OVER
    placed: list[tuple[Customer, str]] = []
    for customer, decision in to_place:
        after.extend(
            place(session, customer, decision.reason, decision.detail, None, decision.figures, tell=each)
        )
        placed.append((customer, decision.detail))
    each = len(to_lift) <= SUMMARY_OVER
    lifted: list[tuple[Customer, str]] = []
    for customer, hold in to_lift:
        after.extend(lift(session, customer, hold, CLEARED, None, tell=each))
        lifted.append((customer, hold.detail))
    if len(placed) > SUMMARY_OVER:
        after.extend(_tell_summary(session, organisation.id, PLACED, placed))
    if len(lifted) > SUMMARY_OVER:
        after.extend(_tell_summary(session, organisation.id, LIFTED, lifted))
    return after


def _tell_summary(
    session: Session, organisation_id: int, kind: str, told: list[tuple[Customer, str]]
) -> list[AfterCommit]:
    """One notice to the owners listing the customers put on (or taken off) hold in one
    evaluation, under a key naming it: the kind and the first and last hold it made."""
    from reminders.team_notices import queue_notices, tell_team

    first = _latest_hold_id(session, organisation_id, told[0][0].id)
    last = _latest_hold_id(session, organisation_id, told[-1][0].id)
    lines = "\n".join(f"- {customer.name}: {why}" for customer, why in told)
    if kind == PLACED:
        subject = f"{len(told)} customers are on credit hold"
        text = (
            f"These {len(told)} customers were put on credit hold by the rules:\n\n{lines}\n\n"
            "Statements and reminders now say each account is on hold, and the ledger marks the contacts."
        )
    else:
        subject = f"{len(told)} customers are off credit hold"
        text = f"These {len(told)} customers' credit holds were lifted: {CLEARED}.\n\n{lines}"
    notice = tell_team(session, organisation_id, f"{kind}:summary:{first}-{last}", kind, subject, text)
    return [lambda: queue_notices([notice])]


def _latest_hold_id(session: Session, organisation_id: int, customer_id: int) -> int:
    """The id of the customer's latest hold (lasting or just lifted)."""
    last = _last_hold(session, organisation_id, customer_id)
    return last.id if last is not None else 0


def change_step(
    session: Session, organisation: Organisation, customers: Sequence[Customer]
) -> list[AfterCommit]:
    """The loop's step after a sync changed these customers' accounts."""
    return evaluate(session, organisation, customers, clock.today(organisation.timezone))


def day_step(session: Session, organisation: Organisation, day: date) -> list[AfterCommit]:
    """The loop's step each business day: every customer with something owed, or on hold."""
    owing = select(Invoice.customer_ledger_id).where(
        Invoice.organisation_id == organisation.id, Invoice.status == "open", Invoice.amount_due > 0
    )
    customers = session.scalars(
        select(Customer).where(
            Customer.organisation_id == organisation.id,
            Customer.ledger_id.in_(owing) | Customer.id.in_(on_hold_customers(organisation.id)),
        )
    ).all()
    return evaluate(session, organisation, customers, day)


def place(
    session: Session,
    customer: Customer,
    reason: str,
    detail: str,
    user_id: int | None,
    figures: dict[str, str] | None = None,
    *,
    tell: bool = True,
) -> list[AfterCommit]:
    """Put the customer on hold (nothing if it is already): the record, its audit event (with the
    rule's figures), one notice to the team unless ``tell`` is False (the caller tells it in a
    summary) and the ledger's mark; returns what to queue after the commit."""
    from reminders.hold_writes import WriteKind, keep_write, queue_hold_writes
    from reminders.team_notices import queue_notices, tell_team

    organisation_id = customer.organisation_id
    if current_hold(session, organisation_id, customer.id) is not None:
        return []
    hold = CreditHold(
        organisation_id=organisation_id,
        customer_id=customer.id,
        reason=reason,
        detail=detail,
        placed_by_user_id=user_id,
        placed_at=clock.now(),
        lift_reason="",
        release_stands=False,
    )
    session.add(hold)
    session.flush()
    record(
        session,
        organisation_id,
        PLACED,
        customer_subject(customer.id),
        user_id,
        hold=hold.id,
        reason=reason,
        why=detail,
        figures=figures or {},
    )
    write = keep_write(session, hold, WriteKind.PLACE)
    if not tell:
        return [lambda: queue_hold_writes([write])]
    notice = tell_team(
        session,
        organisation_id,
        f"{PLACED}:{hold.id}",
        PLACED,
        f"{customer.name} is on credit hold",
        f"{customer.name} was put on credit hold: {detail}.\n\n"
        "Statements and reminders now say the account is on hold, and the ledger marks the contact.",
        customer.id,
    )
    return [lambda: queue_notices([notice]), lambda: queue_hold_writes([write])]


def lift(
    session: Session,
    customer: Customer,
    hold: CreditHold,
    why: str,
    user_id: int | None,
    *,
    tell: bool = True,
) -> list[AfterCommit]:
    """End the hold: the record, its audit event, one notice to the team (unless ``tell`` is False)
    and the ledger unmarked."""
    from reminders.hold_writes import WriteKind, keep_write, queue_hold_writes
    from reminders.team_notices import queue_notices, tell_team

    if hold.lifted_at is not None:
        return []
    hold.lifted_at, hold.lifted_by_user_id, hold.lift_reason = clock.now(), user_id, why
    # A person's release of a rule's hold stands until the account clears.
    hold.release_stands = user_id is not None and hold.reason != HoldReason.PERSON
    organisation_id = customer.organisation_id
    record(
        session,
        organisation_id,
        LIFTED,
        customer_subject(customer.id),
        user_id,
        hold=hold.id,
        why=why,
        cleared=user_id is None and why == CLEARED,
    )
    write = keep_write(session, hold, WriteKind.RELEASE)
    if not tell:
        return [lambda: queue_hold_writes([write])]
    notice = tell_team(
        session,
        organisation_id,
        f"{LIFTED}:{hold.id}",
        LIFTED,
        f"{customer.name} is off credit hold",
        f"{customer.name}'s credit hold was lifted: {why}.",
        customer.id,
    )
    return [lambda: queue_notices([notice]), lambda: queue_hold_writes([write])]


def set_credit_limit(
    session: Session, customer: Customer, amount: Decimal | None, currency: str, user_id: int | None
) -> None:
    """Set (or, with None, remove) the customer's credit limit; audited as ``hold.limit``."""
    found = credit_limit_of(session, customer.organisation_id, customer.id)
    if amount is None:
        if found is not None:
            session.delete(found)
    elif found is None:
        session.add(
            CreditLimit(
                organisation_id=customer.organisation_id,
                customer_id=customer.id,
                amount=amount,
                currency=currency,
                set_by_user_id=user_id,
                set_at=clock.now(),
            )
        )
    else:
        found.amount, found.currency, found.set_by_user_id, found.set_at = (
            amount,
            currency,
            user_id,
            clock.now(),
        )
    record(
        session,
        customer.organisation_id,
        "hold.limit",
        customer_subject(customer.id),
        user_id,
        amount=None if amount is None else str(amount),
        currency=currency,
    )
