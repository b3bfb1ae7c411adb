"""The customers' portal: what the customers who owe an organisation see, apart from the staff app.

What will live here (issue #17): a customer follows a signed link from a reminder and sees their
open invoices with that organisation, pays one through the ledger's own payment page, promises a
date to pay by, or raises a dispute about an invoice. Access is by the signed link alone, which
names one customer of one organisation and expires; never by a staff sign-in, and a staff session
opens nothing here.

The portal is its own blueprint under ``/portal`` with its own templates (templates/portal/, named
``portal/…`` so that they never collide with the staff app's), and its base template does not
extend the staff app's: the customers never see the staff navigation. It imports none of the staff
areas, and they import nothing of it (pyproject.toml's import-linter contract). No routes yet:
nothing here serves data, and a route added later is closed until web/roles.py's ROUTES lists it.
"""

from __future__ import annotations

from flask import Blueprint

portal = Blueprint("portal", __name__, url_prefix="/portal", template_folder="templates")
