"""The A/R aging reports (`GET /reports/AgedReceivables` and `/reports/AgedReceivableDetail`) in Intuit's report JSON.

Intuit's reports share one shape: `Header` (ReportName, Time, DateMacro, Currency, Option
name/value pairs), `Columns.Column[]` (ColTitle, ColType, MetaData ColKey) and `Rows.Row[]`
with `ColData[{value, id}]` per customer and a `Summary` GrandTotal section (shape per
Intuit's Reports API reference; the exact column keys are unconfirmed). Aging buckets
follow the report's defaults: current, 1-30, 31-60, 61-90, 91 and over days past due,
as of `report_date` (today by default), with `aging_period` and `num_periods` parameters.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .company import Company
from .faults import InvalidProperty, UnsupportedOperation
from .wire import format_timestamp, parse_date

ZERO = Decimal("0")


def _money(value: Decimal, blank_zero: bool) -> str:
    return "" if blank_zero and value == ZERO else f"{value:.2f}"


def _bucket_titles(period: int, count: int) -> list[tuple[str, str]]:
    titles = [("Current", "current")]
    for index in range(count):
        low, high = index * period + 1, (index + 1) * period
        titles.append((f"{low} - {high}", str(index)))
    titles.append((f"{count * period + 1} and over", str(count)))
    return titles


def aged_receivables(company: Company, params: dict[str, str], now: datetime) -> dict[str, Any]:
    """Open invoice balances per customer, bucketed by days past due."""
    try:
        as_of: date = parse_date(params["report_date"]) if params.get("report_date") else company.today(now)
        period = int(params.get("aging_period", 30))
        count = int(params.get("num_periods", 3))
    except ValueError as error:
        raise InvalidProperty(f"invalid report parameter: {error}") from error
    titles = _bucket_titles(period, count)
    rows: dict[str, list[Decimal]] = {}
    names: dict[str, str] = {}
    for invoice in company.live("Invoice"):
        balance = invoice.body.get("Balance", ZERO)
        if balance <= ZERO or parse_date(invoice.body["TxnDate"]) > as_of:
            continue
        overdue = (as_of - parse_date(invoice.body["DueDate"])).days
        bucket = 0 if overdue <= 0 else min(1 + (overdue - 1) // period, count + 1)
        customer = invoice.body["CustomerRef"]
        amounts = rows.setdefault(customer["value"], [ZERO] * len(titles))
        names[customer["value"]] = customer.get("name") or customer["value"]
        amounts[bucket] += balance
    totals = [ZERO] * len(titles)
    report_rows = []
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
    columns = [{"ColTitle": "", "ColType": "Customer"}]
    columns += [
        {"ColTitle": title, "ColType": "Money", "MetaData": [{"Name": "ColKey", "Value": key}]}
        for title, key in titles
    ]
    columns.append(
        {"ColTitle": "Total", "ColType": "Money", "MetaData": [{"Name": "ColKey", "Value": "total"}]}
    )
    return {
        "Header": {
            "Time": format_timestamp(now, company.zone),
            "ReportName": "AgedReceivables",
            "DateMacro": "today",
            "StartPeriod": as_of.isoformat(),
            "EndPeriod": as_of.isoformat(),
            "SummarizeColumnsBy": "Total",
            "Currency": "USD",
            "Option": [
                {"Name": "report_date", "Value": as_of.isoformat()},
                {"Name": "NoReportData", "Value": "false" if rows else "true"},
            ],
        },
        "Columns": {"Column": columns},
        "Rows": {"Row": report_rows},
    }


def aged_receivable_detail(company: Company, params: dict[str, str], now: datetime) -> dict[str, Any]:
    """Each open invoice in a section per aging bucket, with section totals (column keys unconfirmed)."""
    summary = aged_receivables(company, params, now)
    as_of = parse_date(summary["Header"]["EndPeriod"])
    period = int(params.get("aging_period", 30))
    count = int(params.get("num_periods", 3))
    titles = ["Current"] + [f"{i * period + 1} - {(i + 1) * period} days past due" for i in range(count)]
    titles.append(f"{count * period + 1} or more days past due")
    sections: list[list[dict[str, Any]]] = [[] for _ in titles]
    totals = [[ZERO, ZERO] for _ in titles]
    invoices = sorted(company.live("Invoice"), key=lambda i: (i.body["DueDate"], int(i.id)))
    for invoice in invoices:
        body = invoice.body
        if body.get("Balance", ZERO) <= ZERO or parse_date(body["TxnDate"]) > as_of:
            continue
        overdue = (as_of - parse_date(body["DueDate"])).days
        bucket = 0 if overdue <= 0 else min(1 + (overdue - 1) // period, count + 1)
        sections[bucket].append(
            {
                "type": "Data",
                "ColData": [
                    {"value": body["TxnDate"]},
                    {"value": "Invoice", "id": invoice.id},
                    {"value": body.get("DocNumber", "")},
                    {"value": body["CustomerRef"].get("name", ""), "id": body["CustomerRef"]["value"]},
                    {"value": body["DueDate"]},
                    {"value": _money(body["TotalAmt"], False)},
                    {"value": _money(body["Balance"], False)},
                ],
            }
        )
        totals[bucket][0] += body["TotalAmt"]
        totals[bucket][1] += body["Balance"]
    rows = [
        {
            "Header": {"ColData": [{"value": title}] + [{"value": ""}] * 6},
            "Rows": {"Row": section},
            "Summary": {
                "ColData": [{"value": f"Total for {title}"}]
                + [{"value": ""}] * 4
                + [{"value": _money(amount, False)}, {"value": _money(open_amount, False)}]
            },
            "type": "Section",
        }
        for title, section, (amount, open_amount) in zip(titles, sections, totals, strict=True)
        if section
    ]
    grand = [sum((t[0] for t in totals), ZERO), sum((t[1] for t in totals), ZERO)]
    rows.append(
        {
            "Summary": {
                "ColData": [{"value": "TOTAL"}]
                + [{"value": ""}] * 4
                + [{"value": _money(grand[0], False)}, {"value": _money(grand[1], False)}]
            },
            "type": "Section",
            "group": "GrandTotal",
        }
    )
    keys = (
        ("Date", "Date", "tx_date"),
        ("Transaction Type", "String", "txn_type"),
        ("Num", "String", "doc_num"),
        ("Customer", "String", "cust_name"),
        ("Due Date", "Date", "due_date"),
        ("Amount", "Money", "subt_amount"),
        ("Open Balance", "Money", "subt_open_bal"),
    )
    header = dict(summary["Header"], ReportName="AgedReceivableDetail")
    return {
        "Header": header,
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
