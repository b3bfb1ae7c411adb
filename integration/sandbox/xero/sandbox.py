"""XeroSandbox: one local Xero (identity, Accounting API, webhooks) on a loopback port.

It composes the shared scaffolding (server, clock, limits, faults, dispatcher, OAuth) with the
Xero wire in this package. Tests start one per test or module; `relance sandbox xero` runs one
in the foreground. Everything a test needs is reachable from Python as well as over HTTP.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import Response, request

from ..common.clock import SandboxClock
from ..common.datagen import DataGenerator
from ..common.faults import FaultInjector
from ..common.oauth import AccessTokenRejected, Grant, TokenAuthority
from ..common.request_log import RequestLog
from ..common.server import SandboxServer
from ..common.signing_keys import SigningKey
from ..common.webhook_dispatch import DeliveryAttempt, WebhookDispatcher
from .app import create_app
from .books import ChangeEvent, OrganisationBooks
from .demo_company import DemoScale, seed_books
from .directory import Directory, WebhookSubscription, XeroApp
from .errors import Unauthorized
from .limits import XeroLimits, XeroRateLimits
from .models import Contact, Credit, Invoice, Organisation, Payment
from .settings import RecordedResponse, XeroSandboxSettings, XeroUrls
from .simulation import customers_pay, raise_credit, raise_invoice
from .state_file import StateFile
from .webhooks import TenantEvent, XeroWebhookEncoder, intent_to_receive
from .wire import dumps

DEFAULT_SCOPES = (
    "openid",
    "profile",
    "email",
    "offline_access",
    "accounting.transactions",
    "accounting.contacts",
    "accounting.settings",
    "accounting.reports.read",
)
DEFAULT_REDIRECT_URI = "http://127.0.0.1:5000/connect/xero/callback"


class XeroSandbox:
    """A local Xero; `seed` is "empty", "demo" or an int (demo-like data from that seed)."""

    def __init__(
        self,
        seed: str | int = "empty",
        settings: XeroSandboxSettings | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        scale: DemoScale | None = None,
        state_file: str | Path | None = None,
    ) -> None:
        self.settings = settings or XeroSandboxSettings()
        self.seed = seed
        self.clock = SandboxClock(self.settings.start, frozen=self.settings.frozen_clock)
        self.directory = Directory()
        self.signing_key = SigningKey.shared()
        self.tokens = TokenAuthority(
            self.clock.now,
            self.settings.lifetimes,
            self._mint_access_token,
            issue_refresh=lambda grant: "offline_access" in grant.scopes,
        )
        self.limits = XeroRateLimits(self.settings.limits, self.clock.timestamp)
        self.faults = FaultInjector()
        self.request_log = RequestLog()
        self.responses: list[RecordedResponse] = []
        self._responses_lock = threading.Lock()
        self._dispatchers: dict[str, WebhookDispatcher] = {}
        self._intent_log: list[DeliveryAttempt] = []
        self.organisations: dict[str, OrganisationBooks] = {}
        self.user = self.directory.add_user(self.settings.user_email, self.settings.user_password)
        self.app = self.directory.register_app([DEFAULT_REDIRECT_URI], name="Relance")
        self.state_file = StateFile(state_file) if state_file else None
        if self.state_file is not None and self.state_file.exists():
            self.state_file.load_into(self)
        else:
            generator = DataGenerator("demo" if seed == "demo" else str(seed)).child("organisations")
            primary = self.add_organisation(self.settings.organisation_name, tenant_id=generator.uuid())
            seed_books(primary, seed, scale)
            for name in self.settings.extra_organisations:
                self.add_organisation(name, tenant_id=generator.uuid())
        self.wsgi_app = create_app(self)
        self.server = SandboxServer(self.wsgi_app, host, port)

    # Lifecycle --------------------------------------------------------------------------------

    def start(self) -> XeroSandbox:
        """Serve on a free loopback port (or the one given) from a background thread."""
        self.server.start()
        for app in self.directory.apps.values():
            if app.webhook is not None and app.webhook.enabled:
                self._dispatcher(app).start()
        return self

    def stop(self) -> None:
        """Stop the server and the webhook threads; with a state file, save the state."""
        for dispatcher in self._dispatchers.values():
            dispatcher.stop()
        self.server.stop()
        self.save()

    def save(self) -> None:
        """Write the state file now (no-op without one)."""
        if self.state_file is not None:
            self.state_file.save(self)

    def __enter__(self) -> XeroSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def urls(self) -> XeroUrls:
        return XeroUrls(self.base_url)

    # Organisations ----------------------------------------------------------------------------

    @property
    def tenant_id(self) -> str:
        """The primary organisation's tenant id."""
        return next(iter(self.organisations))

    @property
    def books(self) -> OrganisationBooks:
        """The primary organisation's books."""
        return self.organisations[self.tenant_id]

    def add_organisation(self, name: str, tenant_id: str | None = None) -> OrganisationBooks:
        """Another tenant the sandbox user can connect."""
        tenant_id = (tenant_id or str(uuid.uuid4())).lower()
        organisation = Organisation(
            tenant_id, name, created_at=self.clock.now(), short_code="!" + tenant_id[:5]
        )
        books = OrganisationBooks(organisation, self.clock, lambda event: self._changed(tenant_id, event))
        self.organisations[tenant_id] = books
        return books

    # Identity ---------------------------------------------------------------------------------

    def register_app(self, redirect_uris: list[str] | None = None, name: str = "Relance") -> XeroApp:
        """A developer app with its own credentials (the default one is `self.app`)."""
        return self.directory.register_app(redirect_uris or [DEFAULT_REDIRECT_URI], name=name)

    def _mint_access_token(self, grant: Grant, expires: datetime) -> str:
        now = int(self.clock.timestamp())
        return self.signing_key.sign_jwt(
            {
                "nbf": now,
                "exp": int(expires.timestamp()),
                "iss": self.base_url_or_default() + "/identity",
                "aud": self.base_url_or_default() + "/identity/resources",
                "client_id": grant.client_id,
                "sub": grant.user_id,
                "auth_time": int(grant.created_at.timestamp()),
                "xero_userid": grant.user_id,
                "global_session_id": grant.grant_id,
                "jti": uuid.uuid4().hex,
                "authentication_event_id": grant.attributes.get("auth_event_id", ""),
                "scope": list(grant.scopes),
            }
        )

    def base_url_or_default(self) -> str:
        return self.server.base_url if self.server.running else "http://127.0.0.1"

    def connect(
        self,
        app: XeroApp | None = None,
        tenants: list[str] | None = None,
        scopes: tuple[str, ...] = DEFAULT_SCOPES,
    ) -> dict[str, Any]:
        """Consent without the browser dance; returns a token dict xero-python accepts as-is."""
        app = app or self.app
        tenants = tenants or [self.tenant_id]
        auth_event_id = str(uuid.uuid4())
        for tenant_id in tenants:
            self.directory.connect(
                app.client_id, self.user.user_id, tenant_id, auth_event_id, self.clock.now()
            )
        grant = self.tokens.new_grant(
            app.client_id, self.user.user_id, scopes, {"auth_event_id": auth_event_id, "tenants": tenants}
        )
        code = self.tokens.issue_code(grant, app.redirect_uris[0])
        issued = self.tokens.redeem_code(code, app.client_id, None, None)
        return {
            "access_token": issued.access_token,
            "refresh_token": issued.refresh_token,
            "expires_in": issued.expires_in,
            # The client's clock, as xero-python computes it (time.time() in OAuth2Token.fetch_access_token).
            "expires_at": time.time() + issued.expires_in,
            "token_type": "Bearer",
            "scope": list(scopes),
        }

    def bearer_grant(self) -> Grant:
        """The grant of the request's bearer token, or Unauthorized with Xero's detail."""
        header = request.headers.get("Authorization", "")
        if not header.lower().startswith("bearer "):
            raise Unauthorized("AuthenticationUnsuccessful")
        try:
            return self.tokens.check_access(header[7:].strip())
        except AccessTokenRejected as rejected:
            if rejected.expired_at is not None:
                raise Unauthorized.token_expired(rejected.expired_at) from None
            raise Unauthorized("AuthenticationUnsuccessful") from None

    def revoke_connection(self, tenant_id: str | None = None, app: XeroApp | None = None) -> int:
        """Fault: the customer disconnects the app in Xero; its tokens get 403 for the tenant."""
        app = app or self.app
        tenant_id = tenant_id or self.tenant_id
        count = 0
        for connection in list(self.directory.connections.values()):
            if (
                connection.client_id == app.client_id
                and connection.tenant_id == tenant_id
                and connection.active
            ):
                self.directory.disconnect(connection.connection_id)
                count += 1
        return count

    # HTTP helpers -----------------------------------------------------------------------------

    def json_response(self, document: Any, status: int = 200) -> Response:
        """A JSON answer with exact decimals."""
        return Response(dumps(document), status=status, mimetype="application/json")

    def record_response(self, response: RecordedResponse) -> None:
        """Keep an answer for schema checks (when settings.record_responses)."""
        with self._responses_lock:
            self.responses.append(response)

    # Webhooks ---------------------------------------------------------------------------------

    def subscribe_webhooks(
        self, url: str, signing_key: str | None = None, app: XeroApp | None = None
    ) -> bool:
        """Save a subscription and run the intent-to-receive check; True if it is now enabled."""
        app = app or self.app
        subscription = WebhookSubscription(url, signing_key or _signing_key())
        app.webhook = subscription
        passed, attempts = intent_to_receive(
            url,
            subscription.signing_key,
            self.clock.now,
            self.settings.intent_probes,
            self.settings.dispatch.timeout,
        )
        self._intent_log.extend(attempts)
        subscription.enabled = passed
        subscription.disabled_reason = None if passed else "intent to receive failed"
        if passed:
            self._dispatcher(app).start()
        return passed

    def _dispatcher(self, app: XeroApp) -> WebhookDispatcher:
        dispatcher = self._dispatchers.get(app.client_id)
        if dispatcher is None:
            encoder = XeroWebhookEncoder(
                lambda: app.webhook.signing_key if app.webhook else "", self.base_url_or_default
            )
            dispatcher = WebhookDispatcher(
                encoder.encode,
                lambda: app.webhook.url if app.webhook and app.webhook.enabled else None,
                self.settings.dispatch,
                self.faults,
                accepts=lambda status: status == 200,
                on_give_up=lambda events: self._disable_webhook(app),
                clock=self.clock,
            )
            self._dispatchers[app.client_id] = dispatcher
        return dispatcher

    def _disable_webhook(self, app: XeroApp) -> None:
        """After the retries run out Xero disables the webhook until it is saved again."""
        if app.webhook is not None:
            app.webhook.enabled = False
            app.webhook.disabled_reason = "deliveries kept failing"

    def _changed(self, tenant_id: str, change: ChangeEvent) -> None:
        """Queue a change for every app subscribed and connected to the tenant (never blocks)."""
        for app in list(self.directory.apps.values()):
            if app.webhook is None or not app.webhook.enabled:
                continue
            if tenant_id in self.directory.tenants_connected_to(app.client_id):
                self._dispatcher(app).enqueue(TenantEvent(tenant_id, change))

    def webhook_log(self, app: XeroApp | None = None) -> list[DeliveryAttempt]:
        """Intent probes and deliveries for an app, oldest first."""
        app = app or self.app
        dispatcher = self._dispatchers.get(app.client_id)
        deliveries = dispatcher.log() if dispatcher else []
        probes = [a for a in self._intent_log if app.webhook and a.url == app.webhook.url]
        return probes + deliveries

    def wait_for_webhooks(self, timeout: float = 5.0) -> bool:
        """Block until every queued webhook is delivered, dropped or given up."""
        return all(d.wait_idle(timeout) for d in self._dispatchers.values())

    # Simulation (also under /_sandbox/) -------------------------------------------------------

    def _books(self, tenant_id: str | None) -> OrganisationBooks:
        return self.organisations[(tenant_id or self.tenant_id).lower()]

    def advance_clock(self, delta: timedelta, simulate: bool = True) -> list[Payment]:
        """Move sandbox time; with `simulate`, customers then act on their invoices."""
        self.clock.advance(delta)
        return self.simulate_customers() if simulate else []

    def simulate_customers(self) -> list[Payment]:
        """Every persona-driven customer pays what they would have paid by now."""
        paid: list[Payment] = []
        for books in self.organisations.values():
            paid.extend(customers_pay(books, self.seed))
        return paid

    def create_contact(
        self, name: str, persona: str | None = None, tenant_id: str | None = None, email: str = ""
    ) -> Contact:
        """A customer (optionally with a payment persona)."""
        books = self._books(tenant_id)
        contact = Contact(str(uuid.uuid4()), name, books.now(), email=email, persona=persona)
        return books.save_contact(contact, created=True)

    def create_invoice(
        self,
        contact_id: str,
        amount: Decimal,
        due_in_days: int = 30,
        currency: str | None = None,
        tenant_id: str | None = None,
        issued: date | None = None,
    ) -> Invoice:
        """An authorised sales invoice, as if the business raised it in Xero."""
        return raise_invoice(
            self._books(tenant_id), contact_id.lower(), amount, due_in_days, currency, issued
        )

    def pay_invoice(
        self,
        invoice_id: str,
        amount: Decimal | None = None,
        tenant_id: str | None = None,
        paid_on: date | None = None,
    ) -> Payment:
        """A customer pays (all that is due by default)."""
        books = self._books(tenant_id)
        invoice = books.find_invoice(invoice_id)
        if invoice is None:
            raise KeyError(f"no invoice {invoice_id}")
        return books.pay_invoice(
            invoice, amount if amount is not None else invoice.amount_due, paid_on or self.clock.today()
        )

    def record_reminder(self, invoice_id: str, tenant_id: str | None = None) -> None:
        """Tell the simulated customer a reminder arrived (a History note does the same)."""
        invoice = self._books(tenant_id).find_invoice(invoice_id)
        if invoice is None:
            raise KeyError(f"no invoice {invoice_id}")
        invoice.first_reminded_on = invoice.first_reminded_on or self.clock.today()

    def create_credit(
        self, kind: str, contact_id: str, amount: Decimal, tenant_id: str | None = None
    ) -> Credit:
        """An authorised Overpayment, Prepayment or CreditNote for a contact."""
        return raise_credit(self._books(tenant_id), kind, contact_id.lower(), amount)

    def expire_access_tokens(self) -> int:
        """Every live access token expires now (the next call gets Xero's 401)."""
        return self.tokens.expire_access_tokens()

    def set_limits(self, limits: XeroLimits) -> None:
        """Change the call limits of a running sandbox."""
        self.limits.configure(limits)


def _signing_key() -> str:
    import secrets

    return secrets.token_urlsafe(48)
