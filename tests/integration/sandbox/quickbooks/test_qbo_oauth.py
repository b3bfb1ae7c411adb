"""Intuit OAuth 2.0 and OpenID against the sandbox, with requests-oauthlib and intuit-oauth over real HTTP."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
import requests
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError
from oauthlib.oauth2 import InvalidGrantError, WebApplicationClient
from qbo_clients import FAST_WEBHOOKS, REDIRECT_URI, quickbooks_client
from quickbooks.exceptions import AuthorizationException
from quickbooks.objects.company_info import CompanyInfo
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from integration.sandbox.quickbooks import QuickBooksSandbox, TokenPolicy

pytest_plugins = ["qbo_fixtures"]  # the shared fixtures (see qbo_fixtures.py for why not conftest)

ACCOUNTING = "com.intuit.quickbooks.accounting"


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.realms: list[str] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") == "hidden":
            self.fields[attributes["name"]] = attributes.get("value") or ""
        if tag == "option":
            self.realms.append(attributes["value"])


def consent(authorize_url: str, choose: int = 0, decision: str = "allow") -> dict[str, str]:
    """Do what the user does on Intuit's consent page, with a plain HTTP client."""
    page = requests.get(authorize_url, timeout=5)
    assert page.status_code == 200
    form = _Form()
    form.feed(page.text)
    answer = requests.post(
        authorize_url.split("?")[0],
        timeout=5,
        allow_redirects=False,
        data={**form.fields, "realmId": form.realms[choose], "decision": decision},
    )
    assert answer.status_code == 302
    location = urlparse(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    return {key: values[0] for key, values in parse_qs(location.query).items()}


@pytest.fixture
def oauth(qbo_sandbox: QuickBooksSandbox) -> OAuth2Session:
    return OAuth2Session(qbo_sandbox.app.client_id, redirect_uri=REDIRECT_URI, scope=[ACCOUNTING])


def urls(qbo_sandbox: QuickBooksSandbox) -> dict[str, str]:
    return requests.get(qbo_sandbox.discovery_url, timeout=5).json()


def test_discovery_document_points_at_the_sandbox(qbo_sandbox):
    document = urls(qbo_sandbox)
    assert document["issuer"] == "https://oauth.platform.intuit.com/op/v1"
    assert (
        document["authorization_endpoint"]
        == f"{qbo_sandbox.hosts['https://appcenter.intuit.com']}/connect/oauth2"
    )
    assert document["token_endpoint"].endswith("/oauth2/v1/tokens/bearer")
    assert document["id_token_signing_alg_values_supported"] == ["RS256"]


def test_authorization_code_flow_with_company_selection(qbo_sandbox, oauth):
    document = urls(qbo_sandbox)
    authorize_url, state = oauth.authorization_url(document["authorization_endpoint"])

    redirect = consent(authorize_url, choose=1)

    assert redirect["state"] == state and redirect["realmId"] == qbo_sandbox.realm_ids[1]
    token = oauth.fetch_token(
        document["token_endpoint"], code=redirect["code"], client_secret=qbo_sandbox.app.client_secret
    )
    assert token["token_type"] == "bearer" and token["expires_in"] == 3600
    assert token["x_refresh_token_expires_in"] == 100 * 86400
    assert "id_token" not in token  # no openid scope asked
    qbo_api = f"{qbo_sandbox.api_url_v3}/company"
    mine = oauth.get(f"{qbo_api}/{redirect['realmId']}/companyinfo/{redirect['realmId']}")
    assert mine.status_code == 200 and mine.json()["CompanyInfo"]["CompanyName"] == "Sandbox Company_US_2"
    other = oauth.get(f"{qbo_api}/{qbo_sandbox.realm_ids[0]}/companyinfo/{qbo_sandbox.realm_ids[0]}")
    assert other.status_code == 403
    assert other.json()["Fault"]["Error"][0]["code"] == "3100"


def test_a_code_works_once(qbo_sandbox, oauth):
    document = urls(qbo_sandbox)
    redirect = consent(oauth.authorization_url(document["authorization_endpoint"])[0])
    oauth.fetch_token(
        document["token_endpoint"], code=redirect["code"], client_secret=qbo_sandbox.app.client_secret
    )
    again = requests.post(
        document["token_endpoint"],
        auth=(qbo_sandbox.app.client_id, qbo_sandbox.app.client_secret),
        data={"grant_type": "authorization_code", "code": redirect["code"], "redirect_uri": REDIRECT_URI},
        timeout=5,
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_denied_consent_redirects_with_access_denied(qbo_sandbox, oauth):
    redirect = consent(
        oauth.authorization_url(urls(qbo_sandbox)["authorization_endpoint"])[0], decision="deny"
    )
    assert redirect["error"] == "access_denied"


def test_wrong_client_secret_is_invalid_client(qbo_sandbox):
    answer = requests.post(
        urls(qbo_sandbox)["token_endpoint"],
        auth=(qbo_sandbox.app.client_id, "nope"),
        data={"grant_type": "refresh_token", "refresh_token": "x"},
        timeout=5,
    )
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


def test_intuit_oauth_client_validates_the_signed_id_token(qbo_sandbox):
    auth_client = AuthClient(
        qbo_sandbox.app.client_id, qbo_sandbox.app.client_secret, REDIRECT_URI, qbo_sandbox.discovery_url
    )
    url = auth_client.get_authorization_url([Scopes.ACCOUNTING, Scopes.OPENID, Scopes.EMAIL])
    redirect = consent(url)

    auth_client.get_bearer_token(redirect["code"], realm_id=redirect["realmId"])

    assert auth_client.id_token is not None  # intuitlib only keeps it when the RS256 check passes
    assert auth_client.expires_in == 3600 and auth_client.realm_id == qbo_sandbox.realm_ids[0]
    info = auth_client.get_user_info().json()
    assert info["sub"] and info["email"].endswith("@example.com") and info["emailVerified"] is True
    qb = quickbooks_client_from(qbo_sandbox, auth_client)
    assert CompanyInfo.get(redirect["realmId"], qb=qb).CompanyName == "Sandbox Company_US_1"


def quickbooks_client_from(qbo_sandbox, auth_client):  # type: ignore[no-untyped-def]
    from quickbooks import QuickBooks

    qb = QuickBooks(
        auth_client=auth_client,
        refresh_token=auth_client.refresh_token,
        company_id=auth_client.realm_id,
        minorversion=75,
    )
    qb.api_url_v3 = qbo_sandbox.api_url_v3
    return qb


def test_refresh_keeps_the_value_for_a_day_then_rotates_and_retires_the_old_one():
    with QuickBooksSandbox(seed="empty", dispatch=FAST_WEBHOOKS) as qbo_sandbox:
        qbo_connection = qbo_sandbox.connect()
        auth_client = AuthClient(
            qbo_connection.client_id,
            qbo_connection.client_secret,
            REDIRECT_URI,
            qbo_sandbox.discovery_url,
            refresh_token=qbo_connection.refresh_token,
        )
        auth_client.refresh()
        assert auth_client.refresh_token == qbo_connection.refresh_token  # same value within a day

        qbo_sandbox.clock.advance(timedelta(hours=25))
        auth_client.refresh()
        assert auth_client.refresh_token != qbo_connection.refresh_token

        with pytest.raises(AuthClientError) as refused:
            auth_client.refresh(refresh_token=qbo_connection.refresh_token)
        assert refused.value.status_code == 400
        assert refused.value.content and b"invalid_grant" in refused.value.content


def test_refresh_token_expiry_rolls_with_use_and_dies_when_idle():
    with QuickBooksSandbox(
        seed="empty",
        dispatch=FAST_WEBHOOKS,
        token_policy=TokenPolicy(refresh_seconds=100, rotate_after=10_000),
    ) as qbo_sandbox:
        qbo_connection = qbo_sandbox.connect()
        auth_client = AuthClient(
            qbo_connection.client_id,
            qbo_connection.client_secret,
            REDIRECT_URI,
            qbo_sandbox.discovery_url,
            refresh_token=qbo_connection.refresh_token,
        )
        qbo_sandbox.clock.advance(90)
        auth_client.refresh()
        assert auth_client.x_refresh_token_expires_in == 100
        qbo_sandbox.clock.advance(90)
        auth_client.refresh()  # 180 s after issue, but used 90 s ago: still alive
        qbo_sandbox.clock.advance(101)
        with pytest.raises(AuthClientError):
            auth_client.refresh()


def test_hard_expiry_is_reported_when_asked(qbo_sandbox, qbo_connection):
    answer = requests.post(
        urls(qbo_sandbox)["token_endpoint"],
        auth=(qbo_connection.client_id, qbo_connection.client_secret),
        headers={"x-include-refresh-token-hard-expires-in": "true"},
        data={"grant_type": "refresh_token", "refresh_token": qbo_connection.refresh_token},
        timeout=5,
    ).json()
    assert answer["x_refresh_token_hard_expires_in"] == 5 * 365 * 86400


def test_expired_access_token_is_401_with_intuit_body_until_refreshed(qbo_sandbox, qbo_connection, qbo_api):
    qb = quickbooks_client(qbo_sandbox, qbo_connection)
    qbo_sandbox.clock.advance(3601)

    with pytest.raises(AuthorizationException) as expired:
        CompanyInfo.get(qbo_connection.realm_id, qb=qb)
    assert expired.value.error_code == 401
    raw = qbo_api.get(f"{qbo_api.company_url}/companyinfo/{qbo_connection.realm_id}")
    assert raw.status_code == 401
    fault = raw.json()["fault"]
    assert fault["type"] == "AUTHENTICATION" and fault["error"][0]["code"] == "3200"
    assert re.fullmatch(r"\d{13}", str(raw.json()["time"]))

    qb.auth_client.refresh()  # python-quickbooks never refreshes by itself
    refreshed = quickbooks_client_from(qbo_sandbox, qb.auth_client)
    assert CompanyInfo.get(qbo_connection.realm_id, qb=refreshed).Id == qbo_connection.realm_id


def test_revoked_connection_stops_api_and_refresh(qbo_sandbox, qbo_connection, qb):
    auth_client = qb.auth_client
    assert auth_client.revoke(token=qbo_connection.refresh_token) is True
    with pytest.raises(AuthorizationException):
        CompanyInfo.get(qbo_connection.realm_id, qb=qb)
    with pytest.raises(AuthClientError):
        auth_client.refresh(refresh_token=qbo_connection.refresh_token)


def test_user_disconnecting_in_quickbooks_revokes_every_token(qbo_sandbox, qbo_connection, qb):
    qbo_sandbox.revoke_connection(qbo_connection.realm_id)
    with pytest.raises(AuthorizationException):
        CompanyInfo.get(qbo_connection.realm_id, qb=qb)


def test_token_without_accounting_scope_is_forbidden(qbo_sandbox, qbo_api):
    openid_only = qbo_sandbox.connect(scopes=("openid", "email"))
    answer = requests.get(
        f"{qbo_api.company_url}/companyinfo/{openid_only.realm_id}",
        timeout=5,
        headers={"Authorization": f"Bearer {openid_only.access_token}"},
    )
    assert answer.status_code == 403


def relance_style_request(qbo_sandbox, scopes: list[str]) -> tuple[OAuth2Session, str, str, str]:
    """What Relance's integration/oauth.py sends: PKCE S256 and a nonce."""
    client = WebApplicationClient(qbo_sandbox.app.client_id)
    verifier = client.create_code_verifier(64)
    session = OAuth2Session(qbo_sandbox.app.client_id, redirect_uri=REDIRECT_URI, scope=scopes)
    url, _ = session.authorization_url(
        urls(qbo_sandbox)["authorization_endpoint"],
        code_challenge=client.create_code_challenge(verifier, "S256"),
        code_challenge_method="S256",
        nonce="n-0S6_WzA2Mj",
    )
    return session, url, verifier, "n-0S6_WzA2Mj"


def test_pkce_and_nonce_are_honoured_and_the_id_token_verifies_with_pyjwt(qbo_sandbox):
    session, url, verifier, nonce = relance_style_request(qbo_sandbox, ["openid", "profile", "email"])
    redirect = consent(url)
    assert "realmId" not in redirect  # sign-in scopes only: no company on the redirect

    token = session.fetch_token(
        urls(qbo_sandbox)["token_endpoint"],
        code=redirect["code"],
        client_secret=qbo_sandbox.app.client_secret,
        code_verifier=verifier,
    )

    key = jwt.PyJWKClient(urls(qbo_sandbox)["jwks_uri"]).get_signing_key_from_jwt(token["id_token"])
    claims = jwt.decode(
        token["id_token"],
        key.key,
        algorithms=["RS256"],
        audience=qbo_sandbox.app.client_id,
        issuer="https://oauth.platform.intuit.com/op/v1",
    )
    assert claims["nonce"] == nonce and claims["sub"]


def test_wrong_pkce_verifier_is_invalid_grant(qbo_sandbox):
    _, url, _, _ = relance_style_request(qbo_sandbox, [ACCOUNTING])
    redirect = consent(url)
    answer = requests.post(
        urls(qbo_sandbox)["token_endpoint"],
        auth=(qbo_sandbox.app.client_id, qbo_sandbox.app.client_secret),
        data={
            "grant_type": "authorization_code",
            "code": redirect["code"],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": "not-the-verifier-" + "x" * 40,
        },
        timeout=5,
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_requests_oauthlib_refresh_and_json_revoke_as_relance_does(qbo_sandbox, qbo_connection):
    document = urls(qbo_sandbox)
    auth = HTTPBasicAuth(qbo_connection.client_id, qbo_connection.client_secret)
    session = OAuth2Session(qbo_connection.client_id)

    token = session.refresh_token(
        document["token_endpoint"], refresh_token=qbo_connection.refresh_token, auth=auth
    )

    assert token["access_token"] != qbo_connection.access_token and token["expires_in"] == 3600
    api = f"{qbo_sandbox.api_url_v3}/company/{qbo_connection.realm_id}/preferences"
    assert OAuth2Session(qbo_connection.client_id, token=token).get(api).status_code == 200

    revoked = requests.post(
        document["revocation_endpoint"], auth=auth, json={"token": token["refresh_token"]}, timeout=5
    )
    assert revoked.status_code == 200
    with pytest.raises(InvalidGrantError):
        session.refresh_token(document["token_endpoint"], refresh_token=token["refresh_token"], auth=auth)
    assert OAuth2Session(qbo_connection.client_id, token=token).get(api).status_code == 401
