"""An organisation's collection settings: how receivables are aged, who counts as risky, and the day
the weekly report comes. Owners and accountants change them; every change goes in the audit trail.

This is the ``settings`` area (blueprint ``settings``, templates/settings/).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from zoneinfo import available_timezones

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import DecimalField, IntegerField, SelectField, StringField
from wtforms.fields import SelectChoice  # type: ignore[attr-defined]  # types-WTForms predates it (WTForms 3.3)
from wtforms.validators import NumberRange, Optional, StopValidation, ValidationError

from integration.zones import is_zone
from reminders.models import WEEKDAYS, CollectionSettings
from reminders.receivables.snapshots import settings_of
from reminders.risk.standing import rules_of
from runtime.db import db
from runtime.tenancy import Organisation, Role, record
from web.auth import membership_or_404

settings_area = Blueprint("settings", __name__)
RULES = ("min_history", "late_days_medium", "late_days_high", "worsening_days", "long_term_months")
# Bounds that keep a saved value from breaking the pages that use it: an aging edge of 10**20
# days is past any date, and a threshold of 1e999999 past what money arithmetic can quantise.
LONGEST_EDGE_DAYS = 3650
LARGEST_THRESHOLD = Decimal("1000000000000")  # a trillion, in the organisation's currency


def parse_edges(text: str) -> list[int]:
    """ "30, 60, 90" -> [30, 60, 90]: whole days, increasing, the first at least 1, at most 8."""
    parts = [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]
    # Plain ASCII digits only: int() also takes "1_000", Arabic-Indic digits and 5,000-digit strings.
    if not all(part.isascii() and part.isdigit() and len(part) <= 6 for part in parts):
        raise ValueError("write whole numbers of days separated by commas, such as 30, 60, 90, 120")
    edges = [int(part) for part in parts]
    if not edges or len(edges) > 8 or edges[0] < 1 or edges != sorted(set(edges)):
        raise ValueError("give 1 to 8 increasing numbers of days, the first at least 1")
    if edges[-1] > LONGEST_EDGE_DAYS:
        raise ValueError(f"the last bucket may end at {LONGEST_EDGE_DAYS} days (ten years) at most")
    return edges


def _finite_amount(_form: FlaskForm, field: DecimalField) -> None:
    """NaN and infinities are decimals too; they must be refused before any comparison."""
    if field.data is not None and not field.data.is_finite():
        raise StopValidation("give an amount, such as 5000")


def zone_choices(current: str) -> list[SelectChoice]:
    """Every Area/City zone this machine knows, by name (and the current one, whatever it is)."""
    zones = {
        zone
        for zone in available_timezones()
        if "/" in zone and not zone.startswith(("Etc/", "posix", "right"))
    }
    return [SelectChoice(zone, zone.replace("_", " ")) for zone in sorted(zones | {current})]


class SettingsForm(FlaskForm):
    timezone = SelectField("Time zone", validate_choice=False)
    aging_basis = SelectField(
        "Age invoices by",
        choices=[
            SelectChoice("due_date", "Days past the due date"),
            SelectChoice("invoice_date", "Days since the invoice date"),
        ],
    )
    aging_edges = StringField("Aging buckets end at (days)")
    weekly_report_weekday = SelectField(
        "Weekly collections report",
        choices=[SelectChoice("", "Do not send")]
        + [SelectChoice(str(i), day) for i, day in enumerate(WEEKDAYS)],
    )
    large_account_threshold = DecimalField(
        "Large accounts owe at least",
        places=2,
        validators=[Optional(), _finite_amount, NumberRange(min=0, max=LARGEST_THRESHOLD)],
    )
    min_history = IntegerField(
        "Paid invoices before a customer has a history", validators=[NumberRange(1, 100)]
    )
    late_days_medium = IntegerField(
        "Medium risk from (days late on average)", validators=[NumberRange(0, 365)]
    )
    late_days_high = IntegerField("High risk from (days late on average)", validators=[NumberRange(1, 365)])
    worsening_days = IntegerField(
        "Getting worse when recent payments are later by (days)", validators=[NumberRange(1, 365)]
    )
    long_term_months = IntegerField("Long-term customer after (months)", validators=[NumberRange(1, 600)])

    def validate_timezone(self, field: SelectField) -> None:
        if field.data and not is_zone(field.data):
            raise ValidationError("choose a time zone from the list")

    def validate_aging_edges(self, field: StringField) -> None:
        try:
            parse_edges(field.data or "")
        except ValueError as error:
            raise ValidationError(str(error)) from None

    def validate_late_days_high(self, field: IntegerField) -> None:
        if (
            self.late_days_medium.data is not None
            and field.data is not None
            and field.data <= self.late_days_medium.data
        ):
            raise ValidationError("must be more days than medium risk")


def _organisation_for_change(organisation_id: int) -> Organisation:
    membership = membership_or_404(organisation_id)
    if membership.role not in (Role.OWNER.value, Role.ACCOUNTANT.value):
        abort(403, description="Only owners and accountants change collection settings.")
    return membership.organisation


def _current(settings: CollectionSettings) -> dict[str, Any]:
    rules = rules_of(settings)
    return {
        "aging_basis": settings.aging_basis,
        "aging_edges": ", ".join(str(edge) for edge in settings.aging_edges),
        "weekly_report_weekday": ""
        if settings.weekly_report_weekday is None
        else str(settings.weekly_report_weekday),
        "large_account_threshold": rules.large_account_threshold,
        **{name: getattr(rules, name) for name in RULES},
    }


def _zone_choice(organisation: Organisation) -> str:
    """The form's value: the owner's zone, or "" when the zone follows the ledger."""
    return organisation.timezone if organisation.timezone_set_by == "owner" else ""


def _follow_the_ledger(organisation: Organisation) -> str:
    if organisation.timezone_set_by == "default":
        return f"Not known from the ledger (using {organisation.timezone}): choose one"
    return "As in the ledger" + (
        "" if organisation.timezone_set_by == "owner" else f" ({organisation.timezone})"
    )


def _set_zone(organisation: Organisation, zone: str) -> None:
    """The owner's choice wins over the ledger's; choosing the ledger again reads it at the next sync."""
    if zone:
        organisation.timezone, organisation.timezone_set_by = zone, "owner"
    elif organisation.timezone_set_by == "owner":
        organisation.timezone_set_by = "default"
        organisation.facts_refreshed_at = None


@settings_area.route("/organisations/<int:organisation_id>/settings", methods=["GET", "POST"])
@login_required
def edit(organisation_id: int) -> ResponseReturnValue:
    organisation = _organisation_for_change(organisation_id)
    settings = db.session.get(CollectionSettings, organisation.id) or settings_of(organisation.id)
    before = {**_current(settings), "timezone": _zone_choice(organisation)}
    form = SettingsForm(data=before)
    form.large_account_threshold.label.text = f"Large accounts owe at least ({organisation.base_currency})"
    form.timezone.choices = [
        SelectChoice("", _follow_the_ledger(organisation)),
        *zone_choices(organisation.timezone),
    ]
    if form.validate_on_submit():
        _set_zone(organisation, form.timezone.data or "")
        settings.aging_basis = form.aging_basis.data
        settings.aging_edges = parse_edges(form.aging_edges.data or "")
        day = form.weekly_report_weekday.data
        settings.weekly_report_weekday = int(day) if day else None
        threshold = form.large_account_threshold.data
        settings.risk_rules = {
            **{name: getattr(form, name).data for name in RULES},
            **({"large_account_threshold": str(threshold)} if threshold is not None else {}),
        }
        db.session.add(settings)
        after = {**_current(settings), "timezone": _zone_choice(organisation)}
        changed = {key: str(after[key]) for key in after if after[key] != before[key]}
        if changed:
            record(
                db.session(),
                organisation.id,
                "settings.changed",
                "collection settings",
                current_user.user.id,
                **changed,
            )
        db.session.commit()
        flash("Collection settings saved." if changed else "Nothing changed.")
        return redirect(url_for("settings.edit", organisation_id=organisation.id))
    return render_template("settings/edit.html", form=form, organisation=organisation), (
        400 if form.errors else 200
    )
