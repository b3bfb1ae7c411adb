"""Building blocks for the Xero sandbox tests: fast settings and xero-python clients wired like Relance's."""

from __future__ import annotations

from xero_python.api_client import ApiClient, Configuration
from xero_python.api_client.oauth2 import OAuth2Token

from integration.sandbox.common.webhook_dispatch import DispatchSettings
from integration.sandbox.xero.limits import XeroLimits
from integration.sandbox.xero.sandbox import XeroSandbox, XeroSandboxSettings

FAST_DISPATCH = DispatchSettings(
    batch_window=0.05, retry_delays=(0.05, 0.1, 0.2), timeout=2.0, reorder_hold=0.5
)


def fast_settings(**overrides) -> XeroSandboxSettings:
    """Xero's real lifetimes, webhook timing in milliseconds, answers recorded for the contract check."""
    values = {"dispatch": FAST_DISPATCH, "record_responses": True, "limits": XeroLimits()}
    values.update(overrides)
    return XeroSandboxSettings(**values)


def sdk_client(sandbox: XeroSandbox, token: dict, saved: list | None = None) -> ApiClient:
    """An ApiClient with a token getter and saver, as Relance wires it."""
    current = {"token": dict(token)}
    configuration = Configuration()
    # xero-python's Configuration is a process-wide default: the constructor returns a copy of the
    # first instance ever built and ignores its arguments (TypeWithDefault in configuration.py), so
    # the token holder must be assigned after construction or every client keeps the first app.
    configuration.oauth2_token = OAuth2Token(
        client_id=sandbox.app.client_id, client_secret=sandbox.app.client_secret
    )
    client = ApiClient(configuration, pool_threads=1)

    @client.oauth2_token_getter
    def get_token() -> dict:
        return current["token"]

    @client.oauth2_token_saver
    def save_token(new_token: dict) -> None:
        current["token"] = new_token
        if saved is not None:
            saved.append(new_token)

    client.set_oauth2_token(token)
    return client
