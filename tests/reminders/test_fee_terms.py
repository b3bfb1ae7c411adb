"""The late-fee decision, without I/O: invoices, terms and a day in; the fees due out."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from reminders.fees.terms import (
    FeeKind,
    OverdueInvoice,
    Preset,
    Terms,
    current_period,
    fees_due,
    uk_fixed_sum,
)


def overdue(amount: str, due_on: date, currency: str = "GBP", ledger_id: str = "inv-1") -> OverdueInvoice:
    return OverdueInvoice(ledger_id, "INV-1", currency, Decimal(amount), due_on)


def test_two_percent_a_month_after_the_grace_period_charges_the_overdue_balance_once_a_month() -> None:
    terms = Terms(Preset.PERCENTAGE, grace_days=7, percent_a_month=Decimal(2))
    invoice = overdue("1000.00", date(2026, 5, 31))
    assert fees_due([invoice], terms, date(2026, 6, 7)) == []  # still in the grace period
    (june,) = fees_due([invoice], terms, date(2026, 6, 8))
    assert (june.kind, june.amount, june.period_start, june.period_end) == (
        FeeKind.INTEREST,
        Decimal("20.00"),
        date(2026, 6, 8),
        date(2026, 7, 7),
    )
    # Every day of the period decides the same fee; the next period is a new one.
    assert fees_due([invoice], terms, date(2026, 7, 7)) == [june]
    (july,) = fees_due([invoice], terms, date(2026, 7, 8))
    assert july.period_start == date(2026, 7, 8)


def test_a_fixed_fee_is_once_per_invoice_whatever_the_day_it_is_decided() -> None:
    terms = Terms(Preset.FIXED, fixed_fee=Decimal(25))
    invoice = overdue("300.00", date(2026, 1, 15))
    (first,) = fees_due([invoice], terms, date(2026, 1, 20))
    (later,) = fees_due([invoice], terms, date(2026, 6, 30))
    assert first == later and first.amount == Decimal("25.00")


def test_the_uk_act_charges_base_rate_plus_eight_a_year_and_its_fixed_sum_by_the_size_of_the_debt() -> None:
    terms = Terms(Preset.UK_LATE_PAYMENT_ACT, reference_rate=Decimal("4.00"))
    invoice = overdue("5000.00", date(2026, 5, 31))
    fees = {fee.kind: fee for fee in fees_due([invoice], terms, date(2026, 6, 15))}
    # 12% a year on £5,000 for the 30 days of 1 June to 30 June: 5000 * 0.12 * 30 / 365.
    assert fees[FeeKind.INTEREST].amount == Decimal("49.32")
    assert fees[FeeKind.INTEREST].rate == Decimal("12.00")
    assert fees[FeeKind.FIXED].amount == Decimal(70)
    assert [uk_fixed_sum(Decimal(a)) for a in ("999.99", "1000", "9999.99", "10000")] == [
        Decimal(40),
        Decimal(70),
        Decimal(70),
        Decimal(100),
    ]


def test_the_french_preset_charges_the_ecb_rate_plus_ten_points_and_the_forty_euro_indemnity() -> None:
    terms = Terms(Preset.FR_CODE_DE_COMMERCE, reference_rate=Decimal("2.15"))
    invoice = overdue("10000.00", date(2026, 3, 31), currency="EUR")
    fees = {fee.kind: fee for fee in fees_due([invoice], terms, date(2026, 4, 1))}
    assert fees[FeeKind.INTEREST].rate == Decimal("12.15")
    assert fees[FeeKind.INTEREST].amount == Decimal("99.86")  # 10000 * 0.1215 * 30 / 365
    assert fees[FeeKind.FIXED].amount == Decimal(40)


def test_a_statutory_preset_charges_only_invoices_in_its_currency() -> None:
    terms = Terms(Preset.FR_CODE_DE_COMMERCE, reference_rate=Decimal("2.15"))
    assert fees_due([overdue("100.00", date(2026, 3, 31), currency="USD")], terms, date(2026, 4, 10)) == []


def test_disputed_and_fee_invoices_are_never_charged() -> None:
    terms = Terms(Preset.PERCENTAGE_AND_FIXED, percent_a_month=Decimal(2), fixed_fee=Decimal(10))
    invoices = [overdue("100.00", date(2026, 3, 31), ledger_id=i) for i in ("disputed", "fee", "kept")]
    fees = fees_due(invoices, terms, date(2026, 4, 10), excluded=frozenset({"disputed", "fee"}))
    assert {(f.invoice_ledger_id, f.kind) for f in fees} == {
        ("kept", FeeKind.INTEREST),
        ("kept", FeeKind.FIXED),
    }


def test_a_fee_below_a_cent_is_not_raised() -> None:
    terms = Terms(Preset.PERCENTAGE, percent_a_month=Decimal(2))
    assert fees_due([overdue("0.20", date(2026, 3, 31))], terms, date(2026, 4, 10)) == []


def test_a_month_long_period_keeps_to_the_month_end() -> None:
    start = date(2026, 1, 31)
    assert current_period(start, date(2026, 2, 27)) == (start, date(2026, 2, 27))
    assert current_period(start, date(2026, 2, 28)) == (date(2026, 2, 28), date(2026, 3, 30))
    assert current_period(start, date(2026, 3, 31)) == (date(2026, 3, 31), date(2026, 4, 29))
    assert current_period(start, date(2026, 1, 30)) is None


def test_uk_interest_keeps_the_base_rate_in_force_on_the_reference_day_before_it_started() -> None:
    rates = ((date(2025, 12, 18), Decimal("4.00")), (date(2026, 5, 7), Decimal("3.50")))
    terms = Terms(Preset.UK_LATE_PAYMENT_ACT, reference_rates=rates)
    # Interest from 1 June 2026: the rate in force on 31 December 2025, whatever came after.
    june = next(
        f
        for f in fees_due([overdue("1000", date(2026, 5, 31))], terms, date(2026, 9, 10))
        if f.kind == "interest"
    )
    assert june.rate == Decimal("12.00")
    # Interest from 1 July 2026: the rate in force on 30 June 2026.
    july = next(
        f
        for f in fees_due([overdue("1000", date(2026, 6, 30))], terms, date(2026, 7, 10))
        if f.kind == "interest"
    )
    assert july.rate == Decimal("11.50")


def test_french_penalties_use_the_ecb_rate_of_the_half_year_each_period_starts_in() -> None:
    rates = ((date(2026, 1, 1), Decimal("2.15")), (date(2026, 6, 11), Decimal("2.00")))
    terms = Terms(Preset.FR_CODE_DE_COMMERCE, reference_rates=rates)
    invoice = overdue("1000", date(2026, 5, 31), currency="EUR")
    (june,) = [f for f in fees_due([invoice], terms, date(2026, 6, 10)) if f.kind == "interest"]
    (july,) = [f for f in fees_due([invoice], terms, date(2026, 7, 10)) if f.kind == "interest"]
    assert (june.rate, july.rate) == (Decimal("12.15"), Decimal("12.00"))
