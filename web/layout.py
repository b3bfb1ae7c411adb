"""What every staff page shares: the organisation it is about, the person's other organisations
(the switcher), and the areas of that organisation they may open (the navigation).

The organisation is the ``organisation_id`` in the URL, which ``web.roles.enforce`` has already
checked the person belongs to; its zone becomes the zone the page's dates are shown in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from runtime.db import db
from runtime.tenancy import Membership, Organisation
from web.roles import may_open


@dataclass(frozen=True)
class Place:
    """One organisation the person can reach, with their role in it."""

    id: int
    name: str
    role: str


# The areas of an organisation, in the navigation's order: (endpoint, label).
AREAS = (
    ("dashboard.organisation", _l("Dashboard")),
    ("customers.index", _l("Customers")),
    ("receivables.page", _l("Aged receivables")),
    ("reminders.review", _l("Reminders")),
    ("reminders.calls", _l("Calls")),
    ("schedules.index", _l("Schedules")),
    ("team.index", _l("Team")),
    ("team.activity", _l("Activity")),
    ("settings.edit", _l("Settings")),
)


def places() -> list[Place]:
    """The organisations the signed-in person belongs to, by name (once per request)."""
    if "places" not in g:
        g.places = (
            [
                Place(organisation_id, name, role)
                for organisation_id, name, role in db.session.execute(
                    select(Organisation.id, Organisation.name, Membership.role)
                    .join(Membership, Membership.organisation_id == Organisation.id)
                    .where(Membership.user_id == current_user.user.id)
                    .order_by(Organisation.name, Organisation.id)
                )
            ]
            if current_user.is_authenticated
            else []
        )
    found: list[Place] = g.places
    return found


def current_place() -> Place | None:
    """The organisation this page is about, if the URL names one the person belongs to."""
    organisation_id = (request.view_args or {}).get("organisation_id")
    return next((place for place in places() if place.id == organisation_id), None)


def areas_of(place: Place) -> list[tuple[str, Any]]:
    """The areas of ``place`` the person's role may open (and that exist in this build)."""
    return [
        (endpoint, label)
        for endpoint, label in AREAS
        if endpoint in current_app.view_functions and may_open(endpoint, place.role)
    ]


def install(app: Flask) -> None:

    @app.before_request
    def organisation_zone() -> None:
        organisation_id = (request.view_args or {}).get("organisation_id")
        if isinstance(organisation_id, int) and current_user.is_authenticated:
            zone = db.session.scalar(select(Organisation.timezone).where(Organisation.id == organisation_id))
            if zone:
                g.organisation_timezone = zone

    @app.context_processor
    def layout() -> dict[str, Any]:
        return {
            "places": places,
            "current_place": current_place,
            "areas_of": areas_of,
        }
