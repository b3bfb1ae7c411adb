"""An expired link offers a fresh one, emailed to the address on file (never one typed in), once
however many times it is asked within the hour, by a real RQ worker to a real SMTP server."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from reminders.portal.fresh_links import LinkEmail, send_link_email, sweep_link_emails
from reminders.portal.links import link_for, revoke, token_of
from runtime import clock
from runtime.tenancy import AuditEvent, Organisation
from sync.models import Customer
from tests.reminders.books import run_jobs
from tests.web.test_portal import _opened


def _expired_page(client, session, books, name: str = "Tui Catering"):  # type: ignore[no-untyped-def]
    token = token_of(link_for(session, books["harbour"], books["customers"][name]))
    session.commit()
    clock.advance(timedelta(days=61))
    page = _opened(client, token)
    assert page.status_code == 410
    return token, page.text


def _proof(page: str) -> dict[str, str]:
    return {
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),  # type: ignore[union-attr]
        "proof": re.search(r'name="proof" value="([^"]+)"', page).group(1),  # type: ignore[union-attr]
    }


def test_two_clicks_send_one_new_link_to_the_address_on_file(client, session, books, mailbox) -> None:  # type: ignore[no-untyped-def]
    old, page = _expired_page(client, session, books)
    assert "Email me a new link" in page and "accounts@tui.example" not in page
    form = _proof(page)
    for _ in range(2):
        answer = client.post("/portal/fresh", data=form)
        assert answer.status_code == 200 and "a new link is on its way" in answer.text
    run_jobs()
    (message,) = mailbox.messages
    assert message["To"] == "accounts@tui.example"
    assert message["From"].startswith("Harbour Cafe Ltd")
    link = re.search(r"http\S+/portal/l/(\S+)", message.get_body(("plain",)).get_content())
    assert link is not None
    new_browser = client.application.test_client()
    assert _opened(new_browser, link.group(1)).status_code == 303
    assert "INV-0101" in new_browser.get("/portal/").text
    assert _opened(client.application.test_client(), old).status_code == 410  # the old one stays expired
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "portal.link_requested")) is not None


def test_the_answer_is_the_same_without_an_address_and_nothing_is_sent(
    client, session, books, mailbox
) -> None:  # type: ignore[no-untyped-def]
    _, page = _expired_page(client, session, books, "Kea Books")  # no email in the ledger
    answer = client.post("/portal/fresh", data=_proof(page))
    assert answer.status_code == 200 and "a new link is on its way" in answer.text
    run_jobs()
    assert mailbox.messages == [] and session.scalars(select(LinkEmail)).all() == []


def test_a_tampered_proof_sends_nothing(client, session, books, mailbox) -> None:  # type: ignore[no-untyped-def]
    _, page = _expired_page(client, session, books)
    form = _proof(page)
    for proof in (form["proof"][:-2] + "xx", "", "a" * 3000):
        assert client.post("/portal/fresh", data={**form, "proof": proof}).status_code == 400
    assert session.scalars(select(LinkEmail)).all() == []


def test_a_revoked_link_is_offered_nothing(client, session, books) -> None:  # type: ignore[no-untyped-def]
    customer = session.get(Customer, books["customers"]["Tui Catering"])
    token = token_of(link_for(session, books["harbour"], customer.id))
    revoke(session, session.get(Organisation, books["harbour"]), customer, books["owner"])
    session.commit()
    page = _opened(client, token)
    assert page.status_code == 404 and "Email me a new link" not in page.text


def test_a_send_interrupted_is_handed_back_by_the_sweep_and_goes_once(
    client, session, books, mailbox
) -> None:  # type: ignore[no-untyped-def]
    _, page = _expired_page(client, session, books)
    client.post("/portal/fresh", data=_proof(page))
    kept = session.scalar(select(LinkEmail))
    # A worker took it and was killed before SMTP answered.
    session.execute(update(LinkEmail).values(status="sending", taken_at=clock.now()))
    session.commit()
    assert send_link_email(kept.id) is False  # taken: nobody else sends it
    clock.advance(timedelta(minutes=11))
    assert sweep_link_emails() == 1
    run_jobs()
    assert len(mailbox.messages) == 1
