"""Security headers: every answer in production says what the browser may load, frame, sniff and
tell other sites, and every page Relance serves works under that policy (no inline script or style
that the policy would block)."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest

from integration.connections import Provider, Tenant, record_consent
from integration.connections.oauth import TokenSet
from runtime import clock
from runtime.settings import Settings, get_settings
from runtime.tenancy import User
from tests.web.test_receivables import sign_in
from web import create_app

HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
}


def production_app():  # type: ignore[no-untyped-def]
    settings = Settings(
        **{
            **get_settings().model_dump(),
            "relance_env": "production",
            "public_url": "https://relance.example",
            "secret_key": "s" * 32,
        }
    )
    app = create_app(settings)
    app.config.update(TESTING=True)
    return app


def policy_of(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    directives = [
        part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";")
    ]
    return {name: value for name, value in directives}


@pytest.mark.parametrize("path", ["/signin", "/healthz", "/no-such-page", "/static/relance.css"])
def test_every_answer_in_production_carries_the_security_headers(session, redis_client, path) -> None:  # type: ignore[no-untyped-def]
    answer = production_app().test_client().get(path)

    for name, value in HEADERS.items():
        assert answer.headers.get(name) == value, name
    policy = policy_of(answer)
    assert policy["frame-ancestors"] == "'none'"
    assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'"
    assert "unsafe-inline" not in answer.headers["Content-Security-Policy"]


def test_plain_http_development_is_not_pinned_to_https(client) -> None:  # type: ignore[no-untyped-def]
    answer = client.get("/signin")

    assert "Strict-Transport-Security" not in answer.headers
    assert answer.headers["X-Frame-Options"] == "DENY" and "Content-Security-Policy" in answer.headers


class PolicyReader(HTMLParser):
    """What in a page a Content-Security-Policy without 'unsafe-inline' would block."""

    def __init__(self, style_nonce: str | None) -> None:
        super().__init__()
        self.style_nonce = style_nonce
        self.blocked: list[str] = []
        self.stylesheets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, _ in attrs:
            if name == "style" or name.startswith("on"):
                self.blocked.append(f"<{tag} {name}=…>")
        if tag == "script" and not values.get("src"):
            self.blocked.append("inline <script>")
        if tag == "style" and (self.style_nonce is None or values.get("nonce") != self.style_nonce):
            self.blocked.append("<style> without this response's nonce")
        if tag == "link" and values.get("rel") == "stylesheet":
            self.stylesheets.append(values.get("href") or "")


@pytest.fixture
def owner_browser(session, redis_client):  # type: ignore[no-untyped-def]
    """The production app, and the owner of a connected organisation signed in to it."""
    app = production_app()
    owner = User(email="owner@harbour.example", name="Owner")
    session.add(owner)
    session.flush()
    tokens = TokenSet(
        access_token="a", refresh_token="r", access_expires_at=clock.now() + timedelta(hours=1), scopes=()
    )
    connection = record_consent(session, Provider.XERO, tokens, [Tenant("t-1", "Harbour Cafe Ltd")], owner)[0]
    session.commit()
    browser = app.test_client()
    sign_in(browser, owner.id)
    return browser, connection.organisation_id


def test_every_page_works_under_its_content_security_policy(owner_browser) -> None:  # type: ignore[no-untyped-def]
    browser, organisation_id = owner_browser
    pages = [
        "/",
        f"/organisations/{organisation_id}/settings",
        f"/organisations/{organisation_id}/aged-receivables",
        "/marketplace/quickbooks/disconnect",
        "/connect/xero/callback?state=not-ours",  # the problem page
    ]
    stylesheets = set()
    for path in [*pages, "/signin"]:
        answer = browser.get(path) if path != "/signin" else browser.application.test_client().get(path)
        assert answer.mimetype == "text/html", path
        nonce = policy_of(answer)["style-src"].partition("'nonce-")[2].rstrip("'") or None
        reader = PolicyReader(nonce)
        reader.feed(answer.text)
        assert reader.blocked == [], f"{path}: {reader.blocked}"
        stylesheets.update(reader.stylesheets)
    for href in stylesheets:
        assert href.startswith("/"), "only Relance's own origin is allowed"
        sheet = browser.get(href)
        assert sheet.status_code == 200 and sheet.mimetype == "text/css"
        assert ".card" in sheet.text
