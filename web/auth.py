"""Signing in: with Xero or Intuit (OpenID Connect), as the app marketplaces expect.

A person is a ``User`` keyed on each provider's subject (``UserIdentity``); signing in with a
second provider while signed in links it to the same person. Flask-Login keeps the session.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import LoginManager, UserMixin, current_user, login_required, logout_user
from sqlalchemy import select

from integration.providers import configured_providers
from runtime import clock
from runtime.db import db
from runtime.tenancy import Membership, User, UserIdentity
from web import settings

auth = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.signin"
login_manager.login_message = "Please sign in to continue."


class Person(UserMixin):
    """The signed-in person, as Flask-Login sees them."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        return str(self.user.id)


@login_manager.user_loader
def load_person(user_id: str) -> Person | None:
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return Person(user) if user is not None else None


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
    session = db.session
    identity = session.scalar(
        select(UserIdentity).where(UserIdentity.provider == provider, UserIdentity.subject == subject)
    )
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
def signin():  # type: ignore[no-untyped-def]
    """The sign-in page: one button per ledger this deployment is set up for."""
    return render_template("signin.html", providers=configured_providers(settings()))


@auth.post("/signout")
@login_required
def signout():  # type: ignore[no-untyped-def]
    logout_user()
    return redirect(url_for("auth.signin"))
