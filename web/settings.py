"""An organisation's settings: who its reminders come from (sender name, reply-to address, logo),
its time zone, how receivables are aged, who counts as risky, and the day the weekly report comes.
Owners and accountants change them; every change goes in the audit trail.

This is the ``settings`` area (blueprint ``settings``, templates/settings/). The logo is checked
and kept by reminders.logos, and served here with the type its bytes are.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Any
from zoneinfo import available_timezones

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DecimalField, IntegerField, SelectField, StringField
from wtforms.fields import SelectChoice  # type: ignore[attr-defined]  # types-WTForms predates it (WTForms 3.3)
from wtforms.validators import (
    Email,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)

from integration.zones import is_zone
from reminders.logos import CheckedLogo, NotALogo, check_logo, keep_logo, logo_of, remove_logo
from reminders.models import MAX_LOGO_BYTES, WEEKDAYS, CollectionSettings, OrganisationLogo
from reminders.receivables.snapshots import settings_of
from reminders.risk.standing import rules_of
from runtime.db import db
from runtime.tenancy import Organisation, Role, record
from web.auth import membership_or_404
from web.customer_panels import SETTINGS_PAGES

settings_area = Blueprint("settings", __name__)
RULES = ("min_history", "late_days_medium", "late_days_high", "worsening_days", "long_term_months")
# Bounds that keep a saved value from breaking the pages that use it: an aging edge of 10**20
# days is past any date, and a threshold of 1e999999 past what money arithmetic can quantise.
LONGEST_EDGE_DAYS = 3650
LARGEST_THRESHOLD = Decimal("1000000000000")  # a trillion, in the organisation's currency
LONGEST_SENDER_NAME = 100
WEEKDAY_NAMES = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)
assert len(WEEKDAY_NAMES) == len(WEEKDAYS)


def parse_edges(text: str) -> list[int]:
    """ "30, 60, 90" -> [30, 60, 90]: whole days, increasing, the first at least 1, at most 8."""
    parts = [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]
    # Plain ASCII digits only: int() also takes "1_000", Arabic-Indic digits and 5,000-digit strings.
    if not all(part.isascii() and part.isdigit() and len(part) <= 6 for part in parts):
        raise ValueError(_("write whole numbers of days separated by commas, such as 30, 60, 90, 120"))
    edges = [int(part) for part in parts]
    if not edges or len(edges) > 8 or edges[0] < 1 or edges != sorted(set(edges)):
        raise ValueError(_("give 1 to 8 increasing numbers of days, the first at least 1"))
    if edges[-1] > LONGEST_EDGE_DAYS:
        raise ValueError(
            _("the last bucket may end at %(days)s days (ten years) at most", days=LONGEST_EDGE_DAYS)
        )
    return edges


def _finite_amount(_form: FlaskForm, field: DecimalField) -> None:
    """NaN and infinities are decimals too; they must be refused before any comparison."""
    if field.data is not None and not field.data.is_finite():
        raise StopValidation(_("give an amount, such as 5000"))


def _one_line(_form: FlaskForm, field: StringField) -> None:
    """A display name goes into an email's From header: no newline or other control character
    (a newline there would start a header of the sender's choosing)."""
    if field.data and any(unicodedata.category(char).startswith("C") for char in field.data):
        raise ValidationError(_("write the name on one line, without special characters"))


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


LOGO_PROBLEMS = {
    "empty": _l("the file is empty"),
    "too_large": _l("the file is %(size_kb)s KB; a logo may be %(largest_kb)s KB at most"),
    "not_an_image": _l("the file is not a PNG or JPEG image"),
    "unreadable": _l("the file is not a readable %(format)s image"),
    "too_many_pixels": _l("the image is %(width)s by %(height)s pixels; %(largest)s on a side at most"),
}


def zone_choices(current: str) -> list[SelectChoice]:
    """Every Area/City zone this machine knows, by name (and the current one, whatever it is)."""
    zones = {
        zone
        for zone in available_timezones()
        if "/" in zone and not zone.startswith(("Etc/", "posix", "right"))
    }
    return [SelectChoice(zone, zone.replace("_", " ")) for zone in sorted(zones | {current})]


class SettingsForm(FlaskForm):
    sender_name = StringField(
        _l("Sender name"),
        description=_l(
            "The name your customers see as the sender of a reminder, such as “Harbour Cafe accounts”. "
            "Empty: the organisation's name."
        ),
        filters=[_strip],
        validators=[Optional(), Length(max=LONGEST_SENDER_NAME), _one_line],
    )
    reply_to = StringField(
        _l("Reply-to address"),
        description=_l(
            "Where your customers' replies to a reminder go, such as accounts@example.com. "
            "Empty: replies go to the sending address."
        ),
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=254),
            Email(message=_l("write one email address, such as accounts@example.com")),
        ],
    )
    sending_mode = SelectField(
        _l("Sending"),
        choices=[
            SelectChoice("review", _l("Review before sending: a person approves each reminder")),
            SelectChoice("automatic", _l("Automatic: reminders go at the send time")),
        ],
        description=_l(
            "A newly connected organisation starts in review. Stages that need approval are reviewed "
            "in both modes."
        ),
    )
    send_time = StringField(
        _l("Send time (HH:MM)"),
        filters=[_strip],
        validators=[
            Regexp(
                r"^([01][0-9]|2[0-3]):[0-5][0-9]$", message=_l("write a time of day as HH:MM, such as 09:00")
            )
        ],
    )
    fresh_sync_hours = IntegerField(
        _l("Hold automatic sending after (hours without a sync)"),
        validators=[NumberRange(1, 168, message=_l("a number of hours, 1 to 168"))],
        description=_l(
            "Hours, 1 to 168: automatic sending holds when the last completed sync is older than this."
        ),
    )
    logo = FileField(
        _l("Logo"),
        description=_l(
            "A PNG or JPEG image of at most %(largest)s KB, shown on your reminders and PDF reports.",
            largest=MAX_LOGO_BYTES // 1024,
        ),
    )
    remove_logo = BooleanField(_l("Remove the logo"))
    timezone = SelectField(
        _l("Time zone"),
        validate_choice=False,
        description=_l(
            "“Today” for aging and the time the weekly report goes (07:00) are in this zone. "
            "“As in the ledger” follows the ledger's setting."
        ),
    )
    aging_basis = SelectField(
        _l("Age invoices by"),
        choices=[
            SelectChoice("due_date", _l("Days past the due date")),
            SelectChoice("invoice_date", _l("Days since the invoice date")),
        ],
        description=_l("What an invoice's age counts from, in the report, the dashboard and the reminders."),
    )
    aging_edges = StringField(
        _l("Aging buckets end at (days)"),
        description=_l(
            "Whole days, increasing, separated by commas: 30, 60, 90, 120 gives Current, 1-30, 31-60, "
            "61-90, 91-120 and Over 120 days."
        ),
    )
    weekly_report_weekday = SelectField(
        _l("Weekly collections report"),
        choices=[SelectChoice("", _l("Do not send"))]
        + [SelectChoice(str(i), day) for i, day in enumerate(WEEKDAY_NAMES)],
        description=_l(
            "The day the owners get the week's collections by email, at 07:00 in the time zone above."
        ),
    )
    large_account_threshold = DecimalField(
        _l("Large accounts owe at least"),
        places=2,
        validators=[Optional(), _finite_amount, NumberRange(min=0, max=LARGEST_THRESHOLD)],
    )
    min_history = IntegerField(
        _l("Paid invoices before a customer has a history"),
        validators=[NumberRange(1, 100)],
        description=_l("A number of paid invoices, 1 to 100: below it, a customer's risk is not judged yet."),
    )
    late_days_medium = IntegerField(
        _l("Medium risk from (days late on average)"),
        validators=[NumberRange(0, 365)],
        description=_l("Days, 0 to 365: how late on average a customer pays before they are medium risk."),
    )
    late_days_high = IntegerField(
        _l("High risk from (days late on average)"),
        validators=[NumberRange(1, 365)],
        description=_l("Days, 1 to 365, more than medium risk."),
    )
    worsening_days = IntegerField(
        _l("Getting worse when recent payments are later by (days)"),
        validators=[NumberRange(1, 365)],
        description=_l("Days, 1 to 365: how much later than usual the recent payments must be."),
    )
    long_term_months = IntegerField(
        _l("Long-term customer after (months)"),
        validators=[NumberRange(1, 600)],
        description=_l("Months, 1 to 600, since the customer's first invoice."),
    )

    def validate_timezone(self, field: SelectField) -> None:
        if field.data and not is_zone(field.data):
            raise ValidationError(_("choose a time zone from the list"))

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
            raise ValidationError(_("must be more days than medium risk"))

    def validate_logo(self, field: FileField) -> None:
        """Checked by its content (reminders.logos); the checked logo is kept on the form."""
        self.checked_logo: CheckedLogo | None = None
        upload = field.data
        if upload is None or not getattr(upload, "filename", None):
            return
        try:
            self.checked_logo = check_logo(upload.read(MAX_LOGO_BYTES + 1))
        except NotALogo as problem:
            raise ValidationError(LOGO_PROBLEMS[problem.reason] % problem.details) from None


def _organisation_for_change(organisation_id: int) -> Organisation:
    membership = membership_or_404(organisation_id)
    if membership.role not in (Role.OWNER.value, Role.ACCOUNTANT.value):
        abort(403, description=_("Only owners and accountants change the organisation's settings."))
    return membership.organisation


def _current(settings: CollectionSettings) -> dict[str, Any]:
    rules = rules_of(settings)
    return {
        "sender_name": settings.sender_name or "",
        "reply_to": settings.reply_to or "",
        "aging_basis": settings.aging_basis,
        "aging_edges": ", ".join(str(edge) for edge in settings.aging_edges),
        "weekly_report_weekday": ""
        if settings.weekly_report_weekday is None
        else str(settings.weekly_report_weekday),
        "large_account_threshold": rules.large_account_threshold,
        "sending_mode": settings.sending_mode or "review",
        "send_time": settings.send_time or "09:00",
        "fresh_sync_hours": settings.fresh_sync_hours if settings.fresh_sync_hours is not None else 6,
        **{name: getattr(rules, name) for name in RULES},
    }


def _zone_choice(organisation: Organisation) -> str:
    """The form's value: the owner's zone, or "" when the zone follows the ledger."""
    return organisation.timezone if organisation.timezone_set_by == "owner" else ""


def _follow_the_ledger(organisation: Organisation) -> str:
    if organisation.timezone_set_by == "default":
        return _("Not known from the ledger (using %(zone)s): choose one", zone=organisation.timezone)
    if organisation.timezone_set_by == "owner":
        return _("As in the ledger")
    return _("As in the ledger (%(zone)s)", zone=organisation.timezone)


def _set_zone(organisation: Organisation, zone: str) -> None:
    """The owner's choice wins over the ledger's; choosing the ledger again reads it at the next sync."""
    if zone:
        organisation.timezone, organisation.timezone_set_by = zone, "owner"
    elif organisation.timezone_set_by == "owner":
        organisation.timezone_set_by = "default"
        organisation.facts_refreshed_at = None


def _logo_change(form: SettingsForm, organisation_id: int) -> str | None:
    """Keep or remove the logo as the form says; what changed, in the audit trail's words."""
    checked = getattr(form, "checked_logo", None)
    if checked is not None:
        keep_logo(db.session(), organisation_id, checked)
        return f"{checked.content_type}, {checked.width}x{checked.height}, {len(checked.image)} bytes"
    if form.remove_logo.data and remove_logo(db.session(), organisation_id):
        return "removed"
    return None


def logo_url(organisation_id: int) -> str | None:
    """Where the organisation's logo is shown from (None without one); the address changes with
    each upload, so a browser may keep it as long as it likes."""
    logo = logo_of(db.session(), organisation_id)
    if logo is None:
        return None
    return url_for("settings.logo", organisation_id=organisation_id, v=_version(logo))


@settings_area.route("/organisations/<int:organisation_id>/settings", methods=["GET", "POST"])
@login_required
def edit(organisation_id: int) -> ResponseReturnValue:
    organisation = _organisation_for_change(organisation_id)
    settings = db.session.get(CollectionSettings, organisation.id) or settings_of(organisation.id)
    before = {**_current(settings), "timezone": _zone_choice(organisation)}
    form = SettingsForm(data=before)
    form.large_account_threshold.label.text = _(
        "Large accounts owe at least (%(currency)s)", currency=organisation.base_currency
    )
    form.large_account_threshold.description = _(
        "An amount in %(currency)s, the organisation's base currency: a customer who owes this or more "
        "is a large account. Empty: no customer is.",
        currency=organisation.base_currency,
    )
    form.send_time.description = _(
        "The local time the day's reminders go, on business days, in the organisation's time zone "
        "(now %(zone)s).",
        zone=organisation.timezone,
    )
    form.timezone.choices = [
        SelectChoice("", _follow_the_ledger(organisation)),
        *zone_choices(organisation.timezone),
    ]
    if form.validate_on_submit():
        _set_zone(organisation, form.timezone.data or "")
        settings.sender_name = form.sender_name.data or None
        settings.reply_to = form.reply_to.data or None
        settings.aging_basis = form.aging_basis.data
        settings.aging_edges = parse_edges(form.aging_edges.data or "")
        day = form.weekly_report_weekday.data
        settings.weekly_report_weekday = int(day) if day else None
        settings.sending_mode = "automatic" if form.sending_mode.data == "automatic" else "review"
        settings.send_time = form.send_time.data or "09:00"
        settings.fresh_sync_hours = form.fresh_sync_hours.data or 6
        threshold = form.large_account_threshold.data
        settings.risk_rules = {
            **{name: getattr(form, name).data for name in RULES},
            **({"large_account_threshold": str(threshold)} if threshold is not None else {}),
        }
        db.session.add(settings)
        after = {**_current(settings), "timezone": _zone_choice(organisation)}
        changed = {key: str(after[key]) for key in after if after[key] != before[key]}
        logo = _logo_change(form, organisation.id)
        if logo is not None:
            changed["logo"] = logo
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
        flash(_("Settings saved.") if changed else _("Nothing changed."))
        return redirect(url_for("settings.edit", organisation_id=organisation.id))
    return render_template(
        "settings/edit.html",
        form=form,
        organisation=organisation,
        logo_url=logo_url(organisation.id),
        more_settings=SETTINGS_PAGES,
    ), (400 if form.errors else 200)


def _version(logo: OrganisationLogo) -> str:
    return str(int(logo.uploaded_at.timestamp() * 1000))


@settings_area.get("/organisations/<int:organisation_id>/logo")
@login_required
def logo(organisation_id: int) -> Response:
    """The organisation's logo, for its people, as the type its bytes are (and only that);
    404 when it has none."""
    membership_or_404(organisation_id)
    kept = logo_of(db.session(), organisation_id)
    if kept is None:
        abort(404, description=_("This organisation has no logo."))
    current = request.args.get("v") == _version(kept)
    return Response(
        kept.image,
        mimetype=kept.content_type,
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'",
            # An address of an older upload still shows the logo, but must not be kept as it.
            "Cache-Control": "private, max-age=31536000, immutable" if current else "private, no-cache",
        },
    )
