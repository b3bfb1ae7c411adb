"""Error pages: 4xx and 5xx answers in the app's layout, saying what happened and the way back.

A page that went wrong still has the header and a link on: home for a signed-in person, sign in
for anyone else. A 500 says nothing of the failure itself (that goes to the log, with the request
id that the page also shows, so that a person reporting it can be matched to the log line).
"""

from __future__ import annotations

from flask import Flask, g, render_template
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from runtime.db import db
from runtime.logs import get_logger

log = get_logger(__name__)

TITLES = {
    400: _l("That request could not be read"),
    403: _l("You cannot do that here"),
    404: _l("Page not found"),
    405: _l("That cannot be done to this page"),
    409: _l("That cannot be done now"),
    413: _l("That is too large"),
    410: _l("No longer available"),
    500: _l("Something went wrong on our side"),
    503: _l("Not available right now"),
}
MESSAGES = {  # when the code that stopped gave no reason of its own
    400: _l("Something in the address or the form was not as Relance expects. Go back and try again."),
    404: _l("There is no page at this address, or it is not yours to see."),
    413: _l(
        "What you sent is larger than Relance takes (1 MB for a form; a logo may be 200 KB). "
        "Go back and choose a smaller file."
    ),
    500: _l(
        "Relance could not finish this. Please try again in a moment; if it happens again, "
        "tell whoever runs Relance the reference below."
    ),
}


def register_error_pages(app: Flask) -> None:
    """Answer every HTTP error, and any exception no view caught, with a page in the layout."""
    # Flask turns an exception no view caught into an InternalServerError, which this also takes.
    app.register_error_handler(HTTPException, _http_error)


def _http_error(error: HTTPException) -> ResponseReturnValue:
    code = error.code or 500
    if code < 400:
        return error
    if code >= 500:
        return _internal_error(error)
    # abort(400, description="…") says why; werkzeug's class-level text is generic and long.
    given = error.description if error.description != type(error).description else None
    message = given or MESSAGES.get(code) or type(error).description or ""
    if code == 413 and _in_portal():
        message = str(
            _l(
                "What you sent is larger than we take: a file may be up to 5 MB. Go back and choose a smaller one."
            )
        )
    return _page(code, message), code, _allow_header(error)


def _internal_error(error: HTTPException) -> ResponseReturnValue:
    code = error.code or 500
    db.session.rollback()  # the failure may have left the transaction unusable; the layout reads the user
    if code == 500:
        cause = getattr(error, "original_exception", None) or error
        log.error("request.failed", error=type(cause).__name__)
        message = MESSAGES[500]
    else:
        message = error.description or ""
    return _page(code, message), code


def _in_portal() -> bool:
    from flask import request

    return request.blueprint == "portal"


def _page(code: int, message: str) -> str:
    # A customer in the portal sees the portal's layout: no staff navigation, no sign-in.
    template = "portal/problem.html" if _in_portal() else "problem.html"
    return render_template(
        template,
        title=TITLES.get(code, _l("Something went wrong")),
        message=message,
        status=code,
        request_id=g.get("request_id", ""),
    )


def _allow_header(error: HTTPException) -> dict[str, str]:
    """405 must say which methods the page takes (RFC 9110 15.5.6); werkzeug puts them on the error."""
    return {name: value for name, value in error.get_headers() if name == "Allow"}
