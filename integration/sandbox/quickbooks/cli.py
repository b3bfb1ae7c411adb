"""`relance sandbox quickbooks`: serve a seeded QuickBooks Online sandbox in the foreground until Ctrl-C."""

from __future__ import annotations

import signal
import threading

import click

from .sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REDIRECT_URIS, QuickBooksSandbox


def _seed(value: str) -> str | int:
    if value in ("demo", "empty"):
        return value
    try:
        return int(value)
    except ValueError as error:
        raise click.BadParameter("use demo, empty or an integer") from error


@click.command("quickbooks")
@click.option(
    "--port", type=int, default=8082, show_default=True, help="Port to listen on (0 = any free port)."
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option(
    "--seed", default="demo", show_default=True, help="demo, empty, or N for demo-like data from seed N."
)
@click.option("--redirect-uri", multiple=True, help="Extra redirect URI for the default app (repeatable).")
@click.option(
    "--client-id", default=DEFAULT_CLIENT_ID, show_default=True, help="The default app's client id."
)
@click.option("--client-secret", default=DEFAULT_CLIENT_SECRET, help="The default app's client secret.")
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="SQLite file to keep state in across restarts (default: memory only).",
)
def quickbooks(
    port: int,
    host: str,
    seed: str,
    redirect_uri: tuple[str, ...],
    client_id: str,
    client_secret: str,
    state_file: str | None,
) -> None:
    """Serve a local QuickBooks Online: OAuth/OpenID, Accounting API, webhooks and the /_sandbox/ admin API."""
    sandbox = QuickBooksSandbox(
        _seed(seed),
        host=host,
        port=port,
        client_id=client_id,
        client_secret=client_secret,
        redirect_uris=(*DEFAULT_REDIRECT_URIS, *redirect_uri),
        state_file=state_file,
    )
    sandbox.start()
    # honcho and terminals stop processes with SIGTERM too: treat it like Ctrl-C so the state is saved.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    base = sandbox.base_url
    click.echo(f"QuickBooks sandbox on {base} (seed {seed})")
    click.echo(f"  client_id     {sandbox.app.client_id}")
    click.echo(f"  client_secret {sandbox.app.client_secret}")
    click.echo(f"  discovery     {sandbox.discovery_url}")
    click.echo(f"  accounting    {sandbox.api_url_v3}   (python-quickbooks: qb.api_url_v3 = this)")
    click.echo(f"  admin         {base}/_sandbox/")
    for realm_id, company in sandbox.companies.items():
        click.echo(f"  realm         {realm_id}  {company.name}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()  # also writes the state file, if any
