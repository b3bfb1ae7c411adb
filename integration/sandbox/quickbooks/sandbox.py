"""QuickBooksSandbox: a local QuickBooks Online that python-quickbooks and intuit-oauth cannot tell apart.

One object holds everything of one sandbox — companies (realms), the OAuth authority, the
throttle, armed faults, the webhook outbox, the request log and the movable clock — and
serves it over HTTP on a loopback port. Intuit's hosts become path prefixes of one server
(`hosts` maps each real origin to its sandbox URL), so Relance only swaps base URLs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from integration.sandbox.common.clock import SandboxClock
from integration.sandbox.common.datagen import DataGenerator
from integration.sandbox.common.faults import FaultInjector
from integration.sandbox.common.rate_limit import RateLimiter
from integration.sandbox.common.request_log import RequestLog
from integration.sandbox.common.server import SandboxServer
from integration.sandbox.common.webhook_dispatch import DispatchSettings

from .company import Company, StoredEntity
from .simulation import Simulation
from .state_file import StateFile
from .strictness import Strictness
from .throttle import RealmThrottle, ThrottlePolicy
from .tokens import ACCOUNTING_SCOPE, TokenAuthority, TokenPolicy
from .webhooks import PayloadFormat, Subscription, WebhookOutbox

DEFAULT_CLIENT_ID = "ABsandboxRelanceClientId0123456789abcdefghijklmn"
DEFAULT_CLIENT_SECRET = "sandbox-client-secret-0123456789abcdefghij"  # noqa: S105 - a sandbox key, not a secret
DEFAULT_REDIRECT_URIS = (
    "http://localhost/callback",
    "http://localhost:5000/connect/quickbooks/callback",
    "http://127.0.0.1:5000/connect/quickbooks/callback",
)

# Intuit origin -> path prefix on the sandbox server (details §1.1 discovery document).
HOST_PREFIXES = {
    "https://appcenter.intuit.com": "/appcenter",
    "https://oauth.platform.intuit.com": "/oauth-platform",
    "https://developer.api.intuit.com": "/developer-api",
    "https://accounts.platform.intuit.com": "/accounts",
    "https://sandbox-accounts.platform.intuit.com": "/accounts",
    "https://developer.intuit.com": "/developer",
    "https://quickbooks.api.intuit.com": "",
    "https://sandbox-quickbooks.api.intuit.com": "",
    "https://connect.intuit.com": "/connect",
}


@dataclass(frozen=True)
class Connection:
    """What Relance stores after connecting a company: keys, realm and the two tokens."""

    client_id: str
    client_secret: str
    realm_id: str
    access_token: str
    refresh_token: str


class QuickBooksSandbox:
    """A seeded QuickBooks Online on a free loopback port; use as a context manager.

    With a `state_file`, the sandbox starts from what it saved there (and saves on stop) instead
    of seeding, so a restart keeps the books, the grants and the tokens Relance holds.
    """

    def __init__(
        self,
        seed: str | int = "demo",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: SandboxClock | None = None,
        token_policy: TokenPolicy | None = None,
        throttle: ThrottlePolicy | None = None,
        dispatch: DispatchSettings | None = None,
        demo_customers: int | None = None,
        demo_invoices: int | None = None,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        redirect_uris: tuple[str, ...] = DEFAULT_REDIRECT_URIS,
        state_file: str | Path | None = None,
        strictness: Strictness | None = None,
    ) -> None:
        from .demo import populate
        from .http_app import create_app

        self.seed = seed
        self.strictness = strictness or Strictness()
        self.clock = clock or SandboxClock()
        self.request_log = RequestLog()
        self.faults = FaultInjector()
        self.tokens = TokenAuthority(self.clock, token_policy)
        self.app = self.tokens.register_app(client_id, client_secret, list(redirect_uris))
        # One person signs in to this QuickBooks, whichever company they pick: Intuit's `sub` is
        # the user's, not the realm's. Derived from the seed so that it is the same every start.
        self.tokens.default_user_id = DataGenerator(f"quickbooks:user:{seed}").uuid()
        self.throttle = RealmThrottle(RateLimiter(self.clock.timestamp), throttle)
        self.webhooks = WebhookOutbox(self.faults, dispatch, connected=self.tokens.connected)
        self.companies: dict[str, Company] = {}
        self.replays: dict[tuple[str, str], tuple[int, Any]] = {}
        self._lock = threading.Lock()
        self.simulation = Simulation(self)
        self.state_file = StateFile(state_file) if state_file else None
        if self.state_file is not None and self.state_file.exists():
            self.state_file.load_into(self)
            # Redirect URIs asked for now (another web port) join those saved.
            self.app.redirect_uris.extend(u for u in redirect_uris if u not in self.app.redirect_uris)
        else:
            populate(self, seed, customers=demo_customers, invoices=demo_invoices)
        self.wsgi = create_app(self)
        self.server = SandboxServer(self.wsgi, host, port)

    # -- serving -----------------------------------------------------------------------------

    def start(self) -> QuickBooksSandbox:
        """Bind the port and serve from a background thread."""
        self.server.start()
        return self

    def stop(self) -> None:
        """Stop serving and stop webhook deliveries; with a state file, save the state."""
        self.server.stop()
        self.webhooks.stop()
        self.save()

    def save(self) -> None:
        """Write the state file now (no-op without one)."""
        if self.state_file is not None:
            self.state_file.save(self)

    def __enter__(self) -> QuickBooksSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:port`; the Accounting API lives at `{base_url}/v3/company/{realm}/`."""
        return self.server.base_url

    @property
    def hosts(self) -> dict[str, str]:
        """Each Intuit origin and the sandbox URL that replaces it."""
        return {origin: self.base_url + prefix for origin, prefix in HOST_PREFIXES.items()}

    @property
    def api_url_v3(self) -> str:
        """What python-quickbooks calls `api_url_v3` / `sandbox_api_url_v3`."""
        return f"{self.base_url}/v3"

    @property
    def discovery_url(self) -> str:
        """The OpenID discovery document; intuit-oauth takes it as its `environment` argument."""
        return f"{self.base_url}/developer/.well-known/openid_sandbox_configuration/"

    # -- companies and connections -------------------------------------------------------------

    def add_company(self, name: str, realm_id: str | None = None) -> Company:
        """A new, empty QuickBooks company (realm) with Intuit's default terms."""
        with self._lock:
            realm_id = realm_id or str(9341450000000000 + 1000 * (len(self.companies) + 1) + 17)
            company = Company(realm_id, name, self.clock, strictness=self.strictness)
            company.listeners.append(self.webhooks.notice)
            company.listeners.append(self.simulation.notice)
            self.companies[realm_id] = company
        return company

    def reseed(self, seed: str | int, customers: int | None = None, invoices: int | None = None) -> None:
        """Throw every company away and build the companies of another seed (connections stay)."""
        from .demo import populate

        with self._lock:
            self.companies.clear()
            self.replays.clear()
            self.seed = seed
            self.simulation.forget()
        populate(self, seed, customers=customers, invoices=invoices)

    def company(self, realm_id: str) -> Company:
        """The company of a realm (KeyError if unknown)."""
        return self.companies[str(realm_id)]

    @property
    def user_id(self) -> str:
        """The sandbox user's OpenID subject (`sub`): who signs in, whichever company is chosen."""
        return self.tokens.default_user_id

    @property
    def realm_ids(self) -> list[str]:
        """Every realm, the demo company first."""
        return list(self.companies)

    def connect(
        self, realm_id: str | None = None, scopes: tuple[str, ...] = (ACCOUNTING_SCOPE,)
    ) -> Connection:
        """Consent without the browser: tokens for the default app on one realm (tests, demo)."""
        realm_id = str(realm_id or self.realm_ids[0])
        self.company(realm_id)
        grant = self.tokens.new_grant(self.app.client_id, realm_id, scopes)
        access = self.tokens.access_for_grant(grant)
        return Connection(self.app.client_id, self.app.client_secret, realm_id, access, grant.refresh_token)

    def revoke_connection(self, realm_id: str) -> int:
        """The user disconnected the app in QuickBooks: tokens die, refresh gets invalid_grant."""
        return self.tokens.revoke_realm(str(realm_id))

    def subscribe_webhooks(
        self,
        url: str,
        verifier_token: str,
        payload_format: str = "classic",
        entities: frozenset[str] | None = None,
    ) -> Subscription:
        """Configure the app's webhook endpoint (Intuit's webhooks page)."""
        subscription = Subscription(
            url, verifier_token, PayloadFormat(payload_format), client_id=self.app.client_id
        )
        if entities is not None:
            subscription = Subscription(
                url, verifier_token, PayloadFormat(payload_format), frozenset(entities), self.app.client_id
            )
        return self.webhooks.subscribe(subscription)

    # -- simulation shortcuts (the same as the admin API) ---------------------------------------

    def advance_clock(self, days: float = 0, seconds: float = 0, simulate: bool = True) -> datetime:
        """Move the sandbox clock; by default customers act on the days that pass."""
        step = timedelta(days=days, seconds=seconds)
        if simulate:
            return self.simulation.advance(step)
        return self.clock.advance(step)

    def create_invoice(
        self,
        realm_id: str,
        customer_id: str,
        amount: Decimal | str,
        txn_date: str | None = None,
        due_date: str | None = None,
        **fields: Any,
    ) -> StoredEntity:
        """An invoice with one service line, as if typed into QuickBooks."""
        body: dict[str, Any] = {
            "CustomerRef": {"value": str(customer_id)},
            "Line": [
                {
                    "DetailType": "SalesItemLineDetail",
                    "Amount": Decimal(str(amount)),
                    "Description": "Services",
                    "SalesItemLineDetail": {"ItemRef": {"value": "1", "name": "Services"}},
                }
            ],
            **fields,
        }
        if txn_date:
            body["TxnDate"] = txn_date
        if due_date:
            body["DueDate"] = due_date
        return self.company(realm_id).create("Invoice", body)

    def record_payment(
        self, realm_id: str, invoice_id: str, amount: Decimal | str | None = None, txn_date: str | None = None
    ) -> StoredEntity:
        """A customer payment applied to one invoice (its whole balance by default)."""
        company = self.company(realm_id)
        invoice = company.get("Invoice", str(invoice_id))
        paid = Decimal(str(amount)) if amount is not None else invoice.body["Balance"]
        body: dict[str, Any] = {
            "CustomerRef": dict(invoice.body["CustomerRef"]),
            "TotalAmt": paid,
            "Line": [{"Amount": paid, "LinkedTxn": [{"TxnId": invoice.id, "TxnType": "Invoice"}]}],
        }
        if txn_date:
            body["TxnDate"] = txn_date
        return company.create("Payment", body)

    def remember_replay(
        self, realm_id: str, request_id: str, answer: tuple[int, Any] | None = None
    ) -> tuple[int, Any] | None:
        """`requestid` idempotency (BREQ): the same id gets the original answer back."""
        with self._lock:
            if answer is not None:
                self.replays[(realm_id, request_id)] = answer
            return self.replays.get((realm_id, request_id))
