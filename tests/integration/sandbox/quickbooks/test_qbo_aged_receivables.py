"""The A/R aging reports as of `report_date`: only what was dated by then, unapplied credits negative."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

pytest_plugins = ["qbo_fixtures"]  # the shared fixtures (see qbo_fixtures.py for why not conftest)


@pytest.fixture
def today(qbo_sandbox, qbo_realm_id) -> date:
    return qbo_sandbox.company(qbo_realm_id).today()


@pytest.fixture
def customer(qbo_sandbox, qbo_realm_id) -> str:
    return qbo_sandbox.company(qbo_realm_id).create("Customer", {"DisplayName": "Cedar Dental"}).id


def sales_line(amount: str) -> dict:
    return {
        "DetailType": "SalesItemLineDetail",
        "Amount": amount,
        "SalesItemLineDetail": {"ItemRef": {"value": "1", "name": "Services"}},
    }


def invoice(qb, customer: str, amount: str, issued: date, due: date) -> str:
    body = {
        "CustomerRef": {"value": customer},
        "Line": [sales_line(amount)],
        "TxnDate": issued.isoformat(),
        "DueDate": due.isoformat(),
    }
    return qb.create_object("Invoice", json.dumps(body))["Invoice"]["Id"]


def credit_memo(qb, customer: str, amount: str, on: date) -> str:
    body = {"CustomerRef": {"value": customer}, "Line": [sales_line(amount)], "TxnDate": on.isoformat()}
    return qb.create_object("CreditMemo", json.dumps(body))["CreditMemo"]["Id"]


def payment(qb, customer: str, total: str, on: date, *applied: tuple[str, str, str]) -> str:
    """A payment of `total` with one line per (TxnType, TxnId, Amount) it applies."""
    lines = [
        {"Amount": amount, "LinkedTxn": [{"TxnId": txn, "TxnType": kind}]} for kind, txn, amount in applied
    ]
    body = {"CustomerRef": {"value": customer}, "TotalAmt": total, "TxnDate": on.isoformat(), "Line": lines}
    return qb.create_object("Payment", json.dumps(body))["Payment"]["Id"]


def aging(qb, on: date | None = None, name: str = "AgedReceivables") -> dict:
    return qb.get_report(name, qs={"report_date": on.isoformat()} if on else None)


def customer_row(report: dict, customer: str) -> list[str] | None:
    """Current, 1-30, 31-60, 61-90, 91 and over, Total of one customer (None when not listed)."""
    for row in report["Rows"]["Row"]:
        if "ColData" in row and row["ColData"][0].get("id") == customer:
            return [cell["value"] for cell in row["ColData"][1:]]
    return None


def grand_total(report: dict) -> list[str]:
    return [cell["value"] for cell in report["Rows"]["Row"][-1]["Summary"]["ColData"][1:]]


def detail_rows(report: dict) -> list[list[str]]:
    """Date, Transaction Type, Num, Customer, Due Date, Amount, Open Balance of every transaction."""
    return [
        [cell["value"] for cell in data["ColData"]]
        for section in report["Rows"]["Row"]
        if "Rows" in section
        for data in section["Rows"]["Row"]
    ]


def test_payment_dated_after_the_report_date_does_not_reduce_the_invoice(qb, customer, today):
    owed = invoice(qb, customer, "100.00", today - timedelta(days=40), today - timedelta(days=10))
    payment(qb, customer, "60.00", today - timedelta(days=2), ("Invoice", owed, "60.00"))

    earlier = aging(qb, today - timedelta(days=5))
    now = aging(qb, today)

    assert customer_row(earlier, customer) == ["", "100.00", "", "", "", "100.00"]
    assert customer_row(now, customer) == ["", "40.00", "", "", "", "40.00"]


def test_invoice_dated_after_the_report_date_is_left_out(qb, customer, today):
    invoice(qb, customer, "100.00", today - timedelta(days=1), today + timedelta(days=29))

    report = aging(qb, today - timedelta(days=2))

    assert customer_row(report, customer) is None
    assert grand_total(report)[-1] == "0.00"


def test_unapplied_payment_and_credit_memo_show_negative_in_the_bucket_of_their_date(qb, customer, today):
    invoice(qb, customer, "200.00", today - timedelta(days=40), today - timedelta(days=10))
    payment(qb, customer, "50.00", today - timedelta(days=45))
    credit_memo(qb, customer, "30.00", today)

    report = aging(qb, today)

    assert customer_row(report, customer) == ["-30.00", "200.00", "-50.00", "", "", "120.00"]
    assert grand_total(report) == ["-30.00", "200.00", "-50.00", "0.00", "0.00", "120.00"]


def test_credit_memo_used_after_the_report_date_counts_in_full_on_that_date(qb, customer, today):
    owed = invoice(qb, customer, "100.00", today - timedelta(days=10), today + timedelta(days=20))
    memo = credit_memo(qb, customer, "30.00", today - timedelta(days=10))
    payment(
        qb,
        customer,
        "0",
        today - timedelta(days=1),
        ("Invoice", owed, "30.00"),
        ("CreditMemo", memo, "30.00"),
    )

    earlier = aging(qb, today - timedelta(days=5))
    now = aging(qb, today)

    assert customer_row(earlier, customer) == ["100.00", "-30.00", "", "", "", "70.00"]
    assert customer_row(now, customer) == ["70.00", "", "", "", "", "70.00"]


def test_payment_applied_to_a_later_invoice_is_unapplied_until_that_invoice_is_dated(qb, customer, today):
    later = invoice(qb, customer, "80.00", today - timedelta(days=2), today + timedelta(days=28))
    payment(qb, customer, "80.00", today - timedelta(days=6), ("Invoice", later, "80.00"))

    assert customer_row(aging(qb, today - timedelta(days=4)), customer) == [
        "",
        "-80.00",
        "",
        "",
        "",
        "-80.00",
    ]
    assert customer_row(aging(qb, today), customer) is None


def test_customer_whose_balance_nets_to_zero_is_still_listed(qb, customer, today):
    invoice(qb, customer, "50.00", today - timedelta(days=5), today + timedelta(days=25))
    payment(qb, customer, "50.00", today - timedelta(days=40))

    report = aging(qb, today)

    assert customer_row(report, customer) == ["50.00", "", "-50.00", "", "", "0.00"]
    assert report["Header"]["Option"][1] == {"Name": "NoReportData", "Value": "false"}


def test_voided_payment_counts_nothing(qb, customer, today):
    from quickbooks.objects.payment import Payment

    unapplied = payment(qb, customer, "25.00", today - timedelta(days=3))
    Payment.get(unapplied, qb=qb).void(qb=qb)

    assert customer_row(aging(qb, today), customer) is None


def test_detail_lists_credits_with_their_date_as_due_date_and_negative_amounts(qb, customer, today):
    owed = invoice(qb, customer, "100.00", today - timedelta(days=50), today - timedelta(days=20))
    memo = credit_memo(qb, customer, "30.00", today - timedelta(days=35))
    payment(
        qb,
        customer,
        "0",
        today - timedelta(days=3),
        ("Invoice", owed, "10.00"),
        ("CreditMemo", memo, "10.00"),
    )
    payment(qb, customer, "15.00", today)

    report = aging(qb, today, "AgedReceivableDetail")

    def day(days_ago: int) -> str:
        return (today - timedelta(days=days_ago)).isoformat()

    rows = [[row[0], row[1], row[4], row[5], row[6]] for row in detail_rows(report)]
    assert rows == [
        [today.isoformat(), "Payment", today.isoformat(), "-15.00", "-15.00"],
        [day(50), "Invoice", day(20), "100.00", "90.00"],
        [day(35), "Credit Memo", day(35), "-30.00", "-20.00"],
    ]
    sections = [s["Header"]["ColData"][0]["value"] for s in report["Rows"]["Row"] if "Rows" in s]
    assert sections == ["Current", "1 - 30 days past due", "31 - 60 days past due"]
    assert report["Rows"]["Row"][-1]["Summary"]["ColData"][5:] == [{"value": "55.00"}, {"value": "55.00"}]
