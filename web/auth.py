"""Signing in: with Xero or Intuit (OpenID Connect), as the app marketplaces expect.

A person is a ``User`` keyed on each provider's subject (``UserIdentity``); signing in with a
second provider while signed in links it to the same person. Flask-Login keeps the session in
the browser under an alternative id: the token of a ``SignInSession`` kept on the server
(runtime/sign_ins.py), so that signing out ends it for every copy of its cookies.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import (
    LoginManager,
    UserMixin,
    current_user,
    login_required,
    login_user,
    logout_user,
    user_loaded_from_cookie,
)
from sqlalchemy import select

from integration.providers import configured_providers
from runtime import clock
from runtime.db import db
from runtime.sign_ins import end_every_session, end_session, person_signed_in, renew_session, start_session
from runtime.tenancy import Membership, User, UserIdentity
from web import app_settings

auth = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.signin"
login_manager.login_message = _l("Please sign in to continue.")
# Flask-Login flashes the message; the session keeps text, so the lazy string is made one here.
login_manager.localize_callback = str


class Person(UserMixin):
    """The signed-in person, as Flask-Login sees them, in one sign-in session."""

    def __init__(self, user: User, session_token: str) -> None:
        self.user = user
        self.session_token = session_token

    def get_id(self) -> str:
        """Flask-Login's alternative id: the session's token, not the person's id, so that the
        cookies die when the session ends on the server."""
        return self.session_token


@login_manager.user_loader
def load_person(session_token: str) -> Person | None:
    """The person of an open session; None (signed out) for an ended, expired or unknown one."""
    user_id = person_signed_in(db.session(), session_token)
    user = db.session.get(User, user_id) if user_id is not None else None
    return Person(user, session_token) if user is not None else None


@user_loaded_from_cookie.connect
def renew_remembered(_app: Flask, user: Person) -> None:
    """A browser back with only its remember-me cookie (it was closed) gets a new session and a
    new cookie, ending when the old one would have: a copy of the old value is spent."""
    renewed = renew_session(db.session(), user.session_token)
    if renewed is None:
        return
    token, left = renewed
    db.session.commit()
    user.session_token = token
    session["_user_id"] = token
    session["_remember"] = "set"  # Flask-Login writes the new cookie on this response
    session["_remember_seconds"] = int(left.total_seconds())


def sign_in_lifetime() -> timedelta:
    """How long a sign-in lasts (REMEMBER_ME_DAYS), on the server and in the remember-me cookie."""
    return timedelta(days=app_settings().remember_me_days)


def sign_in(user: User) -> None:
    """Start a new session for ``user`` in this browser, ending the one it had: every sign-in
    gets new cookies, so a value seen before it is worth nothing after it."""
    if current_user.is_authenticated:
        end_session(db.session(), current_user.session_token, "signed in again")
    token = start_session(db.session(), user.id, sign_in_lifetime())
    db.session.commit()
    login_user(Person(user, token), remember=True, duration=sign_in_lifetime())


def membership_or_404(organisation_id: int) -> Membership:
    """The signed-in person's membership of the organisation; 404 for anyone else, as for a page
    that does not exist (an organisation's data is reachable only through its people)."""
    found = db.session.scalar(
        select(Membership).where(
            Membership.organisation_id == organisation_id, Membership.user_id == current_user.user.id
        )
    )
    if found is None:
        abort(404)
    return found


def person_for_identity(provider: str, claims: dict[str, Any]) -> User:
    """The user who signs in with these ID-token claims: found, linked or created."""
    subject = str(claims["sub"])
    session = db.session()
    identity = session.scalar(
        select(UserIdentity).where(UserIdentity.provider == provider, UserIdentity.subject == subject)
    )
    user: User | None
    if identity is not None:
        user = identity.user
    else:
        user = current_user.user if current_user.is_authenticated else None
        if user is None:
            name = claims.get("name") or " ".join(
                part for part in (claims.get("given_name"), claims.get("family_name")) if part
            )
            user = User(email=claims.get("email") or "", name=name or claims.get("email") or "")
            session.add(user)
        session.add(UserIdentity(user=user, provider=provider, subject=subject))
    user.last_signed_in_at = clock.now()
    session.flush()
    return user


@auth.get("/signin")
def signin() -> ResponseReturnValue:
    """The sign-in page: one button per ledger this deployment is set up for."""
    return render_template("auth/signin.html", providers=configured_providers(app_settings()))


@auth.post("/signout")
@login_required
def signout() -> ResponseReturnValue:
    """End this browser's session on the server, and forget its cookies."""
    end_session(db.session(), current_user.session_token)
    db.session.commit()
    logout_user()
    return redirect(url_for("auth.signin"))


@auth.post("/signout/everywhere")
@login_required
def signout_everywhere() -> ResponseReturnValue:
    """End every session of the person, in every browser (a lost laptop, a shared computer)."""
    ended = end_every_session(db.session(), current_user.user.id)
    db.session.commit()
    logout_user()
    flash(
        ngettext(
            "Signed out of Relance everywhere (%(num)d session).",
            "Signed out of Relance everywhere (%(num)d sessions).",
            ended,
        )
    )
    return redirect(url_for("auth.signin"))
