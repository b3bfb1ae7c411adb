"""/Currencies: the currencies an organisation works in (OAS-ACC getCurrencies).

Independent Xero clients read it at start to learn which currencies invoices may carry. Xero
lists the base currency and each currency added to the organisation; the sandbox has no "add a
currency" (PUT /Currencies is not served), so its list is the base currency and every currency
its contacts, invoices and credits use, base currency first and the rest by code. `where` and
`order` work as on other lists (OAS-ACC names both parameters; If-Modified-Since is not one).

Description is the currency's English name: Xero's own examples give "New Zealand Dollar" and
"United States Dollar" (OAS-ACC getCurrencies and createCurrency); other codes take Babel's
English name, Xero's wording for them being unconfirmed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from babel.numbers import get_currency_name
from flask import Blueprint, Response, request

from .books import OrganisationBooks
from .context import answer, books_of
from .errors import BadQuery
from .where import compile_where

if TYPE_CHECKING:
    from .sandbox import XeroSandbox

CURRENCY_FIELDS = {"Code", "Description"}
XERO_NAMES = {"NZD": "New Zealand Dollar", "USD": "United States Dollar"}  # OAS-ACC examples


def currency_name(code: str) -> str:
    """The name Xero shows for a currency code."""
    return XERO_NAMES.get(code) or get_currency_name(code, locale="en")


def organisation_currencies(books: OrganisationBooks) -> list[str]:
    """The base currency, then every other currency the books use, by code."""
    base = books.organisation.base_currency
    used = {c.default_currency for c in books.contacts.values() if c.default_currency}
    used |= {i.currency_code for i in books.invoices.values()}
    used |= {c.currency_code for c in books.credits.values()}
    return [base, *sorted(used - {base})]


def currencies_blueprint(bp: Blueprint, sandbox: XeroSandbox) -> None:
    """GET /Currencies on the Accounting blueprint."""

    @bp.get("/Currencies")
    def list_currencies() -> Response:
        books = books_of(sandbox)
        with books.lock:
            rows = [
                {"Code": code, "Description": currency_name(code)} for code in organisation_currencies(books)
            ]
        predicate = compile_where(request.args.get("where"), CURRENCY_FIELDS)
        if predicate is not None:
            rows = [row for row in rows if predicate(row)]
        order = (request.args.get("order") or "").strip()
        if order:
            name, _, direction = order.partition(" ")
            field = {f.lower(): f for f in CURRENCY_FIELDS}.get(name.lower())
            if field is None:
                raise BadQuery(f"No property or field '{name}' exists")
            rows.sort(key=lambda row: str(row[field]).lower(), reverse=direction.strip().upper() == "DESC")
        return answer(sandbox, "Currencies", rows)


__all__ = ["currencies_blueprint", "currency_name", "organisation_currencies"]
