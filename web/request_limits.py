"""What every request must be before a route sees it: ids a database column can hold, and no NUL.

A route's ``<int:…>`` is always a database id, so the app's ``int`` converter is
:class:`DatabaseId`: 1 to 2**31 - 1, the range of PostgreSQL's ``integer`` (SQLite takes up to
2**63 - 1 and Python ints beyond it raise OverflowError), and anything else is a 404 before the
database is asked. A NUL in the path, the query string or a form field's name is refused with
400: PostgreSQL refuses it in text, and nothing a person types holds one. Form values are the
forms' to check, so that the person sees which field is wrong (web/settings.py).
"""

from __future__ import annotations

from flask import Flask, abort, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter, Map

LARGEST_ID = 2**31 - 1


def _digits_up_to(largest: int) -> str:
    """A regular expression for the whole numbers 1 to ``largest``, without leading zeros."""
    text = str(largest)
    shorter = rf"[1-9]\d{{0,{len(text) - 2}}}" if len(text) > 1 else ""
    same_length = []
    for position, digit in enumerate(text):
        if int(digit) > (1 if position == 0 else 0):
            low = "1" if position == 0 else "0"
            same_length.append(
                text[:position] + f"[{low}-{int(digit) - 1}]" + rf"\d{{{len(text) - position - 1}}}"
            )
    same_length.append(text)
    return "|".join(filter(None, [shorter, *same_length]))


class DatabaseId(IntegerConverter):
    """A database id in a URL: 1 to 2**31 - 1, digits only; anything else does not match (404).

    The bound is in the regular expression, not only in ``to_python``: a value refused there would
    still count as matching a route's path, and Werkzeug would answer 405 to a POST whose path
    also names a GET route."""

    regex = f"(?:{_digits_up_to(LARGEST_ID)})"

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=LARGEST_ID)


def install(app: Flask) -> None:
    """Register the id converter (before any route is added) and the NUL check."""
    app.url_map.converters["int"] = DatabaseId
    app.url_map.converters["id"] = DatabaseId
    app.before_request(_refuse_nul)


def _refuse_nul() -> None:
    values = [request.path, *request.args.keys(), *request.args.values()]
    # The webhook intake reads its raw body itself (and keeps what it cannot read): its body is
    # never parsed as a form here.
    if request.blueprint != "webhooks" and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        values += request.form.keys()
    if any("\x00" in value for value in values):
        abort(400, description=_("a request may not hold a NUL character"))


# Routes that take a file larger than a form's megabyte (MAX_CONTENT_LENGTH), and how much: a
# customer's dispute in the portal may carry a phone's photo.
LARGER_BODIES = {"portal.dispute": 6 * 1024 * 1024}


def allow_larger_bodies(app: Flask) -> None:
    """Raise the body limit for the routes of LARGER_BODIES; registered before anything reads a form."""

    @app.before_request
    def larger_body() -> None:
        allowed = LARGER_BODIES.get(request.endpoint or "")
        if allowed is not None:
            request.max_content_length = allowed
