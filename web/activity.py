"""The activity log's words: each audit event as a line a person reads (the team area's activity page).

Known actions have their own sentence, filled from the event's details; any other reads as its
kind and what happened ("Reminder: sent"), so an action added later shows without a change here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from integration.providers import UnknownProvider
from integration.providers import provider as provider_named
from runtime.db import db
from runtime.team import ActivityFilter, Trail
from runtime.tenancy import AuditEvent
from sync.models import Customer

# The kinds of act people filter by: an action's first part.
KINDS = {
    "connection": _l("Ledger connection"),
    "customer": _l("Customers"),
    "settings": _l("Settings"),
    "reminder": _l("Reminders"),
    "hold": _l("Holds"),
    "promise": _l("Promises to pay"),
    "dispute": _l("Disputes"),
    "note": _l("Notes"),
    "team": _l("Team"),
    "sync": _l("Sync"),
    "organisation": _l("Organisation"),
    "weekly_report": _l("Weekly report"),
    "risk": _l("Risk"),
    "schedule": _l("Schedules"),
}
# Sentences for the actions known today; %(…)s names come from the event's details.
SENTENCES = {
    "connection.connected": _l("Connected %(tenant)s in %(provider)s"),
    "connection.reconnected": _l("Reconnected %(tenant)s in %(provider)s"),
    "connection.needs_reconnect": _l("The ledger connection needs reconnecting"),
    "connection.disconnected": _l("Disconnected from the ledger"),
    "settings.changed": _l("Changed the collection settings"),
    "organisation.facts_updated": _l("Updated the organisation's details from the ledger"),
    "weekly_report.sent": _l("Sent the weekly report"),
    "weekly_report.skipped": _l("Did not send the weekly report: %(reason)s"),
    "team.invited": _l("Invited %(email)s as %(role)s"),
    "team.invitation_resent": _l("Sent the invitation to %(email)s again"),
    "team.invitation_cancelled": _l("Cancelled the invitation to %(email)s"),
    "team.joined": _l("Joined the team as %(role)s"),
    "team.role_changed": _l("Changed a role from %(before)s to %(after)s"),
    "team.removed": _l("Removed someone (%(role)s) from the team"),
    "team.left": _l("Left the team"),
}
ROLE_WORDS = {"owner": _l("owner"), "accountant": _l("accountant"), "member": _l("member")}
LARGEST_ID = 2**31 - 1


def _number(text: str | None) -> int | None:
    if text and text.isascii() and text.isdigit() and len(text) <= 10 and 0 < int(text) <= LARGEST_ID:
        return int(text)
    return None


def filter_from(args: Mapping[str, str]) -> ActivityFilter:
    """The page's filters from its query string; a value that names nothing is ignored."""
    kind = args.get("kind", "")
    return ActivityFilter(
        user_id=_number(args.get("person")),
        kind=kind if kind.isascii() and kind.replace("_", "").isalnum() and len(kind) <= 32 else "",
        customer_id=_number(args.get("customer")),
        page=min(_number(args.get("page")) or 1, 100000),
    )


def kind_name(kind: str) -> str:
    return str(KINDS[kind]) if kind in KINDS else kind.replace("_", " ").capitalize()


def customer_names(organisation_id: int, ids: list[int]) -> dict[int, str]:
    """The names of the organisation's customers among ``ids`` (the mirror's plain read)."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(Customer.id, Customer.name).where(
            Customer.organisation_id == organisation_id, Customer.id.in_(ids)
        )
    )
    return {customer_id: name for customer_id, name in rows}


def sentence(event: AuditEvent) -> str:
    details = {key: str(value) for key, value in (event.details or {}).items()}
    if "provider" in details:
        with contextlib.suppress(UnknownProvider):
            details["provider"] = provider_named(details["provider"]).display_name
    for key in ("role", "before", "after"):
        if details.get(key) in ROLE_WORDS:
            details[key] = str(ROLE_WORDS[details[key]])
    known = SENTENCES.get(event.action)
    if known is not None:
        try:
            return str(known) % details
        except (KeyError, ValueError, TypeError):
            pass
    kind, _dot, what = event.action.partition(".")
    return str(
        _("%(kind)s: %(what)s", kind=kind_name(kind), what=what.replace("_", " ").replace(".", " ") or kind)
    )


def describe(event: AuditEvent, found: Trail, customers: dict[int, str]) -> dict[str, Any]:
    """One line of the page: when, who, what, and what it is about."""
    actor = found.actors.get(event.actor_user_id) if event.actor_user_id is not None else None
    customer_id = None
    if event.subject.startswith("customer:"):
        customer_id = _number(event.subject.split(":", 1)[1])
    return {
        "when": format_datetime(event.occurred_at, "medium"),
        "iso": event.occurred_at.isoformat(),
        "who": (actor.name or actor.email)
        if actor
        else (_("Someone who has left") if event.actor_user_id else "Relance"),
        "what": sentence(event),
        "customer_id": customer_id,
        "customer": customers.get(customer_id, "") if customer_id is not None else "",
    }
