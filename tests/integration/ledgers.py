"""Running ledger sandboxes for Relance's own tests, and settings that point Relance at them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from integration.connections import Provider, Tenant, record_consent
from integration.connections.oauth import TokenSet
from integration.sandbox.common.webhook_dispatch import DispatchSettings
from integration.sandbox.quickbooks import QuickBooksSandbox
from integration.sandbox.xero.sandbox import XeroSandbox
from integration.sandbox.xero.settings import XeroSandboxSettings
from runtime import clock
from runtime.settings import Settings, reload_settings

FAST_WEBHOOKS = DispatchSettings(
    batch_window=0.05, retry_delays=(0.05, 0.1, 0.2), timeout=2.0, reorder_hold=0.3
)


@contextmanager
def running_xero(**settings) -> Iterator[XeroSandbox]:  # type: ignore[no-untyped-def]
    sandbox = XeroSandbox(
        seed="empty", settings=XeroSandboxSettings(dispatch=FAST_WEBHOOKS, **settings)
    ).start()
    try:
        yield sandbox
    finally:
        sandbox.stop()


@contextmanager
def demo_xero(monkeypatch: pytest.MonkeyPatch, **settings) -> Iterator[XeroSandbox]:  # type: ignore[no-untyped-def]
    """The Xero sandbox's small seeded demo company, Relance pointed at it."""
    from integration.sandbox.xero.demo_company import DemoScale

    sandbox = XeroSandbox(
        seed="demo", settings=XeroSandboxSettings(dispatch=FAST_WEBHOOKS, **settings), scale=DemoScale.small()
    ).start()
    point_at_xero(monkeypatch, sandbox)
    try:
        yield sandbox
    finally:
        sandbox.stop()


@contextmanager
def demo_quickbooks(monkeypatch: pytest.MonkeyPatch) -> Iterator[QuickBooksSandbox]:
    """The QuickBooks sandbox's seeded demo company (25 customers, 200 invoices), Relance pointed at it."""
    with QuickBooksSandbox(
        seed="demo", dispatch=FAST_WEBHOOKS, demo_customers=25, demo_invoices=200
    ) as sandbox:
        point_at_quickbooks(monkeypatch, sandbox)
        yield sandbox


def point_at_xero(monkeypatch: pytest.MonkeyPatch, sandbox: XeroSandbox) -> Settings:
    """Relance's settings with the Xero sandbox's base URL and app credentials."""
    monkeypatch.setenv("XERO_BASE_URL", sandbox.base_url)
    monkeypatch.setenv("XERO_CLIENT_ID", sandbox.app.client_id)
    monkeypatch.setenv("XERO_CLIENT_SECRET", sandbox.app.client_secret)
    monkeypatch.setenv("XERO_WEBHOOK_KEY", "sandbox-webhook-key")
    return reload_settings()


def xero_consent(session, sandbox: XeroSandbox, tenants: list[str] | None = None):  # type: ignore[no-untyped-def]
    """A consent made in the sandbox, kept by Relance as a grant and its connections."""
    token = sandbox.connect(tenants=tenants)
    tokens = TokenSet(
        access_token=token["access_token"],
        refresh_token=token["refresh_token"],
        access_expires_at=clock.now() + timedelta(seconds=token["expires_in"]),
        scopes=tuple(token["scope"]),
    )
    chosen = tenants or [sandbox.tenant_id]
    found = [Tenant(t, sandbox.organisations[t].organisation.name) for t in chosen]
    connections = record_consent(session, Provider.XERO, tokens, found)
    session.commit()
    return connections


class _Form(HTMLParser):
    """A consent page's form, read the way a browser would."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = values.get("action") or ""
        if tag == "input" and values.get("type") == "hidden":
            self.fields.append((values.get("name") or "", values.get("value") or ""))


def approve(authorization_url: str, **choices: str | list[str]) -> str:
    """Do what a person does on a ledger's consent page; returns where the ledger redirects.

    ``choices`` are the fields the person fills in (email, password, tenant, realmId, …).
    """
    page = requests.get(authorization_url, timeout=10)
    page.raise_for_status()
    form = _Form()
    form.feed(page.text)
    fields = list(form.fields)
    for name, value in choices.items():
        fields += [(name, item) for item in (value if isinstance(value, list) else [value])]
    target = urljoin(authorization_url, form.action or urlsplit(authorization_url).path)
    answer = requests.post(target, data=fields, allow_redirects=False, timeout=10)
    assert answer.status_code in (302, 303), answer.text[:500]
    return answer.headers["Location"]


@contextmanager
def running_quickbooks(**options) -> Iterator[QuickBooksSandbox]:  # type: ignore[no-untyped-def]
    with QuickBooksSandbox(seed="empty", dispatch=FAST_WEBHOOKS, **options) as sandbox:
        yield sandbox


def point_at_quickbooks(monkeypatch: pytest.MonkeyPatch, sandbox: QuickBooksSandbox) -> Settings:
    monkeypatch.setenv("QUICKBOOKS_BASE_URL", sandbox.base_url)
    monkeypatch.setenv("QUICKBOOKS_CLIENT_ID", sandbox.app.client_id)
    monkeypatch.setenv("QUICKBOOKS_CLIENT_SECRET", sandbox.app.client_secret)
    monkeypatch.setenv("QUICKBOOKS_WEBHOOK_VERIFIER", "sandbox-verifier")
    return reload_settings()


def quickbooks_consent(session, sandbox: QuickBooksSandbox, realm_id: str | None = None):  # type: ignore[no-untyped-def]
    """A consent made in the QuickBooks sandbox, kept by Relance as a grant and its connection."""
    realm = realm_id or sandbox.realm_ids[0]
    granted = sandbox.connect(realm)
    tokens = TokenSet(
        access_token=granted.access_token,
        refresh_token=granted.refresh_token,
        access_expires_at=clock.now() + timedelta(hours=1),
        scopes=("com.intuit.quickbooks.accounting",),
    )
    connection = record_consent(
        session, Provider.QUICKBOOKS, tokens, [Tenant(realm, sandbox.company(realm).name)]
    )[0]
    session.commit()
    return connection
