"""What a consent reached, and undoing it: Xero's /connections through xero-python's IdentityApi.

One Xero consent may connect several organisations; the access token's
``authentication_event_id`` claim names the consent, and ``GET /connections?authEventId=…``
lists just the tenants it connected (xero-details.md §1.1).
"""

from __future__ import annotations

from xero_python.identity import IdentityApi

from integration.connections.oauth import unverified_claims
from integration.providers import ProviderEndpoints, Tenant
from integration.xero.calls import NotFound, XeroCalls


def _identity_api(endpoints: ProviderEndpoints, access_token: str) -> tuple[XeroCalls, IdentityApi]:
    # The same call policy as the accounting client: errors as Relance's types, no SDK refresh.
    calls = XeroCalls(lambda: access_token, None, None, endpoints.client_id, endpoints.client_secret)
    return calls, IdentityApi(calls.api_client, base_url=endpoints.api_url)


def xero_tenants(endpoints: ProviderEndpoints, access_token: str) -> list[Tenant]:
    """The organisations this consent connected (all the token reaches if the claim is absent)."""
    event_id = unverified_claims(access_token).get("authentication_event_id")
    calls, api = _identity_api(endpoints, access_token)
    arguments = {"auth_event_id": event_id} if event_id else {}
    connections = calls.run(api.get_connections, **arguments)
    return [
        Tenant(str(connection.tenant_id), connection.tenant_name or "", str(connection.id))
        for connection in connections
        if (connection.tenant_type or "ORGANISATION") == "ORGANISATION"
    ]


def xero_disconnect(endpoints: ProviderEndpoints, access_token: str, xero_connection_id: str) -> None:
    """Disconnect one tenant (DELETE /connections/{id}); a tenant already gone is not an error."""
    calls, api = _identity_api(endpoints, access_token)
    try:
        calls.run(api.delete_connection, id=xero_connection_id)
    except NotFound:
        return
