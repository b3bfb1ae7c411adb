"""Who may do what: one matrix of every route and every job a person can start, enforced in one place.

Each route's endpoint names its access: open to anyone (the ledgers' entry points, webhooks that
the ledgers sign, health), to anyone signed in (their own home), or to the people of the
organisation in the URL (``organisation_id``) with one of the roles listed. ``enforce`` reads the
matrix before every request; an endpoint missing from it is refused, so a new route is closed
until someone writes who may use it (and tests/web/test_roles.py fails until then).

Jobs a person's request starts are listed the same way and started through ``start_job``, which
checks the person's role in the organisation the job is about.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, abort, g, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from rq.job import Job
from sqlalchemy import select

from runtime import jobs
from runtime.db import db
from runtime.logs import get_logger
from runtime.tenancy import Membership, Role

log = get_logger(__name__)

# The largest id a database integer column holds: a larger one names no organisation.
LARGEST_ID = 2**31 - 1


@dataclass(frozen=True)
class Access:
    """Who may open a route: ``signed_in`` people, and of those only ``roles`` in the URL's organisation."""

    signed_in: bool
    roles: frozenset[Role] = frozenset()

    @property
    def organisation_scoped(self) -> bool:
        return bool(self.roles)


def people_of_the_organisation(*roles: Role) -> Access:
    """Signed in, a member of the organisation in the URL, in one of ``roles``."""
    return Access(signed_in=True, roles=frozenset(roles))


ANYONE = Access(signed_in=False)
SIGNED_IN = Access(signed_in=True)
EVERY_ROLE = (Role.OWNER, Role.ACCOUNTANT, Role.MEMBER)
# Owners and accountants run the organisation's credit control; members (credit controllers,
# colleagues) read it and chase, but change neither its settings nor its ledger connection.
RUNS_THE_BOOKS = (Role.OWNER, Role.ACCOUNTANT)

ROUTES: dict[str, Access] = {
    "static": ANYONE,
    "health.healthz": ANYONE,
    "auth.signin": ANYONE,
    "auth.signout": SIGNED_IN,
    "auth.signout_everywhere": SIGNED_IN,
    # The consent at the ledger is what signs a person in, so these start it for anyone.
    "connect.start": ANYONE,
    "connect.signin": ANYONE,
    "connect.callback": ANYONE,
    "connect.quickbooks_launch": ANYONE,
    "connect.xero_signup": ANYONE,
    # Intuit sends people here; it starts a job only for the company's people (JOBS).
    "connect.quickbooks_disconnected": ANYONE,
    "connect.confirm_disconnect": people_of_the_organisation(*RUNS_THE_BOOKS),
    "connect.disconnect_organisation": people_of_the_organisation(*RUNS_THE_BOOKS),
    "customers.index": people_of_the_organisation(*EVERY_ROLE),
    "customers.page": people_of_the_organisation(*EVERY_ROLE),
    # Members chase customers too: every role writes notes.
    "customers.add_note": people_of_the_organisation(*EVERY_ROLE),
    # The end of the road (web/handoff_pages.py): every role reads the recommendation and takes the
    # pack; owners and accountants hand a customer to an agency, take one back, and set the age.
    "handoff.pack": people_of_the_organisation(*EVERY_ROLE),
    "handoff.hand_off_customer": people_of_the_organisation(*RUNS_THE_BOOKS),
    "handoff.take_back_customer": people_of_the_organisation(*RUNS_THE_BOOKS),
    "handoff.settings": people_of_the_organisation(*RUNS_THE_BOOKS),
    "dashboard.home": SIGNED_IN,
    "dashboard.organisation": people_of_the_organisation(*EVERY_ROLE),
    # Syncing only reads the ledger: anyone who reads the figures may ask for fresh ones.
    "dashboard.sync_now": people_of_the_organisation(*EVERY_ROLE),
    # The footer's language switcher keeps the choice in the session of whoever uses it.
    "language.choose": ANYONE,
    "receivables.page": people_of_the_organisation(*EVERY_ROLE),
    "receivables.csv_file": people_of_the_organisation(*EVERY_ROLE),
    "receivables.pdf_file": people_of_the_organisation(*EVERY_ROLE),
    # Reminders (web/reminders_pages.py): every role sees the queues, rings the call list, records
    # outcomes and posts the letters (members chase customers too); owners and accountants decide
    # what goes: approve, skip, edit, settle an interrupted send, plan now, the sending mode.
    "reminders.review": people_of_the_organisation(*EVERY_ROLE),
    "reminders.action": people_of_the_organisation(*EVERY_ROLE),
    "reminders.approve": people_of_the_organisation(*RUNS_THE_BOOKS),
    "reminders.skip": people_of_the_organisation(*RUNS_THE_BOOKS),
    "reminders.edit": people_of_the_organisation(*RUNS_THE_BOOKS),
    "reminders.settle": people_of_the_organisation(*RUNS_THE_BOOKS),
    "reminders.mode": people_of_the_organisation(*RUNS_THE_BOOKS),
    "reminders.plan_now": people_of_the_organisation(*RUNS_THE_BOOKS),
    "reminders.calls": people_of_the_organisation(*EVERY_ROLE),
    # Members chase customers and hear their disputes: every role raises, answers and resolves them.
    "disputes.index": people_of_the_organisation(*EVERY_ROLE),
    "disputes.open_one": people_of_the_organisation(*EVERY_ROLE),
    "disputes.reply": people_of_the_organisation(*EVERY_ROLE),
    "disputes.resolve": people_of_the_organisation(*EVERY_ROLE),
    "disputes.attachment": people_of_the_organisation(*EVERY_ROLE),
    "reminders.call_outcome": people_of_the_organisation(*EVERY_ROLE),
    "reminders.letters": people_of_the_organisation(*EVERY_ROLE),
    "reminders.batch": people_of_the_organisation(*EVERY_ROLE),
    "reminders.posted": people_of_the_organisation(*EVERY_ROLE),
    # Late fees: owners and accountants set the terms and decide each fee (it invoices a customer).
    "fees.settings": people_of_the_organisation(*RUNS_THE_BOOKS),
    "fees.approve": people_of_the_organisation(*RUNS_THE_BOOKS),
    "fees.skip": people_of_the_organisation(*RUNS_THE_BOOKS),
    # A customer's chasing choices: every role may pause a customer or choose their language; only
    # owners and accountants set "do not chase" or a schedule of their own (the view checks).
    "customers.chasing": people_of_the_organisation(*EVERY_ROLE),
    # Promises to pay (web/promises.py): every role records and cancels a customer's promise (members
    # chase customers and take the calls); owners and accountants set the grace period.
    "promises.record": people_of_the_organisation(*EVERY_ROLE),
    "promises.cancel": people_of_the_organisation(*EVERY_ROLE),
    "promises.settings": people_of_the_organisation(*RUNS_THE_BOOKS),
    # Credit holds (web/holds.py): owners and accountants put a customer on hold or release it
    # (it reaches the ledger), set its credit limit and account manager, and write the rules.
    "holds.place_hold": people_of_the_organisation(*RUNS_THE_BOOKS),
    "holds.release_hold": people_of_the_organisation(*RUNS_THE_BOOKS),
    "holds.credit_limit": people_of_the_organisation(*RUNS_THE_BOOKS),
    "holds.account_manager": people_of_the_organisation(*RUNS_THE_BOOKS),
    "holds.rules": people_of_the_organisation(*RUNS_THE_BOOKS),
    # Schedules: every role sees them and what would go out today; owners and accountants write
    # them and apply them to the other organisations they run the books of.
    "schedules.index": people_of_the_organisation(*EVERY_ROLE),
    "schedules.edit": people_of_the_organisation(*RUNS_THE_BOOKS),
    "schedules.create": people_of_the_organisation(*RUNS_THE_BOOKS),
    "schedules.save_stage": people_of_the_organisation(*RUNS_THE_BOOKS),
    "schedules.add_stage": people_of_the_organisation(*RUNS_THE_BOOKS),
    "schedules.remove_stage": people_of_the_organisation(*RUNS_THE_BOOKS),
    "schedules.move_stage": people_of_the_organisation(*RUNS_THE_BOOKS),
    "schedules.messages": people_of_the_organisation(*RUNS_THE_BOOKS),
    "schedules.preview": people_of_the_organisation(*EVERY_ROLE),
    "schedules.backtest_page": people_of_the_organisation(*EVERY_ROLE),
    "schedules.backtest_again": people_of_the_organisation(*EVERY_ROLE),
    "schedules.apply": people_of_the_organisation(*RUNS_THE_BOOKS),
    "settings.edit": people_of_the_organisation(*RUNS_THE_BOOKS),
    # Early-payment discount terms (web/discounts.py): what the business offers, as its settings.
    "discounts.terms": people_of_the_organisation(*RUNS_THE_BOOKS),
    # Everyone of the organisation sees its logo (on its pages, reminders and reports).
    "settings.logo": people_of_the_organisation(*EVERY_ROLE),
    # The team (TEAM RULES below): everyone sees it and may leave; owners and accountants invite,
    # change roles and remove people, within what may_grant and may_manage allow.
    "team.index": people_of_the_organisation(*EVERY_ROLE),
    "team.invite": people_of_the_organisation(*RUNS_THE_BOOKS),
    "team.resend": people_of_the_organisation(*RUNS_THE_BOOKS),
    "team.cancel": people_of_the_organisation(*RUNS_THE_BOOKS),
    "team.change_role": people_of_the_organisation(*RUNS_THE_BOOKS),
    "team.remove": people_of_the_organisation(*RUNS_THE_BOOKS),
    "team.leave": people_of_the_organisation(*EVERY_ROLE),
    "team.activity": people_of_the_organisation(*EVERY_ROLE),
    # An invitation link is for whoever holds it; the page asks them to sign in, and accepts only
    # for the person whose email the invitation names.
    "team.invitation": ANYONE,
    "team.accept": SIGNED_IN,
    # The customers' portal (web/portal): a customer holds no account here; the portal's own check
    # of the signed link in the visitor's session guards every page but these first two.
    "portal.open_link": ANYONE,
    "portal.account": ANYONE,
    "portal.statement": ANYONE,
    "portal.logo": ANYONE,
    "portal.promise": ANYONE,
    "portal.promise_all": ANYONE,
    "portal.promised": ANYONE,
    "portal.dispute": ANYONE,
    "portal.dispute_page": ANYONE,
    "portal.pay": ANYONE,
    "portal.fresh_link": ANYONE,
    "portal.contact": ANYONE,
    # The portal's settings (web/portal_settings.py): how long links last, the promise window, the
    # bank details customers see: what the business tells its customers, so owners and accountants.
    "portal_settings.edit": people_of_the_organisation(*RUNS_THE_BOOKS),
    # The customer page's portal panel (web/portal_panel.py): any of the organisation's people may
    # close a leaked link or make one; where reminders go is decided by owners and accountants.
    "portal_panel.revoke_links": people_of_the_organisation(*EVERY_ROLE),
    "portal_panel.make_link": people_of_the_organisation(*EVERY_ROLE),
    "portal_panel.decide_address": people_of_the_organisation(*RUNS_THE_BOOKS),
    # The ledgers sign their deliveries; the signature is checked instead of a person.
    "webhooks.xero": ANYONE,
    "webhooks.quickbooks": ANYONE,
}

# TEAM RULES: who may do what to the organisation's people (web/team.py asks these).
# - Everyone in the organisation sees its team and its activity, and may leave it.
# - Owners and accountants invite people (by email, with a role), resend and cancel invitations,
#   change roles and remove people.
# - Only an owner may make someone an owner, or change or remove an owner (or an owner's
#   invitation): an accountant acts for the business, it does not take it over.
# - The last owner can be neither removed, nor given another role, nor leave: an organisation
#   always has someone who receives its weekly report and manages its people.


def may_grant(actor: Role, role: Role) -> bool:
    """Whether a person of role ``actor`` may give ``role`` (by invitation or by a change)."""
    return actor == Role.OWNER or (actor == Role.ACCOUNTANT and role != Role.OWNER)


def may_manage(actor: Role, target: Role) -> bool:
    """Whether a person of role ``actor`` may change the role of, or remove, one of role ``target``."""
    return actor == Role.OWNER or (actor == Role.ACCOUNTANT and target != Role.OWNER)


# Jobs that a person's request starts, by the job function's dotted name, and the roles in the
# job's organisation that may start them.
JOBS: dict[str, frozenset[Role]] = {
    # Disconnecting in Relance tells the ledger.
    "integration.connections.lifecycle.tell_ledger_disconnected": frozenset(RUNS_THE_BOOKS),
    # Intuit's Disconnect URL: check with Intuit that the company really disconnected us.
    "integration.connections.lifecycle.confirm_disconnected_in_ledger": frozenset(RUNS_THE_BOOKS),
    # The dashboard's "Sync now": a sync only reads the ledger, so every role may ask for one.
    "sync.jobs.sync_tenant": frozenset(EVERY_ROLE),
    # A note written on a customer's page goes to the ledger as a note on the contact.
    "reminders.writeback.write_note_to_ledger": frozenset(EVERY_ROLE),
    # The review queue's "Plan now": plans what is due today (nothing goes without the mode's say).
    "reminders.dispatch.outbox.plan_now": frozenset(RUNS_THE_BOOKS),
}
# Not here: the first sync after a consent (connect.callback). The consent at the ledger starts
# it, whoever gave it, since giving it proved access to the ledger itself.


def may_open(endpoint: str, role: str | None) -> bool:
    """Whether a person of ``role`` in an organisation may open ``endpoint`` there: what pages use
    to show only the links and buttons that will work."""
    access = ROUTES.get(endpoint)
    if access is None or role is None:
        return False
    return not access.organisation_scoped or Role(role) in access.roles


def role_in(user_id: int, organisation_id: int) -> Role | None:
    """The person's role in the organisation, None if they are not one of its people."""
    if not 0 < organisation_id <= LARGEST_ID:
        return None
    role = db.session.scalar(
        select(Membership.role).where(
            Membership.organisation_id == organisation_id, Membership.user_id == user_id
        )
    )
    return Role(role) if role is not None else None


def may_start(job: Callable[..., Any], user_id: int, organisation_id: int) -> bool:
    """Whether the person may start ``job`` for the organisation, by the JOBS matrix."""
    allowed = JOBS.get(f"{job.__module__}.{job.__qualname__}", frozenset())
    return role_in(user_id, organisation_id) in allowed


def start_job(
    job: Callable[..., Any], user_id: int, organisation_id: int, *args: Any, **options: Any
) -> Job | None:
    """Enqueue ``job(*args)`` for the person, as the matrix allows; 403 if it does not.

    With ``job_id`` in ``options`` a job already waiting is not queued twice (None then).
    """
    if not may_start(job, user_id, organisation_id):
        abort(403, description=_("Your role in this organisation does not allow this."))
    if "job_id" in options:
        return jobs.enqueue_once(job, *args, **options)
    return jobs.enqueue(job, *args, **options)


def enforce(app: Flask) -> None:
    """Check every request against ROUTES before its view runs."""
    from web.auth import login_manager

    @app.before_request
    def check_access() -> ResponseReturnValue | None:
        if request.endpoint is None:
            return None  # no such route: routing answers 404 or 405
        access = ROUTES.get(request.endpoint)
        if access is None:
            log.error("roles.unlisted_route", endpoint=request.endpoint)
            abort(403)
        if not access.signed_in:
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if access.organisation_scoped:
            organisation_id = (request.view_args or {}).get("organisation_id")
            role = role_in(current_user.user.id, organisation_id) if organisation_id else None
            if role is None:
                abort(404)  # as for a page that does not exist: an organisation is reached through its people
            if role not in access.roles:
                abort(403, description=_("Your role in this organisation does not allow this."))
            g.role = role
        return None
