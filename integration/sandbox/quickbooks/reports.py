"""The A/R aging reports (`GET /reports/AgedReceivables` and `/reports/AgedReceivableDetail`) in Intuit's report JSON.

Intuit's reports share one shape: `Header` (ReportName, Time, DateMacro, Currency, Option
name/value pairs), `Columns.Column[]` (ColTitle, ColType, MetaData ColKey) and `Rows.Row[]`
with `ColData[{value, id}]` per customer and a `Summary` GrandTotal section (shape per
Intuit's Reports API reference; the exact column keys are unconfirmed). Aging buckets
follow the report's defaults: current, 1-30, 31-60, 61-90, 91 and over days past due,
as of `report_date` (today by default), with `aging_period` and `num_periods` parameters.

Every amount is as of `report_date`, not today: only transactions dated (TxnDate) on or before
it count, and a payment's application counts once both it and the transaction it settles are
dated on or before it (an application dated by the later of the two: unconfirmed). An invoice
owes its TotalAmt less what such payments applied to it. Unapplied credit shows as a negative
amount: a payment no invoice took ("Any payments from your clients will be marked with a negative
value", https://help.goodshuffle.com/en/articles/6210828-why-does-my-report-in-quickbooks-online-have-a-negative-value)
and a credit memo not yet used up (secondary/unconfirmed: an unapplied credit memo is an open A/R
balance). Voided and deleted transactions count nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .company import Company
from .faults import InvalidProperty, UnsupportedOperation
from .wire import format_timestamp, parse_date

if TYPE_CHECKING:
    from .company import StoredEntity

ZERO = Decimal("0")
TYPE_NAMES = {"Invoice": "Invoice", "CreditMemo": "Credit Memo", "Payment": "Payment"}


@dataclass(frozen=True)
class Aging:
    """The report's parameters: the date it is as of and its buckets."""

    as_of: date
    period: int
    count: int

    def bucket(self, since: date) -> int:
        """0 is Current (0 or fewer days), then one per period, the last open-ended."""
        days = (self.as_of - since).days
        return 0 if days <= 0 else min(1 + (days - 1) // self.period, self.count + 1)


@dataclass(frozen=True)
class OpenItem:
    """An invoice still owed on the report date (positive) or credit still unapplied (negative)."""

    entity: StoredEntity
    txn_date: date
    due_date: date  # a credit has none; it ages from its TxnDate (unconfirmed)
    amount: Decimal
    open_balance: Decimal

    @property
    def customer(self) -> dict[str, str]:
        return self.entity.body["CustomerRef"]


def aging_of(company: Company, params: dict[str, str], now: datetime) -> Aging:
    """`report_date` (company today by default), `aging_period` and `num_periods`."""
    try:
        as_of = parse_date(params["report_date"]) if params.get("report_date") else company.today(now)
        return Aging(as_of, int(params.get("aging_period", 30)), int(params.get("num_periods", 3)))
    except ValueError as error:
        raise InvalidProperty(f"invalid report parameter: {error}") from error


def _dated_by(entity: StoredEntity | None, as_of: date) -> bool:
    """Live, not voided, and dated on or before the report date."""
    return (
        entity is not None
        and not entity.deleted
        and not entity.voided
        and parse_date(entity.body["TxnDate"]) <= as_of
    )


def _applied_as_of(company: Company, as_of: date) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """Per invoice or credit memo: what payments had settled or consumed of it by the report date;
    per payment: what it had applied to invoices less what it drew from credit memos."""
    on_target: dict[str, Decimal] = defaultdict(lambda: ZERO)
    net_by_payment: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for target_id, by_payment in company.applications.by_target.items():
        invoice = company.find("Invoice", target_id)
        target = invoice or company.find("CreditMemo", target_id)
        if not _dated_by(target, as_of):
            continue
        for payment_id, amount in by_payment.items():
            if _dated_by(company.find("Payment", payment_id), as_of):
                on_target[target_id] += amount
                net_by_payment[payment_id] += amount if invoice is not None else -amount
    return on_target, net_by_payment


def open_items(company: Company, as_of: date) -> list[OpenItem]:
    """Every invoice and unapplied credit open on the report date."""
    items = []
    with company.lock:
        on_target, net_by_payment = _applied_as_of(company, as_of)
        for kind, sign in (("Invoice", 1), ("CreditMemo", -1), ("Payment", -1)):
            for entity in company.live(kind):
                if not _dated_by(entity, as_of):
                    continue
                total = entity.body["TotalAmt"]
                # A payment's UnappliedAmt is TotalAmt - (applied to invoices - drawn from credit
                # memos) (bookkeeping.prepare_payment); here only applications already dated count.
                used = net_by_payment[entity.id] if kind == "Payment" else on_target[entity.id]
                if total - used <= ZERO:
                    continue
                txn_date = parse_date(entity.body["TxnDate"])
                due = parse_date(entity.body["DueDate"]) if kind == "Invoice" else txn_date
                items.append(OpenItem(entity, txn_date, due, sign * total, sign * (total - used)))
    return items


def _money(value: Decimal, blank_zero: bool) -> str:
    return "" if blank_zero and value == ZERO else f"{value:.2f}"


def _bucket_titles(period: int, count: int) -> list[tuple[str, str]]:
    titles = [("Current", "current")]
    for index in range(count):
        low, high = index * period + 1, (index + 1) * period
        titles.append((f"{low} - {high}", str(index)))
    titles.append((f"{count * period + 1} and over", str(count)))
    return titles


def _header(company: Company, name: str, aging: Aging, now: datetime, has_data: bool) -> dict[str, Any]:
    return {
        "Time": format_timestamp(now, company.zone),
        "ReportName": name,
        "DateMacro": "today",
        "StartPeriod": aging.as_of.isoformat(),
        "EndPeriod": aging.as_of.isoformat(),
        "SummarizeColumnsBy": "Total",
        "Currency": "USD",
        "Option": [
            {"Name": "report_date", "Value": aging.as_of.isoformat()},
            {"Name": "NoReportData", "Value": "false" if has_data else "true"},
        ],
    }


def _customer_buckets(aging: Aging, items: list[OpenItem]) -> tuple[dict[str, list[Decimal]], dict[str, str]]:
    """Open amounts per customer and bucket; a customer whose buckets are all zero is left out."""
    rows: dict[str, list[Decimal]] = {}
    names: dict[str, str] = {}
    for item in items:
        customer_id = item.customer["value"]
        amounts = rows.setdefault(customer_id, [ZERO] * (aging.count + 2))
        names[customer_id] = item.customer.get("name") or customer_id
        amounts[aging.bucket(item.due_date)] += item.open_balance
    return {cid: amounts for cid, amounts in rows.items() if any(amounts)}, names


def aged_receivables(company: Company, params: dict[str, str], now: datetime) -> dict[str, Any]:
    """Open balances per customer, bucketed by days past due; unapplied credits negative."""
    aging = aging_of(company, params, now)
    titles = _bucket_titles(aging.period, aging.count)
    rows, names = _customer_buckets(aging, open_items(company, aging.as_of))
    totals = [ZERO] * len(titles)
    report_rows: list[dict[str, Any]] = []
    for customer_id in sorted(rows, key=lambda cid: names[cid].lower()):
        amounts = rows[customer_id]
        totals = [a + b for a, b in zip(totals, amounts, strict=True)]
        report_rows.append(
            {
                "ColData": [{"value": names[customer_id], "id": customer_id}]
                + [{"value": _money(a, True)} for a in amounts]
                + [{"value": _money(sum(amounts, ZERO), False)}]
            }
        )
    report_rows.append(
        {
            "Summary": {
                "ColData": [{"value": "TOTAL"}]
                + [{"value": _money(t, False)} for t in totals]
                + [{"value": _money(sum(totals, ZERO), False)}]
            },
            "type": "Section",
            "group": "GrandTotal",
        }
    )
    columns: list[dict[str, Any]] = [{"ColTitle": "", "ColType": "Customer"}]
    columns += [
        {"ColTitle": title, "ColType": "Money", "MetaData": [{"Name": "ColKey", "Value": key}]}
        for title, key in titles
    ]
    columns.append(
        {"ColTitle": "Total", "ColType": "Money", "MetaData": [{"Name": "ColKey", "Value": "total"}]}
    )
    return {
        "Header": _header(company, "AgedReceivables", aging, now, bool(rows)),
        "Columns": {"Column": columns},
        "Rows": {"Row": report_rows},
    }


def _detail_row(item: OpenItem) -> dict[str, Any]:
    body = item.entity.body
    return {
        "type": "Data",
        "ColData": [
            {"value": item.txn_date.isoformat()},
            {"value": TYPE_NAMES[item.entity.kind], "id": item.entity.id},
            {"value": body.get("DocNumber") or body.get("PaymentRefNum") or ""},
            {"value": item.customer.get("name", ""), "id": item.customer["value"]},
            {"value": item.due_date.isoformat()},
            {"value": _money(item.amount, False)},
            {"value": _money(item.open_balance, False)},
        ],
    }


def _amount_summary(title: str, amount: Decimal, open_amount: Decimal) -> dict[str, Any]:
    return {
        "ColData": [{"value": title}]
        + [{"value": ""}] * 4
        + [{"value": _money(amount, False)}, {"value": _money(open_amount, False)}]
    }


def aged_receivable_detail(company: Company, params: dict[str, str], now: datetime) -> dict[str, Any]:
    """Each open transaction in a section per aging bucket, with section totals (column keys unconfirmed)."""
    aging = aging_of(company, params, now)
    titles = ["Current"] + [
        f"{i * aging.period + 1} - {(i + 1) * aging.period} days past due" for i in range(aging.count)
    ]
    titles.append(f"{aging.count * aging.period + 1} or more days past due")
    sections: list[list[OpenItem]] = [[] for _ in titles]
    items = open_items(company, aging.as_of)
    for item in sorted(items, key=lambda i: (i.due_date, int(i.entity.id))):
        sections[aging.bucket(item.due_date)].append(item)
    rows = [
        {
            "Header": {"ColData": [{"value": title}] + [{"value": ""}] * 6},
            "Rows": {"Row": [_detail_row(item) for item in section]},
            "Summary": _amount_summary(
                f"Total for {title}",
                sum((i.amount for i in section), ZERO),
                sum((i.open_balance for i in section), ZERO),
            ),
            "type": "Section",
        }
        for title, section in zip(titles, sections, strict=True)
        if section
    ]
    grand = _amount_summary(
        "TOTAL", sum((i.amount for i in items), ZERO), sum((i.open_balance for i in items), ZERO)
    )
    rows.append({"Summary": grand, "type": "Section", "group": "GrandTotal"})
    keys = (
        ("Date", "Date", "tx_date"),
        ("Transaction Type", "String", "txn_type"),
        ("Num", "String", "doc_num"),
        ("Customer", "String", "cust_name"),
        ("Due Date", "Date", "due_date"),
        ("Amount", "Money", "subt_amount"),
        ("Open Balance", "Money", "subt_open_bal"),
    )
    return {
        "Header": _header(company, "AgedReceivableDetail", aging, now, bool(items)),
        "Columns": {
            "Column": [
                {"ColTitle": title, "ColType": kind, "MetaData": [{"Name": "ColKey", "Value": key}]}
                for title, kind, key in keys
            ]
        },
        "Rows": {"Row": rows},
    }


REPORTS = {"AgedReceivables": aged_receivables, "AgedReceivableDetail": aged_receivable_detail}


def run_report(company: Company, name: str, params: dict[str, str], now: datetime) -> dict[str, Any]:
    """A report by name, or Unsupported Operation for the ones the sandbox does not have."""
    report = REPORTS.get(name)
    if report is None:
        raise UnsupportedOperation(f"report {name}")
    return report(company, params, now)
