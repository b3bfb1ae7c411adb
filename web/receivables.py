"""The receivables area: the aged receivables report of one organisation, on screen, as CSV and
as a printable PDF.

Only people of the organisation see it (anyone else gets 404, as for a page that does not exist).
`?as_of=YYYY-MM-DD` asks for another day than the organisation's today; `?detail=1` lists each
open item under its customer. The page shows both as a form's controls, and sorts its rows by
`?sort=customer|total|<bucket index>&order=asc|desc` (on the server: it works without JavaScript);
the downloads take the same day and detail, and always list customers by name, as printed.

A download is named after the organisation and the day (``Harbour Cafe Ltd aged receivables
2026-06-30.pdf``), so that the files of several clients and days can sit in one folder.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from babel.dates import format_date
from babel.numbers import format_decimal
from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from reminders.receivables.aging import ItemKind
from reminders.receivables.report import AgedReceivables, ReceivablesRow, aged_receivables
from reminders.reports.exports import (
    PdfUnavailable,
    formatters,
    receivables_csv,
    receivables_pdf,
)
from runtime.db import db
from web.auth import membership_or_404
from web.i18n import money_format

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


KIND_NAMES = {
    ItemKind.INVOICE.value: _l("Invoice"),
    ItemKind.CREDIT_NOTE.value: _l("Credit note"),
    ItemKind.OVERPAYMENT.value: _l("Overpayment"),
    ItemKind.PREPAYMENT.value: _l("Prepayment"),
    ItemKind.PAYMENT.value: _l("Unapplied payment"),
}
RECORD_NAMES = {
    "contacts": _l("customers"),
    "invoices": _l("invoices"),
    "credit_notes": _l("credit notes"),
    "payments": _l("payments"),
}


def bucket_heading(label: str) -> str:
    """A bucket's column, in the page's language: "current" -> "Current", "1-30" -> "1-30 days",
    "over 120" -> "Over 120 days" (the labels of reminders.receivables.aging.Buckets)."""
    if label == "current":
        return _("Current")
    if label.startswith("over "):
        return _("Over %(days)s days", days=label.removeprefix("over "))
    return _("%(range)s days", range=label)


def _sorting(report: AgedReceivables) -> tuple[str, bool, list[ReceivablesRow]]:
    column = request.args.get("sort") or "customer"
    order = request.args.get("order") or "asc"
    if order not in ("asc", "desc"):
        abort(400, description=_("order must be asc or desc"))
    try:
        rows = report.ordered_by(column, descending=order == "desc")
    except ValueError:
        abort(400, description=_("sort must be customer, total or the number of a bucket column"))
    return column, order == "desc", rows


def _first_sync_counts(report: AgedReceivables) -> str:
    """ "1,200 invoices, 340 payments (reading now)": what the first sync has read so far."""
    if report.first_sync is None:
        return ""
    locale = str(get_locale())
    parts = []
    for kind, count in report.first_sync.counts.items():
        words = f"{format_decimal(count, locale=locale)} {RECORD_NAMES.get(kind, kind)}"
        parts.append(_("%(what)s (reading now)", what=words) if kind == report.first_sync.reading else words)
    return ", ".join(parts)


@receivables.get("/organisations/<int:organisation_id>/aged-receivables")
@login_required
def page(organisation_id: int) -> str:
    """The report as a page of the app: the totals, the day and the detail as controls, sortable."""
    report = _report(organisation_id)
    column, descending, rows = _sorting(report)
    locale = str(get_locale())
    _, day = formatters(report.base_currency, locale)
    base_money = money_format(report.base_currency, locale)

    def money(amount: Decimal, currency: str | None = None) -> str:
        """As the downloads write it (reminders.reports.exports.formatters), from the pattern
        read once: the page writes thousands of amounts."""
        return base_money(amount) if currency is None else money_format(currency, locale)(amount)

    chosen: dict[str, Any] = {
        "as_of": request.args.get("as_of") or None,
        "detail": "1" if _detail() else None,
    }
    customer_pages = "customers.page" in current_app.view_functions

    def sort_link(name: str) -> str:
        """Sorting by ``name``: descending first for amounts, then the other way on a second click."""
        first = "asc" if name == "customer" else "desc"
        order = ("asc" if descending else "desc") if name == column else first
        return url_for("receivables.page", organisation_id=organisation_id, sort=name, order=order, **chosen)

    def customer_link(row: ReceivablesRow) -> str | None:
        if not customer_pages or row.customer_id is None:
            return None
        return url_for("customers.page", organisation_id=organisation_id, customer_id=row.customer_id)

    return render_template(
        "receivables/page.html",
        report=report,
        rows=rows,
        headings=[bucket_heading(label) for label in report.labels],
        sort_column=column,
        descending=descending,
        sort_link=sort_link,
        customer_link=customer_link,
        money=money,
        day=day,
        long_date=format_date(report.as_of, "long", locale=locale),
        kind_names=KIND_NAMES,
        detail=_detail(),
        first_sync_counts=_first_sync_counts(report),
        csv_url=url_for("receivables.csv_file", organisation_id=organisation_id, **chosen),
        pdf_url=url_for("receivables.pdf_file", organisation_id=organisation_id, **chosen),
    )


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
