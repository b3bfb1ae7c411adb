"""Xero as a provider: its identity and API hosts, consents that reach several organisations,
webhooks signed in ``x-xero-signature``, and the App Store's sign-up entry point."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from integration.events import IncomingEvent
from integration.ledger import Ledger
from integration.providers import (
    EntryPoint,
    Provider,
    ProviderEndpoints,
    Tenant,
    credentials_required,
    hosts,
)
from integration.rate_limit import TenantRateLimiter
from integration.xero import webhooks
from runtime.settings import Settings

# reference/xero.md "OAuth 2.0" and xero-details.md §1.1.
XERO_HOSTS = {
    "login": "https://login.xero.com",
    "identity": "https://identity.xero.com",
    "api": "https://api.xero.com",
}
XERO_SANDBOX_PREFIXES = {"login": "", "identity": "/identity", "api": ""}


class XeroProvider:
    name = Provider.XERO
    display_name = "Xero"
    identity_name = "Xero"
    # xero-details.md §7.2: HMAC-SHA256 of the raw body with the webhook key, base64.
    webhook_signature_header = "x-xero-signature"
    # The Xero App Store's sign-up: one consent signs the person up and connects their organisations.
    entry_points: tuple[EntryPoint, ...] = (EntryPoint("signup", "/marketplace/xero/signup"),)

    def is_configured(self, settings: Settings) -> bool:
        return bool(settings.xero_client_id)

    def endpoints(self, settings: Settings) -> ProviderEndpoints:
        secret = settings.xero_client_secret
        found = hosts(XERO_HOSTS, XERO_SANDBOX_PREFIXES, settings.xero_base_url)
        return credentials_required(
            self,
            ProviderEndpoints(
                provider=self.name,
                display_name=self.display_name,
                client_id=settings.xero_client_id or "",
                client_secret=secret.get_secret_value() if secret else "",
                authorize_url=f"{found['login']}/identity/connect/authorize",
                token_url=f"{found['identity']}/connect/token",
                revocation_url=f"{found['identity']}/connect/revocation",
                jwks_url=f"{found['identity']}/.well-known/openid-configuration/jwks",
                issuer=found["identity"],
                userinfo_url=f"{found['identity']}/connect/userinfo",
                api_url=found["api"],
                connect_scopes=tuple(settings.xero_scopes.split()),
                revocation_as_json=False,
            ),
        )

    def consented_tenants(
        self, endpoints: ProviderEndpoints, access_token: str, callback: Mapping[str, str]
    ) -> list[Tenant]:
        # One consent may connect several organisations: Xero's /connections says which.
        from integration.xero.consent import xero_tenants

        return xero_tenants(endpoints, access_token)

    def undo_consent(
        self, endpoints: ProviderEndpoints, access_token: str, provider_connection_id: str | None
    ) -> None:
        from integration.xero.consent import xero_disconnect

        if provider_connection_id:
            xero_disconnect(endpoints, access_token, provider_connection_id)

    def still_reaches(self, endpoints: ProviderEndpoints, access_token: str, tenant_id: str) -> bool:
        from integration.xero.consent import xero_tenants

        return tenant_id in {tenant.tenant_id for tenant in xero_tenants(endpoints, access_token)}

    def tenant_in_request(self, arguments: Mapping[str, str]) -> str:
        return ""  # Xero's entry points name no organisation

    def webhook_key(self, settings: Settings) -> str:
        key = settings.xero_webhook_key
        return key.get_secret_value() if key else ""

    def read_webhook(self, body: bytes) -> list[IncomingEvent]:
        return webhooks.read_events(body)

    def is_intent_probe(self, body: bytes) -> bool:
        return webhooks.is_intent_probe(body)

    def ledger(
        self,
        tenant_id: str,
        endpoints: ProviderEndpoints,
        access_token: Callable[[], str],
        on_unauthorized: Callable[[], str],
        limiter: TenantRateLimiter,
    ) -> Ledger:
        from integration.xero.client import XeroLedger  # xero-python is large: loaded when used

        return XeroLedger(
            tenant_id,
            endpoints.api_url,
            access_token,
            on_unauthorized=on_unauthorized,
            limiter=limiter,
            client_id=endpoints.client_id,
            client_secret=endpoints.client_secret,
        )
