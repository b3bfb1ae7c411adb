"""The sandbox's Flask app: identity, the Accounting API behind its guard, the admin API, and logging.

Every Accounting and identity answer is counted in the request log (tenant, route pattern,
status); with `record_responses` the bodies are kept so tests can validate them against
Xero's OpenAPI file.
"""

from __future__ import annotations

import html
import threading
from typing import TYPE_CHECKING

from flask import Blueprint, Flask, Response, g, request

from ..common.request_log import LoggedRequest
from .admin import admin_blueprint
from .api_contacts import contacts_blueprint
from .api_credits import credits_blueprint
from .api_currencies import currencies_blueprint
from .api_history import history_blueprint
from .api_invoices import invoices_blueprint
from .api_payments import payments_blueprint
from .api_reports import reports_blueprint
from .errors import NotFound, XeroError
from .guard import install_guard
from .identity import identity_blueprint
from .settings import RecordedResponse

if TYPE_CHECKING:
    from .sandbox import XeroSandbox

API_PREFIX = "/api.xro/2.0"
LOGGED_PREFIXES = (
    API_PREFIX,
    "/connections",
    "/Connections",
    "/identity/connect/token",
    "/identity/connect/revocation",
)


class _IdempotencyCache:
    """Replays the answer to a write retried with the same Idempotency-Key (max 128 chars, OAS-ACC).

    Replay semantics are unconfirmed at Xero; the sandbox returns the first answer verbatim.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answers: dict[tuple[str, str, str], tuple[bytes, int, str]] = {}

    def get(self, key: tuple[str, str, str]) -> tuple[bytes, int, str] | None:
        with self._lock:
            return self._answers.get(key)

    def put(self, key: tuple[str, str, str], answer: tuple[bytes, int, str]) -> None:
        with self._lock:
            self._answers[key] = answer


def _pattern(rule: str) -> str:
    """`/api.xro/2.0/Invoices/<invoice_id>` -> `/Invoices/{invoice_id}`."""
    if rule.startswith(API_PREFIX):
        rule = rule[len(API_PREFIX) :]
    return rule.replace("<", "{").replace(">", "}")


def accounting_blueprint(sandbox: XeroSandbox) -> Blueprint:
    bp = Blueprint("xero_accounting", __name__, url_prefix=API_PREFIX)
    install_guard(bp, sandbox)
    idempotency = _IdempotencyCache()

    @bp.before_request
    def replay() -> Response | None:
        key = request.headers.get("Idempotency-Key")
        if request.method in ("PUT", "POST") and key:
            cached = idempotency.get((g.tenant_id, request.path, key[:128]))
            if cached is not None:
                return Response(cached[0], status=cached[1], content_type=cached[2])
        return None

    @bp.after_request
    def remember(response: Response) -> Response:
        key = request.headers.get("Idempotency-Key")
        if request.method in ("PUT", "POST") and key and g.get("tenant_id") and response.status_code < 500:
            idempotency.put(
                (g.tenant_id, request.path, key[:128]),
                (response.get_data(), response.status_code, response.content_type or ""),
            )
        return response

    invoices_blueprint(bp, sandbox)
    contacts_blueprint(bp, sandbox)
    payments_blueprint(bp, sandbox)
    credits_blueprint(bp, sandbox)
    history_blueprint(bp, sandbox)
    reports_blueprint(bp, sandbox)
    currencies_blueprint(bp, sandbox)
    return bp


def create_app(sandbox: XeroSandbox) -> Flask:
    """The WSGI app of one sandbox."""
    app = Flask("xero_sandbox")
    app.url_map.strict_slashes = False
    app.config["CHANGE_FILTER"] = sandbox.settings.change_filter  # read by queries.select

    @app.errorhandler(XeroError)
    def xero_error(error: XeroError) -> Response:
        return Response(
            error.body(), status=error.status, content_type=error.content_type, headers=error.headers()
        )

    @app.errorhandler(404)
    @app.errorhandler(405)
    def unknown_route(error: Exception) -> Response:
        """Xero answers an unknown resource with its plain-text 404, whatever the method."""
        return xero_error(NotFound())

    app.register_blueprint(identity_blueprint(sandbox))
    app.register_blueprint(accounting_blueprint(sandbox))
    app.register_blueprint(admin_blueprint(sandbox))

    @app.get("/in/<token>")
    def online_invoice_page(token: str) -> Response:
        """The customer-facing invoice page that OnlineInvoiceUrl points to."""
        for books in sandbox.organisations.values():
            for invoice in books.invoices.values():
                if invoice.invoice_id.replace("-", "") == token:
                    return Response(
                        f"<!doctype html><title>Invoice {html.escape(invoice.invoice_number)}</title>"
                        f"<h1>{html.escape(books.organisation.name)}</h1><p>Invoice "
                        f"{html.escape(invoice.invoice_number)}: {invoice.currency_code} {invoice.amount_due:.2f} due</p>",
                        mimetype="text/html",
                    )
        return Response("Not found", status=404)

    @app.after_request
    def log_call(response: Response) -> Response:
        if request.path.startswith(LOGGED_PREFIXES):
            rule = request.url_rule.rule if request.url_rule is not None else request.path
            sandbox.request_log.record(
                LoggedRequest(
                    at=sandbox.clock.now(),
                    tenant=g.get("tenant_id") or request.headers.get("xero-tenant-id"),
                    method=request.method,
                    endpoint=_pattern(rule),
                    path=request.path,
                    status=response.status_code,
                    client_id=g.get("client_id"),
                )
            )
            if sandbox.settings.record_responses:
                sandbox.record_response(
                    RecordedResponse(
                        request.method,
                        _pattern(rule),
                        request.path,
                        response.status_code,
                        response.content_type or "",
                        response.get_data(),
                    )
                )
        return response

    return app


__all__ = ["create_app"]
