"""The receivables area: the aged receivables report of one organisation, on screen, as CSV and
as a printable PDF.

Only people of the organisation see it (anyone else gets 404, as for a page that does not exist).
`?as_of=YYYY-MM-DD` asks for another day than the organisation's today; `?detail=1` lists each
open item under its customer.

A download is named after the organisation and the day (``Harbour Cafe Ltd aged receivables
2026-06-30.pdf``), so that the files of several clients and days can sit in one folder.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from urllib.parse import quote

from flask import Blueprint, Response, abort, request
from flask_login import login_required

from reminders.receivables.report import AgedReceivables, aged_receivables
from reminders.reports.exports import PdfUnavailable, receivables_csv, receivables_html, receivables_pdf
from runtime.db import db
from web.auth import membership_or_404
from web.headers import csp_nonce

receivables = Blueprint("receivables", __name__)


def _report(organisation_id: int) -> AgedReceivables:
    organisation = membership_or_404(organisation_id).organisation
    as_of = None
    if request.args.get("as_of"):
        try:
            as_of = date.fromisoformat(request.args["as_of"])
        except ValueError:
            abort(400, description="as_of must be a date written YYYY-MM-DD")
    return aged_receivables(db.session(), organisation.id, as_of, detail=_detail())


def _detail() -> bool:
    """``?detail=1``: each open item under its customer."""
    return request.args.get("detail") in ("1", "true", "yes")


# Characters that no file name may hold on the common systems (Windows forbids <>:"/\\|?*), and
# control characters: they become a space, which also keeps quotes and backslashes out of the
# quoted-string of ``filename``.
_UNSAFE_IN_NAMES = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]+')


def download_name(report: AgedReceivables, extension: str) -> str:
    """What a downloaded report is called: the organisation, what it is, the day."""
    name = f"{report.organisation_name} aged receivables {report.as_of.isoformat()}.{extension}"
    return " ".join(_UNSAFE_IN_NAMES.sub(" ", name).split())


def attachment(filename: str) -> str:
    """The Content-Disposition of a download called ``filename`` (RFC 6266).

    A name that is not ASCII is given twice: ``filename*`` in UTF-8 (RFC 8187, formerly 5987),
    which browsers prefer, and ``filename`` with the accents taken off for those that do not read it.
    """
    plain = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    plain = " ".join(plain.split())
    if plain == filename:
        return f'attachment; filename="{filename}"'
    # attr-char of RFC 8187 3.2.1 stays as it is; quote() percent-encodes the rest as UTF-8.
    encoded = quote(filename, safe="!#$&+-.^_`|~")
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{encoded}"


def _locale() -> str:
    return (
        request.accept_languages.best_match(["en_GB", "en_US", "en_AU", "en_NZ", "en_CA", "fr_FR"]) or "en_GB"
    )


@receivables.get("/organisations/<int:organisation_id>/aged-receivables")
@login_required
def page(organisation_id: int) -> Response:
    page = receivables_html(_report(organisation_id), _locale(), style_nonce=csp_nonce())
    return Response(page, mimetype="text/html")


@receivables.get("/organisations/<int:organisation_id>/aged-receivables.csv")
@login_required
def csv_file(organisation_id: int) -> Response:
    report = _report(organisation_id)
    if report.first_sync is not None:
        # A spreadsheet cannot carry "incomplete" beside its numbers; the page and the PDF say it.
        return Response(
            "The first sync with the ledger is still running, so these figures are not complete yet. "
            "Try again in a minute.\n",
            status=503,
            mimetype="text/plain",
            headers={"Retry-After": "30"},
        )
    return Response(
        receivables_csv(report, detail=_detail()),
        mimetype="text/csv",
        headers={"Content-Disposition": attachment(download_name(report, "csv"))},
    )


@receivables.get("/organisations/<int:organisation_id>/aged-receivables.pdf")
@login_required
def pdf_file(organisation_id: int) -> Response:
    report = _report(organisation_id)
    try:
        pdf = receivables_pdf(report, _locale())
    except PdfUnavailable as missing:
        abort(503, description=str(missing))
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": attachment(download_name(report, "pdf"))},
    )
