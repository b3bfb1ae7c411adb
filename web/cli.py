"""The `relance` command: one CLI for people and for the Procfile.

A configuration problem ends any command with one line on stderr and exit status 2,
never a traceback.
"""

from __future__ import annotations

import sys

import click

import migrations
from runtime import jobs
from runtime.settings import ConfigurationError, get_settings
from web.preflight import check_services, preflight


@click.group(help="Relance: credit control for small businesses on Xero and QuickBooks Online.")
def cli() -> None:
    pass


@cli.group()
def db() -> None:
    """The database schema (Alembic migrations)."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    settings = get_settings()
    from runtime.db import check_reachable, display_url

    check_reachable(settings.sqlalchemy_url)
    migrations.upgrade(settings.sqlalchemy_url, revision)
    click.echo(f"database {display_url(settings.sqlalchemy_url)} is at {revision}")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Undo migrations down to REVISION."""
    migrations.downgrade(get_settings().sqlalchemy_url, revision)


@db.command("revision")
@click.option("-m", "--message", required=True, help="What the migration does.")
def db_revision(message: str) -> None:
    """Write a new migration from what the models have and the database lacks."""
    migrations.revision(get_settings().sqlalchemy_url, message)


@cli.group()
def sync() -> None:
    """The mirror of each connected ledger."""


@sync.command("status")
def sync_status() -> None:
    """Each connection: when it last synced, first-sync progress, waiting webhook events, errors."""
    from runtime.db import db as database
    from sync.status import sync_statuses

    preflight()
    rows = sync_statuses(database.session())
    if not rows:
        click.echo("no connection yet")
    for row in rows:
        lag = f"{int(row.lag.total_seconds())} s ago" if row.lag is not None else "never"
        click.echo(
            f"{row.organisation_id:>5}  {row.organisation[:32]:<32}  {row.provider:<10}  {row.connection_status:<15}"
            f"  last synced {lag:<14}  pending events {row.pending_events}"
        )
        if row.first_sync is not None:
            counts = ", ".join(
                f"{row.first_sync.counts.get(kind, 0)} {kind}" for kind in row.first_sync.counts
            )
            click.echo(f"       first sync in progress: {counts} so far")
        for error in row.errors:
            click.echo(f"       error: {error}")


def _connection_of(organisation: str):
    from sqlalchemy import select

    from integration.connections import Connection
    from runtime.db import db as database
    from runtime.tenancy import Organisation

    query = select(Connection).join(Organisation, Organisation.id == Connection.organisation_id)
    if organisation.isdigit():
        query = query.where(Organisation.id == int(organisation))
    else:
        query = query.where(Organisation.name.ilike(f"%{organisation}%"))
    found = database.session.scalars(query).all()
    if len(found) != 1:
        raise click.ClickException(
            f"{len(found)} connected organisations match {organisation!r}; give its id"
        )
    return found[0]


@sync.command("run")
@click.argument("organisation")
def sync_run(organisation: str) -> None:
    """Sync ORGANISATION (id or name) now: what changed since the last sync."""
    from sync.jobs import sync_tenant

    with preflight().app_context():
        click.echo(f"records in: {sync_tenant(_connection_of(organisation).id)}")


@sync.command("full")
@click.argument("organisation")
def sync_full(organisation: str) -> None:
    """Sync everything of ORGANISATION (id or name) again, from the start."""
    from sync.jobs import sync_tenant

    with preflight().app_context():
        click.echo(f"records in: {sync_tenant(_connection_of(organisation).id, full=True)}")


@cli.group()
def sandbox() -> None:
    """Local emulators of Xero and QuickBooks Online, for development, tests and the demo."""


def _attach_sandboxes() -> None:
    from integration.sandbox.quickbooks.cli import quickbooks
    from integration.sandbox.xero.cli import xero

    sandbox.add_command(xero)
    sandbox.add_command(quickbooks)


_attach_sandboxes()


@cli.group()
def tokens() -> None:
    """Ledger tokens stored (encrypted) in the database."""


@tokens.command("rotate-key")
def tokens_rotate_key() -> None:
    """Re-encrypt every stored token with the first key of TOKEN_ENCRYPTION_KEY."""
    from integration.connections import reseal_all
    from runtime.db import db as database

    settings = get_settings()
    database.bind(settings.sqlalchemy_url)
    count = reseal_all(database.session())
    click.echo(f"re-encrypted the tokens of {count} grant(s) with the newest key")


@cli.command()
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--queues", help="Comma-separated queue names, in priority order (default: WORKER_QUEUES).")
def worker(burst: bool, queues: str | None) -> None:
    """Run an RQ worker on Relance's queues."""
    settings = get_settings()
    app = preflight(settings)
    names = [name.strip() for name in queues.split(",")] if queues else settings.queues
    jobs.run_worker(app.extensions["redis"], names, app, burst=burst, log_level=settings.log_level)


@cli.command()
def scheduler() -> None:
    """Run RQ's cron scheduler with Relance's periodic jobs (one per deployment)."""
    from web.periodic_jobs import PERIODIC_JOBS

    settings = get_settings()
    app = preflight(settings)
    jobs.run_scheduler(app.extensions["redis"], PERIODIC_JOBS, log_level=settings.log_level)


@cli.command()
@click.option("--port", default=5000, show_default=True, help="Port of the web app.")
@click.option("--xero-port", default=8081, show_default=True, help="Port of the Xero sandbox.")
@click.option("--quickbooks-port", default=8082, show_default=True, help="Port of the QuickBooks sandbox.")
@click.option("--mail-port", default=8025, show_default=True, help="Port of the local mailbox (SMTP).")
def demo(port: int, xero_port: int, quickbooks_port: int, mail_port: int) -> None:
    """Relance with both ledger sandboxes, a seeded company connected and a local mailbox;
    web, worker and scheduler run together and one Ctrl-C stops them all."""
    from web.demo import DemoPorts, run_demo

    settings = get_settings()
    check_services(settings)
    sys.exit(run_demo(settings, DemoPorts(port, xero_port, quickbooks_port, mail_port)))


@cli.command("backtest")
@click.argument("organisation")
@click.argument("schedule")
def backtest_command(organisation: str, schedule: str) -> None:
    """What SCHEDULE (id or name) of ORGANISATION (id or name) would have done over the last 12
    months of the mirror's history: messages per stage and channel, customers reached, invoices
    paid within 7 days of a would-be reminder, the customers chased most. Nothing is sent."""
    from sqlalchemy import select

    from reminders.schedules.backtest import backtest
    from reminders.schedules.models import Schedule
    from runtime import clock
    from runtime.db import db as database
    from runtime.tenancy import Organisation

    with preflight().app_context():
        session = database.session()
        place = _connection_of(organisation).organisation_id
        found = session.get(Organisation, place)
        query = select(Schedule).where(Schedule.organisation_id == place)
        query = (
            query.where(Schedule.id == int(schedule))
            if schedule.isdigit()
            else query.where(Schedule.name.ilike(schedule))
        )
        chosen = session.scalars(query).all()
        if len(chosen) != 1:
            names = ", ".join(
                f"{s.id} {s.name!r}"
                for s in session.scalars(select(Schedule).where(Schedule.organisation_id == place))
            )
            raise click.ClickException(
                f"{len(chosen)} schedules match {schedule!r}; the organisation has: {names}"
            )
        assert found is not None
        result = backtest(session, place, chosen[0].id, clock.today(found.timezone))
        click.echo(
            f"{chosen[0].name!r} at {found.name}, {result.first_day} to {result.last_day}; nothing was sent."
        )
        click.echo(f"{'stage':<40}{'email':>8}{'letter':>8}{'call':>8}")
        for stage in result.stages:
            counts = "".join(f"{stage.by_channel[c]:>8}" for c in ("email", "letter", "call"))
            click.echo(f"{stage.name[:39]:<40}{counts}")
        click.echo(
            f"messages {result.messages}, customers reached {result.customers_reached}, invoices named {result.invoices_named}, paid within 7 days of a reminder {result.paid_within_a_week}"
        )
        click.echo("chased most: " + ", ".join(f"{name} ({count})" for _, name, count in result.most_chased))


@cli.command()
@click.option("--ledger", type=click.Choice(["xero", "quickbooks"]), default="xero", show_default=True)
@click.option("--schedule", type=click.Choice(["none", "default"]), default="default", show_default=True)
@click.option(
    "--compare",
    nargs=2,
    type=click.Choice(["none", "default"]),
    help="Run two schedules and print the difference.",
)
@click.option("--days", default=365, show_default=True, type=click.IntRange(1, 1000))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--customers", default=60, show_default=True, type=click.IntRange(1, 2000))
@click.option("--start", default="2026-01-05", show_default=True, help="The first simulated day.")
@click.option("--fees", is_flag=True, help="Turn late fees on (reviewed, approved by the simulated person).")
@click.option(
    "--out",
    default="relance-simulation",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where the CSV, the chart and each run's database go.",
)
def simulate(
    ledger: str,
    schedule: str,
    compare: tuple[str, str] | None,
    days: int,
    seed: int,
    customers: int,
    start: str,
    fees: bool,
    out: str,
) -> None:
    """Run a simulated year of a sandbox company end to end (ledger, webhooks, sync, planner,
    SMTP, portal) and print its receivables day by day: DSO, share current and over 90 days, cash
    collected, reminders, promises, holds, fees. The same seed gives the same figures."""
    from datetime import date
    from pathlib import Path

    from web.simulation.runs import run_and_report

    try:
        first = date.fromisoformat(start)
    except ValueError:
        raise click.BadParameter("a date like 2026-01-05", param_hint="--start") from None
    schedules = list(compare) if compare else [schedule]
    run_and_report(ledger, schedules, days, seed, customers, first, fees, Path(out), click.echo)


def main() -> None:
    """Entry point of the `relance` console script."""
    try:
        status = cli.main(prog_name="relance", standalone_mode=False)
    except ConfigurationError as error:
        click.echo(f"relance: {error}", err=True)
        sys.exit(2)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    sys.exit(status if isinstance(status, int) else 0)
