"""OAuth 2.0 and OpenID Connect with Xero and Intuit, on requests-oauthlib.

The authorization-code flow with ``state`` and PKCE (S256), the code exchange, refresh,
revocation, and the ID token's verification against the provider's published keys. Nothing
here touches the database: lifecycle.py decides what to keep.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt
import requests
from oauthlib.oauth2 import InvalidGrantError, OAuth2Error, WebApplicationClient
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from integration.ledger import LedgerRejected, LedgerUnavailable
from integration.providers import SIGN_IN_SCOPES, ProviderEndpoints
from runtime import clock
from runtime.logs import get_logger

TIMEOUT = 20  # seconds for any call to an identity server
log = get_logger(__name__)


class GrantRefused(Exception):
    """The provider answered invalid_grant: the refresh token is revoked, expired or spent."""


@dataclass(frozen=True)
class AuthorizationRequest:
    """What the browser is sent to, and what we keep in the session until it comes back."""

    url: str
    state: str
    code_verifier: str
    nonce: str
    redirect_uri: str
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    access_expires_at: datetime
    scopes: tuple[str, ...]
    refresh_token: str | None = None
    refresh_expires_at: datetime | None = None
    identity: dict[str, Any] = field(default_factory=dict)  # verified ID token claims, when asked for

    @property
    def subject(self) -> str | None:
        return self.identity.get("sub")


def authorization_request(
    endpoints: ProviderEndpoints, redirect_uri: str, *, sign_in_only: bool = False
) -> AuthorizationRequest:
    """Where to send the browser to ask for consent (connect) or for identity (sign in)."""
    scopes = SIGN_IN_SCOPES if sign_in_only else endpoints.connect_scopes
    client = WebApplicationClient(endpoints.client_id)
    verifier = client.create_code_verifier(64)
    nonce = secrets.token_urlsafe(16)
    session = OAuth2Session(endpoints.client_id, redirect_uri=redirect_uri, scope=list(scopes))
    url, state = session.authorization_url(
        endpoints.authorize_url,
        code_challenge=client.create_code_challenge(verifier, "S256"),
        code_challenge_method="S256",
        nonce=nonce,
    )
    return AuthorizationRequest(url, state, verifier, nonce, redirect_uri, tuple(scopes))


def exchange_code(endpoints: ProviderEndpoints, started: AuthorizationRequest, callback_url: str) -> TokenSet:
    """Trade the code in ``callback_url`` for tokens; ``state`` must match what we sent."""
    session = OAuth2Session(
        endpoints.client_id,
        redirect_uri=started.redirect_uri,
        scope=list(started.scopes),
        state=started.state,
    )
    try:
        token = session.fetch_token(
            endpoints.token_url,
            authorization_response=callback_url,
            client_secret=endpoints.client_secret,
            code_verifier=started.code_verifier,
            timeout=TIMEOUT,
        )
    except OAuth2Error as error:
        raise LedgerRejected(f"{endpoints.display_name} refused the authorization: {error.error}") from None
    except requests.RequestException as error:
        raise LedgerUnavailable(
            f"{endpoints.display_name} identity server unreachable: {type(error).__name__}"
        ) from None
    tokens = _token_set(endpoints, token, nonce=started.nonce)
    return replace(tokens, identity=with_profile(endpoints, tokens.access_token, tokens.identity))


def refresh(endpoints: ProviderEndpoints, refresh_token: str) -> TokenSet:
    """A new token set for a refresh token (which the provider rotates)."""
    session = OAuth2Session(endpoints.client_id)
    try:
        token = session.refresh_token(
            endpoints.token_url,
            refresh_token=refresh_token,
            auth=HTTPBasicAuth(endpoints.client_id, endpoints.client_secret),
            timeout=TIMEOUT,
        )
    except InvalidGrantError as error:
        raise GrantRefused(error.description or "invalid_grant") from None
    except OAuth2Error as error:
        raise LedgerRejected(f"{endpoints.display_name} refused the refresh: {error.error}") from None
    except (requests.RequestException, ValueError) as error:
        # ValueError: a body that is not a token answer (a 5xx page), so try again later.
        raise LedgerUnavailable(
            f"{endpoints.display_name} token refresh failed: {type(error).__name__}"
        ) from None
    return _token_set(endpoints, token, nonce=None)


def revoke(endpoints: ProviderEndpoints, token: str) -> None:
    """Revoke a refresh token (Xero also ends the consent's connections)."""
    auth = HTTPBasicAuth(endpoints.client_id, endpoints.client_secret)
    options: dict[str, Any] = (
        {"json": {"token": token}} if endpoints.revocation_as_json else {"data": {"token": token}}
    )
    try:
        answer = requests.post(endpoints.revocation_url, auth=auth, timeout=TIMEOUT, **options)
    except requests.RequestException as error:
        raise LedgerUnavailable(
            f"{endpoints.display_name} revocation failed: {type(error).__name__}"
        ) from None
    if answer.status_code >= 500:
        raise LedgerUnavailable(f"{endpoints.display_name} revocation failed: HTTP {answer.status_code}")
    # 400 (already revoked or unknown) leaves us where we want to be: the token no longer works.


@lru_cache(maxsize=8)
def _jwks(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True, timeout=TIMEOUT)


def verify_id_token(endpoints: ProviderEndpoints, id_token: str, nonce: str | None) -> dict[str, Any]:
    """The ID token's claims after checking its signature, issuer, audience and nonce.

    Its time claims are not compared with Relance's clock, which demos move: the token comes
    straight from the token endpoint over TLS, which OpenID Connect Core 1.0 §3.1.3.7 accepts
    in place of signature checks for the code flow; we check the signature anyway.
    """
    try:
        key = _jwks(endpoints.jwks_url).get_signing_key_from_jwt(id_token)
        claims = jwt.decode(
            id_token,
            key.key,
            algorithms=["RS256"],
            audience=endpoints.client_id,
            issuer=endpoints.issuer,
            options={"verify_exp": False, "verify_nbf": False, "verify_iat": False},
        )
    except jwt.PyJWKClientConnectionError:
        raise LedgerUnavailable(f"{endpoints.display_name} signing keys unreachable") from None
    except jwt.PyJWTError as error:
        raise LedgerRejected(f"{endpoints.display_name} ID token rejected: {error}") from None
    # OpenID Connect Core 1.0 §3.1.3.7, step 11: when the authorization request sent a nonce, the
    # ID token must carry that same nonce; one without it could be replayed from another sign-in.
    # A refresh (nonce None) is not checked: the nonce belongs to the sign-in, not to the refresh.
    if nonce is not None and not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
        raise LedgerRejected(f"{endpoints.display_name} ID token rejected: not the nonce Relance sent")
    return claims


def unverified_claims(access_token: str) -> dict[str, Any]:
    """The claims of a JWT access token we just received from the token endpoint (Xero's carry
    ``authentication_event_id``, which says which tenants this consent connected)."""
    try:
        return jwt.decode(access_token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}  # an opaque token: nothing to read


# OpenID userinfo names a person's name and email in standard claims (Xero) or in Intuit's own
# camel-case ones (givenName, familyName, email: Intuit's OpenID Connect docs, "UserInfo endpoint").
_USERINFO_CLAIMS = {
    "given_name": ("given_name", "givenName"),
    "family_name": ("family_name", "familyName"),
    "name": ("name",),
    "email": ("email",),
}


def with_profile(endpoints: ProviderEndpoints, access_token: str, identity: dict[str, Any]) -> dict[str, Any]:
    """The ID token's claims, with the name and email from userinfo when the token carries neither
    (Intuit's ID token names only the subject). A userinfo call that fails leaves them out: the
    person is signed in all the same, and can be named later."""
    if not identity or identity.get("email") or identity.get("name") or not endpoints.userinfo_url:
        return identity
    try:
        answer = requests.get(
            endpoints.userinfo_url, headers={"Authorization": f"Bearer {access_token}"}, timeout=TIMEOUT
        )
        answer.raise_for_status()
        info = answer.json()
    except (requests.RequestException, ValueError) as error:
        log.warning("oauth.userinfo_failed", provider=endpoints.provider.value, error=type(error).__name__)
        return identity
    if not isinstance(info, dict) or str(info.get("sub", "")) != str(identity.get("sub")):
        return identity  # another person's answer is never mixed into this one's claims
    found = {
        claim: str(info[name])
        for claim, names in _USERINFO_CLAIMS.items()
        for name in names
        if isinstance(info.get(name), str) and info[name]
    }
    return {**found, **{k: v for k, v in identity.items() if v}}


def _token_set(endpoints: ProviderEndpoints, token: dict[str, Any], nonce: str | None) -> TokenSet:
    now = clock.now()
    identity: dict[str, Any] = {}
    if token.get("id_token"):
        identity = verify_id_token(endpoints, token["id_token"], nonce)
    refresh_lifetime = token.get("x_refresh_token_expires_in")  # Intuit says; Xero: 60 days unused
    scopes = token.get("scope") or ()
    return TokenSet(
        access_token=token["access_token"],
        access_expires_at=now + timedelta(seconds=int(token.get("expires_in", 1800))),
        scopes=tuple(scopes.split() if isinstance(scopes, str) else scopes),
        refresh_token=token.get("refresh_token"),
        refresh_expires_at=now + timedelta(seconds=int(refresh_lifetime or 60 * 86400)),
        identity=identity,
    )
