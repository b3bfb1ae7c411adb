"""Seeded companies: `empty`, `demo`, or an integer seed for another demo company of the same shape.

The demo company is a small US business two years into QuickBooks: a few hundred customers with
personas (common/personas.py TYPICAL_MIX), a few thousand invoices spread over two years on
their payment terms, payments as each persona would have made them (some partial, some in two
instalments), credit memos (most applied through zero-amount payments, some left as open
credit), so that most open receivables are current and a tail is more than 90 days overdue.
History is written with explicit past instants and no webhooks; the same seed on the same day
yields the same company, Ids included.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from integration.sandbox.common.datagen import DataGenerator
from integration.sandbox.common.personas import Persona, choose_persona, payment_intent

from .company import Company, StoredEntity
from .simulation import local_instant, pay

if TYPE_CHECKING:
    from .sandbox import QuickBooksSandbox

DEMO_CUSTOMERS = 300
DEMO_INVOICES = 3000
HISTORY_DAYS = 730
# Towns around the demo company (Mountain View, California) and their ZIP codes.
TOWNS = (
    ("Mountain View", ("94040", "94041", "94043")),
    ("Palo Alto", ("94301", "94303", "94306")),
    ("Sunnyvale", ("94085", "94086", "94087")),
    ("San Jose", ("95112", "95125", "95131")),
    ("Redwood City", ("94061", "94063", "94065")),
    ("Santa Clara", ("95050", "95051", "95054")),
    ("Menlo Park", ("94025",)),
    ("Half Moon Bay", ("94019",)),
)
TERM_MIX = {"3": 0.6, "2": 0.2, "1": 0.1, "4": 0.1}  # Net 30, Net 15, Due on receipt, Net 60 (open_books ids)
ZERO = Decimal("0")


def _realm_id(generator: DataGenerator) -> str:
    """Sixteen digits, like Intuit's sandbox realm ids (e.g. 9341452172473371)."""
    return str(generator.rng.randint(9_130_000_000_000_000, 9_349_999_999_999_999))


def populate(
    sandbox: QuickBooksSandbox, seed: str | int, customers: int | None = None, invoices: int | None = None
) -> None:
    """Create the companies of a seed; a second, empty company makes the consent page choose."""
    label = str(seed)
    if label == "empty":
        sandbox.add_company("Sandbox Company_US_1", _realm_id(DataGenerator("quickbooks:empty")))
        sandbox.add_company("Sandbox Company_US_2", _realm_id(DataGenerator("quickbooks:empty:2")))
        return
    number = 0 if label == "demo" else int(label)
    generator = DataGenerator(f"quickbooks:{number}")
    company = sandbox.add_company("Craig's Design and Landscaping Services", _realm_id(generator))
    sandbox.add_company("Sandbox Company_US_2", _realm_id(generator.child("second")))
    build_history(company, generator, customers or DEMO_CUSTOMERS, invoices or DEMO_INVOICES)


def _add_customers(company: Company, generator: DataGenerator, count: int, start: date) -> list[str]:
    names = generator.child("customers")
    # Their own stream, so that the towns leave every other seeded figure as it was.
    towns = generator.child("towns")
    ids = []
    for number in range(count):
        first, last = names.person_name()
        business = names.business_name()
        if any(c.body["DisplayName"] == business for c in company.live("Customer")):
            business = f"{business} #{number}"
        line1 = names.street_address()[0]  # drawn whole, as before: the stream's next draws stay the same
        city, postcodes = towns.choice(TOWNS)
        body = {
            "DisplayName": business,
            "CompanyName": business,
            "GivenName": first,
            "FamilyName": last,
            "PrimaryEmailAddr": {"Address": names.email(first, business)},
            "PrimaryPhone": {"FreeFormNumber": names.phone()},
            "BillAddr": {
                "Line1": line1,
                "City": city,
                "CountrySubDivisionCode": "CA",
                "PostalCode": towns.choice(postcodes),
                "Country": "USA",
            },
            "SalesTermRef": {"value": names.weighted(TERM_MIX)},
            "_persona": choose_persona(names.rng).value,
        }
        at = local_instant(company, start, 8, number)
        ids.append(company.create("Customer", body, at=at, announce=False).id)
    return ids


def build_history(company: Company, generator: DataGenerator, customers: int, invoices: int) -> None:
    """Two years of invoicing and collecting, ending today."""
    today = company.today()
    start = today - timedelta(days=HISTORY_DAYS)
    customer_ids = _add_customers(company, generator, customers, start)
    # Some customers buy far more often than others, as in any real ledger.
    weights = [generator.rng.paretovariate(1.5) for _ in customer_ids]
    stream = generator.child("invoices")
    days = sorted(stream.date_between(start, today) for _ in range(invoices))
    for number, day in enumerate(days):
        customer_id = stream.rng.choices(customer_ids, weights=weights, k=1)[0]
        amount = stream.money(60, 4500)
        lines = [
            {
                "DetailType": "SalesItemLineDetail",
                "Amount": amount,
                "Description": "Landscaping services",
                "SalesItemLineDetail": {
                    "ItemRef": {"value": "1", "name": "Services"},
                    "Qty": 1,
                    "UnitPrice": amount,
                },
            }
        ]
        invoice = company.create(
            "Invoice",
            {"CustomerRef": {"value": customer_id}, "Line": lines, "TxnDate": day.isoformat()},
            at=local_instant(company, day, 9, number % 3600),
            announce=False,
        )
        rng = random.Random(f"{generator.seed}:history:{invoice.id}")
        if rng.random() < 0.04:
            _credit(company, invoice, rng, today)
        _collect(company, invoice, rng, today)


def _credit(company: Company, invoice: StoredEntity, rng: random.Random, today: date) -> None:
    """A credit memo for part of an invoice, usually applied to it at once."""
    day = min(date.fromisoformat(invoice.body["TxnDate"]) + timedelta(days=rng.randint(1, 20)), today)
    share = Decimal(rng.choice(("0.1", "0.2", "0.25", "0.5")))
    amount = (invoice.body["TotalAmt"] * share).quantize(Decimal("0.01"))
    memo = company.create(
        "CreditMemo",
        {
            "CustomerRef": dict(invoice.body["CustomerRef"]),
            "TxnDate": day.isoformat(),
            "Line": [
                {
                    "DetailType": "SalesItemLineDetail",
                    "Amount": amount,
                    "Description": "Goodwill credit",
                    "SalesItemLineDetail": {"ItemRef": {"value": "1", "name": "Services"}},
                }
            ],
        },
        at=local_instant(company, day, 11),
        announce=False,
    )
    if rng.random() < 0.8:
        company.create(
            "Payment",
            {
                "CustomerRef": dict(invoice.body["CustomerRef"]),
                "TotalAmt": ZERO,
                "TxnDate": day.isoformat(),
                "Line": [
                    {"Amount": amount, "LinkedTxn": [{"TxnId": invoice.id, "TxnType": "Invoice"}]},
                    {"Amount": amount, "LinkedTxn": [{"TxnId": memo.id, "TxnType": "CreditMemo"}]},
                ],
            },
            at=local_instant(company, day, 11, 30),
            announce=False,
        )


def _collect(company: Company, invoice: StoredEntity, rng: random.Random, today: date) -> None:
    """The payments this invoice's customer made by today."""
    customer = company.get("Customer", invoice.body["CustomerRef"]["value"])
    persona = Persona(customer.body["_persona"])
    issued, due = date.fromisoformat(invoice.body["TxnDate"]), date.fromisoformat(invoice.body["DueDate"])
    reminded = due + timedelta(days=rng.randint(3, 14)) if rng.random() < 0.7 else None
    intent = payment_intent(persona, rng, issued, due, reminded)
    if invoice.body["Balance"] > ZERO and intent.pay_on is not None and intent.pay_on <= today:
        _pay_as_intended(company, invoice, intent.pay_on, intent.share, rng, today)
    # Old debts mostly end up collected (or the business stops selling to the customer); without
    # this, two years of never-paying and half-paying customers would swamp the aging report.
    late_day = due + timedelta(days=rng.randint(90, 160))
    if invoice.body["Balance"] > ZERO and late_day <= today and rng.random() < 0.97:
        pay(
            company,
            invoice,
            invoice.body["Balance"],
            late_day,
            local_instant(company, late_day, 15),
            announce=False,
        )


def _pay_as_intended(
    company: Company, invoice: StoredEntity, pay_on: date, share: Decimal, rng: random.Random, today: date
) -> None:
    """Pay the persona's share on its day, sometimes in two instalments."""
    amount = (invoice.body["Balance"] * share).quantize(Decimal("0.01"))
    if share == 1 and rng.random() < 0.06 and amount > Decimal("100"):
        # Two instalments: half now, the rest a few weeks later (if that day has come).
        pay(
            company,
            invoice,
            (amount / 2).quantize(Decimal("0.01")),
            pay_on,
            local_instant(company, pay_on, 14),
            announce=False,
        )
        second_day = pay_on + timedelta(days=rng.randint(14, 40))
        if second_day <= today:
            pay(
                company,
                invoice,
                invoice.body["Balance"],
                second_day,
                local_instant(company, second_day, 14),
                announce=False,
            )
        return
    pay(company, invoice, amount, pay_on, local_instant(company, pay_on, 14), announce=False)
