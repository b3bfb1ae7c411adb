"""`relance sandbox xero`: run a local Xero in the foreground (the `make demo` ledger)."""

from __future__ import annotations

import signal
import threading

import click

from ..common.webhook_dispatch import DispatchSettings
from .sandbox import XeroSandbox, XeroSandboxSettings


def _seed(value: str) -> str | int:
    if value in ("demo", "empty"):
        return value
    try:
        return int(value)
    except ValueError as exc:
        raise click.BadParameter("use demo, empty or a whole number") from exc


@click.command("xero")
@click.option(
    "--port", type=int, default=8081, show_default=True, help="Port to listen on (0 = any free port)."
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option(
    "--seed", default="demo", show_default=True, help="demo, empty, or N for demo-like data from seed N."
)
@click.option("--redirect-uri", multiple=True, help="Extra redirect URI for the default app (repeatable).")
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="SQLite file to keep state in across restarts (default: memory only).",
)
@click.option("--client-id", default=None, help="Fix the default app's client id (otherwise random).")
@click.option("--client-secret", default=None, help="Fix the default app's client secret (otherwise random).")
def xero(
    port: int,
    host: str,
    seed: str,
    redirect_uri: tuple[str, ...],
    state_file: str | None,
    client_id: str | None,
    client_secret: str | None,
) -> None:
    """Serve a local Xero: identity, Accounting API, webhooks and the /_sandbox/ admin API."""
    settings = XeroSandboxSettings(dispatch=DispatchSettings(batch_window=1.0))
    sandbox = XeroSandbox(seed=_seed(seed), settings=settings, host=host, port=port, state_file=state_file)
    app = sandbox.app
    if client_id and client_id != app.client_id:
        sandbox.directory.apps.pop(app.client_id)
        app.client_id = client_id
        sandbox.directory.apps[client_id] = app
    if client_secret:
        app.client_secret = client_secret
    app.redirect_uris.extend(uri for uri in redirect_uri if uri not in app.redirect_uris)
    sandbox.start()  # binds now, so --port 0 reports the port it got
    base = sandbox.base_url
    click.echo(f"Xero sandbox on {base} (seed {seed})")
    click.echo(f"  client_id     {app.client_id}")
    click.echo(f"  client_secret {app.client_secret}")
    click.echo(f"  login         {sandbox.user.email} / {sandbox.user.password}")
    click.echo(f"  tenant        {sandbox.tenant_id}")
    click.echo(f"  authorize     {sandbox.urls.authorize}")
    click.echo(f"  token         {sandbox.urls.token}")
    click.echo(f"  accounting    {sandbox.urls.accounting_api}   admin {base}/_sandbox/state")
    # honcho (make demo) stops processes with SIGTERM: treat it like Ctrl-C so the state is saved.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()  # also writes the state file, if any
