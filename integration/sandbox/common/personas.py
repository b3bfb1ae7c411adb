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
