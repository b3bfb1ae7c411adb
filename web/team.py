"""The team area: the organisation's people, their roles and invitations, the activity log (issue #14).

The team page lists the organisation's people with their roles and the invitations still pending;
owners and accountants invite someone by email with a role, change roles and remove people, and
anyone may leave (who may do what to whom: web/roles.py, TEAM RULES). An invitation is a mail with
a link to ``/invitations/<token>``: a signed-out person signs in first (the token waits in the
session, and the sign-in comes back to the invitation), and it is accepted only by the person whose
email it names. The activity page reads the audit trail, filtered by person, kind and customer.
"""

from __future__ import annotations

import smtplib
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from integration.providers import configured_providers
from runtime import clock, mail
from runtime import team as people
from runtime.db import db
from runtime.logs import get_logger
from runtime.tenancy import Invitation, Membership, Organisation, Role, User
from web import app_settings
from web.activity import KINDS, customer_names, describe, filter_from, kind_name
from web.roles import may_grant, may_manage
from web.throttle import rate_limited

log = get_logger(__name__)
team = Blueprint("team", __name__)
# Invitations are mail Relance sends to any address typed in: a bound on how fast one can.
INVITATIONS_PER_MINUTE = 20
# Where a signed-out person's invitation waits while they sign in (connect.callback comes back to it).
WAITING_INVITATION = "invitation"

ROLE_NAMES = {
    Role.OWNER: _l("Owner"),
    Role.ACCOUNTANT: _l("Accountant"),
    Role.MEMBER: _l("Member"),
}
ROLE_HELP = {
    Role.OWNER: _l("manages the team and receives the weekly report"),
    Role.ACCOUNTANT: _l("runs credit control and the settings for the business"),
    Role.MEMBER: _l("reads everything and chases customers"),
}


def _role(text: str | None) -> Role | None:
    try:
        return Role(text or "")
    except ValueError:
        return None


def _organisation(organisation_id: int) -> Organisation:
    found = db.session.get(Organisation, organisation_id)
    if found is None:  # roles.enforce found a membership, so this does not happen
        abort(404)
    return found


def _my_role() -> Role:
    role: Role = g.role
    return role


def _team_page(
    organisation_id: int, errors: dict[str, str] | None = None, status: int = 200
) -> ResponseReturnValue:
    organisation = _organisation(organisation_id)
    members = db.session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organisation_id == organisation_id)
        .order_by(User.name, User.email, User.id)
    ).all()
    invitations = db.session.scalars(
        select(Invitation)
        .where(
            Invitation.organisation_id == organisation_id,
            Invitation.accepted_at.is_(None),
            Invitation.cancelled_at.is_(None),
        )
        .order_by(Invitation.sent_at.desc())
    ).all()
    mine = _my_role()
    owners = people.owner_count(db.session(), organisation_id)
    return render_template(
        "team/index.html",
        organisation=organisation,
        members=members,
        invitations=invitations,
        now=clock.now(),
        my_role=mine,
        me=current_user.user.id,
        owners=owners,
        roles=list(Role),
        role_names=ROLE_NAMES,
        role_help=ROLE_HELP,
        grantable=[role for role in Role if may_grant(mine, role)],
        may_grant=may_grant,
        may_manage=may_manage,
        Role=Role,
        errors=errors or {},
        form=request.form if errors else {},
        format_datetime=format_datetime,
    ), status


@team.get("/organisations/<int:organisation_id>/team")
def index(organisation_id: int) -> ResponseReturnValue:
    return _team_page(organisation_id)


def _send_invitation(invitation: Invitation, token: str) -> bool:
    """Mail the link; False (and the page says so) when the mail server did not take it."""
    link = app_settings().external_url + url_for("team.invitation", token=token)
    inviter = current_user.user.name or current_user.user.email
    organisation = invitation.organisation.name
    role = str(ROLE_NAMES[Role(invitation.role)]).lower()
    text = _(
        "%(inviter)s invites you to join %(organisation)s on Relance as %(role)s.\n\n"
        "Accept the invitation here (the link works once, until %(expires)s):\n%(link)s\n\n"
        "You will sign in with Xero or Intuit, with the email address this message was sent to.\n",
        inviter=inviter,
        organisation=organisation,
        role=role,
        expires=format_datetime(invitation.expires_at, "medium"),
        link=link,
    )
    subject = _("Join %(organisation)s on Relance", organisation=organisation)
    try:
        mail.send(mail.compose([invitation.email], subject, text))
    except (OSError, smtplib.SMTPException) as error:
        log.warning("team.invitation_not_sent", invitation=invitation.id, error=type(error).__name__)
        return False
    return True


def _sent(invitation: Invitation, token: str, done: str) -> None:
    if _send_invitation(invitation, token):
        flash(done)
    else:
        flash(_("The invitation is saved but the mail could not be sent: try Resend in a moment."))


@team.post("/organisations/<int:organisation_id>/team/invitations")
@rate_limited("team_invitations", per_minute=INVITATIONS_PER_MINUTE)
def invite(organisation_id: int) -> ResponseReturnValue:
    email = people.normal_email(request.form.get("email", ""))
    role = _role(request.form.get("role"))
    errors: dict[str, str] = {}
    if email is None:
        errors["email"] = _("Give an email address, such as name@example.com.")
    elif people.member_with_email(db.session(), organisation_id, email) is not None:
        errors["email"] = _("%(email)s is already in the team.", email=email)
    if role is None:
        errors["role"] = _("Choose a role from the list.")
    elif not may_grant(_my_role(), role):
        abort(403, description=_("Only an owner may make someone an owner."))
    if errors or email is None or role is None:
        return _team_page(organisation_id, errors, 400)
    invitation, token = people.invite(db.session(), organisation_id, email, role, current_user.user.id)
    db.session.commit()
    _sent(invitation, token, _("Invitation sent to %(email)s.", email=email))
    return redirect(url_for("team.index", organisation_id=organisation_id), 303)


def _pending(organisation_id: int, invitation_id: int) -> Invitation:
    invitation = db.session.get(Invitation, invitation_id) if 0 < invitation_id < 2**31 else None
    if invitation is None or invitation.organisation_id != organisation_id or not invitation.pending:
        abort(404, description=_("There is no such invitation waiting."))
    if not may_grant(_my_role(), Role(invitation.role)):
        abort(403, description=_("Only an owner may invite an owner."))
    return invitation


@team.post("/organisations/<int:organisation_id>/team/invitations/<int:invitation_id>/resend")
@rate_limited("team_invitations", per_minute=INVITATIONS_PER_MINUTE)
def resend(organisation_id: int, invitation_id: int) -> ResponseReturnValue:
    invitation = _pending(organisation_id, invitation_id)
    token = people.resend(db.session(), invitation, current_user.user.id)
    db.session.commit()
    _sent(invitation, token, _("Invitation sent again to %(email)s.", email=invitation.email))
    return redirect(url_for("team.index", organisation_id=organisation_id), 303)


@team.post("/organisations/<int:organisation_id>/team/invitations/<int:invitation_id>/cancel")
def cancel(organisation_id: int, invitation_id: int) -> ResponseReturnValue:
    invitation = _pending(organisation_id, invitation_id)
    people.cancel(db.session(), invitation, current_user.user.id)
    db.session.commit()
    flash(_("Invitation to %(email)s cancelled.", email=invitation.email))
    return redirect(url_for("team.index", organisation_id=organisation_id), 303)


def _membership(organisation_id: int, user_id: int) -> Membership:
    found = people.membership_of(db.session(), organisation_id, user_id) if 0 < user_id < 2**31 else None
    if found is None:
        abort(404, description=_("That person is not in this organisation's team."))
    return found


@team.post("/organisations/<int:organisation_id>/team/people/<int:user_id>/role")
def change_role(organisation_id: int, user_id: int) -> ResponseReturnValue:
    membership = _membership(organisation_id, user_id)
    role = _role(request.form.get("role"))
    if role is None:
        abort(400, description=_("Choose a role from the list."))
    mine = _my_role()
    if not may_manage(mine, Role(membership.role)) or not may_grant(mine, role):
        abort(403, description=_("Only an owner may change an owner's role or make someone an owner."))
    if role.value == membership.role:
        flash(_("Nothing changed."))
    elif people.is_last_owner(db.session(), membership):
        abort(
            409,
            description=_("The organisation's last owner keeps the role: make someone else an owner first."),
        )
    else:
        people.change_role(db.session(), membership, role, current_user.user.id)
        db.session.commit()
        flash(_("Role changed to %(role)s.", role=str(ROLE_NAMES[role]).lower()))
    return redirect(url_for("team.index", organisation_id=organisation_id), 303)


@team.post("/organisations/<int:organisation_id>/team/people/<int:user_id>/remove")
def remove(organisation_id: int, user_id: int) -> ResponseReturnValue:
    membership = _membership(organisation_id, user_id)
    if user_id == current_user.user.id:
        return leave(organisation_id)
    if not may_manage(_my_role(), Role(membership.role)):
        abort(403, description=_("Only an owner may remove an owner."))
    if people.is_last_owner(db.session(), membership):  # an owner removing another: two owners at least
        abort(409, description=_("The organisation's last owner cannot be removed."))
    people.remove(db.session(), membership, current_user.user.id)
    db.session.commit()
    flash(_("Removed from the team."))
    return redirect(url_for("team.index", organisation_id=organisation_id), 303)


@team.post("/organisations/<int:organisation_id>/team/leave")
def leave(organisation_id: int) -> ResponseReturnValue:
    """The signed-in person leaves the organisation (the button says so: ``confirm=yes``)."""
    if request.form.get("confirm") != "yes":  # the Leave button sends it: nothing else leaves by accident
        abort(400, description=_("To leave, use the Leave button on the team page."))
    membership = _membership(organisation_id, current_user.user.id)
    if people.is_last_owner(db.session(), membership):
        abort(
            409,
            description=_(
                "You are the organisation's last owner: make someone else an owner before you leave."
            ),
        )
    people.remove(db.session(), membership, current_user.user.id)
    db.session.commit()
    flash(_("You have left %(organisation)s.", organisation=_organisation(organisation_id).name))
    return redirect(url_for("dashboard.home"), 303)


# Invitations, as the invited person sees them.


def _invitation_or_gone(token: str) -> Invitation:
    """The invitation a link names, or a page (4xx) saying why it no longer works."""
    invitation = people.invitation_for_token(db.session(), token)
    if invitation is None:
        abort(
            404,
            description=_(
                "This invitation link is not valid: it may have been resent, "
                "in which case the newest mail has the link that works."
            ),
        )
    if invitation.cancelled_at is not None:
        abort(
            410, description=_("This invitation was cancelled. Ask whoever invited you to invite you again.")
        )
    if invitation.accepted_at is not None:
        abort(410, description=_("This invitation has already been used."))
    if invitation.expired(clock.now()):
        abort(410, description=_("This invitation has expired. Ask whoever invited you to send it again."))
    return invitation


def _email_matches(invitation: Invitation) -> bool:
    return (current_user.user.email or "").strip().lower() == invitation.email


@team.get("/invitations/<token>")
def invitation(token: str) -> ResponseReturnValue:
    found = _invitation_or_gone(token)
    signed_in = current_user.is_authenticated
    if not signed_in:
        session[WAITING_INVITATION] = token
    return render_template(
        "team/invitation.html",
        invitation=found,
        token=token,
        role_name=str(ROLE_NAMES[Role(found.role)]).lower(),
        signed_in=signed_in,
        matches=signed_in and _email_matches(found),
        providers=[] if signed_in else configured_providers(app_settings()),
    ), (200 if not signed_in or _email_matches(found) else 403)


@team.post("/invitations/<token>")
def accept(token: str) -> ResponseReturnValue:
    found = _invitation_or_gone(token)
    session.pop(WAITING_INVITATION, None)
    if not _email_matches(found):
        abort(
            403,
            description=_(
                "This invitation is for %(invited)s, and you are signed in as %(you)s. "
                "Sign in with the account of %(invited)s to accept it.",
                invited=found.email,
                you=current_user.user.email or _("someone without an email address"),
            ),
        )
    people.accept(db.session(), found, current_user.user)
    db.session.commit()
    flash(_("Welcome to %(organisation)s.", organisation=found.organisation.name))
    return redirect(
        url_for("dashboard.organisation", organisation_id=found.organisation_id)
        if "dashboard.organisation" in current_app.view_functions
        else url_for("dashboard.home"),
        303,
    )


# The activity log.


@team.get("/organisations/<int:organisation_id>/activity")
def activity(organisation_id: int) -> ResponseReturnValue:
    organisation = _organisation(organisation_id)
    chosen = filter_from(request.args)
    found = people.trail(db.session(), organisation_id, chosen)
    customers = customer_names(organisation_id, found.customer_ids)
    lines: list[dict[str, Any]] = [describe(event, found, customers) for event in found.events]
    return render_template(
        "team/activity.html",
        organisation=organisation,
        chosen=chosen,
        found=found,
        lines=lines,
        customers=customers,
        kinds=[(kind, kind_name(kind)) for kind in found.kinds],
        known_kinds=KINDS,
    )
