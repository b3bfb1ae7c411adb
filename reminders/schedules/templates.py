"""Reminder messages as people write them: Jinja in a sandbox, fed plain values, never objects.

A template sees only strings, numbers and lists of dicts of strings built from a
:class:`MessageContext` (the documented :data:`PLACEHOLDERS`), money and dates formatted for the
message's language with Babel; it renders in the sandbox of :mod:`reminders.schedules.sandbox`
(what it closes and why is said there). Undefined names print as nothing, since a typo must not
stop the day's sending: :func:`check` tells the editor about them instead. Any error at send time,
of the template or of the sandbox, is a :class:`TemplateProblem`: the caller marks the action
failed with its message.

:func:`check` returns :class:`Problem` values: each is the English text (a ``str``) with a
``code`` and its ``params``, and :data:`PROBLEMS` has each code's text in English and French, so
the editor shows them in the reader's language without this layer reaching the web's catalogue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import format_currency, format_decimal
from jinja2 import TemplateSyntaxError, meta, nodes

from reminders.schedules.layout import email_html, html_table, locale_of, text_table
from reminders.schedules.sandbox import TEXT, compiled
from reminders.schedules.stages import Message

Language = Literal["en", "fr"]

# A subject longer than this is cut (mail clients show about 60 to 80 characters; RFC 5322 lines
# stop at 998).
SUBJECT_LIMIT = 150
SOURCE_LIMIT = 20_000
OUTPUT_LIMIT = 200_000


class TemplateProblem(Exception):
    """A message could not be rendered at send time; ``str()`` says why, in English."""


@dataclass(frozen=True)
class InvoiceLine:
    """One invoice a message names, at today's amounts."""

    number: str
    issued_on: date
    due_on: date | None
    currency: str
    total: Decimal
    amount_due: Decimal
    days_late: int  # negative: days until due
    link: str | None = None  # the ledger's online invoice / payment page


@dataclass(frozen=True)
class FeeLine:
    """A late fee raised since the customer's last message, which this one names."""

    number: str  # the fee invoice's number
    for_invoice: str  # the number of the late invoice it was charged on
    currency: str
    amount: Decimal


@dataclass(frozen=True)
class MessageContext:
    """What one message is about: who sends it, to whom, which invoices, in which language."""

    language: Language
    as_of: date
    organisation_name: str
    sender_name: str
    customer_name: str
    contact_name: str | None
    invoices: tuple[InvoiceLine, ...]
    deadline: date | None = None
    portal_link: str | None = None
    on_hold: bool = False
    bank_details: str | None = None
    # Babel's locale for money and dates, when the organisation's country refines the language
    # ("en_NZ" writes NZ$ as $, "fr_CA" writes 1 000,00 $); the language's own otherwise.
    locale: str | None = None
    # An early-payment discount still open on some of the invoices (reminders/discounts.py): its
    # rate, the earliest deadline among them, and what to pay by then, by currency.
    discount_percent: Decimal | None = None
    discount_deadline: date | None = None
    discounted_total: tuple[tuple[str, Decimal], ...] = ()
    # Late fees raised since the last message (reminders.fees): named under the invoices table.
    fees: tuple[FeeLine, ...] = ()

    @property
    def formatting_locale(self) -> str:
        """The locale money and dates are written in: ``locale`` if it is one of the language's."""
        if self.locale:
            try:
                if Locale.parse(self.locale).language == self.language:
                    return self.locale
            except (ValueError, UnknownLocaleError):
                pass
        return locale_of(self.language)

    @property
    def owed(self) -> dict[str, Decimal]:
        """What the invoices leave owed, by currency (in the invoices' order of currencies)."""
        return _by_currency(self.invoices)

    @property
    def overdue(self) -> dict[str, Decimal]:
        """The part of it past due, by currency."""
        return _by_currency(line for line in self.invoices if line.days_late > 0)

    @property
    def oldest_days_late(self) -> int | None:
        """Days the oldest invoice is past due (negative: days until the first falls due)."""
        return max((line.days_late for line in self.invoices), default=None)


def _by_currency(lines: Iterable[InvoiceLine]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for line in lines:
        totals[line.currency] = totals.get(line.currency, Decimal(0)) + line.amount_due
    return totals


@dataclass(frozen=True)
class Rendered:
    """A message ready to send: a one-line subject, the text part and the HTML part."""

    subject: str
    text: str
    html: str


# The words a message to a customer on credit hold opens with (the statement's, documents.py).
ON_HOLD: dict[str, str] = {"en": "Account on hold", "fr": "Compte suspendu"}

PLACEHOLDERS: dict[str, dict[str, str]] = {
    "customer_name": {"en": "The customer's name", "fr": "Le nom du client"},
    "contact_name": {
        "en": "The contact's name, or the customer's when there is no contact",
        "fr": "Le nom du contact, ou celui du client s'il n'y en a pas",
    },
    "organisation_name": {"en": "Your organisation's name", "fr": "Le nom de votre organisation"},
    "sender_name": {"en": "The name the message is sent from", "fr": "Le nom de l'expéditeur"},
    "invoices": {
        "en": "The invoices, to loop over: each has number, issued, due, total, amount_due, "
        "days_late (a number) and link",
        "fr": "Les factures, à parcourir : chacune a number, issued, due, total, amount_due, "
        "days_late (un nombre) et link",
    },
    "invoice_count": {"en": "How many invoices the message names", "fr": "Le nombre de factures"},
    "invoice_numbers": {
        "en": "The invoices' numbers, as a list in words",
        "fr": "Les numéros des factures, en liste",
    },
    "invoices_table": {
        "en": "A table of the invoices (a text table in the text part, an HTML table in the HTML part)",
        "fr": "Un tableau des factures (en texte dans la partie texte, en HTML dans la partie HTML)",
    },
    "total_due": {
        "en": "What the invoices leave owed, in each currency",
        "fr": "Le montant restant dû sur ces factures, dans chaque devise",
    },
    "total_overdue": {
        "en": "The part of it past due, in each currency",
        "fr": "La part échue, dans chaque devise",
    },
    "days_late": {
        "en": "Days the oldest invoice is past due (negative: days until due)",
        "fr": "Jours de retard de la facture la plus ancienne (négatif : jours avant l'échéance)",
    },
    "due_date": {
        "en": "The earliest due date of the invoices",
        "fr": "La première date d'échéance des factures",
    },
    "deadline": {
        "en": "The date by which payment is asked (stages with a deadline)",
        "fr": "La date limite de paiement demandée (étapes avec un délai)",
    },
    "today": {"en": "Today's date", "fr": "La date du jour"},
    "payment_links": {
        "en": "The invoices' online payment pages, as a list of addresses",
        "fr": "Les pages de paiement en ligne des factures, en liste d'adresses",
    },
    "portal_link": {
        "en": "The address of the customer's portal, where they see their invoices, pay, promise a date or raise a dispute",
        "fr": "L'adresse de l'espace client, où il voit ses factures, paie, promet une date ou conteste une facture",
    },
    "on_hold": {
        "en": "Whether the account is on hold, for a condition: {% if on_hold %}…{% endif %}",
        "fr": "Si le compte est suspendu, pour une condition : {% if on_hold %}…{% endif %}",
    },
    "bank_details": {
        "en": "Your bank details for payment by transfer",
        "fr": "Vos coordonnées bancaires pour un virement",
    },
    "discount_open": {
        "en": "Whether an early-payment discount is still open, for a condition: "
        "{% if discount_open %}…{% endif %}",
        "fr": "Si un escompte pour paiement anticipé est encore ouvert, pour une condition : "
        "{% if discount_open %}…{% endif %}",
    },
    "discount_percent": {
        "en": "The early-payment discount's rate (“3%”)",
        "fr": "Le taux de l'escompte pour paiement anticipé (« 3 % »)",
    },
    "discount_deadline": {
        "en": "The last day to pay at the discounted price",
        "fr": "Le dernier jour pour payer au prix escompté",
    },
    "discounted_total": {
        "en": "What to pay by that day, discount taken, in each currency",
        "fr": "Le montant à régler d'ici là, escompte déduit, dans chaque devise",
    },
}

PROBLEMS: dict[str, dict[str, str]] = {
    "syntax": {
        "en": "{part}, line {line}: {detail}",
        "fr": "{part}, ligne {line} : {detail}",
    },
    "unknown_placeholder": {
        "en": "{part}: unknown placeholder “{name}”",
        "fr": "{part} : champ inconnu « {name} »",
    },
    "unsafe": {
        "en": "{part}: “{name}” cannot be used in a message",
        "fr": "{part} : « {name} » ne peut pas être utilisé dans un message",
    },
    "not_supported": {
        "en": "{part}: “{name}” is not available in messages",
        "fr": "{part} : « {name} » n'est pas disponible dans les messages",
    },
    "too_long": {
        "en": "{part}: longer than {limit} characters",
        "fr": "{part} : plus de {limit} caractères",
    },
    "render": {
        "en": "{part}: cannot be rendered: {detail}",
        "fr": "{part} : rendu impossible : {detail}",
    },
}
PARTS: dict[str, dict[str, str]] = {
    "subject": {"en": "Subject", "fr": "Objet"},
    "body": {"en": "Body", "fr": "Corps"},
}


class Problem(str):
    """A problem :func:`check` found: the English text, with its code and parameters."""

    code: str
    params: dict[str, str]

    def __new__(cls, code: str, **params: Any) -> Problem:
        texts = {key: str(value) for key, value in params.items()}
        english = {**texts, "part": PARTS.get(texts.get("part", ""), {}).get("en", texts.get("part", ""))}
        problem = super().__new__(cls, PROBLEMS[code]["en"].format(**english))
        problem.code = code
        problem.params = texts
        return problem

    def describe(self, language: str) -> str:
        """The problem in ``language`` (English when it has none)."""
        texts = PROBLEMS[self.code]
        part = self.params.get("part", "")
        params = {**self.params, "part": PARTS.get(part, {}).get(language, part)}
        return texts.get(language, texts["en"]).format(**params)


# --- the placeholders' values --------------------------------------------------------------------


def _money(amount: Decimal, currency: str, locale: str) -> str:
    return format_currency(amount, currency, locale=locale)


def _day(value: date | None, locale: str) -> str:
    return format_date(value, "medium", locale=locale) if value else ""


def _percent(value: Decimal | None, context: MessageContext) -> str:
    if value is None:
        return ""
    number = format_decimal(value.normalize(), locale=context.formatting_locale)
    return f"{number}\u202f%" if context.language == "fr" else f"{number}%"  # French: 3 % (espace fine)


def _totals(totals: Mapping[str, Decimal], locale: str) -> str:
    amounts = [_money(amount, currency, locale) for currency, amount in totals.items()]
    return format_list(amounts, locale=locale) if amounts else ""


def _rows(context: MessageContext) -> list[dict[str, Any]]:
    locale = context.formatting_locale
    return [
        {
            "number": line.number,
            "issued": _day(line.issued_on, locale),
            "due": _day(line.due_on, locale),
            "total": _money(line.total, line.currency, locale),
            "amount_due": _money(line.amount_due, line.currency, locale),
            "days_late": line.days_late,
            "link": line.link or "",
        }
        for line in context.invoices
    ]


def _values(context: MessageContext, *, html: bool) -> dict[str, Any]:
    language = context.language
    where = context.formatting_locale
    rows = _rows(context)
    dues = [line.due_on for line in context.invoices if line.due_on is not None]
    sums = [_money(amount, currency, where) for currency, amount in context.owed.items()]
    fees = [
        {"number": fee.number, "invoice": fee.for_invoice, "amount": _money(fee.amount, fee.currency, where)}
        for fee in context.fees
    ]
    return {
        "customer_name": context.customer_name,
        "contact_name": context.contact_name or context.customer_name,
        "organisation_name": context.organisation_name,
        "sender_name": context.sender_name,
        "invoices": rows,
        "invoice_count": len(rows),
        "invoice_numbers": format_list([row["number"] for row in rows], locale=where) if rows else "",
        "invoices_table": (html_table if html else text_table)(rows, sums, language, fees),
        "total_due": _totals(context.owed, where),
        "total_overdue": _totals(context.overdue, where),
        "days_late": context.oldest_days_late if context.oldest_days_late is not None else 0,
        "due_date": _day(min(dues), where) if dues else "",
        "deadline": _day(context.deadline, where),
        "today": _day(context.as_of, where),
        "payment_links": [row["link"] for row in rows if row["link"]],
        "portal_link": context.portal_link or "",
        "on_hold": context.on_hold,
        "bank_details": context.bank_details or "",
        "discount_open": bool(context.discounted_total and context.discount_deadline),
        "discount_percent": _percent(context.discount_percent, context),
        "discount_deadline": _day(context.discount_deadline, where),
        "discounted_total": _totals(dict(context.discounted_total), where),
    }


# --- rendering -----------------------------------------------------------------------------------


def _render(source: str, values: Mapping[str, Any], *, html: bool, part: str) -> str:
    if len(source) > SOURCE_LIMIT:
        raise TemplateProblem(f"{part}: longer than {SOURCE_LIMIT} characters")
    try:
        output: str = compiled(source, html=html).render(values)
    except TemplateSyntaxError as error:
        raise TemplateProblem(f"{part}, line {error.lineno}: {error.message}") from error
    except RecursionError as error:
        raise TemplateProblem(f"{part}: recursion too deep") from error
    except Exception as error:  # the sandbox's refusals, and whatever a template can get wrong
        raise TemplateProblem(f"{part}: {error}") from error
    if len(output) > OUTPUT_LIMIT:
        raise TemplateProblem(f"{part}: renders longer than {OUTPUT_LIMIT} characters")
    return output


def render_text(source: str, context: MessageContext) -> str:
    """A text template (a call task's talking points) rendered for ``context``."""
    return _render(source, _values(context, html=False), html=False, part="text").strip()


def render(message: Message, context: MessageContext) -> Rendered:
    """The message for ``context``: a one-line subject, the text part and the HTML part.

    Raises :class:`TemplateProblem` when the message cannot be rendered (the action fails with
    its text); an undefined placeholder prints as nothing.
    """
    text_values = _values(context, html=False)
    subject = " ".join(_render(message.subject, text_values, html=False, part="subject").split())
    if len(subject) > SUBJECT_LIMIT:
        subject = subject[: SUBJECT_LIMIT - 1].rstrip() + "…"
    text = _render(message.body, text_values, html=False, part="body").strip() + "\n"
    body = _render(message.body, _values(context, html=True), html=True, part="body")
    if context.on_hold:
        # Every message to a customer on credit hold says so, whatever its stage's text says
        # (reminders/holds.py); a template may say more with {% if on_hold %}.
        words = ON_HOLD[context.language]
        text = f"{words}\n\n{text}"
        body = f'<p style="font-weight:bold;color:#9b1c1c;text-transform:uppercase">{words}</p>\n{body}'
    return Rendered(subject=subject, text=text, html=email_html(subject, body, context.language))


# --- checking, for the editor --------------------------------------------------------------------

_SAMPLE = MessageContext(
    language="en",
    as_of=date(2026, 6, 30),
    organisation_name="Example Ltd",
    sender_name="Accounts",
    customer_name="Customer Ltd",
    contact_name="Alex",
    invoices=(
        InvoiceLine("INV-1", date(2026, 4, 1), date(2026, 5, 1), "EUR", Decimal(100), Decimal(100), 60, None),
    ),
    deadline=date(2026, 7, 7),
)


_SCALARS = PLACEHOLDERS.keys() - {"invoices", "payment_links"}


def _structure_problems(tree: nodes.Template, part: str) -> list[Problem]:
    problems: list[Problem] = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        name = node.attr if isinstance(node, nodes.Getattr) else None
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            name = node.arg.value if isinstance(node.arg.value, str) else None
        if name is not None and name.startswith("_"):
            problems.append(Problem("unsafe", part=part, name=name))
    for constant in tree.find_all(nodes.Const):  # map(attribute="__class__"), x["__init__"]…
        if isinstance(constant.value, str) and constant.value.startswith("__"):
            problems.append(Problem("unsafe", part=part, name=constant.value))
    for read in tree.find_all(nodes.Getattr):  # a placeholder other than a list has no fields
        if isinstance(read.node, nodes.Name) and read.node.name in _SCALARS:
            problems.append(Problem("not_supported", part=part, name=f"{read.node.name}.{read.attr}"))
    for name_node in tree.find_all(nodes.Name):
        if name_node.name == "self":  # the template itself: nothing for a message in it
            problems.append(Problem("not_supported", part=part, name="self"))
            break
    for node in tree.find_all(nodes.Call):
        if isinstance(node.node, nodes.Getattr) and not node.node.attr.startswith("_"):
            problems.append(Problem("not_supported", part=part, name=node.node.attr + "()"))
    for statement in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        problems.append(Problem("not_supported", part=part, name=type(statement).__name__.lower()))
    for node in tree.find_all((nodes.Filter, nodes.Test)):
        if isinstance(node, nodes.Filter) and node.name not in TEXT.filters:
            problems.append(Problem("not_supported", part=part, name=node.name))
        if isinstance(node, nodes.Test) and node.name not in TEXT.tests:
            problems.append(Problem("not_supported", part=part, name=node.name))
    return problems


def check(message: Message) -> list[Problem]:
    """What is wrong with a message, for its editor: syntax errors with their line, unknown
    placeholders, what the sandbox refuses, and errors when rendered for a sample customer."""
    problems: list[Problem] = []
    for part, source in (("subject", message.subject), ("body", message.body)):
        if len(source) > SOURCE_LIMIT:
            problems.append(Problem("too_long", part=part, limit=SOURCE_LIMIT))
            continue
        try:
            tree = TEXT.parse(source)
        except TemplateSyntaxError as error:
            problems.append(Problem("syntax", part=part, line=error.lineno, detail=error.message or ""))
            continue
        found = _structure_problems(tree, part)
        try:
            undeclared = meta.find_undeclared_variables(tree)
        except TemplateSyntaxError as error:  # an unknown filter or test, found above
            if not found:
                found.append(Problem("syntax", part=part, line=error.lineno, detail=error.message or ""))
            undeclared = set()
        for name in sorted(undeclared - PLACEHOLDERS.keys()):
            problems.append(Problem("unknown_placeholder", part=part, name=name))
        problems.extend(found)
        if not found:
            problems.extend(_trial(source, part))
    return list(dict.fromkeys(problems))  # one Getitem's constant is found twice


def _trial(source: str, part: str) -> list[Problem]:
    rendered: list[Problem] = []
    for html in (False, True):
        try:
            _render(source, _values(_SAMPLE, html=html), html=html, part=part)
        except TemplateProblem as problem:
            detail = str(problem).removeprefix(f"{part}: ")
            rendered.append(Problem("render", part=part, detail=detail))
            break
    return rendered


__all__: list[str] = [
    "PLACEHOLDERS",
    "PROBLEMS",
    "InvoiceLine",
    "MessageContext",
    "Problem",
    "Rendered",
    "TemplateProblem",
    "check",
    "render",
    "render_text",
]
