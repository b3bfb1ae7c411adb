"""400, 404 and 500 answer with a page in the app's layout that says what happened and the way back."""

from __future__ import annotations

import pytest

from runtime.tenancy import Membership, Organisation, User
from tests.web.test_receivables import sign_in

LAYOUT = '<a class="brand" href="/">Relance</a>'


@pytest.fixture
def owner(session, client) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """The signed-in owner of Harbour Cafe Ltd; Kauri Builders is someone else's. Their ids."""
    mine, theirs = Organisation(name="Harbour Cafe Ltd"), Organisation(name="Kauri Builders")
    user = User(email="owner@harbour.example", name="Ana Owner")
    session.add_all([mine, theirs, user])
    session.flush()
    session.add(Membership(user_id=user.id, organisation_id=mine.id))
    session.commit()
    sign_in(client, user.id)
    return {"mine": mine.id, "theirs": theirs.id}


@pytest.fixture
def failing_app(app, monkeypatch):  # type: ignore[no-untyped-def]
    """The app with one page that fails as a bug would, open to anyone in the role matrix, and
    failures answered as in production."""
    from web import roles

    monkeypatch.setitem(roles.ROUTES, "broken_page", roles.ANYONE)

    def broken_page():  # type: ignore[no-untyped-def]
        raise RuntimeError("ledger token abc123 rejected")  # what a page must never show

    app.add_url_rule("/broken", view_func=broken_page)
    app.config.update(PROPAGATE_EXCEPTIONS=False)
    return app


def test_a_page_that_does_not_exist_offers_sign_in_to_a_stranger(client, session) -> None:  # type: ignore[no-untyped-def]
    answer = client.get("/no-such-page")

    assert answer.status_code == 404 and answer.mimetype == "text/html"
    assert LAYOUT in answer.text and "Page not found" in answer.text
    assert '<a class="button" href="/signin">Sign in</a>' in answer.text


def test_an_organisation_not_yours_is_a_404_with_the_way_home(client, owner) -> None:  # type: ignore[no-untyped-def]
    answer = client.get(f"/organisations/{owner['theirs']}/aged-receivables")

    assert answer.status_code == 404
    assert LAYOUT in answer.text and "Sign out" in answer.text  # the layout, signed in
    assert '<a class="button" href="/">Back to your organisations</a>' in answer.text
    assert "/signin" not in answer.text


def test_a_bad_request_says_why_in_the_layout(client, owner) -> None:  # type: ignore[no-untyped-def]
    answer = client.get(f"/organisations/{owner['mine']}/aged-receivables?as_of=30/06/2026")

    assert answer.status_code == 400
    assert LAYOUT in answer.text and "That request could not be read" in answer.text
    assert "as_of must be a date written YYYY-MM-DD" in answer.text
    assert 'href="/">Back to your organisations</a>' in answer.text


def test_a_form_sent_without_its_csrf_token_is_a_400_page(client, owner) -> None:  # type: ignore[no-untyped-def]
    answer = client.post("/signout")

    assert answer.status_code == 400
    assert LAYOUT in answer.text and "The CSRF token is missing." in answer.text


def test_a_failure_is_a_500_page_that_tells_nothing_of_it(failing_app, session) -> None:  # type: ignore[no-untyped-def]
    answer = failing_app.test_client().get("/broken", headers={"X-Request-ID": "report-me-1234"})

    assert answer.status_code == 500 and answer.mimetype == "text/html"
    assert LAYOUT in answer.text and "Something went wrong on our side" in answer.text
    assert "abc123" not in answer.text and "RuntimeError" not in answer.text
    assert "reference report-me-1234" in answer.text  # matches the request's log line
    assert '<a class="button" href="/signin">Sign in</a>' in answer.text


def test_a_wrong_method_still_says_which_methods_the_page_takes(client, session) -> None:  # type: ignore[no-untyped-def]
    answer = client.get("/signout")

    assert answer.status_code == 405 and set(answer.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}
    assert LAYOUT in answer.text
