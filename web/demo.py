"""`relance demo`: Relance on one machine, connected to a seeded company, as one command.

This process runs the two ledger sandboxes (seeded demo companies) and a local mailbox, owns
the embedded Redis (when REDIS_URL is unset), and starts web, worker and scheduler under honcho,
pointed at the sandboxes. Once the web answers, it connects the demo companies (as their owner
would, without the browser), subscribes Relance to their webhooks and queues the first sync.
One Ctrl-C stops everything.
"""

from __future__ import annotations

import os
import secrets
import shlex
import sys
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

import requests
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from honcho.manager import Manager
from sqlalchemy import select

import migrations
from integration.connections import Provider, Tenant, ensure_membership, record_consent
from integration.oauth import TokenSet
from integration.sandbox.common.webhook_dispatch import DispatchSettings
from integration.sandbox.quickbooks import QuickBooksSandbox
from integration.sandbox.xero.sandbox import XeroSandbox
from integration.sandbox.xero.settings import XeroSandboxSettings
from runtime import clock, jobs
from runtime import redis as relance_redis
from runtime.db import db
from runtime.logs import configure as configure_logs
from runtime.logs import get_logger
from runtime.settings import Settings, child_environment
from runtime.tenancy import User, UserIdentity

log = get_logger(__name__)
# The sandboxes deliver webhooks within a second, as the real ledgers do (seconds to minutes).
DEMO_WEBHOOKS = DispatchSettings(batch_window=1.0, retry_delays=(2, 10, 30, 120), timeout=5.0)


@dataclass(frozen=True)
class DemoPorts:
    web: int = 5000
    xero: int = 8081
    quickbooks: int = 8082
    mail: int = 8025


def run_demo(settings: Settings, ports: DemoPorts) -> int:
    """Start everything, print where to look, and wait; returns the exit status."""
    configure_logs(settings.log_level)
    migrations.upgrade(settings.sqlalchemy_url)
    web_url = f"http://127.0.0.1:{ports.web}"
    xero = XeroSandbox(
        seed="demo", settings=XeroSandboxSettings(dispatch=DEMO_WEBHOOKS), port=ports.xero
    ).start()
    xero.app.redirect_uris.append(f"{web_url}/connect/xero/callback")
    quickbooks = QuickBooksSandbox(
        seed="demo",
        port=ports.quickbooks,
        dispatch=DEMO_WEBHOOKS,
        redirect_uris=(f"{web_url}/connect/quickbooks/callback",),
    ).start()
    mailbox_folder = settings.instance_path / "mailbox"
    mailbox = Controller(Mailbox(str(mailbox_folder)), hostname="127.0.0.1", port=ports.mail)
    mailbox.start()
    keys = {"xero": secrets.token_urlsafe(24), "quickbooks": secrets.token_urlsafe(24)}
    environment = child_environment(
        redis_url=relance_redis.redis_url(settings),
        relance_instance=str(settings.instance_path),
        public_url=web_url,
        smtp_url=f"smtp://127.0.0.1:{ports.mail}",
        xero_base_url=xero.base_url,
        xero_client_id=xero.app.client_id,
        xero_client_secret=xero.app.client_secret,
        xero_webhook_key=keys["xero"],
        quickbooks_base_url=quickbooks.base_url,
        quickbooks_client_id=quickbooks.app.client_id,
        quickbooks_client_secret=quickbooks.app.client_secret,
        quickbooks_webhook_verifier=keys["quickbooks"],
        pythonunbuffered="1",
    )
    python = shlex.quote(sys.executable)
    manager = Manager()
    manager.add_process(
        "web",
        f"{python} -m gunicorn -c python:web.gunicorn_conf --bind 127.0.0.1:{ports.web} --workers 2 web.wsgi:app",
        env=environment,
    )
    manager.add_process("worker", f"{python} -m web worker", env=environment)
    manager.add_process("scheduler", f"{python} -m web scheduler", env=environment)
    seeding = threading.Thread(
        target=_connect_demo_companies,
        args=(settings, web_url, xero, quickbooks, keys),
        daemon=True,
        name="demo-seed",
    )
    seeding.start()
    print(f"\n  Relance is starting at {web_url}/  (health: /healthz)", flush=True)
    print(f"  Sign in with Xero as {xero.user.email} / {xero.user.password}", flush=True)
    print(f"  Xero sandbox {xero.base_url}   QuickBooks sandbox {quickbooks.base_url}", flush=True)
    print(f"  Mail Relance sends lands in {mailbox_folder}", flush=True)
    print("  Ctrl-C stops everything.\n", flush=True)
    try:
        manager.loop()
        # honcho returns when its children have exited; their own children (RQ's scheduler
        # process) may still be finishing with Redis, which stops when we return.
        _wait_for_process_groups([p["pid"] for p in manager._processes.values() if p.get("pid")])
    finally:
        xero.stop()
        quickbooks.stop()
        mailbox.stop()
    return manager.returncode or 0


def _connect_demo_companies(
    settings: Settings, web_url: str, xero: XeroSandbox, quickbooks: QuickBooksSandbox, keys: dict[str, str]
) -> None:
    """Once the web answers: connect both demo companies for the sandbox's owner, subscribe
    Relance to their webhooks (Xero checks intent to receive), and queue the first syncs."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{web_url}/healthz", timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    else:
        log.error("demo.web_never_answered")
        return
    db.bind(settings.sqlalchemy_url)
    redis_client = relance_redis.connect(settings)
    jobs.use_connection(redis_client)
    session = db.session()
    owner = session.scalar(select(User).where(User.email == xero.user.email))
    if owner is None:
        owner = User(email=xero.user.email, name="Demo Owner")
        session.add(owner)
        session.add(UserIdentity(user=owner, provider="xero", subject=xero.user.user_id))
        session.flush()
    token = xero.connect()
    xero_tokens = TokenSet(
        access_token=token["access_token"],
        refresh_token=token["refresh_token"],
        access_expires_at=clock.now() + timedelta(seconds=token["expires_in"]),
        scopes=tuple(token["scope"]),
    )
    connections = record_consent(
        session, Provider.XERO, xero_tokens, [Tenant(xero.tenant_id, xero.books.organisation.name)], owner
    )
    realm = quickbooks.realm_ids[0]
    granted = quickbooks.connect(realm)
    quickbooks_tokens = TokenSet(
        access_token=granted.access_token,
        refresh_token=granted.refresh_token,
        access_expires_at=clock.now() + timedelta(hours=1),
        scopes=("com.intuit.quickbooks.accounting",),
    )
    connections += record_consent(
        session,
        Provider.QUICKBOOKS,
        quickbooks_tokens,
        [Tenant(realm, quickbooks.company(realm).name)],
        owner,
    )
    for connection in connections:
        ensure_membership(session, owner, connection.organisation)
    session.commit()
    xero.subscribe_webhooks(f"{web_url}/webhooks/xero", keys["xero"])
    quickbooks.subscribe_webhooks(f"{web_url}/webhooks/quickbooks", keys["quickbooks"])
    from sync.jobs import sync_tenant

    for connection in connections:
        jobs.enqueue(sync_tenant, connection.id, queue_name="sync")
    log.info("demo.connected", organisations=[c.tenant_name for c in connections])


def _wait_for_process_groups(group_ids: list[int], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    for group in group_ids:
        while time.monotonic() < deadline:
            try:
                os.killpg(group, 0)
            except (ProcessLookupError, PermissionError):
                break
            time.sleep(0.1)
