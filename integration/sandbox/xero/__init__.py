"""A local Xero: identity (OAuth 2.0 + OpenID), the Accounting API, webhooks, and an admin API.

    from integration.sandbox.xero import XeroSandbox
    with XeroSandbox(seed="demo") as xero:            # real HTTP on a free loopback port
        token = xero.connect()                          # or drive xero.urls.authorize with a browser/requests
        api = AccountingApi(client, base_url=xero.urls.accounting_api)

`relance sandbox xero --port 8081 --seed demo` runs the same thing in the foreground (cli.xero).
"""

from .demo_company import DemoScale
from .limits import XeroLimits
from .sandbox import DEFAULT_REDIRECT_URI, DEFAULT_SCOPES, XeroSandbox
from .settings import XeroSandboxSettings, XeroUrls

__all__ = [
    "DEFAULT_REDIRECT_URI",
    "DEFAULT_SCOPES",
    "DemoScale",
    "XeroLimits",
    "XeroSandbox",
    "XeroSandboxSettings",
    "XeroUrls",
]
