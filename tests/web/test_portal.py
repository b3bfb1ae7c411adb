"""The customers' portal: a signed link opens one customer's account of one organisation, and
nothing else; a tampered, expired, revoked or another customer's link shows nothing of anyone's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import render_template
from flask_login import current_user

from reminders.portal import links
from reminders.portal.links import LINK_PATH, LinkState, PortalLink, link_for, new_link, revoke, token_of
from runtime import clock
from runtime.tenancy import AuditEvent, Organisation
from tests.web.test_receivables import sign_in
from web import logged_path


def _link(session, books, name: str = "Tui Catering") -> PortalLink:  # type: ignore[no-untyped-def]
    link = link_for(session, books["harbour"], books["customers"][name])
    session.commit()
    return link


def _opened(client, token: str):  # type: ignore[no-untyped-def]
    return client.get(f"{LINK_PATH}{token}")


def test_a_link_opens_its_customers_account_at_an_address_without_the_token(client, session, books) -> None:  # type: ignore[no-untyped-def]
    token = token_of(_link(session, books))
    answer = _opened(client, token)
    assert answer.status_code == 303 and answer.headers["Location"] == "/portal/"
    page = client.get("/portal/")
    assert page.status_code == 200
    assert "Harbour Cafe Ltd" in page.text and "Tui Catering" in page.text
    assert "INV-0101" in page.text and "INV-0102" in page.text  # both open invoices, late or not
    assert "Moa Motors" not in page.text and "INV-0077" not in page.text  # another customer's
    assert token not in page.text
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    assert "Sign out" not in page.text  # no staff navigation


def test_the_customer_page_says_the_amounts_dates_and_days_late(client, session, books) -> None:  # type: ignore[no-untyped-def]
    _opened(client, token_of(_link(session, books)))
    page = client.get("/portal/").text
    assert "NZ$250.00" in page and "NZ$100.00" in page and "NZ$350.00" in page  # each, and the total due
    assert "30 days" in page  # INV-0101 was due on 31 May; today is 30 June


def test_one_link_per_customer_reused_until_it_nears_its_end(session, books) -> None:  # type: ignore[no-untyped-def]
    first = _link(session, books)
    assert _link(session, books).id == first.id
    clock.advance(timedelta(days=50))  # 10 days left of 60: under the 14 a message needs
    second = _link(session, books)
    assert second.id != first.id
    assert second.expires_at - clock.now() == timedelta(days=60)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # the signature
        lambda token: "x" + token,  # the payload
        lambda token: token.split(".")[0],  # no signature at all
        lambda token: "",
        lambda token: "%00" * 30,
        lambda token: "a" * 5000,
    ],
)
def test_a_tampered_link_shows_nothing_of_anyone(client, session, books, tamper) -> None:  # type: ignore[no-untyped-def]
    token = token_of(_link(session, books))
    answer = _opened(client, tamper(token))
    assert answer.status_code in (400, 404, 405)
    assert "Tui" not in answer.text and "Harbour" not in answer.text and "INV-" not in answer.text
    assert client.get("/portal/").status_code == 404  # nothing kept in the session either


def test_a_link_signed_with_another_key_names_nothing(client, session, books, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    link = _link(session, books)
    forged = links.URLSafeSerializer(["not our key"], salt=links.SALT).dumps([link.id, link.nonce])
    assert links.read(session, forged).state is LinkState.INVALID
    assert "Tui" not in _opened(client, forged).text


def test_a_signed_token_with_the_wrong_nonce_names_nothing(session, books) -> None:  # type: ignore[no-untyped-def]
    link = _link(session, books)
    guessed = links._serializer().dumps([link.id, "0" * 32])
    assert links.read(session, guessed).state is LinkState.INVALID


def test_keys_rotate_an_old_key_still_opens_the_links_it_signed(session, books, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(links, "_keys", lambda: ["old key"])
    link = _link(session, books)
    token = token_of(link)
    monkeypatch.setattr(
        links, "_keys", lambda: ["old key", "new key"]
    )  # oldest first, as itsdangerous takes them
    assert links.read(session, token).state is LinkState.OPEN
    assert token_of(link) != token  # new tokens are signed with the new key
    monkeypatch.setattr(links, "_keys", lambda: ["new key"])  # the old key retired
    assert links.read(session, token).state is LinkState.INVALID


def test_another_customers_link_opens_only_that_customers_account(client, session, books) -> None:  # type: ignore[no-untyped-def]
    _opened(client, token_of(_link(session, books, "Tui Catering")))
    _opened(client, token_of(_link(session, books, "Moa Motors")))
    page = client.get("/portal/").text
    assert "Moa Motors" in page and "INV-0077" in page
    assert "Tui Catering" not in page and "INV-0101" not in page


def test_an_expired_link_says_so_and_shows_nothing_of_the_account(client, session, books) -> None:  # type: ignore[no-untyped-def]
    token = token_of(_link(session, books))
    clock.advance(timedelta(days=61))
    answer = _opened(client, token)
    assert answer.status_code == 410
    assert "expired" in answer.text
    assert "Tui" not in answer.text and "INV-" not in answer.text and "250" not in answer.text


def test_a_link_that_expires_while_open_stops_at_the_next_page(client, session, books) -> None:  # type: ignore[no-untyped-def]
    _opened(client, token_of(_link(session, books)))
    assert client.get("/portal/").status_code == 200
    clock.advance(timedelta(days=61))
    page = client.get("/portal/")
    assert page.status_code == 410 and "INV-" not in page.text


def test_a_revoked_link_stops_at_once_even_in_an_open_session(client, session, books) -> None:  # type: ignore[no-untyped-def]
    token = token_of(_link(session, books))
    _opened(client, token)
    assert client.get("/portal/").status_code == 200
    revoked = revoke(
        session,
        session.get(Organisation, books["harbour"]),
        session.get(links.Customer, books["customers"]["Tui Catering"]),
        books["owner"],
    )
    session.commit()
    assert revoked == 1
    assert client.get("/portal/").status_code == 404
    again = _opened(client, token)
    assert again.status_code == 404 and "Tui" not in again.text
    assert new_link(
        session, books["harbour"], books["customers"]["Tui Catering"]
    ).id  # the team can make a new one


def test_without_a_link_the_portal_shows_nothing(client, session, books) -> None:  # type: ignore[no-untyped-def]
    for path in ("/portal/", "/portal/statement.pdf", "/portal/logo"):
        answer = client.get(path)
        assert answer.status_code == 404 and "Tui" not in answer.text


def test_a_staff_session_opens_nothing_in_the_portal(client, session, books) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, books["owner"])
    assert client.get("/portal/").status_code == 404


def test_opening_is_on_the_timeline_once_a_day(client, session, books) -> None:  # type: ignore[no-untyped-def]
    token = token_of(_link(session, books))
    for _ in range(3):
        _opened(client, token)
    opened = session.query(AuditEvent).filter_by(action="portal.opened").count()
    assert opened == 1
    clock.advance(timedelta(days=1))
    _opened(client, token)
    assert session.query(AuditEvent).filter_by(action="portal.opened").count() == 2


def test_the_request_log_never_writes_the_token() -> None:
    assert logged_path("/portal/l/WzEsImFiYyJd.sig") == "/portal/l/…"
    assert logged_path("/portal/") == "/portal/"


def test_the_statement_is_a_pdf(client, session, books) -> None:  # type: ignore[no-untyped-def]
    _opened(client, token_of(_link(session, books)))
    answer = client.get("/portal/statement.pdf")
    assert answer.status_code == 200 and answer.data.startswith(b"%PDF")


def test_a_portal_page_shows_no_staff_navigation_even_to_a_signed_in_accountant(client, books) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, books["owner"])
    with client:
        staff_home = client.get("/")
        assert current_user.is_authenticated
        page = render_template("portal/closed.html")
    assert "Sign out" in staff_home.text
    assert "Sign out" not in page and "Aroha" not in page
    assert 'href="/"' not in page
