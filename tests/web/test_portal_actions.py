"""A customer's promise and dispute in the portal: each goes through the collections brain as the
team's own would (the invoices leave chasing, the audit trail, a note for the ledger, one email to
the team), within the organisation's rules, and never on another customer's invoice."""

from __future__ import annotations

import io
from datetime import date

from sqlalchemy import select

from reminders.disputes import Dispute, disputed_invoices
from reminders.models import LedgerNote
from reminders.portal.attachments import DisputeAttachment
from reminders.portal.links import token_of
from reminders.promises import Promise, promised_invoices
from reminders.team_notices import TeamNotice
from runtime.tenancy import AuditEvent
from sync.models import Invoice
from tests.web.forms import csrf_of as _csrf
from tests.web.test_portal import _link, _opened
from tests.web.test_receivables import sign_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _in_portal(client, session, books, name: str = "Tui Catering"):  # type: ignore[no-untyped-def]
    _opened(client, token_of(_link(session, books, name)))


def _invoice_id(session, number: str) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(Invoice.id).where(Invoice.number == number))


def test_a_promise_for_one_invoice_pauses_it_and_says_what_happens_next(client, session, books) -> None:  # type: ignore[no-untyped-def]
    _in_portal(client, session, books)
    url = f"/portal/invoices/{_invoice_id(session, 'INV-0101')}/promise"
    form = client.get(url)
    assert form.status_code == 200 and "INV-0101" in form.text
    answer = client.post(
        url, data={"csrf_token": _csrf(form.text), "promised_on": "2026-07-10", "note": "paying on the 10th"}
    )
    assert answer.status_code == 303
    page = client.get(answer.headers["Location"])
    assert "What happens next" in page.text and "NZ$250.00" in page.text
    (promise,) = session.scalars(select(Promise)).all()
    assert promise.source == "customer" and promise.promised_on == date(2026, 7, 10)
    assert promise.amount == 250 and promise.invoice_ledger_ids == ["i-1"]
    assert promised_invoices(session, books["harbour"], date(2026, 7, 1)) == {"i-1"}
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "promise.made")) is not None
    assert [n.invoice_ledger_id for n in session.scalars(select(LedgerNote))] == ["i-1"]
    (notice,) = session.scalars(select(TeamNotice)).all()
    assert "Tui Catering promised" in notice.subject and "paying on the 10th" in notice.text
    account = client.get("/portal/").text
    assert "You promised to pay NZ$250.00" in account


def test_a_promise_for_everything_covers_each_open_invoice(client, session, books) -> None:  # type: ignore[no-untyped-def]
    _in_portal(client, session, books)
    form = client.get("/portal/promise")
    answer = client.post(
        "/portal/promise", data={"csrf_token": _csrf(form.text), "promised_on": "2026-07-20"}
    )
    assert answer.status_code == 303
    (promise,) = session.scalars(select(Promise)).all()
    assert sorted(promise.invoice_ledger_ids) == ["i-1", "i-2"] and promise.amount == 350


def test_a_promise_outside_the_window_or_above_the_balance_is_refused_and_nothing_kept(
    client, session, books
) -> None:  # type: ignore[no-untyped-def]
    _in_portal(client, session, books)
    url = f"/portal/invoices/{_invoice_id(session, 'INV-0101')}/promise"
    token = _csrf(client.get(url).text)
    for data, words in (
        ({"promised_on": "2026-09-30"}, "Choose a date from"),  # 92 days ahead, the window is 30
        ({"promised_on": "2026-06-01"}, "Choose a date from"),
        ({"promised_on": "2026-07-05", "amount": "900"}, "at most what is due"),
        ({"promised_on": "not a date"}, "Choose a date."),
    ):
        answer = client.post(url, data={"csrf_token": token, **data})
        assert answer.status_code == 422 and words in answer.text, answer.text
    assert session.scalars(select(Promise)).all() == []


def test_another_customers_invoice_is_not_found(client, session, books) -> None:  # type: ignore[no-untyped-def]
    _in_portal(client, session, books, "Tui Catering")
    moa = _invoice_id(session, "INV-0077")
    paid = _invoice_id(session, "INV-0090")
    for path in (
        f"/portal/invoices/{moa}/promise",
        f"/portal/invoices/{moa}/dispute",
        f"/portal/invoices/{paid}/dispute",
    ):
        assert client.get(path).status_code == 404


def test_a_dispute_with_a_file_leaves_the_invoice_out_of_chasing_and_the_team_gets_the_file(
    client, session, books
) -> None:  # type: ignore[no-untyped-def]
    _in_portal(client, session, books)
    url = f"/portal/invoices/{_invoice_id(session, 'INV-0101')}/dispute"
    token = _csrf(client.get(url).text)
    answer = client.post(
        url,
        data={
            "csrf_token": token,
            "reason": "damaged",
            "details": "two chairs broken",
            "file": (io.BytesIO(PNG), "chairs.png"),
        },
        content_type="multipart/form-data",
    )
    assert answer.status_code == 303
    (dispute,) = session.scalars(select(Dispute)).all()
    assert dispute.raised_by == "customer" and dispute.reason == "damaged or faulty: two chairs broken"
    assert disputed_invoices(session, books["harbour"]) == {"i-1"}
    page = client.get(answer.headers["Location"]).text
    assert "has your dispute" in page and "Open: we are looking into it" in page
    assert "Disputed on" in client.get("/portal/").text
    (kept,) = session.scalars(select(DisputeAttachment)).all()
    assert kept.filename == "chairs.png" and kept.content_type == "image/png"

    # The team downloads it from the customer's page, as an attachment.
    sign_in(client, books["owner"])
    customer_page = client.get(
        f"/organisations/{books['harbour']}/customers/{books['customers']['Tui Catering']}"
    ).text
    assert "chairs.png" in customer_page and "raised by the customer" in customer_page
    download = client.get(f"/organisations/{books['harbour']}/disputes/{dispute.id}/files/{kept.id}")
    assert download.data == PNG and download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_a_file_that_is_not_a_pdf_png_or_jpeg_is_refused_and_nothing_is_opened(
    client, session, books
) -> None:  # type: ignore[no-untyped-def]
    _in_portal(client, session, books)
    url = f"/portal/invoices/{_invoice_id(session, 'INV-0101')}/dispute"
    token = _csrf(client.get(url).text)
    answer = client.post(
        url,
        data={
            "csrf_token": token,
            "reason": "damaged",
            "file": (io.BytesIO(b"<script>alert(1)</script>"), "x.png"),
        },
        content_type="multipart/form-data",
    )
    assert answer.status_code == 422 and "Attach a PDF, PNG or JPEG file." in answer.text
    assert session.scalars(select(Dispute)).all() == []


def test_a_file_over_the_limit_is_a_413_in_the_portals_layout(client, session, books) -> None:  # type: ignore[no-untyped-def]
    _in_portal(client, session, books)
    url = f"/portal/invoices/{_invoice_id(session, 'INV-0101')}/dispute"
    token = _csrf(client.get(url).text)
    answer = client.post(
        url,
        data={
            "csrf_token": token,
            "reason": "damaged",
            "file": (io.BytesIO(PNG + b"\x00" * (7 * 1024 * 1024)), "big.png"),
        },
        content_type="multipart/form-data",
    )
    assert answer.status_code == 413 and "up to 5 MB" in answer.text and "Sign in" not in answer.text
    assert session.scalars(select(Dispute)).all() == []


def test_something_else_needs_words_and_the_customer_can_write_on_an_open_dispute(
    client, session, books
) -> None:  # type: ignore[no-untyped-def]
    _in_portal(client, session, books)
    url = f"/portal/invoices/{_invoice_id(session, 'INV-0102')}/dispute"
    token = _csrf(client.get(url).text)
    assert client.post(url, data={"csrf_token": token, "reason": "other"}).status_code == 422
    answer = client.post(
        url, data={"csrf_token": token, "reason": "other", "details": "we never ordered this"}
    )
    assert answer.status_code == 303
    dispute_url = answer.headers["Location"].split("?")[0]
    assert client.get(url).headers["Location"].startswith(dispute_url)  # disputed already: its page
    sent = client.post(dispute_url, data={"csrf_token": token, "text": "the order number was 123"})
    assert sent.status_code == 303
    assert "the order number was 123" in client.get(dispute_url).text
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "dispute.message"))
    assert event is not None and event.details["author"] == "customer"


def test_another_customers_dispute_and_promise_pages_are_not_found(client, session, books) -> None:  # type: ignore[no-untyped-def]
    _in_portal(client, session, books, "Tui Catering")
    url = f"/portal/invoices/{_invoice_id(session, 'INV-0101')}/dispute"
    token = _csrf(client.get(url).text)
    dispute_url = (
        client.post(url, data={"csrf_token": token, "reason": "already_paid"})
        .headers["Location"]
        .split("?")[0]
    )
    _in_portal(client, session, books, "Moa Motors")
    assert client.get(dispute_url).status_code == 404
