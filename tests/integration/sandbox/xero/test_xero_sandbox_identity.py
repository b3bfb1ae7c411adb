"""Identity: consent, PKCE code flow, refresh rotation and grace, revocation, connections, OpenID."""

from __future__ import annotations

import json
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
import requests
from requests_oauthlib import OAuth2Session
from xero_clients import fast_settings, sdk_client
from xero_python.accounting import AccountingApi
from xero_python.exceptions import ApiException
from xero_python.identity import IdentityApi

from integration.sandbox.common.oauth import pkce_challenge

SCOPES = [
    "openid",
    "profile",
    "email",
    "offline_access",
    "accounting.transactions",
    "accounting.contacts",
    "accounting.settings",
]


class ConsentForm(HTMLParser):
    """The fields of the sandbox's consent form, read the way a browser would."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self.tenants: list[str] = []
        self.action = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self.action = values.get("action") or ""
        if tag == "input" and values.get("type") == "hidden":
            self.fields.append((values["name"] or "", values.get("value") or ""))
        if tag == "input" and values.get("name") == "tenant":
            self.tenants.append(values.get("value") or "")


def consent(
    authorization_url: str, email: str, password: str, pick=lambda tenants: tenants
) -> requests.Response:
    """Open the authorize page and post the form with plain HTTP; returns the redirect answer."""
    page = requests.get(authorization_url, timeout=5)
    page.raise_for_status()
    form = ConsentForm()
    form.feed(page.text)
    fields = [*form.fields, ("email", email), ("password", password), ("action", "allow")]
    fields += [("tenant", t) for t in pick(form.tenants)]
    target = urlparse(authorization_url)
    return requests.post(
        f"{target.scheme}://{target.netloc}{form.action}", data=fields, allow_redirects=False, timeout=5
    )


@pytest.fixture
def oauth_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the sandbox speaks plain http on loopback


@pytest.fixture
def three_org_sandbox(xero_sandbox_factory):
    return xero_sandbox_factory(settings=fast_settings(extra_organisations=("Second Co", "Third Co")))


def code_flow(sandbox, pick=lambda tenants: tenants, verifier: str | None = None):
    """Run the whole authorization-code flow with PKCE through requests-oauthlib."""
    app = sandbox.app
    session = OAuth2Session(app.client_id, redirect_uri=app.redirect_uris[0], scope=SCOPES)
    verifier = verifier or "v" * 64
    url, state = session.authorization_url(
        sandbox.urls.authorize, code_challenge=pkce_challenge("v" * 64), code_challenge_method="S256"
    )
    answer = consent(url, sandbox.user.email, sandbox.user.password, pick)
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert parse_qs(urlparse(location).query)["state"] == [state]
    token = session.fetch_token(
        sandbox.urls.token,
        authorization_response=location,
        client_secret=app.client_secret,
        code_verifier=verifier,
    )
    return session, token


def test_code_flow_with_pkce_connects_only_the_chosen_organisations(oauth_env, three_org_sandbox):
    sandbox = three_org_sandbox
    chosen = list(sandbox.organisations)[:2]
    _, token = code_flow(sandbox, pick=lambda tenants: [t for t in tenants if t in chosen])

    assert token["expires_in"] == 1800
    assert token["token_type"] == "Bearer"
    assert set(token["scope"]) == set(SCOPES)
    xero_identity = IdentityApi(sdk_client(sandbox, _sdk_token(token)), base_url=sandbox.urls.identity_api)
    connections = xero_identity.get_connections()
    assert sorted(str(c.tenant_id) for c in connections) == sorted(chosen)
    assert {c.tenant_type for c in connections} == {"ORGANISATION"}
    assert len({str(c.auth_event_id) for c in connections}) == 1


def _sdk_token(token: dict) -> dict:
    """The subset of keys xero-python's update_token accepts (extra keys raise TypeError)."""
    keys = ("access_token", "refresh_token", "expires_in", "expires_at", "token_type", "scope", "id_token")
    return {k: token[k] for k in keys if k in token}


def test_id_token_is_signed_with_the_published_key(oauth_env, xero_sandbox):
    _, token = code_flow(xero_sandbox)
    discovery = requests.get(xero_sandbox.urls.discovery, timeout=5).json()
    keys = requests.get(discovery["jwks_uri"], timeout=5).json()["keys"]
    public_key = jwt.algorithms.RSAAlgorithm.from_jwk(keys[0])

    claims = jwt.decode(
        token["id_token"],
        public_key,
        algorithms=["RS256"],
        audience=xero_sandbox.app.client_id,
        issuer=discovery["issuer"],
    )

    assert claims["email"] == xero_sandbox.user.email
    assert discovery["token_endpoint"] == xero_sandbox.urls.token
    assert "S256" in discovery["code_challenge_methods_supported"]


def test_wrong_pkce_verifier_gets_invalid_grant(oauth_env, xero_sandbox):
    with pytest.raises(Exception, match="invalid_grant"):
        code_flow(xero_sandbox, verifier="w" * 64)


def test_code_is_single_use(oauth_env, xero_sandbox):
    app = xero_sandbox.app
    session = OAuth2Session(app.client_id, redirect_uri=app.redirect_uris[0], scope=SCOPES)
    url, _ = session.authorization_url(xero_sandbox.urls.authorize)
    location = consent(url, xero_sandbox.user.email, xero_sandbox.user.password).headers["Location"]
    code = parse_qs(urlparse(location).query)["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": app.redirect_uris[0]}
    auth = (app.client_id, app.client_secret)

    first = requests.post(xero_sandbox.urls.token, data=form, auth=auth, timeout=5)
    second = requests.post(xero_sandbox.urls.token, data=form, auth=auth, timeout=5)

    assert first.status_code == 200
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"


def test_wrong_client_secret_is_refused(xero_sandbox):
    answer = requests.post(
        xero_sandbox.urls.token,
        data={"grant_type": "refresh_token", "refresh_token": "x"},
        auth=(xero_sandbox.app.client_id, "not-the-secret"),
        timeout=5,
    )
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"


def test_wrong_password_shows_the_login_again(oauth_env, xero_sandbox):
    session = OAuth2Session(
        xero_sandbox.app.client_id, redirect_uri=xero_sandbox.app.redirect_uris[0], scope=SCOPES
    )
    url, _ = session.authorization_url(xero_sandbox.urls.authorize)
    answer = consent(url, xero_sandbox.user.email, "wrong")
    assert answer.status_code == 401
    assert "incorrect" in answer.text


def test_unknown_redirect_uri_is_not_redirected_to(xero_sandbox):
    answer = requests.get(
        xero_sandbox.urls.authorize,
        params={
            "response_type": "code",
            "client_id": xero_sandbox.app.client_id,
            "redirect_uri": "https://evil.example/cb",
            "scope": "openid",
        },
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code == 400


def refresh(sandbox, refresh_token: str) -> requests.Response:
    return requests.post(
        sandbox.urls.token,
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(sandbox.app.client_id, sandbox.app.client_secret),
        timeout=5,
    )


def test_refresh_rotates_and_the_previous_token_has_a_30_minute_grace(xero_sandbox, xero_token):
    first = refresh(xero_sandbox, xero_token["refresh_token"])
    assert first.status_code == 200
    assert first.json()["refresh_token"] != xero_token["refresh_token"]

    xero_sandbox.clock.advance(timedelta(minutes=29))
    assert refresh(xero_sandbox, xero_token["refresh_token"]).status_code == 200  # lost answer, retried

    xero_sandbox.clock.advance(timedelta(minutes=2))
    late = refresh(xero_sandbox, xero_token["refresh_token"])
    assert late.status_code == 400
    assert late.json()["error"] == "invalid_grant"
    assert refresh(xero_sandbox, first.json()["refresh_token"]).status_code == 200


def test_unused_refresh_token_dies_after_60_days(xero_sandbox, xero_token):
    xero_sandbox.clock.advance(timedelta(days=60, minutes=1))
    assert refresh(xero_sandbox, xero_token["refresh_token"]).status_code == 400


def test_expired_access_token_gets_xeros_401(xero_sandbox, xero_accounting):
    xero_sandbox.clock.advance(timedelta(minutes=31))
    with pytest.raises(ApiException) as raised:
        xero_accounting.get_organisations(xero_sandbox.tenant_id)
    assert raised.value.status == 401
    assert json.loads(raised.value.body)["Detail"].startswith("TokenExpired: token expired at ")


def test_xero_python_refreshes_a_token_about_to_expire_by_itself(xero_sandbox, xero_token, token_urls):
    saved: list[dict] = []
    stale = dict(xero_token, expires_at=xero_sandbox.clock.timestamp() - 10)
    api = AccountingApi(sdk_client(xero_sandbox, stale, saved), base_url=xero_sandbox.urls.accounting_api)
    saved.clear()  # the client stores the initial token through the saver too

    organisations = api.get_organisations(xero_sandbox.tenant_id)

    assert organisations.organisations[0].name == xero_sandbox.books.organisation.name
    assert len(saved) == 1
    assert saved[0]["refresh_token"] != xero_token["refresh_token"]
    assert xero_sandbox.request_log.count(endpoint="/identity/connect/token") == 1


def test_revocation_removes_every_connection(xero_sandbox, xero_token, xero_identity, token_urls):
    xero_identity.api_client.revoke_oauth2_token()
    fresh = xero_sandbox.connect()  # a new consent later reconnects
    assert [c for c in xero_sandbox.directory.connections.values() if c.active]
    api = AccountingApi(sdk_client(xero_sandbox, xero_token), base_url=xero_sandbox.urls.accounting_api)
    with pytest.raises(ApiException) as raised:
        api.get_organisations(xero_sandbox.tenant_id)
    assert raised.value.status == 401
    assert fresh["access_token"] != xero_token["access_token"]


def test_deleting_a_connection_makes_its_tenant_forbidden(xero_sandbox, xero_identity, xero_accounting):
    connection = xero_identity.get_connections()[0]
    xero_identity.delete_connection(connection.id)

    assert xero_identity.get_connections() == []
    with pytest.raises(ApiException) as raised:
        xero_accounting.get_organisations(xero_sandbox.tenant_id)
    assert raised.value.status == 403
    assert json.loads(raised.value.body)["Detail"] == "AuthenticationUnsuccessful"


def test_missing_tenant_header_is_forbidden(xero_sandbox, xero_token):
    answer = requests.get(
        f"{xero_sandbox.urls.accounting_api}/Invoices",
        timeout=5,
        headers={"Authorization": f"Bearer {xero_token['access_token']}", "Accept": "application/json"},
    )
    assert answer.status_code == 403
    assert answer.json()["Title"] == "Forbidden"


def test_a_read_only_token_cannot_write(xero_sandbox):
    token = xero_sandbox.connect(
        scopes=("offline_access", "accounting.transactions.read", "accounting.contacts.read")
    )
    headers = {
        "Authorization": f"Bearer {token['access_token']}",
        "xero-tenant-id": xero_sandbox.tenant_id,
        "Accept": "application/json",
    }
    read = requests.get(f"{xero_sandbox.urls.accounting_api}/Invoices", headers=headers, timeout=5)
    write = requests.put(
        f"{xero_sandbox.urls.accounting_api}/Contacts",
        json={"Contacts": [{"Name": "X"}]},
        headers=headers,
        timeout=5,
    )
    settings = requests.get(f"{xero_sandbox.urls.accounting_api}/Organisation", headers=headers, timeout=5)
    assert read.status_code == 200
    assert write.status_code == 401
    assert settings.status_code == 401
    assert xero_sandbox.books.contacts == {}


def test_unknown_accounting_resource_is_a_plain_text_404(xero_sandbox, xero_token):
    answer = requests.get(
        f"{xero_sandbox.urls.accounting_api}/NoSuchThing",
        timeout=5,
        headers={"Authorization": f"Bearer {xero_token['access_token']}"},
    )
    assert answer.status_code == 404
    assert answer.text == "The resource you're looking for cannot be found"


def test_lifetimes_are_overridable_so_a_token_expires_in_a_second(xero_sandbox_factory):
    import time

    from integration.sandbox.common.oauth import TokenLifetimes

    sandbox = xero_sandbox_factory(settings=fast_settings(lifetimes=TokenLifetimes(access=1)))
    token = sandbox.connect()
    headers = {"Authorization": f"Bearer {token['access_token']}", "xero-tenant-id": sandbox.tenant_id}
    assert token["expires_in"] == 1
    assert (
        requests.get(f"{sandbox.urls.accounting_api}/Organisation", headers=headers, timeout=5).status_code
        == 200
    )
    time.sleep(1.05)
    assert (
        requests.get(f"{sandbox.urls.accounting_api}/Organisation", headers=headers, timeout=5).status_code
        == 401
    )


def test_requests_oauthlib_refreshes_with_basic_auth_and_calls_the_api(oauth_env, xero_sandbox):
    session, token = code_flow(xero_sandbox)
    refreshed = session.refresh_token(
        xero_sandbox.urls.token, auth=(xero_sandbox.app.client_id, xero_sandbox.app.client_secret)
    )
    tenant = session.get(f"{xero_sandbox.urls.identity_api}/connections", timeout=5).json()[0]["tenantId"]
    organisation = session.get(
        f"{xero_sandbox.urls.accounting_api}/Organisation",
        headers={"xero-tenant-id": tenant, "Accept": "application/json"},
        timeout=5,
    )

    assert refreshed["refresh_token"] != token["refresh_token"]
    assert organisation.status_code == 200
    assert organisation.json()["Organisations"][0]["OrganisationID"] == tenant
