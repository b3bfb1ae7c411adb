"""The statement, the letter and the print batch as PDFs, read back by pypdf."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pypdf
import pytest
from PIL import Image

from reminders.dispatch.documents import (
    for_envelope,
    letter_pdf,
    print_batch_pdf,
    statement,
    statement_pdf,
)
from reminders.logos import check_logo, keep_logo
from reminders.models import CollectionSettings
from runtime.tenancy import Organisation
from sync.models import CreditNote, Customer
from tests.reminders.conftest import AS_OF, STAMP, invoice

MM = 72 / 25.4  # PDF points per millimetre
A4_HEIGHT = 297 * MM


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), (20, 90, 160)).save(out, "PNG")
    return out.getvalue()


PNG = png()


@pytest.fixture
def ledger(session, organisation) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Harbour Cafe Ltd (New Zealand) and its customer Kauri & <Sons>, who owes two invoices,
    one of them part paid, and has a credit note not yet used; a second customer owes another."""
    org = session.get(Organisation, organisation)
    org.base_currency, org.country = "NZD", "NZ"
    customer = Customer(
        organisation_id=organisation,
        ledger_id="c-1",
        name="Kauri & <Sons>",
        ledger_updated_at=STAMP,
        postal_address=["PO Box 5521", "Auckland 1141", "New Zealand"],
    )
    session.add(customer)
    session.add(
        Customer(organisation_id=organisation, ledger_id="c-2", name="Alder Ltd", ledger_updated_at=STAMP)
    )
    invoice(
        session, organisation, "i-1", "c-1", "1200.50", date(2026, 6, 1), date(2026, 6, 30), number="INV-0101"
    )
    invoice(
        session,
        organisation,
        "i-2",
        "c-1",
        "300.00",
        date(2026, 3, 1),
        date(2026, 3, 31),
        number="INV-0042",
        payments=[(Decimal("100.00"), date(2026, 5, 2))],
    )
    invoice(
        session,
        organisation,
        "i-3",
        "c-1",
        "80.00",
        date(2026, 4, 1),
        date(2026, 4, 30),
        number="INV-0077",
        paid_on=date(2026, 5, 2),
    )
    invoice(
        session, organisation, "i-4", "c-2", "45.10", date(2026, 5, 1), date(2026, 5, 31), number="INV-0090"
    )
    session.add(
        CreditNote(
            organisation_id=organisation,
            ledger_id="cn-1",
            customer_ledger_id="c-1",
            number="CN-0007",
            status="active",
            currency="NZD",
            issued_on=date(2026, 6, 20),
            total=Decimal("50.00"),
            remaining_credit=Decimal("50.00"),
            ledger_updated_at=STAMP,
        )
    )
    session.commit()
    return organisation, customer.id


def text_of(pdf: bytes) -> list[str]:
    """Each page's text, with babel's narrow and plain no-break spaces as spaces."""
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    return [page.extract_text().replace("\u202f", " ").replace("\xa0", " ") for page in pages]


# The statement ------------------------------------------------------------------------------------


def test_statement_lists_what_is_open_with_totals_and_aging_in_english(session, ledger) -> None:  # type: ignore[no-untyped-def]
    organisation, customer = ledger

    text = "\n".join(text_of(statement_pdf(session, organisation, customer, AS_OF, "en")))

    assert "Statement of account" in text and "As of June 30, 2026" in text
    assert "Kauri & <Sons>" in text and "PO Box 5521" in text and "Auckland 1141" in text
    assert "New Zealand" not in text  # a letter posted in New Zealand does not name the country
    assert "INV-0101" in text and "INV-0042" in text and "CN-0007" in text
    assert "INV-0077" not in text  # paid before the statement's date
    assert "INV-0090" not in text  # another customer's
    assert "NZ$200.00" in text and "NZ$100.00" in text  # the part-paid invoice: due, and paid
    # The invoices, the credit, the balance.
    assert "NZ$1,400.50" in text and "-NZ$50.00" in text and "NZ$1,350.50" in text
    assert "91\N{EN DASH}120 days" in text and "Over 120 days" in text
    assert "Account on hold" not in text


def test_statement_in_french_with_the_account_on_hold(session, ledger) -> None:  # type: ignore[no-untyped-def]
    organisation, customer = ledger

    text = "\n".join(text_of(statement_pdf(session, organisation, customer, AS_OF, "fr", on_hold=True)))

    assert "Relevé de compte" in text and "Au 30 juin 2026" in text
    assert "Compte suspendu".upper() in text.upper()
    assert "Factures non réglées" in text and "Jours de retard" in text and "Solde dû" in text
    assert "1 400,50 $NZ" in text and "1 350,50 $NZ" in text and "-50,00 $NZ" in text
    assert "91 à 120 jours" in text and "Plus de 120 jours" in text
    assert "Statement" not in text and "Account on hold" not in text


def test_statement_ages_with_the_organisations_own_edges(session, ledger) -> None:  # type: ignore[no-untyped-def]
    organisation, customer = ledger
    session.add(
        CollectionSettings(organisation_id=organisation, aging_edges=[15, 45], aging_basis="due_date")
    )
    session.commit()

    found = statement(session, organisation, customer, AS_OF)
    text = "\n".join(text_of(statement_pdf(session, organisation, customer, AS_OF, "en")))

    assert found.bucket_labels == ("current", "1-15", "16-45", "over 45")
    (nzd,) = found.totals
    # Due today is current; the credit note is 10 days old; the part-paid invoice 91 days late.
    assert nzd.buckets == [Decimal("1200.50"), Decimal("-50.00"), Decimal("0"), Decimal("200.00")]
    assert [line.days_late for line in found.invoices] == [91, 0]
    assert "1\N{EN DASH}15 days" in text and "16\N{EN DASH}45 days" in text and "Over 45 days" in text


def test_statement_shows_the_logo(session, ledger) -> None:  # type: ignore[no-untyped-def]
    organisation, customer = ledger
    keep_logo(session, organisation, check_logo(PNG))
    session.commit()

    with_logo = pypdf.PdfReader(io.BytesIO(statement_pdf(session, organisation, customer, AS_OF, "en")))

    assert len(with_logo.pages[0].images) == 1


def test_the_envelope_leaves_out_a_repeated_name_and_the_home_country() -> None:
    lines = ["Russ Sonnenschein", "5647 Cypress Hill Ave.", "Middlefield, CA 94303", "USA"]

    assert for_envelope("Russ Sonnenschein", lines, "US") == [
        "5647 Cypress Hill Ave.",
        "Middlefield, CA 94303",
    ]
    assert for_envelope("Sonnenschein Store", lines, "NZ") == lines


# The letter ---------------------------------------------------------------------------------------


def letter(name: str = "Kauri & <Sons>", language: str = "en", body: str = "", **extra) -> bytes:  # type: ignore[no-untyped-def]
    return letter_pdf(
        "Harbour Cafe Ltd",
        PNG,
        "image/png",
        ["1 Quay St", "Auckland 1010"],
        name,
        ["PO Box 5521", "Auckland 1141"],
        AS_OF,
        "Overdue invoices" if language == "en" else "Factures échues",
        body or "Dear customer,\n\nTwo invoices are overdue.\nPlease pay them.\n\nRegards,\nHarbour Cafe",
        language,
        **extra,
    )


def positions(pdf: bytes) -> dict[str, tuple[float, float]]:
    """Each line of the first page's text: where it starts, in mm from the left and from the top."""
    found: dict[str, tuple[float, float]] = {}

    def visit(text, cm, tm, font, size) -> None:  # type: ignore[no-untyped-def]
        x, y = tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5]
        if text.strip():
            found.setdefault(text.strip(), (x / MM, (A4_HEIGHT - y) / MM))

    pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return found


def test_letter_address_sits_in_a_dl_window_envelopes_window() -> None:
    at = positions(letter())

    for line in ("Kauri & <Sons>", "PO Box 5521", "Auckland 1141"):
        left, top = at[line]
        assert 19 <= left <= 25, (line, left)  # 20 mm from the left edge
        assert 62.7 <= top <= 90, (line, top)  # the recipient's zone of the window, 45 + 17.7 to 90 mm
    assert 45 <= at["Harbour Cafe Ltd, 1 Quay St, Auckland 1010"][1] <= 62.7  # the return line above
    assert at["Subject: Overdue invoices"][1] > 99  # below the first fold: never in the window


def test_letter_has_date_subject_and_paragraphs_in_its_language() -> None:
    (english,) = text_of(letter())
    (french,) = text_of(letter(language="fr"))

    assert "June 30, 2026" in english and "Subject: Overdue invoices" in english
    assert "Two invoices are overdue.\nPlease pay them." in english
    assert "30 juin 2026" in french and "Objet : Factures échues" in french


def test_letter_is_followed_by_the_statement(session, ledger) -> None:  # type: ignore[no-untyped-def]
    organisation, customer = ledger
    enclosed = statement_pdf(session, organisation, customer, AS_OF, "en")

    pages = text_of(letter(with_statement=enclosed))

    assert len(pages) == 2
    assert "Overdue invoices" in pages[0] and "Statement of account" in pages[1] and "INV-0042" in pages[1]


# The print batch ----------------------------------------------------------------------------------


def test_print_batch_starts_each_letter_on_a_new_sheet(session, ledger) -> None:  # type: ignore[no-untyped-def]
    organisation, customer = ledger
    enclosed = statement_pdf(session, organisation, customer, AS_OF, "en")
    letters = [
        letter("First Customer Ltd"),
        letter("Second Customer Ltd", with_statement=enclosed),
        letter("Third Customer Ltd"),
    ]

    pages = text_of(print_batch_pdf(letters))

    # 1: first; 2: blank (the back of the first sheet); 3-4: second and its statement; 5: third.
    assert len(pages) == 5
    assert "First Customer Ltd" in pages[0] and pages[1].strip() == ""
    assert "Second Customer Ltd" in pages[2] and "Statement of account" in pages[3]
    assert "Third Customer Ltd" in pages[4]


def test_an_empty_batch_is_an_empty_pdf() -> None:
    assert text_of(print_batch_pdf([])) == []
