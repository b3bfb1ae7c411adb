"""The organisation's early-payment discount terms (reminders/discounts.py): one settings page of
their own, linked from the organisation's settings. Owners and accountants change them; each change
goes in the audit trail."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, DecimalField, IntegerField, SelectField
from wtforms.fields import SelectChoice  # type: ignore[attr-defined]  # types-WTForms predates it (WTForms 3.3)
from wtforms.validators import InputRequired, NumberRange, StopValidation, ValidationError

from reminders.discounts import TERMS_ACTION, AppliesTo, DiscountTerms
from runtime import clock
from runtime.db import db
from runtime.tenancy import record
from web.settings import _organisation_for_change

discounts = Blueprint("discounts", __name__)
LONGEST_TERM_DAYS = 365
LARGEST_PERCENT = Decimal("50")


def _finite(_form: FlaskForm, field: DecimalField) -> None:
    """NaN and infinities are decimals too; they must be refused before any comparison."""
    if field.data is not None and not field.data.is_finite():
        raise StopValidation(_("give a percentage, such as 2 or 2.5"))


class DiscountTermsForm(FlaskForm):
    enabled = BooleanField(_l("Offer an early-payment discount"))
    percent = DecimalField(
        _l("Discount (%)"),
        places=2,
        description=_l("Taken off the invoice's total, tax included, such as 2 for 2%."),
        validators=[InputRequired(), _finite, NumberRange(min=Decimal("0.01"), max=LARGEST_PERCENT)],
    )
    days = IntegerField(
        _l("If paid within (days of the invoice date)"),
        validators=[InputRequired(), NumberRange(min=1, max=LONGEST_TERM_DAYS)],
    )
    net_days = IntegerField(
        _l("Otherwise due in full after (days)"),
        description=_l("“2/10 net 30”: 2 percent off if paid within 10 days, else the whole amount in 30."),
        validators=[InputRequired(), NumberRange(min=1, max=LONGEST_TERM_DAYS)],
    )
    applies_to = SelectField(
        _l("Invoices the discount applies to"),
        choices=[
            SelectChoice(AppliesTo.MATCHING, _l("Only invoices due that many days after their date")),
            SelectChoice(AppliesTo.ALL, _l("Every invoice")),
        ],
    )

    def validate_days(self, field: IntegerField) -> None:
        if field.data is not None and self.net_days.data is not None and field.data >= self.net_days.data:
            raise ValidationError(_("the discount must end before the invoice falls due"))


def _values(terms: DiscountTerms) -> dict[str, Any]:
    return {
        "enabled": terms.enabled,
        "percent": terms.percent,
        "days": terms.days,
        "net_days": terms.net_days,
        "applies_to": terms.applies_to,
    }


@discounts.route("/organisations/<int:organisation_id>/settings/discounts", methods=["GET", "POST"])
@login_required
def terms(organisation_id: int) -> ResponseReturnValue:
    """Show and change the organisation's discount terms (off until someone turns them on)."""
    organisation = _organisation_for_change(organisation_id)
    session = db.session()
    found = session.scalar(select(DiscountTerms).where(DiscountTerms.organisation_id == organisation.id))
    current = found or DiscountTerms(
        organisation_id=organisation.id,
        enabled=False,
        percent=Decimal("2"),
        days=10,
        net_days=30,
        applies_to=AppliesTo.MATCHING,
    )
    before = _values(current)
    form = DiscountTermsForm(data=before)
    if form.validate_on_submit():
        current.enabled = bool(form.enabled.data)
        current.percent = Decimal(form.percent.data or 0).quantize(Decimal("0.01"))
        current.days = int(form.days.data or 0)
        current.net_days = int(form.net_days.data or 0)
        current.applies_to = AppliesTo.ALL if form.applies_to.data == AppliesTo.ALL else AppliesTo.MATCHING
        after = _values(current)
        changed = {key: str(value) for key, value in after.items() if found is None or value != before[key]}
        if changed:
            current.updated_at = clock.now()
            current.updated_by_user_id = current_user.user.id
            session.add(current)
            record(session, organisation.id, TERMS_ACTION, "discount terms", current_user.user.id, **changed)
            session.commit()
            flash(_("Discount terms saved."))
        else:
            flash(_("Nothing changed."))
        return redirect(url_for("discounts.terms", organisation_id=organisation.id))
    return render_template("settings/discounts.html", form=form, organisation=organisation, terms=current), (
        400 if form.errors else 200
    )
