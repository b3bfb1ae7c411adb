"""Who gets the reminders, as the customer sees it: where they go now, and a form to name the
accounts-payable address they should go to instead, which waits for the team's approval
(reminders/portal/contacts.py)."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from reminders.portal.contacts import pending_request, reminder_address, request_address
from reminders.team_notices import queue_notices
from reminders.writeback import queue_writes
from runtime.db import db
from web.portal import Visit, portal, visit
from web.portal.pages import PARTS, PortalInvoice
from web.throttle import rate_limited

REQUESTS_PER_MINUTE = 10


class AddressForm(FlaskForm):  # type: ignore[misc]
    email = EmailField(
        _l("Email address for reminders"),
        validators=[
            DataRequired(message=_l("Enter an email address.")),
            Email(
                message=_l("Enter an email address such as accounts@example.com."), check_deliverability=False
            ),
            Length(max=320),
        ],
    )
    name = StringField(_l("Name (optional)"), validators=[Optional(), Length(max=255)])


def _state(found: Visit) -> dict[str, Any]:
    session = db.session()
    return {
        "current": reminder_address(session, found.customer),
        "pending": pending_request(session, found.customer),
    }


@portal.route("/contact", methods=["GET", "POST"])
@rate_limited("portal-contact", REQUESTS_PER_MINUTE)
def contact() -> ResponseReturnValue:
    found = visit()
    form = AddressForm()
    if request.method == "POST" and form.validate_on_submit():
        session = db.session()
        _kept, notes, notice = request_address(
            session, found.customer, form.email.data or "", form.name.data or ""
        )
        session.commit()
        queue_writes(notes)
        queue_notices([notice])
        return redirect(url_for("portal.contact", asked=1), 303)
    return (
        render_template(
            "portal/contact.html",
            visit=found,
            form=form,
            asked=request.args.get("asked") == "1",
            **_state(found),
        ),
        422 if request.method == "POST" else 200,
    )


def _contact_part(found: Visit, invoices: list[PortalInvoice]) -> dict[str, Any] | None:
    return _state(found)


PARTS.append(("portal/parts/contact.html", _contact_part))
