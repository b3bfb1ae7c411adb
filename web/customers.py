"""The customers area: the organisation's customers, and each customer's page (issue #14).

What will live here: the list of the customers who owe the organisation, with what they owe and
how late, their risk and payment behaviour; and each customer's page, with the timeline of what
happened to their account (invoices, payments, reminders sent, promises, disputes, holds) read from
the dated records, and the notes the organisation's people write about them. Today it is only the
blueprint, registered so that its endpoints have their namespace (``customers.…``); a route added
here is closed until web/roles.py's ROUTES says who may open it.
"""

from __future__ import annotations

from flask import Blueprint

customers = Blueprint("customers", __name__)
