"""The customers' portal: what the customers who owe an organisation see, apart from the staff app.

A customer follows the signed link a reminder carries (reminders/portal/links.py) to
``/portal/l/<token>``; the portal checks it, keeps the link in the visitor's session and sends the
browser to ``/portal/`` (so the token is in no later URL, Referer or request log). Every other page
reads the link from the session, checks it again (a link the team revoked, or that expired, stops
at the next page) and works on that customer of that organisation alone: ``visit()``. Never a staff
sign-in: a staff session opens nothing here, and the portal shows no staff navigation.

Its pages are modules of this package, each registering its routes on ``portal``:
``pages`` (opening a link, the account page, the statement PDF, the logo), ``actions`` (promising a
date, disputing an invoice), ``paying`` (the ledger's payment page, the bank details), ``contact``
(the accounts-payable address the team approves) and ``fresh`` (an expired link's fresh one, sent
to the address on file). Their templates are ``portal/…`` (templates/portal/), and the account page
includes each module's part (``portal/account.html``), so a module adds a part without a branch.

It imports none of the staff areas, and they import nothing of it (pyproject.toml's import-linter
contract). Each route is listed in web/roles.py's ROUTES as open to anyone: the portal's own check
(``before_request`` below) is what guards it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, g, render_template, request, session
from flask.typing import ResponseReturnValue

from reminders.portal.links import LinkState, PortalLink, check
from runtime.db import db
from runtime.tenancy import Organisation
from sync.models import Customer

portal = Blueprint("portal", __name__, url_prefix="/portal", template_folder="templates")

SESSION_KEY = "portal_link"
# Pages that work without a link in the session: opening a link, asking for a fresh one.
OPEN_ENDPOINTS = {"portal.open_link", "portal.fresh_link"}


@dataclass(frozen=True)
class Visit:
    """Who the portal is serving: the link, its customer and the customer's organisation."""

    link: PortalLink
    customer: Customer
    organisation: Organisation


def visit() -> Visit:
    """This request's visit (set by the check before every portal page)."""
    found: Visit | None = g.get("portal_visit")
    if found is None:
        abort(404)
    return found


def keep(link: PortalLink) -> None:
    """Remember ``link`` in the visitor's session (it replaces any other link kept there)."""
    session[SESSION_KEY] = [link.id, link.nonce]


def expired_page(link: PortalLink) -> ResponseReturnValue:
    """The page of an expired link: it offers a fresh one, sent to the address on file."""
    from web.portal.fresh import proof_for

    return render_template("portal/expired.html", fresh_proof=proof_for(link)), 410


@portal.before_request
def check_link() -> ResponseReturnValue | None:
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    kept = session.get(SESSION_KEY)
    if not (
        isinstance(kept, list) and len(kept) == 2 and isinstance(kept[0], int) and isinstance(kept[1], str)
    ):
        return render_template("portal/closed.html"), 404
    found = check(db.session(), kept[0], kept[1])
    if found.state is LinkState.EXPIRED and found.link is not None:
        return expired_page(found.link)
    if found.state is not LinkState.OPEN or found.link is None:
        session.pop(SESSION_KEY, None)
        return render_template("portal/closed.html"), 404
    customer = db.session.get(Customer, found.link.customer_id)
    organisation = db.session.get(Organisation, found.link.organisation_id)
    if customer is None or organisation is None:
        return render_template("portal/closed.html"), 404
    g.portal_visit = Visit(found.link, customer, organisation)
    g.organisation_timezone = organisation.timezone
    return None


@portal.after_request
def private(response):  # type: ignore[no-untyped-def]
    """A customer's account is theirs: no cache keeps it, no Referer carries the portal's URLs."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


from web.portal import pages  # noqa: E402,F401,I001  (the modules register their routes on portal)
from web.portal import actions  # noqa: E402,F401
from web.portal import paying  # noqa: E402,F401
from web.portal import fresh  # noqa: E402,F401
from web.portal import contact  # noqa: E402,F401
