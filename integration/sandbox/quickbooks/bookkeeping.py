"""What QuickBooks checks and computes on every write of an entity, before it is stored.

An invoice's `TotalAmt` is the sum of its lines (plus the SubTotal line QuickBooks adds), its
`Balance` what payments have not yet settled, its DocNumber and DueDate filled in from the
company's numbering and terms; a payment's `UnappliedAmt` is what its lines do not apply
(REFINV, REFPAY). How payments then move other entities is settlement.py.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .chart_of_accounts import prepare_account
from .faults import (
    BusinessValidationError,
    DuplicateName,
    InvalidProperty,
    InvalidReference,
    RequiredParameterMissing,
)
from .products import name_item_refs, prepare_item
from .wire import cents, to_money

if TYPE_CHECKING:
    from .company import Company, StoredEntity

ZERO = Decimal("0")
USD = {"value": "USD", "name": "United States Dollar"}
NOTE_MAX = 2000  # Attachable.Note (secondary: withone.ai notes derived from Intuit's reference)
PRIVATE_NOTE_MAX = 4000  # REFINV


def _require_ref(company: Company, body: dict[str, Any], field_name: str, kind: str) -> StoredEntity:
    ref = body.get(field_name)
    if not isinstance(ref, dict) or not ref.get("value"):
        raise RequiredParameterMissing(field_name)
    entity = company.find(kind, str(ref["value"]))
    if entity is None:
        raise InvalidReference(field_name, str(ref["value"]))
    return entity


def _sales_lines(body: dict[str, Any], entity_name: str) -> Decimal:
    """Number the lines, add the SubTotal line QuickBooks adds, and return the total."""
    lines = [line for line in body.get("Line") or [] if line.get("DetailType") != "SubTotalLineDetail"]
    if not lines:
        raise RequiredParameterMissing("Line")
    total = ZERO
    for number, line in enumerate(lines, start=1):
        detail_type = line.get("DetailType") or "SalesItemLineDetail"
        line["DetailType"] = detail_type
        detail = line.get(detail_type) or {}
        amount = line.get("Amount")
        if amount is None and "Qty" in detail and "UnitPrice" in detail:
            amount = to_money(detail["Qty"]) * to_money(detail["UnitPrice"])
        if amount is None and detail_type != "DescriptionOnly":
            raise RequiredParameterMissing("Amount")
        line["Amount"] = cents(to_money(amount or ZERO))
        line.setdefault("Id", str(number))
        line["LineNum"] = number
        if detail_type == "DiscountLineDetail":
            total -= line["Amount"]
        elif detail_type != "DescriptionOnly":
            total += line["Amount"]
    subtotal = sum((line["Amount"] for line in lines if line["DetailType"] == "SalesItemLineDetail"), ZERO)
    body["Line"] = [
        *lines,
        {"DetailType": "SubTotalLineDetail", "Amount": subtotal, "SubTotalLineDetail": {}},
    ]
    if total < ZERO:
        raise BusinessValidationError(f"{entity_name} total cannot be negative")
    return cents(total)


def _sales_form(
    company: Company, body: dict[str, Any], existing: StoredEntity | None, kind: str
) -> StoredEntity:
    customer = _require_ref(company, body, "CustomerRef", "Customer")
    body["CustomerRef"] = {"value": customer.id, "name": customer.body.get("DisplayName")}
    for read_only in (
        "Balance",
        "HomeBalance",
        "HomeTotalAmt",
        "InvoiceLink",
        "LinkedTxn",
        "AllowIPNPayment",
        "TotalAmt",
        "RemainingCredit",
        "DeliveryInfo",
    ):
        body.pop(read_only, None)
    if existing is not None:
        for kept in ("LinkedTxn", "DeliveryInfo"):
            if kept in existing.body:
                body[kept] = copy.deepcopy(existing.body[kept])
    body["TotalAmt"] = ZERO if body.get("_voided") else _sales_lines(body, kind)
    name_item_refs(company, body, existing)
    body.setdefault("TxnDate", company.today().isoformat())
    body.setdefault(
        "DocNumber", existing.body.get("DocNumber") if existing else company.next_doc_number(kind)
    )
    if len(str(body["DocNumber"])) > 21:
        raise InvalidProperty("DocNumber is longer than 21 characters", element="DocNumber")
    if len(str(body.get("PrivateNote", ""))) > PRIVATE_NOTE_MAX:
        raise InvalidProperty("PrivateNote is longer than 4000 characters", element="PrivateNote")
    email = customer.body.get("PrimaryEmailAddr")
    if "BillEmail" not in body and email:
        body["BillEmail"] = copy.deepcopy(email)
    body.setdefault("CurrencyRef", dict(USD))
    body.setdefault("EmailStatus", "NotSet")
    body.setdefault("PrintStatus", "NotSet")
    body.setdefault("ApplyTaxAfterDiscount", False)
    body.setdefault("TxnTaxDetail", {"TotalTax": ZERO})
    body["TxnTaxDetail"].setdefault("TotalTax", ZERO)
    return customer


def _due_date(company: Company, body: dict[str, Any], customer: StoredEntity) -> None:
    """DueDate = TxnDate + the term's DueDays when the client leaves it out (REFINV create sample)."""
    term_ref = body.get("SalesTermRef") or customer.body.get("SalesTermRef")
    if term_ref is None:
        prefs = company.find("Preferences", "1")
        term_ref = prefs.body["SalesFormsPrefs"].get("DefaultTerms") if prefs else None
    term = company.find("Term", str(term_ref["value"])) if term_ref else None
    if body.get("SalesTermRef") and term is None:
        raise InvalidReference("SalesTermRef", str(body["SalesTermRef"].get("value")))
    if term is not None:
        body["SalesTermRef"] = {"value": term.id, "name": term.body["Name"]}
    if "DueDate" not in body:
        from .wire import parse_date

        days = int(term.body.get("DueDays", 0)) if term else 0
        body["DueDate"] = (parse_date(body["TxnDate"]) + timedelta(days=days)).isoformat()


def prepare_invoice(company: Company, body: dict[str, Any], existing: StoredEntity | None) -> dict[str, Any]:
    """Totals, DocNumber, DueDate, BillEmail and Balance of an invoice."""
    customer = _sales_form(company, body, existing, "Invoice")
    _due_date(company, body, customer)
    body.setdefault("Deposit", ZERO)
    applied = company.applications.applied_to(existing.id) if existing else ZERO
    body["Balance"] = cents(max(body["TotalAmt"] - applied, ZERO))
    if existing is not None and applied > body["TotalAmt"]:
        raise BusinessValidationError("The invoice total is less than the payments already applied to it")
    return body


def prepare_credit_memo(
    company: Company, body: dict[str, Any], existing: StoredEntity | None
) -> dict[str, Any]:
    """Totals and RemainingCredit of a credit memo."""
    _sales_form(company, body, existing, "CreditMemo")
    used = company.applications.applied_to(existing.id) if existing else ZERO
    body["RemainingCredit"] = cents(max(body["TotalAmt"] - used, ZERO))
    body["Balance"] = body["RemainingCredit"]
    return body


def prepare_payment(company: Company, body: dict[str, Any], existing: StoredEntity | None) -> dict[str, Any]:
    """Check each line's link, and compute UnappliedAmt (REFPAY)."""
    customer = _require_ref(company, body, "CustomerRef", "Customer")
    body["CustomerRef"] = {"value": customer.id, "name": customer.body.get("DisplayName")}
    if "TotalAmt" not in body:
        raise RequiredParameterMissing("TotalAmt")
    body["TotalAmt"] = cents(to_money(body["TotalAmt"]))
    settled, credit = ZERO, ZERO
    for line in body.get("Line") or []:
        line["Amount"] = cents(to_money(line.get("Amount", ZERO)))
        for link in line.get("LinkedTxn") or []:
            kind = link.get("TxnType")
            if kind not in ("Invoice", "CreditMemo"):
                raise InvalidProperty(f"LinkedTxn TxnType {kind} is not supported on a Payment", "TxnType")
            target = company.find(kind, str(link.get("TxnId")))
            if target is None or target.voided:
                raise InvalidReference("LinkedTxn.TxnId", str(link.get("TxnId")))
            if target.body["CustomerRef"]["value"] != customer.id:
                raise BusinessValidationError(f"{kind} {target.id} belongs to another customer")
            mine = (
                company.applications.by_target.get(target.id, {}).get(existing.id, ZERO) if existing else ZERO
            )
            open_amount = (
                target.body["Balance"] if kind == "Invoice" else target.body["RemainingCredit"]
            ) + mine
            if line["Amount"] > open_amount and not body.get("_voided"):
                raise BusinessValidationError(
                    f"The amount applied to {kind} {target.id} ({line['Amount']}) exceeds its open balance "
                    f"({open_amount})"
                )
            if kind == "Invoice":
                settled += line["Amount"]
            else:
                credit += line["Amount"]
    unapplied = body["TotalAmt"] - (settled - credit)
    if unapplied < ZERO:
        raise BusinessValidationError("The payment lines add up to more than the payment's TotalAmt")
    body["UnappliedAmt"] = cents(unapplied)
    body.setdefault("TxnDate", company.today().isoformat())
    body.setdefault("CurrencyRef", dict(USD))
    body.setdefault("ProcessPayment", False)
    return body


def prepare_customer(company: Company, body: dict[str, Any], existing: StoredEntity | None) -> dict[str, Any]:
    """DisplayName (unique), defaults, and the Balance QuickBooks keeps for a customer."""
    name = (
        body.get("DisplayName")
        or " ".join(part for part in (body.get("GivenName"), body.get("FamilyName")) if part)
        or body.get("CompanyName")
    )
    if not name:
        raise RequiredParameterMissing("DisplayName")
    for other in company.live("Customer"):
        if other.body["DisplayName"].lower() == str(name).lower() and (
            existing is None or other.id != existing.id
        ):
            raise DuplicateName(str(name))
    body["DisplayName"] = name
    body["FullyQualifiedName"] = name
    body.setdefault("PrintOnCheckName", name)
    body.setdefault("Active", True)
    body.setdefault("Job", False)
    body.setdefault("BillWithParent", False)
    body.setdefault("Taxable", False)
    body.setdefault("PreferredDeliveryMethod", "Email" if body.get("PrimaryEmailAddr") else "Print")
    body.setdefault("CurrencyRef", dict(USD))
    if body.get("SalesTermRef"):
        _require_ref(company, body, "SalesTermRef", "Term")
    balance = existing.body.get("Balance", ZERO) if existing else ZERO
    body["Balance"] = balance
    body["BalanceWithJobs"] = balance
    return body


def prepare_term(company: Company, body: dict[str, Any], existing: StoredEntity | None) -> dict[str, Any]:
    """A payment term: STANDARD terms are due DueDays after the transaction date."""
    if not body.get("Name"):
        raise RequiredParameterMissing("Name")
    body.setdefault("Type", "STANDARD")
    body.setdefault("Active", True)
    body.setdefault("DueDays", 0)
    return body


def prepare_attachable(
    company: Company, body: dict[str, Any], existing: StoredEntity | None
) -> dict[str, Any]:
    """A note attached to an invoice, customer or other entity (DATT)."""
    if not body.get("Note") and not body.get("FileName"):
        raise RequiredParameterMissing("Note")
    if len(str(body.get("Note", ""))) > NOTE_MAX:
        raise InvalidProperty(f"Note is longer than {NOTE_MAX} characters", element="Note")
    refs = body.get("AttachableRef") or []
    for ref in refs:
        entity_ref = ref.get("EntityRef") or {}
        kind = str(entity_ref.get("type", ""))
        matching = next(
            (
                name
                for name in ("Invoice", "Customer", "Payment", "CreditMemo")
                if name.lower() == kind.lower()
            ),
            None,
        )
        if matching is None or company.find(matching, str(entity_ref.get("value"))) is None:
            raise InvalidReference("AttachableRef.EntityRef", f"{kind} {entity_ref.get('value')}")
        entity_ref["type"] = matching
        ref.setdefault("IncludeOnSend", False)
    body["AttachableRef"] = refs
    return body


def prepare_settings(company: Company, body: dict[str, Any], existing: StoredEntity | None) -> dict[str, Any]:
    """CompanyInfo and Preferences take whatever the client sends."""
    return body


_PREPARE = {
    "Invoice": prepare_invoice,
    "CreditMemo": prepare_credit_memo,
    "Payment": prepare_payment,
    "Customer": prepare_customer,
    "Term": prepare_term,
    "Attachable": prepare_attachable,
    "Item": prepare_item,
    "Account": prepare_account,
    "CompanyInfo": prepare_settings,
    "Preferences": prepare_settings,
}


def prepare(
    company: Company, kind: str, body: dict[str, Any], existing: StoredEntity | None
) -> dict[str, Any]:
    """Validate a new version of an entity and fill in what QuickBooks computes."""
    return _PREPARE[kind](company, body, existing)
