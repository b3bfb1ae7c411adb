"""Simulated customers: when (and whether) each one pays an invoice.

Credit control is only testable against customers who behave like real ones: most pay on time,
some pay late, some only after a reminder, a few never pay, and some dispute. A persona turns an
invoice (issue date, due date, first reminder) into a payment intent, deterministically for a
given random stream, so a seeded sandbox replays the same story every run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum


class Persona(StrEnum):
    """How a customer pays."""

    PROMPT = "prompt"
    SLOW = "slow"
    PAYS_AFTER_REMINDER = "pays_after_reminder"
    NEVER_PAYS = "never_pays"
    DISPUTES = "disputes"


# Share of customers per persona in a typical small business ledger (most pay within terms,
# a tail pays late or not at all); used by the seeded companies.
TYPICAL_MIX: dict[Persona, float] = {
    Persona.PROMPT: 0.55,
    Persona.SLOW: 0.25,
    Persona.PAYS_AFTER_REMINDER: 0.12,
    Persona.NEVER_PAYS: 0.04,
    Persona.DISPUTES: 0.04,
}


@dataclass(frozen=True)
class PaymentIntent:
    """What the customer will do: pay `share` of the balance on `pay_on`, or nothing (None)."""

    pay_on: date | None
    share: Decimal = Decimal(1)
    disputes: bool = False

    def due_by(self, today: date) -> bool:
        """True when the payment should have happened by `today`."""
        return self.pay_on is not None and self.pay_on <= today


def choose_persona(rng: random.Random, mix: dict[Persona, float] | None = None) -> Persona:
    """Draw a persona from a mix (weights need not sum to one)."""
    mix = mix or TYPICAL_MIX
    personas = list(mix)
    return rng.choices(personas, weights=[mix[p] for p in personas], k=1)[0]


def payment_intent(
    persona: Persona,
    rng: random.Random,
    issued: date,
    due: date,
    reminded_on: date | None = None,
) -> PaymentIntent:
    """Decide how this customer settles one invoice.

    A customer who pays after a reminder pays a few days after the first reminder and not
    before; without a reminder they drift past 90 days like a customer who never pays.
    """
    if persona is Persona.PROMPT:
        span = max(0, (due - issued).days)
        return PaymentIntent(issued + timedelta(days=rng.randint(min(1, span), max(1, span))))
    if persona is Persona.SLOW:
        share = Decimal(1) if rng.random() < 0.8 else Decimal("0.5")
        return PaymentIntent(due + timedelta(days=rng.randint(10, 75)), share)
    if persona is Persona.PAYS_AFTER_REMINDER:
        if reminded_on is None:
            return PaymentIntent(None)
        return PaymentIntent(max(reminded_on, issued) + timedelta(days=rng.randint(1, 5)))
    if persona is Persona.DISPUTES:
        return PaymentIntent(None, disputes=True)
    return PaymentIntent(None)


# --- The simulated year (web/simulation): when customers pay unasked, and how they answer mail ---
#
# Calibrated against collections.md in the project's references:
# - a survey of US commercial collection agencies (Commercial Collection Agencies of America): of
#   debts unpaid at 90 days past due, 68.9% are still collected; at 6 months 51.3%; at a year 21.4%.
#   The forgetful customers' unprompted tail below gives 69%, 50% and 20% (see `collectability`;
#   tests/integration/sandbox/common/test_simulated_customers.py checks it);
# - a survey of domestic trade receivables (Credit Research Foundation): businesses that chase
#   have 87% of their receivables current and 0.4% over 90 days. A business that never chases
#   ends far from it: `relance simulate` with no schedule prints its aging (bench/README.md).

# Days past due at which a forgetful customer pays unprompted (None: never), as bands with their
# share of invoices: most drift in within three months, a fifth never pay unless chased.
FORGETFUL_TAIL: tuple[tuple[float, tuple[int, int] | None], ...] = (
    (0.35, (15, 90)),
    (0.25, (91, 180)),
    (0.15, (181, 365)),
    (0.05, (366, 730)),
    (0.20, None),
)


def _tail(rng: random.Random, due: date) -> date | None:
    draw, reach = rng.random(), 0.0
    for share, days in FORGETFUL_TAIL:
        reach += share
        if draw < reach:
            return None if days is None else due + timedelta(days=rng.randint(*days))
    return None


def unprompted_payment(persona: Persona, rng: random.Random, issued: date, due: date) -> date | None:
    """The day a customer pays an invoice in full if nobody reminds them (None: never).

    A prompt customer pays within terms (one in ten a few days after); a slow one 5 to 60 days
    after the due date; a forgetful one (pays after a reminder) and a disputing one drift along
    the collectability tail; a customer who never pays, never does."""
    if persona is Persona.PROMPT:
        if rng.random() < 0.1:
            return due + timedelta(days=rng.randint(1, 10))
        return issued + timedelta(days=rng.randint(min(1, (due - issued).days), max(1, (due - issued).days)))
    if persona is Persona.SLOW:
        return due + timedelta(days=rng.randint(5, 60))
    if persona in (Persona.PAYS_AFTER_REMINDER, Persona.DISPUTES):
        return _tail(rng, due)
    return None


def collectability(days_past_due: int, draws: int = 100_000, seed: int = 0) -> float:
    """Of forgetful customers' invoices still unpaid ``days_past_due`` days after the due date,
    the share they pay unprompted later: the figure the agencies' survey gives."""
    rng = random.Random(seed)
    due = date(2026, 1, 1)
    paid_after = [_tail(rng, due) for _ in range(draws)]
    still_open = [d for d in paid_after if d is None or (d - due).days > days_past_due]
    return sum(1 for d in still_open if d is not None) / len(still_open)


class Reaction(StrEnum):
    """What a customer does about a reminder they read."""

    PAY = "pay"
    PROMISE = "promise"
    DISPUTE = "dispute"
    IGNORE = "ignore"


@dataclass(frozen=True)
class Reply:
    """A customer's answer to one reminder: act on ``on``; a promise is for ``promised_for`` and
    is kept (paid on that day) or not."""

    reaction: Reaction
    on: date
    promised_for: date | None = None
    keeps_promise: bool = False


# For each persona: the chance of each reaction to a reminder read, then how soon (days) they
# act, and how often a promise is kept. Collections practice says most late payers pay when asked
# (the reason dunning exists); the ones who never pay promise now and then and do not keep it.
REPLIES: dict[Persona, tuple[dict[Reaction, float], tuple[int, int], float]] = {
    Persona.PROMPT: ({Reaction.PAY: 0.9, Reaction.IGNORE: 0.1}, (0, 2), 1.0),
    Persona.SLOW: (
        {Reaction.PAY: 0.45, Reaction.PROMISE: 0.3, Reaction.IGNORE: 0.25},
        (1, 7),
        0.85,
    ),
    Persona.PAYS_AFTER_REMINDER: (
        {Reaction.PAY: 0.65, Reaction.PROMISE: 0.25, Reaction.IGNORE: 0.1},
        (1, 5),
        0.75,
    ),
    Persona.NEVER_PAYS: ({Reaction.PROMISE: 0.25, Reaction.IGNORE: 0.75}, (1, 3), 0.1),
    Persona.DISPUTES: ({Reaction.DISPUTE: 0.85, Reaction.PAY: 0.1, Reaction.IGNORE: 0.05}, (0, 2), 0.5),
}


def reply_to_reminder(persona: Persona, rng: random.Random, read_on: date, disputed_before: bool) -> Reply:
    """How a customer answers a reminder read on ``read_on``. A disputing customer disputes once;
    chased again after the dispute is settled, they answer like a slow payer."""
    weights, (soonest, latest), keeps = REPLIES[persona]
    if persona is Persona.DISPUTES and disputed_before:
        weights, (soonest, latest), keeps = REPLIES[Persona.SLOW]
    reactions = list(weights)
    reaction = rng.choices(reactions, weights=[weights[r] for r in reactions], k=1)[0]
    on = read_on + timedelta(days=rng.randint(soonest, latest))
    if reaction is Reaction.PROMISE:
        return Reply(reaction, read_on, on + timedelta(days=rng.randint(5, 14)), rng.random() < keeps)
    if reaction is Reaction.DISPUTE:
        return Reply(reaction, read_on)
    return Reply(reaction, on)
