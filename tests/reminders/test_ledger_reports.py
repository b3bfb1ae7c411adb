"""Relance's aged receivables equal each ledger's own report, to the cent, on the sandboxes' seeded
companies: synced into the mirror over real HTTP, then compared with the report the ledger prints
for the same date (fetched through xero-python and python-quickbooks, as an accountant's would be)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest

from integration.connections import ledger_for
from integration.rate_limit import RateLimits, Window
from integration.sandbox.xero.limits import XeroLimits
from reminders.receivables.aging import Buckets
from reminders.receivables.report import aged_receivables
from sync.jobs import sync_tenant
from tests.integration.ledgers import demo_quickbooks, demo_xero, quickbooks_consent, xero_consent

ZERO = Decimal("0")
EDGES = Buckets((30, 60, 90, 120))


@pytest.fixture
def xero(monkeypatch):  # type: ignore[no-untyped-def]
    # One report call per contact and date: Xero's 60 calls a minute would make this test wait a minute.
    with demo_xero(monkeypatch, limits=XeroLimits(per_minute=1000)) as sandbox:
        yield sandbox


@pytest.fixture
def quickbooks(monkeypatch):  # type: ignore[no-untyped-def]
    with demo_quickbooks(monkeypatch) as sandbox:
        yield sandbox


def _day(cell: str) -> date:
    return date.fromisoformat(cell[:10])


def xero_report(ledger, contact_id: str, as_of: date) -> tuple[dict[int, Decimal], Decimal, int]:  # type: ignore[no-untyped-def]
    """One contact's AgedReceivablesByContact as Xero prints it: the Due column summed by the
    bucket of each row's "N days overdue" (credits, which have no due date: by their age), the
    closing balance, and the number of rows."""
    answer = ledger.call(
        ledger.api.get_report_aged_receivables_by_contact,
        contact_id=contact_id,
        date=as_of,
        from_date=date(2000, 1, 1),  # everything in the body, nothing folded into an opening balance
        to_date=as_of,
    )
    report = answer["Reports"][0]
    sections = [row for row in report["Rows"] if row["RowType"] == "Section"]
    opening = Decimal(sections[0]["Rows"][0]["Cells"][7]["Value"])
    assert opening == ZERO
    buckets: dict[int, Decimal] = defaultdict(Decimal)
    rows = [row for row in sections[1]["Rows"] if row["RowType"] == "Row"]
    for row in rows:
        cells = [cell["Value"] for cell in row["Cells"]]
        due = Decimal(cells[7])
        if cells[3].endswith("days overdue"):
            late = int(cells[3].split()[0])
        elif cells[2]:
            late = 0  # not yet due, or due on the report date
        else:
            late = (as_of - _day(cells[0])).days  # a credit: no due date
        buckets[EDGES.index(late)] += due
    closing = Decimal(sections[2]["Rows"][0]["Cells"][7]["Value"])
    return dict(buckets), closing, len(rows)


def test_xero_aged_receivables_match_relance_to_the_cent(xero, session, redis_client) -> None:
    connection = xero_consent(session, xero)[0]
    sync_tenant(connection.id)
    ledger = ledger_for(
        connection, redis_client, limits=RateLimits(windows=(Window(1000, 60),), concurrent=5)
    )
    today = xero.books.clock.today()
    unused = {
        c.type for c in xero.books.credits.values() if c.remaining_credit > 0 and c.status == "AUTHORISED"
    }
    assert unused & {"ACCRECCREDIT", "RECEIVE-OVERPAYMENT", "RECEIVE-PREPAYMENT"}, (
        "the company has unused credit"
    )

    for as_of in (today, today - timedelta(days=45)):
        ours = aged_receivables(session, connection.organisation_id, as_of, buckets=EDGES)
        mine = {row.customer_ledger_id: row for row in ours.rows}
        theirs = {}
        for contact_id in sorted(xero.books.contacts):
            buckets, closing, rows = xero_report(ledger, contact_id, as_of)
            if rows:
                theirs[contact_id] = (buckets, closing)
        assert set(mine) == set(theirs), as_of
        for contact_id, (buckets, closing) in theirs.items():
            [(currency, amounts)] = mine[contact_id].by_currency.items()
            assert xero.books.contacts[contact_id].default_currency in (None, currency)
            assert sum(amounts, ZERO) == closing, (as_of, contact_id)
            assert {i: a for i, a in enumerate(amounts) if a} == {i: a for i, a in buckets.items() if a}, (
                as_of,
                contact_id,
            )
    # Unused credit shows, negative, somewhere on today's report.
    today_report = aged_receivables(session, connection.organisation_id, today, buckets=EDGES)
    assert any(a < 0 for row in today_report.rows for a in row.amounts)


def quickbooks_report(ledger, as_of: date) -> tuple[list[str], dict[str, list[Decimal]], list[Decimal]]:  # type: ignore[no-untyped-def]
    """The A/R Aging Summary for ``as_of`` in Relance's default buckets (4 periods of 30 days)."""
    answer = ledger.client.get_report(
        "AgedReceivables", qs={"report_date": as_of.isoformat(), "aging_period": "30", "num_periods": "4"}
    )
    titles = [column["ColTitle"] for column in answer["Columns"]["Column"]]
    customers, grand = {}, []
    for row in answer["Rows"]["Row"]:
        if row.get("group") == "GrandTotal":
            grand = [Decimal(cell["value"] or "0") for cell in row["Summary"]["ColData"][1:]]
            continue
        cells = row["ColData"]
        customers[cells[0]["id"]] = [Decimal(cell["value"] or "0") for cell in cells[1:]]
    return titles, customers, grand


def test_quickbooks_aged_receivables_match_relance_to_the_cent(quickbooks, session, redis_client) -> None:
    connection = quickbooks_consent(session, quickbooks)
    sync_tenant(connection.id)
    ledger = ledger_for(connection, redis_client)
    company = quickbooks.company(connection.tenant_id)
    today = company.today()

    for as_of in (today, today - timedelta(days=45)):
        titles, theirs, grand = quickbooks_report(ledger, as_of)
        ours = aged_receivables(session, connection.organisation_id, as_of, buckets=EDGES)

        assert titles == ["", "Current", "1 - 30", "31 - 60", "61 - 90", "91 - 120", "121 and over", "Total"]
        mine = {row.customer_ledger_id: [*row.amounts, row.total] for row in ours.rows}
        assert mine == theirs, as_of
        assert [*ours.totals, ours.total] == grand
    assert any(a < 0 for amounts in theirs.values() for a in amounts), "unapplied credit in the report"
