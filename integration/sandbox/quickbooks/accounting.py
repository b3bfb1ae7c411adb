"""The Accounting API's operations, independent of HTTP so the batch endpoint can reuse them.

Each function takes a Company and what the client sent, and returns the answer body without
the envelope `time` (the HTTP layer adds it). Faults are raised as QuickBooksFault types.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .company import KIND_BY_RESOURCE, KINDS, Company, StoredEntity
from .faults import (
    BatchLimitExceeded,
    InvalidProperty,
    QueryParserError,
    QuickBooksFault,
    UnsupportedOperation,
)
from .properties import check_known
from .query import parse_query
from .wire import json_out, money_in, parse_timestamp

INVOICE_LINK_MINOR_VERSION = 36  # REFINV: InvoiceLink is "minorVersion 36" and up
DEFAULT_MINOR_VERSION = 75  # BMV: below 75 is ignored and treated as 75


def minor_version(raw: str | None) -> int:
    """The effective minorversion of a request (BMV: anything < 75 counts as 75)."""
    try:
        return max(int(raw or DEFAULT_MINOR_VERSION), DEFAULT_MINOR_VERSION)
    except ValueError:
        return DEFAULT_MINOR_VERSION


def entity_answer(entity: StoredEntity, invoice_link: str | None = None) -> dict[str, Any]:
    """`{"Invoice": {...}}` for one entity."""
    view = entity.view()
    if invoice_link:
        view["InvoiceLink"] = invoice_link
    return {entity.kind: json_out(view)}


def shows_invoice_link(entity: StoredEntity, include: str | None, minor: int) -> bool:
    """REFINV: only with include=invoiceLink, online payment allowed and a BillEmail."""
    body = entity.body
    return (
        entity.kind == "Invoice"
        and (include or "").lower() == "invoicelink"
        and minor >= INVOICE_LINK_MINOR_VERSION
        and bool(body.get("AllowOnlineCreditCardPayment") or body.get("AllowOnlineACHPayment"))
        and bool(body.get("BillEmail"))
    )


def kind_for_resource(resource: str) -> str:
    """`invoice` -> `Invoice`; URIs are case-sensitive and lower-case at Intuit."""
    kind = KIND_BY_RESOURCE.get(resource)
    if kind is None:
        raise UnsupportedOperation(f"on resource {resource}")
    return kind.name


def write(
    company: Company,
    kind: str,
    raw: Any,
    operation: str | None,
    include: str | None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """POST /{resource}: create, update (full or sparse), delete or void."""
    if not isinstance(raw, dict):
        raise InvalidProperty("Request body is not a JSON object")
    if company.strictness.unknown_fields:
        check_known(kind, raw)
    payload = money_in(raw)
    operation = (operation or "").lower()
    if operation == "delete":
        entity = company.delete(kind, payload, at=at)
        return {kind: {"status": "Deleted", "domain": "QBO", "Id": entity.id}}
    if operation == "void" or (operation == "update" and (include or "").lower() == "void"):
        return entity_answer(company.void(kind, payload, at=at))
    if operation not in ("", "update", "create"):
        raise UnsupportedOperation(f"{operation} on {kind}")
    if payload.get("Id") not in (None, "") or operation == "update":
        return entity_answer(company.update(kind, payload, at=at))
    return entity_answer(company.create(kind, payload, at=at))


def query(company: Company, statement: str) -> dict[str, Any]:
    """`{"QueryResponse": ...}` for a statement."""
    return {"QueryResponse": company.run_query(parse_query(statement, company.strictness.one_sort_key))}


def change_data_capture(company: Company, entities: str | None, changed_since: str | None) -> dict[str, Any]:
    """`{"CDCResponse": [{"QueryResponse": [...]}]}` (DCDC; python-quickbooks cdc.py)."""
    if not entities:
        raise InvalidProperty("entities is required", element="entities")
    if not changed_since:
        raise InvalidProperty("changedSince is required", element="changedSince")
    try:
        since = parse_timestamp(changed_since, company.zone)
    except ValueError as error:
        raise InvalidProperty(f"changedSince is not a date time: {changed_since}", "changedSince") from error
    return {"CDCResponse": [{"QueryResponse": company.changes_since(entities.split(","), since)}]}


def _batch_item(company: Company, item: dict[str, Any]) -> dict[str, Any]:
    bid = str(item.get("bId", ""))
    try:
        if "Query" in item:
            return {"bId": bid, **query(company, str(item["Query"]))}
        names = [key for key in item if key in KINDS]
        if len(names) != 1:
            raise InvalidProperty(
                "A batch item needs exactly one entity or a Query", element="BatchItemRequest"
            )
        kind = names[0]
        operation = str(item.get("operation", "create"))
        include = "void" if item.get("optionsData") == "void" else None
        if operation == "update" and include:
            operation = "void"
        return {"bId": bid, **write(company, kind, item[kind], operation, include)}
    except QuickBooksFault as fault:
        return {"bId": bid, "Fault": fault.fault()}


def batch(company: Company, raw: Any, max_items: int) -> dict[str, Any]:
    """POST /batch: items run in order, each answering on its own (BBATCH)."""
    items = raw.get("BatchItemRequest") if isinstance(raw, dict) else None
    if not isinstance(items, list) or not items:
        raise InvalidProperty("BatchItemRequest is required", element="BatchItemRequest")
    if len(items) > max_items:
        raise BatchLimitExceeded(len(items), max_items)
    return {"BatchItemResponse": [_batch_item(company, item) for item in items]}


def read(
    company: Company, resource: str, entity_id: str, include: str | None, minor: int, invoice_link: Any
) -> dict[str, Any]:
    """GET /{resource}/{id}; `invoice_link(entity)` builds the shareable link when it is shown."""
    kind = kind_for_resource(resource)
    entity = company.get(kind, entity_id)
    link = invoice_link(entity) if shows_invoice_link(entity, include, minor) else None
    return entity_answer(entity, link)


def statement_from(method: str, query_arg: str | None, body_text: str) -> str:
    """The SELECT text: GET ?query=, or python-quickbooks' POST body (application/text)."""
    statement = query_arg if method == "GET" else (body_text or query_arg)
    if statement is None:
        raise QueryParserError("The query provided was empty")
    return statement
