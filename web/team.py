"""The team area: the organisation's people, their roles and invitations, the activity log (issue #14).

What will live here: who the organisation's people are and their roles (owner, accountant,
member), inviting someone and the invitation they accept, changing a role or removing a person,
and the activity log read from the audit trail (runtime/tenancy.py). Today it is only the
blueprint, registered so that its endpoints have their namespace (``team.…``); a route added here
is closed until web/roles.py's ROUTES says who may open it.
"""

from __future__ import annotations

from flask import Blueprint

team = Blueprint("team", __name__)
