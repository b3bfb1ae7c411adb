"""History and Notes: GET lists a record's history, PUT/POST adds notes (XHIST in xero-details.md 4.6).

A note added through the API on a sales invoice also counts, for the simulated customers, as
the first reminder they received: a "pays after a reminder" customer pays a few days later.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, Response

from .books import HISTORY_DETAILS_MAX, OrganisationBooks
from .context import answer, books_of
from .errors import NotFound, ValidationFailed
from .models import HistoryRecord
from .parsing import body_json, elements
from .wire import history_json

if TYPE_CHECKING:
    from .sandbox import XeroSandbox

HISTORY_TARGETS = ("Invoices", "Contacts", "CreditNotes", "Payments", "Overpayments", "Prepayments")


def _owner(books: OrganisationBooks, collection: str, record_id: str):
    key = record_id.lower()
    if collection == "Invoices":
        return books.find_invoice(record_id)
    if collection == "Contacts":
        return books.contacts.get(key)
    if collection == "Payments":
        return books.payments.get(key)
    credit = books.credits.get(key)
    kind = {"CreditNotes": "CreditNote", "Overpayments": "Overpayment", "Prepayments": "Prepayment"}[
        collection
    ]
    return credit if credit is not None and credit.kind == kind else None


def note_problem(details: str) -> str | None:
    """Xero's objection to a note, if any."""
    if not details.strip():
        return "The Details field is required"  # unconfirmed wording
    if len(details) > HISTORY_DETAILS_MAX:
        return f"Details cannot be more than {HISTORY_DETAILS_MAX} characters long"  # unconfirmed wording
    return None


def history_blueprint(bp: Blueprint, sandbox: XeroSandbox) -> None:
    """Register GET/PUT/POST /{collection}/{id}/History for every collection Relance writes notes to."""

    for collection in HISTORY_TARGETS:

        def read(record_id: str, collection: str = collection) -> Response:
            books = books_of(sandbox)
            owner = _owner(books, collection, record_id)
            if owner is None:
                raise NotFound()
            return answer(sandbox, "HistoryRecords", [history_json(r) for r in owner.history])

        def write(record_id: str, collection: str = collection) -> Response:
            books = books_of(sandbox)
            owner = _owner(books, collection, record_id)
            if owner is None:
                raise NotFound()
            notes = [str(e.get("Details") or "") for e in elements(body_json(), "HistoryRecords")]
            failures = []
            for details in notes:
                problem = note_problem(details)
                if problem:
                    failures.append({"Details": details, "ValidationErrors": [{"Message": problem}]})
            if failures:  # all or nothing, so a retried request does not duplicate the valid notes
                raise ValidationFailed(failures)
            created: list[HistoryRecord] = [books.add_note(owner.history, details) for details in notes]
            if collection == "Invoices" and created and owner.first_reminded_on is None:
                owner.first_reminded_on = books.clock.today()
            return answer(sandbox, "HistoryRecords", [history_json(r, created=True) for r in created])

        bp.add_url_rule(f"/{collection}/<record_id>/History", f"history_{collection}", read, methods=["GET"])
        bp.add_url_rule(
            f"/{collection}/<record_id>/History", f"note_{collection}", write, methods=["PUT", "POST"]
        )
