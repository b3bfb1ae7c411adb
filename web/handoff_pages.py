"""The end of the road in the staff app: the customer page's hand-off panel (the recommendation
with the odds, the pack, hand off and take back), the hand-off pack as a download, and the
organisation's hand-off settings (reminders.handoff).

Handing off and taking back are for owners and accountants (web/roles.py): they decide where the
organisation's debts go. Everyone of the organisation may read the panel and download the pack.
Each keeps a note for the ledger's contact and queues its write after the commit.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DecimalField, HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Regexp, StopValidation

from reminders.customers import customer_of
from reminders.handoff import (
    LONGEST_AGE,
    LONGEST_AGENCY,
    LONGEST_NOTE,
    LONGEST_REFERENCE,
    AlreadyHandedOff,
    Handoff,
    HandoffSettings,
    Recommendation,
    Why,
    hand_off,
    open_handoff,
    recommendation_for,
    rules_of,
    take_back,
)
from reminders.handoff_pack import handoff_pack, pack_name
from reminders.reports.exports import PdfUnavailable
from reminders.schedules.models import CustomerChasing
from reminders.schedules.planner import language_of
from reminders.writeback import queue_writes
from runtime import clock
from runtime.db import db
from runtime.tenancy import Organisation, User, record
from sync.models import Customer
from web.roles import RUNS_THE_BOOKS

handoff = Blueprint("handoff", __name__)

LARGEST_THRESHOLD = Decimal("1000000000")
KEY = Regexp(r"^[0-9a-f]{32}$", message=_l("reload the page and try again"))


def _finite_amount(_form: FlaskForm, field: DecimalField) -> None:
    if field.data is not None and not field.data.is_finite():
        raise StopValidation(_("give an amount, such as 100"))


class HandOffForm(FlaskForm):
    agency = StringField(_l("Collection agency"), validators=[DataRequired(), Length(max=LONGEST_AGENCY)])
    reference = StringField(_l("Agency's reference"), validators=[Length(max=LONGEST_REFERENCE)])
    note = TextAreaField(_l("Note"), validators=[Length(max=LONGEST_NOTE)])
    key = HiddenField(validators=[DataRequired(), KEY])


class TakeBackForm(FlaskForm):
    reason = StringField(_l("Why"), validators=[Length(max=LONGEST_NOTE)])
    key = HiddenField(validators=[DataRequired(), KEY])


class HandoffSettingsForm(FlaskForm):
    age_days = IntegerField(
        _l("Recommend a hand-off at (days past due)"),
        validators=[NumberRange(1, LONGEST_AGE, message=_l("a number of days, 1 to 3650"))],
        description=_l("Days the oldest invoice is past due; 80 to 90 is usual."),
    )
    write_off_below = DecimalField(
        _l("Recommend a write-off below"),
        places=2,
        validators=[_finite_amount, NumberRange(min=0, max=LARGEST_THRESHOLD)],
        description=_l(
            "An overdue balance below this, in the base currency, costs more to place than it brings."
        ),
    )


def _odds_text(advice: Recommendation) -> str:
    months = {90: 3, 180: 6, 365: 12}[advice.odds.days]
    return _(
        "A survey of US commercial collection agencies (Commercial Collection Agency Association): "
        "they collect %(percent)s%% of debts %(months)s months past due.",
        percent=str(advice.odds.percent),
        months=months,
    )


def handoff_panel(organisation: Organisation, customer: Customer) -> dict[str, Any] | None:
    """The customer page's hand-off panel: shown once the customer is past the age, or handed off."""
    session = db.session()
    current = open_handoff(session, organisation.id, customer.id)
    advice = recommendation_for(session, organisation, customer)
    if current is None and advice is None:
        return None
    by = (
        session.get(User, current.handed_off_by_user_id)
        if current and current.handed_off_by_user_id
        else None
    )
    return {
        "handoff": current,
        "handed_off_by": (by.name or by.email) if by else "",
        "advice": advice,
        # The odds are an agency's: beside a write-off they answer a question nobody asked.
        "odds": _odds_text(advice) if advice and advice.why == Why.OLD else "",
        "hand_off_form": HandOffForm(formdata=None, key=uuid.uuid4().hex),
        "take_back_form": TakeBackForm(formdata=None, key=uuid.uuid4().hex),
        "runs_the_books": g.get("role") in RUNS_THE_BOOKS,
    }


def _found(organisation_id: int, customer_id: int) -> tuple[Organisation, Customer]:
    organisation = db.session.get(Organisation, organisation_id)
    customer = customer_of(db.session(), organisation_id, customer_id) if organisation else None
    if organisation is None or customer is None:
        abort(404)
    return organisation, customer


def _back(organisation_id: int, customer_id: int) -> ResponseReturnValue:
    return redirect(
        url_for("customers.page", organisation_id=organisation_id, customer_id=customer_id) + "#handoff", 303
    )


@handoff.get("/organisations/<int:organisation_id>/customers/<int:customer_id>/handoff-pack")
@login_required
def pack(organisation_id: int, customer_id: int) -> ResponseReturnValue:
    """The hand-off pack: the statement, the open invoices and the contact history, zipped."""
    organisation, customer = _found(organisation_id, customer_id)
    session = db.session()
    choice = session.scalar(select(CustomerChasing).where(CustomerChasing.customer_id == customer.id))
    language = language_of(organisation, choice.language if choice else None)
    try:
        content = handoff_pack(session, organisation, customer, language)
    except PdfUnavailable:
        abort(503, description=_("This server cannot make PDF documents just now."))
    name = pack_name(customer, clock.today(organisation.timezone))
    return Response(
        content,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@handoff.post("/organisations/<int:organisation_id>/customers/<int:customer_id>/handoff")
@login_required
def hand_off_customer(organisation_id: int, customer_id: int) -> ResponseReturnValue:
    """Hand the customer to a collection agency: Relance stops chasing them."""
    _organisation, customer = _found(organisation_id, customer_id)
    form = HandOffForm()
    if not form.validate():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error))
        return _back(organisation_id, customer_id)
    agency = (form.agency.data or "").strip()
    reference = (form.reference.data or "").strip()
    if not agency:
        flash(_("Name the collection agency."))
        return _back(organisation_id, customer_id)
    ledger_text = (
        _(
            "Handed off to %(agency)s (reference %(reference)s) in Relance.",
            agency=agency,
            reference=reference,
        )
        if reference
        else _("Handed off to %(agency)s in Relance.", agency=agency)
    )
    try:
        _made, notes = hand_off(
            db.session(),
            customer,
            agency,
            reference,
            (form.note.data or "").strip(),
            current_user.user.id,
            form.key.data or "",
            ledger_text,
        )
    except AlreadyHandedOff:
        db.session.rollback()
        flash(_("This customer is already handed off."))
        return _back(organisation_id, customer_id)
    db.session.commit()
    queue_writes(notes)
    flash(_("Handed off to %(agency)s: Relance no longer chases this customer.", agency=agency))
    return _back(organisation_id, customer_id)


@handoff.post("/organisations/<int:organisation_id>/customers/<int:customer_id>/handoff/take-back")
@login_required
def take_back_customer(organisation_id: int, customer_id: int) -> ResponseReturnValue:
    """Take the customer back from the agency: Relance chases them again from its next planning."""
    _organisation, customer = _found(organisation_id, customer_id)
    form = TakeBackForm()
    if not form.validate():
        flash(_("Reload the page and try again."))
        return _back(organisation_id, customer_id)
    current: Handoff | None = open_handoff(db.session(), organisation_id, customer.id)
    if current is None:
        flash(_("This customer is not handed off."))
        return _back(organisation_id, customer_id)
    ledger_text = _("Taken back from %(agency)s in Relance: reminders resume.", agency=current.agency)
    _taken, notes = take_back(
        db.session(),
        customer,
        (form.reason.data or "").strip(),
        current_user.user.id,
        form.key.data or "",
        ledger_text,
    )
    db.session.commit()
    queue_writes(notes)
    flash(_("Taken back: Relance chases this customer again."))
    return _back(organisation_id, customer_id)


@handoff.route("/organisations/<int:organisation_id>/settings/handoff", methods=["GET", "POST"])
@login_required
def settings(organisation_id: int) -> ResponseReturnValue:
    """The organisation's hand-off age and write-off threshold."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404)
    rules = rules_of(db.session(), organisation_id)
    form = HandoffSettingsForm(age_days=rules.age_days, write_off_below=rules.write_off_below)
    if form.is_submitted():
        if not form.validate():
            return render_template("settings/handoff.html", organisation=organisation, form=form), 400
        kept = db.session.get(HandoffSettings, organisation_id)
        if kept is None:
            kept = HandoffSettings(organisation_id=organisation_id)
            db.session.add(kept)
        kept.age_days = int(form.age_days.data or rules.age_days)
        kept.write_off_below = Decimal(form.write_off_below.data or 0)
        record(
            db.session(),
            organisation_id,
            "settings.changed",
            "hand-off settings",
            current_user.user.id,
            age_days=kept.age_days,
            write_off_below=str(kept.write_off_below),
        )
        db.session.commit()
        flash(_("Hand-off settings saved."))
        return redirect(url_for("handoff.settings", organisation_id=organisation_id), 303)
    return render_template("settings/handoff.html", organisation=organisation, form=form)
