"""The home page: the organisations a person can see, and the state of each connection."""

from __future__ import annotations

from babel.dates import format_timedelta
from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import select

from integration.connections import Connection
from integration.providers import configured_providers
from reminders.reports.exports import first_sync_counts
from runtime.db import db
from runtime.tenancy import Membership, Organisation
from sync.status import SyncStatus, sync_statuses
from web import app_settings
from web.roles import may_open

dashboard = Blueprint("dashboard", __name__)


@dashboard.get("/")
@login_required
def home() -> ResponseReturnValue:
    rows = db.session.execute(
        select(Organisation, Connection, Membership.role)
        .join(Membership, Membership.organisation_id == Organisation.id)
        .outerjoin(Connection, Connection.organisation_id == Organisation.id)
        .where(Membership.user_id == current_user.user.id)
        .order_by(Organisation.name)
    ).all()
    statuses = {
        status.organisation_id: status
        for status in sync_statuses(db.session(), [organisation.id for organisation, _, _ in rows])
    }
    return render_template(
        "dashboard/home.html",
        rows=rows,
        statuses=statuses,
        providers=configured_providers(app_settings()),
        since=since,
        may_open=may_open,
        first_sync_counts=lambda first_sync: first_sync_counts(first_sync, "en_GB"),
    )


@dashboard.get("/organisations/<int:organisation_id>")
@login_required
def organisation(organisation_id: int) -> ResponseReturnValue:
    """One organisation's dashboard."""
    found = db.session.get(Organisation, organisation_id)
    return render_template("dashboard/organisation.html", organisation=found)


def since(status: SyncStatus | None) -> str:
    """'3 minutes ago', for the end of the last sync that ran to its end."""
    if status is None or status.lag is None:
        return "not yet"
    return format_timedelta(-status.lag, granularity="second", add_direction=True, locale="en_GB")
