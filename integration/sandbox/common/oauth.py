"""The generic OAuth 2.0 machinery: authorization codes, PKCE, token issue, rotation, revocation.

Both ledgers use the authorization-code flow with rotating refresh tokens; what differs is the
wire (endpoints, error bodies, token shapes), which stays in each ledger's package. The rules
that Relance's token vault is tested against live here: a refresh token is single-use but the
previous one keeps working for a grace period (a lost refresh response must not disconnect a
customer), unused refresh tokens die after an idle lifetime, and revoking ends the whole grant.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any


class OAuthError(Exception):
    """An RFC 6749 error (`invalid_grant`, `invalid_client` ...) to answer with status 400/401."""

    def __init__(self, error: str, description: str = "", status: int = 400) -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error
        self.description = description
        self.status = status


class AccessTokenRejected(Exception):
    """An access token that is unknown, expired or revoked; `expired_at` is set when it expired."""

    def __init__(self, reason: str, expired_at: datetime | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.expired_at = expired_at


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge for a verifier (RFC 7636 section 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def pkce_matches(verifier: str | None, challenge: str | None, method: str | None) -> bool:
    """True if the verifier answers the challenge; a code issued without PKCE needs no verifier."""
    if not challenge:
        return True
    if not verifier:
        return False
    if (method or "plain") == "S256":
        return hmac.compare_digest(pkce_challenge(verifier), challenge)
    return hmac.compare_digest(verifier, challenge)


@dataclass(frozen=True)
class TokenLifetimes:
    """Lifetimes in seconds; the defaults are Xero's (access 30 min, refresh 60 days idle, grace 30 min)."""

    access: float = 1800
    refresh_idle: float = 60 * 24 * 3600
    refresh_grace: float = 1800
    code: float = 300


@dataclass
class Grant:
    """One consent: a client, a user, scopes and whatever the ledger attaches (e.g. tenants)."""

    grant_id: str
    client_id: str
    user_id: str
    scopes: tuple[str, ...]
    created_at: datetime
    attributes: dict[str, Any] = field(default_factory=dict)
    revoked: bool = False


@dataclass
class _Code:
    grant: Grant
    redirect_uri: str
    challenge: str | None
    method: str | None
    expires_at: datetime
    nonce: str | None


@dataclass
class _Access:
    grant: Grant
    expires_at: datetime


@dataclass
class _Refresh:
    grant: Grant
    last_used_at: datetime
    rotated_at: datetime | None = None


@dataclass(frozen=True)
class IssuedTokens:
    """The outcome of a token request; `refresh_token` is None without offline access."""

    grant: Grant
    access_token: str
    expires_in: int
    refresh_token: str | None
    nonce: str | None = None


class TokenAuthority:
    """Issues and checks codes and tokens against a clock (a sandbox clock can expire them)."""

    def __init__(
        self,
        now: Callable[[], datetime],
        lifetimes: TokenLifetimes | None = None,
        mint_access_token: Callable[[Grant, datetime], str] | None = None,
        issue_refresh: Callable[[Grant], bool] = lambda grant: True,
    ) -> None:
        self.now = now
        self.lifetimes = lifetimes or TokenLifetimes()
        self._mint_access = mint_access_token or (lambda grant, expires: secrets.token_urlsafe(32))
        self._issue_refresh = issue_refresh
        self._lock = threading.Lock()
        self._codes: dict[str, _Code] = {}
        self._access: dict[str, _Access] = {}
        self._refresh: dict[str, _Refresh] = {}
        self.grants: dict[str, Grant] = {}

    def new_grant(
        self, client_id: str, user_id: str, scopes: tuple[str, ...], attributes: dict[str, Any] | None = None
    ) -> Grant:
        """Record a consent."""
        grant = Grant(secrets.token_hex(16), client_id, user_id, scopes, self.now(), dict(attributes or {}))
        with self._lock:
            self.grants[grant.grant_id] = grant
        return grant

    def issue_code(
        self,
        grant: Grant,
        redirect_uri: str,
        challenge: str | None = None,
        method: str | None = None,
        nonce: str | None = None,
    ) -> str:
        """A single-use authorization code for the grant."""
        code = secrets.token_urlsafe(32)
        expires = self.now() + timedelta(seconds=self.lifetimes.code)
        with self._lock:
            self._codes[code] = _Code(grant, redirect_uri, challenge, method, expires, nonce)
        return code

    def redeem_code(
        self, code: str, client_id: str, redirect_uri: str | None, verifier: str | None
    ) -> IssuedTokens:
        """Exchange a code (once) for tokens, checking client, redirect URI and PKCE."""
        with self._lock:
            record = self._codes.pop(code, None)
        if record is None or record.expires_at <= self.now() or record.grant.revoked:
            raise OAuthError("invalid_grant", "The authorization code is invalid or has expired.")
        if record.grant.client_id != client_id:
            raise OAuthError("invalid_grant", "The code was issued to another client.")
        if redirect_uri is not None and redirect_uri != record.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri does not match.")
        if not pkce_matches(verifier, record.challenge, record.method):
            raise OAuthError("invalid_grant", "The code_verifier does not match the code_challenge.")
        return self._issue(record.grant, record.nonce)

    def refresh(self, refresh_token: str, client_id: str) -> IssuedTokens:
        """Rotate a refresh token; the previous one stays usable for the grace period."""
        now = self.now()
        with self._lock:
            record = self._refresh.get(refresh_token)
            if record is None or record.grant.revoked or record.grant.client_id != client_id:
                raise OAuthError("invalid_grant")
            if record.rotated_at is not None:
                if (now - record.rotated_at).total_seconds() > self.lifetimes.refresh_grace:
                    raise OAuthError("invalid_grant")
            elif (now - record.last_used_at).total_seconds() > self.lifetimes.refresh_idle:
                raise OAuthError("invalid_grant")
            if record.rotated_at is None:
                record.rotated_at = now
            record.last_used_at = now
        return self._issue(record.grant, None)

    def _issue(self, grant: Grant, nonce: str | None) -> IssuedTokens:
        now = self.now()
        expires = now + timedelta(seconds=self.lifetimes.access)
        access = self._mint_access(grant, expires)
        refresh = secrets.token_urlsafe(32) if self._issue_refresh(grant) else None
        with self._lock:
            self._access[access] = _Access(grant, expires)
            if refresh is not None:
                self._refresh[refresh] = _Refresh(grant, now)
        return IssuedTokens(grant, access, int(self.lifetimes.access), refresh, nonce)

    def check_access(self, access_token: str) -> Grant:
        """The grant behind a live access token, or AccessTokenRejected."""
        with self._lock:
            record = self._access.get(access_token)
        if record is None:
            raise AccessTokenRejected("unknown")
        if record.grant.revoked:
            raise AccessTokenRejected("revoked")
        if record.expires_at <= self.now():
            raise AccessTokenRejected("expired", record.expires_at)
        return record.grant

    def grant_of_refresh(self, refresh_token: str) -> Grant | None:
        """The grant a refresh token belongs to, if known."""
        with self._lock:
            record = self._refresh.get(refresh_token)
        return record.grant if record else None

    def revoke(self, token: str) -> Grant | None:
        """Revoke the grant behind a refresh or access token (every token of it dies)."""
        with self._lock:
            record: _Refresh | _Access | None = self._refresh.get(token) or self._access.get(token)
        if record is None:
            return None
        record.grant.revoked = True
        return record.grant

    def export_state(self) -> dict[str, Any]:
        """Everything issued so far, picklable (for a sandbox that keeps its state in a file)."""
        with self._lock:
            return {
                "codes": dict(self._codes),
                "access": dict(self._access),
                "refresh": dict(self._refresh),
                "grants": dict(self.grants),
            }

    def import_state(self, state: dict[str, Any]) -> None:
        """Restore what export_state() returned."""
        with self._lock:
            self._codes, self._access = dict(state["codes"]), dict(state["access"])
            self._refresh, self.grants = dict(state["refresh"]), dict(state["grants"])

    def expire_access_tokens(self, grant_id: str | None = None) -> int:
        """Make live access tokens expire now (a test's shortcut to the 401 path)."""
        now = self.now()
        count = 0
        with self._lock:
            for record in self._access.values():
                if (grant_id is None or record.grant.grant_id == grant_id) and record.expires_at > now:
                    record.expires_at = now
                    count += 1
        return count
