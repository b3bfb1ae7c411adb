"""The aged receivables report as files: CSV for spreadsheets, PDF to print or send.

CSV amounts are plain decimals (a dot, no grouping, no symbol) so that spreadsheets read them as
numbers; text that a spreadsheet would take for a formula (=, +, -, @ first) is quoted with an
apostrophe (OWASP's advice on CSV injection). The PDF is HTML printed by WeasyPrint, with money
and dates in the reader's locale (babel).

The page footer is a CSS string in the stylesheet, where HTML's entities mean nothing (CSS Syntax
Level 3, 4.3.5 "consume a string token"; <style> is a raw text element, WHATWG HTML 13.1.2):
autoescaped there, "Craig's" printed as "Craig&#39;s". ``css_string`` writes CSS escapes instead.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from reminders.receivables.aging import ItemKind
from reminders.receivables.report import AgedReceivables
from sync.status import FirstSync

KIND_NAMES = {
    ItemKind.INVOICE.value: "Invoice",
    ItemKind.CREDIT_NOTE.value: "Credit note",
    ItemKind.OVERPAYMENT.value: "Overpayment",
    ItemKind.PREPAYMENT.value: "Prepayment",
    ItemKind.PAYMENT.value: "Unapplied payment",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

templates = Environment(  # reminders/reports/templates: the report and the weekly email
    loader=PackageLoader("reminders.reports", "templates"), autoescape=select_autoescape(), trim_blocks=True
)
# Letters, digits, spaces and any non-ASCII text stand as they are in a CSS string; anything else
# (quotes, backslash, <, &, control characters) is written as a CSS escape: hex digits ended by
# one space, which the escape consumes (even after six digits; CSS Syntax 3, 4.3.7), so that a
# space of the name after it survives. An escape cannot close the string or the <style> element.
_CSS_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,.:;-")


def css_string(value: object) -> Markup:
    """``value`` as a quoted CSS string, safe inside a <style> element."""
    text = str(value)
    escaped = "".join(
        char if char in _CSS_PLAIN or (ord(char) > 0x7F and char.isprintable()) else f"\\{ord(char):x} "
        for char in text
    )
    return Markup(f'"{escaped}"')  # noqa: S704 - every character that could break out is escaped above


templates.filters["css_string"] = css_string


def heading(label: str) -> str:
    """ "1-30" -> "1-30 days", "over 120" -> "Over 120 days", "current" -> "Current"."""
    if label == "current":
        return "Current"
    return f"{label[0].upper()}{label[1:]} days"


def _text(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def _plain(amount: Decimal) -> str:
    return f"{amount:.2f}"


def receivables_csv(report: AgedReceivables, detail: bool = False) -> str:
    """One row per customer and a total row; with ``detail``, one row per open item instead."""
    out = io.StringIO()
    writer = csv.writer(out)
    if detail:
        writer.writerow(
            ["Customer", "Type", "Number", "Date", "Due date", "Days past due", "Bucket", "Currency",
             "Amount", f"Amount ({report.base_currency})"]
        )  # fmt: skip
        for row in report.rows:
            for item in row.items:
                writer.writerow(
                    [
                        _text(row.name),
                        KIND_NAMES.get(item.kind, item.kind),
                        _text(item.number),
                        item.dated.isoformat(),
                        item.due.isoformat() if item.due else "",
                        max(item.days_past_due, 0) if item.due else "",
                        heading(report.labels[item.bucket]),
                        item.currency,
                        _plain(item.balance),
                        _plain(item.base_balance),
                    ]
                )
        return out.getvalue()
    writer.writerow(["Customer", *(heading(label) for label in report.labels), "Total", "Currency"])
    for row in report.rows:
        writer.writerow(
            [_text(row.name), *(_plain(a) for a in row.amounts), _plain(row.total), report.base_currency]
        )
    writer.writerow(
        ["Total", *(_plain(a) for a in report.totals), _plain(report.total), report.base_currency]
    )
    return out.getvalue()


def formatters(base_currency: str, locale: str) -> tuple[Callable[..., str], Callable[[date | None], str]]:
    """money(amount, currency=base) and day(date) in ``locale``, for the templates."""

    def money(amount: Decimal, currency: str | None = None) -> str:
        return format_currency(amount, currency or base_currency, locale=locale)

    def day(value: date | None) -> str:
        return format_date(value, "medium", locale=locale) if value else ""

    return money, day


RECORD_NAMES = {
    "contacts": "customers",
    "invoices": "invoices",
    "credit_notes": "credit notes",
    "payments": "payments",
}


def first_sync_counts(first_sync: FirstSync, locale: str) -> str:
    """ "1,200 invoices (reading), 340 customers" : what a first sync has read so far."""
    parts = []
    for kind, count in first_sync.counts.items():
        state = " (reading now)" if kind == first_sync.reading else ""
        parts.append(f"{format_decimal(count, locale=locale)} {RECORD_NAMES.get(kind, kind)}{state}")
    return ", ".join(parts)


def receivables_html(report: AgedReceivables, locale: str = "en_GB", style_nonce: str | None = None) -> str:
    """The printable page (also what the PDF is made from); ``style_nonce`` lets a browser's
    Content-Security-Policy allow its inline stylesheet."""

    money, day = formatters(report.base_currency, locale)
    return templates.get_template("aged_receivables.html").render(
        report=report,
        headings=[heading(label) for label in report.labels],
        money=money,
        day=day,
        kind_names=KIND_NAMES,
        long_date=format_date(report.as_of, "long", locale=locale),
        first_sync_counts=first_sync_counts(report.first_sync, locale) if report.first_sync else "",
        basis="due date" if report.basis.value == "due_date" else "invoice date",
        style_nonce=style_nonce,
    )


def receivables_pdf(report: AgedReceivables, locale: str = "en_GB") -> bytes:
    """The report as a PDF, A4 landscape, page numbers in the footer."""
    try:
        from weasyprint import HTML  # imported late: it loads Pango, which a worker may never need
    except OSError as missing:  # the Python package is there, the system library is not
        raise PdfUnavailable(
            "PDF export needs Pango 1.44 or later on the server (Debian/Ubuntu: libpango-1.0-0 "
            f"libpangoft2-1.0-0): {missing}"
        ) from missing
    return HTML(string=receivables_html(report, locale)).write_pdf()


class PdfUnavailable(RuntimeError):
    """WeasyPrint cannot load Pango (https://doc.courtbouillon.org/weasyprint/stable/first_steps.html)."""
