"""The customer page's "Customer portal" panel, in the staff app: the customer's link (to copy
into an email of one's own, or to open the portal as the customer sees it), when it expires and
when it was last opened; revoking every live link, making a new one; and the accounts-payable
address the customer asked for in the portal, to approve or reject.

Every role may revoke a link (a leaked link is closed by whoever notices) and make one; approving
an address reminders will go to is for owners and accountants (reminders/portal/contacts.py).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select

from reminders.customers import customer_of
from reminders.portal.contacts import AddressRequest, approved_address, decide, pending_request
from reminders.portal.links import live_link, new_link, revoke, url_of
from reminders.writeback import customer_subject, queue_writes
from runtime.db import db
from runtime.tenancy import AuditEvent, Organisation
from sync.models import Customer
from web.roles import RUNS_THE_BOOKS

portal_panel = Blueprint("portal_panel", __name__)


def panel_data(organisation: Organisation, customer: Customer) -> dict[str, Any] | None:
    session = db.session()
    link = live_link(session, organisation.id, customer.id)
    opened = session.scalar(
        select(func.count()).where(
            AuditEvent.organisation_id == organisation.id,
            AuditEvent.subject == customer_subject(customer.id),
            AuditEvent.action == "portal.opened",
        )
    )
    return {
        "link": link,
        "url": url_of(link) if link is not None else None,
        "days_opened": opened or 0,
        "pending": pending_request(session, customer),
        "approved": approved_address(session, customer),
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
        url_for("customers.page", organisation_id=organisation_id, customer_id=customer_id) + "#portal", 303
    )


@portal_panel.post("/organisations/<int:organisation_id>/customers/<int:customer_id>/portal/revoke")
@login_required
def revoke_links(organisation_id: int, customer_id: int) -> ResponseReturnValue:
    organisation, customer = _found(organisation_id, customer_id)
    ended = revoke(db.session(), organisation, customer, current_user.user.id)
    db.session.commit()
    flash(str(_l("Links revoked: %(count)s. The customer's next reminder carries a new one.", count=ended)))
    return _back(organisation_id, customer_id)


@portal_panel.post("/organisations/<int:organisation_id>/customers/<int:customer_id>/portal/link")
@login_required
def make_link(organisation_id: int, customer_id: int) -> ResponseReturnValue:
    organisation, customer = _found(organisation_id, customer_id)
    if live_link(db.session(), organisation.id, customer.id) is None:
        new_link(db.session(), organisation.id, customer.id, current_user.user.id)
        db.session.commit()
    return _back(organisation_id, customer_id)


@portal_panel.post(
    "/organisations/<int:organisation_id>/customers/<int:customer_id>/portal/address/<int:request_id>"
)
@login_required
def decide_address(organisation_id: int, customer_id: int, request_id: int) -> ResponseReturnValue:
    _organisation, customer = _found(organisation_id, customer_id)
    kept = db.session.get(AddressRequest, request_id)
    if kept is None or kept.customer_id != customer.id or kept.organisation_id != organisation_id:
        abort(404)
    choice = request.form.get("decision", "")
    if choice not in ("approve", "reject"):
        abort(400, description=str(_l("Choose approve or reject.")))
    notes = decide(
        db.session(), kept, choice == "approve", current_user.user.id, request.form.get("note", "")[:1000]
    )
    db.session.commit()
    queue_writes(notes)
    flash(
        str(
            _l("Address approved: reminders now go there.")
            if choice == "approve"
            else _l("Address rejected.")
        )
    )
    return _back(organisation_id, customer_id)
