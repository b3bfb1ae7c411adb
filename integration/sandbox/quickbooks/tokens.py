"""Intuit's OAuth 2.0 grants: authorization codes, bearer tokens, refresh rotation, revocation.

Lifetimes as Intuit documents them (BTOK, blogs.intuit.com 2024-06-03): access tokens one
hour; refresh tokens 100 days, rolling — each use extends it; since the 2025 policy (BRT5)
also a hard maximum of five years, reported as `x_refresh_token_hard_expires_in` when the
client sends `x-include-refresh-token-hard-expires-in: true`. The refresh-token *value*
changes about once a day and the old value stops working once a new one was issued
(secondary: nango.dev "QuickBooks OAuth refresh token invalid_grant"); within a day the
same value comes back. All of it is a TokenPolicy so tests can shrink it.

common/oauth.py's TokenAuthority rotates on every refresh with a grace period (Xero's rule);
Intuit's "same value for a day, then a new one" does not fit it, hence this module. The
"rotate after N seconds" rule could be hoisted into common/ as an option.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from integration.sandbox.common.clock import SandboxClock
from integration.sandbox.common.oauth import OAuthError, pkce_matches
from integration.sandbox.common.signing_keys import SigningKey

from .faults import AuthenticationFailed, AuthorizationFailed

ISSUER = "https://oauth.platform.intuit.com/op/v1"  # DISC, verbatim
ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"
OPENID_SCOPES = {"openid", "profile", "email", "phone", "address"}
KNOWN_SCOPES = {ACCOUNTING_SCOPE, "com.intuit.quickbooks.payment", "intuit_name"} | OPENID_SCOPES


@dataclass(frozen=True)
class TokenPolicy:
    """Lifetimes in seconds; `rotate_after` 0 means a new refresh token on every refresh."""

    access_seconds: int = 3600
    refresh_seconds: int = 100 * 86400
    hard_seconds: int = 5 * 365 * 86400
    rotate_after: int = 86400
    code_seconds: int = 600  # Intuit's auth-code lifetime is unpublished (details §1.2)


@dataclass
class App:
    """A developer app: its keys and the redirect URIs registered for it."""

    client_id: str
    client_secret: str
    redirect_uris: list[str]
    name: str = "Relance"


@dataclass
class Grant:
    """One consent: an app connected to one realm by one user, with its refresh token."""

    client_id: str
    realm_id: str
    scopes: tuple[str, ...]
    user_id: str
    refresh_token: str
    refresh_issued: datetime
    refresh_expires: datetime
    hard_expires: datetime
    revoked: bool = False
    access_tokens: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class AccessToken:
    """A bearer token and what it may reach."""

    value: str
    grant: Grant
    expires: datetime


@dataclass(frozen=True)
class _Code:
    client_id: str
    redirect_uri: str
    realm_id: str
    scopes: tuple[str, ...]
    expires: datetime
    challenge: str | None = None
    method: str | None = None
    nonce: str | None = None


class TokenAuthority:
    """Issues and checks every code and token of one sandbox; thread-safe."""

    def __init__(self, clock: SandboxClock, policy: TokenPolicy | None = None) -> None:
        self.clock = clock
        self.policy = policy or TokenPolicy()
        self.signer = SigningKey.shared()
        self.apps: dict[str, App] = {}
        self._lock = threading.Lock()
        self._codes: dict[str, _Code] = {}
        self._grants_by_refresh: dict[str, Grant] = {}
        self._access: dict[str, AccessToken] = {}
        self._grants: list[Grant] = []
        # The subject of grants made without a user (the sandbox's one person); see new_grant.
        self.default_user_id = ""

    def register_app(
        self, client_id: str, client_secret: str, redirect_uris: list[str], name: str = "Relance"
    ) -> App:
        """Add a developer app (the sandbox starts with one, see QuickBooksSandbox.app)."""
        app = App(client_id, client_secret, list(redirect_uris), name)
        self.apps[client_id] = app
        return app

    def client(self, client_id: str | None, client_secret: str | None) -> App:
        """The app whose credentials these are, or invalid_client."""
        app = self.apps.get(client_id or "")
        if app is None or not secrets.compare_digest(app.client_secret, client_secret or ""):
            raise OAuthError("invalid_client", "Client authentication failed", 401)
        return app

    def issue_code(
        self,
        client_id: str,
        redirect_uri: str,
        scopes: tuple[str, ...],
        realm_id: str,
        challenge: str | None = None,
        method: str | None = None,
        nonce: str | None = None,
    ) -> str:
        """The code the authorize page puts on the redirect (with the PKCE challenge and nonce, if sent)."""
        code = "AB" + secrets.token_urlsafe(36)
        expires = self.clock.now() + timedelta(seconds=self.policy.code_seconds)
        with self._lock:
            self._codes[code] = _Code(
                client_id, redirect_uri, realm_id, scopes, expires, challenge, method, nonce
            )
        return code

    def exchange_code(
        self, app: App, code: str, redirect_uri: str, hard_expiry: bool = False, verifier: str | None = None
    ) -> dict[str, Any]:
        """grant_type=authorization_code; a code works once, and answers its PKCE challenge if it had one.

        Whether Intuit enforces PKCE is unpublished; a client that sends a challenge must send
        the matching verifier here (RFC 7636), one that sends none is not asked for one.
        """
        with self._lock:
            issued = self._codes.pop(code, None)
        if issued is None or issued.expires < self.clock.now() or issued.client_id != app.client_id:
            raise OAuthError("invalid_grant", "Authorization code is invalid or expired")
        if issued.redirect_uri != redirect_uri:
            raise OAuthError("invalid_grant", "Redirect URI does not match the authorization request")
        if not pkce_matches(verifier, issued.challenge, issued.method):
            raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
        grant = self.new_grant(app.client_id, issued.realm_id, issued.scopes)
        return self._answer(grant, app, hard_expiry, with_id_token=True, nonce=issued.nonce)

    def new_grant(self, client_id: str, realm_id: str, scopes: tuple[str, ...], user_id: str = "") -> Grant:
        """A consent, as if the user had clicked Connect; used directly by tests and the demo."""
        now = self.clock.now()
        grant = Grant(
            client_id=client_id,
            realm_id=realm_id,
            scopes=scopes,
            user_id=user_id or self.default_user_id or f"user-{realm_id}",
            refresh_token=self._new_refresh_value(),
            refresh_issued=now,
            refresh_expires=now + timedelta(seconds=self.policy.refresh_seconds),
            hard_expires=now + timedelta(seconds=self.policy.hard_seconds),
        )
        with self._lock:
            self._grants.append(grant)
            self._grants_by_refresh[grant.refresh_token] = grant
        return grant

    @staticmethod
    def _new_refresh_value() -> str:
        return "RT1-" + secrets.token_urlsafe(32)

    def refresh(self, app: App, refresh_token: str, hard_expiry: bool = False) -> dict[str, Any]:
        """grant_type=refresh_token with rolling expiry and daily rotation."""
        now = self.clock.now()
        with self._lock:
            grant = self._grants_by_refresh.get(refresh_token)
            if grant is None or grant.client_id != app.client_id or grant.revoked:
                raise OAuthError("invalid_grant", "Incorrect or invalid refresh token")
            if grant.refresh_expires <= now or grant.hard_expires <= now:
                raise OAuthError("invalid_grant", "Token has been expired or revoked")
            if (now - grant.refresh_issued).total_seconds() >= self.policy.rotate_after:
                del self._grants_by_refresh[grant.refresh_token]
                grant.refresh_token = self._new_refresh_value()
                grant.refresh_issued = now
                self._grants_by_refresh[grant.refresh_token] = grant
            grant.refresh_expires = min(
                now + timedelta(seconds=self.policy.refresh_seconds), grant.hard_expires
            )
        return self._answer(grant, app, hard_expiry, with_id_token=False)

    def _answer(
        self, grant: Grant, app: App, hard_expiry: bool, with_id_token: bool, nonce: str | None = None
    ) -> dict[str, Any]:
        now = self.clock.now()
        access = AccessToken(
            "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2" + secrets.token_urlsafe(48),
            grant,
            now + timedelta(seconds=self.policy.access_seconds),
        )
        with self._lock:
            self._access[access.value] = access
            grant.access_tokens.add(access.value)
        answer: dict[str, Any] = {
            "token_type": "bearer",
            "expires_in": self.policy.access_seconds,
            "refresh_token": grant.refresh_token,
            "x_refresh_token_expires_in": round((grant.refresh_expires - now).total_seconds()),
            "access_token": access.value,
        }
        if hard_expiry:
            answer["x_refresh_token_hard_expires_in"] = round((grant.hard_expires - now).total_seconds())
        if with_id_token and "openid" in grant.scopes:
            # intuit-oauth checks `exp` against the wall clock, so a sandbox clock set in the past
            # must not produce an id_token that is already expired.
            signed_at = max(now, SandboxClock.wall_now())
            claims: dict[str, Any] = {
                "sub": grant.user_id,
                "aud": [app.client_id],
                "realmid": grant.realm_id,
                "iss": ISSUER,
                "auth_time": int(signed_at.timestamp()),
                "iat": int(signed_at.timestamp()),
                "exp": int((signed_at + timedelta(hours=1)).timestamp()),
            }
            if nonce:
                claims["nonce"] = nonce
            answer["id_token"] = self.signer.sign_jwt(claims)
        return answer

    def revoke(self, app: App, token: str) -> None:
        """Revoke by refresh or access token: the whole grant goes (Intuit disconnects the app)."""
        with self._lock:
            grant = self._grants_by_refresh.get(token)
            if grant is None and token in self._access:
                grant = self._access[token].grant
            if grant is None or grant.client_id != app.client_id:
                # Revoking an unknown token is not an error in RFC 7009.
                return
            self._revoke(grant)

    def _revoke(self, grant: Grant) -> None:
        grant.revoked = True
        for value in grant.access_tokens:
            self._access.pop(value, None)

    def revoke_realm(self, realm_id: str) -> int:
        """The user disconnected the app in QuickBooks: every grant on the realm dies."""
        with self._lock:
            grants = [g for g in self._grants if g.realm_id == realm_id and not g.revoked]
            for grant in grants:
                self._revoke(grant)
        return len(grants)

    def expire_access_tokens(self, realm_id: str | None = None) -> int:
        """Make live access tokens expire now (a test's shortcut to the 401 path)."""
        now = self.clock.now()
        with self._lock:
            expiring = [
                t
                for t in self._access.values()
                if t.expires > now and (realm_id is None or t.grant.realm_id == realm_id)
            ]
            for token in expiring:
                self._access[token.value] = AccessToken(token.value, token.grant, now)
        return len(expiring)

    def connected(self, realm_id: str, client_id: str) -> bool:
        """True while the app holds a live (unrevoked, unexpired) consent on the realm."""
        now = self.clock.now()
        with self._lock:
            return any(
                g.realm_id == realm_id
                and g.client_id == client_id
                and not g.revoked
                and g.refresh_expires > now
                for g in self._grants
            )

    def access_for_grant(self, grant: Grant) -> str:
        """A fresh access token for an existing grant (Python-side shortcut)."""
        return self._answer(grant, self.apps[grant.client_id], False, False)["access_token"]

    def authenticate(self, bearer: str | None) -> AccessToken:
        """The access token behind an `Authorization: Bearer` header, or a 401 fault."""
        token = self._access.get(bearer or "")
        if token is None or token.grant.revoked:
            raise AuthenticationFailed("Token revoked" if bearer else "Authorization header missing")
        if token.expires <= self.clock.now():
            raise AuthenticationFailed("Token expired")
        return token

    def authorize_realm(self, token: AccessToken, realm_id: str) -> None:
        """A token reaches only its own realm, and only with the accounting scope: else 403."""
        if token.grant.realm_id != realm_id or ACCOUNTING_SCOPE not in token.grant.scopes:
            raise AuthorizationFailed("The token is not authorized for this company or scope")
