"""The schedules area: the reminder schedules accountants configure (issue #15).

What will live here: the pages where owners and accountants write an organisation's reminder
schedules (their stages: when, through which channel, with which words) and choose which customers
follow which schedule; the schedules themselves and the planner are reminders/schedules/. Not the
periodic jobs (web/periodic_jobs.py). Today it is only the blueprint, registered so that its
endpoints have their namespace (``schedules.…``); a route added here is closed until
web/roles.py's ROUTES says who may open it.
"""

from __future__ import annotations

from flask import Blueprint

schedules = Blueprint("schedules", __name__)
