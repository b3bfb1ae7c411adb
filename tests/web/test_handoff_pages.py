"""The end of the road in the staff app: the recommendation with its odds on the customer page and
the dashboard, the pack as a download, handing off and taking back, and the organisation's age."""

# ruff: noqa: F811  (the fixtures books and today come from test_customers)
from __future__ import annotations

import io
import zipfile
from datetime import date

from sqlalchemy import select

from reminders.handoff import Handoff
from reminders.models import LedgerNote
from runtime.db import db
from runtime.tenancy import AuditEvent, Membership, Role, User
from sync.models import Customer
from tests.reminders.conftest import STAMP, invoice
from tests.web.test_customers import books, today  # noqa: F401 (fixtures)
from tests.web.test_receivables import sign_in


def test_the_customer_page_recommends_a_hand_off_with_the_odds(client, books, redis_client) -> None:
    sign_in(client, books["owner"])
    harbour, customers = books["harbour"], books["customers"]

    moa = client.get(f"/organisations/{harbour}/customers/{customers['Moa Motors']}")
    tui = client.get(f"/organisations/{harbour}/customers/{customers['Tui Catering']}")

    assert moa.status_code == 200
    assert "95 days past due" in moa.text and "hand the account to a collection agency" in moa.text
    assert "68.9%" in moa.text and "Download the hand-off pack" in moa.text
    assert 'id="handoff"' not in tui.text  # 30 days late: not the end of the road


def test_the_dashboard_lists_the_customers_past_the_age(client, books, redis_client) -> None:
    sign_in(client, books["owner"])

    page = client.get(f"/organisations/{books['harbour']}")

    card = page.text.split('id="past-the-age"')[1].split('id="sync-status"')[0]
    assert "Moa Motors" in card and "Hand off to a collection agency" in card
    assert "Tui Catering" not in card and "Kea Books" not in card


def test_the_dashboard_shows_the_ten_largest_past_the_age_and_links_to_the_rest(
    client, books, session, redis_client
) -> None:
    harbour = books["harbour"]
    for n in range(12):  # twelve more, 95 days past due, 200 to 2,400 (one small: 50)
        ledger_id = f"c-late-{n}"
        session.add(
            Customer(
                organisation_id=harbour, ledger_id=ledger_id, name=f"Late {n:02}", ledger_updated_at=STAMP
            )
        )
        amount = "50.00" if n == 0 else f"{200 * n}.00"
        invoice(session, harbour, f"i-late-{n}", ledger_id, amount, date(2026, 3, 1), date(2026, 3, 27))
    session.commit()
    sign_in(client, books["owner"])

    page = client.get(f"/organisations/{harbour}")

    card = page.text.split('id="past-the-age"')[1].split('id="sync-status"')[0]
    assert card.count("<tr>") == 1 + 10  # the heading and the ten largest
    assert "Late 11" in card and "Late 00" not in card and "Late 01" not in card
    assert "and 3 more" in card and "bucket=4" in card and "sort=overdue" in card
    assert "A survey of US commercial collection agencies" in card


def test_a_small_balance_to_write_off_shows_no_collection_odds(client, books, session, redis_client) -> None:
    harbour = books["harbour"]
    session.add(
        Customer(organisation_id=harbour, ledger_id="c-small", name="Pipi Pies", ledger_updated_at=STAMP)
    )
    invoice(session, harbour, "i-small", "c-small", "50.00", date(2026, 3, 1), date(2026, 3, 27))
    session.commit()
    sign_in(client, books["owner"])

    card = (
        client.get(f"/organisations/{harbour}")
        .text.split('id="past-the-age"')[1]
        .split('id="sync-status"')[0]
    )
    pipi = card.split("Pipi Pies")[1].split("</tr>")[0]
    panel = client.get(f"/organisations/{harbour}/customers/{_customer_id(session, harbour, 'c-small')}").text

    assert "Write off: a small balance" in pipi and "%" not in pipi
    assert "write it off" in panel and 'id="handoff-odds"' not in panel


def _customer_id(session, organisation_id: int, ledger_id: str) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(
        select(Customer.id).where(
            Customer.organisation_id == organisation_id, Customer.ledger_id == ledger_id
        )
    )


def test_the_pack_downloads_as_a_zip_of_the_statement_invoices_and_history(
    client, books, redis_client
) -> None:
    sign_in(client, books["owner"])

    answer = client.get(
        f"/organisations/{books['harbour']}/customers/{books['customers']['Moa Motors']}/handoff-pack"
    )

    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    assert "handoff-Moa-Motors-2026-06-30.zip" in answer.headers["Content-Disposition"]
    pack = zipfile.ZipFile(io.BytesIO(answer.data))
    assert sorted(pack.namelist()) == ["history.csv", "invoices.csv", "statement.pdf"]
    assert "INV-0077" in pack.read("invoices.csv").decode()


def test_handing_off_and_taking_back_from_the_customer_page(client, books, redis_client) -> None:
    sign_in(client, books["owner"])
    client.application.config["WTF_CSRF_ENABLED"] = False
    harbour, moa = books["harbour"], books["customers"]["Moa Motors"]
    base = f"/organisations/{harbour}/customers/{moa}"

    handed = client.post(
        f"{base}/handoff",
        data={
            "agency": "Northern Recoveries",
            "reference": "NR-118",
            "note": "Final notice ignored",
            "key": "a" * 32,
        },
    )
    again = client.post(f"{base}/handoff", data={"agency": "Another", "key": "b" * 32})

    assert handed.status_code == 303 and again.status_code == 303
    (kept,) = db.session.scalars(select(Handoff)).all()
    assert (kept.agency, kept.reference, kept.taken_back_at) == ("Northern Recoveries", "NR-118", None)
    page = client.get(base)
    assert "Handed off to Northern Recoveries" in page.text and "Take back and resume reminders" in page.text
    panel = page.text.split('id="handoff"')[1].split("</div>")[0]
    assert "Handed off</span>" not in panel and panel.count("Handed off to Northern Recoveries") == 1
    chasing = page.text.split('id="chasing-state"')[1].split("</dd>")[0]
    assert "handed off to Northern Recoveries" in chasing and ">on<" not in chasing
    notes = [note.text for note in db.session.scalars(select(LedgerNote))]
    assert notes == ["Handed off to Northern Recoveries (reference NR-118) in Relance."]

    back = client.post(f"{base}/handoff/take-back", data={"reason": "Agency returned it", "key": "c" * 32})

    assert back.status_code == 303
    db.session.expire_all()
    assert db.session.scalar(select(Handoff.taken_back_at)) is not None
    actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert "customer.handed_off" in actions and "customer.taken_back" in actions
    page = client.get(base)
    assert "Taken back from Northern Recoveries by Aroha: reminders resume" in page.text
    assert "Hand off and stop reminders" in page.text


def test_a_member_may_read_the_panel_but_not_hand_off(client, books, session, redis_client) -> None:
    member = User(email="member@harbour.example", name="Mere")
    session.add(member)
    session.flush()
    session.add(Membership(user_id=member.id, organisation_id=books["harbour"], role=Role.MEMBER.value))
    session.commit()
    sign_in(client, member.id)
    client.application.config["WTF_CSRF_ENABLED"] = False
    base = f"/organisations/{books['harbour']}/customers/{books['customers']['Moa Motors']}"

    page = client.get(base)
    refused = client.post(f"{base}/handoff", data={"agency": "Northern Recoveries", "key": "a" * 32})

    assert "68.9%" in page.text and "Hand off and stop reminders" not in page.text
    assert refused.status_code == 403 and db.session.scalar(select(Handoff)) is None


def test_the_organisations_age_moves_the_recommendation(client, books, redis_client) -> None:
    sign_in(client, books["owner"])
    client.application.config["WTF_CSRF_ENABLED"] = False
    harbour = books["harbour"]

    refused = client.post(
        f"/organisations/{harbour}/settings/handoff", data={"age_days": "0", "write_off_below": "100"}
    )
    saved = client.post(
        f"/organisations/{harbour}/settings/handoff", data={"age_days": "120", "write_off_below": "50"}
    )

    assert refused.status_code == 400 and saved.status_code == 303
    settings_page = client.get(f"/organisations/{harbour}/settings")
    assert f"/organisations/{harbour}/settings/handoff" in settings_page.text
    card = client.get(f"/organisations/{harbour}").text.split('id="past-the-age"')[1]
    assert "Past 120 days" in card and "Moa Motors" not in card.split('id="sync-status"')[0]
