"""The Accounting API over HTTP: `/v3/company/{realmId}/...` exactly as python-quickbooks calls it.

Every call goes through `serve`, which does what Intuit's edge does, in order: bearer token
(401 AuthenticationFault 3200), realm and scope (403, 3100), throttles (429, 3001), injected
faults, `requestid` replay (BREQ), then the operation; and it logs the call per realm and
endpoint pattern in the request log.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, request

from integration.sandbox.common.faults import FaultKind
from integration.sandbox.common.request_log import LoggedRequest

from . import accounting
from .company import Company
from .faults import (
    AuthorizationFailed,
    InvalidProperty,
    QuickBooksFault,
    SystemFault,
    ThrottleExceeded,
    UnknownResource,
)
from .http_app import fault_response, intuit_json
from .reports import run_report
from .wire import format_envelope_time

if TYPE_CHECKING:
    from .sandbox import QuickBooksSandbox

COMPANY = "/v3/company/<realm_id>"
Handler = Callable[[Company], Any]


def _json_body() -> Any:
    text = request.get_data(as_text=True)
    try:
        return json.loads(text, parse_float=Decimal) if text.strip() else {}
    except json.JSONDecodeError as error:
        raise InvalidProperty(f"Request body is not valid JSON: {error.msg}") from error


def invoice_link_token(company: Company, invoice_id: str) -> str:
    """The opaque part of an invoice's shareable payment link (stable per realm and invoice)."""
    return "scs-v1-" + hashlib.sha256(f"{company.realm_id}:{invoice_id}".encode()).hexdigest()[:48]


def api_blueprint(sandbox: QuickBooksSandbox) -> Blueprint:
    """Routes of quickbooks.api.intuit.com."""
    blueprint = Blueprint("quickbooks_api", __name__)

    def serve(realm_id: str, endpoint: str, throttle_class: str, handler: Handler) -> Response:
        """Run one API call through auth, realm, throttles, faults and replay; log it."""
        at = sandbox.clock.now()
        permit = None
        client_id = None
        company = sandbox.companies.get(realm_id)
        try:
            bearer = request.headers.get("Authorization", "")
            token = sandbox.tokens.authenticate(bearer[7:] if bearer.lower().startswith("bearer ") else None)
            client_id = token.grant.client_id
            sandbox.tokens.authorize_realm(token, realm_id)
            if company is None:
                raise AuthorizationFailed("Unknown company")
            permit = sandbox.throttle.admit(realm_id, throttle_class)
            for fault in sandbox.faults.take_request_faults(request.path):
                if fault.kind is FaultKind.LATENCY:
                    fault.delay()
                elif fault.kind is FaultKind.SERVER_ERROR:
                    raise SystemFault()
                elif fault.kind is FaultKind.RATE_LIMIT_STORM:
                    raise ThrottleExceeded(fault.retry_after, "storm")
            request_id = request.args.get("requestid") if request.method == "POST" else None
            replay = sandbox.remember_replay(realm_id, request_id) if request_id else None
            if replay is not None:
                response = intuit_json(replay[1], replay[0])
            else:
                body = handler(company)
                body["time"] = format_envelope_time(sandbox.clock.now(), company.zone)
                response = intuit_json(body)
                if request_id:
                    sandbox.remember_replay(realm_id, request_id, (200, body))
        except QuickBooksFault as fault:
            response = fault_response(sandbox, fault, company.zone if company else None)
            if request.args.get("requestid") and fault.status == 400 and company is not None:
                sandbox.remember_replay(
                    realm_id, request.args["requestid"], (400, json.loads(response.get_data()))
                )
        finally:
            if permit is not None:
                permit.release()
        sandbox.request_log.record(
            LoggedRequest(
                at, realm_id, request.method, endpoint, request.path, response.status_code, client_id
            )
        )
        return response

    def minor() -> int:
        """The effective minorversion of the current request."""
        return accounting.minor_version(request.args.get("minorversion"))

    def link_for(company: Company) -> Callable[[Any], str]:
        """How to build a shareable invoice link on this server."""
        return lambda entity: (
            f"{request.host_url}connect/portal/app/CommerceNetwork/view/"
            f"{invoice_link_token(company, entity.id)}"
        )

    @blueprint.route(f"{COMPANY}/query", methods=["GET", "POST"])
    def query(realm_id: str) -> Response:
        """GET ?query= or POST application/text (python-quickbooks): a SELECT statement."""

        def handle(company: Company) -> Any:
            statement = accounting.statement_from(
                request.method, request.args.get("query"), request.get_data(as_text=True)
            )
            return accounting.query(company, statement)

        return serve(realm_id, "/v3/company/{realmId}/query", "query", handle)

    @blueprint.route(f"{COMPANY}/batch", methods=["POST"])
    def batch(realm_id: str) -> Response:
        """POST /batch: up to 30 items, each answered on its own."""
        return serve(
            realm_id,
            "/v3/company/{realmId}/batch",
            "batch",
            lambda company: accounting.batch(company, _json_body(), sandbox.throttle.policy.batch_items),
        )

    @blueprint.route(f"{COMPANY}/cdc", methods=["GET", "POST"])
    def cdc(realm_id: str) -> Response:
        """GET /cdc?entities=…&changedSince=…: change data capture."""
        return serve(
            realm_id,
            "/v3/company/{realmId}/cdc",
            "cdc",
            lambda company: accounting.change_data_capture(
                company, request.args.get("entities"), request.args.get("changedSince")
            ),
        )

    @blueprint.route(f"{COMPANY}/reports/<name>", methods=["GET"])
    def report(realm_id: str, name: str) -> Response:
        """GET /reports/{name}: AgedReceivables and AgedReceivableDetail."""
        params = dict(request.args)
        return serve(
            realm_id,
            f"/v3/company/{{realmId}}/reports/{name}",
            "reports",
            lambda company: run_report(company, name, params, sandbox.clock.now()),
        )

    @blueprint.route(f"{COMPANY}/preferences", methods=["GET", "POST"])
    def preferences(realm_id: str) -> Response:
        """GET or POST /preferences: the company's settings (no Id in the path)."""

        def handle(company: Company) -> Any:
            if request.method == "GET":
                return accounting.entity_answer(company.get("Preferences", "1"))
            return accounting.write(company, "Preferences", _json_body(), "update", None)

        return serve(realm_id, "/v3/company/{realmId}/preferences", "write", handle)

    @blueprint.route(f"{COMPANY}/<resource>/<entity_id>", methods=["GET"])
    def read(realm_id: str, resource: str, entity_id: str) -> Response:
        """GET /{resource}/{id}, with include=invoiceLink for invoices."""

        def handle(company: Company) -> Any:
            if resource not in accounting.KIND_BY_RESOURCE:
                raise UnknownResource(request.path, request.url)
            return accounting.read(
                company, resource, entity_id, request.args.get("include"), minor(), link_for(company)
            )

        return serve(realm_id, f"/v3/company/{{realmId}}/{resource}/{{id}}", "read", handle)

    @blueprint.route(f"{COMPANY}/<resource>", methods=["POST"])
    def write(realm_id: str, resource: str) -> Response:
        """POST /{resource}: create, update, ?operation=delete|void, or update&include=void."""

        def handle(company: Company) -> Any:
            if resource not in accounting.KIND_BY_RESOURCE:
                raise UnknownResource(request.path, request.url)
            kind = accounting.kind_for_resource(resource)
            return accounting.write(
                company, kind, _json_body(), request.args.get("operation"), request.args.get("include")
            )

        return serve(realm_id, f"/v3/company/{{realmId}}/{resource}", "write", handle)

    @blueprint.route(f"{COMPANY}/invoice/<entity_id>/send", methods=["POST"])
    def send_invoice(realm_id: str, entity_id: str) -> Response:
        """POST /invoice/{id}/send[?sendTo=]: e-mail the invoice (EmailStatus EmailSent)."""

        def handle(company: Company) -> Any:
            invoice = company.get("Invoice", entity_id)
            body = copy.deepcopy(invoice.body)
            if request.args.get("sendTo"):
                body["BillEmail"] = {"Address": request.args["sendTo"]}
            if not body.get("BillEmail"):
                raise InvalidProperty("The invoice has no BillEmail to send to", element="BillEmail")
            body["EmailStatus"] = "EmailSent"
            body["DeliveryInfo"] = {
                "DeliveryType": "Email",
                "DeliveryTime": format_envelope_time(sandbox.clock.now(), company.zone),
            }
            return accounting.entity_answer(company.revise(invoice, body, "Emailed"))

        return serve(realm_id, "/v3/company/{realmId}/invoice/{id}/send", "write", handle)

    @blueprint.route(f"{COMPANY}/invoice/<entity_id>/pdf", methods=["GET"])
    def invoice_pdf(realm_id: str, entity_id: str) -> Response:
        """GET /invoice/{id}/pdf: a small PDF of the invoice."""
        holder: dict[str, bytes] = {}

        def handle(company: Company) -> Any:
            invoice = company.get("Invoice", entity_id)
            holder["pdf"] = _tiny_pdf(f"Invoice {invoice.body.get('DocNumber')} {invoice.body['TotalAmt']}")
            return {}

        answer = serve(realm_id, "/v3/company/{realmId}/invoice/{id}/pdf", "read", handle)
        if answer.status_code != 200:
            return answer
        return Response(holder["pdf"], content_type="application/pdf")

    @blueprint.route("/connect/portal/app/CommerceNetwork/view/<token>", methods=["GET"])
    def invoice_portal(token: str) -> Response:
        """The page an InvoiceLink opens (connect.intuit.com)."""
        for company in sandbox.companies.values():
            for invoice in company.live("Invoice"):
                if invoice_link_token(company, invoice.id) == token:
                    return Response(
                        f"<html><body><h1>{company.name}</h1><p>Invoice {invoice.body.get('DocNumber')}</p>"
                        f"<p>Balance due {invoice.body['Balance']:.2f} USD</p></body></html>",
                        content_type="text/html",
                    )
        return Response("Not found", status=404)

    return blueprint


def _tiny_pdf(text: str) -> bytes:
    """A one-line, valid PDF; real layout is not the point."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
