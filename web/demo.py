"""`relance demo`: Relance on one machine, connected to a seeded company, as one command.

This process runs the two ledger sandboxes (seeded demo companies) and a local mailbox, owns
the embedded Redis (when REDIS_URL is unset), and starts web, worker and scheduler under honcho,
pointed at the sandboxes. Once the web answers, it connects the demo companies (as their owner
would, without the browser), subscribes Relance to their webhooks and queues a sync; when that
sync is done it says what to try. One Ctrl-C stops everything, with exit status 0.

Restarts carry on: each sandbox keeps its state in the instance folder (``sandboxes/``), so
the books, the demo owner's login and the tokens Relance holds survive with Relance's own
database and mirror; a company already connected is not connected again. While it runs, the
demo writes the environment it gives its processes to ``demo.env`` in the instance folder
(owner-only), which other ``relance`` commands of the same instance read in development.
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
from pathlib import Path

import requests
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from honcho.manager import Manager
from honcho.printer import Printer
from sqlalchemy import select
from sqlalchemy.orm import Session

import migrations
from integration.connections import Connection, Provider, Tenant, TokenSet
from integration.sandbox.common.webhook_dispatch import DispatchSettings
from integration.sandbox.quickbooks import QuickBooksSandbox
from integration.sandbox.xero.sandbox import XeroSandbox
from integration.sandbox.xero.settings import XeroSandboxSettings
from runtime import clock, jobs
from runtime import redis as relance_redis
from runtime.db import db
from runtime.logs import configure as configure_logs
from runtime.logs import get_logger
from runtime.settings import (
    ConfigurationError,
    Settings,
    child_environment,
    remove_demo_environment,
    running_demo,
    write_demo_environment,
)
from web.demo_companies import DemoCompany, connect_demo_companies, cursor_successes, wait_for_syncs

log = get_logger(__name__)
# The sandboxes deliver webhooks within a second, as the real ledgers do (seconds to minutes).
DEMO_WEBHOOKS = DispatchSettings(batch_window=1.0, retry_delays=(2, 10, 30, 120), timeout=5.0)
# honcho's own status when a signal stopped it (128 + SIGINT, 128 + SIGTERM): a person stopping
# the demo, which is its normal end, not a failure for make to report.
STOPPED_BY_SIGNAL = (130, 143)
FIRST_SYNC_TIMEOUT = 600.0


@dataclass(frozen=True)
class DemoLedgers:
    """The two running sandboxes, and whether each started from its saved state."""

    xero: XeroSandbox
    quickbooks: QuickBooksSandbox
    xero_restored: bool
    quickbooks_restored: bool

    def companies(self) -> list[DemoCompany]:
        """The demo company of each sandbox, as web.demo_companies takes them."""
        xero, quickbooks = self.xero, self.quickbooks
        realm = quickbooks.realm_ids[0]
        return [
            DemoCompany(
                Provider.XERO,
                xero.tenant_id,
                xero.user.user_id,
                self.xero_restored,
                lambda: _xero_consent(xero),
            ),
            DemoCompany(
                Provider.QUICKBOOKS,
                realm,
                quickbooks.user_id,
                self.quickbooks_restored,
                lambda: _quickbooks_consent(quickbooks, realm),
            ),
        ]


def _xero_consent(xero: XeroSandbox) -> tuple[TokenSet, Tenant]:
    token = xero.connect()
    tokens = TokenSet(
        access_token=token["access_token"],
        refresh_token=token["refresh_token"],
        access_expires_at=clock.now() + timedelta(seconds=token["expires_in"]),
        scopes=tuple(token["scope"]),
    )
    return tokens, Tenant(xero.tenant_id, xero.books.organisation.name)


def _quickbooks_consent(quickbooks: QuickBooksSandbox, realm: str) -> tuple[TokenSet, Tenant]:
    granted = quickbooks.connect(realm)
    tokens = TokenSet(
        access_token=granted.access_token,
        refresh_token=granted.refresh_token,
        access_expires_at=clock.now() + timedelta(hours=1),
        scopes=("com.intuit.quickbooks.accounting",),
    )
    return tokens, Tenant(realm, quickbooks.company(realm).name)


@dataclass(frozen=True)
class DemoPorts:
    web: int = 5000
    xero: int = 8081
    quickbooks: int = 8082
    mail: int = 8025


def run_demo(settings: Settings, ports: DemoPorts) -> int:
    """Start everything, print where to look, and wait; returns the exit status (0 on Ctrl-C)."""
    try:
        return _run(settings, ports)
    except KeyboardInterrupt:  # Ctrl-C before honcho took over the signals: everything is stopped
        print("\n  Stopped.", flush=True)
        return 0


def _run(settings: Settings, ports: DemoPorts) -> int:
    configure_logs(settings.log_level, readable=settings.relance_env == "development")
    instance = settings.instance_path
    already = running_demo(instance)
    if already is not None:
        raise ConfigurationError(f"a demo already runs on {instance} (pid {already.pid}); stop it first")
    migrations.upgrade(settings.sqlalchemy_url)
    web_url = f"http://127.0.0.1:{ports.web}"
    ledgers = _start_sandboxes(settings, ports, web_url)
    xero, quickbooks = ledgers.xero, ledgers.quickbooks
    mailbox_folder = instance / "mailbox"
    mailbox = Controller(Mailbox(mailbox_folder), hostname="127.0.0.1", port=ports.mail)
    try:
        mailbox.start()
        # A restored sandbox keeps Relance's webhook subscription: keep its key, so that one
        # subscription and one key stay together across restarts.
        keys = {
            "xero": xero.app.webhook.signing_key if xero.app.webhook else secrets.token_urlsafe(24),
            "quickbooks": (
                quickbooks.webhooks.subscription.verifier_token
                if quickbooks.webhooks.subscription
                else secrets.token_urlsafe(24)
            ),
        }
        handed_out = {
            "REDIS_URL": relance_redis.redis_url(settings),
            "RELANCE_INSTANCE": str(instance),
            "PUBLIC_URL": web_url,
            "SMTP_URL": f"smtp://127.0.0.1:{ports.mail}",
            "XERO_BASE_URL": xero.base_url,
            "XERO_CLIENT_ID": xero.app.client_id,
            "XERO_CLIENT_SECRET": xero.app.client_secret,
            "XERO_WEBHOOK_KEY": keys["xero"],
            "QUICKBOOKS_BASE_URL": quickbooks.base_url,
            "QUICKBOOKS_CLIENT_ID": quickbooks.app.client_id,
            "QUICKBOOKS_CLIENT_SECRET": quickbooks.app.client_secret,
            "QUICKBOOKS_WEBHOOK_VERIFIER": keys["quickbooks"],
        }
        environment = child_environment(**handed_out, pythonunbuffered="1")
        write_demo_environment(instance, handed_out, os.getpid())
        # Every line carries its own time of day (readable logs), so honcho adds only the name.
        manager = Manager(printer=Printer(sys.stdout, time_format="", colour=sys.stdout.isatty()))
        python = shlex.quote(sys.executable)
        manager.add_process(
            "web",
            f"{python} -m gunicorn -c python:web.gunicorn_conf --bind 127.0.0.1:{ports.web} --workers 2 web.wsgi:app",
            env=environment,
        )
        manager.add_process("worker", f"{python} -m web worker", env=environment)
        manager.add_process("scheduler", f"{python} -m web scheduler", env=environment)
        threading.Thread(
            target=_connect_and_sync,
            args=(settings, web_url, ledgers, keys, mailbox_folder),
            daemon=True,
            name="demo-seed",
        ).start()
        print(f"\n  Relance is starting at {web_url}/  (health: /healthz)", flush=True)
        print(f"  Sign in with Xero as {xero.user.email} / {xero.user.password}", flush=True)
        print(f"  Xero sandbox {xero.base_url}   QuickBooks sandbox {quickbooks.base_url}", flush=True)
        print(f"  Mail Relance sends lands in {mailbox_folder}", flush=True)
        print("  Ctrl-C stops everything.\n", flush=True)
        manager.loop()
        # honcho returns when its children have exited; their own children (RQ's scheduler
        # process) may still be finishing with Redis, which stops when we return.
        _wait_for_process_groups([p["pid"] for p in manager._processes.values() if p.get("pid")])
    finally:
        remove_demo_environment(instance, os.getpid())
        # After the processes that use them: the tokens saved are the last ones Relance got.
        xero.stop()
        quickbooks.stop()
        mailbox.stop()
    status = manager.returncode or 0
    return 0 if status in STOPPED_BY_SIGNAL else status


def _start_sandboxes(settings: Settings, ports: DemoPorts, web_url: str) -> DemoLedgers:
    """Both sandboxes, from their state in the instance folder when they have one (else seeded)."""
    folder = settings.instance_path / "sandboxes"
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)  # the state holds the sandbox apps' secrets and the tokens they issued
    xero_state, quickbooks_state = folder / "xero.sqlite", folder / "quickbooks.sqlite"
    xero_restored, quickbooks_restored = xero_state.exists(), quickbooks_state.exists()
    xero = XeroSandbox(
        seed="demo",
        settings=XeroSandboxSettings(dispatch=DEMO_WEBHOOKS),
        port=ports.xero,
        state_file=xero_state,
    )
    callback = f"{web_url}/connect/xero/callback"
    if callback not in xero.app.redirect_uris:
        xero.app.redirect_uris.append(callback)
    quickbooks = QuickBooksSandbox(
        seed="demo",
        port=ports.quickbooks,
        dispatch=DEMO_WEBHOOKS,
        redirect_uris=(f"{web_url}/connect/quickbooks/callback",),
        state_file=quickbooks_state,
    )
    xero.start()
    try:
        quickbooks.start()
    except BaseException:
        xero.stop()
        raise
    return DemoLedgers(xero, quickbooks, xero_restored, quickbooks_restored)


def _connect_and_sync(
    settings: Settings, web_url: str, ledgers: DemoLedgers, keys: dict[str, str], mailbox_folder: Path
) -> None:
    """Once the web answers: make sure both demo companies are connected for their owner,
    subscribe Relance to their webhooks, sync them, and say what to try once that is done."""
    if not _web_answers(web_url, timeout=120):
        log.error("demo.web_never_answered")
        return
    db.bind(settings.sqlalchemy_url)
    jobs.use_connection(relance_redis.connect(settings))
    session = db.session()
    try:
        connections = connect_demo_companies(session, ledgers.xero.user.email, ledgers.companies())
        session.commit()
        ledgers.xero.subscribe_webhooks(f"{web_url}/webhooks/xero", keys["xero"])
        ledgers.quickbooks.subscribe_webhooks(f"{web_url}/webhooks/quickbooks", keys["quickbooks"])
        working = [c for c in connections if c.active]
        ids = [c.id for c in working]
        before = cursor_successes(session, ids)
        from sync.jobs import sync_tenant

        restored = {"xero": ledgers.xero_restored, "quickbooks": ledgers.quickbooks_restored}
        for connection in working:
            # A sandbox seeded afresh under an existing mirror has records older than the cursors.
            full = not restored[connection.provider]
            jobs.enqueue(sync_tenant, connection.id, full, queue_name="sync")
        log.info("demo.connected", organisations=[c.tenant_name for c in connections])
        synced = wait_for_syncs(session, ids, before, FIRST_SYNC_TIMEOUT)
        if synced:
            _plan_reminders(session, ids)
        _print_ready(web_url, ledgers, session, ids, synced, mailbox_folder)
    finally:
        session.close()


def _web_answers(web_url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{web_url}/healthz", timeout=2).status_code == 200:
                return True
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    return False


def _plan_reminders(session: Session, connection_ids: list[int]) -> None:
    """The demo companies get the default schedule (in review-before-send, as any new
    organisation) and today's reminders are planned at once, whatever the hour: the review queue
    shows them from the first minute. Planning is idempotent, so a restart plans nothing twice."""
    from reminders.dispatch.outbox import give_default_schedules, plan_now
    from reminders.fees.proposing import turn_on_for_demo
    from reminders.holds import HoldRules
    from reminders.portal.links import PortalSettings

    give_default_schedules(session)
    for organisation_id in session.scalars(
        select(Connection.organisation_id).where(Connection.id.in_(connection_ids)).distinct()
    ):
        # Credit holds are off until an organisation turns them on; the demo companies have them
        # on (the defaults: 90 days past due, over the credit limit), so that the customers long
        # overdue are put on hold in the sandboxes by the reaction to the first sync.
        if session.get(HoldRules, organisation_id) is None:
            session.add(HoldRules(organisation_id=organisation_id, enabled=True))
            session.commit()
        # Late fees are off for a real organisation; the demo's are on, reviewed, so the review
        # page shows the fees its overdue invoices make due from the first minute ("plan now"
        # runs the day steps, the fees' proposal among them, before it plans).
        turn_on_for_demo(session, organisation_id)
        # The portal shows how to pay by transfer when the organisation gave its bank details.
        if session.get(PortalSettings, organisation_id) is None:
            session.add(PortalSettings(organisation_id=organisation_id, bank_details=DEMO_BANK_DETAILS))
            session.commit()
        jobs.enqueue(plan_now, organisation_id)


DEMO_BANK_DETAILS = (
    "Demo Bank\nAccount name: the company's name\nAccount number: 01-0123-0456789-00 (not a real account)"
)


def _portal_links(session: Session, organisations: list[tuple[int, str]], web_url: str) -> list[str]:
    """A customer's portal link per demo company (one who owes something overdue), for the banner
    (at the demo's own address: this process's settings are not the web process's)."""
    from reminders.portal.links import LINK_PATH, link_for, token_of
    from sync.models import Customer, Invoice

    lines = []
    for organisation_id, name in organisations:
        customer_id = session.scalar(
            select(Customer.id)
            .join(
                Invoice,
                (Invoice.customer_ledger_id == Customer.ledger_id)
                & (Invoice.organisation_id == organisation_id),
            )
            .where(
                Customer.organisation_id == organisation_id, Invoice.status == "open", Invoice.amount_due > 0
            )
            .order_by(Invoice.due_on, Customer.id)
            .limit(1)
        )
        if customer_id is not None:
            url = f"{web_url}{LINK_PATH}{token_of(link_for(session, organisation_id, customer_id))}"
            session.commit()
            lines.append(f"  A customer's portal at {name} (as the link in their reminders opens it): {url}")
    return lines


def _print_ready(
    web_url: str,
    ledgers: DemoLedgers,
    session: Session,
    connection_ids: list[int],
    synced: bool,
    mailbox_folder: Path,
) -> None:
    """The banner again, once the sync is done (or could not be), with what to try next."""
    organisations = session.execute(
        select(Connection.organisation_id, Connection.tenant_name).where(Connection.id.in_(connection_ids))
    ).all()
    xero = ledgers.xero
    lines = [
        "",
        "  Relance is ready: the demo companies are synced."
        if synced
        else "  The sync is taking longer than expected, or failed: `relance sync status` says why.",
        f"  Open {web_url}/ and sign in with Xero as {xero.user.email} / {xero.user.password},",
        "  or with Intuit (the QuickBooks sandbox: allow, for any company): both reach the same companies.",
        *(
            f"  Aged receivables of {name}: {web_url}/organisations/{organisation_id}/aged-receivables"
            for organisation_id, name in organisations
        ),
        *(
            f"  Today's reminders of {name}, to review and approve: {web_url}/organisations/{organisation_id}/reminders"
            for organisation_id, name in organisations
        ),
        *(_portal_links(session, [(o, n) for o, n in organisations], web_url) if synced else []),
        "  The sandboxes' admin APIs make payments and move time (integration/sandbox/*/README.md).",
        f"  Mail Relance sends lands in {mailbox_folder}/new (one file per message).",
        "  From another terminal, `relance sync status` (or `run` / `full`) works while this runs.",
        "  Ctrl-C stops everything; the next start carries on from here.",
        "",
    ]
    print("\n".join(lines), flush=True)
    log.info("demo.ready", synced=synced)


def _wait_for_process_groups(group_ids: list[int], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    for group in group_ids:
        while time.monotonic() < deadline:
            try:
                os.killpg(group, 0)
            except (ProcessLookupError, PermissionError):
                break
            time.sleep(0.1)
