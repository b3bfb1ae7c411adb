"""How a test (or Relance) points python-quickbooks and intuit-oauth at a QuickBooks sandbox.

python-quickbooks is pointed at the sandbox without patching it: `AuthClient` takes the
sandbox's discovery URL as its `environment` (intuitlib uses any value other than
sandbox/production as the discovery URL), and the `QuickBooks` instance gets `api_url_v3` set
to the sandbox — a public class attribute that an instance attribute overrides (`sandbox`
stays False because the environment is not the string "sandbox"). Plain http needs
OAUTHLIB_INSECURE_TRANSPORT=1 for the OAuth2Session python-quickbooks uses.
"""

from __future__ import annotations

from intuitlib.client import AuthClient
from quickbooks import QuickBooks

from integration.sandbox.common.webhook_dispatch import DispatchSettings
from integration.sandbox.quickbooks import Connection, QuickBooksSandbox

FAST_WEBHOOKS = DispatchSettings(
    batch_window=0.05, retry_delays=(0.05, 0.1, 0.2), timeout=2.0, reorder_hold=0.3
)
REDIRECT_URI = "http://localhost/callback"


def quickbooks_client(sandbox: QuickBooksSandbox, connection: Connection) -> QuickBooks:
    """A python-quickbooks client for a connection, pointed at the sandbox by URL alone."""
    auth_client = AuthClient(
        connection.client_id,
        connection.client_secret,
        REDIRECT_URI,
        sandbox.discovery_url,
        access_token=connection.access_token,
        refresh_token=connection.refresh_token,
        realm_id=connection.realm_id,
    )
    client = QuickBooks(
        auth_client=auth_client,
        refresh_token=connection.refresh_token,
        company_id=connection.realm_id,
        minorversion=75,
    )
    client.api_url_v3 = sandbox.api_url_v3
    return client
