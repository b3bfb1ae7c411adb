"""The request's tenant books and the envelope every Accounting answer is wrapped in."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Response, g

from .books import OrganisationBooks
from .wire import envelope

if TYPE_CHECKING:
    from .sandbox import XeroSandbox


def books_of(sandbox: XeroSandbox) -> OrganisationBooks:
    """The books of the tenant named in xero-tenant-id (checked by the guard)."""
    return sandbox.organisations[g.tenant_id]


def provider_name(sandbox: XeroSandbox) -> str:
    """ProviderName in envelopes is the calling app's name."""
    app = sandbox.directory.apps.get(g.get("client_id", ""))
    return app.name if app else "Xero API Partner"


def answer(sandbox: XeroSandbox, collection: str, items: list[dict[str, Any]], **extra: Any) -> Response:
    """A 200 with Xero's envelope around a collection."""
    return sandbox.json_response(
        envelope(collection, items, sandbox.clock.now(), provider_name(sandbox), **extra)
    )


def with_element_errors(item: dict[str, Any], messages: list[str]) -> dict[str, Any]:
    """An element as echoed when summarizeErrors=false: HasErrors, ValidationErrors, StatusAttributeString."""
    item = dict(item)
    item["ValidationErrors"] = [{"Message": m} for m in messages]
    item["StatusAttributeString"] = "ERROR" if messages else "OK"
    if messages:
        item["HasErrors"] = True
    return item
