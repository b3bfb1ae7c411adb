"""Products and services (the Item entity): what QuickBooks checks on a write, and ItemRefs on sales lines.

Sources. ITEM = Intuit's Item reference (developer.intuit.com/app/developer/qbo/docs/api/accounting/
all-entities/item) as copied in the code index (Petrus-Han/finance_plugins
`ref/quickbooks_dev_docs/api-reference/item.md`, a secondary copy): `Name` required, unique, at most
100 characters; `Type` required, one of Inventory, Service, NonInventory (Category from minor
version 4); `IncomeAccountRef` required for Service and Inventory items; Inventory items also need
`ExpenseAccountRef`, `AssetAccountRef`, `InvStartDate` and `QtyOnHand`, and cannot change type
afterwards; `FullyQualifiedName` (`Parent:Child`) and `Level` read-only; the service sample is
created with only Name, Type and IncomeAccountRef and comes back Active. Field names also per
python-quickbooks `objects/item.py`. Items are never deleted, only made inactive.

Unconfirmed choices: NonInventory items also need an IncomeAccountRef; a duplicate Name answers
6240 "Duplicate Name Exists Error" (the code and message are confirmed for customers,
intuit/QuickBooks-V3-PHP-SDK#241; the item wording is what peer emulators use); an inactive
item's name still counts as taken (Intuit may rename inactive items "… (deleted)");
Bundle/Group items cannot be created here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .faults import (
    BusinessValidationError,
    DuplicateName,
    InvalidProperty,
    InvalidReference,
    RequiredParameterMissing,
)
from .wire import to_money

if TYPE_CHECKING:
    from datetime import datetime

    from .company import Company, StoredEntity

NAME_MAX = 100  # ITEM
ITEM_TYPES = frozenset({"Service", "NonInventory", "Inventory", "Category"})  # ITEM
NEEDS_INCOME_ACCOUNT = frozenset({"Service", "NonInventory", "Inventory"})
INVENTORY_FIELDS = ("ExpenseAccountRef", "AssetAccountRef", "InvStartDate", "QtyOnHand")  # ITEM

# Every company can sell "Services": REFINV's minimal invoice uses ItemRef {"name": "Services",
# "value": "1"}. That it posts to the "Services" income account is unconfirmed.
STANDARD_ITEMS: tuple[tuple[str, str, str, str], ...] = (("1", "Services", "Service", "1"),)


def _account_ref(company: Company, body: dict[str, Any], field_name: str) -> None:
    """Check an account reference and name it as Intuit does (`{"name": "Services", "value": "1"}`)."""
    ref = body.get(field_name)
    if not isinstance(ref, dict) or not ref.get("value"):
        body.pop(field_name, None)
        return
    account = company.find("Account", str(ref["value"]))
    if account is None:
        raise InvalidReference(field_name, str(ref["value"]))
    body[field_name] = {"value": account.id, "name": account.body["FullyQualifiedName"]}


def _placement(company: Company, body: dict[str, Any], existing: StoredEntity | None, name: str) -> None:
    """ParentRef, SubItem, Level and FullyQualifiedName (`Parent:Child`, ITEM)."""
    parent_ref = body.get("ParentRef")
    if isinstance(parent_ref, dict) and parent_ref.get("value"):
        parent = company.find("Item", str(parent_ref["value"]))
        if parent is None or (existing is not None and parent.id == existing.id):
            raise InvalidReference("ParentRef", str(parent_ref["value"]))
        body["ParentRef"] = {"value": parent.id, "name": parent.body["FullyQualifiedName"]}
        body["SubItem"] = True
        body["Level"] = int(parent.body.get("Level", 0)) + 1
        body["FullyQualifiedName"] = f"{parent.body['FullyQualifiedName']}:{name}"
        return
    if body.get("SubItem") is True:
        raise RequiredParameterMissing("ParentRef")
    body.pop("ParentRef", None)
    body["SubItem"] = False
    body.pop("Level", None)  # Intuit's samples show Level on sub-items only
    body["FullyQualifiedName"] = name


def prepare_item(company: Company, body: dict[str, Any], existing: StoredEntity | None) -> dict[str, Any]:
    """Validate a product or service and fill in its read-only fields (ITEM)."""
    name = body.get("Name")
    if not name:
        raise RequiredParameterMissing("Name")
    name = body["Name"] = str(name)
    if len(name) > NAME_MAX:
        raise InvalidProperty(f"Name is longer than {NAME_MAX} characters", element="Name")
    item_type = body.get("Type")
    if not item_type:
        raise RequiredParameterMissing("Type")
    if item_type not in ITEM_TYPES:
        raise InvalidProperty(f"Invalid Type: {item_type}", element="Type")
    if existing is not None and existing.body["Type"] == "Inventory" and item_type != "Inventory":
        raise BusinessValidationError("An Inventory item cannot be changed to another type")
    for other in company.live("Item"):
        if str(other.body["Name"]).lower() == name.lower() and (existing is None or other.id != existing.id):
            raise DuplicateName(name, holder="product or service")
    if item_type in NEEDS_INCOME_ACCOUNT and not (body.get("IncomeAccountRef") or {}).get("value"):
        raise RequiredParameterMissing("IncomeAccountRef")
    if item_type == "Inventory":
        for required in INVENTORY_FIELDS:
            if body.get(required) in (None, {}):
                raise RequiredParameterMissing(required)
        body["TrackQtyOnHand"] = True
    elif body.get("TrackQtyOnHand") is True:
        raise BusinessValidationError("Quantity on hand can only be tracked for Inventory items")
    for field_name in ("IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef"):
        _account_ref(company, body, field_name)
    _placement(company, body, existing, name)
    body.setdefault("Active", True)
    body.setdefault("Taxable", False)
    body.setdefault("TrackQtyOnHand", False)
    if item_type != "Category":
        body["UnitPrice"] = to_money(body.get("UnitPrice", 0))
    return body


def _item_ids(lines: list[dict[str, Any]]) -> set[str]:
    """The item Ids the sales lines of a stored version refer to."""
    refs = [(line.get("SalesItemLineDetail") or {}).get("ItemRef") for line in lines]
    return {str(ref.get("value")) for ref in refs if isinstance(ref, dict)}


def name_item_refs(company: Company, body: dict[str, Any], existing: StoredEntity | None) -> None:
    """Check each sales line's ItemRef and give it the item's name, as Intuit's answers carry it.

    An unknown Id answers 2500 "Invalid Reference Id" (secondary: the Teachworks QuickBooks error
    list quotes "Invalid Reference Id : Line.SalesItemLineDetail.ItemRef" for a deleted service).
    A new reference to an inactive item or a category is refused the same way (unconfirmed); lines
    that already referred to it may stay. Intuit's Invoice reference (SalesItemLineDetail.ItemRef;
    copies in the code index, e.g. id 63555915559) says a line without an ItemRef "is treated as
    documentation and the Line.Amount attribute is ignored"; the sandbox still counts such lines'
    amounts (older tests and tools create them), a known difference.
    """
    kept = _item_ids(existing.body.get("Line") or []) if existing else set()
    for line in body.get("Line") or []:
        detail = line.get("SalesItemLineDetail") if line.get("DetailType") == "SalesItemLineDetail" else None
        if not isinstance(detail, dict):
            continue
        ref = detail.get("ItemRef")
        if not isinstance(ref, dict) or not ref.get("value"):
            continue
        item = company.find("Item", str(ref["value"]))
        usable = item is not None and item.body["Type"] != "Category" and item.body.get("Active", True)
        if item is None or not (usable or item.id in kept):
            raise InvalidReference("Line.SalesItemLineDetail.ItemRef", str(ref["value"]))
        detail["ItemRef"] = {**ref, "value": item.id, "name": item.body["FullyQualifiedName"]}


def open_products(company: Company, at: datetime) -> None:
    """The standard items, created without webhooks at the company's opening instant."""
    for item_id, name, item_type, income_account_id in STANDARD_ITEMS:
        company.create(
            "Item",
            {"Name": name, "Type": item_type, "IncomeAccountRef": {"value": income_account_id}},
            at=at,
            announce=False,
            entity_id=item_id,
        )
