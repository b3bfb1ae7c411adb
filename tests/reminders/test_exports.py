"""The aged receivables report as CSV (read back by the csv module) and as a PDF (read back by pypdf)."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pypdf
import pytest

from reminders.receivables.report import aged_receivables
from reminders.reports.exports import receivables_csv, receivables_html, receivables_pdf
from runtime.tenancy import Organisation
from sync.models import CreditNote, Customer
from tests.reminders.conftest import AS_OF, STAMP, invoice


@pytest.fixture
def ledger(session, organisation) -> int:  # type: ignore[no-untyped-def]
    org = session.get(Organisation, organisation)
    org.base_currency = "GBP"
    for ledger_id, name in (
        ("c-1", "Harbour Café & <Bakery>"),
        ("c-2", '=HYPERLINK("http://x")'),
        ("c-3", "Alder Ltd"),
    ):
        session.add(
            Customer(organisation_id=organisation, ledger_id=ledger_id, name=name, ledger_updated_at=STAMP)
        )
    invoice(session, organisation, "i-1", "c-1", "1200.50", date(2026, 6, 1), date(2026, 6, 30))  # due today
    invoice(session, organisation, "i-2", "c-1", "300.00", date(2026, 3, 1), date(2026, 3, 31))  # 91 days
    invoice(session, organisation, "i-3", "c-2", "45.10", date(2026, 5, 1), date(2026, 5, 31))  # 30 days
    invoice(
        session,
        organisation,
        "i-4",
        "c-3",
        "99.99",
        date(2026, 4, 1),
        date(2026, 4, 30),
        paid_on=date(2026, 5, 2),
    )
    session.add(
        CreditNote(
            organisation_id=organisation,
            ledger_id="cn-1",
            customer_ledger_id="c-1",
            number="CN-0007",
            status="active",
            currency="GBP",
            issued_on=date(2026, 6, 20),
            total=Decimal("50.00"),
            remaining_credit=Decimal("50.00"),
            ledger_updated_at=STAMP,
        )
    )
    session.commit()
    return organisation


def test_csv_lists_each_customer_by_bucket_with_a_total_row(session, ledger) -> None:  # type: ignore[no-untyped-def]
    report = aged_receivables(session, ledger, AS_OF)

    rows = list(csv.reader(io.StringIO(receivables_csv(report))))

    assert rows[0] == [
        "Customer",
        "Current",
        "1-30 days",
        "31-60 days",
        "61-90 days",
        "91-120 days",
        "Over 120 days",
        "Total",
        "Currency",
    ]
    # By name; a name a spreadsheet would run as a formula is quoted as text.
    assert [r[0] for r in rows[1:]] == ['\'=HYPERLINK("http://x")', "Harbour Café & <Bakery>", "Total"]
    # Credit ages from its own date: the note of 20 June is 10 days old.
    assert rows[2][1:8] == ["1200.50", "-50.00", "0.00", "0.00", "300.00", "0.00", "1450.50"]
    assert rows[1][2] == "45.10"
    assert rows[-1][1:] == ["1200.50", "-4.90", "0.00", "0.00", "300.00", "0.00", "1495.60", "GBP"]


def test_csv_detail_has_one_row_per_open_item_credits_negative(session, ledger) -> None:  # type: ignore[no-untyped-def]
    report = aged_receivables(session, ledger, AS_OF, detail=True)

    rows = list(csv.DictReader(io.StringIO(receivables_csv(report, detail=True))))

    harbour = [r for r in rows if r["Customer"].startswith("Harbour")]
    assert [(r["Type"], r["Number"], r["Amount"], r["Bucket"]) for r in harbour] == [
        ("Invoice", "", "300.00", "91-120 days"),
        ("Invoice", "", "1200.50", "Current"),
        ("Credit note", "CN-0007", "-50.00", "1-30 days"),
    ]
    assert [r["Days past due"] for r in harbour] == ["91", "0", ""]
    assert sum(Decimal(r["Amount (GBP)"]) for r in rows) == report.total == Decimal("1495.60")


def test_the_pdf_prints_names_amounts_and_totals_in_the_locale(session, ledger) -> None:  # type: ignore[no-untyped-def]
    report = aged_receivables(session, ledger, AS_OF, detail=True)

    pdf = pypdf.PdfReader(io.BytesIO(receivables_pdf(report, "en_GB")))
    text = "\n".join(page.extract_text() for page in pdf.pages)

    assert len(pdf.pages) == 2  # the summary, then the detail from a new page
    assert "Aged receivables" in text and "30 June 2026" in text
    assert "Harbour Café & <Bakery>" in text
    assert "£1,495.60" in text and "£1,200.50" in text and "-£50.00" in text
    assert "Page 1 of 2" in text


def test_the_page_escapes_what_customers_are_called(session, ledger) -> None:  # type: ignore[no-untyped-def]
    html = receivables_html(aged_receivables(session, ledger, AS_OF), "fr_FR")

    assert "Harbour Café &amp; &lt;Bakery&gt;" in html
    assert "1\u202f495,60\xa0£GB" in html or "1\u202f495,60\xa0£" in html  # French grouping and decimals


def test_an_empty_ledger_says_so(session, organisation) -> None:  # type: ignore[no-untyped-def]
    report = aged_receivables(session, organisation, AS_OF)

    assert "Nothing is owed on this date." in receivables_html(report)
    assert list(csv.reader(io.StringIO(receivables_csv(report))))[-1][-2:] == ["0.00", "GBP"]
