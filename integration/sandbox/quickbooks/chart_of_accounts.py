"""The chart of accounts: what QuickBooks checks on an Account write, and the accounts a new company has.

Sources. ACCT = Intuit's Account reference (developer.intuit.com/app/developer/qbo/docs/api/accounting/
all-entities/account) as copied in the code index (Petrus-Han/finance_plugins
`ref/quickbooks_dev_docs/api-reference/account.md`, a secondary copy): `Name` required, at most 100
characters, no `"` or `:`; `AccountType` or `AccountSubType` required; `Classification`,
`CurrentBalance`, `CurrentBalanceWithSubAccounts`, `FullyQualifiedName` (`Parent:Child`) and
`SubAccount` read-only; `AcctNum` at most 7 characters in US companies; `Description` at most 100;
accounts are never deleted, only made inactive (also python-quickbooks `objects/account.py`).
The type -> classification table is ACCT's; its read sample shows `AccountType "Accounts Receivable"`
with `AccountSubType "AccountsReceivable"`. The default sub-type for the other types is
unconfirmed (the enum names are Intuit's AccountSubTypeEnum as commonly used; not re-checked).

The sandbox keeps no general ledger: `CurrentBalance` is stored, never posted to (unconfirmed
how much a client may rely on it; Relance does not read it).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .faults import DuplicateName, InvalidProperty, InvalidReference, RequiredParameterMissing

if TYPE_CHECKING:
    from datetime import datetime

    from .company import Company, StoredEntity

ZERO = Decimal("0")
NAME_MAX = 100  # ACCT
DESCRIPTION_MAX = 100  # ACCT
ACCT_NUM_MAX = 7  # ACCT: US, UK and IN companies (AU/CA allow 20)

# AccountType -> (Classification, default AccountSubType). Classifications per ACCT; the default
# sub-types other than AccountsReceivable are unconfirmed.
ACCOUNT_TYPES: dict[str, tuple[str, str]] = {
    "Bank": ("Asset", "Checking"),
    "Other Current Asset": ("Asset", "OtherCurrentAssets"),
    "Fixed Asset": ("Asset", "OtherFixedAssets"),
    "Other Asset": ("Asset", "OtherLongTermAssets"),
    "Accounts Receivable": ("Asset", "AccountsReceivable"),
    "Accounts Payable": ("Liability", "AccountsPayable"),
    "Credit Card": ("Liability", "CreditCard"),
    "Other Current Liability": ("Liability", "OtherCurrentLiabilities"),
    "Long Term Liability": ("Liability", "OtherLongTermLiabilities"),
    "Equity": ("Equity", "OwnersEquity"),
    "Income": ("Revenue", "SalesOfProductIncome"),
    "Other Income": ("Revenue", "OtherMiscellaneousIncome"),
    "Expense": ("Expense", "OtherMiscellaneousServiceCost"),
    "Other Expense": ("Expense", "OtherMiscellaneousExpense"),
    "Cost of Goods Sold": ("Expense", "SuppliesMaterialsCogs"),
}
# Sub-types the sandbox knows, so a client may send only AccountSubType (ACCT allows either).
SUBTYPE_TYPES: dict[str, str] = {
    **{subtype: account_type for account_type, (_, subtype) in ACCOUNT_TYPES.items()},
    "UndepositedFunds": "Other Current Asset",
    "Inventory": "Other Current Asset",
    "Savings": "Bank",
    "ServiceFeeIncome": "Income",
    "DiscountsRefundsGiven": "Income",
    "OtherPrimaryIncome": "Income",
    "NonProfitIncome": "Income",
    "UnappliedCashPaymentIncome": "Income",
    "OpeningBalanceEquity": "Equity",
    "RetainedEarnings": "Equity",
}

# What a new US company starts with. Ids follow Intuit's sample company where a sample shows one:
# 4 is the DepositToAccountRef of REFPAY's payment (Undeposited Funds there by name is
# unconfirmed); 79/80/81 are the income/expense/asset accounts of the Item reference sample
# ("Rock Fountain"); 33 is ACCT's read sample. The ids of Services (1), Checking (35) and
# Accounts Receivable (84) are unconfirmed, as is the exact list a new company gets.
STANDARD_ACCOUNTS: tuple[tuple[str, str, str, str], ...] = (
    ("1", "Services", "Income", "ServiceFeeIncome"),
    ("4", "Undeposited Funds", "Other Current Asset", "UndepositedFunds"),
    ("33", "Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable"),
    ("35", "Checking", "Bank", "Checking"),
    ("79", "Sales of Product Income", "Income", "SalesOfProductIncome"),
    ("80", "Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs"),
    ("81", "Inventory Asset", "Other Current Asset", "Inventory"),
    ("84", "Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable"),
)


def _account_type(body: dict[str, Any]) -> tuple[str, str]:
    """(AccountType, AccountSubType) from what the client sent; either one may be left out."""
    account_type, subtype = body.get("AccountType"), body.get("AccountSubType")
    if account_type is None and subtype is None:
        raise RequiredParameterMissing("AccountType")
    if account_type is None:
        if subtype not in SUBTYPE_TYPES:
            raise InvalidProperty(f"Invalid AccountSubType: {subtype}", element="AccountSubType")
        account_type = SUBTYPE_TYPES[str(subtype)]
    if account_type not in ACCOUNT_TYPES:
        raise InvalidProperty(f"Invalid AccountType: {account_type}", element="AccountType")
    if subtype is None:
        subtype = ACCOUNT_TYPES[str(account_type)][1]
    elif SUBTYPE_TYPES.get(str(subtype), account_type) != account_type:
        # A known sub-type of another type; unknown sub-types are let through (the sandbox does
        # not carry Intuit's whole enum), so this check is deliberately partial.
        raise InvalidProperty(
            f"AccountSubType {subtype} does not belong to AccountType {account_type}", "AccountSubType"
        )
    return str(account_type), str(subtype)


def prepare_account(company: Company, body: dict[str, Any], existing: StoredEntity | None) -> dict[str, Any]:
    """Validate an Account and fill in its read-only fields (ACCT)."""
    name = body.get("Name")
    if not name:
        raise RequiredParameterMissing("Name")
    name = str(name)
    if len(name) > NAME_MAX:
        raise InvalidProperty(f"Name is longer than {NAME_MAX} characters", element="Name")
    if '"' in name or ":" in name:
        raise InvalidProperty('Name cannot contain " or :', element="Name")
    if len(str(body.get("Description", ""))) > DESCRIPTION_MAX:
        raise InvalidProperty(f"Description is longer than {DESCRIPTION_MAX} characters", "Description")
    if len(str(body.get("AcctNum", ""))) > ACCT_NUM_MAX:
        raise InvalidProperty(f"AcctNum is longer than {ACCT_NUM_MAX} characters", element="AcctNum")
    account_type, subtype = _account_type(body)
    body["AccountType"], body["AccountSubType"] = account_type, subtype
    body["Classification"] = ACCOUNT_TYPES[account_type][0]
    qualified = name
    parent_ref = body.get("ParentRef")
    if isinstance(parent_ref, dict) and parent_ref.get("value"):
        parent = company.find("Account", str(parent_ref["value"]))
        if parent is None or (existing is not None and parent.id == existing.id):
            raise InvalidReference("ParentRef", str(parent_ref["value"]))
        body["ParentRef"] = {"value": parent.id, "name": parent.body["FullyQualifiedName"]}
        qualified = f"{parent.body['FullyQualifiedName']}:{name}"
    else:
        body.pop("ParentRef", None)
    body["SubAccount"] = "ParentRef" in body
    body["FullyQualifiedName"] = qualified
    # Unique by full name; the fault text for accounts is unconfirmed (the code is Customer's 6240).
    for other in company.live("Account"):
        if other.body["FullyQualifiedName"].lower() == qualified.lower() and (
            existing is None or other.id != existing.id
        ):
            raise DuplicateName(qualified, holder="account")
    body.setdefault("Active", True)
    body.setdefault("CurrencyRef", {"value": "USD", "name": "United States Dollar"})
    for read_only in ("CurrentBalance", "CurrentBalanceWithSubAccounts"):
        body[read_only] = existing.body.get(read_only, ZERO) if existing else ZERO
    return body


def open_chart_of_accounts(company: Company, at: datetime) -> None:
    """The standard accounts, created without webhooks at the company's opening instant."""
    for account_id, name, account_type, subtype in STANDARD_ACCOUNTS:
        company.create(
            "Account",
            {"Name": name, "AccountType": account_type, "AccountSubType": subtype},
            at=at,
            announce=False,
            entity_id=account_id,
        )
