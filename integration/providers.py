"""Where each ledger's OAuth and API endpoints are, and with which app credentials.

Production talks to Xero's and Intuit's real hosts. A ledger sandbox (`relance sandbox …`)
serves every host of its ledger under one base URL, each host's paths under a prefix, so
setting XERO_BASE_URL or QUICKBOOKS_BASE_URL is the only change needed to use one.
"""

from __future__ import annotations

from dataclasses import dataclass

from integration.connections import Provider
from runtime.settings import ConfigurationError, Settings

# Xero: reference/xero.md "OAuth 2.0" and xero-details.md §1.1.
XERO_HOSTS = {
    "login": "https://login.xero.com",
    "identity": "https://identity.xero.com",
    "api": "https://api.xero.com",
}
XERO_SANDBOX_PREFIXES = {"login": "", "identity": "/identity", "api": ""}

# Intuit: reference/quickbooks.md "OAuth 2.0 and OpenID" and quickbooks-details.md §1.
QUICKBOOKS_HOSTS = {
    "appcenter": "https://appcenter.intuit.com",
    "oauth": "https://oauth.platform.intuit.com",
    "developer": "https://developer.api.intuit.com",
    "accounts": "https://accounts.platform.intuit.com",
    "api": "https://quickbooks.api.intuit.com",
}
QUICKBOOKS_SANDBOX_PREFIXES = {
    "appcenter": "/appcenter",
    "oauth": "/oauth-platform",
    "developer": "/developer-api",
    "accounts": "/accounts",
    "api": "",
}
# The issuer of Intuit's ID tokens (its discovery document), the same from the sandbox.
QUICKBOOKS_ISSUER = "https://oauth.platform.intuit.com/op/v1"
SIGN_IN_SCOPES = ("openid", "profile", "email")


@dataclass(frozen=True)
class ProviderEndpoints:
    """Everything needed to run OAuth with one ledger and to reach its API."""

    provider: Provider
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

    @property
    def display_name(self) -> str:
        return "Xero" if self.provider == Provider.XERO else "QuickBooks"


def _hosts(defaults: dict[str, str], prefixes: dict[str, str], base_url: str | None) -> dict[str, str]:
    if not base_url:
        return defaults
    base = base_url.rstrip("/")
    return {name: base + prefixes[name] for name in defaults}


def endpoints(settings: Settings, provider: Provider | str) -> ProviderEndpoints:
    """The endpoints and credentials of ``provider`` under ``settings``."""
    provider = Provider(provider)
    if provider == Provider.XERO:
        client_id, secret = settings.xero_client_id, settings.xero_client_secret
        hosts = _hosts(XERO_HOSTS, XERO_SANDBOX_PREFIXES, settings.xero_base_url)
        found = ProviderEndpoints(
            provider=provider,
            client_id=client_id or "",
            client_secret=secret.get_secret_value() if secret else "",
            authorize_url=f"{hosts['login']}/identity/connect/authorize",
            token_url=f"{hosts['identity']}/connect/token",
            revocation_url=f"{hosts['identity']}/connect/revocation",
            jwks_url=f"{hosts['identity']}/.well-known/openid-configuration/jwks",
            issuer=hosts["identity"],
            userinfo_url=f"{hosts['identity']}/connect/userinfo",
            api_url=hosts["api"],
            connect_scopes=tuple(settings.xero_scopes.split()),
            revocation_as_json=False,
        )
    else:
        client_id, secret = settings.quickbooks_client_id, settings.quickbooks_client_secret
        hosts = _hosts(QUICKBOOKS_HOSTS, QUICKBOOKS_SANDBOX_PREFIXES, settings.quickbooks_base_url)
        found = ProviderEndpoints(
            provider=provider,
            client_id=client_id or "",
            client_secret=secret.get_secret_value() if secret else "",
            authorize_url=f"{hosts['appcenter']}/connect/oauth2",
            token_url=f"{hosts['oauth']}/oauth2/v1/tokens/bearer",
            revocation_url=f"{hosts['developer']}/v2/oauth2/tokens/revoke",
            jwks_url=f"{hosts['oauth']}/op/v1/jwks",
            issuer=QUICKBOOKS_ISSUER,
            userinfo_url=f"{hosts['accounts']}/v1/openid_connect/userinfo",
            api_url=hosts["api"],
            connect_scopes=tuple(settings.quickbooks_scopes.split()),
            revocation_as_json=True,
        )
    if not found.client_id or not found.client_secret:
        prefix = provider.value.upper()
        raise ConfigurationError(
            f"{prefix}_CLIENT_ID and {prefix}_CLIENT_SECRET must be set to connect {found.display_name}"
        )
    return found


def configured_providers(settings: Settings) -> list[Provider]:
    """The ledgers this deployment can connect to."""
    return [
        provider
        for provider, client_id in (
            (Provider.XERO, settings.xero_client_id),
            (Provider.QUICKBOOKS, settings.quickbooks_client_id),
        )
        if client_id
    ]
