"""The simulated company's ledger: either sandbox, run in this process, behind one small interface.

The simulation's customers and its team act in the ledger the way people do in Xero or
QuickBooks (raise an invoice, pay one, void a disputed one); Relance only ever reaches the
ledger over HTTP through the official SDKs, as it would the real service. Each ledger's clock runs
on from where the simulation sets it, with Relance's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Protocol

from integration.sandbox.common.clock import SandboxClock
from integration.sandbox.common.webhook_dispatch import DispatchSettings
from integration.sandbox.quickbooks import QuickBooksSandbox
from integration.sandbox.quickbooks.simulation import pay as pay_in_quickbooks
from integration.sandbox.xero.models import Contact
from integration.sandbox.xero.sandbox import XeroSandbox
from integration.sandbox.xero.settings import XeroSandboxSettings

# Webhooks within a fraction of a second: the simulation waits for them before each step.
SIMULATION_WEBHOOKS = DispatchSettings(batch_window=0.02, retry_delays=(0.05, 0.2, 0.5), timeout=10.0)
ZERO = Decimal("0")


@dataclass(frozen=True)
class Consent:
    """What the owner's consent in the ledger gives the app: tokens for one organisation."""

    access_token: str
    refresh_token: str
    expires_in: int  # seconds
    scopes: tuple[str, ...]
    tenant_id: str
    tenant_name: str


@dataclass(frozen=True)
class LedgerInvoice:
    """A sales invoice as the business sees it in its ledger today."""

    ledger_id: str
    number: str
    customer_id: str
    issued: date
    due: date
    total: Decimal
    amount_due: Decimal
    open: bool  # authorised and not voided


class SimulatedLedger(Protocol):
    provider: str  # Relance's name for the ledger (integration.connections.Provider's value)
    clock: SandboxClock

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def add_customer(self, name: str, email: str) -> str: ...
    def raise_invoice(self, customer_id: str, amount: Decimal, issued: date, terms_days: int) -> str: ...
    def invoices(self) -> list[LedgerInvoice]: ...
    def pay(self, ledger_id: str, amount: Decimal, on: date) -> None: ...
    def void(self, ledger_id: str) -> bool: ...
    def consent(self) -> Consent: ...
    def subscribe(self, url: str, key: str) -> None: ...
    def wait_for_webhooks(self) -> None: ...
    def environment(self, key: str) -> dict[str, str]: ...


class XeroLedger:
    """A Xero organisation (NZ, NZD, GST on every line, as the sandbox's defaults)."""

    provider = "xero"

    def __init__(self, start: datetime) -> None:
        self.sandbox = XeroSandbox(
            seed="empty",
            settings=XeroSandboxSettings(
                dispatch=SIMULATION_WEBHOOKS, start=start, organisation_name="Kowhai Plumbing Ltd"
            ),
        )
        self.clock = self.sandbox.clock

    def start(self) -> None:
        self.sandbox.start()

    def stop(self) -> None:
        self.sandbox.stop()

    def add_customer(self, name: str, email: str) -> str:
        books = self.sandbox.books
        contact = Contact(
            f"{len(books.contacts) + 1:08d}-0000-4000-8000-000000000000", name, books.now(), email=email
        )
        return books.save_contact(contact, created=True).contact_id

    def raise_invoice(self, customer_id: str, amount: Decimal, issued: date, terms_days: int) -> str:
        return self.sandbox.create_invoice(customer_id, amount, terms_days, issued=issued).invoice_id

    def invoices(self) -> list[LedgerInvoice]:
        books = self.sandbox.books
        with books.lock:
            return [
                LedgerInvoice(
                    i.invoice_id,
                    i.invoice_number,
                    i.contact_id,
                    i.date,
                    i.due_date or i.date,
                    i.total,
                    i.amount_due,
                    i.status == "AUTHORISED",
                )
                for i in books.invoices.values()
                if i.type == "ACCREC" and i.status in ("AUTHORISED", "PAID")
            ]

    def pay(self, ledger_id: str, amount: Decimal, on: date) -> None:
        self.sandbox.pay_invoice(ledger_id, amount, paid_on=on)

    def void(self, ledger_id: str) -> bool:
        books = self.sandbox.books
        with books.lock:
            invoice = books.find_invoice(ledger_id)
            if invoice is None or invoice.status != "AUTHORISED" or invoice.payment_ids:
                return False
            invoice.status = "VOIDED"
            invoice.updated_at = books.now()
            books.save_invoice(invoice, created=False)
        return True

    def consent(self) -> Consent:
        token = self.sandbox.connect()
        return Consent(
            token["access_token"],
            token["refresh_token"],
            int(token["expires_in"]),
            tuple(token["scope"]),
            self.sandbox.tenant_id,
            self.sandbox.books.organisation.name,
        )

    def subscribe(self, url: str, key: str) -> None:
        self.sandbox.subscribe_webhooks(url, key)

    def wait_for_webhooks(self) -> None:
        self.sandbox.wait_for_webhooks(timeout=30)

    def environment(self, key: str) -> dict[str, str]:
        return {
            "XERO_BASE_URL": self.sandbox.base_url,
            "XERO_CLIENT_ID": self.sandbox.app.client_id,
            "XERO_CLIENT_SECRET": self.sandbox.app.client_secret,
            "XERO_WEBHOOK_KEY": key,
        }


class QuickBooksLedger:
    """A QuickBooks Online company (US, USD, no sales tax on services)."""

    provider = "quickbooks"

    def __init__(self, start: datetime) -> None:
        self.clock = SandboxClock(start)
        self.sandbox = QuickBooksSandbox(seed="empty", clock=self.clock, dispatch=SIMULATION_WEBHOOKS)
        self.realm = self.sandbox.realm_ids[0]
        self.company = self.sandbox.company(self.realm)

    def start(self) -> None:
        self.sandbox.start()

    def stop(self) -> None:
        self.sandbox.stop()

    def add_customer(self, name: str, email: str) -> str:
        body = {"DisplayName": name, "CompanyName": name, "PrimaryEmailAddr": {"Address": email}}
        return self.company.create("Customer", body).id

    def raise_invoice(self, customer_id: str, amount: Decimal, issued: date, terms_days: int) -> str:
        due = issued + timedelta(days=terms_days)
        return self.sandbox.create_invoice(
            self.realm, customer_id, amount, txn_date=issued.isoformat(), due_date=due.isoformat()
        ).id

    def invoices(self) -> list[LedgerInvoice]:
        found = []
        for invoice in self.company.live("Invoice"):
            body = invoice.body
            if invoice.voided:
                continue
            found.append(
                LedgerInvoice(
                    invoice.id,
                    str(body.get("DocNumber", invoice.id)),
                    str(body["CustomerRef"]["value"]),
                    date.fromisoformat(str(body["TxnDate"])[:10]),
                    date.fromisoformat(str(body["DueDate"])[:10]),
                    Decimal(body["TotalAmt"]),
                    Decimal(body["Balance"]),
                    True,
                )
            )
        return found

    def pay(self, ledger_id: str, amount: Decimal, on: date) -> None:
        pay_in_quickbooks(self.company, self.company.get("Invoice", ledger_id), amount, on)

    def void(self, ledger_id: str) -> bool:
        invoice = self.company.get("Invoice", ledger_id)
        if invoice.voided or Decimal(invoice.body["Balance"]) < Decimal(invoice.body["TotalAmt"]):
            return False
        self.company.void("Invoice", {"Id": invoice.id, "SyncToken": invoice.body.get("SyncToken", "0")})
        return True

    def consent(self) -> Consent:
        granted = self.sandbox.connect(self.realm)
        return Consent(
            granted.access_token,
            granted.refresh_token,
            3600,
            ("com.intuit.quickbooks.accounting",),
            self.realm,
            self.company.name,
        )

    def subscribe(self, url: str, key: str) -> None:
        self.sandbox.subscribe_webhooks(url, key)

    def wait_for_webhooks(self) -> None:
        self.sandbox.webhooks.wait_idle(timeout=30)

    def environment(self, key: str) -> dict[str, str]:
        return {
            "QUICKBOOKS_BASE_URL": self.sandbox.base_url,
            "QUICKBOOKS_CLIENT_ID": self.sandbox.app.client_id,
            "QUICKBOOKS_CLIENT_SECRET": self.sandbox.app.client_secret,
            "QUICKBOOKS_WEBHOOK_VERIFIER": key,
        }


LEDGERS: dict[str, type[XeroLedger] | type[QuickBooksLedger]] = {
    "xero": XeroLedger,
    "quickbooks": QuickBooksLedger,
}


def ledger_for(provider: str, start: datetime) -> XeroLedger | QuickBooksLedger:
    return LEDGERS[provider](start)
