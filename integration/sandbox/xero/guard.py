"""What stands in front of every Accounting API call, in Xero's order: faults, token, tenant, scope, limits.

Xero answers 401 for a bad token, 403 for a tenant the token cannot reach, and 429 once a
tenant's minute/day/concurrent limit or the app's minute limit is spent; every answer carries
the X-*Limit-Remaining headers (XLIM, xero-details.md section 5).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from flask import Blueprint, Response, g, request

from ..common.faults import FaultKind
from ..common.rate_limit import RateLimited
from .errors import Forbidden, ServerError, TooManyRequests, Unauthorized

if TYPE_CHECKING:
    from .sandbox import XeroSandbox

_TRANSACTIONS = ("accounting.transactions", "accounting.invoices", "accounting.payments")
_READ_SCOPES = {
    "Invoices": (*_TRANSACTIONS, "accounting.transactions.read", "accounting.invoices.read"),
    "Payments": (*_TRANSACTIONS, "accounting.transactions.read", "accounting.payments.read"),
    "CreditNotes": (*_TRANSACTIONS, "accounting.transactions.read", "accounting.invoices.read"),
    "Overpayments": (*_TRANSACTIONS, "accounting.transactions.read", "accounting.payments.read"),
    "Prepayments": (*_TRANSACTIONS, "accounting.transactions.read", "accounting.payments.read"),
    "Contacts": ("accounting.contacts", "accounting.contacts.read"),
    "ContactGroups": ("accounting.contacts", "accounting.contacts.read"),
    "Organisation": ("accounting.settings", "accounting.settings.read"),
    "Reports": ("accounting.reports.read", "accounting.reports.aged.read"),
    "Currencies": ("accounting.settings", "accounting.settings.read"),  # OAS-ACC getCurrencies
}
_WRITE_SCOPES = {
    "Contacts": ("accounting.contacts",),
    "ContactGroups": ("accounting.contacts",),
}


def required_scopes(path: str, method: str) -> tuple[str, ...]:
    """Scopes of which the token needs one for this call (SDK docstrings "OAuth2 scope:")."""
    resource = path.split("/api.xro/2.0/", 1)[-1].split("/", 1)[0]
    if method in ("GET", "HEAD"):
        return _READ_SCOPES.get(resource, ())
    return _WRITE_SCOPES.get(resource, _TRANSACTIONS)


def install_guard(bp: Blueprint, sandbox: XeroSandbox) -> None:
    """Register the checks on the accounting blueprint."""

    @bp.before_request
    def guard() -> None:
        faults = sandbox.faults.take_request_faults(request.path)
        for fault in faults:
            if fault.kind is FaultKind.SERVER_ERROR:
                raise ServerError()
            elif fault.kind is FaultKind.RATE_LIMIT_STORM:
                raise TooManyRequests(fault.problem, fault.retry_after)
        grant = sandbox.bearer_grant()
        g.client_id = grant.client_id
        tenant_id = (request.headers.get("xero-tenant-id") or "").strip().lower()
        if not tenant_id or tenant_id not in sandbox.organisations:
            raise Forbidden()
        if not sandbox.directory.reaches(grant.client_id, grant.user_id, tenant_id):
            raise Forbidden()
        g.tenant_id = tenant_id
        needed = required_scopes(request.path, request.method)
        if needed and not set(needed) & set(grant.scopes):
            raise Unauthorized("AuthorizationUnsuccessful")
        try:
            g.permit = sandbox.limits.admit(grant.client_id, tenant_id)
        except RateLimited as refused:
            raise TooManyRequests(
                refused.problem,
                refused.retry_after,
                sandbox.limits.remaining_headers(grant.client_id, tenant_id),
            ) from None
        # A slow answer holds its concurrency slot, as a slow Xero does.
        for fault in faults:
            if fault.kind is FaultKind.LATENCY:
                fault.delay()

    @bp.after_request
    def limit_headers(response: Response) -> Response:
        # Xero support asks for this id when something goes wrong (XeroAPI/xero-python#116).
        response.headers["Xero-Correlation-Id"] = str(uuid.uuid4())
        permit = g.pop("permit", None)
        client_id, tenant_id = g.get("client_id"), g.get("tenant_id")
        if permit is not None:
            permit.release()
            response.headers.update(sandbox.limits.headers_from(permit.remaining))
        elif client_id and "X-MinLimit-Remaining" not in response.headers:
            response.headers.update(sandbox.limits.remaining_headers(client_id, tenant_id))
        return response

    @bp.teardown_request
    def release(_exc: BaseException | None) -> None:
        permit = g.pop("permit", None)
        if permit is not None:
            permit.release()
