"""How payments settle invoices and consume credit, and how that moves balances.

A payment's lines (`Line[].LinkedTxn` to an Invoice or CreditMemo) settle invoices and consume
credit (REFPAY). When a payment is created, changed, voided or deleted, each invoice it
touches gets a new Balance, a new `LinkedTxn` list and therefore a new SyncToken and an Update
event (the event is unconfirmed at Intuit but what a syncer must expect). A customer's
`Balance` is its open invoices less unused credit, recomputed without bumping its SyncToken.
Voiding zeroes a transaction's amounts; deleting needs the links undone first (REFINV).
"""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .faults import BusinessValidationError
from .wire import cents

if TYPE_CHECKING:
    from .company import Company, StoredEntity

ZERO = Decimal("0")
TRANSACTIONS = ("Invoice", "Payment", "CreditMemo")


@dataclass
class Applications:
    """Which payment settles how much of which invoice or credit memo."""

    by_target: dict[str, dict[str, Decimal]] = field(default_factory=lambda: defaultdict(dict))
    by_payment: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    by_customer: dict[str, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))

    def applied_to(self, target_id: str) -> Decimal:
        """Total settled on one invoice or consumed from one credit memo."""
        return sum(self.by_target.get(target_id, {}).values(), ZERO)

    def replace(self, payment_id: str, amounts: dict[str, Decimal]) -> set[str]:
        """Record a payment's new applications; returns every target whose balance may move."""
        touched = set(self.by_payment.get(payment_id, set()))
        for target in touched:
            self.by_target[target].pop(payment_id, None)
        for target, amount in amounts.items():
            self.by_target[target][payment_id] = amount
        self.by_payment[payment_id] = set(amounts)
        return touched | set(amounts)


def voided_body(company: Company, entity: StoredEntity) -> dict[str, Any]:
    """Voiding keeps the transaction but zeroes its amounts; PrivateNote says "Voided" (REFINV)."""
    body = copy.deepcopy(entity.body)
    body["_voided"] = True
    body["PrivateNote"] = "Voided" + (f" - {body['PrivateNote']}" if body.get("PrivateNote") else "")
    for line in body.get("Line") or []:
        line["Amount"] = ZERO
    body["TotalAmt"] = ZERO
    for derived in ("Balance", "RemainingCredit", "UnappliedAmt"):
        if derived in body:
            body[derived] = ZERO
    if entity.kind == "Invoice" and company.applications.applied_to(entity.id) > ZERO:
        raise BusinessValidationError("This invoice has payments applied; void or delete the payments first")
    return body


def check_deletable(company: Company, entity: StoredEntity) -> None:
    """An invoice or credit memo with payments linked must be unlinked first (REFINV)."""
    if entity.kind in ("Invoice", "CreditMemo") and company.applications.applied_to(entity.id) > ZERO:
        raise BusinessValidationError(
            f"{entity.kind} {entity.id} has linked payments; delete or unlink them before deleting it"
        )


def transactions_of(company: Company, customer_id: str) -> list[StoredEntity]:
    """The live transactions of one customer."""
    found = (
        company.find(kind, txn_id) for kind, txn_id in company.applications.by_customer.get(customer_id, ())
    )
    return [txn for txn in found if txn is not None]


def _settle_targets(company: Company, payment: StoredEntity) -> None:
    amounts: dict[str, Decimal] = {}
    if not payment.deleted and not payment.voided:
        for line in payment.body.get("Line") or []:
            for link in line.get("LinkedTxn") or []:
                linked = str(link["TxnId"])
                amounts[linked] = amounts.get(linked, ZERO) + line["Amount"]
    for target_id in sorted(company.applications.replace(payment.id, amounts)):
        target = company.find("Invoice", target_id) or company.find("CreditMemo", target_id)
        if target is None:
            continue
        body = copy.deepcopy(target.body)
        applied = company.applications.applied_to(target.id)
        payments = sorted(company.applications.by_target.get(target.id, {}), key=int)
        links = [link for link in body.get("LinkedTxn", []) if link.get("TxnType") != "Payment"]
        body["LinkedTxn"] = links + [{"TxnId": pid, "TxnType": "Payment"} for pid in payments]
        if target.kind == "Invoice":
            body["Balance"] = cents(max(body["TotalAmt"] - applied, ZERO))
        else:
            body["RemainingCredit"] = cents(max(body["TotalAmt"] - applied, ZERO))
            body["Balance"] = body["RemainingCredit"]
        if body != target.body:
            company.revise(target, body, at=payment.updated)


def _refresh_customer_balance(company: Company, customer_id: str) -> None:
    customer = company.find("Customer", customer_id)
    if customer is None:
        return
    balance = ZERO
    for txn in transactions_of(company, customer_id):
        if txn.kind == "Invoice":
            balance += txn.body.get("Balance", ZERO)
        elif txn.kind == "CreditMemo":
            balance -= txn.body.get("RemainingCredit", ZERO)
        else:
            balance -= txn.body.get("UnappliedAmt", ZERO)
    customer.body["Balance"] = customer.body["BalanceWithJobs"] = cents(balance)


def after_write(company: Company, entity: StoredEntity, previous: dict[str, Any] | None) -> None:
    """Propagate a write: payments settle invoices, transactions move customer balances."""
    if entity.kind not in TRANSACTIONS:
        return
    key = (entity.kind, entity.id)
    customer_id = entity.body["CustomerRef"]["value"]
    old_customer = previous["CustomerRef"]["value"] if previous else customer_id
    company.applications.by_customer[old_customer].discard(key)
    if not entity.deleted:
        company.applications.by_customer[customer_id].add(key)
    if entity.kind == "Payment":
        _settle_targets(company, entity)
    for affected in {customer_id, old_customer}:
        _refresh_customer_balance(company, affected)
