"""The simulated company's customers: who they are, when they are invoiced, and what they do.

Each customer has a persona (integration/sandbox/common/personas.py). Unasked, they pay each
invoice on the day ``unprompted_payment`` draws. Each morning they read the mail that reached
their mailbox (the SMTP server beside the sandboxes) and the calls they took, and answer as their
persona does: they pay in the ledger a few days later, promise a date or dispute an invoice
through Relance's portal (over HTTP, from the link in the message, as a browser would), or
ignore it. Every draw comes from a stream seeded by the simulation's seed and what is decided
(the customer, the invoice number, the day), so the same seed tells the same story.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from html import unescape

import requests

from integration.sandbox.common.datagen import DataGenerator
from integration.sandbox.common.personas import (
    TYPICAL_MIX,
    Persona,
    Reaction,
    Reply,
    choose_persona,
    reply_to_reminder,
    unprompted_payment,
)

PORTAL_LINK = re.compile(r"(https?://[^\s<>\"]+/portal/l/[^\s<>\"]+)")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class SimulatedCustomer:
    index: int
    name: str
    email: str
    persona: Persona
    invoices_a_month: float
    terms_days: int
    ledger_id: str = ""
    disputed_once: bool = False


@dataclass
class Tracked:
    """One invoice as the customer's world knows it."""

    number: str
    ledger_id: str
    customer: SimulatedCustomer
    issued: date
    due: date
    unprompted_on: date | None
    pay_on: date | None = None  # a reply's payment, when sooner than unprompted
    paid_at: datetime | None = None
    disputed_at: datetime | None = None
    settled_at: datetime | None = None  # the dispute, by the team
    voided: bool = False

    def payment_day(self) -> date | None:
        days = [d for d in (self.unprompted_on, self.pay_on) if d is not None]
        return min(days) if days else None


@dataclass
class Population:
    seed: int
    customers: list[SimulatedCustomer]
    by_ledger_id: dict[str, SimulatedCustomer] = field(default_factory=dict)

    @classmethod
    def draw(cls, seed: int, count: int, mix: dict[Persona, float] | None = None) -> Population:
        generator = DataGenerator(f"simulation:{seed}:customers")
        customers = []
        for index in range(count):
            first, _ = generator.person_name()
            name = f"{generator.business_name()} #{index + 1}"
            customers.append(
                SimulatedCustomer(
                    index,
                    name,
                    generator.email(first, name),
                    choose_persona(generator.rng, mix or TYPICAL_MIX),
                    round(generator.rng.uniform(0.5, 3.0), 2),
                    generator.weighted({14: 0.3, 20: 0.3, 30: 0.4}),
                )
            )
        return cls(seed, customers)

    def rng(self, *parts: object) -> random.Random:
        return random.Random(":".join(str(p) for p in (self.seed, *parts)))

    def sales_of(self, day: date) -> list[tuple[SimulatedCustomer, Decimal]]:
        """The invoices the business raises on ``day`` (working days only): who and how much."""
        if day.weekday() >= 5:
            return []
        raised = []
        for customer in self.customers:
            rng = self.rng("sale", customer.index, day.isoformat())
            if rng.random() < customer.invoices_a_month / 21.5:
                amount = Decimal(str(round(80 + (4000 - 80) * rng.random() ** 2.5, 2)))
                raised.append((customer, amount))
        return raised

    def unprompted(self, customer: SimulatedCustomer, number: str, issued: date, due: date) -> date | None:
        return unprompted_payment(customer.persona, self.rng("pays", number), issued, due)

    def reply(self, customer: SimulatedCustomer, read_on: date, numbers: list[str]) -> Reply:
        rng = self.rng("reply", customer.index, read_on.isoformat(), ",".join(numbers))
        return reply_to_reminder(customer.persona, rng, read_on, customer.disputed_once)


def named_invoices(text: str, open_numbers: list[str]) -> list[str]:
    """The invoice numbers a reminder names, of those the customer still has."""
    return [n for n in open_numbers if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text)]


def portal_link(text: str) -> str | None:
    found = PORTAL_LINK.search(text)
    return found.group(1).rstrip(".,)") if found else None


class PortalVisit:
    """A customer on Relance's portal, over HTTP with a cookie jar, as a browser."""

    def __init__(self, link: str) -> None:
        self.http = requests.Session()
        self.http.headers["Accept-Language"] = "en"
        answer = self.http.get(link, timeout=30)
        self.ok = answer.status_code == 200
        self.base = answer.url.split("/portal/")[0] + "/portal"
        self.account = answer.text if self.ok else ""

    def _form(self, path: str, fields: dict[str, str]) -> bool:
        page = self.http.get(f"{self.base}{path}", timeout=30)
        token = CSRF.search(page.text)
        if page.status_code != 200 or token is None:
            return False
        answer = self.http.post(
            f"{self.base}{path}", data={"csrf_token": unescape(token.group(1)), **fields}, timeout=30
        )
        return answer.status_code == 200 and answer.history != []

    def promise_all(self, on: date) -> bool:
        return self._form("/promise", {"promised_on": on.isoformat(), "amount": "", "note": ""})

    def invoice_id(self, number: str) -> int | None:
        for card in self.account.split('<li class="invoice')[1:]:
            found = re.search(r'id="invoice-(\d+)"', card)
            if found and re.search(rf">\s*{re.escape(number)}\s*<|\b{re.escape(number)}\b", card):
                return int(found.group(1))
        return None

    def dispute(self, number: str) -> bool:
        invoice_id = self.invoice_id(number)
        if invoice_id is None:
            return False
        return self._form(
            f"/invoices/{invoice_id}/dispute",
            {"reason": "wrong_amount", "details": "The quantity invoiced is not what we ordered."},
        )


def promise_day(reply: Reply, today: date, window_days: int = 30) -> date:
    """The date a customer types in the portal: theirs, within the portal's window."""
    assert reply.promised_for is not None
    return min(max(reply.promised_for, today), today + timedelta(days=window_days))


__all__ = ["Population", "PortalVisit", "Reaction", "SimulatedCustomer", "Tracked", "named_invoices"]
