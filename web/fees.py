"""Late fees in the staff app: the organisation's fee terms (a settings page of their own) and the
fees waiting for a person, a section of the review page (reminders/review.html includes it).

The decision and the raising live in reminders.fees; these pages post a person's decision to it
(approve queues the job that raises the fee in the ledger; the request itself calls no ledger).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, DateField, DecimalField, IntegerField, SelectField
from wtforms.fields import SelectChoice  # type: ignore[attr-defined]  # types-WTForms predates it
from wtforms.validators import InputRequired, NumberRange, Optional, StopValidation

from reminders.fees import proposing
from reminders.fees.models import FeeStatus, LateFee
from reminders.fees.terms import Preset
from runtime import clock
from runtime.db import db
from runtime.tenancy import Organisation, record
from sync.models import Customer

fees = Blueprint("fees", __name__)

PRESETS = {
    Preset.PERCENTAGE.value: _l("A percentage a month of the overdue balance"),
    Preset.FIXED.value: _l("A fixed fee per overdue invoice"),
    Preset.PERCENTAGE_AND_FIXED.value: _l("A percentage a month and a fixed fee"),
    Preset.UK_LATE_PAYMENT_ACT.value: _l(
        "UK statutory interest: Late Payment of Commercial Debts (Interest) Act 1998"
    ),
    Preset.FR_CODE_DE_COMMERCE.value: _l("France: Code de commerce L441-10 penalties and the €40 indemnity"),
}
KINDS = {"interest": _l("interest"), "fixed": _l("fixed fee")}
FEE_STATUS = {
    "proposed": _l("waiting for approval"),
    "approved": _l("approved, being raised"),
    "raising": _l("being raised"),
    "raised": _l("raised"),
    "skipped": _l("skipped"),
    "failed": _l("failed"),
    "interrupted": _l("interrupted"),
}


def _finite(_form: FlaskForm, field: DecimalField) -> None:
    """NaN and infinities are decimals too; refused before any comparison (which would raise)."""
    if field.data is not None and not field.data.is_finite():
        raise StopValidation(_("Enter a number."))


class FeeTermsForm(FlaskForm):
    enabled = BooleanField(_l("Charge late fees"))
    preset = SelectField(
        _l("Terms"), choices=[SelectChoice(k, v) for k, v in PRESETS.items()], validators=[InputRequired()]
    )
    grace_days = IntegerField(
        _l("Grace period (days after the due date)"),
        validators=[InputRequired(), NumberRange(min=0, max=365)],
        default=0,
    )
    percent_a_month = DecimalField(
        _l("Percentage a month"),
        places=4,
        validators=[InputRequired(), _finite, NumberRange(min=Decimal(0), max=Decimal(10))],
        description=_l("Two per cent a month is a common term."),
    )
    fixed_fee = DecimalField(
        _l("Fixed fee per overdue invoice"),
        places=2,
        validators=[InputRequired(), _finite, NumberRange(min=Decimal(0), max=Decimal(100000))],
    )
    reference_rate = DecimalField(
        _l("Reference rate (per cent a year)"),
        places=4,
        validators=[InputRequired(), _finite, NumberRange(min=Decimal(-5), max=Decimal(50))],
        description=_l(
            "For the statutory terms: the Bank of England base rate in force on the last 30 June or "
            "31 December (UK: 8 points are added), or the ECB's main refinancing rate in force on the last "
            "1 January or 1 July (France: 10 points are added). Update it each half-year."
        ),
    )
    reference_rate_on = DateField(_l("The reference rate took effect on"), validators=[Optional()])
    review = BooleanField(_l("Each fee waits on the review page for a person to approve it"))
    payment_days = IntegerField(
        _l("The fee invoice is due after (days)"), validators=[InputRequired(), NumberRange(min=0, max=365)]
    )


def _organisation(organisation_id: int) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404)
    return organisation


FIELDS = (
    "enabled",
    "preset",
    "grace_days",
    "percent_a_month",
    "fixed_fee",
    "reference_rate",
    "reference_rate_on",
    "review",
    "payment_days",
)


@fees.route("/organisations/<int:organisation_id>/settings/late-fees", methods=["GET", "POST"])
def settings(organisation_id: int) -> ResponseReturnValue:
    """The organisation's late-fee terms: off by default, each change in the audit trail."""
    organisation = _organisation(organisation_id)
    terms = proposing.terms_for(db.session(), organisation.id)
    before = {name: getattr(terms, name) for name in FIELDS}
    form = FeeTermsForm(data=before)
    if form.validate_on_submit():
        for name in FIELDS:
            setattr(terms, name, getattr(form, name).data)
        proposing.keep_reference_rate(terms)
        terms.updated_at = clock.now()
        terms.updated_by_user_id = current_user.user.id
        db.session.add(terms)
        after = {name: getattr(terms, name) for name in FIELDS}
        changed = {key: str(after[key]) for key in FIELDS if str(after[key]) != str(before[key])}
        if changed:
            record(
                db.session(),
                organisation.id,
                "settings.changed",
                "late fees",
                current_user.user.id,
                **changed,
            )
        db.session.commit()
        flash(_("Settings saved.") if changed else _("Nothing changed."))
        return redirect(url_for("fees.settings", organisation_id=organisation.id))
    return render_template("settings/late_fees.html", form=form, organisation=organisation), (
        400 if form.errors else 200
    )


@dataclass(frozen=True)
class FeeRow:
    fee: LateFee
    customer: Customer | None


def waiting_fees(organisation_id: int) -> list[FeeRow]:
    """The fees a person decides: waiting for approval, interrupted or failed."""
    found = db.session.scalars(
        select(LateFee)
        .where(
            LateFee.organisation_id == organisation_id,
            LateFee.status.in_(
                [FeeStatus.PROPOSED.value, FeeStatus.INTERRUPTED.value, FeeStatus.FAILED.value]
            ),
        )
        .order_by(LateFee.created_at, LateFee.id)
        .limit(500)
    ).all()
    return [FeeRow(fee, db.session.get(Customer, fee.customer_id)) for fee in found]


@fees.app_context_processor
def _late_fees() -> dict[str, Any]:
    """What the review page's late-fees section reads."""
    return {
        "late_fees_waiting": waiting_fees,
        "late_fee_kinds": KINDS,
        "late_fee_status": FEE_STATUS,
        "format_fee_date": format_date,
    }


def _fee(organisation_id: int, fee_id: int) -> LateFee:
    fee = db.session.get(LateFee, fee_id)
    if fee is None or fee.organisation_id != organisation_id:
        abort(404)
    return fee


def _back(organisation_id: int) -> ResponseReturnValue:
    return redirect(url_for("reminders.review", organisation_id=organisation_id) + "#late-fees")


@fees.post("/organisations/<int:organisation_id>/late-fees/<int:fee_id>/approve")
def approve(organisation_id: int, fee_id: int) -> ResponseReturnValue:
    """Approve one fee: it is raised as its own invoice in the ledger, by a job."""
    fee = _fee(organisation_id, fee_id)
    try:
        proposing.approve(db.session(), fee, current_user.user.id)
        flash(_("Approved: the fee is being raised in the ledger."))
    except proposing.NotAllowed:
        flash(_("That fee was already handled by someone else; here it is as it is now."))
    return _back(organisation_id)


@fees.post("/organisations/<int:organisation_id>/late-fees/<int:fee_id>/skip")
def skip(organisation_id: int, fee_id: int) -> ResponseReturnValue:
    """Skip one fee, with the person's reason: it is never proposed again."""
    fee = _fee(organisation_id, fee_id)
    reason = request.form.get("reason", "").strip()[:500]
    try:
        proposing.skip(db.session(), fee, current_user.user.id, reason)
        flash(_("Skipped: the fee will not be charged."))
    except proposing.NotAllowed:
        flash(_("That fee was already handled by someone else; here it is as it is now."))
    return _back(organisation_id)
