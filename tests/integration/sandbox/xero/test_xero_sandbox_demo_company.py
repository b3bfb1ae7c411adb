"""The seeded demo company: realistic, two currencies, an aging tail, and deterministic per seed."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from integration.sandbox.common.clock import SandboxClock
from integration.sandbox.xero.books import OrganisationBooks
from integration.sandbox.xero.demo_company import DemoScale, seed_books
from integration.sandbox.xero.models import Organisation

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def seeded(seed, scale: DemoScale | None = None) -> OrganisationBooks:
    books = OrganisationBooks(
        Organisation("b2c885a9-4bb9-4a00-9b6e-6c2bf60b1a2b", "Demo"), SandboxClock(START, frozen=True)
    )
    seed_books(books, seed, scale)
    return books


@pytest.fixture(scope="module")
def demo() -> OrganisationBooks:
    return seeded("demo")


def fingerprint(books: OrganisationBooks) -> list[tuple]:
    return [
        (i.invoice_id, i.invoice_number, str(i.total), i.status, i.date.isoformat())
        for i in books.invoices.values()
    ]


def test_demo_company_has_the_size_of_a_small_business(demo):
    customers = [c for c in demo.contacts.values() if c.is_customer]
    assert 200 <= len(customers) <= 500
    assert 2000 <= len([i for i in demo.invoices.values() if i.type == "ACCREC"]) <= 5000
    assert {i.currency_code for i in demo.invoices.values()} == {"NZD", "AUD"}
    assert min(i.date for i in demo.invoices.values()).year <= 2024  # two years of history
    kinds = Counter(i.type for i in demo.invoices.values())
    assert kinds["ACCREC"] >= 2000 and kinds["ACCPAY"] >= 50  # and some supplier bills


def test_demo_company_has_partial_payments_credit_notes_and_over_and_prepayments(demo):
    open_invoices = [i for i in demo.invoices.values() if i.status == "AUTHORISED"]
    assert any(i.amount_paid > 0 for i in open_invoices)  # partially paid
    assert any(len(i.payment_ids) >= 2 for i in demo.invoices.values())  # paid in instalments
    kinds = Counter(c.kind for c in demo.credits.values())
    assert kinds["CreditNote"] >= 30 and kinds["Overpayment"] >= 1 and kinds["Prepayment"] >= 1
    assert any(i.amount_credited > 0 for i in demo.invoices.values())


def test_demo_company_has_the_usual_aging_spread(demo):
    today = START.date()
    buckets: Counter[str] = Counter()
    for invoice in demo.invoices.values():
        if invoice.type != "ACCREC" or invoice.status != "AUTHORISED" or invoice.due_date is None:
            continue
        late = (today - invoice.due_date).days
        buckets[
            "current"
            if late <= 0
            else "1-30"
            if late <= 30
            else "31-60"
            if late <= 60
            else "61-90"
            if late <= 90
            else "90+"
        ] += invoice.amount_due
    total = sum(buckets.values())
    assert buckets["current"] == max(buckets.values())  # most of what is owed is not yet due
    assert buckets["90+"] > 0  # and there is a tail
    assert buckets["90+"] < total / 2


def test_same_seed_builds_the_same_books_and_another_seed_does_not():
    small = DemoScale.small()
    assert fingerprint(seeded(42, small)) == fingerprint(seeded(42, small))
    assert fingerprint(seeded(42, small)) != fingerprint(seeded(43, small))


def test_empty_seed_is_an_organisation_without_data():
    books = seeded("empty")
    assert (books.contacts, books.invoices, books.payments) == ({}, {}, {})


def test_seeded_totals_are_consistent(demo):
    for invoice in list(demo.invoices.values())[:500]:
        lines = sum((line.line_amount for line in invoice.line_items), Decimal(0))
        assert invoice.sub_total == lines
        assert (
            invoice.amount_due
            == max(Decimal(0), invoice.total - invoice.amount_paid - invoice.amount_credited)
            or invoice.status == "VOIDED"
        )
        assert (invoice.status == "PAID") == (
            invoice.amount_due == 0 and invoice.status not in ("VOIDED", "DRAFT")
        )
