"""Tokens: an ID token must carry the nonce Relance sent (the sandboxes' OAuth over real HTTP, the
authorization request altered on its way as an attacker replaying another sign-in would), and a
CSRF token expires after CSRF_TOKEN_HOURS."""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from runtime.tenancy import User, UserIdentity
from tests.integration.ledgers import (
    approve,
    point_at_quickbooks,
    point_at_xero,
    running_quickbooks,
    running_xero,
)
from tests.web.test_connect import callback_path, csrf_token
from web import create_app


@pytest.fixture
def xero(monkeypatch):  # type: ignore[no-untyped-def]
    with running_xero() as sandbox:
        point_at_xero(monkeypatch, sandbox)
        yield sandbox


@pytest.fixture
def quickbooks(monkeypatch):  # type: ignore[no-untyped-def]
    with running_quickbooks() as sandbox:
        point_at_quickbooks(monkeypatch, sandbox)
        yield sandbox


def relance_app():  # type: ignore[no-untyped-def]
    from runtime.settings import get_settings

    app = create_app(get_settings())
    app.config.update(TESTING=True)
    return app


def with_nonce(url: str, nonce: str | None) -> str:
    """The authorization URL with its nonce removed (None) or replaced."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "nonce"]
    if nonce is not None:
        query.append(("nonce", nonce))
    return urlunsplit(parts._replace(query=urlencode(query)))


@pytest.mark.parametrize("nonce", [None, "a-nonce-from-another-sign-in"], ids=["no nonce", "another nonce"])
def test_a_xero_id_token_without_the_nonce_relance_sent_signs_no_one_in(
    xero, session, redis_client, nonce
) -> None:  # type: ignore[no-untyped-def]
    browser = relance_app().test_client()
    started = browser.get("/signin/xero")
    assert "nonce=" in started.headers["Location"], "Relance sends a nonce"

    location = approve(
        with_nonce(started.headers["Location"], nonce), email=xero.user.email, password=xero.user.password
    )
    answer = browser.get(callback_path(location))

    assert answer.status_code == 502 and "ID token rejected" in answer.text
    assert session.scalars(select(UserIdentity)).all() == []
    assert browser.get("/").status_code == 302  # still signed out


def test_a_quickbooks_id_token_without_the_nonce_relance_sent_signs_no_one_in(
    quickbooks, session, redis_client
) -> None:  # type: ignore[no-untyped-def]
    browser = relance_app().test_client()
    started = browser.get("/connect/quickbooks")

    location = approve(
        with_nonce(started.headers["Location"], None), realmId=quickbooks.realm_ids[0], decision="allow"
    )
    answer = browser.get(callback_path(location))

    assert answer.status_code == 502 and "ID token rejected" in answer.text
    assert session.scalars(select(User)).all() == []


def test_the_id_token_with_the_nonce_relance_sent_signs_in(xero, session, redis_client) -> None:  # type: ignore[no-untyped-def]
    browser = relance_app().test_client()
    started = browser.get("/signin/xero")
    location = approve(started.headers["Location"], email=xero.user.email, password=xero.user.password)

    assert browser.get(callback_path(location)).headers["Location"] == "/"
    assert browser.get("/").status_code == 200


class NineHoursAgo(TimestampSigner):
    """A signer whose clock reads nine hours ago: the CSRF token of a form left open since then."""

    def get_timestamp(self) -> int:
        return int(time.time()) - 9 * 3600


def test_a_csrf_token_older_than_eight_hours_is_refused(xero, session, redis_client) -> None:  # type: ignore[no-untyped-def]
    app = relance_app()
    browser = app.test_client()
    started = browser.get("/signin/xero")
    browser.get(
        callback_path(
            approve(started.headers["Location"], email=xero.user.email, password=xero.user.password)
        )
    )
    fresh = csrf_token(browser)
    with browser.session_transaction() as cookie:
        raw = cookie["csrf_token"]
    stale = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token", signer=NineHoursAgo).dumps(raw)

    refused = browser.post("/signout", data={"csrf_token": stale})

    assert refused.status_code == 400
    assert browser.get("/").status_code == 200, "still signed in"
    assert browser.post("/signout", data={"csrf_token": fresh}).status_code == 302
    assert browser.get("/").status_code == 302
