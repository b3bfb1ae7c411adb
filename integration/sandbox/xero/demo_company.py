"""The seeded demo company: a small NZ business with two years of sales in two currencies.

A few hundred customers, a few thousand invoices with growth towards today, partial payments,
credit notes, over- and prepayments, and the aging spread small businesses see: most open
invoices current, a thinning tail past 30, 60 and 90 days. Everything comes from one
DataGenerator, so the same seed and the same start date build the same books.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from ..common.datagen import DataGenerator
from ..common.personas import Persona, choose_persona, payment_intent
from .books import OrganisationBooks
from .models import ZERO, Allocation, Contact, Credit, HistoryRecord, Invoice, LineItem, Payment, Phone
from .parsing import line_tax

SERVICES = (
    ("Monthly maintenance", 80, 900),
    ("Installation", 150, 4000),
    ("Consulting hours", 120, 2500),
    ("Materials supplied", 40, 1800),
    ("Call-out fee", 60, 180),
    ("Design work", 300, 6000),
    ("Annual support plan", 400, 3000),
    ("Parts and labour", 90, 2200),
)
TERMS = {7: 0.15, 14: 0.25, 20: 0.3, 30: 0.3}
FOREIGN = {"AUD": Decimal("1.090000")}  # the second currency: Australian customers


@dataclass(frozen=True)
class DemoScale:
    """How big the company is; `small()` keeps unit tests fast."""

    customers: int = 300
    invoices: int = 3000
    days: int = 730
    foreign_share: float = 0.15
    credit_note_share: float = 0.03
    over_and_prepayments: int = 12

    @classmethod
    def small(cls) -> DemoScale:
        return cls(customers=25, invoices=200, over_and_prepayments=4)


def _at(day: date, gen: DataGenerator, now: datetime) -> datetime:
    instant = datetime.combine(day, time(9), tzinfo=UTC) + timedelta(
        minutes=gen.rng.randint(0, 480), milliseconds=gen.rng.randint(0, 999)
    )
    return min(instant, now)


def _customers(
    books: OrganisationBooks, gen: DataGenerator, scale: DemoScale, now: datetime
) -> list[Contact]:
    names: set[str] = set()
    customers = []
    # Their own stream, so that the PO boxes leave every other seeded figure as it was.
    boxes = gen.child("po-boxes")
    for number in range(1, scale.customers + 1):
        name = gen.business_name()
        while name in names:
            name = f"{gen.business_name()} {gen.choice(('North', 'South', 'East', 'West', 'Central'))}"
        names.add(name)
        first, last = gen.person_name()
        foreign = gen.chance(scale.foreign_share)
        contact = Contact(
            contact_id=gen.uuid(),
            name=name,
            updated_at=_at(books.clock.today() - timedelta(days=scale.days + 30), gen, now),
            first_name=first,
            last_name=last,
            email=gen.email(first, name),
            contact_number=f"C{number:04d}",
            phones=[Phone("DEFAULT", gen.phone())],
            street=gen.street_address(),
            is_customer=True,
            default_currency="AUD" if foreign else None,
            persona=choose_persona(gen.rng).value,
        )
        if contact.street and boxes.chance(0.3):  # some take their mail at a PO box in their town
            contact.postal = (f"PO Box {boxes.rng.randint(100, 99999)}", contact.street[1], contact.street[2])
        books.contacts[contact.contact_id] = contact
        customers.append(contact)
    return customers


def _invoice(books, gen, contact: Contact, issued: date, now: datetime) -> Invoice:
    lines = []
    for _ in range(gen.rng.choice((1, 1, 1, 2, 2, 3))):
        description, low, high = gen.choice(SERVICES)
        quantity = Decimal(gen.rng.choice((1, 1, 1, 2, 3, 5)))
        unit = gen.money(low, high)
        amount = (quantity * unit).quantize(Decimal("0.01"))
        lines.append(
            LineItem(
                gen.uuid(),
                description,
                quantity,
                unit,
                line_amount=amount,
                tax_amount=line_tax(amount, "OUTPUT2", "Exclusive"),
            )
        )
    currency = contact.default_currency or books.organisation.base_currency
    invoice = Invoice(
        invoice_id=gen.uuid(),
        type="ACCREC",
        contact_id=contact.contact_id,
        invoice_number="",
        date=issued,
        due_date=issued + timedelta(days=gen.weighted(TERMS)),
        status="AUTHORISED",
        updated_at=_at(issued, gen, now),
        currency_code=currency,
        currency_rate=FOREIGN.get(currency, Decimal(1)),
        line_items=lines,
        sent_to_contact=True,
    )
    books.recompute_totals(invoice)
    return invoice


def _pay(books, gen, invoice: Invoice, amount: Decimal, on: date, now: datetime) -> None:
    payment = Payment(
        gen.uuid(),
        on,
        amount,
        _at(on, gen, now),
        "ACCRECPAYMENT",
        invoice_id=invoice.invoice_id,
        currency_rate=invoice.currency_rate,
    )
    books.payments[payment.payment_id] = payment
    invoice.payment_ids.append(payment.payment_id)
    books.settle(invoice)
    invoice.updated_at = max(invoice.updated_at, payment.updated_at)


def _settle_history(books, gen, invoice: Invoice, persona: Persona, today: date, now: datetime) -> None:
    """What this customer has done about the invoice so far, had reminders gone out 7 days after due."""
    due = invoice.due_date
    assert due is not None, "only drafts have no due date, and they have no history"
    reminded = due + timedelta(days=7) if due + timedelta(days=7) <= today else None
    intent = payment_intent(persona, gen.rng, invoice.date, due, reminded)
    if reminded is not None and persona is Persona.PAYS_AFTER_REMINDER:
        invoice.first_reminded_on = reminded
        invoice.history.append(HistoryRecord("Note", "Payment reminder sent", _at(reminded, gen, now)))
    if intent.disputes and due <= today:
        invoice.history.append(
            HistoryRecord(
                "Note",
                "Customer disputes this invoice: goods not received as ordered",
                _at(due, gen, now),
            )
        )
    pay_on = intent.pay_on
    if pay_on is None or not intent.due_by(today):
        return
    if gen.chance(0.08) and intent.share == 1 and (pay_on - invoice.date).days > 2:
        first = (invoice.total * Decimal("0.5")).quantize(Decimal("0.01"))
        _pay(
            books,
            gen,
            invoice,
            first,
            invoice.date + timedelta(days=(pay_on - invoice.date).days // 2),
            now,
        )
    _pay(books, gen, invoice, (invoice.amount_due * intent.share).quantize(Decimal("0.01")), pay_on, now)


def _credit(
    books, gen, kind: str, invoice: Invoice | None, contact: Contact, amount: Decimal, on: date, now: datetime
) -> None:
    types = {
        "CreditNote": "ACCRECCREDIT",
        "Overpayment": "RECEIVE-OVERPAYMENT",
        "Prepayment": "RECEIVE-PREPAYMENT",
    }
    line = LineItem(
        gen.uuid(),
        "Credit for returned goods" if kind == "CreditNote" else f"{kind} received",
        Decimal(1),
        amount,
        line_amount=amount,
        tax_type="NONE",
    )
    credit = Credit(
        gen.uuid(),
        kind,
        types[kind],
        contact.contact_id,
        on,
        "AUTHORISED",
        _at(on, gen, now),
        contact.default_currency or books.organisation.base_currency,
        number=books.next_number("CN") if kind == "CreditNote" else "",
        line_amount_types="NoTax",
        line_items=[line],
    )
    books.recompute_totals(credit)
    books.credits[credit.credit_id] = credit
    if (
        invoice is not None
        and invoice.status == "AUTHORISED"
        and invoice.currency_code == credit.currency_code
    ):
        applied = min(amount, invoice.amount_due)
        if applied > ZERO:
            allocation = Allocation(gen.uuid(), kind, credit.credit_id, invoice.invoice_id, applied, on)
            books.allocations[allocation.allocation_id] = allocation
            credit.allocation_ids.append(allocation.allocation_id)
            credit.applied += applied
            credit.status = "PAID" if credit.remaining_credit == ZERO else "AUTHORISED"
            invoice.allocation_ids.append(allocation.allocation_id)
            books.settle(invoice)
            invoice.updated_at = max(invoice.updated_at, credit.updated_at)


def _write_off_bad_debts(books, gen, customers_by_id: dict[str, Contact], today: date, now: datetime) -> None:
    """Most businesses write off what is long past hope with a credit note; a tail stays on the books."""
    for invoice in list(books.invoices.values()):
        if invoice.status != "AUTHORISED" or invoice.due_date is None or invoice.amount_due <= ZERO:
            continue
        if (today - invoice.due_date).days > 150 and gen.chance(0.85):
            contact = customers_by_id[invoice.contact_id]
            written_off = invoice.due_date + timedelta(days=150)
            _credit(books, gen, "CreditNote", invoice, contact, invoice.amount_due, written_off, now)
            invoice.history.append(
                HistoryRecord("Note", "Written off as a bad debt", _at(written_off, gen, now))
            )


def _supplier_bills(
    books, gen: DataGenerator, scale: DemoScale, start: date, today: date, now: datetime
) -> None:
    """A few suppliers and their bills (ACCPAY), mostly paid on the due date, so payables are not empty."""
    suppliers = []
    for number in range(1, max(3, scale.customers // 20) + 1):
        name = f"{gen.business_name()} (supplier {number})"
        supplier = Contact(
            gen.uuid(),
            name,
            _at(start, gen, now),
            email=gen.email("accounts", name),
            contact_number=f"S{number:03d}",
            is_supplier=True,
        )
        books.contacts[supplier.contact_id] = supplier
        suppliers.append(supplier)
    for number in range(1, scale.invoices // 15 + 1):
        supplier = gen.choice(suppliers)
        issued = gen.date_between(start, today)
        due = issued + timedelta(days=20)
        amount = gen.money(50, 3000)
        line = LineItem(
            gen.uuid(),
            "Supplies",
            Decimal(1),
            amount,
            account_code="400",
            tax_type="INPUT2",
            line_amount=amount,
            tax_amount=line_tax(amount, "INPUT2", "Exclusive"),
        )
        bill = Invoice(
            gen.uuid(),
            "ACCPAY",
            supplier.contact_id,
            f"SUP-{number:05d}",
            issued,
            due,
            "AUTHORISED",
            _at(issued, gen, now),
            books.organisation.base_currency,
            line_items=[line],
        )
        books.recompute_totals(bill)
        books.invoices[bill.invoice_id] = bill
        if due <= today and gen.chance(0.95):
            payment = Payment(
                gen.uuid(),
                due,
                bill.total,
                _at(due, gen, now),
                "ACCPAYPAYMENT",
                invoice_id=bill.invoice_id,
            )
            books.payments[payment.payment_id] = payment
            bill.payment_ids.append(payment.payment_id)
            books.settle(bill)
            bill.updated_at = max(bill.updated_at, payment.updated_at)


def seed_books(books: OrganisationBooks, seed: str | int, scale: DemoScale | None = None) -> None:
    """Fill an organisation for a seed: "empty" adds nothing, "demo" or an int builds the demo company."""
    if seed == "empty":
        return
    scale = scale or DemoScale()
    gen = DataGenerator("demo" if seed == "demo" else int(seed))
    now = books.now()
    today = now.date()
    start = today - timedelta(days=scale.days)
    customers = _customers(books, gen.child("customers"), scale, now)
    invoices_gen = gen.child("invoices")
    # Issue dates lean towards today (a growing business); sort so numbers follow dates.
    dates = sorted(
        start + timedelta(days=int(scale.days * invoices_gen.rng.random() ** 0.7))
        for _ in range(scale.invoices)
    )
    weights = [invoices_gen.rng.paretovariate(1.5) for _ in customers]
    for issued in dates:
        contact = invoices_gen.rng.choices(customers, weights=weights, k=1)[0]
        invoice = _invoice(books, invoices_gen, contact, issued, now)
        invoice.invoice_number = books.next_number("INV")
        if (today - issued).days <= 3 and invoices_gen.chance(0.3):
            invoice.status, invoice.due_date = "DRAFT", None
        elif invoices_gen.chance(0.01):
            invoice.status = "VOIDED"
        books.invoices[invoice.invoice_id] = invoice
        if invoice.status != "AUTHORISED":
            continue
        if invoices_gen.chance(scale.credit_note_share):
            share = Decimal(invoices_gen.rng.choice(("0.1", "0.25", "0.5", "1")))
            _credit(
                books,
                invoices_gen,
                "CreditNote",
                invoice,
                contact,
                (invoice.total * share).quantize(Decimal("0.01")),
                min(issued + timedelta(days=5), today),
                now,
            )
        assert contact.persona is not None, "every demo customer has a persona"
        _settle_history(books, invoices_gen, invoice, Persona(contact.persona), today, now)
    _write_off_bad_debts(books, gen.child("write-offs"), {c.contact_id: c for c in customers}, today, now)
    _supplier_bills(books, gen.child("bills"), scale, start, today, now)
    credits_gen = gen.child("credits")
    for number in range(scale.over_and_prepayments):
        contact = credits_gen.choice(customers)
        kind = "Overpayment" if number % 2 == 0 else "Prepayment"
        target = (
            next(
                (
                    i
                    for i in books.invoices.values()
                    if i.contact_id == contact.contact_id and i.status == "AUTHORISED"
                ),
                None,
            )
            if credits_gen.chance(0.5)
            else None
        )
        _credit(
            books,
            credits_gen,
            kind,
            target,
            contact,
            credits_gen.money(50, 800),
            credits_gen.date_between(today - timedelta(days=120), today),
            now,
        )
