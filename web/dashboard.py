"""The home page: the organisations a person can see, and the state of each connection."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from integration.connections import Connection
from integration.providers import configured_providers
from runtime.db import db
from runtime.tenancy import Membership, Organisation
from web import settings

dashboard = Blueprint("dashboard", __name__)


@dashboard.get("/")
@login_required
def home():  # type: ignore[no-untyped-def]
    rows = db.session.execute(
        select(Organisation, Connection)
        .join(Membership, Membership.organisation_id == Organisation.id)
        .outerjoin(Connection, Connection.organisation_id == Organisation.id)
        .where(Membership.user_id == current_user.user.id)
        .order_by(Organisation.name)
    ).all()
    return render_template("dashboard.html", rows=rows, providers=configured_providers(settings()))
