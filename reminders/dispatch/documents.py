"""The documents reminders send: a customer's statement, a letter, and the day's print batch.

All three are PDFs. The statement and the letter are HTML printed by WeasyPrint, as the aged
receivables report is (reminders/reports/exports.py); the print batch and a letter followed by
its statement are PDFs put one after the other with pypdf.

**Words.** These are made by a worker, outside any web request, in the customer's language and
not the reader's: the labels are a small table by language here (English and French), which is
simpler and surer than the web catalogue's gettext, whose domain and locale belong to a request.
Money and dates are written by babel in the locale given ("fr", "fr_FR", "en_NZ", …); the labels
follow its language, English when it is neither.

**The letter's address** sits where a DL window envelope (110 x 220 mm, the window on the left)
shows it once an A4 sheet is folded in three: DIN 5008's form B address field, 20 mm from the
left edge, from 45 mm below the top, 85 mm wide and 45 mm high; its top 17.7 mm carry the return
address in small type, the recipient's lines start at 62.7 mm
(https://www.din-5008-richtlinien.de/startseite/anschriftenfeld/; Deutsche Post's printing rules
give the same block: 45 mm from the top, 20 mm from the left, 85 x 45 mm,
https://swspedia.atlassian.net/wiki/pages/viewpage.action?pageId=903720867). The first fold is at
99 mm (a third of 297 mm): the subject and the body start below it, so nothing but the address
shows through the window.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import select, union_all
from sqlalchemy.orm import Session

from integration.postal import country_of
from reminders.logos import logo_of
from reminders.models import CollectionSettings
from reminders.receivables.aging import (
    DEFAULT_EDGES,
    ZERO,
    AgingBasis,
    Buckets,
    ItemKind,
    cents,
    open_invoices,
    unapplied_credits,
)
from reminders.reports.exports import PdfUnavailable, css_string
from runtime.tenancy import Organisation
from sync.models import Customer

__all__ = [
    "PdfUnavailable",
    "Statement",
    "for_envelope",
    "letter_pdf",
    "print_batch_pdf",
    "statement",
    "statement_pdf",
]

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "statement": "Statement of account",
        "as_of": "As of {date}",
        "on_hold": "Account on hold",
        "on_hold_detail": "No further orders can be supplied on credit until the overdue balance is paid.",
        "open_invoices": "Open invoices",
        "unused_credits": "Credits not yet used",
        "number": "Number",
        "date": "Date",
        "due_date": "Due date",
        "total": "Total",
        "settled": "Paid or credited",
        "due": "Due",
        "days_late": "Days late",
        "kind": "Type",
        "amount": "Amount",
        "totals": "Totals",
        "currency": "Currency",
        "invoices_due": "Invoices due",
        "balance": "Balance due",
        "aging": "Aging",
        "current": "Current",
        "days": "{low}\N{EN DASH}{high} days",
        "over": "Over {days} days",
        "nothing_owed": "Nothing is owed on this date.",
        "page": "Page",
        "of": "of",
        ItemKind.CREDIT_NOTE.value: "Credit note",
        ItemKind.OVERPAYMENT.value: "Overpayment",
        ItemKind.PREPAYMENT.value: "Prepayment",
        ItemKind.PAYMENT.value: "Unapplied payment",
        "subject": "Subject:",
    },
    "fr": {
        "statement": "Relevé de compte",
        "as_of": "Au {date}",
        "on_hold": "Compte suspendu",
        "on_hold_detail": "Aucune nouvelle commande ne peut être livrée à crédit avant le règlement du solde échu.",
        "open_invoices": "Factures non réglées",
        "unused_credits": "Avoirs et crédits non utilisés",
        "number": "Numéro",
        "date": "Date",
        "due_date": "Échéance",
        "total": "Montant",
        "settled": "Réglé ou crédité",
        "due": "Reste dû",
        "days_late": "Jours de retard",
        "kind": "Type",
        "amount": "Montant",
        "totals": "Totaux",
        "currency": "Devise",
        "invoices_due": "Factures dues",
        "balance": "Solde dû",
        "aging": "Ancienneté",
        "current": "Non échu",
        "days": "{low} à {high} jours",
        "over": "Plus de {days} jours",
        "nothing_owed": "Rien n\N{RIGHT SINGLE QUOTATION MARK}est dû à cette date.",
        "page": "Page",
        "of": "sur",
        ItemKind.CREDIT_NOTE.value: "Avoir",
        ItemKind.OVERPAYMENT.value: "Trop-perçu",
        ItemKind.PREPAYMENT.value: "Acompte",
        ItemKind.PAYMENT.value: "Paiement non affecté",
        "subject": "Objet :",
    },
}
LOGO_TYPES = frozenset({"image/png", "image/jpeg"})  # what reminders/logos.py accepts

templates = Environment(  # reminders/dispatch/templates: the statement and the letter
    loader=PackageLoader("reminders.dispatch", "templates"), autoescape=select_autoescape(), trim_blocks=True
)
templates.filters["css_string"] = css_string


def labels_for(language: str) -> dict[str, str]:
    """The labels in ``language`` ("fr", "fr_CA", "en-NZ"); English for any other language."""
    return LABELS.get(language.replace("-", "_").split("_")[0].lower(), LABELS["en"])


def _locale(language: str) -> Locale:
    try:
        return Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def _logo_uri(image: bytes | None, content_type: str | None) -> str | None:
    """The logo as a data: URI, or None (a type the logo check would not have let in is dropped)."""
    if not image or content_type not in LOGO_TYPES:
        return None
    return f"data:{content_type};base64,{base64.b64encode(image).decode('ascii')}"


def for_envelope(customer_name: str, postal_address: Sequence[str], home_country: str = "") -> list[str]:
    """The lines under the customer's name: without a first line that repeats the name (QuickBooks
    often keeps it there) and without the country when the letter stays in ``home_country``."""
    lines = [line for line in postal_address if line.strip()]
    if lines and lines[0].strip().casefold() == customer_name.strip().casefold():
        lines = lines[1:]
    if lines and home_country and country_of(lines[-1]) == home_country.upper():
        lines = lines[:-1]
    return lines


# The statement ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    """An open invoice (days_late from its due date) or a credit not yet used (negative amounts)."""

    kind: str  # reminders.receivables.aging.ItemKind
    number: str
    dated: date
    due_on: date | None
    currency: str
    total: Decimal
    settled: Decimal  # paid or credited up to the statement's date
    due: Decimal  # what is still open on that date
    days_late: int
    bucket: int


@dataclass
class CurrencyTotal:
    currency: str
    invoices: Decimal  # what the open invoices still owe
    credits: Decimal  # credit not yet used, negative
    buckets: list[Decimal]  # the net balance by aging bucket

    @property
    def balance(self) -> Decimal:
        return self.invoices + self.credits


@dataclass
class Statement:
    """What a customer's statement says, read from the mirror on one date."""

    organisation_name: str
    home_country: str
    customer_name: str
    postal_address: list[str]
    as_of: date
    bucket_labels: tuple[str, ...]
    invoices: list[StatementLine] = field(default_factory=list)
    credits: list[StatementLine] = field(default_factory=list)
    totals: list[CurrencyTotal] = field(default_factory=list)
    on_hold: bool = False
    logo: tuple[bytes, str] | None = None


def statement(
    session: Session, organisation_id: int, customer_id: int, as_of: date, on_hold: bool = False
) -> Statement:
    """The customer's open invoices and unused credits on ``as_of``, aged with the organisation's
    buckets and basis (CollectionSettings), totalled per currency."""
    organisation = session.get(Organisation, organisation_id)
    customer = session.get(Customer, customer_id)
    if organisation is None or customer is None or customer.organisation_id != organisation_id:
        raise LookupError(f"no customer {customer_id} in organisation {organisation_id}")
    chosen = session.get(CollectionSettings, organisation_id)
    buckets = Buckets(tuple(chosen.aging_edges) if chosen else DEFAULT_EDGES)
    basis = AgingBasis(chosen.aging_basis) if chosen else AgingBasis.DUE_DATE
    items = union_all(
        open_invoices(session, organisation_id, as_of, basis, buckets, customer_ledger_id=customer.ledger_id),
        *unapplied_credits(session, organisation_id, as_of, buckets),
    ).subquery()
    rows = session.execute(
        select(items)
        .where(items.c.customer == customer.ledger_id)
        .order_by(items.c.issued_on, items.c.number, items.c.ledger_id)
    ).all()
    logo = logo_of(session, organisation_id)
    found = Statement(
        organisation.name,
        organisation.country,
        customer.name,
        for_envelope(customer.name, customer.postal_address or [], organisation.country),
        as_of,
        buckets.labels,
        on_hold=on_hold,
        logo=(logo.image, logo.content_type) if logo else None,
    )
    totals: dict[str, CurrencyTotal] = {}
    for row in rows:
        total, due = cents(row.total), cents(row.balance)
        line = StatementLine(
            row.kind,
            row.number or "",
            row.issued_on,
            row.due_on,
            row.currency,
            total,
            total - due,
            due,
            max((as_of - row.due_on).days, 0) if row.due_on else 0,
            row.bucket,
        )
        tally = totals.setdefault(
            row.currency, CurrencyTotal(row.currency, ZERO, ZERO, [ZERO] * len(buckets.labels))
        )
        if row.kind == ItemKind.INVOICE.value:
            found.invoices.append(line)
            tally.invoices += due
        else:
            found.credits.append(line)
            tally.credits += due
        tally.buckets[row.bucket] += due
    found.totals = [totals[currency] for currency in sorted(totals)]
    return found


def bucket_heading(label: str, words: dict[str, str]) -> str:
    """ "current" -> "Current", "1-30" -> "1-30 days" (an en dash), "over 120" -> "Over 120 days", in ``words``."""
    if label == "current":
        return words["current"]
    if label.startswith("over "):
        return words["over"].format(days=label.removeprefix("over "))
    low, high = label.split("-")
    return words["days"].format(low=low, high=high)


def _formatting(language: str) -> tuple[dict[str, str], Any, Any]:
    locale = _locale(language)

    def money(amount: Decimal, currency: str) -> str:
        return format_currency(amount, currency, locale=locale)

    def day(value: date | None) -> str:
        return format_date(value, "medium", locale=locale) if value else ""

    return labels_for(language), money, day


def statement_html(found: Statement, language: str) -> str:
    """The statement as the HTML WeasyPrint prints (and a browser could show)."""
    words, money, day = _formatting(language)
    return templates.get_template("statement.html").render(
        statement=found,
        words=words,
        lang=_locale(language).language,
        money=money,
        day=day,
        long_date=format_date(found.as_of, "long", locale=_locale(language)),
        headings=[bucket_heading(label, words) for label in found.bucket_labels],
        logo=_logo_uri(*found.logo) if found.logo else None,
    )


def statement_pdf(
    session: Session,
    organisation_id: int,
    customer_id: int,
    as_of: date,
    language: str,
    on_hold: bool = False,
) -> bytes:
    """The customer's statement on ``as_of`` as an A4 PDF, in ``language``."""
    return _pdf(statement_html(statement(session, organisation_id, customer_id, as_of, on_hold), language))


# The letter ---------------------------------------------------------------------------------------


def paragraphs(body_text: str) -> list[list[str]]:
    """A text's paragraphs (split on blank lines), each as its lines."""
    blocks = [block.strip() for block in body_text.replace("\r\n", "\n").split("\n\n")]
    return [[line.rstrip() for line in block.split("\n")] for block in blocks if block]


def letter_html(
    organisation_name: str,
    logo: bytes | None,
    logo_type: str | None,
    sender_address: Sequence[str],
    customer_name: str,
    postal_address: Sequence[str],
    on: date,
    subject: str,
    body_text: str,
    language: str,
) -> str:
    """The letter as HTML: letterhead, the address in the window, date, subject, body."""
    words = labels_for(language)
    return templates.get_template("letter.html").render(
        organisation_name=organisation_name,
        logo=_logo_uri(logo, logo_type),
        sender_line=", ".join([organisation_name, *(line for line in sender_address if line.strip())]),
        sender_address=[line for line in sender_address if line.strip()],
        customer_name=customer_name,
        postal_address=[line for line in postal_address if line.strip()],
        long_date=format_date(on, "long", locale=_locale(language)),
        subject=subject,
        paragraphs=paragraphs(body_text),
        words=words,
        lang=_locale(language).language,
    )


def letter_pdf(
    organisation_name: str,
    logo: bytes | None,
    logo_type: str | None,
    sender_address: Sequence[str],
    customer_name: str,
    postal_address: Sequence[str],
    on: date,
    subject: str,
    body_text: str,
    language: str,
    with_statement: bytes | None = None,
) -> bytes:
    """An A4 letter addressed for a DL window envelope; ``with_statement`` (a PDF) follows it, on
    the back of the letter when printed on both sides."""
    letter = _pdf(
        letter_html(
            organisation_name,
            logo,
            logo_type,
            sender_address,
            customer_name,
            postal_address,
            on,
            subject,
            body_text,
            language,
        )
    )
    return letter if with_statement is None else _joined([letter, with_statement], odd_starts=False)


def print_batch_pdf(letters: Sequence[bytes]) -> bytes:
    """The day's letters as one PDF to print on both sides: each starts on a new sheet (an odd
    page), a blank page added after a letter with an odd number of pages."""
    return _joined(list(letters), odd_starts=True)


# PDF making ---------------------------------------------------------------------------------------


def _pdf(html: str) -> bytes:
    try:
        from weasyprint import HTML  # imported late: it loads Pango, which a worker may never need
    except OSError as missing:  # the Python package is there, the system library is not
        raise PdfUnavailable(
            "PDF documents need Pango 1.44 or later on the server (Debian/Ubuntu: libpango-1.0-0 "
            f"libpangoft2-1.0-0): {missing}"
        ) from missing
    result: bytes = HTML(string=html).write_pdf()
    return result


def _joined(documents: list[bytes], odd_starts: bool) -> bytes:
    """PDFs one after the other; with ``odd_starts`` each begins on an odd page (a new sheet)."""
    try:
        from pypdf import PdfReader, PdfWriter
    except ImportError as missing:
        raise PdfUnavailable(f"putting PDFs together needs pypdf: {missing}") from missing
    writer = PdfWriter()
    for document in documents:
        if odd_starts and len(writer.pages) % 2:
            last = writer.pages[-1].mediabox
            writer.add_blank_page(width=last.width, height=last.height)
        writer.append(PdfReader(io.BytesIO(document)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
