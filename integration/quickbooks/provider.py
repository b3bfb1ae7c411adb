"""QuickBooks Online as a provider: Intuit's identity and API hosts, a consent that reaches the one
company (realm) named on the callback, webhooks signed in ``intuit-signature``, and the app's
Launch and Disconnect URLs."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from integration.events import IncomingEvent
from integration.ledger import Ledger, LedgerError
from integration.providers import (
    EntryPoint,
    Provider,
    ProviderEndpoints,
    Tenant,
    credentials_required,
    hosts,
)
from integration.quickbooks import webhooks
from integration.rate_limit import TenantRateLimiter
from runtime.settings import Settings

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
# The callback and the app's Launch and Disconnect URLs name the company as ``realmId``
# (quickbooks-details.md §1.2 and §9; on the latter two Intuit's parameters are unconfirmed).
REALM = "realmId"


class QuickBooksProvider:
    name = Provider.QUICKBOOKS
    display_name = "QuickBooks"
    identity_name = "Intuit"
    # quickbooks-details.md §8.3: HMAC-SHA256 of the raw body with the app's verifier token, base64.
    webhook_signature_header = "intuit-signature"
    # The app's Launch URL and Disconnect URL, as registered in Intuit's developer portal.
    entry_points: tuple[EntryPoint, ...] = (
        EntryPoint("launch", "/marketplace/quickbooks/launch"),
        EntryPoint("disconnected", "/marketplace/quickbooks/disconnect"),
    )

    def is_configured(self, settings: Settings) -> bool:
        return bool(settings.quickbooks_client_id)

    def endpoints(self, settings: Settings) -> ProviderEndpoints:
        secret = settings.quickbooks_client_secret
        found = hosts(QUICKBOOKS_HOSTS, QUICKBOOKS_SANDBOX_PREFIXES, settings.quickbooks_base_url)
        return credentials_required(
            self,
            ProviderEndpoints(
                provider=self.name,
                display_name=self.display_name,
                client_id=settings.quickbooks_client_id or "",
                client_secret=secret.get_secret_value() if secret else "",
                authorize_url=f"{found['appcenter']}/connect/oauth2",
                token_url=f"{found['oauth']}/oauth2/v1/tokens/bearer",
                revocation_url=f"{found['developer']}/v2/oauth2/tokens/revoke",
                jwks_url=f"{found['oauth']}/op/v1/jwks",
                issuer=QUICKBOOKS_ISSUER,
                userinfo_url=f"{found['accounts']}/v1/openid_connect/userinfo",
                api_url=found["api"],
                connect_scopes=tuple(settings.quickbooks_scopes.split()),
                revocation_as_json=True,
            ),
        )

    def consented_tenants(
        self, endpoints: ProviderEndpoints, access_token: str, callback: Mapping[str, str]
    ) -> list[Tenant]:
        # A consent reaches the one realm named on the callback, so it needs no call. The
        # company's name arrives with the first sync; until then, its realm id names it.
        realm = self.tenant_in_request(callback)
        if not realm:
            raise LedgerError("QuickBooks did not say which company was connected")
        return [Tenant(realm, f"QuickBooks company {realm}", name_is_provisional=True)]

    def undo_consent(
        self, endpoints: ProviderEndpoints, access_token: str, provider_connection_id: str | None
    ) -> None:
        return  # one realm per grant: revoking the refresh token undoes it all

    def still_reaches(self, endpoints: ProviderEndpoints, access_token: str, tenant_id: str) -> bool:
        return True  # a grant reaches its one realm for as long as its token refreshes

    def tenant_in_request(self, arguments: Mapping[str, str]) -> str:
        return arguments.get(REALM, "")

    def webhook_key(self, settings: Settings) -> str:
        key = settings.quickbooks_webhook_verifier
        return key.get_secret_value() if key else ""

    def read_webhook(self, body: bytes) -> list[IncomingEvent]:
        return webhooks.read_events(body)

    def is_intent_probe(self, body: bytes) -> bool:
        return False  # Intuit sends no probe: every delivery is signed

    def ledger(
        self,
        tenant_id: str,
        endpoints: ProviderEndpoints,
        access_token: Callable[[], str],
        on_unauthorized: Callable[[], str],
        limiter: TenantRateLimiter,
    ) -> Ledger:
        from integration.quickbooks.client import QuickBooksLedger  # loaded when used

        return QuickBooksLedger(
            tenant_id,
            endpoints.api_url,
            access_token,
            on_unauthorized=on_unauthorized,
            limiter=limiter,
            client_id=endpoints.client_id,
            client_secret=endpoints.client_secret,
        )
