"""A local QuickBooks Online: Accounting API v3, Intuit OAuth 2.0 / OpenID, webhooks, simulation.

    with QuickBooksSandbox(seed="demo") as sandbox:
        connection = sandbox.connect()            # tokens for the first realm, no browser
        qb.api_url_v3 = sandbox.api_url_v3        # python-quickbooks; see README.md here

Wire formats are Intuit's; timing, logs, limits and faults come from integration/sandbox/common.
"""

from .sandbox import Connection, QuickBooksSandbox
from .throttle import ThrottlePolicy
from .tokens import TokenPolicy

__all__ = ["Connection", "QuickBooksSandbox", "ThrottlePolicy", "TokenPolicy"]
