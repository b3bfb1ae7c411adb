"""One provider object per ledger, behind one interface: everything that differs between Xero and
QuickBooks Online and is not the Ledger's API itself.

A provider says where its OAuth and API endpoints are and with which app credentials and scopes,
which tenants a consent reached and how to undo one, how its webhooks are signed and read, which
marketplace entry points its app store sends people to, and which client reaches its API. Code
above ``integration/`` looks a provider up by name (``provider(connection.provider)``) and never
asks which one it has: ``style.md``, "One interface, two providers".

Production talks to Xero's and Intuit's real hosts. A ledger sandbox (`relance sandbox …`) serves
every host of its ledger under one base URL, each host's paths under a prefix, so setting
XERO_BASE_URL or QUICKBOOKS_BASE_URL is the only change needed to use one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Protocol

from runtime.settings import ConfigurationError, Settings

if TYPE_CHECKING:
    from integration.events import IncomingEvent
    from integration.ledger import Ledger
    from integration.rate_limit import TenantRateLimiter

SIGN_IN_SCOPES = ("openid", "profile", "email")


class Provider(StrEnum):
    """The names of the ledgers Relance connects to, as stored on grants and connections."""

    XERO = "xero"
    QUICKBOOKS = "quickbooks"


@dataclass(frozen=True)
class ProviderEndpoints:
    """Everything needed to run OAuth with one ledger and to reach its API."""

    provider: Provider
    display_name: str
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    revocation_url: str
    jwks_url: str
    issuer: str
    userinfo_url: str
    api_url: str
    connect_scopes: tuple[str, ...]
    # Intuit's revoke endpoint takes JSON; Xero's takes a form (reference details files).
    revocation_as_json: bool


@dataclass(frozen=True)
class Tenant:
    """A ledger tenant a consent reached: a Xero organisation or a QuickBooks realm.

    ``name_is_provisional``: the ledger did not name it yet (QuickBooks names a company only in
    its CompanyInfo, read at the first sync), so a name already known is kept over this one.
    """

    tenant_id: str
    name: str
    provider_connection_id: str | None = None
    name_is_provisional: bool = False


@dataclass(frozen=True)
class EntryPoint:
    """A page of Relance's that a ledger's app marketplace sends people to (its URL is registered
    with the marketplace, so it never changes). ``kind`` says what the page does:

    - ``signup``: start connecting (and signing in), whoever comes;
    - ``launch``: the marketplace's "open the app": people signed in with an organisation go home,
      anyone else connects;
    - ``disconnected``: the ledger tells us a person disconnected Relance there.
    """

    kind: str
    path: str


class LedgerProvider(Protocol):
    """What differs between two ledgers, behind one face. Both implementations live in their
    ledger's folder (``integration/xero/provider.py``, ``integration/quickbooks/provider.py``)."""

    name: Provider
    # How people know the ledger ("Xero", "QuickBooks") and whose account signs them in ("Xero", "Intuit").
    display_name: str
    identity_name: str
    # The header that carries a webhook delivery's HMAC-SHA256 signature of the raw body.
    webhook_signature_header: str
    entry_points: tuple[EntryPoint, ...]

    def is_configured(self, settings: Settings) -> bool:
        """Whether this deployment has app credentials for this ledger."""
        ...

    def endpoints(self, settings: Settings) -> ProviderEndpoints:
        """OAuth and API endpoints and app credentials (ConfigurationError without credentials)."""
        ...

    def consented_tenants(
        self, endpoints: ProviderEndpoints, access_token: str, callback: Mapping[str, str]
    ) -> list[Tenant]:
        """The tenants a consent just reached (``callback``: the query of the OAuth callback)."""
        ...

    def undo_consent(
        self, endpoints: ProviderEndpoints, access_token: str, provider_connection_id: str | None
    ) -> None:
        """Let go of one tenant at the ledger, before the grant's refresh token is revoked."""
        ...

    def still_reaches(self, endpoints: ProviderEndpoints, access_token: str, tenant_id: str) -> bool:
        """Whether a grant whose token still refreshes still reaches ``tenant_id``."""
        ...

    def tenant_in_request(self, arguments: Mapping[str, str]) -> str:
        """The tenant a marketplace page names in its query ('' when it names none)."""
        ...

    def webhook_key(self, settings: Settings) -> str:
        """The secret this ledger signs webhook deliveries with ('' when not configured)."""
        ...

    def read_webhook(self, body: bytes) -> list[IncomingEvent]:
        """A signed delivery's events (raises ``integration.events.UnreadablePayload``)."""
        ...

    def is_intent_probe(self, body: bytes) -> bool:
        """Whether a wrongly signed delivery is the ledger checking that we refuse it (a 401)."""
        ...

    def ledger(
        self,
        tenant_id: str,
        endpoints: ProviderEndpoints,
        access_token: Callable[[], str],
        on_unauthorized: Callable[[], str],
        limiter: TenantRateLimiter,
    ) -> Ledger:
        """The client for one tenant's API, as Relance's ``Ledger``."""
        ...


def credentials_required(provider: LedgerProvider, found: ProviderEndpoints) -> ProviderEndpoints:
    """``found``, or a ConfigurationError naming the settings that are missing."""
    if not found.client_id or not found.client_secret:
        prefix = provider.name.value.upper()
        raise ConfigurationError(
            f"{prefix}_CLIENT_ID and {prefix}_CLIENT_SECRET must be set to connect {provider.display_name}"
        )
    return found


def hosts(defaults: dict[str, str], prefixes: dict[str, str], base_url: str | None) -> dict[str, str]:
    """A ledger's hosts: the real ones, or each under its prefix on a sandbox's base URL."""
    if not base_url:
        return defaults
    base = base_url.rstrip("/")
    return {name: base + prefixes[name] for name in defaults}


@cache
def _registry() -> dict[Provider, LedgerProvider]:
    # Imported here: each provider's module imports this one for the shared types.
    from integration.quickbooks.provider import QuickBooksProvider
    from integration.xero.provider import XeroProvider

    found: list[LedgerProvider] = [XeroProvider(), QuickBooksProvider()]
    return {ledger.name: ledger for ledger in found}


class UnknownProvider(LookupError):
    """No ledger has this name."""


def provider(name: Provider | str) -> LedgerProvider:
    """The provider object of the ledger called ``name`` (UnknownProvider if there is none)."""
    try:
        return _registry()[Provider(name)]
    except ValueError:
        raise UnknownProvider(name) from None


def all_providers() -> list[LedgerProvider]:
    """Every ledger Relance knows, configured here or not."""
    return list(_registry().values())


def configured_providers(settings: Settings) -> list[LedgerProvider]:
    """The ledgers this deployment can connect to."""
    return [ledger for ledger in all_providers() if ledger.is_configured(settings)]


def endpoints(settings: Settings, name: Provider | str) -> ProviderEndpoints:
    """The endpoints and credentials of the ledger called ``name`` under ``settings``."""
    return provider(name).endpoints(settings)
