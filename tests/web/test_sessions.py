"""Sessions that end: a person signs in with Xero (the sandbox, over real HTTP), and the cookies the
browser got are replayed as someone who copied them would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from runtime import clock
from runtime.settings import Settings, get_settings
from runtime.sign_ins import SignInSession
from tests.integration.ledgers import approve, point_at_xero, running_xero
from tests.web.test_connect import callback_path, csrf_token
from web import create_app

SESSION, REMEMBER = "session", "remember_token"


@pytest.fixture
def xero(monkeypatch):  # type: ignore[no-untyped-def]
    with running_xero() as sandbox:
        point_at_xero(monkeypatch, sandbox)
        yield sandbox


@pytest.fixture
def relance_app(xero, session, redis_client):  # type: ignore[no-untyped-def]
    app = create_app(get_settings())
    app.config.update(TESTING=True)
    return app


def signed_in_browser(app, xero):  # type: ignore[no-untyped-def]
    """A browser that signed in with Xero: the sign-in page, the consent, the callback."""
    browser = app.test_client()
    started = browser.get("/signin/xero")
    location = approve(started.headers["Location"], email=xero.user.email, password=xero.user.password)
    finished = browser.get(callback_path(location))
    assert finished.status_code == 302 and finished.headers["Location"] == "/", finished.text
    assert browser.get("/").status_code == 200
    return browser


def replay(app, **cookies: str):  # type: ignore[no-untyped-def]
    """Another browser holding copies of these cookies."""
    thief = app.test_client()
    for name, value in cookies.items():
        thief.set_cookie(name, value)
    return thief


def is_signed_in(browser) -> bool:  # type: ignore[no-untyped-def]
    home = browser.get("/")
    return home.status_code == 200


def test_cookies_copied_before_sign_out_sign_no_one_in_after_it(relance_app, xero) -> None:
    browser = signed_in_browser(relance_app, xero)
    session_cookie = browser.get_cookie(SESSION).value
    remember_cookie = browser.get_cookie(REMEMBER).value
    assert is_signed_in(replay(relance_app, session=session_cookie)), "a copy works while signed in"

    browser.post("/signout", data={"csrf_token": csrf_token(browser)})

    assert not is_signed_in(browser)
    assert not is_signed_in(replay(relance_app, session=session_cookie))
    assert not is_signed_in(replay(relance_app, remember_token=remember_cookie))
    assert not is_signed_in(replay(relance_app, session=session_cookie, remember_token=remember_cookie))


def test_sign_out_everywhere_ends_every_browser_of_the_person(relance_app, xero, session) -> None:
    laptop = signed_in_browser(relance_app, xero)
    phone = signed_in_browser(relance_app, xero)
    phone_remembered = phone.get_cookie(REMEMBER).value

    laptop.post("/signout/everywhere", data={"csrf_token": csrf_token(laptop)})

    assert not is_signed_in(laptop)
    assert not is_signed_in(phone)
    assert not is_signed_in(replay(relance_app, remember_token=phone_remembered))
    ended = session.scalars(select(SignInSession)).all()
    assert len(ended) == 2 and all(s.ended_reason == "signed out everywhere" for s in ended)


def test_remember_me_is_new_at_every_sign_in_and_lasts_fourteen_days(relance_app, xero) -> None:
    first = signed_in_browser(relance_app, xero).get_cookie(REMEMBER)
    second = signed_in_browser(relance_app, xero).get_cookie(REMEMBER)

    assert first.value != second.value
    lasts = first.expires - datetime.now(UTC)
    assert timedelta(days=13, hours=23) < lasts <= timedelta(days=14)


def test_remember_me_lasts_what_remember_me_days_says(xero, session, redis_client, monkeypatch) -> None:
    monkeypatch.setenv("REMEMBER_ME_DAYS", "3")
    from runtime.settings import reload_settings

    app = create_app(reload_settings())
    app.config.update(TESTING=True)

    remembered = signed_in_browser(app, xero).get_cookie(REMEMBER)

    lasts = remembered.expires - datetime.now(UTC)
    assert timedelta(days=2, hours=23) < lasts <= timedelta(days=3)


def test_the_server_ends_a_session_when_its_time_is_up_whatever_the_browser_keeps(relance_app, xero) -> None:
    browser = signed_in_browser(relance_app, xero)
    remembered = browser.get_cookie(REMEMBER).value

    clock.advance(timedelta(days=14, minutes=1))

    assert not is_signed_in(browser)
    assert not is_signed_in(replay(relance_app, remember_token=remembered))


def test_every_cookie_is_secure_httponly_and_lax_in_production(xero, session, redis_client) -> None:
    public = "https://relance.example"
    xero.app.redirect_uris.append(f"{public}/connect/xero/callback")
    production = Settings(
        **{
            **get_settings().model_dump(),
            "relance_env": "production",
            "public_url": public,
            "secret_key": "s" * 32,
        }
    )
    app = create_app(production)
    app.config.update(TESTING=True)

    browser = signed_in_browser(app, xero)

    cookies = [browser.get_cookie(SESSION), browser.get_cookie(REMEMBER)]
    for cookie in cookies:
        assert (cookie.key, cookie.secure, cookie.http_only, cookie.same_site) == (
            cookie.key,
            True,
            True,
            "Lax",
        )


def test_a_browser_back_with_its_remember_me_cookie_gets_a_new_one_and_the_old_is_spent(
    relance_app, xero
) -> None:
    browser = signed_in_browser(relance_app, xero)
    remembered = browser.get_cookie(REMEMBER)
    reopened = replay(relance_app, remember_token=remembered.value)  # the browser closed: no session cookie

    assert is_signed_in(reopened)

    renewed = reopened.get_cookie(REMEMBER)
    assert renewed.value != remembered.value
    assert abs(renewed.expires - remembered.expires) < timedelta(minutes=1), "no longer than the sign-in"
    assert is_signed_in(reopened)
    assert is_signed_in(replay(relance_app, remember_token=remembered.value)), "other tabs of the same moment"
    clock.advance(timedelta(seconds=31))
    assert not is_signed_in(replay(relance_app, remember_token=remembered.value)), (
        "a copy of the old is spent"
    )
    assert is_signed_in(reopened)
