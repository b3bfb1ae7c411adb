"""An expired link's fresh one: the expired page carries a signed proof that its holder had the
link (an hour long), and the button sends a new link to the address on file (never one typed in).
The answer is the same whatever happened, so that it tells nobody whether an address exists."""

from __future__ import annotations

from flask import abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer

from reminders.portal.fresh_links import queue_link_email, request_fresh_link
from reminders.portal.links import PortalLink
from runtime import clock
from runtime.db import db
from web.portal import portal
from web.throttle import rate_limited

SALT = "relance.portal-fresh-link"
PROOF_SECONDS = 3600
FRESH_PER_MINUTE = 5


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def proof_for(link: PortalLink) -> str:
    return str(_serializer().dumps([link.id, link.nonce]))


@portal.post("/fresh")
@rate_limited("portal-fresh", FRESH_PER_MINUTE)
def fresh_link() -> ResponseReturnValue:
    try:
        named = _serializer().loads(request.form.get("proof", ""), max_age=PROOF_SECONDS)
    except BadSignature:
        abort(400, description=_("This page is too old: open the link in your email again."))
    if not (
        isinstance(named, list)
        and len(named) == 2
        and isinstance(named[0], int)
        and isinstance(named[1], str)
    ):
        abort(400)
    session = db.session()
    link = session.get(PortalLink, named[0])
    if (
        link is not None
        and link.nonce == named[1]
        and link.revoked_at is None
        and link.expires_at <= clock.now()
    ):
        language = str(get_locale() or "en")[:2]
        queue_link_email(request_fresh_link(session, link, language))
    return render_template("portal/fresh_sent.html")
