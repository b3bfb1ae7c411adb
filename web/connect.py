"""Connecting a ledger: the OAuth 2.0 authorization-code flow with state and PKCE, for
signing in and for connecting organisations, and the marketplaces' entry points.

The callback is the only place Relance calls a ledger inside a web request, and it must: it
exchanges the code and (Xero) asks which organisations the consent reached.
"""

from __future__ import annotations

from collections.abc import Callable

import redis
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from integration.connections import (
    Connection,
    ConnectionStatus,
    confirm_disconnected_in_ledger,
    disconnect,
    oauth,
    record_consent,
    tell_ledger_disconnected,
)
from integration.ledger import LedgerError
from integration.providers import (
    EntryPoint,
    LedgerProvider,
    ProviderEndpoints,
    UnknownProvider,
    all_providers,
    configured_providers,
)
from integration.providers import provider as provider_named
from runtime import jobs
from runtime.db import db
from runtime.logs import get_logger
from runtime.tenancy import Membership
from sync.jobs import sync_tenant
from web import app_settings
from web.auth import membership_or_404, person_for_identity, sign_in
from web.roles import may_start, start_job
from web.team import WAITING_INVITATION
from web.throttle import rate_limited

connect = Blueprint("connect", __name__)
log = get_logger(__name__)
PENDING = "oauth_pending"


@connect.app_template_global("ledger_name")
def ledger_name(name: str) -> str:
    """How people know the ledger a connection is to ("Xero", "QuickBooks")."""
    try:
        return provider_named(name).display_name
    except UnknownProvider:
        return str(_("the ledger"))


def configured(provider: str) -> LedgerProvider:
    """The provider called ``provider`` if this deployment connects to it; 404 otherwise."""
    for ledger in configured_providers(app_settings()):
        if ledger.name.value == provider:
            return ledger
    abort(404)


def provider_endpoints(provider: str) -> ProviderEndpoints:
    return configured(provider).endpoints(app_settings())


def start_flow(provider: str, purpose: str) -> ResponseReturnValue:
    """Send the browser to the ledger, remembering what we asked in the signed session cookie."""
    found = provider_endpoints(provider)
    redirect_uri = app_settings().external_url + url_for("connect.callback", provider=provider)
    started = oauth.authorization_request(found, redirect_uri, sign_in_only=purpose == "signin")
    session[PENDING] = {
        "provider": provider,
        "purpose": purpose,
        "state": started.state,
        "verifier": started.code_verifier,
        "nonce": started.nonce,
        "redirect_uri": redirect_uri,
        "scopes": list(started.scopes),
    }
    return redirect(started.url)


@connect.get("/connect/<provider>")
def start(provider: str) -> ResponseReturnValue:
    """Connect organisations (and sign in, in the same consent)."""
    return start_flow(provider, "connect")


@connect.get("/signin/<provider>")
def signin(provider: str) -> ResponseReturnValue:
    """Sign in with the ledger's identity only."""
    return start_flow(provider, "signin")


@connect.get("/connect/<provider>/callback")
def callback(provider: str) -> ResponseReturnValue:
    pending = session.pop(PENDING, None)
    if not pending or pending["provider"] != provider or request.args.get("state") != pending["state"]:
        return render_template(
            "problem.html", message=_("This sign-in was not started here or has expired. Please try again.")
        ), 400
    if request.args.get("error"):
        return _not_granted(provider, pending["purpose"], request.args["error"])
    found = provider_endpoints(provider)
    started = oauth.AuthorizationRequest(
        url="",
        state=pending["state"],
        code_verifier=pending["verifier"],
        nonce=pending["nonce"],
        redirect_uri=pending["redirect_uri"],
        scopes=tuple(pending["scopes"]),
    )
    # What the ledger redirected to, as our public URL (the request may have come through a proxy).
    callback_url = app_settings().external_url + request.full_path
    try:
        tokens = oauth.exchange_code(found, started, callback_url)
        user = person_for_identity(provider, tokens.identity) if tokens.identity else None
        if user is None and current_user.is_authenticated:
            user = current_user.user
        if pending["purpose"] == "connect":
            tenants = configured(provider).consented_tenants(found, tokens.access_token, request.args)
            connections = record_consent(db.session(), found.provider, tokens, tenants, user)
            names = ", ".join(c.tenant_name for c in connections)
            flash(_("Connected %(names)s.", names=names) if names else _("Connected nothing."))
        db.session.commit()
        if pending["purpose"] == "connect":
            _start_first_syncs([c.id for c in connections])
    except LedgerError as error:
        db.session.rollback()
        log.warning("connect.failed", provider=provider, error=str(error))
        return render_template(
            "problem.html",
            message=_("%(ledger)s could not be connected: %(error)s", ledger=found.display_name, error=error),
        ), 502
    if user is None:
        return render_template("problem.html", message=_("The ledger did not say who you are.")), 400
    sign_in(user)
    waiting = session.pop(WAITING_INVITATION, None)  # a signed-out person came from an invitation
    if isinstance(waiting, str):
        return redirect(url_for("team.invitation", token=waiting))
    return redirect(url_for("dashboard.home"))


def _not_granted(provider: str, purpose: str, error: str) -> ResponseReturnValue:
    """The ledger sent the person back without a code: they cancelled (``access_denied``, RFC 6749
    4.1.2.1), or the ledger refused the request. Either way they can start again from here."""
    ledger = provider_endpoints(provider).display_name
    retry_url = url_for("connect.signin" if purpose == "signin" else "connect.start", provider=provider)
    if error == "access_denied":
        signing_in = purpose == "signin"
        return render_template(
            "problem.html",
            title=_("Sign-in cancelled")
            if signing_in
            else _("Connecting %(ledger)s cancelled", ledger=ledger),
            message=_(
                "You cancelled signing in with %(ledger)s, so Relance was given no access. "
                "You can try again at any time.",
                ledger=ledger,
            )
            if signing_in
            else _(
                "You cancelled connecting %(ledger)s, so Relance was given no access. "
                "You can try again at any time.",
                ledger=ledger,
            ),
            retry_url=retry_url,
        )
    log.warning("connect.refused", provider=provider, error=error[:64])
    return render_template(
        "problem.html",
        title=_("%(ledger)s did not give access", ledger=ledger),
        message=_(
            "%(ledger)s answered: %(answer)s.",
            ledger=ledger,
            answer=request.args.get("error_description") or error,
        ),
        retry_url=retry_url,
    ), 400


def _start_first_syncs(connection_ids: list[int]) -> None:
    """Mirror what was just connected. If Redis is down the periodic sweep does it instead."""
    try:
        for connection_id in connection_ids:
            jobs.enqueue(sync_tenant, connection_id, queue_name="sync")
    except redis.RedisError as error:
        log.error("connect.sync_not_queued", error=str(error))


@connect.get("/organisations/<int:organisation_id>/disconnect")
@login_required
def confirm_disconnect(organisation_id: int) -> ResponseReturnValue:
    """Ask before disconnecting: a page that says what disconnecting does, with the form that does it."""
    organisation = membership_or_404(organisation_id).organisation
    connection = db.session.scalar(select(Connection).where(Connection.organisation_id == organisation.id))
    if connection is None:
        abort(404)
    if connection.status == ConnectionStatus.DISCONNECTED.value:
        flash(_("%(name)s is already disconnected.", name=connection.tenant_name))
        return redirect(url_for("dashboard.home"))
    return render_template(
        "connect/confirm_disconnect.html", organisation=organisation, connection=connection
    )


@connect.post("/organisations/<int:organisation_id>/disconnect")
@login_required
def disconnect_organisation(organisation_id: int) -> ResponseReturnValue:
    """Disconnect from Relance: stop at once, tell the ledger in a job. Synced data stays."""
    if request.form.get("confirm") != "yes":  # not sent from the confirmation page: ask there first
        return redirect(url_for("connect.confirm_disconnect", organisation_id=organisation_id), 303)
    connection = db.session.scalar(
        select(Connection)
        .join(Membership, Membership.organisation_id == Connection.organisation_id)
        .where(Connection.organisation_id == organisation_id, Membership.user_id == current_user.user.id)
    )
    if connection is None:
        abort(404)
    if connection.status != ConnectionStatus.DISCONNECTED.value:
        disconnect(db.session(), connection, "disconnected in Relance", actor_user_id=current_user.user.id)
        db.session.commit()
        start_job(tell_ledger_disconnected, current_user.user.id, organisation_id, connection.id)
        flash(
            _(
                "%(name)s is disconnected. Its data stays in Relance; reconnect any time.",
                name=connection.tenant_name,
            )
        )
    return redirect(url_for("dashboard.home"))


# The pages each ledger's marketplace sends people to (their paths are registered there), one
# view per kind of entry point, each route's endpoint named `<ledger>_<kind>`.


def _signup(ledger: LedgerProvider) -> ResponseReturnValue:
    """A marketplace's sign-up: one consent signs the person up and connects their organisations."""
    return start_flow(ledger.name.value, "connect")


def _launch(ledger: LedgerProvider) -> ResponseReturnValue:
    """A marketplace's "open the app": signed-in people with an organisation go home; anyone else
    connects (and signs in)."""
    if current_user.is_authenticated and current_user.user.memberships:
        return redirect(url_for("dashboard.home"))
    return start_flow(ledger.name.value, "connect")


def _disconnected(ledger: LedgerProvider) -> ResponseReturnValue:
    """Where the ledger sends a person who disconnected Relance there (Intuit's Disconnect URL).

    Anyone can open this page, so it proves nothing by itself: a job checks with the ledger, and
    only for the company's own people signed in here. A stranger's visit costs no ledger call, and
    the page is rate-limited per address.
    """
    tenant = ledger.tenant_in_request(request.args)
    page = render_template("connect/disconnected.html", ledger=ledger.display_name)
    if not current_user.is_authenticated or not tenant.isalnum() or len(tenant) > 64:
        return page
    connection = db.session.scalar(
        select(Connection).where(Connection.provider == ledger.name.value, Connection.tenant_id == tenant)
    )
    if (
        connection is not None
        and connection.active
        and may_start(confirm_disconnected_in_ledger, current_user.user.id, connection.organisation_id)
    ):
        # One check at a time per connection, however often the page is opened.
        start_job(
            confirm_disconnected_in_ledger,
            current_user.user.id,
            connection.organisation_id,
            connection.id,
            job_id=f"confirm-disconnected-{connection.id}",
        )
    return page


ENTRY_VIEWS = {"signup": _signup, "launch": _launch, "disconnected": _disconnected}
# Anyone may open the disconnected page and each visit may start a job: a few a minute per address.
DISCONNECTED_PER_MINUTE = 10


def _entry_view(ledger: LedgerProvider, entry: EntryPoint) -> Callable[[], ResponseReturnValue]:
    def view() -> ResponseReturnValue:
        return ENTRY_VIEWS[entry.kind](ledger)

    view.__name__ = f"{ledger.name.value}_{entry.kind}"
    view.__doc__ = ENTRY_VIEWS[entry.kind].__doc__
    if entry.kind == "disconnected":
        return rate_limited(f"{ledger.name.value}_disconnect_url", per_minute=DISCONNECTED_PER_MINUTE)(view)
    return view


for _ledger in all_providers():
    for _entry in _ledger.entry_points:
        connect.add_url_rule(_entry.path, view_func=_entry_view(_ledger, _entry))
