"""The practice view (every organisation a person reaches, with its figures and what needs a
person) and each organisation's dashboard (its key figures, aging, customers to act on first and
sync status, with "Sync now")."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel.dates import format_timedelta
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select

from integration.connections import Connection, ConnectionStatus
from integration.providers import configured_providers
from reminders.attention import Attention, AttentionKind, going_out_today, needing_attention
from reminders.customers import bucket_past
from reminders.handoff import customers_past_the_age, rules_of
from reminders.receivables.kept_figures import dashboard_figures, kept_practice_figures
from reminders.receivables.overview import FirstOrder, PracticeFigures, aging_trend, customers_to_act_on
from runtime import clock
from runtime.db import db
from runtime.tenancy import Membership, Organisation
from sync.jobs import sync_tenant
from sync.status import FirstSync, SyncStatus, sync_statuses
from web import app_settings
from web.i18n import ENGLISH
from web.roles import may_open, start_job

dashboard = Blueprint("dashboard", __name__)

# The practice view's columns one may sort by, and how a row is ordered by each.
SORTS = ("name", "owed", "overdue", "over_90", "dso", "dso_change", "attention")
LONGEST_SEARCH = 100
PAST_THE_AGE_SHOWN = 10  # the dashboard's end-of-the-road card: the largest overdue balances

ATTENTION_LABELS = {
    AttentionKind.NEEDS_RECONNECT: _l("Reconnect the ledger"),
    AttentionKind.SYNC_FAILED: _l("Last sync failed"),
    AttentionKind.FIRST_SYNC_RUNNING: _l("First sync still running"),
    AttentionKind.ZONE_UNKNOWN: _l("Time zone not known"),
    AttentionKind.AWAITING_APPROVAL: _l("Reminders awaiting approval"),
    AttentionKind.OPEN_DISPUTES: _l("Open disputes"),
    AttentionKind.BROKEN_PROMISES: _l("Broken promises"),
    AttentionKind.FEES_AWAITING_REVIEW: _l("Late fees awaiting review"),
    AttentionKind.ADDRESSES_AWAITING: _l("Reminder addresses awaiting approval"),
}

RISK_NAMES = {"low": _l("Low risk"), "medium": _l("Medium risk"), "high": _l("High risk")}


@dataclass
class PracticeRow:
    """One organisation in the practice view."""

    organisation: Organisation
    connection: Connection | None
    role: str
    status: SyncStatus | None
    figures: PracticeFigures
    attention: list[Attention]
    going_out: int | None

    def key(self, sort: str) -> tuple[Any, ...]:
        """How the row orders by ``sort``: rows without a figure go last either way."""
        today = self.figures
        value: Any = {
            "name": self.organisation.name.casefold(),
            "owed": today.owed,
            "overdue": today.overdue,
            "over_90": today.over_90,
            "dso": today.dso,
            "dso_change": self.figures.dso_change,
            "attention": sum(item.count for item in self.attention),
        }[sort]
        return (value is None, value if value is not None else Decimal(0), self.organisation.id)


@dashboard.get("/")
@login_required
def home() -> ResponseReturnValue:
    """The practice view: the person's organisations, searchable and sortable; the onboarding
    when they have none."""
    sort = request.args.get("sort", "name")
    direction = request.args.get("dir", "asc")
    search = request.args.get("q", "").strip()
    if sort not in SORTS or direction not in ("asc", "desc"):
        abort(400, description=_("Sort by one of the table's columns, ascending or descending."))
    if len(search) > LONGEST_SEARCH:
        abort(400, description=_("Search for at most %(count)s characters.", count=LONGEST_SEARCH))
    query = (
        select(Organisation, Connection, Membership.role)
        .join(Membership, Membership.organisation_id == Organisation.id)
        .outerjoin(Connection, Connection.organisation_id == Organisation.id)
        .where(Membership.user_id == current_user.user.id)
        .order_by(Organisation.name, Organisation.id)
    )
    everything = db.session.scalar(
        select(func.count()).select_from(Membership).where(Membership.user_id == current_user.user.id)
    )
    if search:
        query = query.where(Organisation.name.ilike(f"%{escape_like(search)}%", escape="\\"))
    found = db.session.execute(query).all()
    ids = [organisation.id for organisation, _, _ in found]
    statuses = {status.organisation_id: status for status in sync_statuses(db.session(), ids)}
    attention = needing_attention(db.session(), ids)
    going_out = going_out_today(db.session(), ids)
    figures = kept_practice_figures(
        db.session(), {organisation.id: clock.today(organisation.timezone) for organisation, _, _ in found}
    )
    rows = [
        PracticeRow(
            organisation,
            connection,
            role,
            statuses.get(organisation.id),
            figures[organisation.id],
            attention.get(organisation.id, []),
            None if going_out is None else going_out.get(organisation.id, 0),
        )
        for organisation, connection, role in found
    ]
    rows.sort(key=lambda row: row.key(sort), reverse=direction == "desc")
    if direction == "desc":  # still: rows without the figure last
        rows.sort(key=lambda row: row.key(sort)[0])
    return render_template(
        "dashboard/home.html",
        rows=rows,
        everything=everything,
        search=search,
        sort=sort,
        direction=direction,
        providers=configured_providers(app_settings()),
        since=since,
        may_open=may_open,
        first_sync_read=first_sync_read,
        attention_label=attention_label,
        schedules_exist=going_out is not None,
        endpoints=current_app.view_functions,
    )


@dashboard.get("/organisations/<int:organisation_id>")
@login_required
def organisation(organisation_id: int) -> ResponseReturnValue:
    """One organisation's dashboard."""
    found = db.session.get(Organisation, organisation_id)
    if found is None:
        abort(404)
    session = db.session()
    today = clock.today(found.timezone)
    statuses = sync_statuses(session, [organisation_id])
    connection = session.scalar(select(Connection).where(Connection.organisation_id == organisation_id))
    figures, aging = dashboard_figures(session, organisation_id, today)
    trend = aging_trend(session, organisation_id, today)
    return render_template(
        "dashboard/organisation.html",
        organisation=found,
        today=today,
        long_today=format_date(today, "long"),
        risk_names=RISK_NAMES,
        figures=figures,
        connection=connection,
        status=statuses[0] if statuses else None,
        attention=needing_attention(session, [organisation_id])[organisation_id],
        aging_chart=aging_chart(aging.labels, aging.totals, found.base_currency),
        trend=trend,
        trend_chart=trend_chart(trend.days, trend.labels, trend.amounts) if len(trend.days) >= 2 else None,
        largest_overdue=customers_to_act_on(session, organisation_id, FirstOrder.LARGEST_OVERDUE),
        highest_risk=customers_to_act_on(session, organisation_id, FirstOrder.HIGHEST_RISK),
        **_past_the_age(session, found),
        customer_pages="customers.page" in current_app.view_functions,
        endpoints=current_app.view_functions,
        since=since,
        first_sync_read=first_sync_read,
        attention_label=attention_label,
        bucket_label=bucket_label,
        may_open=may_open,
        role=g.get("role"),
    )


@dashboard.post("/organisations/<int:organisation_id>/sync")
@login_required
def sync_now(organisation_id: int) -> ResponseReturnValue:
    """Queue a sync of the organisation's connection, once: a sync already waiting is not queued again."""
    connection = db.session.scalar(select(Connection).where(Connection.organisation_id == organisation_id))
    back = redirect(url_for("dashboard.organisation", organisation_id=organisation_id), 303)
    if connection is None or connection.status != ConnectionStatus.ACTIVE.value:
        flash(_("This organisation has no live connection to its ledger: there is nothing to sync."))
        return back
    queued = start_job(
        sync_tenant,
        current_user.user.id,
        organisation_id,
        connection.id,
        queue_name="sync",
        job_id=f"sync-now-{connection.id}",
    )
    flash(
        _("A sync is queued: the figures update when it ends.")
        if queued is not None
        else _("A sync is already queued or running.")
    )
    return back


def _past_the_age(session: Any, organisation: Organisation) -> dict[str, Any]:
    """The end-of-the-road card: the largest few past the age, and how many more the customers
    list (filtered to the age's bucket, largest overdue first) shows."""
    found = customers_past_the_age(session, organisation)
    age = rules_of(session, organisation.id).age_days
    return {
        "past_the_age": found[:PAST_THE_AGE_SHOWN],
        "past_the_age_more": max(0, len(found) - PAST_THE_AGE_SHOWN),
        "past_the_age_list": {"bucket": bucket_past(organisation.id, age), "sort": "overdue"},
        "handoff_age": age,
    }


def escape_like(text: str) -> str:
    """``text`` as a literal inside a LIKE pattern."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def since(status: SyncStatus | None) -> str:
    """'3 minutes ago', for the end of the last sync that ran to its end."""
    if status is None or status.lag is None:
        return _("not yet")
    return format_timedelta(
        -status.lag, granularity="second", add_direction=True, locale=get_locale() or ENGLISH
    )


def first_sync_read(first_sync: FirstSync) -> str:
    """'340 customers, 1,200 invoices (reading now)': what a first sync has read so far."""
    names = {
        "contacts": lambda n: ngettext("%(num)s customer", "%(num)s customers", n),
        "invoices": lambda n: ngettext("%(num)s invoice", "%(num)s invoices", n),
        "credit_notes": lambda n: ngettext("%(num)s credit note", "%(num)s credit notes", n),
        "payments": lambda n: ngettext("%(num)s payment", "%(num)s payments", n),
    }
    parts = []
    for kind, count in first_sync.counts.items():
        part = names[kind](count) if kind in names else f"{count} {kind}"
        parts.append(_("%(part)s (reading now)", part=part) if kind == first_sync.reading else part)
    return ", ".join(parts)


def attention_label(item: Attention) -> str:
    """What needs a person, in the page's language."""
    return str(ATTENTION_LABELS.get(item.kind, item.label))


def bucket_label(label: str) -> str:
    """'current', '1-30', 'over 120' in the page's language."""
    if label == "current":
        return _("Current")
    if label.startswith("over "):
        return _("Over %(days)s days", days=label.removeprefix("over "))
    return _("%(range)s days", range=label)


def aging_chart(labels: tuple[str, ...], totals: list[Decimal], currency: str) -> dict[str, Any]:
    """Chart.js configuration of today's aging as bars, one per bucket."""
    return {
        "type": "bar",
        "data": {
            "labels": [bucket_label(label) for label in labels],
            "datasets": [
                {
                    "label": _("Owed (%(currency)s)", currency=currency),
                    # Exact decimal strings (JSON has no decimal type); Chart.js reads them as numbers.
                    "data": [str(total) for total in totals],
                    "backgroundColor": "#1a6b4f",
                }
            ],
        },
        "options": {"plugins": {"legend": {"display": False}}, "maintainAspectRatio": False},
    }


# One colour per bucket, from current (green) to the oldest (red).
TREND_COLOURS = ("#1a6b4f", "#5f9e6e", "#c9a227", "#d9822b", "#c2512f", "#a3262a", "#6e1b1e")


def trend_chart(days: list[Any], labels: list[str], amounts: dict[str, list[Decimal]]) -> dict[str, Any]:
    """Chart.js configuration of the daily snapshots, stacked by bucket."""
    return {
        "type": "bar",
        "data": {
            "labels": [day.isoformat() for day in days],
            "datasets": [
                {
                    "label": bucket_label(label),
                    "data": [str(amount) for amount in amounts[label]],
                    "backgroundColor": TREND_COLOURS[min(position, len(TREND_COLOURS) - 1)],
                }
                for position, label in enumerate(labels)
            ],
        },
        "options": {
            "maintainAspectRatio": False,
            "scales": {"x": {"stacked": True}, "y": {"stacked": True}},
        },
    }
