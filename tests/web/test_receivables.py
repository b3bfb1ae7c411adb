"""The aged receivables report in the web app: only an organisation's people see it or download it."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pypdf
import pytest
from werkzeug.http import parse_options_header

from runtime.db import db
from runtime.sign_ins import start_session
from runtime.tenancy import Membership, Organisation, User
from sync.models import Customer
from tests.reminders.conftest import STAMP, invoice


@pytest.fixture
def people(session):  # type: ignore[no-untyped-def]
    """Two organisations, each with its owner and one customer owing money."""
    found = {}
    for name, customer in (("Harbour Cafe Ltd", "Tui Catering"), ("Kauri Builders", "Rimu Homes")):
        organisation = Organisation(name=name, base_currency="NZD", timezone="Pacific/Auckland")
        user = User(email=f"owner@{name.split()[0].lower()}.example", name="Owner")
        session.add_all([organisation, user])
        session.flush()
        session.add(Membership(user_id=user.id, organisation_id=organisation.id))
        session.add(
            Customer(organisation_id=organisation.id, ledger_id="c-1", name=customer, ledger_updated_at=STAMP)
        )
        invoice(session, organisation.id, "i-1", "c-1", "250.00", date(2026, 5, 1), date(2026, 5, 31))
        found[name] = (organisation.id, user.id)
    session.commit()
    return found


def sign_in(client, user_id: int) -> None:  # type: ignore[no-untyped-def]
    """What a sign-in leaves: a session kept on the server, its token in the browser's cookie."""
    token = start_session(db.session, user_id, timedelta(days=1))
    db.session.commit()
    with client.session_transaction() as flask_session:  # what Flask-Login keeps after a sign-in
        flask_session["_user_id"] = token
        flask_session["_fresh"] = True


def test_the_owner_gets_the_page_the_csv_and_the_pdf(client, people) -> None:  # type: ignore[no-untyped-def]
    organisation_id, user_id = people["Harbour Cafe Ltd"]
    sign_in(client, user_id)
    base = f"/organisations/{organisation_id}/aged-receivables"

    page = client.get(f"{base}?as_of=2026-06-30", headers={"Accept-Language": "en-NZ"})
    csv_file = client.get(f"{base}.csv?as_of=2026-06-30")
    pdf_file = client.get(f"{base}.pdf?as_of=2026-06-30&detail=1")

    assert page.status_code == 200 and "Tui Catering" in page.text and "Rimu Homes" not in page.text
    assert "$250.00" in page.text
    rows = list(csv.reader(io.StringIO(csv_file.text)))
    assert rows[1][0] == "Tui Catering" and rows[1][2] == "250.00"  # 30 days past due
    assert csv_file.headers["Content-Disposition"] == (
        'attachment; filename="Harbour Cafe Ltd aged receivables 2026-06-30.csv"'
    )
    assert pdf_file.headers["Content-Disposition"] == (
        'attachment; filename="Harbour Cafe Ltd aged receivables 2026-06-30.pdf"'
    )
    assert pdf_file.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf_file.data)).pages)
    assert "Tui Catering" in text and "Harbour Cafe Ltd" in text


def test_a_download_keeps_an_accented_name_and_drops_what_no_file_may_hold(client, people, session) -> None:  # type: ignore[no-untyped-def]
    organisation_id, user_id = people["Harbour Cafe Ltd"]
    session.get(Organisation, organisation_id).name = 'Café Ōtaki / "Harbour" Ltd'
    session.commit()
    sign_in(client, user_id)

    answer = client.get(f"/organisations/{organisation_id}/aged-receivables.csv?as_of=2026-06-30")

    disposition = answer.headers["Content-Disposition"]
    assert disposition.startswith(
        'attachment; filename="Cafe Otaki Harbour Ltd aged receivables 2026-06-30.csv";'
    )
    assert (
        "filename*=UTF-8''Caf%C3%A9%20%C5%8Ctaki%20Harbour%20Ltd%20aged%20receivables%202026-06-30.csv"
        in disposition
    )
    # What a browser makes of it (RFC 6266 4.3: filename* wins where it is understood).
    assert parse_options_header(disposition) == (
        "attachment",
        {"filename": "Café Ōtaki Harbour Ltd aged receivables 2026-06-30.csv"},
    )


def test_another_organisations_report_is_not_found(client, people) -> None:  # type: ignore[no-untyped-def]
    _, user_id = people["Harbour Cafe Ltd"]
    other_id, _ = people["Kauri Builders"]
    sign_in(client, user_id)

    for suffix in ("", ".csv", ".pdf"):
        assert client.get(f"/organisations/{other_id}/aged-receivables{suffix}").status_code == 404


def test_signed_out_people_are_sent_to_sign_in(client, people) -> None:  # type: ignore[no-untyped-def]
    organisation_id, _ = people["Harbour Cafe Ltd"]

    answer = client.get(f"/organisations/{organisation_id}/aged-receivables.csv")

    assert answer.status_code == 302 and "/signin" in answer.headers["Location"]


def test_a_date_that_is_not_a_date_is_a_clear_400(client, people) -> None:  # type: ignore[no-untyped-def]
    organisation_id, user_id = people["Harbour Cafe Ltd"]
    sign_in(client, user_id)

    answer = client.get(f"/organisations/{organisation_id}/aged-receivables.csv?as_of=30/06/2026")

    assert answer.status_code == 400 and "YYYY-MM-DD" in answer.text


@pytest.fixture
def three_customers(session, people):  # type: ignore[no-untyped-def]
    """Harbour Cafe's customers: Tui Catering owes 250.00 (30 days late at 30 June), Kowhai
    Florists 900.00 not yet due, Abel Tasman Tours 40.00 over 30 days late."""
    organisation_id, _ = people["Harbour Cafe Ltd"]
    for ledger_id, name in (("c-2", "Kowhai Florists"), ("c-3", "Abel Tasman Tours")):
        session.add(
            Customer(organisation_id=organisation_id, ledger_id=ledger_id, name=name, ledger_updated_at=STAMP)
        )
    invoice(session, organisation_id, "i-2", "c-2", "900.00", date(2026, 6, 20), date(2026, 7, 20))
    invoice(session, organisation_id, "i-3", "c-3", "40.00", date(2026, 4, 1), date(2026, 5, 1))
    session.commit()
    return people


def _names_in_order(text: str) -> list[str]:
    names = ("Tui Catering", "Kowhai Florists", "Abel Tasman Tours")
    body = text.split("<tbody>", 1)[1]
    return sorted(names, key=body.index)


def test_the_page_is_part_of_the_app_with_the_total_first_and_its_controls(client, people) -> None:  # type: ignore[no-untyped-def]
    organisation_id, user_id = people["Harbour Cafe Ltd"]
    sign_in(client, user_id)

    text = client.get(
        f"/organisations/{organisation_id}/aged-receivables?as_of=2026-06-30&detail=1",
        headers={"Accept-Language": "en-NZ"},
    ).text

    assert 'nav class="areas"' in text and f'href="/organisations/{organisation_id}/settings"' in text
    assert text.index("Total owed") < text.index("Tui Catering")  # the total comes first
    assert '<input type="date" name="as_of" value="2026-06-30"' in text
    assert '<option value="1" selected>Every open item</option>' in text
    assert (
        f'href="/organisations/{organisation_id}/aged-receivables.csv?as_of=2026-06-30&amp;detail=1"' in text
    )
    assert (
        f'href="/organisations/{organisation_id}/aged-receivables.pdf?as_of=2026-06-30&amp;detail=1"' in text
    )
    assert "Invoice" in text and "1-30 days" in text


def test_changing_the_day_changes_the_figures(client, three_customers) -> None:  # type: ignore[no-untyped-def]
    organisation_id, user_id = three_customers["Harbour Cafe Ltd"]
    sign_in(client, user_id)

    before_any = client.get(f"/organisations/{organisation_id}/aged-receivables?as_of=2026-03-31").text
    end_of_june = client.get(f"/organisations/{organisation_id}/aged-receivables?as_of=2026-06-30").text

    assert "Nothing is owed on this date." in before_any
    assert "Tui Catering" in end_of_june and "$1,190.00" in end_of_june


def test_rows_sort_by_customer_a_bucket_or_the_total(client, three_customers) -> None:  # type: ignore[no-untyped-def]
    organisation_id, user_id = three_customers["Harbour Cafe Ltd"]
    sign_in(client, user_id)
    base = f"/organisations/{organisation_id}/aged-receivables?as_of=2026-06-30"

    by_name = client.get(base).text
    by_total = client.get(f"{base}&sort=total&order=desc").text
    smallest_first = client.get(f"{base}&sort=total&order=asc").text
    current_first = client.get(f"{base}&sort=0&order=desc").text

    assert _names_in_order(by_name) == ["Abel Tasman Tours", "Kowhai Florists", "Tui Catering"]
    assert _names_in_order(by_total) == ["Kowhai Florists", "Tui Catering", "Abel Tasman Tours"]
    assert _names_in_order(smallest_first) == ["Abel Tasman Tours", "Tui Catering", "Kowhai Florists"]
    assert _names_in_order(current_first)[0] == "Kowhai Florists"
    # The column sorted by says so, and its link turns the order around; the day is kept.
    assert 'aria-sort="descending"' in by_total
    assert "sort=total&amp;order=asc&amp;as_of=2026-06-30" in by_total


def test_a_column_that_does_not_exist_is_a_clear_400(client, people) -> None:  # type: ignore[no-untyped-def]
    organisation_id, user_id = people["Harbour Cafe Ltd"]
    sign_in(client, user_id)
    base = f"/organisations/{organisation_id}/aged-receivables"

    for query in ("sort=name", "sort=9", "sort=-1", "sort=total&order=up", "sort=\uff11"):
        answer = client.get(f"{base}?{query}")
        assert answer.status_code == 400, query
    assert "sort must be customer, total" in client.get(f"{base}?sort=name").text


def test_the_downloads_keep_the_names_order_whatever_the_page_is_sorted_by(client, three_customers) -> None:  # type: ignore[no-untyped-def]
    organisation_id, user_id = three_customers["Harbour Cafe Ltd"]
    sign_in(client, user_id)

    rows = list(
        csv.reader(
            io.StringIO(
                client.get(
                    f"/organisations/{organisation_id}/aged-receivables.csv?as_of=2026-06-30&sort=total&order=desc"
                ).text
            )
        )
    )

    assert [row[0] for row in rows[1:]] == ["Abel Tasman Tours", "Kowhai Florists", "Tui Catering", "Total"]


def test_each_row_links_to_its_customer_page_where_there_is_one(app, client, people, session) -> None:  # type: ignore[no-untyped-def]
    organisation_id, user_id = people["Harbour Cafe Ltd"]
    customer_id = session.query(Customer.id).filter_by(organisation_id=organisation_id).scalar()
    sign_in(client, user_id)

    text = client.get(f"/organisations/{organisation_id}/aged-receivables?as_of=2026-06-30").text

    customer_page = f'<a href="/organisations/{organisation_id}/customers/{customer_id}">Tui Catering</a>'
    if "customers.page" in app.view_functions:
        assert customer_page in text
    else:  # the customers area is not in this build: the name, without a link that would 404
        assert "<td>Tui Catering</td>" in text and "/customers/" not in text


def test_the_page_reads_in_french(client, people) -> None:  # type: ignore[no-untyped-def]
    organisation_id, user_id = people["Harbour Cafe Ltd"]
    sign_in(client, user_id)

    text = client.get(
        f"/organisations/{organisation_id}/aged-receivables?as_of=2026-06-30",
        headers={"Accept-Language": "fr-FR"},
    ).text

    assert "Encours total" in text and "Non échu" in text and "Plus de 120 jours" in text
    assert "250,00\xa0$NZ" in text and "30 juin 2026" in text
