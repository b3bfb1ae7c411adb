"""How a reminder email looks: the invoices table (text and HTML) and the HTML part's layout.

The HTML is what mail clients render alike: tables for width, inline styles only, no images or
external styles; paragraphs come from the body's blank lines.
"""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup, escape

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "number": "Invoice",
        "issued": "Date",
        "due": "Due",
        "total": "Total",
        "amount_due": "Amount due",
        "days_late": "Days late",
        "sum": "Total due",
        "fees": "Late fees charged since our last message",
        "fee_for": "invoice {fee} for {invoice}",
    },
    "fr": {
        "number": "Facture",
        "issued": "Date",
        "due": "Échéance",
        "total": "Montant",
        "amount_due": "Reste dû",
        "days_late": "Jours de retard",
        "sum": "Total dû",
        "fees": "Pénalités et indemnités facturées depuis notre dernier message",
        "fee_for": "facture {fee} pour {invoice}",
    },
}
_COLUMNS = ("number", "issued", "due", "total", "amount_due", "days_late")
_NUMERIC = frozenset({"total", "amount_due", "days_late"})


def locale_of(language: str) -> str:
    """The Babel locale of a message language (English for one Relance has no words in)."""
    return language if language in LABELS else "en"


def _shown_days(days_late: int) -> str:
    return str(days_late) if days_late > 0 else ""


def _fee_lines(fees: list[dict[str, str]], language: str) -> list[str]:
    labels = LABELS[locale_of(language)]
    return [
        labels["fee_for"].format(fee=f["number"], invoice=f["invoice"]) + f": {f['amount']}" for f in fees
    ]


def text_table(
    rows: list[dict[str, Any]], sums: list[str], language: str, fees: list[dict[str, str]] | None = None
) -> str:
    """The invoices as an aligned text table, with a total line per currency (``sums``), and the
    late fees raised since the last message (``fees``: number, invoice, amount) under it."""
    labels = LABELS[locale_of(language)]
    lines = [[labels[column] for column in _COLUMNS]]
    for row in rows:
        lines.append([_shown_days(row[c]) if c == "days_late" else row[c] for c in _COLUMNS])
    for money in sums:
        lines.append([labels["sum"], "", "", "", money, ""])
    widths = [max(len(line[i]) for line in lines) for i in range(len(_COLUMNS))]

    def laid_out(line: list[str]) -> str:
        cells = [
            cell.rjust(width) if column in _NUMERIC else cell.ljust(width)
            for cell, width, column in zip(line, widths, _COLUMNS, strict=True)
        ]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * width for width in widths)
    table = "\n".join([laid_out(lines[0]), rule, *(laid_out(line) for line in lines[1:])])
    if fees:
        labels = LABELS[locale_of(language)]
        table += (
            "\n\n" + labels["fees"] + ":\n" + "\n".join(f"- {line}" for line in _fee_lines(fees, language))
        )
    return table


_CELL = "padding:6px 8px;border-bottom:1px solid #dddddd;"


def _safe_link(link: str) -> str | None:
    return link if link.startswith(("https://", "http://")) else None


def html_table(
    rows: list[dict[str, Any]], sums: list[str], language: str, fees: list[dict[str, str]] | None = None
) -> Markup:
    """The invoices as an HTML table, numbers linked to their online invoice, on its own block;
    the late fees raised since the last message in a paragraph under it."""
    labels = LABELS[locale_of(language)]

    def cell(tag: str, value: Any, column: str, extra: str = "") -> Markup:
        align = "right" if column in _NUMERIC else "left"
        return Markup('<{0} style="{1}text-align:{2};{3}">{4}</{0}>').format(tag, _CELL, align, extra, value)

    head = Markup("").join(cell("th", labels[c], c, "font-weight:bold;") for c in _COLUMNS)
    body = []
    for row in rows:
        cells = []
        for column in _COLUMNS:
            value: Any = row[column]
            if column == "days_late":
                value = _shown_days(value)
            elif column == "number" and (link := _safe_link(row["link"])):
                value = Markup('<a href="{0}" style="color:#1a5fb4;">{1}</a>').format(link, value)
            cells.append(cell("td", value, column, "white-space:nowrap;"))
        body.append(Markup("<tr>{0}</tr>").format(Markup("").join(cells)))
    for money in sums:
        body.append(
            Markup(
                '<tr><td colspan="4" style="{0}font-weight:bold;">{1}</td>{2}<td style="{0}"></td></tr>'
            ).format(_CELL, labels["sum"], cell("td", money, "amount_due", "font-weight:bold;"))
        )
    table = Markup(
        '<table cellpadding="0" cellspacing="0" border="0" '
        'style="border-collapse:collapse;width:100%;margin:0 0 16px 0;font-size:14px;">'
        "<thead><tr>{0}</tr></thead><tbody>{1}</tbody></table>"
    ).format(head, Markup("").join(body))
    if fees:
        labels = LABELS[locale_of(language)]
        table += Markup("\n\n{0}:\n{1}").format(
            labels["fees"],
            Markup("\n").join(Markup("- {0}").format(line) for line in _fee_lines(fees, language)),
        )
    # On its own paragraph, whatever the template puts around it (see paragraphs).
    return Markup("\n\n") + table + Markup("\n\n")


_BLANK_LINE = re.compile(r"\n[ \t]*\n\s*")
# An address in escaped text, not one already inside an attribute.
_ADDRESS = re.compile(r"(?<![=\"'])\bhttps?://[^\s<>\"']+")


def _linked(escaped: str) -> str:
    def anchor(match: re.Match[str]) -> str:
        address = match.group(0).rstrip(".,;:)")
        rest = match.group(0)[len(address) :]
        return f'<a href="{address}" style="color:#1a5fb4;">{address}</a>{rest}'

    return _ADDRESS.sub(anchor, escaped)


def paragraphs(body: str) -> str:
    """Blank lines make paragraphs, a newline a line break; the invoices table stands alone."""
    blocks = []
    for chunk in _BLANK_LINE.split(body.strip()):
        chunk = chunk.strip()
        if not chunk:
            continue
        if chunk.startswith("<table"):
            blocks.append(chunk)
        else:
            lines = _linked(chunk).split("\n")
            blocks.append('<p style="margin:0 0 16px 0;">' + "<br>\n".join(lines) + "</p>")
    return "\n".join(blocks)


def email_html(subject: str, body: str, language: str) -> str:
    """The HTML part: the body rendered (autoescaped), in paragraphs, in the layout."""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{escape(locale_of(language))}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(subject)}</title>\n</head>\n"
        '<body style="margin:0;padding:0;background-color:#f4f4f4;">\n'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        'style="background-color:#f4f4f4;"><tr><td align="center" style="padding:24px 12px;">\n'
        '<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" '
        'style="width:100%;max-width:600px;background-color:#ffffff;border:1px solid #dddddd;">'
        '<tr><td style="padding:24px;font-family:Arial,Helvetica,sans-serif;font-size:15px;'
        'line-height:1.5;color:#222222;">\n'
        f"{paragraphs(body)}\n"
        "</td></tr></table>\n</td></tr></table>\n</body>\n</html>\n"
    )
