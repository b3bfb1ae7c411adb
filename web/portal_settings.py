"""The customer portal's settings, in the staff app: how long a link in a reminder lasts, how far
ahead a customer may promise to pay, and the bank details the portal shows for a transfer."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import IntegerField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from reminders.portal.links import (
    LONGEST_BANK_DETAILS,
    LONGEST_LINK_DAYS,
    LONGEST_PROMISE_WINDOW_DAYS,
    PortalSettings,
    settings_of,
)
from runtime.db import db
from runtime.tenancy import Organisation, record

portal_settings = Blueprint("portal_settings", __name__)


class PortalSettingsForm(FlaskForm):
    link_days = IntegerField(
        _l("A link lasts (days)"),
        validators=[
            InputRequired(message=_l("Enter a number of days.")),
            NumberRange(
                min=1, max=LONGEST_LINK_DAYS, message=_l("From 1 to %(most)s days.", most=LONGEST_LINK_DAYS)
            ),
        ],
        description=_l(
            "Each reminder carries the customer's link to their portal; it works this many days after "
            "it was made. A new length applies to links made from now on. An expired link offers the "
            "customer a new one, sent to the address on file."
        ),
    )
    promise_window_days = IntegerField(
        _l("Customers may promise up to (days ahead)"),
        validators=[
            InputRequired(message=_l("Enter a number of days.")),
            NumberRange(
                min=1,
                max=LONGEST_PROMISE_WINDOW_DAYS,
                message=_l("From 1 to %(most)s days.", most=LONGEST_PROMISE_WINDOW_DAYS),
            ),
        ],
        description=_l(
            "How far ahead of today a customer may choose the date they promise to pay by, in the portal."
        ),
    )
    bank_details = TextAreaField(
        _l("Bank details for a transfer"),
        render_kw={"rows": 5, "cols": 60},
        validators=[
            Length(
                max=LONGEST_BANK_DETAILS,
                message=_l("At most %(most)s characters.", most=LONGEST_BANK_DETAILS),
            )
        ],
        description=_l(
            "As on your invoices: account name, sort code and account number, or IBAN and BIC. The portal "
            "shows them with the invoice numbers to quote as the reference. Empty: the portal offers only "
            "the ledger's online payment."
        ),
    )


@portal_settings.route("/organisations/<int:organisation_id>/settings/portal", methods=["GET", "POST"])
@login_required
def edit(organisation_id: int) -> ResponseReturnValue:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404)
    session = db.session()
    current = settings_of(session, organisation_id)
    form = PortalSettingsForm(
        data={
            "link_days": current.link_days,
            "promise_window_days": current.promise_window_days,
            "bank_details": current.bank_details,
        }
    )
    if request.method == "POST":
        if form.validate_on_submit():
            kept = session.get(PortalSettings, organisation_id) or PortalSettings(
                organisation_id=organisation_id
            )
            kept.link_days = int(form.link_days.data or 0)
            kept.promise_window_days = int(form.promise_window_days.data or 0)
            kept.bank_details = (form.bank_details.data or "").strip().replace("\r\n", "\n")
            session.add(kept)
            record(
                session,
                organisation_id,
                "settings.portal",
                "portal",
                current_user.user.id,
                link_days=kept.link_days,
                promise_window_days=kept.promise_window_days,
                bank_details_set=bool(kept.bank_details),
            )
            session.commit()
            flash(str(_l("Portal settings saved.")))
            return redirect(url_for("portal_settings.edit", organisation_id=organisation_id), 303)
        return render_template("settings/portal.html", organisation=organisation, form=form), 400
    return render_template("settings/portal.html", organisation=organisation, form=form)
