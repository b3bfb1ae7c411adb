"""Credit holds on the web: the customer page's hold panel (its state, why and since when; place or
release by hand with a reason; the credit limit; the account manager), and the organisation's hold
rules. What a hold does lives in reminders/holds.py; a request keeps the change and queues its
ledger write and notice, nothing more.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from reminders.customers import customer_of
from reminders.hold_writes import failed_write
from reminders.holds import (
    PLACED,
    HoldReason,
    HoldRules,
    credit_limit_of,
    current_hold,
    evaluate,
    lift,
    place,
    rules_of,
    set_credit_limit,
)
from reminders.risk.classes import RiskClass
from reminders.schedules.models import CustomerChasing
from reminders.team_notices import account_manager_of
from reminders.writeback import customer_subject
from runtime import clock
from runtime.db import db
from runtime.tenancy import AuditEvent, Membership, Organisation, User, record
from sync.models import Customer
from web.customers import RISK_LABELS
from web.i18n import money
from web.roles import RUNS_THE_BOOKS

holds = Blueprint("holds", __name__)

LARGEST_LIMIT = Decimal("1000000000000")
REASON_LABELS = {
    HoldReason.DAYS_PAST_DUE: _l("an invoice long past due"),
    HoldReason.CREDIT_LIMIT: _l("over the credit limit"),
    HoldReason.BROKEN_PROMISE: _l("a broken promise to pay"),
    HoldReason.RISK_CLASS: _l("the risk class"),
    HoldReason.PERSON: _l("placed by a person"),
}


def reason_words(reason: str, why: str = "", figures: Mapping[str, Any] | None = None) -> str:
    """Why a customer is on hold, in the reader's language, from the rule's key and its figures
    (kept in the ``hold.placed`` audit event); a person's reason as they wrote it."""
    figures = figures or {}
    try:
        if reason == HoldReason.DAYS_PAST_DUE and "days" in figures:
            days = int(figures["days"])
            return ngettext("an invoice %(num)d day past due", "an invoice %(num)d days past due", days)
        if reason == HoldReason.CREDIT_LIMIT and "limit" in figures:
            currency = str(figures.get("currency", ""))
            return _(
                "a balance of %(balance)s, over the credit limit of %(limit)s",
                balance=money(Decimal(str(figures["balance"])), currency),
                limit=money(Decimal(str(figures["limit"])), currency),
            )
        if reason == HoldReason.RISK_CLASS and "risk" in figures:
            return _("the risk class: %(risk)s", risk=RISK_LABELS[RiskClass(int(figures["risk"]))])
    except (ValueError, KeyError, InvalidOperation):
        pass  # figures this version cannot read: the rule's name says enough
    if reason == HoldReason.PERSON:
        return why
    return str(REASON_LABELS.get(reason, reason))


def _placed_figures(organisation_id: int, customer_id: int) -> dict[str, Any]:
    """The figures of the customer's latest hold placed (its audit event's)."""
    details = db.session.scalar(
        select(AuditEvent.details)
        .where(
            AuditEvent.organisation_id == organisation_id,
            AuditEvent.subject == customer_subject(customer_id),
            AuditEvent.action == PLACED,
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    found = (details or {}).get("figures") if isinstance(details, dict) else None
    return found if isinstance(found, dict) else {}


@holds.app_context_processor
def hold_words() -> dict[str, Any]:
    return {"hold_reason": reason_words}


class HoldForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(message=_l("Say why.")), Length(max=500)])


class CreditLimitForm(FlaskForm):
    amount = StringField(_l("Credit limit"), validators=[Optional(), Length(max=20)])


class AccountManagerForm(FlaskForm):
    user = SelectField(_l("Account manager"), choices=[], validate_choice=False)


class RulesForm(FlaskForm):
    enabled = BooleanField(_l("Put customers on hold by these rules"))
    days_past_due = IntegerField(
        _l("An invoice this many days past due"),
        validators=[Optional(), NumberRange(min=1, max=3650)],
        description=_l("Leave empty for no hold by age."),
    )
    over_credit_limit = BooleanField(_l("The balance is over the customer's credit limit"))
    broken_promise = BooleanField(_l("A promise to pay was broken"))
    risk_class = SelectField(
        _l("The risk class is"),
        choices=[("", _l("No hold by risk")), ("2", _l("Medium or high")), ("3", _l("High"))],
        validate_choice=False,
    )


def hold_panel(organisation: Organisation, customer: Customer) -> dict[str, Any]:
    """What the customer page's hold panel shows."""
    session = db.session()
    members = session.execute(
        select(User.id, User.name, User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == organisation.id)
        .order_by(User.name, User.email)
    ).all()
    manager = account_manager_of(session, organisation.id, customer.id)
    hold = current_hold(session, organisation.id, customer.id)
    return {
        "hold": hold,
        "why": reason_words(hold.reason, hold.detail, _placed_figures(organisation.id, customer.id))
        if hold is not None
        else "",
        "limit": credit_limit_of(session, organisation.id, customer.id),
        "currency": customer.currency or organisation.base_currency,
        "failed": failed_write(session, organisation.id, customer.id),
        "manager_id": manager.id if manager else None,
        "members": members,
        "runs_the_books": g.get("role") in RUNS_THE_BOOKS,
    }


def _customer(organisation_id: int, customer_id: int) -> Customer:
    customer = customer_of(db.session(), organisation_id, customer_id)
    if customer is None:
        abort(404)
    return customer


def _back(organisation_id: int, customer_id: int) -> ResponseReturnValue:
    return redirect(
        url_for("customers.page", organisation_id=organisation_id, customer_id=customer_id) + "#hold"
    )


def _flash_errors(form: FlaskForm) -> None:
    for errors in form.errors.values():
        for error in errors:
            flash(str(error))


@holds.post("/organisations/<int:organisation_id>/customers/<int:customer_id>/hold")
@login_required
def place_hold(organisation_id: int, customer_id: int) -> ResponseReturnValue:
    """Put the customer on hold by hand, with a reason."""
    customer = _customer(organisation_id, customer_id)
    form = HoldForm()
    if not form.validate():
        _flash_errors(form)
        return _back(organisation_id, customer_id), 400  # type: ignore[return-value]
    after = place(
        db.session(), customer, HoldReason.PERSON, (form.reason.data or "").strip(), current_user.user.id
    )
    db.session.commit()
    for then in after:
        then()
    flash(str(_l("The customer is on hold.") if after else _l("The customer was already on hold.")))
    return _back(organisation_id, customer_id)


@holds.post("/organisations/<int:organisation_id>/customers/<int:customer_id>/hold/release")
@login_required
def release_hold(organisation_id: int, customer_id: int) -> ResponseReturnValue:
    """Take the customer off hold by hand, with a reason."""
    customer = _customer(organisation_id, customer_id)
    form = HoldForm()
    if not form.validate():
        _flash_errors(form)
        return _back(organisation_id, customer_id), 400  # type: ignore[return-value]
    hold = current_hold(db.session(), organisation_id, customer.id)
    if hold is None:
        flash(str(_l("The customer is not on hold.")))
        return _back(organisation_id, customer_id)
    after = lift(db.session(), customer, hold, (form.reason.data or "").strip(), current_user.user.id)
    db.session.commit()
    for then in after:
        then()
    flash(str(_l("The hold is released.")))
    return _back(organisation_id, customer_id)


@holds.post("/organisations/<int:organisation_id>/customers/<int:customer_id>/credit-limit")
@login_required
def credit_limit(organisation_id: int, customer_id: int) -> ResponseReturnValue:
    """Set or clear the customer's credit limit, in the customer's currency."""
    organisation = db.session.get(Organisation, organisation_id)
    customer = _customer(organisation_id, customer_id)
    form = CreditLimitForm()
    if organisation is None or not form.validate():
        _flash_errors(form)
        return _back(organisation_id, customer_id), 400  # type: ignore[return-value]
    text = (form.amount.data or "").strip().replace(",", "")
    amount: Decimal | None = None
    if text:
        try:
            amount = Decimal(text)
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite() or amount < 0 or amount >= LARGEST_LIMIT:
            flash(str(_l("A credit limit is an amount of money, like 5000.00.")))
            return _back(organisation_id, customer_id), 400  # type: ignore[return-value]
        amount = amount.quantize(Decimal("0.01"))
    currency = customer.currency or organisation.base_currency
    set_credit_limit(db.session(), customer, amount, currency, current_user.user.id)
    db.session.flush()
    # Weighed at once, in this transaction, rather than at the next business day or sync: the
    # person who set a limit below the balance expects the hold now. Only the mirror is read; the
    # ledger's mark and the notice are queued after the commit, as everywhere else.
    after = evaluate(db.session(), organisation, [customer], clock.today(organisation.timezone))
    db.session.commit()
    for then in after:
        then()
    flash(str(_l("Credit limit saved.") if amount is not None else _l("Credit limit removed.")))
    return _back(organisation_id, customer_id)


@holds.post("/organisations/<int:organisation_id>/customers/<int:customer_id>/account-manager")
@login_required
def account_manager(organisation_id: int, customer_id: int) -> ResponseReturnValue:
    """Choose the person who looks after the customer (told of its holds), one of the organisation's."""
    customer = _customer(organisation_id, customer_id)
    form = AccountManagerForm()
    if not form.validate():
        _flash_errors(form)
        return _back(organisation_id, customer_id), 400  # type: ignore[return-value]
    wanted = form.user.data or ""
    chosen: int | None = None
    if wanted:
        member = (
            db.session.scalar(
                select(Membership.user_id).where(
                    Membership.organisation_id == organisation_id, Membership.user_id == int(wanted)
                )
            )
            if wanted.isascii() and wanted.isdigit() and len(wanted) < 10
            else None
        )
        if member is None:
            flash(str(_l("Choose one of the organisation's people.")))
            return _back(organisation_id, customer_id), 400  # type: ignore[return-value]
        chosen = member
    choice = db.session.scalar(select(CustomerChasing).where(CustomerChasing.customer_id == customer.id))
    if choice is None:
        choice = CustomerChasing(organisation_id=organisation_id, customer_id=customer.id)
        db.session.add(choice)
    choice.account_manager_user_id = chosen
    record(
        db.session(),
        organisation_id,
        "hold.account_manager",
        customer_subject(customer.id),
        current_user.user.id,
        user=chosen,
    )
    db.session.commit()
    flash(str(_l("Account manager saved.")))
    return _back(organisation_id, customer_id)


@holds.route("/organisations/<int:organisation_id>/settings/credit-holds", methods=["GET", "POST"])
@login_required
def rules(organisation_id: int) -> ResponseReturnValue:
    """The organisation's credit-hold rules."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404)
    found = rules_of(db.session(), organisation_id)
    form = RulesForm(
        data={
            "enabled": found.enabled,
            "days_past_due": found.days_past_due,
            "over_credit_limit": found.over_credit_limit,
            "broken_promise": found.broken_promise,
            "risk_class": str(found.risk_class or ""),
        }
    )
    if form.is_submitted():
        form = RulesForm()
        if form.validate():
            kept = db.session.get(HoldRules, organisation_id)
            if kept is None:
                kept = HoldRules(organisation_id=organisation_id)
                db.session.add(kept)
            wanted = form.risk_class.data or ""
            kept.enabled = bool(form.enabled.data)
            kept.days_past_due = form.days_past_due.data
            kept.over_credit_limit = bool(form.over_credit_limit.data)
            kept.broken_promise = bool(form.broken_promise.data)
            kept.risk_class = int(wanted) if wanted in ("2", "3") else None
            record(
                db.session(),
                organisation_id,
                "hold.rules",
                f"organisation:{organisation_id}",
                current_user.user.id,
                enabled=kept.enabled,
                days_past_due=kept.days_past_due,
                over_credit_limit=kept.over_credit_limit,
                broken_promise=kept.broken_promise,
                risk_class=kept.risk_class,
            )
            db.session.commit()
            flash(str(_l("Credit hold rules saved.")))
            return redirect(url_for("holds.rules", organisation_id=organisation_id))
        return render_template("holds/rules.html", organisation=organisation, form=form, risk=RiskClass), 400
    return render_template("holds/rules.html", organisation=organisation, form=form, risk=RiskClass)
