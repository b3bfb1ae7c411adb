"""Which stored entities a parsed query selects, in which order, and which page of them.

Comparison follows the stored value's type: amounts compare as Decimal, `MetaData.*Time`
as instants (the literal may carry `-07:00`, `-0700`, `Z` or no offset), Ids numerically,
references (`CustomerRef = '12'`) by their `value`, text case-insensitively. Intuit limits
filtering to documented properties and answers others with a QueryValidationError; the
whitelist below is the documented filterable set for the entities the sandbox serves (DQ and
the per-entity API reference), plus what Relance and the peers filter on.

Name lists answer with active entities only unless the query says something about `Active`
("SELECT * FROM Customer ... retrieves all active customers", Intuit blog 2014-03-20 "Advanced
SQL queries"; clients add `WHERE Active IN (true, false)` to see inactive ones). The sandbox
applies this to Item and Account; Customer and Term still answer inactive ones too (a known
difference, kept so existing clients of the sandbox see no change).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from integration.sandbox.common.change_filter import ChangeFilter

from .faults import QueryValidationError
from .query import Condition, Query
from .wire import parse_timestamp

ACTIVE_ONLY_BY_DEFAULT = frozenset({"Item", "Account"})
_ACTIVE = Condition("Active", "=", True)

_COMMON = {"id", "metadata.createtime", "metadata.lastupdatedtime"}
_TXN = _COMMON | {"docnumber", "txndate", "customerref", "totalamt", "privatenote"}
QUERYABLE: dict[str, set[str]] = {
    "Customer": _COMMON
    | {
        "displayname",
        "companyname",
        "givenname",
        "familyname",
        "active",
        "balance",
        "primaryemailaddr",
        "fullyqualifiedname",
        "printoncheckname",
    },
    "Invoice": _TXN | {"duedate", "balance", "salestermref", "emailstatus"},
    "Payment": _TXN,
    "CreditMemo": _TXN | {"balance", "remainingcredit"},
    "Term": _COMMON | {"name", "active", "type", "duedays"},
    "Attachable": _COMMON
    | {"note", "attachableref.entityref.type", "attachableref.entityref.value", "filename"},
    # Item: ITEM marks Id, Name, Type, Active, Taxable, FullyQualifiedName, SubItem filterable and
    # UnitPrice/PurchaseCost sortable; Sku and ParentRef are unconfirmed extras.
    "Item": _COMMON
    | {
        "name",
        "type",
        "active",
        "taxable",
        "fullyqualifiedname",
        "subitem",
        "unitprice",
        "purchasecost",
        "sku",
        "parentref",
    },
    # Account: ACCT's queries filter on Name, AccountType, Classification, Active, MetaData.*; the
    # rest are unconfirmed extras.
    "Account": _COMMON
    | {
        "name",
        "accounttype",
        "accountsubtype",
        "classification",
        "active",
        "fullyqualifiedname",
        "subaccount",
        "acctnum",
        "currentbalance",
        "parentref",
    },
    "CompanyInfo": _COMMON | {"companyname"},
    "Preferences": _COMMON,
}


def lookup(view: Mapping[str, Any], path: str) -> list[Any]:
    """Every value at a dotted path (case-insensitive names; lists fan out)."""
    current: list[Any] = [view]
    for part in path.split("."):
        found: list[Any] = []
        for node in current:
            node_items = node if isinstance(node, list) else [node]
            for item in node_items:
                if not isinstance(item, Mapping):
                    continue
                if part in item:  # the usual case, and a dict lookup rather than a scan of every key
                    value = item[part]
                    found.extend(value if isinstance(value, list) else [value])
                    continue
                lowered = part.lower()
                for key, value in item.items():
                    if key.lower() == lowered:
                        found.extend(value if isinstance(value, list) else [value])
        current = found
    return [value["value"] if isinstance(value, Mapping) and "value" in value else value for value in current]


def _coerce(stored: Any, literal: Any) -> tuple[Any, Any]:
    """Bring a stored value and a query literal to comparable Python values."""
    if isinstance(stored, bool):
        wanted = literal if isinstance(literal, bool) else str(literal).lower() == "true"
        return stored, wanted
    if isinstance(stored, Decimal):
        try:
            return stored, Decimal(str(literal))
        except InvalidOperation as error:
            raise QueryValidationError(f"cannot compare {stored} with '{literal}'") from error
    if isinstance(stored, datetime):
        try:
            return stored, parse_timestamp(str(literal))
        except ValueError as error:
            raise QueryValidationError(f"'{literal}' is not a valid date time") from error
    text, wanted_text = str(stored), str(literal)
    if text.isdigit() and wanted_text.isdigit():
        return int(text), int(wanted_text)
    return text.lower(), wanted_text.lower()


def _like(stored: Any, pattern: str) -> bool:
    parts = pattern.lower().split("%")
    text = str(stored).lower()
    if len(parts) == 1:
        return text == parts[0]
    if not text.startswith(parts[0]) or not text.endswith(parts[-1]):
        return False
    position = len(parts[0])
    for middle in parts[1:-1]:
        found = text.find(middle, position)
        if found < 0:
            return False
        position = found + len(middle)
    return position <= len(text) - len(parts[-1])


def _holds(stored: Any, condition: Condition, change_filter: ChangeFilter = ChangeFilter.INCLUSIVE) -> bool:
    operator = condition.operator
    if operator == "LIKE":
        return _like(stored, str(condition.value))
    if operator == "IN":
        values = condition.value
        assert isinstance(values, tuple), "the parser gives IN a tuple"
        return any(_holds(stored, Condition(condition.path, "=", value)) for value in values)
    left, right = _coerce(stored, condition.value)
    if change_filter is ChangeFilter.EXCLUSIVE and isinstance(left, datetime):
        # The harsh reading of "changed since" (strictness.py): whole seconds, and `>=` as `>`.
        left, right = left.replace(microsecond=0), right.replace(microsecond=0)
        if operator in (">=", ">"):
            return change_filter.admits(left, right)
    if operator == "=":
        return left == right
    if operator == "<":
        return left < right
    if operator == ">":
        return left > right
    if operator == "<=":
        return left <= right
    return left >= right


def matches(
    view: Mapping[str, Any], condition: Condition, change_filter: ChangeFilter = ChangeFilter.INCLUSIVE
) -> bool:
    """True when any value at the condition's path satisfies it."""
    return any(
        _holds(value, condition, change_filter) for value in lookup(view, condition.path) if value is not None
    )


def check_queryable(query: Query) -> None:
    """Refuse unknown entities and non-filterable properties like Intuit does."""
    allowed = QUERYABLE.get(query.entity)
    if allowed is None:
        raise QueryValidationError(f"Invalid context declaration : {query.entity}")
    for path in [c.path for c in query.conditions] + [o.path for o in query.ordering]:
        if path.lower() not in allowed:
            raise QueryValidationError(f"property '{path}' is not queryable")


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, str) and value.isdigit():
        return (1, int(value))
    if isinstance(value, str):
        return (2, value.lower())
    return (1, value)


def _by(path: str) -> Callable[[Mapping[str, Any]], tuple[int, Any]]:
    """The sort key of an ORDERBY term: the first value at its path."""
    return lambda view: _sort_key((lookup(view, path) or [None])[0])


def select(
    query: Query, views: Iterable[Mapping[str, Any]], change_filter: ChangeFilter = ChangeFilter.INCLUSIVE
) -> tuple[list[Mapping[str, Any]], int]:
    """The page of views the query asks for, and how many matched in all; ``change_filter`` says
    how times compare (strictness.py)."""
    check_queryable(query)
    conditions = query.conditions
    if query.entity in ACTIVE_ONLY_BY_DEFAULT and not any(c.path.lower() == "active" for c in conditions):
        conditions = (*conditions, _ACTIVE)
    chosen = [view for view in views if all(matches(view, c, change_filter) for c in conditions)]
    ordering = query.ordering or ()
    # Without ORDERBY the order is by Id, which keeps STARTPOSITION paging stable.
    chosen.sort(key=lambda view: _sort_key(view.get("Id")))
    for term in reversed(ordering):
        chosen.sort(key=_by(term.path), reverse=term.descending)
    start = query.start_position - 1
    return chosen[start : start + query.max_results], len(chosen)
