"""Customers who act while the sandbox clock moves: they pay, pay late, pay after a reminder, or dispute.

Each customer has a persona (common/personas.py); each open invoice gets a payment intent drawn
from a random stream seeded by (sandbox seed, realm, invoice Id), so the same seed replays the
same story. What counts as a reminder in QuickBooks terms: the invoice was e-mailed again
(`POST /invoice/{id}/send`, an `Emailed` change) after its due date, or a note (Attachable) was
attached to the invoice or to its customer — the two ways Relance can remind through the ledger —
or `remind()` was called directly. Disputing customers leave a note on the overdue invoice.
"""

from __future__ import annotations

import copy
import random
import threading
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from integration.sandbox.common.personas import PaymentIntent, Persona, choose_persona, payment_intent

from .company import ChangeEvent, Company, StoredEntity
from .wire import cents, parse_date

if TYPE_CHECKING:
    from .sandbox import QuickBooksSandbox

ZERO = Decimal("0")
DISPUTE_NOTE = "Customer disputes this invoice: the work was not completed as agreed."


class Simulation:
    """The personas of every company of one sandbox."""

    def __init__(self, sandbox: QuickBooksSandbox) -> None:
        self.sandbox = sandbox
        self._lock = threading.RLock()
        self.reminded: dict[tuple[str, str], date] = {}
        self.acted: set[tuple[str, str]] = set()

    def forget(self) -> None:
        """Drop what was remembered about reminders and actions (a reseed)."""
        with self._lock:
            self.reminded.clear()
            self.acted.clear()

    def persona_of(self, company: Company, customer_id: str) -> Persona:
        """The customer's persona: set by the demo or an admin call, else drawn from the seed."""
        customer = company.find("Customer", customer_id)
        if customer is not None and customer.body.get("_persona"):
            return Persona(customer.body["_persona"])
        return choose_persona(random.Random(f"{self.sandbox.seed}:{company.realm_id}:{customer_id}"))

    def set_persona(self, realm_id: str, customer_id: str, persona: Persona | str) -> None:
        """Make a customer behave a certain way from now on."""
        customer = self.sandbox.company(realm_id).get("Customer", customer_id)
        customer.body["_persona"] = Persona(persona).value

    def remind(self, realm_id: str, invoice_id: str, on: date | None = None) -> None:
        """Record that the customer was reminded about an invoice."""
        company = self.sandbox.company(realm_id)
        with self._lock:
            self.reminded.setdefault((realm_id, str(invoice_id)), on or company.today())

    def notice(self, event: ChangeEvent) -> None:
        """Company listener: spot reminders among the changes."""
        company = self.sandbox.companies.get(event.realm_id)
        if company is None:
            return
        if event.entity == "Invoice" and event.operation == "Emailed":
            invoice = company.find("Invoice", event.entity_id)
            if invoice is not None and parse_date(invoice.body["DueDate"]) < company.today():
                self.remind(event.realm_id, event.entity_id)
        elif event.entity == "Attachable" and event.operation == "Create":
            note = company.find("Attachable", event.entity_id)
            if note is None or note.body.get("Note") == DISPUTE_NOTE:
                return
            for ref in note.body.get("AttachableRef", []):
                target = ref.get("EntityRef", {})
                if target.get("type") == "Invoice":
                    self.remind(event.realm_id, str(target.get("value")))
                elif target.get("type") == "Customer":
                    for invoice in company.live("Invoice"):
                        if invoice.body["CustomerRef"]["value"] == str(target.get("value")):
                            self.remind(event.realm_id, invoice.id)

    def intent(self, company: Company, invoice: StoredEntity) -> PaymentIntent:
        """What this invoice's customer will do about it."""
        persona = self.persona_of(company, invoice.body["CustomerRef"]["value"])
        rng = random.Random(f"{self.sandbox.seed}:{company.realm_id}:invoice:{invoice.id}")
        return payment_intent(
            persona,
            rng,
            parse_date(invoice.body["TxnDate"]),
            parse_date(invoice.body["DueDate"]),
            self.reminded.get((company.realm_id, invoice.id)),
        )

    def advance(self, step: timedelta) -> datetime:
        """Move the clock day by day, letting customers act at the end of each day."""
        target = self.sandbox.clock.now() + step
        while True:
            now = self.sandbox.clock.now()
            if now >= target:
                break
            self.sandbox.clock.set(min(now + timedelta(days=1), target))
            self.act()
        return self.sandbox.clock.now()

    def act(self) -> int:
        """Let every customer do what is due by today; returns how many things happened."""
        happened = 0
        for company in list(self.sandbox.companies.values()):
            today = company.today()
            for invoice in company.live("Invoice"):
                if invoice.voided or invoice.body.get("Balance", ZERO) <= ZERO:
                    continue
                key = (company.realm_id, invoice.id)
                if key in self.acted:
                    continue
                intent = self.intent(company, invoice)
                if intent.disputes and parse_date(invoice.body["DueDate"]) < today:
                    company.create(
                        "Attachable",
                        {
                            "Note": DISPUTE_NOTE,
                            "AttachableRef": [{"EntityRef": {"type": "Invoice", "value": invoice.id}}],
                        },
                    )
                    self.acted.add(key)
                    happened += 1
                elif intent.due_by(today):
                    amount = cents(invoice.body["Balance"] * intent.share)
                    if amount > ZERO:
                        pay(company, invoice, amount, today)
                        happened += 1
                    self.acted.add(key)
        return happened


def pay(
    company: Company,
    invoice: StoredEntity,
    amount: Decimal,
    on: date,
    at: datetime | None = None,
    announce: bool = True,
) -> StoredEntity:
    """The customer pays `amount` of one invoice on a day."""
    return company.create(
        "Payment",
        {
            "CustomerRef": copy.deepcopy(invoice.body["CustomerRef"]),
            "TotalAmt": amount,
            "TxnDate": on.isoformat(),
            "PaymentRefNum": f"SIM-{invoice.id}",
            "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": invoice.id, "TxnType": "Invoice"}]}],
        },
        at=at,
        announce=announce,
    )


def local_instant(company: Company, day: date, hour: int = 9, second: int = 0) -> datetime:
    """An aware instant on a company-local day (the demo's history)."""
    moment = datetime.combine(day, time(hour, 0), tzinfo=company.zone) + timedelta(seconds=second)
    return moment
